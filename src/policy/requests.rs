//! The shapes of the requests behind "who can get a shell on an instance", shared by the
//! Session Manager questions (`queries`, on synthetic ARNs) and the access map
//! (`crate::access`, on every real instance):
//!
//! - resource ARNs: EC2 instances, hybrid managed instances (`mi-…`), documents the account
//!   owns and AWS-owned documents (whose ARN has an empty account field);
//! - the scan-time base context of a request: what the scanner knows (region, resource
//!   account, TLS, that the caller is not an AWS service), which keys such a request never
//!   carries (other services' keys, resource tags not listed, request tags), everything else
//!   unknown;
//! - resource-tag keys (`ssm:resourceTag/K`/`aws:ResourceTag/K` for Session Manager,
//!   `aws:ResourceTag/K`/`ec2:ResourceTag/K` for EC2 Instance Connect);
//! - the two authorizations of `ssm:StartSession` and `ssm:SendCommand` (target and
//!   document) and the rule of the default shell document: it needs a grant of its own only
//!   when `ssm:SessionDocumentAccessCheck` is enforced by every Allow that can cover the
//!   instance ([`access_check_enforced`]).
//!
//! `iam-semantics.md` states these facts; keeping them in one place means the rules and the
//! map cannot drift apart.

use super::condition::Base;
use super::context::{ActionName, Context};
use super::document::Effect;
use super::eval::resource_may_match;
use super::set::PolicySet;

pub(crate) const START_SESSION: &str = "ssm:StartSession";
pub(crate) const SEND_COMMAND: &str = "ssm:SendCommand";
pub(crate) const SEND_SSH_PUBLIC_KEY: &str = "ec2-instance-connect:SendSSHPublicKey";
pub(crate) const SEND_SERIAL_CONSOLE_SSH_PUBLIC_KEY: &str =
    "ec2-instance-connect:SendSerialConsoleSSHPublicKey";
pub(crate) const OPEN_TUNNEL: &str = "ec2-instance-connect:OpenTunnel";

/// The key whose value `true` makes Session Manager check the default shell document too.
pub(crate) const DOCUMENT_ACCESS_CHECK: &str = "ssm:SessionDocumentAccessCheck";

/// Resource-tag key prefixes (lowercase) of Session Manager requests on a target.
pub(crate) const SSM_TAG_PREFIXES: [&str; 2] = ["ssm:resourcetag/", "aws:resourcetag/"];
/// Resource-tag key prefixes (lowercase) of EC2 Instance Connect requests on an instance.
pub(crate) const EC2_TAG_PREFIXES: [&str; 2] = ["aws:resourcetag/", "ec2:resourcetag/"];
/// Every resource-tag prefix a request may be asked about.
const ALL_TAG_PREFIXES: [&str; 3] = ["aws:resourcetag/", "ssm:resourcetag/", "ec2:resourcetag/"];

/// What kind of request a context is for: decides which keys exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// Session Manager actions on instances, documents and sessions.
    Ssm,
    /// `ec2-instance-connect` actions on instances and endpoints.
    InstanceConnect,
    /// Document writes (may carry request tags).
    DocumentWrite,
}

impl RequestKind {
    /// The services whose condition keys such a request can carry (besides `aws`).
    fn own_services(self) -> &'static [&'static str] {
        match self {
            RequestKind::Ssm | RequestKind::DocumentWrite => &["ssm"],
            RequestKind::InstanceConnect => &["ec2-instance-connect", "ec2"],
        }
    }
}

/// An action name of this crate's own constants. A failure would be a bug the tests catch.
pub(crate) fn action(name: &str) -> ActionName {
    ActionName::new(name).unwrap_or_else(|_| unreachable!("invalid built-in action name {name}"))
}

/// `arn:P:SERVICE:R:A:RESOURCE`.
pub(crate) fn arn(
    partition: &str,
    service: &str,
    region: &str,
    account: &str,
    resource: &str,
) -> String {
    format!("arn:{partition}:{service}:{region}:{account}:{resource}")
}

/// An EC2 instance: `arn:P:ec2:R:A:instance/i-…`.
pub(crate) fn instance_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    arn(partition, "ec2", region, account, &format!("instance/{id}"))
}

/// A hybrid managed node: `arn:P:ssm:R:A:managed-instance/mi-…`.
pub(crate) fn managed_instance_arn(
    partition: &str,
    region: &str,
    account: &str,
    id: &str,
) -> String {
    arn(
        partition,
        "ssm",
        region,
        account,
        &format!("managed-instance/{id}"),
    )
}

/// A document the account owns (custom session documents, the preferences document
/// `SSM-SessionManagerRunShell`).
pub(crate) fn account_document_arn(
    partition: &str,
    region: &str,
    account: &str,
    name: &str,
) -> String {
    arn(
        partition,
        "ssm",
        region,
        account,
        &format!("document/{name}"),
    )
}

/// An AWS-owned document: the account field is empty.
pub(crate) fn aws_document_arn(partition: &str, region: &str, name: &str) -> String {
    format!("arn:{partition}:ssm:{region}::document/{name}")
}

/// The scan-time context every request of `kind` on a resource in `region`/`account`
/// shares: region, resource account, TLS and a non-service caller are known; other
/// services' keys, resource tags not given and (except on document writes) request tags are
/// absent; everything else is unknown. Callers add what they know about the principal.
pub(crate) fn scan_time_context(kind: RequestKind, region: &str, account: &str) -> Context {
    let mut ctx = Context::scan_time();
    ctx.set_other_services_absent(kind.own_services());
    ctx.insert("aws:RequestedRegion", region)
        .insert("aws:ResourceAccount", account)
        .insert("aws:SecureTransport", "true")
        .insert("aws:PrincipalIsAWSService", "false");
    for prefix in ALL_TAG_PREFIXES {
        ctx.set_absent_prefix(prefix);
    }
    if kind != RequestKind::DocumentWrite {
        ctx.set_absent_prefix("aws:requesttag/")
            .set_absent("aws:TagKeys");
    }
    ctx
}

/// The other Session Manager requests of a path (`SendCommand`): Session Manager sets
/// `ssm:SessionDocumentAccessCheck` on `StartSession` only, so it is absent there (a
/// `BoolIfExists` on it holds) rather than unknown.
pub(crate) fn without_start_session_facts(ctx: &mut Context) -> &mut Context {
    ctx.set_absent(DOCUMENT_ACCESS_CHECK)
}

/// Sets a resource tag under every prefix of a request kind.
pub(crate) fn insert_tag(ctx: &mut Context, prefixes: &[&str], key: &str, value: &str) {
    for prefix in prefixes {
        ctx.insert(&format!("{prefix}{key}"), value);
    }
}

/// Is `ssm:SessionDocumentAccessCheck` enforced for `instance`: does every identity Allow
/// statement for `StartSession` whose Resource can cover the instance carry `Bool(IfExists)`
/// true on it? Then the default shell document needs a grant of its own.
pub(crate) fn access_check_enforced(set: &PolicySet, instance: &str) -> bool {
    let start = action(START_SESSION);
    let (service, name) = (start.service(), start.action_lower());
    let mut allows = set
        .identity_policies()
        .iter()
        .flat_map(|p| p.candidates(service))
        .filter(|st| {
            st.effect() == Effect::Allow
                && st.matches_action(service, name)
                && resource_may_match(st, instance)
        })
        .peekable();
    if allows.peek().is_none() {
        return false;
    }
    allows.all(|st| {
        st.conditions.iter().any(|c| {
            &*c.key_lower == "ssm:sessiondocumentaccesscheck"
                && c.operator.base == Base::Bool
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
        })
    })
}

/// How the access-check rule can come out for a principal, decided once from its `StartSession`
/// Allow statements so that the per-instance test runs only when it can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessCheck {
    /// No Allow carries the check: the default shell needs no grant of its own anywhere.
    Never,
    /// Every Allow carries it: the default shell needs a grant on every instance they cover.
    Always,
    /// Some do, some do not: decide per instance with [`access_check_enforced`].
    PerInstance,
}

/// Classifies a principal's identity Allow statements for `StartSession` (see [`AccessCheck`]).
pub(crate) fn access_check_shape(set: &PolicySet) -> AccessCheck {
    let start = action(START_SESSION);
    let (service, name) = (start.service(), start.action_lower());
    let (mut with, mut without) = (0usize, 0usize);
    for st in set
        .identity_policies()
        .iter()
        .flat_map(|p| p.candidates(service))
        .filter(|st| st.effect() == Effect::Allow && st.matches_action(service, name))
    {
        let checks = st.conditions.iter().any(|c| {
            &*c.key_lower == "ssm:sessiondocumentaccesscheck"
                && c.operator.base == Base::Bool
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
        });
        if checks {
            with += 1;
        } else {
            without += 1;
        }
    }
    match (with, without) {
        (0, _) => AccessCheck::Never,
        (_, 0) => AccessCheck::Always,
        _ => AccessCheck::PerInstance,
    }
}

/// Does any Allow statement of the identity policies match the action at all? When none
/// does, every request for it is denied and need not be evaluated.
pub(crate) fn identity_mentions(set: &PolicySet, action: &ActionName) -> bool {
    set.identity_policies().iter().any(|p| {
        p.candidates(action.service()).any(|s| {
            s.effect() == Effect::Allow && s.matches_action(action.service(), action.action_lower())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{KeyState, Policy, Principal};

    #[test]
    fn arns_of_targets_and_documents() {
        assert_eq!(
            instance_arn("aws", "eu-west-1", "111122223333", "i-1"),
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
        );
        assert_eq!(
            managed_instance_arn("aws", "eu-west-1", "111122223333", "mi-1"),
            "arn:aws:ssm:eu-west-1:111122223333:managed-instance/mi-1"
        );
        assert_eq!(
            aws_document_arn("aws-cn", "cn-north-1", "AWS-StartSSHSession"),
            "arn:aws-cn:ssm:cn-north-1::document/AWS-StartSSHSession"
        );
        assert_eq!(
            account_document_arn("aws", "us-east-1", "1", "SSM-SessionManagerRunShell"),
            "arn:aws:ssm:us-east-1:1:document/SSM-SessionManagerRunShell"
        );
    }

    #[test]
    fn base_context_knows_little_and_says_so() {
        let ctx = scan_time_context(RequestKind::Ssm, "us-east-1", "111122223333");
        assert!(matches!(ctx.get("aws:RequestedRegion"), KeyState::Known(_)));
        assert_eq!(ctx.get("ssm:resourceTag/Env"), KeyState::Absent);
        assert_eq!(ctx.get("aws:RequestTag/Env"), KeyState::Absent);
        assert_eq!(ctx.get("kms:ViaService"), KeyState::Absent);
        assert_eq!(ctx.get("aws:SourceIp"), KeyState::Unknown);
        let ic = scan_time_context(RequestKind::InstanceConnect, "us-east-1", "1");
        assert_eq!(ic.get("ec2:osuser"), KeyState::Unknown);
        let write = scan_time_context(RequestKind::DocumentWrite, "us-east-1", "1");
        assert_eq!(write.get("aws:RequestTag/Env"), KeyState::Unknown);
    }

    #[test]
    fn access_check_shapes() {
        let set = |text: &str| {
            PolicySet::new(Principal::from_arn("arn:aws:iam::1:user/a").expect("arn"))
                .with_identity(Policy::parse(text).expect("policy"))
        };
        let checked = set(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": "*", "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}}]}"#,
        );
        assert_eq!(access_check_shape(&checked), AccessCheck::Always);
        assert!(access_check_enforced(
            &checked,
            "arn:aws:ec2:r:1:instance/i-1"
        ));
        let mixed = set(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": "arn:aws:ec2:*:*:instance/*", "Condition": {"Bool": {"ssm:SessionDocumentAccessCheck": "true"}}},
            {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:managed-instance/*"}]}"#,
        );
        assert_eq!(access_check_shape(&mixed), AccessCheck::PerInstance);
        assert!(access_check_enforced(
            &mixed,
            "arn:aws:ec2:r:1:instance/i-1"
        ));
        assert!(!access_check_enforced(
            &mixed,
            "arn:aws:ssm:r:1:managed-instance/mi-1"
        ));
        let plain = set(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}"#,
        );
        assert_eq!(access_check_shape(&plain), AccessCheck::Never);
        assert!(!access_check_enforced(
            &plain,
            "arn:aws:ec2:r:1:instance/i-1"
        ));
    }
}
