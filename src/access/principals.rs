//! The principals of an account as the map evaluates them: each IAM user's and role's
//! policy set (built by `policy::AccountPolicies`: inline, attached and group policies,
//! boundary, SCPs), and the principal facts every request of theirs carries beyond what the
//! set derives from the ARN.
//!
//! Users: `aws:PrincipalType` User, their tags as `aws:PrincipalTag/K` (other keys absent).
//! Roles are used through sessions: `aws:PrincipalType` `AssumedRole`, `aws:userid` unknown
//! (`AROA…:session-name`, the session name is chosen at assume time), and the role's tags as
//! principal tags — unless the trust policy lets callers pass session tags (federation,
//! `sts:TagSession`), which can override them: then every principal tag is unknown, so a
//! grant that depends on one comes out "allowed if". `aws:PrincipalOrgID` is the
//! organization's id when the organization was read (absent outside one, unknown when it
//! could not be read).

use std::sync::Arc;

use crate::model::{Organization, Section, Tags};
use crate::policy::{Context, Policy, PolicySet};

/// A principal's policies and request facts.
pub(crate) struct PrincipalState {
    pub(crate) set: PolicySet,
    /// Keys added to every base context of this principal's requests.
    pub(crate) facts: Context,
    /// The set with an allow-all identity policy and no boundary: what still applies when a
    /// role's trust policy names the principal itself (its Deny statements and the SCPs).
    pub(crate) named_set: PolicySet,
}

/// Principal facts (see the module doc).
pub(crate) fn facts(
    kind: super::PrincipalKind,
    tags: &Tags,
    session_tags: bool,
    organization: &Section<Option<Organization>>,
) -> Context {
    let mut ctx = Context::new();
    match kind {
        super::PrincipalKind::User => {
            ctx.insert("aws:PrincipalType", "User");
        }
        super::PrincipalKind::Role => {
            ctx.insert("aws:PrincipalType", "AssumedRole")
                .set_unknown("aws:userid");
        }
    }
    if session_tags {
        ctx.set_unknown_prefix("aws:principaltag/");
    } else {
        ctx.set_absent_prefix("aws:principaltag/");
        for (key, value) in tags {
            ctx.insert(&format!("aws:PrincipalTag/{key}"), value.as_str());
        }
    }
    match organization {
        Section::Collected(Some(org)) => {
            ctx.insert("aws:PrincipalOrgID", org.id.as_str());
        }
        Section::Collected(None) => {
            ctx.set_absent("aws:PrincipalOrgID")
                .set_absent("aws:PrincipalOrgPaths");
        }
        Section::NotCollected(_) => {}
    }
    ctx
}

/// `{"Effect": "Allow", "Action": "*", "Resource": "*"}`, shared.
pub(crate) fn allow_all() -> Arc<Policy> {
    let value = serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    // A constant document: it parses, or the unit test below fails.
    Arc::new(
        Policy::from_value(&value)
            .unwrap_or_else(|e| unreachable!("built-in allow-all policy: {e}"))
            .with_name("(trusted by name: no identity policy needed)"),
    )
}

/// The set that applies when a trust policy names the principal itself: its identity
/// policies plus an allow-all (so only their Deny statements matter) and its SCP levels; no
/// boundary.
pub(crate) fn named_set(set: &PolicySet, allow_all: &Arc<Policy>) -> PolicySet {
    let mut named = PolicySet::new(set.principal().clone());
    for policy in set.identity_policies() {
        named.add_identity(policy.clone());
    }
    named.add_identity(allow_all.clone());
    for level in set.scp_levels() {
        named.add_scp_level(level.name.clone(), level.policies.clone());
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::PrincipalKind;
    use crate::policy::KeyState;

    #[test]
    fn user_and_role_facts() {
        let tags: Tags = [("team".to_owned(), "ops".to_owned())]
            .into_iter()
            .collect();
        let org = Section::Collected(Some(Organization {
            id: "o-abc".into(),
            ..Default::default()
        }));
        let user = facts(PrincipalKind::User, &tags, false, &org);
        assert!(matches!(
            user.get("aws:PrincipalTag/team"),
            KeyState::Known(_)
        ));
        assert_eq!(user.get("aws:PrincipalTag/other"), KeyState::Absent);
        assert!(matches!(user.get("aws:PrincipalOrgID"), KeyState::Known(_)));
        let federated = facts(PrincipalKind::Role, &tags, true, &Section::Collected(None));
        assert_eq!(federated.get("aws:PrincipalTag/team"), KeyState::Unknown);
        assert_eq!(federated.get("aws:userid"), KeyState::Unknown);
        assert_eq!(federated.get("aws:PrincipalOrgID"), KeyState::Absent);
        assert!(allow_all().statements().len() == 1);
    }
}
