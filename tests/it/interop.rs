//! Interoperability: another JOSE implementation (Python's jwcrypto) decrypts
//! and verifies what fcmock encrypts and signs. jwcrypto is installed from
//! PyPI into the cargo target directory on first use, so `cargo test` needs
//! nothing installed by hand.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::*;

/// A folder where jwcrypto is importable (installing it there if needed).
fn python_path() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-python");
    let importable = || {
        Command::new("python3")
            .args(["-c", "import jwcrypto"])
            .env("PYTHONPATH", &dir)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !importable() {
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dir)
            .arg("jwcrypto")
            .status()
            .expect("python3 with pip");
        assert!(
            status.success() && importable(),
            "could not install jwcrypto from PyPI into {}",
            dir.display()
        );
    }
    dir
}

fn jwcrypto(key: &str, jwks: &str, answer: &str) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .env("PYTHONPATH", python_path())
        .arg(root.join("tests/interop/checktoken.py"))
        .arg(root.join("keys").join(key))
        .arg(jwks)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jwcrypto refused fcmock's answer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn jwcrypto_decrypts_and_verifies_checktoken_answers() {
    let app = TestApp::spawn().await;
    plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "persona": "sandrine-quemper", "idp": "ameli"}))
        .send()
        .await
        .unwrap();
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot", "dgfip_rfr", "cnaf_quotient_familial"], &[]);
    let code = query(&app.browser().get(&url).await.location.unwrap())["code"].clone();
    let at = Rp::access_token(&rp.redeem(&code).await.unwrap());
    let jwks = plain_http()
        .get(format!("{}/jwks", app.issuer()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (id, secret, key, alg) in [
        (
            "dp-dgfip-6a1f0e3c9b8d47e2a5c4f1b0d9e8c7a6",
            "dp-secret-dgfip-0123456789abcdef0123456789abcdef",
            "dp-dgfip-ecdh.pem",
            "ECDH-ES",
        ),
        (
            "dp-cnaf-2b7e9d4c1a3f48e6b0d5c9a8f7e6d5c4",
            "dp-secret-cnaf-fedcba9876543210fedcba9876543210",
            "dp-cnaf-rsa.pem",
            "RSA-OAEP-256",
        ),
    ] {
        let answer = plain_http()
            .post(format!("{}/checktoken", app.issuer()))
            .form(&[("token", at.as_str()), ("client_id", id), ("client_secret", secret)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let out = jwcrypto(key, &jwks, &answer);
        assert_eq!(out["jwe_header"]["alg"], alg);
        assert_eq!(out["jwe_header"]["enc"], "A256GCM");
        assert_eq!(out["claims"]["aud"], id);
        assert_eq!(out["claims"]["iss"], app.issuer());
        assert_eq!(out["claims"]["token_introspection"]["family_name"], "QUEMPER");
    }
}
