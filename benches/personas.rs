//! Benchmark: generating personas (`cargo bench --bench personas`).
//!
//! Times `generate` + `to_yaml` for 100,000 personas, five runs after one
//! warm-up, and prints the median and the spread. Timings belong here, never
//! in tests.

#![allow(clippy::indexing_slicing)] // a sorted, non-empty vector of timings

use std::time::{Duration, Instant};

use fcmock::personas::generate::{Options, generate, to_yaml};

fn main() {
    let count: usize = std::env::var("FCMOCK_BENCH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runs = 5;
    let opts = Options {
        count,
        seed: 2026,
        ..Options::default()
    };
    // Warm-up: also loads the COG tables once, as the CLI does on first use.
    let bytes = to_yaml(&generate(&opts), &opts).len();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let yaml = to_yaml(&generate(&opts), &opts);
            std::hint::black_box(yaml.len());
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[runs / 2];
    println!(
        "personas generate: {count} personas ({:.1} MB of YAML), median {:.3} s over {runs} runs (min {:.3} s, max {:.3} s), {:.0} personas/s",
        bytes as f64 / 1e6,
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[runs - 1].as_secs_f64(),
        count as f64 / median.as_secs_f64()
    );
}
