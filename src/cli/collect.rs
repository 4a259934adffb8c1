//! `nobastion collect`: read a live AWS account (or organization) and write the Snapshot —
//! for later replay with `check --snapshot`, for diffing, or as audit evidence.
//!
//! Also home of [`LiveArgs`], the options every live command shares (credentials, regions,
//! organization, concurrency, verbosity), which `scan` flattens into its own arguments.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::ExitStatus;
use crate::collect::{
    AwsOptions, CollectOptions, Collection, OrgOptions, RegionChoice, ReportMode, Reporter,
};
use crate::model::Snapshot;

/// Options shared by the live commands (`collect`, `scan`).
#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    /// Named profile from the AWS config files (SSO profiles included); default: the standard
    /// credential chain (environment, `AWS_PROFILE`, web identity, container, instance metadata).
    #[arg(long, value_name = "NAME", help_heading = "AWS")]
    profile: Option<String>,
    /// Home region for STS, IAM, S3 and Organizations calls; also the region scanned unless
    /// --regions or --all-regions says otherwise. Default: `AWS_REGION` or the profile's region.
    #[arg(long, value_name = "REGION", help_heading = "AWS")]
    region: Option<String>,
    /// Regions to scan, comma-separated.
    #[arg(
        long,
        value_name = "REGION,...",
        value_delimiter = ',',
        conflicts_with = "all_regions",
        help_heading = "AWS"
    )]
    regions: Vec<String>,
    /// Scan every region enabled in the account (ec2:DescribeRegions).
    #[arg(long, help_heading = "AWS")]
    all_regions: bool,
    /// Scan every active account of the AWS Organization by assuming this role in each
    /// (run from the management account or a delegated administrator).
    #[arg(long, value_name = "ROLE_NAME", help_heading = "Organization")]
    org_role: Option<String>,
    /// External id to pass when assuming --org-role.
    #[arg(
        long,
        value_name = "ID",
        requires = "org_role",
        help_heading = "Organization"
    )]
    external_id: Option<String>,
    /// Only these member accounts, comma-separated (with --org-role).
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        requires = "org_role",
        help_heading = "Organization"
    )]
    accounts: Vec<String>,
    /// How many account-regions are read at the same time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=128), help_heading = "Collection")]
    concurrency: u16,
    /// Attempts per API call (adaptive retry with backoff) before a throttled or failing call
    /// is reported as not assessed.
    #[arg(long, value_name = "N", env = "AWS_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50), help_heading = "Collection")]
    max_attempts: u32,
    /// Print nothing on stderr but errors: no progress bar, no summary.
    #[arg(short, long, conflicts_with = "verbose", help_heading = "Collection")]
    quiet: bool,
    /// Log every AWS API call (operation, account, region, status; never credentials) and a
    /// summary with the call count on stderr.
    #[arg(short, long, help_heading = "Collection")]
    verbose: bool,
}

impl LiveArgs {
    fn options(&self) -> anyhow::Result<CollectOptions> {
        for region in self.region.iter().chain(&self.regions) {
            anyhow::ensure!(
                is_region_name(region),
                "`{region}` is not an AWS region name (expected something like eu-west-1)"
            );
        }
        for account in &self.accounts {
            anyhow::ensure!(
                account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                "`{account}` in --accounts is not a 12-digit AWS account id"
            );
        }
        if let Some(role) = &self.org_role {
            anyhow::ensure!(
                !role.is_empty()
                    && !role.starts_with("arn:")
                    && role
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)),
                "--org-role takes a role name (e.g. OrganizationAccountAccessRole), not `{role}`"
            );
        }
        let regions = if self.all_regions {
            RegionChoice::All
        } else if self.regions.is_empty() {
            RegionChoice::Home
        } else {
            RegionChoice::List(self.regions.clone())
        };
        Ok(CollectOptions {
            aws: AwsOptions {
                profile: self.profile.clone(),
                region: self.region.clone(),
                max_attempts: self.max_attempts,
            },
            regions,
            org: self.org_role.as_ref().map(|role| OrgOptions {
                role_name: role.clone(),
                external_id: self.external_id.clone(),
                accounts: self.accounts.clone(),
            }),
            concurrency: usize::from(self.concurrency),
        })
    }

    /// The options that choose what to scan, as given on the command line (for commands where
    /// they conflict with `--snapshot`).
    pub(crate) fn targets_given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.profile.is_some() {
            given.push("--profile");
        }
        if self.region.is_some() {
            given.push("--region");
        }
        if !self.regions.is_empty() {
            given.push("--regions");
        }
        if self.all_regions {
            given.push("--all-regions");
        }
        if self.org_role.is_some() {
            given.push("--org-role");
        }
        given
    }

    fn interactive(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }

    /// Collect, with the progress bar and `-v` log this run asked for, and print the summary.
    pub(crate) fn collect(&self) -> anyhow::Result<Snapshot> {
        let options = self.options()?;
        let reporter = Arc::new(Reporter::new(ReportMode {
            progress_bar: self.interactive(),
            verbose: self.verbose,
        }));
        let started = Instant::now();
        let Collection { snapshot, calls } = crate::collect::collect_blocking(&options, &reporter)
            .context("live collection failed")?;
        if self.verbose || self.interactive() {
            let accounts = snapshot.accounts.len();
            let regions = snapshot.metadata.regions.len();
            let problems = snapshot.metadata.errors.len();
            let mut line = format!(
                "collected {accounts} account(s) x {regions} region(s) in {:.1} s with {} API calls",
                started.elapsed().as_secs_f64(),
                calls.total
            );
            if problems > 0 {
                let _ = write!(
                    line,
                    "; {problems} part(s) could not be collected (listed in the snapshot's metadata.errors)"
                );
            }
            reporter.log(&line);
        }
        if self.verbose {
            for (operation, count) in &calls.by_operation {
                reporter.log(&format!("api calls {operation}: {count}"));
            }
            if let Some(kib) = peak_memory_kib() {
                reporter.log(&format!("peak memory: {kib} KiB"));
            }
        }
        Ok(snapshot)
    }
}

/// `xx-name-N` (with more name parts for `us-gov-west-1`, `ap-southeast-3`, ...).
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Peak resident memory of this process (Linux), for the `-v` summary and the benchmark.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    #[command(flatten)]
    live: LiveArgs,
    /// Write the snapshot to FILE (`-` for standard output).
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    output: PathBuf,
}

pub(crate) fn run(args: &CollectArgs) -> anyhow::Result<ExitStatus> {
    let snapshot = args.live.collect()?;
    let mut text = snapshot.to_json_pretty();
    text.push('\n');
    if args.output.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        if let Err(err) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(err).context("cannot write the snapshot to standard output");
            }
        }
    } else {
        std::fs::write(&args.output, text)
            .with_context(|| format!("cannot write the snapshot to {}", args.output.display()))?;
    }
    Ok(if is_complete(&snapshot) {
        ExitStatus::Clean
    } else {
        ExitStatus::Incomplete
    })
}

/// Complete when nothing failed to be collected.
pub(crate) fn is_complete(snapshot: &Snapshot) -> bool {
    snapshot.metadata.errors.is_empty()
        && snapshot.accounts.iter().all(|a| {
            a.not_collected.is_none() && a.regions.iter().all(|r| r.not_collected.is_none())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-3",
            "il-central-1",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "useast1",
            "us--1",
            "eu-west-1a",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
