//! YAML reading for configuration, persona and scenario files.
//!
//! serde-saphyr's default budget (250,000 nodes) stops a persona file at
//! about 3,750 generated personas. fcmock's files are written by the people
//! who run it, so the size budgets are raised to fit 100,000 personas and
//! more; the protections against alias bombs (alias counts, replay limits,
//! the alias/anchor ratio) keep their defaults.

use serde::de::DeserializeOwned;

/// Most YAML nodes (scalars, sequences, mappings) in one file.
const MAX_NODES: usize = 50_000_000;
/// Most parser events in one file.
const MAX_EVENTS: usize = 100_000_000;
/// Most bytes of scalar text in one file.
const MAX_SCALAR_BYTES: usize = 1 << 30;

/// The options fcmock reads its files with.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_EVENTS;
    budget.max_total_scalar_bytes = MAX_SCALAR_BYTES;
    budget.max_reader_input_bytes = Some(MAX_SCALAR_BYTES);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Parses one YAML file's text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, options())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_pass_and_alias_bombs_do_not() {
        let big: String = (0..300_000).map(|i| format!("- {i}\n")).collect();
        let v: Vec<u64> = from_str(&big).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.len(), 300_000);
        // Each level doubles the previous: 2^30 values if expanded.
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for i in 1..30 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let r: Result<serde_json::Value, _> = from_str(&bomb);
        assert!(r.is_err(), "an alias bomb was expanded");
    }
}
