//! Terraform plans (`terraform show -json PLANFILE`, format 0.1 to 1.x) → a [`Unit`].
//!
//! Resources are read from `resource_changes` (their planned `after` values and the
//! `after_unknown` markers), falling back to `planned_values`; data sources already read at
//! plan time come from `prior_state`. Resources that the plan deletes are left out. Modules,
//! `count` and `for_each` keep their full address (`module.net["a"].aws_subnet.web[0]`).
//!
//! A value unknown at plan time ("known after apply") is followed through the plan's
//! `configuration` where that is sound: an instance whose `subnet_id` is unknown but whose
//! configuration references `aws_subnet.web` gets `subnet_id = "aws_subnet.web"` (the id of a
//! resource the plan creates is its address), also through module outputs and module
//! variables. A computed attribute the configuration does not set (an instance without
//! `associate_public_ip_address`, a group without `egress` blocks) is absent, not unknown.
//! Anything else stays unknown in the resource's `unknown` map and the rules that need it
//! report not-assessed. A `dynamic` block whose `for_each` is unknown at plan time cannot
//! be told apart from an unset block in the plan; it reads as unset (docs/lint.md).
//!
//! [`attrs`] holds the attribute reader and the reference resolver; the per-resource
//! translation into the model is below.

mod attrs;

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::model::arn::Arn;
use crate::model::{
    AclAction, Bucket, BucketEncryption, EndpointType, EventRule, EventTarget, Group,
    GroupReference, InlinePolicy, Instance, InstanceProfile, InstanceState, KmsKey, LaunchTemplate,
    LogGroup, ManagedPolicy, NetworkAcl, NetworkAclEntry, PolicyDocument, PublicAccessBlock, Role,
    SecurityGroup, SecurityGroupRule, SessionInputs, SsmDocument, Subnet, Tags, Trail, Unknown,
    User, Vpc, VpcEndpoint,
};

use super::builder::{
    AttachLink, BucketChange, BucketPatch, InlineLink, NaclLink, PrincipalKind, SgRuleLink, Unit,
    account_id_of, keep,
};
use super::iam_json::{Embedding, document_any};
use super::{IngestError, Locator};
use crate::json::{Node, Parser, Skipped};

use attrs::{Attrs, Inst, Plan, Val};

type N<'p> = &'p Node<'p>;

const AFTER_APPLY: &str = "known after apply";

/// Read a plan; `skipped` lists root members the reader did not build (`planned_values`,
/// needed only when the plan has no `resource_changes`).
pub(crate) fn ingest<'t>(
    root: &Node<'t>,
    locator: &Locator<'t>,
    skipped: &[Skipped],
) -> Result<Unit, IngestError> {
    check_version(root, locator)?;
    if root.get("planned_values").is_none() && root.get("resource_changes").is_none() {
        return Err(IngestError::new(
            locator.path,
            None,
            "not a Terraform plan: it has neither planned_values nor resource_changes. Save the \
             plan (`terraform plan -out=PLANFILE`) and run `terraform show -json PLANFILE`; \
             the JSON of a state file is not a plan",
        ));
    }
    let planned_values = match (
        root.get("resource_changes"),
        skipped.iter().find(|s| s.key == "planned_values"),
    ) {
        (None, Some(span)) => Some(
            Parser::new()
                .parse_at(locator.text(), span.offset)
                .map_err(|e| locator.error(e.offset, format!("invalid JSON: {}", e.message)))?,
        ),
        _ => None,
    };
    let plan = Plan::new(root, planned_values.as_ref());
    let mut unit = Unit::new(locator.path, true);
    unit.region = plan.provider_region().map(str::to_owned);
    let mut ctx = Ctx {
        plan: &plan,
        locator,
        unit: &mut unit,
        accounts: HashMap::new(),
    };
    for index in 0..plan.instances.len() {
        ctx.resource(index);
    }
    let account = ctx
        .accounts
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse((*id).clone())))
        .map(|(id, _)| id.clone());
    unit.account = account;
    if unit.partition.is_none()
        && let Some(region) = &unit.region
    {
        unit.partition = Some(crate::model::arn::partition_of_region(region).to_owned());
    }
    Ok(unit)
}

fn check_version(root: &Node<'_>, locator: &Locator<'_>) -> Result<(), IngestError> {
    let Some(node) = root.get("format_version") else {
        return Ok(());
    };
    let text = node.scalar_text().unwrap_or_default();
    let supported = match text.split_once('.') {
        Some(("0", minor)) => matches!(minor, "1" | "2"),
        Some(("1", minor)) => minor.parse::<u32>().is_ok(),
        _ => false,
    };
    if supported {
        Ok(())
    } else {
        Err(locator.error(
            node.offset(),
            format!(
                "unsupported Terraform plan format_version \"{text}\" (nobastion reads 0.1 to 1.x; \
                 a new major version may change the meaning of fields)"
            ),
        ))
    }
}

struct Ctx<'c, 'p> {
    plan: &'c Plan<'p>,
    locator: &'c Locator<'c>,
    unit: &'c mut Unit,
    /// Account ids seen in known ARNs and owner ids, with counts.
    accounts: HashMap<String, usize>,
}

fn tags(a: &Attrs<'_, '_>) -> Tags {
    let Val::Known(node) = a.node("tags") else {
        return Tags::new();
    };
    node.members()
        .map(|members| {
            members
                .iter()
                .filter_map(|m| Some((m.key.to_string(), m.value.scalar_text()?.into_owned())))
                .collect()
        })
        .unwrap_or_default()
}

impl<'p> Ctx<'_, 'p> {
    fn note_arn(&mut self, arn: &str) {
        if let Some(parsed) = Arn::parse(arn)
            && let Some(account) = account_id_of(parsed.account)
        {
            *self.accounts.entry(account.to_owned()).or_default() += 1;
            if self.unit.partition.is_none() {
                self.unit.partition = Some(parsed.partition.to_owned());
            }
            if self.unit.region.is_none() && !parsed.region.is_empty() {
                self.unit.region = Some(parsed.region.to_owned());
            }
        }
    }

    fn resource(&mut self, index: usize) {
        let plan = self.plan;
        let inst = &plan.instances[index];
        let a = plan.attrs(inst);
        // The account and region of the plan, from the resources' own ARNs (an event
        // target's `arn` is its target's, possibly in another account).
        if inst.rtype != "aws_cloudwatch_event_target"
            && let Val::Known(arn) = a.string("arn")
        {
            self.note_arn(&arn);
        }
        if let Val::Known(owner) = a.string("owner_id")
            && let Some(account) = account_id_of(&owner)
        {
            *self.accounts.entry(account.to_owned()).or_default() += 1;
        }
        if inst.data {
            return;
        }
        match inst.rtype.as_str() {
            "aws_vpc" | "aws_default_vpc" => self.vpc(inst, &a),
            "aws_subnet" | "aws_default_subnet" => self.subnet(inst, &a),
            "aws_security_group" | "aws_default_security_group" => self.security_group(inst, &a),
            "aws_security_group_rule" => self.security_group_rule(inst, &a),
            "aws_vpc_security_group_ingress_rule" => self.vpc_sg_rule(inst, &a, false),
            "aws_vpc_security_group_egress_rule" => self.vpc_sg_rule(inst, &a, true),
            "aws_network_acl" | "aws_default_network_acl" => self.network_acl(inst, &a),
            "aws_network_acl_rule" => self.network_acl_rule(inst, &a),
            "aws_network_acl_association" => self.network_acl_association(&a),
            "aws_instance" => self.instance(inst, &a),
            "aws_launch_template" | "aws_launch_configuration" => self.launch_template(inst, &a),
            "aws_vpc_endpoint" => self.vpc_endpoint(inst, &a),
            "aws_ssm_document" => self.ssm_document(inst, &a),
            "aws_kms_key" => self.kms_key(inst, &a),
            "aws_kms_alias" => self.kms_alias(&a),
            "aws_cloudwatch_log_group" => self.log_group(inst, &a),
            "aws_cloudtrail" => self.trail(inst, &a),
            "aws_cloudwatch_event_rule" => self.event_rule(inst, &a),
            "aws_cloudwatch_event_target" => self.event_target(&a),
            "aws_s3_account_public_access_block" => self.account_public_access_block(&a),
            "aws_s3_bucket" => self.bucket(inst, &a),
            t if t.starts_with("aws_s3_bucket_") => self.bucket_part(inst, &a),
            t if t.starts_with("aws_iam_") => self.iam(inst, &a),
            _ => {}
        }
    }

    fn origin(&self, inst: &Inst<'p>) -> crate::model::Origin {
        self.locator.origin(inst.node.offset(), Some(&inst.address))
    }

    /// The model id of a resource: its real id when the plan knows it, else its address.
    fn id(inst: &Inst<'p>, a: &Attrs<'_, 'p>) -> String {
        match a.string("id") {
            Val::Known(id) => id,
            _ => inst.address.clone(),
        }
    }

    fn vpc(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let vpc = Vpc {
            id: Self::id(inst, a),
            cidr_block: keep(a.string("cidr_block"), &mut unknown, "cidr_block"),
            ipv6_cidr_blocks: keep(
                a.string("ipv6_cidr_block"),
                &mut unknown,
                "ipv6_cidr_blocks",
            )
            .into_iter()
            .collect(),
            is_default: inst.rtype == "aws_default_vpc",
            tags: tags(a),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.vpcs.push(vpc);
    }

    fn subnet(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let subnet = Subnet {
            id: Self::id(inst, a),
            vpc_id: keep(a.string("vpc_id"), &mut unknown, "vpc_id").unwrap_or_default(),
            cidr_block: keep(a.string("cidr_block"), &mut unknown, "cidr_block"),
            availability_zone: keep(
                a.string("availability_zone"),
                &mut Unknown::new(),
                "availability_zone",
            ),
            // The default subnets of the default VPC auto-assign public addresses.
            map_public_ip_on_launch: keep(
                a.flag("map_public_ip_on_launch"),
                &mut unknown,
                "map_public_ip_on_launch",
            )
            .unwrap_or(inst.rtype == "aws_default_subnet"),
            assign_ipv6_address_on_creation: keep(
                a.flag("assign_ipv6_address_on_creation"),
                &mut unknown,
                "assign_ipv6_address_on_creation",
            )
            .unwrap_or(false),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.subnets.push(subnet);
    }

    fn security_group(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let mut group = SecurityGroup {
            id: Self::id(inst, a),
            name: keep(a.string("name"), &mut Unknown::new(), "name").unwrap_or_default(),
            vpc_id: keep(a.string("vpc_id"), &mut unknown, "vpc_id"),
            description: keep(a.string("description"), &mut Unknown::new(), "description"),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            ..SecurityGroup::default()
        };
        for (key, egress) in [("ingress", false), ("egress", true)] {
            match a.blocks(key) {
                Val::Known(blocks) => {
                    for block in blocks {
                        let rule = self.inline_sg_rule(inst, &block);
                        if egress {
                            group.egress.push(rule);
                        } else {
                            group.ingress.push(rule);
                        }
                    }
                }
                Val::Absent => {}
                Val::Unknown(reason) => {
                    unknown.insert(key.to_owned(), reason);
                }
            }
        }
        group.unknown = unknown;
        self.unit.security_groups.push(group);
    }

    /// An `ingress` / `egress` block of `aws_security_group`.
    fn inline_sg_rule(&self, inst: &Inst<'p>, b: &Attrs<'_, 'p>) -> SecurityGroupRule {
        let origin = self.locator.origin(b.offset(), Some(&inst.address));
        let mut rule = classic_sg_rule(b, origin, &inst.address);
        if let Some(groups) = keep(
            b.strings("security_groups"),
            &mut rule.unknown,
            "referenced_groups",
        ) {
            rule.referenced_groups
                .extend(groups.into_iter().map(group_ref));
        }
        rule
    }

    /// The group a rule resource belongs to: its id, or the address the configuration
    /// references; the rule's own address when neither is known (a stub group).
    fn rule_group(a: &Attrs<'_, 'p>, key: &str, inst: &Inst<'p>) -> String {
        match a.string(key) {
            Val::Known(group) => group,
            _ => inst.address.clone(),
        }
    }

    fn security_group_rule(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let egress = matches!(a.string("type"), Val::Known(t) if t == "egress");
        let group = Self::rule_group(a, "security_group_id", inst);
        let mut rule = classic_sg_rule(a, self.origin(inst), &group);
        if let Some(source) = keep(
            a.string("source_security_group_id"),
            &mut rule.unknown,
            "referenced_groups",
        ) {
            rule.referenced_groups.push(group_ref(source));
        }
        self.unit.links.sg_rules.push(SgRuleLink {
            group,
            egress,
            rule,
            origin: self.origin(inst),
        });
    }

    fn vpc_sg_rule(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>, egress: bool) {
        let group = Self::rule_group(a, "security_group_id", inst);
        let mut unknown = Unknown::new();
        let mut rule = SecurityGroupRule {
            protocol: keep(a.string("ip_protocol"), &mut unknown, "protocol").unwrap_or_default(),
            from_port: port(keep(a.int("from_port"), &mut unknown, "from_port")),
            to_port: port(keep(a.int("to_port"), &mut unknown, "to_port")),
            ipv4_ranges: keep(a.string("cidr_ipv4"), &mut unknown, "ipv4_ranges")
                .into_iter()
                .collect(),
            ipv6_ranges: keep(a.string("cidr_ipv6"), &mut unknown, "ipv6_ranges")
                .into_iter()
                .collect(),
            prefix_list_ids: keep(a.string("prefix_list_id"), &mut unknown, "prefix_list_ids")
                .into_iter()
                .collect(),
            description: keep(a.string("description"), &mut Unknown::new(), "description"),
            rule_id: keep(
                a.string("security_group_rule_id"),
                &mut Unknown::new(),
                "rule_id",
            ),
            origin: Some(self.origin(inst)),
            ..SecurityGroupRule::default()
        };
        if let Some(source) = keep(
            a.string("referenced_security_group_id"),
            &mut unknown,
            "referenced_groups",
        ) {
            let is_self = source == group;
            let mut reference = group_ref(source);
            reference.is_self = is_self;
            rule.referenced_groups.push(reference);
        }
        rule.unknown = unknown;
        self.unit.links.sg_rules.push(SgRuleLink {
            group,
            egress,
            rule,
            origin: self.origin(inst),
        });
    }

    fn network_acl(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let mut acl = NetworkAcl {
            id: Self::id(inst, a),
            vpc_id: keep(a.string("vpc_id"), &mut unknown, "vpc_id").unwrap_or_default(),
            is_default: inst.rtype == "aws_default_network_acl",
            subnet_ids: keep(a.strings("subnet_ids"), &mut unknown, "subnet_ids")
                .unwrap_or_default(),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            ..NetworkAcl::default()
        };
        for (key, egress) in [("ingress", false), ("egress", true)] {
            match a.blocks(key) {
                Val::Known(blocks) => {
                    for b in blocks {
                        acl.entries.push(self.acl_entry(inst, &b, egress));
                    }
                }
                Val::Absent => {}
                Val::Unknown(reason) => {
                    unknown.insert(format!("entries.{key}"), reason);
                }
            }
        }
        acl.unknown = unknown;
        self.unit.network_acls.push(acl);
    }

    /// An `ingress` / `egress` block of `aws_network_acl`.
    fn acl_entry(&self, inst: &Inst<'p>, b: &Attrs<'_, 'p>, egress: bool) -> NetworkAclEntry {
        let mut unknown = Unknown::new();
        NetworkAclEntry {
            rule_number: keep(b.int("rule_no"), &mut unknown, "rule_number")
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
            egress,
            protocol: keep(b.string("protocol"), &mut unknown, "protocol").unwrap_or_default(),
            action: acl_action(keep(b.string("action"), &mut unknown, "action").as_deref()),
            cidr_block: keep(b.string("cidr_block"), &mut unknown, "cidr_block"),
            ipv6_cidr_block: keep(b.string("ipv6_cidr_block"), &mut unknown, "ipv6_cidr_block"),
            from_port: port(keep(b.int("from_port"), &mut unknown, "from_port")),
            to_port: port(keep(b.int("to_port"), &mut unknown, "to_port")),
            origin: Some(self.locator.origin(b.offset(), Some(&inst.address))),
            unknown,
        }
    }

    fn network_acl_rule(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let acl = Self::rule_group(a, "network_acl_id", inst);
        let mut unknown = Unknown::new();
        let entry = NetworkAclEntry {
            rule_number: keep(a.int("rule_number"), &mut unknown, "rule_number")
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
            egress: keep(a.flag("egress"), &mut unknown, "egress").unwrap_or(false),
            protocol: keep(a.string("protocol"), &mut unknown, "protocol").unwrap_or_default(),
            action: acl_action(keep(a.string("rule_action"), &mut unknown, "action").as_deref()),
            cidr_block: keep(a.string("cidr_block"), &mut unknown, "cidr_block"),
            ipv6_cidr_block: keep(a.string("ipv6_cidr_block"), &mut unknown, "ipv6_cidr_block"),
            from_port: port(keep(a.int("from_port"), &mut unknown, "from_port")),
            to_port: port(keep(a.int("to_port"), &mut unknown, "to_port")),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.links.nacl_entries.push(NaclLink {
            acl,
            entry,
            origin: self.origin(inst),
        });
    }

    fn network_acl_association(&mut self, a: &Attrs<'_, 'p>) {
        if let (Val::Known(acl), Val::Known(subnet)) =
            (a.string("network_acl_id"), a.string("subnet_id"))
        {
            self.unit.links.nacl_subnets.push((acl, subnet));
        }
    }

    fn instance(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let mut security_group_ids = keep(
            a.strings("vpc_security_group_ids"),
            &mut unknown,
            "security_group_ids",
        )
        .unwrap_or_default();
        for name in keep(
            a.strings("security_groups"),
            &mut unknown,
            "security_group_ids",
        )
        .unwrap_or_default()
        {
            if !security_group_ids.contains(&name) {
                security_group_ids.push(name);
            }
        }
        let state = match a.string("instance_state") {
            Val::Known(s) => instance_state(&s),
            _ => InstanceState::Running,
        };
        let instance = Instance {
            id: Self::id(inst, a),
            state,
            subnet_id: keep(a.string("subnet_id"), &mut unknown, "subnet_id"),
            vpc_id: None,
            private_ip: keep(a.string("private_ip"), &mut Unknown::new(), "private_ip"),
            // The address AWS assigns is a consequence of the settings below (and of the
            // subnet), not a setting: unknown at plan time is not a reason to give up.
            public_ip: keep(a.string("public_ip"), &mut Unknown::new(), "public_ip"),
            associate_public_ip_address: keep(
                a.flag("associate_public_ip_address"),
                &mut unknown,
                "associate_public_ip_address",
            ),
            key_name: keep(a.string("key_name"), &mut unknown, "key_name"),
            instance_profile: keep(
                a.string("iam_instance_profile"),
                &mut unknown,
                "instance_profile",
            ),
            security_group_ids,
            launch_template_id: match a.blocks("launch_template") {
                Val::Known(blocks) => blocks.first().and_then(|b| match b.string("id") {
                    Val::Known(id) => Some(id),
                    _ => match b.string("name") {
                        Val::Known(name) => Some(name),
                        _ => None,
                    },
                }),
                _ => None,
            },
            platform: None,
            tags: tags(a),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.instances.push(instance);
    }

    fn launch_template(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let launch_configuration = inst.rtype == "aws_launch_configuration";
        let (public_ip, profile) = if launch_configuration {
            (
                keep(
                    a.flag("associate_public_ip_address"),
                    &mut unknown,
                    "associate_public_ip_address",
                ),
                keep(
                    a.string("iam_instance_profile"),
                    &mut unknown,
                    "instance_profile",
                ),
            )
        } else {
            (
                Self::template_public_ip(a, &mut unknown),
                match a.blocks("iam_instance_profile") {
                    Val::Known(blocks) => blocks.first().and_then(|b| match b.string("arn") {
                        Val::Known(arn) => Some(arn),
                        _ => keep(b.string("name"), &mut unknown, "instance_profile"),
                    }),
                    Val::Absent => None,
                    Val::Unknown(reason) => {
                        unknown.insert("instance_profile".to_owned(), reason);
                        None
                    }
                },
            )
        };
        let group_key = if launch_configuration {
            "security_groups"
        } else {
            "vpc_security_group_ids"
        };
        let template = LaunchTemplate {
            id: Self::id(inst, a),
            name: keep(a.string("name"), &mut Unknown::new(), "name").unwrap_or_default(),
            default_version: keep(
                a.int("default_version"),
                &mut Unknown::new(),
                "default_version",
            ),
            key_name: keep(a.string("key_name"), &mut unknown, "key_name"),
            associate_public_ip_address: public_ip,
            instance_profile: profile,
            security_group_ids: keep(a.strings(group_key), &mut unknown, "security_group_ids")
                .unwrap_or_default(),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.launch_templates.push(template);
    }

    /// `network_interfaces[*].associate_public_ip_address` of a launch template (a string
    /// in the provider: "true", "false" or "").
    fn template_public_ip(a: &Attrs<'_, 'p>, unknown: &mut Unknown) -> Option<bool> {
        match a.blocks("network_interfaces") {
            Val::Known(blocks) => {
                let mut any = None;
                for b in blocks {
                    match b.flag("associate_public_ip_address") {
                        Val::Known(true) => return Some(true),
                        Val::Known(false) => any = Some(false),
                        Val::Absent => {}
                        Val::Unknown(reason) => {
                            unknown.insert("associate_public_ip_address".to_owned(), reason);
                        }
                    }
                }
                any
            }
            Val::Absent => None,
            Val::Unknown(reason) => {
                unknown.insert("associate_public_ip_address".to_owned(), reason);
                None
            }
        }
    }

    fn vpc_endpoint(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let endpoint_type = match a.string("vpc_endpoint_type") {
            Val::Known(t) => match t.as_str() {
                "Interface" => EndpointType::Interface,
                "GatewayLoadBalancer" => EndpointType::GatewayLoadBalancer,
                "Resource" => EndpointType::Resource,
                "ServiceNetwork" => EndpointType::ServiceNetwork,
                _ => EndpointType::Gateway,
            },
            // Terraform's default type.
            Val::Absent => EndpointType::Gateway,
            Val::Unknown(reason) => {
                unknown.insert("endpoint_type".to_owned(), reason);
                EndpointType::Gateway
            }
        };
        let endpoint = VpcEndpoint {
            id: Self::id(inst, a),
            vpc_id: keep(a.string("vpc_id"), &mut unknown, "vpc_id").unwrap_or_default(),
            service_name: keep(a.string("service_name"), &mut unknown, "service_name")
                .unwrap_or_default(),
            endpoint_type,
            private_dns_enabled: keep(
                a.flag("private_dns_enabled"),
                &mut unknown,
                "private_dns_enabled",
            )
            .unwrap_or(false),
            state: "available".to_owned(),
            subnet_ids: keep(a.strings("subnet_ids"), &mut unknown, "subnet_ids")
                .unwrap_or_default(),
            route_table_ids: keep(
                a.strings("route_table_ids"),
                &mut unknown,
                "route_table_ids",
            )
            .unwrap_or_default(),
            security_group_ids: keep(
                a.strings("security_group_ids"),
                &mut unknown,
                "security_group_ids",
            )
            .unwrap_or_default(),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.vpc_endpoints.push(endpoint);
    }

    fn ssm_document(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let name =
            keep(a.string("name"), &mut unknown, "name").unwrap_or_else(|| inst.address.clone());
        let mut document = SsmDocument {
            name,
            document_type: keep(a.string("document_type"), &mut unknown, "document_type")
                .unwrap_or_else(|| "Command".to_owned()),
            origin: Some(self.origin(inst)),
            tags: tags(a),
            ..SsmDocument::default()
        };
        if let Val::Known(permissions) = a.node("permissions")
            && let Some(accounts) = permissions.get("account_ids").and_then(Node::scalar_text)
        {
            document.shared_with = accounts
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        match a.node("content") {
            Val::Known(content) => {
                let format = match a.string("document_format") {
                    Val::Known(f) => f,
                    _ => "JSON".to_owned(),
                };
                match super::parse_embedded(content, &format) {
                    Ok(parsed) => apply_content(&mut document, parsed, &mut unknown),
                    Err(reason) => {
                        unknown.insert("content".to_owned(), reason.clone());
                        unknown.insert("inputs".to_owned(), reason);
                    }
                }
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("content".to_owned(), reason.clone());
                unknown.insert("inputs".to_owned(), reason);
            }
        }
        document.unknown = unknown;
        self.unit.ssm_documents.push(document);
    }

    fn kms_key(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let arn = match a.string("arn") {
            Val::Known(arn) => Some(arn),
            _ => None,
        };
        let key = KmsKey {
            id: match a.string("key_id") {
                Val::Known(id) => id,
                _ => Self::id(inst, a),
            },
            arn,
            key_manager: crate::model::KeyManager::Customer,
            key_state: Some(
                if matches!(a.flag("is_enabled"), Val::Known(false)) {
                    "Disabled"
                } else {
                    "Enabled"
                }
                .to_owned(),
            ),
            aliases: Vec::new(),
            origin: Some(self.origin(inst)),
            unknown: Unknown::new(),
        };
        self.unit.kms_keys.push(key);
    }

    fn kms_alias(&mut self, a: &Attrs<'_, 'p>) {
        if let (Val::Known(name), Val::Known(target)) =
            (a.string("name"), a.string("target_key_id"))
        {
            self.unit.links.kms_aliases.push((target, name));
        }
    }

    fn log_group(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let group = LogGroup {
            name: match a.string("name") {
                Val::Known(name) => name,
                _ => inst.address.clone(),
            },
            arn: match a.string("arn") {
                Val::Known(arn) => Some(arn),
                _ => None,
            },
            kms_key_id: keep(a.string("kms_key_id"), &mut unknown, "kms_key_id"),
            // 0 means "never expire".
            retention_days: keep(a.int("retention_in_days"), &mut unknown, "retention_days")
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| *d > 0),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.log_groups.push(group);
    }

    fn trail(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let management_events = Self::trail_management_events(a, &mut unknown);
        let trail = Trail {
            name: match a.string("name") {
                Val::Known(name) => name,
                _ => inst.address.clone(),
            },
            arn: match a.string("arn") {
                Val::Known(arn) => Some(arn),
                _ => None,
            },
            home_region: self.unit.region.clone(),
            is_multi_region: keep(
                a.flag("is_multi_region_trail"),
                &mut unknown,
                "is_multi_region",
            )
            .unwrap_or(false),
            is_organization_trail: keep(
                a.flag("is_organization_trail"),
                &mut unknown,
                "is_organization_trail",
            )
            .unwrap_or(false),
            // `enable_logging` defaults to true.
            is_logging: Some(
                keep(a.flag("enable_logging"), &mut unknown, "is_logging").unwrap_or(true),
            ),
            management_events,
            s3_bucket_name: keep(a.string("s3_bucket_name"), &mut unknown, "s3_bucket_name"),
            cloudwatch_logs_log_group_arn: keep(
                a.string("cloud_watch_logs_group_arn"),
                &mut unknown,
                "cloudwatch_logs_log_group_arn",
            ),
            kms_key_id: keep(a.string("kms_key_id"), &mut unknown, "kms_key_id"),
            log_file_validation_enabled: keep(
                a.flag("enable_log_file_validation"),
                &mut unknown,
                "log_file_validation_enabled",
            )
            .unwrap_or(false),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.trails.push(trail);
    }

    /// Which management events a trail records, from basic or advanced event selectors;
    /// without selectors a trail records all management events.
    fn trail_management_events(a: &Attrs<'_, 'p>, unknown: &mut Unknown) -> Option<String> {
        let advanced = match a.blocks("advanced_event_selector") {
            Val::Known(blocks) => blocks,
            Val::Absent => Vec::new(),
            Val::Unknown(reason) => {
                unknown.insert("management_events".to_owned(), reason);
                return None;
            }
        };
        if !advanced.is_empty() {
            return advanced_management(advanced.iter().map(Attrs::json));
        }
        let basic = match a.blocks("event_selector") {
            Val::Known(blocks) => blocks,
            Val::Absent => Vec::new(),
            Val::Unknown(reason) => {
                unknown.insert("management_events".to_owned(), reason);
                return None;
            }
        };
        if basic.is_empty() {
            return Some("All".to_owned());
        }
        let mut kinds = Vec::new();
        for b in basic {
            let include = !matches!(b.flag("include_management_events"), Val::Known(false));
            if include {
                kinds.push(match b.string("read_write_type") {
                    Val::Known(t) => t,
                    _ => "All".to_owned(),
                });
            }
        }
        combine_read_write(&kinds)
    }

    fn event_rule(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let state = match a.string("state") {
            Val::Known(state) => state,
            _ => match a.flag("is_enabled") {
                Val::Known(false) => "DISABLED".to_owned(),
                _ => "ENABLED".to_owned(),
            },
        };
        let event_pattern = match a.string("event_pattern") {
            Val::Known(text) => match crate::json::parse(&text) {
                Ok(node) => Some(node.to_json()),
                Err(e) => {
                    unknown.insert(
                        "event_pattern".to_owned(),
                        format!("not JSON: {}", e.message),
                    );
                    None
                }
            },
            Val::Absent => None,
            Val::Unknown(reason) => {
                unknown.insert("event_pattern".to_owned(), reason);
                None
            }
        };
        let rule = EventRule {
            name: match a.string("name") {
                Val::Known(name) => name,
                _ => inst.address.clone(),
            },
            arn: match a.string("arn") {
                Val::Known(arn) => Some(arn),
                _ => None,
            },
            event_bus_name: match a.string("event_bus_name") {
                Val::Known(bus) => bus,
                _ => "default".to_owned(),
            },
            state,
            event_pattern,
            targets: Vec::new(),
            origin: Some(self.origin(inst)),
            unknown,
        };
        self.unit.event_rules.push(rule);
    }

    fn event_target(&mut self, a: &Attrs<'_, 'p>) {
        if let Val::Known(rule) = a.string("rule") {
            let target = EventTarget {
                id: match a.string("target_id") {
                    Val::Known(id) => id,
                    _ => String::new(),
                },
                arn: match a.string("arn") {
                    Val::Known(arn) => arn,
                    _ => AFTER_APPLY.to_owned(),
                },
            };
            self.unit.links.event_targets.push((rule, target));
        }
    }

    fn account_public_access_block(&mut self, a: &Attrs<'_, 'p>) {
        self.unit.account_public_access_block = Some(public_access_block(a));
    }

    fn bucket(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let mut bucket = Bucket {
            name: match a.string("bucket") {
                Val::Known(name) => name,
                _ => inst.address.clone(),
            },
            region: self.unit.region.clone(),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            ..Bucket::default()
        };
        // Inline settings of the v3 provider (computed, and usually unset, in v4+).
        match a.blocks("server_side_encryption_configuration") {
            Val::Known(blocks) => {
                bucket.encryption = blocks.first().and_then(|b| encryption(b, &mut unknown));
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("encryption".to_owned(), reason);
            }
        }
        match a.blocks("versioning") {
            Val::Known(blocks) => {
                if let Some(b) = blocks.first() {
                    match b.flag("enabled") {
                        Val::Known(true) => bucket.versioning = Some("Enabled".to_owned()),
                        Val::Unknown(reason) => {
                            unknown.insert("versioning".to_owned(), reason);
                        }
                        _ => {}
                    }
                }
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("versioning".to_owned(), reason);
            }
        }
        bucket.object_lock_enabled = matches!(a.flag("object_lock_enabled"), Val::Known(true))
            || matches!(a.blocks("object_lock_configuration"), Val::Known(blocks)
                if blocks.iter().any(|b| matches!(b.string("object_lock_enabled"), Val::Known(s) if s == "Enabled")));
        match a.node("policy") {
            Val::Known(node) => match self.policy_document(inst, node) {
                Ok(doc) => bucket.policy = Some(doc),
                Err(reason) => {
                    unknown.insert("policy".to_owned(), reason);
                }
            },
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("policy".to_owned(), reason);
            }
        }
        bucket.unknown = unknown;
        self.unit.buckets.push(bucket);
    }

    /// `aws_s3_bucket_versioning`, `…_server_side_encryption_configuration`,
    /// `…_object_lock_configuration`, `…_public_access_block`, `…_policy`.
    fn bucket_part(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let bucket = match a.string("bucket") {
            Val::Known(bucket) => bucket,
            _ => inst.address.clone(),
        };
        let change = match inst.rtype.as_str() {
            "aws_s3_bucket_versioning" => match a.blocks("versioning_configuration") {
                Val::Known(blocks) => match blocks.first().map(|b| b.string("status")) {
                    Some(Val::Known(status)) => {
                        BucketChange::Versioning((status != "Disabled").then_some(status))
                    }
                    Some(Val::Unknown(reason)) => BucketChange::Unknown("versioning", reason),
                    _ => BucketChange::Versioning(None),
                },
                Val::Unknown(reason) => BucketChange::Unknown("versioning", reason),
                Val::Absent => BucketChange::Versioning(None),
            },
            "aws_s3_bucket_server_side_encryption_configuration" => {
                let mut unknown = Unknown::new();
                let found = match a.blocks("rule") {
                    Val::Known(rules) => rules.iter().find_map(|r| encryption(r, &mut unknown)),
                    Val::Unknown(reason) => {
                        unknown.insert("encryption".to_owned(), reason);
                        None
                    }
                    Val::Absent => None,
                };
                match unknown.into_iter().next() {
                    Some((_, reason)) => BucketChange::Unknown("encryption", reason),
                    None => BucketChange::Encryption(found),
                }
            }
            "aws_s3_bucket_object_lock_configuration" => BucketChange::ObjectLock(
                !matches!(a.string("object_lock_enabled"), Val::Known(s) if s != "Enabled"),
            ),
            "aws_s3_bucket_public_access_block" => {
                BucketChange::PublicAccessBlock(public_access_block(a))
            }
            "aws_s3_bucket_policy" => match a.node("policy") {
                Val::Known(node) => match self.policy_document(inst, node) {
                    Ok(doc) => BucketChange::Policy(doc),
                    Err(reason) => BucketChange::Unknown("policy", reason),
                },
                Val::Unknown(reason) => BucketChange::Unknown("policy", reason),
                Val::Absent => return,
            },
            _ => return,
        };
        self.unit.links.bucket_patches.push(BucketPatch {
            bucket,
            change,
            origin: self.origin(inst),
        });
    }

    /// A policy attribute: a JSON string whose statements are located inside the plan.
    fn policy_document(&self, inst: &Inst<'p>, node: N<'p>) -> Result<PolicyDocument, String> {
        document_any(
            node,
            self.locator,
            Some(&inst.address),
            Embedding::JsonString,
        )
        .map_err(|p| p.message)
    }

    /// A policy attribute read with reference following (for `policy = data.…json`).
    fn policy_attr(&self, inst: &Inst<'p>, a: &Attrs<'_, 'p>, key: &str) -> Val<PolicyDocument> {
        match a.node(key) {
            Val::Known(node) if node.as_str().is_some_and(str::is_empty) => Val::Absent,
            Val::Known(node) => match self.policy_document(inst, node) {
                Ok(doc) => Val::Known(doc),
                Err(reason) => Val::Unknown(reason),
            },
            Val::Absent => Val::Absent,
            Val::Unknown(reason) => Val::Unknown(reason),
        }
    }

    fn iam(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        match inst.rtype.as_str() {
            "aws_iam_policy" => self.iam_policy(inst, a),
            "aws_iam_role" => self.iam_role(inst, a),
            "aws_iam_user" => self.iam_user(inst, a),
            "aws_iam_group" => self.iam_group(inst, a),
            "aws_iam_role_policy" => self.iam_inline(inst, a, PrincipalKind::Role, "role"),
            "aws_iam_user_policy" => self.iam_inline(inst, a, PrincipalKind::User, "user"),
            "aws_iam_group_policy" => self.iam_inline(inst, a, PrincipalKind::Group, "group"),
            "aws_iam_role_policy_attachment" => self.iam_attach(a, PrincipalKind::Role, "role"),
            "aws_iam_user_policy_attachment" => self.iam_attach(a, PrincipalKind::User, "user"),
            "aws_iam_group_policy_attachment" => self.iam_attach(a, PrincipalKind::Group, "group"),
            "aws_iam_policy_attachment" => self.iam_policy_attachment(a),
            "aws_iam_user_group_membership" => {
                if let (Val::Known(user), Val::Known(groups)) =
                    (a.string("user"), a.strings("groups"))
                {
                    for group in groups {
                        self.unit.links.memberships.push((user.clone(), group));
                    }
                }
            }
            "aws_iam_group_membership" => {
                if let (Val::Known(group), Val::Known(users)) =
                    (a.string("group"), a.strings("users"))
                {
                    for user in users {
                        self.unit.links.memberships.push((user, group.clone()));
                    }
                }
            }
            "aws_iam_instance_profile" => self.instance_profile(inst, a),
            _ => {}
        }
    }

    fn name_or_address(inst: &Inst<'p>, a: &Attrs<'_, 'p>) -> String {
        match a.string("name") {
            Val::Known(name) => name,
            _ => inst.address.clone(),
        }
    }

    fn arn_or_address(inst: &Inst<'p>, a: &Attrs<'_, 'p>) -> String {
        match a.string("arn") {
            Val::Known(arn) => arn,
            _ => inst.address.clone(),
        }
    }

    fn path(a: &Attrs<'_, 'p>) -> String {
        match a.string("path") {
            Val::Known(path) => path,
            _ => "/".to_owned(),
        }
    }

    fn iam_policy(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let document = keep(
            self.policy_attr(inst, a, "policy"),
            &mut unknown,
            "document",
        )
        .unwrap_or_else(|| PolicyDocument::new(Json::Null));
        self.unit.iam.policies.push(ManagedPolicy {
            arn: Self::arn_or_address(inst, a),
            name: Self::name_or_address(inst, a),
            path: Self::path(a),
            aws_managed: false,
            default_version_id: None,
            document,
            origin: Some(self.origin(inst)),
            unknown,
        });
    }

    fn iam_role(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let mut role = Role {
            name: Self::name_or_address(inst, a),
            arn: Self::arn_or_address(inst, a),
            id: match a.string("unique_id") {
                Val::Known(id) => id,
                _ => String::new(),
            },
            path: Self::path(a),
            trust_policy: keep(
                self.policy_attr(inst, a, "assume_role_policy"),
                &mut unknown,
                "trust_policy",
            ),
            permissions_boundary: keep(
                a.string("permissions_boundary"),
                &mut unknown,
                "permissions_boundary",
            ),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            ..Role::default()
        };
        match a.blocks("inline_policy") {
            Val::Known(blocks) => {
                for b in blocks {
                    let Val::Known(name) = b.string("name") else {
                        continue;
                    };
                    match b.node("policy") {
                        Val::Known(node) if node.as_str().is_some_and(|s| !s.is_empty()) => {
                            match self.policy_document(inst, node) {
                                Ok(document) => {
                                    role.inline_policies.push(InlinePolicy { name, document });
                                }
                                Err(reason) => {
                                    unknown
                                        .insert(format!("inline_policies.{name}.document"), reason);
                                }
                            }
                        }
                        Val::Unknown(reason) => {
                            unknown.insert(format!("inline_policies.{name}.document"), reason);
                        }
                        _ => {}
                    }
                }
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("inline_policies".to_owned(), reason);
            }
        }
        match a.strings("managed_policy_arns") {
            Val::Known(arns) => {
                for arn in arns {
                    self.unit.links.attachments.push(AttachLink {
                        kind: PrincipalKind::Role,
                        principal: inst.address.clone(),
                        policy: Ok(arn),
                    });
                }
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert("attached_policies".to_owned(), reason);
            }
        }
        role.unknown = unknown;
        self.unit.iam.roles.push(role);
    }

    fn iam_user(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let mut unknown = Unknown::new();
        let user = User {
            name: Self::name_or_address(inst, a),
            arn: Self::arn_or_address(inst, a),
            id: match a.string("unique_id") {
                Val::Known(id) => id,
                _ => String::new(),
            },
            path: Self::path(a),
            permissions_boundary: keep(
                a.string("permissions_boundary"),
                &mut unknown,
                "permissions_boundary",
            ),
            tags: tags(a),
            origin: Some(self.origin(inst)),
            ..User::default()
        };
        let mut user = user;
        user.unknown = unknown;
        self.unit.iam.users.push(user);
    }

    fn iam_group(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        self.unit.iam.groups.push(Group {
            name: Self::name_or_address(inst, a),
            arn: Self::arn_or_address(inst, a),
            id: match a.string("unique_id") {
                Val::Known(id) => id,
                _ => String::new(),
            },
            path: Self::path(a),
            origin: Some(self.origin(inst)),
            ..Group::default()
        });
    }

    fn iam_inline(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>, kind: PrincipalKind, key: &str) {
        let mut unknown = Unknown::new();
        let document = keep(
            self.policy_attr(inst, a, "policy"),
            &mut unknown,
            "document",
        )
        .unwrap_or_else(|| PolicyDocument::new(Json::Null));
        let principal = match a.string(key) {
            Val::Known(p) => p,
            // Unknown and unresolvable: the policy is judged on its own.
            _ => format!("{} (unknown {key})", inst.address),
        };
        self.unit.links.inline_policies.push(InlineLink {
            kind,
            principal,
            policy: InlinePolicy {
                name: Self::name_or_address(inst, a),
                document,
            },
            origin: self.origin(inst),
            unknown,
        });
    }

    fn iam_attach(&mut self, a: &Attrs<'_, 'p>, kind: PrincipalKind, key: &str) {
        let Val::Known(principal) = a.string(key) else {
            return;
        };
        let policy = match a.string("policy_arn") {
            Val::Known(arn) => Ok(arn),
            Val::Absent => return,
            Val::Unknown(reason) => Err(format!("an attached policy is unknown: {reason}")),
        };
        self.unit.links.attachments.push(AttachLink {
            kind,
            principal,
            policy,
        });
    }

    fn iam_policy_attachment(&mut self, a: &Attrs<'_, 'p>) {
        let policy = match a.string("policy_arn") {
            Val::Known(arn) => Ok(arn),
            Val::Absent => return,
            Val::Unknown(reason) => Err(format!("an attached policy is unknown: {reason}")),
        };
        for (key, kind) in [
            ("users", PrincipalKind::User),
            ("roles", PrincipalKind::Role),
            ("groups", PrincipalKind::Group),
        ] {
            if let Val::Known(principals) = a.strings(key) {
                for principal in principals {
                    self.unit.links.attachments.push(AttachLink {
                        kind,
                        principal,
                        policy: policy.clone(),
                    });
                }
            }
        }
    }

    fn instance_profile(&mut self, inst: &Inst<'p>, a: &Attrs<'_, 'p>) {
        let profile = InstanceProfile {
            name: Self::name_or_address(inst, a),
            arn: Self::arn_or_address(inst, a),
            path: Self::path(a),
            roles: Vec::new(),
            origin: Some(self.origin(inst)),
            unknown: Unknown::new(),
        };
        let key = profile.arn.clone();
        match a.string("role") {
            Val::Known(role) => self.unit.links.profile_roles.push((key, Ok(role))),
            Val::Absent => {}
            Val::Unknown(reason) => self.unit.links.profile_roles.push((key, Err(reason))),
        }
        self.unit.iam.instance_profiles.push(profile);
    }
}

fn port(value: Option<i64>) -> Option<i32> {
    value.and_then(|v| i32::try_from(v).ok())
}

/// The fields `aws_security_group`'s `ingress`/`egress` blocks and `aws_security_group_rule`
/// share (same attribute names), with `self = true` as a reference to `self_group`. Values
/// unknown at plan time are recorded in the rule's `unknown`, `self` included.
fn classic_sg_rule(
    a: &Attrs<'_, '_>,
    origin: crate::model::Origin,
    self_group: &str,
) -> SecurityGroupRule {
    let mut unknown = Unknown::new();
    let mut rule = SecurityGroupRule {
        protocol: keep(a.string("protocol"), &mut unknown, "protocol").unwrap_or_default(),
        from_port: port(keep(a.int("from_port"), &mut unknown, "from_port")),
        to_port: port(keep(a.int("to_port"), &mut unknown, "to_port")),
        ipv4_ranges: keep(a.strings("cidr_blocks"), &mut unknown, "ipv4_ranges")
            .unwrap_or_default(),
        ipv6_ranges: keep(a.strings("ipv6_cidr_blocks"), &mut unknown, "ipv6_ranges")
            .unwrap_or_default(),
        prefix_list_ids: keep(
            a.strings("prefix_list_ids"),
            &mut unknown,
            "prefix_list_ids",
        )
        .unwrap_or_default(),
        description: keep(a.string("description"), &mut Unknown::new(), "description"),
        origin: Some(origin),
        ..SecurityGroupRule::default()
    };
    match a.flag("self") {
        Val::Known(true) => rule.referenced_groups.push(GroupReference {
            group_id: self_group.to_owned(),
            account_id: None,
            is_self: true,
        }),
        Val::Unknown(reason) => {
            unknown.insert("referenced_groups".to_owned(), reason);
        }
        _ => {}
    }
    rule.unknown = unknown;
    rule
}

fn group_ref(id: String) -> GroupReference {
    // `123456789012/sg-…` names a group in another account.
    match id.split_once('/') {
        Some((account, group)) if account_id_of(account).is_some() => GroupReference {
            group_id: group.to_owned(),
            account_id: Some(account.to_owned()),
            is_self: false,
        },
        _ => GroupReference {
            group_id: id,
            account_id: None,
            is_self: false,
        },
    }
}

fn acl_action(action: Option<&str>) -> AclAction {
    match action {
        Some(a) if a.eq_ignore_ascii_case("allow") => AclAction::Allow,
        _ => AclAction::Deny,
    }
}

fn instance_state(text: &str) -> InstanceState {
    match text {
        "pending" => InstanceState::Pending,
        "shutting-down" => InstanceState::ShuttingDown,
        "terminated" => InstanceState::Terminated,
        "stopping" => InstanceState::Stopping,
        "stopped" => InstanceState::Stopped,
        _ => InstanceState::Running,
    }
}

/// `rule { apply_server_side_encryption_by_default { sse_algorithm, kms_master_key_id } }`.
fn encryption(rule: &Attrs<'_, '_>, unknown: &mut Unknown) -> Option<BucketEncryption> {
    // Inline (v3) configuration nests one more level: `rule { … }` inside the block.
    let rules = match rule.blocks("rule") {
        Val::Known(inner) if !inner.is_empty() => inner,
        _ => vec![*rule],
    };
    for r in rules {
        let bucket_key_enabled = matches!(r.flag("bucket_key_enabled"), Val::Known(true));
        match r.blocks("apply_server_side_encryption_by_default") {
            Val::Known(blocks) => {
                if let Some(b) = blocks.first() {
                    let algorithm = keep(b.string("sse_algorithm"), unknown, "encryption")?;
                    return Some(BucketEncryption {
                        algorithm,
                        kms_key_id: keep(b.string("kms_master_key_id"), unknown, "encryption"),
                        bucket_key_enabled,
                    });
                }
            }
            Val::Unknown(reason) => {
                unknown.insert("encryption".to_owned(), reason);
            }
            Val::Absent => {}
        }
    }
    None
}

fn public_access_block(a: &Attrs<'_, '_>) -> PublicAccessBlock {
    let on = |key| matches!(a.flag(key), Val::Known(true));
    PublicAccessBlock {
        block_public_acls: on("block_public_acls"),
        ignore_public_acls: on("ignore_public_acls"),
        block_public_policy: on("block_public_policy"),
        restrict_public_buckets: on("restrict_public_buckets"),
    }
}

/// Management events recorded by advanced event selectors (`eventCategory = Management`,
/// optionally `readOnly = true|false`).
pub(crate) fn advanced_management(selectors: impl Iterator<Item = Json>) -> Option<String> {
    let mut kinds = Vec::new();
    for selector in selectors {
        let fields = selector
            .get("field_selector")
            .or_else(|| selector.get("FieldSelectors"))
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let field = |name: &str| {
            fields.iter().find(|f| {
                f.get("field")
                    .or_else(|| f.get("Field"))
                    .and_then(Json::as_str)
                    == Some(name)
            })
        };
        let equals = |f: &Json| -> Vec<String> {
            f.get("equals")
                .or_else(|| f.get("Equals"))
                .and_then(Json::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let management =
            field("eventCategory").is_some_and(|f| equals(f).iter().any(|v| v == "Management"));
        if !management {
            continue;
        }
        kinds.push(match field("readOnly").map(equals).as_deref() {
            Some([v]) if v == "true" => "ReadOnly".to_owned(),
            Some([v]) if v == "false" => "WriteOnly".to_owned(),
            _ => "All".to_owned(),
        });
    }
    combine_read_write(&kinds)
}

fn combine_read_write(kinds: &[String]) -> Option<String> {
    let all = kinds.iter().any(|k| k == "All")
        || (kinds.iter().any(|k| k == "ReadOnly") && kinds.iter().any(|k| k == "WriteOnly"));
    if all {
        Some("All".to_owned())
    } else {
        kinds.first().cloned()
    }
}

/// Session document content → the document's session type, inputs and content.
pub(crate) fn apply_content(document: &mut SsmDocument, content: Json, unknown: &mut Unknown) {
    document.session_type = crate::model::ssm::session_type_of(&content);
    let (inputs, problems) = SessionInputs::from_content(&content);
    document.inputs = inputs;
    for problem in problems {
        unknown.insert(problem.field, problem.reason);
    }
    document.content = Some(content);
}

#[cfg(test)]
mod tests;
