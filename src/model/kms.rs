//! KMS keys with their manager and aliases, so rules can tell a customer-managed key from an
//! AWS-managed one (`aws/s3`) whichever way the key is named (id, ARN, alias, alias ARN).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Origin, Unknown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum KeyManager {
    #[default]
    Customer,
    Aws,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KmsKey {
    /// Key id (a UUID, or `mrk-…` for multi-Region keys).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub key_manager: KeyManager,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_state: Option<String>,
    /// Alias names including the `alias/` prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(default, skip_serializing_if = "Unknown::is_empty")]
    pub unknown: Unknown,
}

impl KmsKey {
    /// AWS-managed by `KeyManager`, or by an `alias/aws/…` alias (moto and some snapshots report
    /// such keys as CUSTOMER; AWS reserves the prefix for its own keys).
    pub fn is_aws_managed(&self) -> bool {
        self.key_manager == KeyManager::Aws
            || self.aliases.iter().any(|a| a.starts_with("alias/aws/"))
    }

    /// Whether `reference` (key id, key ARN, alias name, alias ARN) names this key.
    pub fn is_named_by(&self, reference: &str) -> bool {
        if reference == self.id || self.arn.as_deref() == Some(reference) {
            return true;
        }
        if let Some(id) = reference.rsplit_once(":key/").map(|(_, id)| id) {
            return id == self.id;
        }
        let alias = match reference.split_once(":alias/") {
            Some((_, name)) => format!("alias/{name}"),
            None => reference.to_owned(),
        };
        self.aliases.contains(&alias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_named_by_id_arn_alias_and_alias_arn() {
        let key = KmsKey {
            id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            arn: Some(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            key_manager: KeyManager::Customer,
            aliases: vec!["alias/session-logs".into()],
            ..KmsKey::default()
        };
        assert!(key.is_named_by("1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(key.is_named_by(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(key.is_named_by("alias/session-logs"));
        assert!(key.is_named_by("arn:aws:kms:us-east-1:111122223333:alias/session-logs"));
        assert!(!key.is_named_by("alias/other"));
        assert!(!key.is_aws_managed());
    }

    #[test]
    fn aws_alias_prefix_means_aws_managed() {
        let key = KmsKey {
            id: "k".into(),
            aliases: vec!["alias/aws/s3".into()],
            ..KmsKey::default()
        };
        assert!(key.is_aws_managed());
    }
}
