//! Persona files in JSON Lines (`*.jsonl`): one persona per line, with the
//! fields of a YAML persona entry; blank lines and lines starting with `#`
//! are skipped. YAML parsing costs about 40 µs per generated persona, which
//! makes 100,000 personas take seconds to load; a JSON parser on both cores
//! reads the same personas in a small fraction of that.
//!
//! Positions: JSON values carry no span, so errors name the file and the
//! persona's line ([`Located::line`]).

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, Spanned};

use std::collections::HashSet;

use super::{Errors, Located, unknown};
use crate::config::Source;
use crate::config::persona_set::{DEFER_FROM, LineRead, Span, id_hash, login_hash};
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

/// A persona line: its number, its byte range in the file, its trimmed text.
type Line<'a> = (u64, Range<usize>, &'a str);

/// What a `.jsonl` source gives: personas to build now, lines deferred.
pub(super) type JsonlPersonas = (Vec<Located<Box<RawPersona>>>, Vec<Skimmed>);

/// The persona lines of `text`, which starts at byte `base` of its file:
/// (line number within `text`, byte range in the file, trimmed text).
fn persona_lines(text: &str, base: usize) -> Vec<Line<'_>> {
    persona_lines_counted(text, base).0
}

/// [`persona_lines`], and how many lines `text` ends with a newline of.
fn persona_lines_counted(text: &str, base: usize) -> (Vec<Line<'_>>, u64) {
    let mut out = Vec::new();
    let mut start = base;
    let mut newlines = 0;
    for (i, raw) in text.split('\n').enumerate() {
        newlines = i as u64;
        let end = start + raw.len();
        let trimmed = raw.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            // The trimmed text's own range within the file.
            let offset = raw.len() - raw.trim_start().len();
            out.push((i as u64 + 1, start + offset..start + offset + trimmed.len(), trimmed));
        }
        start = end + 1;
    }
    (out, newlines)
}

/// The personas of a `.jsonl` source: built now, and deferred when `defer`
/// is set and the file has at least [`DEFER_FROM`] lines.
pub(super) fn read(source: &Source, defer: bool, idps: &[&str], errors: &mut Errors) -> JsonlPersonas {
    let text = &source.text;
    let many = text.bytes().filter(|b| *b == b'\n').nth(DEFER_FROM).is_some();
    if defer && many && u32::try_from(text.len()).is_ok() {
        skim(source, idps, errors)
    } else {
        let lines: Vec<(u64, &str)> = persona_lines(text, 0)
            .into_iter()
            .map(|(line, _, text)| (line, text))
            .collect();
        (personas(source, &lines, errors), Vec::new())
    }
}

/// What loading reads from a line it defers.
#[derive(Deserialize)]
struct Skim<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    accounts: Vec<SkimAccount<'a>>,
    rnipp: Option<IgnoredAny>,
    account_blocked: Option<IgnoredAny>,
    faults: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SkimAccount<'a> {
    #[serde(borrow)]
    idp: Cow<'a, str>,
    #[serde(borrow)]
    login: Cow<'a, str>,
}

/// A line of a large file, read but not built.
pub(super) struct Skimmed {
    pub(super) read: LineRead,
    /// What is wrong with an account: (account, field, message).
    problems: Vec<(usize, &'static str, String)>,
}

enum Read {
    Skimmed(Skimmed),
    /// Built at load: the line has faults, an RNIPP outcome or a blocked
    /// account, or an id or login written with escapes.
    Whole(u64, Box<RawPersona>),
    Bad(u64, String),
}

/// Where a string the parser borrowed lies in the file; `None` when it had
/// to be unescaped into a copy (which lies elsewhere).
fn span(text: &str, s: &str) -> Option<Span> {
    Span::within(text, s)
}

fn skimmed(file: &str, line: u64, range: &Range<usize>, s: &Skim<'_>, idps: &[&str]) -> Option<Skimmed> {
    if s.rnipp.is_some() || s.account_blocked.is_some() || s.faults.is_some() {
        return None;
    }
    let mut problems = Vec::new();
    let mut logins = Vec::with_capacity(s.accounts.len());
    for (j, a) in s.accounts.iter().enumerate() {
        if !idps.contains(&&*a.idp) {
            let known: HashSet<&str> = idps.iter().copied().collect();
            problems.push((j, "idp", unknown("identity provider", &a.idp, &known)));
        }
        if a.login.trim().is_empty() {
            problems.push((j, "login", "must not be empty".to_owned()));
        }
        logins.push((span(file, &a.idp)?, span(file, &a.login)?, login_hash(&a.idp, &a.login)));
    }
    Some(Skimmed {
        read: LineRead {
            index: 0,
            line,
            range: range.clone(),
            id: span(file, &s.id)?,
            id_hash: id_hash(&s.id),
            logins,
        },
        problems,
    })
}

/// Reads the lines of `file[from..to]` (line numbers counted from `from`),
/// and counts the newlines there.
fn skim_part(file: &str, from: usize, to: usize, idps: &[&str]) -> (Vec<Read>, u64) {
    let part = file.get(from..to).unwrap_or_default();
    let (lines, newlines) = persona_lines_counted(part, from);
    let read = lines
        .into_iter()
        .map(|(line, range, text)| match serde_json::from_str::<Skim<'_>>(text) {
            Ok(s) => match skimmed(file, line, &range, &s, idps) {
                Some(read) => Read::Skimmed(read),
                None => match serde_json::from_str::<Box<RawPersona>>(text) {
                    Ok(p) => Read::Whole(line, p),
                    Err(e) => Read::Bad(line, message(&e)),
                },
            },
            Err(e) => Read::Bad(line, message(&e)),
        })
        .collect();
    (read, newlines)
}

/// Reads a large `.jsonl` source, each half of it on its own thread: the
/// lines to defer, and the few to build now.
fn skim(source: &Source, idps: &[&str], errors: &mut Errors) -> JsonlPersonas {
    let text = source.text.as_str();
    let half = text.len() / 2;
    let mid = text
        .get(half..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| half + i + 1);
    let ((first, lines_before), (mut second, _)) = std::thread::scope(|s| {
        let other = s.spawn(|| skim_part(text, mid, text.len(), idps));
        let first = skim_part(text, 0, mid, idps);
        (
            first,
            other.join().unwrap_or_else(|_| skim_part(text, mid, text.len(), idps)),
        )
    });
    for r in &mut second {
        match r {
            Read::Skimmed(s) => s.read.line += lines_before,
            Read::Whole(line, _) | Read::Bad(line, _) => *line += lines_before,
        }
    }
    let mut whole = Vec::new();
    let mut skimmed = Vec::with_capacity(first.len() + second.len());
    for (index, r) in first.into_iter().chain(second).enumerate() {
        match r {
            Read::Skimmed(mut s) => {
                for (j, field, message) in std::mem::take(&mut s.problems) {
                    let field = format!("personas[{index}].accounts[{j}].{field}");
                    errors.at(&source.name, s.read.line, field, message);
                }
                s.read.index = index;
                skimmed.push(s);
            }
            Read::Whole(line, persona) => whole.push(Located {
                file: source.name.clone(),
                index,
                line,
                item: Spanned::new(persona, Location::UNKNOWN, Location::UNKNOWN),
            }),
            Read::Bad(line, msg) => errors.at(&source.name, line, format!("personas[{index}]"), msg),
        }
    }
    (whole, skimmed)
}

/// Parses one deferred line as a whole persona.
pub(super) fn parse_one(text: &str) -> Result<Box<RawPersona>, String> {
    serde_json::from_str::<Box<RawPersona>>(text).map_err(|e| message(&e))
}

/// Every persona of a `.jsonl` source, parsed on two threads.
fn personas(source: &Source, lines: &[(u64, &str)], errors: &mut Errors) -> Vec<Located<Box<RawPersona>>> {
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
