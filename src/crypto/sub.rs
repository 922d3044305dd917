//! FranceConnect's pairwise subject identifier.
//!
//! FranceConnect does not pass on the identity provider's `sub`. It hashes the
//! civil-registry (RNIPP) identity, then salts that hash with the service
//! provider's *entityId* and a platform secret:
//!
//! ```text
//! serial       = given_name + family_name + birthdate + gender
//!                + (birthplace if birthcountry == "99100" else "") + birthcountry
//! identityHash = base64(sha256(latin1(serial)))
//! sub          = hex(sha256(entityId + identityHash + secret)) + "v1"
//! ```
//!
//! Consequences a commune's reconciliation logic depends on: the same person
//! gets the same `sub` whichever identity provider they use (the hash is over
//! the normalised identity), different `sub`s at service providers with
//! different entityIds, and a different `sub` whenever the identity returned
//! differs (an identity provider with a divergent record is enough).
//! Latin-1 here means what Node's "binary" encoding does: each UTF-16 code
//! unit truncated to its low 8 bits.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use crate::cog::FRANCE;

/// The six pivot fields that enter the hash, already RNIPP-normalised.
#[derive(Debug, Clone, Copy)]
pub struct PivotForHash<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub birthdate: &'a str,
    pub gender: &'a str,
    pub birthplace: &'a str,
    pub birthcountry: &'a str,
}

/// `base64(sha256(latin1(serial)))`.
pub fn identity_hash(p: &PivotForHash<'_>) -> String {
    let birthplace = if p.birthcountry == FRANCE { p.birthplace } else { "" };
    let serial = [
        p.given_name,
        p.family_name,
        p.birthdate,
        p.gender,
        birthplace,
        p.birthcountry,
    ]
    .concat();
    let latin1: Vec<u8> = serial.encode_utf16().map(|unit| (unit & 0xFF) as u8).collect();
    STANDARD.encode(Sha256::digest(&latin1))
}

/// The `sub` a service provider (or a data provider, with its client_id in
/// place of the entityId) receives for an identity hash.
pub fn compute_sub(sector: &str, identity_hash: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(sector.as_bytes());
    hasher.update(identity_hash.as_bytes());
    hasher.update(secret.as_bytes());
    let mut out = hex::encode(hasher.finalize());
    out.push_str("v1");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vector (FranceConnect's own BDD suite, `connexion-sub.feature`).
    #[test]
    fn reproduces_the_published_test_vector() {
        let pivot = PivotForHash {
            given_name: "Joëlle Françoise",
            family_name: "DUBINÔRE",
            birthdate: "1992-08-15",
            gender: "female",
            birthplace: "75117",
            birthcountry: "99100",
        };
        let hash = identity_hash(&pivot);
        assert_eq!(hash, "J2WdqlpnUQ1WxMA3BngwBCPo0Al6bxKgBb/PVNZlZZs=");
        let sub = compute_sub(
            "a0cd64372db6ecf39c317c0c74ce90f02d8ad7d510ce054883b759d666a996bc",
            &hash,
            "9ed64cd3762973c8a5219e0774671940a3550ae1050af86831d613193e825caa",
        );
        assert_eq!(
            sub,
            "34f4e38b510841db1a83716b981f7298badec51dc52e91af245903b56e2d72bbv1"
        );
        assert_eq!(sub.len(), 66);
    }

    #[test]
    fn birthplace_ignored_when_born_abroad() {
        let mut p = PivotForHash {
            given_name: "A",
            family_name: "B",
            birthdate: "2000-01-01",
            gender: "male",
            birthplace: "",
            birthcountry: "99352",
        };
        let h1 = identity_hash(&p);
        p.birthplace = "75107";
        assert_eq!(h1, identity_hash(&p));
    }
}
