//! Verifying a JWS signed by someone else's key: an identity provider's
//! signed userinfo against the JWKS it publishes. The `openidconnect` crate
//! checks id_tokens; this is for the answers it cannot check (userinfo
//! signed with ES256 among them).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde::Deserialize as _;
use serde_json::Value;

use super::Alg;

/// Why a JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a JWS (three base64url parts with a JSON header): {0}")]
    Malformed(String),
    #[error("signed with {got}; accepted: {accepted}")]
    AlgNotAccepted { got: String, accepted: String },
    #[error("the JWKS has no key with kid `{0}`")]
    UnknownKid(String),
    #[error("the JWKS has no {0} key that could have signed it")]
    NoKey(&'static str),
    #[error("the JWKS is not a JWK set: {0}")]
    BadJwks(String),
    #[error("signature verification failed")]
    BadSignature,
}

impl JwsError {
    /// Whether fetching the signer's JWKS again could help (a key rotation).
    pub fn may_be_rotation(&self) -> bool {
        matches!(
            self,
            JwsError::UnknownKid(_) | JwsError::NoKey(_) | JwsError::BadSignature
        )
    }
}

/// The header and claims of `token` if one key of `jwks` with an accepted
/// algorithm verifies it. Time claims are not checked: callers compare them
/// with the injected clock.
pub fn verify_with_jwks(token: &str, jwks: &Value, accepted: &[Alg]) -> Result<(Value, Value), JwsError> {
    let header = decode_header(token).map_err(|e| JwsError::Malformed(e.to_string()))?;
    let names: Vec<&str> = accepted.iter().map(|a| a.as_str()).collect();
    let alg = accepted
        .iter()
        .find(|a| a.jwt() == header.alg)
        .copied()
        .ok_or_else(|| JwsError::AlgNotAccepted {
            got: format!("{:?}", header.alg),
            accepted: names.join(", "),
        })?;
    let set = JwkSet::deserialize(jwks).map_err(|e| JwsError::BadJwks(e.to_string()))?;
    let candidates: Vec<_> = match &header.kid {
        Some(kid) => {
            let found: Vec<_> = set
                .keys
                .iter()
                .filter(|k| k.common.key_id.as_deref() == Some(kid))
                .collect();
            if found.is_empty() {
                return Err(JwsError::UnknownKid(kid.clone()));
            }
            found
        }
        None => set.keys.iter().collect(),
    };
    let mut validation = Validation::new(alg.jwt());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let mut tried = false;
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
        tried = true;
        if let Ok(data) = decode::<Value>(token, &key, &validation) {
            let header = serde_json::to_value(&data.header).unwrap_or(Value::Null);
            return Ok((header, data.claims));
        }
    }
    if tried {
        Err(JwsError::BadSignature)
    } else {
        Err(JwsError::NoKey(alg.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::fresh_es256;

    fn es256(seed: u64) -> crate::crypto::SigningKey {
        fresh_es256(&crate::rng::Rng::seeded(seed), "t").unwrap()
    }

    #[test]
    fn es256_verifies_and_the_wrong_key_or_algorithm_does_not() {
        let signer = es256(7);
        let token = signer.sign(&serde_json::json!({"sub": "abc"})).unwrap();
        let jwks = serde_json::json!({"keys": [signer.public_jwk()]});
        let (header, claims) = verify_with_jwks(&token, &jwks, &[Alg::ES256, Alg::RS256]).unwrap();
        assert_eq!(
            (claims["sub"].as_str(), header["alg"].as_str()),
            (Some("abc"), Some("ES256"))
        );
        assert!(matches!(
            verify_with_jwks(&token, &jwks, &[Alg::RS256]),
            Err(JwsError::AlgNotAccepted { .. })
        ));
        // Another key published under the signer's kid: a bad signature.
        let mut impostor = es256(8).public_jwk().clone();
        impostor["kid"] = signer.public_jwk()["kid"].clone();
        let wrong = serde_json::json!({"keys": [impostor]});
        assert_eq!(
            verify_with_jwks(&token, &wrong, &[Alg::ES256]),
            Err(JwsError::BadSignature)
        );
        let empty = serde_json::json!({"keys": []});
        let err = verify_with_jwks(&token, &empty, &[Alg::ES256]).unwrap_err();
        assert!(matches!(err, JwsError::UnknownKid(_)) && err.may_be_rotation(), "{err}");
    }
}
