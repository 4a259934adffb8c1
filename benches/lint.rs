//! Benchmarks of `nobastion lint` (the release binary, as CI runs it), recorded in
//! docs/performance.md ("IaC lint"):
//!
//! - the 1,525 AWS managed policies of the shared corpus (target: under 0.5 s wall);
//! - generated `terraform show -json` plans of 25, 50 and 100 MB with many security groups,
//!   rules and policies (target: 100 MB under 5 s and 1 GB; cost linear in size).
//!
//! Run with `cargo bench --bench lint` (add `--no-default-features` to skip the AWS SDK).
//! Wall time and peak memory come from `/usr/bin/time` when it is installed, else from
//! polling `/proc/PID/status`. Under `cargo test --all-targets` (no `--bench` argument) it
//! only checks, on a 1 MB plan, that the generated plan lints as expected.

use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const RUNS: usize = 5;

fn main() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_nobastion"));
    let work = tempfile::tempdir().expect("a temporary directory");
    // NOBASTION_BENCH_DIR=DIR keeps the generated plans there (for profiling a run by hand).
    let kept = std::env::var_os("NOBASTION_BENCH_DIR").map(PathBuf::from);
    let plans = kept.as_deref().unwrap_or(work.path());
    if !std::env::args().any(|a| a == "--bench") {
        smoke(&binary, work.path());
        return;
    }
    println!("nobastion lint benchmarks ({} logical CPUs)", cpus());
    println!();
    println!("| input | size | wall (median of {RUNS}) | wall (min) | peak memory |");
    println!("|---|---|---|---|---|");

    let corpus = std::env::var_os("NOBASTION_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    let policies = corpus.join("aws-managed-policies/policies");
    if policies.is_dir() {
        let size = dir_size(&policies);
        report(
            &binary,
            "aws-managed-policies/policies (1,525 files)",
            size,
            &policies,
        );
    } else {
        println!(
            "| aws-managed-policies | skipped: no corpus at {} | | | |",
            corpus.display()
        );
    }

    let mut per_mb = Vec::new();
    for megabytes in [25, 50, 100] {
        let path = plans.join(format!("plan-{megabytes}.json"));
        let groups = generate_plan(&path, megabytes * 1024 * 1024);
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let label = format!("generated plan, {groups} groups + rules + policies");
        let (median, _, _) = report(&binary, &label, size, &path);
        #[allow(clippy::cast_precision_loss)]
        per_mb.push(median.as_secs_f64() / (size as f64 / 1_048_576.0));
    }
    println!();
    let rates: Vec<String> = per_mb
        .iter()
        .map(|s| format!("{:.1} ms/MB", s * 1000.0))
        .collect();
    println!("cost per MB of plan (25, 50, 100 MB): {}", rates.join(", "));
}

/// `cargo test`: the generated plan is a valid plan with the findings it is built to have.
fn smoke(binary: &Path, work: &Path) {
    let path = work.join("plan-1.json");
    let groups = generate_plan(&path, 1024 * 1024);
    let output = Command::new(binary)
        .args([
            "lint".as_ref(),
            path.as_os_str(),
            "-f".as_ref(),
            "json".as_ref(),
        ])
        .output()
        .expect("nobastion runs");
    assert_eq!(output.status.code(), Some(1), "findings expected");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let count = |rule: &str| {
        report["findings"]
            .as_array()
            .map_or(0, |f| f.iter().filter(|x| x["rule"] == rule).count())
    };
    // Every 50th group opens SSH; every 70th rule resource opens RDP on its group.
    assert_eq!(count("NET001"), groups.div_ceil(50));
    assert_eq!(count("NET002"), groups.div_ceil(70));
    println!(
        "lint bench: smoke test passed ({groups} groups); run `cargo bench --bench lint` for figures"
    );
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

/// Run `lint` on `input` RUNS times; print and return (median, min, peak KiB).
fn report(binary: &Path, label: &str, size: u64, input: &Path) -> (Duration, Duration, u64) {
    let mut walls = Vec::with_capacity(RUNS);
    let mut peak = 0;
    for _ in 0..RUNS {
        let (wall, kib) = measure(binary, input);
        walls.push(wall);
        peak = peak.max(kib);
    }
    walls.sort();
    let median = walls[RUNS / 2];
    let min = walls[0];
    #[allow(clippy::cast_precision_loss)]
    let mb = size as f64 / 1_048_576.0;
    println!(
        "| {label} | {mb:.1} MB | {:.3} s | {:.3} s | {} MiB |",
        median.as_secs_f64(),
        min.as_secs_f64(),
        peak / 1024
    );
    (median, min, peak)
}

/// One run: wall time and peak resident memory (KiB).
fn measure(binary: &Path, input: &Path) -> (Duration, u64) {
    let args = [
        "lint".as_ref(),
        input.as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        "/dev/null".as_ref(),
    ];
    let time = Path::new("/usr/bin/time");
    if time.exists() {
        let start = Instant::now();
        let output = Command::new(time)
            .args(["-f", "%M"])
            .arg(binary)
            .args(args)
            .stdout(Stdio::null())
            .output()
            .expect("/usr/bin/time runs");
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let kib = stderr
            .lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .next_back()
            .unwrap_or(0);
        return (wall, kib);
    }
    let start = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .expect("nobastion runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut kib = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            kib = kib.max(
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            );
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (start.elapsed(), kib)
}

/// Write a plan of about `target` bytes in the shape `terraform show -json` writes (one
/// line; every resource in `planned_values`, `resource_changes` and `configuration`).
/// Returns the number of security groups. Every 50th group opens SSH, every 70th rule RDP.
fn generate_plan(path: &Path, target: usize) -> usize {
    let mut planned = String::new();
    let mut changes = String::new();
    let mut config = String::new();
    let mut groups = 0;
    while planned.len() + changes.len() + config.len() < target {
        let i = groups;
        let sg = format!("aws_security_group.sg_{i}");
        let admin = if i % 50 == 0 { 22 } else { 9000 };
        let rule_block = |port: u32, cidr: &str, protocol: &str| {
            json!({"cidr_blocks": [cidr], "description": "", "from_port": port, "to_port": port,
                   "protocol": protocol, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                   "security_groups": [], "self": false})
        };
        let sg_after = json!({
            "name": format!("sg-{i}"), "description": "Managed by Terraform", "vpc_id": "vpc-0123456789abcdef0",
            "ingress": [rule_block(443, "10.0.0.0/8", "tcp"), rule_block(8080, "10.0.0.0/8", "tcp"), rule_block(admin, "10.0.0.0/8", "tcp")],
            "egress": [rule_block(0, "0.0.0.0/0", "-1")],
            "tags": {"Name": format!("sg-{i}"), "team": "platform"}, "timeouts": null, "revoke_rules_on_delete": false
        });
        let port = if i % 70 == 0 { 3389 } else { 5432 };
        let rule_after = json!({"type": "ingress", "protocol": "tcp", "from_port": port, "to_port": port,
            "cidr_blocks": ["10.1.0.0/16"], "self": false, "description": null, "ipv6_cidr_blocks": null, "prefix_list_ids": null});
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Sessions", "Effect": "Allow", "Action": ["ssm:StartSession", "ssm:SendCommand"],
             "Resource": ["arn:aws:ec2:*:*:instance/*"],
             "Condition": {"StringEquals": {"ssm:resourceTag/Team": format!("team-{i}")}}},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [format!("arn:aws:s3:::bucket-{i}/*")]}]});
        let policy_after = json!({"name": format!("policy-{i}"), "path": "/", "policy": document.to_string(), "description": null, "tags": null});
        let resources = [
            (
                sg.clone(),
                "aws_security_group",
                format!("sg_{i}"),
                sg_after,
                json!({"arn": true, "id": true, "owner_id": true, "tags_all": true}),
                json!({"name": {"constant_value": format!("sg-{i}")}}),
            ),
            (
                format!("aws_security_group_rule.r_{i}"),
                "aws_security_group_rule",
                format!("r_{i}"),
                rule_after,
                json!({"id": true, "security_group_id": true, "source_security_group_id": true}),
                json!({"security_group_id": {"references": [format!("{sg}.id"), sg.clone()]}}),
            ),
            (
                format!("aws_iam_policy.p_{i}"),
                "aws_iam_policy",
                format!("p_{i}"),
                policy_after,
                json!({"arn": true, "id": true, "policy_id": true, "tags_all": true}),
                json!({"name": {"constant_value": format!("policy-{i}")}}),
            ),
        ];
        for (address, rtype, name, after, unknown, expressions) in resources {
            let sep = |s: &String| if s.is_empty() { "" } else { "," };
            let _ = write!(
                planned,
                "{}{}",
                sep(&planned),
                json!({"address": address, "mode": "managed", "type": rtype, "name": name,
                       "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 1,
                       "values": after, "sensitive_values": {}})
            );
            let _ = write!(
                changes,
                "{}{}",
                sep(&changes),
                json!({"address": address, "mode": "managed", "type": rtype, "name": name,
                       "provider_name": "registry.terraform.io/hashicorp/aws",
                       "change": {"actions": ["create"], "before": null, "after": after,
                                  "after_unknown": unknown, "before_sensitive": false, "after_sensitive": {}}})
            );
            let _ = write!(
                config,
                "{}{}",
                sep(&config),
                json!({"address": address, "mode": "managed", "type": rtype, "name": name,
                       "provider_config_key": "aws", "expressions": expressions, "schema_version": 1})
            );
        }
        groups += 1;
    }
    let file = std::fs::File::create(path).expect("the plan can be written");
    let mut out = BufWriter::new(file);
    let result = write!(
        out,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.5\",\"planned_values\":{{\"root_module\":{{\"resources\":[{planned}]}}}},\"resource_changes\":[{changes}],\"configuration\":{{\"provider_config\":{{\"aws\":{{\"name\":\"aws\",\"expressions\":{{\"region\":{{\"constant_value\":\"us-east-1\"}}}}}}}},\"root_module\":{{\"resources\":[{config}]}}}}}}"
    )
    .and_then(|()| out.flush());
    result.expect("the plan can be written");
    groups
}
