//! Why a careful relying party refuses a token FranceConnect (or a spoiled
//! copy of it) gave it.
//!
//! The fault catalogue ([`crate::scenarios::catalogue`]) names, for every
//! token fault fcmock can inject, the [`Rejection`] a relying party owes it;
//! the agent's relying party ([`crate::agent`]) reports the same enum, so a
//! test can check that a token was refused *for the right reason* and not
//! because the flow broke elsewhere.

use serde::Serialize;

/// One reason to refuse a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The signature does not verify with the key the header names.
    BadSignature,
    /// No signature at all (`alg: none`, or plain JSON where a JWS is due).
    Unsigned,
    /// The header names a key the issuer does not publish (or names none
    /// where the issuer publishes several).
    UnknownKey,
    /// `iss` is not the issuer the relying party discovered.
    WrongIssuer,
    /// `aud` is not the relying party's client_id, or also names another party.
    WrongAudience,
    /// `nonce` differs from the one sent at authorize, or is missing.
    WrongNonce,
    /// `exp` is past.
    Expired,
    /// `iat` is in the future.
    IssuedInFuture,
    /// A claim the relying party needs (`sub`, `exp`, `iat`…) is missing.
    MissingClaim,
    /// The userinfo `sub` differs from the id_token's.
    SubjectMismatch,
    /// Not a JWT, or not the JSON the relying party expects.
    Malformed,
}

impl Rejection {
    /// What the relying party must conclude, in one line (English, for reports).
    pub fn explain(self) -> &'static str {
        match self {
            Rejection::BadSignature => "refuse: the signature does not verify against the issuer's JWKS",
            Rejection::Unsigned => "refuse: the token is not signed (alg none or plain JSON)",
            Rejection::UnknownKey => "refuse: the kid is not in the issuer's JWKS (refetch it once, then refuse)",
            Rejection::WrongIssuer => "refuse: iss is not the discovered issuer",
            Rejection::WrongAudience => "refuse: aud is not exactly this client",
            Rejection::WrongNonce => "refuse: nonce differs from the one sent at authorize",
            Rejection::Expired => "refuse: exp is past",
            Rejection::IssuedInFuture => "refuse: iat is in the future",
            Rejection::MissingClaim => "refuse: a required claim is missing",
            Rejection::SubjectMismatch => "refuse: userinfo's sub differs from the id_token's",
            Rejection::Malformed => "refuse: not a well-formed token",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&name)
    }
}
