//! Which FranceConnect platform a client, an endpoint or a request is for.
//!
//! fcmock serves two platforms from one engine: FranceConnect v2 (`/api/v2`,
//! eidas1) and FranceConnect+ (`/fcplus/api/v2`, eidas2/eidas3, encrypted
//! tokens). Clients and identity providers name the platform they belong to.

use serde::{Deserialize, Serialize};

/// The two platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// FranceConnect v2 ("low", eidas1).
    #[default]
    Fc,
    /// FranceConnect+ ("high", eidas2/eidas3).
    Fcplus,
}

impl PlatformKind {
    /// The journal and scenario name of one of its endpoints (`fc.token`, `fcplus.token`).
    pub fn endpoint(self, name: &str) -> String {
        match self {
            PlatformKind::Fc => format!("fc.{name}"),
            PlatformKind::Fcplus => format!("fcplus.{name}"),
        }
    }

    /// Its name in pages and logs.
    pub fn label(self) -> &'static str {
        match self {
            PlatformKind::Fc => "FranceConnect",
            PlatformKind::Fcplus => "FranceConnect+",
        }
    }
}
