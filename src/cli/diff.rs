//! `nobastion diff OLD NEW`: drift between two audits, as a table, JSON or Markdown. OLD and
//! NEW may each be a snapshot (evaluated here with the same rules and configuration), an
//! evidence bundle (directory or zip) or a nobastion JSON output. Exit 0 when nothing new
//! reaches `--fail-on`, 1 when new findings do, 3 when findings of OLD could not be
//! re-assessed in NEW or NEW has new gaps (unless `--allow-incomplete`), 2 on input errors.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::{Args as ClapArgs, ValueEnum};

use super::ExitStatus;
use super::common::{Evaluation, RuleArgs, evaluate_snapshot, write_output};
use crate::config::Config;
use crate::evidence::diff::{self, FindingSet, InputKind, Loaded};
use crate::rules::{Registry, Selection};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The earlier audit: a snapshot, an evidence bundle (directory or zip) or JSON output.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later audit (same kinds).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List unchanged findings too (JSON always has them).
    #[arg(long)]
    pub show_unchanged: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

fn side(
    path: &Path,
    args: &RuleArgs,
    config: &Config,
    selection: &Selection,
) -> anyhow::Result<FindingSet> {
    match diff::load(path)? {
        Loaded::Snapshot(snapshot) => {
            let today = chrono::Utc::now().date_naive();
            let Evaluation { result, .. } = evaluate_snapshot(&snapshot, args, config, &[], today)?;
            Ok(FindingSet {
                path: path.display().to_string(),
                kind: InputKind::Snapshot,
                tool_version: Some(crate::report::TOOL_VERSION.to_owned()),
                catalog_version: Some(crate::rules::catalog_version()),
                rules_run: Some(result.rules.iter().map(|r| r.meta.id.clone()).collect()),
                findings: result.findings,
            })
        }
        Loaded::Findings(mut set) => {
            // Recorded findings get the same selection a snapshot's evaluation would.
            set.findings.retain(|f| selection.is_selected(&f.rule));
            if let Some(ran) = set.rules_run.as_mut() {
                ran.retain(|r| selection.is_selected(r));
            }
            Ok(set)
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let config = args.rules.load_config()?;
    let registry = Registry::builtin().map_err(|e| anyhow!("{e}"))?;
    let mut ignore = config.ignore.clone();
    ignore.extend(args.rules.ignore.iter().cloned());
    let select = args.rules.select.as_deref().or(config.select.as_deref());
    let selection = Selection::new(select, &ignore, registry).map_err(|e| anyhow!(e))?;

    let old = side(&args.old, &args.rules, &config, &selection)?;
    let new = side(&args.new, &args.rules, &config, &selection)?;
    let allow_incomplete = args.rules.allow_incomplete || config.allow_incomplete;
    let drift = diff::diff(old, new, args.rules.fail_on(&config), allow_incomplete);
    let text = match args.format {
        DiffFormat::Table => diff::render_table(&drift, args.show_unchanged),
        DiffFormat::Json => diff::render_json(&drift),
        DiffFormat::Markdown => diff::render_markdown(&drift, args.show_unchanged),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(if args.rules.exit_zero {
        ExitStatus::Clean
    } else {
        match drift.summary.exit_code {
            0 => ExitStatus::Clean,
            1 => ExitStatus::Findings,
            _ => ExitStatus::Incomplete,
        }
    })
}
