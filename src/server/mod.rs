//! The server assembly: every role's state, the router and the serve loop.
//!
//! `serve(listener, state, shutdown)` is the one way fcmock runs: the binary,
//! the Docker image and the integration tests all bind a listener, build an
//! [`AppState`] and call it. This is the only module that knows every role;
//! roles know only their own state, which axum hands them through
//! [`FromRef`] from [`AppState`].

use std::convert::Infallible;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::response::Response;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::control::{self, ControlState};
use crate::crypto::KeyError;
use crate::data_providers::{self, DpState};
use crate::demo::DemoState;
use crate::idp::{self, IdpSetupError, IdpState};
use crate::inspector::{self, InspectorState};
use crate::journal::SignatureCheck;
use crate::journal::layer::Recorder;
use crate::platform::{self, PlatformState};
use crate::rng::Rng;
use crate::scenarios::transport::FaultLayer;
pub use listen::ServeOptions;

mod edge;
mod listen;
pub use crate::shared::{Shared, Urls};

/// Largest request body accepted anywhere (forms, JSON, tokens).
const BODY_LIMIT: usize = 64 * 1024;

/// Why fcmock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Idp(#[from] IdpSetupError),
    #[error("cannot load a persona's faults: {0}")]
    Scenario(#[from] crate::scenarios::ScenarioError),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Every role's state, assembled once. One reference count to clone (axum
/// clones it for every request).
#[derive(Clone)]
pub struct AppState(Arc<Roles>);

/// The fields behind [`AppState`].
pub struct Roles {
    shared: Shared,
    pub platform: PlatformState,
    pub idp: IdpState,
    pub dp: DpState,
    pub control: ControlState,
    pub inspector: InspectorState,
    pub demo: DemoState,
}

impl Deref for AppState {
    type Target = Roles;
    fn deref(&self) -> &Roles {
        &self.0
    }
}

impl Deref for Roles {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl FromRef<AppState> for PlatformState {
    fn from_ref(app: &AppState) -> Self {
        app.platform.clone()
    }
}

impl FromRef<AppState> for IdpState {
    fn from_ref(app: &AppState) -> Self {
        app.idp.clone()
    }
}

impl FromRef<AppState> for DpState {
    fn from_ref(app: &AppState) -> Self {
        app.dp.clone()
    }
}

impl FromRef<AppState> for DemoState {
    fn from_ref(app: &AppState) -> Self {
        app.demo.clone()
    }
}

impl FromRef<AppState> for InspectorState {
    fn from_ref(app: &AppState) -> Self {
        app.inspector.clone()
    }
}

impl FromRef<AppState> for ControlState {
    fn from_ref(app: &AppState) -> Self {
        app.control.clone()
    }
}

impl AppState {
    /// Builds every role's state for a configuration served at `urls`.
    pub fn new(
        config: Config,
        urls: Urls,
        clock: Clock,
        rng: Rng,
        control_token: Option<String>,
    ) -> Result<Self, StartError> {
        let shared = Shared::new(config, urls, clock, rng)?;
        // Only personas built at load carry faults (see `config::PersonaSet`).
        shared.scenarios.load_persona_faults(shared.config().personas.eager())?;
        let platform = PlatformState::new(shared.clone())?;
        let idp = IdpState::new(shared.clone())?;
        let dp = DpState::new(shared.clone());
        let demo = DemoState::new(shared.clone());
        let forget = demo.clone();
        let control = ControlState::new(platform.clone(), idp.idps.clone(), control_token)
            .resetting(Arc::new(move || forget.reset()));
        let inspector = InspectorState::new(shared.clone());
        Ok(Self(Arc::new(Roles {
            shared,
            platform,
            idp,
            dp,
            control,
            inspector,
            demo,
        })))
    }

    /// The recording layer's state, with a signature check that knows every
    /// fcmock issuer's keys (both platforms and the built-in providers).
    fn recorder(&self) -> Recorder {
        let platform = self.platform.clone();
        let idps = self.idp.idps.clone();
        let [fc_issuer, plus_issuer] = platform.issuers();
        let idp_prefix = format!("{}{}/", self.urls.public, crate::paths::IDP_PREFIX);
        let check: SignatureCheck = Arc::new(move |iss: &str, jwt: &str| {
            if iss == fc_issuer {
                Some(platform.fc.keys.verify::<serde_json::Value>(jwt).is_ok())
            } else if iss == plus_issuer {
                Some(platform.fcplus.keys.verify::<serde_json::Value>(jwt).is_ok())
            } else {
                iss.strip_prefix(&idp_prefix)
                    .and_then(|id| idps.get(id))
                    .map(|rt| rt.keys.verify::<serde_json::Value>(jwt).is_ok())
            }
        });
        self.journal.set_signature_check(check);
        Recorder {
            journal: self.journal.clone(),
            clock: self.clock.clone(),
            fcplus_prefix: Arc::from(self.fcplus_prefix()),
        }
    }
}

/// fcmock's routes in their fault, journal and body-limit layers, as a
/// router for tests that drive it with `oneshot`. The serve loop takes the
/// layered application without this outer router and adds its edge (span,
/// 60 s limit, step mode, security headers), which this router lacks.
pub fn build_router(state: AppState) -> Router {
    Router::new().fallback_service(app(state))
}

/// The routed application inside its fault, journal and body-limit layers.
fn app(
    state: AppState,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static
{
    let root = format!("{}/", crate::paths::FC_PREFIX);
    let plus = state.fcplus_prefix().to_owned();
    let plus_root = format!("{plus}/");
    let faults = FaultLayer {
        scenarios: state.scenarios.clone(),
        rng: state.rng.clone(),
    };
    let recorder = state.recorder();
    let routes = Router::new()
        .route(&root, axum::routing::get(platform::root_redirect))
        .route(&plus_root, axum::routing::get(platform::root_redirect))
        .nest(crate::paths::FC_PREFIX, platform::router())
        .nest(
            &plus,
            platform::router().layer(axum::middleware::from_fn(platform::error::branded)),
        )
        .nest(crate::paths::IDP_PREFIX, idp::router())
        .nest(crate::paths::DP_PREFIX, data_providers::router())
        .merge(control::router(state.control.clone()))
        .merge(control::gated(inspector::router(), state.control.clone()))
        .merge(crate::step::router())
        .merge(crate::demo::router())
        .fallback(platform::not_found)
        // A known path with another method: FranceConnect's page too, not an
        // empty 405.
        .method_not_allowed_fallback(platform::not_found)
        .with_state(state);
    // The middleware wraps the routed application once, as a whole. (Through
    // `Router::layer`, axum would wrap each route on its own, and every
    // request would clone a boxed service per layer and per nesting level:
    // about a hundred of a login's 669 allocations, `bench/allocs.sh`.) The
    // span, the time limit, step mode and the security headers are added by
    // the serve loop (`edge`).
    tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            recorder,
            crate::journal::layer::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            faults,
            crate::scenarios::transport::apply,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .service(routes)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests,
/// with the default [`ServeOptions`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shared = state.shared.clone();
    listen::serve_with(listener, app(state), shared, shutdown, ServeOptions::default()).await
}

/// Like [`serve`], with chosen connection limits.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: ServeOptions,
) -> std::io::Result<()> {
    let shared = state.shared.clone();
    listen::serve_with(listener, app(state), shared, shutdown, options).await
}
