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

const OWN_ID: &str = "0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de";
const OWN_SECRET: &str = "own-secret-never-printed-0123456789abcdef0123456789abcdef";

/// With the most verbose logs, a login's secrets never reach the output:
/// the client secret of the user's own configuration, an IdP password, codes
/// and tokens. (The demo clients' secrets are published and printed.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_hold_no_secret() {
    let dir = std::env::temp_dir().join(format!("fcmock-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let own = dir.join("own-client.yaml");
    std::fs::write(
        &own,
        format!(
            "clients:\n  - client_id: \"{OWN_ID}\"\n    client_secret: \"{OWN_SECRET}\"\n    name: \"Portail de test\"\n    redirect_uris: [\"http://localhost:9/callback\"]\n    allow_localhost_redirects: true\n    signing_alg: ES256\n    auto_login: {{ persona: camille-rochefort, idp: ameli }}\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["--port", &port.to_string(), "--log-format", "json", "--config"])
        .arg(&own)
        .env("FCMOCK_LOG", "trace")
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = crate::helpers::plain_http();
    let started = Instant::now();
    while http.get(format!("{base}/_fcmock/health")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "fcmock did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A login through an identity provider's page, with its password…
    let password = "mot-de-passe-tres-secret-0123";
    let r = http
        .post(format!("{base}/idp/ameli/login"))
        .form(&[("interaction", "x"), ("login", "someone"), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    // …and complete flows that send the client secret and carry codes and tokens.
    let bench = tokio::task::spawn_blocking({
        let base = base.clone();
        move || {
            Command::new(BIN)
                .args(["bench", "--json", "--url", &base, "-c", "2", "-d", "1", "--auto-login"])
                .args(["--client-id", OWN_ID, "--client-secret", OWN_SECRET])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&bench.stdout);
    assert!(report.contains("\"errors\":{}"), "{report}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let logs = std::fs::read_to_string(&out_path).unwrap() + &std::fs::read_to_string(&err_path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(logs.contains("fcmock listening"), "the logs were captured: {logs:.500}");
    assert!(logs.lines().count() > 20, "trace logs are verbose");
    assert!(
        logs.contains(crate::helpers::PUBLIC_SECRET),
        "the published demo secrets are in the banner"
    );
    for secret in [OWN_SECRET, password, "code=", "client_secret=", "Bearer "] {
        assert!(!logs.contains(secret), "`{secret}` appears in the logs");
    }
}

#[test]
fn unreadable_files_are_reported_like_every_configuration_error() {
    // A scenario (and a persona file) that is not UTF-8: file, line, newline.
    let dir = std::env::temp_dir().join(format!("fcmock-latin1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.yaml");
    std::fs::write(&file, b"name: ok\ndescription: \"caf\xe9\"\n").unwrap();
    for args in [vec!["scenario", "validate"], vec!["personas", "validate"]] {
        let out = Command::new(BIN).args(&args).arg(&file).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let expected = format!("{}:2: not UTF-8 text", file.display());
        assert!(err.contains(&expected), "{args:?}: {err}");
        assert!(err.ends_with('\n'), "{args:?}: {err:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .env("FCMOCK_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    let started = Instant::now();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("listening") || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    assert!(seen.contains("listening"), "{seen}");
    assert!(!seen.contains('\u{1b}'), "ANSI escape codes in piped logs: {seen:?}");
}

#[test]
fn personas_list_aligns_its_columns_and_counts_in_english() {
    let out = Command::new(BIN).args(["personas", "list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[0];
    let born_at = header.find("born").unwrap();
    // Every row's birth date starts under the header's "born" (in characters).
    for row in &lines[1..lines.len() - 1] {
        let date: String = row.chars().skip(born_at).take(10).collect();
        assert!(
            date.len() == 10 && date.chars().nth(4) == Some('-'),
            "misaligned row: {row}"
        );
    }
    assert!(lines.last().unwrap().ends_with("personas"), "{}", lines.last().unwrap());
    let one = Command::new(BIN)
        .args(["scenario", "validate", "scenarios/examples/ameli-en-panne.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&one.stdout).contains("(1 fault)"));
    let journeys = Command::new(BIN)
        .args(["scenario", "validate", "scenarios/journeys/fi-en-panne.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&journeys.stdout);
    assert!(text.contains("(1 fault, 1 journey)"), "{text}");
}

#[test]
fn a_reader_that_stops_early_gets_no_panic() {
    // `fcmock personas list | head -1`: 3,000 personas are far more than a
    // pipe holds, so fcmock writes to a closed pipe.
    let opts = fcmock::personas::generate::Options {
        count: 3000,
        seed: 31,
        ..Default::default()
    };
    let text = fcmock::personas::generate::to_jsonl(&fcmock::personas::generate::generate(&opts), &opts);
    let dir = std::env::temp_dir().join(format!("fcmock-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("many.jsonl");
    std::fs::write(&file, text).unwrap();
    let mut child = Command::new(BIN)
        .args(["personas", "list", "--config"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("id "), "{first}");
    // The reader is gone; fcmock meets the closed pipe.
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn on_one_core_fcmock_runs_on_one_thread_and_serves_logins() {
    // `taskset -c 0`: one CPU, so fcmock picks tokio's current-thread
    // runtime; the bench starts a server in the same process and logs in.
    let out = Command::new("taskset")
        .args(["-c", "0", BIN, "bench", "-c", "4", "-d", "1", "--json"])
        .output()
        .expect("taskset (util-linux) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    assert!(report["flows"].as_u64().unwrap_or(0) > 10, "{report}");
    let errors: u64 = report["errors"]
        .as_object()
        .map_or(1, |e| e.values().filter_map(serde_json::Value::as_u64).sum());
    assert_eq!(errors, 0, "{report}");
}
