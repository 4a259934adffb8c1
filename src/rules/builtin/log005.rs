//! LOG005 cloudwatch-session-log-encryption-not-enforced: the preferences name a
//! CloudWatch Logs group but `cloudWatchEncryptionEnabled` is false or absent (the agent
//! then also writes to unencrypted groups), or a log group that session documents (the
//! preferences or custom session documents) write to has no KMS key.
//!
//! A log group that does not exist is LOG013's finding; here it is not judged on a full
//! snapshot and not assessed on a partial one.

use serde_json::json;

use super::destinations::{Lookup, find_log_group, log_group_ref, log_group_references};
use super::session::{document_ref, first_unknown_input, preferences};
use crate::model::unknown_reason;
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log005;

impl Check for Log005 {
    fn id(&self) -> &'static str {
        "LOG005"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        // The preferences' flag.
        for scope in ctx.regions() {
            let Some(documents) = scope.region.ssm_documents.as_option() else {
                continue; // reported by log_group_references below
            };
            let Some(prefs) = preferences(documents) else {
                continue;
            };
            let resource = document_ref(&scope, prefs);
            if let Some(reason) = first_unknown_input(
                prefs,
                &["cloudwatch_log_group_name", "cloudwatch_encryption_enabled"],
            ) {
                out.not_assessed(resource, reason)
                    .origin(prefs.origin.as_ref());
                continue;
            }
            let Some(inputs) = &prefs.inputs else {
                continue;
            };
            let Some(group) = &inputs.cloudwatch_log_group_name else {
                continue;
            };
            if inputs.cloudwatch_encryption_enabled == Some(true) {
                out.pass(resource).origin(prefs.origin.as_ref()).key("flag");
            } else {
                let found = match inputs.cloudwatch_encryption_enabled {
                    Some(_) => "false",
                    None => "not set (it defaults to false)",
                };
                out.fail(
                    resource,
                    format!(
                        "Session Manager preferences in {} log sessions to CloudWatch Logs group {group} with cloudWatchEncryptionEnabled {found}: session logs may be written to an unencrypted group",
                        scope.region.name
                    ),
                )
                .origin(prefs.origin.as_ref())
                .key("flag")
                .evidence(json!({ "document": prefs.name, "inputs": inputs }));
            }
        }
        // The log groups themselves.
        for reference in log_group_references(ctx, out) {
            let scope = reference.scope;
            match find_log_group(ctx, &scope, &reference.name) {
                Lookup::Found(_, group) => {
                    let resource = log_group_ref(&scope, group);
                    let origin = group.origin.as_ref();
                    if let Some(reason) = unknown_reason(&group.unknown, "kms_key_id") {
                        out.not_assessed(resource, format!("`kms_key_id` is unknown: {reason}"))
                            .origin(origin);
                    } else if group.kms_key_id.is_some() {
                        out.pass(resource).origin(origin);
                    } else {
                        let names: Vec<&str> = reference
                            .documents
                            .iter()
                            .map(|d| d.name.as_str())
                            .collect();
                        let enforced = reference.documents.iter().any(|d| {
                            d.inputs
                                .as_ref()
                                .is_some_and(|i| i.cloudwatch_encryption_enabled == Some(true))
                        });
                        let consequence = if enforced {
                            " (documents that require encryption cannot start sessions with it)"
                        } else {
                            ""
                        };
                        out.fail(
                            resource,
                            format!(
                                "Session-log group {} (used by {}) has no KMS key: session logs are stored with CloudWatch's default encryption only{consequence}",
                                group.name,
                                names.join(", ")
                            ),
                        )
                        .origin(origin)
                        .evidence(json!({ "log_group": group.name, "kms_key_id": null, "documents": names }));
                    }
                }
                Lookup::Missing(_) => {} // LOG013
                Lookup::Unknown(reason) => {
                    for document in &reference.documents {
                        out.not_assessed(document_ref(&scope, document), reason.clone())
                            .origin(document.origin.as_ref());
                    }
                }
            }
        }
    }
}
