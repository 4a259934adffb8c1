//! The CLI as a user meets it: the demo account end to end, every output format, exit codes,
//! bad input, and the generated documentation being up to date.

mod support;

use std::io::Read as _;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::{DEMO, DEMO_CONFIG, nobastion, nobastion_in, repo};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn demo_prints_a_findings_table_and_exits_1() {
    let run = nobastion(&["check", "--snapshot", DEMO, "--config", DEMO_CONFIG]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "CRITICAL (1)",
        "NET001",
        "sg-0a1b2c3d4e5f60041",
        "0.0.0.0/0, ::/0",
        "WAIVED (1)",
        "Summary:",
        "exit 1",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains('\x1b'),
        "no colour when not a terminal"
    );
    // Groups run from the most to the least severe.
    let order: Vec<usize> = ["CRITICAL", "HIGH", "MEDIUM", "INFO"]
        .iter()
        .map(|h| run.stdout.find(h).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn demo_without_accepting_gaps_is_incomplete() {
    let run = nobastion(&["check", "--snapshot", DEMO]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("not assessed"));
    assert!(run.stdout.contains("exit 3"));
    assert_eq!(
        nobastion(&["check", "--snapshot", DEMO, "--allow-incomplete"]).code,
        1
    );
    assert_eq!(
        nobastion(&["check", "--snapshot", DEMO, "--exit-zero"]).code,
        0
    );
}

#[test]
fn fail_on_threshold_and_selection_drive_the_exit_code() {
    // NET002 alone: one high finding (RDP from 10/8).
    let high = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--select",
        "NET002",
        "--fail-on",
        "high",
    ]);
    assert_eq!(high.code, 1, "{}", high.stdout);
    let critical = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--select",
        "NET002",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(critical.code, 0, "{}", critical.stdout);
    assert!(
        critical.stdout.contains("HIGH (1)"),
        "below the threshold is still reported"
    );
    // Prefix selection with a more specific ignore.
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--select",
        "NET",
        "--ignore",
        "NET001",
        "-f",
        "json",
    ]);
    let out = json(&run.stdout);
    let rules: Vec<&str> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.iter().all(|r| r.starts_with("NET") && *r != "NET001"),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"NET002") && rules.contains(&"NET003"),
        "{rules:?}"
    );
}

#[test]
fn bad_selectors_and_thresholds_are_usage_errors() {
    let run = nobastion(&["check", "--snapshot", DEMO, "--select", "NETX"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown rule selector `NETX`"),
        "{}",
        run.stderr
    );
    let run = nobastion(&["check", "--snapshot", DEMO, "--ignore", "NB001"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--allow-incomplete"), "{}", run.stderr);
    let run = nobastion(&["check", "--snapshot", DEMO, "--fail-on", "severe"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("critical, high, medium, low, info"),
        "{}",
        run.stderr
    );
    assert_eq!(nobastion(&["check"]).code, 2, "missing --snapshot");
    assert_eq!(nobastion(&["frobnicate"]).code, 2);
}

#[test]
fn json_output_has_the_documented_shape_and_validates_against_its_schema() {
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let out = json(&run.stdout);
    assert_eq!(out["tool"]["name"], "nobastion");
    assert!(
        out["tool"]["catalog_version"]
            .as_str()
            .unwrap()
            .starts_with(env!("CARGO_PKG_VERSION"))
    );
    let findings = out["findings"].as_array().unwrap();
    assert!(findings.len() >= 10, "{}", findings.len());
    for f in findings {
        for key in [
            "rule",
            "severity",
            "status",
            "resource",
            "message",
            "fingerprint",
        ] {
            assert!(f.get(key).is_some(), "finding without {key}: {f}");
        }
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    }
    let net001 = findings
        .iter()
        .find(|f| f["rule"] == "NET001" && f["severity"] == "critical")
        .unwrap();
    assert_eq!(net001["status"], "fail");
    assert_eq!(
        net001["resource"]["arn"],
        "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60041"
    );
    assert_eq!(net001["details"]["sources"][0]["reach"], "internet");
    let waived = findings.iter().find(|f| f["status"] == "waived").unwrap();
    assert_eq!(waived["rule"], "NET002");
    assert_eq!(waived["waiver"]["ticket"], "SEC-311");
    let nb002 = findings.iter().find(|f| f["rule"] == "NB002").unwrap();
    assert_eq!(nb002["location"]["path"], DEMO_CONFIG);
    assert_eq!(nb002["location"]["line"], 26);
    assert_eq!(out["summary"]["exit_code"], 1);
    assert_eq!(out["summary"]["waived"], 1);
    assert_eq!(out["summary"]["not_assessed"], 1);

    let schema_text = std::fs::read_to_string(repo().join("docs/findings.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&json(&schema_text)).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&out)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&json(&text))
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--format",
        "sarif",
    ]);
    assert_eq!(run.code, 1);
    let sarif = json(&run.stdout);
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let net001 = rules.iter().find(|r| r["id"] == "NET001").unwrap();
    assert_eq!(net001["properties"]["security-severity"], "9.5");
    assert_eq!(net001["name"], "ssh-ingress-allowed");
    assert!(
        net001["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    assert!(
        net001["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules/NET001.md")
    );
    let results = run0["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["ruleId"] != "NET002"),
        "waived findings are left out of SARIF"
    );
    let critical = results
        .iter()
        .find(|r| r["ruleId"] == "NET001" && r["properties"]["severity"] == "critical")
        .unwrap();
    assert_eq!(critical["level"], "error");
    assert_eq!(
        critical["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60041"
    );
    assert!(critical["partialFingerprints"]["nobastion/v1"].is_string());
    let medium = results.iter().find(|r| r["ruleId"] == "EC2002").unwrap();
    assert_eq!(medium["level"], "warning");
    let info = results.iter().find(|r| r["ruleId"] == "NB003").unwrap();
    assert_eq!(info["level"], "note");
    let file = &info["locations"][0]["physicalLocation"];
    assert_eq!(file["artifactLocation"]["uri"], "examples/nobastion.toml");
    assert_eq!(file["region"]["startLine"], 35);
    let index = usize::try_from(critical["ruleIndex"].as_u64().unwrap()).unwrap();
    assert_eq!(rules[index]["id"], "NET001");
}

#[test]
fn the_sarif_validator_rejects_invalid_logs() {
    // Guards the test above: the validator must actually catch a broken log.
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--format",
        "sarif",
    ]);
    let mut sarif = json(&run.stdout);
    sarif["runs"][0]["results"][0]["level"] = Value::from("catastrophic");
    assert!(!sarif_validator().is_valid(&sarif));
    if let Ok(text) = std::fs::read_to_string(
        repo().join("../shared/corpus/sarif/invalid/openapi_runner_results.sarif"),
    ) {
        assert!(
            !sarif_validator().is_valid(&json(&text)),
            "the corpus's invalid log (no tool) is rejected"
        );
    }
}

#[test]
fn fingerprints_are_stable_across_runs() {
    let a = json(
        &nobastion(&[
            "check",
            "--snapshot",
            DEMO,
            "-f",
            "json",
            "--allow-incomplete",
        ])
        .stdout,
    );
    let b = json(
        &nobastion(&[
            "check",
            "--snapshot",
            DEMO,
            "-f",
            "json",
            "--allow-incomplete",
        ])
        .stdout,
    );
    let prints = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(prints(&a), prints(&b));
    let mut unique = prints(&a);
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        prints(&a).len(),
        "fingerprints are unique per finding"
    );
}

#[test]
fn statistics_output_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("report.json");
    let out_text = out_path.to_str().unwrap();
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "-f",
        "json",
        "--statistics",
        "-o",
        out_text,
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "the report goes to the file only");
    let out = json(&std::fs::read_to_string(&out_path).unwrap());
    let stats = out["statistics"].as_array().unwrap();
    let ec2002 = stats.iter().find(|s| s["rule"] == "EC2002").unwrap();
    assert_eq!(ec2002["failed"], 2);
    assert!(ec2002["passed"].as_u64().unwrap() >= 1);
    let table = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--statistics",
    ]);
    assert!(
        table.stdout.contains("instance-key-pair"),
        "{}",
        table.stdout
    );
    assert!(
        !table.stdout.contains("ops-legacy"),
        "statistics replace the individual findings"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--color",
        "always",
    ]);
    assert!(run.stdout.contains("\x1b["));
    let run = nobastion(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--color",
        "never",
    ]);
    assert!(!run.stdout.contains('\x1b'));
}

#[test]
fn bad_snapshots_are_input_errors_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("empty.json", "", "empty.json: the file is empty"),
        (
            "truncated.json",
            "{\"schema_version\": 1,\n \"accounts\": [{\"id\": \"1\",",
            "truncated.json:2:",
        ),
        (
            "wrong-type.json",
            "{\"schema_version\": 1,\n \"accounts\": [\n  {\"id\": \"1\", \"regions\": 5}]}",
            "wrong-type.json:3:",
        ),
        (
            "not-a-snapshot.json",
            "{\"hello\": \"world\"}",
            "not a nobastion snapshot",
        ),
        (
            "newer.json",
            "{\"schema_version\": 7, \"accounts\": []}",
            "newer than this nobastion supports",
        ),
        ("binary.json", "\u{0}\u{1}\u{2}PK", "binary.json:1:"),
        (
            "typo.json",
            "{\"schema_version\": 1, \"acounts\": []}",
            "unknown field `acounts`",
        ),
    ];
    for (name, text, expected) in cases {
        std::fs::write(dir.path().join(name), text).unwrap();
        let run = nobastion_in(dir.path(), &["check", "--snapshot", name]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{name}: expected {expected:?} in {:?}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    }
    let run = nobastion_in(dir.path(), &["check", "--snapshot", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    let run = nobastion_in(dir.path(), &["check", "--snapshot", "missing.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("missing.json: cannot read"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_config_is_an_input_error_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nobastion.toml"),
        "fail-on = \"low\"\n[thresholds]\nidle-timeout = 5\n",
    )
    .unwrap();
    let snapshot = repo().join(DEMO);
    let run = nobastion_in(
        dir.path(),
        &["check", "--snapshot", snapshot.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("nobastion.toml:3:") && run.stderr.contains("idle-timeout"),
        "{}",
        run.stderr
    );
}

#[test]
fn rules_json_lists_complete_metadata() {
    let run = nobastion(&["rules", "--format", "json"]);
    assert_eq!(run.code, 0);
    let rules = json(&run.stdout);
    let rules = rules.as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "NET001", "NET002", "EC2001", "EC2002", "LOG002", "NB001", "NB002", "NB003",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for rule in rules {
        for key in [
            "name",
            "title",
            "severity",
            "status",
            "since",
            "description",
            "rationale",
        ] {
            assert!(
                rule[key].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{} lacks {key}",
                rule["id"]
            );
        }
        for key in ["console", "terraform", "cloudformation"] {
            assert!(
                rule["remediation"][key]
                    .as_str()
                    .is_some_and(|s| !s.trim().is_empty()),
                "{} lacks remediation.{key}",
                rule["id"]
            );
        }
        assert!(
            !rule["references"].as_array().unwrap().is_empty(),
            "{} lacks references",
            rule["id"]
        );
        let engine = rule["implementation"] == "engine";
        assert_eq!(
            rule["compliance"].as_object().unwrap().is_empty(),
            engine,
            "{}: rules about the account map to controls; the tool's own (NB) rules do not",
            rule["id"]
        );
    }
}

#[test]
fn explain_prints_the_rule_documentation() {
    let run = nobastion(&["explain", "NET001"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("# NET001: ssh-ingress-allowed"));
    for section in [
        "## What fails",
        "## Why it matters",
        "## How to fix",
        "### Terraform",
        "### CloudFormation",
        "## Compliance",
    ] {
        assert!(run.stdout.contains(section), "{section}");
    }
    assert_eq!(
        nobastion(&["explain", "ssh-ingress-allowed"]).stdout,
        run.stdout,
        "by name too"
    );
    let unknown = nobastion(&["explain", "NET9"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no rule `NET9`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn generated_docs_and_schemas_are_up_to_date() {
    let run = nobastion(&["rules", "--check-docs", "docs/rules"]);
    assert_eq!(run.code, 0, "rule docs are stale:\n{}", run.stderr);
    for (which, file) in [
        ("snapshot", "docs/snapshot.schema.json"),
        ("findings", "docs/findings.schema.json"),
    ] {
        let generated = nobastion(&["schema", which]).stdout;
        let committed = std::fs::read_to_string(repo().join(file)).unwrap_or_default();
        assert!(
            generated == committed,
            "{file} is stale: run `cargo run -- schema {which} > {file}`"
        );
    }
}

#[test]
fn check_docs_reports_stale_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    assert_eq!(nobastion(&["rules", "--write-docs", path]).code, 0);
    std::fs::write(dir.path().join("NET001.md"), "edited by hand").unwrap();
    std::fs::write(dir.path().join("ZZZ999.md"), "no such rule").unwrap();
    let run = nobastion(&["rules", "--check-docs", path]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("NET001.md: out of date")
            && run.stderr.contains("ZZZ999.md: no such rule"),
        "{}",
        run.stderr
    );
}

#[test]
fn demo_snapshot_round_trips_through_the_schema() {
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    let schema = json(&std::fs::read_to_string(repo().join("docs/snapshot.schema.json")).unwrap());
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value = json(&text);
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let snapshot = nobastion::model::Snapshot::from_json(&text, DEMO).unwrap();
    let again =
        nobastion::model::Snapshot::from_json(&snapshot.to_json_pretty(), "again.json").unwrap();
    assert!(
        again == snapshot,
        "the demo snapshot does not survive a JSON round trip"
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nobastion"))
        .args([
            "check",
            "--snapshot",
            DEMO,
            "--config",
            DEMO_CONFIG,
            "-f",
            "json",
        ])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
    assert_eq!(
        status.code(),
        Some(1),
        "the exit code still reflects the findings"
    );
}

#[test]
fn help_explains_exit_codes_and_commands() {
    let run = nobastion(&["--help"]);
    assert_eq!(run.code, 0);
    for text in ["check", "rules", "explain", "Exit codes", "3 incomplete"] {
        assert!(run.stdout.contains(text), "{text}: {}", run.stdout);
    }
    let run = nobastion(&["check", "--help"]);
    for flag in [
        "--snapshot",
        "--format",
        "--fail-on",
        "--select",
        "--ignore",
        "--exit-zero",
        "--allow-incomplete",
        "--statistics",
        "--config",
        "--output",
    ] {
        assert!(run.stdout.contains(flag), "{flag}");
    }
}

/// `evidence` and `access` read a snapshot or scan live; options that choose what to scan
/// live make no sense with a snapshot and are refused before anything is read or called.
#[cfg(feature = "live")]
#[test]
fn live_scan_options_with_a_snapshot_are_usage_errors() {
    for (args, named) in [
        (
            vec!["access", "--snapshot", DEMO, "--region", "eu-west-1"],
            "--region chooses",
        ),
        (
            vec![
                "evidence",
                "--snapshot",
                DEMO,
                "--out",
                "unused-bundle",
                "--org-role",
                "Audit",
                "--all-regions",
            ],
            "--all-regions, --org-role choose",
        ),
    ] {
        let run = nobastion(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(named) && run.stderr.contains("--snapshot"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!std::path::Path::new("unused-bundle").exists());
}
