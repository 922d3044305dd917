//! Robustness: arbitrary input on every surface, against the real server over a
//! real socket. Whatever arrives, the answer is an FC-style error (a redirect,
//! an error page with its Y code, or a JSON error), never a 5xx, never a
//! dropped connection (what a panicking handler gives), and the server still
//! logs people in afterwards.
//!
//! Cases per property: `FCMOCK_FUZZ_CASES` (default 40); the closing note of
//! issue 6 reports a long run.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use crate::helpers::*;

fn cases() -> u32 {
    std::env::var("FCMOCK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// One server and one runtime for all cases of this module.
struct Shared {
    rt: tokio::runtime::Runtime,
    app: TestApp,
    http: reqwest::Client,
}

fn shared() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = rt.block_on(TestApp::spawn());
        Shared {
            rt,
            app,
            http: plain_http(),
        }
    })
}

// ---- what arbitrary input looks like --------------------------------------

const FC_PARAMS: [&str; 28] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "prompt",
    "idp_hint",
    "claims",
    "code",
    "grant_type",
    "client_secret",
    "token",
    "id_token_hint",
    "post_logout_redirect_uri",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
    "request",
    "interaction",
    "csrfToken",
    "providerUid",
    "consent",
    "login",
    "password",
    "acr",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(PUBLIC_CLIENT.to_owned()),
        Just(REDIRECT.to_owned()),
        Just("openid identite_pivot email".to_owned()),
        Just("code".to_owned()),
        Just(NONCE.to_owned()),
        Just(STATE.to_owned()),
        Just("eidas1".to_owned()),
        Just("authorization_code".to_owned()),
        "[a-zA-Z0-9_.:/-]{0,80}",
        "\\PC{0,40}",
        "[ -~]{0,120}",
        (1usize..12_000).prop_map(|n| "é".repeat(n)),
        jwt_like(),
    ]
}

/// Strings that look more or less like a JWT: what `id_token_hint` and
/// bearer tokens receive.
fn jwt_like() -> impl Strategy<Value = String> {
    use base64::Engine as _;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = prop_oneof![
        Just(json!({"alg": "ES256", "kid": "x"})),
        Just(json!({"alg": "none"})),
        Just(json!({"alg": "RS256", "typ": "JWT"})),
        Just(json!("not an object")),
        Just(json!({"alg": 7})),
    ];
    let payload = prop_oneof![
        Just(json!({"sub": "x", "aud": PUBLIC_CLIENT, "exp": 1})),
        Just(json!({"aud": ["a", 3], "iss": null})),
        Just(json!([1, 2, 3])),
        Just(json!({})),
    ];
    (header, payload, "[A-Za-z0-9_-]{0,90}", 0usize..4).prop_map(move |(h, p, sig, dots)| {
        let mut s = format!("{}.{}.{sig}", b64(&h), b64(&p));
        for _ in 0..dots {
            s.push('.');
        }
        s
    })
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        4 => prop::sample::select(&FC_PARAMS[..]).prop_map(str::to_owned),
        1 => "[a-z_]{1,12}",
    ];
    prop::collection::vec((name, value()), 0..10)
}

/// A query string or form body: well formed, or raw characters (bad
/// percent-escapes, stray `&` and `=`, non-UTF-8 escapes).
fn encoded() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => params().prop_map(|p| serde_urlencoded::to_string(p).unwrap()),
        1 => "[ -~]{0,200}",
        1 => prop::collection::vec("(%[0-9A-Fa-fzZ]{0,2}|[a-z_]{1,8}=|&)", 0..30).prop_map(|v| v.concat()),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::from),
        prop::sample::select(
            &[
                "camille-rochefort",
                "ameli",
                PUBLIC_CLIENT,
                "+1h",
                "2026-11-22T10:00:00Z"
            ][..]
        )
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(
                        &[
                            "client_id",
                            "persona",
                            "idp",
                            "tags",
                            "faults",
                            "advance_seconds",
                            "frozen",
                            "step",
                            "id",
                            "name",
                            "when",
                            "where",
                            "what"
                        ][..]
                    )
                    .prop_map(str::to_owned),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---- what an FC-style answer is -------------------------------------------

/// Sends the request and checks the answer's shape.
async fn check(req: reqwest::RequestBuilder, what: &str) -> Result<(), TestCaseError> {
    let resp = match req.send().await {
        Ok(r) => r,
        // The client itself refuses (a URI over 64 KiB, a header it cannot
        // encode): nothing reached the server.
        Err(e) if e.is_builder() => return Err(TestCaseError::reject("the client cannot send this")),
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "{what}: no answer (a panic drops the connection): {e}"
            )));
        }
    };
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let location = resp.headers().get("location").cloned();
    let www = resp.headers().get("www-authenticate").cloned();
    let body = resp
        .text()
        .await
        .map_err(|e| TestCaseError::fail(format!("{what}: body cut short: {e}")))?;
    prop_assert!(status < 500, "{what}: HTTP {status}: {body:.400}");
    if (300..400).contains(&status) {
        prop_assert!(location.is_some(), "{what}: redirect without Location");
        return Ok(());
    }
    if status < 400 {
        return Ok(());
    }
    if ctype.starts_with("application/json") {
        let v: Value = serde_json::from_str(&body).map_err(|_| TestCaseError::fail(format!("{what}: bad JSON")))?;
        prop_assert!(
            v.get("error").is_some() || v.get("errors").is_some() || v.get("message").is_some(),
            "{what}: JSON error without `error`: {body:.300}"
        );
    } else if ctype.starts_with("text/html") {
        let page = Page {
            url: String::new(),
            status,
            location: None,
            content_type: ctype.clone(),
            body,
        };
        let code = page.error_code();
        // The identity providers are not FranceConnect: their pages explain
        // the error in words, without a Y code.
        let idp_explains = what == "identity provider" && page.testid("message-body").is_some_and(|b| !b.is_empty());
        prop_assert!(
            idp_explains || code.as_deref().is_some_and(|c| c.starts_with('Y') && c.len() == 7),
            "{what}: HTML error page without an FC error code (HTTP {status}): {:.400}",
            page.body
        );
    } else {
        prop_assert!(
            status == 401 && www.is_some() || status == 413,
            "{what}: HTTP {status} with neither JSON nor an error page ({ctype}): {body:.300}"
        );
    }
    Ok(())
}

fn run(f: impl std::future::Future<Output = Result<(), TestCaseError>>) -> Result<(), TestCaseError> {
    shared().rt.block_on(f)
}

fn fc(path: &str) -> String {
    shared().app.url(&format!("/api/v2{path}"))
}

fn fcplus(path: &str) -> String {
    shared().app.url(&format!("/fcplus/api/v2{path}"))
}

fn form(req: reqwest::RequestBuilder, body: String) -> reqwest::RequestBuilder {
    req.header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

/// A back-channel POST: form body, and any `Authorization` header.
fn back_channel(url: &str, body: String, auth: Option<String>) -> reqwest::RequestBuilder {
    let req = form(shared().http.post(url), body);
    match auth {
        Some(a) => req.header("authorization", a),
        None => req,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn authorize_parameters(q in encoded(), post in any::<bool>(), plus in any::<bool>()) {
        let url = if plus { fcplus("/authorize") } else { fc("/authorize") };
        let h = &shared().http;
        let req = if post { form(h.post(&url), q) } else { h.get(format!("{url}?{q}")) };
        run(check(req, "authorize"))?;
    }

    #[test]
    fn token_parameters(q in encoded(), auth in prop::option::of("[ -~]{0,80}"), plus in any::<bool>()) {
        let url = if plus { fcplus("/token") } else { fc("/token") };
        run(check(back_channel(&url, q, auth), "token"))?;
    }

    #[test]
    fn userinfo_credentials(auth in prop_oneof![jwt_like().prop_map(|t| format!("Bearer {t}")), "[ -~]{0,120}"], q in encoded(), post in any::<bool>()) {
        let h = &shared().http;
        let req = if post { form(h.post(fc("/userinfo")), q) } else { h.get(format!("{}?{q}", fc("/userinfo"))) };
        run(check(req.header("authorization", auth), "userinfo"))?;
    }

    #[test]
    fn logout_parameters(q in encoded(), hint in jwt_like(), with_hint in any::<bool>()) {
        let q = if with_hint {
            format!("{q}&{}", serde_urlencoded::to_string([("id_token_hint", hint)]).unwrap())
        } else {
            q
        };
        run(check(shared().http.get(format!("{}?{q}", fc("/session/end"))), "session/end"))?;
    }

    #[test]
    fn checktoken_and_revocation(q in encoded(), auth in prop::option::of("[ -~]{0,80}"), revocation in any::<bool>()) {
        let url = if revocation { fc("/token/revocation") } else { fc("/checktoken") };
        run(check(back_channel(&url, q, auth), "checktoken"))?;
    }

    #[test]
    fn interaction_and_callback_parameters(q in encoded(), uid in "[a-zA-Z0-9-]{0,40}", which in 0usize..9) {
        let h = &shared().http;
        let req = match which {
            0 => h.get(format!("{}?{q}", fc(&format!("/interaction/{uid}")))),
            1 => h.get(format!("{}?{q}", fc(&format!("/interaction/{uid}/verify")))),
            2 => h.get(format!("{}?{q}", fc(&format!("/interaction/{uid}/consent")))),
            3 => h.get(format!("{}?{q}", fc("/oidc-callback"))),
            4 => form(h.post(fc("/redirect-to-idp")), q),
            5 => h.get(format!("{}?{q}", fc("/redirect-to-sp-with-error"))),
            6 => form(h.post(fc("/client/disconnect-from-idp")), q),
            7 => form(h.post(fc("/session/end/confirm")), q),
            _ => form(h.post(fc("/login")), q),
        };
        run(check(req, "interaction"))?;
    }

    #[test]
    fn identity_provider_parameters(q in encoded(), which in 0usize..4, idp in prop::sample::select(&["ameli", "impots", "laposte", "nope"][..])) {
        let h = &shared().http;
        let base = shared().app.url(&format!("/idp/{idp}"));
        let req = match which {
            0 => h.get(format!("{base}/authorize?{q}")),
            1 => form(h.post(format!("{base}/login")), q),
            2 => form(h.post(format!("{base}/token")), q),
            _ => h.get(format!("{base}/userinfo?{q}")).header("authorization", "Bearer x"),
        };
        run(check(req, "identity provider"))?;
    }

    #[test]
    fn control_api_bodies(body in arbitrary_json(), raw in "[ -~]{0,60}", use_raw in any::<bool>(), which in 0usize..5) {
        let h = &shared().http;
        let path = ["next-login", "personas", "clock", "scenarios", "keys/rotate"][which];
        let url = shared().app.url(&format!("/_fcmock/api/{path}"));
        let req = if use_raw {
            h.post(&url).header("content-type", "application/json").body(raw)
        } else {
            h.post(&url).json(&body)
        };
        run(check(req, "control API"))?;
    }

    #[test]
    fn configuration_persona_and_scenario_files(seed in 0usize..6, edits in prop::collection::vec((0.0f64..1.0, 0usize..4, "[ -~\\n\\t:{}\\[\\]\"'-]{0,12}"), 1..5)) {
        let samples = [
            include_str!("../../scenarios/default/clients.yaml"),
            include_str!("../../scenarios/default/identity_providers.yaml"),
            include_str!("../../scenarios/examples/token-503-deux-fois.yaml"),
            include_str!("../../scenarios/examples/reseau-lent.yaml"),
            PERSONAS_SAMPLE,
            PERSONAS_SAMPLE,
        ];
        let mut text = samples[seed].to_owned();
        for (at, kind, piece) in edits {
            let mut i = ((text.len() as f64) * at) as usize;
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match kind {
                0 => text.insert_str(i, &piece),
                1 => {
                    let mut j = (i + piece.len()).min(text.len());
                    while !text.is_char_boundary(j) {
                        j -= 1;
                    }
                    text.replace_range(i..j, "");
                }
                2 => text.replace_range(i..i, "\n"),
                _ => {
                    let line_start = text[..i].rfind('\n').map_or(0, |p| p + 1);
                    text.insert(line_start, ' ');
                }
            }
        }
        let name = "fuzz.yaml";
        let check_errors = |errors: &fcmock::config::ConfigErrors| -> Result<(), TestCaseError> {
            prop_assert!(!errors.0.is_empty());
            for e in &errors.0 {
                prop_assert!(!e.message.is_empty());
                if e.file == name {
                    prop_assert!(e.line >= 1, "error without a line: {e}\n---\n{text}");
                }
            }
            Ok(())
        };
        let source = fcmock::config::Source { name: name.to_owned(), text: text.clone() };
        if seed < 2 {
            if let Err(errors) = fcmock::config::load(&[source], true) {
                check_errors(&errors)?;
            }
        } else if seed >= 4 {
            // A persona file, as `--config` and the control API add them.
            let config = fcmock::config::Config::default_bundle().unwrap();
            if let Err(errors) = config.with_added_personas(&source) {
                check_errors(&errors)?;
            }
        } else {
            let config = fcmock::config::Config::default_bundle().unwrap();
            if let Err(errors) = fcmock::scenarios::parse::parse(name, &text, &config) {
                check_errors(&errors)?;
            }
        }
    }
}

/// Two personas as a persona file writes them: the seed of the file mutations.
const PERSONAS_SAMPLE: &str = r#"personas:
  - id: fuzz-louise
    tags: [adulte, ne-en-france]
    identity:
      given_name: "Louise Marie"
      family_name: "Ollivier-Le Goff"
      gender: female
      birthdate: "1984-03-12"
      birthplace: "2A004"
      birthcountry: "99100"
      email: "louise.ollivier@example.fr"
    accounts:
      - { idp: ameli, login: "louise-ameli", password: "123" }
      - idp: impots
        login: "1234567890123"
        password: "123"
        identity: { family_name: "Ollivier" }
  - id: fuzz-karim
    identity:
      given_name: "Karim"
      family_name: "Benali"
      gender: male
      birthdate: "1979-00-00"
      birthplace: ""
      birthcountry: "99352"
    accounts: [ { idp: laposte, login: karim, password: "123" } ]
"#;

/// After all that, the server still logs people in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_survives_garbage_then_logs_in() {
    let app = TestApp::spawn().await;
    let h = plain_http();
    for (path, body) in [
        ("/api/v2/token", "code=%ZZ&&==&grant_type"),
        ("/api/v2/checktoken", "token=a.b.c.d"),
        ("/api/v2/authorize", "\u{0}\u{1}"),
    ] {
        let r = h
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
    }
    let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
    let r = full_login(&app, &rp, "camille-rochefort", "ameli", &["identite_pivot"]).await;
    assert!(!Rp::access_token(&r).is_empty());
}

/// Bodies over the limit get 413 before any parsing, on the platform and on the control API.
#[tokio::test]
async fn request_bodies_are_limited() {
    let app = TestApp::spawn().await;
    let h = plain_http();
    let big = "a".repeat(200 * 1024);
    for path in ["/api/v2/token", "/api/v2/checktoken", "/idp/ameli/token"] {
        let r = h
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={big}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 413, "{path}");
        assert!(r.text().await.unwrap().contains("64"), "{path}: the limit is named");
    }
    let r = h
        .post(app.url("/_fcmock/api/personas"))
        .header("content-type", "application/json")
        .body(format!("{{\"x\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
}

/// The seeds of the file mutations are valid before they are mutated.
#[test]
fn mutation_seeds_are_valid() {
    let config = fcmock::config::Config::default_bundle().unwrap();
    let source = fcmock::config::Source {
        name: "seed.yaml".to_owned(),
        text: PERSONAS_SAMPLE.to_owned(),
    };
    let (_, added) = config.with_added_personas(&source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(added.len(), 2);
}
