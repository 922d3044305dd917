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
use crate::scenarios::{Action, Ctx};

/// Identity hash → outcome, for the personas whose outcome is not `found`
/// or whose FranceConnect account is blocked.
/// Only personas built at load carry an outcome or a blocked account (see
/// `config::PersonaSet`), so `personas` may leave deferred ones out.
pub(crate) fn registry<'a>(
    personas: impl IntoIterator<Item = &'a std::sync::Arc<Persona>>,
) -> HashMap<String, Verdict> {
    let mut map = HashMap::new();
    for p in personas {
        let verdict = match (p.account_blocked, p.rnipp) {
            (true, _) => Verdict::Blocked,
            (false, RnippOutcome::Found) => continue,
            (false, outcome) => Verdict::Rnipp(outcome),
        };
        map.insert(normalise(&p.identity).identity_hash, verdict);
        for a in &p.accounts {
            map.insert(normalise(&a.identity).identity_hash, verdict);
        }
    }
    map
}

/// Checks an identity against the registry: a scenario's `rnipp` fault at
/// the verify step for this client (and persona, when known) first, then
/// the persona's own outcome.
pub(crate) fn check(
    state: &PlatformView,
    identity: &NormalisedIdentity,
    client_id: &str,
    persona: Option<&str>,
) -> Result<(), HubError> {
    // Written only for a page that names the person.
    let who = || {
        format!(
            "{} {}, né(e) le {}",
            identity.given_name, identity.family_name, identity.birthdate
        )
    };
    let endpoint = state.kind.endpoint("interaction.verify");
    let ctx = Ctx {
        endpoint: &endpoint,
        client: Some(client_id),
        persona,
    };
    for fired in state.scenarios.fire(&ctx, false, &state.rng) {
        if let Action::Rnipp(outcome) = fired.action {
            outcome_page(Some(outcome), &who(), "scénario :")?;
        }
    }
    match state.hub.rnipp.read().get(&identity.identity_hash).copied() {
        None => Ok(()),
        Some(Verdict::Rnipp(outcome)) => outcome_page(Some(outcome), &who(), "persona réglée sur"),
        // The account lookup by identity hash follows the registry
        // (PROTOCOL.md §4: a blocked account gives Y180001).
        Some(Verdict::Blocked) => Err(HubError::page(
            "Y180001",
            format!(
                "{} a bloqué son compte FranceConnect (persona réglée sur account_blocked: true)",
                who()
            ),
        )),
    }
}

/// What the verify step answers for an identity, when not a plain pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The civil registry's outcome.
    Rnipp(RnippOutcome),
    /// The citizen blocked their FranceConnect account.
    Blocked,
}

/// The page of a civil-registry outcome (`None` and `Found` pass). `why`
/// says where the outcome came from, for the explanation.
pub(crate) fn outcome_page(outcome: Option<RnippOutcome>, who: &str, why: &str) -> Result<(), HubError> {
    match outcome.as_ref() {
        None | Some(RnippOutcome::Found) => Ok(()),
        Some(RnippOutcome::CloseEcho) => Err(HubError::page(
            "Y010004",
            format!(
                "RNIPP : une seule personne proche correspond à {who}, sans être identique ({why} rnipp: close_echo)"
            ),
        )),
        Some(RnippOutcome::UsageNameOnly) => Err(HubError::page(
            "Y010007",
            format!("RNIPP : {who} n'est trouvé(e) que sous son nom d'usage ({why} rnipp: usage_name_only)"),
        )),
        Some(RnippOutcome::Timeout) => Err(HubError::page(
            "Y010011",
            format!("RNIPP : le répertoire n'a pas répondu à temps pour {who} ({why} rnipp: timeout)"),
        )),
        Some(RnippOutcome::Unreachable) => Err(HubError::page(
            "Y010012",
            format!("RNIPP : le répertoire est injoignable ({why} rnipp: unreachable)"),
        )),
        Some(RnippOutcome::NotFound) => Err(HubError::page(
            "Y010008",
            format!("RNIPP : aucune personne ne correspond à {who} ({why} rnipp: not_found)"),
        )),
        Some(RnippOutcome::SeveralEchoes) => Err(HubError::page(
            "Y010006",
            format!("RNIPP : plusieurs personnes correspondent à {who} ({why} rnipp: several_echoes)"),
        )),
        Some(RnippOutcome::Deceased) => Err(HubError::page(
            "Y010015",
            format!("RNIPP : {who} est déclaré(e) décédé(e) ({why} rnipp: deceased)"),
        )),
    }
}
