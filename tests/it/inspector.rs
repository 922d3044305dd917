//! The trainer's inspector: a login drawn as a sequence diagram, every
//! parameter and claim explained, live events, and the control gate.

use std::collections::BTreeSet;

use fcmock::web::explain;
use serde_json::Value;

use crate::helpers::*;

/// An interactive login (wall, identity provider, consent) with data scopes,
/// then userinfo and a data provider call; returns the flow's id.
async fn a_whole_login(app: &TestApp) -> String {
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let result = full_login(
        app,
        &rp,
        "camille-rochefort",
        "impots",
        &["identite_pivot", "email", "dgfip_rfr"],
    )
    .await;
    let at = Rp::access_token(&result);
    let (status, _, _) = rp.userinfo(&at).await;
    assert_eq!(status, 200);
    let dp = plain_http()
        .get(app.url("/dp/dgfip/situations/ir/assiettes/annrev/2025"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(dp.status(), 200);
    let journal = fetch_json(&app.url("/_fcmock/api/journal?endpoint=fc.userinfo")).await;
    journal["exchanges"][0]["flow"].as_str().unwrap().to_owned()
}

fn select<'a>(html: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&scraper::Selector::parse(css).unwrap()).collect()
}

#[tokio::test]
async fn a_login_is_drawn_lane_by_lane_with_every_exchange_explained() {
    let app = TestApp::spawn().await;
    let flow = a_whole_login(&app).await;

    let list = app.browser().get(&app.url("/_fcmock/inspector")).await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&format!("inspector/{flow}")),
        "the flow is not listed"
    );

    let page = app.browser().get(&app.url(&format!("/_fcmock/inspector/{flow}"))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.html();
    let lanes: Vec<String> = select(&html, "[data-testid=lane] text")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(
        lanes,
        [
            "Navigateur",
            "Fournisseur de service",
            "FranceConnect",
            "Fournisseur d'identité",
            "Fournisseur de données"
        ]
    );
    // One arrow per exchange of the flow, in the journal's order.
    let journal = fetch_json(&app.url(&format!("/_fcmock/api/journal?flow={flow}"))).await;
    let seqs: Vec<u64> = journal["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let arrows: Vec<u64> = select(&html, "a[data-testid=arrow]")
        .iter()
        .map(|a| a.value().attr("data-seq").unwrap().parse().unwrap())
        .collect();
    assert_eq!(arrows, seqs);
    let labels: String = select(&html, "a[data-testid=arrow] text")
        .iter()
        .map(|t| t.text().collect::<String>() + "\n")
        .collect();
    for step in [
        "GET /authorize",
        "POST /redirect-to-idp",
        "POST /idp/impots/login",
        "POST /token",
        "GET /userinfo",
        "/checktoken",
    ] {
        assert!(labels.contains(step), "no arrow for {step}:\n{labels}");
    }
    assert!(
        !select(&html, "[data-testid=hop]").is_empty(),
        "no dashed hop back to the service"
    );
    // Each arrow links to its exchange; each exchange explains every name.
    assert_eq!(select(&html, "details[data-testid=exchange]").len(), seqs.len());
    for a in select(&html, "a[data-testid=arrow]") {
        let target = a.value().attr("href").unwrap().trim_start_matches('#').to_owned();
        assert_eq!(select(&html, &format!("details[id=\"{target}\"]")).len(), 1, "{target}");
    }
    let explained = select(&html, "td[data-testid=explain]");
    assert!(explained.len() > 40, "{} explanations", explained.len());
    for td in explained {
        assert!(
            !td.text().collect::<String>().trim().is_empty(),
            "a row without explanation"
        );
    }
    assert!(page.body.contains("signature vérifiée"), "no signature status");
    // Between FranceConnect and the identity provider, FranceConnect is the
    // client: the explanations say so there, and only there.
    let idp_hop = select(&html, "details[data-testid=exchange]")
        .into_iter()
        .find(|d| d.text().collect::<String>().contains("idp.impots.authorize"))
        .unwrap();
    assert!(
        idp_hop
            .text()
            .collect::<String>()
            .contains("FranceConnect est le client")
    );
    let service_hop = select(&html, "details[data-testid=exchange]")
        .into_iter()
        .find(|d| d.text().collect::<String>().contains("fc.authorize"))
        .unwrap();
    assert!(
        !service_hop
            .text()
            .collect::<String>()
            .contains("FranceConnect est le client")
    );

    let missing = app.browser().get(&app.url("/_fcmock/inspector/no-such-flow")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.testid("flow-missing").is_some());
}

fn names(v: &Value, out: &mut BTreeSet<(String, String)>) {
    for e in v["exchanges"].as_array().into_iter().flatten() {
        for p in e["params"].as_array().into_iter().flatten() {
            out.insert(("param".to_owned(), p[0].as_str().unwrap().to_owned()));
        }
        for j in e["jwts"].as_array().into_iter().flatten() {
            for k in j["header"].as_object().into_iter().flatten().map(|(k, _)| k) {
                out.insert(("header".to_owned(), k.clone()));
            }
            for k in j["claims"].as_object().into_iter().flatten().map(|(k, _)| k) {
                out.insert(("claim".to_owned(), k.clone()));
            }
        }
    }
}

#[tokio::test]
async fn every_claim_and_parameter_the_platforms_emit_is_explained() {
    let app = TestApp::spawn().await;
    let mut seen = BTreeSet::new();
    // The claims both discovery documents announce…
    for prefix in ["/api/v2", "/fcplus/api/v2"] {
        let d = fetch_json(&app.url(&format!("{prefix}/.well-known/openid-configuration"))).await;
        for c in d["claims_supported"].as_array().unwrap() {
            seen.insert(("claim".to_owned(), c.as_str().unwrap().to_owned()));
        }
    }
    // …and every name in a recorded login: pages, identity provider, token,
    // userinfo, data provider and checktoken, logout.
    a_whole_login(&app).await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let result = full_login(&app, &rp, "camille-rochefort", "impots", &["identite_pivot"]).await;
    let logout = format!(
        "{}/session/end?id_token_hint={}&state={STATE}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Flogout-callback",
        app.issuer(),
        result.raw_id_token
    );
    app.browser().open(&logout, &app.base).await;
    names(&fetch_json(&app.url("/_fcmock/api/journal")).await, &mut seen);
    assert!(seen.len() > 40, "{seen:?}");
    let unexplained: Vec<_> = seen
        .iter()
        .filter(|(kind, name)| match kind.as_str() {
            "param" => explain::param(name).is_none(),
            "header" => explain::header(name).is_none(),
            _ => explain::claim(name).is_none(),
        })
        .collect();
    assert!(unexplained.is_empty(), "no French explanation for {unexplained:?}");
}

#[tokio::test]
async fn new_exchanges_stream_to_the_inspector_as_they_happen() {
    let app = TestApp::spawn().await;
    let mut events = plain_http()
        .get(app.url("/_fcmock/inspector/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    queue_login(&app, PUBLIC_CLIENT, "camille-rochefort", "ameli").await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    app.browser().get(&url).await;
    let mut text = String::new();
    while !text.contains("fc.authorize") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), events.chunk())
            .await
            .expect("no event within 10 s")
            .unwrap()
            .expect("the stream ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: exchanges"), "{text}");
    assert!(text.contains(PUBLIC_CLIENT), "{text}");
}

#[tokio::test]
async fn the_inspector_is_behind_the_control_gate() {
    let app = TestApp::spawn().await;
    let foreign = plain_http()
        .get(app.url("/_fcmock/inspector"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let rebinding = plain_http()
        .get(app.url("/_fcmock/inspector/events"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 403);
}
