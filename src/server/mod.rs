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
        Recorder::new(self.journal.clone(), self.clock.clone(), self.fcplus_prefix())
    }
}

/// fcmock's routes in their journal, fault and body-limit steps, as a
/// router for tests that drive it with `oneshot`. The serve loop calls the
/// application without this outer router and adds its edge (span, 60 s
/// limit, step mode, security headers), which this router lacks.
pub fn build_router(state: AppState) -> Router {
    let app = app(state);
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.answer(req).await) }
    }))
}

/// The routed application inside its journal and fault steps: one clone
/// per connection, one call per request.
pub(crate) struct App<R>(Arc<Steps<R>>);

impl<R> Clone for App<R> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

struct Steps<R> {
    recorder: Recorder,
    faults: FaultLayer,
    routes: R,
}

impl<R> App<R>
where
    R: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    /// Answers one request: the journal records the exchange around the
    /// transport faults, which act around the routes. These are plain
    /// calls, not tower layers: a layer made with `from_fn` boxes a future
    /// and clones a boxed service on every request (`bench/allocs.sh`).
    pub(crate) async fn answer(&self, req: Request) -> Response {
        let Steps {
            recorder,
            faults,
            routes,
        } = &*self.0;
        crate::journal::layer::record(recorder, req, |req| {
            crate::scenarios::transport::apply(faults, req, |req| async move {
                match tower::ServiceExt::oneshot(routes.clone(), req).await {
                    Ok(resp) => resp,
                    Err(never) => match never {},
                }
            })
        })
        .await
    }
}

/// The routed application, with the journal and fault steps around it.
fn app(
    state: AppState,
) -> App<
    impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static,
> {
    let root = format!("{}/", crate::paths::FC_PREFIX);
    let plus = state.fcplus_prefix().to_owned();
    let plus_root = format!("{plus}/");
    let faults = FaultLayer {
        scenarios: state.scenarios.clone(),
        rng: state.rng.clone(),
    };
    let recorder = state.recorder();
    // Every role's routes carry their full paths: merged, not nested (a
    // nested router strips its prefix from each request's URI, a copy per
    // request and level).
    let routes = Router::new()
        .route(&root, axum::routing::get(platform::root_redirect))
        .route(&plus_root, axum::routing::get(platform::root_redirect))
        .merge(platform::router(crate::paths::FC_PREFIX))
        .merge(platform::router(&plus).layer(axum::middleware::from_fn(platform::error::branded)))
        .merge(idp::router(crate::paths::IDP_PREFIX))
        .merge(data_providers::router(crate::paths::DP_PREFIX))
        .merge(control::router(state.control.clone()))
        .merge(control::gated(inspector::router(), state.control.clone()))
        .merge(crate::step::router())
        .merge(crate::demo::router())
        .fallback(platform::not_found)
        // A known path with another method: FranceConnect's page too, not an
        // empty 405.
        .method_not_allowed_fallback(platform::not_found)
        .with_state(state);
    App(Arc::new(Steps {
        recorder,
        faults,
        routes: tower::ServiceBuilder::new()
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .service(routes),
    }))
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
