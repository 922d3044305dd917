//! The accept loop: HTTP/1.1 connections served by hyper with limits that
//! `axum::serve` does not offer.
//!
//! - A connection must send a request's headers within
//!   [`ServeOptions::header_read_timeout`]; since hyper 1.6 the same timer
//!   runs while a keep-alive connection waits idle for its next request, so
//!   one setting bounds both a slow sender and an idle connection.
//! - Request line and headers together may not exceed
//!   [`ServeOptions::max_header_bytes`] (hyper answers 431).
//! - Each request carries its peer address as axum's `ConnectInfo`, which the
//!   control API's loopback check reads.
//! - On shutdown, the listener closes and in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::Service;

use super::App;
use crate::shared::Shared;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Time allowed to receive a request's headers, and to stay idle between
    /// two requests on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Largest request line plus headers, in bytes.
    pub max_header_bytes: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Serves `app` on `listener`, each request through the edge
/// ([`super::edge::answer`]), until `shutdown` resolves.
pub(super) async fn serve_with<R>(
    listener: TcpListener,
    app: App<R>,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> std::io::Result<()>
where
    R: Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_header_size(options.max_header_bytes);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Shutdown is polled first, so that it is listening (a signal
        // handler, say) before the first connection is served.
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (app, shared) = (app.clone(), shared.clone());
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            // Only the control API's gate reads the peer, and it guards only
            // the mock's own paths (and refuses a request without a peer).
            if req.uri().path().starts_with(crate::paths::MOCK_PREFIX) {
                req.extensions_mut().insert(ConnectInfo(peer));
            }
            super::edge::answer(app.clone(), shared.clone(), req)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(error = %e, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
