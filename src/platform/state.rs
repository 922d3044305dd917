//! The platform role's state: both hubs (FranceConnect v2 and
//! FranceConnect+, each with its keys and per-flow stores), the hub's cache
//! of identity providers' discovery documents, and FranceConnect+ clients'
//! JWKS. It dereferences to [`Shared`].

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Hub;
use super::idp_remote::RemoteIdps;
use crate::config::{Persona, PlatformKind};
use crate::crypto::keys::KeyError;
use crate::crypto::{KeyRing, SigningKey};
use crate::oidc::store::ExpiringStore;
use crate::rng::Rng;
use crate::shared::Shared;

/// Embedded signing keys of the FranceConnect v2 platform.
const FC_KEYS: [(&str, &str); 2] = [
    ("keys/fc-es256.pem", include_str!("../../keys/fc-es256.pem")),
    ("keys/fc-rs256.pem", include_str!("../../keys/fc-rs256.pem")),
];

/// The FranceConnect+ platform's signing key (ES256 only, as on FC+).
const FCPLUS_KEY: (&str, &str) = ("keys/fcplus-es256.pem", include_str!("../../keys/fcplus-es256.pem"));

/// Keys the platform rotates to the first time (committed, so that no RSA key
/// is generated at run time in the common case).
const FC_NEXT_KEYS: [(&str, &str); 2] = [
    ("keys/fc-es256-next.pem", include_str!("../../keys/fc-es256-next.pem")),
    ("keys/fc-rs256-next.pem", include_str!("../../keys/fc-rs256-next.pem")),
];

/// How long a client's JWKS fetched from its `jwks_uri` is reused.
pub const CLIENT_JWKS_TTL_MS: i64 = 60_000;

/// Why a key rotation step cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("unknown key step `{0}`; use publish, activate, retire or rotate")]
    UnknownStep(String),
    #[error("no published key is waiting: publish first")]
    NothingPublished,
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// One step of a two-step rotation of the platform's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStep {
    /// New keys appear in the JWKS; the old ones still sign.
    Publish,
    /// The published keys sign.
    Activate,
    /// The old keys leave the JWKS.
    Retire,
    /// Publish then activate.
    Rotate,
}

impl KeyStep {
    /// Every step, by its name in scenario files and the control API.
    pub const ALL: [(&'static str, KeyStep); 4] = [
        ("publish", KeyStep::Publish),
        ("activate", KeyStep::Activate),
        ("retire", KeyStep::Retire),
        ("rotate", KeyStep::Rotate),
    ];

    /// The step named `name`, or an error listing the known ones.
    pub fn parse(name: &str) -> Result<Self, RotateError> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| RotateError::UnknownStep(name.to_owned()))
    }
}

/// The platform role's state. Cheap to clone.
#[derive(Clone)]
pub struct PlatformState {
    shared: Shared,
    /// The FranceConnect v2 platform's keys and per-flow stores.
    pub fc: Arc<Hub>,
    /// The FranceConnect+ platform's keys and per-flow stores.
    pub fcplus: Arc<Hub>,
    /// Discovery and JWKS of the identity providers, as the hub fetched them.
    pub remotes: Arc<RemoteIdps>,
    /// FranceConnect+ clients' JWKS fetched from their `jwks_uri`, kept
    /// [`CLIENT_JWKS_TTL_MS`] so that a token call does not refetch them.
    pub client_jwks: Arc<ExpiringStore<serde_json::Value>>,
}

impl Deref for PlatformState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl PlatformState {
    /// Both platforms, with their embedded keys, for `shared`'s configuration.
    pub fn new(shared: Shared) -> Result<Self, KeyError> {
        let config = shared.config();
        let keys = FC_KEYS
            .iter()
            .map(|(name, pem)| SigningKey::from_pem(pem, name, None))
            .collect::<Result<Vec<_>, _>>()?;
        let capacity = config.platform.store_capacity;
        let fc = Arc::new(Hub::new(KeyRing::new(keys), capacity, &config));
        let plus_key = SigningKey::from_pem(FCPLUS_KEY.1, FCPLUS_KEY.0, None)?;
        let fcplus = Arc::new(Hub::new(KeyRing::new(vec![plus_key]), capacity, &config));
        Ok(Self {
            shared,
            fc,
            fcplus,
            remotes: Arc::default(),
            client_jwks: Arc::new(ExpiringStore::new(256)),
        })
    }

    /// One step of a two-step rotation of the FranceConnect v2 keys. The
    /// first rotation uses committed keys; later ones draw fresh keys from
    /// the injected generator, so a seeded run rotates to the same keys.
    pub fn rotate_keys(&self, step: KeyStep) -> Result<(), RotateError> {
        let keys = &self.fc.keys;
        match step {
            KeyStep::Publish => {
                let round = self.fc.rotations.fetch_add(1, Ordering::Relaxed);
                let fresh = if round == 0 {
                    FC_NEXT_KEYS
                        .iter()
                        .map(|(name, pem)| SigningKey::from_pem(pem, name, None))
                        .collect::<Result<Vec<_>, _>>()
                } else {
                    fresh_pair(&self.rng)
                };
                keys.publish(fresh?);
                Ok(())
            }
            KeyStep::Activate => {
                if keys.activate() {
                    Ok(())
                } else {
                    Err(RotateError::NothingPublished)
                }
            }
            KeyStep::Retire => {
                keys.retire();
                Ok(())
            }
            KeyStep::Rotate => {
                self.rotate_keys(KeyStep::Publish)?;
                self.rotate_keys(KeyStep::Activate)
            }
        }
    }

    /// Adds the civil-registry outcomes of personas added at run time.
    pub fn register_personas(&self, added: &[Arc<Persona>]) {
        self.fc.register_personas(added);
        self.fcplus.register_personas(added);
    }

    /// Forgets every session, interaction, code, token, queued login and cached document.
    pub fn reset(&self) {
        self.fc.reset();
        self.fcplus.reset();
        self.remotes.clear();
        self.client_jwks.clear();
    }

    /// The application seen from one platform.
    pub fn view(&self, kind: crate::config::PlatformKind) -> super::PlatformView {
        super::PlatformView::new(self.clone(), kind)
    }

    /// The configuration's FranceConnect v2 and FranceConnect+ issuers.
    pub fn issuers(&self) -> [String; 2] {
        [PlatformKind::Fc, PlatformKind::Fcplus].map(|kind| self.served(kind).issuer.to_string())
    }
}

/// A fresh ES256 + RS256 pair for a rotation after the first.
fn fresh_pair(rng: &Rng) -> Result<Vec<SigningKey>, KeyError> {
    Ok(vec![
        crate::crypto::keys::fresh_es256(rng, "generated P-256 key")?,
        crate::crypto::keys::fresh_rs256(rng)?,
    ])
}
