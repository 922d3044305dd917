//! Phase two of configuration: check values and references, build the model.

use std::collections::{HashMap, HashSet};
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

/// Embedded keys of the default identity providers.
const BUILTIN_IDP_KEYS: [(&str, &str); 5] = [
    ("impots", include_str!("../../keys/idp-impots-rs256.pem")),
    ("ameli", include_str!("../../keys/idp-ameli-es256.pem")),
    ("laposte", include_str!("../../keys/idp-laposte-es256.pem")),
    ("msa", include_str!("../../keys/idp-msa-es256.pem")),
    (
        "franceidentite",
        include_str!("../../keys/idp-franceidentite-es256.pem"),
    ),
];

const ACR_VALUES: [&str; 3] = ["eidas1", "eidas2", "eidas3"];
const PROMPTS: [&str; 2] = ["login", "consent"];

/// Collects errors while building.
struct Errors(Vec<ConfigError>);

impl Errors {
    fn at(&mut self, file: &str, line: u64, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError {
            file: file.to_owned(),
            line,
            field: field.into(),
            message: message.into(),
        });
    }
    fn spanned<T>(&mut self, file: &str, s: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) {
        self.at(file, s.referenced.line(), field, message);
    }
}

/// An entry with the file it came from.
struct From<T> {
    file: String,
    /// Position in its own file, for field paths the user can find.
    index: usize,
    item: Spanned<T>,
}

pub(super) fn build(sources: &[Source]) -> Result<Config, ConfigErrors> {
    let mut errors = Errors(Vec::new());
    let mut platform: Vec<(String, RawPlatform)> = Vec::new();
    let mut clients: Vec<From<RawClient>> = Vec::new();
    let mut idps: Vec<From<RawIdp>> = Vec::new();
    let mut personas: Vec<From<RawPersona>> = Vec::new();
    let mut data_providers: Vec<From<RawDataProvider>> = Vec::new();

    for src in sources {
        if src.text.trim().is_empty() {
            continue;
        }
        match serde_saphyr::from_str::<RawDocument>(&src.text) {
            Ok(doc) => {
                if let Some(p) = doc.platform {
                    platform.push((src.name.clone(), p));
                }
                let file = || src.name.clone();
                clients.extend(doc.clients.into_iter().enumerate().map(|(index, item)| From {
                    file: file(),
                    index,
                    item,
                }));
                idps.extend(
                    doc.identity_providers
                        .into_iter()
                        .enumerate()
                        .map(|(index, item)| From {
                            file: file(),
                            index,
                            item,
                        }),
                );
                data_providers.extend(doc.data_providers.into_iter().enumerate().map(|(index, item)| From {
                    file: file(),
                    index,
                    item,
                }));
                personas.extend(doc.personas.into_iter().enumerate().map(|(index, item)| From {
                    file: file(),
                    index,
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

    let clients = dedupe(clients, |c| c.client_id.value.clone());
    let idps = dedupe(idps, |i| i.id.value.clone());
    let personas = dedupe(personas, |p| p.id.value.clone());
    let raw_personas = &personas;

    let platform = build_platform(&platform, &mut errors);
    let idps: Vec<IdpConfig> = idps.iter().filter_map(|e| build_idp(e, e.index, &mut errors)).collect();
    let idp_ids: HashSet<&str> = idps.iter().map(|i| i.id.as_str()).collect();
    let personas: Vec<Persona> = personas
        .iter()
        .filter_map(|e| build_persona(e, e.index, &idp_ids, &mut errors))
        .collect();
    check_unique_logins(&personas, &mut errors);
    let mut personas = personas;
    attach_persona_faults(&mut personas, raw_personas, &clients, &idp_ids, &mut errors);
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
    let data_providers = dedupe(data_providers, |d| d.id.value.clone());
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
        personas: personas.into_iter().map(Arc::new).collect(),
        sources: sources.iter().map(|s| s.name.clone()).collect(),
        clients_by_id: HashMap::new(),
        idps_by_id: HashMap::new(),
        personas_by_id: HashMap::new(),
    })
}

/// Validates personas added at run time against a configuration in force:
/// the document may hold only `personas`; identity providers and clients
/// must exist; logins stay unique (a persona with an existing id replaces it).
pub(super) fn add_personas(config: &Config, source: &Source) -> Result<Vec<Persona>, ConfigErrors> {
    let mut errors = Errors(Vec::new());
    let doc = match serde_saphyr::from_str::<RawDocument>(&source.text) {
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
    let raw: Vec<From<RawPersona>> = doc
        .personas
        .into_iter()
        .enumerate()
        .map(|(index, item)| From {
            file: source.name.clone(),
            index,
            item,
        })
        .collect();
    let mut added: Vec<Persona> = raw
        .iter()
        .filter_map(|e| build_persona(e, e.index, &idp_ids, &mut errors))
        .collect();
    let new_ids: HashSet<&str> = added.iter().map(|p| p.id.as_str()).collect();
    let mut all: Vec<Persona> = config
        .personas
        .iter()
        .filter(|p| !new_ids.contains(p.id.as_str()))
        .map(|p| (**p).clone())
        .collect();
    let first_new = all.len();
    all.append(&mut added);
    check_unique_logins(&all, &mut errors);
    let known = super::fault_parse::Known {
        clients: config.clients.iter().map(|c| c.client_id.clone()).collect(),
        personas: all.iter().map(|p| p.id.clone()).collect(),
        idps: idp_ids.iter().map(|i| (*i).to_owned()).collect(),
    };
    let mut new_personas = all.split_off(first_new);
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
    let first = first.split(" at line ").next().unwrap_or(first);
    if first.contains("unknown field") {
        format!("{first}; remove the field or fix its spelling")
    } else if first.contains("unknown variant") {
        format!("{first}; use one of the listed values")
    } else {
        first.to_owned()
    }
}

/// Later entries with the same key replace earlier ones (user files override
/// the default bundle), keeping the first position.
fn dedupe<T>(items: Vec<From<T>>, key: impl Fn(&T) -> String) -> Vec<From<T>> {
    let mut out: Vec<From<T>> = Vec::new();
    let mut pos: HashMap<String, usize> = HashMap::new();
    for item in items {
        let k = key(&item.item.value);
        match pos.get(&k) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
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

fn unknown(what: &str, value: &str, known: &HashSet<&str>) -> String {
    let mut list: Vec<&str> = known.iter().copied().collect();
    list.sort_unstable();
    format!("unknown {what} `{value}`; known: {}", list.join(", "))
}

type PlatformOut<'a> = (PlatformSettings, Vec<(String, Vec<Spanned<String>>)>);

fn build_platform(layers: &[(String, RawPlatform)], errors: &mut Errors) -> PlatformOut<'static> {
    let mut s = PlatformSettings {
        sub_secret: String::new(),
        code_ttl: 30,
        access_token_ttl: 60,
        id_token_ttl: 60,
        session_ttl: 1800,
        fcplus_session_ttl: 600,
        fcplus_path: crate::paths::FCPLUS_PREFIX.to_owned(),
        allowed_idp_hints: Vec::new(),
        reject_unknown_authorize_params: true,
        store_capacity: 20_000,
        journal_capacity: 10_000,
        seed: None,
    };
    let mut hints: Vec<(String, Vec<Spanned<String>>)> = Vec::new();
    for (file, p) in layers {
        if let Some(v) = &p.sub_secret {
            if v.value.len() < 16 {
                errors.spanned(file, v, "platform.sub_secret", "must have at least 16 characters");
            }
            s.sub_secret.clone_from(&v.value);
        }
        for (name, field, slot) in [
            ("code_ttl", &p.code_ttl, &mut s.code_ttl),
            ("access_token_ttl", &p.access_token_ttl, &mut s.access_token_ttl),
            ("id_token_ttl", &p.id_token_ttl, &mut s.id_token_ttl),
            ("session_ttl", &p.session_ttl, &mut s.session_ttl),
            ("fcplus_session_ttl", &p.fcplus_session_ttl, &mut s.fcplus_session_ttl),
        ] {
            if let Some(v) = field {
                if v.value == 0 || v.value > 86_400 {
                    errors.spanned(
                        file,
                        v,
                        format!("platform.{name}"),
                        "must be between 1 and 86400 seconds",
                    );
                }
                *slot = v.value;
            }
        }
        if let Some(v) = &p.fcplus_path {
            if let Err(why) = check_fcplus_path(&v.value) {
                errors.spanned(file, v, "platform.fcplus_path", why);
            }
            s.fcplus_path.clone_from(&v.value);
        }
        if let Some(v) = &p.allowed_idp_hints {
            s.allowed_idp_hints = v.iter().map(|h| h.value.clone()).collect();
            hints.push((file.clone(), v.clone()));
        }
        if let Some(v) = p.reject_unknown_authorize_params {
            s.reject_unknown_authorize_params = v;
        }
        if let Some(v) = &p.store_capacity {
            if v.value < 10 {
                errors.spanned(file, v, "platform.store_capacity", "must be at least 10");
            }
            s.store_capacity = usize::try_from(v.value).unwrap_or(usize::MAX);
        }
        if let Some(v) = p.journal_capacity {
            s.journal_capacity = usize::try_from(v).unwrap_or(usize::MAX).min(1_000_000);
        }
        if p.seed.is_some() {
            s.seed = p.seed;
        }
    }
    if s.sub_secret.is_empty() {
        errors.at(
            layers.first().map_or("<config>", |(f, _)| f.as_str()),
            0,
            "platform.sub_secret",
            "missing; set a secret of at least 16 characters",
        );
    }
    (s, hints)
}

/// FranceConnect+'s path: absolute, no trailing `/`, clear of fcmock's other roots.
fn check_fcplus_path(path: &str) -> Result<(), String> {
    let expected = "expected an absolute path such as `/fcplus/api/v2`";
    if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
        return Err(format!("`{path}`: {expected}, without a trailing `/`"));
    }
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) || path.contains("//") {
        return Err(format!("`{path}`: {expected} (letters, digits, `-`, `_`, `.`)"));
    }
    let taken = [
        crate::paths::FC_PREFIX,
        crate::paths::IDP_PREFIX,
        crate::paths::DP_PREFIX,
        "/_fcmock",
    ];
    if let Some(root) = taken
        .iter()
        .find(|t| path == **t || path.starts_with(&format!("{t}/")) || t.starts_with(&format!("{path}/")))
    {
        return Err(format!("`{path}` overlaps `{root}`, which fcmock already serves"));
    }
    Ok(())
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

fn build_idp(e: &From<RawIdp>, index: usize, errors: &mut Errors) -> Option<IdpConfig> {
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("identity_providers[{index}]");
    let before = errors.0.len();
    if !is_slug(&r.id.value) {
        errors.spanned(
            file,
            &r.id,
            format!("{at}.id"),
            "must be lowercase letters, digits, `-` or `_` (it is used in URLs)",
        );
    }
    let acr: Vec<String> = match &r.acr {
        Some(list) => {
            for a in list {
                if !ACR_VALUES.contains(&a.value.as_str()) {
                    errors.spanned(
                        file,
                        a,
                        format!("{at}.acr"),
                        format!("`{}` is not one of eidas1, eidas2, eidas3", a.value),
                    );
                }
            }
            list.iter().map(|a| a.value.clone()).collect()
        }
        None => vec!["eidas1".to_owned()],
    };
    let amr = r.amr.as_ref().map_or_else(
        || vec!["pwd".to_owned()],
        |l| l.iter().map(|a| a.value.clone()).collect(),
    );
    let source = match &r.discovery_url {
        Some(d) => {
            if url::Url::parse(&d.value).is_err() {
                errors.spanned(file, d, format!("{at}.discovery_url"), "not an absolute URL");
            }
            if r.hub_client_id.is_none() || r.hub_client_secret.is_none() {
                errors.spanned(
                    file,
                    &e.item,
                    &at,
                    "an external identity provider needs hub_client_id and hub_client_secret (the hub's registration there)",
                );
            }
            IdpSource::External {
                discovery_url: d.value.clone(),
            }
        }
        None => {
            let key_pem = key_text(
                r.signing_key_file.as_ref(),
                &BUILTIN_IDP_KEYS,
                &r.id.value,
                (file, &format!("{at}.signing_key_file")),
                errors,
            );
            IdpSource::Builtin { key_pem }
        }
    };
    let signing_alg = r.signing_alg.unwrap_or(Alg::ES256);
    if errors.0.len() > before {
        return None;
    }
    Some(IdpConfig {
        id: r.id.value.clone(),
        name: r.name.value.clone(),
        active: r.active.unwrap_or(true),
        credential: r.credential.unwrap_or(CredentialStyle::Login),
        acr,
        amr,
        signing_alg,
        hub_client_id: r
            .hub_client_id
            .as_ref()
            .map_or_else(|| format!("fcmock-hub-at-{}", r.id.value), |v| v.value.clone()),
        hub_client_secret: r
            .hub_client_secret
            .as_ref()
            .map_or_else(|| format!("fcmock-hub-secret-{}", r.id.value), |v| v.value.clone()),
        source,
        platforms: r.platforms.clone().unwrap_or_else(|| vec![super::PlatformKind::Fc]),
    })
}

/// Builds an identity from a full block (`base` = None) or an override of `base`.
fn build_identity(
    file: &str,
    block: &Spanned<RawIdentity>,
    at: &str,
    base: Option<&Identity>,
    errors: &mut Errors,
) -> Option<Identity> {
    let r = &block.value;
    let before = errors.0.len();
    // An account's identity is what an identity provider holds: it may lack a
    // birthplace or an e-mail, or hold a free-text foreign birthplace. Such
    // identities are accepted here; FranceConnect refuses them at login (Y600006).
    let lenient = base.is_some();
    let mut need = |field: &Option<Spanned<String>>, name: &str, from_base: Option<&String>| -> String {
        match (field, from_base) {
            (Some(v), _) => v.value.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => {
                errors.spanned(file, block, format!("{at}.{name}"), "missing; this field is required");
                String::new()
            }
        }
    };
    let given_name = need(&r.given_name, "given_name", base.map(|b| &b.given_name));
    let family_name = need(&r.family_name, "family_name", base.map(|b| &b.family_name));
    let gender = need(&r.gender, "gender", base.map(|b| &b.gender));
    let birthdate = need(&r.birthdate, "birthdate", base.map(|b| &b.birthdate));
    let birthcountry = need(&r.birthcountry, "birthcountry", base.map(|b| &b.birthcountry));
    let birthplace = r
        .birthplace
        .as_ref()
        .map(|v| v.value.clone())
        .or_else(|| base.map(|b| b.birthplace.clone()))
        .unwrap_or_default();
    let line_of = |f: &Option<Spanned<String>>| f.as_ref().map_or(block.referenced.line(), |v| v.referenced.line());
    for (name, value, field) in [
        ("given_name", &given_name, &r.given_name),
        ("family_name", &family_name, &r.family_name),
    ] {
        let n = value.chars().count();
        if field.is_some() && (n == 0 || n > 256) {
            errors.at(
                file,
                line_of(field),
                format!("{at}.{name}"),
                format!("must have 1 to 256 characters, got {n}"),
            );
        }
    }
    if !gender.is_empty() && !GENDERS.contains(&gender.as_str()) {
        errors.at(
            file,
            line_of(&r.gender),
            format!("{at}.gender"),
            format!("`{gender}` is not one of female, male, unspecified"),
        );
    }
    if !birthdate.is_empty()
        && let Err(msg) = check_birthdate(&birthdate)
    {
        errors.at(file, line_of(&r.birthdate), format!("{at}.birthdate"), msg);
    }
    if !birthcountry.is_empty() && cog::country(&birthcountry).is_none() {
        errors.at(
            file,
            line_of(&r.birthcountry),
            format!("{at}.birthcountry"),
            format!("`{birthcountry}` is not an INSEE country code (see data/cog-pays.csv; France is 99100)"),
        );
    }
    if birthcountry == cog::FRANCE {
        if birthplace.is_empty() {
            if lenient {
                // deliberately missing at this identity provider
            } else {
                errors.at(
                    file,
                    line_of(&r.birthplace),
                    format!("{at}.birthplace"),
                    "required when birthcountry is 99100: the INSEE code of the commune of birth, e.g. 75107",
                );
            }
        } else if cog::commune(&birthplace).is_none() {
            errors.at(
                file,
                line_of(&r.birthplace),
                format!("{at}.birthplace"),
                format!("`{birthplace}` is not an INSEE commune code (see data/cog-communes.csv)"),
            );
        }
    } else if !birthcountry.is_empty() && !birthplace.is_empty() && !lenient {
        errors.at(
            file,
            line_of(&r.birthplace),
            format!("{at}.birthplace"),
            "must be empty (\"\") for a person born abroad (birthcountry other than 99100)",
        );
    }
    // `email: ""` removes the e-mail (an identity provider that holds none).
    let email = match &r.email {
        Some(v) if v.value.is_empty() => None,
        Some(v) => Some(v.value.clone()),
        None => base.and_then(|b| b.email.clone()),
    };
    if let (Some(e), Some(field)) = (&email, &r.email)
        && !e.contains('@')
    {
        errors.spanned(
            file,
            field,
            format!("{at}.email"),
            format!("`{e}` is not an e-mail address"),
        );
    }
    let preferred_username = r
        .preferred_username
        .as_ref()
        .map(|v| v.value.clone())
        .or_else(|| base.and_then(|b| b.preferred_username.clone()));
    (errors.0.len() == before).then_some(Identity {
        given_name,
        family_name,
        preferred_username,
        gender,
        birthdate,
        birthplace,
        birthcountry,
        email,
    })
}

fn build_persona(e: &From<RawPersona>, index: usize, idps: &HashSet<&str>, errors: &mut Errors) -> Option<Persona> {
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("personas[{index}]");
    let before = errors.0.len();
    if !is_slug(&r.id.value) {
        errors.spanned(
            file,
            &r.id,
            format!("{at}.id"),
            "must be lowercase letters, digits, `-` or `_`",
        );
    }
    let identity = build_identity(file, &r.identity, &format!("{at}.identity"), None, errors);
    let mut accounts = Vec::new();
    for (j, acc) in r.accounts.iter().enumerate() {
        let a: &RawAccount = &acc.value;
        let aat = format!("{at}.accounts[{j}]");
        if !idps.contains(a.idp.value.as_str()) {
            errors.spanned(
                file,
                &a.idp,
                format!("{aat}.idp"),
                unknown("identity provider", &a.idp.value, idps),
            );
        }
        if a.login.value.trim().is_empty() {
            errors.spanned(file, &a.login, format!("{aat}.login"), "must not be empty");
        }
        let Some(base) = identity.as_ref() else { continue };
        let held = match &a.identity {
            Some(block) => build_identity(file, block, &format!("{aat}.identity"), Some(base), errors),
            None => Some(base.clone()),
        };
        if let Some(held) = held {
            accounts.push(Account {
                idp: a.idp.value.clone(),
                login: a.login.value.clone(),
                password: a.password.clone().unwrap_or_else(|| "123".to_owned()),
                divergent: &held != base,
                identity: held.into(),
            });
        }
    }
    let household = build_household(file, r, &at, errors);
    let identity = identity?;
    (errors.0.len() == before).then(|| Persona {
        id: r.id.value.clone(),
        identity,
        rnipp: r.rnipp.unwrap_or(RnippOutcome::Found),
        accounts,
        tags: r.tags.clone(),
        notes: r.notes.clone(),
        address: household.address,
        partner: household.partner,
        children: household.children,
        tax: household.tax,
        family: household.family,
        local_accounts: household.local_accounts,
        faults: Vec::new(),
    })
}

/// What a persona's household adds to its identity.
struct Household {
    address: Option<Address>,
    partner: Option<Relative>,
    children: Vec<Relative>,
    tax: Option<Tax>,
    family: Option<Family>,
    local_accounts: Vec<LocalAccount>,
}

fn build_household(file: &str, r: &RawPersona, at: &str, errors: &mut Errors) -> Household {
    let address = r.address.as_ref().map(|a| {
        let v = &a.value;
        let pc = &v.postal_code;
        if pc.value.len() != 5 || !pc.value.bytes().all(|b| b.is_ascii_digit()) {
            errors.spanned(
                file,
                pc,
                format!("{at}.address.postal_code"),
                format!("`{}` is not a 5-digit postal code", pc.value),
            );
        }
        if let Some(c) = &v.commune
            && cog::commune(&c.value).is_none()
        {
            errors.spanned(
                file,
                c,
                format!("{at}.address.commune"),
                format!("`{}` is not an INSEE commune code (see data/cog-communes.csv)", c.value),
            );
        }
        Address {
            line: v.line.clone(),
            complement: v.complement.clone(),
            postal_code: pc.value.clone(),
            city: v.city.clone(),
            commune: v.commune.as_ref().map(|c| c.value.clone()),
        }
    });
    let mut relative = |rel: &Spanned<RawRelative>, field: String| {
        let v = &rel.value;
        if !["female", "male"].contains(&v.gender.value.as_str()) {
            errors.spanned(
                file,
                &v.gender,
                format!("{field}.gender"),
                format!("`{}` is not female or male", v.gender.value),
            );
        }
        if let Err(msg) = check_birthdate(&v.birthdate.value) {
            errors.spanned(file, &v.birthdate, format!("{field}.birthdate"), msg);
        }
        for (name, s) in [("given_name", &v.given_name), ("family_name", &v.family_name)] {
            if s.value.trim().is_empty() {
                errors.spanned(file, s, format!("{field}.{name}"), "must not be empty");
            }
        }
        Relative {
            given_name: v.given_name.value.clone(),
            family_name: v.family_name.value.clone(),
            usage_name: v.usage_name.clone(),
            gender: v.gender.value.clone(),
            birthdate: v.birthdate.value.clone(),
        }
    };
    let partner = r.partner.as_ref().map(|p| relative(p, format!("{at}.partner")));
    let children = r
        .children
        .iter()
        .enumerate()
        .map(|(i, c)| relative(c, format!("{at}.children[{i}]")))
        .collect();
    let tax = r.tax.as_ref().map(|t| {
        let v = &t.value;
        if let Some(n) = &v.numero_fiscal
            && (n.value.len() != 13 || !n.value.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.spanned(
                file,
                n,
                format!("{at}.tax.numero_fiscal"),
                format!("`{}` is not a 13-digit numéro fiscal", n.value),
            );
        }
        let parts = v.nombre_de_parts.value;
        if !((1.0..=20.0).contains(&parts) && (parts * 4.0).fract() == 0.0) {
            errors.spanned(
                file,
                &v.nombre_de_parts,
                format!("{at}.tax.nombre_de_parts"),
                format!("{parts} is not a number of parts (1 to 20, in quarters: 1, 1.5, 2.25…)"),
            );
        }
        Tax {
            numero_fiscal: v.numero_fiscal.as_ref().map(|n| n.value.clone()),
            revenu_fiscal_de_reference: v.revenu_fiscal_de_reference,
            nombre_de_parts: parts,
            situation_familiale: v.situation_familiale,
            annee_revenus: v.annee_revenus,
        }
    });
    let family = r.family.as_ref().map(|f| Family {
        numero_allocataire: f.value.numero_allocataire.clone(),
        quotient_familial: f.value.quotient_familial,
        regime: f.value.regime.unwrap_or(Regime::CNAF),
    });
    let local_accounts = r
        .local_accounts
        .iter()
        .enumerate()
        .map(|(i, la)| {
            let v = &la.value;
            if let Some(b) = &v.birthdate
                && let Err(msg) = check_birthdate(&b.value)
            {
                errors.spanned(file, b, format!("{at}.local_accounts[{i}].birthdate"), msg);
            }
            LocalAccount {
                service: v.service,
                reference: v.reference.clone(),
                given_name: v.given_name.clone(),
                family_name: v.family_name.clone(),
                birthdate: v.birthdate.as_ref().map(|b| b.value.clone()),
                email: v.email.clone(),
                note: v.note.clone(),
            }
        })
        .collect();
    Household {
        address,
        partner,
        children,
        tax,
        family,
        local_accounts,
    }
}

/// Resolves `auto_login` to one persona (by id, or the first carrying all `tags`).
fn resolve_auto_login(
    file: &str,
    a: &Spanned<RawAutoLogin>,
    at: &str,
    personas: &[Persona],
    errors: &mut Errors,
) -> Option<AutoLogin> {
    let v = &a.value;
    let idp = v.idp.value.as_str();
    let found = match (&v.persona, &v.tags) {
        (Some(id), None) => match personas.iter().find(|p| p.id == id.value) {
            Some(p) => p,
            None => {
                let known: HashSet<&str> = personas.iter().map(|p| p.id.as_str()).collect();
                errors.spanned(
                    file,
                    id,
                    format!("{at}.auto_login.persona"),
                    unknown("persona", &id.value, &known),
                );
                return None;
            }
        },
        (None, Some(tags)) => match personas.iter().find(|p| p.has_tags(tags) && p.account(idp).is_some()) {
            Some(p) => p,
            None => {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.auto_login.tags"),
                    format!(
                        "no persona carries all of [{}] with an account at `{idp}`",
                        tags.join(", ")
                    ),
                );
                return None;
            }
        },
        _ => {
            errors.spanned(
                file,
                a,
                format!("{at}.auto_login"),
                "give either `persona` (an id) or `tags` (a selection), not both",
            );
            return None;
        }
    };
    if found.account(idp).is_none() {
        let mut k: Vec<&str> = found.accounts.iter().map(|a| a.idp.as_str()).collect();
        k.sort_unstable();
        errors.spanned(
            file,
            &v.idp,
            format!("{at}.auto_login.idp"),
            format!(
                "persona `{}` has no account at `{idp}`; it has accounts at: {}",
                found.id,
                k.join(", ")
            ),
        );
        return None;
    }
    Some(AutoLogin {
        persona: found.id.clone(),
        idp: idp.to_owned(),
    })
}

/// Builds each persona's own faults (magic personas), bound to that persona.
fn attach_persona_faults(
    personas: &mut [Persona],
    raw: &[From<RawPersona>],
    clients: &[From<RawClient>],
    idps: &HashSet<&str>,
    errors: &mut Errors,
) {
    let known = super::fault_parse::Known {
        clients: clients.iter().map(|c| c.item.value.client_id.value.clone()).collect(),
        personas: personas.iter().map(|p| p.id.clone()).collect(),
        idps: idps.iter().map(|i| (*i).to_owned()).collect(),
    };
    for e in raw {
        let r = &e.item.value;
        if r.faults.is_empty() {
            continue;
        }
        let faults = persona_faults(e, &known, errors);
        if let Some(p) = personas.iter_mut().find(|p| p.id == r.id.value) {
            p.faults = faults;
        }
    }
}

/// Embedded keys of the built-in data providers.
const BUILTIN_DP_KEYS: [(&str, &str); 2] = [
    ("dgfip", include_str!("../../keys/dp-dgfip-ecdh.pem")),
    ("cnaf", include_str!("../../keys/dp-cnaf-rsa.pem")),
];

fn build_data_provider(e: &From<RawDataProvider>, errors: &mut Errors) -> Option<DataProvider> {
    use crate::crypto::jwe::{KeyManagement, PrivateKey, PublicKey};
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("data_providers[{}]", e.index);
    let before = errors.0.len();
    if !is_slug(&r.id.value) {
        errors.spanned(
            file,
            &r.id,
            format!("{at}.id"),
            "must be lowercase letters, digits, `-` or `_` (it is used in URLs)",
        );
    }
    for s in &r.scopes {
        if !scopes::DATA_PROVIDER_SCOPES.contains(&s.value.as_str()) {
            errors.spanned(
                file,
                s,
                format!("{at}.scopes"),
                format!(
                    "`{}` is not a data-provider scope; known: {}",
                    s.value,
                    scopes::DATA_PROVIDER_SCOPES.join(", ")
                ),
            );
        }
    }
    let encryption_alg = match &r.encryption_alg {
        Some(a) => match KeyManagement::parse(&a.value) {
            Some(k) => k,
            None => {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.encryption_alg"),
                    "one of ECDH-ES, RSA-OAEP, RSA-OAEP-256",
                );
                KeyManagement::EcdhEs
            }
        },
        None => KeyManagement::EcdhEs,
    };
    let pem_text = key_text(
        r.key_file.as_ref(),
        &BUILTIN_DP_KEYS,
        &r.id.value,
        (file, &format!("{at}.key_file")),
        errors,
    );
    let public_jwk = match (&pem_text, &r.jwk) {
        (Some(text), _) => {
            let parsed = pem::parse(text)
                .ok()
                .and_then(|doc| {
                    let der = doc.contents().to_vec();
                    <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der)
                        .map(PrivateKey::Ec)
                        .ok()
                        .or_else(|| {
                            <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der)
                                .ok()
                                .map(|k| PrivateKey::Rsa(Box::new(k)))
                        })
                })
                .and_then(|k| k.public().to_jwk().ok());
            if parsed.is_none() {
                errors.spanned(
                    file,
                    &e.item,
                    format!("{at}.key_file"),
                    "not a P-256 or RSA PKCS#8 private key",
                );
            }
            parsed.unwrap_or_default()
        }
        (None, Some(jwk)) => {
            if PublicKey::from_jwk(jwk).is_err() {
                errors.spanned(file, &e.item, format!("{at}.jwk"), "not a P-256 (EC) or RSA public JWK");
            }
            jwk.clone()
        }
        (None, None) => {
            errors.spanned(file, &e.item, &at, "give the provider's encryption key: `jwk` (public) or `key_file` (private, for a provider fcmock serves)");
            serde_json::Value::Null
        }
    };
    let is_ec = public_jwk.get("kty").and_then(serde_json::Value::as_str) == Some("EC");
    if public_jwk.is_object() && is_ec != (encryption_alg == KeyManagement::EcdhEs) {
        errors.spanned(
            file,
            &e.item,
            format!("{at}.encryption_alg"),
            format!(
                "{} does not fit a {} key",
                encryption_alg.as_str(),
                if is_ec { "P-256" } else { "RSA" }
            ),
        );
    }
    (errors.0.len() == before).then(|| DataProvider {
        id: r.id.value.clone(),
        name: r.name.clone(),
        client_id: r.client_id.value.clone(),
        client_secret: r.client_secret.value.clone(),
        scopes: r.scopes.iter().map(|s| s.value.clone()).collect(),
        signing_alg: r.signing_alg.unwrap_or(Alg::ES256),
        encryption_alg,
        private_key_pem: pem_text,
        public_jwk,
    })
}

/// A persona's own faults (magic personas), bound to it.
fn persona_faults(
    e: &From<RawPersona>,
    known: &super::fault_parse::Known,
    errors: &mut Errors,
) -> Vec<super::fault::Fault> {
    let r = &e.item.value;
    let mut local = super::fault_parse::Errors {
        file: &e.file,
        list: Vec::new(),
    };
    let faults = r
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            super::fault_parse::build_fault(
                f,
                &format!("personas[{}].faults[{i}]", e.index),
                known,
                Some(&r.id.value),
                &mut local,
            )
        })
        .collect();
    errors.0.extend(local.list);
    faults
}

fn check_unique_logins(personas: &[Persona], errors: &mut Errors) {
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    for p in personas {
        for a in &p.accounts {
            if let Some(other) = seen.insert((a.idp.as_str(), a.login.as_str()), p.id.as_str()) {
                errors.at(
                    "<config>",
                    0,
                    format!("personas.{}.accounts", p.id),
                    format!("login `{}` at `{}` is already used by persona `{other}`; logins must be unique per identity provider", a.login, a.idp),
                );
            }
        }
    }
}

fn build_client(
    e: &From<RawClient>,
    index: usize,
    idps: &HashSet<&str>,
    personas: &[Persona],
    errors: &mut Errors,
) -> Option<Client> {
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("clients[{index}]");
    let before = errors.0.len();
    for (name, v) in [
        ("client_id", &r.client_id),
        ("client_secret", &r.client_secret),
        ("name", &r.name),
    ] {
        if v.value.trim().is_empty() {
            errors.spanned(file, v, format!("{at}.{name}"), "must not be empty");
        }
    }
    for (name, list) in [
        ("redirect_uris", &r.redirect_uris),
        ("post_logout_redirect_uris", &r.post_logout_redirect_uris),
    ] {
        for u in list {
            match url::Url::parse(&u.value) {
                Ok(parsed) if parsed.fragment().is_none() => {}
                Ok(_) => errors.spanned(
                    file,
                    u,
                    format!("{at}.{name}"),
                    format!("`{}` must not have a fragment", u.value),
                ),
                Err(_) => errors.spanned(
                    file,
                    u,
                    format!("{at}.{name}"),
                    format!("`{}` is not an absolute URL", u.value),
                ),
            }
        }
    }
    if r.redirect_uris.is_empty() && !r.allow_localhost_redirects {
        errors.spanned(
            file,
            &e.item,
            format!("{at}.redirect_uris"),
            "register at least one redirect URI",
        );
    }
    if let Some(list) = &r.scopes {
        for s in list {
            if !scopes::is_known(&s.value) {
                errors.spanned(
                    file,
                    s,
                    format!("{at}.scopes"),
                    format!(
                        "`{}` is not a FranceConnect scope; known: {}",
                        s.value,
                        scopes::all_known().join(", ")
                    ),
                );
            }
        }
    }
    for c in &r.claims {
        if c.value != "amr" {
            errors.spanned(
                file,
                c,
                format!("{at}.claims"),
                format!("`{}`: FranceConnect only lets clients request `amr` here", c.value),
            );
        }
    }
    for (name, list) in [
        ("idps", r.idps.as_deref().unwrap_or_default()),
        ("excluded_idps", r.excluded_idps.as_slice()),
        ("allowed_idp_hints", r.allowed_idp_hints.as_slice()),
    ] {
        for i in list {
            if !idps.contains(i.value.as_str()) {
                errors.spanned(
                    file,
                    i,
                    format!("{at}.{name}"),
                    unknown("identity provider", &i.value, idps),
                );
            }
        }
    }
    if let Some(list) = &r.allowed_prompts {
        for p in list {
            if !PROMPTS.contains(&p.value.as_str()) {
                errors.spanned(
                    file,
                    p,
                    format!("{at}.allowed_prompts"),
                    format!("`{}` is not one of login, consent", p.value),
                );
            }
        }
    }
    let auto_login = r
        .auto_login
        .as_ref()
        .and_then(|a| resolve_auto_login(file, a, &at, personas, errors));
    let platform = r.platform.unwrap_or_default();
    let encryption = if platform == super::PlatformKind::Fcplus {
        if r.signing_alg.is_some_and(|a| a != Alg::ES256) {
            errors.spanned(
                file,
                &e.item,
                format!("{at}.signing_alg"),
                "FranceConnect+ signs with ES256 only",
            );
        }
        let alg = match &r.encryption_alg {
            Some(a) => crate::crypto::jwe::KeyManagement::parse(&a.value).unwrap_or_else(|| {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.encryption_alg"),
                    "one of ECDH-ES, RSA-OAEP, RSA-OAEP-256",
                );
                crate::crypto::jwe::KeyManagement::EcdhEs
            }),
            None => crate::crypto::jwe::KeyManagement::EcdhEs,
        };
        if let Some(jwk) = &r.encryption_jwk
            && crate::crypto::jwe::PublicKey::from_jwk(&jwk.value).is_err()
        {
            errors.spanned(
                file,
                jwk,
                format!("{at}.encryption_jwk"),
                "not a P-256 (EC) or RSA public JWK",
            );
        }
        if let Some(u) = &r.jwks_uri
            && url::Url::parse(&u.value).is_err()
        {
            errors.spanned(file, u, format!("{at}.jwks_uri"), "not an absolute URL");
        }
        if r.encryption_jwk.is_none() && r.jwks_uri.is_none() {
            errors.spanned(
                file,
                &e.item,
                &at,
                "a FranceConnect+ client needs its encryption key: `encryption_jwk` (inline public JWK) or `jwks_uri`",
            );
        }
        Some(crate::config::ClientEncryption {
            alg,
            jwk: r.encryption_jwk.as_ref().map(|j| j.value.clone()),
            jwks_uri: r.jwks_uri.as_ref().map(|u| u.value.clone()),
        })
    } else {
        None
    };
    if errors.0.len() > before {
        return None;
    }
    Some(Client {
        platform,
        encryption,
        client_id: r.client_id.value.clone(),
        client_secret: r.client_secret.value.clone(),
        name: r.name.value.clone(),
        entity_id: r
            .entity_id
            .as_ref()
            .map_or_else(|| r.client_id.value.clone(), |v| v.value.clone()),
        kind: r.kind.unwrap_or(ClientType::Public),
        identity_consent: r.identity_consent,
        redirect_uris: r.redirect_uris.iter().map(|u| u.value.clone()).collect(),
        post_logout_redirect_uris: r.post_logout_redirect_uris.iter().map(|u| u.value.clone()).collect(),
        allow_localhost_redirects: r.allow_localhost_redirects,
        scopes: r.scopes.as_ref().map(|l| l.iter().map(|s| s.value.clone()).collect()),
        claims: r.claims.iter().map(|c| c.value.clone()).collect(),
        signing_alg: r.signing_alg.unwrap_or(Alg::ES256),
        idps: r.idps.as_ref().map(|l| l.iter().map(|s| s.value.clone()).collect()),
        excluded_idps: r.excluded_idps.iter().map(|s| s.value.clone()).collect(),
        allowed_idp_hints: r.allowed_idp_hints.iter().map(|s| s.value.clone()).collect(),
        allowed_prompts: r.allowed_prompts.as_ref().map_or_else(
            || PROMPTS.iter().map(|p| (*p).to_owned()).collect(),
            |l| l.iter().map(|s| s.value.clone()).collect(),
        ),
        token_endpoint_auth_method: "client_secret_post",
        auto_login,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{Source, load};

    fn user(text: &str) -> Vec<Source> {
        vec![Source {
            name: "user.yaml".into(),
            text: text.into(),
        }]
    }

    #[test]
    fn default_bundle_is_valid() {
        let cfg = load(&[], true).unwrap();
        assert!(cfg.personas.len() >= 15);
        assert!(cfg.idp("ameli").is_some());
        assert_eq!(cfg.clients.len(), 5);
    }

    #[test]
    fn unknown_field_names_file_and_line() {
        let err = load(
            &user("clients:\n  - client_id: a\n    client_secret: b\n    name: c\n    colour: red\n"),
            true,
        )
        .unwrap_err();
        let e = &err.0[0];
        assert_eq!(e.file, "user.yaml");
        assert_eq!(e.line, 5, "{err}");
        assert!(e.message.starts_with("unknown field `colour`"), "{err}");
    }

    #[test]
    fn bad_birthplace_names_the_field_and_line() {
        let text = "personas:\n  - id: x\n    identity:\n      given_name: A\n      family_name: B\n      gender: male\n      birthdate: \"2000-01-01\"\n      birthplace: \"75999\"\n      birthcountry: \"99100\"\n";
        let err = load(&user(text), true).unwrap_err();
        let e = &err.0[0];
        assert_eq!(
            (e.line, e.field.as_str()),
            (8, "personas[0].identity.birthplace"),
            "{err}"
        );
    }

    #[test]
    fn user_entries_replace_defaults_by_id_and_refs_are_checked() {
        let text = "clients:\n  - client_id: mine\n    client_secret: s\n    name: Mine\n    redirect_uris: [\"https://portail.example/cb\"]\n    idps: [ameli, nowhere]\n";
        let err = load(&user(text), true).unwrap_err();
        assert!(
            err.0[0].message.contains("unknown identity provider `nowhere`"),
            "{err}"
        );
        assert_eq!(err.0[0].line, 6);
    }
}
