//! Generated personas written as JSON Lines: one persona per line, the same
//! fields as in YAML. fcmock reads `.jsonl` persona files with a JSON parser
//! on both cores, which keeps start-up short with 100,000 personas.

use serde_json::{Value, json};

use super::generate::{GenPersona, Options};

/// One persona as a JSON object (the fields of a YAML persona entry).
fn persona(p: &GenPersona) -> Value {
    let mut v = json!({
        "id": p.id,
        "identity": {
            "given_name": p.given_names.join(" "),
            "family_name": p.family_name,
            "gender": p.gender,
            "birthdate": p.birthdate,
            "birthplace": p.birthplace,
            "birthcountry": p.birthcountry,
            "email": p.email,
        },
        "accounts": p.accounts.iter().map(|(idp, login, password)| json!({"idp": idp, "login": login, "password": password})).collect::<Vec<_>>(),
        "address": {"line": p.address.0, "postal_code": p.address.1, "city": p.address.2, "commune": p.address.3},
        "tags": p.tags,
    });
    if let Some(obj) = v.as_object_mut() {
        if !p.children.is_empty() {
            let children: Vec<Value> = p
                .children
                .iter()
                .map(|(name, gender, birthdate)| {
                    json!({"given_name": name, "family_name": p.family_name, "gender": gender, "birthdate": birthdate})
                })
                .collect();
            obj.insert("children".to_owned(), Value::from(children));
        }
        if p.rfr > 0 {
            obj.insert(
                "tax".to_owned(),
                json!({"numero_fiscal": p.numero_fiscal, "revenu_fiscal_de_reference": p.rfr, "nombre_de_parts": p.parts, "situation_familiale": p.situation}),
            );
        }
        if let Some(qf) = p.quotient_familial {
            obj.insert("family".to_owned(), json!({"quotient_familial": qf}));
        }
    }
    v
}

/// Writes personas as JSON Lines, after a `#` comment line saying how they
/// were generated (fcmock skips lines starting with `#`).
pub fn to_jsonl(personas: &[GenPersona], opts: &Options) -> String {
    let mut out = String::with_capacity(personas.len() * 800 + 256);
    out.push_str(&super::yaml::header(opts));
    for p in personas {
        out.push_str(&persona(p).to_string());
        out.push('\n');
    }
    out
}
