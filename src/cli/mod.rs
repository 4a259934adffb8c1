//! Command-line interface: clap definitions and the dispatch to subcommands. One file per
//! subcommand; every subcommand returns an [`ExitStatus`] or an error (exit code 2).

#[cfg(feature = "live")]
mod collect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by every subcommand (see README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the failure threshold.
    Clean = 0,
    /// Findings at or above the failure threshold.
    Findings = 1,
    /// Usage or input error.
    Error = 2,
    /// The scan was incomplete: something could not be collected or decided.
    Incomplete = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "nobastion",
    version,
    about = "Compliance scanner and policy linter for bastion-less (Session Manager) access on AWS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read a live AWS account (or organization) and write the snapshot (read-only).
    #[cfg(feature = "live")]
    Collect(collect::CollectArgs),
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitStatus::Error.into()
            } else {
                ExitStatus::Clean.into()
            };
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitStatus::Error.into()
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        #[cfg(feature = "live")]
        Command::Collect(args) => collect::run(&args),
    }
}
