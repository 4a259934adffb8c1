//! Helpers shared by the integration tests: run the real `nobastion` binary and capture what
//! a user would see.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `nobastion` with `args` in the repository root, with a clean colour environment.
pub fn nobastion(args: &[&str]) -> Run {
    nobastion_in(&repo(), args)
}

pub fn nobastion_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_nobastion"))
        .args(args)
        .current_dir(dir)
        .env_remove("NOBASTION_CONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the nobastion binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub const DEMO: &str = "examples/demo-snapshot.json";
pub const DEMO_CONFIG: &str = "examples/nobastion.toml";
