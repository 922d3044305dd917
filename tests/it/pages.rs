//! What the pages offer people and their tools: the identity provider's
//! login page names each persona button for form fillers, says what each
//! persona is for, ties hints to inputs, and every page has a skip link.

use scraper::{Html, Selector};

use crate::helpers::*;

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

#[tokio::test]
async fn the_login_page_names_its_persona_buttons_and_ties_hints_to_inputs() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let browser = app.browser();
    let wall = browser.open(&url, &app.base).await;
    let page = browser.submit(&wall, "idp-ameli", &[], &app.base).await;
    let html = Html::parse_document(&page.body);

    let buttons: Vec<_> = html.select(&sel("[data-testid^=\"persona-\"]")).collect();
    assert!(buttons.len() > 20, "{} buttons", buttons.len());
    for b in &buttons {
        let id = b.value().attr("data-testid").unwrap().trim_start_matches("persona-");
        assert_eq!(b.value().attr("name"), Some("persona"), "{id}");
        assert_eq!(b.value().attr("value"), Some(id));
    }
    // A magic persona's button says what it is for.
    let magic = html
        .select(&sel("[data-testid=\"persona-magique-e020026\"] small"))
        .next()
        .map(|s| s.text().collect::<String>())
        .unwrap_or_default();
    assert!(magic.contains("magique"), "{magic:?}");

    let login = html.select(&sel("input#login")).next().unwrap();
    let hint = login
        .value()
        .attr("aria-describedby")
        .expect("the login input's hint is tied to it");
    assert!(html.select(&sel(&format!("#{hint}"))).next().is_some());

    for doc in [&html, &Html::parse_document(&wall.body)] {
        let skip = doc.select(&sel("a.skip")).next().expect("a skip link");
        let target = skip.value().attr("href").unwrap().trim_start_matches('#');
        assert!(doc.select(&sel(&format!("#{target}"))).next().is_some());
    }
}

#[tokio::test]
async fn pages_write_sex_dates_and_places_in_french() {
    let app = TestApp::spawn().await;
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["identite_pivot"], &[]);
    let browser = app.browser();
    let (login, password) = account(&app, "camille-rochefort", "ameli");
    let consent = to_consent(
        &app,
        &browser,
        &url,
        "ameli",
        &[("login", &login), ("password", &password)],
    )
    .await;
    let text = Html::parse_document(&consent.body)
        .root_element()
        .text()
        .collect::<String>();
    for said in ["féminin", "12 mars 1984", "Lyon (69123)"] {
        assert!(text.contains(said), "consent page lacks `{said}`: {text}");
    }
    assert!(!text.contains("female"), "{text}");
    // The persona page keeps the claim value beside the French one.
    let page = browser.get(&app.url("/_fcmock/personas/camille-rochefort")).await;
    assert!(page.body.contains("féminin — female"), "{}", page.body);
    assert!(page.body.contains("12 mars 1984 — 1984-03-12"), "{}", page.body);
}

#[tokio::test]
async fn the_home_page_lists_deviations_in_french() {
    let app = TestApp::spawn_with(&["platform:\n  code_ttl: 90\n"]).await;
    let home = app.browser().get(&app.url("/_fcmock/")).await;
    let list = home.testid("home-deviations").unwrap_or_default();
    assert!(
        list.contains("durée `platform.code_ttl` : 90 s (FranceConnect : 30 s)"),
        "{list}"
    );
    assert!(list.contains("le secret des `sub` est public"), "{list}");
    assert!(!list.contains("sub_secret is public"), "{list}");
    // The persona pages name the commune's services in French.
    let page = app.browser().get(&app.url("/_fcmock/personas/camille-rochefort")).await;
    assert!(
        !page.body.contains("CompteUsager") && !page.body.contains("RegieEaux"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn franceconnect_plus_is_visible_on_the_home_page_and_its_own_pages() {
    let app = TestApp::spawn().await;
    let home = app.browser().get(&app.url("/_fcmock/")).await;
    let row = home.testid("home-platform-fcplus").unwrap_or_default();
    assert!(row.contains(&format!("{}/fcplus/api/v2", app.base)), "{row}");
    // The FranceConnect+ wall says FranceConnect+ in its header; v2's does not.
    let header = |body: &str| {
        Html::parse_document(body)
            .select(&sel("header .brand"))
            .next()
            .map(|b| b.text().collect::<String>())
            .unwrap_or_default()
    };
    let mut plus = url::Url::parse(&format!("{}/fcplus/api/v2/authorize", app.base)).unwrap();
    plus.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair(
            "client_id",
            "b7e4c1a9d2f85e36a0c9b4d7e1f28a5c3d6b9e0f2a4c7e1b8d5f3a6c9e2b4d7f",
        )
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid given_name")
        .append_pair("state", STATE)
        .append_pair("nonce", NONCE)
        .append_pair("acr_values", "eidas2");
    let wall = app.browser().open(plus.as_str(), &app.base).await;
    assert_eq!(wall.status, 200, "{}", wall.body);
    assert_eq!(header(&wall.body), "FranceConnect+");
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let (url, _, _) = rp.authorize_url(&["profile"], &[]);
    let v2 = app.browser().open(&url, &app.base).await;
    assert_eq!(header(&v2.body), "FranceConnect");
    // Error pages too.
    let error = app
        .browser()
        .get(&app.url("/fcplus/api/v2/authorize?client_id=inconnu"))
        .await;
    assert!(error.error_code().is_some(), "{}", error.body);
    assert_eq!(header(&error.body), "FranceConnect+");
    let error = app.browser().get(&app.url("/api/v2/authorize?client_id=inconnu")).await;
    assert_eq!(header(&error.body), "FranceConnect");
    // The start-up banner names it too.
    let banner = fcmock::cli::banner(&app.state);
    assert!(
        banner.contains(&format!("FranceConnect+ issuer   : {}/fcplus/api/v2", app.base)),
        "{banner}"
    );
}

#[tokio::test]
async fn the_home_page_links_the_persona_pages_the_journal_and_the_api_document() {
    let app = TestApp::spawn().await;
    let home = app.browser().get(&app.url("/_fcmock/")).await;
    let links = home.testid("home-links").unwrap();
    for label in ["Personas", "Journal", "OpenAPI"] {
        assert!(links.contains(label), "{links}");
    }
    let doc = Html::parse_document(&home.body);
    let hrefs: Vec<String> = doc
        .select(&Selector::parse("a[href]").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    // Every link of the page answers 200.
    for href in hrefs.iter().filter(|h| h.starts_with("/_fcmock")) {
        let status = plain_http().get(app.url(href)).send().await.unwrap().status();
        assert_eq!(status, 200, "{href}");
    }
    assert!(
        hrefs.iter().any(|h| h == "/_fcmock/personas/camille-rochefort"),
        "{hrefs:?}"
    );
}

#[tokio::test]
async fn persona_pages_give_a_ci_example_with_a_registered_client_and_fold_the_tag_filters() {
    let app = TestApp::spawn().await;
    let page = app.browser().get(&app.url("/_fcmock/personas/camille-rochefort")).await;
    assert!(
        page.body.contains(&format!("\"client_id\":\"{PUBLIC_CLIENT}\"")),
        "{}",
        page.body
    );
    // The example, as written on the page, queues a login.
    let body = format!("{{\"client_id\":\"{PUBLIC_CLIENT}\",\"persona\":\"camille-rochefort\",\"idp\":\"impots\"}}");
    let r = plain_http()
        .post(app.url("/_fcmock/api/next-login"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let list = app.browser().get(&app.url("/_fcmock/personas?tag=senior")).await;
    let doc = Html::parse_document(&list.body);
    let groups: Vec<_> = doc.select(&Selector::parse("details.tag-group").unwrap()).collect();
    assert!(groups.len() >= 4, "tag filters in folded groups: {}", list.body);
    let open: Vec<String> = groups
        .iter()
        .filter(|g| g.value().attr("open").is_some())
        .map(|g| g.text().collect::<String>())
        .collect();
    assert_eq!(open.len(), 1, "only the group of the selected tag is open");
    assert!(open[0].contains("senior"));
}

#[test]
fn personas_born_abroad_carry_a_ne_country_tag() {
    let cfg = fcmock::config::load(&[], true).unwrap();
    for p in &cfg.personas {
        if p.identity.birthcountry == "99100" {
            continue;
        }
        let country = p
            .tags
            .iter()
            .filter(|t| t.starts_with("ne-") && *t != "ne-a-l-etranger" && *t != "ne-en-france")
            .count();
        assert_eq!(country, 1, "{}: {:?}", p.id, p.tags);
    }
}
