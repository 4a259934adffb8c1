//! The document tree the ingesters read: JSON or YAML values that remember the byte offset
//! where they start, so a finding can point at the line of the statement, rule or resource
//! that caused it.
//!
//! Built by [`super::json`] and [`super::yaml`]; read by the IAM, Terraform and
//! CloudFormation ingesters. Strings without escapes borrow from the source text, which keeps
//! a 100 MB plan's tree small. Nesting is bounded by the parsers ([`MAX_DEPTH`]), so the
//! recursive helpers here (and dropping a tree) cannot exhaust the stack.

use std::borrow::Cow;

use serde_json::Value as Json;

/// The deepest nesting the parsers accept. Real inputs nest a few dozen levels (a policy
/// inside a plan inside modules); 100,000 levels of hostile input must be an error, not a
/// stack overflow in code that walks or drops the tree.
pub(crate) const MAX_DEPTH: usize = 512;

/// One value and the byte offset of its first character (for objects and arrays: the
/// opening bracket; in YAML: the first key or item).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'a> {
    pub(crate) offset: u32,
    pub(crate) value: Value<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// A number as written (`1.50` stays `1.50`).
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order; duplicates are kept, lookups take the last (as
    /// `serde_json` does).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    pub(crate) fn new(offset: u32, value: Value<'a>) -> Self {
        Node { offset, value }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset as usize
    }

    /// The member `key` of an object (the last one when repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.value {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A member that is present and not `null`.
    pub(crate) fn get_some(&self, key: &str) -> Option<&Node<'a>> {
        self.get(key).filter(|n| !n.is_null())
    }

    pub(crate) fn members(&self) -> Option<&[(Cow<'a, str>, Node<'a>)]> {
        match &self.value {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    pub(crate) fn items(&self) -> Option<&[Node<'a>]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self.value, Value::Object(_))
    }

    /// A string, number or boolean as text (IaC writes ports as `22` or `"22"`).
    pub(crate) fn scalar_text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Borrowed(n)),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            _ => None,
        }
    }

    /// A whole number given as a number or a string (`22`, `"22"`, `-1`).
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Number(n) | Value::String(n) => parse_whole(n),
            _ => None,
        }
    }

    /// A boolean given as a boolean or as the strings `true` / `false` (any case).
    pub(crate) fn as_flag(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The JSON type name for messages ("expected a list, found a string").
    pub(crate) fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// The value as `serde_json` data (positions are dropped).
    pub(crate) fn to_json(&self) -> Json {
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => Json::String(s.to_string()),
            Value::Array(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Object(members) => Json::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn parse_whole(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    // `22.0` is a whole number; `22.5` is not.
    let (whole, fraction) = text.split_once('.')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}

/// A number as written, as `serde_json` data: integers stay integers; what does not fit a
/// JSON number (YAML's `.inf`, `0x1F`) stays text.
pub(crate) fn number_to_json(text: &str) -> Json {
    if let Ok(n) = text.parse::<i64>() {
        return Json::from(n);
    }
    if let Ok(n) = text.parse::<u64>() {
        return Json::from(n);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => serde_json::Number::from_f64(f)
            .map_or_else(|| Json::String(text.to_owned()), Json::Number),
        _ => Json::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node<'_> {
        Node::new(0, Value::String(Cow::Borrowed(text)))
    }

    #[test]
    fn scalars_read_loosely_where_iac_is_loose() {
        assert_eq!(s("22").as_i64(), Some(22));
        assert_eq!(Node::new(0, Value::Number("-1".into())).as_i64(), Some(-1));
        assert_eq!(
            Node::new(0, Value::Number("22.0".into())).as_i64(),
            Some(22)
        );
        assert_eq!(s("22.5").as_i64(), None);
        assert_eq!(s("hello22").as_i64(), None);
        assert_eq!(s("True").as_flag(), Some(true));
        assert_eq!(s("yes").as_flag(), None);
    }

    #[test]
    fn objects_take_the_last_duplicate_and_convert_to_json() {
        let node = Node::new(
            0,
            Value::Object(vec![
                ("a".into(), s("first")),
                ("a".into(), s("second")),
                ("n".into(), Node::new(5, Value::Number("1.50".into()))),
            ]),
        );
        assert_eq!(node.get("a").and_then(Node::as_str), Some("second"));
        assert_eq!(node.to_json(), serde_json::json!({"a": "second", "n": 1.5}));
        assert_eq!(number_to_json(".inf"), Json::String(".inf".into()));
        assert_eq!(number_to_json("18446744073709551615"), Json::from(u64::MAX));
    }
}
