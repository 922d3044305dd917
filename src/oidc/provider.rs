//! The code → token core every OpenID provider fcmock plays shares: the
//! FranceConnect platforms towards service providers, and each built-in
//! identity provider towards the hub.
//!
//! It reads the token request ([`GrantRequest`]), checks it against what
//! the code was issued for ([`IssuedCode`]), and builds the id_token claims
//! ([`IdTokenClaims`]) and the token response ([`token_response`]). Each
//! role maps [`GrantError`] to its own error surface (FranceConnect's `Y…`
//! codes for the platform, plain OAuth errors for the providers). Pure
//! functions: no clock read, no store, no HTTP.

use crate::oidc::form::FormMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

/// Why a token request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    /// No `grant_type` (or an empty one).
    MissingGrantType,
    /// A `grant_type` other than `authorization_code`.
    UnsupportedGrantType,
    /// No `code`.
    MissingCode,
    /// No `redirect_uri`.
    MissingRedirectUri,
    /// The code is unknown or already used.
    CodeNotFound,
    /// The code outlived its lifetime (fcmock says so, with its age).
    CodeExpired,
    /// The code was issued to another client.
    ClientMismatch,
    /// `redirect_uri` differs from the one sent at authorize.
    RedirectMismatch,
    /// `code_verifier` does not match the authorize request's `code_challenge`.
    PkceFailed,
}

impl GrantError {
    /// The OAuth `error` for this refusal (RFC 6749 §5.2).
    pub fn oauth_error(self) -> &'static str {
        match self {
            GrantError::MissingGrantType | GrantError::MissingCode | GrantError::MissingRedirectUri => {
                "invalid_request"
            }
            GrantError::UnsupportedGrantType => "unsupported_grant_type",
            GrantError::CodeNotFound
            | GrantError::CodeExpired
            | GrantError::ClientMismatch
            | GrantError::RedirectMismatch
            | GrantError::PkceFailed => "invalid_grant",
        }
    }

    /// The `error_description` node-oidc-provider (FranceConnect's engine) gives.
    pub fn description(self) -> &'static str {
        match self {
            GrantError::MissingGrantType => "missing required parameter 'grant_type'",
            GrantError::UnsupportedGrantType => "unsupported grant_type requested",
            GrantError::MissingCode => "missing required parameter 'code' (undefined)",
            GrantError::MissingRedirectUri => "missing required parameter 'redirect_uri'",
            GrantError::CodeNotFound => "grant request is invalid (authorization code not found)",
            // node-oidc-provider's own words for an expired code
            // (lib/actions/grants/authorization_code.js); FranceConnect's Redis
            // adapter usually drops the code first, so the real platform
            // tends to say "not found".
            GrantError::CodeExpired => "grant request is invalid (authorization code is expired)",
            GrantError::ClientMismatch => "grant request is invalid (authorization code client mismatch)",
            GrantError::RedirectMismatch => "grant request is invalid (authorization code redirect_uri mismatch)",
            GrantError::PkceFailed => "grant request is invalid (PKCE verification failed)",
        }
    }
}

/// A token request's grant parameters, present and of the right type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRequest<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: Option<&'a str>,
}

impl<'a> GrantRequest<'a> {
    /// Reads `grant_type`, `code`, `redirect_uri` and `code_verifier`, in
    /// the order node-oidc-provider checks them.
    pub fn parse(form: &'a FormMap<'_>) -> Result<Self, GrantError> {
        let get = |k: &str| form.get(k).map(|v| &**v).filter(|v| !v.is_empty());
        match get("grant_type") {
            None => return Err(GrantError::MissingGrantType),
            Some("authorization_code") => {}
            Some(_) => return Err(GrantError::UnsupportedGrantType),
        }
        let code = get("code").ok_or(GrantError::MissingCode)?;
        let redirect_uri = get("redirect_uri").ok_or(GrantError::MissingRedirectUri)?;
        Ok(Self {
            code,
            redirect_uri,
            code_verifier: get("code_verifier"),
        })
    }

    /// Checks the request against what its code was issued for.
    pub fn check(&self, client_id: &str, issued: &IssuedCode<'_>) -> Result<(), GrantError> {
        if issued.client_id != client_id {
            return Err(GrantError::ClientMismatch);
        }
        if issued.redirect_uri != self.redirect_uri {
            return Err(GrantError::RedirectMismatch);
        }
        if let Some(challenge) = issued.code_challenge {
            let verifier = self.code_verifier.unwrap_or_default();
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
                return Err(GrantError::PkceFailed);
            }
        }
        Ok(())
    }
}

/// What an authorization code was issued for.
#[derive(Debug, Clone, Copy)]
pub struct IssuedCode<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    /// The S256 `code_challenge` of the authorize request, if any.
    pub code_challenge: Option<&'a str>,
}

/// The claims of an id_token, as every fcmock provider issues them.
#[derive(Debug, Clone)]
pub struct IdTokenClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    /// Issued at, in seconds.
    pub iat: i64,
    /// Lifetime in seconds (`exp = iat + ttl`).
    pub ttl: i64,
    pub nonce: &'a str,
    pub acr: &'a str,
    pub auth_time: i64,
    /// Authentication methods, when they go in the id_token.
    pub amr: Option<&'a [String]>,
}

impl IdTokenClaims<'_> {
    /// The claims as a JSON object (for scenario faults that edit them).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.iss));
        claims.insert("sub".into(), json!(self.sub));
        claims.insert("aud".into(), json!(self.aud));
        claims.insert("exp".into(), json!(self.iat + self.ttl));
        claims.insert("iat".into(), json!(self.iat));
        claims.insert("nonce".into(), json!(self.nonce));
        claims.insert("acr".into(), json!(self.acr));
        claims.insert("auth_time".into(), json!(self.auth_time));
        if let Some(amr) = self.amr {
            claims.insert("amr".into(), json!(amr));
        }
        claims
    }
}

/// Serialised as [`to_map`](IdTokenClaims::to_map)'s object is, byte for
/// byte (its keys sorted), without building it: a token nobody spoils is
/// signed straight from the claims.
impl serde::Serialize for IdTokenClaims<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(8 + usize::from(self.amr.is_some())))?;
        m.serialize_entry("acr", self.acr)?;
        if let Some(amr) = self.amr {
            m.serialize_entry("amr", amr)?;
        }
        m.serialize_entry("aud", self.aud)?;
        m.serialize_entry("auth_time", &self.auth_time)?;
        m.serialize_entry("exp", &(self.iat + self.ttl))?;
        m.serialize_entry("iat", &self.iat)?;
        m.serialize_entry("iss", self.iss)?;
        m.serialize_entry("nonce", self.nonce)?;
        m.serialize_entry("sub", self.sub)?;
        m.end()
    }
}

/// The token endpoint's answer (fields in key order, as a JSON object
/// built with `json!` has them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
    /// A JWS, or for FranceConnect+ the JWE that seals it.
    pub id_token: String,
    pub scope: String,
    pub token_type: &'static str,
}

/// The token endpoint's answer.
pub fn token_response(access_token: String, expires_in: i64, id_token: String, scope: String) -> TokenResponse {
    TokenResponse {
        access_token,
        expires_in,
        id_token,
        scope,
        token_type: "Bearer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn form<'a>(pairs: &[(&'a str, &'a str)]) -> FormMap<'a> {
        pairs
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect()
    }

    #[test]
    fn grant_requests_are_checked_in_node_oidc_providers_order() {
        let ok = [
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", "https://sp/cb"),
        ];
        let parse = |pairs: &[(&str, &str)]| GrantRequest::parse(&form(pairs)).map(|r| r.code.to_owned());
        assert_eq!(parse(&ok), Ok("c".to_owned()));
        assert_eq!(parse(&ok[1..]), Err(GrantError::MissingGrantType));
        assert_eq!(
            parse(&[("grant_type", "refresh_token"), ("code", "c")]),
            Err(GrantError::UnsupportedGrantType)
        );
        assert_eq!(parse(&[ok[0], ok[2]]), Err(GrantError::MissingCode));
        assert_eq!(parse(&[ok[0], ok[1]]), Err(GrantError::MissingRedirectUri));
        assert_eq!(parse(&[ok[0], ("code", ""), ok[2]]), Err(GrantError::MissingCode));
    }

    #[test]
    fn a_code_redeems_only_for_its_client_redirect_and_verifier() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        // RFC 7636 appendix B.
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let f = form(&[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", "https://sp/cb"),
            ("code_verifier", verifier),
        ]);
        let req = GrantRequest::parse(&f).unwrap();
        let issued = IssuedCode {
            client_id: "a",
            redirect_uri: "https://sp/cb",
            code_challenge: Some(challenge),
        };
        assert_eq!(req.check("a", &issued), Ok(()));
        assert_eq!(req.check("b", &issued), Err(GrantError::ClientMismatch));
        let elsewhere = IssuedCode {
            redirect_uri: "https://sp/other",
            ..issued
        };
        assert_eq!(req.check("a", &elsewhere), Err(GrantError::RedirectMismatch));
        let other = IssuedCode {
            code_challenge: Some("not-the-challenge"),
            ..issued
        };
        assert_eq!(req.check("a", &other), Err(GrantError::PkceFailed));
    }

    #[test]
    fn id_token_claims_carry_exp_from_iat_and_amr_only_when_asked() {
        let amr = vec!["fc".to_owned(), "pwd".to_owned()];
        let base = IdTokenClaims {
            iss: "https://fc",
            sub: "s",
            aud: "a",
            iat: 1_000,
            ttl: 60,
            nonce: "n",
            acr: "eidas1",
            auth_time: 990,
            amr: None,
        };
        let m = base.to_map();
        assert_eq!(m["exp"], 1_060);
        assert!(!m.contains_key("amr"));
        let with = IdTokenClaims {
            amr: Some(&amr),
            ..base
        };
        assert_eq!(with.to_map()["amr"], json!(["fc", "pwd"]));
        assert_eq!(with.to_map().len(), 9);
        for claims in [&base, &with] {
            let direct = serde_json::to_vec(claims).expect("serialises");
            let via_map = serde_json::to_vec(&claims.to_map()).expect("serialises");
            assert_eq!(String::from_utf8_lossy(&direct), String::from_utf8_lossy(&via_map));
        }
    }
}
