//! What the inspector shows of the journal: flows summed up for the list,
//! and each exchange of a flow with its parameters and decoded tokens, every
//! name beside its French explanation ([`crate::web::explain`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::journal::{Exchange, Found};
use crate::web::explain;

/// One flow in the list.
#[derive(Debug, Clone, Serialize)]
pub struct FlowSummary {
    pub flow: String,
    pub client: String,
    pub persona: String,
    pub exchanges: usize,
    /// The newest exchange's number (the list is ordered by it).
    pub last_seq: u64,
    pub started_ms: i64,
    /// The first FranceConnect error code met, if any.
    pub error: String,
}

/// The flows of `found` (exchanges outside any flow are left out), newest first.
pub fn flows(found: &[Found]) -> Vec<FlowSummary> {
    let mut by_flow: BTreeMap<&str, FlowSummary> = BTreeMap::new();
    for f in found {
        let Some(flow) = f.record.meta.flow.as_deref() else {
            continue;
        };
        let s = by_flow.entry(flow).or_insert_with(|| FlowSummary {
            flow: flow.to_owned(),
            client: String::new(),
            persona: String::new(),
            exchanges: 0,
            last_seq: 0,
            started_ms: f.record.meta.started_ms,
            error: String::new(),
        });
        s.exchanges += 1;
        s.last_seq = s.last_seq.max(f.record.meta.seq);
        if let Some(c) = &f.client_id {
            c.as_ref().clone_into(&mut s.client);
        }
        if let Some(p) = &f.persona {
            p.as_ref().clone_into(&mut s.persona);
        }
        if s.error.is_empty()
            && let Some(code) = &f.record.error_code
        {
            s.error.clone_from(code);
        }
    }
    let mut list: Vec<FlowSummary> = by_flow.into_values().collect();
    list.sort_by_key(|f| std::cmp::Reverse(f.last_seq));
    list
}

/// A name, its value and what it means.
pub struct Row {
    pub name: String,
    pub value: String,
    pub explain: String,
}

/// A decoded JWT.
pub struct JwtView {
    pub location: String,
    pub signature: &'static str,
    pub header: Vec<Row>,
    pub claims: Vec<Row>,
}

/// One exchange, as the inspector details it.
pub struct ExchangeView {
    pub seq: u64,
    pub endpoint: String,
    pub method: String,
    pub url: String,
    pub status: u16,
    pub error_code: String,
    pub location: String,
    pub params: Vec<Row>,
    pub jwts: Vec<JwtView>,
    pub response_content_type: String,
    pub response_body: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn rows(obj: &Value, explain: impl Fn(&str) -> Option<&'static explain::Explanation>) -> Vec<Row> {
    obj.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| Row {
                    name: k.clone(),
                    value: text(v),
                    explain: explain(k).map(explain::line).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Most characters of a response body shown (JWTs are shown decoded).
const BODY_SHOWN: usize = 2000;

impl ExchangeView {
    pub fn of(x: &Exchange) -> Self {
        let body = x.response_body.as_deref().unwrap_or_default();
        let hop = explain::Hop::of_endpoint(&x.meta.endpoint);
        Self {
            seq: x.meta.seq,
            endpoint: x.meta.endpoint.to_string(),
            method: x.meta.method.to_string(),
            url: x.url.clone(),
            status: x.status,
            error_code: x.error_code.clone().unwrap_or_default(),
            location: x.location.clone().unwrap_or_default(),
            params: x
                .params
                .iter()
                .map(|(k, v)| Row {
                    name: k.clone(),
                    value: v.clone(),
                    explain: explain::param_at(k, hop).map(explain::line).unwrap_or_default(),
                })
                .collect(),
            jwts: x
                .jwts
                .iter()
                .map(|j| JwtView {
                    location: j.location.clone(),
                    signature: match j.signature_verified {
                        Some(true) => "signature vérifiée avec les clés publiées de l'émetteur",
                        Some(false) => "signature INVALIDE",
                        None => "signature non vérifiée (émetteur extérieur à fcmock)",
                    },
                    header: rows(&j.header, explain::header),
                    claims: rows(&j.claims, |name| explain::claim_at(name, hop)),
                })
                .collect(),
            response_content_type: x.response_content_type.clone(),
            response_body: if x.jwts.is_empty() {
                body.chars().take(BODY_SHOWN).collect()
            } else {
                String::new()
            },
        }
    }
}
