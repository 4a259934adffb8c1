//! Who can assume a role: the trust policy read statement by statement.
//!
//! Each Allow statement whose Action covers `sts:AssumeRole`, `sts:AssumeRoleWithSAML` or
//! `sts:AssumeRoleWithWebIdentity` contributes one [`TrustEntry`] per principal it names:
//! a principal of the same account, the account itself (its principals whose own policies
//! allow `sts:AssumeRole` on the role), another account ("anyone it delegates to"), a
//! principal of another account, a SAML or OIDC provider (the users it federates), an AWS
//! service, or anyone (`*`). The statement's conditions are kept as "if …" text. Entries
//! from outside the account are the role's entry points.
//!
//! For the principals of the same account, the trust policy is also evaluated with the
//! engine ([`assumers`]): the statements that apply to each candidate (naming it, its
//! account, or anyone) go into a policy set with the candidate's principal facts, so
//! conditions such as `aws:PrincipalArn` or `aws:PrincipalTag` are decided for real, and
//! the trust policy's Deny statements take part. When the trust policy names the account,
//! the candidate's own policies must allow `sts:AssumeRole` too (with boundary and SCPs);
//! when it names the candidate (or anyone), only the candidate's Deny statements and SCPs
//! can stop it (the IAM rule for same-account trust by ARN; the boundary is not applied,
//! which can only over-report).

use std::sync::Arc;

use serde::Serialize;

use super::principals::PrincipalState;
use super::{Access, both};
use crate::model::Role;
use crate::policy::requests::{action, identity_mentions};
use crate::policy::{
    ActionName, Context, Effect, Policy, PolicySet, PrincipalElement, Request, Statement, decide,
};

const ASSUME_ACTIONS: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
];

/// What a trust policy principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A user or role of the role's own account, by ARN.
    SameAccountPrincipal,
    /// The role's own account (`arn:…:root` or the account id): its principals whose own
    /// policies allow `sts:AssumeRole`.
    Account,
    /// Another account: anyone it delegates to.
    OtherAccount,
    /// A user, role or session of another account.
    OtherAccountPrincipal,
    /// A SAML identity provider: the users it federates.
    Saml,
    /// An OIDC / web identity provider: the identities it issues tokens for.
    Oidc,
    /// An AWS service (`ec2.amazonaws.com`, …).
    Service,
    /// `*`: any AWS principal.
    Anyone,
    /// Something nobastion cannot classify (a unique id of a deleted principal, a
    /// canonical user): shown as written.
    Other,
}

/// One principal a trust policy lets in.
#[derive(Debug, Clone, Serialize)]
pub struct TrustEntry {
    pub kind: EntryKind,
    /// As written in the trust policy.
    pub principal: String,
    /// The assume actions the statement allows.
    pub actions: Vec<String>,
    /// The statement's conditions (`sts:ExternalId StringEquals 12345`), all of which must
    /// hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// `statement 1 (Sid TrustOps)`.
    pub statement: String,
    /// From outside the account: an entry point.
    pub external: bool,
    /// A `NotPrincipal` statement: everyone except the principal.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub except: bool,
}

impl TrustEntry {
    /// `account 444455556666 (anyone it delegates to), if sts:ExternalId StringEquals x`.
    pub fn describe(&self) -> String {
        let who = match self.kind {
            EntryKind::SameAccountPrincipal => short(&self.principal).to_owned(),
            EntryKind::Account => format!(
                "account {} (principals its own policies allow)",
                account_of(&self.principal)
            ),
            EntryKind::OtherAccount => format!(
                "account {} (anyone it delegates to)",
                account_of(&self.principal)
            ),
            EntryKind::OtherAccountPrincipal => format!("{} (other account)", self.principal),
            EntryKind::Saml => format!(
                "SAML provider {} (the users it federates)",
                provider_name(&self.principal)
            ),
            EntryKind::Oidc => format!(
                "OIDC provider {} (the identities it issues tokens for)",
                provider_name(&self.principal)
            ),
            EntryKind::Service => format!("service {}", self.principal),
            EntryKind::Anyone => "anyone (any AWS account)".to_owned(),
            EntryKind::Other => self.principal.clone(),
        };
        let who = if self.except {
            format!("anyone except {who}")
        } else {
            who
        };
        if self.conditions.is_empty() {
            who
        } else {
            format!("{who}, if {}", self.conditions.join(" and "))
        }
    }
}

/// A principal of the same account that can assume the role.
#[derive(Debug, Clone, Serialize)]
pub struct Assumer {
    pub principal: String,
    pub access: Access,
    /// `named in the trust policy` or `its own policies allow sts:AssumeRole (the trust policy
    /// names the account)`.
    pub how: String,
}

/// Who can assume a role.
#[derive(Debug, Clone, Serialize)]
pub struct RoleTrust {
    pub entries: Vec<TrustEntry>,
    /// Principals of the same account that can assume it (evaluated).
    pub assumers: Vec<Assumer>,
    /// The trust policy's Deny statements, described.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denies: Vec<String>,
    /// Callers may pass session tags (`sts:TagSession` allowed, or federation): principal
    /// tags of its sessions are unknown.
    pub session_tags: bool,
    /// Why the trust policy could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl RoleTrust {
    /// Every Allow entry is an AWS service.
    pub fn service_only(&self) -> bool {
        !self.entries.is_empty() && self.entries.iter().all(|e| e.kind == EntryKind::Service)
    }
}

/// What applies to a candidate of the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    /// Names the candidate's ARN.
    Named,
    /// Names the candidate's account.
    Account,
    /// `*`.
    Anyone,
}

/// One statement, ready to evaluate on its own.
struct TrustStatement {
    effect: Effect,
    /// The candidates it covers: `(coverage, value)` (value: ARN or account id).
    principals: Vec<(Coverage, String)>,
    /// `NotPrincipal`: covers everyone but `principals`.
    except: bool,
    policy: Arc<Policy>,
}

/// The evaluable form of a trust policy, for [`assumers`].
pub(crate) struct TrustPlan {
    role_arn: String,
    statements: Vec<TrustStatement>,
}

/// `arn:aws:iam::111122223333:root` or `111122223333` → `111122223333`.
fn account_of(principal: &str) -> &str {
    principal
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(3))
        .unwrap_or(principal)
}

fn short(arn: &str) -> &str {
    arn.splitn(6, ':')
        .nth(5)
        .filter(|s| !s.is_empty())
        .unwrap_or(arn)
}

fn provider_name(principal: &str) -> &str {
    principal
        .split_once(":saml-provider/")
        .or_else(|| principal.split_once(":oidc-provider/"))
        .map_or(principal, |(_, name)| name)
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Classifies one `AWS` principal value relative to the role's account.
fn classify_aws(value: &str, account: &str) -> (EntryKind, Option<(Coverage, String)>) {
    if value == "*" {
        return (EntryKind::Anyone, Some((Coverage::Anyone, String::new())));
    }
    let owner = if is_account_id(value) {
        Some(value)
    } else if value.starts_with("arn:") {
        Some(account_of(value))
    } else {
        None
    };
    let Some(owner) = owner else {
        return (EntryKind::Other, None);
    };
    let root = is_account_id(value) || value.ends_with(":root");
    match (owner == account, root) {
        (true, true) => (
            EntryKind::Account,
            Some((Coverage::Account, owner.to_owned())),
        ),
        (true, false) => (
            EntryKind::SameAccountPrincipal,
            Some((Coverage::Named, value.to_owned())),
        ),
        (false, true) => (EntryKind::OtherAccount, None),
        (false, false) => (EntryKind::OtherAccountPrincipal, None),
    }
}

fn condition_texts(st: &Statement) -> Vec<String> {
    st.conditions()
        .map(|(op, key, values)| {
            let v: Vec<&str> = values.iter().map(|v| &**v).collect();
            if v.len() == 1 {
                format!("{key} {op} {}", v[0])
            } else {
                format!("{key} {op} [{}]", v.join(", "))
            }
        })
        .collect()
}

/// The JSON of statement `index` of a document (`Statement` may be one object).
fn statement_json(document: &serde_json::Value, index: usize) -> Option<serde_json::Value> {
    match document.get("Statement")? {
        serde_json::Value::Array(list) => list.get(index).cloned(),
        object @ serde_json::Value::Object(_) if index == 0 => Some(object.clone()),
        _ => None,
    }
}

/// The entries one statement contributes, and the candidates of the account it covers.
fn statement_entries(
    st: &Statement,
    element: &PrincipalElement,
    actions: &[String],
    account: &str,
) -> (Vec<TrustEntry>, Vec<(Coverage, String)>) {
    let mut covered = Vec::new();
    let mut entries = Vec::new();
    let mut push = |kind: EntryKind, principal: &str| {
        let external = !matches!(
            kind,
            EntryKind::SameAccountPrincipal | EntryKind::Account | EntryKind::Service
        );
        entries.push(TrustEntry {
            kind,
            principal: principal.to_owned(),
            actions: actions.to_vec(),
            conditions: condition_texts(st),
            statement: st.label(),
            external,
            except: element.negated,
        });
    };
    if element.wildcard {
        push(EntryKind::Anyone, "*");
        covered.push((Coverage::Anyone, String::new()));
    }
    for (kind, values) in &element.entries {
        for value in values {
            match kind.as_str() {
                "AWS" => {
                    let (entry, coverage) = classify_aws(value, account);
                    push(entry, value);
                    covered.extend(coverage);
                }
                "Federated" if value.contains(":saml-provider/") => push(EntryKind::Saml, value),
                "Federated" => push(EntryKind::Oidc, value),
                "Service" => push(EntryKind::Service, value),
                _ => push(EntryKind::Other, value),
            }
        }
    }
    (entries, covered)
}

/// Statement `index` of the document as a policy of its own (same `Version`).
fn single_statement(document: &serde_json::Value, index: usize, name: String) -> Option<Policy> {
    let json = statement_json(document, index)?;
    let mut wrapper = serde_json::Map::new();
    if let Some(v) = document.get("Version") {
        wrapper.insert("Version".to_owned(), v.clone());
    }
    wrapper.insert("Statement".to_owned(), serde_json::Value::Array(vec![json]));
    Policy::from_value(&serde_json::Value::Object(wrapper))
        .ok()
        .map(|p| p.with_name(name))
}

/// Reads a role's trust policy (see the module doc).
pub(crate) fn analyze(role: &Role, account: &str) -> (RoleTrust, TrustPlan) {
    let mut trust = RoleTrust {
        entries: Vec::new(),
        assumers: Vec::new(),
        denies: Vec::new(),
        session_tags: false,
        problem: None,
    };
    let mut plan = TrustPlan {
        role_arn: role.arn.clone(),
        statements: Vec::new(),
    };
    let Some(document) = &role.trust_policy else {
        trust.problem = Some("the role's trust policy is not in the snapshot".to_owned());
        return (trust, plan);
    };
    let policy =
        match Policy::from_document(document, &format!("trust policy of role {}", role.name)) {
            Ok(p) => p,
            Err(e) => {
                trust.problem = Some(format!("the trust policy does not parse: {e}"));
                return (trust, plan);
            }
        };
    let assume: Vec<ActionName> = ASSUME_ACTIONS.iter().map(|a| action(a)).collect();
    let tag_session = action("sts:TagSession");
    for st in policy.statements() {
        let actions: Vec<String> = assume
            .iter()
            .filter(|a| st.matches_action(a.service(), a.action_lower()))
            .map(|a| a.as_str().to_owned())
            .collect();
        let Some(element) = st.principal().filter(|_| !actions.is_empty()) else {
            continue;
        };
        let (entries, covered) = statement_entries(st, element, &actions, account);
        match st.effect() {
            Effect::Allow => {
                // SAML and OIDC sessions carry tags only when sts:TagSession is allowed too,
                // but what a provider sends is outside this account's view: federated roles
                // are treated as tag-carrying (unknown, never assumed absent).
                if st.matches_action(tag_session.service(), tag_session.action_lower())
                    || entries
                        .iter()
                        .any(|e| matches!(e.kind, EntryKind::Saml | EntryKind::Oidc))
                {
                    trust.session_tags = true;
                }
                trust.entries.extend(entries);
            }
            Effect::Deny => {
                let who: Vec<String> = entries.iter().map(TrustEntry::describe).collect();
                trust.denies.push(format!(
                    "{} denies {} to {}",
                    st.label(),
                    actions.join(", "),
                    who.join(", ")
                ));
            }
        }
        if covered.is_empty() && !element.negated {
            continue;
        }
        let name = format!("trust policy of role {}, {}", role.name, st.label());
        if let Some(single) = single_statement(&document.document, st.index(), name) {
            plan.statements.push(TrustStatement {
                effect: st.effect(),
                principals: covered,
                except: element.negated,
                policy: Arc::new(single),
            });
        }
    }
    (trust, plan)
}

impl TrustStatement {
    /// How the statement covers a candidate (`None`: it does not).
    fn covers(&self, arn: &str, account: &str) -> Option<Coverage> {
        let hit = self
            .principals
            .iter()
            .find_map(|(coverage, value)| match coverage {
                Coverage::Named if value == arn => Some(Coverage::Named),
                Coverage::Account if value == account => Some(Coverage::Account),
                Coverage::Anyone => Some(Coverage::Anyone),
                _ => None,
            });
        if self.except {
            // NotPrincipal: everyone but the listed principals, judged as naming them.
            return if hit.is_some() {
                None
            } else {
                Some(Coverage::Anyone)
            };
        }
        hit
    }
}

/// The context of `sts:AssumeRole` on the role: its tags as resource tags, the candidate's
/// facts, everything about the call itself (external id, session name, source identity,
/// MFA, source IP) unknown.
pub(crate) fn assume_context(role: &Role, facts: &Context) -> Context {
    let mut ctx = Context::scan_time();
    ctx.set_other_services_absent(&["sts", "iam"])
        .insert("aws:ResourceAccount", super::trust::account_of(&role.arn))
        .insert("aws:SecureTransport", "true")
        .insert("aws:PrincipalIsAWSService", "false")
        .set_absent_prefix("aws:resourcetag/")
        .set_absent_prefix("iam:resourcetag/");
    for (key, value) in &role.tags {
        ctx.insert(&format!("aws:ResourceTag/{key}"), value.as_str())
            .insert(&format!("iam:ResourceTag/{key}"), value.as_str());
    }
    ctx.extend_from(facts);
    ctx
}

/// Which candidates of the same account can assume the role, and how.
pub(crate) fn assumers(
    plan: &TrustPlan,
    role: &Role,
    candidates: &[(&str, &str, &PrincipalState)],
) -> Vec<Assumer> {
    let assume = action("sts:AssumeRole");
    let mut out = Vec::new();
    for &(arn, account, state) in candidates {
        let applicable: Vec<(Coverage, &TrustStatement)> = plan
            .statements
            .iter()
            .filter_map(|s| s.covers(arn, account).map(|c| (c, s)))
            .collect();
        if !applicable.iter().any(|(_, s)| s.effect == Effect::Allow) {
            continue;
        }
        let ctx = assume_context(role, &state.facts);
        let request = Request::new(&assume, &plan.role_arn, &ctx);
        let trust_set = |coverages: &[Coverage]| {
            let mut set = PolicySet::new(state.set.principal().clone());
            for (c, s) in &applicable {
                if s.effect == Effect::Deny || coverages.contains(c) {
                    set.add_identity(s.policy.clone());
                }
            }
            Access::of(decide(&set, &request))
        };
        let named_allow = applicable.iter().any(|(c, s)| {
            s.effect == Effect::Allow && matches!(c, Coverage::Named | Coverage::Anyone)
        });
        let account_allow = applicable
            .iter()
            .any(|(c, s)| s.effect == Effect::Allow && *c == Coverage::Account);
        let named = if named_allow {
            both(
                trust_set(&[Coverage::Named, Coverage::Anyone]),
                Access::of(decide(&state.named_set, &request)),
            )
        } else {
            None
        };
        let delegated = if account_allow && identity_mentions(&state.set, &assume) {
            both(
                trust_set(&[Coverage::Account]),
                Access::of(decide(&state.set, &request)),
            )
        } else {
            None
        };
        let (access, how) = match (named, delegated) {
            (Some(n), d) if d.is_none_or(|d| n >= d) => (n, "named in the trust policy"),
            (_, Some(d)) => (
                d,
                "its own policies allow sts:AssumeRole (the trust policy names the account)",
            ),
            _ => continue,
        };
        out.push(Assumer {
            principal: arn.to_owned(),
            access,
            how: how.to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PolicyDocument;

    fn role(trust: serde_json::Value) -> Role {
        Role {
            name: "ops".into(),
            arn: "arn:aws:iam::111122223333:role/ops".into(),
            trust_policy: Some(PolicyDocument::new(trust)),
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_of_trusted_principal() {
        let r = role(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root",
                "arn:aws:iam::111122223333:user/alice", "444455556666",
                "arn:aws:iam::444455556666:role/deploy"]}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"},
             "Action": "sts:AssumeRoleWithSAML"},
            {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
             "Action": "sts:AssumeRoleWithWebIdentity"},
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}
        ]}));
        let (trust, _) = analyze(&r, "111122223333");
        let kinds: Vec<EntryKind> = trust.entries.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EntryKind::Account,
                EntryKind::SameAccountPrincipal,
                EntryKind::OtherAccount,
                EntryKind::OtherAccountPrincipal,
                EntryKind::Saml,
                EntryKind::Oidc,
                EntryKind::Service,
                EntryKind::Anyone
            ]
        );
        assert_eq!(
            trust.entries[2].describe(),
            "account 444455556666 (anyone it delegates to), if sts:ExternalId StringEquals x1"
        );
        assert!(
            trust.entries[4]
                .describe()
                .starts_with("SAML provider Okta")
        );
        assert!(trust.session_tags, "federation may carry session tags");
        let external: Vec<bool> = trust.entries.iter().map(|e| e.external).collect();
        assert_eq!(
            external,
            [false, false, true, true, true, true, false, true]
        );
        assert!(!trust.service_only());
    }

    #[test]
    fn missing_trust_policy_is_a_problem() {
        let mut r = role(serde_json::json!({}));
        r.trust_policy = None;
        let (trust, _) = analyze(&r, "111122223333");
        assert!(trust.problem.is_some());
    }
}
