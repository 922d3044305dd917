//! The binary itself: configuration checks, banner, health, graceful shutdown.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fcmock");

#[test]
fn check_config_reports_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("fcmock-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("commune.yaml");
    std::fs::write(
        &bad,
        "personas:\n  - id: x\n    identity:\n      given_name: A\n      family_name: B\n      gender: male\n      birthdate: \"2000-01-01\"\n      birthplace: \"75999\"\n      birthcountry: \"99100\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("commune.yaml:8: personas[0].identity.birthplace"), "{err}");
    let ok = Command::new(BIN).args(["serve", "--check-config"]).output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("configuration valid"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn serves_prints_the_banner_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .env("FCMOCK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    let mut issuer = None;
    let started = Instant::now();
    while issuer.is_none() && started.elapsed() < Duration::from_secs(20) {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("FranceConnect v2 issuer : ").nth(1) {
            issuer = Some(rest.trim().to_owned());
        }
        banner.push_str(&line);
        banner.push('\n');
    }
    let issuer = issuer.expect("issuer line in the banner");
    let base = issuer.trim_end_matches("/api/v2").replace("localhost", "127.0.0.1");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("{base}/_fcmock/health")).await.unwrap().status() });
    assert_eq!(status, 200);
    assert!(banner.contains("TEST ENVIRONMENT"));
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

#[test]
fn refuses_a_real_franceconnect_host_as_public_url() {
    let out = Command::new(BIN)
        .args(["--port", "0", "--public-url", "https://oidc.franceconnect.gouv.fr"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("real FranceConnect host"));
}

#[tokio::test]
async fn health_subcommand_answers_for_the_container() {
    let app = crate::helpers::TestApp::spawn().await;
    let base = app.base.clone();
    let ok = tokio::task::spawn_blocking(move || Command::new(BIN).args(["health", "--url", &base]).output().unwrap())
        .await
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("healthy"));
    // Nothing listens there: unhealthy, exit 1.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let ko = Command::new(BIN)
        .args(["health", "--url", &url, "--timeout", "2"])
        .output()
        .unwrap();
    assert_eq!(ko.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&ko.stderr).contains("unhealthy"),
        "{}",
        String::from_utf8_lossy(&ko.stderr)
    );
}
