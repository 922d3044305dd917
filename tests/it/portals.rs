//! Two small commune portals for `fcmock check` and `fcmock scenario run`
//! to judge: a careful one (the library's relying party, on the
//! `openidconnect` crate: signature, iss, aud, exp, iat, nonce, acr, amr,
//! signed userinfo about the same subject, logout with state) and a careless
//! one, written by hand, that skips the nonce, signature and audience
//! checks, calls userinfo before judging the id_token, and logs out without
//! `state`. Both check `state` at the callback.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use fcmock::agent::RelyingParty;
use serde_json::Value;

/// An in-process fcmock with the portal's client, and the portal (`care`)
/// pointed at it.
pub async fn with_fcmock(care: Care) -> (fcmock::portal::fcmock::Fcmock, fcmock::portal::check::Target) {
    let bound = bind().await;
    let cfg = config(&bound.base);
    let fc = fcmock::portal::fcmock::Fcmock::start(cfg, "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let base = serve(bound, care, &fc.base);
    let target = fcmock::portal::check::Target {
        portal: base,
        start: "/".to_owned(),
        client_id: care.client_id().to_owned(),
        marker: None,
        persona: None,
    };
    (fc, target)
}

/// The embedded defaults plus the portal's client at `base`.
pub fn config(base: &str) -> fcmock::config::Config {
    let source = fcmock::config::Source {
        name: "portal.yaml".to_owned(),
        text: client_yaml(base),
    };
    fcmock::config::load(&[source], true).unwrap()
}

/// The example journey files of `scenarios/journeys/`, parsed for the portal at `base`.
pub fn example_journeys(base: &str) -> Vec<fcmock::portal::journey::JourneyFile> {
    let cfg = config(base);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/journeys");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let path = format!("scenarios/journeys/{}", p.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(&p).unwrap();
            let scenario = fcmock::scenarios::parse::parse(&path, &text, &cfg).unwrap_or_else(|e| panic!("{e}"));
            assert!(!scenario.journeys.is_empty(), "{path} has no journey");
            fcmock::portal::journey::JourneyFile { path, text, scenario }
        })
        .collect()
}

/// The FranceConnect+ portal's registration (its public key is the test key
/// `keys/fs-fcplus-ec.pem`, as the default bundle's FC+ client).
pub const CLIENT_ID_PLUS: &str = "portail-metropole-fcplus-test-0123456789abcdef0123456789abcdef";
pub const SECRET_PLUS: &str = "secret-du-portail-fcplus-de-test-0123456789abcdef0123456789";

impl Care {
    pub fn client_id(self) -> &'static str {
        if self == Care::CarefulPlus {
            CLIENT_ID_PLUS
        } else {
            CLIENT_ID
        }
    }
}

pub const CLIENT_ID: &str = "portail-metropole-test-0123456789abcdef0123456789abcdef01234567";
pub const SECRET: &str = "secret-du-portail-de-test-0123456789abcdef0123456789abcdef";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Care {
    Careful,
    Careless,
    /// A careful FranceConnect+ portal (eidas2): it decrypts the id_token and
    /// userinfo with its own key, then verifies FranceConnect+'s ES256 signature.
    CarefulPlus,
}

#[derive(Default, Clone)]
struct Session {
    state: Option<String>,
    nonce: Option<String>,
    logout_state: Option<String>,
    given_name: Option<String>,
    id_token: Option<String>,
    /// Said once on the next page.
    flash: Option<String>,
}

#[derive(Clone)]
struct Portal {
    care: Care,
    base: String,
    issuer: String,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    /// The "comptes usagers": one per FranceConnect sub.
    accounts: Arc<Mutex<HashSet<String>>>,
    http: reqwest::Client,
}

/// A bound portal: its base URL is known before fcmock is configured.
pub struct Bound {
    pub base: String,
    listener: tokio::net::TcpListener,
}

pub async fn bind() -> Bound {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    Bound { base, listener }
}

/// The portal's registration at fcmock (exact URIs, no localhost deviation).
pub fn client_yaml(base: &str) -> String {
    format!(
        "clients:\n  - client_id: \"{CLIENT_ID}\"\n    client_secret: \"{SECRET}\"\n    name: \"Portail de test\"\n    redirect_uris: [\"{base}/callback\"]\n    post_logout_redirect_uris: [\"{base}/logged-out\"]\n    signing_alg: ES256\n    claims: [amr]\n  - client_id: \"{CLIENT_ID_PLUS}\"\n    client_secret: \"{SECRET_PLUS}\"\n    name: \"Portail de test (FC+)\"\n    platform: fcplus\n    redirect_uris: [\"{base}/callback\"]\n    post_logout_redirect_uris: [\"{base}/logged-out\"]\n    signing_alg: ES256\n    encryption_alg: ECDH-ES\n    encryption_jwk: {{ crv: \"P-256\", kid: \"-Qe1g6h3wBVXu5C6c7aAbGZ09vgyKZ9lgitklzdwjcQ\", kty: \"EC\", x: \"LZbiU8TyaJPqv3DR2dDBhMsEXfFbzE4uNVmvsoieQZg\", y: \"NZI8Jguc-FGLBVt4t-4OOBQAtzBccEB7KfCS3BriGxU\" }}\n"
    )
}

/// Serves the portal in the background; `fcmock` is FranceConnect's base URL.
pub fn serve(bound: Bound, care: Care, fcmock: &str) -> String {
    let portal = Portal {
        care,
        base: bound.base.clone(),
        issuer: if care == Care::CarefulPlus {
            format!("{fcmock}/fcplus/api/v2")
        } else {
            format!("{fcmock}/api/v2")
        },
        sessions: Arc::default(),
        accounts: Arc::default(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .route("/logged-out", get(logged_out))
        .with_state(portal);
    tokio::spawn(async move { axum::serve(bound.listener, app).await.unwrap() });
    bound.base
}

fn random() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sid(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix("portal_sid=").map(str::to_owned))
}

impl Portal {
    fn session(&self, headers: &HeaderMap) -> (String, Session, bool) {
        match sid(headers).and_then(|id| self.sessions.lock().unwrap().get(&id).cloned().map(|s| (id, s))) {
            Some((id, s)) => (id, s, false),
            None => (random(), Session::default(), true),
        }
    }

    fn save(&self, id: &str, s: Session) {
        self.sessions.lock().unwrap().insert(id.to_owned(), s);
    }
}

fn page(status: StatusCode, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Portail</title></head><body>{body}</body></html>"
        )),
    )
        .into_response()
}

fn with_cookie(mut resp: Response, id: &str, new: bool) -> Response {
    if new && let Ok(v) = format!("portal_sid={id}; Path=/; HttpOnly").parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

async fn home(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let (id, mut s, _) = p.session(&headers);
    let flash = s
        .flash
        .take()
        .map(|f| format!("<p role=\"status\">{f}</p>"))
        .unwrap_or_default();
    p.save(&id, s.clone());
    match s.given_name {
        Some(name) => page(
            StatusCode::OK,
            &format!("<h1>Bonjour {name}</h1>{flash}<p><a href=\"/logout\">Se déconnecter</a></p>"),
        ),
        None => page(
            StatusCode::OK,
            "<h1>Portail de la Métropole</h1><p><a class=\"franceconnect-button\" href=\"/login\">S'identifier avec FranceConnect</a></p>",
        ),
    }
}

async fn login(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let (id, mut s, new) = p.session(&headers);
    let (state, nonce) = (random(), random());
    s.state = Some(state.clone());
    s.nonce = Some(nonce.clone());
    p.save(&id, s);
    let mut url = url::Url::parse(&format!("{}/authorize", p.issuer)).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", p.care.client_id())
        .append_pair("redirect_uri", &format!("{}/callback", p.base))
        .append_pair("scope", "openid given_name family_name birthdate")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce);
    if p.care == Care::CarefulPlus {
        url.query_pairs_mut().append_pair("acr_values", "eidas2");
    } else {
        url.query_pairs_mut()
            .append_pair("acr_values", "eidas1")
            .append_pair("claims", r#"{"id_token":{"amr":{"essential":true}}}"#);
    }
    with_cookie(Redirect::to(url.as_str()).into_response(), &id, new)
}

async fn callback(State(p): State<Portal>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let (id, mut s, _) = p.session(&headers);
    if !q.contains_key("state") || q.get("state") != s.state.as_ref() {
        return page(StatusCode::FORBIDDEN, "<h1>Retour refusé</h1><p>state invalide.</p>");
    }
    s.state = None;
    p.save(&id, s.clone());
    if let Some(e) = q.get("error") {
        return page(StatusCode::OK, &format!("<h1>Connexion interrompue</h1><p>{e}</p>"));
    }
    let Some(code) = q.get("code") else {
        return page(StatusCode::BAD_REQUEST, "<h1>Pas de code</h1>");
    };
    let nonce = s.nonce.clone().unwrap_or_default();
    let result = match p.care {
        Care::Careful => careful(&p, code, &nonce).await,
        Care::Careless => careless(&p, code).await,
        Care::CarefulPlus => careful_plus(&p, code, &nonce).await,
    };
    match result {
        Ok((given_name, id_token, sub)) => {
            let created = p.accounts.lock().unwrap().insert(sub);
            s.flash = Some(if created {
                "Votre compte usager a été créé.".to_owned()
            } else {
                "Bon retour parmi nous.".to_owned()
            });
            s.given_name = Some(given_name);
            s.id_token = Some(id_token);
            p.save(&id, s);
            Redirect::to("/").into_response()
        }
        Err(why) => page(
            StatusCode::UNAUTHORIZED,
            &format!("<h1>Connexion refusée</h1><p>{why}</p>"),
        ),
    }
}

async fn careful(p: &Portal, code: &str, nonce: &str) -> Result<(String, String, String), String> {
    // Discovered at each login: a rotated key is found in the fresh JWKS.
    let rp = RelyingParty::discover(&p.issuer, CLIENT_ID, SECRET, &format!("{}/callback", p.base))
        .await
        .map_err(|e| e.to_string())?;
    let result = rp.redeem(code, nonce).await.map_err(|e| e.to_string())?;
    let acr = result.claims.auth_context_ref().map(|a| a.to_string());
    if acr.as_deref() != Some("eidas1") {
        return Err(format!("acr {acr:?}"));
    }
    if result.claims.auth_method_refs().is_none_or(|a| a.is_empty()) {
        return Err("no amr".to_owned());
    }
    let sub = result.claims.subject().to_string();
    let info = rp.userinfo(&result.access_token()).await.map_err(|e| e.to_string())?;
    let now = fcmock::clock::Clock::system().now_ms() / 1000;
    let claims = rp.verify_userinfo(&info, &sub, now).await.map_err(|e| e.to_string())?;
    let name = claims["given_name"].as_str().unwrap_or_default().to_owned();
    Ok((name, result.raw_id_token, sub))
}

/// The token call, by hand (`client_secret_post`); the answer as JSON.
async fn redeem(p: &Portal, code: &str, client_id: &str, secret: &str) -> Result<Value, String> {
    p.http
        .post(format!("{}/token", p.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &format!("{}/callback", p.base)),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

/// Decrypts a FranceConnect+ JWE with the portal's key and verifies the
/// JWS inside against FranceConnect+'s published keys.
async fn open_plus(p: &Portal, jwe: &str, nonce: Option<&str>) -> Result<Value, String> {
    use p256::pkcs8::DecodePrivateKey as _;
    let key = fcmock::crypto::jwe::PrivateKey::Ec(
        p256::SecretKey::from_pkcs8_pem(include_str!("../../keys/fs-fcplus-ec.pem")).map_err(|e| e.to_string())?,
    );
    let (_, inner) = fcmock::crypto::jwe::decrypt(jwe.trim(), &key).map_err(|e| e.to_string())?;
    let jws = String::from_utf8(inner).map_err(|e| e.to_string())?;
    let jwks = fcmock::agent::Jwks::fetch(&p.http, &p.issuer, &format!("{}/jwks", p.issuer))
        .await
        .map_err(|e| e.to_string())?;
    let expect = fcmock::agent::Expect {
        audience: CLIENT_ID_PLUS,
        nonce,
        now: fcmock::clock::Clock::system().now_ms() / 1000,
        id_token_rules: nonce.is_some(),
    };
    jwks.verify(&jws, &expect).map_err(|e| e.to_string())
}

async fn careful_plus(p: &Portal, code: &str, nonce: &str) -> Result<(String, String, String), String> {
    let token = redeem(p, code, CLIENT_ID_PLUS, SECRET_PLUS).await?;
    let id_token = token["id_token"].as_str().ok_or("no id_token")?.to_owned();
    let claims = open_plus(p, &id_token, Some(nonce)).await?;
    if !matches!(claims["acr"].as_str(), Some("eidas2" | "eidas3")) {
        return Err(format!("acr {} below eidas2", claims["acr"]));
    }
    let sub = claims["sub"].as_str().ok_or("no sub")?.to_owned();
    let access = token["access_token"].as_str().ok_or("no access_token")?;
    let body = p
        .http
        .get(format!("{}/userinfo", p.issuer))
        .bearer_auth(access)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let info = open_plus(p, &body, None).await?;
    if info["sub"].as_str() != Some(sub.as_str()) {
        return Err("userinfo is about someone else".to_owned());
    }
    let name = info["given_name"].as_str().unwrap_or_default().to_owned();
    // FranceConnect+ logs out with the id_token as sent (the JWE).
    Ok((name, id_token, sub))
}

fn payload(jwt: &str) -> Value {
    jwt.split('.')
        .nth(1)
        .and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

async fn careless(p: &Portal, code: &str) -> Result<(String, String, String), String> {
    let token = redeem(p, code, CLIENT_ID, SECRET).await?;
    let id_token = token["id_token"].as_str().ok_or("no id_token")?.to_owned();
    let access = token["access_token"].as_str().ok_or("no access_token")?;
    // Flaw: userinfo first, whatever the id_token says.
    let resp = p
        .http
        .get(format!("{}/userinfo", p.issuer))
        .bearer_auth(access)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let jwt = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/jwt"));
    let body = resp.text().await.map_err(|e| e.to_string())?;
    // Flaw: no signature check, on either token (nor the kid, nor alg).
    let info = if jwt {
        payload(body.trim())
    } else {
        serde_json::from_str(&body).unwrap_or(Value::Null)
    };
    let claims = payload(&id_token);
    let now = fcmock::clock::Clock::system().now_ms() / 1000;
    // It does check the issuer, the times, the subject and the acr; not the
    // nonce, nor the audience.
    if claims["iss"].as_str() != Some(p.issuer.as_str()) {
        return Err("iss".to_owned());
    }
    let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) else {
        return Err("exp or iat missing".to_owned());
    };
    if exp < now || iat > now + 5 {
        return Err("expired or issued in the future".to_owned());
    }
    let Some(sub) = claims["sub"].as_str() else {
        return Err("no sub".to_owned());
    };
    if info["sub"].as_str() != Some(sub) {
        return Err("userinfo is about someone else".to_owned());
    }
    if claims["acr"].as_str() != Some("eidas1") || claims["amr"].as_array().is_none_or(Vec::is_empty) {
        return Err("acr or amr".to_owned());
    }
    let name = info["given_name"].as_str().unwrap_or_default().to_owned();
    Ok((name, id_token, sub.to_owned()))
}

async fn logout(State(p): State<Portal>, headers: HeaderMap) -> Response {
    let (id, mut s, _) = p.session(&headers);
    let Some(hint) = s.id_token.take() else {
        return Redirect::to("/").into_response();
    };
    s.given_name = None;
    let mut url = url::Url::parse(&format!("{}/session/end", p.issuer)).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &hint)
        .append_pair("post_logout_redirect_uri", &format!("{}/logged-out", p.base));
    if p.care != Care::Careless {
        let state = random();
        url.query_pairs_mut().append_pair("state", &state);
        s.logout_state = Some(state);
    }
    p.save(&id, s);
    Redirect::to(url.as_str()).into_response()
}

async fn logged_out(State(p): State<Portal>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let (_, s, _) = p.session(&headers);
    if p.care != Care::Careless && q.get("state") != s.logout_state.as_ref() {
        return page(StatusCode::FORBIDDEN, "<h1>Retour de déconnexion refusé</h1>");
    }
    page(
        StatusCode::OK,
        "<h1>Vous êtes déconnecté</h1><p><a href=\"/login\">Se reconnecter</a></p>",
    )
}
