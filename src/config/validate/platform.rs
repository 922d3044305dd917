//! The `platform:` section: lifetimes, paths, capacities, the `sub` secret.

use super::*;

pub(super) type PlatformOut<'a> = (PlatformSettings, Vec<(String, Vec<Spanned<String>>)>);

pub(super) fn build_platform(layers: &[(String, RawPlatform)], errors: &mut Errors) -> PlatformOut<'static> {
    let mut s = PlatformSettings {
        sub_secret: String::new(),
        code_ttl: 30,
        access_token_ttl: 60,
        id_token_ttl: 60,
        session_ttl: 1800,
        fcplus_session_ttl: 600,
        fcplus_path: crate::paths::FCPLUS_PREFIX.to_owned(),
        allowed_idp_hints: Vec::new(),
        reject_unknown_authorize_params: true,
        accept_pkce: false,
        store_capacity: 20_000,
        journal_capacity: 10_000,
        journal_mib: 32,
        store_mib: 16,
        seed: None,
    };
    let mut hints: Vec<(String, Vec<Spanned<String>>)> = Vec::new();
    for (file, p) in layers {
        if let Some(v) = &p.sub_secret {
            if v.value.len() < 16 {
                errors.spanned(file, v, "platform.sub_secret", "must have at least 16 characters");
            }
            s.sub_secret.clone_from(&v.value);
        }
        for (name, field, slot) in [
            ("code_ttl", &p.code_ttl, &mut s.code_ttl),
            ("access_token_ttl", &p.access_token_ttl, &mut s.access_token_ttl),
            ("id_token_ttl", &p.id_token_ttl, &mut s.id_token_ttl),
            ("session_ttl", &p.session_ttl, &mut s.session_ttl),
            ("fcplus_session_ttl", &p.fcplus_session_ttl, &mut s.fcplus_session_ttl),
        ] {
            if let Some(v) = field {
                if v.value == 0 || v.value > 86_400 {
                    errors.spanned(
                        file,
                        v,
                        format!("platform.{name}"),
                        "must be between 1 and 86400 seconds",
                    );
                }
                *slot = v.value;
            }
        }
        if let Some(v) = &p.fcplus_path {
            if let Err(why) = check_fcplus_path(&v.value) {
                errors.spanned(file, v, "platform.fcplus_path", why);
            }
            s.fcplus_path.clone_from(&v.value);
        }
        if let Some(v) = &p.allowed_idp_hints {
            s.allowed_idp_hints = v.iter().map(|h| h.value.clone()).collect();
            hints.push((file.clone(), v.clone()));
        }
        if let Some(v) = p.reject_unknown_authorize_params {
            s.reject_unknown_authorize_params = v;
        }
        if let Some(v) = p.accept_pkce {
            s.accept_pkce = v;
        }
        if let Some(v) = &p.store_capacity {
            if v.value < 10 {
                errors.spanned(file, v, "platform.store_capacity", "must be at least 10");
            }
            s.store_capacity = usize::try_from(v.value).unwrap_or(usize::MAX);
        }
        if let Some(v) = p.journal_capacity {
            s.journal_capacity = usize::try_from(v).unwrap_or(usize::MAX).min(1_000_000);
        }
        if let Some(v) = &p.store_mib {
            if !(1..=65_536).contains(&v.value) {
                errors.spanned(file, v, "platform.store_mib", "must be between 1 and 65536 (MiB)");
            }
            s.store_mib = usize::try_from(v.value).unwrap_or(16).clamp(1, 65_536);
        }
        if let Some(v) = &p.journal_mib {
            if !(1..=65_536).contains(&v.value) {
                errors.spanned(file, v, "platform.journal_mib", "must be between 1 and 65536 (MiB)");
            }
            s.journal_mib = usize::try_from(v.value).unwrap_or(32).clamp(1, 65_536);
        }
        if p.seed.is_some() {
            s.seed = p.seed;
        }
    }
    if s.sub_secret.is_empty() {
        errors.at(
            layers.first().map_or("<config>", |(f, _)| f.as_str()),
            0,
            "platform.sub_secret",
            "missing; set a secret of at least 16 characters",
        );
    }
    (s, hints)
}

/// FranceConnect+'s path: absolute, no trailing `/`, clear of fcmock's other roots.
pub(super) fn check_fcplus_path(path: &str) -> Result<(), String> {
    let expected = "expected an absolute path such as `/fcplus/api/v2`";
    if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
        return Err(format!("`{path}`: {expected}, without a trailing `/`"));
    }
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) || path.contains("//") {
        return Err(format!("`{path}`: {expected} (letters, digits, `-`, `_`, `.`)"));
    }
    let taken = [
        crate::paths::FC_PREFIX,
        crate::paths::IDP_PREFIX,
        crate::paths::DP_PREFIX,
        "/_fcmock",
    ];
    if let Some(root) = taken
        .iter()
        .find(|t| path == **t || path.starts_with(&format!("{t}/")) || t.starts_with(&format!("{path}/")))
    {
        return Err(format!("`{path}` overlaps `{root}`, which fcmock already serves"));
    }
    Ok(())
}
