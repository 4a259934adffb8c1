//! Tests of the Terraform plan ingester: unknown values, reference following through
//! modules, variables and `count`, and what is left out.

use serde_json::{Value as JsonValue, json};

use crate::ingest::ingest_bytes;
use crate::model::{Account, Snapshot};

/// A resource change creating `address` with `after` and `after_unknown`.
fn create(address: &str, after: &JsonValue, unknown: &JsonValue) -> JsonValue {
    let mut parts = address.rsplitn(2, '.');
    let name = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    let rtype = rest.rsplit('.').next().unwrap_or_default();
    let module = rest.rsplit_once('.').map(|(m, _)| m.to_owned());
    let (name, index) = match name.split_once('[') {
        Some((n, i)) => (n.to_owned(), Some(i.trim_end_matches(']').to_owned())),
        None => (name.to_owned(), None),
    };
    let mut change = json!({
        "address": address, "mode": "managed", "type": rtype, "name": name,
        "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": unknown}
    });
    if let Some(module) = module {
        change["module_address"] = json!(module);
    }
    if let Some(index) = index {
        change["index"] = serde_json::from_str(&index).unwrap_or(json!(index));
    }
    change
}

fn config(address: &str, expressions: &JsonValue) -> JsonValue {
    let (rtype, name) = address.split_once('.').unwrap();
    json!({"address": address, "mode": "managed", "type": rtype, "name": name, "expressions": expressions})
}

fn ingest(plan: &JsonValue) -> Account {
    let text = serde_json::to_string_pretty(plan).unwrap();
    let (_, snapshot): (_, Snapshot) = ingest_bytes("plan.json", text.as_bytes()).unwrap();
    snapshot.accounts.into_iter().next().unwrap()
}

fn plan(changes: &[JsonValue], root: &JsonValue) -> JsonValue {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
            "root_module": root
        }
    })
}

#[test]
fn unknown_subnet_follows_the_configuration_reference() {
    let account = ingest(&plan(
        &[
            create(
                "aws_subnet.web",
                &json!({"map_public_ip_on_launch": true, "cidr_block": "10.0.1.0/24"}),
                &json!({"id": true, "vpc_id": true}),
            ),
            create(
                "aws_instance.app",
                &json!({"ami": "ami-1", "instance_type": "t3.micro"}),
                &json!({"id": true, "subnet_id": true, "key_name": true, "associate_public_ip_address": true, "public_ip": true}),
            ),
        ],
        &json!({"resources": [
            config("aws_subnet.web", &json!({"map_public_ip_on_launch": {"constant_value": true}, "vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}})),
            config("aws_instance.app", &json!({"ami": {"constant_value": "ami-1"}, "subnet_id": {"references": ["aws_subnet.web.id", "aws_subnet.web"]}})),
        ]}),
    ));
    assert_eq!(account.regions[0].name, "eu-west-1");
    let region = &account.regions[0];
    let instance = &region.instances.as_option().unwrap()[0];
    assert_eq!(instance.subnet_id.as_deref(), Some("aws_subnet.web"));
    assert_eq!(instance.key_name, None, "not configured: no key pair");
    assert_eq!(
        instance.associate_public_ip_address, None,
        "the subnet decides"
    );
    assert!(instance.unknown.is_empty(), "{:?}", instance.unknown);
    let subnet = &region.subnets.as_option().unwrap()[0];
    assert_eq!(subnet.id, "aws_subnet.web");
    // aws_vpc.main is not in the plan: the reference cannot be followed.
    assert_eq!(subnet.unknown["vpc_id"], "known after apply");
    assert_eq!(
        instance.origin.as_ref().unwrap().address.as_deref(),
        Some("aws_instance.app")
    );
}

#[test]
fn references_that_cannot_be_followed_stay_unknown() {
    let account = ingest(&plan(
        &[create(
            "aws_instance.app",
            &json!({}),
            &json!({"subnet_id": true, "key_name": true}),
        )],
        &json!({"resources": [config("aws_instance.app", &json!({
            "subnet_id": {"references": ["local.subnet"]},
            "key_name": {"references": ["aws_key_pair.a.key_name", "aws_key_pair.a", "aws_key_pair.b.key_name", "aws_key_pair.b"]}
        }))]}),
    ));
    let instance = &account.regions[0].instances.as_option().unwrap()[0];
    assert_eq!(instance.subnet_id, None);
    assert_eq!(instance.unknown["subnet_id"], "known after apply");
    assert_eq!(instance.unknown["key_name"], "known after apply");
}

#[test]
fn rules_reach_module_groups_through_outputs_and_variables() {
    let mut p = plan(
        &[
            create(
                "aws_vpc.main",
                &json!({"cidr_block": "10.0.0.0/16"}),
                &json!({"id": true}),
            ),
            create(
                "module.net.aws_security_group.app",
                &json!({"name": "app", "ingress": []}),
                &json!({"id": true, "vpc_id": true, "egress": true}),
            ),
            create(
                "aws_security_group_rule.ssh",
                &json!({"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"], "self": false}),
                &json!({"security_group_id": true}),
            ),
        ],
        &json!({
            "resources": [
                config("aws_vpc.main", &json!({})),
                config("aws_security_group_rule.ssh", &json!({"security_group_id": {"references": ["module.net.group_id", "module.net"]}}))
            ],
            "module_calls": {"net": {
                "source": "./net",
                "expressions": {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}},
                "module": {
                    "outputs": {"group_id": {"expression": {"references": ["aws_security_group.app.id", "aws_security_group.app"]}}},
                    "resources": [config("aws_security_group.app", &json!({"name": {"constant_value": "app"}, "vpc_id": {"references": ["var.vpc_id"]}}))]
                }
            }}
        }),
    );
    p["resource_changes"][1]["module_address"] = json!("module.net");
    let account = ingest(&p);
    let groups = account.regions[0].security_groups.as_option().unwrap();
    assert_eq!(groups.len(), 1, "the rule joined the module's group");
    let group = &groups[0];
    assert_eq!(group.id, "module.net.aws_security_group.app");
    assert_eq!(
        group.vpc_id.as_deref(),
        Some("aws_vpc.main"),
        "through var.vpc_id"
    );
    assert!(group.egress.is_empty(), "egress not configured: none");
    assert!(!group.unknown.contains_key("egress"));
    assert_eq!(group.ingress.len(), 1);
    assert_eq!(
        group.ingress[0].origin.as_ref().unwrap().address.as_deref(),
        Some("aws_security_group_rule.ssh")
    );
}

#[test]
fn count_index_picks_the_instance_with_the_same_key() {
    let account = ingest(&plan(
        &[
            create(
                "aws_subnet.web[0]",
                &json!({"map_public_ip_on_launch": false}),
                &json!({"id": true, "vpc_id": true}),
            ),
            create(
                "aws_subnet.web[1]",
                &json!({"map_public_ip_on_launch": true}),
                &json!({"id": true, "vpc_id": true}),
            ),
            create(
                "aws_instance.app[1]",
                &json!({}),
                &json!({"subnet_id": true}),
            ),
        ],
        &json!({"resources": [
            config("aws_subnet.web", &json!({})),
            config("aws_instance.app", &json!({"subnet_id": {"references": ["aws_subnet.web", "count.index"]}})),
        ]}),
    ));
    let instance = &account.regions[0].instances.as_option().unwrap()[0];
    assert_eq!(instance.id, "aws_instance.app[1]");
    assert_eq!(instance.subnet_id.as_deref(), Some("aws_subnet.web[1]"));
}

#[test]
fn inline_rules_referencing_new_groups_are_matched_to_their_configuration() {
    let account = ingest(&plan(
        &[
            create(
                "aws_security_group.lb",
                &json!({"name": "lb", "ingress": []}),
                &json!({"id": true}),
            ),
            create(
                "aws_security_group.app",
                &json!({"name": "app", "ingress": [
                    {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": [], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [null], "self": false, "description": ""},
                    {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false, "description": ""}
                ]}),
                &json!({"id": true, "egress": true, "ingress": [{"security_groups": [true]}, {}]}),
            ),
        ],
        &json!({"resources": [
            config("aws_security_group.lb", &json!({})),
            config("aws_security_group.app", &json!({"ingress": [
                {"from_port": {"constant_value": 443}, "to_port": {"constant_value": 443}, "protocol": {"constant_value": "tcp"}, "cidr_blocks": {"constant_value": ["0.0.0.0/0"]}},
                {"from_port": {"constant_value": 22}, "to_port": {"constant_value": 22}, "protocol": {"constant_value": "tcp"}, "security_groups": {"references": ["aws_security_group.lb.id", "aws_security_group.lb"]}}
            ]})),
        ]}),
    ));
    let groups = account.regions[0].security_groups.as_option().unwrap();
    let app = groups.iter().find(|g| g.name == "app").unwrap();
    let ssh = &app.ingress[0];
    assert_eq!(ssh.from_port, Some(22));
    assert_eq!(ssh.referenced_groups[0].group_id, "aws_security_group.lb");
    assert!(ssh.unknown.is_empty(), "{:?}", ssh.unknown);
}

#[test]
fn deleted_resources_are_left_out_and_new_format_versions_refused() {
    let mut p = plan(
        &[create(
            "aws_security_group.old",
            &json!({"name": "old"}),
            &json!({}),
        )],
        &json!({"resources": []}),
    );
    p["resource_changes"][0]["change"]["actions"] = json!(["delete"]);
    let account = ingest(&p);
    assert!(
        account.regions[0]
            .security_groups
            .as_option()
            .unwrap()
            .is_empty()
    );

    let text = "{\n  \"format_version\": \"2.0\",\n  \"resource_changes\": []\n}";
    let err = ingest_bytes("future.json", text.as_bytes()).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(
        err.message
            .contains("unsupported Terraform plan format_version \"2.0\""),
        "{err}"
    );
}

#[test]
fn unknown_policies_follow_data_documents_and_keep_positions() {
    let mut p = plan(
        &[
            create(
                "aws_iam_role.app",
                &json!({"name": "app", "assume_role_policy": "{}"}),
                &json!({"arn": true, "inline_policy": true, "managed_policy_arns": true}),
            ),
            create(
                "aws_iam_role_policy.sessions",
                &json!({"name": "sessions"}),
                &json!({"policy": true, "role": true}),
            ),
        ],
        &json!({"resources": [
            config("aws_iam_role.app", &json!({"name": {"constant_value": "app"}})),
            config("aws_iam_role_policy.sessions", &json!({
                "role": {"references": ["aws_iam_role.app.id", "aws_iam_role.app"]},
                "policy": {"references": ["data.aws_iam_policy_document.sessions.json", "data.aws_iam_policy_document.sessions"]}
            })),
        ]}),
    );
    p["prior_state"] = json!({"values": {"root_module": {"resources": [{
        "address": "data.aws_iam_policy_document.sessions", "mode": "data", "type": "aws_iam_policy_document", "name": "sessions",
        "values": {"json": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ssm:StartSession\",\"Resource\":\"*\"}]}"}
    }]}}});
    let text = serde_json::to_string_pretty(&p).unwrap();
    let (_, snapshot) = ingest_bytes("plan.json", text.as_bytes()).unwrap();
    let iam = snapshot.accounts[0].iam.as_option().unwrap();
    let role = &iam.roles[0];
    assert_eq!(role.arn, "aws_iam_role.app", "unknown ARN: the address");
    let inline = &role.inline_policies[0];
    assert_eq!(inline.name, "sessions");
    assert_eq!(
        inline.document.document["Statement"][0]["Action"],
        "ssm:StartSession"
    );
    let at = &inline.document.statement_origins[0];
    let line = text.lines().nth(at.line as usize - 1).unwrap();
    let column_text: String = line.chars().skip(at.column as usize - 1).take(3).collect();
    assert_eq!(
        column_text, "{\\\"",
        "points at the statement inside the json string"
    );
}

/// `self` unknown at plan time means the rule's sources are not fully known, on a separate
/// rule resource as in an inline block (the two share one reader).
#[test]
fn an_unknown_self_flag_leaves_the_referenced_groups_unknown() {
    let group = |name: &str, ingress: &JsonValue| {
        create(
            &format!("aws_security_group.{name}"),
            &json!({"name": name, "ingress": ingress, "egress": []}),
            &json!({"id": true}),
        )
    };
    let rule =
        json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]});
    let p = plan(
        &[
            group("inline", &json!([rule])),
            group("target", &json!([])),
            create(
                "aws_security_group_rule.ssh",
                &json!({"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22,
                        "cidr_blocks": ["10.0.0.0/8"]}),
                &json!({"self": true, "security_group_id": true}),
            ),
        ],
        &json!({"resources": [config(
            "aws_security_group_rule.ssh",
            &json!({"security_group_id": {"references": ["aws_security_group.target.id", "aws_security_group.target"]},
                    "self": {"references": ["var.allow_self"]}}),
        )]}),
    );
    let mut p = p;
    // The inline block's `self` is unknown too.
    p["resource_changes"][0]["change"]["after_unknown"]["ingress"] = json!([{"self": true}]);
    let account = ingest(&p);
    let groups = account.regions[0].security_groups.as_option().unwrap();
    for name in ["inline", "target"] {
        let group = groups
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no group {name}: {groups:?}"));
        assert_eq!(group.ingress.len(), 1, "{name}");
        assert!(
            group.ingress[0].unknown.contains_key("referenced_groups"),
            "{name}: {:?}",
            group.ingress[0].unknown
        );
    }
}
