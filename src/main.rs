//! The `fcmock` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    fcmock::cli::run(fcmock::cli::Cli::parse()).await
}
