//! Why a cell of the map is what it is. The matrix is computed with `decide` (no reasons);
//! for the cells a view shows, each granting means is re-evaluated with `evaluate` on the
//! same requests, giving the deciding policies and statements, the reason, and for
//! "allowed if" cells the residual conditions.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::compute::MeansKind;
use super::{Access, AccessMap, Cell, both};
use crate::policy::requests::{AccessCheck, access_check_enforced};
use crate::policy::{
    ActionName, ConditionalAccess, Context, Decision, Evaluation, Layer, Request, StatementRef,
    evaluate,
};

/// One authorization of a means (`target` or `document`).
#[derive(Debug, Clone, Serialize)]
pub struct CheckExplanation {
    pub check: &'static str,
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    pub reason: String,
    pub statements: Vec<StatementRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional: Option<ConditionalAccess>,
    /// `conditional` as a sentence ("allowed if …"), rendered once.
    #[serde(skip)]
    conditions_text: Option<String>,
}

impl CheckExplanation {
    fn new(check: &'static str, action: &str, resource: &str, e: Evaluation) -> Self {
        CheckExplanation {
            check,
            action: action.to_owned(),
            resource: resource.to_owned(),
            decision: e.decision,
            reason: e.reason,
            statements: e.statements,
            conditions_text: e.conditional.as_ref().map(ToString::to_string),
            conditional: e.conditional,
        }
    }
}

/// One document or action that grants the path.
#[derive(Debug, Clone, Serialize)]
pub struct MeansExplanation {
    pub via: String,
    pub access: Access,
    /// Shared with the explainer's cache: the target check of one instance serves every
    /// path of the row, a document check every instance of the region.
    #[serde(serialize_with = "shared_checks")]
    pub checks: Vec<Arc<CheckExplanation>>,
}

fn shared_checks<S: serde::Serializer>(
    checks: &[Arc<CheckExplanation>],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(checks.iter().map(|c| &**c))
}

impl MeansExplanation {
    /// "allowed if …" for a conditional means (each distinct condition once, the target's
    /// and the document's); the reason for an indeterminate one.
    fn conditions(&self) -> Option<String> {
        match self.access {
            Access::Allowed => None,
            Access::Indeterminate => self
                .checks
                .iter()
                .find(|c| c.decision == Decision::Indeterminate)
                .map(|c| c.reason.clone()),
            Access::Conditional => {
                let mut parts: Vec<String> = Vec::new();
                for text in self.checks.iter().filter_map(|c| c.conditions_text.clone()) {
                    if !parts.contains(&text) {
                        parts.push(text);
                    }
                }
                (!parts.is_empty()).then(|| parts.join("; and "))
            }
        }
    }
}

/// Why a cell is allowed, allowed if, or indeterminate.
#[derive(Debug, Clone, Serialize)]
pub struct CellExplanation {
    pub access: Access,
    pub means: Vec<MeansExplanation>,
}

impl CellExplanation {
    /// The residual conditions of an "allowed if" cell (per means when several grant it),
    /// or what makes an indeterminate cell undecidable; `None` for allowed cells.
    pub fn conditions(&self) -> Option<String> {
        if self.access == Access::Allowed {
            return None;
        }
        let mut texts: Vec<(String, String)> = Vec::new();
        for (via, text) in self
            .means
            .iter()
            .filter(|m| m.access == self.access)
            .filter_map(|m| m.conditions().map(|c| (m.via.clone(), c)))
        {
            // Documents granted by the same statements give the same conditions: say them once.
            if !texts.iter().any(|(_, t)| *t == text) {
                texts.push((via, text));
            }
        }
        match texts.as_slice() {
            [] => None,
            [(_, one)] => Some(one.clone()),
            many => Some(
                many.iter()
                    .map(|(via, text)| format!("with {via}: {text}"))
                    .collect::<Vec<_>>()
                    .join("; or "),
            ),
        }
    }

    /// The deciding statements of the means that give the cell its access, each once.
    pub fn statements(&self) -> Vec<&StatementRef> {
        let mut out: Vec<&StatementRef> = Vec::new();
        for m in self.means.iter().filter(|m| m.access == self.access) {
            for s in m.checks.iter().flat_map(|c| &c.statements) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// [`CellExplanation::statements`] without the SCP statements: what grants the access
    /// (identity policies, boundary), for tables; SCPs that allow are usually
    /// `FullAWSAccess` and would drown it (JSON keeps them).
    pub fn granting_statements(&self) -> Vec<&StatementRef> {
        self.statements()
            .into_iter()
            .filter(|s| !matches!(s.layer, Layer::Scp { .. }))
            .collect()
    }
}

/// Explains cells. Evaluations are kept between calls: document checks per principal,
/// region and document (they do not depend on the instance), and target checks for the last
/// (principal, instance) — cells come sorted by instance and principal, so the paths of one
/// row share them.
pub struct Explainer<'m> {
    map: &'m AccessMap,
    documents: HashMap<(usize, usize, usize), Arc<CheckExplanation>>,
    /// The last (principal, instance) and its target checks.
    targets: Option<TargetChecks>,
}

/// The target checks of one (principal, instance), by action.
struct TargetChecks {
    key: (usize, usize),
    checks: Vec<(String, Arc<CheckExplanation>)>,
}

impl<'m> Explainer<'m> {
    pub(crate) fn new(map: &'m AccessMap) -> Self {
        Explainer {
            map,
            documents: HashMap::new(),
            targets: None,
        }
    }

    /// The target check of `action` on the cell's instance.
    fn target(
        &mut self,
        (p, i): (usize, usize),
        action: &ActionName,
        context: &Context,
        base: &Context,
    ) -> Arc<CheckExplanation> {
        if self.targets.as_ref().is_none_or(|t| t.key != (p, i)) {
            self.targets = Some(TargetChecks {
                key: (p, i),
                checks: Vec::new(),
            });
        }
        if let Some(hit) = self
            .targets
            .as_ref()
            .and_then(|t| t.checks.iter().find(|(a, _)| a == action.as_str()))
        {
            return hit.1.clone();
        }
        let map = self.map;
        let instance = &map.instances[i];
        let e = evaluate(
            &map.prepared.states[p].set,
            &Request::new(action, &instance.arn, context).with_base_context(base),
        );
        let check = Arc::new(CheckExplanation::new(
            "target",
            action.as_str(),
            &instance.arn,
            e,
        ));
        if let Some(t) = self.targets.as_mut() {
            t.checks.push((action.as_str().to_owned(), check.clone()));
        }
        check
    }

    /// The document check of means `bit` for a principal in a region.
    fn document(
        &mut self,
        (p, r, bit): (usize, usize, usize),
        action: &ActionName,
        arn: &str,
        base: &Context,
    ) -> Arc<CheckExplanation> {
        if let Some(hit) = self.documents.get(&(p, r, bit)) {
            return hit.clone();
        }
        let e = evaluate(
            &self.map.prepared.states[p].set,
            &Request::new(action, arn, &Context::new()).with_base_context(base),
        );
        let check = Arc::new(CheckExplanation::new("document", action.as_str(), arn, e));
        self.documents.insert((p, r, bit), check.clone());
        check
    }

    pub fn explain(&mut self, cell: &Cell) -> CellExplanation {
        let map = self.map;
        let prepared = &map.prepared;
        let (p, i) = (cell.principal as usize, cell.instance as usize);
        let r = prepared.instance_region[i] as usize;
        let bases = prepared.bases(p, r);
        let [start_base, ssm_base, connect_base] = &*bases;
        let set = &prepared.states[p].set;
        let instance = &map.instances[i];
        let (ssm_ctx, connect_ctx) = &prepared.instance_contexts[i];
        let plan = &prepared.regions[r];
        let start = &prepared.actions.start;
        let send = &prepared.actions.send;
        let mut means = Vec::new();
        for (bit, m) in plan.means.iter().enumerate() {
            if cell.via & (1 << bit) == 0 {
                continue;
            }
            let mut checks = Vec::new();
            match &m.kind {
                MeansKind::SessionDocument { arn, default_shell } => {
                    checks.push(self.target((p, i), start, ssm_ctx, start_base));
                    let needs = !*default_shell
                        || match prepared.access_checks[p] {
                            AccessCheck::Never => false,
                            AccessCheck::Always => true,
                            AccessCheck::PerInstance => access_check_enforced(set, &instance.arn),
                        };
                    if needs {
                        checks.push(self.document((p, r, bit), start, arn, start_base));
                    }
                }
                MeansKind::CommandDocument { arn } => {
                    checks.push(self.target((p, i), send, ssm_ctx, ssm_base));
                    checks.push(self.document((p, r, bit), send, arn, ssm_base));
                }
                MeansKind::Action { action } => {
                    checks.push(self.target((p, i), action, connect_ctx, connect_base));
                }
            }
            let access = checks
                .iter()
                .map(|c| Access::of(c.decision))
                .reduce(both)
                .flatten();
            if let Some(access) = access {
                means.push(MeansExplanation {
                    via: m.label.clone(),
                    access,
                    checks,
                });
            }
        }
        CellExplanation {
            access: cell.access,
            means,
        }
    }
}
