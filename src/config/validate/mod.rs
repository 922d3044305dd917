//! Phase two of configuration: check values and references, build the model.

use std::collections::HashSet;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::raw::{
    RawAccount, RawAutoLogin, RawClient, RawDataProvider, RawDocument, RawIdentity, RawIdp, RawPersona, RawPlatform,
    RawRelative, Regime, RnippOutcome,
};
use super::{
    Account, Address, AutoLogin, Client, ClientType, Config, ConfigError, ConfigErrors, CredentialStyle, DataProvider,
    Family, IdpConfig, IdpSource, LocalAccount, Persona, PlatformSettings, Relative, Source, Tax,
};
use crate::cog;
use crate::crypto::Alg;
use crate::identity::{GENDERS, Identity, check_birthdate};
use crate::oidc::scopes;

mod client;
mod data_provider;
mod deferred;
mod identity;
mod idp;
mod jsonl;
mod persona;
mod platform;
#[cfg(test)]
mod tests;

use client::build_client;
use data_provider::build_data_provider;
pub(super) use deferred::build_deferred;
use idp::build_idp;
use persona::{attach_persona_faults, build_personas, persona_faults};
use platform::build_platform;

const ACR_VALUES: [&str; 3] = ["eidas1", "eidas2", "eidas3"];
const PROMPTS: [&str; 2] = ["login", "consent"];

/// Collects errors while building; the second field is the line of the
/// entry being built, for values whose own position is unknown (JSON Lines).
struct Errors(Vec<ConfigError>, u64);

impl Errors {
    fn at(&mut self, file: &str, line: u64, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError {
            file: file.to_owned(),
            line: if line == 0 { self.1 } else { line },
            field: field.into(),
            message: message.into(),
        });
    }
    fn spanned<T>(&mut self, file: &str, s: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) {
        self.at(file, s.referenced.line(), field, message);
    }
    /// An entry's `id` must be a slug; `why` says what depends on it.
    fn slug_id(&mut self, file: &str, id: &Spanned<String>, at: &str, why: &str) {
        if !is_slug(&id.value) {
            self.spanned(
                file,
                id,
                format!("{at}.id"),
                format!("must be lowercase letters, digits, `-` or `_`{why}"),
            );
        }
    }
}

/// An entry with the file it came from (named `Located` so that it does not
/// shadow the standard `From` trait).
struct Located<T> {
    file: String,
    /// Position in its own file, for field paths the user can find.
    index: usize,
    /// The entry's line (JSON Lines values have no spans of their own).
    line: u64,
    item: Spanned<T>,
}

/// Builds the configuration; with `defer`, the personas of large JSON Lines
/// files are read now and built on demand (see [`crate::config::PersonaSet`]).
pub(super) fn build(mut sources: Vec<Source>, defer: bool) -> Result<Config, ConfigErrors> {
    let mut errors = Errors(Vec::new(), 0);
    let mut platform: Vec<(String, RawPlatform)> = Vec::new();
    let mut clients: Vec<Located<RawClient>> = Vec::new();
    let mut idps: Vec<Located<RawIdp>> = Vec::new();
    let mut personas: Vec<Located<Box<RawPersona>>> = Vec::new();
    let mut data_providers: Vec<Located<RawDataProvider>> = Vec::new();
    let mut skimmed: Vec<(usize, jsonl::Skimmed)> = Vec::new();

    // YAML files first: JSON Lines files check their accounts against the
    // identity providers as they are read.
    let documents: Vec<Option<Result<RawDocument, serde_saphyr::Error>>> = sources
        .iter()
        .map(|src| {
            (!src.text.trim().is_empty() && !jsonl::is_jsonl(src))
                .then(|| crate::config::yaml::from_str::<RawDocument>(&src.text))
        })
        .collect();
    let idp_ids: Vec<&str> = documents
        .iter()
        .flatten()
        .flatten()
        .flat_map(|d| d.identity_providers.iter().map(|i| i.value.id.value.as_str()))
        .collect();
    let mut jsonl_read: Vec<Option<jsonl::JsonlPersonas>> = sources
        .iter()
        .map(|src| {
            (!src.text.trim().is_empty() && jsonl::is_jsonl(src))
                .then(|| jsonl::read(src, defer, &idp_ids, &mut errors))
        })
        .collect();
    drop(idp_ids);

    for (src_index, (src, document)) in sources.iter().zip(documents).enumerate() {
        if let Some((whole, later)) = jsonl_read.get_mut(src_index).and_then(Option::take) {
            personas.extend(whole);
            skimmed.extend(later.into_iter().map(|s| (src_index, s)));
            continue;
        }
        let Some(document) = document else { continue };
        match document {
            Ok(doc) => {
                if let Some(p) = doc.platform {
                    platform.push((src.name.clone(), p));
                }
                let file = || src.name.clone();
                clients.extend(doc.clients.into_iter().enumerate().map(|(index, item)| Located {
                    file: file(),
                    index,
                    line: item.referenced.line(),
                    item,
                }));
                idps.extend(
                    doc.identity_providers
                        .into_iter()
                        .enumerate()
                        .map(|(index, item)| Located {
                            file: file(),
                            index,
                            line: item.referenced.line(),
                            item,
                        }),
                );
                data_providers.extend(doc.data_providers.into_iter().enumerate().map(|(index, item)| Located {
                    file: file(),
                    index,
                    line: item.referenced.line(),
                    item,
                }));
                personas.extend(doc.personas.into_iter().enumerate().map(|(index, item)| Located {
                    file: file(),
                    index,
                    line: item.referenced.line(),
                    item,
                }));
            }
            Err(e) => {
                let line = e.location().map_or(0, |l| l.line());
                errors.at(&src.name, line, "", parse_message(&e));
            }
        }
    }
    if !errors.0.is_empty() {
        return Err(ConfigErrors(errors.0));
    }

    let clients = dedupe(clients, "clients", |c| c.client_id.value.clone(), &mut errors);
    let idps = dedupe(idps, "identity_providers", |i| i.id.value.clone(), &mut errors);
    let mut personas = dedupe(personas, "personas", |p| p.id.value.clone(), &mut errors);
    let skimmed = deferred::dedupe(&mut personas, skimmed, &sources, &mut errors);
    let raw_personas = &personas;

    let platform = build_platform(&platform, &mut errors);
    let idps: Vec<IdpConfig> = idps.iter().filter_map(|e| build_idp(e, e.index, &mut errors)).collect();
    let idp_ids: HashSet<&str> = idps.iter().map(|i| i.id.as_str()).collect();
    let personas: Vec<Persona> = build_personas(&personas, &idp_ids, &mut errors);
    // Logins are unique: checked while indexing them (`deferred::assemble`).
    let mut personas = personas;
    let deferred_ids = skimmed
        .iter()
        .map(|(src, s)| s.read.id.of(sources.get(*src).map_or("", |f| f.text.as_str())));
    attach_persona_faults(
        &mut personas,
        raw_personas,
        deferred_ids,
        &clients,
        &idp_ids,
        &mut errors,
    );
    let personas = deferred::assemble(personas, raw_personas, skimmed, &mut sources, &idp_ids, &mut errors);
    let clients: Vec<Client> = clients
        .iter()
        .filter_map(|e| build_client(e, e.index, &idp_ids, &personas, &mut errors))
        .collect();
    for (file, p) in &platform.1 {
        for hint in p {
            if !idp_ids.contains(hint.value.as_str()) {
                errors.spanned(
                    file,
                    hint,
                    "platform.allowed_idp_hints",
                    unknown("identity provider", &hint.value, &idp_ids),
                );
            }
        }
    }
    if !errors.0.is_empty() {
        return Err(ConfigErrors(errors.0));
    }
    let data_providers = dedupe(data_providers, "data_providers", |d| d.id.value.clone(), &mut errors);
    let data_providers: Vec<Arc<DataProvider>> = data_providers
        .iter()
        .filter_map(|e| build_data_provider(e, &mut errors))
        .map(Arc::new)
        .collect();
    if !errors.0.is_empty() {
        return Err(ConfigErrors(errors.0));
    }
    Ok(Config {
        data_providers,
        platform: platform.0,
        clients: clients.into_iter().map(Arc::new).collect(),
        idps: idps.into_iter().map(Arc::new).collect(),
        personas,
        sources: sources.iter().map(|s| s.name.clone()).collect(),
        clients_by_id: Default::default(),
        idps_by_id: Default::default(),
    })
}

/// Validates personas added at run time against a configuration in force:
/// the document may hold only `personas`; identity providers and clients
/// must exist; logins stay unique (a persona with an existing id replaces it).
pub(super) fn add_personas(config: &Config, source: &Source) -> Result<Vec<Persona>, ConfigErrors> {
    let mut errors = Errors(Vec::new(), 0);
    let doc = match crate::config::yaml::from_str::<RawDocument>(&source.text) {
        Ok(d) => d,
        Err(e) => {
            let line = e.location().map_or(0, |l| l.line());
            errors.at(&source.name, line, "", parse_message(&e));
            return Err(ConfigErrors(errors.0));
        }
    };
    if doc.platform.is_some() || !doc.clients.is_empty() || !doc.identity_providers.is_empty() {
        errors.at(
            &source.name,
            0,
            "",
            "only `personas:` can be added at run time; restart with --config to change anything else",
        );
    }
    if doc.personas.is_empty() {
        errors.at(&source.name, 0, "personas", "no persona to add: send `personas: [ … ]`");
    }
    let idp_ids: HashSet<&str> = config.idps.iter().map(|i| i.id.as_str()).collect();
    let raw: Vec<Located<Box<RawPersona>>> = doc
        .personas
        .into_iter()
        .enumerate()
        .map(|(index, item)| Located {
            file: source.name.clone(),
            index,
            line: item.referenced.line(),
            item,
        })
        .collect();
    let mut new_personas: Vec<Persona> = build_personas(&raw, &idp_ids, &mut errors);
    let new_ids: HashSet<&str> = new_personas.iter().map(|p| p.id.as_str()).collect();
    // Logins stay unique: among the new personas, and against the ones kept.
    let places: rustc_hash::FxHashMap<&str, crate::config::persona_set::Place<'_>> = raw
        .iter()
        .map(|e| (e.item.value.id.value.as_str(), (e.file.as_str(), e.line, e.index)))
        .collect();
    let mut seen: rustc_hash::FxHashMap<(&str, &str), &str> = rustc_hash::FxHashMap::default();
    for p in &new_personas {
        let (file, line, index) = places.get(p.id.as_str()).copied().unwrap_or((&source.name, 0, 0));
        for a in &p.accounts {
            let other = seen
                .insert((a.idp.as_str(), a.login.as_str()), p.id.as_str())
                .or_else(|| {
                    config
                        .personas
                        .login_holder(&a.idp, &a.login)
                        .filter(|o| !new_ids.contains(o))
                });
            if let Some(other) = other {
                let message = login_taken(&a.login, &a.idp, other, "");
                errors.at(file, line, format!("personas[{index}].accounts"), message);
            }
        }
    }
    let known = super::fault_parse::Known {
        clients: config.clients.iter().map(|c| c.client_id.clone()).collect(),
        personas: config
            .personas
            .ids()
            .chain(new_ids.iter().copied())
            .map(str::to_owned)
            .collect(),
        idps: idp_ids.iter().map(|i| (*i).to_owned()).collect(),
    };
    for e in &raw {
        let r = &e.item.value;
        let faults = persona_faults(e, &known, &mut errors);
        if let Some(p) = new_personas.iter_mut().find(|p| p.id == r.id.value) {
            p.faults = faults;
        }
    }
    if errors.0.is_empty() {
        Ok(new_personas)
    } else {
        Err(ConfigErrors(errors.0))
    }
}

/// Turns serde-saphyr's message into ours (position is reported separately).
pub(crate) fn parse_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let mut first = text.lines().next().unwrap_or("invalid YAML").trim();
    // serde-saphyr writes the position into its message; we print the line ourselves.
    first = first.strip_prefix("error: ").unwrap_or(first);
    if let Some(rest) = first.strip_prefix("line ")
        && let Some((_, msg)) = rest.split_once(": ")
    {
        first = msg;
    }
    with_advice(first.split(" at line ").next().unwrap_or(first))
}

/// A parser's message with what to do about it, when that is plain.
pub(crate) fn with_advice(message: &str) -> String {
    if message.contains("unknown field") {
        format!("{message}; remove the field or fix its spelling")
    } else if message.contains("unknown variant") {
        format!("{message}; use one of the listed values")
    } else {
        message.to_owned()
    }
}

/// Later entries with the same key replace earlier ones from the default
/// bundle (user files override it), keeping the first position. Two entries
/// with the same key from the user's own files are an error naming both
/// places: one would silently hide the other.
fn dedupe<T>(items: Vec<Located<T>>, what: &str, key: impl Fn(&T) -> String, errors: &mut Errors) -> Vec<Located<T>> {
    let from_bundle = |file: &str| super::DEFAULT_BUNDLE.iter().any(|(name, _)| *name == file);
    let mut out: Vec<Located<T>> = Vec::new();
    let mut pos: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
    for item in items {
        let k = key(&item.item.value);
        match pos.get(&k) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    if !from_bundle(&slot.file) {
                        errors.at(
                            &item.file,
                            item.line,
                            format!("{what}[{}]", item.index),
                            format!(
                                "`{k}` is already defined at {}:{}; give one of them another id",
                                slot.file, slot.line
                            ),
                        );
                        continue;
                    }
                    *slot = item;
                }
            }
            None => {
                pos.insert(k, out.len());
                out.push(item);
            }
        }
    }
    out
}

/// A login another persona holds already (`there`: where that one is, if told).
fn login_taken(login: &str, idp: &str, holder: &str, there: &str) -> String {
    format!(
        "login `{login}` at `{idp}` is already used by persona `{holder}`{there}; logins must be unique per identity provider"
    )
}

fn unknown(what: &str, value: &str, known: &HashSet<&str>) -> String {
    let mut list: Vec<&str> = known.iter().copied().collect();
    list.sort_unstable();
    format!("unknown {what} `{value}`; known: {}", list.join(", "))
}

/// A PEM key: the configured file (an unreadable one is reported at its
/// line), else the committed key of a built-in provider with this `id`.
fn key_text(
    path: Option<&Spanned<String>>,
    builtin: &[(&str, &str)],
    id: &str,
    (file, field): (&str, &str),
    errors: &mut Errors,
) -> Option<String> {
    match path {
        Some(path) => match std::fs::read_to_string(&path.value) {
            Ok(text) => Some(text),
            Err(err) => {
                errors.spanned(file, path, field, format!("cannot read `{}`: {err}", path.value));
                None
            }
        },
        None => builtin.iter().find(|(k, _)| *k == id).map(|(_, pem)| (*pem).to_owned()),
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
