//! Authorize validation as a pure function: the rules of FranceConnect v2
//! and FranceConnect+, without a server.

use super::{HubError, Rules, pick_acr, validate};
use crate::config::{Config, PlatformKind};

const FC_CLIENT: &str = "6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b";
const FC_REDIRECT: &str = "http://localhost:8080/callback";

fn rules(config: &Config, kind: PlatformKind) -> Rules<'_> {
    Rules {
        config,
        kind,
        issuer: "http://localhost:7080/api/v2",
        public_url: "http://localhost:7080",
    }
}

fn params(overrides: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut base = vec![
        ("client_id", FC_CLIENT),
        ("redirect_uri", FC_REDIRECT),
        ("response_type", "code"),
        ("scope", "openid identite_pivot email"),
        ("acr_values", "eidas1"),
        ("nonce", "n0nce-0123456789abcdef0123456789abcdef"),
        ("state", "st4te-0123456789abcdef"),
    ];
    for (k, v) in overrides {
        base.retain(|(n, _)| n != k);
        if let Some(v) = v {
            base.push((k, v));
        }
    }
    base.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The page code, or the redirected OAuth error.
fn surface(e: &HubError) -> String {
    match e {
        HubError::Page(p) => p.code.to_owned(),
        HubError::Redirect(r) => format!("redirect:{}", r.error),
    }
}

fn outcome(kind: PlatformKind, overrides: &[(&str, Option<&str>)]) -> Result<Vec<String>, String> {
    let config = Config::default_bundle().unwrap();
    validate(&rules(&config, kind), &params(overrides))
        .map(|r| r.scopes.to_vec())
        .map_err(|e| surface(&e))
}

#[test]
fn a_valid_request_gives_its_scopes() {
    let scopes = outcome(PlatformKind::Fc, &[]).unwrap();
    assert_eq!(scopes, ["openid", "identite_pivot", "email"]);
}

#[test]
fn before_the_client_and_redirect_uri_are_trusted_errors_are_pages() {
    assert_eq!(outcome(PlatformKind::Fc, &[("client_id", None)]), Err("Y030007".into()));
    assert_eq!(
        outcome(PlatformKind::Fc, &[("client_id", Some("inconnu"))]),
        Err("Y04EA6EF".into())
    );
    assert_eq!(
        outcome(PlatformKind::Fc, &[("redirect_uri", Some("https://evil.example/cb"))]),
        Err("Y04C013C".into())
    );
    assert_eq!(
        outcome(PlatformKind::Fc, &[("nonce", Some("short"))]),
        Err("Y030007".into())
    );
    // A FranceConnect v2 client is unknown to FranceConnect+.
    assert_eq!(outcome(PlatformKind::Fcplus, &[]), Err("Y04EA6EF".into()));
}

#[test]
fn once_trusted_errors_go_back_to_the_service_provider() {
    assert_eq!(
        outcome(PlatformKind::Fc, &[("response_type", Some("token"))]),
        Err("redirect:unsupported_response_type".into())
    );
    assert_eq!(
        outcome(PlatformKind::Fc, &[("acr_values", Some("eidas2"))]),
        Err("redirect:invalid_acr".into())
    );
    assert_eq!(
        outcome(PlatformKind::Fc, &[("scope", Some("profile email"))]),
        Err("redirect:invalid_request".into())
    );
}

#[test]
fn acr_rules() {
    assert_eq!(pick_acr("eidas1"), "eidas1");
    assert_eq!(pick_acr("niveau_inconnu"), "eidas1");
    assert_eq!(pick_acr("eidas3 eidas2"), "eidas2");
    assert_eq!(pick_acr("eidas2 eidas1"), "eidas1");
    assert_eq!(super::pick_acr_plus(""), "eidas3");
    assert_eq!(super::pick_acr_plus("eidas1"), "eidas3");
    assert_eq!(super::pick_acr_plus("eidas3 eidas2"), "eidas2");
}
