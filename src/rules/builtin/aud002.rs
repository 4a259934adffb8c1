//! AUD002 start-session-not-alerted: nobody is told when a session starts. A region with
//! managed instances passes when either
//! - an enabled EventBridge rule on the default bus has a pattern that matches `StartSession`
//!   events from every kind of caller (`source: aws.ssm`, or `eventName: StartSession` via
//!   CloudTrail, …) and at least one target, and a logging CloudTrail trail covers the region
//!   (EventBridge receives API calls only through a trail); or
//! - a CloudWatch Logs metric filter matching `StartSession` sits on the log group a logging
//!   trail covering the region delivers to, and a CloudWatch alarm with actions enabled and at
//!   least one action watches its metric.
//!
//! Regions without managed instances are not judged; regions whose managed instances cannot
//! be told are not assessed; partial (IaC) snapshots are not judged.

use serde_json::json;

use super::managed::hosted;
use super::patterns::{
    event_pattern_matches, filter_pattern_matches, start_session_events, start_session_records,
};
use crate::finding::ResourceRef;
use crate::model::arn::Arn;
use crate::model::{Account, EventRule, MetricFilter, Region, Section, Trail};
use crate::rules::{Check, Context, Emitter, RegionScope, gap_reason};

pub(crate) struct Aud002;

impl Check for Aud002 {
    fn id(&self) -> &'static str {
        "AUD002"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for scope in ctx.regions() {
            if hosted(&scope, out).is_none() {
                continue;
            }
            judge(ctx, &scope, out);
        }
    }
}

/// What was learned while looking for an alerting route.
#[derive(Default)]
struct Search {
    /// Why candidates did not count, for the failure message.
    near_misses: Vec<String>,
    /// Why the answer cannot be told, when nothing counted.
    undecided: Option<String>,
}

fn judge(ctx: &Context<'_>, scope: &RegionScope<'_>, out: &mut Emitter<'_>) {
    let mut search = Search::default();
    let trails = account_trails(scope.account);
    let covering = match &trails {
        Ok(trails) => match covering_trail(trails, &scope.region.name) {
            Some(_) => Coverage::Covered,
            None => Coverage::NotCovered,
        },
        Err(reason) => {
            search.undecided = Some(reason.clone());
            Coverage::Unknown
        }
    };
    if let Some(resource) = event_bridge_route(ctx, scope, covering, &mut search) {
        out.pass(resource);
        return;
    }
    if let Ok(trails) = &trails
        && let Some(resource) = metric_filter_route(scope, trails, &mut search)
    {
        out.pass(resource);
        return;
    }
    if let Some(reason) = search.undecided {
        out.not_assessed(scope.scope_ref(), reason);
        return;
    }
    let found = if search.near_misses.is_empty() {
        "there is no EventBridge rule or metric filter for it".to_owned()
    } else {
        search.near_misses.join("; ")
    };
    out.fail(
        scope.scope_ref(),
        format!(
            "Nothing alerts when a Session Manager session starts in {}: no enabled EventBridge rule with a target matches StartSession and no metric filter on StartSession has an alarm ({found})",
            scope.region.name
        ),
    )
    .evidence(json!({
        "region": scope.region.name,
        "event_rules": scope.region.event_rules.as_option(),
        "metric_filters": scope.region.metric_filters.as_option(),
    }));
}

/// Whether a logging trail covers the region (EventBridge sees API calls only then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    Covered,
    NotCovered,
    /// The trails could not be read.
    Unknown,
}

/// Every trail visible in the account's collected regions, or why none could be read.
fn account_trails(account: &Account) -> Result<Vec<&Trail>, String> {
    let mut trails: Vec<&Trail> = Vec::new();
    let mut gaps = Vec::new();
    let mut any = false;
    for region in account.regions.iter().filter(|r| r.not_collected.is_none()) {
        match &region.trails {
            Section::Collected(found) => {
                any = true;
                for trail in found {
                    if !trails
                        .iter()
                        .any(|t| t.name == trail.name && t.arn == trail.arn)
                    {
                        trails.push(trail);
                    }
                }
            }
            Section::NotCollected(gap) => {
                gaps.push(format!("{} ({})", gap_reason("trails", gap), region.name));
            }
        }
    }
    if any {
        Ok(trails)
    } else {
        Err(if gaps.is_empty() {
            "no trails were collected".to_owned()
        } else {
            gaps.join("; ")
        })
    }
}

/// A trail that is logging and covers `region`.
fn covering_trail<'t>(trails: &[&'t Trail], region: &str) -> Option<&'t Trail> {
    trails.iter().copied().find(|t| covers(t, region))
}

fn covers(trail: &Trail, region: &str) -> bool {
    trail.is_logging == Some(true)
        && trail.records_write_management_events()
        && (trail.is_multi_region || trail.home_region.as_deref() == Some(region))
}

fn event_bridge_route(
    ctx: &Context<'_>,
    scope: &RegionScope<'_>,
    covering: Coverage,
    search: &mut Search,
) -> Option<ResourceRef> {
    let rules = match &scope.region.event_rules {
        Section::Collected(rules) => rules,
        Section::NotCollected(gap) => {
            search
                .undecided
                .get_or_insert(gap_reason("event_rules", gap));
            return None;
        }
    };
    let events = start_session_events(&scope.account.id, &scope.region.name);
    for rule in rules {
        match rule_counts(rule, &events) {
            Ok(()) => {}
            Err(Miss::Near(why)) => {
                search.near_misses.push(format!("rule {} {why}", rule.name));
                continue;
            }
            Err(Miss::Unknown(why)) => {
                search
                    .undecided
                    .get_or_insert(format!("rule {}: {why}", rule.name));
                continue;
            }
            Err(Miss::Irrelevant) => continue,
        }
        if covering == Coverage::Unknown {
            continue; // the trails are unknown: `search.undecided` says so
        }
        if covering == Coverage::NotCovered {
            search.near_misses.push(format!(
                "rule {} matches StartSession, but no logging CloudTrail trail covers {} and EventBridge receives API calls only through one",
                rule.name, scope.region.name
            ));
            continue;
        }
        let mut resource = scope.resource_at("event-rule", &rule.name, rule.origin.as_ref());
        if ctx.arns_are_real()
            && let Some(arn) = &rule.arn
        {
            resource.arn = Some(arn.clone());
        }
        return Some(resource);
    }
    None
}

enum Miss {
    /// The rule has nothing to do with `StartSession`.
    Irrelevant,
    /// It matches but does not alert, or matches only some callers.
    Near(String),
    Unknown(String),
}

fn rule_counts(rule: &EventRule, events: &[serde_json::Value; 2]) -> Result<(), Miss> {
    if let Some((field, reason)) = ["event_pattern", "targets", "state"]
        .iter()
        .find_map(|f| crate::model::unknown_reason(&rule.unknown, f).map(|r| (f, r)))
    {
        return Err(Miss::Unknown(format!("`{field}` is unknown: {reason}")));
    }
    let Some(pattern) = &rule.event_pattern else {
        return Err(Miss::Irrelevant); // a scheduled rule
    };
    // Some inputs keep the pattern as the JSON text the API takes.
    let parsed;
    let pattern = match pattern {
        serde_json::Value::String(text) => {
            parsed = serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| Miss::Unknown(format!("the event pattern is not JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let mut hits = 0;
    for event in events {
        match event_pattern_matches(pattern, event) {
            Ok(true) => hits += 1,
            Ok(false) => {}
            Err(why) => return Err(Miss::Unknown(why)),
        }
    }
    match hits {
        0 => return Err(Miss::Irrelevant),
        1 => {
            return Err(Miss::Near(
                "matches StartSession only for some callers (IAM users or assumed roles)"
                    .to_owned(),
            ));
        }
        _ => {}
    }
    let bus = rule
        .event_bus_name
        .rsplit('/')
        .next()
        .unwrap_or(&rule.event_bus_name);
    if bus != "default" {
        return Err(Miss::Near(format!(
            "is on event bus {}, which does not receive CloudTrail events",
            rule.event_bus_name
        )));
    }
    if !rule.is_enabled() {
        return Err(Miss::Near(format!(
            "matches StartSession but is {}",
            rule.state
        )));
    }
    if rule.targets.is_empty() {
        return Err(Miss::Near(
            "matches StartSession but has no target".to_owned(),
        ));
    }
    Ok(())
}

fn metric_filter_route(
    scope: &RegionScope<'_>,
    trails: &[&Trail],
    search: &mut Search,
) -> Option<ResourceRef> {
    // Trails covering the region that deliver to CloudWatch Logs: (account, region, group).
    let destinations: Vec<(&str, &str, &str)> = trails
        .iter()
        .filter(|t| covers(t, &scope.region.name))
        .filter_map(|t| t.cloudwatch_logs_log_group_arn.as_deref())
        .filter_map(|arn| {
            let parsed = Arn::parse(arn)?;
            let group = parsed.resource.strip_prefix("log-group:")?;
            let group = group.strip_suffix(":*").unwrap_or(group);
            Some((parsed.account, parsed.region, group))
        })
        .collect();
    let records = start_session_records(&scope.account.id, &scope.region.name);
    for region in scope
        .account
        .regions
        .iter()
        .filter(|r| r.not_collected.is_none())
    {
        let filters = match &region.metric_filters {
            Section::Collected(filters) => filters,
            Section::NotCollected(gap) => {
                search.undecided.get_or_insert(format!(
                    "{} ({})",
                    gap_reason("metric_filters", gap),
                    region.name
                ));
                continue;
            }
        };
        for filter in filters {
            match filter_counts(filter, region, &records, &destinations, &scope.account.id) {
                Ok(()) => {
                    return Some(
                        ResourceRef::new("metric-filter", filter.name.clone())
                            .in_account(scope.account.id.clone())
                            .in_region(region.name.clone())
                            .with_address(filter.origin.as_ref().and_then(|o| o.address.clone())),
                    );
                }
                Err(Miss::Irrelevant) => {}
                Err(Miss::Near(why)) => search.near_misses.push(format!(
                    "metric filter {} on {} in {} {why}",
                    filter.name, filter.log_group_name, region.name
                )),
                Err(Miss::Unknown(why)) => {
                    search
                        .undecided
                        .get_or_insert(format!("metric filter {}: {why}", filter.name));
                }
            }
        }
    }
    None
}

fn filter_counts(
    filter: &MetricFilter,
    region: &Region,
    records: &[serde_json::Value; 2],
    destinations: &[(&str, &str, &str)],
    account: &str,
) -> Result<(), Miss> {
    let mut hits = 0;
    for record in records {
        match filter_pattern_matches(&filter.pattern, record) {
            Ok(true) => hits += 1,
            Ok(false) => {}
            Err(why) => return Err(Miss::Unknown(why)),
        }
    }
    match hits {
        0 => return Err(Miss::Irrelevant),
        1 => {
            return Err(Miss::Near(
                "matches StartSession only for some callers".to_owned(),
            ));
        }
        _ => {}
    }
    let fed = destinations.iter().any(|(a, r, g)| {
        *g == filter.log_group_name && (a.is_empty() || *a == account) && *r == region.name
    });
    if !fed {
        return Err(Miss::Near(
            "matches StartSession, but no logging CloudTrail trail covering this region delivers to that log group".to_owned(),
        ));
    }
    let alarms = match &region.alarms {
        Section::Collected(alarms) => alarms,
        Section::NotCollected(gap) => return Err(Miss::Unknown(gap_reason("alarms", gap))),
    };
    let alarmed = alarms.iter().any(|alarm| {
        alarm.actions_enabled
            && !alarm.alarm_actions.is_empty()
            && alarm
                .metric
                .as_ref()
                .is_some_and(|m| filter.metrics.iter().any(|f| f == m))
    });
    if alarmed {
        Ok(())
    } else {
        Err(Miss::Near(
            "matches StartSession, but no alarm with actions watches its metric".to_owned(),
        ))
    }
}
