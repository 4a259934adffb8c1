//! EventBridge collector for one region: the rules on the default event bus (where AWS
//! service events such as `StartSession` arrive) with their parsed event patterns, and the
//! targets of every rule that has a pattern. Scheduled rules cannot match events, so their
//! targets are not read (and are marked unknown, not empty).
//!
//! Called by the region step in `collect::mod`.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::Rule;
use futures_util::{StreamExt, stream};

use super::Scope;
use crate::model::{EventRule, EventTarget, Section};

const RULE_FAN_OUT: usize = 8;

type SdkError<E> = aws_smithy_runtime_api::client::result::SdkError<
    E,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

pub(crate) async fn collect(client: &Client, scope: &Scope) -> Section<Vec<EventRule>> {
    let rules = match list_rules(client).await {
        Ok(rules) => rules,
        Err(err) => {
            scope.step_done();
            return Section::NotCollected(scope.gap("events:ListRules", &err));
        }
    };
    let rules = stream::iter(rules)
        .map(|rule| event_rule(client, scope, rule))
        .buffered(RULE_FAN_OUT)
        .collect::<Vec<_>>()
        .await;
    scope.step_done();
    Section::Collected(rules)
}

/// `ListRules` has no SDK paginator; follow `NextToken` by hand.
async fn list_rules(
    client: &Client,
) -> Result<Vec<Rule>, SdkError<aws_sdk_eventbridge::operation::list_rules::ListRulesError>> {
    let mut rules = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_rules()
            .limit(100)
            .set_next_token(token.take())
            .send()
            .await?;
        rules.extend(out.rules().iter().cloned());
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(rules),
        }
    }
}

async fn event_rule(client: &Client, scope: &Scope, rule: Rule) -> EventRule {
    let name = rule.name().unwrap_or_default().to_owned();
    let mut out = EventRule {
        name: name.clone(),
        arn: rule.arn().map(str::to_owned),
        event_bus_name: rule.event_bus_name().unwrap_or("default").to_owned(),
        state: rule
            .state()
            .map_or_else(|| "ENABLED".to_owned(), |s| s.as_str().to_owned()),
        ..EventRule::default()
    };
    match rule.event_pattern() {
        None => {
            out.unknown.insert(
                "targets".to_owned(),
                "not read: the rule has no event pattern (scheduled rule)".to_owned(),
            );
            return out;
        }
        Some(text) => match serde_json::from_str(text) {
            Ok(pattern) => out.event_pattern = Some(pattern),
            Err(err) => {
                out.unknown.insert(
                    "event_pattern".to_owned(),
                    format!("the event pattern is not valid JSON: {err}"),
                );
            }
        },
    }
    match targets(client, &name, rule.event_bus_name()).await {
        Ok(targets) => out.targets = targets,
        Err(err) => scope.unknown(
            &mut out.unknown,
            "targets",
            &name,
            "events:ListTargetsByRule",
            &err,
        ),
    }
    out
}

async fn targets(
    client: &Client,
    rule: &str,
    bus: Option<&str>,
) -> Result<
    Vec<EventTarget>,
    SdkError<aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleError>,
> {
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_targets_by_rule()
            .rule(rule)
            .set_event_bus_name(bus.map(str::to_owned))
            .limit(100)
            .set_next_token(token.take())
            .send()
            .await?;
        targets.extend(out.targets().iter().map(|t| EventTarget {
            id: t.id().to_owned(),
            arn: t.arn().to_owned(),
        }));
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(targets),
        }
    }
}
