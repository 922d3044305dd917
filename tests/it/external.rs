//! External identity providers behind the hub: a provider that is not
//! fcmock's code ([`ExtIdp`]) signing with ES256, with an issuer ending in
//! `/`, rotating its keys and offering end_session, driven through
//! FranceConnect's real pages.

use serde_json::Value;

use crate::ext_idp::{Behaviour, ExtIdp, HUB_CLIENT_ID, HUB_CLIENT_SECRET};
use crate::helpers::*;
use crate::journey::urlencode;

const ID: &str = "fi-test";

async fn with_provider(behaviour: Behaviour) -> (TestApp, ExtIdp) {
    let idp = ExtIdp::start(behaviour).await;
    let app = TestApp::spawn_with(&[&idp.config(ID)]).await;
    (app, idp)
}

/// Wall → the external provider (which logs in at once) → consent; returns
/// the browser and the page that follows (the redirect to the service
/// provider, or an error page).
async fn login(app: &TestApp, idp: &ExtIdp, url: &str) -> (Browser, Page) {
    let browser = app.browser();
    let wall = browser.open(url, &app.base).await;
    let to_idp = browser.submit(&wall, &format!("idp-{ID}"), &[], &app.base).await;
    let at_idp = to_idp.location.clone().expect("a redirect to the provider");
    assert!(at_idp.starts_with(&idp.base), "{at_idp}");
    let back = browser.get(&at_idp).await;
    let page = browser.follow(back, &app.base).await;
    if page.status == 200 && page.testid("consent-continue").is_some() {
        let next = browser.submit(&page, "consent-continue", &[], &app.base).await;
        return (browser, next);
    }
    (browser, page)
}

async fn logged_in(app: &TestApp, idp: &ExtIdp) -> (Browser, LoginResult) {
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot", "email"], &[]);
    let (browser, back) = login(app, idp, &url).await;
    let location = back
        .location
        .clone()
        .unwrap_or_else(|| panic!("no redirect to the service provider: {} {}", back.status, back.body));
    let result = rp.redeem(&query(&location)["code"]).await.unwrap();
    (browser, result)
}

#[tokio::test]
async fn es256_signed_userinfo_from_an_issuer_ending_in_a_slash_gives_the_identity() {
    let (app, idp) = with_provider(Behaviour::default()).await;
    let (_, r) = logged_in(&app, &idp).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(info["given_name"], "Solène Marie");
    assert_eq!(info["birthplace"], "69123");
    // What the hub sent the provider, as FranceConnect does.
    let auth = &idp.authorizes()[0];
    assert_eq!(auth["prompt"], "login");
    assert_eq!(auth["acr_values"], "eidas1");
    assert_eq!(auth["client_id"], HUB_CLIENT_ID);
    assert!(auth["scope"].split(' ').any(|s| s == "birth"), "{}", auth["scope"]);
    assert_eq!(auth["redirect_uri"], app.url("/api/v2/oidc-callback"));
    let token = &idp.token_calls()[0];
    assert_eq!(token["client_secret"], HUB_CLIENT_SECRET, "client_secret_post");
}

#[tokio::test]
async fn userinfo_signed_with_an_algorithm_the_discovery_does_not_declare_is_refused_with_the_reason() {
    let behaviour = Behaviour {
        userinfo_algs: vec!["RS256"],
        ..Behaviour::default()
    };
    let (app, idp) = with_provider(behaviour).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let (_, page) = login(&app, &idp, &url).await;
    assert_eq!(page.error_code().as_deref(), Some("Y020027"), "{}", page.body);
    assert!(
        page.body.contains("signé en ES256") && page.body.contains("RS256"),
        "the page names the algorithm used and the ones accepted: {}",
        page.body
    );
}

#[tokio::test]
async fn after_the_provider_rotates_its_keys_the_next_login_succeeds() {
    let (app, idp) = with_provider(Behaviour::default()).await;
    logged_in(&app, &idp).await;
    idp.rotate();
    // The hub's cached JWKS lacks the new key for the id_token and userinfo alike.
    let (_, r) = logged_in(&app, &idp).await;
    assert_eq!(r.claims.subject().len(), 66);
}

#[tokio::test]
async fn logout_goes_through_the_external_providers_end_session() {
    let (app, idp) = with_provider(Behaviour::default()).await;
    let (browser, r) = logged_in(&app, &idp).await;
    let logout = app.url(&format!(
        "/api/v2/session/end?id_token_hint={}&state=logout-state-123&post_logout_redirect_uri={}",
        r.raw_id_token,
        urlencode("http://localhost:3000/logout")
    ));
    let form = browser.open(&logout, &app.base).await;
    let (action, fields) = form.form_of("auto-form");
    let to_idp = browser.post(&action, &fields).await;
    let end = to_idp.location.clone().unwrap();
    assert!(end.starts_with(&format!("{}/session/end", idp.base)), "{end}");
    let back = browser.get(&end).await;
    let seen = idp.end_sessions();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].contains_key("id_token_hint"), "{seen:?}");
    assert_eq!(
        seen[0]["post_logout_redirect_uri"],
        app.url("/api/v2/client/logout-callback")
    );
    let confirm = browser.follow(back, &app.base).await;
    let (action, fields) = confirm.form_of("auto-form");
    let done = browser.post(&action, &fields).await;
    assert_eq!(
        done.location.as_deref(),
        Some("http://localhost:3000/logout?state=logout-state-123")
    );
}

#[tokio::test]
async fn without_end_session_logout_comes_straight_back() {
    let behaviour = Behaviour {
        end_session: false,
        ..Behaviour::default()
    };
    let (app, idp) = with_provider(behaviour).await;
    let (browser, r) = logged_in(&app, &idp).await;
    let logout = app.url(&format!(
        "/api/v2/session/end?id_token_hint={}&state=s-0123456789&post_logout_redirect_uri={}",
        r.raw_id_token,
        urlencode("http://localhost:3000/logout")
    ));
    let form = browser.open(&logout, &app.base).await;
    let (action, fields) = form.form_of("auto-form");
    let to_callback = browser.post(&action, &fields).await;
    assert!(
        to_callback
            .location
            .as_deref()
            .unwrap()
            .starts_with(&app.url("/api/v2/client/logout-callback")),
        "{:?}",
        to_callback.location
    );
    assert!(idp.end_sessions().is_empty());
}

#[tokio::test]
async fn the_journal_holds_the_hubs_exchanges_with_the_external_provider_in_the_login_flow() {
    let (app, idp) = with_provider(Behaviour::default()).await;
    logged_in(&app, &idp).await;
    let journal = fetch_json(&app.url(&format!("/_fcmock/api/journal?endpoint=idp.{ID}."))).await;
    let entries = journal["exchanges"].as_array().unwrap().clone();
    let endpoints: Vec<&str> = entries.iter().filter_map(|e| e["endpoint"].as_str()).collect();
    for name in ["discovery", "jwks", "token", "userinfo"] {
        assert!(
            endpoints.contains(&format!("idp.{ID}.{name}").as_str()),
            "{name} missing from {endpoints:?}"
        );
    }
    let authorize = fetch_json(&app.url("/_fcmock/api/journal?endpoint=fc.authorize")).await;
    let authorize = authorize["exchanges"]
        .as_array()
        .or(authorize.as_array())
        .unwrap()
        .clone();
    let flow = authorize[0]["flow"].as_str().unwrap().to_owned();
    for e in &entries {
        assert_eq!(e["flow"].as_str(), Some(flow.as_str()), "{}", e["endpoint"]);
        assert_eq!(e["from"], "platform");
    }
    let token = entries
        .iter()
        .find(|e| e["endpoint"] == format!("idp.{ID}.token"))
        .unwrap();
    assert!(
        !token["request_body"].as_str().unwrap().contains(HUB_CLIENT_SECRET),
        "the hub's secret is redacted"
    );
    let userinfo = entries
        .iter()
        .find(|e| e["endpoint"] == format!("idp.{ID}.userinfo"))
        .unwrap();
    let jwt = &userinfo["jwts"][0];
    assert_eq!(jwt["header"]["alg"], "ES256", "{userinfo}");
    assert_eq!(jwt["claims"]["given_name"], "Solène Marie");
}

#[tokio::test]
async fn each_authorize_starts_its_own_flow_even_with_a_session_cookie() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    interactive_login(&app, &browser, &url, "ameli", &login, &password).await;
    // Same browser (same fc_session_id cookie), a second authorize.
    browser.open(&url, &app.base).await;
    let journal = fetch_json(&app.url("/_fcmock/api/journal?endpoint=fc.authorize")).await;
    let entries: Vec<Value> = journal["exchanges"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2);
    let flows: Vec<&str> = entries.iter().map(|e| e["flow"].as_str().unwrap()).collect();
    assert_ne!(flows[0], flows[1], "{entries:?}");
}

#[tokio::test]
async fn check_config_probes_external_providers_and_says_what_is_wrong() {
    let good = ExtIdp::start(Behaviour::default()).await;
    let liar = ExtIdp::start(Behaviour {
        stated_issuer: Some("https://autre.example/".to_owned()),
        ..Behaviour::default()
    })
    .await;
    let dir = std::env::temp_dir().join(format!("fcmock-ext-{}", fcmock::rng::Rng::from_entropy().hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let run = async |text: String| {
        let path = dir.join(format!("c{}.yaml", fcmock::rng::Rng::from_entropy().hex(8)));
        std::fs::write(&path, text).unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_fcmock"))
            .args(["serve", "--check-config", "--config"])
            .arg(&path)
            .output()
            .await
            .unwrap()
    };
    let ok = run(good.config(ID)).await;
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains(&format!("`{ID}`: reachable")), "{out}");
    let bad = run(liar.config(ID)).await;
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(!bad.status.success());
    assert!(
        out.contains("issuer `https://autre.example/`")
            && out.contains(&format!("expected `{}`", good.base).replace(&good.base, &liar.base)),
        "{out}"
    );
    let missing = run(good.config(ID).replace(
        "/.well-known/openid-configuration",
        "/nulle-part/.well-known/openid-configuration",
    ))
    .await;
    let out = String::from_utf8_lossy(&missing.stdout);
    assert!(!missing.status.success());
    assert!(out.contains("answered HTTP 404"), "{out}");
}

#[tokio::test]
async fn external_provider_entries_refuse_fields_that_do_nothing_for_them() {
    let text = "identity_providers:\n  - id: fi-x\n    name: X\n    discovery_url: \"https://fi.example/.well-known/openid-configuration\"\n    hub_client_id: a\n    hub_client_secret: b\n    signing_alg: RS256\n    credential: email\n    signing_key_file: nulle-part.pem\n";
    let err = fcmock::config::load(
        &[fcmock::config::Source {
            name: "fi.yaml".to_owned(),
            text: text.to_owned(),
        }],
        true,
    )
    .unwrap_err()
    .to_string();
    for (line, field) in [(7, "signing_alg"), (8, "credential"), (9, "signing_key_file")] {
        assert!(
            err.contains(&format!("fi.yaml:{line}: identity_providers[0].{field}")),
            "{field} at line {line}: {err}"
        );
    }
    let wrong_url = text.replace("/.well-known/openid-configuration", "/").replace(
        "    signing_alg: RS256\n    credential: email\n    signing_key_file: nulle-part.pem\n",
        "",
    );
    let err = fcmock::config::load(
        &[fcmock::config::Source {
            name: "fi.yaml".to_owned(),
            text: wrong_url,
        }],
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("does not end with /.well-known/openid-configuration"),
        "{err}"
    );
}

#[tokio::test]
async fn the_hubs_calls_to_a_built_in_provider_are_in_the_login_flow_too() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    full_login(&app, &rp, "camille-rochefort", "ameli", &["profile"]).await;
    let journal = fetch_json(&app.url("/_fcmock/api/journal")).await;
    let entries: Vec<Value> = journal["exchanges"].as_array().unwrap().clone();
    let flow_of = |endpoint: &str| {
        entries
            .iter()
            .find(|e| e["endpoint"] == endpoint)
            .unwrap_or_else(|| panic!("{endpoint} not in the journal"))["flow"]
            .clone()
    };
    let flow = flow_of("fc.authorize");
    assert!(flow.is_string());
    for endpoint in ["idp.ameli.jwks", "idp.ameli.token", "idp.ameli.userinfo"] {
        assert_eq!(flow_of(endpoint), flow, "{endpoint}");
    }
}
