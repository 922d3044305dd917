//! JWE (RFC 7516) for FranceConnect+ and checktoken: compact serialization,
//! key management `ECDH-ES` (direct key agreement, P-256), `RSA-OAEP` and
//! `RSA-OAEP-256`, content encryption `A256GCM` — exactly what FranceConnect
//! uses. No maintained pure-Rust JOSE crate covers these, so this module
//! composes RustCrypto primitives (`p256`, `concat-kdf`, `rsa`, `aes-gcm`)
//! and is checked against the published vectors of RFC 7516 (Appendix A.1)
//! and RFC 7518 (Appendix C), besides round trips.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

/// Key-management algorithms FranceConnect+ encrypts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyManagement {
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
}

impl KeyManagement {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyManagement::EcdhEs => "ECDH-ES",
            KeyManagement::RsaOaep => "RSA-OAEP",
            KeyManagement::RsaOaep256 => "RSA-OAEP-256",
        }
    }

    /// Parses a JOSE name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ECDH-ES" => Some(KeyManagement::EcdhEs),
            "RSA-OAEP" => Some(KeyManagement::RsaOaep),
            "RSA-OAEP-256" => Some(KeyManagement::RsaOaep256),
            _ => None,
        }
    }
}

/// Why encryption or decryption failed.
#[derive(Debug, thiserror::Error)]
pub enum JweError {
    #[error("not a compact JWE (five base64url parts)")]
    Format,
    #[error("unsupported JWE header: {0}")]
    Header(String),
    #[error("key does not fit the algorithm: {0}")]
    Key(String),
    #[error("decryption failed (wrong key, or the token was altered)")]
    Decrypt,
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

/// A recipient's public key.
#[derive(Debug, Clone)]
pub enum PublicKey {
    Ec(p256::PublicKey),
    Rsa(rsa::RsaPublicKey),
}

/// A recipient's private key (for decrypting).
#[derive(Clone)]
pub enum PrivateKey {
    Ec(p256::SecretKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str, what: &str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JweError::Header(format!("{what} is not base64url")))
}

fn member<'a>(jwk: &'a Value, name: &str) -> Result<&'a str, JweError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JweError::Key(format!("JWK without `{name}`")))
}

fn ec_point(x: &str, y: &str) -> Result<p256::PublicKey, JweError> {
    let mut sec1 = vec![4u8];
    sec1.extend(unb64(x, "x")?);
    sec1.extend(unb64(y, "y")?);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| JweError::Key("not a P-256 point".to_owned()))
}

fn ec_xy(key: &p256::PublicKey) -> Result<(String, String), JweError> {
    let sec1 = key.to_sec1_bytes();
    match (sec1.first(), sec1.get(1..33), sec1.get(33..65)) {
        (Some(4), Some(x), Some(y)) => Ok((b64(x), b64(y))),
        _ => Err(JweError::Key("unexpected point encoding".to_owned())),
    }
}

impl PublicKey {
    /// A public key from a JWK (`EC` P-256 or `RSA`).
    pub fn from_jwk(jwk: &Value) -> Result<Self, JweError> {
        match member(jwk, "kty")? {
            "EC" => {
                if member(jwk, "crv")? != "P-256" {
                    return Err(JweError::Key("only the P-256 curve is supported".to_owned()));
                }
                Ok(PublicKey::Ec(ec_point(member(jwk, "x")?, member(jwk, "y")?)?))
            }
            "RSA" => {
                let n = rsa::BigUint::from_bytes_be(&unb64(member(jwk, "n")?, "n")?);
                let e = rsa::BigUint::from_bytes_be(&unb64(member(jwk, "e")?, "e")?);
                rsa::RsaPublicKey::new(n, e)
                    .map(PublicKey::Rsa)
                    .map_err(|e| JweError::Key(e.to_string()))
            }
            other => Err(JweError::Key(format!("unsupported kty `{other}`"))),
        }
    }

    /// The public JWK.
    pub fn to_jwk(&self) -> Result<Value, JweError> {
        match self {
            PublicKey::Ec(k) => {
                let (x, y) = ec_xy(k)?;
                Ok(json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}))
            }
            PublicKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts as _;
                Ok(json!({"kty": "RSA", "n": b64(&k.n().to_bytes_be()), "e": b64(&k.e().to_bytes_be())}))
            }
        }
    }
}

impl PrivateKey {
    /// A private key from a JWK with its private members.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JweError> {
        match member(jwk, "kty")? {
            "EC" => p256::SecretKey::from_slice(&unb64(member(jwk, "d")?, "d")?)
                .map(PrivateKey::Ec)
                .map_err(|_| JweError::Key("bad P-256 private key".to_owned())),
            "RSA" => {
                let int = |name: &str| -> Result<rsa::BigUint, JweError> {
                    Ok(rsa::BigUint::from_bytes_be(&unb64(member(jwk, name)?, name)?))
                };
                let primes = match (jwk.get("p"), jwk.get("q")) {
                    (Some(_), Some(_)) => vec![int("p")?, int("q")?],
                    _ => Vec::new(),
                };
                rsa::RsaPrivateKey::from_components(int("n")?, int("e")?, int("d")?, primes)
                    .map(|k| PrivateKey::Rsa(Box::new(k)))
                    .map_err(|e| JweError::Key(e.to_string()))
            }
            other => Err(JweError::Key(format!("unsupported kty `{other}`"))),
        }
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Ec(k) => PublicKey::Ec(k.public_key()),
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
        }
    }
}

/// RFC 7518 §4.6.2: the Concat KDF's OtherInfo for direct key agreement.
fn other_info(enc: &str, apu: &[u8], apv: &[u8], key_bits: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [enc.as_bytes(), apu, apv] {
        out.extend(u32::try_from(part.len()).unwrap_or(0).to_be_bytes());
        out.extend(part);
    }
    out.extend(key_bits.to_be_bytes());
    out
}

/// The content key derived from an ECDH shared secret `z`.
pub fn concat_kdf(z: &[u8], enc: &str, apu: &[u8], apv: &[u8], key_len: usize) -> Result<Vec<u8>, JweError> {
    let bits = u32::try_from(key_len * 8).map_err(|_| JweError::Encrypt("key too long".to_owned()))?;
    let mut key = vec![0u8; key_len];
    concat_kdf::derive_key_into::<sha2::Sha256>(z, &other_info(enc, apu, apv, bits), &mut key)
        .map_err(|e| JweError::Encrypt(format!("concat KDF: {e:?}")))?;
    Ok(key)
}

fn ecdh(secret: &p256::SecretKey, public: &p256::PublicKey) -> Vec<u8> {
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    shared.raw_secret_bytes().to_vec()
}

/// Encrypts `plaintext` (a signed JWT) to `recipient` with `alg` and A256GCM.
///
/// `header_extra` joins the protected header (`kid`, `cty`, `iss`, `aud`…);
/// `random` fills buffers (fcmock's injected RNG).
pub fn encrypt(
    plaintext: &[u8],
    recipient: &PublicKey,
    alg: KeyManagement,
    header_extra: &Map<String, Value>,
    random: &dyn Fn(&mut [u8]),
) -> Result<String, JweError> {
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg.as_str()));
    header.insert("enc".into(), json!("A256GCM"));
    for (k, v) in header_extra {
        header.insert(k.clone(), v.clone());
    }
    let (cek, encrypted_key) = match (alg, recipient) {
        (KeyManagement::EcdhEs, PublicKey::Ec(pk)) => {
            let ephemeral = loop {
                let mut bytes = [0u8; 32];
                random(&mut bytes);
                if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
                    break k;
                }
            };
            let (x, y) = ec_xy(&ephemeral.public_key())?;
            header.insert("epk".into(), json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}));
            (concat_kdf(&ecdh(&ephemeral, pk), "A256GCM", b"", b"", 32)?, Vec::new())
        }
        (KeyManagement::RsaOaep | KeyManagement::RsaOaep256, PublicKey::Rsa(pk)) => {
            let mut cek = vec![0u8; 32];
            random(&mut cek);
            // OAEP's padding randomness also comes from the injected generator.
            let mut seed = [0u8; 32];
            random(&mut seed);
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(seed);
            let wrapped = if alg == KeyManagement::RsaOaep {
                pk.encrypt(&mut rng, rsa::Oaep::new::<sha1::Sha1>(), &cek)
            } else {
                pk.encrypt(&mut rng, rsa::Oaep::new::<sha2::Sha256>(), &cek)
            }
            .map_err(|e| JweError::Encrypt(e.to_string()))?;
            (cek, wrapped)
        }
        _ => {
            return Err(JweError::Key(format!(
                "{} needs {} key",
                alg.as_str(),
                if alg == KeyManagement::EcdhEs {
                    "an EC P-256"
                } else {
                    "an RSA"
                }
            )));
        }
    };
    let protected = b64(&serde_json::to_vec(&Value::Object(header)).map_err(|e| JweError::Encrypt(e.to_string()))?);
    let mut iv = [0u8; 12];
    random(&mut iv);
    let cipher = Aes256Gcm::new_from_slice(&cek).map_err(|_| JweError::Encrypt("bad content key".to_owned()))?;
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: plaintext,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| JweError::Encrypt("AES-GCM".to_owned()))?;
    let split = sealed.len().saturating_sub(16);
    let (ciphertext, tag) = sealed.split_at(split);
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64(&encrypted_key),
        b64(&iv),
        b64(ciphertext),
        b64(tag)
    ))
}

/// Decrypts a compact JWE; returns its protected header and plaintext.
pub fn decrypt(jwe: &str, key: &PrivateKey) -> Result<(Map<String, Value>, Vec<u8>), JweError> {
    let parts: Vec<&str> = jwe.trim().split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(JweError::Format);
    };
    let header: Map<String, Value> = serde_json::from_slice(&unb64(protected, "header")?)
        .map_err(|_| JweError::Header("header is not JSON".to_owned()))?;
    if header.get("enc").and_then(Value::as_str) != Some("A256GCM") {
        return Err(JweError::Header(format!(
            "enc {:?}: only A256GCM is supported",
            header.get("enc")
        )));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(KeyManagement::parse)
        .ok_or_else(|| JweError::Header(format!("alg {:?}", header.get("alg"))))?;
    let cek = match (alg, key) {
        (KeyManagement::EcdhEs, PrivateKey::Ec(sk)) => {
            let epk = header
                .get("epk")
                .ok_or_else(|| JweError::Header("ECDH-ES without epk".to_owned()))?;
            let pk = ec_point(member(epk, "x")?, member(epk, "y")?)?;
            let apu = header
                .get("apu")
                .and_then(Value::as_str)
                .map(|s| unb64(s, "apu"))
                .transpose()?
                .unwrap_or_default();
            let apv = header
                .get("apv")
                .and_then(Value::as_str)
                .map(|s| unb64(s, "apv"))
                .transpose()?
                .unwrap_or_default();
            concat_kdf(&ecdh(sk, &pk), "A256GCM", &apu, &apv, 32)?
        }
        (KeyManagement::RsaOaep, PrivateKey::Rsa(sk)) => sk
            .decrypt(rsa::Oaep::new::<sha1::Sha1>(), &unb64(encrypted_key, "encrypted key")?)
            .map_err(|_| JweError::Decrypt)?,
        (KeyManagement::RsaOaep256, PrivateKey::Rsa(sk)) => sk
            .decrypt(
                rsa::Oaep::new::<sha2::Sha256>(),
                &unb64(encrypted_key, "encrypted key")?,
            )
            .map_err(|_| JweError::Decrypt)?,
        _ => return Err(JweError::Key(format!("{} does not fit this key", alg.as_str()))),
    };
    let cipher = Aes256Gcm::new_from_slice(&cek).map_err(|_| JweError::Decrypt)?;
    let iv = unb64(iv, "iv")?;
    if iv.len() != 12 {
        return Err(JweError::Header("A256GCM needs a 96-bit iv".to_owned()));
    }
    let mut sealed = unb64(ciphertext, "ciphertext")?;
    sealed.extend(unb64(tag, "tag")?);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: &sealed,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| JweError::Decrypt)?;
    Ok((header, plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7516 Appendix A.1: RSA-OAEP with A256GCM.
    #[test]
    fn rfc7516_appendix_a1_decrypts() {
        let jwk = json!({
            "kty": "RSA",
            "n": "oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70imEVhRU5djINXtqllXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2asbOenSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfra36C9knDFGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw",
            "e": "AQAB",
            "d": "kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEeXS1j82E375xxhWMHXyvjYecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghkqDp0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEtE-id-4OJr0h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ",
            "p": "1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXroSBjSrK3YIQgYdMgyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0",
            "q": "wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw1YYa9XGrGnDew00J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc",
        });
        let jwe = concat!(
            "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.",
            "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDb",
            "Sv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je8",
            "1860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.",
            "48V1_ALb6US04U3b.",
            "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.",
            "XFBoMYUZodetZdvTiFvSkQ"
        );
        let key = PrivateKey::from_jwk(&jwk).unwrap();
        let (header, plain) = decrypt(jwe, &key).unwrap();
        assert_eq!(header["alg"], "RSA-OAEP");
        assert_eq!(
            plain,
            b"The true sign of intelligence is not knowledge but imagination."
        );
        // One bit flipped in the tag: refused.
        let tampered = jwe.replace("XFBoMYUZodetZdvTiFvSkQ", "YFBoMYUZodetZdvTiFvSkQ");
        assert!(matches!(decrypt(&tampered, &key), Err(JweError::Decrypt)));
    }

    /// RFC 7518 Appendix C: the ECDH-ES key agreement computation.
    #[test]
    fn rfc7518_appendix_c_ecdh_es() {
        let alice = PrivateKey::from_jwk(&json!({"kty": "EC", "crv": "P-256",
            "x": "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0", "y": "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
            "d": "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"}))
        .unwrap();
        let bob = PrivateKey::from_jwk(&json!({"kty": "EC", "crv": "P-256",
            "x": "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ", "y": "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
            "d": "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}))
        .unwrap();
        let (PrivateKey::Ec(a), PrivateKey::Ec(b)) = (&alice, &bob) else {
            panic!()
        };
        let z = ecdh(a, &b.public_key());
        assert_eq!(
            z,
            vec![
                158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128,
                106, 72, 246, 218, 167, 121, 140, 254, 144, 196
            ]
        );
        assert_eq!(z, ecdh(b, &a.public_key()), "both sides agree");
        let derived = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16).unwrap();
        assert_eq!(b64(&derived), "VqqN6vgjbSBcIijNcacQGg");
    }

    #[test]
    fn round_trips_for_each_algorithm_and_wrong_keys_fail() {
        let rng = crate::rng::Rng::seeded(42);
        let random = move |buf: &mut [u8]| rng.fill(buf);
        let ec = PrivateKey::Ec(p256::SecretKey::from_slice(&[7u8; 32]).unwrap());
        let pem = include_str!("../../keys/fc-rs256.pem");
        let rsa = PrivateKey::Rsa(Box::new(
            <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem).unwrap(),
        ));
        let extra: Map<String, Value> = serde_json::from_value(json!({"kid": "k1", "cty": "JWT"})).unwrap();
        for (alg, key) in [
            (KeyManagement::EcdhEs, &ec),
            (KeyManagement::RsaOaep, &rsa),
            (KeyManagement::RsaOaep256, &rsa),
        ] {
            let jwe = encrypt(b"a.signed.jwt", &key.public(), alg, &extra, &random).unwrap();
            let (h, plain) = decrypt(&jwe, key).unwrap();
            assert_eq!(plain, b"a.signed.jwt");
            assert_eq!(
                (h["alg"].as_str(), h["kid"].as_str(), h["cty"].as_str()),
                (Some(alg.as_str()), Some("k1"), Some("JWT"))
            );
            assert_eq!(h.contains_key("epk"), alg == KeyManagement::EcdhEs);
        }
        let other_ec = PrivateKey::Ec(p256::SecretKey::from_slice(&[9u8; 32]).unwrap());
        let jwe = encrypt(b"x", &ec.public(), KeyManagement::EcdhEs, &Map::new(), &random).unwrap();
        assert!(decrypt(&jwe, &other_ec).is_err());
        assert!(encrypt(b"x", &ec.public(), KeyManagement::RsaOaep, &Map::new(), &random).is_err());
        assert!(matches!(decrypt("a.b.c", &ec), Err(JweError::Format)));
    }
}
