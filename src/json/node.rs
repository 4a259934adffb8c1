//! The positioned value tree: every value remembers the byte offset of its first character,
//! and every object member where its name starts.
//!
//! Built by the JSON [`super::Parser`] and by the YAML reader of the IaC ingesters
//! (`ingest::yaml`); read by the policy parser (`policy::document`) and the IAM, Terraform and
//! CloudFormation ingesters. Strings without escapes borrow from the source text and numbers
//! keep the text they were written as. Objects keep their members in document order,
//! duplicates included: the policy parser rejects duplicate elements, and [`Node::get`] takes
//! the last one (as `serde_json` does).
//!
//! The tree is deliberately small, because a 100 MB Terraform plan becomes millions of nodes:
//! offsets are 4 bytes (the parser refuses texts over 4 GiB), a [`Node`] is 40 bytes and a
//! [`Member`] 64. Nesting is bounded by the parsers ([`super::MAX_DEPTH`]), so the recursive
//! helpers here (and dropping a tree) cannot exhaust the stack.

use std::borrow::Cow;

use serde_json::Value as Json;

/// One value and the byte offset of its first character (for objects and arrays: the opening
/// bracket; in YAML: the first key or item). Trees converted from `serde_json` data
/// ([`Node::from_json`]) have offset 0 everywhere: callers that convert know there is no text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'a> {
    pub(crate) offset: u32,
    /// For the value of an object member: where the member's name starts (its opening quote
    /// in JSON); otherwise equal to `offset`. Kept here rather than in [`Member`] because it
    /// then fills what would be alignment padding: members stay 64 bytes.
    key_offset: u32,
    pub(crate) value: Value<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// A number exactly as written (`1.50` stays `1.50`; `1e400` is not rounded to infinity).
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order; duplicates are kept.
    Object(Vec<Member<'a>>),
}

/// One member of an object: its (decoded) name and its value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Node<'a>,
}

impl<'a> Member<'a> {
    /// A member whose name starts at `key_offset`.
    pub(crate) fn new(key: Cow<'a, str>, key_offset: u32, mut value: Node<'a>) -> Self {
        value.key_offset = key_offset;
        Member { key, value }
    }

    /// The byte offset where the member's name starts.
    pub(crate) fn key_offset(&self) -> usize {
        self.value.key_offset as usize
    }
}

impl<'a> Node<'a> {
    pub(crate) fn new(offset: u32, value: Value<'a>) -> Self {
        Node {
            offset,
            key_offset: offset,
            value,
        }
    }

    /// The byte offset of the value's first character.
    pub(crate) fn offset(&self) -> usize {
        self.offset as usize
    }

    /// The member `key` of an object (the last one when repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.value {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|m| m.key == key)
                .map(|m| &m.value),
            _ => None,
        }
    }

    /// A member that is present and not `null`.
    pub(crate) fn get_some(&self, key: &str) -> Option<&Node<'a>> {
        self.get(key).filter(|n| !n.is_null())
    }

    pub(crate) fn members(&self) -> Option<&[Member<'a>]> {
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

    /// The value as `serde_json` data (positions are dropped; duplicate members collapse to
    /// the last).
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
                    .map(|m| (m.key.to_string(), m.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Borrows `serde_json` data as a tree without positions (every offset is 0). Used where
    /// a document arrives already parsed (`Policy::from_value`).
    pub(crate) fn from_json(value: &Json) -> Node<'_> {
        let value = match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(Cow::Owned(n.to_string())),
            Json::String(s) => Value::String(Cow::Borrowed(s)),
            Json::Array(items) => Value::Array(items.iter().map(Node::from_json).collect()),
            Json::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Member::new(Cow::Borrowed(k), 0, Node::from_json(v)))
                    .collect(),
            ),
        };
        Node::new(0, value)
    }
}

/// A number as written, as `serde_json` data: integers stay integers; what does not fit a
/// JSON number (YAML's `.inf`, `0x1F`) stays text.
fn number_to_json(text: &str) -> Json {
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
    fn objects_take_the_last_duplicate_and_convert_to_json() {
        let node = Node::new(
            0,
            Value::Object(vec![
                Member::new("a".into(), 1, s("first")),
                Member::new("a".into(), 2, s("second")),
                Member::new("n".into(), 3, Node::new(5, Value::Number("1.50".into()))),
            ]),
        );
        assert_eq!(node.get("a").and_then(Node::as_str), Some("second"));
        assert_eq!(node.members().map(|m| m[2].key_offset()), Some(3));
        assert_eq!(node.get("n").map(Node::offset), Some(5));
        assert_eq!(node.to_json(), serde_json::json!({"a": "second", "n": 1.5}));
        assert_eq!(number_to_json(".inf"), Json::String(".inf".into()));
        assert_eq!(number_to_json("18446744073709551615"), Json::from(u64::MAX));
    }

    #[test]
    fn serde_data_converts_without_positions_and_back() {
        let json =
            serde_json::json!({"Statement": [{"Effect": "Allow", "n": 2, "b": true}], "x": null});
        let node = Node::from_json(&json);
        let statement = &node.get("Statement").and_then(Node::items).unwrap()[0];
        assert_eq!(
            statement.get("Effect").and_then(Node::as_str),
            Some("Allow")
        );
        assert_eq!(statement.get("n").unwrap().value, Value::Number("2".into()));
        assert!(node.get("x").unwrap().is_null() && node.get_some("x").is_none());
        assert_eq!(statement.offset(), 0);
        assert_eq!(node.to_json(), json);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn members_stay_small() {
        // The 100 MB plan budget (docs/performance.md) assumes these sizes.
        assert_eq!(std::mem::size_of::<Node<'_>>(), 40);
        assert_eq!(std::mem::size_of::<Member<'_>>(), 64);
    }
}
