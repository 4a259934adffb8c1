//! CloudWatch Logs log groups and metric filters, and CloudWatch alarms: the session-log
//! destination (LOG005, LOG012, LOG013) and the metric-filter route to alerting (AUD002).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Origin, Unknown};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The KMS key ARN the group is encrypted with; absent means CloudWatch's default
    /// encryption only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Retention in days; absent means logs are kept forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricFilter {
    pub name: String,
    pub log_group_name: String,
    /// The filter pattern as written, e.g. `{ $.eventName = "StartSession" }`.
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricRef {
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alarm {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricRef>,
    #[serde(default = "default_true")]
    pub actions_enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

fn default_true() -> bool {
    true
}
