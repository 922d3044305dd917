//! The demo portal at `/_fcmock/demo`: « Portail de la Métropole (démo) »,
//! a real service provider registered like any client (`DEMO_CLIENT` in
//! the default bundle) that logs citizens in with the library's relying
//! party (`openidconnect`), over HTTP, exactly as a commune's portal would.
//!
//! Three doors: a service's local account, the Métropole's compte usager
//! (both with the personas' `local_accounts`, password `123`), and
//! FranceConnect. After a FranceConnect login the portal searches its files
//! for the citizen ([`records`]): accounts that match are proposed for
//! linking, near duplicates are shown for an agent to check, and with none
//! a compte usager is created from the pivot identity. The dashboard sums
//! up the linked services; the childcare form is prefilled from the DGFiP
//! and CNAF mocks with the token of the login the citizen consented to;
//! logout goes through FranceConnect.

mod flows;
mod pages;
pub mod records;

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

use crate::config::LocalAccount;
use crate::oidc::store::{ExpiringStore, Weigh};
use crate::paths::mock as m;
use crate::shared::Shared;

/// The demo portal's client_id (registered in the default bundle).
pub const DEMO_CLIENT: &str = "demo-portail-metropole-0123456789abcdef0123456789abcdef0123";
/// The demo portal's session cookie.
const COOKIE: &str = "demo_metropole";
/// Sessions live this long (ms) without use.
const SESSION_MS: i64 = 3_600_000;
/// Links between a FranceConnect `sub` and local accounts live this long (ms).
const LINK_MS: i64 = 7 * 24 * 3_600_000;

/// What the DGFiP and CNAF mocks told the portal at login.
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    pub rfr: String,
    pub parts: String,
    pub quotient: String,
    pub children: String,
}

/// One browser's visit to the portal.
#[derive(Debug, Clone, Default)]
pub struct Visit {
    /// `state` and `nonce` of the FranceConnect login under way.
    pub pending: Option<(String, String)>,
    /// The first given name, to greet the citizen.
    pub given_name: String,
    /// The pivot identity of the FranceConnect login (a new compte usager is made of it).
    pub given_names: String,
    pub family_name: String,
    pub birthdate: String,
    pub email: Option<String>,
    pub sub: Option<String>,
    pub id_token: Option<String>,
    /// Local accounts this visit may use (logged in, or linked).
    pub accounts: Vec<LocalAccount>,
    /// After a FranceConnect login: matches to confirm, near duplicates to show.
    pub proposals: Vec<(LocalAccount, String)>,
    pub near: Vec<(LocalAccount, String)>,
    pub prefill: Option<Prefill>,
    /// Said once on the next page.
    pub message: Option<String>,
}

fn account_weight(a: &LocalAccount) -> usize {
    std::mem::size_of::<LocalAccount>()
        + a.reference.len()
        + a.given_name.len()
        + a.family_name.len()
        + a.birthdate.as_ref().map_or(0, String::len)
        + a.email.as_ref().map_or(0, String::len)
        + a.note.as_ref().map_or(0, String::len)
}

impl Weigh for Visit {
    fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let listed = |l: &[(LocalAccount, String)]| l.iter().map(|(a, w)| account_weight(a) + w.len()).sum::<usize>();
        std::mem::size_of::<Self>()
            + self.given_name.len()
            + self.given_names.len()
            + self.family_name.len()
            + self.birthdate.len()
            + opt(&self.email)
            + opt(&self.sub)
            + opt(&self.id_token)
            + opt(&self.message)
            + self.pending.as_ref().map_or(0, |(s, n)| s.len() + n.len())
            + self.accounts.iter().map(account_weight).sum::<usize>()
            + listed(&self.proposals)
            + listed(&self.near)
            + self
                .prefill
                .as_ref()
                .map_or(0, |p| p.rfr.len() + p.parts.len() + p.quotient.len() + p.children.len())
    }
}

/// The accounts linked to one FranceConnect `sub`.
#[derive(Debug, Clone, Default)]
pub struct Linked(pub Vec<LocalAccount>);

impl Weigh for Linked {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.0.iter().map(account_weight).sum::<usize>()
    }
}

/// The demo portal's state: what every role reads, its visits and its links
/// (both bounded and expiring).
#[derive(Clone)]
pub struct DemoState {
    shared: Shared,
    visits: Arc<ExpiringStore<Visit>>,
    links: Arc<ExpiringStore<Linked>>,
}

impl Deref for DemoState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl DemoState {
    pub fn new(shared: Shared) -> Self {
        Self {
            shared,
            visits: Arc::new(ExpiringStore::with_budget(2_000, 8 << 20)),
            links: Arc::new(ExpiringStore::with_budget(10_000, 8 << 20)),
        }
    }

    /// Forgets every visit and every link (the control API's reset).
    pub fn reset(&self) {
        self.visits.clear();
        self.links.clear();
    }

    /// This browser's visit and its id (a new one when it has none).
    fn visit(&self, headers: &HeaderMap) -> (String, Visit, bool) {
        let now = self.clock.now_ms();
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_owned));
        match id.and_then(|id| self.visits.get(&id, now).map(|v| (id, v))) {
            Some((id, v)) => (id, v, false),
            None => (self.rng.token(), Visit::default(), true),
        }
    }

    fn save(&self, id: &str, v: Visit) {
        self.visits.insert(id.to_owned(), v, self.clock.now_ms() + SESSION_MS);
    }

    fn linked(&self, sub: &str) -> Option<Vec<LocalAccount>> {
        self.links.get(sub, self.clock.now_ms()).map(|l| l.0)
    }

    fn link(&self, sub: &str, accounts: Vec<LocalAccount>) {
        self.links
            .insert(sub.to_owned(), Linked(accounts), self.clock.now_ms() + LINK_MS);
    }

    /// fcmock's own address for the demo's redirect URIs.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.urls.public)
    }
}

/// Sets the visit cookie on `resp` when the visit is new.
fn with_cookie(mut resp: Response, id: &str, new: bool) -> Response {
    if new && let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={id}; Path={}; HttpOnly; SameSite=Lax", m::DEMO)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The demo portal's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    DemoState: axum::extract::FromRef<S>,
{
    Router::new()
        .route(m::DEMO, get(flows::home))
        .route(m::DEMO_LOCAL, post(flows::local_login))
        .route(m::DEMO_FC, get(flows::franceconnect))
        .route(m::DEMO_CALLBACK, get(flows::callback))
        .route(m::DEMO_LINK, get(flows::link_page).post(flows::link))
        .route(m::DEMO_DASHBOARD, get(flows::dashboard))
        .route(m::DEMO_CHILDCARE, get(flows::childcare).post(flows::childcare_sent))
        .route(m::DEMO_LOGOUT, get(flows::logout))
        .route(m::DEMO_LOGGED_OUT, get(flows::logged_out))
}
