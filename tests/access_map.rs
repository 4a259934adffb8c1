//! The access map of a snapshot with every kind of grant (tests/fixtures/access/snapshot.json)
//! equals the matrix worked out by hand from the IAM rules: unscoped (admin), tag-scoped
//! (dev-alice), group-granted (ops-bob), conditional on unknown context (cond-carol: source
//! IP; ci-deployer: the session tags of a federated role; breakglass: `ec2:osuser`), denied by
//! a Deny statement (denied-dave on prod), by the default-shell access check (checked-frank),
//! by a permission boundary (ops-admin: no `SendCommand`) and by an SCP (Instance Connect for
//! everyone but breakglass), indeterminate (weird-erin: an unreadable condition value), a
//! hybrid node, an instance whose SSM registration is unconfirmed, and instances left out
//! (offline, stopped). Trust analysis and the views are checked on the same fixture.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::nobastion;

const FIXTURE: &str = "tests/fixtures/access/snapshot.json";
const ACCOUNT: &str = "111122223333";

type Cell = (String, String, String, String);

fn cells(json: &Value) -> BTreeSet<Cell> {
    json["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| {
            let principal = c["principal"].as_str().unwrap();
            (
                c["instance"].as_str().unwrap().to_owned(),
                principal.rsplit(':').next().unwrap().to_owned(),
                c["path"].as_str().unwrap().to_owned(),
                c["access"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn json(args: &[&str]) -> (i32, Value) {
    let run = nobastion(args);
    let value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", run.stdout, run.stderr));
    (run.code, value)
}

const SESSION_PATHS: [&str; 4] = ["shell", "port-forwarding", "ssh", "interactive-command"];
const EC2: [&str; 5] = ["i-prod1", "i-prod2", "i-dev1", "i-untagged", "i-eu1"];
const ALL: [&str; 6] = [
    "i-prod1",
    "i-prod2",
    "i-dev1",
    "i-untagged",
    "mi-hybrid1",
    "i-eu1",
];

fn expected() -> BTreeSet<Cell> {
    let mut out = BTreeSet::new();
    let mut add = |instances: &[&str], principal: &str, paths: &[&str], access: &str| {
        for i in instances {
            for p in paths {
                out.insert((
                    (*i).to_owned(),
                    principal.to_owned(),
                    (*p).to_owned(),
                    access.to_owned(),
                ));
            }
        }
    };
    // `*` on `*`: every Session Manager path everywhere; the SCP denies Instance Connect.
    let admin_paths = [
        "shell",
        "port-forwarding",
        "ssh",
        "interactive-command",
        "send-command",
    ];
    add(&ALL, "user/admin", &admin_paths, "allowed");
    // Tag-scoped to Env=dev on EC2 instances (the hybrid node is not an EC2 instance).
    add(&["i-dev1"], "user/dev-alice", &["shell"], "allowed");
    // The ops group: Env=prod anywhere, plus one port-forwarding document.
    add(
        &["i-prod1", "i-prod2", "i-eu1"],
        "user/ops-bob",
        &["shell", "port-forwarding"],
        "allowed",
    );
    // Only from the office network: unknown at scan time.
    add(&ALL, "user/cond-carol", &SESSION_PATHS, "allowed-if");
    // Allowed everywhere but denied on Env=prod.
    add(
        &["i-dev1", "i-untagged", "mi-hybrid1"],
        "user/denied-dave",
        &SESSION_PATHS,
        "allowed",
    );
    // The access check is enforced and the default shell is not granted: SSH only.
    add(&EC2, "user/checked-frank", &["ssh"], "allowed");
    // NumericLessThan "abc" against the Tier tag: cannot be decided.
    add(&["i-prod2"], "user/weird-erin", &["shell"], "indeterminate");
    // ssm:* limited by a boundary that allows StartSession only: no SendCommand.
    add(&ALL, "role/ops-admin", &SESSION_PATHS, "allowed");
    // A federated role: SendCommand on dev; StartSession where Team matches a session tag.
    add(
        &["i-dev1"],
        "role/ci-deployer",
        &["send-command"],
        "allowed",
    );
    add(
        &["i-prod1", "i-prod2"],
        "role/ci-deployer",
        &["shell"],
        "allowed-if",
    );
    // SSH keys for one OS user; the SCP exempts this role.
    add(&EC2, "role/breakglass", &["instance-connect"], "allowed-if");
    out
}

#[test]
fn the_map_equals_the_expected_matrix() {
    let (code, map) = json(&["access", "--snapshot", FIXTURE, "--format", "json"]);
    let got = cells(&map);
    let want = expected();
    let missing: Vec<&Cell> = want.difference(&got).collect();
    let extra: Vec<&Cell> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    // Incomplete: an indeterminate grant, and eu-west-1's managed instances were not read.
    assert_eq!(code, 3);
    assert_eq!(map["complete"], false);
    let instances: Vec<&str> = map["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(instances, ALL, "offline and stopped instances are left out");
    let eu = &map["instances"][5];
    assert_eq!(eu["ssm"], "unconfirmed");
    assert_eq!(
        map["instances"][4]["arn"],
        "arn:aws:ssm:us-east-1:111122223333:managed-instance/mi-hybrid1"
    );
    let notes = map["notes"].to_string();
    assert!(notes.contains("could not be confirmed"), "{notes}");
    assert!(notes.contains("not online"), "{notes}");
}

fn find<'a>(map: &'a Value, instance: &str, principal: &str, path: &str) -> &'a Value {
    map["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["instance"] == instance
                && c["principal"].as_str().unwrap().ends_with(principal)
                && c["path"] == path
        })
        .unwrap_or_else(|| panic!("no cell {instance} {principal} {path}"))
}

#[test]
fn conditions_and_explanations_name_the_statements() {
    let (_, plain) = json(&["access", "--snapshot", FIXTURE, "--format", "json"]);
    let cell = find(&plain, "i-eu1", "user/ops-bob", "shell");
    assert_eq!(cell["statements"][0]["sid"], "StartOnProd", "{cell}");
    assert!(
        cell.get("explanation").is_none(),
        "the matrix is compact without --explain"
    );
    let (_, map) = json(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--format",
        "json",
        "--explain",
    ]);
    let carol = find(&map, "i-prod1", "user/cond-carol", "port-forwarding");
    let conditions = carol["conditions"].as_str().unwrap();
    assert!(
        conditions.starts_with(
            "allowed if aws:SourceIp IpAddress 10.0.0.0/8 (statement 1 (Sid FromOffice)"
        ),
        "{conditions}"
    );
    // Target and document: two checks per document, both conditional.
    let checks = carol["explanation"][0]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(
        checks[1]["resource"],
        "arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession"
    );

    let ci = find(&map, "i-prod2", "role/ci-deployer", "shell");
    assert!(
        ci["conditions"]
            .as_str()
            .unwrap()
            .contains("${aws:PrincipalTag/team}"),
        "{ci}"
    );
    let glass = find(&map, "i-dev1", "role/breakglass", "instance-connect");
    assert!(
        glass["conditions"]
            .as_str()
            .unwrap()
            .contains("ec2:osuser StringEquals ec2-user")
    );
    assert_eq!(glass["via"][0], "ec2-instance-connect:SendSSHPublicKey");

    let erin = find(&map, "i-prod2", "user/weird-erin", "shell");
    assert!(
        erin["conditions"]
            .as_str()
            .unwrap()
            .contains("\"abc\" is not a number"),
        "{erin}"
    );

    let bob = find(&map, "i-eu1", "user/ops-bob", "shell");
    assert_eq!(bob["conditions"], Value::Null);
    let statement = &bob["explanation"][0]["checks"][0]["statements"][0];
    assert_eq!(statement["policy"], "ops-sessions (inline, group ops)");
    assert_eq!(statement["sid"], "StartOnProd");
    // Bob's default shell needs no grant of its own (no access check): one check.
    assert_eq!(bob["explanation"][0]["checks"].as_array().unwrap().len(), 1);
}

#[test]
fn roles_show_who_can_assume_them() {
    let (_, map) = json(&["access", "--snapshot", FIXTURE, "--format", "json"]);
    let role = |name: &str| {
        map["principals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["arn"] == format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
            .unwrap_or_else(|| panic!("no role {name}"))
            .clone()
    };
    let ops = role("ops-admin");
    let assumers: Vec<(&str, &str)> = ops["trust"]["assumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["principal"].as_str().unwrap(),
                a["access"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        assumers,
        [
            ("arn:aws:iam::111122223333:user/admin", "allowed"),
            ("arn:aws:iam::111122223333:user/ops-bob", "allowed")
        ],
        "the account is trusted: principals whose own policies allow sts:AssumeRole"
    );
    let external: Vec<&Value> = ops["trust"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["external"] == true)
        .collect();
    assert_eq!(external.len(), 1);
    assert_eq!(external[0]["kind"], "other-account");
    assert_eq!(
        external[0]["conditions"][0],
        "sts:ExternalId StringEquals ops-2026"
    );

    let glass = role("breakglass");
    assert_eq!(
        glass["trust"]["assumers"][0]["access"], "allowed-if",
        "MFA is unknown"
    );
    let ci = role("ci-deployer");
    assert_eq!(ci["trust"]["entries"][0]["kind"], "oidc");
    assert_eq!(ci["trust"]["session_tags"], true);
    let app = role("app-instance");
    assert_eq!(app["service_path"], true);
    assert_eq!(ops["service_path"], false);
}

#[test]
fn focused_views() {
    let run = nobastion(&["access", "--snapshot", FIXTURE, "--instance", "i-dev1"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for who in ["user/dev-alice", "role/ci-deployer", "user/denied-dave"] {
        assert!(run.stdout.contains(who), "{who} missing:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("user/ops-bob"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Sid StartOnDev"),
        "the deciding statement is shown:\n{}",
        run.stdout
    );

    let (_, bob) = json(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--principal",
        "ops-bob",
        "--path",
        "port-forwarding",
        "-f",
        "json",
        "--allow-incomplete",
    ]);
    assert_eq!(bob["view"], "principals");
    let got: BTreeSet<String> = cells(&bob)
        .into_iter()
        .map(|c| format!("{} {}", c.0, c.2))
        .collect();
    assert_eq!(
        got,
        [
            "i-eu1 port-forwarding",
            "i-prod1 port-forwarding",
            "i-prod2 port-forwarding"
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    );
    assert_eq!(bob["exit_code"], 0, "--allow-incomplete");

    let run = nobastion(&["access", "--snapshot", FIXTURE, "--instance", "i-nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no managed instance `i-nope`"),
        "{}",
        run.stderr
    );
    let run = nobastion(&[
        "access",
        "--snapshot",
        FIXTURE,
        "--principal",
        "role/nobody",
    ]);
    assert_eq!(run.code, 2);
    let run = nobastion(&["access", "--snapshot", FIXTURE, "--path", "telnet"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown path `telnet`"),
        "{}",
        run.stderr
    );
}

#[test]
fn csv_and_markdown() {
    let run = nobastion(&["access", "--snapshot", FIXTURE, "-f", "csv"]);
    let mut lines = run.stdout.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "account,region,instance_id,instance_arn,instance_name,instance_tags,ssm_registration,principal_arn,principal_kind,service_path,entry_points,path,access,via,conditions,deciding_statements,expectation"
    );
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), expected().len(), "one row per grant");
    let ops = rows
        .iter()
        .find(|r| r.contains("role/ops-admin") && r.contains(",i-eu1,"))
        .unwrap();
    assert!(
        ops.contains("account 444455556666 (anyone it delegates to)"),
        "{ops}"
    );
    assert!(ops.contains(",unconfirmed,"), "{ops}");

    let run = nobastion(&["access", "--snapshot", FIXTURE, "-f", "markdown"]);
    assert!(
        run.stdout.starts_with("# Who can get a shell\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| Principal | Path | Access | Via | Deciding statements |")
    );
    assert!(run.stdout.contains("## Incomplete"), "{}", run.stdout);
}

#[test]
fn a_snapshot_without_iam_says_nobody_is_known() {
    let text = std::fs::read_to_string(support::repo().join(FIXTURE)).unwrap();
    let mut snapshot: Value = serde_json::from_str(&text).unwrap();
    snapshot["accounts"][0]["iam"] =
        serde_json::json!({"not_collected": {"message": "AccessDenied"}});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-iam.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let (code, map) = json(&["access", "--snapshot", path.to_str().unwrap(), "-f", "json"]);
    assert_eq!(code, 3);
    assert_eq!(map["cells"].as_array().unwrap().len(), 0);
    assert!(
        map["gaps"].to_string().contains("IAM not collected"),
        "{}",
        map["gaps"]
    );
    assert_eq!(
        map["instances"].as_array().unwrap().len(),
        6,
        "instances are still listed"
    );
}
