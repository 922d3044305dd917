//! RP-initiated logout, through the identity provider.
//!
//! `session/end` checks the service provider's request and renders a form
//! that posts to `client/disconnect-from-idp`; that sends the browser to the
//! identity provider's end_session, which comes back to
//! `client/logout-callback`; FranceConnect then ends its session and posts to
//! `session/end/confirm`, which redirects to the service provider's
//! `post_logout_redirect_uri` with its `state`.

use crate::web::PageForm;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::Value;

use super::error::HubError;
use super::idp_client as fi;
use super::view::PlatformView;
use super::{LogoutContext, session};
use crate::oidc::form::{parse_form, with_query};
use crate::paths::platform as p;
use crate::web::{AutoFormPage, MessagePage, render};

fn url(state: &PlatformView, path: &str) -> String {
    state.url(path)
}

/// A self-submitting form carrying the session's CSRF token to the next logout step.
fn logout_step(state: &PlatformView, path: &str, csrf: String) -> Response {
    render(
        StatusCode::OK,
        &AutoFormPage {
            heading: "Déconnexion en cours",
            action: url(state, path),
            fields: vec![("csrfToken", csrf)],
        },
    )
}

/// `GET /api/v2/session/end`.
pub(crate) async fn session_end(
    state: PlatformView,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, HubError> {
    session_end_inner(&state, &jar, q.as_deref())
}

/// The parameters FranceConnect's logout DTO lists (LogoutParamsDto); its
/// pipe refuses any other, as at authorize.
const LOGOUT_PARAMS: [&str; 6] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
    "logout_hint",
    "ui_locales",
];

fn session_end_inner(state: &PlatformView, jar: &CookieJar, q: Option<&str>) -> Result<Response, HubError> {
    let params = parse_form(q.unwrap_or(""));
    if state.config().platform.reject_unknown_authorize_params {
        let mut unknown: Vec<&str> = params
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !LOGOUT_PARAMS.contains(k))
            .collect();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(HubError::page(
                "Y030007",
                format!(
                    "paramètre(s) inconnu(s) de session/end : {} (FranceConnect n'accepte que : {})",
                    unknown.join(", "),
                    LOGOUT_PARAMS.join(", ")
                ),
            ));
        }
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(hint) = get("id_token_hint").filter(|h| !h.is_empty()) else {
        return Err(HubError::page(
            "Y030007",
            "le paramètre obligatoire `id_token_hint` est absent (l'id_token reçu lors de la connexion)",
        ));
    };
    let claims: Value = state.hub.keys.verify(&hint).map_err(|e| {
        // Five dot-separated parts: a JWE, as FranceConnect+ delivers id_tokens.
        let why = if hint.split('.').count() == 5 {
            " C'est un JWE (id_token chiffré, 5 parties) : envoyez l'id_token déchiffré, le JWS signé qu'il contient."
                .to_owned()
        } else {
            String::new()
        };
        HubError::page(
            "Y030007",
            format!(
                "`id_token_hint` n'est pas un id_token signé par cette plateforme : {}.{why}",
                e.to_string().trim_end_matches('.')
            ),
        )
    })?;
    let aud = claims.get("aud").and_then(Value::as_str).unwrap_or_default().to_owned();
    let Some(client) = state.config().client(&aud).cloned() else {
        return Err(HubError::page(
            "Y04EA6EF",
            format!("l'id_token_hint est destiné au client `{aud}`, inconnu"),
        ));
    };
    let post_logout = get("post_logout_redirect_uri").filter(|u| !u.is_empty());
    if let Some(uri) = &post_logout
        && !client.accepts_post_logout_uri(uri)
    {
        return Err(HubError::page(
            "Y030007",
            format!(
                "post_logout_redirect_uri `{uri}` n'est pas enregistrée pour `{}` ; enregistrées : {}",
                client.name,
                client.post_logout_redirect_uris.join(", ")
            ),
        ));
    }
    let (sid, mut sess) = session::load(state, jar).map_err(|_| {
        HubError::page(
            "Y100019",
            "aucune session FranceConnect dans ce navigateur (cookie fc_session_id absent ou expiré)",
        )
    })?;
    if sess.sso.is_none() {
        return Err(HubError::page(
            "Y100019",
            "la session FranceConnect de ce navigateur n'a pas d'utilisateur connecté",
        ));
    }
    sess.logout = Some(LogoutContext {
        post_logout_redirect_uri: post_logout,
        state: get("state"),
        idp_state: None,
    });
    let csrf = sess.csrf.clone();
    session::save(state, &sid, sess);
    Ok(logout_step(state, p::DISCONNECT_FROM_IDP, csrf))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
}

/// `POST /api/v2/client/disconnect-from-idp`.
pub(crate) async fn disconnect_from_idp(
    state: PlatformView,
    jar: CookieJar,
    PageForm(form): PageForm<CsrfOnly>,
) -> Result<Response, HubError> {
    disconnect_from_idp_inner(&state, &jar, &form).await
}

async fn disconnect_from_idp_inner(
    state: &PlatformView,
    jar: &CookieJar,
    form: &CsrfOnly,
) -> Result<Response, HubError> {
    let (sid, mut sess) = session::load(state, jar)?;
    session::check_csrf(&sess, form.csrf_token.as_deref())?;
    let Some(ctx) = sess.logout.as_mut() else {
        return Err(HubError::page("Y100019", "aucune déconnexion en cours"));
    };
    let idp_state = state.rng.hex(32);
    ctx.idp_state = Some(idp_state.clone());
    let callback = url(state, p::LOGOUT_CALLBACK);
    let target = match sess.sso.as_ref() {
        Some(login) => match (&login.idp_id_token, fi::end_session_url(state, &login.idp).await) {
            (Some(token), Some(end)) => {
                let hub_client = state
                    .config()
                    .idp(&login.idp)
                    .map(|i| i.hub_client_id.clone())
                    .unwrap_or_default();
                with_query(
                    &end,
                    &[
                        ("id_token_hint", token),
                        ("state", &idp_state),
                        ("post_logout_redirect_uri", &callback),
                        ("client_id", &hub_client),
                    ],
                )
            }
            // No end_session at the provider (or a headless login): straight to the callback.
            _ => with_query(&callback, &[("state", &idp_state)]),
        },
        None => with_query(&callback, &[("state", &idp_state)]),
    };
    session::save(state, &sid, sess);
    Ok(super::error::found(&target))
}

/// `GET /api/v2/client/logout-callback`: back from the identity provider.
pub(crate) async fn logout_callback(
    state: PlatformView,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, HubError> {
    logout_callback_inner(&state, &jar, q.as_deref())
}

fn logout_callback_inner(state: &PlatformView, jar: &CookieJar, q: Option<&str>) -> Result<Response, HubError> {
    let params = parse_form(q.unwrap_or(""));
    let got = params.iter().find(|(k, _)| k == "state").map(|(_, v)| v.as_str());
    let (sid, mut sess) = session::load(state, jar)?;
    let expected = sess.logout.as_ref().and_then(|c| c.idp_state.clone());
    match (got, expected.as_deref()) {
        (Some(g), Some(e)) if g == e => {}
        (None, _) => {
            return Err(HubError::page(
                "Y020021",
                "le paramètre state est absent du retour de déconnexion du fournisseur d'identité",
            ));
        }
        _ => {
            return Err(HubError::page(
                "Y020022",
                "le state du retour de déconnexion ne correspond pas à celui envoyé",
            ));
        }
    }
    sess.sso = None;
    sess.interaction = None;
    let csrf = sess.csrf.clone();
    session::save(state, &sid, sess);
    Ok(logout_step(state, p::SESSION_END_CONFIRM, csrf))
}

/// `POST /api/v2/session/end/confirm`: the session is over; back to the service provider.
pub(crate) async fn session_end_confirm(
    state: PlatformView,
    jar: CookieJar,
    PageForm(form): PageForm<CsrfOnly>,
) -> Result<Response, HubError> {
    session_end_confirm_inner(&state, &jar, &form)
}

fn session_end_confirm_inner(state: &PlatformView, jar: &CookieJar, form: &CsrfOnly) -> Result<Response, HubError> {
    let (sid, sess) = session::load(state, jar)?;
    session::check_csrf(&sess, form.csrf_token.as_deref())?;
    let ctx = sess.logout.clone();
    state.hub.sessions.remove(&sid);
    let target = match ctx.and_then(|c| c.post_logout_redirect_uri.map(|u| (u, c.state))) {
        // Normalised by the URL parser in both cases: a raw URI with CR/LF
        // would make a header-less redirect.
        Some((uri, st)) => match st {
            Some(s) => with_query(&uri, &[("state", &s)]),
            None => with_query(&uri, &[]),
        },
        None => url(state, p::SESSION_END_SUCCESS),
    };
    Ok((StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, target)]).into_response())
}

/// `GET /api/v2/session/end/success`.
pub(crate) async fn session_end_success() -> Response {
    render(
        StatusCode::OK,
        &MessagePage {
            heading: "Vous êtes déconnecté(e)",
            body: "Votre session FranceConnect (bac à sable fcmock) est terminée.",
        },
    )
}
