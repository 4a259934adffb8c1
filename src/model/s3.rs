//! S3 buckets and the account-level public access block: what the LOG rules need to judge a
//! session-log bucket (encryption, versioning, Object Lock, public access, TLS-only policy).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Origin, Tags, Unknown, is_false};
use super::iam::PolicyDocument;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub name: String,
    /// The bucket's region (`GetBucketLocation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Default encryption; absent means none configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<BucketEncryption>,
    /// `Enabled` or `Suspended`; absent means never enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub object_lock_enabled: bool,
    /// Bucket-level public access block; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_block: Option<PublicAccessBlock>,
    /// The bucket policy; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyDocument>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

impl Bucket {
    pub fn versioning_enabled(&self) -> bool {
        self.versioning
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("enabled"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketEncryption {
    /// `AES256` (SSE-S3), `aws:kms` (SSE-KMS) or `aws:kms:dsse`.
    pub algorithm: String,
    /// Key id, key ARN, alias name or alias ARN for SSE-KMS; absent means the AWS-managed
    /// `aws/s3` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub bucket_key_enabled: bool,
}

impl BucketEncryption {
    pub fn is_kms(&self) -> bool {
        self.algorithm.to_ascii_lowercase().starts_with("aws:kms")
    }
}

/// The four public-access-block settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn all_enabled(self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// The settings that are off, by their API names.
    pub fn disabled_settings(self) -> Vec<&'static str> {
        let mut off = Vec::new();
        if !self.block_public_acls {
            off.push("BlockPublicAcls");
        }
        if !self.ignore_public_acls {
            off.push("IgnorePublicAcls");
        }
        if !self.block_public_policy {
            off.push("BlockPublicPolicy");
        }
        if !self.restrict_public_buckets {
            off.push("RestrictPublicBuckets");
        }
        off
    }
}
