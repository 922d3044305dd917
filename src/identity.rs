//! The pivot identity: as an identity provider holds it, as FranceConnect
//! checks it, and as the civil registry (RNIPP) normalises it.
//!
//! Three steps of the real platform live here as plain functions:
//! - [`check_fi_identity`]: what FranceConnect demands of an identity
//!   provider's answer (failures surface as page `Y600006`);
//! - [`normalise`]: what the RNIPP step does to it before it reaches a service
//!   provider (upper-case birth name, split given names, completed presumed
//!   dates, blank birthplace when born abroad);
//! - the identity hash that the pairwise `sub` is built on.

use serde::{Deserialize, Serialize};

use crate::cog;
use crate::crypto::sub::{PivotForHash, identity_hash};

/// The genders FranceConnect accepts.
pub const GENDERS: [&str; 3] = ["female", "male", "unspecified"];

/// An identity as an identity provider returns it (claims named as in OIDC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Given names separated by spaces, e.g. `Jean-Baptiste Yves`.
    pub given_name: String,
    /// Birth name (nom de naissance).
    pub family_name: String,
    /// Usage name (nom d'usage), when different from the birth name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// `female`, `male` or `unspecified`.
    pub gender: String,
    /// `YYYY-MM-DD`, or presumed `YYYY-MM-00` / `YYYY-00-00`.
    pub birthdate: String,
    /// INSEE code of the commune of birth; empty when born abroad.
    #[serde(default)]
    pub birthplace: String,
    /// INSEE code of the country of birth (`99100` for France).
    pub birthcountry: String,
    /// E-mail address; FranceConnect refuses identities without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The identity after FranceConnect's RNIPP step, as service providers get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalisedIdentity {
    pub given_name: String,
    pub given_name_array: Vec<String>,
    pub family_name: String,
    pub birthdate: String,
    /// The identity provider's raw birthdate (may end in `-00`).
    pub idp_birthdate: String,
    pub gender: String,
    pub birthplace: String,
    pub birthcountry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// `base64(sha256(latin1(serial)))`, the base of every pairwise `sub`.
    pub identity_hash: String,
}

/// One problem with an identity: which claim, what was wrong, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProblem {
    pub claim: &'static str,
    pub message: String,
}

/// Checks a birthdate: `YYYY-MM-DD` (a real date), `YYYY-MM-00` or `YYYY-00-00`.
pub fn check_birthdate(value: &str) -> Result<(), String> {
    let expected = "expected YYYY-MM-DD, or YYYY-MM-00 / YYYY-00-00 for a presumed date";
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("`{value}` is not a date; {expected}"));
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(format!("`{value}` is not a date; {expected}"));
    }
    let (year, month, day): (i32, u32, u32) =
        (y.parse().unwrap_or(0), m.parse().unwrap_or(99), d.parse().unwrap_or(99));
    match (month, day) {
        (0, 0) => Ok(()),
        (0, _) => Err(format!(
            "`{value}`: an unknown month requires an unknown day (YYYY-00-00)"
        )),
        (1..=12, 0) => Ok(()),
        (1..=12, _) if chrono::NaiveDate::from_ymd_opt(year, month, day).is_some() => Ok(()),
        _ => Err(format!("`{value}` is not a valid date; {expected}")),
    }
}

/// Completes a presumed date the way the RNIPP step does.
pub fn complete_birthdate(value: &str) -> String {
    if let Some(year) = value.strip_suffix("-00-00") {
        format!("{year}-01-01")
    } else if let Some(year_month) = value.strip_suffix("-00") {
        format!("{year_month}-01")
    } else {
        value.to_owned()
    }
}

/// FranceConnect's checks on an identity provider's identity (its
/// `OidcIdentityDto`). Every problem is reported, not just the first.
pub fn check_fi_identity(id: &Identity) -> Vec<IdentityProblem> {
    let mut problems = Vec::new();
    let mut push = |claim: &'static str, message: String| problems.push(IdentityProblem { claim, message });
    for (claim, value) in [("given_name", &id.given_name), ("family_name", &id.family_name)] {
        let n = value.chars().count();
        if n == 0 || n > 256 {
            push(claim, format!("must have 1 to 256 characters, got {n}"));
        }
    }
    if !GENDERS.contains(&id.gender.as_str()) {
        push(
            "gender",
            format!("`{}` is not one of female, male, unspecified", id.gender),
        );
    }
    if let Err(e) = check_birthdate(&id.birthdate) {
        push("birthdate", e);
    }
    if !is_country_shaped(&id.birthcountry) {
        push(
            "birthcountry",
            format!(
                "`{}` is not an INSEE country code (99 followed by 3 digits)",
                id.birthcountry
            ),
        );
    }
    if id.birthcountry == cog::FRANCE {
        if id.birthplace.is_empty() {
            push(
                "birthplace",
                "is required when birthcountry is 99100 (born in France)".to_owned(),
            );
        } else if !cog::is_cog_shaped(&id.birthplace) {
            push(
                "birthplace",
                format!("`{}` is not an INSEE commune code", id.birthplace),
            );
        }
    } else if !id.birthplace.is_empty() && !cog::is_cog_shaped(&id.birthplace) {
        push(
            "birthplace",
            format!("`{}` is not an INSEE commune code", id.birthplace),
        );
    }
    match &id.email {
        None => push("email", "is required".to_owned()),
        Some(e) if !looks_like_email(e) => push("email", format!("`{e}` is not an e-mail address")),
        Some(_) => {}
    }
    problems
}

fn is_country_shaped(code: &str) -> bool {
    code.len() == 5 && code.starts_with("99") && code.bytes().all(|b| b.is_ascii_digit())
}

fn looks_like_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !e.contains(' ')
        }
        None => false,
    }
}

/// The RNIPP step applied to an identity provider's identity.
pub fn normalise(id: &Identity) -> NormalisedIdentity {
    let given_name_array: Vec<String> = id.given_name.split_whitespace().map(str::to_owned).collect();
    let given_name = given_name_array.join(" ");
    let family_name = id.family_name.trim().to_uppercase();
    let birthdate = complete_birthdate(&id.birthdate);
    let birthplace = if id.birthcountry == cog::FRANCE {
        id.birthplace.clone()
    } else {
        String::new()
    };
    let hash = identity_hash(&PivotForHash {
        given_name: &given_name,
        family_name: &family_name,
        birthdate: &birthdate,
        gender: &id.gender,
        birthplace: &birthplace,
        birthcountry: &id.birthcountry,
    });
    NormalisedIdentity {
        given_name,
        given_name_array,
        family_name,
        birthdate,
        idp_birthdate: id.birthdate.clone(),
        gender: id.gender.clone(),
        birthplace,
        birthcountry: id.birthcountry.clone(),
        email: id.email.clone(),
        preferred_username: id.preferred_username.clone(),
        identity_hash: hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Identity {
        Identity {
            given_name: "Joëlle  Françoise".into(),
            family_name: "Dubinôre".into(),
            preferred_username: None,
            gender: "female".into(),
            birthdate: "1992-08-00".into(),
            birthplace: "75117".into(),
            birthcountry: "99100".into(),
            email: Some("j@example.fr".into()),
        }
    }

    #[test]
    fn normalisation_follows_the_rnipp_step() {
        let n = normalise(&sample());
        assert_eq!(n.family_name, "DUBINÔRE");
        assert_eq!(n.given_name_array, vec!["Joëlle", "Françoise"]);
        assert_eq!(n.given_name, "Joëlle Françoise");
        assert_eq!(n.birthdate, "1992-08-01");
        assert_eq!(n.idp_birthdate, "1992-08-00");
        let abroad = normalise(&Identity {
            birthcountry: "99352".into(),
            ..sample()
        });
        assert_eq!(abroad.birthplace, "");
    }

    #[test]
    fn birthdate_rules() {
        assert!(check_birthdate("1992-08-15").is_ok());
        assert!(check_birthdate("1992-08-00").is_ok());
        assert!(check_birthdate("1992-00-00").is_ok());
        assert!(check_birthdate("1977-00-03").is_err());
        assert!(check_birthdate("1992-02-30").is_err());
        assert!(check_birthdate("15/08/1992").is_err());
        assert_eq!(complete_birthdate("1958-00-00"), "1958-01-01");
    }

    #[test]
    fn fi_identity_checks_match_franceconnect() {
        assert!(check_fi_identity(&sample()).is_empty());
        let bad = Identity {
            gender: String::new(),
            email: None,
            birthplace: String::new(),
            birthcountry: "AAAAA".into(),
            ..sample()
        };
        let claims: Vec<_> = check_fi_identity(&bad).iter().map(|p| p.claim).collect();
        assert_eq!(claims, vec!["gender", "birthcountry", "email"]);
        let french_without_place = Identity {
            birthplace: String::new(),
            ..sample()
        };
        assert_eq!(check_fi_identity(&french_without_place)[0].claim, "birthplace");
    }
}
