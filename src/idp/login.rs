//! The provider's browser side: authorize (checks, then the login page in the
//! provider's credential style), login (a persona's account, or a magic
//! persona's fault), and cancel back to FranceConnect.

use super::login_page::{Listing, login_page};
use super::*;
use crate::config::fault::EchoFault;

pub(super) async fn authorize(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let params = parse_form(q.as_deref().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let bad = |msg: String| IdpError::page(StatusCode::BAD_REQUEST, msg);
    if get("client_id").as_deref() != Some(rt.config.hub_client_id.as_str()) {
        return Err(bad(format!(
            "client_id inconnu : ce fournisseur n'a qu'un client, FranceConnect (`{}`).",
            rt.config.hub_client_id
        )));
    }
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    if !is_hub_url(&state, p::OIDC_CALLBACK, Some(&redirect_uri)) {
        return Err(bad(format!(
            "redirect_uri non enregistrée ; attendue : {}",
            hub_urls(&state, p::OIDC_CALLBACK).join(" ou ")
        )));
    }
    if get("response_type").as_deref() != Some("code") {
        return Err(bad("response_type doit valoir `code`.".to_owned()));
    }
    if !get("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")) {
        return Err(bad("scope doit contenir `openid`.".to_owned()));
    }
    let (Some(st), Some(nonce)) = (
        get("state").filter(|s| !s.is_empty()),
        get("nonce").filter(|s| !s.is_empty()),
    ) else {
        return Err(bad("state et nonce sont obligatoires.".to_owned()));
    };
    let uid = state.rng.token();
    let inter = IdpInteraction {
        redirect_uri,
        state: OAuthState::new(st),
        nonce: Nonce::new(nonce),
        acr_requested: get("acr_values").and_then(|a| a.split(' ').next().map(str::to_owned)),
        login_hint: get("login_hint"),
    };
    let now = state.clock.now_ms();
    if let Some(flow) = state.journal.flow_of(inter.state.as_str(), now) {
        state.journal.link(&uid, &flow, now);
    }
    rt.interactions
        .insert(uid.clone(), inter.clone(), now + INTERACTION_TTL_MS);
    Ok(login_page(
        &state,
        &rt,
        &uid,
        &inter,
        None,
        inter.login_hint.clone().unwrap_or_default(),
        &Listing::default(),
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct LoginForm {
    interaction: Option<String>,
    login: Option<String>,
    password: Option<String>,
    acr: Option<String>,
}

pub(super) async fn login(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    rc: Option<axum::Extension<RequestContext>>,
    crate::web::PageForm(form): crate::web::PageForm<LoginForm>,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let uid = form.interaction.unwrap_or_default();
    let now = state.clock.now_ms();
    let Some(inter) = rt.interactions.get(&uid, now) else {
        return Err(IdpError::page(
            StatusCode::BAD_REQUEST,
            "Cette page de connexion a expiré. Recommencez depuis le service.",
        ));
    };
    let login = form.login.unwrap_or_default().trim().to_owned();
    let password = form.password.unwrap_or_default();
    let cfg = state.config();
    let found = cfg.personas.by_login(&id, &login);
    let Some((persona, account)) = found.filter(|(_, a)| a.password == password) else {
        return Ok(login_page(
            &state,
            &rt,
            &uid,
            &inter,
            Some("Identifiant ou mot de passe incorrect."),
            login,
            &Listing::default(),
        ));
    };
    let acr = form
        .acr
        .filter(|a| rt.config.acr.contains(a))
        .or_else(|| inter.acr_requested.clone().filter(|a| rt.config.acr.contains(a)))
        .or_else(|| rt.config.acr.first().cloned())
        .unwrap_or_default();
    rt.interactions.remove(&uid);
    let code = state.rng.token();
    let grant = IdpGrant {
        redirect_uri: inter.redirect_uri.clone(),
        sub: hex::encode(Sha256::digest(account.login.as_bytes())),
        identity: account.identity.clone(),
        nonce: inter.nonce.clone(),
        acr,
        auth_time: state.clock.now(),
    };
    if let Some(flow) = state.journal.flow_of(&uid, now) {
        state.journal.link(&code, &flow, now);
        state.journal.describe_flow(&flow, None, Some(&persona.id), now);
    }
    rt.codes.insert(code.clone(), grant, now + CODE_TTL_MS);
    // Scripted faults on the redirect back to FranceConnect.
    let mut state_param = Some(inter.state.as_str().to_owned());
    let mut code_param = Some(code);
    for action in content_faults(
        &state.scenarios,
        &state.rng,
        rc.as_deref(),
        &format!("idp.{id}.login"),
        Some(&persona.id),
    ) {
        if let Action::IdpRedirect { state: s, code_missing } = action {
            match s {
                Some(EchoFault::Missing) => state_param = None,
                Some(EchoFault::Wrong) => state_param = Some(format!("wrong-{}", state.rng.hex(8))),
                None => {}
            }
            if code_missing {
                code_param = None;
            }
        }
    }
    let mut params: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = &code_param {
        params.push(("code", c));
    }
    if let Some(s) = &state_param {
        params.push(("state", s));
    }
    Ok(Redirect::to(&with_query(&inter.redirect_uri, &params)).into_response())
}

/// Applies an identity provider's claim faults.
pub(super) fn spoil_idp_claims(
    state: &IdpState,
    rc: Option<&RequestContext>,
    endpoint: &str,
    claims: &mut Map<String, Value>,
) {
    for action in content_faults(&state.scenarios, &state.rng, rc, endpoint, None) {
        if let Action::IdpClaims { drop, set } = action {
            for (k, v) in set {
                claims.insert(k, v);
            }
            for k in drop {
                claims.remove(&k);
            }
        }
    }
}

pub(super) async fn cancel(
    State(state): State<IdpState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, IdpError> {
    let rt = runtime(&state, &id)?;
    let uid = parse_form(q.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "interaction")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let Some(inter) = rt.interactions.take(&uid, state.clock.now_ms()) else {
        return Err(IdpError::page(
            StatusCode::BAD_REQUEST,
            "Cette page de connexion a expiré.",
        ));
    };
    Ok(Redirect::to(&with_query(
        &inter.redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "User canceled the authentication"),
            ("state", inter.state.as_str()),
        ],
    ))
    .into_response())
}
