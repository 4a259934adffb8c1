//! Session-log destinations: the S3 buckets and CloudWatch Logs groups that session
//! documents (the preferences and custom session documents) name, and where they are in the
//! snapshot. Used by LOG004, LOG005, LOG010–LOG013.
//!
//! A bucket is looked up in every account of the snapshot, because central logging puts the
//! session-log bucket in a log-archive account. A log group is looked up in the document's
//! own account and region, where Session Manager writes. On a partial (IaC) snapshot a
//! destination that is not in the input is unknown, never missing.

use crate::finding::ResourceRef;
use crate::model::{Account, Bucket, LogGroup, Section, SsmDocument};
use crate::rules::{Context, Emitter, RegionScope, arn_for, gap_reason};

use super::session::{document_ref, first_unknown_input, logging_documents};

/// A session document that names a destination.
#[derive(Clone, Copy)]
pub(crate) struct Referrer<'a> {
    pub(crate) scope: RegionScope<'a>,
    pub(crate) document: &'a SsmDocument,
}

/// Where a named destination is.
pub(crate) enum Lookup<'a, T> {
    Found(&'a Account, &'a T),
    /// It does not exist where it must (full snapshots only); the text says where it was
    /// looked for (`in 111122223333/eu-west-1`).
    Missing(String),
    /// It cannot be told (not collected, or not in a partial snapshot's input).
    Unknown(String),
}

/// Every bucket named by a session document, with the documents naming it, in the order
/// first seen. Documents whose bucket name is unknown are reported not-assessed; regions
/// whose documents were not collected too.
pub(crate) fn bucket_references<'a>(
    ctx: &Context<'a>,
    out: &mut Emitter<'_>,
) -> Vec<(String, Vec<Referrer<'a>>)> {
    let mut found: Vec<(String, Vec<Referrer<'a>>)> = Vec::new();
    for scope in ctx.regions() {
        let Some(documents) =
            out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
        else {
            continue;
        };
        for document in logging_documents(documents) {
            if let Some(reason) = first_unknown_input(document, &["s3_bucket_name"]) {
                out.not_assessed(document_ref(&scope, document), reason)
                    .origin(document.origin.as_ref());
                continue;
            }
            let Some(name) = document
                .inputs
                .as_ref()
                .and_then(|i| i.s3_bucket_name.as_deref())
            else {
                continue;
            };
            let name = bare_bucket_name(name);
            let referrer = Referrer { scope, document };
            match found.iter_mut().find(|(n, _)| n == name) {
                Some((_, referrers)) => referrers.push(referrer),
                None => found.push((name.to_owned(), vec![referrer])),
            }
        }
    }
    found
}

/// A log group named by session documents of one region.
pub(crate) struct LogGroupReference<'a> {
    pub(crate) scope: RegionScope<'a>,
    pub(crate) name: String,
    pub(crate) documents: Vec<&'a SsmDocument>,
}

/// Every log group named by a session document, per account and region.
pub(crate) fn log_group_references<'a>(
    ctx: &Context<'a>,
    out: &mut Emitter<'_>,
) -> Vec<LogGroupReference<'a>> {
    let mut found: Vec<LogGroupReference<'a>> = Vec::new();
    for scope in ctx.regions() {
        let Some(documents) =
            out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
        else {
            continue;
        };
        for document in logging_documents(documents) {
            if let Some(reason) = first_unknown_input(document, &["cloudwatch_log_group_name"]) {
                out.not_assessed(document_ref(&scope, document), reason)
                    .origin(document.origin.as_ref());
                continue;
            }
            let Some(name) = document
                .inputs
                .as_ref()
                .and_then(|i| i.cloudwatch_log_group_name.as_deref())
            else {
                continue;
            };
            let existing = found.iter_mut().find(|r| {
                r.name == name
                    && r.scope.account.id == scope.account.id
                    && r.scope.region.name == scope.region.name
            });
            match existing {
                Some(reference) => reference.documents.push(document),
                None => found.push(LogGroupReference {
                    scope,
                    name: name.to_owned(),
                    documents: vec![document],
                }),
            }
        }
    }
    found
}

/// `arn:aws:s3:::name` and `s3://name/` both mean `name`.
fn bare_bucket_name(name: &str) -> &str {
    let name = name
        .strip_prefix("arn:aws:s3:::")
        .or_else(|| name.strip_prefix("s3://"))
        .unwrap_or(name);
    name.trim_end_matches('/')
}

/// Find a bucket in any account of the snapshot.
pub(crate) fn find_bucket<'a>(ctx: &Context<'a>, name: &str) -> Lookup<'a, Bucket> {
    let mut gaps = Vec::new();
    let mut searched = Vec::new();
    for account in &ctx.snapshot.accounts {
        if let Some(gap) = &account.not_collected {
            gaps.push(format!(
                "account {} could not be collected ({})",
                account.id,
                gap.describe()
            ));
            continue;
        }
        match &account.buckets {
            Section::Collected(buckets) => {
                if let Some(bucket) = buckets.iter().find(|b| b.name == name) {
                    return Lookup::Found(account, bucket);
                }
                searched.push(account.id.as_str());
            }
            Section::NotCollected(gap) => gaps.push(format!(
                "account {}: {}",
                account.id,
                gap_reason("buckets", gap)
            )),
        }
    }
    if !gaps.is_empty() {
        return Lookup::Unknown(format!(
            "session-log bucket {name} is not among the buckets collected, and {}",
            gaps.join("; ")
        ));
    }
    if ctx.is_partial() {
        return Lookup::Unknown(format!(
            "session-log bucket {name} is not defined in the input files"
        ));
    }
    Lookup::Missing(format!(
        "in the scanned account(s) {} (a bucket in an account outside this scan looks missing too)",
        searched.join(", ")
    ))
}

/// Find a log group in the region of the document that names it.
pub(crate) fn find_log_group<'a>(
    ctx: &Context<'a>,
    scope: &RegionScope<'a>,
    name: &str,
) -> Lookup<'a, LogGroup> {
    match &scope.region.log_groups {
        Section::NotCollected(gap) => Lookup::Unknown(gap_reason("log_groups", gap)),
        Section::Collected(groups) => match groups.iter().find(|g| g.name == name) {
            Some(group) => Lookup::Found(scope.account, group),
            None if ctx.is_partial() => Lookup::Unknown(format!(
                "session-log group {name} is not defined in the input files"
            )),
            None => Lookup::Missing(format!("in {}/{}", scope.account.id, scope.region.name)),
        },
    }
}

/// A reference to a bucket in the account that owns it.
pub(crate) fn bucket_ref(ctx: &Context<'_>, account: &Account, bucket: &Bucket) -> ResourceRef {
    let mut resource = ResourceRef::new("s3-bucket", bucket.name.clone())
        .in_account(account.id.clone())
        .with_address(bucket.origin.as_ref().and_then(|o| o.address.clone()));
    if let Some(region) = &bucket.region {
        resource = resource.in_region(region.clone());
    }
    if ctx.arns_are_real() {
        resource.arn = arn_for(
            &account.partition,
            "",
            &account.id,
            "s3-bucket",
            &bucket.name,
        );
    }
    resource
}

/// A reference to a log group of a region.
pub(crate) fn log_group_ref(scope: &RegionScope<'_>, group: &LogGroup) -> ResourceRef {
    scope.resource_at("log-group", &group.name, group.origin.as_ref())
}

/// `SSM-SessionManagerRunShell in us-east-1, Ops-Shell in us-east-1` for messages.
pub(crate) fn describe_referrers(referrers: &[Referrer<'_>], home_account: &str) -> String {
    referrers
        .iter()
        .map(|r| super::session::describe_document(&r.scope, r.document, home_account))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_bare() {
        assert_eq!(bare_bucket_name("arn:aws:s3:::logs"), "logs");
        assert_eq!(bare_bucket_name("s3://logs/"), "logs");
        assert_eq!(bare_bucket_name("logs"), "logs");
    }
}
