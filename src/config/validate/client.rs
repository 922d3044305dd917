//! Service providers (clients): registration, redirect URIs, scopes, headless login.

use super::*;

/// Resolves `auto_login` to one persona (by id, or the first carrying all `tags`).
pub(super) fn resolve_auto_login(
    file: &str,
    a: &Spanned<RawAutoLogin>,
    at: &str,
    personas: &crate::config::PersonaSet,
    errors: &mut Errors,
) -> Option<AutoLogin> {
    let v = &a.value;
    let idp = v.idp.value.as_str();
    let found = match (&v.persona, &v.tags) {
        (Some(id), None) => match personas.get(&id.value) {
            Some(p) => p,
            None => {
                let known: HashSet<&str> = personas.ids().collect();
                errors.spanned(
                    file,
                    id,
                    format!("{at}.auto_login.persona"),
                    unknown("persona", &id.value, &known),
                );
                return None;
            }
        },
        (None, Some(tags)) => match personas.iter().find(|p| p.has_tags(tags) && p.account(idp).is_some()) {
            Some(p) => p,
            None => {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.auto_login.tags"),
                    format!(
                        "no persona carries all of [{}] with an account at `{idp}`",
                        tags.join(", ")
                    ),
                );
                return None;
            }
        },
        _ => {
            errors.spanned(
                file,
                a,
                format!("{at}.auto_login"),
                "give either `persona` (an id) or `tags` (a selection), not both",
            );
            return None;
        }
    };
    if found.account(idp).is_none() {
        let mut k: Vec<&str> = found.accounts.iter().map(|a| a.idp.as_str()).collect();
        k.sort_unstable();
        errors.spanned(
            file,
            &v.idp,
            format!("{at}.auto_login.idp"),
            format!(
                "persona `{}` has no account at `{idp}`; it has accounts at: {}",
                found.id,
                k.join(", ")
            ),
        );
        return None;
    }
    Some(AutoLogin {
        persona: found.id.clone(),
        idp: idp.to_owned(),
    })
}

pub(super) fn build_client(
    e: &Located<RawClient>,
    index: usize,
    idps: &HashSet<&str>,
    personas: &crate::config::PersonaSet,
    errors: &mut Errors,
) -> Option<Client> {
    let file = e.file.as_str();
    let r = &e.item.value;
    let at = format!("clients[{index}]");
    let before = errors.0.len();
    for (name, v) in [
        ("client_id", &r.client_id),
        ("client_secret", &r.client_secret),
        ("name", &r.name),
    ] {
        if v.value.trim().is_empty() {
            errors.spanned(file, v, format!("{at}.{name}"), "must not be empty");
        }
    }
    for (name, list) in [
        ("redirect_uris", &r.redirect_uris),
        ("post_logout_redirect_uris", &r.post_logout_redirect_uris),
    ] {
        for u in list {
            match url::Url::parse(&u.value) {
                Ok(parsed) if parsed.fragment().is_none() => {}
                Ok(_) => errors.spanned(
                    file,
                    u,
                    format!("{at}.{name}"),
                    format!("`{}` must not have a fragment", u.value),
                ),
                Err(_) => errors.spanned(
                    file,
                    u,
                    format!("{at}.{name}"),
                    format!("`{}` is not an absolute URL", u.value),
                ),
            }
        }
    }
    if r.redirect_uris.is_empty() && !r.allow_localhost_redirects {
        errors.spanned(
            file,
            &e.item,
            format!("{at}.redirect_uris"),
            "register at least one redirect URI",
        );
    }
    if let Some(list) = &r.scopes {
        for s in list {
            if !scopes::is_known(&s.value) {
                errors.spanned(
                    file,
                    s,
                    format!("{at}.scopes"),
                    format!(
                        "`{}` is not a FranceConnect scope; known: {}",
                        s.value,
                        scopes::all_known().join(", ")
                    ),
                );
            }
        }
    }
    for c in &r.claims {
        if c.value != "amr" {
            errors.spanned(
                file,
                c,
                format!("{at}.claims"),
                format!("`{}`: FranceConnect only lets clients request `amr` here", c.value),
            );
        }
    }
    for (name, list) in [
        ("idps", r.idps.as_deref().unwrap_or_default()),
        ("excluded_idps", r.excluded_idps.as_slice()),
        ("allowed_idp_hints", r.allowed_idp_hints.as_deref().unwrap_or_default()),
    ] {
        for i in list {
            if !idps.contains(i.value.as_str()) {
                errors.spanned(
                    file,
                    i,
                    format!("{at}.{name}"),
                    unknown("identity provider", &i.value, idps),
                );
            }
        }
    }
    if let Some(list) = &r.allowed_prompts {
        for p in list {
            if !PROMPTS.contains(&p.value.as_str()) {
                errors.spanned(
                    file,
                    p,
                    format!("{at}.allowed_prompts"),
                    format!("`{}` is not one of login, consent", p.value),
                );
            }
        }
    }
    let auto_login = r
        .auto_login
        .as_ref()
        .and_then(|a| resolve_auto_login(file, a, &at, personas, errors));
    let platform = r.platform.unwrap_or_default();
    let encryption = if platform == crate::config::PlatformKind::Fcplus {
        if r.signing_alg.is_some_and(|a| a != Alg::ES256) {
            errors.spanned(
                file,
                &e.item,
                format!("{at}.signing_alg"),
                "FranceConnect+ signs with ES256 only",
            );
        }
        let alg = match &r.encryption_alg {
            Some(a) => crate::crypto::jwe::KeyManagement::parse(&a.value).unwrap_or_else(|| {
                errors.spanned(
                    file,
                    a,
                    format!("{at}.encryption_alg"),
                    "one of ECDH-ES, RSA-OAEP, RSA-OAEP-256",
                );
                crate::crypto::jwe::KeyManagement::EcdhEs
            }),
            None => crate::crypto::jwe::KeyManagement::EcdhEs,
        };
        if let Some(jwk) = &r.encryption_jwk
            && crate::crypto::jwe::PublicKey::from_jwk(&jwk.value).is_err()
        {
            errors.spanned(
                file,
                jwk,
                format!("{at}.encryption_jwk"),
                "not a P-256 (EC) or RSA public JWK",
            );
        }
        if let Some(u) = &r.jwks_uri
            && url::Url::parse(&u.value).is_err()
        {
            errors.spanned(file, u, format!("{at}.jwks_uri"), "not an absolute URL");
        }
        if r.encryption_jwk.is_none() && r.jwks_uri.is_none() {
            errors.spanned(
                file,
                &e.item,
                &at,
                "a FranceConnect+ client needs its encryption key: `encryption_jwk` (inline public JWK) or `jwks_uri`",
            );
        }
        Some(crate::config::ClientEncryption {
            alg,
            jwk: r.encryption_jwk.as_ref().map(|j| j.value.clone()),
            jwks_uri: r.jwks_uri.as_ref().map(|u| u.value.clone()),
        })
    } else {
        None
    };
    if errors.0.len() > before {
        return None;
    }
    Some(Client {
        platform,
        encryption,
        client_id: r.client_id.value.clone(),
        client_secret: r.client_secret.value.clone(),
        name: r.name.value.clone(),
        entity_id: r
            .entity_id
            .as_ref()
            .map_or_else(|| r.client_id.value.clone(), |v| v.value.clone()),
        kind: r.kind.unwrap_or(ClientType::Public),
        identity_consent: r.identity_consent,
        redirect_uris: r.redirect_uris.iter().map(|u| u.value.clone()).collect(),
        post_logout_redirect_uris: r.post_logout_redirect_uris.iter().map(|u| u.value.clone()).collect(),
        allow_localhost_redirects: r.allow_localhost_redirects,
        scopes: r.scopes.as_ref().map(|l| l.iter().map(|s| s.value.clone()).collect()),
        claims: r.claims.iter().map(|c| c.value.clone()).collect(),
        signing_alg: r.signing_alg.unwrap_or(Alg::ES256),
        idps: r.idps.as_ref().map(|l| l.iter().map(|s| s.value.clone()).collect()),
        excluded_idps: r.excluded_idps.iter().map(|s| s.value.clone()).collect(),
        allowed_idp_hints: r
            .allowed_idp_hints
            .as_ref()
            .map(|v| v.iter().map(|s| s.value.clone()).collect()),
        allowed_prompts: r.allowed_prompts.as_ref().map_or_else(
            || PROMPTS.iter().map(|p| (*p).to_owned()).collect(),
            |l| l.iter().map(|s| s.value.clone()).collect(),
        ),
        token_endpoint_auth_method: "client_secret_post",
        auto_login,
    })
}
