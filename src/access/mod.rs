//! The access map: who can get a shell on which instance, and how — evaluated exactly, per
//! real instance, with the IAM policy engine (`crate::policy`).
//!
//! For every managed instance of a snapshot (running and online in Systems Manager, or
//! running when SSM registration could not be read — said so, never dropped; hybrid `mi-`
//! nodes too) and every IAM user and role of its account, [`compute`] evaluates the requests
//! of each [`Path`] — `StartSession` with the default shell document, a port-forwarding,
//! SSH or interactive-command document, `SendCommand` with a shell document, EC2 Instance
//! Connect — with the instance's real ARN, account, region and tags in the context, through
//! the principal's identity policies (groups included), permission boundary and SCPs. What
//! the scanner cannot know at scan time (source IP, MFA, time, session tags of federated
//! sessions) stays unknown, so such a grant comes out [`Access::Conditional`] ("allowed if
//! …") rather than dropped or assumed. Only non-denied cells are stored.
//!
//! Roles carry their trust analysis ([`trust`]): who can assume them — principals of the
//! same account (named in the trust policy, or allowed by their own policies when the trust
//! policy names the account), other accounts, SAML/OIDC providers, AWS services — with the
//! trust policy's conditions.
//!
//! Who uses it: `nobastion access` (src/cli/access.rs) and its renderers
//! (src/report/access.rs); the IAM010 rule with [`expect`] (unexpected grants against a
//! YAML file of intended access); the evidence bundle (`access.csv`, the "Who can get a
//! shell" section of the reports). docs/access.md is the user guide.

mod compute;
pub mod expect;
mod explain;
mod instances;
mod principals;
pub mod trust;

use std::fmt;

use serde::Serialize;

use crate::model::{Origin, Tags};
use crate::policy::Decision;

pub use compute::compute;
pub(crate) use compute::parallel;
pub use explain::{CellExplanation, CheckExplanation, Explainer, MeansExplanation};
pub use trust::RoleTrust;

/// A way to get a shell (or an equivalent) on an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Path {
    /// `ssm:StartSession` with the default shell document (`SSM-SessionManagerRunShell`) or
    /// a custom `Standard_Stream` session document.
    Shell,
    /// `ssm:StartSession` with `AWS-StartPortForwardingSession(ToRemoteHost)` or a custom
    /// `Port` document: not logged by Session Manager.
    PortForwarding,
    /// `ssm:StartSession` with `AWS-StartSSHSession`: SSH inside the tunnel, not logged.
    Ssh,
    /// `ssm:StartSession` with `AWS-StartInteractiveCommand`/`AWS-StartNonInteractiveCommand`
    /// or a custom command session document: runs a command, e.g. `bash`.
    InteractiveCommand,
    /// `ssm:SendCommand` with `AWS-RunShellScript`/`AWS-RunPowerShellScript`: any command,
    /// outside session logging.
    SendCommand,
    /// `ec2-instance-connect:SendSSHPublicKey`/`SendSerialConsoleSSHPublicKey`: SSH keys
    /// pushed to the instance (EC2 instances only).
    InstanceConnect,
}

impl Path {
    pub const ALL: [Path; 6] = [
        Path::Shell,
        Path::PortForwarding,
        Path::Ssh,
        Path::InteractiveCommand,
        Path::SendCommand,
        Path::InstanceConnect,
    ];

    /// The name used in output and expectation files.
    pub fn as_str(self) -> &'static str {
        match self {
            Path::Shell => "shell",
            Path::PortForwarding => "port-forwarding",
            Path::Ssh => "ssh",
            Path::InteractiveCommand => "interactive-command",
            Path::SendCommand => "send-command",
            Path::InstanceConnect => "instance-connect",
        }
    }

    /// What the path is, in a sentence fragment.
    pub fn describe(self) -> &'static str {
        match self {
            Path::Shell => "StartSession with the default shell (or a custom shell) document",
            Path::PortForwarding => "StartSession with a port-forwarding document",
            Path::Ssh => "StartSession with AWS-StartSSHSession",
            Path::InteractiveCommand => "StartSession with an interactive-command document",
            Path::SendCommand => "SendCommand with a shell document",
            Path::InstanceConnect => "EC2 Instance Connect (SSH public key pushed to the instance)",
        }
    }

    pub fn parse(name: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cell's outcome; denied cells are not stored. Ordered from the least to the most
/// permissive, so `min` is "both must hold" and `max` is "either is enough".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Access {
    /// A value the engine cannot read decides it (e.g. an unparseable condition value):
    /// never dropped, never assumed.
    #[serde(rename = "indeterminate")]
    Indeterminate,
    /// Allowed if conditions the scanner cannot know at scan time hold.
    #[serde(rename = "allowed-if")]
    Conditional,
    #[serde(rename = "allowed")]
    Allowed,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Indeterminate => "indeterminate",
            Access::Conditional => "allowed-if",
            Access::Allowed => "allowed",
        }
    }

    /// The access a decision grants (`None`: denied).
    pub fn of(decision: Decision) -> Option<Access> {
        match decision {
            Decision::Allowed => Some(Access::Allowed),
            Decision::Conditional => Some(Access::Conditional),
            Decision::Indeterminate => Some(Access::Indeterminate),
            Decision::ImplicitDeny | Decision::ExplicitDeny => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Both authorizations must hold (`None` = denied is the least permissive).
pub(crate) fn both(a: Option<Access>, b: Option<Access>) -> Option<Access> {
    a.min(b)
}

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Ec2Instance,
    /// A hybrid node registered with Systems Manager (`mi-…`).
    ManagedInstance,
}

/// Whether the instance is known to be reachable through Systems Manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Registration {
    /// Online in `DescribeInstanceInformation`.
    Online,
    /// Managed-instance information was not collected: the instance is running and kept in
    /// the map, but whether the agent is online could not be confirmed.
    Unconfirmed,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Online => "online",
            Registration::Unconfirmed => "unconfirmed",
        }
    }
}

/// An instance of the map.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub id: String,
    pub arn: String,
    pub account: String,
    pub region: String,
    pub kind: TargetKind,
    /// The `Name` tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub tags: Tags,
    /// False when the instance's tags could not be read: tag conditions then stay unknown.
    pub tags_known: bool,
    pub ssm: Registration,
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl Instance {
    /// `i-0abc (web-1)` or `i-0abc`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} ({name})", self.id),
            None => self.id.clone(),
        }
    }

    /// `Env=prod, Team=web`, or `(tags unknown)`.
    pub fn tags_label(&self) -> String {
        if !self.tags_known {
            return "(tags unknown)".to_owned();
        }
        self.tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What kind of IAM principal a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    User,
    Role,
}

/// A principal of the map: an IAM user or role, with how roles are reached.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub arn: String,
    pub kind: PrincipalKind,
    pub account: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
    /// Roles: who can assume it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<RoleTrust>,
    /// A service-linked role, or a role only AWS services can assume: its access is the
    /// service's (or the instance's, for EC2 instance roles), not a person's.
    pub service_path: bool,
    /// What could not be read of its policies: its cells may be wrong either way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Principal {
    /// `user/alice`, `role/ops/admin`: the ARN's resource part.
    pub fn short(&self) -> &str {
        self.arn
            .splitn(6, ':')
            .nth(5)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.arn)
    }

    /// The ways in from outside the account (roles assumable from other accounts,
    /// federation, anyone), as labels.
    pub fn entry_points(&self) -> Vec<String> {
        self.trust
            .as_ref()
            .map(|t| {
                t.entries
                    .iter()
                    .filter(|e| e.external)
                    .map(trust::TrustEntry::describe)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One non-denied (principal, instance, path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Index into [`AccessMap::instances`].
    pub instance: u32,
    /// Index into [`AccessMap::principals`].
    pub principal: u32,
    pub path: Path,
    pub access: Access,
    /// Bits of the instance region's means list that grant the path.
    pub(crate) via: u32,
}

/// Something that keeps the map from being complete: a section not collected, a principal
/// whose policies could not all be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapGap {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub message: String,
}

impl MapGap {
    /// `account 1 / us-east-1: message`.
    pub fn describe(&self) -> String {
        let scope: Vec<String> = [
            self.account.as_ref().map(|a| format!("account {a}")),
            self.region.clone(),
            self.principal.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if scope.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", scope.join(" / "), self.message)
        }
    }
}

/// The access map of a snapshot.
pub struct AccessMap {
    pub accounts: Vec<String>,
    pub instances: Vec<Instance>,
    pub principals: Vec<Principal>,
    /// Sorted by instance, principal and path.
    pub cells: Vec<Cell>,
    pub gaps: Vec<MapGap>,
    /// Facts the reader should know that do not make the map incomplete (instances whose
    /// SSM registration could not be confirmed, instances left out because they are not
    /// online).
    pub notes: Vec<String>,
    pub(crate) prepared: compute::Prepared,
}

impl AccessMap {
    /// Complete: nothing could not be read and no cell is indeterminate.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty() && !self.cells.iter().any(|c| c.access == Access::Indeterminate)
    }

    pub fn instance(&self, cell: &Cell) -> &Instance {
        &self.instances[cell.instance as usize]
    }

    pub fn principal(&self, cell: &Cell) -> &Principal {
        &self.principals[cell.principal as usize]
    }

    /// The documents or actions that grant a cell's path.
    pub fn via(&self, cell: &Cell) -> Vec<&str> {
        self.prepared.via(cell)
    }

    /// Deciding statements, reasons and residual conditions of a cell (re-evaluated with
    /// `evaluate`; the matrix itself was computed with `decide`).
    pub fn explain(&self, cell: &Cell) -> CellExplanation {
        Explainer::new(self).explain(cell)
    }

    /// An explainer for many cells (keeps base contexts between calls).
    pub fn explainer(&self) -> Explainer<'_> {
        Explainer::new(self)
    }

    /// The cells of one instance.
    pub fn cells_of_instance(&self, instance: usize) -> &[Cell] {
        let Ok(index) = u32::try_from(instance) else {
            return &[];
        };
        let start = self.cells.partition_point(|c| c.instance < index);
        let end = self.cells.partition_point(|c| c.instance <= index);
        &self.cells[start..end]
    }
}
