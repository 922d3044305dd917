//! FranceConnect+ (`/fcplus/api/v2`): eidas2/eidas3, ES256, id_token and
//! userinfo signed then encrypted to the client's key, identity provider
//! values plus `rnipp_*` claims.

use fcmock::crypto::jwe::{self, PrivateKey};
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::Value;

use crate::helpers::*;

const ECDH_CLIENT: &str = "b7e4c1a9d2f85e36a0c9b4d7e1f28a5c3d6b9e0f2a4c7e1b8d5f3a6c9e2b4d7f";
const ECDH_SECRET: &str = "demo-secret-fcplus-mairie-0123456789abcdef0123456789abcdef";
const RSA_CLIENT: &str = "e2d5a8c1b4f7396e0a3d6c9b2e5f8a1d4c7b0e3f6a9d2c5b8e1f4a7d0c3b6e9a";
const RSA_SECRET: &str = "demo-secret-fcplus-banque-privee-fedcba9876543210fedcba987654";

fn plus_issuer(app: &TestApp) -> String {
    app.url("/fcplus/api/v2")
}

fn ec_key() -> PrivateKey {
    PrivateKey::Ec(p256::SecretKey::from_pkcs8_pem(include_str!("../../keys/fs-fcplus-ec.pem")).unwrap())
}

fn rsa_key() -> PrivateKey {
    use rsa::pkcs8::DecodePrivateKey as _;
    PrivateKey::Rsa(Box::new(
        rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("../../keys/fs-fcplus-rsa.pem")).unwrap(),
    ))
}

fn plus_authorize(app: &TestApp, client: &str, scope: &str, acr: Option<&str>) -> String {
    let mut u = url::Url::parse(&format!("{}/authorize", plus_issuer(app))).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", STATE)
        .append_pair("nonce", NONCE);
    if let Some(a) = acr {
        u.query_pairs_mut().append_pair("acr_values", a);
    }
    u.to_string()
}

/// Decrypts a JWE with `key`, checks its protected header, and verifies the
/// inner JWS against the FranceConnect+ JWKS; returns (JWE header, claims).
async fn open(
    app: &TestApp,
    jwe_text: &str,
    key: &PrivateKey,
    client: &str,
) -> (serde_json::Map<String, Value>, Value) {
    assert_eq!(jwe_text.split('.').count(), 5, "a compact JWE: {jwe_text}");
    let (header, payload) = jwe::decrypt(jwe_text, key).unwrap();
    assert_eq!(header["enc"], "A256GCM");
    assert_eq!(header["cty"], "JWT");
    assert_eq!(header["iss"], plus_issuer(app).as_str());
    assert_eq!(header["aud"], client);
    assert!(header.contains_key("kid"), "{header:?}");
    let jws = String::from_utf8(payload).unwrap();
    let inner = jsonwebtoken::decode_header(&jws).unwrap();
    assert_eq!(
        inner.alg,
        jsonwebtoken::Algorithm::ES256,
        "FranceConnect+ signs with ES256 only"
    );
    let claims = verify_jwt(&plain_http(), &plus_issuer(app), &jws, client).await;
    (header, claims)
}

/// Login through the browser, then the token call; returns the token response.
async fn login_plus(
    app: &TestApp,
    client: &str,
    secret: &str,
    scope: &str,
    acr: Option<&str>,
    persona: &str,
    idp: &str,
) -> Value {
    let browser = app.browser();
    let (login, password) = account(app, persona, idp);
    let url = plus_authorize(app, client, scope, acr);
    let back = interactive_login(app, &browser, &url, idp, &login, &password).await;
    let location = back.location.clone().unwrap_or_default();
    assert!(
        location.starts_with(REDIRECT),
        "{} {location}\n{}",
        back.status,
        back.body
    );
    let q = query(&location);
    assert_eq!(q["iss"], plus_issuer(app));
    plus_token(app, client, secret, &q["code"]).await
}

/// Redeems `code` at FranceConnect+'s token endpoint.
async fn plus_token(app: &TestApp, client: &str, secret: &str, code: &str) -> Value {
    let resp = plain_http()
        .post(format!("{}/token", plus_issuer(app)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn userinfo_plus(app: &TestApp, access_token: &str) -> (String, String) {
    let resp = plain_http()
        .get(format!("{}/userinfo", plus_issuer(app)))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (ct, resp.text().await.unwrap())
}

#[tokio::test]
async fn discovery_announces_the_high_platform() {
    let app = TestApp::spawn().await;
    let doc: Value = plain_http()
        .get(format!("{}/.well-known/openid-configuration", plus_issuer(&app)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], plus_issuer(&app).as_str());
    assert_eq!(doc["acr_values_supported"], serde_json::json!(["eidas2", "eidas3"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["id_token_encryption_alg_values_supported"],
        serde_json::json!(["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"])
    );
    assert_eq!(
        doc["userinfo_encryption_enc_values_supported"],
        serde_json::json!(["A256GCM"])
    );
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        scopes.contains(&"rnipp_identite_pivot") && scopes.contains(&"rnipp_given_name"),
        "{scopes:?}"
    );
    // Data scopes: the DGFiP's, the CNAM's and the CNOUS's only.
    assert!(
        scopes.contains(&"dgfip_rfr") && scopes.contains(&"cnous_statut_boursier"),
        "{scopes:?}"
    );
    assert!(!scopes.contains(&"cnaf_quotient_familial"), "{scopes:?}");
    // Its keys are its own: none of FranceConnect v2's signs here.
    let fc: Value = plain_http()
        .get(app.url("/api/v2/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let plus: Value = plain_http()
        .get(format!("{}/jwks", plus_issuer(&app)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids = |v: &Value| -> Vec<String> {
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(kids(&plus).iter().all(|k| !kids(&fc).contains(k)), "{plus} vs {fc}");
    assert!(plus["keys"].as_array().unwrap().iter().all(|k| k["kty"] == "EC"));
}

#[tokio::test]
async fn ecdh_es_journey_encrypts_id_token_and_userinfo_with_idp_values_and_rnipp_claims() {
    let app = TestApp::spawn().await;
    let tokens = login_plus(
        &app,
        ECDH_CLIENT,
        ECDH_SECRET,
        "openid given_name family_name birthdate rnipp_identite_pivot",
        Some("eidas2"),
        "alix-morange",
        "laposte",
    )
    .await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let (header, claims) = open(&app, id_token, &ec_key(), ECDH_CLIENT).await;
    assert_eq!(header["alg"], "ECDH-ES");
    assert!(
        header.contains_key("epk"),
        "ECDH-ES carries its ephemeral key: {header:?}"
    );
    assert_eq!(claims["acr"], "eidas2");
    assert_eq!(claims["nonce"], NONCE);
    // The sub is FranceConnect's (64 hex + v1), not the identity provider's.
    let sub = claims["sub"].as_str().unwrap();
    assert!(sub.ends_with("v1") && sub.len() == 66, "{sub}");

    let (ct, body) = userinfo_plus(&app, tokens["access_token"].as_str().unwrap()).await;
    assert!(ct.starts_with("application/jwt"), "{ct}");
    let (_, info) = open(&app, &body, &ec_key(), ECDH_CLIENT).await;
    assert_eq!(info["sub"], sub);
    // The identity provider's own values…
    assert_eq!(info["family_name"], "Morange");
    assert_eq!(info["given_name"], "Alix");
    // …and the RNIPP's, under rnipp_*.
    assert_eq!(info["rnipp_family_name"], "MORANGE");
    assert_eq!(info["rnipp_given_name"], "Alix");
    assert_eq!(info["rnipp_birthplace"], "13055");
    assert_eq!(info["rnipp_birthcountry"], "99100");
    assert_eq!(info["rnipp_gender"], "unspecified");
    // rnipp_identite_pivot also releases the provider's own claims, gender
    // included (fcp-high.scopes.ts).
    for claim in ["gender", "birthplace", "birthcountry"] {
        assert!(
            info.get(claim).is_some(),
            "{claim} comes with rnipp_identite_pivot: {info}"
        );
    }
    // rnipp_given_name brings rnipp_given_name_array; FranceConnect+ has no given_name_array.
    assert_eq!(info["rnipp_given_name_array"], serde_json::json!(["Alix"]));
    assert!(info.get("given_name_array").is_none(), "{info}");

    // The journal names FranceConnect+'s endpoints and keeps the login one flow.
    let j: Value = plain_http()
        .get(app.url(&format!(
            "/_fcmock/api/journal?endpoint=fcplus.authorize&client_id={ECDH_CLIENT}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flow = j["exchanges"][0]["flow"]
        .as_str()
        .unwrap_or_else(|| panic!("{j}"))
        .to_owned();
    let all: Value = plain_http()
        .get(app.url(&format!("/_fcmock/api/journal?flow={flow}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoints: Vec<&str> = all["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    for want in [
        "fcplus.authorize",
        "fcplus.interaction",
        "idp.laposte.authorize",
        "fcplus.oidc-callback",
        "fcplus.interaction.verify",
        "fcplus.token",
        "fcplus.userinfo",
    ] {
        assert!(endpoints.contains(&want), "{want} missing from {endpoints:?}");
    }
}

#[tokio::test]
async fn rsa_oaep_256_journey_at_eidas3_and_the_wall_greys_out_providers_below_it() {
    let app = TestApp::spawn().await;
    // Wall: only the FC+ providers, La Poste (max eidas2) greyed out at eidas3.
    let browser = app.browser();
    let wall = browser
        .open(
            &plus_authorize(&app, RSA_CLIENT, "openid given_name rnipp_given_name", Some("eidas3")),
            &app.base,
        )
        .await;
    assert_eq!(wall.status, 200, "{}", wall.body);
    let html = wall.html();
    let button = |id: &str| {
        html.select(&scraper::Selector::parse(&format!("[data-testid=idp-{id}]")).unwrap())
            .next()
            .map(|b| b.value().attr("disabled").is_some())
    };
    assert_eq!(button("laposte"), Some(true), "La Poste stops at eidas2");
    assert_eq!(button("franceidentite"), Some(false));
    assert_eq!(button("impots"), None, "impots.gouv.fr is not on FranceConnect+");
    // Forcing the greyed-out provider is refused.
    let forced = browser
        .submit(&wall, "idp-franceidentite", &[("providerUid", "laposte")], &app.base)
        .await;
    assert_eq!(forced.error_code().as_deref(), Some("Y020017"), "{}", forced.body);

    let tokens = login_plus(
        &app,
        RSA_CLIENT,
        RSA_SECRET,
        "openid given_name rnipp_given_name",
        Some("eidas3"),
        "alix-morange",
        "franceidentite",
    )
    .await;
    let (header, claims) = open(&app, tokens["id_token"].as_str().unwrap(), &rsa_key(), RSA_CLIENT).await;
    assert_eq!(header["alg"], "RSA-OAEP-256");
    assert_eq!(claims["acr"], "eidas3");
    let (_, body) = userinfo_plus(&app, tokens["access_token"].as_str().unwrap()).await;
    let (_, info) = open(&app, &body, &rsa_key(), RSA_CLIENT).await;
    assert_eq!(info["given_name"], "Alix");
    assert_eq!(info["rnipp_given_name_array"], serde_json::json!(["Alix"]));
}

#[tokio::test]
async fn rsa_oaep_key_from_the_clients_jwks_uri() {
    let rsa = rsa_key();
    let jwk = rsa.public().to_jwk().unwrap();
    let mut jwk = jwk.as_object().unwrap().clone();
    jwk.insert("kid".into(), "fs-enc-1".into());
    jwk.insert("use".into(), "enc".into());
    // A tiny server plays the service provider's published encryption keys.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let body = serde_json::json!({"keys": [Value::Object(jwk)]});
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetches.clone();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                axum::Json(body)
            }),
        );
        axum::serve(listener, app).await.unwrap();
    });
    let extra = format!(
        r#"clients:
  - client_id: "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"
    client_secret: "secret-of-the-jwks-uri-client-0123456789abcdef0123456789abcdef"
    name: "FS with a jwks_uri"
    entity_id: "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"
    platform: fcplus
    redirect_uris: ["{REDIRECT}"]
    allow_localhost_redirects: true
    signing_alg: ES256
    encryption_alg: RSA-OAEP
    jwks_uri: "{jwks_url}"
"#
    );
    let app = TestApp::spawn_with(&[&extra]).await;
    let client = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed";
    let secret = "secret-of-the-jwks-uri-client-0123456789abcdef0123456789abcdef";
    let login = || {
        login_plus(
            &app,
            client,
            secret,
            "openid family_name",
            Some("eidas2"),
            "alix-morange",
            "laposte",
        )
    };
    let tokens = login().await;
    let (header, _) = open(&app, tokens["id_token"].as_str().unwrap(), &rsa, client).await;
    assert_eq!(header["alg"], "RSA-OAEP");
    assert_eq!(header["kid"], "fs-enc-1");
    let (ctype, body) = userinfo_plus(&app, tokens["access_token"].as_str().unwrap()).await;
    assert!(ctype.starts_with("application/jwt"), "{ctype}");
    let (header, _) = open(&app, &body, &rsa, client).await;
    assert_eq!(header["kid"], "fs-enc-1");
    // The token and userinfo answers shared one fetch of the client's JWKS…
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    // …which is fetched again once it is a minute old.
    let r = plain_http()
        .post(app.url("/_fcmock/api/clock"))
        .json(&serde_json::json!({"advance_seconds": 61}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let tokens = login().await;
    assert!(tokens["id_token"].is_string());
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_client_belongs_to_one_platform() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    // A FranceConnect v2 client on FranceConnect+…
    let page = browser
        .open(
            &plus_authorize(&app, PUBLIC_CLIENT, "openid given_name", Some("eidas2")),
            &app.base,
        )
        .await;
    assert_eq!(page.error_code().as_deref(), Some("Y04EA6EF"), "{}", page.body);
    assert!(
        page.body.contains("FranceConnect+"),
        "the page says which platform: {}",
        page.body
    );
    // …and a FranceConnect+ client on FranceConnect v2.
    let page = browser
        .open(
            &app.authorize_url(&[
                ("response_type", "code"),
                ("client_id", ECDH_CLIENT),
                ("redirect_uri", REDIRECT),
                ("scope", "openid given_name"),
                ("state", STATE),
                ("nonce", NONCE),
                ("acr_values", "eidas1"),
            ]),
            &app.base,
        )
        .await;
    assert_eq!(page.error_code().as_deref(), Some("Y04EA6EF"), "{}", page.body);
    // rnipp_* scopes exist only on FranceConnect+: FranceConnect v2 ignores
    // them as it ignores every unknown scope.
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let result = full_login(
        &app,
        &rp,
        "alix-morange",
        "laposte",
        &["given_name", "family_name", "rnipp_family_name"],
    )
    .await;
    let (status, _, info) = rp.userinfo(&Rp::access_token(&result)).await;
    assert_eq!(status, 200);
    assert_eq!(
        info["family_name"], "MORANGE",
        "FranceConnect v2 sends the RNIPP's values"
    );
    assert!(info.get("rnipp_family_name").is_none(), "{info}");
}

#[tokio::test]
async fn sso_only_at_eidas2() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let (login, password) = account(&app, "alix-morange", "franceidentite");
    let url = plus_authorize(&app, ECDH_CLIENT, "openid given_name", Some("eidas2"));
    let back = interactive_login(&app, &browser, &url, "franceidentite", &login, &password).await;
    assert!(back.location.unwrap_or_default().starts_with(REDIRECT));
    // Again at eidas2: the session carries over.
    let again = browser.open(&url, &app.base).await;
    assert!(
        again.testid("idp-list").is_none(),
        "eidas2 reuses the session: {}",
        again.body
    );
    assert!(
        again.location.as_deref().unwrap_or_default().starts_with(REDIRECT)
            || again.testid("consent-continue").is_some(),
        "{} {:?}\n{}",
        again.status,
        again.location,
        again.body
    );
    // At eidas3: the citizen authenticates again.
    let high = browser
        .open(
            &plus_authorize(&app, RSA_CLIENT, "openid given_name", Some("eidas3")),
            &app.base,
        )
        .await;
    assert!(
        high.testid("idp-list").is_some(),
        "eidas3 never reuses a session: {}",
        high.body
    );
    // And the FranceConnect v2 session is a different one: the FC+ login does not open it.
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (fc_url, _, _) = rp.authorize_url(&["given_name"], &[]);
    let fc = browser.open(&fc_url, &app.base).await;
    assert!(fc.testid("idp-list").is_some(), "{}", fc.body);
}

/// checktoken at `issuer` as the DGFiP calls it: decrypted with its key, verified on the issuer's JWKS.
async fn dgfip_checktoken(issuer: &str, access_token: &str) -> Value {
    const DGFIP: &str = "dp-dgfip-6a1f0e3c9b8d47e2a5c4f1b0d9e8c7a6";
    let resp = plain_http()
        .post(format!("{issuer}/checktoken"))
        .form(&[
            ("token", access_token),
            ("client_id", DGFIP),
            ("client_secret", "dp-secret-dgfip-0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    let der = pem::parse(include_str!("../../keys/dp-dgfip-ecdh.pem"))
        .unwrap()
        .contents()
        .to_vec();
    let dgfip = PrivateKey::Ec(<p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der).unwrap());
    let (_, jws) = jwe::decrypt(&body, &dgfip).unwrap();
    verify_jwt(&plain_http(), issuer, std::str::from_utf8(&jws).unwrap(), DGFIP).await
}

#[tokio::test]
async fn headless_login_and_checktoken_on_franceconnect_plus() {
    let app = TestApp::spawn().await;
    let queued = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": ECDH_CLIENT, "persona": "alix-morange", "idp": "laposte"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    let refused = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": ECDH_CLIENT, "persona": "jean-baptiste-morvan", "idp": "impots"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let why = refused.text().await.unwrap();
    assert!(why.contains("is not on FranceConnect+"), "{why}");
    let page = app
        .browser()
        .get(&plus_authorize(
            &app,
            ECDH_CLIENT,
            "openid family_name dgfip_rfr",
            Some("eidas2"),
        ))
        .await;
    let location = page.location.unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}\n{}", page.body);
    let code = query(&location)["code"].clone();
    let tokens = plus_token(&app, ECDH_CLIENT, ECDH_SECRET, &code).await;
    let (_, claims) = open(&app, tokens["id_token"].as_str().unwrap(), &ec_key(), ECDH_CLIENT).await;
    assert_eq!(claims["acr"], "eidas2");
    // The DGFiP checks the FranceConnect+ access token on FranceConnect+…
    let access = tokens["access_token"].as_str().unwrap();
    let intro = dgfip_checktoken(&plus_issuer(&app), access).await;
    assert_eq!(intro["token_introspection"]["active"], true);
    // …and the same token means nothing to FranceConnect v2.
    let intro = dgfip_checktoken(&app.issuer(), access).await;
    assert_eq!(intro["token_introspection"]["active"], false, "{intro}");
    // Logging out with the encrypted id_token as the hint: the page says to
    // send the decrypted JWS.
    let jwe = tokens["id_token"].as_str().unwrap();
    let mut logout = url::Url::parse(&format!("{}/session/end", plus_issuer(&app))).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", jwe)
        .append_pair("state", "etat-de-deconnexion-0123456789abcdef")
        .append_pair("post_logout_redirect_uri", "http://localhost:3000/");
    let page = app.browser().get(logout.as_str()).await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
    let detail = page.testid("error-detail").unwrap_or_default();
    assert!(detail.contains("envoyez l'id_token déchiffré"), "{detail}");
}

#[tokio::test]
async fn acr_values_lowest_wins_unknown_means_eidas3() {
    let app = TestApp::spawn().await;
    let laposte_enabled = |acr: &'static str| {
        let app = &app;
        async move {
            let wall = app
                .browser()
                .open(
                    &plus_authorize(app, ECDH_CLIENT, "openid given_name", Some(acr)),
                    &app.base,
                )
                .await;
            assert_eq!(wall.status, 200, "{acr}: {}", wall.body);
            let html = wall.html();
            let sel = scraper::Selector::parse("[data-testid=idp-laposte]").unwrap();
            html.select(&sel).next().unwrap().value().attr("disabled").is_none()
        }
    };
    assert!(
        laposte_enabled("eidas3 eidas2").await,
        "several values: the lowest, eidas2"
    );
    assert!(laposte_enabled("eidas2").await);
    assert!(!laposte_enabled("eidas3").await);
    assert!(!laposte_enabled("eidas9").await, "unknown: eidas3");
}

#[tokio::test]
async fn acr_values_is_mandatory_and_eidas1_is_refused_on_franceconnect_plus() {
    let app = TestApp::spawn().await;
    // Absent: page Y030007 (api-authorize.feature @fcpHigh; authorize-params.dto.ts
    // has no @IsOptional on acr_values).
    let page = app
        .browser()
        .get(&plus_authorize(&app, ECDH_CLIENT, "openid given_name", None))
        .await;
    assert_eq!(page.error_code().as_deref(), Some("Y030007"), "{}", page.body);
    // eidas1 alone, with an unknown value, or in a list: invalid_acr at the
    // service provider (connexion-acr-fcp-high.feature, "niveau non autorisé").
    for acr in ["eidas1", "eidas1 inconnu", "eidas1 eidas2 eidas3"] {
        let page = app
            .browser()
            .get(&plus_authorize(&app, ECDH_CLIENT, "openid given_name", Some(acr)))
            .await;
        let location = page
            .location
            .as_deref()
            .unwrap_or_else(|| panic!("{acr}: {}", page.body));
        assert!(location.starts_with(REDIRECT), "{acr}: {location}");
        let q = query(location);
        assert_eq!(q["error"], "invalid_acr", "{acr}");
        assert_eq!(
            q["error_description"],
            "acr_value is not valid, should be equal one of these values, expected eidas2,eidas3, got eidas1",
            "{acr}"
        );
        assert_eq!(q["state"], STATE);
    }
}

#[tokio::test]
async fn the_franceconnect_plus_path_is_configurable() {
    let app = TestApp::spawn_with(&["platform:\n  fcplus_path: /haut/api/v2\n"]).await;
    let doc: Value = plain_http()
        .get(app.url("/haut/api/v2/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.url("/haut/api/v2").as_str());
    assert_eq!(
        doc["authorization_endpoint"],
        app.url("/haut/api/v2/authorize").as_str()
    );
    let old = plain_http()
        .get(app.url("/fcplus/api/v2/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    // A login goes through it, identity provider round trip included.
    let browser = app.browser();
    let (login, password) = account(&app, "alix-morange", "laposte");
    let mut url = url::Url::parse(&app.url("/haut/api/v2/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", ECDH_CLIENT)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid given_name")
        .append_pair("state", STATE)
        .append_pair("nonce", NONCE)
        .append_pair("acr_values", "eidas2");
    let back = interactive_login(&app, &browser, url.as_str(), "laposte", &login, &password).await;
    let location = back.location.unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}\n{}", back.body);
    assert_eq!(query(&location)["iss"], app.url("/haut/api/v2"));
    // A path that overlaps fcmock's own is refused with its line.
    let err = fcmock::config::load(
        &[fcmock::config::Source {
            name: "p.yaml".into(),
            text: "platform:\n  sub_secret: 0123456789abcdef0123\n  fcplus_path: /api/v2/plus\n".into(),
        }],
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("p.yaml:3: platform.fcplus_path") && err.contains("overlaps `/api/v2`"),
        "{err}"
    );
}

#[tokio::test]
async fn sso_after_an_eidas3_login_answers_eidas2_to_a_service_asking_eidas2() {
    // connexion-sso-fcp-high.feature, "1er FS demande de l'élevé et 2ème FS
    // demande du substantiel": the second service gets acr eidas2.
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let (login, password) = account(&app, "alix-morange", "franceidentite");
    let first = plus_authorize(&app, RSA_CLIENT, "openid given_name", Some("eidas3"));
    let back = interactive_login(&app, &browser, &first, "franceidentite", &login, &password).await;
    assert!(back.location.unwrap_or_default().starts_with(REDIRECT));
    // The second service, same browser, at eidas2: no wall, straight back (or consent).
    let second = plus_authorize(&app, ECDH_CLIENT, "openid given_name", Some("eidas2"));
    let mut page = browser.open(&second, &app.base).await;
    if page.testid("consent-continue").is_some() {
        let checkbox = page.testid("consent-checkbox").is_some();
        let extra: &[(&str, &str)] = if checkbox { &[("consent", "true")] } else { &[] };
        page = browser.submit(&page, "consent-continue", extra, &app.base).await;
    }
    let location = page.location.clone().unwrap_or_else(|| panic!("{}", page.body));
    let code = query(&location)["code"].clone();
    let tokens = plus_token(&app, ECDH_CLIENT, ECDH_SECRET, &code).await;
    let (_, claims) = open(&app, tokens["id_token"].as_str().unwrap(), &ec_key(), ECDH_CLIENT).await;
    assert_eq!(claims["acr"], "eidas2", "{claims:?}");
}
