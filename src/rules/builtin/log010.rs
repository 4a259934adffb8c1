//! LOG010 session-log-bucket-mutable: a bucket that session documents send logs to has
//! versioning not enabled (never enabled or suspended) or no Object Lock, so logs can be
//! overwritten or deleted by whoever can write to the bucket.

use serde_json::json;

use super::destinations::{
    Lookup, Referrer, bucket_ref, bucket_references, describe_referrers, find_bucket,
};
use super::log004::not_judged;
use crate::model::{Account, Bucket, unknown_reason};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log010;

impl Check for Log010 {
    fn id(&self) -> &'static str {
        "LOG010"
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

fn judge(
    ctx: &Context<'_>,
    account: &Account,
    bucket: &Bucket,
    referrers: &[Referrer<'_>],
    out: &mut Emitter<'_>,
) {
    let resource = bucket_ref(ctx, account, bucket);
    let origin = bucket.origin.as_ref();
    if let Some((field, reason)) = ["versioning", "object_lock_enabled"]
        .iter()
        .find_map(|f| unknown_reason(&bucket.unknown, f).map(|r| (f, r)))
    {
        out.not_assessed(resource, format!("`{field}` is unknown: {reason}"))
            .origin(origin);
        return;
    }
    let mut problems = Vec::new();
    if !bucket.versioning_enabled() {
        problems.push(match bucket.versioning.as_deref() {
            Some(state) => format!("versioning is {state}"),
            None => "versioning was never enabled".to_owned(),
        });
    }
    if !bucket.object_lock_enabled {
        problems.push("Object Lock is off".to_owned());
    }
    if problems.is_empty() {
        out.pass(resource).origin(origin);
        return;
    }
    out.fail(
        resource,
        format!(
            "Session-log bucket {} (used by {}): {}; session logs can be overwritten or deleted",
            bucket.name,
            describe_referrers(referrers, &account.id),
            problems.join(" and ")
        ),
    )
    .origin(origin)
    .evidence(json!({
        "bucket": bucket.name,
        "versioning": bucket.versioning,
        "object_lock_enabled": bucket.object_lock_enabled,
    }));
}
