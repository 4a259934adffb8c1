//! The GitHub Actions reporter: one workflow command per finding
//! (`::error file=…,line=…,col=…,title=…::message`), which GitHub shows as an annotation on
//! the pull request's changed lines, followed by a one-line summary in the log.
//!
//! Levels follow the SARIF mapping: critical and high → `error`, medium → `warning`, low and
//! info → `notice`. Input errors (lint) come first, as errors on the file. Waived findings
//! are left out. Values are escaped as GitHub's toolkit does (`%`, CR, LF; and `:` `,` in
//! properties), so a message cannot end the command early or inject another.

use std::fmt::Write as _;

use super::Report;
use crate::finding::{Finding, Severity, Status};

pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for error in report.errors {
        let mut properties = vec![format!("file={}", property(&error.path))];
        if let Some(line) = error.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = error.column {
            properties.push(format!("col={column}"));
        }
        properties.push(format!("title={}", property("nobastion: input error")));
        let _ = writeln!(
            out,
            "::error {}::{}",
            properties.join(","),
            data(&error.message)
        );
    }
    for finding in report
        .findings
        .iter()
        .filter(|f| f.status != Status::Waived)
    {
        let _ = writeln!(out, "{}", annotation(finding, report));
    }
    let counts = report.counts_by_severity();
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {}", counts.get(s).copied().unwrap_or(0), s.as_str()))
        .collect();
    let mut summary = format!("nobastion: {}", parts.join(", "));
    let not_assessed = report.count_status(Status::NotAssessed);
    if not_assessed > 0 {
        let _ = write!(summary, "; {not_assessed} not assessed");
    }
    if report.baselined > 0 {
        let _ = write!(summary, "; {} in the baseline, not shown", report.baselined);
    }
    let _ = writeln!(out, "{summary}; {}", report.exit_explanation());
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn annotation(finding: &Finding, report: &Report<'_>) -> String {
    let mut properties = Vec::new();
    if let Some(location) = &finding.location {
        properties.push(format!("file={}", property(&location.path)));
        if let Some(line) = location.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = location.column {
            properties.push(format!("col={column}"));
        }
    }
    let name = report
        .rules
        .iter()
        .find(|r| r.meta.id == finding.rule)
        .map_or("", |r| r.meta.name.as_str());
    let title = if finding.status == Status::NotAssessed {
        format!("{} not assessed", finding.rule)
    } else if name.is_empty() {
        finding.rule.clone()
    } else {
        format!("{} {name}", finding.rule)
    };
    properties.push(format!("title={}", property(&title)));
    let mut message = finding.message.clone();
    if finding.location.is_none() {
        let _ = write!(message, " ({})", finding.resource.display_name());
    }
    format!(
        "::{} {}::{}",
        level(finding.severity),
        properties.join(","),
        data(&message)
    )
}

/// Escaping of a command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "notice");
    }
}
