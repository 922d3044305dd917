//! The Métropole's own files, as the demo portal sees them: every local
//! account of every persona (médiathèques, conservatoire, régie des eaux,
//! comptes usagers), the reconciliation rules that compare them with a
//! FranceConnect pivot identity, and the figures the dashboard shows.
//!
//! The rules are the ones a careful collectivity applies, and the page
//! explains them: a local account **matches** when its birth name, its first
//! given name and its birth date are those of the pivot identity (accents
//! and case aside); it is a **near duplicate** when it is close but not
//! equal (a typo in the name, given names in another order, no birth date,
//! a usage name): an agent checks those, the portal never links them by
//! itself.

use serde_json::Value;

use crate::config::{Config, LocalAccount, LocalService};

/// The part of the pivot identity the rules compare, as userinfo gives it.
#[derive(Debug, Clone, Default)]
pub struct Pivot {
    pub given_name: String,
    pub family_name: String,
    pub birthdate: String,
    /// The usage name, when the service asked for it.
    pub preferred_username: Option<String>,
}

impl Pivot {
    /// From userinfo's claims.
    pub fn of(claims: &Value) -> Self {
        let s = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        Self {
            given_name: s("given_name"),
            family_name: s("family_name"),
            birthdate: s("birthdate"),
            preferred_username: claims
                .get("preferred_username")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
        }
    }
}

/// Largest edit distance between two birth names still called "close".
const CLOSE_NAMES: usize = 2;

/// How a local account compares with a pivot identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Likeness {
    /// Same birth name, first given name and birth date: proposed for linking.
    Match,
    /// Close, not equal: shown with the reason, for an agent to check.
    Near,
}

/// A local account found for a pivot identity.
#[derive(Debug, Clone)]
pub struct Found {
    pub account: LocalAccount,
    pub likeness: Likeness,
    /// Why, in French.
    pub why: String,
}

/// Upper case, no accents, no hyphens or apostrophes: how names compare.
fn norm(s: &str) -> String {
    deunicode::deunicode(s)
        .to_uppercase()
        .replace(['-', '\''], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first(given: &str) -> String {
    norm(given).split(' ').next().unwrap_or_default().to_owned()
}

/// Compares one local account with the pivot identity.
pub fn compare(a: &LocalAccount, id: &Pivot) -> Option<Found> {
    let (fam, pivot_fam) = (norm(&a.family_name), norm(&id.family_name));
    let same_first = first(&a.given_name) == first(&id.given_name);
    let same_given = norm(&a.given_name) == norm(&id.given_name);
    let birth = a.birthdate.as_deref();
    let same_birth = birth == Some(id.birthdate.as_str());
    let usage = id.preferred_username.as_deref().map(norm);
    let found = |likeness, why: &str| {
        Some(Found {
            account: a.clone(),
            likeness,
            why: why.to_owned(),
        })
    };
    if fam == pivot_fam && same_first && same_birth {
        return found(
            Likeness::Match,
            if same_given {
                "nom de naissance, prénoms et date de naissance identiques"
            } else {
                "nom de naissance, premier prénom et date de naissance identiques"
            },
        );
    }
    let close_name = strsim::levenshtein(&fam, &pivot_fam) <= CLOSE_NAMES;
    if fam == pivot_fam && same_birth {
        return found(Likeness::Near, "prénoms différents (ordre ou nombre) : à vérifier");
    }
    if close_name && same_first && same_birth {
        return found(
            Likeness::Near,
            "nom de naissance presque identique (faute de frappe ?) : à vérifier",
        );
    }
    if fam == pivot_fam && same_first && birth.is_none() {
        return found(Likeness::Near, "pas de date de naissance dans ce dossier : à vérifier");
    }
    if usage.as_deref() == Some(fam.as_str()) && same_first {
        return found(
            Likeness::Near,
            "connu sous le nom d'usage, pas le nom de naissance : à vérifier",
        );
    }
    None
}

/// Every local account of the Métropole's files that matches or nearly
/// matches `id`, matches first.
pub fn search(config: &Config, id: &Pivot) -> Vec<Found> {
    let mut out: Vec<Found> = config
        .personas
        .iter()
        .flat_map(|p| p.local_accounts.iter())
        .filter_map(|a| compare(a, id))
        .collect();
    out.sort_by_key(|f| (f.likeness != Likeness::Match, f.account.reference.clone()));
    out
}

/// A local account by its reference (the login of the « compte local » door).
pub fn by_reference(config: &Config, reference: &str) -> Option<LocalAccount> {
    config
        .personas
        .iter()
        .flat_map(|p| p.local_accounts.iter())
        .find(|a| a.reference.eq_ignore_ascii_case(reference.trim()))
        .cloned()
}

/// The service's name, in French.
pub fn service_name(s: LocalService) -> &'static str {
    match s {
        LocalService::Mediatheque => "Médiathèques",
        LocalService::Conservatoire => "Conservatoire",
        LocalService::RegieEaux => "Régie des eaux",
        LocalService::CompteUsager => "Compte usager de la Métropole",
        LocalService::RestaurationScolaire => "Restauration scolaire",
        LocalService::Autre => "Autre service",
    }
}

/// A small number drawn from the reference, so that each account always
/// shows the same made-up figures.
fn figure(reference: &str, modulo: u32) -> u32 {
    reference
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % modulo
}

/// What the dashboard says of one account (made-up figures, marked as such).
pub fn summary(a: &LocalAccount) -> String {
    let r = &a.reference;
    match a.service {
        LocalService::Mediatheque => format!(
            "{} prêt(s) en cours, à rendre avant le {} du mois prochain.",
            1 + figure(r, 4),
            10 + figure(r, 18)
        ),
        LocalService::RegieEaux => format!(
            "Dernière facture : {},{:02} €, payée par prélèvement.",
            30 + figure(r, 60),
            figure(r, 100)
        ),
        LocalService::Conservatoire => {
            let instrument = ["piano", "violon", "flûte traversière", "guitare", "chant"];
            let i = figure(r, instrument.len() as u32) as usize;
            format!(
                "Inscription {} : {}, {}ᵉ cycle.",
                "2026-2027",
                instrument.get(i).copied().unwrap_or("piano"),
                1 + figure(r, 3)
            )
        }
        LocalService::CompteUsager => format!("Compte usager n° {r}."),
        LocalService::RestaurationScolaire => format!("Solde du compte cantine : {},00 €.", figure(r, 40)),
        LocalService::Autre => "Dossier ouvert.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(given: &str, family: &str, birth: Option<&str>) -> LocalAccount {
        LocalAccount {
            service: LocalService::Mediatheque,
            reference: "MED-1".to_owned(),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            birthdate: birth.map(str::to_owned),
            email: None,
            note: None,
        }
    }

    fn camille() -> Pivot {
        Pivot {
            given_name: "Camille Hélène".to_owned(),
            family_name: "Rochefort".to_owned(),
            birthdate: "1984-03-12".to_owned(),
            preferred_username: None,
        }
    }

    #[test]
    fn matches_and_near_duplicates_follow_the_rules_the_page_explains() {
        let id = camille();
        let like = |a: &LocalAccount| compare(a, &id).map(|f| f.likeness);
        assert_eq!(
            like(&account("Camille", "ROCHEFORT", Some("1984-03-12"))),
            Some(Likeness::Match)
        );
        assert_eq!(
            like(&account("Camille", "Rochefor", Some("1984-03-12"))),
            Some(Likeness::Near)
        );
        assert_eq!(
            like(&account("Hélène Camille", "Rochefort", Some("1984-03-12"))),
            Some(Likeness::Near)
        );
        assert_eq!(like(&account("Camille", "Rochefort", None)), Some(Likeness::Near));
        assert_eq!(like(&account("Camille", "Rochefort", Some("1985-03-12"))), None);
        assert_eq!(like(&account("Paul", "Martin", Some("1984-03-12"))), None);
    }
}
