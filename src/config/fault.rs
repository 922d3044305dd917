//! The fault model: what a scenario or a persona can make go wrong.
//!
//! A [`Fault`] says *where* (an endpoint, by the journal's names: `fc.token`,
//! `idp.ameli.userinfo`, or a prefix such as `idp.ameli.`), *when* ([`When`])
//! and *what* ([`Action`]). These are configuration types: persona files and
//! scenario files are parsed into them here ([`super::fault_parse`]); the
//! `scenarios` module decides when they fire and the roles apply them.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::rng::Rng;

/// When a fault fires.
#[derive(Debug, Clone, Serialize)]
pub struct When {
    /// First matching call (1-based) the fault applies to.
    pub nth: u64,
    /// How many times it applies (`None`: every time from `nth` on).
    pub times: Option<u64>,
    /// Chance of applying on each eligible call.
    pub probability: f64,
    /// Only for this persona.
    pub persona: Option<String>,
    /// Only for this client.
    pub client: Option<String>,
}

impl When {
    /// Whether this fault is for this client and persona (when it names them).
    pub fn admits(&self, client: Option<&str>, persona: Option<&str>) -> bool {
        self.client.as_deref().is_none_or(|c| client == Some(c))
            && self.persona.as_deref().is_none_or(|p| persona == Some(p))
    }
}

impl Default for When {
    fn default() -> Self {
        Self {
            nth: 1,
            times: None,
            probability: 1.0,
            persona: None,
            client: None,
        }
    }
}

/// A delay before answering.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delay {
    Fixed { ms: u64 },
    Uniform { min_ms: u64, max_ms: u64 },
    LogNormal { median_ms: f64, sigma: f64 },
}

impl Delay {
    /// The delay to apply this time, in milliseconds (capped at ten minutes).
    pub fn sample_ms(&self, rng: &Rng) -> u64 {
        let unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let ms = match self {
            Delay::Fixed { ms } => *ms as f64,
            Delay::Uniform { min_ms, max_ms } => *min_ms as f64 + unit() * (max_ms.saturating_sub(*min_ms)) as f64,
            Delay::LogNormal { median_ms, sigma } => {
                // Box–Muller for a standard normal.
                let (u1, u2) = (unit().max(f64::MIN_POSITIVE), unit());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                median_ms * (sigma * z).exp()
            }
        };
        ms.clamp(0.0, 600_000.0) as u64
    }
}

/// A fault option written as one word in a file (`signature: bad`).
pub trait FaultWord: Copy + 'static {
    /// Every word, with its meaning.
    const WORDS: &'static [(&'static str, Self)];

    /// The word for `value` as written in files.
    fn word(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::WORDS.iter().find(|(_, v)| *v == self).map_or("", |(w, _)| w)
    }
}

/// How a token's signature is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureFault {
    /// Corrupted: it no longer verifies.
    Bad,
    /// `alg: none` and no signature.
    None,
    /// Plain JSON instead of a JWT (userinfo only).
    Unsigned,
}

impl FaultWord for SignatureFault {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("bad", SignatureFault::Bad),
        ("none", SignatureFault::None),
        ("unsigned", SignatureFault::Unsigned),
    ];
}

/// How a token's `kid` header is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KidFault {
    /// No `kid` in the header.
    Absent,
    /// A `kid` the JWKS does not publish.
    Unknown,
}

impl FaultWord for KidFault {
    const WORDS: &'static [(&'static str, Self)] = &[("absent", KidFault::Absent), ("unknown", KidFault::Unknown)];
}

/// How a `nonce` (or a `state`) sent back is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EchoFault {
    /// Another value than the one sent.
    Wrong,
    /// Left out.
    Missing,
}

impl FaultWord for EchoFault {
    const WORDS: &'static [(&'static str, Self)] = &[("wrong", EchoFault::Wrong), ("missing", EchoFault::Missing)];
}

/// How a token's `sub` is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubFault {
    /// Another subject than the pairwise one (userinfo: not the id_token's).
    Changed,
}

impl FaultWord for SubFault {
    const WORDS: &'static [(&'static str, Self)] = &[("changed", SubFault::Changed)];
}

/// How FranceConnect's id_token (or userinfo) is spoiled.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenFault {
    pub signature: Option<SignatureFault>,
    pub kid: Option<KidFault>,
    /// Claims replaced (or added).
    pub set: Map<String, Value>,
    /// Claims removed.
    pub drop: Vec<String>,
    /// An extra audience (aud becomes an array).
    pub extra_aud: Option<String>,
    pub nonce: Option<EchoFault>,
    pub expired: bool,
    pub iat_future: bool,
    pub nbf_future: bool,
    pub sub: Option<SubFault>,
}

/// What a fault does.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Only the delay.
    Delay,
    Status {
        code: u16,
        body: String,
        content_type: String,
    },
    /// 200 with bytes that are not what the caller expects.
    Garbage,
    /// Headers promising a body that never comes: the connection closes.
    Empty,
    /// The connection is dropped mid-response.
    Reset,
    /// No answer for `ms` (the caller times out first, one hopes).
    Hang {
        ms: u64,
    },
    /// The real answer, sent in `chunks` pieces over `over_ms`.
    Dribble {
        chunks: u32,
        over_ms: u64,
    },
    IdToken(TokenFault),
    Userinfo(TokenFault),
    /// An identity provider's claims changed (its userinfo, or its id_token at its token endpoint).
    IdpClaims {
        drop: Vec<String>,
        set: Map<String, Value>,
    },
    /// An identity provider's redirect back to FranceConnect spoiled.
    IdpRedirect {
        state: Option<EchoFault>,
        code_missing: bool,
    },
    /// The civil registry answers this at the verify step, whoever logs in.
    Rnipp(crate::config::RnippOutcome),
}

impl Action {
    /// The fault on FranceConnect's id_token, if this is one.
    pub fn id_token(self) -> Option<TokenFault> {
        match self {
            Action::IdToken(f) => Some(f),
            _ => None,
        }
    }

    /// The fault on FranceConnect's userinfo answer, if this is one.
    pub fn userinfo(self) -> Option<TokenFault> {
        match self {
            Action::Userinfo(f) => Some(f),
            _ => None,
        }
    }

    /// Transport faults are applied by the layer; the others by handlers.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Action::Delay
                | Action::Status { .. }
                | Action::Garbage
                | Action::Empty
                | Action::Reset
                | Action::Hang { .. }
                | Action::Dribble { .. }
        )
    }
}

/// One scripted failure.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    /// Endpoint name, or a prefix ending in `.`.
    pub at: String,
    pub when: When,
    pub delay: Option<Delay>,
    pub action: Action,
}

impl Fault {
    /// Whether this fault targets `endpoint` (exactly, or by a prefix ending in `.`).
    pub fn matches_endpoint(&self, endpoint: &str) -> bool {
        if self.at.ends_with('.') {
            endpoint.starts_with(&self.at)
        } else {
            self.at == endpoint
        }
    }
}
