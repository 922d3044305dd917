//! Deferred personas (large JSON Lines files): what loading checks from the
//! lines it only reads, where they go among the built personas, and how one
//! is built when asked for.

use serde_saphyr::Location;

use super::jsonl::Skimmed;
use super::*;
use crate::config::persona_set::{Deferred, DeferredFile, PersonaSet, Place, Slot};

/// Deferred lines whose id another persona has: one from the default bundle
/// gives way (as with any file), one from the user's files is an error
/// naming both places, as [`dedupe`] says.
pub(super) fn dedupe(
    raw: &mut Vec<Located<Box<RawPersona>>>,
    skimmed: Vec<(usize, Skimmed)>,
    sources: &[Source],
    errors: &mut Errors,
) -> Vec<(usize, Skimmed)> {
    let name = |src: usize| sources.get(src).map_or("", |s| s.name.as_str());
    let text = |src: usize| sources.get(src).map_or("", |s| s.text.as_str());
    if skimmed.is_empty() {
        return skimmed;
    }
    let from_bundle = |file: &str| crate::config::DEFAULT_BUNDLE.iter().any(|(name, _)| *name == file);
    // Which lines to drop (a duplicate) and which built personas give way,
    // found with borrowed keys; then the moves.
    let mut drop_line: Vec<bool> = vec![false; skimmed.len()];
    let mut give_way: HashSet<String> = HashSet::new();
    {
        let mut seen: rustc_hash::FxHashMap<&str, (&str, u64, bool)> = rustc_hash::FxHashMap::default();
        seen.reserve(raw.len() + skimmed.len());
        for e in raw.iter() {
            seen.insert(&e.item.value.id.value, (&e.file, e.line, from_bundle(&e.file)));
        }
        for (k, (src, s)) in skimmed.iter().enumerate() {
            let id = s.read.id.of(text(*src));
            match seen.get(id) {
                Some((_, _, true)) => {
                    give_way.insert(id.to_owned());
                }
                Some((file, line, false)) => {
                    errors.at(
                        name(*src),
                        s.read.line,
                        format!("personas[{}]", s.read.index),
                        format!("`{id}` is already defined at {file}:{line}; give one of them another id"),
                    );
                    if let Some(d) = drop_line.get_mut(k) {
                        *d = true;
                    }
                    continue;
                }
                None => {}
            }
            seen.insert(id, (name(*src), s.read.line, false));
        }
    }
    if !give_way.is_empty() {
        raw.retain(|e| !give_way.contains(&e.item.value.id.value));
    }
    skimmed
        .into_iter()
        .zip(drop_line)
        .filter_map(|(s, dropped)| (!dropped).then_some(s))
        .collect()
}

/// The set: built personas in their order, deferred ones placed by file and line.
pub(super) fn assemble(
    built: Vec<Persona>,
    raw: &[Located<Box<RawPersona>>],
    skimmed: Vec<(usize, Skimmed)>,
    sources: &mut [Source],
    idps: &HashSet<&str>,
    errors: &mut Errors,
) -> PersonaSet {
    // Where each built persona's entry is: for its order among the
    // deferred lines, and for messages.
    let places: rustc_hash::FxHashMap<&str, Place<'_>> = raw
        .iter()
        .map(|e| (e.item.value.id.value.as_str(), (e.file.as_str(), e.line, e.index)))
        .collect();
    let source_index: rustc_hash::FxHashMap<&str, usize> =
        sources.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    let built: Vec<((usize, u64), Slot)> = built
        .into_iter()
        .map(|p| {
            let at = places
                .get(p.id.as_str())
                .and_then(|(file, line, _)| Some((*source_index.get(file)?, *line)))
                .unwrap_or((usize::MAX, 0));
            (at, Slot::Built(Arc::new(p)))
        })
        .collect();
    drop(source_index);
    // Each deferred file's text and entries move into the set.
    let mut idp_list: Vec<String> = idps.iter().map(|i| (*i).to_owned()).collect();
    idp_list.sort_unstable();
    let mut by_source: Vec<(usize, Vec<Skimmed>)> = Vec::new();
    for (src, s) in skimmed {
        match by_source.last_mut() {
            Some((last, entries)) if *last == src => entries.push(s),
            _ => by_source.push((src, vec![s])),
        }
    }
    let mut later_slots: Vec<((usize, u64), Slot)> = Vec::new();
    for (src, entries) in by_source {
        let Some(source) = sources.get_mut(src) else { continue };
        let lines: Vec<u64> = entries.iter().map(|s| s.read.line).collect();
        let file = Arc::new(DeferredFile {
            name: source.name.clone(),
            text: std::mem::take(&mut source.text),
            idps: idp_list.clone(),
            entries: entries
                .into_iter()
                .map(|s| Deferred {
                    read: s.read,
                    built: std::sync::OnceLock::new(),
                })
                .collect(),
        });
        later_slots.extend(lines.into_iter().enumerate().map(|(i, line)| {
            (
                (src, line),
                Slot::Deferred(file.clone(), u32::try_from(i).unwrap_or(u32::MAX)),
            )
        }));
    }
    let mut later = later_slots.into_iter().peekable();
    let mut slots = Vec::with_capacity(built.len() + later.size_hint().0);
    for (at, slot) in built {
        while let Some(next) = later.next_if(|(d, _)| *d < at) {
            slots.push(next.1);
        }
        slots.push(slot);
    }
    slots.extend(later.map(|(_, slot)| slot));
    let (set, twice) = PersonaSet::indexed(slots);
    report_logins_held_twice(&set, twice, &places, errors);
    set
}

/// Reports each login held twice at the second holder's entry, naming where
/// the first one is (a deferred line, or a built persona's entry).
fn report_logins_held_twice(
    set: &PersonaSet,
    twice: Vec<(String, String, u32, u32)>,
    places: &rustc_hash::FxHashMap<&str, Place<'_>>,
    errors: &mut Errors,
) {
    let place = |slot: u32| {
        let (id, deferred) = set.place(slot)?;
        Some((id, deferred.or_else(|| places.get(id).copied())))
    };
    for (idp, login, first, second) in twice {
        let (Some((first, first_at)), Some((second, second_at))) = (place(first), place(second)) else {
            continue;
        };
        let (file, line, field) = match second_at {
            Some((file, line, index)) => (file, line, format!("personas[{index}].accounts")),
            None => ("<config>", 0, format!("personas.{second}.accounts")),
        };
        let there = first_at.map_or_else(String::new, |(f, l, _)| format!(" ({f}:{l})"));
        errors.at(file, line, field, login_taken(&login, &idp, first, &there));
    }
}

/// Builds one deferred persona from its line, as loading would have.
pub(in crate::config) fn build_deferred(
    file: &DeferredFile,
    index: usize,
    line: u64,
    text: &str,
) -> Result<Persona, Vec<ConfigError>> {
    let raw = super::jsonl::parse_one(text).map_err(|message| {
        vec![ConfigError {
            file: file.name.clone(),
            line,
            field: format!("personas[{index}]"),
            message,
        }]
    })?;
    let located = Located {
        file: file.name.clone(),
        index,
        line,
        item: Spanned::new(raw, Location::UNKNOWN, Location::UNKNOWN),
    };
    let idps: HashSet<&str> = file.idps.iter().map(String::as_str).collect();
    let mut errors = Errors(Vec::new(), line);
    match persona::build_persona(&located, index, &idps, &mut errors) {
        Some(p) if errors.0.is_empty() => Ok(p),
        _ => Err(errors.0),
    }
}
