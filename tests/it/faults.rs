//! Scenario faults, each observed from the outside.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use fcmock::scenarios::catalogue::{IDP_FAULTS, TOKEN_FAULTS, TokenTarget};

use crate::helpers::*;

/// A headless login of `client` and the raw token response.
async fn headless_tokens(app: &TestApp, client: &str, secret: &str) -> (u16, Value) {
    queue_login(app, client, "camille-rochefort", "ameli").await;
    let rp = app.rp(client, secret).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let loc = app.browser().get(&url).await.location.unwrap();
    let code = query(&loc)["code"].clone();
    let resp = plain_http()
        .post(format!("{}/token", app.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!({"raw": text})))
}

fn part(jwt: &str, i: usize) -> Value {
    let p = jwt.split('.').nth(i).unwrap_or("");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap_or_default(),
    )
    .unwrap_or(Value::Null)
}

#[tokio::test]
async fn spoiled_id_tokens_are_rejected_by_a_real_relying_party() {
    // Every id_token fault of the catalogue, refused by the openidconnect
    // relying party *for the catalogue's reason*: a flow broken for another
    // reason fails here.
    let cases = TOKEN_FAULTS.iter().filter(|c| c.target == TokenTarget::IdToken);
    assert_eq!(cases.clone().count(), 13);
    for (client, secret) in [(PUBLIC_CLIENT, PUBLIC_SECRET), (PRIVATE_CLIENT, PRIVATE_SECRET)] {
        for case in cases.clone() {
            let app = TestApp::spawn().await;
            load_scenario(&app, &case.scenario(client)).await;
            queue_login(&app, client, "camille-rochefort", "ameli").await;
            let rp = app.rp(client, secret).await;
            let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
            let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
            let result = rp.redeem(&code).await;
            let Err(e) = result else {
                panic!("{client}: the relying party accepted an id_token with {}", case.fault);
            };
            assert_eq!(
                e.rejection(),
                Some(case.rejection),
                "{client}: {} refused for another reason: {e}",
                case.id
            );
            if case.id == "id_token.signature_bad" {
                // The journal's own check agrees (no shortcut for a token the hub altered).
                let j: Value = plain_http()
                    .get(app.url("/_fcmock/api/journal?endpoint=fc.token"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(j["exchanges"][0]["jwts"][0]["signature_verified"], false, "{j}");
            }
        }
    }
}

#[tokio::test]
async fn spoiled_userinfo_is_refused_for_the_catalogues_reason() {
    // The library's relying party checks userinfo as a careful portal does:
    // signed, by a published key, about the id_token's subject.
    for case in TOKEN_FAULTS.iter().filter(|c| c.target == TokenTarget::Userinfo) {
        let app = TestApp::spawn().await;
        let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
        load_scenario(&app, &case.scenario(PRIVATE_CLIENT)).await;
        queue_login(&app, PRIVATE_CLIENT, "camille-rochefort", "ameli").await;
        let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
        let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
        let login = rp.redeem(&code).await.unwrap();
        let info = rp.0.userinfo(&login.access_token()).await.unwrap();
        assert_eq!(info.status, 200, "{}: {}", case.id, info.body);
        let verdict = rp
            .verify_userinfo(&info, login.claims.subject().as_str(), app.clock.now())
            .await;
        let Err(e) = verdict else {
            panic!("{}: the relying party accepted a spoiled userinfo", case.id);
        };
        assert_eq!(e.rejection(), Some(case.rejection), "{}: {e}", case.id);
    }
}

#[tokio::test]
async fn other_id_token_faults_are_visible_in_the_token() {
    let app = TestApp::spawn().await;
    let (_, normal) = headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let normal_sub = part(normal["id_token"].as_str().unwrap(), 1)["sub"].clone();
    load_scenario(
        &app,
        &format!("name: t\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: fc.token\n    id_token: {{ iat_future: true, nbf_future: true, kid: absent, acr: eidas0, sub: changed }}\n"),
    )
    .await;
    let (status, body) = headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await;
    assert_eq!(status, 200);
    let t = body["id_token"].as_str().unwrap();
    let (h, c) = (part(t, 0), part(t, 1));
    assert!(h.get("kid").is_none(), "{h}");
    assert_eq!(c["acr"], "eidas0");
    assert_ne!(c["sub"], normal_sub, "sub changed between logins");
    let now = app.clock.now();
    assert!(c["iat"].as_i64().unwrap() > now + 3000 && c["nbf"].as_i64().unwrap() > now + 3000);
}

#[tokio::test]
async fn spoiled_userinfo() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let id = load_scenario(&app, &format!("name: u\nclients: [{PRIVATE_CLIENT}]\nfaults:\n  - at: fc.userinfo\n    userinfo: {{ signature: unsigned }}\n")).await;
    let (_, body) = headless_tokens(&app, PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let at = body["access_token"].as_str().unwrap();
    let r = plain_http()
        .get(format!("{}/userinfo", app.issuer()))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let plain: Value = r.json().await.unwrap();
    assert_eq!(plain["family_name"], "ROCHEFORT");
    plain_http()
        .delete(app.url(&format!("/_fcmock/api/scenarios/{id}")))
        .send()
        .await
        .unwrap();

    load_scenario(
        &app,
        &format!(
            "name: u\nclients: [{PRIVATE_CLIENT}]\nfaults:\n  - at: fc.userinfo\n    userinfo: {{ sub: changed }}\n"
        ),
    )
    .await;
    queue_login(&app, PRIVATE_CLIENT, "camille-rochefort", "ameli").await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
    let r = rp.redeem(&code).await.unwrap();
    // openidconnect's userinfo call checks the sub against the id_token's: it must refuse.
    let info = rp
        .client
        .user_info(
            openidconnect::OAuth2TokenResponse::access_token(&r.tokens).clone(),
            Some(r.claims.subject().clone()),
        )
        .unwrap()
        .request_async::<openidconnect::EmptyAdditionalClaims, _, openidconnect::core::CoreGenderClaim>(&rp.http)
        .await;
    assert!(info.is_err(), "userinfo sub ≠ id_token sub must be refused");
}

#[tokio::test]
async fn identity_provider_faults_surface_as_franceconnect_pages() {
    // Every identity-provider fault of the catalogue gives its page.
    for case in IDP_FAULTS {
        let app = TestApp::spawn().await;
        load_scenario(&app, &case.scenario(PUBLIC_CLIENT, "ameli")).await;
        let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
        let (url, _, _) = rp.authorize_url(&["profile"], &[]);
        let (login, password) = account(&app, "camille-rochefort", "ameli");
        let page = interactive_login(&app, &app.browser(), &url, "ameli", &login, &password).await;
        assert_eq!(
            page.error_code().as_deref(),
            Some(case.code),
            "{}: {}",
            case.id,
            page.body
        );
    }
    // A missing state at the callback.
    let app = TestApp::spawn().await;
    load_scenario(&app, &format!("name: fi\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: idp.ameli.login\n    redirect: {{ state: missing }}\n")).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    let page = interactive_login(&app, &app.browser(), &url, "ameli", &login, &password).await;
    assert_eq!(page.error_code().as_deref(), Some("Y020021"));
}

#[tokio::test]
async fn transport_faults_seen_by_a_client_with_timeouts() {
    let app = TestApp::spawn().await;
    let jwks = format!("{}/jwks", app.issuer());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let scenario = |fault: &str| format!("name: t\nfaults:\n  - at: fc.jwks\n{fault}    times: 1\n");

    load_scenario(&app, &scenario("    status: 503\n    body: indisponible\n")).await;
    let r = client.get(&jwks).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (503, "indisponible".to_owned())
    );
    assert_eq!(
        client.get(&jwks).send().await.unwrap().status(),
        200,
        "times: 1, then back to normal"
    );

    load_scenario(&app, &scenario("    garbage: true\n")).await;
    assert!(client.get(&jwks).send().await.unwrap().json::<Value>().await.is_err());

    for fault in ["    empty: true\n", "    reset: true\n"] {
        load_scenario(&app, &scenario(fault)).await;
        let failed = match client.get(&jwks).send().await {
            Err(_) => true,
            Ok(r) => r.bytes().await.is_err(),
        };
        assert!(failed, "{fault}: the client must see a broken connection");
    }

    load_scenario(&app, &scenario("    hang_ms: 5000\n")).await;
    let err = client.get(&jwks).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");

    load_scenario(&app, &scenario("    delay: { fixed_ms: 300 }\n")).await;
    let start = Instant::now();
    assert_eq!(client.get(&jwks).send().await.unwrap().status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(280));

    load_scenario(&app, &scenario("    dribble: { chunks: 4, over_ms: 400 }\n")).await;
    let start = Instant::now();
    let body: Value = client.get(&jwks).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["keys"].as_array().unwrap().len(), 2, "the whole answer arrives");
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn a_fault_bound_to_one_client_never_touches_another_in_parallel() {
    let app = TestApp::spawn().await;
    load_scenario(
        &app,
        &format!("name: iso\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: fc.token\n    status: 503\n"),
    )
    .await;
    let a = async {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await.0);
        }
        statuses
    };
    let b = async {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(headless_tokens(&app, FAMILY_CLIENT, FAMILY_SECRET).await.0);
        }
        statuses
    };
    let (sa, sb) = tokio::join!(a, b);
    assert!(sa.iter().all(|s| *s == 503), "{sa:?}");
    assert!(sb.iter().all(|s| *s == 200), "{sb:?}");
}

#[tokio::test]
async fn token_endpoint_503_twice_then_success() {
    let app = TestApp::spawn().await;
    load_scenario(
        &app,
        &format!("name: seq\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: fc.token\n    status: 503\n    times: 2\n"),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await.0);
    }
    assert_eq!(statuses, vec![503, 503, 200]);
    let list: Value = plain_http()
        .get(app.url("/_fcmock/api/scenarios"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seq = list.as_array().unwrap().iter().find(|s| s["name"] == "seq").unwrap();
    assert_eq!(seq["faults"][0]["applied"], 2);
    assert_eq!(seq["builtin"], false);
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let v: Value = plain_http()
        .get(format!("{}/jwks", app.issuer()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn rotate(app: &TestApp, step: &str) -> u16 {
    plain_http()
        .post(app.url("/_fcmock/api/keys/rotate"))
        .json(&json!({"step": step}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn two_step_key_rotation_shows_in_the_jwks_and_new_tokens() {
    let app = TestApp::spawn().await;
    let before = jwks_kids(&app).await;
    let (_, t0) = headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let kid0 = part(t0["id_token"].as_str().unwrap(), 0)["kid"].clone();
    assert_eq!(rotate(&app, "publish").await, 200);
    let published = jwks_kids(&app).await;
    assert_eq!(published.len(), before.len() + 2);
    let (_, t1) = headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await;
    assert_eq!(
        part(t1["id_token"].as_str().unwrap(), 0)["kid"],
        kid0,
        "published keys do not sign yet"
    );
    assert_eq!(rotate(&app, "activate").await, 200);
    let (_, t2) = headless_tokens(&app, PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let kid2 = part(t2["id_token"].as_str().unwrap(), 0)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!before.contains(&kid2) && published.contains(&kid2));
    // A relying party that fetches the JWKS again verifies tokens signed with the new key.
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = full_login(&app, &rp, "camille-rochefort", "ameli", &["profile"]).await;
    assert_eq!(part(&r.raw_id_token, 0)["kid"], kid2.as_str());
    assert_eq!(rotate(&app, "retire").await, 200);
    let after = jwks_kids(&app).await;
    assert!(after.contains(&kid2) && !after.iter().any(|k| before.contains(k)));
    assert_eq!(rotate(&app, "sideways").await, 400);
}

#[tokio::test]
async fn scenario_files_are_validated_with_lines() {
    let app = TestApp::spawn().await;
    let resp = plain_http()
        .post(app.url("/_fcmock/api/scenarios"))
        .header("content-type", "application/yaml")
        .body("name: bad\nfaults:\n  - at: fc.tokn\n    status: 503\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["line"], 3);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("fc.token"));

    let dir = std::env::temp_dir().join(format!("fcmock-scen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("panne.yaml");
    std::fs::write(
        &file,
        "name: panne\nfaults:\n  - at: idp.ameli.token\n    status: 503\n    probability: 2\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fcmock"))
        .args(["scenario", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("panne.yaml:5: faults[0].probability: must be in ]0, 1]"));
    std::fs::remove_dir_all(dir).ok();
}

/// The page a magic persona's tag promises (`attendu-y020026` → `Y020026`).

#[tokio::test]
async fn magic_personas_trigger_their_pages_from_the_login_page() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let magic = magic_personas(&app, None);
    assert!(magic.len() >= 10, "{} magic personas", magic.len());
    for p in magic {
        let code = promised_code(&p.tags).unwrap();
        let browser = app.browser();
        let (url, _, _) = rp.authorize_url(&["profile"], &[]);
        let wall = browser.open(&url, &app.base).await;
        let idp = browser.submit(&wall, "idp-ameli", &[], &app.base).await;
        // Testers click the persona's button on the provider's page (found
        // with the page's search when the accounts run to several pages).
        let button = format!("persona-{}", p.id);
        let idp = if idp.testid(&button).is_some() {
            idp
        } else {
            browser
                .submit(&idp, "idp-persona-search", &[("q", p.id.as_str())], &app.base)
                .await
        };
        let page = browser.submit(&idp, &button, &[], &app.base).await;
        assert_eq!(page.error_code(), Some(code.clone()), "{}: {}", p.id, page.body);
    }
    // Other personas are not affected by the magic personas' faults.
    let ok = full_login(&app, &rp, "camille-rochefort", "ameli", &["profile"]).await;
    assert!(ok.claims.subject().as_str().ends_with("v1"));
}

#[test]
fn every_example_scenario_is_valid() {
    let cfg = fcmock::config::Config::default_bundle().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        fcmock::scenarios::parse::parse(&path.display().to_string(), &text, &cfg).unwrap_or_else(|e| panic!("{e}"));
        n += 1;
    }
    assert!(n >= 8);
}

#[tokio::test]
async fn the_openapi_document_describes_every_control_route() {
    let app = TestApp::spawn().await;
    let doc: Value = plain_http()
        .get(app.url("/_fcmock/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/_fcmock/api/clients",
        "/_fcmock/api/personas",
        "/_fcmock/api/next-login",
        "/_fcmock/api/journal",
        "/_fcmock/api/journal/har",
        "/_fcmock/api/journal/verify",
        "/_fcmock/api/clock",
        "/_fcmock/api/reset",
        "/_fcmock/api/scenarios",
        "/_fcmock/api/scenarios/{id}",
        "/_fcmock/api/keys/rotate",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    // Every documented GET answers (no undocumented 404s).
    for (path, item) in paths {
        if item.get("get").is_some() && !path.contains('{') && !path.ends_with("/verify") {
            // Required query parameters get a real value.
            let needs_client = item["get"]["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "client_id" && p["required"] == true));
            let url = if needs_client {
                app.url(&format!("{path}?client_id={PUBLIC_CLIENT}"))
            } else {
                app.url(path)
            };
            let status = plain_http().get(url).send().await.unwrap().status();
            assert!(status.is_success(), "GET {path}: {status}");
        }
    }
}

#[tokio::test]
async fn every_documented_operation_answers_with_a_documented_status() {
    // Each operation is called once with a valid request and once with a bad
    // one; whatever it answers must be declared in the document.
    let app = TestApp::spawn().await;
    let doc = fetch_json(&app.url("/_fcmock/api/openapi.json")).await;
    let http = plain_http();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path}: no operationId");
            let declared: Vec<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.parse().unwrap())
                .collect();
            let concrete = path.replace("{id}", "s999");
            let bodies: &[&str] = if method == "get" || method == "delete" {
                &[""]
            } else {
                &["{}", "not: [valid"]
            };
            for body in bodies {
                let url = app.url(&concrete);
                let req = match method.as_str() {
                    "get" => http.get(&url),
                    "delete" => http.delete(&url),
                    _ => http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.to_string()),
                };
                let status = req.send().await.unwrap().status().as_u16();
                assert!(
                    declared.contains(&status),
                    "{method} {path} ({body:?}) answered {status}, declared {declared:?}"
                );
                seen += 1;
            }
            // Bad query parameters where the operation takes some.
            if method == "get" && op.get("parameters").is_some() {
                let status = http
                    .get(app.url(&format!("{concrete}?limit=beaucoup&since=hier")))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert!(
                    declared.contains(&status),
                    "{method} {path} (bad query) answered {status}, declared {declared:?}"
                );
            }
        }
    }
    assert!(seen >= 20, "{seen} calls");
    // null is not "absent".
    let null = http
        .post(app.url("/_fcmock/api/clock"))
        .json(&json!({"now_ms": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(null.status(), 400);
    // Every operation may also be refused by the gate.
    let refused = http
        .get(app.url("/_fcmock/api/clients"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!(
        doc["paths"]["/_fcmock/api/clients"]["get"]["responses"]
            .get(refused.to_string())
            .is_some()
    );
}
