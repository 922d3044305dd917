//! The hub as an OpenID Connect client of the identity providers.
//!
//! This is FranceConnect's side of the federation, done with the
//! `openidconnect` crate over real HTTP: the authorize URL (with
//! `prompt=login`, `acr_values` and 64-hex state and nonce), the code
//! exchange (`client_secret_post`), the id_token verification (signature
//! against the provider's JWKS, issuer, audience, expiry on the injected
//! clock, nonce), the acr checks, and userinfo. Built-in providers are
//! reached on fcmock's internal URL; external ones through their discovery
//! document.

use std::sync::Arc;

use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, RedirectUrl, Scope, TokenResponse as _, TokenUrl, UserInfoUrl,
};

use super::backchannel::BackChannel;
use super::error::HubError;
use super::idp_remote::{Endpoints, Reach, RemoteError};
use super::{Login, PlatformView};
use crate::config::{IdpConfig, IdpSource};
use crate::crypto::Alg;
use crate::identity::{check_fi_identity, normalise};
use crate::oidc::ids::{Nonce as IdNonce, OAuthState};
use crate::paths::platform as p;

/// The scopes FranceConnect v2 asks identity providers for.
const FI_SCOPES: [&str; 3] = ["profile", "email", "birth"];

fn idp_config(state: &PlatformView, idp: &str) -> Result<Arc<IdpConfig>, HubError> {
    state
        .config()
        .idp(idp)
        .cloned()
        .ok_or_else(|| HubError::page("Y020019", format!("aucun fournisseur d'identité `{idp}`")))
}

/// The hub's back channel to `idp` for this request.
fn back_channel(state: &PlatformView, idp: &IdpConfig) -> BackChannel {
    let external = matches!(idp.source, IdpSource::External { .. }).then_some((&state.journal, &state.clock));
    BackChannel::new(&state.http, &idp.id, state.flow.as_deref(), external)
}

fn reach<'a>(state: &'a PlatformView, bc: &'a BackChannel) -> Reach<'a> {
    Reach {
        remotes: &state.remotes,
        urls: &state.urls,
        bc,
        now_ms: state.clock.now_ms(),
    }
}

/// A discovery or JWKS problem as FranceConnect's page for a failed provider call.
fn remote_error(idp: &str, e: &RemoteError) -> HubError {
    HubError::page("Y020026", format!("fournisseur d'identité `{idp}` : {}", e.french()))
}

fn callback_url(state: &PlatformView) -> String {
    state.url(p::OIDC_CALLBACK)
}

/// The identity provider's end_session endpoint, if it has one.
pub(crate) async fn end_session_url(state: &PlatformView, idp: &str) -> Option<String> {
    let cfg = state.config().idp(idp)?.clone();
    let bc = back_channel(state, &cfg);
    reach(state, &bc).endpoints(&cfg).await.ok()?.end_session
}

fn client(
    state: &PlatformView,
    idp: &IdpConfig,
    ep: &Endpoints,
    jwks: CoreJsonWebKeySet,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointSet,
        openidconnect::EndpointSet,
    >,
    HubError,
> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        HubError::internal(format!("URL {what} invalide pour `{}` : {e}", idp.id))
    };
    Ok(CoreClient::new(
        ClientId::new(idp.hub_client_id.clone()),
        IssuerUrl::new(ep.issuer.clone()).map_err(|e| bad("issuer", &e))?,
        jwks,
    )
    .set_client_secret(ClientSecret::new(idp.hub_client_secret.clone()))
    .set_auth_type(AuthType::RequestBody)
    .set_auth_uri(AuthUrl::new(ep.authorize.clone()).map_err(|e| bad("authorize", &e))?)
    .set_token_uri(TokenUrl::new(ep.token.clone()).map_err(|e| bad("token", &e))?)
    .set_user_info_url(UserInfoUrl::new(ep.userinfo.clone()).map_err(|e| bad("userinfo", &e))?)
    .set_redirect_uri(RedirectUrl::new(callback_url(state)).map_err(|e| bad("callback", &e))?))
}

/// The authorize URL at identity provider `idp`, with the state and nonce it carries.
pub(crate) async fn authorize_url(
    state: &PlatformView,
    idp: &str,
    fs_acr: &str,
) -> Result<(String, OAuthState, IdNonce), HubError> {
    let cfg = idp_config(state, idp)?;
    let bc = back_channel(state, &cfg);
    let ep = reach(state, &bc)
        .endpoints(&cfg)
        .await
        .map_err(|e| remote_error(idp, &e))?;
    let client = client(state, &cfg, &ep, CoreJsonWebKeySet::new(Vec::new()))?;
    let st = state.rng.hex(32);
    let nonce = state.rng.hex(32);
    // acr asked of the provider: the higher of the service provider's and the provider's lowest.
    let acr = cfg
        .acr
        .iter()
        .min()
        .map_or(fs_acr, |lowest| {
            if lowest.as_str() > fs_acr {
                lowest.as_str()
            } else {
                fs_acr
            }
        })
        .to_owned();
    let (s2, n2) = (st.clone(), nonce.clone());
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(s2),
            move || Nonce::new(n2),
        )
        .add_prompt(CoreAuthPrompt::Login)
        .add_extra_param("acr_values", acr);
    for s in FI_SCOPES {
        req = req.add_scope(Scope::new(s.to_owned()));
    }
    let (url, _, _) = req.url();
    Ok((url.to_string(), OAuthState::new(st), IdNonce::new(nonce)))
}

/// Redeems `code` at identity provider `idp` and returns the verified login.
pub(crate) async fn exchange(
    state: &PlatformView,
    idp: &str,
    code: &str,
    nonce: &IdNonce,
    fs_acr: &str,
) -> Result<Login, HubError> {
    let cfg = idp_config(state, idp)?;
    let bc = back_channel(state, &cfg);
    let reach = reach(state, &bc);
    let ep = reach.endpoints(&cfg).await.map_err(|e| remote_error(idp, &e))?;
    let mut keys = reach.keys(&cfg, &ep, false).await.map_err(|e| remote_error(idp, &e))?;
    let client = client(state, &cfg, &ep, (*keys.set).clone())?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .request_async(&bc.oidc("token"))
        .await
        .map_err(|e| {
            HubError::page(
                "Y020026",
                format!(
                    "appel au token endpoint de `{idp}` ({}) en échec : {e}.{}",
                    ep.token,
                    super::idp_answer::explain(state, bc.seen())
                ),
            )
        })?;
    let Some(id_token) = response.id_token() else {
        return Err(HubError::page(
            "Y020026",
            format!("la réponse du token endpoint de `{idp}` n'a pas d'id_token"),
        ));
    };
    let clock = state.clock.clone();
    let expected_nonce = Nonce::new(nonce.as_str().to_owned());
    let algs: Vec<CoreJwsSigningAlgorithm> = ep
        .id_token_algs
        .iter()
        .map(|a| match a {
            Alg::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Alg::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        })
        .collect();
    let verify = |client: &CoreClient<_, _, _, _, _, _>| {
        let verifier = client.id_token_verifier().set_allowed_algs(algs.clone()).set_time_fn({
            let clock = clock.clone();
            move || clock.utc()
        });
        id_token.claims(&verifier, &expected_nonce).cloned()
    };
    let mut refetched = false;
    let claims = match verify(&client) {
        Ok(c) => c,
        Err(first) => {
            // The provider may have rotated its keys: fetch the JWKS once
            // more; userinfo is then checked with the same fresh keys.
            keys = reach.keys(&cfg, &ep, true).await.map_err(|e| remote_error(idp, &e))?;
            refetched = true;
            let client = self::client(state, &cfg, &ep, (*keys.set).clone())?;
            verify(&client).map_err(|_| HubError::page("Y020026", format!("id_token de `{idp}` refusé : {first}")))?
        }
    };
    let acr = claims.auth_context_ref().map(|a| a.to_string()).unwrap_or_default();
    // An acr FranceConnect does not know at all is Y100001; a known one the
    // provider may not return is Y100018 (connexion-acr-fcp-low.feature,
    // "erreur FI retourne un niveau inconnu").
    if !["eidas1", "eidas2", "eidas3"].contains(&acr.as_str()) {
        return Err(HubError::page(
            "Y100001",
            format!("`{idp}` a renvoyé acr `{acr}`, un niveau inconnu de FranceConnect (eidas1, eidas2 ou eidas3)"),
        ));
    }
    if !cfg.acr.contains(&acr) {
        return Err(HubError::page(
            "Y100018",
            format!(
                "`{idp}` a renvoyé acr `{acr}` ; niveaux autorisés pour ce fournisseur : {}",
                cfg.acr.join(", ")
            ),
        ));
    }
    if acr.as_str() < fs_acr {
        return Err(HubError::page(
            "Y100001",
            format!("`{idp}` a renvoyé acr `{acr}`, inférieur au niveau demandé `{fs_acr}`"),
        ));
    }
    let asked = super::idp_userinfo::Asked {
        reach: &reach,
        idp: &cfg,
        endpoints: &ep,
        access_token: response.access_token().secret(),
        sub: claims.subject().as_str(),
    };
    let identity = asked.identity(state, &mut keys, refetched).await?;
    let problems = check_fi_identity(&identity);
    if !problems.is_empty() {
        return Err(HubError::page(
            "Y600006",
            format!(
                "identité renvoyée par `{idp}` :\n{}",
                crate::platform::describe_problems(&problems)
            ),
        ));
    }
    Ok(Login {
        idp: idp.to_owned(),
        identity: normalise(&identity).into(),
        raw: identity.clone().into(),
        idp_acr: acr.clone(),
        amr: cfg.amr.clone(),
        auth_time: state.clock.now(),
        idp_id_token: Some(id_token.to_string()),
    })
}
