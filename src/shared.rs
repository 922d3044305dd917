//! What every role shares: the configuration in force, time, randomness,
//! the public and internal URLs, the journal, the scripted faults and the
//! back-channel HTTP client.
//!
//! Each role's state ([`crate::platform::PlatformState`],
//! [`crate::idp::IdpState`], [`crate::data_providers::DpState`],
//! [`crate::control::ControlState`]) holds one [`Shared`] beside what only
//! that role owns, and dereferences to it, so `state.clock` reads the same in
//! every handler. This module sits below the roles: it imports only leaves.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::clock::Clock;
use crate::config::Config;
use crate::journal::Journal;
use crate::rng::Rng;
use crate::scenarios::Scenarios;

/// The two base URLs of a running fcmock.
#[derive(Debug, Clone)]
pub struct Urls {
    /// What browsers see and what issuers are built from, e.g. `http://localhost:7080`.
    pub public: String,
    /// What fcmock uses to call itself on the back channel (hub → identity provider).
    pub internal: String,
}

/// The state every role reads. Cheap to clone.
#[derive(Clone)]
pub struct Shared(Arc<SharedInner>);

/// The fields behind [`Shared`].
pub struct SharedInner {
    /// The validated configuration; replaced whole (never mutated) when
    /// personas are added at run time. Read it with [`Shared::config`].
    config_cell: ArcSwap<Config>,
    /// Injected time: every expiry is computed from it.
    pub clock: Clock,
    /// Injected randomness: codes, tokens, states, nonces, ids.
    pub rng: Rng,
    pub urls: Urls,
    /// Every exchange, correlated by flow (bounded).
    pub journal: Arc<Journal>,
    /// Scripted failures in force.
    pub scenarios: Arc<Scenarios>,
    /// Back-channel HTTP client (hub → identity providers, data providers →
    /// checktoken, FranceConnect+ → clients' `jwks_uri`); never follows redirects.
    pub http: reqwest::Client,
    /// Where each platform is served and its issuer, FranceConnect v2's then
    /// FranceConnect+'s (`platform.fcplus_path`): fixed at start because the
    /// router is built with them; shared by every request's view.
    platforms: [Served; 2],
}

/// Where a platform is served: its path prefix and its issuer.
#[derive(Clone)]
pub struct Served {
    pub prefix: Arc<str>,
    pub issuer: Arc<str>,
}

impl Deref for Shared {
    type Target = SharedInner;
    fn deref(&self) -> &SharedInner {
        &self.0
    }
}

impl Shared {
    /// The shared state of a configuration served at `urls`.
    pub fn new(config: Config, urls: Urls, clock: Clock, rng: Rng) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(35))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self(Arc::new(SharedInner {
            journal: Arc::new(Journal::new(
                config.platform.journal_capacity,
                config.platform.journal_mib.saturating_mul(1024 * 1024),
            )),
            scenarios: Arc::new(Scenarios::default()),
            platforms: [crate::paths::FC_PREFIX, config.platform.fcplus_path.as_str()].map(|prefix| Served {
                prefix: Arc::from(prefix),
                issuer: Arc::from(format!("{}{prefix}", urls.public)),
            }),
            config_cell: ArcSwap::from_pointee(config),
            clock,
            rng,
            urls,
            http,
        })))
    }

    /// The configuration in force (a cheap snapshot).
    pub fn config(&self) -> Arc<Config> {
        self.config_cell.load_full()
    }

    /// Puts a new configuration in force (personas added at run time).
    pub fn replace_config(&self, next: Config) {
        self.config_cell.store(Arc::new(next));
    }

    /// Where FranceConnect+ is served (`platform.fcplus_path`).
    pub fn fcplus_prefix(&self) -> &str {
        &self.platforms[1].prefix
    }

    /// Where `kind` is served and its issuer.
    pub fn served(&self, kind: crate::config::PlatformKind) -> &Served {
        match kind {
            crate::config::PlatformKind::Fc => &self.platforms[0],
            crate::config::PlatformKind::Fcplus => &self.platforms[1],
        }
    }

    /// The FranceConnect v2 issuer, e.g. `http://localhost:7080/api/v2`.
    pub fn issuer(&self) -> &str {
        &self.platforms[0].issuer
    }
}
