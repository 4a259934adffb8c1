//! Reading attributes of planned resources, and following configuration references for the
//! values the plan does not know yet.
//!
//! [`Plan`] indexes the resource instances of a plan (by address) and its `configuration`
//! (resources and module calls per module). [`Attrs`] reads one resource's (or nested
//! block's) attributes as [`Val`]: known, absent, or unknown with a reason. An unknown
//! attribute that the configuration does not set is absent (a computed default); one that
//! the configuration sets from a reference is resolved to the referenced resource (through
//! module outputs and variables), whose known attribute value or, failing that, address is
//! the value. References that cannot be resolved soundly (locals, ambiguous `count`
//! instances, functions of several resources) leave the value unknown.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::json::{Member, Node};

use super::{AFTER_APPLY, N};

pub(crate) use crate::ingest::builder::Val;

/// One resource instance of the plan.
pub(crate) struct Inst<'p> {
    pub(crate) address: String,
    /// The module instance path (`module.net["a"]`), empty for the root module.
    pub(crate) module: String,
    /// (module call path `net.inner`, configuration address `aws_subnet.web`).
    config_key: (String, String),
    pub(crate) rtype: String,
    pub(crate) data: bool,
    /// The instance key as written in the address (`0`, `"a"`).
    index: Option<String>,
    /// The resource's entry in the plan (for its position).
    pub(crate) node: N<'p>,
    after: Option<N<'p>>,
    unknown: Option<N<'p>>,
}

pub(crate) struct Plan<'p> {
    root: N<'p>,
    pub(crate) instances: Vec<Inst<'p>>,
    by_address: HashMap<String, usize>,
    /// Instances by address without their key (`aws_subnet.web` → `[0]`, `[1]`).
    by_base: HashMap<String, Vec<usize>>,
    config_resources: HashMap<(String, String), N<'p>>,
    module_calls: HashMap<String, N<'p>>,
    module_configs: HashMap<String, N<'p>>,
    /// Module instance paths that have resources.
    module_instances: Vec<String>,
}

/// One step of an address or reference: `name` and an optional `[key]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) key: Option<String>,
}

/// Split `module.a["x.y"].aws_s3_bucket.b[0].arn` into steps, respecting quotes and brackets.
pub(crate) fn steps(text: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut name = String::new();
    let mut key: Option<String> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                out.push(Step {
                    name: std::mem::take(&mut name),
                    key: key.take(),
                });
            }
            '[' => {
                let mut inner = String::new();
                let mut quoted = false;
                while let Some(k) = chars.next() {
                    match k {
                        '"' => {
                            quoted = !quoted;
                            inner.push(k);
                        }
                        '\\' if quoted => {
                            inner.push(k);
                            if let Some(next) = chars.next() {
                                inner.push(next);
                            }
                        }
                        ']' if !quoted => break,
                        _ => inner.push(k),
                    }
                }
                key = Some(inner);
            }
            _ => name.push(c),
        }
    }
    if !name.is_empty() || key.is_some() {
        out.push(Step { name, key });
    }
    out
}

fn step_text(step: &Step) -> String {
    match &step.key {
        Some(key) => format!("{}[{key}]", step.name),
        None => step.name.clone(),
    }
}

/// The module call path (`a.b`) of a module instance path (`module.a["x"].module.b`).
fn call_path(module: &str) -> String {
    let parts = steps(module);
    parts
        .chunks(2)
        .filter(|pair| pair.len() == 2 && pair[0].name == "module")
        .map(|pair| pair[1].name.clone())
        .collect::<Vec<_>>()
        .join(".")
}

fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

/// The JSON text of an instance key node (`0`, `"a"`).
fn key_text(node: &Node<'_>) -> Option<String> {
    match &node.value {
        crate::json::Value::Number(n) => Some(n.to_string()),
        crate::json::Value::String(s) => serde_json::to_string(s.as_ref()).ok(),
        _ => None,
    }
}

impl<'p> Plan<'p> {
    /// Index a plan; `planned_values` is the separately read member when the root's copy was
    /// skipped.
    pub(crate) fn new(root: N<'p>, planned_values: Option<N<'p>>) -> Self {
        let mut plan = Plan {
            root,
            instances: Vec::new(),
            by_address: HashMap::new(),
            by_base: HashMap::new(),
            config_resources: HashMap::new(),
            module_calls: HashMap::new(),
            module_configs: HashMap::new(),
            module_instances: Vec::new(),
        };
        plan.index_configuration();
        if let Some(changes) = root.get("resource_changes").and_then(Node::items) {
            for change in changes {
                plan.add_change(change);
            }
        } else {
            let planned = planned_values.or_else(|| root.get_some("planned_values"));
            if let Some(module) = planned.and_then(|v| v.get("root_module")) {
                plan.add_module_values(module, false);
            }
        }
        if let Some(module) = root
            .get("prior_state")
            .and_then(|s| s.get("values"))
            .and_then(|v| v.get("root_module"))
        {
            plan.add_module_values(module, true);
        }
        plan
    }

    fn index_configuration(&mut self) {
        let Some(root_module) = self
            .root
            .get("configuration")
            .and_then(|c| c.get("root_module"))
        else {
            return;
        };
        let mut queue: Vec<(String, N<'p>)> = vec![(String::new(), root_module)];
        while let Some((path, module)) = queue.pop() {
            self.module_configs.insert(path.clone(), module);
            for resource in module
                .get("resources")
                .and_then(Node::items)
                .unwrap_or_default()
            {
                if let Some(address) = resource.get("address").and_then(Node::as_str) {
                    self.config_resources
                        .insert((path.clone(), address.to_owned()), resource);
                }
            }
            for Member {
                key: name,
                value: call,
            } in module
                .get("module_calls")
                .and_then(Node::members)
                .unwrap_or_default()
            {
                let child = join_path(&path, name);
                self.module_calls.insert(child.clone(), call);
                if let Some(inner) = call.get("module") {
                    // Bounded by the parser's nesting limit.
                    queue.push((child, inner));
                }
            }
        }
    }

    fn push(&mut self, inst: Inst<'p>) {
        if !inst.module.is_empty() && !self.module_instances.contains(&inst.module) {
            self.module_instances.push(inst.module.clone());
        }
        let index = self.instances.len();
        self.by_address.insert(inst.address.clone(), index);
        let base = match inst.address.strip_suffix(']').and_then(|a| a.rfind('[')) {
            Some(open) => inst.address[..open].to_owned(),
            None => inst.address.clone(),
        };
        self.by_base.entry(base).or_default().push(index);
        self.instances.push(inst);
    }

    fn add_change(&mut self, change: N<'p>) {
        let text = |key: &str| {
            change
                .get(key)
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let address = text("address");
        if address.is_empty() {
            return;
        }
        let body = change.get("change");
        let actions: Vec<&str> = body
            .and_then(|c| c.get("actions"))
            .and_then(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        // Resources the plan removes will not exist; `forget` leaves them unmanaged.
        if !actions.is_empty() && actions.iter().all(|a| *a == "delete" || *a == "forget") {
            return;
        }
        let module = change
            .get("module_address")
            .and_then(Node::as_str)
            .map_or_else(|| module_of(&address), str::to_owned);
        let data = text("mode") == "data";
        let rtype = text("type");
        let name = text("name");
        self.push(Inst {
            config_key: config_key(&module, data, &rtype, &name),
            address,
            module,
            rtype,
            data,
            index: change.get("index").and_then(key_text),
            node: change,
            after: body.and_then(|c| c.get_some("after")),
            unknown: body.and_then(|c| c.get("after_unknown")),
        });
    }

    /// Resources of `planned_values` (when there are no `resource_changes`) or the data
    /// sources of `prior_state`.
    fn add_module_values(&mut self, root_module: N<'p>, data_only: bool) {
        let mut queue = vec![root_module];
        while let Some(module) = queue.pop() {
            let module_address = module
                .get("address")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_owned();
            for resource in module
                .get("resources")
                .and_then(Node::items)
                .unwrap_or_default()
            {
                let text = |key: &str| {
                    resource
                        .get(key)
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let address = text("address");
                let data = text("mode") == "data";
                if address.is_empty()
                    || (data_only && !data)
                    || self.by_address.contains_key(&address)
                {
                    continue;
                }
                let rtype = text("type");
                let name = text("name");
                self.push(Inst {
                    config_key: config_key(&module_address, data, &rtype, &name),
                    address,
                    module: module_address.clone(),
                    rtype,
                    data,
                    index: resource.get("index").and_then(key_text),
                    node: resource,
                    after: resource.get_some("values"),
                    unknown: None,
                });
            }
            for child in module
                .get("child_modules")
                .and_then(Node::items)
                .unwrap_or_default()
            {
                queue.push(child);
            }
        }
    }

    /// The region of the default AWS provider, when the configuration sets it as a constant.
    pub(crate) fn provider_region(&self) -> Option<&'p str> {
        let providers = self
            .root
            .get("configuration")
            .and_then(|c| c.get("provider_config"))?
            .members()?;
        let region_of = |p: N<'p>| {
            p.get("expressions")?
                .get("region")?
                .get("constant_value")?
                .as_str()
        };
        providers
            .iter()
            .find(|Member { key, value: p }| {
                key == "aws" && p.get("alias").is_none() && p.get("module_address").is_none()
            })
            .and_then(|Member { value: p, .. }| region_of(p))
    }

    pub(crate) fn attrs<'r>(&'r self, inst: &'r Inst<'p>) -> Attrs<'r, 'p> {
        let config = self.config_resources.get(&inst.config_key);
        Attrs {
            plan: self,
            inst,
            after: inst.after,
            unknown: inst.unknown,
            config: config.and_then(|c| c.get("expressions")),
            has_config: config.is_some(),
        }
    }

    fn instance(&self, address: &str) -> Option<usize> {
        self.by_address.get(address).copied()
    }

    /// The instances of `base` (a resource or module address without a key): `base` itself
    /// or `base[…]`.
    fn instances_of(&self, base: &str) -> &[usize] {
        self.by_base.get(base).map_or(&[], Vec::as_slice)
    }

    /// Resolve one reference written in module instance `module`.
    fn resolve(
        &self,
        module: &str,
        reference: &str,
        own_index: Option<&str>,
        depth: usize,
    ) -> Resolution {
        if depth > 16 {
            return Resolution::Unresolved;
        }
        let parts = steps(reference);
        let Some(first) = parts.first() else {
            return Resolution::Unresolved;
        };
        match first.name.as_str() {
            "count" | "each" | "path" | "terraform" | "self" => Resolution::Meta,
            "var" => self.resolve_variable(module, &parts, own_index, depth),
            "module" => self.resolve_output(module, &parts, own_index, depth),
            "data" if parts.len() >= 3 => {
                let base = format!("data.{}.{}", parts[1].name, parts[2].name);
                self.resolve_resource(
                    module,
                    &base,
                    parts[2].key.as_deref(),
                    &parts[3..],
                    own_index,
                )
            }
            name if name.contains('_') && parts.len() >= 2 => {
                let base = format!("{}.{}", parts[0].name, parts[1].name);
                self.resolve_resource(
                    module,
                    &base,
                    parts[1].key.as_deref(),
                    &parts[2..],
                    own_index,
                )
            }
            _ => Resolution::Unresolved,
        }
    }

    fn resolve_resource(
        &self,
        module: &str,
        base: &str,
        key: Option<&str>,
        rest: &[Step],
        own_index: Option<&str>,
    ) -> Resolution {
        let full_base = join_path(module, base);
        let attrs: Vec<String> = rest.iter().map(step_text).collect();
        if let Some(key) = key {
            return match self.instance(&format!("{full_base}[{key}]")) {
                Some(i) => Resolution::Target(i, attrs),
                None => Resolution::Unresolved,
            };
        }
        match self.instances_of(&full_base) {
            [one] => Resolution::Target(*one, attrs),
            _ => match own_index.and_then(|k| self.instance(&format!("{full_base}[{k}]"))) {
                Some(i) => Resolution::Target(i, attrs),
                None => Resolution::Unresolved,
            },
        }
    }

    fn resolve_variable(
        &self,
        module: &str,
        parts: &[Step],
        own_index: Option<&str>,
        depth: usize,
    ) -> Resolution {
        if module.is_empty() || parts.len() < 2 {
            // Root variables are known at plan time: an unknown value did not come from one.
            return Resolution::Unresolved;
        }
        let mut module_steps = steps(module);
        if module_steps.len() < 2 {
            return Resolution::Unresolved;
        }
        module_steps.truncate(module_steps.len() - 2);
        let parent = module_steps
            .iter()
            .map(step_text)
            .collect::<Vec<_>>()
            .join(".");
        let Some(call) = self.module_calls.get(&call_path(module)) else {
            return Resolution::Unresolved;
        };
        let Some(expression) = call.get("expressions").and_then(|e| e.get(&parts[1].name)) else {
            return Resolution::Unresolved;
        };
        match self.resolve_list(&parent, expression, own_index, depth + 1) {
            Some(targets) if targets.len() == 1 => {
                let (target, mut attrs) = targets.into_iter().next().unwrap_or_default();
                attrs.extend(parts[2..].iter().map(step_text));
                Resolution::Target(target, attrs)
            }
            _ => Resolution::Unresolved,
        }
    }

    fn resolve_output(
        &self,
        module: &str,
        parts: &[Step],
        own_index: Option<&str>,
        depth: usize,
    ) -> Resolution {
        if parts.len() < 3 {
            return Resolution::Unresolved;
        }
        let call = &parts[1];
        let base = join_path(module, &format!("module.{}", call.name));
        let child = if let Some(key) = &call.key {
            format!("{base}[{key}]")
        } else {
            let prefix = format!("{base}[");
            let found: Vec<&String> = self
                .module_instances
                .iter()
                .filter(|m| {
                    **m == base
                        || (m.starts_with(&prefix) && !m[prefix.len()..].contains("].module."))
                })
                .collect();
            match found.as_slice() {
                [] => base,
                [one] => (*one).clone(),
                _ => return Resolution::Unresolved,
            }
        };
        let Some(config) = self.module_configs.get(&call_path(&child)) else {
            return Resolution::Unresolved;
        };
        let Some(expression) = config
            .get("outputs")
            .and_then(|o| o.get(&parts[2].name))
            .and_then(|o| o.get("expression"))
        else {
            return Resolution::Unresolved;
        };
        match self.resolve_list(&child, expression, own_index, depth + 1) {
            Some(targets) if targets.len() == 1 => {
                let (target, mut attrs) = targets.into_iter().next().unwrap_or_default();
                attrs.extend(parts[3..].iter().map(step_text));
                Resolution::Target(target, attrs)
            }
            _ => Resolution::Unresolved,
        }
    }

    /// Every resource an expression references; `None` when one of its references cannot be
    /// resolved (the value could come from it).
    fn resolve_list(
        &self,
        module: &str,
        expression: N<'p>,
        own_index: Option<&str>,
        depth: usize,
    ) -> Option<Vec<(usize, Vec<String>)>> {
        let references: Vec<&str> = expression
            .get("references")?
            .items()?
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let by_self = references
            .iter()
            .any(|r| r.starts_with("count.index") || r.starts_with("each."));
        let own_index = if by_self { own_index } else { None };
        let mut targets: Vec<(usize, Vec<String>)> = Vec::new();
        for reference in references {
            match self.resolve(module, reference, own_index, depth) {
                Resolution::Meta => {}
                Resolution::Unresolved => {
                    // `aws_subnet.web` next to `aws_subnet.web[0].id` is the same target,
                    // listed by Terraform without its key.
                    let covered = targets.iter().any(|(t, _)| {
                        let address = &self.instances[*t].address;
                        reference_covers(reference, module, address)
                    });
                    if !covered {
                        return None;
                    }
                }
                Resolution::Target(target, attrs) => {
                    match targets.iter_mut().find(|(t, _)| *t == target) {
                        Some(existing) => {
                            if attrs.len() > existing.1.len() {
                                existing.1 = attrs;
                            }
                        }
                        None => targets.push((target, attrs)),
                    }
                }
            }
        }
        (!targets.is_empty()).then_some(targets)
    }

    /// The value an attribute of a target has (when known and a scalar), else the target's
    /// id when known, else its address.
    fn text_of(&self, target: usize, attrs: &[String]) -> String {
        let inst = &self.instances[target];
        let known_at = |path: &[String]| -> Option<String> {
            let mut after = inst.after?;
            let mut unknown = inst.unknown;
            for part in path {
                if unknown.and_then(|u| u.get(part)).and_then(Node::as_bool) == Some(true) {
                    return None;
                }
                after = after.get_some(part)?;
                unknown = unknown.and_then(|u| u.get(part));
            }
            after
                .scalar_text()
                .map(std::borrow::Cow::into_owned)
                .filter(|t| !t.is_empty())
        };
        if !attrs.is_empty()
            && let Some(text) = known_at(attrs)
        {
            return text;
        }
        known_at(&["id".to_owned()]).unwrap_or_else(|| inst.address.clone())
    }

    /// The known node at an attribute path of a target.
    fn node_of(&self, target: usize, attrs: &[String]) -> Option<N<'p>> {
        let inst = &self.instances[target];
        let mut after = inst.after?;
        let mut unknown = inst.unknown;
        for part in attrs {
            if unknown.and_then(|u| u.get(part)).and_then(Node::as_bool) == Some(true) {
                return None;
            }
            after = after.get_some(part)?;
            unknown = unknown.and_then(|u| u.get(part));
        }
        Some(after)
    }
}

/// `aws_subnet.web` (a reference without key) names the same resource as `aws_subnet.web[0]`,
/// and `module.net` the module that holds `module.net.aws_security_group.app`.
fn reference_covers(reference: &str, module: &str, address: &str) -> bool {
    let full = join_path(module, reference);
    address == full
        || address.starts_with(&format!("{full}["))
        || address.starts_with(&format!("{full}."))
        || full.starts_with(&format!("{address}."))
}

enum Resolution {
    Target(usize, Vec<String>),
    /// `count.index`, `each.key`: part of an expression, not a source of its value.
    Meta,
    Unresolved,
}

fn module_of(address: &str) -> String {
    let parts = steps(address);
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i].name == "module" {
        out.push(step_text(&parts[i]));
        out.push(step_text(&parts[i + 1]));
        i += 2;
    }
    out.join(".")
}

fn config_key(module: &str, data: bool, rtype: &str, name: &str) -> (String, String) {
    let address = if data {
        format!("data.{rtype}.{name}")
    } else {
        format!("{rtype}.{name}")
    };
    (call_path(module), address)
}

/// Attributes of one resource or nested block.
#[derive(Clone, Copy)]
pub(crate) struct Attrs<'r, 'p> {
    plan: &'r Plan<'p>,
    inst: &'r Inst<'p>,
    after: Option<N<'p>>,
    unknown: Option<N<'p>>,
    /// The `expressions` of this resource or block in the configuration.
    config: Option<N<'p>>,
    /// Whether the configuration of this resource or block is known (so that a missing
    /// expression means "not set").
    has_config: bool,
}

impl<'p> Attrs<'_, 'p> {
    /// The byte offset of this resource's values or block.
    pub(crate) fn offset(&self) -> usize {
        self.after.map_or(self.inst.node.offset(), Node::offset)
    }

    pub(crate) fn json(&self) -> Json {
        self.after.map_or(Json::Null, Node::to_json)
    }

    fn is_unknown(&self, key: &str) -> bool {
        self.unknown
            .and_then(|u| u.get(key))
            .and_then(Node::as_bool)
            == Some(true)
    }

    fn configured(&self, key: &str) -> Option<bool> {
        self.has_config
            .then(|| self.config.is_some_and(|c| c.get(key).is_some()))
    }

    fn targets(&self, key: &str) -> Option<Vec<(usize, Vec<String>)>> {
        let expression = self.config?.get(key)?;
        self.plan
            .resolve_list(&self.inst.module, expression, self.inst.index.as_deref(), 0)
    }

    /// The constant the configuration sets an attribute to, when it is one (providers may
    /// still plan such a value as unknown).
    fn constant(&self, key: &str) -> Option<N<'p>> {
        self.config?.get(key)?.get("constant_value")
    }

    /// An unknown attribute: absent when not configured, else the referenced value.
    fn follow_text(&self, key: &str) -> Val<String> {
        if let Some(constant) = self.constant(key) {
            return match constant.scalar_text() {
                Some(text) if !text.is_empty() => Val::Known(text.into_owned()),
                Some(_) => Val::Absent,
                None if constant.is_null() => Val::Absent,
                None => Val::Unknown(AFTER_APPLY.to_owned()),
            };
        }
        match self.configured(key) {
            Some(false) => Val::Absent,
            None => Val::Unknown(AFTER_APPLY.to_owned()),
            Some(true) => match self.targets(key).as_deref() {
                Some([(target, attrs)]) => Val::Known(self.plan.text_of(*target, attrs)),
                _ => Val::Unknown(AFTER_APPLY.to_owned()),
            },
        }
    }

    fn follow_many(&self, key: &str) -> Val<Vec<String>> {
        if let Some(constant) = self.constant(key) {
            return match (constant.items(), constant.scalar_text()) {
                (Some(items), _) => {
                    let texts: Option<Vec<String>> = items
                        .iter()
                        .map(|i| i.scalar_text().map(std::borrow::Cow::into_owned))
                        .collect();
                    texts.map_or_else(|| Val::Unknown(AFTER_APPLY.to_owned()), Val::Known)
                }
                (None, Some(text)) if !text.is_empty() => Val::Known(vec![text.into_owned()]),
                _ if constant.is_null() => Val::Absent,
                _ => Val::Unknown(AFTER_APPLY.to_owned()),
            };
        }
        match self.configured(key) {
            Some(false) => Val::Absent,
            None => Val::Unknown(AFTER_APPLY.to_owned()),
            Some(true) => match self.targets(key) {
                Some(targets) => Val::Known(
                    targets
                        .iter()
                        .map(|(t, attrs)| self.plan.text_of(*t, attrs))
                        .collect(),
                ),
                None => Val::Unknown(AFTER_APPLY.to_owned()),
            },
        }
    }

    /// The raw node of an attribute (policies, content, tags); an unknown one is followed to
    /// a referenced attribute that is known (`data.aws_iam_policy_document.x.json`).
    pub(crate) fn node(&self, key: &str) -> Val<N<'p>> {
        if self.is_unknown(key) {
            if let Some(constant) = self.constant(key).filter(|c| !c.is_null()) {
                return Val::Known(constant);
            }
            return match self.configured(key) {
                Some(false) => Val::Absent,
                None => Val::Unknown(AFTER_APPLY.to_owned()),
                Some(true) => match self.targets(key).as_deref() {
                    Some([(target, attrs)]) if !attrs.is_empty() => self
                        .plan
                        .node_of(*target, attrs)
                        .map_or_else(|| Val::Unknown(AFTER_APPLY.to_owned()), Val::Known),
                    _ => Val::Unknown(AFTER_APPLY.to_owned()),
                },
            };
        }
        match self.after.and_then(|a| a.get_some(key)) {
            Some(node) => Val::Known(node),
            None => Val::Absent,
        }
    }

    pub(crate) fn string(&self, key: &str) -> Val<String> {
        if self.is_unknown(key) {
            return self.follow_text(key);
        }
        match self.after.and_then(|a| a.get_some(key)) {
            None => Val::Absent,
            Some(node) => match node.scalar_text() {
                Some(text) if text.is_empty() => Val::Absent,
                Some(text) => Val::Known(text.into_owned()),
                None => Val::Unknown(format!(
                    "`{key}` is {}, not a single value",
                    node.type_name()
                )),
            },
        }
    }

    pub(crate) fn flag(&self, key: &str) -> Val<bool> {
        match self.string(key) {
            Val::Known(text) if text.eq_ignore_ascii_case("true") => Val::Known(true),
            Val::Known(text) if text.eq_ignore_ascii_case("false") => Val::Known(false),
            Val::Known(text) => Val::Unknown(format!("`{key}` is `{text}`, not a boolean")),
            Val::Absent => Val::Absent,
            Val::Unknown(reason) => Val::Unknown(reason),
        }
    }

    pub(crate) fn int(&self, key: &str) -> Val<i64> {
        if self.is_unknown(key) {
            return match self.follow_text(key) {
                Val::Known(text) => text
                    .trim()
                    .parse()
                    .map_or_else(|_| Val::Unknown(AFTER_APPLY.to_owned()), Val::Known),
                Val::Absent => Val::Absent,
                Val::Unknown(reason) => Val::Unknown(reason),
            };
        }
        match self.after.and_then(|a| a.get_some(key)) {
            None => Val::Absent,
            Some(node) => match node.as_i64() {
                Some(n) => Val::Known(n),
                None if node.as_str() == Some("") => Val::Absent,
                None => Val::Unknown(format!("`{key}` is not a whole number")),
            },
        }
    }

    pub(crate) fn strings(&self, key: &str) -> Val<Vec<String>> {
        if self.is_unknown(key) {
            return self.follow_many(key);
        }
        let Some(node) = self.after.and_then(|a| a.get_some(key)) else {
            return Val::Absent;
        };
        let Some(items) = node.items() else {
            return match node.scalar_text() {
                Some(text) if !text.is_empty() => Val::Known(vec![text.into_owned()]),
                _ => Val::Absent,
            };
        };
        let unknown_items = self.unknown.and_then(|u| u.get(key)).and_then(Node::items);
        let mut out = Vec::new();
        let mut pending = false;
        for (i, item) in items.iter().enumerate() {
            let item_unknown =
                unknown_items.and_then(|u| u.get(i)).and_then(Node::as_bool) == Some(true);
            if item_unknown || item.is_null() {
                pending |= item_unknown;
                continue;
            }
            if let Some(text) = item.scalar_text() {
                out.push(text.into_owned());
            }
        }
        if pending {
            match self.follow_many(key) {
                Val::Known(more) => {
                    for text in more {
                        if !out.contains(&text) {
                            out.push(text);
                        }
                    }
                }
                _ => return Val::Unknown(AFTER_APPLY.to_owned()),
            }
        }
        Val::Known(out)
    }

    /// Nested blocks (`ingress`, `network_interfaces`, …), each with its part of
    /// `after_unknown` and, when it can be matched, its configuration.
    pub(crate) fn blocks(&self, key: &str) -> Val<Vec<Self>> {
        if self.is_unknown(key) {
            return match self.configured(key) {
                Some(false) => Val::Absent,
                _ => Val::Unknown(AFTER_APPLY.to_owned()),
            };
        }
        let Some(items) = self
            .after
            .and_then(|a| a.get_some(key))
            .and_then(Node::items)
        else {
            return Val::Absent;
        };
        let unknown_items = self.unknown.and_then(|u| u.get(key)).and_then(Node::items);
        let config_items = self.config.and_then(|c| c.get(key)).and_then(Node::items);
        Val::Known(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let config = config_items.and_then(|c| match_block(c, item));
                    Attrs {
                        plan: self.plan,
                        inst: self.inst,
                        after: Some(item),
                        unknown: unknown_items.and_then(|u| u.get(i)),
                        config,
                        has_config: config.is_some(),
                    }
                })
                .collect(),
        )
    }
}

/// A scalar or a set of scalars, for comparing configuration constants with planned values
/// (sets are reordered by Terraform; `null` and `[]` are the same).
fn canonical(value: &Json) -> Vec<String> {
    let scalar = |v: &Json| match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    };
    let mut out: Vec<String> = match value {
        Json::Array(items) => items.iter().map(scalar).collect(),
        Json::Null => Vec::new(),
        other => vec![scalar(other)],
    };
    out.retain(|s| !s.is_empty());
    out.sort();
    out
}

/// The configuration block whose constant arguments agree with a planned block, when there is
/// exactly one.
fn match_block<'p>(configs: &'p [Node<'p>], planned: &Node<'_>) -> Option<N<'p>> {
    let agrees = |config: &Node<'_>| {
        config.members().is_some_and(|members| {
            members.iter().all(
                |Member {
                     key,
                     value: expression,
                 }| match expression.get("constant_value") {
                    Some(constant) => {
                        let planned_value = planned.get(key).map_or(Json::Null, Node::to_json);
                        canonical(&constant.to_json()) == canonical(&planned_value)
                    }
                    None => true,
                },
            )
        })
    };
    let mut found = configs.iter().filter(|c| agrees(c));
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_respect_quotes_and_keys() {
        let parts = steps(r#"module.a["x.y"].aws_s3_bucket.b[0].arn"#);
        let texts: Vec<String> = parts.iter().map(step_text).collect();
        assert_eq!(
            texts,
            ["module", r#"a["x.y"]"#, "aws_s3_bucket", "b[0]", "arn"]
        );
        assert_eq!(call_path(r#"module.a["k"].module.b[1]"#), "a.b");
        assert_eq!(module_of(r#"module.a["k"].aws_vpc.v"#), r#"module.a["k"]"#);
        assert_eq!(module_of("aws_vpc.v"), "");
    }

    #[test]
    fn blocks_match_their_configuration_by_constants() {
        let configs = crate::json::parse(
            r#"[{"from_port": {"constant_value": 22}, "security_groups": {"references": ["aws_security_group.lb.id"]}},
                {"from_port": {"constant_value": 443}, "cidr_blocks": {"constant_value": ["0.0.0.0/0"]}}]"#,
        )
        .unwrap();
        let planned = crate::json::parse(
            r#"{"from_port": 443, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}"#,
        )
        .unwrap();
        let items = configs.items().unwrap();
        let found = match_block(items, &planned).unwrap();
        assert!(found.get("cidr_blocks").is_some());
    }
}
