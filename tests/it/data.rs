//! Data providers: checktoken and the DGFiP and CNAF mocks, end to end.

use std::time::Duration;

use fcmock::crypto::jwe::{self, PrivateKey};
use serde_json::{Value, json};

use crate::helpers::*;

const DGFIP_ID: &str = "dp-dgfip-6a1f0e3c9b8d47e2a5c4f1b0d9e8c7a6";
const DGFIP_SECRET: &str = "dp-secret-dgfip-0123456789abcdef0123456789abcdef";
const CNAF_ID: &str = "dp-cnaf-2b7e9d4c1a3f48e6b0d5c9a8f7e6d5c4";
const CNAF_SECRET: &str = "dp-secret-cnaf-fedcba9876543210fedcba9876543210";

/// A headless login of `persona` at the public demo client with `scopes`; the access token.
async fn access_token(app: &TestApp, persona: &str, idp: &str, scopes: &[&str]) -> (Rp, String, String) {
    queue_login(app, PUBLIC_CLIENT, persona, idp).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(scopes, &[]);
    let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
    let r = rp.redeem(&code).await.unwrap();
    let sub = r.claims.subject().to_string();
    (rp, Rp::access_token(&r), sub)
}

async fn call(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = plain_http().get(app.url(path)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn checktoken(app: &TestApp, token: &str, id: &str, secret: &str) -> reqwest::Response {
    plain_http()
        .post(format!("{}/checktoken", app.issuer()))
        .form(&[("token", token), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
}

fn dp_key(name: &str) -> PrivateKey {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys").join(name)).unwrap();
    let der = pem::parse(text).unwrap().contents().to_vec();
    match <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der) {
        Ok(k) => PrivateKey::Ec(k),
        Err(_) => PrivateKey::Rsa(Box::new(
            <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der).unwrap(),
        )),
    }
}

#[tokio::test]
async fn checktoken_answers_a_signed_then_encrypted_introspection() {
    let app = TestApp::spawn().await;
    let (_, at, fs_sub) = access_token(
        &app,
        "camille-rochefort",
        "ameli",
        &["identite_pivot", "dgfip_rfr", "cnaf_enfants"],
    )
    .await;
    let resp = checktoken(&app, &at, DGFIP_ID, DGFIP_SECRET).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/token-introspection+jwt");
    let body = resp.text().await.unwrap();
    // As the DGFiP would: decrypt with its key, verify FranceConnect's signature on the JWKS.
    let (header, jws) = jwe::decrypt(&body, &dp_key("dp-dgfip-ecdh.pem")).unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["enc"].as_str()),
        (Some("ECDH-ES"), Some("A256GCM"))
    );
    assert!(header.contains_key("epk"));
    let claims = verify_jwt(
        &plain_http(),
        &app.issuer(),
        std::str::from_utf8(&jws).unwrap(),
        DGFIP_ID,
    )
    .await;
    let mut keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["aud", "iat", "iss", "token_introspection"]);
    let ti = &claims["token_introspection"];
    assert_eq!(ti["active"], true);
    assert_eq!(ti["aud"], PUBLIC_CLIENT);
    assert_eq!(ti["scope"], "dgfip_rfr", "requested ∩ the data provider's scopes");
    assert_eq!(ti["family_name"], "ROCHEFORT");
    assert!(ti["sub"].as_str().unwrap().ends_with("v1"));
    assert_ne!(
        ti["sub"].as_str().unwrap(),
        fs_sub,
        "the data provider has a sub of its own"
    );
    assert!(ti["exp"].as_i64().unwrap() - ti["iat"].as_i64().unwrap() == 60);
    // jti is the access token itself (data-provider.service.ts l.77).
    assert_eq!(ti["jti"], at.as_str());

    // The CNAF's answer is encrypted with RSA-OAEP-256 to its RSA key.
    let body = checktoken(&app, &at, CNAF_ID, CNAF_SECRET).await.text().await.unwrap();
    let (header, _) = jwe::decrypt(&body, &dp_key("dp-cnaf-rsa.pem")).unwrap();
    assert_eq!(header["alg"], "RSA-OAEP-256");
    assert!(
        jwe::decrypt(&body, &dp_key("dp-dgfip-ecdh.pem")).is_err(),
        "another provider cannot read it"
    );
}

#[tokio::test]
async fn checktoken_errors_and_inactive_tokens() {
    let app = TestApp::spawn().await;
    let (_, at, _) = access_token(&app, "camille-rochefort", "ameli", &["dgfip_rfr"]).await;
    let wrong = checktoken(&app, &at, DGFIP_ID, "wrong").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_client");
    let missing = plain_http()
        .post(format!("{}/checktoken", app.issuer()))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "invalid_request");
    for token in ["unknown-token", at.as_str()] {
        if token == at {
            app.clock.advance(Duration::from_secs(61));
        }
        let body = checktoken(&app, token, DGFIP_ID, DGFIP_SECRET)
            .await
            .text()
            .await
            .unwrap();
        let (_, jws) = jwe::decrypt(&body, &dp_key("dp-dgfip-ecdh.pem")).unwrap();
        let claims = verify_jwt(
            &plain_http(),
            &app.issuer(),
            std::str::from_utf8(&jws).unwrap(),
            DGFIP_ID,
        )
        .await;
        assert_eq!(claims["token_introspection"], json!({"active": false}), "{token}");
    }
}

#[tokio::test]
async fn prefill_the_childcare_form_from_the_tax_notice() {
    let app = TestApp::spawn().await;
    let (_, at, _) = access_token(
        &app,
        "camille-rochefort",
        "impots",
        &["identite_pivot", "dgfip_rfr", "dgfip_nbpart", "dgfip_aft", "dgfip_decl"],
    )
    .await;
    let (status, notice) = call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2025", &at).await;
    assert_eq!(status, 200, "{notice}");
    assert_eq!(notice["rfr"], 52380);
    assert_eq!(notice["nbPart"], 3.0);
    assert_eq!(notice["aftDetail"]["codePostal"], "69003");
    assert_eq!(notice["nmNaiDec1"], "ROCHEFORT");
    assert_eq!(notice["prnmDec2"], "Olivier");
    assert!(
        notice.get("sitFam").is_none(),
        "dgfip_sitfam was not granted: no sitFam"
    );
    let (status, _) = call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2010", &at).await;
    assert_eq!(status, 404, "no notice for that year");

    // The journal links the data provider's checktoken call to the login.
    let j: Value = plain_http()
        .get(app.url("/_fcmock/api/journal?endpoint=fc.checktoken"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["exchanges"][0]["from"], "data_provider");
    assert!(
        j["exchanges"][0]["flow"].is_string(),
        "checktoken is linked to the login"
    );

    // The token expires: checktoken says inactive, the provider answers 401.
    app.clock.advance(Duration::from_secs(61));
    let (status, err) = call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2025", &at).await;
    assert_eq!(status, 401, "{err}");
    assert_eq!(err["error"], "invalid_token");
}

#[tokio::test]
async fn data_provider_errors() {
    let app = TestApp::spawn().await;
    let (status, _) = call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2025", "not-a-token").await;
    assert_eq!(status, 401);
    let no_header = plain_http()
        .get(app.url("/dp/dgfip/situations/ir/assiettes/annrev/2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 401);
    // No dgfip scope at all.
    let (_, at, _) = access_token(&app, "camille-rochefort", "ameli", &["identite_pivot"]).await;
    assert_eq!(
        call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2025", &at).await.0,
        403
    );
    // A persona without a tax household.
    let (_, at, _) = access_token(&app, "alix-morange", "laposte", &["dgfip_rfr"]).await;
    assert_eq!(
        call(&app, "/dp/dgfip/situations/ir/assiettes/annrev/2025", &at).await.0,
        404
    );
}

#[tokio::test]
async fn cnaf_quotient_familial_with_rsa_oaep_256() {
    let app = TestApp::spawn().await;
    let (_, at, _) = access_token(
        &app,
        "rui-carvalhinho",
        "ameli",
        &["identite_pivot", "cnaf_quotient_familial", "cnaf_enfants"],
    )
    .await;
    let (status, qf) = call(&app, "/dp/cnaf/quotient-familial", &at).await;
    assert_eq!(status, 200, "{qf}");
    assert_eq!(qf["regime"], "CNAF");
    assert_eq!(qf["quotientFamilial"], 640);
    assert_eq!(qf["enfants"].as_array().unwrap().len(), 3);
    assert_eq!(qf["enfants"][0]["prenoms"], "Léna");
    assert!(
        qf.get("allocataires").is_none() && qf.get("adresse").is_none(),
        "not granted"
    );
    let jwks: Value = plain_http()
        .get(app.url("/dp/cnaf/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(jwks["keys"][0].get("d").is_none());
}
