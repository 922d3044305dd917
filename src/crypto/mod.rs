//! Keys, JWKS, JWS signing and verification, and FranceConnect's `sub`.
//!
//! Keys are parsed once at start-up into ready signers ([`keys::SigningKey`]);
//! request paths only sign and verify. Private material never leaves this
//! module: [`keys::KeyRing::jwks`] builds JWKS documents from public members only.

pub mod jwe;
pub mod jws;
pub mod keys;
pub mod sub;

pub use keys::{Alg, KeyError, KeyRing, SigningKey};
