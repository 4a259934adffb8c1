//! NET005 log-endpoints-missing: the region's Session Manager preferences send session logs
//! to CloudWatch Logs, S3 or encrypt sessions with KMS, but a VPC hosting managed instances
//! has no private path for it: a `logs` interface endpoint, an S3 gateway endpoint routed for
//! the instances' subnets (or an S3 interface endpoint), a `kms` interface endpoint. A
//! session-log bucket in another region cannot be reached through the VPC's endpoints.
//!
//! Only VPCs with managed instances in regions whose preferences name a destination or a key
//! are judged; not judged on partial (IaC) snapshots.

use serde_json::json;

use super::destinations::{Lookup, find_bucket};
use super::managed::{Accept, EndpointState, by_vpc, endpoint_for, hosted, list_ids, vpc_label};
use super::session::{first_unknown_input, preferences};
use crate::model::{EndpointType, Instance, RouteTable, VpcEndpoint};
use crate::rules::{Check, Context, Emitter, RegionScope, gap_reason};

pub(crate) struct Net005;

impl Check for Net005 {
    fn id(&self) -> &'static str {
        "NET005"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for scope in ctx.regions() {
            let Some(managed) = hosted(&scope, out) else {
                continue;
            };
            let Some(documents) =
                out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
            else {
                continue;
            };
            // Without preferences nothing is sent anywhere (LOG001 reports that).
            let Some(prefs) = preferences(documents) else {
                continue;
            };
            if let Some(reason) = first_unknown_input(
                prefs,
                &["cloudwatch_log_group_name", "s3_bucket_name", "kms_key_id"],
            ) {
                out.not_assessed(scope.scope_ref(), reason);
                continue;
            }
            let Some(inputs) = &prefs.inputs else {
                continue;
            };
            let needs = Needs {
                logs: inputs.cloudwatch_log_group_name.is_some(),
                bucket: inputs.s3_bucket_name.as_deref(),
                kms: inputs.kms_key_id.is_some(),
            };
            if !needs.logs && needs.bucket.is_none() && !needs.kms {
                continue;
            }
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
                judge_vpc(ctx, &scope, vpc, &instances, endpoints, &needs, out);
            }
        }
    }
}

struct Needs<'a> {
    logs: bool,
    bucket: Option<&'a str>,
    kms: bool,
}

fn judge_vpc(
    ctx: &Context<'_>,
    scope: &RegionScope<'_>,
    vpc: &str,
    instances: &[&Instance],
    endpoints: &[VpcEndpoint],
    needs: &Needs<'_>,
    out: &mut Emitter<'_>,
) {
    let resource = scope.resource("vpc", vpc);
    let mut missing: Vec<String> = Vec::new();
    let mut unknown: Option<String> = None;
    let mut interface = |service: &str, why: &str, missing: &mut Vec<String>| match endpoint_for(
        endpoints,
        vpc,
        service,
        Accept::Interface,
    ) {
        EndpointState::Usable(_) => {}
        EndpointState::Missing(reason) => missing.push(format!("{reason}, needed as {why}")),
        EndpointState::Unknown(reason) => {
            unknown.get_or_insert(reason);
        }
    };
    if needs.logs {
        interface(
            "logs",
            "sessions are logged to CloudWatch Logs",
            &mut missing,
        );
    }
    if needs.kms {
        interface(
            "kms",
            "session data is encrypted with a KMS key",
            &mut missing,
        );
    }
    if let Some(bucket) = needs.bucket {
        match s3_path(ctx, scope, vpc, instances, endpoints, bucket) {
            Ok(()) => {}
            Err(S3Problem::Missing(reason)) => missing.push(reason),
            Err(S3Problem::Unknown(reason)) => {
                unknown.get_or_insert(reason);
            }
        }
    }
    if !missing.is_empty() {
        let ids = list_ids(instances.iter().map(|i| i.id.as_str()), 5);
        out.fail(
            resource,
            format!(
                "VPC {vpc}{} hosts managed instance(s) {ids}, but: {}",
                vpc_label(scope, vpc),
                missing.join("; ")
            ),
        )
        .evidence(json!({
            "vpc": vpc,
            "managed_instances": instances.iter().map(|i| &i.id).collect::<Vec<_>>(),
            "needs": {
                "logs": needs.logs,
                "s3_bucket": needs.bucket,
                "kms": needs.kms,
            },
            "endpoints": endpoints.iter().filter(|e| e.vpc_id == vpc).collect::<Vec<_>>(),
        }));
    } else if let Some(reason) = unknown {
        out.not_assessed(resource, reason);
    } else {
        out.pass(resource);
    }
}

enum S3Problem {
    Missing(String),
    Unknown(String),
}

/// Whether the instances reach the session-log bucket privately.
fn s3_path(
    ctx: &Context<'_>,
    scope: &RegionScope<'_>,
    vpc: &str,
    instances: &[&Instance],
    endpoints: &[VpcEndpoint],
    bucket: &str,
) -> Result<(), S3Problem> {
    // VPC endpoints only reach buckets of their own region.
    if let Lookup::Found(_, found) = find_bucket(ctx, bucket)
        && let Some(region) = &found.region
        && region != &scope.region.name
    {
        return Err(S3Problem::Missing(format!(
            "session-log bucket {bucket} is in {region}, which no VPC endpoint in {} reaches",
            scope.region.name
        )));
    }
    let why = "sessions are logged to S3";
    match endpoint_for(endpoints, vpc, "s3", Accept::InterfaceOrGateway) {
        EndpointState::Usable(endpoint) if endpoint.endpoint_type == EndpointType::Gateway => {
            gateway_routes(scope, vpc, instances, endpoint, endpoints)
        }
        EndpointState::Usable(_) => Ok(()),
        EndpointState::Missing(reason) => {
            Err(S3Problem::Missing(format!("{reason}, needed as {why}")))
        }
        EndpointState::Unknown(reason) => Err(S3Problem::Unknown(reason)),
    }
}

/// A gateway endpoint only serves subnets whose route table it is associated with. Any
/// usable S3 gateway endpoint of the VPC counts for a subnet.
fn gateway_routes(
    scope: &RegionScope<'_>,
    vpc: &str,
    instances: &[&Instance],
    first: &VpcEndpoint,
    endpoints: &[VpcEndpoint],
) -> Result<(), S3Problem> {
    let tables = match scope.region.route_tables.get() {
        Ok(tables) => tables,
        Err(gap) => {
            return Err(S3Problem::Unknown(format!(
                "cannot tell which subnets S3 gateway endpoint {} serves: {}",
                first.id,
                gap_reason("route_tables", gap)
            )));
        }
    };
    let gateways: Vec<&VpcEndpoint> = endpoints
        .iter()
        .filter(|e| {
            e.vpc_id == vpc
                && e.short_service() == "s3"
                && e.endpoint_type == EndpointType::Gateway
                && e.state.eq_ignore_ascii_case("available")
        })
        .collect();
    let mut unrouted = Vec::new();
    for instance in instances {
        let Some(subnet) = &instance.subnet_id else {
            return Err(S3Problem::Unknown(format!(
                "instance {} names no subnet: cannot tell whether S3 gateway endpoint {} serves it",
                instance.id, first.id
            )));
        };
        let Some(table) = route_table_of(tables, vpc, subnet) else {
            return Err(S3Problem::Unknown(format!(
                "no route table of subnet {subnet} is in the snapshot: cannot tell whether S3 gateway endpoint {} serves it",
                first.id
            )));
        };
        let routed = gateways
            .iter()
            .any(|g| g.route_table_ids.contains(&table.id));
        if !routed && !unrouted.contains(&subnet.as_str()) {
            unrouted.push(subnet.as_str());
        }
    }
    if unrouted.is_empty() {
        Ok(())
    } else {
        Err(S3Problem::Missing(format!(
            "S3 gateway endpoint {} is not associated with the route table of subnet(s) {}, so session logs to S3 do not use it",
            first.id,
            unrouted.join(", ")
        )))
    }
}

/// The route table of a subnet: its explicit association, else the VPC's main table.
fn route_table_of<'a>(tables: &'a [RouteTable], vpc: &str, subnet: &str) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet))
        .or_else(|| tables.iter().find(|t| t.main && t.vpc_id == vpc))
}
