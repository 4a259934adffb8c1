//! Benchmarks of the rule pack (recorded in docs/performance.md, "Rule pack"): the whole
//! catalog, and the IAM rules alone, on a synthetic account with 1,000 IAM users and 1,000
//! roles, each with an inline policy and two of 200 customer managed policies (users also
//! get a group's inline and managed policy; a third of the roles are in instance
//! profiles), and on the demo snapshot.
//!
//! Run with `cargo bench --no-default-features --bench rules`; `cargo test --all-targets`
//! runs each benchmark once as a smoke test. `NOBASTION_DUMP_SYNTHETIC=FILE` also writes the
//! synthetic snapshot (to profile `nobastion check --snapshot FILE` on it).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use nobastion::config::Config;
use nobastion::model::Snapshot;
use nobastion::rules::{Registry, RunOptions, Selection, run};
use serde_json::{Value, json};

const USERS: usize = 1_000;
const ROLES: usize = 1_000;
const MANAGED: usize = 200;
const GROUPS: usize = 20;
const ACCOUNT: &str = "111122223333";

/// Five policy shapes seen in real accounts, varied by `n` so no two documents are equal.
fn document(shape: usize, n: usize) -> Value {
    let statements = match shape % 5 {
        // Tag-scoped sessions with MFA, the shell document, own sessions.
        0 => json!([
            {"Sid": format!("Start{n}"), "Effect": "Allow", "Action": "ssm:StartSession",
             "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"],
             "Condition": {"StringEquals": {"ssm:resourceTag/Team": [format!("team-{n}"), "shared"]},
                           "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
            {"Effect": "Allow", "Action": "ssm:StartSession",
             "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"},
            {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
             "Resource": "arn:aws:ssm:*:*:session/*",
             "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}}}
        ]),
        // Broad Systems Manager administration.
        1 => json!([
            {"Effect": "Allow", "Action": ["ssm:*", "ec2:Describe*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:DeleteDocument", "Resource": format!("arn:aws:ssm:*:*:document/App-{n}-*")}
        ]),
        // Read-only.
        2 => json!([
            {"Effect": "Allow", "Action": ["ec2:Describe*", "ssm:Describe*", "ssm:Get*", "ssm:List*",
                                           "s3:GetObject", "logs:GetLogEvents"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::bucket-{n}/*")}
        ]),
        // Presence-only scoping, port forwarding, from the office.
        3 => json!([
            {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
             "Condition": {"StringLike": {"ssm:resourceTag/Env": "*"}}},
            {"Effect": "Allow", "Action": "ssm:StartSession",
             "Resource": "arn:aws:ssm:*::document/AWS-StartPortForwardingSession",
             "Condition": {"IpAddress": {"aws:SourceIp": [format!("10.{}.0.0/16", n % 250)]}}}
        ]),
        // Run Command on tagged instances.
        _ => json!([
            {"Effect": "Allow", "Action": "ssm:SendCommand",
             "Resource": ["arn:aws:ec2:*:*:instance/*"],
             "Condition": {"StringEquals": {"aws:ResourceTag/PatchGroup": format!("pg-{n}")}}},
            {"Effect": "Allow", "Action": "ssm:SendCommand",
             "Resource": ["arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ssm:*::document/AWS-RunPatchBaseline"]},
            {"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
             "Resource": format!("arn:aws:ec2:*:*:instance/i-{n:017x}"),
             "Condition": {"StringEquals": {"ec2:osuser": "ec2-user"}}}
        ]),
    };
    json!({ "document": { "Version": "2012-10-17", "Statement": statements } })
}

fn managed_arn(i: usize) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/team/policy-{i}")
}

/// The synthetic account described in the module doc.
fn synthetic() -> Snapshot {
    let mut policies: Vec<Value> = (0..MANAGED)
        .map(|i| {
            json!({ "arn": managed_arn(i), "name": format!("policy-{i}"), "path": "/team/",
                    "default_version_id": "v1", "document": document(i, i) })
        })
        .collect();
    policies.push(json!({
        "arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "name": "AmazonSSMManagedInstanceCore", "aws_managed": true, "default_version_id": "v2",
        "document": { "document": { "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:GetDocument", "ssm:GetParameter",
              "ssm:ListInstanceAssociations", "ssm:UpdateInstanceInformation", "ssm:PutInventory"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["ssmmessages:*", "ec2messages:*"], "Resource": "*"}]}}
    }));
    let groups: Vec<Value> = (0..GROUPS)
        .map(|g| {
            json!({ "name": format!("group-{g}"), "arn": format!("arn:aws:iam::{ACCOUNT}:group/group-{g}"),
                    "inline_policies": [{ "name": format!("group-{g}"), "document": document(g + 2, 10_000 + g) }],
                    "attached_policies": [managed_arn((g * 11) % MANAGED)] })
        })
        .collect();
    let users: Vec<Value> = (0..USERS)
        .map(|i| {
            json!({ "name": format!("user-{i}"), "arn": format!("arn:aws:iam::{ACCOUNT}:user/people/user-{i}"),
                    "id": format!("AIDASYNTHETIC{i:08}"), "path": "/people/",
                    "groups": [format!("group-{}", i % GROUPS)],
                    "inline_policies": [{ "name": format!("user-{i}"), "document": document(i, 20_000 + i) }],
                    "attached_policies": [managed_arn(i % MANAGED), managed_arn((i * 7 + 3) % MANAGED)],
                    "tags": { "team": format!("team-{}", i % 40) } })
        })
        .collect();
    let mut profiles = Vec::new();
    let roles: Vec<Value> = (0..ROLES)
        .map(|i| {
            let name = format!("role-{i}");
            let mut attached = vec![managed_arn((i * 3) % MANAGED), managed_arn((i * 13 + 1) % MANAGED)];
            let mut role_profiles = Vec::new();
            if i % 3 == 0 {
                attached.push("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore".to_owned());
                role_profiles.push(name.clone());
                profiles.push(json!({ "name": name, "arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/{name}"),
                                      "roles": [name] }));
            }
            json!({ "name": name, "arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                    "id": format!("AROASYNTHETIC{i:08}"),
                    "inline_policies": [{ "name": format!("role-{i}"), "document": document(i + 1, 30_000 + i) }],
                    "attached_policies": attached, "instance_profiles": role_profiles })
        })
        .collect();
    let empty = json!({ "collected": [] });
    let region = json!({
        "name": "us-east-1", "vpcs": empty, "subnets": empty, "route_tables": empty,
        "security_groups": empty, "network_acls": empty, "prefix_lists": empty,
        "instances": empty, "launch_templates": empty, "vpc_endpoints": empty,
        "ssm_documents": empty, "managed_instances": empty, "log_groups": empty,
        "metric_filters": empty, "alarms": empty, "kms_keys": empty, "trails": empty,
        "event_rules": empty, "ssm_settings": { "collected": { "public_sharing_enabled": false } }
    });
    let snapshot = json!({
        "schema_version": nobastion::model::SCHEMA_VERSION,
        "accounts": [{
            "id": ACCOUNT,
            "iam": { "collected": { "users": users, "groups": groups, "roles": roles,
                                    "policies": policies, "instance_profiles": profiles } },
            "organization": { "collected": null },
            "buckets": { "collected": [] },
            "s3_public_access_block": { "collected": null },
            "regions": [region]
        }]
    });
    serde_json::from_value(snapshot).unwrap_or_else(|e| panic!("synthetic snapshot: {e}"))
}

fn run_rules(snapshot: &Snapshot, select: Option<&[String]>) -> usize {
    let registry = Registry::builtin().expect("rule files parse");
    let config = Config::default();
    let selection = Selection::new(select, &[], registry).expect("known rules");
    let options = RunOptions {
        config: &config,
        selection: &selection,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default(),
    };
    run(registry, snapshot, &options).findings.len()
}

fn rule_pack(c: &mut Criterion) {
    let snapshot = synthetic();
    if let Some(path) = std::env::var_os("NOBASTION_DUMP_SYNTHETIC") {
        std::fs::write(path, serde_json::to_string(&snapshot).unwrap()).unwrap();
    }
    let iam = ["IAM".to_owned()];
    // Guard the measurement: the synthetic account has findings of every IAM rule.
    let findings = run_rules(&snapshot, Some(&iam));
    assert!(findings > 1_000, "{findings} IAM findings");
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.bench_function("whole catalog, 1,000 users + 1,000 roles", |b| {
        b.iter(|| black_box(run_rules(black_box(&snapshot), None)));
    });
    group.bench_function("IAM001-IAM009 only, 1,000 users + 1,000 roles", |b| {
        b.iter(|| black_box(run_rules(black_box(&snapshot), Some(&iam))));
    });
    let demo = Snapshot::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo-snapshot.json"),
    )
    .expect("demo snapshot");
    group.bench_function("whole catalog, demo snapshot", |b| {
        b.iter(|| black_box(run_rules(black_box(&demo), None)));
    });
    group.finish();
}

criterion_group!(benches, rule_pack);
criterion_main!(benches);
