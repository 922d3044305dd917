//! Pages as people see them: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`) driven through chromedriver
//! with a WebDriver client. Each page is opened at 1280 px and 390 px wide
//! and checked for horizontal overflow, `lang="fr"`, labelled inputs and the
//! test-environment banner; a screenshot of each is kept in
//! `target/screenshots/` (CI artefacts).
//!
//! Where chromedriver is missing they are skipped with a warning, so that
//! `cargo test` works on a fresh machine; `.ci/run` installs the browser and
//! sets `FCMOCK_REQUIRE_BROWSER=1`, under which a missing browser fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use fcmock::clock::Clock;
use fcmock::config::{self, Source};
use fcmock::rng::Rng;
use fcmock::server::{AppState, ServeOptions, Urls, serve_with};
use serde_json::{Value, json};

const PUBLIC_CLIENT: &str = "6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b";
const FCPLUS_CLIENT: &str = "b7e4c1a9d2f85e36a0c9b4d7e1f28a5c3d6b9e0f2a4c7e1b8d5f3a6c9e2b4d7f";
const WIDTHS: [u32; 2] = [1280, 390];

/// chromedriver on a free port, stopped with the test.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether to skip: no chromedriver here, and none required.
fn skip() -> bool {
    let present = Command::new("chromedriver")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let required = std::env::var_os("FCMOCK_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    assert!(
        present || !required,
        "FCMOCK_REQUIRE_BROWSER=1 but no chromedriver: apt-get install chromium chromium-driver"
    );
    if !present {
        eprintln!("browser checks SKIPPED: no chromedriver (apt-get install chromium chromium-driver)");
    }
    !present
}

async fn driver() -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("chromedriver did not start ({e}): apt-get install chromium chromium-driver"));
    let driver = Driver(child, port);
    let caps = json!({
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=fr-FR"]
        }
    });
    let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.1))
            .await
        {
            return (driver, c);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {}", driver.1);
}

/// fcmock with its embedded defaults on a free port; its base URL.
async fn fcmock() -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // `localhost`, as a developer types it (cookies are per host name).
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let cfg = config::load(&[] as &[Source], true).unwrap();
    let urls = Urls {
        public: base.clone(),
        internal: base.replace("localhost", "127.0.0.1"),
    };
    let state = AppState::new(cfg, urls, Clock::system(), Rng::from_entropy(), None).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_with(
        listener,
        state,
        async move {
            let _ = rx.await;
        },
        ServeOptions::default(),
    ));
    (base, tx)
}

/// What the checks found wrong on the page in view.
const CHECKS: &str = r#"
const problems = [];
const doc = document.documentElement;
if (doc.lang !== 'fr') problems.push('html lang is "' + doc.lang + '", not "fr"');
if (doc.scrollWidth > window.innerWidth + 1) {
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + (e.dataset.testid ? '[' + e.dataset.testid + ']' : ''));
  problems.push('horizontal overflow: ' + doc.scrollWidth + ' px for ' + window.innerWidth + ' px (' + wide.join(', ') + ')');
}
for (const input of document.querySelectorAll('input, select, textarea')) {
  if (['hidden', 'submit', 'button'].includes(input.type)) continue;
  const labelled = input.labels && input.labels.length > 0
    || input.getAttribute('aria-label') || input.getAttribute('aria-labelledby');
  if (!labelled) problems.push('input without a label: ' + (input.name || input.id || input.outerHTML.slice(0, 80)));
}
if (arguments[0] >= 1000) {
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      const t = wrap.querySelector('table');
      problems.push('table ' + (t.dataset.testid || '') + ' is ' + wrap.scrollWidth + ' px in a ' + wrap.clientWidth + ' px card');
    }
  }
}
const banner = document.querySelector('[data-testid=test-banner]');
if (!banner || !banner.innerText.includes('Environnement de test')) problems.push('no test-environment banner');
// Headings: an h1 first, and no level skipped on the way down.
const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1]));
if (levels[0] !== 1) problems.push('the first heading is h' + levels[0] + ', not h1');
levels.forEach((l, i) => { if (i > 0 && l > levels[i - 1] + 1) problems.push('heading h' + l + ' follows h' + levels[i - 1]); });
// Contrast (WCAG 2.1) of the main colours: body text, links, buttons, headings, the banner.
const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const backdrop = e => { for (; e; e = e.parentElement) { const b = getComputedStyle(e).backgroundColor; const a = rgb(b); if (a.length === 3 || (a.length === 4 && a[3] > 0)) return b; } return 'rgb(255, 255, 255)'; };
for (const sel of ['main p', 'main a', 'main button', 'h1', '[data-testid=test-banner]', 'main td']) {
  const e = document.querySelector(sel);
  if (!e || !e.innerText.trim()) continue;
  const s = getComputedStyle(e);
  const [l1, l2] = [lum(s.color), lum(backdrop(e))].sort((a, b) => b - a);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ':1 for ' + sel + ' (' + s.color + ' on ' + backdrop(e) + ')');
}
return problems;
"#;

/// Checks the page in view at each width and keeps a screenshot of each.
async fn check_page(client: &Client, name: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let mut problems = Vec::new();
    for width in WIDTHS {
        client.set_window_size(width, 900).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let found = client.execute(CHECKS, vec![json!(width)]).await.unwrap();
        for p in found.as_array().into_iter().flatten() {
            problems.push(format!("{name} at {width} px: {}", p.as_str().unwrap_or_default()));
        }
        let png = client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
    }
    client.set_window_size(1280, 900).await.unwrap();
    problems.extend(focus_is_visible(client, name).await);
    problems
}

/// Keeps a screenshot of the page in view as `target/screenshots/{name}.png`.
async fn screenshot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), client.screenshot().await.unwrap()).unwrap();
}

/// Tabs once, as a keyboard user would, and checks that the focused
/// element shows an outline.
async fn focus_is_visible(client: &Client, name: &str) -> Vec<String> {
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("\u{e004}").await.unwrap();
    let seen = client
        .execute(
            "const e = document.activeElement; const s = getComputedStyle(e); \
             return [e.tagName + (e.className ? '.' + e.className : ''), s.outlineStyle, s.outlineWidth];",
            vec![],
        )
        .await
        .unwrap();
    let seen: Vec<String> = serde_json::from_value(seen).unwrap();
    if seen[0] == "BODY" {
        return vec![format!("{name}: Tab focuses nothing")];
    }
    if seen[1] == "none" || seen[2] == "0px" {
        return vec![format!("{name}: keyboard focus on {} is not visible", seen[0])];
    }
    Vec::new()
}

fn authorize(base: &str, prefix: &str, client: &str, acr: &str) -> String {
    let port = if prefix.starts_with("/fcplus") { 8090 } else { 3000 };
    format!(
        "{base}{prefix}/authorize?response_type=code&client_id={client}&redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fcallback&scope=openid%20given_name%20family_name%20email&state=st4te-0123456789abcdef&nonce=n0nce-0123456789abcdef&acr_values={acr}"
    )
}

/// The first element matching `css`, waiting up to 10 s for the page to show it.
async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn fill(client: &Client, css: &str, text: &str) {
    // The click before may still be loading the page: wait for the field.
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_page_fits_a_laptop_and_a_phone_is_french_and_labels_its_inputs() {
    if skip() {
        return;
    }
    let (_driver, client) = driver().await;
    let (base, _stop) = fcmock().await;
    let mut problems = Vec::new();

    for (name, path) in [
        ("home", "/_fcmock/"),
        ("personas", "/_fcmock/personas"),
        ("persona", "/_fcmock/personas/camille-rochefort"),
        ("inspector-missing", "/_fcmock/inspector/no-such-flow"),
        ("demo-logged-out", "/_fcmock/demo/deconnecte"),
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        problems.extend(check_page(&client, name).await);
    }

    // A login through the pages: wall, identity provider, consent.
    client
        .goto(&authorize(&base, "/api/v2", PUBLIC_CLIENT, "eidas1"))
        .await
        .unwrap();
    problems.extend(check_page(&client, "wall").await);
    click(&client, "[data-testid=idp-ameli]").await;
    problems.extend(check_page(&client, "idp-login").await);
    let persona = client.find(Locator::Css("button[name=persona]")).await.unwrap();
    persona.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = client.current_url().await.unwrap();
    if !url.as_str().starts_with("http://localhost:3000/") {
        problems.extend(check_page(&client, "consent").await);
    }

    // An error page.
    client
        .goto(&format!("{base}/api/v2/authorize?client_id=inconnu&response_type=code"))
        .await
        .unwrap();
    problems.extend(check_page(&client, "error").await);

    // FranceConnect+'s wall.
    client
        .goto(&authorize(&base, "/fcplus/api/v2", FCPLUS_CLIENT, "eidas2"))
        .await
        .unwrap();
    problems.extend(check_page(&client, "fcplus-wall").await);

    client.close().await.unwrap();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn a_citizen_logs_in_with_the_keyboard_and_the_service_provider_gets_a_code() {
    if skip() {
        return;
    }
    let (_driver, client) = driver().await;
    let (base, _stop) = fcmock().await;
    client
        .goto(&authorize(&base, "/api/v2", PUBLIC_CLIENT, "eidas1"))
        .await
        .unwrap();
    click(&client, "[data-testid=idp-impots]").await;
    // Typed credentials, as a person would (the persona buttons are a shortcut).
    fill(&client, "input[name=login]", "3008765432109").await;
    fill(&client, "input[name=password]", "123").await;
    let title = client.title().await.unwrap();
    click(&client, "[data-testid=idp-login-form] button[type=submit]").await;
    // Wait (up to 10 s) for the consent page or the redirect to the service
    // provider, whichever comes; pages load at their own pace on CI machines.
    let mut consented = false;
    let mut url = client.current_url().await.unwrap();
    for _ in 0..100 {
        url = client.current_url().await.unwrap();
        if url.as_str().starts_with("http://localhost:3000/") {
            break;
        }
        if !consented && let Ok(button) = client.find(Locator::Css("[data-testid=consent-continue]")).await {
            button.click().await.unwrap();
            consented = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.close().await.unwrap();
    assert!(
        url.as_str().starts_with("http://localhost:3000/callback?code="),
        "after the login page ({title}) the browser is at {url}"
    );
}

#[tokio::test]
async fn the_checks_themselves_catch_a_skipped_heading_and_pale_text() {
    if skip() {
        return;
    }
    let (_driver, client) = driver().await;
    client
        .goto("data:text/html;charset=utf-8,<html lang=\"fr\"><body><main><h2>Titre</h2><p style=\"color:%23bbbbbb\">texte pâle</p></main></body></html>")
        .await
        .unwrap();
    let found: Vec<String> = serde_json::from_value(client.execute(CHECKS, vec![json!(1280)]).await.unwrap()).unwrap();
    client.close().await.unwrap();
    let all = found.join("\n");
    assert!(all.contains("the first heading is h2"), "{all}");
    assert!(all.contains("contrast") && all.contains("main p"), "{all}");
}

/// Clicks « Continuer » on step pages (and consents) until the browser
/// leaves for the service provider; returns the step titles seen.
async fn continue_through(client: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    for _ in 0..20 {
        let url = client.current_url().await.unwrap();
        if url.as_str().starts_with("http://localhost:3000/") {
            break;
        }
        if let Ok(title) = client.find(Locator::Css("[data-testid=step-title]")).await {
            let text = title.text().await.unwrap();
            if text.contains("fournisseur d'identité") && !titles.iter().any(|t: &String| t == &text) {
                screenshot(client, "step-to-idp-1280").await;
            }
            titles.push(text);
            click(client, "[data-testid=step-continue]").await;
        } else if client
            .find(Locator::Css("[data-testid=consent-continue]"))
            .await
            .is_ok()
        {
            click(client, "[data-testid=consent-continue]").await;
        } else if client.find(Locator::Css("button[name=persona]")).await.is_ok() {
            click(client, "button[name=persona]").await;
        } else if client.find(Locator::Css("[data-testid=idp-ameli]")).await.is_ok() {
            click(client, "[data-testid=idp-ameli]").await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    titles
}

#[tokio::test]
async fn a_trainer_follows_a_login_live_in_the_inspector_and_step_by_step() {
    if skip() {
        return;
    }
    let (_driver, client) = driver().await;
    let (base, _stop) = fcmock().await;
    let mut problems = Vec::new();

    // The inspector, empty, then updated live by a login made elsewhere.
    client.goto(&format!("{base}/_fcmock/inspector")).await.unwrap();
    problems.extend(check_page(&client, "inspector-empty").await);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let queued = http
        .post(format!("{base}/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "persona": "camille-rochefort", "idp": "ameli"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    let answer = http
        .get(authorize(&base, "/api/v2", PUBLIC_CLIENT, "eidas1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    wait_for(&client, "[data-testid=flow-link]").await;

    // Step mode, switched on for this browser, then a login through the pages.
    client.goto(&format!("{base}/_fcmock/pas-a-pas")).await.unwrap();
    problems.extend(check_page(&client, "step-toggle").await);
    click(&client, "[data-testid=step-toggle] button").await;
    let mut on = String::new();
    for _ in 0..50 {
        if let Ok(e) = client.find(Locator::Css("[data-testid=step-state] strong")).await {
            on = e.text().await.unwrap_or_default();
            if on == "activé" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(on, "activé", "step mode did not turn on");
    client
        .goto(&authorize(&base, "/api/v2", PUBLIC_CLIENT, "eidas1"))
        .await
        .unwrap();
    problems.extend(check_page(&client, "step").await);
    let titles = continue_through(&client).await;
    for want in [
        "vers FranceConnect",
        "vers le fournisseur d'identité",
        "vers le fournisseur de service",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(want)),
            "no step « {want} » in {titles:?}"
        );
    }

    // That login in the inspector: five lanes, one arrow per exchange,
    // the identity provider's among them; an arrow opens its exchange.
    client.goto(&format!("{base}/_fcmock/inspector")).await.unwrap();
    wait_for(&client, "[data-testid=flow-link]").await;
    problems.extend(check_page(&client, "inspector").await);
    click(&client, "[data-testid=flow-link]").await;
    let lanes = client.find_all(Locator::Css("[data-testid=lane]")).await.unwrap();
    assert_eq!(lanes.len(), 5);
    let arrows = client.find_all(Locator::Css("a[data-testid=arrow]")).await.unwrap();
    let mut labels = Vec::new();
    for a in &arrows {
        labels.push(a.text().await.unwrap_or_default());
    }
    assert!(arrows.len() >= 8, "{} arrows: {labels:?}", arrows.len());
    assert!(labels.iter().any(|l| l.contains("/idp/ameli/")), "{labels:?}");
    screenshot(&client, "inspector-diagram-1280").await;
    let last = arrows.last().unwrap();
    let seq = last.attr("data-seq").await.unwrap().unwrap();
    last.click().await.unwrap();
    let open = client
        .find(Locator::Css(&format!("details[id=\"ex-{seq}\"]")))
        .await
        .unwrap();
    assert!(
        open.attr("open").await.unwrap().is_some(),
        "the arrow did not open its exchange"
    );
    problems.extend(check_page(&client, "inspector-flow").await);

    client.close().await.unwrap();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn the_demo_portal_links_accounts_while_the_inspector_draws_the_login_live() {
    if skip() {
        return;
    }
    let (_driver, client) = driver().await;
    let (base, _stop) = fcmock().await;
    let mut problems = Vec::new();

    // The trainer's two tabs: the inspector, then the demo portal.
    client.goto(&format!("{base}/_fcmock/inspector")).await.unwrap();
    let inspector = client.window().await.unwrap();
    let portal = client.new_window(true).await.unwrap();
    client.switch_to_window(portal.handle).await.unwrap();
    client.goto(&format!("{base}/_fcmock/demo")).await.unwrap();
    problems.extend(check_page(&client, "demo-home").await);
    click(&client, "[data-testid=demo-franceconnect]").await;
    click(&client, "[data-testid=idp-impots]").await;
    fill(&client, "input[name=login]", "3008765432109").await;
    fill(&client, "input[name=password]", "123").await;
    click(&client, "[data-testid=idp-login-form] button[type=submit]").await;
    wait_for(&client, "[data-testid=consent-continue]").await;
    if let Ok(checkbox) = client.find(Locator::Css("[data-testid=consent-checkbox]")).await {
        checkbox.click().await.unwrap();
    }
    click(&client, "[data-testid=consent-continue]").await;

    // The reconciliation page: two matches proposed, a near duplicate shown.
    wait_for(&client, "[data-testid=demo-link]").await;
    problems.extend(check_page(&client, "demo-link").await);
    assert_eq!(
        client
            .find_all(Locator::Css("[data-testid=demo-proposal]"))
            .await
            .unwrap()
            .len(),
        2
    );
    click(&client, "[data-testid=demo-link-confirm]").await;
    wait_for(&client, "[data-testid=demo-services]").await;
    problems.extend(check_page(&client, "demo-dashboard").await);
    let services = client.find(Locator::Css("[data-testid=demo-services]")).await.unwrap();
    assert!(services.text().await.unwrap().contains("MED-004512"));
    click(&client, "[data-testid=demo-childcare-link]").await;
    let rfr = wait_for(&client, "[data-testid=demo-rfr]").await;
    assert_eq!(rfr.prop("value").await.unwrap().as_deref(), Some("52380"));
    problems.extend(check_page(&client, "demo-childcare").await);

    // Back to the inspector tab: the login appeared live; its diagram has
    // the identity provider and the data providers in it.
    client.switch_to_window(inspector).await.unwrap();
    let link = wait_for(&client, "[data-testid=flow-link]").await;
    link.click().await.unwrap();
    wait_for(&client, "a[data-testid=arrow]").await;
    let mut labels = Vec::new();
    for a in client.find_all(Locator::Css("a[data-testid=arrow]")).await.unwrap() {
        labels.push(a.text().await.unwrap_or_default());
    }
    for want in [
        "/authorize",
        "/idp/impots/login",
        "/token",
        "/userinfo",
        "/dp/dgfip/",
        "/checktoken",
    ] {
        assert!(
            labels.iter().any(|l| l.contains(want)),
            "no arrow for {want}: {labels:?}"
        );
    }
    screenshot(&client, "demo-inspector-1280").await;
    client.close().await.unwrap();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
