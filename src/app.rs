//! Application state, router assembly and the server loop.
//!
//! `serve(listener, state, shutdown)` is the one way fcmock runs: the binary,
//! the Docker image and the integration tests all bind a listener, build an
//! [`AppState`] and call it.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{KeyError, KeyRing, SigningKey};
use crate::idp::{IdpRuntime, IdpSet};
use crate::journal::Journal;
use crate::platform::Hub;
use crate::rng::Rng;
use crate::{control, idp, platform};

/// Embedded signing keys of the FranceConnect v2 platform.
const FC_KEYS: [(&str, &str); 2] = [
    ("keys/fc-es256.pem", include_str!("../keys/fc-es256.pem")),
    ("keys/fc-rs256.pem", include_str!("../keys/fc-rs256.pem")),
];

/// The FranceConnect+ platform's signing key (ES256 only, as on FC+).
const FCPLUS_KEY: (&str, &str) = ("keys/fcplus-es256.pem", include_str!("../keys/fcplus-es256.pem"));

/// Keys the platform rotates to the first time (committed, so that no RSA key
/// is generated at run time in the common case).
const FC_NEXT_KEYS: [(&str, &str); 2] = [
    ("keys/fc-es256-next.pem", include_str!("../keys/fc-es256-next.pem")),
    ("keys/fc-rs256-next.pem", include_str!("../keys/fc-rs256-next.pem")),
];

/// Largest request body accepted anywhere (forms, JSON, tokens).
const BODY_LIMIT: usize = 64 * 1024;

/// The two base URLs of a running fcmock.
#[derive(Debug, Clone)]
pub struct Urls {
    /// What browsers see and what issuers are built from, e.g. `http://localhost:7080`.
    pub public: String,
    /// What fcmock uses to call itself on the back channel (hub → identity provider).
    pub internal: String,
}

/// Why fcmock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(
        "identity provider `{0}` signs with RS256 but has no signing_key_file; set one (see `fcmock keys generate`) or use ES256"
    )]
    MissingRsaKey(String),
    #[error("cannot load a persona's faults: {0}")]
    Scenario(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

/// The shared state behind [`AppState`].
pub struct AppInner {
    /// The validated configuration; replaced whole (never mutated) when
    /// personas are added at run time. Read it with [`AppState::config`].
    config_cell: arc_swap::ArcSwap<Config>,
    /// Injected time: every expiry is computed from it.
    pub clock: Clock,
    /// Injected randomness: codes, tokens, states, nonces, ids.
    pub rng: Rng,
    pub urls: Urls,
    /// The FranceConnect v2 platform's keys and per-flow stores.
    pub hub: Arc<Hub>,
    /// The FranceConnect+ platform's keys and per-flow stores.
    pub fcplus: Arc<Hub>,
    /// The built-in identity providers (their keys and stores).
    pub idps: IdpSet,
    /// Back-channel HTTP client (hub → identity providers); never follows redirects.
    pub http: reqwest::Client,
    /// Every exchange, correlated by flow (bounded).
    pub journal: Journal,
    /// Decryption keys of the data providers fcmock serves.
    pub dp_keys: std::collections::HashMap<String, crate::crypto::jwe::PrivateKey>,
    /// Scripted failures in force.
    pub scenarios: crate::scenarios::Scenarios,
    /// Bearer token that opens the control API to non-loopback callers.
    pub control_token: Option<String>,
    /// FranceConnect+ clients' JWKS fetched from their `jwks_uri`, kept
    /// [`CLIENT_JWKS_TTL_MS`] so that a token call does not refetch them.
    pub client_jwks: crate::oidc::store::ExpiringStore<serde_json::Value>,
}

/// How long a client's JWKS fetched from its `jwks_uri` is reused.
pub const CLIENT_JWKS_TTL_MS: i64 = 60_000;

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    /// Builds the state for a configuration served at `urls`.
    pub fn new(
        config: Config,
        urls: Urls,
        clock: Clock,
        rng: Rng,
        control_token: Option<String>,
    ) -> Result<Self, StartError> {
        let keys = FC_KEYS
            .iter()
            .map(|(name, pem)| SigningKey::from_pem(pem, name, None))
            .collect::<Result<Vec<_>, _>>()?;
        let capacity = config.platform.store_capacity;
        let hub = Arc::new(Hub::new(KeyRing::new(keys), capacity, &config));
        let plus_key = SigningKey::from_pem(FCPLUS_KEY.1, FCPLUS_KEY.0, None)?;
        let fcplus = Arc::new(Hub::new(KeyRing::new(vec![plus_key]), capacity, &config));
        let mut idps = IdpSet::default();
        for cfg in &config.idps {
            if let Some(rt) = IdpRuntime::new(cfg.clone(), &urls, capacity)? {
                idps.insert(rt);
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(35))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        let journal = Journal::new(config.platform.journal_capacity);
        let scenarios = crate::scenarios::Scenarios::default();
        scenarios
            .load_persona_faults(&config.personas)
            .map_err(StartError::Scenario)?;
        Ok(Self(Arc::new(AppInner {
            scenarios,
            dp_keys: crate::data_providers::keys(&config),
            journal,
            control_token,
            client_jwks: crate::oidc::store::ExpiringStore::new(256),
            fcplus,
            config_cell: arc_swap::ArcSwap::from_pointee(config),
            clock,
            rng,
            urls,
            hub,
            idps,
            http,
        })))
    }

    /// One step of a two-step rotation of the platform's keys: `publish`
    /// (new keys in the JWKS), `activate` (they sign), `retire` (old keys
    /// leave the JWKS), or `rotate` (publish then activate).
    pub fn rotate_keys(&self, step: &str) -> Result<(), String> {
        let keys = &self.hub.keys;
        match step {
            "publish" => {
                let round = self.hub.rotations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let fresh = if round == 0 {
                    // The first rotation uses committed keys: no RSA generation at run time.
                    FC_NEXT_KEYS
                        .iter()
                        .map(|(name, pem)| SigningKey::from_pem(pem, name, None))
                        .collect::<Result<Vec<_>, _>>()
                } else {
                    crate::crypto::keys::fresh_es256().and_then(|es| Ok(vec![es, crate::crypto::keys::fresh_rs256()?]))
                };
                keys.publish(fresh.map_err(|e| e.to_string())?);
                Ok(())
            }
            "activate" => {
                if keys.activate() {
                    Ok(())
                } else {
                    Err("no published key is waiting: publish first".to_owned())
                }
            }
            "retire" => {
                keys.retire();
                Ok(())
            }
            "rotate" => {
                self.rotate_keys("publish")?;
                self.rotate_keys("activate")
            }
            other => Err(format!(
                "unknown key step `{other}`; use publish, activate, retire or rotate"
            )),
        }
    }

    /// Puts a scenario in force: its clock and key steps first, then its faults.
    pub fn load_scenario(&self, scenario: crate::scenarios::Scenario) -> Result<String, String> {
        if let Some(c) = &scenario.clock {
            if let Some(f) = c.freeze {
                if f { self.clock.freeze() } else { self.clock.unfreeze() }
            }
            if let Some(s) = c.advance_seconds {
                self.clock.advance_ms((s * 1000.0).round() as i64);
            }
        }
        for step in &scenario.keys {
            self.rotate_keys(step)?;
        }
        self.scenarios.load(scenario, false)
    }

    /// The configuration in force (a cheap snapshot).
    pub fn config(&self) -> Arc<Config> {
        self.config_cell.load_full()
    }

    /// Adds personas (a YAML or JSON document `personas: [ … ]`) while running,
    /// validated as a configuration file would be. Returns their ids.
    pub fn add_personas(&self, name: &str, text: &str) -> Result<Vec<String>, crate::config::ConfigErrors> {
        let source = crate::config::Source {
            name: name.to_owned(),
            text: text.to_owned(),
        };
        let (next, added) = self.config().with_added_personas(&source)?;
        self.hub.register_personas(&added);
        self.fcplus.register_personas(&added);
        if let Err(e) = self.scenarios.load_persona_faults(&added) {
            tracing::warn!(error = %e, "persona faults not loaded");
        }
        self.config_cell.store(Arc::new(next));
        Ok(added.iter().map(|p| p.id.clone()).collect())
    }

    /// The application seen from one platform.
    pub fn platform(&self, kind: crate::platform::PlatformKind) -> crate::platform::PlatformView {
        crate::platform::PlatformView::new(self.clone(), kind)
    }

    /// Where FranceConnect+ is served (`platform.fcplus_path`).
    pub fn fcplus_prefix(&self) -> String {
        self.config().platform.fcplus_path.clone()
    }

    /// The FranceConnect v2 issuer, e.g. `http://localhost:7080/api/v2`.
    pub fn issuer(&self) -> String {
        format!("{}{}", self.urls.public, crate::paths::FC_PREFIX)
    }
}

/// The whole HTTP surface of fcmock.
pub fn build_router(state: AppState) -> Router {
    let root = format!("{}/", crate::paths::FC_PREFIX);
    let plus = state.fcplus_prefix();
    let plus_root = format!("{plus}/");
    Router::new()
        .route(&root, axum::routing::get(platform::root_redirect))
        .route(&plus_root, axum::routing::get(platform::root_redirect))
        .nest(crate::paths::FC_PREFIX, platform::router())
        .nest(&plus, platform::router())
        .nest(crate::paths::IDP_PREFIX, idp::router())
        .nest(crate::paths::DP_PREFIX, crate::data_providers::router())
        .merge(control::router(state.clone()))
        .fallback(platform::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::scenarios::transport::apply,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::journal::layer::record,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = build_router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
