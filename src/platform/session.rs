//! The `fc_session_id` cookie, CSRF tokens, and the interaction a session holds.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::error::HubError;
use super::view::PlatformView;
use super::{Interaction, Session};
use crate::config::Client;

/// FranceConnect's session cookie name.
pub const COOKIE: &str = crate::paths::SESSION_COOKIE;

fn ttl_ms(state: &PlatformView) -> i64 {
    i64::try_from(state.session_ttl()).unwrap_or(1800) * 1000
}

/// Saves `session` under `id` (sliding expiry).
pub(crate) fn save(state: &PlatformView, id: &str, session: Session) {
    let expires = state.clock.now_ms() + ttl_ms(state);
    state.hub.sessions.insert(id.to_owned(), session, expires);
}

/// The session of this browser, or a new one (and the cookie that carries it).
pub(crate) fn load_or_create(state: &PlatformView, jar: CookieJar) -> (CookieJar, String, Session) {
    let now = state.clock.now_ms();
    if let Some(id) = jar.get(COOKIE).map(|c| c.value().to_owned())
        && let Some(s) = state.hub.sessions.get(&id, now)
    {
        return (jar, id, s);
    }
    let id = state.rng.token();
    let session = Session {
        csrf: state.rng.token(),
        interaction: None,
        sso: None,
        logout: None,
    };
    let secure = state.urls.public.starts_with("https://");
    let cookie = Cookie::build((COOKIE, id.clone()))
        .path(state.prefix.to_string())
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .build();
    (jar.add(cookie), id, session)
}

/// The existing session of this browser, or page `Y190001`.
pub(crate) fn load(state: &PlatformView, jar: &CookieJar) -> Result<(String, Session), HubError> {
    let Some(id) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
        return Err(HubError::page(
            "Y190001",
            "aucun cookie fc_session_id : le navigateur n'a pas de session FranceConnect (cookies bloqués, ou parcours commencé dans un autre navigateur)",
        ));
    };
    match state.hub.sessions.get(&id, state.clock.now_ms()) {
        Some(s) => Ok((id, s)),
        None => Err(HubError::page(
            "Y190001",
            format!(
                "la session a expiré (durée de vie : {} s) ou n'existe pas",
                state.session_ttl()
            ),
        )),
    }
}

/// Checks a form's `csrfToken` against the session: missing or empty gives
/// `Y470002` (400), wrong gives `Y470001` (401), as FranceConnect's csrf
/// service does (libs/csrf csrf.service.ts; error-code enum BAD=1, MISSING=2;
/// information-consentement.feature).
pub(crate) fn check_csrf(session: &Session, token: Option<&str>) -> Result<(), HubError> {
    match token {
        None | Some("") => Err(HubError::page("Y470002", "le champ csrfToken est absent du formulaire")),
        Some(t) if t == session.csrf => Ok(()),
        Some(_) => Err(HubError::page(
            "Y470001",
            "le champ csrfToken ne correspond pas à la session (formulaire périmé ou envoyé depuis une autre session)",
        )),
    }
}

/// Loads the session and its interaction `uid` (which must be the current one).
pub(crate) fn load_interaction(
    state: &PlatformView,
    jar: &CookieJar,
    uid: Option<&str>,
) -> Result<(String, Session, Interaction), HubError> {
    let (sid, sess) = load(state, jar)?;
    let current = sess.interaction.clone().ok_or_else(|| {
        HubError::page(
            "Y190001",
            "la session n'a pas de connexion en cours : recommencez depuis le service",
        )
    })?;
    if let Some(uid) = uid
        && uid != current
    {
        return Err(HubError::page(
            "Y190001",
            format!(
                "l'interaction `{uid}` n'est pas celle de la session (`{current}`) : une autre connexion a été commencée dans ce navigateur"
            ),
        ));
    }
    let inter = state
        .hub
        .interactions
        .get(&current, state.clock.now_ms())
        .ok_or_else(|| HubError::page("Y190001", format!("l'interaction `{current}` a expiré")))?;
    if inter.session_id != sid {
        return Err(HubError::page(
            "Y190001",
            "l'interaction appartient à une autre session",
        ));
    }
    Ok((sid, sess, inter))
}

pub(crate) fn client_of(state: &PlatformView, inter: &Interaction) -> Result<std::sync::Arc<Client>, HubError> {
    state
        .config()
        .client(&inter.request.client_id)
        .cloned()
        .ok_or_else(|| HubError::internal("client de l'interaction introuvable"))
}
