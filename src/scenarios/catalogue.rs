//! The fault catalogue: every token fault fcmock can put in what
//! FranceConnect sends a service provider, and every identity-provider fault
//! the hub must absorb, each with what a careful party must do about it.
//!
//! This is data, not code: the tests run every entry against a real relying
//! party and the real hub, and the conformance checker (`fcmock check`) runs
//! the token entries against a commune's portal and report the ones it
//! wrongly accepts. Each `fault` is the scenario-file text of the fault
//! (the value of `id_token:`, `userinfo:`, or the whole fault entry).

use serde::Serialize;

use crate::oidc::rejection::Rejection;

/// Where a token fault is put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenTarget {
    /// The id_token in FranceConnect's token response (`at: fc.token`, `id_token: …`).
    IdToken,
    /// FranceConnect's userinfo answer (`at: fc.userinfo`, `userinfo: …`).
    Userinfo,
}

/// A fault in a token FranceConnect hands the service provider.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TokenFaultCase {
    /// Stable name, e.g. `id_token.signature_bad`.
    pub id: &'static str,
    pub target: TokenTarget,
    /// The fault as written in a scenario file (a YAML flow mapping).
    pub fault: &'static str,
    /// Why a careful relying party refuses the token.
    pub rejection: Rejection,
}

impl TokenFaultCase {
    /// A scenario file that puts this fault on every token of `client_id`.
    pub fn scenario(&self, client_id: &str) -> String {
        let (at, key) = match self.target {
            TokenTarget::IdToken => ("fc.token", "id_token"),
            TokenTarget::Userinfo => ("fc.userinfo", "userinfo"),
        };
        format!(
            "name: {}\nclients: [{client_id}]\nfaults:\n  - at: {at}\n    {key}: {}\n",
            self.id, self.fault
        )
    }
}

/// Every token fault a relying party must refuse, with its reason.
pub const TOKEN_FAULTS: [TokenFaultCase; 16] = [
    id("id_token.signature_bad", "{ signature: bad }", Rejection::BadSignature),
    id("id_token.alg_none", "{ signature: none }", Rejection::Unsigned),
    id("id_token.kid_unknown", "{ kid: unknown }", Rejection::UnknownKey),
    id(
        "id_token.iss_other",
        "{ iss: \"https://not-franceconnect.example\" }",
        Rejection::WrongIssuer,
    ),
    id(
        "id_token.aud_other",
        "{ aud: \"someone-else\" }",
        Rejection::WrongAudience,
    ),
    id(
        "id_token.aud_extra",
        "{ extra_aud: \"untrusted-client\" }",
        Rejection::WrongAudience,
    ),
    id("id_token.nonce_wrong", "{ nonce: wrong }", Rejection::WrongNonce),
    id("id_token.nonce_missing", "{ nonce: missing }", Rejection::WrongNonce),
    id("id_token.expired", "{ expired: true }", Rejection::Expired),
    id("id_token.iat_future", "{ iat_future: true }", Rejection::IssuedInFuture),
    id("id_token.sub_missing", "{ drop: [sub] }", Rejection::MissingClaim),
    id("id_token.exp_missing", "{ drop: [exp] }", Rejection::MissingClaim),
    id("id_token.iat_missing", "{ drop: [iat] }", Rejection::MissingClaim),
    userinfo("userinfo.unsigned", "{ signature: unsigned }", Rejection::Unsigned),
    userinfo("userinfo.signature_bad", "{ signature: bad }", Rejection::BadSignature),
    userinfo("userinfo.sub_changed", "{ sub: changed }", Rejection::SubjectMismatch),
];

const fn id(id: &'static str, fault: &'static str, rejection: Rejection) -> TokenFaultCase {
    TokenFaultCase {
        id,
        target: TokenTarget::IdToken,
        fault,
        rejection,
    }
}

const fn userinfo(id: &'static str, fault: &'static str, rejection: Rejection) -> TokenFaultCase {
    TokenFaultCase {
        id,
        target: TokenTarget::Userinfo,
        fault,
        rejection,
    }
}

/// A fault of an identity provider, and the FranceConnect error page the
/// hub shows for it (FranceConnect's `Y…` code).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IdpFaultCase {
    pub id: &'static str,
    /// The fault entry as written in a scenario file, `{idp}` standing for
    /// the provider's id.
    pub fault: &'static str,
    /// The code on FranceConnect's error page.
    pub code: &'static str,
    /// What the hub does, in one line.
    pub hub: &'static str,
}

impl IdpFaultCase {
    /// A scenario file that puts this fault on provider `idp` for `client_id`.
    pub fn scenario(&self, client_id: &str, idp: &str) -> String {
        let fault = self.fault.replace("{idp}", idp);
        format!("name: {}\nclients: [{client_id}]\nfaults:\n{fault}", self.id)
    }
}

/// Every identity-provider fault, with the page FranceConnect shows.
pub const IDP_FAULTS: [IdpFaultCase; 13] = [
    idp(
        "idp.token_503",
        "  - at: idp.{idp}.token\n    status: 503\n",
        "Y020026",
        "token call failed",
    ),
    idp(
        "idp.token_401",
        "  - at: idp.{idp}.token\n    status: 401\n",
        "Y020026",
        "token call failed",
    ),
    idp(
        "idp.token_500",
        "  - at: idp.{idp}.token\n    status: 500\n",
        "Y020026",
        "token call failed",
    ),
    idp(
        "idp.token_garbage",
        "  - at: idp.{idp}.token\n    garbage: true\n",
        "Y020026",
        "token answer unreadable",
    ),
    idp(
        "idp.token_reset",
        "  - at: idp.{idp}.token\n    reset: true\n",
        "Y020026",
        "token connection reset",
    ),
    idp(
        "idp.userinfo_502",
        "  - at: idp.{idp}.userinfo\n    status: 502\n",
        "Y020027",
        "userinfo call failed",
    ),
    idp(
        "idp.userinfo_garbage",
        "  - at: idp.{idp}.userinfo\n    garbage: true\n",
        "Y020027",
        "userinfo answer unreadable",
    ),
    idp(
        "idp.userinfo_sub_missing",
        "  - at: idp.{idp}.userinfo\n    drop_claims: [sub]\n",
        "Y020029",
        "identity incomplete",
    ),
    idp(
        "idp.acr_too_high",
        "  - at: idp.{idp}.token\n    set_claims: { acr: eidas3 }\n",
        "Y100018",
        "acr other than the one asked for",
    ),
    idp(
        "idp.acr_unknown",
        "  - at: idp.{idp}.token\n    set_claims: { acr: eidas9 }\n",
        "Y100001",
        "acr unknown to FranceConnect",
    ),
    idp(
        "idp.redirect_state_wrong",
        "  - at: idp.{idp}.login\n    redirect: { state: wrong }\n",
        "Y020022",
        "state differs from the one sent",
    ),
    idp(
        "idp.redirect_state_missing",
        "  - at: idp.{idp}.login\n    redirect: { state: missing }\n",
        "Y020021",
        "state missing at the callback",
    ),
    idp(
        "idp.redirect_code_missing",
        "  - at: idp.{idp}.login\n    redirect: { code: missing }\n",
        "Y020025",
        "code missing at the callback",
    ),
];

const fn idp(id: &'static str, fault: &'static str, code: &'static str, hub: &'static str) -> IdpFaultCase {
    IdpFaultCase { id, fault, code, hub }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_catalogue_entry_is_a_valid_scenario_with_a_unique_id() {
        let cfg = Config::default_bundle().unwrap();
        let client = &cfg.clients[0].client_id;
        let mut ids = std::collections::HashSet::new();
        for case in TOKEN_FAULTS {
            assert!(ids.insert(case.id), "duplicate id {}", case.id);
            let text = case.scenario(client);
            let s = crate::scenarios::parse::parse("catalogue", &text, &cfg)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", case.id));
            assert_eq!(s.faults.len(), 1, "{}", case.id);
        }
        for case in IDP_FAULTS {
            assert!(ids.insert(case.id), "duplicate id {}", case.id);
            let text = case.scenario(client, "ameli");
            crate::scenarios::parse::parse("catalogue", &text, &cfg).unwrap_or_else(|e| panic!("{}: {e}", case.id));
            assert!(case.code.starts_with('Y') && case.code.len() == 7, "{}", case.id);
        }
    }

    #[test]
    fn every_rejection_reason_is_explained() {
        for case in TOKEN_FAULTS {
            assert!(case.rejection.explain().starts_with("refuse: "), "{}", case.id);
        }
    }
}
