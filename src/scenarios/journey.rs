//! Journeys: what a citizen does on a portal, and what the tester expects
//! to see, written in a scenario file beside its faults and run by
//! `fcmock scenario run` (the runner is `portal::journey`).
//!
//! ```yaml
//! journeys:
//!   - name: première connexion
//!     start: /                      # a path on --portal, or a URL
//!     steps:
//!       - login: { persona: camille-rochefort, idp: ameli }
//!       - expect: { status: 200, text: ["Bonjour {given_name}"], absent: [Erreur] }
//!       - submit: "Rattacher"        # the form whose button says this
//!       - logout
//!     journal: { token: 1, userinfo: 1, logout_with: [id_token_hint, state], code_reuse: false }
//! ```
//!
//! Serving fcmock ignores journeys; `scenario validate` and the runner
//! check them, every error with file, line and field.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::config::fault_parse::{Errors, Known};

/// Parameters a logout request may be expected to carry.
const LOGOUT_PARAMS: [&str; 3] = ["id_token_hint", "state", "post_logout_redirect_uri"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJourney {
    name: String,
    #[serde(default = "root")]
    start: String,
    client: Option<String>,
    steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    journal: Option<Spanned<JournalExpect>>,
}

fn root() -> String {
    "/".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawStep {
    Login(RawLogin),
    Cancel(String),
    Open(String),
    Follow(String),
    Submit(String),
    Logout,
    Expect(PageExpect),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    persona: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    idp: Option<String>,
}

/// Where the citizen gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelAt {
    /// On FranceConnect's wall ("Revenir sur …").
    Wall,
    /// On the identity provider's login page ("Annuler"), then back from the wall.
    Idp,
}

/// What a page must show, after a step.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PageExpect {
    pub status: Option<u16>,
    /// The page's URL: `*` stands for any run of characters.
    pub url: Option<String>,
    /// Texts the page shows (`{given_name}` and `{family_name}` stand for
    /// the persona of the last login).
    #[serde(default)]
    pub text: Vec<String>,
    /// Texts the page must not show.
    #[serde(default)]
    pub absent: Vec<String>,
    /// The journey stopped on an fcmock error page with this code.
    pub fcmock_error: Option<String>,
}

/// What fcmock's journal must have seen of the whole journey.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JournalExpect {
    /// Calls to FranceConnect's token endpoint.
    pub token: Option<usize>,
    /// Calls to FranceConnect's userinfo endpoint.
    pub userinfo: Option<usize>,
    /// Parameters the logout (`session/end`) carried.
    #[serde(default)]
    pub logout_with: Vec<String>,
    /// Whether a code was redeemed twice (`false`: never).
    pub code_reuse: Option<bool>,
    /// Whether the logins of the journey got the `same` or `different` sub.
    pub sub: Option<SubExpect>,
}

/// How the `sub`s of a journey's logins compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubExpect {
    Same,
    Different,
}

/// Who logs in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaPick {
    Id(String),
    /// The first persona with all these tags.
    Tags(Vec<String>),
}

/// One thing the citizen does, or one expectation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// From where the browser is (the start page first) to FranceConnect,
    /// the identity provider, consent, and back to the portal.
    Login {
        persona: PersonaPick,
        idp: Option<String>,
    },
    Cancel(CancelAt),
    /// A page of the portal (a path under it, or a URL).
    Open(String),
    /// The link whose text contains this.
    Follow(String),
    /// The form whose button says this, sent with that button (and the
    /// fields as the page fills them).
    Submit(String),
    /// The portal's logout, through FranceConnect and back.
    Logout,
    Expect(PageExpect),
}

/// A journey, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Journey {
    pub name: String,
    /// Its line in the file.
    pub line: u64,
    pub start: String,
    /// The portal's client (default: the runner's `--client`).
    pub client: Option<String>,
    /// Steps with their lines.
    pub steps: Vec<(u64, Step)>,
    pub journal: JournalExpect,
}

/// Validates the journeys of a scenario file.
pub(super) fn build(raw: &[Spanned<RawJourney>], known: &Known, errors: &mut Errors<'_>) -> Vec<Journey> {
    raw.iter()
        .enumerate()
        .map(|(i, j)| {
            let at = format!("journeys[{i}]");
            if let Some(c) = &j.value.client
                && !known.clients.contains(c)
            {
                errors.at(j, format!("{at}.client"), format!("unknown client_id `{c}`"));
            }
            if j.value.steps.is_empty() {
                errors.at(j, format!("{at}.steps"), "a journey needs at least one step");
            }
            let steps = j
                .value
                .steps
                .iter()
                .enumerate()
                .filter_map(|(n, s)| {
                    step(s, &format!("{at}.steps[{n}]"), known, errors).map(|x| (s.referenced.line(), x))
                })
                .collect();
            if let Some(journal) = &j.value.journal {
                for p in &journal.value.logout_with {
                    if !LOGOUT_PARAMS.contains(&p.as_str()) {
                        errors.at(
                            journal,
                            format!("{at}.journal.logout_with"),
                            format!("`{p}` is not one of {}", LOGOUT_PARAMS.join(", ")),
                        );
                    }
                }
            }
            Journey {
                name: j.value.name.clone(),
                line: j.referenced.line(),
                start: j.value.start.clone(),
                client: j.value.client.clone(),
                steps,
                journal: j.value.journal.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

fn step(s: &Spanned<RawStep>, at: &str, known: &Known, errors: &mut Errors<'_>) -> Option<Step> {
    Some(match &s.value {
        RawStep::Login(l) => {
            let persona = match (&l.persona, l.tags.is_empty()) {
                (Some(p), true) => {
                    if !known.personas.contains(p) {
                        errors.at(
                            s,
                            format!("{at}.login.persona"),
                            format!("unknown persona `{p}`; see `fcmock personas list`"),
                        );
                    }
                    PersonaPick::Id(p.clone())
                }
                (None, false) => PersonaPick::Tags(l.tags.clone()),
                _ => {
                    errors.at(
                        s,
                        format!("{at}.login"),
                        "give `persona` or `tags`, not both nor neither",
                    );
                    return None;
                }
            };
            if let Some(i) = &l.idp
                && !known.idps.contains(i)
            {
                errors.at(s, format!("{at}.login.idp"), format!("unknown identity provider `{i}`"));
            }
            Step::Login {
                persona,
                idp: l.idp.clone(),
            }
        }
        RawStep::Cancel(w) => match w.as_str() {
            "wall" => Step::Cancel(CancelAt::Wall),
            "idp" => Step::Cancel(CancelAt::Idp),
            other => {
                errors.at(s, format!("{at}.cancel"), format!("`{other}` is not one of wall, idp"));
                return None;
            }
        },
        RawStep::Open(p) => Step::Open(p.clone()),
        RawStep::Follow(t) => Step::Follow(t.clone()),
        RawStep::Submit(t) => Step::Submit(t.clone()),
        RawStep::Logout => Step::Logout,
        RawStep::Expect(e) => Step::Expect(e.clone()),
    })
}
