//! Which FranceConnect platform a request is for.
//!
//! fcmock serves two platforms from one engine: FranceConnect v2 (`/api/v2`,
//! eidas1) and FranceConnect+ (`/fcplus/api/v2`, eidas2/eidas3, encrypted
//! tokens). Handlers take a [`PlatformView`]: the platform role's state plus
//! the platform's own hub (keys and stores), prefix and rules. It
//! dereferences to [`PlatformState`], so shared state reads the same way on
//! both platforms.

use std::convert::Infallible;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::{Hub, PlatformState};
pub use crate::config::PlatformKind;

/// The application seen from one platform.
#[derive(Clone)]
pub struct PlatformView {
    app: PlatformState,
    /// This platform's keys and per-flow state.
    pub hub: Arc<Hub>,
    pub kind: PlatformKind,
    /// `/api/v2`, or FranceConnect+'s configured path.
    pub prefix: Arc<str>,
    /// This platform's issuer (the public URL and the prefix).
    issuer: Arc<str>,
    /// The journal's flow of the request being served, if known: the hub's
    /// own calls to identity providers are recorded under it.
    pub flow: Option<std::sync::Arc<str>>,
}

impl Deref for PlatformView {
    type Target = PlatformState;
    fn deref(&self) -> &PlatformState {
        &self.app
    }
}

impl PlatformView {
    pub(crate) fn new(app: PlatformState, kind: PlatformKind) -> Self {
        let hub = match kind {
            PlatformKind::Fc => app.fc.clone(),
            PlatformKind::Fcplus => app.fcplus.clone(),
        };
        let served = app.served(kind).clone();
        Self {
            app,
            hub,
            kind,
            prefix: served.prefix,
            issuer: served.issuer,
            flow: None,
        }
    }

    /// This platform's issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A public URL of this platform.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.app.urls.public, self.prefix)
    }

    /// Whether this is FranceConnect+.
    pub fn is_plus(&self) -> bool {
        self.kind == PlatformKind::Fcplus
    }

    /// The session and interaction lifetime in seconds (FC 1800, FC+ 600).
    pub fn session_ttl(&self) -> u64 {
        let p = &self.app.config().platform;
        if self.is_plus() {
            p.fcplus_session_ttl
        } else {
            p.session_ttl
        }
    }
}

impl<S> FromRequestParts<S> for PlatformView
where
    S: Send + Sync,
    PlatformState: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let state = PlatformState::from_ref(state);
        // Routes carry their full paths (the platforms' routers are merged,
        // not nested), so the URI is the one the caller sent.
        let path = parts.uri.path();
        let plus = state.fcplus_prefix();
        let kind = if path == plus || path.strip_prefix(plus).is_some_and(|r| r.starts_with('/')) {
            PlatformKind::Fcplus
        } else {
            PlatformKind::Fc
        };
        let mut view = PlatformView::new(state, kind);
        view.flow = parts
            .extensions
            .get::<crate::journal::RequestContext>()
            .and_then(|rc| rc.flow.clone());
        Ok(view)
    }
}
