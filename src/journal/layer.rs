//! The recording middleware.
//!
//! [`record`] runs around every request with its own state, a [`Recorder`]:
//! the journal, the clock, where FranceConnect+ is served, and a signature
//! check handed in by the server (the journal knows no role's keys).

use std::time::Instant;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use std::sync::Arc;

use super::{DecodedJwt, ErrorCode, Exchange, Journal, Party, StreamedFault, fingerprint};
use crate::clock::Clock;
use crate::oidc::form::parse_form;

/// How long a request body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Largest request body recorded (the app refuses larger ones anyway).
const REQUEST_LIMIT: usize = 64 * 1024;
/// Largest response body buffered for recording.
const RESPONSE_LIMIT: usize = 2 * 1024 * 1024;
/// Bodies are kept in the journal up to this many bytes.
const KEEP_BODY: usize = 16 * 1024;
/// Parameters whose values are secrets.
const SECRET_PARAMS: [&str; 5] = [
    "client_secret",
    "password",
    "client_assertion",
    "code_verifier",
    "csrfToken",
];
/// Parameters holding bearer credentials or codes: kept as a fingerprint
/// (so that exchanges can still be matched, and nothing can be replayed).
const TOKEN_PARAMS: [&str; 4] = ["token", "access_token", "refresh_token", "code"];

/// A URL (absolute, or a path with a query) with its secret and token
/// parameters redacted as in [`redact_params`].
fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let params = redact_params(&parse_form(query));
    let mut out = format!(
        "{base}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
    );
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(redact_url(&format!("?{f}")).trim_start_matches('?'));
    }
    out
}

/// Hidden form fields of recorded pages whose values are secrets or codes.
const HTML_SECRET_FIELDS: [&str; 4] = ["csrfToken", "code", "id_token_hint", "password"];

/// A page kept in the journal with its hidden secrets masked.
fn redact_html(text: &str) -> String {
    let mut out = text.to_owned();
    for name in HTML_SECRET_FIELDS {
        let marker = format!("name=\"{name}\" value=\"");
        let mut from = 0;
        while let Some(i) = out.get(from..).and_then(|rest| rest.find(&marker)) {
            let start = from + i + marker.len();
            let Some(len) = out.get(start..).and_then(|rest| rest.find('"')) else {
                break;
            };
            out.replace_range(start..start + len, "[redacted]");
            from = start + "[redacted]".len();
        }
    }
    out
}

/// Checks a JWT against the keys of the fcmock party that issued it:
/// `Some(valid)` when the issuer (first argument) is one of fcmock's, `None`
/// for a foreign issuer.
pub type SignatureCheck = Arc<dyn Fn(&str, &str) -> Option<bool> + Send + Sync>;

/// The recording layer's state.
#[derive(Clone)]
pub struct Recorder {
    pub journal: Arc<Journal>,
    pub clock: Clock,
    /// Where FranceConnect+ is served (`platform.fcplus_path`).
    pub fcplus_prefix: String,
    /// Verifies the signatures of the tokens it sees.
    pub check: SignatureCheck,
}

/// Which endpoint a path is, who calls it, and which server answers.
fn classify(path: &str, fcplus: &str) -> Option<(String, Party, String)> {
    let platform = if let Some(rest) = path.strip_prefix(fcplus).filter(|r| r.is_empty() || r.starts_with('/')) {
        Some((rest, "fcplus", "franceconnect-plus"))
    } else {
        path.strip_prefix(crate::paths::FC_PREFIX)
            .map(|rest| (rest, "fc", "franceconnect"))
    };
    if let Some((rest, short, service)) = platform {
        let rest = rest.trim_start_matches('/');
        let name = if rest.is_empty() {
            "root".to_owned()
        } else if let Some(after) = rest.strip_prefix("interaction/") {
            match after.split_once('/') {
                Some((_, step)) => format!("interaction.{step}"),
                None => "interaction".to_owned(),
            }
        } else if rest == ".well-known/openid-configuration" {
            "discovery".to_owned()
        } else {
            rest.replace('/', ".")
        };
        let back_channel = matches!(
            name.as_str(),
            "token" | "userinfo" | "token.revocation" | "discovery" | "jwks"
        );
        let party = if name == "checktoken" {
            Party::DataProvider
        } else if back_channel {
            Party::ServiceProvider
        } else {
            Party::Browser
        };
        return Some((format!("{short}.{name}"), party, service.to_owned()));
    }
    if let Some(rest) = path.strip_prefix(crate::paths::DP_PREFIX) {
        let rest = rest.trim_start_matches('/');
        let (id, tail) = rest.split_once('/')?;
        return Some((
            format!("dp.{id}.{}", tail.replace('/', ".")),
            Party::ServiceProvider,
            format!("dp:{id}"),
        ));
    }
    let rest = path.strip_prefix(crate::paths::IDP_PREFIX)?.trim_start_matches('/');
    let (id, tail) = rest.split_once('/')?;
    let name = if tail == ".well-known/openid-configuration" {
        "discovery".to_owned()
    } else {
        tail.replace('/', ".")
    };
    let back_channel = matches!(name.as_str(), "token" | "userinfo" | "jwks" | "discovery");
    let party = if back_channel { Party::Platform } else { Party::Browser };
    Some((format!("idp.{id}.{name}"), party, format!("idp:{id}")))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().find_map(|v| {
        v.to_str().ok()?.split(';').find_map(|c| {
            let (k, val) = c.trim().split_once('=')?;
            (k == crate::paths::SESSION_COOKIE).then(|| val.to_owned())
        })
    })
}

fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_owned();
            let value = v.to_str().unwrap_or("(binary)");
            let shown = match name.as_str() {
                "authorization" => match value.split_once(' ') {
                    Some((scheme, cred)) if scheme.eq_ignore_ascii_case("bearer") => {
                        format!("Bearer {}", fingerprint(cred))
                    }
                    Some((scheme, _)) => format!("{scheme} [redacted]"),
                    None => "[redacted]".to_owned(),
                },
                "location" | "referer" => redact_url(value),
                "cookie" | "set-cookie" => value
                    .split(';')
                    .map(|part| match part.split_once('=') {
                        Some((k, _))
                            if !matches!(
                                k.trim().to_ascii_lowercase().as_str(),
                                "path" | "samesite" | "max-age" | "expires" | "domain"
                            ) =>
                        {
                            format!("{}=[redacted]", k.trim())
                        }
                        _ => part.trim().to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => value.to_owned(),
            };
            (name, shown)
        })
        .collect()
}

fn redact_params(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| {
            let shown = if SECRET_PARAMS.contains(&k.as_str()) {
                "[redacted]".to_owned()
            } else if TOKEN_PARAMS.contains(&k.as_str()) {
                fingerprint(v)
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Replaces secrets in a form or JSON body kept in the journal.
fn redact_body(text: &str, content_type: &str) -> String {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let params = redact_params(&parse_form(text));
        return url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
    }
    if content_type.starts_with("application/json")
        && let Ok(mut v) = serde_json::from_str::<Value>(text)
    {
        if let Some(obj) = v.as_object_mut() {
            for key in ["access_token", "refresh_token", "client_secret"] {
                if let Some(Value::String(s)) = obj.get_mut(key) {
                    *s = if key == "client_secret" {
                        "[redacted]".to_owned()
                    } else {
                        fingerprint(s)
                    };
                }
            }
        }
        return v.to_string();
    }
    if content_type.starts_with("text/html") {
        return redact_html(text);
    }
    text.to_owned()
}

fn looks_like_jws(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts.iter().take(2).all(|p| !p.is_empty())
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn decode_part(part: &str) -> Value {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

fn decode_jwt(state: &Recorder, location: &str, jwt: &str) -> DecodedJwt {
    let mut parts = jwt.split('.');
    let header = decode_part(parts.next().unwrap_or(""));
    let claims = decode_part(parts.next().unwrap_or(""));
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let signature_verified = (state.check)(iss, jwt);
    DecodedJwt {
        location: location.to_owned(),
        header,
        claims,
        signature_verified,
    }
}

/// The error code of a response: what the error type said
/// ([`ErrorCode`]), or else the `error` of a redirect's query.
fn error_code(declared: Option<&ErrorCode>, location: Option<&str>) -> Option<String> {
    if let Some(code) = declared {
        return Some(code.0.clone());
    }
    let url = url::Url::parse(location?).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.into_owned())
}

/// A body as kept in the journal: redacted and truncated.
fn keep_body(text: &str, content_type: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let redacted = redact_body(text, content_type);
    let mut end = redacted.len().min(KEEP_BODY);
    while !redacted.is_char_boundary(end) {
        end -= 1;
    }
    Some(redacted.get(..end).unwrap_or_default().to_owned())
}

/// Records the exchange (platform and identity-provider routes only).
pub async fn record(State(state): State<Recorder>, req: Request, next: Next) -> Response {
    let journal = &state.journal;
    let Some((endpoint, from, to)) = classify(req.uri().path(), &state.fcplus_prefix) else {
        return next.run(req).await;
    };
    let started_ms = state.clock.now_ms();
    let timer = Instant::now();
    let (parts, body) = req.into_parts();
    // A body shorter than its Content-Length would otherwise hold the
    // request until the global timeout (60 s, then 504): 408 after 10 s.
    let Ok(read) = tokio::time::timeout(BODY_READ_TIMEOUT, to_bytes(body, REQUEST_LIMIT)).await else {
        return (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "Corps de requête incomplet après {} s (request body not received within {} s: shorter than its Content-Length?).",
                BODY_READ_TIMEOUT.as_secs(),
                BODY_READ_TIMEOUT.as_secs()
            ),
        )
            .into_response();
    };
    let Ok(bytes) = read else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Corps de requête trop volumineux : fcmock accepte au plus {} Kio (request body over {} KiB).",
                REQUEST_LIMIT / 1024,
                REQUEST_LIMIT / 1024
            ),
        )
            .into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut params = parse_form(parts.uri.query().unwrap_or(""));
    let body_text = String::from_utf8_lossy(&bytes).into_owned();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        params.extend(parse_form(&body_text));
    }
    let token = bearer(&parts.headers).or_else(|| {
        params
            .iter()
            .find(|(k, _)| TOKEN_PARAMS.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    });
    let session = session_cookie(&parts.headers);
    let now = state.clock.now_ms();
    let path_uid = [crate::paths::FC_PREFIX, state.fcplus_prefix.as_str()]
        .iter()
        .find_map(|prefix| parts.uri.path().strip_prefix(&format!("{prefix}/interaction/")))
        .map(|rest| rest.split('/').next().unwrap_or_default().to_owned());
    let mut flow = path_uid.filter(|u| !u.is_empty());
    for key in ["state", "interaction", "code"] {
        if flow.is_none()
            && let Some((_, v)) = params.iter().find(|(k, _)| k == key)
        {
            flow = journal.flow_of(v, now);
        }
    }
    if flow.is_none() {
        flow = token.as_deref().and_then(|t| journal.flow_of(t, now));
    }
    if flow.is_none() {
        flow = session.as_deref().and_then(|s| journal.flow_of(s, now));
    }
    let request_headers = redact_headers(&parts.headers);
    let method = parts.method.to_string();
    let url = redact_url(&parts.uri.to_string());
    let mut jwts = Vec::new();
    if let Some((_, hint)) = params.iter().find(|(k, _)| k == "id_token_hint")
        && looks_like_jws(hint)
    {
        jwts.push(decode_jwt(&state, "request.id_token_hint", hint));
    }
    let param_client = params.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v.clone());

    // Hand who this request belongs to down to the fault layer and the handlers.
    let before = flow.as_deref().map(|f| journal.flow_info(f, now)).unwrap_or_default();
    let mut parts = parts;
    parts.extensions.insert(super::RequestContext {
        endpoint: endpoint.clone(),
        flow: flow.clone(),
        client_id: before.client_id.or_else(|| param_client.clone()),
        persona: before.persona,
    });
    if !journal.enabled() {
        return next.run(Request::from_parts(parts, Body::from(bytes))).await;
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;

    // The request half of the record; the response half is filled below.
    let mut exchange = Exchange {
        seq: 0,
        flow: None,
        client_id: param_client,
        persona: None,
        endpoint,
        from,
        to,
        started_ms,
        duration_ms: 0.0,
        method,
        url,
        params: redact_params(&params),
        request_headers,
        request_body: keep_body(&body_text, &content_type),
        status: response.status().as_u16(),
        response_headers: redact_headers(response.headers()),
        response_body: None,
        response_content_type: String::new(),
        location: None,
        jwts,
        token_fingerprint: token.as_deref().map(fingerprint),
        error_code: None,
    };
    let finish = |mut e: Exchange, flow: Option<String>| {
        let info = flow.as_deref().map(|f| journal.flow_info(f, now)).unwrap_or_default();
        e.client_id = info.client_id.or(e.client_id);
        e.persona = info.persona;
        e.flow = flow;
        e.duration_ms = timer.elapsed().as_secs_f64() * 1000.0;
        journal.record(e);
    };
    if let Some(fault) = response.extensions().get::<StreamedFault>().copied() {
        // The body is the fault (broken or slow): pass it through untouched.
        exchange.response_body = Some(format!("(fcmock fault: {})", fault.0));
        finish(exchange, flow);
        return response;
    }
    let (rparts, rbody) = response.into_parts();
    let rbytes: Bytes = match to_bytes(rbody, RESPONSE_LIMIT).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "response too large to record").into_response(),
    };
    let rtype = rparts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let rtext = String::from_utf8_lossy(&rbytes).into_owned();
    let location = rparts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A flow may also be known from what the response hands out (a redirect carrying a state).
    if flow.is_none()
        && let Some(loc) = &location
        && let Ok(u) = url::Url::parse(loc)
    {
        let in_interaction = [crate::paths::FC_PREFIX, state.fcplus_prefix.as_str()]
            .iter()
            .find_map(|prefix| u.path().strip_prefix(&format!("{prefix}/interaction/")));
        flow = match in_interaction {
            Some(rest) => rest.split('/').next().map(str::to_owned),
            None => u.query_pairs().find_map(|(k, v)| {
                (k == "state" || k == "code")
                    .then(|| journal.flow_of(&v, now))
                    .flatten()
            }),
        };
    }
    if rtype.starts_with("application/jwt") && looks_like_jws(rtext.trim()) {
        exchange.jwts.push(decode_jwt(&state, "response.body", rtext.trim()));
    } else if rtype.starts_with("application/json")
        && let Ok(v) = serde_json::from_str::<Value>(&rtext)
        && let Some(id_token) = v.get("id_token").and_then(Value::as_str)
    {
        exchange.jwts.push(decode_jwt(&state, "response.id_token", id_token));
    }
    exchange.response_body = keep_body(&rtext, &rtype);
    exchange.error_code = error_code(rparts.extensions.get::<ErrorCode>(), location.as_deref());
    exchange.response_content_type = rtype;
    exchange.location = location.as_deref().map(redact_url);
    finish(exchange, flow);
    Response::from_parts(rparts, Body::from(rbytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_parties() {
        let (e, p, t) = classify("/api/v2/interaction/abc/consent", crate::paths::FCPLUS_PREFIX).unwrap();
        assert_eq!(
            (e.as_str(), p, t.as_str()),
            ("fc.interaction.consent", Party::Browser, "franceconnect")
        );
        assert_eq!(
            classify("/api/v2/token", crate::paths::FCPLUS_PREFIX).unwrap().1,
            Party::ServiceProvider
        );
        let (e, p, t) = classify("/idp/ameli/userinfo", crate::paths::FCPLUS_PREFIX).unwrap();
        assert_eq!(
            (e.as_str(), p, t.as_str()),
            ("idp.ameli.userinfo", Party::Platform, "idp:ameli")
        );
        assert_eq!(
            classify(
                "/idp/ameli/.well-known/openid-configuration",
                crate::paths::FCPLUS_PREFIX
            )
            .unwrap()
            .0,
            "idp.ameli.discovery"
        );
        assert!(classify("/_fcmock/health", crate::paths::FCPLUS_PREFIX).is_none());
    }

    #[test]
    fn secrets_are_redacted() {
        let body = "client_id=a&client_secret=s3cr3t&code=c&password=pw&token=tok";
        let red = redact_body(body, "application/x-www-form-urlencoded");
        assert!(!red.contains("s3cr3t") && !red.contains("pw") && !red.contains("=tok"));
        // Codes are fingerprinted like tokens.
        assert!(!red.contains("code=c&") && red.contains("code=sha256"), "{red}");
        let json = redact_body(r#"{"access_token":"AT","id_token":"x.y.z"}"#, "application/json");
        assert!(!json.contains("\"AT\"") && json.contains("x.y.z"));
        let url = redact_url("/api/v2/userinfo?access_token=AT-SECRET&x=1");
        assert!(!url.contains("AT-SECRET") && url.contains("x=1"), "{url}");
        let loc = redact_url("http://sp/cb?code=THE-CODE&state=s#code=FRAG-CODE");
        assert!(
            !loc.contains("THE-CODE") && !loc.contains("FRAG-CODE") && loc.contains("state=s"),
            "{loc}"
        );
        let html =
            redact_html(r#"<input type="hidden" name="csrfToken" value="CSRF-1"><input name="code" value="C-2">"#);
        assert!(!html.contains("CSRF-1") && !html.contains("C-2"), "{html}");
    }
}
