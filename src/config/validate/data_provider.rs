//! Data providers: credentials, keys and scopes.

use super::*;

/// Embedded keys of the built-in data providers.
pub(super) const BUILTIN_DP_KEYS: [(&str, &str); 2] = [
    ("dgfip", include_str!("../../../keys/dp-dgfip-ecdh.pem")),
    ("cnaf", include_str!("../../../keys/dp-cnaf-rsa.pem")),
];

pub(super) fn build_data_provider(e: &Located<RawDataProvider>, errors: &mut Errors) -> Option<DataProvider> {
    use crate::crypto::jwe::{KeyManagement, PrivateKey, PublicKey};
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("data_providers[{}]", e.index);
    let before = errors.0.len();
    errors.slug_id(file, &r.id, &at, " (it is used in URLs)");
    for s in &r.scopes {
        if !scopes::DATA_PROVIDER_SCOPES.contains(&s.value.as_str()) {
            errors.spanned(
                file,
                s,
                format!("{at}.scopes"),
                format!(
                    "`{}` is not a data-provider scope; known: {}",
                    s.value,
                    scopes::DATA_PROVIDER_SCOPES.join(", ")
                ),
            );
        }
    }
    let encryption_alg = match &r.encryption_alg {
        Some(a) => match KeyManagement::parse(&a.value) {
            Some(k) => k,
            None => {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.encryption_alg"),
                    "one of ECDH-ES, RSA-OAEP, RSA-OAEP-256",
                );
                KeyManagement::EcdhEs
            }
        },
        None => KeyManagement::EcdhEs,
    };
    let pem_text = key_text(
        r.key_file.as_ref(),
        &BUILTIN_DP_KEYS,
        &r.id.value,
        (file, &format!("{at}.key_file")),
        errors,
    );
    let public_jwk = match (&pem_text, &r.jwk) {
        (Some(text), _) => {
            let parsed = pem::parse(text)
                .ok()
                .and_then(|doc| {
                    let der = doc.contents().to_vec();
                    <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der)
                        .map(PrivateKey::Ec)
                        .ok()
                        .or_else(|| {
                            <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der)
                                .ok()
                                .map(|k| PrivateKey::Rsa(Box::new(k)))
                        })
                })
                .and_then(|k| k.public().to_jwk().ok());
            if parsed.is_none() {
                errors.spanned(
                    file,
                    &e.item,
                    format!("{at}.key_file"),
                    "not a P-256 or RSA PKCS#8 private key",
                );
            }
            parsed.unwrap_or_default()
        }
        (None, Some(jwk)) => {
            if PublicKey::from_jwk(jwk).is_err() {
                errors.spanned(file, &e.item, format!("{at}.jwk"), "not a P-256 (EC) or RSA public JWK");
            }
            jwk.clone()
        }
        (None, None) => {
            errors.spanned(file, &e.item, &at, "give the provider's encryption key: `jwk` (public) or `key_file` (private, for a provider fcmock serves)");
            serde_json::Value::Null
        }
    };
    let is_ec = public_jwk.get("kty").and_then(serde_json::Value::as_str) == Some("EC");
    if public_jwk.is_object() && is_ec != (encryption_alg == KeyManagement::EcdhEs) {
        errors.spanned(
            file,
            &e.item,
            format!("{at}.encryption_alg"),
            format!(
                "{} does not fit a {} key",
                encryption_alg.as_str(),
                if is_ec { "P-256" } else { "RSA" }
            ),
        );
    }
    (errors.0.len() == before).then(|| DataProvider {
        id: r.id.value.clone(),
        name: r.name.clone(),
        client_id: r.client_id.value.clone(),
        client_secret: r.client_secret.value.clone(),
        scopes: r.scopes.iter().map(|s| s.value.clone()).collect(),
        signing_alg: r.signing_alg.unwrap_or(Alg::ES256),
        encryption_alg,
        private_key_pem: pem_text,
        public_jwk,
    })
}
