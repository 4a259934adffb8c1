//! The JSON reporter: one document with the tool, the findings, input errors and a summary.
//! Its shape is documented in docs/output.md and described by docs/findings.schema.json.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{INFORMATION_URI, InputError, Report, TOOL_NAME, TOOL_VERSION};
use crate::finding::{Finding, Severity, Status};

/// The JSON output document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    pub tool: Tool,
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<OutputError>,
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Vec<RuleStatistics>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub information_uri: String,
    /// The rule catalog version (changes with any rule file).
    pub catalog_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OutputError {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Findings that count (failures and not-assessed), by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    pub failed: usize,
    pub not_assessed: usize,
    pub waived: usize,
    /// Rules that ran.
    pub rules_run: usize,
    pub fail_on: Severity,
    pub exit_code: u8,
    /// Findings left out because the baseline (`lint --baseline`) already has them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub baselined: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RuleStatistics {
    pub rule: String,
    pub name: String,
    pub failed: usize,
    pub waived: usize,
    pub not_assessed: usize,
    pub passed: usize,
}

pub fn output(report: &Report<'_>) -> Output {
    Output {
        tool: Tool {
            name: TOOL_NAME.to_owned(),
            version: TOOL_VERSION.to_owned(),
            information_uri: INFORMATION_URI.to_owned(),
            catalog_version: crate::rules::catalog_version(),
        },
        findings: report.findings.to_vec(),
        errors: report.errors.iter().map(output_error).collect(),
        summary: Summary {
            by_severity: report.counts_by_severity(),
            failed: report.count_status(Status::Fail),
            not_assessed: report.count_status(Status::NotAssessed),
            waived: report.count_status(Status::Waived),
            rules_run: report.rules.len(),
            fail_on: report.fail_on,
            exit_code: report.exit_code,
            baselined: report.baselined,
        },
        statistics: report.statistics.then(|| {
            report
                .statistics_rows()
                .into_iter()
                .map(|row| RuleStatistics {
                    rule: row.meta.id.clone(),
                    name: row.meta.name.clone(),
                    failed: row.failed,
                    waived: row.waived,
                    not_assessed: row.not_assessed,
                    passed: row.passed,
                })
                .collect()
        }),
    }
}

fn output_error(error: &InputError) -> OutputError {
    OutputError {
        path: error.path.clone(),
        line: error.line,
        column: error.column,
        message: error.message.clone(),
    }
}

pub fn render(report: &Report<'_>) -> String {
    let mut text = serde_json::to_string_pretty(&output(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON Schema of the output document (docs/findings.schema.json).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Output);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
