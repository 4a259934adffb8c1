//! `nobastion scan`: the periodic audit — collect a live AWS account (or organization) and
//! check it, with every reporter option `check` has. Equivalent to `collect` followed by
//! `check --snapshot`, without the file in between (`--save-snapshot` keeps it).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args as ClapArgs;

use super::ExitStatus;
use super::collect::LiveArgs;
use super::common::{ReportArgs, check_snapshot};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    live: LiveArgs,
    /// Also write the collected snapshot to FILE (evidence, or a later `check --snapshot`).
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let snapshot = args.live.collect()?;
    if let Some(path) = &args.save_snapshot {
        let mut text = snapshot.to_json_pretty();
        text.push('\n');
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the snapshot to {}", path.display()))?;
    }
    // What could not be collected is in the snapshot as not-collected sections; the rules
    // turn it into NB001 findings and the verdict into exit 3.
    check_snapshot(&snapshot, &args.report)
}
