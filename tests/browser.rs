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
    problems
}

fn authorize(base: &str, prefix: &str, client: &str, acr: &str) -> String {
    let port = if prefix.starts_with("/fcplus") { 8090 } else { 3000 };
    format!(
        "{base}{prefix}/authorize?response_type=code&client_id={client}&redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fcallback&scope=openid%20given_name%20family_name%20email&state=st4te-0123456789abcdef&nonce=n0nce-0123456789abcdef&acr_values={acr}"
    )
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
