//! IAM010 unexpected-shell-access: a principal can get a shell (or an equivalent path) on a
//! managed instance although the access expectations (`[access] expect` in nobastion.toml,
//! or `nobastion access --expect`) do not allow it. The grants come from the access map
//! (`crate::access`), evaluated per real instance with its tags; the expectations are the
//! YAML file of `crate::access::expect`. Without an expectation file the rule reports
//! nothing.
//!
//! One finding per unexpected (principal, instance, path); an instance whose grants are all
//! expected passes. What the map could not read (IAM, an instance list, a principal's
//! policies) and unexpected grants the engine cannot decide are not assessed.

use std::collections::HashMap;

use serde_json::json;

use crate::access::expect::Violation;
use crate::access::{Access, Instance, MapGap, Path, TargetKind};
use crate::finding::ResourceRef;
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam010;

fn instance_ref(instance: &Instance) -> ResourceRef {
    let kind = match instance.kind {
        TargetKind::Ec2Instance => "instance",
        TargetKind::ManagedInstance => "managed-instance",
    };
    ResourceRef::new(kind, instance.id.clone())
        .with_arn(instance.arn.clone())
        .in_account(instance.account.clone())
        .in_region(instance.region.clone())
}

fn gap_ref(gap: &MapGap) -> ResourceRef {
    let account = gap.account.clone().unwrap_or_default();
    let resource = match (&gap.principal, &gap.region) {
        (Some(principal), _) => ResourceRef::new("iam-principal", principal.clone()),
        (None, Some(region)) => {
            ResourceRef::new("region", region.clone()).in_region(region.clone())
        }
        (None, None) => ResourceRef::new("account", account.clone()),
    };
    resource.in_account(account)
}

impl Check for Iam010 {
    fn id(&self) -> &'static str {
        "IAM010"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let Some(expectations) = ctx.config.access_expectations.as_deref() else {
            return;
        };
        let map = crate::access::compute(ctx.snapshot);
        for gap in &map.gaps {
            out.not_assessed(
                gap_ref(gap),
                format!("the access map is incomplete: {}", gap.describe()),
            );
        }
        let violations = expectations.violations(&map);
        let by_cell: HashMap<(u32, u32, Path), &Violation> = violations
            .iter()
            .map(|v| ((v.cell.instance, v.cell.principal, v.cell.path), v))
            .collect();
        for (index, instance) in map.instances.iter().enumerate() {
            let resource = instance_ref(instance);
            let mut clean = true;
            for cell in map.cells_of_instance(index) {
                let Some(v) = by_cell.get(&(cell.instance, cell.principal, cell.path)) else {
                    continue;
                };
                clean = false;
                if v.access == Access::Indeterminate {
                    out.not_assessed(resource.clone(), v.message.clone());
                    continue;
                }
                out.fail(resource.clone(), v.message.clone())
                    .origin(instance.origin.as_ref())
                    .key(v.principal.clone())
                    .key(v.path.as_str())
                    .evidence(json!({
                        "instance": {"id": instance.id, "arn": instance.arn, "tags": instance.tags},
                        "principal": v.principal,
                        "path": v.path,
                        "access": v.access,
                        "via": v.via,
                        "conditions": v.conditions,
                    }))
                    .details(json!({
                        "expectations": expectations.path,
                        "rule": v.rule,
                        "line": v.rule_line,
                        "explanation": map.explain(cell).means,
                    }));
            }
            if clean {
                out.pass(resource).origin(instance.origin.as_ref());
            }
        }
    }
}
