//! An issuer's JWKS, fetched once, and a JWT check that names the reason of
//! each refusal, in the order a careful relying party makes them: header and
//! algorithm, key, signature, then issuer, audience, expiry, issue time and
//! nonce.

use std::collections::HashMap;

use serde_json::Value;

use super::{AgentError, Rejection};

/// Seconds of clock skew tolerated on `exp` and `iat`.
pub(crate) const LEEWAY_S: i64 = 5;

/// Verification keys of one issuer, by kid.
pub struct Jwks {
    pub issuer: String,
    by_kid: HashMap<String, jsonwebtoken::DecodingKey>,
}

/// What the claims must say.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    /// The relying party's client_id: `aud` must be exactly it.
    pub audience: &'a str,
    /// The nonce sent at authorize (id_token only).
    pub nonce: Option<&'a str>,
    /// The current time, in seconds since the epoch.
    pub now: i64,
    /// Whether the id_token rules apply: `sub`, `exp` and `iat` required,
    /// `iat` not in the future. Otherwise (userinfo, checktoken answers) only
    /// a present `exp` is checked.
    pub id_token_rules: bool,
}

impl Jwks {
    /// Fetches `jwks_uri`, keeping the keys that have a kid.
    pub async fn fetch(http: &reqwest::Client, issuer: &str, jwks_uri: &str) -> Result<Self, AgentError> {
        let set: jsonwebtoken::jwk::JwkSet = http
            .get(jwks_uri)
            .send()
            .await
            .map_err(AgentError::http("jwks"))?
            .json()
            .await
            .map_err(AgentError::http("jwks"))?;
        let by_kid = set
            .keys
            .iter()
            .filter_map(|k| {
                let kid = k.common.key_id.clone()?;
                Some((kid, jsonwebtoken::DecodingKey::from_jwk(k).ok()?))
            })
            .collect();
        Ok(Self {
            issuer: issuer.to_owned(),
            by_kid,
        })
    }

    /// The kids this issuer publishes.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.by_kid.keys().map(String::as_str)
    }

    /// Verifies `jwt` and returns its claims, or the reason to refuse it.
    pub fn verify(&self, jwt: &str, expect: &Expect<'_>) -> Result<Value, AgentError> {
        let claims = self.verify_signature(jwt)?;
        check_claims(&claims, &self.issuer, expect)?;
        Ok(claims)
    }

    /// Checks the claims of `jwt` and that its header names a key of this
    /// JWKS, without the signature's arithmetic: for a load generator that
    /// verifies signatures on a sample of its flows only (`fcmock bench
    /// --verify-every`). Never for a relying party's decision.
    pub fn check_unsigned(&self, jwt: &str, expect: &Expect<'_>) -> Result<Value, AgentError> {
        self.key_for(jwt)?;
        let claims = jwt
            .split('.')
            .nth(1)
            .and_then(|body| base64_json(body).ok())
            .ok_or_else(|| AgentError::rejected(Rejection::Malformed, "payload is not base64url JSON"))?;
        check_claims(&claims, &self.issuer, expect)?;
        Ok(claims)
    }

    /// The checks of a JWS's shape and header: three parts, a signing
    /// algorithm (not `none`) and a `kid` this JWKS publishes.
    fn key_for(&self, jwt: &str) -> Result<(&jsonwebtoken::DecodingKey, jsonwebtoken::Header), AgentError> {
        if jwt.split('.').count() != 3 {
            return Err(AgentError::rejected(
                Rejection::Malformed,
                "not a compact JWS (three dot-separated parts)",
            ));
        }
        let header_json = jwt
            .split('.')
            .next()
            .and_then(|h| base64_json(h).ok())
            .ok_or_else(|| AgentError::rejected(Rejection::Malformed, "header is not base64url JSON"))?;
        if header_json.get("alg").and_then(Value::as_str) == Some("none") {
            return Err(AgentError::rejected(Rejection::Unsigned, "alg is none"));
        }
        let header =
            jsonwebtoken::decode_header(jwt).map_err(|e| AgentError::rejected(Rejection::Malformed, e.to_string()))?;
        let key = match &header.kid {
            Some(kid) => self.by_kid.get(kid).ok_or_else(|| {
                AgentError::rejected(Rejection::UnknownKey, format!("kid `{kid}` is not in the JWKS"))
            })?,
            None => {
                return Err(AgentError::rejected(Rejection::UnknownKey, "no kid in the header"));
            }
        };
        Ok((key, header))
    }

    /// Checks the header, the key and the signature only.
    fn verify_signature(&self, jwt: &str) -> Result<Value, AgentError> {
        let (key, header) = self.key_for(jwt)?;
        let mut v = jsonwebtoken::Validation::new(header.alg);
        // Claims are checked below, each with its own reason.
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(jwt, key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    AgentError::rejected(Rejection::BadSignature, e.to_string())
                }
                _ => AgentError::rejected(Rejection::Malformed, e.to_string()),
            })
    }
}

fn base64_json(part: &str) -> Result<Value, ()> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ())?;
    serde_json::from_slice(&bytes).map_err(|_| ())
}

/// The claim checks of a verified JWT.
pub fn check_claims(claims: &Value, issuer: &str, expect: &Expect<'_>) -> Result<(), AgentError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    if expect.id_token_rules && text("sub").is_none_or(str::is_empty) {
        return Err(AgentError::rejected(Rejection::MissingClaim, "no sub"));
    }
    if text("iss") != Some(issuer) {
        return Err(AgentError::rejected(
            Rejection::WrongIssuer,
            format!("iss is {:?}, expected {issuer}", claims.get("iss")),
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        // Several audiences: only acceptable if this client is the only one.
        Some(Value::Array(list)) => list.len() == 1 && list.first().and_then(Value::as_str) == Some(expect.audience),
        _ => false,
    };
    if !aud_ok {
        return Err(AgentError::rejected(
            Rejection::WrongAudience,
            format!("aud is {:?}, expected {}", claims.get("aud"), expect.audience),
        ));
    }
    match number("exp") {
        Some(exp) if exp + LEEWAY_S < expect.now => {
            return Err(AgentError::rejected(
                Rejection::Expired,
                format!("exp {exp} is before now {}", expect.now),
            ));
        }
        None if expect.id_token_rules => return Err(AgentError::rejected(Rejection::MissingClaim, "no exp")),
        _ => {}
    }
    match number("iat") {
        Some(iat) if expect.id_token_rules && iat > expect.now + LEEWAY_S => {
            return Err(AgentError::rejected(
                Rejection::IssuedInFuture,
                format!("iat {iat} is after now {}", expect.now),
            ));
        }
        None if expect.id_token_rules => return Err(AgentError::rejected(Rejection::MissingClaim, "no iat")),
        _ => {}
    }
    if let Some(nonce) = expect.nonce
        && text("nonce") != Some(nonce)
    {
        return Err(AgentError::rejected(
            Rejection::WrongNonce,
            format!("nonce is {:?}, expected {nonce}", claims.get("nonce")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reason(claims: &Value, id_token: bool) -> Option<Rejection> {
        let expect = Expect {
            audience: "client",
            nonce: id_token.then_some("n"),
            now: 1_000,
            id_token_rules: id_token,
        };
        check_claims(claims, "https://fc.example", &expect)
            .err()
            .and_then(|e| e.rejection())
    }

    #[test]
    fn each_claim_check_names_its_reason() {
        let good =
            json!({"sub": "s", "iss": "https://fc.example", "aud": "client", "exp": 1_060, "iat": 1_000, "nonce": "n"});
        assert_eq!(reason(&good.clone(), true), None);
        let with = |k: &str, v: Value| {
            let mut c = good.clone();
            c[k] = v;
            c
        };
        let without = |k: &str| {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove(k);
            c
        };
        assert_eq!(
            reason(&with("iss", json!("https://other")), true),
            Some(Rejection::WrongIssuer)
        );
        assert_eq!(
            reason(&with("aud", json!("other")), true),
            Some(Rejection::WrongAudience)
        );
        assert_eq!(
            reason(&with("aud", json!(["client", "x"])), true),
            Some(Rejection::WrongAudience)
        );
        assert_eq!(reason(&with("aud", json!(["client"])), true), None);
        assert_eq!(reason(&with("exp", json!(900)), true), Some(Rejection::Expired));
        assert_eq!(
            reason(&with("iat", json!(2_000)), true),
            Some(Rejection::IssuedInFuture)
        );
        assert_eq!(reason(&with("nonce", json!("m")), true), Some(Rejection::WrongNonce));
        assert_eq!(reason(&without("nonce"), true), Some(Rejection::WrongNonce));
        for claim in ["sub", "exp", "iat"] {
            assert_eq!(reason(&without(claim), true), Some(Rejection::MissingClaim), "{claim}");
            // Outside the id_token rules, only a present exp counts.
            assert_eq!(reason(&without(claim), false), None, "{claim}");
        }
        assert_eq!(reason(&with("exp", json!(900)), false), Some(Rejection::Expired));
    }
}
