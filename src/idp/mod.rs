//! The mock identity providers (fournisseurs d'identité) at `/idp/{id}`.
//!
//! Each built-in provider is a small but complete OpenID Connect provider:
//! discovery, JWKS (its own keys), authorize with a French login page in the
//! provider's own credential style, token (`client_secret_post` or basic),
//! userinfo (plain JSON, as FranceConnect's mock providers serve it) and
//! end_session. Its one registered client is the hub. The `sub` it gives the
//! hub is `hex(sha256(login))`, like FranceConnect's mock provider.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::config::{CredentialStyle, IdpConfig, IdpSource, Persona};
use crate::crypto::{Alg, KeyRing, SigningKey};
use crate::identity::Identity;
use crate::journal::RequestContext;
use crate::oidc::form::{form_map, parse_form, with_query};
use crate::oidc::ids::{Nonce, OAuthState};
use crate::oidc::store::{ExpiringStore, Weigh};
use crate::paths::{FC_PREFIX, IDP_PREFIX, idp as ip, platform as p};
use crate::scenarios::Action;
use crate::scenarios::tokens::content_faults;
use crate::shared::Shared;
use crate::web::{IdpLoginPage, MessagePage, render};

/// Why a built-in identity provider cannot start.
#[derive(Debug, thiserror::Error)]
pub enum IdpSetupError {
    #[error(transparent)]
    Key(#[from] crate::crypto::KeyError),
    #[error(
        "identity provider `{0}` signs with RS256 but has no signing_key_file; set one (see `fcmock keys generate`) or use ES256"
    )]
    MissingRsaKey(String),
}

/// The identity-provider role's state: the shared state and the built-in
/// providers. Cheap to clone.
#[derive(Clone)]
pub struct IdpState {
    shared: Shared,
    pub idps: Arc<IdpSet>,
}

impl std::ops::Deref for IdpState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl IdpState {
    /// Starts every built-in provider of `shared`'s configuration.
    pub fn new(shared: Shared) -> Result<Self, IdpSetupError> {
        let config = shared.config();
        let mut idps = IdpSet::default();
        for cfg in &config.idps {
            if let Some(rt) = IdpRuntime::new(
                cfg.clone(),
                config.platform.store_capacity,
                config.platform.store_mib.saturating_mul(1 << 20),
                &shared.rng,
            )? {
                idps.insert(rt);
            }
        }
        Ok(Self {
            shared,
            idps: Arc::new(idps),
        })
    }
}

mod error;
mod login;
mod login_page;
mod tokens;

pub use error::IdpError;

use login::{authorize, cancel, login};
use tokens::{discovery, end_session, jwks, token, userinfo};

const CODE_TTL_MS: i64 = 30_000;
const TOKEN_TTL_MS: i64 = 60_000;
const INTERACTION_TTL_MS: i64 = 1_800_000;

/// A built-in identity provider: its keys and per-flow state.
pub struct IdpRuntime {
    pub config: Arc<IdpConfig>,
    pub keys: KeyRing,
    interactions: ExpiringStore<IdpInteraction>,
    codes: ExpiringStore<IdpGrant>,
    tokens: ExpiringStore<IdpGrant>,
}

#[derive(Debug, Clone)]
struct IdpInteraction {
    redirect_uri: String,
    state: OAuthState,
    nonce: Nonce,
    acr_requested: Option<String>,
    login_hint: Option<String>,
}

#[derive(Debug, Clone)]
struct IdpGrant {
    /// Where the code was sent (the token request must name it again).
    redirect_uri: String,
    sub: String,
    identity: std::sync::Arc<Identity>,
    nonce: Nonce,
    acr: String,
    auth_time: i64,
}

impl Weigh for IdpInteraction {
    fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        std::mem::size_of::<Self>()
            + self.redirect_uri.len()
            + self.state.as_str().len()
            + self.nonce.as_str().len()
            + opt(&self.acr_requested)
            + opt(&self.login_hint)
    }
}

impl Weigh for IdpGrant {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.redirect_uri.len() + self.nonce.as_str().len() + self.sub.len()
    }
}

impl IdpRuntime {
    /// The runtime of a built-in provider (`None` for an external one).
    pub(crate) fn new(
        config: Arc<IdpConfig>,
        capacity: usize,
        bytes: usize,
        rng: &crate::rng::Rng,
    ) -> Result<Option<Self>, IdpSetupError> {
        let IdpSource::Builtin { key_pem } = &config.source else {
            return Ok(None);
        };
        let key = match key_pem {
            Some(pem) => SigningKey::from_pem(pem, &format!("key of identity provider `{}`", config.id), None)?,
            None if config.signing_alg == Alg::RS256 => return Err(IdpSetupError::MissingRsaKey(config.id.clone())),
            // A provider without a configured key gets a fresh P-256 key (fast
            // to make), drawn from the injected generator.
            None => crate::crypto::keys::fresh_es256(rng, &config.id)?,
        };
        if key.alg() != config.signing_alg {
            return Err(IdpSetupError::Key(crate::crypto::KeyError::Unsupported {
                source_name: format!("identity provider `{}`", config.id),
                detail: format!("signing_alg is {} but its key is for {}", config.signing_alg, key.alg()),
            }));
        }
        let cap = capacity.min(100_000);
        Ok(Some(Self {
            config,
            keys: KeyRing::new(vec![key]),
            interactions: ExpiringStore::with_budget(cap, bytes),
            codes: ExpiringStore::with_budget(cap, bytes),
            tokens: ExpiringStore::with_budget(cap, bytes),
        }))
    }
}

/// The built-in providers.
#[derive(Default)]
pub struct IdpSet {
    builtin: HashMap<String, Arc<IdpRuntime>>,
}

impl IdpSet {
    pub(crate) fn insert(&mut self, rt: IdpRuntime) {
        self.builtin.insert(rt.config.id.clone(), Arc::new(rt));
    }

    /// A built-in provider by id.
    pub fn get(&self, id: &str) -> Option<&Arc<IdpRuntime>> {
        self.builtin.get(id)
    }

    /// Forgets every provider's interactions, codes and tokens.
    pub fn reset(&self) {
        for rt in self.builtin.values() {
            rt.interactions.clear();
            rt.codes.clear();
            rt.tokens.clear();
        }
    }
}

/// Routes of every built-in provider, under `prefix` (`/idp`).
pub fn router<S>(prefix: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    IdpState: axum::extract::FromRef<S>,
{
    let at = |path: &str| format!("{prefix}/{{id}}{path}");
    Router::new()
        .route(&at(ip::DISCOVERY), get(discovery))
        .route(&at(ip::JWKS), get(jwks))
        .route(&at(ip::AUTHORIZE), get(authorize))
        .route(&at(ip::LOGIN), post(login).get(login_page::search))
        .route(&at(ip::CANCEL), get(cancel))
        .route(&at(ip::TOKEN), post(token))
        .route(&at(ip::USERINFO), get(userinfo).post(userinfo))
        .route(&at(ip::END_SESSION), get(end_session))
}

fn issuer(state: &IdpState, id: &str) -> String {
    format!("{}{IDP_PREFIX}/{id}", state.urls.public)
}

/// The hub's callbacks registered at every provider: FranceConnect's and FranceConnect+'s.
fn hub_urls(state: &IdpState, path: &str) -> [String; 2] {
    [FC_PREFIX.to_owned(), state.fcplus_prefix().to_owned()]
        .map(|prefix| format!("{}{prefix}{path}", state.urls.public))
}

fn is_hub_url(state: &IdpState, path: &str, candidate: Option<&str>) -> bool {
    candidate.is_some_and(|c| hub_urls(state, path).iter().any(|u| u == c))
}

/// The built-in provider `id`, or the page saying there is none.
fn runtime(state: &IdpState, id: &str) -> Result<Arc<IdpRuntime>, IdpError> {
    state.idps.get(id).cloned().ok_or_else(|| {
        IdpError::page(
            StatusCode::NOT_FOUND,
            format!("Aucun fournisseur d'identité « {id} » n'est servi ici."),
        )
    })
}
