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
    // Strings live in one text blob (interned: départements, kinds and postal
    // codes repeat); rows hold packed (offset << 8 | length) references and
    // the population. Numbers only: no pointer, so no relocation at load time
    // and nothing for the dynamic loader to write into the binary's pages.
    let mut text = String::new();
    let mut interned: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut intern = |s: &str| -> u32 {
        if let Some(r) = interned.get(s) {
            return *r;
        }
        assert!(s.len() < 256, "COG string longer than 255 bytes: {s}");
        let packed = (u32::try_from(text.len()).unwrap() << 8) | u32::try_from(s.len()).unwrap();
        assert!(text.len() < (1 << 24), "COG text blob over 16 MiB");
        text.push_str(s);
        interned.insert(s.to_owned(), packed);
        packed
    };
    let mut out = String::new();
    writeln!(out, "static COMMUNE_ROWS: [[u32; 7]; {}] = [", by_code.len()).unwrap();
    for cols in by_code.values() {
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let population: u32 = col(6).parse().unwrap_or(0);
        let refs: Vec<u32> = (0..6).map(|i| intern(col(i))).collect();
        writeln!(
            out,
            "[{}, {}, {}, {}, {}, {}, {population}],",
            refs[0], refs[1], refs[2], refs[3], refs[4], refs[5]
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

    let out_dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out_dir).join("cog_tables.rs"), out).unwrap();
    std::fs::write(Path::new(&out_dir).join("cog_text.txt"), text).unwrap();
}
