//! Personas: accounts at identity providers, households, local accounts, their faults.

use super::identity::build_identity;
use super::*;

/// Builds every persona, on two threads when they are many; errors come out
/// in file order either way.
pub(super) fn build_personas(
    raw: &[Located<Box<RawPersona>>],
    idps: &HashSet<&str>,
    errors: &mut Errors,
) -> Vec<Persona> {
    let build = |part: &[Located<Box<RawPersona>>], errors: &mut Errors| -> Vec<Persona> {
        let mut out = Vec::with_capacity(part.len());
        out.extend(part.iter().filter_map(|e| build_persona(e, e.index, idps, errors)));
        out
    };
    if raw.len() < 2_000 {
        let out = build(raw, errors);
        errors.1 = 0;
        return out;
    }
    let (first, second) = raw.split_at(raw.len() / 2);
    let (mut out, mut later_errors, rest) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            let mut errs = Errors(Vec::new(), 0);
            let built = build(second, &mut errs);
            (built, errs)
        });
        let out = build(first, errors);
        match other.join() {
            Ok((built, errs)) => (out, errs, built),
            // Not expected; build the second half here if it happens.
            Err(_) => {
                let mut errs = Errors(Vec::new(), 0);
                let built = build(second, &mut errs);
                (out, errs, built)
            }
        }
    });
    out.reserve_exact(rest.len());
    out.extend(rest);
    errors.0.append(&mut later_errors.0);
    errors.1 = 0;
    out
}

pub(super) fn build_persona(
    e: &Located<Box<RawPersona>>,
    index: usize,
    idps: &HashSet<&str>,
    errors: &mut Errors,
) -> Option<Persona> {
    let file = e.file.as_str();
    let r = &e.item.value;
    errors.1 = e.line;
    let at = format!("personas[{index}]");
    let before = errors.0.len();
    errors.slug_id(file, &r.id, &at, "");
    let identity = build_identity(file, &r.identity, &format!("{at}.identity"), None, errors);
    let mut accounts = Vec::new();
    let mut shared_base = None;
    for (j, acc) in r.accounts.iter().enumerate() {
        let a: &RawAccount = &acc.value;
        let aat = format!("{at}.accounts[{j}]");
        if !idps.contains(a.idp.value.as_str()) {
            errors.spanned(
                file,
                &a.idp,
                format!("{aat}.idp"),
                unknown("identity provider", &a.idp.value, idps),
            );
        }
        if a.login.value.trim().is_empty() {
            errors.spanned(file, &a.login, format!("{aat}.login"), "must not be empty");
        }
        let Some(base) = identity.as_ref() else { continue };
        // Accounts that hold the persona's own identity share one copy.
        let held = match &a.identity {
            Some(block) => build_identity(file, block, &format!("{aat}.identity"), Some(base), errors)
                .map(|held| (held != *base, std::sync::Arc::new(held))),
            None => Some((
                false,
                shared_base
                    .get_or_insert_with(|| std::sync::Arc::new(base.clone()))
                    .clone(),
            )),
        };
        if let Some((divergent, identity)) = held {
            accounts.push(Account {
                idp: a.idp.value.clone(),
                login: a.login.value.clone(),
                password: a.password.clone().unwrap_or_else(|| "123".to_owned()),
                divergent,
                identity,
                normalised: std::sync::OnceLock::new(),
            });
        }
    }
    let household = build_household(file, r, &at, errors);
    let identity = identity?;
    (errors.0.len() == before).then(|| Persona {
        id: r.id.value.clone(),
        identity,
        rnipp: r.rnipp.unwrap_or(RnippOutcome::Found),
        account_blocked: r.account_blocked,
        accounts,
        tags: r.tags.clone(),
        notes: r.notes.clone(),
        address: household.address,
        partner: household.partner,
        children: household.children,
        tax: household.tax,
        family: household.family,
        local_accounts: household.local_accounts,
        faults: Vec::new(),
    })
}

/// What a persona's household adds to its identity.
pub(super) struct Household {
    address: Option<Address>,
    partner: Option<Relative>,
    children: Vec<Relative>,
    tax: Option<Tax>,
    family: Option<Family>,
    local_accounts: Vec<LocalAccount>,
}

pub(super) fn build_household(file: &str, r: &RawPersona, at: &str, errors: &mut Errors) -> Household {
    let address = r.address.as_ref().map(|a| {
        let v = &a.value;
        let pc = &v.postal_code;
        if pc.value.len() != 5 || !pc.value.bytes().all(|b| b.is_ascii_digit()) {
            errors.spanned(
                file,
                pc,
                format!("{at}.address.postal_code"),
                format!("`{}` is not a 5-digit postal code", pc.value),
            );
        }
        if let Some(c) = &v.commune
            && !cog::is_commune(&c.value)
        {
            errors.spanned(
                file,
                c,
                format!("{at}.address.commune"),
                format!("`{}` is not an INSEE commune code (see data/cog-communes.csv)", c.value),
            );
        }
        Address {
            line: v.line.clone(),
            complement: v.complement.clone(),
            postal_code: pc.value.clone(),
            city: v.city.clone(),
            commune: v.commune.as_ref().map(|c| c.value.clone()),
        }
    });
    let mut relative = |rel: &Spanned<RawRelative>, field: String| {
        let v = &rel.value;
        if !["female", "male"].contains(&v.gender.value.as_str()) {
            errors.spanned(
                file,
                &v.gender,
                format!("{field}.gender"),
                format!("`{}` is not female or male", v.gender.value),
            );
        }
        if let Err(msg) = check_birthdate(&v.birthdate.value) {
            errors.spanned(file, &v.birthdate, format!("{field}.birthdate"), msg);
        }
        for (name, s) in [("given_name", &v.given_name), ("family_name", &v.family_name)] {
            if s.value.trim().is_empty() {
                errors.spanned(file, s, format!("{field}.{name}"), "must not be empty");
            }
        }
        Relative {
            given_name: v.given_name.value.clone(),
            family_name: v.family_name.value.clone(),
            usage_name: v.usage_name.clone(),
            gender: v.gender.value.clone(),
            birthdate: v.birthdate.value.clone(),
        }
    };
    let partner = r.partner.as_ref().map(|p| relative(p, format!("{at}.partner")));
    let children = r
        .children
        .iter()
        .enumerate()
        .map(|(i, c)| relative(c, format!("{at}.children[{i}]")))
        .collect();
    let tax = r.tax.as_ref().map(|t| {
        let v = &t.value;
        if let Some(n) = &v.numero_fiscal
            && (n.value.len() != 13 || !n.value.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.spanned(
                file,
                n,
                format!("{at}.tax.numero_fiscal"),
                format!("`{}` is not a 13-digit numéro fiscal", n.value),
            );
        }
        let parts = v.nombre_de_parts.value;
        if !((1.0..=20.0).contains(&parts) && (parts * 4.0).fract() == 0.0) {
            errors.spanned(
                file,
                &v.nombre_de_parts,
                format!("{at}.tax.nombre_de_parts"),
                format!("{parts} is not a number of parts (1 to 20, in quarters: 1, 1.5, 2.25…)"),
            );
        }
        Tax {
            numero_fiscal: v.numero_fiscal.as_ref().map(|n| n.value.clone()),
            revenu_fiscal_de_reference: v.revenu_fiscal_de_reference,
            nombre_de_parts: parts,
            situation_familiale: v.situation_familiale,
            annee_revenus: v.annee_revenus,
        }
    });
    let family = r.family.as_ref().map(|f| Family {
        numero_allocataire: f.value.numero_allocataire.clone(),
        quotient_familial: f.value.quotient_familial,
        regime: f.value.regime.unwrap_or(Regime::CNAF),
    });
    let local_accounts = r
        .local_accounts
        .iter()
        .enumerate()
        .map(|(i, la)| {
            let v = &la.value;
            if let Some(b) = &v.birthdate
                && let Err(msg) = check_birthdate(&b.value)
            {
                errors.spanned(file, b, format!("{at}.local_accounts[{i}].birthdate"), msg);
            }
            LocalAccount {
                service: v.service,
                reference: v.reference.clone(),
                given_name: v.given_name.clone(),
                family_name: v.family_name.clone(),
                birthdate: v.birthdate.as_ref().map(|b| b.value.clone()),
                email: v.email.clone(),
                note: v.note.clone(),
            }
        })
        .collect();
    Household {
        address,
        partner,
        children,
        tax,
        family,
        local_accounts,
    }
}

/// Builds each persona's own faults (magic personas), bound to that persona.
pub(super) fn attach_persona_faults<'a>(
    personas: &mut [Persona],
    raw: &[Located<Box<RawPersona>>],
    deferred_ids: impl Iterator<Item = &'a str>,
    clients: &[Located<RawClient>],
    idps: &HashSet<&str>,
    errors: &mut Errors,
) {
    if raw.iter().all(|e| e.item.value.faults.is_empty()) {
        return;
    }
    let known = crate::config::fault_parse::Known {
        clients: clients.iter().map(|c| c.item.value.client_id.value.clone()).collect(),
        // Deferred personas count only where a fault names them (they are many).
        personas: {
            let named: rustc_hash::FxHashSet<&str> = raw
                .iter()
                .flat_map(|e| e.item.value.faults.iter().filter_map(|f| f.value.persona()))
                .collect();
            let mut ids: HashSet<String> = personas.iter().map(|p| p.id.clone()).collect();
            if !named.is_empty() {
                ids.extend(deferred_ids.filter(|id| named.contains(id)).map(str::to_owned));
            }
            ids
        },
        idps: idps.iter().map(|i| (*i).to_owned()).collect(),
    };
    for e in raw {
        let r = &e.item.value;
        if r.faults.is_empty() {
            continue;
        }
        let faults = persona_faults(e, &known, errors);
        if let Some(p) = personas.iter_mut().find(|p| p.id == r.id.value) {
            p.faults = faults;
        }
    }
}

/// A persona's own faults (magic personas), bound to it.
pub(super) fn persona_faults(
    e: &Located<Box<RawPersona>>,
    known: &crate::config::fault_parse::Known,
    errors: &mut Errors,
) -> Vec<crate::config::fault::Fault> {
    let r = &e.item.value;
    let mut local = crate::config::fault_parse::Errors {
        file: &e.file,
        list: Vec::new(),
    };
    let faults = r
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            crate::config::fault_parse::build_fault(
                f,
                &format!("personas[{}].faults[{i}]", e.index),
                known,
                Some(&r.id.value),
                &mut local,
            )
        })
        .collect();
    errors.0.extend(local.list);
    faults
}
