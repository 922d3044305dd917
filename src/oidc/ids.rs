//! Newtypes for the values a party sends and expects back, so that a
//! `state` can never be checked where a `nonce` was due (they travel side
//! by side and are both random strings).

use std::fmt;

/// The OAuth `state` a party sent at authorize and expects back on the redirect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OAuthState(String);

/// The OpenID `nonce` a party sent at authorize and expects in the id_token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

macro_rules! string_newtype {
    ($t:ident) => {
        impl $t {
            /// Wraps a value received or generated.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype!(OAuthState);
string_newtype!(Nonce);
