//! A small OpenID provider for the tests, outside fcmock's code: its own
//! axum server on its own port, ES256 keys it makes itself, an issuer
//! ending in `/`, signed userinfo, `end_session_endpoint`, and key rotation
//! on demand. It logs the user in at once (no page) and keeps what the hub
//! sent it, so tests can check the hub's requests.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use jsonwebtoken::{EncodingKey, Header};
use parking_lot::Mutex;
use serde_json::{Value, json};
use sha2::Digest as _;

pub const HUB_CLIENT_ID: &str = "hub-fcmock";
pub const HUB_CLIENT_SECRET: &str = "secret-du-hub-chez-le-fi-0123456789";

/// How the provider behaves.
#[derive(Clone)]
pub struct Behaviour {
    /// `userinfo_signing_alg_values_supported` in discovery.
    pub userinfo_algs: Vec<&'static str>,
    /// Whether userinfo is a JWT (else JSON).
    pub sign_userinfo: bool,
    /// The issuer its discovery document states (None: the right one).
    pub stated_issuer: Option<String>,
    /// Whether discovery advertises `end_session_endpoint`.
    pub end_session: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            userinfo_algs: vec!["ES256"],
            sign_userinfo: true,
            stated_issuer: None,
            end_session: true,
        }
    }
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

fn es256_key(label: &str) -> Key {
    let seed = sha2::Sha256::digest(label.as_bytes());
    let secret = p256::SecretKey::from_slice(&seed).unwrap();
    let pem = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&secret, p256::pkcs8::LineEnding::LF).unwrap();
    let sec1 = secret.public_key().to_sec1_bytes();
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let kid = format!("ext-{label}");
    Key {
        encoding: EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": b64(&sec1[1..33]), "y": b64(&sec1[33..65]),
        }),
        kid,
    }
}

struct Inner {
    issuer: String,
    behaviour: Behaviour,
    key: Mutex<Arc<Key>>,
    rotations: Mutex<u32>,
    codes: Mutex<HashMap<String, String>>,
    /// Query of every authorize, body of every token call, query of every end_session.
    pub authorizes: Mutex<Vec<HashMap<String, String>>>,
    pub token_calls: Mutex<Vec<HashMap<String, String>>>,
    pub end_sessions: Mutex<Vec<HashMap<String, String>>>,
}

/// A running test provider.
#[derive(Clone)]
pub struct ExtIdp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    inner: Arc<Inner>,
}

impl ExtIdp {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let inner = Arc::new(Inner {
            issuer: format!("{base}/"),
            behaviour,
            key: Mutex::new(Arc::new(es256_key("0"))),
            rotations: Mutex::new(0),
            codes: Mutex::default(),
            authorizes: Mutex::default(),
            token_calls: Mutex::default(),
            end_sessions: Mutex::default(),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/session/end", get(end_session))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, inner }
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base)
    }

    /// fcmock configuration registering this provider as `id`.
    pub fn config(&self, id: &str) -> String {
        format!(
            "identity_providers:\n  - id: {id}\n    name: \"FI de test (externe)\"\n    discovery_url: \"{}\"\n    hub_client_id: {HUB_CLIENT_ID}\n    hub_client_secret: {HUB_CLIENT_SECRET}\n",
            self.discovery_url()
        )
    }

    /// Replaces the signing key: the old one leaves the JWKS at once.
    pub fn rotate(&self) {
        let mut n = self.inner.rotations.lock();
        *n += 1;
        *self.inner.key.lock() = Arc::new(es256_key(&n.to_string()));
    }

    pub fn authorizes(&self) -> Vec<HashMap<String, String>> {
        self.inner.authorizes.lock().clone()
    }

    pub fn token_calls(&self) -> Vec<HashMap<String, String>> {
        self.inner.token_calls.lock().clone()
    }

    pub fn end_sessions(&self) -> Vec<HashMap<String, String>> {
        self.inner.end_sessions.lock().clone()
    }
}

type St = State<Arc<Inner>>;

async fn discovery(State(s): St) -> Json<Value> {
    let iss = &s.issuer;
    let mut doc = json!({
        "issuer": s.behaviour.stated_issuer.clone().unwrap_or_else(|| iss.clone()),
        "authorization_endpoint": format!("{iss}authorize"),
        "token_endpoint": format!("{iss}token"),
        "userinfo_endpoint": format!("{iss}userinfo"),
        "jwks_uri": format!("{iss}jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": s.behaviour.userinfo_algs,
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
    });
    if s.behaviour.end_session {
        doc["end_session_endpoint"] = json!(format!("{iss}session/end"));
    }
    Json(doc)
}

async fn jwks(State(s): St) -> Json<Value> {
    Json(json!({ "keys": [s.key.lock().jwk.clone()] }))
}

async fn authorize(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    s.authorizes.lock().push(q.clone());
    let code = format!("code-{}", fcmock::rng::Rng::from_entropy().hex(16));
    s.codes
        .lock()
        .insert(code.clone(), q.get("nonce").cloned().unwrap_or_default());
    let mut back = url::Url::parse(q.get("redirect_uri").map_or("http://invalid/", String::as_str)).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", q.get("state").map_or("", String::as_str));
    Redirect::to(back.as_str()).into_response()
}

/// The provider's own clock (the real time, not fcmock's injected one).
fn now() -> i64 {
    fcmock::clock::Clock::system().now_ms() / 1000
}

fn sign(s: &Inner, claims: &Value) -> String {
    let key = s.key.lock().clone();
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

const SUB: &str = "ext-sub-0001";

async fn token(State(s): St, Form(f): Form<HashMap<String, String>>) -> Response {
    s.token_calls.lock().push(f.clone());
    if f.get("client_secret").map(String::as_str) != Some(HUB_CLIENT_SECRET) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let Some(nonce) = f.get("code").and_then(|c| s.codes.lock().remove(c)) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let id_token = sign(
        &s,
        &json!({
            "iss": s.issuer, "aud": HUB_CLIENT_ID, "sub": SUB, "nonce": nonce,
            "iat": now(), "exp": now() + 60, "acr": "eidas1", "amr": ["pwd"],
        }),
    );
    Json(json!({
        "access_token": "ext-access-token", "token_type": "Bearer", "expires_in": 60, "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(s): St, headers: HeaderMap) -> Response {
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some("Bearer ext-access-token") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let claims = json!({
        "sub": SUB, "given_name": "Solène Marie", "family_name": "Verdier", "gender": "female",
        "birthdate": "1984-03-12", "birthplace": "69123", "birthcountry": "99100",
        "email": "solene.verdier@example.fr",
        "iss": s.issuer, "aud": HUB_CLIENT_ID,
    });
    if s.behaviour.sign_userinfo {
        ([(header::CONTENT_TYPE, "application/jwt")], sign(&s, &claims)).into_response()
    } else {
        Json(claims).into_response()
    }
}

async fn end_session(State(s): St, Query(q): Query<HashMap<String, String>>) -> Response {
    s.end_sessions.lock().push(q.clone());
    let mut back = url::Url::parse(
        q.get("post_logout_redirect_uri")
            .map_or("http://invalid/", String::as_str),
    )
    .unwrap();
    back.query_pairs_mut()
        .append_pair("state", q.get("state").map_or("", String::as_str));
    Redirect::to(back.as_str()).into_response()
}
