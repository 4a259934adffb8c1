//! LOG013 session-log-destination-missing: a bucket or log group named by a session
//! document (the preferences or a custom session document) does not exist, so session
//! logging silently fails. Buckets are looked up in every account of the snapshot (central
//! logging); a bucket in an account outside the scan looks missing, and the message says so.
//! Log groups are looked up in the document's own account and region. On partial (IaC)
//! snapshots a destination that is not in the input is not assessed, never missing.

use serde_json::json;

use super::destinations::{
    Lookup, bucket_references, find_bucket, find_log_group, log_group_references,
};
use super::session::document_ref;
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log013;

impl Check for Log013 {
    fn id(&self) -> &'static str {
        "LOG013"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for (name, referrers) in bucket_references(ctx, out) {
            let lookup = find_bucket(ctx, &name);
            for referrer in referrers {
                let resource = document_ref(&referrer.scope, referrer.document);
                let origin = referrer.document.origin.as_ref();
                let key = format!("s3:{name}");
                match &lookup {
                    Lookup::Found(..) => {
                        out.pass(resource).origin(origin).key(key);
                    }
                    Lookup::Missing(place) => {
                        out.fail(
                            resource,
                            format!(
                                "{} in {} sends session logs to S3 bucket {name}, which does not exist {place}: session logs are not delivered",
                                referrer.document.name, referrer.scope.region.name
                            ),
                        )
                        .origin(origin)
                        .key(key)
                        .evidence(json!({ "document": referrer.document.name, "s3_bucket_name": name }));
                    }
                    Lookup::Unknown(reason) => {
                        out.not_assessed(resource, reason.clone()).origin(origin);
                    }
                }
            }
        }
        for reference in log_group_references(ctx, out) {
            let scope = reference.scope;
            let lookup = find_log_group(ctx, &scope, &reference.name);
            for document in reference.documents {
                let resource = document_ref(&scope, document);
                let origin = document.origin.as_ref();
                let key = format!("logs:{}", reference.name);
                match &lookup {
                    Lookup::Found(..) => {
                        out.pass(resource).origin(origin).key(key);
                    }
                    Lookup::Missing(place) => {
                        out.fail(
                            resource,
                            format!(
                                "{} in {} sends session logs to CloudWatch Logs group {}, which does not exist {place}: session logs are not delivered",
                                document.name, scope.region.name, reference.name
                            ),
                        )
                        .origin(origin)
                        .key(key)
                        .evidence(json!({ "document": document.name, "cloudwatch_log_group_name": reference.name }));
                    }
                    Lookup::Unknown(reason) => {
                        out.not_assessed(resource, reason.clone()).origin(origin);
                    }
                }
            }
        }
    }
}
