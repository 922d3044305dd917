//! The civil-registry (RNIPP) step, as a mock.
//!
//! FranceConnect asks INSEE's registry to confirm each identity. Like
//! FranceConnect's own mock, this one echoes the identity back (so the
//! normalisation of [`crate::identity::normalise`] is what the service
//! provider gets), except for personas whose `rnipp` outcome says otherwise:
//! an identity that hashes like such a persona's (civil or held by an
//! identity provider) fails with that outcome's page.

use std::collections::HashMap;

use super::error::HubError;
use super::view::PlatformView;
use crate::config::{Persona, RnippOutcome};
use crate::identity::{NormalisedIdentity, normalise};

/// Identity hash → outcome, for the personas whose outcome is not `found`.
pub(crate) fn registry(personas: &[std::sync::Arc<Persona>]) -> HashMap<String, RnippOutcome> {
    let mut map = HashMap::new();
    for p in personas {
        if p.rnipp == RnippOutcome::Found {
            continue;
        }
        map.insert(normalise(&p.identity).identity_hash, p.rnipp);
        for a in &p.accounts {
            map.insert(normalise(&a.identity).identity_hash, p.rnipp);
        }
    }
    map
}

/// Checks an identity against the registry.
pub(crate) fn check(state: &PlatformView, identity: &NormalisedIdentity) -> Result<(), HubError> {
    let who = format!(
        "{} {}, né(e) le {}",
        identity.given_name, identity.family_name, identity.birthdate
    );
    let outcome = state.hub.rnipp.read().get(&identity.identity_hash).copied();
    match outcome.as_ref() {
        None | Some(RnippOutcome::Found) => Ok(()),
        Some(RnippOutcome::NotFound) => Err(HubError::page(
            "Y010008",
            format!("RNIPP : aucune personne ne correspond à {who} (persona réglée sur rnipp: not_found)"),
        )),
        Some(RnippOutcome::SeveralEchoes) => Err(HubError::page(
            "Y010006",
            format!("RNIPP : plusieurs personnes correspondent à {who} (persona réglée sur rnipp: several_echoes)"),
        )),
        Some(RnippOutcome::Deceased) => Err(HubError::page(
            "Y010015",
            format!("RNIPP : {who} est déclaré(e) décédé(e) (persona réglée sur rnipp: deceased)"),
        )),
    }
}
