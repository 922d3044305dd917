//! Which FranceConnect platform a request is for.
//!
//! fcmock serves two platforms from one engine: FranceConnect v2 (`/api/v2`,
//! eidas1) and FranceConnect+ (`/fcplus/api/v2`, eidas2/eidas3, encrypted
//! tokens). Handlers take a [`PlatformView`]: the application state plus the
//! platform's own hub (keys and stores), prefix and rules. It dereferences to
//! [`AppState`], so shared state reads the same way on both platforms.

use std::convert::Infallible;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::Hub;
use crate::app::AppState;
use crate::paths::FC_PREFIX;

/// The two platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// FranceConnect v2 ("low", eidas1).
    #[default]
    Fc,
    /// FranceConnect+ ("high", eidas2/eidas3).
    Fcplus,
}

impl PlatformKind {
    /// The journal and scenario name of one of its endpoints (`fc.token`, `fcplus.token`).
    pub fn endpoint(self, name: &str) -> String {
        match self {
            PlatformKind::Fc => format!("fc.{name}"),
            PlatformKind::Fcplus => format!("fcplus.{name}"),
        }
    }

    /// Its name in pages and logs.
    pub fn label(self) -> &'static str {
        match self {
            PlatformKind::Fc => "FranceConnect",
            PlatformKind::Fcplus => "FranceConnect+",
        }
    }
}

/// The application seen from one platform.
#[derive(Clone)]
pub struct PlatformView {
    app: AppState,
    /// This platform's keys and per-flow state.
    pub hub: Arc<Hub>,
    pub kind: PlatformKind,
    /// `/api/v2`, or FranceConnect+'s configured path.
    pub prefix: String,
}

impl Deref for PlatformView {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl PlatformView {
    pub(crate) fn new(app: AppState, kind: PlatformKind) -> Self {
        let hub = match kind {
            PlatformKind::Fc => app.hub.clone(),
            PlatformKind::Fcplus => app.fcplus.clone(),
        };
        let prefix = match kind {
            PlatformKind::Fc => FC_PREFIX.to_owned(),
            PlatformKind::Fcplus => app.fcplus_prefix(),
        };
        Self { app, hub, kind, prefix }
    }

    /// This platform's issuer.
    pub fn issuer(&self) -> String {
        format!("{}{}", self.app.urls.public, self.prefix)
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

impl FromRequestParts<AppState> for PlatformView {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned());
        let plus = state.fcplus_prefix();
        let kind = if path == plus || path.starts_with(&format!("{plus}/")) {
            PlatformKind::Fcplus
        } else {
            PlatformKind::Fc
        };
        Ok(PlatformView::new(state.clone(), kind))
    }
}
