//! `fcmock personas generate`: reproducible fictitious citizens in bulk.
//!
//! Built on the `fake` crate (French locale: family names, street names) and
//! the INSEE COG data compiled into fcmock: communes of birth weighted by
//! population (arrondissements for Paris, Lyon and Marseille), countries of
//! birth weighted towards the most common ones, ages spread over 0–100, given
//! names consistent with gender, a NIR consistent with sex, year and month,
//! place of birth and a valid key, a 13-digit numéro fiscal, e-mails, an
//! address, and tax and family-allowance data. The same options give
//! byte-identical output; the output is valid fcmock configuration.

use std::collections::HashSet;

use fake::Fake as _;
use fake::locales::FR_FR;
use fake::rand::rngs::StdRng;
use fake::rand::{RngExt as _, SeedableRng as _};

pub use super::jsonl::to_jsonl;
use super::nir;
use super::tables::{COUNTRIES, FEMALE, MALE};
pub use super::yaml::to_yaml;
use crate::cog::{self, Commune};

/// Options of a generation run.
#[derive(Debug, Clone)]
pub struct Options {
    pub count: usize,
    pub seed: u64,
    /// Tags every persona must carry. Those the generator understands steer it
    /// (age bands, place of birth, presumed dates, gender); others are added as labels.
    pub tags: Vec<String>,
    /// Reference year: ages and age tags are computed against it (so that
    /// output does not change with the date of the run).
    pub year: i32,
    /// Prefix of persona ids.
    pub prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            count: 10,
            seed: 1,
            tags: Vec::new(),
            year: 2026,
            prefix: "gen".to_owned(),
        }
    }
}

/// Tags that steer generation.
pub const STEERING_TAGS: [&str; 12] = [
    "mineur",
    "moins-de-16-ans",
    "moins-de-18-ans",
    "moins-de-25-ans",
    "adulte",
    "senior",
    "ne-a-l-etranger",
    "ne-en-france",
    "corse",
    "outre-mer",
    "date-presumee",
    "genre-non-specifie",
];

/// One generated persona.
#[derive(Debug, Clone)]
pub struct GenPersona {
    pub id: String,
    pub given_names: Vec<String>,
    pub family_name: String,
    pub gender: &'static str,
    pub birthdate: String,
    pub birthplace: String,
    pub birthcountry: String,
    pub email: String,
    pub nir: String,
    pub numero_fiscal: String,
    /// (idp, login, password)
    pub accounts: Vec<(&'static str, String, &'static str)>,
    pub tags: Vec<String>,
    pub address: (String, String, String, String),
    /// Revenu fiscal de référence; 0 for minors, who have no tax household of their own.
    pub rfr: u64,
    pub parts: f64,
    pub situation: &'static str,
    pub quotient_familial: Option<u64>,
    pub children: Vec<(String, &'static str, String)>,
}

struct Tables {
    births: Vec<Commune>,
    births_weights: Vec<u64>,
    countries_total: u32,
}

fn cumulative(weights: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut acc = 0u64;
    weights
        .map(|w| {
            acc += w.max(1);
            acc
        })
        .collect()
}

fn pick_weighted<'a, T>(rng: &mut StdRng, items: &'a [T], cumul: &[u64]) -> Option<&'a T> {
    let total = *cumul.last()?;
    let x = rng.random_range(0..total);
    let i = cumul.partition_point(|&c| c <= x);
    items.get(i)
}

fn birth_communes(filter: impl Fn(&Commune) -> bool) -> Vec<Commune> {
    // Births in Paris, Lyon and Marseille are registered by arrondissement.
    let mut v: Vec<Commune> = cog::communes()
        .filter(|c| c.kind == "commune-actuelle" || c.kind == "arrondissement-municipal")
        .filter(|c| !matches!(c.code, "75056" | "69123" | "13055"))
        .filter(|c| filter(c))
        .collect();
    v.sort_by_key(|c| c.code);
    v
}

fn has(opts: &Options, tag: &str) -> bool {
    opts.tags.iter().any(|t| t == tag)
}

fn tables(opts: &Options) -> Tables {
    let births = if has(opts, "corse") {
        birth_communes(|c| c.departement == "2A" || c.departement == "2B")
    } else if has(opts, "outre-mer") {
        birth_communes(|c| c.departement.starts_with("97") || c.departement.starts_with("98"))
    } else {
        birth_communes(|_| true)
    };
    let births_weights = cumulative(births.iter().map(|c| u64::from(c.population)));
    Tables {
        births,
        births_weights,
        countries_total: COUNTRIES.iter().map(|(_, w)| w).sum(),
    }
}

fn age_range(opts: &Options) -> (i32, i32) {
    let mut lo = 0;
    let mut hi = 100;
    for (tag, a, b) in [
        ("moins-de-16-ans", 0, 15),
        ("mineur", 0, 17),
        ("moins-de-18-ans", 0, 17),
        ("moins-de-25-ans", 0, 24),
        ("adulte", 18, 64),
        ("senior", 65, 100),
    ] {
        if has(opts, tag) {
            lo = lo.max(a);
            hi = hi.min(b);
        }
    }
    if lo > hi { (hi, hi) } else { (lo, hi) }
}

fn days_in(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|&d| chrono::NaiveDate::from_ymd_opt(year, month, d).is_some())
        .unwrap_or(28)
}

fn ascii_slug(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Generates `opts.count` personas.
pub fn generate(opts: &Options) -> Vec<GenPersona> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let t = tables(opts);
    let (age_lo, age_hi) = age_range(opts);
    let mut nirs: HashSet<String> = HashSet::with_capacity(opts.count);
    let mut out = Vec::with_capacity(opts.count);
    let abroad_forced = has(opts, "ne-a-l-etranger");
    let france_forced = has(opts, "ne-en-france") || has(opts, "corse") || has(opts, "outre-mer");
    for index in 0..opts.count {
        let gender: &'static str = if has(opts, "genre-non-specifie") || rng.random_range(0..200) == 0 {
            "unspecified"
        } else if rng.random_bool(0.5) {
            "female"
        } else {
            "male"
        };
        let female = gender == "female" || (gender == "unspecified" && rng.random_bool(0.5));
        let pool: &[&str] = if female { &FEMALE } else { &MALE };
        let n_given = match rng.random_range(0..10) {
            0..=4 => 1,
            5..=8 => 2,
            _ => 3,
        };
        let given_names: Vec<String> = (0..n_given)
            .map(|_| {
                pool.get(rng.random_range(0..pool.len()))
                    .copied()
                    .unwrap_or("Camille")
                    .to_owned()
            })
            .collect();
        let mut family_name: String = fake::faker::name::raw::LastName(FR_FR).fake_with_rng(&mut rng);
        if rng.random_range(0..20) == 0 {
            let second: String = fake::faker::name::raw::LastName(FR_FR).fake_with_rng(&mut rng);
            family_name = format!("{family_name}-{second}");
        }
        let age = rng.random_range(age_lo..=age_hi);
        let year = opts.year - age;
        let presumed = has(opts, "date-presumee") || rng.random_range(0..50) == 0;
        let month = rng.random_range(1..=12u32);
        let day = rng.random_range(1..=days_in(year, month));
        let (month, day) = if presumed {
            if rng.random_bool(0.5) { (month, 0) } else { (0, 0) }
        } else {
            (month, day)
        };
        let birthdate = format!("{year:04}-{month:02}-{day:02}");
        let abroad = abroad_forced || (!france_forced && rng.random_range(0..100) < 12);
        let (birthplace, birthcountry, nir_place) = if abroad {
            let country = if rng.random_range(0..10) == 0 {
                let all: Vec<&str> = {
                    let mut v: Vec<&str> = cog::countries().map(|c| c.code).filter(|c| *c != cog::FRANCE).collect();
                    v.sort_unstable();
                    v
                };
                all.get(rng.random_range(0..all.len())).copied().unwrap_or("99352")
            } else {
                let mut x = rng.random_range(0..t.countries_total);
                let mut chosen = "99352";
                for (code, w) in COUNTRIES {
                    if x < w {
                        chosen = code;
                        break;
                    }
                    x -= w;
                }
                chosen
            };
            (String::new(), country.to_owned(), country.to_owned())
        } else {
            let c = pick_weighted(&mut rng, &t.births, &t.births_weights).map_or("75107", |c| c.code);
            (c.to_owned(), cog::FRANCE.to_owned(), c.to_owned())
        };
        let sex = if female { 2 } else { 1 };
        let mut order = rng.random_range(1..=999u32);
        let nir = loop {
            let candidate = nir::build(sex, year, month, &nir_place, order).unwrap_or_default();
            if nirs.insert(candidate.clone()) || order >= 999 {
                break candidate;
            }
            order += 1;
        };
        let numero_fiscal = format!(
            "3{:012}",
            (opts.seed.wrapping_mul(7919).wrapping_add(index as u64 * 104_729)) % 1_000_000_000_000
        );
        let slug = format!(
            "{}.{}",
            ascii_slug(given_names.first().map_or("x", String::as_str)),
            ascii_slug(&family_name)
        );
        let number = index + 1;
        let email = format!("{slug}.{number}@example.fr");
        let mut accounts: Vec<(&'static str, String, &'static str)> = Vec::new();
        for (idp, p) in [
            ("impots", 70),
            ("ameli", 80),
            ("laposte", 30),
            ("msa", 10),
            ("franceidentite", 20),
        ] {
            // Minors do not file tax returns, so they have no impots.gouv.fr account.
            if rng.random_range(0..100) < p && !(idp == "impots" && age < 18) {
                let login = match idp {
                    "impots" => numero_fiscal.clone(),
                    "ameli" | "msa" => nir.clone(),
                    "franceidentite" => format!("{slug}.{number}@identite.example.fr"),
                    _ => email.clone(),
                };
                accounts.push((idp, login, if idp == "franceidentite" { "1234" } else { "123" }));
            }
        }
        if accounts.is_empty() {
            accounts.push(("ameli", nir.clone(), "123"));
        }
        let home = pick_weighted(&mut rng, &t.births, &t.births_weights).copied();
        // fake's French street names carry their type ("Place Lasserre").
        let street: String = fake::faker::address::raw::StreetName(FR_FR).fake_with_rng(&mut rng);
        let address = (
            format!("{} {}", rng.random_range(1..200), street),
            home.and_then(|c| c.postal_codes.split(' ').next())
                .unwrap_or("75007")
                .to_owned(),
            home.map_or("Paris", |c| c.name).to_owned(),
            home.map_or("75107", |c| c.code).to_owned(),
        );
        let couple = age >= 25 && rng.random_range(0..100) < 45;
        let situation = if couple {
            if rng.random_bool(0.7) { "M" } else { "O" }
        } else if age >= 70 && rng.random_bool(0.4) {
            "V"
        } else {
            "C"
        };
        let n_children = if (25..=60).contains(&age) {
            rng.random_range(0..4u32)
        } else {
            0
        };
        let children: Vec<(String, &'static str, String)> = (0..n_children)
            .map(|_| {
                let girl = rng.random_bool(0.5);
                let pool: &[&str] = if girl { &FEMALE } else { &MALE };
                let name = pool
                    .get(rng.random_range(0..pool.len()))
                    .copied()
                    .unwrap_or("Léo")
                    .to_owned();
                let cy = rng.random_range((year + 20).min(opts.year)..=opts.year);
                let cm = rng.random_range(1..=12u32);
                let cd = rng.random_range(1..=days_in(cy, cm));
                (
                    name,
                    if girl { "female" } else { "male" },
                    format!("{cy:04}-{cm:02}-{cd:02}"),
                )
            })
            .collect();
        let parts = if couple { 2.0 } else { 1.0 }
            + match children.len() {
                0 => 0.0,
                1 => 0.5,
                2 => 1.0,
                n => 1.0 + (n as f64 - 2.0),
            };
        let rfr = if age < 18 {
            0
        } else {
            6_000 + rng.random_range(0..48_000u64) + if couple { 16_000 } else { 0 }
        };
        let quotient_familial = (!children.is_empty()).then(|| ((rfr as f64 / 12.0) / parts).round() as u64);

        let mut tags: Vec<String> = Vec::new();
        let mut tag = |t: &str| {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_owned());
            }
        };
        tag("genere");
        if age < 16 {
            tag("moins-de-16-ans");
        }
        if age < 18 {
            tag("mineur");
            tag("moins-de-18-ans");
        } else if age < 65 {
            tag("adulte");
        } else {
            tag("senior");
        }
        if age < 25 {
            tag("moins-de-25-ans");
        }
        if abroad {
            tag("ne-a-l-etranger");
        } else {
            tag("ne-en-france");
            if birthplace.starts_with("2A") || birthplace.starts_with("2B") {
                tag("corse");
            }
            if birthplace.starts_with("97") || birthplace.starts_with("98") {
                tag("outre-mer");
            }
        }
        if presumed {
            tag("date-presumee");
        }
        if gender == "unspecified" {
            tag("genre-non-specifie");
        }
        if given_names.len() > 1 {
            tag("plusieurs-prenoms");
        }
        if accounts.len() > 1 {
            tag("plusieurs-fi");
        }
        for t in &opts.tags {
            tag(t);
        }
        out.push(GenPersona {
            // The seed is in the id: two files generated with different
            // seeds never replace each other's personas.
            id: format!("{}-{:x}-{number:06}", opts.prefix, opts.seed),
            given_names,
            family_name,
            gender,
            birthdate,
            birthplace,
            birthcountry,
            email,
            nir,
            numero_fiscal,
            accounts,
            tags,
            address,
            rfr,
            parts,
            situation,
            quotient_familial,
            children,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let opts = Options {
            count: 50,
            seed: 42,
            ..Options::default()
        };
        let a = to_yaml(&generate(&opts), &opts);
        let b = to_yaml(&generate(&opts), &opts);
        assert_eq!(a, b);
        let other = Options {
            seed: 43,
            ..opts.clone()
        };
        assert_ne!(a, to_yaml(&generate(&other), &other));
    }

    #[test]
    fn steering_tags_are_honoured() {
        let opts = Options {
            count: 40,
            seed: 7,
            tags: vec!["mineur".into(), "ne-a-l-etranger".into()],
            ..Options::default()
        };
        for p in generate(&opts) {
            assert!(p.birthcountry != cog::FRANCE && p.birthplace.is_empty());
            let year: i32 = p.birthdate[..4].parse().unwrap();
            assert!(opts.year - year < 18, "{}", p.birthdate);
        }
        let corsica = Options {
            count: 20,
            seed: 7,
            tags: vec!["corse".into()],
            ..Options::default()
        };
        assert!(
            generate(&corsica)
                .iter()
                .all(|p| p.birthplace.starts_with("2A") || p.birthplace.starts_with("2B"))
        );
    }
}
