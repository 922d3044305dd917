//! The demo portal (`/_fcmock/demo`): a FranceConnect login through the
//! pages, the account link the reconciliation rules propose, the dashboard,
//! the childcare form prefilled from the DGFiP and CNAF mocks, logout.

use crate::helpers::*;

/// From the portal's FranceConnect button, through the wall, the identity
/// provider and consent, back to the portal; returns the page it shows.
async fn through_franceconnect(app: &TestApp, browser: &Browser, persona: &str, idp: &str) -> fcmock::agent::Page {
    let wall = browser.open(&app.url("/_fcmock/demo/franceconnect"), &app.base).await;
    assert_eq!(wall.status, 200, "{}", wall.body);
    let login = browser.submit(&wall, &format!("idp-{idp}"), &[], &app.base).await;
    let (l, p) = account(app, persona, idp);
    let consent = browser
        .submit(&login, "idp-login-form", &[("login", &l), ("password", &p)], &app.base)
        .await;
    assert!(consent.testid("consent-continue").is_some(), "{}", consent.body);
    browser
        .submit(&consent, "consent-continue", &[("consent", "true")], &app.base)
        .await
}

#[tokio::test]
async fn a_citizen_links_local_accounts_through_franceconnect_and_gets_a_prefilled_form() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let home = browser.get(&app.url("/_fcmock/demo")).await;
    assert_eq!(home.status, 200);
    assert!(home.testid("test-banner").is_some());

    // Camille: two dossiers match her pivot identity, one is a near duplicate.
    let link = through_franceconnect(&app, &browser, "camille-rochefort", "impots").await;
    assert_eq!(link.status, 200, "{}", link.body);
    assert!(link.url.ends_with("/_fcmock/demo/rapprochement"), "{}", link.url);
    let proposals: Vec<String> = link
        .html()
        .select(&scraper::Selector::parse("[data-testid=demo-proposal]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_owned())
        .collect();
    assert_eq!(proposals, ["CU-100023", "MED-004512"]);
    let near = link.testid("demo-near").unwrap();
    assert!(near.contains("CRD-2291") && near.contains("faute de frappe"), "{near}");

    let dashboard = browser
        .submit(&link, "demo-link", &[("action", "link")], &app.base)
        .await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert_eq!(dashboard.testid("demo-hello").unwrap(), "Bonjour Camille");
    let services = dashboard.testid("demo-services").unwrap();
    assert!(
        services.contains("MED-004512") && services.contains("CU-100023"),
        "{services}"
    );
    assert!(
        !services.contains("CRD-2291"),
        "a near duplicate was linked: {services}"
    );

    // The childcare form, prefilled from the DGFiP and CNAF mocks.
    let form = browser.get(&app.url("/_fcmock/demo/creche")).await;
    assert!(form.testid("demo-prefilled").is_some(), "{}", form.body);
    assert!(form.body.contains("value=\"52380\""), "no revenu fiscal de référence");
    assert!(form.body.contains("value=\"1185\""), "no quotient familial");

    // Logout through FranceConnect, then back: the same sub finds the link.
    let mut out = browser.open(&app.url("/_fcmock/demo/deconnexion"), &app.base).await;
    for _ in 0..5 {
        // The logout's self-posting pages, as a browser's script posts them.
        let Ok(form) = out.form("auto-form") else { break };
        let next = browser.post(&form.action, &form.fields).await;
        out = browser.follow(next, &app.base).await;
    }
    assert_eq!(
        out.testid("demo-title").as_deref(),
        Some("Vous êtes déconnecté"),
        "{}",
        out.body
    );
    let again = through_franceconnect(&app, &browser, "camille-rochefort", "ameli").await;
    assert!(again.url.ends_with("/tableau-de-bord"), "{}", again.url);
    assert!(again.testid("demo-message").unwrap().contains("Bon retour"));

    // The journal saw the demo portal as a service provider like any other.
    let journal = fetch_json(&app.url("/_fcmock/api/journal?endpoint=dp.")).await;
    assert!(journal["count"].as_u64().unwrap() >= 2, "{journal}");
}

#[tokio::test]
async fn without_a_matching_dossier_a_compte_usager_is_created_and_a_local_login_can_be_linked() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = through_franceconnect(&app, &browser, "leila-ramassamy", "ameli").await;
    assert!(page.url.ends_with("/tableau-de-bord"), "{}", page.url);
    assert!(page.testid("demo-message").unwrap().contains("créé"), "{}", page.body);
    assert!(page.testid("demo-services").unwrap().contains("CU-FC-"));

    // The local door, then FranceConnect: the dossier is linked to the sub.
    let other = app.browser();
    let home = other.get(&app.url("/_fcmock/demo")).await;
    let wrong = other
        .submit(
            &home,
            "demo-local",
            &[("reference", "MED-004512"), ("password", "faux")],
            &app.base,
        )
        .await;
    assert!(wrong.testid("demo-message").unwrap().contains("inconnus"));
    let dashboard = other
        .submit(
            &wrong,
            "demo-local",
            &[("reference", "MED-004512"), ("password", "123")],
            &app.base,
        )
        .await;
    assert_eq!(dashboard.testid("demo-hello").unwrap(), "Bonjour Camille");
    let linked = through_franceconnect(&app, &other, "camille-rochefort", "impots").await;
    assert!(
        linked.testid("demo-message").unwrap().contains("lié à FranceConnect"),
        "{}",
        linked.body
    );

    // A callback this browser never started is refused.
    let forged = app
        .browser()
        .get(&app.url("/_fcmock/demo/callback?code=x&state=y"))
        .await;
    assert_eq!(forged.status, 400);
}

#[tokio::test]
async fn fcmock_judges_its_own_demo_portal_through_a_running_instance() {
    use fcmock::portal::report::Verdict;
    let app = TestApp::spawn().await;
    let fc = std::sync::Arc::new(fcmock::portal::fcmock::Fcmock::connect(&app.base, None).await.unwrap());
    let portal = app.url("/_fcmock/demo");

    // The linking journey of scenarios/demo/.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo/rapprochement.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let scenario = fcmock::scenarios::parse::parse("rapprochement.yaml", &text, &app.state.config()).unwrap();
    let files = vec![fcmock::portal::journey::JourneyFile {
        path: "rapprochement.yaml".to_owned(),
        text,
        scenario,
    }];
    let opts = fcmock::portal::journey::RunOptions {
        portal: portal.clone(),
        client: Some(fcmock::demo::DEMO_CLIENT.to_owned()),
        jobs: 1,
    };
    let report = fcmock::portal::journey::run(fc.clone(), files.clone(), &opts, &mut |_, _| {})
        .await
        .unwrap();
    assert!(!report.failed() && report.outcomes.len() == 2, "{}", report.text(false));
    // Played again, Camille is already linked: the proposals are not shown…
    let again = fcmock::portal::journey::run(fc.clone(), files.clone(), &opts, &mut |_, _| {})
        .await
        .unwrap();
    assert!(again.failed(), "{}", again.text(false));
    // …until the control API's reset makes the demo portal forget its links.
    let reset = plain_http().post(app.url("/_fcmock/api/reset")).send().await.unwrap();
    assert!(reset.status().is_success(), "{}", reset.status());
    let fresh = fcmock::portal::journey::run(fc.clone(), files, &opts, &mut |_, _| {})
        .await
        .unwrap();
    assert!(!fresh.failed(), "{}", fresh.text(false));

    // The conformance catalogue: the demo portal refuses what it must. Its
    // registered URIs name port 7080; on this test's port only fcmock's
    // localhost deviation lets them through, and the check says so.
    let target = fcmock::portal::check::Target {
        portal,
        start: "/".to_owned(),
        client_id: fcmock::demo::DEMO_CLIENT.to_owned(),
        marker: Some("Se déconnecter".to_owned()),
        persona: Some("leila-ramassamy".to_owned()),
    };
    let report = fcmock::portal::check::run(&fc, &target, &mut |_, _| {}).await.unwrap();
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(
        failed,
        ["authorize.redirect_uri", "logout.post_logout_redirect_uri"],
        "{}",
        report.text(true)
    );
}
