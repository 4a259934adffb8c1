//! Request evaluation with AWS's documented logic for one account: an applicable explicit
//! Deny anywhere (identity policies, permission boundary, any SCP level, session policy)
//! wins; otherwise the identity policies must allow, and so must the boundary when set,
//! every SCP level (root OU first; service-linked roles are exempt) and the session policy.
//!
//! Context keys are three-valued (see `policy::context`): when an unknown key decides the
//! outcome, the decision is [`Decision::Conditional`] and [`Evaluation::conditional`] lists
//! the residual conditions ("allowed if aws:SourceIp in 10.0.0.0/8, unless ..."). A value the
//! engine cannot read makes it [`Decision::Indeterminate`], never a silent pass.
//!
//! [`decide`] is the allocation-free hot path (the access map calls it millions of times);
//! [`evaluate`] also names the deciding statements and writes a reason.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use super::condition::Tri;
use super::context::{ContextValue, KeyState, Request};
use super::document::{Effect, Policy, ResourcePattern, Statement};
use super::error::Position;
use super::pattern::{VarValue, Variable};
use super::set::PolicySet;

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
    /// Depends on context keys the scanner does not know (see [`ConditionalAccess`]).
    Conditional,
    /// The engine cannot read a value that decides the outcome.
    Indeterminate,
}

impl Decision {
    /// The name used in JSON output: `allowed`, `implicit-deny`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ImplicitDeny => "implicit-deny",
            Decision::ExplicitDeny => "explicit-deny",
            Decision::Conditional => "conditional",
            Decision::Indeterminate => "indeterminate",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }

    pub fn is_denied(self) -> bool {
        matches!(self, Decision::ImplicitDeny | Decision::ExplicitDeny)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a policy sits in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "layer")]
pub enum Layer {
    Identity,
    PermissionBoundary,
    /// `level` 0 is the root OU.
    Scp {
        level: usize,
    },
    SessionPolicy,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Identity => f.write_str("identity policy"),
            Layer::PermissionBoundary => f.write_str("permission boundary"),
            Layer::Scp { level } => write!(f, "SCP (level {})", level + 1),
            Layer::SessionPolicy => f.write_str("session policy"),
        }
    }
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementRef {
    #[serde(serialize_with = "arc_str")]
    pub policy: Arc<str>,
    #[serde(flatten)]
    pub layer: Layer,
    #[serde(serialize_with = "opt_arc_str")]
    pub sid: Option<Arc<str>>,
    /// 0-based index in the policy's Statement array.
    pub index: usize,
    pub position: Option<Position>,
    pub effect: Effect,
}

fn arc_str<S: serde::Serializer>(value: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

#[allow(clippy::ref_option)] // serde's serialize_with passes `&Option<T>`.
fn opt_arc_str<S: serde::Serializer>(value: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_some(&**v),
        None => s.serialize_none(),
    }
}

impl StatementRef {
    pub fn new(policy: &Policy, layer: Layer, statement: &Statement) -> StatementRef {
        StatementRef {
            policy: policy.name_arc(),
            layer,
            sid: statement.sid_arc(),
            index: statement.index(),
            position: statement.position(),
            effect: statement.effect(),
        }
    }
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {}", self.index + 1)?;
        if let Some(sid) = self.sid.as_deref().filter(|s| !s.is_empty()) {
            write!(f, " (Sid {sid})")?;
        }
        write!(f, " of {} {}", self.layer, self.policy)?;
        if let Some(p) = self.position {
            write!(f, " at {p}")?;
        }
        Ok(())
    }
}

/// Something the decision still depends on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Residual {
    /// A condition on a key the scanner does not know (or whose values use such a variable).
    Condition {
        operator: String,
        key: String,
        values: Vec<String>,
    },
    /// A policy variable in the Resource/NotResource element whose value is unknown.
    Variable { variable: String, element: String },
}

impl fmt::Display for Residual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Residual::Condition {
                operator,
                key,
                values,
            } => {
                write!(f, "{key} {operator} ")?;
                if values.len() == 1 {
                    write!(f, "{}", values[0])
                } else {
                    write!(f, "[{}]", values.join(", "))
                }
            }
            Residual::Variable { variable, element } => {
                write!(f, "${{{variable}}} makes the {element} match")
            }
        }
    }
}

/// A statement whose applicability depends on unknown context: it applies if all of its
/// residual conditions hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResidualStatement {
    pub statement: StatementRef,
    pub conditions: Vec<Residual>,
}

impl fmt::Display for ResidualStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.conditions.iter().map(ToString::to_string).collect();
        write!(f, "{} ({})", parts.join(" and "), self.statement)
    }
}

/// The shape of a conditional decision: allowed if, for every entry of `allow_requires`,
/// one of its alternatives holds, unless one of `denied_if` holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ConditionalAccess {
    /// One entry per layer that does not allow unconditionally (AND), each a list of
    /// alternative statements (OR).
    pub allow_requires: Vec<Vec<ResidualStatement>>,
    /// Deny statements that would apply if their conditions held.
    pub denied_if: Vec<ResidualStatement>,
}

impl fmt::Display for ConditionalAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self
            .allow_requires
            .iter()
            .map(|alts| {
                let a: Vec<String> = alts.iter().map(ToString::to_string).collect();
                a.join(" or ")
            })
            .collect();
        if groups.is_empty() {
            f.write_str("allowed")?;
        } else {
            write!(f, "allowed if {}", groups.join("; and "))?;
        }
        if !self.denied_if.is_empty() {
            let d: Vec<String> = self.denied_if.iter().map(ToString::to_string).collect();
            write!(f, ", unless {}", d.join(" or "))?;
        }
        Ok(())
    }
}

/// A decision with the statements that made it and a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    /// The deciding statements: the applicable Deny statements for an explicit deny; the
    /// allowing statement of every layer for an allow; the statements with residual
    /// conditions for a conditional decision; none for an implicit deny.
    pub statements: Vec<StatementRef>,
    pub reason: String,
    /// Set for [`Decision::Conditional`].
    pub conditional: Option<ConditionalAccess>,
}

/// How one statement relates to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Applies(Tri);

/// Resolves a policy variable for a request.
fn resolver<'a, 'r>(request: &'a Request<'r>) -> impl Fn(&Variable) -> VarValue<'r> + 'a {
    |v: &Variable| match request.key(&v.key) {
        KeyState::Known(ContextValue::Single(s)) => VarValue::Text(s.as_str()),
        KeyState::Unknown => VarValue::Unknown,
        KeyState::Known(ContextValue::Multi(_)) | KeyState::Absent => VarValue::Missing,
    }
}

/// Does the statement (whose Action already matched) apply to the request?
fn applies(statement: &Statement, request: &Request<'_>) -> Applies {
    let resolve = resolver(request);
    // A variable that cannot be resolved (missing key without default, multivalued key)
    // makes the whole statement not apply.
    let mut unknown_variable = false;
    for v in &statement.variables {
        match resolve(v) {
            VarValue::Text(_) => {}
            VarValue::Unknown => unknown_variable = true,
            VarValue::Missing => {
                if v.default.is_none() {
                    return Applies(Tri::False);
                }
            }
        }
    }
    let mut acc = match &statement.resources {
        None => Tri::True,
        Some(list) => {
            let mut hit = Tri::False;
            for p in list {
                let t = match p {
                    ResourcePattern::All => Tri::True,
                    ResourcePattern::Arn(pattern) => match &request.arn {
                        None => Tri::False,
                        Some(arn) => {
                            if !pattern.matches(arn, &resolve) {
                                Tri::False
                            } else if unknown_variable
                                && pattern.variables().any(|v| resolve(v) == VarValue::Unknown)
                            {
                                Tri::Unknown
                            } else {
                                Tri::True
                            }
                        }
                    },
                };
                hit = hit.or(t);
                if hit == Tri::True {
                    break;
                }
            }
            if statement.is_not_resource() {
                hit.not()
            } else {
                hit
            }
        }
    };
    for c in &statement.conditions {
        if acc == Tri::False {
            break;
        }
        acc = acc.and(c.eval(request, &resolve));
    }
    Applies(acc)
}

/// Whether a statement's `Resource`/`NotResource` element can cover `resource`, whatever
/// the conditions and whatever values its policy variables take.
pub(crate) fn resource_may_match(statement: &Statement, resource: &str) -> bool {
    let Some(list) = &statement.resources else {
        return true;
    };
    let arn = super::arn::Arn::parse(resource);
    let any = |_: &Variable| -> VarValue<'static> { VarValue::Unknown };
    let matches = |p: &ResourcePattern, with_variables: bool| match p {
        ResourcePattern::All => true,
        ResourcePattern::Arn(pattern) => {
            (with_variables || pattern.variables().next().is_none())
                && arn.as_ref().is_some_and(|a| pattern.matches(a, &any))
        }
    };
    if statement.is_not_resource() {
        // Excluded for sure only by a pattern without variables.
        !list.iter().any(|p| matches(p, false))
    } else {
        list.iter().any(|p| matches(p, true))
    }
}

/// The per-statement results a full evaluation collects.
struct Hit<'p> {
    policy: &'p Policy,
    layer: Layer,
    statement: &'p Statement,
    result: Tri,
}

struct LayerState<'p> {
    layer: Layer,
    policies: &'p [Arc<Policy>],
    allow: Tri,
    allows: Vec<Hit<'p>>,
}

/// The decision alone, without allocating. Use in loops; call [`evaluate`] to explain it.
pub fn decide(set: &PolicySet, request: &Request<'_>) -> Decision {
    let request = request.with_principal_context(set.principal_context());
    let service = request.action.service();
    let action = request.action.action_lower();
    let mut deny = Tri::False;
    let mut allow = Tri::True;
    for (_, policies) in set.layers() {
        let mut layer_allow = Tri::False;
        for policy in policies {
            for st in policy.candidates(service) {
                // Once some layer cannot allow, only Deny statements still matter (they turn
                // an implicit deny into an explicit one).
                if st.effect() == Effect::Allow && (allow == Tri::False || layer_allow == Tri::True)
                {
                    continue;
                }
                if !st.matches_action(service, action) {
                    continue;
                }
                let Applies(t) = applies(st, &request);
                match st.effect() {
                    Effect::Deny => {
                        if t == Tri::True {
                            return Decision::ExplicitDeny;
                        }
                        deny = deny.or(t);
                    }
                    Effect::Allow => layer_allow = layer_allow.or(t),
                }
            }
        }
        allow = allow.and(layer_allow);
    }
    combine(allow, deny)
}

fn combine(allow: Tri, deny: Tri) -> Decision {
    match (allow, deny) {
        (_, Tri::True) => Decision::ExplicitDeny,
        (Tri::False, _) => Decision::ImplicitDeny,
        (Tri::True, Tri::False) => Decision::Allowed,
        (Tri::Invalid, _) | (_, Tri::Invalid) => Decision::Indeterminate,
        _ => Decision::Conditional,
    }
}

/// Evaluates a request and explains the decision.
pub fn evaluate(set: &PolicySet, request: &Request<'_>) -> Evaluation {
    let request = request.with_principal_context(set.principal_context());
    let (denies, layers) = collect(set, &request);
    let deny = denies.iter().fold(Tri::False, |acc, h| acc.or(h.result));
    let allow = layers.iter().fold(Tri::True, |acc, l| acc.and(l.allow));
    let decision = combine(allow, deny);
    let what = format!("{} on {}", request.action, request.resource);
    let (statements, reason, conditional) = match decision {
        Decision::ExplicitDeny => explain_explicit_deny(&what, &denies),
        Decision::ImplicitDeny => (
            Vec::new(),
            implicit_deny_reason(&what, &layers, &denies),
            None,
        ),
        Decision::Allowed => explain_allowed(&what, &layers),
        Decision::Conditional => explain_conditional(&what, &layers, &denies, &request),
        Decision::Indeterminate => explain_indeterminate(&what, &layers, &denies, &request),
    };
    Evaluation {
        decision,
        statements,
        reason,
        conditional,
    }
}

type Explanation = (Vec<StatementRef>, String, Option<ConditionalAccess>);

/// Every statement that may apply, Deny statements apart and Allow statements by layer.
fn collect<'p>(set: &'p PolicySet, request: &Request<'_>) -> (Vec<Hit<'p>>, Vec<LayerState<'p>>) {
    let service = request.action.service();
    let action = request.action.action_lower();
    let mut denies: Vec<Hit<'_>> = Vec::new();
    let mut layers: Vec<LayerState<'_>> = Vec::new();
    for (layer, policies) in set.layers() {
        let mut state = LayerState {
            layer,
            policies,
            allow: Tri::False,
            allows: Vec::new(),
        };
        for policy in policies {
            for st in policy.candidates(service) {
                if !st.matches_action(service, action) {
                    continue;
                }
                let Applies(t) = applies(st, request);
                if t == Tri::False {
                    continue;
                }
                let hit = Hit {
                    policy,
                    layer,
                    statement: st,
                    result: t,
                };
                match st.effect() {
                    Effect::Deny => denies.push(hit),
                    Effect::Allow => {
                        state.allow = state.allow.or(t);
                        state.allows.push(hit);
                    }
                }
            }
        }
        layers.push(state);
    }
    (denies, layers)
}

fn sref(h: &Hit<'_>) -> StatementRef {
    StatementRef::new(h.policy, h.layer, h.statement)
}

fn explain_explicit_deny(what: &str, denies: &[Hit<'_>]) -> Explanation {
    let decisive: Vec<&Hit<'_>> = denies.iter().filter(|h| h.result == Tri::True).collect();
    let statements: Vec<StatementRef> = decisive.iter().map(|h| sref(h)).collect();
    let mut reason = format!("{what} is explicitly denied");
    if let Some(first) = decisive.first() {
        let _ = write!(reason, " by {}", sref(first));
        if decisive.len() > 1 {
            let _ = write!(reason, " (and {} more Deny statements)", decisive.len() - 1);
        }
        reason.push_str(&describe_statement_tail(first.statement));
    }
    (statements, reason, None)
}

fn explain_allowed(what: &str, layers: &[LayerState<'_>]) -> Explanation {
    let mut statements = Vec::new();
    let mut parts = Vec::new();
    for l in layers {
        if let Some(h) = l.allows.iter().find(|h| h.result == Tri::True) {
            statements.push(sref(h));
            parts.push(format!(
                "{}{}",
                sref(h),
                describe_statement_tail(h.statement)
            ));
        }
    }
    let reason = format!("{what} is allowed by {}", parts.join("; and by "));
    (statements, reason, None)
}

fn explain_conditional(
    what: &str,
    layers: &[LayerState<'_>],
    denies: &[Hit<'_>],
    request: &Request<'_>,
) -> Explanation {
    let mut access = ConditionalAccess::default();
    let mut statements = Vec::new();
    for l in layers {
        if l.allow == Tri::True {
            if let Some(h) = l.allows.iter().find(|h| h.result == Tri::True) {
                statements.push(sref(h));
            }
            continue;
        }
        let alternatives: Vec<ResidualStatement> = l
            .allows
            .iter()
            .filter(|h| h.result == Tri::Unknown)
            .map(|h| residual_statement(h, request))
            .collect();
        statements.extend(alternatives.iter().map(|r| r.statement.clone()));
        access.allow_requires.push(alternatives);
    }
    for h in denies.iter().filter(|h| h.result == Tri::Unknown) {
        let r = residual_statement(h, request);
        statements.push(r.statement.clone());
        access.denied_if.push(r);
    }
    let reason = format!("{what} is {access}");
    (statements, reason, Some(access))
}

fn explain_indeterminate(
    what: &str,
    layers: &[LayerState<'_>],
    denies: &[Hit<'_>],
    request: &Request<'_>,
) -> Explanation {
    let mut statements = Vec::new();
    let mut problems = Vec::new();
    let candidates = denies
        .iter()
        .chain(layers.iter().flat_map(|l| l.allows.iter()));
    for h in candidates.filter(|h| h.result == Tri::Invalid) {
        statements.push(sref(h));
        problems.push(format!("{}: {}", sref(h), unreadable(h.statement, request)));
    }
    let reason = format!("cannot decide {what}: {}", problems.join("; "));
    (statements, reason, None)
}

/// ", which has Resource * and no condition" — what made a statement apply, briefly.
fn describe_statement_tail(st: &Statement) -> String {
    let resources: Vec<&str> = st.resources().collect();
    let element = if st.is_not_resource() {
        "NotResource"
    } else {
        "Resource"
    };
    let res = match resources.as_slice() {
        [] => String::new(),
        [one] => format!("{element} {one}"),
        many => format!("{element} [{}]", many.join(", ")),
    };
    let action = if st.is_not_action() {
        let a: Vec<&str> = st.actions().collect();
        format!("NotAction [{}], ", a.join(", "))
    } else {
        String::new()
    };
    let conditions = if st.has_conditions() {
        let c: Vec<String> = st
            .conditions()
            .map(|(op, key, values)| {
                let v: Vec<&str> = values.iter().map(|v| &**v).collect();
                format!("{op} {key} [{}]", v.join(", "))
            })
            .collect();
        format!("conditions that hold ({})", c.join("; "))
    } else {
        "no condition".to_owned()
    };
    if res.is_empty() {
        format!(", which has {action}{conditions}")
    } else {
        format!(", which has {action}{res} and {conditions}")
    }
}

fn implicit_deny_reason(what: &str, layers: &[LayerState<'_>], denies: &[Hit<'_>]) -> String {
    let identity_allows = layers
        .iter()
        .find(|l| l.layer == Layer::Identity)
        .and_then(|l| l.allows.iter().find(|h| h.result == Tri::True));
    let mut gaps = Vec::new();
    for l in layers.iter().filter(|l| l.allow == Tri::False) {
        let gap = match l.layer {
            Layer::Identity if l.policies.is_empty() => {
                "the principal has no identity policies".to_owned()
            }
            Layer::Identity => "no identity policy statement allows it".to_owned(),
            Layer::PermissionBoundary => {
                let name = l.policies.first().map_or("", |p| p.name());
                format!("the permission boundary {name} does not allow it")
            }
            Layer::Scp { level } if l.policies.is_empty() => {
                format!("SCP level {} has no policies attached", level + 1)
            }
            Layer::Scp { level } => format!("no SCP at level {} allows it", level + 1),
            Layer::SessionPolicy => "the session policy does not allow it".to_owned(),
        };
        gaps.push(gap);
    }
    let mut reason = format!("{what} is implicitly denied: {}", gaps.join("; "));
    if let Some(h) = identity_allows {
        let _ = write!(
            reason,
            " (the identity policies allow it through {})",
            sref(h)
        );
    }
    if denies.iter().any(|h| h.result != Tri::False) {
        reason.push_str("; Deny statements whose conditions are unknown may also apply");
    }
    reason
}

fn residual_statement(hit: &Hit<'_>, request: &Request<'_>) -> ResidualStatement {
    let resolve = resolver(request);
    let mut conditions = Vec::new();
    for v in &hit.statement.variables {
        if resolve(v) != VarValue::Unknown {
            continue;
        }
        let in_resource = hit.statement.resources.iter().flatten().any(|r| match r {
            ResourcePattern::Arn(p) => p.variables().any(|pv| pv.key == v.key),
            ResourcePattern::All => false,
        });
        if in_resource {
            let element = if hit.statement.is_not_resource() {
                "NotResource"
            } else {
                "Resource"
            };
            conditions.push(Residual::Variable {
                variable: v.name.to_string(),
                element: element.to_owned(),
            });
        }
    }
    for c in &hit.statement.conditions {
        if c.eval(request, &resolve) == Tri::Unknown {
            conditions.push(Residual::Condition {
                operator: c.operator_text.to_string(),
                key: c.key.to_string(),
                values: c.values.iter().map(ToString::to_string).collect(),
            });
        }
    }
    ResidualStatement {
        statement: StatementRef::new(hit.policy, hit.layer, hit.statement),
        conditions,
    }
}

/// Why a statement's conditions cannot be read for this request.
fn unreadable(st: &Statement, request: &Request<'_>) -> String {
    let resolve = resolver(request);
    for c in &st.conditions {
        if c.eval(request, &resolve) != Tri::Invalid {
            continue;
        }
        if let Some(problem) = c.unreadable_value() {
            return format!("condition {} on {}: {problem}", c.operator_text, c.key);
        }
        let value = match request.key(&c.key_lower) {
            KeyState::Known(v) => v.values().join(", "),
            _ => String::new(),
        };
        return format!(
            "the request value \"{value}\" of {} cannot be compared with {}",
            c.key, c.operator_text
        );
    }
    "a condition value cannot be read".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::{ActionName, Context};
    use crate::policy::set::Principal;

    fn policy(name: &str, text: &str) -> Arc<Policy> {
        Arc::new(Policy::parse(text).expect("valid").with_name(name))
    }

    fn allow_all() -> Arc<Policy> {
        policy(
            "allow-all",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        )
    }

    const INSTANCE: &str = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0";

    fn run(set: &PolicySet, action: &str, resource: &str, ctx: &Context) -> Evaluation {
        let action = ActionName::new(action).expect("action");
        let req = Request::new(&action, resource, ctx);
        let e = evaluate(set, &req);
        assert_eq!(
            decide(set, &req),
            e.decision,
            "decide and evaluate agree: {}",
            e.reason
        );
        e
    }

    #[test]
    fn allow_and_implicit_deny() {
        let set = PolicySet::single(policy(
            "start-anywhere",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"},
               {"Sid":"StartAnywhere","Effect":"Allow","Action":"ssm:StartSession","Resource":"*"}]}"#,
        ));
        let e = run(&set, "ssm:StartSession", INSTANCE, &Context::new());
        assert_eq!(e.decision, Decision::Allowed);
        assert_eq!(e.statements[0].index, 0);
        assert!(
            e.reason
                .contains("statement 1 of identity policy start-anywhere"),
            "{}",
            e.reason
        );
        assert!(
            e.reason.contains("Resource * and no condition"),
            "{}",
            e.reason
        );
        let e = run(&set, "ec2:StartInstances", INSTANCE, &Context::new());
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert!(
            e.reason.contains("no identity policy statement allows it"),
            "{}",
            e.reason
        );
        let empty = PolicySet::new(Principal::unknown());
        assert!(
            run(&empty, "ssm:StartSession", INSTANCE, &Context::new())
                .reason
                .contains("no identity policies")
        );
    }

    #[test]
    fn explicit_deny_wins_everywhere() {
        let deny = policy(
            "deny",
            r#"{"Version":"2012-10-17","Statement":{"Sid":"NoProd","Effect":"Deny","Action":"ssm:StartSession","Resource":"*",
               "Condition":{"StringEquals":{"ssm:resourceTag/Env":"prod"}}}}"#,
        );
        let prod = Context::new().with("ssm:resourceTag/Env", "prod");
        for set in [
            PolicySet::single(allow_all()).with_identity(deny.clone()),
            PolicySet::single(allow_all()).with_boundary(deny.clone()),
            PolicySet::single(allow_all()).with_scp_level(vec![allow_all(), deny.clone()]),
            PolicySet::single(allow_all()).with_session_policy(deny.clone()),
        ] {
            let e = run(&set, "ssm:StartSession", INSTANCE, &prod);
            assert_eq!(e.decision, Decision::ExplicitDeny, "{}", e.reason);
            assert_eq!(e.statements[0].sid.as_deref(), Some("NoProd"));
            assert_eq!(
                run(&set, "ssm:StartSession", INSTANCE, &Context::new())
                    .decision
                    .is_denied(),
                set.boundary().is_some()
                    || set.session_policy().is_some()
                    || !set.scp_levels().is_empty() && set.scp_levels()[0].policies.len() == 1
            );
        }
    }

    #[test]
    fn every_layer_must_allow() {
        let ssm_only = policy(
            "ssm-only",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}"#,
        );
        let set = PolicySet::single(allow_all()).with_boundary(ssm_only.clone());
        assert_eq!(
            run(&set, "ssm:StartSession", INSTANCE, &Context::new()).decision,
            Decision::Allowed
        );
        let e = run(&set, "ec2:TerminateInstances", INSTANCE, &Context::new());
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert!(
            e.reason
                .contains("permission boundary ssm-only does not allow it"),
            "{}",
            e.reason
        );
        assert!(
            e.reason.contains("the identity policies allow it through"),
            "{}",
            e.reason
        );

        let scps = PolicySet::single(allow_all())
            .with_scp_level(vec![allow_all()])
            .with_scp_level(vec![ssm_only.clone()]);
        assert_eq!(
            run(&scps, "ssm:StartSession", INSTANCE, &Context::new()).decision,
            Decision::Allowed
        );
        let e = run(&scps, "ec2:RunInstances", INSTANCE, &Context::new());
        assert!(
            e.reason.contains("no SCP at level 2 allows it"),
            "{}",
            e.reason
        );
        let empty_level = PolicySet::single(allow_all()).with_scp_level(vec![]);
        assert!(
            run(&empty_level, "ssm:StartSession", INSTANCE, &Context::new())
                .reason
                .contains("no policies attached")
        );
        // Service-linked roles are not governed by SCPs.
        let mut slr = scps.clone();
        slr.set_principal(Principal::unknown().with_service_linked(true));
        assert_eq!(
            run(&slr, "ec2:RunInstances", INSTANCE, &Context::new()).decision,
            Decision::Allowed
        );
        let session = PolicySet::single(allow_all()).with_session_policy(ssm_only);
        assert!(
            run(&session, "ec2:RunInstances", INSTANCE, &Context::new())
                .reason
                .contains("session policy")
        );
    }

    #[test]
    fn not_action_and_not_resource() {
        let power = policy(
            "PowerUserAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}"#,
        );
        let set = PolicySet::single(power);
        assert_eq!(
            run(&set, "ssm:StartSession", INSTANCE, &Context::new()).decision,
            Decision::Allowed
        );
        assert_eq!(
            run(&set, "IAM:CreateUser", "*", &Context::new()).decision,
            Decision::ImplicitDeny
        );
        let nr = PolicySet::single(policy(
            "nr",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartSession","NotResource":"arn:aws:ec2:*:*:instance/i-0123*"}]}"#,
        ));
        assert_eq!(
            run(&nr, "ssm:StartSession", INSTANCE, &Context::new()).decision,
            Decision::ImplicitDeny
        );
        assert_eq!(
            run(
                &nr,
                "ssm:StartSession",
                "arn:aws:ec2:us-east-1:1:instance/i-9",
                &Context::new()
            )
            .decision,
            Decision::Allowed
        );
    }

    #[test]
    fn action_matching_is_case_insensitive_with_wildcards() {
        let set = PolicySet::single(policy(
            "p",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:sendCommand","ssm:Start?ession","athena:StartSession"],"Resource":"*"}]}"#,
        ));
        assert!(
            run(&set, "ssm:SendCommand", INSTANCE, &Context::new())
                .decision
                .is_allowed()
        );
        assert!(
            run(&set, "SSM:startsession", INSTANCE, &Context::new())
                .decision
                .is_allowed()
        );
        assert!(
            run(&set, "ssm:TerminateSession", INSTANCE, &Context::new())
                .decision
                .is_denied()
        );
    }

    #[test]
    fn variables_and_versions() {
        let text = |version: &str| {
            format!(
                r#"{{{version}"Statement":[{{"Effect":"Allow","Action":"ssm:TerminateSession","Resource":"arn:aws:ssm:*:*:session/${{aws:username}}-*"}}]}}"#
            )
        };
        let v2012 = PolicySet::new(Principal::from_arn("arn:aws:iam::1:user/alice").expect("user"))
            .with_identity(policy("v", &text("\"Version\":\"2012-10-17\",")));
        let own = "arn:aws:ssm:us-east-1:1:session/alice-0abc";
        let other = "arn:aws:ssm:us-east-1:1:session/bob-0abc";
        assert!(
            run(&v2012, "ssm:TerminateSession", own, &Context::new())
                .decision
                .is_allowed()
        );
        assert!(
            run(&v2012, "ssm:TerminateSession", other, &Context::new())
                .decision
                .is_denied()
        );
        // A role has no aws:username: the statement does not apply.
        let mut role = v2012.clone();
        role.set_principal(
            Principal::from_arn("arn:aws:sts::1:assumed-role/r/alice").expect("role"),
        );
        assert!(
            run(&role, "ssm:TerminateSession", own, &Context::new())
                .decision
                .is_denied()
        );
        // Without Version the variable is literal text.
        let literal =
            PolicySet::new(Principal::from_arn("arn:aws:iam::1:user/alice").expect("user"))
                .with_identity(policy("v", &text("")));
        assert!(
            run(&literal, "ssm:TerminateSession", own, &Context::new())
                .decision
                .is_denied()
        );
        assert!(
            run(
                &literal,
                "ssm:TerminateSession",
                "arn:aws:ssm:us-east-1:1:session/${aws:username}-0",
                &Context::new()
            )
            .decision
            .is_allowed()
        );
    }

    #[test]
    fn missing_variable_disables_the_whole_statement_even_a_deny() {
        let set = PolicySet::single(allow_all()).with_identity(policy(
            "deny",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":["*","arn:aws:s3:::${aws:PrincipalTag/team}"]}}"#,
        ));
        assert!(
            run(&set, "ssm:StartSession", INSTANCE, &Context::new())
                .decision
                .is_allowed()
        );
        let tagged = Context::new().with("aws:PrincipalTag/team", "ops");
        assert_eq!(
            run(&set, "ssm:StartSession", INSTANCE, &tagged).decision,
            Decision::ExplicitDeny
        );
        let with_default = PolicySet::single(allow_all()).with_identity(policy(
            "deny",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":["*","arn:aws:s3:::${aws:PrincipalTag/team, 'none'}"]}}"#,
        ));
        assert_eq!(
            run(&with_default, "ssm:StartSession", INSTANCE, &Context::new()).decision,
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn unknown_keys_give_conditional_decisions() {
        let set = PolicySet::single(policy(
            "ip",
            r#"{"Version":"2012-10-17","Statement":[
              {"Sid":"FromOffice","Effect":"Allow","Action":"ssm:StartSession","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
              {"Sid":"NoMfaNoShell","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#,
        ));
        let e = run(&set, "ssm:StartSession", INSTANCE, &Context::scan_time());
        assert_eq!(e.decision, Decision::Conditional);
        let access = e.conditional.expect("conditional");
        assert_eq!(access.allow_requires.len(), 1);
        assert_eq!(
            access.allow_requires[0][0].statement.sid.as_deref(),
            Some("FromOffice")
        );
        assert_eq!(access.denied_if.len(), 1);
        assert!(
            e.reason
                .contains("allowed if aws:SourceIp IpAddress 10.0.0.0/8"),
            "{}",
            e.reason
        );
        assert!(
            e.reason
                .contains("unless aws:MultiFactorAuthPresent BoolIfExists false"),
            "{}",
            e.reason
        );
        let known = Context::new()
            .with("aws:SourceIp", "10.1.1.1")
            .with("aws:MultiFactorAuthPresent", "true");
        assert_eq!(
            run(&set, "ssm:StartSession", INSTANCE, &known).decision,
            Decision::Allowed
        );
        // Unknown keys cannot rescue a request nothing allows.
        assert_eq!(
            run(&set, "ssm:SendCommand", INSTANCE, &Context::scan_time()).decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn unreadable_values_are_indeterminate_not_a_pass() {
        let set = PolicySet::single(allow_all()).with_identity(policy(
            "deny",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"s3:max-keys":"ten"}}}}"#,
        ));
        let ctx = Context::new().with("s3:max-keys", "20");
        let e = run(&set, "s3:ListBucket", "arn:aws:s3:::b", &ctx);
        assert_eq!(e.decision, Decision::Indeterminate);
        assert!(e.reason.contains("\"ten\" is not a number"), "{}", e.reason);
        let ip = PolicySet::single(policy(
            "ip",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
        ));
        let e = run(
            &ip,
            "ssm:StartSession",
            INSTANCE,
            &Context::new().with("aws:SourceIp", "office"),
        );
        assert_eq!(e.decision, Decision::Indeterminate);
        assert!(
            e.reason.contains("request value \"office\""),
            "{}",
            e.reason
        );
    }

    #[test]
    fn statement_refs_carry_positions() {
        let set = PolicySet::single(policy(
            "p",
            "{\n\"Statement\": [\n  {\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        ));
        let e = run(&set, "ssm:StartSession", INSTANCE, &Context::new());
        assert_eq!(
            e.statements[0].position,
            Some(Position { line: 3, column: 3 })
        );
        assert!(e.reason.contains("at 3:3"), "{}", e.reason);
    }
}
