//! Personas: the catalogue end to end, the generator, the tools and pages.

use std::process::Command;

use fcmock::identity::Identity;
use fcmock::personas::generate::{Options, generate, to_yaml};
use fcmock::personas::nir;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::*;

/// What FranceConnect should send for an identity, computed here from the rules
/// (upper-case birth name, split given names, completed dates, blank birthplace abroad).
fn expected(id: &Identity) -> Value {
    let given: Vec<&str> = id.given_name.split_whitespace().collect();
    let birthdate = if id.birthdate.ends_with("-00-00") {
        format!("{}-01-01", &id.birthdate[..4])
    } else if id.birthdate.ends_with("-00") {
        format!("{}-01", &id.birthdate[..7])
    } else {
        id.birthdate.clone()
    };
    json!({
        "given_name": given.join(" "),
        "given_name_array": given,
        "family_name": id.family_name.to_uppercase(),
        "birthdate": birthdate,
        "idp_birthdate": id.birthdate,
        "gender": id.gender,
        "birthplace": if id.birthcountry == "99100" { id.birthplace.clone() } else { String::new() },
        "birthcountry": id.birthcountry,
    })
}

/// The page FranceConnect shows instead, if any, for an identity provider's identity.
fn expected_error(persona_rnipp: &str, id: &Identity) -> Option<&'static str> {
    let cog_shaped = |s: &str| s.len() == 5 && s.chars().all(|c| c.is_ascii_alphanumeric());
    if id.email.is_none()
        || (id.birthcountry == "99100" && id.birthplace.is_empty())
        || (id.birthcountry != "99100" && !id.birthplace.is_empty() && !cog_shaped(&id.birthplace))
    {
        return Some("Y600006");
    }
    match persona_rnipp {
        "NotFound" => Some("Y010008"),
        "SeveralEchoes" => Some("Y010006"),
        "Deceased" => Some("Y010015"),
        "CloseEcho" => Some("Y010004"),
        "UsageNameOnly" => Some("Y010007"),
        "Timeout" => Some("Y010011"),
        "Unreachable" => Some("Y010012"),
        "Blocked" => Some("Y180001"),
        _ => None,
    }
}

fn check_claims(info: &Value, want: &Value, what: &str) {
    for (k, v) in want.as_object().unwrap() {
        assert_eq!(&info[k], v, "{what}: claim {k}");
    }
}

async fn headless(app: &TestApp, rp: &Rp, persona: &str, idp: &str) -> Page {
    let r = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": rp.client_id, "persona": persona, "idp": idp}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (url, _, _) = rp.authorize_url(&["identite_pivot", "idp_birthdate", "email"], &[]);
    app.browser().get(&url).await
}

#[tokio::test]
async fn every_catalogue_account_logs_in_or_fails_as_its_data_says() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let mut logins = 0;
    let mut refusals = 0;
    for p in app.state.config().personas.iter().cloned().collect::<Vec<_>>() {
        // Magic personas meet their own faults, headless too (tests/it/headless.rs).
        if !p.faults.is_empty() {
            continue;
        }
        for a in &p.accounts {
            let what = format!("{} via {}", p.id, a.idp);
            let page = headless(&app, &rp, &p.id, &a.idp).await;
            let verdict = if p.account_blocked {
                "Blocked".to_owned()
            } else {
                format!("{:?}", p.rnipp)
            };
            match expected_error(&verdict, &a.identity) {
                Some(code) => {
                    assert_eq!(page.error_code().as_deref(), Some(code), "{what}: {}", page.body);
                    refusals += 1;
                }
                None => {
                    let loc = page
                        .location
                        .clone()
                        .unwrap_or_else(|| panic!("{what}: {} {}", page.status, page.body));
                    let r = rp.redeem(&query(&loc)["code"]).await.unwrap();
                    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
                    check_claims(&info, &expected(&a.identity), &what);
                    logins += 1;
                }
            }
        }
    }
    assert!(logins > 60 && refusals >= 8, "{logins} logins, {refusals} refusals");
}

#[tokio::test]
async fn the_sub_on_a_persona_card_is_the_one_a_service_provider_receives() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PRIVATE_CLIENT, PRIVATE_SECRET).await;
    let r = full_login(&app, &rp, "nathalie-kerbrat", "laposte", &["profile"]).await;
    let card = app.browser().get(&app.url("/_fcmock/personas/nathalie-kerbrat")).await;
    assert_eq!(card.status, 200);
    assert!(card.body.contains("<svg"), "inline avatar");
    assert_eq!(
        card.testid(&format!("sub-laposte-{PRIVATE_CLIENT}")).as_deref(),
        Some(r.claims.subject().as_str())
    );
    // Her impots.gouv.fr identity is the civil one: another sub.
    assert_ne!(
        card.testid(&format!("sub-impots-{PRIVATE_CLIENT}")).as_deref(),
        Some(r.claims.subject().as_str())
    );
    assert!(card.testid("persona-local-accounts").is_some());
}

#[tokio::test]
async fn personas_are_found_by_tags_in_the_page_the_api_and_next_login() {
    let app = TestApp::spawn().await;
    let page = app
        .browser()
        .get(&app.url("/_fcmock/personas?tag=mineur&tag=ne-a-l-etranger&idp=ameli"))
        .await;
    assert_eq!(page.testid("persona-count").as_deref(), Some("1 persona(s)"));
    assert!(page.testid("persona-card-amadou-keita-sall").is_some());
    let search = app.browser().get(&app.url("/_fcmock/personas?q=quemper")).await;
    assert!(search.testid("persona-card-sandrine-quemper").is_some());
    let accents = app.browser().get(&app.url("/_fcmock/personas?q=EMERAUDE")).await;
    assert!(
        accents.testid("persona-card-benedicte-emeraude-lefevre").is_some(),
        "search ignores case and accents"
    );

    let api: Value = plain_http()
        .get(app.url("/_fcmock/api/personas?tag=corse"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = api
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["paul-antoine-santoni", "lucia-filippeddu"]);

    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let queued = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "tags": ["mineur", "ne-a-l-etranger"], "idp": "ameli"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let resp = app.browser().get(&url).await;
    let r = rp
        .redeem(&query(resp.location.as_deref().unwrap())["code"])
        .await
        .unwrap();
    let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
    assert_eq!(info["family_name"], "KEÏTA-SALL");
    assert_eq!(info["birthcountry"], "99335");
    let none = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .json(&json!({"client_id": PUBLIC_CLIENT, "tags": ["nobody-has-this-tag"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

const BIN: &str = env!("CARGO_BIN_EXE_fcmock");

#[test]
fn validate_reports_bad_codes_and_unknown_fields_with_their_lines() {
    let dir = std::env::temp_dir().join(format!("fcmock-personas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let codes = dir.join("codes.yaml");
    std::fs::write(
        &codes,
        r#"personas:
  - id: bad-country
    identity:
      given_name: "Ana"
      family_name: "Pays"
      gender: female
      birthdate: "1990-01-01"
      birthplace: ""
      birthcountry: "99999"
  - id: bad-commune
    identity:
      given_name: "Luc"
      family_name: "Commune"
      gender: male
      birthdate: "1990-01-01"
      birthplace: "75999"
      birthcountry: "99100"
"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["personas", "validate"])
        .arg(&codes)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("codes.yaml:9: personas[0].identity.birthcountry: `99999` is not an INSEE country code"),
        "{err}"
    );
    assert!(
        err.contains("codes.yaml:16: personas[1].identity.birthplace: `75999` is not an INSEE commune code"),
        "{err}"
    );

    let unknown = dir.join("unknown.yaml");
    std::fs::write(&unknown, "personas:\n  - id: x\n    identity: { given_name: A, family_name: B, gender: male, birthdate: \"2000-01-01\", birthplace: \"75107\", birthcountry: \"99100\" }\n    nickname: Bob\n").unwrap();
    let out = Command::new(BIN)
        .args(["personas", "validate"])
        .arg(&unknown)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown.yaml:4: unknown field `nickname`"), "{err}");

    let list = Command::new(BIN)
        .args(["personas", "list", "--tag", "corse-2b"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("lucia-filippeddu") && text.contains("1 persona"),
        "{text}"
    );
    let show = Command::new(BIN)
        .args(["personas", "show", "hugo-lambesc"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("holds a DIFFERENT identity") && text.matches("sub at").count() == 8,
        "{text}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn generate_writes_the_same_bytes_for_the_same_seed() {
    let run = |seed: &str| {
        Command::new(BIN)
            .args(["personas", "generate", "--count", "30", "--seed", seed])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("5"), run("5"));
    assert_ne!(run("5"), run("6"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn generated_personas_are_valid_and_log_in(seed in any::<u64>(), minors in any::<bool>()) {
        let tags = if minors { vec!["mineur".to_owned()] } else { Vec::new() };
        let opts = Options { count: 3, seed, tags, ..Options::default() };
        let people = generate(&opts);
        for p in &people {
            // NIR: consistent with sex, year, month and place, with a valid key.
            let nir_login = p.nir.clone();
            prop_assert!(nir::is_valid(&nir_login), "{nir_login}");
            let sex = if p.gender == "female" { '2' } else if p.gender == "male" { '1' } else { nir_login.chars().next().unwrap() };
            prop_assert_eq!(nir_login.chars().next().unwrap(), sex);
            prop_assert_eq!(&nir_login[1..3], &p.birthdate[2..4]);
            let month = &p.birthdate[5..7];
            prop_assert_eq!(&nir_login[3..5], if month == "00" { "20" } else { month });
            let place = if p.birthcountry == "99100" { &p.birthplace } else { &p.birthcountry };
            prop_assert_eq!(&nir_login[5..10], place.as_str());
            // Codes exist in the COG.
            prop_assert!(fcmock::cog::country(&p.birthcountry).is_some());
            if p.birthcountry == "99100" {
                prop_assert!(fcmock::cog::commune(&p.birthplace).is_some());
            }
            prop_assert_eq!(p.numero_fiscal.len(), 13);
        }
        let yaml = to_yaml(&people, &opts);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let app = TestApp::spawn_with(&[&yaml]).await;
            let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
            let first = &people[0];
            let (idp, login, password) = &first.accounts[0];
            let browser = app.browser();
            let (url, _, _) = rp.authorize_url(&["identite_pivot", "idp_birthdate"], &[]);
            let back = interactive_login(&app, &browser, &url, idp, login, password).await;
            let r = rp.redeem(&query(back.location.as_deref().unwrap())["code"]).await.unwrap();
            let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
            let held = app.state.config().persona(&first.id).unwrap().identity.clone();
            check_claims(&info, &expected(&held), &first.id);
            Ok::<(), TestCaseError>(())
        })?;
    }
}

#[tokio::test]
async fn personas_can_be_added_while_running() {
    let app = TestApp::spawn().await;
    let yaml = r#"personas:
  - id: ajoutee-a-chaud
    identity: { given_name: "Ondine", family_name: "Hot-Plug", gender: female, birthdate: "1999-09-09", birthplace: "75107", birthcountry: "99100", email: "ondine@example.fr" }
    accounts: [ { idp: laposte, login: "ondine@example.fr", password: "secret" } ]
    rnipp: deceased
    tags: [ajoutee]
"#;
    let resp = plain_http()
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/yaml")
        .body(yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    // It is listed, selectable by tag, and the RNIPP step knows its outcome.
    let listed: Value = plain_http()
        .get(app.url("/_fcmock/api/personas?tag=ajoutee"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], "ajoutee-a-chaud");
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let page = interactive_login(&app, &app.browser(), &url, "laposte", "ondine@example.fr", "secret").await;
    assert_eq!(page.error_code().as_deref(), Some("Y010015"));

    // A persona with a fault of its own, in JSON.
    let body = json!({"personas": [{
        "id": "avec-panne",
        "identity": {"given_name": "Paul", "family_name": "Panne", "gender": "male", "birthdate": "1970-01-01", "birthplace": "75107", "birthcountry": "99100", "email": "p@example.fr"},
        "accounts": [{"idp": "msa", "login": "avec-panne"}],
        "faults": [{"at": "idp.msa.userinfo", "status": 500}]
    }]});
    let resp = plain_http()
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/yaml")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let page = interactive_login(&app, &app.browser(), &url, "msa", "avec-panne", "123").await;
    assert_eq!(page.error_code().as_deref(), Some("Y020027"));

    // Errors carry lines; a duplicate login is refused; nothing changes.
    let bad = "personas:\n  - id: x\n    identity: { given_name: A, family_name: B, gender: male, birthdate: \"2000-01-01\", birthplace: \"75107\", birthcountry: \"99999\" }\n";
    let resp = plain_http()
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/yaml")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["errors"][0]["line"], 3);
    let dup = "personas:\n  - id: doublon\n    identity: { given_name: A, family_name: B, gender: male, birthdate: \"2000-01-01\", birthplace: \"75107\", birthcountry: \"99100\" }\n    accounts: [ { idp: laposte, login: \"ondine@example.fr\" } ]\n";
    let resp = plain_http()
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/yaml")
        .body(dup)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    // Located at the entry that repeats the login.
    assert_eq!(
        (&err["errors"][0]["line"], &err["errors"][0]["field"]),
        (&json!(2), &json!("personas[0].accounts")),
        "{err}"
    );
    assert!(
        err["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already used by persona `ajoutee-a-chaud`"),
        "{err}"
    );
    assert!(app.state.config().persona("doublon").is_none());
    let clients = "clients:\n  - client_id: x\n    client_secret: y\n    name: z\n";
    assert_eq!(
        plain_http()
            .post(app.url("/_fcmock/api/personas"))
            .header("content-type", "application/yaml")
            .body(clients)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_additions_of_personas_all_stay() {
    // Each addition reads the configuration in force and replaces it: without
    // serialising them, parallel calls answered 201 but lost personas.
    let app = TestApp::spawn().await;
    let adds = (0..50).map(|i| {
        let url = app.url("/_fcmock/api/personas");
        async move {
            let yaml = format!(
                "personas:\n  - id: parallele-{i}\n    identity: {{ given_name: \"Par\", family_name: \"Allele\", gender: female, birthdate: \"1990-01-01\", birthplace: \"75107\", birthcountry: \"99100\", email: \"p{i}@example.fr\" }}\n    accounts: [ {{ idp: laposte, login: \"p{i}@example.fr\", password: \"x\" }} ]\n    tags: [parallele]\n"
            );
            plain_http().post(url).header("content-type", "application/yaml").body(yaml).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(adds).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let listed = fetch_json(&app.url("/_fcmock/api/personas?tag=parallele")).await;
    let n = listed.as_array().map_or(0, Vec::len);
    assert_eq!(n, 50, "every added persona is kept ({n} of 50)");
}

#[test]
fn generated_files_with_other_seeds_load_together_and_a_repeated_id_is_an_error() {
    let file = |seed: u64| {
        let opts = Options {
            count: 30,
            seed,
            ..Options::default()
        };
        fcmock::config::Source {
            name: format!("gen-{seed}.yaml"),
            text: to_yaml(&generate(&opts), &opts),
        }
    };
    // Ids carry the seed: 30 + 30 personas, none replaced.
    let both = fcmock::config::load(&[file(1), file(2)], true).unwrap_or_else(|e| panic!("{e}"));
    let generated = both.personas.iter().filter(|p| p.id.starts_with("gen-")).count();
    assert_eq!(generated, 60);
    // The same id in two of the user's files: an error naming both places.
    let persona = "personas:\n  - id: doublon\n    identity: { given_name: \"A\", family_name: \"B\", gender: female, birthdate: \"1990-01-01\", birthplace: \"75107\", birthcountry: \"99100\", email: \"a@example.fr\" }\n";
    let sources = [
        fcmock::config::Source {
            name: "a.yaml".into(),
            text: persona.into(),
        },
        fcmock::config::Source {
            name: "b.yaml".into(),
            text: persona.into(),
        },
    ];
    let err = fcmock::config::load(&sources, true).unwrap_err().to_string();
    assert!(
        err.contains("b.yaml:") && err.contains("already defined at a.yaml:2"),
        "{err}"
    );
}
