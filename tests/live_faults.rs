//! How `nobastion collect` fails closed against the AWS emulator, one failure kind per test:
//! an operation the endpoint does not implement, throttling (retried, then outlasting the
//! retries), a region that is not enabled, a per-resource `AccessDenied`, a caller that cannot
//! be identified. Also `--all-regions`, and the quiet output of non-interactive runs.
//!
//! The account is `tests/moto/seed_minimal.py`; faults are injected by the launcher after
//! seeding (see `Fault` in tests/moto/launcher.py).

#![cfg(feature = "live")]

#[path = "support/moto.rs"]
mod moto;

use std::collections::BTreeSet;

use nobastion::model::Snapshot;
use serde_json::json;

use moto::{Launch, api_calls, run, text};

fn collect(moto: &moto::Moto, args: &[&str]) -> (Option<i32>, Option<Snapshot>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let output = run(moto
        .nobastion()
        .arg("collect")
        .args(args)
        .arg("--output")
        .arg(&path));
    let snapshot = Snapshot::load(&path).ok();
    (output.status.code(), snapshot, text(&output.stderr))
}

fn failed_operations(snapshot: &Snapshot) -> BTreeSet<&str> {
    snapshot
        .metadata
        .errors
        .iter()
        .filter_map(|e| e.operation.as_deref())
        .collect()
}

#[test]
fn an_unimplemented_operation_is_not_assessed_not_empty() {
    // Without the launcher's additions, moto has no DescribeInstanceInformation and no
    // GetServiceSetting: it answers HTTP 500 (AWS_MAX_ATTEMPTS=1, so no retries).
    let Some(moto) = Launch::seed("seed_minimal").without_ssm_extras().start() else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &[]);
    assert_eq!(code, Some(3), "{stderr}");
    let snapshot = snapshot.unwrap();
    let region = &snapshot.accounts[0].regions[0];
    let gap = region.managed_instances.get().unwrap_err();
    assert_eq!(
        gap.operation.as_deref(),
        Some("ssm:DescribeInstanceInformation")
    );
    assert!(gap.message.contains("HTTP 500"), "{}", gap.message);
    assert!(region.ssm_settings.get().is_err());
    assert_eq!(
        failed_operations(&snapshot),
        BTreeSet::from(["ssm:DescribeInstanceInformation", "ssm:GetServiceSetting"])
    );
    // The rest of SSM and everything else was read.
    assert!(region.instances.is_collected() && region.ssm_documents.is_collected());
    let error = &snapshot.metadata.errors[0];
    assert_eq!(error.account.as_deref(), Some("123456789012"));
    assert_eq!(error.region.as_deref(), Some("us-east-1"));
    assert_eq!(error.service, "ssm");
}

#[test]
fn throttling_is_retried_with_backoff() {
    let Some(moto) = Launch::seed("seed_minimal")
        .fault(
            json!({"service": "ec2", "operation": "DescribeVpcs", "code": "RequestLimitExceeded",
                      "status": 503, "count": 1}),
        )
        .start()
    else {
        return;
    };
    // One retry is enough; adaptive retry also slows the client down after a throttle, so
    // every extra attempt costs seconds.
    let (code, snapshot, stderr) = collect(&moto, &["-v", "--max-attempts", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    let snapshot = snapshot.unwrap();
    let vpcs = snapshot.accounts[0].regions[0].vpcs.get().unwrap();
    assert!(vpcs.iter().any(|v| v.id == moto.str("vpc")), "{vpcs:?}");
    let attempts: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("api ec2:DescribeVpcs "))
        .collect();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert!(attempts[0].contains("HTTP 503"));
    assert!(attempts[1].contains("HTTP 200"));
}

#[test]
fn throttling_that_outlasts_the_retries_is_not_assessed() {
    let Some(moto) = Launch::seed("seed_minimal")
        .fault(
            json!({"service": "ssm", "operation": "ListDocuments", "code": "ThrottlingException",
                      "status": 400, "message": "Rate exceeded"}),
        )
        .start()
    else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &["-v", "--max-attempts", "2"]);
    assert_eq!(code, Some(3), "{stderr}");
    let snapshot = snapshot.unwrap();
    let region = &snapshot.accounts[0].regions[0];
    let gap = region.ssm_documents.get().unwrap_err();
    assert_eq!(gap.operation.as_deref(), Some("ssm:ListDocuments"));
    assert_eq!(gap.error_code.as_deref(), Some("ThrottlingException"));
    assert!(gap.message.contains("after 2 attempts"), "{}", gap.message);
    assert_eq!(stderr.matches("api ssm:ListDocuments ").count(), 2);
    // What depends on the documents says so instead of looking empty.
    let keys = region.kms_keys.get().unwrap_err();
    assert!(
        keys.message.contains("ssm:ListDocuments"),
        "{}",
        keys.message
    );
    let bucket = &snapshot.accounts[0].buckets.get().unwrap()[0];
    assert!(
        bucket.unknown.is_empty(),
        "without the documents every bucket is inspected: {:?}",
        bucket.unknown
    );
    assert_eq!(
        failed_operations(&snapshot),
        BTreeSet::from(["ssm:ListDocuments"])
    );
}

#[test]
fn a_region_that_is_not_enabled_is_not_assessed_and_not_called() {
    // ap-east-1 is an opt-in region the emulator reports as not opted in.
    let Some(moto) = Launch::seed("seed_minimal").start() else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &["-v", "--regions", "us-east-1,ap-east-1"]);
    assert_eq!(code, Some(3), "{stderr}");
    let snapshot = snapshot.unwrap();
    let account = &snapshot.accounts[0];
    let disabled = account.region("ap-east-1").unwrap();
    let gap = disabled.not_collected.as_ref().unwrap();
    assert_eq!(gap.error_code.as_deref(), Some("RegionNotEnabled"));
    assert!(gap.message.contains("not-opted-in"), "{}", gap.message);
    assert!(!disabled.security_groups.is_collected());
    let enabled = account.region("us-east-1").unwrap();
    assert!(enabled.not_collected.is_none() && enabled.instances.is_collected());
    assert!(
        api_calls(&stderr)
            .iter()
            .all(|(_, _, region)| region != "ap-east-1"),
        "a disabled region is not called"
    );
    assert_eq!(snapshot.metadata.errors.len(), 1);
    assert_eq!(
        snapshot.metadata.errors[0].region.as_deref(),
        Some("ap-east-1")
    );
}

#[test]
fn access_denied_on_one_bucket_detail_marks_only_that_field_unknown() {
    let Some(moto) = Launch::seed("seed_minimal")
        .fault(
            json!({"service": "s3", "operation": "GetBucketPolicy", "code": "AccessDenied",
                      "status": 403, "message": "Access Denied"}),
        )
        .start()
    else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &[]);
    assert_eq!(code, Some(3), "{stderr}");
    let snapshot = snapshot.unwrap();
    let bucket = &snapshot.accounts[0].buckets.get().unwrap()[0];
    assert_eq!(bucket.name, "minimal-session-logs");
    assert_eq!(bucket.unknown.len(), 1, "{:?}", bucket.unknown);
    assert!(bucket.unknown["policy"].contains("AccessDenied"));
    // The "not configured" answers of the other calls are known: none.
    assert_eq!(bucket.encryption, None);
    assert_eq!(bucket.public_access_block, None);
    let error = &snapshot.metadata.errors[0];
    assert_eq!(error.operation.as_deref(), Some("s3:GetBucketPolicy"));
    assert_eq!(error.region.as_deref(), Some("us-east-1"));
    assert!(
        error.message.contains("minimal-session-logs"),
        "{}",
        error.message
    );
}

#[test]
fn a_caller_that_cannot_be_identified_stops_with_exit_2() {
    let Some(moto) = Launch::seed("seed_minimal")
        .fault(json!({"service": "sts", "operation": "GetCallerIdentity",
                      "code": "InvalidClientTokenId", "status": 403,
                      "message": "The security token included in the request is invalid."}))
        .start()
    else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(snapshot.is_none(), "nothing is written");
    assert!(
        stderr.contains("sts:GetCallerIdentity") && stderr.contains("InvalidClientTokenId"),
        "{stderr}"
    );
}

#[test]
fn all_regions_reads_every_enabled_region() {
    let Some(moto) = Launch::seed("seed_minimal").arg("regions", "1").start() else {
        return;
    };
    let (code, snapshot, stderr) = collect(&moto, &["--all-regions", "--concurrency", "16"]);
    assert_eq!(code, Some(0), "{stderr}");
    let snapshot = snapshot.unwrap();
    let expected: Vec<String> = moto.seed["enabled_regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() > 10 && !expected.contains(&"ap-east-1".to_owned()));
    assert_eq!(snapshot.metadata.regions, expected);
    let names: Vec<&str> = snapshot.accounts[0]
        .regions
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn a_non_interactive_run_prints_only_the_result() {
    let Some(moto) = Launch::seed("seed_minimal").start() else {
        return;
    };
    let output = run(moto.nobastion().arg("collect"));
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "no progress or summary when stderr is not a terminal: {}",
        text(&output.stderr)
    );
    let snapshot = Snapshot::from_json(&text(&output.stdout), "stdout").unwrap();
    assert_eq!(snapshot.accounts.len(), 1);
}

#[test]
fn usage_errors_exit_2_before_any_call() {
    // No emulator needed: the options are rejected first.
    for args in [
        &["collect", "--regions", "us-east-1,mars-north-1x"][..],
        &["collect", "--org-role", "Auditor", "--accounts", "123"][..],
        &["collect", "--org-role", "arn:aws:iam::1:role/x"][..],
        &["collect", "--regions", "us-east-1", "--all-regions"][..],
    ] {
        let output = run(std::process::Command::new(env!("CARGO_BIN_EXE_nobastion"))
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "us-east-1"));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}
