//! Helpers for the evidence tests (tests/evidence_*.rs): run the binary with a fixed
//! environment, build demo bundles, read their JSON files.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub use crate::support::{DEMO, DEMO_CONFIG, Run, repo};

/// A fixed creation time for reproducible bundles (2026-11-21T09:00:33Z).
pub const EPOCH: &str = "1795251633";

/// Run `nobastion` in the repository root with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nobastion"));
    command
        .args(args)
        .current_dir(repo())
        .env_remove("NOBASTION_CONFIG")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the nobastion binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_env(args, &[])
}

pub fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// A key pair under `dir`: (private, public).
pub fn keygen(dir: &Path) -> (PathBuf, PathBuf) {
    let prefix = dir.join("signing-key");
    let out = run(&["keygen", "--out", s(&prefix)]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let public = dir.join("signing-key.pub");
    (prefix, public)
}

/// Write the demo bundle to `out` (directory or .zip), with extra arguments; the run must
/// end the way `check` ends on the same input.
pub fn demo_bundle(out: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "evidence",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    let run = run_env(&args, &[("SOURCE_DATE_EPOCH", EPOCH)]);
    assert!(
        matches!(run.code, 0 | 1 | 3),
        "evidence failed: {}{}",
        run.stdout,
        run.stderr
    );
    run
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `verify --format json` of a bundle: (exit code, path → status).
pub fn verify_json(bundle: &Path, extra: &[&str]) -> (i32, Value, BTreeMap<String, String>) {
    let mut args = vec!["verify", s(bundle), "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let value: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("verify JSON ({e}): {}{}", out.stdout, out.stderr));
    let statuses = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (out.code, value, statuses)
}
