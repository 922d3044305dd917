//! Fault entries as written in persona and scenario files → [`Fault`]s,
//! every error located (file, line, field).

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::fault::{Action, Delay, EchoFault, Fault, FaultWord, KidFault, SignatureFault, SubFault, TokenFault, When};
use super::{Config, ConfigError};

/// Platform endpoints faults may target (the journal's names, without `fc.`).
pub const FC_ENDPOINTS: [&str; 19] = [
    "discovery",
    "jwks",
    "authorize",
    "interaction",
    "interaction.verify",
    "interaction.consent",
    "login",
    "redirect-to-idp",
    "redirect-to-sp-with-error",
    "oidc-callback",
    "token",
    "userinfo",
    "token.revocation",
    "session.end",
    "session.end.confirm",
    "session.end.success",
    "client.disconnect-from-idp",
    "client.logout-callback",
    "checktoken",
];

/// Identity-provider endpoints faults may target (without `idp.{id}.`).
pub const IDP_ENDPOINTS: [&str; 8] = [
    "discovery",
    "jwks",
    "authorize",
    "login",
    "cancel",
    "token",
    "userinfo",
    "session.end",
];

/// One fault as written (shared with personas' `faults:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    at: Spanned<String>,
    nth: Option<Spanned<u64>>,
    times: Option<u64>,
    probability: Option<Spanned<f64>>,
    persona: Option<Spanned<String>>,
    client: Option<Spanned<String>>,
    delay: Option<Spanned<RawDelay>>,
    status: Option<Spanned<u16>>,
    body: Option<String>,
    content_type: Option<String>,
    garbage: Option<bool>,
    empty: Option<bool>,
    reset: Option<bool>,
    /// Milliseconds without an answer.
    hang_ms: Option<u64>,
    dribble: Option<RawDribble>,
    id_token: Option<Spanned<RawToken>>,
    userinfo: Option<Spanned<RawToken>>,
    drop_claims: Option<Vec<String>>,
    set_claims: Option<Map<String, Value>>,
    redirect: Option<Spanned<RawRedirect>>,
    /// What the civil registry answers (at `fc.interaction.verify`).
    rnipp: Option<Spanned<String>>,
}

impl RawFault {
    /// The persona this fault is limited to, if any.
    pub(crate) fn persona(&self) -> Option<&str> {
        self.persona.as_ref().map(|p| p.value.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelay {
    fixed_ms: Option<u64>,
    uniform_ms: Option<[u64; 2]>,
    lognormal: Option<RawLogNormal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogNormal {
    median_ms: f64,
    sigma: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDribble {
    chunks: u32,
    over_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    signature: Option<Spanned<String>>,
    kid: Option<Spanned<String>>,
    iss: Option<String>,
    aud: Option<String>,
    acr: Option<String>,
    extra_aud: Option<String>,
    nonce: Option<Spanned<String>>,
    sub: Option<Spanned<String>>,
    #[serde(default)]
    expired: bool,
    #[serde(default)]
    iat_future: bool,
    #[serde(default)]
    nbf_future: bool,
    #[serde(default)]
    drop: Vec<String>,
    #[serde(default)]
    set: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedirect {
    state: Option<Spanned<String>>,
    code: Option<Spanned<String>>,
}

/// What faults may refer to.
pub struct Known {
    pub clients: HashSet<String>,
    pub personas: HashSet<String>,
    pub idps: HashSet<String>,
}

impl Known {
    /// Everything a configuration registers.
    pub fn of(config: &Config) -> Self {
        Self {
            clients: config.clients.iter().map(|c| c.client_id.clone()).collect(),
            personas: config.personas.iter().map(|p| p.id.clone()).collect(),
            idps: config.idps.iter().map(|i| i.id.clone()).collect(),
        }
    }
}

/// Collects located errors.
pub struct Errors<'a> {
    pub file: &'a str,
    pub list: Vec<ConfigError>,
}

impl Errors<'_> {
    pub fn at<T>(&mut self, s: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) {
        self.list.push(ConfigError {
            file: self.file.to_owned(),
            line: s.referenced.line(),
            field: field.into(),
            message: message.into(),
        });
    }
}

fn check_endpoint(at: &str, known: &Known) -> Result<(), String> {
    let idps = || {
        let mut v: Vec<&str> = known.idps.iter().map(String::as_str).collect();
        v.sort_unstable();
        v.join(", ")
    };
    if at == "fc." || at == "fcplus." || at == "idp." {
        return Ok(());
    }
    if let Some(rest) = at.strip_prefix("fc.").or_else(|| at.strip_prefix("fcplus.")) {
        return if FC_ENDPOINTS.contains(&rest) {
            Ok(())
        } else {
            Err(format!(
                "`{at}` is not a platform endpoint; known: fc.{} (or the same under fcplus.)",
                FC_ENDPOINTS.join(", fc.")
            ))
        };
    }
    if let Some(rest) = at.strip_prefix("idp.") {
        let (id, tail) = rest.split_once('.').unwrap_or((rest, ""));
        if !known.idps.contains(id) {
            return Err(format!("`{at}`: unknown identity provider `{id}`; known: {}", idps()));
        }
        return if tail.is_empty() || IDP_ENDPOINTS.contains(&tail) {
            Ok(())
        } else {
            Err(format!(
                "`{at}` is not an identity-provider endpoint; known: idp.{id}.{}",
                IDP_ENDPOINTS.join(&format!(", idp.{id}."))
            ))
        };
    }
    Err(format!(
        "`{at}` must start with `fc.` (the platform) or `idp.` (an identity provider), e.g. fc.token, idp.ameli.userinfo, idp.ameli."
    ))
}

/// The meaning of a one-word option, or a located error listing the words.
fn word<T: Copy>(
    v: &Option<Spanned<String>>,
    field: &str,
    allowed: &[(&str, T)],
    errors: &mut Errors<'_>,
) -> Option<T> {
    let v = v.as_ref()?;
    let found = allowed.iter().find(|(w, _)| *w == v.value).map(|(_, t)| *t);
    if found.is_none() {
        let words: Vec<&str> = allowed.iter().map(|(w, _)| *w).collect();
        errors.at(v, field, format!("`{}` is not one of {}", v.value, words.join(", ")));
    }
    found
}

fn token_fault(raw: &Spanned<RawToken>, field: &str, userinfo: bool, errors: &mut Errors<'_>) -> TokenFault {
    let r = &raw.value;
    let mut set = r.set.clone();
    for (k, v) in [("iss", &r.iss), ("aud", &r.aud), ("acr", &r.acr)] {
        if let Some(v) = v {
            set.insert(k.to_owned(), Value::String(v.clone()));
        }
    }
    let signatures = if userinfo {
        SignatureFault::WORDS
    } else {
        SignatureFault::WORDS.get(..2).unwrap_or_default()
    };
    TokenFault {
        signature: word(&r.signature, &format!("{field}.signature"), signatures, errors),
        kid: word(&r.kid, &format!("{field}.kid"), KidFault::WORDS, errors),
        nonce: word(&r.nonce, &format!("{field}.nonce"), EchoFault::WORDS, errors),
        sub: word(&r.sub, &format!("{field}.sub"), SubFault::WORDS, errors),
        set,
        drop: r.drop.clone(),
        extra_aud: r.extra_aud.clone(),
        expired: r.expired,
        iat_future: r.iat_future,
        nbf_future: r.nbf_future,
    }
}

/// Builds one fault; `persona` binds it to a persona (magic personas).
pub fn build_fault(
    raw: &Spanned<RawFault>,
    field: &str,
    known: &Known,
    persona: Option<&str>,
    errors: &mut Errors<'_>,
) -> Option<Fault> {
    let r = &raw.value;
    let before = errors.list.len();
    let at = r.at.value.trim().to_owned();
    if let Err(msg) = check_endpoint(&at, known) {
        errors.at(&r.at, format!("{field}.at"), msg);
    }
    if let Some(n) = &r.nth
        && n.value == 0
    {
        errors.at(n, format!("{field}.nth"), "calls are counted from 1");
    }
    if let Some(p) = &r.probability
        && !(p.value > 0.0 && p.value <= 1.0)
    {
        errors.at(p, format!("{field}.probability"), "must be in ]0, 1]");
    }
    if let Some(p) = &r.persona
        && !known.personas.contains(&p.value)
    {
        errors.at(p, format!("{field}.persona"), format!("unknown persona `{}`", p.value));
    }
    if let Some(c) = &r.client
        && !known.clients.contains(&c.value)
    {
        errors.at(c, format!("{field}.client"), format!("unknown client_id `{}`", c.value));
    }
    let delay = r.delay.as_ref().and_then(|d| {
        let v = &d.value;
        let chosen = [v.fixed_ms.is_some(), v.uniform_ms.is_some(), v.lognormal.is_some()]
            .iter()
            .filter(|x| **x)
            .count();
        if chosen != 1 {
            errors.at(
                d,
                format!("{field}.delay"),
                "give exactly one of fixed_ms, uniform_ms: [min, max], lognormal: {median_ms, sigma}",
            );
            return None;
        }
        if let Some([lo, hi]) = v.uniform_ms
            && lo > hi
        {
            errors.at(
                d,
                format!("{field}.delay.uniform_ms"),
                "the first bound must not exceed the second",
            );
        }
        Some(match (v.fixed_ms, v.uniform_ms, &v.lognormal) {
            (Some(ms), _, _) => Delay::Fixed { ms },
            (_, Some([min_ms, max_ms]), _) => Delay::Uniform { min_ms, max_ms },
            (_, _, Some(l)) => Delay::LogNormal {
                median_ms: l.median_ms,
                sigma: l.sigma,
            },
            _ => Delay::Fixed { ms: 0 },
        })
    });
    let mut actions: Vec<Action> = Vec::new();
    if let Some(s) = &r.status {
        if !(100..=599).contains(&s.value) {
            errors.at(s, format!("{field}.status"), "not an HTTP status code");
        }
        actions.push(Action::Status {
            code: s.value,
            body: r.body.clone().unwrap_or_default(),
            content_type: r
                .content_type
                .clone()
                .unwrap_or_else(|| "text/plain; charset=utf-8".to_owned()),
        });
    } else if r.body.is_some() || r.content_type.is_some() {
        errors.at(&r.at, field, "`body` and `content_type` go with `status`");
    }
    if r.garbage == Some(true) {
        actions.push(Action::Garbage);
    }
    if r.empty == Some(true) {
        actions.push(Action::Empty);
    }
    if r.reset == Some(true) {
        actions.push(Action::Reset);
    }
    if let Some(ms) = r.hang_ms {
        actions.push(Action::Hang { ms: ms.min(600_000) });
    }
    if let Some(d) = &r.dribble {
        actions.push(Action::Dribble {
            chunks: d.chunks.clamp(1, 1000),
            over_ms: d.over_ms.min(600_000),
        });
    }
    if let Some(t) = &r.id_token {
        if at != "fc.token" && at != "fcplus.token" {
            errors.at(
                t,
                format!("{field}.id_token"),
                "id_token faults go at `fc.token` or `fcplus.token`",
            );
        }
        actions.push(Action::IdToken(token_fault(
            t,
            &format!("{field}.id_token"),
            false,
            errors,
        )));
    }
    if let Some(t) = &r.userinfo {
        if at != "fc.userinfo" && at != "fcplus.userinfo" {
            errors.at(
                t,
                format!("{field}.userinfo"),
                "userinfo faults go at `fc.userinfo` or `fcplus.userinfo`",
            );
        }
        actions.push(Action::Userinfo(token_fault(
            t,
            &format!("{field}.userinfo"),
            true,
            errors,
        )));
    }
    if r.drop_claims.is_some() || r.set_claims.is_some() {
        let ok = at.starts_with("idp.") && (at.ends_with(".userinfo") || at.ends_with(".token"));
        if !ok {
            errors.at(&r.at, format!("{field}.at"), "drop_claims / set_claims change an identity provider's answer: use `idp.ID.userinfo` or `idp.ID.token` (its id_token)");
        }
        actions.push(Action::IdpClaims {
            drop: r.drop_claims.clone().unwrap_or_default(),
            set: r.set_claims.clone().unwrap_or_default(),
        });
    }
    if let Some(red) = &r.redirect {
        if !(at.starts_with("idp.") && at.ends_with(".login")) {
            errors.at(
                red,
                format!("{field}.redirect"),
                "redirect faults go at `idp.ID.login` (the provider sending the user back)",
            );
        }
        let state = word(
            &red.value.state,
            &format!("{field}.redirect.state"),
            EchoFault::WORDS,
            errors,
        );
        let code_missing = red.value.code.as_ref().is_some_and(|c| {
            if c.value != "missing" {
                errors.at(c, format!("{field}.redirect.code"), "only `missing`");
            }
            true
        });
        actions.push(Action::IdpRedirect { state, code_missing });
    }
    if let Some(outcome) = &r.rnipp {
        if !(at.ends_with(".interaction.verify") && (at.starts_with("fc.") || at.starts_with("fcplus."))) {
            errors.at(
                outcome,
                format!("{field}.rnipp"),
                "rnipp faults go at `fc.interaction.verify` (the step that asks the civil registry)",
            );
        }
        if let Some(o) = word(
            &r.rnipp,
            &format!("{field}.rnipp"),
            crate::config::RnippOutcome::WORDS,
            errors,
        ) {
            actions.push(Action::Rnipp(o));
        }
    }
    let action = match actions.len() {
        0 if delay.is_some() => Action::Delay,
        0 => {
            errors.at(
                raw,
                field,
                "a fault needs something to do: delay, status, garbage, empty, reset, hang_ms, dribble, id_token, userinfo, drop_claims/set_claims, redirect or rnipp",
            );
            return None;
        }
        1 => actions.pop()?,
        _ => {
            errors.at(
                raw,
                field,
                "one fault does one thing (a delay may come with it): split it into several faults",
            );
            return None;
        }
    };
    if errors.list.len() > before {
        return None;
    }
    Some(Fault {
        at,
        when: When {
            nth: r.nth.as_ref().map_or(1, |n| n.value),
            times: r.times,
            probability: r.probability.as_ref().map_or(1.0, |p| p.value),
            persona: r
                .persona
                .as_ref()
                .map(|p| p.value.clone())
                .or_else(|| persona.map(str::to_owned)),
            client: r.client.as_ref().map(|c| c.value.clone()),
        },
        delay,
        action,
    })
}
