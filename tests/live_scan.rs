//! `nobastion scan` against the AWS emulator, end to end: the seeded organization
//! (`tests/moto/seed_scenario.py`, a good and a bad example for every rule that reads live
//! data) yields exactly the expected findings — no more, no fewer — and failures to read
//! become NB001 for exactly the part that could not be read, with exit code 3.
//!
//! The expectations below are derived from docs/rules (rules.md) and the seed, for every
//! rule of the catalog that reads live data; each is checked as soon as the rule exists in
//! the registry. A rule that runs without an entry here fails the test: add its expected
//! findings for the scenario.

#![cfg(feature = "live")]

#[path = "support/moto.rs"]
mod moto;
#[path = "support/permissions.rs"]
mod permissions;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use moto::{Launch, Moto, api_calls, run, text};

const REGIONS: &str = "us-east-1,eu-west-1,eu-central-1";
const ROLE: &str = "OrganizationAccountAccessRole";
const M: &str = "123456789012";
const R1: &str = "us-east-1";
const R2: &str = "eu-west-1";
const R3: &str = "eu-central-1";

/// One expected finding: the rule, the account, the region (`None`: global resources such as
/// IAM principals and buckets, or any region), and the resource (id, ARN or name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    rule: &'static str,
    account: String,
    region: Option<&'static str>,
    resource: String,
}

fn e(rule: &'static str, account: &str, region: Option<&'static str>, resource: &str) -> Expected {
    Expected {
        rule,
        account: account.to_owned(),
        region,
        resource: resource.to_owned(),
    }
}

/// Every live rule → its expected findings for the scenario (an empty list: none).
fn expectations(moto: &Moto) -> BTreeMap<&'static str, Vec<Expected>> {
    let mut all = network_and_iam(moto);
    all.extend(logging_instances_and_audit(moto));
    all
}

fn network_and_iam(moto: &Moto) -> BTreeMap<&'static str, Vec<Expected>> {
    let w = moto.str("member");
    let w = w.as_str();
    let id = |key: &str| moto.str(key);
    let iam = |name: &str| moto.str(&format!("iam.{name}"));
    BTreeMap::from([
        // Network.
        (
            "NET001",
            vec![
                e("NET001", M, Some(R1), &id("ssh_world")),
                e("NET001", M, Some(R1), &id("ssh_from_group")),
                e("NET001", M, Some(R1), &id("eni_only")),
            ],
        ),
        ("NET002", vec![e("NET002", M, Some(R1), &id("rdp_world6"))]),
        ("NET003", vec![e("NET003", M, Some(R1), &id("bad_nacl"))]),
        (
            "NET004",
            vec![
                e("NET004", M, Some(R1), &id("bad_vpc")),
                e("NET004", M, Some(R2), &id("eu_vpc")),
                e("NET004", w, Some(R2), &id("member_vpc")),
            ],
        ),
        (
            "NET005",
            vec![
                e("NET005", M, Some(R1), &id("bad_vpc")),
                e("NET005", M, Some(R2), &id("eu_vpc")),
            ],
        ),
        (
            "NET006",
            vec![
                e("NET006", M, Some(R1), &id("managed_bad_sg")),
                e("NET006", M, Some(R1), &id("eni_only")),
            ],
        ),
        // IAM (the member's Instance Connect role is denied by the OU's SCP).
        (
            "IAM001",
            vec![e("IAM001", M, None, &iam("bad-start-session-untagged"))],
        ),
        (
            "IAM002",
            vec![e("IAM002", M, None, &iam("bad-terminate-any"))],
        ),
        (
            "IAM003",
            vec![e("IAM003", M, None, &iam("bad-port-forwarding"))],
        ),
        ("IAM004", vec![e("IAM004", M, None, &iam("bad-ssh-tunnel"))]),
        (
            "IAM005",
            vec![e("IAM005", M, None, &iam("bad-send-command"))],
        ),
        (
            "IAM006",
            vec![e("IAM006", M, None, &iam("bad-instance-connect"))],
        ),
        (
            "IAM007",
            vec![e("IAM007", M, None, &iam("bad-preferences-editor"))],
        ),
        (
            "IAM008",
            vec![e("IAM008", M, None, &iam("bad-user-without-mfa"))],
        ),
        (
            "IAM009",
            vec![e("IAM009", M, None, &iam("bad-instance-role"))],
        ),
        // No access expectations are configured for this scan, so IAM010 has nothing to
        // compare the access map with (tests/access_live.rs maps a live account exactly).
        ("IAM010", vec![]),
    ])
}

fn logging_instances_and_audit(moto: &Moto) -> BTreeMap<&'static str, Vec<Expected>> {
    let w = moto.str("member");
    let w = w.as_str();
    let id = |key: &str| moto.str(key);
    let prefs = "SSM-SessionManagerRunShell";
    BTreeMap::from([
        // Session logging: R1 is right, R2 wrong in every way, R3 logs nowhere; the member
        // names a bucket that does not exist (R1) and has an instance but no preferences (R2).
        ("LOG001", vec![e("LOG001", w, Some(R2), R2)]),
        ("LOG002", vec![e("LOG002", M, Some(R3), prefs)]),
        ("LOG003", vec![e("LOG003", M, Some(R2), prefs)]),
        ("LOG004", vec![e("LOG004", M, None, "nobastion-weak-logs")]),
        (
            "LOG005",
            vec![
                e("LOG005", M, Some(R2), prefs),
                e("LOG005", M, Some(R2), "/ssm/eu-sessions"),
            ],
        ),
        ("LOG006", vec![e("LOG006", M, Some(R2), prefs)]),
        ("LOG007", vec![e("LOG007", M, Some(R2), prefs)]),
        ("LOG008", vec![e("LOG008", M, Some(R2), prefs)]),
        ("LOG009", vec![e("LOG009", M, Some(R2), prefs)]),
        ("LOG010", vec![e("LOG010", M, None, "nobastion-weak-logs")]),
        ("LOG011", vec![e("LOG011", M, None, "nobastion-weak-logs")]),
        ("LOG012", vec![e("LOG012", M, Some(R2), "/ssm/eu-sessions")]),
        ("LOG013", vec![e("LOG013", w, Some(R1), prefs)]),
        (
            "LOG014",
            vec![e("LOG014", M, Some(R1), "bad-custom-session")],
        ),
        // Instances.
        (
            "EC2001",
            vec![
                e("EC2001", M, Some(R1), &id("public_keyed")),
                e("EC2001", M, Some(R1), &id("lt_bad")),
            ],
        ),
        (
            "EC2002",
            vec![
                e("EC2002", M, Some(R1), &id("public_keyed")),
                e("EC2002", M, Some(R1), &id("lt_bad")),
            ],
        ),
        (
            "EC2003",
            vec![
                e("EC2003", M, Some(R1), &id("no_profile")),
                e("EC2003", M, Some(R1), &id("lost_agent")),
            ],
        ),
        ("EC2004", vec![e("EC2004", M, Some(R1), &id("no_profile"))]),
        // Audit trail and alerting (only regions with managed instances need alerting).
        ("AUD001", vec![e("AUD001", w, None, w)]),
        ("AUD002", vec![e("AUD002", w, Some(R2), R2)]),
        (
            "AUD003",
            vec![
                e("AUD003", M, Some(R1), "public-command"),
                e("AUD003", M, Some(R2), R2),
            ],
        ),
        // The tool's own: everything could be read, no waivers configured.
        ("NB001", vec![]),
        ("NB002", vec![]),
        ("NB003", vec![]),
    ])
}

/// Whether a JSON finding is the expected one.
fn matches(finding: &Value, expected: &Expected) -> bool {
    let resource = &finding["resource"];
    let text = |key: &str| resource[key].as_str().unwrap_or_default();
    let names_it = text("id") == expected.resource
        || text("arn") == expected.resource
        || expected.resource.rsplit('/').next() == Some(text("id"));
    finding["rule"] == expected.rule
        && text("account") == expected.account
        && expected
            .region
            .is_none_or(|region| text("region") == region)
        && names_it
}

fn describe(finding: &Value) -> String {
    let resource = &finding["resource"];
    format!(
        "{} {}/{} {} ({})",
        finding["rule"].as_str().unwrap_or_default(),
        resource["account"].as_str().unwrap_or("-"),
        resource["region"].as_str().unwrap_or("-"),
        resource["id"].as_str().unwrap_or_default(),
        finding["message"].as_str().unwrap_or_default()
    )
}

fn report(output: &std::process::Output, path: &std::path::Path) -> Value {
    let stderr = text(&output.stderr);
    let json = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); exit {:?}; stderr:\n{stderr}",
            output.status
        )
    });
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("report is not JSON: {e}\n{json}"))
}

#[test]
fn scan_reports_exactly_the_expected_findings_for_the_seeded_organization() {
    let Some(moto) = Launch::seed("seed_scenario").start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let snapshot_path = dir.path().join("snapshot.json");
    let output = run(moto
        .nobastion()
        .args(["scan", "-v", "--regions", REGIONS, "--org-role", ROLE])
        .args(["--format", "json", "--statistics", "--output"])
        .arg(&path)
        .arg("--save-snapshot")
        .arg(&snapshot_path));
    let stderr = text(&output.stderr);
    let report = report(&output, &path);
    let findings = report["findings"].as_array().unwrap();
    let ran: BTreeSet<&str> = report["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["rule"].as_str())
        .collect();
    assert!(ran.contains("NET001") && ran.contains("NB001"), "{ran:?}");

    let expectations = expectations(&moto);
    let mut problems = Vec::new();
    for rule in &ran {
        let Some(expected) = expectations.get(rule) else {
            problems.push(format!(
                "rule {rule} ran but the scenario has no expectations for it: add them"
            ));
            continue;
        };
        let actual: Vec<&Value> = findings.iter().filter(|f| f["rule"] == *rule).collect();
        for finding in &actual {
            if !expected.iter().any(|x| matches(finding, x)) {
                problems.push(format!("unexpected: {}", describe(finding)));
            }
        }
        for x in expected {
            if !actual.iter().any(|f| matches(f, x)) {
                problems.push(format!("missing: {x:?}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nall findings:\n{}",
        problems.join("\n"),
        findings.iter().map(describe).collect::<Vec<_>>().join("\n")
    );
    // Findings at the default threshold, nothing unassessed: exit 1, not 3.
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(report["summary"]["not_assessed"], 0);
    // The saved snapshot is what was checked.
    let saved = nobastion::model::Snapshot::load(&snapshot_path).unwrap();
    assert_eq!(saved.accounts.len(), 2);
    // Every call made is read-only and covered by docs/permissions.md.
    let calls = api_calls(&stderr);
    permissions::assert_covered(calls.iter().map(|(operation, _, _)| operation.as_str()));
}

/// Scan the small account with one fault injected; returns exit code, report and stderr.
fn scan_with_fault(fault: Value, extra: &[&str]) -> Option<(Option<i32>, Value, String)> {
    let moto = Launch::seed("seed_minimal").fault(fault).start()?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let output = run(moto
        .nobastion()
        .args(["scan", "-v", "--format", "json", "--output"])
        .arg(&path)
        .args(extra));
    let report = report(&output, &path);
    Some((output.status.code(), report, text(&output.stderr)))
}

fn not_assessed(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NB001")
        .collect()
}

#[test]
fn a_principal_without_permission_for_one_service_gets_nb001_for_that_service_only() {
    // The emulator evaluates IAM policies: the auditor may do everything except ec2:*.
    let Some(moto) = Launch::seed("seed_minimal")
        .arg("auditor", "ec2")
        .enforce_iam()
        .start()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let output = run(moto
        .nobastion_as(&moto.str("auditor_key"), &moto.str("auditor_secret"))
        .args(["scan", "--format", "json", "--statistics", "--output"])
        .arg(&path));
    let report = report(&output, &path);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let gaps = not_assessed(&report);
    assert!(!gaps.is_empty(), "{report:#}");
    for gap in &gaps {
        let message = gap["message"].as_str().unwrap();
        assert!(
            message.contains(": ec2:Describe") && message.contains("AccessDenied"),
            "{message}"
        );
        assert!(message.contains("user/auditor"), "{message}");
        assert_eq!(gap["resource"]["region"], R1);
    }
    // The rules that need EC2 are not assessed; the ones that need only other services are.
    let reasons: String = gaps
        .iter()
        .map(|g| g["message"].as_str().unwrap_or_default())
        .collect();
    assert!(reasons.contains("ec2:DescribeSecurityGroups"), "{reasons}");
    let stats: BTreeMap<&str, &Value> = report["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rule"].as_str().unwrap_or_default(), s))
        .collect();
    assert_eq!(stats["NET001"]["not_assessed"], 1);
    assert_eq!(stats["NET001"]["passed"], 0);
    assert_eq!(stats["LOG002"]["not_assessed"], 0);
    assert_eq!(
        stats["LOG002"]["passed"], 1,
        "the preferences were read and judged"
    );
}

#[test]
fn a_denied_service_is_not_assessed_for_that_service_only_and_exits_3() {
    let Some((code, report, stderr)) = scan_with_fault(
        json!({"service": "ec2", "operation": "DescribeSecurityGroups", "code": "UnauthorizedOperation",
               "status": 403, "message": "You are not authorized to perform this operation."}),
        &[],
    ) else {
        return;
    };
    assert_eq!(code, Some(3), "stderr:\n{stderr}\nreport: {report:#}");
    let gaps = not_assessed(&report);
    assert_eq!(gaps.len(), 1, "{report:#}");
    let gap = gaps[0];
    let message = gap["message"].as_str().unwrap();
    for part in [
        "security_groups not collected",
        "ec2:DescribeSecurityGroups",
        "UnauthorizedOperation",
    ] {
        assert!(message.contains(part), "{part} missing in {message}");
    }
    assert_eq!(gap["resource"]["account"], M);
    assert_eq!(gap["resource"]["region"], R1);
    let rules: BTreeSet<&str> = gap["details"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        rules.contains("NET001") && rules.contains("NET002"),
        "{rules:?}"
    );
    // Everything else was read: no other not-assessed finding, no other failed call.
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("nobastion: not collected:"))
        .collect();
    assert!(
        failed
            .iter()
            .all(|l| l.contains("ec2:DescribeSecurityGroups")),
        "{failed:#?}"
    );
}

#[test]
fn a_member_account_whose_role_cannot_be_assumed_is_not_assessed_the_rest_continues() {
    let Some(moto) = Launch::seed("seed_minimal")
        .arg("org", "1")
        .fault(
            json!({"service": "sts", "operation": "AssumeRole", "code": "AccessDenied",
                      "message": "User is not authorized to perform: sts:AssumeRole"}),
        )
        .start()
    else {
        return;
    };
    let member = moto.str("member");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let output = run(moto
        .nobastion()
        .args([
            "scan",
            "--org-role",
            ROLE,
            "--format",
            "json",
            "--statistics",
            "--output",
        ])
        .arg(&path));
    let report = report(&output, &path);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let gaps = not_assessed(&report);
    assert_eq!(gaps.len(), 1, "{report:#}");
    assert_eq!(gaps[0]["resource"]["kind"], "account");
    assert_eq!(gaps[0]["resource"]["id"], member.as_str());
    let message = gaps[0]["message"].as_str().unwrap();
    assert!(
        message.contains("sts:AssumeRole") && message.contains("AccessDenied"),
        "{message}"
    );
    // The management account was scanned: the rules judged its resources.
    let judged: u64 = report["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["rule"] != "NB001")
        .map(|s| s["passed"].as_u64().unwrap_or(0) + s["failed"].as_u64().unwrap_or(0))
        .sum();
    assert!(judged > 0, "{report:#}");
}
