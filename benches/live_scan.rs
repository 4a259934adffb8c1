//! The live-scan benchmark: `nobastion scan` of a large account in the AWS emulator
//! (`tests/moto/seed_large.py`: 2,000 security groups, 500 instances, 1,000 roles with inline
//! and managed policies, three regions). It records wall time, API calls and peak memory, and
//! fails when the calls exceed by more than 10% the minimum that pagination requires for the
//! data the checks need. Results: docs/performance.md, "Live scan".
//!
//! `cargo bench --bench live_scan` runs the full size (seeding takes minutes). Under
//! `cargo test` (no `--bench` argument) it runs a small account as a smoke test of the same
//! checks. Without the emulator it is skipped, unless `NOBASTION_REQUIRE_TOOLS=1`.

#[path = "../tests/support/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::time::Instant;

use nobastion::model::{Account, Region, Section, Snapshot};

use moto::{Launch, run, text};

struct Size {
    groups: usize,
    instances: usize,
    roles: usize,
    regions: &'static str,
}

const FULL: Size = Size {
    groups: 2000,
    instances: 500,
    roles: 1000,
    regions: "us-east-1,eu-west-1,eu-central-1",
};

const SMOKE: Size = Size {
    groups: 60,
    instances: 30,
    roles: 40,
    regions: "us-east-1,eu-west-1,eu-central-1",
};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let size = if full { &FULL } else { &SMOKE };
    let seeding = Instant::now();
    let Some(moto) = Launch::seed("seed_large")
        .arg("groups", &size.groups.to_string())
        .arg("instances", &size.instances.to_string())
        .arg("roles", &size.roles.to_string())
        .arg("regions", size.regions)
        .start()
    else {
        return;
    };
    let seeded_in = seeding.elapsed();
    let dir = tempfile::tempdir().expect("temporary directory");
    let snapshot_path = dir.path().join("snapshot.json");
    let report_path = dir.path().join("report.json");

    let started = Instant::now();
    let output = run(moto
        .nobastion()
        .args(["scan", "-v", "--regions", size.regions, "--format", "json"])
        .arg("--output")
        .arg(&report_path)
        .arg("--save-snapshot")
        .arg(&snapshot_path));
    let wall = started.elapsed();
    let stderr = text(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "the scan must be complete: exit {:?}\n{stderr}",
        output.status.code()
    );
    let snapshot = Snapshot::load(&snapshot_path).expect("the saved snapshot");
    assert!(
        snapshot.metadata.errors.is_empty(),
        "{:?}",
        snapshot.metadata.errors
    );

    let calls = calls_by_operation(&stderr);
    let minimum = minimum_calls(&snapshot);
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("nobastion: peak memory: "))
        .and_then(|rest| rest.trim_end_matches(" KiB").parse::<u64>().ok());

    let account = &snapshot.accounts[0];
    let count = |f: &dyn Fn(&Region) -> usize| account.regions.iter().map(f).sum::<usize>();
    println!(
        "live scan benchmark ({}): {} security groups, {} instances ({} managed), {} roles, {} regions",
        if full { "full" } else { "smoke" },
        count(&|r| len(&r.security_groups)),
        count(&|r| len(&r.instances)),
        count(&|r| len(&r.managed_instances)),
        account.iam.as_option().map_or(0, |iam| iam.roles.len()),
        account.regions.len(),
    );
    println!("seeding the emulator: {:.1} s", seeded_in.as_secs_f64());
    println!(
        "{:<45} {:>7} {:>8} {:>9}",
        "operation", "calls", "minimum", "AWS min"
    );
    let mut operations: Vec<&String> = calls.keys().chain(minimum.keys()).collect();
    operations.sort();
    operations.dedup();
    let (mut total, mut total_min, mut total_aws) = (0, 0, 0);
    for operation in operations {
        let made = calls.get(operation).copied().unwrap_or(0);
        let (emulator, aws) = minimum.get(operation).copied().unwrap_or((0, 0));
        total += made;
        total_min += emulator;
        total_aws += aws;
        println!("{operation:<45} {made:>7} {emulator:>8} {aws:>9}");
    }
    println!("{:<45} {total:>7} {total_min:>8} {total_aws:>9}", "total");
    let findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("the report"))
            .expect("JSON report");
    println!(
        "wall time: {:.2} s; API calls: {total} (minimum {total_min}, +{:.1}%); peak memory: {}; findings: {}",
        wall.as_secs_f64(),
        percent_over(total, total_min),
        peak_kib.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{:.1} MiB", as_f64(k) / 1024.0)
        ),
        findings["summary"]["failed"]
    );
    assert!(
        total * 100 <= total_min * 110,
        "{total} API calls is more than 10% above the minimum of {total_min}"
    );
}

fn len<T>(section: &Section<Vec<T>>) -> usize {
    section.as_option().map_or(0, Vec::len)
}

fn percent_over(made: u64, minimum: u64) -> f64 {
    if minimum == 0 {
        return 0.0;
    }
    (as_f64(made) - as_f64(minimum)) * 100.0 / as_f64(minimum)
}

/// Counts here are far below 2^32; saturate rather than lose precision silently.
fn as_f64(value: u64) -> f64 {
    f64::from(u32::try_from(value).unwrap_or(u32::MAX))
}

/// Calls per `service:Operation` from the `-v` summary lines.
fn calls_by_operation(stderr: &str) -> BTreeMap<String, u64> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("nobastion: api calls "))
        .filter_map(|rest| {
            let (operation, count) = rest.rsplit_once(": ")?;
            Some((operation.to_owned(), count.parse().ok()?))
        })
        .collect()
}

/// Pages needed to list `items` at `page` items per page; listing nothing still takes a call.
fn pages(items: usize, page: usize) -> u64 {
    items.div_ceil(page).max(1) as u64
}

/// For every operation, the fewest calls that read what the checks need: (this emulator,
/// real AWS). They differ where the emulator ignores page sizes (it returns every security
/// group and the whole `GetAccountAuthorizationDetails` in one page). Per-item operations
/// (document sharing, session document content, AWS-managed policy documents, rule targets,
/// keys, trails, session-log buckets) have no bulk form, so one call per item is the minimum.
fn minimum_calls(snapshot: &Snapshot) -> BTreeMap<String, (u64, u64)> {
    let mut minimum: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut add = |operation: &str, emulator: u64, aws: u64| {
        let entry = minimum.entry(operation.to_owned()).or_insert((0, 0));
        entry.0 += emulator;
        entry.1 += aws;
    };
    add("sts:GetCallerIdentity", 1, 1);
    for account in &snapshot.accounts {
        account_minimum(account, &mut add);
        for region in &account.regions {
            region_minimum(region, &mut add);
        }
    }
    minimum
}

fn account_minimum(account: &Account, add: &mut impl FnMut(&str, u64, u64)) {
    if let Some(iam) = account.iam.as_option() {
        let entities = iam.users.len()
            + iam.groups.len()
            + iam.roles.len()
            + iam.policies.iter().filter(|p| !p.aws_managed).count();
        add(
            "iam:GetAccountAuthorizationDetails",
            1,
            pages(entities, 1000),
        );
        let profiles = pages(iam.instance_profiles.len(), 1000);
        add("iam:ListInstanceProfiles", profiles, profiles);
        let aws_managed = iam.policies.iter().filter(|p| p.aws_managed).count() as u64;
        if aws_managed > 0 {
            add("iam:ListPolicies", 1, 1);
            add("iam:GetPolicyVersion", aws_managed, aws_managed);
        }
    }
    add("s3:ListBuckets", 1, 1);
    add("s3control:GetPublicAccessBlock", 1, 1);
    add("organizations:DescribeOrganization", 1, 1);
    for bucket in account.buckets.items_or_empty() {
        if bucket.unknown.is_empty() {
            for operation in [
                "s3:GetBucketLocation",
                "s3:GetBucketEncryption",
                "s3:GetBucketVersioning",
                "s3:GetObjectLockConfiguration",
                "s3:GetPublicAccessBlock",
                "s3:GetBucketPolicy",
            ] {
                add(operation, 1, 1);
            }
        }
    }
    let mut trails: Vec<&str> = account
        .regions
        .iter()
        .flat_map(|r| r.trails.items_or_empty())
        .filter_map(|t| t.arn.as_deref())
        .collect();
    trails.sort_unstable();
    trails.dedup();
    add(
        "cloudtrail:GetTrailStatus",
        trails.len() as u64,
        trails.len() as u64,
    );
    add(
        "cloudtrail:GetEventSelectors",
        trails.len() as u64,
        trails.len() as u64,
    );
}

fn region_minimum(region: &Region, add: &mut impl FnMut(&str, u64, u64)) {
    let listing =
        |add: &mut dyn FnMut(&str, u64, u64), operation: &str, items: usize, page: usize| {
            add(operation, pages(items, page), pages(items, page));
        };
    listing(add, "ec2:DescribeVpcs", len(&region.vpcs), 1000);
    listing(add, "ec2:DescribeSubnets", len(&region.subnets), 1000);
    listing(
        add,
        "ec2:DescribeRouteTables",
        len(&region.route_tables),
        100,
    );
    add(
        "ec2:DescribeSecurityGroups",
        1,
        pages(len(&region.security_groups), 1000),
    );
    listing(
        add,
        "ec2:DescribeNetworkAcls",
        len(&region.network_acls),
        1000,
    );
    listing(add, "ec2:DescribeInstances", len(&region.instances), 1000);
    listing(
        add,
        "ec2:DescribeLaunchTemplateVersions",
        len(&region.launch_templates),
        200,
    );
    listing(
        add,
        "ec2:DescribeVpcEndpoints",
        len(&region.vpc_endpoints),
        1000,
    );
    let prefix_lists = len(&region.prefix_lists);
    if prefix_lists > 0 {
        listing(add, "ec2:DescribeManagedPrefixLists", prefix_lists, 100);
        add(
            "ec2:GetManagedPrefixListEntries",
            prefix_lists as u64,
            prefix_lists as u64,
        );
    }
    let documents = region.ssm_documents.items_or_empty();
    listing(add, "ssm:ListDocuments", documents.len(), 50);
    add(
        "ssm:DescribeDocumentPermission",
        documents.len() as u64,
        documents.len() as u64,
    );
    let sessions = documents
        .iter()
        .filter(|d| d.document_type == "Session")
        .count() as u64;
    add("ssm:GetDocument", sessions, sessions);
    listing(
        add,
        "ssm:DescribeInstanceInformation",
        len(&region.managed_instances),
        50,
    );
    add("ssm:GetServiceSetting", 1, 1);
    let keys = len(&region.kms_keys) as u64;
    add("kms:DescribeKey", keys, keys);
    add("kms:ListAliases", keys, keys);
    listing(add, "logs:DescribeLogGroups", len(&region.log_groups), 50);
    listing(
        add,
        "logs:DescribeMetricFilters",
        len(&region.metric_filters),
        50,
    );
    listing(add, "cloudwatch:DescribeAlarms", len(&region.alarms), 100);
    add("cloudtrail:DescribeTrails", 1, 1);
    let rules = region.event_rules.items_or_empty();
    listing(add, "events:ListRules", rules.len(), 100);
    let with_pattern = rules.iter().filter(|r| r.event_pattern.is_some()).count() as u64;
    add("events:ListTargetsByRule", with_pattern, with_pattern);
}
