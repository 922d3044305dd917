//! The agent: a browser and a relying party, in the library so that the
//! integration tests, `fcmock bench`, the scenario runner, the conformance
//! checker (`crate::portal`) and the demo portal all drive FranceConnect
//! flows the same way.
//!
//! - [`browser::Browser`]: a cookie jar, redirects followed one hop at a
//!   time (so a caller sees each), HTML forms read with a real parser and
//!   submitted as a browser would.
//! - [`rp::RelyingParty`]: a service provider built on the `openidconnect`
//!   crate: discovery, authorize URL, code exchange, id_token verification,
//!   userinfo; each refusal carries its [`Rejection`].
//! - [`jwks::Jwks`]: a JWKS fetched once and a JWT check that says why it
//!   refuses (used for userinfo, which `openidconnect` verifies for RS256
//!   only, and by the benchmark for its speed).
//!
//! The agent sits beside the roles: it imports leaves only, and speaks to
//! fcmock (or any OpenID provider) over HTTP.

pub mod browser;
pub mod jwks;
pub mod rp;

pub use crate::oidc::rejection::Rejection;
pub use browser::{Browser, Form, Page};
pub use jwks::{Expect, Jwks};
pub use rp::{LoginResult, RelyingParty, Userinfo};

/// Why the agent could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The HTTP exchange failed (connection, timeout, body).
    #[error("{what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    /// A page lacked what the agent looked for (a form, a field, a redirect).
    #[error("{0}")]
    Page(String),
    /// The provider answered, but not as a FranceConnect provider must.
    #[error("{0}")]
    Protocol(String),
    /// A token was refused; the reason is one of the catalogue's.
    #[error("{rejection}: {detail}")]
    Rejected { rejection: Rejection, detail: String },
}

impl AgentError {
    /// The reason a token was refused, when that is what happened.
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            AgentError::Rejected { rejection, .. } => Some(*rejection),
            _ => None,
        }
    }

    pub(crate) fn http(what: impl Into<String>) -> impl FnOnce(reqwest::Error) -> Self {
        let what = what.into();
        move |source| AgentError::Http { what, source }
    }

    pub(crate) fn rejected(rejection: Rejection, detail: impl Into<String>) -> Self {
        AgentError::Rejected {
            rejection,
            detail: detail.into(),
        }
    }
}
