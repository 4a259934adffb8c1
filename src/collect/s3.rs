//! S3 collector for one account: the bucket list (names and regions, so a dangling
//! session-log destination is visible), the account-level public access block (S3 Control),
//! and — for the buckets session documents log to — location, default encryption,
//! versioning, Object Lock, public access block and bucket policy.
//!
//! S3 answers "not configured" with specific errors (`NoSuchBucketPolicy`,
//! `ServerSideEncryptionConfigurationNotFoundError`, `NoSuchPublicAccessBlockConfiguration`,
//! `ObjectLockConfigurationNotFoundError`): those mean "none". Any other error (`AccessDenied`
//! above all) marks that one field of that one bucket unknown. Buckets whose details are not
//! read get every detail field marked unknown, never a default that would read as "none".
//!
//! Called by the account step in `collect::mod`.

use std::error::Error as StdError;

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockEnabled};
use aws_sdk_s3control::Client as ControlClient;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::Scope;
use super::error::is_code;
use crate::model::{Bucket, BucketEncryption, PolicyDocument, PublicAccessBlock, Section};

/// The detail fields of a bucket, all read or all marked unknown together.
pub(crate) const DETAIL_FIELDS: &[&str] = &[
    "encryption",
    "versioning",
    "object_lock_enabled",
    "public_access_block",
    "policy",
];

pub(crate) async fn list_buckets(client: &Client, scope: &Scope) -> Section<Vec<Bucket>> {
    // Passing MaxBuckets also makes S3 return each bucket's region, saving a
    // GetBucketLocation per bucket.
    let pages = client
        .list_buckets()
        .max_buckets(10_000)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("s3:ListBuckets", pages, |pages| {
        pages
            .iter()
            .flat_map(ListBucketsOutput::buckets)
            .filter_map(|b| {
                Some(Bucket {
                    name: b.name()?.to_owned(),
                    region: b.bucket_region().map(str::to_owned),
                    ..Bucket::default()
                })
            })
            .collect()
    })
}

/// Mark a bucket's details as not read, with the reason.
pub(crate) fn mark_not_inspected(bucket: &mut Bucket, reason: &str) {
    for field in DETAIL_FIELDS {
        bucket
            .unknown
            .insert((*field).to_owned(), reason.to_owned());
    }
}

/// The region of a bucket whose listing did not include it (`GetBucketLocation`).
pub(crate) async fn location(client: &Client, scope: &Scope, bucket: &mut Bucket) {
    match client
        .get_bucket_location()
        .bucket(&bucket.name)
        .send()
        .await
    {
        Ok(out) => {
            let region = match out
                .location_constraint()
                .map(aws_sdk_s3::types::BucketLocationConstraint::as_str)
            {
                None | Some("") => "us-east-1",
                Some("EU") => "eu-west-1",
                Some(other) => other,
            };
            bucket.region = Some(region.to_owned());
        }
        Err(err) => {
            let name = bucket.name.clone();
            scope.unknown(
                &mut bucket.unknown,
                "region",
                &name,
                "s3:GetBucketLocation",
                &err,
            );
        }
    }
}

/// Read the details of one bucket with a client for the bucket's region.
pub(crate) async fn details(client: &Client, scope: &Scope, bucket: &mut Bucket) {
    let name = bucket.name.clone();
    let (encryption, versioning, lock, access_block, policy) = tokio::join!(
        client.get_bucket_encryption().bucket(&name).send(),
        client.get_bucket_versioning().bucket(&name).send(),
        client.get_object_lock_configuration().bucket(&name).send(),
        client.get_public_access_block().bucket(&name).send(),
        client.get_bucket_policy().bucket(&name).send(),
    );
    apply(
        bucket,
        scope,
        ("encryption", "s3:GetBucketEncryption"),
        encryption,
        &["ServerSideEncryptionConfigurationNotFoundError"],
        |bucket, out| {
            bucket.encryption = out
                .as_ref()
                .and_then(GetBucketEncryptionOutput::server_side_encryption_configuration)
                .and_then(|c| c.rules().first())
                .and_then(|rule| {
                    let default = rule.apply_server_side_encryption_by_default()?;
                    Some(BucketEncryption {
                        algorithm: default.sse_algorithm().as_str().to_owned(),
                        kms_key_id: default.kms_master_key_id().map(str::to_owned),
                        bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
                    })
                });
        },
    );
    apply(
        bucket,
        scope,
        ("versioning", "s3:GetBucketVersioning"),
        versioning,
        &[],
        |bucket, out| {
            bucket.versioning = out.as_ref().and_then(|o| o.status()).map(|s| match s {
                BucketVersioningStatus::Enabled => "Enabled".to_owned(),
                BucketVersioningStatus::Suspended => "Suspended".to_owned(),
                other => other.as_str().to_owned(),
            });
        },
    );
    apply(
        bucket,
        scope,
        ("object_lock_enabled", "s3:GetObjectLockConfiguration"),
        lock,
        &["ObjectLockConfigurationNotFoundError"],
        |bucket, out| {
            bucket.object_lock_enabled = out
                .as_ref()
                .and_then(|o| o.object_lock_configuration())
                .and_then(|c| c.object_lock_enabled())
                == Some(&ObjectLockEnabled::Enabled);
        },
    );
    apply(
        bucket,
        scope,
        ("public_access_block", "s3:GetPublicAccessBlock"),
        access_block,
        &["NoSuchPublicAccessBlockConfiguration"],
        |bucket, out| {
            bucket.public_access_block = out
                .as_ref()
                .and_then(|o| o.public_access_block_configuration())
                .map(access_block_of);
        },
    );
    apply(
        bucket,
        scope,
        ("policy", "s3:GetBucketPolicy"),
        policy,
        &["NoSuchBucketPolicy"],
        |bucket, out| match out
            .as_ref()
            .and_then(|o| o.policy())
            .map(serde_json::from_str)
        {
            Some(Ok(document)) => bucket.policy = Some(PolicyDocument::new(document)),
            Some(Err(err)) => {
                bucket.unknown.insert(
                    "policy".to_owned(),
                    format!("the bucket policy is not valid JSON: {err}"),
                );
            }
            None => bucket.policy = None,
        },
    );
}

/// Apply one detail call's result: `set` gets the output, or `None` when S3 answered with
/// one of the "not configured" codes; any other error marks the field unknown.
fn apply<O, E>(
    bucket: &mut Bucket,
    scope: &Scope,
    (field, operation): (&str, &str),
    result: Result<O, SdkError<E, HttpResponse>>,
    none_codes: &[&str],
    set: impl FnOnce(&mut Bucket, Option<O>),
) where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match result {
        Ok(out) => set(bucket, Some(out)),
        Err(err) if is_code(&err, none_codes) => set(bucket, None),
        Err(err) => {
            let name = bucket.name.clone();
            scope.unknown(&mut bucket.unknown, field, &name, operation, &err);
        }
    }
}

fn access_block_of(c: &aws_sdk_s3::types::PublicAccessBlockConfiguration) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: c.block_public_acls().unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
        block_public_policy: c.block_public_policy().unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
    }
}

/// The account-level public access block (S3 Control); `None` when none is set.
pub(crate) async fn account_public_access_block(
    client: &ControlClient,
    scope: &Scope,
) -> Section<Option<PublicAccessBlock>> {
    let out = client
        .get_public_access_block()
        .account_id(scope.account())
        .send()
        .await;
    match out {
        Ok(out) => {
            Section::Collected(
                out.public_access_block_configuration()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    }),
            )
        }
        Err(err) if is_code(&err, &["NoSuchPublicAccessBlockConfiguration"]) => {
            Section::Collected(None)
        }
        Err(err) => Section::NotCollected(scope.gap("s3control:GetPublicAccessBlock", &err)),
    }
}
