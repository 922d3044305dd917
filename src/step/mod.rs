//! Step mode, for demonstrations: a browser that turned it on
//! (`/_fcmock/pas-a-pas`, a cookie of its own) sees, instead of each
//! redirect, a page that says where the browser is about to go, which
//! parameters travel and what they mean, with a « Continuer » link to the
//! very same address.
//!
//! It applies outside the journal's layer (the serve loop calls
//! [`page_for`]): the journal records the real redirect, and a request
//! without the cookie (every back-channel call, every other browser) is
//! untouched. Cookies the redirect sets are kept on the
//! page, so the flow goes on exactly as it would have.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::paths::mock as m;
use crate::shared::Shared;
use crate::web::{explain, render};

/// The cookie that turns step mode on for one browser.
pub const COOKIE: &str = "fcmock_pas_a_pas";

/// One parameter of the coming request.
struct Param {
    name: String,
    value: String,
    explain: String,
}

#[derive(Template)]
#[template(path = "step.html")]
struct StepPage {
    /// Who the browser goes to, in words.
    party: &'static str,
    /// What happens there.
    story: &'static str,
    /// Where, without the query.
    place: String,
    params: Vec<Param>,
    next: String,
}

#[derive(Template)]
#[template(path = "step_toggle.html")]
struct TogglePage {
    on: bool,
}

fn is_on(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == format!("{COOKIE}=1"))
}

/// Who is at `url` and what happens there, in French.
fn describe(url: &url::Url, public: &str) -> (&'static str, &'static str) {
    let path = url.path();
    if !url.as_str().starts_with(public) {
        return (
            "le fournisseur de service",
            "Le navigateur revient sur le service avec le résultat (un code à usage unique et le state, ou une erreur). Le service échangera le code contre les jetons, de serveur à serveur.",
        );
    }
    if path.starts_with("/idp/") && path.ends_with("/authorize") {
        (
            "le fournisseur d'identité",
            "FranceConnect envoie le citoyen s'authentifier chez le fournisseur d'identité choisi, avec sa propre demande OpenID Connect : à cette étape, FranceConnect est lui-même le client du fournisseur d'identité, et client_id, redirect_uri, state et nonce ci-dessous sont les siens (prompt=login force une nouvelle authentification).",
        )
    } else if path.starts_with("/idp/") {
        ("le fournisseur d'identité", "Une page du fournisseur d'identité.")
    } else if path.ends_with("/oidc-callback") {
        (
            "FranceConnect",
            "Le fournisseur d'identité renvoie le citoyen à FranceConnect avec un code ; FranceConnect l'échange contre l'identité, vérifie les jetons et l'identité pivot.",
        )
    } else if path.contains("/interaction/") {
        (
            "FranceConnect",
            "Une étape de FranceConnect : le choix du fournisseur d'identité, la vérification de l'identité ou le consentement.",
        )
    } else if path.contains("/session/end") || path.contains("logout") || path.contains("disconnect") {
        (
            "FranceConnect",
            "La déconnexion : FranceConnect ferme sa session et celle du fournisseur d'identité.",
        )
    } else {
        ("FranceConnect", "Une étape de FranceConnect.")
    }
}

/// Whether the answer to a request is shown as a step page: the browser
/// turned step mode on, and the request is not for one of fcmock's own pages
/// (this switch among them), which are not protocol steps.
pub fn wanted(headers: &HeaderMap, path: &str) -> bool {
    is_on(headers) && !path.starts_with(crate::paths::MOCK_PREFIX)
}

/// A redirect answered to a browser in step mode becomes the step page; any
/// other answer passes as it is. The serve loop calls it outside the
/// journal's layer, so the journal records the real redirect.
pub fn page_for(shared: &Shared, resp: Response) -> Response {
    if !resp.status().is_redirection() {
        return resp;
    }
    let Some(location) = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return resp;
    };
    let Ok(url) = url::Url::parse(&shared.urls.public).and_then(|base| base.join(location)) else {
        return resp;
    };
    let (party, story) = describe(&url, &shared.urls.public);
    // To the provider's pages, or back from them to FranceConnect's callback,
    // FranceConnect is the client and the parameters are its own.
    let path = url.path();
    let hop = if path.starts_with(crate::paths::IDP_PREFIX) || path.ends_with("/oidc-callback") {
        explain::Hop::IdentityProvider
    } else {
        explain::Hop::Service
    };
    let params = url
        .query_pairs()
        .map(|(k, v)| Param {
            explain: explain::param_at(&k, hop).map(explain::line).unwrap_or_default(),
            name: k.into_owned(),
            value: v.into_owned(),
        })
        .collect();
    let mut place = url.clone();
    place.set_query(None);
    let page = StepPage {
        party,
        story,
        place: place.to_string(),
        params,
        next: url.to_string(),
    };
    let mut out = render(StatusCode::OK, &page);
    // The redirect's cookies (session, CSRF) go on with the page.
    for v in resp.headers().get_all(header::SET_COOKIE) {
        out.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    out
}

#[derive(Deserialize)]
struct Toggle {
    /// `1` to switch on; anything else (or nothing) switches off.
    #[serde(default)]
    on: String,
}

async fn toggle_page(headers: HeaderMap) -> Response {
    render(StatusCode::OK, &TogglePage { on: is_on(&headers) })
}

async fn toggle(Form(t): Form<Toggle>) -> Response {
    let cookie = if t.on == "1" {
        format!("{COOKIE}=1; Path=/; HttpOnly; SameSite=Lax")
    } else {
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    };
    let mut resp = Redirect::to(m::STEP).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `/_fcmock/pas-a-pas`: the switch.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route(m::STEP, get(toggle_page).post(toggle))
}
