#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

//! Integration tests: the real server on a real socket, driven by a real
//! OpenID Connect relying party (`openidconnect`) and a cookie-keeping HTTP
//! client that reads the pages like a browser would.

mod bench;
mod check;
mod cli;
mod connections;
mod data;
mod demo;
mod errors;
mod ext_idp;
mod external;
mod faithful;
mod faults;
mod fcplus;
mod fuzz;
mod headless;
mod helpers;
mod hub;
mod inspector;
mod interop;
mod journal;
mod journal_bounds;
mod journey;
mod journeys;
mod large_sets;
mod layers;
mod pages;
mod personas;
mod portals;
mod props;
mod readme;
mod recipes;
mod scenario_ids;
mod tokens;
mod toolchain;
