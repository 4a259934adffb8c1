//! Runs the selected rules over a snapshot and turns their results into findings:
//! not-assessed results become NB001 findings (one per resource and reason, listing the
//! rules that could not run), waivers from the configuration apply (an expired waiver
//! re-raises its findings and adds NB002; a waiver matching nothing adds NB003), severities
//! are overridden from configuration, and fingerprints are computed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use serde_json::json;

use super::registry::{RegisteredRule, Runner};
use super::{Context, Emitter, Outcome, Registry, RuleMeta, RuleResult, Selection};
use crate::config::{Config, Waiver};
use crate::finding::{Finding, Location, ResourceRef, Severity, Status, WaiverNote, fingerprint};
use crate::model::Snapshot;

pub struct RunOptions<'a> {
    pub config: &'a Config,
    pub selection: &'a Selection,
    /// The date waivers are judged against.
    pub today: NaiveDate,
}

/// What one rule did: how many resources it judged and with what outcome.
#[derive(Debug, Clone)]
pub struct RuleRun<'r> {
    pub meta: &'r RuleMeta,
    /// Resources that passed (kept for evidence: "what was checked").
    pub passed: Vec<ResourceRef>,
    pub failed: usize,
    pub not_assessed: usize,
}

pub struct RunResult<'r> {
    /// Sorted by severity (most severe first), then rule, then resource.
    pub findings: Vec<Finding>,
    /// The rules that ran, in id order.
    pub rules: Vec<RuleRun<'r>>,
}

/// Evaluate every selected rule.
pub fn run<'r>(
    registry: &'r Registry,
    snapshot: &Snapshot,
    options: &RunOptions<'_>,
) -> RunResult<'r> {
    let ctx = Context::new(snapshot, options.config);
    let mut findings = Vec::new();
    let mut not_assessed: BTreeMap<(Vec<String>, String), NotAssessedGroup> = BTreeMap::new();
    let mut rules = Vec::new();

    let selected: Vec<&RegisteredRule> = registry
        .rules()
        .iter()
        .filter(|rule| {
            options.selection.is_selected(&rule.meta.id)
                && rule.meta.status != super::RuleStatus::Removed
        })
        .collect();
    let outputs = check_all(&ctx, &selected);

    for (rule, results) in selected.into_iter().zip(outputs) {
        let mut run = RuleRun {
            meta: &rule.meta,
            passed: Vec::new(),
            failed: 0,
            not_assessed: 0,
        };
        for result in results {
            match result.outcome {
                Outcome::Pass => run.passed.push(result.resource),
                Outcome::Fail => {
                    run.failed += 1;
                    findings.push(to_finding(&rule.meta, result));
                }
                Outcome::NotAssessed => {
                    run.not_assessed += 1;
                    let identity = identity(&result.resource, result.location.as_ref());
                    let group = not_assessed
                        .entry((identity, result.message.clone()))
                        .or_insert_with(|| NotAssessedGroup::new(&result));
                    if !group.rules.contains(&rule.meta.id) {
                        group.rules.push(rule.meta.id.clone());
                    }
                }
            }
        }
        rules.push(run);
    }

    let ran: Vec<String> = rules
        .iter()
        .filter(|r| r.meta.implementation != super::Implementation::Engine)
        .map(|r| r.meta.id.clone())
        .collect();
    unreachable_scopes(snapshot, &ran, &mut not_assessed);

    if let Some(nb001) = registry.get("NB001") {
        for ((identity, reason), group) in not_assessed {
            findings.push(nb001_finding(&nb001.meta, identity, &reason, group));
        }
    }

    apply_waivers(registry, &mut findings, options, &rules);

    for finding in &mut findings {
        if let Some(severity) = options.config.severity.get(&finding.rule) {
            finding.severity = *severity;
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.resource.display_name().cmp(b.resource.display_name()))
            .then_with(|| a.message.cmp(&b.message))
    });
    for rule in &mut rules {
        if rule.meta.id == "NB001" {
            rule.failed = findings.iter().filter(|f| f.rule == "NB001").count();
        }
    }
    RunResult { findings, rules }
}

/// Every selected rule's results, in the order given. Rules run on every core: each rule is
/// independent, and what the IAM rules share (the policy sets, the engine's answers) sits in
/// `OnceLock`s on the context, computed once by whichever rule asks first. The order of the
/// results, and so of everything derived from them, does not depend on the threads.
fn check_all(ctx: &Context<'_>, rules: &[&RegisteredRule]) -> Vec<Vec<RuleResult>> {
    let run_one = |rule: &RegisteredRule| {
        let mut out = Emitter::new(&rule.meta);
        match &rule.runner {
            Runner::Rust(check) => check.check(ctx, &mut out),
            Runner::Declarative(declarative) => declarative.run(ctx, &mut out),
            Runner::Engine => {}
        }
        out.results
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(rules.len());
    if workers <= 1 {
        return rules.iter().map(|rule| run_one(rule)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Vec<RuleResult>>> = Vec::new();
    slots.resize_with(rules.len(), || None);
    let done: Vec<Vec<(usize, Vec<RuleResult>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rule) = rules.get(index) else { break };
                        mine.push((index, run_one(rule)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (index, results) in done.into_iter().flatten() {
        slots[index] = Some(results);
    }
    slots.into_iter().map(Option::unwrap_or_default).collect()
}

struct NotAssessedGroup {
    resource: ResourceRef,
    location: Option<Location>,
    rules: Vec<String>,
}

impl NotAssessedGroup {
    fn new(result: &RuleResult) -> Self {
        NotAssessedGroup {
            resource: result.resource.clone(),
            location: result.location.clone(),
            rules: Vec::new(),
        }
    }
}

/// What identifies a resource across runs: its file and IaC address, else account, region,
/// kind and id. Line numbers are deliberately left out.
fn identity(resource: &ResourceRef, location: Option<&Location>) -> Vec<String> {
    match (&resource.address, location) {
        (Some(address), Some(location)) => vec![location.path.clone(), address.clone()],
        (Some(address), None) => vec![address.clone()],
        (None, Some(location)) => vec![
            location.path.clone(),
            resource.kind.clone(),
            resource.id.clone(),
        ],
        (None, None) => vec![
            resource.account.clone().unwrap_or_default(),
            resource.region.clone().unwrap_or_default(),
            resource.kind.clone(),
            resource.id.clone(),
        ],
    }
}

fn to_finding(meta: &RuleMeta, result: RuleResult) -> Finding {
    let mut parts = identity(&result.resource, result.location.as_ref());
    parts.extend(result.key.iter().cloned());
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Finding {
        rule: meta.id.clone(),
        severity: result.severity,
        status: Status::Fail,
        fingerprint: fingerprint(&meta.id, &refs),
        resource: result.resource,
        message: result.message,
        evidence: result.evidence,
        location: result.location,
        details: result.details,
        waiver: None,
    }
}

fn nb001_finding(
    meta: &RuleMeta,
    identity: Vec<String>,
    reason: &str,
    mut group: NotAssessedGroup,
) -> Finding {
    group.rules.sort();
    // The reason's head ("security_groups not collected") identifies the gap; the tail may
    // carry request-specific text.
    let head = reason.split(':').next().unwrap_or(reason).to_owned();
    let mut parts = identity;
    parts.push(head);
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Finding {
        rule: meta.id.clone(),
        severity: meta.severity,
        status: Status::NotAssessed,
        fingerprint: fingerprint(&meta.id, &refs),
        message: format!("Not assessed ({}): {reason}", group.rules.join(", ")),
        details: Some(json!({ "rules": group.rules, "reason": reason })),
        resource: group.resource,
        evidence: None,
        location: group.location,
        waiver: None,
    }
}

/// Accounts and regions that could not be collected at all: every rule that ran is
/// not-assessed there.
fn unreachable_scopes(
    snapshot: &Snapshot,
    ran: &[String],
    groups: &mut BTreeMap<(Vec<String>, String), NotAssessedGroup>,
) {
    if ran.is_empty() {
        return;
    }
    let mut add = |resource: ResourceRef, reason: String| {
        let identity = identity(&resource, None);
        groups.insert(
            (identity, reason),
            NotAssessedGroup {
                resource,
                location: None,
                rules: ran.to_vec(),
            },
        );
    };
    for account in &snapshot.accounts {
        if let Some(gap) = &account.not_collected {
            add(
                ResourceRef::new("account", account.id.clone()).in_account(account.id.clone()),
                format!(
                    "account {} could not be collected: {}",
                    account.id,
                    gap.describe()
                ),
            );
            continue;
        }
        for region in &account.regions {
            if let Some(gap) = &region.not_collected {
                add(
                    ResourceRef::new("region", region.name.clone())
                        .in_account(account.id.clone())
                        .in_region(region.name.clone()),
                    format!(
                        "region {} could not be collected: {}",
                        region.name,
                        gap.describe()
                    ),
                );
            }
        }
    }
}

fn waiver_note(waiver: &Waiver) -> WaiverNote {
    WaiverNote {
        reason: waiver.reason.clone(),
        owner: waiver.owner.clone(),
        ticket: waiver.ticket.clone(),
        expires: waiver.expires.map(|d| d.to_string()),
    }
}

fn waiver_matches(waiver: &Waiver, matcher: &globset::GlobMatcher, finding: &Finding) -> bool {
    if waiver.rule != finding.rule {
        return false;
    }
    let r = &finding.resource;
    [Some(&r.id), r.arn.as_ref(), r.address.as_ref()]
        .into_iter()
        .flatten()
        .any(|candidate| matcher.is_match(candidate))
}

/// " (owner x, ticket y)", or nothing.
fn owner_and_ticket(waiver: &Waiver) -> String {
    let mut who = Vec::new();
    if let Some(owner) = &waiver.owner {
        who.push(format!("owner {owner}"));
    }
    if let Some(ticket) = &waiver.ticket {
        who.push(format!("ticket {ticket}"));
    }
    if who.is_empty() {
        String::new()
    } else {
        format!(" ({})", who.join(", "))
    }
}

/// An NB002/NB003 finding about a waiver, located at the waiver's line in the config file.
fn waiver_finding(
    meta: &RuleMeta,
    waiver: &Waiver,
    config_path: &str,
    message: String,
    details: Option<serde_json::Value>,
) -> Finding {
    Finding {
        rule: meta.id.clone(),
        severity: meta.severity,
        status: Status::Fail,
        fingerprint: fingerprint(&meta.id, &[config_path, &waiver.rule, &waiver.resource]),
        message,
        resource: ResourceRef::new("waiver", format!("{} {}", waiver.rule, waiver.resource)),
        evidence: None,
        location: Some(Location {
            path: config_path.to_owned(),
            line: u32::try_from(waiver.line).ok(),
            column: Some(1),
        }),
        details,
        waiver: Some(waiver_note(waiver)),
    }
}

fn apply_waivers(
    registry: &Registry,
    findings: &mut Vec<Finding>,
    options: &RunOptions<'_>,
    rules: &[RuleRun<'_>],
) {
    let config = options.config;
    let config_path = config.display_path();
    let mut extra = Vec::new();
    for waiver in &config.waivers {
        // Waivers for rules that did not run neither apply nor count as unused.
        if !rules.iter().any(|r| r.meta.id == waiver.rule) {
            continue;
        }
        let Ok(glob) = globset::Glob::new(&waiver.resource) else {
            continue;
        };
        let matcher = glob.compile_matcher();
        let has_expired = waiver.expires.is_some_and(|d| d < options.today);
        let mut covered = 0usize;
        for finding in findings.iter_mut() {
            if finding.status == Status::Waived || !waiver_matches(waiver, &matcher, finding) {
                continue;
            }
            covered += 1;
            finding.waiver = Some(waiver_note(waiver));
            if !has_expired {
                finding.status = Status::Waived;
            }
        }
        let verdict = if covered > 0 && has_expired {
            let expires = waiver.expires.map(|d| d.to_string()).unwrap_or_default();
            Some((
                "NB002",
                format!(
                    "Waiver for {} on `{}`{} expired on {expires}; the {covered} finding(s) it covered are reported again",
                    waiver.rule,
                    waiver.resource,
                    owner_and_ticket(waiver)
                ),
                Some(json!({ "covered_findings": covered, "expires": expires })),
            ))
        } else if covered == 0 {
            Some((
                "NB003",
                format!(
                    "Waiver for {} on `{}`{} matches no finding; remove it or fix its resource pattern",
                    waiver.rule,
                    waiver.resource,
                    owner_and_ticket(waiver)
                ),
                None,
            ))
        } else {
            None
        };
        if let Some((rule, message, details)) = verdict
            && let Some(meta) = registry
                .get(rule)
                .filter(|_| options.selection.is_selected(rule))
        {
            extra.push(waiver_finding(
                &meta.meta,
                waiver,
                &config_path,
                message,
                details,
            ));
        }
    }
    findings.extend(extra);
}

/// What the findings mean for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing at or above the threshold.
    Clean,
    /// Findings at or above the threshold.
    Findings,
    /// Something could not be assessed (and that was not explicitly allowed).
    Incomplete,
}

/// The verdict: incomplete wins over findings (the list of findings is not the whole
/// truth); waived findings never count.
pub fn verdict(findings: &[Finding], fail_on: Severity, allow_incomplete: bool) -> Verdict {
    let incomplete = findings.iter().any(|f| f.status == Status::NotAssessed);
    if incomplete && !allow_incomplete {
        return Verdict::Incomplete;
    }
    let failing = findings
        .iter()
        .any(|f| f.status == Status::Fail && f.severity >= fail_on);
    if failing {
        Verdict::Findings
    } else {
        Verdict::Clean
    }
}
