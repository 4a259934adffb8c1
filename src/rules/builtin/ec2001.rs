//! EC2001 instance-public-ip: an active instance has a public IPv4 address, or lives in a
//! subnet that auto-assigns one (and did not opt out at launch); a launch template assigns
//! one. The subnet join is why this is a Rust rule.

use serde_json::json;

use crate::model::{Instance, LaunchTemplate, Subnet, unknown_reason};
use crate::rules::{Check, Context, Emitter, RegionScope};

pub(crate) struct Ec2001;

impl Check for Ec2001 {
    fn id(&self) -> &'static str {
        "EC2001"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            if let Some(instances) =
                out.region_section(&scope, &scope.region.instances, "instances")
            {
                // Subnets only matter for instances without a public IP of their own.
                let subnets = scope.region.subnets.get();
                for instance in instances.iter().filter(|i| i.state.is_active()) {
                    judge_instance(&scope, instance, subnets, out);
                }
            }
            if let Some(templates) =
                out.region_section(&scope, &scope.region.launch_templates, "launch_templates")
            {
                for template in templates {
                    judge_template(&scope, template, out);
                }
            }
        }
    }
}

fn judge_instance(
    scope: &RegionScope<'_>,
    instance: &Instance,
    subnets: Result<&Vec<Subnet>, &crate::model::Gap>,
    out: &mut Emitter<'_>,
) {
    let resource = scope.resource_at("instance", &instance.id, instance.origin.as_ref());
    let origin = instance.origin.as_ref();
    if let Some(reason) = unknown_reason(&instance.unknown, "public_ip") {
        out.not_assessed(resource, format!("`public_ip` is unknown: {reason}"))
            .origin(origin);
        return;
    }
    if let Some(ip) = &instance.public_ip {
        out.fail(
            resource,
            format!("Instance {} has public IPv4 address {ip}", instance.id),
        )
        .origin(origin)
        .evidence(
            json!({ "instance": instance.id, "public_ip": ip, "subnet_id": instance.subnet_id }),
        );
        return;
    }
    if let Some(reason) = unknown_reason(&instance.unknown, "associate_public_ip_address") {
        out.not_assessed(
            resource,
            format!("`associate_public_ip_address` is unknown: {reason}"),
        )
        .origin(origin);
        return;
    }
    if instance.associate_public_ip_address == Some(true) {
        out.fail(
            resource,
            format!(
                "Instance {} is launched with a public IPv4 address",
                instance.id
            ),
        )
        .origin(origin)
        .evidence(json!({ "instance": instance.id, "associate_public_ip_address": true }));
        return;
    }
    if instance.associate_public_ip_address == Some(false) {
        // An explicit opt-out overrides the subnet's default.
        out.pass(resource).origin(origin);
        return;
    }
    if let Some(reason) = unknown_reason(&instance.unknown, "subnet_id") {
        out.not_assessed(resource, format!("`subnet_id` is unknown: {reason}"))
            .origin(origin);
        return;
    }
    let Some(subnet_id) = &instance.subnet_id else {
        // Without a subnet the default VPC's default subnet applies, and those auto-assign
        // public IPv4 addresses; nothing here says which one.
        out.not_assessed(
            resource,
            "no subnet given: the default VPC's subnets auto-assign public IPv4 addresses unless associate_public_ip_address is false",
        )
        .origin(origin);
        return;
    };
    let subnets = match subnets {
        Ok(subnets) => subnets,
        Err(gap) => {
            out.not_assessed(resource, crate::rules::gap_reason("subnets", gap))
                .origin(origin);
            return;
        }
    };
    match subnets.iter().find(|s| s.id == *subnet_id) {
        Some(subnet) if unknown_reason(&subnet.unknown, "map_public_ip_on_launch").is_some() => {
            out.not_assessed(
                resource,
                format!("subnet {subnet_id}'s `map_public_ip_on_launch` is unknown"),
            )
            .origin(origin);
        }
        Some(subnet) if subnet.map_public_ip_on_launch => {
            out.fail(
                resource,
                format!(
                    "Instance {} lives in subnet {subnet_id}, which auto-assigns public IPv4 addresses (MapPublicIpOnLaunch)",
                    instance.id
                ),
            )
            .origin(origin)
            .evidence(json!({ "instance": instance.id, "subnet_id": subnet_id, "map_public_ip_on_launch": true }));
        }
        Some(_) => {
            out.pass(resource).origin(origin);
        }
        None => {
            out.not_assessed(
                resource,
                format!("subnet {subnet_id} is not in the snapshot: cannot tell whether it auto-assigns public IPv4 addresses"),
            )
            .origin(origin);
        }
    }
}

fn judge_template(scope: &RegionScope<'_>, template: &LaunchTemplate, out: &mut Emitter<'_>) {
    let resource = scope.resource_at("launch-template", &template.id, template.origin.as_ref());
    let origin = template.origin.as_ref();
    if let Some(reason) = unknown_reason(&template.unknown, "associate_public_ip_address") {
        out.not_assessed(
            resource,
            format!("`associate_public_ip_address` is unknown: {reason}"),
        )
        .origin(origin);
    } else if template.associate_public_ip_address == Some(true) {
        let name = if template.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", template.name)
        };
        out.fail(
            resource,
            format!("Launch template {}{name} assigns a public IPv4 address to the instances it launches", template.id),
        )
        .origin(origin)
        .evidence(json!({ "launch_template": template.id, "associate_public_ip_address": true }));
    } else {
        out.pass(resource).origin(origin);
    }
}
