//! NET001 / NET002: a security group allows inbound TCP to an admin port (22 SSH, 3389 RDP)
//! from any source. One finding per security group and port, listing every offending source;
//! critical when any source reaches the internet (a `/0` or a public range, also via a
//! resolved prefix list), high otherwise (private ranges, other security groups, `self`).

use serde_json::json;

use super::net::{Reach, classify_cidr, covers_tcp_port};
use crate::finding::Severity;
use crate::model::{PrefixList, SecurityGroup, SecurityGroupRule, unknown_reason};
use crate::rules::{Context, Emitter};

struct Source {
    text: String,
    reach: Option<Reach>,
    rule_index: usize,
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Emitter<'_>, port: u16, service: &str) {
    for scope in ctx.regions() {
        let Some(groups) =
            out.region_section(&scope, &scope.region.security_groups, "security_groups")
        else {
            continue;
        };
        let prefix_lists = scope.region.prefix_lists.as_option();
        for sg in groups {
            let resource = scope.resource_at("security-group", &sg.id, sg.origin.as_ref());
            if let Some(reason) = unknown_reason(&sg.unknown, "ingress") {
                out.not_assessed(resource, format!("ingress rules are unknown: {reason}"))
                    .origin(sg.origin.as_ref());
                continue;
            }
            match offending_sources(sg, port, prefix_lists) {
                Err(reason) => {
                    out.not_assessed(resource, reason)
                        .origin(sg.origin.as_ref())
                        .key(port.to_string());
                }
                Ok(sources) if sources.is_empty() => {
                    out.pass(resource).origin(sg.origin.as_ref());
                }
                Ok(sources) => {
                    let internet = sources
                        .iter()
                        .any(|s| matches!(s.reach, Some(Reach::Internet | Reach::Public)));
                    let listed: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
                    let name = if sg.name.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", sg.name)
                    };
                    let message = format!(
                        "Security group {}{name} allows {service} (TCP {port}) from {}",
                        sg.id,
                        listed.join(", ")
                    );
                    let first_rule = sources.first().and_then(|s| sg.ingress.get(s.rule_index));
                    let origin = first_rule
                        .and_then(|r| r.origin.as_ref())
                        .or(sg.origin.as_ref());
                    let details = json!({
                        "port": port,
                        "sources": sources.iter().map(|s| json!({
                            "source": s.text,
                            "reach": s.reach.map_or("unknown", reach_name),
                            "rule_index": s.rule_index,
                        })).collect::<Vec<_>>(),
                    });
                    let evidence: Vec<&SecurityGroupRule> = sources
                        .iter()
                        .filter_map(|s| sg.ingress.get(s.rule_index))
                        .collect();
                    out.fail(resource, message)
                        .severity(if internet {
                            Severity::Critical
                        } else {
                            Severity::High
                        })
                        .origin(origin)
                        .key(port.to_string())
                        .evidence(json!({ "security_group": sg.id, "ingress": evidence }))
                        .details(details);
                }
            }
        }
    }
}

fn reach_name(reach: Reach) -> &'static str {
    match reach {
        Reach::Internet => "internet",
        Reach::Public => "public",
        Reach::Private => "private",
    }
}

/// Every source that may reach `port`, or why that cannot be decided.
fn offending_sources(
    sg: &SecurityGroup,
    port: u16,
    prefix_lists: Option<&Vec<PrefixList>>,
) -> Result<Vec<Source>, String> {
    let mut sources: Vec<Source> = Vec::new();
    let mut undecided: Option<String> = None;
    for (index, rule) in sg.ingress.iter().enumerate() {
        let port_unknown = ["protocol", "from_port", "to_port"].iter().find_map(|f| {
            unknown_reason(&rule.unknown, f)
                .map(|r| format!("ingress rule {index}: `{f}` is unknown: {r}"))
        });
        if let Some(reason) = port_unknown {
            undecided.get_or_insert(reason);
            continue;
        }
        if !covers_tcp_port(&rule.protocol, rule.from_port, rule.to_port, port) {
            continue;
        }
        for field in [
            "ipv4_ranges",
            "ipv6_ranges",
            "prefix_list_ids",
            "referenced_groups",
        ] {
            if let Some(reason) = unknown_reason(&rule.unknown, field) {
                undecided.get_or_insert(format!(
                    "ingress rule {index} covers port {port} but `{field}` is unknown: {reason}"
                ));
            }
        }
        for cidr in rule.ipv4_ranges.iter().chain(&rule.ipv6_ranges) {
            match classify_cidr(cidr) {
                Some(reach) => push(&mut sources, cidr.clone(), Some(reach), index),
                None => {
                    undecided.get_or_insert(format!(
                        "ingress rule {index}: `{cidr}` is not a valid CIDR"
                    ));
                }
            }
        }
        for list_id in &rule.prefix_list_ids {
            let resolved = prefix_lists.and_then(|lists| lists.iter().find(|l| l.id == *list_id));
            match resolved {
                Some(list) => {
                    let reach = list.cidrs.iter().filter_map(|c| classify_cidr(c)).max();
                    let label = if list.name.is_empty() {
                        list_id.clone()
                    } else {
                        format!("{list_id} ({})", list.name)
                    };
                    push(
                        &mut sources,
                        format!("prefix list {label}"),
                        reach.or(Some(Reach::Private)),
                        index,
                    );
                }
                None => push(
                    &mut sources,
                    format!("prefix list {list_id} (entries not resolved)"),
                    None,
                    index,
                ),
            }
        }
        for group in &rule.referenced_groups {
            let text = if group.is_self || group.group_id == sg.id {
                "its own members (self)".to_owned()
            } else {
                match &group.account_id {
                    Some(account) => {
                        format!("security group {} in account {account}", group.group_id)
                    }
                    None => format!("security group {}", group.group_id),
                }
            };
            push(&mut sources, text, Some(Reach::Private), index);
        }
    }
    match (sources.is_empty(), undecided) {
        (true, Some(reason)) => Err(reason),
        _ => Ok(sources),
    }
}

fn push(sources: &mut Vec<Source>, text: String, reach: Option<Reach>, rule_index: usize) {
    if !sources.iter().any(|s| s.text == text) {
        sources.push(Source {
            text,
            reach,
            rule_index,
        });
    }
}
