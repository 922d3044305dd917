//! The commands that run a server or talk to one: `serve` (the default),
//! `health` and `bench`, plus `scenario validate` and the start-up banner.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::{BenchArgs, ConfigArgs, LogFormat, ServeArgs, load_config};
use crate::clock::Clock;
use crate::config::{Config, ConfigErrors};
use crate::rng::Rng;
use crate::server::{AppState, Urls, serve};

pub(super) async fn bench(args: BenchArgs) -> ExitCode {
    let duration = std::time::Duration::from_secs_f64(args.duration.clamp(0.1, 86_400.0));
    let mut opts = crate::bench::BenchOptions::in_process(args.concurrency.clamp(1, 10_000), duration);
    opts.verify_every = args.verify_every;
    if let Some(url) = &args.url {
        opts.url = Some(url.clone());
        opts.client_id = args
            .client_id
            .clone()
            .unwrap_or_else(|| "6d2f1a3c9e8b47d5a0c4e2f19b7d3a5c8e1f0b2d4c6a8e0f1a3b5c7d9e2f4a6b".to_owned());
        opts.client_secret = args
            .client_secret
            .clone()
            .unwrap_or_else(|| "demo-secret-portail-public-0123456789abcdef0123456789abcdef".to_owned());
        opts.redirect_uri.clone_from(&args.redirect_uri);
        opts.next_login = (!args.auto_login).then(|| (args.persona.clone(), args.idp.clone()));
        opts.control_token.clone_from(&args.control_token);
        opts.discovery.clone_from(&args.discovery);
    }
    match crate::bench::run(opts).await {
        Ok(report) => {
            if !args.json {
                print!("{}", report.human());
            }
            println!("{}", report.json());
            if report.flows == 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("fcmock bench: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn health(url: Option<String>, timeout: u64) -> ExitCode {
    let base = url.unwrap_or_else(|| {
        let port = std::env::var("FCMOCK_PORT").unwrap_or_else(|_| "7080".to_owned());
        format!("http://127.0.0.1:{port}")
    });
    let target = format!("{}{}", base.trim_end_matches('/'), crate::paths::mock::HEALTH);
    let client = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout.max(1)))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fcmock health: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&target).send().await {
        Ok(r) if r.status().is_success() => {
            println!("healthy: {target} answered {}", r.status());
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("unhealthy: {target} answered {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {target}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FCMOCK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal (CI logs and files get plain text), and
    // never where NO_COLOR is set (https://no-color.org).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

pub(super) async fn serve_command(args: ServeArgs) -> ExitCode {
    // Serving defers the personas of large JSON Lines files (checked just
    // after start-up, below); `--check-config` checks everything first.
    let loaded = if args.check_config {
        load_config(&args.config)
    } else {
        super::load_config_deferred(&args.config)
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprint!("fcmock: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.check_config {
        println!(
            "configuration valid: {} clients, {} identity providers, {} personas (from {})",
            config.clients.len(),
            config.idps.len(),
            config.personas.len(),
            config.sources.join(", ")
        );
        let mut failed = false;
        for (id, probed) in probe_external_idps(&config).await {
            match probed {
                Ok(summary) => println!("identity provider `{id}`: reachable ({summary})"),
                Err(problem) => {
                    failed = true;
                    println!("identity provider `{id}`: {problem}");
                }
            }
        }
        return if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS };
    }
    init_logging(args.log_format);
    let listener = match TcpListener::bind(SocketAddr::new(args.bind, args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "fcmock: cannot listen on {}:{}: {e}; pick another --port or stop what uses it",
                args.bind, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{port}"));
    let internal_host = if args.bind.is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        args.bind.to_string()
    };
    let internal_host = if internal_host.contains(':') {
        format!("[{internal_host}]")
    } else {
        internal_host
    };
    let urls = Urls {
        public: public.trim_end_matches('/').to_owned(),
        internal: args
            .internal_url
            .clone()
            .unwrap_or_else(|| format!("http://{internal_host}:{port}"))
            .trim_end_matches('/')
            .to_owned(),
    };
    if let Err(msg) = check_public_url(&urls.public) {
        eprintln!("fcmock: --public-url {msg}");
        return ExitCode::FAILURE;
    }
    let seed = args.seed.or(config.platform.seed);
    let rng = seed.map_or_else(Rng::from_entropy, Rng::seeded);
    let state = match AppState::new(config, urls, Clock::system(), rng, args.control_token.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fcmock: {e}");
            return ExitCode::FAILURE;
        }
    };
    for path in &args.scenarios {
        let loaded =
            read_scenario(path, &state.config()).and_then(|s| state.control.load_scenario(s).map_err(|e| e.message));
        match loaded {
            Ok(id) => tracing::info!(file = %path.display(), id = %id, "scenario in force"),
            Err(e) => {
                eprintln!("fcmock: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    print!("{}", banner(&state));
    // External providers are probed once at start-up; a problem is a
    // warning (the provider may start after fcmock), `--check-config` fails on it.
    let probed = state.config();
    tokio::spawn(async move {
        for (id, probed) in probe_external_idps(&probed).await {
            match probed {
                Ok(summary) => tracing::info!(idp = %id, "external identity provider reachable: {summary}"),
                Err(problem) => tracing::warn!(idp = %id, "external identity provider: {problem}"),
            }
        }
    });
    tracing::info!(public = %state.urls.public, internal = %state.urls.internal, "fcmock listening");
    let invalid = Arc::new(std::sync::OnceLock::new());
    let stop = stop_signal(check_deferred_personas(state.config()), invalid.clone());
    match serve(listener, state, stop).await {
        Ok(()) if invalid.get().is_some() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fcmock: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Probes every external identity provider's discovery and JWKS as the hub
/// will use them: what was found, or what is wrong, by provider id.
async fn probe_external_idps(config: &Config) -> Vec<(String, Result<String, String>)> {
    let external: Vec<_> = config
        .idps
        .iter()
        .filter(|i| matches!(i.source, crate::config::IdpSource::External { .. }))
        .collect();
    if external.is_empty() {
        return Vec::new();
    }
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => return vec![(String::new(), Err(format!("no HTTP client: {e}")))],
    };
    let mut out = Vec::new();
    for idp in external {
        let probed = crate::platform::idp_remote::probe(&http, idp).await;
        out.push((idp.id.clone(), probed.map_err(|e| e.to_string())));
    }
    out
}

fn read_scenario(path: &std::path::Path, config: &Config) -> Result<crate::scenarios::Scenario, String> {
    let text = crate::config::read_text(path).map_err(|e| e.to_string())?;
    crate::scenarios::parse::parse(&path.display().to_string(), &text, config).map_err(|e| e.to_string())
}

pub(super) fn validate_scenarios(files: &[PathBuf], args: &ConfigArgs) -> ExitCode {
    let config = match load_config(args) {
        Ok(c) => c,
        Err(e) => {
            eprint!("fcmock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ok = true;
    for path in files {
        match read_scenario(path, &config) {
            Ok(s) => {
                let plural = |n: usize| if n == 1 { "" } else { "s" };
                let journeys = match s.journeys.len() {
                    0 => String::new(),
                    n => format!(", {n} journey{}", plural(n)),
                };
                println!(
                    "{}: valid scenario `{}` ({} fault{}{journeys})",
                    path.display(),
                    s.name,
                    s.faults.len(),
                    plural(s.faults.len())
                );
            }
            Err(e) => {
                ok = false;
                eprint!("{e}");
            }
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Hosts of the real platform: fcmock must never pretend to be one of them.
const REAL_HOSTS: [&str; 3] = ["franceconnect.gouv.fr", "dev-franceconnect.fr", "franceconnect.fr"];

fn check_public_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not an absolute URL: {e}"))?;
    let host = parsed.host_str().unwrap_or_default();
    if REAL_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
    {
        return Err(format!(
            "`{url}` is a real FranceConnect host; fcmock must run under another name"
        ));
    }
    if parsed.path() != "/" || parsed.query().is_some() {
        return Err(format!(
            "`{url}` must be a base URL without path or query, e.g. http://localhost:7080"
        ));
    }
    Ok(())
}

/// The start-up banner: what a developer needs to point a portal at fcmock.
pub fn banner(state: &AppState) -> String {
    use std::fmt::Write as _;
    let cfg = state.config();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fcmock {} — FranceConnect sandbox (TEST ENVIRONMENT, FICTITIOUS PEOPLE)",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "  FranceConnect v2 issuer : {}", state.issuer());
    let _ = writeln!(
        out,
        "  discovery               : {}/.well-known/openid-configuration",
        state.issuer()
    );
    let [_, plus] = state.platform.issuers();
    let _ = writeln!(
        out,
        "  FranceConnect+ issuer   : {plus} (eidas2, eidas3; encrypted tokens)"
    );
    let _ = writeln!(out, "  home page               : {}/_fcmock/", state.urls.public);
    let _ = writeln!(out, "  health                  : {}/_fcmock/health", state.urls.public);
    let _ = writeln!(out, "  clients:");
    for c in &cfg.clients {
        let _ = writeln!(out, "    - {} ({:?}, {})", c.name, c.kind, c.signing_alg);
        let _ = writeln!(out, "      client_id     {}", c.client_id);
        // The demo clients' secrets are published (README, default bundle);
        // a secret from the user's own configuration stays out of CI logs.
        if c.secret_is_published() {
            let _ = writeln!(out, "      client_secret {}", c.client_secret);
        } else {
            let _ = writeln!(out, "      client_secret (from your configuration, not printed)");
        }
        let mut rules: Vec<String> = c.redirect_uris.clone();
        if c.allow_localhost_redirects {
            rules.push("any http://localhost:PORT/… or http://127.0.0.1:PORT/… (allow_localhost_redirects)".to_owned());
        }
        let _ = writeln!(out, "      redirect_uri  {}", rules.join(" | "));
    }
    let _ = writeln!(
        out,
        "  identity providers: {}",
        cfg.idps
            .iter()
            .map(|i| format!("{} ({})", i.id, i.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "  personas: {}", cfg.personas.len());
    let _ = writeln!(out, "  deviations from the real platform in force:");
    for d in cfg.deviations() {
        let _ = writeln!(out, "    - {d}");
    }
    out
}

/// Builds and checks the deferred personas on a blocking thread; resolves
/// with their errors, or never when they are all valid.
async fn check_deferred_personas(config: Arc<Config>) -> ConfigErrors {
    let started = std::time::Instant::now();
    let checked = tokio::task::spawn_blocking(move || config.personas.check_deferred()).await;
    match checked {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(
            personas = n,
            ms = started.elapsed().as_millis(),
            "deferred personas built and checked"
        ),
        Ok(Err(errors)) => return errors,
        Err(e) => tracing::error!("checking deferred personas failed: {e}"),
    }
    std::future::pending().await
}

/// Stops on Ctrl-C or SIGTERM, or when a deferred persona is invalid: then
/// its errors are printed as at start-up and kept in `invalid`.
async fn stop_signal(
    invalid_personas: impl std::future::Future<Output = ConfigErrors>,
    invalid: Arc<std::sync::OnceLock<ConfigErrors>>,
) {
    tokio::select! {
        () = shutdown_signal() => {}
        errors = invalid_personas => {
            eprint!("fcmock: {errors}");
            tracing::error!("stopping: the configuration's personas are not all valid");
            let _ = invalid.set(errors);
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
