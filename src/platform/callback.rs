//! `GET /api/v2/oidc-callback`: the identity provider sends the user back.
//!
//! The hub checks the state, redeems the code at the identity provider's
//! token endpoint, verifies its id_token (signature, issuer, audience,
//! expiry, nonce), checks the acr, fetches userinfo and checks the identity,
//! each failure surfacing as FranceConnect's page for it.

use axum::extract::RawQuery;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use super::error::HubError;
use super::idp_client as fi;
use super::view::PlatformView;
use super::{Step, session};
use crate::oidc::form::parse_form;
use crate::paths::platform as p;

pub(crate) async fn oidc_callback(
    state: PlatformView,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, HubError> {
    callback(&state, &jar, query.as_deref().unwrap_or(""))
        .await
        .map_err(|e| super::back::offer_way_back(&state, &jar, e))
}

async fn callback(state: &PlatformView, jar: &CookieJar, query: &str) -> Result<Response, HubError> {
    let params = parse_form(query);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (_, sess) = session::load(state, jar)?;
    let uid = sess
        .interaction
        .clone()
        .ok_or_else(|| HubError::page("Y190001", "retour d'un fournisseur d'identité sans connexion en cours"))?;
    let now = state.clock.now_ms();
    let mut inter = state
        .hub
        .interactions
        .get(&uid, now)
        .ok_or_else(|| HubError::page("Y190001", format!("l'interaction `{uid}` a expiré")))?;
    let Step::AtIdp {
        idp,
        state: expected_state,
        nonce,
    } = inter.step.clone()
    else {
        return Err(HubError::page(
            "Y190001",
            "aucune redirection vers un fournisseur d'identité n'est en cours",
        ));
    };
    let Some(got_state) = get("state").filter(|s| !s.is_empty()) else {
        return Err(HubError::page(
            "Y020021",
            "le paramètre state est absent de la réponse du fournisseur d'identité",
        ));
    };
    if got_state != expected_state.as_str() {
        return Err(HubError::page(
            "Y020022",
            format!(
                "state reçu `{got_state}`, attendu `{expected_state}` (envoyé par FranceConnect au fournisseur d'identité)"
            ),
        ));
    }
    let ttl = i64::try_from(state.session_ttl()).unwrap_or(1800) * 1000;
    if let Some(error) = get("error") {
        // FranceConnect sends the user back to the wall with the provider's error.
        inter.banner = Some(wall_banner(state, &idp, error, get("error_description").unwrap_or("")));
        inter.step = Step::Wall;
        state.hub.interactions.insert(uid.clone(), inter, now + ttl);
        return Ok(super::error::found(&state.url(&p::interaction(&uid))));
    }
    let Some(code) = get("code").filter(|c| !c.is_empty()) else {
        return Err(HubError::page(
            "Y020025",
            "la réponse du fournisseur d'identité ne contient ni code ni error",
        ));
    };
    let login = fi::exchange(state, &idp, code, &nonce, &inter.request.acr).await?;
    inter.step = Step::Authenticated(login);
    state.hub.interactions.insert(uid.clone(), inter, now + ttl);
    Ok(super::error::found(&state.url(&p::interaction_verify(&uid))))
}

/// What the wall says when an identity provider sent the user back with an
/// error (a cancel is `access_denied`).
pub(super) fn wall_banner(state: &PlatformView, idp: &str, error: &str, description: &str) -> String {
    let idp_name = state.config().idp(idp).map_or(idp.to_owned(), |i| i.name.clone());
    if error == "access_denied" {
        format!("Vous avez annulé la connexion avec {idp_name}. Choisissez un autre compte ou revenez sur le service.")
    } else {
        format!("{idp_name} a renvoyé une erreur : {error} ({description}).")
    }
}
