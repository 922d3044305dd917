//! French explanations of every parameter, claim and JWT header field the
//! platforms emit or receive: what it is, why it is there, and what the
//! service provider must check. The inspector shows them beside each
//! exchange; `tests/it/inspector.rs` checks that nothing the platforms send
//! lacks one (claims of the discovery documents, every parameter and claim
//! of a recorded login).
//!
//! Facts: `PROTOCOL.md` (FranceConnect's developer documentation and the
//! `core-fcp` sources), OpenID Connect Core 1.0.

mod claims;
mod hub;
mod params;

use serde::Serialize;

use claims::{CLAIMS, HEADERS};
use params::PARAMS;

/// One explanation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Explanation {
    /// What it is.
    pub what: &'static str,
    /// Why it is there.
    pub why: &'static str,
    /// What the service provider must check or do (empty: nothing).
    pub check: &'static str,
}

const fn e(what: &'static str, why: &'static str, check: &'static str) -> Explanation {
    Explanation { what, why, check }
}

fn find(table: &'static [(&'static str, Explanation)], name: &str) -> Option<&'static Explanation> {
    table.iter().find(|(n, _)| *n == name).map(|(_, e)| e)
}

/// A request or response parameter.
pub fn param(name: &str) -> Option<&'static Explanation> {
    find(PARAMS, name)
}

/// A claim; `rnipp_…` claims are the civil registry's version of the same.
pub fn claim(name: &str) -> Option<&'static Explanation> {
    find(CLAIMS, name).or_else(|| name.strip_prefix("rnipp_").and_then(|base| find(CLAIMS, base)))
}

/// Where an exchange happens: between a service and FranceConnect, or
/// between FranceConnect and an identity provider (FranceConnect is then
/// the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Service,
    IdentityProvider,
}

impl Hop {
    /// The hop of a journal endpoint (`idp.ameli.token`, `fc.oidc-callback`…).
    pub fn of_endpoint(endpoint: &str) -> Self {
        if endpoint.starts_with("idp.") || endpoint.ends_with(".oidc-callback") {
            Hop::IdentityProvider
        } else {
            Hop::Service
        }
    }
}

/// A parameter, as it is meant on `hop`.
pub fn param_at(name: &str, hop: Hop) -> Option<&'static Explanation> {
    match hop {
        Hop::IdentityProvider => find(hub::HUB_PARAMS, name).or_else(|| param(name)),
        Hop::Service => param(name),
    }
}

/// A claim, as it is meant on `hop`.
pub fn claim_at(name: &str, hop: Hop) -> Option<&'static Explanation> {
    match hop {
        Hop::IdentityProvider => find(hub::HUB_CLAIMS, name).or_else(|| claim(name)),
        Hop::Service => claim(name),
    }
}

/// A JWT header field.
pub fn header(name: &str) -> Option<&'static Explanation> {
    find(HEADERS, name)
}

/// One line for a page: what, why, and what to check.
pub fn line(e: &Explanation) -> String {
    if e.check.is_empty() {
        format!("{} {}", e.what, e.why)
    } else {
        format!("{} {} À vérifier : {}", e.what, e.why, e.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rnipp_claims_fall_back_to_the_pivot_claim() {
        assert!(claim("rnipp_given_name").is_some());
        assert!(claim("rnipp_nothing").is_none());
        assert!(param("nonce").is_some_and(|e| e.check.contains("22")));
    }

    #[test]
    fn on_the_identity_provider_hop_franceconnect_is_the_client() {
        let hop = Hop::of_endpoint("idp.ameli.authorize");
        assert_eq!(hop, Hop::IdentityProvider);
        assert!(param_at("client_id", hop).is_some_and(|e| e.what.contains("FranceConnect est le client")));
        assert!(param_at("response_type", hop).is_some_and(|e| e.what.contains("code")));
        assert!(
            claim_at("aud", Hop::of_endpoint("fc.oidc-callback")).is_some_and(|e| e.what.contains("FranceConnect"))
        );
        assert!(
            param_at("client_id", Hop::of_endpoint("fc.token"))
                .is_some_and(|e| e.what.contains("fournisseur de service"))
        );
    }
}
