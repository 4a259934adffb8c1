//! Test support for the live-scan tests: starts a private moto server (tests/moto/launcher.py)
//! on 127.0.0.1 with a port the OS picks, seeded through the AWS API, and runs the nobastion
//! binary against it with credentials and endpoints that cannot reach real AWS.
//!
//! Every test gets its own server, so tests run in parallel without sharing state. The server
//! stops when the [`Moto`] value is dropped (its stdin closes), also when a test panics.
//!
//! Without the emulator (no `.venv`, no `NOBASTION_PYTHON`) a test is skipped with a message,
//! unless `NOBASTION_REQUIRE_TOOLS=1` (set by scripts/test.sh), where it fails.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// The repository root (tests run with the package root as working directory).
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has moto: `NOBASTION_PYTHON`, else the repository's `.venv`.
fn python() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("NOBASTION_PYTHON") {
        let path = PathBuf::from(path);
        return if path.exists() {
            Ok(path)
        } else {
            Err(format!(
                "NOBASTION_PYTHON={} does not exist",
                path.display()
            ))
        };
    }
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        Ok(venv)
    } else {
        Err("no .venv with moto (run scripts/test.sh, or source scripts/setup.d/10-moto.sh)".into())
    }
}

fn tools_required() -> bool {
    std::env::var("NOBASTION_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// How to start a server.
#[derive(Default, Clone)]
pub(crate) struct Launch {
    seed: Option<String>,
    seed_args: Vec<String>,
    faults: Vec<Value>,
    no_ssm_extras: bool,
    enforce_iam: bool,
}

impl Launch {
    /// Seed with `tests/moto/<name>.py`.
    pub(crate) fn seed(name: &str) -> Self {
        Launch {
            seed: Some(name.to_owned()),
            ..Launch::default()
        }
    }

    pub(crate) fn arg(mut self, key: &str, value: &str) -> Self {
        self.seed_args.push(format!("{key}={value}"));
        self
    }

    /// Answer matching requests with an AWS error (see launcher.py `Fault`).
    pub(crate) fn fault(mut self, fault: Value) -> Self {
        self.faults.push(fault);
        self
    }

    /// After seeding, let moto check signatures and IAM policies on every request.
    pub(crate) fn enforce_iam(mut self) -> Self {
        self.enforce_iam = true;
        self
    }

    /// Leave moto without the SSM operations it lacks.
    pub(crate) fn without_ssm_extras(mut self) -> Self {
        self.no_ssm_extras = true;
        self
    }

    /// Start the server; `None` (after printing why) when the emulator is not installed and
    /// the tools are not required.
    pub(crate) fn start(self) -> Option<Moto> {
        let python = match python() {
            Ok(python) => python,
            Err(why) if !tools_required() => {
                eprintln!("skipping live-scan test: {why}");
                return None;
            }
            Err(why) => panic!("NOBASTION_REQUIRE_TOOLS=1 but the AWS emulator is missing: {why}"),
        };
        let log = tempfile::NamedTempFile::new().expect("temporary file for the emulator log");
        let mut command = Command::new(&python);
        command
            .arg(repo().join("tests/moto/launcher.py"))
            .current_dir(repo())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("emulator log"));
        if let Some(seed) = &self.seed {
            command
                .arg("--seed")
                .arg(repo().join(format!("tests/moto/{seed}.py")));
        }
        for arg in &self.seed_args {
            command.arg("--seed-arg").arg(arg);
        }
        for fault in &self.faults {
            command.arg("--fault").arg(fault.to_string());
        }
        if self.no_ssm_extras {
            command.arg("--no-ssm-extras");
        }
        if self.enforce_iam {
            command.arg("--enforce-iam");
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let line = receive
            .recv_timeout(Duration::from_secs(180))
            .unwrap_or_default();
        let stdin = child.stdin.take();
        let mut server = Moto {
            child,
            stdin,
            endpoint: String::new(),
            seed: Value::Null,
            log,
        };
        let Ok(ready) = serde_json::from_str::<Value>(line.trim()) else {
            let log = server.log();
            if log.contains("ModuleNotFoundError") && !tools_required() {
                eprintln!(
                    "skipping live-scan test: moto is not installed for {}",
                    python.display()
                );
                return None;
            }
            panic!("the AWS emulator did not start:\n{log}");
        };
        ready["endpoint"]
            .as_str()
            .unwrap_or_default()
            .clone_into(&mut server.endpoint);
        server.seed = ready["seed"].clone();
        Some(server)
    }
}

/// A running, seeded emulator.
pub(crate) struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    pub(crate) endpoint: String,
    /// What the seed script returned (resource ids).
    pub(crate) seed: Value,
    log: tempfile::NamedTempFile,
}

impl Moto {
    /// The emulator's stderr so far (for failure messages).
    pub(crate) fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = self.log.reopen() {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// A seed value as a string (`seed["a"]["b"]` → `str("a.b")`).
    pub(crate) fn str(&self, path: &str) -> String {
        let mut value = &self.seed;
        for part in path.split('.') {
            value = &value[part];
        }
        value
            .as_str()
            .unwrap_or_else(|| panic!("seed has no string at {path}: {}", self.seed))
            .to_owned()
    }

    /// The nobastion binary, pointed at this emulator: static test credentials, no profile
    /// or config files, no instance metadata, nothing that could reach real AWS.
    pub(crate) fn nobastion(&self) -> Command {
        self.nobastion_as("testing", "testing")
    }

    /// The same, with the keys of an IAM user the seed created.
    pub(crate) fn nobastion_as(&self, access_key: &str, secret_key: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_nobastion"));
        for (name, _) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            if name.starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", access_key)
            .env("AWS_SECRET_ACCESS_KEY", secret_key)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent/nobastion-test-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/nobastion-test-credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // moto answers every implemented call at once; one attempt keeps failure tests
            // fast (tests that exercise retries set their own).
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing stdin tells the launcher to shut down; make sure it does.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run and capture, with the command line in panic messages.
pub(crate) fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `service:Operation` names of every API call in a `-v` log.
pub(crate) fn api_calls(stderr: &str) -> Vec<(String, String, String)> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("nobastion: api "))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            let operation = parts.next()?.to_owned();
            let account = parts.next()?.strip_prefix("account=")?.to_owned();
            let region = parts.next()?.strip_prefix("region=")?.to_owned();
            Some((operation, account, region))
        })
        .collect()
}

pub(crate) fn path_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
