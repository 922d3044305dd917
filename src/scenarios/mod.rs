//! Scenarios: scripted failures, bound to clients or personas.
//!
//! A scenario is a list of [`Fault`]s, each saying *where* (an endpoint, by
//! the journal's names: `fc.token`, `idp.ameli.userinfo`, or a prefix such as
//! `idp.ameli.`), *when* (from the nth matching call, how many times, with
//! which probability, only for a persona or a client) and *what*: a transport
//! fault (status, garbage, empty body, reset, hang, dribble, delays), a change
//! to the tokens FranceConnect issues (id_token, userinfo), a change to what an
//! identity provider answers (claims, the redirect back to FranceConnect).
//! Transport faults are applied by [`transport::apply`], a step around the routes; content
//! faults by the handlers that build the content, through [`Scenarios::fire`].
//! Scenarios load at start (`--scenario`), through the control API, or come
//! with a persona (magic personas).

pub mod catalogue;
pub mod journey;
pub mod parse;
pub mod tokens;
pub mod transport;

pub use crate::config::fault::{Action, Delay, Fault, TokenFault, When};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use serde::Serialize;

use crate::rng::Rng;

/// A scenario as written.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Clients the scenario is bound to (empty: every client).
    pub clients: Vec<String>,
    pub faults: Vec<Fault>,
    /// Clock changes applied when the scenario loads.
    pub clock: Option<ClockStep>,
    /// Key-rotation steps applied when the scenario loads.
    pub keys: Vec<String>,
    /// Journeys for `fcmock scenario run` (serving ignores them).
    pub journeys: Vec<journey::Journey>,
}

/// A clock change in a scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClockStep {
    pub freeze: Option<bool>,
    pub advance_seconds: Option<f64>,
}

/// Who a request is for, as far as faults are concerned (borrowed from the
/// request's context: firing a fault copies no string).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx<'a> {
    pub endpoint: &'a str,
    pub client: Option<&'a str>,
    pub persona: Option<&'a str>,
}

struct Counters {
    seen: AtomicU64,
    applied: AtomicU64,
}

/// A scenario in force.
pub struct Loaded {
    pub id: String,
    pub scenario: Scenario,
    /// Set for a persona's own faults (magic personas).
    pub builtin: bool,
    counters: Vec<Counters>,
}

impl Loaded {
    /// Whether the scenario is for this client (a scenario naming no client
    /// is for all).
    fn admits(&self, client: Option<&str>) -> bool {
        let bound = &self.scenario.clients;
        bound.is_empty() || client.is_some_and(|c| bound.iter().any(|b| b == c))
    }

    /// How many times each fault matched and applied.
    pub fn counts(&self) -> Vec<(u64, u64)> {
        self.counters
            .iter()
            .map(|c| (c.seen.load(Ordering::Relaxed), c.applied.load(Ordering::Relaxed)))
            .collect()
    }
}

/// A fault that fires for a call.
#[derive(Debug, Clone)]
pub struct Fired {
    pub action: Action,
    pub delay: Option<Delay>,
    /// The id of the scenario it belongs to.
    pub scenario: String,
}

/// The scenarios in force.
#[derive(Default)]
pub struct Scenarios {
    items: RwLock<Vec<Arc<Loaded>>>,
    next_id: AtomicU64,
}

/// Most scenarios in force at once.
pub const MAX_LOADED: usize = 1000;

/// Why a scenario cannot be put in force.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{MAX_LOADED} scenarios are loaded already; remove some (DELETE /_fcmock/api/scenarios/ID) or reset")]
    Full,
}

impl Scenarios {
    /// Puts a scenario in force; returns its id. Scenarios loaded at run time
    /// (or with `--scenario`) are `s1`, `s2`…; the built-in scenarios of
    /// magic personas are `persona-<persona id>`, so the first scenario a
    /// user loads is always `s1`.
    pub fn load(&self, scenario: Scenario, builtin: bool) -> Result<String, ScenarioError> {
        self.insert(None, scenario, builtin)
    }

    /// Puts a scenario in force under `id`, or the next `sN` (chosen under
    /// the lock, so that concurrent loads get distinct ids).
    fn insert(&self, id: Option<String>, scenario: Scenario, builtin: bool) -> Result<String, ScenarioError> {
        let mut items = self.items.write();
        if items.len() >= MAX_LOADED {
            return Err(ScenarioError::Full);
        }
        let id = id.unwrap_or_else(|| format!("s{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1));
        let counters = scenario
            .faults
            .iter()
            .map(|_| Counters {
                seen: AtomicU64::new(0),
                applied: AtomicU64::new(0),
            })
            .collect();
        items.push(Arc::new(Loaded {
            id: id.clone(),
            scenario,
            builtin,
            counters,
        }));
        Ok(id)
    }

    /// Puts the personas' own faults (magic personas) in force, one built-in
    /// scenario per persona that has any.
    pub fn load_persona_faults<'a>(
        &self,
        personas: impl IntoIterator<Item = &'a Arc<crate::config::Persona>>,
    ) -> Result<(), ScenarioError> {
        for p in personas.into_iter().filter(|p| !p.faults.is_empty()) {
            let scenario = Scenario {
                name: format!("persona {}", p.id),
                description: p.notes.clone(),
                clients: Vec::new(),
                faults: p.faults.clone(),
                clock: None,
                keys: Vec::new(),
                journeys: Vec::new(),
            };
            self.insert(Some(format!("persona-{}", p.id)), scenario, true)?;
        }
        Ok(())
    }

    /// Whether a fault in force could fire at an endpoint under `prefix`
    /// (`idp.ameli.`) for this client and persona, whatever its counters say
    /// (a conservative answer: the caller then takes the longer, faithful way).
    pub fn may_fire_under(&self, prefix: &str, client: &str, persona: &str) -> bool {
        self.items.read().iter().any(|loaded| {
            loaded.admits(Some(client))
                && loaded.scenario.faults.iter().any(|f| {
                    let here = f.at.starts_with(prefix) || (f.at.ends_with('.') && prefix.starts_with(f.at.as_str()));
                    here && f.when.admits(Some(client), Some(persona))
                })
        })
    }

    /// Removes a scenario; false if there was none with this id.
    pub fn remove(&self, id: &str) -> bool {
        let mut items = self.items.write();
        let before = items.len();
        items.retain(|l| l.id != id || l.builtin);
        items.len() != before
    }

    /// Removes every scenario loaded at run time (persona faults stay).
    pub fn clear(&self) {
        self.items.write().retain(|l| l.builtin);
    }

    /// The scenarios in force.
    pub fn list(&self) -> Vec<Arc<Loaded>> {
        self.items.read().clone()
    }

    /// The faults that apply to this call, counting it. `transport` selects
    /// transport faults (the layer) or content faults (handlers).
    pub fn fire(&self, ctx: &Ctx<'_>, transport: bool, rng: &Rng) -> Vec<Fired> {
        let items = self.items.read();
        let mut out = Vec::new();
        for loaded in items.iter() {
            if !loaded.admits(ctx.client) {
                continue;
            }
            for (fault, counters) in loaded.scenario.faults.iter().zip(&loaded.counters) {
                if fault.action.is_transport() != transport || !fault.matches_endpoint(ctx.endpoint) {
                    continue;
                }
                let w = &fault.when;
                if !w.admits(ctx.client, ctx.persona) {
                    continue;
                }
                let seen = counters.seen.fetch_add(1, Ordering::Relaxed) + 1;
                if seen < w.nth {
                    continue;
                }
                if w.times.is_some_and(|t| counters.applied.load(Ordering::Relaxed) >= t) {
                    continue;
                }
                if w.probability < 1.0 {
                    let roll = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    if roll >= w.probability {
                        continue;
                    }
                }
                counters.applied.fetch_add(1, Ordering::Relaxed);
                out.push(Fired {
                    action: fault.action.clone(),
                    delay: fault.delay.clone(),
                    scenario: loaded.id.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(at: &str, when: When) -> Fault {
        Fault {
            at: at.into(),
            when,
            delay: None,
            action: Action::Status {
                code: 503,
                body: String::new(),
                content_type: "text/plain".into(),
            },
        }
    }

    fn scenario(faults: Vec<Fault>, clients: Vec<String>) -> Scenario {
        Scenario {
            name: "t".into(),
            description: String::new(),
            clients,
            faults,
            clock: None,
            keys: vec![],
            journeys: vec![],
        }
    }

    fn ctx<'a>(endpoint: &'a str, client: &'a str) -> Ctx<'a> {
        Ctx {
            endpoint,
            client: Some(client),
            persona: None,
        }
    }

    #[test]
    fn twice_then_success_and_only_for_the_bound_client() {
        let s = Scenarios::default();
        let rng = Rng::seeded(1);
        s.load(
            scenario(
                vec![fault(
                    "fc.token",
                    When {
                        times: Some(2),
                        ..When::default()
                    },
                )],
                vec!["a".into()],
            ),
            false,
        )
        .unwrap();
        assert_eq!(
            s.fire(&ctx("fc.token", "b"), true, &rng).len(),
            0,
            "another client is not affected"
        );
        assert_eq!(s.fire(&ctx("fc.token", "a"), true, &rng).len(), 1);
        assert_eq!(s.fire(&ctx("fc.userinfo", "a"), true, &rng).len(), 0);
        assert_eq!(s.fire(&ctx("fc.token", "a"), true, &rng).len(), 1);
        assert_eq!(s.fire(&ctx("fc.token", "a"), true, &rng).len(), 0, "then it succeeds");
    }

    #[test]
    fn nth_prefix_and_probability() {
        let s = Scenarios::default();
        let rng = Rng::seeded(2);
        s.load(
            scenario(
                vec![fault(
                    "idp.ameli.",
                    When {
                        nth: 3,
                        ..When::default()
                    },
                )],
                vec![],
            ),
            false,
        )
        .unwrap();
        let hits: Vec<usize> = (0..4)
            .map(|_| s.fire(&ctx("idp.ameli.token", "x"), true, &rng).len())
            .collect();
        assert_eq!(hits, vec![0, 0, 1, 1]);
        s.clear();
        s.load(
            scenario(
                vec![fault(
                    "fc.jwks",
                    When {
                        probability: 0.5,
                        ..When::default()
                    },
                )],
                vec![],
            ),
            false,
        )
        .unwrap();
        let n: usize = (0..1000).map(|_| s.fire(&ctx("fc.jwks", "x"), true, &rng).len()).sum();
        assert!((400..600).contains(&n), "{n}");
    }

    #[test]
    fn delays_sample_within_their_law() {
        let rng = Rng::seeded(3);
        assert_eq!(Delay::Fixed { ms: 20 }.sample_ms(&rng), 20);
        for _ in 0..100 {
            let d = Delay::Uniform { min_ms: 10, max_ms: 20 }.sample_ms(&rng);
            assert!((10..=20).contains(&d));
        }
        let mut v: Vec<u64> = (0..1001)
            .map(|_| {
                Delay::LogNormal {
                    median_ms: 100.0,
                    sigma: 0.5,
                }
                .sample_ms(&rng)
            })
            .collect();
        v.sort_unstable();
        assert!((80..125).contains(&v[500]), "median {}", v[500]);
    }
}
