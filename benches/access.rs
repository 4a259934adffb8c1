//! Benchmarks of the access map (recorded in docs/performance.md, "Access map"): a synthetic
//! account of 1,000 principals (500 users in groups, 500 roles; unscoped, tag-scoped,
//! conditional, boundary-limited, denied and powerless ones) and 1,000 managed instances
//! (980 EC2 instances in two regions, 20 hybrid nodes; varied tags), with SCPs.
//!
//! - criterion: `access::compute` on the snapshot (target: under 5 s on 2 cores);
//! - the release `nobastion access` binary end to end, table / JSON / CSV to /dev/null, wall
//!   time and peak resident memory (target: under 1 GB).
//!
//! Run with `cargo bench --no-default-features --bench access`. Under `cargo test
//! --all-targets` (no `--bench` argument) it only checks, on a small version of the account,
//! that the map has the grants the generator builds in.

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use nobastion::access::{self, Access, Path as AccessPath};
use nobastion::model::Snapshot;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const TEAMS: usize = 20;

fn doc(statements: &Value) -> Value {
    json!({"document": {"Version": "2012-10-17", "Statement": statements}})
}

fn managed(name: &str, statements: &Value) -> Value {
    json!({"arn": format!("arn:aws:iam::{ACCOUNT}:policy/{name}"), "name": name, "document": doc(statements)})
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

fn managed_policies() -> Vec<Value> {
    let instance_any = "arn:aws:ec2:*:*:instance/*";
    let mut out = vec![
        managed(
            "admin",
            &json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        ),
        managed(
            "prod-ops",
            &json!([
                {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": instance_any,
                 "Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}},
                {"Effect": "Allow", "Action": "ssm:StartSession",
                 "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"},
                {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
                 "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}
            ]),
        ),
        managed(
            "ssm-readonly",
            &json!([{"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*"}]),
        ),
        managed(
            "s3-read",
            &json!([{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]),
        ),
        managed(
            "deploy",
            &json!([
                {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": instance_any,
                 "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}},
                {"Effect": "Allow", "Action": "ssm:SendCommand",
                 "Resource": "arn:aws:ssm:*::document/AWS-RunShellScript"}
            ]),
        ),
        managed(
            "office",
            &json!([{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
                     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}}]),
        ),
        managed(
            "sessions-boundary",
            &json!([{"Effect": "Allow", "Action": ["ssm:StartSession", "ssm:TerminateSession", "s3:*"], "Resource": "*"}]),
        ),
        managed(
            "agent",
            &json!([{"Effect": "Allow", "Action": ["ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"], "Resource": "*"}]),
        ),
    ];
    for k in 0..TEAMS {
        out.push(managed(
            &format!("team-{k}"),
            &json!([
                {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": instance_any,
                 "Condition": {"StringEquals": {"ssm:resourceTag/Team": format!("t{k}")}}},
                {"Effect": "Allow", "Action": "ssm:StartSession",
                 "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"}
            ]),
        ));
    }
    out
}

/// The synthetic account: `principals` (half users, half roles) and `instances`.
fn account(principals: usize, instances: usize) -> Value {
    let deny_prod = json!([{"Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*",
        "Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}}]);
    let mut groups = vec![
        json!({"name": "ops", "arn": format!("arn:aws:iam::{ACCOUNT}:group/ops"), "attached_policies": [policy_arn("prod-ops")]}),
        json!({"name": "readers", "arn": format!("arn:aws:iam::{ACCOUNT}:group/readers"), "attached_policies": [policy_arn("ssm-readonly"), policy_arn("s3-read")]}),
    ];
    for k in 0..TEAMS {
        groups.push(json!({"name": format!("team-{k}"), "arn": format!("arn:aws:iam::{ACCOUNT}:group/team-{k}"),
            "attached_policies": [policy_arn(&format!("team-{k}"))]}));
    }
    let mut users = Vec::new();
    for i in 0..principals / 2 {
        let mut user = json!({"name": format!("user-{i:04}"), "arn": format!("arn:aws:iam::{ACCOUNT}:user/user-{i:04}"),
            "id": format!("AIDA{i:017}"), "tags": {"team": format!("t{}", i % TEAMS)}});
        let team = format!("team-{}", i % TEAMS);
        match i % 10 {
            0 => user["attached_policies"] = json!([policy_arn("admin")]),
            1..=4 => user["groups"] = json!([team]),
            5 => user["attached_policies"] = json!([policy_arn("office")]),
            6 => user["groups"] = json!(["readers"]),
            7 => user["groups"] = json!(["ops"]),
            8 => user["attached_policies"] = json!([policy_arn("deploy")]),
            _ => {
                user["groups"] = json!([team]);
                user["inline_policies"] = json!([{"name": "no-prod", "document": doc(&deny_prod)}]);
            }
        }
        users.push(user);
    }
    let mut roles = Vec::new();
    let root_trust = doc(
        &json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]),
    );
    for i in 0..principals - principals / 2 {
        let mut role = json!({"name": format!("role-{i:04}"), "arn": format!("arn:aws:iam::{ACCOUNT}:role/role-{i:04}"),
            "id": format!("AROA{i:017}"), "trust_policy": root_trust, "tags": {"team": format!("t{}", i % TEAMS)}});
        match i % 10 {
            0 => {
                role["attached_policies"] = json!([policy_arn("admin")]);
                role["permissions_boundary"] = json!(policy_arn("sessions-boundary"));
            }
            1..=5 => {
                role["attached_policies"] = json!([policy_arn(&format!("team-{}", i % TEAMS))]);
            }
            6 => role["attached_policies"] = json!([policy_arn("ssm-readonly")]),
            7 => {
                role["attached_policies"] = json!([policy_arn("agent")]);
                role["trust_policy"] = doc(
                    &json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
                );
            }
            8 => role["attached_policies"] = json!([policy_arn("deploy")]),
            _ => role["attached_policies"] = json!([policy_arn("office")]),
        }
        roles.push(role);
    }
    let hybrid = instances / 50;
    let ec2 = instances - hybrid;
    let region = |name: &str, range: std::ops::Range<usize>, hybrid: std::ops::Range<usize>| {
        let tags = |i: usize| {
            if i % 50 == 49 {
                json!({})
            } else {
                let env = ["prod", "dev", "staging"][i % 3];
                json!({"Name": format!("host-{i:04}"), "Env": env, "Team": format!("t{}", i % TEAMS)})
            }
        };
        let list: Vec<Value> = range
            .clone()
            .map(|i| json!({"id": format!("i-{i:017x}"), "state": "running", "tags": tags(i)}))
            .collect();
        let mut online: Vec<Value> = range
            .map(|i| json!({"instance_id": format!("i-{i:017x}"), "ping_status": "Online"}))
            .collect();
        online.extend(hybrid.map(|i| json!({"instance_id": format!("mi-{i:017x}"), "ping_status": "Online", "resource_type": "ManagedInstance", "tags": tags(i)})));
        json!({"name": name, "instances": {"collected": list}, "managed_instances": {"collected": online},
        "ssm_documents": {"collected": [
            {"name": "Ops-Shell", "document_type": "Session", "session_type": "Standard_Stream"},
            {"name": "Db-Tunnel", "document_type": "Session", "session_type": "Port"}
        ]}})
    };
    let split = ec2 * 3 / 5;
    let full_access = json!({"id": "p-full", "name": "FullAWSAccess", "document": doc(&json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))});
    json!({
        "id": ACCOUNT,
        "partition": "aws",
        "organization": {"collected": {"id": "o-bench", "management_account_id": "999999999999", "scp_levels": [
            {"target_id": "r-root", "policies": [full_access]},
            {"target_id": "ou-work", "policies": [full_access, {"id": "p-no-eic", "name": "no-instance-connect",
                "document": doc(&json!([{"Effect": "Deny", "Action": "ec2-instance-connect:*", "Resource": "*"}]))}]}
        ]}},
        "iam": {"collected": {"users": users, "groups": groups, "roles": roles, "policies": managed_policies()}},
        "regions": [
            region("us-east-1", 0..split, ec2..ec2 + hybrid / 2),
            region("eu-west-1", split..ec2, ec2 + hybrid / 2..instances)
        ]
    })
}

fn snapshot_json(principals: usize, instances: usize) -> String {
    json!({"schema_version": 1, "metadata": {"source": "manual", "description": "synthetic access-map benchmark account"},
        "accounts": [account(principals, instances)]})
    .to_string()
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Wall time and peak resident memory (KiB) of one `nobastion access` run.
fn measure(binary: &Path, snapshot: &Path, format: &str) -> (Duration, u64) {
    let args = [
        "access",
        "--snapshot",
        snapshot.to_str().unwrap_or_default(),
        "--format",
        format,
        "--output",
        "/dev/null",
    ];
    let time = Path::new("/usr/bin/time");
    let started = Instant::now();
    if time.exists() {
        let output = Command::new(time)
            .arg("-f")
            .arg("%M")
            .arg(binary)
            .args(args)
            .stdout(Stdio::null())
            .output()
            .expect("/usr/bin/time runs");
        let wall = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let kib = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        return (wall, kib);
    }
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .expect("nobastion runs");
    let mut peak = 0u64;
    let status_path = format!("/proc/{}/status", child.id());
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak = peak.max(kib);
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (started.elapsed(), peak)
}

fn main() {
    // Write the synthetic snapshot for a manual run (`nobastion access --snapshot FILE`).
    if let Some(path) = std::env::var_os("NOBASTION_ACCESS_BENCH_SNAPSHOT") {
        std::fs::write(&path, snapshot_json(1000, 1000)).expect("the snapshot is written");
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
    let text = snapshot_json(1000, 1000);
    let snapshot = Snapshot::from_json(&text, "synthetic").expect("the synthetic snapshot loads");
    let map = access::compute(&snapshot);
    let count = |a: Access| map.cells.iter().filter(|c| c.access == a).count();
    println!(
        "synthetic account: {} principals × {} instances, {} logical CPUs: {} grants ({} allowed, {} allowed-if, {} indeterminate)",
        map.principals.len(),
        map.instances.len(),
        cpus(),
        map.cells.len(),
        count(Access::Allowed),
        count(Access::Conditional),
        count(Access::Indeterminate)
    );
    drop(map);

    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    criterion.bench_function("access map: 1,000 principals × 1,000 instances", |b| {
        b.iter(|| black_box(access::compute(black_box(&snapshot))));
    });
    criterion.final_summary();

    let work = tempfile::tempdir().expect("a temporary directory");
    let path = work.path().join("synthetic.json");
    std::fs::write(&path, &text).expect("the snapshot is written");
    let binary = Path::new(env!("CARGO_BIN_EXE_nobastion"));
    println!();
    println!(
        "| `nobastion access` ({} KB snapshot) | wall (median of 3) | peak memory |",
        text.len() / 1024
    );
    println!("|---|---|---|");
    for format in ["table", "json", "csv"] {
        let mut runs: Vec<(Duration, u64)> =
            (0..3).map(|_| measure(binary, &path, format)).collect();
        runs.sort();
        let (wall, _) = runs[1];
        let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
        println!(
            "| `-f {format}` | {:.2} s | {} MiB |",
            wall.as_secs_f64(),
            peak / 1024
        );
    }
}

/// `cargo test`: a small version of the account has the grants it is built to have.
fn smoke() {
    let text = snapshot_json(40, 100);
    let snapshot = Snapshot::from_json(&text, "synthetic").expect("the synthetic snapshot loads");
    let map = access::compute(&snapshot);
    assert_eq!(map.principals.len(), 40);
    assert_eq!(map.instances.len(), 100);
    assert!(map.is_complete(), "{:?}", map.gaps);
    let of = |name: &str| {
        map.principals
            .iter()
            .position(|p| p.name == name)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(u32::MAX)
    };
    let cells_of = |name: &str, path: AccessPath| {
        let p = of(name);
        map.cells
            .iter()
            .filter(|c| c.principal == p && c.path == path)
            .count()
    };
    // An admin user: every instance; no Instance Connect (the SCP denies it).
    assert_eq!(cells_of("user-0000", AccessPath::Shell), 100);
    assert_eq!(cells_of("user-0000", AccessPath::InstanceConnect), 0);
    // A team user: the EC2 instances of its team only.
    assert_eq!(cells_of("user-0001", AccessPath::Shell), 5);
    // A reader: nothing.
    assert_eq!(cells_of("user-0006", AccessPath::Shell), 0);
    // An admin role limited by its boundary: sessions but no SendCommand.
    assert_eq!(cells_of("role-0000", AccessPath::Shell), 100);
    assert_eq!(cells_of("role-0000", AccessPath::SendCommand), 0);
    // From the office only: conditional everywhere.
    let office = of("user-0005");
    assert!(
        map.cells
            .iter()
            .filter(|c| c.principal == office)
            .all(|c| c.access == Access::Conditional)
    );
}
