//! Command line: `fcmock [serve]`, `personas`, `scenario validate`,
//! `keys generate`, `health`, `bench`. The top of the crate: nothing imports
//! this module.
//!
//! Every serve flag can also come from an `FCMOCK_*` environment variable,
//! which is how the container image is configured.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod personas;
mod portal;
mod serve;

pub use serve::banner;

use crate::config::{self, Config};
use serve::{bench, health, serve_command, validate_scenarios};

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
    /// Check a portal against FranceConnect's rules: a happy path, the
    /// rules on its requests, then one fault per login (spoiled tokens,
    /// login CSRF, replay, errors); PASS, FAIL with evidence, or INCONCLUSIVE.
    Check(Box<portal::CheckArgs>),
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
    /// That client's secret (with --client-id).
    #[arg(long, requires = "url")]
    pub client_secret: Option<String>,
    /// Redirect URI registered for that client (with --url).
    #[arg(long, requires = "url", default_value = "http://localhost:9/callback")]
    pub redirect_uri: String,
    /// Persona queued with next-login before each flow (with --url; omit for an auto_login client).
    #[arg(long, requires = "url", default_value = "camille-rochefort")]
    pub persona: String,
    /// Identity provider of the queued persona (with --persona).
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
    /// Check the two signatures of one flow in N per worker (claims are
    /// checked on every flow): with N above 1 the generator costs about half
    /// as much CPU, enough to saturate a server pinned to its own core.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub verify_every: u64,
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
    /// Play the journeys of scenario files against a portal (a browser per
    /// journey, the file's faults in force), with JUnit and HTML reports.
    Run(Box<portal::RunArgs>),
}

/// Where the configuration comes from (shared by every command that reads it).
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// YAML file or folder extending the embedded default bundle (repeatable).
    #[arg(long, env = "FCMOCK_CONFIG", value_delimiter = ',')]
    pub config: Vec<PathBuf>,
    /// Configuration given as YAML text, after the files (for CI services
    /// that take environment variables but no mounted files).
    #[arg(long, env = "FCMOCK_CONFIG_INLINE", value_name = "YAML")]
    pub config_inline: Option<String>,
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
        /// Persona files (YAML, or JSON Lines `.jsonl`) or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Generate fictitious personas as fcmock configuration (same seed, same bytes).
    #[command(
        after_help = "Examples:\n  fcmock personas generate --count 1000 --seed 7 --out personas.yaml\n  fcmock personas generate --count 100000 --seed 7 --out personas.jsonl   # JSON Lines: quick to load\n  fcmock personas generate --count 20 --seed 1 --tag mineur --tag ne-a-l-etranger"
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
        /// `yaml`, or `jsonl` (one persona per line; loads far quicker in
        /// large sets). Default: `jsonl` when `--out` ends in `.jsonl`.
        #[arg(long, value_parser = ["yaml", "jsonl"])]
        format: Option<String>,
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
    let config = load_config_deferred(args)?;
    config.personas.check_deferred()?;
    Ok(config)
}

/// As [`load_config`], with the personas of large JSON Lines files read but
/// not yet built (see [`config::PersonaSet`]).
pub fn load_config_deferred(args: &ConfigArgs) -> Result<Config, config::ConfigErrors> {
    let mut sources = Vec::new();
    for path in &args.config {
        sources.extend(config::read_sources(path)?);
    }
    if let Some(text) = args.config_inline.as_ref().filter(|t| !t.trim().is_empty()) {
        sources.push(config::Source {
            name: "FCMOCK_CONFIG_INLINE".to_owned(),
            text: text.clone(),
        });
    }
    config::load_sources(sources, !args.no_defaults, true)
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
        Some(Command::Personas(cmd)) => personas::run(cmd),
        Some(Command::Scenario(ScenarioCommand::Validate { files, config })) => validate_scenarios(&files, &config),
        Some(Command::Health { url, timeout }) => health(url, timeout).await,
        Some(Command::Bench(args)) => bench(args).await,
        Some(Command::Check(args)) => portal::run(*args).await,
        Some(Command::Scenario(ScenarioCommand::Run(args))) => portal::run_journeys(*args).await,
        None => serve_command(cli.serve).await,
    }
}
