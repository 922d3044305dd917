//! The Rust version a new user needs: what `Cargo.toml` declares, what the
//! README says, and what the locked dependencies require must agree.

use std::path::{Path, PathBuf};

fn version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_matches('"').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn rust_version_of(cargo_toml: &str) -> Option<(u32, u32)> {
    cargo_toml
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version"))
        .and_then(|rest| version(rest.trim_start().trim_start_matches('=')))
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_default()
}

#[test]
fn cargo_toml_the_readme_and_the_locked_dependencies_agree_on_the_rust_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = rust_version_of(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap())
        .expect("rust-version in Cargo.toml");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let said = format!("Rust toolchain ({}.{} or later)", ours.0, ours.1);
    assert!(readme.contains(&said), "the README's quick start should say `{said}`");

    // Every locked dependency's own rust-version, from the sources cargo fetched.
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let registry = cargo_home().join("registry").join("src");
    let indexes: Vec<PathBuf> = std::fs::read_dir(&registry)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let mut checked = 0;
    let mut too_new = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            let dir = format!("{n}-{}", v.trim_matches('"'));
            let Some(manifest) = indexes
                .iter()
                .map(|i| i.join(&dir).join("Cargo.toml"))
                .find(|p| p.exists())
            else {
                continue;
            };
            checked += 1;
            if let Some(needed) = rust_version_of(&std::fs::read_to_string(manifest).unwrap_or_default())
                && needed > ours
            {
                too_new.push(format!("{dir} needs {}.{}", needed.0, needed.1));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} locked crates found under {}",
        registry.display()
    );
    assert!(
        too_new.is_empty(),
        "Cargo.toml says rust-version {}.{}, but: {}",
        ours.0,
        ours.1,
        too_new.join(", ")
    );
}
