//! Test harness: spawn fcmock on port 0; the library's browser and relying
//! party (`fcmock::agent`), with the tests' fixed values and panics on
//! transport failures.

use std::collections::HashMap;
use std::time::Duration;

use fcmock::agent::{self, Expect, Jwks, RelyingParty};
pub use fcmock::agent::{AgentError, LoginResult, Page};
use fcmock::clock::Clock;
use fcmock::config::{self, Source};
use fcmock::rng::Rng;
use fcmock::server::{AppState, ServeOptions, Urls, serve_with};
use serde_json::Value;
use tokio::net::TcpListener;

pub const PUBLIC_CLIENT: &str = "6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b";
pub const PUBLIC_SECRET: &str = "demo-secret-portail-public-0123456789abcdef0123456789abcdef";
pub const PRIVATE_CLIENT: &str = "9c4e7b2a1f0d83e6c5b4a39281f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6d5c";
pub const PRIVATE_SECRET: &str = "demo-secret-mediatheque-privee-fedcba9876543210fedcba98765432";
pub const FAMILY_CLIENT: &str = "3b8e5d2f7a1c4e9b6d0f2a8c5e7b1d3f9a6c4e2b8d0f7a5c3e1b9d7f5a3c1e8b";
pub const FAMILY_SECRET: &str = "demo-secret-espace-famille-00112233445566778899aabbccddeeff00";
pub const REDIRECT: &str = "http://localhost:3000/callback";
pub const NONCE: &str = "n0nce-0123456789abcdef0123456789abcdef";
pub const STATE: &str = "st4te-0123456789abcdef0123456789abcdef";

/// A running fcmock.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: Clock,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// fcmock with the default bundle.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// fcmock with the default bundle plus `extra` YAML documents, in which
    /// `{BASE}` stands for the server's own base URL.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        Self::spawn_with_options(extra, ServeOptions::default()).await
    }

    /// Like [`spawn_with`](Self::spawn_with), with chosen connection limits.
    pub async fn spawn_with_options(extra: &[&str], options: ServeOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let sources: Vec<Source> = extra
            .iter()
            .enumerate()
            .map(|(i, t)| Source {
                name: format!("test-{i}.yaml"),
                text: t.replace("{BASE}", &base),
            })
            .collect();
        let cfg = config::load(&sources, true).unwrap_or_else(|e| panic!("{e}"));
        Self::serve_config(listener, cfg, options)
    }

    /// A server on `sources` as `fcmock` serves them: the personas of large
    /// JSON Lines files deferred.
    pub async fn spawn_deferred(sources: Vec<Source>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cfg = config::load_sources(sources, true, true).unwrap_or_else(|e| panic!("{e}"));
        Self::serve_config(listener, cfg, ServeOptions::default())
    }

    fn serve_config(listener: TcpListener, cfg: config::Config, options: ServeOptions) -> Self {
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let clock = Clock::system();
        let urls = Urls {
            public: base.clone(),
            internal: base.clone(),
        };
        let state = AppState::new(cfg, urls, clock.clone(), Rng::from_entropy(), None).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = async move {
            let _ = rx.await;
        };
        tokio::spawn(serve_with(listener, state.clone(), stopped, options));
        TestApp {
            base,
            state,
            clock,
            _shutdown: tx,
        }
    }

    pub fn issuer(&self) -> String {
        format!("{}/api/v2", self.base)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fresh browser (its own cookie jar).
    pub fn browser(&self) -> Browser {
        self.browser_with_timeout(Duration::from_secs(20))
    }

    /// A fresh browser that waits up to `timeout` for each answer.
    pub fn browser_with_timeout(&self, timeout: Duration) -> Browser {
        Browser(agent::Browser::new(timeout).unwrap())
    }

    /// A relying party registered as `client_id` (the library's agent).
    pub async fn rp(&self, client_id: &str, secret: &str) -> Rp {
        Rp(RelyingParty::discover(&self.issuer(), client_id, secret, REDIRECT)
            .await
            .expect("discovery"))
    }

    /// Authorize URL with hand-picked parameters (for the error surfaces).
    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut u = url::Url::parse(&format!("{}/authorize", self.issuer())).unwrap();
        for (k, v) in params {
            u.query_pairs_mut().append_pair(k, v);
        }
        u.to_string()
    }
}

/// The parameters of a valid authorize request for `client`, as pairs.
pub fn valid_params(client: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", "openid identite_pivot email".to_owned()),
        ("acr_values", "eidas1".to_owned()),
        ("nonce", NONCE.to_owned()),
        ("state", STATE.to_owned()),
    ]
}

pub fn plain_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Test-side reading of the agent's pages: a missing form fails the test.
pub trait TestPage {
    /// The form containing the element `data-testid` (or with it), as (action, fields).
    fn form_of(&self, testid: &str) -> (String, Vec<(String, String)>);
}

impl TestPage for Page {
    fn form_of(&self, testid: &str) -> (String, Vec<(String, String)>) {
        let form = self.form(testid).unwrap_or_else(|e| panic!("{e} in:\n{}", self.body));
        (form.action, form.fields)
    }
}

/// The library's browser; a transport failure fails the test.
pub struct Browser(pub agent::Browser);

impl Browser {
    pub async fn get(&self, url: &str) -> Page {
        self.0.get(url).await.unwrap()
    }

    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Page {
        self.0.post(url, fields).await.unwrap()
    }

    /// Follows redirects until a page, or until a redirect leaves fcmock
    /// (to the service provider): then returns the redirect with its Location.
    pub async fn follow(&self, page: Page, base: &str) -> Page {
        self.0.follow(page, base).await.unwrap()
    }

    pub async fn open(&self, url: &str, base: &str) -> Page {
        self.0.open(url, base).await.unwrap()
    }

    /// Submits the form holding `testid`, with `extra` fields set or replaced.
    pub async fn submit(&self, page: &Page, testid: &str, extra: &[(&str, &str)], base: &str) -> Page {
        self.0
            .submit(page, testid, extra, base)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", page.body))
    }
}

/// Query parameters of a URL.
pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// The library's relying party, with the tests' fixed state and nonce.
pub struct Rp(pub RelyingParty);

impl std::ops::Deref for Rp {
    type Target = RelyingParty;
    fn deref(&self) -> &RelyingParty {
        &self.0
    }
}

impl Rp {
    /// The authorize URL for `scopes` (+ openid) at eidas1, with the tests' state and nonce.
    pub fn authorize_url(&self, scopes: &[&str], extra: &[(&str, &str)]) -> (String, String, String) {
        self.0.authorize_url(scopes, "eidas1", STATE, NONCE, extra)
    }

    /// Redeems `code` and verifies the id_token (signature against the JWKS, iss, aud, exp, nonce).
    pub async fn redeem(&self, code: &str) -> Result<LoginResult, AgentError> {
        self.0.redeem(code, NONCE).await
    }

    /// Calls userinfo and verifies the JWT against the platform's JWKS with a JOSE library.
    pub async fn userinfo(&self, access_token: &str) -> (reqwest::StatusCode, String, Value) {
        let info = self.0.userinfo(access_token).await.unwrap();
        let status = reqwest::StatusCode::from_u16(info.status).unwrap();
        if !status.is_success() {
            return (
                status,
                info.content_type,
                serde_json::from_str(&info.body).unwrap_or(Value::Null),
            );
        }
        let claims = verify_jwt(&self.http, &self.issuer, &info.body, &self.client_id).await;
        (status, info.content_type, claims)
    }

    pub fn access_token(result: &LoginResult) -> String {
        result.access_token()
    }
}

/// Verifies a JWS against the platform's published JWKS (jsonwebtoken), returning its claims.
pub async fn verify_jwt(http: &reqwest::Client, issuer: &str, jwt: &str, aud: &str) -> Value {
    let jwks = Jwks::fetch(http, issuer, &format!("{issuer}/jwks")).await.unwrap();
    let expect = Expect {
        audience: aud,
        nonce: None,
        now: Clock::system().now(),
        // exp is checked when present; checktoken's JWS has none (as on FranceConnect).
        id_token_rules: false,
    };
    jwks.verify(jwt.trim(), &expect)
        .unwrap_or_else(|e| panic!("{e}: {jwt}"))
}

/// Drives a browser from authorize through the wall and the identity
/// provider's login form; returns what follows the login (the consent page,
/// a redirect to the service provider, or an error page).
pub async fn to_consent(
    app: &TestApp,
    browser: &Browser,
    authorize_url: &str,
    idp: &str,
    credentials: &[(&str, &str)],
) -> Page {
    let wall = browser.open(authorize_url, &app.base).await;
    assert_eq!(wall.status, 200, "wall: {}", wall.body);
    assert!(wall.testid("test-banner").unwrap().contains("Environnement de test"));
    let idp_page = browser.submit(&wall, &format!("idp-{idp}"), &[], &app.base).await;
    assert_eq!(idp_page.status, 200, "idp page: {}", idp_page.body);
    browser
        .submit(&idp_page, "idp-login-form", credentials, &app.base)
        .await
}

/// The whole interactive journey; returns the final redirect to the service provider.
pub async fn interactive_login(
    app: &TestApp,
    browser: &Browser,
    authorize_url: &str,
    idp: &str,
    login: &str,
    password: &str,
) -> Page {
    let after_login = to_consent(
        app,
        browser,
        authorize_url,
        idp,
        &[("login", login), ("password", password)],
    )
    .await;
    if after_login.status == 200 && after_login.testid("consent-continue").is_some() {
        let checkbox = after_login.testid("consent-checkbox").is_some();
        let extra: &[(&str, &str)] = if checkbox { &[("consent", "true")] } else { &[] };
        return browser.submit(&after_login, "consent-continue", extra, &app.base).await;
    }
    after_login
}

/// Login, password of a persona's account at an identity provider.
pub fn account(app: &TestApp, persona: &str, idp: &str) -> (String, String) {
    let cfg = app.state.config();
    let p = cfg.persona(persona).unwrap();
    let a = p.account(idp).unwrap();
    (a.login.clone(), a.password.clone())
}

/// Full journey: authorize → wall → IdP → consent → code → token (verified).
pub async fn full_login(app: &TestApp, rp: &Rp, persona: &str, idp: &str, scopes: &[&str]) -> LoginResult {
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(scopes, &[]);
    let (login, password) = account(app, persona, idp);
    let back = interactive_login(app, &browser, &url, idp, &login, &password).await;
    assert!(
        back.location.as_deref().unwrap_or_default().starts_with(REDIRECT),
        "expected a redirect to the SP, got {} {:?}\n{}",
        back.status,
        back.location,
        back.body
    );
    let q = query(back.location.as_deref().unwrap());
    assert_eq!(q.get("state").map(String::as_str), Some(STATE));
    rp.redeem(&q["code"]).await.unwrap()
}

/// Queues a headless login of `persona` at `idp` for the next authorize of `client_id`.
pub async fn queue_login(app: &TestApp, client_id: &str, persona: &str, idp: &str) {
    let resp = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": client_id, "persona": persona, "idp": idp}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        201,
        "next-login: {}",
        resp.text().await.unwrap_or_default()
    );
}

/// The `href` of the link `data-testid="{testid}"` on a page.
pub fn href_of(page: &Page, testid: &str) -> String {
    page.html()
        .select(&scraper::Selector::parse(&format!("[data-testid=\"{testid}\"]")).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no {testid} in:\n{}", page.body))
        .value()
        .attr("href")
        .unwrap()
        .to_owned()
}

/// Puts a scenario (YAML) in force through the control API; returns its id.
pub async fn load_scenario(app: &TestApp, yaml: &str) -> String {
    let resp = plain_http()
        .post(app.url("/_fcmock/api/scenarios"))
        .header("content-type", "application/yaml")
        .body(yaml.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// GET `url` and parse its JSON body.
pub async fn fetch_json(url: &str) -> Value {
    plain_http().get(url).send().await.unwrap().json().await.unwrap()
}

/// The magic personas of the default bundle (their own faults), the slow
/// ones left out, optionally only those with an account at `idp`.
pub fn magic_personas(app: &TestApp, idp: Option<&str>) -> Vec<std::sync::Arc<fcmock::config::Persona>> {
    app.state
        .config()
        .personas
        .iter()
        .filter(|p| p.tags.iter().any(|t| t == "magique") && !p.tags.iter().any(|t| t == "lent"))
        .filter(|p| idp.is_none_or(|i| p.account(i).is_some()))
        .cloned()
        .collect()
}

/// The FranceConnect code a magic persona promises (its `attendu-…` tag).
pub fn promised_code(tags: &[String]) -> Option<String> {
    tags.iter()
        .find_map(|t| t.strip_prefix("attendu-").map(str::to_uppercase))
}

/// Loads one configuration text (with the default bundle), or panics with
/// its errors.
pub fn load_source(name: &str, text: String) -> fcmock::config::Config {
    fcmock::config::load(
        &[fcmock::config::Source {
            name: name.into(),
            text,
        }],
        true,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
