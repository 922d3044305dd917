//! What a check or journey run found, and its three forms: plain text for
//! a terminal or a CI log, JUnit XML for CI dashboards, and one
//! self-contained HTML file (`report_html`).

use serde::Serialize;
use serde_json::Value;

/// A check's or a journey's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    /// The portal did what it must not (or failed to do what it must).
    Fail,
    /// The run could not tell, and says why.
    Inconclusive,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// One check's or journey's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Stable name (`id_token.signature_bad`, a journey's name).
    pub id: String,
    pub title: String,
    /// Group in reports (`happy path`, `request rules`, `token faults`…).
    pub group: String,
    pub verdict: Verdict,
    /// What happened, in one or two sentences.
    pub detail: String,
    /// The facts that prove a failure (marker seen, endpoint called…).
    pub evidence: Vec<String>,
    /// The rule behind the check, in French and in English.
    pub rule_fr: String,
    pub rule_en: String,
    /// The browser's requests, in order.
    pub steps: Vec<String>,
    /// The journal's exchanges of the flow (kept for failures only).
    pub exchanges: Vec<Value>,
    pub millis: u64,
}

impl Outcome {
    pub fn new(id: &str, title: &str, group: &str) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            group: group.to_owned(),
            verdict: Verdict::Inconclusive,
            detail: String::new(),
            evidence: Vec::new(),
            rule_fr: String::new(),
            rule_en: String::new(),
            steps: Vec::new(),
            exchanges: Vec::new(),
            millis: 0,
        }
    }

    /// This outcome with `verdict` and `detail`.
    pub fn judged(mut self, verdict: Verdict, detail: impl Into<String>) -> Self {
        self.verdict = verdict;
        self.detail = detail.into();
        self
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `fcmock check` or `fcmock scenario run`.
    pub suite: String,
    /// The portal, as given.
    pub portal: String,
    /// The fcmock used.
    pub fcmock: String,
    pub outcomes: Vec<Outcome>,
    pub millis: u64,
}

impl Report {
    pub fn count(&self, v: Verdict) -> usize {
        self.outcomes.iter().filter(|o| o.verdict == v).count()
    }

    /// Whether any outcome failed.
    pub fn failed(&self) -> bool {
        self.count(Verdict::Fail) > 0
    }

    /// One line per outcome, then failures in detail, then the totals.
    pub fn text(&self, explain: bool) -> String {
        let mut out = String::new();
        for o in &self.outcomes {
            out.push_str(&line(o));
            out.push('\n');
        }
        let failures: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.verdict == Verdict::Fail).collect();
        if !failures.is_empty() {
            out.push_str("\nFailures:\n");
        }
        for o in failures {
            out.push_str(&format!("\n✗ {} — {}\n  {}\n", o.id, o.title, o.detail));
            for e in &o.evidence {
                out.push_str(&format!("  evidence: {e}\n"));
            }
            if explain {
                out.push_str(&format!("  règle : {}\n  rule: {}\n", o.rule_fr, o.rule_en));
            }
        }
        out.push_str(&format!("\n{}\n", self.summary()));
        out
    }

    /// `40 checks: 29 pass, 11 fail, 0 inconclusive (1.4 s)`.
    pub fn summary(&self) -> String {
        let noun = if self.suite.contains("check") {
            "checks"
        } else {
            "journeys"
        };
        format!(
            "{} {noun}: {} pass, {} fail, {} inconclusive ({:.1} s)",
            self.outcomes.len(),
            self.count(Verdict::Pass),
            self.count(Verdict::Fail),
            self.count(Verdict::Inconclusive),
            self.millis as f64 / 1000.0
        )
    }

    /// JUnit XML: one test suite, one test case per outcome; a failure for
    /// FAIL, `skipped` for INCONCLUSIVE.
    pub fn junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">\n",
            xml(&self.suite),
            self.outcomes.len(),
            self.count(Verdict::Fail),
            self.count(Verdict::Inconclusive),
            self.millis as f64 / 1000.0
        ));
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">\n",
            xml(&format!("{} {}", self.suite, self.portal)),
            self.outcomes.len(),
            self.count(Verdict::Fail),
            self.count(Verdict::Inconclusive),
            self.millis as f64 / 1000.0
        ));
        for o in &self.outcomes {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml(&o.group),
                xml(&format!("{} — {}", o.id, o.title)),
                o.millis as f64 / 1000.0
            ));
            match o.verdict {
                Verdict::Pass => out.push_str("/>\n"),
                Verdict::Fail => {
                    let mut body = o.evidence.join("\n");
                    body.push_str(&format!("\nrule: {}\nrègle : {}", o.rule_en, o.rule_fr));
                    out.push_str(&format!(
                        ">\n      <failure message=\"{}\" type=\"FAIL\">{}</failure>\n    </testcase>\n",
                        xml(&o.detail),
                        xml(&body)
                    ));
                }
                Verdict::Inconclusive => out.push_str(&format!(
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    xml(&o.detail)
                )),
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// `PASS  id  title`, the detail after a FAIL or INCONCLUSIVE.
pub fn line(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Pass => format!("PASS          {} — {}", o.id, o.title),
        v => format!("{:<13} {} — {}: {}", v.word(), o.id, o.title, o.detail),
    }
}

/// Escapes text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos; ");
    }
}
