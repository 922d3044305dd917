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
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    JsonWebKeySetUrl, Nonce, OAuth2TokenResponse as _, RedirectUrl, Scope, TokenResponse as _, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::error::HubError;
use super::{Login, PlatformState, PlatformView};
use crate::config::{IdpConfig, IdpSource};
use crate::identity::{Identity, check_fi_identity, normalise};
use crate::oidc::ids::{Nonce as IdNonce, OAuthState};
use crate::paths::{IDP_PREFIX, idp as ip, platform as p};

/// The scopes FranceConnect v2 asks identity providers for.
const FI_SCOPES: [&str; 3] = ["profile", "email", "birth"];
/// How long a fetched JWKS is trusted before being fetched again.
const JWKS_TTL_MS: i64 = 5 * 60 * 1000;

/// Claims FranceConnect reads from userinfo beyond the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FiClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthplace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthcountry: Option<String>,
}

impl AdditionalClaims for FiClaims {}

/// Where to reach an identity provider.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub(crate) issuer: String,
    pub(crate) authorize: String,
    pub(crate) token: String,
    pub(crate) userinfo: String,
    pub(crate) jwks: String,
    pub(crate) end_session: Option<String>,
}

/// Discovery and JWKS of one identity provider, cached.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    pub(crate) endpoints: Endpoints,
    pub(crate) jwks: Option<(Arc<CoreJsonWebKeySet>, i64)>,
}

/// The hub's cache of every identity provider's discovery and JWKS, keyed by
/// configured provider id (so bounded by the configuration).
#[derive(Default)]
pub struct RemoteIdps(parking_lot::Mutex<std::collections::HashMap<String, Remote>>);

impl RemoteIdps {
    pub(crate) fn get(&self, id: &str) -> Option<Remote> {
        self.0.lock().get(id).cloned()
    }

    pub(crate) fn set(&self, id: &str, remote: Remote) {
        self.0.lock().insert(id.to_owned(), remote);
    }

    /// Forgets every cached document (control API reset).
    pub fn clear(&self) {
        self.0.lock().clear();
    }
}

fn idp_config(state: &PlatformState, idp: &str) -> Result<Arc<IdpConfig>, HubError> {
    state
        .config()
        .idp(idp)
        .cloned()
        .ok_or_else(|| HubError::page("Y020019", format!("aucun fournisseur d'identité `{idp}`")))
}

async fn endpoints(state: &PlatformState, idp: &IdpConfig) -> Result<Endpoints, HubError> {
    match &idp.source {
        IdpSource::Builtin { .. } => {
            let public = format!("{}{IDP_PREFIX}/{}", state.urls.public, idp.id);
            let internal = format!("{}{IDP_PREFIX}/{}", state.urls.internal, idp.id);
            Ok(Endpoints {
                issuer: public.clone(),
                authorize: format!("{public}{}", ip::AUTHORIZE),
                token: format!("{internal}{}", ip::TOKEN),
                userinfo: format!("{internal}{}", ip::USERINFO),
                jwks: format!("{internal}{}", ip::JWKS),
                end_session: Some(format!("{public}{}", ip::END_SESSION)),
            })
        }
        IdpSource::External { discovery_url } => {
            if let Some(r) = state.remotes.get(&idp.id) {
                return Ok(r.endpoints);
            }
            let issuer = discovery_url.trim_end_matches("/.well-known/openid-configuration");
            let issuer = IssuerUrl::new(issuer.to_owned())
                .map_err(|e| HubError::page("Y020026", format!("discovery_url invalide : {e}")))?;
            let meta = CoreProviderMetadata::discover_async(issuer, &state.http)
                .await
                .map_err(|e| HubError::page("Y020026", format!("découverte de `{}` impossible : {e}", idp.id)))?;
            let ep = Endpoints {
                issuer: meta.issuer().to_string(),
                authorize: meta.authorization_endpoint().to_string(),
                token: meta.token_endpoint().map(|t| t.to_string()).unwrap_or_default(),
                userinfo: meta.userinfo_endpoint().map(|u| u.to_string()).unwrap_or_default(),
                jwks: meta.jwks_uri().to_string(),
                // Core discovery has no end_session_endpoint: logout skips the provider.
                end_session: None,
            };
            state.remotes.set(
                &idp.id,
                Remote {
                    endpoints: ep.clone(),
                    jwks: None,
                },
            );
            Ok(ep)
        }
    }
}

fn callback_url(state: &PlatformView) -> String {
    state.url(p::OIDC_CALLBACK)
}

/// The identity provider's end_session endpoint, if it has one.
pub(crate) async fn end_session_url(state: &PlatformState, idp: &str) -> Option<String> {
    let cfg = state.config().idp(idp)?.clone();
    endpoints(state, &cfg).await.ok()?.end_session
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
    let ep = endpoints(state, &cfg).await?;
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

async fn jwks(
    state: &PlatformState,
    idp: &str,
    ep: &Endpoints,
    force: bool,
) -> Result<Arc<CoreJsonWebKeySet>, HubError> {
    let now = state.clock.now_ms();
    if !force
        && let Some((set, fetched)) = state.remotes.get(idp).and_then(|r| r.jwks)
        && now - fetched < JWKS_TTL_MS
    {
        return Ok(set);
    }
    let url =
        JsonWebKeySetUrl::new(ep.jwks.clone()).map_err(|e| HubError::internal(format!("jwks_uri invalide : {e}")))?;
    let set = CoreJsonWebKeySet::fetch_async(&url, &state.http)
        .await
        .map_err(|e| HubError::page("Y020026", format!("JWKS de `{idp}` inaccessible ({}) : {e}", ep.jwks)))?;
    let set = Arc::new(set);
    state.remotes.set(
        idp,
        Remote {
            endpoints: ep.clone(),
            jwks: Some((set.clone(), now)),
        },
    );
    Ok(set)
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
    let ep = endpoints(state, &cfg).await?;
    let keys = jwks(state, idp, &ep, false).await?;
    let client = client(state, &cfg, &ep, (*keys).clone())?;
    let seen = super::idp_answer::Seen::default();
    let http = super::idp_answer::recording(&state.http, &seen);
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .request_async(&http)
        .await
        .map_err(|e| {
            HubError::page(
                "Y020026",
                format!(
                    "appel au token endpoint de `{idp}` ({}) en échec : {e}.{}",
                    ep.token,
                    super::idp_answer::explain(state, &seen)
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
    let verify = |client: &CoreClient<_, _, _, _, _, _>| {
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ])
            .set_time_fn({
                let clock = clock.clone();
                move || clock.utc()
            });
        id_token.claims(&verifier, &expected_nonce).cloned()
    };
    let claims = match verify(&client) {
        Ok(c) => c,
        Err(first) => {
            // The provider may have rotated its keys: fetch the JWKS once more.
            let keys = jwks(state, idp, &ep, true).await?;
            let client = self::client(state, &cfg, &ep, (*keys).clone())?;
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
    let access_token: AccessToken = response.access_token().clone();
    let info = client
        .user_info(access_token, Some(claims.subject().clone()))
        .request_async::<FiClaims, _, CoreGenderClaim>(&http)
        .await
        .map_err(|e| {
            let text = e.to_string();
            let source = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_default();
            if text.contains("`sub`") || source.contains("`sub`") {
                HubError::page("Y020029", format!("userinfo de `{idp}` sans `sub` : {text} {source}"))
            } else {
                HubError::page(
                    "Y020027",
                    format!(
                        "appel à userinfo de `{idp}` ({}) en échec : {text} {source}.{}",
                        ep.userinfo,
                        super::idp_answer::explain(state, &seen)
                    ),
                )
            }
        })?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let identity = Identity {
        given_name: text(info.given_name().and_then(|n| n.get(None)).map(|n| n.to_string())),
        family_name: text(info.family_name().and_then(|n| n.get(None)).map(|n| n.to_string())),
        preferred_username: info.preferred_username().map(|u| u.to_string()),
        gender: text(info.gender().map(|g| g.to_string())),
        birthdate: text(info.birthdate().map(|b| b.to_string())),
        birthplace: text(info.additional_claims().birthplace.clone()),
        birthcountry: text(info.additional_claims().birthcountry.clone()),
        email: info.email().map(|e| e.to_string()),
    };
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
