//! LOG014 custom-session-document-unlogged: a session document owned by the account (not
//! the preferences), of session type `Standard_Stream` or `InteractiveCommands`, whose
//! `inputs` override the preferences for sessions started with it and log nowhere, or send
//! logs to S3 without `s3EncryptionEnabled` true, or to CloudWatch Logs without
//! `cloudWatchEncryptionEnabled` true (absent flags default to false).
//!
//! A `Standard_Stream` document without an `inputs` block fails (the block is what
//! configures its logging). An `InteractiveCommands` document without one is not judged: it
//! carries no logging settings of its own.

use serde_json::json;

use super::session::{SessionDocKind, document_ref, first_unknown_input, kind_of, session_type};
use crate::model::{DocumentOwner, SsmDocument, unknown_reason};
use crate::rules::{Check, Context, Emitter, RegionScope};

pub(crate) struct Log014;

const FIELDS: [&str; 4] = [
    "s3_bucket_name",
    "s3_encryption_enabled",
    "cloudwatch_log_group_name",
    "cloudwatch_encryption_enabled",
];

impl Check for Log014 {
    fn id(&self) -> &'static str {
        "LOG014"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            let Some(documents) =
                out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
            else {
                continue;
            };
            for document in documents {
                judge(&scope, document, out);
            }
        }
    }
}

fn judge(scope: &RegionScope<'_>, document: &SsmDocument, out: &mut Emitter<'_>) {
    let resource = document_ref(scope, document);
    let origin = document.origin.as_ref();
    let owned_session = !document.is_preferences()
        && document.owner == DocumentOwner::Account
        && document.document_type.eq_ignore_ascii_case("Session");
    if owned_session
        && session_type(document).is_none()
        && let Some(reason) = unknown_reason(&document.unknown, "content")
            .or_else(|| unknown_reason(&document.unknown, "session_type"))
    {
        out.not_assessed(resource, format!("the session type is unknown: {reason}"))
            .origin(origin);
        return;
    }
    if kind_of(document) != SessionDocKind::Custom {
        return;
    }
    if let Some(reason) = first_unknown_input(document, &FIELDS) {
        out.not_assessed(resource, reason).origin(origin);
        return;
    }
    let session = session_type(document).unwrap_or_default();
    let Some(inputs) = &document.inputs else {
        if session.eq_ignore_ascii_case("Standard_Stream") {
            out.fail(
                resource,
                format!(
                    "Custom session document {} ({session}) has no inputs block: sessions started with it have no logging configuration",
                    document.name
                ),
            )
            .origin(origin)
            .evidence(json!({ "document": document.name, "session_type": session }));
        }
        return;
    };
    let mut problems = Vec::new();
    match (&inputs.s3_bucket_name, &inputs.cloudwatch_log_group_name) {
        (None, None) => problems.push(
            "logs sessions nowhere (neither s3BucketName nor cloudWatchLogGroupName)".to_owned(),
        ),
        (bucket, group) => {
            if let Some(bucket) = bucket
                && inputs.s3_encryption_enabled != Some(true)
            {
                problems.push(format!(
                    "sends logs to S3 bucket {bucket} with s3EncryptionEnabled {}",
                    flag(inputs.s3_encryption_enabled)
                ));
            }
            if let Some(group) = group
                && inputs.cloudwatch_encryption_enabled != Some(true)
            {
                problems.push(format!(
                    "sends logs to CloudWatch Logs group {group} with cloudWatchEncryptionEnabled {}",
                    flag(inputs.cloudwatch_encryption_enabled)
                ));
            }
        }
    }
    if problems.is_empty() {
        out.pass(resource).origin(origin);
        return;
    }
    out.fail(
        resource,
        format!(
            "Custom session document {} ({session}) overrides the preferences and {}",
            document.name,
            problems.join(", and ")
        ),
    )
    .origin(origin)
    .evidence(json!({ "document": document.name, "session_type": session, "inputs": inputs }));
}

fn flag(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "not set (false)",
    }
}
