//! `nobastion collect` against the AWS emulator: the snapshot of the seeded organization
//! (`tests/moto/seed_scenario.py`) holds exactly what the accounts contain, and every API call
//! the collectors made is read-only and covered by the policy in docs/permissions.md.

#![cfg(feature = "live")]

#[path = "support/moto.rs"]
mod moto;
#[path = "support/permissions.rs"]
mod permissions;

use std::collections::{BTreeMap, BTreeSet};

use nobastion::model::{
    Account, AclAction, Bucket, DocumentOwner, EndpointType, InstanceState, KeyManager, Region,
    Section, Snapshot, SourceKind,
};

use moto::{Launch, api_calls, run, text};

const REGIONS: &str = "us-east-1,eu-west-1,eu-central-1";
const ROLE: &str = "OrganizationAccountAccessRole";

fn collected<'a, T>(section: &'a Section<T>, what: &str) -> &'a T {
    match section {
        Section::Collected(value) => value,
        Section::NotCollected(gap) => panic!("{what} not collected: {}", gap.describe()),
    }
}

fn region<'a>(account: &'a Account, name: &str) -> &'a Region {
    account
        .region(name)
        .unwrap_or_else(|| panic!("region {name} missing in {}", account.id))
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeSet<String> {
    items.iter().map(|i| name(i).to_owned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn bucket<'a>(account: &'a Account, name: &str) -> &'a Bucket {
    collected(&account.buckets, "buckets")
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("bucket {name} missing"))
}

#[test]
fn collect_reads_the_whole_organization_and_calls_only_allowed_read_operations() {
    let Some(moto) = Launch::seed("seed_scenario").start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let output = run(moto
        .nobastion()
        .args([
            "collect",
            "-v",
            "--regions",
            REGIONS,
            "--org-role",
            ROLE,
            "--output",
        ])
        .arg(&path));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(
        output.stdout.is_empty(),
        "the snapshot goes to the file only"
    );
    let snapshot = Snapshot::load(&path).unwrap();

    check_metadata(&snapshot, &moto);
    let management = &snapshot.accounts[0];
    let member = &snapshot.accounts[1];
    check_iam(management, &moto);
    check_organization(management, member, &moto);
    check_buckets(management, member);
    check_network(management, &moto);
    check_acls_and_endpoints(management, &moto);
    check_instances(management, &moto);
    check_session_documents(management, member);
    check_keys_logs_and_alerting(management, member, &moto);

    // Every call the collectors made is read-only and in docs/permissions.md.
    let calls = api_calls(&stderr);
    assert!(calls.len() > 100, "{} calls logged", calls.len());
    permissions::assert_covered(calls.iter().map(|(operation, _, _)| operation.as_str()));
    // Bulk reads: one security group listing per account and region, one GAAD per account.
    let count = |op: &str| calls.iter().filter(|(o, _, _)| o == op).count();
    assert_eq!(count("ec2:DescribeSecurityGroups"), 6);
    assert_eq!(count("iam:GetAccountAuthorizationDetails"), 2);
    // Trail status once per trail, not per region the multi-region trail shows up in.
    assert_eq!(count("cloudtrail:GetTrailStatus"), 3);
    // The caller's own account is read without assuming a role; the member through it.
    assert_eq!(count("sts:AssumeRole"), 1);
    let summary = stderr
        .lines()
        .find(|l| l.contains("API calls") && l.starts_with("nobastion: collected"))
        .unwrap_or_else(|| panic!("no summary in:\n{stderr}"));
    assert!(
        summary.contains(&format!("with {} API calls", calls.len())),
        "the counter counts what the recorder logged: {summary}"
    );
}

fn check_metadata(snapshot: &Snapshot, moto: &moto::Moto) {
    let metadata = &snapshot.metadata;
    assert_eq!(metadata.source, SourceKind::Live);
    assert!(!metadata.partial);
    assert_eq!(
        metadata.tool_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(metadata.collected_at.is_some());
    let caller = metadata.caller.as_ref().unwrap();
    assert_eq!(caller.account, "123456789012");
    assert!(caller.arn.starts_with("arn:aws:"), "{}", caller.arn);
    assert_eq!(metadata.regions, ["eu-central-1", "eu-west-1", "us-east-1"]);
    assert!(metadata.errors.is_empty(), "{:?}", metadata.errors);
    let ids: Vec<&str> = snapshot.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["123456789012", moto.str("member").as_str()]);
    assert_eq!(snapshot.accounts[1].name.as_deref(), Some("workloads"));
    for account in &snapshot.accounts {
        assert!(account.not_collected.is_none());
        assert_eq!(account.partition, "aws");
        let regions: Vec<&str> = account.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(regions, ["eu-central-1", "eu-west-1", "us-east-1"]);
        assert!(account.regions.iter().all(|r| r.not_collected.is_none()));
    }
}

fn check_iam(management: &Account, moto: &moto::Moto) {
    let iam = collected(&management.iam, "iam");
    assert_eq!(
        names(&iam.users, |u| &u.name),
        set(&["bad-user-without-mfa", "good-user-with-mfa"])
    );
    assert_eq!(
        names(&iam.roles, |r| &r.name),
        set(&[
            "bad-start-session-untagged",
            "good-session-operator",
            "bad-terminate-any",
            "bad-port-forwarding",
            "bad-ssh-tunnel",
            "bad-send-command",
            "bad-instance-connect",
            "bad-preferences-editor",
            "good-instance-role",
            "bad-instance-role",
            "cloudtrail-to-logs",
        ])
    );
    // Inline documents arrive URL-encoded and are stored as decoded JSON.
    let untagged = iam.role("bad-start-session-untagged").unwrap();
    assert_eq!(untagged.arn, moto.str("iam.bad-start-session-untagged"));
    let statement = &untagged.inline_policies[0].document.document["Statement"][0];
    assert_eq!(statement["Action"], "ssm:StartSession");
    assert_eq!(statement["Resource"][0], "arn:aws:ec2:*:*:instance/*");
    let trust = &untagged.trust_policy.as_ref().unwrap().document;
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    // Conditions survive decoding, including `${aws:userid}` and the tag key with colons.
    let operator = iam.role("good-session-operator").unwrap();
    let terminate = &operator.inline_policies[0].document.document["Statement"][2];
    assert_eq!(
        terminate["Condition"]["StringLike"]["ssm:resourceTag/aws:ssmmessages:session-id"][0],
        "${aws:userid}"
    );
    assert_eq!(
        operator.permissions_boundary.as_deref(),
        Some(moto.str("iam.session-boundary").as_str())
    );
    // Groups and membership.
    let user = iam
        .users
        .iter()
        .find(|u| u.name == "good-user-with-mfa")
        .unwrap();
    assert_eq!(user.groups, ["session-users"]);
    let group = iam.group("session-users").unwrap();
    assert_eq!(
        group.inline_policies[0].document.document["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
        "true"
    );
    // Managed policies: the customer one, and exactly the AWS-managed ones in use (not all
    // 1,300 of them), each with its default version's document.
    let policies: BTreeMap<&str, _> = iam.policies.iter().map(|p| (p.arn.as_str(), p)).collect();
    assert_eq!(
        policies.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            moto.str("iam.session-boundary").as_str(),
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
        ])
    );
    let core = policies["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"];
    assert!(core.aws_managed);
    assert_eq!(core.name, "AmazonSSMManagedInstanceCore");
    assert!(core.default_version_id.is_some());
    assert!(
        core.document.document["Statement"].is_array(),
        "{}",
        core.document.document
    );
    let boundary = policies[moto.str("iam.session-boundary").as_str()];
    assert!(!boundary.aws_managed);
    assert_eq!(
        boundary.name, "session-boundary",
        "named from the ARN when GAAD omits PolicyName"
    );
    assert_eq!(
        boundary.document.document["Statement"][0]["Effect"],
        "Allow"
    );
    // Instance profiles and the roles they carry.
    let profiles: BTreeMap<&str, &Vec<String>> = iam
        .instance_profiles
        .iter()
        .map(|p| (p.name.as_str(), &p.roles))
        .collect();
    assert_eq!(profiles["good-instance-profile"], &["good-instance-role"]);
    assert_eq!(profiles["bad-instance-profile"], &["bad-instance-role"]);
    assert_eq!(
        iam.role("bad-instance-role").unwrap().attached_policies,
        ["arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"]
    );
    assert!(
        iam.users
            .iter()
            .chain(iam.users.iter())
            .all(|u| u.unknown.is_empty())
    );
    assert!(iam.roles.iter().all(|r| r.unknown.is_empty()));
}

fn check_organization(management: &Account, member: &Account, moto: &moto::Moto) {
    let member_org = collected(&member.organization, "organization")
        .as_ref()
        .unwrap();
    assert_eq!(
        member_org.management_account_id.as_deref(),
        Some("123456789012")
    );
    let levels: Vec<(&str, Option<&str>, Vec<&str>)> = member_org
        .scp_levels
        .iter()
        .map(|l| {
            (
                l.target_id.as_str(),
                l.target_name.as_deref(),
                l.policies.iter().map(|p| p.name.as_str()).collect(),
            )
        })
        .collect();
    let root = moto.str("member_root");
    let ou = moto.str("member_ou");
    let member_id = moto.str("member");
    assert_eq!(
        levels,
        [
            (root.as_str(), Some("Root"), vec!["FullAWSAccess"]),
            (
                ou.as_str(),
                Some("workloads"),
                vec!["FullAWSAccess", "deny-instance-connect"]
            ),
            (member_id.as_str(), None, vec!["FullAWSAccess"]),
        ]
    );
    let deny = &member_org.scp_levels[1].policies[1];
    assert_eq!(deny.id, moto.str("member_scp"));
    assert_eq!(
        deny.document.document["Statement"][0]["Action"],
        "ec2-instance-connect:*"
    );
    let management_org = collected(&management.organization, "organization")
        .as_ref()
        .unwrap();
    assert_eq!(management_org.id, member_org.id);
    assert!(
        management_org.scp_levels.is_empty(),
        "SCPs do not restrict the management account"
    );
    // The member's own IAM: the organization role and its instance role.
    let iam = collected(&member.iam, "member iam");
    assert_eq!(
        names(&iam.roles, |r| &r.name),
        set(&[ROLE, "member-instance-role", "member-instance-connect"])
    );
}

fn check_buckets(management: &Account, member: &Account) {
    assert_eq!(
        names(collected(&management.buckets, "buckets").as_slice(), |b| &b
            .name),
        set(&[
            "nobastion-session-logs",
            "nobastion-unrelated",
            "nobastion-trail",
            "nobastion-weak-logs",
            "nobastion-eu-trail",
        ])
    );
    // The session-log bucket: every detail read.
    let good = bucket(management, "nobastion-session-logs");
    assert_eq!(good.region.as_deref(), Some("us-east-1"));
    let encryption = good.encryption.as_ref().unwrap();
    assert_eq!(encryption.algorithm, "aws:kms");
    assert!(
        encryption
            .kms_key_id
            .as_deref()
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:")
    );
    assert!(encryption.bucket_key_enabled);
    assert_eq!(good.versioning.as_deref(), Some("Enabled"));
    assert!(good.object_lock_enabled);
    assert!(good.public_access_block.unwrap().all_enabled());
    let statement = &good.policy.as_ref().unwrap().document["Statement"][0];
    assert_eq!(
        statement["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
    assert!(good.unknown.is_empty(), "{:?}", good.unknown);
    // The weak one, in another region: "not configured" answers are "none", not unknown.
    let weak = bucket(management, "nobastion-weak-logs");
    assert_eq!(weak.region.as_deref(), Some("eu-west-1"));
    assert_eq!(weak.encryption.as_ref().unwrap().algorithm, "AES256");
    assert_eq!(weak.encryption.as_ref().unwrap().kms_key_id, None);
    assert_eq!(weak.versioning, None);
    assert!(!weak.object_lock_enabled);
    assert_eq!(weak.public_access_block, None);
    assert_eq!(weak.policy, None);
    assert!(weak.unknown.is_empty(), "{:?}", weak.unknown);
    // Buckets no session document logs to: listed, their details marked unknown (not "none").
    for name in [
        "nobastion-unrelated",
        "nobastion-trail",
        "nobastion-eu-trail",
    ] {
        let other = bucket(management, name);
        assert_eq!(
            other
                .unknown
                .keys()
                .map(String::as_str)
                .collect::<BTreeSet<_>>(),
            BTreeSet::from([
                "encryption",
                "object_lock_enabled",
                "policy",
                "public_access_block",
                "versioning"
            ]),
            "{name}"
        );
    }
    // Account-level public access block: set in the management account, absent in the member.
    assert!(
        collected(&management.s3_public_access_block, "account pab")
            .unwrap()
            .all_enabled()
    );
    assert_eq!(
        collected(&member.s3_public_access_block, "member pab"),
        &None
    );
    // The member's only bucket is its trail's.
    assert_eq!(
        names(
            collected(&member.buckets, "member buckets").as_slice(),
            |b| &b.name
        ),
        set(&["nobastion-member-trail"])
    );
}

fn check_network(management: &Account, moto: &moto::Moto) {
    let r1 = region(management, "us-east-1");
    let vpcs = names(collected(&r1.vpcs, "vpcs").as_slice(), |v| &v.id);
    assert_eq!(vpcs, set(&[&moto.str("good_vpc"), &moto.str("bad_vpc")]));
    let subnets = collected(&r1.subnets, "subnets");
    let public = subnets
        .iter()
        .find(|s| s.id == moto.str("public_subnet"))
        .unwrap();
    assert!(public.map_public_ip_on_launch);
    assert!(
        subnets
            .iter()
            .filter(|s| s.id != public.id)
            .all(|s| !s.map_public_ip_on_launch)
    );
    let groups = collected(&r1.security_groups, "security groups");
    let group = |id: &str| groups.iter().find(|g| g.id == id).unwrap();
    let ssh = group(&moto.str("ssh_world"));
    assert_eq!(ssh.name, "ssh-from-internet");
    assert_eq!(ssh.ingress.len(), 1);
    assert_eq!(ssh.ingress[0].protocol, "tcp");
    assert_eq!(
        (ssh.ingress[0].from_port, ssh.ingress[0].to_port),
        (Some(22), Some(22))
    );
    assert_eq!(ssh.ingress[0].ipv4_ranges, ["0.0.0.0/0"]);
    assert!(ssh.egress.is_empty());
    assert_eq!(
        group(&moto.str("rdp_world6")).ingress[0].ipv6_ranges,
        ["::/0"]
    );
    let from_group = &group(&moto.str("ssh_from_group")).ingress[0];
    assert_eq!(
        from_group.referenced_groups[0].group_id,
        moto.str("managed_bad_sg")
    );
    assert!(!from_group.referenced_groups[0].is_self);
    assert_eq!(
        from_group.referenced_groups[0].account_id, None,
        "same account"
    );
    // The default egress rule (all traffic anywhere) is kept as AWS reports it.
    let open = &group(&moto.str("managed_bad_sg")).egress;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].protocol, "-1");
    assert_eq!(open[0].ipv4_ranges, ["0.0.0.0/0"]);
    // Emptied default groups are empty.
    assert!(group(&moto.str("good_default_sg")).ingress.is_empty());
    // The prefix list a rule references is resolved to its CIDRs.
    let pl = moto.str("s3_prefix_list");
    assert!(
        group(&moto.str("good_sg"))
            .egress
            .iter()
            .any(|r| r.prefix_list_ids == [pl.clone()])
    );
    let lists = collected(&r1.prefix_lists, "prefix lists");
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].id, pl);
    assert_eq!(lists[0].name, "com.amazonaws.us-east-1.s3");
    assert_eq!(lists[0].owner.as_deref(), Some("AWS"));
    assert!(!lists[0].cidrs.is_empty());
}

fn check_acls_and_endpoints(management: &Account, moto: &moto::Moto) {
    let r1 = region(management, "us-east-1");
    // Network ACLs: the allow-all default of the bad VPC, the narrowed one of the good VPC.
    let acls = collected(&r1.network_acls, "network acls");
    let acl = |id: &str| acls.iter().find(|a| a.id == id).unwrap();
    let bad = acl(&moto.str("bad_nacl"));
    assert!(bad.is_default);
    assert!(bad.entries.iter().any(|e| !e.egress
        && e.rule_number == 100
        && e.protocol == "-1"
        && e.action == AclAction::Allow
        && e.cidr_block.as_deref() == Some("0.0.0.0/0")));
    let good = acl(&moto.str("good_nacl"));
    let inbound: Vec<_> = good.entries.iter().filter(|e| !e.egress).collect();
    assert!(inbound.iter().any(|e| e.rule_number == 100
        && e.protocol == "6"
        && e.from_port == Some(443)
        && e.to_port == Some(443)));
    assert!(
        inbound
            .iter()
            .any(|e| e.rule_number == 32767 && e.action == AclAction::Deny)
    );
    // Endpoints: the good VPC has all six, with private DNS on the interface ones.
    let endpoints = collected(&r1.vpc_endpoints, "endpoints");
    assert_eq!(endpoints.len(), 6);
    let services: BTreeSet<&str> = endpoints
        .iter()
        .map(nobastion::model::VpcEndpoint::short_service)
        .collect();
    assert_eq!(
        services,
        BTreeSet::from(["ec2messages", "kms", "logs", "s3", "ssm", "ssmmessages"])
    );
    for endpoint in endpoints {
        assert_eq!(endpoint.vpc_id, moto.str("good_vpc"));
        let gateway = endpoint.short_service() == "s3";
        assert_eq!(
            endpoint.endpoint_type,
            if gateway {
                EndpointType::Gateway
            } else {
                EndpointType::Interface
            }
        );
        if !gateway {
            assert!(endpoint.private_dns_enabled, "{}", endpoint.service_name);
        }
    }
    // Route tables: the main table of each VPC.
    let tables = collected(&r1.route_tables, "route tables");
    assert!(tables.iter().all(|t| t.main));
    assert!(
        tables
            .iter()
            .all(|t| t.routes.iter().any(|r| r.target == "local"))
    );
}

fn check_instances(management: &Account, moto: &moto::Moto) {
    let r1 = region(management, "us-east-1");
    let instances = collected(&r1.instances, "instances");
    assert_eq!(instances.len(), 5);
    let instance = |key: &str| {
        let id = moto.str(key);
        instances.iter().find(|i| i.id == id).unwrap()
    };
    let public = instance("public_keyed");
    assert!(public.public_ip.is_some());
    assert_eq!(public.key_name.as_deref(), Some("legacy-key"));
    assert_eq!(
        public.subnet_id.as_deref(),
        Some(moto.str("public_subnet").as_str())
    );
    assert_eq!(public.tags.get("Team").map(String::as_str), Some("ops"));
    let good = instance("good_instance");
    assert_eq!(good.public_ip, None);
    assert_eq!(good.key_name, None);
    assert_eq!(
        good.instance_profile.as_deref(),
        Some("arn:aws:iam::123456789012:instance-profile/good-instance-profile")
    );
    assert_eq!(good.security_group_ids, [moto.str("good_sg")]);
    assert_eq!(good.state, InstanceState::Running);
    assert_eq!(instance("no_profile").instance_profile, None);
    // A group attached only to the network interface is the instance's group.
    assert_eq!(
        instance("eni_instance").security_group_ids,
        [moto.str("eni_only")]
    );
    // Managed instances with their ping status (the emulator derives it from the profile).
    let managed: BTreeMap<&str, &str> = collected(&r1.managed_instances, "managed instances")
        .iter()
        .map(|m| (m.instance_id.as_str(), m.ping_status.as_str()))
        .collect();
    assert_eq!(
        managed,
        BTreeMap::from([
            (moto.str("good_instance").as_str(), "Online"),
            (moto.str("public_keyed").as_str(), "Online"),
            (moto.str("eni_instance").as_str(), "Online"),
            (moto.str("lost_agent").as_str(), "ConnectionLost"),
        ])
    );
    // Launch templates: the default version's data of each.
    let templates = collected(&r1.launch_templates, "launch templates");
    let bad = templates
        .iter()
        .find(|t| t.id == moto.str("lt_bad"))
        .unwrap();
    assert_eq!(bad.key_name.as_deref(), Some("legacy-key"));
    assert_eq!(bad.associate_public_ip_address, Some(true));
    assert_eq!(bad.default_version, Some(1));
    assert_eq!(bad.security_group_ids, [moto.str("managed_bad_sg")]);
    let good = templates
        .iter()
        .find(|t| t.id == moto.str("lt_good"))
        .unwrap();
    assert_eq!(good.key_name, None);
    assert_eq!(good.associate_public_ip_address, None);
    assert_eq!(
        good.instance_profile.as_deref(),
        Some("good-instance-profile")
    );
}

fn check_session_documents(management: &Account, member: &Account) {
    let r1 = region(management, "us-east-1");
    let documents = collected(&r1.ssm_documents, "documents");
    let doc = |name: &str| documents.iter().find(|d| d.name == name).unwrap();
    assert_eq!(
        names(documents, |d| &d.name),
        set(&[
            "SSM-SessionManagerRunShell",
            "good-custom-session",
            "bad-custom-session",
            "public-command",
            "shared-command",
        ])
    );
    let preferences = doc("SSM-SessionManagerRunShell");
    assert!(preferences.is_preferences());
    assert_eq!(preferences.owner, DocumentOwner::Account);
    assert_eq!(preferences.document_type, "Session");
    assert_eq!(preferences.session_type.as_deref(), Some("Standard_Stream"));
    let inputs = preferences.inputs.as_ref().unwrap();
    assert_eq!(
        inputs.s3_bucket_name.as_deref(),
        Some("nobastion-session-logs")
    );
    assert_eq!(inputs.s3_encryption_enabled, Some(true));
    assert_eq!(
        inputs.cloudwatch_log_group_name.as_deref(),
        Some("/ssm/sessions")
    );
    assert_eq!(inputs.kms_key_id.as_deref(), Some("alias/session-data"));
    assert_eq!(
        inputs.idle_session_timeout,
        Some(20),
        "normalized from the string \"20\""
    );
    assert_eq!(inputs.max_session_duration, Some(60));
    assert_eq!(inputs.run_as_enabled, Some(true));
    assert!(preferences.content.is_some());
    assert!(preferences.unknown.is_empty(), "{:?}", preferences.unknown);
    // A YAML session document is parsed like a JSON one.
    let yaml = doc("good-custom-session");
    assert_eq!(yaml.inputs.as_ref().unwrap().idle_session_timeout, Some(15));
    let bad = doc("bad-custom-session");
    assert_eq!(bad.session_type.as_deref(), Some("InteractiveCommands"));
    assert_eq!(
        bad.inputs.as_ref().unwrap().s3_encryption_enabled,
        Some(false)
    );
    assert_eq!(bad.inputs.as_ref().unwrap().cloudwatch_log_group_name, None);
    // Sharing, for every document type; content only for session documents.
    assert!(doc("public-command").is_public());
    assert_eq!(doc("public-command").document_type, "Command");
    assert_eq!(doc("public-command").inputs, None);
    assert_eq!(doc("public-command").content, None);
    assert_eq!(doc("shared-command").shared_with, ["111122223333"]);
    assert!(preferences.shared_with.is_empty());
    // The block-public-sharing setting per region.
    let sharing = |account: &Account, name: &str| {
        collected(&region(account, name).ssm_settings, "settings").public_sharing_enabled
    };
    assert!(!sharing(management, "us-east-1"));
    assert!(sharing(management, "eu-west-1"));
    assert!(!sharing(member, "eu-west-1"));
    // The other regions' preferences.
    let r2_inputs = collected(
        &region(management, "eu-west-1").ssm_documents,
        "r2 documents",
    )[0]
    .inputs
    .clone()
    .unwrap();
    assert_eq!(r2_inputs.s3_encryption_enabled, Some(false));
    assert_eq!(r2_inputs.kms_key_id, None, "an empty string means not set");
    assert_eq!(r2_inputs.run_as_enabled, Some(false));
    assert_eq!(r2_inputs.idle_session_timeout, Some(60));
    assert_eq!(r2_inputs.max_session_duration, None);
    let r3_inputs = collected(&region(management, "eu-central-1").ssm_documents, "r3")[0]
        .inputs
        .clone()
        .unwrap();
    assert_eq!(
        (
            r3_inputs.s3_bucket_name,
            r3_inputs.cloudwatch_log_group_name
        ),
        (None, None)
    );
    // The member's eu-west-1: a managed instance and no preferences document.
    let member_r2 = region(member, "eu-west-1");
    assert!(collected(&member_r2.ssm_documents, "member r2 documents").is_empty());
    assert_eq!(
        collected(&member_r2.managed_instances, "member managed").len(),
        1
    );
}

fn check_keys_logs_and_alerting(management: &Account, member: &Account, moto: &moto::Moto) {
    let r1 = region(management, "us-east-1");
    // Only the keys the checks need: the session-data key and the session-log key (named by
    // the bucket and the log group); resolved with their aliases and manager.
    let keys = collected(&r1.kms_keys, "kms keys");
    let aliases: BTreeMap<&str, Vec<&str>> = keys
        .iter()
        .map(|k| {
            (
                k.id.as_str(),
                k.aliases.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        aliases,
        BTreeMap::from([
            (moto.str("logs_key_id").as_str(), vec!["alias/session-logs"]),
            (moto.str("data_key_id").as_str(), vec!["alias/session-data"]),
        ])
    );
    for key in keys {
        assert_eq!(key.key_manager, KeyManager::Customer);
        assert_eq!(key.key_state.as_deref(), Some("Enabled"));
        assert!(key.is_named_by(key.arn.as_deref().unwrap()));
        assert!(key.unknown.is_empty());
    }
    let r3_keys = collected(&region(management, "eu-central-1").kms_keys, "r3 keys");
    assert_eq!(r3_keys.len(), 1);
    assert_eq!(r3_keys[0].id, moto.str("central_key_id"));
    assert!(collected(&region(management, "eu-west-1").kms_keys, "r2 keys").is_empty());
    // Log groups with key and retention.
    let groups = collected(&r1.log_groups, "log groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name, "/ssm/sessions");
    assert_eq!(groups[0].retention_days, Some(365));
    assert_eq!(
        groups[0].kms_key_id.as_deref(),
        Some(moto.str("logs_key_arn").as_str())
    );
    let r2 = region(management, "eu-west-1");
    let r2_groups = collected(&r2.log_groups, "r2 log groups");
    let eu = r2_groups
        .iter()
        .find(|g| g.name == "/ssm/eu-sessions")
        .unwrap();
    assert_eq!((eu.retention_days, eu.kms_key_id.as_deref()), (None, None));
    // The metric-filter route to alerting.
    let filter = &collected(&r2.metric_filters, "metric filters")[0];
    assert_eq!(filter.log_group_name, "cloudtrail-events");
    assert!(filter.pattern.contains("StartSession"));
    assert_eq!(filter.metrics[0].name, "StartSession");
    let alarm = &collected(&r2.alarms, "alarms")[0];
    assert_eq!(alarm.metric.as_ref().unwrap().namespace, "Security");
    assert!(alarm.actions_enabled);
    assert_eq!(alarm.alarm_actions.len(), 1);
    // The multi-region trail appears, with its status, in every region of the account; the
    // regional one only in its region.
    for region in &management.regions {
        let trails = collected(&region.trails, "trails");
        let expected = if region.name == "eu-west-1" { 2 } else { 1 };
        assert_eq!(trails.len(), expected, "{}", region.name);
        let trail = trails
            .iter()
            .find(|t| t.arn.as_deref() == Some(moto.str("trail_arn").as_str()))
            .unwrap();
        assert_eq!(trail.arn.as_deref(), Some(moto.str("trail_arn").as_str()));
        assert!(trail.is_multi_region);
        assert_eq!(trail.home_region.as_deref(), Some("us-east-1"));
        assert_eq!(trail.is_logging, Some(true));
        assert!(trail.records_write_management_events());
    }
    let regional = collected(&region(management, "eu-west-1").trails, "eu trails")
        .iter()
        .find(|t| t.name == "eu-security")
        .unwrap();
    assert!(!regional.is_multi_region);
    assert_eq!(regional.is_logging, Some(true));
    assert!(
        regional
            .cloudwatch_logs_log_group_arn
            .as_deref()
            .unwrap()
            .contains("log-group:cloudtrail-events")
    );
    let member_trail = &collected(&region(member, "us-east-1").trails, "member trails")[0];
    assert_eq!(member_trail.is_logging, Some(false));
    assert!(!member_trail.is_multi_region);
    assert!(collected(&region(member, "eu-west-1").trails, "member r2 trails").is_empty());
    // EventBridge: pattern parsed, targets read; a scheduled rule's targets are unknown.
    let rules = collected(&r1.event_rules, "event rules");
    let alert = rules
        .iter()
        .find(|r| r.name == "start-session-alert")
        .unwrap();
    assert!(alert.is_enabled());
    assert_eq!(
        alert.event_pattern.as_ref().unwrap()["source"][0],
        "aws.ssm"
    );
    assert_eq!(alert.targets.len(), 1);
    let nightly = rules.iter().find(|r| r.name == "nightly").unwrap();
    assert_eq!(nightly.event_pattern, None);
    assert!(nightly.unknown.contains_key("targets"));
    let untargeted = &collected(&region(member, "us-east-1").event_rules, "member rules")[0];
    assert!(untargeted.targets.is_empty());
    assert!(untargeted.unknown.is_empty());
}
