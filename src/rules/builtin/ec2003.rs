//! EC2003 instance-not-ssm-managed: a running EC2 instance is not online in Systems Manager
//! (`DescribeInstanceInformation` has no entry for it, or its `PingStatus` is not Online), so
//! nobody can reach it through Session Manager and people keep a key or a bastion for it.
//! Pending instances are still booting and are not judged. Needs live ping status: not
//! judged on partial (IaC) snapshots; not assessed when managed-instance information was not
//! collected.

use serde_json::json;

use crate::model::{InstanceState, Section};
use crate::rules::{Check, Context, Emitter, gap_reason};

pub(crate) struct Ec2003;

impl Check for Ec2003 {
    fn id(&self) -> &'static str {
        "EC2003"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for scope in ctx.regions() {
            let Some(instances) = out.region_section(&scope, &scope.region.instances, "instances")
            else {
                continue;
            };
            let running: Vec<_> = instances
                .iter()
                .filter(|i| i.state == InstanceState::Running)
                .collect();
            if running.is_empty() {
                continue;
            }
            let entries = match &scope.region.managed_instances {
                Section::Collected(entries) => entries,
                Section::NotCollected(gap) => {
                    out.not_assessed(scope.scope_ref(), gap_reason("managed_instances", gap));
                    continue;
                }
            };
            for instance in running {
                let resource =
                    scope.resource_at("instance", &instance.id, instance.origin.as_ref());
                let entry = entries.iter().find(|m| m.instance_id == instance.id);
                match entry {
                    Some(entry) if entry.is_online() => {
                        out.pass(resource).origin(instance.origin.as_ref());
                    }
                    Some(entry) => {
                        out.fail(
                            resource,
                            format!(
                                "Instance {}{} is registered with Systems Manager but its PingStatus is {}: Session Manager cannot reach it",
                                instance.id,
                                name(instance),
                                entry.ping_status
                            ),
                        )
                        .origin(instance.origin.as_ref())
                        .evidence(json!({ "instance": instance.id, "managed_instance": entry }));
                    }
                    None => {
                        out.fail(
                            resource,
                            format!(
                                "Running instance {}{} is not managed by Systems Manager (no agent registration: check the SSM Agent, the instance profile or Default Host Management Configuration, and the network path to the ssm, ssmmessages and ec2messages endpoints)",
                                instance.id,
                                name(instance)
                            ),
                        )
                        .origin(instance.origin.as_ref())
                        .evidence(json!({ "instance": instance.id, "state": "running", "managed_instance": null }));
                    }
                }
            }
        }
    }
}

/// ` (reporting)` from the Name tag, or nothing.
pub(crate) fn name(instance: &crate::model::Instance) -> String {
    instance
        .tags
        .get("Name")
        .map_or_else(String::new, |n| format!(" ({n})"))
}
