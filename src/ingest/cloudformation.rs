//! CloudFormation templates (JSON or YAML) → a [`Unit`].
//!
//! Intrinsic functions are evaluated where the template alone decides their value:
//! `Ref` to a parameter gives its `Default`; `Ref` to a resource gives the name the resource
//! declares (`RoleName`, `BucketName`, …) or, when the name is generated at deploy time, its
//! logical id (the id nobastion uses for resources that do not exist yet); `Fn::GetAtt` of
//! `Arn`/`Id`-like attributes gives the logical id, and `Fn::GetAtt Vpc.CidrBlock` the VPC's
//! `CidrBlock`; `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap` and
//! `Fn::Base64` are computed; `AWS::Partition`, `AWS::AccountId`, `AWS::Region` and
//! `AWS::URLSuffix` become the placeholders of docs/lint.md. Conditions are never decided:
//! `Fn::If` is unknown unless both branches agree, and the fields it feeds are marked
//! unknown (the rules report not-assessed). Resources with a `Condition` are linted as if
//! they are created. A security group without `SecurityGroupEgress` gets the allow-all
//! egress rule AWS adds (CloudFormation keeps it, unlike Terraform).

mod resources;

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::model::Origin;

use super::builder::{Unit, Val};
use super::{IngestError, Locator};
use crate::json::{Member, Node, Value};

type N<'t> = &'t Node<'t>;

/// Whether a document is a template without `AWSTemplateFormatVersion`: a `Resources` map
/// whose entries have a `Type` such as `AWS::S3::Bucket`.
pub(crate) fn looks_like_template(root: &Node<'_>) -> bool {
    root.get("Resources")
        .and_then(Node::members)
        .is_some_and(|members| {
            members.iter().any(|Member { value: r, .. }| {
                r.get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.contains("::"))
            })
        })
}

/// Read a template.
pub(crate) fn ingest(
    root: &Node<'_>,
    locator: &Locator<'_>,
    is_yaml: bool,
) -> Result<Unit, IngestError> {
    let Some(resources) = root.get("Resources") else {
        return Err(locator.error(
            root.offset(),
            "the template has no Resources section (CloudFormation requires one)",
        ));
    };
    let Some(members) = resources.members() else {
        return Err(locator.error(
            resources.offset(),
            format!(
                "Resources must be a mapping, found {}",
                resources.type_name()
            ),
        ));
    };
    let mut list = Vec::with_capacity(members.len());
    for Member {
        key: id,
        value: resource,
    } in members
    {
        let Some(rtype) = resource.get("Type").and_then(Node::as_str) else {
            return Err(locator.error(resource.offset(), format!("resource {id} has no Type")));
        };
        list.push(Resource {
            id: id.to_string(),
            rtype: rtype.to_owned(),
            node: resource,
            props: resource.get("Properties").filter(|p| p.is_object()),
        });
    }
    let mut unit = Unit::new(locator.path, true);
    let template = Template {
        locator,
        is_yaml,
        parameters: root.get("Parameters"),
        mappings: root.get("Mappings"),
        by_id: list
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect(),
        resources: list,
        partition: unit.partition().to_owned(),
        account: unit.account_id().to_owned(),
        region: unit.region_name().to_owned(),
    };
    for resource in &template.resources {
        resources::ingest(&template, resource, &mut unit);
    }
    Ok(unit)
}

pub(crate) struct Resource<'t> {
    pub(crate) id: String,
    pub(crate) rtype: String,
    pub(crate) node: N<'t>,
    pub(crate) props: Option<N<'t>>,
}

impl<'t> Resource<'t> {
    pub(crate) fn prop(&self, key: &str) -> Option<N<'t>> {
        self.props.and_then(|p| p.get(key))
    }
}

pub(crate) struct Template<'t> {
    pub(crate) locator: &'t Locator<'t>,
    is_yaml: bool,
    parameters: Option<N<'t>>,
    mappings: Option<N<'t>>,
    pub(crate) resources: Vec<Resource<'t>>,
    by_id: HashMap<String, usize>,
    pub(crate) partition: String,
    pub(crate) account: String,
    pub(crate) region: String,
}

/// An element of a list after evaluation: a node still to read, or computed text.
#[derive(Clone)]
pub(crate) enum Elem<'t> {
    Node(N<'t>),
    Text(String),
}

/// The intrinsic function a node is, if it is one: `{"Ref": …}`, `{"Fn::X": …}`.
fn intrinsic(node: N<'_>) -> Option<(&str, N<'_>)> {
    match &node.value {
        Value::Object(members) if members.len() == 1 => {
            let Member { key, value } = &members[0];
            let key: &str = key;
            (key == "Ref" || key.starts_with("Fn::") || key == "Condition").then_some((key, value))
        }
        _ => None,
    }
}

const MAX_EVAL_DEPTH: usize = 24;

/// The name property that `Ref` returns for types whose `Ref` is their name.
fn name_property(rtype: &str) -> Option<&'static str> {
    Some(match rtype {
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::User" => "UserName",
        "AWS::IAM::Group" => "GroupName",
        "AWS::IAM::InstanceProfile" => "InstanceProfileName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::SSM::Document" | "AWS::Events::Rule" => "Name",
        "AWS::CloudTrail::Trail" => "TrailName",
        "AWS::KMS::Alias" => "AliasName",
        "AWS::EC2::KeyPair" => "KeyName",
        _ => return None,
    })
}

impl<'t> Template<'t> {
    pub(crate) fn origin(&self, offset: usize, address: &str) -> Origin {
        self.locator.origin(offset, Some(address))
    }

    pub(crate) fn resource(&self, id: &str) -> Option<&Resource<'t>> {
        self.by_id.get(id).map(|&i| &self.resources[i])
    }

    /// How strings inside this file map back to it (for policies written as JSON text).
    pub(crate) fn embedding(&self) -> super::iam_json::Embedding {
        if self.is_yaml {
            super::iam_json::Embedding::AtString
        } else {
            super::iam_json::Embedding::JsonString
        }
    }

    /// A scalar value as text.
    pub(crate) fn text(&self, node: N<'t>) -> Val<String> {
        self.text_at(node, 0)
    }

    fn text_at(&self, node: N<'t>, depth: usize) -> Val<String> {
        if depth > MAX_EVAL_DEPTH {
            return Val::Unknown("intrinsic functions nest too deeply".to_owned());
        }
        if let Some((function, arg)) = intrinsic(node) {
            return self.function_text(function, arg, depth + 1);
        }
        match &node.value {
            Value::Null => Val::Absent,
            Value::String(s) => Val::Known(s.to_string()),
            Value::Number(n) => Val::Known(n.to_string()),
            Value::Bool(b) => Val::Known(b.to_string()),
            Value::Array(_) | Value::Object(_) => Val::Unknown(format!(
                "expected a single value, found {}",
                node.type_name()
            )),
        }
    }

    fn function_text(&self, function: &str, arg: N<'t>, depth: usize) -> Val<String> {
        match function {
            "Ref" => match arg.as_str() {
                Some(name) => self.reference(name, depth),
                None => Val::Unknown("Ref needs a name".to_owned()),
            },
            "Fn::GetAtt" => self.get_att(arg, depth),
            "Fn::Sub" => self.sub(arg, depth),
            "Fn::Join" => self.join(arg, depth),
            "Fn::Select" => match self.select(arg, depth) {
                Val::Known(Elem::Node(n)) => self.text_at(n, depth),
                Val::Known(Elem::Text(t)) => Val::Known(t),
                Val::Absent => Val::Absent,
                Val::Unknown(r) => Val::Unknown(r),
            },
            "Fn::FindInMap" => match self.find_in_map(arg, depth) {
                Val::Known(n) => self.text_at(n, depth),
                Val::Absent => Val::Absent,
                Val::Unknown(r) => Val::Unknown(r),
            },
            "Fn::Base64" => self.text_at(arg, depth),
            "Fn::If" => self.if_text(arg, depth),
            "Fn::ImportValue" => {
                Val::Unknown("Fn::ImportValue is resolved at deploy time".to_owned())
            }
            "Fn::GetAZs" | "Fn::Cidr" => {
                Val::Unknown(format!("{function} is resolved at deploy time"))
            }
            other => Val::Unknown(format!("{other} is not evaluated")),
        }
    }

    /// `Fn::If [condition, a, b]`: conditions are left unknown, unless both branches agree.
    fn if_text(&self, arg: N<'t>, depth: usize) -> Val<String> {
        let Some([condition, yes, no]) =
            arg.items().and_then(|i| <&[Node<'t>; 3]>::try_from(i).ok())
        else {
            return Val::Unknown("Fn::If needs [condition, value, value]".to_owned());
        };
        let name = condition.as_str().unwrap_or("?");
        match (self.text_at(yes, depth), self.text_at(no, depth)) {
            (Val::Known(a), Val::Known(b)) if a == b => Val::Known(a),
            _ => Val::Unknown(format!("depends on condition {name}")),
        }
    }

    /// `Ref` to a parameter, a pseudo parameter or a resource.
    fn reference(&self, name: &str, depth: usize) -> Val<String> {
        match name {
            "AWS::Partition" => return Val::Known(self.partition.clone()),
            "AWS::AccountId" => return Val::Known(self.account.clone()),
            "AWS::Region" => return Val::Known(self.region.clone()),
            "AWS::URLSuffix" => return Val::Known("amazonaws.com".to_owned()),
            "AWS::NoValue" => return Val::Absent,
            n if n.starts_with("AWS::") => {
                return Val::Unknown(format!("{n} is known at deploy time"));
            }
            _ => {}
        }
        if let Some(parameter) = self.parameters.and_then(|p| p.get(name)) {
            return self.parameter(name, parameter, depth);
        }
        match self.resource(name) {
            Some(resource) => Val::Known(self.ref_value(resource, depth)),
            None => Val::Unknown(format!("Ref to {name}, which the template does not define")),
        }
    }

    fn parameter(&self, name: &str, parameter: N<'t>, depth: usize) -> Val<String> {
        let ptype = parameter
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("String");
        if ptype.starts_with("AWS::SSM::Parameter::Value") {
            return Val::Unknown(format!(
                "parameter {name} is read from SSM Parameter Store at deploy time"
            ));
        }
        match parameter.get("Default") {
            Some(default) => self.text_at(default, depth),
            None => Val::Unknown(format!("parameter {name} has no default")),
        }
    }

    /// What `Ref` returns for a resource of the template: its declared name, or its
    /// logical id.
    pub(crate) fn ref_value(&self, resource: &Resource<'t>, depth: usize) -> String {
        if depth < MAX_EVAL_DEPTH
            && let Some(property) = name_property(&resource.rtype)
            && let Some(node) = resource.prop(property)
            && let Val::Known(name) = self.text_at(node, depth + 1)
            && !name.is_empty()
        {
            return name;
        }
        resource.id.clone()
    }

    fn get_att(&self, arg: N<'t>, depth: usize) -> Val<String> {
        let (id, attribute) = match (&arg.value, arg.items()) {
            (_, Some([id, attribute])) => (
                id.as_str().unwrap_or_default().to_owned(),
                match self.text_at(attribute, depth) {
                    Val::Known(a) => a,
                    _ => return Val::Unknown("Fn::GetAtt with a computed attribute".to_owned()),
                },
            ),
            (Value::String(text), _) => match text.split_once('.') {
                Some((id, attribute)) => (id.to_owned(), attribute.to_owned()),
                None => return Val::Unknown("Fn::GetAtt needs Resource.Attribute".to_owned()),
            },
            _ => return Val::Unknown("Fn::GetAtt needs [resource, attribute]".to_owned()),
        };
        self.attribute(&id, &attribute, depth)
    }

    /// `Fn::GetAtt id.attribute`.
    fn attribute(&self, id: &str, attribute: &str, depth: usize) -> Val<String> {
        let Some(resource) = self.resource(id) else {
            return Val::Unknown(format!(
                "Fn::GetAtt of {id}, which the template does not define"
            ));
        };
        if attribute == "CidrBlock"
            && let Some(cidr) = resource.prop("CidrBlock")
        {
            return self.text_at(cidr, depth);
        }
        if attribute == "Name" {
            return Val::Known(self.ref_value(resource, depth));
        }
        let identity =
            attribute == "Arn" || attribute.ends_with("Id") || attribute.ends_with("Arn");
        if identity {
            Val::Known(resource.id.clone())
        } else {
            Val::Unknown(format!("{id}.{attribute} is known at deploy time"))
        }
    }

    fn sub(&self, arg: N<'t>, depth: usize) -> Val<String> {
        let (template, variables) = match (&arg.value, arg.items()) {
            (Value::String(s), _) => (s.to_string(), None),
            (_, Some([template, variables])) => match template.as_str() {
                Some(s) => (s.to_owned(), Some(variables)),
                None => return Val::Unknown("Fn::Sub needs a string".to_owned()),
            },
            _ => return Val::Unknown("Fn::Sub needs a string".to_owned()),
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match variables.and_then(|v| v.get(name)) {
                    Some(node) => self.text_at(node, depth),
                    None if name.contains('.') && !name.starts_with("AWS::") => {
                        let (id, attribute) = name.split_once('.').unwrap_or((name, ""));
                        self.attribute(id, attribute, depth)
                    }
                    None => self.reference(name, depth),
                };
                match value {
                    Val::Known(text) => out.push_str(&text),
                    Val::Absent => {}
                    Val::Unknown(reason) => return Val::Unknown(reason),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Val::Known(out)
    }

    fn join(&self, arg: N<'t>, depth: usize) -> Val<String> {
        let Some([delimiter, list]) = arg.items().and_then(|i| <&[Node<'t>; 2]>::try_from(i).ok())
        else {
            return Val::Unknown("Fn::Join needs [delimiter, list]".to_owned());
        };
        let Some(delimiter) = delimiter.as_str() else {
            return Val::Unknown("Fn::Join needs a string delimiter".to_owned());
        };
        let items = match self.list_at(list, depth) {
            Val::Known(items) => items,
            Val::Absent => return Val::Known(String::new()),
            Val::Unknown(reason) => return Val::Unknown(reason),
        };
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Elem::Text(t) => parts.push(t),
                Elem::Node(n) => match self.text_at(n, depth) {
                    Val::Known(t) => parts.push(t),
                    Val::Absent => {}
                    Val::Unknown(reason) => return Val::Unknown(reason),
                },
            }
        }
        Val::Known(parts.join(delimiter))
    }

    fn select(&self, arg: N<'t>, depth: usize) -> Val<Elem<'t>> {
        let Some([index, list]) = arg.items().and_then(|i| <&[Node<'t>; 2]>::try_from(i).ok())
        else {
            return Val::Unknown("Fn::Select needs [index, list]".to_owned());
        };
        let index = match self.text_at(index, depth) {
            Val::Known(i) => match i.trim().parse::<usize>() {
                Ok(i) => i,
                Err(_) => return Val::Unknown("Fn::Select index is not a number".to_owned()),
            },
            _ => return Val::Unknown("Fn::Select index is unknown".to_owned()),
        };
        match self.list_at(list, depth) {
            Val::Known(items) => items.into_iter().nth(index).map_or_else(
                || Val::Unknown("Fn::Select index out of range".to_owned()),
                Val::Known,
            ),
            Val::Absent => Val::Absent,
            Val::Unknown(reason) => Val::Unknown(reason),
        }
    }

    fn find_in_map(&self, arg: N<'t>, depth: usize) -> Val<N<'t>> {
        let Some([map, top, second]) = arg.items().and_then(|i| <&[Node<'t>; 3]>::try_from(i).ok())
        else {
            return Val::Unknown("Fn::FindInMap needs [map, key, key]".to_owned());
        };
        let keys = [map, top, second].map(|k| self.text_at(k, depth));
        let [Val::Known(map), Val::Known(top), Val::Known(second)] = keys else {
            return Val::Unknown("Fn::FindInMap with a key known at deploy time".to_owned());
        };
        match self
            .mappings
            .and_then(|m| m.get(&map))
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
        {
            Some(node) => Val::Known(node),
            None => Val::Unknown(format!("mapping {map}.{top}.{second} is not defined")),
        }
    }

    /// A list value: the items of a list (with `AWS::NoValue` items dropped), a list
    /// parameter's default, or a computed list.
    pub(crate) fn list(&self, node: N<'t>) -> Val<Vec<Elem<'t>>> {
        self.list_at(node, 0)
    }

    fn list_at(&self, node: N<'t>, depth: usize) -> Val<Vec<Elem<'t>>> {
        if depth > MAX_EVAL_DEPTH {
            return Val::Unknown("intrinsic functions nest too deeply".to_owned());
        }
        if let Some(items) = node.items() {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match intrinsic(item) {
                    Some(("Ref", name)) if name.as_str() == Some("AWS::NoValue") => {}
                    Some(("Fn::If", arg)) => match Self::if_node(arg) {
                        Val::Known(chosen) => out.push(Elem::Node(chosen)),
                        Val::Absent => {}
                        Val::Unknown(reason) => return Val::Unknown(reason),
                    },
                    _ => out.push(Elem::Node(item)),
                }
            }
            return Val::Known(out);
        }
        let Some((function, arg)) = intrinsic(node) else {
            return match node.value {
                Value::Null => Val::Absent,
                _ => Val::Unknown(format!("expected a list, found {}", node.type_name())),
            };
        };
        match function {
            "Ref" => {
                let name = arg.as_str().unwrap_or_default();
                if name == "AWS::NoValue" {
                    return Val::Absent;
                }
                match self.parameters.and_then(|p| p.get(name)) {
                    Some(parameter) => match self.parameter(name, parameter, depth + 1) {
                        Val::Known(text) => Val::Known(
                            text.split(',')
                                .map(|s| Elem::Text(s.trim().to_owned()))
                                .collect(),
                        ),
                        Val::Absent => Val::Absent,
                        Val::Unknown(reason) => Val::Unknown(reason),
                    },
                    None => Val::Unknown(format!("Ref to {name} is not a list")),
                }
            }
            "Fn::Split" => {
                let Some([delimiter, text]) =
                    arg.items().and_then(|i| <&[Node<'t>; 2]>::try_from(i).ok())
                else {
                    return Val::Unknown("Fn::Split needs [delimiter, text]".to_owned());
                };
                match (delimiter.as_str(), self.text_at(text, depth + 1)) {
                    (Some(d), Val::Known(t)) if !d.is_empty() => {
                        Val::Known(t.split(d).map(|s| Elem::Text(s.to_owned())).collect())
                    }
                    (_, Val::Unknown(reason)) => Val::Unknown(reason),
                    _ => Val::Unknown("Fn::Split could not be evaluated".to_owned()),
                }
            }
            "Fn::If" => match Self::if_node(arg) {
                Val::Known(chosen) => self.list_at(chosen, depth + 1),
                Val::Absent => Val::Absent,
                Val::Unknown(reason) => Val::Unknown(reason),
            },
            "Fn::FindInMap" => match self.find_in_map(arg, depth + 1) {
                Val::Known(n) => self.list_at(n, depth + 1),
                Val::Absent => Val::Absent,
                Val::Unknown(r) => Val::Unknown(r),
            },
            other => Val::Unknown(format!("{other} gives a list known at deploy time")),
        }
    }

    /// `Fn::If` on a structured value: unknown unless both branches are the same node.
    fn if_node(arg: N<'t>) -> Val<N<'t>> {
        let Some([condition, yes, no]) =
            arg.items().and_then(|i| <&[Node<'t>; 3]>::try_from(i).ok())
        else {
            return Val::Unknown("Fn::If needs [condition, value, value]".to_owned());
        };
        if yes.to_json() == no.to_json() {
            return Val::Known(yes);
        }
        Val::Unknown(format!(
            "depends on condition {}",
            condition.as_str().unwrap_or("?")
        ))
    }

    /// A structured value (a mapping or list), or absent / unknown when it is an intrinsic.
    pub(crate) fn structure(node: N<'t>) -> Val<N<'t>> {
        match intrinsic(node) {
            Some(("Ref", name)) if name.as_str() == Some("AWS::NoValue") => Val::Absent,
            Some(("Fn::If", arg)) => match Self::if_node(arg) {
                Val::Known(n) => Self::structure(n),
                other => other,
            },
            Some((function, _)) if function != "Condition" => {
                Val::Unknown(format!("{function} is not evaluated here"))
            }
            _ if node.is_null() => Val::Absent,
            _ => Val::Known(node),
        }
    }

    pub(crate) fn flag(&self, node: N<'t>) -> Val<bool> {
        match self.text(node) {
            Val::Known(t) if t.eq_ignore_ascii_case("true") => Val::Known(true),
            Val::Known(t) if t.eq_ignore_ascii_case("false") => Val::Known(false),
            Val::Known(t) => Val::Unknown(format!("`{t}` is not a boolean")),
            Val::Absent => Val::Absent,
            Val::Unknown(r) => Val::Unknown(r),
        }
    }

    pub(crate) fn int(&self, node: N<'t>) -> Val<i64> {
        match self.text(node) {
            Val::Known(t) => match t.trim().parse::<i64>() {
                Ok(n) => Val::Known(n),
                Err(_) => match t.trim().parse::<f64>() {
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(f) if f.fract() == 0.0 && f.is_finite() => Val::Known(f as i64),
                    _ => Val::Unknown(format!("`{t}` is not a whole number")),
                },
            },
            Val::Absent => Val::Absent,
            Val::Unknown(r) => Val::Unknown(r),
        }
    }

    /// The text of every element of a list.
    pub(crate) fn texts(&self, node: N<'t>) -> Val<Vec<String>> {
        let items = match self.list(node) {
            Val::Known(items) => items,
            Val::Absent => return Val::Absent,
            Val::Unknown(reason) => return Val::Unknown(reason),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Elem::Text(t) => out.push(t),
                Elem::Node(n) => match self.text(n) {
                    Val::Known(t) => out.push(t),
                    Val::Absent => {}
                    Val::Unknown(reason) => return Val::Unknown(reason),
                },
            }
        }
        Val::Known(out)
    }

    /// A value as JSON with every intrinsic evaluated; parts that cannot be evaluated are
    /// replaced by a marker and listed as `(JSON path, reason)`.
    pub(crate) fn to_json(
        &self,
        node: N<'t>,
        path: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Json {
        if path.len() > 4096 {
            problems.push((path.to_owned(), "nested too deeply".to_owned()));
            return Json::Null;
        }
        if let Some((function, arg)) = intrinsic(node) {
            if function == "Fn::If" {
                return match Self::if_node(arg) {
                    Val::Known(n) => self.to_json(n, path, problems),
                    Val::Absent => Json::Null,
                    Val::Unknown(reason) => {
                        problems.push((path.to_owned(), reason.clone()));
                        Json::String(format!("<unknown: {reason}>"))
                    }
                };
            }
            return match self.text(node) {
                Val::Known(text) => Json::String(text),
                Val::Absent => Json::Null,
                Val::Unknown(reason) => {
                    problems.push((path.to_owned(), reason.clone()));
                    Json::String(format!("<unknown: {reason}>"))
                }
            };
        }
        match &node.value {
            Value::Array(items) => Json::Array(
                items
                    .iter()
                    .filter(|i| !matches!(intrinsic(i), Some(("Ref", n)) if n.as_str() == Some("AWS::NoValue")))
                    .enumerate()
                    .map(|(i, item)| self.to_json(item, &format!("{path}[{i}]"), problems))
                    .collect(),
            ),
            Value::Object(members) => Json::Object(
                members
                    .iter()
                    .filter(|Member { value: v, .. }| !matches!(intrinsic(v), Some(("Ref", n)) if n.as_str() == Some("AWS::NoValue")))
                    .map(|Member { key: k, value: v }| {
                        let child = if path.is_empty() {
                            k.to_string()
                        } else {
                            format!("{path}.{k}")
                        };
                        (k.to_string(), self.to_json(v, &child, problems))
                    })
                    .collect(),
            ),
            _ => node.to_json(),
        }
    }
}

#[cfg(test)]
mod tests;
