//! The controls view: for each compliance framework, every control the rule catalog maps,
//! judged from the findings of one run.
//!
//! A control is
//! - **not satisfied** when any mapped rule has an unwaived failing finding;
//! - else **not assessed** when an NB001 finding (waived or not: an accepted gap is still a
//!   gap) names a mapped rule in `details.rules`, or when none of the mapped rules ran;
//! - else **satisfied**.
//!
//! Waived findings are listed with the control but do not make it unsatisfied: the waiver
//! (reason, owner, ticket, expiry) is the evidence that the risk was accepted. Controls of
//! catalog rules that were not selected appear as not assessed rather than disappearing, so
//! a narrowed run cannot look like full coverage.
//!
//! Used by the evidence bundle (controls.json), the HTML and Markdown reports.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Status};
use crate::rules::{Framework, RuleMeta, RuleRun};

/// The verdict on one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    NotSatisfied,
    NotAssessed,
    Satisfied,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 3] = [
        ControlStatus::NotSatisfied,
        ControlStatus::NotAssessed,
        ControlStatus::Satisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Satisfied => "satisfied",
            ControlStatus::NotSatisfied => "not-satisfied",
            ControlStatus::NotAssessed => "not-assessed",
        }
    }

    /// As a report says it.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Satisfied => "satisfied",
            ControlStatus::NotSatisfied => "not satisfied",
            ControlStatus::NotAssessed => "not assessed",
        }
    }
}

/// One control of one framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    pub status: ControlStatus,
    /// Catalog rules mapped to the control.
    pub rules: Vec<String>,
    /// Of those, the rules that ran.
    pub rules_run: Vec<String>,
    /// Indexes into the run's findings: unwaived failures of mapped rules.
    pub failing: Vec<usize>,
    /// NB001 findings that name a mapped rule.
    pub not_assessed: Vec<usize>,
    /// Waived findings of mapped rules.
    pub waived: Vec<usize>,
    /// Resources that passed the mapped rules (what was checked and found in order).
    pub passed: usize,
}

/// Reports list the findings behind a control one by one up to this many; beyond, they
/// count them per rule (controls.json always lists them all).
pub const LIST_LIMIT: usize = 12;

impl Control {
    /// Indexes of every finding behind the verdict: failing, then gaps, then waived.
    pub fn behind(&self) -> Vec<usize> {
        self.failing
            .iter()
            .chain(&self.not_assessed)
            .chain(&self.waived)
            .copied()
            .collect()
    }

    /// The findings behind the verdict counted per rule and status, for controls with more
    /// than [`LIST_LIMIT`] of them.
    pub fn counted<'f>(&self, findings: &'f [Finding]) -> Vec<(&'f str, Status, usize)> {
        let mut counts: BTreeMap<(&str, &str), (Status, usize)> = BTreeMap::new();
        for finding in self.behind().iter().filter_map(|i| findings.get(*i)) {
            counts
                .entry((finding.rule.as_str(), finding.status.as_str()))
                .or_insert((finding.status, 0))
                .1 += 1;
        }
        counts
            .into_iter()
            .map(|((rule, _), (status, n))| (rule, status, n))
            .collect()
    }
}

/// The controls of one framework, in natural id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkControls {
    pub framework: Framework,
    pub controls: Vec<Control>,
}

impl FrameworkControls {
    pub fn count(&self, status: ControlStatus) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }
}

/// Every framework that any catalog rule maps, in [`Framework::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ControlsView {
    pub frameworks: Vec<FrameworkControls>,
}

/// Judge every control mapped by `ran` or `not_run` rules from the run's `findings`.
pub fn compute(findings: &[Finding], ran: &[RuleRun<'_>], not_run: &[&RuleMeta]) -> ControlsView {
    // framework → control → mapped rule ids
    let mut mapping: BTreeMap<Framework, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let metas = ran.iter().map(|r| r.meta).chain(not_run.iter().copied());
    for meta in metas {
        for (framework, controls) in &meta.compliance {
            for control in controls {
                mapping
                    .entry(*framework)
                    .or_default()
                    .entry(control.clone())
                    .or_default()
                    .insert(meta.id.clone());
            }
        }
    }
    let ran_ids: BTreeSet<&str> = ran.iter().map(|r| r.meta.id.as_str()).collect();
    let passed_by_rule: BTreeMap<&str, usize> = ran
        .iter()
        .map(|r| (r.meta.id.as_str(), r.passed.len()))
        .collect();

    let mut frameworks = Vec::new();
    for framework in Framework::ALL {
        let Some(controls) = mapping.get(&framework) else {
            continue;
        };
        let mut list: Vec<Control> = controls
            .iter()
            .map(|(id, rules)| judge(id, rules, findings, &ran_ids, &passed_by_rule))
            .collect();
        list.sort_by(|a, b| super::natural_cmp(&a.id, &b.id));
        frameworks.push(FrameworkControls {
            framework,
            controls: list,
        });
    }
    ControlsView { frameworks }
}

fn judge(
    id: &str,
    rules: &BTreeSet<String>,
    findings: &[Finding],
    ran: &BTreeSet<&str>,
    passed_by_rule: &BTreeMap<&str, usize>,
) -> Control {
    let mut control = Control {
        id: id.to_owned(),
        status: ControlStatus::Satisfied,
        rules: rules.iter().cloned().collect(),
        rules_run: rules
            .iter()
            .filter(|r| ran.contains(r.as_str()))
            .cloned()
            .collect(),
        failing: Vec::new(),
        not_assessed: Vec::new(),
        waived: Vec::new(),
        passed: rules
            .iter()
            .filter_map(|r| passed_by_rule.get(r.as_str()))
            .sum(),
    };
    for (index, finding) in findings.iter().enumerate() {
        if rules.contains(&finding.rule) {
            match finding.status {
                Status::Fail => control.failing.push(index),
                Status::Waived => control.waived.push(index),
                // NB001's own findings are about other rules: handled below.
                Status::NotAssessed => {}
            }
        }
        if finding.rule == "NB001" && nb001_rules(finding).any(|r| rules.contains(r)) {
            control.not_assessed.push(index);
        }
    }
    control.status = if !control.failing.is_empty() {
        ControlStatus::NotSatisfied
    } else if !control.not_assessed.is_empty() || control.rules_run.is_empty() {
        ControlStatus::NotAssessed
    } else {
        ControlStatus::Satisfied
    };
    control
}

/// The rules an NB001 finding could not assess (`details.rules`).
pub fn nb001_rules(finding: &Finding) -> impl Iterator<Item = &str> {
    finding
        .details
        .as_ref()
        .and_then(|d| d.get("rules"))
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
}

/// controls.json: the view with findings named by fingerprint, for machines and auditors'
/// own tooling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlsDocument {
    pub semantics: String,
    pub frameworks: Vec<FrameworkDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FrameworkDocument {
    /// `cis-aws`, `aws-fsbp`, `nist-800-53`, `iso-27001`, `soc2`, `pci-dss`.
    pub framework: Framework,
    pub title: String,
    pub counts: BTreeMap<ControlStatus, usize>,
    pub controls: Vec<ControlDocument>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlDocument {
    pub id: String,
    pub status: ControlStatus,
    pub rules: Vec<String>,
    pub rules_run: Vec<String>,
    pub resources_passed: usize,
    /// Fingerprints of the findings behind the verdict.
    pub failing: Vec<String>,
    pub not_assessed: Vec<String>,
    pub waived: Vec<String>,
}

pub const SEMANTICS: &str = "not-satisfied: a mapped rule has an unwaived failing finding; \
not-assessed: otherwise, an NB001 finding names a mapped rule, or no mapped rule ran; \
satisfied: otherwise. Waived findings are listed but do not make a control not-satisfied.";

impl ControlsView {
    pub fn document(&self, findings: &[Finding]) -> ControlsDocument {
        let fingerprints = |indexes: &[usize]| -> Vec<String> {
            indexes
                .iter()
                .filter_map(|i| findings.get(*i))
                .map(|f| f.fingerprint.clone())
                .collect()
        };
        ControlsDocument {
            semantics: SEMANTICS.to_owned(),
            frameworks: self
                .frameworks
                .iter()
                .map(|fw| FrameworkDocument {
                    framework: fw.framework,
                    title: fw.framework.title().to_owned(),
                    counts: ControlStatus::ALL
                        .iter()
                        .map(|s| (*s, fw.count(*s)))
                        .collect(),
                    controls: fw
                        .controls
                        .iter()
                        .map(|c| ControlDocument {
                            id: c.id.clone(),
                            status: c.status,
                            rules: c.rules.clone(),
                            rules_run: c.rules_run.clone(),
                            resources_passed: c.passed,
                            failing: fingerprints(&c.failing),
                            not_assessed: fingerprints(&c.not_assessed),
                            waived: fingerprints(&c.waived),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{ResourceRef, Severity};
    use crate::rules::meta::{Implementation, Remediation, RuleStatus};

    fn meta(id: &str, mapping: &[(Framework, &[&str])]) -> RuleMeta {
        RuleMeta {
            id: id.to_owned(),
            name: id.to_lowercase(),
            title: id.to_owned(),
            severity: Severity::High,
            status: RuleStatus::Stable,
            since: "0.1.0".to_owned(),
            implementation: Implementation::Rust,
            description: String::new(),
            rationale: String::new(),
            remediation: Remediation {
                console: String::new(),
                terraform: String::new(),
                cloudformation: String::new(),
            },
            references: Vec::new(),
            compliance: mapping
                .iter()
                .map(|(f, c)| (*f, c.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
            tags: Vec::new(),
        }
    }

    fn finding(rule: &str, status: Status, details: Option<serde_json::Value>) -> Finding {
        Finding {
            rule: rule.to_owned(),
            severity: Severity::High,
            status,
            resource: ResourceRef::new("x", "x-1"),
            message: String::new(),
            evidence: None,
            location: None,
            fingerprint: format!("{rule}-{status:?}"),
            details,
            waiver: None,
        }
    }

    fn ran(metas: &[RuleMeta]) -> Vec<RuleRun<'_>> {
        metas
            .iter()
            .map(|meta| RuleRun {
                meta,
                passed: vec![ResourceRef::new("x", "ok")],
                failed: 0,
                not_assessed: 0,
            })
            .collect()
    }

    fn control<'v>(view: &'v ControlsView, framework: Framework, id: &str) -> &'v Control {
        view.frameworks
            .iter()
            .find(|f| f.framework == framework)
            .and_then(|f| f.controls.iter().find(|c| c.id == id))
            .unwrap()
    }

    fn rules() -> Vec<RuleMeta> {
        vec![
            meta("NET001", &[(Framework::PciDss, &["1.3"])]),
            meta("NET002", &[(Framework::PciDss, &["1.3"])]),
            meta("EC2002", &[(Framework::PciDss, &["8.2"])]),
            meta("NB001", &[(Framework::Soc2, &["CC7.2"])]),
        ]
    }

    #[test]
    fn failing_beats_gap_beats_satisfied_and_waivers_do_not_fail() {
        let metas = rules();
        let ran = ran(&metas);
        let mut findings = vec![
            finding("NET002", Status::Waived, None),
            finding(
                "NB001",
                Status::NotAssessed,
                Some(serde_json::json!({"rules": ["EC2002"], "reason": "r"})),
            ),
        ];
        let view = compute(&findings, &ran, &[]);
        let c13 = control(&view, Framework::PciDss, "1.3");
        assert_eq!(c13.status, ControlStatus::Satisfied);
        assert_eq!((c13.waived.as_slice(), c13.passed), (&[0][..], 2));
        let c82 = control(&view, Framework::PciDss, "8.2");
        assert_eq!(c82.status, ControlStatus::NotAssessed);
        assert_eq!(c82.not_assessed, [1]);
        // NB001's own (not-assessed) findings do not fail the controls NB001 maps.
        assert_eq!(
            control(&view, Framework::Soc2, "CC7.2").status,
            ControlStatus::Satisfied
        );

        findings.push(finding("NET001", Status::Fail, None));
        let view = compute(&findings, &ran, &[]);
        let c13 = control(&view, Framework::PciDss, "1.3");
        assert_eq!(c13.status, ControlStatus::NotSatisfied);
        assert_eq!(
            (c13.failing.as_slice(), c13.waived.as_slice()),
            (&[2][..], &[0][..])
        );
    }

    #[test]
    fn a_waived_gap_is_still_a_gap() {
        let metas = rules();
        let ran = ran(&metas);
        let findings = vec![finding(
            "NB001",
            Status::Waived,
            Some(serde_json::json!({"rules": ["EC2002"]})),
        )];
        let view = compute(&findings, &ran, &[]);
        assert_eq!(
            control(&view, Framework::PciDss, "8.2").status,
            ControlStatus::NotAssessed
        );
    }

    #[test]
    fn controls_of_rules_that_did_not_run_are_not_assessed() {
        let metas = rules();
        let log = meta("LOG002", &[(Framework::Iso27001, &["8.15", "8.16"])]);
        let view = compute(&[], &ran(&metas[..1]), &[&log]);
        let c815 = control(&view, Framework::Iso27001, "8.15");
        assert_eq!(c815.status, ControlStatus::NotAssessed);
        assert!(c815.rules_run.is_empty());
        assert_eq!(
            control(&view, Framework::PciDss, "1.3").status,
            ControlStatus::Satisfied
        );
        // Frameworks come in the catalog's order; controls in natural order.
        let order: Vec<Framework> = view.frameworks.iter().map(|f| f.framework).collect();
        assert_eq!(order, [Framework::Iso27001, Framework::PciDss]);
    }
}
