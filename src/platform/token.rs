//! The back channel: `POST /token` and `POST /token/revocation` (userinfo is [`super::userinfo`]).

use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::OAuthError;
use super::view::PlatformView;
use super::{AccessGrant, CodeGrant};
use crate::config::Client;
use crate::crypto::jwe::{self, KeyManagement, PublicKey};
use crate::journal::RequestContext;
use crate::oidc::form::{FormMap, decode, raw_pairs};
use crate::oidc::provider::{GrantError, GrantRequest, IdTokenClaims, IssuedCode, TokenResponse, token_response};
use crate::oidc::store::Taken;
use crate::scenarios::Action;
use crate::scenarios::tokens::{sign_spoiled, spoil_all, token_faults};

const MISMATCH: &str = "client authentication failed (the registered client token_endpoint_auth_method does not match the provided auth mechanism)";

fn bad_request(error: &'static str, description: impl Into<String>, code: &'static str) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, error, description, code)
}

/// A refused grant, with FranceConnect's code for it.
fn grant_error(e: GrantError) -> OAuthError {
    let code = match e {
        GrantError::MissingCode => "Y048017B",
        GrantError::MissingGrantType | GrantError::UnsupportedGrantType | GrantError::MissingRedirectUri => "Y000400",
        GrantError::CodeNotFound
        | GrantError::CodeExpired
        | GrantError::ClientMismatch
        | GrantError::RedirectMismatch
        | GrantError::PkceFailed => "Y049E20B",
    };
    bad_request(e.oauth_error(), e.description(), code)
}

/// A code redeemed too late: node-oidc-provider's words, then its age and
/// lifetime, so that the portal's developer sees what went wrong.
fn expired_code(state: &PlatformView, ms_ago: i64) -> OAuthError {
    let ttl_s = i64::try_from(state.config().platform.code_ttl).unwrap_or(30);
    let age_s = ttl_s + ms_ago / 1000;
    let e = GrantError::CodeExpired;
    tracing::info!(age_s, ttl_s, "expired authorization code redeemed");
    bad_request(
        e.oauth_error(),
        format!(
            "{} — fcmock: issued {age_s} s ago, codes are valid {ttl_s} s; redeem the code as soon as the callback receives it",
            e.description().trim_end_matches(')')
        ) + ")",
        "Y049E20B",
    )
}

fn invalid_client(description: impl Into<String>, code: &'static str) -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description, code)
}

/// Parses a form body; a repeated parameter is refused as node-oidc-provider does.
fn form_map(body: &str) -> Result<FormMap<'_>, OAuthError> {
    let mut map = FormMap::with_capacity(8);
    for (k, raw) in raw_pairs(body.as_bytes()) {
        if map.contains_key(&k) {
            return Err(bad_request(
                "invalid_request",
                format!("'{k}' parameter must only be provided once"),
                "Y000400",
            ));
        }
        map.insert(k, decode(raw));
    }
    Ok(map)
}

/// `client_secret_post`, the only method FranceConnect registers for fcmock's clients.
fn authenticate(state: &PlatformView, headers: &HeaderMap, form: &FormMap<'_>) -> Result<Arc<Client>, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 6 && v[..6].eq_ignore_ascii_case("basic "));
    if basic || form.contains_key("client_assertion") {
        let used = if basic {
            "client_secret_basic"
        } else {
            "private_key_jwt"
        };
        tracing::info!(
            method = used,
            "client authentication refused: clients are registered with client_secret_post"
        );
        return Err(invalid_client(MISMATCH, "Y000401"));
    }
    let Some(client_id) = form.get("client_id").filter(|s| !s.is_empty()) else {
        return Err(bad_request(
            "invalid_request",
            "no client authentication mechanism provided",
            "Y000400",
        ));
    };
    let cfg = state.config();
    let Some(client) = cfg.client(client_id) else {
        return Err(invalid_client(
            "client authentication failed (client not found)",
            "Y000401",
        ));
    };
    match form.get("client_secret") {
        None => Err(invalid_client(MISMATCH, "Y000401")),
        Some(secret) if secret == &client.client_secret => Ok(client.clone()),
        Some(_) => Err(invalid_client(
            "client authentication failed (invalid secret provided)",
            "Y0434A7B",
        )),
    }
}

/// `POST /api/v2/token`.
pub(crate) async fn token(
    state: PlatformView,
    rc: Option<Extension<RequestContext>>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, OAuthError> {
    let (mut v, client) = token_inner(&state, rc.as_deref(), &headers, &body)?;
    seal_field(&state, &client, &mut v).await?;
    let mut resp = (StatusCode::OK, axum::Json(v)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

fn token_inner(
    state: &PlatformView,
    rc: Option<&RequestContext>,
    headers: &HeaderMap,
    body: &str,
) -> Result<(TokenResponse, Arc<Client>), OAuthError> {
    // Only a form body is read, before any code is looked at: a malformed
    // attempt must not burn the code (RFC 6749 §4.1.3).
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(bad_request(
            "invalid_request",
            "only application/x-www-form-urlencoded content-type bodies are supported",
            "Y000400",
        ));
    }
    let form = form_map(body)?;
    let client = authenticate(state, headers, &form)?;
    let request = GrantRequest::parse(&form).map_err(grant_error)?;
    let code = request.code;
    let now = state.clock.now_ms();
    let grant: CodeGrant = match state.hub.codes.take_checked(code, now) {
        Taken::Live(grant) => grant,
        Taken::Expired { ms_ago } => return Err(expired_code(state, ms_ago)),
        Taken::Missing => {
            if let Some(at) = state.hub.used_codes.take(code, now) {
                // A replayed code revokes what it produced (node-oidc-provider's behaviour).
                state.hub.access_tokens.remove(&at);
                tracing::info!("authorization code replayed: its access token is revoked");
            }
            return Err(grant_error(GrantError::CodeNotFound));
        }
    };
    let issued = IssuedCode {
        client_id: &grant.client_id,
        redirect_uri: &grant.redirect_uri,
        code_challenge: grant.code_challenge.as_deref(),
    };
    request.check(&client.client_id, &issued).map_err(grant_error)?;
    let cfg = state.config();
    let p = &cfg.platform;
    let access_token = state.rng.token();
    let at_ttl = i64::try_from(p.access_token_ttl).unwrap_or(60);
    let issued = std::sync::Arc::new(AccessGrant {
        issued_at: now / 1000,
        expires_at: now / 1000 + at_ttl,
        ..grant.grant
    });
    state
        .hub
        .access_tokens
        .insert(access_token.clone(), issued.clone(), now + at_ttl * 1000);
    state
        .hub
        .used_codes
        .insert(code.to_owned(), access_token.clone(), now + at_ttl * 1000);
    if let Some(flow) = state.journal.flow_of(code, now) {
        state.journal.link(&access_token, &flow, now);
    }

    let iat = state.clock.now();
    let g: &AccessGrant = &issued;
    let issuer = state.issuer();
    let claims = IdTokenClaims {
        iss: issuer,
        sub: &g.sub,
        aud: &g.client_id,
        iat,
        ttl: i64::try_from(p.id_token_ttl).unwrap_or(60),
        nonce: grant.nonce.as_str(),
        acr: &g.acr,
        auth_time: g.auth_time,
        amr: g.amr_in_id_token.then_some(g.amr.as_slice()),
    };
    // Scripted faults on the id_token (relying-party tests) edit the claims
    // as an object; an unspoiled token is signed from them directly.
    let endpoint = state.kind.endpoint("token");
    let faults = token_faults(&state.scenarios, &state.rng, rc, &endpoint, Action::id_token);
    let signer = state.hub.keys.signer(client.signing_alg);
    let id_token = match spoil_all(&faults, || claims.to_map(), iat) {
        None => signer.and_then(|k| k.sign(&claims)),
        Some((map, last)) => signer.and_then(|k| sign_spoiled(last, &k, &map)),
    }
    .map_err(OAuthError::server)?;
    Ok((
        token_response(access_token, at_ttl, id_token, g.scopes.join(" ")),
        client,
    ))
}

/// FranceConnect+ encrypts what it signs: the client's public key, from its
/// registration (inline JWK, or its jwks_uri, fetched at most once a minute),
/// with its kid.
pub(crate) async fn client_key(
    state: &PlatformView,
    client: &Client,
) -> Result<Option<(PublicKey, Map<String, Value>, KeyManagement)>, String> {
    let Some(enc) = &client.encryption else { return Ok(None) };
    let want_ec = enc.alg == KeyManagement::EcdhEs;
    let jwk = match (&enc.jwk, &enc.jwks_uri) {
        (Some(j), _) => j.clone(),
        (None, Some(uri)) => {
            let now = state.clock.now_ms();
            let set = match state.client_jwks.get(uri, now) {
                Some(set) => set,
                None => {
                    let set: Value = state
                        .http
                        .get(uri)
                        .timeout(std::time::Duration::from_secs(5))
                        .send()
                        .await
                        .map_err(|e| format!("jwks_uri {uri} unreachable: {e}"))?
                        .json()
                        .await
                        .map_err(|e| format!("jwks_uri {uri}: not a JWKS: {e}"))?;
                    state
                        .client_jwks
                        .insert(uri.clone(), set.clone(), now + super::CLIENT_JWKS_TTL_MS);
                    set
                }
            };
            set.get("keys")
                .and_then(Value::as_array)
                .and_then(|keys| {
                    keys.iter()
                        .find(|k| {
                            let kty = k.get("kty").and_then(Value::as_str);
                            let usable = k.get("use").and_then(Value::as_str) != Some("sig");
                            usable && (kty == Some("EC")) == want_ec
                        })
                        .cloned()
                })
                .ok_or_else(|| format!("jwks_uri {uri} has no encryption key for {}", enc.alg.as_str()))?
        }
        (None, None) => return Err("no encryption key registered".to_owned()),
    };
    let key = PublicKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut header = Map::new();
    if let Some(kid) = jwk.get("kid") {
        header.insert("kid".into(), kid.clone());
    }
    header.insert("cty".into(), json!("JWT"));
    Ok(Some((key, header, enc.alg)))
}

/// Encrypts a signed token for a FranceConnect+ client (unchanged otherwise).
pub(crate) async fn seal(state: &PlatformView, client: &Client, jws: String) -> Result<String, OAuthError> {
    match client_key(state, client).await.map_err(OAuthError::server)? {
        None => Ok(jws),
        Some((key, mut header, alg)) => {
            header.insert("iss".into(), json!(state.issuer()));
            header.insert("aud".into(), json!(client.client_id));
            let rng = state.rng.clone();
            jwe::encrypt(jws.as_bytes(), &key, alg, &header, &move |buf| rng.fill(buf)).map_err(OAuthError::server)
        }
    }
}

async fn seal_field(state: &PlatformView, client: &Client, body: &mut TokenResponse) -> Result<(), OAuthError> {
    body.id_token = seal(state, client, std::mem::take(&mut body.id_token)).await?;
    Ok(())
}

/// `POST /api/v2/token/revocation` (RFC 7009: 200 whatever the token was).
pub(crate) async fn revocation(
    state: PlatformView,
    headers: HeaderMap,
    body: String,
) -> Result<StatusCode, OAuthError> {
    let form = form_map(&body)?;
    let client = authenticate(&state, &headers, &form)?;
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return Err(bad_request(
            "invalid_request",
            "missing required parameter 'token'",
            "Y000400",
        ));
    };
    let now = state.clock.now_ms();
    if state
        .hub
        .access_tokens
        .get(token, now)
        .is_some_and(|g| g.client_id == client.client_id)
    {
        state.hub.access_tokens.remove(token);
    }
    Ok(StatusCode::OK)
}
