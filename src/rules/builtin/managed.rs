//! Helpers shared by the rules that judge what Session Manager needs around an instance:
//! the managed instances of a region (NET004, NET005, NET006, LOG001, AUD002), the VPC each
//! one lives in, and whether a VPC has a usable endpoint for a service.
//!
//! "Managed instances" of a region are its running (or pending) EC2 instances that have a
//! `managed_instances` entry with `PingStatus` Online. When `managed_instances` was not
//! collected the answer is unknown (the caller reports not-assessed), unless the region has
//! no running instance at all: then there is nothing to judge either way.

use std::collections::BTreeMap;

use crate::model::{EndpointType, Instance, Section, Subnet, VpcEndpoint, unknown_reason};
use crate::rules::{Emitter, RegionScope, gap_reason};

/// The managed instances of a region, or why they cannot be told.
pub(crate) enum Managed<'a> {
    /// Running instances that are online in Systems Manager (possibly none).
    Known(Vec<&'a Instance>),
    /// Instances or managed-instance information were not collected.
    Unknown(String),
}

/// The region's managed instances, for the rules that judge only regions hosting some:
/// `None` when there are none, and when they could not be determined (then reported as not
/// assessed for the region, never as a pass).
pub(crate) fn hosted<'a>(
    scope: &RegionScope<'a>,
    out: &mut Emitter<'_>,
) -> Option<Vec<&'a Instance>> {
    match managed_instances(scope) {
        Managed::Known(instances) if instances.is_empty() => None,
        Managed::Known(instances) => Some(instances),
        Managed::Unknown(reason) => {
            out.not_assessed(scope.scope_ref(), reason);
            None
        }
    }
}

/// The running instances of the region that are online in Systems Manager.
pub(crate) fn managed_instances<'a>(scope: &RegionScope<'a>) -> Managed<'a> {
    let instances = match &scope.region.instances {
        Section::Collected(instances) => instances,
        Section::NotCollected(gap) => return Managed::Unknown(gap_reason("instances", gap)),
    };
    let running: Vec<&Instance> = instances.iter().filter(|i| i.state.is_active()).collect();
    if running.is_empty() {
        return Managed::Known(Vec::new());
    }
    match &scope.region.managed_instances {
        Section::Collected(entries) => Managed::Known(
            running
                .into_iter()
                .filter(|i| {
                    entries
                        .iter()
                        .any(|m| m.instance_id == i.id && m.is_online())
                })
                .collect(),
        ),
        Section::NotCollected(gap) => Managed::Unknown(format!(
            "{}; cannot tell which of the {} running instance(s) are managed by Systems Manager",
            gap_reason("managed_instances", gap),
            running.len()
        )),
    }
}

/// The VPC of an instance: its own `vpc_id`, else its subnet's.
pub(crate) fn vpc_of<'a>(
    instance: &'a Instance,
    subnets: Option<&'a Vec<Subnet>>,
) -> Result<&'a str, String> {
    if let Some(reason) = unknown_reason(&instance.unknown, "vpc_id") {
        return Err(format!(
            "instance {}: `vpc_id` is unknown: {reason}",
            instance.id
        ));
    }
    if let Some(vpc) = &instance.vpc_id {
        return Ok(vpc);
    }
    let Some(subnet_id) = &instance.subnet_id else {
        return Err(format!(
            "instance {} names neither a VPC nor a subnet",
            instance.id
        ));
    };
    subnets
        .and_then(|s| s.iter().find(|s| s.id == *subnet_id))
        .map(|s| s.vpc_id.as_str())
        .ok_or_else(|| {
            format!(
                "instance {}: its subnet {subnet_id} is not in the snapshot, so its VPC is unknown",
                instance.id
            )
        })
}

/// Instances grouped by VPC; instances whose VPC cannot be told are returned apart with the
/// reason.
pub(crate) fn by_vpc<'a>(
    scope: &RegionScope<'a>,
    instances: &[&'a Instance],
) -> (BTreeMap<&'a str, Vec<&'a Instance>>, Vec<String>) {
    let subnets = scope.region.subnets.as_option();
    let mut groups: BTreeMap<&str, Vec<&Instance>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for instance in instances {
        match vpc_of(instance, subnets) {
            Ok(vpc) => groups.entry(vpc).or_default().push(instance),
            Err(reason) => unplaced.push(reason),
        }
    }
    (groups, unplaced)
}

/// Whether a VPC can reach a service privately.
pub(crate) enum EndpointState<'a> {
    /// A usable endpoint.
    Usable(&'a VpcEndpoint),
    /// None usable; the reason names what was found (`vpce-… has private DNS off`) or says
    /// there is none.
    Missing(String),
    /// An endpoint that could be usable has unknown fields.
    Unknown(String),
}

/// Which kinds of endpoint satisfy a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Interface endpoints only (with private DNS, available).
    Interface,
    /// Interface endpoints (with private DNS) or gateway endpoints (S3).
    InterfaceOrGateway,
}

/// The usable endpoint of `vpc` for `service` (the short service name: `ssm`, `logs`, `s3`),
/// or why there is none. Interface endpoints need state `available` and private DNS on
/// (without it the default service hostnames still resolve to public addresses); gateway
/// endpoints need state `available`. Gateway routing is the caller's business.
pub(crate) fn endpoint_for<'a>(
    endpoints: &'a [VpcEndpoint],
    vpc: &str,
    service: &str,
    accept: Accept,
) -> EndpointState<'a> {
    let mut problems = Vec::new();
    let mut unknown = None;
    for endpoint in endpoints
        .iter()
        .filter(|e| e.vpc_id == vpc && e.short_service() == service)
    {
        let gateway = endpoint.endpoint_type == EndpointType::Gateway;
        if gateway && accept == Accept::Interface {
            problems.push(format!("{} is a gateway endpoint", endpoint.id));
            continue;
        }
        if !gateway && endpoint.endpoint_type != EndpointType::Interface {
            problems.push(format!(
                "{} is a {:?} endpoint",
                endpoint.id, endpoint.endpoint_type
            ));
            continue;
        }
        let fields: &[&str] = if gateway {
            &["state"]
        } else {
            &["state", "private_dns_enabled"]
        };
        if let Some((field, reason)) = fields
            .iter()
            .find_map(|f| unknown_reason(&endpoint.unknown, f).map(|r| (f, r)))
        {
            unknown.get_or_insert(format!(
                "{} for {service}: `{field}` is unknown: {reason}",
                endpoint.id
            ));
            continue;
        }
        if !endpoint.state.eq_ignore_ascii_case("available") {
            problems.push(format!("{} is {}", endpoint.id, endpoint.state));
        } else if !gateway && !endpoint.private_dns_enabled {
            problems.push(format!("{} has private DNS off", endpoint.id));
        } else {
            return EndpointState::Usable(endpoint);
        }
    }
    if let Some(reason) = unknown {
        return EndpointState::Unknown(reason);
    }
    if problems.is_empty() {
        EndpointState::Missing(format!("no {service} endpoint"))
    } else {
        EndpointState::Missing(format!(
            "no usable {service} endpoint ({})",
            problems.join(", ")
        ))
    }
}

/// ` (prod)` from the VPC's Name tag, or nothing.
pub(crate) fn vpc_label(scope: &RegionScope<'_>, vpc: &str) -> String {
    scope
        .region
        .vpcs
        .as_option()
        .and_then(|vpcs| vpcs.iter().find(|v| v.id == vpc))
        .and_then(|v| v.tags.get("Name"))
        .map_or_else(String::new, |name| format!(" ({name})"))
}

/// `i-1, i-2` (at most `limit` ids, then `and N more`).
pub(crate) fn list_ids<'a>(ids: impl IntoIterator<Item = &'a str>, limit: usize) -> String {
    let ids: Vec<&str> = ids.into_iter().collect();
    if ids.len() <= limit {
        return ids.join(", ");
    }
    format!("{} and {} more", ids[..limit].join(", "), ids.len() - limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(
        id: &str,
        service: &str,
        kind: EndpointType,
        dns: bool,
        state: &str,
    ) -> VpcEndpoint {
        VpcEndpoint {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            service_name: format!("com.amazonaws.eu-west-1.{service}"),
            endpoint_type: kind,
            private_dns_enabled: dns,
            state: state.into(),
            ..VpcEndpoint::default()
        }
    }

    #[test]
    fn interface_endpoints_need_private_dns_and_availability() {
        let endpoints = vec![
            endpoint("vpce-1", "ssm", EndpointType::Interface, false, "available"),
            endpoint(
                "vpce-2",
                "ssmmessages",
                EndpointType::Interface,
                true,
                "pending",
            ),
            endpoint(
                "vpce-3",
                "ec2messages",
                EndpointType::Interface,
                true,
                "available",
            ),
            endpoint(
                "vpce-4",
                "ssm-contacts",
                EndpointType::Interface,
                true,
                "available",
            ),
        ];
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-1", "ssm", Accept::Interface),
            EndpointState::Missing(m) if m.contains("vpce-1 has private DNS off")
        ));
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-1", "ssmmessages", Accept::Interface),
            EndpointState::Missing(m) if m.contains("vpce-2 is pending")
        ));
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-1", "ec2messages", Accept::Interface),
            EndpointState::Usable(e) if e.id == "vpce-3"
        ));
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-2", "ec2messages", Accept::Interface),
            EndpointState::Missing(m) if m == "no ec2messages endpoint"
        ));
    }

    #[test]
    fn gateway_endpoints_count_only_where_accepted() {
        let endpoints = vec![endpoint(
            "vpce-9",
            "s3",
            EndpointType::Gateway,
            false,
            "available",
        )];
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-1", "s3", Accept::InterfaceOrGateway),
            EndpointState::Usable(_)
        ));
        assert!(matches!(
            endpoint_for(&endpoints, "vpc-1", "s3", Accept::Interface),
            EndpointState::Missing(m) if m.contains("gateway")
        ));
    }

    #[test]
    fn id_lists_are_bounded() {
        assert_eq!(list_ids(["a", "b"], 3), "a, b");
        assert_eq!(list_ids(["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
