//! `nobastion verify BUNDLE [--pub-key FILE]`: recompute every hash of an evidence bundle
//! (directory or zip), name each altered, missing or extra file, and check the manifest's
//! signature with the public key. Exit 0 when everything matches, 1 on any mismatch, 2 when
//! the bundle or key cannot be read.

use std::path::PathBuf;

use clap::{Args as ClapArgs, ValueEnum};

use super::ExitStatus;
use super::common::write_output;
use crate::evidence::{signing, verify};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// One line per file that is not intact, the signature and a verdict.
    Text,
    /// The full result as JSON.
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The bundle: a directory or a zip file written by `nobastion evidence`.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Check the manifest's signature with this Ed25519 public key (PREFIX.pub).
    #[arg(long, value_name = "FILE")]
    pub pub_key: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// List intact files too.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let key = args
        .pub_key
        .as_deref()
        .map(signing::read_verifying_key)
        .transpose()?;
    let verification = verify::verify(&args.bundle, key.as_ref())?;
    let text = match args.format {
        VerifyFormat::Text => verify::render_text(&verification, args.verbose),
        VerifyFormat::Json => {
            let mut text = serde_json::to_string_pretty(&verification)?;
            text.push('\n');
            text
        }
    };
    write_output(None, &text)?;
    Ok(if verification.ok {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}
