//! The journal: every exchange, correlated by flow.
//!
//! A recording step ([`layer::record`]) captures each request to the
//! platform and the identity providers with its response: timing, decoded
//! parameters, decoded JWTs (and whether their signature verified against
//! fcmock's keys), secrets redacted. Exchanges are attributed to a *flow*
//! (one login = one flow id across browser, service provider, platform and
//! identity provider): handlers [`link`](Journal::link) each artifact they
//! mint (interaction uid, state sent to an identity provider, codes, access
//! tokens, session) to the flow, and the layer finds the flow of a request
//! from whichever artifact it carries.
//!
//! Storage is a ring buffer bounded both in exchanges and in bytes: each
//! [`Record`] keeps bounded raw material (see [`record`]) and is decoded,
//! verified and redacted only when read.

pub mod export;
pub mod layer;
pub mod record;
mod redact;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use crate::oidc::store::ExpiringStore;
pub use record::{Record, SignatureCheck};

/// How long an artifact → flow link is kept.
const LINK_TTL_MS: i64 = 2 * 3600 * 1000;

/// Who talked to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The user's browser (front channel).
    Browser,
    /// A service provider's back end (token, userinfo, revocation, discovery, JWKS).
    ServiceProvider,
    /// FranceConnect calling an identity provider (back channel).
    Platform,
    /// A data provider calling FranceConnect (checktoken).
    DataProvider,
}

/// A decoded JWT seen in an exchange.
#[derive(Debug, Clone, Serialize)]
pub struct DecodedJwt {
    /// Where it was: `response.id_token`, `response.body`, `request.id_token_hint`…
    pub location: String,
    pub header: Value,
    pub claims: Value,
    /// Whether the signature verified against the issuer's keys in fcmock
    /// (`None` when the issuer is not one of fcmock's).
    pub signature_verified: Option<bool>,
}

/// Who, to whom, where and when: what every exchange records first, and
/// what queries filter on.
///
/// Names are shared (`Arc<str>`) with the journal's flow links and the
/// request's context, or static: a record holds few allocations of its own,
/// and dropping the oldest to make room frees few cold ones.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub seq: u64,
    pub flow: Option<Arc<str>>,
    pub client_id: Option<Arc<str>>,
    pub persona: Option<Arc<str>>,
    /// `fc.authorize`, `fc.token`, `idp.ameli.login`…
    pub endpoint: Arc<str>,
    pub from: Party,
    /// `franceconnect` or `idp:{id}`.
    pub to: Cow<'static, str>,
    pub started_ms: i64,
    pub duration_ms: f64,
    pub method: Cow<'static, str>,
}

/// One HTTP exchange, as the journal shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    #[serde(flatten)]
    pub meta: Meta,
    pub url: String,
    /// Query and form parameters, decoded, secrets redacted.
    pub params: Vec<(String, String)>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub response_content_type: String,
    pub location: Option<String>,
    pub jwts: Vec<DecodedJwt>,
    /// `sha256:<12 hex>` of the bearer or posted token, so tests can tell
    /// which token was used without the journal holding it.
    pub token_fingerprint: Option<String>,
    /// FranceConnect error code shown or returned, if any.
    pub error_code: Option<String>,
    /// The fields cut by the journal's per-exchange limits (`url`,
    /// `request_headers`, `request_body`, `response_headers`, `response_body`).
    pub truncated: Vec<&'static str>,
}

/// Who a request belongs to, worked out by the journal step and left in the
/// request's extensions for the fault step and the handlers. Shared: the
/// steps and extractors that read it clone a pointer, not its strings.
#[derive(Debug, Clone)]
pub struct RequestContext(Arc<RequestFacts>);

/// The facts behind a [`RequestContext`].
#[derive(Debug, Default)]
pub struct RequestFacts {
    pub endpoint: Arc<str>,
    pub flow: Option<Arc<str>>,
    pub client_id: Option<Arc<str>>,
    pub persona: Option<Arc<str>>,
}

impl RequestContext {
    pub fn new(facts: RequestFacts) -> Self {
        Self(Arc::new(facts))
    }
}

impl std::ops::Deref for RequestContext {
    type Target = RequestFacts;
    fn deref(&self) -> &RequestFacts {
        &self.0
    }
}

/// What is known of a flow.
#[derive(Debug, Clone, Default)]
pub struct FlowInfo {
    pub client_id: Option<Arc<str>>,
    pub persona: Option<Arc<str>>,
}

impl crate::oidc::store::Weigh for FlowInfo {
    fn weight(&self) -> usize {
        let opt = |s: &Option<Arc<str>>| s.as_ref().map_or(0, |s| s.len());
        std::mem::size_of::<Self>() + opt(&self.client_id) + opt(&self.persona)
    }
}

/// A journal query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub client_id: Option<String>,
    pub persona: Option<String>,
    pub flow: Option<String>,
    /// Exact endpoint (`fc.userinfo`) or a prefix ending in `.` (`idp.ameli.`).
    pub endpoint: Option<String>,
    /// Milliseconds since the epoch, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, found: &Found) -> bool {
        let e = &found.record.meta;
        let opt =
            |want: &Option<String>, got: &Option<Arc<str>>| want.as_deref().is_none_or(|w| got.as_deref() == Some(w));
        opt(&self.client_id, &found.client_id)
            && opt(&self.persona, &found.persona)
            && opt(&self.flow, &e.flow)
            && self.endpoint.as_ref().is_none_or(|w| {
                if w.ends_with('.') {
                    e.endpoint.starts_with(w.as_str())
                } else {
                    *e.endpoint == **w
                }
            })
            && self.since.is_none_or(|s| e.started_ms >= s)
            && self.until.is_none_or(|u| e.started_ms <= u)
    }
}

/// Marks a response whose body is a fault in itself (broken or slow): the
/// recorder keeps it without reading the body, so the caller gets it as is.
/// Set by the fault step (`scenarios::transport`).
#[derive(Debug, Clone, Copy)]
pub struct StreamedFault(pub &'static str);

/// The FranceConnect error code a response carries: an error page's `Y…`
/// code, a back-channel error's code, or the OAuth `error` of a redirect.
/// Set as a response extension by the roles' error types, so that the
/// recorder never reads it out of a body.
#[derive(Debug, Clone)]
pub struct ErrorCode(pub String);

/// An exchange found by a query, with the client and persona of its flow
/// as known now (the persona is known only once the identity provider
/// answered, after the first exchanges of the flow were recorded).
#[derive(Debug, Clone)]
pub struct Found {
    pub record: Arc<Record>,
    pub client_id: Option<Arc<str>>,
    pub persona: Option<Arc<str>>,
}

/// The ring and what it weighs.
#[derive(Default)]
struct Ring {
    records: VecDeque<Arc<Record>>,
    bytes: usize,
}

/// The bounded journal.
pub struct Journal {
    capacity: usize,
    byte_budget: usize,
    ring: Mutex<Ring>,
    seq: AtomicU64,
    links: ExpiringStore<Arc<str>>,
    flows: ExpiringStore<FlowInfo>,
    /// Verifies the signatures of the JWTs shown; set by the server, which
    /// knows every fcmock issuer's keys.
    check: OnceLock<SignatureCheck>,
    /// The newest exchange's number, for those who wait for the next one
    /// (the inspector's event streams).
    latest: tokio::sync::watch::Sender<u64>,
}

impl Journal {
    /// A journal keeping at most `capacity` exchanges (0 disables recording)
    /// weighing at most `byte_budget` bytes in all.
    pub fn new(capacity: usize, byte_budget: usize) -> Self {
        let link_cap = capacity.saturating_mul(4).clamp(1000, 400_000);
        Self {
            capacity,
            byte_budget,
            ring: Mutex::new(Ring {
                records: VecDeque::with_capacity(capacity.min(16_384)),
                bytes: 0,
            }),
            seq: AtomicU64::new(0),
            links: ExpiringStore::presized(link_cap, crate::oidc::store::DEFAULT_BYTES),
            flows: ExpiringStore::presized(link_cap, crate::oidc::store::DEFAULT_BYTES),
            check: OnceLock::new(),
            latest: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Wakes when an exchange is recorded; holds the newest one's number.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// Hands the journal the signature check of fcmock's issuers (once).
    pub fn set_signature_check(&self, check: SignatureCheck) {
        let _ = self.check.set(check);
    }

    /// Whether recording is on.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Appends a record, dropping the oldest beyond the capacity or the byte
    /// budget (the newest record is always kept: the per-exchange limits
    /// keep it far below any sensible budget).
    pub fn record(&self, mut r: Record) {
        if self.capacity == 0 {
            return;
        }
        r.meta.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let weight = r.weight();
        let mut ring = self.ring.lock();
        while ring.records.len() >= self.capacity
            || (!ring.records.is_empty() && ring.bytes + weight > self.byte_budget)
        {
            let Some(old) = ring.records.pop_front() else { break };
            ring.bytes = ring.bytes.saturating_sub(old.weight());
        }
        ring.bytes += weight;
        let seq = r.meta.seq;
        ring.records.push_back(Arc::new(r));
        drop(ring);
        self.latest.send_replace(seq);
    }

    /// Records a call fcmock made itself (the hub's back channel to an
    /// external identity provider, which no listener of fcmock sees), with
    /// what is known now of its flow.
    pub fn record_call(&self, mut r: Record, now_ms: i64) {
        if let Some(flow) = r.meta.flow.as_deref() {
            let info = self.flow_info(flow, now_ms);
            r.meta.client_id = info.client_id.or(r.meta.client_id);
            r.meta.persona = info.persona;
        }
        self.record(r);
    }

    /// Number of exchanges held.
    pub fn len(&self) -> usize {
        self.ring.lock().records.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The maximum number of exchanges held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes held, and the budget.
    pub fn bytes(&self) -> (usize, usize) {
        (self.ring.lock().bytes, self.byte_budget)
    }

    /// Exchanges matching `filter`, oldest first (the newest `limit` if set).
    ///
    /// Client and persona are completed from what became known of the flow
    /// later, so a query by persona finds the whole login.
    pub fn query(&self, filter: &Filter, now_ms: i64) -> Vec<Found> {
        let snapshot: Vec<Arc<Record>> = self.ring.lock().records.iter().cloned().collect();
        let mut out: Vec<Found> = snapshot
            .into_iter()
            .map(|r| self.complete(r, now_ms))
            .filter(|f| filter.matches(f))
            .collect();
        if let Some(limit) = filter.limit
            && out.len() > limit
        {
            out.drain(..out.len() - limit);
        }
        out
    }

    /// The exchanges recorded after number `seq`, oldest first, at most
    /// `limit` (the newest ones): read from the ring's end, so that a
    /// listener waiting for what is new never walks the whole journal.
    pub fn after(&self, seq: u64, limit: usize, now_ms: i64) -> Vec<Found> {
        let fresh: Vec<Arc<Record>> = {
            let ring = self.ring.lock();
            ring.records
                .iter()
                .rev()
                .take_while(|r| r.meta.seq > seq)
                .take(limit)
                .cloned()
                .collect()
        };
        fresh.into_iter().rev().map(|r| self.complete(r, now_ms)).collect()
    }

    /// The exchange as shown: decoded, signatures checked, secrets redacted.
    pub fn show(&self, found: &Found) -> Exchange {
        found
            .record
            .decode(found.client_id.clone(), found.persona.clone(), self.check.get())
    }

    /// Fills a record's missing client and persona from its flow.
    fn complete(&self, record: Arc<Record>, now_ms: i64) -> Found {
        let (mut client_id, mut persona) = (record.meta.client_id.clone(), record.meta.persona.clone());
        if (client_id.is_none() || persona.is_none())
            && let Some(flow) = record.meta.flow.as_deref()
        {
            let info = self.flow_info(flow, now_ms);
            client_id = client_id.or(info.client_id);
            persona = persona.or(info.persona);
        }
        Found {
            record,
            client_id,
            persona,
        }
    }

    /// Forgets every exchange and link.
    pub fn clear(&self) {
        *self.ring.lock() = Ring::default();
        self.links.clear();
        self.flows.clear();
    }

    /// Records that `artifact` (a state, a code, a token…) belongs to `flow`.
    /// Links are kept even when recording is off: faults bound to a client or
    /// a persona need them.
    pub fn link(&self, artifact: &str, flow: &str, now_ms: i64) {
        if !artifact.is_empty() {
            self.links
                .insert(artifact.to_owned(), Arc::from(flow), now_ms + LINK_TTL_MS);
        }
    }

    /// The flow an artifact belongs to.
    pub fn flow_of(&self, artifact: &str, now_ms: i64) -> Option<Arc<str>> {
        self.links.get(artifact, now_ms)
    }

    /// Notes the client and/or persona of a flow.
    pub fn describe_flow(&self, flow: &str, client_id: Option<&str>, persona: Option<&str>, now_ms: i64) {
        let note = |info: &mut FlowInfo| {
            if let Some(c) = client_id {
                info.client_id = Some(Arc::from(c));
            }
            if let Some(p) = persona {
                info.persona = Some(Arc::from(p));
            }
        };
        // In place when the flow is known (its expiry stays: a flow is
        // described within its first minutes); else a new entry.
        if self.flows.update(flow, now_ms, note).is_none() {
            let mut info = FlowInfo::default();
            note(&mut info);
            self.flows.insert(flow.to_owned(), info, now_ms + LINK_TTL_MS);
        }
    }

    /// What is known of a flow.
    pub fn flow_info(&self, flow: &str, now_ms: i64) -> FlowInfo {
        self.flows.get(flow, now_ms).unwrap_or_default()
    }
}

/// `sha256:` and the first 12 hex digits of a token's hash.
pub fn fingerprint(token: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let mut hex12 = [0u8; 12];
    let digest = Sha256::digest(token.as_bytes());
    // 6 bytes make exactly 12 hex digits: the encoding cannot fail.
    let _ = hex::encode_to_slice(digest.get(..6).unwrap_or_default(), &mut hex12);
    let mut out = String::with_capacity(19);
    out.push_str("sha256:");
    out.push_str(std::str::from_utf8(&hex12).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(endpoint: &str, flow: &str) -> Record {
        with_body(endpoint, flow, b"")
    }

    fn with_body(endpoint: &str, flow: &str, body: &[u8]) -> Record {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("content-type", axum::http::HeaderValue::from_static("text/html"));
        Record {
            meta: Meta {
                seq: 0,
                flow: Some(flow.into()),
                client_id: Some("c".into()),
                persona: None,
                endpoint: endpoint.into(),
                from: Party::Browser,
                to: "franceconnect".into(),
                started_ms: 0,
                duration_ms: 0.0,
                method: "GET".into(),
            },
            url: "/".into(),
            url_cut: false,
            request: record::Half::default(),
            status: 200,
            response: record::Half::capture(&headers, body),
            response_note: None,
            token_fingerprint: None,
            error_code: None,
        }
    }

    #[test]
    fn after_gives_what_is_newer_than_a_number_oldest_first_and_bounded() {
        let j = Journal::new(100, 1 << 20);
        let mut changes = j.subscribe();
        for i in 0..10 {
            j.record(ex("fc.token", &format!("f{i}")));
        }
        assert!(changes.has_changed().unwrap());
        assert_eq!(*changes.borrow_and_update(), 10);
        let seqs = |v: Vec<Found>| v.iter().map(|f| f.record.meta.seq).collect::<Vec<_>>();
        assert_eq!(seqs(j.after(7, 100, 0)), [8, 9, 10]);
        assert_eq!(seqs(j.after(0, 2, 0)), [9, 10]);
        assert!(j.after(10, 100, 0).is_empty());
    }

    #[test]
    fn the_byte_budget_holds_and_big_bodies_are_cut_with_a_mark() {
        let j = Journal::new(10_000, 1024 * 1024);
        let page = vec![b'x'; 1024 * 1024];
        for i in 0..1000 {
            j.record(with_body("fc.authorize", &format!("f{i}"), &page));
        }
        let (held, budget) = j.bytes();
        assert!(held <= budget, "{held} > {budget}");
        assert!(j.len() > 10 && j.len() < 1000, "{}", j.len());
        let newest = j.query(
            &Filter {
                limit: Some(1),
                ..Filter::default()
            },
            0,
        );
        let shown = j.show(&newest[0]);
        let body = shown.response_body.unwrap_or_default();
        assert!(body.len() < record::BODY_KEEP + 100, "{}", body.len());
        assert!(
            body.ends_with(&format!("of {} bytes]", page.len())),
            "{}",
            &body[body.len() - 60..]
        );
        assert_eq!(shown.truncated, vec!["response_body"]);
    }

    #[test]
    fn the_ring_stays_within_its_bound_and_queries_filter() {
        let j = Journal::new(100, usize::MAX);
        for i in 0..100_000 {
            j.record(ex(
                if i % 2 == 0 { "fc.token" } else { "idp.ameli.token" },
                &format!("f{}", i % 7),
            ));
        }
        assert_eq!(j.len(), 100);
        let tokens = j.query(
            &Filter {
                endpoint: Some("fc.token".into()),
                ..Filter::default()
            },
            0,
        );
        assert_eq!(tokens.len(), 50);
        assert_eq!(
            j.query(
                &Filter {
                    endpoint: Some("idp.".into()),
                    ..Filter::default()
                },
                0
            )
            .len(),
            50
        );
        assert_eq!(
            j.query(
                &Filter {
                    limit: Some(3),
                    ..Filter::default()
                },
                0
            )
            .last()
            .map(|e| e.record.meta.seq),
            Some(100_000)
        );
    }
}
