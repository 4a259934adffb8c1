//! docs/permissions.md is consistent with itself and with the collectors' source: the policy
//! grants exactly the actions the operation table needs, all of them read-only, and every
//! operation the collectors name in their code is in the table. (The live-scan tests check
//! the calls actually made against the same page.)

#[path = "support/permissions.rs"]
mod permissions;

use std::collections::BTreeSet;

#[test]
fn the_policy_grants_exactly_the_documented_actions_and_only_reads() {
    let permissions = permissions::load();
    let needed: BTreeSet<&str> = permissions
        .operations
        .values()
        .map(String::as_str)
        .collect();
    let granted: BTreeSet<&str> = permissions
        .policy_actions
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(needed, granted, "policy and operation table disagree");
    for (operation, action) in &permissions.operations {
        assert!(
            permissions::is_read_only_name(operation),
            "{operation} is not read-only"
        );
        assert!(
            permissions::is_read_only_name(action),
            "{action} is not read-only"
        );
    }
}

#[test]
fn every_operation_the_collectors_name_is_documented() {
    let permissions = permissions::load();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/collect");
    let mut named = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        // Unit tests mention actions inside policy documents; only product code counts.
        let source = source.split("#[cfg(test)]").next().unwrap_or_default();
        // Operation labels are string literals such as "ec2:DescribeVpcs".
        for literal in source.split('"').skip(1).step_by(2) {
            let Some((service, operation)) = literal.split_once(':') else {
                continue;
            };
            let is_label = !service.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && operation.len() > 3
                && operation.bytes().all(|b| b.is_ascii_alphanumeric())
                && operation.starts_with(|c: char| c.is_ascii_uppercase());
            if is_label {
                named.insert(literal.to_owned());
            }
        }
    }
    assert!(named.len() > 30, "found only {named:?}");
    for operation in &named {
        assert!(
            permissions.operations.contains_key(operation),
            "src/collect names {operation}, which docs/permissions.md does not list"
        );
    }
}
