//! Every route path served by fcmock, in one place.
//!
//! Routers and discovery documents both read from here, so a discovery
//! document can never advertise a path that is not routed.

/// The platform's session cookie (FranceConnect's own name).
pub const SESSION_COOKIE: &str = "fc_session_id";

/// Path prefix of the FranceConnect v2 platform.
pub const FC_PREFIX: &str = "/api/v2";

/// Default path prefix of the FranceConnect+ platform (`platform.fcplus_path`).
pub const FCPLUS_PREFIX: &str = "/fcplus/api/v2";

/// Routes of a FranceConnect platform, relative to its prefix.
pub mod platform {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const JWKS: &str = "/jwks";
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const SESSION_END: &str = "/session/end";
    pub const SESSION_END_CONFIRM: &str = "/session/end/confirm";
    pub const SESSION_END_SUCCESS: &str = "/session/end/success";
    pub const REVOCATION: &str = "/token/revocation";
    pub const CHECKTOKEN: &str = "/checktoken";
    pub const INTERACTION: &str = "/interaction/{uid}";
    pub const INTERACTION_VERIFY: &str = "/interaction/{uid}/verify";
    pub const INTERACTION_CONSENT: &str = "/interaction/{uid}/consent";
    pub const LOGIN: &str = "/login";
    pub const REDIRECT_TO_IDP: &str = "/redirect-to-idp";
    pub const REDIRECT_TO_SP_WITH_ERROR: &str = "/redirect-to-sp-with-error";
    pub const OIDC_CALLBACK: &str = "/oidc-callback";
    pub const DISCONNECT_FROM_IDP: &str = "/client/disconnect-from-idp";
    pub const LOGOUT_CALLBACK: &str = "/client/logout-callback";
    pub const CLIENT_KEYS: &str = "/client/.well-known/keys";

    /// `/interaction/{uid}` for a concrete uid.
    pub fn interaction(uid: &str) -> String {
        format!("/interaction/{uid}")
    }
    /// `/interaction/{uid}/verify` for a concrete uid.
    pub fn interaction_verify(uid: &str) -> String {
        format!("/interaction/{uid}/verify")
    }
    /// `/interaction/{uid}/consent` for a concrete uid.
    pub fn interaction_consent(uid: &str) -> String {
        format!("/interaction/{uid}/consent")
    }
}

/// Prefix of the mock data providers: `/dp/{id}`.
pub const DP_PREFIX: &str = "/dp";

/// Prefix of the mock identity providers: `/idp/{id}`.
pub const IDP_PREFIX: &str = "/idp";

/// Routes of a mock identity provider, relative to `/idp/{id}`.
pub mod idp {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const JWKS: &str = "/jwks";
    pub const AUTHORIZE: &str = "/authorize";
    pub const LOGIN: &str = "/login";
    pub const CANCEL: &str = "/cancel";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const END_SESSION: &str = "/session/end";
}

/// Where the mock's own pages and API live: every path the control API's
/// gate guards starts with it.
pub const MOCK_PREFIX: &str = "/_fcmock";

/// The mock's own pages and API.
pub mod mock {
    pub const HOME: &str = "/_fcmock/";
    pub const HEALTH: &str = "/_fcmock/health";
    pub const API_CLIENTS: &str = "/_fcmock/api/clients";
    pub const API_PERSONAS: &str = "/_fcmock/api/personas";
    pub const API_DATA_PROVIDERS: &str = "/_fcmock/api/data-providers";
    pub const API_NEXT_LOGIN: &str = "/_fcmock/api/next-login";
    pub const API_JOURNAL: &str = "/_fcmock/api/journal";
    pub const API_JOURNAL_HAR: &str = "/_fcmock/api/journal/har";
    pub const API_JOURNAL_VERIFY: &str = "/_fcmock/api/journal/verify";
    pub const API_CLOCK: &str = "/_fcmock/api/clock";
    pub const API_RESET: &str = "/_fcmock/api/reset";
    pub const API_SCENARIOS: &str = "/_fcmock/api/scenarios";
    pub const API_SCENARIO: &str = "/_fcmock/api/scenarios/{id}";
    pub const API_KEYS_ROTATE: &str = "/_fcmock/api/keys/rotate";
    pub const API_OPENAPI: &str = "/_fcmock/api/openapi.json";
    pub const PERSONAS: &str = "/_fcmock/personas";
    pub const INSPECTOR: &str = "/_fcmock/inspector";
    pub const STEP: &str = "/_fcmock/pas-a-pas";
    pub const DEMO: &str = "/_fcmock/demo";
    pub const DEMO_LOCAL: &str = "/_fcmock/demo/connexion";
    pub const DEMO_FC: &str = "/_fcmock/demo/franceconnect";
    pub const DEMO_CALLBACK: &str = "/_fcmock/demo/callback";
    pub const DEMO_LINK: &str = "/_fcmock/demo/rapprochement";
    pub const DEMO_DASHBOARD: &str = "/_fcmock/demo/tableau-de-bord";
    pub const DEMO_CHILDCARE: &str = "/_fcmock/demo/creche";
    pub const DEMO_LOGOUT: &str = "/_fcmock/demo/deconnexion";
    pub const DEMO_LOGGED_OUT: &str = "/_fcmock/demo/deconnecte";
    pub const INSPECTOR_EVENTS: &str = "/_fcmock/inspector/events";
    pub const INSPECTOR_FLOW: &str = "/_fcmock/inspector/{flow}";
    pub const PERSONA: &str = "/_fcmock/personas/{id}";
}
