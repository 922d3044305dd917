//! Interoperability: another JOSE implementation (Python's jwcrypto) decrypts
//! and verifies what fcmock encrypts and signs. jwcrypto (and xmlschema, which
//! `check.rs` uses on the JUnit reports) is installed from PyPI into the
//! cargo target directory on first use (wherever `CARGO_TARGET_DIR` puts
//! it), so `cargo test` needs nothing installed by hand.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::helpers::*;

fn importable(dir: &Path) -> bool {
    Command::new("python3")
        .args(["-c", "import jwcrypto, xmlschema"])
        .env("PYTHONPATH", dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// A folder where jwcrypto and xmlschema are importable, installed once per target
/// directory (`CARGO_TARGET_TMPDIR` follows `CARGO_TARGET_DIR`). The install
/// goes to a folder of this process's own and is renamed into place, so two
/// test runs at once never see a half-installed package; within one run the
/// tests share one install.
pub fn python_path() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-python-2");
            if importable(&dir) {
                return dir;
            }
            let staging = dir.with_extension(format!("partial-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&staging);
            let status = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--target",
                ])
                .arg(&staging)
                .args(["jwcrypto", "xmlschema"])
                .status()
                .expect("python3 with pip");
            assert!(status.success(), "could not install jwcrypto and xmlschema from PyPI");
            if dir.exists() && !importable(&dir) {
                // A broken earlier install: set it aside.
                let _ = std::fs::rename(&dir, dir.with_extension(format!("broken-{}", std::process::id())));
            }
            if std::fs::rename(&staging, &dir).is_err() {
                // Another run installed it first: use theirs.
                let _ = std::fs::remove_dir_all(&staging);
            }
            assert!(
                importable(&dir),
                "jwcrypto or xmlschema is not importable from {}",
                dir.display()
            );
            dir
        })
        .clone()
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
    queue_login(&app, PUBLIC_CLIENT, "sandrine-quemper", "ameli").await;
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

#[tokio::test]
async fn jwcrypto_decrypts_and_verifies_franceconnect_plus_tokens() {
    let app = TestApp::spawn().await;
    let issuer = app.url("/fcplus/api/v2");
    let jwks = plain_http()
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (client, secret, key, alg) in [
        (
            "b7e4c1a9d2f85e36a0c9b4d7e1f28a5c3d6b9e0f2a4c7e1b8d5f3a6c9e2b4d7f",
            "demo-secret-fcplus-mairie-0123456789abcdef0123456789abcdef",
            "fs-fcplus-ec.pem",
            "ECDH-ES",
        ),
        (
            "e2d5a8c1b4f7396e0a3d6c9b2e5f8a1d4c7b0e3f6a9d2c5b8e1f4a7d0c3b6e9a",
            "demo-secret-fcplus-banque-privee-fedcba9876543210fedcba987654",
            "fs-fcplus-rsa.pem",
            "RSA-OAEP-256",
        ),
    ] {
        queue_login(&app, client, "alix-morange", "franceidentite").await;
        let mut url = url::Url::parse(&format!("{issuer}/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid family_name rnipp_family_name")
            .append_pair("state", STATE)
            .append_pair("nonce", NONCE)
            .append_pair("acr_values", "eidas3");
        let code = query(&app.browser().get(url.as_str()).await.location.unwrap())["code"].clone();
        let tokens: Value = plain_http()
            .post(format!("{issuer}/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("client_id", client),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = jwcrypto(key, &jwks, tokens["id_token"].as_str().unwrap());
        assert_eq!(id["jwe_header"]["alg"], alg);
        assert_eq!(id["jwe_header"]["cty"], "JWT");
        assert_eq!(id["claims"]["iss"], issuer.as_str());
        assert_eq!(id["claims"]["aud"], client);
        assert_eq!(id["claims"]["acr"], "eidas3");
        let userinfo = plain_http()
            .get(format!("{issuer}/userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let info = jwcrypto(key, &jwks, &userinfo);
        assert_eq!(info["claims"]["family_name"], "Morange");
        assert_eq!(info["claims"]["rnipp_family_name"], "MORANGE");
    }
}
