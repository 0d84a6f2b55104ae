//! `trellis`: one binary for the server, the workers, the demo and the operator commands.
//!
//! This file only parses the command line, loads the configuration, starts logging and hands
//! over to `cli::<command>::run`. Exit codes: 0 success, 1 failure, 2 bad usage or bad
//! configuration.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results and errors"
)]

mod bench;
mod cli;
mod config;
mod demo;
mod telemetry;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::ConfigError;

/// mimalloc rather than glibc's malloc: with many threads (tokio's and rayon's) glibc keeps
/// freed memory in per-thread arenas and, once a large buffer was freed, serves buffers up to
/// 32 MB from them instead of the system; a million-account mapping peaked 20–35 % higher
/// (and unevenly, 936–1,072 MiB) on glibc than the memory it actually held (760 MiB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<ConfigError>().is_some() {
                2
            } else {
                1
            };
            eprintln!("error: {e:#}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config {
        command: ConfigCommand::Example,
    } = &cli.command
    {
        cli::config::example();
        return Ok(());
    }
    let config = config::load(cli.config.as_deref(), &cli.command.overrides())?;
    telemetry::init(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::dispatch(cli.command, config))
}
