//! Declarative rules: a rule file's `check` selects resources of one snapshot section with an
//! RFC 9535 JSONPath filter (jsonpath-rust) and fails those matching an assertion.
//!
//! ```yaml
//! check:
//!   - resource: instances            # a region section, or `buckets` (account level)
//!     kind: instance                 # resource kind in findings
//!     where: "@.state == 'running' || @.state == 'pending'"
//!     fail_if: "@.key_name"
//!     reads: [key_name]              # unknown fields among these → not assessed
//!     message: "Instance {id} has EC2 key pair `{key_name}`"
//!     arn: "arn:{partition}:ec2:{region}:{account}:instance/{id}"
//! ```
//!
//! A section that was not collected makes the rule not-assessed for that region; a selected
//! resource with an unknown field listed in `reads` is not assessed; the rest pass or fail.

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde::Deserialize;
use serde_json::Value;

use super::{Context, Emitter, RegionScope};
use crate::finding::ResourceRef;
use crate::model::{Account, Gap, Origin, Region, Section, unknown_reason};

/// One `check` entry of a rule file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclarativeCheck {
    resource: String,
    kind: String,
    #[serde(default, rename = "where")]
    filter: Option<String>,
    fail_if: String,
    #[serde(default)]
    reads: Vec<String>,
    message: String,
    #[serde(default)]
    arn: Option<String>,
}

/// A compiled check: JSONPath parsed once.
pub(crate) struct CompiledCheck {
    source: DeclarativeCheck,
    select: JpQuery,
    failing: JpQuery,
    account_level: bool,
}

pub(crate) struct DeclarativeRule {
    checks: Vec<CompiledCheck>,
}

const REGION_SECTIONS: &[&str] = &[
    "vpcs",
    "subnets",
    "route_tables",
    "security_groups",
    "network_acls",
    "prefix_lists",
    "instances",
    "launch_templates",
    "vpc_endpoints",
    "ssm_documents",
    "managed_instances",
    "kms_keys",
    "log_groups",
    "metric_filters",
    "alarms",
    "trails",
    "event_rules",
];
const ACCOUNT_SECTIONS: &[&str] = &["buckets"];

impl DeclarativeRule {
    pub(crate) fn compile(checks: Vec<DeclarativeCheck>) -> Result<Self, String> {
        let mut compiled = Vec::with_capacity(checks.len());
        for check in checks {
            let account_level = ACCOUNT_SECTIONS.contains(&check.resource.as_str());
            if !account_level && !REGION_SECTIONS.contains(&check.resource.as_str()) {
                return Err(format!("unknown resource section `{}`", check.resource));
            }
            let select_text = match &check.filter {
                Some(filter) => format!("$[?{filter}]"),
                None => "$[*]".to_owned(),
            };
            let failing_text = match &check.filter {
                Some(filter) => format!("$[?({filter}) && ({})]", check.fail_if),
                None => format!("$[?{}]", check.fail_if),
            };
            let select = parse_json_path(&select_text)
                .map_err(|e| format!("invalid `where` JSONPath `{select_text}`: {e}"))?;
            let failing = parse_json_path(&failing_text)
                .map_err(|e| format!("invalid `fail_if` JSONPath `{failing_text}`: {e}"))?;
            compiled.push(CompiledCheck {
                source: check,
                select,
                failing,
                account_level,
            });
        }
        Ok(DeclarativeRule { checks: compiled })
    }

    pub(crate) fn run(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for check in &self.checks {
            if check.account_level {
                for account in ctx.accounts() {
                    let items = account_section(account, &check.source.resource);
                    let scope = ScopeNames {
                        account,
                        region: None,
                    };
                    check.run_items(items, &scope, ctx, out);
                }
            } else {
                for scope in ctx.regions() {
                    let items = region_section(scope.region, &check.source.resource);
                    let names = ScopeNames {
                        account: scope.account,
                        region: Some(scope),
                    };
                    check.run_items(items, &names, ctx, out);
                }
            }
        }
    }
}

struct ScopeNames<'a> {
    account: &'a Account,
    region: Option<RegionScope<'a>>,
}

impl CompiledCheck {
    fn run_items(
        &self,
        items: Option<Result<Value, Gap>>,
        scope: &ScopeNames<'_>,
        ctx: &Context<'_>,
        out: &mut Emitter<'_>,
    ) {
        let items = match items {
            None => return,
            Some(Err(gap)) => {
                let resource = match &scope.region {
                    Some(region) => region.scope_ref(),
                    None => ctx.account_ref(scope.account),
                };
                out.not_assessed(
                    resource,
                    format!("{} not collected: {}", self.source.resource, gap.describe()),
                );
                return;
            }
            Some(Ok(items)) => items,
        };
        let selected = indices(&self.select, &items);
        if selected.is_empty() {
            return;
        }
        let failing = indices(&self.failing, &items);
        for index in selected {
            let Some(item) = items.get(index) else {
                continue;
            };
            let resource = self.resource_ref(item, scope, ctx);
            let origin: Option<Origin> = item
                .get("origin")
                .and_then(|o| serde_json::from_value(o.clone()).ok());
            let unknown: crate::model::Unknown = item
                .get("unknown")
                .and_then(|u| serde_json::from_value(u.clone()).ok())
                .unwrap_or_default();
            let blocked = self
                .source
                .reads
                .iter()
                .find_map(|field| unknown_reason(&unknown, field).map(|r| (field, r)));
            if let Some((field, reason)) = blocked {
                out.not_assessed(resource, format!("`{field}` is unknown: {reason}"))
                    .origin(origin.as_ref());
                continue;
            }
            if failing.contains(&index) {
                let message = render(&self.source.message, item, scope);
                out.fail(resource, message)
                    .origin(origin.as_ref())
                    .evidence(evidence_of(item));
            } else {
                out.pass(resource).origin(origin.as_ref());
            }
        }
    }

    fn resource_ref(&self, item: &Value, scope: &ScopeNames<'_>, ctx: &Context<'_>) -> ResourceRef {
        let id = item
            .get("id")
            .or_else(|| item.get("name"))
            .or_else(|| item.get("instance_id"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let address = item
            .get("origin")
            .and_then(|o| o.get("address"))
            .and_then(Value::as_str);
        let mut resource = ResourceRef::new(self.source.kind.clone(), id)
            .in_account(scope.account.id.clone())
            .with_address(address.map(str::to_owned));
        if let Some(region) = &scope.region {
            resource = resource.in_region(region.region.name.clone());
        }
        if let Some(template) = &self.source.arn
            && ctx.arns_are_real()
        {
            resource.arn = Some(render(template, item, scope));
        }
        resource
    }
}

/// The item without bookkeeping fields: what the decision was based on.
fn evidence_of(item: &Value) -> Value {
    let mut evidence = item.clone();
    if let Some(map) = evidence.as_object_mut() {
        map.remove("origin");
        map.remove("unknown");
    }
    evidence
}

fn indices(query: &JpQuery, items: &Value) -> Vec<usize> {
    let Ok(found) = js_path_process(query, items) else {
        return Vec::new();
    };
    found
        .into_iter()
        .filter_map(|r| {
            // Paths look like `$[3]`.
            let path = r.path();
            path.strip_prefix("$[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// Fill `{field.path}` placeholders from the item; `{partition}`, `{account}` and `{region}`
/// come from the scope. Lists are joined with ", "; missing values render as `(none)`.
fn render(template: &str, item: &Value, scope: &ScopeNames<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = &after[..end];
        let value = match key {
            "partition" => scope.account.partition.clone(),
            "account" => scope.account.id.clone(),
            "region" => scope
                .region
                .as_ref()
                .map_or_else(String::new, |r| r.region.name.clone()),
            path => lookup(item, path).map_or_else(|| "(none)".to_owned(), |v| display_value(&v)),
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn lookup(item: &Value, path: &str) -> Option<Value> {
    let mut current = item;
    for part in path.split('.') {
        current = current.get(part)?;
    }
    (!current.is_null()).then(|| current.clone())
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn section_value<T: serde::Serialize>(section: &Section<Vec<T>>) -> Result<Value, Gap> {
    match section {
        Section::Collected(items) => Ok(serde_json::to_value(items).unwrap_or(Value::Null)),
        Section::NotCollected(gap) => Err(gap.clone()),
    }
}

fn region_section(region: &Region, name: &str) -> Option<Result<Value, Gap>> {
    Some(match name {
        "vpcs" => section_value(&region.vpcs),
        "subnets" => section_value(&region.subnets),
        "route_tables" => section_value(&region.route_tables),
        "security_groups" => section_value(&region.security_groups),
        "network_acls" => section_value(&region.network_acls),
        "prefix_lists" => section_value(&region.prefix_lists),
        "instances" => section_value(&region.instances),
        "launch_templates" => section_value(&region.launch_templates),
        "vpc_endpoints" => section_value(&region.vpc_endpoints),
        "ssm_documents" => section_value(&region.ssm_documents),
        "managed_instances" => section_value(&region.managed_instances),
        "kms_keys" => section_value(&region.kms_keys),
        "log_groups" => section_value(&region.log_groups),
        "metric_filters" => section_value(&region.metric_filters),
        "alarms" => section_value(&region.alarms),
        "trails" => section_value(&region.trails),
        "event_rules" => section_value(&region.event_rules),
        _ => return None,
    })
}

fn account_section(account: &Account, name: &str) -> Option<Result<Value, Gap>> {
    match name {
        "buckets" => Some(section_value(&account.buckets)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_section_name_resolves() {
        let region = Region::default();
        for name in REGION_SECTIONS {
            assert!(region_section(&region, name).is_some(), "{name}");
        }
    }

    #[test]
    fn bad_jsonpath_is_a_compile_error() {
        let check: DeclarativeCheck = serde_norway::from_str(
            "resource: instances\nkind: instance\nfail_if: \"@.key_name ==\"\nmessage: m\n",
        )
        .unwrap();
        let err = DeclarativeRule::compile(vec![check]).err().unwrap();
        assert!(err.contains("fail_if"), "{err}");
    }

    #[test]
    fn render_fills_fields_and_scope() {
        let account = Account {
            id: "111122223333".into(),
            partition: "aws".into(),
            ..Account::default()
        };
        let scope = ScopeNames {
            account: &account,
            region: None,
        };
        let item = serde_json::json!({"id": "i-1", "key_name": "ops", "tags": ["a", "b"]});
        assert_eq!(
            render(
                "{id} uses {key_name} in {account} ({tags}) {missing}",
                &item,
                &scope
            ),
            "i-1 uses ops in 111122223333 (a, b) (none)"
        );
    }
}
