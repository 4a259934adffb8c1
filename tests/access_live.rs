//! `nobastion access` and `nobastion evidence` reading a live account (no `--snapshot`):
//! the AWS emulator is seeded with `tests/moto/seed_access.py` (instances with different
//! tags; principals whose access is unscoped, tag-scoped, granted through a group, limited by
//! a permission boundary, cut by a Deny, or absent) and the access map must list exactly the
//! grants AWS would make — no more, no fewer — for the paths the seed exercises. The same
//! account then goes into an evidence bundle, which must say it came from a live scan and
//! carry the same access map.

#![cfg(feature = "live")]

#[path = "support/moto.rs"]
mod moto;

use std::collections::BTreeSet;

use serde_json::Value;

use moto::{Launch, Moto, run, text};

/// Every path of the access map.
const PATHS: [&str; 6] = [
    "shell",
    "port-forwarding",
    "ssh",
    "interactive-command",
    "send-command",
    "instance-connect",
];

/// (principal name, instance seed key, path) of every definite grant.
type Grants = BTreeSet<(String, String, String)>;

fn grants(map: &Value, moto: &Moto, paths: &[&str]) -> Grants {
    let keys = ["prod", "dev", "untagged", "unmanaged"];
    let key_of = |id: &str| -> String {
        keys.iter()
            .find(|k| moto.str(k) == id)
            .map_or_else(|| format!("unknown instance {id}"), |k| (*k).to_owned())
    };
    map["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["access"] == "allowed")
        .filter(|c| paths.contains(&c["path"].as_str().unwrap_or_default()))
        .map(|c| {
            let principal = c["principal"].as_str().unwrap_or_default();
            let name = principal.rsplit('/').next().unwrap_or(principal).to_owned();
            (
                name,
                key_of(c["instance"].as_str().unwrap_or_default()),
                c["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &[&str], &str)]) -> Grants {
    rows.iter()
        .flat_map(|(who, instances, path)| {
            instances
                .iter()
                .map(move |i| ((*who).to_owned(), (*i).to_owned(), (*path).to_owned()))
        })
        .collect()
}

#[test]
fn the_access_map_of_a_live_account_lists_exactly_the_grants_aws_would_make() {
    let Some(moto) = Launch::seed("seed_access").start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.json");
    let output = run(moto
        .nobastion()
        .args(["access", "--format", "json", "--output"])
        .arg(&path));
    let stderr = text(&output.stderr);
    let json = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no access map ({e}); exit {:?}; {stderr}", output.status));
    let map: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        map["complete"], true,
        "gaps: {}\nnotes: {}",
        map["gaps"], map["notes"]
    );
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");

    // The instance without an instance profile is not managed: it is not in the map.
    let instances: BTreeSet<&str> = map["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    let managed: BTreeSet<String> = ["prod", "dev", "untagged"]
        .iter()
        .map(|k| moto.str(k))
        .collect();
    assert_eq!(
        instances,
        managed.iter().map(String::as_str).collect(),
        "{}",
        map["instances"]
    );

    let all: &[&str] = &["prod", "dev", "untagged"];
    let actual = grants(&map, &moto, &PATHS);
    let mut expected = Grants::new();
    // `*` on `*`: every path on every instance.
    for path in PATHS {
        expected.extend(expect(&[("admin", all, path)]));
    }
    // Every Session Manager path is one StartSession grant on the instance and the document.
    for path in ["shell", "port-forwarding", "ssh", "interactive-command"] {
        expected.extend(expect(&[
            // ssm:* cut down by a boundary that allows StartSession only: no SendCommand.
            ("ops-admin", all, path),
            // StartSession anywhere except where the Deny matches (Env=prod).
            ("denied-dave", &["dev", "untagged"], path),
        ]));
    }
    expected.extend(expect(&[
        // Tag-scoped to Env=dev, with the default shell document only.
        ("dev-alice", &["dev"], "shell"),
        // Through the ops group: Env=prod, the shell and one port-forwarding document.
        ("ops-bob", &["prod"], "shell"),
        ("ops-bob", &["prod"], "port-forwarding"),
    ]));
    // Nothing is left to conditions the scan cannot know, and nothing is undecided.
    let other: Vec<&Value> = map["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["access"] != "allowed")
        .collect();
    assert!(other.is_empty(), "{other:#?}");
    let missing: Vec<_> = expected.difference(&actual).collect();
    let unexpected: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing: {missing:#?}\nunexpected: {unexpected:#?}"
    );

    // Focused on one principal by name, the table names the instances it reaches.
    let output =
        run(moto
            .nobastion()
            .args(["access", "--principal", "dev-alice", "--path", "shell"]));
    let table = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(table.contains(&moto.str("dev")), "{table}");
    assert!(!table.contains(&moto.str("prod")), "{table}");
}

#[test]
fn an_evidence_bundle_can_be_made_from_a_live_scan() {
    let Some(moto) = Launch::seed("seed_access").start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let output = run(moto
        .nobastion()
        .args(["evidence", "--exit-zero", "--out"])
        .arg(&out));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    let read = |name: &str| {
        std::fs::read_to_string(out.join(name))
            .unwrap_or_else(|e| panic!("bundle has no {name}: {e}; stderr:\n{stderr}"))
    };
    // The manifest records that the state was collected by this run, not read from a file.
    let manifest: Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let input = manifest.pointer("/scope/input").unwrap_or(&Value::Null);
    assert_eq!(input["kind"], "live", "manifest: {manifest}");
    // The bundled snapshot is the scanned account, and the findings are about it.
    let snapshot: Value = serde_json::from_str(&read("snapshot.json")).unwrap();
    assert_eq!(snapshot["accounts"][0]["id"], moto.str("account"));
    let findings: Value = serde_json::from_str(&read("findings.json")).unwrap();
    let iam001: Vec<&str> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "IAM001")
        .filter_map(|f| f["resource"]["id"].as_str())
        .collect();
    // StartSession on untagged instances: admin, denied-dave (the Deny only covers prod) and
    // ops-admin; dev-alice and ops-bob are tag-scoped.
    for name in ["admin", "denied-dave", "ops-admin"] {
        assert!(iam001.contains(&name), "IAM001 lacks {name}: {iam001:?}");
    }
    for name in ["dev-alice", "ops-bob", "reader"] {
        assert!(!iam001.contains(&name), "IAM001 has {name}: {iam001:?}");
    }
    // The access map travels with it.
    let access = read("access.csv");
    assert!(
        access
            .lines()
            .any(|l| l.contains("dev-alice") && l.contains(&moto.str("dev"))),
        "{access}"
    );
    // And the bundle verifies.
    let output = run(moto.nobastion().arg("verify").arg(&out));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}
