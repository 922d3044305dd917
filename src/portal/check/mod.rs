//! `fcmock check`: a catalogue of conformance checks run against a portal,
//! one login per check, each reported PASS, FAIL (with the evidence) or
//! INCONCLUSIVE (with the reason).
//!
//! Order: the happy path first (nothing else is meaningful without it); the
//! rules FranceConnect sets on the portal's requests, read from that login's
//! authorize URL and the journal (`rules`); logout; then one fault per
//! flow (`faults`): every token fault of the catalogue
//! ([`crate::scenarios::catalogue::TOKEN_FAULTS`]), acr and amr, login CSRF,
//! a replayed callback, errors at the callback, FranceConnect's token
//! endpoint down, and key rotation (last: it changes fcmock's keys).

mod faults;
mod rules;

use std::time::Instant;

use serde_json::Value;

use super::PortalError;
use super::drive::{Account, AtFcmock, Citizen, FcmockEnd, visible_text};
use super::fcmock::Fcmock;
use super::report::{Outcome, Report, Verdict};
use crate::agent::Page;

/// How many checks [`run`] reports: the happy path, 10 request rules, 4
/// logout rules, the token faults of the catalogue and 9 more.
pub const CATALOGUE_SIZE: usize = 1 + 10 + 4 + crate::scenarios::catalogue::TOKEN_FAULTS.len() + 9;

/// The portal under check.
#[derive(Debug, Clone)]
pub struct Target {
    /// The portal's base URL (its pages and callbacks are under it).
    pub portal: String,
    /// Where a citizen starts: the page with the FranceConnect button, or
    /// the route it leads to (absolute, or a path under `portal`).
    pub start: String,
    /// The portal's client at fcmock.
    pub client_id: String,
    /// Text the portal shows only to a logged-in citizen (default: the
    /// persona's first given name).
    pub marker: Option<String>,
    /// Persona to log in as (default: the first with an account at a
    /// provider the client may use).
    pub persona: Option<String>,
}

impl Target {
    pub(crate) fn start_url(&self) -> String {
        if self.start.starts_with("http://") || self.start.starts_with("https://") {
            self.start.clone()
        } else {
            super::journey::join(&self.portal, &self.start)
        }
    }
}

/// One login through the portal and what fcmock's journal saw of it.
pub(crate) struct Flow {
    pub(crate) citizen: Option<Citizen>,
    pub(crate) authorize: Option<String>,
    pub(crate) end: Option<Page>,
    /// fcmock showed an error page instead of going back to the portal.
    pub(crate) fcmock_error: Option<Page>,
    pub(crate) exchanges: Vec<Value>,
    /// Why the flow could not be followed to its end.
    pub(crate) broke: Option<String>,
    /// When the check began, for its duration in reports.
    pub(crate) started: Instant,
}

impl Flow {
    /// A flow not begun yet (its clock starts now).
    pub(crate) fn empty() -> Self {
        Self {
            citizen: None,
            authorize: None,
            end: None,
            fcmock_error: None,
            exchanges: Vec::new(),
            broke: None,
            started: Instant::now(),
        }
    }

    /// Exchanges at FranceConnect's `name` endpoint (`token`, `userinfo`,
    /// `session.end`), on either platform.
    pub(crate) fn calls(&self, name: &str) -> Vec<&Value> {
        self.exchanges
            .iter()
            .filter(|e| super::fcmock::at_endpoint(e, name))
            .collect()
    }

    /// The browser's requests, in order.
    pub(crate) fn steps(&self) -> Vec<String> {
        self.citizen.as_ref().map(|c| c.steps.clone()).unwrap_or_default()
    }

    /// The authorize request's parameters.
    pub(crate) fn authorize_params(&self) -> Vec<(String, String)> {
        self.authorize
            .as_deref()
            .and_then(|a| url::Url::parse(a).ok())
            .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default()
    }
}

/// The context every check runs in.
pub(crate) struct Checker<'a> {
    pub(crate) fcmock: &'a Fcmock,
    pub(crate) target: &'a Target,
    /// The persona's accounts: the login uses the first the wall offers.
    pub(crate) accounts: Vec<Account>,
    pub(crate) marker: String,
    pub(crate) client: Value,
    /// Whether the portal's client is a FranceConnect+ one.
    pub(crate) fcplus: bool,
}

impl Checker<'_> {
    pub(crate) fn citizen(&self) -> Result<Citizen, PortalError> {
        Citizen::new(&self.fcmock.base, &self.target.portal)
    }

    /// Whether `page` is the portal showing a logged-in citizen.
    pub(crate) fn logged_in(&self, page: Option<&Page>) -> bool {
        page.is_some_and(|p| p.status < 400 && visible_text(p).contains(&self.marker))
    }

    /// One login: portal → fcmock (`what`) → portal, with the journal of it.
    pub(crate) async fn flow(&self, what: &AtFcmock) -> Flow {
        let since = self.fcmock.now_ms().await.unwrap_or_default();
        let mut flow = Flow::empty();
        match self.citizen() {
            Ok(mut citizen) => {
                if let Err(e) = self.walk(&mut citizen, &mut flow, what).await {
                    flow.broke = Some(e.to_string());
                }
                flow.citizen = Some(citizen);
            }
            Err(e) => flow.broke = Some(e.to_string()),
        }
        flow.exchanges = self
            .fcmock
            .journal(Some(&self.target.client_id), since)
            .await
            .unwrap_or_default();
        flow
    }

    async fn walk(&self, citizen: &mut Citizen, flow: &mut Flow, what: &AtFcmock) -> Result<(), PortalError> {
        let authorize = citizen.to_authorize(&self.target.start_url()).await?;
        flow.authorize = Some(authorize.clone());
        match citizen.at_fcmock(&authorize, what).await? {
            FcmockEnd::Back(url) => {
                flow.end = Some(citizen.on_portal(&url).await?);
            }
            FcmockEnd::ErrorPage(page) => flow.fcmock_error = Some(page),
        }
        Ok(())
    }

    /// Evidence that the portal logged the citizen in.
    pub(crate) fn login_evidence(&self, page: Option<&Page>) -> Vec<String> {
        page.map(|p| {
            vec![format!(
                "the logged-in marker «{}» appeared on {} (status {})",
                self.marker, p.url, p.status
            )]
        })
        .unwrap_or_default()
    }

    /// Puts `yaml` in force for one flow, then takes it out.
    pub(crate) async fn with_scenario(&self, yaml: &str, what: &AtFcmock) -> Result<Flow, PortalError> {
        let id = self.fcmock.load_scenario(yaml).await?;
        let flow = self.flow(what).await;
        self.fcmock.remove_scenario(&id).await?;
        Ok(flow)
    }

    pub(crate) fn login(&self) -> AtFcmock {
        AtFcmock::Login(self.accounts.clone())
    }
}

/// Finds the account to log in with and the marker to look for.
async fn prepare<'a>(fcmock: &'a Fcmock, target: &'a Target) -> Result<Checker<'a>, PortalError> {
    let client = fcmock.client(&target.client_id).await?;
    let persona = fcmock.persona(target.persona.as_deref(), &[], None).await?;
    let accounts = persona
        .get("accounts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let accounts: Vec<Account> = accounts
        .iter()
        .filter_map(|a| {
            Some(Account {
                idp: a.get("idp")?.as_str()?.to_owned(),
                login: a.get("login")?.as_str()?.to_owned(),
                password: a.get("password")?.as_str()?.to_owned(),
            })
        })
        .collect();
    if accounts.is_empty() {
        return Err(PortalError::Setup(
            "the persona has no account at any identity provider".to_owned(),
        ));
    }
    let marker = match &target.marker {
        Some(m) => m.clone(),
        None => persona
            .pointer("/identity/given_name")
            .and_then(Value::as_str)
            .and_then(|g| g.split_whitespace().next())
            .map(str::to_owned)
            .ok_or_else(|| PortalError::Setup("no --logged-in-marker and the persona has no given name".to_owned()))?,
    };
    let fcplus = client.get("platform").and_then(Value::as_str) == Some("fcplus");
    Ok(Checker {
        fcmock,
        target,
        accounts,
        marker,
        client,
        fcplus,
    })
}

/// Runs the whole catalogue; `progress` sees each outcome as it is decided.
pub async fn run(
    fcmock: &Fcmock,
    target: &Target,
    progress: &mut (dyn FnMut(&Outcome, usize) + Send),
) -> Result<Report, PortalError> {
    let started = Instant::now();
    let checker = prepare(fcmock, target).await?;
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut push = |o: Outcome, outcomes: &mut Vec<Outcome>| {
        progress(&o, outcomes.len() + 1);
        outcomes.push(o);
    };

    let happy = checker.flow(&checker.login()).await;
    let ok = checker.logged_in(happy.end.as_ref());
    let mut first = Outcome::new("happy_path", "a persona logs in through FranceConnect", "happy path");
    first.rule_fr = "Le parcours nominal aboutit : le citoyen revient connecté sur le portail.".to_owned();
    first.rule_en = "The nominal journey ends with the citizen logged in on the portal.".to_owned();
    first.steps = happy.steps();
    first.millis = happy.started.elapsed().as_millis() as u64;
    let first = if ok {
        first.judged(Verdict::Pass, format!("logged in: «{}» shown", checker.marker))
    } else {
        let why = happy_failure(&checker, &happy);
        first.exchanges = happy.exchanges.clone();
        first.judged(Verdict::Fail, why)
    };
    push(first, &mut outcomes);

    let asked = happy.authorize_params();
    let mut rest = rules::judge(&checker, &happy);
    rest.extend(rules::logout(&checker, happy).await);
    rest.extend(faults::all(&checker, &asked).await);
    for mut o in rest {
        if !ok && o.verdict != Verdict::Fail {
            o = o.judged(Verdict::Inconclusive, "the happy path failed, so this cannot be told");
        }
        push(o, &mut outcomes);
    }
    Ok(Report {
        suite: "fcmock check".to_owned(),
        portal: target.portal.clone(),
        fcmock: fcmock.base.clone(),
        outcomes,
        millis: started.elapsed().as_millis() as u64,
    })
}

/// A parameter's value in a list of them (authorize's, a journal exchange's).
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn happy_failure(checker: &Checker<'_>, flow: &Flow) -> String {
    if let Some(b) = &flow.broke {
        return format!("the login could not be completed: {b}");
    }
    if let Some(p) = &flow.fcmock_error {
        return format!(
            "FranceConnect refused the portal's request with {} at {}",
            p.error_code().unwrap_or_else(|| p.status.to_string()),
            p.url
        );
    }
    match &flow.end {
        Some(p) => format!(
            "back on the portal, «{}» did not appear on {} (status {}); pass --logged-in-marker with a text the portal shows once logged in",
            checker.marker, p.url, p.status
        ),
        None => "the portal never got the citizen back".to_owned(),
    }
}
