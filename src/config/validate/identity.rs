//! A pivot identity as written in a persona or account: gender, dates, COG codes.

use super::*;

/// Builds an identity from a full block (`base` = None) or an override of `base`.
pub(super) fn build_identity(
    file: &str,
    block: &Spanned<RawIdentity>,
    at: &str,
    base: Option<&Identity>,
    errors: &mut Errors,
) -> Option<Identity> {
    let r = &block.value;
    let before = errors.0.len();
    // An account's identity is what an identity provider holds: it may lack a
    // birthplace or an e-mail, or hold a free-text foreign birthplace. Such
    // identities are accepted here; FranceConnect refuses them at login (Y600006).
    let lenient = base.is_some();
    let mut need = |field: &Option<Spanned<String>>, name: &str, from_base: Option<&String>| -> String {
        match (field, from_base) {
            (Some(v), _) => v.value.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => {
                errors.spanned(file, block, format!("{at}.{name}"), "missing; this field is required");
                String::new()
            }
        }
    };
    let given_name = need(&r.given_name, "given_name", base.map(|b| &b.given_name));
    let family_name = need(&r.family_name, "family_name", base.map(|b| &b.family_name));
    let gender = need(&r.gender, "gender", base.map(|b| &b.gender));
    let birthdate = need(&r.birthdate, "birthdate", base.map(|b| &b.birthdate));
    let birthcountry = need(&r.birthcountry, "birthcountry", base.map(|b| &b.birthcountry));
    let birthplace = r
        .birthplace
        .as_ref()
        .map(|v| v.value.clone())
        .or_else(|| base.map(|b| b.birthplace.clone()))
        .unwrap_or_default();
    let line_of = |f: &Option<Spanned<String>>| f.as_ref().map_or(block.referenced.line(), |v| v.referenced.line());
    for (name, value, field) in [
        ("given_name", &given_name, &r.given_name),
        ("family_name", &family_name, &r.family_name),
    ] {
        let n = value.chars().count();
        if field.is_some() && (n == 0 || n > 256) {
            errors.at(
                file,
                line_of(field),
                format!("{at}.{name}"),
                format!("must have 1 to 256 characters, got {n}"),
            );
        }
    }
    if !gender.is_empty() && !GENDERS.contains(&gender.as_str()) {
        errors.at(
            file,
            line_of(&r.gender),
            format!("{at}.gender"),
            format!("`{gender}` is not one of female, male, unspecified"),
        );
    }
    if !birthdate.is_empty()
        && let Err(msg) = check_birthdate(&birthdate)
    {
        errors.at(file, line_of(&r.birthdate), format!("{at}.birthdate"), msg);
    }
    if !birthcountry.is_empty() && cog::country(&birthcountry).is_none() {
        errors.at(
            file,
            line_of(&r.birthcountry),
            format!("{at}.birthcountry"),
            format!("`{birthcountry}` is not an INSEE country code (see data/cog-pays.csv; France is 99100)"),
        );
    }
    if birthcountry == cog::FRANCE {
        if birthplace.is_empty() {
            if lenient {
                // deliberately missing at this identity provider
            } else {
                errors.at(
                    file,
                    line_of(&r.birthplace),
                    format!("{at}.birthplace"),
                    "required when birthcountry is 99100: the INSEE code of the commune of birth, e.g. 75107",
                );
            }
        } else if !cog::is_commune(&birthplace) {
            errors.at(
                file,
                line_of(&r.birthplace),
                format!("{at}.birthplace"),
                format!("`{birthplace}` is not an INSEE commune code (see data/cog-communes.csv)"),
            );
        }
    } else if !birthcountry.is_empty() && !birthplace.is_empty() && !lenient {
        errors.at(
            file,
            line_of(&r.birthplace),
            format!("{at}.birthplace"),
            "must be empty (\"\") for a person born abroad (birthcountry other than 99100)",
        );
    }
    // `email: ""` removes the e-mail (an identity provider that holds none).
    let email = match &r.email {
        Some(v) if v.value.is_empty() => None,
        Some(v) => Some(v.value.clone()),
        None => base.and_then(|b| b.email.clone()),
    };
    if let (Some(e), Some(field)) = (&email, &r.email)
        && !e.contains('@')
    {
        errors.spanned(
            file,
            field,
            format!("{at}.email"),
            format!("`{e}` is not an e-mail address"),
        );
    }
    let preferred_username = r
        .preferred_username
        .as_ref()
        .map(|v| v.value.clone())
        .or_else(|| base.and_then(|b| b.preferred_username.clone()));
    (errors.0.len() == before).then_some(Identity {
        given_name,
        family_name,
        preferred_username,
        gender,
        birthdate,
        birthplace,
        birthcountry,
        email,
    })
}
