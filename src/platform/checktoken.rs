//! `POST /api/v2/checktoken`: data providers validate a service provider's
//! access token.
//!
//! The answer is `application/token-introspection+jwt`: a JWE encrypted to the
//! data provider's key, around a JWS signed by FranceConnect whose payload is
//! exactly `{token_introspection, aud, iat, iss}`. The introspection carries a
//! `sub` of the data provider's own (its client_id in place of the entityId),
//! the scopes both requested by the service provider and granted to the data
//! provider, and the pivot identity; an expired, revoked or unknown token is
//! `{active: false}`.

use std::collections::HashMap;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::view::PlatformView;
use crate::crypto::jwe::{self, PublicKey};
use crate::crypto::sub::compute_sub;
use crate::oidc::form::parse_form;
use crate::oidc::store::Lookup;

/// A checktoken refusal: FranceConnect answers these without `error_uri`.
#[derive(Debug)]
pub(crate) struct CheckTokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn json_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> CheckTokenError {
    CheckTokenError {
        status,
        error,
        description: description.into(),
    }
}

impl IntoResponse for CheckTokenError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut resp = (self.status, Json(body)).into_response();
        resp.extensions_mut()
            .insert(crate::journal::ErrorCode(self.error.to_owned()));
        resp
    }
}

pub(crate) async fn checktoken(state: PlatformView, body: String) -> Result<Response, CheckTokenError> {
    let form: HashMap<String, String> = parse_form(&body).into_iter().collect();
    let field = |k: &str| form.get(k).filter(|v| !v.is_empty());
    let (Some(token), Some(client_id), Some(secret)) = (field("token"), field("client_id"), field("client_secret"))
    else {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required parameter missing or invalid.",
        ));
    };
    let cfg = state.config();
    let Some(dp) = cfg.data_provider(client_id).filter(|d| &d.client_secret == secret) else {
        return Err(json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ));
    };
    let now = state.clock.now();
    let introspection: Value = match state.hub.access_tokens.lookup(token, state.clock.now_ms()) {
        Lookup::Live(g) => {
            let scope: Vec<&str> = g
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|s| dp.scopes.iter().any(|d| d == s))
                .collect();
            let id = &g.identity;
            json!({
                "active": true,
                "aud": g.client_id,
                "sub": compute_sub(&dp.client_id, &id.identity_hash, &cfg.platform.sub_secret),
                "iat": g.issued_at,
                "exp": g.expires_at,
                "acr": g.acr,
                // The access token itself (data-provider.service.ts l.77).
                "jti": token,
                "scope": scope.join(" "),
                "given_name": id.given_name,
                "given_name_array": id.given_name_array,
                "family_name": id.family_name,
                "birthdate": id.birthdate,
                "gender": id.gender,
                "birthplace": id.birthplace,
                "birthcountry": id.birthcountry,
            })
        }
        Lookup::Expired | Lookup::Missing => json!({"active": false}),
    };
    let mut claims = Map::new();
    claims.insert("token_introspection".into(), introspection);
    claims.insert("aud".into(), json!(dp.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("iss".into(), json!(state.issuer()));
    let server_error =
        |e: &dyn std::fmt::Display| json_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string());
    let signed = state
        .hub
        .keys
        .signer(dp.signing_alg)
        .and_then(|k| k.sign(&claims))
        .map_err(|e| server_error(&e))?;
    let rng = state.rng.clone();
    let encrypted = PublicKey::from_jwk(&dp.public_jwk).and_then(|pk| {
        jwe::encrypt(signed.as_bytes(), &pk, dp.encryption_alg, &Map::new(), &move |buf| {
            rng.fill(buf)
        })
    });
    let jwe = encrypted.map_err(|e| server_error(&e))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/token-introspection+jwt")],
        jwe,
    )
        .into_response())
}
