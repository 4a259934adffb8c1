//! CloudWatch Logs and CloudWatch collector for one region: log groups (encryption key,
//! retention), metric filters and metric alarms — the session-log destination and the
//! metric-filter route to alerting on `StartSession`.
//!
//! Called by the region step in `collect::mod`.

use aws_sdk_cloudwatch::Client as CloudWatch;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatchlogs::Client as Logs;
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersOutput;

use super::Scope;
use crate::model::{Alarm, LogGroup, MetricFilter, MetricRef, Section};

pub(crate) struct LogSections {
    pub(crate) log_groups: Section<Vec<LogGroup>>,
    pub(crate) metric_filters: Section<Vec<MetricFilter>>,
    pub(crate) alarms: Section<Vec<Alarm>>,
}

pub(crate) async fn collect(logs: &Logs, cloudwatch: &CloudWatch, scope: &Scope) -> LogSections {
    let (log_groups, metric_filters) =
        tokio::join!(log_groups(logs, scope), metric_filters(logs, scope));
    scope.step_done();
    let alarms = alarms(cloudwatch, scope).await;
    scope.step_done();
    LogSections {
        log_groups,
        metric_filters,
        alarms,
    }
}

async fn log_groups(client: &Logs, scope: &Scope) -> Section<Vec<LogGroup>> {
    let pages = client
        .describe_log_groups()
        .limit(50)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("logs:DescribeLogGroups", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeLogGroupsOutput::log_groups)
            .filter_map(|group| {
                Some(LogGroup {
                    name: group.log_group_name()?.to_owned(),
                    arn: group
                        .log_group_arn()
                        .or_else(|| group.arn().map(|arn| arn.trim_end_matches(":*")))
                        .map(str::to_owned),
                    kms_key_id: group.kms_key_id().map(str::to_owned),
                    retention_days: group
                        .retention_in_days()
                        .and_then(|days| u32::try_from(days).ok()),
                    ..LogGroup::default()
                })
            })
            .collect()
    })
}

async fn metric_filters(client: &Logs, scope: &Scope) -> Section<Vec<MetricFilter>> {
    let pages = client
        .describe_metric_filters()
        .limit(50)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("logs:DescribeMetricFilters", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeMetricFiltersOutput::metric_filters)
            .map(|filter| MetricFilter {
                name: filter.filter_name().unwrap_or_default().to_owned(),
                log_group_name: filter.log_group_name().unwrap_or_default().to_owned(),
                pattern: filter.filter_pattern().unwrap_or_default().to_owned(),
                metrics: filter
                    .metric_transformations()
                    .iter()
                    .map(|t| MetricRef {
                        namespace: t.metric_namespace().to_owned(),
                        name: t.metric_name().to_owned(),
                    })
                    .collect(),
                origin: None,
            })
            .collect()
    })
}

async fn alarms(client: &CloudWatch, scope: &Scope) -> Section<Vec<Alarm>> {
    let pages = client
        .describe_alarms()
        .max_records(100)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("cloudwatch:DescribeAlarms", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeAlarmsOutput::metric_alarms)
            .map(|alarm| Alarm {
                name: alarm.alarm_name().unwrap_or_default().to_owned(),
                metric: alarm_metric(alarm),
                actions_enabled: alarm.actions_enabled().unwrap_or(true),
                alarm_actions: alarm.alarm_actions().to_vec(),
                origin: None,
            })
            .collect()
    })
}

/// The metric an alarm watches: its own metric, or for a metric-math alarm the first metric
/// the expression reads.
fn alarm_metric(alarm: &aws_sdk_cloudwatch::types::MetricAlarm) -> Option<MetricRef> {
    if let (Some(namespace), Some(name)) = (alarm.namespace(), alarm.metric_name()) {
        return Some(MetricRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        });
    }
    alarm.metrics().iter().find_map(|query| {
        let metric = query.metric_stat()?.metric()?;
        Some(MetricRef {
            namespace: metric.namespace()?.to_owned(),
            name: metric.metric_name()?.to_owned(),
        })
    })
}
