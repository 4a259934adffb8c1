//! The project-owned IaC fixtures (tests/fixtures/iac): every resource type the ingesters
//! read, and every rule that applies to IaC, with the exact findings a reader of each
//! fixture expects and the snapshot details the coming rules will read.

mod lint_support;

use std::path::Path;

use lint_support::{IAC_RULES, describe, fixture, line_after, line_of, lint, object_start};
use nobastion::ingest::{FileKind, FileOutcome};
use nobastion::model::{Account, AclAction, EndpointType, Snapshot};

/// Line of a Terraform resource's entry in `resource_changes` (its `{`, one line above
/// `"address"`).
fn change_line(path: &Path, address: &str) -> u32 {
    line_after(
        path,
        &["\"resource_changes\""],
        &format!("\"address\": {}", serde_json::to_string(address).unwrap()),
    ) - 1
}

fn account(snapshot: &Snapshot) -> &Account {
    assert_eq!(snapshot.accounts.len(), 1);
    &snapshot.accounts[0]
}

#[test]
fn terraform_network_plan() {
    let path = fixture("terraform/network.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let line = |a: &str| change_line(&path, a);
    // The bastion's own ingress block, the module group's block, and the two rule
    // resources that attach to `app` carry the finding's line.
    let bastion_block = object_start(
        &path,
        line_after(
            &path,
            &["\"resource_changes\"", "aws_security_group.bastion"],
            "\"description\": \"ssh\"",
        ),
    );
    let edge_block = object_start(
        &path,
        line_after(
            &path,
            &["\"resource_changes\"", "module.edge[\\\"office\\\"]"],
            "203.0.113.0/24",
        ),
    );
    let nacl_entry = object_start(
        &path,
        line_after(
            &path,
            &["\"resource_changes\"", "aws_network_acl.main"],
            "\"action\": \"allow\"",
        ),
    );
    let bastion_egress = object_start(
        &path,
        line_after(
            &path,
            &[
                "\"resource_changes\"",
                "aws_security_group.bastion",
                "\"egress\"",
            ],
            "\"cidr_blocks\"",
        ),
    );
    let mut expected = [
        format!("NET001 fail aws_security_group.bastion @{bastion_block}"),
        format!(
            "NET001 fail aws_security_group.app @{}",
            line("aws_vpc_security_group_ingress_rule.app_ssh_from_bastion")
        ),
        format!(
            "NET002 fail aws_security_group.app @{}",
            line("aws_security_group_rule.app_rdp")
        ),
        format!("NET001 fail module.edge[\"office\"].aws_security_group.this @{edge_block}"),
        format!("EC2001 fail aws_instance.web @{}", line("aws_instance.web")),
        format!("EC2002 fail aws_instance.web @{}", line("aws_instance.web")),
        format!(
            "EC2001 fail aws_launch_template.web @{}",
            line("aws_launch_template.web")
        ),
        format!(
            "EC2002 fail aws_launch_template.web @{}",
            line("aws_launch_template.web")
        ),
        // `subnet_id = local.batch_subnet`: unknown at plan time and not a resource.
        format!(
            "NB001[EC2001] not-assessed aws_instance.batch @{}",
            line("aws_instance.batch")
        ),
        // Neither instance has an instance profile (`iam_instance_profile` not configured).
        format!(
            "EC2004 fail aws_instance.batch @{}",
            line("aws_instance.batch")
        ),
        format!("EC2004 fail aws_instance.web @{}", line("aws_instance.web")),
        // The inline NACL rule 100 allows TCP 22 from anywhere (the separate rule 90 denies
        // RDP only).
        format!("NET003 fail aws_network_acl.main @{nacl_entry}"),
        // The bastion group, used by aws_instance.web, allows all egress to 0.0.0.0/0.
        format!("NET006 fail aws_security_group.bastion @{bastion_egress}"),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);

    let severities: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.rule.starts_with("NET"))
        .map(|f| (f.resource.display_name().to_owned(), f.severity.to_string()))
        .collect();
    assert!(severities.contains(&("aws_security_group.bastion".into(), "critical".into())));
    assert!(severities.contains(&("aws_security_group.app".into(), "high".into())));
    assert!(
        severities.contains(&(
            "module.edge[\"office\"].aws_security_group.this".into(),
            "critical".into()
        )),
        "203.0.113.0/24 is a public range"
    );
}

#[test]
fn terraform_network_plan_snapshot() {
    let path = fixture("terraform/network.plan.json");
    let (ingested, _) = lint(std::slice::from_ref(&path), IAC_RULES);
    let region = &account(&ingested.snapshot).regions[0];
    assert_eq!(region.name, "eu-west-1", "the provider's region");
    let groups = region.security_groups.as_option().unwrap();
    assert!(
        !groups.iter().any(|g| g.id.contains("retired")),
        "the plan deletes it"
    );
    let app = groups
        .iter()
        .find(|g| g.id == "aws_security_group.app")
        .unwrap();
    assert_eq!(app.vpc_id.as_deref(), Some("aws_vpc.main"));
    assert!(app.egress.is_empty() && !app.unknown.contains_key("egress"));
    let sources: Vec<&str> = app
        .ingress
        .iter()
        .filter_map(|r| r.origin.as_ref()?.address.as_deref())
        .collect();
    assert_eq!(
        sources,
        [
            "aws_security_group.app",
            "aws_security_group_rule.app_rdp",
            "aws_vpc_security_group_ingress_rule.app_ssh_from_bastion"
        ]
    );
    assert_eq!(
        app.ingress[2].referenced_groups[0].group_id,
        "aws_security_group.bastion"
    );
    let acl = &region.network_acls.as_option().unwrap()[0];
    assert_eq!(acl.subnet_ids, ["aws_subnet.public"]);
    let entries: Vec<(i32, AclAction)> = acl
        .entries
        .iter()
        .map(|e| (e.rule_number, e.action))
        .collect();
    assert_eq!(entries, [(100, AclAction::Allow), (90, AclAction::Deny)]);
    let instances = region.instances.as_option().unwrap();
    let web = instances
        .iter()
        .find(|i| i.id == "aws_instance.web")
        .unwrap();
    assert_eq!(web.subnet_id.as_deref(), Some("aws_subnet.public"));
    assert_eq!(web.vpc_id.as_deref(), Some("aws_vpc.main"));
    assert_eq!(web.security_group_ids, ["aws_security_group.bastion"]);
    let worker = instances
        .iter()
        .find(|i| i.id == "aws_instance.worker")
        .unwrap();
    assert_eq!(worker.associate_public_ip_address, Some(false));
    assert_eq!(worker.instance_profile.as_deref(), Some("ssm-instance"));
    assert_eq!(worker.key_name, None);
    let template = &region.launch_templates.as_option().unwrap()[0];
    assert_eq!(template.instance_profile.as_deref(), Some("ssm-instance"));
    let endpoint = &region.vpc_endpoints.as_option().unwrap()[0];
    assert_eq!(endpoint.short_service(), "ssm");
    assert_eq!(endpoint.endpoint_type, EndpointType::Interface);
    assert!(endpoint.private_dns_enabled);
    assert_eq!(endpoint.subnet_ids, ["aws_subnet.private"]);
    assert_eq!(
        ingested.snapshot.metadata.inputs,
        [path.display().to_string()]
    );
    assert!(ingested.snapshot.metadata.partial);
}

#[test]
fn terraform_logging_plan() {
    let path = fixture("terraform/logging.plan.json");
    let (ingested, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let preferences = change_line(&path, "aws_ssm_document.preferences");
    let mut expected = vec![
        // No destination at all, no kmsKeyId, runAsEnabled false, no maxSessionDuration
        // (idleSessionTimeout "20" is within the default maximum).
        format!("LOG002 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG006 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG008 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG009 fail aws_ssm_document.preferences @{preferences}"),
        // `permissions = {type = "Share", account_ids = "All"}`.
        format!(
            "AUD003 fail aws_ssm_document.operator_shell @{}",
            change_line(&path, "aws_ssm_document.operator_shell")
        ),
        // Operator-Shell logs to session-logs, whose public access block leaves
        // RestrictPublicBuckets off. Versioning, Object Lock, the KMS key and the TLS-only
        // policy come from the split resources, so LOG004, LOG010 and the rest pass.
        format!(
            "LOG011 fail aws_s3_bucket.session_logs @{}",
            change_line(&path, "aws_s3_bucket.session_logs")
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
    let account = account(&ingested.snapshot);
    let bucket = &account.buckets.as_option().unwrap()[0];
    assert_eq!(bucket.name, "session-logs");
    assert!(bucket.versioning_enabled() && bucket.object_lock_enabled);
    let encryption = bucket.encryption.as_ref().unwrap();
    assert_eq!(
        (
            encryption.algorithm.as_str(),
            encryption.kms_key_id.as_deref()
        ),
        ("aws:kms", Some("aws_kms_key.sessions"))
    );
    assert_eq!(
        bucket.public_access_block.unwrap().disabled_settings(),
        ["RestrictPublicBuckets"]
    );
    let policy = bucket.policy.as_ref().unwrap();
    assert_eq!(
        policy.statement_origins[0].address.as_deref(),
        Some("aws_s3_bucket_policy.session_logs")
    );
    assert!(bucket.unknown.is_empty(), "{:?}", bucket.unknown);
    let region = &account.regions[0];
    let key = &region.kms_keys.as_option().unwrap()[0];
    assert_eq!(key.aliases, ["alias/session-logs"]);
    let group = &region.log_groups.as_option().unwrap()[0];
    assert!(key.is_named_by(group.kms_key_id.as_deref().unwrap()));
    assert_eq!(group.retention_days, Some(30));
    let trail = &region.trails.as_option().unwrap()[0];
    assert!(trail.is_multi_region && trail.records_write_management_events());
    let rule = &region.event_rules.as_option().unwrap()[0];
    assert_eq!(rule.targets.len(), 1);
    assert_eq!(
        rule.event_pattern.as_ref().unwrap()["detail"]["eventName"][0],
        "StartSession"
    );
    let documents = region.ssm_documents.as_option().unwrap();
    let operator = documents
        .iter()
        .find(|d| d.name == "Operator-Shell")
        .unwrap();
    assert!(operator.is_public());
    let inputs = operator.inputs.as_ref().unwrap();
    assert_eq!(inputs.s3_bucket_name.as_deref(), Some("session-logs"));
    assert_eq!(inputs.idle_session_timeout, Some(15), "YAML content");
    assert_eq!(account.id, "000000000000", "no ARN of its own in the plan");
}

#[test]
fn terraform_iam_plan_findings() {
    let path = fixture("terraform/iam.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let policy = |address: &str| {
        line_after(
            &path,
            &[
                "\"resource_changes\"",
                &format!("\"address\": \"{address}\""),
            ],
            "\"policy\":",
        )
    };
    let alice = policy("aws_iam_user_policy.alice_sessions");
    let admin = policy("aws_iam_role.admin");
    let external = policy("aws_iam_role_policy.external");
    // The ops group's policy comes from the data source's rendered JSON in prior_state.
    let ops = line_after(
        &path,
        &["\"prior_state\"", "data.aws_iam_policy_document.ops"],
        "\"json\":",
    );
    let instance = change_line(&path, "aws_iam_role.ssm_instance");
    let mut expected = vec![
        // alice: StartSession on every instance (inline and attached policies alike), no
        // MFA; Instance Connect through the ops group. Her own sessions only
        // (`${aws:username}`), no session document but the shell: IAM002-IAM005 pass.
        format!("IAM001 fail aws_iam_user.alice @{alice}"),
        format!("IAM006 fail aws_iam_user.alice @{ops}"),
        format!("IAM008 fail aws_iam_user.alice @{alice}"),
        // platform-admin: inline ssm:* on *, within its PowerUserAccess boundary; no
        // instance profile (IAM009 does not judge it), no Instance Connect.
        format!("IAM001 fail aws_iam_role.admin @{admin}"),
        format!("IAM002 fail aws_iam_role.admin @{admin}"),
        format!("IAM003 fail aws_iam_role.admin @{admin}"),
        format!("IAM004 fail aws_iam_role.admin @{admin}"),
        format!("IAM005 fail aws_iam_role.admin @{admin}"),
        format!("IAM007 fail aws_iam_role.admin @{admin}"),
        // The inline policy for `existing-role` (not in the plan) stands alone: ssm:* on *.
        format!("IAM001 fail aws_iam_role_policy.external @{external}"),
        format!("IAM002 fail aws_iam_role_policy.external @{external}"),
        format!("IAM003 fail aws_iam_role_policy.external @{external}"),
        format!("IAM004 fail aws_iam_role_policy.external @{external}"),
        format!("IAM005 fail aws_iam_role_policy.external @{external}"),
        format!("IAM007 fail aws_iam_role_policy.external @{external}"),
        // ssm-instance: the deprecated AmazonEC2RoleforSSM is attached (certain, whatever
        // else is unknown); AmazonS3ReadOnlyAccess is neither in the plan nor bundled, so
        // every other rule, which would pass, cannot say so.
        format!("IAM009 fail aws_iam_role.ssm_instance @{instance}"),
        format!(
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007] not-assessed aws_iam_role.ssm_instance @{instance}"
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
}

#[test]
fn terraform_iam_plan() {
    let path = fixture("terraform/iam.plan.json");
    let (ingested, _) = lint(std::slice::from_ref(&path), IAC_RULES);
    let iam = account(&ingested.snapshot).iam.as_option().unwrap();
    let instance_role = iam.role("ssm-instance").unwrap();
    assert_eq!(
        instance_role.attached_policies,
        [
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        ]
    );
    assert!(instance_role.unknown["attached_policies"].contains("AmazonS3ReadOnlyAccess"));
    let legacy = iam
        .policy("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM")
        .unwrap();
    assert!(legacy.aws_managed && legacy.document.document.get("Statement").is_some());
    assert_eq!(instance_role.instance_profiles, ["ssm-instance"]);
    assert_eq!(
        iam.instance_profile("ssm-instance").unwrap().roles,
        ["ssm-instance"]
    );

    let alice = iam.users.iter().find(|u| u.name == "alice").unwrap();
    assert_eq!(alice.path, "/people/");
    assert_eq!(alice.groups, ["ops"]);
    assert_eq!(alice.attached_policies, ["aws_iam_policy.sessions"]);
    let inline = &alice.inline_policies[0];
    assert_eq!(inline.name, "alice-sessions");
    // The policy is JSON inside a string: both statements are on the attribute's line,
    // at their own columns.
    let policy_line = line_after(
        &path,
        &["\"resource_changes\"", "aws_iam_user_policy.alice_sessions"],
        "\"policy\":",
    );
    let origins = &inline.document.statement_origins;
    assert_eq!(origins.len(), 2);
    assert!(origins.iter().all(|o| o.line == policy_line));
    assert!(origins[0].column < origins[1].column);
    let sessions = iam.policy("aws_iam_policy.sessions").unwrap();
    assert_eq!(sessions.name, "session-users");
    assert!(!sessions.aws_managed);

    let ops = iam.group("ops").unwrap();
    assert_eq!(
        ops.inline_policies[0].document.document["Statement"][0]["Action"],
        "ec2-instance-connect:SendSSHPublicKey",
        "followed to data.aws_iam_policy_document.ops in prior_state"
    );
    let admin = iam.role("platform-admin").unwrap();
    assert_eq!(admin.inline_policies[0].name, "ssm-admin");
    assert_eq!(
        admin.permissions_boundary.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    assert!(
        iam.policy("arn:aws:iam::aws:policy/PowerUserAccess")
            .is_some()
    );
    // `existing-role` is not in the plan: the inline policy is judged on its own.
    let external = iam.policy("aws_iam_role_policy.external").unwrap();
    assert_eq!(external.name, "break-glass");
    assert_eq!(
        external.origin.as_ref().unwrap().line,
        change_line(&path, "aws_iam_role_policy.external")
    );
}

#[test]
fn terraform_values_unknown_at_plan_time_are_not_assessed() {
    let path = fixture("terraform/unknown.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let line = |a: &str| change_line(&path, a);
    let preferences = line("aws_ssm_document.preferences");
    let mut expected = vec![
        // The ingress block covers port 22 but its source is known only after apply.
        format!(
            "NB001[NET001] not-assessed aws_security_group.partner @{}",
            line("aws_security_group.partner")
        ),
        // The preferences' content depends on a bucket id and a local: every rule that reads
        // it is not assessed (one finding per reason given).
        format!("NB001[LOG002] not-assessed aws_ssm_document.preferences @{preferences}"),
        format!(
            "NB001[LOG003,LOG006,LOG009] not-assessed aws_ssm_document.preferences @{preferences}"
        ),
        format!(
            "NB001[LOG004,LOG010,LOG011,LOG013] not-assessed aws_ssm_document.preferences @{preferences}"
        ),
        format!(
            "NB001[LOG005,LOG012,LOG013] not-assessed aws_ssm_document.preferences @{preferences}"
        ),
        format!("NB001[LOG007] not-assessed aws_ssm_document.preferences @{preferences}"),
        format!("NB001[LOG008] not-assessed aws_ssm_document.preferences @{preferences}"),
        // `key_name = var.key`, and the module call passes a local.
        format!(
            "NB001[EC2002] not-assessed module.fleet.aws_launch_template.this @{}",
            line("module.fleet.aws_launch_template.this")
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
}

#[test]
fn cloudformation_network_template() {
    let path = fixture("cloudformation/network.yaml");
    let (ingested, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let line = |n: &str| line_of(&path, n);
    let mut expected = vec![
        // The second ingress entry: port 22 from the AdminCidr parameter's default.
        format!(
            "NET001 fail BastionSg @{}",
            line_after(
                &path,
                &["BastionSg:", "- IpProtocol: tcp"],
                "- IpProtocol: tcp"
            )
        ),
        // AWS::EC2::SecurityGroupIngress attached with !GetAtt AppSg.GroupId.
        format!("NET002 fail AppSg @{}", line("  AppRdp:")),
        // `CidrIp: !If [OpenPartner, …]`: conditions are not decided.
        format!(
            "NB001[NET001] not-assessed PartnerSg @{}",
            line("  PartnerSg:")
        ),
        format!("EC2001 fail Web @{}", line("  Web:")),
        format!("EC2002 fail Web @{}", line("  Web:")),
        format!("EC2001 fail WebTemplate @{}", line("  WebTemplate:")),
        format!("EC2002 fail WebTemplate @{}", line("  WebTemplate:")),
        // Web has no IamInstanceProfile (Worker has one).
        format!("EC2004 fail Web @{}", line("  Web:")),
        // AclSsh allows TCP (protocol 6) port 22 from anywhere.
        format!("NET003 fail Acl @{}", line("  AclSsh:")),
        // BastionSg declares no SecurityGroupEgress: it keeps the allow-all rule AWS adds.
        format!("NET006 fail BastionSg @{}", line("  BastionSg:")),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);

    let region = &account(&ingested.snapshot).regions[0];
    let groups = region.security_groups.as_option().unwrap();
    let bastion = groups.iter().find(|g| g.id == "BastionSg").unwrap();
    assert_eq!(bastion.name, "legacy-bastion");
    assert_eq!(bastion.vpc_id.as_deref(), Some("Vpc"));
    assert_eq!(bastion.ingress[1].ipv4_ranges, ["0.0.0.0/0"]);
    assert_eq!(
        bastion.egress[0].description.as_deref(),
        Some("the default egress rule AWS adds")
    );
    let app = groups.iter().find(|g| g.id == "AppSg").unwrap();
    assert_eq!(app.egress.len(), 1, "explicit egress replaces the default");
    let acl = &region.network_acls.as_option().unwrap()[0];
    assert_eq!(acl.entries[0].protocol, "6");
    assert_eq!(
        (acl.entries[0].from_port, acl.entries[0].to_port),
        (Some(22), Some(22))
    );
    let worker = region
        .instances
        .as_option()
        .unwrap()
        .iter()
        .find(|i| i.id == "Worker")
        .unwrap();
    assert_eq!(worker.associate_public_ip_address, Some(false));
    assert_eq!(worker.security_group_ids, ["AppSg"]);
    let endpoint = &region.vpc_endpoints.as_option().unwrap()[0];
    assert_eq!(endpoint.service_name, "com.amazonaws.unknown-region.ssm");
}

#[test]
fn cloudformation_logging_template() {
    let path = fixture("cloudformation/logging.json");
    let (ingested, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let preferences = line_of(&path, "\"Preferences\": {");
    // No destination, no kmsKeyId, idleSessionTimeout 60 > 20, no maxSessionDuration,
    // runAsEnabled false.
    let expected: Vec<String> = ["LOG002", "LOG006", "LOG007", "LOG008", "LOG009"]
        .iter()
        .map(|rule| format!("{rule} fail Preferences @{preferences}"))
        .collect();
    assert_eq!(describe(&findings), expected);
    let account = account(&ingested.snapshot);
    let bucket = &account.buckets.as_option().unwrap()[0];
    assert!(bucket.versioning_enabled() && bucket.object_lock_enabled);
    assert!(bucket.public_access_block.unwrap().all_enabled());
    assert_eq!(
        bucket.encryption.as_ref().unwrap().kms_key_id.as_deref(),
        Some("LogKey")
    );
    let policy = bucket.policy.as_ref().unwrap();
    assert_eq!(
        policy.document["Statement"][0]["Resource"],
        serde_json::json!(["LogBucket", "arn:aws:s3:::session-logs/*"])
    );
    assert_eq!(
        policy.statement_origins[0].line,
        line_of(&path, "\"Sid\": \"DenyInsecureTransport\"") - 1
    );
    let region = &account.regions[0];
    let key = &region.kms_keys.as_option().unwrap()[0];
    assert_eq!(key.aliases, ["alias/session-logs"]);
    let group = &region.log_groups.as_option().unwrap()[0];
    assert!(key.is_named_by(group.kms_key_id.as_deref().unwrap()));
    let trail = &region.trails.as_option().unwrap()[0];
    assert_eq!(trail.management_events.as_deref(), Some("All"));
    assert_eq!(trail.is_logging, Some(true));
    let rule = &region.event_rules.as_option().unwrap()[0];
    assert_eq!(rule.targets[0].id, "notify");
    let preferences = &region.ssm_documents.as_option().unwrap()[0];
    assert_eq!(
        preferences.inputs.as_ref().unwrap().idle_session_timeout,
        Some(60)
    );
}

#[test]
fn cloudformation_iam_template() {
    let path = fixture("cloudformation/iam.yaml");
    let (ingested, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let statement = |resource: &str| {
        line_after(
            &path,
            &[&format!("  {resource}:"), "Statement:"],
            "- Effect: Allow",
        )
    };
    let alice = statement("PortForwarding");
    let break_glass = statement("BreakGlass");
    let role = line_of(&path, "  InstanceRole:");
    let mut expected = vec![
        // Alice's attached PortForwarding policy: StartSession on every instance and on
        // AWS-StartPortForwardingSession, no MFA (her PowerUserAccess boundary allows it).
        format!("IAM001 fail Alice @{alice}"),
        format!("IAM003 fail Alice @{alice}"),
        format!("IAM008 fail Alice @{alice}"),
        // BreakGlass names a role outside the template: judged on its own, ssm:* on *.
        format!("IAM001 fail BreakGlass @{break_glass}"),
        format!("IAM002 fail BreakGlass @{break_glass}"),
        format!("IAM003 fail BreakGlass @{break_glass}"),
        format!("IAM004 fail BreakGlass @{break_glass}"),
        format!("IAM005 fail BreakGlass @{break_glass}"),
        format!("IAM007 fail BreakGlass @{break_glass}"),
        // AmazonS3ReadOnlyAccess is neither in the template nor bundled: the role's passes
        // cannot be asserted.
        format!(
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007,IAM009] not-assessed InstanceRole @{role}"
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
    let iam = account(&ingested.snapshot).iam.as_option().unwrap();
    let role = iam.role("ssm-instance").unwrap();
    assert_eq!(
        role.trust_policy.as_ref().unwrap().document["Version"],
        "2012-10-17",
        "an unquoted YAML 1.1 date stays the version string"
    );
    assert!(role.unknown["attached_policies"].contains("AmazonS3ReadOnlyAccess"));
    assert_eq!(role.instance_profiles, ["InstanceProfile"]);
    let operators = iam.group("operators").unwrap();
    let sessions = &operators.inline_policies[0];
    assert_eq!(
        sessions.document.document["Statement"][0]["Resource"],
        "arn:aws:ec2:unknown-region:000000000000:instance/*"
    );
    let lines: Vec<u32> = sessions
        .document
        .statement_origins
        .iter()
        .map(|o| o.line)
        .collect();
    assert_eq!(
        lines,
        [
            line_of(&path, "Sid: StartOnTaggedInstances"),
            line_of(&path, "Sid: EndOwnSessions")
        ]
    );
    let alice = iam.users.iter().find(|u| u.name == "alice").unwrap();
    assert_eq!(alice.groups, ["operators"]);
    assert_eq!(alice.attached_policies, ["PortForwarding"]);
    assert_eq!(
        alice.permissions_boundary.as_deref(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
    // The role it names is not in the template: the policy stands alone.
    let break_glass = iam.policy("BreakGlass").unwrap();
    assert_eq!(break_glass.name, "break-glass");
    assert_eq!(
        break_glass.origin.as_ref().unwrap().line,
        line_of(&path, "  BreakGlass:")
    );
}

#[test]
fn iam_policy_files() {
    let paths = [
        fixture("iam/session-user.json"),
        fixture("iam/get-policy-version.json"),
        fixture("iam/authorization-details.json"),
    ];
    let (ingested, findings) = lint(&paths, IAC_RULES);
    let details = &paths[2];
    let inline = line_of(
        details,
        "{\"Effect\": \"Allow\", \"Action\": \"ssm:StartSession\"",
    );
    let user = object_start(details, line_of(details, "\"UserName\": \"alice\""));
    let role = object_start(details, line_of(details, "\"RoleName\": \"app\""));
    let mut expected = vec![
        // session-user.json: StartSession on every instance; TerminateSession on *.
        "IAM001 fail session-user @4".to_owned(),
        "IAM002 fail session-user @10".to_owned(),
        // get-policy-version.json: SendSSHPublicKey on * (a single Statement object).
        "IAM006 fail get-policy-version @5".to_owned(),
        // alice: her inline StartSession on * decides the session rules; the bundled
        // AmazonSSMFullAccess (no position in the file: the finding points at the user)
        // adds ending others' sessions, SendCommand and document writes.
        format!("IAM001 fail alice @{inline}"),
        format!("IAM003 fail alice @{inline}"),
        format!("IAM004 fail alice @{inline}"),
        format!("IAM008 fail alice @{inline}"),
        format!("IAM002 fail alice @{user}"),
        format!("IAM005 fail alice @{user}"),
        format!("IAM007 fail alice @{user}"),
        // app: AmazonS3ReadOnlyAccess is neither in the file nor bundled.
        format!(
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007,IAM009] not-assessed app @{role}"
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
    let kinds: Vec<FileKind> = ingested
        .files
        .iter()
        .filter_map(|(_, o)| match o {
            FileOutcome::Ingested(kind) => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            FileKind::PolicyDocument,
            FileKind::PolicyDocument,
            FileKind::AuthorizationDetails
        ]
    );
    let accounts = &ingested.snapshot.accounts;
    assert_eq!(accounts.len(), 3, "one account per file");
    let session_user = &accounts[0].iam.as_option().unwrap().policies[0];
    assert_eq!(session_user.name, "session-user");
    let lines: Vec<u32> = session_user
        .document
        .statement_origins
        .iter()
        .map(|o| o.line)
        .collect();
    assert_eq!(lines, [4, 10]);
    assert!(accounts[0].regions.is_empty(), "a policy has no region");
    let wrapped = &accounts[1].iam.as_option().unwrap().policies[0];
    assert_eq!(wrapped.default_version_id.as_deref(), Some("v3"));
    assert_eq!(wrapped.document.statement_origins[0].line, 5);
    let details = &accounts[2];
    assert_eq!(details.id, "111122223333");
    let iam = details.iam.as_option().unwrap();
    let app = iam.role("app").unwrap();
    assert_eq!(
        app.trust_policy.as_ref().unwrap().document["Statement"][0]["Action"],
        "sts:AssumeRole",
        "URL-encoded documents are decoded"
    );
    assert!(app.unknown["attached_policies"].contains("AmazonS3ReadOnlyAccess"));
    assert!(
        iam.policy("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
            .is_some()
    );
    assert_eq!(
        iam.policy("arn:aws:iam::111122223333:policy/operators")
            .unwrap()
            .document
            .document["Statement"][0]["Sid"],
        "PortForwarding"
    );
}

#[test]
fn terraform_weak_session_logging() {
    let path = fixture("terraform/weak-logging.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let line = |a: &str| change_line(&path, a);
    let preferences = line("aws_ssm_document.preferences");
    let bucket = line("aws_s3_bucket.weak");
    let group = line("aws_cloudwatch_log_group.weak");
    let mut expected = vec![
        // s3EncryptionEnabled false; cloudWatchEncryptionEnabled false; idle 60 > 20 minutes;
        // maxSessionDuration 1440 > 720. kmsKeyId names alias/session-data, an alias of the
        // plan's key (LOG006 passes); runAs is on (LOG009 passes).
        format!("LOG003 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG005 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG007 fail aws_ssm_document.preferences @{preferences}"),
        format!("LOG008 fail aws_ssm_document.preferences @{preferences}"),
        // The bucket has no encryption configuration (SSE-S3, S3's default), versioning
        // Suspended and no Object Lock, and no public access block.
        format!("LOG004 fail aws_s3_bucket.weak @{bucket}"),
        format!("LOG010 fail aws_s3_bucket.weak @{bucket}"),
        format!("LOG011 fail aws_s3_bucket.weak @{bucket}"),
        // The log group has no KMS key and keeps logs 7 days.
        format!("LOG005 fail aws_cloudwatch_log_group.weak @{group}"),
        format!("LOG012 fail aws_cloudwatch_log_group.weak @{group}"),
        // A custom session document that logs nowhere.
        format!(
            "LOG014 fail aws_ssm_document.debug_shell @{}",
            line("aws_ssm_document.debug_shell")
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
}

#[test]
fn cloudformation_weak_session_logging() {
    let path = fixture("cloudformation/weak-logging.yaml");
    let (_, findings) = lint(std::slice::from_ref(&path), IAC_RULES);
    let preferences = line_of(&path, "  Preferences:");
    let bucket = line_of(&path, "  WeakBucket:");
    let group = line_of(&path, "  WeakGroup:");
    // The same weaknesses as the Terraform fixture, with destinations named by !Ref.
    let mut expected = vec![
        format!("LOG003 fail Preferences @{preferences}"),
        format!("LOG005 fail Preferences @{preferences}"),
        format!("LOG007 fail Preferences @{preferences}"),
        format!("LOG008 fail Preferences @{preferences}"),
        format!("LOG004 fail WeakBucket @{bucket}"),
        format!("LOG010 fail WeakBucket @{bucket}"),
        format!("LOG011 fail WeakBucket @{bucket}"),
        format!("LOG005 fail WeakGroup @{group}"),
        format!("LOG012 fail WeakGroup @{group}"),
        format!(
            "LOG014 fail DebugShell @{}",
            line_of(&path, "  DebugShell:")
        ),
    ];
    expected.sort();
    assert_eq!(describe(&findings), expected);
}
