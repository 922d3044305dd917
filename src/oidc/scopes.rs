//! FranceConnect v2 scopes and the claims they release.
//!
//! FranceConnect has one scope per identity claim plus three aliases
//! (`profile`, `birth`, `identite_pivot`). Scopes it does not know are
//! silently ignored; scopes it knows but the client may not request are
//! refused with `invalid_scope`. Data-provider scopes (`dgfip_*`, `cnaf_*`…)
//! release nothing at userinfo: they travel in the access token to data
//! providers.

/// Per-claim identity scopes and the claims each releases.
const CLAIM_SCOPES: [(&str, &[&str]); 12] = [
    ("openid", &["sub"]),
    ("given_name", &["given_name", "given_name_array"]),
    ("family_name", &["family_name"]),
    ("birthdate", &["birthdate"]),
    ("gender", &["gender"]),
    ("birthplace", &["birthplace"]),
    ("birthcountry", &["birthcountry"]),
    ("email", &["email"]),
    ("preferred_username", &["preferred_username"]),
    ("idp_birthdate", &["idp_birthdate"]),
    ("amr", &["amr"]),
    ("idp_id", &["idp_id"]),
];

/// Alias scopes and the per-claim scopes they stand for.
const ALIASES: [(&str, &[&str]); 3] = [
    (
        "profile",
        &["given_name", "family_name", "birthdate", "gender", "preferred_username"],
    ),
    ("birth", &["birthplace", "birthcountry"]),
    (
        "identite_pivot",
        &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "birthplace",
            "birthcountry",
        ],
    ),
];

/// Data-provider scopes known to FranceConnect v2.
pub const DATA_PROVIDER_SCOPES: [&str; 39] = [
    "dgfip_rfr",
    "dgfip_nbpart",
    "dgfip_sitfam",
    "dgfip_pac",
    "dgfip_nbpac",
    "dgfip_aft",
    "dgfip_inddeficit",
    "dgfip_pariso",
    "dgfip_decl",
    "dgfip_locaux_th",
    "dgfip_locaux_th_ident",
    "dgfip_annee_n_moins_1",
    "dgfip_annee_n_moins_2",
    "dgfip_annee_n_moins_3",
    "dgfip_annee_n_moins_2_si_indispo_n_moins_1",
    "cnaf_quotient_familial",
    "cnaf_allocataires",
    "cnaf_enfants",
    "cnaf_adresse",
    "allocation_adulte_handicape",
    "allocation_soutien_familial",
    "prime_activite",
    "prime_activite_majoration",
    "revenu_solidarite_active",
    "revenu_solidarite_active_majoration",
    "droits_assurance_maladie",
    "cnam_beneficiaires",
    "cnam_contrats",
    "cnam_caisse",
    "cnam_exonerations",
    "cnam_medecin_traitant",
    "cnam_presence_medecin_traitant",
    "cnam_paiements_ij",
    "complementaire_sante_solidaire",
    "dsnj_statut_service_national",
    "mi_siv_carte_grise",
    "cnous_statut_boursier",
    "mesri_statut_etudiant",
    "api_fc-liste-paiementsv1",
];

/// FranceConnect+'s scopes for the civil-registry values (it sends the
/// identity provider's values as the pivot identity).
const RNIPP_SCOPES: [(&str, &[&str]); 7] = [
    ("rnipp_given_name", &["rnipp_given_name", "rnipp_given_name_array"]),
    ("rnipp_family_name", &["rnipp_family_name"]),
    ("rnipp_birthdate", &["rnipp_birthdate"]),
    ("rnipp_gender", &["rnipp_gender"]),
    ("rnipp_birthplace", &["rnipp_birthplace"]),
    ("rnipp_birthcountry", &["rnipp_birthcountry"]),
    ("rnipp_given_name_array", &["rnipp_given_name_array"]),
];

/// FranceConnect+'s aliases of the rnipp scopes.
const RNIPP_ALIASES: [(&str, &[&str]); 3] = [
    (
        "rnipp_profile",
        &[
            "rnipp_given_name",
            "rnipp_family_name",
            "rnipp_birthdate",
            "rnipp_gender",
        ],
    ),
    ("rnipp_birth", &["rnipp_birthplace", "rnipp_birthcountry"]),
    (
        "rnipp_identite_pivot",
        &[
            "rnipp_given_name",
            "rnipp_family_name",
            "rnipp_birthdate",
            "rnipp_gender",
            "rnipp_birthplace",
            "rnipp_birthcountry",
        ],
    ),
];

/// Whether a platform knows `scope` (FranceConnect+ also knows the rnipp ones).
pub fn is_known_on(scope: &str, plus: bool) -> bool {
    if !plus {
        return is_known(scope);
    }
    CLAIM_SCOPES.iter().any(|(s, _)| *s == scope)
        || ALIASES.iter().any(|(s, _)| *s == scope)
        || (DATA_PROVIDER_SCOPES.contains(&scope) && is_plus_data_scope(scope))
        || RNIPP_SCOPES.iter().any(|(s, _)| *s == scope)
        || RNIPP_ALIASES.iter().any(|(s, _)| *s == scope)
}

/// FranceConnect+ carries only the DGFiP's, the CNAM's and the CNOUS's data scopes.
fn is_plus_data_scope(scope: &str) -> bool {
    ["dgfip_", "cnam_", "cnous_"].iter().any(|p| scope.starts_with(p))
}

/// The rnipp_* claims released by a set of scopes (FranceConnect+).
pub fn rnipp_claims_for(scopes: &[String]) -> Vec<&'static str> {
    let mut wanted: Vec<&str> = Vec::new();
    for s in scopes {
        match RNIPP_ALIASES.iter().find(|(a, _)| a == s) {
            Some((_, parts)) => wanted.extend(parts.iter()),
            None => wanted.push(s),
        }
    }
    let mut out: Vec<&'static str> = Vec::new();
    for (scope, claims) in RNIPP_SCOPES {
        if wanted.contains(&scope) {
            for c in claims {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Every FranceConnect+ scope, for its discovery document.
pub fn all_known_plus() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = all_known().into_iter().filter(|s| is_known_on(s, true)).collect();
    v.extend(RNIPP_SCOPES.iter().map(|(s, _)| *s));
    v.extend(RNIPP_ALIASES.iter().map(|(s, _)| *s));
    v
}

/// Whether FranceConnect knows `scope` (identity, alias or data provider).
pub fn is_known(scope: &str) -> bool {
    CLAIM_SCOPES.iter().any(|(s, _)| *s == scope)
        || ALIASES.iter().any(|(s, _)| *s == scope)
        || DATA_PROVIDER_SCOPES.contains(&scope)
}

/// Every known scope, for discovery's `scopes_supported` and error hints.
pub fn all_known() -> Vec<&'static str> {
    CLAIM_SCOPES
        .iter()
        .map(|(s, _)| *s)
        .chain(ALIASES.iter().map(|(s, _)| *s))
        .chain(DATA_PROVIDER_SCOPES)
        .collect()
}

/// Every claim an identity scope can release, for `claims_supported`.
pub fn all_claims() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, claims) in CLAIM_SCOPES {
        for c in claims {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out.push("acr");
    out
}

/// The identity claims released by a set of scopes (aliases expanded,
/// unknown scopes ignored), in FranceConnect's order.
pub fn claims_for(scopes: &[String]) -> Vec<&'static str> {
    let mut wanted: Vec<&str> = Vec::new();
    for s in scopes {
        if let Some((_, parts)) = ALIASES.iter().find(|(a, _)| a == s) {
            wanted.extend(parts.iter());
        } else {
            wanted.push(s);
        }
    }
    let mut out = Vec::new();
    for (scope, claims) in CLAIM_SCOPES {
        if wanted.contains(&scope) {
            out.extend(claims.iter().copied());
        }
    }
    out
}

/// French label of a claim for the consent page.
pub fn label_fr(claim: &str) -> &'static str {
    match claim {
        "sub" => "Identifiant technique (sub)",
        "given_name" | "given_name_array" => "Prénom(s)",
        "family_name" => "Nom de naissance",
        "preferred_username" => "Nom d'usage",
        "birthdate" => "Date de naissance",
        "idp_birthdate" => "Date de naissance transmise par le fournisseur d'identité",
        "gender" => "Sexe",
        "birthplace" => "Lieu de naissance",
        "birthcountry" => "Pays de naissance",
        "email" => "Adresse électronique",
        "amr" => "Méthodes d'authentification",
        "idp_id" => "Fournisseur d'identité utilisé",
        _ => "Donnée",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn aliases_expand_like_franceconnect() {
        assert_eq!(
            claims_for(&s(&["openid", "identite_pivot"])),
            vec![
                "sub",
                "given_name",
                "given_name_array",
                "family_name",
                "birthdate",
                "gender",
                "birthplace",
                "birthcountry"
            ]
        );
        assert!(claims_for(&s(&["openid", "profile"])).contains(&"preferred_username"));
        assert!(!claims_for(&s(&["openid", "identite_pivot"])).contains(&"preferred_username"));
        assert_eq!(claims_for(&s(&["openid", "unknown_scope"])), vec!["sub"]);
        assert!(is_known("dgfip_rfr"));
        assert!(!is_known("address"));
    }
}
