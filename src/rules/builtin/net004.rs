//! NET004 ssm-endpoints-missing: a VPC that hosts managed instances has no usable interface
//! endpoint (state available, private DNS on) for one of `ssm`, `ssmmessages`,
//! `ec2messages`. Only VPCs with running instances online in Systems Manager are judged;
//! when managed-instance information was not collected the region is not assessed. Not
//! judged on partial (IaC) snapshots, whose endpoints may live in other stacks.

use serde_json::json;

use super::managed::{Accept, EndpointState, by_vpc, endpoint_for, hosted, list_ids, vpc_label};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Net004;

/// The services the SSM agent talks to for Session Manager.
const SERVICES: [&str; 3] = ["ssm", "ssmmessages", "ec2messages"];

impl Check for Net004 {
    fn id(&self) -> &'static str {
        "NET004"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for scope in ctx.regions() {
            let Some(managed) = hosted(&scope, out) else {
                continue;
            };
            let Some(endpoints) =
                out.region_section(&scope, &scope.region.vpc_endpoints, "vpc_endpoints")
            else {
                continue;
            };
            let (groups, unplaced) = by_vpc(&scope, &managed);
            for reason in unplaced {
                out.not_assessed(scope.scope_ref(), reason);
            }
            for (vpc, instances) in groups {
                let resource = scope.resource("vpc", vpc);
                let mut missing = Vec::new();
                let mut usable = Vec::new();
                let mut unknown = None;
                for service in SERVICES {
                    match endpoint_for(endpoints, vpc, service, Accept::Interface) {
                        EndpointState::Usable(endpoint) => usable.push(endpoint.id.as_str()),
                        EndpointState::Missing(reason) => missing.push(reason),
                        EndpointState::Unknown(reason) => {
                            unknown.get_or_insert(reason);
                        }
                    }
                }
                if !missing.is_empty() {
                    let ids = list_ids(instances.iter().map(|i| i.id.as_str()), 5);
                    out.fail(
                        resource,
                        format!(
                            "VPC {vpc}{} hosts managed instance(s) {ids} but has {}: Session Manager traffic leaves the VPC through its internet or NAT path",
                            vpc_label(&scope, vpc),
                            missing.join(", ")
                        ),
                    )
                    .evidence(json!({
                        "vpc": vpc,
                        "managed_instances": instances.iter().map(|i| &i.id).collect::<Vec<_>>(),
                        "endpoints": endpoints.iter().filter(|e| e.vpc_id == vpc).collect::<Vec<_>>(),
                    }));
                } else if let Some(reason) = unknown {
                    out.not_assessed(resource, reason);
                } else {
                    out.pass(resource)
                        .evidence(json!({ "vpc": vpc, "endpoints": usable }));
                }
            }
        }
    }
}
