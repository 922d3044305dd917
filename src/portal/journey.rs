//! `fcmock scenario run`: the journeys of scenario files
//! ([`crate::scenarios::journey`]) played against a portal, one browser per
//! journey, with the file's faults in force (bound to the portal's client)
//! while its journeys run. Files whose clients differ run in parallel.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use serde_json::Value;

use super::PortalError;
use super::drive::{Account, AtFcmock, Citizen, FcmockEnd, visible_text};
use super::fcmock::{Fcmock, at_endpoint, params_of};
use super::report::{Outcome, Report, Verdict};
use crate::agent::Page;
use crate::scenarios::Scenario;
use crate::scenarios::journey::{CancelAt, JournalExpect, Journey, PageExpect, PersonaPick, Step, SubExpect};

/// A scenario file: where it is, its text (sent to fcmock for its faults)
/// and what it says.
#[derive(Clone)]
pub struct JourneyFile {
    pub path: String,
    pub text: String,
    pub scenario: Scenario,
}

/// What the runner needs besides the files.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The portal's base URL.
    pub portal: String,
    /// The portal's client, for files and journeys that name none.
    pub client: Option<String>,
    /// Files run at once (when their clients differ).
    pub jobs: usize,
}

impl JourneyFile {
    fn client(&self, opts: &RunOptions) -> Option<String> {
        self.scenario
            .clients
            .first()
            .cloned()
            .or_else(|| self.scenario.journeys.iter().find_map(|j| j.client.clone()))
            .or_else(|| opts.client.clone())
    }

    /// Whether the file changes fcmock (faults, clock or keys).
    fn has_effects(&self) -> bool {
        !self.scenario.faults.is_empty() || self.scenario.clock.is_some() || !self.scenario.keys.is_empty()
    }

    /// The file as fcmock loads it: bound to `client` when it names no client.
    fn bound_text(&self, client: &str) -> String {
        if self.scenario.clients.is_empty() {
            format!("{}\nclients: [\"{client}\"]\n", self.text.trim_end())
        } else {
            self.text.clone()
        }
    }
}

/// Runs every journey of `files`; `progress` sees each outcome as it is decided.
pub async fn run(
    fcmock: Arc<Fcmock>,
    files: Vec<JourneyFile>,
    opts: &RunOptions,
    progress: &mut (dyn FnMut(&Outcome, usize) + Send),
) -> Result<Report, PortalError> {
    let started = Instant::now();
    // Files of one client run one after the other; clients run side by side.
    let mut groups: BTreeMap<String, Vec<JourneyFile>> = BTreeMap::new();
    for f in files {
        let client = f.client(opts).ok_or_else(|| {
            PortalError::Setup(format!(
                "{}: no client for its journeys; give `clients:` in the file or --client",
                f.path
            ))
        })?;
        groups.entry(client).or_default().push(f);
    }
    let base = fcmock.base.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    // The closure owns the sender: when every file is done, the channel closes.
    let work = futures_util::stream::iter(groups)
        .map(move |(client, files)| {
            let (fcmock, tx, portal) = (fcmock.clone(), tx.clone(), opts.portal.clone());
            async move {
                for f in &files {
                    for o in run_file(&fcmock, &portal, &client, f).await {
                        let _ = tx.send(o);
                    }
                }
            }
        })
        .buffer_unordered(opts.jobs.max(1))
        .collect::<Vec<()>>();
    let mut outcomes = Vec::new();
    let collect = async {
        while let Some(o) = rx.recv().await {
            progress(&o, outcomes.len() + 1);
            outcomes.push(o);
        }
    };
    futures_util::future::join(work, collect).await;
    Ok(Report {
        suite: "fcmock scenario run".to_owned(),
        portal: opts.portal.clone(),
        fcmock: base,
        outcomes,
        millis: started.elapsed().as_millis() as u64,
    })
}

async fn run_file(fcmock: &Fcmock, portal: &str, client: &str, f: &JourneyFile) -> Vec<Outcome> {
    let loaded = if f.has_effects() {
        match fcmock.load_scenario(&f.bound_text(client)).await {
            Ok(id) => Some(id),
            Err(e) => {
                return f
                    .scenario
                    .journeys
                    .iter()
                    .map(|j| {
                        outcome(f, j).judged(
                            Verdict::Inconclusive,
                            format!("the file's faults could not be put in force: {e}"),
                        )
                    })
                    .collect();
            }
        }
    } else {
        None
    };
    let mut out = Vec::new();
    for j in &f.scenario.journeys {
        let client = j.client.as_deref().unwrap_or(client);
        out.push(Runner::new(fcmock, portal, client).play(f, j).await);
    }
    if let Some(id) = loaded {
        let _ = fcmock.remove_scenario(&id).await;
    }
    out
}

fn outcome(f: &JourneyFile, j: &Journey) -> Outcome {
    let mut o = Outcome::new(&format!("{}:{}", f.path, j.line), &j.name, &f.path);
    o.rule_fr.clone_from(&f.scenario.description);
    o.rule_en = format!("journey `{}` of {}", j.name, f.path);
    o
}

/// One journey's browser and what it has seen.
struct Runner<'a> {
    fcmock: &'a Fcmock,
    portal: &'a str,
    client: &'a str,
    page: Option<Page>,
    fcmock_error: Option<String>,
    given_name: String,
    family_name: String,
}

impl<'a> Runner<'a> {
    fn new(fcmock: &'a Fcmock, portal: &'a str, client: &'a str) -> Self {
        Self {
            fcmock,
            portal,
            client,
            page: None,
            fcmock_error: None,
            given_name: String::new(),
            family_name: String::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            join(self.portal, path)
        }
    }

    async fn play(mut self, f: &JourneyFile, j: &Journey) -> Outcome {
        let t = Instant::now();
        let mut o = outcome(f, j);
        let since = self.fcmock.now_ms().await.unwrap_or_default();
        let mut citizen = match Citizen::new(&self.fcmock.base, self.portal) {
            Ok(c) => c,
            Err(e) => return o.judged(Verdict::Inconclusive, e.to_string()),
        };
        let mut failure: Option<(String, Vec<String>)> = None;
        for (line, step) in &j.steps {
            match self.step(&mut citizen, &j.start, step).await {
                Ok(Some(problem)) => {
                    failure = Some((format!("{}:{line}: {problem}", f.path), self.evidence()));
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    failure = Some((format!("{}:{line}: {e}", f.path), self.evidence()));
                    break;
                }
            }
        }
        let exchanges = self.fcmock.journal(Some(self.client), since).await.unwrap_or_default();
        if failure.is_none()
            && let Some(problem) = journal_problem(&j.journal, &exchanges)
        {
            failure = Some((format!("{}:{}: journal: {problem}", f.path, j.line), Vec::new()));
        }
        o.steps = citizen.steps;
        o.millis = t.elapsed().as_millis() as u64;
        match failure {
            None => o.judged(Verdict::Pass, format!("{} steps", j.steps.len())),
            Some((detail, evidence)) => {
                o.evidence = evidence;
                o.exchanges = exchanges;
                o.judged(Verdict::Fail, detail)
            }
        }
    }

    fn evidence(&self) -> Vec<String> {
        match (&self.fcmock_error, &self.page) {
            (Some(code), _) => vec![format!("the journey stopped on fcmock's error page {code}")],
            (None, Some(p)) => {
                let text = visible_text(p);
                let cut: String = text.chars().take(300).collect();
                vec![format!("the browser was at {} (status {}): «{cut}»", p.url, p.status)]
            }
            (None, None) => Vec::new(),
        }
    }

    /// Plays one step; `Ok(Some(why))` when an expectation is not met.
    async fn step(&mut self, c: &mut Citizen, start: &str, step: &Step) -> Result<Option<String>, PortalError> {
        match step {
            Step::Login { persona, idp } => {
                let account = self.account(persona, idp.as_deref()).await?;
                self.through(c, start, &AtFcmock::Login(vec![account])).await?;
            }
            Step::Cancel(at) => {
                let what = match at {
                    CancelAt::Wall => AtFcmock::CancelAtWall,
                    CancelAt::Idp => AtFcmock::CancelAtIdp(String::new()),
                };
                self.through(c, start, &what).await?;
            }
            Step::Open(path) => {
                self.fcmock_error = None;
                self.page = Some(c.on_portal(&self.url(path)).await?);
            }
            Step::Follow(text) => {
                let page = self
                    .page
                    .as_ref()
                    .ok_or_else(|| PortalError::Portal("no page to follow a link from".to_owned()))?;
                let href = link_with(page, text)
                    .ok_or_else(|| PortalError::Portal(format!("no link «{text}» on {}", page.url)))?;
                self.page = Some(c.on_portal(&href).await?);
            }
            Step::Submit(text) => {
                let page = self
                    .page
                    .as_ref()
                    .ok_or_else(|| PortalError::Portal("no page to submit a form on".to_owned()))?;
                let (form, button) = form_with(page, text)
                    .ok_or_else(|| PortalError::Portal(format!("no button «{text}» on {}", page.url)))?;
                let mut fields = form.fields;
                fields.extend(button);
                self.page = Some(c.submit_on_portal(&form.action, form.get, &fields).await?);
            }
            Step::Logout => {
                let page = self
                    .page
                    .as_ref()
                    .ok_or_else(|| PortalError::Portal("no page to log out from".to_owned()))?;
                match c.logout(page).await? {
                    Some(p) => self.page = Some(p),
                    None => return Ok(Some(format!("no logout link or form on {}", page.url))),
                }
            }
            Step::Expect(e) => return Ok(self.unmet(e)),
        }
        Ok(None)
    }

    async fn through(&mut self, c: &mut Citizen, start: &str, what: &AtFcmock) -> Result<(), PortalError> {
        let authorize = c.to_authorize(&self.url(start)).await?;
        match c.at_fcmock(&authorize, what).await? {
            FcmockEnd::Back(url) => {
                self.fcmock_error = None;
                self.page = Some(c.on_portal(&url).await?);
            }
            FcmockEnd::ErrorPage(p) => {
                self.fcmock_error = Some(p.error_code().unwrap_or_else(|| p.status.to_string()));
                self.page = Some(p);
            }
        }
        Ok(())
    }

    async fn account(&mut self, pick: &PersonaPick, idp: Option<&str>) -> Result<Account, PortalError> {
        let persona = match pick {
            PersonaPick::Id(id) => self.fcmock.persona(Some(id), &[], None).await?,
            PersonaPick::Tags(tags) => self.fcmock.persona(None, tags, idp).await?,
        };
        let name = |p: &str| {
            persona
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        self.given_name = name("/identity/given_name")
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        self.family_name = name("/identity/family_name");
        let accounts = persona
            .get("accounts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        accounts
            .iter()
            .find(|a| idp.is_none_or(|i| a.get("idp").and_then(Value::as_str) == Some(i)))
            .and_then(|a| {
                Some(Account {
                    idp: a.get("idp")?.as_str()?.to_owned(),
                    login: a.get("login")?.as_str()?.to_owned(),
                    password: a.get("password")?.as_str()?.to_owned(),
                })
            })
            .ok_or_else(|| {
                PortalError::Setup(format!(
                    "the persona has no account at {}",
                    idp.unwrap_or("any provider")
                ))
            })
    }

    fn fill(&self, text: &str) -> String {
        text.replace("{given_name}", &self.given_name)
            .replace("{family_name}", &self.family_name)
    }

    /// What of `e` the current page does not meet.
    fn unmet(&self, e: &PageExpect) -> Option<String> {
        if let Some(code) = &e.fcmock_error {
            return match &self.fcmock_error {
                Some(got) if got == code => None,
                Some(got) => Some(format!("fcmock showed {got}, not {code}")),
                None => Some(format!(
                    "expected fcmock's error page {code}; the journey did not stop at fcmock"
                )),
            };
        }
        let Some(page) = &self.page else {
            return Some("no page yet to check".to_owned());
        };
        if let Some(s) = e.status
            && page.status != s
        {
            return Some(format!("status {} at {}, expected {s}", page.status, page.url));
        }
        if let Some(pattern) = &e.url {
            let pattern = if pattern.starts_with('/') {
                self.url(pattern)
            } else {
                pattern.clone()
            };
            if !glob(&pattern, &page.url) {
                return Some(format!("at {}, expected a URL like {pattern}", page.url));
            }
        }
        let text = visible_text(page);
        for want in &e.text {
            let want = self.fill(want);
            if !text.contains(&want) {
                return Some(format!("«{want}» not found on {} (status {})", page.url, page.status));
            }
        }
        for unwanted in &e.absent {
            let unwanted = self.fill(unwanted);
            if text.contains(&unwanted) {
                return Some(format!("«{unwanted}» shown on {} (status {})", page.url, page.status));
            }
        }
        None
    }
}

/// `path` under the portal's base URL; `/` is the base itself (a portal may
/// live under a path, as fcmock's demo portal does).
pub(crate) fn join(portal: &str, path: &str) -> String {
    let base = portal.trim_end_matches('/');
    match path.trim_start_matches('/') {
        "" => base.to_owned(),
        rest => format!("{base}/{rest}"),
    }
}

/// The absolute `href` of the first link whose text contains `text`.
fn link_with(page: &Page, text: &str) -> Option<String> {
    let html = scraper::Html::parse_document(&page.body);
    let sel = scraper::Selector::parse("a[href]").ok()?;
    let a = html
        .select(&sel)
        .find(|a| a.text().collect::<String>().contains(text))?;
    let href = a.value().attr("href")?;
    url::Url::parse(&page.url)
        .and_then(|b| b.join(href))
        .ok()
        .map(|u| u.to_string())
}

/// The form holding a button whose text (or value) contains `text`, and
/// that button's own name and value, as a browser sends them.
fn form_with(page: &Page, text: &str) -> Option<(crate::agent::Form, Option<(String, String)>)> {
    let html = scraper::Html::parse_document(&page.body);
    let forms = scraper::Selector::parse("form").ok()?;
    let buttons = scraper::Selector::parse("button, input[type=submit]").ok()?;
    for f in html.select(&forms) {
        for b in f.select(&buttons) {
            let label = format!(
                "{} {}",
                b.text().collect::<String>(),
                b.value().attr("value").unwrap_or_default()
            );
            if label.contains(text) {
                let pressed = b
                    .value()
                    .attr("name")
                    .map(|n| (n.to_owned(), b.value().attr("value").unwrap_or_default().to_owned()));
                return Some((page.form_element(f).ok()?, pressed));
            }
        }
    }
    None
}

/// `*` matches any run of characters; the rest matches exactly, whole.
fn glob(pattern: &str, s: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = s.strip_prefix(first) else {
        return false;
    };
    let after: Vec<&str> = parts.collect();
    let Some((last, middle)) = after.split_last() else {
        return rest.is_empty();
    };
    for mid in middle {
        match rest.find(mid) {
            Some(i) => rest = rest.get(i + mid.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// What of `want` the journal does not show.
fn journal_problem(want: &JournalExpect, exchanges: &[Value]) -> Option<String> {
    let count = |name: &str| exchanges.iter().filter(|e| at_endpoint(e, name)).count();
    if let Some(n) = want.token
        && count("token") != n
    {
        return Some(format!("{} token call(s), expected {n}", count("token")));
    }
    if let Some(n) = want.userinfo
        && count("userinfo") != n
    {
        return Some(format!("{} userinfo call(s), expected {n}", count("userinfo")));
    }
    if !want.logout_with.is_empty() {
        let Some(end) = exchanges.iter().find(|e| at_endpoint(e, "session.end")) else {
            return Some("no logout through FranceConnect (session/end)".to_owned());
        };
        let got = params_of(end);
        for p in &want.logout_with {
            if !got.iter().any(|(k, v)| k == p && !v.is_empty()) {
                return Some(format!("session/end without {p}"));
            }
        }
    }
    let tokens: Vec<&Value> = exchanges.iter().filter(|e| at_endpoint(e, "token")).collect();
    if want.code_reuse == Some(false) {
        let mut codes: Vec<String> = tokens
            .iter()
            .filter_map(|t| params_of(t).into_iter().find(|(k, _)| k == "code").map(|(_, v)| v))
            .collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        if codes.len() != n {
            return Some("a code was redeemed twice".to_owned());
        }
    }
    if let Some(expect) = want.sub {
        let subs: Vec<String> = tokens
            .iter()
            .filter_map(|t| {
                t.get("jwts")?
                    .as_array()?
                    .iter()
                    .find(|j| j.get("location").and_then(Value::as_str) == Some("response.id_token"))?
                    .pointer("/claims/sub")?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        if subs.len() < 2 {
            return Some(format!(
                "{} id_token(s) with a sub; comparing needs two logins",
                subs.len()
            ));
        }
        let same = subs.windows(2).all(|w| w.first() == w.get(1));
        match (expect, same) {
            (SubExpect::Same, false) => return Some(format!("the logins got different subs: {subs:?}")),
            (SubExpect::Different, true) => return Some(format!("the logins got the same sub: {subs:?}")),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars_anywhere_and_the_rest_exactly() {
        assert!(glob("http://p/*", "http://p/compte"));
        assert!(glob("*/compte?*", "http://p/compte?x=1"));
        assert!(glob("http://p/", "http://p/"));
        assert!(!glob("http://p/", "http://p/x"));
        assert!(!glob("*/compte", "http://p/compte/x"));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("a*b*c", "a-c-b"));
    }
}
