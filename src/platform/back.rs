//! The way back to the service provider.
//!
//! FranceConnect's wall and its error pages carry a "Revenir sur `<service>`"
//! link (`data-testid="back-to-sp-link"`, a plain link, so a GET;
//! views/includes/back-button.ejs, fournisseur-service-retour.feature). When
//! the service and its authorize parameters are known, the link goes
//! straight to the service's `redirect_uri` with `error`,
//! `error_description` and `state`, so a portal meets errors at its
//! callback; otherwise it goes through `GET /redirect-to-sp-with-error`,
//! which answers 302 to the service. On the wall the error is
//! `access_denied` / "User auth aborted"; on an error page, the exception's
//! own, `server_error` / "authentication aborted due to a technical error on
//! the authorization server" by default.

use axum::extract::RawQuery;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::error::HubError;
use super::session::{client_of, load_interaction};
use super::view::PlatformView;
use super::{Interaction, session};
use crate::oidc::form::{parse_form, with_query};

/// What the wall's link sends (FranceConnect's wording).
pub(crate) const ABORTED: (&str, &str) = ("access_denied", "User auth aborted");

/// What an error page's link sends: FranceConnect's default exception.
pub(crate) const TECHNICAL: (&str, &str) = (
    "server_error",
    "authentication aborted due to a technical error on the authorization server",
);

/// The service provider's callback with an error, as the back link carries it.
pub(crate) fn back_url(redirect_uri: &str, state: &str, (error, description): (&str, &str)) -> String {
    with_query(
        redirect_uri,
        &[("error", error), ("error_description", description), ("state", state)],
    )
}

/// The back link of an interaction: (service name, URL).
pub(crate) fn back_link(state: &PlatformView, inter: &Interaction, why: (&str, &str)) -> Option<(String, String)> {
    let client = client_of(state, inter).ok()?;
    Some((
        client.name.clone(),
        back_url(&inter.request.redirect_uri, inter.request.state.as_str(), why),
    ))
}

/// Adds the way back to an error page when the browser's session holds an
/// interaction (so its service and parameters are known).
pub(crate) fn offer_way_back(state: &PlatformView, jar: &CookieJar, e: HubError) -> HubError {
    let HubError::Page(page) = &e else { return e };
    if page.back.is_some() {
        return e;
    }
    let Ok((_, _, inter)) = load_interaction(state, jar, None) else {
        return e;
    };
    match back_link(state, &inter, TECHNICAL) {
        Some((name, url)) => e.with_back(&name, &url),
        None => e,
    }
}

/// `GET /redirect-to-sp-with-error?error=…&error_description=…`: back to the
/// service provider of the session's interaction, 302, as FranceConnect does.
pub(crate) async fn redirect_to_sp_with_error(
    state: PlatformView,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, HubError> {
    let params = parse_form(q.as_deref().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // Only OAuth error words and a bounded description travel on.
    let error = get("error")
        .filter(|e| !e.is_empty() && e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .unwrap_or(ABORTED.0);
    let description: String = get("error_description")
        .unwrap_or(ABORTED.1)
        .chars()
        .take(256)
        .collect();
    let (sid, mut sess, inter) = load_interaction(&state, &jar, None)?;
    state.hub.interactions.remove(&inter.uid);
    sess.interaction = None;
    session::save(&state, &sid, sess);
    let target = back_url(
        &inter.request.redirect_uri,
        inter.request.state.as_str(),
        (error, &description),
    );
    Ok((StatusCode::FOUND, [(header::LOCATION, target)]).into_response())
}
