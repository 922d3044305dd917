//! Unit tests of phase two.

use crate::config::{Source, load};

fn user(text: &str) -> Vec<Source> {
    vec![Source {
        name: "user.yaml".into(),
        text: text.into(),
    }]
}

#[test]
fn default_bundle_is_valid() {
    let cfg = load(&[], true).unwrap();
    assert!(cfg.personas.len() >= 15);
    assert!(cfg.idp("ameli").is_some());
    assert_eq!(cfg.clients.len(), 6);
    assert!(
        cfg.client("demo-portail-metropole-0123456789abcdef0123456789abcdef0123")
            .is_some(),
        "the demo portal is registered"
    );
}

#[test]
fn unknown_field_names_file_and_line() {
    let err = load(
        &user("clients:\n  - client_id: a\n    client_secret: b\n    name: c\n    colour: red\n"),
        true,
    )
    .unwrap_err();
    let e = &err.0[0];
    assert_eq!(e.file, "user.yaml");
    assert_eq!(e.line, 5, "{err}");
    assert!(e.message.starts_with("unknown field `colour`"), "{err}");
}

#[test]
fn bad_birthplace_names_the_field_and_line() {
    let text = "personas:\n  - id: x\n    identity:\n      given_name: A\n      family_name: B\n      gender: male\n      birthdate: \"2000-01-01\"\n      birthplace: \"75999\"\n      birthcountry: \"99100\"\n";
    let err = load(&user(text), true).unwrap_err();
    let e = &err.0[0];
    assert_eq!(
        (e.line, e.field.as_str()),
        (8, "personas[0].identity.birthplace"),
        "{err}"
    );
}

#[test]
fn user_entries_replace_defaults_by_id_and_refs_are_checked() {
    let text = "clients:\n  - client_id: mine\n    client_secret: s\n    name: Mine\n    redirect_uris: [\"https://portail.example/cb\"]\n    idps: [ameli, nowhere]\n";
    let err = load(&user(text), true).unwrap_err();
    assert!(
        err.0[0].message.contains("unknown identity provider `nowhere`"),
        "{err}"
    );
    assert_eq!(err.0[0].line, 6);
}

#[test]
fn a_login_held_twice_names_both_places() {
    let person = |id: &str| {
        format!(
            "  - id: {id}\n    identity: {{ given_name: A, family_name: B, gender: male, birthdate: \"2000-01-01\", birthplace: \"75107\", birthcountry: \"99100\" }}\n    accounts: [{{ idp: ameli, login: \"same-login\" }}]\n"
        )
    };
    let text = format!("personas:\n{}{}", person("first"), person("second"));
    let err = load(&user(&text), true).unwrap_err();
    let e = &err.0[0];
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_str()),
        ("user.yaml", 5, "personas[1].accounts"),
        "{err}"
    );
    assert_eq!(
        e.message,
        "login `same-login` at `ameli` is already used by persona `first` (user.yaml:2); logins must be unique per identity provider"
    );
}
