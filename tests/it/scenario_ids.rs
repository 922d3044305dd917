//! Scenario ids: the first scenario a user loads is `s1`, whatever the
//! magic personas' built-in scenarios; built-in ones are `persona-<id>` and
//! stay.

use serde_json::Value;

use crate::helpers::{TestApp, fetch_json, load_scenario, plain_http};

const AMELI_DOWN: &str = "name: ameli en panne\nfaults:\n  - at: idp.ameli.token\n    status: 503\n";

#[tokio::test]
async fn the_first_scenario_loaded_is_s1_and_built_in_ones_are_named_after_their_persona() {
    let app = TestApp::spawn().await;
    let listed = fetch_json(&app.url("/_fcmock/api/scenarios")).await;
    let builtin: Vec<String> = listed
        .as_array()
        .or_else(|| listed["scenarios"].as_array())
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    assert!(builtin.len() >= 10, "{listed}");
    assert!(builtin.iter().all(|id| id.starts_with("persona-")), "{builtin:?}");

    let id = load_scenario(&app, AMELI_DOWN).await;
    assert_eq!(id, "s1");
    assert_eq!(load_scenario(&app, AMELI_DOWN).await, "s2");
    let http = plain_http();
    let gone = http.delete(app.url("/_fcmock/api/scenarios/s1")).send().await.unwrap();
    assert!(gone.status().is_success(), "{}", gone.status());
    // A built-in scenario cannot be removed.
    let kept = http
        .delete(app.url(&format!("/_fcmock/api/scenarios/{}", builtin[0])))
        .send()
        .await
        .unwrap();
    assert!(kept.status().is_client_error(), "{}", kept.status());
    let after: Value = fetch_json(&app.url("/_fcmock/api/scenarios")).await;
    let text = after.to_string();
    assert!(
        !text.contains("\"s1\"") && text.contains("\"s2\"") && text.contains(&builtin[0]),
        "{text}"
    );
}
