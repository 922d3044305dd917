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
    let ttl = i64::try_from(state.session_ttl()).unwrap_or(1800) * 1000;
    let code = match read_answer(&params, expected_state.as_str())? {
        ProviderAnswer::Code(code) => code,
        ProviderAnswer::Error { error, description } => {
            // FranceConnect sends the user back to the wall with the provider's error.
            inter.banner = Some(wall_banner(state, &idp, &error, &description));
            inter.step = Step::Wall;
            state.hub.interactions.insert(uid.clone(), inter, now + ttl);
            return Ok(super::error::found(&state.url(&p::interaction(&uid))));
        }
    };
    let login = fi::exchange(state, &idp, &code, &nonce, &inter.request.acr).await?;
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

/// What an identity provider sent back to the callback: a code, or an error.
pub(super) enum ProviderAnswer {
    Code(String),
    Error { error: String, description: String },
}

/// The callback's checks on the provider's answer, in FranceConnect's order:
/// state present (Y020021) and the one sent (Y020022), then an error or a
/// code (Y020025 when neither).
pub(super) fn read_answer(params: &[(String, String)], expected_state: &str) -> Result<ProviderAnswer, HubError> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(got_state) = get("state").filter(|s| !s.is_empty()) else {
        return Err(HubError::page(
            "Y020021",
            "le paramètre state est absent de la réponse du fournisseur d'identité",
        ));
    };
    if got_state != expected_state {
        return Err(HubError::page(
            "Y020022",
            format!(
                "state reçu `{got_state}`, attendu `{expected_state}` (envoyé par FranceConnect au fournisseur d'identité)"
            ),
        ));
    }
    if let Some(error) = get("error") {
        return Ok(ProviderAnswer::Error {
            error: error.to_owned(),
            description: get("error_description").unwrap_or("").to_owned(),
        });
    }
    match get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(ProviderAnswer::Code(code.to_owned())),
        None => Err(HubError::page(
            "Y020025",
            "la réponse du fournisseur d'identité ne contient ni code ni error",
        )),
    }
}
