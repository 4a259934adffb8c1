//! The bundled demo account exercises every implemented rule: each fails at least once and
//! passes at least once, and the engine-level rules (NB001–NB003) each fire with the demo
//! configuration.

mod support;

use nobastion::config::Config;
use nobastion::finding::{Severity, Status};
use nobastion::model::Snapshot;
use nobastion::rules::engine::RunResult;
use nobastion::rules::{Implementation, Registry, RunOptions, Selection, run};
use support::{DEMO, DEMO_CONFIG, repo};

/// The whole catalog over the demo snapshot with its configuration, judged on a fixed day
/// (waiver expiry depends on it).
fn demo_run() -> RunResult<'static> {
    let registry = Registry::builtin().unwrap();
    let snapshot = Snapshot::load(&repo().join(DEMO)).unwrap();
    let config = Config::load(&repo().join(DEMO_CONFIG)).unwrap();
    let selection = Selection::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    run(
        registry,
        &snapshot,
        &RunOptions {
            config: &config,
            selection: &selection,
            today,
        },
    )
}

/// (account, resource id) of every resource `rule` passed.
fn passed(result: &RunResult<'_>, rule: &str) -> Vec<(String, String)> {
    result
        .rules
        .iter()
        .find(|r| r.meta.id == rule)
        .map(|r| {
            r.passed
                .iter()
                .map(|p| (p.account.clone().unwrap_or_default(), p.id.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The message of `rule`'s finding on `resource` (the test fails when there is none).
fn message(result: &RunResult<'_>, rule: &str, resource: &str) -> String {
    result
        .findings
        .iter()
        .find(|f| f.rule == rule && f.resource.id == resource)
        .map_or_else(
            || panic!("no {rule} finding on {resource}"),
            |f| f.message.clone(),
        )
}

#[test]
fn every_rule_fails_and_passes_in_the_demo() {
    let result = demo_run();
    let mut problems = Vec::new();
    for rule in &result.rules {
        let findings = result
            .findings
            .iter()
            .filter(|f| f.rule == rule.meta.id)
            .count();
        if rule.meta.implementation == Implementation::Engine {
            if findings == 0 {
                problems.push(format!("{} never fires in the demo", rule.meta.id));
            }
        } else {
            if rule.failed == 0 {
                problems.push(format!("{} never fails in the demo", rule.meta.id));
            }
            if rule.passed.is_empty() {
                problems.push(format!("{} never passes in the demo", rule.meta.id));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(result.findings.iter().any(|f| f.status == Status::Waived));
}

/// The corner cases the demo was built to show, as a user reading the report sees them.
#[test]
fn the_demo_shows_the_corner_cases() {
    let result = demo_run();
    let passed = |rule: &str| passed(&result, rule);
    let message = |rule: &str, resource: &str| message(&result, rule, resource);

    // The sandbox's preferences log to production's bucket: found across accounts, and the
    // bucket is judged once although documents in two accounts name it.
    assert!(
        passed("LOG013").contains(&(
            "444455556666".to_owned(),
            "SSM-SessionManagerRunShell".to_owned()
        )),
        "{:?}",
        passed("LOG013")
    );
    let bucket = (
        "111122223333".to_owned(),
        "acme-session-logs-111122223333".to_owned(),
    );
    assert_eq!(
        passed("LOG004").iter().filter(|p| **p == bucket).count(),
        1,
        "{:?}",
        passed("LOG004")
    );
    // A lower-numbered deny wins; an ephemeral-port allow opens RDP but not SSH.
    assert!(
        passed("NET003")
            .iter()
            .any(|p| p.1 == "acl-0f1e2d3c4b5a60051")
    );
    let ci = message("NET003", "acl-0a1b2c3d4e5f60052");
    assert!(ci.contains("RDP (TCP 3389)") && !ci.contains("SSH"), "{ci}");
    // The S3 gateway endpoint exists but does not serve the public subnet's route table.
    let prod = message("NET005", "vpc-0a1b2c3d4e5f60001");
    assert!(prod.contains("subnet-0a1b2c3d4e5f60012"), "{prod}");
    // A log group that does not exist is LOG013's finding only, not a not-assessed LOG005.
    assert!(message("LOG013", "Analytics-Shell").contains("/ssm/analytics-sessions"));
    assert_eq!(
        result
            .findings
            .iter()
            .filter(|f| f.status == Status::NotAssessed)
            .count(),
        1,
        "the only gap in the demo is eu-west-1's launch templates"
    );
}

/// The IAM corner cases of the demo.
#[test]
fn the_demo_shows_the_iam_corner_cases() {
    let result = demo_run();
    let passed = |rule: &str| passed(&result, rule);
    let message = |rule: &str, resource: &str| message(&result, rule, resource);
    // alice's inline `StartSession` on `*` is named with its statement; the demo's
    // organization could not be read, so SCPs were left out and the finding says so.
    let alice = message("IAM001", "alice");
    assert!(
        alice.contains(
            "statement 1 (Sid StartAnywhere) of identity policy start-anywhere (inline, user alice)"
        ) && alice.contains("SCPs not collected: an SCP may restrict this"),
        "{alice}"
    );
    let account = "111122223333".to_owned();
    let passed_by =
        |rule: &str, name: &str| passed(rule).contains(&(account.clone(), name.to_owned()));
    // bob reaches prod instances through his group, tag-scoped and only with MFA.
    assert!(passed_by("IAM001", "bob") && passed_by("IAM008", "bob"));
    assert!(message("IAM008", "alice").contains("without MFA"));
    // The allowlists: the DBA role may port-forward, the platform admins may edit the
    // preferences; legacy-bastion (AmazonSSMFullAccess) may do both and is reported.
    assert!(passed_by("IAM003", "dba-oncall") && passed_by("IAM007", "platform-admin"));
    assert!(message("IAM003", "legacy-bastion").contains("AWS-StartPortForwardingSession"));
    assert!(message("IAM007", "legacy-bastion").contains("SSM-SessionManagerRunShell"));
    assert!(message("IAM009", "legacy-bastion").contains("AmazonSSMFullAccess (ssm:* on *)"));
    assert!(passed_by("IAM009", "app-instance"));
    // A service-linked role is reported at info at most.
    let slr = result
        .findings
        .iter()
        .find(|f| f.rule == "IAM005" && f.resource.id == "AWSServiceRoleForAmazonSSM")
        .expect("the SSM service-linked role can send commands");
    assert_eq!(slr.severity, Severity::Info);
    // The contractor may push SSH keys with EC2 Instance Connect, but cannot start sessions.
    assert!(message("IAM006", "carol").contains("ec2-instance-connect:SendSSHPublicKey"));
    assert!(passed_by("IAM008", "carol"));
    // One finding per principal and rule (IAM010 reports each unexpected principal, instance
    // and access path of the access map: its resource is the instance).
    let mut keys: Vec<(&str, &str)> = result
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("IAM") && f.rule != "IAM010")
        .map(|f| (f.rule.as_str(), f.resource.id.as_str()))
        .collect();
    let total = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), total);
}
