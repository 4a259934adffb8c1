//! `nobastion lint PATH...`: the CI gate. Reads IAM policy JSON, Terraform plan JSON and
//! CloudFormation templates (files, or directories searched recursively), builds one
//! snapshot from them (`crate::ingest`), runs the rules and reports findings that point at
//! the file, line and column of the offending statement, rule or resource.
//!
//! Files that cannot be read are reported as input errors (exit code 2) while the others are
//! still linted. `--baseline` reports and fails only on findings that are not in a previous
//! report; `--write-baseline` writes one.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args as ClapArgs;

use super::ExitStatus;
use super::common::{Extras, ReportArgs, load_config, report_snapshot_with, write_output};
use crate::baseline::Baseline;
use crate::ingest::{FileOutcome, NOT_AN_INPUT, WalkOptions, ingest_paths};

#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Kinds are detected from content: IAM policy documents (bare, \
get-policy-version, get-account-authorization-details), `terraform show -json PLANFILE` \
output and CloudFormation templates (JSON or YAML). See docs/lint.md."
)]
pub struct Args {
    /// Files or directories to lint; directories are searched recursively (hidden entries
    /// such as .git and .terraform are skipped).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only read files found in directories that match GLOB (a name such as `*.json`, or a
    /// path below the directory such as `iam/**/*.json`). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files and directories that match GLOB. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// A previous nobastion JSON or SARIF report: only findings not in it are reported and
    /// fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's complete findings (JSON) to FILE, for use as a later `--baseline`.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Also write the snapshot built from the files (replay it with `check --snapshot`).
    #[arg(long, value_name = "FILE")]
    pub write_snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let config = load_config(&args.report)?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let options = WalkOptions {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    };
    let ingested = ingest_paths(&args.paths, &options)?;
    let errors = ingested.errors();
    if ingested.ingested_count() == 0 && errors.is_empty() {
        let skipped = ingested
            .files
            .iter()
            .filter(|(_, o)| matches!(o, FileOutcome::Skipped(_)))
            .count();
        let shown: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no IAM policy, Terraform plan or CloudFormation template found in {} ({skipped} other file(s) skipped)",
            shown.join(", ")
        );
    }
    note_skipped(&ingested.files);
    if let Some(path) = &args.write_snapshot {
        write_output(Some(path), &ingested.snapshot.to_json_pretty())
            .with_context(|| format!("cannot write the snapshot {}", path.display()))?;
    }
    let extras = Extras {
        write_baseline: args.write_baseline.as_deref(),
        baseline: baseline.as_ref(),
    };
    report_snapshot_with(&ingested.snapshot, &args.report, &config, &errors, &extras)
}

/// JSON and YAML documents found in directories that are not inputs are skipped; say so, so
/// that a policy with a misspelled `Statement` does not pass unnoticed.
fn note_skipped(files: &[(String, FileOutcome)]) {
    let skipped: Vec<&str> = files
        .iter()
        .filter(|(_, o)| matches!(o, FileOutcome::Skipped(reason) if reason == NOT_AN_INPUT))
        .map(|(path, _)| path.as_str())
        .collect();
    if skipped.is_empty() {
        return;
    }
    let shown: Vec<&str> = skipped.iter().take(5).copied().collect();
    let more = if skipped.len() > shown.len() {
        format!(" and {} more", skipped.len() - shown.len())
    } else {
        String::new()
    };
    eprintln!(
        "note: skipped {} JSON/YAML file(s) that are not IAM policies, Terraform plans or CloudFormation templates: {}{more} (name a file on the command line to make this an error)",
        skipped.len(),
        shown.join(", ")
    );
}
