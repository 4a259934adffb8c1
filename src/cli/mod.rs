//! Command-line interface: clap definitions and the dispatch to subcommands. One file per
//! subcommand; every subcommand returns an [`ExitStatus`] or an error (exit code 2).

pub mod access;
pub mod check;
#[cfg(feature = "live")]
pub mod collect;
pub mod common;
pub mod diff;
pub mod evidence;
pub mod keygen;
pub mod lint;
pub mod rules;
#[cfg(feature = "live")]
pub mod scan;
pub mod schema;
pub mod simulate;
pub mod verify;

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
    about = "Compliance scanner and policy linter for bastion-less (Session Manager) access on AWS",
    long_about = "nobastion checks that an AWS account (or the IaC that builds one) keeps the promise of \
bastion-less access through Systems Manager Session Manager: no inbound SSH/RDP, StartSession \
scoped by tags, sessions logged and encrypted, no keys or public IPs on instances, an audit \
trail and alerting.",
    after_help = "Exit codes: 0 nothing at or above the threshold; 1 findings at or above it; \
2 usage or input error; 3 incomplete (something could not be assessed).\n\
Docs: https://github.com/nobastion/nobastion/tree/main/docs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a live AWS account (or organization) and report (read-only).
    #[cfg(feature = "live")]
    Scan(scan::Args),
    /// Read a live AWS account (or organization) and write the snapshot (read-only).
    #[cfg(feature = "live")]
    Collect(collect::CollectArgs),
    /// Check a saved snapshot (offline replay of a scan).
    Check(check::Args),
    /// Lint IAM policies, Terraform plans and CloudFormation templates (CI gate).
    Lint(lint::Args),
    /// List the rule catalog; write or check the rule documentation.
    Rules(rules::Args),
    /// Print a rule's documentation.
    Explain(rules::ExplainArgs),
    /// Print the JSON Schema of the snapshot or of the JSON report.
    Schema(schema::Args),
    /// Write a pre-audit evidence bundle: findings, reports, controls view, signed manifest.
    Evidence(evidence::Args),
    /// Make an Ed25519 key pair for signing evidence bundles.
    Keygen(keygen::Args),
    /// Check an evidence bundle: every file's hash and the manifest's signature.
    Verify(verify::Args),
    /// Findings that are new, resolved and unchanged between two audits.
    Diff(diff::Args),
    /// Evaluate one request against policy files, offline (like AWS's policy simulator).
    Simulate(simulate::Args),
    /// Who can get a shell on which instance, and how (the access map).
    Access(access::Args),
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
    match run(&cli) {
        Ok(status) => status.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitStatus::Error.into()
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        #[cfg(feature = "live")]
        Command::Scan(args) => scan::run(args),
        #[cfg(feature = "live")]
        Command::Collect(args) => collect::run(args),
        Command::Check(args) => check::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Explain(args) => rules::explain(args),
        Command::Schema(args) => schema::run(args),
        Command::Evidence(args) => evidence::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Access(args) => access::run(args),
    }
}
