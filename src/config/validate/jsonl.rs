//! Persona files in JSON Lines (`*.jsonl`): one persona per line, with the
//! fields of a YAML persona entry; blank lines and lines starting with `#`
//! are skipped. YAML parsing costs about 40 µs per generated persona, which
//! makes 100,000 personas take seconds to load; a JSON parser on both cores
//! reads the same personas in a small fraction of that.
//!
//! Positions: JSON values carry no span, so errors name the file and the
//! persona's line ([`Located::line`]).

use serde_saphyr::{Location, Spanned};

use super::{Errors, Located};
use crate::config::Source;
use crate::config::raw::RawPersona;

/// Whether a source is read as JSON Lines.
pub(super) fn is_jsonl(source: &Source) -> bool {
    source.name.ends_with(".jsonl")
}

type Parsed = Result<(u64, Box<RawPersona>), (u64, String)>;

fn parse_lines(lines: &[(u64, &str)]) -> Vec<Parsed> {
    lines
        .iter()
        .map(|&(line, text)| {
            serde_json::from_str::<Box<RawPersona>>(text)
                .map(|p| (line, p))
                .map_err(|e| (line, message(&e)))
        })
        .collect()
}

/// serde_json's message without its position (the line is reported apart;
/// the column within a one-line persona helps little).
fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    if e.is_syntax() || e.is_eof() {
        format!("not valid JSON ({text}): each line holds one persona as a JSON object")
    } else {
        super::with_advice(text)
    }
}

/// The personas of a `.jsonl` source, parsed on two threads.
pub(super) fn personas(source: &Source, errors: &mut Errors) -> Vec<Located<Box<RawPersona>>> {
    let lines: Vec<(u64, &str)> = source
        .text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    let parsed: Vec<Parsed> = std::thread::scope(|s| {
        let other = s.spawn(|| parse_lines(second));
        let mut out = parse_lines(first);
        match other.join() {
            Ok(rest) => out.extend(rest),
            // A panic in serde_json is not expected; parse again here if it happens.
            Err(_) => out.extend(parse_lines(second)),
        }
        out
    });
    let mut out = Vec::with_capacity(parsed.len());
    for (index, p) in parsed.into_iter().enumerate() {
        match p {
            Ok((line, persona)) => out.push(Located {
                file: source.name.clone(),
                index,
                line,
                item: Spanned::new(persona, Location::UNKNOWN, Location::UNKNOWN),
            }),
            Err((line, msg)) => errors.at(&source.name, line, format!("personas[{index}]"), msg),
        }
    }
    out
}
