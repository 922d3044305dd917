//! A service provider, as a commune's portal is one: built on the
//! `openidconnect` crate, with FranceConnect's extra authorize parameters
//! (`acr_values`), `client_secret_post`, and every refusal mapped to a
//! [`Rejection`].

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse as _, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse as _,
};
use serde_json::Value;

use super::jwks::{Expect, Jwks};
use super::{AgentError, Rejection};

/// The `openidconnect` client type after discovery.
pub type RpClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A relying party registered at one FranceConnect platform.
pub struct RelyingParty {
    pub client: RpClient,
    /// Back-channel client: no redirects followed.
    pub http: reqwest::Client,
    pub issuer: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// `userinfo_endpoint` and `jwks_uri` as discovered.
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
}

/// What a successful code exchange gives the relying party.
pub struct LoginResult {
    pub tokens: CoreTokenResponse,
    pub claims: CoreIdTokenClaims,
    pub raw_id_token: String,
}

impl LoginResult {
    /// The access token, as sent to userinfo and data providers.
    pub fn access_token(&self) -> String {
        self.tokens.access_token().secret().clone()
    }
}

/// What userinfo answered.
#[derive(Debug, Clone)]
pub struct Userinfo {
    pub status: u16,
    pub content_type: String,
    /// The raw body (a JWS for FranceConnect, JSON for errors).
    pub body: String,
}

/// How the `iat` check's refusal starts (openidconnect reports it as `Expired`).
const IAT_IN_FUTURE: &str = "issued in the future";

/// Maps `openidconnect`'s verification errors to the catalogue's reasons.
fn rejection_of(e: &ClaimsVerificationError) -> Rejection {
    match e {
        ClaimsVerificationError::Expired(m) if m.starts_with(IAT_IN_FUTURE) => Rejection::IssuedInFuture,
        ClaimsVerificationError::Expired(_) => Rejection::Expired,
        ClaimsVerificationError::InvalidAudience(_) => Rejection::WrongAudience,
        ClaimsVerificationError::InvalidIssuer(_) => Rejection::WrongIssuer,
        ClaimsVerificationError::InvalidNonce(_) => Rejection::WrongNonce,
        ClaimsVerificationError::InvalidSubject(_) => Rejection::MissingClaim,
        ClaimsVerificationError::SignatureVerification(s) => match s {
            SignatureVerificationError::NoMatchingKey | SignatureVerificationError::AmbiguousKeyId(_) => {
                Rejection::UnknownKey
            }
            SignatureVerificationError::NoSignature | SignatureVerificationError::DisallowedAlg(_) => {
                Rejection::Unsigned
            }
            SignatureVerificationError::CryptoError(_) => Rejection::BadSignature,
            _ => Rejection::Malformed,
        },
        _ => Rejection::Malformed,
    }
}

impl RelyingParty {
    /// Discovers `issuer` and registers as `client_id` with `secret`,
    /// authenticating at the token endpoint with `client_secret_post` as
    /// FranceConnect requires.
    pub async fn discover(issuer: &str, client_id: &str, secret: &str, redirect_uri: &str) -> Result<Self, AgentError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AgentError::http("relying party"))?;
        let issuer_url =
            IssuerUrl::new(issuer.to_owned()).map_err(|e| AgentError::Protocol(format!("issuer `{issuer}`: {e}")))?;
        let meta = CoreProviderMetadata::discover_async(issuer_url, &http)
            .await
            .map_err(|e| AgentError::Protocol(format!("discovery of {issuer}: {e}")))?;
        let userinfo_endpoint = meta.userinfo_endpoint().map(|u| u.to_string()).unwrap_or_default();
        let jwks_uri = meta.jwks_uri().to_string();
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| AgentError::Protocol(format!("redirect_uri `{redirect_uri}`: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(client_id.to_owned()),
            Some(ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody);
        Ok(Self {
            client,
            http,
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            userinfo_endpoint,
            jwks_uri,
        })
    }

    /// The authorize URL for `scopes` (`openid` is added), at `acr`, with the
    /// given state and nonce and any `extra` parameters. Returns the URL, the
    /// state and the nonce.
    pub fn authorize_url(
        &self,
        scopes: &[&str],
        acr: &str,
        state: &str,
        nonce: &str,
        extra: &[(&str, &str)],
    ) -> (String, String, String) {
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let mut req = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_extra_param("acr_values", acr);
        for s in scopes {
            req = req.add_scope(Scope::new((*s).to_owned()));
        }
        for (k, v) in extra {
            req = req.add_extra_param(*k, *v);
        }
        let (url, st, nonce) = req.url();
        (url.to_string(), st.secret().clone(), nonce.secret().clone())
    }

    /// Redeems `code` and verifies the id_token (signature against the JWKS,
    /// iss, aud, exp, nonce), or says why it refuses it.
    pub async fn redeem(&self, code: &str, nonce: &str) -> Result<LoginResult, AgentError> {
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| AgentError::Protocol(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // The id_token's claims did not even parse (a required claim missing).
                openidconnect::RequestTokenError::Parse(p, _) => {
                    AgentError::rejected(Rejection::MissingClaim, p.to_string())
                }
                other => AgentError::Protocol(format!("token: {other:?}")),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| AgentError::rejected(Rejection::MissingClaim, "no id_token in the token response"))?;
        // openidconnect accepts any `iat`; a careful relying party refuses
        // one in the future (beyond the usual skew), as the agent's JWT check does.
        let now = crate::clock::Clock::system().now_ms() / 1000;
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ])
            .set_issue_time_verifier_fn(move |iat| {
                if iat.timestamp() > now + super::jwks::LEEWAY_S {
                    Err(format!("{IAT_IN_FUTURE}: iat {} is after now {now}", iat.timestamp()))
                } else {
                    Ok(())
                }
            });
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| AgentError::rejected(rejection_of(&e), e.to_string()))?
            .clone();
        let raw_id_token = id_token.to_string();
        Ok(LoginResult {
            tokens,
            claims,
            raw_id_token,
        })
    }

    /// Calls userinfo with `access_token`; the body is returned as received.
    pub async fn userinfo(&self, access_token: &str) -> Result<Userinfo, AgentError> {
        let resp = self
            .http
            .get(&self.userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(AgentError::http("userinfo"))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.text().await.map_err(AgentError::http("userinfo body"))?;
        Ok(Userinfo {
            status,
            content_type,
            body,
        })
    }

    /// Verifies a signed userinfo against the issuer's JWKS and checks that
    /// its `sub` is the id_token's.
    pub async fn verify_userinfo(&self, info: &Userinfo, id_token_sub: &str, now: i64) -> Result<Value, AgentError> {
        if !info.content_type.starts_with("application/jwt") {
            return Err(AgentError::rejected(
                Rejection::Unsigned,
                format!("userinfo is `{}`, not application/jwt", info.content_type),
            ));
        }
        let jwks = Jwks::fetch(&self.http, &self.issuer, &self.jwks_uri).await?;
        let expect = Expect {
            audience: &self.client_id,
            nonce: None,
            now,
            id_token_rules: false,
        };
        let claims = jwks.verify(info.body.trim(), &expect)?;
        if claims.get("sub").and_then(Value::as_str) != Some(id_token_sub) {
            return Err(AgentError::rejected(
                Rejection::SubjectMismatch,
                format!("userinfo sub {:?} ≠ id_token sub {id_token_sub}", claims.get("sub")),
            ));
        }
        Ok(claims)
    }
}
