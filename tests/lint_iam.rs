//! The IAM rules (IAM001–IAM009) on the project-owned IaC fixtures built for them
//! (tests/fixtures/iac/terraform/iam-rules.plan.json, cloudformation/iam-rules.yaml and the
//! policy files iam/broad-operator.json and iam/least-privilege.json): every rule fails and
//! passes where a reader of the fixture expects, and each finding points at the statement
//! that decides it.

mod lint_support;

use std::path::Path;

use lint_support::{IAC_RULES, describe, fixture, line_after, line_of, lint, object_start, passes};

/// Line of a Terraform resource's entry in `resource_changes` (its `{`).
fn change_line(path: &Path, address: &str) -> u32 {
    line_after(
        path,
        &["\"resource_changes\""],
        &format!("\"address\": {}", serde_json::to_string(address).unwrap()),
    ) - 1
}

/// Line of the `policy` attribute (a JSON string: every statement is on it) of a resource in
/// `resource_changes`; for roles, of their first `inline_policy` block.
fn policy_line(path: &Path, address: &str) -> u32 {
    line_after(
        path,
        &[
            "\"resource_changes\"",
            &format!("\"address\": {}", serde_json::to_string(address).unwrap()),
        ],
        "\"policy\":",
    )
}

/// `RULE pass subject` for every (rule, subjects) pair.
fn expected_passes(table: &[(&str, &[&str])]) -> Vec<String> {
    let mut out: Vec<String> = table
        .iter()
        .flat_map(|(rule, subjects)| subjects.iter().map(move |s| format!("{rule} pass {s}")))
        .collect();
    out.sort();
    out
}

fn iam_passes(all: Vec<String>) -> Vec<String> {
    all.into_iter().filter(|p| p.starts_with("IAM")).collect()
}

#[test]
fn terraform_plan_fails_and_passes_every_iam_rule() {
    let path = fixture("terraform/iam-rules.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let contractor = policy_line(&path, "aws_iam_user_policy.contractor");
    let breakglass = policy_line(&path, "aws_iam_group_policy.breakglass");
    let docs = policy_line(&path, "aws_iam_policy.docs_admin");
    let dba = policy_line(&path, "aws_iam_role.dba");
    let deployer = policy_line(&path, "aws_iam_role.deployer");
    // AmazonSSMFullAccess is bundled with nobastion, not in the plan: its findings point at
    // the role.
    let legacy = change_line(&path, "aws_iam_role.legacy");
    let mut expected = vec![
        // Presence-only scoping (StringLike Env "*"), the SSH document, an Instance Connect
        // key push, and no MFA.
        format!("IAM001 fail aws_iam_user.contractor @{contractor}"),
        format!("IAM004 fail aws_iam_user.contractor @{contractor}"),
        format!("IAM006 fail aws_iam_user.contractor @{contractor}"),
        format!("IAM008 fail aws_iam_user.contractor @{contractor}"),
        // A group without members in the plan, judged for its members: StartSession on *
        // with MFA is still StartSession on every instance and every document ("allowed
        // if aws:MultiFactorAuthPresent"), and it requires MFA (IAM008 passes).
        format!("IAM001 fail aws_iam_group.breakglass @{breakglass}"),
        format!("IAM003 fail aws_iam_group.breakglass @{breakglass}"),
        format!("IAM004 fail aws_iam_group.breakglass @{breakglass}"),
        // A policy attached to nothing: document writes on document/* and TerminateSession
        // on *.
        format!("IAM002 fail aws_iam_policy.docs_admin @{docs}"),
        format!("IAM007 fail aws_iam_policy.docs_admin @{docs}"),
        // Tag-scoped instances, but AWS-StartPortForwardingSessionToRemoteHost.
        format!("IAM003 fail aws_iam_role.dba @{dba}"),
        // SendCommand on *.
        format!("IAM005 fail aws_iam_role.deployer @{deployer}"),
        // AmazonSSMFullAccess on an instance role: ssm:* on * fails everything but
        // Instance Connect (and IAM008, which judges users).
        format!("IAM001 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM002 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM003 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM004 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM005 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM007 fail aws_iam_role.legacy @{legacy}"),
        format!("IAM009 fail aws_iam_role.legacy @{legacy}"),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);

    let (dev, contractor, deployer, web, legacy, dba, breakglass, docs) = (
        "aws_iam_user.dev",
        "aws_iam_user.contractor",
        "aws_iam_role.deployer",
        "aws_iam_role.web",
        "aws_iam_role.legacy",
        "aws_iam_role.dba",
        "aws_iam_group.breakglass",
        "aws_iam_policy.docs_admin",
    );
    // `dev` gets tag-scoped, MFA-only sessions through its group (which is why the group is
    // not judged on its own); `web` has AmazonSSMManagedInstanceCore only.
    let table: &[(&str, &[&str])] = &[
        ("IAM001", &[dev, deployer, web, dba, docs]),
        ("IAM002", &[dev, contractor, deployer, web, dba, breakglass]),
        ("IAM003", &[dev, contractor, deployer, web, docs]),
        ("IAM004", &[dev, deployer, web, dba, docs]),
        ("IAM005", &[dev, contractor, web, dba, breakglass, docs]),
        (
            "IAM006",
            &[dev, deployer, web, legacy, dba, breakglass, docs],
        ),
        ("IAM007", &[dev, contractor, deployer, web, dba, breakglass]),
        ("IAM008", &[dev, breakglass]),
        ("IAM009", &[web]),
    ];
    assert_eq!(
        iam_passes(passes(std::slice::from_ref(&path), IAC_RULES)),
        expected_passes(table)
    );
}

#[test]
fn terraform_findings_name_the_statement_and_why() {
    let path = fixture("terraform/iam-rules.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let find = |rule: &str, address: &str| {
        findings
            .iter()
            .find(|f| f.rule == rule && f.resource.address.as_deref() == Some(address))
            .unwrap_or_else(|| panic!("no {rule} on {address}"))
    };
    let presence = find("IAM001", "aws_iam_user.contractor");
    assert!(
        presence.message.contains("presence-only")
            && presence
                .message
                .contains("statement 1 (Sid AnyTaggedInstance) of identity policy contractor-access (inline, user contractor)"),
        "{}",
        presence.message
    );
    // The column of the statement inside the JSON string.
    let text = std::fs::read_to_string(&path).unwrap();
    let location = presence.location.as_ref().unwrap();
    let line = text
        .lines()
        .nth(location.line.unwrap() as usize - 1)
        .unwrap();
    let column = location.column.unwrap() as usize;
    assert!(
        line.chars()
            .skip(column - 1)
            .collect::<String>()
            .starts_with("{\\\"Sid\\\": \\\"AnyTaggedInstance\\\""),
        "{line}"
    );
    let conditional = find("IAM001", "aws_iam_group.breakglass");
    assert!(
        conditional
            .message
            .contains("allowed if aws:MultiFactorAuthPresent Bool true"),
        "{}",
        conditional.message
    );
    let details = conditional.details.as_ref().unwrap();
    assert_eq!(details["verdict"], "conditional");
    assert_eq!(details["principal"]["type"], "group");
    let legacy = find("IAM009", "aws_iam_role.legacy");
    assert!(
        legacy
            .message
            .contains("gives its instances AmazonSSMFullAccess (ssm:* on *)"),
        "{}",
        legacy.message
    );
    assert_eq!(
        legacy.details.as_ref().unwrap()["statements"][0]["policy_type"],
        "managed policy attached to IAM role legacy-bastion"
    );
    // The tunnel finding points at the document grant, not at the instance statement.
    let tunnel = find("IAM003", "aws_iam_role.dba");
    assert_eq!(
        tunnel.details.as_ref().unwrap()["statements"][0]["sid"],
        "PortForwarding"
    );
}

#[test]
fn cloudformation_template_fails_and_passes_every_iam_rule() {
    let path = fixture("cloudformation/iam-rules.yaml");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let sid = |s: &str| line_of(&path, &format!("- Sid: {s}"));
    let legacy = line_of(&path, "  LegacyRole:");
    let mut expected = vec![
        format!("IAM001 fail Contractor @{}", sid("AnyTaggedInstance")),
        // The SSH document grant decides IAM004; the key push IAM006.
        format!("IAM004 fail Contractor @{}", sid("SshTunnel")),
        format!("IAM006 fail Contractor @{}", sid("KeyPush")),
        format!("IAM008 fail Contractor @{}", sid("AnyTaggedInstance")),
        format!("IAM001 fail BreakGlass @{}", sid("EmergencyShell")),
        format!("IAM003 fail BreakGlass @{}", sid("EmergencyShell")),
        format!("IAM004 fail BreakGlass @{}", sid("EmergencyShell")),
        // Each finding of the standalone managed policy points at its own statement.
        format!("IAM002 fail DocsAdmin @{}", sid("Sessions")),
        format!("IAM007 fail DocsAdmin @{}", sid("Documents")),
        format!("IAM003 fail DbaRole @{}", sid("PortForwarding")),
        format!("IAM005 fail Deployer @{}", sid("RunCommands")),
        format!("IAM001 fail LegacyRole @{legacy}"),
        format!("IAM002 fail LegacyRole @{legacy}"),
        format!("IAM003 fail LegacyRole @{legacy}"),
        format!("IAM004 fail LegacyRole @{legacy}"),
        format!("IAM005 fail LegacyRole @{legacy}"),
        format!("IAM007 fail LegacyRole @{legacy}"),
        format!("IAM009 fail LegacyRole @{legacy}"),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);

    let (dev, contractor, deployer, web, legacy, dba, breakglass, docs) = (
        "Dev",
        "Contractor",
        "Deployer",
        "WebRole",
        "LegacyRole",
        "DbaRole",
        "BreakGlass",
        "DocsAdmin",
    );
    let table: &[(&str, &[&str])] = &[
        ("IAM001", &[dev, deployer, web, dba, docs]),
        ("IAM002", &[dev, contractor, deployer, web, dba, breakglass]),
        ("IAM003", &[dev, contractor, deployer, web, docs]),
        ("IAM004", &[dev, deployer, web, dba, docs]),
        ("IAM005", &[dev, contractor, web, dba, breakglass, docs]),
        (
            "IAM006",
            &[dev, deployer, web, legacy, dba, breakglass, docs],
        ),
        ("IAM007", &[dev, contractor, deployer, web, dba, breakglass]),
        ("IAM008", &[dev, breakglass]),
        ("IAM009", &[web]),
    ];
    assert_eq!(
        iam_passes(passes(std::slice::from_ref(&path), IAC_RULES)),
        expected_passes(table)
    );
}

#[test]
fn policy_files_fail_each_rule_at_its_statement_and_a_least_privilege_policy_passes() {
    let broad = fixture("iam/broad-operator.json");
    let good = fixture("iam/least-privilege.json");
    let paths = [broad.clone(), good.clone()];
    let (_, findings) = lint(&paths, IAC_RULES);
    let at = |sid: &str| object_start(&broad, line_of(&broad, &format!("\"Sid\": \"{sid}\"")));
    let mut expected = vec![
        // `Null ssm:resourceTag/Env false` only asks for the tag to exist.
        format!("IAM001 fail broad-operator @{}", at("AnyTaggedInstance")),
        format!("IAM002 fail broad-operator @{}", at("EndAnySession")),
        // `document/AWS-StartPortForwarding*` matches both port-forwarding documents; the
        // instance comes from the first statement.
        format!("IAM003 fail broad-operator @{}", at("Tunnels")),
        format!(
            "IAM004 fail broad-operator @{}",
            at("SshOverSessionManager")
        ),
        format!("IAM005 fail broad-operator @{}", at("RunShell")),
        format!(
            "IAM006 fail broad-operator @{}",
            at("InstanceConnectEndpoint")
        ),
        // `document/SSM-SessionManager*` matches the preferences document.
        format!("IAM007 fail broad-operator @{}", at("EditPreferences")),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
    // A document has no user and no instance profile: IAM008 and IAM009 do not judge it.
    let good_passes: Vec<String> = iam_passes(passes(&[good], IAC_RULES));
    assert_eq!(
        good_passes,
        [
            "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007"
        ]
        .iter()
        .map(|r| format!("{r} pass least-privilege"))
        .collect::<Vec<_>>()
    );
}
