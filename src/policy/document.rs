//! Policy documents: the parser for the full policy grammar and the compiled form the
//! evaluator runs on.
//!
//! [`Policy::parse`] accepts a JSON policy object, a JSON string holding one (Terraform
//! plans), URL-encoded text (the IAM API) and the `get-policy-version` wrapper
//! (`{"PolicyVersion": {"Document": ...}}`); every statement keeps its 1-based position.
//! [`Policy::from_value`] takes an already-parsed `serde_json::Value` (no positions; callers
//! that know them, such as the CloudFormation ingester, attach them with
//! [`Policy::set_statement_position`]). Errors name the line, column and reason.
//!
//! Compilation happens here once: action patterns lowercased and indexed by service prefix
//! (so evaluation only looks at statements that can match the action), resource ARNs split
//! and globbed, condition values parsed into numbers, dates, CIDRs and ARN patterns.

use std::fmt;
use std::sync::Arc;

use super::arn::ArnPattern;
use super::condition::{Condition, Operator};
use super::error::{ParseError, ParseErrorKind, Position};
use super::pattern::{Pattern, Syntax, Variable};
use crate::json::{LineIndex, Member, Node, Parser, SyntaxError, Value};

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// The policy language version. Policy variables are substituted only under 2012-10-17;
/// with 2008-10-17 or no Version, `${aws:username}` is literal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    V2012_10_17,
    V2008_10_17,
    Unspecified,
}

/// One action pattern of an `Action`/`NotAction` list.
#[derive(Debug, Clone)]
pub(crate) enum ActionPattern {
    All,
    Service { service: Box<str>, name: Pattern },
}

/// One entry of a `Resource`/`NotResource` list.
#[derive(Debug, Clone)]
pub(crate) enum ResourcePattern {
    All,
    Arn(ArnPattern),
}

/// The `Principal`/`NotPrincipal` element, kept for resource policies (identity-policy
/// evaluation does not consult it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    pub negated: bool,
    /// `"Principal": "*"`.
    pub wildcard: bool,
    /// (type, values), e.g. `("AWS", ["arn:aws:iam::111122223333:root"])`.
    pub entries: Vec<(String, Vec<String>)>,
}

/// A statement of a policy.
#[derive(Debug, Clone)]
pub struct Statement {
    index: usize,
    sid: Option<Arc<str>>,
    position: Option<Position>,
    effect: Effect,
    not_action: bool,
    actions_raw: Vec<Box<str>>,
    pub(crate) actions: Vec<ActionPattern>,
    /// True for `NotResource`.
    not_resource: bool,
    resources_raw: Vec<Box<str>>,
    /// `None` when the statement has neither `Resource` nor `NotResource` (resource policies).
    pub(crate) resources: Option<Vec<ResourcePattern>>,
    principal: Option<PrincipalElement>,
    pub(crate) conditions: Vec<Condition>,
    /// Every policy variable the statement uses (`Resource`, `NotResource`, conditions); if one
    /// cannot be resolved the statement does not apply.
    pub(crate) variables: Vec<Variable>,
}

impl Statement {
    /// 0-based position in the policy's Statement array.
    pub fn index(&self) -> usize {
        self.index
    }

    /// 1-based statement number, as people count ("statement 2").
    pub fn number(&self) -> usize {
        self.index + 1
    }

    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub(crate) fn sid_arc(&self) -> Option<Arc<str>> {
        self.sid.clone()
    }

    /// Where the statement's `{` is (1-based), when known.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// True for `NotAction`.
    pub fn is_not_action(&self) -> bool {
        self.not_action
    }

    /// The `Action` (or `NotAction`) values as written.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.actions_raw.iter().map(|s| &**s)
    }

    /// True for `NotResource`.
    pub fn is_not_resource(&self) -> bool {
        self.not_resource
    }

    /// The `Resource` (or `NotResource`) values as written (empty when the statement has none).
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.resources_raw.iter().map(|s| &**s)
    }

    pub fn principal(&self) -> Option<&PrincipalElement> {
        self.principal.as_ref()
    }

    /// The condition entries as written: (operator, key, values).
    pub fn conditions(&self) -> impl Iterator<Item = (&str, &str, &[Box<str>])> {
        self.conditions
            .iter()
            .map(|c| (&*c.operator_text, &*c.key, c.values.as_slice()))
    }

    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// `statement 2 (Sid StartAnywhere)` or `statement 2`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("statement {} (Sid {sid})", self.number()),
            _ => format!("statement {}", self.number()),
        }
    }

    /// Does the statement's `Action`/`NotAction` element cover the action?
    pub(crate) fn matches_action(&self, service: &str, action_lower: &str) -> bool {
        let hit = self.actions.iter().any(|p| match p {
            ActionPattern::All => true,
            ActionPattern::Service { service: s, name } => {
                **s == *service && name.matches_plain(action_lower)
            }
        });
        hit != self.not_action
    }
}

/// Statement indices by service prefix, so evaluation skips statements whose Action cannot
/// match.
#[derive(Debug, Clone, Default)]
struct ActionIndex {
    /// Sorted by service.
    by_service: Vec<(Box<str>, Vec<u32>)>,
    /// `*` actions and `NotAction` statements: candidates for every action.
    any: Vec<u32>,
}

impl ActionIndex {
    fn build(statements: &[Statement]) -> ActionIndex {
        let mut index = ActionIndex::default();
        for (i, st) in statements.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let wildcard =
                st.not_action || st.actions.iter().any(|a| matches!(a, ActionPattern::All));
            if wildcard {
                index.any.push(i);
                continue;
            }
            for a in &st.actions {
                if let ActionPattern::Service { service, .. } = a {
                    match index.by_service.binary_search_by(|(s, _)| s.cmp(service)) {
                        Ok(pos) => {
                            let list = &mut index.by_service[pos].1;
                            if list.last() != Some(&i) {
                                list.push(i);
                            }
                        }
                        Err(pos) => index.by_service.insert(pos, (service.clone(), vec![i])),
                    }
                }
            }
        }
        index
    }

    fn service(&self, service: &str) -> &[u32] {
        match self
            .by_service
            .binary_search_by(|(s, _)| (**s).cmp(service))
        {
            Ok(pos) => &self.by_service[pos].1,
            Err(_) => &[],
        }
    }
}

/// A parsed, compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    name: Arc<str>,
    source: Option<Arc<str>>,
    version: PolicyVersion,
    id: Option<String>,
    statements: Vec<Statement>,
    index: ActionIndex,
}

impl Policy {
    /// Parses policy text: a JSON object, a JSON string containing the policy, URL-encoded
    /// text, or the `get-policy-version` wrapper. Statement positions are kept (relative to
    /// the decoded text when the policy was nested in a string or URL-encoded).
    pub fn parse(text: &str) -> Result<Policy, ParseError> {
        parse_text(text, 0)
    }

    /// Builds a policy from a parsed JSON value (no positions). A string value is parsed as
    /// policy text (Terraform carries policies as strings).
    pub fn from_value(value: &serde_json::Value) -> Result<Policy, ParseError> {
        if let serde_json::Value::String(text) = value {
            return parse_text(text, 0).map_err(|e| e.decoded_from("JSON-string"));
        }
        compile_document(&Node::from_json(value), None, 0)
    }

    /// Names the policy (used in reasons and statement references).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Records where the policy came from (a file path, an ARN, a template resource).
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Arc<str>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets or overrides the position of statement `index` (0-based). Returns false when
    /// there is no such statement.
    pub fn set_statement_position(&mut self, index: usize, position: Position) -> bool {
        match self.statements.get_mut(index) {
            Some(st) => {
                st.position = Some(position);
                true
            }
            None => false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_arc(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Statements whose Action element may cover an action of `service` (lowercase), in
    /// document order.
    pub(crate) fn candidates<'p>(
        &'p self,
        service: &str,
    ) -> impl Iterator<Item = &'p Statement> + 'p {
        let a = self.index.service(service);
        let b = &self.index.any;
        Merge { a, b, i: 0, j: 0 }.filter_map(move |k| self.statements.get(k as usize))
    }
}

/// Merges two ascending index lists.
struct Merge<'a> {
    a: &'a [u32],
    b: &'a [u32],
    i: usize,
    j: usize,
}

impl Iterator for Merge<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match (self.a.get(self.i), self.b.get(self.j)) {
            (Some(&x), Some(&y)) if x <= y => {
                self.i += 1;
                if x == y {
                    self.j += 1;
                }
                Some(x)
            }
            (_, Some(&y)) => {
                self.j += 1;
                Some(y)
            }
            (Some(&x), None) => {
                self.i += 1;
                Some(x)
            }
            (None, None) => None,
        }
    }
}

const MAX_NESTING: usize = 4;

/// JSON nesting the parser accepts: real policies nest five levels deep (Statement →
/// Condition → operator → key → values); hostile input is refused long before the stack is
/// at risk.
const MAX_JSON_DEPTH: usize = 64;

fn parse_text(text: &str, nesting: usize) -> Result<Policy, ParseError> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if nesting > MAX_NESTING {
        return Err(ParseError::new(
            None,
            ParseErrorKind::NotAPolicy(
                "policy text nested in strings or URL encoding too deeply".into(),
            ),
        ));
    }
    if trimmed.starts_with('%') {
        let decoded = percent_decode(trimmed)
            .map_err(|e| ParseError::new(None, ParseErrorKind::UrlEncoding(e)))?;
        return parse_text(&decoded, nesting + 1).map_err(|e| e.decoded_from("URL-decoded"));
    }
    let node = Parser::new()
        .max_depth(MAX_JSON_DEPTH)
        .parse(text)
        .map_err(|e| syntax_error(text, &e))?;
    if let Value::String(inner) = &node.value {
        return parse_text(inner, nesting + 1).map_err(|e| e.decoded_from("JSON-string"));
    }
    let lines = LineIndex::new(text);
    compile_document(&node, Some(&lines), nesting)
}

/// A JSON syntax error as a policy parse error, with its line and column.
fn syntax_error(text: &str, e: &SyntaxError) -> ParseError {
    let kind = if e.is_empty_document() {
        ParseErrorKind::EmptyDocument
    } else {
        ParseErrorKind::Json(e.message.clone())
    };
    ParseError::new(Some(LineIndex::new(text).position(e.offset).into()), kind)
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.trim_end().as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded text is not UTF-8".to_owned())
}

/// Context for turning node offsets into positions.
struct Ctx<'l> {
    lines: Option<&'l LineIndex<'l>>,
}

impl Ctx<'_> {
    fn pos(&self, offset: usize) -> Option<Position> {
        self.lines.map(|lines| lines.position(offset).into())
    }

    fn err(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::new(self.pos(offset), kind)
    }

    fn wrong_type(&self, node: &Node<'_>, element: &str, expected: &'static str) -> ParseError {
        self.err(
            node.offset(),
            ParseErrorKind::WrongType {
                element: element.to_owned(),
                expected,
                found: type_name(&node.value),
            },
        )
    }
}

/// The JSON type name used in error messages ("expected a string, found an array").
fn type_name(value: &Value<'_>) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn members<'n, 'a>(
    ctx: &Ctx<'_>,
    node: &'n Node<'a>,
    element: &str,
    allowed: &[&str],
    within: &'static str,
    allowed_text: &'static str,
) -> Result<&'n [Member<'a>], ParseError> {
    let Value::Object(members) = &node.value else {
        return Err(ctx.wrong_type(node, element, "an object"));
    };
    for (i, m) in members.iter().enumerate() {
        if !allowed.contains(&&*m.key) {
            return Err(ctx.err(
                m.key_offset(),
                ParseErrorKind::UnknownElement {
                    element: m.key.to_string(),
                    within,
                    allowed: allowed_text,
                },
            ));
        }
        if members[..i].iter().any(|o| o.key == m.key) {
            return Err(ctx.err(
                m.key_offset(),
                ParseErrorKind::DuplicateElement(m.key.to_string()),
            ));
        }
    }
    Ok(members)
}

fn member<'n, 'a>(members: &'n [Member<'a>], key: &str) -> Option<&'n Member<'a>> {
    members.iter().find(|m| m.key == key)
}

fn compile_document(
    node: &Node<'_>,
    lines: Option<&LineIndex<'_>>,
    nesting: usize,
) -> Result<Policy, ParseError> {
    let ctx = Ctx { lines };
    let Value::Object(top) = &node.value else {
        return Err(ctx.err(
            node.offset(),
            ParseErrorKind::NotAPolicy(format!(
                "expected a JSON object, found {}",
                type_name(&node.value)
            )),
        ));
    };
    // The get-policy-version wrapper: descend to the document.
    if member(top, "Statement").is_none()
        && let Some(pv) = member(top, "PolicyVersion")
    {
        if let Value::Object(pv_members) = &pv.value.value
            && let Some(doc) = member(pv_members, "Document")
        {
            return match &doc.value.value {
                Value::String(inner) => {
                    parse_text(inner, nesting + 1).map_err(|e| e.decoded_from("Document-string"))
                }
                _ => compile_document(&doc.value, lines, nesting),
            };
        }
        return Err(ctx.err(
            pv.key_offset(),
            ParseErrorKind::NotAPolicy("PolicyVersion has no Document".into()),
        ));
    }
    let top = members(
        &ctx,
        node,
        "the policy",
        &["Version", "Id", "Statement"],
        "the policy",
        "Version, Id, Statement",
    )?;
    let version = match member(top, "Version") {
        None => PolicyVersion::Unspecified,
        Some(m) => match &m.value.value {
            Value::String(v) if v == "2012-10-17" => PolicyVersion::V2012_10_17,
            Value::String(v) if v == "2008-10-17" => PolicyVersion::V2008_10_17,
            Value::String(v) => {
                return Err(ctx.err(
                    m.value.offset(),
                    ParseErrorKind::UnknownVersion(v.to_string()),
                ));
            }
            _ => return Err(ctx.wrong_type(&m.value, "Version", "a string")),
        },
    };
    let id = match member(top, "Id") {
        None => None,
        Some(m) => match &m.value.value {
            Value::String(v) => Some(v.to_string()),
            _ => return Err(ctx.wrong_type(&m.value, "Id", "a string")),
        },
    };
    let stmt_member = member(top, "Statement")
        .ok_or_else(|| ctx.err(node.offset(), ParseErrorKind::MissingElement("Statement")))?;
    let nodes: Vec<&Node<'_>> = match &stmt_member.value.value {
        Value::Object(_) => vec![&stmt_member.value],
        Value::Array(items) if items.is_empty() => {
            return Err(ctx.err(
                stmt_member.value.offset(),
                ParseErrorKind::Empty("Statement".into()),
            ));
        }
        Value::Array(items) => items.iter().collect(),
        _ => {
            return Err(ctx.wrong_type(
                &stmt_member.value,
                "Statement",
                "an object or an array of objects",
            ));
        }
    };
    let variables = version == PolicyVersion::V2012_10_17;
    let statements = nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| compile_statement(&ctx, n, i, variables))
        .collect::<Result<Vec<_>, _>>()?;
    let index = ActionIndex::build(&statements);
    let name: Arc<str> = id.as_deref().unwrap_or("policy").into();
    Ok(Policy {
        name,
        source: None,
        version,
        id,
        statements,
        index,
    })
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// A string or a non-empty array of strings, with the offset of each.
fn string_list<'n>(
    ctx: &Ctx<'_>,
    node: &'n Node<'_>,
    element: &str,
) -> Result<Vec<(&'n str, usize)>, ParseError> {
    match &node.value {
        Value::String(s) => Ok(vec![(&**s, node.offset())]),
        Value::Array(items) if items.is_empty() => {
            Err(ctx.err(node.offset(), ParseErrorKind::Empty(element.to_owned())))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| match &item.value {
                Value::String(s) => Ok((&**s, item.offset())),
                _ => Err(ctx.wrong_type(item, &format!("each {element} value"), "a string")),
            })
            .collect(),
        _ => Err(ctx.wrong_type(node, element, "a string or an array of strings")),
    }
}

fn compile_statement(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    index: usize,
    variables: bool,
) -> Result<Statement, ParseError> {
    let ms = members(
        ctx,
        node,
        "each statement",
        &STATEMENT_ELEMENTS,
        "a statement",
        "Sid, Effect, Action, NotAction, Resource, NotResource, Principal, NotPrincipal, Condition",
    )?;
    let sid = match member(ms, "Sid") {
        None => None,
        Some(m) => match &m.value.value {
            Value::String(s) => Some(Arc::from(&**s)),
            _ => return Err(ctx.wrong_type(&m.value, "Sid", "a string")),
        },
    };
    let effect = compile_effect(ctx, node, ms)?;
    let (not_action, action_m) =
        one_of(ctx, node, ms, "Action", "NotAction")?.ok_or_else(|| {
            ctx.err(
                node.offset(),
                ParseErrorKind::Exclusive("Action or NotAction"),
            )
        })?;
    let (actions_raw, actions) = compile_actions(ctx, &action_m.value, not_action)?;
    let principal = match one_of(ctx, node, ms, "Principal", "NotPrincipal")? {
        None => None,
        Some((negated, p)) => Some(compile_principal(ctx, &p.value, negated)?),
    };
    let (not_resource, resources_raw, resources) =
        match one_of(ctx, node, ms, "Resource", "NotResource")? {
            Some((negated, m)) => {
                let (raw, list) = compile_resources(ctx, &m.value, negated, variables)?;
                (negated, raw, Some(list))
            }
            // Resource policies (trust policies) may leave the resource implicit.
            None if principal.is_some() => (false, Vec::new(), None),
            None => {
                return Err(ctx.err(
                    node.offset(),
                    ParseErrorKind::Exclusive("Resource or NotResource"),
                ));
            }
        };
    let conditions = match member(ms, "Condition") {
        None => Vec::new(),
        Some(m) => compile_conditions(ctx, &m.value, variables)?,
    };
    let variables = statement_variables(resources.as_deref(), &conditions);
    Ok(Statement {
        index,
        sid,
        position: ctx.pos(node.offset()),
        effect,
        not_action,
        actions_raw,
        actions,
        not_resource,
        resources_raw,
        resources,
        principal,
        conditions,
        variables,
    })
}

fn compile_effect(ctx: &Ctx<'_>, node: &Node<'_>, ms: &[Member<'_>]) -> Result<Effect, ParseError> {
    let effect_m = member(ms, "Effect")
        .ok_or_else(|| ctx.err(node.offset(), ParseErrorKind::MissingElement("Effect")))?;
    match &effect_m.value.value {
        Value::String(s) if s == "Allow" => Ok(Effect::Allow),
        Value::String(s) if s == "Deny" => Ok(Effect::Deny),
        Value::String(s) => Err(ctx.err(
            effect_m.value.offset(),
            ParseErrorKind::UnknownEffect(s.to_string()),
        )),
        _ => Err(ctx.wrong_type(&effect_m.value, "Effect", "a string")),
    }
}

/// At most one of a positive element and its `Not` form: `(negated, member)`.
fn one_of<'n, 'a>(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    ms: &'n [Member<'a>],
    positive: &'static str,
    negative: &'static str,
) -> Result<Option<(bool, &'n Member<'a>)>, ParseError> {
    match (member(ms, positive), member(ms, negative)) {
        (Some(m), None) => Ok(Some((false, m))),
        (None, Some(m)) => Ok(Some((true, m))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => {
            let both = match positive {
                "Action" => "Action or NotAction",
                "Principal" => "Principal or NotPrincipal",
                _ => "Resource or NotResource",
            };
            Err(ctx.err(node.offset(), ParseErrorKind::Exclusive(both)))
        }
    }
}

fn compile_actions(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    negated: bool,
) -> Result<(Vec<Box<str>>, Vec<ActionPattern>), ParseError> {
    let element = if negated { "NotAction" } else { "Action" };
    let mut raw_list = Vec::new();
    let mut actions = Vec::new();
    for (raw, offset) in string_list(ctx, node, element)? {
        actions.push(compile_action(raw).map_err(|reason| {
            ctx.err(
                offset,
                ParseErrorKind::BadAction {
                    action: raw.to_owned(),
                    reason,
                },
            )
        })?);
        raw_list.push(Box::from(raw));
    }
    Ok((raw_list, actions))
}

fn compile_resources(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    negated: bool,
    variables: bool,
) -> Result<(Vec<Box<str>>, Vec<ResourcePattern>), ParseError> {
    let element = if negated { "NotResource" } else { "Resource" };
    let mut raw_list = Vec::new();
    let mut list = Vec::new();
    for (raw, offset) in string_list(ctx, node, element)? {
        let pattern = if !raw.is_empty() && raw.bytes().all(|b| b == b'*') {
            ResourcePattern::All
        } else {
            ResourcePattern::Arn(ArnPattern::compile(raw, variables).map_err(|reason| {
                ctx.err(
                    offset,
                    ParseErrorKind::BadResource {
                        resource: raw.to_owned(),
                        reason,
                    },
                )
            })?)
        };
        list.push(pattern);
        raw_list.push(Box::from(raw));
    }
    Ok((raw_list, list))
}

/// The distinct policy variables of the resource patterns and condition values.
fn statement_variables(
    resources: Option<&[ResourcePattern]>,
    conditions: &[Condition],
) -> Vec<Variable> {
    let mut vars: Vec<Variable> = Vec::new();
    let mut add = |v: &Variable| {
        if !vars
            .iter()
            .any(|o| o.key == v.key && o.default == v.default)
        {
            vars.push(v.clone());
        }
    };
    for r in resources.into_iter().flatten() {
        if let ResourcePattern::Arn(a) = r {
            a.variables().for_each(&mut add);
        }
    }
    for c in conditions {
        c.variables().for_each(&mut add);
    }
    vars
}

fn compile_action(raw: &str) -> Result<ActionPattern, &'static str> {
    if raw.is_empty() {
        return Err("empty action");
    }
    if raw.bytes().all(|b| b == b'*') {
        return Ok(ActionPattern::All);
    }
    if raw.contains(char::is_whitespace) {
        return Err("actions contain no whitespace");
    }
    let Some((service, name)) = raw.split_once(':') else {
        return Err("expected \"*\" or service:ActionName");
    };
    if service.is_empty() || name.is_empty() || name.contains(':') {
        return Err("expected \"*\" or service:ActionName");
    }
    if service.contains(['*', '?']) {
        return Err("wildcards are allowed in the action name, not in the service prefix");
    }
    let name = Pattern::compile(
        name,
        Syntax {
            wildcards: true,
            variables: false,
            lowercase: true,
        },
    )
    .map_err(|_| "malformed action")?;
    Ok(ActionPattern::Service {
        service: service.to_lowercase().into(),
        name,
    })
}

fn compile_principal(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    negated: bool,
) -> Result<PrincipalElement, ParseError> {
    let element = if negated { "NotPrincipal" } else { "Principal" };
    match &node.value {
        Value::String(s) if s == "*" => Ok(PrincipalElement {
            negated,
            wildcard: true,
            entries: Vec::new(),
        }),
        Value::String(s) => Err(ctx.err(
            node.offset(),
            ParseErrorKind::BadPrincipal(format!(
                "\"{s}\": a string {element} must be \"*\"; use {{\"AWS\": ...}}"
            )),
        )),
        Value::Object(members) => {
            let mut entries = Vec::new();
            for (i, m) in members.iter().enumerate() {
                if !["AWS", "Service", "Federated", "CanonicalUser"].contains(&&*m.key) {
                    return Err(ctx.err(
                        m.key_offset(),
                        ParseErrorKind::BadPrincipal(format!(
                            "unknown principal type \"{}\" (expected AWS, Service, Federated or CanonicalUser)",
                            m.key
                        )),
                    ));
                }
                if members[..i].iter().any(|o| o.key == m.key) {
                    return Err(ctx.err(
                        m.key_offset(),
                        ParseErrorKind::DuplicateElement(m.key.to_string()),
                    ));
                }
                let values = string_list(ctx, &m.value, &format!("{element}.{}", m.key))?
                    .into_iter()
                    .map(|(v, _)| v.to_owned())
                    .collect();
                entries.push((m.key.to_string(), values));
            }
            if entries.is_empty() {
                return Err(ctx.err(node.offset(), ParseErrorKind::Empty(element.to_owned())));
            }
            Ok(PrincipalElement {
                negated,
                wildcard: false,
                entries,
            })
        }
        _ => Err(ctx.wrong_type(node, element, "\"*\" or an object")),
    }
}

fn compile_conditions(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    variables: bool,
) -> Result<Vec<Condition>, ParseError> {
    let Value::Object(blocks) = &node.value else {
        return Err(ctx.wrong_type(node, "Condition", "an object"));
    };
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        if blocks[..i].iter().any(|o| o.key == block.key) {
            return Err(ctx.err(
                block.key_offset(),
                ParseErrorKind::DuplicateElement(block.key.to_string()),
            ));
        }
        let operator = Operator::parse(&block.key).map_err(|hint| {
            ctx.err(
                block.key_offset(),
                ParseErrorKind::BadOperator {
                    operator: block.key.to_string(),
                    hint,
                },
            )
        })?;
        let Value::Object(entries) = &block.value.value else {
            return Err(ctx.wrong_type(
                &block.value,
                &format!("Condition operator {}", block.key),
                "an object",
            ));
        };
        if entries.is_empty() {
            return Err(ctx.err(
                block.value.offset(),
                ParseErrorKind::Empty(format!("Condition operator {}", block.key)),
            ));
        }
        for (j, entry) in entries.iter().enumerate() {
            if entries[..j]
                .iter()
                .any(|o| o.key.to_lowercase() == entry.key.to_lowercase())
            {
                return Err(ctx.err(
                    entry.key_offset(),
                    ParseErrorKind::DuplicateElement(entry.key.to_string()),
                ));
            }
            let values = condition_values(ctx, &entry.value, &block.key, &entry.key)?;
            let condition = Condition::compile(operator, &block.key, &entry.key, values, variables)
                .map_err(|reason| {
                    ctx.err(
                        entry.value.offset(),
                        ParseErrorKind::BadConditionValue {
                            operator: block.key.to_string(),
                            key: entry.key.to_string(),
                            reason,
                        },
                    )
                })?;
            out.push(condition);
        }
    }
    Ok(out)
}

fn condition_values(
    ctx: &Ctx<'_>,
    node: &Node<'_>,
    operator: &str,
    key: &str,
) -> Result<Vec<Box<str>>, ParseError> {
    let scalar = |n: &Node<'_>| -> Result<Box<str>, ParseError> {
        match &n.value {
            Value::String(s) => Ok(Box::from(&**s)),
            Value::Bool(b) => Ok(Box::from(if *b { "true" } else { "false" })),
            Value::Number(text) => Ok(Box::from(&**text)),
            _ => Err(ctx.err(
                n.offset(),
                ParseErrorKind::BadConditionValue {
                    operator: operator.to_owned(),
                    key: key.to_owned(),
                    reason: format!(
                        "expected a string, number or boolean, found {}",
                        type_name(&n.value)
                    ),
                },
            )),
        }
    };
    match &node.value {
        Value::Array(items) if items.is_empty() => Err(ctx.err(
            node.offset(),
            ParseErrorKind::Empty(format!("value list of {operator} {key}")),
        )),
        Value::Array(items) => items.iter().map(scalar).collect(),
        _ => Ok(vec![scalar(node)?]),
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Policy {
        Policy::parse(text).expect("valid policy")
    }

    fn err(text: &str) -> ParseError {
        Policy::parse(text).expect_err("invalid policy")
    }

    const SIMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "StartAnywhere",
      "Effect": "Allow",
      "Action": "ssm:StartSession",
      "Resource": "*"
    },
    {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::b/*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": false}, "NumericLessThan": {"x": 5}}}
  ]
}"#;

    #[test]
    fn parses_statements_with_positions() {
        let p = parse(SIMPLE);
        assert_eq!(p.version(), PolicyVersion::V2012_10_17);
        assert_eq!(p.statements().len(), 2);
        let s0 = &p.statements()[0];
        assert_eq!(s0.sid(), Some("StartAnywhere"));
        assert_eq!(s0.position(), Some(Position { line: 4, column: 5 }));
        assert_eq!(s0.label(), "statement 1 (Sid StartAnywhere)");
        let s1 = &p.statements()[1];
        assert_eq!(s1.effect(), Effect::Deny);
        assert!(s1.is_not_action() && s1.is_not_resource());
        assert_eq!(
            s1.position(),
            Some(Position {
                line: 10,
                column: 5
            })
        );
        let conds: Vec<_> = s1.conditions().collect();
        assert_eq!(conds[0].2[0].as_ref(), "false", "JSON booleans become text");
        assert_eq!(conds[1].2[0].as_ref(), "5");
    }

    #[test]
    fn single_statement_object_and_json_string_and_url_encoding() {
        let object = r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#;
        assert_eq!(parse(object).statements().len(), 1);
        assert_eq!(parse(object).version(), PolicyVersion::Unspecified);
        let as_string = serde_json::to_string(object).expect("encode");
        assert_eq!(parse(&as_string).statements().len(), 1);
        let encoded: String = object
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(parse(&encoded).statements().len(), 1);
        let wrapped =
            format!(r#"{{"PolicyVersion": {{"VersionId": "v1", "Document": {object}}}}}"#);
        let p = parse(&wrapped);
        assert_eq!(
            p.statements()[0].position(),
            Some(Position {
                line: 1,
                column: 65
            })
        );
    }

    #[test]
    fn from_value_has_no_positions_until_set() {
        let value: serde_json::Value = serde_json::from_str(SIMPLE).expect("json");
        let mut p = Policy::from_value(&value)
            .expect("valid")
            .with_name("p")
            .with_source("x.yaml");
        assert_eq!(p.statements()[0].position(), None);
        assert!(p.set_statement_position(1, Position { line: 7, column: 3 }));
        assert!(!p.set_statement_position(9, Position { line: 1, column: 1 }));
        assert_eq!(
            p.statements()[1].position(),
            Some(Position { line: 7, column: 3 })
        );
        assert_eq!((p.name(), p.source()), ("p", Some("x.yaml")));
        let string = serde_json::Value::String(SIMPLE.to_owned());
        assert_eq!(
            Policy::from_value(&string)
                .expect("valid")
                .statements()
                .len(),
            2
        );
    }

    /// (policy text, expected message part, expected line and column).
    type ErrorCase = (&'static str, &'static str, Option<(usize, usize)>);

    const ERROR_CASES: &[ErrorCase] = &[
        ("", "empty document", Some((1, 1))),
        ("   \n", "empty document", Some((2, 1))),
        ("[]", "expected a JSON object", Some((1, 1))),
        (
            r#"{"Version": "2012-10-17"}"#,
            "missing required element \"Statement\"",
            Some((1, 1)),
        ),
        (
            r#"{"Version": "2013-01-01", "Statement": []}"#,
            "unknown Version",
            Some((1, 13)),
        ),
        (r#"{"Statement": []}"#, "empty Statement", Some((1, 15))),
        (
            "{\"Statement\": [{\"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}",
            "unknown Effect \"allow\"",
            Some((1, 27)),
        ),
        (
            r#"{"Statement": [{"Action": "*", "Resource": "*"}]}"#,
            "missing required element \"Effect\"",
            Some((1, 16)),
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#,
            "empty Action",
            Some((1, 46)),
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#,
            "exactly one of Action or NotAction",
            Some((1, 16)),
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}]}"#,
            "exactly one of Action or NotAction",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "ssm", "Resource": "*"}]}"#,
            "invalid action \"ssm\"",
            Some((1, 46)),
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "s*:Get", "Resource": "*"}]}"#,
            "not in the service prefix",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "bucket"}]}"#,
            "invalid resource \"bucket\"",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#,
            "Resource or NotResource",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}]}"#,
            "unknown condition operator \"StringEqualz\"",
            Some((1, 82)),
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"a": []}}}]}"#,
            "empty value list",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"a": null}}}]}"#,
            "expected a string, number or boolean",
            None,
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"a": "${x, y}"}}}]}"#,
            "malformed default",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "action": "*", "Resource": "*"}]}"#,
            "unknown element \"action\"",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
            "duplicate element \"Effect\"",
            None,
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "arn:aws:iam::1:root"}]}"#,
            "must be \"*\"",
            None,
        ),
        ("%7B%2", "invalid URL encoding", None),
        ("{\"Statement\": [}", "expected a JSON value", Some((1, 16))),
    ];

    #[test]
    fn precise_errors() {
        let cases = ERROR_CASES;
        for (text, needle, pos) in cases {
            let e = err(text);
            assert!(e.to_string().contains(needle), "{text}: {e}");
            if let Some((line, column)) = pos {
                assert_eq!(
                    e.position(),
                    Some(Position {
                        line: *line,
                        column: *column
                    }),
                    "{text}: {e}"
                );
            }
        }
    }

    #[test]
    fn truncated_and_mangled_text_never_panics() {
        // Every prefix of a policy with multibyte characters, and single-byte substitutions
        // at every position: each parse returns Ok or an error, never a panic.
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Ünïcødé", "Effect": "Allow",
            "Action": ["ssm:Start*"], "NotResource": "arn:aws:ssm:*:*:session/${aws:username}-*",
            "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["é*", 1, true]},
            "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "DateLessThan": {"aws:CurrentTime": "2030-01-01"}}}]}"#;
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = Policy::parse(&text[..end]);
        }
        for (i, _) in text.char_indices() {
            for replacement in ["\"", "{", "]", "\\", "%", "$", ":", "*", "\u{0}"] {
                let mut mangled = text.to_owned();
                let len = text[i..].chars().next().map_or(0, char::len_utf8);
                mangled.replace_range(i..i + len, replacement);
                let _ = Policy::parse(&mangled);
            }
        }
        assert!(Policy::parse(text).is_ok());
    }

    #[test]
    fn nested_errors_say_which_text_positions_refer_to() {
        let e = err("\"{\\\"Statement\\\": 1}\"");
        assert!(e.to_string().contains("JSON-string"), "{e}");
    }

    #[test]
    fn json_syntax_errors_have_line_column_and_the_policy_depth_limit() {
        let e = err("{\n  \"Statement\": [\n");
        assert_eq!(
            e.to_string(),
            "3:1: invalid JSON: unexpected end of file inside a value (the file is truncated)"
        );
        assert!(matches!(e.kind(), ParseErrorKind::Json(_)));
        assert!(matches!(err(" \r\n").kind(), ParseErrorKind::EmptyDocument));
        // 64 levels of arrays parse (and fail as a policy); the 65th is refused by the reader.
        let nested = |n: usize| format!("{{\"Statement\": {}{}}}", "[".repeat(n), "]".repeat(n));
        assert!(!err(&nested(63)).to_string().contains("nesting"));
        let e = err(&nested(64));
        assert_eq!(
            e.position(),
            Some(Position {
                line: 1,
                column: 78
            })
        );
        assert!(
            e.to_string()
                .ends_with("nesting deeper than 64 levels; refusing to read further"),
            "{e}"
        );
    }

    #[test]
    fn service_index_keeps_document_order() {
        let p = parse(
            r#"{"Statement": [
            {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["ssm:StartSession", "SSM:Get*"], "Resource": "*"},
            {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}
        ]}"#,
        );
        let ssm: Vec<_> = p.candidates("ssm").map(Statement::index).collect();
        assert_eq!(ssm, vec![1, 2, 3, 4]);
        let other: Vec<_> = p.candidates("kms").map(Statement::index).collect();
        assert_eq!(other, vec![2, 3]);
    }

    #[test]
    fn resource_policy_elements() {
        let p = parse(
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root"], "Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
        );
        let principal = p.statements()[0].principal().expect("principal");
        assert_eq!(principal.entries.len(), 2);
        assert!(!principal.negated);
    }
}
