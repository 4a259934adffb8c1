//! The bridge from the snapshot model (`crate::model`) to the policy engine: turns a stored
//! [`PolicyDocument`] into a [`Policy`] (keeping the statement origins the IaC ingesters
//! recorded) and assembles the [`PolicySet`] of each IAM user and role of an account —
//! inline and attached policies (plus every group's, for users), the permission boundary
//! and the SCP levels that govern the account.
//!
//! Managed policies and SCPs are parsed once per account and shared (`Arc`) by every
//! principal. What cannot be assembled (an attached policy missing from the snapshot, a
//! document that does not parse, an unreadable organization) is returned as a
//! [`SetProblem`] next to the set, so rules can report "not assessed" instead of judging a
//! principal on part of its policies.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::document::Policy;
use super::error::{ParseError, Position};
use super::set::{PolicySet, Principal};
use crate::model::{Iam, ManagedPolicy, Organization, PolicyDocument, Role, Section, User};

impl Policy {
    /// Parses a snapshot document and attaches what it knows about where it came from: the
    /// source path and, for file inputs, the position of each statement.
    pub fn from_document(document: &PolicyDocument, name: &str) -> Result<Policy, ParseError> {
        let mut policy = Policy::from_value(&document.document)?.with_name(name);
        if let Some(origin) = &document.origin {
            policy = policy.with_source(origin.path.as_str());
        }
        for (index, origin) in document.statement_origins.iter().enumerate() {
            if origin.line > 0 {
                let position = Position {
                    line: origin.line as usize,
                    column: (origin.column as usize).max(1),
                };
                policy.set_statement_position(index, position);
            }
        }
        Ok(policy)
    }
}

/// Why a principal's policy set is incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetProblem {
    /// An attached managed policy (or the boundary) is not in the snapshot.
    MissingPolicy { arn: String },
    /// A group the user belongs to is not in the snapshot.
    MissingGroup { name: String },
    /// A document does not parse.
    Unparseable { policy: String, error: ParseError },
    /// The organization (and so the SCPs) could not be read.
    OrganizationUnknown,
}

impl fmt::Display for SetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetProblem::MissingPolicy { arn } => {
                write!(f, "the managed policy {arn} is not in the snapshot")
            }
            SetProblem::MissingGroup { name } => {
                write!(f, "the group {name} is not in the snapshot")
            }
            SetProblem::Unparseable { policy, error } => {
                write!(f, "the policy {policy} does not parse: {error}")
            }
            SetProblem::OrganizationUnknown => {
                f.write_str("the organization's SCPs could not be read")
            }
        }
    }
}

/// A principal's policy set and what could not be put into it.
#[derive(Debug, Clone)]
pub struct BuiltSet {
    pub set: PolicySet,
    pub problems: Vec<SetProblem>,
}

/// The parsed policies of one account, ready to assemble per-principal sets.
pub struct AccountPolicies<'a> {
    iam: &'a Iam,
    managed: HashMap<&'a str, Result<Arc<Policy>, ParseError>>,
    scp_levels: Vec<ScpLevel>,
    /// What kept SCPs out of the sets: applies to every principal of the account.
    scp_problems: Vec<SetProblem>,
}

struct ScpLevel {
    name: String,
    policies: Vec<Arc<Policy>>,
}

/// Parses managed policies on every core: an IaC input or a large account can hold tens of
/// thousands, and parsing is most of the cost of building the IAM rules' view.
fn parse_managed(policies: &[ManagedPolicy]) -> HashMap<&str, Result<Arc<Policy>, ParseError>> {
    fn parse(chunk: &[ManagedPolicy]) -> Vec<(&str, Result<Arc<Policy>, ParseError>)> {
        chunk
            .iter()
            .map(|p| {
                (
                    p.arn.as_str(),
                    Policy::from_document(&p.document, &p.name).map(Arc::new),
                )
            })
            .collect()
    }
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    // Below a few hundred policies a thread costs more than it saves.
    if workers <= 1 || policies.len() < 256 {
        return parse(policies).into_iter().collect();
    }
    let chunk = policies.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = policies
            .chunks(chunk)
            .map(|part| scope.spawn(move || parse(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

impl<'a> AccountPolicies<'a> {
    /// Parses the account's managed policies and SCPs (the account's `organization`
    /// section: `None` outside AWS Organizations). SCPs do not apply to the organization's
    /// management account.
    pub fn new(
        account_id: &str,
        iam: &'a Iam,
        organization: &Section<Option<Organization>>,
    ) -> Self {
        let managed = parse_managed(&iam.policies);
        let mut scp_levels = Vec::new();
        let mut scp_problems = Vec::new();
        match organization {
            Section::NotCollected(_) => scp_problems.push(SetProblem::OrganizationUnknown),
            Section::Collected(None) => {}
            Section::Collected(Some(org))
                if org.management_account_id.as_deref() == Some(account_id) => {}
            Section::Collected(Some(org)) => {
                for level in &org.scp_levels {
                    let name = level
                        .target_name
                        .clone()
                        .unwrap_or_else(|| level.target_id.clone());
                    let mut policies = Vec::new();
                    for scp in &level.policies {
                        match Policy::from_document(&scp.document, &scp.name) {
                            Ok(p) => policies.push(Arc::new(p)),
                            Err(error) => scp_problems.push(SetProblem::Unparseable {
                                policy: scp.name.clone(),
                                error,
                            }),
                        }
                    }
                    scp_levels.push(ScpLevel { name, policies });
                }
            }
        }
        AccountPolicies {
            iam,
            managed,
            scp_levels,
            scp_problems,
        }
    }

    fn attach(&self, set: &mut PolicySet, problems: &mut Vec<SetProblem>, arn: &str) {
        match self.managed.get(arn) {
            Some(Ok(policy)) => {
                set.add_identity(policy.clone());
            }
            Some(Err(error)) => problems.push(SetProblem::Unparseable {
                policy: arn.to_owned(),
                error: error.clone(),
            }),
            None => problems.push(SetProblem::MissingPolicy {
                arn: arn.to_owned(),
            }),
        }
    }

    fn inline(
        set: &mut PolicySet,
        problems: &mut Vec<SetProblem>,
        owner: &str,
        name: &str,
        doc: &PolicyDocument,
    ) {
        let label = format!("{name} (inline, {owner})");
        match Policy::from_document(doc, &label) {
            Ok(policy) => {
                set.add_identity(policy);
            }
            Err(error) => problems.push(SetProblem::Unparseable {
                policy: label,
                error,
            }),
        }
    }

    fn boundary_and_scps(
        &self,
        set: &mut PolicySet,
        problems: &mut Vec<SetProblem>,
        boundary: Option<&str>,
    ) {
        if let Some(arn) = boundary {
            match self.managed.get(arn) {
                Some(Ok(policy)) => {
                    set.set_boundary(policy.clone());
                }
                Some(Err(error)) => problems.push(SetProblem::Unparseable {
                    policy: arn.to_owned(),
                    error: error.clone(),
                }),
                None => problems.push(SetProblem::MissingPolicy {
                    arn: arn.to_owned(),
                }),
            }
        }
        problems.extend(self.scp_problems.iter().cloned());
        for level in &self.scp_levels {
            set.add_scp_level(Some(level.name.clone()), level.policies.clone());
        }
    }

    /// The policy set of an IAM user: its inline and attached policies, those of each of its
    /// groups, its boundary and the SCPs.
    pub fn user(&self, user: &User) -> BuiltSet {
        let mut problems = Vec::new();
        let principal = Principal::from_arn(&user.arn).map_or_else(
            |_| Principal::unknown(),
            |p| {
                if user.id.is_empty() {
                    p
                } else {
                    p.with_userid(user.id.as_str())
                }
            },
        );
        let mut set = PolicySet::new(principal);
        let owner = format!("user {}", user.name);
        for p in &user.inline_policies {
            Self::inline(&mut set, &mut problems, &owner, &p.name, &p.document);
        }
        for arn in &user.attached_policies {
            self.attach(&mut set, &mut problems, arn);
        }
        for name in &user.groups {
            let Some(group) = self.iam.group(name) else {
                problems.push(SetProblem::MissingGroup { name: name.clone() });
                continue;
            };
            let owner = format!("group {}", group.name);
            for p in &group.inline_policies {
                Self::inline(&mut set, &mut problems, &owner, &p.name, &p.document);
            }
            for arn in &group.attached_policies {
                self.attach(&mut set, &mut problems, arn);
            }
        }
        self.boundary_and_scps(
            &mut set,
            &mut problems,
            user.permissions_boundary.as_deref(),
        );
        BuiltSet { set, problems }
    }

    /// The policy set of an IAM role (as its sessions use it): inline and attached policies,
    /// boundary and SCPs; service-linked roles are exempt from SCPs.
    pub fn role(&self, role: &Role) -> BuiltSet {
        let mut problems = Vec::new();
        let principal = Principal::from_arn(&role.arn).map_or_else(
            |_| Principal::unknown(),
            |p| {
                let p = p.with_service_linked(role.is_service_linked());
                if role.id.is_empty() {
                    p
                } else {
                    p.with_userid(role.id.as_str())
                }
            },
        );
        let mut set = PolicySet::new(principal);
        let owner = format!("role {}", role.name);
        for p in &role.inline_policies {
            Self::inline(&mut set, &mut problems, &owner, &p.name, &p.document);
        }
        for arn in &role.attached_policies {
            self.attach(&mut set, &mut problems, arn);
        }
        self.boundary_and_scps(
            &mut set,
            &mut problems,
            role.permissions_boundary.as_deref(),
        );
        BuiltSet { set, problems }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::common::Origin;

    fn doc(text: &str) -> PolicyDocument {
        PolicyDocument::new(serde_json::from_str(text).expect("json"))
    }

    fn organization(management: &str) -> Section<Option<Organization>> {
        let scp = |name: &str, text: &str| crate::model::Scp {
            id: format!("p-{name}"),
            name: name.to_owned(),
            arn: None,
            document: doc(text),
        };
        Section::Collected(Some(Organization {
            id: "o-1".into(),
            management_account_id: Some(management.into()),
            scp_levels: vec![crate::model::ScpLevel {
                target_id: "r-root".into(),
                target_name: Some("Root".into()),
                policies: vec![
                    scp(
                        "FullAWSAccess",
                        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
                    ),
                    scp(
                        "Broken",
                        r#"{"Version": "2012-10-17", "Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}"#,
                    ),
                ],
            }],
        }))
    }

    #[test]
    fn scps_apply_except_in_the_management_account_and_problems_are_reported() {
        let iam = Iam {
            roles: vec![Role {
                name: "ops".into(),
                arn: "arn:aws:iam::111122223333:role/ops".into(),
                attached_policies: vec!["arn:aws:iam::aws:policy/Missing".into()],
                ..Role::default()
            }],
            ..Iam::default()
        };
        let member = AccountPolicies::new("111122223333", &iam, &organization("999999999999"));
        let built = member.role(&iam.roles[0]);
        assert_eq!(built.set.scp_levels().len(), 1);
        assert_eq!(built.set.scp_levels()[0].name.as_deref(), Some("Root"));
        assert_eq!(built.set.scp_levels()[0].policies.len(), 1);
        assert!(
            matches!(&built.problems[0], SetProblem::MissingPolicy { arn } if arn.ends_with("Missing"))
        );
        assert!(
            matches!(&built.problems[1], SetProblem::Unparseable { policy, .. } if policy == "Broken")
        );
        let management = AccountPolicies::new("111122223333", &iam, &organization("111122223333"));
        assert!(management.role(&iam.roles[0]).set.scp_levels().is_empty());
    }

    #[test]
    fn statement_origins_become_positions() {
        let value: serde_json::Value = serde_json::from_str(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
        )
        .expect("json");
        let mut doc = PolicyDocument::new(value);
        doc.origin = Some(Origin::new("main.tf", 10, 3));
        doc.statement_origins = vec![Origin::new("main.tf", 12, 7), Origin::new("main.tf", 0, 0)];
        let p = Policy::from_document(&doc, "tf").expect("parses");
        assert_eq!(p.source(), Some("main.tf"));
        assert_eq!(
            p.statements()[0].position(),
            Some(Position {
                line: 12,
                column: 7
            })
        );
        assert_eq!(p.statements()[1].position(), None, "line 0 means unknown");
    }
}
