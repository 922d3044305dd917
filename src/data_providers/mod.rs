//! Mock data providers (fournisseurs de données) at `/dp/{id}`: the DGFiP's
//! "API Impôt particulier" and the CNAF's quotient familial.
//!
//! They behave like real data providers: the service provider calls them
//! with its FranceConnect access token; they validate it through FranceConnect's
//! `checktoken` over HTTP with their own credentials, decrypt the answer with
//! their own key, verify FranceConnect's signature against its published JWKS,
//! then serve the fields the granted scopes allow, from the persona's household.

mod cnaf;
mod dgfip;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, http::HeaderValue};
use serde_json::{Value, json};

use crate::config::Persona;
use crate::crypto::jwe::{self, PrivateKey};
use crate::crypto::sub::{PivotForHash, identity_hash};
use crate::identity::normalise;
use crate::paths::{FC_PREFIX, platform as p};
use crate::shared::Shared;

/// The data-provider role's state: the shared state and the providers'
/// decryption keys, parsed once. Cheap to clone.
#[derive(Clone)]
pub struct DpState {
    shared: Shared,
    pub keys: std::sync::Arc<HashMap<String, PrivateKey>>,
}

impl std::ops::Deref for DpState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl DpState {
    /// The data providers of `shared`'s configuration.
    pub fn new(shared: Shared) -> Self {
        let keys = std::sync::Arc::new(keys(&shared.config()));
        Self { shared, keys }
    }
}

/// Routes of the data providers, under `prefix` (`/dp`).
pub fn router<S>(prefix: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    DpState: axum::extract::FromRef<S>,
{
    Router::new()
        .route(
            &format!("{prefix}/dgfip/situations/ir/assiettes/annrev/{{year}}"),
            get(dgfip::impot_particulier),
        )
        .route(
            &format!("{prefix}/cnaf/quotient-familial"),
            get(cnaf::quotient_familial),
        )
        .route(&format!("{prefix}/{{id}}/jwks"), get(jwks))
}

/// The decryption keys of the data providers fcmock serves, parsed once.
pub fn keys(config: &crate::config::Config) -> HashMap<String, PrivateKey> {
    let mut out = HashMap::new();
    for dp in &config.data_providers {
        let Some(text) = &dp.private_key_pem else { continue };
        let Ok(doc) = pem::parse(text) else { continue };
        let der = doc.contents();
        let key = <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
            .map(PrivateKey::Ec)
            .ok()
            .or_else(|| {
                <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(der)
                    .ok()
                    .map(|k| PrivateKey::Rsa(Box::new(k)))
            });
        if let Some(k) = key {
            out.insert(dp.id.clone(), k);
        }
    }
    out
}

/// A data provider's error, in the `{error, reason, message}` shape of the DGFiP API.
pub(crate) struct DpError {
    status: StatusCode,
    error: &'static str,
    reason: &'static str,
    message: String,
}

impl DpError {
    fn new(status: StatusCode, error: &'static str, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            reason,
            message: message.into(),
        }
    }
}

impl IntoResponse for DpError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(json!({"error": self.error, "reason": self.reason, "message": self.message})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// What checktoken said about a token.
pub(crate) struct Checked {
    pub(crate) scopes: Vec<String>,
    pub(crate) introspection: Value,
}

/// Validates the service provider's token through FranceConnect, as a data provider does.
pub(crate) async fn check_token(state: &DpState, dp_id: &str, headers: &HeaderMap) -> Result<Checked, DpError> {
    let unauthorized = |msg: &str| DpError::new(StatusCode::UNAUTHORIZED, "invalid_token", "token", msg);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("Jeton FranceConnect absent : envoyez Authorization: Bearer <access_token>."))?;
    let cfg = state.config();
    let dp = cfg.data_provider_by_id(dp_id).ok_or_else(|| {
        DpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "provider",
            "fournisseur de données inconnu",
        )
    })?;
    let key = state.keys.get(dp_id).ok_or_else(|| {
        DpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "key",
            "clé de déchiffrement absente",
        )
    })?;
    let upstream = |msg: String| DpError::new(StatusCode::BAD_GATEWAY, "bad_gateway", "franceconnect", msg);
    let base = format!("{}{FC_PREFIX}", state.urls.internal);
    let resp = state
        .http
        .post(format!("{base}{}", p::CHECKTOKEN))
        .form(&[
            ("token", token),
            ("client_id", dp.client_id.as_str()),
            ("client_secret", dp.client_secret.as_str()),
        ])
        .send()
        .await
        .map_err(|e| upstream(format!("checktoken injoignable : {e}")))?;
    if !resp.status().is_success() {
        return Err(upstream(format!("checktoken a répondu {}", resp.status())));
    }
    let body = resp.text().await.map_err(|e| upstream(e.to_string()))?;
    let (_, jws) =
        jwe::decrypt(&body, key).map_err(|e| upstream(format!("réponse de checktoken indéchiffrable : {e}")))?;
    let jws = String::from_utf8(jws).map_err(|_| upstream("réponse de checktoken illisible".to_owned()))?;
    let jwks: jsonwebtoken::jwk::JwkSet = state
        .http
        .get(format!("{base}{}", p::JWKS))
        .send()
        .await
        .map_err(|e| upstream(e.to_string()))?
        .json()
        .await
        .map_err(|e| upstream(e.to_string()))?;
    let header = jsonwebtoken::decode_header(&jws).map_err(|e| upstream(e.to_string()))?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .ok_or_else(|| upstream("clé de signature de FranceConnect inconnue".to_owned()))?;
    let decoding = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| upstream(e.to_string()))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.set_audience(&[&dp.client_id]);
    validation.set_issuer(&[state.issuer()]);
    let claims: Value = jsonwebtoken::decode(&jws, &decoding, &validation)
        .map_err(|e| upstream(format!("signature de checktoken refusée : {e}")))?
        .claims;
    let introspection = claims.get("token_introspection").cloned().unwrap_or(Value::Null);
    if introspection.get("active").and_then(Value::as_bool) != Some(true) {
        return Err(unauthorized(
            "Jeton FranceConnect expiré, révoqué ou inconnu (checktoken : active=false).",
        ));
    }
    let scopes = introspection
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Checked { scopes, introspection })
}

/// What a data-provider request needs before serving data: a token FranceConnect
/// confirms, one of the provider's scopes (`scope_prefix`) granted, and the
/// persona the token is for.
pub(crate) async fn admit(
    state: &DpState,
    dp_id: &str,
    headers: &HeaderMap,
    scope_prefix: &str,
    no_scope: &str,
    no_person: &str,
) -> Result<(Checked, std::sync::Arc<Persona>), DpError> {
    let checked = check_token(state, dp_id, headers).await?;
    if !checked.scopes.iter().any(|s| s.starts_with(scope_prefix)) {
        return Err(DpError::new(StatusCode::FORBIDDEN, "forbidden", "scope", no_scope));
    }
    let persona = persona_of(state, &checked.introspection)
        .ok_or_else(|| DpError::new(StatusCode::NOT_FOUND, "not_found", "person", no_person))?;
    Ok((checked, persona))
}

/// The persona whose identity (civil, or as one of its providers holds it) checktoken returned.
pub(crate) fn persona_of(state: &DpState, introspection: &Value) -> Option<std::sync::Arc<Persona>> {
    let get = |k: &str| introspection.get(k).and_then(Value::as_str).unwrap_or_default();
    let hash = identity_hash(&PivotForHash {
        given_name: get("given_name"),
        family_name: get("family_name"),
        birthdate: get("birthdate"),
        gender: get("gender"),
        birthplace: get("birthplace"),
        birthcountry: get("birthcountry"),
    });
    state
        .config()
        .personas
        .iter()
        .find(|p| {
            normalise(&p.identity).identity_hash == hash
                || p.accounts
                    .iter()
                    .any(|a| a.divergent && normalise(&a.identity).identity_hash == hash)
        })
        .cloned()
}

/// `GET /dp/{id}/jwks`: the data provider's public encryption key.
async fn jwks(State(state): State<DpState>, Path(id): Path<String>) -> Result<Json<Value>, DpError> {
    let cfg = state.config();
    let dp = cfg.data_provider_by_id(&id).ok_or_else(|| {
        DpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "provider",
            "fournisseur de données inconnu",
        )
    })?;
    Ok(Json(json!({"keys": [dp.public_jwk]})))
}
