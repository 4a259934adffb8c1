//! Drift between two audits: the demo account, then the same account a month later with the
//! bastion's SSH rule removed, a new RDP-open security group, and the session preferences
//! of eu-west-1 no longer readable. `diff` must report the new finding as new, the fixed one
//! as resolved, and the unreadable one as not re-assessed (never as resolved), the same way
//! for snapshots, bundles (directory and zip) and JSON outputs; and gate on it.

#[path = "evidence_support/mod.rs"]
mod evidence_support;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use evidence_support::{DEMO, DEMO_CONFIG, read_json, run, run_env, s};
use serde_json::{Value, json};

struct Audits {
    _tmp: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
}

fn audits() -> Audits {
    let tmp = tempfile::tempdir().unwrap();
    let mut snapshot = read_json(&support::repo().join(DEMO));
    let region = &mut snapshot["accounts"][0]["regions"][0];
    let groups = region["security_groups"]["collected"]
        .as_array_mut()
        .unwrap();
    let bastion = groups
        .iter_mut()
        .find(|g| g["name"] == "legacy-bastion")
        .unwrap();
    bastion["ingress"] = json!([]);
    let mut rdp = bastion.clone();
    rdp["id"] = "sg-0a1b2c3d4e5f60046".into();
    rdp["name"] = "vendor-rdp".into();
    rdp["ingress"] = json!([{
        "protocol": "tcp", "from_port": 3389, "to_port": 3389, "ipv4_ranges": ["0.0.0.0/0"]
    }]);
    groups.push(rdp);
    snapshot["accounts"][0]["regions"][1]["ssm_documents"] = json!({
        "not_collected": {
            "message": "User is not authorized to perform ssm:ListDocuments",
            "operation": "ssm:ListDocuments",
            "error_code": "AccessDeniedException"
        }
    });
    let new = tmp.path().join("later.json");
    std::fs::write(&new, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    Audits {
        old: support::repo().join(DEMO),
        new,
        _tmp: tmp,
    }
}

fn check_json(snapshot: &Path) -> Value {
    let out = run(&[
        "check",
        "--snapshot",
        s(snapshot),
        "--config",
        DEMO_CONFIG,
        "--format",
        "json",
        "--statistics",
    ]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr))
}

fn fingerprints(findings: &Value) -> BTreeSet<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

fn find<'v>(findings: &'v Value, rule: &str, id: &str) -> &'v Value {
    findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["resource"]["id"] == id)
        .unwrap_or_else(|| panic!("no {rule} finding for {id}"))
}

fn diff_json(old: &Path, new: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "diff",
        s(old),
        s(new),
        "--format",
        "json",
        "--config",
        DEMO_CONFIG,
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    let value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    (out.code, value)
}

#[test]
fn drift_between_two_snapshots_is_sorted_without_silent_passes() {
    let a = audits();
    let before = check_json(&a.old);
    let after = check_json(&a.new);
    let (code, drift) = diff_json(&a.old, &a.new, &[]);

    // Independently: what NEW has that OLD has not, and the other way round.
    let old_fps = fingerprints(&before["findings"]);
    let new_fps = fingerprints(&after["findings"]);
    let appeared: BTreeSet<String> = new_fps.difference(&old_fps).cloned().collect();
    let vanished: BTreeSet<String> = old_fps.difference(&new_fps).cloned().collect();
    let unchanged: BTreeSet<String> = old_fps.intersection(&new_fps).cloned().collect();
    assert_eq!(fingerprints(&drift["new_findings"]), appeared);
    assert_eq!(fingerprints(&drift["unchanged"]), unchanged);
    let resolved = fingerprints(&drift["resolved"]);
    let not_reassessed = fingerprints(&drift["not_reassessed"]);
    assert_eq!(
        resolved
            .union(&not_reassessed)
            .cloned()
            .collect::<BTreeSet<_>>(),
        vanished
    );
    assert!(resolved.is_disjoint(&not_reassessed));

    // The named changes land where they belong.
    let rdp = find(&after, "NET002", "sg-0a1b2c3d4e5f60046");
    assert!(appeared.contains(rdp["fingerprint"].as_str().unwrap()));
    let bastion = find(&before, "NET001", "sg-0a1b2c3d4e5f60041");
    assert!(resolved.contains(bastion["fingerprint"].as_str().unwrap()));
    let unreadable = find(&before, "LOG002", "SSM-SessionManagerRunShell");
    assert_eq!(unreadable["resource"]["region"], "eu-west-1");
    let fp = unreadable["fingerprint"].as_str().unwrap();
    assert!(
        not_reassessed.contains(fp),
        "an unreadable finding is not resolved"
    );
    let why = drift["not_reassessed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp)
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(why.contains("ssm_documents not collected"), "{why}");

    // Exit codes: the demo configuration accepts gaps, so the new finding fails the run (1);
    // without it, a finding that could not be re-assessed makes the drift incomplete (3).
    assert_eq!(code, 1);
    assert_eq!(drift["summary"]["exit_code"], 1);
    let strict = run(&["diff", s(&a.old), s(&a.new), "--format", "json"]);
    assert_eq!(strict.code, 3, "{}", strict.stdout);
    let critical = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| appeared.contains(f["fingerprint"].as_str().unwrap()))
        .any(|f| f["severity"] == "critical" && f["status"] == "fail");
    let (code, _) = diff_json(
        &a.old,
        &a.new,
        &["--allow-incomplete", "--fail-on", "critical"],
    );
    assert_eq!(code, i32::from(critical));
    let (code, _) = diff_json(&a.old, &a.new, &["--exit-zero"]);
    assert_eq!(code, 0);
    // An audit against itself has no drift.
    let (code, same) = diff_json(&a.old, &a.old, &[]);
    assert_eq!(code, 0);
    assert_eq!(same["summary"]["new"], 0);
    assert_eq!(same["summary"]["resolved"], 0);
}

fn classification(drift: &Value) -> [BTreeSet<String>; 4] {
    [
        fingerprints(&drift["new_findings"]),
        fingerprints(&drift["resolved"]),
        fingerprints(&drift["not_reassessed"]),
        fingerprints(&drift["unchanged"]),
    ]
}

#[test]
fn bundles_and_json_outputs_diff_like_their_snapshots() {
    let a = audits();
    let tmp = tempfile::tempdir().unwrap();
    let (_, reference) = diff_json(&a.old, &a.new, &[]);
    let bundle = |snapshot: &Path, out: &Path| {
        let made = run_env(
            &[
                "evidence",
                "--snapshot",
                s(snapshot),
                "--config",
                DEMO_CONFIG,
                "--out",
                s(out),
            ],
            &[],
        );
        assert!(matches!(made.code, 0 | 1 | 3), "{}", made.stderr);
    };
    let old_dir = tmp.path().join("old");
    let new_zip = tmp.path().join("new.zip");
    bundle(&a.old, &old_dir);
    bundle(&a.new, &new_zip);
    let (code, from_bundles) = diff_json(&old_dir, &new_zip, &[]);
    assert_eq!(classification(&from_bundles), classification(&reference));
    assert_eq!(
        code,
        i32::try_from(reference["summary"]["exit_code"].as_i64().unwrap()).unwrap()
    );
    assert_eq!(from_bundles["old"]["kind"], "bundle");

    let old_json = tmp.path().join("old.json");
    let new_json = tmp.path().join("new.json");
    std::fs::write(&old_json, check_json(&a.old).to_string()).unwrap();
    std::fs::write(&new_json, check_json(&a.new).to_string()).unwrap();
    let (_, from_json) = diff_json(&old_json, &new_json, &[]);
    assert_eq!(classification(&from_json), classification(&reference));
    // Mixed inputs work too.
    let (_, mixed) = diff_json(&old_dir, &a.new, &[]);
    assert_eq!(classification(&mixed), classification(&reference));
}

#[test]
fn table_and_markdown_say_the_same() {
    let a = audits();
    let (_, drift) = diff_json(&a.old, &a.new, &[]);
    let n = |key: &str| drift["summary"][key].as_u64().unwrap();
    let table = run(&["diff", s(&a.old), s(&a.new), "--config", DEMO_CONFIG]);
    assert_eq!(
        i64::from(table.code),
        drift["summary"]["exit_code"].as_i64().unwrap()
    );
    for expected in [
        format!("NEW ({})", n("new")),
        format!("RESOLVED ({})", n("resolved")),
        format!("NOT RE-ASSESSED ({})", n("not_reassessed")),
        format!("UNCHANGED ({})", n("unchanged")),
        "sg-0a1b2c3d4e5f60046".to_owned(),
        format!("exit {}", drift["summary"]["exit_code"]),
    ] {
        assert!(
            table.stdout.contains(&expected),
            "{expected:?} in\n{}",
            table.stdout
        );
    }
    let md = run(&[
        "diff",
        s(&a.old),
        s(&a.new),
        "--config",
        DEMO_CONFIG,
        "-f",
        "markdown",
    ]);
    for expected in [
        format!("## New ({})", n("new")),
        format!("## Resolved ({})", n("resolved")),
        format!("## Not re-assessed ({})", n("not_reassessed")),
    ] {
        assert!(
            md.stdout.contains(&expected),
            "{expected:?} in\n{}",
            md.stdout
        );
    }
}

#[test]
fn inputs_diff_cannot_read_are_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let sarif = tmp.path().join("x.sarif");
    std::fs::write(&sarif, r#"{"version": "2.1.0", "runs": []}"#).unwrap();
    let out = run(&["diff", s(&sarif), DEMO]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("SARIF"), "{}", out.stderr);
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"findings\": [1]\n}").unwrap();
    let out = run(&["diff", DEMO, s(&broken)]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken.json"), "{}", out.stderr);
    let out = run(&["diff", DEMO, s(&tmp.path().join("missing.json"))]);
    assert_eq!(out.code, 2);
}
