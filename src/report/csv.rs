//! The CSV reporter: one row per finding (waived and not-assessed included), for
//! spreadsheets. RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a
//! comma, quote or line break. Cells that a spreadsheet would run as a formula (starting
//! with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'`, because resource
//! names and messages come from the scanned account (OWASP "CSV injection").

use std::fmt::Write as _;

use super::Report;
use crate::finding::Finding;

/// The header row, in order.
pub const COLUMNS: [&str; 20] = [
    "rule",
    "title",
    "severity",
    "status",
    "resource_kind",
    "resource_id",
    "resource_arn",
    "account",
    "region",
    "address",
    "location",
    "message",
    "controls",
    "fingerprint",
    "waiver_reason",
    "waiver_owner",
    "waiver_ticket",
    "waiver_expires",
    "evidence",
    "details",
];

pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    push_row(&mut out, COLUMNS.iter().map(|c| (*c).to_owned()));
    for finding in report.findings {
        push_row(&mut out, row(report, finding).into_iter());
    }
    out
}

fn row(report: &Report<'_>, finding: &Finding) -> Vec<String> {
    let meta = report
        .rules
        .iter()
        .find(|r| r.meta.id == finding.rule)
        .map(|r| r.meta);
    let controls = meta.map_or_else(String::new, |m| {
        m.compliance
            .iter()
            .map(|(framework, ids)| format!("{}: {}", framework.key(), ids.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let r = &finding.resource;
    let w = finding.waiver.as_ref();
    let compact = |v: Option<&serde_json::Value>| {
        v.map(|v| serde_json::to_string(v).unwrap_or_default())
            .unwrap_or_default()
    };
    vec![
        finding.rule.clone(),
        meta.map(|m| m.title.clone()).unwrap_or_default(),
        finding.severity.as_str().to_owned(),
        finding.status.as_str().to_owned(),
        r.kind.clone(),
        r.id.clone(),
        r.arn.clone().unwrap_or_default(),
        r.account.clone().unwrap_or_default(),
        r.region.clone().unwrap_or_default(),
        r.address.clone().unwrap_or_default(),
        finding
            .location
            .as_ref()
            .map(crate::finding::Location::display)
            .unwrap_or_default(),
        finding.message.clone(),
        controls,
        finding.fingerprint.clone(),
        w.map(|w| w.reason.clone()).unwrap_or_default(),
        w.and_then(|w| w.owner.clone()).unwrap_or_default(),
        w.and_then(|w| w.ticket.clone()).unwrap_or_default(),
        w.and_then(|w| w.expires.clone()).unwrap_or_default(),
        compact(finding.evidence.as_ref()),
        compact(finding.details.as_ref()),
    ]
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|c| field(&c)).collect();
    let _ = write!(out, "{}\r\n", cells.join(","));
}

/// One field, neutralized and quoted as needed.
pub fn field(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_neutralized() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field(""), "");
    }
}
