//! `nobastion schema`: print the JSON Schema of the snapshot format or of the JSON report
//! (kept in docs/ and checked for staleness by the test suite).

use clap::{Args as ClapArgs, ValueEnum};

use super::ExitStatus;
use super::common::write_output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// The snapshot format (docs/snapshot.schema.json).
    Snapshot,
    /// The JSON report of check/scan/lint (docs/findings.schema.json).
    Findings,
}

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Which schema.
    #[arg(value_enum, default_value_t = Which::Snapshot)]
    pub which: Which,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let text = match args.which {
        Which::Snapshot => crate::model::json_schema(),
        Which::Findings => crate::report::json::json_schema(),
    };
    write_output(None, &text)?;
    Ok(ExitStatus::Clean)
}
