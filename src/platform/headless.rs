//! Headless logins that meet the identity provider's faults.
//!
//! A headless login (`next-login`, `auto_login`) normally takes the persona's
//! identity straight from the configuration: no page, no back channel. When
//! a fault in force could fire at that identity provider (a scenario such as
//! `ameli-en-panne.yaml`, or a magic persona's own), fcmock instead plays the
//! citizen's browser against the built-in provider: its authorize page, its
//! login form with the persona's credentials, then the code redeemed at its
//! token and userinfo endpoints exactly as the callback does. Every fault
//! then fires where it would for a person, with the same end for the
//! browser (FranceConnect's error page, the provider's own page, or the
//! wall after a cancel) and the same journal entries for the provider.

use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::callback::ProviderAnswer;
use super::error::HubError;
use super::idp_client as fi;
use super::view::PlatformView;
use super::{Login, NextLogin};
use crate::agent::{Browser, Page};
use crate::oidc::form::parse_form;

/// How a headless login through the provider ends.
pub(crate) enum Outcome {
    /// The provider answered with an identity: go on as after the callback.
    Login(Login),
    /// The provider sent the user back with an error (a cancel): the wall,
    /// with this message, as FranceConnect shows it.
    Wall(String),
    /// The provider's own page (an error at its authorize or login step):
    /// what the browser would have stayed on.
    AtProvider(Response),
}

/// Whether a fault in force could fire at identity provider `idp` for this
/// client and persona (then the login goes through the provider).
pub(crate) fn faults_at_provider(state: &PlatformView, client_id: &str, next: &NextLogin) -> bool {
    state
        .scenarios
        .may_fire_under(&format!("idp.{}.", next.idp), client_id, &next.persona)
}

/// A URL fcmock serves, as fcmock reaches itself (the internal URL).
fn internal(state: &PlatformView, url: &str) -> String {
    match url.strip_prefix(state.urls.public.as_str()) {
        Some(rest) => format!("{}{rest}", state.urls.internal),
        None => url.to_owned(),
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(transport)`
fn transport(e: crate::agent::AgentError) -> HubError {
    HubError::internal(format!("connexion automatique : {e}"))
}

/// The provider's page, passed on to the browser.
fn provider_page(page: Page) -> Outcome {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = if page.content_type.is_empty() {
        "text/plain; charset=utf-8".to_owned()
    } else {
        page.content_type
    };
    Outcome::AtProvider((status, [(header::CONTENT_TYPE, content_type)], page.body).into_response())
}

/// Logs `next` in at its built-in provider as a browser would, then redeems
/// the code as FranceConnect's callback does. `flow` is the interaction uid.
pub(crate) async fn through_provider(
    state: &PlatformView,
    flow: &str,
    next: &NextLogin,
    requested_acr: &str,
) -> Result<Outcome, HubError> {
    let cfg = state.config();
    let account = cfg
        .persona(&next.persona)
        .and_then(|p| p.account(&next.idp))
        .ok_or_else(|| {
            HubError::internal(format!(
                "la persona `{}` n'a pas de compte chez `{}`",
                next.persona, next.idp
            ))
        })?;
    let (url, expected_state, nonce) = fi::authorize_url(state, &next.idp, requested_acr).await?;
    state.journal.link(expected_state.as_str(), flow, state.clock.now_ms());
    // The provider's scripted delays go up to 32 s.
    let browser = Browser::new(Duration::from_secs(40)).map_err(transport)?;
    let page = browser.get(&internal(state, &url)).await.map_err(transport)?;
    if page.status != 200 {
        return Ok(provider_page(page));
    }
    let Ok(mut form) = page.form("idp-login-form") else {
        return Ok(provider_page(page));
    };
    form.set("login", &account.login);
    form.set("password", &account.password);
    let answer = browser
        .post(&internal(state, &form.action), &form.fields)
        .await
        .map_err(transport)?;
    let Some(location) = answer.location.clone().filter(|_| answer.is_redirect()) else {
        return Ok(provider_page(answer));
    };
    let query = location.split_once('?').map_or("", |(_, q)| q);
    let code = match super::callback::read_answer(&parse_form(query), expected_state.as_str())? {
        ProviderAnswer::Code(code) => code,
        ProviderAnswer::Error { error, description } => {
            return Ok(Outcome::Wall(super::callback::wall_banner(
                state,
                &next.idp,
                &error,
                &description,
            )));
        }
    };
    Ok(Outcome::Login(
        fi::exchange(state, &next.idp, &code, &nonce, requested_acr).await?,
    ))
}
