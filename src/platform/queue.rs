//! Queued headless logins and refused authorize requests.
//!
//! A login queued with `POST /_fcmock/api/next-login` is for "the next
//! authorize of this client". fcmock's choice: a refused authorize of that
//! client (once `client_id` names a known client) is that next authorize,
//! so it consumes the queued login rather than leave it for a later,
//! unrelated request. The refusal says so: in the page's explanation, and
//! in an `X-Fcmock-Next-Login` header that the journal records (a redirect
//! with `error=` keeps FranceConnect's own `error_description`).

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::error::HubError;
use super::view::PlatformView;
use crate::oidc::form::Pair;

/// The header that tells a queued login was dropped.
pub(crate) const DROPPED_HEADER: &str = "x-fcmock-next-login";

/// The refusal of an authorize request, after dropping the login queued
/// for its client, if any.
pub(crate) fn refused(state: &PlatformView, params: &[Pair<'_>], mut error: HubError) -> Response {
    let client_id = params.iter().find(|(k, _)| k == "client_id").map(|(_, v)| &**v);
    let dropped = client_id
        .filter(|id| state.config().client(id).is_some())
        .and_then(|id| state.hub.pop_next_login(id));
    let Some(login) = dropped else {
        return error.into_response();
    };
    tracing::info!(persona = %login.persona, idp = %login.idp, "authorize refused: the login queued for this client is dropped");
    if let HubError::Page(page) = &mut error {
        page.detail.push_str(&format!(
            " (fcmock) Une connexion automatique était en file pour ce service (persona `{}` via `{}`) : cette demande refusée l'a consommée. Remettez-la en file avant la prochaine tentative.",
            login.persona, login.idp
        ));
    }
    let mut response = error.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("dropped; persona={}; idp={}", login.persona, login.idp)) {
        response.headers_mut().insert(DROPPED_HEADER, v);
    }
    response
}
