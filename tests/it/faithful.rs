//! Behaviours checked against FranceConnect's own code and BDD suite
//! (france-connect/sources: `back/` and `quality/fcp/cypress/integration/`),
//! each test naming the file it reproduces.

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, Scope};

use crate::helpers::*;

/// The demo FranceConnect+ client (ECDH-ES).
const PLUS_CLIENT: &str = "b7e4c1a9d2f85e36a0c9b4d7e1f28a5c3d6b9e0f2a4c7e1b8d5f3a6c9e2b4d7f";

/// An authorize URL built by the `openidconnect` crate with PKCE turned on,
/// as many libraries do by default after reading FranceConnect's discovery.
fn pkce_authorize_url(rp: &Rp, acr: &str) -> (String, openidconnect::PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            || CsrfToken::new(STATE.to_owned()),
            || Nonce::new(NONCE.to_owned()),
        )
        .add_scope(Scope::new("identite_pivot".to_owned()))
        .add_extra_param("acr_values", acr)
        .set_pkce_challenge(challenge)
        .url();
    (url.to_string(), verifier)
}

#[tokio::test]
async fn pkce_at_authorize_is_refused_on_both_platforms_with_the_way_out_explained() {
    // oidc-provider.controller.ts: the authorize pipe is `forbidNonWhitelisted`
    // and authorize-params.dto.ts lists neither code_challenge nor
    // code_challenge_method; discovery still advertises them.
    let app = TestApp::spawn().await;
    let discovery = fetch_json(&format!("{}/.well-known/openid-configuration", app.issuer())).await;
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _) = pkce_authorize_url(&rp, "eidas1");
    let page = app.browser().get(&url).await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
    for hint in [
        "code_challenge",
        "UsePkce = false",
        "usePKCE: false",
        "platform.accept_pkce",
    ] {
        assert!(
            page.body.contains(hint),
            "the page should mention {hint}: {}",
            page.body
        );
    }
    // The same on FranceConnect+.
    let plus = Rp(fcmock::agent::RelyingParty::discover(
        &format!("{}/fcplus/api/v2", app.base),
        PLUS_CLIENT,
        "demo-secret-fcplus-mairie-0123456789abcdef0123456789abcdef",
        REDIRECT,
    )
    .await
    .unwrap());
    let (url, _) = pkce_authorize_url(&plus, "eidas2");
    let page = app.browser().get(&url).await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
    // sp_id is not in the DTO either.
    let mut params = valid_params(PUBLIC_CLIENT);
    params.push(("sp_id", "x".to_owned()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = app.browser().get(&app.authorize_url(&pairs)).await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
}

#[tokio::test]
async fn with_accept_pkce_the_verifier_is_checked_and_the_banner_says_so() {
    let app = TestApp::spawn_with(&["platform:\n  accept_pkce: true\n"]).await;
    assert!(
        app.state
            .config()
            .deviations()
            .iter()
            .any(|d| *d == fcmock::config::Deviation::AcceptPkce && d.to_string().contains("accept_pkce")),
        "{:?}",
        app.state.config().deviations()
    );
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    for right_verifier in [true, false] {
        queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
        let (url, verifier) = pkce_authorize_url(&rp, "eidas1");
        let back = app.browser().get(&url).await;
        let code = query(back.location.as_deref().unwrap())["code"].clone();
        let verifier = if right_verifier {
            verifier
        } else {
            openidconnect::PkceCodeVerifier::new("a-verifier-that-is-not-the-one-used-at-authorize-0123".to_owned())
        };
        let result = rp
            .client
            .exchange_code(openidconnect::AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&rp.http)
            .await;
        match (right_verifier, result) {
            (true, Ok(_)) => {}
            (false, Err(openidconnect::RequestTokenError::ServerResponse(e))) => {
                assert_eq!(e.error().as_ref(), "invalid_grant");
            }
            (expected, other) => panic!("verifier right: {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn franceconnect_plus_discovery_lists_its_own_scopes_and_claims() {
    // back/libs/scopes data fcp-high.scopes.ts: no idp_birthdate, no idp_id,
    // no given_name_array on FranceConnect+.
    let app = TestApp::spawn().await;
    let doc = fetch_json(&format!("{}/fcplus/api/v2/.well-known/openid-configuration", app.base)).await;
    let list = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .unwrap_or_else(|| panic!("{k}: {doc}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let scopes = list("scopes_supported");
    for absent in ["idp_birthdate", "idp_id", "rnipp_given_name_array"] {
        assert!(!scopes.iter().any(|s| s == absent), "{absent} in {scopes:?}");
    }
    for present in [
        "rnipp_identite_pivot",
        "rnipp_profile",
        "rnipp_birth",
        "identite_pivot",
        "dgfip_rfr",
    ] {
        assert!(scopes.iter().any(|s| s == present), "{present} missing from {scopes:?}");
    }
    let claims = list("claims_supported");
    assert!(
        !claims.iter().any(|c| c == "given_name_array" || c == "idp_birthdate"),
        "{claims:?}"
    );
    assert!(claims.iter().any(|c| c == "rnipp_given_name_array"), "{claims:?}");
}

#[tokio::test]
async fn response_types_that_answer_in_the_fragment_get_their_error_there() {
    // api-authorize.feature l.116-154: unsupported_response_type in the URL
    // fragment for id_token, id_token token, code id_token and code token.
    let app = TestApp::spawn().await;
    for rt in ["id_token", "id_token token", "code id_token", "code token"] {
        let mut params = valid_params(PUBLIC_CLIENT);
        params.retain(|(k, _)| *k != "response_type");
        params.push(("response_type", rt.to_owned()));
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = app.browser().get(&app.authorize_url(&pairs)).await;
        let location = page.location.unwrap_or_else(|| panic!("{rt}: {}", page.body));
        let (before, fragment) = location.split_once('#').unwrap_or_else(|| panic!("{rt}: {location}"));
        assert_eq!(before, REDIRECT, "{rt}: nothing in the query");
        let f: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(fragment.as_bytes()).into_owned().collect();
        assert_eq!(f["error"], "unsupported_response_type", "{rt}");
        assert_eq!(f["state"], STATE, "{rt}");
    }
}

#[tokio::test]
async fn a_clients_own_idp_hint_list_replaces_the_global_one() {
    // FranceConnect keeps allowedIdpHints per service provider: the client's
    // list is the one in force for it.
    let extra = "clients:\n  - client_id: hinted\n    client_secret: s\n    name: Hinted\n    redirect_uris: [\"http://localhost:3000/callback\"]\n    allowed_idp_hints: [msa]\n";
    let app = TestApp::spawn_with(&[extra]).await;
    let outcome = |hint: &'static str| {
        let app = &app;
        async move {
            let mut params = valid_params("hinted");
            params.push(("idp_hint", hint.to_owned()));
            let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = app.browser().get(&app.authorize_url(&pairs)).await;
            let location = page.location.unwrap_or_default();
            query(&location).get("error").cloned()
        }
    };
    assert_eq!(outcome("msa").await, None, "the client's own list allows msa");
    // ameli is in the global list, but not in this client's.
    assert_eq!(outcome("ameli").await.as_deref(), Some("invalid_idp_hint"));
}

/// Changes to the valid authorize parameters: (name, new value or removed).
type Change<'a> = &'a [(&'static str, Option<&'a str>)];

/// The authorize answer for the valid parameters changed by `change`.
async fn authorize_with(app: &TestApp, change: Change<'_>) -> Page {
    let mut params = valid_params(PUBLIC_CLIENT);
    for (k, v) in change {
        params.retain(|(n, _)| n != k);
        if let Some(v) = v {
            params.push((k, (*v).to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.browser().get(&app.authorize_url(&pairs)).await
}

#[tokio::test]
async fn an_empty_scope_is_redirected_and_no_openid_with_a_bad_redirect_is_y040001() {
    // api-authorize.feature l.223-234.
    let app = TestApp::spawn().await;
    let empty = authorize_with(&app, &[("scope", Some(""))]).await;
    let q = query(empty.location.as_deref().unwrap_or_else(|| panic!("{}", empty.body)));
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(
        q["error_description"],
        "openid scope must be requested when using the acr_values parameter"
    );
    let page = authorize_with(
        &app,
        &[
            ("scope", Some("profile")),
            ("redirect_uri", Some("https://ailleurs.example/cb")),
        ],
    )
    .await;
    assert_eq!(page.error_code().as_deref(), Some("Y040001"), "{}", page.body);
    // With openid, the same redirect_uri is Y04C013C.
    let page = authorize_with(&app, &[("redirect_uri", Some("https://ailleurs.example/cb"))]).await;
    assert_eq!(page.error_code().as_deref(), Some("Y04C013C"));
}

#[tokio::test]
async fn error_pages_carry_franceconnects_sentence_and_fcmocks_explanation_apart() {
    // Wording asserted by FranceConnect's BDD suite (PROTOCOL.md, 2026-11 audit).
    let app = TestApp::spawn().await;
    let cases: [(Change<'_>, &str, &str); 2] = [
        (
            &[("client_id", Some("inconnu"))],
            "Y04EA6EF",
            "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement.",
        ),
        (
            &[("nonce", None)],
            "Y030007",
            "Une erreur technique est survenue, fermez l'onglet de votre navigateur et reconnectez-vous.",
        ),
    ];
    for (change, code, sentence) in cases {
        let page = authorize_with(&app, change).await;
        assert_eq!(page.error_code().as_deref(), Some(code));
        assert_eq!(page.testid("error-message").as_deref(), Some(sentence), "{code}");
        assert!(page.body.contains("Explication de fcmock"), "{code}");
        assert!(page.testid("error-detail").is_some_and(|d| !d.is_empty()), "{code}");
    }
}

/// Whether the element `data-testid` has `attr`.
fn has_attr(page: &Page, testid: &str, attr: &str) -> Option<bool> {
    let html = page.html();
    let sel = scraper::Selector::parse(&format!("[data-testid=\"{testid}\"]")).unwrap();
    html.select(&sel).next().map(|e| e.value().attr(attr).is_some())
}

#[tokio::test]
async fn excluded_providers_are_greyed_out_and_continue_waits_for_the_box() {
    // fournisseur-identite-blacklist-whitelist-fcp-low.feature: providers a
    // service excludes stay on the wall, disabled.
    let extra = "clients:\n  - client_id: sans-msa\n    client_secret: s\n    name: Sans MSA\n    redirect_uris: [\"http://localhost:3000/callback\"]\n    excluded_idps: [msa]\n";
    let app = TestApp::spawn_with(&[extra]).await;
    let params = valid_params("sans-msa");
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wall = app.browser().open(&app.authorize_url(&pairs), &app.base).await;
    assert_eq!(has_attr(&wall, "idp-msa", "disabled"), Some(true), "{}", wall.body);
    assert_eq!(has_attr(&wall, "idp-ameli", "disabled"), Some(false));

    // information-consentement.feature: "Continuer" is disabled until the box is ticked.
    let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "marie-lou-petitjean", "impots");
    let browser = app.browser();
    let consent = to_consent(
        &app,
        &browser,
        &url,
        "impots",
        &[("login", &login), ("password", &password)],
    )
    .await;
    assert!(consent.testid("consent-checkbox").is_some(), "{}", consent.body);
    assert_eq!(has_attr(&consent, "consent-continue", "disabled"), Some(true));
    assert_eq!(has_attr(&consent, "consent-continue", "aria-disabled"), Some(true));
}

#[tokio::test]
async fn error_pages_lead_back_to_the_service_with_the_error_at_its_callback() {
    // fournisseur-service-retour.feature; views/includes/back-button.ejs: the
    // link goes to the service's redirect_uri with error, error_description
    // and state (server_error after Y600006).
    let app = TestApp::spawn().await;
    let scenario = format!(
        "name: identité incomplète\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: idp.ameli.userinfo\n    drop_claims: [birthdate]\n"
    );
    load_scenario(&app, &scenario).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    let page = interactive_login(&app, &app.browser(), &url, "ameli", &login, &password).await;
    assert_eq!(page.error_code().as_deref(), Some("Y600006"), "{}", page.body);
    let link = href_of(&page, "back-to-sp-link");
    assert!(link.starts_with(REDIRECT), "{link}");
    let q = query(&link);
    assert_eq!(q["error"], "server_error");
    assert_eq!(
        q["error_description"],
        "authentication aborted due to a technical error on the authorization server"
    );
    assert_eq!(q["state"], STATE);
    // Any other method on a known path is FranceConnect's page, not an empty 405.
    let post = app
        .browser()
        .post(&format!("{}/redirect-to-sp-with-error", app.issuer()), &[])
        .await;
    assert!(post.error_code().is_some(), "{} {}", post.status, post.body);
}

#[tokio::test]
async fn discovery_and_jwks_are_cacheable_and_session_end_refuses_unknown_parameters() {
    // oidc-provider.controller.ts: cache-control on JWKS and discovery, and
    // session/end's pipe refuses parameters LogoutParamsDto does not list.
    let app = TestApp::spawn().await;
    for path in ["/jwks", "/.well-known/openid-configuration"] {
        for issuer in [app.issuer(), format!("{}/fcplus/api/v2", app.base)] {
            let resp = plain_http().get(format!("{issuer}{path}")).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["cache-control"], "public, max-age=600", "{issuer}{path}");
        }
    }
    let page = app
        .browser()
        .get(&format!(
            "{}/session/end?id_token_hint=x&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Flogout&state=s&inconnu=1",
            app.issuer()
        ))
        .await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
    assert!(page.testid("error-detail").unwrap_or_default().contains("inconnu"));
}

#[tokio::test]
async fn civil_registry_outcomes_come_from_personas_or_from_a_scenario() {
    // RNIPP errors Y010004/7/11/12 (PROTOCOL.md §4, libs/rnipp).
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    for (persona, code) in [
        ("gaspard-lenormand", "Y010004"),
        ("odile-marchetti", "Y010007"),
        ("yvon-kerbrat", "Y010011"),
        ("ines-belkacem", "Y010012"),
    ] {
        let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
        let (login, password) = account(&app, persona, "impots");
        let page = interactive_login(&app, &app.browser(), &url, "impots", &login, &password).await;
        assert_eq!(page.error_code().as_deref(), Some(code), "{persona}: {}", page.body);
        assert!(page.testid("back-to-sp-link").is_some(), "{persona}");
    }
    // A scenario makes the registry time out for anyone logging in to one client.
    let scenario = format!(
        "name: rnipp lent\nclients: [{PUBLIC_CLIENT}]\nfaults:\n  - at: fc.interaction.verify\n    rnipp: timeout\n"
    );
    load_scenario(&app, &scenario).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    let page = interactive_login(&app, &app.browser(), &url, "ameli", &login, &password).await;
    assert_eq!(page.error_code().as_deref(), Some("Y010011"), "{}", page.body);
    // Another client is untouched.
    let other = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let r = full_login(&app, &other, "camille-rochefort", "ameli", &["identite_pivot"]).await;
    assert!(!r.raw_id_token.is_empty());
    // A misplaced rnipp fault is refused with its line.
    let bad = plain_http()
        .post(app.url("/_fcmock/api/scenarios"))
        .header("content-type", "application/yaml")
        .body("name: x\nfaults:\n  - at: fc.token\n    rnipp: timeout\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("fc.interaction.verify"));
}

#[tokio::test]
async fn a_personas_own_rnipp_fault_fires_for_that_persona_only() {
    // Persona faults are bound to the persona: the verify step must know who logs in.
    let app = TestApp::spawn().await;
    let yaml = "personas:\n  - id: rnipp-lent-pour-moi\n    identity: { given_name: \"Lent\", family_name: \"Registre\", gender: female, birthdate: \"1990-01-01\", birthplace: \"75107\", birthcountry: \"99100\", email: \"lent@example.fr\" }\n    accounts: [ { idp: laposte, login: \"lent@example.fr\", password: \"x\" } ]\n    faults:\n      - at: fc.interaction.verify\n        rnipp: timeout\n";
    let resp = plain_http()
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/yaml")
        .body(yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let page = interactive_login(&app, &app.browser(), &url, "laposte", "lent@example.fr", "x").await;
    assert_eq!(page.error_code().as_deref(), Some("Y010011"), "{}", page.body);
    // Headless too.
    queue_login(&app, PUBLIC_CLIENT, "rnipp-lent-pour-moi", "laposte").await;
    let page = app.browser().get(&url).await;
    assert_eq!(page.error_code().as_deref(), Some("Y010011"), "{}", page.body);
    // Someone else logs in.
    let r = full_login(&app, &rp, "camille-rochefort", "ameli", &["identite_pivot"]).await;
    assert!(!r.raw_id_token.is_empty());
}
