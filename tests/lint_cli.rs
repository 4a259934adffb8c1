//! `nobastion lint` as a CI pipeline runs it: every output format points at the file and
//! line, bad inputs are errors naming the file (exit 2) while the rest is still linted,
//! encodings, include/exclude, configuration and waivers, and baselines that survive edits.

mod lint_support;
mod support;

use std::fs;
use std::path::Path;

use lint_support::line_of;
use serde_json::Value;
use support::{nobastion, nobastion_in, repo};

const NETWORK_YAML: &str = "tests/fixtures/iac/cloudformation/network.yaml";
const NETWORK_PLAN: &str = "tests/fixtures/iac/terraform/network.plan.json";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn findings(report: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["resource"]["address"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn table_json_sarif_and_github_point_at_file_and_line() {
    let yaml = repo().join(NETWORK_YAML);
    let bastion_line = line_of(&yaml, "FromPort: '22'") - 1;

    let table = nobastion(&["lint", NETWORK_YAML]);
    assert_eq!(
        table.code, 3,
        "NB001 for the conditional group: {}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains(&format!("{NETWORK_YAML}:{bastion_line}")),
        "{}",
        table.stdout
    );

    let report = json(&nobastion(&["lint", NETWORK_YAML, "-f", "json"]).stdout);
    let bastion = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NET001")
        .unwrap();
    assert_eq!(bastion["location"]["path"], NETWORK_YAML);
    assert_eq!(bastion["location"]["line"], bastion_line);
    assert_eq!(bastion["location"]["column"], 11);
    assert_eq!(bastion["resource"]["address"], "BastionSg");

    let sarif = json(&nobastion(&["lint", NETWORK_YAML, "-f", "sarif"]).stdout);
    let schema_text =
        fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&json(&schema_text))
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "NET001")
        .unwrap();
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], NETWORK_YAML);
    assert_eq!(physical["region"]["startLine"], bastion_line);
    assert_eq!(physical["region"]["startColumn"], 11);
    assert_eq!(result["level"], "error");

    let github = nobastion(&["lint", NETWORK_YAML, "-f", "github"]);
    assert_eq!(github.code, 3);
    let expected = format!(
        "::error file={NETWORK_YAML},line={bastion_line},col=11,title=NET001 ssh-ingress-allowed::Security group BastionSg (legacy-bastion) allows SSH (TCP 22) from 0.0.0.0/0"
    );
    assert!(
        github.stdout.lines().any(|l| l == expected),
        "missing {expected}\n{}",
        github.stdout
    );
    assert!(
        github
            .stdout
            .lines()
            .any(|l| l.starts_with("::warning file=")
                && l.contains("title=EC2002 instance-key-pair"))
    );
    assert!(
        github
            .stdout
            .lines()
            .any(|l| l.starts_with("::error ") && l.contains("title=NB001 not assessed"))
    );
    assert!(
        github
            .stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("nobastion: ")
    );
}

/// A directory with one good template and every kind of bad input.
/// Returns the line on which the truncated plan ends.
fn bad_inputs(dir: &Path) -> usize {
    fs::copy(repo().join(NETWORK_YAML), dir.join("good.yaml")).unwrap();
    fs::write(
        dir.join("invalid.json"),
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",,}\n  ]\n}\n",
    )
    .unwrap();
    let plan = fs::read_to_string(repo().join(NETWORK_PLAN)).unwrap();
    let half = &plan[..plan.len() / 2];
    fs::write(dir.join("truncated.plan.json"), half).unwrap();
    fs::write(
        dir.join("future.plan.json"),
        "{\n  \"format_version\": \"2.0\",\n  \"terraform_version\": \"2.0.0\",\n  \"resource_changes\": []\n}\n",
    )
    .unwrap();
    fs::write(
        dir.join("binary.json"),
        b"\x7fELF\x02\x01\x01\x00\x00\x00garbage",
    )
    .unwrap();
    fs::write(dir.join("empty.yaml"), "").unwrap();
    fs::write(dir.join("bad.yaml"), "Resources:\n  A: [1, 2\n  B: 3\n").unwrap();
    fs::write(dir.join("deep.json"), "[".repeat(100_000)).unwrap();
    fs::write(
        dir.join("deep.yaml"),
        "a: ".to_owned() + &"[".repeat(100_000),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("does-not-exist.json"), dir.join("dangling.json")).unwrap();
    half.lines().count()
}

#[test]
fn bad_inputs_are_errors_naming_the_file_while_the_rest_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    let truncated_line = bad_inputs(dir.path()).to_string();
    let run = nobastion_in(dir.path(), &["lint", ".", "-f", "json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let report = json(&run.stdout);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e["path"].as_str().unwrap(),
                e["line"]
                    .as_u64()
                    .map_or_else(|| "-".to_owned(), |l| l.to_string()),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    let expect = |path: &str, line: &str, words: &str| {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{path}:{line}: ")) && e.contains(words)),
            "no error for {path}:{line} containing {words:?} in {errors:#?}"
        );
    };
    expect("invalid.json", "3", "invalid JSON");
    expect(
        "truncated.plan.json",
        &truncated_line,
        "the file is truncated",
    );
    expect(
        "future.plan.json",
        "2",
        "unsupported Terraform plan format_version \"2.0\"",
    );
    expect("binary.json", "1", "binary file");
    expect("empty.yaml", "-", "empty");
    expect("bad.yaml", "3", "invalid YAML");
    expect("deep.json", "1", "nesting deeper than 512 levels");
    expect("deep.yaml", "1", "nesting deeper");
    #[cfg(unix)]
    expect("dangling.json", "-", "cannot read");
    // The good template is still linted.
    assert!(
        findings(&report)
            .iter()
            .any(|(rule, address, _)| rule == "NET001" && address == "BastionSg")
    );
    assert_eq!(report["summary"]["exit_code"], 2);

    // Every format carries the errors.
    let table = nobastion_in(dir.path(), &["lint", "."]);
    assert_eq!(table.code, 2);
    assert!(
        table.stdout.starts_with("error: "),
        "errors first:\n{}",
        table.stdout
    );
    assert!(table.stdout.contains("error: invalid.json:3:"));
    let sarif = json(&nobastion_in(dir.path(), &["lint", ".", "-f", "sarif"]).stdout);
    let notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notifications.iter().any(|n| {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "future.plan.json"
            && n["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    }));
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    let github = nobastion_in(dir.path(), &["lint", ".", "-f", "github"]);
    assert!(
        github
            .stdout
            .lines()
            .any(|l| l.starts_with("::error file=invalid.json,line=3,"))
    );
}

#[test]
fn unreadable_files_are_errors() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        fs::copy(repo().join(NETWORK_YAML), dir.path().join("good.yaml")).unwrap();
        let locked = dir.path().join("locked.json");
        fs::write(&locked, "{\"Statement\": []}").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&locked).is_ok() {
            println!("skipped: running as root, permissions do not stop reads");
            return;
        }
        let run = nobastion_in(dir.path(), &["lint", ".", "-f", "json"]);
        assert_eq!(run.code, 2);
        let report = json(&run.stdout);
        assert_eq!(report["errors"][0]["path"], "locked.json");
        assert!(
            report["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("cannot read")
        );
    }
}

#[test]
fn encodings_bom_utf16_and_crlf_give_the_same_findings() {
    let text = fs::read_to_string(repo().join(NETWORK_YAML)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crlf = text.replace('\n', "\r\n");
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("plain.yaml", text.clone().into_bytes()),
        (
            "bom.yaml",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ),
        ("crlf.yaml", crlf.clone().into_bytes()),
        (
            "utf16le.yaml",
            [0xFF, 0xFE]
                .into_iter()
                .chain(crlf.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
        ),
        (
            "utf16be.yaml",
            [0xFE, 0xFF]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        ),
    ];
    let mut results = Vec::new();
    for (name, bytes) in &variants {
        fs::write(dir.path().join(name), bytes).unwrap();
        let run = nobastion_in(dir.path(), &["lint", name, "-f", "json"]);
        assert_eq!(run.code, 3, "{name}: {}", run.stdout);
        let mut report = findings(&json(&run.stdout));
        report.sort();
        results.push((name, report));
    }
    let (_, first) = &results[0];
    assert!(first.len() >= 7);
    for (name, found) in &results[1..] {
        assert_eq!(found, first, "{name}");
    }
    // The checkov corpus has a real UTF-16 plan with CRLF. Its only finding-worthy resource
    // is `aws_iam_role_policy.fail_1`, `*` on `*` for a role outside the plan: a standalone
    // document the IAM rules judge (IAM001–IAM007 fail on it; IAM008 and IAM009 do not
    // apply to documents).
    if let Some(corpus) = lint_support::corpus() {
        let plan = corpus.join(
            "terraform-plans/checkov/terraform__runner__resources__plan_with_utf_16_encoding__tfplan.json",
        );
        let run = nobastion(&["lint", plan.to_str().unwrap(), "-f", "json"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let found = findings(&json(&run.stdout));
        let rules: Vec<&str> = found
            .iter()
            .filter(|(_, address, _)| address == "aws_iam_role_policy.fail_1")
            .map(|(rule, _, _)| rule.as_str())
            .collect();
        assert_eq!(
            rules,
            [
                "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007"
            ],
            "{found:?}"
        );
        assert_eq!(found.len(), rules.len(), "{found:?}");
    }
}

#[test]
fn directories_include_exclude_and_nothing_to_lint() {
    let fixtures = "tests/fixtures/iac";
    let all = json(
        &nobastion(&[
            "lint",
            fixtures,
            "-f",
            "json",
            "--write-snapshot",
            "/dev/null",
        ])
        .stdout,
    );
    let rules: Vec<String> = findings(&all).into_iter().map(|f| f.0).collect();
    assert!(rules.contains(&"LOG002".to_owned()) && rules.contains(&"NET001".to_owned()));

    let yaml_only =
        json(&nobastion(&["lint", fixtures, "--include", "*.yaml", "-f", "json"]).stdout);
    let paths: Vec<String> = yaml_only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str().map(str::to_owned))
        .collect();
    assert!(!paths.is_empty());
    assert!(
        paths.iter().all(|p| Path::new(p)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))),
        "{paths:?}"
    );

    let no_terraform = json(
        &nobastion(&[
            "lint",
            fixtures,
            "--exclude",
            "terraform",
            "--exclude",
            "iam/*.json",
            "-f",
            "json",
        ])
        .stdout,
    );
    assert!(
        no_terraform["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["location"]["path"]
                .as_str()
                .unwrap_or("")
                .contains("terraform"))
    );

    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("package.json"),
        "{\"name\": \"x\", \"version\": \"1.0.0\"}",
    )
    .unwrap();
    fs::write(dir.path().join("README.md"), "# hello\n").unwrap();
    fs::copy(repo().join(NETWORK_YAML), dir.path().join("network.yaml")).unwrap();
    let noted = nobastion_in(
        dir.path(),
        &["lint", ".", "--select", "NET001", "--allow-incomplete"],
    );
    assert!(
        noted.stderr.contains("skipped 1 JSON/YAML file(s)")
            && noted.stderr.contains("package.json"),
        "{}",
        noted.stderr
    );
    assert!(!noted.stderr.contains("README"), "{}", noted.stderr);
    fs::remove_file(dir.path().join("network.yaml")).unwrap();
    let nothing = nobastion_in(dir.path(), &["lint", "."]);
    assert_eq!(nothing.code, 2);
    assert!(
        nothing
            .stderr
            .contains("no IAM policy, Terraform plan or CloudFormation template found"),
        "{}",
        nothing.stderr
    );
    // Named explicitly, a file that is not an input is an error.
    let explicit = nobastion_in(dir.path(), &["lint", "package.json", "-f", "json"]);
    assert_eq!(explicit.code, 2);
    assert!(
        json(&explicit.stdout)["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not an IAM policy")
    );
    let bad_glob = nobastion(&["lint", fixtures, "--include", "a[b"]);
    assert_eq!(bad_glob.code, 2);
    assert!(bad_glob.stderr.contains("invalid glob"));
}

#[test]
fn configuration_and_waivers_apply_to_lint() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(repo().join(NETWORK_YAML), dir.path().join("network.yaml")).unwrap();
    fs::write(
        dir.path().join("nobastion.toml"),
        "ignore = [\"EC2\"]\n\n[[waiver]]\nrule = \"NET001\"\nresource = \"Bastion*\"\nreason = \"legacy, removal planned\"\nexpires = 2999-12-31\n",
    )
    .unwrap();
    let run = nobastion_in(
        dir.path(),
        &["lint", "network.yaml", "-f", "json", "--allow-incomplete"],
    );
    let report = json(&run.stdout);
    let statuses: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("NET001".into(), "waived".into())),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|(rule, _)| !rule.starts_with("EC2")),
        "{statuses:?}"
    );
    // NET002 on AppSg remains.
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn baselines_fail_only_on_new_findings_and_survive_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(repo().join(NETWORK_YAML)).unwrap();
    fs::write(dir.path().join("network.yaml"), &original).unwrap();
    let first = nobastion_in(
        dir.path(),
        &[
            "lint",
            "network.yaml",
            "--write-baseline",
            "baseline.json",
            "-f",
            "json",
        ],
    );
    assert_eq!(first.code, 3);
    let baseline = json(&fs::read_to_string(dir.path().join("baseline.json")).unwrap());
    assert_eq!(
        findings(&baseline),
        findings(&json(&first.stdout)),
        "the baseline holds the complete report"
    );

    // Move every resource down: a new resource before them, comments, blank lines.
    let moved = original.replacen(
        "Resources:\n",
        "Resources:\n  # Added later: an unrelated resource moves everything down.\n  Unrelated:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.9.0.0/16\n\n\n",
        1,
    );
    fs::write(dir.path().join("network.yaml"), &moved).unwrap();
    let same = nobastion_in(
        dir.path(),
        &[
            "lint",
            "network.yaml",
            "--baseline",
            "baseline.json",
            "-f",
            "json",
        ],
    );
    assert_eq!(same.code, 0, "nothing new: {}", same.stdout);
    let report = json(&same.stdout);
    assert!(report["findings"].as_array().unwrap().is_empty());
    let known = findings(&baseline).len();
    assert!(known >= 7);
    assert_eq!(report["summary"]["baselined"], known);

    // A new problem is reported, and only it.
    let added = moved.replacen(
        "Resources:\n",
        "Resources:\n  NewSg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: new\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0}\n",
        1,
    );
    fs::write(dir.path().join("network.yaml"), &added).unwrap();
    let new = nobastion_in(
        dir.path(),
        &[
            "lint",
            "network.yaml",
            "--baseline",
            "baseline.json",
            "-f",
            "json",
        ],
    );
    assert_eq!(new.code, 1, "{}", new.stdout);
    let new_line = added
        .lines()
        .position(|l| l.contains("FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0"))
        .unwrap()
        + 1;
    assert_eq!(
        findings(&json(&new.stdout)),
        [("NET002".to_owned(), "NewSg".to_owned(), new_line as u64)]
    );
    let table = nobastion_in(
        dir.path(),
        &["lint", "network.yaml", "--baseline", "baseline.json"],
    );
    assert!(
        table
            .stdout
            .contains(&format!("{known} in the baseline (not shown)")),
        "{}",
        table.stdout
    );
}

#[test]
fn sarif_reports_are_baselines_and_missing_baselines_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(repo().join(NETWORK_YAML)).unwrap();
    fs::write(dir.path().join("network.yaml"), &original).unwrap();
    let sarif = nobastion_in(
        dir.path(),
        &["lint", "network.yaml", "-f", "sarif", "-o", "old.sarif"],
    );
    assert_eq!(sarif.code, 3);
    let added = original.replacen(
        "Resources:\n",
        "Resources:\n  NewSg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: new\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}\n",
        1,
    );
    fs::write(dir.path().join("network.yaml"), &added).unwrap();
    let from_sarif = nobastion_in(
        dir.path(),
        &[
            "lint",
            "network.yaml",
            "--baseline",
            "old.sarif",
            "-f",
            "json",
        ],
    );
    assert_eq!(from_sarif.code, 1);
    let new: Vec<(String, String)> = findings(&json(&from_sarif.stdout))
        .into_iter()
        .map(|(rule, address, _)| (rule, address))
        .collect();
    assert_eq!(new, [("NET001".to_owned(), "NewSg".to_owned())]);

    let missing = nobastion_in(
        dir.path(),
        &["lint", "network.yaml", "--baseline", "nope.json"],
    );
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope.json"), "{}", missing.stderr);
}

#[test]
fn help_lists_lint_and_its_options() {
    let help = nobastion(&["lint", "--help"]);
    assert_eq!(help.code, 0);
    for option in [
        "--include",
        "--exclude",
        "--baseline",
        "--write-baseline",
        "github",
    ] {
        assert!(
            help.stdout.contains(option),
            "missing {option}:\n{}",
            help.stdout
        );
    }
}

#[test]
fn the_snapshot_lint_builds_replays_with_check_and_validates_against_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot_path = dir.path().join("snapshot.json");
    let snapshot_arg = snapshot_path.to_str().unwrap();
    let lint = nobastion(&[
        "lint",
        "tests/fixtures/iac",
        "-f",
        "json",
        "--write-snapshot",
        snapshot_arg,
    ]);
    let replay = nobastion(&["check", "--snapshot", snapshot_arg, "-f", "json"]);
    assert_eq!(lint.code, replay.code, "{}", replay.stderr);
    let fingerprints = |text: &str| {
        let mut out: Vec<String> = json(text)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    assert_eq!(fingerprints(&lint.stdout), fingerprints(&replay.stdout));

    let snapshot = json(&fs::read_to_string(&snapshot_path).unwrap());
    assert_eq!(snapshot["metadata"]["source"], "iac");
    assert_eq!(snapshot["metadata"]["partial"], true);
    let schema = json(&fs::read_to_string(repo().join("docs/snapshot.schema.json")).unwrap());
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&snapshot)
        .map(|e| e.to_string())
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
