//! The citizen's browser on a portal: it starts where the portal's
//! FranceConnect button is, follows the portal to fcmock's authorize, goes
//! through the wall, the identity provider and the consent page as a person
//! would (forms read with a real HTML parser, one cookie jar), comes back to
//! the portal and follows it to the page it finally shows.

use std::time::Duration;

use scraper::{Html, Selector};

use super::PortalError;
use crate::agent::{Browser, Page};

/// Most hops a walk takes before it gives up (redirects and followed links).
const MAX_HOPS: usize = 25;

/// An account at an identity provider.
#[derive(Debug, Clone)]
pub struct Account {
    pub idp: String,
    pub login: String,
    pub password: String,
}

/// What the citizen does once at FranceConnect.
#[derive(Debug, Clone)]
pub enum AtFcmock {
    /// Picks the first of these accounts whose provider the wall offers
    /// (and does not grey out), logs in, consents.
    Login(Vec<Account>),
    /// Goes back to the portal from the wall ("Revenir sur …": `access_denied`).
    CancelAtWall,
    /// Picks the provider (empty: the first on the wall), cancels on its
    /// page, then goes back from the wall.
    CancelAtIdp(String),
}

/// Where a login through fcmock ended.
#[derive(Debug, Clone)]
pub enum FcmockEnd {
    /// fcmock sent the browser back to the portal at this URL (code or error).
    Back(String),
    /// fcmock showed an error page (its code, if any).
    ErrorPage(Page),
}

/// One browser and what it saw, step by step.
pub struct Citizen {
    pub browser: Browser,
    fcmock: String,
    portal: String,
    /// `METHOD url → status` for each request, for reports.
    pub steps: Vec<String>,
}

/// The visible text of a page (scripts and styles left out), spaces collapsed.
pub fn visible_text(page: &Page) -> String {
    let html = Html::parse_document(&page.body);
    let Ok(body) = Selector::parse("body") else {
        return String::new();
    };
    let mut out = String::new();
    for el in html.select(&body) {
        for t in el.text() {
            out.push_str(t);
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn resolve(base: &str, href: &str) -> Option<String> {
    url::Url::parse(base)
        .and_then(|b| b.join(href))
        .ok()
        .map(|u| u.to_string())
}

/// Whether `url` is one of fcmock's authorize endpoints (FranceConnect or FranceConnect+).
fn is_authorize(fcmock: &str, url: &str) -> bool {
    url.strip_prefix(fcmock)
        .map(|rest| rest.split(['?', '#']).next().unwrap_or_default())
        .is_some_and(|path| path.ends_with("/api/v2/authorize"))
}

/// What on a portal page leads towards FranceConnect.
enum Lead {
    Link(String),
    Form {
        action: String,
        get: bool,
        fields: Vec<(String, String)>,
    },
}

fn lead_on(page: &Page, fcmock: &str, portal: &str) -> Option<Lead> {
    let html = Html::parse_document(&page.body);
    let links = Selector::parse("a[href]").ok()?;
    let forms = Selector::parse("form").ok()?;
    let mentions = |s: &str| s.to_lowercase().replace([' ', '-', '_'], "").contains("franceconnect");
    let mut hinted: Option<Lead> = None;
    for a in html.select(&links) {
        let href = a.value().attr("href").unwrap_or_default();
        let Some(abs) = resolve(&page.url, href) else { continue };
        if is_authorize(fcmock, &abs) {
            return Some(Lead::Link(abs));
        }
        let said = format!(
            "{} {} {} {href}",
            a.text().collect::<String>(),
            a.value().attr("class").unwrap_or_default(),
            a.value().attr("id").unwrap_or_default()
        );
        // A portal may live under fcmock's address (its demo portal does).
        if hinted.is_none() && mentions(&said) && (!abs.starts_with(fcmock) || abs.starts_with(portal)) {
            hinted = Some(Lead::Link(abs));
        }
    }
    for f in html.select(&forms) {
        let action = resolve(&page.url, f.value().attr("action").unwrap_or_default())?;
        let said = format!("{} {}", f.html(), action);
        if is_authorize(fcmock, &action) || (hinted.is_none() && mentions(&said)) {
            let form = page.form_element(f).ok()?;
            let lead = Lead::Form {
                action: form.action,
                get: form.get,
                fields: form.fields,
            };
            if is_authorize(fcmock, &action) {
                return Some(lead);
            }
            hinted = Some(lead);
        }
    }
    hinted
}

impl Citizen {
    /// A fresh browser (empty cookie jar).
    pub fn new(fcmock: &str, portal: &str) -> Result<Self, PortalError> {
        Ok(Self {
            browser: Browser::new(Duration::from_secs(30)).map_err(PortalError::agent("browser"))?,
            fcmock: fcmock.trim_end_matches('/').to_owned(),
            portal: portal.trim_end_matches('/').to_owned(),
            steps: Vec::new(),
        })
    }

    async fn get(&mut self, url: &str) -> Result<Page, PortalError> {
        let page = self
            .browser
            .get(url)
            .await
            .map_err(PortalError::agent(format!("GET {url}")))?;
        self.steps.push(format!("GET {url} → {}", page.status));
        Ok(page)
    }

    async fn send(&mut self, action: &str, get: bool, fields: &[(String, String)]) -> Result<Page, PortalError> {
        if get {
            let mut url =
                url::Url::parse(action).map_err(|e| PortalError::Portal(format!("form action `{action}`: {e}")))?;
            url.set_query(None);
            url.query_pairs_mut().extend_pairs(fields);
            return self.get(url.as_str()).await;
        }
        let page = self
            .browser
            .post(action, fields)
            .await
            .map_err(PortalError::agent(format!("POST {action}")))?;
        self.steps.push(format!("POST {action} → {}", page.status));
        Ok(page)
    }

    /// Where a redirect leads, absolute.
    fn next_of(page: &Page) -> Option<String> {
        let loc = page.location.as_deref().filter(|_| page.is_redirect())?;
        resolve(&page.url, loc)
    }

    /// Whether `url` is fcmock's (and not the portal's, which may live under
    /// fcmock's address, as its demo portal does).
    fn is_fcmock(&self, url: &str) -> bool {
        url.starts_with(&self.fcmock) && !url.starts_with(&self.portal)
    }

    /// Follows redirects while they stay at fcmock (`to_portal` false) or
    /// on the portal; returns the first page, or the first redirect that
    /// leaves, unfollowed.
    async fn follow(&mut self, mut page: Page, to_portal: bool) -> Result<Page, PortalError> {
        for _ in 0..MAX_HOPS {
            match Self::next_of(&page) {
                Some(next) if to_portal && next.starts_with(&self.portal) => page = self.get(&next).await?,
                Some(next) if !to_portal && self.is_fcmock(&next) => page = self.get(&next).await?,
                _ => return Ok(page),
            }
        }
        Err(PortalError::Portal(format!(
            "more than {MAX_HOPS} redirects from {}",
            page.url
        )))
    }

    /// From the portal's `start` URL to fcmock's authorize: the URL the
    /// portal sent the browser to (its parameters are the portal's request).
    pub async fn to_authorize(&mut self, start: &str) -> Result<String, PortalError> {
        let mut page = self.get(start).await?;
        for _ in 0..MAX_HOPS {
            if let Some(next) = Self::next_of(&page) {
                if is_authorize(&self.fcmock, &next) {
                    return Ok(next);
                }
                page = self.get(&next).await?;
                continue;
            }
            if page.status >= 400 {
                return Err(PortalError::Portal(format!(
                    "{} answered {} on the way to FranceConnect",
                    page.url, page.status
                )));
            }
            match lead_on(&page, &self.fcmock, &self.portal) {
                Some(Lead::Link(href)) if is_authorize(&self.fcmock, &href) => return Ok(href),
                Some(Lead::Link(href)) => page = self.get(&href).await?,
                Some(Lead::Form { action, get, fields }) => {
                    if get && is_authorize(&self.fcmock, &action) {
                        let mut url = url::Url::parse(&action)
                            .map_err(|e| PortalError::Portal(format!("form action `{action}`: {e}")))?;
                        url.set_query(None);
                        url.query_pairs_mut().extend_pairs(&fields);
                        return Ok(url.to_string());
                    }
                    page = self.send(&action, get, &fields).await?;
                }
                None => {
                    return Err(PortalError::Portal(format!(
                        "no link or form towards FranceConnect on {} (looked for a link to {}/api/v2/authorize, or one that mentions FranceConnect)",
                        page.url, self.fcmock
                    )));
                }
            }
        }
        Err(PortalError::Portal(format!(
            "no way to FranceConnect within {MAX_HOPS} steps from {start}"
        )))
    }

    /// At fcmock, from the authorize URL to the redirect back to the portal.
    pub async fn at_fcmock(&mut self, authorize: &str, what: &AtFcmock) -> Result<FcmockEnd, PortalError> {
        let first = self.get(authorize).await?;
        let wall = self.follow(first, false).await?;
        if let Some(end) = self.left(&wall) {
            return Ok(end);
        }
        match what {
            AtFcmock::CancelAtWall => self.back_from_wall(&wall).await,
            AtFcmock::CancelAtIdp(idp) => {
                let testid = if idp.is_empty() {
                    first_idp(&wall)
                        .ok_or_else(|| PortalError::Fcmock(format!("no identity provider on {}", wall.url)))?
                } else {
                    format!("idp-{idp}")
                };
                let login = self.submit(&wall, &testid, &[]).await?;
                if let Some(end) = self.left(&login) {
                    return Ok(end);
                }
                let cancel = login
                    .testid_href("idp-cancel")
                    .ok_or_else(|| PortalError::Fcmock(format!("no cancel link on {}", login.url)))?;
                let next = self.get(&cancel).await?;
                let wall = self.follow(next, false).await?;
                if let Some(end) = self.left(&wall) {
                    return Ok(end);
                }
                self.back_from_wall(&wall).await
            }
            AtFcmock::Login(accounts) => {
                // With a FranceConnect session (SSO) the wall is skipped
                // and the consent page comes at once.
                let after = if wall.testid("consent-continue").is_some() {
                    wall
                } else {
                    let account = accounts.iter().find(|a| offers(&wall, &a.idp)).ok_or_else(|| {
                        let idps: Vec<&str> = accounts.iter().map(|a| a.idp.as_str()).collect();
                        PortalError::Fcmock(format!(
                            "the wall at {} offers none of the persona's providers {idps:?}",
                            wall.url
                        ))
                    })?;
                    let login = self.submit(&wall, &format!("idp-{}", account.idp), &[]).await?;
                    if let Some(end) = self.left(&login) {
                        return Ok(end);
                    }
                    let creds = [
                        ("login", account.login.as_str()),
                        ("password", account.password.as_str()),
                    ];
                    self.submit(&login, "idp-login-form", &creds).await?
                };
                if let Some(end) = self.left(&after) {
                    return Ok(end);
                }
                if after.testid("consent-continue").is_none() {
                    return Ok(FcmockEnd::ErrorPage(after));
                }
                let extra: &[(&str, &str)] = if after.testid("consent-checkbox").is_some() {
                    &[("consent", "true")]
                } else {
                    &[]
                };
                let back = self.submit(&after, "consent-continue", extra).await?;
                Ok(self.left(&back).unwrap_or(FcmockEnd::ErrorPage(back)))
            }
        }
    }

    /// The page, if it is a redirect leaving fcmock, or an fcmock error page.
    fn left(&self, page: &Page) -> Option<FcmockEnd> {
        if let Some(next) = Self::next_of(page)
            && !self.is_fcmock(&next)
        {
            return Some(FcmockEnd::Back(next));
        }
        page.error_code().map(|_| FcmockEnd::ErrorPage(page.clone()))
    }

    async fn back_from_wall(&mut self, wall: &Page) -> Result<FcmockEnd, PortalError> {
        let back = wall
            .testid_href("back-to-sp-link")
            .ok_or_else(|| PortalError::Fcmock(format!("no \"Revenir sur …\" link on {}", wall.url)))?;
        let page = self.get(&back).await?;
        let page = self.follow(page, false).await?;
        Ok(self.left(&page).unwrap_or(FcmockEnd::ErrorPage(page)))
    }

    async fn submit(&mut self, page: &Page, testid: &str, extra: &[(&str, &str)]) -> Result<Page, PortalError> {
        let mut form = page
            .form(testid)
            .map_err(|e| PortalError::Fcmock(format!("{e} (status {})", page.status)))?;
        for (k, v) in extra {
            form.set(k, v);
        }
        let next = self.send(&form.action, form.get, &form.fields).await?;
        self.follow(next, false).await
    }

    /// Sends a portal's form and follows the portal's redirects.
    pub async fn submit_on_portal(
        &mut self,
        action: &str,
        get: bool,
        fields: &[(String, String)],
    ) -> Result<Page, PortalError> {
        let page = self.send(action, get, fields).await?;
        self.follow(page, true).await
    }

    /// Back on the portal at `url`: follows the portal's redirects to the
    /// page it shows (a redirect to fcmock is returned unfollowed).
    pub async fn on_portal(&mut self, url: &str) -> Result<Page, PortalError> {
        let page = self.get(url).await?;
        self.follow(page, true).await
    }

    /// Clicks the portal's logout (a link or form whose text says
    /// "déconnexion", "se déconnecter" or "logout") and follows the whole
    /// round trip through fcmock back to the portal. `None` when the page
    /// has no such control.
    pub async fn logout(&mut self, page: &Page) -> Result<Option<Page>, PortalError> {
        let Some(lead) = logout_lead(page) else {
            return Ok(None);
        };
        let mut page = match lead {
            Lead::Link(href) => self.get(&href).await?,
            Lead::Form { action, get, fields } => self.send(&action, get, &fields).await?,
        };
        for _ in 0..MAX_HOPS {
            if let Some(next) = Self::next_of(&page) {
                page = self.get(&next).await?;
            } else if let Ok(form) = page.form("auto-form") {
                // A page that posts itself with a script: a browser would.
                page = self.send(&form.action, form.get, &form.fields).await?;
            } else {
                return Ok(Some(page));
            }
        }
        Err(PortalError::Portal(format!(
            "more than {MAX_HOPS} redirects while logging out"
        )))
    }
}

/// Whether the wall offers provider `idp` (a button that is not greyed out).
fn offers(wall: &Page, idp: &str) -> bool {
    let html = Html::parse_document(&wall.body);
    let Ok(sel) = Selector::parse(&format!("button[data-testid=\"idp-{idp}\"]")) else {
        return false;
    };
    html.select(&sel).any(|b| b.value().attr("disabled").is_none())
}

/// The `data-testid` of the first identity provider offered on the wall.
fn first_idp(wall: &Page) -> Option<String> {
    let html = Html::parse_document(&wall.body);
    let sel = Selector::parse("[data-testid^=\"idp-\"]").ok()?;
    html.select(&sel)
        .filter_map(|e| e.value().attr("data-testid"))
        .find(|t| *t != "idp-list")
        .map(str::to_owned)
}

fn logout_lead(page: &Page) -> Option<Lead> {
    let html = Html::parse_document(&page.body);
    let says_logout = |s: &str| {
        let s = s.to_lowercase();
        [
            "déconnexion",
            "deconnexion",
            "déconnecter",
            "deconnecter",
            "logout",
            "log out",
            "sign out",
        ]
        .iter()
        .any(|w| s.contains(w))
    };
    let links = Selector::parse("a[href]").ok()?;
    for a in html.select(&links) {
        let href = a.value().attr("href").unwrap_or_default();
        if says_logout(&a.text().collect::<String>()) || says_logout(href) {
            return resolve(&page.url, href).map(Lead::Link);
        }
    }
    let forms = Selector::parse("form").ok()?;
    for f in html.select(&forms) {
        if says_logout(&f.text().collect::<String>()) || says_logout(f.value().attr("action").unwrap_or_default()) {
            let form = page.form_element(f).ok()?;
            return Some(Lead::Form {
                action: form.action,
                get: form.get,
                fields: form.fields,
            });
        }
    }
    None
}
