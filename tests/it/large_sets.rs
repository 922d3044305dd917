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

/// 3,000 generated personas in JSON Lines, with a few lines changed by `edit`.
fn large_jsonl(seed: u64, edit: impl Fn(usize, String) -> String) -> (Vec<GenPersona>, String) {
    let opts = Options {
        count: 3000,
        seed,
        ..Options::default()
    };
    let people = generate(&opts);
    let text = to_jsonl(&people, &opts)
        .lines()
        .enumerate()
        .map(|(i, l)| edit(i + 1, l.to_owned()) + "\n")
        .collect();
    (people, text)
}

fn source(name: &str, text: String) -> fcmock::config::Source {
    fcmock::config::Source {
        name: name.into(),
        text,
    }
}

#[test]
fn a_large_json_lines_file_is_read_at_load_and_built_on_demand() {
    let (people, _) = large_jsonl(21, |_, l| l);
    // One id written with an escape (`\u002d` is `-`): that line is built at load.
    let escaped = people[9].id.replacen('-', "\\u002d", 1);
    let (_, text) = large_jsonl(21, |n, l| {
        if n == 11 {
            l.replacen(&people[9].id, &escaped, 1)
        } else {
            l
        }
    });
    let cfg = fcmock::config::load_sources(vec![source("big.jsonl", text.clone())], true, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let set = &cfg.personas;
    assert_eq!(set.deferred(), 2999, "{set:?}");
    assert_eq!(
        set.get(&people[9].id).map(|p| p.id.as_str()),
        Some(people[9].id.as_str())
    );
    assert_eq!(
        set.len(),
        3000 + fcmock::config::Config::default_bundle().unwrap().personas.len()
    );
    // By id: that one persona is built, and only it.
    let wanted = &people[1234];
    let p = set.get(&wanted.id).expect("deferred persona by id");
    assert_eq!(p.identity.family_name, wanted.family_name);
    assert_eq!(set.deferred(), 2998);
    // By login at an identity provider.
    let (idp, login) = (&wanted.accounts[0].0, &wanted.accounts[0].1);
    let (holder, account) = set.by_login(idp, login).expect("deferred persona by login");
    assert_eq!(
        (holder.id.as_str(), account.login.as_str()),
        (wanted.id.as_str(), login.as_str())
    );
    // Order: the bundle's personas, then the file's, as loaded eagerly.
    let eager = fcmock::config::load(&[source("big.jsonl", text)], true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(eager.personas.deferred(), 0);
    let ids = |c: &fcmock::config::Config| c.personas.ids().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(ids(&cfg), ids(&eager));
    assert_eq!(set.check_deferred().unwrap(), 2999);
    assert_eq!(set.deferred(), 0);
    for (a, b) in set.iter().zip(eager.personas.iter()) {
        assert_eq!((&a.id, &a.identity, &a.tags), (&b.id, &b.identity, &b.tags));
    }
}

#[test]
fn a_large_file_checks_ids_and_logins_at_load_and_fields_when_built() {
    // Bad birth dates on lines 1,501 and 2,990 (each half of the file is
    // read on its own thread): loading succeeds, the check names both.
    let (_, text) = large_jsonl(22, |n, l| {
        if n == 1501 || n == 2990 {
            regex_lite_birthdate(&l, "1990-02-31")
        } else {
            l
        }
    });
    let cfg = fcmock::config::load_sources(vec![source("big.jsonl", text.clone())], true, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let err = cfg.personas.check_deferred().unwrap_err().to_string();
    assert!(err.contains("2 configuration errors"), "{err}");
    assert!(
        err.contains("big.jsonl:1501: personas[1499].identity.birthdate"),
        "{err}"
    );
    assert!(
        err.contains("big.jsonl:2990: personas[2988].identity.birthdate"),
        "{err}"
    );
    // Loading strictly reports the same, before anything serves.
    let strict = fcmock::config::load(&[source("big.jsonl", text)], true)
        .unwrap_err()
        .to_string();
    assert!(
        strict.contains("big.jsonl:1501: personas[1499].identity.birthdate"),
        "{strict}"
    );

    // Ids, logins and identity providers are checked at load, deferred or not.
    let (people, _) = large_jsonl(23, |_, l| l);
    let first_login = people[0].accounts[0].1.clone();
    let (first_id, second_id) = (people[0].id.clone(), people[1].id.clone());
    let (_, text) = large_jsonl(23, |n, l| match n {
        // Line 1 is the generator's comment; line 3 holds the second persona.
        3 => l.replacen(&format!("\"id\":\"{second_id}\""), &format!("\"id\":\"{first_id}\""), 1),
        4 => {
            let theirs = people[2].accounts[0].1.clone();
            l.replacen(
                &format!("\"login\":\"{theirs}\""),
                &format!("\"login\":\"{first_login}\""),
                1,
            )
        }
        _ => l,
    });
    let err = fcmock::config::load_sources(vec![source("big.jsonl", text)], true, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "big.jsonl:3: personas[1]: `{first_id}` is already defined at big.jsonl:2"
        )),
        "{err}"
    );
    // Where both holders are.
    assert!(
        err.contains(&format!(
            "big.jsonl:4: personas[2].accounts: login `{first_login}` at `{}` is already used by persona `{first_id}` (big.jsonl:2)",
            people[0].accounts[0].0
        )),
        "{err}"
    );
    // An unknown identity provider is found while the file is read.
    let (_, text) = large_jsonl(23, |n, l| {
        if n == 2995 {
            l.replacen("\"idp\":\"", "\"idp\":\"nulle-part-", 1)
        } else {
            l
        }
    });
    let err = fcmock::config::load_sources(vec![source("big.jsonl", text)], true, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("big.jsonl:2995: personas[2993].accounts[0].idp: unknown identity provider `nulle-part-"),
        "{err}"
    );
    // A line that is not JSON stops loading there, as in any file.
    let (_, text) = large_jsonl(23, |n, l| if n == 6 { "{\"id\": \"cassé\"".to_owned() } else { l });
    let err = fcmock::config::load_sources(vec![source("big.jsonl", text)], true, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("big.jsonl:6: personas[4]: not valid JSON"), "{err}");
}

/// The line with its persona's birth date replaced.
fn regex_lite_birthdate(line: &str, date: &str) -> String {
    let at = line.find("\"birthdate\":\"").expect("a birthdate") + "\"birthdate\":\"".len();
    format!("{}{date}{}", &line[..at], &line[at + 10..])
}

#[tokio::test]
async fn a_deferred_persona_logs_in_at_its_identity_provider() {
    let (people, text) = large_jsonl(24, |_, l| l);
    let app = TestApp::spawn_deferred(vec![source("big.jsonl", text)]).await;
    assert_eq!(app.state.config().personas.deferred(), 3000);
    let wanted = people
        .iter()
        .rev()
        .find(|p| p.accounts.iter().any(|a| a.0 == "ameli"))
        .unwrap();
    let (_, login, password) = wanted.accounts.iter().find(|a| a.0 == "ameli").unwrap();
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["openid", "identite_pivot"], &[]);
    let browser = app.browser();
    let wall = browser.open(&url, &app.base).await;
    let page = browser.submit(&wall, "idp-ameli", &[], &app.base).await;
    let after = browser
        .submit(
            &page,
            "idp-login-form",
            &[("login", login.as_str()), ("password", password)],
            &app.base,
        )
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(after.testid("consent-continue").is_some(), "{}", after.body);
    let shown = after.body.to_uppercase();
    assert!(shown.contains(&wanted.family_name.to_uppercase()), "{}", after.body);
}

#[tokio::test]
async fn fcmock_stops_on_a_deferred_persona_that_is_invalid() {
    let (_, text) = large_jsonl(25, |n, l| {
        if n == 2500 {
            regex_lite_birthdate(&l, "2001-13-01")
        } else {
            l
        }
    });
    let dir = std::env::temp_dir().join(format!("fcmock-deferred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.jsonl");
    std::fs::write(&file, text).unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_fcmock"))
        .args(["--port", "0", "--config"])
        .arg(&file)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("fcmock stops by itself")
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // It did start (the banner), then said what is wrong, where.
    assert!(String::from_utf8_lossy(&out.stdout).contains("personas"), "{stderr}");
    assert!(
        stderr.contains("big.jsonl:2500: personas[2498].identity.birthdate"),
        "{stderr}"
    );
}
