//! Journal exports: JSON and HAR 1.2 (opens in browsers' developer tools),
//! streamed: each exchange is decoded as its turn to be sent comes, so an
//! export never holds the whole journal decoded in memory.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use futures_util::StreamExt as _;
use futures_util::stream;
use serde_json::{Value, json};

use super::{Exchange, Found};

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn name_values(pairs: &[(String, String)]) -> Vec<Value> {
    pairs.iter().map(|(k, v)| json!({"name": k, "value": v})).collect()
}

fn status_text(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// One HAR entry. fcmock's own fields start with `_` as HAR allows.
fn entry(e: &Exchange, base: &str) -> Value {
    let url = if e.url.starts_with("http") {
        e.url.clone()
    } else {
        format!("{base}{}", e.url)
    };
    let query: Vec<(String, String)> = url::Url::parse(&url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let mut request = json!({
        "method": e.meta.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": name_values(&e.request_headers),
        "queryString": name_values(&query),
        "headersSize": -1,
        "bodySize": e.request_body.as_ref().map_or(0, |b| i64::try_from(b.len()).unwrap_or(-1)),
    });
    if let (Some(body), Some(obj)) = (&e.request_body, request.as_object_mut()) {
        obj.insert(
            "postData".to_owned(),
            json!({
                "mimeType": header_value(&e.request_headers, "content-type").unwrap_or("application/octet-stream"),
                "text": body,
            }),
        );
    }
    let text = e.response_body.clone().unwrap_or_default();
    json!({
        "startedDateTime": rfc3339(e.meta.started_ms),
        "time": e.meta.duration_ms,
        "request": request,
        "response": {
            "status": e.status,
            "statusText": status_text(e.status),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": name_values(&e.response_headers),
            "content": {"size": text.len(), "mimeType": e.response_content_type, "text": text},
            "redirectURL": e.location.clone().unwrap_or_default(),
            "headersSize": -1,
            "bodySize": text.len(),
        },
        "cache": {},
        "timings": {"send": 0, "wait": e.meta.duration_ms, "receive": 0},
        "comment": format!("{} ({:?} → {})", e.meta.endpoint, e.meta.from, e.meta.to),
        "_fcmock": {
            "seq": e.meta.seq,
            "flow": e.meta.flow,
            "endpoint": e.meta.endpoint,
            "client_id": e.meta.client_id,
            "persona": e.meta.persona,
            "jwts": e.jwts,
            "error_code": e.error_code,
            "token_fingerprint": e.token_fingerprint,
            "truncated": e.truncated,
        },
    })
}

/// What comes before the HAR entries.
pub fn har_head() -> String {
    let creator = json!({"name": "fcmock", "version": env!("CARGO_PKG_VERSION")});
    format!(r#"{{"log":{{"version":"1.2","creator":{creator},"pages":[],"entries":["#)
}

/// What comes after the HAR entries.
pub const HAR_TAIL: &str = "]}}";

/// One HAR entry, serialised.
pub fn har_entry(e: &Exchange, base: &str) -> Vec<u8> {
    serde_json::to_vec(&entry(e, base)).unwrap_or_default()
}

/// A body made of `head`, each found exchange rendered by `render` when
/// its turn comes (comma-separated), and `tail`.
pub fn streamed<F>(head: String, found: Vec<Found>, tail: &'static str, render: F) -> Body
where
    F: Fn(&Found) -> Vec<u8> + Send + 'static,
{
    let items = stream::iter(found.into_iter().enumerate()).map(move |(i, f)| {
        let mut chunk = if i == 0 { Vec::new() } else { b",".to_vec() };
        chunk.extend(render(&f));
        Ok::<_, Infallible>(Bytes::from(chunk))
    });
    let whole = stream::once(async move { Ok(Bytes::from(head)) })
        .chain(items)
        .chain(stream::once(async move { Ok(Bytes::from_static(tail.as_bytes())) }));
    Body::from_stream(whole)
}
