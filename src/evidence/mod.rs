//! Pre-audit evidence: the bundle a compliance lead hands to an auditor, and the tools to
//! trust it later.
//!
//! - [`bundle`] writes the bundle (a directory or a zip): the snapshot as evaluated, the
//!   findings as JSON, SARIF and CSV, the HTML and Markdown reports, the rule catalog, the
//!   controls view, the configuration and a manifest of SHA-256 hashes; it also lists and
//!   reads existing bundles.
//! - [`manifest`] is the manifest format; [`signing`] signs it with Ed25519 (`keygen`,
//!   `--sign-key`); [`verify`] recomputes every hash and checks the signature.
//! - [`scope`] records what was assessed (accounts, regions, caller, times, versions);
//!   [`controls`] maps findings to the controls of each compliance framework.
//! - [`diff`] compares two audits (snapshots, bundles or JSON outputs) by fingerprint.
//!
//! The CLI front ends are `src/cli/{evidence,keygen,verify,diff}.rs`; the renderers are
//! `src/report/{html,markdown,csv}.rs`. docs/evidence.md is the user guide.

pub mod bundle;
pub mod controls;
pub mod diff;
pub mod manifest;
pub mod scope;
pub mod signing;
pub mod verify;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::finding::{Finding, ResourceRef, Status};
use crate::report::Report;
use crate::rules::RuleMeta;

pub use controls::{ControlStatus, ControlsView};
pub use scope::Scope;

/// What the HTML and Markdown reports render: a run's findings, where they come from, and
/// what they mean per compliance control.
pub struct ReportView<'a> {
    pub report: &'a Report<'a>,
    /// Absent when rendering a plain `check --format markdown` (no evidence scope).
    pub scope: Option<&'a Scope>,
    pub controls: &'a ControlsView,
    /// Catalog rules that did not run (not selected): their controls are not assessed.
    pub not_run: Vec<&'a RuleMeta>,
    /// When the report was made (recorded once per bundle).
    pub created_at: Option<DateTime<Utc>>,
}

/// One rule's part of a report: what it checked and what it found.
pub struct RuleSection<'a> {
    pub meta: &'a RuleMeta,
    /// Resources that passed.
    pub passed: &'a [ResourceRef],
    /// `(index into the findings, finding)`, unwaived failures and this rule's own
    /// not-assessed findings (NB001).
    pub failing: Vec<(usize, &'a Finding)>,
    pub waived: Vec<(usize, &'a Finding)>,
    /// NB001 findings that name this rule: where it could not decide.
    pub gaps: Vec<(usize, &'a Finding)>,
    /// How many of the rule's judgements were "not assessed".
    pub not_assessed: usize,
}

impl RuleSection<'_> {
    /// Resources judged: passed, failed or waived.
    pub fn checked(&self) -> usize {
        self.passed.len() + self.failing.len() + self.waived.len()
    }
}

impl ReportView<'_> {
    /// The report's title line.
    pub fn title(&self) -> String {
        match self.scope {
            Some(scope) => format!(
                "Session Manager access evidence: {}",
                scope.accounts_label()
            ),
            None => "nobastion findings report".to_owned(),
        }
    }

    /// One section per rule that ran, in id order.
    pub fn rule_sections(&self) -> Vec<RuleSection<'_>> {
        let findings = self.report.findings;
        self.report
            .rules
            .iter()
            .map(|run| {
                let own = findings
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.rule == run.meta.id);
                let (waived, failing): (Vec<_>, Vec<_>) =
                    own.partition(|(_, f)| f.status == Status::Waived);
                let gaps = findings
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| {
                        f.rule == "NB001" && controls::nb001_rules(f).any(|r| r == run.meta.id)
                    })
                    .collect();
                RuleSection {
                    meta: run.meta,
                    passed: &run.passed,
                    failing,
                    waived,
                    gaps,
                    not_assessed: run.not_assessed,
                }
            })
            .collect()
    }

    /// Resources judged by the checks that ran (a resource judged by two rules counts
    /// twice); the engine's own findings (NB001–NB003) judge no resource.
    pub fn judgements(&self) -> usize {
        self.rule_sections()
            .iter()
            .filter(|s| s.meta.implementation != crate::rules::Implementation::Engine)
            .map(RuleSection::checked)
            .sum()
    }
}

/// A finding's resource as a report shows it: the id (or IaC address), then where it is.
pub fn resource_label(finding: &Finding) -> String {
    let r = &finding.resource;
    let name = r.address.clone().unwrap_or_else(|| r.id.clone());
    if let Some(location) = &finding.location {
        return format!("{name} ({})", location.display());
    }
    let scope: Vec<&str> = [r.account.as_deref(), r.region.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    match r.kind.as_str() {
        "account" => format!("account {name}"),
        "region" => match &r.account {
            Some(account) => format!("region {name} ({account})"),
            None => format!("region {name}"),
        },
        _ if scope.is_empty() => name,
        _ => format!("{name} ({})", scope.join("/")),
    }
}

/// A passed resource as a report lists it.
pub fn resource_ref_label(r: &ResourceRef) -> String {
    let name = r.address.as_deref().unwrap_or(&r.id);
    match r.region.as_deref() {
        Some(region) if r.kind != "region" => format!("{name} ({region})"),
        _ => name.to_owned(),
    }
}

/// Why an evidence operation failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    // The I/O error is part of the message, not a `source`: callers print the whole chain,
    // which would repeat it.
    #[error("{path}: cannot {action}: {error}")]
    Io {
        path: String,
        action: &'static str,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: already exists; {hint}")]
    Exists { path: String, hint: &'static str },
}

impl EvidenceError {
    pub(crate) fn io(path: &std::path::Path, action: &'static str, error: std::io::Error) -> Self {
        EvidenceError::Io {
            path: path.display().to_string(),
            action,
            error,
        }
    }

    pub(crate) fn invalid(path: &std::path::Path, message: impl Into<String>) -> Self {
        EvidenceError::Invalid {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A timestamp as the reports and the manifest write it: RFC 3339, UTC, whole seconds.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Compare control ids (and other labels) the way people number them: `5.2 < 5.15`,
/// `AC-2 < AC-17`, `v3.0 5.3 < v5.0 5.3`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut digit = None;
        for (i, c) in s.char_indices() {
            let d = c.is_ascii_digit();
            if digit.is_some_and(|prev| prev != d) {
                out.push((digit.unwrap_or(false), &s[start..i]));
                start = i;
            }
            digit = Some(d);
        }
        if start < s.len() {
            out.push((digit.unwrap_or(false), &s[start..]));
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, sa), (db, sb)) in ca.iter().zip(cb.iter()) {
        let ord = if *da && *db {
            let (ta, tb) = (sa.trim_start_matches('0'), sb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.to_ascii_lowercase().cmp(&sb.to_ascii_lowercase())
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_of_control_ids() {
        let mut ids = vec![
            "8.20", "5.15", "8.2", "AC-17", "AC-2", "v5.0 5.3", "v3.0 5.3", "10.2", "1.3",
        ];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            [
                "1.3", "5.15", "8.2", "8.20", "10.2", "AC-2", "AC-17", "v3.0 5.3", "v5.0 5.3"
            ]
        );
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
