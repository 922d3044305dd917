//! The CI recipes of the README: the configuration they mount or pass
//! validates and registers the client the portal is told about, and the
//! container's health probe needs no shell.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_fcmock");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The YAML under `FCMOCK_CONFIG_INLINE: |` in the README, dedented.
fn inline_from_readme() -> String {
    let readme = read("README.md");
    let start = readme
        .find("FCMOCK_CONFIG_INLINE: |\n")
        .expect("the GitLab recipe's inline config");
    let mut lines = Vec::new();
    for line in readme[start..].lines().skip(1) {
        let Some(rest) = line.strip_prefix("      ") else { break };
        lines.push(rest);
    }
    lines.join("\n") + "\n"
}

#[test]
fn the_mounted_file_and_the_inline_text_register_the_client_the_portal_uses() {
    let readme = read("README.md");
    for (name, text) in [
        ("examples/ci/fcmock.yaml", read("examples/ci/fcmock.yaml")),
        ("FCMOCK_CONFIG_INLINE", inline_from_readme()),
    ] {
        let cfg = crate::helpers::load_source(name, text);
        let client = cfg
            .client("portail-commune-ci")
            .unwrap_or_else(|| panic!("{name}: no client"));
        // What the recipes tell the portal matches what fcmock registered.
        for (var, value) in [
            ("FC_CLIENT_ID", client.client_id.as_str()),
            ("FC_CLIENT_SECRET", client.client_secret.as_str()),
            ("FC_REDIRECT_URI", client.redirect_uris[0].as_str()),
        ] {
            let said = format!("{var}: {value}");
            assert_eq!(readme.matches(&said).count(), 2, "`{said}` in both recipes ({name})");
        }
        assert!(client.auto_login.is_some(), "{name}: the persona is chosen");
    }
}

#[test]
fn the_health_probe_needs_no_shell() {
    let dockerfile = read("Dockerfile");
    let probe = dockerfile
        .lines()
        .find(|l| l.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK");
    assert!(
        probe.ends_with(r#"CMD ["/fcmock", "health"]"#),
        "exec form, no shell: {probe}"
    );
    let readme = read("README.md");
    assert!(
        !readme
            .lines()
            .any(|l| l.trim_start().starts_with("options:") && l.contains("--health-cmd")),
        "a recipe's --health-cmd runs through /bin/sh, which the image lacks"
    );
    // The probe itself: exits 1 when nothing answers.
    let down = Command::new(BIN)
        .args(["health", "--url", "http://127.0.0.1:9", "--timeout", "1"])
        .output()
        .unwrap();
    assert!(!down.status.success());
}

#[test]
fn inline_configuration_errors_name_the_variable_and_the_line() {
    let out = Command::new(BIN)
        .args(["serve", "--check-config"])
        .env(
            "FCMOCK_CONFIG_INLINE",
            "clients:\n  - client_id: x\n    redirect_uris: 3\n",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FCMOCK_CONFIG_INLINE:"), "{err}");
}
