//! The control API's OpenAPI 3.1 document, served at `/_fcmock/api/openapi.json`.
//!
//! Built from the same path constants the router uses, so it cannot name a
//! path that is not routed (a test checks the converse).

use serde_json::{Value, json};

use crate::paths::mock as m;

fn ok(description: &str) -> Value {
    json!({"200": {"description": description, "content": {"application/json": {}}}})
}

fn query(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description})
}

/// The document.
pub fn document(base: &str) -> Value {
    let journal_filters = json!([
        query("client_id", "only this client"),
        query("persona", "only this persona"),
        query("flow", "only this flow (one login)"),
        query(
            "endpoint",
            "fc.token, idp.ameli.userinfo… or a prefix ending in `.` (idp.ameli.)"
        ),
        query("since", "milliseconds since the epoch, inclusive"),
        query("until", "milliseconds since the epoch, inclusive"),
        query("limit", "the newest N exchanges"),
    ]);
    let mut paths = serde_json::Map::new();
    let mut add = |path: &str, item: Value| {
        paths.insert(path.to_owned(), item);
    };
    add(
        m::HEALTH,
        json!({"get": {"summary": "Liveness", "responses": ok("{\"status\":\"ok\"}")}}),
    );
    add(
        m::API_CLIENTS,
        json!({"get": {"summary": "Registered service providers (client_id, secret, redirect rules, signing alg)", "responses": ok("array of clients")}}),
    );
    add(
        m::API_PERSONAS,
        json!({"get": {
        "summary": "Personas, optionally selected by tags and identity provider",
        "parameters": [query("tag", "repeatable: all must match"), query("idp", "with an account at this identity provider")],
        "responses": ok("array of personas")},
        "post": {"summary": "Add personas while running (`personas: [ … ]` as in configuration files; same id replaces)",
            "requestBody": {"required": true, "content": {"application/yaml": {}, "application/json": {}}},
            "responses": {"201": {"description": "{added: [ids]}"}, "400": {"description": "{error, errors: [{line, field, message}]}"}}}}),
    );
    add(
        m::API_NEXT_LOGIN,
        json!({"post": {
        "summary": "Queue a headless login: the next authorize of client_id completes as this persona without pages",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["client_id"], "properties": {
            "client_id": {"type": "string"},
            "persona": {"type": "string", "description": "a persona id, or"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "the first persona with all these tags"},
            "idp": {"type": "string", "description": "identity provider (default: the persona's first account)"}}}}}},
        "responses": {"201": {"description": "queued"}, "404": {"description": "unknown client or persona"}, "422": {"description": "no account at that identity provider"}}}}),
    );
    add(
        m::API_JOURNAL,
        json!({
        "get": {"summary": "Recorded exchanges, correlated by flow, secrets redacted", "parameters": journal_filters, "responses": ok("{count, capacity, exchanges}")},
        "delete": {"summary": "Forget every exchange", "responses": {"204": {"description": "cleared"}}}}),
    );
    add(
        m::API_JOURNAL_HAR,
        json!({"get": {"summary": "The same exchanges as HAR 1.2 (browser developer tools)", "parameters": journal_filters, "responses": ok("HAR document")}}),
    );
    add(
        m::API_JOURNAL_VERIFY,
        json!({"get": {
        "summary": "How many times an endpoint was called (by a client, in a flow, with a token)",
        "parameters": [
            {"name": "endpoint", "in": "query", "required": true, "schema": {"type": "string"}},
            query("client_id", ""), query("flow", ""), query("persona", ""),
            query("token", "the raw token or its sha256: fingerprint")],
        "responses": ok("{count, calls}")}}),
    );
    add(
        m::API_CLOCK,
        json!({
        "get": {"summary": "The platform's clock", "responses": ok("{now_ms, now, frozen}")},
        "post": {"summary": "Move, set, freeze or unfreeze the clock", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "advance_seconds": {"type": "number"}, "now_ms": {"type": "integer"}, "now": {"type": "string", "format": "date-time"}, "frozen": {"type": "boolean"}}}}}},
            "responses": ok("the clock after the change")}}),
    );
    add(
        m::API_RESET,
        json!({"post": {"summary": "Forget sessions, codes, tokens, queued logins, run-time scenarios and the journal; clock back to real time", "responses": {"204": {"description": "reset"}}}}),
    );
    add(
        m::API_SCENARIOS,
        json!({
        "get": {"summary": "Scenarios in force, with how often each fault matched and applied", "responses": ok("array")},
        "post": {"summary": "Put a scenario in force (YAML or JSON body, as in scenario files)", "requestBody": {"required": true, "content": {"application/yaml": {}, "application/json": {}}},
            "responses": {"201": {"description": "{id, name, faults}"}, "400": {"description": "{error, errors: [{line, field, message}]}"}}}}),
    );
    add(
        m::API_SCENARIO,
        json!({"delete": {"summary": "Remove a scenario", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "removed"}, "404": {"description": "no such scenario"}}}}),
    );
    add(
        m::API_KEYS_ROTATE,
        json!({"post": {"summary": "One step of a two-step key rotation", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["step"], "properties": {
        "step": {"type": "string", "enum": ["publish", "activate", "retire", "rotate"]}}}}}},
        "responses": ok("{published, active} kids")}}),
    );
    add(
        m::API_DATA_PROVIDERS,
        json!({"get": {"summary": "Registered data providers (client_id, secret, scopes, algorithms, encryption key)", "responses": ok("array of data providers")}}),
    );
    add(
        m::API_OPENAPI,
        json!({"get": {"summary": "This document", "responses": ok("OpenAPI 3.1")}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fcmock control API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control fcmock (a FranceConnect sandbox) from tests. Loopback callers only, unless fcmock runs with --control-token (then send Authorization: Bearer TOKEN).",
        },
        "servers": [{"url": base}],
        "paths": paths,
    })
}
