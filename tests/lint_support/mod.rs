//! Helpers shared by the `lint_*` tests: ingest files through the library, run the rules as
//! `nobastion lint` does, and describe findings compactly (rule, status, address, line) so
//! tests can compare them with the exact expectations a reader of the input has.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use nobastion::config::Config;
use nobastion::finding::{Finding, Status};
use nobastion::ingest::{Ingested, WalkOptions, ingest_paths};
use nobastion::rules::{Registry, RunOptions, Selection};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rules that judge IaC inputs, asserted by the lint tests: every rule of the catalog.
/// Rules that draw conclusions from a whole account or region (NET004, NET005, LOG001,
/// EC2003, AUD001, AUD002) run too and stay silent on partial snapshots.
pub const IAC_RULES: &[&str] = &[
    "NET001", "NET002", "NET003", "NET004", "NET005", "NET006", "EC2001", "EC2002", "EC2003",
    "EC2004", "LOG001", "LOG002", "LOG003", "LOG004", "LOG005", "LOG006", "LOG007", "LOG008",
    "LOG009", "LOG010", "LOG011", "LOG012", "LOG013", "LOG014", "AUD001", "AUD002", "AUD003",
    "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "IAM008", "IAM009",
];

/// A project-owned fixture under tests/fixtures/iac/.
pub fn fixture(relative: &str) -> PathBuf {
    repo().join("tests/fixtures/iac").join(relative)
}

/// The shared real-world corpus (`NOBASTION_CORPUS` or `../shared/corpus`), when present.
pub fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("NOBASTION_CORPUS")
        .map_or_else(|| repo().join("../shared/corpus"), PathBuf::from);
    if path.is_dir() {
        Some(path)
    } else {
        println!(
            "skipped: the corpus is not at {} (set NOBASTION_CORPUS)",
            path.display()
        );
        None
    }
}

/// Ingest `paths` and run the rules named in `select` (all rules when empty).
pub fn lint(paths: &[PathBuf], select: &[&str]) -> (Ingested, Vec<Finding>) {
    let ingested = ingest_paths(paths, &WalkOptions::default()).expect("no glob errors");
    let registry = Registry::builtin().expect("the rule files parse");
    let config = Config::default();
    let chosen: Vec<String> = select.iter().map(|s| (*s).to_owned()).collect();
    let selection = Selection::new(
        (!chosen.is_empty()).then_some(chosen.as_slice()),
        &[],
        registry,
    )
    .expect("known rules");
    let options = RunOptions {
        config: &config,
        selection: &selection,
        today: chrono::Utc::now().date_naive(),
    };
    let findings = nobastion::rules::run(registry, &ingested.snapshot, &options).findings;
    (ingested, findings)
}

/// `RULE pass address` for every resource a rule judged and passed, sorted: what the rules
/// looked at and found fine (findings only show the failures).
pub fn passes(paths: &[PathBuf], select: &[&str]) -> Vec<String> {
    let ingested = ingest_paths(paths, &WalkOptions::default()).expect("no glob errors");
    let registry = Registry::builtin().expect("the rule files parse");
    let config = Config::default();
    let chosen: Vec<String> = select.iter().map(|s| (*s).to_owned()).collect();
    let selection = Selection::new(
        (!chosen.is_empty()).then_some(chosen.as_slice()),
        &[],
        registry,
    )
    .expect("known rules");
    let options = RunOptions {
        config: &config,
        selection: &selection,
        today: chrono::Utc::now().date_naive(),
    };
    let run = nobastion::rules::run(registry, &ingested.snapshot, &options);
    let mut out: Vec<String> = run
        .rules
        .iter()
        .flat_map(|r| {
            r.passed
                .iter()
                .map(|p| format!("{} pass {}", r.meta.id, p.display_name()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `RULE status address @line`, sorted: a compact, exact description of findings. NB001
/// findings name the rules they stand for: `NB001[EC2001] not-assessed aws_instance.x @12`.
pub fn describe(findings: &[Finding]) -> Vec<String> {
    let mut out: Vec<String> = findings
        .iter()
        .map(|f| {
            let rule = if f.rule == "NB001" {
                let rules: Vec<&str> = f
                    .details
                    .as_ref()
                    .and_then(|d| d["rules"].as_array())
                    .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                    .unwrap_or_default();
                format!("NB001[{}]", rules.join(","))
            } else {
                f.rule.clone()
            };
            let status = match f.status {
                Status::Fail => "fail",
                Status::NotAssessed => "not-assessed",
                Status::Waived => "waived",
            };
            let line = f
                .location
                .as_ref()
                .and_then(|l| l.line)
                .map_or_else(String::new, |l| format!(" @{l}"));
            format!("{rule} {status} {}{line}", f.resource.display_name())
        })
        .collect();
    out.sort();
    out
}

/// The 1-based line of the first occurrence of `needle` in a file (to keep expected lines
/// tied to the fixture's text rather than to magic numbers).
pub fn line_of(path: &Path, needle: &str) -> u32 {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {}", path.display()));
    u32::try_from(index + 1).expect("small file")
}

/// The line of the first line containing `needle` after lines containing each of `anchors`
/// in turn (`&["\"resource_changes\"", "aws_instance.web"]`).
pub fn line_after(path: &Path, anchors: &[&str], needle: &str) -> u32 {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let lines: Vec<&str> = text.lines().collect();
    let mut next = 0;
    let mut found = 0;
    for anchor in anchors.iter().chain(std::iter::once(&needle)) {
        found = next
            + lines[next..]
                .iter()
                .position(|l| l.contains(anchor))
                .unwrap_or_else(|| panic!("{anchor:?} not found in {}", path.display()));
        next = found + 1;
    }
    u32::try_from(found + 1).expect("small file")
}

/// The line of the `{` that opens the JSON object around line `line` (for pretty-printed
/// fixtures: the nearest line above that is just `{`).
pub fn object_start(path: &Path, line: u32) -> u32 {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let lines: Vec<&str> = text.lines().collect();
    let index = (0..line as usize)
        .rev()
        .find(|&i| lines[i].trim() == "{")
        .expect("an enclosing object");
    u32::try_from(index + 1).expect("small file")
}
