//! Headless logins meet the identity provider's faults as a person would:
//! the same page for the browser, the same fault counters, the same journal
//! entries at the provider.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_headless_login_meets_an_identity_provider_outage() {
    let app = TestApp::spawn().await;
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/examples/ameli-en-panne.yaml"
    ))
    .unwrap();
    let id = load_scenario(&app, &yaml).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let page = app.browser().get(&url).await;
    // What the browser would have met at the callback: FranceConnect's page.
    assert_eq!(
        page.error_code().as_deref(),
        Some("Y020026"),
        "{} {}",
        page.status,
        page.body
    );
    // The fault fired once, and the journal saw the provider's 503 in this client's flow.
    let listed = fetch_json(&app.url("/_fcmock/api/scenarios")).await;
    let ours = listed
        .as_array()
        .or_else(|| listed["scenarios"].as_array())
        .and_then(|a| a.iter().find(|s| s["id"] == id.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(ours.to_string().contains("\"applied\":1"), "{ours}");
    let journal = fetch_json(&app.url(&format!(
        "/_fcmock/api/journal?endpoint=idp.ameli.token&client_id={PUBLIC_CLIENT}"
    )))
    .await;
    assert_eq!(journal["exchanges"][0]["status"], 503, "{journal}");

    // Through another provider, the same queued login works headless as before.
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "impots").await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let back = app.browser().get(&url).await;
    assert!(
        back.location.as_deref().unwrap_or_default().starts_with(REDIRECT),
        "{} {:?}",
        back.status,
        back.location
    );
}

#[tokio::test]
async fn magic_personas_meet_their_faults_headless() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let magic = magic_personas(&app, Some("ameli"));
    assert!(magic.len() >= 10, "{} magic personas", magic.len());
    for p in magic {
        let code = promised_code(&p.tags).unwrap();
        queue_login(&app, PUBLIC_CLIENT, &p.id, "ameli").await;
        let (url, _, _) = rp.authorize_url(&["profile"], &[]);
        let page = app.browser().open(&url, &app.base).await;
        assert_eq!(
            page.error_code(),
            Some(code.clone()),
            "{}: {} {}",
            p.id,
            page.status,
            page.body
        );
    }
    // Other personas log in headless as before.
    let ok = {
        queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
        let (url, _, _) = rp.authorize_url(&["profile"], &[]);
        app.browser().get(&url).await
    };
    assert!(
        ok.location.as_deref().unwrap_or_default().starts_with(REDIRECT),
        "{}",
        ok.status
    );
}
