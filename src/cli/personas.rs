//! `fcmock personas list | show | validate | generate`.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{ConfigArgs, PersonasCommand, load_config};
use crate::config::{Config, Persona};
use crate::identity::normalise;
use crate::personas::generate::{Options, generate, to_jsonl, to_yaml};

/// Runs a `personas` subcommand.
pub(super) fn run(cmd: PersonasCommand) -> ExitCode {
    match cmd {
        PersonasCommand::List { tags, idp, config } => with_config(&config, |cfg| {
            print!("{}", list(cfg, &tags, idp.as_deref()));
            ExitCode::SUCCESS
        }),
        PersonasCommand::Show { id, config } => with_config(&config, |cfg| match cfg.persona(&id) {
            Some(p) => {
                print!("{}", show(cfg, p));
                ExitCode::SUCCESS
            }
            None => {
                let near: Vec<&str> = cfg
                    .personas
                    .iter()
                    .map(|p| p.id.as_str())
                    .filter(|p| p.contains(&id) || id.contains(*p))
                    .collect();
                eprintln!(
                    "fcmock: no persona `{id}`{}; `fcmock personas list` shows them all",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean: {}?)", near.join(", "))
                    }
                );
                ExitCode::FAILURE
            }
        }),
        PersonasCommand::Validate { files, config } => {
            // The files, with the configuration they rely on (identity
            // providers, clients named by faults).
            let args = ConfigArgs {
                config: config.config.into_iter().chain(files).collect(),
                ..config
            };
            match load_config(&args) {
                Ok(cfg) => {
                    println!("valid: {} personas", cfg.personas.len());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprint!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        PersonasCommand::Generate {
            count,
            seed,
            tags,
            year,
            prefix,
            out,
            format,
        } => {
            let opts = Options {
                count,
                seed,
                tags,
                year,
                prefix,
            };
            let jsonl = format.as_deref() == Some("jsonl")
                || (format.is_none()
                    && out
                        .as_ref()
                        .is_some_and(|p| p.extension().is_some_and(|e| e == "jsonl")));
            let people = generate(&opts);
            let yaml = if jsonl {
                to_jsonl(&people, &opts)
            } else {
                to_yaml(&people, &opts)
            };
            match out {
                Some(path) => match std::fs::write(&path, yaml) {
                    Ok(()) => {
                        eprintln!("wrote {count} personas to {}", path.display());
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("fcmock: cannot write {}: {e}", path.display());
                        ExitCode::FAILURE
                    }
                },
                None => {
                    print!("{yaml}");
                    ExitCode::SUCCESS
                }
            }
        }
    }
}

fn with_config(args: &ConfigArgs, f: impl FnOnce(&Config) -> ExitCode) -> ExitCode {
    match load_config(args) {
        Ok(cfg) => f(&cfg),
        Err(e) => {
            eprint!("fcmock: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One line per matching persona, in aligned columns (id, name, birth
/// date, birthplace, accounts, tags), with a header line.
pub(super) fn list(cfg: &Config, tags: &[String], idp: Option<&str>) -> String {
    let rows: Vec<[String; 6]> = cfg
        .select(tags, idp)
        .map(|p| {
            let i = &p.identity;
            [
                p.id.clone(),
                format!("{} {}", i.given_name, i.family_name.to_uppercase()),
                i.birthdate.clone(),
                if i.birthcountry == crate::cog::FRANCE {
                    i.birthplace.clone()
                } else {
                    format!("abroad {}", i.birthcountry)
                },
                p.accounts.iter().map(|a| a.idp.as_str()).collect::<Vec<_>>().join(","),
                format!("[{}]", p.tags.join(", ")),
            ]
        })
        .collect();
    let header = ["id", "name", "born", "birthplace", "accounts", "tags"].map(str::to_owned);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (k, (cell, w)) in row.iter().zip(widths).enumerate() {
            line.push_str(cell);
            if k + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let n = rows.len();
    let _ = writeln!(out, "{n} persona{}", if n == 1 { "" } else { "s" });
    out
}

/// A persona in full, with the sub each service provider receives.
pub(super) fn show(cfg: &Config, p: &Persona) -> String {
    let mut out = String::new();
    let i = &p.identity;
    let _ = writeln!(out, "persona {}  [{}]", p.id, p.tags.join(", "));
    if !p.notes.is_empty() {
        let _ = writeln!(out, "  {}", p.notes);
    }
    let _ = writeln!(out, "civil identity:");
    let _ = writeln!(
        out,
        "  given_name {}  family_name {}  gender {}  birthdate {}",
        i.given_name, i.family_name, i.gender, i.birthdate
    );
    let _ = writeln!(
        out,
        "  birthplace {}  birthcountry {}  email {}  preferred_username {}",
        describe_place(&i.birthplace),
        describe_country(&i.birthcountry),
        i.email.as_deref().unwrap_or("(none)"),
        i.preferred_username.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(out, "  RNIPP outcome: {:?}", p.rnipp);
    let _ = writeln!(out, "identity-provider accounts:");
    for a in &p.accounts {
        let n = normalise(&a.identity);
        let _ = writeln!(
            out,
            "  {:<15} login {}  password {}{}",
            a.idp,
            a.login,
            a.password,
            if a.divergent {
                "  (holds a DIFFERENT identity)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "    FranceConnect returns: {} / {} / {} (idp_birthdate {}) / {} / {} / {}",
            n.given_name, n.family_name, n.birthdate, n.idp_birthdate, n.gender, n.birthplace, n.birthcountry
        );
        for (name, client_id, sub) in crate::personas::subs(cfg, p, Some(&a.idp)) {
            let _ = writeln!(
                out,
                "    sub at {name} ({}…): {sub}",
                client_id.get(..12).unwrap_or(&client_id)
            );
        }
    }
    if let Some(a) = &p.address {
        let _ = writeln!(
            out,
            "address: {}, {} {} {}",
            a.line, a.postal_code, a.city, a.complement
        );
    }
    if let Some(t) = &p.tax {
        let _ = writeln!(
            out,
            "tax: numéro fiscal {}  RFR {} €  {} parts  situation {:?}",
            t.numero_fiscal
                .as_deref()
                .or_else(|| p.account("impots").map(|a| a.login.as_str()))
                .unwrap_or("(none)"),
            t.revenu_fiscal_de_reference,
            t.nombre_de_parts,
            t.situation_familiale
        );
    }
    if let Some(f) = &p.family {
        let _ = writeln!(
            out,
            "family allowance ({:?}): quotient familial {}",
            f.regime, f.quotient_familial
        );
    }
    for c in &p.children {
        let _ = writeln!(
            out,
            "child: {} {} ({}, {})",
            c.given_name, c.family_name, c.gender, c.birthdate
        );
    }
    for l in &p.local_accounts {
        let _ = writeln!(
            out,
            "local account {:?} {}: {} {} {} {}{}",
            l.service,
            l.reference,
            l.given_name,
            l.family_name,
            l.birthdate.as_deref().unwrap_or("-"),
            l.email.as_deref().unwrap_or("-"),
            l.note.as_ref().map(|n| format!("  ⚠ {n}")).unwrap_or_default()
        );
    }
    out
}

fn describe_place(code: &str) -> String {
    match crate::cog::commune(code) {
        Some(c) => format!("{code} ({})", c.name),
        None if code.is_empty() => "\"\"".to_owned(),
        None => code.to_owned(),
    }
}

fn describe_country(code: &str) -> String {
    match crate::cog::country(code) {
        Some(c) => format!("{code} ({})", c.name),
        None => code.to_owned(),
    }
}
