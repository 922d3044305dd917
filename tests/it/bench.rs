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

/// `--verify-every`: sampled flows still complete without error, the report
/// says how often signatures were checked, and the unsigned check keeps
/// every claim check and the key lookup (only the signature's arithmetic is
/// skipped).
#[tokio::test]
async fn sampled_signature_checks_keep_the_claim_checks() {
    let mut opts = BenchOptions::in_process(4, Duration::from_millis(600));
    opts.verify_every = 4;
    let report = run(opts).await.unwrap();
    assert!(report.flows > 0 && report.errors.is_empty(), "{}", report.human());
    assert_eq!(report.json()["verify_every"], 4);

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let app = TestApp::spawn().await;
    let issuer = app.url("/api/v2");
    let http = reqwest::Client::new();
    let jwks = fcmock::agent::Jwks::fetch(&http, &issuer, &format!("{issuer}/jwks"))
        .await
        .unwrap();
    let kid = jwks.kids().next().unwrap().to_owned();
    let now = 2_000_000_000;
    let token = |kid: &str, aud: &str| {
        let head = B64.encode(serde_json::json!({"alg": "ES256", "kid": kid}).to_string());
        let body = B64.encode(
            serde_json::json!({"iss": issuer, "sub": "s", "aud": aud, "iat": now, "exp": now + 60, "nonce": "n"})
                .to_string(),
        );
        format!("{head}.{body}.{}", B64.encode([7u8; 64]))
    };
    let expect = fcmock::agent::Expect {
        audience: "client",
        nonce: Some("n"),
        now,
        id_token_rules: true,
    };
    let forged = token(&kid, "client");
    assert!(jwks.check_unsigned(&forged, &expect).is_ok());
    assert!(
        jwks.verify(&forged, &expect).is_err(),
        "the full check refuses the bad signature"
    );
    assert!(jwks.check_unsigned(&token(&kid, "other"), &expect).is_err(), "audience");
    assert!(jwks.check_unsigned(&token("nope", "client"), &expect).is_err(), "kid");
    assert!(jwks.check_unsigned("a.b", &expect).is_err(), "shape");
}
