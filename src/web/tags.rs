//! Persona tags grouped for the persona list's filters: about seventy tags
//! read better as a handful of folded groups (birth, age, names, expected
//! errors, data and reconciliation) than as one block of checkboxes.

/// One group of tag filters: (tag, personas carrying it, selected).
pub struct TagGroup {
    pub name: &'static str,
    /// Unfolded when one of its tags is selected.
    pub open: bool,
    pub tags: Vec<(String, usize, bool)>,
}

/// The group a tag belongs to, by its name.
fn group_of(tag: &str) -> usize {
    const BIRTH: [&str; 8] = [
        "ne-",
        "lieu-naissance",
        "sans-lieu-naissance",
        "date-presumee",
        "jour-",
        "mois-",
        "outre-mer",
        "corse",
    ];
    const AGE: [&str; 6] = ["adulte", "senior", "mineur", "moins-de-", "plus-de-", "jeune-"];
    const NAMES: [&str; 12] = [
        "accents",
        "trait-union",
        "apostrophe",
        "ligature",
        "deux-prenoms",
        "trois-prenoms",
        "plusieurs-prenoms",
        "prenom-",
        "nom-",
        "genre-",
        "sans-email",
        "espace",
    ];
    const ERRORS: [&str; 6] = ["erreur-", "attendu-", "rnipp-", "compte-bloque", "magique", "lent"];
    let starts = |list: &[&str]| list.iter().any(|p| tag.starts_with(p));
    if starts(&ERRORS) {
        3
    } else if starts(&BIRTH) {
        0
    } else if starts(&AGE) {
        1
    } else if starts(&NAMES) {
        2
    } else {
        4
    }
}

/// The tags in their groups, in the groups' order; empty groups left out.
pub fn group(tags: Vec<(String, usize, bool)>) -> Vec<TagGroup> {
    let names = [
        "Naissance (lieu, pays, date)",
        "Âge",
        "Noms, prénoms et état civil",
        "Erreurs et pannes attendues",
        "Données, comptes et rapprochement",
    ];
    let mut groups: Vec<TagGroup> = names
        .iter()
        .map(|name| TagGroup {
            name,
            open: false,
            tags: Vec::new(),
        })
        .collect();
    for tag in tags {
        let i = group_of(&tag.0);
        if let Some(g) = groups.get_mut(i) {
            g.open |= tag.2;
            g.tags.push(tag);
        }
    }
    groups.retain(|g| !g.tags.is_empty());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fall_in_their_groups_and_a_selected_tag_opens_its_group() {
        let tags = [
            "ne-senegal",
            "senior",
            "trait-union",
            "attendu-y020026",
            "foyer-fiscal",
            "corse-2a",
        ]
        .iter()
        .map(|t| ((*t).to_owned(), 1, *t == "senior"))
        .collect();
        let groups = group(tags);
        let find = |tag: &str| groups.iter().position(|g| g.tags.iter().any(|t| t.0 == tag));
        assert_eq!(find("ne-senegal"), find("corse-2a"));
        assert_ne!(find("ne-senegal"), find("senior"));
        assert_eq!(
            groups[find("foyer-fiscal").unwrap()].name,
            "Données, comptes et rapprochement"
        );
        let open: Vec<&str> = groups.iter().filter(|g| g.open).map(|g| g.name).collect();
        assert_eq!(open, ["Âge"]);
    }
}
