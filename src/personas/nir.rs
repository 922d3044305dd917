//! The numéro de sécurité sociale (NIR): 15 characters that encode sex, year
//! and month of birth, place of birth and a control key.
//!
//! Layout: `S YY MM PPPPP OOO KK`. `PPPPP` is exactly the 5-character INSEE
//! code of the commune of birth (overseas ones included: `97411`), or the
//! INSEE country code (`99xxx`) for people born abroad. The key is
//! `97 - (number mod 97)`, where Corsica's `2A` and `2B` count as `19` and `18`.

/// Month written in a NIR when the month of birth is unknown.
pub const UNKNOWN_MONTH: &str = "20";

/// The control key of the 13 first characters of a NIR.
pub fn key(first13: &str) -> Option<u32> {
    let numeric = first13.replacen("2A", "19", 1).replacen("2B", "18", 1);
    if numeric.len() != 13 || !numeric.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = numeric.parse().ok()?;
    u32::try_from(97 - n % 97).ok()
}

/// Builds a NIR. `sex` is 1 (male) or 2 (female); `place` is the commune or
/// country code; `order` 1 to 999.
pub fn build(sex: u8, year: i32, month: u32, place: &str, order: u32) -> Option<String> {
    let month = if month == 0 {
        UNKNOWN_MONTH.to_owned()
    } else {
        format!("{month:02}")
    };
    let head = format!("{sex}{:02}{month}{place}{order:03}", year.rem_euclid(100));
    let k = key(&head)?;
    Some(format!("{head}{k:02}"))
}

/// Whether a 15-character NIR has a correct key.
pub fn is_valid(nir: &str) -> bool {
    match (nir.get(..13), nir.get(13..)) {
        (Some(head), Some(k)) if k.len() == 2 => {
            key(head).is_some_and(|expected| k.parse::<u32>().ok() == Some(expected))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_insee_rule() {
        // 2 84 03 69123 001 → 97 - (2840369123001 mod 97)
        let nir = build(2, 1984, 3, "69123", 1).unwrap();
        assert_eq!(&nir[..13], "2840369123001");
        assert_eq!(nir[13..].parse::<u64>().unwrap(), 97 - 2_840_369_123_001 % 97);
        assert!(is_valid(&nir));
        let corsica = build(1, 1979, 7, "2A004", 7).unwrap();
        assert!(corsica.contains("2A004"));
        assert_eq!(corsica[13..].parse::<u64>().unwrap(), 97 - 1_790_719_004_007 % 97);
        assert!(is_valid(&corsica));
        assert!(!is_valid("284036912300199"));
        assert!(build(1, 1950, 0, "99352", 12).unwrap().starts_with("15020"));
    }
}
