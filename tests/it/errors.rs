//! One test per error surface of authorize and the interaction steps.

use crate::helpers::*;

fn with(client: &str, change: &[(&'static str, Option<&str>)]) -> Vec<(&'static str, String)> {
    let mut params = valid_params(client);
    for (k, v) in change {
        params.retain(|(n, _)| n != k);
        if let Some(v) = v {
            params.push((k, (*v).to_owned()));
        }
    }
    params
}

async fn authorize(app: &TestApp, params: &[(&'static str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.browser().get(&app.authorize_url(&pairs)).await
}

async fn expect_page(app: &TestApp, params: &[(&'static str, String)], code: &str, status: u16) -> Page {
    let page = authorize(app, params).await;
    assert_eq!(page.status, status, "{params:?}\n{}", page.body);
    assert_eq!(page.error_code().as_deref(), Some(code), "{params:?}");
    assert!(page.testid("test-banner").is_some());
    page
}

async fn expect_redirect(app: &TestApp, params: &[(&'static str, String)], error: &str, description: &str) {
    let page = authorize(app, params).await;
    assert!(
        (300..400).contains(&page.status),
        "{params:?}: {} {}",
        page.status,
        page.body
    );
    let loc = page.location.unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query(&loc);
    assert_eq!(q["error"], error, "{loc}");
    assert_eq!(q["error_description"], description);
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], app.issuer());
}

#[tokio::test]
async fn missing_or_invalid_mandatory_parameters_give_page_y030007() {
    let app = TestApp::spawn().await;
    for p in ["client_id", "redirect_uri", "scope", "acr_values", "nonce", "state"] {
        let page = expect_page(&app, &with(PUBLIC_CLIENT, &[(p, None)]), "Y030007", 400).await;
        assert!(
            page.testid("error-detail").unwrap().contains(p),
            "the explanation names `{p}`"
        );
    }
    let short = expect_page(
        &app,
        &with(PUBLIC_CLIENT, &[("nonce", Some("nonce_trop_court"))]),
        "Y030007",
        400,
    )
    .await;
    assert!(short.testid("error-detail").unwrap().contains("22"));
    for prompt in ["none", "select_account", ""] {
        expect_page(&app, &with(PUBLIC_CLIENT, &[("prompt", Some(prompt))]), "Y030007", 400).await;
    }
    expect_page(&app, &with(PUBLIC_CLIENT, &[("login_hint", Some("x"))]), "Y030007", 400).await;
    expect_page(
        &app,
        &with(PUBLIC_CLIENT, &[("claims", Some("{not json"))]),
        "Y030007",
        400,
    )
    .await;
    // 22 characters is enough; special characters are fine.
    let ok = authorize(&app, &with(PUBLIC_CLIENT, &[("nonce", Some("aaaaaaaaaa-+/=!bbbbbbb"))])).await;
    assert_eq!(ok.status, 302);
}

#[tokio::test]
async fn unknown_client_and_unregistered_redirect_uri_are_pages() {
    let app = TestApp::spawn().await;
    expect_page(&app, &with("no-such-client", &[]), "Y04EA6EF", 400).await;
    let page = expect_page(
        &app,
        &with(PUBLIC_CLIENT, &[("redirect_uri", Some("https://evil.example/cb"))]),
        "Y04C013C",
        400,
    )
    .await;
    assert!(
        page.testid("error-detail")
            .unwrap()
            .contains("http://localhost:8080/callback")
    );
    // An exact-match client refuses localhost too.
    let extra = "clients:\n  - client_id: strict\n    client_secret: s\n    name: Strict\n    redirect_uris: [\"https://portail.example/cb\"]\n";
    let strict = TestApp::spawn_with(&[extra]).await;
    expect_page(&strict, &with("strict", &[]), "Y04C013C", 400).await;
}

#[tokio::test]
async fn protocol_errors_are_redirected_with_state_and_iss() {
    let app = TestApp::spawn().await;
    let c = PUBLIC_CLIENT;
    // Missing: page Y030007; empty: redirected (api-authorize.feature l.50-69).
    expect_page(&app, &with(c, &[("response_type", None)]), "Y030007", 400).await;
    expect_redirect(
        &app,
        &with(c, &[("response_type", Some(""))]),
        "invalid_request",
        "missing required parameter 'response_type'",
    )
    .await;
    expect_redirect(
        &app,
        &with(c, &[("response_type", Some("token"))]),
        "unsupported_response_type",
        "unsupported response_type requested",
    )
    .await;
    expect_redirect(
        &app,
        &with(c, &[("scope", Some("profile email"))]),
        "invalid_request",
        "openid scope must be requested when using the acr_values parameter",
    )
    .await;
    expect_redirect(
        &app,
        &with(c, &[("acr_values", Some("eidas2"))]),
        "invalid_acr",
        "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2",
    )
    .await;
    expect_redirect(
        &app,
        &with(c, &[("idp_hint", Some("nowhere"))]),
        "invalid_idp_hint",
        "An idp_hint was provided but is not allowed",
    )
    .await;
    // Unknown acr values fall back to eidas1; the lowest of several wins; unknown scopes are ignored.
    for (k, v) in [
        ("acr_values", "niveau_inconnu"),
        ("acr_values", "eidas2 eidas1"),
        ("scope", "openid address phone"),
    ] {
        let ok = authorize(&app, &with(c, &[(k, Some(v))])).await;
        assert_eq!(ok.status, 302, "{k}={v}");
        assert!(ok.location.unwrap().contains("/interaction/"));
    }
}

#[tokio::test]
async fn a_scope_the_client_may_not_request_is_invalid_scope() {
    let extra = "clients:\n  - client_id: narrow\n    client_secret: s\n    name: Narrow\n    redirect_uris: [\"http://localhost:3000/callback\"]\n    scopes: [given_name, family_name]\n";
    let app = TestApp::spawn_with(&[extra]).await;
    expect_redirect(
        &app,
        &with("narrow", &[("scope", Some("openid email"))]),
        "invalid_scope",
        "requested scope is not allowed",
    )
    .await;
    let ok = authorize(&app, &with("narrow", &[("scope", Some("openid given_name"))])).await;
    assert_eq!(ok.status, 302);
}

#[tokio::test]
async fn amr_claim_needs_the_client_authorisation() {
    let app = TestApp::spawn().await;
    let claims = r#"{"id_token":{"amr":{"essential":true}}}"#;
    expect_page(&app, &with(PRIVATE_CLIENT, &[("claims", Some(claims))]), "Y100009", 400).await;
    // The public demo client may: its id_token then carries amr.
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[("claims", claims)]);
    let (login, password) = account(&app, "camille-rochefort", "franceidentite");
    let back = interactive_login(&app, &browser, &url, "franceidentite", &login, &password).await;
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let amr: Vec<String> = r
        .claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(amr, vec!["fc", "pin", "pop", "mfa"]);
}

#[tokio::test]
async fn forms_without_or_with_a_wrong_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let params = valid_params(PUBLIC_CLIENT);
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wall = browser.open(&app.authorize_url(&pairs), &app.base).await;
    let (action, _) = wall.form_of("idp-ameli");
    // Missing or empty: Y470002 (400); wrong: Y470001 (401) — libs/csrf
    // csrf.service.ts, information-consentement.feature l.246-284.
    let missing = browser.post(&action, &[("providerUid".into(), "ameli".into())]).await;
    assert_eq!(
        (missing.status, missing.error_code().as_deref()),
        (400, Some("Y470002"))
    );
    let empty = browser
        .post(
            &action,
            &[
                ("providerUid".into(), "ameli".into()),
                ("csrfToken".into(), String::new()),
            ],
        )
        .await;
    assert_eq!((empty.status, empty.error_code().as_deref()), (400, Some("Y470002")));
    let wrong = browser
        .post(
            &action,
            &[
                ("providerUid".into(), "ameli".into()),
                ("csrfToken".into(), "forged".into()),
            ],
        )
        .await;
    assert_eq!((wrong.status, wrong.error_code().as_deref()), (401, Some("Y470001")));
    // Without the session cookie at all: session not found (401, erreurs.md).
    let stranger = app
        .browser()
        .post(
            &action,
            &[("providerUid".into(), "ameli".into()), ("csrfToken".into(), "x".into())],
        )
        .await;
    assert_eq!(
        (stranger.status, stranger.error_code().as_deref()),
        (401, Some("Y190001"))
    );
    assert_eq!(
        stranger.testid("error-message").as_deref(),
        Some("Votre session a expiré ou est invalide, fermez l'onglet de votre navigateur et reconnectez-vous.")
    );
}

#[tokio::test]
async fn unknown_paths_are_y000404_and_the_root_redirects() {
    let app = TestApp::spawn().await;
    let page = app.browser().get(&app.url("/api/v2/nothing-here")).await;
    assert_eq!((page.status, page.error_code().as_deref()), (404, Some("Y000404")));
    let root = app.browser().get(&app.url("/api/v2/")).await;
    assert_eq!(root.status, 301);
    assert_eq!(root.location.as_deref(), Some("https://franceconnect.gouv.fr"));
}

#[tokio::test]
async fn an_invalid_identity_from_the_provider_is_y600006() {
    // A persona whose provider account holds a birthdate FranceConnect refuses.
    let extra = r#"
identity_providers:
  - id: bancal
    name: "Fournisseur bancal"
    hub_client_id: hub
    hub_client_secret: hub-secret
personas:
  - id: sans-email
    identity: { given_name: Zoé, family_name: Sansmail, gender: female, birthdate: "1990-01-01", birthplace: "75107", birthcountry: "99100" }
    accounts: [ { idp: bancal, login: zoe, password: "123" } ]
"#;
    let app = TestApp::spawn_with(&[extra]).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let page = interactive_login(&app, &app.browser(), &url, "bancal", "zoe", "123").await;
    assert_eq!(page.error_code().as_deref(), Some("Y600006"), "{}", page.body);
    assert!(page.testid("error-detail").unwrap().contains("email"));
}

#[tokio::test]
async fn thousands_of_unknown_parameters_make_a_short_page() {
    // One 47 KB request once gave a 1.3 MB page: the explanation is summarised.
    let app = TestApp::spawn().await;
    let mut params = valid_params(PUBLIC_CLIENT);
    for i in 0..3000 {
        params.push(("x", format!("{i}")));
    }
    let mut url = url::Url::parse(&format!("{}/authorize", app.issuer())).unwrap();
    for (k, v) in &params {
        url.query_pairs_mut().append_pair(k, v);
    }
    for i in 0..3000 {
        url.query_pairs_mut().append_pair(&format!("inconnu{i}"), "1");
    }
    assert!(url.as_str().len() > 40_000);
    let page = app.browser().get(url.as_str()).await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"));
    assert!(page.body.len() < 20_000, "{} bytes", page.body.len());
    let detail = page.testid("error-detail").unwrap();
    // 3,001 unknown names (`x` too): ten are named.
    assert!(detail.contains("et 2991 autres"), "{detail}");
}
