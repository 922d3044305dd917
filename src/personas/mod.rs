//! Persona tools: the generator, the NIR, avatars, and the per-service-provider `sub`.

pub mod avatar;
pub mod generate;
mod jsonl;
pub mod nir;
mod tables;
mod yaml;

use crate::config::{Config, Persona};
use crate::crypto::sub::compute_sub;
use crate::identity::normalise;

/// The `sub` each registered service provider would receive for `persona`
/// logging in through `idp` (the civil identity when `idp` is `None`):
/// (client name, client_id, sub).
pub fn subs(config: &Config, persona: &Persona, idp: Option<&str>) -> Vec<(String, String, String)> {
    let identity = idp
        .and_then(|i| persona.account(i))
        .map_or(&persona.identity, |a| &a.identity);
    let hash = normalise(identity).identity_hash;
    // Only where the account can be used: clients on a platform the provider serves.
    let platforms = idp.and_then(|i| config.idp(i)).map(|i| i.platforms.clone());
    config
        .clients
        .iter()
        .filter(|c| platforms.as_ref().is_none_or(|p| p.contains(&c.platform)))
        .map(|c| {
            (
                c.name.clone(),
                c.client_id.clone(),
                compute_sub(&c.entity_id, &hash, &config.platform.sub_secret),
            )
        })
        .collect()
}

/// The categories the default catalogue must cover (tags), each checkable.
pub const CATALOGUE_CATEGORIES: [&str; 41] = [
    "nom-usage",
    "nom-long",
    "nom-compose",
    "accents",
    "apostrophe",
    "trait-union",
    "deux-prenoms",
    "trois-prenoms",
    "prenom-compose-espace",
    "moins-de-16-ans",
    "moins-de-18-ans",
    "moins-de-25-ans",
    "genre-non-specifie",
    "mois-inconnu",
    "date-presumee",
    "sans-email",
    "sans-lieu-naissance",
    "corse-2a",
    "corse-2b",
    "ne-algerie",
    "ne-maroc",
    "ne-portugal",
    "ne-belgique",
    "ne-espagne",
    "ne-italie",
    "ne-polynesie",
    "ne-wallis-et-futuna",
    "lieu-naissance-etranger",
    "rnipp-introuvable",
    "rnipp-plusieurs-echos",
    "rnipp-decede",
    "rnipp-echo-proche",
    "rnipp-nom-usage-seul",
    "rnipp-delai-depasse",
    "rnipp-injoignable",
    "compte-bloque",
    "plusieurs-fi",
    "identites-divergentes",
    "quasi-doublons",
    "foyer-fiscal",
    "dossier-caf",
];

/// The date the catalogue's age tags refer to.
pub const CATALOGUE_AS_OF: (i32, u32, u32) = (2026, 11, 22);

/// Age in whole years at [`CATALOGUE_AS_OF`] (presumed parts count as 1).
pub fn age_at_reference(birthdate: &str) -> Option<i32> {
    let completed = crate::identity::complete_birthdate(birthdate);
    let d = chrono::NaiveDate::parse_from_str(&completed, "%Y-%m-%d").ok()?;
    let (y, m, day) = CATALOGUE_AS_OF;
    let reference = chrono::NaiveDate::from_ymd_opt(y, m, day)?;
    reference.years_since(d).and_then(|a| i32::try_from(a).ok())
}

/// Whether `persona` really is what `tag` says (for the catalogue's categories).
pub fn tag_holds(p: &Persona, tag: &str) -> bool {
    use crate::config::RnippOutcome as R;
    let i = &p.identity;
    let age = age_at_reference(&i.birthdate).unwrap_or(-1);
    let given = i.given_name.split_whitespace().count();
    let any_account = |f: &dyn Fn(&crate::identity::Identity) -> bool| p.accounts.iter().any(|a| f(&a.identity));
    let names = format!("{} {}", i.given_name, i.family_name);
    match tag {
        "nom-usage" => i.preferred_username.as_deref().is_some_and(|u| !u.is_empty()),
        "nom-long" => i.family_name.chars().count() >= 50,
        "nom-compose" => i.family_name.contains(['-', ' ']),
        "accents" => names.chars().any(|c| c.is_alphabetic() && !c.is_ascii()),
        "apostrophe" => i.family_name.contains('\''),
        "trait-union" => names.contains('-'),
        "deux-prenoms" => given >= 2,
        "trois-prenoms" => given >= 3,
        "prenom-compose-espace" => given >= 2,
        "moins-de-16-ans" => (0..16).contains(&age),
        "moins-de-18-ans" => (0..18).contains(&age),
        "moins-de-25-ans" => (0..25).contains(&age),
        "genre-non-specifie" => i.gender == "unspecified",
        "mois-inconnu" => i.birthdate.ends_with("-00-00"),
        "date-presumee" => i.birthdate.ends_with("-00") || any_account(&|a| a.birthdate.ends_with("-00")),
        "sans-email" => any_account(&|a| a.email.is_none()),
        "sans-lieu-naissance" => any_account(&|a| a.birthcountry == crate::cog::FRANCE && a.birthplace.is_empty()),
        "corse-2a" => i.birthplace.starts_with("2A"),
        "corse-2b" => i.birthplace.starts_with("2B"),
        "ne-algerie" => i.birthcountry == "99352",
        "ne-maroc" => i.birthcountry == "99350",
        "ne-portugal" => i.birthcountry == "99139",
        "ne-belgique" => i.birthcountry == "99131",
        "ne-espagne" => i.birthcountry == "99134",
        "ne-italie" => i.birthcountry == "99127",
        "ne-polynesie" => i.birthcountry == crate::cog::FRANCE && i.birthplace.starts_with("987"),
        "ne-wallis-et-futuna" => i.birthcountry == crate::cog::FRANCE && i.birthplace.starts_with("986"),
        "lieu-naissance-etranger" => any_account(&|a| a.birthcountry != crate::cog::FRANCE && !a.birthplace.is_empty()),
        "rnipp-introuvable" => p.rnipp == R::NotFound,
        "rnipp-plusieurs-echos" => p.rnipp == R::SeveralEchoes,
        "rnipp-decede" => p.rnipp == R::Deceased,
        "rnipp-echo-proche" => p.rnipp == R::CloseEcho,
        "rnipp-nom-usage-seul" => p.rnipp == R::UsageNameOnly,
        "rnipp-delai-depasse" => p.rnipp == R::Timeout,
        "rnipp-injoignable" => p.rnipp == R::Unreachable,
        "compte-bloque" => p.account_blocked,
        "plusieurs-fi" => p.accounts.len() >= 2 && p.accounts.iter().all(|a| !a.divergent),
        "identites-divergentes" => p.accounts.iter().any(|a| a.divergent),
        "quasi-doublons" => p.local_accounts.iter().any(|l| l.note.is_some()),
        "foyer-fiscal" => p.tax.is_some(),
        "dossier-caf" => p.family.is_some(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_covers_every_category_truthfully() {
        let cfg = Config::default_bundle().unwrap();
        assert!(cfg.personas.len() >= 40, "{} personas", cfg.personas.len());
        for category in CATALOGUE_CATEGORIES {
            let carriers: Vec<&str> = cfg
                .personas
                .iter()
                .filter(|p| p.tags.iter().any(|t| t == category))
                .map(|p| p.id.as_str())
                .collect();
            assert!(!carriers.is_empty(), "no persona tagged `{category}`");
            for p in cfg.personas.iter().filter(|p| p.tags.iter().any(|t| t == category)) {
                assert!(
                    tag_holds(p, category),
                    "persona `{}` is tagged `{category}` but is not",
                    p.id
                );
            }
        }
    }

    #[test]
    fn a_minor_born_abroad_known_to_ameli_is_one_query_away() {
        let cfg = Config::default_bundle().unwrap();
        let tags = vec!["mineur".to_owned(), "ne-a-l-etranger".to_owned()];
        let found: Vec<&str> = cfg.select(&tags, Some("ameli")).map(|p| p.id.as_str()).collect();
        assert_eq!(found, vec!["amadou-keita-sall"]);
    }
}
