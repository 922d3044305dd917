//! fcmock's own surface under `/_fcmock`: health, home page and the control API.
//!
//! The control API is the contract CI tooling builds on: list clients and
//! personas, and queue a headless login ("the next authorize of client X is
//! persona Y via identity provider Z").

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

mod api;
mod error;
mod guard;
pub mod openapi;
mod personas;
mod queue;
mod state;

pub use error::ControlError;
pub use state::ControlState;

use axum::extract::RawQuery;

use crate::config::Persona;
use crate::paths::mock as m;
use crate::platform::NextLogin;
use crate::web::{HomePage, render};

/// Routes under `/_fcmock` (and the root redirect to the home page).
pub fn router<S>(state: ControlState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ControlState: axum::extract::FromRef<S>,
{
    let api = Router::new()
        .route(m::API_CLIENTS, get(clients))
        .route(m::API_PERSONAS, get(personas).post(api::personas_add))
        .route(m::API_DATA_PROVIDERS, get(data_providers))
        .route(
            m::API_NEXT_LOGIN,
            post(next_login).get(queue::queued).delete(queue::clear),
        )
        .route(m::API_JOURNAL, get(api::journal).delete(api::journal_clear))
        .route(m::API_JOURNAL_HAR, get(api::journal_har))
        .route(m::API_JOURNAL_VERIFY, get(api::journal_verify))
        .route(m::API_CLOCK, get(api::clock_get).post(api::clock_set))
        .route(m::API_RESET, post(api::reset))
        .route(m::API_SCENARIOS, get(api::scenario_list).post(api::scenario_load))
        .route(m::API_SCENARIO, axum::routing::delete(api::scenario_remove))
        .route(m::API_KEYS_ROTATE, post(api::keys_rotate))
        .route(m::API_OPENAPI, get(openapi_json))
        .layer(axum::middleware::from_fn_with_state(state, guard::guard));
    Router::new()
        .merge(api)
        .route(m::HOME, get(home))
        .route(crate::paths::MOCK_PREFIX, get(home))
        .route("/", get(root))
        .route(m::HEALTH, get(health))
        .route(m::PERSONAS, get(personas::list))
        .route(m::PERSONA, get(personas::card))
}

/// Puts `router` behind the control API's gate: loopback callers or holders
/// of the control token, no cross-site request (the inspector's pages show
/// the journal, as the API does).
pub fn gated<S>(router: Router<S>, state: ControlState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(axum::middleware::from_fn_with_state(state, guard::guard))
}

async fn openapi_json(State(state): State<ControlState>) -> Json<Value> {
    Json(openapi::document(&state.urls.public))
}

async fn root() -> Response {
    axum::response::Redirect::to(m::HOME).into_response()
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn clients(State(state): State<ControlState>) -> Json<Value> {
    let list: Vec<Value> = state
        .config()
        .clients
        .iter()
        .map(|c| {
            json!({
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "name": c.name,
                "entity_id": c.entity_id,
                "type": c.kind,
                "identity_consent": c.identity_consent,
                "redirect_uris": c.redirect_uris,
                "post_logout_redirect_uris": c.post_logout_redirect_uris,
                "allow_localhost_redirects": c.allow_localhost_redirects,
                "signing_alg": c.signing_alg,
                "token_endpoint_auth_method": c.token_endpoint_auth_method,
                "scopes": c.scopes,
                "claims": c.claims,
                "platform": c.platform,
                "issuer": state.issuer(),
            })
        })
        .collect();
    Json(Value::Array(list))
}

fn persona_json(p: &Persona) -> Value {
    json!({
        "id": p.id,
        "identity": p.identity,
        "rnipp": p.rnipp,
        "accounts": p.accounts.iter().map(|a| json!({
            "idp": a.idp,
            "login": a.login,
            "password": a.password,
            "identity": a.identity,
            "divergent": a.divergent,
        })).collect::<Vec<_>>(),
        "tags": p.tags,
        "notes": p.notes,
    })
}

/// `GET /_fcmock/api/data-providers`: registered data providers, secrets included (sandbox).
async fn data_providers(State(state): State<ControlState>) -> Json<Value> {
    let cfg = state.config();
    Json(Value::Array(
        cfg.data_providers
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "name": d.name,
                    "client_id": d.client_id,
                    "client_secret": d.client_secret,
                    "scopes": d.scopes,
                    "signing_alg": d.signing_alg,
                    "encryption_alg": d.encryption_alg,
                    "encryption_jwk": d.public_jwk,
                    "checktoken": format!("{}/checktoken", state.issuer()),
                })
            })
            .collect(),
    ))
}

/// `GET /_fcmock/api/personas[?tag=…&tag=…&idp=…]`.
async fn personas(State(state): State<ControlState>, RawQuery(query): RawQuery) -> Json<Value> {
    let params = crate::oidc::form::parse_form(query.as_deref().unwrap_or(""));
    let tags: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.clone())
        .collect();
    let idp = params.iter().find(|(k, _)| k == "idp").map(|(_, v)| v.as_str());
    Json(Value::Array(
        state.config().select(&tags, idp).map(|p| persona_json(p)).collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NextLoginBody {
    client_id: String,
    /// A persona id, or
    persona: Option<String>,
    /// the first persona carrying all these tags (and an account at `idp` if given).
    tags: Option<Vec<String>>,
    idp: Option<String>,
}

async fn next_login(
    State(state): State<ControlState>,
    body: Result<Json<NextLoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected a JSON body {{\"client_id\", \"persona\", \"idp\"}}: {}",
                    e.body_text()
                ),
            ));
        }
    };
    let cfg = state.config();
    let Some(client) = cfg.client(&body.client_id) else {
        return Err(ControlError::new(
            StatusCode::NOT_FOUND,
            format!("unknown client_id `{}`; see GET {}", body.client_id, m::API_CLIENTS),
        ));
    };
    let persona = match (&body.persona, &body.tags) {
        (Some(id), None) => match cfg.persona(id) {
            Some(p) => p.clone(),
            None => {
                return Err(ControlError::new(
                    StatusCode::NOT_FOUND,
                    format!("unknown persona `{id}`; see GET {}", m::API_PERSONAS),
                ));
            }
        },
        (None, Some(tags)) => match cfg.select(tags, body.idp.as_deref()).next() {
            Some(p) => p.clone(),
            None => {
                return Err(ControlError::new(
                    StatusCode::NOT_FOUND,
                    format!(
                        "no persona carries all of [{}]{}; see GET {}",
                        tags.join(", "),
                        body.idp
                            .as_ref()
                            .map(|i| format!(" with an account at `{i}`"))
                            .unwrap_or_default(),
                        m::API_PERSONAS
                    ),
                ));
            }
        },
        _ => {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                "give either `persona` (an id) or `tags` (a selection), not both",
            ));
        }
    };
    let idp = match body.idp {
        Some(i) => i,
        None => match persona.accounts.first() {
            Some(a) => a.idp.clone(),
            None => {
                return Err(ControlError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("persona `{}` has no identity-provider account", persona.id),
                ));
            }
        },
    };
    if persona.account(&idp).is_none() {
        let has: Vec<&str> = persona.accounts.iter().map(|a| a.idp.as_str()).collect();
        return Err(ControlError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "persona `{}` has no account at `{idp}`; it has accounts at: {}",
                persona.id,
                has.join(", ")
            ),
        ));
    }
    if let Some(i) = cfg.idp(&idp).filter(|i| !i.platforms.contains(&client.platform)) {
        return Err(ControlError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "identity provider `{idp}` is not on {} (its platforms: {}), where client `{}` is registered",
                client.platform.label(),
                i.platforms.iter().map(|p| p.label()).collect::<Vec<_>>().join(", "),
                client.name
            ),
        ));
    }
    if !client.allows_idp(&idp) {
        return Err(ControlError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("client `{}` does not allow identity provider `{idp}`", client.name),
        ));
    }
    match state.platform.view(client.platform).hub.push_next_login(
        &client.client_id,
        NextLogin {
            persona: persona.id.clone(),
            idp: idp.clone(),
        },
    ) {
        Ok(pending) => Ok((
            StatusCode::CREATED,
            Json(json!({"client_id": client.client_id, "persona": persona.id, "idp": idp, "pending": pending})),
        )
            .into_response()),
        Err(why) => Err(ControlError::new(StatusCode::TOO_MANY_REQUESTS, why.to_owned())),
    }
}

/// Personas listed on the home page (the rest: `fcmock personas list`, the API).
const HOME_PERSONAS: usize = 200;

async fn home(State(state): State<ControlState>) -> Response {
    let cfg = state.config();
    let [issuer, issuer_plus] = state.platform.issuers();
    let page = HomePage {
        issuer,
        issuer_plus,
        idps: cfg
            .idps
            .iter()
            .map(|i| (i.id.clone(), i.name.clone(), i.acr.join(", ")))
            .collect(),
        clients: cfg
            .clients
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.client_id.clone(),
                    // A secret from the user's own configuration never reaches a page.
                    if c.secret_is_published() {
                        c.client_secret.clone()
                    } else {
                        "(votre configuration, non affiché)".to_owned()
                    },
                    format!("{:?}", c.kind).to_lowercase(),
                )
            })
            .collect(),
        persona_count: cfg.personas.len(),
        personas: cfg
            .personas
            .iter()
            .take(HOME_PERSONAS)
            .map(|p| {
                (
                    p.id.clone(),
                    format!(
                        "{} {} ({}, {})",
                        p.identity.given_name,
                        p.identity.family_name.to_uppercase(),
                        crate::web::fr::gender(&p.identity.gender),
                        crate::web::fr::date(&p.identity.birthdate)
                    ),
                    p.accounts.iter().map(|a| a.idp.as_str()).collect::<Vec<_>>().join(", "),
                    p.tags.join(", "),
                )
            })
            .collect(),
        data_providers: cfg
            .data_providers
            .iter()
            .map(|d| {
                let path = match d.id.as_str() {
                    "dgfip" => "/dp/dgfip/situations/ir/assiettes/annrev/{année}".to_owned(),
                    "cnaf" => "/dp/cnaf/quotient-familial".to_owned(),
                    other => format!("(externe : {other})"),
                };
                (d.name.clone(), d.client_id.clone(), path)
            })
            .collect(),
        deviations: cfg.deviations().iter().map(crate::web::fr::deviation).collect(),
    };
    render(StatusCode::OK, &page)
}
