//! Systems Manager parts of the snapshot: session documents (including the Session Manager
//! preferences document `SSM-SessionManagerRunShell`), managed-instance information, document
//! sharing and the account's public-sharing setting.
//!
//! [`SessionInputs::from_content`] normalizes a session document's `inputs` the same way for
//! every source (live API, Terraform, CloudFormation): JSON or YAML content, booleans given
//! as strings, numbers given as strings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Origin, Tags, Unknown};

/// Name of the regional Session Manager preferences document.
pub const PREFERENCES_DOCUMENT: &str = "SSM-SessionManagerRunShell";

/// Who owns a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentOwner {
    /// Created in this account (the API's owner is the account id).
    #[default]
    Account,
    /// Owned by Amazon (`AWS-…`).
    Amazon,
    /// Shared with this account by another account.
    Other,
}

/// An SSM document of interest: session documents (type `Session`) and command documents the
/// rules need to name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SsmDocument {
    pub name: String,
    #[serde(default)]
    pub owner: DocumentOwner,
    /// `Session`, `Command`, `Automation`, …
    #[serde(default = "default_document_type")]
    pub document_type: String,
    /// For session documents: `Standard_Stream`, `Port`, `InteractiveCommands`,
    /// `NonInteractiveCommands`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_type: Option<String>,
    /// The normalized `inputs` of a session document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<SessionInputs>,
    /// Accounts the document is shared with; `all` means public.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<String>,
    /// The document content as parsed (JSON or YAML converted to JSON), kept as evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

fn default_document_type() -> String {
    "Session".to_owned()
}

impl SsmDocument {
    pub fn is_preferences(&self) -> bool {
        self.name == PREFERENCES_DOCUMENT
    }

    pub fn is_public(&self) -> bool {
        self.shared_with
            .iter()
            .any(|a| a.eq_ignore_ascii_case("all"))
    }
}

/// The logging, encryption and shell settings of a session document (the `inputs` block).
/// Field names follow the document's own keys, in snake case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_encryption_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_log_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_encryption_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_streaming_enabled: Option<bool>,
    /// Key for session data encryption (key id, key ARN, alias name or alias ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_default_user: Option<String>,
    /// Minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_session_timeout: Option<u32>,
    /// Minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<u32>,
}

/// A problem found while normalizing document inputs: the field and why it is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub field: String,
    pub reason: String,
}

impl SessionInputs {
    /// Normalize the `inputs` of a session document's content (already parsed from JSON or
    /// YAML). Values of the wrong type are reported as problems (the caller marks the field
    /// unknown) rather than guessed. Empty strings mean "not set", as in the console.
    pub fn from_content(content: &Value) -> (Option<SessionInputs>, Vec<InputProblem>) {
        let Some(inputs) = content.get("inputs").and_then(Value::as_object) else {
            return (None, Vec::new());
        };
        let mut problems = Vec::new();
        let mut text = |key: &str| -> Option<String> {
            match inputs.get(key) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.trim().to_owned()),
                Some(other) => {
                    problems.push(InputProblem {
                        field: snake(key),
                        reason: format!("inputs.{key} is not a string: {other}"),
                    });
                    None
                }
            }
        };
        let s3_bucket_name = text("s3BucketName");
        let s3_key_prefix = text("s3KeyPrefix");
        let cloudwatch_log_group_name = text("cloudWatchLogGroupName");
        let kms_key_id = text("kmsKeyId");
        let run_as_default_user = text("runAsDefaultUser");
        let mut flag = |key: &str| -> Option<bool> {
            match inputs.get(key) {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
                Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(other) => {
                    problems.push(InputProblem {
                        field: snake(key),
                        reason: format!("inputs.{key} is not a boolean: {other}"),
                    });
                    None
                }
            }
        };
        let s3_encryption_enabled = flag("s3EncryptionEnabled");
        let cloudwatch_encryption_enabled = flag("cloudWatchEncryptionEnabled");
        let cloudwatch_streaming_enabled = flag("cloudWatchStreamingEnabled");
        let run_as_enabled = flag("runAsEnabled");
        let mut minutes = |key: &str| -> Option<u32> {
            let value = inputs.get(key)?;
            let parsed = match value {
                Value::Null => return None,
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) if s.trim().is_empty() => return None,
                Value::String(s) => s.trim().parse::<u32>().ok(),
                _ => None,
            };
            if parsed.is_none() {
                problems.push(InputProblem {
                    field: snake(key),
                    reason: format!("inputs.{key} is not a whole number of minutes: {value}"),
                });
            }
            parsed
        };
        let idle_session_timeout = minutes("idleSessionTimeout");
        let max_session_duration = minutes("maxSessionDuration");
        let normalized = SessionInputs {
            s3_bucket_name,
            s3_key_prefix,
            s3_encryption_enabled,
            cloudwatch_log_group_name,
            cloudwatch_encryption_enabled,
            cloudwatch_streaming_enabled,
            kms_key_id,
            run_as_enabled,
            run_as_default_user,
            idle_session_timeout,
            max_session_duration,
        };
        (Some(normalized), problems)
    }
}

/// The session type declared by a session document's content (`sessionType`).
pub fn session_type_of(content: &Value) -> Option<String> {
    content
        .get("sessionType")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `s3BucketName` → `s3_bucket_name`; `cloudWatchLogGroupName` → `cloudwatch_log_group_name`.
fn snake(key: &str) -> String {
    let key = key.replace("cloudWatch", "cloudwatch");
    let mut out = String::with_capacity(key.len() + 4);
    for ch in key.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    format!("inputs.{out}")
}

/// Managed-instance information (`DescribeInstanceInformation`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManagedInstance {
    /// `i-…` for EC2 instances, `mi-…` for hybrid nodes.
    pub instance_id: String,
    /// `Online`, `ConnectionLost`, `Inactive`.
    pub ping_status: String,
    /// `EC2Instance` or `ManagedInstance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl ManagedInstance {
    pub fn is_online(&self) -> bool {
        self.ping_status.eq_ignore_ascii_case("online")
    }
}

/// Account-level SSM settings of a region.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SsmSettings {
    /// Service setting `/ssm/documents/console/public-sharing-permission`: `false` when public
    /// sharing of documents is blocked (the setting value `Disable`).
    pub public_sharing_enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalizes_strings_booleans_and_minutes() {
        let content = json!({
            "schemaVersion": "1.0",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": "logs",
                "s3EncryptionEnabled": "true",
                "cloudWatchLogGroupName": "",
                "cloudWatchEncryptionEnabled": false,
                "kmsKeyId": "alias/session",
                "runAsEnabled": "False",
                "idleSessionTimeout": "20",
                "maxSessionDuration": 60
            }
        });
        let (inputs, problems) = SessionInputs::from_content(&content);
        assert!(problems.is_empty(), "{problems:?}");
        let inputs = inputs.unwrap();
        assert_eq!(inputs.s3_bucket_name.as_deref(), Some("logs"));
        assert_eq!(inputs.s3_encryption_enabled, Some(true));
        assert_eq!(
            inputs.cloudwatch_log_group_name, None,
            "empty string means not set"
        );
        assert_eq!(inputs.cloudwatch_encryption_enabled, Some(false));
        assert_eq!(inputs.run_as_enabled, Some(false));
        assert_eq!(inputs.idle_session_timeout, Some(20));
        assert_eq!(inputs.max_session_duration, Some(60));
        assert_eq!(
            session_type_of(&content).as_deref(),
            Some("Standard_Stream")
        );
    }

    #[test]
    fn wrong_types_are_problems_not_guesses() {
        let content =
            json!({"inputs": {"s3EncryptionEnabled": "yes", "idleSessionTimeout": "soon"}});
        let (inputs, problems) = SessionInputs::from_content(&content);
        let inputs = inputs.unwrap();
        assert_eq!(inputs.s3_encryption_enabled, None);
        assert_eq!(inputs.idle_session_timeout, None);
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "inputs.s3_encryption_enabled",
                "inputs.idle_session_timeout"
            ]
        );
    }

    #[test]
    fn no_inputs_block() {
        assert_eq!(
            SessionInputs::from_content(&json!({"sessionType": "Port"})).0,
            None
        );
    }
}
