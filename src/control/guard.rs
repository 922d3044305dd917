//! Who may use the control API, and from where.
//!
//! - Loopback callers pass; others need `Authorization: Bearer <token>`
//!   (`--control-token`), compared in constant time.
//! - No web page the developer visits may drive it: a request carrying an
//!   `Origin` other than fcmock's own is refused, and so is a `Host` that is
//!   neither a loopback name nor the host of fcmock's public or internal URL
//!   (DNS rebinding), unless the caller holds the token.
//! - Bodies must be JSON or YAML, the types the API documents: the content
//!   types a browser may send cross-site without asking (forms, `text/plain`)
//!   are refused.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ControlError, ControlState};

/// The content types a body may have.
const BODY_TYPES: [&str; 4] = [
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
];

/// Host names that always mean this machine.
const LOOPBACK_HOSTS: [&str; 4] = ["localhost", "127.0.0.1", "::1", "[::1]"];

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    ControlError::new(status, message).into_response()
}

/// `scheme://host[:port]` of a URL, as browsers write `Origin`.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// The host name of a `Host` header value (port and IPv6 brackets handled).
fn host_name(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map_or(value, |(h, _)| h)
}

/// Why a request must not reach the API from where it comes, if it must not.
fn cross_site(state: &ControlState, headers: &HeaderMap) -> Option<String> {
    let own = [&state.urls.public, &state.urls.internal];
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let allowed = own.iter().filter_map(|u| origin_of(u)).any(|o| o == origin);
        if !allowed {
            return Some(format!(
                "a page from `{origin}` may not drive the control API (only fcmock's own pages, {})",
                state.urls.public
            ));
        }
    }
    if let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) {
        let name = host_name(host);
        let known = LOOPBACK_HOSTS.contains(&name)
            || own
                .iter()
                .filter_map(|u| url::Url::parse(u).ok())
                .any(|u| u.host_str().is_some_and(|h| host_name(h) == name || h == name));
        if !known {
            return Some(format!(
                "`Host: {host}` is neither a loopback name nor fcmock's URL ({}); use that, or --control-token",
                state.urls.public
            ));
        }
    }
    None
}

/// Whether the body's declared type is one the API reads.
fn body_type_refused(method: &Method, headers: &HeaderMap) -> Option<String> {
    if !matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        return None;
    }
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.trim() != "0");
    match declared {
        Some(t) if BODY_TYPES.iter().any(|b| t.trim_start().starts_with(b)) => None,
        None if !has_body => None,
        other => Some(format!(
            "content type `{}` refused: send application/json or application/yaml (e.g. curl -H 'content-type: application/yaml')",
            other.unwrap_or("(none)")
        )),
    }
}

/// The control API's gate (a middleware).
pub(crate) async fn guard(State(state): State<ControlState>, mut req: Request, next: Next) -> Response {
    use axum::RequestExt as _;
    // Through the extractor, so that axum's MockConnectInfo works in tests.
    let peer = req
        .extract_parts::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr);
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared in constant time: the answer's timing says nothing of the token.
    let token_ok = match (&state.control_token, presented) {
        (Some(expected), Some(got)) => bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), got.as_bytes())),
        _ => false,
    };
    if !token_ok && let Some(why) = cross_site(&state, req.headers()) {
        return refuse(StatusCode::FORBIDDEN, why);
    }
    if let Some(why) = body_type_refused(req.method(), req.headers()) {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, why);
    }
    // `to_canonical`: with `--bind ::`, IPv4 callers arrive as ::ffff:127.0.0.1.
    // A caller whose address is unknown is not loopback (the server names
    // the peer of every request under the mock's prefix).
    let loopback = peer.is_some_and(|addr| addr.ip().to_canonical().is_loopback());
    if loopback || token_ok {
        return next.run(req).await;
    }
    match state.control_token {
        Some(_) => refuse(
            StatusCode::UNAUTHORIZED,
            "send `Authorization: Bearer <control token>` (the --control-token fcmock was started with)",
        ),
        None => refuse(
            StatusCode::FORBIDDEN,
            "the control API answers loopback callers only; start fcmock with --control-token TOKEN (FCMOCK_CONTROL_TOKEN) to allow others",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_names_lose_their_port() {
        assert_eq!(host_name("localhost:7080"), "localhost");
        assert_eq!(host_name("[::1]:7080"), "::1");
        assert_eq!(host_name("fcmock"), "fcmock");
    }
}
