//! CloudTrail trails and EventBridge rules: the audit trail of session activity (AUD001) and
//! alerting on `StartSession` (AUD002).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Origin, Unknown, is_false};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trail {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_multi_region: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_organization_trail: bool,
    /// `GetTrailStatus.IsLogging`; absent means the status could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_logging: Option<bool>,
    /// Which management events the trail records, normalized from basic or advanced event
    /// selectors: `All`, `WriteOnly`, `ReadOnly`; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_events: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_logs_log_group_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub log_file_validation_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

impl Trail {
    /// Records write management events (`StartSession` is one).
    pub fn records_write_management_events(&self) -> bool {
        matches!(self.management_events.as_deref(), Some("All" | "WriteOnly"))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default = "default_bus")]
    pub event_bus_name: String,
    /// `ENABLED` or `DISABLED` (and the `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` variant).
    #[serde(default = "default_enabled")]
    pub state: String,
    /// The event pattern, parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<EventTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

impl EventRule {
    pub fn is_enabled(&self) -> bool {
        self.state.to_ascii_uppercase().starts_with("ENABLED")
    }
}

fn default_bus() -> String {
    "default".to_owned()
}

fn default_enabled() -> String {
    "ENABLED".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTarget {
    pub id: String,
    pub arn: String,
}
