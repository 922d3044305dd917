//! The DGFiP's "API Impôt particulier": `GET /situations/ir/assiettes/annrev/{year}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::DpState;
use super::{DpError, admit};

/// How many past income years the mock serves (the same figures).
const YEARS_SERVED: i64 = 3;

pub(super) async fn impot_particulier(
    State(state): State<DpState>,
    Path(year): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, DpError> {
    let Ok(year) = year.parse::<i64>() else {
        return Err(DpError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "year",
            format!("`{year}` n'est pas une année de revenus"),
        ));
    };
    let (checked, persona) = admit(
        &state,
        "dgfip",
        &headers,
        "dgfip_",
        "Le jeton n'ouvre aucune donnée fiscale (aucun scope dgfip_*).",
        "Aucun foyer fiscal ne correspond à cette identité.",
    )
    .await?;
    let has = |s: &str| checked.scopes.iter().any(|x| x == s);
    let Some(tax) = persona.tax.as_ref() else {
        return Err(DpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no_notice",
            "Aucun avis d'imposition pour cette personne.",
        ));
    };
    let current = state
        .clock
        .utc()
        .format("%Y")
        .to_string()
        .parse::<i64>()
        .unwrap_or(2026);
    let latest = tax.annee_revenus.map_or(current - 1, i64::from);
    if year > latest || year <= latest - YEARS_SERVED {
        return Err(DpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no_notice",
            format!(
                "Aucun avis pour les revenus {year} (années disponibles : {} à {latest}).",
                latest - YEARS_SERVED + 1
            ),
        ));
    }
    let id = &persona.identity;
    let mut out = Map::new();
    if has("dgfip_rfr") {
        out.insert("rfr".into(), json!(tax.revenu_fiscal_de_reference));
    }
    if has("dgfip_nbpart") {
        out.insert("nbPart".into(), json!(tax.nombre_de_parts));
    }
    if has("dgfip_sitfam") {
        out.insert("sitFam".into(), json!(tax.situation_familiale));
    }
    let dependants = persona.children.len();
    if has("dgfip_pac") {
        out.insert(
            "pac".into(),
            json!({"nbPac": dependants, "nbPacF": 0, "nbPacH": 0, "nbPacR": 0, "nbPacJ": 0, "nbPacN": 0, "nbPacP": 0}),
        );
    }
    if has("dgfip_nbpac") {
        out.insert("nbPac".into(), json!(dependants));
    }
    if has("dgfip_aft") {
        match &persona.address {
            Some(a) => {
                out.insert(
                    "aft".into(),
                    json!(format!("{} {} {}", a.line, a.postal_code, a.city.to_uppercase())),
                );
                out.insert(
                    "aftDetail".into(),
                    json!({
                        "complementAdresse": if a.complement.is_empty() { Value::Null } else { json!(a.complement) },
                        "voie": a.line,
                        "codePostal": a.postal_code,
                        "commune": a.city.to_uppercase(),
                    }),
                );
            }
            None => {
                out.insert("aft".into(), Value::Null);
                out.insert("aftDetail".into(), Value::Null);
            }
        }
    }
    if has("dgfip_decl") {
        let partner = persona.partner.as_ref();
        out.insert("nmNaiDec1".into(), json!(id.family_name.to_uppercase()));
        out.insert(
            "nmUsaDec1".into(),
            json!(id.preferred_username.as_ref().map(|u| u.to_uppercase())),
        );
        out.insert("prnmDec1".into(), json!(id.given_name));
        out.insert("nmNaiDec2".into(), json!(partner.map(|p| p.family_name.to_uppercase())));
        out.insert(
            "nmUsaDec2".into(),
            json!(partner.and_then(|p| p.usage_name.as_ref().map(|u| u.to_uppercase()))),
        );
        out.insert("prnmDec2".into(), json!(partner.map(|p| p.given_name.clone())));
    }
    if has("dgfip_pariso") {
        out.insert("sitParIso".into(), Value::Null);
    }
    if has("dgfip_inddeficit") {
        out.insert("indDeficit".into(), json!(false));
    }
    Ok(Json(Value::Object(out)))
}
