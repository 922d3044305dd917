//! The provider's back channel: discovery, JWKS, token (the hub's code
//! exchange), userinfo and end_session.

use super::login::spoil_idp_claims;
use super::*;
use crate::oidc::provider::{GrantError, GrantRequest, IdTokenClaims, IssuedCode, token_response};

pub(super) async fn discovery(State(state): State<IdpState>, Path(id): Path<String>) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let iss = issuer(&state, &id);
    Ok(Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}{}", ip::AUTHORIZE),
        "token_endpoint": format!("{iss}{}", ip::TOKEN),
        "userinfo_endpoint": format!("{iss}{}", ip::USERINFO),
        "jwks_uri": format!("{iss}{}", ip::JWKS),
        "end_session_endpoint": format!("{iss}{}", ip::END_SESSION),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "grant_types_supported": ["authorization_code"],
        "id_token_signing_alg_values_supported": [rt.config.signing_alg.as_str()],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email", "birth", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "preferred_username"],
        "claims_supported": ["sub", "given_name", "family_name", "preferred_username", "birthdate", "gender", "birthplace", "birthcountry", "email", "acr", "amr"],
        "acr_values_supported": rt.config.acr,
    }))
    .into_response())
}

use axum::Json;

pub(super) async fn jwks(State(state): State<IdpState>, Path(id): Path<String>) -> Result<Response, IdpError> {
    Ok(Json(runtime(&state, &id)?.keys.jwks()).into_response())
}

pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

pub(super) async fn token(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let form = form_map(&body);
    let (client_id, secret) = match basic_credentials(&headers) {
        Some(c) => c,
        None => (
            form.get("client_id").map(|v| v.to_string()).unwrap_or_default(),
            form.get("client_secret").map(|v| v.to_string()).unwrap_or_default(),
        ),
    };
    if client_id != rt.config.hub_client_id || secret != rt.config.hub_client_secret {
        return Err(IdpError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        ));
    }
    let refuse = |e: GrantError| IdpError::oauth(StatusCode::BAD_REQUEST, e.oauth_error(), e.description());
    let request = GrantRequest::parse(&form).map_err(refuse)?;
    if !is_hub_url(&state, p::OIDC_CALLBACK, Some(request.redirect_uri)) {
        return Err(refuse(GrantError::RedirectMismatch));
    }
    let now = state.clock.now_ms();
    let grant = rt
        .codes
        .take(request.code, now)
        .ok_or_else(|| refuse(GrantError::CodeNotFound))?;
    let issued = IssuedCode {
        client_id: &rt.config.hub_client_id,
        redirect_uri: &grant.redirect_uri,
        code_challenge: None,
    };
    request.check(&client_id, &issued).map_err(refuse)?;
    let iss = issuer(&state, &id);
    let mut claims = IdTokenClaims {
        iss: &iss,
        sub: &grant.sub,
        aud: &rt.config.hub_client_id,
        iat: state.clock.now(),
        ttl: TOKEN_TTL_MS / 1000,
        nonce: grant.nonce.as_str(),
        acr: &grant.acr,
        auth_time: grant.auth_time,
        amr: Some(&rt.config.amr),
    }
    .to_map();
    spoil_idp_claims(&state, rc.as_deref(), &format!("idp.{id}.token"), &mut claims);
    let id_token = match rt.keys.signer(rt.config.signing_alg).and_then(|k| k.sign(&claims)) {
        Ok(t) => t,
        Err(e) => {
            return Err(IdpError::oauth(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                e.to_string(),
            ));
        }
    };
    let access_token = state.rng.token();
    if let Some(flow) = form.get("code").and_then(|c| state.journal.flow_of(c, now)) {
        state.journal.link(&access_token, &flow, now);
    }
    rt.tokens.insert(access_token.clone(), grant, now + TOKEN_TTL_MS);
    let mut resp = Json(token_response(
        access_token,
        TOKEN_TTL_MS / 1000,
        id_token,
        "openid profile email birth".to_owned(),
    ))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The identity as this provider returns it at userinfo.
pub(super) fn identity_claims(sub: &str, id: &Identity) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(sub));
    out.insert("given_name".into(), json!(id.given_name));
    out.insert("family_name".into(), json!(id.family_name));
    if let Some(u) = &id.preferred_username {
        out.insert("preferred_username".into(), json!(u));
    }
    out.insert("gender".into(), json!(id.gender));
    out.insert("birthdate".into(), json!(id.birthdate));
    out.insert("birthplace".into(), json!(id.birthplace));
    out.insert("birthcountry".into(), json!(id.birthcountry));
    if let Some(e) = &id.email {
        out.insert("email".into(), json!(e));
    }
    out
}

pub(super) async fn userinfo(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    headers: HeaderMap,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or_default();
    match rt.tokens.get(token, state.clock.now_ms()) {
        Some(g) => {
            let mut claims = identity_claims(&g.sub, &g.identity);
            spoil_idp_claims(&state, rc.as_deref(), &format!("idp.{id}.userinfo"), &mut claims);
            Ok(Json(Value::Object(claims)).into_response())
        }
        None => Err(IdpError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "invalid token provided",
        )),
    }
}

pub(super) async fn end_session(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, IdpError> {
    runtime(&state, &id)?;
    let params = parse_form(q.as_deref().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match get("post_logout_redirect_uri") {
        Some(uri) if is_hub_url(&state, p::LOGOUT_CALLBACK, Some(&uri)) => {
            let target = match get("state") {
                Some(s) => with_query(&uri, &[("state", &s)]),
                None => uri,
            };
            Ok(Redirect::to(&target).into_response())
        }
        Some(other) => Err(IdpError::page(
            StatusCode::BAD_REQUEST,
            format!("post_logout_redirect_uri non enregistrée : {other}"),
        )),
        None => Ok(render(
            StatusCode::OK,
            &MessagePage {
                heading: "Vous êtes déconnecté(e)",
                body: "Vous êtes déconnecté(e) de ce fournisseur d'identité simulé.",
            },
        )),
    }
}
