//! The browser-facing steps of a login: the IdP wall, the jump to the
//! identity provider, the verify step (RNIPP and `sub`), consent, and the
//! final redirect to the service provider with a code.

use crate::web::PageForm;
use crate::web::fr;
use axum::Extension;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::back::{ABORTED, TECHNICAL, back_link, offer_way_back};
use super::error::HubError;
use super::idp_client as fi;
use super::session::{client_of, load_interaction};
use super::view::PlatformView;
use super::{AccessGrant, CodeGrant, Interaction, Login, Session, Step, rnipp, session};
use crate::config::{Client, ClientType};
use crate::crypto::sub::compute_sub;
use crate::identity::IdentityProblem;
use crate::journal::RequestContext;
use crate::oidc::form::with_query;
use crate::oidc::scopes;
use crate::paths::platform as p;
use crate::web::{ConsentPage, WallPage, render};

fn url(state: &PlatformView, path: &str) -> String {
    state.url(path)
}

fn save_interaction(state: &PlatformView, inter: Interaction) {
    let ttl = i64::try_from(state.session_ttl()).unwrap_or(1800) * 1000;
    state
        .hub
        .interactions
        .insert(inter.uid.clone(), inter, state.clock.now_ms() + ttl);
}

/// `GET /interaction/{uid}`: the wall, or the next step if the identity is known (SSO).
pub(crate) async fn wall(state: PlatformView, jar: CookieJar, Path(uid): Path<String>) -> Result<Response, HubError> {
    let (_, sess, inter) = load_interaction(&state, &jar, Some(&uid))?;
    if matches!(inter.step, Step::Authenticated(_)) {
        return Ok(super::error::found(&url(&state, &p::interaction_verify(&uid))));
    }
    if matches!(inter.step, Step::Verified { .. }) {
        return Ok(super::error::found(&url(&state, &p::interaction_consent(&uid))));
    }
    let client = client_of(&state, &inter)?;
    let idps = state
        .config()
        .idps
        .iter()
        .filter(|i| i.platforms.contains(&state.kind))
        .map(|i| {
            // Greyed out when the provider cannot reach the requested level, or
            // when the service excludes it: FranceConnect shows excluded
            // providers disabled, not hidden
            // (fournisseur-identite-blacklist-whitelist-fcp-low.feature).
            let reaches = i.level_for(&inter.request.acr).is_some();
            (
                i.id.clone(),
                i.name.clone(),
                i.active && reaches && client.allows_idp(&i.id),
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &WallPage {
            brand: brand(&state),
            sp_name: &client.name,
            idps,
            csrf: &sess.csrf,
            redirect_to_idp: url(&state, p::REDIRECT_TO_IDP),
            back_url: with_query(
                &url(&state, p::REDIRECT_TO_SP_WITH_ERROR),
                &[("error", ABORTED.0), ("error_description", ABORTED.1)],
            ),
            banner: inter.banner.clone(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RedirectToIdpForm {
    #[serde(rename = "providerUid")]
    provider_uid: Option<String>,
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
}

/// `POST /redirect-to-idp`: the user picked an identity provider.
pub(crate) async fn redirect_to_idp(
    state: PlatformView,
    jar: CookieJar,
    PageForm(form): PageForm<RedirectToIdpForm>,
) -> Result<Response, HubError> {
    redirect_to_idp_inner(&state, &jar, form)
        .await
        .map_err(|e| offer_way_back(&state, &jar, e))
}

async fn redirect_to_idp_inner(
    state: &PlatformView,
    jar: &CookieJar,
    form: RedirectToIdpForm,
) -> Result<Response, HubError> {
    let (_, sess, mut inter) = load_interaction(state, jar, None)?;
    session::check_csrf(&sess, form.csrf_token.as_deref())?;
    let client = client_of(state, &inter)?;
    let Some(idp_id) = form.provider_uid.filter(|s| !s.is_empty()) else {
        return Err(HubError::page(
            "Y030007",
            "le champ providerUid est absent du formulaire",
        ));
    };
    let cfg = state.config();
    let Some(idp) = cfg.idp(&idp_id) else {
        return Err(HubError::page(
            "Y020019",
            format!("aucun fournisseur d'identité `{idp_id}`"),
        ));
    };
    if !idp.platforms.contains(&state.kind) {
        return Err(HubError::page(
            "Y020019",
            format!(
                "le fournisseur d'identité `{idp_id}` n'est pas disponible sur {} (réglage platforms)",
                state.kind.label()
            ),
        ));
    }
    if idp.level_for(&inter.request.acr).is_none() {
        return Err(level_unreachable(idp, &inter.request.acr));
    }
    if !idp.active {
        return Err(HubError::page(
            "Y020017",
            format!("le fournisseur d'identité `{idp_id}` est désactivé"),
        ));
    }
    if !client.allows_idp(&idp_id) {
        return Err(HubError::page(
            "Y020023",
            format!(
                "le client `{}` exclut le fournisseur d'identité `{idp_id}` (réglages idps / excluded_idps)",
                client.name
            ),
        ));
    }
    let (target, st, nonce) = fi::authorize_url(state, &idp_id, &inter.request.acr).await?;
    state.journal.link(st.as_str(), &inter.uid, state.clock.now_ms());
    inter.step = Step::AtIdp {
        idp: idp_id,
        state: st,
        nonce,
    };
    inter.banner = None;
    save_interaction(state, inter);
    Ok(super::error::found(&target))
}

/// The page for a provider that cannot reach the requested level (`Y020017`).
pub(crate) fn level_unreachable(idp: &crate::config::IdpConfig, requested: &str) -> HubError {
    HubError::page(
        "Y020017",
        format!(
            "le fournisseur d'identité `{}` n'atteint pas le niveau {requested} demandé (il offre {})",
            idp.id,
            idp.acr.join(", ")
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(rename = "csrfToken")]
    csrf_token: Option<String>,
    consent: Option<String>,
}

/// Formats identity problems for page `Y600006`.
pub(crate) fn describe_problems(problems: &[IdentityProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{} : {}", p.claim, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The verify step: RNIPP outcome, then the pairwise `sub` for the client.
/// `persona` (when known) lets scenario faults bound to it fire.
pub(crate) fn verify_identity(
    state: &PlatformView,
    inter: &Interaction,
    login: Login,
    persona: Option<&str>,
) -> Result<(Login, String), HubError> {
    let client = client_of(state, inter)?;
    // Headless logins reach here without the verify page's error handling:
    // the way back is added here for both.
    rnipp::check(state, &login.identity, &client.client_id, persona).map_err(|e| {
        match back_link(state, inter, TECHNICAL) {
            Some((name, url)) => e.with_back(&name, &url),
            None => e,
        }
    })?;
    let sub = compute_sub(
        &client.entity_id,
        &login.identity.identity_hash,
        &state.config().platform.sub_secret,
    );
    Ok((login, sub))
}

/// Issues the authorization code and returns the redirect to the service provider.
pub(crate) fn issue_code(state: &PlatformView, inter: &Interaction, login: &Login, sub: &str) -> String {
    let req = &inter.request;
    let code = state.rng.token();
    let grant = AccessGrant {
        client_id: req.client_id.clone(),
        sub: sub.to_owned(),
        scopes: req.scopes.clone(),
        identity: login.identity.clone(),
        raw: login.raw.clone(),
        plus: state.is_plus(),
        idp: login.idp.clone(),
        // FranceConnect v2 always returns eidas1, whatever the identity provider said;
        // FranceConnect+ returns the identity provider's acr (never below the request).
        acr: if state.is_plus() {
            login.idp_acr.clone()
        } else {
            req.acr.clone()
        },
        amr: std::iter::once("fc".to_owned())
            .chain(login.amr.iter().cloned())
            .collect(),
        amr_in_id_token: req.amr_requested,
        auth_time: login.auth_time,
        issued_at: 0,
        expires_at: 0,
    };
    let ttl = i64::try_from(state.config().platform.code_ttl).unwrap_or(30) * 1000;
    state.journal.link(&code, &inter.uid, state.clock.now_ms());
    state.hub.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            grant,
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
        },
        state.clock.now_ms() + ttl,
    );
    with_query(
        &req.redirect_uri,
        &[("code", &code), ("state", req.state.as_str()), ("iss", state.issuer())],
    )
}

/// `GET /interaction/{uid}/verify`.
pub(crate) async fn verify(
    state: PlatformView,
    jar: CookieJar,
    Path(uid): Path<String>,
    rc: Option<Extension<RequestContext>>,
) -> Result<Response, HubError> {
    let persona = rc.as_ref().and_then(|r| r.persona.as_deref());
    verify_inner(&state, &jar, &uid, persona).map_err(|e| offer_way_back(&state, &jar, e))
}

fn verify_inner(state: &PlatformView, jar: &CookieJar, uid: &str, persona: Option<&str>) -> Result<Response, HubError> {
    let (sid, mut sess, mut inter) = load_interaction(state, jar, Some(uid))?;
    let login = match inter.step.clone() {
        Step::Authenticated(login) => login,
        Step::Verified { .. } => {
            return Ok(super::error::found(&url(state, &p::interaction_consent(uid))));
        }
        _ => {
            return Err(HubError::page(
                "Y190001",
                "aucune identité à vérifier : choisissez d'abord un fournisseur d'identité",
            ));
        }
    };
    let (login, sub) = verify_identity(state, &inter, login, persona)?;
    sess.sso = Some(login.clone());
    if inter.request.skip_consent {
        let target = issue_code(state, &inter, &login, &sub);
        state.hub.interactions.remove(uid);
        sess.interaction = None;
        session::save(state, &sid, sess);
        return Ok(super::error::found(&target));
    }
    inter.step = Step::Verified { login, sub };
    save_interaction(state, inter);
    session::save(state, &sid, sess);
    Ok(super::error::found(&url(state, &p::interaction_consent(uid))))
}

/// Whether this client gets the consent checkbox.
fn needs_checkbox(client: &Client, inter: &Interaction) -> bool {
    client.kind == ClientType::Private && client.identity_consent && !inter.request.is_anonymous()
}

fn consent_page(
    state: &PlatformView,
    sess: &Session,
    inter: &Interaction,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, HubError> {
    let client = client_of(state, inter)?;
    let Step::Verified { login, sub } = &inter.step else {
        return Err(HubError::page("Y190001", "l'identité n'a pas encore été vérifiée"));
    };
    let idp_name = state
        .config()
        .idp(&login.idp)
        .map_or(login.idp.clone(), |i| i.name.clone());
    let rows = scopes::claims_on(&inter.request.scopes, state.is_plus())
        .into_iter()
        .filter(|c| *c != "given_name_array")
        .filter_map(|c| {
            let id = &login.identity;
            let value = match c {
                "sub" => Some(sub.clone()),
                "given_name" => Some(id.given_name.clone()),
                "family_name" => Some(id.family_name.clone()),
                "preferred_username" => id.preferred_username.clone(),
                // Written for the citizen, as FranceConnect's consent page does.
                "birthdate" => Some(fr::date(&id.birthdate)),
                "idp_birthdate" => Some(fr::date(&id.idp_birthdate)),
                "gender" => Some(fr::gender(&id.gender).to_owned()),
                "birthplace" if id.birthplace.is_empty() => Some(String::new()),
                "birthplace" => Some(fr::commune(&id.birthplace)),
                "birthcountry" => Some(fr::country(&id.birthcountry)),
                "email" => id.email.clone(),
                "amr" => Some(login.amr.join(" ")),
                "idp_id" => Some(login.idp.clone()),
                _ => None,
            }?;
            Some((scopes::label_fr(c), c, value))
        })
        .collect();
    Ok(render(
        status,
        &ConsentPage {
            brand: brand(state),
            sp_name: &client.name,
            idp_name: &idp_name,
            anonymous: inter.request.is_anonymous(),
            checkbox: needs_checkbox(&client, inter),
            rows,
            csrf: &sess.csrf,
            action: url(state, p::LOGIN),
            error,
        },
    ))
}

/// `GET /interaction/{uid}/consent`.
pub(crate) async fn consent(
    state: PlatformView,
    jar: CookieJar,
    Path(uid): Path<String>,
) -> Result<Response, HubError> {
    let (_, sess, inter) = load_interaction(&state, &jar, Some(&uid))?;
    consent_page(&state, &sess, &inter, None, StatusCode::OK).map_err(|e| offer_way_back(&state, &jar, e))
}

/// `POST /login`: the user confirmed; back to the service provider with a code.
pub(crate) async fn login(
    state: PlatformView,
    jar: CookieJar,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, HubError> {
    login_inner(&state, &jar, &form).map_err(|e| offer_way_back(&state, &jar, e))
}

fn login_inner(state: &PlatformView, jar: &CookieJar, form: &CsrfForm) -> Result<Response, HubError> {
    let (sid, mut sess, inter) = load_interaction(state, jar, None)?;
    session::check_csrf(&sess, form.csrf_token.as_deref())?;
    let client = client_of(state, &inter)?;
    let Step::Verified { login, sub } = &inter.step else {
        return Err(HubError::page("Y190001", "l'identité n'a pas encore été vérifiée"));
    };
    if needs_checkbox(&client, &inter) && form.consent.as_deref() != Some("true") {
        return consent_page(
            state,
            &sess,
            &inter,
            Some("Cochez la case pour accepter la transmission de vos données."),
            StatusCode::BAD_REQUEST,
        );
    }
    let target = issue_code(state, &inter, login, sub);
    state.hub.interactions.remove(&inter.uid);
    sess.interaction = None;
    session::save(state, &sid, sess);
    Ok((StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, target)]).into_response())
}

/// The platform's name in a page's header.
fn brand(state: &PlatformView) -> &'static str {
    if state.is_plus() {
        "FranceConnect+"
    } else {
        "FranceConnect"
    }
}
