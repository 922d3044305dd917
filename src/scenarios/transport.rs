//! Transport faults, applied as a step inside the journal's (so the journal
//! records what the caller really got).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::Scenarios;
use super::{Action, Ctx};
use crate::journal::{RequestContext, StreamedFault};
use crate::rng::Rng;

fn streamed(mut resp: Response, kind: &'static str) -> Response {
    resp.extensions_mut().insert(StreamedFault(kind));
    resp
}

/// Largest real answer a dribble or a reset buffers.
const BUFFER_LIMIT: usize = 4 * 1024 * 1024;

fn broken_body(first: Bytes) -> Body {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(first),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fcmock fault: connection reset",
        )),
    ];
    Body::from_stream(stream::iter(chunks))
}

/// The fault layer's state: the faults in force and the randomness that
/// decides probabilities and delays.
#[derive(Clone)]
pub struct FaultLayer {
    pub scenarios: Arc<Scenarios>,
    pub rng: Rng,
}

/// Applies the transport faults that fire for this request around `next`,
/// which answers it.
pub async fn apply<N, F>(state: &FaultLayer, req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    let Some(rc) = req.extensions().get::<RequestContext>().cloned() else {
        return next(req).await;
    };
    let ctx = Ctx {
        endpoint: &rc.endpoint,
        client: rc.client_id.as_deref(),
        persona: rc.persona.as_deref(),
    };
    let fired = state.scenarios.fire(&ctx, true, &state.rng);
    if fired.is_empty() {
        return next(req).await;
    }
    let delay_ms: u64 = fired
        .iter()
        .filter_map(|f| f.delay.as_ref())
        .map(|d| d.sample_ms(&state.rng))
        .sum();
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    // Which scenarios acted, for whoever reads the answer (the hub explains
    // an identity provider's failure with it).
    let named = fired.iter().map(|f| f.scenario.as_str()).collect::<Vec<_>>().join(", ");
    let label = HeaderValue::from_str(&format!("{named}; at={}", ctx.endpoint)).ok();
    let action = fired
        .into_iter()
        .map(|f| f.action)
        .find(|a| !matches!(a, Action::Delay));
    tracing::info!(endpoint = %ctx.endpoint, delay_ms, action = ?action, "scenario fault");
    let mut response = act(action, state, req, next).await;
    if let Some(v) = label {
        response.headers_mut().insert(FAULT_HEADER, v);
    }
    response
}

/// The header naming the scenarios whose faults shaped an answer.
pub const FAULT_HEADER: &str = "x-fcmock-fault";

async fn act<N, F>(action: Option<Action>, state: &FaultLayer, req: Request, next: N) -> Response
where
    N: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    match action {
        None | Some(Action::Delay) => next(req).await,
        Some(Action::Status {
            code,
            body,
            content_type,
        }) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let ct = HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("text/plain"));
            (status, [(header::CONTENT_TYPE, ct)], body).into_response()
        }
        Some(Action::Garbage) => {
            let mut noise = vec![0u8; 96];
            state.rng.fill(&mut noise);
            let mut body = b"<html>\x00".to_vec();
            body.extend(noise);
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Some(Action::Empty) => {
            let mut resp = Response::new(broken_body(Bytes::new()));
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
            streamed(resp, "empty")
        }
        Some(Action::Reset) => {
            let real = next(req).await;
            let (parts, body) = real.into_parts();
            let bytes = to_bytes(body, BUFFER_LIMIT).await.unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let mut resp = Response::from_parts(parts, broken_body(half));
            let len =
                HeaderValue::from_str(&bytes.len().max(1).to_string()).unwrap_or(HeaderValue::from_static("1024"));
            resp.headers_mut().insert(header::CONTENT_LENGTH, len);
            streamed(resp, "reset")
        }
        Some(Action::Hang { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            (StatusCode::GATEWAY_TIMEOUT, "fcmock fault: no answer (hang)").into_response()
        }
        Some(Action::Dribble { chunks, over_ms }) => {
            let real = next(req).await;
            let (parts, body) = real.into_parts();
            let bytes = to_bytes(body, BUFFER_LIMIT).await.unwrap_or_default();
            let n = usize::try_from(chunks).unwrap_or(1).max(1);
            let size = bytes.len().div_ceil(n).max(1);
            let pause = Duration::from_millis(over_ms / u64::from(chunks.max(1)));
            let pieces: Vec<Bytes> = (0..bytes.len())
                .step_by(size)
                .map(|i| bytes.slice(i..(i + size).min(bytes.len())))
                .collect();
            let s = stream::unfold(pieces.into_iter(), move |mut it| async move {
                let next = it.next()?;
                tokio::time::sleep(pause).await;
                Some((Ok::<Bytes, std::io::Error>(next), it))
            });
            streamed(Response::from_parts(parts, Body::from_stream(s)), "dribble")
        }
        // Content faults are applied by handlers.
        Some(_) => next(req).await,
    }
}
