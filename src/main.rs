//! The `twinning` command.

use clap::Parser;
use std::process::ExitCode;

/// A wide query allocates hundreds of thousands of small values (rows,
/// the response tree, JSON text); mimalloc serves them with far less
/// contention and fragmentation than the system allocator. Version 2 (the
/// crate's `v2` feature) returns freed pages to the system after 10 ms,
/// where version 3 keeps them for a second: 10–30 MB less at the peak of
/// the benchmark's widest query, at the same speed within the noise.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    twinning::cli::run::run(twinning::cli::Cli::parse()).await
}
