//! `fcmock check` against two portals (`portals.rs`): the careful one
//! passes every check that applies to it, the careless one fails exactly
//! the checks that match its flaws, each with evidence.

use std::collections::BTreeSet;

use fcmock::portal::check::{self, CATALOGUE_SIZE, Target};
use fcmock::portal::fcmock::Fcmock;
use fcmock::portal::report::{Report, Verdict};

use crate::portals::{self, CLIENT_ID, Care};

/// An in-process fcmock with the portal's client, and the portal.
pub async fn setup(care: Care) -> (Fcmock, Target) {
    let bound = portals::bind().await;
    let source = fcmock::config::Source {
        name: "portal.yaml".to_owned(),
        text: portals::client_yaml(&bound.base),
    };
    let cfg = fcmock::config::load(&[source], true).unwrap();
    let fc = Fcmock::start(cfg, "127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let base = portals::serve(bound, care, &fc.base);
    let target = Target {
        portal: base,
        start: "/".to_owned(),
        client_id: CLIENT_ID.to_owned(),
        marker: None,
        persona: None,
    };
    (fc, target)
}

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
