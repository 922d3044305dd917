//! Test harness: spawn fcmock on port 0, a browser, a relying party.

use std::collections::HashMap;
use std::time::Duration;

use fcmock::clock::Clock;
use fcmock::config::{self, Source};
use fcmock::rng::Rng;
use fcmock::server::{AppState, Urls, serve};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, RedirectUrl, Scope, TokenResponse as _,
};
use scraper::{Html, Selector};
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
        let clock = Clock::system();
        let urls = Urls {
            public: base.clone(),
            internal: base.clone(),
        };
        let state = AppState::new(cfg, urls, clock.clone(), Rng::from_entropy(), None).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
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
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .build()
                .unwrap(),
        }
    }

    /// A relying party registered as `client_id`.
    pub async fn rp(&self, client_id: &str, secret: &str) -> Rp {
        let http = plain_http();
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(self.issuer()).unwrap(), &http)
            .await
            .expect("discovery");
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(client_id.to_owned()),
            Some(ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap())
        .set_auth_type(AuthType::RequestBody);
        Rp {
            client,
            http,
            issuer: self.issuer(),
            client_id: client_id.to_owned(),
        }
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

/// What a browser got back.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Text of the element with `data-testid`.
    pub fn testid(&self, id: &str) -> Option<String> {
        let sel = Selector::parse(&format!("[data-testid=\"{id}\"]")).unwrap();
        self.html()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The form containing the element `data-testid` (or with it), as (action, fields).
    pub fn form_of(&self, testid: &str) -> (String, Vec<(String, String)>) {
        let html = self.html();
        let form_sel = Selector::parse("form").unwrap();
        let input_sel = Selector::parse("input").unwrap();
        let marker = Selector::parse(&format!("[data-testid=\"{testid}\"]")).unwrap();
        for form in html.select(&form_sel) {
            let matches = form.value().attr("data-testid") == Some(testid) || form.select(&marker).next().is_some();
            if !matches {
                continue;
            }
            let action = form.value().attr("action").unwrap_or_default().to_owned();
            let mut fields: Vec<(String, String)> = form
                .select(&input_sel)
                .filter(|i| i.value().attr("type") != Some("checkbox"))
                .filter_map(|i| {
                    Some((
                        i.value().attr("name")?.to_owned(),
                        i.value().attr("value").unwrap_or_default().to_owned(),
                    ))
                })
                .collect();
            // A <select> sends its selected option (or its first), as a browser does.
            let select_sel = Selector::parse("select").unwrap();
            let option_sel = Selector::parse("option").unwrap();
            for select in form.select(&select_sel) {
                let Some(name) = select.value().attr("name") else {
                    continue;
                };
                let options: Vec<_> = select.select(&option_sel).collect();
                let chosen = options
                    .iter()
                    .find(|o| o.value().attr("selected").is_some())
                    .or(options.first());
                if let Some(o) = chosen {
                    let value = o
                        .value()
                        .attr("value")
                        .map_or_else(|| o.text().collect(), str::to_owned);
                    fields.push((name.to_owned(), value));
                }
            }
            return (action, fields);
        }
        panic!("no form with data-testid {testid} in:\n{}", self.body);
    }

    /// The page's FranceConnect error code, if it is an error page.
    pub fn error_code(&self) -> Option<String> {
        self.testid("error-code")
    }
}

/// A cookie-keeping HTTP client that does not follow redirects by itself.
pub struct Browser {
    pub http: reqwest::Client,
}

impl Browser {
    pub async fn get(&self, url: &str) -> Page {
        to_page(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Page {
        to_page(self.http.post(url).form(fields).send().await.unwrap()).await
    }

    /// Follows redirects until a page, or until a redirect leaves fcmock
    /// (to the service provider): then returns the redirect with its Location.
    pub async fn follow(&self, mut page: Page, base: &str) -> Page {
        for _ in 0..20 {
            match &page.location {
                Some(loc) if (300..400).contains(&page.status) && loc.starts_with(base) => {
                    page = self.get(loc).await;
                }
                _ => return page,
            }
        }
        panic!("redirect loop");
    }

    pub async fn open(&self, url: &str, base: &str) -> Page {
        let p = self.get(url).await;
        self.follow(p, base).await
    }

    /// Submits the form holding `testid`, with `extra` fields set or replaced.
    pub async fn submit(&self, page: &Page, testid: &str, extra: &[(&str, &str)], base: &str) -> Page {
        let (action, mut fields) = page.form_of(testid);
        for (k, v) in extra {
            fields.retain(|(n, _)| n != k);
            fields.push(((*k).to_owned(), (*v).to_owned()));
        }
        let p = self.post(&action, &fields).await;
        self.follow(p, base).await
    }
}

async fn to_page(resp: reqwest::Response) -> Page {
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let body = resp.text().await.unwrap();
    Page { status, location, body }
}

/// Query parameters of a URL.
pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

type RpClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A relying party (service provider) built with the `openidconnect` crate.
pub struct Rp {
    pub client: RpClient,
    pub http: reqwest::Client,
    pub issuer: String,
    pub client_id: String,
}

/// What a successful login gives the relying party.
pub struct LoginResult {
    pub tokens: CoreTokenResponse,
    pub claims: CoreIdTokenClaims,
    pub raw_id_token: String,
}

impl Rp {
    /// The authorize URL for `scopes` (+ openid), FranceConnect's extra parameters included.
    pub fn authorize_url(&self, scopes: &[&str], extra: &[(&str, &str)]) -> (String, String, String) {
        let mut req = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new(STATE.to_owned()),
                || Nonce::new(NONCE.to_owned()),
            )
            .add_extra_param("acr_values", "eidas1");
        for s in scopes {
            req = req.add_scope(Scope::new((*s).to_owned()));
        }
        for (k, v) in extra {
            req = req.add_extra_param(*k, *v);
        }
        let (url, st, nonce) = req.url();
        (url.to_string(), st.secret().clone(), nonce.secret().clone())
    }

    /// Redeems `code` and verifies the id_token (signature against the JWKS, iss, aud, exp, nonce).
    pub async fn redeem(&self, code: &str) -> Result<LoginResult, String> {
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| e.to_string())?
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let id_token = tokens.id_token().ok_or("no id_token")?;
        let verifier = self.client.id_token_verifier().set_allowed_algs(vec![
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        ]);
        let claims = id_token
            .claims(&verifier, &Nonce::new(NONCE.to_owned()))
            .map_err(|e| e.to_string())?
            .clone();
        let raw_id_token = id_token.to_string();
        Ok(LoginResult {
            tokens,
            claims,
            raw_id_token,
        })
    }

    /// Calls userinfo and verifies the JWT against the platform's JWKS with a JOSE library.
    pub async fn userinfo(&self, access_token: &str) -> (reqwest::StatusCode, String, Value) {
        let resp = self
            .http
            .get(format!("{}/userinfo", self.issuer))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = resp.text().await.unwrap();
        if !status.is_success() {
            return (status, ct, serde_json::from_str(&body).unwrap_or(Value::Null));
        }
        (
            status,
            ct,
            verify_jwt(&self.http, &self.issuer, &body, &self.client_id).await,
        )
    }

    pub fn access_token(result: &LoginResult) -> String {
        result.tokens.access_token().secret().clone()
    }
}

/// Verifies a JWS against the platform's published JWKS (jsonwebtoken), returning its claims.
pub async fn verify_jwt(http: &reqwest::Client, issuer: &str, jwt: &str, aud: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = http
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let kid = header.kid.clone().expect("kid in header");
    let jwk = jwks.find(&kid).unwrap_or_else(|| panic!("kid {kid} not in JWKS"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    // exp is checked when present; checktoken's JWS has none (as on FranceConnect).
    validation.required_spec_claims = ["aud".to_owned(), "iss".to_owned()].into_iter().collect();
    validation.set_audience(&[aud]);
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap().claims
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
