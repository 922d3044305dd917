//! The FranceConnect v2 hub: what service providers talk to.
//!
//! A login crosses these steps, each a route under `/api/v2`:
//! authorize → IdP wall (`/interaction/{uid}`) → `redirect-to-idp` → the
//! identity provider → `oidc-callback` (token + userinfo at the identity
//! provider) → `verify` (RNIPP step, `sub`) → consent → `login` → the service
//! provider's redirect URI with a code → `token` → `userinfo` → `session/end`.
//! State lives in bounded, expiring stores keyed by the `fc_session_id`
//! cookie (sessions), the interaction uid, the code and the access token.

mod authorize;
mod back;
mod backchannel;
mod callback;
mod checktoken;
mod discovery;
pub mod error;
mod headless;
mod idp_answer;
pub mod idp_client;
pub mod idp_remote;
mod idp_userinfo;
mod interaction;
mod logout;
mod queue;
mod rnipp;
mod session;
mod state;
mod token;
mod userinfo;
pub mod view;

pub use state::{CLIENT_JWKS_TTL_MS, KeyStep, PlatformState, RotateError};
pub use view::{PlatformKind, PlatformView};

use std::collections::{HashMap, VecDeque};

use axum::Router;
use axum::routing::{get, post};
use parking_lot::Mutex;
use serde::Serialize;

use crate::crypto::KeyRing;
use crate::identity::NormalisedIdentity;
use crate::oidc::ids::{Nonce, OAuthState};
use crate::oidc::store::{ExpiringStore, Weigh};
use crate::paths::platform as p;

pub use error::{not_found, root_redirect};
pub(crate) use interaction::describe_problems;
pub use session::COOKIE as SESSION_COOKIE;

/// Headless logins queued per client, at most this many each.
const NEXT_LOGIN_QUEUE_MAX: usize = 1000;
/// At most this many clients with a non-empty queue.
const NEXT_LOGIN_CLIENTS_MAX: usize = 10_000;

/// Keys and per-flow state of the platform.
pub struct Hub {
    pub keys: KeyRing,
    pub(crate) sessions: ExpiringStore<Session>,
    pub(crate) interactions: ExpiringStore<Interaction>,
    pub(crate) codes: ExpiringStore<CodeGrant>,
    /// Codes already redeemed → the access token they produced, so a replay
    /// can revoke it as node-oidc-provider does.
    pub(crate) used_codes: ExpiringStore<String>,
    pub(crate) access_tokens: ExpiringStore<std::sync::Arc<AccessGrant>>,
    next_logins: Mutex<HashMap<String, VecDeque<NextLogin>>>,
    /// How many key rotations were published.
    pub(crate) rotations: std::sync::atomic::AtomicU64,
    /// Identity hash → civil-registry outcome, for personas that do not pass.
    pub(crate) rnipp: parking_lot::RwLock<HashMap<String, rnipp::Verdict>>,
}

impl Hub {
    pub(crate) fn new(keys: KeyRing, capacity: usize, config: &crate::config::Config) -> Self {
        let bytes = config.platform.store_mib.saturating_mul(1 << 20);
        Self {
            rnipp: parking_lot::RwLock::new(rnipp::registry(config.personas.eager())),
            rotations: std::sync::atomic::AtomicU64::new(0),
            keys,
            sessions: ExpiringStore::presized(capacity, bytes),
            interactions: ExpiringStore::presized(capacity, bytes),
            codes: ExpiringStore::presized(capacity, bytes),
            used_codes: ExpiringStore::presized(capacity, bytes),
            access_tokens: ExpiringStore::presized(capacity, bytes),
            next_logins: Mutex::new(HashMap::new()),
        }
    }

    /// Entries and bytes held by each store, by name.
    pub fn store_usage(&self) -> Vec<(&'static str, usize, usize)> {
        vec![
            ("sessions", self.sessions.len(), self.sessions.bytes()),
            ("interactions", self.interactions.len(), self.interactions.bytes()),
            ("codes", self.codes.len(), self.codes.bytes()),
            ("used_codes", self.used_codes.len(), self.used_codes.bytes()),
            ("access_tokens", self.access_tokens.len(), self.access_tokens.bytes()),
        ]
    }

    /// Adds the civil-registry outcomes of personas added at run time.
    pub(crate) fn register_personas(&self, personas: &[std::sync::Arc<crate::config::Persona>]) {
        let extra = rnipp::registry(personas);
        self.rnipp.write().extend(extra);
    }

    /// Forgets every session, interaction, code, token and queued login.
    pub fn reset(&self) {
        self.sessions.clear();
        self.interactions.clear();
        self.codes.clear();
        self.used_codes.clear();
        self.access_tokens.clear();
        self.next_logins.lock().clear();
    }

    /// Queues a headless login for the next authorize of `client_id`.
    pub fn push_next_login(&self, client_id: &str, login: NextLogin) -> Result<usize, &'static str> {
        let mut map = self.next_logins.lock();
        if !map.contains_key(client_id) && map.len() >= NEXT_LOGIN_CLIENTS_MAX {
            return Err("too many clients with queued logins");
        }
        let queue = map.entry(client_id.to_owned()).or_default();
        if queue.len() >= NEXT_LOGIN_QUEUE_MAX {
            return Err("queue full for this client (1000 pending logins)");
        }
        queue.push_back(login);
        Ok(queue.len())
    }

    /// The logins queued for `client_id`, next first.
    pub fn queued_logins(&self, client_id: &str) -> Vec<NextLogin> {
        self.next_logins
            .lock()
            .get(client_id)
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Drops every login queued for `client_id`; returns how many there were.
    pub fn clear_next_logins(&self, client_id: &str) -> usize {
        self.next_logins.lock().remove(client_id).map_or(0, |q| q.len())
    }

    pub(crate) fn pop_next_login(&self, client_id: &str) -> Option<NextLogin> {
        let mut map = self.next_logins.lock();
        let queue = map.get_mut(client_id)?;
        let next = queue.pop_front();
        if queue.is_empty() {
            map.remove(client_id);
        }
        next
    }
}

/// A queued headless login.
#[derive(Debug, Clone, Serialize)]
pub struct NextLogin {
    pub persona: String,
    pub idp: String,
}

/// The browser's FranceConnect session (cookie `fc_session_id`).
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) csrf: String,
    /// The interaction in progress in this browser.
    pub(crate) interaction: Option<String>,
    /// The identity already established (SSO within the session).
    pub(crate) sso: Option<Login>,
    /// A logout in progress.
    pub(crate) logout: Option<LogoutContext>,
}

/// What the identity provider established, possibly verified.
#[derive(Debug, Clone)]
pub(crate) struct Login {
    pub(crate) idp: String,
    /// After the RNIPP step (what FranceConnect v2 sends).
    pub(crate) identity: std::sync::Arc<NormalisedIdentity>,
    /// As the identity provider returned it (what FranceConnect+ sends).
    pub(crate) raw: std::sync::Arc<crate::identity::Identity>,
    /// The acr the identity provider returned (FranceConnect+ passes it on).
    pub(crate) idp_acr: String,
    pub(crate) amr: Vec<String>,
    pub(crate) auth_time: i64,
    /// The identity provider's id_token, for logout at the identity provider.
    pub(crate) idp_id_token: Option<String>,
}

/// A logout in progress.
#[derive(Debug, Clone)]
pub(crate) struct LogoutContext {
    pub(crate) post_logout_redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    /// State sent to the identity provider's end_session.
    pub(crate) idp_state: Option<String>,
}

/// One authorization request being served.
#[derive(Debug, Clone)]
pub(crate) struct Interaction {
    /// Also the flow id in the journal.
    pub(crate) uid: String,
    pub(crate) session_id: String,
    pub(crate) request: authorize::AuthorizeRequest,
    pub(crate) step: Step,
    /// Message for the wall after an identity-provider error.
    pub(crate) banner: Option<String>,
}

/// Where an interaction stands.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Waiting for the user to pick an identity provider.
    Wall,
    /// Sent to identity provider `idp` with this state and nonce.
    AtIdp {
        idp: String,
        state: OAuthState,
        nonce: Nonce,
    },
    /// The identity provider answered; the RNIPP step is next.
    Authenticated(Login),
    /// Identity verified and `sub` computed; consent is next.
    Verified { login: Login, sub: String },
}

/// What an authorization code stands for (30 s, single use).
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) grant: AccessGrant,
    pub(crate) nonce: Nonce,
    pub(crate) code_challenge: Option<String>,
}

/// What an access token stands for (60 s).
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub(crate) client_id: String,
    pub(crate) sub: String,
    pub(crate) scopes: std::sync::Arc<[String]>,
    pub(crate) identity: std::sync::Arc<NormalisedIdentity>,
    /// The identity provider's own values (FranceConnect+).
    pub(crate) raw: std::sync::Arc<crate::identity::Identity>,
    /// FranceConnect+ sends the identity provider's values, plus rnipp_* claims.
    pub(crate) plus: bool,
    pub(crate) idp: String,
    pub(crate) acr: String,
    /// Authentication methods: `fc` plus the identity provider's configured ones.
    pub(crate) amr: Vec<String>,
    /// Whether the client asked for `amr` in the id_token (through `claims`) and may.
    pub(crate) amr_in_id_token: bool,
    pub(crate) auth_time: i64,
    /// When the access token was issued and expires (seconds; 0 until the token endpoint).
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
}

// What the stores' byte budgets count: the inline size plus the strings a
// caller chose (state, nonce, PKCE challenge, logout state); the rest is
// fcmock's own or bounded by the configuration.
fn opt_len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

impl Weigh for Session {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.csrf.len()
            + opt_len(&self.interaction)
            + self.logout.as_ref().map_or(0, |l| {
                opt_len(&l.post_logout_redirect_uri) + opt_len(&l.state) + opt_len(&l.idp_state)
            })
            + self.sso.as_ref().map_or(0, |l| opt_len(&l.idp_id_token))
    }
}

impl Weigh for Interaction {
    fn weight(&self) -> usize {
        let r = &self.request;
        std::mem::size_of::<Self>()
            + r.state.as_str().len()
            + r.nonce.as_str().len()
            + opt_len(&r.code_challenge)
            + opt_len(&r.idp_hint)
            + r.scopes.iter().map(String::len).sum::<usize>()
            + opt_len(&self.banner)
            + match &self.step {
                Step::AtIdp { state, nonce, .. } => state.as_str().len() + nonce.as_str().len(),
                Step::Authenticated(l) | Step::Verified { login: l, .. } => opt_len(&l.idp_id_token),
                Step::Wall => 0,
            }
    }
}

impl Weigh for CodeGrant {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.nonce.as_str().len() + opt_len(&self.code_challenge) + self.grant.weight()
    }
}

impl Weigh for AccessGrant {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.scopes.iter().map(String::len).sum::<usize>() + self.sub.len()
    }
}

/// Routes of the platform under `prefix` (`/api/v2`, or FranceConnect+'s path).
pub fn router<S>(prefix: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    PlatformState: axum::extract::FromRef<S>,
{
    let at = |path: &str| format!("{prefix}{path}");
    Router::new()
        .route(prefix, get(error::root_redirect))
        .route(&at(p::DISCOVERY), get(discovery::discovery))
        .route(&at(p::JWKS), get(discovery::jwks))
        .route(&at(p::CLIENT_KEYS), get(discovery::client_keys))
        .route(
            &at(p::AUTHORIZE),
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(&at(p::INTERACTION), get(interaction::wall))
        .route(&at(p::REDIRECT_TO_IDP), post(interaction::redirect_to_idp))
        .route(&at(p::REDIRECT_TO_SP_WITH_ERROR), get(back::redirect_to_sp_with_error))
        .route(&at(p::OIDC_CALLBACK), get(callback::oidc_callback))
        .route(&at(p::INTERACTION_VERIFY), get(interaction::verify))
        .route(&at(p::INTERACTION_CONSENT), get(interaction::consent))
        .route(&at(p::LOGIN), post(interaction::login))
        .route(&at(p::TOKEN), post(token::token))
        .route(
            &at(p::USERINFO),
            get(userinfo::userinfo_get).post(userinfo::userinfo_post),
        )
        .route(&at(p::REVOCATION), post(token::revocation))
        .route(&at(p::CHECKTOKEN), post(checktoken::checktoken))
        .route(&at(p::SESSION_END), get(logout::session_end))
        .route(&at(p::DISCONNECT_FROM_IDP), post(logout::disconnect_from_idp))
        .route(&at(p::LOGOUT_CALLBACK), get(logout::logout_callback))
        .route(&at(p::SESSION_END_CONFIRM), post(logout::session_end_confirm))
        .route(&at(p::SESSION_END_SUCCESS), get(logout::session_end_success))
}
