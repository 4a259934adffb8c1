//! EC2004 instance-without-profile: a running (or pending) instance has no instance profile,
//! so the SSM Agent has no credentials to register with, or its instance profile holds no
//! role. An instance without a profile that is nevertheless online in Systems Manager gets
//! its credentials from Default Host Management Configuration and passes.

use serde_json::json;

use super::ec2003::name;
use crate::model::{Instance, Section, unknown_reason};
use crate::rules::{Check, Context, Emitter, RegionScope};

pub(crate) struct Ec2004;

impl Check for Ec2004 {
    fn id(&self) -> &'static str {
        "EC2004"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            let Some(instances) = out.region_section(&scope, &scope.region.instances, "instances")
            else {
                continue;
            };
            for instance in instances.iter().filter(|i| i.state.is_active()) {
                judge(&scope, instance, ctx.is_partial(), out);
            }
        }
    }
}

fn judge(scope: &RegionScope<'_>, instance: &Instance, partial: bool, out: &mut Emitter<'_>) {
    let resource = scope.resource_at("instance", &instance.id, instance.origin.as_ref());
    let origin = instance.origin.as_ref();
    if let Some(reason) = unknown_reason(&instance.unknown, "instance_profile") {
        out.not_assessed(resource, format!("`instance_profile` is unknown: {reason}"))
            .origin(origin);
        return;
    }
    let Some(profile) = &instance.instance_profile else {
        // Ping status only means something in a live snapshot: IaC inputs carry an empty
        // (collected) managed-instance list.
        let managed = match &scope.region.managed_instances {
            Section::Collected(entries) if !partial => Some(entries),
            _ => None,
        };
        let online = managed
            .and_then(|m| m.iter().find(|m| m.instance_id == instance.id))
            .is_some_and(crate::model::ManagedInstance::is_online);
        if online {
            // Registered through Default Host Management Configuration.
            out.pass(resource).origin(origin);
            return;
        }
        let dhmc = if managed.is_some() {
            ", and it is not online in Systems Manager through Default Host Management Configuration either"
        } else {
            " (unless Default Host Management Configuration registers it, which could not be checked)"
        };
        out.fail(
            resource,
            format!(
                "Instance {}{} has no instance profile: the SSM Agent has no credentials to register with{dhmc}",
                instance.id,
                name(instance)
            ),
        )
        .origin(origin)
        .evidence(json!({ "instance": instance.id, "instance_profile": null }));
        return;
    };
    // The profile's roles, when IAM was collected and knows the profile.
    let profile_name = profile.rsplit('/').next().unwrap_or(profile);
    let known = scope.account.iam.as_option().and_then(|iam| {
        iam.instance_profiles
            .iter()
            .find(|p| p.name == profile_name || p.arn == *profile)
    });
    match known {
        Some(found)
            if found.roles.is_empty() && unknown_reason(&found.unknown, "roles").is_none() =>
        {
            out.fail(
                resource,
                format!(
                    "Instance {}{} has instance profile {profile_name}, which holds no role: the SSM Agent has no credentials to register with",
                    instance.id,
                    name(instance)
                ),
            )
            .origin(origin)
            .evidence(json!({ "instance": instance.id, "instance_profile": profile, "roles": [] }));
        }
        _ => {
            out.pass(resource).origin(origin);
        }
    }
}
