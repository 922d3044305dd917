//! INSEE "Code officiel géographique" (COG): communes and countries.
//!
//! FranceConnect's pivot identity carries INSEE codes, never names: the
//! commune of birth (`birthplace`, empty for people born abroad) and the
//! country of birth (`birthcountry`, `99100` for France). Personas are checked
//! against this data so that a typo in a code fails at start-up, not in the
//! middle of a login. The CSV files are compiled into the binary (see
//! `data/README.md` for their origin and licence) and parsed on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

const COMMUNES_CSV: &str = include_str!("../data/cog-communes.csv");
const COUNTRIES_CSV: &str = include_str!("../data/cog-pays.csv");

/// The INSEE code of France as a country of birth.
pub const FRANCE: &str = "99100";

/// A commune of the COG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune {
    /// 5-character INSEE code, e.g. `75107` or `2A004`.
    pub code: &'static str,
    /// Name, e.g. `Paris 7e Arrondissement`.
    pub name: &'static str,
    /// `commune-actuelle`, `commune-deleguee`, `commune-associee` or `arrondissement-municipal`.
    pub kind: &'static str,
    /// Département code, e.g. `75`, `2A`, `974`.
    pub departement: &'static str,
    /// Département name.
    pub departement_name: &'static str,
    /// Postal codes, space-separated (the first is the main one).
    pub postal_codes: &'static str,
    /// Population (0 when unknown).
    pub population: u32,
}

/// A country (or territory) of the COG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// 5-digit INSEE code starting with `99`.
    pub code: &'static str,
    /// French name, upper case as INSEE writes it.
    pub name: &'static str,
}

struct Tables {
    communes: HashMap<&'static str, Commune>,
    countries: HashMap<&'static str, Country>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        communes: parse_communes(),
        countries: parse_countries(),
    })
}

fn parse_communes() -> HashMap<&'static str, Commune> {
    let mut map = HashMap::with_capacity(40_000);
    for line in COMMUNES_CSV.lines().skip(1) {
        // Commune names never contain commas in this extract (checked in a test).
        let mut cols = line.split(',');
        let (Some(code), Some(name), Some(kind), Some(dep), Some(dep_name)) =
            (cols.next(), cols.next(), cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let postal_codes = cols.next().unwrap_or("");
        let population = cols.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        // The same code can appear as a current commune and as a delegated one;
        // keep the first (current) entry.
        map.entry(code).or_insert(Commune {
            code,
            name,
            kind,
            departement: dep,
            departement_name: dep_name,
            postal_codes,
            population,
        });
    }
    map
}

fn parse_countries() -> HashMap<&'static str, Country> {
    let mut map = HashMap::with_capacity(256);
    for line in COUNTRIES_CSV.lines().skip(1) {
        let Some((code, rest)) = line.split_once(',') else {
            continue;
        };
        let name = rest.trim_matches('"');
        map.insert(code, Country { code, name });
    }
    map
}

/// Looks up a commune by INSEE code.
pub fn commune(code: &str) -> Option<&'static Commune> {
    tables().communes.get(code)
}

/// Looks up a country by INSEE code.
pub fn country(code: &str) -> Option<&'static Country> {
    tables().countries.get(code)
}

/// All communes (unordered).
pub fn communes() -> impl Iterator<Item = &'static Commune> {
    tables().communes.values()
}

/// All countries (unordered).
pub fn countries() -> impl Iterator<Item = &'static Country> {
    tables().countries.values()
}

/// FranceConnect's shape check for a birthplace: `^(?:2[AB]|[0-9]{2})[0-9]{3}$`.
pub fn is_cog_shaped(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 5 {
        return false;
    }
    let head_ok = match (b.first(), b.get(1)) {
        (Some(b'2'), Some(b'A' | b'B')) => true,
        (Some(x), Some(y)) => x.is_ascii_digit() && y.is_ascii_digit(),
        _ => false,
    };
    head_ok && b.iter().skip(2).all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_resolve() {
        assert_eq!(commune("75107").map(|c| c.name), Some("Paris 7e Arrondissement"));
        assert_eq!(commune("2A004").map(|c| c.departement), Some("2A"));
        assert_eq!(commune("98611").map(|c| c.departement), Some("986"));
        assert_eq!(country("99352").map(|c| c.name), Some("ALGERIE"));
        assert_eq!(country("99129").map(|c| c.name), Some("VATICAN, ou SAINT-SIEGE"));
        assert!(commune("99999").is_none());
        assert!(communes().count() > 34_000);
        assert!(countries().count() > 200);
    }

    #[test]
    fn commune_rows_have_no_quoted_commas() {
        assert!(!COMMUNES_CSV.contains('"'));
    }

    #[test]
    fn cog_shape() {
        assert!(is_cog_shaped("75107"));
        assert!(is_cog_shaped("2B033"));
        assert!(!is_cog_shaped("2C033"));
        assert!(!is_cog_shaped("AAAAA"));
        assert!(!is_cog_shaped("7510"));
    }
}
