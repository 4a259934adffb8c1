//! Findings: what a rule reports about one resource, and the vocabulary around it
//! (severity, status, resource reference, file location, fingerprint).
//!
//! The rules engine produces findings; reporters render them; baselines and `diff` compare
//! them by fingerprint.

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::Origin;

/// Severity scale, ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning's `security-severity` score for this level.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }

    /// SARIF result level: critical/high → error, medium → warning, low/info → note.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}`; expected one of critical, high, medium, low, info"
            )),
        }
    }
}

/// Whether a finding is a failure, could not be decided, or was waived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    NotAssessed,
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::NotAssessed => "not-assessed",
            Status::Waived => "waived",
        }
    }
}

/// The resource a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub struct ResourceRef {
    /// `security-group`, `instance`, `iam-role`, `policy-document`, `region`, …
    pub kind: String,
    /// The resource's id or name (`sg-…`, `i-…`, role name, file path for a policy file).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// For IaC: the Terraform address or CloudFormation logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl ResourceRef {
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        ResourceRef {
            kind: kind.into(),
            id: id.into(),
            ..ResourceRef::default()
        }
    }

    #[must_use]
    pub fn with_arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = Some(arn.into());
        self
    }

    #[must_use]
    pub fn in_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    #[must_use]
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    #[must_use]
    pub fn with_address(mut self, address: Option<String>) -> Self {
        self.address = address;
        self
    }

    /// The most specific human name: address for IaC, else ARN, else id.
    pub fn display_name(&self) -> &str {
        self.address
            .as_deref()
            .or(self.arn.as_deref())
            .unwrap_or(&self.id)
    }
}

/// Where in a file a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    pub fn display(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.path),
            (Some(line), None) => format!("{}:{line}", self.path),
            _ => self.path.clone(),
        }
    }
}

impl From<&Origin> for Location {
    fn from(origin: &Origin) -> Self {
        Location {
            path: origin.path.clone(),
            line: (origin.line > 0).then_some(origin.line),
            column: (origin.column > 0).then_some(origin.column),
        }
    }
}

/// A waiver that covers (or covered) a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WaiverNote {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One reported problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule id (`NET001`).
    pub rule: String,
    pub severity: Severity,
    pub status: Status,
    pub resource: ResourceRef,
    pub message: String,
    /// The part of the snapshot the decision was based on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Value>,
    /// File position, for file inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Stable across runs for the same rule, resource and subject; independent of line
    /// numbers, so baselines survive unrelated edits.
    pub fingerprint: String,
    /// Rule-specific structured details (offending sources, deciding statements, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// The waiver that applies, for waived findings (and for findings whose waiver expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverNote>,
}

/// A fingerprint from the rule id and the parts that identify the finding's subject.
/// Parts are length-prefixed so that `("ab","c")` and `("a","bc")` differ.
pub fn fingerprint(rule: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..16]
        .iter()
        .fold(String::with_capacity(32), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!(
            "severe"
                .parse::<Severity>()
                .unwrap_err()
                .contains("critical, high")
        );
    }

    #[test]
    fn fingerprints_are_stable_and_unambiguous() {
        assert_eq!(
            fingerprint("NET001", &["sg-1", "22"]),
            fingerprint("NET001", &["sg-1", "22"])
        );
        assert_ne!(
            fingerprint("NET001", &["ab", "c"]),
            fingerprint("NET001", &["a", "bc"])
        );
        assert_ne!(
            fingerprint("NET001", &["sg-1"]),
            fingerprint("NET002", &["sg-1"])
        );
        assert_eq!(fingerprint("X", &[]).len(), 32);
    }
}
