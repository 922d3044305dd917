//! Identity providers: built-in ones with their embedded keys, external ones by discovery URL.

use super::*;

/// Embedded keys of the default identity providers.
pub(super) const BUILTIN_IDP_KEYS: [(&str, &str); 5] = [
    ("impots", include_str!("../../../keys/idp-impots-rs256.pem")),
    ("ameli", include_str!("../../../keys/idp-ameli-es256.pem")),
    ("laposte", include_str!("../../../keys/idp-laposte-es256.pem")),
    ("msa", include_str!("../../../keys/idp-msa-es256.pem")),
    (
        "franceidentite",
        include_str!("../../../keys/idp-franceidentite-es256.pem"),
    ),
];

/// Where an external provider's discovery document is, under its issuer.
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// Fields that shape fcmock's own login pages and tokens, which an external
/// provider has none of: refused rather than silently ignored.
fn refuse_builtin_fields(file: &str, r: &RawIdp, at: &str, errors: &mut Errors) {
    let why = "does nothing for an external identity provider";
    if let Some(a) = &r.signing_alg {
        errors.spanned(
            file,
            a,
            format!("{at}.signing_alg"),
            format!("{why}: the hub reads its signing algorithms from its discovery document; remove the field"),
        );
    }
    if let Some(c) = &r.credential {
        errors.spanned(
            file,
            c,
            format!("{at}.credential"),
            format!("{why}: the provider shows its own login page; remove the field"),
        );
    }
    if let Some(k) = &r.signing_key_file {
        errors.spanned(
            file,
            k,
            format!("{at}.signing_key_file"),
            format!("{why}: the provider signs with its own keys, published at its jwks_uri; remove the field"),
        );
    }
}

pub(super) fn build_idp(e: &Located<RawIdp>, index: usize, errors: &mut Errors) -> Option<IdpConfig> {
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("identity_providers[{index}]");
    let before = errors.0.len();
    errors.slug_id(file, &r.id, &at, " (it is used in URLs)");
    let acr: Vec<String> = match &r.acr {
        Some(list) => {
            for a in list {
                if !ACR_VALUES.contains(&a.value.as_str()) {
                    errors.spanned(
                        file,
                        a,
                        format!("{at}.acr"),
                        format!("`{}` is not one of eidas1, eidas2, eidas3", a.value),
                    );
                }
            }
            list.iter().map(|a| a.value.clone()).collect()
        }
        None => vec!["eidas1".to_owned()],
    };
    let amr = r.amr.as_ref().map_or_else(
        || vec!["pwd".to_owned()],
        |l| l.iter().map(|a| a.value.clone()).collect(),
    );
    let source = match &r.discovery_url {
        Some(d) => {
            if url::Url::parse(&d.value).is_err() {
                errors.spanned(file, d, format!("{at}.discovery_url"), "not an absolute URL");
            } else if !d.value.ends_with(WELL_KNOWN) {
                errors.spanned(
                    file,
                    d,
                    format!("{at}.discovery_url"),
                    format!(
                        "`{}` does not end with {WELL_KNOWN}: give the issuer's discovery URL (the issuer, without a final /, then {WELL_KNOWN})",
                        d.value
                    ),
                );
            }
            refuse_builtin_fields(file, r, &at, errors);
            if r.hub_client_id.is_none() || r.hub_client_secret.is_none() {
                errors.spanned(
                    file,
                    &e.item,
                    &at,
                    "an external identity provider needs hub_client_id and hub_client_secret (the hub's registration there)",
                );
            }
            IdpSource::External {
                discovery_url: d.value.clone(),
            }
        }
        None => {
            let key_pem = key_text(
                r.signing_key_file.as_ref(),
                &BUILTIN_IDP_KEYS,
                &r.id.value,
                (file, &format!("{at}.signing_key_file")),
                errors,
            );
            IdpSource::Builtin { key_pem }
        }
    };
    let signing_alg = r.signing_alg.as_ref().map_or(Alg::ES256, |a| a.value);
    if errors.0.len() > before {
        return None;
    }
    Some(IdpConfig {
        id: r.id.value.clone(),
        name: r.name.value.clone(),
        active: r.active.unwrap_or(true),
        credential: r.credential.as_ref().map_or(CredentialStyle::Login, |c| c.value),
        acr,
        amr,
        signing_alg,
        hub_client_id: r
            .hub_client_id
            .as_ref()
            .map_or_else(|| format!("fcmock-hub-at-{}", r.id.value), |v| v.value.clone()),
        hub_client_secret: r
            .hub_client_secret
            .as_ref()
            .map_or_else(|| format!("fcmock-hub-secret-{}", r.id.value), |v| v.value.clone()),
        source,
        platforms: r
            .platforms
            .clone()
            .unwrap_or_else(|| vec![crate::config::PlatformKind::Fc]),
    })
}
