//! Scenario files: YAML (or JSON) → [`Scenario`], every error located.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{ClockStep, Fault, Scenario};
use crate::config::fault_parse::{Errors, Known, RawFault, build_fault};
use crate::config::{Config, ConfigError, ConfigErrors};

const KEY_STEPS: [&str; 4] = ["publish", "activate", "retire", "rotate"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    clients: Vec<Spanned<String>>,
    #[serde(default)]
    personas: Vec<Spanned<String>>,
    #[serde(default)]
    faults: Vec<Spanned<RawFault>>,
    clock: Option<RawClock>,
    #[serde(default)]
    keys: Vec<Spanned<String>>,
    #[serde(default)]
    journeys: Vec<Spanned<super::journey::RawJourney>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    freeze: Option<bool>,
    advance_seconds: Option<f64>,
}

fn parse_error(file: &str, e: &serde_saphyr::Error) -> ConfigErrors {
    let line = e.location().map_or(0, |l| l.line());
    ConfigErrors(vec![ConfigError {
        file: file.to_owned(),
        line,
        field: String::new(),
        message: crate::config::parse_message(e),
    }])
}

/// Parses and validates a scenario against a configuration.
pub fn parse(file: &str, text: &str, config: &Config) -> Result<Scenario, ConfigErrors> {
    let raw: RawScenario = crate::config::yaml::from_str(text).map_err(|e| parse_error(file, &e))?;
    let known = Known::of(config);
    let mut errors = Errors { file, list: Vec::new() };
    for c in &raw.clients {
        if !known.clients.contains(&c.value) {
            errors.at(
                c,
                "clients",
                format!("unknown client_id `{}`; see GET /_fcmock/api/clients", c.value),
            );
        }
    }
    for p in &raw.personas {
        if !known.personas.contains(&p.value) {
            errors.at(
                p,
                "personas",
                format!("unknown persona `{}`; see `fcmock personas list`", p.value),
            );
        }
    }
    for k in &raw.keys {
        if !KEY_STEPS.contains(&k.value.as_str()) {
            errors.at(
                k,
                "keys",
                format!("`{}` is not one of {}", k.value, KEY_STEPS.join(", ")),
            );
        }
    }
    let faults: Vec<Fault> = raw
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| build_fault(f, &format!("faults[{i}]"), &known, None, &mut errors))
        .collect();
    let journeys = super::journey::build(&raw.journeys, &known, &mut errors);
    if !errors.list.is_empty() {
        return Err(ConfigErrors(errors.list));
    }
    Ok(Scenario {
        name: raw.name.value,
        description: raw.description,
        clients: raw.clients.into_iter().map(|c| c.value).collect(),
        faults,
        clock: raw.clock.map(|c| ClockStep {
            freeze: c.freeze,
            advance_seconds: c.advance_seconds,
        }),
        keys: raw.keys.into_iter().map(|k| k.value).collect(),
        journeys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::Action;

    fn cfg() -> Config {
        Config::default_bundle().unwrap()
    }

    #[test]
    fn a_few_yaml_lines_make_a_scenario() {
        let text = "name: ameli en panne\nclients: [6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b]\nfaults:\n  - at: idp.ameli.token\n    status: 503\n    times: 2\n  - at: fc.token\n    id_token: { nonce: wrong }\n  - at: fc.jwks\n    delay: { uniform_ms: [100, 300] }\n";
        let s = parse("s.yaml", text, &cfg()).unwrap();
        assert_eq!(s.faults.len(), 3);
        assert!(matches!(s.faults[0].action, Action::Status { code: 503, .. }));
        assert_eq!(s.faults[0].when.times, Some(2));
        assert!(matches!(s.faults[2].action, Action::Delay));
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = "name: x\nfaults:\n  - at: idp.nowhere.token\n    status: 503\n  - at: fc.userinfo\n    id_token: { nonce: wrong }\n  - at: fc.token\n    status: 500\n    reset: true\n";
        let e = parse("s.yaml", text, &cfg()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("s.yaml:3: faults[0].at: `idp.nowhere.token`: unknown identity provider `nowhere`"),
            "{text}"
        );
        assert!(
            text.contains("s.yaml:6: faults[1].id_token: id_token faults go at `fc.token`"),
            "{text}"
        );
        assert!(text.contains("s.yaml:7: faults[2]: one fault does one thing"), "{text}");
        let unknown = parse("u.yaml", "name: x\nfaults:\n  - at: fc.token\n    staus: 503\n", &cfg()).unwrap_err();
        assert!(
            unknown.to_string().contains("u.yaml:4: unknown field `staus`"),
            "{unknown}"
        );
    }
}
