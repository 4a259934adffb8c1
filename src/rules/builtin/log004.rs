//! LOG004 session-log-bucket-not-cmk-encrypted: a bucket that session documents (the
//! preferences or custom session documents) send logs to has no default encryption, SSE-S3,
//! or SSE-KMS with an AWS-managed key (`aws/s3`); a customer-managed key is required. The key
//! reference (id, ARN, alias, alias ARN) is resolved against the snapshot's KMS keys; a
//! customer key that is disabled or pending deletion fails too (log uploads fail with it).

use serde_json::json;

use super::destinations::{
    Lookup, Referrer, bucket_ref, bucket_references, describe_referrers, find_bucket,
};
use super::kms::{KeyLookup, resolve_key, unusable_state};
use super::session::document_ref;
use crate::model::{Account, Bucket, unknown_reason};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log004;

/// The tail of every message about a bucket that is not encrypted with a customer key.
const CMK: &str = "; a customer-managed KMS key is required";

impl Check for Log004 {
    fn id(&self) -> &'static str {
        "LOG004"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for (name, referrers) in bucket_references(ctx, out) {
            match find_bucket(ctx, &name) {
                Lookup::Found(account, bucket) => judge(ctx, account, bucket, &referrers, out),
                Lookup::Missing(place) => not_judged(
                    &referrers,
                    &format!("session-log bucket {name} does not exist {place}"),
                    out,
                ),
                Lookup::Unknown(reason) => not_judged(&referrers, &reason, out),
            }
        }
    }
}

/// The bucket could not be found: every document naming it is not assessed (the same
/// reason for LOG004, LOG010 and LOG011, so NB001 lists them together).
pub(crate) fn not_judged(referrers: &[Referrer<'_>], reason: &str, out: &mut Emitter<'_>) {
    for referrer in referrers {
        out.not_assessed(
            document_ref(&referrer.scope, referrer.document),
            format!("{reason}: the bucket's settings cannot be judged"),
        )
        .origin(referrer.document.origin.as_ref());
    }
}

fn judge(
    ctx: &Context<'_>,
    account: &Account,
    bucket: &Bucket,
    referrers: &[Referrer<'_>],
    out: &mut Emitter<'_>,
) {
    let resource = bucket_ref(ctx, account, bucket);
    let origin = bucket.origin.as_ref();
    if let Some(reason) = unknown_reason(&bucket.unknown, "encryption") {
        out.not_assessed(resource, format!("`encryption` is unknown: {reason}"))
            .origin(origin);
        return;
    }
    let used_by = describe_referrers(referrers, &account.id);
    let problem = match &bucket.encryption {
        None => Some(format!("has no default encryption{CMK}")),
        Some(encryption) if !encryption.is_kms() => Some(format!(
            "is encrypted with SSE-S3 ({}), not a KMS key{CMK}",
            encryption.algorithm
        )),
        Some(encryption) => match encryption.kms_key_id.as_deref() {
            None => Some(format!(
                "is encrypted with the AWS-managed key aws/s3 (SSE-KMS without a key id){CMK}"
            )),
            Some(reference) => {
                match resolve_key(ctx, reference, &account.id, bucket.region.as_deref()) {
                    KeyLookup::AwsManaged(label) if label == reference => Some(format!(
                        "is encrypted with the AWS-managed key {reference}{CMK}"
                    )),
                    KeyLookup::AwsManaged(label) => Some(format!(
                        "is encrypted with the AWS-managed key {reference} ({label}){CMK}"
                    )),
                    KeyLookup::Customer(key) => unusable_state(key).map(|state| {
                        format!(
                            "is encrypted with customer-managed key {reference}, which is {state}: session log uploads fail"
                        )
                    }),
                    KeyLookup::Unknown(reason) => {
                        out.not_assessed(resource, reason).origin(origin);
                        return;
                    }
                }
            }
        },
    };
    match problem {
        Some(problem) => {
            out.fail(
                resource,
                format!(
                    "Session-log bucket {} (used by {used_by}) {problem}",
                    bucket.name
                ),
            )
            .origin(origin)
            .evidence(json!({ "bucket": bucket.name, "encryption": bucket.encryption }));
        }
        None => {
            out.pass(resource).origin(origin);
        }
    }
}
