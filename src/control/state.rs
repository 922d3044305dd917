//! The control role's state: the shared state plus handles on the roles it
//! steers (both platforms' hubs and the identity providers), and the token
//! that opens the API to non-loopback callers. Loading a scenario, rotating
//! keys and adding personas while running are done here, because each
//! touches several roles at once.

use std::ops::Deref;
use std::sync::Arc;

use axum::http::StatusCode;

use super::ControlError;
use crate::config::{ConfigErrors, Source};
use crate::idp::IdpSet;
use crate::platform::{KeyStep, PlatformState};
use crate::scenarios::Scenario;
use crate::shared::Shared;

/// The control role's state. Cheap to clone.
#[derive(Clone)]
pub struct ControlState {
    shared: Shared,
    /// Both platforms: reset, key rotation, headless-login queues.
    pub platform: PlatformState,
    /// The built-in identity providers: reset.
    pub idps: Arc<IdpSet>,
    /// Bearer token that opens the control API to non-loopback callers.
    pub control_token: Option<Arc<str>>,
    /// Serialises additions of personas: each reads the configuration in
    /// force and replaces it, so two at once would lose one's personas.
    additions: Arc<parking_lot::Mutex<()>>,
    /// What else a reset clears (the server hands in other modules' state,
    /// such as the demo portal's visits and links, without control
    /// importing them).
    also_reset: Vec<Arc<dyn Fn() + Send + Sync>>,
}

impl Deref for ControlState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl ControlState {
    /// The control role over the given roles' state.
    pub fn new(platform: PlatformState, idps: Arc<IdpSet>, control_token: Option<String>) -> Self {
        Self {
            shared: Shared::clone(&platform),
            platform,
            idps,
            control_token: control_token.map(Arc::from),
            additions: Arc::default(),
            also_reset: Vec::new(),
        }
    }

    /// This state, with `hook` run by every reset.
    #[must_use]
    pub fn resetting(mut self, hook: Arc<dyn Fn() + Send + Sync>) -> Self {
        self.also_reset.push(hook);
        self
    }

    /// Puts a scenario in force: its clock and key steps first, then its
    /// faults. Refused (409) when a key step cannot be done or too many
    /// scenarios are loaded.
    pub fn load_scenario(&self, scenario: Scenario) -> Result<String, ControlError> {
        let conflict = |e: &dyn std::fmt::Display| ControlError::new(StatusCode::CONFLICT, e.to_string());
        if let Some(c) = &scenario.clock {
            if let Some(f) = c.freeze {
                if f { self.clock.freeze() } else { self.clock.unfreeze() }
            }
            if let Some(s) = c.advance_seconds {
                self.clock.advance_ms((s * 1000.0).round() as i64);
            }
        }
        for step in &scenario.keys {
            KeyStep::parse(step)
                .and_then(|s| self.platform.rotate_keys(s))
                .map_err(|e| conflict(&e))?;
        }
        self.scenarios.load(scenario, false).map_err(|e| conflict(&e))
    }

    /// Adds personas (a YAML or JSON document `personas: [ … ]`) while running,
    /// validated as a configuration file would be. Returns their ids.
    pub fn add_personas(&self, name: &str, text: &str) -> Result<Vec<String>, ConfigErrors> {
        let source = Source {
            name: name.to_owned(),
            text: text.to_owned(),
        };
        // Held from reading the configuration to storing its successor.
        let _one_at_a_time = self.additions.lock();
        let (next, added) = self.config().with_added_personas(&source)?;
        self.platform.register_personas(&added);
        if let Err(e) = self.scenarios.load_persona_faults(&added) {
            tracing::warn!(error = %e, "persona faults not loaded");
        }
        self.replace_config(next);
        Ok(added.iter().map(|p| p.id.clone()).collect())
    }

    /// Back to a fresh start: stores, queues, caches, faults, journal, clock.
    pub fn reset(&self) {
        self.platform.reset();
        self.idps.reset();
        self.scenarios.clear();
        self.journal.clear();
        self.clock.reset();
        for hook in &self.also_reset {
            hook();
        }
    }
}
