//! What one input file defines, and how its pieces are joined before they become an account
//! of the snapshot.
//!
//! The Terraform, CloudFormation and IAM ingesters fill a [`Unit`]: resources as model
//! structs, plus *links* for the resources that only make sense attached to another one (a
//! `aws_security_group_rule`, an `aws_s3_bucket_versioning`, an `AWS::IAM::Policy`, a policy
//! attachment). [`Unit::into_account`] resolves the links: rules join their group, split S3
//! settings join their bucket, inline policies and attachments join their principal, aliases
//! join their key. Targets are matched by id, name, ARN or IaC address, because a resource
//! created by the plan has no id yet and is known by its address (`aws_subnet.web`).
//!
//! What the input refers to but does not define is handled so that rules never conclude
//! from absence: a rule for a group outside the input gets a stub group holding just that
//! rule; settings for a bucket outside the input give a stub bucket whose other settings are
//! unknown; a policy for a principal outside the input stays a standalone policy; an
//! attached AWS managed policy is taken from the bundled set or marked unknown on the
//! principal.

use std::collections::HashMap;

use crate::model::{
    Account, Bucket, BucketEncryption, EventRule, EventTarget, Iam, InlinePolicy, Instance, KmsKey,
    LaunchTemplate, LogGroup, ManagedPolicy, NetworkAcl, NetworkAclEntry, Origin, PolicyDocument,
    PublicAccessBlock, Region, Section, SecurityGroup, SecurityGroupRule, SsmDocument, Subnet,
    Trail, Unknown, Vpc, VpcEndpoint,
};

use super::aws_managed;

/// The account id used when an input does not reveal its account.
pub const PLACEHOLDER_ACCOUNT: &str = "000000000000";
/// The region name used when an input does not reveal its region.
pub const PLACEHOLDER_REGION: &str = "unknown-region";

/// A value read from an input: known, absent (not set), or unknown with the reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<T> {
    Known(T),
    /// Not set (null, missing, empty, or a computed default the input does not set).
    Absent,
    /// Not known (at plan time, or a condition decides), with the reason.
    Unknown(String),
}

/// Record `value` in `unknown` as `field` when it is unknown; return the known value.
pub(crate) fn keep<T>(value: Val<T>, unknown: &mut Unknown, field: &str) -> Option<T> {
    match value {
        Val::Known(v) => Some(v),
        Val::Absent => None,
        Val::Unknown(reason) => {
            unknown.insert(field.to_owned(), reason);
            None
        }
    }
}

/// Which kind of IAM principal a link points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalKind {
    User,
    Group,
    Role,
}

/// A security group rule defined as its own resource.
pub(crate) struct SgRuleLink {
    /// The group's id, name or address.
    pub(crate) group: String,
    pub(crate) egress: bool,
    pub(crate) rule: SecurityGroupRule,
    /// The rule resource (used for a stub group when the group is not in the input).
    pub(crate) origin: Origin,
}

/// A network ACL entry defined as its own resource.
pub(crate) struct NaclLink {
    pub(crate) acl: String,
    pub(crate) entry: NetworkAclEntry,
    pub(crate) origin: Origin,
}

/// A bucket setting defined as its own resource.
pub(crate) enum BucketChange {
    Encryption(Option<BucketEncryption>),
    Versioning(Option<String>),
    ObjectLock(bool),
    PublicAccessBlock(PublicAccessBlock),
    Policy(PolicyDocument),
    /// The setting's value is unknown (field name, reason).
    Unknown(&'static str, String),
}

pub(crate) struct BucketPatch {
    /// The bucket's name or address.
    pub(crate) bucket: String,
    pub(crate) change: BucketChange,
    pub(crate) origin: Origin,
}

/// An inline policy defined apart from its principal (`aws_iam_role_policy`,
/// `AWS::IAM::Policy`).
pub(crate) struct InlineLink {
    pub(crate) kind: PrincipalKind,
    pub(crate) principal: String,
    pub(crate) policy: InlinePolicy,
    /// The defining resource, for the standalone policy it becomes when the principal is not
    /// in the input.
    pub(crate) origin: Origin,
    pub(crate) unknown: Unknown,
}

/// A managed policy attached to a principal.
pub(crate) struct AttachLink {
    pub(crate) kind: PrincipalKind,
    pub(crate) principal: String,
    /// The policy's ARN, name or address; `Err` with the reason when unknown.
    pub(crate) policy: Result<String, String>,
}

/// Resource links resolved by [`Unit::into_account`].
#[derive(Default)]
pub(crate) struct Links {
    pub(crate) sg_rules: Vec<SgRuleLink>,
    pub(crate) nacl_entries: Vec<NaclLink>,
    /// (network ACL, subnet id).
    pub(crate) nacl_subnets: Vec<(String, String)>,
    pub(crate) bucket_patches: Vec<BucketPatch>,
    /// (key id, ARN or address; alias name).
    pub(crate) kms_aliases: Vec<(String, String)>,
    /// (rule name or address; target).
    pub(crate) event_targets: Vec<(String, EventTarget)>,
    pub(crate) inline_policies: Vec<InlineLink>,
    pub(crate) attachments: Vec<AttachLink>,
    /// (user, group) by name or address.
    pub(crate) memberships: Vec<(String, String)>,
    /// (instance profile, role) by name, ARN or address; `Err` when the role is unknown.
    pub(crate) profile_roles: Vec<(String, Result<String, String>)>,
}

/// Everything one input file defines.
#[derive(Default)]
pub(crate) struct Unit {
    pub(crate) path: String,
    pub(crate) partition: Option<String>,
    pub(crate) account: Option<String>,
    pub(crate) region: Option<String>,
    /// Plans and templates define regional resources; policy files do not.
    pub(crate) regional: bool,
    pub(crate) iam: Iam,
    pub(crate) buckets: Vec<Bucket>,
    pub(crate) account_public_access_block: Option<PublicAccessBlock>,
    pub(crate) vpcs: Vec<Vpc>,
    pub(crate) subnets: Vec<Subnet>,
    pub(crate) security_groups: Vec<SecurityGroup>,
    pub(crate) network_acls: Vec<NetworkAcl>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) launch_templates: Vec<LaunchTemplate>,
    pub(crate) vpc_endpoints: Vec<VpcEndpoint>,
    pub(crate) ssm_documents: Vec<SsmDocument>,
    pub(crate) kms_keys: Vec<KmsKey>,
    pub(crate) log_groups: Vec<LogGroup>,
    pub(crate) trails: Vec<Trail>,
    pub(crate) event_rules: Vec<EventRule>,
    pub(crate) links: Links,
}

impl Unit {
    pub(crate) fn new(path: impl Into<String>, regional: bool) -> Self {
        Unit {
            path: path.into(),
            regional,
            ..Unit::default()
        }
    }

    pub(crate) fn partition(&self) -> &str {
        self.partition.as_deref().unwrap_or("aws")
    }

    pub(crate) fn account_id(&self) -> &str {
        self.account.as_deref().unwrap_or(PLACEHOLDER_ACCOUNT)
    }

    pub(crate) fn region_name(&self) -> &str {
        self.region.as_deref().unwrap_or(PLACEHOLDER_REGION)
    }

    /// Resolve every link and build the account.
    pub(crate) fn into_account(mut self) -> Account {
        let links = std::mem::take(&mut self.links);
        self.link_security_groups(links.sg_rules);
        self.link_network_acls(links.nacl_entries, links.nacl_subnets);
        self.link_buckets(links.bucket_patches);
        self.link_kms(links.kms_aliases);
        self.link_events(links.event_targets);
        self.link_iam(
            links.inline_policies,
            links.attachments,
            links.memberships,
            links.profile_roles,
        );
        self.fill_instance_vpcs();
        self.default_bucket_encryption();

        let partition = self.partition().to_owned();
        let account_id = self.account_id().to_owned();
        let mut regions = Vec::new();
        if self.regional {
            let name = self.region_name().to_owned();
            regions.push(Region {
                name,
                not_collected: None,
                vpcs: Section::Collected(self.vpcs),
                subnets: Section::Collected(self.subnets),
                route_tables: Section::empty(),
                security_groups: Section::Collected(self.security_groups),
                network_acls: Section::Collected(self.network_acls),
                prefix_lists: Section::empty(),
                instances: Section::Collected(self.instances),
                launch_templates: Section::Collected(self.launch_templates),
                vpc_endpoints: Section::Collected(self.vpc_endpoints),
                ssm_documents: Section::Collected(self.ssm_documents),
                managed_instances: Section::empty(),
                ssm_settings: Section::Collected(crate::model::SsmSettings::default()),
                kms_keys: Section::Collected(self.kms_keys),
                log_groups: Section::Collected(self.log_groups),
                metric_filters: Section::empty(),
                alarms: Section::empty(),
                trails: Section::Collected(self.trails),
                event_rules: Section::Collected(self.event_rules),
            });
        }
        Account {
            id: account_id,
            partition,
            name: None,
            not_collected: None,
            iam: Section::Collected(self.iam),
            organization: Section::Collected(None),
            buckets: Section::Collected(self.buckets),
            s3_public_access_block: Section::Collected(self.account_public_access_block),
            regions,
        }
    }

    fn link_security_groups(&mut self, rules: Vec<SgRuleLink>) {
        let mut keys = Keys::build(&self.security_groups, |sg| {
            [Some(sg.id.as_str()), address_of(sg.origin.as_ref()), None]
        });
        for link in rules {
            let index = keys.get(&link.group).unwrap_or_else(|| {
                // The group is outside the input: a stub holding the rules the input adds.
                self.security_groups.push(SecurityGroup {
                    id: link.group.clone(),
                    origin: Some(link.origin.clone()),
                    ..SecurityGroup::default()
                });
                let index = self.security_groups.len() - 1;
                keys.add(index, [Some(&link.group), None, None]);
                index
            });
            let group = &mut self.security_groups[index];
            if link.egress {
                group.egress.push(link.rule);
            } else {
                group.ingress.push(link.rule);
            }
        }
    }

    fn link_network_acls(&mut self, entries: Vec<NaclLink>, subnets: Vec<(String, String)>) {
        let mut keys = Keys::build(&self.network_acls, |acl| {
            [Some(acl.id.as_str()), address_of(acl.origin.as_ref()), None]
        });
        for link in entries {
            let index = keys.get(&link.acl).unwrap_or_else(|| {
                self.network_acls.push(NetworkAcl {
                    id: link.acl.clone(),
                    vpc_id: String::new(),
                    origin: Some(link.origin.clone()),
                    ..NetworkAcl::default()
                });
                let index = self.network_acls.len() - 1;
                keys.add(index, [Some(&link.acl), None, None]);
                index
            });
            self.network_acls[index].entries.push(link.entry);
        }
        for (acl, subnet) in subnets {
            if let Some(index) = keys.get(&acl) {
                let found = &mut self.network_acls[index];
                if !found.subnet_ids.contains(&subnet) {
                    found.subnet_ids.push(subnet);
                }
            }
        }
    }

    fn link_buckets(&mut self, patches: Vec<BucketPatch>) {
        let mut keys = Keys::build(&self.buckets, |b| {
            [Some(b.name.as_str()), address_of(b.origin.as_ref()), None]
        });
        for patch in patches {
            let index = keys.get(&patch.bucket).unwrap_or_else(|| {
                // A bucket outside the input: only the setting given here is known.
                let mut unknown = Unknown::new();
                for field in [
                    "encryption",
                    "versioning",
                    "object_lock_enabled",
                    "public_access_block",
                    "policy",
                ] {
                    unknown.insert(
                        field.to_owned(),
                        "the bucket is not defined in the input".to_owned(),
                    );
                }
                self.buckets.push(Bucket {
                    name: patch.bucket.clone(),
                    region: self.region.clone(),
                    origin: Some(patch.origin.clone()),
                    unknown,
                    ..Bucket::default()
                });
                let index = self.buckets.len() - 1;
                keys.add(index, [Some(&patch.bucket), None, None]);
                index
            });
            let bucket = &mut self.buckets[index];
            let field = match patch.change {
                BucketChange::Encryption(e) => {
                    bucket.encryption = e;
                    "encryption"
                }
                BucketChange::Versioning(v) => {
                    bucket.versioning = v;
                    "versioning"
                }
                BucketChange::ObjectLock(on) => {
                    bucket.object_lock_enabled |= on;
                    "object_lock_enabled"
                }
                BucketChange::PublicAccessBlock(pab) => {
                    bucket.public_access_block = Some(pab);
                    "public_access_block"
                }
                BucketChange::Policy(policy) => {
                    bucket.policy = Some(policy);
                    "policy"
                }
                BucketChange::Unknown(field, reason) => {
                    bucket.unknown.insert(field.to_owned(), reason);
                    continue;
                }
            };
            bucket.unknown.remove(field);
        }
    }

    fn link_kms(&mut self, aliases: Vec<(String, String)>) {
        let keys = Keys::build(&self.kms_keys, |k| {
            [
                Some(k.id.as_str()),
                k.arn.as_deref(),
                address_of(k.origin.as_ref()),
            ]
        });
        for (key, alias) in aliases {
            if let Some(index) = keys.get(&key) {
                let found = &mut self.kms_keys[index];
                if !found.aliases.contains(&alias) {
                    found.aliases.push(alias);
                }
            }
        }
    }

    fn link_events(&mut self, targets: Vec<(String, EventTarget)>) {
        let keys = Keys::build(&self.event_rules, |r| {
            [
                Some(r.name.as_str()),
                r.arn.as_deref(),
                address_of(r.origin.as_ref()),
            ]
        });
        for (rule, target) in targets {
            if let Some(index) = keys.get(&rule) {
                self.event_rules[index].targets.push(target);
            }
        }
    }

    fn fill_instance_vpcs(&mut self) {
        let keys = Keys::build(&self.subnets, |s| [Some(s.id.as_str()), None, None]);
        for instance in &mut self.instances {
            if instance.vpc_id.is_none()
                && let Some(subnet_id) = &instance.subnet_id
                && let Some(index) = keys.get(subnet_id)
                && !self.subnets[index].vpc_id.is_empty()
            {
                instance.vpc_id = Some(self.subnets[index].vpc_id.clone());
            }
        }
    }

    /// S3 applies SSE-S3 to every bucket that has no default-encryption configuration (since
    /// January 2023), so a bucket defined without one is encrypted with AES256, not
    /// unencrypted.
    fn default_bucket_encryption(&mut self) {
        for bucket in &mut self.buckets {
            if bucket.encryption.is_none() && !bucket.unknown.contains_key("encryption") {
                bucket.encryption = Some(BucketEncryption {
                    algorithm: "AES256".to_owned(),
                    kms_key_id: None,
                    bucket_key_enabled: false,
                });
            }
        }
    }

    fn principal_parts(
        &mut self,
        kind: PrincipalKind,
        index: usize,
    ) -> (&mut Vec<InlinePolicy>, &mut Vec<String>, &mut Unknown) {
        match kind {
            PrincipalKind::User => {
                let u = &mut self.iam.users[index];
                (
                    &mut u.inline_policies,
                    &mut u.attached_policies,
                    &mut u.unknown,
                )
            }
            PrincipalKind::Group => {
                let g = &mut self.iam.groups[index];
                (
                    &mut g.inline_policies,
                    &mut g.attached_policies,
                    &mut g.unknown,
                )
            }
            PrincipalKind::Role => {
                let r = &mut self.iam.roles[index];
                (
                    &mut r.inline_policies,
                    &mut r.attached_policies,
                    &mut r.unknown,
                )
            }
        }
    }

    /// The ARN under which a policy target is recorded on a principal: a policy of the input
    /// (matched by ARN, name or address), a bundled AWS managed policy (added to the
    /// account), or the target as written with the reason it cannot be judged.
    fn resolve_policy(&mut self, index: &mut IamIndex, target: &str) -> (String, Option<String>) {
        if let Some(found) = index.policies.get(target) {
            return (self.iam.policies[found].arn.clone(), None);
        }
        if let Some(name) = aws_managed::aws_managed_name(target) {
            if let Some(bundled) = aws_managed::lookup(target) {
                let arn = format!(
                    "arn:{}:iam::aws:policy{}{}",
                    self.partition(),
                    bundled.path,
                    bundled.name
                );
                if index.policies.get(&arn).is_none() {
                    self.iam.policies.push(ManagedPolicy {
                        arn: arn.clone(),
                        name: bundled.name.to_owned(),
                        path: bundled.path.to_owned(),
                        aws_managed: true,
                        default_version_id: Some(bundled.version_id),
                        document: PolicyDocument::new(bundled.document),
                        origin: None,
                        unknown: Unknown::new(),
                    });
                    index
                        .policies
                        .add(self.iam.policies.len() - 1, [Some(&arn), None, None]);
                }
                return (arn, None);
            }
            return (
                target.to_owned(),
                Some(format!(
                    "AWS managed policy {name} is not bundled with nobastion and not in the input"
                )),
            );
        }
        (
            target.to_owned(),
            Some(format!("policy {target} is not defined in the input")),
        )
    }

    fn link_iam(
        &mut self,
        inline: Vec<InlineLink>,
        attachments: Vec<AttachLink>,
        memberships: Vec<(String, String)>,
        profile_roles: Vec<(String, Result<String, String>)>,
    ) {
        let mut index = IamIndex::build(&self.iam);
        for link in inline {
            self.link_inline(&mut index, link);
        }
        for link in attachments {
            self.link_attachment(&mut index, link);
        }
        self.resolve_boundaries(&mut index);
        for (user, group) in memberships {
            let group_name = index
                .principal(PrincipalKind::Group, &group)
                .map_or(group, |i| self.iam.groups[i].name.clone());
            if let Some(user) = index.principal(PrincipalKind::User, &user) {
                let groups = &mut self.iam.users[user].groups;
                if !groups.contains(&group_name) {
                    groups.push(group_name);
                }
            }
        }
        let profiles = Keys::build(&self.iam.instance_profiles, |ip| {
            [
                Some(ip.name.as_str()),
                Some(ip.arn.as_str()),
                address_of(ip.origin.as_ref()),
            ]
        });
        for (profile, role) in profile_roles {
            if let Some(p) = profiles.get(&profile) {
                self.link_profile(&index, p, role);
            }
        }
    }

    fn link_inline(&mut self, index: &mut IamIndex, link: InlineLink) {
        if let Some(found) = index.principal(link.kind, &link.principal) {
            let (policies, _, unknown) = self.principal_parts(link.kind, found);
            for (field, reason) in link.unknown {
                unknown.insert(
                    format!("inline_policies.{}.{field}", link.policy.name),
                    reason,
                );
            }
            policies.push(link.policy);
            return;
        }
        // The principal is not in the input: judge the document on its own.
        let arn = link
            .origin
            .address
            .clone()
            .unwrap_or_else(|| link.policy.name.clone());
        self.iam.policies.push(ManagedPolicy {
            arn: arn.clone(),
            name: link.policy.name,
            path: "/".to_owned(),
            aws_managed: false,
            default_version_id: None,
            document: link.policy.document,
            origin: Some(link.origin),
            unknown: link.unknown,
        });
        index
            .policies
            .add(self.iam.policies.len() - 1, [Some(&arn), None, None]);
    }

    fn link_attachment(&mut self, index: &mut IamIndex, link: AttachLink) {
        let Some(principal) = index.principal(link.kind, &link.principal) else {
            return;
        };
        match link.policy {
            Ok(target) => {
                let (arn, problem) = self.resolve_policy(index, &target);
                let (_, attached, unknown) = self.principal_parts(link.kind, principal);
                if !attached.contains(&arn) {
                    attached.push(arn);
                }
                if let Some(problem) = problem {
                    add_reason(unknown, "attached_policies", problem);
                }
            }
            Err(reason) => {
                let (_, _, unknown) = self.principal_parts(link.kind, principal);
                add_reason(unknown, "attached_policies", reason);
            }
        }
    }

    fn link_profile(&mut self, index: &IamIndex, p: usize, role: Result<String, String>) {
        match role {
            Ok(role) => {
                let role_name = match index.principal(PrincipalKind::Role, &role) {
                    Some(r) => {
                        let profile_name = self.iam.instance_profiles[p].name.clone();
                        let entry = &mut self.iam.roles[r];
                        if !entry.instance_profiles.contains(&profile_name) {
                            entry.instance_profiles.push(profile_name);
                        }
                        entry.name.clone()
                    }
                    None => role,
                };
                let roles = &mut self.iam.instance_profiles[p].roles;
                if !roles.contains(&role_name) {
                    roles.push(role_name);
                }
            }
            Err(reason) => {
                self.iam.instance_profiles[p]
                    .unknown
                    .insert("roles".to_owned(), reason);
            }
        }
    }

    /// Boundaries written as an address or name become the policy's ARN (a bundled AWS
    /// managed boundary is added to the account); a boundary that is neither in the input nor
    /// bundled is unknown.
    fn resolve_boundaries(&mut self, index: &mut IamIndex) {
        for i in 0..self.iam.users.len() {
            if let Some(target) = self.iam.users[i].permissions_boundary.clone() {
                let (arn, problem) = self.resolve_policy(index, &target);
                let user = &mut self.iam.users[i];
                user.permissions_boundary = Some(arn);
                if let Some(problem) = problem {
                    user.unknown
                        .insert("permissions_boundary".to_owned(), problem);
                }
            }
        }
        for i in 0..self.iam.roles.len() {
            if let Some(target) = self.iam.roles[i].permissions_boundary.clone() {
                let (arn, problem) = self.resolve_policy(index, &target);
                let role = &mut self.iam.roles[i];
                role.permissions_boundary = Some(arn);
                if let Some(problem) = problem {
                    role.unknown
                        .insert("permissions_boundary".to_owned(), problem);
                }
            }
        }
    }
}

fn address_of(origin: Option<&Origin>) -> Option<&str> {
    origin.and_then(|o| o.address.as_deref())
}

/// Positions of items by every key they answer to (id, name, ARN, address). The first item
/// with a key wins, as a search from the start would find it; lookups stay constant time
/// for plans with tens of thousands of resources.
#[derive(Default)]
struct Keys(HashMap<String, usize>);

impl Keys {
    fn build<'a, T>(items: &'a [T], keys: impl Fn(&'a T) -> [Option<&'a str>; 3]) -> Keys {
        let mut out = Keys(HashMap::with_capacity(items.len() * 2));
        for (index, item) in items.iter().enumerate() {
            out.add(index, keys(item));
        }
        out
    }

    fn add(&mut self, index: usize, keys: [Option<&str>; 3]) {
        for key in keys.into_iter().flatten() {
            if !key.is_empty() {
                self.0.entry(key.to_owned()).or_insert(index);
            }
        }
    }

    fn get(&self, key: &str) -> Option<usize> {
        self.0.get(key).copied()
    }
}

/// Principals and policies by name, ARN and address.
struct IamIndex {
    users: Keys,
    groups: Keys,
    roles: Keys,
    policies: Keys,
}

impl IamIndex {
    fn build(iam: &Iam) -> Self {
        IamIndex {
            users: Keys::build(&iam.users, |u| {
                [
                    Some(u.name.as_str()),
                    Some(u.arn.as_str()),
                    address_of(u.origin.as_ref()),
                ]
            }),
            groups: Keys::build(&iam.groups, |g| {
                [
                    Some(g.name.as_str()),
                    Some(g.arn.as_str()),
                    address_of(g.origin.as_ref()),
                ]
            }),
            roles: Keys::build(&iam.roles, |r| {
                [
                    Some(r.name.as_str()),
                    Some(r.arn.as_str()),
                    address_of(r.origin.as_ref()),
                ]
            }),
            policies: Keys::build(&iam.policies, |p| {
                [
                    Some(p.arn.as_str()),
                    Some(p.name.as_str()),
                    address_of(p.origin.as_ref()),
                ]
            }),
        }
    }

    fn principal(&self, kind: PrincipalKind, target: &str) -> Option<usize> {
        match kind {
            PrincipalKind::User => self.users.get(target),
            PrincipalKind::Group => self.groups.get(target),
            PrincipalKind::Role => self.roles.get(target),
        }
    }
}

/// Add a reason to an unknown field, keeping earlier reasons.
pub(crate) fn add_reason(unknown: &mut Unknown, field: &str, reason: String) {
    match unknown.get_mut(field) {
        Some(existing) if !existing.contains(&reason) => {
            existing.push_str("; ");
            existing.push_str(&reason);
        }
        Some(_) => {}
        None => {
            unknown.insert(field.to_owned(), reason);
        }
    }
}

/// An account id when `text` is one (12 digits).
pub(crate) fn account_id_of(text: &str) -> Option<&str> {
    (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, SecurityGroupRule};

    fn origin(address: &str) -> Origin {
        Origin::new("plan.json", 3, 5).with_address(address)
    }

    #[test]
    fn rules_join_their_group_or_a_stub() {
        let mut unit = Unit::new("plan.json", true);
        unit.security_groups.push(SecurityGroup {
            id: "aws_security_group.web".into(),
            origin: Some(origin("aws_security_group.web")),
            ..SecurityGroup::default()
        });
        let rule = SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            ipv4_ranges: vec!["0.0.0.0/0".into()],
            ..SecurityGroupRule::default()
        };
        unit.links.sg_rules.push(SgRuleLink {
            group: "aws_security_group.web".into(),
            egress: false,
            rule: rule.clone(),
            origin: origin("aws_security_group_rule.ssh"),
        });
        unit.links.sg_rules.push(SgRuleLink {
            group: "sg-0external".into(),
            egress: false,
            rule,
            origin: origin("aws_security_group_rule.other"),
        });
        let account = unit.into_account();
        let groups = account.regions[0].security_groups.as_option().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].ingress.len(), 1);
        assert_eq!(groups[1].id, "sg-0external");
        assert_eq!(
            groups[1].origin.as_ref().unwrap().address.as_deref(),
            Some("aws_security_group_rule.other")
        );
        assert_eq!(account.id, PLACEHOLDER_ACCOUNT);
        assert_eq!(account.regions[0].name, PLACEHOLDER_REGION);
        assert!(account.regions[0].prefix_lists.is_collected());
    }

    #[test]
    fn attachments_resolve_bundled_unknown_and_input_policies() {
        let mut unit = Unit::new("t.yaml", true);
        unit.iam.roles.push(Role {
            name: "app".into(),
            arn: "AppRole".into(),
            origin: Some(origin("AppRole")),
            ..Role::default()
        });
        unit.iam.policies.push(ManagedPolicy {
            arn: "AppPolicy".into(),
            name: "app-policy".into(),
            origin: Some(origin("AppPolicy")),
            ..ManagedPolicy::default()
        });
        for policy in [
            "AppPolicy",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ] {
            unit.links.attachments.push(AttachLink {
                kind: PrincipalKind::Role,
                principal: "AppRole".into(),
                policy: Ok(policy.into()),
            });
        }
        let account = unit.into_account();
        let iam = account.iam.as_option().unwrap();
        let role = &iam.roles[0];
        assert_eq!(role.attached_policies.len(), 3);
        assert!(
            iam.policy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
                .is_some()
        );
        assert!(role.unknown["attached_policies"].contains("AmazonS3ReadOnlyAccess"));
    }

    #[test]
    fn inline_policy_for_an_outside_principal_stays_standalone() {
        let mut unit = Unit::new("plan.json", true);
        unit.links.inline_policies.push(InlineLink {
            kind: PrincipalKind::Role,
            principal: "existing-role".into(),
            policy: InlinePolicy {
                name: "extra".into(),
                document: PolicyDocument::new(serde_json::json!({"Statement": []})),
            },
            origin: origin("aws_iam_role_policy.extra"),
            unknown: Unknown::new(),
        });
        let account = unit.into_account();
        let iam = account.iam.as_option().unwrap();
        assert_eq!(iam.policies.len(), 1);
        assert_eq!(iam.policies[0].arn, "aws_iam_role_policy.extra");
    }

    #[test]
    fn settings_for_an_outside_bucket_leave_the_rest_unknown() {
        let mut unit = Unit::new("plan.json", true);
        unit.buckets.push(Bucket {
            name: "defined".into(),
            ..Bucket::default()
        });
        unit.links.bucket_patches.push(BucketPatch {
            bucket: "elsewhere".into(),
            change: BucketChange::Versioning(Some("Enabled".into())),
            origin: origin("aws_s3_bucket_versioning.v"),
        });
        let account = unit.into_account();
        let buckets = account.buckets.as_option().unwrap();
        assert_eq!(
            buckets[0].encryption.as_ref().map(|e| e.algorithm.as_str()),
            Some("AES256"),
            "S3's default encryption"
        );
        assert!(buckets[1].versioning_enabled());
        assert!(buckets[1].unknown.contains_key("encryption"));
        assert!(!buckets[1].unknown.contains_key("versioning"));
        assert!(buckets[1].encryption.is_none());
    }
}
