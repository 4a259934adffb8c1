//! CloudFormation resource types → model resources, one function per type family. Fields
//! whose value the template does not decide are recorded in the resource's `unknown` map.

use serde_json::Value as Json;

use crate::model::{
    AclAction, Bucket, BucketEncryption, EndpointType, EventRule, EventTarget, Group,
    GroupReference, InlinePolicy, Instance, InstanceProfile, KeyManager, KmsKey, LaunchTemplate,
    LogGroup, ManagedPolicy, NetworkAcl, NetworkAclEntry, PolicyDocument, PublicAccessBlock, Role,
    SecurityGroup, SecurityGroupRule, SsmDocument, Subnet, Tags, Trail, Unknown, User, Vpc,
    VpcEndpoint,
};

use super::super::builder::{
    AttachLink, BucketChange, BucketPatch, InlineLink, NaclLink, PrincipalKind, SgRuleLink, Unit,
    Val, account_id_of, keep,
};
use super::super::iam_json::{self, document_from_string, statement_nodes};
use super::{Elem, N, Resource, Template};

pub(super) fn ingest<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    match r.rtype.as_str() {
        "AWS::EC2::VPC" => vpc(t, r, unit),
        "AWS::EC2::Subnet" => subnet(t, r, unit),
        "AWS::EC2::SecurityGroup" => security_group(t, r, unit),
        "AWS::EC2::SecurityGroupIngress" => security_group_rule(t, r, unit, false),
        "AWS::EC2::SecurityGroupEgress" => security_group_rule(t, r, unit, true),
        "AWS::EC2::NetworkAcl" => network_acl(t, r, unit),
        "AWS::EC2::NetworkAclEntry" => network_acl_entry(t, r, unit),
        "AWS::EC2::SubnetNetworkAclAssociation" => {
            if let (Some(Val::Known(acl)), Some(Val::Known(subnet))) = (
                r.prop("NetworkAclId").map(|n| t.text(n)),
                r.prop("SubnetId").map(|n| t.text(n)),
            ) {
                unit.links.nacl_subnets.push((acl, subnet));
            }
        }
        "AWS::EC2::Instance" => instance(t, r, unit),
        "AWS::EC2::LaunchTemplate" | "AWS::AutoScaling::LaunchConfiguration" => {
            launch_template(t, r, unit);
        }
        "AWS::EC2::VPCEndpoint" => vpc_endpoint(t, r, unit),
        "AWS::SSM::Document" => ssm_document(t, r, unit),
        "AWS::S3::Bucket" => bucket(t, r, unit),
        "AWS::S3::BucketPolicy" => bucket_policy(t, r, unit),
        "AWS::Logs::LogGroup" => log_group(t, r, unit),
        "AWS::KMS::Key" => kms_key(t, r, unit),
        "AWS::KMS::Alias" => {
            if let (Some(Val::Known(name)), Some(Val::Known(target))) = (
                r.prop("AliasName").map(|n| t.text(n)),
                r.prop("TargetKeyId").map(|n| t.text(n)),
            ) {
                unit.links.kms_aliases.push((target, name));
            }
        }
        "AWS::CloudTrail::Trail" => trail(t, r, unit),
        "AWS::Events::Rule" => event_rule(t, r, unit),
        "AWS::IAM::Role" => role(t, r, unit),
        "AWS::IAM::User" => user(t, r, unit),
        "AWS::IAM::Group" => group(t, r, unit),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => policy(t, r, unit),
        "AWS::IAM::RolePolicy" => inline_resource(t, r, unit, PrincipalKind::Role, "RoleName"),
        "AWS::IAM::UserPolicy" => inline_resource(t, r, unit, PrincipalKind::User, "UserName"),
        "AWS::IAM::GroupPolicy" => inline_resource(t, r, unit, PrincipalKind::Group, "GroupName"),
        "AWS::IAM::UserToGroupAddition" => {
            if let (Some(Val::Known(group)), Some(Val::Known(users))) = (
                r.prop("GroupName").map(|n| t.text(n)),
                r.prop("Users").map(|n| t.texts(n)),
            ) {
                for user in users {
                    unit.links.memberships.push((user, group.clone()));
                }
            }
        }
        "AWS::IAM::InstanceProfile" => instance_profile(t, r, unit),
        _ => {}
    }
}

/// A property as text (absent when not given).
fn text<'t>(t: &Template<'t>, r: &Resource<'t>, key: &str) -> Val<String> {
    match r.prop(key) {
        Some(node) => match t.text(node) {
            Val::Known(s) if s.is_empty() => Val::Absent,
            other => other,
        },
        None => Val::Absent,
    }
}

fn text_of<'t>(t: &Template<'t>, node: Option<N<'t>>) -> Val<String> {
    match node {
        Some(node) => match t.text(node) {
            Val::Known(s) if s.is_empty() => Val::Absent,
            other => other,
        },
        None => Val::Absent,
    }
}

fn flag_of<'t>(t: &Template<'t>, node: Option<N<'t>>) -> Val<bool> {
    node.map_or(Val::Absent, |n| t.flag(n))
}

fn int_of<'t>(t: &Template<'t>, node: Option<N<'t>>) -> Val<i64> {
    node.map_or(Val::Absent, |n| t.int(n))
}

fn texts_of<'t>(t: &Template<'t>, node: Option<N<'t>>) -> Val<Vec<String>> {
    node.map_or(Val::Absent, |n| t.texts(n))
}

/// The items of a list property; each item must be a mapping.
fn entries<'t>(t: &Template<'t>, node: Option<N<'t>>) -> Val<Vec<N<'t>>> {
    let Some(node) = node else {
        return Val::Absent;
    };
    let items = match t.list(node) {
        Val::Known(items) => items,
        Val::Absent => return Val::Absent,
        Val::Unknown(reason) => return Val::Unknown(reason),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Elem::Node(n) => match Template::structure(n) {
                Val::Known(n) if n.is_object() => out.push(n),
                Val::Known(n) => {
                    return Val::Unknown(format!("expected a mapping, found {}", n.type_name()));
                }
                Val::Absent => {}
                Val::Unknown(reason) => return Val::Unknown(reason),
            },
            Elem::Text(_) => return Val::Unknown("expected a mapping, found text".to_owned()),
        }
    }
    Val::Known(out)
}

fn tags<'t>(t: &Template<'t>, r: &Resource<'t>) -> Tags {
    let mut out = Tags::new();
    let Some(node) = r.prop("Tags") else {
        return out;
    };
    if let Val::Known(items) = entries(t, Some(node)) {
        for item in items {
            if let (Val::Known(k), Val::Known(v)) =
                (text_of(t, item.get("Key")), text_of(t, item.get("Value")))
            {
                out.insert(k, v);
            }
        }
    }
    out
}

fn port(value: Option<i64>) -> Option<i32> {
    value.and_then(|v| i32::try_from(v).ok())
}

fn origin<'t>(t: &Template<'t>, r: &Resource<'t>) -> crate::model::Origin {
    t.origin(r.node.offset(), &r.id)
}

fn name_or_id<'t>(t: &Template<'t>, r: &Resource<'t>, key: &str) -> String {
    match text(t, r, key) {
        Val::Known(name) => name,
        _ => r.id.clone(),
    }
}

fn vpc<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    unit.vpcs.push(Vpc {
        id: r.id.clone(),
        cidr_block: keep(text(t, r, "CidrBlock"), &mut unknown, "cidr_block"),
        ipv6_cidr_blocks: Vec::new(),
        is_default: false,
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn subnet<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    unit.subnets.push(Subnet {
        id: r.id.clone(),
        vpc_id: keep(text(t, r, "VpcId"), &mut unknown, "vpc_id").unwrap_or_default(),
        cidr_block: keep(text(t, r, "CidrBlock"), &mut unknown, "cidr_block"),
        availability_zone: keep(text(t, r, "AvailabilityZone"), &mut Unknown::new(), "az"),
        map_public_ip_on_launch: keep(
            flag_of(t, r.prop("MapPublicIpOnLaunch")),
            &mut unknown,
            "map_public_ip_on_launch",
        )
        .unwrap_or(false),
        assign_ipv6_address_on_creation: keep(
            flag_of(t, r.prop("AssignIpv6AddressOnCreation")),
            &mut unknown,
            "assign_ipv6_address_on_creation",
        )
        .unwrap_or(false),
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
    });
}

/// An ingress or egress entry (inline, or the properties of a standalone rule resource).
fn sg_rule<'t>(
    t: &Template<'t>,
    entry: N<'t>,
    egress: bool,
    address: &str,
    group_id: &str,
) -> SecurityGroupRule {
    let mut unknown = Unknown::new();
    let get = |key: &str| entry.get(key);
    let (prefix_key, group_key) = if egress {
        ("DestinationPrefixListId", "DestinationSecurityGroupId")
    } else {
        ("SourcePrefixListId", "SourceSecurityGroupId")
    };
    let mut rule = SecurityGroupRule {
        protocol: keep(text_of(t, get("IpProtocol")), &mut unknown, "protocol").unwrap_or_default(),
        from_port: port(keep(int_of(t, get("FromPort")), &mut unknown, "from_port")),
        to_port: port(keep(int_of(t, get("ToPort")), &mut unknown, "to_port")),
        ipv4_ranges: keep(text_of(t, get("CidrIp")), &mut unknown, "ipv4_ranges")
            .into_iter()
            .collect(),
        ipv6_ranges: keep(text_of(t, get("CidrIpv6")), &mut unknown, "ipv6_ranges")
            .into_iter()
            .collect(),
        prefix_list_ids: keep(text_of(t, get(prefix_key)), &mut unknown, "prefix_list_ids")
            .into_iter()
            .collect(),
        description: keep(
            text_of(t, get("Description")),
            &mut Unknown::new(),
            "description",
        ),
        origin: Some(t.origin(entry.offset(), address)),
        ..SecurityGroupRule::default()
    };
    let mut referenced = keep(
        text_of(t, get(group_key)),
        &mut unknown,
        "referenced_groups",
    );
    if referenced.is_none() && !egress {
        // Default-VPC rules may name the source group instead of giving its id.
        referenced = keep(
            text_of(t, get("SourceSecurityGroupName")),
            &mut unknown,
            "referenced_groups",
        );
    }
    if let Some(group) = referenced {
        let owner = keep(
            text_of(t, get("SourceSecurityGroupOwnerId")),
            &mut Unknown::new(),
            "owner",
        )
        .filter(|o| account_id_of(o).is_some() && *o != t.account);
        rule.referenced_groups.push(GroupReference {
            is_self: group == group_id,
            group_id: group,
            account_id: owner,
        });
    }
    rule.unknown = unknown;
    rule
}

fn security_group<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let mut group = SecurityGroup {
        id: r.id.clone(),
        name: name_or_id(t, r, "GroupName"),
        vpc_id: keep(text(t, r, "VpcId"), &mut unknown, "vpc_id"),
        description: keep(
            text(t, r, "GroupDescription"),
            &mut Unknown::new(),
            "description",
        ),
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        ..SecurityGroup::default()
    };
    for (key, egress) in [
        ("SecurityGroupIngress", false),
        ("SecurityGroupEgress", true),
    ] {
        match entries(t, r.prop(key)) {
            Val::Known(items) => {
                for entry in items {
                    let rule = sg_rule(t, entry, egress, &r.id, &r.id);
                    if egress {
                        group.egress.push(rule);
                    } else {
                        group.ingress.push(rule);
                    }
                }
            }
            Val::Absent if egress => {
                // AWS adds an allow-all egress rule to every new VPC security group, and
                // CloudFormation keeps it when the template declares no egress.
                group.egress.push(SecurityGroupRule {
                    protocol: "-1".to_owned(),
                    ipv4_ranges: vec!["0.0.0.0/0".to_owned()],
                    description: Some("the default egress rule AWS adds".to_owned()),
                    origin: Some(origin(t, r)),
                    ..SecurityGroupRule::default()
                });
            }
            Val::Absent => {}
            Val::Unknown(reason) => {
                let field = if egress { "egress" } else { "ingress" };
                unknown.insert(field.to_owned(), format!("{key}: {reason}"));
            }
        }
    }
    group.unknown = unknown;
    unit.security_groups.push(group);
}

fn security_group_rule<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit, egress: bool) {
    let Some(props) = r.props else {
        return;
    };
    let group = match text(t, r, "GroupId") {
        Val::Known(id) => id,
        _ => match text(t, r, "GroupName") {
            Val::Known(name) => t
                .resources
                .iter()
                .find(|g| {
                    g.rtype == "AWS::EC2::SecurityGroup"
                        && matches!(text(t, g, "GroupName"), Val::Known(n) if n == name)
                })
                .map_or(name, |g| g.id.clone()),
            _ => r.id.clone(),
        },
    };
    let mut rule = sg_rule(t, props, egress, &r.id, &group);
    rule.origin = Some(origin(t, r));
    unit.links.sg_rules.push(SgRuleLink {
        group,
        egress,
        rule,
        origin: origin(t, r),
    });
}

fn network_acl<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    unit.network_acls.push(NetworkAcl {
        id: r.id.clone(),
        vpc_id: keep(text(t, r, "VpcId"), &mut unknown, "vpc_id").unwrap_or_default(),
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
        ..NetworkAcl::default()
    });
}

fn network_acl_entry<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let acl = match text(t, r, "NetworkAclId") {
        Val::Known(id) => id,
        _ => r.id.clone(),
    };
    let mut unknown = Unknown::new();
    let range = r.prop("PortRange");
    let entry = NetworkAclEntry {
        rule_number: keep(int_of(t, r.prop("RuleNumber")), &mut unknown, "rule_number")
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(0),
        egress: keep(flag_of(t, r.prop("Egress")), &mut unknown, "egress").unwrap_or(false),
        protocol: keep(text(t, r, "Protocol"), &mut unknown, "protocol").unwrap_or_default(),
        action: match keep(text(t, r, "RuleAction"), &mut unknown, "action") {
            Some(a) if a.eq_ignore_ascii_case("allow") => AclAction::Allow,
            _ => AclAction::Deny,
        },
        cidr_block: keep(text(t, r, "CidrBlock"), &mut unknown, "cidr_block"),
        ipv6_cidr_block: keep(text(t, r, "Ipv6CidrBlock"), &mut unknown, "ipv6_cidr_block"),
        from_port: port(keep(
            int_of(t, range.and_then(|p| p.get("From"))),
            &mut unknown,
            "from_port",
        )),
        to_port: port(keep(
            int_of(t, range.and_then(|p| p.get("To"))),
            &mut unknown,
            "to_port",
        )),
        origin: Some(origin(t, r)),
        unknown,
    };
    unit.links.nacl_entries.push(NaclLink {
        acl,
        entry,
        origin: origin(t, r),
    });
}

fn instance<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let mut subnet = keep(text(t, r, "SubnetId"), &mut unknown, "subnet_id");
    let mut public_ip = None;
    let mut groups = keep(
        texts_of(t, r.prop("SecurityGroupIds")),
        &mut unknown,
        "security_group_ids",
    )
    .unwrap_or_default();
    for name in keep(
        texts_of(t, r.prop("SecurityGroups")),
        &mut unknown,
        "security_group_ids",
    )
    .unwrap_or_default()
    {
        groups.push(name);
    }
    match entries(t, r.prop("NetworkInterfaces")) {
        Val::Known(interfaces) => {
            for interface in interfaces {
                let primary = matches!(int_of(t, interface.get("DeviceIndex")), Val::Known(0));
                if primary {
                    if subnet.is_none() {
                        subnet = keep(
                            text_of(t, interface.get("SubnetId")),
                            &mut unknown,
                            "subnet_id",
                        );
                    }
                    public_ip = keep(
                        flag_of(t, interface.get("AssociatePublicIpAddress")),
                        &mut unknown,
                        "associate_public_ip_address",
                    );
                }
                for group in keep(
                    texts_of(t, interface.get("GroupSet")),
                    &mut unknown,
                    "security_group_ids",
                )
                .unwrap_or_default()
                {
                    if !groups.contains(&group) {
                        groups.push(group);
                    }
                }
            }
        }
        Val::Absent => {}
        Val::Unknown(reason) => {
            unknown.insert("associate_public_ip_address".to_owned(), reason.clone());
            unknown.insert("subnet_id".to_owned(), reason);
        }
    }
    let launch_template =
        r.prop("LaunchTemplate")
            .and_then(|lt| match text_of(t, lt.get("LaunchTemplateId")) {
                Val::Known(id) => Some(id),
                _ => match text_of(t, lt.get("LaunchTemplateName")) {
                    Val::Known(name) => Some(name),
                    _ => None,
                },
            });
    unit.instances.push(Instance {
        id: r.id.clone(),
        subnet_id: subnet,
        associate_public_ip_address: public_ip,
        key_name: keep(text(t, r, "KeyName"), &mut unknown, "key_name"),
        instance_profile: keep(
            text(t, r, "IamInstanceProfile"),
            &mut unknown,
            "instance_profile",
        ),
        security_group_ids: groups,
        launch_template_id: launch_template,
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
        ..Instance::default()
    });
}

fn launch_template<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let configuration = r.rtype == "AWS::AutoScaling::LaunchConfiguration";
    let data = if configuration {
        r.props
    } else {
        match r.prop("LaunchTemplateData").map(Template::structure) {
            Some(Val::Known(data)) => Some(data),
            Some(Val::Unknown(reason)) => {
                for field in [
                    "key_name",
                    "associate_public_ip_address",
                    "instance_profile",
                ] {
                    unknown.insert(field.to_owned(), reason.clone());
                }
                None
            }
            _ => None,
        }
    };
    let get = |key: &str| data.and_then(|d| d.get(key));
    let public_ip = if configuration {
        keep(
            flag_of(t, get("AssociatePublicIpAddress")),
            &mut unknown,
            "associate_public_ip_address",
        )
    } else {
        match entries(t, get("NetworkInterfaces")) {
            Val::Known(interfaces) => {
                let mut any = None;
                for interface in interfaces {
                    match flag_of(t, interface.get("AssociatePublicIpAddress")) {
                        Val::Known(true) => any = Some(true),
                        Val::Known(false) if any.is_none() => any = Some(false),
                        Val::Unknown(reason) => {
                            unknown.insert("associate_public_ip_address".to_owned(), reason);
                        }
                        _ => {}
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
    };
    let profile = if configuration {
        keep(
            text_of(t, get("IamInstanceProfile")),
            &mut unknown,
            "instance_profile",
        )
    } else {
        get("IamInstanceProfile").and_then(|p| match text_of(t, p.get("Arn")) {
            Val::Known(arn) => Some(arn),
            _ => keep(text_of(t, p.get("Name")), &mut unknown, "instance_profile"),
        })
    };
    let mut groups = keep(
        texts_of(t, get("SecurityGroupIds")),
        &mut unknown,
        "security_group_ids",
    )
    .unwrap_or_default();
    groups.extend(
        keep(
            texts_of(t, get("SecurityGroups")),
            &mut unknown,
            "security_group_ids",
        )
        .unwrap_or_default(),
    );
    let name_key = if configuration {
        "LaunchConfigurationName"
    } else {
        "LaunchTemplateName"
    };
    unit.launch_templates.push(LaunchTemplate {
        id: r.id.clone(),
        name: match text(t, r, name_key) {
            Val::Known(name) => name,
            _ => String::new(),
        },
        default_version: None,
        key_name: keep(text_of(t, get("KeyName")), &mut unknown, "key_name"),
        associate_public_ip_address: public_ip,
        instance_profile: profile,
        security_group_ids: groups,
        tags: Tags::new(),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn vpc_endpoint<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let endpoint_type = match text(t, r, "VpcEndpointType") {
        Val::Known(kind) => match kind.as_str() {
            "Interface" => EndpointType::Interface,
            "GatewayLoadBalancer" => EndpointType::GatewayLoadBalancer,
            "Resource" => EndpointType::Resource,
            "ServiceNetwork" => EndpointType::ServiceNetwork,
            _ => EndpointType::Gateway,
        },
        Val::Absent => EndpointType::Gateway,
        Val::Unknown(reason) => {
            unknown.insert("endpoint_type".to_owned(), reason);
            EndpointType::Gateway
        }
    };
    unit.vpc_endpoints.push(VpcEndpoint {
        id: r.id.clone(),
        vpc_id: keep(text(t, r, "VpcId"), &mut unknown, "vpc_id").unwrap_or_default(),
        service_name: keep(text(t, r, "ServiceName"), &mut unknown, "service_name")
            .unwrap_or_default(),
        endpoint_type,
        private_dns_enabled: keep(
            flag_of(t, r.prop("PrivateDnsEnabled")),
            &mut unknown,
            "private_dns_enabled",
        )
        .unwrap_or(false),
        state: "available".to_owned(),
        subnet_ids: keep(texts_of(t, r.prop("SubnetIds")), &mut unknown, "subnet_ids")
            .unwrap_or_default(),
        route_table_ids: keep(
            texts_of(t, r.prop("RouteTableIds")),
            &mut unknown,
            "route_table_ids",
        )
        .unwrap_or_default(),
        security_group_ids: keep(
            texts_of(t, r.prop("SecurityGroupIds")),
            &mut unknown,
            "security_group_ids",
        )
        .unwrap_or_default(),
        origin: Some(origin(t, r)),
        unknown,
    });
}

/// `s3BucketName` → `inputs.s3_bucket_name` (the model's field names for unknown inputs).
fn input_field(path: &str) -> String {
    let path = path.replace("cloudWatch", "cloudwatch");
    let mut out = String::with_capacity(path.len() + 4);
    for ch in path.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn ssm_document<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let mut document = SsmDocument {
        name: name_or_id(t, r, "Name"),
        document_type: match text(t, r, "DocumentType") {
            Val::Known(kind) => kind,
            _ => "Command".to_owned(),
        },
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        ..SsmDocument::default()
    };
    let format = match text(t, r, "DocumentFormat") {
        Val::Known(f) => f,
        _ => "JSON".to_owned(),
    };
    if let Some(content) = r.prop("Content") {
        let parsed = if content.as_str().is_some() || super::intrinsic(content).is_some() {
            match t.text(content) {
                Val::Known(text) => {
                    let node = crate::json::Node::new(
                        content.offset,
                        crate::json::Value::String(text.into()),
                    );
                    super::super::parse_embedded(&node, &format)
                }
                Val::Absent => Err("the content is empty".to_owned()),
                Val::Unknown(reason) => Err(reason),
            }
        } else {
            let mut problems = Vec::new();
            let mut json = t.to_json(content, "", &mut problems);
            for (path, reason) in problems {
                if let Some(field) = path.strip_prefix("inputs.") {
                    if let Some(inputs) = json.get_mut("inputs").and_then(Json::as_object_mut) {
                        inputs.remove(field);
                    }
                    unknown.insert(input_field(&path), reason);
                } else {
                    unknown.insert("content".to_owned(), reason.clone());
                    unknown.insert("inputs".to_owned(), reason);
                }
            }
            Ok(json)
        };
        match parsed {
            Ok(json) => {
                super::super::terraform_plan::apply_content(&mut document, json, &mut unknown);
            }
            Err(reason) => {
                unknown.insert("content".to_owned(), reason.clone());
                unknown.insert("inputs".to_owned(), reason);
            }
        }
    }
    document.unknown = unknown;
    unit.ssm_documents.push(document);
}

fn bucket<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let encryption = match r.prop("BucketEncryption").map(Template::structure) {
        Some(Val::Known(config)) => {
            match entries(t, config.get("ServerSideEncryptionConfiguration")) {
                Val::Known(rules) => rules.iter().find_map(|rule| {
                    let default = rule.get("ServerSideEncryptionByDefault")?;
                    let algorithm = keep(
                        text_of(t, default.get("SSEAlgorithm")),
                        &mut unknown,
                        "encryption",
                    )?;
                    Some(BucketEncryption {
                        algorithm,
                        kms_key_id: keep(
                            text_of(t, default.get("KMSMasterKeyID")),
                            &mut unknown,
                            "encryption",
                        ),
                        bucket_key_enabled: matches!(
                            flag_of(t, rule.get("BucketKeyEnabled")),
                            Val::Known(true)
                        ),
                    })
                }),
                Val::Absent => None,
                Val::Unknown(reason) => {
                    unknown.insert("encryption".to_owned(), reason);
                    None
                }
            }
        }
        Some(Val::Unknown(reason)) => {
            unknown.insert("encryption".to_owned(), reason);
            None
        }
        _ => None,
    };
    let versioning = r
        .prop("VersioningConfiguration")
        .and_then(|v| keep(text_of(t, v.get("Status")), &mut unknown, "versioning"));
    let object_lock = matches!(flag_of(t, r.prop("ObjectLockEnabled")), Val::Known(true))
        || r.prop("ObjectLockConfiguration").is_some_and(
            |c| matches!(text_of(t, c.get("ObjectLockEnabled")), Val::Known(s) if s == "Enabled"),
        );
    let public_access_block = r
        .prop("PublicAccessBlockConfiguration")
        .map(|c| public_access_block(t, c));
    unit.buckets.push(Bucket {
        name: name_or_id(t, r, "BucketName"),
        region: unit.region.clone(),
        encryption,
        versioning,
        object_lock_enabled: object_lock,
        public_access_block,
        policy: None,
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn public_access_block<'t>(t: &Template<'t>, config: N<'t>) -> PublicAccessBlock {
    let on = |key: &str| matches!(flag_of(t, config.get(key)), Val::Known(true));
    PublicAccessBlock {
        block_public_acls: on("BlockPublicAcls"),
        ignore_public_acls: on("IgnorePublicAcls"),
        block_public_policy: on("BlockPublicPolicy"),
        restrict_public_buckets: on("RestrictPublicBuckets"),
    }
}

/// A policy document property: a mapping (statements located in the file) or JSON text.
fn document<'t>(t: &Template<'t>, node: N<'t>, address: &str) -> Result<PolicyDocument, String> {
    if node.as_str().is_some() {
        return document_from_string(node, t.locator, Some(address), t.embedding())
            .map_err(|p| p.message);
    }
    if let Some((function, _)) = super::intrinsic(node) {
        if function == "Fn::If" {
            return match Template::structure(node) {
                Val::Known(inner) => document(t, inner, address),
                Val::Absent => Err("the policy document is empty".to_owned()),
                Val::Unknown(reason) => Err(reason),
            };
        }
        // `!Sub |` with the document as JSON text.
        return match t.text(node) {
            Val::Known(text) => {
                let text_node =
                    crate::json::Node::new(node.offset, crate::json::Value::String(text.into()));
                document_from_string(
                    &text_node,
                    t.locator,
                    Some(address),
                    iam_json::Embedding::AtString,
                )
                .map_err(|p| p.message)
            }
            Val::Absent => Err("the policy document is empty".to_owned()),
            Val::Unknown(reason) => Err(reason),
        };
    }
    let statements = statement_nodes(node).map_err(|p| p.message)?;
    let mut problems = Vec::new();
    let json = t.to_json(node, "", &mut problems);
    if let Some((path, reason)) = problems.into_iter().next() {
        return Err(format!("{path}: {reason}"));
    }
    Ok(PolicyDocument {
        document: json,
        origin: Some(t.origin(node.offset(), address)),
        statement_origins: statements
            .iter()
            .map(|s| t.origin(s.offset(), address))
            .collect(),
    })
}

fn bucket_policy<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let bucket = match text(t, r, "Bucket") {
        Val::Known(name) => name,
        _ => r.id.clone(),
    };
    let change = match r.prop("PolicyDocument") {
        Some(node) => match document(t, node, &r.id) {
            Ok(doc) => BucketChange::Policy(doc),
            Err(reason) => BucketChange::Unknown("policy", reason),
        },
        None => return,
    };
    unit.links.bucket_patches.push(BucketPatch {
        bucket,
        change,
        origin: origin(t, r),
    });
}

fn log_group<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    unit.log_groups.push(LogGroup {
        name: name_or_id(t, r, "LogGroupName"),
        arn: None,
        kms_key_id: keep(text(t, r, "KmsKeyId"), &mut unknown, "kms_key_id"),
        retention_days: keep(
            int_of(t, r.prop("RetentionInDays")),
            &mut unknown,
            "retention_days",
        )
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| *d > 0),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn kms_key<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    unit.kms_keys.push(KmsKey {
        id: r.id.clone(),
        arn: None,
        key_manager: KeyManager::Customer,
        key_state: Some(
            if matches!(flag_of(t, r.prop("Enabled")), Val::Known(false)) {
                "Disabled"
            } else {
                "Enabled"
            }
            .to_owned(),
        ),
        aliases: Vec::new(),
        origin: Some(origin(t, r)),
        unknown: Unknown::new(),
    });
}

fn trail<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let management_events = match entries(t, r.prop("AdvancedEventSelectors")) {
        Val::Known(selectors) if !selectors.is_empty() => {
            let mut problems = Vec::new();
            let json: Vec<Json> = selectors
                .iter()
                .map(|s| t.to_json(s, "", &mut problems))
                .collect();
            if let Some((_, reason)) = problems.into_iter().next() {
                unknown.insert("management_events".to_owned(), reason);
                None
            } else {
                super::super::terraform_plan::advanced_management(json.into_iter())
            }
        }
        Val::Unknown(reason) => {
            unknown.insert("management_events".to_owned(), reason);
            None
        }
        _ => match entries(t, r.prop("EventSelectors")) {
            Val::Known(selectors) if !selectors.is_empty() => {
                let mut kinds = Vec::new();
                for s in selectors {
                    if !matches!(
                        flag_of(t, s.get("IncludeManagementEvents")),
                        Val::Known(false)
                    ) {
                        kinds.push(match text_of(t, s.get("ReadWriteType")) {
                            Val::Known(kind) => kind,
                            _ => "All".to_owned(),
                        });
                    }
                }
                if kinds.iter().any(|k| k == "All")
                    || (kinds.iter().any(|k| k == "ReadOnly")
                        && kinds.iter().any(|k| k == "WriteOnly"))
                {
                    Some("All".to_owned())
                } else {
                    kinds.into_iter().next()
                }
            }
            Val::Unknown(reason) => {
                unknown.insert("management_events".to_owned(), reason);
                None
            }
            _ => Some("All".to_owned()),
        },
    };
    unit.trails.push(Trail {
        name: name_or_id(t, r, "TrailName"),
        arn: None,
        home_region: unit.region.clone(),
        is_multi_region: keep(
            flag_of(t, r.prop("IsMultiRegionTrail")),
            &mut unknown,
            "is_multi_region",
        )
        .unwrap_or(false),
        is_organization_trail: keep(
            flag_of(t, r.prop("IsOrganizationTrail")),
            &mut unknown,
            "is_organization_trail",
        )
        .unwrap_or(false),
        is_logging: keep(flag_of(t, r.prop("IsLogging")), &mut unknown, "is_logging"),
        management_events,
        s3_bucket_name: keep(text(t, r, "S3BucketName"), &mut unknown, "s3_bucket_name"),
        cloudwatch_logs_log_group_arn: keep(
            text(t, r, "CloudWatchLogsLogGroupArn"),
            &mut unknown,
            "cloudwatch_logs_log_group_arn",
        ),
        kms_key_id: keep(text(t, r, "KMSKeyId"), &mut unknown, "kms_key_id"),
        log_file_validation_enabled: keep(
            flag_of(t, r.prop("EnableLogFileValidation")),
            &mut unknown,
            "log_file_validation_enabled",
        )
        .unwrap_or(false),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn event_rule<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let event_pattern = match r.prop("EventPattern") {
        Some(node) if node.as_str().is_some() => match t.text(node) {
            Val::Known(text) => match crate::json::parse(&text) {
                Ok(n) => Some(n.to_json()),
                Err(e) => {
                    unknown.insert(
                        "event_pattern".to_owned(),
                        format!("not JSON: {}", e.message),
                    );
                    None
                }
            },
            _ => None,
        },
        Some(node) => {
            let mut problems = Vec::new();
            let json = t.to_json(node, "", &mut problems);
            if let Some((_, reason)) = problems.into_iter().next() {
                unknown.insert("event_pattern".to_owned(), reason);
            }
            Some(json)
        }
        None => None,
    };
    let mut targets = Vec::new();
    match entries(t, r.prop("Targets")) {
        Val::Known(items) => {
            for item in items {
                targets.push(EventTarget {
                    id: match text_of(t, item.get("Id")) {
                        Val::Known(id) => id,
                        _ => String::new(),
                    },
                    arn: match text_of(t, item.get("Arn")) {
                        Val::Known(arn) => arn,
                        _ => "known at deploy time".to_owned(),
                    },
                });
            }
        }
        Val::Absent => {}
        Val::Unknown(reason) => {
            unknown.insert("targets".to_owned(), reason);
        }
    }
    unit.event_rules.push(EventRule {
        name: name_or_id(t, r, "Name"),
        arn: None,
        event_bus_name: match text(t, r, "EventBusName") {
            Val::Known(bus) => bus,
            _ => "default".to_owned(),
        },
        state: match keep(text(t, r, "State"), &mut unknown, "state") {
            Some(state) => state,
            None => "ENABLED".to_owned(),
        },
        event_pattern,
        targets,
        origin: Some(origin(t, r)),
        unknown,
    });
}

/// `Policies: [{PolicyName, PolicyDocument}]` of a role, user or group.
fn inline_policies<'t>(
    t: &Template<'t>,
    r: &Resource<'t>,
    unknown: &mut Unknown,
) -> Vec<InlinePolicy> {
    let mut out = Vec::new();
    match entries(t, r.prop("Policies")) {
        Val::Known(items) => {
            for item in items {
                let name = match text_of(t, item.get("PolicyName")) {
                    Val::Known(name) => name,
                    _ => format!("{}-policy-{}", r.id, out.len()),
                };
                match item.get("PolicyDocument").map(|d| document(t, d, &r.id)) {
                    Some(Ok(document)) => out.push(InlinePolicy { name, document }),
                    Some(Err(reason)) => {
                        unknown.insert(format!("inline_policies.{name}.document"), reason);
                    }
                    None => {
                        unknown.insert(
                            format!("inline_policies.{name}.document"),
                            "the policy has no PolicyDocument".to_owned(),
                        );
                    }
                }
            }
        }
        Val::Absent => {}
        Val::Unknown(reason) => {
            unknown.insert("inline_policies".to_owned(), reason);
        }
    }
    out
}

fn managed_arns<'t>(
    t: &Template<'t>,
    r: &Resource<'t>,
    kind: PrincipalKind,
    unknown: &mut Unknown,
    unit: &mut Unit,
) {
    match texts_of(t, r.prop("ManagedPolicyArns")) {
        Val::Known(arns) => {
            for arn in arns {
                unit.links.attachments.push(AttachLink {
                    kind,
                    principal: r.id.clone(),
                    policy: Ok(arn),
                });
            }
        }
        Val::Absent => {}
        Val::Unknown(reason) => {
            unknown.insert("attached_policies".to_owned(), reason);
        }
    }
}

fn role<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let trust_policy = match r
        .prop("AssumeRolePolicyDocument")
        .map(|d| document(t, d, &r.id))
    {
        Some(Ok(doc)) => Some(doc),
        Some(Err(reason)) => {
            unknown.insert("trust_policy".to_owned(), reason);
            None
        }
        None => None,
    };
    let inline_policies = inline_policies(t, r, &mut unknown);
    managed_arns(t, r, PrincipalKind::Role, &mut unknown, unit);
    unit.iam.roles.push(Role {
        name: name_or_id(t, r, "RoleName"),
        arn: r.id.clone(),
        id: String::new(),
        path: name_or(t, r, "Path", "/"),
        trust_policy,
        inline_policies,
        attached_policies: Vec::new(),
        permissions_boundary: keep(
            text(t, r, "PermissionsBoundary"),
            &mut unknown,
            "permissions_boundary",
        ),
        instance_profiles: Vec::new(),
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn name_or<'t>(t: &Template<'t>, r: &Resource<'t>, key: &str, default: &str) -> String {
    match text(t, r, key) {
        Val::Known(v) => v,
        _ => default.to_owned(),
    }
}

fn user<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let inline_policies = inline_policies(t, r, &mut unknown);
    managed_arns(t, r, PrincipalKind::User, &mut unknown, unit);
    let groups = keep(texts_of(t, r.prop("Groups")), &mut unknown, "groups").unwrap_or_default();
    let name = name_or_id(t, r, "UserName");
    for group in groups {
        unit.links.memberships.push((r.id.clone(), group));
    }
    unit.iam.users.push(User {
        name,
        arn: r.id.clone(),
        id: String::new(),
        path: name_or(t, r, "Path", "/"),
        groups: Vec::new(),
        inline_policies,
        attached_policies: Vec::new(),
        permissions_boundary: keep(
            text(t, r, "PermissionsBoundary"),
            &mut unknown,
            "permissions_boundary",
        ),
        tags: tags(t, r),
        origin: Some(origin(t, r)),
        unknown,
    });
}

fn group<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let inline_policies = inline_policies(t, r, &mut unknown);
    managed_arns(t, r, PrincipalKind::Group, &mut unknown, unit);
    unit.iam.groups.push(Group {
        name: name_or_id(t, r, "GroupName"),
        arn: r.id.clone(),
        id: String::new(),
        path: name_or(t, r, "Path", "/"),
        inline_policies,
        attached_policies: Vec::new(),
        origin: Some(origin(t, r)),
        unknown,
    });
}

/// `AWS::IAM::Policy` (inline in each named principal) and `AWS::IAM::ManagedPolicy`
/// (attached to each).
fn policy<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let managed = r.rtype == "AWS::IAM::ManagedPolicy";
    let mut unknown = Unknown::new();
    let document = match r.prop("PolicyDocument").map(|d| document(t, d, &r.id)) {
        Some(Ok(doc)) => doc,
        Some(Err(reason)) => {
            unknown.insert("document".to_owned(), reason);
            PolicyDocument::new(Json::Null)
        }
        None => {
            unknown.insert(
                "document".to_owned(),
                "the policy has no PolicyDocument".to_owned(),
            );
            PolicyDocument::new(Json::Null)
        }
    };
    let name_key = if managed {
        "ManagedPolicyName"
    } else {
        "PolicyName"
    };
    let name = name_or_id(t, r, name_key);
    let mut targets = Vec::new();
    for (key, kind) in [
        ("Roles", PrincipalKind::Role),
        ("Users", PrincipalKind::User),
        ("Groups", PrincipalKind::Group),
    ] {
        match texts_of(t, r.prop(key)) {
            Val::Known(principals) => targets.extend(principals.into_iter().map(|p| (kind, p))),
            Val::Absent => {}
            Val::Unknown(reason) => {
                unknown.insert(format!("attached_to.{}", key.to_ascii_lowercase()), reason);
            }
        }
    }
    if managed || targets.is_empty() {
        unit.iam.policies.push(ManagedPolicy {
            arn: r.id.clone(),
            name,
            path: name_or(t, r, "Path", "/"),
            aws_managed: false,
            default_version_id: None,
            document,
            origin: Some(origin(t, r)),
            unknown,
        });
        for (kind, principal) in targets {
            unit.links.attachments.push(AttachLink {
                kind,
                principal,
                policy: Ok(r.id.clone()),
            });
        }
        return;
    }
    for (kind, principal) in targets {
        unit.links.inline_policies.push(InlineLink {
            kind,
            principal,
            policy: InlinePolicy {
                name: name.clone(),
                document: document.clone(),
            },
            origin: origin(t, r),
            unknown: unknown.clone(),
        });
    }
}

fn inline_resource<'t>(
    t: &Template<'t>,
    r: &Resource<'t>,
    unit: &mut Unit,
    kind: PrincipalKind,
    key: &str,
) {
    let mut unknown = Unknown::new();
    let document = match r.prop("PolicyDocument").map(|d| document(t, d, &r.id)) {
        Some(Ok(doc)) => doc,
        Some(Err(reason)) => {
            unknown.insert("document".to_owned(), reason);
            PolicyDocument::new(Json::Null)
        }
        None => PolicyDocument::new(Json::Null),
    };
    let principal = match text(t, r, key) {
        Val::Known(p) => p,
        _ => format!("{} (unknown {key})", r.id),
    };
    unit.links.inline_policies.push(InlineLink {
        kind,
        principal,
        policy: InlinePolicy {
            name: name_or_id(t, r, "PolicyName"),
            document,
        },
        origin: origin(t, r),
        unknown,
    });
}

fn instance_profile<'t>(t: &Template<'t>, r: &Resource<'t>, unit: &mut Unit) {
    let name = name_or_id(t, r, "InstanceProfileName");
    match texts_of(t, r.prop("Roles")) {
        Val::Known(roles) => {
            for role in roles {
                unit.links.profile_roles.push((r.id.clone(), Ok(role)));
            }
        }
        Val::Absent => {}
        Val::Unknown(reason) => unit.links.profile_roles.push((r.id.clone(), Err(reason))),
    }
    unit.iam.instance_profiles.push(InstanceProfile {
        name,
        arn: r.id.clone(),
        path: name_or(t, r, "Path", "/"),
        roles: Vec::new(),
        origin: Some(origin(t, r)),
        unknown: Unknown::new(),
    });
}
