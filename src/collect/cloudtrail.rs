//! CloudTrail collector: the trails visible in each region (multi-region trails appear in
//! every region), then — once per trail, not once per region it appears in — whether it is
//! logging and which management events its basic or advanced event selectors record.
//!
//! Called by `collect::mod`: [`trails`] in the region step, [`details`] in the account step
//! after all regions are read.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};

use super::Scope;
use crate::model::{Section, Trail};

pub(crate) async fn trails(client: &Client, scope: &Scope) -> Section<Vec<Trail>> {
    // DescribeTrails is not paginated; shadow trails are included by default.
    let out = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await;
    scope.step_done();
    scope.section("cloudtrail:DescribeTrails", out, |out| {
        out.trail_list()
            .iter()
            .filter_map(|t| {
                Some(Trail {
                    name: t.name()?.to_owned(),
                    arn: t.trail_arn().map(str::to_owned),
                    home_region: t.home_region().map(str::to_owned),
                    is_multi_region: t.is_multi_region_trail().unwrap_or(false),
                    is_organization_trail: t.is_organization_trail().unwrap_or(false),
                    s3_bucket_name: t.s3_bucket_name().map(str::to_owned),
                    cloudwatch_logs_log_group_arn: t
                        .cloud_watch_logs_log_group_arn()
                        .map(str::to_owned),
                    kms_key_id: t.kms_key_id().map(str::to_owned),
                    log_file_validation_enabled: t.log_file_validation_enabled().unwrap_or(false),
                    ..Trail::default()
                })
            })
            .collect()
    })
}

/// Status and management-event coverage of one trail, read once and copied to every region
/// that shows the trail.
#[derive(Debug, Clone)]
pub(crate) struct TrailDetails {
    /// `Ok(is_logging)` or the reason it is unknown.
    pub(crate) is_logging: Result<bool, String>,
    /// `Ok(All | ReadOnly | WriteOnly | none)` or the reason it is unknown.
    pub(crate) management_events: Result<Option<String>, String>,
}

pub(crate) async fn details(client: &Client, scope: &Scope, arn: &str) -> TrailDetails {
    let (status, selectors) = tokio::join!(
        client.get_trail_status().name(arn).send(),
        client.get_event_selectors().trail_name(arn).send(),
    );
    let is_logging = match status {
        Ok(out) => out
            .is_logging()
            .ok_or_else(|| "GetTrailStatus returned no IsLogging".to_owned()),
        Err(err) => Err(scope.gap("cloudtrail:GetTrailStatus", &err).describe()),
    };
    let management_events = match selectors {
        Ok(out) => Ok(management_events(
            out.event_selectors(),
            out.advanced_event_selectors(),
        )),
        Err(err) => Err(scope.gap("cloudtrail:GetEventSelectors", &err).describe()),
    };
    TrailDetails {
        is_logging,
        management_events,
    }
}

#[derive(Default)]
struct Coverage {
    reads: bool,
    writes: bool,
}

impl Coverage {
    fn add(&mut self, reads: bool, writes: bool) {
        self.reads |= reads;
        self.writes |= writes;
    }

    fn normalized(&self) -> Option<String> {
        match (self.reads, self.writes) {
            (true, true) => Some("All".to_owned()),
            (true, false) => Some("ReadOnly".to_owned()),
            (false, true) => Some("WriteOnly".to_owned()),
            (false, false) => None,
        }
    }
}

/// Which management events the selectors record: `All`, `ReadOnly`, `WriteOnly`, or none.
fn management_events(
    basic: &[EventSelector],
    advanced: &[AdvancedEventSelector],
) -> Option<String> {
    let mut coverage = Coverage::default();
    for selector in basic {
        // Both fields default to "all management events" when absent.
        if !selector.include_management_events().unwrap_or(true) {
            continue;
        }
        match selector.read_write_type() {
            Some(ReadWriteType::ReadOnly) => coverage.add(true, false),
            Some(ReadWriteType::WriteOnly) => coverage.add(false, true),
            _ => coverage.add(true, true),
        }
    }
    for selector in advanced {
        let fields = selector.field_selectors();
        let management = fields
            .iter()
            .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"));
        if !management {
            continue;
        }
        let read_only = fields.iter().find(|f| f.field() == "readOnly");
        match read_only {
            None => coverage.add(true, true),
            Some(field) => {
                let equals_true = field.equals().iter().any(|v| v == "true");
                let equals_false = field.equals().iter().any(|v| v == "false");
                let not_true = field.not_equals().iter().any(|v| v == "true");
                let not_false = field.not_equals().iter().any(|v| v == "false");
                coverage.add(equals_true || not_false, equals_false || not_true);
            }
        }
    }
    coverage.normalized()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::types::AdvancedFieldSelector;

    fn field(name: &str, equals: &[&str]) -> AdvancedFieldSelector {
        let mut builder = AdvancedFieldSelector::builder().field(name);
        for value in equals {
            builder = builder.equals(*value);
        }
        builder.build().unwrap()
    }

    #[test]
    fn basic_selectors_combine() {
        let read = EventSelector::builder()
            .read_write_type(ReadWriteType::ReadOnly)
            .build();
        let write = EventSelector::builder()
            .read_write_type(ReadWriteType::WriteOnly)
            .build();
        let off = EventSelector::builder()
            .include_management_events(false)
            .build();
        assert_eq!(
            management_events(std::slice::from_ref(&read), &[]).as_deref(),
            Some("ReadOnly")
        );
        assert_eq!(
            management_events(&[read, write], &[]).as_deref(),
            Some("All")
        );
        assert_eq!(management_events(&[off], &[]), None);
        assert_eq!(management_events(&[], &[]), None);
    }

    #[test]
    fn advanced_selectors() {
        let all = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Management"]))
            .build()
            .unwrap();
        let writes = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Management"]))
            .field_selectors(field("readOnly", &["false"]))
            .build()
            .unwrap();
        let data = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Data"]))
            .build()
            .unwrap();
        assert_eq!(management_events(&[], &[all]).as_deref(), Some("All"));
        assert_eq!(
            management_events(&[], &[writes]).as_deref(),
            Some("WriteOnly")
        );
        assert_eq!(management_events(&[], &[data]), None);
    }
}
