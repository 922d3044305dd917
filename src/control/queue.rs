//! `GET` and `DELETE /_fcmock/api/next-login?client_id=…`: what is queued for
//! a client, and clearing it (queuing is `POST`, in the parent module).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{ControlError, ControlState};
use crate::paths::mock as m;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientQuery {
    client_id: String,
}

/// The client named by the query, and the platform that serves it.
fn client_of(
    state: &ControlState,
    query: Result<Query<ClientQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(String, crate::config::PlatformKind), ControlError> {
    let Query(q) = query.map_err(|e| {
        ControlError::new(
            StatusCode::BAD_REQUEST,
            format!("{}; expected ?client_id=…", e.body_text()),
        )
    })?;
    let cfg = state.config();
    let client = cfg.client(&q.client_id).ok_or_else(|| {
        ControlError::new(
            StatusCode::NOT_FOUND,
            format!("unknown client_id `{}`; see GET {}", q.client_id, m::API_CLIENTS),
        )
    })?;
    Ok((client.client_id.clone(), client.platform))
}

/// `GET`: the logins queued for the client, next first, and its `auto_login`.
pub(super) async fn queued(
    State(state): State<ControlState>,
    query: Result<Query<ClientQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ControlError> {
    let (client_id, platform) = client_of(&state, query)?;
    let queued = state.platform.view(platform).hub.queued_logins(&client_id);
    let cfg = state.config();
    let auto = cfg
        .client(&client_id)
        .and_then(|c| c.auto_login.as_ref())
        .map(|a| json!({"persona": a.persona, "idp": a.idp}));
    Ok(Json(json!({"client_id": client_id, "queued": queued, "auto_login": auto})).into_response())
}

/// `DELETE`: drops every login queued for the client.
pub(super) async fn clear(
    State(state): State<ControlState>,
    query: Result<Query<ClientQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ControlError> {
    let (client_id, platform) = client_of(&state, query)?;
    let dropped = state.platform.view(platform).hub.clear_next_logins(&client_id);
    Ok(Json(json!({"client_id": client_id, "dropped": dropped})).into_response())
}
