//! Phase one of configuration: YAML exactly as written.
//!
//! Every struct refuses unknown fields, and every value that phase two checks
//! keeps its source position (`Spanned`) so errors can name file and line.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::crypto::Alg;

/// One YAML file; every section is optional and files are merged in order.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDocument {
    pub(crate) platform: Option<RawPlatform>,
    #[serde(default)]
    pub(crate) clients: Vec<Spanned<RawClient>>,
    #[serde(default)]
    pub(crate) identity_providers: Vec<Spanned<RawIdp>>,
    #[serde(default)]
    pub(crate) personas: Vec<Spanned<Box<RawPersona>>>,
    #[serde(default)]
    pub(crate) data_providers: Vec<Spanned<RawDataProvider>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDataProvider {
    pub(crate) id: Spanned<String>,
    pub(crate) name: String,
    pub(crate) client_id: Spanned<String>,
    pub(crate) client_secret: Spanned<String>,
    #[serde(default)]
    pub(crate) scopes: Vec<Spanned<String>>,
    pub(crate) signing_alg: Option<Alg>,
    pub(crate) encryption_alg: Option<Spanned<String>>,
    /// PEM private key of a data provider served by fcmock (its decryption key).
    pub(crate) key_file: Option<Spanned<String>>,
    /// Public encryption JWK of an external data provider.
    pub(crate) jwk: Option<serde_json::Value>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlatform {
    pub(crate) sub_secret: Option<Spanned<String>>,
    pub(crate) code_ttl: Option<Spanned<u64>>,
    pub(crate) access_token_ttl: Option<Spanned<u64>>,
    pub(crate) id_token_ttl: Option<Spanned<u64>>,
    pub(crate) session_ttl: Option<Spanned<u64>>,
    pub(crate) fcplus_session_ttl: Option<Spanned<u64>>,
    pub(crate) fcplus_path: Option<Spanned<String>>,
    pub(crate) allowed_idp_hints: Option<Vec<Spanned<String>>>,
    pub(crate) reject_unknown_authorize_params: Option<bool>,
    pub(crate) accept_pkce: Option<bool>,
    pub(crate) store_capacity: Option<Spanned<u64>>,
    pub(crate) journal_capacity: Option<u64>,
    pub(crate) journal_mib: Option<Spanned<u64>>,
    pub(crate) store_mib: Option<Spanned<u64>>,
    pub(crate) seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// A public-sector service: information page, no consent checkbox.
    Public,
    /// A private service: consent checkbox when `identity_consent` is set.
    Private,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClient {
    pub(crate) client_id: Spanned<String>,
    pub(crate) client_secret: Spanned<String>,
    pub(crate) name: Spanned<String>,
    pub(crate) entity_id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<ClientType>,
    #[serde(default)]
    pub(crate) identity_consent: bool,
    #[serde(default)]
    pub(crate) redirect_uris: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) post_logout_redirect_uris: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) allow_localhost_redirects: bool,
    pub(crate) scopes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) claims: Vec<Spanned<String>>,
    pub(crate) signing_alg: Option<Alg>,
    pub(crate) idps: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) excluded_idps: Vec<Spanned<String>>,
    pub(crate) allowed_idp_hints: Option<Vec<Spanned<String>>>,
    pub(crate) allowed_prompts: Option<Vec<Spanned<String>>>,
    pub(crate) auto_login: Option<Spanned<RawAutoLogin>>,
    /// `fc` (default) or `fcplus`.
    pub(crate) platform: Option<super::PlatformKind>,
    /// FranceConnect+: how tokens are encrypted to this client.
    pub(crate) encryption_alg: Option<Spanned<String>>,
    /// FranceConnect+: the client's public encryption key, inline…
    pub(crate) encryption_jwk: Option<Spanned<serde_json::Value>>,
    /// …or at its jwks_uri.
    pub(crate) jwks_uri: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAutoLogin {
    /// A persona id, or
    pub(crate) persona: Option<Spanned<String>>,
    /// the first persona carrying all these tags (and an account at `idp`).
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) idp: Spanned<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStyle {
    /// numéro fiscal (13 digits) and password, as on impots.gouv.fr.
    FiscalNumber,
    /// numéro de sécurité sociale (15 characters) and password, as on ameli.fr.
    Nir,
    /// e-mail address and password, as at La Poste.
    Email,
    /// e-mail address and a 4-digit secret code, standing in for France Identité's app.
    Pin,
    /// free login and password.
    Login,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdp {
    pub(crate) id: Spanned<String>,
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) active: Option<bool>,
    pub(crate) credential: Option<Spanned<CredentialStyle>>,
    pub(crate) acr: Option<Vec<Spanned<String>>>,
    pub(crate) amr: Option<Vec<Spanned<String>>>,
    pub(crate) signing_alg: Option<Spanned<Alg>>,
    pub(crate) hub_client_id: Option<Spanned<String>>,
    pub(crate) hub_client_secret: Option<Spanned<String>>,
    pub(crate) discovery_url: Option<Spanned<String>>,
    /// Platforms this provider is offered on (default: fc).
    pub(crate) platforms: Option<Vec<super::PlatformKind>>,
    pub(crate) signing_key_file: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RnippOutcome {
    /// The civil registry knows the person (the usual case).
    Found,
    /// Unknown to the registry: page Y010008.
    NotFound,
    /// Several people match: page Y010006.
    SeveralEchoes,
    /// Registered as deceased: page Y010015.
    Deceased,
    /// One close echo only (the registry's identity differs slightly): page Y010004.
    CloseEcho,
    /// Found only under the usage name: page Y010007.
    UsageNameOnly,
    /// The registry does not answer in time: page Y010011.
    Timeout,
    /// The registry cannot be reached: page Y010012.
    Unreachable,
}

impl RnippOutcome {
    /// Every outcome by its word in persona and scenario files.
    pub const WORDS: &'static [(&'static str, RnippOutcome)] = &[
        ("found", RnippOutcome::Found),
        ("not_found", RnippOutcome::NotFound),
        ("several_echoes", RnippOutcome::SeveralEchoes),
        ("deceased", RnippOutcome::Deceased),
        ("close_echo", RnippOutcome::CloseEcho),
        ("usage_name_only", RnippOutcome::UsageNameOnly),
        ("timeout", RnippOutcome::Timeout),
        ("unreachable", RnippOutcome::Unreachable),
    ];
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPersona {
    pub(crate) id: Spanned<String>,
    pub(crate) identity: Spanned<RawIdentity>,
    pub(crate) rnipp: Option<RnippOutcome>,
    /// The citizen blocked their FranceConnect account (Y180001).
    #[serde(default)]
    pub(crate) account_blocked: bool,
    #[serde(default)]
    pub(crate) accounts: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) notes: String,
    /// Postal address (tax and family-allowance files, local accounts).
    pub(crate) address: Option<Spanned<RawAddress>>,
    /// Spouse or partner (second declarant, co-allocataire).
    pub(crate) partner: Option<Spanned<RawRelative>>,
    #[serde(default)]
    pub(crate) children: Vec<Spanned<RawRelative>>,
    /// Tax household, for the DGFiP data provider.
    pub(crate) tax: Option<Spanned<RawTax>>,
    /// Family-allowance file, for the CNAF data provider.
    pub(crate) family: Option<Spanned<RawFamily>>,
    /// Accounts at the commune's own services, for reconciliation tests.
    #[serde(default)]
    pub(crate) local_accounts: Vec<Spanned<RawLocalAccount>>,
    /// Faults this persona triggers when it logs in (magic personas).
    #[serde(default)]
    pub(crate) faults: Vec<Spanned<super::fault_parse::RawFault>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAddress {
    pub(crate) line: String,
    #[serde(default)]
    pub(crate) complement: String,
    pub(crate) postal_code: Spanned<String>,
    pub(crate) city: String,
    /// INSEE code of the commune, when known.
    pub(crate) commune: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRelative {
    pub(crate) given_name: Spanned<String>,
    pub(crate) family_name: Spanned<String>,
    pub(crate) usage_name: Option<String>,
    pub(crate) gender: Spanned<String>,
    pub(crate) birthdate: Spanned<String>,
}

/// Situation familiale as the DGFiP codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum SituationFamiliale {
    /// marié(e)
    M,
    /// pacsé(e)
    O,
    /// célibataire
    C,
    /// divorcé(e) ou séparé(e)
    D,
    /// veuf ou veuve
    V,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTax {
    /// 13 digits; defaults to the persona's impots.gouv.fr login.
    pub(crate) numero_fiscal: Option<Spanned<String>>,
    pub(crate) revenu_fiscal_de_reference: u64,
    pub(crate) nombre_de_parts: Spanned<f64>,
    pub(crate) situation_familiale: SituationFamiliale,
    /// Income year of the notice (défaut : l'année précédant l'avis).
    pub(crate) annee_revenus: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Regime {
    CNAF,
    MSA,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFamily {
    pub(crate) numero_allocataire: Option<String>,
    pub(crate) quotient_familial: u64,
    pub(crate) regime: Option<Regime>,
}

/// The commune's own services a citizen may have an account at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalService {
    Mediatheque,
    Conservatoire,
    RegieEaux,
    CompteUsager,
    RestaurationScolaire,
    Autre,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLocalAccount {
    pub(crate) service: LocalService,
    pub(crate) reference: String,
    pub(crate) given_name: String,
    pub(crate) family_name: String,
    pub(crate) birthdate: Option<Spanned<String>>,
    pub(crate) email: Option<String>,
    /// What makes this record a near-duplicate of the civil identity, if anything.
    pub(crate) note: Option<String>,
}

/// An identity as written: every field optional so that an account can
/// override only some of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIdentity {
    pub(crate) given_name: Option<Spanned<String>>,
    pub(crate) family_name: Option<Spanned<String>>,
    pub(crate) preferred_username: Option<Spanned<String>>,
    pub(crate) gender: Option<Spanned<String>>,
    pub(crate) birthdate: Option<Spanned<String>>,
    pub(crate) birthplace: Option<Spanned<String>>,
    pub(crate) birthcountry: Option<Spanned<String>>,
    pub(crate) email: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccount {
    pub(crate) idp: Spanned<String>,
    pub(crate) login: Spanned<String>,
    pub(crate) password: Option<String>,
    pub(crate) identity: Option<Box<Spanned<RawIdentity>>>,
}
