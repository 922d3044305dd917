//! What an identity provider answered, kept for the explanation of a
//! failed back-channel call (Y020026, Y020027): its status, content type, a
//! short excerpt of its body, and the scenario whose fault shaped it, if
//! any (the fault layer names it in `x-fcmock-fault`). The `openidconnect`
//! crate's own errors say "Failed to parse server response" or "server
//! returned empty error response", which tells a developer little.

use std::sync::Arc;

use openidconnect::HttpResponse;
use parking_lot::Mutex;

use super::view::PlatformView;
use crate::scenarios::transport::FAULT_HEADER;

/// Characters of the body quoted.
const EXCERPT_CHARS: usize = 160;

/// One answer of the identity provider.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    status: u16,
    content_type: String,
    excerpt: String,
    fault: Option<String>,
}

/// Where the last answer is kept.
pub(crate) type Seen = Arc<Mutex<Option<Answer>>>;

impl Answer {
    /// What one answer of the provider says, kept for [`explain`].
    pub(crate) fn of(response: &HttpResponse) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let body = String::from_utf8_lossy(response.body());
        let mut excerpt: String = body.chars().take(EXCERPT_CHARS).collect();
        if body.chars().count() > EXCERPT_CHARS {
            excerpt.push('…');
        }
        Self {
            status: response.status().as_u16(),
            content_type: header("content-type").unwrap_or_default(),
            excerpt,
            fault: header(FAULT_HEADER),
        }
    }
}

/// The last answer, in words for an error page (empty when none came).
pub(crate) fn explain(state: &PlatformView, seen: &Seen) -> String {
    let Some(a) = seen.lock().clone() else {
        return String::new();
    };
    let body = if a.excerpt.trim().is_empty() {
        "corps vide".to_owned()
    } else {
        format!("« {} »", a.excerpt.trim())
    };
    let content_type = if a.content_type.is_empty() {
        "sans Content-Type".to_owned()
    } else {
        a.content_type.clone()
    };
    let mut out = format!(" Le fournisseur a répondu HTTP {} ({content_type}) : {body}.", a.status);
    if let Some(fault) = a.fault {
        let ids = fault.split(';').next().unwrap_or_default();
        let names: Vec<String> = ids
            .split(',')
            .map(str::trim)
            .map(|id| {
                let name = state
                    .scenarios
                    .list()
                    .into_iter()
                    .find(|l| l.id == id)
                    .map(|l| l.scenario.name.clone());
                match name {
                    Some(n) => format!("`{id}` « {n} »"),
                    None => format!("`{id}`"),
                }
            })
            .collect();
        out.push_str(&format!(
            " Cette réponse vient d'une panne simulée par fcmock (scénario {}).",
            names.join(", ")
        ));
    }
    out
}
