//! Command line: `fcmock [serve]`, `fcmock keys generate DIR`.
//!
//! Every serve flag can also come from an `FCMOCK_*` environment variable,
//! which is how the container image is configured.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio::net::TcpListener;

use crate::app::{AppState, Urls, serve};
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::rng::Rng;

/// fcmock — a FranceConnect sandbox: the platform, its identity providers and fictitious citizens.
#[derive(Debug, Parser)]
#[command(name = "fcmock", version, args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Examples:\n  fcmock                              serve the embedded default bundle on http://localhost:7080\n  fcmock --config my-commune.yaml     add your clients and personas to the defaults\n  fcmock serve --check-config --config dir/\n  fcmock keys generate ./my-keys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform, identity providers and pages (the default).
    Serve(ServeArgs),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Find, inspect, validate and generate personas.
    #[command(subcommand)]
    Personas(PersonasCommand),
    /// Check scenario files.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Load test: complete headless login flows (authorize → code → token →
    /// userinfo, signatures verified) at a given concurrency.
    Bench(BenchArgs),
    /// Ask a running fcmock whether it is healthy (exit 0) or not (exit 1):
    /// the container's HEALTHCHECK, with no curl in the image.
    Health {
        /// Base URL of the running fcmock (default: http://127.0.0.1:$FCMOCK_PORT).
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Base URL of a running fcmock (default: start one in this process).
    #[arg(long)]
    pub url: Option<String>,
    /// Flows running at once.
    #[arg(long, short = 'c', default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds to run.
    #[arg(long, short = 'd', default_value_t = 10.0)]
    pub duration: f64,
    /// Client to log in with (with --url; default: the public demo client).
    #[arg(long, requires = "url")]
    pub client_id: Option<String>,
    #[arg(long, requires = "url")]
    pub client_secret: Option<String>,
    #[arg(long, requires = "url", default_value = "http://localhost:9/callback")]
    pub redirect_uri: String,
    /// Persona queued with next-login before each flow (with --url; omit for an auto_login client).
    #[arg(long, requires = "url", default_value = "camille-rochefort")]
    pub persona: String,
    #[arg(long, requires = "url", default_value = "ameli")]
    pub idp: String,
    /// The client logs in automatically (auto_login): do not queue personas.
    #[arg(long, requires = "url")]
    pub auto_login: bool,
    /// Discovery document to read the endpoints from (with --url; default:
    /// URL/api/v2/.well-known/openid-configuration). Set it to load another
    /// OpenID provider, e.g. a peer mock in `bench/compare.sh`.
    #[arg(long, requires = "url")]
    pub discovery: Option<String>,
    /// Bearer token for the control API of a remote fcmock (--control-token there).
    #[arg(long, env = "FCMOCK_CONTROL_TOKEN")]
    pub control_token: Option<String>,
    /// Print only the JSON line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Validate scenario files against the configuration (every error with file, line and field).
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// Where the configuration comes from (shared by every command that reads it).
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// YAML file or folder extending the embedded default bundle (repeatable).
    #[arg(long, env = "FCMOCK_CONFIG", value_delimiter = ',')]
    pub config: Vec<PathBuf>,
    /// Do not load the embedded default bundle: --config replaces it.
    #[arg(long, env = "FCMOCK_NO_DEFAULTS")]
    pub no_defaults: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonasCommand {
    /// List personas, optionally only those with all the given tags and an account at an identity provider.
    #[command(
        after_help = "Examples:\n  fcmock personas list --tag mineur --tag ne-a-l-etranger --idp ameli\n  fcmock personas list --config my-personas.yaml"
    )]
    List {
        /// Keep personas carrying this tag (repeatable: all must match).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Keep personas with an account at this identity provider.
        #[arg(long)]
        idp: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Show a persona: identity, accounts, household data, and the sub each service provider receives.
    Show {
        /// Persona id.
        id: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Validate persona files (with the default bundle, so identity providers resolve).
    Validate {
        /// YAML files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Validate the files alone, without the default bundle.
        #[arg(long)]
        no_defaults: bool,
    },
    /// Generate fictitious personas as fcmock configuration (same seed, same bytes).
    #[command(
        after_help = "Examples:\n  fcmock personas generate --count 1000 --seed 7 --out personas.yaml\n  fcmock personas generate --count 20 --seed 1 --tag mineur --tag ne-a-l-etranger"
    )]
    Generate {
        /// How many personas.
        #[arg(long, default_value_t = 10)]
        count: usize,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Tag every persona must carry; age bands, place of birth, presumed dates and gender steer generation.
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Reference year for ages.
        #[arg(long, default_value_t = 2026)]
        year: i32,
        /// Prefix of persona ids.
        #[arg(long, default_value = "gen")]
        prefix: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new P-256 (ES256) and RSA-2048 (RS256) private key, PEM, into DIR.
    Generate {
        /// Folder to write into (created if needed).
        dir: PathBuf,
        /// File name prefix: PREFIX-es256.pem and PREFIX-rs256.pem.
        #[arg(long, default_value = "fcmock")]
        prefix: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// TCP port to listen on.
    #[arg(long, env = "FCMOCK_PORT", default_value_t = 7080)]
    pub port: u16,
    /// Address to bind (0.0.0.0 inside a container).
    #[arg(long, env = "FCMOCK_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Base URL browsers use, and issuers are built from (default http://localhost:PORT).
    #[arg(long, env = "FCMOCK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Base URL fcmock uses to call itself (default http://127.0.0.1:PORT).
    #[arg(long, env = "FCMOCK_INTERNAL_URL")]
    pub internal_url: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Validate the configuration, print the result and exit (non-zero on error).
    #[arg(long)]
    pub check_config: bool,
    /// Scenario file to put in force at start (repeatable).
    #[arg(long = "scenario", env = "FCMOCK_SCENARIO", value_delimiter = ',')]
    pub scenarios: Vec<PathBuf>,
    /// Opens the control API (/_fcmock/api) to callers outside loopback that send `Authorization: Bearer TOKEN`.
    #[arg(long, env = "FCMOCK_CONTROL_TOKEN")]
    pub control_token: Option<String>,
    /// Seed for codes, tokens and ids (reproducible runs).
    #[arg(long, env = "FCMOCK_SEED")]
    pub seed: Option<u64>,
    /// Log format.
    #[arg(long, env = "FCMOCK_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
}

/// Loads the configuration the flags describe.
pub fn load_config(args: &ConfigArgs) -> Result<Config, config::ConfigErrors> {
    let mut sources = Vec::new();
    for path in &args.config {
        sources.extend(config::read_sources(path)?);
    }
    config::load(&sources, !args.no_defaults)
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Keys(KeysCommand::Generate { dir, prefix })) => {
            match crate::crypto::keys::generate_into(&dir, &prefix) {
                Ok(paths) => {
                    for p in paths {
                        println!("wrote {p}");
                    }
                    println!("these keys are yours: keep them out of public repositories if they sign anything real");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fcmock: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Serve(args)) => serve_command(args).await,
        Some(Command::Personas(cmd)) => crate::personas::commands::run(cmd),
        Some(Command::Scenario(ScenarioCommand::Validate { files, config })) => validate_scenarios(&files, &config),
        Some(Command::Health { url, timeout }) => health(url, timeout).await,
        Some(Command::Bench(args)) => bench(args).await,
        None => serve_command(cli.serve).await,
    }
}

async fn bench(args: BenchArgs) -> ExitCode {
    let duration = std::time::Duration::from_secs_f64(args.duration.clamp(0.1, 86_400.0));
    let mut opts = crate::bench::BenchOptions::in_process(args.concurrency.clamp(1, 10_000), duration);
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

async fn health(url: Option<String>, timeout: u64) -> ExitCode {
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

async fn serve_command(args: ServeArgs) -> ExitCode {
    let config = match load_config(&args.config) {
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
        return ExitCode::SUCCESS;
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
        let loaded = read_scenario(path, &state.config()).and_then(|s| state.load_scenario(s));
        match loaded {
            Ok(id) => tracing::info!(file = %path.display(), id = %id, "scenario in force"),
            Err(e) => {
                eprintln!("fcmock: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    print!("{}", banner(&state));
    tracing::info!(public = %state.urls.public, internal = %state.urls.internal, "fcmock listening");
    match serve(listener, state, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fcmock: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_scenario(path: &std::path::Path, config: &Config) -> Result<crate::scenarios::Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read scenario {}: {e}", path.display()))?;
    crate::scenarios::parse::parse(&path.display().to_string(), &text, config).map_err(|e| e.to_string())
}

fn validate_scenarios(files: &[PathBuf], args: &ConfigArgs) -> ExitCode {
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
            Ok(s) => println!(
                "{}: valid scenario `{}` ({} faults)",
                path.display(),
                s.name,
                s.faults.len()
            ),
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
    let _ = writeln!(out, "  home page               : {}/_fcmock/", state.urls.public);
    let _ = writeln!(out, "  health                  : {}/_fcmock/health", state.urls.public);
    let _ = writeln!(out, "  clients:");
    for c in &cfg.clients {
        let _ = writeln!(out, "    - {} ({:?}, {})", c.name, c.kind, c.signing_alg);
        let _ = writeln!(out, "      client_id     {}", c.client_id);
        // The demo clients' secrets are published (README, default bundle);
        // a secret from the user's own configuration stays out of CI logs.
        let published = crate::config::DEFAULT_BUNDLE
            .iter()
            .any(|(_, text)| text.contains(c.client_secret.as_str()));
        if published {
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
