//! `nobastion diff OLD NEW`: drift between two audits. Findings are matched by fingerprint
//! (stable for the same rule, resource and subject) and sorted into
//! - **new**: in NEW only;
//! - **resolved**: in OLD only, and NEW did assess them;
//! - **not re-assessed**: in OLD only, but NEW could not have reported them: the rule did not
//!   run in NEW, or an NB001 finding of NEW says the rule could not be assessed for that
//!   resource, region or account. Counting those as resolved would be a silent pass;
//! - **unchanged**: in both (a change of status or severity is shown).
//!
//! OLD and NEW may each be a snapshot (evaluated by the CLI with the same rules and
//! configuration), an evidence bundle (directory or zip: its findings.json and rules.json),
//! or a nobastion JSON output (`check --format json`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::{Deserialize, Serialize};

use super::EvidenceError;
use super::bundle::{self, FINDINGS_JSON, RULES};
use super::controls::nb001_rules;
use crate::finding::{Finding, Severity, Status};
use crate::model::Snapshot;
use crate::report::markdown::cell as md;

/// What kind of input a side of the diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Snapshot,
    Bundle,
    FindingsJson,
}

/// One side of the diff, as findings.
#[derive(Debug, Clone, Serialize)]
pub struct FindingSet {
    pub path: String,
    pub kind: InputKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_version: Option<String>,
    /// Rules that ran, when the input says (bundles, snapshots, JSON with statistics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_run: Option<BTreeSet<String>>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// A loaded input: findings already, or a snapshot the caller evaluates.
pub enum Loaded {
    Snapshot(Box<Snapshot>),
    Findings(FindingSet),
}

#[derive(Deserialize)]
struct OutputTool {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    catalog_version: Option<String>,
}

#[derive(Deserialize)]
struct OutputStatistics {
    rule: String,
}

/// The parts of a JSON output (or a bundle's findings.json) that diff reads.
#[derive(Deserialize)]
struct OutputDocument {
    #[serde(default)]
    tool: Option<OutputTool>,
    findings: Vec<Finding>,
    #[serde(default)]
    statistics: Option<Vec<OutputStatistics>>,
}

#[derive(Deserialize)]
struct RulesEntry {
    id: String,
    #[serde(default)]
    ran: bool,
}

#[derive(Deserialize)]
struct RulesDocument {
    rules: Vec<RulesEntry>,
}

/// Read OLD or NEW.
pub fn load(path: &Path) -> Result<Loaded, EvidenceError> {
    if bundle::is_bundle(path) {
        return load_bundle(path).map(Loaded::Findings);
    }
    if path.is_dir() {
        return Err(EvidenceError::invalid(
            path,
            "a directory without manifest.json is not an evidence bundle",
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| EvidenceError::io(path, "read", e))?;
    let display = path.display().to_string();
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        EvidenceError::invalid(path, format!("{}:{}: not JSON: {e}", e.line(), e.column()))
    })?;
    if value.get("schema_version").is_some() {
        let snapshot =
            Snapshot::from_json(&text, &display).map_err(|e| EvidenceError::Invalid {
                path: display.clone(),
                message: e.to_string(),
            })?;
        return Ok(Loaded::Snapshot(Box::new(snapshot)));
    }
    if value.get("findings").is_some() {
        return parse_output(&text, &display, InputKind::FindingsJson).map(Loaded::Findings);
    }
    let hint = if value.get("runs").is_some() {
        "SARIF is not supported here; diff the JSON output (`--format json`), a bundle or a snapshot"
    } else {
        "expected a snapshot, an evidence bundle or nobastion's JSON output"
    };
    Err(EvidenceError::invalid(path, hint))
}

fn parse_output(text: &str, path: &str, kind: InputKind) -> Result<FindingSet, EvidenceError> {
    let document: OutputDocument =
        serde_json::from_str(text).map_err(|e| EvidenceError::Invalid {
            path: path.to_owned(),
            message: format!(
                "{}:{}: not a nobastion findings document: {e}",
                e.line(),
                e.column()
            ),
        })?;
    let tool = document.tool;
    Ok(FindingSet {
        path: path.to_owned(),
        kind,
        tool_version: tool.as_ref().and_then(|t| t.version.clone()),
        catalog_version: tool.and_then(|t| t.catalog_version),
        rules_run: document
            .statistics
            .map(|s| s.into_iter().map(|r| r.rule).collect()),
        findings: document.findings,
    })
}

fn load_bundle(path: &Path) -> Result<FindingSet, EvidenceError> {
    let display = path.display().to_string();
    let findings = bundle::read_member(path, FINDINGS_JSON)?.ok_or_else(|| {
        EvidenceError::invalid(path, format!("the bundle has no {FINDINGS_JSON}"))
    })?;
    let text = String::from_utf8(findings)
        .map_err(|_| EvidenceError::invalid(path, format!("{FINDINGS_JSON} is not UTF-8")))?;
    let mut set = parse_output(
        &text,
        &format!("{display}/{FINDINGS_JSON}"),
        InputKind::Bundle,
    )?;
    set.path = display;
    if let Some(rules) = bundle::read_member(path, RULES)? {
        let rules: RulesDocument = serde_json::from_slice(&rules).map_err(|e| {
            EvidenceError::invalid(path, format!("{RULES}:{}:{}: {e}", e.line(), e.column()))
        })?;
        set.rules_run = Some(
            rules
                .rules
                .into_iter()
                .filter(|r| r.ran)
                .map(|r| r.id)
                .collect(),
        );
    }
    Ok(set)
}

/// A finding present on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Unchanged {
    #[serde(flatten)]
    pub finding: Finding,
    /// Status in OLD, when it differs (e.g. a waiver expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<Severity>,
}

/// An OLD finding NEW could not have reported.
#[derive(Debug, Clone, Serialize)]
pub struct NotReassessed {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftSummary {
    pub new: usize,
    pub resolved: usize,
    pub not_reassessed: usize,
    pub unchanged: usize,
    pub fail_on: Severity,
    /// New findings at or above `fail_on` (waived ones excluded).
    pub new_at_or_above: usize,
    pub exit_code: u8,
}

/// The drift between two audits.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub old: FindingSet,
    pub new: FindingSet,
    /// Things a reader should know before trusting the numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub summary: DriftSummary,
    pub new_findings: Vec<Finding>,
    pub resolved: Vec<Finding>,
    pub not_reassessed: Vec<NotReassessed>,
    pub unchanged: Vec<Unchanged>,
}

/// Whether an NB001 finding of NEW covers `finding`'s rule at its resource, region or
/// account.
fn gap_covers(gap: &Finding, finding: &Finding) -> bool {
    if gap.rule != "NB001" || !nb001_rules(gap).any(|r| r == finding.rule) {
        return false;
    }
    let (g, r) = (&gap.resource, &finding.resource);
    let same_account = g.account.is_none() || g.account == r.account;
    match g.kind.as_str() {
        "account" => same_account,
        "region" => same_account && g.region == r.region,
        _ => {
            same_account
                && g.region == r.region
                && g.kind == r.kind
                && g.id == r.id
                && (g.address.is_none() || g.address == r.address)
        }
    }
}

/// Compare OLD and NEW. `fail_on` and `allow_incomplete` decide the exit code: 3 when some
/// OLD findings could not be re-assessed or NEW has new gaps (unless allowed), else 1 when
/// there are new findings at or above `fail_on`, else 0.
pub fn diff(old: FindingSet, new: FindingSet, fail_on: Severity, allow_incomplete: bool) -> Drift {
    let mut by_fingerprint: BTreeMap<&str, VecDeque<usize>> = BTreeMap::new();
    for (index, finding) in old.findings.iter().enumerate() {
        by_fingerprint
            .entry(finding.fingerprint.as_str())
            .or_default()
            .push_back(index);
    }
    let mut matched = vec![false; old.findings.len()];
    let mut new_findings = Vec::new();
    let mut unchanged = Vec::new();
    for finding in &new.findings {
        let partner = by_fingerprint
            .get_mut(finding.fingerprint.as_str())
            .and_then(VecDeque::pop_front);
        match partner {
            Some(index) => {
                matched[index] = true;
                let before = &old.findings[index];
                unchanged.push(Unchanged {
                    finding: finding.clone(),
                    previous_status: (before.status != finding.status).then_some(before.status),
                    previous_severity: (before.severity != finding.severity)
                        .then_some(before.severity),
                });
            }
            None => new_findings.push(finding.clone()),
        }
    }
    let mut resolved = Vec::new();
    let mut not_reassessed = Vec::new();
    for (finding, _) in old
        .findings
        .iter()
        .zip(&matched)
        .filter(|(_, matched)| !**matched)
    {
        let rule_not_run = new
            .rules_run
            .as_ref()
            .is_some_and(|ran| !ran.contains(&finding.rule));
        if rule_not_run {
            not_reassessed.push(NotReassessed {
                finding: finding.clone(),
                reason: format!("{} did not run in NEW", finding.rule),
            });
        } else if let Some(gap) = new.findings.iter().find(|g| gap_covers(g, finding)) {
            not_reassessed.push(NotReassessed {
                finding: finding.clone(),
                reason: gap.message.clone(),
            });
        } else {
            resolved.push(finding.clone());
        }
    }

    let mut notes = Vec::new();
    if new.rules_run.is_none() {
        notes.push(
            "NEW does not say which rules ran (JSON output without --statistics): a finding of a rule NEW did not run would show as resolved; diff bundles, snapshots or JSON written with --statistics"
                .to_owned(),
        );
    }
    if let (Some(a), Some(b)) = (&old.catalog_version, &new.catalog_version)
        && a != b
    {
        notes.push(format!(
            "the rule catalogs differ (OLD {a}, NEW {b}): some new or resolved findings may come from changed rules rather than from the account"
        ));
    }
    let new_at_or_above = new_findings
        .iter()
        .filter(|f| f.status != Status::Waived && f.severity >= fail_on)
        .count();
    let new_gaps = new_findings.iter().any(|f| f.status == Status::NotAssessed);
    let exit_code = if (!not_reassessed.is_empty() || new_gaps) && !allow_incomplete {
        3
    } else {
        u8::from(new_at_or_above > 0)
    };
    Drift {
        summary: DriftSummary {
            new: new_findings.len(),
            resolved: resolved.len(),
            not_reassessed: not_reassessed.len(),
            unchanged: unchanged.len(),
            fail_on,
            new_at_or_above,
            exit_code,
        },
        old,
        new,
        notes,
        new_findings,
        resolved,
        not_reassessed,
        unchanged,
    }
}

fn resource(finding: &Finding) -> String {
    let r = &finding.resource;
    let mut text = r.address.clone().unwrap_or_else(|| r.id.clone());
    if let Some(location) = &finding.location {
        let _ = write!(text, " ({})", location.display());
    } else {
        let scope: Vec<&str> = [r.account.as_deref(), r.region.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !scope.is_empty() && r.kind != "account" && r.kind != "region" {
            let _ = write!(text, " ({})", scope.join("/"));
        }
    }
    text
}

fn status_text(finding: &Finding) -> String {
    match finding.status {
        Status::Fail => finding.severity.as_str().to_owned(),
        other => format!("{} ({})", finding.severity, other.as_str()),
    }
}

fn exit_text(drift: &Drift) -> String {
    match drift.summary.exit_code {
        0 => format!(
            "exit 0: no new findings at or above {}",
            drift.summary.fail_on
        ),
        1 => format!(
            "exit 1: {} new finding(s) at or above {}",
            drift.summary.new_at_or_above, drift.summary.fail_on
        ),
        _ => "exit 3: incomplete, NEW could not re-assess some findings or has new gaps (NB001); --allow-incomplete accepts that".to_owned(),
    }
}

/// The drift as tables for people.
pub fn render_table(drift: &Drift, show_unchanged: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "OLD: {} ({})\nNEW: {} ({})\n",
        drift.old.path,
        kind_label(drift.old.kind),
        drift.new.path,
        kind_label(drift.new.kind)
    );
    for note in &drift.notes {
        let _ = writeln!(out, "note: {note}\n");
    }
    let table = |rows: Vec<[String; 4]>, last: &str| {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .force_no_tty()
            .set_width(160)
            .set_header(vec!["Severity", "Rule", "Resource", last]);
        for row in rows {
            table.add_row(row.to_vec());
        }
        format!("{table}\n\n")
    };
    let finding_rows = |findings: &mut dyn Iterator<Item = &Finding>| -> Vec<[String; 4]> {
        findings
            .map(|f| {
                [
                    status_text(f),
                    f.rule.clone(),
                    resource(f),
                    f.message.clone(),
                ]
            })
            .collect()
    };
    let _ = writeln!(out, "NEW ({})", drift.new_findings.len());
    if !drift.new_findings.is_empty() {
        out.push_str(&table(
            finding_rows(&mut drift.new_findings.iter()),
            "Message",
        ));
    }
    let _ = writeln!(out, "RESOLVED ({})", drift.resolved.len());
    if !drift.resolved.is_empty() {
        out.push_str(&table(finding_rows(&mut drift.resolved.iter()), "Message"));
    }
    if !drift.not_reassessed.is_empty() {
        let _ = writeln!(
            out,
            "NOT RE-ASSESSED ({}): in OLD, and NEW could not have reported them",
            drift.not_reassessed.len()
        );
        let rows = drift
            .not_reassessed
            .iter()
            .map(|n| {
                [
                    status_text(&n.finding),
                    n.finding.rule.clone(),
                    resource(&n.finding),
                    n.reason.clone(),
                ]
            })
            .collect();
        out.push_str(&table(rows, "Why"));
    }
    let _ = writeln!(out, "UNCHANGED ({})", drift.unchanged.len());
    let changed: Vec<&Unchanged> = drift
        .unchanged
        .iter()
        .filter(|u| show_unchanged || u.previous_status.is_some() || u.previous_severity.is_some())
        .collect();
    if !changed.is_empty() {
        let rows = changed
            .iter()
            .map(|u| {
                [
                    status_text(&u.finding),
                    u.finding.rule.clone(),
                    resource(&u.finding),
                    change_text(u),
                ]
            })
            .collect();
        out.push_str(&table(rows, "Change"));
    }
    let _ = writeln!(
        out,
        "Drift: {} new, {} resolved, {} not re-assessed, {} unchanged\n{}",
        drift.summary.new,
        drift.summary.resolved,
        drift.summary.not_reassessed,
        drift.summary.unchanged,
        exit_text(drift)
    );
    out
}

fn change_text(u: &Unchanged) -> String {
    let mut parts = Vec::new();
    if let Some(before) = u.previous_status {
        parts.push(format!(
            "status {} → {}",
            before.as_str(),
            u.finding.status.as_str()
        ));
    }
    if let Some(before) = u.previous_severity {
        parts.push(format!("severity {before} → {}", u.finding.severity));
    }
    if parts.is_empty() {
        u.finding.message.clone()
    } else {
        parts.join("; ")
    }
}

fn kind_label(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Snapshot => "snapshot, evaluated now",
        InputKind::Bundle => "evidence bundle",
        InputKind::FindingsJson => "JSON findings",
    }
}

/// The drift as one JSON document.
pub fn render_json(drift: &Drift) -> String {
    let mut text = serde_json::to_string_pretty(drift).unwrap_or_default();
    text.push('\n');
    text
}

/// The drift in Markdown, for tickets and wikis.
pub fn render_markdown(drift: &Drift, show_unchanged: bool) -> String {
    let mut out = String::from("# nobastion drift report\n\n");
    let _ = writeln!(
        out,
        "| | Input | Kind |\n|---|---|---|\n| OLD | {} | {} |\n| NEW | {} | {} |\n",
        md(&drift.old.path),
        kind_label(drift.old.kind),
        md(&drift.new.path),
        kind_label(drift.new.kind)
    );
    for note in &drift.notes {
        let _ = writeln!(out, "> **Note:** {}\n", md(note));
    }
    let _ = writeln!(
        out,
        "**{} new, {} resolved, {} not re-assessed, {} unchanged.** {}\n",
        drift.summary.new,
        drift.summary.resolved,
        drift.summary.not_reassessed,
        drift.summary.unchanged,
        md(&exit_text(drift))
    );
    let section = |out: &mut String, title: &str, rows: Vec<[String; 4]>, last: &str| {
        let _ = writeln!(out, "## {title} ({})\n", rows.len());
        if rows.is_empty() {
            out.push_str("None.\n\n");
            return;
        }
        let _ = writeln!(
            out,
            "| Severity | Rule | Resource | {last} |\n|---|---|---|---|"
        );
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    };
    let rows = |findings: &[Finding]| -> Vec<[String; 4]> {
        findings
            .iter()
            .map(|f| {
                [
                    status_text(f),
                    f.rule.clone(),
                    resource(f),
                    f.message.clone(),
                ]
            })
            .collect()
    };
    section(&mut out, "New", rows(&drift.new_findings), "Message");
    section(&mut out, "Resolved", rows(&drift.resolved), "Message");
    if !drift.not_reassessed.is_empty() {
        let list = drift
            .not_reassessed
            .iter()
            .map(|n| {
                [
                    status_text(&n.finding),
                    n.finding.rule.clone(),
                    resource(&n.finding),
                    n.reason.clone(),
                ]
            })
            .collect();
        section(&mut out, "Not re-assessed", list, "Why");
    }
    if show_unchanged {
        let list = drift
            .unchanged
            .iter()
            .map(|u| {
                [
                    status_text(&u.finding),
                    u.finding.rule.clone(),
                    resource(&u.finding),
                    change_text(u),
                ]
            })
            .collect();
        section(&mut out, "Unchanged", list, "Message / change");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::ResourceRef;

    fn finding(rule: &str, fp: &str, region: &str, status: Status) -> Finding {
        Finding {
            rule: rule.to_owned(),
            severity: Severity::High,
            status,
            resource: ResourceRef::new("security-group", fp)
                .in_account("111122223333")
                .in_region(region),
            message: format!("{rule} on {fp}"),
            evidence: None,
            location: None,
            fingerprint: fp.to_owned(),
            details: None,
            waiver: None,
        }
    }

    fn set(findings: Vec<Finding>, rules: Option<&[&str]>) -> FindingSet {
        FindingSet {
            path: "x".to_owned(),
            kind: InputKind::FindingsJson,
            tool_version: None,
            catalog_version: None,
            rules_run: rules.map(|r| r.iter().map(|s| (*s).to_owned()).collect()),
            findings,
        }
    }

    #[test]
    fn new_resolved_unchanged_by_fingerprint() {
        let old = set(
            vec![
                finding("NET001", "a", "us-east-1", Status::Fail),
                finding("NET001", "b", "us-east-1", Status::Fail),
            ],
            None,
        );
        let new = set(
            vec![
                finding("NET001", "b", "us-east-1", Status::Waived),
                finding("NET001", "c", "us-east-1", Status::Fail),
            ],
            None,
        );
        let drift = diff(old, new, Severity::Low, false);
        assert_eq!(drift.new_findings[0].fingerprint, "c");
        assert_eq!(drift.resolved[0].fingerprint, "a");
        assert_eq!(drift.unchanged[0].previous_status, Some(Status::Fail));
        assert_eq!(drift.summary.exit_code, 1);
        let drift = diff(set(vec![], None), set(vec![], None), Severity::Low, false);
        assert_eq!(drift.summary.exit_code, 0);
    }

    #[test]
    fn findings_nobody_could_see_are_not_resolved() {
        let old = set(
            vec![
                finding("NET001", "a", "eu-west-1", Status::Fail),
                finding("EC2002", "b", "us-east-1", Status::Fail),
                finding("NET001", "c", "us-east-1", Status::Fail),
            ],
            None,
        );
        let mut gap = finding("NB001", "gap", "eu-west-1", Status::NotAssessed);
        gap.resource = ResourceRef::new("region", "eu-west-1")
            .in_account("111122223333")
            .in_region("eu-west-1");
        gap.details = Some(serde_json::json!({"rules": ["NET001"]}));
        let new = set(vec![gap], Some(&["NET001", "NB001"]));
        let drift = diff(old, new, Severity::Low, false);
        let why: Vec<(&str, &str)> = drift
            .not_reassessed
            .iter()
            .map(|n| (n.finding.fingerprint.as_str(), n.reason.as_str()))
            .collect();
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(
            why.iter()
                .any(|(fp, r)| *fp == "a" && r.contains("NB001 on gap"))
        );
        assert!(
            why.iter()
                .any(|(fp, r)| *fp == "b" && r.contains("did not run"))
        );
        assert_eq!(drift.resolved.len(), 1);
        assert_eq!(drift.resolved[0].fingerprint, "c");
        assert_eq!(drift.summary.exit_code, 3);
    }
}
