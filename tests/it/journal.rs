//! The journal: one flow across all parties, HAR export, verification, clock and reset.

use std::net::SocketAddr;

use axum::extract::connect_info::MockConnectInfo;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::helpers::*;

async fn get_json(app: &TestApp, path: &str) -> Value {
    plain_http()
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A full login (pages), token, two userinfo calls; returns (access token, raw id_token).
async fn login_and_use(app: &TestApp) -> (String, String) {
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = full_login(app, &rp, "sandrine-quemper", "ameli", &["identite_pivot", "email"]).await;
    let at = Rp::access_token(&r);
    assert_eq!(rp.userinfo(&at).await.0, 200);
    assert_eq!(rp.userinfo(&at).await.0, 200);
    (at, r.raw_id_token)
}

#[tokio::test]
async fn one_login_is_one_flow_across_every_party() {
    let app = TestApp::spawn().await;
    let (_, _) = login_and_use(&app).await;
    let authorize = get_json(
        &app,
        &format!("/_fcmock/api/journal?endpoint=fc.authorize&client_id={PUBLIC_CLIENT}"),
    )
    .await;
    let flow = authorize["exchanges"][0]["flow"].as_str().unwrap().to_owned();
    let all = get_json(&app, &format!("/_fcmock/api/journal?flow={flow}")).await;
    let exchanges = all["exchanges"].as_array().unwrap();
    let endpoints: Vec<&str> = exchanges.iter().map(|e| e["endpoint"].as_str().unwrap()).collect();
    for want in [
        "fc.authorize",
        "fc.interaction",
        "fc.redirect-to-idp",
        "idp.ameli.authorize",
        "idp.ameli.login",
        "fc.oidc-callback",
        "idp.ameli.token",
        "idp.ameli.userinfo",
        "fc.interaction.verify",
        "fc.interaction.consent",
        "fc.login",
        "fc.token",
        "fc.userinfo",
    ] {
        assert!(
            endpoints.contains(&want),
            "{want} missing from flow {flow}: {endpoints:?}"
        );
    }
    let parties: std::collections::HashSet<&str> = exchanges.iter().map(|e| e["from"].as_str().unwrap()).collect();
    assert_eq!(parties.len(), 3, "browser, service provider and platform: {parties:?}");
    for e in exchanges {
        assert_eq!(e["client_id"], PUBLIC_CLIENT, "{}", e["endpoint"]);
    }
    let token = exchanges.iter().find(|e| e["endpoint"] == "fc.token").unwrap();
    assert_eq!(token["persona"], "sandrine-quemper");
    let jwt = &token["jwts"][0];
    assert_eq!(jwt["location"], "response.id_token");
    assert_eq!(jwt["signature_verified"], true);
    assert_eq!(jwt["claims"]["aud"], PUBLIC_CLIENT);
    let idp_token = exchanges.iter().find(|e| e["endpoint"] == "idp.ameli.token").unwrap();
    assert_eq!(idp_token["from"], "platform");
    assert_eq!(
        idp_token["jwts"][0]["signature_verified"], true,
        "the provider's id_token verifies against its keys"
    );
    let userinfo = exchanges.iter().find(|e| e["endpoint"] == "fc.userinfo").unwrap();
    assert_eq!(userinfo["jwts"][0]["claims"]["family_name"], "QUEMPER");
    // Queries by persona and by endpoint prefix.
    let by_persona = get_json(&app, "/_fcmock/api/journal?persona=sandrine-quemper&endpoint=idp.").await;
    assert!(by_persona["count"].as_u64().unwrap() >= 4);
}

#[tokio::test]
async fn the_har_export_is_har_1_2_and_holds_no_secret() {
    let app = TestApp::spawn().await;
    let (at, _) = login_and_use(&app).await;
    let text = plain_http()
        .get(app.url("/_fcmock/api/journal/har"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let har: Value = serde_json::from_str(&text).unwrap();
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert!(log["creator"]["name"].is_string() && log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().unwrap();
    assert!(entries.len() >= 15);
    for e in entries {
        let started = e["startedDateTime"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(started).is_ok(), "{started}");
        assert!(e["time"].is_number());
        let req = &e["request"];
        for (k, kind) in [
            ("method", "s"),
            ("url", "s"),
            ("httpVersion", "s"),
            ("cookies", "a"),
            ("headers", "a"),
            ("queryString", "a"),
            ("headersSize", "n"),
            ("bodySize", "n"),
        ] {
            assert!(
                matches!(
                    (kind, &req[k]),
                    ("s", Value::String(_)) | ("a", Value::Array(_)) | ("n", Value::Number(_))
                ),
                "request.{k} in {e}"
            );
        }
        for h in req["headers"].as_array().unwrap() {
            assert!(h["name"].is_string() && h["value"].is_string());
        }
        let resp = &e["response"];
        for (k, kind) in [
            ("status", "n"),
            ("statusText", "s"),
            ("httpVersion", "s"),
            ("cookies", "a"),
            ("headers", "a"),
            ("redirectURL", "s"),
            ("headersSize", "n"),
            ("bodySize", "n"),
        ] {
            assert!(
                matches!(
                    (kind, &resp[k]),
                    ("s", Value::String(_)) | ("a", Value::Array(_)) | ("n", Value::Number(_))
                ),
                "response.{k} in {e}"
            );
        }
        assert!(resp["content"]["size"].is_number() && resp["content"]["mimeType"].is_string());
        assert!(e["cache"].is_object());
        for t in ["send", "wait", "receive"] {
            assert!(e["timings"][t].is_number());
        }
    }
    // No secret: client secrets, the hub's secret at the provider, the access token, passwords, cookies.
    let hub_secret = app.state.config().idp("ameli").unwrap().hub_client_secret.clone();
    for secret in [PUBLIC_SECRET, hub_secret.as_str(), at.as_str()] {
        assert!(!text.contains(secret), "the HAR contains a secret");
    }
    let posted_password = entries
        .iter()
        .flat_map(|e| e["request"]["postData"]["text"].as_str())
        .any(|t| t.contains("password=") && !t.contains("password=%5Bredacted%5D"));
    assert!(!posted_password, "passwords are redacted");
    assert!(!text.contains("fc_session_id=") || text.contains("fc_session_id=[redacted]"));
    assert!(
        !text
            .lines()
            .any(|l| l.contains("fc_session_id=") && !l.contains("fc_session_id=[redacted]"))
    );
}

#[tokio::test]
async fn verification_counts_calls_per_client_flow_and_token() {
    let app = TestApp::spawn().await;
    let (at, _) = login_and_use(&app).await;
    let q = format!("/_fcmock/api/journal/verify?endpoint=fc.userinfo&client_id={PUBLIC_CLIENT}&token={at}");
    let v = get_json(&app, &q).await;
    assert_eq!(v["count"], 2);
    let flow = v["calls"][0]["flow"].as_str().unwrap().to_owned();
    let fp = v["calls"][0]["token_fingerprint"].as_str().unwrap().to_owned();
    let by_fp = get_json(
        &app,
        &format!("/_fcmock/api/journal/verify?endpoint=fc.userinfo&flow={flow}&token={fp}"),
    )
    .await;
    assert_eq!(by_fp["count"], 2);
    let other = get_json(
        &app,
        "/_fcmock/api/journal/verify?endpoint=fc.userinfo&token=another-token",
    )
    .await;
    assert_eq!(other["count"], 0);
    let never = get_json(
        &app,
        &format!("/_fcmock/api/journal/verify?endpoint=fc.token.revocation&client_id={PUBLIC_CLIENT}"),
    )
    .await;
    assert_eq!(never["count"], 0);
    let bad = plain_http()
        .get(app.url("/_fcmock/api/journal/verify?client=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // Clearing empties it.
    plain_http()
        .delete(app.url("/_fcmock/api/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_json(&app, "/_fcmock/api/journal").await["count"], 0);
}

#[tokio::test]
async fn the_clock_api_expires_codes_and_reset_starts_afresh() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let http = plain_http();
    http.post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "persona": "camille-rochefort", "idp": "ameli"}))
        .send()
        .await
        .unwrap();
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let code = query(app.browser().get(&url).await.location.as_deref().unwrap())["code"].clone();
    let frozen: Value = http
        .post(app.url("/_fcmock/api/clock"))
        .json(&json!({"frozen": true, "advance_seconds": 31}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(frozen["frozen"], true);
    match rp.redeem(&code).await {
        Err(e) => assert!(e.to_string().contains("invalid_grant"), "{e}"),
        Ok(_) => panic!("an expired code was accepted"),
    }
    // The refusal says the code expired, and how old it was (the journal too).
    let token = get_json(&app, "/_fcmock/api/journal?endpoint=fc.token").await;
    let body = token["exchanges"][0]["response_body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        body.contains("authorization code is expired") && body.contains("issued 31 s ago, codes are valid 30 s"),
        "{body}"
    );
    let bad = http
        .post(app.url("/_fcmock/api/clock"))
        .json(&json!({"advance": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // Reset: clock back to real time, queues and journal empty.
    http.post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "persona": "camille-rochefort", "idp": "ameli"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        http.post(app.url("/_fcmock/api/reset")).send().await.unwrap().status(),
        204
    );
    let clock = get_json(&app, "/_fcmock/api/clock").await;
    assert_eq!(clock["frozen"], false);
    let wall = app.browser().open(&url, &app.base).await;
    assert!(
        wall.testid("idp-list").is_some(),
        "the queued login was dropped by reset"
    );
}

#[tokio::test]
async fn the_control_api_answers_loopback_only_unless_a_token_is_set() {
    let app = TestApp::spawn().await;
    let remote: SocketAddr = "192.0.2.10:40000".parse().unwrap();
    let router = fcmock::server::build_router(app.state.clone()).layer(MockConnectInfo(remote));
    let req = |auth: Option<&str>| {
        let mut b = axum::http::Request::get("/_fcmock/api/clients");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(axum::body::Body::empty()).unwrap()
    };
    let resp = router.clone().oneshot(req(None)).await.unwrap();
    assert_eq!(resp.status(), 403);
    // Pages and health stay open.
    let health = router
        .clone()
        .oneshot(
            axum::http::Request::get("/_fcmock/health")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let cfg = fcmock::config::Config::default_bundle().unwrap();
    let urls = fcmock::server::Urls {
        public: app.base.clone(),
        internal: app.base.clone(),
    };
    let with_token = fcmock::server::AppState::new(
        cfg,
        urls,
        fcmock::clock::Clock::system(),
        fcmock::rng::Rng::seeded(1),
        Some("s3cret".into()),
    )
    .unwrap();
    let router = fcmock::server::build_router(with_token).layer(MockConnectInfo(remote));
    assert_eq!(
        router
            .clone()
            .oneshot(req(Some("Bearer s3cret")))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        router.clone().oneshot(req(Some("Bearer nope"))).await.unwrap().status(),
        401
    );
    let local = fcmock::server::build_router(app.state.clone())
        .layer(MockConnectInfo("127.0.0.1:5000".parse::<SocketAddr>().unwrap()));
    assert_eq!(local.oneshot(req(None)).await.unwrap().status(), 200);
    // A caller whose address is unknown is not taken for loopback.
    let unknown = fcmock::server::build_router(app.state.clone());
    assert_eq!(unknown.oneshot(req(None)).await.unwrap().status(), 403);
}

#[tokio::test]
async fn the_journal_records_each_error_code_from_the_error_itself() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    // An error page: no redirect_uri → Y030007.
    let page = browser
        .get(&app.authorize_url(&[("client_id", PUBLIC_CLIENT), ("response_type", "code")]))
        .await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"));
    // A back-channel error: a code that does not exist.
    let token = plain_http()
        .post(format!("{}/token", app.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", REDIRECT),
            ("client_id", PUBLIC_CLIENT),
            ("client_secret", PUBLIC_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 400);
    // A redirected error: eidas2 on FranceConnect v2, after a valid client and redirect_uri.
    let mut params = valid_params(PUBLIC_CLIENT);
    params.retain(|(k, _)| *k != "acr_values");
    params.push(("acr_values", "eidas2".to_owned()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let redirected = browser.get(&app.authorize_url(&pairs)).await;
    assert_eq!(query(redirected.location.as_deref().unwrap())["error"], "invalid_acr");

    let authorize = get_json(&app, "/_fcmock/api/journal?endpoint=fc.authorize").await;
    let codes: Vec<&str> = authorize["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["error_code"].as_str())
        .collect();
    assert!(codes.contains(&"Y030007"), "{authorize}");
    assert!(codes.contains(&"invalid_acr"), "{authorize}");
    let token = get_json(&app, "/_fcmock/api/journal?endpoint=fc.token").await;
    let code = token["exchanges"][0]["error_code"].as_str().unwrap_or_default();
    assert!(code.starts_with('Y') && code.len() >= 7, "{token}");
}

#[tokio::test]
async fn ipv4_loopback_callers_pass_the_control_guard_when_bound_to_ipv6_any() {
    // With `--bind ::`, a caller on 127.0.0.1 arrives as ::ffff:127.0.0.1.
    let Ok(listener) = tokio::net::TcpListener::bind("[::]:0").await else {
        return; // no IPv6 on this machine: nothing to check
    };
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let cfg = fcmock::config::Config::default_bundle().unwrap();
    let urls = fcmock::server::Urls {
        public: base.clone(),
        internal: base.clone(),
    };
    let state = fcmock::server::AppState::new(
        cfg,
        urls,
        fcmock::clock::Clock::system(),
        fcmock::rng::Rng::seeded(1),
        None,
    )
    .unwrap();
    tokio::spawn(fcmock::server::serve(listener, state, std::future::pending()));
    let resp = plain_http()
        .get(format!("{base}/_fcmock/api/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap_or_default());
}

#[tokio::test]
async fn web_pages_cannot_drive_the_control_api() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    // A foreign Origin (a page the developer visits) is refused…
    let foreign = http
        .post(app.url("/_fcmock/api/reset"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    // …fcmock's own is not.
    let own = http
        .post(app.url("/_fcmock/api/reset"))
        .header("origin", app.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
    // Bodies a browser may send cross-site without asking are refused.
    for (ctype, body) in [
        ("text/plain", "name: x\n"),
        ("application/x-www-form-urlencoded", "a=b"),
    ] {
        let r = http
            .post(app.url("/_fcmock/api/scenarios"))
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{ctype}");
        let msg: Value = r.json().await.unwrap();
        assert!(msg["error"].as_str().unwrap().contains("application/yaml"), "{msg}");
    }
    // DNS rebinding: a Host that is neither loopback nor fcmock's URL.
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let rebound = http
        .get(app.url("/_fcmock/api/clients"))
        .header("host", format!("evil.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let local = http
        .get(app.url("/_fcmock/api/clients"))
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200);
}

#[tokio::test]
async fn codes_and_tokens_in_urls_are_fingerprinted_in_the_journal_and_the_har() {
    let app = TestApp::spawn().await;
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
    let at = Rp::access_token(&rp.redeem(&code).await.unwrap());
    // userinfo with the token in the query (FranceConnect accepts it there).
    let r = plain_http()
        .get(format!("{}/userinfo?access_token={at}", app.issuer()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for path in ["/_fcmock/api/journal", "/_fcmock/api/journal/har"] {
        let text = plain_http()
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(i) = text.find(&code) {
            panic!(
                "{path} holds the code: …{}…",
                &text[i.saturating_sub(300)..(i + 60).min(text.len())]
            );
        }
        assert!(!text.contains(&at), "{path} holds the access token");
    }
}
