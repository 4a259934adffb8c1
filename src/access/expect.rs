//! Intended access, as a small YAML file, and the grants of the map that break it (the
//! IAM010 rule, `nobastion access --expect`). docs/access.md describes the format:
//!
//! ```yaml
//! # Only the ops roles may open shells on production; nobody may port-forward or SSH there.
//! - name: prod shells for ops only
//!   instances: {tags: {Env: prod}}
//!   allow:
//!     principals: ["arn:aws:iam::*:role/ops-*"]
//!     paths: [shell]
//! - instances: {tags: {Env: prod}}
//!   deny: {paths: [port-forwarding, ssh]}
//! ```
//!
//! A cell (principal, instance, path) is judged by the rules whose `instances` select the
//! instance: a `deny` that covers the principal and path makes it unexpected; otherwise, if
//! any of those rules has an `allow`, the cell must match one of them (an allowlist per
//! instance: paths and principals not listed are unexpected); an instance no `allow`
//! selects has no allowlist. Principals are ARN globs (`*` spans `/`); tag values, ids,
//! accounts and regions are globs too.
//!
//! Every error names the file, line and column (unknown keys, unknown path names, invalid
//! globs, a rule with neither `allow` nor `deny`), because a typo in a file that gates CI
//! must not quietly allow everything.

use std::fmt::Write as _;
use std::path::Path as FsPath;

use globset::{Glob, GlobMatcher};
use serde::Serialize;

use super::{Access, AccessMap, Cell, Instance, Path, Principal};
use crate::json::{LineIndex, Member, Node, Value};

/// Why an expectation file cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
}

/// A glob with its text.
#[derive(Debug, Clone)]
struct Pattern {
    raw: String,
    matcher: GlobMatcher,
}

impl Pattern {
    fn matches(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

/// Which instances a rule speaks about; every given criterion must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    /// Tag key (exact) → value globs (any may match).
    tags: Vec<(String, Vec<Pattern>)>,
    ids: Vec<Pattern>,
    accounts: Vec<Pattern>,
    regions: Vec<Pattern>,
}

impl Selector {
    pub fn matches(&self, instance: &Instance) -> bool {
        let any =
            |list: &[Pattern], text: &str| list.is_empty() || list.iter().any(|p| p.matches(text));
        any(&self.ids, &instance.id)
            && any(&self.accounts, &instance.account)
            && any(&self.regions, &instance.region)
            && self.tags.iter().all(|(key, values)| {
                instance
                    .tags
                    .get(key)
                    .is_some_and(|v| values.iter().any(|p| p.matches(v)))
            })
    }

    /// `instances tagged Env=prod in eu-west-1`, or `every instance`.
    pub fn describe(&self) -> String {
        let join = |list: &[Pattern]| {
            list.iter()
                .map(|p| p.raw.as_str())
                .collect::<Vec<_>>()
                .join("|")
        };
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            let tags: Vec<String> = self
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={}", join(v)))
                .collect();
            parts.push(format!("tagged {}", tags.join(", ")));
        }
        if !self.ids.is_empty() {
            parts.push(format!("with id {}", join(&self.ids)));
        }
        if !self.accounts.is_empty() {
            parts.push(format!("in account {}", join(&self.accounts)));
        }
        if !self.regions.is_empty() {
            parts.push(format!("in {}", join(&self.regions)));
        }
        if parts.is_empty() {
            "every instance".to_owned()
        } else {
            format!("instances {}", parts.join(" "))
        }
    }
}

/// Principals and paths of an `allow` or `deny` (empty: all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grant {
    principals: Vec<Pattern>,
    paths: Vec<Path>,
}

impl Grant {
    fn covers(&self, principal: &str, path: Path) -> bool {
        (self.principals.is_empty() || self.principals.iter().any(|p| p.matches(principal)))
            && (self.paths.is_empty() || self.paths.contains(&path))
    }

    fn describe_principals(&self) -> String {
        if self.principals.is_empty() {
            "anyone".to_owned()
        } else {
            self.principals
                .iter()
                .map(|p| p.raw.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    fn describe_paths(&self) -> String {
        if self.paths.is_empty() {
            "any path".to_owned()
        } else {
            let names: Vec<&str> = self.paths.iter().map(|p| p.as_str()).collect();
            match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last}", rest.join(", "))
                }
                _ => names.join(""),
            }
        }
    }
}

/// One rule of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectRule {
    /// 1-based position in the file.
    pub number: usize,
    pub line: u32,
    pub name: Option<String>,
    pub instances: Selector,
    pub allow: Option<Grant>,
    pub deny: Option<Grant>,
}

impl ExpectRule {
    /// `rule 2 "prod shells" (access.yaml:7)`.
    pub fn label(&self, file: &str) -> String {
        let mut out = format!("rule {}", self.number);
        if let Some(name) = &self.name {
            let _ = write!(out, " \"{name}\"");
        }
        let _ = write!(out, " ({file}:{})", self.line);
        out
    }
}

/// The parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectations {
    /// The file, as given (for messages).
    pub path: String,
    pub rules: Vec<ExpectRule>,
    /// The file's text as read (the evidence bundle keeps it).
    pub text: String,
}

/// How the expectations judge one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement<'e> {
    Expected,
    /// No rule selects the instance, or no allowlist applies and no deny covers the cell.
    Unconstrained,
    Unexpected {
        rule: &'e ExpectRule,
        why: String,
    },
}

/// A grant the expectations do not allow.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub instance: String,
    pub instance_arn: String,
    pub principal: String,
    pub path: Path,
    pub access: Access,
    pub via: Vec<String>,
    /// Residual conditions (allowed if …), for conditional grants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    /// The rule it breaks (1-based) and where it is.
    pub rule: usize,
    pub rule_line: u32,
    pub message: String,
    #[serde(skip)]
    pub cell: Cell,
}

impl Expectations {
    pub fn load(path: &FsPath) -> Result<Expectations, ExpectError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ExpectError::Io {
            path: display.clone(),
            source,
        })?;
        Expectations::parse(&text, &display)
    }

    /// Parses expectation YAML; `path` is used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Expectations, ExpectError> {
        let index = LineIndex::new(text);
        let invalid = |offset: usize, message: String| {
            let p = index.position(offset);
            ExpectError::Invalid {
                path: path.to_owned(),
                line: p.line,
                column: p.column,
                message,
            }
        };
        let document =
            crate::ingest::yaml::parse(text, &index).map_err(|e| ExpectError::Invalid {
                path: path.to_owned(),
                line: e.line.max(1),
                column: e.column.max(1),
                message: e.message,
            })?;
        if document.more_documents {
            return Err(invalid(
                text.len(),
                "more than one YAML document: expected one list of rules".to_owned(),
            ));
        }
        let root = &document.root;
        let list = match &root.value {
            Value::Array(items) => items.as_slice(),
            Value::Object(_) => {
                check_keys(root, &["version", "rules"], "the file", &invalid)?;
                if let Some(version) = root.get("version")
                    && version.scalar_text().as_deref() != Some("1")
                {
                    return Err(invalid(
                        version.offset(),
                        "unsupported version: this nobastion reads version 1".to_owned(),
                    ));
                }
                let rules = root.get("rules").ok_or_else(|| {
                    invalid(root.offset(), "missing `rules`: a list of rules".to_owned())
                })?;
                rules.items().ok_or_else(|| {
                    invalid(
                        rules.offset(),
                        format!("`rules` must be a list, found {}", rules.type_name()),
                    )
                })?
            }
            _ => {
                return Err(invalid(
                    root.offset(),
                    format!(
                        "expected a list of rules (or a mapping with `rules:`), found {}",
                        root.type_name()
                    ),
                ));
            }
        };
        let mut rules = Vec::with_capacity(list.len());
        for (i, node) in list.iter().enumerate() {
            rules.push(parse_rule(node, i + 1, &index, &invalid)?);
        }
        Ok(Expectations {
            path: path.to_owned(),
            rules,
            text: text.to_owned(),
        })
    }

    /// How the rules judge a cell (see the module doc).
    pub fn judge(&self, map: &AccessMap, cell: &Cell) -> Judgement<'_> {
        let instance = map.instance(cell);
        let principal = &map.principal(cell).arn;
        let applicable: Vec<&ExpectRule> = self
            .rules
            .iter()
            .filter(|r| r.instances.matches(instance))
            .collect();
        for rule in &applicable {
            if let Some(deny) = &rule.deny
                && deny.covers(principal, cell.path)
            {
                let mut why = format!(
                    "{} denies {}",
                    rule.label(&self.path),
                    deny.describe_paths()
                );
                if !deny.principals.is_empty() {
                    let _ = write!(why, " to {}", deny.describe_principals());
                }
                if rule.instances != Selector::default() {
                    let _ = write!(why, " on {}", rule.instances.describe());
                }
                return Judgement::Unexpected { rule, why };
            }
        }
        let allows: Vec<&ExpectRule> = applicable
            .iter()
            .copied()
            .filter(|r| r.allow.is_some())
            .collect();
        let Some(first) = allows.first() else {
            return Judgement::Unconstrained;
        };
        if allows
            .iter()
            .filter_map(|r| r.allow.as_ref())
            .any(|a| a.covers(principal, cell.path))
        {
            return Judgement::Expected;
        }
        let allowed: Vec<String> = allows
            .iter()
            .filter_map(|r| {
                r.allow
                    .as_ref()
                    .map(|a| format!("{} ({})", a.describe_principals(), a.describe_paths()))
            })
            .collect();
        Judgement::Unexpected {
            rule: first,
            why: format!(
                "{} allows only {} on {}",
                first.label(&self.path),
                allowed.join("; and "),
                first.instances.describe()
            ),
        }
    }

    /// Every cell of the map the expectations do not allow.
    pub fn violations(&self, map: &AccessMap) -> Vec<Violation> {
        let mut explainer = map.explainer();
        let mut out = Vec::new();
        for cell in &map.cells {
            let Judgement::Unexpected { rule, why } = self.judge(map, cell) else {
                continue;
            };
            let instance = map.instance(cell);
            let principal: &Principal = map.principal(cell);
            let via: Vec<String> = map.via(cell).into_iter().map(str::to_owned).collect();
            let conditions = if cell.access == Access::Allowed {
                None
            } else {
                explainer.explain(cell).conditions()
            };
            let mut message = format!(
                "{} can get {} access to {}",
                principal.short(),
                cell.path,
                instance.label()
            );
            if instance.tags_known && !instance.tags.is_empty() {
                let _ = write!(message, " [{}]", instance.tags_label());
            }
            let _ = write!(message, " via {}", via.join(", "));
            match (cell.access, &conditions) {
                (Access::Conditional, Some(c)) => {
                    let _ = write!(message, " ({c})");
                }
                (Access::Indeterminate, Some(c)) => {
                    let _ = write!(message, " (cannot decide: {c})");
                }
                _ => {}
            }
            let entry = principal.entry_points();
            if !entry.is_empty() {
                let _ = write!(message, "; reachable from {}", entry.join("; "));
            }
            let _ = write!(message, ": not expected, {why}");
            out.push(Violation {
                instance: instance.id.clone(),
                instance_arn: instance.arn.clone(),
                principal: principal.arn.clone(),
                path: cell.path,
                access: cell.access,
                via,
                conditions,
                rule: rule.number,
                rule_line: rule.line,
                message,
                cell: *cell,
            });
        }
        out
    }
}

type Invalid<'f> = dyn Fn(usize, String) -> ExpectError + 'f;

fn check_keys(
    node: &Node<'_>,
    allowed: &[&str],
    what: &str,
    invalid: &Invalid<'_>,
) -> Result<(), ExpectError> {
    let Some(members) = node.members() else {
        return Err(invalid(
            node.offset(),
            format!("{what} must be a mapping, found {}", node.type_name()),
        ));
    };
    let mut seen: Vec<&str> = Vec::new();
    for Member { key, value } in members {
        if !allowed.contains(&key.as_ref()) {
            return Err(invalid(
                value.offset(),
                format!(
                    "unknown key `{key}` in {what}; expected one of: {}",
                    allowed.join(", ")
                ),
            ));
        }
        if seen.contains(&key.as_ref()) {
            return Err(invalid(
                value.offset(),
                format!("`{key}` is given twice in {what}"),
            ));
        }
        seen.push(key);
    }
    Ok(())
}

/// A string or a list of strings.
fn strings<'n>(
    node: &'n Node<'_>,
    what: &str,
    invalid: &Invalid<'_>,
) -> Result<Vec<(usize, std::borrow::Cow<'n, str>)>, ExpectError> {
    let items: Vec<&Node<'_>> = match &node.value {
        Value::Array(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for item in items {
        let Some(text) = item.scalar_text() else {
            return Err(invalid(
                item.offset(),
                format!(
                    "{what} must be text (or a list of texts), found {}",
                    item.type_name()
                ),
            ));
        };
        out.push((item.offset(), text));
    }
    Ok(out)
}

fn patterns(
    node: &Node<'_>,
    what: &str,
    invalid: &Invalid<'_>,
) -> Result<Vec<Pattern>, ExpectError> {
    strings(node, what, invalid)?
        .into_iter()
        .map(|(offset, text)| {
            Glob::new(&text)
                .map(|g| Pattern {
                    raw: text.to_string(),
                    matcher: g.compile_matcher(),
                })
                .map_err(|e| {
                    invalid(
                        offset,
                        format!("{what}: `{text}` is not a valid glob: {}", e.kind()),
                    )
                })
        })
        .collect()
}

fn parse_selector(node: &Node<'_>, invalid: &Invalid<'_>) -> Result<Selector, ExpectError> {
    check_keys(
        node,
        &["tags", "ids", "accounts", "regions"],
        "`instances`",
        invalid,
    )?;
    let mut selector = Selector::default();
    if let Some(tags) = node.get("tags") {
        let Some(members) = tags.members() else {
            return Err(invalid(
                tags.offset(),
                format!(
                    "`tags` must be a mapping of tag key to value, found {}",
                    tags.type_name()
                ),
            ));
        };
        for Member { key, value } in members {
            selector.tags.push((
                key.to_string(),
                patterns(value, &format!("tag `{key}`"), invalid)?,
            ));
        }
    }
    if let Some(ids) = node.get("ids") {
        selector.ids = patterns(ids, "`ids`", invalid)?;
    }
    if let Some(accounts) = node.get("accounts") {
        selector.accounts = patterns(accounts, "`accounts`", invalid)?;
    }
    if let Some(regions) = node.get("regions") {
        selector.regions = patterns(regions, "`regions`", invalid)?;
    }
    Ok(selector)
}

fn parse_grant(node: &Node<'_>, what: &str, invalid: &Invalid<'_>) -> Result<Grant, ExpectError> {
    check_keys(node, &["principals", "paths"], what, invalid)?;
    let mut grant = Grant::default();
    if let Some(principals) = node.get("principals") {
        grant.principals = patterns(principals, "`principals`", invalid)?;
    }
    if let Some(paths) = node.get("paths") {
        for (offset, name) in strings(paths, "`paths`", invalid)? {
            if name == "*" || name == "all" {
                grant.paths.clear();
                break;
            }
            let Some(path) = Path::parse(&name) else {
                let names: Vec<&str> = Path::ALL.iter().map(|p| p.as_str()).collect();
                return Err(invalid(
                    offset,
                    format!(
                        "unknown path `{name}`; expected one of: {}, or all",
                        names.join(", ")
                    ),
                ));
            };
            if !grant.paths.contains(&path) {
                grant.paths.push(path);
            }
        }
    }
    Ok(grant)
}

fn parse_rule(
    node: &Node<'_>,
    number: usize,
    index: &LineIndex<'_>,
    invalid: &Invalid<'_>,
) -> Result<ExpectRule, ExpectError> {
    check_keys(
        node,
        &["name", "instances", "allow", "deny"],
        &format!("rule {number}"),
        invalid,
    )?;
    let name = match node.get("name") {
        Some(n) => Some(
            n.scalar_text()
                .ok_or_else(|| {
                    invalid(
                        n.offset(),
                        format!("`name` must be text, found {}", n.type_name()),
                    )
                })?
                .into_owned(),
        ),
        None => None,
    };
    let instances = match node.get_some("instances") {
        Some(selector) => parse_selector(selector, invalid)?,
        None => Selector::default(),
    };
    let allow = node
        .get_some("allow")
        .map(|g| parse_grant(g, "`allow`", invalid))
        .transpose()?;
    let deny = node
        .get_some("deny")
        .map(|g| parse_grant(g, "`deny`", invalid))
        .transpose()?;
    if allow.is_none() && deny.is_none() {
        return Err(invalid(
            node.offset(),
            format!("rule {number} has neither `allow` nor `deny`: it would expect nothing"),
        ));
    }
    Ok(ExpectRule {
        number,
        line: index.position(node.offset()).line,
        name,
        instances,
        allow,
        deny,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# intended access
- name: prod shells for ops
  instances: {tags: {Env: prod}}
  allow:
    principals: [\"arn:aws:iam::*:role/ops-*\"]
    paths: [shell]
- instances:
    tags: {Env: prod}
  deny: {paths: [port-forwarding, ssh]}
";

    #[test]
    fn parses_rules_with_lines() {
        let e = Expectations::parse(FILE, "access.yaml").unwrap();
        assert_eq!(e.rules.len(), 2);
        assert_eq!(e.rules[0].line, 2);
        assert_eq!(e.rules[1].line, 7);
        assert_eq!(
            e.rules[0].label("access.yaml"),
            "rule 1 \"prod shells for ops\" (access.yaml:2)"
        );
        assert_eq!(
            e.rules[1].deny.as_ref().unwrap().paths,
            [Path::PortForwarding, Path::Ssh]
        );
        assert_eq!(e.rules[0].instances.describe(), "instances tagged Env=prod");
        let wrapped = Expectations::parse("version: 1\nrules:\n  - deny: {}\n", "a.yaml").unwrap();
        assert_eq!(wrapped.rules.len(), 1);
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let cases = [
            (
                "- instances: {tagz: {Env: prod}}\n  deny: {}\n",
                "a.yaml:1:",
                "unknown key `tagz`",
            ),
            (
                "- deny: {paths: [shell, shel]}\n",
                "a.yaml:1:25",
                "unknown path `shel`",
            ),
            ("- name: x\n", "a.yaml:1:3", "neither `allow` nor `deny`"),
            (
                "- allow: {principals: [\"arn:[\"]}\n",
                "a.yaml:1:",
                "not a valid glob",
            ),
            ("- deny: {}\n  deny: {}\n", "a.yaml:2:", "given twice"),
            ("rules: 3\n", "a.yaml:1:8", "must be a list"),
            (
                "version: 2\nrules: []\n",
                "a.yaml:1:10",
                "unsupported version",
            ),
            ("- [unclosed\n", "a.yaml:", ""),
            ("", "a.yaml:1:1", "empty"),
        ];
        for (text, at, message) in cases {
            let err = Expectations::parse(text, "a.yaml").unwrap_err().to_string();
            assert!(
                err.starts_with(at) && err.contains(message),
                "{text:?}: {err}"
            );
        }
    }
}
