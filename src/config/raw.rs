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
    pub(crate) personas: Vec<Spanned<RawPersona>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlatform {
    pub(crate) sub_secret: Option<Spanned<String>>,
    pub(crate) code_ttl: Option<Spanned<u64>>,
    pub(crate) access_token_ttl: Option<Spanned<u64>>,
    pub(crate) id_token_ttl: Option<Spanned<u64>>,
    pub(crate) session_ttl: Option<Spanned<u64>>,
    pub(crate) allowed_idp_hints: Option<Vec<Spanned<String>>>,
    pub(crate) reject_unknown_authorize_params: Option<bool>,
    pub(crate) store_capacity: Option<Spanned<u64>>,
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
    #[serde(default)]
    pub(crate) allowed_idp_hints: Vec<Spanned<String>>,
    pub(crate) allowed_prompts: Option<Vec<Spanned<String>>>,
    pub(crate) auto_login: Option<Spanned<RawAutoLogin>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAutoLogin {
    pub(crate) persona: Spanned<String>,
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
    pub(crate) credential: Option<CredentialStyle>,
    pub(crate) acr: Option<Vec<Spanned<String>>>,
    pub(crate) amr: Option<Vec<Spanned<String>>>,
    pub(crate) signing_alg: Option<Alg>,
    pub(crate) hub_client_id: Option<Spanned<String>>,
    pub(crate) hub_client_secret: Option<Spanned<String>>,
    pub(crate) discovery_url: Option<Spanned<String>>,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPersona {
    pub(crate) id: Spanned<String>,
    pub(crate) identity: Spanned<RawIdentity>,
    pub(crate) rnipp: Option<RnippOutcome>,
    #[serde(default)]
    pub(crate) accounts: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) notes: String,
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
    pub(crate) identity: Option<Spanned<RawIdentity>>,
}
