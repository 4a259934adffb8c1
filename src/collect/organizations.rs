//! AWS Organizations collector: the organization's active accounts (for `--org-role`), and
//! the service control policies that apply to an account, level by level from the root
//! through each OU down to the account (none for the management account, which SCPs do not
//! restrict). SCPs can only be read from the management account
//! (or a delegated administrator); levels and policies shared by several accounts are read
//! once per scan.
//!
//! Called by `collect::mod`: [`list_accounts`] when the scan starts, [`ScpReader`] in each
//! account step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::Client;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_policies_for_target::ListPoliciesForTargetOutput;
use aws_sdk_organizations::types::{AccountState, AccountStatus, ParentType, PolicyType};
use tokio::sync::OnceCell;

use super::Scope;
use super::error::is_code;
use crate::model::{Gap, Organization, PolicyDocument, Scp, ScpLevel};

/// A member account as the organization lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberAccount {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) active: bool,
}

type SdkError<E> = aws_smithy_runtime_api::client::result::SdkError<
    E,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

pub(crate) async fn list_accounts(
    client: &Client,
) -> Result<
    Vec<MemberAccount>,
    SdkError<aws_sdk_organizations::operation::list_accounts::ListAccountsError>,
> {
    let pages = client
        .list_accounts()
        .max_results(20)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await?;
    Ok(pages
        .iter()
        .flat_map(ListAccountsOutput::accounts)
        .filter_map(|a| {
            // `State` replaces the deprecated `Status`; accept either.
            let active = match (a.state(), a.status()) {
                (Some(state), _) => *state == AccountState::Active,
                (None, Some(status)) => *status == AccountStatus::Active,
                (None, None) => false,
            };
            Some(MemberAccount {
                id: a.id()?.to_owned(),
                name: a.name().map(str::to_owned),
                active,
            })
        })
        .collect())
}

/// `Some((organization id, management account id))`, or `None` when the account is not in an
/// organization.
pub(crate) async fn describe(
    client: &Client,
) -> Result<
    Option<(String, Option<String>)>,
    SdkError<aws_sdk_organizations::operation::describe_organization::DescribeOrganizationError>,
> {
    match client.describe_organization().send().await {
        Ok(out) => Ok(out.organization().map(|o| {
            (
                o.id().unwrap_or_default().to_owned(),
                o.master_account_id().map(str::to_owned),
            )
        })),
        Err(err) if is_code(&err, &["AWSOrganizationsNotInUseException"]) => Ok(None),
        Err(err) => Err(err),
    }
}

type Memo<T> = Mutex<HashMap<String, Arc<OnceCell<Result<T, Gap>>>>>;

/// Reads SCP levels with caching, so an OU or policy shared by many accounts costs one call.
pub(crate) struct ScpReader {
    client: Client,
    parents: Memo<(String, ParentType)>,
    ou_names: Memo<Option<String>>,
    attached: Memo<Vec<(String, String, Option<String>)>>,
    documents: Memo<serde_json::Value>,
}

impl ScpReader {
    pub(crate) fn new(client: Client) -> Self {
        ScpReader {
            client,
            parents: Mutex::default(),
            ou_names: Mutex::default(),
            attached: Mutex::default(),
            documents: Mutex::default(),
        }
    }

    /// The organization an account is in, with its SCP levels.
    pub(crate) async fn organization(
        &self,
        scope: &Scope,
        organization_id: &str,
        management_account_id: Option<&str>,
        account_id: &str,
    ) -> Result<Organization, Gap> {
        // SCPs never restrict the management account's own principals, whatever is attached
        // to the root: its levels are empty, or the IAM rules would miss real permissions.
        let scp_levels = if management_account_id == Some(account_id) {
            Vec::new()
        } else {
            self.levels(scope, account_id).await?
        };
        Ok(Organization {
            id: organization_id.to_owned(),
            management_account_id: management_account_id.map(str::to_owned),
            scp_levels,
        })
    }

    async fn levels(&self, scope: &Scope, account_id: &str) -> Result<Vec<ScpLevel>, Gap> {
        // Walk up from the account to the root.
        let mut path = vec![(account_id.to_owned(), None::<ParentType>)];
        let mut current = account_id.to_owned();
        for _ in 0..10 {
            let (parent, kind) = self.parent(scope, &current).await?;
            path.push((parent.clone(), Some(kind.clone())));
            if kind == ParentType::Root {
                break;
            }
            current = parent;
        }
        path.reverse();
        let mut levels = Vec::with_capacity(path.len());
        for (target, kind) in path {
            let target_name = match kind {
                Some(ParentType::Root) => Some("Root".to_owned()),
                Some(ParentType::OrganizationalUnit) => self.ou_name(scope, &target).await?,
                _ => None,
            };
            let attached = match self.attached(scope, &target).await {
                Ok(attached) => attached,
                // SCPs not enabled in the organization: nothing restricts any level.
                Err(gap) if gap.error_code.as_deref() == Some("PolicyTypeNotEnabledException") => {
                    return Ok(Vec::new());
                }
                Err(gap) => return Err(gap),
            };
            let mut policies = Vec::with_capacity(attached.len());
            for (id, name, arn) in attached {
                let document = self.document(scope, &id).await?;
                policies.push(Scp {
                    id,
                    name,
                    arn,
                    document: PolicyDocument::new(document),
                });
            }
            levels.push(ScpLevel {
                target_id: target,
                target_name,
                policies,
            });
        }
        Ok(levels)
    }

    async fn memo<T: Clone, F, Fut>(&self, memo: &Memo<T>, key: &str, load: F) -> Result<T, Gap>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, Gap>>,
    {
        let cell = {
            let mut map = match memo.lock() {
                Ok(map) => map,
                Err(poisoned) => poisoned.into_inner(),
            };
            Arc::clone(map.entry(key.to_owned()).or_default())
        };
        cell.get_or_init(load).await.clone()
    }

    async fn parent(&self, scope: &Scope, child: &str) -> Result<(String, ParentType), Gap> {
        self.memo(&self.parents, child, || async {
            let out = self
                .client
                .list_parents()
                .child_id(child)
                .send()
                .await
                .map_err(|err| scope.make_gap("organizations:ListParents", &err))?;
            out.parents()
                .first()
                .and_then(|p| Some((p.id()?.to_owned(), p.r#type()?.clone())))
                .ok_or_else(|| {
                    Gap::new(format!("ListParents returned no parent for {child}"))
                        .with_operation("organizations:ListParents")
                })
        })
        .await
    }

    async fn ou_name(&self, scope: &Scope, ou: &str) -> Result<Option<String>, Gap> {
        self.memo(&self.ou_names, ou, || async {
            let out = self
                .client
                .describe_organizational_unit()
                .organizational_unit_id(ou)
                .send()
                .await
                .map_err(|err| scope.make_gap("organizations:DescribeOrganizationalUnit", &err))?;
            Ok(out
                .organizational_unit()
                .and_then(|o| o.name())
                .map(str::to_owned))
        })
        .await
    }

    async fn attached(
        &self,
        scope: &Scope,
        target: &str,
    ) -> Result<Vec<(String, String, Option<String>)>, Gap> {
        self.memo(&self.attached, target, || async {
            let pages = self
                .client
                .list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .max_results(20)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await;
            match pages {
                Ok(pages) => Ok(pages
                    .iter()
                    .flat_map(ListPoliciesForTargetOutput::policies)
                    .filter_map(|p| {
                        Some((
                            p.id()?.to_owned(),
                            p.name().unwrap_or_default().to_owned(),
                            p.arn().map(str::to_owned),
                        ))
                    })
                    .collect()),
                // Not an error for the scan: SCPs are simply off.
                Err(err) if is_code(&err, &["PolicyTypeNotEnabledException"]) => Err(Gap::new(
                    "service control policies are not enabled in the organization",
                )
                .with_error_code("PolicyTypeNotEnabledException")),
                Err(err) => Err(scope.make_gap("organizations:ListPoliciesForTarget", &err)),
            }
        })
        .await
    }

    async fn document(&self, scope: &Scope, policy_id: &str) -> Result<serde_json::Value, Gap> {
        self.memo(&self.documents, policy_id, || async {
            let out = self
                .client
                .describe_policy()
                .policy_id(policy_id)
                .send()
                .await
                .map_err(|err| scope.make_gap("organizations:DescribePolicy", &err))?;
            let content = out.policy().and_then(|p| p.content()).unwrap_or_default();
            serde_json::from_str(content).map_err(|err| {
                Gap::new(format!("SCP {policy_id} is not valid JSON: {err}"))
                    .with_operation("organizations:DescribePolicy")
            })
        })
        .await
    }
}
