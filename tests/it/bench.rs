//! `fcmock bench`: the load generator completes verified flows, and reports
//! the failures it meets by kind.

use std::time::Duration;

use fcmock::bench::{BenchOptions, run};

use crate::helpers::*;

#[tokio::test]
async fn bench_runs_verified_flows_in_process_and_against_a_url() {
    let report = run(BenchOptions::in_process(4, Duration::from_millis(800)))
        .await
        .unwrap();
    assert!(report.flows > 0, "{}", report.human());
    assert!(report.errors.is_empty(), "{}", report.human());
    for step in ["authorize", "token", "userinfo", "flow"] {
        let [p50, _, p99, max] = report.latencies[step];
        assert!(
            p50 > 0 && p50 <= p99 && p99 <= max,
            "{step}: {:?}",
            report.latencies[step]
        );
    }
    let line = report.json();
    assert_eq!(line["flows"], report.flows);

    // Against a running fcmock, queueing a persona before each flow.
    let app = TestApp::spawn().await;
    let mut opts = BenchOptions::in_process(2, Duration::from_millis(500));
    opts.url = Some(app.base.clone());
    opts.client_id = PUBLIC_CLIENT.to_owned();
    opts.client_secret = PUBLIC_SECRET.to_owned();
    opts.redirect_uri = REDIRECT.to_owned();
    opts.next_login = Some(("camille-rochefort".to_owned(), "ameli".to_owned()));
    let report = run(opts.clone()).await.unwrap();
    assert!(report.flows > 0 && report.errors.is_empty(), "{}", report.human());
    assert!(report.latencies.contains_key("next_login"));

    // A wrong secret: every flow fails at the token step, and says so.
    opts.client_secret = "wrong".to_owned();
    let report = run(opts).await.unwrap();
    assert_eq!(report.flows, 0);
    assert!(
        report.errors.keys().all(|k| k == "token: HTTP 401"),
        "{:?}",
        report.errors
    );
}
