//! Resolving a KMS key reference (key id, key ARN, alias name, alias ARN) to a key of the
//! snapshot, so rules can tell a customer-managed key from an AWS-managed one (`aws/s3`).
//! Used by LOG004 (bucket default encryption).

use crate::model::arn::Arn;
use crate::model::{KmsKey, Section};
use crate::rules::{Context, gap_reason};

/// What a key reference names.
pub(crate) enum KeyLookup<'a> {
    /// A customer-managed key of the snapshot.
    Customer(&'a KmsKey),
    /// An AWS-managed key; the text says how it is known (`alias/aws/s3`).
    AwsManaged(String),
    /// The key cannot be found or judged.
    Unknown(String),
}

/// Resolve `reference` as a key of `account` in `region` (when the reference is not an ARN;
/// an ARN names its own account and region). `region` `None` searches every region of the
/// account.
pub(crate) fn resolve_key<'a>(
    ctx: &Context<'a>,
    reference: &str,
    account: &str,
    region: Option<&str>,
) -> KeyLookup<'a> {
    let reference = reference.trim();
    let arn = Arn::parse(reference);
    let alias_name = match &arn {
        Some(arn) => arn
            .resource
            .strip_prefix("alias/")
            .map(|name| format!("alias/{name}")),
        None => reference
            .starts_with("alias/")
            .then(|| reference.to_owned()),
    };
    // AWS reserves `alias/aws/` for its own keys: no lookup needed to know what they are.
    if let Some(alias) = &alias_name
        && alias.starts_with("alias/aws/")
    {
        return KeyLookup::AwsManaged(alias.clone());
    }
    let (account, region) = match &arn {
        Some(arn) => (arn.account, Some(arn.region).filter(|r| !r.is_empty())),
        None => (account, region),
    };
    let Some(owner) = ctx.snapshot.accounts.iter().find(|a| a.id == account) else {
        return KeyLookup::Unknown(format!(
            "KMS key {reference} belongs to account {account}, which is not in this scan"
        ));
    };
    if let Some(gap) = &owner.not_collected {
        return KeyLookup::Unknown(format!(
            "KMS key {reference}: account {account} could not be collected ({})",
            gap.describe()
        ));
    }
    let regions: Vec<_> = owner
        .regions
        .iter()
        .filter(|r| region.is_none_or(|name| r.name == name))
        .collect();
    if regions.is_empty() {
        return KeyLookup::Unknown(format!(
            "KMS key {reference} is in {account}/{}, which is not in this scan",
            region.unwrap_or("?")
        ));
    }
    let mut gaps = Vec::new();
    for scope in regions {
        if let Some(gap) = &scope.not_collected {
            gaps.push(format!(
                "region {} could not be collected ({})",
                scope.name,
                gap.describe()
            ));
            continue;
        }
        match &scope.kms_keys {
            Section::Collected(keys) => {
                if let Some(key) = keys.iter().find(|k| k.is_named_by(reference)) {
                    return if key.is_aws_managed() {
                        KeyLookup::AwsManaged(
                            key.aliases
                                .first()
                                .cloned()
                                .unwrap_or_else(|| format!("key {}", key.id)),
                        )
                    } else {
                        KeyLookup::Customer(key)
                    };
                }
            }
            Section::NotCollected(gap) => {
                gaps.push(format!("{} in {}", gap_reason("kms_keys", gap), scope.name));
            }
        }
    }
    let place = match region {
        Some(region) => format!("{account}/{region}"),
        None => format!("account {account}"),
    };
    if !gaps.is_empty() {
        return KeyLookup::Unknown(format!(
            "KMS key {reference} is not among the keys collected in {place}, and {}",
            gaps.join("; ")
        ));
    }
    if ctx.is_partial() {
        return KeyLookup::Unknown(format!(
            "KMS key {reference} is not defined in the input files"
        ));
    }
    KeyLookup::Unknown(format!(
        "KMS key {reference} is not among the KMS keys collected in {place}"
    ))
}

/// Key states in which a key cannot encrypt: writes with it fail.
pub(crate) fn unusable_state(key: &KmsKey) -> Option<&str> {
    key.key_state.as_deref().filter(|state| {
        matches!(
            *state,
            "Disabled" | "PendingDeletion" | "PendingImport" | "Unavailable"
        )
    })
}
