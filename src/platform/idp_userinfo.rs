//! The hub reads the identity at the identity provider's userinfo: plain
//! JSON, or a JWT (`application/jwt`) verified against the provider's JWKS
//! with the algorithms its discovery declares (ES256, FranceConnect's
//! recommendation, included). FranceConnect "calls the FI userinfo (JSON or
//! JWT)" (libs/core core-acr.service.ts, PROTOCOL.md §10). The `sub` must be
//! the id_token's (OpenID Connect Core 5.3.2). Failures are FranceConnect's
//! Y020027, a missing `sub` Y020029.

use serde_json::Value;

use super::error::HubError;
use super::idp_remote::{Endpoints, Keys, Reach};
use super::view::PlatformView;
use crate::config::IdpConfig;
use crate::crypto::jws::{JwsError, verify_with_jwks};
use crate::identity::Identity;

/// One userinfo call of a login.
pub(super) struct Asked<'a> {
    pub(super) reach: &'a Reach<'a>,
    pub(super) idp: &'a IdpConfig,
    pub(super) endpoints: &'a Endpoints,
    pub(super) access_token: &'a str,
    /// The id_token's `sub`.
    pub(super) sub: &'a str,
}

/// A signature refusal, in French.
fn jws_french(e: &JwsError) -> String {
    match e {
        JwsError::Malformed(why) => format!("ce n'est pas un JWS ({why})"),
        JwsError::AlgNotAccepted { got, accepted } => {
            format!("signé en {got} ; algorithmes acceptés (découverte du fournisseur) : {accepted}")
        }
        JwsError::UnknownKid(kid) => format!("aucune clé `{kid}` dans le JWKS du fournisseur"),
        JwsError::NoKey(alg) => format!("aucune clé {alg} dans le JWKS du fournisseur"),
        JwsError::BadJwks(why) => format!("JWKS illisible ({why})"),
        JwsError::BadSignature => "la signature ne correspond à aucune clé du JWKS du fournisseur".to_owned(),
    }
}

impl Asked<'_> {
    fn fail(&self, state: &PlatformView, why: &str) -> HubError {
        HubError::page(
            "Y020027",
            format!(
                "userinfo de `{}` ({}) : {why}.{}",
                self.idp.id,
                self.endpoints.userinfo,
                super::idp_answer::explain(state, self.reach.bc.seen())
            ),
        )
    }

    /// The claims of a signed userinfo, fetching the JWKS once more if a
    /// key is missing and the id_token check did not already do so.
    async fn verified(
        &self,
        state: &PlatformView,
        jwt: &str,
        keys: &mut Keys,
        refetched: bool,
    ) -> Result<Value, HubError> {
        let algs = &self.endpoints.userinfo_algs;
        let first = match verify_with_jwks(jwt, &keys.raw, algs) {
            Ok((_, claims)) => return Ok(claims),
            Err(e) => e,
        };
        if refetched || !first.may_be_rotation() {
            return Err(self.fail(state, &format!("JWT refusé : {}", jws_french(&first))));
        }
        *keys = self
            .reach
            .keys(self.idp, self.endpoints, true)
            .await
            .map_err(|e| self.fail(state, &e.french()))?;
        verify_with_jwks(jwt, &keys.raw, algs)
            .map(|(_, claims)| claims)
            .map_err(|e| self.fail(state, &format!("JWT refusé : {}", jws_french(&e))))
    }

    /// The identity the provider returns.
    pub(super) async fn identity(
        &self,
        state: &PlatformView,
        keys: &mut Keys,
        refetched: bool,
    ) -> Result<Identity, HubError> {
        let response = self
            .reach
            .bc
            .get("userinfo", &self.endpoints.userinfo, Some(self.access_token))
            .await
            .map_err(|e| self.fail(state, &format!("appel en échec : {e}")))?;
        if response.status() != 200 {
            return Err(self.fail(state, &format!("HTTP {}", response.status().as_u16())));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body = String::from_utf8_lossy(response.body());
        let claims = if content_type.starts_with("application/jwt") {
            self.verified(state, body.trim(), keys, refetched).await?
        } else {
            serde_json::from_str::<Value>(&body)
                .map_err(|e| self.fail(state, &format!("ni un JWT (application/jwt) ni du JSON lisible ({e})")))?
        };
        if !claims.is_object() {
            return Err(self.fail(state, "la réponse n'est pas un objet JSON"));
        }
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        if sub.is_empty() {
            return Err(HubError::page(
                "Y020029",
                format!("userinfo de `{}` sans `sub`", self.idp.id),
            ));
        }
        if sub != self.sub {
            return Err(self.fail(
                state,
                &format!("`sub` `{sub}` différent de celui de l'id_token `{}`", self.sub),
            ));
        }
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(Identity {
            given_name: text("given_name").unwrap_or_default(),
            family_name: text("family_name").unwrap_or_default(),
            preferred_username: text("preferred_username"),
            gender: text("gender").unwrap_or_default(),
            birthdate: text("birthdate").unwrap_or_default(),
            birthplace: text("birthplace").unwrap_or_default(),
            birthcountry: text("birthcountry").unwrap_or_default(),
            email: text("email"),
        })
    }
}
