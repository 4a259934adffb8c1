//! The evidence bundle as an auditor meets it: built from the demo snapshot, verified, then
//! tampered with (a byte changed, a file deleted, a file added, the manifest edited, a
//! duplicate zip entry) and verified again; keys, signatures, determinism, overwrite rules,
//! and the bundle's files agreeing with what `check` reports on the same input.

#[path = "evidence_support/mod.rs"]
mod evidence_support;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::path::Path;

use evidence_support::{
    DEMO, DEMO_CONFIG, EPOCH, demo_bundle, keygen, read_json, run, run_env, s, verify_json,
};
use nobastion::evidence::sha256_hex;
use nobastion::model::Snapshot;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn demo_bundle_is_complete_and_its_manifest_pins_every_file() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path());
    let bundle = tmp.path().join("bundle");
    let made = demo_bundle(&bundle, &["--sign-key", s(&key)]);
    // The evidence run ends as `check` does on the same input.
    let check = run(&["check", "--snapshot", DEMO, "--config", DEMO_CONFIG]);
    assert_eq!(made.code, check.code, "{}", made.stdout);
    assert!(made.stdout.contains("manifest sha256: "), "{}", made.stdout);

    let on_disk = files_in(&bundle);
    for expected in [
        "snapshot.json",
        "findings.json",
        "findings.sarif",
        "findings.csv",
        "report.html",
        "report.md",
        "rules.json",
        "controls.json",
        "nobastion.toml",
        "manifest.json",
        "manifest.sig",
    ] {
        assert!(
            on_disk.contains(expected),
            "{expected} missing: {on_disk:?}"
        );
    }
    let manifest = read_json(&bundle.join("manifest.json"));
    let listed: BTreeMap<String, (String, u64)> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                (
                    f["sha256"].as_str().unwrap().to_owned(),
                    f["size"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let mut expected_listed = on_disk.clone();
    expected_listed.remove("manifest.json");
    expected_listed.remove("manifest.sig");
    assert_eq!(
        listed.keys().cloned().collect::<BTreeSet<_>>(),
        expected_listed
    );
    for (path, (sha, size)) in &listed {
        let bytes = std::fs::read(bundle.join(path)).unwrap();
        assert_eq!(&sha256_hex(&bytes), sha, "{path}");
        assert_eq!(bytes.len() as u64, *size, "{path}");
    }
    assert_eq!(manifest["format"], "nobastion-evidence/1");
    assert_eq!(manifest["created_at"], "2026-11-21T09:00:33Z");
    assert_eq!(manifest["scope"]["accounts"][0]["id"], "111122223333");
    assert_eq!(
        manifest["scope"]["input"]["sha256"],
        sha256_hex(&std::fs::read(support::repo().join(DEMO)).unwrap())
    );
    // The snapshot in the bundle is the one that was evaluated (in its normalized form:
    // defaults written out), and the input file's own hash is recorded above.
    let original = Snapshot::load(&support::repo().join(DEMO)).unwrap();
    let bundled = Snapshot::load(&bundle.join("snapshot.json")).unwrap();
    assert!(
        bundled == original,
        "snapshot.json differs from the evaluated snapshot"
    );

    let ok = run(&["verify", s(&bundle), "--pub-key", s(&public)]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("signature: valid"), "{}", ok.stdout);
}

#[test]
fn verify_names_each_altered_missing_and_extra_file() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path());
    let bundle = tmp.path().join("bundle");
    demo_bundle(&bundle, &["--sign-key", s(&key)]);
    let (code, _, before) = verify_json(&bundle, &["--pub-key", s(&public)]);
    assert_eq!(code, 0);
    assert!(before.values().all(|s| s == "ok"), "{before:?}");

    // One byte of one file, one file deleted, one added.
    let csv = bundle.join("findings.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&csv, bytes).unwrap();
    std::fs::remove_file(bundle.join("rules.json")).unwrap();
    std::fs::write(bundle.join("notes.txt"), "added later").unwrap();

    let text = run(&["verify", s(&bundle), "--pub-key", s(&public)]);
    assert_eq!(text.code, 1, "{}", text.stdout);
    for expected in [
        "ALTERED       findings.csv",
        "MISSING       rules.json",
        "EXTRA         notes.txt",
        "FAILED",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected:?} in\n{}",
            text.stdout
        );
    }
    let (code, value, after) = verify_json(&bundle, &["--pub-key", s(&public)]);
    assert_eq!(code, 1);
    let not_ok: BTreeMap<&str, &str> = after
        .iter()
        .filter(|(_, s)| *s != "ok")
        .map(|(p, s)| (p.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        not_ok,
        BTreeMap::from([
            ("findings.csv", "altered"),
            ("notes.txt", "extra"),
            ("rules.json", "missing"),
        ])
    );
    // The manifest itself is untouched, so the signature still holds: the failures are the
    // files', and they are named.
    assert_eq!(value["signature"]["status"], "valid");

    // A file in a subdirectory is extra too.
    std::fs::create_dir(bundle.join("extra")).unwrap();
    std::fs::write(bundle.join("extra/more.json"), "{}").unwrap();
    let (_, _, after) = verify_json(&bundle, &[]);
    assert_eq!(
        after.get("extra/more.json").map(String::as_str),
        Some("extra")
    );
}

#[test]
fn an_edited_manifest_breaks_the_signature() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path());
    let bundle = tmp.path().join("bundle");
    demo_bundle(&bundle, &["--sign-key", s(&key)]);
    // Rewrite a file and its manifest entry consistently: only the signature can tell.
    let md = bundle.join("report.md");
    std::fs::write(&md, "# nothing to see\n").unwrap();
    let manifest_path = bundle.join("manifest.json");
    let mut manifest = read_json(&manifest_path);
    for file in manifest["files"].as_array_mut().unwrap() {
        if file["path"] == "report.md" {
            file["sha256"] = sha256_hex(b"# nothing to see\n").into();
            file["size"] = 17.into();
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();

    let unsigned_check = run(&["verify", s(&bundle)]);
    assert_eq!(
        unsigned_check.code, 0,
        "without a key only consistency is checked"
    );
    assert!(
        unsigned_check.stdout.contains("not checked"),
        "{}",
        unsigned_check.stdout
    );
    let signed_check = run(&["verify", s(&bundle), "--pub-key", s(&public)]);
    assert_eq!(signed_check.code, 1, "{}", signed_check.stdout);
    assert!(
        signed_check.stdout.contains("SIGNATURE INVALID"),
        "{}",
        signed_check.stdout
    );
}

#[test]
fn signatures_need_the_right_key() {
    let tmp = tempdir();
    let (key, _) = keygen(tmp.path());
    let other_dir = tmp.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let (other_private, other_public) = keygen(&other_dir);
    let signed = tmp.path().join("signed");
    demo_bundle(&signed, &["--sign-key", s(&key)]);

    let wrong = run(&["verify", s(&signed), "--pub-key", s(&other_public)]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stdout.contains("SIGNATURE INVALID"),
        "{}",
        wrong.stdout
    );

    let unsigned = tmp.path().join("unsigned");
    let made = demo_bundle(&unsigned, &[]);
    assert!(made.stdout.contains("unsigned"), "{}", made.stdout);
    assert!(!unsigned.join("manifest.sig").exists());
    let missing = run(&["verify", s(&unsigned), "--pub-key", s(&other_public)]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stdout.contains("SIGNATURE MISSING"),
        "{}",
        missing.stdout
    );

    // Handing the private key to a verifier is refused, as is signing with a public key.
    let private_as_public = run(&["verify", s(&signed), "--pub-key", s(&other_private)]);
    assert_eq!(private_as_public.code, 2);
    assert!(
        private_as_public.stderr.contains("private key"),
        "{}",
        private_as_public.stderr
    );
    let public_as_private = run(&[
        "evidence",
        "--snapshot",
        DEMO,
        "--out",
        s(&tmp.path().join("x")),
        "--sign-key",
        s(&other_public),
    ]);
    assert_eq!(public_as_private.code, 2);
    assert!(
        public_as_private.stderr.contains("public key"),
        "{}",
        public_as_private.stderr
    );
    assert!(
        !tmp.path().join("x").exists(),
        "nothing is written on error"
    );
}

#[test]
fn keygen_protects_the_private_key() {
    let tmp = tempdir();
    let prefix = tmp.path().join("audit");
    let first = run(&["keygen", "--out", s(&prefix)]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let private = std::fs::read_to_string(&prefix).unwrap();
    let public = std::fs::read_to_string(tmp.path().join("audit.pub")).unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{private}"
    );
    assert!(
        public.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{public}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&prefix).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private key mode {mode:o}");
    }
    let again = run(&["keygen", "--out", s(&prefix)]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(&prefix).unwrap(),
        private,
        "key kept"
    );

    #[cfg(unix)]
    {
        // A replaced key does not inherit a loose mode from the file it replaces.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&prefix, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let forced = run(&["keygen", "--out", s(&prefix), "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(std::fs::read_to_string(&prefix).unwrap(), private);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&prefix).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "replaced key mode {mode:o}");
    }
}

#[test]
fn openssl_verifies_our_signature() {
    // Interoperability: an auditor can check the signature without nobastion.
    let Ok(version) = std::process::Command::new("openssl")
        .arg("version")
        .output()
    else {
        eprintln!("skipping: openssl is not installed");
        return;
    };
    assert!(version.status.success());
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path());
    let bundle = tmp.path().join("bundle");
    demo_bundle(&bundle, &["--sign-key", s(&key)]);
    let sig = std::fs::read_to_string(bundle.join("manifest.sig")).unwrap();
    let raw = base64_decode(sig.lines().nth(1).unwrap());
    let sig_bin = tmp.path().join("sig.bin");
    std::fs::write(&sig_bin, raw).unwrap();
    let verify = |manifest: &Path| {
        std::process::Command::new("openssl")
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                s(&public),
                "-rawin",
            ])
            .args(["-in", s(manifest), "-sigfile", s(&sig_bin)])
            .output()
            .unwrap()
    };
    let good = verify(&bundle.join("manifest.json"));
    assert!(
        good.status.success(),
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    let edited = tmp.path().join("edited.json");
    let mut bytes = std::fs::read(bundle.join("manifest.json")).unwrap();
    bytes.push(b' ');
    std::fs::write(&edited, bytes).unwrap();
    assert!(!verify(&edited).status.success());
}

/// Standard base64 (test-side, independent of the implementation).
fn base64_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim().bytes().filter(|c| *c != b'=') {
        let value = u32::try_from(alphabet.iter().position(|a| *a == c).expect("base64")).unwrap();
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from(buffer >> bits).unwrap());
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn zip_bundles_verify_and_tampering_inside_them_is_named() {
    let tmp = tempdir();
    let (key, public) = keygen(tmp.path());
    let zip_path = tmp.path().join("evidence.zip");
    demo_bundle(&zip_path, &["--sign-key", s(&key)]);
    let ok = run(&["verify", s(&zip_path), "--pub-key", s(&public)]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);

    let mut entries = zip_entries(&zip_path);
    let names: BTreeSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains("report.html") && names.contains("manifest.sig"));
    for (name, bytes) in &mut entries {
        if name == "report.md" {
            bytes[10] ^= 0x20;
        }
    }
    entries.retain(|(name, _)| name != "snapshot.json");
    entries.push(("extra/readme.txt".to_owned(), b"slipped in".to_vec()));
    let tampered = tmp.path().join("tampered.zip");
    write_zip(&tampered, &entries);
    let (code, _, statuses) = verify_json(&tampered, &["--pub-key", s(&public)]);
    assert_eq!(code, 1);
    let not_ok: BTreeMap<&str, &str> = statuses
        .iter()
        .filter(|(_, s)| *s != "ok")
        .map(|(p, s)| (p.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        not_ok,
        BTreeMap::from([
            ("extra/readme.txt", "extra"),
            ("report.md", "altered"),
            ("snapshot.json", "missing"),
        ])
    );

    // The same bundle zipped inside a folder (as `zip -r b.zip bundle/` does) verifies.
    let nested: Vec<(String, Vec<u8>)> = zip_entries(&zip_path)
        .into_iter()
        .map(|(n, b)| (format!("bundle/{n}"), b))
        .collect();
    let nested_path = tmp.path().join("nested.zip");
    write_zip(&nested_path, &nested);
    let nested_check = run(&["verify", s(&nested_path), "--pub-key", s(&public)]);
    assert_eq!(nested_check.code, 0, "{}", nested_check.stdout);
}

#[test]
fn a_zip_with_two_entries_of_one_name_is_refused() {
    // Unzip tools disagree on which copy of a duplicated name they show, so an auditor could
    // be shown a file other than the one that was hashed.
    let tmp = tempdir();
    let zip_path = tmp.path().join("evidence.zip");
    demo_bundle(&zip_path, &[]);
    let mut entries = zip_entries(&zip_path);
    // Same length as "findings.csv", renamed below in the raw bytes.
    entries.push((
        "findings.CSV".to_owned(),
        b"rule\r\nnothing,to,see\r\n".to_vec(),
    ));
    let staged = tmp.path().join("staged.zip");
    write_zip(&staged, &entries);
    let raw = std::fs::read(&staged).unwrap();
    let patched = replace_all(&raw, b"findings.CSV", b"findings.csv");
    let duplicated = tmp.path().join("duplicated.zip");
    std::fs::write(&duplicated, patched).unwrap();

    let out = run(&["verify", s(&duplicated)]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("findings.csv"), "{}", out.stdout);
    assert!(out.stdout.contains("more than once"), "{}", out.stdout);
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn bundles_are_reproducible_with_source_date_epoch() {
    let tmp = tempdir();
    let a = tmp.path().join("a.zip");
    let b = tmp.path().join("b.zip");
    demo_bundle(&a, &[]);
    demo_bundle(&b, &[]);
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same input and time, same bytes"
    );
    let dir = tmp.path().join("dir");
    demo_bundle(&dir, &[]);
    let from_zip = zip_entries(&a)
        .into_iter()
        .find(|(n, _)| n == "manifest.json")
        .unwrap()
        .1;
    assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), from_zip);

    let bad = run_env(
        &[
            "evidence",
            "--snapshot",
            DEMO,
            "--out",
            s(&tmp.path().join("c")),
        ],
        &[("SOURCE_DATE_EPOCH", "yesterday")],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("SOURCE_DATE_EPOCH"), "{}", bad.stderr);
}

#[test]
fn existing_outputs_are_only_replaced_when_asked_and_never_foreign_files() {
    let tmp = tempdir();
    let dir = tmp.path().join("bundle");
    demo_bundle(&dir, &[]);
    let again = run_env(
        &["evidence", "--snapshot", DEMO, "--out", s(&dir)],
        &[("SOURCE_DATE_EPOCH", EPOCH)],
    );
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    demo_bundle(&dir, &["--force"]);
    assert_eq!(run(&["verify", s(&dir)]).code, 0);

    std::fs::write(dir.join("my-notes.txt"), "mine").unwrap();
    let refused = run(&["evidence", "--snapshot", DEMO, "--out", s(&dir), "--force"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("my-notes.txt"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("my-notes.txt")).unwrap(),
        "mine"
    );

    let zip_path = tmp.path().join("b.zip");
    demo_bundle(&zip_path, &[]);
    let refused = run(&["evidence", "--snapshot", DEMO, "--out", s(&zip_path)]);
    assert_eq!(refused.code, 2);
    demo_bundle(&zip_path, &["--force"]);
    assert!(!tmp.path().join("b.zip.partial").exists());
}

#[test]
fn the_bundle_agrees_with_check_on_its_own_snapshot_and_configuration() {
    let tmp = tempdir();
    let dir = tmp.path().join("bundle");
    // Without SOURCE_DATE_EPOCH: waivers are judged against today, as `check` does.
    let made = run(&[
        "evidence",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--out",
        s(&dir),
    ]);
    assert!(matches!(made.code, 0 | 1 | 3), "{}", made.stderr);
    let recheck = run(&[
        "check",
        "--snapshot",
        s(&dir.join("snapshot.json")),
        "--config",
        s(&dir.join("nobastion.toml")),
        "--format",
        "json",
    ]);
    let fresh: serde_json::Value = serde_json::from_str(&recheck.stdout).unwrap();
    let bundled = read_json(&dir.join("findings.json"));
    // NB002/NB003 name the configuration file's path, which differs.
    let key = |v: &serde_json::Value| -> BTreeSet<(String, String, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !matches!(f["rule"].as_str(), Some("NB002" | "NB003")))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["status"].as_str().unwrap().to_owned(),
                    f["fingerprint"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(key(&fresh), key(&bundled));
    assert_eq!(
        fresh["summary"]["exit_code"],
        bundled["summary"]["exit_code"]
    );
    assert_eq!(
        made.code,
        i32::try_from(bundled["summary"]["exit_code"].as_i64().unwrap()).unwrap()
    );

    // findings.json follows its published schema; findings.sarif follows SARIF 2.1.0.
    for (document, schema) in [
        ("findings.json", "docs/findings.schema.json"),
        ("findings.sarif", "tests/data/sarif-schema-2.1.0.json"),
    ] {
        let schema = read_json(&support::repo().join(schema));
        let validator = jsonschema::validator_for(&schema).unwrap();
        let instance = read_json(&dir.join(document));
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{document}: {errors:#?}");
    }
}

#[test]
fn unreadable_inputs_are_input_errors() {
    let tmp = tempdir();
    let missing = run(&["verify", s(&tmp.path().join("nope"))]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope"), "{}", missing.stderr);
    let not_a_bundle = tmp.path().join("x.txt");
    std::fs::write(&not_a_bundle, "hello").unwrap();
    let out = run(&["verify", s(&not_a_bundle)]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("evidence bundle"), "{}", out.stderr);
    // A directory without a manifest fails verification (exit 1), naming the manifest.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&["verify", s(&empty)]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("manifest.json is missing"),
        "{}",
        out.stdout
    );
    let bad_snapshot = run(&[
        "evidence",
        "--snapshot",
        s(&not_a_bundle),
        "--out",
        s(&tmp.path().join("o")),
    ]);
    assert_eq!(bad_snapshot.code, 2);
    assert!(
        bad_snapshot.stderr.contains("x.txt:1:"),
        "{}",
        bad_snapshot.stderr
    );
}
