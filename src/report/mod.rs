//! Reporters: render a run's findings for people (table), machines (JSON), code scanning
//! (SARIF 2.1.0 and GitHub Actions annotations), spreadsheets (CSV) and wikis or tickets
//! (Markdown). All reporters take the same [`Report`]; `--format` chooses. The HTML report
//! (and the Markdown one, with its scope) is part of the evidence bundle
//! (`crate::evidence`).

pub mod csv;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;

use std::collections::BTreeMap;

use crate::finding::{Finding, Severity, Status};
use crate::rules::{RuleMeta, RuleRun};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people, grouped by severity.
    Table,
    /// nobastion's JSON document (docs/output.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// Markdown: summary, controls per framework and findings by rule, for wikis and tickets.
    Markdown,
    /// CSV: one row per finding, for spreadsheets.
    Csv,
    /// GitHub Actions workflow annotations (`::error file=…,line=…::…`).
    Github,
}

/// An input that could not be read (lint): reported beside the findings, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputError {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

impl InputError {
    pub fn display(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}: {}", self.path, self.message),
            (Some(l), None) => format!("{}:{l}: {}", self.path, self.message),
            _ => format!("{}: {}", self.path, self.message),
        }
    }
}

/// Everything a reporter needs.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub rules: &'a [RuleRun<'a>],
    /// Input errors (lint), reported with the findings.
    pub errors: &'a [InputError],
    /// The failure threshold, for the summary.
    pub fail_on: Severity,
    /// The exit code the run ends with.
    pub exit_code: u8,
    /// Print per-rule counts (`--statistics`).
    pub statistics: bool,
    /// Findings left out because a baseline already has them (`lint --baseline`).
    pub baselined: usize,
}

impl Report<'_> {
    /// Findings that count (failures and not-assessed), per severity.
    pub fn counts_by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut counts: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
        for finding in self.findings.iter().filter(|f| f.status != Status::Waived) {
            *counts.entry(finding.severity).or_default() += 1;
        }
        counts
    }

    pub fn count_status(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// Per-rule statistics: (rule metadata, failing, not assessed (as NB001 members),
    /// waived, passed).
    pub fn statistics_rows(&self) -> Vec<StatisticsRow<'_>> {
        self.rules
            .iter()
            .map(|run| {
                let own = self.findings.iter().filter(|f| f.rule == run.meta.id);
                let (mut failed, mut waived) = (0, 0);
                for f in own {
                    match f.status {
                        Status::Waived => waived += 1,
                        _ => failed += 1,
                    }
                }
                StatisticsRow {
                    meta: run.meta,
                    failed,
                    waived,
                    not_assessed: run.not_assessed,
                    passed: run.passed.len(),
                }
            })
            .collect()
    }

    /// A one-line explanation of the exit code.
    pub fn exit_explanation(&self) -> String {
        match self.exit_code {
            0 => format!("exit 0: nothing at or above {}", self.fail_on),
            1 => format!("exit 1: findings at or above {}", self.fail_on),
            2 => "exit 2: some inputs could not be read".to_owned(),
            3 => "exit 3: incomplete, some checks could not be assessed (NB001); --allow-incomplete accepts that".to_owned(),
            other => format!("exit {other}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatisticsRow<'a> {
    pub meta: &'a RuleMeta,
    pub failed: usize,
    pub waived: usize,
    pub not_assessed: usize,
    pub passed: usize,
}

/// Tool identity used by every machine-readable format.
pub const TOOL_NAME: &str = "nobastion";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The public documentation page of a rule.
pub fn help_uri(id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/docs/rules/{id}.md")
}

pub fn render(format: Format, report: &Report<'_>, color: bool) -> String {
    match format {
        Format::Table => table::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Markdown => markdown::render_report(report),
        Format::Csv => csv::render(report),
        Format::Github => github::render(report),
    }
}
