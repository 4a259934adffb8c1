//! The SARIF 2.1.0 reporter for code scanning (GitHub and others).
//!
//! - `tool.driver.rules` carries every rule that ran, with short and full descriptions,
//!   Markdown help (the rule's documentation page), `helpUri` and
//!   `properties.security-severity` (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0).
//! - Results map critical/high → `error`, medium → `warning`, low/info → `note`.
//! - File inputs get a physical location (artifact URI, start line and column); account
//!   inputs get a logical location whose fully qualified name is the resource ARN (or id).
//! - Waived findings are left out: GitHub code scanning ignores SARIF suppressions.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{INFORMATION_URI, Report, TOOL_NAME, TOOL_VERSION, help_uri};
use crate::finding::{Finding, Status};
use crate::rules::docs::rule_page;

pub fn render(report: &Report<'_>) -> String {
    let mut text = serde_json::to_string_pretty(&document(report)).unwrap_or_default();
    text.push('\n');
    text
}

pub fn document(report: &Report<'_>) -> Value {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|run| rule_descriptor(run.meta))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Waived)
        .map(|f| result(f, report))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut notification = json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [ { "physicalLocation": physical(&e.path, e.line, e.column) } ],
            });
            if e.line.is_none()
                && let Some(loc) = notification["locations"][0]["physicalLocation"].as_object_mut()
            {
                loc.remove("region");
            }
            notification
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": TOOL_NAME,
                    "version": TOOL_VERSION,
                    "semanticVersion": TOOL_VERSION,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "exitCode": report.exit_code,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn rule_descriptor(meta: &crate::rules::RuleMeta) -> Value {
    let mut tags = vec!["security".to_owned(), meta.category().to_lowercase()];
    tags.extend(meta.tags.iter().cloned());
    tags.dedup();
    let help_text = format!(
        "{}\n\nHow to fix: {}",
        meta.rationale.trim(),
        meta.remediation.console.trim()
    );
    json!({
        "id": meta.id,
        "name": meta.name,
        "shortDescription": { "text": meta.title },
        "fullDescription": { "text": meta.description.trim() },
        "help": { "text": help_text, "markdown": rule_page(meta) },
        "helpUri": help_uri(&meta.id),
        "defaultConfiguration": { "level": meta.severity.sarif_level() },
        "properties": {
            "security-severity": meta.severity.security_severity(),
            "tags": tags,
            "precision": "very-high",
        }
    })
}

fn result(finding: &Finding, report: &Report<'_>) -> Value {
    let index = report.rules.iter().position(|r| r.meta.id == finding.rule);
    let location = match &finding.location {
        Some(loc) => json!({ "physicalLocation": physical(&loc.path, loc.line, loc.column) }),
        None => json!({
            "logicalLocations": [{
                "fullyQualifiedName": finding.resource.arn.as_deref().unwrap_or(finding.resource.display_name()),
                "name": finding.resource.id,
                "kind": "resource",
            }]
        }),
    };
    let mut value = json!({
        "ruleId": finding.rule,
        "level": finding.severity.sarif_level(),
        "message": { "text": finding.message },
        "locations": [location],
        "partialFingerprints": { "nobastion/v1": finding.fingerprint },
        "properties": {
            "severity": finding.severity.as_str(),
            "status": finding.status.as_str(),
            "security-severity": finding.severity.security_severity(),
            "resource": finding.resource,
        }
    });
    if let (Some(index), Some(map)) = (index, value.as_object_mut()) {
        map.insert("ruleIndex".to_owned(), json!(index));
    }
    value
}

fn physical(path: &str, line: Option<u32>, column: Option<u32>) -> Value {
    let mut region = serde_json::Map::new();
    region.insert("startLine".to_owned(), json!(line.unwrap_or(1).max(1)));
    if let Some(column) = column.filter(|c| *c > 0) {
        region.insert("startColumn".to_owned(), json!(column));
    }
    json!({
        "artifactLocation": { "uri": to_uri(path) },
        "region": region,
    })
}

/// A relative file path as a URI reference: forward slashes, reserved characters
/// percent-encoded.
fn to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(to_uri("./infra/main plan.json"), "infra/main%20plan.json");
        assert_eq!(to_uri("a\\b\\c.json"), "a/b/c.json");
        assert_eq!(to_uri("dir/é.json"), "dir/%C3%A9.json");
    }
}
