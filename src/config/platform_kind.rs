//! Which FranceConnect platform a client, an endpoint or a request is for.
//!
//! fcmock serves two platforms from one engine: FranceConnect v2 (`/api/v2`,
//! eidas1) and FranceConnect+ (`/fcplus/api/v2`, eidas2/eidas3, encrypted
//! tokens). Clients and identity providers name the platform they belong to.

use std::borrow::Cow;

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
    /// The journal and scenario name of one of its endpoints (`fc.token`,
    /// `fcplus.token`), not copied for those every login names.
    pub fn endpoint(self, name: &str) -> Cow<'static, str> {
        let known = match (self, name) {
            (PlatformKind::Fc, "token") => "fc.token",
            (PlatformKind::Fc, "userinfo") => "fc.userinfo",
            (PlatformKind::Fc, "interaction.verify") => "fc.interaction.verify",
            (PlatformKind::Fcplus, "token") => "fcplus.token",
            (PlatformKind::Fcplus, "userinfo") => "fcplus.userinfo",
            (PlatformKind::Fcplus, "interaction.verify") => "fcplus.interaction.verify",
            (PlatformKind::Fc, _) => return Cow::Owned(format!("fc.{name}")),
            (PlatformKind::Fcplus, _) => return Cow::Owned(format!("fcplus.{name}")),
        };
        Cow::Borrowed(known)
    }

    /// Its name in pages and logs.
    pub fn label(self) -> &'static str {
        match self {
            PlatformKind::Fc => "FranceConnect",
            PlatformKind::Fcplus => "FranceConnect+",
        }
    }
}
