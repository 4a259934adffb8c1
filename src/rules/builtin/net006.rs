//! NET006 unrestricted-egress: a security group of a managed instance allows all egress to
//! the internet: an egress rule with protocol all (or every TCP or UDP port) to `0.0.0.0/0`
//! or `::/0` in any spelling, also through a prefix list that resolves to one. Session
//! Manager needs only HTTPS (443) to the VPC endpoints or their prefix list.
//!
//! Live snapshots: the groups of running instances online in Systems Manager (not assessed
//! when managed-instance information was not collected). Partial (IaC) snapshots have no
//! ping status: the groups of the active instances they define are judged.

use std::collections::BTreeMap;

use serde_json::json;

use super::managed::{Managed, list_ids, managed_instances};
use super::net::{Protocol, Reach, classify_cidr, describe_ports, protocol};
use crate::model::{Instance, PrefixList, SecurityGroupRule, unknown_reason};
use crate::rules::{Check, Context, Emitter, RegionScope};

pub(crate) struct Net006;

impl Check for Net006 {
    fn id(&self) -> &'static str {
        "NET006"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            let instances: Vec<&Instance> = if ctx.is_partial() {
                match out.region_section(&scope, &scope.region.instances, "instances") {
                    Some(all) => all.iter().filter(|i| i.state.is_active()).collect(),
                    None => continue,
                }
            } else {
                match managed_instances(&scope) {
                    Managed::Known(instances) => instances,
                    Managed::Unknown(reason) => {
                        out.not_assessed(scope.scope_ref(), reason);
                        continue;
                    }
                }
            };
            if instances.is_empty() {
                continue;
            }
            let Some(groups) =
                out.region_section(&scope, &scope.region.security_groups, "security_groups")
            else {
                continue;
            };
            // Group id → the instances using it.
            let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for instance in &instances {
                if let Some(reason) = unknown_reason(&instance.unknown, "security_group_ids") {
                    out.not_assessed(
                        scope.resource_at("instance", &instance.id, instance.origin.as_ref()),
                        format!("`security_group_ids` is unknown: {reason}"),
                    )
                    .origin(instance.origin.as_ref());
                    continue;
                }
                for group in &instance.security_group_ids {
                    users.entry(group).or_default().push(&instance.id);
                }
            }
            let prefix_lists = scope.region.prefix_lists.as_option();
            for (group_id, using) in users {
                let Some(group) = groups.iter().find(|g| g.id == group_id) else {
                    out.not_assessed(
                        scope.resource("security-group", group_id),
                        format!(
                            "security group {group_id} of instance(s) {} is not in the snapshot",
                            list_ids(using.iter().copied(), 5)
                        ),
                    );
                    continue;
                };
                let resource =
                    scope.resource_at("security-group", &group.id, group.origin.as_ref());
                if let Some(reason) = unknown_reason(&group.unknown, "egress") {
                    out.not_assessed(resource, format!("egress rules are unknown: {reason}"))
                        .origin(group.origin.as_ref());
                    continue;
                }
                match open_egress(&group.egress, prefix_lists) {
                    Err(reason) => {
                        out.not_assessed(resource, reason)
                            .origin(group.origin.as_ref());
                    }
                    Ok(open) if open.is_empty() => {
                        out.pass(resource).origin(group.origin.as_ref());
                    }
                    Ok(open) => fail(&scope, group, &using, &open, ctx.is_partial(), out),
                }
            }
        }
    }
}

fn fail(
    scope: &RegionScope<'_>,
    group: &crate::model::SecurityGroup,
    using: &[&str],
    open: &[(usize, String)],
    partial: bool,
    out: &mut Emitter<'_>,
) {
    let resource = scope.resource_at("security-group", &group.id, group.origin.as_ref());
    let name = if group.name.is_empty() {
        String::new()
    } else {
        format!(" ({})", group.name)
    };
    let rules: Vec<String> = open
        .iter()
        .map(|(index, destination)| {
            let rule = &group.egress[*index];
            format!(
                "{} to {destination}",
                describe_ports(&rule.protocol, rule.from_port, rule.to_port)
            )
        })
        .collect();
    let origin = open
        .first()
        .and_then(|(index, _)| group.egress.get(*index))
        .and_then(|r| r.origin.as_ref())
        .or(group.origin.as_ref());
    let evidence: Vec<&SecurityGroupRule> = open
        .iter()
        .filter_map(|(i, _)| group.egress.get(*i))
        .collect();
    out.fail(
        resource,
        format!(
            "Security group {}{name} of {} {} allows {}: only HTTPS (443) to the Systems Manager endpoints is needed",
            group.id,
            if partial { "instance(s)" } else { "managed instance(s)" },
            list_ids(using.iter().copied(), 5),
            rules.join(", ")
        ),
    )
    .origin(origin)
    .evidence(json!({ "security_group": group.id, "egress": evidence, "instances": using }));
}

/// The egress rules (index, destination) that allow everything to the internet, or why that
/// cannot be told.
fn open_egress(
    rules: &[SecurityGroupRule],
    prefix_lists: Option<&Vec<PrefixList>>,
) -> Result<Vec<(usize, String)>, String> {
    let mut open = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if let Some((field, reason)) = ["protocol", "from_port", "to_port"]
            .iter()
            .find_map(|f| unknown_reason(&rule.unknown, f).map(|r| (f, r)))
        {
            return Err(format!(
                "egress rule {index}: `{field}` is unknown: {reason}"
            ));
        }
        if !all_ports(rule) {
            continue;
        }
        for field in ["ipv4_ranges", "ipv6_ranges", "prefix_list_ids"] {
            if let Some(reason) = unknown_reason(&rule.unknown, field) {
                return Err(format!(
                    "egress rule {index} allows every port but `{field}` is unknown: {reason}"
                ));
            }
        }
        for cidr in rule.ipv4_ranges.iter().chain(&rule.ipv6_ranges) {
            if classify_cidr(cidr) == Some(Reach::Internet) {
                open.push((index, cidr.clone()));
            }
        }
        for list_id in &rule.prefix_list_ids {
            let whole_internet = prefix_lists
                .and_then(|lists| lists.iter().find(|l| l.id == *list_id))
                .is_some_and(|l| {
                    l.cidrs
                        .iter()
                        .any(|c| classify_cidr(c) == Some(Reach::Internet))
                });
            if whole_internet {
                open.push((index, format!("prefix list {list_id}")));
            }
        }
    }
    Ok(open)
}

/// Protocol all, or TCP / UDP with the whole port range.
fn all_ports(rule: &SecurityGroupRule) -> bool {
    let whole_range = match (rule.from_port, rule.to_port) {
        (None, None) => true,
        (Some(from), Some(to)) => {
            from < 0 || to < 0 || (from.min(to) <= 0 && from.max(to) >= 65535)
        }
        _ => false,
    };
    match protocol(&rule.protocol) {
        Protocol::All => true,
        Protocol::Tcp => whole_range,
        Protocol::Other => {
            let udp = rule.protocol.trim() == "17" || rule.protocol.eq_ignore_ascii_case("udp");
            udp && whole_range
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, ports: Option<(i32, i32)>, cidr: &str) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: protocol.into(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            ipv4_ranges: vec![cidr.into()],
            ..SecurityGroupRule::default()
        }
    }

    #[test]
    fn what_counts_as_unrestricted() {
        assert!(all_ports(&rule("-1", None, "0.0.0.0/0")));
        assert!(all_ports(&rule("tcp", Some((0, 65535)), "0.0.0.0/0")));
        assert!(all_ports(&rule("17", Some((0, 65535)), "0.0.0.0/0")));
        assert!(!all_ports(&rule("tcp", Some((443, 443)), "0.0.0.0/0")));
        assert!(!all_ports(&rule("icmp", Some((-1, -1)), "0.0.0.0/0")));
        let open = open_egress(
            &[
                rule("-1", None, "10.0.0.0/8"),
                rule("tcp", Some((443, 443)), "0.0.0.0/0"),
                rule("all", None, "0.0.0.0/0"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(open, vec![(2, "0.0.0.0/0".to_owned())]);
    }
}
