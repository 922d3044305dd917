//! The recording step.
//!
//! [`record`] runs around every request (a plain call from the server's
//! `App::answer`, not a tower layer) with its own state, a [`Recorder`]:
//! the journal, the clock and where FranceConnect+ is served. It works out
//! which flow a request belongs to (the fault step and the handlers need
//! it), then keeps a bounded copy of the exchange ([`Record`]); decoding and
//! redaction wait until the journal is read.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody as _, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::record::{Half, Record};
use super::redact::TOKEN_PARAMS;
use super::{ErrorCode, Journal, Meta, Party, StreamedFault, fingerprint};
use crate::clock::Clock;
use crate::oidc::form::{decode, raw_pairs};

/// How long a request body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Largest request body read (the app refuses larger ones anyway).
const REQUEST_LIMIT: usize = 64 * 1024;

/// Header in which the hub names the flow of its calls to a built-in
/// identity provider's discovery and JWKS (nothing else links them).
pub const FLOW_HEADER: &str = "x-fcmock-flow";

/// The recording layer's state.
#[derive(Clone)]
pub struct Recorder {
    pub journal: Arc<Journal>,
    pub clock: Clock,
    /// Where FranceConnect+ is served (`platform.fcplus_path`).
    pub fcplus_prefix: Arc<str>,
    /// The platforms' fixed paths, classified once.
    known: Arc<HashMap<String, Endpoint>>,
}

impl Recorder {
    pub fn new(journal: Arc<Journal>, clock: Clock, fcplus_prefix: &str) -> Self {
        use crate::paths::platform as fc;
        let fixed = [
            fc::DISCOVERY,
            fc::JWKS,
            fc::AUTHORIZE,
            fc::TOKEN,
            fc::USERINFO,
            fc::SESSION_END,
            fc::REVOCATION,
            fc::CHECKTOKEN,
            fc::LOGIN,
            fc::OIDC_CALLBACK,
        ];
        let known = [crate::paths::FC_PREFIX, fcplus_prefix]
            .into_iter()
            .flat_map(|prefix| fixed.iter().map(move |p| format!("{prefix}{p}")))
            .filter_map(|path| Some((path.clone(), classify(&path, fcplus_prefix)?)))
            .collect();
        Self {
            journal,
            clock,
            fcplus_prefix: Arc::from(fcplus_prefix),
            known: Arc::new(known),
        }
    }

    /// [`classify`], without building the name again for a fixed path.
    fn classify(&self, path: &str) -> Option<Endpoint> {
        match self.known.get(path) {
            Some(known) => Some(known.clone()),
            None => classify(path, &self.fcplus_prefix),
        }
    }
}

/// An endpoint's journal name, who calls it and which server answers.
type Endpoint = (Arc<str>, Party, Cow<'static, str>);

/// Which endpoint a path is, who calls it, and which server answers.
fn classify(path: &str, fcplus: &str) -> Option<Endpoint> {
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
        return Some((Arc::from(format!("{short}.{name}")), party, Cow::Borrowed(service)));
    }
    if let Some(rest) = path.strip_prefix(crate::paths::DP_PREFIX) {
        let rest = rest.trim_start_matches('/');
        let (id, tail) = rest.split_once('/')?;
        return Some((
            Arc::from(format!("dp.{id}.{}", tail.replace('/', "."))),
            Party::ServiceProvider,
            Cow::Owned(format!("dp:{id}")),
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
    Some((
        Arc::from(format!("idp.{id}.{name}")),
        party,
        Cow::Owned(format!("idp:{id}")),
    ))
}

/// A method's name, without a copy for the usual ones.
fn method_name(method: &axum::http::Method) -> Cow<'static, str> {
    use axum::http::Method;
    match *method {
        Method::GET => Cow::Borrowed("GET"),
        Method::POST => Cow::Borrowed("POST"),
        Method::HEAD => Cow::Borrowed("HEAD"),
        Method::OPTIONS => Cow::Borrowed("OPTIONS"),
        Method::PUT => Cow::Borrowed("PUT"),
        Method::DELETE => Cow::Borrowed("DELETE"),
        _ => Cow::Owned(method.as_str().to_owned()),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The few request parameters the layer reads (the first of each name, from
/// the query then a form body), borrowed unless they needed decoding.
#[derive(Default)]
struct Wanted<'a> {
    client_id: Option<Cow<'a, str>>,
    state: Option<Cow<'a, str>>,
    interaction: Option<Cow<'a, str>>,
    code: Option<Cow<'a, str>>,
    /// The first parameter carrying a token or a code ([`TOKEN_PARAMS`]).
    token: Option<Cow<'a, str>>,
}

impl<'a> Wanted<'a> {
    /// Reads the wanted parameters of a query or form, decoding only their
    /// values (a login's redirect URI and scopes are left as sent).
    fn scan(&mut self, form: &'a [u8]) {
        for (k, raw) in raw_pairs(form) {
            if self.token.is_none() && TOKEN_PARAMS.contains(&&*k) {
                self.token = Some(decode(raw));
            }
            let slot = match &*k {
                "client_id" => &mut self.client_id,
                "state" => &mut self.state,
                "interaction" => &mut self.interaction,
                "code" => &mut self.code,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(decode(raw));
            }
        }
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().find_map(|v| {
        v.to_str().ok()?.split(';').find_map(|c| {
            let (k, val) = c.trim().split_once('=')?;
            (k == crate::paths::SESSION_COOKIE).then(|| val.to_owned())
        })
    })
}

/// The error code of a response: what the error type said
/// ([`ErrorCode`]), or else the `error` of a redirect's query.
fn error_code(declared: Option<&ErrorCode>, location: Option<&str>) -> Option<String> {
    if let Some(code) = declared {
        return Some(code.0.clone());
    }
    raw_pairs(location_parts(location?).1.as_bytes())
        .find(|(k, _)| k == "error")
        .map(|(_, v)| decode(v).into_owned())
}

/// A redirect's path and query (either may be empty), without a parser's
/// allocations: `Location` values are fcmock's own (absolute URLs, or paths).
fn location_parts(location: &str) -> (&str, &str) {
    let location = location.split('#').next().unwrap_or_default();
    let (before, query) = location.split_once('?').unwrap_or((location, ""));
    let path = match before.split_once("://") {
        Some((_, rest)) => rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/"),
        None => before,
    };
    (path, query)
}

/// Records the exchange (platform and identity-provider routes only)
/// around `next`, which answers the request.
pub async fn record<N, F>(state: &Recorder, req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    let journal = &state.journal;
    let Some((endpoint, from, to)) = state.classify(req.uri().path()) else {
        return next(req).await;
    };
    let started_ms = state.clock.now_ms();
    let timer = Instant::now();
    let (mut parts, body) = req.into_parts();
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let now = state.clock.now_ms();
    // What the layer keeps of the request's parameters, owned: the flow, the
    // client named in them, the fingerprint of a token they carry.
    let (flow, param_client, token_fingerprint) = {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut wanted = Wanted::default();
        wanted.scan(parts.uri.query().unwrap_or("").as_bytes());
        if content_type.starts_with("application/x-www-form-urlencoded") {
            wanted.scan(&bytes);
        }
        let token = bearer(&parts.headers).map(Cow::Borrowed).or(wanted.token.take());
        (
            request_flow(state, &parts, &wanted, token.as_deref(), now).or_else(|| hub_flow(&endpoint, &parts.headers)),
            wanted.client_id.map(|c| Arc::<str>::from(c.as_ref())),
            token.as_deref().map(fingerprint),
        )
    };

    // Hand who this request belongs to down to the fault layer and the handlers.
    let before = flow.as_deref().map(|f| journal.flow_info(f, now)).unwrap_or_default();
    parts.extensions.insert(super::RequestContext::new(super::RequestFacts {
        endpoint: endpoint.clone(),
        flow: flow.clone(),
        client_id: before.client_id.or_else(|| param_client.clone()),
        persona: before.persona,
    }));
    if !journal.enabled() {
        return next(Request::from_parts(parts, Body::from(bytes))).await;
    }
    // The URI as the caller sent it (origin form: path and query, no copy).
    let (url, url_cut) = match parts.uri.path_and_query() {
        Some(pq) if parts.uri.scheme().is_none() => Record::keep_url(pq.as_str()),
        _ => Record::keep_url(&parts.uri.to_string()),
    };
    let mut record = Record {
        meta: Meta {
            seq: 0,
            flow: None,
            client_id: param_client,
            persona: None,
            endpoint,
            from,
            to,
            started_ms,
            duration_ms: 0.0,
            method: method_name(&parts.method),
        },
        url,
        url_cut,
        request: Half::capture(&parts.headers, &bytes),
        status: 0,
        response: Half::default(),
        response_note: None,
        token_fingerprint,
        error_code: None,
    };
    let response = next(Request::from_parts(parts, Body::from(bytes))).await;
    record.status = response.status().as_u16();
    let (rparts, rbody) = response.into_parts();
    let location = rparts.headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
    record.error_code = error_code(rparts.extensions.get::<ErrorCode>(), location);
    let flow = flow.or_else(|| location.and_then(|l| flow_of_location(state, l, now)));
    // A body that is a fault (broken or slow), or a stream, passes through
    // untouched; a body whose size is known is in memory already.
    let streamed = rparts.extensions.get::<StreamedFault>().map(|f| f.0);
    if streamed.is_some() || rbody.size_hint().exact().is_none() {
        record.response = Half::capture(&rparts.headers, b"");
        record.response_note = Some(streamed.unwrap_or("streamed body, not recorded"));
        finish(journal, record, flow, timer, now);
        return Response::from_parts(rparts, rbody);
    }
    let rbytes = match to_bytes(rbody, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "a response body failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    record.response = Half::capture(&rparts.headers, &rbytes);
    finish(journal, record, flow, timer, now);
    Response::from_parts(rparts, Body::from(rbytes))
}

/// Reads a request body within [`BODY_READ_TIMEOUT`] and [`REQUEST_LIMIT`],
/// or answers why not.
async fn read_body(body: Body) -> Result<Bytes, Response> {
    // A body shorter than its Content-Length would otherwise hold the
    // request until the global timeout (60 s, then 504): 408 after 10 s.
    let Ok(read) = tokio::time::timeout(BODY_READ_TIMEOUT, to_bytes(body, REQUEST_LIMIT)).await else {
        return Err((
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "Corps de requête incomplet après {} s (request body not received within {} s: shorter than its Content-Length?).",
                BODY_READ_TIMEOUT.as_secs(),
                BODY_READ_TIMEOUT.as_secs()
            ),
        )
            .into_response());
    };
    read.map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Corps de requête trop volumineux : fcmock accepte au plus {} Kio (request body over {} KiB).",
                REQUEST_LIMIT / 1024,
                REQUEST_LIMIT / 1024
            ),
        )
            .into_response()
    })
}

/// The flow the hub names for its call to a built-in provider's discovery
/// or JWKS.
fn hub_flow(endpoint: &str, headers: &HeaderMap) -> Option<Arc<str>> {
    let is_keys = endpoint.starts_with("idp.") && (endpoint.ends_with(".jwks") || endpoint.ends_with(".discovery"));
    let flow = headers.get(FLOW_HEADER)?.to_str().ok()?;
    // A flow id is an interaction uid: short, URL-safe.
    let plausible = flow.len() <= 64
        && flow
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (is_keys && plausible).then(|| Arc::from(flow))
}

/// The flow a request belongs to: from its interaction path, a `state`,
/// `interaction` or `code` parameter, its token, or its session cookie.
/// An authorize starts a flow of its own whatever the browser carries: its
/// flow is the interaction its answer leads to.
fn request_flow(
    state: &Recorder,
    parts: &axum::http::request::Parts,
    params: &Wanted<'_>,
    token: Option<&str>,
    now: i64,
) -> Option<Arc<str>> {
    let journal = &state.journal;
    let path_uid = [crate::paths::FC_PREFIX, &*state.fcplus_prefix]
        .iter()
        .find_map(|prefix| {
            parts
                .uri
                .path()
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix("/interaction/"))
        })
        .and_then(|rest| rest.split('/').next())
        .filter(|u| !u.is_empty());
    if let Some(uid) = path_uid {
        return Some(Arc::from(uid));
    }
    let path = parts.uri.path();
    let is_authorize = [crate::paths::FC_PREFIX, &*state.fcplus_prefix]
        .iter()
        .any(|prefix| path.strip_prefix(prefix) == Some("/authorize"));
    if is_authorize {
        return None;
    }
    [&params.state, &params.interaction, &params.code]
        .into_iter()
        .find_map(|v| journal.flow_of(v.as_deref()?, now))
        .or_else(|| token.and_then(|t| journal.flow_of(t, now)))
        .or_else(|| session_cookie(&parts.headers).and_then(|s| journal.flow_of(&s, now)))
}

/// The flow a response hands out in its redirect (an interaction page, or
/// a state or code already linked).
fn flow_of_location(state: &Recorder, location: &str, now: i64) -> Option<Arc<str>> {
    let (path, query) = location_parts(location);
    let in_interaction = [crate::paths::FC_PREFIX, &*state.fcplus_prefix]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix).and_then(|r| r.strip_prefix("/interaction/")));
    match in_interaction {
        Some(rest) => rest.split('/').next().map(Arc::from),
        None => raw_pairs(query.as_bytes()).find_map(|(k, v)| {
            (k == "state" || k == "code")
                .then(|| state.journal.flow_of(&decode(v), now))
                .flatten()
        }),
    }
}

/// Completes a record with what is known of its flow and keeps it.
fn finish(journal: &Journal, mut record: Record, flow: Option<Arc<str>>, timer: Instant, now: i64) {
    let info = flow.as_deref().map(|f| journal.flow_info(f, now)).unwrap_or_default();
    record.meta.client_id = info.client_id.or(record.meta.client_id);
    record.meta.persona = info.persona;
    record.meta.flow = flow;
    record.meta.duration_ms = timer.elapsed().as_secs_f64() * 1000.0;
    journal.record(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_parties() {
        let (e, p, t) = classify("/api/v2/interaction/abc/consent", crate::paths::FCPLUS_PREFIX).unwrap();
        assert_eq!(
            (&*e, p, &*t),
            ("fc.interaction.consent", Party::Browser, "franceconnect")
        );
        assert_eq!(
            classify("/api/v2/token", crate::paths::FCPLUS_PREFIX).unwrap().1,
            Party::ServiceProvider
        );
        let (e, p, t) = classify("/idp/ameli/userinfo", crate::paths::FCPLUS_PREFIX).unwrap();
        assert_eq!((&*e, p, &*t), ("idp.ameli.userinfo", Party::Platform, "idp:ameli"));
        assert_eq!(
            classify(
                "/idp/ameli/.well-known/openid-configuration",
                crate::paths::FCPLUS_PREFIX
            )
            .unwrap()
            .0
            .as_ref(),
            "idp.ameli.discovery"
        );
        assert!(classify("/_fcmock/health", crate::paths::FCPLUS_PREFIX).is_none());
    }

    #[test]
    fn fixed_paths_are_classified_once_and_alike() {
        let rec = Recorder::new(Arc::new(Journal::new(8, 1 << 20)), Clock::system(), "/plus/v2");
        assert!(rec.known.contains_key("/plus/v2/token"));
        assert!(rec.known.contains_key("/api/v2/authorize"));
        for path in [
            "/plus/v2/token",
            "/api/v2/userinfo",
            "/api/v2/interaction/u1",
            "/idp/ameli/token",
            "/nope",
        ] {
            assert_eq!(rec.classify(path), classify(path, "/plus/v2"), "{path}");
        }
    }

    #[test]
    fn locations_split_into_path_and_query() {
        assert_eq!(
            location_parts("https://rp.example:8443/cb?code=abc&state=x#frag"),
            ("/cb", "code=abc&state=x")
        );
        assert_eq!(
            location_parts("https://rp.example?error=access_denied"),
            ("/", "error=access_denied")
        );
        assert_eq!(
            location_parts("/api/v2/interaction/u1/consent"),
            ("/api/v2/interaction/u1/consent", "")
        );
        assert_eq!(location_parts(""), ("", ""));
        assert_eq!(
            error_code(None, Some("https://rp.example/cb?error=login_required&state=s")).as_deref(),
            Some("login_required")
        );
        assert_eq!(error_code(None, Some("https://rp.example/cb?code=c")), None);
    }
}
