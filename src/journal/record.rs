//! What the journal keeps of an exchange, and how it is shown.
//!
//! Recording is cheap: the layer copies a bounded prefix of the URL, the
//! headers and the bodies as they went by ([`Record`]), with the few facts
//! that queries filter on. Everything else (parameters, decoded JWTs and
//! their signature check, redaction) is worked out when the journal is read
//! ([`Record::decode`]), so a login pays for none of it.

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::{DecodedJwt, Exchange, Meta, redact};
use crate::oidc::form::parse_form;

/// Longest URL kept.
pub const URL_KEEP: usize = 8 * 1024;
/// Most header bytes kept for each side of an exchange.
pub const HEAD_KEEP: usize = 8 * 1024;
/// Most body bytes kept for each side of an exchange.
pub const BODY_KEEP: usize = 16 * 1024;

/// Checks a JWT against the keys of the fcmock party that issued it:
/// `Some(valid)` when the issuer (first argument) is one of fcmock's, `None`
/// for a foreign issuer.
pub type SignatureCheck = std::sync::Arc<dyn Fn(&str, &str) -> Option<bool> + Send + Sync>;

/// One side of an exchange (request or response), as received, bounded.
#[derive(Debug, Default)]
pub struct Half {
    /// The `name: value` lines (cut at [`HEAD_KEEP`] bytes), then the first
    /// [`BODY_KEEP`] bytes of the body: one copy, which holds no larger
    /// buffer alive.
    kept: Vec<u8>,
    /// Where the lines end in `kept`.
    head_len: usize,
    head_cut: bool,
    /// The body's full length.
    body_len: usize,
}

impl Half {
    /// Copies the bounded part of `headers` and `body`.
    pub fn capture(headers: &HeaderMap, body: &[u8]) -> Self {
        let body_kept = body.get(..body.len().min(BODY_KEEP)).unwrap_or_default();
        // Room for the body and a short head: a longer head grows the buffer
        // before the body is copied in.
        let mut kept = Vec::with_capacity(256 + body_kept.len());
        let mut head_cut = false;
        for (name, value) in headers {
            let (name, value) = (name.as_str(), value.to_str().unwrap_or("(binary)"));
            if kept.len() + name.len() + value.len() + 3 > HEAD_KEEP {
                head_cut = true;
                break;
            }
            kept.extend_from_slice(name.as_bytes());
            kept.extend_from_slice(b": ");
            kept.extend_from_slice(value.as_bytes());
            kept.push(b'\n');
        }
        let head_len = kept.len();
        kept.extend_from_slice(body_kept);
        Self {
            kept,
            head_len,
            head_cut,
            body_len: body.len(),
        }
    }

    /// The `name: value` lines as recorded.
    fn head(&self) -> &str {
        std::str::from_utf8(self.kept.get(..self.head_len).unwrap_or_default()).unwrap_or_default()
    }

    /// The body's bytes kept.
    fn body(&self) -> &[u8] {
        self.kept.get(self.head_len..).unwrap_or_default()
    }

    /// The headers as recorded, unredacted.
    fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.head().lines().filter_map(|l| l.split_once(": "))
    }

    /// The value of one header (lower-case name).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    fn body_complete(&self) -> bool {
        self.body().len() == self.body_len
    }

    fn weight(&self) -> usize {
        self.kept.capacity()
    }

    /// The body as the journal shows it: redacted, with a mark where it
    /// was cut.
    fn shown_body(&self) -> Option<String> {
        if self.body_len == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(self.body());
        let mut shown = redact::body(&text, self.content_type(), self.body_complete());
        if !self.body_complete() {
            shown.push_str(&format!(
                "…[fcmock: cut at {} of {} bytes]",
                self.body().len(),
                self.body_len
            ));
        }
        Some(shown)
    }
}

/// What the journal holds of one exchange.
#[derive(Debug)]
pub struct Record {
    pub meta: Meta,
    /// The request's URL (path and query), cut at [`URL_KEEP`] bytes.
    pub url: String,
    pub url_cut: bool,
    pub request: Half,
    pub status: u16,
    pub response: Half,
    /// Why the response body was not read (a fault served as a stream).
    pub response_note: Option<&'static str>,
    pub token_fingerprint: Option<String>,
    pub error_code: Option<String>,
}

impl Record {
    /// The URL kept, cut at [`URL_KEEP`] bytes on a character boundary.
    pub fn keep_url(url: &str) -> (String, bool) {
        if url.len() <= URL_KEEP {
            return (url.to_owned(), false);
        }
        let mut end = URL_KEEP;
        while !url.is_char_boundary(end) {
            end -= 1;
        }
        (url.get(..end).unwrap_or_default().to_owned(), true)
    }

    /// Bytes this record holds, as the journal's budget counts them.
    pub fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let shared = |s: &Option<std::sync::Arc<str>>| s.as_ref().map_or(0, |s| s.len());
        let m = &self.meta;
        std::mem::size_of::<Self>()
            + m.endpoint.len()
            + m.to.len()
            + m.method.len()
            + self.url.len()
            + shared(&m.flow)
            + shared(&m.client_id)
            + shared(&m.persona)
            + opt(&self.token_fingerprint)
            + opt(&self.error_code)
            + self.request.weight()
            + self.response.weight()
    }

    /// The exchange as the journal shows it. `client_id` and `persona` are
    /// what is known of the flow now; `check` verifies signatures.
    pub fn decode(
        &self,
        client_id: Option<std::sync::Arc<str>>,
        persona: Option<std::sync::Arc<str>>,
        check: Option<&SignatureCheck>,
    ) -> Exchange {
        let query = self.url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let mut params = parse_form(query);
        if self
            .request
            .content_type()
            .starts_with("application/x-www-form-urlencoded")
        {
            params.extend(parse_form(&String::from_utf8_lossy(self.request.body())));
        }
        let mut jwts = Vec::new();
        if let Some((_, hint)) = params.iter().find(|(k, _)| k == "id_token_hint")
            && looks_like_jws(hint)
        {
            jwts.push(decode_jwt(check, "request.id_token_hint", hint));
        }
        let rtype = self.response.content_type().to_owned();
        if self.response.body_complete() {
            let text = String::from_utf8_lossy(self.response.body());
            if rtype.starts_with("application/jwt") && looks_like_jws(text.trim()) {
                jwts.push(decode_jwt(check, "response.body", text.trim()));
            } else if rtype.starts_with("application/json")
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && let Some(id_token) = v.get("id_token").and_then(Value::as_str)
            {
                jwts.push(decode_jwt(check, "response.id_token", id_token));
            }
        }
        let mut truncated = Vec::new();
        for (cut, what) in [
            (self.url_cut, "url"),
            (self.request.head_cut, "request_headers"),
            (!self.request.body_complete(), "request_body"),
            (self.response.head_cut, "response_headers"),
            (!self.response.body_complete(), "response_body"),
        ] {
            if cut {
                truncated.push(what);
            }
        }
        let owned =
            |h: &Half| -> Vec<(String, String)> { h.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() };
        Exchange {
            meta: Meta {
                client_id,
                persona,
                ..self.meta.clone()
            },
            url: redact::url(&self.url),
            params: redact::params(&params),
            request_headers: redact::headers(&owned(&self.request)),
            request_body: self.request.shown_body(),
            status: self.status,
            response_headers: redact::headers(&owned(&self.response)),
            response_body: match self.response_note {
                Some(note) => Some(format!("(fcmock fault: {note})")),
                None => self.response.shown_body(),
            },
            response_content_type: rtype,
            location: self.response.header("location").map(redact::url),
            jwts,
            token_fingerprint: self.token_fingerprint.clone(),
            error_code: self.error_code.clone(),
            truncated,
        }
    }
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

fn decode_jwt(check: Option<&SignatureCheck>, location: &str, jwt: &str) -> DecodedJwt {
    let mut parts = jwt.split('.');
    let header = decode_part(parts.next().unwrap_or(""));
    let claims = decode_part(parts.next().unwrap_or(""));
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let signature_verified = check.and_then(|c| c(iss, jwt));
    DecodedJwt {
        location: location.to_owned(),
        header,
        claims,
        signature_verified,
    }
}
