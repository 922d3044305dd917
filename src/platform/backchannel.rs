//! The hub's back channel to one identity provider: discovery, JWKS, token
//! and userinfo all go through [`BackChannel::send`], which keeps the
//! provider's last answer for error pages ([`Seen`]) and makes sure the
//! journal holds the exchange under the login's flow:
//! - an external provider's exchanges cross no listener of fcmock, so they
//!   are recorded here, as sent and received;
//! - a built-in provider is reached on fcmock's own listener, whose journal
//!   layer records it; the hub names the flow in [`FLOW_HEADER`] for the
//!   calls that carry nothing else to link them by (discovery, JWKS).

use std::sync::Arc;
use std::time::Instant;

use axum::http;
use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};

use super::idp_answer::{Answer, Seen};
use crate::clock::Clock;
use crate::journal::layer::FLOW_HEADER;
use crate::journal::record::Half;
use crate::journal::{Journal, Meta, Party, Record, fingerprint};

/// Longest answer read from a provider (discovery, JWKS, token, userinfo).
const ANSWER_LIMIT: usize = 1 << 20;

/// What the `openidconnect` crate's calls through [`BackChannel::oidc`] return.
type Call = std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpClientError<reqwest::Error>>> + Send>>;

/// Where a recorded call goes in the journal.
#[derive(Clone)]
struct Tap {
    journal: Arc<Journal>,
    clock: Clock,
}

/// The bounded copy of a request the journal keeps, taken before sending.
struct Sent {
    started_ms: i64,
    method: String,
    url: String,
    url_cut: bool,
    half: Half,
    token: Option<String>,
}

impl Sent {
    fn of(tap: &Tap, request: &HttpRequest) -> Self {
        let (url, url_cut) = Record::keep_url(&request.uri().to_string());
        Self {
            started_ms: tap.clock.now_ms(),
            method: request.method().to_string(),
            url,
            url_cut,
            half: Half::capture(request.headers(), request.body()),
            token: request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(fingerprint),
        }
    }
}

/// The hub's calls to one identity provider during one request.
#[derive(Clone)]
pub(crate) struct BackChannel {
    http: reqwest::Client,
    idp: String,
    flow: Option<Arc<str>>,
    /// Set for external providers: their calls are recorded here.
    tap: Option<Tap>,
    seen: Seen,
}

impl BackChannel {
    /// A back channel to `idp`; `external` providers are recorded here.
    pub(crate) fn new(
        http: &reqwest::Client,
        idp: &str,
        flow: Option<&str>,
        external: Option<(&Arc<Journal>, &Clock)>,
    ) -> Self {
        Self {
            http: http.clone(),
            idp: idp.to_owned(),
            flow: flow.map(Arc::from),
            tap: external.map(|(journal, clock)| Tap {
                journal: journal.clone(),
                clock: clock.clone(),
            }),
            seen: Seen::default(),
        }
    }

    /// The provider's last answer.
    pub(crate) fn seen(&self) -> &Seen {
        &self.seen
    }

    /// Sends `request` (the provider's endpoint `name`: `discovery`,
    /// `jwks`, `token`, `userinfo`) and keeps the answer.
    pub(crate) async fn send(
        &self,
        name: &'static str,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, HttpClientError<reqwest::Error>> {
        if self.tap.is_none()
            && let Some(flow) = self.flow.as_deref().and_then(|f| f.parse().ok())
        {
            request.headers_mut().insert(FLOW_HEADER, flow);
        }
        // What the journal keeps of the request is taken before it is sent
        // (only for external providers: no copy otherwise).
        let sent = self.tap.as_ref().map(|tap| Sent::of(tap, &request));
        let timer = Instant::now();
        let result = AsyncHttpClient::call(&self.http, request).await;
        let result = result.and_then(|r| {
            if r.body().len() > ANSWER_LIMIT {
                Err(HttpClientError::Other(format!(
                    "answer of {} bytes, over fcmock's limit of {ANSWER_LIMIT}",
                    r.body().len()
                )))
            } else {
                Ok(r)
            }
        });
        if let Ok(response) = &result {
            *self.seen.lock() = Some(Answer::of(response));
        }
        if let (Some(tap), Some(sent)) = (&self.tap, sent) {
            self.record(tap, name, sent, result.as_ref().ok(), timer);
        }
        result
    }

    /// A GET of `url`, with a bearer token if given.
    pub(crate) async fn get(
        &self,
        name: &'static str,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<HttpResponse, HttpClientError<reqwest::Error>> {
        let mut builder = http::Request::get(url).header(http::header::ACCEPT, "application/json, application/jwt");
        if let Some(token) = bearer {
            builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = builder
            .body(Vec::new())
            .map_err(|e| HttpClientError::Other(format!("URL `{url}`: {e}")))?;
        self.send(name, request).await
    }

    /// This back channel as the `openidconnect` crate's HTTP client, for
    /// the calls of endpoint `name`.
    pub(crate) fn oidc(&self, name: &'static str) -> impl Fn(HttpRequest) -> Call + use<> {
        let me = self.clone();
        move |request: HttpRequest| {
            let me = me.clone();
            Box::pin(async move { me.send(name, request).await })
        }
    }

    fn record(&self, tap: &Tap, name: &str, sent: Sent, response: Option<&HttpResponse>, timer: Instant) {
        let record = Record {
            meta: Meta {
                seq: 0,
                flow: self.flow.clone(),
                client_id: None,
                persona: None,
                endpoint: Arc::from(format!("idp.{}.{name}", self.idp)),
                from: Party::Platform,
                to: format!("idp:{}", self.idp).into(),
                started_ms: sent.started_ms,
                duration_ms: timer.elapsed().as_secs_f64() * 1000.0,
                method: sent.method.into(),
            },
            url: sent.url,
            url_cut: sent.url_cut,
            request: sent.half,
            status: response.map_or(0, |r| r.status().as_u16()),
            response: response.map_or_else(Half::default, |r| Half::capture(r.headers(), r.body())),
            response_note: response
                .is_none()
                .then_some("no answer (connection failed or answer refused)"),
            token_fingerprint: sent.token,
            error_code: None,
        };
        tap.journal.record_call(record, tap.clock.now_ms());
    }
}
