//! Runs the pass / fail / not-assessed examples of every rule file through the real engine,
//! and checks that every rule has enough of them.

use nobastion::rules::Registry;
use nobastion::rules::examples::{coverage, run_all};

#[test]
fn every_rule_example_behaves_as_declared() {
    let registry = Registry::builtin().expect("embedded rule files parse");
    let reports = run_all(registry).expect("examples parse");
    assert!(!reports.is_empty());
    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| {
            format!(
                "{} / {} (expect {}):\n    {}",
                r.rule,
                r.name,
                r.expect,
                r.problems.join("\n    ")
            )
        })
        .collect();
    println!("{} examples run", reports.len());
    assert!(
        failures.is_empty(),
        "{} example(s) misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_two_failing_and_two_passing_examples() {
    let mut missing = Vec::new();
    for (rule, fails, passes, _) in coverage().expect("examples parse") {
        if fails < 2 || passes < 2 {
            missing.push(format!("{rule}: {fails} failing, {passes} passing"));
        }
    }
    assert!(
        missing.is_empty(),
        "rules need at least two failing and two passing examples:\n{}",
        missing.join("\n")
    );
}
