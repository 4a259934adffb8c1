//! The Session Manager queries on small policies, one per trap of iam-semantics.md: each
//! test states what a correct engine concludes and why, so a regression names the trap.

use std::sync::Arc;

use nobastion::policy::queries::{self, QueryEnv, Scope, Scoping, Verdict};
use nobastion::policy::{Policy, PolicySet, Principal};

fn policy(text: &str) -> Arc<Policy> {
    Arc::new(
        Policy::parse(text)
            .expect("valid policy")
            .with_name("test-policy"),
    )
}

/// A lone document with the given statements (Version 2012-10-17).
fn lone(statements: &str) -> PolicySet {
    PolicySet::single(policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    )))
}

fn env() -> QueryEnv {
    QueryEnv::lone_document()
}

fn scoping(set: &PolicySet) -> (Scoping, Verdict) {
    let a = queries::start_session_tag_scoping(set, &env());
    (a.details.ec2_instance.scoping, a.verdict)
}

const START_ANYWHERE: &str =
    r#"{"Sid": "StartAnywhere", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"}"#;

#[test]
fn unconditional_start_session_is_not_scoped_and_the_reason_names_the_statement() {
    let a = queries::start_session_tag_scoping(&lone(START_ANYWHERE), &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(a.details.ec2_instance.scoping, Scoping::NotScoped);
    assert_eq!(a.details.managed_instance.scoping, Scoping::NotScoped);
    assert!(
        a.reason
            .contains("statement 1 (Sid StartAnywhere) of identity policy test-policy"),
        "{}",
        a.reason
    );
    assert!(
        a.reason.contains("Resource * and no condition"),
        "{}",
        a.reason
    );
    assert_eq!(a.statements[0].sid.as_deref(), Some("StartAnywhere"));
}

#[test]
fn concrete_tag_values_scope_and_are_reported() {
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": ["dev", "test"]}}},
           {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:managed-instance/*",
            "Condition": {"StringLike": {"aws:ResourceTag/Team": "ops-*"}}}"#,
    );
    let a = queries::start_session_tag_scoping(&set, &env());
    assert_eq!(a.verdict, Verdict::No, "{}", a.reason);
    let ec2 = &a.details.ec2_instance;
    assert_eq!(ec2.scoping, Scoping::Scoped);
    assert_eq!(ec2.scoped_by.len(), 1);
    assert_eq!(ec2.scoped_by[0].key, "Env");
    assert_eq!(ec2.scoped_by[0].values, ["dev", "test"]);
    let managed = &a.details.managed_instance;
    assert_eq!(managed.scoping, Scoping::Scoped);
    assert_eq!(managed.scoped_by[0].values, ["ops-*"]);
}

#[test]
fn trap_negated_operator_on_allow_does_not_scope() {
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}}"#,
    );
    assert_eq!(scoping(&set), (Scoping::NotScoped, Verdict::Yes));
}

#[test]
fn trap_if_exists_does_not_scope() {
    for op in ["StringEqualsIfExists", "StringLikeIfExists"] {
        let set = lone(&format!(
            r#"{{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
                "Condition": {{"{op}": {{"ssm:resourceTag/Env": "dev"}}}}}}"#
        ));
        assert_eq!(scoping(&set), (Scoping::NotScoped, Verdict::Yes), "{op}");
    }
}

#[test]
fn trap_for_all_values_does_not_scope() {
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:ResourceTag/Env": "dev"}}}"#,
    );
    assert_eq!(scoping(&set), (Scoping::NotScoped, Verdict::Yes));
}

#[test]
fn trap_presence_only_conditions() {
    for condition in [
        r#"{"StringLike": {"ssm:resourceTag/Env": "*"}}"#,
        r#"{"Null": {"ssm:resourceTag/Env": "false"}}"#,
        r#"{"StringLike": {"ssm:resourceTag/Env": "?*"}}"#,
    ] {
        let set = lone(&format!(
            r#"{{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*", "Condition": {condition}}}"#
        ));
        let a = queries::start_session_tag_scoping(&set, &env());
        assert_eq!(
            a.details.ec2_instance.scoping,
            Scoping::PresenceOnly,
            "{condition}"
        );
        assert_eq!(a.verdict, Verdict::Yes, "{condition}");
        assert_eq!(a.details.ec2_instance.tag_keys, ["Env"]);
        assert!(a.reason.contains("presence-only"), "{}", a.reason);
    }
}

#[test]
fn presence_of_one_tag_with_another_absent_is_presence_only() {
    // Neither "no tags" nor "every named key with an unseen value" is allowed, but an
    // instance with any Team value and no Quarantine tag is: that is not scoping.
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"StringLike": {"ssm:resourceTag/Team": "*"}, "Null": {"ssm:resourceTag/Quarantine": "true"}}}"#,
    );
    let a = queries::start_session_tag_scoping(&set, &env());
    assert_eq!(
        a.details.ec2_instance.scoping,
        Scoping::PresenceOnly,
        "{}",
        a.reason
    );
    assert_eq!(a.verdict, Verdict::Yes);
}

#[test]
fn trap_tag_condition_only_on_deny_does_not_scope() {
    let set = lone(&format!(
        r#"{START_ANYWHERE}, {{"Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {{"StringEquals": {{"ssm:resourceTag/Env": "prod"}}}}}}"#
    ));
    assert_eq!(scoping(&set), (Scoping::NotScoped, Verdict::Yes));
}

#[test]
fn deny_on_untagged_instances_scopes_an_unconditional_allow() {
    // The Deny removes every instance without Env, and the only remaining value is named.
    let set = lone(&format!(
        r#"{START_ANYWHERE},
           {{"Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*",
             "Condition": {{"StringNotEquals": {{"ssm:resourceTag/Env": "dev"}}}}}}"#
    ));
    let a = queries::start_session_tag_scoping(&set, &env());
    assert_eq!(
        a.details.ec2_instance.scoping,
        Scoping::Scoped,
        "{}",
        a.reason
    );
    assert_eq!(a.details.ec2_instance.scoped_by[0].values, ["dev"]);
}

#[test]
fn trap_judge_per_action_and_per_resource() {
    // The tag condition sits on a statement that also lists the document: resource-tag keys
    // exist only on the instance check, so the document is not allowed by it, and the
    // unconditional DescribeInstances grant on * says nothing about StartSession.
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*::document/AWS-StartSSHSession"],
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}},
           {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ssm:DescribeSessions"], "Resource": "*"}"#,
    );
    assert_eq!(scoping(&set).0, Scoping::Scoped);
    let docs = queries::session_documents(&set, &env());
    let ssh = docs
        .details
        .document("AWS-StartSSHSession")
        .expect("listed");
    assert_eq!(ssh.document_allowed, Verdict::No, "{}", ssh.probe.reason);
    assert_eq!(docs.verdict, Verdict::No);
}

#[test]
fn deny_and_boundary_and_scp_take_part() {
    let allow = policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{START_ANYWHERE}]}}"#
    ));
    let scoped = policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/Env": "dev"}}}]}"#,
    );
    for set in [
        PolicySet::single(allow.clone()).with_boundary(scoped.clone()),
        PolicySet::single(allow.clone()).with_scp_level(vec![scoped.clone()]),
    ] {
        let a = queries::start_session_tag_scoping(&set, &env());
        assert_eq!(
            a.details.ec2_instance.scoping,
            Scoping::Scoped,
            "{}",
            a.reason
        );
        assert_eq!(a.details.ec2_instance.scoped_by[0].key, "Env");
    }
}

#[test]
fn unknown_context_gives_conditional_answers() {
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}"#,
    );
    let a = queries::start_session_tag_scoping(&set, &env());
    assert_eq!(a.verdict, Verdict::Conditional);
    assert_eq!(a.details.ec2_instance.scoping, Scoping::NotScoped);
    let residual = a.conditional.expect("residual").to_string();
    assert!(
        residual.contains("aws:SourceIp IpAddress 10.0.0.0/8"),
        "{residual}"
    );
    // Known to the caller: no longer conditional.
    let mut known = env();
    known.context.insert("aws:SourceIp", "10.1.1.1");
    assert_eq!(
        queries::start_session_tag_scoping(&set, &known).verdict,
        Verdict::Yes
    );
    let mut outside = env();
    outside.context.insert("aws:SourceIp", "192.0.2.1");
    assert_eq!(
        queries::start_session_tag_scoping(&set, &outside).verdict,
        Verdict::No
    );
}

#[test]
fn tag_keys_with_non_ascii_letters() {
    // Lowercasing changes the byte length of 'İ' (longer) and of the Kelvin sign (shorter);
    // the tag keys must still come out whole, without slicing inside a character.
    let (dotted, kelvin) = ("Proj\u{130}", "\u{e9}\u{212a}\u{212a}");
    let set = lone(&format!(
        r#"{{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {{"StringEquals": {{"ssm:resourceTag/{dotted}": "x", "aws:ResourceTag/{kelvin}": "y"}}}}}}"#
    ));
    let a = queries::start_session_tag_scoping(&set, &env());
    assert_eq!(a.details.ec2_instance.scoping, Scoping::Scoped);
    assert_eq!(a.details.ec2_instance.tag_keys, [dotted, kelvin]);
}

#[test]
fn other_services_keys_are_absent_not_unknown() {
    // kms:ViaService can never be in an ssm:StartSession request: the statement does not
    // apply, rather than making the answer conditional.
    let set = lone(
        r#"{"Effect": "Allow", "Action": "ssm:*", "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}}"#,
    );
    assert_eq!(scoping(&set), (Scoping::NoAccess, Verdict::No));
}

#[test]
fn partitions_regions_and_accounts_named_by_the_document_are_tried() {
    let gov = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws-us-gov:ec2:*:*:instance/*"}"#,
    );
    let a = queries::start_session_tag_scoping(&gov, &env());
    assert_eq!(a.verdict, Verdict::Yes, "{}", a.reason);
    assert_eq!(a.details.target.partition, "aws-us-gov");
    let regional = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:eu-west-1:111122223333:instance/*"}"#,
    );
    let a = queries::start_session_tag_scoping(&regional, &env());
    assert_eq!(a.verdict, Verdict::Yes, "{}", a.reason);
    assert_eq!(
        (
            a.details.target.region.as_str(),
            a.details.target.account.as_str()
        ),
        ("eu-west-1", "111122223333")
    );
    // A fixed environment is not widened.
    let fixed = QueryEnv::account("aws", "444455556666").in_region("eu-west-1");
    assert_eq!(
        queries::start_session_tag_scoping(&regional, &fixed).verdict,
        Verdict::No
    );
    assert_eq!(fixed.partition, Scope::Exactly("aws".into()));
}

#[test]
fn ending_sessions_self_scoped_by_username_or_tag() {
    let others = lone(
        r#"{"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "arn:aws:ssm:*:*:session/*"}"#,
    );
    let a = queries::end_others_sessions(&others, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(a.details.terminate_others.verdict, Verdict::Yes);

    let by_name = lone(
        r#"{"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}"#,
    );
    let a = queries::end_others_sessions(&by_name, &env());
    assert_eq!(a.verdict, Verdict::No, "{}", a.reason);
    assert_eq!(a.details.terminate_own, Verdict::Yes);

    let by_tag = lone(
        r#"{"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "*",
            "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}}}"#,
    );
    let a = queries::end_others_sessions(&by_tag, &env());
    assert_eq!(a.verdict, Verdict::No, "{}", a.reason);
    assert_eq!(a.details.terminate_own, Verdict::Yes);

    // For a role session the tag method works and the username method matches nothing.
    let role =
        Principal::from_arn("arn:aws:sts::111122223333:assumed-role/Ops/alice").expect("role");
    let mut set = by_tag.clone();
    set.set_principal(role.clone());
    let live = QueryEnv::account("aws", "111122223333");
    let a = queries::end_others_sessions(&set, &live);
    assert_eq!(
        (a.verdict, a.details.terminate_own),
        (Verdict::No, Verdict::Yes)
    );
    let mut set = by_name.clone();
    set.set_principal(role);
    let a = queries::end_others_sessions(&set, &live);
    assert_eq!(
        (a.verdict, a.details.terminate_own),
        (Verdict::No, Verdict::No)
    );

    // Without Version 2012-10-17 the variable is literal: no self-scoping, no access.
    let literal = PolicySet::single(policy(
        r#"{"Statement": {"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}}"#,
    ));
    assert_eq!(
        queries::end_others_sessions(&literal, &env())
            .details
            .terminate_own,
        Verdict::No
    );
}

#[test]
fn session_documents_need_both_authorizations() {
    let wildcard = lone(START_ANYWHERE);
    let docs = queries::session_documents(&wildcard, &env());
    assert_eq!(docs.verdict, Verdict::Yes);
    assert!(
        docs.details
            .documents
            .iter()
            .all(|d| d.usable == Verdict::Yes)
    );

    let instance_only = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*"}"#,
    );
    let docs = queries::session_documents(&instance_only, &env());
    assert_eq!(docs.verdict, Verdict::No, "{}", docs.reason);
    let shell = docs
        .details
        .document("SSM-SessionManagerRunShell")
        .expect("listed");
    assert!(!shell.needs_explicit_grant);
    assert_eq!(
        shell.usable,
        Verdict::Yes,
        "the default shell needs no grant"
    );

    let port_forwarding = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:document/AWS-StartPortForwarding*"]}"#,
    );
    let docs = queries::session_documents(&port_forwarding, &env());
    assert_eq!(docs.verdict, Verdict::Yes);
    let usable: Vec<&str> = docs
        .details
        .documents
        .iter()
        .filter(|d| d.usable == Verdict::Yes && d.needs_explicit_grant)
        .map(|d| d.document.as_str())
        .collect();
    assert_eq!(
        usable,
        [
            "AWS-StartPortForwardingSession",
            "AWS-StartPortForwardingSessionToRemoteHost"
        ]
    );

    // A document grant without any instance is not usable.
    let doc_only = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:document/*"}"#,
    );
    let docs = queries::session_documents(&doc_only, &env());
    assert_eq!(docs.verdict, Verdict::No);
    assert_eq!(
        docs.details
            .document("AWS-StartSSHSession")
            .expect("listed")
            .document_allowed,
        Verdict::Yes
    );

    // Custom documents are checked when named.
    let custom = env().with_custom_documents(vec!["Team-Shell".into()]);
    let docs = queries::session_documents(&port_forwarding, &custom);
    assert_eq!(
        docs.details.document("Team-Shell").expect("listed").usable,
        Verdict::No
    );
}

#[test]
fn default_shell_needs_a_grant_when_the_access_check_is_enforced() {
    let enforced = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}}"#,
    );
    let docs = queries::session_documents(&enforced, &env());
    let shell = docs
        .details
        .document("SSM-SessionManagerRunShell")
        .expect("listed");
    assert!(shell.needs_explicit_grant);
    assert_eq!(shell.usable, Verdict::No);
    let granted = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"],
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}}"#,
    );
    // One allowing statement without the check is enough for the default shell to need no
    // grant, whichever statement the evaluation names first.
    let mixed = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}},
           {"Effect": "Allow", "Action": "ssm:*", "Resource": "arn:aws:ec2:*:*:instance/*"}"#,
    );
    let docs = queries::session_documents(&mixed, &env());
    let shell = docs
        .details
        .document("SSM-SessionManagerRunShell")
        .expect("listed");
    assert!(!shell.needs_explicit_grant);
    assert_eq!(shell.usable, Verdict::Yes);
    let shell_ok = queries::session_documents(&granted, &env());
    assert_eq!(
        shell_ok
            .details
            .document("SSM-SessionManagerRunShell")
            .expect("listed")
            .usable,
        Verdict::Yes
    );
}

#[test]
fn send_command_with_shell_documents() {
    let broad = lone(r#"{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}"#);
    let a = queries::send_command_shell(&broad, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert!(a.details.documents.iter().all(|d| d.usable == Verdict::Yes));

    let scoped = lone(
        r#"{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}},
           {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "arn:aws:ssm:*::document/AWS-RunShellScript"}"#,
    );
    let a = queries::send_command_shell(&scoped, &env());
    assert_eq!(a.verdict, Verdict::No, "{}", a.reason);
    assert_eq!(a.details.instances.scoping, Scoping::Scoped);

    let other_doc = lone(
        r#"{"Effect": "Allow", "Action": "ssm:SendCommand",
            "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*::document/AWS-ConfigureAWSPackage"]}"#,
    );
    assert_eq!(
        queries::send_command_shell(&other_doc, &env()).verdict,
        Verdict::No
    );
}

#[test]
fn instance_connect_actions() {
    let tunnel = lone(
        r#"{"Effect": "Allow", "Action": "ec2-instance-connect:OpenTunnel", "Resource": "*"}"#,
    );
    let a = queries::instance_connect(&tunnel, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(
        a.details
            .action("ec2-instance-connect:OpenTunnel")
            .expect("probe")
            .verdict,
        Verdict::Yes
    );
    assert_eq!(
        a.details
            .action("ec2-instance-connect:SendSSHPublicKey")
            .expect("probe")
            .verdict,
        Verdict::No
    );
    // Tag-scoped keys still allow it on some instance.
    let tagged = lone(
        r#"{"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringEquals": {"ec2:ResourceTag/Team": "ops"}}}"#,
    );
    assert_eq!(
        queries::instance_connect(&tagged, &env()).verdict,
        Verdict::Yes
    );
    assert_eq!(
        queries::instance_connect(&lone(START_ANYWHERE), &env()).verdict,
        Verdict::No
    );
}

#[test]
fn preferences_document_writes() {
    let update = lone(
        r#"{"Effect": "Allow", "Action": "ssm:UpdateDocument*", "Resource": "arn:aws:ssm:*:*:document/SSM-*"}"#,
    );
    let a = queries::preferences_tamper(&update, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(
        a.details
            .action("ssm:UpdateDocument")
            .expect("probe")
            .verdict,
        Verdict::Yes
    );
    assert_eq!(
        a.details
            .action("ssm:UpdateDocumentDefaultVersion")
            .expect("probe")
            .verdict,
        Verdict::Yes
    );
    assert_eq!(
        a.details
            .action("ssm:DeleteDocument")
            .expect("probe")
            .verdict,
        Verdict::No
    );
    let elsewhere = lone(
        r#"{"Effect": "Allow", "Action": "ssm:*Document", "Resource": "arn:aws:ssm:*:*:document/Team-*"}"#,
    );
    assert_eq!(
        queries::preferences_tamper(&elsewhere, &env()).verdict,
        Verdict::No
    );
}

#[test]
fn mfa_requirements() {
    let required = lone(
        r#"{"Sid": "WithMfa", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}"#,
    );
    let a = queries::start_session_without_mfa(&required, &env());
    assert_eq!(a.verdict, Verdict::No, "{}", a.reason);
    assert_eq!(a.details.with_mfa, Verdict::Yes);
    assert_eq!(
        a.details.allows_requiring_mfa[0].sid.as_deref(),
        Some("WithMfa")
    );

    // BoolIfExists is true when the key is missing, as it is for long-term access keys.
    let if_exists = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}"#,
    );
    let a = queries::start_session_without_mfa(&if_exists, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(a.details.without_mfa_long_term.verdict, Verdict::Yes);
    assert_eq!(a.details.without_mfa_session.verdict, Verdict::No);

    // The usual guard Deny with Bool false misses long-term keys; BoolIfExists catches both.
    let bool_deny = lone(&format!(
        r#"{START_ANYWHERE}, {{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {{"Bool": {{"aws:MultiFactorAuthPresent": "false"}}}}}}"#
    ));
    let a = queries::start_session_without_mfa(&bool_deny, &env());
    assert_eq!(a.verdict, Verdict::Yes);
    assert_eq!(a.details.denies_on_mfa.len(), 1);
    let if_exists_deny = lone(&format!(
        r#"{START_ANYWHERE}, {{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {{"BoolIfExists": {{"aws:MultiFactorAuthPresent": "false"}}}}}}"#
    ));
    assert_eq!(
        queries::start_session_without_mfa(&if_exists_deny, &env()).verdict,
        Verdict::No
    );

    let age = lone(
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}"#,
    );
    assert_eq!(
        queries::start_session_without_mfa(&age, &env()).verdict,
        Verdict::No
    );
}

#[test]
fn all_seven_answers_for_a_live_principal() {
    let user = Principal::from_arn("arn:aws:iam::111122223333:user/alice").expect("user");
    let set = PolicySet::new(user).with_identity(policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{START_ANYWHERE},
            {{"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/${{aws:username}}-*"}}]}}"#
    )));
    let answers = queries::all(
        &set,
        &QueryEnv::account("aws", "111122223333").in_region("us-east-1"),
    );
    assert_eq!(answers.tag_scoping.verdict, Verdict::Yes);
    assert_eq!(answers.end_others_sessions.verdict, Verdict::No);
    assert_eq!(
        answers.end_others_sessions.details.terminate_own,
        Verdict::Yes
    );
    assert_eq!(answers.session_documents.verdict, Verdict::Yes);
    assert_eq!(answers.send_command_shell.verdict, Verdict::No);
    assert_eq!(answers.instance_connect.verdict, Verdict::No);
    assert_eq!(answers.preferences_tamper.verdict, Verdict::No);
    assert_eq!(answers.without_mfa.verdict, Verdict::Yes);
    // Serializable for reports.
    let json = serde_json::to_value(&answers).expect("serialize");
    assert_eq!(json["tag_scoping"]["verdict"], "yes");
    assert_eq!(
        json["tag_scoping"]["details"]["ec2_instance"]["scoping"],
        "not-scoped"
    );
}

#[test]
fn odd_documents_do_not_break_the_queries() {
    // Shapes that stress the witness and tag machinery: short ARNs, variables in every ARN
    // part, '?' in regions, NotResource, NotAction, empty-string tag values, many tag keys.
    let statements = [
        r#"{"Effect": "Allow", "Action": "ssm:*", "Resource": "arn:aws*:ssm:*"}"#,
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:${aws:PrincipalTag/p, 'aws'}:ec2:${aws:RequestedRegion}:${aws:PrincipalAccount}:instance/*"}"#,
        r#"{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:eu-?????-1:*:instance/*"}"#,
        r#"{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:ec2:*:*:instance/i-0123*"}"#,
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"ssm:resourceTag/A": "", "ssm:resourceTag/B": "b", "aws:ResourceTag/C": ["c1", "c2", "c3"], "aws:ResourceTag/D": "d", "ssm:resourceTag/E": "e"}}}"#,
        r#"{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotLike": {"ssm:resourceTag/Env": ["*"]}}}"#,
    ];
    for st in statements {
        let answers = queries::all(&lone(st), &env());
        let json = serde_json::to_string(&answers).expect("serialize");
        assert!(!json.contains("\"indeterminate\""), "{st}: {json}");
    }
    // The many-keys case tries a bounded number of combinations and says so.
    let many = queries::start_session_tag_scoping(&lone(statements[4]), &env());
    assert!(many.details.ec2_instance.truncated, "{}", many.reason);
    assert_eq!(many.details.ec2_instance.scoping, Scoping::Scoped);
}
