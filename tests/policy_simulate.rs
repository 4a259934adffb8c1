//! `nobastion simulate` end to end: the binary reads policy files, evaluates one request and
//! reports the decision, deciding statements and reason with the documented exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

fn simulate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nobastion"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("run nobastion");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = simulate(&all);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, value)
}

const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";

const USER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "StartDev",
      "Effect": "Allow",
      "Action": "ssm:StartSession",
      "Resource": "arn:aws:ec2:*:*:instance/*",
      "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}
    },
    {
      "Sid": "OwnSessions",
      "Effect": "Allow",
      "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
      "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"
    }
  ]
}"#;

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn allowed_with_deciding_statements_and_positions() {
    let dir = Dir::new();
    let policy = dir.file("user.json", USER_POLICY);
    let (code, v) = json(&[
        "--policy",
        p(&policy),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
        "--context",
        "ssm:resourceTag/Env=dev",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["decision"], "allowed");
    let st = &v["statements"][0];
    assert_eq!(st["sid"], "StartDev");
    assert_eq!(st["layer"], "identity");
    assert_eq!(
        (st["line"].as_u64(), st["column"].as_u64()),
        (Some(4), Some(5))
    );
    assert!(v["reason"].as_str().expect("reason").contains("StartDev"));
}

#[test]
fn implicit_and_explicit_deny_exit_1() {
    let dir = Dir::new();
    let policy = dir.file("user.json", USER_POLICY);
    let (code, v) = json(&[
        "--policy",
        p(&policy),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["decision"], "implicit-deny");
    assert_eq!(v["statements"], Value::Array(Vec::new()));

    let root = dir.file(
        "root.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let ou = dir.file(
        "ou.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"NoDevShells","Effect":"Deny","Action":"ssm:StartSession","Resource":"*","Condition":{"StringEquals":{"ssm:resourceTag/Env":"dev"}}}]}"#,
    );
    let (code, v) = json(&[
        "--policy",
        p(&policy),
        "--scp",
        p(&root),
        "--scp",
        p(&ou),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
        "--context",
        "ssm:resourceTag/Env=dev",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["decision"], "explicit-deny");
    assert_eq!(v["statements"][0]["layer"], "scp-level-2");
    assert_eq!(v["statements"][0]["sid"], "NoDevShells");
}

#[test]
fn principal_keys_are_derived_unless_given() {
    let dir = Dir::new();
    let policy = dir.file("user.json", USER_POLICY);
    let own = "arn:aws:ssm:us-east-1:111122223333:session/alice-0abc";
    let base = [
        "--policy",
        p(&policy),
        "--action",
        "ssm:TerminateSession",
        "--resource",
        own,
    ];
    let (code, v) = json(
        &[
            &base[..],
            &["--principal", "arn:aws:iam::111122223333:user/alice"],
        ]
        .concat(),
    );
    assert_eq!((code, v["decision"].as_str()), (0, Some("allowed")));
    assert_eq!(v["derived_context"]["aws:username"], "alice");
    assert_eq!(v["derived_context"]["aws:PrincipalAccount"], "111122223333");
    let (code, v) = json(
        &[
            &base[..],
            &["--principal", "arn:aws:iam::111122223333:user/bob"],
        ]
        .concat(),
    );
    assert_eq!((code, v["decision"].as_str()), (1, Some("implicit-deny")));
    // --context wins over derivation.
    let (code, v) = json(
        &[
            &base[..],
            &[
                "--principal",
                "arn:aws:iam::111122223333:user/bob",
                "--context",
                "aws:username=alice",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0);
    assert!(v["derived_context"].get("aws:username").is_none());
    // A role session has no aws:username: the self-scoped statement does not apply.
    let (code, _) = json(
        &[
            &base[..],
            &[
                "--principal",
                "arn:aws:sts::111122223333:assumed-role/Ops/alice",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 1);
}

#[test]
fn boundary_and_session_policy_must_allow() {
    let dir = Dir::new();
    let admin = dir.file(
        "admin.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let ec2 = dir.file("ec2.json", r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#);
    for flag in ["--boundary", "--session-policy"] {
        let (code, v) = json(&[
            "--policy",
            p(&admin),
            flag,
            p(&ec2),
            "--action",
            "ssm:StartSession",
            "--resource",
            INSTANCE,
        ]);
        assert_eq!(code, 1, "{flag}");
        assert_eq!(v["decision"], "implicit-deny");
    }
}

#[test]
fn indeterminate_exit_3_and_multivalued_context() {
    let dir = Dir::new();
    let ip = dir.file(
        "ip.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
    );
    let (code, v) = json(&[
        "--policy",
        p(&ip),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
        "--context",
        "aws:SourceIp=office",
    ]);
    assert_eq!(code, 3);
    assert_eq!(v["decision"], "indeterminate");
    let via = dir.file(
        "via.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:CalledVia":["cloud9.amazonaws.com","athena.amazonaws.com"]}}}}"#,
    );
    let args = |extra: &'static [&'static str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "--policy",
            p(&via),
            "--action",
            "ssm:StartSession",
            "--resource",
            INSTANCE,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |a: Vec<String>| json(&a.iter().map(String::as_str).collect::<Vec<_>>()).0;
    assert_eq!(
        run(args(&[
            "--context",
            "aws:CalledVia=cloud9.amazonaws.com",
            "--context",
            "aws:CalledVia=athena.amazonaws.com"
        ])),
        0
    );
    assert_eq!(
        run(args(&[
            "--context",
            "aws:CalledVia=cloud9.amazonaws.com",
            "--context",
            "aws:CalledVia=x"
        ])),
        1
    );
}

#[test]
fn accepts_api_forms_of_policy_documents() {
    let dir = Dir::new();
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:StartSession","Resource":"*"}}"#;
    let encoded: String = doc
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let wrapped = format!(
        r#"{{"PolicyVersion": {{"Document": {doc}, "VersionId": "v1", "IsDefaultVersion": true}}}}"#
    );
    for (name, text) in [
        ("encoded.txt", encoded),
        ("wrapped.json", wrapped),
        ("string.json", serde_json::to_string(doc).expect("json")),
    ] {
        let file = dir.file(name, &text);
        let (code, v) = json(&[
            "--policy",
            p(&file),
            "--action",
            "ssm:StartSession",
            "--resource",
            INSTANCE,
        ]);
        assert_eq!(
            (code, v["decision"].as_str()),
            (0, Some("allowed")),
            "{name}"
        );
    }
}

#[test]
fn errors_exit_2_with_file_line_and_column() {
    let dir = Dir::new();
    let bad = dir.file("bad.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}\n");
    let (code, _, stderr) = simulate(&[
        "--policy",
        p(&bad),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bad.json:3:28: unknown Effect \"allow\""),
        "{stderr}"
    );
    let empty = dir.file("empty.json", "");
    let (code, _, stderr) = simulate(&[
        "--policy",
        p(&empty),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("empty document"), "{stderr}");
    let good = dir.file("good.json", USER_POLICY);
    let (code, _, stderr) = simulate(&[
        "--policy",
        p(&good),
        "--action",
        "StartSession",
        "--resource",
        INSTANCE,
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid action name"), "{stderr}");
    let (code, _, stderr) = simulate(&[
        "--policy",
        p(&good),
        "--action",
        "ssm:StartSession",
        "--resource",
        INSTANCE,
        "--context",
        "novalue",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected KEY=VALUE"), "{stderr}");
    let (code, _, _) = simulate(&["--action", "ssm:StartSession", "--resource", INSTANCE]);
    assert_eq!(code, 2, "--policy is required");
}

#[test]
fn table_output_names_the_statement() {
    let dir = Dir::new();
    let policy = dir.file("user.json", USER_POLICY);
    let (code, stdout, _) = simulate(&[
        "--policy",
        p(&policy),
        "--action",
        "ssm:ResumeSession",
        "--resource",
        "arn:aws:ssm:us-east-1:111122223333:session/alice-0abc",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("Decision: allowed\n"), "{stdout}");
    assert!(
        stdout.contains("OwnSessions") && stdout.contains("11:5"),
        "{stdout}"
    );
    assert!(stdout.contains("aws:username=alice"), "{stdout}");
}
