//! The module layering of ARCHITECTURE.md, checked on the source: leaves
//! never import a role, the agent, the server or the command line; roles
//! never import the server or the command line; nothing imports the command
//! line. A new arrow running back up fails here, naming file and line.

use std::path::Path;

/// Modules by layer, lowest first. A module may import its own layer or
/// lower ones, never a higher one (`roles` may import each other one way:
/// `control` steers `platform` and `idp`).
const LAYERS: [(&str, &[&str]); 5] = [
    (
        "leaf",
        &[
            "clock",
            "rng",
            "paths",
            "cog",
            "web",
            "crypto",
            "identity",
            "oidc",
            "config",
            "journal",
            "scenarios",
            "personas",
            "shared",
        ],
    ),
    ("agent", &["agent"]),
    (
        "role",
        &[
            "platform",
            "idp",
            "data_providers",
            "control",
            "inspector",
            "step",
            "demo",
        ],
    ),
    ("server", &["server", "bench", "portal"]),
    ("cli", &["cli"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::module` named in code (comments and test modules left out).
fn imports(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + 7..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((n + 1, name));
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy();
        let module = first.trim_end_matches(".rs");
        let Some(own) = layer_of(module) else { continue };
        for (line, target) in imports(&std::fs::read_to_string(file).unwrap()) {
            let Some(theirs) = layer_of(&target) else { continue };
            checked += 1;
            if theirs > own {
                wrong.push(format!(
                    "src/{}:{line}: `{module}` ({}) imports `{target}` ({})",
                    rel.display(),
                    LAYERS[own].0,
                    LAYERS[theirs].0
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} imports seen: is the source layout as expected?"
    );
    assert!(wrong.is_empty(), "imports running back up:\n{}", wrong.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if !["lib", "main"].contains(&name.as_str()) && layer_of(&name).is_none() && !name.ends_with(".html") {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "give these modules a layer in tests/it/layers.rs: {missing:?}"
    );
}

#[test]
fn roles_import_each_other_one_way_only() {
    // control → platform, idp is allowed; the reverse, or platform ↔ idp, is not.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = [("control", "platform"), ("control", "idp")];
    let roles = LAYERS
        .iter()
        .find(|(name, _)| *name == "role")
        .map(|(_, mods)| *mods)
        .unwrap();
    let mut wrong = Vec::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if !roles.contains(&module.as_str()) {
            continue;
        }
        for (line, target) in imports(&std::fs::read_to_string(file).unwrap()) {
            if target != module
                && roles.contains(&target.as_str())
                && !allowed.contains(&(module.as_str(), target.as_str()))
            {
                wrong.push(format!("src/{}:{line}: `{module}` imports `{target}`", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "role-to-role imports:\n{}", wrong.join("\n"));
}
