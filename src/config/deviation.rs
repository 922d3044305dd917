//! The deviations from the real platform that a configuration puts in
//! force: said in English in the start-up banner, and in French on the
//! home page (`web::fr::deviation`).

use std::fmt;

use super::Config;

/// One way this configuration differs from FranceConnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deviation {
    /// A lifetime other than FranceConnect's (seconds).
    Lifetime {
        setting: &'static str,
        value: u64,
        real: u64,
    },
    /// `platform.accept_pkce`.
    AcceptPkce,
    /// `platform.reject_unknown_authorize_params: false`.
    UnknownParamsIgnored,
    /// A client accepting any localhost redirect URI.
    LocalhostRedirects { client: String },
    /// A client whose logins are all headless.
    AutoLogin {
        client: String,
        persona: String,
        idp: String,
    },
    /// fcmock's `sub_secret` is public.
    PublicSubSecret,
}

/// The deviations of `cfg`, in a fixed order.
pub(super) fn of(cfg: &Config) -> Vec<Deviation> {
    let mut out = Vec::new();
    let p = &cfg.platform;
    for (setting, value, real) in [
        ("code_ttl", p.code_ttl, 30),
        ("access_token_ttl", p.access_token_ttl, 60),
        ("id_token_ttl", p.id_token_ttl, 60),
        ("session_ttl", p.session_ttl, 1800),
    ] {
        if value != real {
            out.push(Deviation::Lifetime { setting, value, real });
        }
    }
    if p.accept_pkce {
        out.push(Deviation::AcceptPkce);
    }
    if !p.reject_unknown_authorize_params {
        out.push(Deviation::UnknownParamsIgnored);
    }
    for c in &cfg.clients {
        if c.allow_localhost_redirects {
            out.push(Deviation::LocalhostRedirects { client: c.name.clone() });
        }
        if let Some(a) = &c.auto_login {
            out.push(Deviation::AutoLogin {
                client: c.name.clone(),
                persona: a.persona.clone(),
                idp: a.idp.clone(),
            });
        }
    }
    out.push(Deviation::PublicSubSecret);
    out
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lifetime { setting, value, real } => {
                write!(f, "platform.{setting} = {value} s (FranceConnect: {real} s)")
            }
            Self::AcceptPkce => {
                f.write_str("platform.accept_pkce = true (FranceConnect refuses code_challenge at authorize)")
            }
            Self::UnknownParamsIgnored => f.write_str(
                "platform.reject_unknown_authorize_params = false (unknown authorize parameters are ignored)",
            ),
            Self::LocalhostRedirects { client } => write!(
                f,
                "client `{client}`: allow_localhost_redirects (any http://localhost:PORT/… or http://127.0.0.1:PORT/… redirect URI is accepted; FranceConnect requires an exact registered match)"
            ),
            Self::AutoLogin { client, persona, idp } => {
                write!(
                    f,
                    "client `{client}`: auto_login as `{persona}` via `{idp}` (no pages shown)"
                )
            }
            Self::PublicSubSecret => f.write_str("sub_secret is public: subs differ from the real platform's"),
        }
    }
}
