//! `nobastion evidence --out DIR|FILE.zip`: evaluate a snapshot and write the pre-audit
//! evidence bundle (snapshot, findings as JSON/SARIF/CSV, HTML and Markdown reports, rule
//! catalog, controls view, configuration, manifest, and with `--sign-key` a signature).
//!
//! The state comes from [`SourceArgs`]: a saved snapshot (`--snapshot`), or a live scan of
//! the account (the options of `scan`) when none is given. Everything after that is
//! independent of where the snapshot came from.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;

use super::ExitStatus;
use super::common::{Evaluation, RuleArgs, SourceArgs, evaluate_snapshot};
use crate::evidence::bundle::{self, Contents, Target};
use crate::evidence::scope::{ConfigFile, Input, Scope};
use crate::evidence::{sha256_hex, signing};
use crate::finding::Status;
use crate::model::Snapshot;
use crate::report::Report;
use crate::rules::Registry;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Where to write the bundle: a new or empty directory, or a file ending in .zip.
    #[arg(long, value_name = "DIR|FILE.zip")]
    pub out: PathBuf,
    /// Sign the manifest with this Ed25519 private key (`nobastion keygen` makes one).
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Replace an earlier bundle at --out (a directory must hold nothing but bundle files).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// The snapshot to evaluate and how to describe where it came from.
pub fn acquire(source: &SourceArgs) -> anyhow::Result<(Snapshot, Input)> {
    let acquired = source.acquire()?;
    let input = match &acquired.file {
        Some((path, bytes)) => Input::SnapshotFile {
            path: path.display().to_string(),
            sha256: sha256_hex(bytes),
        },
        None => Input::Live,
    };
    Ok((acquired.snapshot, input))
}

/// The bundle's creation time: now, or `SOURCE_DATE_EPOCH` (seconds since 1970, the
/// reproducible-builds convention) so that a bundle can be rebuilt byte for byte.
pub fn creation_time() -> anyhow::Result<DateTime<Utc>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) if !text.trim().is_empty() => {
            let seconds: i64 = text.trim().parse().map_err(|_| {
                anyhow!("SOURCE_DATE_EPOCH must be a whole number of seconds, found `{text}`")
            })?;
            DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| anyhow!("SOURCE_DATE_EPOCH `{text}` is out of range"))
        }
        _ => Ok(Utc::now()),
    }
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let created_at = creation_time()?;
    // Read the key first: a typo in its path should not cost a whole scan.
    let key = match &args.sign_key {
        Some(path) => {
            let mut warnings = Vec::new();
            let key = signing::read_signing_key(path, &mut warnings)?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            Some(key)
        }
        None => None,
    };
    let target = Target::from_path(&args.out);
    bundle::check_target(&target, args.force)?;

    let (snapshot, input) = acquire(&args.source)?;
    let config = args.rules.load_config()?;
    let config_bytes = match &config.path {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?)
        }
        None => None,
    };
    let Evaluation {
        result,
        fail_on,
        status,
    } = evaluate_snapshot(
        &snapshot,
        &args.rules,
        &config,
        &[],
        created_at.date_naive(),
    )?;
    let report = Report {
        findings: &result.findings,
        rules: &result.rules,
        errors: &[],
        fail_on,
        exit_code: status as u8,
        statistics: true,
        baselined: 0,
    };
    let config_file = config
        .path
        .as_ref()
        .zip(config_bytes.as_ref())
        .map(|(path, bytes)| ConfigFile {
            path: path.display().to_string(),
            sha256: sha256_hex(bytes),
            bundled_as: bundle::CONFIG.to_owned(),
        });
    let mut scope = Scope::new(
        &snapshot,
        input,
        config_file,
        &result.rules,
        fail_on,
        args.rules.allow_incomplete || config.allow_incomplete,
    );
    let expectations = config.access_expectations.as_deref();
    scope.access_expectations = expectations.map(|e| ConfigFile {
        path: e.path.clone(),
        sha256: sha256_hex(e.text.as_bytes()),
        bundled_as: bundle::EXPECTATIONS.to_owned(),
    });
    let access = crate::access::compute(&snapshot);
    let registry = Registry::builtin().map_err(|e| anyhow!("{e}"))?;
    let built = bundle::build(
        &Contents {
            snapshot: &snapshot,
            report: &report,
            scope: &scope,
            registry,
            created_at,
            config: config_bytes.as_deref(),
            access: Some(&access),
            expectations,
        },
        key.as_ref(),
    );
    bundle::write(&built, &target, args.force)?;

    print_summary(args, &built, key.as_ref(), &report);
    Ok(status)
}

/// What was written, how to check it, and what it found.
fn print_summary(
    args: &Args,
    built: &bundle::Bundle,
    key: Option<&ed25519_dalek::SigningKey>,
    report: &Report<'_>,
) {
    let files = built.all_files().len();
    println!(
        "wrote evidence bundle {} ({files} files)",
        args.out.display()
    );
    println!("manifest sha256: {}", built.manifest_sha256());
    match (key, &args.sign_key) {
        (Some(key), Some(path)) => {
            let public = signing::public_path_for(path);
            let public = if public.is_file() {
                public.display().to_string()
            } else {
                "PUBLIC-KEY".to_owned()
            };
            println!(
                "signed with key {} (check with: nobastion verify {} --pub-key {public})",
                signing::key_id(&key.verifying_key()),
                args.out.display(),
            );
        }
        _ => println!(
            "unsigned: record the manifest sha256 above where the bundle's holder cannot change it, or sign with --sign-key (nobastion keygen)"
        ),
    }
    println!(
        "findings: {} failed, {} not assessed, {} waived; {}",
        report.count_status(Status::Fail),
        report.count_status(Status::NotAssessed),
        report.count_status(Status::Waived),
        report.exit_explanation()
    );
}
