//! Small types shared by every part of the snapshot: where a resource came from (for IaC
//! findings that point at a file and line), tags, and the set of fields whose value is
//! unknown (Terraform "known after apply", an unresolvable CloudFormation intrinsic, a
//! per-resource API call that failed).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Resource tags: key → value.
pub type Tags = BTreeMap<String, String>;

/// Fields of a resource whose value could not be known, with the reason.
///
/// Keys are the model's field names (`subnet_id`, `encryption`, `ingress[2].ipv4_ranges`).
/// A rule that needs an unknown field reports not-assessed instead of deciding.
pub type Unknown = BTreeMap<String, String>;

/// Where a resource was defined, for inputs that are files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The file, as given on the command line (relative paths stay relative).
    pub path: String,
    /// 1-based line of the element that caused a finding; 0 when unknown.
    #[serde(default)]
    pub line: u32,
    /// 1-based column; 0 when unknown.
    #[serde(default)]
    pub column: u32,
    /// The resource's address in its source: a Terraform address
    /// (`module.net.aws_security_group.web["a"]`) or a CloudFormation logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Origin {
    pub fn new(path: impl Into<String>, line: u32, column: u32) -> Self {
        Origin {
            path: path.into(),
            line,
            column,
            address: None,
        }
    }

    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// `path:line:column` (parts that are unknown are left out).
    pub fn display(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.path.clone(),
            (line, 0) => format!("{}:{line}", self.path),
            (line, column) => format!("{}:{line}:{column}", self.path),
        }
    }
}

/// Whether `unknown` marks `field` (or a part of it, e.g. `ingress[0].from_port` for
/// `ingress`) as unknown; returns the reason.
pub fn unknown_reason<'a>(unknown: &'a Unknown, field: &str) -> Option<&'a str> {
    if let Some(reason) = unknown.get(field) {
        return Some(reason);
    }
    unknown
        .iter()
        .find(|(key, _)| {
            key.strip_prefix(field)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .map(|(_, reason)| reason.as_str())
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_reason_matches_field_and_subfields() {
        let mut unknown = Unknown::new();
        unknown.insert("ingress[1].ipv4_ranges".into(), "known after apply".into());
        assert_eq!(
            unknown_reason(&unknown, "ingress"),
            Some("known after apply")
        );
        assert_eq!(
            unknown_reason(&unknown, "ingress[1].ipv4_ranges"),
            Some("known after apply")
        );
        assert_eq!(unknown_reason(&unknown, "ingress_extra"), None);
        assert_eq!(unknown_reason(&unknown, "egress"), None);
    }

    #[test]
    fn origin_display() {
        assert_eq!(Origin::new("a.json", 3, 7).display(), "a.json:3:7");
        assert_eq!(Origin::new("a.json", 3, 0).display(), "a.json:3");
        assert_eq!(Origin::new("a.json", 0, 0).display(), "a.json");
    }
}
