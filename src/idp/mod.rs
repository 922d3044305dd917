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
use crate::oidc::form::parse_form;
use crate::oidc::store::ExpiringStore;
use crate::paths::{FC_PREFIX, IDP_PREFIX, idp as ip, platform as p};
use crate::platform::error::with_query;
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
            if let Some(rt) = IdpRuntime::new(cfg.clone(), config.platform.store_capacity, &shared.rng)? {
                idps.insert(rt);
            }
        }
        Ok(Self {
            shared,
            idps: Arc::new(idps),
        })
    }
}

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
    state: String,
    nonce: String,
    acr_requested: Option<String>,
    login_hint: Option<String>,
}

#[derive(Debug, Clone)]
struct IdpGrant {
    sub: String,
    identity: std::sync::Arc<Identity>,
    nonce: String,
    acr: String,
    auth_time: i64,
}

impl IdpRuntime {
    /// The runtime of a built-in provider (`None` for an external one).
    pub(crate) fn new(
        config: Arc<IdpConfig>,
        capacity: usize,
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
            interactions: ExpiringStore::new(cap),
            codes: ExpiringStore::new(cap),
            tokens: ExpiringStore::new(cap),
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

/// Routes of every built-in provider, under `/idp`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    IdpState: axum::extract::FromRef<S>,
{
    Router::new()
        .route(&format!("/{{id}}{}", ip::DISCOVERY), get(discovery))
        .route(&format!("/{{id}}{}", ip::JWKS), get(jwks))
        .route(&format!("/{{id}}{}", ip::AUTHORIZE), get(authorize))
        .route(&format!("/{{id}}{}", ip::LOGIN), post(login))
        .route(&format!("/{{id}}{}", ip::CANCEL), get(cancel))
        .route(&format!("/{{id}}{}", ip::TOKEN), post(token))
        .route(&format!("/{{id}}{}", ip::USERINFO), get(userinfo).post(userinfo))
        .route(&format!("/{{id}}{}", ip::END_SESSION), get(end_session))
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

fn error_page(status: StatusCode, body: &str) -> Response {
    render(
        status,
        &MessagePage {
            heading: "Erreur du fournisseur d'identité",
            body,
        },
    )
}

/// The built-in provider `id`, or the page saying there is none.
fn runtime(state: &IdpState, id: &str) -> Result<Arc<IdpRuntime>, Box<Response>> {
    state.idps.get(id).cloned().ok_or_else(|| {
        Box::new(error_page(
            StatusCode::NOT_FOUND,
            &format!("Aucun fournisseur d'identité « {id} » n'est servi ici."),
        ))
    })
}

async fn discovery(State(state): State<IdpState>, Path(id): Path<String>) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let iss = issuer(&state, &id);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}{}", ip::AUTHORIZE),
        "token_endpoint": format!("{iss}{}", ip::TOKEN),
        "userinfo_endpoint": format!("{iss}{}", ip::USERINFO),
        "jwks_uri": format!("{iss}{}", ip::JWKS),
        "end_session_endpoint": format!("{iss}{}", ip::END_SESSION),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "grant_types_supported": ["authorization_code"],
        "id_token_signing_alg_values_supported": [rt.config.signing_alg.as_str()],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email", "birth", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "preferred_username"],
        "claims_supported": ["sub", "given_name", "family_name", "preferred_username", "birthdate", "gender", "birthplace", "birthcountry", "email", "acr", "amr"],
        "acr_values_supported": rt.config.acr,
    }))
    .into_response()
}

use axum::Json;

async fn jwks(State(state): State<IdpState>, Path(id): Path<String>) -> Response {
    match runtime(&state, &id) {
        Ok(rt) => Json(rt.keys.jwks()).into_response(),
        Err(r) => *r,
    }
}

fn credential_labels(style: CredentialStyle) -> (&'static str, &'static str, &'static str) {
    match style {
        CredentialStyle::FiscalNumber => (
            "Numéro fiscal",
            "13 chiffres, en haut de votre dernière déclaration de revenus",
            "Mot de passe",
        ),
        CredentialStyle::Nir => (
            "Numéro de sécurité sociale",
            "15 chiffres, sur votre carte Vitale",
            "Mot de passe",
        ),
        CredentialStyle::Email => (
            "Adresse électronique",
            "celle de votre Identité Numérique",
            "Mot de passe",
        ),
        CredentialStyle::Pin => (
            "Adresse électronique",
            "celle de votre application France Identité",
            "Code secret (4 chiffres)",
        ),
        CredentialStyle::Login => ("Identifiant", "", "Mot de passe"),
    }
}

fn accounts_of<'a>(
    cfg: &'a crate::config::Config,
    idp: &str,
) -> impl Iterator<Item = (&'a Arc<Persona>, &'a crate::config::Account)> {
    let idp = idp.to_owned();
    cfg.personas.iter().filter_map(move |p| p.account(&idp).map(|a| (p, a)))
}

fn login_page(
    state: &IdpState,
    rt: &IdpRuntime,
    uid: &str,
    inter: &IdpInteraction,
    error: Option<&str>,
    login_value: String,
) -> Response {
    let (login_label, login_hint, password_label) = credential_labels(rt.config.credential);
    let cfg = state.config();
    let personas = accounts_of(&cfg, &rt.config.id)
        .map(|(p, a)| {
            let label = format!("{} {}", a.identity.given_name, a.identity.family_name.to_uppercase());
            (p.id.clone(), a.login.clone(), a.password.clone(), label)
        })
        .collect();
    let acr_default = inter
        .acr_requested
        .clone()
        .filter(|a| rt.config.acr.contains(a))
        .or_else(|| rt.config.acr.first().cloned())
        .unwrap_or_else(|| "eidas1".to_owned());
    let iss = issuer(state, &rt.config.id);
    render(
        if error.is_some() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        &IdpLoginPage {
            idp_name: &rt.config.name,
            action: format!("{iss}{}", ip::LOGIN),
            interaction: uid,
            login_label,
            login_hint,
            password_label,
            login_value,
            acr_choices: rt.config.acr.clone(),
            acr_default,
            personas,
            cancel_url: format!("{iss}{}?interaction={uid}", ip::CANCEL),
            error,
        },
    )
}

async fn authorize(State(state): State<IdpState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let params = parse_form(q.as_deref().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let bad = |msg: String| error_page(StatusCode::BAD_REQUEST, &msg);
    if get("client_id").as_deref() != Some(rt.config.hub_client_id.as_str()) {
        return bad(format!(
            "client_id inconnu : ce fournisseur n'a qu'un client, FranceConnect (`{}`).",
            rt.config.hub_client_id
        ));
    }
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    if !is_hub_url(&state, p::OIDC_CALLBACK, Some(&redirect_uri)) {
        return bad(format!(
            "redirect_uri non enregistrée ; attendue : {}",
            hub_urls(&state, p::OIDC_CALLBACK).join(" ou ")
        ));
    }
    if get("response_type").as_deref() != Some("code") {
        return bad("response_type doit valoir `code`.".to_owned());
    }
    if !get("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")) {
        return bad("scope doit contenir `openid`.".to_owned());
    }
    let (Some(st), Some(nonce)) = (
        get("state").filter(|s| !s.is_empty()),
        get("nonce").filter(|s| !s.is_empty()),
    ) else {
        return bad("state et nonce sont obligatoires.".to_owned());
    };
    let uid = state.rng.token();
    let inter = IdpInteraction {
        redirect_uri,
        state: st,
        nonce,
        acr_requested: get("acr_values").and_then(|a| a.split(' ').next().map(str::to_owned)),
        login_hint: get("login_hint"),
    };
    let now = state.clock.now_ms();
    if let Some(flow) = state.journal.flow_of(&inter.state, now) {
        state.journal.link(&uid, &flow, now);
    }
    rt.interactions
        .insert(uid.clone(), inter.clone(), now + INTERACTION_TTL_MS);
    login_page(
        &state,
        &rt,
        &uid,
        &inter,
        None,
        inter.login_hint.clone().unwrap_or_default(),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
struct LoginForm {
    interaction: Option<String>,
    login: Option<String>,
    password: Option<String>,
    acr: Option<String>,
}

async fn login(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    crate::web::PageForm(form): crate::web::PageForm<LoginForm>,
) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let uid = form.interaction.unwrap_or_default();
    let now = state.clock.now_ms();
    let Some(inter) = rt.interactions.get(&uid, now) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Cette page de connexion a expiré. Recommencez depuis le service.",
        );
    };
    let login = form.login.unwrap_or_default().trim().to_owned();
    let password = form.password.unwrap_or_default();
    let cfg = state.config();
    let found = accounts_of(&cfg, &id).find(|(_, a)| a.login == login);
    let Some((persona, account)) = found.filter(|(_, a)| a.password == password) else {
        return login_page(
            &state,
            &rt,
            &uid,
            &inter,
            Some("Identifiant ou mot de passe incorrect."),
            login,
        );
    };
    let acr = form
        .acr
        .filter(|a| rt.config.acr.contains(a))
        .or_else(|| inter.acr_requested.clone().filter(|a| rt.config.acr.contains(a)))
        .or_else(|| rt.config.acr.first().cloned())
        .unwrap_or_default();
    rt.interactions.remove(&uid);
    let code = state.rng.token();
    let grant = IdpGrant {
        sub: hex::encode(Sha256::digest(account.login.as_bytes())),
        identity: account.identity.clone(),
        nonce: inter.nonce.clone(),
        acr,
        auth_time: state.clock.now(),
    };
    if let Some(flow) = state.journal.flow_of(&uid, now) {
        state.journal.link(&code, &flow, now);
        state.journal.describe_flow(&flow, None, Some(&persona.id), now);
    }
    rt.codes.insert(code.clone(), grant, now + CODE_TTL_MS);
    // Scripted faults on the redirect back to FranceConnect.
    let mut state_param = Some(inter.state.clone());
    let mut code_param = Some(code);
    for action in content_faults(
        &state.scenarios,
        &state.rng,
        rc.as_deref(),
        &format!("idp.{id}.login"),
        Some(&persona.id),
    ) {
        if let Action::IdpRedirect { state: s, code_missing } = action {
            match s.as_deref() {
                Some("missing") => state_param = None,
                Some(_) => state_param = Some(format!("wrong-{}", state.rng.hex(8))),
                None => {}
            }
            if code_missing {
                code_param = None;
            }
        }
    }
    let mut params: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = &code_param {
        params.push(("code", c));
    }
    if let Some(s) = &state_param {
        params.push(("state", s));
    }
    Redirect::to(&with_query(&inter.redirect_uri, &params)).into_response()
}

/// Applies an identity provider's claim faults.
fn spoil_idp_claims(state: &IdpState, rc: Option<&RequestContext>, endpoint: &str, claims: &mut Map<String, Value>) {
    for action in content_faults(&state.scenarios, &state.rng, rc, endpoint, None) {
        if let Action::IdpClaims { drop, set } = action {
            for (k, v) in set {
                claims.insert(k, v);
            }
            for k in drop {
                claims.remove(&k);
            }
        }
    }
}

async fn cancel(State(state): State<IdpState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let uid = parse_form(q.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "interaction")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let Some(inter) = rt.interactions.take(&uid, state.clock.now_ms()) else {
        return error_page(StatusCode::BAD_REQUEST, "Cette page de connexion a expiré.");
    };
    Redirect::to(&with_query(
        &inter.redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "User canceled the authentication"),
            ("state", &inter.state),
        ],
    ))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

async fn token(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let form: HashMap<String, String> = parse_form(&body).into_iter().collect();
    let (client_id, secret) = match basic_credentials(&headers) {
        Some(c) => c,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if client_id != rt.config.hub_client_id || secret != rt.config.hub_client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant_type requested",
        );
    }
    if !is_hub_url(&state, p::OIDC_CALLBACK, form.get("redirect_uri").map(String::as_str)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "grant request is invalid (redirect_uri mismatch)",
        );
    }
    let now = state.clock.now_ms();
    let Some(grant) = form.get("code").and_then(|c| rt.codes.take(c, now)) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "grant request is invalid (authorization code not found)",
        );
    };
    let iat = state.clock.now();
    let mut claims = json!({
        "iss": issuer(&state, &id),
        "sub": grant.sub,
        "aud": rt.config.hub_client_id,
        "exp": iat + TOKEN_TTL_MS / 1000,
        "iat": iat,
        "nonce": grant.nonce,
        "acr": grant.acr,
        "amr": rt.config.amr,
        "auth_time": grant.auth_time,
    });
    if let Some(map) = claims.as_object_mut() {
        spoil_idp_claims(&state, rc.as_deref(), &format!("idp.{id}.token"), map);
    }
    let id_token = match rt.keys.signer(rt.config.signing_alg).and_then(|k| k.sign(&claims)) {
        Ok(t) => t,
        Err(e) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    };
    let access_token = state.rng.token();
    if let Some(flow) = form.get("code").and_then(|c| state.journal.flow_of(c, now)) {
        state.journal.link(&access_token, &flow, now);
    }
    rt.tokens.insert(access_token.clone(), grant, now + TOKEN_TTL_MS);
    let mut resp = Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL_MS / 1000,
        "id_token": id_token,
        "scope": "openid profile email birth",
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The identity as this provider returns it at userinfo.
fn identity_claims(sub: &str, id: &Identity) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(sub));
    out.insert("given_name".into(), json!(id.given_name));
    out.insert("family_name".into(), json!(id.family_name));
    if let Some(u) = &id.preferred_username {
        out.insert("preferred_username".into(), json!(u));
    }
    out.insert("gender".into(), json!(id.gender));
    out.insert("birthdate".into(), json!(id.birthdate));
    out.insert("birthplace".into(), json!(id.birthplace));
    out.insert("birthcountry".into(), json!(id.birthcountry));
    if let Some(e) = &id.email {
        out.insert("email".into(), json!(e));
    }
    out
}

async fn userinfo(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    headers: HeaderMap,
) -> Response {
    let rt = match runtime(&state, &id) {
        Ok(rt) => rt,
        Err(r) => return *r,
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or_default();
    match rt.tokens.get(token, state.clock.now_ms()) {
        Some(g) => {
            let mut claims = identity_claims(&g.sub, &g.identity);
            spoil_idp_claims(&state, rc.as_deref(), &format!("idp.{id}.userinfo"), &mut claims);
            Json(Value::Object(claims)).into_response()
        }
        None => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "invalid token provided"),
    }
}

async fn end_session(State(state): State<IdpState>, Path(id): Path<String>, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = runtime(&state, &id) {
        return *r;
    }
    let params = parse_form(q.as_deref().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match get("post_logout_redirect_uri") {
        Some(uri) if is_hub_url(&state, p::LOGOUT_CALLBACK, Some(&uri)) => {
            let target = match get("state") {
                Some(s) => with_query(&uri, &[("state", &s)]),
                None => uri,
            };
            Redirect::to(&target).into_response()
        }
        Some(other) => error_page(
            StatusCode::BAD_REQUEST,
            &format!("post_logout_redirect_uri non enregistrée : {other}"),
        ),
        None => render(
            StatusCode::OK,
            &MessagePage {
                heading: "Vous êtes déconnecté(e)",
                body: "Vous êtes déconnecté(e) de ce fournisseur d'identité simulé.",
            },
        ),
    }
}
