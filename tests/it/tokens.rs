//! Token, userinfo, revocation and key publication.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

async fn code_for(app: &TestApp, rp: &Rp, persona: &str, idp: &str) -> String {
    let http = plain_http();
    http.post(app.url("/_fcmock/api/next-login"))
        .json(&serde_json::json!({"client_id": rp.client_id, "persona": persona, "idp": idp}))
        .send()
        .await
        .unwrap();
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let resp = app.browser().get(&url).await;
    query(resp.location.as_deref().unwrap())["code"].clone()
}

async fn token_call(app: &TestApp, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = plain_http()
        .post(format!("{}/token", app.issuer()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

fn redeem_form<'a>(code: &'a str, secret: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", PUBLIC_CLIENT),
        ("client_secret", secret),
    ]
}

#[tokio::test]
async fn token_response_has_exactly_five_keys_and_no_cookie() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    assert_eq!(code.len(), 43);
    let (status, headers, body) = token_call(&app, &redeem_form(&code, PUBLIC_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec!["access_token", "expires_in", "id_token", "scope", "token_type"]
    );
    assert_eq!(body["expires_in"], 60);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid identite_pivot");
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_the_token() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    let first = rp.redeem(&code).await.unwrap();
    let at = Rp::access_token(&first);
    assert_eq!(rp.userinfo(&at).await.0, 200);
    let (status, _, body) = token_call(&app, &redeem_form(&code, PUBLIC_SECRET)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "grant request is invalid (authorization code not found)"
    );
    assert!(body["error_uri"].as_str().unwrap().contains("code=Y049E20B"));
    assert_eq!(
        rp.userinfo(&at).await.0,
        401,
        "the replay revoked the first access token"
    );
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_succeed_exactly_once() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    let form: Vec<(String, String)> = redeem_form(&code, PUBLIC_SECRET)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let url = format!("{}/token", app.issuer());
            let form = form.clone();
            tokio::spawn(async move {
                plain_http()
                    .post(url)
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
}

#[tokio::test]
async fn codes_expire_after_30_seconds_on_the_injected_clock() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    app.clock.advance(Duration::from_secs(31));
    let (status, _, body) = token_call(&app, &redeem_form(&code, PUBLIC_SECRET)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    // 29 seconds is still fine.
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    app.clock.advance(Duration::from_secs(29));
    let (status, _, _) = token_call(&app, &redeem_form(&code, PUBLIC_SECRET)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn client_authentication_errors() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let code = code_for(&app, &rp, "camille-rochefort", "ameli").await;
    let (status, _, body) = token_call(&app, &redeem_form(&code, "wrong")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(
        body["error_description"],
        "client authentication failed (invalid secret provided)"
    );
    assert!(body["error_uri"].as_str().unwrap().starts_with(
        "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code=Y0434A7B&id="
    ));
    // client_secret_basic is refused: FranceConnect registers client_secret_post.
    let resp = plain_http()
        .post(format!("{}/token", app.issuer()))
        .basic_auth(PUBLIC_CLIENT, Some(PUBLIC_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("token_endpoint_auth_method")
    );
    // Missing code.
    let (status, _, body) = token_call(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("client_id", PUBLIC_CLIENT),
            ("client_secret", PUBLIC_SECRET),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error_uri"].as_str().unwrap().contains("code=Y048017B"));
}

#[tokio::test]
async fn userinfo_errors_and_expiry() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = rp
        .redeem(&code_for(&app, &rp, "camille-rochefort", "ameli").await)
        .await
        .unwrap();
    let at = Rp::access_token(&r);
    let none = plain_http()
        .get(format!("{}/userinfo", app.issuer()))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert!(
        none.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert!(body["error_uri"].as_str().unwrap().contains("Y04146A2"));
    let (status, _, body) = rp.userinfo("not-a-token").await;
    assert_eq!(
        (status.as_u16(), body["error_description"].as_str()),
        (401, Some("invalid token provided (access token not found)"))
    );
    // The token also works in the query string, as on FranceConnect.
    let q = plain_http()
        .get(format!("{}/userinfo?access_token={at}", app.issuer()))
        .send()
        .await
        .unwrap();
    assert_eq!(q.status(), 200);
    app.clock.advance(Duration::from_secs(61));
    let (status, _, body) = rp.userinfo(&at).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error_description"],
        "invalid token provided (access token is expired)"
    );
}

#[tokio::test]
async fn revocation_ends_an_access_token() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = rp
        .redeem(&code_for(&app, &rp, "camille-rochefort", "ameli").await)
        .await
        .unwrap();
    let at = Rp::access_token(&r);
    let resp = plain_http()
        .post(format!("{}/token/revocation", app.issuer()))
        .form(&[
            ("token", at.as_str()),
            ("client_id", PUBLIC_CLIENT),
            ("client_secret", PUBLIC_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(rp.userinfo(&at).await.0, 401);
}

#[tokio::test]
async fn no_jwks_ever_serves_private_key_material() {
    let app = TestApp::spawn().await;
    let http = plain_http();
    let mut urls = vec![
        format!("{}/jwks", app.issuer()),
        format!("{}/client/.well-known/keys", app.issuer()),
        app.url("/fcplus/api/v2/jwks"),
    ];
    for idp in ["impots", "ameli", "laposte", "msa", "franceidentite"] {
        urls.push(app.url(&format!("/idp/{idp}/jwks")));
    }
    let mut seen = 0;
    for u in urls {
        let jwks: Value = http.get(&u).send().await.unwrap().json().await.unwrap();
        for key in jwks["keys"].as_array().unwrap() {
            seen += 1;
            assert!(key["kid"].is_string(), "{u}: every key has a kid");
            for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                assert!(key.get(private).is_none(), "{u} serves private member `{private}`");
            }
        }
    }
    assert_eq!(seen, 8);
}

#[tokio::test]
async fn discovery_matches_franceconnect_v2() {
    let app = TestApp::spawn().await;
    let d: Value = plain_http()
        .get(format!("{}/.well-known/openid-configuration", app.issuer()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], app.issuer());
    assert_eq!(d["acr_values_supported"], serde_json::json!(["eidas1"]));
    assert_eq!(d["subject_types_supported"], serde_json::json!(["pairwise"]));
    let scopes: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in ["openid", "profile", "preferred_username", "idp_birthdate"] {
        assert!(scopes.contains(&s));
    }
    assert!(!scopes.contains(&"address") && !scopes.contains(&"offline_access"));
    let claims: Vec<&str> = d["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for c in ["sub", "given_name", "given_name_array", "amr", "acr"] {
        assert!(claims.contains(&c));
    }
    let health = plain_http().get(app.url("/_fcmock/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
