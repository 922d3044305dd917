//! Values written the way a French public-service page writes them: sex in
//! words, dates with the month's name, INSEE codes with the commune's or
//! country's name. Pages keep the raw value beside them where a developer
//! needs it.

/// `female` → `féminin`, `male` → `masculin`, anything else → `non spécifié`.
pub fn gender(g: &str) -> &'static str {
    match g {
        "female" => "féminin",
        "male" => "masculin",
        _ => "non spécifié",
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `1984-03-12` → `12 mars 1984`; presumed dates (`1984-03-00`,
/// `1984-00-00`) say what is unknown; anything else is returned as is.
pub fn date(d: &str) -> String {
    let mut parts = d.split('-');
    let (Some(y), Some(m), Some(day), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return d.to_owned();
    };
    let (Ok(m), Ok(day)) = (m.parse::<usize>(), day.parse::<u32>()) else {
        return d.to_owned();
    };
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return d.to_owned();
    }
    match (m, day) {
        (0, _) => format!("{y} (jour et mois inconnus)"),
        (m, 0) => MONTHS
            .get(m - 1)
            .map_or_else(|| d.to_owned(), |name| format!("{name} {y} (jour inconnu)")),
        (m, 1) => MONTHS
            .get(m - 1)
            .map_or_else(|| d.to_owned(), |name| format!("1er {name} {y}")),
        (m, day) => MONTHS
            .get(m - 1)
            .map_or_else(|| d.to_owned(), |name| format!("{day} {name} {y}")),
    }
}

/// A COG commune code with its name: `Lyon (69123)`.
pub fn commune(code: &str) -> String {
    match crate::cog::commune(code) {
        Some(c) => format!("{} ({code})", c.name),
        None => code.to_owned(),
    }
}

/// A COG country code with its name: `Algérie (99352)`.
pub fn country(code: &str) -> String {
    match crate::cog::country(code) {
        Some(c) => format!("{} ({code})", c.name),
        None => code.to_owned(),
    }
}

/// A deviation from the real platform, in French (the home page).
pub fn deviation(d: &crate::config::Deviation) -> String {
    use crate::config::Deviation as D;
    match d {
        D::Lifetime { setting, value, real } => {
            format!("durée `platform.{setting}` : {value} s (FranceConnect : {real} s)")
        }
        D::AcceptPkce => "`platform.accept_pkce` : PKCE accepté (FranceConnect refuse `code_challenge` à l'autorisation)".to_owned(),
        D::UnknownParamsIgnored => {
            "`platform.reject_unknown_authorize_params: false` : les paramètres inconnus d'authorize sont ignorés (FranceConnect les refuse)".to_owned()
        }
        D::LocalhostRedirects { client } => format!(
            "client « {client} » : toute URI de retour http://localhost:PORT/… ou http://127.0.0.1:PORT/… est acceptée (FranceConnect exige une URI enregistrée à l'identique)"
        ),
        D::AutoLogin { client, persona, idp } => {
            format!("client « {client} » : connexion automatique de `{persona}` via `{idp}`, sans pages")
        }
        D::PublicSubSecret => "le secret des `sub` est public : les `sub` diffèrent de ceux de la vraie plateforme".to_owned(),
    }
}

/// A commune service's name, as the persona pages show it.
pub fn local_service(s: crate::config::LocalService) -> &'static str {
    use crate::config::LocalService as L;
    match s {
        L::Mediatheque => "médiathèque",
        L::Conservatoire => "conservatoire",
        L::RegieEaux => "régie des eaux",
        L::CompteUsager => "compte usager",
        L::RestaurationScolaire => "restauration scolaire",
        L::Autre => "autre service",
    }
}

/// The DGFiP's family situation code in words.
pub fn situation(s: crate::config::SituationFamiliale) -> &'static str {
    use crate::config::SituationFamiliale as S;
    match s {
        S::M => "marié(e) (M)",
        S::O => "pacsé(e) (O)",
        S::C => "célibataire (C)",
        S::D => "divorcé(e) ou séparé(e) (D)",
        S::V => "veuf ou veuve (V)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_values() {
        assert_eq!(gender("female"), "féminin");
        assert_eq!(gender("male"), "masculin");
        assert_eq!(gender(""), "non spécifié");
        assert_eq!(date("1984-03-12"), "12 mars 1984");
        assert_eq!(date("2001-08-01"), "1er août 2001");
        assert_eq!(date("1962-07-00"), "juillet 1962 (jour inconnu)");
        assert_eq!(date("1950-00-00"), "1950 (jour et mois inconnus)");
        assert_eq!(date("n'importe"), "n'importe");
        assert_eq!(date("1984-13-01"), "1984-13-01");
        assert_eq!(commune("69123"), "Lyon (69123)");
        assert!(country("99352").ends_with("(99352)") && country("99352").len() > 8);
    }
}
