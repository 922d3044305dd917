//! Spoiling the tokens FranceConnect issues, for relying-party tests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::{Action, Ctx, Scenarios, TokenFault};
use crate::config::fault::{EchoFault, KidFault, SignatureFault};
use crate::crypto::{KeyError, SigningKey};
use crate::journal::RequestContext;

/// The content faults firing for a request handled at `endpoint`.
pub fn content_faults(
    scenarios: &Scenarios,
    rng: &crate::rng::Rng,
    rc: Option<&RequestContext>,
    endpoint: &str,
    persona: Option<&str>,
) -> Vec<Action> {
    let ctx = Ctx {
        endpoint,
        client: rc.and_then(|r| r.client_id.as_deref()),
        persona: persona.or_else(|| rc.and_then(|r| r.persona.as_deref())),
    };
    scenarios.fire(&ctx, false, rng).into_iter().map(|f| f.action).collect()
}

/// The token faults firing for a request handled at `endpoint`, of the
/// kind `pick` keeps (the id_token's, or userinfo's).
pub fn token_faults(
    scenarios: &Scenarios,
    rng: &crate::rng::Rng,
    rc: Option<&RequestContext>,
    endpoint: &str,
    pick: fn(Action) -> Option<TokenFault>,
) -> Vec<TokenFault> {
    content_faults(scenarios, rng, rc, endpoint, None)
        .into_iter()
        .filter_map(pick)
        .collect()
}

/// Claims after every fault's changes (in firing order), with the last
/// fault, which decides how they are signed; `None` when no fault fired
/// and the claims are to be signed as they are.
pub fn spoil_all(
    faults: &[TokenFault],
    claims: impl FnOnce() -> Map<String, Value>,
    now: i64,
) -> Option<(Map<String, Value>, &TokenFault)> {
    let last = faults.last()?;
    let mut map = claims();
    for f in faults {
        spoil_claims(f, &mut map, now);
    }
    Some((map, last))
}

/// Applies a fault's claim changes.
pub fn spoil_claims(f: &TokenFault, claims: &mut Map<String, Value>, now: i64) {
    if f.expired {
        claims.insert("iat".into(), json!(now - 180));
        claims.insert("exp".into(), json!(now - 120));
    }
    if f.iat_future {
        claims.insert("iat".into(), json!(now + 3600));
        claims.insert("exp".into(), json!(now + 3660));
    }
    if f.nbf_future {
        claims.insert("nbf".into(), json!(now + 3600));
    }
    match f.nonce {
        Some(EchoFault::Missing) => {
            claims.remove("nonce");
        }
        Some(EchoFault::Wrong) => {
            let wrong = format!(
                "wrong-{}",
                claims.get("nonce").and_then(Value::as_str).unwrap_or("nonce")
            );
            claims.insert("nonce".into(), json!(wrong));
        }
        None => {}
    }
    if f.sub.is_some() {
        let old = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        let changed = format!("{}v1", hex::encode(Sha256::digest(format!("changed:{old}").as_bytes())));
        claims.insert("sub".into(), json!(changed));
    }
    if let Some(extra) = &f.extra_aud {
        let aud = claims.get("aud").cloned().unwrap_or(Value::Null);
        claims.insert("aud".into(), json!([aud, extra]));
    }
    for (k, v) in &f.set {
        claims.insert(k.clone(), v.clone());
    }
    for k in &f.drop {
        claims.remove(k);
    }
}

/// Signs `claims` as the fault says (bad signature, `alg: none`, kid absent or unknown).
pub fn sign_spoiled(f: &TokenFault, key: &SigningKey, claims: &Map<String, Value>) -> Result<String, KeyError> {
    if f.signature == Some(SignatureFault::None) {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?);
        return Ok(format!("{header}.{payload}."));
    }
    let token = match f.kid {
        Some(KidFault::Absent) => key.sign_with_kid(claims, None)?,
        Some(KidFault::Unknown) => key.sign_with_kid(claims, Some("fcmock-unknown-kid"))?,
        None => key.sign(claims)?,
    };
    if f.signature == Some(SignatureFault::Bad) {
        return Ok(corrupt_signature(&token));
    }
    Ok(token)
}

/// Flips bits in the signature so that it no longer verifies.
fn corrupt_signature(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    if let Some(sig) = parts.get_mut(2)
        && let Ok(mut bytes) = URL_SAFE_NO_PAD.decode(sig.as_bytes())
    {
        let middle = bytes.len() / 2;
        if let Some(b) = bytes.get_mut(middle) {
            *b ^= 0x5a;
        }
        *sig = URL_SAFE_NO_PAD.encode(bytes);
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyRing;

    #[test]
    fn spoiled_tokens_fail_verification_as_intended() {
        let key = SigningKey::from_pem(include_str!("../../keys/fc-es256.pem"), "t", None).unwrap();
        let claims: Map<String, Value> = serde_json::from_value(json!({"sub": "s", "nonce": "n", "aud": "a"})).unwrap();
        let bad = TokenFault {
            signature: Some(SignatureFault::Bad),
            ..TokenFault::default()
        };
        let ring = KeyRing::new(vec![
            SigningKey::from_pem(include_str!("../../keys/fc-es256.pem"), "t", None).unwrap(),
        ]);
        assert!(
            ring.verify::<Value>(&sign_spoiled(&TokenFault::default(), &key, &claims).unwrap())
                .is_ok()
        );
        assert!(
            ring.verify::<Value>(&sign_spoiled(&bad, &key, &claims).unwrap())
                .is_err()
        );
        let none = sign_spoiled(
            &TokenFault {
                signature: Some(SignatureFault::None),
                ..TokenFault::default()
            },
            &key,
            &claims,
        )
        .unwrap();
        assert!(none.ends_with('.'));
        let mut c = claims.clone();
        spoil_claims(
            &TokenFault {
                nonce: Some(EchoFault::Missing),
                extra_aud: Some("evil".into()),
                ..TokenFault::default()
            },
            &mut c,
            0,
        );
        assert!(c.get("nonce").is_none());
        assert_eq!(c["aud"], json!(["a", "evil"]));
    }
}
