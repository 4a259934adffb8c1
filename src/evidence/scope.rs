//! The scope of an evidence bundle: what was assessed (accounts, regions, the identity that
//! collected the data, when), with which tool and rule catalog, from which input and
//! configuration. Written into manifest.json and shown first in the reports, because an
//! auditor's first question is "what does this cover?".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::Severity;
use crate::model::{CallerIdentity, CollectionError, Snapshot, SourceKind};
use crate::report::{INFORMATION_URI, TOOL_NAME, TOOL_VERSION};
use crate::rules::RuleRun;

/// The tool that made the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    pub information_uri: String,
    /// The rule catalog version (changes with any rule file).
    pub catalog_version: String,
}

impl ToolInfo {
    pub fn current() -> Self {
        ToolInfo {
            name: TOOL_NAME.to_owned(),
            version: TOOL_VERSION.to_owned(),
            information_uri: INFORMATION_URI.to_owned(),
            catalog_version: crate::rules::catalog_version(),
        }
    }
}

/// Where the evaluated state came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Input {
    /// A saved snapshot file (`--snapshot`): its path as given and the SHA-256 of its bytes,
    /// so the bundle can be tied to the file it was made from.
    SnapshotFile { path: String, sha256: String },
    /// Collected from AWS by this run.
    Live,
}

/// The configuration file used (waivers, thresholds and allowlists change the findings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    pub path: String,
    pub sha256: String,
    /// The file's name inside the bundle.
    pub bundled_as: String,
}

/// One region of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionScope {
    pub name: String,
    /// Why nothing could be collected in the region, when that is the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected: Option<String>,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountScope {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub partition: String,
    /// Why nothing could be collected for the account, when that is the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected: Option<String>,
    pub regions: Vec<RegionScope>,
}

/// Which rules ran and what fails the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesScope {
    /// Ids of the rules that ran.
    pub ran: Vec<String>,
    pub fail_on: Severity,
    pub allow_incomplete: bool,
}

/// Everything the bundle covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub tool: ToolInfo,
    pub input: Input,
    /// How the snapshot was made (live, iac, manual), as it says of itself.
    pub snapshot_source: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The nobastion version that wrote the snapshot, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_tool_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerIdentity>,
    pub accounts: Vec<AccountScope>,
    /// Regions requested or collected.
    pub regions: Vec<String>,
    /// Collection steps that failed (their consequences are NB001 findings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collection_errors: Vec<CollectionError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigFile>,
    pub rules: RulesScope,
}

impl Scope {
    /// The scope of an evaluation of `snapshot`.
    pub fn new(
        snapshot: &Snapshot,
        input: Input,
        config: Option<ConfigFile>,
        rules: &[RuleRun<'_>],
        fail_on: Severity,
        allow_incomplete: bool,
    ) -> Self {
        let metadata = &snapshot.metadata;
        let accounts: Vec<AccountScope> = snapshot
            .accounts
            .iter()
            .map(|account| AccountScope {
                id: account.id.clone(),
                name: account.name.clone(),
                partition: account.partition.clone(),
                not_collected: account
                    .not_collected
                    .as_ref()
                    .map(crate::model::Gap::describe),
                regions: account
                    .regions
                    .iter()
                    .map(|region| RegionScope {
                        name: region.name.clone(),
                        not_collected: region
                            .not_collected
                            .as_ref()
                            .map(crate::model::Gap::describe),
                    })
                    .collect(),
            })
            .collect();
        let mut regions = metadata.regions.clone();
        if regions.is_empty() {
            for account in &accounts {
                for region in &account.regions {
                    if !regions.contains(&region.name) {
                        regions.push(region.name.clone());
                    }
                }
            }
        }
        Scope {
            tool: ToolInfo::current(),
            input,
            snapshot_source: metadata.source,
            description: metadata.description.clone(),
            snapshot_tool_version: metadata.tool_version.clone(),
            collected_at: metadata.collected_at,
            caller: metadata.caller.clone(),
            accounts,
            regions,
            collection_errors: metadata.errors.clone(),
            config,
            rules: RulesScope {
                ran: rules.iter().map(|r| r.meta.id.clone()).collect(),
                fail_on,
                allow_incomplete,
            },
        }
    }

    /// A one-line name for the assessed accounts: `acme-prod (111122223333)`, up to three
    /// of them, else a count.
    pub fn accounts_label(&self) -> String {
        let name = |a: &AccountScope| match &a.name {
            Some(name) => format!("{name} ({})", a.id),
            None => a.id.clone(),
        };
        match self.accounts.len() {
            0 => "no accounts".to_owned(),
            1..=3 => self
                .accounts
                .iter()
                .map(name)
                .collect::<Vec<_>>()
                .join(", "),
            n => format!("{n} accounts"),
        }
    }

    /// The input as a person reads it.
    pub fn input_label(&self) -> String {
        match &self.input {
            Input::SnapshotFile { path, .. } => format!("snapshot file {path}"),
            Input::Live => "live scan".to_owned(),
        }
    }
}
