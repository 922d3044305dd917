//! The HTML report: one file, no external resource (styles inline), that
//! a CI job keeps as an artefact. Each failure shows its evidence, the rule
//! in French and English, the browser's steps and the journal of its flow
//! (every exchange, decoded tokens with their signature status).

use askama::Template;
use serde_json::Value;

use super::report::{Report, Verdict};

#[derive(Template)]
#[template(path = "portal_report.html")]
struct Page<'a> {
    report: &'a Report,
    summary: String,
    rows: Vec<Row<'a>>,
}

struct Row<'a> {
    verdict: &'static str,
    class: &'static str,
    o: &'a super::report::Outcome,
    exchanges: Vec<Ex>,
}

struct Ex {
    seq: u64,
    method: String,
    endpoint: String,
    status: u64,
    url: String,
    error_code: String,
    params: Vec<(String, String)>,
    jwts: Vec<Jwt>,
}

struct Jwt {
    location: String,
    header: String,
    claims: String,
    signature: &'static str,
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn exchange(v: &Value) -> Ex {
    let params = v
        .get("params")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|p| {
                    let pair = p.as_array()?;
                    Some((pair.first()?.as_str()?.to_owned(), pair.get(1)?.as_str()?.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    let jwts = v
        .get("jwts")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|j| Jwt {
                    location: s(j, "location"),
                    header: serde_json::to_string_pretty(j.get("header").unwrap_or(&Value::Null)).unwrap_or_default(),
                    claims: serde_json::to_string_pretty(j.get("claims").unwrap_or(&Value::Null)).unwrap_or_default(),
                    signature: match j.get("signature_verified").and_then(Value::as_bool) {
                        Some(true) => "signature verified",
                        Some(false) => "signature does NOT verify",
                        None => "signature not checked (foreign issuer)",
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    Ex {
        seq: v.get("seq").and_then(Value::as_u64).unwrap_or_default(),
        method: s(v, "method"),
        endpoint: s(v, "endpoint"),
        status: v.get("status").and_then(Value::as_u64).unwrap_or_default(),
        url: s(v, "url"),
        error_code: s(v, "error_code"),
        params,
        jwts,
    }
}

/// The report as one HTML document.
pub(super) fn render(report: &Report) -> String {
    let rows = report
        .outcomes
        .iter()
        .map(|o| Row {
            verdict: o.verdict.word(),
            class: match o.verdict {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
                Verdict::Inconclusive => "inconclusive",
            },
            o,
            exchanges: o.exchanges.iter().map(exchange).collect(),
        })
        .collect();
    let page = Page {
        report,
        summary: report.summary(),
        rows,
    };
    page.render()
        .unwrap_or_else(|e| format!("<!doctype html><p>report could not be rendered: {e}</p>"))
}

impl Report {
    /// The self-contained HTML report.
    pub fn html(&self) -> String {
        render(self)
    }
}
