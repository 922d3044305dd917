//! What every request and answer goes through outside the router, written
//! as one function rather than four tower layers (each layer costs a boxed
//! future and a service clone per request; `bench/pinned.sh` counts them):
//!
//! - a `request` span naming the method and the path only (queries carry
//!   codes and tokens), and a debug line with the answer's status;
//! - a 60 s limit on the whole answer (504 after it);
//! - step mode: a redirect answered to a browser that turned it on becomes
//!   the step page ([`crate::step`]), outside the journal's layer so that
//!   the journal records the real redirect;
//! - the security headers of every answer ([`crate::web::security`]).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse as _, Response};
use hyper::body::Incoming;
use tower::Service;
use tracing::Instrument as _;

use super::App;
use crate::shared::Shared;

/// Longest time an answer may take, whatever a handler or a fault does.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves one request through `app` (the routed application in its steps).
pub(super) async fn answer<R>(app: App<R>, shared: Shared, req: Request<Incoming>) -> Result<Response, Infallible>
where
    R: Service<Request<Body>, Response = Response, Error = Infallible> + Clone,
{
    let span = tracing::debug_span!("request", method = %req.method(), path = %req.uri().path());
    let step = crate::step::wanted(req.headers(), req.uri().path());
    async move {
        let started = Instant::now();
        let resp = match tokio::time::timeout(ANSWER_TIMEOUT, app.answer(req.map(Body::new))).await {
            Ok(resp) => resp,
            Err(_) => StatusCode::GATEWAY_TIMEOUT.into_response(),
        };
        let status = resp.status().as_u16();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if resp.status().is_server_error() {
            tracing::error!(status, latency_ms, "answered with a server error");
        } else {
            tracing::debug!(status, latency_ms, "answered");
        }
        let resp = if step {
            crate::step::page_for(&shared, resp)
        } else {
            resp
        };
        Ok(crate::web::security::headers(resp))
    }
    .instrument(span)
    .await
}
