//! Server-rendered pages, in French, compiled into the binary.
//!
//! Every template extends `base.html`, which carries the "test environment,
//! fictitious people" banner, so no page can omit it.

pub mod explain;
pub mod fr;
pub mod security;
pub mod tags;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Renders a template with a status; a rendering failure becomes a plain 500.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "erreur interne de rendu").into_response()
        }
    }
}

/// A FranceConnect-style error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// `FranceConnect` or `FranceConnect+`, in the page's header.
    pub brand: &'a str,
    pub code: &'a str,
    pub error_id: String,
    pub message: &'a str,
    pub detail: &'a str,
    pub back: Option<(String, String)>,
}

/// The identity-provider wall (mur d'identité).
#[derive(Template)]
#[template(path = "wall.html")]
pub struct WallPage<'a> {
    /// `FranceConnect` or `FranceConnect+`, in the page's header.
    pub brand: &'static str,
    pub sp_name: &'a str,
    /// (id, display name, selectable)
    pub idps: Vec<(String, String, bool)>,
    pub csrf: &'a str,
    pub redirect_to_idp: String,
    /// "Revenir sur …": `GET redirect-to-sp-with-error` (access_denied).
    pub back_url: String,
    pub banner: Option<String>,
}

/// The consent / information page.
#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    /// `FranceConnect` or `FranceConnect+`, in the page's header.
    pub brand: &'static str,
    pub sp_name: &'a str,
    pub idp_name: &'a str,
    pub anonymous: bool,
    pub checkbox: bool,
    /// (label, claim, value)
    pub rows: Vec<(&'static str, &'static str, String)>,
    pub csrf: &'a str,
    pub action: String,
    pub error: Option<&'a str>,
}

/// A form that submits itself (logout round trip).
#[derive(Template)]
#[template(path = "auto_form.html")]
pub struct AutoFormPage<'a> {
    pub heading: &'a str,
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
}

/// A short message page.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub heading: &'a str,
    pub body: &'a str,
}

/// A mock identity provider's login page.
#[derive(Template)]
#[template(path = "idp_login.html")]
pub struct IdpLoginPage<'a> {
    pub idp_name: &'a str,
    pub action: String,
    pub interaction: &'a str,
    pub login_label: &'static str,
    pub login_hint: &'static str,
    pub password_label: &'static str,
    pub login_value: String,
    pub acr_choices: Vec<String>,
    pub acr_default: String,
    /// (persona id, login, password, button label, what the persona is
    /// for): one page of them.
    pub personas: Vec<(String, String, String, String, String)>,
    /// Whether the accounts are many enough (or filtered) to show the search.
    pub searchable: bool,
    pub query: String,
    /// Accounts at this provider, and those matching the search.
    pub total: usize,
    pub matching: usize,
    /// 1-based positions of the first and last account shown.
    pub shown_from: usize,
    pub shown_to: usize,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub cancel_url: String,
    pub error: Option<&'a str>,
}

/// The mock's home page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub issuer: String,
    /// FranceConnect+'s issuer.
    pub issuer_plus: String,
    pub idps: Vec<(String, String, String)>,
    pub clients: Vec<(String, String, String, String)>,
    /// The first personas (all of them when they are few).
    pub personas: Vec<(String, String, String, String)>,
    pub persona_count: usize,
    /// (name, client_id, endpoint)
    pub data_providers: Vec<(String, String, String)>,
    pub deviations: Vec<String>,
}

/// One card of the persona list.
pub struct PersonaCard {
    pub id: String,
    pub name: String,
    pub birth: String,
    pub idps: String,
    pub tags: String,
    pub avatar: String,
}

/// `/_fcmock/personas`: search and tag filters.
#[derive(Template)]
#[template(path = "personas.html")]
pub struct PersonasPage {
    pub q: String,
    pub idp: String,
    pub idps: Vec<String>,
    /// Tag filters, grouped and folded.
    pub tag_groups: Vec<tags::TagGroup>,
    pub cards: Vec<PersonaCard>,
}

/// An identity-provider account on the persona card.
pub struct AccountView {
    pub idp: String,
    pub idp_name: String,
    pub login: String,
    pub password: String,
    pub divergent: bool,
    pub identity: String,
    /// (service provider name, client_id, sub)
    pub subs: Vec<(String, String, String)>,
}

/// `/_fcmock/personas/{id}`.
#[derive(Template)]
#[template(path = "persona.html")]
pub struct PersonaPage {
    pub id: String,
    pub name: String,
    pub tags: String,
    pub notes: String,
    pub avatar: String,
    /// (label, claim, value)
    pub identity: Vec<(&'static str, &'static str, String)>,
    pub rnipp: &'static str,
    pub accounts: Vec<AccountView>,
    /// (label, value)
    pub data: Vec<(String, String)>,
    /// (service, reference, name, birthdate, email, note)
    pub local: Vec<(String, String, String, String, String, String)>,
    pub base: String,
    pub first_idp: String,
    /// A configured client to put in the CI example.
    pub ci_client: String,
}

/// The fields of a form posted by one of fcmock's pages, read as a browser
/// sends them: the first value of a repeated field wins and unknown fields
/// are ignored, so a malformed post reaches the handler, which answers with
/// its own page (a bad CSRF token, an unknown interaction) instead of axum's
/// plain-text 422. Every field of the target type must be optional; a form
/// that still cannot be read reaches the handler empty.
#[derive(Debug)]
pub struct PageForm<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Default,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut seen = std::collections::HashSet::new();
        let first: Vec<(String, String)> = url::form_urlencoded::parse(&body)
            .into_owned()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect();
        let reencoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&first)
            .finish();
        Ok(Self(serde_urlencoded::from_str(&reencoded).unwrap_or_default()))
    }
}
