//! How the ingesters read values of the shared document tree ([`crate::json::Node`], built by
//! the JSON reader and by [`super::yaml`]): loosely, the way IaC is written.
//!
//! Terraform and CloudFormation write ports as `22` or `"22"` and flags as `true` or
//! `"true"`, and IaC authors call JSON arrays and YAML sequences alike "lists"; the policy
//! parser, which reads JSON strictly, has none of this. Read by the IAM, Terraform and
//! CloudFormation ingesters.

use std::borrow::Cow;

use crate::json::{Node, Value};

impl Node<'_> {
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

    /// The type name for messages about IaC inputs ("expected a list, found a string").
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
    fn scalars_read_as_text_and_types_are_named_for_iac_authors() {
        assert_eq!(
            Node::new(0, Value::Bool(false)).scalar_text().as_deref(),
            Some("false")
        );
        assert_eq!(s("22").scalar_text().as_deref(), Some("22"));
        assert_eq!(Node::new(0, Value::Array(Vec::new())).type_name(), "a list");
        assert_eq!(Node::new(0, Value::Null).scalar_text(), None);
    }
}
