//! Test support for the IAM differential oracle (`@cloud-copilot/iam-simulate`, installed in
//! `tests/oracle` by `scripts/setup.d/20-oracle.sh` and run out of process by
//! `tests/oracle/run.mjs`): finding it, and deciding a batch of cases with it. Used by
//! `tests/policy_differential.rs` and `tests/access_oracle.rs`.
//!
//! Without node or the installed package a test is skipped with a message, unless
//! `NOBASTION_REQUIRE_TOOLS=1` (set by `scripts/test.sh`), where it fails.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The oracle's script, or `None` (after printing that `what` is skipped, and why) when it
/// is not installed and the tools are not required.
pub(crate) fn script(what: &str) -> Option<PathBuf> {
    let require = std::env::var("NOBASTION_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let script = std::env::var_os("NOBASTION_ORACLE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/run.mjs"),
        PathBuf::from,
    );
    let installed = script.parent().is_some_and(|dir| {
        dir.join("node_modules/@cloud-copilot/iam-simulate/package.json")
            .is_file()
    });
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if script.is_file() && installed && node {
        return Some(script);
    }
    let why = if node {
        format!(
            "the oracle is not installed at {} (run scripts/setup.d/20-oracle.sh)",
            script
                .parent()
                .map_or_else(String::new, |p| p.display().to_string())
        )
    } else {
        "node is not on PATH".to_owned()
    };
    assert!(!require, "NOBASTION_REQUIRE_TOOLS=1 but {why}");
    println!("skipping {what}: {why}; set NOBASTION_REQUIRE_TOOLS=1 to make this a failure");
    None
}

/// Decides `cases` (the oracle's case objects, each with its `id` = its index) over the
/// policies `docs` (policy id = index): the oracle's decision per case, or its error.
pub(crate) fn run(script: &Path, docs: &[Value], cases: &[Value]) -> Vec<Result<String, String>> {
    let mut child = Command::new("node")
        .arg(script)
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let mut input = String::new();
    for (id, doc) in docs.iter().enumerate() {
        input.push_str(&json!({"type": "policy", "id": id, "doc": doc}).to_string());
        input.push('\n');
    }
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write to oracle");
    });
    let mut results = vec![Err("no answer from the oracle".to_owned()); cases.len()];
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("read oracle output");
        let v: Value = serde_json::from_str(&line).expect("oracle output is JSON");
        let id = v["id"]
            .as_u64()
            .and_then(|id| usize::try_from(id).ok())
            .filter(|id| *id < cases.len())
            .unwrap_or_else(|| panic!("oracle reply with an unknown id: {line}"));
        results[id] = match (v["result"].as_str(), v["error"].as_str()) {
            (Some(r), _) => Ok(r.to_owned()),
            (_, Some(e)) => Err(e.to_owned()),
            _ => Err(format!("unexpected oracle reply {line}")),
        };
    }
    writer.join().expect("writer thread");
    assert!(
        child.wait().expect("wait for node").success(),
        "the oracle exited with an error"
    );
    results
}
