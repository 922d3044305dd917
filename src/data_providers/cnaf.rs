//! The CNAF quotient familial (API Particulier, FranceConnect mode).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::DpState;
use super::{DpError, admit};
use crate::config::Regime;

fn date_parts(date: &str) -> (Value, Value, Value) {
    let part = |r: std::ops::Range<usize>| {
        date.get(r)
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|n| *n > 0)
            .map_or(Value::Null, |n| json!(n))
    };
    (part(0..4), part(5..7), part(8..10))
}

fn person(family: &str, usage: Option<&str>, given: &str, birthdate: &str, gender: &str) -> Value {
    let (y, m, d) = date_parts(birthdate);
    json!({
        "nomNaissance": family.to_uppercase(),
        "nomUsuel": usage.map(str::to_uppercase),
        "prenoms": given,
        "anneeDateDeNaissance": y,
        "moisDateDeNaissance": m,
        "jourDateDeNaissance": d,
        "sexe": if gender == "female" { "F" } else { "M" },
    })
}

pub(super) async fn quotient_familial(
    State(state): State<DpState>,
    headers: HeaderMap,
) -> Result<Json<Value>, DpError> {
    let (checked, persona) = admit(
        &state,
        "cnaf",
        &headers,
        "cnaf_",
        "Le jeton n'ouvre aucune donnée familiale (aucun scope cnaf_*).",
        "Aucun allocataire ne correspond à cette identité.",
    )
    .await?;
    let has = |s: &str| checked.scopes.iter().any(|x| x == s);
    let Some(family) = persona.family.as_ref() else {
        return Err(DpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no_file",
            "Aucun dossier d'allocataire pour cette personne.",
        ));
    };
    let id = &persona.identity;
    let mut out = Map::new();
    out.insert(
        "regime".into(),
        json!(if family.regime == Regime::MSA { "MSA" } else { "CNAF" }),
    );
    if has("cnaf_quotient_familial") {
        let now = state.clock.utc();
        out.insert("quotientFamilial".into(), json!(family.quotient_familial));
        out.insert(
            "annee".into(),
            json!(now.format("%Y").to_string().parse::<u32>().unwrap_or(2026)),
        );
        out.insert(
            "mois".into(),
            json!(now.format("%m").to_string().parse::<u32>().unwrap_or(1)),
        );
    }
    if has("cnaf_allocataires") {
        let mut list = vec![person(
            &id.family_name,
            id.preferred_username.as_deref(),
            &id.given_name,
            &id.birthdate,
            &id.gender,
        )];
        if let Some(p) = &persona.partner {
            list.push(person(
                &p.family_name,
                p.usage_name.as_deref(),
                &p.given_name,
                &p.birthdate,
                &p.gender,
            ));
        }
        out.insert("allocataires".into(), json!(list));
    }
    if has("cnaf_enfants") {
        let list: Vec<Value> = persona
            .children
            .iter()
            .map(|c| person(&c.family_name, None, &c.given_name, &c.birthdate, &c.gender))
            .collect();
        out.insert("enfants".into(), json!(list));
    }
    if has("cnaf_adresse") {
        let civ = if id.gender == "female" { "MADAME" } else { "MONSIEUR" };
        out.insert(
            "adresse".into(),
            match &persona.address {
                Some(a) => json!({
                    "identite": format!("{civ} {} {}", id.given_name.to_uppercase(), id.family_name.to_uppercase()),
                    "complementInformation": if a.complement.is_empty() { Value::Null } else { json!(a.complement) },
                    "complementInformationGeographique": Value::Null,
                    "numeroLibelleVoie": a.line.to_uppercase(),
                    "lieuDit": Value::Null,
                    "codePostalVille": format!("{} {}", a.postal_code, a.city.to_uppercase()),
                    "pays": "FRANCE",
                }),
                None => Value::Null,
            },
        );
    }
    Ok(Json(Value::Object(out)))
}
