//! Runs the pass / fail / not-assessed examples of every rule file through the real engine.
//! Used by the test suite (`tests/rule_examples.rs`) and by `nobastion rules --check-examples`.
//!
//! ```yaml
//! examples:
//!   - name: SSH open to the world
//!     expect: fail                 # fail | pass | not-assessed
//!     findings:                    # optional: the exact failing resources
//!       - { resource: sg-1, severity: critical, message_contains: "0.0.0.0/0" }
//!     select: [NET001]             # optional: other rules to run too (NB rules need them)
//!     config: |                    # optional nobastion.toml text
//!       [thresholds]
//!       idle-session-timeout-minutes = 15
//!     snapshot: { accounts: [...] }  # schema_version is filled in
//! ```
//!
//! `pass` demands that the rule judged at least one resource and failed none: an example
//! that checks nothing cannot pass.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::registry::RULE_FILES;
use super::{Implementation, Registry, RunOptions, Selection, run};
use crate::config::Config;
use crate::finding::{Finding, Severity, Status};
use crate::model::{SCHEMA_VERSION, Snapshot};

#[derive(Debug, Deserialize)]
struct ExamplesFile {
    id: String,
    #[serde(default)]
    examples: Vec<Example>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    name: String,
    expect: Expect,
    #[serde(default)]
    findings: Option<Vec<ExpectedFinding>>,
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    config: Option<String>,
    snapshot: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Expect {
    Fail,
    Pass,
    NotAssessed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFinding {
    resource: String,
    #[serde(default)]
    severity: Option<Severity>,
    #[serde(default)]
    message_contains: Option<String>,
}

/// The outcome of one example.
#[derive(Debug, Clone)]
pub struct ExampleReport {
    pub rule: String,
    pub name: String,
    pub expect: String,
    /// Empty when the example behaved as expected.
    pub problems: Vec<String>,
}

/// Examples per expectation, for coverage checks: (rule, fails, passes, not-assessed).
pub fn coverage() -> Result<Vec<(String, usize, usize, usize)>, String> {
    let mut out = Vec::new();
    for (file, text) in RULE_FILES {
        let parsed: ExamplesFile =
            serde_norway::from_str(text).map_err(|e| format!("rules/{file}: {e}"))?;
        let count = |e: Expect| parsed.examples.iter().filter(|x| x.expect == e).count();
        out.push((
            parsed.id,
            count(Expect::Fail),
            count(Expect::Pass),
            count(Expect::NotAssessed),
        ));
    }
    Ok(out)
}

/// Run every example of every rule file.
pub fn run_all(registry: &Registry) -> Result<Vec<ExampleReport>, String> {
    let mut reports = Vec::new();
    for (file, text) in RULE_FILES {
        let parsed: ExamplesFile =
            serde_norway::from_str(text).map_err(|e| format!("rules/{file}: {e}"))?;
        for example in parsed.examples {
            reports.push(run_one(registry, &parsed.id, &example));
        }
    }
    Ok(reports)
}

fn run_one(registry: &Registry, rule: &str, example: &Example) -> ExampleReport {
    let mut report = ExampleReport {
        rule: rule.to_owned(),
        name: example.name.clone(),
        expect: format!("{:?}", example.expect).to_lowercase(),
        problems: Vec::new(),
    };
    let mut snapshot_value = example.snapshot.clone();
    if let Some(map) = snapshot_value.as_object_mut() {
        map.entry("schema_version")
            .or_insert(Value::from(SCHEMA_VERSION));
    }
    let snapshot: Snapshot = match serde_json::from_value(snapshot_value) {
        Ok(s) => s,
        Err(e) => {
            report
                .problems
                .push(format!("snapshot does not parse: {e}"));
            return report;
        }
    };
    let config = match &example.config {
        Some(text) => match Config::parse(text, "example.toml") {
            Ok(c) => c,
            Err(e) => {
                report.problems.push(format!("config does not parse: {e}"));
                return report;
            }
        },
        None => Config::default(),
    };
    let mut selectors = vec![rule.to_owned()];
    selectors.extend(example.select.iter().cloned());
    let selection = match Selection::new(Some(&selectors), &[], registry) {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(e);
            return report;
        }
    };
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
    let options = RunOptions {
        config: &config,
        selection: &selection,
        today,
    };
    let result = run(registry, &snapshot, &options);
    report.problems = judge(registry, rule, example, &result);
    report
}

/// What is wrong with a run, judged against the example's expectations.
fn judge(
    registry: &Registry,
    rule: &str,
    example: &Example,
    result: &super::engine::RunResult<'_>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let engine_rule = registry
        .get(rule)
        .is_some_and(|r| r.meta.implementation == Implementation::Engine);

    let own: Vec<&Finding> = result.findings.iter().filter(|f| f.rule == rule).collect();
    let failing: Vec<&Finding> = own
        .iter()
        .copied()
        .filter(|f| f.status != Status::Waived)
        .collect();
    let not_assessed: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.rule == "NB001" && mentions(f, rule))
        .collect();
    let passed = result
        .rules
        .iter()
        .find(|r| r.meta.id == rule)
        .map_or(0, |r| r.passed.len());
    let describe = |fs: &[&Finding]| {
        fs.iter()
            .map(|f| format!("{} {}: {}", f.severity, f.resource.id, f.message))
            .collect::<Vec<_>>()
    };

    match example.expect {
        Expect::Fail => {
            if failing.is_empty() {
                problems.push(format!("expected {rule} to fail; it produced no finding"));
            }
            if rule != "NB001" && !not_assessed.is_empty() {
                problems.push(format!(
                    "unexpected not-assessed: {:?}",
                    describe(&not_assessed)
                ));
            }
        }
        Expect::Pass => {
            if !failing.is_empty() {
                problems.push(format!("expected a pass; got {:?}", describe(&failing)));
            }
            if !not_assessed.is_empty() {
                problems.push(format!(
                    "expected a pass; got not-assessed {:?}",
                    describe(&not_assessed)
                ));
            }
            if !engine_rule && passed == 0 {
                problems.push("expected a pass; the rule judged no resource at all".to_owned());
            }
        }
        Expect::NotAssessed => {
            if not_assessed.is_empty() {
                problems.push(format!(
                    "expected {rule} to be not assessed; no NB001 finding names it"
                ));
            }
            if rule != "NB001" && !failing.is_empty() {
                problems.push(format!(
                    "expected not-assessed only; got {:?}",
                    describe(&failing)
                ));
            }
        }
    }
    if let Some(expected) = &example.findings {
        let pool: Vec<&Finding> = if example.expect == Expect::NotAssessed {
            not_assessed
        } else {
            failing
        };
        for want in expected {
            let hit = pool.iter().any(|f| {
                (f.resource.id == want.resource
                    || f.resource.address.as_deref() == Some(&want.resource))
                    && want.severity.is_none_or(|s| s == f.severity)
                    && want
                        .message_contains
                        .as_ref()
                        .is_none_or(|m| f.message.contains(m.as_str()))
            });
            if !hit {
                problems.push(format!(
                    "expected finding {want:?}; got {:?}",
                    describe(&pool)
                ));
            }
        }
        if pool.len() != expected.len() {
            problems.push(format!(
                "expected exactly {} finding(s); got {}: {:?}",
                expected.len(),
                pool.len(),
                describe(&pool)
            ));
        }
    }
    problems
}

fn mentions(finding: &Finding, rule: &str) -> bool {
    finding
        .details
        .as_ref()
        .and_then(|d| d.get("rules"))
        .and_then(Value::as_array)
        .is_some_and(|rules| rules.iter().any(|r| r.as_str() == Some(rule)))
}
