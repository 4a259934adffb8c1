//! KMS collector: resolves only the keys the checks need — the session-data key of session
//! documents, the default-encryption key of session-log buckets and the key of session-log
//! groups — to their key id, ARN, manager (AWS or customer), state and aliases.
//! `DescribeKey` accepts every way a key is named (id, ARN, alias, alias ARN); `ListAliases`
//! for the key gives the aliases, which also reveal AWS-managed keys (`alias/aws/...`).
//!
//! Called by the account step in `collect::mod`, after buckets and documents are known.

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
use aws_sdk_kms::types::KeyManagerType;

use super::Scope;
use super::error::is_code;
use crate::model::{KeyManager, KmsKey};

/// Resolve one key reference. `None` when the key does not exist.
pub(crate) async fn resolve(client: &Client, scope: &Scope, reference: &str) -> Option<KmsKey> {
    let mut key = KmsKey {
        id: reference.to_owned(),
        key_manager: KeyManager::Customer,
        ..KmsKey::default()
    };
    if let Some(alias) = alias_of(reference) {
        key.aliases.push(alias);
    }
    let described = client.describe_key().key_id(reference).send().await;
    let metadata = match described {
        Ok(out) => out.key_metadata().cloned(),
        Err(err) if is_code(&err, &["NotFoundException"]) => return None,
        Err(err) => {
            scope.unknown(
                &mut key.unknown,
                "key_manager",
                reference,
                "kms:DescribeKey",
                &err,
            );
            key.unknown.insert(
                "aliases".to_owned(),
                "not read: the key could not be described".to_owned(),
            );
            return Some(key);
        }
    };
    let Some(metadata) = metadata else {
        key.unknown.insert(
            "key_manager".to_owned(),
            "DescribeKey returned no key metadata".to_owned(),
        );
        return Some(key);
    };
    key.id = metadata.key_id().to_owned();
    key.arn = metadata.arn().map(str::to_owned);
    key.key_manager = match metadata.key_manager() {
        Some(KeyManagerType::Aws) => KeyManager::Aws,
        Some(KeyManagerType::Customer) => KeyManager::Customer,
        _ => {
            key.unknown.insert(
                "key_manager".to_owned(),
                "DescribeKey did not say who manages the key".to_owned(),
            );
            KeyManager::Customer
        }
    };
    key.key_state = metadata.key_state().map(|s| s.as_str().to_owned());
    let aliases = client
        .list_aliases()
        .key_id(&key.id)
        .limit(100)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match aliases {
        Ok(pages) => {
            key.aliases.extend(
                pages
                    .iter()
                    .flat_map(ListAliasesOutput::aliases)
                    .filter_map(|a| a.alias_name().map(str::to_owned)),
            );
            key.aliases.sort();
            key.aliases.dedup();
        }
        Err(err) => {
            let id = key.id.clone();
            scope.unknown(&mut key.unknown, "aliases", &id, "kms:ListAliases", &err);
        }
    }
    Some(key)
}

/// `alias/name` for an alias name or alias ARN.
fn alias_of(reference: &str) -> Option<String> {
    if reference.starts_with("alias/") {
        return Some(reference.to_owned());
    }
    reference
        .split_once(":alias/")
        .map(|(_, name)| format!("alias/{name}"))
}

/// The region a key reference points at: an ARN names it, anything else is relative to the
/// region of the resource that uses it.
pub(crate) fn region_of<'a>(reference: &'a str, default: &'a str) -> &'a str {
    match crate::model::arn::Arn::parse(reference) {
        Some(arn) if !arn.region.is_empty() => arn.region,
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_regions_from_references() {
        assert_eq!(alias_of("alias/session").as_deref(), Some("alias/session"));
        assert_eq!(
            alias_of("arn:aws:kms:eu-west-1:111122223333:alias/aws/s3").as_deref(),
            Some("alias/aws/s3")
        );
        assert_eq!(alias_of("1234abcd-12ab-34cd-56ef-1234567890ab"), None);
        assert_eq!(
            region_of("arn:aws:kms:eu-west-1:111122223333:key/k", "us-east-1"),
            "eu-west-1"
        );
        assert_eq!(region_of("alias/x", "us-east-1"), "us-east-1");
    }
}
