//! Injected randomness.
//!
//! Codes, tokens, interaction ids, states and nonces come from one seedable
//! generator so that a run can be replayed with `--seed` and tests can be
//! deterministic. Without a seed the generator is seeded from the OS.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// A shared, seedable random generator.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: Arc<Mutex<StdRng>>,
}

impl Rng {
    /// A generator seeded from the operating system (the one place fcmock
    /// draws from it; `--seed` replaces it).
    #[allow(clippy::disallowed_methods)]
    pub fn from_entropy() -> Self {
        Self {
            inner: Arc::new(Mutex::new(StdRng::from_entropy())),
        }
    }

    /// A reproducible generator.
    pub fn seeded(seed: u64) -> Self {
        Self {
            inner: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
        }
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&self, buf: &mut [u8]) {
        self.inner.lock().fill_bytes(buf);
    }

    /// `n` random bytes, hex-encoded (FranceConnect's states and nonces towards
    /// identity providers are 32 bytes in hex, i.e. 64 characters).
    pub fn hex(&self, n: usize) -> String {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf);
        hex::encode(buf)
    }

    /// 32 random bytes, base64url without padding: 43 characters, the shape of
    /// node-oidc-provider's codes and access tokens.
    pub fn token(&self) -> String {
        let mut buf = [0u8; 32];
        self.fill(&mut buf);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// A random (v4) UUID, as used for interaction uids and error ids.
    pub fn uuid(&self) -> uuid::Uuid {
        let mut buf = [0u8; 16];
        self.fill(&mut buf);
        uuid::Builder::from_random_bytes(buf).into_uuid()
    }

    /// A standalone generator seeded from this one, for libraries that want
    /// their own `RngCore` (key generation, encryption): a seeded run stays
    /// reproducible.
    pub fn derive(&self) -> StdRng {
        let mut seed = [0u8; 32];
        self.fill(&mut seed);
        StdRng::from_seed(seed)
    }

    /// A random `u64`.
    pub fn next_u64(&self) -> u64 {
        self.inner.lock().next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_generators_repeat_and_shapes_match_franceconnect() {
        let a = Rng::seeded(7);
        let b = Rng::seeded(7);
        assert_eq!(a.hex(32), b.hex(32));
        assert_eq!(a.hex(32).len(), 64);
        assert_eq!(a.token().len(), 43);
        assert_ne!(a.uuid(), Rng::seeded(8).uuid());
    }
}
