//! Tools that drive a commune's portal through FranceConnect logins and
//! judge what it does: `fcmock check` (a catalogue of conformance checks,
//! [`check`]) and `fcmock scenario run` (journeys written in scenario
//! files, [`journey`]).
//!
//! Both act as the citizen's browser ([`drive::Citizen`]: cookies, forms
//! read with a real HTML parser), speak to fcmock only over HTTP
//! ([`fcmock::Fcmock`]: scenarios, journal, keys through the control API)
//! and report with [`report::Report`] (text, JUnit XML, one self-contained
//! HTML file with the journal of every failure). The module sits beside
//! `bench`: above the roles, because it can start an fcmock in-process.

pub mod check;
pub mod drive;
pub mod fcmock;
pub mod journey;
pub mod report;
mod report_html;

use crate::agent::AgentError;

/// Why a check or a journey could not be run (as opposed to a portal that
/// failed it).
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// fcmock could not be started or reached, or the target is misdescribed.
    #[error("{0}")]
    Setup(String),
    /// fcmock answered unexpectedly (control API, pages).
    #[error("fcmock: {0}")]
    Fcmock(String),
    /// The portal did something the runner could not follow.
    #[error("portal: {0}")]
    Portal(String),
    /// The browser failed (connection, timeout).
    #[error("{what}: {source}")]
    Agent {
        what: String,
        #[source]
        source: AgentError,
    },
}

impl PortalError {
    pub(crate) fn agent(what: impl Into<String>) -> impl FnOnce(AgentError) -> Self {
        let what = what.into();
        move |source| PortalError::Agent { what, source }
    }
}
