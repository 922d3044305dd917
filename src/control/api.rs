//! Control API: journal, clock, reset, and the guard that keeps it local.

use axum::Json;
use axum::extract::{Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ControlError, ControlState};
use crate::journal::{Filter, export, fingerprint};

fn parse_filter(query: Option<&str>) -> Result<Filter, ControlError> {
    serde_urlencoded::from_str::<Filter>(query.unwrap_or("")).map_err(|e| {
        ControlError::new(
            StatusCode::BAD_REQUEST,
            format!("bad journal query: {e}; parameters: client_id, persona, flow, endpoint, since, until, limit"),
        )
    })
}

/// `GET /_fcmock/api/journal`: streamed, each exchange decoded in turn.
pub(crate) async fn journal(
    State(state): State<ControlState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ControlError> {
    let f = parse_filter(q.as_deref())?;
    let found = state.journal.query(&f, state.clock.now_ms());
    let (bytes, budget) = state.journal.bytes();
    let head = format!(
        r#"{{"count":{},"capacity":{},"bytes":{bytes},"byte_budget":{budget},"exchanges":["#,
        found.len(),
        state.journal.capacity()
    );
    let journal = state.journal.clone();
    let body = export::streamed(head, found, "]}", move |f| {
        serde_json::to_vec(&journal.show(f)).unwrap_or_default()
    });
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /_fcmock/api/journal/har`: streamed like the journal.
pub(crate) async fn journal_har(
    State(state): State<ControlState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ControlError> {
    let f = parse_filter(q.as_deref())?;
    let found = state.journal.query(&f, state.clock.now_ms());
    let journal = state.journal.clone();
    let base = state.urls.public.clone();
    let body = export::streamed(export::har_head(), found, export::HAR_TAIL, move |f| {
        export::har_entry(&journal.show(f), &base)
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"fcmock.har\""),
        ],
        body,
    )
        .into_response())
}

/// `DELETE /_fcmock/api/journal`.
pub(crate) async fn journal_clear(State(state): State<ControlState>) -> Result<Response, ControlError> {
    state.journal.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyQuery {
    client_id: Option<String>,
    flow: Option<String>,
    endpoint: String,
    persona: Option<String>,
    /// The raw token, or its `sha256:` fingerprint.
    token: Option<String>,
}

/// `GET /_fcmock/api/journal/verify?endpoint=fc.userinfo&client_id=…&flow=…&token=…`:
/// how many times, when and with which token.
pub(crate) async fn journal_verify(
    State(state): State<ControlState>,
    q: Result<Query<VerifyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ControlError> {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "{}; parameters: endpoint (required), client_id, flow, persona, token",
                    e.body_text()
                ),
            ));
        }
    };
    let filter = Filter {
        client_id: q.client_id,
        persona: q.persona,
        flow: q.flow,
        endpoint: Some(q.endpoint),
        ..Filter::default()
    };
    let wanted = q
        .token
        .map(|t| if t.starts_with("sha256:") { t } else { fingerprint(&t) });
    let calls: Vec<Value> = state
        .journal
        .query(&filter, state.clock.now_ms())
        .iter()
        .filter(|f| {
            wanted
                .as_ref()
                .is_none_or(|w| f.record.token_fingerprint.as_ref() == Some(w))
        })
        .map(|f| {
            let (e, r) = (&f.record.meta, &f.record);
            json!({
                "seq": e.seq,
                "flow": e.flow,
                "client_id": f.client_id,
                "status": r.status,
                "started_ms": e.started_ms,
                "token_fingerprint": r.token_fingerprint,
                "error_code": r.error_code,
            })
        })
        .collect();
    Ok(Json(json!({"count": calls.len(), "calls": calls})).into_response())
}

fn clock_json(state: &ControlState) -> Json<Value> {
    let c = &state.clock;
    Json(json!({
        "now_ms": c.now_ms(),
        "now": c.utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "frozen": c.is_frozen(),
    }))
}

/// `GET /_fcmock/api/clock`.
pub(crate) async fn clock_get(State(state): State<ControlState>) -> Json<Value> {
    clock_json(&state)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockChange {
    /// Move time by this many seconds (may be negative).
    #[serde(default, deserialize_with = "present")]
    advance_seconds: Option<f64>,
    /// Set the time (milliseconds since the epoch)…
    #[serde(default, deserialize_with = "present")]
    now_ms: Option<i64>,
    /// …or as RFC 3339.
    #[serde(default, deserialize_with = "present")]
    now: Option<String>,
    /// Freeze (true) or let time run (false).
    #[serde(default, deserialize_with = "present")]
    frozen: Option<bool>,
}

/// A field that may be absent but, when present, must have a value: `null`
/// is refused instead of read as "absent".
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `POST /_fcmock/api/clock` with `{"advance_seconds"}`, `{"now_ms"}`, `{"now"}` and/or `{"frozen"}`.
pub(crate) async fn clock_set(
    State(state): State<ControlState>,
    body: Result<Json<ClockChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(change) = match body {
        Ok(b) => b,
        Err(e) => {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "{}; fields: advance_seconds, now_ms, now (RFC 3339), frozen",
                    e.body_text()
                ),
            ));
        }
    };
    let c = &state.clock;
    if let Some(f) = change.frozen {
        if f { c.freeze() } else { c.unfreeze() }
    }
    let target = match (change.now_ms, change.now.as_deref()) {
        (Some(ms), _) => Some(ms),
        (None, Some(text)) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(e) => {
                return Err(ControlError::new(
                    StatusCode::BAD_REQUEST,
                    format!("`now` is not an RFC 3339 time ({e}), e.g. 2026-11-22T10:00:00Z"),
                ));
            }
        },
        (None, None) => None,
    };
    if let Some(ms) = target {
        c.set_ms(ms);
    }
    if let Some(secs) = change.advance_seconds {
        if !secs.is_finite() || secs.abs() > 10.0 * 365.0 * 86_400.0 {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                "advance_seconds must be a finite number of at most ten years",
            ));
        }
        c.advance_ms((secs * 1000.0).round() as i64);
    }
    Ok(clock_json(&state).into_response())
}

/// `POST /_fcmock/api/reset`: back to a fresh start (stores, queues, journal, clock).
pub(crate) async fn reset(State(state): State<ControlState>) -> Result<Response, ControlError> {
    state.reset();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /_fcmock/api/scenarios`: a scenario as YAML or JSON in the body.
pub(crate) async fn scenario_load(State(state): State<ControlState>, body: String) -> Result<Response, ControlError> {
    match crate::scenarios::parse::parse("request body", &body, &state.config()) {
        Ok(s) => {
            let name = s.name.clone();
            let faults = s.faults.len();
            match state.load_scenario(s) {
                Ok(id) => Ok((
                    StatusCode::CREATED,
                    Json(json!({"id": id, "name": name, "faults": faults})),
                )
                    .into_response()),
                Err(e) => Err(e),
            }
        }
        Err(errors) => Err(ControlError::document(&errors)),
    }
}

/// `GET /_fcmock/api/scenarios`.
pub(crate) async fn scenario_list(State(state): State<ControlState>) -> Json<Value> {
    Json(Value::Array(
        state
            .scenarios
            .list()
            .iter()
            .map(|l| {
                let faults: Vec<Value> = l
                    .scenario
                    .faults
                    .iter()
                    .zip(l.counts())
                    .map(|(f, (seen, applied))| json!({"fault": f, "matched": seen, "applied": applied}))
                    .collect();
                json!({
                    "id": l.id,
                    "name": l.scenario.name,
                    "description": l.scenario.description,
                    "clients": l.scenario.clients,
                    "builtin": l.builtin,
                    "faults": faults,
                })
            })
            .collect(),
    ))
}

/// `DELETE /_fcmock/api/scenarios/{id}`.
pub(crate) async fn scenario_remove(
    State(state): State<ControlState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ControlError> {
    if state.scenarios.remove(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ControlError::new(
            StatusCode::NOT_FOUND,
            format!("no removable scenario `{id}`; see GET /_fcmock/api/scenarios"),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateBody {
    step: String,
}

/// `POST /_fcmock/api/keys/rotate` with `{"step": "publish" | "activate" | "retire" | "rotate"}`.
pub(crate) async fn keys_rotate(
    State(state): State<ControlState>,
    body: Result<Json<RotateBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ControlError> {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => {
            return Err(ControlError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "{}; expected {{\"step\": \"publish|activate|retire|rotate\"}}",
                    e.body_text()
                ),
            ));
        }
    };
    match crate::platform::KeyStep::parse(&b.step).and_then(|step| state.platform.rotate_keys(step)) {
        Ok(()) => {
            let (published, active) = state.platform.fc.keys.kids();
            Ok(Json(json!({"published": published, "active": active})).into_response())
        }
        Err(e) => Err(ControlError::new(StatusCode::BAD_REQUEST, e.to_string())),
    }
}

/// `POST /_fcmock/api/personas`: add personas (`personas: [ … ]`, YAML or JSON) while running.
pub(crate) async fn personas_add(State(state): State<ControlState>, body: String) -> Result<Response, ControlError> {
    match state.add_personas("request body", &body) {
        Ok(ids) => Ok((StatusCode::CREATED, Json(json!({"added": ids}))).into_response()),
        Err(errors) => Err(ControlError::document(&errors)),
    }
}
