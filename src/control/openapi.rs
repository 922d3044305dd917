//! The control API's OpenAPI 3.1 document, served at `/_fcmock/api/openapi.json`.
//!
//! Built from the same path constants the router uses, so it cannot name a
//! path that is not routed (a test checks the converse). Every status an
//! operation answers is declared, the gate's included (a test calls each
//! operation with good and bad requests against the running server).

use serde_json::{Map, Value, json};

use crate::paths::mock as m;

/// What every error body looks like.
fn error_ref() -> Value {
    json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}})
}

/// One operation: its id, summary, and (status, description, JSON schema
/// or `None` for an error) responses. The gate's 401/403 are added to every
/// API operation, 415 to those with a body.
fn op(id: &str, summary: &str, responses: &[(u16, &str, Option<Value>)], guarded: bool, body: Option<Value>) -> Value {
    let mut r = Map::new();
    for (status, description, schema) in responses {
        let content = match schema {
            Some(s) => json!({"application/json": {"schema": s}}),
            None => error_ref(),
        };
        let entry = if *status == 204 {
            json!({"description": description})
        } else {
            json!({"description": description, "content": content})
        };
        r.insert(status.to_string(), entry);
    }
    if guarded {
        r.insert(
            "401".into(),
            json!({"description": "a token is configured and the caller is not loopback: send Authorization: Bearer TOKEN", "content": error_ref()}),
        );
        r.insert(
            "403".into(),
            json!({"description": "not loopback and no token configured, or a foreign Origin, or an unknown Host", "content": error_ref()}),
        );
    }
    let mut o = json!({"operationId": id, "summary": summary, "responses": r});
    if let Some(b) = body {
        r_insert(
            &mut o,
            "415",
            "the body is neither application/json nor application/yaml",
        );
        set(&mut o, "requestBody", b);
    }
    o
}

/// Sets `key` of an object (no-op on anything else).
fn set(o: &mut Value, key: &str, v: Value) {
    if let Some(m) = o.as_object_mut() {
        m.insert(key.to_owned(), v);
    }
}

fn r_insert(o: &mut Value, status: &str, description: &str) {
    if let Some(r) = o["responses"].as_object_mut() {
        r.insert(
            status.into(),
            json!({"description": description, "content": error_ref()}),
        );
    }
}

fn query(name: &str, description: &str, schema: &Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn object() -> Value {
    json!({"type": "object"})
}

fn array() -> Value {
    json!({"type": "array", "items": {"type": "object"}})
}

fn yaml_or_json() -> Value {
    json!({"required": true, "content": {"application/yaml": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}})
}

/// The document.
pub fn document(base: &str) -> Value {
    let ms = json!({"type": "integer", "format": "int64"});
    let journal_filters = json!([
        query("client_id", "only this client", &string()),
        query("persona", "only this persona", &string()),
        query("flow", "only this flow (one login)", &string()),
        query(
            "endpoint",
            "fc.token, idp.ameli.userinfo… or a prefix ending in `.` (idp.ameli.)",
            &string()
        ),
        query("since", "milliseconds since the epoch, inclusive", &ms),
        query("until", "milliseconds since the epoch, inclusive", &ms),
        query(
            "limit",
            "the newest N exchanges",
            &json!({"type": "integer", "minimum": 0})
        ),
    ]);
    let bad_query = (400, "a filter that does not parse", None);
    let mut paths = Map::new();
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };
    add(
        m::HEALTH,
        json!({"get": op("health", "Liveness", &[(200, "{\"status\":\"ok\"}", Some(object()))], false, None)}),
    );
    add(
        m::API_CLIENTS,
        json!({"get": op("listClients", "Registered service providers (client_id, secret, redirect rules, signing alg)", &[(200, "array of clients", Some(array()))], true, None)}),
    );
    let mut personas_get = op(
        "listPersonas",
        "Personas, optionally selected by tags and identity provider",
        &[(200, "array of personas", Some(array()))],
        true,
        None,
    );
    set(
        &mut personas_get,
        "parameters",
        json!([
            query("tag", "repeatable: all must match", &string()),
            query("idp", "with an account at this identity provider", &string())
        ]),
    );
    add(
        m::API_PERSONAS,
        json!({"get": personas_get,
        "post": op("addPersonas", "Add personas while running (`personas: [ … ]` as in configuration files)",
            &[(201, "{added: [ids]}", Some(object())), (400, "{error, errors: [{line, field, message}]}", None)], true, Some(yaml_or_json()))}),
    );
    let client_param = json!([{"name": "client_id", "in": "query", "required": true, "schema": string(), "description": "the client whose queue this is"}]);
    let mut queued_get = op(
        "listQueuedLogins",
        "The logins queued for a client, next first, and its auto_login",
        &[
            (200, "{client_id, queued: [{persona, idp}], auto_login}", Some(object())),
            (400, "no client_id", None),
            (404, "unknown client", None),
        ],
        true,
        None,
    );
    set(&mut queued_get, "parameters", client_param.clone());
    let mut queued_delete = op(
        "clearQueuedLogins",
        "Drop every login queued for a client",
        &[
            (200, "{client_id, dropped}", Some(object())),
            (400, "no client_id", None),
            (404, "unknown client", None),
        ],
        true,
        None,
    );
    set(&mut queued_delete, "parameters", client_param);
    add(
        m::API_NEXT_LOGIN,
        json!({"get": queued_get, "delete": queued_delete, "post": op("queueNextLogin", "Queue a headless login: the next authorize of client_id completes as this persona without pages (a refused authorize of that client consumes it)",
            &[(201, "queued: {client_id, persona, idp, pending}", Some(object())), (400, "not the JSON body described", None),
              (404, "unknown client or persona", None), (422, "no account at that identity provider, or the client refuses it", None),
              (429, "too many logins queued", None)], true,
            Some(json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["client_id"], "properties": {
                "client_id": {"type": "string"},
                "persona": {"type": "string", "description": "a persona id, or"},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "the first persona with all these tags"},
                "idp": {"type": "string", "description": "identity provider (default: the persona's first account)"}}}}}})))}),
    );
    let mut journal_get = op(
        "getJournal",
        "Recorded exchanges, correlated by flow, secrets redacted",
        &[
            (
                200,
                "{count, capacity, bytes, byte_budget, exchanges}; each exchange lists in `truncated` the fields cut by the per-exchange limits",
                Some(object()),
            ),
            bad_query.clone(),
        ],
        true,
        None,
    );
    set(&mut journal_get, "parameters", journal_filters.clone());
    add(
        m::API_JOURNAL,
        json!({"get": journal_get,
        "delete": op("clearJournal", "Forget every exchange", &[(204, "cleared", None)], true, None)}),
    );
    let mut har = op(
        "getJournalHar",
        "The same exchanges as HAR 1.2 (browser developer tools)",
        &[(200, "HAR document", Some(object())), bad_query],
        true,
        None,
    );
    set(&mut har, "parameters", journal_filters);
    add(m::API_JOURNAL_HAR, json!({"get": har}));
    let mut verify = op(
        "verifyJournal",
        "How many times an endpoint was called (by a client, in a flow, with a token)",
        &[
            (200, "{count, calls}", Some(object())),
            (400, "endpoint missing, or a filter that does not parse", None),
        ],
        true,
        None,
    );
    set(
        &mut verify,
        "parameters",
        json!([
        {"name": "endpoint", "in": "query", "required": true, "schema": {"type": "string"}},
        query("client_id", "", &string()), query("flow", "", &string()), query("persona", "", &string()),
        query("token", "the raw token or its sha256: fingerprint", &string())]),
    );
    add(m::API_JOURNAL_VERIFY, json!({"get": verify}));
    add(
        m::API_CLOCK,
        json!({
        "get": op("getClock", "The platform's clock", &[(200, "{now_ms, now, frozen}", Some(object()))], true, None),
        "post": op("setClock", "Move, set, freeze or unfreeze the clock (null values are refused)",
            &[(200, "the clock after the change", Some(object())), (400, "not the JSON body described", None)], true,
            Some(json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {
                "advance_seconds": {"type": "number"}, "now_ms": {"type": "integer", "format": "int64"}, "now": {"type": "string", "format": "date-time"}, "frozen": {"type": "boolean"}}}}}})))}),
    );
    add(
        m::API_RESET,
        json!({"post": op("reset", "Forget sessions, codes, tokens, queued logins, run-time scenarios, the journal and the demo portal's visits and links; clock back to real time", &[(204, "reset", None)], true, Some(json!({"required": false, "content": {"application/json": {}}})))}),
    );
    add(
        m::API_SCENARIOS,
        json!({
        "get": op("listScenarios", "Scenarios in force, with how often each fault matched and applied", &[(200, "array", Some(array()))], true, None),
        "post": op("loadScenario", "Put a scenario in force (YAML or JSON body, as in scenario files)",
            &[(201, "{id, name, faults}", Some(object())), (400, "{error, errors: [{line, field, message}]}", None), (409, "a key step cannot be done, or too many scenarios", None)],
            true, Some(yaml_or_json()))}),
    );
    let mut remove = op(
        "removeScenario",
        "Remove a scenario",
        &[(204, "removed", None), (404, "no such scenario", None)],
        true,
        None,
    );
    set(
        &mut remove,
        "parameters",
        json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]),
    );
    add(m::API_SCENARIO, json!({"delete": remove}));
    add(
        m::API_KEYS_ROTATE,
        json!({"post": op("rotateKeys", "One step of a two-step key rotation",
            &[(200, "{published, active} kids", Some(object())), (400, "not the JSON body described, or a step that cannot be done", None)], true,
            Some(json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["step"], "properties": {
                "step": {"type": "string", "enum": ["publish", "activate", "retire", "rotate"]}}}}}})))}),
    );
    add(
        m::API_DATA_PROVIDERS,
        json!({"get": op("listDataProviders", "Registered data providers (client_id, secret, scopes, algorithms, encryption key)", &[(200, "array of data providers", Some(array()))], true, None)}),
    );
    add(
        m::API_OPENAPI,
        json!({"get": op("getOpenApi", "This document", &[(200, "OpenAPI 3.1", Some(object()))], true, None)}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fcmock control API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control fcmock (a FranceConnect sandbox) from tests. Loopback callers only, unless fcmock runs with --control-token (then send Authorization: Bearer TOKEN). Requests from a foreign Origin or with an unknown Host are refused; bodies are JSON or YAML.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "line": {"type": "integer"}, "field": {"type": "string"}, "message": {"type": "string"}}}}}}}},
    })
}
