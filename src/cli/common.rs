//! Options and plumbing shared by every command that reports findings (`check`, `scan`,
//! `lint`, `evidence`, `diff`, …): rule selection, threshold, format, output file, colour,
//! and the evaluation of a snapshot into an exit status (with an optional baseline, for
//! `lint`).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use clap::{Args, ValueEnum};

use super::ExitStatus;
use crate::baseline::Baseline;
use crate::config::Config;
use crate::finding::Severity;
use crate::model::Snapshot;
use crate::report::{self, Format, InputError, Report};
use crate::rules::engine::{RunResult, Verdict, verdict};
use crate::rules::{Registry, RunOptions, Selection};

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

/// Reporting options, flattened into every reporting command.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rules to run: ALL, a prefix (IAM, LOG0) or ids, comma-separated [default: ALL, or the
    /// config's `select`].
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Rules to skip (same forms as --select); added to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Lowest severity that fails the run (exit 1) [default: low, or the config's `fail-on`].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 0 even when there are findings or gaps (input errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Do not fail with exit 3 when something could not be assessed (NB001 is still reported).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Print counts per rule instead of the individual findings (table); add them (JSON).
    #[arg(long)]
    pub statistics: bool,
    /// Configuration file [default: ./nobastion.toml when it exists].
    #[arg(long, value_name = "FILE", env = "NOBASTION_CONFIG")]
    pub config: Option<PathBuf>,
    /// Colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    text.parse()
}

/// Load the configuration the options point at.
pub fn load_config(args: &ReportArgs) -> anyhow::Result<Config> {
    Ok(Config::discover(args.config.as_deref())?)
}

/// Evaluate a snapshot and write the report; the exit status follows the findings.
pub fn check_snapshot(snapshot: &Snapshot, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let config = load_config(args)?;
    report_snapshot(snapshot, args, &config, &[])
}

/// The options that decide which rules run and what fails the run, without the rendering
/// options: for commands that evaluate a snapshot but write something other than one report
/// (`evidence`, `diff`). The flags and their meaning are those of [`ReportArgs`].
#[derive(Debug, Clone, Default, Args)]
pub struct RuleArgs {
    /// Rules to run: ALL, a prefix (IAM, LOG0) or ids, comma-separated [default: ALL, or the
    /// config's `select`].
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Rules to skip (same forms as --select); added to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Lowest severity that fails the run (exit 1) [default: low, or the config's `fail-on`].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 0 even when there are findings or gaps (input errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Do not fail with exit 3 when something could not be assessed (NB001 is still reported).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Configuration file [default: ./nobastion.toml when it exists].
    #[arg(long, value_name = "FILE", env = "NOBASTION_CONFIG")]
    pub config: Option<PathBuf>,
}

impl RuleArgs {
    pub fn load_config(&self) -> anyhow::Result<Config> {
        Ok(Config::discover(self.config.as_deref())?)
    }

    /// The failure threshold: the flag, else the config's, else low.
    pub fn fail_on(&self, config: &Config) -> Severity {
        self.fail_on.or(config.fail_on).unwrap_or(Severity::Low)
    }
}

impl ReportArgs {
    /// The rule and threshold options, without the rendering ones.
    pub fn rule_args(&self) -> RuleArgs {
        RuleArgs {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            fail_on: self.fail_on,
            exit_zero: self.exit_zero,
            allow_incomplete: self.allow_incomplete,
            config: self.config.clone(),
        }
    }
}

/// A snapshot evaluated: the engine's result, the threshold used and the exit status the run
/// ends with.
pub struct Evaluation {
    pub result: RunResult<'static>,
    pub fail_on: Severity,
    pub status: ExitStatus,
}

/// Evaluate a snapshot with the selection, threshold and configuration the options name;
/// waivers are judged against `today`. Input errors (lint) make the status exit 2.
pub fn evaluate_snapshot(
    snapshot: &Snapshot,
    args: &RuleArgs,
    config: &Config,
    errors: &[InputError],
    today: chrono::NaiveDate,
) -> anyhow::Result<Evaluation> {
    let registry = Registry::builtin().map_err(|e| anyhow!("{e}"))?;
    let mut ignore = config.ignore.clone();
    ignore.extend(args.ignore.iter().cloned());
    let select = args.select.as_deref().or(config.select.as_deref());
    let selection = Selection::new(select, &ignore, registry).map_err(|e| anyhow!(e))?;
    let options = RunOptions {
        config,
        selection: &selection,
        today,
    };
    let result = crate::rules::run(registry, snapshot, &options);

    let fail_on = args.fail_on(config);
    let status = exit_status(&result.findings, args, config, errors);
    Ok(Evaluation {
        result,
        fail_on,
        status,
    })
}

/// The exit status for a list of findings: 2 with input errors, else the verdict.
fn exit_status(
    findings: &[crate::finding::Finding],
    args: &RuleArgs,
    config: &Config,
    errors: &[InputError],
) -> ExitStatus {
    let allow_incomplete = args.allow_incomplete || config.allow_incomplete;
    if !errors.is_empty() {
        ExitStatus::Error
    } else if args.exit_zero {
        ExitStatus::Clean
    } else {
        match verdict(findings, args.fail_on(config), allow_incomplete) {
            Verdict::Clean => ExitStatus::Clean,
            Verdict::Findings => ExitStatus::Findings,
            Verdict::Incomplete => ExitStatus::Incomplete,
        }
    }
}

/// Evaluate a snapshot, add input errors (lint), write the report and return the status.
pub fn report_snapshot(
    snapshot: &Snapshot,
    args: &ReportArgs,
    config: &Config,
    errors: &[InputError],
) -> anyhow::Result<ExitStatus> {
    report_snapshot_with(snapshot, args, config, errors, &Extras::default())
}

/// What a reporting command may add between evaluating the rules and rendering the report.
#[derive(Default)]
pub struct Extras<'a> {
    /// Write the complete JSON report here (before the baseline is applied), to serve as the
    /// next run's baseline.
    pub write_baseline: Option<&'a Path>,
    /// Leave out, and do not fail on, findings this baseline already has.
    pub baseline: Option<&'a Baseline>,
}

/// [`report_snapshot`] with a baseline to write and/or apply.
pub fn report_snapshot_with(
    snapshot: &Snapshot,
    args: &ReportArgs,
    config: &Config,
    errors: &[InputError],
    extras: &Extras<'_>,
) -> anyhow::Result<ExitStatus> {
    let today = chrono::Utc::now().date_naive();
    let rule_args = args.rule_args();
    let Evaluation {
        mut result,
        fail_on,
        mut status,
    } = evaluate_snapshot(snapshot, &rule_args, config, errors, today)?;
    if let Some(path) = extras.write_baseline {
        let complete = Report {
            findings: &result.findings,
            rules: &result.rules,
            errors,
            fail_on,
            exit_code: status as u8,
            statistics: false,
            baselined: 0,
        };
        let text = report::render(Format::Json, &complete, false);
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the baseline {}", path.display()))?;
    }
    let mut baselined = 0;
    if let Some(baseline) = extras.baseline {
        baselined = baseline.apply(&mut result.findings);
        status = exit_status(&result.findings, &rule_args, config, errors);
    }
    let report = Report {
        findings: &result.findings,
        rules: &result.rules,
        errors,
        fail_on,
        exit_code: status as u8,
        statistics: args.statistics,
        baselined,
    };
    let color = use_color(args);
    let text = report::render(args.format, &report, color);
    write_output(args.output.as_ref(), &text)?;
    Ok(status)
}

fn use_color(args: &ReportArgs) -> bool {
    match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && args.format == Format::Table
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Write to the file, or to standard output. A closed pipe (`| head`) is not an error.
pub fn write_output(path: Option<&PathBuf>, text: &str) -> anyhow::Result<()> {
    if let Some(path) = path {
        return std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Where the state to evaluate comes from, for the commands that take either (`evidence`,
/// `access`): a saved snapshot, or — in builds with the live collector — the AWS account (or
/// organization) of the current credentials, read-only, with the same options as `scan`.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The snapshot to evaluate (written by `nobastion collect`, or by hand). Without it the
    /// AWS account of the current credentials is scanned live (read-only; see the AWS options).
    #[arg(long, short = 's', value_name = "FILE", required = !cfg!(feature = "live"))]
    pub snapshot: Option<PathBuf>,
    #[cfg(feature = "live")]
    #[command(flatten)]
    pub(crate) live: super::collect::LiveArgs,
}

/// What a [`SourceArgs`] resolved to.
#[derive(Debug)]
pub struct Acquired {
    pub snapshot: Snapshot,
    /// The snapshot file's path and bytes, or `None` for a live scan.
    pub file: Option<(PathBuf, Vec<u8>)>,
}

impl Acquired {
    /// How error messages name the source: the file, or the scanned account.
    pub fn describe(&self) -> String {
        match &self.file {
            Some((path, _)) => path.display().to_string(),
            None => "the scanned account".to_owned(),
        }
    }
}

impl SourceArgs {
    /// Read the snapshot file, or collect the account live.
    pub fn acquire(&self) -> anyhow::Result<Acquired> {
        if let Some(path) = &self.snapshot {
            #[cfg(feature = "live")]
            {
                let given = self.live.targets_given();
                if !given.is_empty() {
                    let (options, verb) = match given.as_slice() {
                        [one] => ((*one).to_owned(), "chooses"),
                        many => (many.join(", "), "choose"),
                    };
                    anyhow::bail!(
                        "{options} {verb} what to scan live; it cannot be combined with \
                         --snapshot {} (drop one or the other)",
                        path.display()
                    );
                }
            }
            let bytes =
                std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| anyhow!("{}: not UTF-8 text; expected a snapshot", path.display()))?;
            let snapshot = Snapshot::from_json(text, &path.display().to_string())?;
            return Ok(Acquired {
                snapshot,
                file: Some((path.clone(), bytes)),
            });
        }
        #[cfg(feature = "live")]
        {
            Ok(Acquired {
                snapshot: self.live.collect()?,
                file: None,
            })
        }
        #[cfg(not(feature = "live"))]
        {
            Err(anyhow!(
                "--snapshot FILE is required: this build has no live collector (feature `live`)"
            ))
        }
    }
}
