//! EC2 and VPC collector for one region: VPCs, subnets, route tables, security groups (each
//! listed once per region, not per instance), network ACLs, the managed prefix lists that
//! security-group rules reference, instances (with the groups of every network interface, so
//! groups attached only to an ENI are not missed), the default version of every launch
//! template, and VPC endpoints. Also the account's region list (`--all-regions`, opt-in
//! status).
//!
//! Called by the region step in `collect::mod`; fills the EC2 parts of [`crate::model::Region`].

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::describe_launch_template_versions::DescribeLaunchTemplateVersionsOutput;
use aws_sdk_ec2::operation::describe_managed_prefix_lists::DescribeManagedPrefixListsOutput;
use aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::get_managed_prefix_list_entries::GetManagedPrefixListEntriesOutput;
use aws_sdk_ec2::types::{self as ec2, Filter};

use super::Scope;
use crate::model::{
    AclAction, EndpointType, GroupReference, Instance, InstanceState, LaunchTemplate, NetworkAcl,
    NetworkAclEntry, PrefixList, Route, RouteTable, Section, SecurityGroup, SecurityGroupRule,
    Subnet, Tags, Vpc, VpcEndpoint,
};

/// The EC2 sections of one region.
pub(crate) struct Ec2Sections {
    pub(crate) vpcs: Section<Vec<Vpc>>,
    pub(crate) subnets: Section<Vec<Subnet>>,
    pub(crate) route_tables: Section<Vec<RouteTable>>,
    pub(crate) security_groups: Section<Vec<SecurityGroup>>,
    pub(crate) network_acls: Section<Vec<NetworkAcl>>,
    pub(crate) prefix_lists: Section<Vec<PrefixList>>,
    pub(crate) instances: Section<Vec<Instance>>,
    pub(crate) launch_templates: Section<Vec<LaunchTemplate>>,
    pub(crate) vpc_endpoints: Section<Vec<VpcEndpoint>>,
}

/// The largest page every EC2 Describe* call below accepts.
const PAGE: i32 = 1000;

pub(crate) async fn collect(client: &Client, scope: &Scope) -> Ec2Sections {
    let (
        vpcs,
        subnets,
        route_tables,
        security_groups,
        network_acls,
        instances,
        templates,
        endpoints,
    ) = tokio::join!(
        vpcs(client, scope),
        subnets(client, scope),
        route_tables(client, scope),
        security_groups(client, scope),
        network_acls(client, scope),
        instances(client, scope),
        launch_templates(client, scope),
        vpc_endpoints(client, scope),
    );
    let prefix_lists = match &security_groups {
        Section::Collected(groups) => prefix_lists(client, scope, groups).await,
        Section::NotCollected(gap) => Section::NotCollected(
            scope.dependent_gap("the prefix lists referenced by security group rules", gap),
        ),
    };
    scope.step_done();
    Ec2Sections {
        vpcs,
        subnets,
        route_tables,
        security_groups,
        network_acls,
        prefix_lists,
        instances,
        launch_templates: templates,
        vpc_endpoints: endpoints,
    }
}

fn tags(tags: &[ec2::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

async fn vpcs(client: &Client, scope: &Scope) -> Section<Vec<Vpc>> {
    let pages = client
        .describe_vpcs()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeVpcs", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeVpcsOutput::vpcs)
            .map(|vpc| Vpc {
                id: vpc.vpc_id().unwrap_or_default().to_owned(),
                cidr_block: owned(vpc.cidr_block()),
                ipv6_cidr_blocks: vpc
                    .ipv6_cidr_block_association_set()
                    .iter()
                    .filter_map(|a| owned(a.ipv6_cidr_block()))
                    .collect(),
                is_default: vpc.is_default().unwrap_or(false),
                tags: tags(vpc.tags()),
                ..Vpc::default()
            })
            .collect()
    })
}

async fn subnets(client: &Client, scope: &Scope) -> Section<Vec<Subnet>> {
    let pages = client
        .describe_subnets()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeSubnets", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeSubnetsOutput::subnets)
            .map(|s| Subnet {
                id: s.subnet_id().unwrap_or_default().to_owned(),
                vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
                cidr_block: owned(s.cidr_block()),
                availability_zone: owned(s.availability_zone()),
                map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                assign_ipv6_address_on_creation: s
                    .assign_ipv6_address_on_creation()
                    .unwrap_or(false),
                tags: tags(s.tags()),
                ..Subnet::default()
            })
            .collect()
    })
}

async fn route_tables(client: &Client, scope: &Scope) -> Section<Vec<RouteTable>> {
    let pages = client
        .describe_route_tables()
        .max_results(100)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeRouteTables", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeRouteTablesOutput::route_tables)
            .map(|table| RouteTable {
                id: table.route_table_id().unwrap_or_default().to_owned(),
                vpc_id: table.vpc_id().unwrap_or_default().to_owned(),
                main: table
                    .associations()
                    .iter()
                    .any(|a| a.main().unwrap_or(false)),
                subnet_ids: table
                    .associations()
                    .iter()
                    .filter_map(|a| owned(a.subnet_id()))
                    .collect(),
                routes: table.routes().iter().map(route).collect(),
                ..RouteTable::default()
            })
            .collect()
    })
}

fn route(route: &ec2::Route) -> Route {
    let destination = route
        .destination_cidr_block()
        .or(route.destination_ipv6_cidr_block())
        .or(route.destination_prefix_list_id())
        .unwrap_or_default()
        .to_owned();
    let target = route
        .gateway_id()
        .or(route.nat_gateway_id())
        .or(route.transit_gateway_id())
        .or(route.vpc_peering_connection_id())
        .or(route.egress_only_internet_gateway_id())
        .or(route.network_interface_id())
        .or(route.instance_id())
        .or(route.carrier_gateway_id())
        .or(route.local_gateway_id())
        .or(route.core_network_arn())
        .unwrap_or("unknown")
        .to_owned();
    Route {
        destination,
        target,
    }
}

async fn security_groups(client: &Client, scope: &Scope) -> Section<Vec<SecurityGroup>> {
    let pages = client
        .describe_security_groups()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeSecurityGroups", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeSecurityGroupsOutput::security_groups)
            .map(|group| {
                let id = group.group_id().unwrap_or_default();
                SecurityGroup {
                    id: id.to_owned(),
                    name: group.group_name().unwrap_or_default().to_owned(),
                    vpc_id: owned(group.vpc_id()),
                    description: owned(group.description()),
                    ingress: group
                        .ip_permissions()
                        .iter()
                        .map(|p| permission(p, id, scope.account()))
                        .collect(),
                    egress: group
                        .ip_permissions_egress()
                        .iter()
                        .map(|p| permission(p, id, scope.account()))
                        .collect(),
                    tags: tags(group.tags()),
                    ..SecurityGroup::default()
                }
            })
            .collect()
    })
}

fn permission(permission: &ec2::IpPermission, group_id: &str, account: &str) -> SecurityGroupRule {
    // The API puts a description on each source; the rule keeps the first one as a label.
    let description = permission
        .ip_ranges()
        .iter()
        .filter_map(ec2::IpRange::description)
        .chain(
            permission
                .ipv6_ranges()
                .iter()
                .filter_map(ec2::Ipv6Range::description),
        )
        .next()
        .map(str::to_owned);
    SecurityGroupRule {
        protocol: permission.ip_protocol().unwrap_or("-1").to_owned(),
        from_port: permission.from_port(),
        to_port: permission.to_port(),
        ipv4_ranges: permission
            .ip_ranges()
            .iter()
            .filter_map(|r| owned(r.cidr_ip()))
            .collect(),
        ipv6_ranges: permission
            .ipv6_ranges()
            .iter()
            .filter_map(|r| owned(r.cidr_ipv6()))
            .collect(),
        prefix_list_ids: permission
            .prefix_list_ids()
            .iter()
            .filter_map(|p| owned(p.prefix_list_id()))
            .collect(),
        referenced_groups: permission
            .user_id_group_pairs()
            .iter()
            .map(|pair| {
                let referenced = pair.group_id().unwrap_or_default();
                GroupReference {
                    group_id: referenced.to_owned(),
                    account_id: pair
                        .user_id()
                        .filter(|owner| *owner != account)
                        .map(str::to_owned),
                    is_self: referenced == group_id,
                }
            })
            .collect(),
        description,
        ..SecurityGroupRule::default()
    }
}

async fn network_acls(client: &Client, scope: &Scope) -> Section<Vec<NetworkAcl>> {
    let pages = client
        .describe_network_acls()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeNetworkAcls", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeNetworkAclsOutput::network_acls)
            .map(|acl| NetworkAcl {
                id: acl.network_acl_id().unwrap_or_default().to_owned(),
                vpc_id: acl.vpc_id().unwrap_or_default().to_owned(),
                is_default: acl.is_default().unwrap_or(false),
                subnet_ids: acl
                    .associations()
                    .iter()
                    .filter_map(|a| owned(a.subnet_id()))
                    .collect(),
                entries: acl.entries().iter().map(acl_entry).collect(),
                tags: tags(acl.tags()),
                ..NetworkAcl::default()
            })
            .collect()
    })
}

fn acl_entry(entry: &ec2::NetworkAclEntry) -> NetworkAclEntry {
    NetworkAclEntry {
        rule_number: entry.rule_number().unwrap_or(32767),
        egress: entry.egress().unwrap_or(false),
        protocol: entry.protocol().unwrap_or("-1").to_owned(),
        // Anything but an explicit allow is treated as deny: the safe reading.
        action: match entry.rule_action() {
            Some(ec2::RuleAction::Allow) => AclAction::Allow,
            _ => AclAction::Deny,
        },
        cidr_block: owned(entry.cidr_block()),
        ipv6_cidr_block: owned(entry.ipv6_cidr_block()),
        from_port: entry.port_range().and_then(ec2::PortRange::from),
        to_port: entry.port_range().and_then(ec2::PortRange::to),
        ..NetworkAclEntry::default()
    }
}

async fn instances(client: &Client, scope: &Scope) -> Section<Vec<Instance>> {
    let pages = client
        .describe_instances()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeInstances", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeInstancesOutput::reservations)
            .flat_map(ec2::Reservation::instances)
            .map(instance)
            .collect()
    })
}

fn instance(instance: &ec2::Instance) -> Instance {
    let interfaces = instance.network_interfaces();
    // Groups on the instance and on every interface: an instance launched with groups only on
    // its network interface lists none at the top level in some APIs and emulators.
    let security_group_ids: BTreeSet<String> = instance
        .security_groups()
        .iter()
        .chain(
            interfaces
                .iter()
                .flat_map(ec2::InstanceNetworkInterface::groups),
        )
        .filter_map(|g| owned(g.group_id()))
        .collect();
    let public_ip = instance.public_ip_address().map(str::to_owned).or_else(|| {
        interfaces
            .iter()
            .find_map(|ni| ni.association().and_then(|a| a.public_ip()))
            .map(str::to_owned)
    });
    let state = match instance.state().and_then(ec2::InstanceState::name) {
        Some(ec2::InstanceStateName::Pending) => InstanceState::Pending,
        Some(ec2::InstanceStateName::ShuttingDown) => InstanceState::ShuttingDown,
        Some(ec2::InstanceStateName::Terminated) => InstanceState::Terminated,
        Some(ec2::InstanceStateName::Stopping) => InstanceState::Stopping,
        Some(ec2::InstanceStateName::Stopped) => InstanceState::Stopped,
        _ => InstanceState::Running,
    };
    let instance_tags = tags(instance.tags());
    Instance {
        id: instance.instance_id().unwrap_or_default().to_owned(),
        state,
        subnet_id: owned(instance.subnet_id()),
        vpc_id: owned(instance.vpc_id()),
        private_ip: owned(instance.private_ip_address()),
        public_ip,
        associate_public_ip_address: None,
        key_name: owned(instance.key_name()),
        instance_profile: instance.iam_instance_profile().and_then(|p| owned(p.arn())),
        security_group_ids: security_group_ids.into_iter().collect(),
        launch_template_id: instance_tags.get("aws:ec2launchtemplate:id").cloned(),
        platform: instance
            .platform()
            .map(|p| p.as_str().to_owned())
            .or_else(|| owned(instance.platform_details())),
        tags: instance_tags,
        ..Instance::default()
    }
}

async fn launch_templates(client: &Client, scope: &Scope) -> Section<Vec<LaunchTemplate>> {
    // One paginated call for the default version of every template in the region (the API
    // allows omitting the template id when asking for `$Default`).
    let pages = client
        .describe_launch_template_versions()
        .versions("$Default")
        .max_results(200)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeLaunchTemplateVersions", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeLaunchTemplateVersionsOutput::launch_template_versions)
            .map(launch_template)
            .collect()
    })
}

fn launch_template(version: &ec2::LaunchTemplateVersion) -> LaunchTemplate {
    let data = version.launch_template_data();
    let interfaces = data
        .map(ec2::ResponseLaunchTemplateData::network_interfaces)
        .unwrap_or_default();
    let associate_public_ip_address = interfaces
        .iter()
        .filter_map(
            ec2::LaunchTemplateInstanceNetworkInterfaceSpecification::associate_public_ip_address,
        )
        .reduce(|a, b| a || b);
    let security_group_ids: BTreeSet<String> = data
        .map(ec2::ResponseLaunchTemplateData::security_group_ids)
        .unwrap_or_default()
        .iter()
        .cloned()
        .chain(interfaces.iter().flat_map(|ni| ni.groups().iter().cloned()))
        .collect();
    LaunchTemplate {
        id: version.launch_template_id().unwrap_or_default().to_owned(),
        name: version
            .launch_template_name()
            .unwrap_or_default()
            .to_owned(),
        default_version: version.version_number(),
        key_name: data.and_then(|d| owned(d.key_name())),
        associate_public_ip_address,
        instance_profile: data
            .and_then(ec2::ResponseLaunchTemplateData::iam_instance_profile)
            .and_then(|p| p.arn().or(p.name()))
            .map(str::to_owned),
        security_group_ids: security_group_ids.into_iter().collect(),
        ..LaunchTemplate::default()
    }
}

async fn vpc_endpoints(client: &Client, scope: &Scope) -> Section<Vec<VpcEndpoint>> {
    let pages = client
        .describe_vpc_endpoints()
        .max_results(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ec2:DescribeVpcEndpoints", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeVpcEndpointsOutput::vpc_endpoints)
            .map(|e| VpcEndpoint {
                id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                vpc_id: e.vpc_id().unwrap_or_default().to_owned(),
                service_name: e.service_name().unwrap_or_default().to_owned(),
                endpoint_type: match e.vpc_endpoint_type() {
                    Some(ec2::VpcEndpointType::Gateway) => EndpointType::Gateway,
                    Some(ec2::VpcEndpointType::GatewayLoadBalancer) => {
                        EndpointType::GatewayLoadBalancer
                    }
                    Some(ec2::VpcEndpointType::Resource) => EndpointType::Resource,
                    Some(ec2::VpcEndpointType::ServiceNetwork) => EndpointType::ServiceNetwork,
                    _ => EndpointType::Interface,
                },
                private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
                state: e
                    .state()
                    .map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_ascii_lowercase()),
                subnet_ids: e.subnet_ids().to_vec(),
                route_table_ids: e.route_table_ids().to_vec(),
                security_group_ids: e
                    .groups()
                    .iter()
                    .filter_map(|g| owned(g.group_id()))
                    .collect(),
                ..VpcEndpoint::default()
            })
            .collect()
    })
}

/// Resolve the managed prefix lists named by security group rules: one describe call for
/// all of them, then the entries of each.
async fn prefix_lists(
    client: &Client,
    scope: &Scope,
    groups: &[SecurityGroup],
) -> Section<Vec<PrefixList>> {
    let ids: BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| g.ingress.iter().chain(&g.egress))
        .flat_map(|rule| rule.prefix_list_ids.iter().map(String::as_str))
        .collect();
    if ids.is_empty() {
        return Section::Collected(Vec::new());
    }
    let described = client
        .describe_managed_prefix_lists()
        .filters(
            Filter::builder()
                .name("prefix-list-id")
                .set_values(Some(ids.iter().map(|s| (*s).to_owned()).collect()))
                .build(),
        )
        .max_results(100)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let described = match described {
        Ok(pages) => pages,
        Err(err) => {
            return Section::NotCollected(scope.gap("ec2:DescribeManagedPrefixLists", &err));
        }
    };
    let mut lists: BTreeMap<String, PrefixList> = described
        .iter()
        .flat_map(DescribeManagedPrefixListsOutput::prefix_lists)
        .filter_map(|list| {
            let id = list.prefix_list_id()?.to_owned();
            Some((
                id.clone(),
                PrefixList {
                    id,
                    name: list.prefix_list_name().unwrap_or_default().to_owned(),
                    owner: owned(list.owner_id()),
                    ..PrefixList::default()
                },
            ))
        })
        .collect();
    for list in lists.values_mut() {
        let entries = client
            .get_managed_prefix_list_entries()
            .prefix_list_id(&list.id)
            .max_results(PAGE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        match entries {
            Ok(pages) => {
                list.cidrs = pages
                    .iter()
                    .flat_map(GetManagedPrefixListEntriesOutput::entries)
                    .filter_map(|e| owned(e.cidr()))
                    .collect();
            }
            Err(err) => scope.unknown(
                &mut list.unknown,
                "cidrs",
                &list.id,
                "ec2:GetManagedPrefixListEntries",
                &err,
            ),
        }
    }
    // A referenced list that does not exist (deleted, or another account's) stays visible
    // as unknown rather than silently disappearing.
    for id in ids {
        lists.entry(id.to_owned()).or_insert_with(|| {
            let mut list = PrefixList {
                id: id.to_owned(),
                ..PrefixList::default()
            };
            list.unknown.insert(
                "cidrs".to_owned(),
                "the prefix list is not visible to this account".to_owned(),
            );
            list
        });
    }
    Section::Collected(lists.into_values().collect())
}

/// Region names with their opt-in status (`opt-in-not-required`, `opted-in`,
/// `not-opted-in`), from one `DescribeRegions` call with `AllRegions`.
pub(crate) async fn region_status(
    client: &Client,
) -> Result<
    BTreeMap<String, String>,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_ec2::operation::describe_regions::DescribeRegionsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    let out = client.describe_regions().all_regions(true).send().await?;
    Ok(out
        .regions()
        .iter()
        .filter_map(|r| {
            Some((
                r.region_name()?.to_owned(),
                r.opt_in_status()
                    .unwrap_or("opt-in-not-required")
                    .to_owned(),
            ))
        })
        .collect())
}

/// Whether an opt-in status means the region is usable.
pub(crate) fn is_enabled(status: &str) -> bool {
    status != "not-opted-in"
}
