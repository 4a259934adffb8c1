//! `nobastion access`: who can get a shell on which instance, and how (docs/access.md).
//! Computes the access map of a snapshot (`crate::access`) and renders it
//! (`report::access`): the full matrix, the principals that can reach some instances
//! (`--instance`), or what some principals can reach (`--principal`). With `--expect FILE`
//! (or `[access] expect` in the configuration) every grant the file does not allow is an
//! IAM010 violation.
//!
//! Exit status, as for `check`: 3 when the map is incomplete (something could not be read,
//! or a cell is indeterminate) unless `--allow-incomplete`; 1 when expectations are broken;
//! 0 otherwise; 2 for usage and input errors. `--exit-zero` always exits 0 (errors still 2).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use clap::Args as ClapArgs;

use super::ExitStatus;
use super::common::SourceArgs;
use crate::access::expect::Expectations;
use crate::access::{self, AccessMap, Path};
use crate::config::Config;
use crate::report::access::{AccessFormat, AccessView, Focus, render_to};

fn parse_path(text: &str) -> Result<Path, String> {
    Path::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Path::ALL.iter().map(|p| p.as_str()).collect();
        format!(
            "unknown path `{text}`; expected one of: {}",
            names.join(", ")
        )
    })
}

#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Exit status: 0 complete (and every grant expected); 1 unexpected grants (--expect); \
3 incomplete (not everything could be read, or a grant is indeterminate); 2 error."
)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Show who can reach this instance (id or ARN); repeat for several.
    #[arg(long, value_name = "ID|ARN", conflicts_with = "principal")]
    pub instance: Vec<String>,
    /// Show what this principal can reach (ARN, or a user or role name); repeat for several.
    #[arg(long, value_name = "ARN")]
    pub principal: Vec<String>,
    /// Only these paths, comma-separated: shell, port-forwarding, ssh, interactive-command,
    /// send-command, instance-connect.
    #[arg(long = "path", value_name = "PATH", value_delimiter = ',', value_parser = parse_path)]
    pub paths: Vec<Path>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AccessFormat::Table)]
    pub format: AccessFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Intended access (YAML, docs/access.md): every grant it does not allow is reported
    /// (IAM010) and the run exits 1 [default: the configuration's `[access] expect`].
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Configuration file [default: ./nobastion.toml when it exists].
    #[arg(long, value_name = "FILE", env = "NOBASTION_CONFIG")]
    pub config: Option<PathBuf>,
    /// Do not fail with exit 3 when the map is incomplete (it still says so).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Exit 0 even with unexpected grants or gaps (input errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// JSON: add each cell's per-check explanation (actions, resources, reasons) in the
    /// matrix view too (focused views always have it; large for big accounts).
    #[arg(long)]
    pub explain: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let expectations: Option<Arc<Expectations>> = if let Some(path) = &args.expect {
        Some(Arc::new(Expectations::load(path)?))
    } else {
        Config::discover(args.config.as_deref())?.access_expectations
    };
    let acquired = args.source.acquire()?;
    let map = access::compute(&acquired.snapshot);
    let mut view = select(&map, args, &acquired.describe())?;
    view.explain = args.explain;
    let violations = expectations.as_ref().map(|e| e.violations(&map));
    let definite = violations
        .as_ref()
        .is_some_and(|v| v.iter().any(|v| v.access != access::Access::Indeterminate));
    let status = if args.exit_zero {
        ExitStatus::Clean
    } else if !map.is_complete() && !args.allow_incomplete {
        ExitStatus::Incomplete
    } else if definite {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    };
    view.exit_code = status as u8;
    let file = expectations.as_ref().map(|e| e.path.clone());
    if let (Some(file), Some(list)) = (&file, &violations) {
        view.violations = Some((file.as_str(), list.as_slice()));
    }
    write_output(args.output.as_ref(), args.format, &view)?;
    Ok(status)
}

/// Renders the view straight into the file, or standard output, part by part (a large map's
/// output is never held whole); a closed pipe (`| head`) is not an error.
fn write_output(
    path: Option<&PathBuf>,
    format: AccessFormat,
    view: &AccessView<'_>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(path) = path {
        return std::fs::File::create(path)
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                render_to(format, view, &mut |part: &str| {
                    out.write_all(part.as_bytes())
                })?;
                out.flush()
            })
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let mut out = std::io::stdout().lock();
    match render_to(format, view, &mut |part: &str| {
        out.write_all(part.as_bytes())
    })
    .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// The view the options ask for.
fn select<'m>(map: &'m AccessMap, args: &Args, source: &str) -> anyhow::Result<AccessView<'m>> {
    let mut view = AccessView::full(map);
    if !args.paths.is_empty() {
        view.paths = Path::ALL
            .into_iter()
            .filter(|p| args.paths.contains(p))
            .collect();
    }
    if !args.instance.is_empty() {
        let mut chosen = Vec::new();
        for wanted in &args.instance {
            let found = map
                .instances
                .iter()
                .position(|i| i.id == *wanted || i.arn == *wanted)
                .ok_or_else(|| {
                    anyhow!(
                        "no managed instance `{wanted}` in {source}: it is not in the snapshot, not running, or not online in Systems Manager"
                    )
                })?;
            if !chosen.contains(&found) {
                chosen.push(found);
            }
        }
        view.focus = Focus::Instances;
        view.instances = chosen;
    }
    if !args.principal.is_empty() {
        let mut chosen = Vec::new();
        for wanted in &args.principal {
            let found = if let Some(i) = map.principals.iter().position(|p| p.arn == *wanted) {
                i
            } else {
                let by_name: Vec<usize> = map
                    .principals
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.name == *wanted || p.short() == *wanted)
                    .map(|(i, _)| i)
                    .collect();
                match by_name.as_slice() {
                    [one] => *one,
                    [] => bail!(
                        "no IAM user or role `{wanted}` in {source} (give its ARN, e.g. arn:aws:iam::111122223333:role/ops)"
                    ),
                    many => bail!(
                        "`{wanted}` names {} principals ({}); give the ARN",
                        many.len(),
                        many.iter()
                            .map(|i| map.principals[*i].arn.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            };
            if !chosen.contains(&found) {
                chosen.push(found);
            }
        }
        view.focus = Focus::Principals;
        view.principals = chosen;
    }
    Ok(view)
}
