//! LOG012 session-log-group-retention-unset: a log group that session documents (the
//! preferences or custom session documents) write to keeps logs forever (no retention
//! policy) or for fewer days than the configured minimum
//! (`[thresholds] min-log-retention-days`, default 365). A log group that does not exist is
//! LOG013's finding.

use serde_json::json;

use super::destinations::{Lookup, find_log_group, log_group_ref, log_group_references};
use super::session::document_ref;
use crate::model::unknown_reason;
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log012;

impl Check for Log012 {
    fn id(&self) -> &'static str {
        "LOG012"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let minimum = ctx.config.thresholds.min_log_retention_days;
        for reference in log_group_references(ctx, out) {
            let scope = reference.scope;
            let group = match find_log_group(ctx, &scope, &reference.name) {
                Lookup::Found(_, group) => group,
                Lookup::Missing(_) => continue, // LOG013
                Lookup::Unknown(reason) => {
                    for document in &reference.documents {
                        out.not_assessed(document_ref(&scope, document), reason.clone())
                            .origin(document.origin.as_ref());
                    }
                    continue;
                }
            };
            let resource = log_group_ref(&scope, group);
            let origin = group.origin.as_ref();
            if let Some(reason) = unknown_reason(&group.unknown, "retention_days") {
                out.not_assessed(resource, format!("`retention_days` is unknown: {reason}"))
                    .origin(origin);
                continue;
            }
            let names: Vec<&str> = reference
                .documents
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            let problem = match group.retention_days {
                None => format!(
                    "has no retention policy: session logs are kept forever instead of for a decided period (at least {minimum} days)"
                ),
                Some(days) if days < minimum => {
                    format!("keeps session logs for {days} days, fewer than the required {minimum}")
                }
                Some(_) => {
                    out.pass(resource).origin(origin);
                    continue;
                }
            };
            out.fail(
                resource,
                format!(
                    "Session-log group {} (used by {}) {problem}",
                    group.name,
                    names.join(", ")
                ),
            )
            .origin(origin)
            .evidence(json!({ "log_group": group.name, "retention_days": group.retention_days, "minimum_days": minimum }));
        }
    }
}
