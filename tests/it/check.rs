//! `fcmock check` against two portals (`portals.rs`): the careful one
//! passes every check that applies to it, the careless one fails exactly
//! the checks that match its flaws, each with evidence.

use std::collections::BTreeSet;

use fcmock::portal::check::{self, CATALOGUE_SIZE};
use fcmock::portal::report::{Report, Verdict};

use crate::portals::{self, CLIENT_ID, Care};

pub use portals::with_fcmock as setup;

async fn run(care: Care) -> Report {
    let (fc, target) = setup(care).await;
    let mut seen = 0;
    let report = check::run(&fc, &target, &mut |_, n| seen = n).await.unwrap();
    assert_eq!(seen, report.outcomes.len());
    report
}

fn ids(report: &Report, v: Verdict) -> BTreeSet<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.verdict == v)
        .map(|o| o.id.clone())
        .collect()
}

#[tokio::test]
async fn a_careful_portal_passes_every_check_that_applies() {
    let report = run(Care::Careful).await;
    const { assert!(CATALOGUE_SIZE >= 25) };
    assert_eq!(report.outcomes.len(), CATALOGUE_SIZE, "{}", report.text(false));
    assert_eq!(ids(&report, Verdict::Fail), BTreeSet::new(), "{}", report.text(true));
    // FranceConnect v2 always answers eidas1: there is nothing to downgrade.
    assert_eq!(
        ids(&report, Verdict::Inconclusive),
        BTreeSet::from(["id_token.acr_downgrade".to_owned()]),
        "{}",
        report.text(false)
    );
    assert_eq!(report.outcomes[0].id, "happy_path");
}

#[tokio::test]
async fn a_careless_portal_fails_exactly_the_checks_of_its_flaws() {
    let report = run(Care::Careless).await;
    let expected: BTreeSet<String> = [
        // no signature check (nor alg, nor kid) on the id_token or userinfo
        "id_token.signature_bad",
        "id_token.alg_none",
        "id_token.kid_unknown",
        "userinfo.unsigned",
        "userinfo.signature_bad",
        // no nonce check
        "id_token.nonce_wrong",
        "id_token.nonce_missing",
        // no audience check
        "id_token.aud_other",
        "id_token.aud_extra",
        // userinfo called before the id_token is judged
        "userinfo.not_after_refused_id_token",
        // logout without state
        "logout.state",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(ids(&report, Verdict::Fail), expected, "{}", report.text(true));
    for o in report.outcomes.iter().filter(|o| o.verdict == Verdict::Fail) {
        assert!(!o.evidence.is_empty(), "{} has no evidence", o.id);
        assert!(!o.rule_fr.is_empty() && !o.rule_en.is_empty(), "{} has no rule", o.id);
        assert!(!o.exchanges.is_empty(), "{} has no journal", o.id);
    }
    let text = report.text(true);
    assert!(text.contains("evidence: the logged-in marker"), "{text}");
    assert!(text.contains("règle : "), "{text}");
    let html = report.html();
    assert!(html.contains("id=\"id_token.signature_bad\""), "no failure section");
    assert!(
        html.contains("signature does NOT verify"),
        "the decoded id_token is not shown"
    );
}

/// Validates a JUnit XML file against `tests/interop/junit.xsd` with
/// Python's xmlschema; returns the error, if any.
fn junit_problem(xml: &std::path::Path) -> Option<String> {
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/junit.xsd");
    let out = std::process::Command::new("python3")
        .env("PYTHONPATH", crate::interop::python_path())
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
        ])
        .arg(xsd)
        .arg(xml)
        .output()
        .unwrap();
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A careless portal whose FranceConnect is the `fcmock` binary about to be
/// started on a free port; returns the portal, that port and the config file.
async fn careless_portal_for_the_binary(dir: &std::path::Path) -> (String, u16, std::path::PathBuf) {
    let bound = portals::bind().await;
    let port = free_port();
    let config = dir.join("portal.yaml");
    std::fs::write(&config, portals::client_yaml(&bound.base)).unwrap();
    let base = portals::serve(bound, Care::Careless, &format!("http://localhost:{port}"));
    (base, port, config)
}

/// The `fcmock` binary, in CI mode (plain progress lines).
fn fcmock_binary() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_fcmock"));
    cmd.env("CI", "true");
    cmd
}

/// Runs `cmd`; returns its exit code, stdout and stderr.
async fn outcome(cmd: &mut tokio::process::Command) -> (Option<i32>, String, String) {
    let out = cmd.output().await.unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn the_command_line_reports_a_careless_portal_and_exits_non_zero() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (portal, port, config) = careless_portal_for_the_binary(&dir).await;
    let (junit, html) = (dir.join("check.xml"), dir.join("check.html"));
    let (code, stdout, stderr) = outcome(
        fcmock_binary()
            .args([
                "check",
                "--portal",
                &portal,
                "--start",
                "/",
                "--client",
                CLIENT_ID,
                "--explain",
            ])
            .arg("--config")
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--junit")
            .arg(&junit)
            .arg("--html")
            .arg(&html),
    )
    .await;
    assert_eq!(
        code,
        Some(1),
        "{stdout}
{stderr}"
    );
    assert!(
        stderr.contains("[1] PASS          happy_path"),
        "plain progress lines in CI: {stderr}"
    );
    assert!(
        stdout.contains("40 checks: 28 pass, 11 fail, 1 inconclusive"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✗ logout.state") && stdout.contains("règle : session/end reçoit un state"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"11\""), "{xml}");
    assert_eq!(junit_problem(&junit), None, "the JUnit report does not validate");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"userinfo.not_after_refused_id_token\""));

    // The example journeys, through the binary as well.
    let (portal, port, config) = careless_portal_for_the_binary(&dir).await;
    let junit = dir.join("journeys.xml");
    let journeys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/journeys");
    let mut files: Vec<_> = std::fs::read_dir(journeys)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (code, stdout, stderr) = outcome(
        fcmock_binary()
            .args(["scenario", "run", "--portal", &portal, "--client", CLIENT_ID])
            .args(&files)
            .arg("--config")
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--junit")
            .arg(&junit),
    )
    .await;
    assert_eq!(
        code,
        Some(1),
        "{stdout}
{stderr}"
    );
    assert!(stdout.contains("9 journeys: 7 pass, 2 fail"), "{stdout}");
    assert_eq!(junit_problem(&junit), None, "the JUnit report does not validate");
    // A schema that can fail: a report without its required attribute does not validate.
    let broken = dir.join("broken.xml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&junit).unwrap().replacen(" tests=\"9\"", "", 2),
    )
    .unwrap();
    assert!(
        junit_problem(&broken).is_some(),
        "the schema accepts a testsuite without `tests`"
    );
}

#[tokio::test]
async fn a_careful_franceconnect_plus_portal_passes_and_the_acr_downgrade_applies() {
    let report = run(Care::CarefulPlus).await;
    assert_eq!(ids(&report, Verdict::Fail), BTreeSet::new(), "{}", report.text(true));
    // FranceConnect+ asks eidas2 here: an eidas1 id_token must be refused,
    // and is. Only amr, which this portal does not ask for, stays open.
    assert_eq!(
        ids(&report, Verdict::Inconclusive),
        BTreeSet::from(["id_token.amr_missing".to_owned()]),
        "{}",
        report.text(false)
    );
    let acr = report
        .outcomes
        .iter()
        .find(|o| o.id == "id_token.acr_downgrade")
        .unwrap();
    assert_eq!(acr.verdict, Verdict::Pass, "{}", acr.detail);
}
