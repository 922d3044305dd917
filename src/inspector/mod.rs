//! The trainer's inspector, under `/_fcmock/inspector`: the journal's flows
//! listed live, and each flow drawn as a sequence diagram with every
//! exchange detailed and explained in French.
//!
//! - `GET /_fcmock/inspector`: the flows, newest first; a small script
//!   listens to the event stream and adds new flows as they happen.
//! - `GET /_fcmock/inspector/{flow}`: the diagram (SVG drawn here, each
//!   arrow a link to its exchange below) and the exchanges: parameters,
//!   decoded tokens with their signature status, what each name means.
//!   Without JavaScript, the links still jump to the details.
//! - `GET /_fcmock/inspector/events`: server-sent events, one per new
//!   exchange (`{seq, flow, endpoint, status}`); a stream lasts at most
//!   [`STREAM_SECONDS`] (browsers reconnect by themselves) so that shutdown
//!   never waits long, and at most [`MAX_STREAMS`] are open at once.
//!
//! The pages show the journal, so the server puts them behind the control
//! API's gate (loopback or the control token, no cross-site request).

pub mod diagram;
mod pages;
pub mod view;

use std::convert::Infallible;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::journal::Filter;
use crate::paths::mock as m;
use crate::shared::Shared;
use crate::web::render;
use pages::{InspectorFlowPage, InspectorPage};

/// Longest life of one event stream.
pub const STREAM_SECONDS: u64 = 20;
/// Most event streams open at once.
pub const MAX_STREAMS: usize = 32;
/// Most new exchanges one event carries.
const BATCH: usize = 200;

/// What the inspector reads: the journal (through [`Shared`]) and the
/// count of open event streams.
#[derive(Clone)]
pub struct InspectorState {
    shared: Shared,
    streams: Arc<tokio::sync::Semaphore>,
}

impl Deref for InspectorState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl InspectorState {
    pub fn new(shared: Shared) -> Self {
        Self {
            shared,
            streams: Arc::new(tokio::sync::Semaphore::new(MAX_STREAMS)),
        }
    }
}

/// The inspector's routes (the server puts them behind the control gate).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    InspectorState: axum::extract::FromRef<S>,
{
    Router::new()
        .route(m::INSPECTOR, get(list))
        .route(m::INSPECTOR_EVENTS, get(events))
        .route(m::INSPECTOR_FLOW, get(flow))
}

async fn list(State(s): State<InspectorState>) -> Response {
    let found = s.journal.query(&Filter::default(), s.clock.now_ms());
    let flows = view::flows(&found);
    render(
        StatusCode::OK,
        &InspectorPage {
            recording: s.journal.enabled(),
            flows,
        },
    )
}

async fn flow(State(s): State<InspectorState>, Path(id): Path<String>) -> Response {
    let filter = Filter {
        flow: Some(id.clone()),
        ..Filter::default()
    };
    let found = s.journal.query(&filter, s.clock.now_ms());
    if found.is_empty() {
        return render(StatusCode::NOT_FOUND, &InspectorFlowPage::missing(&id));
    }
    let exchanges: Vec<_> = found.iter().map(|f| s.journal.show(f)).collect();
    let summary = view::flows(&found).into_iter().next();
    let page = InspectorFlowPage {
        flow: id,
        client: summary.as_ref().map(|f| f.client.clone()).unwrap_or_default(),
        persona: summary.map(|f| f.persona).unwrap_or_default(),
        diagram: Some(diagram::draw(&exchanges, &s.urls.public)),
        exchanges: exchanges.iter().map(view::ExchangeView::of).collect(),
    };
    render(StatusCode::OK, &page)
}

/// What an event stream remembers between two events.
struct Listening {
    state: InspectorState,
    changes: tokio::sync::watch::Receiver<u64>,
    seen: u64,
    until: tokio::time::Instant,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

async fn events(State(s): State<InspectorState>) -> Response {
    let Ok(permit) = s.streams.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("at most {MAX_STREAMS} inspector streams at once"),
        )
            .into_response();
    };
    let changes = s.journal.subscribe();
    let seen = *changes.borrow();
    let start = Listening {
        seen,
        changes,
        until: tokio::time::Instant::now() + Duration::from_secs(STREAM_SECONDS),
        state: s,
        _permit: permit,
    };
    let stream = futures_util::stream::unfold(start, |mut l| async move {
        let changed = tokio::time::timeout_at(l.until, l.changes.changed()).await;
        if !matches!(changed, Ok(Ok(()))) {
            return None;
        }
        let now = *l.changes.borrow_and_update();
        let found = l.state.journal.after(l.seen, BATCH, l.state.clock.now_ms());
        let list: Vec<_> = found
            .iter()
            .map(|f| {
                json!({
                    "seq": f.record.meta.seq,
                    "flow": f.record.meta.flow,
                    "endpoint": f.record.meta.endpoint,
                    "status": f.record.status,
                    "client": f.client_id,
                    "persona": f.persona,
                })
            })
            .collect();
        l.seen = now;
        let event = Event::default().event("exchanges").data(json!(list).to_string());
        Some((Ok::<_, Infallible>(event), l))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
        .into_response()
}
