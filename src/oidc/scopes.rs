//! FranceConnect v2 and FranceConnect+ scopes and the claims they release.
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

/// FranceConnect+'s identity scopes and the claims each releases, aliases
/// included, in FranceConnect's order (back/libs/scopes data
/// `fcp-high.scopes.ts`). Unlike FranceConnect v2: no `given_name_array`,
/// no `idp_birthdate` or `idp_id`; the `rnipp_*` scopes release the civil
/// registry's values *and* the identity provider's own claims.
const PLUS_SCOPES: [(&str, &[&str]); 21] = [
    (
        "profile",
        &["given_name", "family_name", "birthdate", "gender", "preferred_username"],
    ),
    ("phone", &["phone_number"]),
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
    ("openid", &["sub"]),
    ("gender", &["gender"]),
    ("birthdate", &["birthdate"]),
    ("birthcountry", &["birthcountry"]),
    ("birthplace", &["birthplace"]),
    ("given_name", &["given_name"]),
    ("family_name", &["family_name"]),
    ("email", &["email"]),
    ("preferred_username", &["preferred_username"]),
    ("address", &["address"]),
    (
        "rnipp_identite_pivot",
        &[
            "gender",
            "rnipp_gender",
            "family_name",
            "rnipp_family_name",
            "given_name",
            "rnipp_given_name",
            "rnipp_given_name_array",
            "birthdate",
            "rnipp_birthdate",
            "birthplace",
            "rnipp_birthplace",
            "birthcountry",
            "rnipp_birthcountry",
        ],
    ),
    ("rnipp_gender", &["gender", "rnipp_gender"]),
    ("rnipp_family_name", &["family_name", "rnipp_family_name"]),
    (
        "rnipp_given_name",
        &["given_name", "rnipp_given_name", "rnipp_given_name_array"],
    ),
    ("rnipp_birthdate", &["birthdate", "rnipp_birthdate"]),
    ("rnipp_birthplace", &["birthplace", "rnipp_birthplace"]),
    ("rnipp_birthcountry", &["birthcountry", "rnipp_birthcountry"]),
];

/// FranceConnect+'s aliases beyond the table above: `rnipp_profile` and
/// `rnipp_birth` (also in `fcp-high.scopes.ts`; kept apart to keep the
/// table's length readable).
const PLUS_RNIPP_ALIASES: [(&str, &[&str]); 2] = [
    (
        "rnipp_profile",
        &[
            "given_name",
            "rnipp_given_name",
            "rnipp_given_name_array",
            "family_name",
            "rnipp_family_name",
            "birthdate",
            "rnipp_birthdate",
            "gender",
            "rnipp_gender",
            "preferred_username",
        ],
    ),
    (
        "rnipp_birth",
        &["birthplace", "rnipp_birthplace", "birthcountry", "rnipp_birthcountry"],
    ),
];

fn plus_table() -> impl Iterator<Item = &'static (&'static str, &'static [&'static str])> {
    PLUS_SCOPES.iter().chain(PLUS_RNIPP_ALIASES.iter())
}

/// Whether a platform knows `scope`.
pub fn is_known_on(scope: &str, plus: bool) -> bool {
    if !plus {
        return is_known(scope);
    }
    plus_table().any(|(s, _)| *s == scope) || (DATA_PROVIDER_SCOPES.contains(&scope) && is_plus_data_scope(scope))
}

/// FranceConnect+ carries only the DGFiP's, the CNAM's and the CNOUS's data scopes.
fn is_plus_data_scope(scope: &str) -> bool {
    ["dgfip_", "cnam_", "cnous_"].iter().any(|p| scope.starts_with(p))
}

/// The claims FranceConnect+ releases for a set of scopes (each once, in
/// the order its table gives them; unknown scopes ignored).
pub fn claims_for_plus(scopes: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (scope, claims) in plus_table() {
        if scopes.iter().any(|s| s == scope) {
            for c in *claims {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// The claims a platform releases for a set of scopes.
pub fn claims_on(scopes: &[String], plus: bool) -> Vec<&'static str> {
    if plus {
        claims_for_plus(scopes)
    } else {
        claims_for(scopes)
    }
}

/// Every FranceConnect+ scope, for its discovery document.
pub fn all_known_plus() -> Vec<&'static str> {
    plus_table()
        .map(|(s, _)| *s)
        .chain(DATA_PROVIDER_SCOPES.into_iter().filter(|s| is_plus_data_scope(s)))
        .collect()
}

/// Every claim a FranceConnect+ identity scope can release, for `claims_supported`.
pub fn all_claims_plus() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, claims) in plus_table() {
        for c in *claims {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out.extend(["acr", "amr"]);
    out
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

    #[test]
    fn franceconnect_plus_has_its_own_table() {
        // fcp-high.scopes.ts: no given_name_array, no idp_birthdate or idp_id.
        assert_eq!(
            claims_for_plus(&s(&["openid", "given_name"])),
            vec!["sub", "given_name"]
        );
        assert!(!is_known_on("idp_birthdate", true) && !is_known_on("idp_id", true));
        assert!(!all_known_plus().contains(&"idp_id"));
        assert!(!all_claims_plus().contains(&"given_name_array"));
        // rnipp_* scopes carry the provider's claims too.
        assert_eq!(
            claims_for_plus(&s(&["rnipp_identite_pivot"])),
            vec![
                "gender",
                "rnipp_gender",
                "family_name",
                "rnipp_family_name",
                "given_name",
                "rnipp_given_name",
                "rnipp_given_name_array",
                "birthdate",
                "rnipp_birthdate",
                "birthplace",
                "rnipp_birthplace",
                "birthcountry",
                "rnipp_birthcountry"
            ]
        );
        assert_eq!(claims_for_plus(&s(&["rnipp_gender"])), vec!["gender", "rnipp_gender"]);
    }
}
