//! The access map in the evidence bundle: `access.csv` (one row per grant, the same rows as
//! `nobastion access -f csv` on the bundle's snapshot), the access expectations the run used
//! (`access-expectations.yaml`, hashed in the manifest and named in the scope), and a "Who
//! can get a shell" section in report.html and report.md that marks unexpected grants.

#[path = "evidence_support/mod.rs"]
mod evidence_support;
mod support;

use evidence_support::{DEMO, demo_bundle, read_json, run, s};

#[test]
fn the_bundle_carries_the_map_and_the_expectations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    demo_bundle(&dir, &[]);
    let manifest = read_json(&dir.join("manifest.json"));
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"access.csv"), "{listed:?}");
    assert!(listed.contains(&"access-expectations.yaml"), "{listed:?}");
    let scope = &manifest["scope"]["access_expectations"];
    assert_eq!(scope["bundled_as"], "access-expectations.yaml");
    assert!(
        scope["path"]
            .as_str()
            .unwrap()
            .ends_with("access-expectations.yaml")
    );
    let bundled = std::fs::read(dir.join("access-expectations.yaml")).unwrap();
    let original =
        std::fs::read(support::repo().join("examples/access-expectations.yaml")).unwrap();
    assert_eq!(bundled, original);

    // access.csv is what `nobastion access` says of the bundle's own snapshot.
    let csv = std::fs::read_to_string(dir.join("access.csv")).unwrap();
    let again = run(&[
        "access",
        "--snapshot",
        s(&dir.join("snapshot.json")),
        "--expect",
        s(&dir.join("access-expectations.yaml")),
        "-f",
        "csv",
    ]);
    assert_eq!(csv, again.stdout);
    assert!(
        csv.contains("arn:aws:iam::111122223333:user/bob,user,false,,shell,allowed"),
        "{csv}"
    );
    assert!(csv.contains("unexpected: rule 2 (line 13)"), "{csv}");

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>") && html.contains(". Who can get a shell</h2>"),
        "section heading"
    );
    assert!(html.contains("<h3>i-0a1b2c3d4e5f60062 (app-1)</h3>"));
    assert!(html.contains("<span class=\"st fail\">unexpected</span>"));
    assert!(html.contains("SAML provider AWSSSO_1234_DO_NOT_DELETE"));
    assert!(html.contains("Nobody can get a shell on: i-0c0ffee0000000061 (sandbox-1)."));
    assert!(html.contains("Access expectations"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains(". Who can get a shell\n"), "markdown heading");
    assert!(
        md.contains("**unexpected** (IAM010, expectation rule 1, line 5)"),
        "{md}"
    );

    let verify = run(&["verify", s(&dir)]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

#[test]
fn a_bundle_without_expectations_still_maps_access() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    let made = run(&[
        "evidence",
        "--snapshot",
        DEMO,
        "--out",
        s(&dir),
        "--allow-incomplete",
    ]);
    assert!(matches!(made.code, 0 | 1), "{}{}", made.stdout, made.stderr);
    assert!(dir.join("access.csv").is_file());
    assert!(!dir.join("access-expectations.yaml").exists());
    let csv = std::fs::read_to_string(dir.join("access.csv")).unwrap();
    assert!(
        csv.lines().nth(1).is_some_and(|l| l.ends_with(',')),
        "no expectation column value"
    );
}
