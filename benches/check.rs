//! Benchmark: `fcmock check`'s whole catalogue, and the example journeys,
//! against local portals (`cargo bench --bench check`).
//!
//! The portals are the test fixtures of `tests/it/portals.rs` (a careful one
//! on the `openidconnect` crate, a careless one by hand), each with an
//! in-process fcmock. Eleven runs each after one warm-up; prints the median
//! and the spread. Timings belong here, never in tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    dead_code
)]

#[path = "../tests/it/portals.rs"]
mod portals;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fcmock::portal::check;
use fcmock::portal::journey::{self, RunOptions};
use portals::{CLIENT_ID, Care};

const RUNS: usize = 11;

fn show(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.0} ms (min {:.0}, max {:.0}) over {} runs",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    for care in [Care::Careful, Care::Careless] {
        let mut times = Vec::new();
        let mut checks = 0;
        for run in 0..=RUNS {
            // A fresh portal and fcmock each run: key rotation is the last check.
            let (fc, target) = portals::with_fcmock(care).await;
            let start = Instant::now();
            let report = check::run(&fc, &target, &mut |_, _| {}).await.unwrap();
            if run > 0 {
                times.push(start.elapsed());
            }
            checks = report.outcomes.len();
        }
        show(&format!("fcmock check, {checks} checks, {care:?} portal"), times);
    }
    let mut times = Vec::new();
    for run in 0..=RUNS {
        let (fc, target) = portals::with_fcmock(Care::Careful).await;
        let files = portals::example_journeys(&target.portal);
        let opts = RunOptions {
            portal: target.portal.clone(),
            client: Some(CLIENT_ID.to_owned()),
            jobs: 4,
        };
        let start = Instant::now();
        journey::run(Arc::new(fc), files, &opts, &mut |_, _| {}).await.unwrap();
        if run > 0 {
            times.push(start.elapsed());
        }
    }
    show("fcmock scenario run, the 9 example files, careful portal", times);
}
