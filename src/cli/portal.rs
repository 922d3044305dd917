//! `fcmock check` (the conformance catalogue against a portal) and
//! `fcmock scenario run` (journeys from scenario files against a portal),
//! with their reports: text on the terminal or CI log, `--junit`, `--html`.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::ConfigArgs;
use crate::portal::PortalError;
use crate::portal::check::{self, Target};
use crate::portal::fcmock::Fcmock;
use crate::portal::journey::{self, JourneyFile, RunOptions};
use crate::portal::report::{Outcome, Report, Verdict, line};

/// Which fcmock to use: a running one, or one started here.
#[derive(Debug, Clone, Args)]
pub struct FcmockArgs {
    /// A running fcmock to use, where the portal's client is registered
    /// (default: start one in this process with --config).
    #[arg(long)]
    pub fcmock: Option<String>,
    /// Token for a running fcmock's control API (its --control-token).
    #[arg(long, env = "FCMOCK_CONTROL_TOKEN")]
    pub control_token: Option<String>,
    /// Without --fcmock: where the in-process fcmock listens; the portal
    /// must be configured with this address as FranceConnect's.
    #[arg(long, default_value = "127.0.0.1:7080")]
    pub listen: SocketAddr,
    /// Without --fcmock: the URL browsers reach it at (default http://localhost:PORT).
    #[arg(long)]
    pub public_url: Option<String>,
    /// The configuration the in-process fcmock serves (and scenario files are validated against).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Where the reports go.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The portal's base URL (its pages and callback are under it).
    #[arg(long)]
    pub portal: String,
    /// Where a citizen starts on the portal: the page with the
    /// FranceConnect button or the route it leads to (a path under --portal, or a URL).
    #[arg(long)]
    pub start: String,
    /// The portal's client_id at fcmock.
    #[arg(long)]
    pub client: String,
    /// Text the portal shows only to a logged-in citizen (default: the persona's first given name).
    #[arg(long)]
    pub logged_in_marker: Option<String>,
    /// Persona to log in as (default: the first listed).
    #[arg(long)]
    pub persona: Option<String>,
    /// For each failure, print what the portal must do and the FranceConnect rule behind it (French and English).
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub fcmock: FcmockArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files with `journeys:`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The portal's base URL.
    #[arg(long)]
    pub portal: String,
    /// The portal's client_id, for files that name no `clients:` (their
    /// faults are bound to it).
    #[arg(long)]
    pub client: Option<String>,
    /// Files run at once, when their clients differ.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub fcmock: FcmockArgs,
}

/// Prints outcomes as they come: a counter rewritten in place on a
/// terminal, one plain line each in CI logs.
fn progress(total: usize) -> impl FnMut(&Outcome, usize) + Send {
    let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    move |o: &Outcome, n: usize| {
        if live {
            eprint!("\r\x1b[2K[{n}/{total}] {} {}", o.verdict.word(), o.id);
            if o.verdict != Verdict::Pass {
                eprintln!();
            }
        } else {
            eprintln!("[{n}] {}", line(o));
        }
    }
}

async fn fcmock_for(args: &FcmockArgs) -> Result<Fcmock, String> {
    match &args.fcmock {
        Some(url) => Fcmock::connect(url, args.control_token.clone())
            .await
            .map_err(|e| format!("fcmock at {url}: {e}")),
        None => {
            let cfg = super::load_config(&args.config).map_err(|e| e.to_string())?;
            let f = Fcmock::start(cfg, args.listen, args.public_url.clone())
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("fcmock started in this process at {}", f.base);
            Ok(f)
        }
    }
}

/// Prints the report and writes its files: exit 0 when all passed, 1 on a
/// failure, 2 when the run itself could not be done.
fn conclude(command: &str, report: Result<Report, PortalError>, explain: bool, reports: &ReportArgs) -> ExitCode {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("\n{command}: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!();
    print!("{}", report.text(explain));
    let written = [
        (&reports.junit, report.junit(), "JUnit"),
        (&reports.html, report.html(), "HTML"),
    ];
    for (path, content, kind) in written {
        let Some(path) = path else { continue };
        if let Err(e) = std::fs::write(path, content) {
            eprintln!("{command}: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!("{kind} report: {}", path.display());
    }
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub(super) async fn run(args: CheckArgs) -> ExitCode {
    let fcmock = match fcmock_for(&args.fcmock).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fcmock check: {e}");
            return ExitCode::from(2);
        }
    };
    let target = Target {
        portal: args.portal.trim_end_matches('/').to_owned(),
        start: args.start.clone(),
        client_id: args.client.clone(),
        marker: args.logged_in_marker.clone(),
        persona: args.persona.clone(),
    };
    let mut show = progress(check::CATALOGUE_SIZE);
    let report = check::run(&fcmock, &target, &mut show).await;
    conclude("fcmock check", report, args.explain, &args.reports)
}

fn read_journeys(args: &RunArgs) -> Result<Vec<JourneyFile>, String> {
    let cfg = super::load_config(&args.fcmock.config).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let text = match crate::config::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        match crate::scenarios::parse::parse(&name, &text, &cfg) {
            Ok(scenario) if scenario.journeys.is_empty() => {
                errors.push(format!("{name}: no `journeys:` in this scenario file"));
            }
            Ok(scenario) => files.push(JourneyFile {
                path: name,
                text,
                scenario,
            }),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors.join("\n"))
    }
}

pub(super) async fn run_journeys(args: RunArgs) -> ExitCode {
    let files = match read_journeys(&args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let total: usize = files.iter().map(|f| f.scenario.journeys.len()).sum();
    let fcmock = match fcmock_for(&args.fcmock).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fcmock scenario run: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = RunOptions {
        portal: args.portal.trim_end_matches('/').to_owned(),
        client: args.client.clone(),
        jobs: args.jobs,
    };
    let mut show = progress(total);
    let report = journey::run(std::sync::Arc::new(fcmock), files, &opts, &mut show).await;
    conclude("fcmock scenario run", report, false, &args.reports)
}
