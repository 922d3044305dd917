//! `GET|POST /api/v2/authorize`: validating a service provider's request.
//!
//! The checks run in FranceConnect's order. First the request's shape (its
//! `AuthorizeParamsDto`): any missing or malformed mandatory parameter gives
//! page `Y030007` and no redirect. Then the client (`Y04EA6EF`) and its
//! redirect URI (`Y04C013C`). Only then are errors redirected to the service
//! provider: `response_type`, `scope`, `acr_values`, `idp_hint`.

use std::collections::HashMap;

use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::error::HubError;
use super::idp_client as fi;
use super::view::PlatformView;
use super::{Interaction, Login, NextLogin, Step, headless, interaction, session};
use crate::config::{Client, Config, PlatformKind};
use crate::oidc::form::{Pair, pairs};
use crate::oidc::ids::{Nonce, OAuthState};
use crate::oidc::scopes;
use crate::paths::platform as p;

/// Parameters FranceConnect's validator knows (authorize-params.dto.ts; the
/// pipe is `forbidNonWhitelisted`, oidc-provider.controller.ts).
const KNOWN_PARAMS: [&str; 11] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "acr_values",
    "nonce",
    "state",
    "prompt",
    "claims",
    "idp_hint",
    "ui_locales",
];

/// PKCE's parameters: FranceConnect's authorize DTO does not list them, so
/// its validation refuses them (Y030007), although its discovery advertises
/// `code_challenge_methods_supported`. Accepted only with `platform.accept_pkce`.
const PKCE_PARAMS: [&str; 2] = ["code_challenge", "code_challenge_method"];

/// Why PKCE is refused, and how to turn it off in common libraries.
const PKCE_HELP: &str = "FranceConnect refuse PKCE à l'autorisation : sa validation rejette tout paramètre hors de sa liste, \
`code_challenge` et `code_challenge_method` compris, bien que sa découverte annonce `code_challenge_methods_supported`. \
Votre bibliothèque l'active sans doute d'elle-même en lisant la découverte ; désactivez-le, par exemple : \
ASP.NET Core `options.UsePkce = false` ; openid-client (Node, Strategy) `usePKCE: false` ; \
oidc-client-ts `disablePKCE: true` ; angular-auth-oidc-client `disablePkce: true` ; \
adaptateur JavaScript Keycloak `pkceMethod: false`. \
Pour tester malgré tout un client qui ne sait pas s'en passer : `platform.accept_pkce: true` (écart signalé au démarrage).";

/// FranceConnect's minimum nonce length.
pub(crate) const NONCE_MIN: usize = 22;

const ACR_ORDER: [&str; 3] = ["eidas1", "eidas2", "eidas3"];

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: OAuthState,
    pub(crate) nonce: Nonce,
    /// Known scopes requested, in request order (unknown ones dropped).
    pub(crate) scopes: std::sync::Arc<[String]>,
    pub(crate) acr: String,
    pub(crate) amr_requested: bool,
    /// `prompt=login` without `consent`, allowed for this client: no consent page.
    pub(crate) skip_consent: bool,
    pub(crate) idp_hint: Option<String>,
    pub(crate) code_challenge: Option<String>,
}

impl AuthorizeRequest {
    /// Whether only `openid` was requested (anonymous login).
    pub(crate) fn is_anonymous(&self) -> bool {
        self.scopes.iter().all(|s| s == "openid")
    }
}

pub(crate) async fn authorize_get(
    state: PlatformView,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, HubError> {
    start(&state, jar, &pairs(query.as_deref().unwrap_or(""))).await
}

pub(crate) async fn authorize_post(state: PlatformView, jar: CookieJar, body: String) -> Result<Response, HubError> {
    start(&state, jar, &pairs(&body)).await
}

async fn start(state: &PlatformView, jar: CookieJar, params: &[Pair<'_>]) -> Result<Response, HubError> {
    let config = state.config();
    let rules = Rules {
        config: &config,
        kind: state.kind,
        issuer: state.issuer(),
        public_url: &state.urls.public,
    };
    match validate(&rules, params) {
        Ok(req) => begin_interaction(state, jar, req).await,
        // A refusal consumes the login queued for the client (platform::queue).
        Err(e) => Ok(super::queue::refused(state, params, e)),
    }
}

/// What authorize validation reads: the configuration in force and which
/// platform the request came to. Nothing else: validation is a pure function.
pub(crate) struct Rules<'a> {
    pub(crate) config: &'a Config,
    pub(crate) kind: PlatformKind,
    /// This platform's issuer (`iss` on redirected errors).
    pub(crate) issuer: &'a str,
    /// fcmock's public URL (named in explanations).
    pub(crate) public_url: &'a str,
}

impl Rules<'_> {
    fn is_plus(&self) -> bool {
        self.kind == PlatformKind::Fcplus
    }
}

/// Names at most this many parameters in an explanation.
const NAMED_AT_MOST: usize = 10;
/// Cuts each named parameter to this many characters.
const NAME_CHARS: usize = 40;

/// A bounded list of parameter names for an explanation: a request with
/// thousands of junk parameters gets a page and a log line of a few lines.
fn summarise(names: &[&str]) -> String {
    let mut shown: Vec<String> = names
        .iter()
        .take(NAMED_AT_MOST)
        .map(|n| {
            let cut: String = n.chars().take(NAME_CHARS).collect();
            if cut.len() < n.len() {
                format!("`{cut}…`")
            } else {
                format!("`{cut}`")
            }
        })
        .collect();
    if names.len() > NAMED_AT_MOST {
        shown.push(format!("et {} autres", names.len() - NAMED_AT_MOST));
    }
    shown.join(", ")
}

/// Validates an authorization request (every rule of FranceConnect v2 and
/// FranceConnect+), or says which error surface answers it.
pub(crate) fn validate<K, V>(state: &Rules<'_>, params: &[(K, V)]) -> Result<AuthorizeRequest, HubError>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let cfg = state.config;
    // An authorize request has about a dozen parameters.
    let mut map: HashMap<&str, &str> = HashMap::with_capacity(params.len().clamp(8, 32));
    let mut problems: Vec<String> = Vec::new();
    let mut repeated: Vec<&str> = Vec::new();
    for (k, v) in params {
        let k = k.as_ref();
        if map.insert(k, v.as_ref()).is_some() && !repeated.contains(&k) {
            repeated.push(k);
        }
    }
    if !repeated.is_empty() {
        problems.push(format!(
            "paramètre(s) présent(s) plusieurs fois : {}",
            summarise(&repeated)
        ));
    }
    if !cfg.platform.accept_pkce && PKCE_PARAMS.iter().any(|k| map.contains_key(k)) {
        problems.push(PKCE_HELP.to_owned());
    }
    if cfg.platform.reject_unknown_authorize_params {
        let mut unknown: Vec<&str> = map
            .keys()
            .copied()
            .filter(|k| !KNOWN_PARAMS.contains(k) && !PKCE_PARAMS.contains(k))
            .collect();
        unknown.sort_unstable();
        if !unknown.is_empty() {
            problems.push(format!(
                "paramètre(s) inconnu(s) : {} (FranceConnect n'accepte que : {})",
                summarise(&unknown),
                KNOWN_PARAMS.join(", ")
            ));
        }
    }
    let get = |k: &str| map.get(k).copied();
    let require = |name: &str, problems: &mut Vec<String>| -> String {
        match get(name) {
            Some(v) if !v.is_empty() => v.to_owned(),
            Some(_) => {
                problems.push(format!("le paramètre obligatoire `{name}` est vide"));
                String::new()
            }
            None => {
                problems.push(format!("le paramètre obligatoire `{name}` est absent"));
                String::new()
            }
        }
    };
    let client_id = require("client_id", &mut problems);
    let redirect_uri = require("redirect_uri", &mut problems);
    // An empty scope is redirected below (no openid); a missing one is a page.
    let scope = match get("scope") {
        Some(v) => v.to_owned(),
        None => require("scope", &mut problems),
    };
    // Mandatory on both platforms: authorize-params.dto.ts has no
    // @IsOptional on acr_values, and api-authorize.feature (@fcpHigh) expects
    // Y030007 without it on FranceConnect+ too.
    let acr_values = require("acr_values", &mut problems);
    // A missing response_type is a page; an empty one is redirected below
    // (api-authorize.feature l.50-69).
    if get("response_type").is_none() {
        problems.push("le paramètre obligatoire `response_type` est absent".to_owned());
    }
    let nonce = require("nonce", &mut problems);
    let st = require("state", &mut problems);
    if !redirect_uri.is_empty() && url::Url::parse(&redirect_uri).is_err() {
        problems.push(format!("`redirect_uri` n'est pas une URL absolue : `{redirect_uri}`"));
    }
    if !nonce.is_empty() && nonce.chars().count() < NONCE_MIN {
        problems.push(format!(
            "`nonce` doit contenir au moins {NONCE_MIN} caractères (reçu : {}) ; la documentation recommande au moins 32",
            nonce.chars().count()
        ));
    }
    let prompt = get("prompt");
    if let Some(pr) = prompt {
        let words: Vec<&str> = pr.split(' ').collect();
        let ok = !pr.is_empty() && words.iter().all(|w| *w == "login" || *w == "consent");
        if !ok {
            problems.push(format!(
                "`prompt` vaut `{pr}` ; FranceConnect n'accepte que `login`, `consent` ou `login consent`"
            ));
        }
    }
    let mut amr_requested = false;
    if let Some(claims) = get("claims") {
        match serde_json::from_str::<serde_json::Value>(claims) {
            Ok(v) if v.is_object() => amr_requested = v.pointer("/id_token/amr").is_some(),
            _ => problems.push(format!("`claims` n'est pas un objet JSON : `{claims}`")),
        }
    }
    if !problems.is_empty() {
        return Err(HubError::page("Y030007", problems.join("\n")));
    }

    let Some(client) = cfg.client(&client_id).filter(|c| c.platform == state.kind) else {
        if let Some(other) = cfg.client(&client_id) {
            return Err(HubError::page(
                "Y04EA6EF",
                format!(
                    "client_id `{client_id}` est enregistré sur {}, pas sur {} : vérifiez l'émetteur (issuer) configuré",
                    other.platform.label(),
                    state.kind.label()
                ),
            ));
        }
        return Err(HubError::page(
            "Y04EA6EF",
            format!(
                "client_id `{client_id}` inconnu de cette plateforme. Clients enregistrés : voir {}/_fcmock/api/clients",
                state.public_url
            ),
        ));
    };
    if !client.accepts_redirect_uri(&redirect_uri) {
        // node-oidc-provider checks the openid scope first: without it, an
        // unregistered redirect_uri gives Y040001 (api-authorize.feature l.223-234).
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(HubError::page(
                "Y040001",
                format!(
                    "le scope ne contient pas `openid`, et {}",
                    redirect_help(client, &redirect_uri)
                ),
            ));
        }
        return Err(HubError::page("Y04C013C", redirect_help(client, &redirect_uri)));
    }

    let iss = state.issuer;
    let redirect = |error: &'static str, description: String| {
        HubError::redirect(&redirect_uri, Some(&st), iss, error, description)
    };
    match get("response_type").unwrap_or_default() {
        "" => {
            return Err(redirect(
                "invalid_request",
                "missing required parameter 'response_type'".to_owned(),
            ));
        }
        "code" => {}
        // Types that would answer in the fragment get their error there
        // (api-authorize.feature l.116-154).
        "id_token" | "id_token token" | "code id_token" | "code token" => {
            return Err(redirect(
                "unsupported_response_type",
                "unsupported response_type requested".to_owned(),
            )
            .in_fragment());
        }
        _ => {
            return Err(redirect(
                "unsupported_response_type",
                "unsupported response_type requested".to_owned(),
            ));
        }
    }
    let requested: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !requested.contains(&"openid") {
        return Err(redirect(
            "invalid_request",
            "openid scope must be requested when using the acr_values parameter".to_owned(),
        ));
    }
    let mut scopes_out: Vec<String> = Vec::new();
    for s in requested {
        if !scopes::is_known_on(s, state.is_plus()) {
            continue; // FranceConnect silently ignores scopes it does not know
        }
        let allowed = s == "openid" || client.scopes.as_ref().is_none_or(|list| list.iter().any(|a| a == s));
        if !allowed {
            return Err(redirect("invalid_scope", "requested scope is not allowed".to_owned()));
        }
        if !scopes_out.iter().any(|x| x == s) {
            scopes_out.push(s.to_owned());
        }
    }
    // FranceConnect+ refuses any list naming eidas1, with or without other
    // values (connexion-acr-fcp-high.feature, "niveau non autorisé").
    if state.is_plus() && acr_values.split(' ').any(|v| v == "eidas1") {
        return Err(redirect(
            "invalid_acr",
            "acr_value is not valid, should be equal one of these values, expected eidas2,eidas3, got eidas1"
                .to_owned(),
        ));
    }
    let acr = if state.is_plus() {
        pick_acr_plus(&acr_values)
    } else {
        pick_acr(&acr_values)
    };
    if !state.is_plus() && acr != "eidas1" {
        return Err(redirect(
            "invalid_acr",
            format!("acr_value is not valid, should be equal one of these values, expected eidas1, got {acr}"),
        ));
    }
    if amr_requested && !client.claims.iter().any(|c| c == "amr") {
        return Err(HubError::page(
            "Y100009",
            format!(
                "le paramètre claims demande `amr` mais le client `{}` n'y est pas autorisé (réglage `claims: [amr]` du client)",
                client.name
            ),
        )
        .with_back(
            &client.name,
            &super::back::back_url(&redirect_uri, &st, super::back::TECHNICAL),
        ));
    }
    let idp_hint = get("idp_hint").map(str::to_owned);
    if let Some(hint) = &idp_hint {
        // The client's own list, when it has one, replaces the global list
        // (FranceConnect keeps allowedIdpHints per service provider).
        let listed = client
            .allowed_idp_hints
            .as_ref()
            .unwrap_or(&cfg.platform.allowed_idp_hints)
            .iter()
            .any(|h| h == hint);
        let usable = cfg
            .idp(hint)
            .is_some_and(|i| i.active && i.platforms.contains(&state.kind))
            && client.allows_idp(hint);
        if !(listed && usable) {
            return Err(redirect(
                "invalid_idp_hint",
                "An idp_hint was provided but is not allowed".to_owned(),
            ));
        }
    }
    // Only reached with `platform.accept_pkce` (refused above otherwise).
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(c), Some("S256")) => Some(c.to_owned()),
        (Some(_), _) => {
            return Err(redirect(
                "invalid_request",
                "only the S256 code_challenge_method is supported".to_owned(),
            ));
        }
        (None, _) => None,
    };
    let skip_consent = prompt == Some("login") && client.allowed_prompts.iter().any(|p| p == "login");
    Ok(AuthorizeRequest {
        client_id,
        redirect_uri,
        state: OAuthState::new(st),
        nonce: Nonce::new(nonce),
        scopes: scopes_out.into(),
        acr,
        amr_requested,
        skip_consent,
        idp_hint,
        code_challenge,
    })
}

/// FranceConnect+'s acr choice: eidas2 and eidas3 are known, the lowest wins,
/// and unknown values alone mean eidas3 (eidas1 is refused before).
fn pick_acr_plus(values: &str) -> String {
    let known: Vec<&str> = values.split(' ').filter(|v| *v == "eidas2" || *v == "eidas3").collect();
    if known.contains(&"eidas2") {
        "eidas2".to_owned()
    } else {
        "eidas3".to_owned()
    }
}

/// FranceConnect's acr choice: unknown values fall back to eidas1, the lowest known one wins.
fn pick_acr(values: &str) -> String {
    values
        .split(' ')
        .filter_map(|v| ACR_ORDER.iter().position(|a| *a == v))
        .min()
        .and_then(|i| ACR_ORDER.get(i))
        .map_or_else(|| "eidas1".to_owned(), |a| (*a).to_owned())
}

fn redirect_help(client: &Client, uri: &str) -> String {
    let mut text = format!(
        "redirect_uri `{uri}` n'est pas enregistrée pour le client `{}`. URI enregistrées : {}",
        client.name,
        if client.redirect_uris.is_empty() {
            "(aucune)".to_owned()
        } else {
            client.redirect_uris.join(", ")
        }
    );
    if client.allow_localhost_redirects {
        text.push_str(" ; ce client accepte aussi toute URI http://localhost:PORT/… ou http://127.0.0.1:PORT/…");
    }
    text.push_str(". FranceConnect exige une correspondance exacte (schéma, hôte, port, chemin et paramètres).");
    text
}

/// Creates the interaction and sends the browser to its next step.
async fn begin_interaction(state: &PlatformView, jar: CookieJar, req: AuthorizeRequest) -> Result<Response, HubError> {
    let (jar, sid, mut sess) = session::load_or_create(state, jar);
    let client = state
        .config()
        .client(&req.client_id)
        .cloned()
        .ok_or_else(|| HubError::internal("client vanished"))?;
    let uid = state.rng.uuid().to_string();
    let headless = state.hub.pop_next_login(&client.client_id).or_else(|| {
        client.auto_login.as_ref().map(|a| NextLogin {
            persona: a.persona.clone(),
            idp: a.idp.clone(),
        })
    });
    let now = state.clock.now_ms();
    let ttl = i64::try_from(state.session_ttl()).unwrap_or(1800) * 1000;
    // The interaction uid is the flow id; the session leads to it too.
    state.journal.describe_flow(
        &uid,
        Some(&client.client_id),
        headless.as_ref().map(|n| n.persona.as_str()),
        now,
    );
    state.journal.link(&sid, &uid, now);
    let mut inter = Interaction {
        uid: uid.clone(),
        session_id: sid.clone(),
        request: req,
        step: Step::Wall,
        banner: None,
    };

    if let Some(next) = headless {
        // Through the provider when one of its faults could fire (platform::headless).
        let login = if headless::faults_at_provider(state, &client.client_id, &next) {
            match headless::through_provider(state, &uid, &next, &inter.request.acr).await? {
                headless::Outcome::Login(login) => Some(login),
                headless::Outcome::Wall(banner) => {
                    inter.banner = Some(banner);
                    None
                }
                headless::Outcome::AtProvider(page) => return Ok((jar, page).into_response()),
            }
        } else {
            Some(headless_login(state, &next, &inter.request.acr)?)
        };
        if let Some(login) = login {
            let (login, sub) = interaction::verify_identity(state, &inter, login, Some(&next.persona))?;
            sess.sso = Some(login.clone());
            session::save(state, &sid, sess);
            let target = interaction::issue_code(state, &inter, &login, &sub);
            return Ok((jar, super::error::found(&target)).into_response());
        }
    }

    // SSO: FranceConnect v2 always; FranceConnect+ only at eidas2.
    let sso_allowed = !state.is_plus() || inter.request.acr == "eidas2";
    let target = if inter.banner.is_some() {
        // Back from a headless attempt the provider refused: the wall says why.
        state.url(&p::interaction(&uid))
    } else if let Some(mut login) = sess.sso.clone().filter(|l| sso_allowed && client.allows_idp(&l.idp)) {
        if state.is_plus() {
            // FranceConnect+ answers an SSO login at the level asked, eidas2, even
            // after an eidas3 login (connexion-sso-fcp-high.feature, "1er FS
            // demande de l'élevé et 2ème FS demande du substantiel").
            login.idp_acr = inter.request.acr.clone();
        }
        inter.step = Step::Authenticated(login);
        state.url(&p::interaction(&uid))
    } else if let Some(hint) = inter.request.idp_hint.clone() {
        let (url, st, nonce) = fi::authorize_url(state, &hint, &inter.request.acr).await?;
        state.journal.link(st.as_str(), &uid, now);
        inter.step = Step::AtIdp {
            idp: hint,
            state: st,
            nonce,
        };
        url
    } else {
        state.url(&p::interaction(&uid))
    };
    state.hub.interactions.insert(uid.clone(), inter, now + ttl);
    sess.interaction = Some(uid);
    session::save(state, &sid, sess);
    Ok((jar, super::error::found(&target)).into_response())
}

/// The login a headless request stands for, as if the identity provider had answered.
fn headless_login(state: &PlatformView, next: &NextLogin, requested_acr: &str) -> Result<Login, HubError> {
    let cfg = state.config();
    let persona = cfg
        .persona(&next.persona)
        .ok_or_else(|| HubError::internal(format!("persona `{}` inconnue", next.persona)))?;
    let account = persona.account(&next.idp).ok_or_else(|| {
        HubError::internal(format!(
            "la persona `{}` n'a pas de compte chez `{}`",
            persona.id, next.idp
        ))
    })?;
    let idp = cfg
        .idp(&next.idp)
        .ok_or_else(|| HubError::internal(format!("fournisseur d'identité `{}` inconnu", next.idp)))?;
    let problems = crate::identity::check_fi_identity(&account.identity);
    if !problems.is_empty() {
        return Err(HubError::page("Y600006", interaction::describe_problems(&problems)));
    }
    // As the provider's login page would: the requested level if it offers it,
    // else the lowest it has above it.
    let Some(acr) = idp.level_for(requested_acr).map(str::to_owned) else {
        return Err(interaction::level_unreachable(idp, requested_acr));
    };
    Ok(Login {
        idp: idp.id.clone(),
        identity: account.normalised(),
        raw: account.identity.clone(),
        idp_acr: acr,
        amr: idp.amr.clone(),
        auth_time: state.clock.now(),
        idp_id_token: None,
    })
}

#[cfg(test)]
mod tests;
