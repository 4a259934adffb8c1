//! The table reporter (comfy-table): findings grouped by severity, one row each (severity,
//! rule, resource, message), waived findings apart, and a summary footer with counts per
//! severity and the exit status. Colour only on a terminal and never with `NO_COLOR`.

use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Report;
use crate::finding::{Finding, Severity, Status};

/// Width used when the output is not a terminal (CI logs, files).
const PLAIN_WIDTH: u16 = 160;

pub fn render(report: &Report<'_>, color: bool) -> String {
    let mut out = String::new();
    for error in report.errors {
        let _ = writeln!(out, "error: {}", error.display());
    }
    if !report.errors.is_empty() {
        out.push('\n');
    }
    if report.statistics {
        out.push_str(&statistics(report, color));
    } else {
        findings_tables(report, color, &mut out);
    }
    out.push_str(&summary(report, color));
    out
}

fn new_table(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty().set_width(PLAIN_WIDTH);
    }
    table
}

fn severity_cell(severity: Severity, color: bool) -> Cell {
    let cell = Cell::new(severity.as_str());
    if !color {
        return cell;
    }
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
        Severity::Info => cell.add_attribute(Attribute::Dim),
    }
}

fn resource_text(finding: &Finding) -> String {
    let r = &finding.resource;
    let mut text = r.address.clone().unwrap_or_else(|| r.id.clone());
    if let Some(location) = &finding.location {
        let _ = write!(text, "\n{}", location.display());
    } else {
        let scope: Vec<&str> = [r.account.as_deref(), r.region.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !scope.is_empty() && r.kind != "account" && r.kind != "region" {
            let _ = write!(text, "\n{}", scope.join("/"));
        } else if r.kind == "region"
            && let Some(account) = &r.account
        {
            let _ = write!(text, "\n{account}");
        }
    }
    text
}

fn findings_tables(report: &Report<'_>, color: bool, out: &mut String) {
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Waived)
        .collect();
    if active.is_empty() {
        out.push_str("No findings.\n");
    }
    for severity in Severity::ALL {
        let group: Vec<&&Finding> = active.iter().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        let heading = format!("{} ({})", severity.as_str().to_uppercase(), group.len());
        let _ = writeln!(out, "{heading}");
        let mut table = new_table(color);
        table.set_header(vec!["Severity", "Rule", "Resource", "Message"]);
        for finding in group {
            let rule = if finding.status == Status::NotAssessed {
                format!("{}\nnot assessed", finding.rule)
            } else {
                finding.rule.clone()
            };
            table.add_row(vec![
                severity_cell(finding.severity, color),
                Cell::new(rule),
                Cell::new(resource_text(finding)),
                Cell::new(&finding.message),
            ]);
        }
        let _ = writeln!(out, "{table}\n");
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(out, "WAIVED ({})", waived.len());
        let mut table = new_table(color);
        table.set_header(vec!["Rule", "Resource", "Message", "Waiver"]);
        for finding in waived {
            let note = finding.waiver.as_ref().map_or_else(String::new, |w| {
                let mut text = w.reason.clone();
                for (label, value) in [
                    ("owner", &w.owner),
                    ("ticket", &w.ticket),
                    ("expires", &w.expires),
                ] {
                    if let Some(value) = value {
                        let _ = write!(text, "\n{label}: {value}");
                    }
                }
                text
            });
            table.add_row(vec![
                Cell::new(&finding.rule),
                Cell::new(resource_text(finding)),
                Cell::new(&finding.message),
                Cell::new(note),
            ]);
        }
        let _ = writeln!(out, "{table}\n");
    }
}

fn statistics(report: &Report<'_>, color: bool) -> String {
    let mut table = new_table(color);
    table.set_header(vec![
        "Rule",
        "Name",
        "Severity",
        "Failed",
        "Not assessed",
        "Waived",
        "Passed",
    ]);
    for row in report.statistics_rows() {
        table.add_row(vec![
            Cell::new(&row.meta.id),
            Cell::new(&row.meta.name),
            severity_cell(row.meta.severity, color),
            Cell::new(row.failed),
            Cell::new(row.not_assessed),
            Cell::new(row.waived),
            Cell::new(row.passed),
        ]);
    }
    format!("{table}\n\n")
}

fn summary(report: &Report<'_>, color: bool) -> String {
    let counts = report.counts_by_severity();
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {}", counts.get(s).copied().unwrap_or(0), s.as_str()))
        .collect();
    let mut line = format!("Summary: {}", parts.join(", "));
    let not_assessed = report.count_status(Status::NotAssessed);
    let waived = report.count_status(Status::Waived);
    if not_assessed > 0 {
        let _ = write!(line, " · {not_assessed} not assessed");
    }
    if waived > 0 {
        let _ = write!(line, " · {waived} waived");
    }
    if report.baselined > 0 {
        let _ = write!(line, " · {} in the baseline (not shown)", report.baselined);
    }
    let _ = write!(line, " · {} rules run", report.rules.len());
    let status = report.exit_explanation();
    if color {
        let code = if report.exit_code == 0 { "32" } else { "31" };
        format!("{line}\n\x1b[{code}m{status}\x1b[0m\n")
    } else {
        format!("{line}\n{status}\n")
    }
}
