//! The rules engine: the registry of rules (keyed by the stable ids of the catalog), the
//! context rules read, and what they report.
//!
//! Two kinds of rule share one interface:
//! - declarative rules ([`declarative`]): JSONPath selection and assertions in `rules/*.yaml`;
//! - Rust rules ([`builtin`]): one file each, for joins across resources and IAM semantics.
//!
//! A rule reports, per resource it judged, one of pass / fail / not-assessed through an
//! [`Emitter`]. The [`engine`] turns those into findings: not-assessed results become NB001,
//! waivers apply (NB002/NB003), severities are overridden from configuration.

pub mod builtin;
pub mod declarative;
pub mod docs;
pub mod engine;
pub mod examples;
pub mod meta;
pub mod registry;
pub mod selection;

use std::sync::OnceLock;

use serde_json::Value;

use crate::config::Config;
use crate::finding::{Location, ResourceRef, Severity};
use crate::model::{Account, Gap, Origin, Region, Section, Snapshot, SourceKind, arn};

pub use engine::{RuleRun, RunOptions, run};
pub use meta::{Framework, Implementation, RuleMeta, RuleStatus};
pub use registry::{RegisteredRule, Registry, catalog_version};
pub use selection::Selection;

/// A rule implemented in Rust.
pub trait Check: Sync + Send {
    /// The rule id this check implements; its metadata comes from the rule file.
    fn id(&self) -> &'static str;
    /// Judge the snapshot; report every resource judged through `out`.
    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>);
}

/// What rules read: the snapshot and the configuration.
pub struct Context<'a> {
    pub snapshot: &'a Snapshot,
    pub config: &'a Config,
    /// The IAM rules' policy sets and engine answers, built on first use and shared by
    /// IAM001–IAM009 (parsing and evaluating once per run, not once per rule).
    iam: OnceLock<builtin::iam::IamView<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(snapshot: &'a Snapshot, config: &'a Config) -> Self {
        Context {
            snapshot,
            config,
            iam: OnceLock::new(),
        }
    }

    /// The IAM view of the snapshot (see `builtin::iam`), built once.
    pub(crate) fn iam(&self) -> &builtin::iam::IamView<'a> {
        self.iam.get_or_init(|| builtin::iam::IamView::build(self))
    }

    /// Accounts that could be collected (the engine reports the others once, as NB001).
    pub fn accounts(&self) -> impl Iterator<Item = &'a Account> + 'a {
        self.snapshot
            .accounts
            .iter()
            .filter(|a| a.not_collected.is_none())
    }

    /// Regions that could be collected, with their account.
    pub fn regions(&self) -> impl Iterator<Item = RegionScope<'a>> + 'a {
        let real_arns = self.arns_are_real();
        self.accounts().flat_map(move |account| {
            account
                .regions
                .iter()
                .filter(|r| r.not_collected.is_none())
                .map(move |region| RegionScope {
                    account,
                    region,
                    real_arns,
                })
        })
    }

    /// The snapshot only covers what IaC inputs define: absence proves nothing.
    pub fn is_partial(&self) -> bool {
        self.snapshot.metadata.partial
    }

    /// Whether ids in the snapshot are real AWS ids (so ARNs can be built from them). IaC
    /// inputs carry addresses and placeholder ids instead.
    pub fn arns_are_real(&self) -> bool {
        self.snapshot.metadata.source != SourceKind::Iac
    }

    pub fn account_ref(&self, account: &Account) -> ResourceRef {
        ResourceRef::new("account", account.id.clone()).in_account(account.id.clone())
    }
}

/// One region of one account, as rules iterate them.
#[derive(Clone, Copy)]
pub struct RegionScope<'a> {
    pub account: &'a Account,
    pub region: &'a Region,
    real_arns: bool,
}

impl RegionScope<'_> {
    /// A reference to a resource of `kind` in this region; the ARN is built for the kinds
    /// nobastion knows when ids are real.
    pub fn resource(&self, kind: &str, id: &str) -> ResourceRef {
        let mut resource = ResourceRef::new(kind, id)
            .in_account(self.account.id.clone())
            .in_region(self.region.name.clone());
        if self.real_arns {
            resource.arn = arn_for(
                &self.account.partition,
                &self.region.name,
                &self.account.id,
                kind,
                id,
            );
        }
        resource
    }

    /// A reference to a resource that may come from a file: adds its IaC address.
    pub fn resource_at(&self, kind: &str, id: &str, origin: Option<&Origin>) -> ResourceRef {
        self.resource(kind, id)
            .with_address(origin.and_then(|o| o.address.clone()))
    }

    /// The region itself, for findings about the region as a whole.
    pub fn scope_ref(&self) -> ResourceRef {
        ResourceRef::new("region", self.region.name.clone())
            .in_account(self.account.id.clone())
            .in_region(self.region.name.clone())
    }
}

/// The ARN of a resource of a known kind.
pub fn arn_for(
    partition: &str,
    region: &str,
    account: &str,
    kind: &str,
    id: &str,
) -> Option<String> {
    let ec2_kind = match kind {
        "instance" | "security-group" | "subnet" | "vpc" | "network-acl" | "launch-template"
        | "vpc-endpoint" | "route-table" | "prefix-list" => Some(kind),
        _ => None,
    };
    if let Some(ec2_kind) = ec2_kind {
        return Some(arn::ec2(partition, region, account, ec2_kind, id));
    }
    match kind {
        "ssm-document" => Some(arn::ssm_document(partition, region, account, id)),
        "managed-instance" => Some(format!(
            "arn:{partition}:ssm:{region}:{account}:managed-instance/{id}"
        )),
        "s3-bucket" => Some(arn::s3_bucket(partition, id)),
        "log-group" => Some(arn::log_group(partition, region, account, id)),
        "cloudtrail-trail" => Some(arn::cloudtrail(partition, region, account, id)),
        "kms-key" => Some(format!("arn:{partition}:kms:{region}:{account}:key/{id}")),
        "event-rule" => Some(format!(
            "arn:{partition}:events:{region}:{account}:rule/{id}"
        )),
        _ => None,
    }
}

/// The outcome of judging one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    NotAssessed,
}

/// One judged resource, as a rule reports it.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub outcome: Outcome,
    pub severity: Severity,
    pub resource: ResourceRef,
    pub message: String,
    pub evidence: Option<Value>,
    pub location: Option<Location>,
    /// Extra identity for the fingerprint (e.g. the port, or the statement's Sid), so two
    /// findings of one rule on one resource stay distinct.
    pub key: Vec<String>,
    pub details: Option<Value>,
}

impl RuleResult {
    pub fn severity(&mut self, severity: Severity) -> &mut Self {
        self.severity = severity;
        self
    }

    pub fn evidence(&mut self, evidence: Value) -> &mut Self {
        self.evidence = Some(evidence);
        self
    }

    /// Point the result at a file position (IaC) and record the resource's address.
    pub fn origin(&mut self, origin: Option<&Origin>) -> &mut Self {
        if let Some(origin) = origin {
            self.location = Some(Location::from(origin));
            if self.resource.address.is_none() {
                self.resource.address.clone_from(&origin.address);
            }
        }
        self
    }

    pub fn key(&mut self, key: impl Into<String>) -> &mut Self {
        self.key.push(key.into());
        self
    }

    pub fn details(&mut self, details: Value) -> &mut Self {
        self.details = Some(details);
        self
    }
}

/// Collects what one rule reports.
pub struct Emitter<'m> {
    pub meta: &'m RuleMeta,
    pub results: Vec<RuleResult>,
}

impl<'m> Emitter<'m> {
    pub fn new(meta: &'m RuleMeta) -> Self {
        Emitter {
            meta,
            results: Vec::new(),
        }
    }

    fn push(
        &mut self,
        outcome: Outcome,
        resource: ResourceRef,
        message: String,
    ) -> &mut RuleResult {
        self.results.push(RuleResult {
            outcome,
            severity: self.meta.severity,
            resource,
            message,
            evidence: None,
            location: None,
            key: Vec::new(),
            details: None,
        });
        let last = self.results.len() - 1;
        &mut self.results[last]
    }

    /// The resource fails the rule (at the rule's default severity unless changed).
    pub fn fail(&mut self, resource: ResourceRef, message: impl Into<String>) -> &mut RuleResult {
        self.push(Outcome::Fail, resource, message.into())
    }

    /// The resource was judged and passes.
    pub fn pass(&mut self, resource: ResourceRef) -> &mut RuleResult {
        self.push(Outcome::Pass, resource, String::new())
    }

    /// The rule could not decide for this resource or scope; becomes NB001.
    pub fn not_assessed(
        &mut self,
        resource: ResourceRef,
        reason: impl Into<String>,
    ) -> &mut RuleResult {
        self.push(Outcome::NotAssessed, resource, reason.into())
    }

    /// The items of a region section, or `None` after reporting the region as not assessed.
    pub fn region_section<'s, T>(
        &mut self,
        scope: &RegionScope<'_>,
        section: &'s Section<T>,
        name: &str,
    ) -> Option<&'s T> {
        match section {
            Section::Collected(items) => Some(items),
            Section::NotCollected(gap) => {
                self.not_assessed(scope.scope_ref(), gap_reason(name, gap));
                None
            }
        }
    }

    /// The items of an account section, or `None` after reporting the account as not assessed.
    pub fn account_section<'s, T>(
        &mut self,
        account: &Account,
        section: &'s Section<T>,
        name: &str,
    ) -> Option<&'s T> {
        match section {
            Section::Collected(items) => Some(items),
            Section::NotCollected(gap) => {
                let resource =
                    ResourceRef::new("account", account.id.clone()).in_account(account.id.clone());
                self.not_assessed(resource, gap_reason(name, gap));
                None
            }
        }
    }
}

/// `security_groups not collected: ec2:DescribeSecurityGroups: AccessDenied: …`
pub fn gap_reason(section: &str, gap: &Gap) -> String {
    format!("{section} not collected: {}", gap.describe())
}
