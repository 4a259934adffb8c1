//! IAM collector for one account, with the bulk API: `GetAccountAuthorizationDetails`
//! (paginated) for every user, group, role and customer-managed policy with their inline
//! policies, attachments, boundaries and tags; `ListInstanceProfiles` for every instance
//! profile (including those without a role); and, for the AWS-managed policies actually
//! attached to something or used as a boundary, their default version (one
//! `ListPolicies OnlyAttached` page plus one `GetPolicyVersion` each, instead of downloading
//! all 1,300+ AWS-managed policies with every version).
//!
//! Policy documents arrive URL-encoded (RFC 3986) and are stored decoded as JSON. A document
//! that cannot be decoded is kept as `null` with the field marked unknown.
//!
//! Called by the account step in `collect::mod`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;
use aws_sdk_iam::operation::list_instance_profiles::ListInstanceProfilesOutput;
use aws_sdk_iam::operation::list_policies::ListPoliciesOutput;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, EntityType, PolicyDetail, PolicyScopeType,
};
use futures_util::{StreamExt, stream};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::Scope;
use crate::model::{
    Group, Iam, InlinePolicy, InstanceProfile, ManagedPolicy, PolicyDocument, Role, Section, Tags,
    Unknown, User,
};

/// The largest page IAM list calls accept.
const PAGE: i32 = 1000;
const POLICY_FAN_OUT: usize = 8;

pub(crate) async fn collect(client: &Client, scope: &Scope) -> Section<Iam> {
    let (details, profiles) = tokio::join!(
        client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .max_items(PAGE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        client
            .list_instance_profiles()
            .max_items(PAGE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let details = match details {
        Ok(pages) => pages,
        Err(err) => {
            scope.step_done();
            return Section::NotCollected(scope.gap("iam:GetAccountAuthorizationDetails", &err));
        }
    };
    let profiles = match profiles {
        Ok(pages) => pages,
        Err(err) => {
            scope.step_done();
            return Section::NotCollected(scope.gap("iam:ListInstanceProfiles", &err));
        }
    };
    let mut iam = Iam::default();
    for page in &details {
        iam.users.extend(page.user_detail_list().iter().map(user));
        iam.groups
            .extend(page.group_detail_list().iter().map(group));
        iam.roles.extend(page.role_detail_list().iter().map(role));
        iam.policies
            .extend(page.policies().iter().map(customer_policy));
    }
    iam.instance_profiles = profiles
        .iter()
        .flat_map(ListInstanceProfilesOutput::instance_profiles)
        .map(|p| InstanceProfile {
            name: p.instance_profile_name().to_owned(),
            arn: p.arn().to_owned(),
            path: p.path().to_owned(),
            roles: p.roles().iter().map(|r| r.role_name().to_owned()).collect(),
            ..InstanceProfile::default()
        })
        .collect();
    match aws_managed_policies(client, scope, &iam).await {
        Ok(policies) => iam.policies.extend(policies),
        Err(gap) => {
            scope.step_done();
            return Section::NotCollected(gap);
        }
    }
    scope.step_done();
    Section::Collected(iam)
}

fn tags(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn attached(policies: &[AttachedPolicy]) -> Vec<String> {
    policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

fn boundary(boundary: Option<&AttachedPermissionsBoundary>) -> Option<String> {
    boundary
        .and_then(AttachedPermissionsBoundary::permissions_boundary_arn)
        .map(str::to_owned)
}

/// Decode a policy document as IAM returns it (URL-encoded JSON).
pub(crate) fn decode_document(raw: &str) -> Result<Value, String> {
    let trimmed = raw.trim_start();
    // Already plain JSON (some endpoints decode for the caller): parse as is, because
    // decoding again would corrupt a literal `%` in the document.
    let text = if trimmed.starts_with('{') {
        std::borrow::Cow::Borrowed(raw)
    } else {
        percent_decode_str(raw)
            .decode_utf8()
            .map_err(|e| format!("the policy document is not valid URL-encoded UTF-8: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("the policy document is not valid JSON: {e}"))
}

/// A decoded document, or `null` with the reason recorded under `field`.
fn document(raw: Option<&str>, field: &str, unknown: &mut Unknown) -> PolicyDocument {
    match raw.map(decode_document) {
        Some(Ok(value)) => PolicyDocument::new(value),
        Some(Err(reason)) => {
            unknown.insert(field.to_owned(), reason);
            PolicyDocument::new(Value::Null)
        }
        None => {
            unknown.insert(field.to_owned(), "no document was returned".to_owned());
            PolicyDocument::new(Value::Null)
        }
    }
}

fn inline(policies: &[PolicyDetail], unknown: &mut Unknown) -> Vec<InlinePolicy> {
    policies
        .iter()
        .enumerate()
        .map(|(index, p)| InlinePolicy {
            name: p.policy_name().unwrap_or_default().to_owned(),
            document: document(
                p.policy_document(),
                &format!("inline_policies[{index}].document"),
                unknown,
            ),
        })
        .collect()
}

fn user(detail: &aws_sdk_iam::types::UserDetail) -> User {
    let mut unknown = Unknown::new();
    let inline_policies = inline(detail.user_policy_list(), &mut unknown);
    User {
        name: detail.user_name().unwrap_or_default().to_owned(),
        arn: detail.arn().unwrap_or_default().to_owned(),
        id: detail.user_id().unwrap_or_default().to_owned(),
        path: detail.path().unwrap_or("/").to_owned(),
        groups: detail.group_list().to_vec(),
        inline_policies,
        attached_policies: attached(detail.attached_managed_policies()),
        permissions_boundary: boundary(detail.permissions_boundary()),
        tags: tags(detail.tags()),
        origin: None,
        unknown,
    }
}

fn group(detail: &aws_sdk_iam::types::GroupDetail) -> Group {
    let mut unknown = Unknown::new();
    let inline_policies = inline(detail.group_policy_list(), &mut unknown);
    Group {
        name: detail.group_name().unwrap_or_default().to_owned(),
        arn: detail.arn().unwrap_or_default().to_owned(),
        id: detail.group_id().unwrap_or_default().to_owned(),
        path: detail.path().unwrap_or("/").to_owned(),
        inline_policies,
        attached_policies: attached(detail.attached_managed_policies()),
        origin: None,
        unknown,
    }
}

fn role(detail: &aws_sdk_iam::types::RoleDetail) -> Role {
    let mut unknown = Unknown::new();
    let inline_policies = inline(detail.role_policy_list(), &mut unknown);
    let trust_policy = Some(document(
        detail.assume_role_policy_document(),
        "trust_policy",
        &mut unknown,
    ));
    Role {
        name: detail.role_name().unwrap_or_default().to_owned(),
        arn: detail.arn().unwrap_or_default().to_owned(),
        id: detail.role_id().unwrap_or_default().to_owned(),
        path: detail.path().unwrap_or("/").to_owned(),
        trust_policy,
        inline_policies,
        attached_policies: attached(detail.attached_managed_policies()),
        permissions_boundary: boundary(detail.permissions_boundary()),
        instance_profiles: detail
            .instance_profile_list()
            .iter()
            .map(|p| p.instance_profile_name().to_owned())
            .collect(),
        tags: tags(detail.tags()),
        origin: None,
        unknown,
    }
}

/// The name of a managed policy from its ARN (`arn:aws:iam::aws:policy/path/Name` → `Name`);
/// some endpoints leave `PolicyName` out of GAAD entries.
fn name_from_arn(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

fn customer_policy(detail: &aws_sdk_iam::types::ManagedPolicyDetail) -> ManagedPolicy {
    let arn = detail.arn().unwrap_or_default().to_owned();
    let mut unknown = Unknown::new();
    let default_version = detail
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version())
        .or_else(|| {
            detail
                .policy_version_list()
                .iter()
                .find(|v| v.version_id() == detail.default_version_id())
        });
    let document = if let Some(version) = default_version {
        document(version.document(), "document", &mut unknown)
    } else {
        unknown.insert(
            "document".to_owned(),
            "the default policy version was not returned".to_owned(),
        );
        PolicyDocument::new(Value::Null)
    };
    ManagedPolicy {
        name: detail
            .policy_name()
            .map_or_else(|| name_from_arn(&arn), str::to_owned),
        path: detail.path().unwrap_or("/").to_owned(),
        aws_managed: false,
        default_version_id: detail
            .default_version_id()
            .or_else(|| default_version.and_then(|v| v.version_id()))
            .map(str::to_owned),
        document,
        arn,
        origin: None,
        unknown,
    }
}

fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

/// AWS-managed policies attached to any entity or used as a permissions boundary.
async fn aws_managed_policies(
    client: &Client,
    scope: &Scope,
    iam: &Iam,
) -> Result<Vec<ManagedPolicy>, crate::model::Gap> {
    let referenced: BTreeSet<&str> = iam
        .users
        .iter()
        .flat_map(|u| u.attached_policies.iter().chain(&u.permissions_boundary))
        .chain(iam.groups.iter().flat_map(|g| g.attached_policies.iter()))
        .chain(
            iam.roles
                .iter()
                .flat_map(|r| r.attached_policies.iter().chain(&r.permissions_boundary)),
        )
        .map(String::as_str)
        .filter(|arn| is_aws_managed(arn))
        .collect();
    if referenced.is_empty() {
        return Ok(Vec::new());
    }
    // Name, path and default version of every attached AWS-managed policy, in one page.
    let listed = client
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .only_attached(true)
        .max_items(PAGE)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|err| scope.gap("iam:ListPolicies", &err))?;
    let known: BTreeMap<&str, &aws_sdk_iam::types::Policy> = listed
        .iter()
        .flat_map(ListPoliciesOutput::policies)
        .filter_map(|p| Some((p.arn()?, p)))
        .collect();
    let policies = stream::iter(referenced)
        .map(|arn| {
            let listed = known.get(arn).copied();
            aws_managed_policy(client, scope, arn, listed)
        })
        .buffered(POLICY_FAN_OUT)
        .collect::<Vec<_>>()
        .await;
    Ok(policies)
}

async fn aws_managed_policy(
    client: &Client,
    scope: &Scope,
    arn: &str,
    listed: Option<&aws_sdk_iam::types::Policy>,
) -> ManagedPolicy {
    let mut policy = ManagedPolicy {
        arn: arn.to_owned(),
        name: name_from_arn(arn),
        aws_managed: true,
        document: PolicyDocument::new(Value::Null),
        ..ManagedPolicy::default()
    };
    // Boundary-only policies are not in the OnlyAttached listing: ask for them directly.
    let (path, version) = match listed {
        Some(p) => (
            p.path().map(str::to_owned),
            p.default_version_id().map(str::to_owned),
        ),
        None => match client.get_policy().policy_arn(arn).send().await {
            Ok(out) => {
                let p = out.policy();
                (
                    p.and_then(|p| p.path()).map(str::to_owned),
                    p.and_then(|p| p.default_version_id()).map(str::to_owned),
                )
            }
            Err(err) => {
                scope.unknown(&mut policy.unknown, "document", arn, "iam:GetPolicy", &err);
                return policy;
            }
        },
    };
    policy.path = path.unwrap_or_else(|| "/".to_owned());
    let Some(version) = version else {
        policy.unknown.insert(
            "document".to_owned(),
            "the policy has no default version".to_owned(),
        );
        return policy;
    };
    match client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
    {
        Ok(out) => {
            let raw = out.policy_version().and_then(|v| v.document());
            policy.document = document(raw, "document", &mut policy.unknown);
        }
        Err(err) => scope.unknown(
            &mut policy.unknown,
            "document",
            arn,
            "iam:GetPolicyVersion",
            &err,
        ),
    }
    policy.default_version_id = Some(version);
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_url_encoded_and_plain_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ssm%3AStartSession%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        let value = decode_document(encoded).unwrap();
        assert_eq!(value["Statement"][0]["Action"], "ssm:StartSession");
        let plain = r#"{"Version": "2012-10-17", "Statement": []}"#;
        assert_eq!(decode_document(plain).unwrap()["Version"], "2012-10-17");
        // A space encoded as %20 (never +, which RFC 3986 leaves literal).
        let spaced = "%7B%22Sid%22%3A%22a%20b%2Bc%22%7D";
        assert_eq!(decode_document(spaced).unwrap()["Sid"], "a b+c");
    }

    #[test]
    fn bad_documents_are_reasons_not_panics() {
        assert!(
            decode_document("%7B%22broken")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(decode_document("%FF%FE").unwrap_err().contains("UTF-8"));
        let mut unknown = Unknown::new();
        let doc = document(Some("%7B"), "document", &mut unknown);
        assert_eq!(doc.document, Value::Null);
        assert!(unknown.contains_key("document"));
    }

    #[test]
    fn policy_names_and_ownership_from_arns() {
        assert_eq!(
            name_from_arn("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"),
            "AmazonEC2RoleforSSM"
        );
        assert!(is_aws_managed(
            "arn:aws:iam::aws:policy/AmazonSSMFullAccess"
        ));
        assert!(!is_aws_managed("arn:aws:iam::111122223333:policy/Mine"));
    }
}
