//! `nobastion check --snapshot FILE`: replay a saved snapshot through the rules.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::ExitStatus;
use super::common::{ReportArgs, check_snapshot};
use crate::model::Snapshot;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The snapshot to check (written by `nobastion collect`, or by hand).
    #[arg(long, short = 's', value_name = "FILE")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let snapshot = Snapshot::load(&args.snapshot)?;
    check_snapshot(&snapshot, &args.report)
}
