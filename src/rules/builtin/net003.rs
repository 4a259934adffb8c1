//! NET003 nacl-ssh-ingress-allowed: a network ACL lets inbound TCP 22 or 3389 through.
//! Entries are evaluated as AWS does (per address family, lowest rule number first, first
//! match decides), so a lower-numbered deny covering the port wins over a later allow. One
//! finding per network ACL names, per port, the entries that actually let traffic in.

use serde_json::json;

use super::net::{AclOpening, acl_openings, describe_ports};
use crate::model::{NetworkAcl, unknown_reason};
use crate::rules::{Check, Context, Emitter, RegionScope};

pub(crate) struct Net003;

const PORTS: [(u16, &str); 2] = [(22, "SSH"), (3389, "RDP")];

impl Check for Net003 {
    fn id(&self) -> &'static str {
        "NET003"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            let Some(acls) = out.region_section(&scope, &scope.region.network_acls, "network_acls")
            else {
                continue;
            };
            for acl in acls {
                judge(&scope, acl, out);
            }
        }
    }
}

fn judge(scope: &RegionScope<'_>, acl: &NetworkAcl, out: &mut Emitter<'_>) {
    let resource = scope.resource_at("network-acl", &acl.id, acl.origin.as_ref());
    if let Some(reason) = unknown_reason(&acl.unknown, "entries") {
        out.not_assessed(resource, format!("entries are unknown: {reason}"))
            .origin(acl.origin.as_ref());
        return;
    }
    let mut open: Vec<(u16, &str, Vec<AclOpening<'_>>)> = Vec::new();
    for (port, service) in PORTS {
        match acl_openings(&acl.entries, port) {
            Ok(openings) if openings.is_empty() => {}
            Ok(openings) => open.push((port, service, openings)),
            Err(reason) => {
                out.not_assessed(resource, format!("cannot evaluate TCP {port}: {reason}"))
                    .origin(acl.origin.as_ref());
                return;
            }
        }
    }
    if open.is_empty() {
        out.pass(resource).origin(acl.origin.as_ref());
        return;
    }
    let parts: Vec<String> = open
        .iter()
        .map(|(port, service, openings)| {
            let entries: Vec<String> = openings.iter().map(describe_opening).collect();
            format!("{service} (TCP {port}) through {}", entries.join(" and "))
        })
        .collect();
    let attached = if acl.subnet_ids.is_empty() {
        " (associated with no subnet yet)".to_owned()
    } else {
        format!(
            " (subnets {})",
            super::managed::list_ids(acl.subnet_ids.iter().map(String::as_str), 4)
        )
    };
    let message = format!(
        "Network ACL {}{attached} lets inbound {}",
        acl.id,
        parts.join("; and ")
    );
    let first = open
        .first()
        .and_then(|(_, _, openings)| openings.first())
        .and_then(|o| o.entry.origin.as_ref())
        .or(acl.origin.as_ref());
    let details = json!({
        "ports": open.iter().map(|(port, _, openings)| json!({
            "port": port,
            "entries": openings.iter().map(|o| json!({
                "rule_number": o.entry.rule_number,
                "cidr": o.cidr,
                "reach": o.reach.name(),
                "partly_shadowed_by_earlier_denies": o.partly_shadowed,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let evidence: Vec<_> = acl.entries.iter().filter(|e| !e.egress).collect();
    out.fail(resource, message)
        .origin(first)
        .evidence(
            json!({ "network_acl": acl.id, "vpc_id": acl.vpc_id, "inbound_entries": evidence }),
        )
        .details(details);
}

fn describe_opening(opening: &AclOpening<'_>) -> String {
    let entry = opening.entry;
    let shadow = if opening.partly_shadowed {
        ", less what earlier denies cover"
    } else {
        ""
    };
    format!(
        "rule {} (allows {} from {}{shadow})",
        entry.rule_number,
        describe_ports(&entry.protocol, entry.from_port, entry.to_port),
        opening.cidr
    )
}
