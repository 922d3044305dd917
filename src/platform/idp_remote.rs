//! Where the hub reaches each identity provider, and with which keys.
//!
//! Built-in providers are reached on fcmock's internal URL. External ones
//! are read from their discovery document (OpenID Connect Discovery 1.0,
//! section 4): the document's `issuer` must be the issuer the discovery URL
//! was made from, with or without a trailing slash (`https://idp.example/`
//! is served at `https://idp.example/.well-known/openid-configuration`),
//! and the id_tokens' `iss` must then be the document's issuer exactly.
//! Documents and JWKS are cached per provider id (bounded by the
//! configuration); a JWKS is fetched again after `JWKS_TTL_MS` or when a
//! signature needs a key it lacks (one refetch per login serves the id_token
//! and userinfo alike).

use std::collections::HashMap;
use std::sync::Arc;

use openidconnect::core::CoreJsonWebKeySet;
use serde_json::Value;

use super::backchannel::BackChannel;
use crate::config::{IdpConfig, IdpSource};
use crate::crypto::Alg;
use crate::paths::{IDP_PREFIX, idp as ip};
use crate::shared::Urls;

/// How long a fetched JWKS is trusted before being fetched again.
const JWKS_TTL_MS: i64 = 5 * 60 * 1000;
/// The discovery document's place under the issuer.
pub const WELL_KNOWN: &str = "/.well-known/openid-configuration";
/// The signing algorithms FranceConnect accepts from identity providers.
pub const ACCEPTED_ALGS: [Alg; 2] = [Alg::ES256, Alg::RS256];

/// Where to reach an identity provider, and how it signs.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub(crate) issuer: String,
    pub(crate) authorize: String,
    pub(crate) token: String,
    pub(crate) userinfo: String,
    pub(crate) jwks: String,
    pub(crate) end_session: Option<String>,
    /// id_token algorithms declared and accepted.
    pub(crate) id_token_algs: Vec<Alg>,
    /// Userinfo algorithms declared and accepted (both accepted ones when
    /// the provider declares none).
    pub(crate) userinfo_algs: Vec<Alg>,
}

impl Endpoints {
    /// The algorithms its JWKS must hold a key for: the id_token's, then userinfo's.
    pub(crate) fn key_algs(&self) -> Vec<Alg> {
        let mut algs = self.id_token_algs.clone();
        algs.extend(self.userinfo_algs.iter().filter(|a| !self.id_token_algs.contains(a)));
        algs
    }
}

/// A provider's JWKS, as fetched and as the `openidconnect` crate reads it.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) raw: Arc<Value>,
    pub(crate) set: Arc<CoreJsonWebKeySet>,
    fetched_ms: i64,
}

/// Discovery and JWKS of one identity provider, cached.
#[derive(Debug, Clone)]
struct Remote {
    endpoints: Endpoints,
    keys: Option<Keys>,
}

/// The hub's cache of every identity provider's discovery and JWKS, keyed by
/// configured provider id (so bounded by the configuration).
#[derive(Default)]
pub struct RemoteIdps(parking_lot::Mutex<HashMap<String, Remote>>);

impl RemoteIdps {
    /// Forgets every cached document (control API reset).
    pub fn clear(&self) {
        self.0.lock().clear();
    }
}

/// What is wrong with a provider's discovery or JWKS, said precisely.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error("{what} at {url} could not be fetched: {error}")]
    Unreachable {
        what: &'static str,
        url: String,
        error: String,
    },
    #[error("{what} at {url} answered HTTP {status}")]
    Status {
        what: &'static str,
        url: String,
        status: u16,
    },
    #[error("{what} at {url} is not the JSON expected: {error}")]
    NotJson {
        what: &'static str,
        url: String,
        error: String,
    },
    #[error(
        "the discovery document at {url} says issuer `{got}`; expected `{expected}` (the discovery URL without {WELL_KNOWN}, with or without a final /)"
    )]
    IssuerMismatch { url: String, expected: String, got: String },
    #[error("the discovery document at {url} has no `{field}`")]
    MissingEndpoint { url: String, field: &'static str },
    #[error("the discovery document at {url} declares {field} {declared:?}; fcmock's hub accepts ES256 and RS256 only")]
    NoAcceptedAlg {
        url: String,
        field: &'static str,
        declared: Vec<String>,
    },
    #[error("the JWKS at {url} holds no key for {algs} (kty EC with crv P-256 for ES256, kty RSA for RS256)")]
    NoUsableKey { url: String, algs: String },
}

impl RemoteError {
    /// The same, in French, for FranceConnect's error pages.
    pub fn french(&self) -> String {
        let what_fr = |w: &str| match w {
            "discovery" => "le document de découverte",
            "jwks" => "le JWKS",
            _ => "la réponse",
        };
        match self {
            RemoteError::Unreachable { what, url, error } => {
                format!("{} ({url}) est inaccessible : {error}", what_fr(what))
            }
            RemoteError::Status { what, url, status } => {
                format!("{} ({url}) a répondu HTTP {status}", what_fr(what))
            }
            RemoteError::NotJson { what, url, error } => {
                format!("{} ({url}) n'est pas le JSON attendu : {error}", what_fr(what))
            }
            RemoteError::IssuerMismatch { url, expected, got } => format!(
                "le document de découverte ({url}) annonce l'issuer `{got}` ; attendu `{expected}` (l'URL de découverte sans {WELL_KNOWN}, avec ou sans / final)"
            ),
            RemoteError::MissingEndpoint { url, field } => {
                format!("le document de découverte ({url}) n'a pas de `{field}`")
            }
            RemoteError::NoAcceptedAlg { url, field, declared } => format!(
                "le document de découverte ({url}) déclare {field} {declared:?} ; le hub n'accepte que ES256 et RS256"
            ),
            RemoteError::NoUsableKey { url, algs } => {
                format!("le JWKS ({url}) n'a aucune clé pour {algs}")
            }
        }
    }
}

/// The endpoints of a built-in provider on fcmock itself.
fn builtin(urls: &Urls, idp: &IdpConfig) -> Endpoints {
    let public = format!("{}{IDP_PREFIX}/{}", urls.public, idp.id);
    let internal = format!("{}{IDP_PREFIX}/{}", urls.internal, idp.id);
    Endpoints {
        issuer: public.clone(),
        authorize: format!("{public}{}", ip::AUTHORIZE),
        token: format!("{internal}{}", ip::TOKEN),
        userinfo: format!("{internal}{}", ip::USERINFO),
        jwks: format!("{internal}{}", ip::JWKS),
        end_session: Some(format!("{public}{}", ip::END_SESSION)),
        id_token_algs: vec![idp.signing_alg],
        userinfo_algs: vec![idp.signing_alg],
    }
}

/// An error and its causes, on one line ("client error: connection refused").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The JSON body of a successful GET, or what is wrong with it.
async fn fetch_json(bc: &BackChannel, what: &'static str, url: &str) -> Result<Value, RemoteError> {
    let response = bc.get(what, url, None).await.map_err(|e| RemoteError::Unreachable {
        what,
        url: url.to_owned(),
        error: with_causes(&e),
    })?;
    if response.status() != 200 {
        return Err(RemoteError::Status {
            what,
            url: url.to_owned(),
            status: response.status().as_u16(),
        });
    }
    serde_json::from_slice(response.body()).map_err(|e| RemoteError::NotJson {
        what,
        url: url.to_owned(),
        error: e.to_string(),
    })
}

/// Reads an external provider's discovery document.
pub(crate) async fn discover(bc: &BackChannel, discovery_url: &str) -> Result<Endpoints, RemoteError> {
    let doc = fetch_json(bc, "discovery", discovery_url).await?;
    let expected = discovery_url.strip_suffix(WELL_KNOWN).unwrap_or(discovery_url);
    let text = |field: &'static str| {
        doc.get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or(RemoteError::MissingEndpoint {
                url: discovery_url.to_owned(),
                field,
            })
    };
    let issuer = text("issuer")?;
    if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
        return Err(RemoteError::IssuerMismatch {
            url: discovery_url.to_owned(),
            expected: expected.to_owned(),
            got: issuer,
        });
    }
    let algs = |field: &'static str, absent: Vec<Alg>| -> Result<Vec<Alg>, RemoteError> {
        let Some(list) = doc.get(field).and_then(Value::as_array) else {
            return Ok(absent);
        };
        let declared: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        let accepted: Vec<Alg> = declared.iter().filter_map(|a| Alg::parse(a)).collect();
        if accepted.is_empty() {
            return Err(RemoteError::NoAcceptedAlg {
                url: discovery_url.to_owned(),
                field,
                declared,
            });
        }
        Ok(accepted)
    };
    Ok(Endpoints {
        authorize: text("authorization_endpoint")?,
        token: text("token_endpoint")?,
        userinfo: text("userinfo_endpoint")?,
        jwks: text("jwks_uri")?,
        end_session: text("end_session_endpoint").ok(),
        // Discovery makes this list required; RS256 is its default.
        id_token_algs: algs("id_token_signing_alg_values_supported", vec![Alg::RS256])?,
        userinfo_algs: algs("userinfo_signing_alg_values_supported", ACCEPTED_ALGS.to_vec())?,
        issuer,
    })
}

/// Fetches a JWKS and checks it holds a key for one of `algs`.
pub(crate) async fn fetch_keys(bc: &BackChannel, url: &str, algs: &[Alg], now_ms: i64) -> Result<Keys, RemoteError> {
    let raw = fetch_json(bc, "jwks", url).await?;
    let set: CoreJsonWebKeySet = serde_json::from_value(raw.clone()).map_err(|e| RemoteError::NotJson {
        what: "jwks",
        url: url.to_owned(),
        error: e.to_string(),
    })?;
    let usable = raw
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|k| {
            let kty = k.get("kty").and_then(Value::as_str);
            algs.iter().any(|a| match a {
                Alg::ES256 => kty == Some("EC") && k.get("crv").and_then(Value::as_str) == Some("P-256"),
                Alg::RS256 => kty == Some("RSA"),
            })
        });
    if !usable {
        return Err(RemoteError::NoUsableKey {
            url: url.to_owned(),
            algs: algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" or "),
        });
    }
    Ok(Keys {
        raw: Arc::new(raw),
        set: Arc::new(set),
        fetched_ms: now_ms,
    })
}

/// The hub's view of one provider during one request.
pub(crate) struct Reach<'a> {
    pub(crate) remotes: &'a RemoteIdps,
    pub(crate) urls: &'a Urls,
    pub(crate) bc: &'a BackChannel,
    pub(crate) now_ms: i64,
}

impl Reach<'_> {
    /// The provider's endpoints (discovered once, then cached).
    pub(crate) async fn endpoints(&self, idp: &IdpConfig) -> Result<Endpoints, RemoteError> {
        let IdpSource::External { discovery_url } = &idp.source else {
            return Ok(builtin(self.urls, idp));
        };
        if let Some(r) = self.remotes.0.lock().get(&idp.id) {
            return Ok(r.endpoints.clone());
        }
        let endpoints = discover(self.bc, discovery_url).await?;
        self.remotes.0.lock().insert(
            idp.id.clone(),
            Remote {
                endpoints: endpoints.clone(),
                keys: None,
            },
        );
        Ok(endpoints)
    }

    /// The provider's keys: cached unless stale or `refetch`.
    pub(crate) async fn keys(&self, idp: &IdpConfig, ep: &Endpoints, refetch: bool) -> Result<Keys, RemoteError> {
        let cached = self.remotes.0.lock().get(&idp.id).and_then(|r| r.keys.clone());
        if !refetch
            && let Some(keys) = cached
            && self.now_ms - keys.fetched_ms < JWKS_TTL_MS
        {
            return Ok(keys);
        }
        let keys = fetch_keys(self.bc, &ep.jwks, &ep.key_algs(), self.now_ms).await?;
        self.remotes.0.lock().insert(
            idp.id.clone(),
            Remote {
                endpoints: ep.clone(),
                keys: Some(keys.clone()),
            },
        );
        Ok(keys)
    }
}

/// Checks an external provider as the hub will use it: discovery, then
/// JWKS. Returns a one-line summary of what was found.
pub async fn probe(http: &reqwest::Client, idp: &IdpConfig) -> Result<String, RemoteError> {
    let IdpSource::External { discovery_url } = &idp.source else {
        return Ok("built-in".to_owned());
    };
    let bc = BackChannel::new(http, &idp.id, None, None);
    let ep = discover(&bc, discovery_url).await?;
    let keys = fetch_keys(&bc, &ep.jwks, &ep.key_algs(), 0).await?;
    let names = |algs: &[Alg]| algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
    let count = keys.raw.get("keys").and_then(Value::as_array).map_or(0, Vec::len);
    Ok(format!(
        "issuer {}, id_token {}, userinfo {}, {count} key(s) in the JWKS, {}",
        ep.issuer,
        names(&ep.id_token_algs),
        names(&ep.userinfo_algs),
        if ep.end_session.is_some() {
            "end_session_endpoint present"
        } else {
            "no end_session_endpoint (logout skips the provider)"
        }
    ))
}
