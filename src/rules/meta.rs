//! Rule metadata: id, name, title, severity, status, rationale, remediation, references and
//! compliance mappings. Read from the rule files in `rules/` (embedded at build time), for
//! both declarative and Rust rules, so every rule is documented the same way and the docs in
//! docs/rules/ are generated from one source.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::Severity;

/// Lifecycle of a rule id. Ids are never reused: a withdrawn rule stays as `removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    Stable,
    Preview,
    Deprecated,
    Removed,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Stable => "stable",
            RuleStatus::Preview => "preview",
            RuleStatus::Deprecated => "deprecated",
            RuleStatus::Removed => "removed",
        }
    }
}

/// How a rule is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Implementation {
    /// JSONPath selection and assertions in the rule file.
    Declarative,
    /// A Rust function in `src/rules/builtin/`.
    Rust,
    /// Produced by the engine itself (NB001–NB003).
    Engine,
}

/// Compliance frameworks findings are mapped to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Framework {
    #[serde(rename = "cis-aws")]
    CisAws,
    #[serde(rename = "aws-fsbp")]
    AwsFsbp,
    #[serde(rename = "nist-800-53")]
    Nist80053,
    #[serde(rename = "iso-27001")]
    Iso27001,
    #[serde(rename = "soc2")]
    Soc2,
    #[serde(rename = "pci-dss")]
    PciDss,
}

impl Framework {
    pub const ALL: [Framework; 6] = [
        Framework::CisAws,
        Framework::AwsFsbp,
        Framework::Nist80053,
        Framework::Iso27001,
        Framework::Soc2,
        Framework::PciDss,
    ];

    /// The key used in rule files and JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Framework::CisAws => "cis-aws",
            Framework::AwsFsbp => "aws-fsbp",
            Framework::Nist80053 => "nist-800-53",
            Framework::Iso27001 => "iso-27001",
            Framework::Soc2 => "soc2",
            Framework::PciDss => "pci-dss",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Framework::CisAws => "CIS AWS Foundations Benchmark",
            Framework::AwsFsbp => "AWS Foundational Security Best Practices",
            Framework::Nist80053 => "NIST SP 800-53 Rev. 5",
            Framework::Iso27001 => "ISO/IEC 27001:2022 Annex A",
            Framework::Soc2 => "SOC 2 Trust Services Criteria",
            Framework::PciDss => "PCI DSS v4.0",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// How to fix what the rule reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// Console steps and AWS CLI commands (Markdown).
    pub console: String,
    /// A Terraform snippet (HCL).
    pub terraform: String,
    /// A CloudFormation snippet (YAML).
    pub cloudformation: String,
}

/// Everything known about a rule except how it checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuleMeta {
    pub id: String,
    /// Kebab-case name of the bad pattern (`ssh-ingress-allowed`).
    pub name: String,
    pub title: String,
    /// Default severity (some rules raise or lower it per finding, e.g. NET001 is critical
    /// for internet sources and high otherwise).
    pub severity: Severity,
    pub status: RuleStatus,
    /// The nobastion version that introduced the rule.
    pub since: String,
    pub implementation: Implementation,
    /// What fails, precisely.
    pub description: String,
    /// Why it matters for bastion-less access.
    pub rationale: String,
    pub remediation: Remediation,
    pub references: Vec<String>,
    /// Controls per framework.
    pub compliance: BTreeMap<Framework, Vec<String>>,
    /// Free-form tags (`network`, `iam`, `logging`, …).
    #[serde(default)]
    pub tags: Vec<String>,
}

impl RuleMeta {
    /// The category prefix (`NET`, `IAM`, `LOG`, `EC2`, `AUD`, `NB`).
    pub fn category(&self) -> &str {
        self.id.trim_end_matches(|c: char| c.is_ascii_digit())
    }
}
