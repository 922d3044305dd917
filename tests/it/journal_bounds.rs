//! The journal's memory bounds: a byte budget whatever unauthenticated
//! callers send, per-exchange limits marked as truncation, and large
//! responses served whole.

use serde_json::Value;

use crate::helpers::{TestApp, fetch_json, plain_http};

const BODY_KEEP: usize = fcmock::journal::record::BODY_KEEP;

#[tokio::test]
async fn hostile_requests_keep_the_journal_within_its_byte_budget() {
    let app = TestApp::spawn_with(&["platform:\n  journal_mib: 1\n"]).await;
    let http = plain_http();
    let header = "h".repeat(40 * 1024);
    let body = "b".repeat(60 * 1024);
    let path = format!("/api/v2/nowhere?{}", "q=".repeat(3000));
    for _ in 0..200 {
        let r = http
            .post(app.url(&path))
            .header("x-padding", &header)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let journal = fetch_json(&app.url("/_fcmock/api/journal")).await;
    let (bytes, budget) = (
        journal["bytes"].as_u64().unwrap(),
        journal["byte_budget"].as_u64().unwrap(),
    );
    assert_eq!(budget, 1024 * 1024);
    assert!(bytes <= budget, "{bytes} > {budget}");
    let count = journal["count"].as_u64().unwrap();
    assert!((10..200).contains(&count), "{count} exchanges kept");
    let newest = &journal["exchanges"][count as usize - 1];
    let cut: Vec<&str> = newest["truncated"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(cut, ["request_headers", "request_body"], "{newest}");
    let kept = newest["request_body"].as_str().unwrap();
    assert!(
        kept.len() < BODY_KEEP + 100 && kept.ends_with(&format!("of {} bytes]", body.len())),
        "{}",
        &kept[kept.len().saturating_sub(80)..]
    );
}

#[tokio::test]
async fn hostile_authorize_requests_keep_every_store_within_its_byte_budget() {
    let app = TestApp::spawn_with(&["platform:\n  store_mib: 1\n  journal_mib: 1\n"]).await;
    let http = plain_http();
    let big_state = "s".repeat(40 * 1024);
    for i in 0..120 {
        let mut params = crate::helpers::valid_params(crate::helpers::PUBLIC_CLIENT);
        for (k, v) in params.iter_mut() {
            if *k == "state" {
                *v = format!("{i}{big_state}");
            }
        }
        let r = http
            .get(app.url("/api/v2/authorize"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "authorize redirects to the wall");
    }
    for (name, entries, bytes) in app.state.platform.fc.store_usage() {
        assert!(bytes <= 1024 * 1024, "{name}: {bytes} bytes in {entries} entries");
    }
    let (_, interactions, bytes) = app.state.platform.fc.store_usage()[1];
    assert!(
        interactions >= 5 && bytes > 512 * 1024,
        "{interactions} interactions, {bytes} bytes"
    );
}
