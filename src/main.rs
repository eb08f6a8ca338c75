//! The `twinning` command.

use clap::Parser;
use std::process::ExitCode;

/// A wide query allocates hundreds of thousands of small values (rows,
/// the response tree, JSON text); mimalloc serves them with far less
/// contention and fragmentation than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    twinning::commands::run(twinning::cli::Cli::parse()).await
}
