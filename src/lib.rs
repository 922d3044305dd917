//! fcmock: a faithful, scriptable FranceConnect sandbox in one binary.
//!
//! # Layout
//!
//! Layered, lowest first; a module imports its own layer or lower ones only
//! (checked by `tests/it/layers.rs`):
//!
//! - leaves: [`config`] (YAML and JSON Lines → validated model, the
//!   personas in a [`config::PersonaSet`] that defers large JSON Lines
//!   files, [`config::PlatformKind`], the fault model [`config::fault`]), [`oidc`] (the code → token core
//!   [`oidc::provider`], rejection reasons, forms, scopes, the bounded
//!   expiring store), [`crypto`] (keys, JWKS, JWS, JWE, FranceConnect's
//!   `sub`), [`identity`], [`journal`], [`scenarios`] (faults in force, the
//!   fault catalogue [`scenarios::catalogue`]), [`personas`], [`cog`],
//!   [`web`], [`paths`], [`clock`], [`rng`];
//! - [`shared`]: [`shared::Shared`], what every role reads;
//! - [`agent`]: a browser and a relying party, for the tests, the bench and
//!   the tools that drive a portal;
//! - roles, each with its own state and error type: [`platform`]
//!   (FranceConnect v2 under `/api/v2` and FranceConnect+, with the hub's
//!   client of the identity providers), [`idp`] (the mock identity providers
//!   under `/idp/{id}`), [`data_providers`] (`/dp/{id}`), [`control`]
//!   (`/_fcmock` pages, health and control API), [`inspector`] (the
//!   trainer's live view of the journal), [`step`] (step mode) and
//!   [`demo`] (the demo commune portal, a service provider of fcmock's own);
//! - [`server`] ([`server::AppState`], [`server::build_router`],
//!   [`server::serve`]), [`bench`](mod@bench) and [`portal`] (`fcmock
//!   check`: a portal driven through logins and judged);
//! - [`cli`], which nothing imports.
//!
//! # Request flow
//!
//! accept loop ([`server::ServeOptions`]: header-read and idle timeouts,
//! header size) → edge (span, 60 s limit; step mode and security headers on
//! the way back) → journal step (a bounded copy of each exchange, decoded
//! when read) → fault step → body limit → router → handler with its role's
//! state (axum `FromRef` from [`server::AppState`]) → domain functions (they take the injected clock)
//! → a typed result or the role's error type, whose `IntoResponse` decides
//! between a FranceConnect error page, a redirect with `error=` and a JSON
//! error, and marks the response with its error code for the journal.

pub mod agent;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod cog;
pub mod config;
pub mod control;
pub mod crypto;
pub mod data_providers;
pub mod demo;
pub mod identity;
pub mod idp;
pub mod inspector;
pub mod journal;
pub mod oidc;
pub mod paths;
pub mod personas;
pub mod platform;
pub mod portal;
pub mod rng;
pub mod scenarios;
pub mod server;
pub mod shared;
pub mod step;
pub mod web;
