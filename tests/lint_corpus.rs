//! The real-world Terraform plans and CloudFormation templates of `../shared/corpus`
//! (skipped with a message when the corpus is absent): every file is linted or rejected
//! with a clear error, and the findings on the intentionally vulnerable projects are the
//! ones a careful reader of those files expects.
//!
//! Expectations cover every rule (`IAC_RULES`: the NET, EC2, LOG, AUD and IAM rules, and
//! NB001 for what they cannot decide). For IAM: principals are judged with all their
//! policies, a group without members in the file for its members, and a policy attached to
//! nothing in the file on its own; a policy attached by ARN that is neither in the file nor
//! bundled with nobastion makes the principal's passes not assessed.

mod lint_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lint_support::{IAC_RULES, corpus, describe, line_of, lint};
use nobastion::ingest::FileOutcome;

const RULES: &[&str] = IAC_RULES;

/// Findings without their line: `RULE status address`.
fn findings_of(path: &Path) -> Vec<String> {
    let (ingested, findings) = lint(&[path.to_path_buf()], RULES);
    assert!(
        ingested.errors().is_empty(),
        "{}: {:?}",
        path.display(),
        ingested.errors()
    );
    describe(&findings)
        .into_iter()
        .map(|f| match f.rfind(" @") {
            Some(at) => f[..at].to_owned(),
            None => f,
        })
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut queue = vec![dir.to_path_buf()];
    while let Some(d) = queue.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                queue.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_file_is_linted_or_rejected_with_a_clear_error() {
    let Some(corpus) = corpus() else { return };
    let paths = vec![
        corpus.join("terraform-plans"),
        corpus.join("cloudformation"),
        corpus.join("iam-policies"),
    ];
    let (ingested, _) = lint(&paths, RULES);
    let mut outcomes = BTreeMap::new();
    for (path, outcome) in &ingested.files {
        let name = path.rsplit('/').next().unwrap().to_owned();
        let text = match outcome {
            FileOutcome::Ingested(kind) => kind.describe().to_owned(),
            FileOutcome::Failed(e) => format!("error: {}", e.message),
            FileOutcome::Skipped(reason) => format!("skipped: {reason}"),
        };
        outcomes.insert(name, text);
    }
    let expected_files = files_under(&corpus.join("terraform-plans")).len()
        + files_under(&corpus.join("cloudformation")).len()
        + files_under(&corpus.join("iam-policies")).len();
    assert_eq!(outcomes.len(), expected_files, "{outcomes:#?}");
    for (name, outcome) in &outcomes {
        if name == "terraform__runner__resources__plan__corrupted-tfplan.json" {
            // It has format_version but neither planned_values nor resource_changes: it is
            // not the JSON of a saved plan.
            assert!(
                outcome.starts_with("error: not a Terraform plan"),
                "{name}: {outcome}"
            );
            continue;
        }
        let is_yaml = Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml"));
        let expected_kind = if is_yaml || name.starts_with("example_") {
            "CloudFormation template"
        } else if name.contains("plan") || name.contains("eks_node_group") {
            "Terraform plan"
        } else {
            "IAM policy"
        };
        assert_eq!(outcome, expected_kind, "{name}");
    }
}

/// (corpus folder, file, expected findings) for the Terraform plans.
const TERRAFORM: &[(&str, &str, &[&str])] = &[
    // Three module instances (for_each) of a group allowing all protocols from
    // 0.0.0.0/0: SSH and RDP, each with its full module address.
    (
        "terraform-plans/checkov",
        "common__runner_registry__plan_with_for_each_for_enrichment__tf_plan.json",
        &[
            "NET001 fail module.sg[\"awful_example\"].aws_security_group.bad",
            "NET001 fail module.sg[\"bad_example\"].aws_security_group.bad",
            "NET001 fail module.sg[\"terrible_example\"].aws_security_group.bad",
            "NET002 fail module.sg[\"awful_example\"].aws_security_group.bad",
            "NET002 fail module.sg[\"bad_example\"].aws_security_group.bad",
            "NET002 fail module.sg[\"terrible_example\"].aws_security_group.bad",
        ],
    ),
    // TerraGoat: SSH from the internet on web-node, which also allows all egress (NET006);
    // both instances live in aws_subnet.web_subnet (map_public_ip_on_launch = true), whose
    // id is unknown at plan time and reached through the configuration's reference; only
    // db_app has an instance profile. The RDS group only opens 3306. The EKS cluster role
    // attaches AmazonEKSClusterPolicy and AmazonEKSServicePolicy, which nobastion does not
    // bundle: it would pass every IAM rule on what is known, but that cannot be asserted
    // (no instance profile, so IAM009 does not judge it). The ec2 role's policy (`ec2:*`,
    // `s3:*` …) grants nothing of Systems Manager.
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan__tfplan.json",
        &[
            "EC2001 fail aws_instance.db_app",
            "EC2001 fail aws_instance.web_host",
            "EC2004 fail aws_instance.web_host",
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007] not-assessed aws_iam_role.iam_for_eks",
            "NET001 fail aws_security_group.web-node",
            "NET006 fail aws_security_group.web-node",
        ],
    ),
    // No subnet configured: the default VPC's subnets hand out public addresses unless
    // the instance opts out, which it does not say; no key pair and no instance profile
    // are configured.
    (
        "terraform-plans/checkov",
        "terraform__parser__resources__plan_provisioners__tfplan.json",
        &[
            "EC2004 fail aws_instance.web",
            "NB001[EC2001] not-assessed aws_instance.web",
        ],
    ),
    // Log groups, buckets, route53, secrets, a CloudFront distribution, an EKS node group
    // without remote access, IAM: nothing the current IaC rules judge.
    (
        "terraform-plans/checkov",
        "common__runner_registry__plan_with_tf_modules_for_enrichment__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__checks__data__aws__example_GithubActionsOIDCTrustPolicy__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__parser__resources__plan_after_unknown__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__parser__resources__plan_encodings__tfplan_mac_utf8.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__parser__resources__plan_encodings__tfplan_win_utf8.json",
        &[],
    ),
    // Two rule updates on groups outside the plan: protocols tcp/udp on non-admin ports.
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_change_keys__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_nested_child_modules_with_connections__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_root_module_resources_no_values__tfplan_route53.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_with_deleted_resources__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_with_iam_data_block__tfplan.json",
        &[],
    ),
    // iam:* and s3 grants (a user, a group without members, a role, a standalone policy):
    // privilege escalation, but nothing of Session Manager or EC2 Instance Connect.
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_with_iam_policies__tfplan.json",
        &[],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_with_resource_reference__tfplan.json",
        &[],
    ),
    // `aws_iam_role_policy.fail_1` allows * on * for `some_role_id`, a role outside the
    // plan: the document stands alone and fails every rule that judges documents.
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__plan_with_utf_16_encoding__tfplan.json",
        &[
            "IAM001 fail aws_iam_role_policy.fail_1",
            "IAM002 fail aws_iam_role_policy.fail_1",
            "IAM003 fail aws_iam_role_policy.fail_1",
            "IAM004 fail aws_iam_role_policy.fail_1",
            "IAM005 fail aws_iam_role_policy.fail_1",
            "IAM006 fail aws_iam_role_policy.fail_1",
            "IAM007 fail aws_iam_role_policy.fail_1",
        ],
    ),
    (
        "terraform-plans/checkov",
        "terraform__runner__resources__unexpected__eks_node_group_remote_access.json",
        &[],
    ),
    // Existing instances (update, no-op) with public addresses 54.183.197.40 and
    // 54.241.114.98; no key pair (key_name "") and no instance profile
    // (iam_instance_profile ""); their groups (the "default" group by name, sg-0d081f7e)
    // are not in the plan, so their egress cannot be judged.
    (
        "terraform-plans/terraform-compliance",
        "actions_regular.plan.json",
        &[
            "EC2001 fail aws_instance.changed",
            "EC2001 fail aws_instance.unchanged",
            "EC2004 fail aws_instance.changed",
            "EC2004 fail aws_instance.unchanged",
            "NB001[NET006] not-assessed default",
            "NB001[NET006] not-assessed sg-0d081f7e",
        ],
    ),
    // SSH from 10.0.0.0/8 on the instance group (high); the instance has key pair
    // ec2-core-app, no subnet and no instance profile; the launch configuration has the same
    // key pair.
    (
        "terraform-plans/terraform-compliance",
        "test_issue-127.plan.json",
        &[
            "EC2002 fail aws_instance.web[0]",
            "EC2002 fail aws_launch_configuration.example",
            "EC2004 fail aws_instance.web[0]",
            "NB001[EC2001] not-assessed aws_instance.web[0]",
            "NET001 fail aws_security_group.instance",
        ],
    ),
    // SSH from 1.2.3.4/32 (a public address: critical) on the instance's group, which also
    // allows all egress; key pair; no subnet; instance profile EC2-S3-READONLY.
    (
        "terraform-plans/terraform-compliance",
        "test_issue-156.plan.json",
        &[
            "EC2002 fail aws_instance.demo-prod-AppOne",
            "NB001[EC2001] not-assessed aws_instance.demo-prod-AppOne",
            "NET001 fail aws_security_group.instance",
            "NET006 fail aws_security_group.instance",
        ],
    ),
    (
        "terraform-plans/terraform-compliance",
        "test_issue-177.plan.json",
        &[],
    ),
    // aws_security_group_rule.elb-ingress-ssh attaches to the module's group through
    // module.mysg.sg_id (an output naming aws_security_group.alb).
    (
        "terraform-plans/terraform-compliance",
        "test_issue-190.plan.json",
        &["NET001 fail module.mysg.aws_security_group.alb"],
    ),
    // Self-referencing rules over tcp 0-65535 cover 22 and 3389 ("no SSH even inside the
    // VPC"): high.
    (
        "terraform-plans/terraform-compliance",
        "test_issue-216.plan.json",
        &[
            "NET001 fail aws_security_group.ecs_task",
            "NET002 fail aws_security_group.ecs_task",
        ],
    ),
    (
        "terraform-plans/terraform-compliance",
        "test_issue-234-ingress.plan.json",
        &[
            "NET001 fail aws_security_group.alb",
            "NET002 fail aws_security_group.alb",
        ],
    ),
    // Existing resources: lambda_sg allows all protocols from 10.0.0.0/8; the ASG group
    // has SSH from 10.0.0.0/8 (inline and through aws_security_group_rule.asg-ingress-ssh,
    // one finding); the launch configuration has key pair jmeter-keypair. Both instance
    // profile roles attach the deprecated AmazonEC2RoleforSSM (bundled); their inline
    // policies (s3:*, lambda:*, dynamodb:* …) grant nothing of Systems Manager.
    (
        "terraform-plans/terraform-compliance",
        "test_issue-249.plan.json",
        &[
            "EC2002 fail module.myapp-asg.aws_launch_configuration.lc",
            "IAM009 fail aws_iam_role.instance_role",
            "IAM009 fail module.myapp-asg.module.iam.aws_iam_role.role",
            "NET001 fail aws_security_group.lambda_sg",
            "NET001 fail module.myapp-asg.aws_security_group.sg_asg",
            "NET002 fail aws_security_group.lambda_sg",
        ],
    ),
    // allow_tls: tcp 1-3000 from 0.0.0.0/0 covers 22. The rule resource opens tcp
    // 0-65535 from 0.0.0.0/0 on sg-123456, a group outside the plan (a stub named after
    // the rule resource).
    (
        "terraform-plans/terraform-compliance",
        "test_issue-554.plan.json",
        &[
            "NET001 fail aws_security_group.allow_tls",
            "NET001 fail aws_security_group_rule.allow_all",
            "NET002 fail aws_security_group_rule.allow_all",
        ],
    ),
    (
        "terraform-plans/terraform-compliance",
        "test_issue-sgr.plan.json",
        &[
            "NET001 fail aws_security_group.allow_tls",
            "NET001 fail aws_security_group_rule.allow_all",
            "NET002 fail aws_security_group_rule.allow_all",
        ],
    ),
    // Inverted ranges 443→22 and 443→3389 are read as the span between the ports (what
    // the author meant); the three rule resources target sg-123456 (one stub, one
    // finding per port). The classic DB/ElastiCache/Redshift groups are not VPC groups.
    (
        "terraform-plans/terraform-compliance",
        "test_issue_400.plan.json",
        &[
            "NET001 fail aws_security_group.example_group_22",
            "NET001 fail aws_security_group_rule.example_rule",
            "NET002 fail aws_security_group.example_group_3389",
            "NET002 fail aws_security_group_rule.example_rule",
        ],
    ),
    // Key pair tfcompliance_inf; no subnet; no instance profile. `security_groups = []` is a
    // constant the plan still marks unknown: read from the configuration.
    (
        "terraform-plans/terraform-compliance",
        "test_issue_410.plan.json",
        &[
            "EC2002 fail aws_instance.ebs_encrypted_not_present",
            "EC2004 fail aws_instance.ebs_encrypted_not_present",
            "NB001[EC2001] not-assessed aws_instance.ebs_encrypted_not_present",
        ],
    ),
    // tcp 0-65535 from 10.0.0.0/8 on sg-123456: high for both ports.
    (
        "terraform-plans/terraform-compliance",
        "test_pull_330.plan.json",
        &[
            "NET001 fail aws_security_group_rule.allow_all",
            "NET002 fail aws_security_group_rule.allow_all",
        ],
    ),
];

#[test]
fn terraform_plans_give_the_findings_a_reader_expects() {
    let Some(corpus) = corpus() else { return };
    for (dir, name, expected) in TERRAFORM {
        assert_eq!(
            findings_of(&corpus.join(dir).join(name)),
            *expected,
            "{name}"
        );
    }
}

#[test]
fn terraform_positions_and_severities() {
    let Some(corpus) = corpus() else { return };
    let plan =
        corpus.join("terraform-plans/checkov/terraform__runner__resources__plan__tfplan.json");
    let (_, findings) = lint(std::slice::from_ref(&plan), RULES);
    let text = std::fs::read_to_string(&plan).unwrap();
    let web_node = findings.iter().find(|f| f.rule == "NET001").unwrap();
    assert_eq!(web_node.severity.to_string(), "critical");
    // The finding points at the ingress block that opens port 22, inside resource_changes.
    let line = web_node.location.as_ref().unwrap().line.unwrap() as usize;
    let block: Vec<&str> = text.lines().skip(line - 1).take(12).collect();
    assert_eq!(block[0].trim(), "{");
    assert!(
        block.iter().any(|l| l.contains("\"from_port\": 22")),
        "{block:#?}"
    );
    assert!(line > line_of(&plan, "\"resource_changes\"") as usize);

    let compact = corpus.join("terraform-plans/terraform-compliance/test_issue-156.plan.json");
    let (_, findings) = lint(std::slice::from_ref(&compact), RULES);
    let ssh = findings.iter().find(|f| f.rule == "NET001").unwrap();
    assert_eq!(ssh.severity.to_string(), "critical", "1.2.3.4/32 is public");
    // `terraform show -json` writes one line: the column locates the ingress block.
    let location = ssh.location.as_ref().unwrap();
    assert_eq!(location.line, Some(1));
    let text = std::fs::read_to_string(&compact).unwrap();
    let column = location.column.unwrap() as usize;
    assert!(
        text[column - 1..].starts_with("{\"cidr_blocks\":[\"1.2.3.4/32\"]"),
        "{}",
        &text[column - 1..column + 40]
    );
}

/// (corpus folder, file, expected findings) for the CloudFormation templates.
const CLOUDFORMATION: &[(&str, &str, &[&str])] = &[
    // CfnGoat: WebNodeSG opens 22 to 0.0.0.0/0 and all protocols ("-1") to 0.0.0.0/0
    // (so RDP too), and declares no egress, so AWS's allow-all egress rule stays (NET006);
    // both instances use WebSubnet (MapPublicIpOnLaunch: True); EC2Instance has no
    // instance profile (DBAppInstance has EC2Profile). No key pairs, no Session Manager
    // preferences document. IAM: the user's excess_policy (`ec2:*`, `s3:*`, `lambda:*`,
    // `cloudwatch:*`) and the instance role's (`s3:*`, `ec2:*`, `rds:*`) are broad, but
    // `ec2:*` is not `ec2-instance-connect:*` and neither grants anything of Systems
    // Manager: every IAM rule passes.
    (
        "cloudformation/cfngoat",
        "cfngoat.yaml",
        &[
            "EC2001 fail DBAppInstance",
            "EC2001 fail EC2Instance",
            "EC2004 fail EC2Instance",
            "NET001 fail WebNodeSG",
            "NET002 fail WebNodeSG",
            "NET006 fail WebNodeSG",
        ],
    ),
    // The EKS template's groups have no admin-port ingress. EKSIAMRole attaches
    // AmazonEKSClusterPolicy and AmazonEKSServicePolicy, not bundled: not assessed.
    (
        "cloudformation/cfngoat",
        "eks.yaml",
        &["NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007] not-assessed EKSIAMRole"],
    ),
    (
        "cloudformation/checkov",
        "example_CloudWatchLogGroupKMSKey__FAIL.yaml",
        &[],
    ),
    (
        "cloudformation/checkov",
        "example_CloudWatchLogGroupKMSKey__PASS.yaml",
        &[],
    ),
    // AssociatePublicIpAddress: true on the instance and the launch template; no instance
    // profile; "myVPCEC2SecurityGroup" is not in the template.
    (
        "cloudformation/checkov",
        "example_EC2PublicIP__EC2PublicIP-FAILED.yaml",
        &[
            "EC2001 fail EC2InstanceResource0",
            "EC2001 fail EC2LaunchTemplateResource0",
            "EC2004 fail EC2InstanceResource0",
            "NB001[NET006] not-assessed myVPCEC2SecurityGroup",
        ],
    ),
    // Instances without a subnet land in the default VPC, whose subnets auto-assign
    // public addresses: not decidable from the template. EC2InstanceResource1 opts out.
    // None has an instance profile; "myVPCEC2SecurityGroup" is not in the template.
    (
        "cloudformation/checkov",
        "example_EC2PublicIP__EC2PublicIP-PASSED.yaml",
        &[
            "EC2004 fail EC2InstanceResource0",
            "EC2004 fail EC2InstanceResource1",
            "EC2004 fail EC2InstanceResource2",
            "NB001[EC2001] not-assessed EC2InstanceResource0",
            "NB001[EC2001] not-assessed EC2InstanceResource2",
            "NB001[NET006] not-assessed myVPCEC2SecurityGroup",
        ],
    ),
    // Subnet "PublicSubnet" and group "myVPCEC2SecurityGroup" are not in the template; no
    // instance profile.
    (
        "cloudformation/checkov",
        "example_EC2PublicIP__EC2PublicIP-UNKNOWN.yaml",
        &[
            "EC2004 fail EC2InstanceResource0",
            "NB001[EC2001] not-assessed EC2InstanceResource0",
            "NB001[NET006] not-assessed myVPCEC2SecurityGroup",
        ],
    ),
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupQuotes-FAILED.yaml",
        &["NET001 fail DemoSecurityGroup"],
    ),
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupRange-FAILED.yaml",
        &["NET001 fail DemoSecurityGroup"],
    ),
    // FromPort 23, ToPort 21: read as the span between the ports (NET001's documented
    // reading of inverted ranges), which contains 22.
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupRangeInvalid-PASSED.yaml",
        &["NET001 fail DemoSecurityGroup"],
    ),
    // CidrIpv6 from parameter defaults ::/0 and 0000:…:0000/0 (the internet).
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupUnrestrictedIngress22-FAILED-2.yaml",
        &["NET001 fail InstanceSecurityGroup"],
    ),
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupUnrestrictedIngress22-FAILED-3.yaml",
        &["NET001 fail InstanceSecurityGroup"],
    ),
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupUnrestrictedIngress22-FAILED.yaml",
        &["NET001 fail InstanceSecurityGroup"],
    ),
    // SSH from 10.10.10.0/24 (the parameter default): checkov passes it, NET001 does not
    // ("no port 22 ingress, even within the VPC") and rates it high.
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupUnrestrictedIngress22-PASSED.yaml",
        &["NET001 fail InstanceSecurityGroup"],
    ),
    // SecurityGroupIngress: 'hello22' is not a list: the group cannot be judged.
    (
        "cloudformation/checkov",
        "example_SecurityGroupUnrestrictedIngress22__SecurityGroupUnrestrictedIngress22-UNKNOWN.yaml",
        &["NB001[NET001,NET002] not-assessed InstanceSecurityGroup"],
    ),
];

#[test]
fn cloudformation_templates_give_the_findings_a_reader_expects() {
    let Some(corpus) = corpus() else { return };
    let checkov = corpus.join("cloudformation/checkov");
    for (dir, name, expected) in CLOUDFORMATION {
        assert_eq!(
            findings_of(&corpus.join(dir).join(name)),
            *expected,
            "{name}"
        );
    }
    // Every IAM-only checkov template has its expectation (a new one fails here).
    for path in files_under(&checkov) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("example_IAM") {
            let Some((_, expected)) = CHECKOV_IAM.iter().find(|(file, _)| *file == name) else {
                panic!("{name} has no expectation in CHECKOV_IAM");
            };
            assert_eq!(findings_of(&path), expected_iam(expected), "{name}");
        }
    }
}

/// `RULE fail SUBJECT` for each of `rules`.
fn fails(subject: &str, rules: &[&str]) -> Vec<String> {
    rules
        .iter()
        .map(|r| format!("{r} fail {subject}"))
        .collect()
}

const ALL_BUT_IAM009: &[&str] = &[
    "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "IAM008",
];
const ROLE_RULES: &[&str] = &[
    "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "IAM009",
];
const DOCUMENT_RULES: &[&str] = &[
    "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007",
];

/// What a checkov IAM template is expected to give.
enum Iam {
    /// Every rule that judges the subject fails (`*` on `*`).
    Fails(&'static str, &'static [&'static str]),
    /// Exactly these findings.
    Exactly(&'static [&'static str]),
}

fn expected_iam(expected: &Iam) -> Vec<String> {
    match expected {
        Iam::Fails(subject, rules) => fails(subject, rules),
        Iam::Exactly(list) => list.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// checkov's IAM templates (admin `*` on `*` and star-action policies, the `fail` variants
/// allow `*` on `*`; the `pass` variants grant S3 on two buckets only).
const CHECKOV_IAM: &[(&str, Iam)] = &[
    // A group with an inline `*` on `*` and no member in the template: judged for its
    // members (users), so IAM008 applies and IAM009 (instance profiles) does not.
    (
        "example_IAMAdminPolicyDocument__iam_group.fail.json",
        Iam::Fails("mygroup", ALL_BUT_IAM009),
    ),
    (
        "example_IAMAdminPolicyDocument__iam_group.pass.json",
        Iam::Exactly(&[]),
    ),
    // AWS::IAM::Policy attached to CFNUserGroup, which has no member.
    (
        "example_IAMAdminPolicyDocument__iam_policy.fail.json",
        Iam::Fails("CFNUserGroup", ALL_BUT_IAM009),
    ),
    (
        "example_IAMAdminPolicyDocument__iam_policy.pass.json",
        Iam::Exactly(&[]),
    ),
    // RootRole is in RootInstanceProfile: IAM009 judges it (effective `ssm:*`); IAM008
    // judges users only.
    (
        "example_IAMAdminPolicyDocument__iam_role.fail.json",
        Iam::Fails("RootRole", ROLE_RULES),
    ),
    (
        "example_IAMAdminPolicyDocument__iam_role.pass.json",
        Iam::Exactly(&[]),
    ),
    // The role's Policies are behind Fn::If: nothing can be asserted (no instance profile).
    (
        "example_IAMAdminPolicyDocument__iam_role.unknown.yaml",
        Iam::Exactly(&[
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007] not-assessed ExecRole",
        ]),
    ),
    (
        "example_IAMAdminPolicyDocument__iam_user.fail.json",
        Iam::Fails("CFNUser", ALL_BUT_IAM009),
    ),
    (
        "example_IAMAdminPolicyDocument__iam_user.pass.json",
        Iam::Exactly(&[]),
    ),
    // The PolicyDocument is a list around Fn::If (no principal): the standalone document
    // cannot be read.
    (
        "example_IAMStarActionPolicyDocument__cfn_bad_iam_pass.yaml",
        Iam::Exactly(&[
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007] not-assessed rIamPolicy",
        ]),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_group.fail.json",
        Iam::Fails("mygroup", ALL_BUT_IAM009),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_group.pass.json",
        Iam::Exactly(&[]),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_policy.fail.json",
        Iam::Fails("CFNUserGroup", ALL_BUT_IAM009),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_policy.pass.json",
        Iam::Exactly(&[]),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_role.fail.json",
        Iam::Fails("RootRole", ROLE_RULES),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_role.pass.json",
        Iam::Exactly(&[]),
    ),
    // Policies behind Fn::If on a role in an instance profile: IAM009 cannot judge it either.
    (
        "example_IAMStarActionPolicyDocument__iam_role.unknown.yaml",
        Iam::Exactly(&[
            "NB001[IAM001,IAM002,IAM003,IAM004,IAM005,IAM006,IAM007,IAM009] not-assessed RootRole",
        ]),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_user.fail.json",
        Iam::Fails("CFNUser", ALL_BUT_IAM009),
    ),
    (
        "example_IAMStarActionPolicyDocument__iam_user.pass.json",
        Iam::Exactly(&[]),
    ),
];

/// The raw policy documents of `iam-policies/`, each judged on its own.
const IAM_POLICIES: &[(&str, Iam)] = &[
    // `Action: *` on `*`.
    (
        "cloudgoat-rollback/v3.json",
        Iam::Fails("v3", DOCUMENT_RULES),
    ),
    // iam:Get*/List*/SetDefaultPolicyVersion; a Deny outside two ranges; iam:Get* between
    // two dates; S3 reads: nothing of Session Manager.
    ("cloudgoat-rollback/v1.json", Iam::Exactly(&[])),
    ("cloudgoat-rollback/v2.json", Iam::Exactly(&[])),
    ("cloudgoat-rollback/v4.json", Iam::Exactly(&[])),
    ("cloudgoat-rollback/v5.json", Iam::Exactly(&[])),
    // StartSession on `*`, so on every instance not tagged Environment=Prod (the Deny) and
    // on every session document, port forwarding and SSH included; TerminateSession only
    // on `session/${aws:username}-*`, the user's own sessions.
    (
        "third-party-examples/gist-arbabnazar-bc12bef1-session-manager-user.json",
        Iam::Exactly(&[
            "IAM001 fail gist-arbabnazar-bc12bef1-session-manager-user",
            "IAM003 fail gist-arbabnazar-bc12bef1-session-manager-user",
            "IAM004 fail gist-arbabnazar-bc12bef1-session-manager-user",
        ]),
    ),
    // StartSession on instances tagged Environment=Development (`StringLike` without a
    // wildcard is a concrete value), the default shell only, own sessions only: passes.
    (
        "third-party-examples/pastebin-iSDJZsN3-session-manager-dev-tag.json",
        Iam::Exactly(&[]),
    ),
];

#[test]
fn iam_policy_documents_give_the_findings_a_reader_expects() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("iam-policies");
    assert_eq!(files_under(&dir).len(), IAM_POLICIES.len());
    for (name, expected) in IAM_POLICIES {
        assert_eq!(
            findings_of(&dir.join(name)),
            expected_iam(expected),
            "{name}"
        );
    }
}

#[test]
fn cloudformation_positions() {
    let Some(corpus) = corpus() else { return };
    let template = corpus.join("cloudformation/cfngoat/cfngoat.yaml");
    let (ingested, findings) = lint(std::slice::from_ref(&template), RULES);
    let lines: BTreeMap<String, u32> = findings
        .iter()
        .map(|f| {
            (
                format!("{} {}", f.rule, f.resource.display_name()),
                f.location.as_ref().unwrap().line.unwrap(),
            )
        })
        .collect();
    let text = std::fs::read_to_string(&template).unwrap();
    let line_text = |n: u32| text.lines().nth(n as usize - 1).unwrap().trim().to_owned();
    // NET001 points at the ingress entry for port 22, NET002 at the all-protocols entry.
    assert_eq!(line_text(lines["NET001 WebNodeSG"]), "- IpProtocol: tcp");
    assert!(line_text(lines["NET001 WebNodeSG"] + 1).contains("FromPort: 22"));
    assert_eq!(line_text(lines["NET002 WebNodeSG"]), "- IpProtocol: \"-1\"");
    // Instances point at their logical id.
    assert_eq!(line_text(lines["EC2001 EC2Instance"]), "EC2Instance:");
    assert_eq!(line_text(lines["EC2001 DBAppInstance"]), "DBAppInstance:");
    // The unquoted `Version: 2012-10-17` of the user policy stays the version string.
    let iam = ingested.snapshot.accounts[0].iam.as_option().unwrap();
    let user = &iam.users[0];
    assert_eq!(user.name, "000000000000-acme-dev-user");
    assert_eq!(user.inline_policies[0].name, "excess_policy");
    assert_eq!(
        user.inline_policies[0].document.document["Version"],
        "2012-10-17"
    );
    let role = iam
        .roles
        .iter()
        .find(|r| r.name.ends_with("-role"))
        .unwrap();
    assert_eq!(role.instance_profiles, ["000000000000-acme-dev-profile"]);
}
