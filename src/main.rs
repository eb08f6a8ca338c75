//! The `twinning` command.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    twinning::commands::run(twinning::cli::Cli::parse()).await
}
