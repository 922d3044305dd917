//! The hub's side of the federation: callback errors, acr, sessions.

use std::time::Duration;

use crate::helpers::*;

/// A browser that has just been sent to identity provider `idp`; returns the provider's page URL.
async fn at_provider(app: &TestApp, browser: &Browser, idp: &str) -> String {
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let wall = browser.open(&url, &app.base).await;
    let (action, fields) = wall.form_of(&format!("idp-{idp}"));
    let to_idp = browser.post(&action, &fields).await;
    assert_eq!(to_idp.status, 302);
    to_idp.location.unwrap()
}

#[tokio::test]
async fn callback_without_state_wrong_state_or_without_code() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let idp_url = at_provider(&app, &browser, "ameli").await;
    let sent = query(&idp_url);
    assert_eq!(sent["state"].len(), 64);
    assert_eq!(sent["nonce"].len(), 64);
    assert_eq!(sent["prompt"], "login");
    assert_eq!(sent["acr_values"], "eidas1");
    let cb = format!("{}/oidc-callback", app.issuer());
    let no_state = browser.get(&format!("{cb}?code=abc")).await;
    assert_eq!(
        (no_state.status, no_state.error_code().as_deref()),
        (400, Some("Y020021"))
    );
    let wrong = browser.get(&format!("{cb}?code=abc&state=not-the-one")).await;
    assert_eq!((wrong.status, wrong.error_code().as_deref()), (403, Some("Y020022")));
    let no_code = browser.get(&format!("{cb}?state={}", sent["state"])).await;
    assert_eq!(no_code.error_code().as_deref(), Some("Y020025"));
    let bad_code = browser.get(&format!("{cb}?state={}&code=forged", sent["state"])).await;
    assert_eq!(
        (bad_code.status, bad_code.error_code().as_deref()),
        (502, Some("Y020026"))
    );
}

#[tokio::test]
async fn franceconnect_v2_returns_eidas1_whatever_the_provider_says() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "laposte");
    let creds = [
        ("login", login.as_str()),
        ("password", password.as_str()),
        ("acr", "eidas2"),
    ];
    let consent = to_consent(&app, &browser, &url, "laposte", &creds).await;
    let back = browser.submit(&consent, "consent-continue", &[], &app.base).await;
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    assert_eq!(r.claims.auth_context_ref().unwrap().as_str(), "eidas1");
}

#[tokio::test]
async fn wrong_credentials_stay_on_the_provider_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let idp_url = at_provider(&app, &browser, "impots").await;
    let page = browser.get(&idp_url).await;
    assert!(page.testid("idp-login").is_some());
    let (login, _) = account(&app, "camille-rochefort", "impots");
    let again = browser
        .submit(
            &page,
            "idp-login-form",
            &[("login", login.as_str()), ("password", "wrong")],
            &app.base,
        )
        .await;
    assert_eq!(again.status, 401);
    assert!(again.testid("idp-error").is_some());
    assert!(
        again.testid("persona-camille-rochefort").is_some(),
        "persona buttons on the login page"
    );
}

#[tokio::test]
async fn sessions_expire_after_thirty_minutes() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let first = browser.get(&url).await;
    let wall_url = first.location.unwrap();
    assert_eq!(browser.get(&wall_url).await.status, 200);
    app.clock.advance(Duration::from_secs(1801));
    let expired = browser.get(&wall_url).await;
    assert_eq!(expired.error_code().as_deref(), Some("Y190001"));
}

#[tokio::test]
async fn userinfo_by_post_and_home_page_lists_everything() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    http.post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": PUBLIC_CLIENT, "persona": "lucia-filippeddu", "idp": "msa"}))
        .send()
        .await
        .unwrap();
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["birth"], &[]);
    let resp = app.browser().get(&url).await;
    let r = rp
        .redeem(&query(resp.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let posted = http
        .post(format!("{}/userinfo", app.issuer()))
        .form(&[("access_token", Rp::access_token(&r))])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let claims = verify_jwt(&http, &app.issuer(), &posted.text().await.unwrap(), PUBLIC_CLIENT).await;
    assert_eq!(claims["birthplace"], "2B033");

    let home = app.browser().get(&app.url("/_fcmock/")).await;
    assert_eq!(home.status, 200);
    assert!(home.testid("home-personas").unwrap().contains("hugo-lambesc"));
    assert!(home.testid("home-clients").unwrap().contains(PRIVATE_CLIENT));
    let personas: serde_json::Value = http
        .get(app.url("/_fcmock/api/personas"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(personas.as_array().unwrap().len(), app.state.config().personas.len());
}

#[tokio::test]
async fn prompt_login_skips_consent_for_clients_allowed_to() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[("prompt", "login")]);
    let (login, password) = account(&app, "alix-morange", "laposte");
    let back = interactive_login(&app, &browser, &url, "laposte", &login, &password).await;
    assert!(
        back.location.as_deref().unwrap().starts_with(REDIRECT),
        "no consent page: {}",
        back.body
    );
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(info["gender"], "unspecified");
    // `prompt=login consent` keeps the consent page.
    let (url, _, _) = rp.authorize_url(&["profile"], &[("prompt", "login consent")]);
    let browser = app.browser();
    let consent = to_consent(
        &app,
        &browser,
        &url,
        "laposte",
        &[("login", &login), ("password", &password)],
    )
    .await;
    assert!(consent.testid("consent-continue").is_some());
}

#[tokio::test]
async fn an_external_provider_is_reached_by_discovery() {
    // fcmock's own ameli provider, configured as if it were external.
    let extra = r#"
identity_providers:
  - id: ameli-externe
    name: "ameli.fr (externe)"
    discovery_url: "{BASE}/idp/ameli/.well-known/openid-configuration"
    hub_client_id: "fcmock-hub-at-ameli"
    hub_client_secret: "hub-secret-ameli-0123456789"
"#;
    let app = TestApp::spawn_with(&[extra]).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    let back = interactive_login(&app, &browser, &url, "ameli-externe", &login, &password).await;
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let via_builtin = full_login(&app, &rp, "camille-rochefort", "impots", &["identite_pivot"]).await;
    assert_eq!(
        r.claims.subject(),
        via_builtin.claims.subject(),
        "same identity, same sub, whatever the provider"
    );
}

#[tokio::test]
async fn the_home_page_shows_only_the_published_demo_secrets() {
    let extra = "clients:\n  - client_id: mon-portail\n    client_secret: secret-de-production-ne-pas-montrer-0123456789\n    name: Mon portail\n    redirect_uris: [\"http://localhost:3000/callback\"]\n";
    let app = TestApp::spawn_with(&[extra]).await;
    let home = app.browser().get(&app.url("/_fcmock/")).await;
    let clients = home.testid("home-clients").unwrap();
    assert!(clients.contains("mon-portail"), "{clients}");
    assert!(
        !home.body.contains("secret-de-production"),
        "the user's secret is on the page"
    );
    assert!(clients.contains(PUBLIC_SECRET), "the demo secrets stay visible");
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_consent_script_is_allowed_by_hash() {
    let app = TestApp::spawn().await;
    let resp = plain_http().get(app.url("/_fcmock/")).send().await.unwrap();
    let h = resp.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // Every answer carries them: an error page, a platform error, the API.
    for path in ["/nowhere", "/api/v2/userinfo", "/_fcmock/api/journal"] {
        let resp = plain_http().get(app.url(path)).send().await.unwrap();
        let h = resp.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["content-security-policy"].to_str().unwrap(), csp, "{path}");
    }
    // The consent page's inline script is exactly one the policy allows.
    let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "marie-lou-petitjean", "impots");
    let consent = to_consent(
        &app,
        &app.browser(),
        &url,
        "impots",
        &[("login", &login), ("password", &password)],
    )
    .await;
    let script = consent
        .body
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let hash = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
    };
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
}
