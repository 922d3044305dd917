//! A browser without a screen: cookies, one redirect hop at a time, and
//! HTML forms read with `scraper` and posted as a browser would post them.

use std::time::Duration;

use scraper::{ElementRef, Html, Selector};

use super::AgentError;

/// Most redirects [`Browser::follow`] takes before giving up.
const MAX_HOPS: usize = 20;

/// A cookie-keeping HTTP client that never follows redirects by itself.
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
}

/// What the browser got for one request.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL that was requested (forms' relative actions resolve against it).
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
}

/// A form as a browser would submit it.
#[derive(Debug, Clone)]
pub struct Form {
    /// Absolute URL the form is sent to.
    pub action: String,
    /// Whether it is sent as a GET (`method="get"`) rather than a POST.
    pub get: bool,
    /// Fields in document order, with their current values.
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// Sets `name` to `value`, replacing what the page had.
    pub fn set(&mut self, name: &str, value: &str) {
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.to_owned(), value.to_owned()));
    }
}

fn selector(css: &str) -> Result<Selector, AgentError> {
    Selector::parse(css).map_err(|e| AgentError::Page(format!("bad selector `{css}`: {e}")))
}

impl Page {
    /// The parsed document.
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Whether this is a redirect (3xx with a Location).
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status) && self.location.is_some()
    }

    /// Text of the first element with `data-testid="{id}"`, trimmed.
    pub fn testid(&self, id: &str) -> Option<String> {
        let sel = selector(&format!("[data-testid=\"{id}\"]")).ok()?;
        self.html()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The FranceConnect error code shown on an error page.
    pub fn error_code(&self) -> Option<String> {
        self.testid("error-code")
    }

    /// The form that has `data-testid="{testid}"` or holds an element that has it.
    pub fn form(&self, testid: &str) -> Result<Form, AgentError> {
        let html = self.html();
        let marker = selector(&format!("[data-testid=\"{testid}\"]"))?;
        let form_sel = selector("form")?;
        let form = html
            .select(&form_sel)
            .find(|f| f.value().attr("data-testid") == Some(testid) || f.select(&marker).next().is_some())
            .ok_or_else(|| AgentError::Page(format!("no form with data-testid `{testid}` at {}", self.url)))?;
        self.form_element(form)
    }

    /// The `href` of the first element with `data-testid="{id}"`, made absolute.
    pub fn testid_href(&self, id: &str) -> Option<String> {
        let sel = selector(&format!("[data-testid=\"{id}\"]")).ok()?;
        let html = self.html();
        let href = html.select(&sel).next()?.value().attr("href")?;
        url::Url::parse(&self.url)
            .and_then(|b| b.join(href))
            .ok()
            .map(|u| u.to_string())
    }

    /// A form element of this page, as a browser would submit it.
    pub fn form_element(&self, form: ElementRef<'_>) -> Result<Form, AgentError> {
        let action = form.value().attr("action").unwrap_or_default();
        let action = url::Url::parse(&self.url)
            .and_then(|base| base.join(action))
            .map(|u| u.to_string())
            .map_err(|e| AgentError::Page(format!("form action `{action}` at {}: {e}", self.url)))?;
        let get = form
            .value()
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("get"));
        Ok(Form {
            action,
            get,
            fields: fields_of(form)?,
        })
    }
}

/// What a browser sends for a form: named inputs (unchecked checkboxes and
/// radios left out), and each select's selected option (or its first).
fn fields_of(form: ElementRef<'_>) -> Result<Vec<(String, String)>, AgentError> {
    let mut fields = Vec::new();
    for input in form.select(&selector("input")?) {
        let el = input.value();
        let Some(name) = el.attr("name") else { continue };
        let kind = el.attr("type").unwrap_or("text");
        if matches!(kind, "checkbox" | "radio") && el.attr("checked").is_none() {
            continue;
        }
        let default = if matches!(kind, "checkbox" | "radio") { "on" } else { "" };
        fields.push((name.to_owned(), el.attr("value").unwrap_or(default).to_owned()));
    }
    let option_sel = selector("option")?;
    for select in form.select(&selector("select")?) {
        let Some(name) = select.value().attr("name") else {
            continue;
        };
        let options: Vec<_> = select.select(&option_sel).collect();
        let chosen = options
            .iter()
            .find(|o| o.value().attr("selected").is_some())
            .or(options.first());
        if let Some(o) = chosen {
            let value = o
                .value()
                .attr("value")
                .map_or_else(|| o.text().collect(), str::to_owned);
            fields.push((name.to_owned(), value));
        }
    }
    Ok(fields)
}

impl Browser {
    /// A fresh browser (its own cookie jar) that waits up to `timeout` per answer.
    pub fn new(timeout: Duration) -> Result<Self, AgentError> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(AgentError::http("browser"))?;
        Ok(Self { http })
    }

    /// GET `url`.
    pub async fn get(&self, url: &str) -> Result<Page, AgentError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(AgentError::http(format!("GET {url}")))?;
        to_page(url, resp).await
    }

    /// POST `fields` to `url` as `application/x-www-form-urlencoded`.
    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Result<Page, AgentError> {
        let resp = self
            .http
            .post(url)
            .form(fields)
            .send()
            .await
            .map_err(AgentError::http(format!("POST {url}")))?;
        to_page(url, resp).await
    }

    /// Follows redirects while they stay under `within` (a base URL); returns
    /// the first page, or the first redirect that leaves (e.g. to the
    /// service provider's callback) unfollowed.
    pub async fn follow(&self, mut page: Page, within: &str) -> Result<Page, AgentError> {
        for _ in 0..MAX_HOPS {
            match &page.location {
                Some(loc) if page.is_redirect() => {
                    let next = url::Url::parse(&page.url)
                        .and_then(|base| base.join(loc))
                        .map_err(|e| AgentError::Page(format!("bad Location `{loc}`: {e}")))?
                        .to_string();
                    if !next.starts_with(within) {
                        return Ok(page);
                    }
                    page = self.get(&next).await?;
                }
                _ => return Ok(page),
            }
        }
        Err(AgentError::Page(format!(
            "more than {MAX_HOPS} redirects from {}",
            page.url
        )))
    }

    /// GET `url` and follow redirects under `within`.
    pub async fn open(&self, url: &str, within: &str) -> Result<Page, AgentError> {
        let page = self.get(url).await?;
        self.follow(page, within).await
    }

    /// Submits the form holding `testid` with `extra` fields set, then follows
    /// redirects under `within`.
    pub async fn submit(
        &self,
        page: &Page,
        testid: &str,
        extra: &[(&str, &str)],
        within: &str,
    ) -> Result<Page, AgentError> {
        let mut form = page.form(testid)?;
        for (k, v) in extra {
            form.set(k, v);
        }
        let next = if form.get {
            // A GET form replaces the action's query with its fields.
            let mut url = url::Url::parse(&form.action)
                .map_err(|e| AgentError::Page(format!("form action `{}`: {e}", form.action)))?;
            url.set_query(None);
            url.query_pairs_mut().extend_pairs(&form.fields);
            self.get(url.as_str()).await?
        } else {
            self.post(&form.action, &form.fields).await?
        };
        self.follow(next, within).await
    }
}

async fn to_page(url: &str, resp: reqwest::Response) -> Result<Page, AgentError> {
    let status = resp.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let location = header(reqwest::header::LOCATION);
    let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
    let body = resp.text().await.map_err(AgentError::http(format!("body of {url}")))?;
    Ok(Page {
        url: url.to_owned(),
        status,
        location,
        content_type,
        body,
    })
}
