//! The persona pages: `/_fcmock/personas` (search, tag filters) and one card per persona.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::ControlState;
use crate::config::{Persona, RnippOutcome};
use crate::identity::normalise;
use crate::oidc::form::parse_form;
use crate::personas::{avatar, subs};
use crate::web::fr;
use crate::web::{AccountView, MessagePage, PersonaCard, PersonaPage, PersonasPage, render};

fn fold(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

fn full_name(p: &Persona) -> String {
    format!("{} {}", p.identity.given_name, p.identity.family_name.to_uppercase())
}

fn initials(p: &Persona) -> String {
    let first = |s: &str| {
        s.chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default()
    };
    format!("{}{}", first(&p.identity.given_name), first(&p.identity.family_name))
}

fn is_senior(p: &Persona) -> bool {
    p.identity
        .birthdate
        .get(..4)
        .and_then(|y| y.parse::<i32>().ok())
        .is_some_and(|y| y < 1961)
}

fn avatar_of(p: &Persona) -> String {
    avatar::svg(&p.id, &p.identity.gender, is_senior(p), &initials(p), &full_name(p))
}

fn birth_line(p: &Persona) -> String {
    let i = &p.identity;
    let place = match crate::cog::commune(&i.birthplace) {
        Some(c) if i.birthcountry == crate::cog::FRANCE => format!("{} ({})", c.name, c.code),
        _ => crate::cog::country(&i.birthcountry).map_or(i.birthcountry.clone(), |c| c.name.to_owned()),
    };
    format!("né(e) le {} — {place}", fr::date(&i.birthdate))
}

/// A value in French, then the raw claim value a developer compares with.
fn both(french: &str, raw: &str) -> String {
    if raw.is_empty() || french == raw {
        raw.to_owned()
    } else {
        format!("{french} — {raw}")
    }
}

/// `GET /_fcmock/personas?q=&tag=&idp=`.
pub(crate) async fn list(State(state): State<ControlState>, RawQuery(query): RawQuery) -> Response {
    let params = parse_form(query.as_deref().unwrap_or(""));
    let q = params
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let idp = params
        .iter()
        .find(|(k, _)| k == "idp")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let tags: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.clone())
        .collect();
    let cfg = state.config();
    let needle = fold(q.trim());
    let cards = cfg
        .select(&tags, (!idp.is_empty()).then_some(idp.as_str()))
        .filter(|p| {
            needle.is_empty()
                || fold(&format!("{} {} {} {}", p.id, full_name(p), p.tags.join(" "), p.notes)).contains(&needle)
        })
        .map(|p| PersonaCard {
            id: p.id.clone(),
            name: full_name(p),
            birth: birth_line(p),
            idps: p.accounts.iter().map(|a| a.idp.as_str()).collect::<Vec<_>>().join(", "),
            tags: p.tags.join(", "),
            avatar: avatar_of(p),
        })
        .collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &cfg.personas {
        for t in &p.tags {
            *counts.entry(t.as_str()).or_default() += 1;
        }
    }
    let page = PersonasPage {
        q,
        idps: cfg.idps.iter().map(|i| i.id.clone()).collect(),
        idp,
        tag_groups: crate::web::tags::group(
            counts
                .into_iter()
                .map(|(t, n)| (t.to_owned(), n, tags.iter().any(|x| x == t)))
                .collect(),
        ),
        cards,
    };
    render(StatusCode::OK, &page)
}

/// The client the persona page's CI example uses: the first configured one
/// on a platform of the persona's first identity provider.
fn ci_client(cfg: &crate::config::Config, p: &crate::config::Persona) -> String {
    let platforms = p
        .accounts
        .first()
        .and_then(|a| cfg.idp(&a.idp))
        .map(|i| i.platforms.clone())
        .unwrap_or_default();
    cfg.clients
        .iter()
        .find(|c| platforms.contains(&c.platform))
        .or_else(|| cfg.clients.first())
        .map(|c| c.client_id.clone())
        .unwrap_or_default()
}

/// `GET /_fcmock/personas/{id}`.
pub(crate) async fn card(State(state): State<ControlState>, Path(id): Path<String>) -> Response {
    let cfg = state.config();
    let Some(p) = cfg.persona(&id) else {
        return render(
            StatusCode::NOT_FOUND,
            &MessagePage {
                heading: "Persona introuvable",
                body: "Aucune persona ne porte cet identifiant.",
            },
        );
    };
    let n = normalise(&p.identity);
    let mut identity = vec![
        ("Prénom(s)", "given_name", n.given_name.clone()),
        ("Nom de naissance", "family_name", n.family_name.clone()),
        (
            "Nom d'usage",
            "preferred_username",
            n.preferred_username.clone().unwrap_or_default(),
        ),
        // In French, with the value the claims carry after it for developers.
        (
            "Date de naissance",
            "birthdate",
            both(&fr::date(&n.birthdate), &n.birthdate),
        ),
        (
            "Date transmise par le FI",
            "idp_birthdate",
            both(&fr::date(&n.idp_birthdate), &n.idp_birthdate),
        ),
        ("Sexe", "gender", both(fr::gender(&n.gender), &n.gender)),
        (
            "Lieu de naissance",
            "birthplace",
            if n.birthplace.is_empty() {
                String::new()
            } else {
                fr::commune(&n.birthplace)
            },
        ),
        ("Pays de naissance", "birthcountry", fr::country(&n.birthcountry)),
        ("Courriel", "email", n.email.clone().unwrap_or_default()),
    ];
    for row in &mut identity {
        if row.2.is_empty() {
            row.2 = "—".to_owned();
        }
    }
    let accounts = p
        .accounts
        .iter()
        .map(|a| {
            let held = &a.identity;
            AccountView {
                idp: a.idp.clone(),
                idp_name: cfg.idp(&a.idp).map_or(a.idp.clone(), |i| i.name.clone()),
                login: a.login.clone(),
                password: a.password.clone(),
                divergent: a.divergent,
                identity: format!(
                    "{} {} — {} — {} / {} — {}",
                    held.given_name,
                    held.family_name,
                    held.birthdate,
                    held.birthplace,
                    held.birthcountry,
                    held.email.as_deref().unwrap_or("sans courriel")
                ),
                subs: subs(&cfg, p, Some(&a.idp)),
            }
        })
        .collect();
    let mut data = Vec::new();
    if let Some(a) = &p.address {
        data.push((
            "Adresse".to_owned(),
            format!("{} {} {} {}", a.line, a.complement, a.postal_code, a.city),
        ));
    }
    if let Some(t) = &p.tax {
        let nf = t
            .numero_fiscal
            .clone()
            .or_else(|| p.account("impots").map(|a| a.login.clone()))
            .unwrap_or_default();
        data.push(("DGFiP — numéro fiscal".to_owned(), nf));
        data.push((
            "DGFiP — revenu fiscal de référence".to_owned(),
            format!("{} €", t.revenu_fiscal_de_reference),
        ));
        data.push(("DGFiP — nombre de parts".to_owned(), t.nombre_de_parts.to_string()));
        data.push((
            "DGFiP — situation familiale".to_owned(),
            fr::situation(t.situation_familiale).to_owned(),
        ));
    }
    if let Some(f) = &p.family {
        data.push((
            format!("{:?} — quotient familial", f.regime),
            f.quotient_familial.to_string(),
        ));
    }
    if let Some(r) = &p.partner {
        data.push((
            "Conjoint(e)".to_owned(),
            format!("{} {} ({})", r.given_name, r.family_name, r.birthdate),
        ));
    }
    for c in &p.children {
        data.push((
            "Enfant".to_owned(),
            format!("{} {} ({})", c.given_name, c.family_name, c.birthdate),
        ));
    }
    let local = p
        .local_accounts
        .iter()
        .map(|l| {
            (
                fr::local_service(l.service).to_owned(),
                l.reference.clone(),
                format!("{} {}", l.given_name, l.family_name),
                l.birthdate.clone().unwrap_or_default(),
                l.email.clone().unwrap_or_default(),
                l.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let page = PersonaPage {
        id: p.id.clone(),
        name: full_name(p),
        tags: p.tags.join(", "),
        notes: p.notes.clone(),
        avatar: avatar_of(p),
        identity,
        rnipp: match p.rnipp {
            RnippOutcome::Found => "trouvée",
            RnippOutcome::NotFound => "introuvable (Y010008)",
            RnippOutcome::SeveralEchoes => "plusieurs échos (Y010006)",
            RnippOutcome::Deceased => "décédée (Y010015)",
            RnippOutcome::CloseEcho => "un écho proche (Y010004)",
            RnippOutcome::UsageNameOnly => "trouvée sous le nom d'usage seulement (Y010007)",
            RnippOutcome::Timeout => "délai dépassé (Y010011)",
            RnippOutcome::Unreachable => "injoignable (Y010012)",
        },
        accounts,
        data,
        local,
        base: state.urls.public.clone(),
        first_idp: p.accounts.first().map(|a| a.idp.clone()).unwrap_or_default(),
        ci_client: ci_client(&cfg, p),
    };
    render(StatusCode::OK, &page).into_response()
}
