//! Complete journeys through wall, identity provider and consent.

use base64::Engine as _;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{OAuth2TokenResponse as _, SubjectIdentifier};
use serde_json::Value;

use crate::helpers::*;

fn segment(jwt: &str, i: usize) -> Value {
    let part = jwt.split('.').nth(i).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn full_journey_gives_verified_tokens_and_the_normalised_identity() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = full_login(
        &app,
        &rp,
        "camille-rochefort",
        "ameli",
        &["identite_pivot", "email", "idp_birthdate"],
    )
    .await;

    // id_token: header exactly {alg, kid}, claims exactly FranceConnect's eight.
    assert_eq!(keys(&segment(&r.raw_id_token, 0)), vec!["alg", "kid"]);
    assert_eq!(segment(&r.raw_id_token, 0)["alg"], "ES256");
    let payload = segment(&r.raw_id_token, 1);
    assert_eq!(
        keys(&payload),
        vec!["acr", "aud", "auth_time", "exp", "iat", "iss", "nonce", "sub"]
    );
    assert_eq!(payload["acr"], "eidas1");
    assert_eq!(payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(), 60);
    let sub = r.claims.subject().as_str().to_owned();
    assert_eq!(sub.len(), 66);
    assert!(sub.ends_with("v1") && sub[..64].bytes().all(|b| b.is_ascii_hexdigit()));

    // userinfo: application/jwt, signed like the id_token, the requested claims.
    let (status, ct, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/jwt"), "{ct}");
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["given_name"], "Camille Hélène");
    assert_eq!(info["given_name_array"], serde_json::json!(["Camille", "Hélène"]));
    assert_eq!(info["family_name"], "ROCHEFORT");
    assert_eq!(info["birthdate"], "1984-03-12");
    assert_eq!(info["idp_birthdate"], "1984-03-12");
    assert_eq!(info["gender"], "female");
    assert_eq!(info["birthplace"], "69123");
    assert_eq!(info["birthcountry"], "99100");
    assert_eq!(info["email"], "camille.rochefort@example.fr");
    assert_eq!(info["aud"], PUBLIC_CLIENT);
    assert_eq!(info["iss"], app.issuer());
    assert!(
        info.get("preferred_username").is_none(),
        "identite_pivot has no preferred_username"
    );
    assert_eq!(keys(&info).len(), 14);
}

#[tokio::test]
async fn sub_is_the_same_across_identity_providers_and_pairwise_across_entity_ids() {
    let app = TestApp::spawn().await;
    let public = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let private = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let family = app.rp(FAMILY_CLIENT, FAMILY_SECRET).await;
    let via_ameli = full_login(&app, &public, "camille-rochefort", "ameli", &["profile"]).await;
    let via_impots = full_login(&app, &public, "camille-rochefort", "impots", &["profile"]).await;
    let via_laposte = full_login(&app, &public, "camille-rochefort", "laposte", &["profile"]).await;
    assert_eq!(via_ameli.claims.subject(), via_impots.claims.subject());
    assert_eq!(via_ameli.claims.subject(), via_laposte.claims.subject());

    let at_private = full_login(&app, &private, "camille-rochefort", "ameli", &["profile"]).await;
    assert_ne!(
        via_ameli.claims.subject(),
        at_private.claims.subject(),
        "different entityIds must give different subs"
    );
    let at_family = full_login(&app, &family, "camille-rochefort", "ameli", &["profile"]).await;
    assert_eq!(
        via_ameli.claims.subject(),
        at_family.claims.subject(),
        "same entityId, same sub"
    );
}

#[tokio::test]
async fn a_divergent_identity_at_one_provider_gives_another_sub() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let impots = full_login(&app, &rp, "hugo-lambesc", "impots", &["identite_pivot"]).await;
    let ameli = full_login(&app, &rp, "hugo-lambesc", "ameli", &["identite_pivot"]).await;
    assert_ne!(impots.claims.subject(), ameli.claims.subject());
    let (_, _, info) = rp.userinfo(&Rp::access_token(&ameli)).await;
    assert_eq!(info["given_name"], "Hugo");
}

#[tokio::test]
async fn private_client_requires_the_consent_checkbox_and_signs_rs256() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile", "email"], &[]);
    let (login, password) = account(&app, "marie-lou-petitjean", "impots");
    let consent = to_consent(
        &app,
        &browser,
        &url,
        "impots",
        &[("login", &login), ("password", &password)],
    )
    .await;
    assert_eq!(consent.status, 200);
    assert!(
        consent.testid("consent-checkbox").is_some(),
        "private FS with identityConsent shows a checkbox"
    );
    assert!(
        consent
            .testid("consent-title")
            .unwrap()
            .contains("Médiathèque de Démoville")
    );
    assert_eq!(consent.testid("claim-preferred_username").as_deref(), Some("Kergoat"));
    let refused = browser.submit(&consent, "consent-continue", &[], &app.base).await;
    assert_eq!(refused.status, 400);
    assert!(refused.testid("consent-error").is_some());
    let back = browser
        .submit(&refused, "consent-continue", &[("consent", "true")], &app.base)
        .await;
    let q = query(back.location.as_deref().unwrap());
    let r = rp.redeem(&q["code"]).await.unwrap();
    assert_eq!(
        segment(&r.raw_id_token, 0)["alg"],
        "RS256",
        "the private demo client is registered with RS256"
    );
    // The RS256 userinfo goes through openidconnect's own verifier too.
    let info = rp
        .client
        .user_info(
            r.tokens.access_token().clone(),
            Some(SubjectIdentifier::new(r.claims.subject().to_string())),
        )
        .unwrap()
        .request_async::<openidconnect::EmptyAdditionalClaims, _, CoreGenderClaim>(&rp.http)
        .await
        .unwrap();
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("Kergoat"));
    assert_eq!(
        info.family_name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("PETITJEAN")
    );
}

#[tokio::test]
async fn public_client_gets_an_information_page_and_openid_alone_is_anonymous() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&[], &[]);
    let (login, password) = account(&app, "camille-rochefort", "msa");
    let page = to_consent(
        &app,
        &browser,
        &url,
        "msa",
        &[("login", &login), ("password", &password)],
    )
    .await;
    assert!(page.testid("consent-anonymous").is_some(), "{}", page.body);
    assert!(page.testid("consent-checkbox").is_none());
    let back = browser.submit(&page, "consent-continue", &[], &app.base).await;
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(keys(&info), vec!["aud", "exp", "iat", "iss", "sub"]);
}

#[tokio::test]
async fn sso_skips_wall_and_identity_provider_for_a_second_service_provider() {
    let app = TestApp::spawn().await;
    let first = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let second = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = first.authorize_url(&["profile"], &[]);
    let (login, password) = account(&app, "jean-baptiste-morvan", "impots");
    let back = interactive_login(&app, &browser, &url, "impots", &login, &password).await;
    assert!(back.location.unwrap().starts_with(REDIRECT));
    let (url2, _, _) = second.authorize_url(&["profile"], &[]);
    let page = browser.open(&url2, &app.base).await;
    assert!(
        page.testid("consent-continue").is_some(),
        "SSO goes straight to consent: {}",
        page.body
    );
    assert!(page.testid("idp-list").is_none());
    let back = browser
        .submit(&page, "consent-continue", &[("consent", "true")], &app.base)
        .await;
    let r = second
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let (_, _, info) = second.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(info["given_name"], "Jean-Baptiste Yves");
}

#[tokio::test]
async fn idp_hint_skips_the_wall() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[("idp_hint", "laposte")]);
    let page = app.browser().open(&url, &app.base).await;
    assert_eq!(
        page.testid("idp-title").as_deref(),
        Some("Se connecter avec L'Identité Numérique La Poste")
    );
    assert!(page.testid("idp-acr").is_some(), "La Poste offers several acr values");
}

#[tokio::test]
async fn headless_next_login_is_queued_per_client() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    let queued = http
        .post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": PUBLIC_CLIENT, "persona": "nadia-elmansouri", "idp": "laposte"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    // Another client is not affected: it gets the wall.
    let other = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let (url, _, _) = other.authorize_url(&["profile"], &[]);
    let wall = app.browser().open(&url, &app.base).await;
    assert!(wall.testid("idp-list").is_some());
    // The queued client completes without pages.
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let resp = app.browser().get(&url).await;
    assert_eq!(resp.status, 302);
    let loc = resp.location.unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query(&loc);
    assert_eq!(q["iss"], app.issuer());
    let r = rp.redeem(&q["code"]).await.unwrap();
    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(info["family_name"], "EL MANSOURI");
    assert_eq!(info["birthplace"], "");
    assert_eq!(info["birthcountry"], "99350");
    // The queue is consumed: the next authorize shows the wall again.
    let again = app.browser().open(&url, &app.base).await;
    assert!(again.testid("idp-list").is_some());
    // Validation still applies to headless logins.
    let bad = app
        .browser()
        .get(&app.authorize_url(&[("client_id", PUBLIC_CLIENT)]))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn next_login_rejects_unknown_persona_and_missing_account() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    let post = |body: Value| http.post(app.url("/_fcmock/api/next-login")).json(&body).send();
    let r = post(serde_json::json!({"client_id": PUBLIC_CLIENT, "persona": "nobody"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = post(serde_json::json!({"client_id": PUBLIC_CLIENT, "persona": "noe-fontvieille", "idp": "impots"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("ameli"));
}

#[tokio::test]
async fn auto_login_client_never_shows_pages() {
    let extra = r#"
clients:
  - client_id: ci-client
    client_secret: ci-secret
    name: "CI de la commune"
    redirect_uris: ["http://localhost:3000/callback"]
    auto_login: { persona: paul-antoine-santoni, idp: impots }
"#;
    let app = TestApp::spawn_with(&[extra]).await;
    let rp = app.rp("ci-client", "ci-secret").await;
    for _ in 0..2 {
        let (url, _, _) = rp.authorize_url(&["birth"], &[]);
        let resp = app.browser().get(&url).await;
        let q = query(resp.location.as_deref().unwrap());
        let r = rp.redeem(&q["code"]).await.unwrap();
        let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
        assert_eq!(info["birthplace"], "2A004");
    }
}

/// A browser logged in through La Poste for the public client: (browser,
/// the authorize URL, the verified login).
async fn logged_in_at_laposte(app: &TestApp) -> (Browser, String, LoginResult) {
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let (login, password) = account(app, "eloise-daubrecourt", "laposte");
    let back = interactive_login(app, &browser, &url, "laposte", &login, &password).await;
    let r = rp
        .redeem(&query(back.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    (browser, url, r)
}

#[tokio::test]
async fn logout_goes_through_the_identity_provider_and_back() {
    let app = TestApp::spawn().await;
    let (browser, url, r) = logged_in_at_laposte(&app).await;
    let logout = app.url(&format!(
        "/api/v2/session/end?id_token_hint={}&state=logout-state-123&post_logout_redirect_uri={}",
        r.raw_id_token,
        urlencode("http://localhost:3000/logout")
    ));
    let form = browser.open(&logout, &app.base).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let (action, fields) = form.form_of("auto-form");
    assert!(action.ends_with("/api/v2/client/disconnect-from-idp"));
    let to_idp = browser.post(&action, &fields).await;
    let idp_end = to_idp.location.clone().unwrap();
    assert!(idp_end.contains("/idp/laposte/session/end"), "{idp_end}");
    let q = query(&idp_end);
    assert_eq!(q["state"].len(), 64);
    assert!(q.contains_key("id_token_hint"));
    let confirm = browser.follow(to_idp, &app.base).await;
    let (action, fields) = confirm.form_of("auto-form");
    assert!(action.ends_with("/api/v2/session/end/confirm"));
    let done = browser.post(&action, &fields).await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location.as_deref(),
        Some("http://localhost:3000/logout?state=logout-state-123")
    );
    // The session is gone: a new authorize shows the wall, a second logout fails.
    let wall = browser.open(&url, &app.base).await;
    assert!(wall.testid("idp-list").is_some());
    let again = browser.open(&logout, &app.base).await;
    assert_eq!(again.error_code().as_deref(), Some("Y100019"));
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn cancelling_at_the_provider_returns_to_the_wall_then_access_denied() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let browser = app.browser();
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let wall = browser.open(&url, &app.base).await;
    let idp = browser.submit(&wall, "idp-ameli", &[], &app.base).await;
    let cancel = href_of(&idp, "idp-cancel");
    let wall_again = browser.open(&cancel, &app.base).await;
    assert!(
        wall_again.testid("wall-error").unwrap().contains("annulé"),
        "{}",
        wall_again.body
    );
    // "Revenir sur …" is a link: GET redirect-to-sp-with-error, answered 302
    // (fournisseur-service-retour.feature).
    let href = href_of(&wall_again, "back-to-sp-link");
    let back = browser.get(&href).await;
    assert_eq!(back.status, 302);
    let q = query(back.location.as_deref().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["error_description"], "User auth aborted");
    assert_eq!(q["state"], STATE);
}

#[tokio::test]
async fn rnipp_outcomes_are_franceconnect_error_pages() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    for (persona, code) in [
        ("solene-vauclair", "Y010008"),
        ("sophie-bernardin", "Y010006"),
        ("armand-delacourte", "Y010015"),
    ] {
        let browser = app.browser();
        let (url, _, _) = rp.authorize_url(&["profile"], &[]);
        let (login, password) = account(&app, persona, "impots");
        let page = interactive_login(&app, &browser, &url, "impots", &login, &password).await;
        assert_eq!(page.error_code().as_deref(), Some(code), "{persona}: {}", page.body);
        assert!(page.testid("back-to-sp-link").is_some());
    }
}

#[tokio::test]
async fn presumed_birthdates_are_completed_and_kept_raw() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    for (persona, completed, raw) in [
        ("ousmane-traore-ba", "1992-11-01", "1992-11-00"),
        ("thi-lan-vo", "1958-01-01", "1958-00-00"),
    ] {
        let r = full_login(&app, &rp, persona, "ameli", &["identite_pivot", "idp_birthdate"]).await;
        let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
        assert_eq!(info["birthdate"], completed);
        assert_eq!(info["idp_birthdate"], raw);
        assert_eq!(info["birthplace"], "", "born abroad");
    }
}

#[tokio::test]
async fn logout_without_state_redirects_to_the_normalised_uri() {
    // A post_logout_redirect_uri carrying CR/LF once gave a 303 with no
    // Location; it is normalised as it is with a state.
    let app = TestApp::spawn().await;
    let (browser, _, r) = logged_in_at_laposte(&app).await;
    let logout = app.url(&format!(
        "/api/v2/session/end?id_token_hint={}&post_logout_redirect_uri={}",
        r.raw_id_token,
        urlencode("http://localhost:3000/logout\r\nX-Injected: 1")
    ));
    let form = browser.open(&logout, &app.base).await;
    if form.error_code().is_some() {
        // Refused up front is as good: nothing reaches a header.
        return;
    }
    let (action, fields) = form.form_of("auto-form");
    let to_idp = browser.post(&action, &fields).await;
    let confirm = browser.follow(to_idp, &app.base).await;
    let (action, fields) = confirm.form_of("auto-form");
    let done = browser.post(&action, &fields).await;
    let location = done
        .location
        .unwrap_or_else(|| panic!("no Location: {} {}", done.status, done.body));
    assert!(!location.contains(['\r', '\n']), "{location:?}");
    assert!(location.starts_with("http://localhost:3000/logout"), "{location}");
}

#[tokio::test]
async fn the_token_endpoint_reads_form_bodies_only_and_keeps_the_code_otherwise() {
    let app = TestApp::spawn().await;
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={PUBLIC_CLIENT}&client_secret={PUBLIC_SECRET}",
        urlencode(REDIRECT)
    );
    let plain = plain_http()
        .post(format!("{}/token", app.issuer()))
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    // The code was not burnt by the malformed attempt.
    assert!(rp.redeem(&code).await.is_ok());
}

#[tokio::test]
async fn queued_logins_can_be_listed_and_cleared_and_a_refused_authorize_consumes_one() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    let api = |q: &str| app.url(&format!("/_fcmock/api/next-login{q}"));
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
    queue_login(&app, PUBLIC_CLIENT, "eloise-daubrecourt", "laposte").await;
    let listed = fetch_json(&api(&format!("?client_id={PUBLIC_CLIENT}"))).await;
    let personas: Vec<&str> = listed["queued"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["persona"].as_str())
        .collect();
    assert_eq!(personas, ["camille-rochefort", "eloise-daubrecourt"], "{listed}");
    assert_eq!(http.get(api("?client_id=nobody")).send().await.unwrap().status(), 404);
    assert_eq!(http.get(api("")).send().await.unwrap().status(), 400);

    // An authorize refused (no state: Y030007) consumes the first one, and says so.
    let mut params = valid_params(PUBLIC_CLIENT);
    params.retain(|(k, _)| *k != "state");
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app.browser().get(&app.authorize_url(&pairs)).await;
    assert_eq!(refused.error_code().as_deref(), Some("Y030007"), "{}", refused.body);
    assert!(refused.body.contains("camille-rochefort"), "{}", refused.body);
    let journal = fetch_json(&app.url("/_fcmock/api/journal?endpoint=fc.authorize")).await;
    let headers = journal["exchanges"][0]["response_headers"].to_string();
    assert!(headers.contains("dropped; persona=camille-rochefort"), "{headers}");
    let left = fetch_json(&api(&format!("?client_id={PUBLIC_CLIENT}"))).await;
    assert_eq!(left["queued"].as_array().map(Vec::len), Some(1), "{left}");

    // DELETE clears the rest: the next authorize shows the wall again.
    let cleared: Value = http
        .delete(api(&format!("?client_id={PUBLIC_CLIENT}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["dropped"], 1);
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let wall = app.browser().open(&url, &app.base).await;
    assert_eq!(wall.status, 200);
    assert!(wall.testid("idp-ameli").is_some(), "the wall, not a headless login");
}
