//! IAM parts of the snapshot: users, groups, roles, managed and inline policies with their
//! documents, attachments, group membership, permission boundaries and instance profiles.
//!
//! Documents are stored decoded (the API returns them URL-encoded; Terraform as strings) as
//! JSON values; the policy engine (`crate::policy`) parses them. For file inputs,
//! [`PolicyDocument::statement_origins`] keeps where each statement is, so a finding can
//! point at the statement's line.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Origin, Tags, Unknown, is_false};

/// A policy document as JSON, with where it (and each statement) came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    pub document: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Origins of the statements, in document order (file inputs only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statement_origins: Vec<Origin>,
}

impl PolicyDocument {
    pub fn new(document: Value) -> Self {
        PolicyDocument {
            document,
            origin: None,
            statement_origins: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicy {
    pub name: String,
    pub document: PolicyDocument,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub arn: String,
    /// The unique id (`AIDA…`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// Names of the groups the user belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_policies: Vec<String>,
    /// ARN of the permissions boundary policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_policies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    pub arn: String,
    /// The unique id (`AROA…`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// The trust policy (who may assume the role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<PolicyDocument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attached_policies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Names of the instance profiles that carry this role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_profiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

impl Role {
    /// Service-linked roles live under `/aws-service-role/`; SCPs do not apply to them and
    /// their policies are AWS's, so findings on them are informational at most.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// Owned by AWS (`arn:aws:iam::aws:policy/…`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub aws_managed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version_id: Option<String>,
    /// The default version's document.
    pub document: PolicyDocument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceProfile {
    pub name: String,
    pub arn: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// Names of the roles in the profile (at most one in practice).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

/// All IAM entities of one account (one `GetAccountAuthorizationDetails`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Customer-managed policies, and the AWS-managed policies that are attached to anything.
    #[serde(default)]
    pub policies: Vec<ManagedPolicy>,
    #[serde(default)]
    pub instance_profiles: Vec<InstanceProfile>,
}

impl Iam {
    pub fn policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.policies.iter().find(|p| p.arn == arn)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The instance profile named by an ARN or name (instances record the ARN; IaC inputs may
    /// only know the name).
    pub fn instance_profile(&self, arn_or_name: &str) -> Option<&InstanceProfile> {
        self.instance_profiles
            .iter()
            .find(|p| p.arn == arn_or_name || p.name == arn_or_name)
    }
}

fn default_path() -> String {
    "/".to_owned()
}

/// Service control policies that apply to an account, one level per organization node from
/// the root down to the account itself. Every level must allow an action.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_account_id: Option<String>,
    /// Root first, then each OU on the path, then the account.
    #[serde(default)]
    pub scp_levels: Vec<ScpLevel>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScpLevel {
    /// `r-…`, `ou-…` or the account id.
    pub target_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    #[serde(default)]
    pub policies: Vec<Scp>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scp {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub document: PolicyDocument,
}
