//! Signing keys and JWKS.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The JWS algorithms FranceConnect v2 signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Alg {
    /// ECDSA P-256 with SHA-256 (FranceConnect's recommendation).
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
}

impl Alg {
    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Alg::ES256 => jsonwebtoken::Algorithm::ES256,
            Alg::RS256 => jsonwebtoken::Algorithm::RS256,
        }
    }

    /// The name used in JOSE headers and discovery documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::ES256 => "ES256",
            Alg::RS256 => "RS256",
        }
    }

    /// Parses `ES256` / `RS256`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(Alg::ES256),
            "RS256" => Some(Alg::RS256),
            _ => None,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key could not be loaded, generated or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{source_name}: not a PEM document: {detail}")]
    Pem { source_name: String, detail: String },
    #[error("{source_name}: not a P-256 PKCS#8 key or not an RSA key: {detail}")]
    Unsupported { source_name: String, detail: String },
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("token rejected: {0}")]
    Verify(String),
    #[error("no signing key for {0}")]
    NoKey(Alg),
    #[error("cannot write {path}: {detail}")]
    Write { path: String, detail: String },
}

/// A private key ready to sign, with its public JWK.
pub struct SigningKey {
    alg: Alg,
    kid: String,
    /// `base64url({"alg":…,"kid":…})`, the header of every token signed with
    /// the key's own `kid`, encoded once.
    header: String,
    signer: Signer,
    decoding: DecodingKey,
    public_jwk: Value,
    /// Digests of the tokens this key verified lately: verifying one again
    /// (the journal does at each read, for every token it shows) needs no
    /// curve arithmetic. Filled by `verify`, not by `sign`: a login pays
    /// for no digest (two SHA-256 and a set update per login, ~1.5 µs in
    /// `bench/pinned.sh`'s profile); the first read of a token pays one
    /// verification. Bounded.
    recent: parking_lot::Mutex<Recent>,
}

/// The private half, parsed once. (jsonwebtoken's `EncodingKey` keeps the DER
/// and parses it on every signature, which for P-256 recomputes the public
/// point: ~9% of the server's CPU under load. ring's key pairs are reused.)
#[derive(Debug)]
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A bounded set of token digests, oldest forgotten first.
#[derive(Debug, Default)]
struct Recent {
    order: std::collections::VecDeque<[u8; 32]>,
    set: std::collections::HashSet<[u8; 32]>,
}

const RECENT_MAX: usize = 4096;

impl Recent {
    fn remember(&mut self, digest: [u8; 32]) {
        if self.set.insert(digest) {
            self.order.push_back(digest);
        }
        while self.order.len() > RECENT_MAX {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }
}

/// A JWS header `{alg[, kid]}`, base64url-encoded.
fn encoded_header(alg: Alg, kid: Option<&str>) -> String {
    let header = match kid {
        Some(kid) => json!({"alg": alg.as_str(), "kid": kid}),
        None => json!({"alg": alg.as_str()}),
    };
    URL_SAFE_NO_PAD.encode(header.to_string())
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Parses a PEM private key (P-256 PKCS#8, or RSA PKCS#8/PKCS#1).
    ///
    /// `kid` defaults to the RFC 7638 thumbprint of the public key.
    pub fn from_pem(pem_text: &str, source_name: &str, kid: Option<&str>) -> Result<Self, KeyError> {
        let doc = pem::parse(pem_text).map_err(|e| KeyError::Pem {
            source_name: source_name.to_owned(),
            detail: e.to_string(),
        })?;
        let der = doc.contents();
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &ring_random()) {
            let point = pair.public_key().as_ref();
            let (x, y) = match (point.get(1..33), point.get(33..65)) {
                (Some(x), Some(y)) => (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y)),
                _ => {
                    return Err(KeyError::Unsupported {
                        source_name: source_name.to_owned(),
                        detail: "unexpected public point length".to_owned(),
                    });
                }
            };
            let thumb = thumbprint(&format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#));
            let kid = kid.map_or(thumb, str::to_owned);
            let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|e| KeyError::Unsupported {
                source_name: source_name.to_owned(),
                detail: e.to_string(),
            })?;
            let public_jwk =
                json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig"});
            return Ok(Self {
                alg: Alg::ES256,
                header: encoded_header(Alg::ES256, Some(&kid)),
                kid,
                signer: Signer::Ec(pair),
                decoding,
                public_jwk,
                recent: parking_lot::Mutex::default(),
            });
        }
        let rsa_key = rsa::RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_der(der))
            .map_err(|e| KeyError::Unsupported {
                source_name: source_name.to_owned(),
                detail: e.to_string(),
            })?;
        let n = URL_SAFE_NO_PAD.encode(rsa_key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(rsa_key.e().to_bytes_be());
        let thumb = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        let kid = kid.map_or(thumb, str::to_owned);
        let pkcs1 = rsa::pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(&rsa_key).map_err(|e| KeyError::Unsupported {
            source_name: source_name.to_owned(),
            detail: e.to_string(),
        })?;
        let pair = RsaKeyPair::from_der(pkcs1.as_bytes()).map_err(|e| KeyError::Unsupported {
            source_name: source_name.to_owned(),
            detail: e.to_string(),
        })?;
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|err| KeyError::Unsupported {
            source_name: source_name.to_owned(),
            detail: err.to_string(),
        })?;
        let public_jwk = json!({"kty": "RSA", "n": n, "e": e, "kid": kid, "alg": "RS256", "use": "sig"});
        Ok(Self {
            alg: Alg::RS256,
            header: encoded_header(Alg::RS256, Some(&kid)),
            kid,
            signer: Signer::Rsa(pair),
            decoding,
            public_jwk,
            recent: parking_lot::Mutex::default(),
        })
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The key id published in the JWKS and in every JWS header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (never any private member).
    pub fn public_jwk(&self) -> &Value {
        &self.public_jwk
    }

    /// Signs `claims` as a compact JWS with header exactly `{alg, kid}`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        self.jws(Some(&self.kid), claims)
    }

    /// Signs with a chosen `kid` (or none): for key faults only.
    pub fn sign_with_kid<T: Serialize>(&self, claims: &T, kid: Option<&str>) -> Result<String, KeyError> {
        self.jws(kid, claims)
    }

    /// RFC 7515 compact serialisation: header `{alg[, kid]}`, the claims as
    /// JSON, and the signature over `base64url(header).base64url(claims)`.
    fn jws<T: Serialize>(&self, kid: Option<&str>, claims: &T) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        let mut out = if kid == Some(self.kid.as_str()) {
            self.header.clone()
        } else {
            encoded_header(self.alg, kid)
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut out);
        let rng = ring_random();
        let signature = match &self.signer {
            Signer::Ec(pair) => pair
                .sign(&rng, out.as_bytes())
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign("ECDSA signing failed".to_owned()))?,
            Signer::Rsa(pair) => {
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, out.as_bytes(), &mut sig)
                    .map_err(|_| KeyError::Sign("RSA signing failed".to_owned()))?;
                sig
            }
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        Ok(out)
    }

    /// Verifies a JWS made by this key and returns its claims. Time-based
    /// claims are *not* checked here: callers compare them with the injected clock.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, KeyError> {
        let mut validation = Validation::new(self.alg.jwt());
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let seen = digest(token);
        let known = self.recent.lock().set.contains(&seen);
        if known {
            // This exact token verified before: its signature is this key's.
            validation.insecure_disable_signature_validation();
        }
        let claims = jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| KeyError::Verify(e.to_string()))?;
        if !known {
            self.recent.lock().remember(seen);
        }
        Ok(claims)
    }
}

/// RFC 7638 JWK thumbprint of the canonical JSON `members`.
fn thumbprint(members: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes()))
}

/// The keys of one issuer (a platform or an identity provider).
///
/// Published keys appear in the JWKS; one active key per algorithm signs.
/// Rotation is two-step, as careful issuers do it: [`publish`](Self::publish)
/// new keys (in the JWKS, not signing yet), [`activate`](Self::activate)
/// them (signing), then [`retire`](Self::retire) the old ones.
#[derive(Debug, Default)]
pub struct KeyRing {
    inner: parking_lot::RwLock<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    published: Vec<std::sync::Arc<SigningKey>>,
    active: Vec<std::sync::Arc<SigningKey>>,
    pending: Vec<std::sync::Arc<SigningKey>>,
}

impl KeyRing {
    /// A ring holding `keys`; the first key of each algorithm signs.
    pub fn new(keys: Vec<SigningKey>) -> Self {
        let published: Vec<std::sync::Arc<SigningKey>> = keys.into_iter().map(std::sync::Arc::new).collect();
        let mut active: Vec<std::sync::Arc<SigningKey>> = Vec::new();
        for k in &published {
            if !active.iter().any(|a| a.alg == k.alg) {
                active.push(k.clone());
            }
        }
        Self {
            inner: parking_lot::RwLock::new(Ring {
                published,
                active,
                pending: Vec::new(),
            }),
        }
    }

    /// The active signer for `alg`.
    pub fn signer(&self, alg: Alg) -> Result<std::sync::Arc<SigningKey>, KeyError> {
        self.inner
            .read()
            .active
            .iter()
            .find(|k| k.alg == alg)
            .cloned()
            .ok_or(KeyError::NoKey(alg))
    }

    /// Algorithms this ring can sign with.
    pub fn algs(&self) -> Vec<Alg> {
        self.inner.read().active.iter().map(|k| k.alg).collect()
    }

    /// The public JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.inner.read().published.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>() })
    }

    /// kids of the published and of the active keys.
    pub fn kids(&self) -> (Vec<String>, Vec<String>) {
        let ring = self.inner.read();
        (
            ring.published.iter().map(|k| k.kid.clone()).collect(),
            ring.active.iter().map(|k| k.kid.clone()).collect(),
        )
    }

    /// Step one of a rotation: new keys appear in the JWKS but do not sign yet.
    pub fn publish(&self, keys: Vec<SigningKey>) {
        let mut ring = self.inner.write();
        for k in keys {
            let k = std::sync::Arc::new(k);
            ring.published.push(k.clone());
            ring.pending.push(k);
        }
    }

    /// Step two: the published new keys sign from now on. Returns whether there were any.
    pub fn activate(&self) -> bool {
        let mut ring = self.inner.write();
        let pending = std::mem::take(&mut ring.pending);
        let any = !pending.is_empty();
        for k in pending {
            ring.active.retain(|a| a.alg != k.alg);
            ring.active.push(k);
        }
        any
    }

    /// Step three: keys that no longer sign leave the JWKS.
    pub fn retire(&self) {
        let mut ring = self.inner.write();
        let Ring {
            published,
            active,
            pending,
        } = &mut *ring;
        published.retain(|p| active.iter().any(|a| a.kid == p.kid) || pending.iter().any(|n| n.kid == p.kid));
    }

    /// Verifies a JWS signed by any published key (picked by `kid`, or by
    /// trying each key when there is none).
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, KeyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| KeyError::Verify(e.to_string()))?;
        let keys = self.inner.read().published.clone();
        let candidates = keys
            .iter()
            .filter(|k| header.kid.as_deref().is_none_or(|kid| kid == k.kid));
        let mut last = KeyError::Verify("no key matches the token's kid".to_owned());
        for key in candidates {
            match key.verify(token) {
                Ok(claims) => return Ok(claims),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// A fresh P-256 key (fast to make).
pub fn fresh_es256(rng: &crate::rng::Rng, name: &str) -> Result<SigningKey, KeyError> {
    // A uniformly drawn 32-byte string is a valid P-256 scalar but with
    // probability ~2^-32; draw again in that case.
    for _ in 0..16 {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes);
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            let pem_text = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&secret, p256::pkcs8::LineEnding::LF)
                .map_err(|e| KeyError::Sign(e.to_string()))?;
            return SigningKey::from_pem(&pem_text, name, None);
        }
    }
    Err(KeyError::Sign("no valid P-256 scalar drawn".to_owned()))
}

/// A fresh RSA-2048 key (slow: a fraction of a second in release builds).
pub fn fresh_rs256(rng: &crate::rng::Rng) -> Result<SigningKey, KeyError> {
    let mut derived = rng.derive();
    let key = rsa::RsaPrivateKey::new(&mut derived, 2048).map_err(|e| KeyError::Sign(e.to_string()))?;
    let pem_text = key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    SigningKey::from_pem(&pem_text, "generated RSA key", None)
}

/// ring's randomness: ring takes only its own `SecureRandom`, which cannot be
/// fed from the injected generator. It serves ECDSA's per-signature nonce
/// (signature bytes differ between runs; what is signed does not), ring's
/// key-pair consistency check, and `fcmock keys generate`.
#[allow(clippy::disallowed_types)]
fn ring_random() -> ring::rand::SystemRandom {
    ring::rand::SystemRandom::new()
}

/// Writes a new P-256 key and a new RSA-2048 key (PKCS#8 PEM) into `dir`.
///
/// Returns the paths written.
pub fn generate_into(dir: &Path, prefix: &str) -> Result<Vec<String>, KeyError> {
    let write_err = |path: &Path, e: &dyn fmt::Display| KeyError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, &e))?;
    // Keys a user keeps: drawn from the operating system, never from a seed.
    let rng = ring_random();
    let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    let ec_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", ec.as_ref().to_vec()));
    let mut os_seeded = crate::rng::Rng::from_entropy().derive();
    let rsa_key = rsa::RsaPrivateKey::new(&mut os_seeded, 2048).map_err(|e| KeyError::Sign(e.to_string()))?;
    let rsa_pem = rsa_key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    let mut written = Vec::new();
    for (name, text) in [
        (format!("{prefix}-es256.pem"), ec_pem),
        (format!("{prefix}-rs256.pem"), rsa_pem.to_string()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| write_err(&path, &e))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ES: &str = include_str!("../../keys/fc-es256.pem");
    const RS: &str = include_str!("../../keys/fc-rs256.pem");

    #[test]
    fn remembered_tokens_verify_and_altered_ones_still_fail() {
        for pem_text in [ES, RS] {
            let key = SigningKey::from_pem(pem_text, "test", None).unwrap();
            let other = SigningKey::from_pem(pem_text, "other", None).unwrap();
            let token = key.sign(&json!({"sub": "x"})).unwrap();
            assert!(key.recent.lock().set.is_empty(), "signing remembers nothing");
            assert!(key.verify::<Value>(&token).is_ok());
            assert_eq!(key.recent.lock().set.len(), 1, "a verified token is remembered");
            // Verified again, from memory.
            assert!(key.verify::<Value>(&token).is_ok());
            // A key that did not sign it verifies it the long way, and agrees.
            assert!(other.verify::<Value>(&token).is_ok());
            // Another payload under the same signature: not remembered, refused.
            let (head, rest) = token.split_once('.').unwrap();
            let (_, sig) = rest.split_once('.').unwrap();
            let forged = format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode(br#"{"sub":"y"}"#));
            assert!(key.verify::<Value>(&forged).is_err());
            assert_eq!(key.recent.lock().set.len(), 1, "a refused token is not remembered");
        }
    }

    #[test]
    fn sign_and_verify_round_trip_with_header_alg_kid_only() {
        for pem_text in [ES, RS] {
            let key = SigningKey::from_pem(pem_text, "test", None).unwrap();
            let token = key.sign(&json!({"sub": "x"})).unwrap();
            let header_b64 = token.split('.').next().unwrap();
            let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).unwrap()).unwrap();
            let obj = header.as_object().unwrap();
            assert_eq!(obj.len(), 2, "header must be exactly {{alg, kid}}: {header}");
            assert_eq!(obj["kid"], key.kid());
            let ring = KeyRing::new(vec![key]);
            let claims: Value = ring.verify(&token).unwrap();
            assert_eq!(claims["sub"], "x");
        }
    }

    #[test]
    fn jwks_has_no_private_members() {
        let ring = KeyRing::new(vec![
            SigningKey::from_pem(ES, "es", None).unwrap(),
            SigningKey::from_pem(RS, "rs", None).unwrap(),
        ]);
        let jwks = ring.jwks();
        for key in jwks["keys"].as_array().unwrap() {
            for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                assert!(key.get(private).is_none(), "private member {private} in {key}");
            }
        }
    }

    #[test]
    fn two_step_rotation() {
        let ring = KeyRing::new(vec![SigningKey::from_pem(ES, "es", None).unwrap()]);
        let old = ring.signer(Alg::ES256).unwrap().kid().to_owned();
        let before = ring.signer(Alg::ES256).unwrap().sign(&json!({"a": 1})).unwrap();
        ring.publish(vec![fresh_es256(&crate::rng::Rng::seeded(1), "test").unwrap()]);
        assert_eq!(ring.kids().0.len(), 2);
        assert_eq!(
            ring.signer(Alg::ES256).unwrap().kid(),
            old,
            "published keys do not sign yet"
        );
        assert!(ring.activate());
        let new = ring.signer(Alg::ES256).unwrap().kid().to_owned();
        assert_ne!(new, old);
        assert!(
            ring.verify::<Value>(&before).is_ok(),
            "old tokens still verify until retirement"
        );
        ring.retire();
        assert_eq!(ring.kids().0, vec![new]);
        assert!(ring.verify::<Value>(&before).is_err());
    }

    #[test]
    fn generated_keys_load() {
        let dir = std::env::temp_dir().join(format!("fcmock-keys-{}", std::process::id()));
        let paths = generate_into(&dir, "test").unwrap();
        for p in &paths {
            let text = std::fs::read_to_string(p).unwrap();
            SigningKey::from_pem(&text, p, None).unwrap();
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
