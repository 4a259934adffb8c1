//! The Snapshot: the normalized, versioned account state every rule reads.
//!
//! Collectors (live AWS) and ingesters (Terraform plans, CloudFormation, IAM JSON) fill it;
//! nothing else knows the shapes of AWS APIs or IaC formats. It serializes to JSON with a
//! `schema_version` so a snapshot can be saved, replayed (`nobastion check --snapshot`),
//! diffed and shipped as evidence. docs/snapshot.md describes it and
//! docs/snapshot.schema.json is generated from these types.
//!
//! Every collection of resources is a [`Section`]: either collected, or not collected with
//! a reason. Rules turn "not collected" into not-assessed findings (NB001), never a pass.

pub mod arn;
pub mod audit;
pub mod common;
pub mod ec2;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod s3;
pub mod section;
pub mod ssm;

use std::path::Path;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use audit::{EventRule, EventTarget, Trail};
pub use common::{Origin, Tags, Unknown, unknown_reason};
pub use ec2::{
    AclAction, EndpointType, GroupReference, Instance, InstanceState, LaunchTemplate, NetworkAcl,
    NetworkAclEntry, PrefixList, Route, RouteTable, SecurityGroup, SecurityGroupRule, Subnet, Vpc,
    VpcEndpoint,
};
pub use iam::{
    Group, Iam, InlinePolicy, InstanceProfile, ManagedPolicy, Organization, PolicyDocument, Role,
    Scp, ScpLevel, User,
};
pub use kms::{KeyManager, KmsKey};
pub use logs::{Alarm, LogGroup, MetricFilter, MetricRef};
pub use s3::{Bucket, BucketEncryption, PublicAccessBlock};
pub use section::{Gap, Section};
pub use ssm::{DocumentOwner, ManagedInstance, SessionInputs, SsmDocument, SsmSettings};

/// The snapshot format version this build reads and writes. Raise it when a change would
/// make an older binary misread a newer snapshot.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole collected state: one or more accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Format version; a snapshot newer than the binary is refused.
    pub schema_version: u32,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            metadata: Metadata::default(),
            accounts: Vec::new(),
        }
    }
}

/// Where the snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Collected from AWS APIs.
    Live,
    /// Built from infrastructure-as-code or policy files.
    Iac,
    /// Written by hand or by another tool.
    #[default]
    Manual,
}

/// How, when and by whom the snapshot was made.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    #[serde(default)]
    pub source: SourceKind,
    /// A partial snapshot only describes what its inputs define (IaC files): rules do not
    /// conclude anything from the absence of a resource ("no trail exists") in it.
    #[serde(default)]
    pub partial: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The nobastion version that wrote the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerIdentity>,
    /// Regions that were collected (or requested).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Input files (IaC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    /// Everything that could not be collected, in one list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CollectionError>,
}

/// `sts:GetCallerIdentity` of the credentials that collected the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_id: String,
}

/// One failed collection step.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub message: String,
}

/// One AWS account: its global parts (IAM, Organizations, S3) and its regions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    #[serde(default = "default_partition")]
    pub partition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Set when nothing at all could be collected for the account (e.g. the organization
    /// role could not be assumed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected: Option<Gap>,
    #[serde(default)]
    pub iam: Section<Iam>,
    /// The account's place in AWS Organizations with the SCPs that apply to it; `null` when
    /// the account is not in an organization.
    #[serde(default)]
    pub organization: Section<Option<Organization>>,
    #[serde(default)]
    pub buckets: Section<Vec<Bucket>>,
    /// The account-level S3 public access block; `null` when none is set.
    #[serde(default)]
    pub s3_public_access_block: Section<Option<PublicAccessBlock>>,
    #[serde(default)]
    pub regions: Vec<Region>,
}

fn default_partition() -> String {
    "aws".to_owned()
}

/// One region of one account.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub name: String,
    /// Set when nothing could be collected in the region (disabled region, no access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected: Option<Gap>,
    #[serde(default)]
    pub vpcs: Section<Vec<Vpc>>,
    #[serde(default)]
    pub subnets: Section<Vec<Subnet>>,
    #[serde(default)]
    pub route_tables: Section<Vec<RouteTable>>,
    #[serde(default)]
    pub security_groups: Section<Vec<SecurityGroup>>,
    #[serde(default)]
    pub network_acls: Section<Vec<NetworkAcl>>,
    #[serde(default)]
    pub prefix_lists: Section<Vec<PrefixList>>,
    #[serde(default)]
    pub instances: Section<Vec<Instance>>,
    #[serde(default)]
    pub launch_templates: Section<Vec<LaunchTemplate>>,
    #[serde(default)]
    pub vpc_endpoints: Section<Vec<VpcEndpoint>>,
    /// Documents owned by the account (any type: AUD003 judges the sharing of all of them;
    /// content and `inputs` are kept for session documents), including the preferences
    /// document `SSM-SessionManagerRunShell` when it exists.
    #[serde(default)]
    pub ssm_documents: Section<Vec<SsmDocument>>,
    #[serde(default)]
    pub managed_instances: Section<Vec<ManagedInstance>>,
    #[serde(default)]
    pub ssm_settings: Section<SsmSettings>,
    #[serde(default)]
    pub kms_keys: Section<Vec<KmsKey>>,
    #[serde(default)]
    pub log_groups: Section<Vec<LogGroup>>,
    #[serde(default)]
    pub metric_filters: Section<Vec<MetricFilter>>,
    #[serde(default)]
    pub alarms: Section<Vec<Alarm>>,
    /// Trails visible in the region (multi-region trails appear in every region).
    #[serde(default)]
    pub trails: Section<Vec<Trail>>,
    #[serde(default)]
    pub event_rules: Section<Vec<EventRule>>,
}

impl Account {
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }
}

/// Why a snapshot could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the file is empty; expected a nobastion snapshot (JSON object with schema_version)"
    )]
    Empty { path: String },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: snapshot schema_version {found} is newer than this nobastion supports ({supported}); upgrade nobastion to read it"
    )]
    TooNew {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error(
        "{path}: schema_version {found} is not supported (this nobastion reads version {supported})"
    )]
    Unsupported {
        path: String,
        found: u32,
        supported: u32,
    },
}

impl Snapshot {
    /// Read and validate a snapshot file.
    pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
            path: display.clone(),
            source,
        })?;
        Snapshot::from_json(&text, &display)
    }

    /// Parse a snapshot from JSON text; `path` is only used in messages.
    pub fn from_json(text: &str, path: &str) -> Result<Snapshot, SnapshotError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(SnapshotError::Empty {
                path: path.to_owned(),
            });
        }
        // Read the version first, so that a newer snapshot is refused with a clear message
        // instead of an error about a field this binary does not know.
        let probe: Probe = serde_json::from_str(text).map_err(|e| parse_error(path, &e))?;
        match probe.schema_version {
            None => {
                return Err(SnapshotError::Parse {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    message: "missing field `schema_version`: this is not a nobastion snapshot"
                        .to_owned(),
                });
            }
            Some(serde_json::Value::Number(n)) => match n.as_u64() {
                Some(v) if v > u64::from(SCHEMA_VERSION) => {
                    return Err(SnapshotError::TooNew {
                        path: path.to_owned(),
                        found: u32::try_from(v).unwrap_or(u32::MAX),
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(v) if v < u64::from(SCHEMA_VERSION) => {
                    return Err(SnapshotError::Unsupported {
                        path: path.to_owned(),
                        found: u32::try_from(v).unwrap_or(0),
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(_) => {}
                None => {
                    return Err(SnapshotError::Parse {
                        path: path.to_owned(),
                        line: 1,
                        column: 1,
                        message: format!("schema_version must be a whole number, found {n}"),
                    });
                }
            },
            Some(other) => {
                return Err(SnapshotError::Parse {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    message: format!("schema_version must be a whole number, found {other}"),
                });
            }
        }
        serde_json::from_str(text).map_err(|e| parse_error(path, &e))
    }

    /// Serialize as pretty JSON (the on-disk form).
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data structures with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// True when the snapshot only covers what IaC inputs define.
    pub fn is_partial(&self) -> bool {
        self.metadata.partial
    }
}

/// Just the version of a snapshot file.
#[derive(Deserialize)]
struct Probe {
    schema_version: Option<serde_json::Value>,
}

fn parse_error(path: &str, err: &serde_json::Error) -> SnapshotError {
    // serde_json appends " at line L column C"; we put the position in front instead.
    let full = err.to_string();
    let message = match full.rfind(" at line ") {
        Some(idx) => full[..idx].to_owned(),
        None => full,
    };
    let message = if err.is_eof() {
        format!("{message} (the file is truncated)")
    } else {
        message
    };
    SnapshotError::Parse {
        path: path.to_owned(),
        line: err.line(),
        column: err.column(),
        message,
    }
}

/// The JSON Schema of the snapshot format, as kept in docs/snapshot.schema.json.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Snapshot);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        let sg = SecurityGroup {
            id: "sg-1".into(),
            ingress: vec![SecurityGroupRule {
                protocol: "tcp".into(),
                from_port: Some(22),
                to_port: Some(22),
                ipv4_ranges: vec!["0.0.0.0/0".into()],
                ..SecurityGroupRule::default()
            }],
            ..SecurityGroup::default()
        };
        Snapshot {
            accounts: vec![Account {
                id: "111122223333".into(),
                partition: "aws".into(),
                iam: Section::Collected(Iam::default()),
                regions: vec![Region {
                    name: "us-east-1".into(),
                    security_groups: Section::Collected(vec![sg]),
                    ..Region::default()
                }],
                ..Account::default()
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn round_trip() {
        let snapshot = sample();
        let text = snapshot.to_json_pretty();
        let back = Snapshot::from_json(&text, "mem.json").unwrap();
        assert_eq!(back, snapshot);
    }

    #[test]
    fn absent_sections_are_not_collected() {
        let text = r#"{"schema_version": 1, "accounts": [{"id": "111122223333", "regions": [{"name": "us-east-1"}]}]}"#;
        let snapshot = Snapshot::from_json(text, "x.json").unwrap();
        let region = &snapshot.accounts[0].regions[0];
        assert!(!region.security_groups.is_collected());
        assert!(!snapshot.accounts[0].iam.is_collected());
    }

    #[test]
    fn newer_version_is_refused() {
        let err = Snapshot::from_json(r#"{"schema_version": 99, "future": true}"#, "new.json")
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, SnapshotError::TooNew { found: 99, .. }));
        assert!(msg.contains("new.json") && msg.contains("upgrade"), "{msg}");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = "{\n  \"schema_version\": 1,\n  \"accounts\": [{\"id\": 5}]\n}";
        let err = Snapshot::from_json(text, "bad.json").unwrap_err();
        match err {
            SnapshotError::Parse {
                line, ref message, ..
            } => {
                assert_eq!(line, 3);
                assert!(message.contains("expected a string"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let text = r#"{"schema_version": 1, "accounts": [{"id": "1", "regions": [{"name": "r", "instances": {"collected": [{"id": "i-1", "key_nme": "x"}]}}]}]}"#;
        let err = Snapshot::from_json(text, "typo.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("key_nme"), "{err}");
    }

    #[test]
    fn empty_truncated_and_wrong_type() {
        assert!(matches!(
            Snapshot::from_json("", "e.json"),
            Err(SnapshotError::Empty { .. })
        ));
        let err =
            Snapshot::from_json(r#"{"schema_version": 1, "accounts": ["#, "t.json").unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = Snapshot::from_json("[1,2]", "a.json").unwrap_err();
        assert!(err.to_string().starts_with("a.json:1:"), "{err}");
        let err = Snapshot::from_json(r#"{"schema_version": "1"}"#, "s.json").unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
    }
}
