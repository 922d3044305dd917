//! Large persona sets: files past the YAML parser's default node budget
//! load, and the identity providers' login pages search and page their
//! test accounts instead of listing them all.

use fcmock::personas::generate::{GenPersona, Options, generate, to_jsonl, to_yaml};

use crate::helpers::{PUBLIC_CLIENT, PUBLIC_SECRET, REDIRECT, TestApp, fetch_json, href_of};

fn generated(count: usize) -> (Vec<GenPersona>, String) {
    let opts = Options {
        count,
        seed: 7,
        ..Options::default()
    };
    let people = generate(&opts);
    let yaml = to_yaml(&people, &opts);
    (people, yaml)
}

#[test]
fn a_file_past_the_default_yaml_budget_loads() {
    // 5,000 generated personas: the parser's default budget stopped at ~3,750.
    let (_, yaml) = generated(5000);
    let source = fcmock::config::Source {
        name: "many.yaml".into(),
        text: yaml,
    };
    let cfg = fcmock::config::load(&[source], true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.personas.iter().filter(|p| p.id.starts_with("gen-")).count(), 5000);
}

#[test]
fn json_lines_load_the_same_personas_as_yaml_and_report_lines() {
    let opts = Options {
        count: 3000,
        seed: 11,
        ..Options::default()
    };
    let people = generate(&opts);
    let from_yaml = crate::helpers::load_source("g.yaml", to_yaml(&people, &opts));
    let from_jsonl = crate::helpers::load_source("g.jsonl", to_jsonl(&people, &opts));
    assert_eq!(from_yaml.personas.len(), from_jsonl.personas.len());
    for (a, b) in from_yaml.personas.iter().zip(&from_jsonl.personas) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.identity, b.identity, "{}", a.id);
        assert_eq!(a.accounts.len(), b.accounts.len(), "{}", a.id);
        for (x, y) in a.accounts.iter().zip(&b.accounts) {
            assert_eq!(
                (&x.idp, &x.login, &x.password, &x.identity),
                (&y.idp, &y.login, &y.password, &y.identity)
            );
        }
        assert_eq!(a.tags, b.tags);
    }
    // Errors name the file, the persona's line and the field.
    let bad = "# a comment\n\n{\"id\":\"ok\",\"identity\":{\"given_name\":\"A\",\"family_name\":\"B\",\"gender\":\"female\",\"birthdate\":\"1990-13-01\",\"birthplace\":\"75107\",\"birthcountry\":\"99100\",\"email\":\"a@b.fr\"}}\n{\"id\":\"z\",\"bogus\":1}\n";
    let err = fcmock::config::load(
        &[fcmock::config::Source {
            name: "bad.jsonl".into(),
            text: bad.into(),
        }],
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("bad.jsonl:4: personas[1]: unknown field `bogus`"), "{err}");
    let only_dates = bad.lines().take(3).collect::<Vec<_>>().join("\n");
    let err = fcmock::config::load(
        &[fcmock::config::Source {
            name: "bad.jsonl".into(),
            text: only_dates,
        }],
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("bad.jsonl:3: personas[0].identity.birthdate"), "{err}");
}

#[tokio::test]
async fn the_login_page_pages_and_searches_thousands_of_accounts() {
    let (people, yaml) = generated(2000);
    let app = TestApp::spawn_with(&[&yaml]).await;
    let ameli_accounts = app
        .state
        .config()
        .personas
        .iter()
        .filter(|p| p.account("ameli").is_some())
        .count();
    assert!(ameli_accounts > 500, "{ameli_accounts}");
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["openid", "identite_pivot"], &[]);
    let browser = app.browser();
    let wall = browser.open(&url, &app.base).await;
    let page = browser.submit(&wall, "idp-ameli", &[], &app.base).await;
    assert_eq!(page.status, 200);
    assert!(page.body.len() < 40_000, "a login page of {} bytes", page.body.len());
    let buttons = |p: &crate::helpers::Page| p.body.matches("data-testid=\"persona-").count();
    assert_eq!(buttons(&page), 50);
    let count = page.testid("idp-persona-count").unwrap();
    assert!(count.contains(&format!("sur {ameli_accounts}")), "{count}");

    // The next page shows the next fifty.
    let next = browser.get(&href_of(&page, "idp-personas-next")).await;
    assert_eq!(buttons(&next), 50);
    assert!(
        next.testid("idp-persona-count")
            .unwrap()
            .starts_with("Comptes 51 à 100")
    );

    // A search by family name and given name finds that one person, accents aside.
    let wanted = people
        .iter()
        .find(|p| p.accounts.iter().any(|a| a.0 == "ameli"))
        .unwrap();
    let q = format!(
        "{} {}",
        deunicode(&wanted.family_name),
        wanted.given_names[0].to_uppercase()
    );
    let found = browser
        .submit(&page, "idp-persona-search", &[("q", q.as_str())], &app.base)
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.testid(&format!("persona-{}", wanted.id)).is_some(),
        "{q}: {}",
        found.body
    );

    // Logging in from the search result goes on to FranceConnect.
    let after = browser
        .submit(&found, &format!("persona-{}", wanted.id), &[], &app.base)
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(after.testid("consent-continue").is_some(), "{}", after.body);
    // The paged page was journaled like any other.
    let journal = fetch_json(&app.url("/_fcmock/api/journal?endpoint=idp.ameli.login")).await;
    assert!(journal["count"].as_u64().unwrap() >= 3, "{journal}");
    let _ = REDIRECT;
}

fn deunicode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' => 'E',
            'ï' | 'î' => 'i',
            'ç' => 'c',
            'ô' => 'o',
            _ => c,
        })
        .collect()
}
