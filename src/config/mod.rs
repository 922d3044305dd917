//! Configuration: raw YAML → validated model.
//!
//! Phase one (`raw`) deserialises each file, refusing unknown fields; phase
//! two (`validate`) checks values and cross-references and builds the
//! model below. Every error names the file, the line, the field and, where
//! there is one, the fix. The embedded default bundle (`scenarios/default/`)
//! is compiled into the binary; user files extend it (same id: the user's
//! entry wins) or replace it.

mod deviation;
pub mod fault;
pub mod fault_parse;
mod persona_set;
mod platform_kind;
pub(crate) mod raw;
mod validate;
pub mod yaml;

pub use deviation::Deviation;
pub use persona_set::{DEFER_FROM, PersonaSet};

pub use platform_kind::PlatformKind;

pub(crate) use validate::parse_message;

use rustc_hash::FxHashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

pub use raw::{ClientType, CredentialStyle, LocalService, Regime, RnippOutcome, SituationFamiliale};

use crate::crypto::Alg;
use crate::identity::Identity;

/// The embedded default bundle: (name shown in errors, contents).
pub const DEFAULT_BUNDLE: [(&str, &str); 5] = [
    (
        "scenarios/default/data_providers.yaml",
        include_str!("../../scenarios/default/data_providers.yaml"),
    ),
    (
        "scenarios/default/platform.yaml",
        include_str!("../../scenarios/default/platform.yaml"),
    ),
    (
        "scenarios/default/identity_providers.yaml",
        include_str!("../../scenarios/default/identity_providers.yaml"),
    ),
    (
        "scenarios/default/clients.yaml",
        include_str!("../../scenarios/default/clients.yaml"),
    ),
    (
        "scenarios/default/personas.yaml",
        include_str!("../../scenarios/default/personas.yaml"),
    ),
];

/// One configuration problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File as the user named it (or the bundle path).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// Dotted path of the field, e.g. `personas[3].identity.birthplace`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// All the problems found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} configuration error{}:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Platform-wide settings of the FranceConnect v2 platform.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformSettings {
    #[serde(skip)]
    pub sub_secret: String,
    pub code_ttl: u64,
    pub access_token_ttl: u64,
    pub id_token_ttl: u64,
    pub session_ttl: u64,
    /// FranceConnect+ sessions and interactions (FC+: 600 s).
    pub fcplus_session_ttl: u64,
    /// Where FranceConnect+ is served (default `/fcplus/api/v2`).
    pub fcplus_path: String,
    pub allowed_idp_hints: Vec<String>,
    pub reject_unknown_authorize_params: bool,
    /// Accept PKCE at authorize (FranceConnect refuses it): a deviation.
    pub accept_pkce: bool,
    pub store_capacity: usize,
    /// Exchanges kept by the journal (0: no recording).
    pub journal_capacity: usize,
    /// Most memory the journal holds, in MiB.
    pub journal_mib: usize,
    /// Most memory each store (sessions, codes, tokens…) holds, in MiB.
    pub store_mib: usize,
    pub seed: Option<u64>,
}

/// A registered service provider (fournisseur de service).
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    /// Sector of the pairwise `sub`; several clients may share one.
    pub entity_id: String,
    #[serde(rename = "type")]
    pub kind: ClientType,
    pub identity_consent: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Deviation: accept any `http://localhost:PORT/…` / `http://127.0.0.1:PORT/…`.
    pub allow_localhost_redirects: bool,
    /// Scopes this client may request (`None`: every identity scope).
    pub scopes: Option<Vec<String>>,
    /// Claims this client may request through `claims` (FranceConnect: `amr`).
    pub claims: Vec<String>,
    pub signing_alg: Alg,
    /// Identity providers shown on the wall (`None`: all active ones).
    pub idps: Option<Vec<String>>,
    pub excluded_idps: Vec<String>,
    /// The identity providers an `idp_hint` may name for this client; when
    /// set, it replaces `platform.allowed_idp_hints` (FranceConnect keeps the
    /// list per service provider).
    pub allowed_idp_hints: Option<Vec<String>>,
    pub allowed_prompts: Vec<String>,
    pub token_endpoint_auth_method: &'static str,
    pub auto_login: Option<AutoLogin>,
    /// The platform the client is registered on.
    pub platform: PlatformKind,
    /// FranceConnect+: how its tokens are encrypted, and to which key.
    pub encryption: Option<ClientEncryption>,
}

/// Where a FranceConnect+ client's encryption key comes from.
#[derive(Debug, Clone, Serialize)]
pub struct ClientEncryption {
    pub alg: crate::crypto::jwe::KeyManagement,
    /// An inline public JWK…
    pub jwk: Option<serde_json::Value>,
    /// …or the client's JWKS, fetched when needed.
    pub jwks_uri: Option<String>,
}

impl Client {
    /// Whether this client's secret is one the default bundle publishes (the
    /// demo clients'): only those may be shown on pages and in logs.
    pub fn secret_is_published(&self) -> bool {
        let line = format!("client_secret: \"{}\"", self.client_secret);
        DEFAULT_BUNDLE
            .iter()
            .any(|(_, text)| text.lines().any(|l| l.trim() == line))
    }

    /// Whether the wall shows (and `idp_hint` may pick) identity provider `idp`.
    pub fn allows_idp(&self, idp: &str) -> bool {
        self.idps.as_ref().is_none_or(|list| list.iter().any(|i| i == idp))
            && !self.excluded_idps.iter().any(|i| i == idp)
    }

    /// Whether `uri` is a registered redirect URI (or a localhost one when the
    /// convenience setting is on).
    pub fn accepts_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri) || (self.allow_localhost_redirects && is_localhost_uri(uri))
    }

    /// Same rule for `post_logout_redirect_uri`.
    pub fn accepts_post_logout_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
            || (self.allow_localhost_redirects && is_localhost_uri(uri))
    }
}

/// `http://localhost[:port]/…` or `http://127.0.0.1[:port]/…`.
pub fn is_localhost_uri(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) => {
            u.scheme() == "http"
                && matches!(u.host_str(), Some("localhost" | "127.0.0.1"))
                && u.username().is_empty()
                && u.password().is_none()
                && u.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// Headless login for every authorize of a client.
#[derive(Debug, Clone, Serialize)]
pub struct AutoLogin {
    pub persona: String,
    pub idp: String,
}

/// Where an identity provider lives.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdpSource {
    /// Served by fcmock itself at `/idp/{id}`.
    Builtin {
        #[serde(skip)]
        key_pem: Option<String>,
    },
    /// Another OpenID provider, found by discovery.
    External { discovery_url: String },
}

/// An identity provider (fournisseur d'identité).
#[derive(Debug, Clone, Serialize)]
pub struct IdpConfig {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub credential: CredentialStyle,
    pub acr: Vec<String>,
    pub amr: Vec<String>,
    pub signing_alg: Alg,
    pub hub_client_id: String,
    #[serde(skip)]
    pub hub_client_secret: String,
    pub source: IdpSource,
    /// Platforms it is offered on.
    pub platforms: Vec<PlatformKind>,
}

impl IdpConfig {
    /// The level this provider returns when `requested` is asked: the lowest
    /// it offers at or above it (`eidas1` < `eidas2` < `eidas3`), if any.
    pub fn level_for(&self, requested: &str) -> Option<&str> {
        self.acr.iter().map(String::as_str).filter(|a| *a >= requested).min()
    }
}

/// A fictitious citizen.
#[derive(Debug, Clone, Serialize)]
pub struct Persona {
    pub id: String,
    /// The civil-registry identity.
    pub identity: Identity,
    pub rnipp: RnippOutcome,
    /// The citizen blocked their FranceConnect account (page Y180001).
    pub account_blocked: bool,
    pub accounts: Vec<Account>,
    pub tags: Vec<String>,
    pub notes: String,
    pub address: Option<Address>,
    pub partner: Option<Relative>,
    pub children: Vec<Relative>,
    pub tax: Option<Tax>,
    pub family: Option<Family>,
    pub local_accounts: Vec<LocalAccount>,
    /// Faults triggered when this persona logs in (magic personas).
    pub faults: Vec<fault::Fault>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub line: String,
    pub complement: String,
    pub postal_code: String,
    pub city: String,
    /// INSEE code of the commune, when known.
    pub commune: Option<String>,
}

/// A member of the persona's household (partner or child).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relative {
    pub given_name: String,
    pub family_name: String,
    pub usage_name: Option<String>,
    pub gender: String,
    pub birthdate: String,
}

/// The tax household (foyer fiscal) the DGFiP holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tax {
    pub numero_fiscal: Option<String>,
    pub revenu_fiscal_de_reference: u64,
    pub nombre_de_parts: f64,
    pub situation_familiale: SituationFamiliale,
    pub annee_revenus: Option<u32>,
}

/// The family-allowance file the CAF (or MSA) holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Family {
    pub numero_allocataire: Option<String>,
    pub quotient_familial: u64,
    pub regime: Regime,
}

/// An account at one of the commune's own services, as that service recorded the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalAccount {
    pub service: LocalService,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub birthdate: Option<String>,
    pub email: Option<String>,
    /// Why this record is a near-duplicate of the civil identity, if it is one.
    pub note: Option<String>,
}

impl Persona {
    /// Whether the persona carries every tag of `tags`.
    pub fn has_tags(&self, tags: &[String]) -> bool {
        tags.iter().all(|t| self.tags.iter().any(|p| p == t))
    }

    /// The persona's account at `idp`, if any.
    pub fn account(&self, idp: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.idp == idp)
    }
}

/// A persona's account at an identity provider.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub idp: String,
    pub login: String,
    pub password: String,
    /// The identity this provider holds (the civil one unless overridden).
    pub identity: std::sync::Arc<Identity>,
    /// Whether `identity` differs from the civil identity.
    pub divergent: bool,
    /// `identity` after the civil-registry step, worked out at the
    /// account's first login rather than at every one (and not for the
    /// accounts of a large persona file nobody logs into).
    #[serde(skip)]
    pub normalised: std::sync::OnceLock<Arc<crate::identity::NormalisedIdentity>>,
}

impl Account {
    /// The identity as FranceConnect v2 releases it ([`crate::identity::normalise`]).
    pub fn normalised(&self) -> Arc<crate::identity::NormalisedIdentity> {
        self.normalised
            .get_or_init(|| Arc::new(crate::identity::normalise(&self.identity)))
            .clone()
    }
}

/// A data provider (fournisseur de données) registered at FranceConnect.
#[derive(Debug, Clone, Serialize)]
pub struct DataProvider {
    pub id: String,
    pub name: String,
    pub client_id: String,
    #[serde(skip)]
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// How FranceConnect signs checktoken answers for it.
    pub signing_alg: Alg,
    /// How FranceConnect encrypts them to it.
    pub encryption_alg: crate::crypto::jwe::KeyManagement,
    /// Its private key when fcmock serves it (built-in DGFiP and CNAF mocks).
    #[serde(skip)]
    pub private_key_pem: Option<String>,
    /// Its public encryption JWK.
    pub public_jwk: serde_json::Value,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub platform: PlatformSettings,
    pub data_providers: Vec<Arc<DataProvider>>,
    pub clients: Vec<Arc<Client>>,
    pub idps: Vec<Arc<IdpConfig>>,
    pub personas: PersonaSet,
    /// Where the configuration came from, for the banner.
    pub sources: Vec<String>,
    clients_by_id: FxHashMap<String, usize>,
    idps_by_id: FxHashMap<String, usize>,
}

impl Config {
    /// The embedded default bundle alone.
    pub fn default_bundle() -> Result<Self, ConfigErrors> {
        load(&[], true)
    }

    /// A registered client by `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&Arc<Client>> {
        self.clients_by_id.get(client_id).and_then(|&i| self.clients.get(i))
    }

    /// An identity provider by id.
    pub fn idp(&self, id: &str) -> Option<&Arc<IdpConfig>> {
        self.idps_by_id.get(id).and_then(|&i| self.idps.get(i))
    }

    /// A data provider by its client_id.
    pub fn data_provider(&self, client_id: &str) -> Option<&Arc<DataProvider>> {
        self.data_providers.iter().find(|d| d.client_id == client_id)
    }

    /// A data provider by id (`dgfip`, `cnaf`).
    pub fn data_provider_by_id(&self, id: &str) -> Option<&Arc<DataProvider>> {
        self.data_providers.iter().find(|d| d.id == id)
    }

    /// A persona by id.
    pub fn persona(&self, id: &str) -> Option<&Arc<Persona>> {
        self.personas.get(id)
    }

    /// Personas carrying every tag of `tags` and, if `idp` is given, an
    /// account there; in configuration order, so a selection is reproducible.
    pub fn select<'a>(
        &'a self,
        tags: &'a [String],
        idp: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Persona>> + 'a {
        self.personas
            .iter()
            .filter(move |p| p.has_tags(tags) && idp.is_none_or(|i| p.account(i).is_some()))
    }

    /// The deviations from the real platform in force (banner, home page).
    pub fn deviations(&self) -> Vec<Deviation> {
        deviation::of(self)
    }

    /// This configuration with `personas` added (same id: replaced),
    /// validated as a file would be. The configuration itself is unchanged.
    pub fn with_added_personas(&self, source: &Source) -> Result<(Config, Vec<Arc<Persona>>), ConfigErrors> {
        let added: Vec<Arc<Persona>> = validate::add_personas(self, source)?
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut next = self.clone();
        next.personas = self.personas.with_added(&added);
        next.sources.push(source.name.clone());
        Ok((next.index(), added))
    }

    fn index(mut self) -> Self {
        self.clients_by_id = self
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.client_id.clone(), i))
            .collect();
        self.idps_by_id = self.idps.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        self
    }
}

/// A configuration source: its display name and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Reads one text file; what goes wrong is located like any configuration
/// error (a file that is not UTF-8: the line of its first bad byte).
pub fn read_text(path: &Path) -> Result<String, ConfigErrors> {
    let located = |line: u64, message: String| {
        ConfigErrors(vec![ConfigError {
            file: path.display().to_string(),
            line,
            field: String::new(),
            message,
        }])
    };
    let bytes = std::fs::read(path).map_err(|e| located(0, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes
            .get(..valid)
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
            + 1;
        located(
            u64::try_from(line).unwrap_or(u64::MAX),
            format!("not UTF-8 text (byte {valid} is not); save the file as UTF-8"),
        )
    })
}

/// Reads `path` (a YAML file, or every `*.yaml`/`*.yml` in a folder, sorted).
pub fn read_sources(path: &Path) -> Result<Vec<Source>, ConfigErrors> {
    let io_err = |p: &Path, e: std::io::Error| {
        ConfigErrors(vec![ConfigError {
            file: p.display().to_string(),
            line: 0,
            field: String::new(),
            message: format!("cannot read: {e}"),
        }])
    };
    let mut files = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| io_err(path, e))?;
        for entry in entries {
            let p = entry.map_err(|e| io_err(path, e))?.path();
            if p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "jsonl") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(ConfigErrors(vec![ConfigError {
                file: path.display().to_string(),
                line: 0,
                field: String::new(),
                message: "folder holds no .yaml, .yml or .jsonl file".to_owned(),
            }]));
        }
    } else {
        files.push(path.to_path_buf());
    }
    files
        .into_iter()
        .map(|p| {
            let text = read_text(&p)?;
            Ok(Source {
                name: p.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Loads the configuration: the default bundle (if `with_defaults`) then
/// `sources`, every persona built and checked.
pub fn load(sources: &[Source], with_defaults: bool) -> Result<Config, ConfigErrors> {
    let config = load_sources(sources.to_vec(), with_defaults, false)?;
    config.personas.check_deferred()?;
    Ok(config)
}

/// Loads the configuration as [`load`] does, except that with `defer` the
/// personas of large JSON Lines files are only read (ids, logins, identity
/// providers checked) and built on demand: call
/// [`PersonaSet::check_deferred`] to build and check them all.
pub fn load_sources(sources: Vec<Source>, with_defaults: bool, defer: bool) -> Result<Config, ConfigErrors> {
    let mut all: Vec<Source> = Vec::with_capacity(DEFAULT_BUNDLE.len() + sources.len());
    if with_defaults {
        all.extend(DEFAULT_BUNDLE.iter().map(|(name, text)| Source {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        }));
    }
    all.extend(sources);
    validate::build(all, defer).map(Config::index)
}
