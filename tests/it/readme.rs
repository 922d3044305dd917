//! The README's recipes that can run here, run as written (against a test
//! server instead of localhost:7080).

use std::process::Command;

use crate::helpers::TestApp;

/// The README's fenced `sh` block that starts with `first_line`.
fn block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("```sh\n{first_line}"))
        .unwrap_or_else(|| panic!("no README block starting with `{first_line}`"));
    let body = &readme[start + "```sh\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

#[tokio::test]
async fn the_login_by_hand_runs_as_written() {
    let app = TestApp::spawn().await;
    let script = block("FC=http://localhost:7080").replacen("FC=http://localhost:7080", &format!("FC={}", app.base), 1);
    let out = tokio::task::spawn_blocking(move || Command::new("bash").arg("-euc").arg(script).output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"pending\":1"), "{stdout}");
    assert!(
        stdout.contains("\"nonce\": \"some-nonce-of-32-characters-00001\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"email\": \"yacine.bensaada@example.fr\""), "{stdout}");
    assert!(stdout.contains("\"given_name\": \"Yacine Karim\""), "{stdout}");
}
