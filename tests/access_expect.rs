//! Intended access as a test: `nobastion access --expect FILE` and the IAM010 rule (with
//! `[access] expect` in nobastion.toml, for `check`) turn every grant the file does not
//! allow into a finding, exit 1, and say which expectation it breaks; a file that matches
//! the map passes; a broken file is an input error naming its line; without an expectation
//! file IAM010 reports nothing.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{nobastion, nobastion_in, repo};

const FIXTURE: &str = "tests/fixtures/access/snapshot.json";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The fixture's production access as its owners mean it: shells for ops only, no port
/// forwarding or SSH to production.
const PROD: &str = "\
- name: prod shells for ops
  instances: {tags: {Env: prod}}
  allow:
    principals: [\"arn:aws:iam::*:user/ops-*\", \"arn:aws:iam::*:role/ops-*\"]
    paths: [shell, port-forwarding]
- instances: {tags: {Env: prod}}
  deny: {paths: [ssh]}
";

/// The grants of the fixture that `PROD` does not allow: on the three prod instances,
/// everyone but ops-bob and ops-admin, and ops-admin's SSH (denied by rule 2) and
/// interactive commands (not listed by rule 1).
fn expected_unexpected() -> Vec<(String, String, String, u64)> {
    let mut want = Vec::new();
    for i in ["i-eu1", "i-prod1", "i-prod2"] {
        let mut add = |who: &str, path: &str, rule: u64| {
            want.push((i.to_owned(), who.to_owned(), path.to_owned(), rule));
        };
        for path in [
            "interactive-command",
            "port-forwarding",
            "send-command",
            "shell",
        ] {
            add("user/admin", path, 1);
        }
        add("user/admin", "ssh", 2);
        for path in ["interactive-command", "port-forwarding", "shell"] {
            add("user/cond-carol", path, 1);
        }
        add("user/cond-carol", "ssh", 2);
        add("user/checked-frank", "ssh", 2);
        add("role/breakglass", "instance-connect", 1);
        add("role/ops-admin", "interactive-command", 1);
        add("role/ops-admin", "ssh", 2);
    }
    for i in ["i-prod1", "i-prod2"] {
        want.push((
            i.to_owned(),
            "role/ci-deployer".to_owned(),
            "shell".to_owned(),
            1,
        ));
    }
    want.push((
        "i-prod2".to_owned(),
        "user/weird-erin".to_owned(),
        "shell".to_owned(),
        1,
    ));
    want
}

#[test]
fn unexpected_grants_fail_with_the_rule_they_break() {
    let dir = tempfile::tempdir().unwrap();
    let expect = write(dir.path(), "access.yaml", PROD);
    let run = nobastion(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--expect",
        &expect,
        "--format",
        "json",
        "--allow-incomplete",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    let unexpected = out["expectations"]["unexpected"].as_array().unwrap();
    let mut got: Vec<(String, String, String, u64)> = unexpected
        .iter()
        .map(|v| {
            (
                v["instance"].as_str().unwrap().to_owned(),
                v["principal"]
                    .as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_owned(),
                v["path"].as_str().unwrap().to_owned(),
                v["rule"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want = expected_unexpected();
    want.sort();
    assert_eq!(got, want);

    let carol = unexpected
        .iter()
        .find(|v| v["principal"].as_str().unwrap().ends_with("cond-carol") && v["path"] == "shell")
        .unwrap();
    let message = carol["message"].as_str().unwrap();
    assert!(
        message.contains("aws:SourceIp"),
        "conditional grants say so: {message}"
    );
    assert!(
        message.contains("rule 1 \"prod shells for ops\" (") && message.contains("access.yaml:1)"),
        "{message}"
    );
    // The table lists them under their heading; CSV marks the rows.
    let table = nobastion(&["access", "--snapshot", FIXTURE, "--expect", &expect]);
    assert!(
        table.stdout.contains("Unexpected access (IAM010"),
        "{}",
        table.stdout
    );
    let csv = nobastion(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--expect",
        &expect,
        "-f",
        "csv",
    ]);
    assert!(
        csv.stdout.contains(",unexpected: rule 2 (line 6)\r\n"),
        "{}",
        csv.stdout
    );
    assert!(csv.stdout.contains(",expected\r\n"));
}

#[test]
fn a_file_that_matches_the_map_passes() {
    let dir = tempfile::tempdir().unwrap();
    // Everything the fixture grants on dev instances, as an allowlist.
    let expect = write(
        dir.path(),
        "dev.yaml",
        "- instances: {tags: {Env: dev}}\n  allow:\n    principals: [\"arn:aws:iam::111122223333:*\"]\n",
    );
    let run = nobastion(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--expect",
        &expect,
        "--allow-incomplete",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("every grant is expected"),
        "{}",
        run.stdout
    );
}

#[test]
fn broken_files_are_input_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let expect = write(
        dir.path(),
        "bad.yaml",
        "- instances: {tags: {Env: prod}}\n  deny: {paths: [shell, port-forward]}\n",
    );
    let run = nobastion(&["access", "--snapshot", FIXTURE, "--expect", &expect]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("bad.yaml:2:") && run.stderr.contains("unknown path `port-forward`"),
        "{}",
        run.stderr
    );
    // The same file named by the configuration is a configuration error for `check`.
    write(
        dir.path(),
        "nobastion.toml",
        "[access]\nexpect = \"bad.yaml\"\n",
    );
    let snapshot = repo().join(FIXTURE);
    let run = nobastion_in(
        dir.path(),
        &["check", "--snapshot", snapshot.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.yaml:2:"), "{}", run.stderr);
    write(
        dir.path(),
        "nobastion.toml",
        "[access]\nexpect = \"missing.yaml\"\n",
    );
    let run = nobastion_in(
        dir.path(),
        &["check", "--snapshot", snapshot.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("missing.yaml: cannot read"),
        "{}",
        run.stderr
    );
    write(dir.path(), "nobastion.toml", "[access]\nexpekt = \"x\"\n");
    let run = nobastion_in(
        dir.path(),
        &["check", "--snapshot", snapshot.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nobastion.toml:2:"), "{}", run.stderr);
}

fn iam010(findings: &Value) -> Vec<&Value> {
    findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "IAM010")
        .collect()
}

#[test]
fn check_runs_iam010_from_the_configuration_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "access.yaml", PROD);
    write(
        dir.path(),
        "nobastion.toml",
        "allow-incomplete = true\n[access]\nexpect = \"access.yaml\"\n",
    );
    let snapshot = repo().join(FIXTURE);
    let snapshot = snapshot.to_str().unwrap();
    let run = nobastion_in(
        dir.path(),
        &[
            "check",
            "--snapshot",
            snapshot,
            "--select",
            "IAM010",
            "-f",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    let found = iam010(&out);
    // 42 unexpected grants, less the indeterminate one (not assessed, as NB001).
    assert_eq!(found.iter().filter(|f| f["status"] == "fail").count(), 41);
    let nb001: Vec<&Value> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NB001")
        .collect();
    assert!(
        nb001
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("weird-erin")),
        "{nb001:#?}"
    );
    let admin_ssh = found
        .iter()
        .find(|f| {
            f["resource"]["id"] == "i-prod1"
                && f["evidence"]["principal"] == "arn:aws:iam::111122223333:user/admin"
                && f["evidence"]["path"] == "ssh"
        })
        .unwrap();
    assert_eq!(
        admin_ssh["resource"]["arn"],
        "arn:aws:ec2:us-east-1:111122223333:instance/i-prod1"
    );
    assert_eq!(admin_ssh["details"]["rule"], 2);
    assert_eq!(admin_ssh["severity"], "high");
    // Distinct fingerprints per principal and path on one instance.
    let prints: std::collections::BTreeSet<&str> = found
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), found.len());

    // Without an expectation file, IAM010 reports nothing (and `rules` still lists it).
    let run = nobastion(&[
        "check",
        "--snapshot",
        FIXTURE,
        "--select",
        "IAM010",
        "-f",
        "json",
    ]);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(iam010(&out).is_empty());
    let rules = nobastion(&["rules"]);
    assert!(rules.stdout.contains("IAM010"), "{}", rules.stdout);
}
