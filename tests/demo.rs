//! The bundled demo account exercises every implemented rule: each fails at least once and
//! passes at least once, and the engine-level rules (NB001–NB003) each fire with the demo
//! configuration.

mod support;

use nobastion::config::Config;
use nobastion::finding::Status;
use nobastion::model::Snapshot;
use nobastion::rules::{Implementation, Registry, RunOptions, Selection, run};
use support::{DEMO, DEMO_CONFIG, repo};

#[test]
fn every_rule_fails_and_passes_in_the_demo() {
    let registry = Registry::builtin().unwrap();
    let snapshot = Snapshot::load(&repo().join(DEMO)).unwrap();
    let config = Config::load(&repo().join(DEMO_CONFIG)).unwrap();
    let selection = Selection::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let result = run(
        registry,
        &snapshot,
        &RunOptions {
            config: &config,
            selection: &selection,
            today,
        },
    );
    let mut problems = Vec::new();
    for rule in &result.rules {
        let findings = result
            .findings
            .iter()
            .filter(|f| f.rule == rule.meta.id)
            .count();
        if rule.meta.implementation == Implementation::Engine {
            if findings == 0 {
                problems.push(format!("{} never fires in the demo", rule.meta.id));
            }
        } else {
            if rule.failed == 0 {
                problems.push(format!("{} never fails in the demo", rule.meta.id));
            }
            if rule.passed.is_empty() {
                problems.push(format!("{} never passes in the demo", rule.meta.id));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(result.findings.iter().any(|f| f.status == Status::Waived));
}
