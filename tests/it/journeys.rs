//! `fcmock scenario run`: the example journeys of `scenarios/journeys/`
//! against the two portals of `portals.rs`.

use std::collections::BTreeSet;
use std::sync::Arc;

use fcmock::portal::journey::{self, RunOptions};
use fcmock::portal::report::{Report, Verdict};

use crate::check::setup;
use crate::portals::{self, CLIENT_ID, Care};

async fn run(care: Care) -> Report {
    let (fc, target) = setup(care).await;
    let files = portals::example_journeys(&target.portal);
    assert!(files.len() >= 9, "{} example files", files.len());
    let opts = RunOptions {
        portal: target.portal.clone(),
        client: Some(CLIENT_ID.to_owned()),
        jobs: 4,
    };
    journey::run(Arc::new(fc), files, &opts, &mut |_, _| {}).await.unwrap()
}

fn failed(report: &Report) -> BTreeSet<String> {
    report
        .outcomes
        .iter()
        .filter(|o| o.verdict != Verdict::Pass)
        .map(|o| o.group.clone())
        .collect()
}

#[tokio::test]
async fn the_example_journeys_pass_on_a_careful_portal() {
    let report = run(Care::Careful).await;
    assert_eq!(failed(&report), BTreeSet::new(), "{}", report.text(false));
}

#[tokio::test]
async fn the_example_journeys_show_where_a_careless_portal_is_wrong() {
    let report = run(Care::Careless).await;
    let expected: BTreeSet<String> = [
        // it logs out without state
        "scenarios/journeys/deconnexion.yaml",
        // it does not check the nonce
        "scenarios/journeys/nonce-invalide.yaml",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(failed(&report), expected, "{}", report.text(false));
    let text = report.text(false);
    assert!(
        text.contains("scenarios/journeys/deconnexion.yaml:") && text.contains("journal: session/end without state"),
        "{text}"
    );
    assert!(text.contains("«Bonjour Camille» shown on"), "{text}");
}

#[test]
fn journey_errors_name_file_line_and_field() {
    let cfg = fcmock::config::Config::default_bundle().unwrap();
    let text = "name: x\njourneys:\n  - name: j\n    steps:\n      - login: { persona: personne-inconnue }\n      - cancel: ailleurs\n      - expect: { texte: [a] }\n";
    let e = fcmock::scenarios::parse::parse("j.yaml", text, &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("j.yaml:7") && e.contains("texte"), "{e}");
    let text = "name: x\njourneys:\n  - name: j\n    steps:\n      - login: { persona: personne-inconnue }\n      - cancel: ailleurs\n    journal: { logout_with: [etat] }\n";
    let e = fcmock::scenarios::parse::parse("j.yaml", text, &cfg)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("j.yaml:5: journeys[0].steps[0].login.persona: unknown persona `personne-inconnue`"),
        "{e}"
    );
    assert!(
        e.contains("j.yaml:6: journeys[0].steps[1].cancel: `ailleurs` is not one of wall, idp"),
        "{e}"
    );
    assert!(
        e.contains("journeys[0].journal.logout_with: `etat` is not one of"),
        "{e}"
    );
}
