//! Test support: the minimal IAM policy in docs/permissions.md, read the way a user would
//! copy it (the JSON block), and the table there that maps each API operation the collectors
//! call to the IAM action it needs. Live-scan tests check every operation they saw against
//! both, so the documented policy cannot fall behind the code.

#![allow(dead_code)] // each test file uses a different part

use std::collections::{BTreeMap, BTreeSet};

/// Operations that are allowed although their names do not start with Describe/Get/List.
const READ_ONLY_EXCEPTIONS: &[&str] = &["sts:AssumeRole", "sts:GetCallerIdentity"];

pub(crate) struct Permissions {
    /// Actions in the policy's JSON block.
    pub(crate) policy_actions: BTreeSet<String>,
    /// `service:Operation` (as the collectors log it) → IAM action.
    pub(crate) operations: BTreeMap<String, String>,
}

pub(crate) fn load() -> Permissions {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/permissions.md");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json = text
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("{path} has no ```json policy block"));
    let policy: serde_json::Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("{path}: the policy is not JSON: {e}"));
    let mut policy_actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("Statement array") {
        assert_eq!(
            statement["Effect"], "Allow",
            "{path}: only Allow statements"
        );
        for action in statement["Action"].as_array().expect("Action array") {
            let action = action.as_str().expect("action string");
            assert!(
                !action.contains('*'),
                "{path}: no wildcards in the minimal policy: {action}"
            );
            policy_actions.insert(action.to_owned());
        }
    }
    let mut operations = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `ec2:DescribeVpcs` | `ec2:DescribeVpcs` | ... |
        if cells.len() >= 4
            && cells[1].starts_with('`')
            && cells[2].starts_with('`')
            && cells[1].contains(':')
        {
            let operation = cells[1].trim_matches('`').to_owned();
            let action = cells[2].trim_matches('`').to_owned();
            operations.insert(operation, action);
        }
    }
    assert!(!operations.is_empty(), "{path}: no operation table");
    Permissions {
        policy_actions,
        operations,
    }
}

pub(crate) fn is_read_only_name(operation: &str) -> bool {
    let name = operation
        .split_once(':')
        .map_or(operation, |(_, name)| name);
    READ_ONLY_EXCEPTIONS.contains(&operation)
        || ["Describe", "Get", "List"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Every observed operation is read-only, listed in the table, and its action is in the
/// policy.
pub(crate) fn assert_covered<'a>(observed: impl IntoIterator<Item = &'a str>) {
    let permissions = load();
    let observed: BTreeSet<&str> = observed.into_iter().collect();
    assert!(!observed.is_empty(), "no API calls were observed");
    for operation in observed {
        assert!(
            is_read_only_name(operation),
            "the collectors called {operation}, which is not a read-only operation"
        );
        let action = permissions.operations.get(operation).unwrap_or_else(|| {
            panic!("the collectors called {operation}, which docs/permissions.md does not list")
        });
        assert!(
            permissions.policy_actions.contains(action),
            "{operation} needs {action}, which the policy in docs/permissions.md does not grant"
        );
        assert!(
            is_read_only_name(action),
            "{operation} is documented as needing {action}, which is not a read-only action"
        );
    }
}
