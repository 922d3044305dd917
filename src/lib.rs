//! fcmock: a faithful, scriptable FranceConnect sandbox in one binary.
//!
//! # Layout
//!
//! - [`config`]: YAML → validated model (platform settings, clients,
//!   identity providers, personas); the default bundle is compiled in.
//! - [`app`]: [`app::AppState`], [`app::build_router`], [`app::serve`].
//! - [`platform`]: the FranceConnect v2 hub under `/api/v2`.
//! - [`idp`]: the mock identity providers under `/idp/{id}`, and the hub's
//!   OpenID Connect client of them.
//! - [`control`]: `/_fcmock` pages, health and control API.
//! - [`crypto`]: keys, JWKS, JWS, FranceConnect's `sub`.
//! - [`identity`]: the pivot identity, its checks and its RNIPP normalisation.
//! - [`oidc`]: scopes and the bounded expiring store.
//! - [`clock`], [`rng`]: injected time and randomness.
//! - [`cog`]: INSEE communes and countries.
//! - [`web`]: French page templates.
//!
//! # Request flow
//!
//! tower layers (trace, timeout, body limit) → router → thin handler →
//! domain function (takes the injected clock) → a typed result or a typed
//! error whose `IntoResponse` decides between a FranceConnect error page, a
//! redirect with `error=` and a JSON error.

pub mod agent;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod cog;
pub mod config;
pub mod control;
pub mod crypto;
pub mod data_providers;
pub mod identity;
pub mod idp;
pub mod journal;
pub mod oidc;
pub mod paths;
pub mod personas;
pub mod platform;
pub mod rng;
pub mod scenarios;
pub mod server;
pub mod shared;
pub mod web;
