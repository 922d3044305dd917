//! Discovery document and JWKS of the platform.

use axum::Json;
use axum::http::header;
use serde_json::{Value, json};

/// FranceConnect caches its discovery document and JWKS for ten minutes
/// (oidc-provider.controller.ts: `cache-control: public, max-age=600`).
type Cached = ([(header::HeaderName, &'static str); 1], Json<Value>);

fn cached(body: Value) -> Cached {
    ([(header::CACHE_CONTROL, "public, max-age=600")], Json(body))
}

use super::view::PlatformView;
use crate::oidc::scopes;
use crate::paths::platform as p;

/// `GET /api/v2/.well-known/openid-configuration`.
pub(crate) async fn discovery(state: PlatformView) -> Cached {
    let iss = state.issuer();
    let at = |path: &str| format!("{iss}{path}");
    let plus = state.is_plus();
    let mut doc = json!({
        "issuer": iss,
        "authorization_endpoint": at(p::AUTHORIZE),
        "token_endpoint": at(p::TOKEN),
        "userinfo_endpoint": at(p::USERINFO),
        "jwks_uri": at(p::JWKS),
        "end_session_endpoint": at(p::SESSION_END),
        "revocation_endpoint": at(p::REVOCATION),
        "scopes_supported": scopes::all_known(),
        "claims_supported": scopes::all_claims(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": ["eidas1"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "claim_types_supported": ["normal"],
        "ui_locales_supported": ["fr"],
    });
    if plus {
        // FranceConnect+: eidas2/eidas3, ES256 only, signed-then-encrypted tokens.
        // fcp-high.scopes.ts: FranceConnect+'s own scope table.
        let claims = scopes::all_claims_plus();
        let extra = json!({
            "scopes_supported": scopes::all_known_plus(),
            "claims_supported": claims,
            "acr_values_supported": ["eidas2", "eidas3"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "userinfo_signing_alg_values_supported": ["ES256"],
            "id_token_encryption_alg_values_supported": ["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"],
            "id_token_encryption_enc_values_supported": ["A256GCM"],
            "userinfo_encryption_alg_values_supported": ["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"],
            "userinfo_encryption_enc_values_supported": ["A256GCM"],
        });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
    }
    cached(doc)
}

/// `GET /api/v2/jwks`: public signing keys only.
pub(crate) async fn jwks(state: PlatformView) -> Cached {
    cached(state.hub.keys.jwks())
}

/// `GET /api/v2/client/.well-known/keys`: FranceConnect's own keys as a client
/// of identity providers (it publishes encryption keys there; fcmock's
/// identity providers do not encrypt, so the set is empty).
pub(crate) async fn client_keys() -> Json<Value> {
    Json(json!({ "keys": [] }))
}
