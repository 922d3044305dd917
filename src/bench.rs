//! `fcmock bench`: a load generator running complete headless login flows.
//!
//! Each flow is what a service provider's end-to-end test does: (queue a
//! persona with `next-login` unless the client logs in automatically) →
//! `authorize` → code on the redirect → `token` → verify the id_token on the
//! JWKS → `userinfo` → verify its signature. Workers run flows back to back
//! for the duration; the report gives flows per second, errors by kind and
//! latency percentiles per step and per flow.
//!
//! With `verify_every` above 1, one flow in that many per worker (the first
//! included) checks the two signatures; the others still check every claim
//! (issuer, audience, nonce, lifetimes, the same `sub` in both) but skip the
//! curve arithmetic, so that a generator sharing the machine can saturate a
//! server on its own core (`VERIFY_EVERY=16 bench/pinned.sh`).

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::agent::{Expect, Jwks};
use crate::clock::Clock;

/// What to load and how hard.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Base URL of a running fcmock; `None` starts one in this process.
    pub url: Option<String>,
    pub concurrency: usize,
    pub duration: Duration,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// Queue this persona and provider before each flow (`next-login`); `None`
    /// when the client has `auto_login`.
    pub next_login: Option<(String, String)>,
    pub control_token: Option<String>,
    /// Discovery document URL; `None`: the FranceConnect v2 one under `url`.
    pub discovery: Option<String>,
    /// Check the signatures of one flow in this many per worker (1: every
    /// flow); claims are checked on every flow.
    pub verify_every: u64,
}

/// The client the in-process server gets for benchmarks.
const BENCH_CLIENT: &str = "0000bench0000bench0000bench0000bench0000bench0000bench0000bench0";
const BENCH_SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef0123456789";
const BENCH_REDIRECT: &str = "http://localhost:9/callback";

impl BenchOptions {
    /// Defaults: an in-process fcmock with an `auto_login` client.
    pub fn in_process(concurrency: usize, duration: Duration) -> Self {
        Self {
            url: None,
            concurrency,
            duration,
            client_id: BENCH_CLIENT.to_owned(),
            client_secret: BENCH_SECRET.to_owned(),
            redirect_uri: BENCH_REDIRECT.to_owned(),
            next_login: None,
            control_token: None,
            discovery: None,
            verify_every: 1,
        }
    }
}

const STEPS: [&str; 5] = ["next_login", "authorize", "token", "userinfo", "flow"];

/// Latency samples (microseconds) per step, and errors by kind.
#[derive(Debug, Default)]
struct Tally {
    samples: HashMap<&'static str, Vec<u64>>,
    errors: BTreeMap<String, u64>,
    flows: u64,
}

impl Tally {
    fn record(&mut self, step: &'static str, since: Instant) {
        let us = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.samples.entry(step).or_default().push(us);
    }

    fn merge(&mut self, other: Tally) {
        for (k, mut v) in other.samples {
            self.samples.entry(k).or_default().append(&mut v);
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.flows += other.flows;
    }
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub flows: u64,
    pub seconds: f64,
    pub errors: BTreeMap<String, u64>,
    /// step → (p50, p90, p99, max) in microseconds.
    pub latencies: BTreeMap<String, [u64; 4]>,
    pub concurrency: usize,
    pub target: String,
    /// Signatures checked on one flow in this many per worker.
    pub verify_every: u64,
}

impl BenchReport {
    pub fn flows_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.flows as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// One line of JSON, for scripts.
    pub fn json(&self) -> Value {
        let lat: serde_json::Map<String, Value> = self
            .latencies
            .iter()
            .map(|(k, [p50, p90, p99, max])| {
                (
                    k.clone(),
                    json!({"p50_us": p50, "p90_us": p90, "p99_us": p99, "max_us": max}),
                )
            })
            .collect();
        json!({
            "target": self.target,
            "concurrency": self.concurrency,
            "verify_every": self.verify_every,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "flows": self.flows,
            "flows_per_second": (self.flows_per_second() * 10.0).round() / 10.0,
            "errors": self.errors,
            "latency": lat,
        })
    }

    /// The table people read.
    pub fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "fcmock bench: {} flows in {:.1} s at concurrency {} against {} → {:.0} flows/s",
            self.flows,
            self.seconds,
            self.concurrency,
            self.target,
            self.flows_per_second()
        );
        let total_errors: u64 = self.errors.values().sum();
        let _ = writeln!(out, "errors: {total_errors}");
        for (kind, n) in &self.errors {
            let _ = writeln!(out, "  {n:>8}  {kind}");
        }
        let _ = writeln!(
            out,
            "{:<12} {:>10} {:>10} {:>10} {:>10}",
            "step", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for step in STEPS {
            if let Some([p50, p90, p99, max]) = self.latencies.get(step) {
                let ms = |us: &u64| *us as f64 / 1000.0;
                let _ = writeln!(
                    out,
                    "{step:<12} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
                    ms(p50),
                    ms(p90),
                    ms(p99),
                    ms(max)
                );
            }
        }
        out
    }
}

fn percentiles(v: &mut [u64]) -> [u64; 4] {
    if v.is_empty() {
        return [0; 4];
    }
    v.sort_unstable();
    let at = |q: f64| {
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v.get(i).copied().unwrap_or_default()
    };
    [at(0.50), at(0.90), at(0.99), v.last().copied().unwrap_or_default()]
}

struct Ctx {
    http: reqwest::Client,
    base: String,
    /// Endpoints as the discovery document gives them.
    authorize: String,
    token: String,
    userinfo: String,
    /// The issuer's keys, fetched once, and the agent's JWT checks.
    keys: Jwks,
    clock: Clock,
    opts: BenchOptions,
}

/// One flow; `Err(kind)` names what failed.
async fn flow(ctx: &Ctx, tally: &mut Tally, n: u64) -> Result<(), String> {
    let o = &ctx.opts;
    // `n` counts a worker's flows from 1 in its low 40 bits.
    let signatures = ((n & ((1 << 40) - 1)) - 1).is_multiple_of(o.verify_every.max(1));
    let check = |jwt: &str, expect: &Expect<'_>| {
        if signatures {
            ctx.keys.verify(jwt, expect)
        } else {
            ctx.keys.check_unsigned(jwt, expect)
        }
    };
    let started = Instant::now();
    if let Some((persona, idp)) = &o.next_login {
        let t = Instant::now();
        let mut req = ctx
            .http
            .post(format!("{}/_fcmock/api/next-login", ctx.base))
            .json(&json!({"client_id": o.client_id, "persona": persona, "idp": idp}));
        if let Some(tok) = &o.control_token {
            req = req.bearer_auth(tok);
        }
        let r = req.send().await.map_err(|e| format!("next_login: {}", kind_of(&e)))?;
        if !r.status().is_success() {
            return Err(format!("next_login: HTTP {}", r.status().as_u16()));
        }
        tally.record("next_login", t);
    }
    let t = Instant::now();
    let state = format!("bench-state-{n:020}-0123456789");
    let nonce = format!("bench-nonce-{n:020}-0123456789");
    let r = ctx
        .http
        .get(&ctx.authorize)
        .query(&[
            ("response_type", "code"),
            ("client_id", o.client_id.as_str()),
            ("redirect_uri", o.redirect_uri.as_str()),
            ("scope", "openid identite_pivot email"),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("acr_values", "eidas1"),
        ])
        .send()
        .await
        .map_err(|e| format!("authorize: {}", kind_of(&e)))?;
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let url = url::Url::parse(&location)
        .map_err(|_| format!("authorize: HTTP {} without a redirect", r.status().as_u16()))?;
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            let err = url
                .query_pairs()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.into_owned());
            format!(
                "authorize: no code ({})",
                err.unwrap_or_else(|| "not headless: is the client auto_login or a persona queued?".to_owned())
            )
        })?;
    tally.record("authorize", t);

    let t = Instant::now();
    let r = ctx
        .http
        .post(&ctx.token)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", o.redirect_uri.as_str()),
            ("client_id", o.client_id.as_str()),
            ("client_secret", o.client_secret.as_str()),
        ])
        .send()
        .await
        .map_err(|e| format!("token: {}", kind_of(&e)))?;
    if !r.status().is_success() {
        return Err(format!("token: HTTP {}", r.status().as_u16()));
    }
    let body: Value = r.json().await.map_err(|_| "token: not JSON".to_owned())?;
    let id_token = body
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or("token: no id_token")?;
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or("token: no access_token")?;
    let expect = Expect {
        audience: &o.client_id,
        nonce: Some(&nonce),
        now: ctx.clock.now(),
        id_token_rules: true,
    };
    let claims = check(id_token, &expect).map_err(|e| format!("id_token: {e}"))?;
    tally.record("token", t);

    let t = Instant::now();
    let r = ctx
        .http
        .get(&ctx.userinfo)
        .bearer_auth(access)
        .send()
        .await
        .map_err(|e| format!("userinfo: {}", kind_of(&e)))?;
    if !r.status().is_success() {
        return Err(format!("userinfo: HTTP {}", r.status().as_u16()));
    }
    // FranceConnect signs userinfo (application/jwt); a generic provider may
    // answer plain JSON. A relying party goes by the content type.
    let json_body = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = r.text().await.map_err(|e| format!("userinfo: {}", kind_of(&e)))?;
    let info = if json_body {
        serde_json::from_str::<Value>(&body).map_err(|_| "userinfo: not JSON".to_owned())?
    } else {
        let expect = Expect {
            nonce: None,
            id_token_rules: false,
            ..expect
        };
        check(body.trim(), &expect).map_err(|e| format!("userinfo: {e}"))?
    };
    if info.get("sub") != claims.get("sub") {
        return Err("userinfo: sub differs from the id_token's".to_owned());
    }
    tally.record("userinfo", t);
    tally.record("flow", started);
    Ok(())
}

fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection refused or reset"
    } else {
        "transport error"
    }
}

/// Runs the benchmark (starting an in-process fcmock when no URL is given).
pub async fn run(opts: BenchOptions) -> Result<BenchReport, String> {
    let mut _server = None;
    let base = match &opts.url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let (base, stop) = start_in_process().await?;
            _server = Some(stop);
            base
        }
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    // As a relying party does: everything from the discovery document.
    let discovery_url = opts
        .discovery
        .clone()
        .unwrap_or_else(|| format!("{base}{}/.well-known/openid-configuration", crate::paths::FC_PREFIX));
    let doc: Value = http
        .get(&discovery_url)
        .send()
        .await
        .map_err(|e| format!("discovery {discovery_url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("discovery {discovery_url}: {e}"))?;
    let field = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("discovery {discovery_url}: no `{name}`"))
    };
    let issuer = field("issuer")?;
    let keys = Jwks::fetch(&http, &issuer, &field("jwks_uri")?)
        .await
        .map_err(|e| e.to_string())?;
    let ctx = Arc::new(Ctx {
        http,
        base: base.clone(),
        authorize: field("authorization_endpoint")?,
        token: field("token_endpoint")?,
        userinfo: field("userinfo_endpoint")?,
        keys,
        clock: Clock::system(),
        opts: opts.clone(),
    });
    let started = Instant::now();
    let deadline = started + opts.duration;
    let mut workers = Vec::new();
    for w in 0..opts.concurrency.max(1) {
        let ctx = ctx.clone();
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut n = (w as u64) << 40;
            while Instant::now() < deadline {
                n += 1;
                match flow(&ctx, &mut tally, n).await {
                    Ok(()) => tally.flows += 1,
                    Err(kind) => *tally.errors.entry(kind).or_default() += 1,
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for w in workers {
        total.merge(w.await.map_err(|e| e.to_string())?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let latencies = STEPS
        .iter()
        .filter_map(|s| total.samples.get_mut(s).map(|v| ((*s).to_owned(), percentiles(v))))
        .collect();
    Ok(BenchReport {
        flows: total.flows,
        seconds,
        errors: total.errors,
        latencies,
        concurrency: opts.concurrency,
        verify_every: opts.verify_every,
        target: if opts.url.is_some() {
            base
        } else {
            format!("in-process fcmock at {base}")
        },
    })
}

/// An fcmock on a free loopback port, with the default bundle and a bench
/// client that logs in automatically; stops when the sender drops.
async fn start_in_process() -> Result<(String, tokio::sync::oneshot::Sender<()>), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let base = format!("http://127.0.0.1:{port}");
    let extra = crate::config::Source {
        name: "bench.yaml".to_owned(),
        text: format!(
            "clients:\n  - client_id: \"{BENCH_CLIENT}\"\n    client_secret: \"{BENCH_SECRET}\"\n    name: \"fcmock bench\"\n    redirect_uris: [\"{BENCH_REDIRECT}\"]\n    allow_localhost_redirects: true\n    signing_alg: ES256\n    auto_login: {{ persona: camille-rochefort, idp: ameli }}\n"
        ),
    };
    let cfg = crate::config::load(&[extra], true).map_err(|e| e.to_string())?;
    let urls = crate::server::Urls {
        public: base.clone(),
        internal: base.clone(),
    };
    let state = crate::server::AppState::new(
        cfg,
        urls,
        crate::clock::Clock::system(),
        crate::rng::Rng::from_entropy(),
        None,
    )
    .map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(crate::server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    Ok((base, tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_ranks() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentiles(&mut v), [51, 90, 99, 100]);
        assert_eq!(percentiles(&mut []), [0; 4]);
    }
}
