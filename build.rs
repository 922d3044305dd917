//! Turns the INSEE COG extracts in `data/` into static tables sorted by code,
//! so that fcmock neither parses 2 MB of CSV nor allocates a map at start-up.

// A build script reports failure by panicking: that is the build's error.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=data/cog-communes.csv");
    println!("cargo:rerun-if-changed=data/cog-pays.csv");
    let communes = std::fs::read_to_string("data/cog-communes.csv").expect("data/cog-communes.csv");
    let countries = std::fs::read_to_string("data/cog-pays.csv").expect("data/cog-pays.csv");

    // Commune names never contain commas in this extract (checked in a test).
    // The same code can appear as a current commune and as a delegated one:
    // the first (current) entry wins.
    let mut by_code: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in communes.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() < 5 {
            continue;
        }
        by_code.entry(cols[0]).or_insert(cols);
    }
    let mut out = String::new();
    writeln!(out, "pub(crate) static COMMUNES: [Commune; {}] = [", by_code.len()).unwrap();
    for cols in by_code.values() {
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let population: u32 = col(6).parse().unwrap_or(0);
        writeln!(
            out,
            "Commune {{ code: {:?}, name: {:?}, kind: {:?}, departement: {:?}, departement_name: {:?}, postal_codes: {:?}, population: {population} }},",
            col(0),
            col(1),
            col(2),
            col(3),
            col(4),
            col(5)
        )
        .unwrap();
    }
    out.push_str("];\n");

    let mut pays: BTreeMap<&str, &str> = BTreeMap::new();
    for line in countries.lines().skip(1) {
        if let Some((code, rest)) = line.split_once(',') {
            pays.insert(code, rest.trim_matches('"'));
        }
    }
    writeln!(out, "pub(crate) static COUNTRIES: [Country; {}] = [", pays.len()).unwrap();
    for (code, name) in &pays {
        writeln!(out, "Country {{ code: {code:?}, name: {name:?} }},").unwrap();
    }
    out.push_str("];\n");

    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("cog_tables.rs");
    std::fs::write(dest, out).unwrap();
}
