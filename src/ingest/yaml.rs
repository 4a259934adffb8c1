//! YAML to the positioned [`Node`] tree, for CloudFormation templates (and YAML SSM document
//! content).
//!
//! Built on `saphyr-parser`'s event stream (a state machine, no recursion), assembled here
//! with an explicit stack so that deeply nested input stops with a clean error at
//! [`MAX_DEPTH`]. Scalars are typed the way CloudFormation reads them: `true`/`false`,
//! numbers and `null` are recognized, everything else stays text, so YAML 1.1 dates such as
//! an unquoted `Version: 2012-10-17` remain the string IAM expects. CloudFormation's short
//! tags become their long forms (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` →
//! `{"Fn::GetAtt": ["A", "B"]}`, `!Sub …` → `{"Fn::Sub": …}`). Anchors and aliases are
//! expanded within a budget (a "billion laughs" file is an error, not an out-of-memory).

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::json::{LineIndex, MAX_DEPTH, Member, Node, Value};

/// A YAML syntax error with its 1-based position (when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) message: String,
}

/// The first document of a YAML stream.
pub(crate) struct Document<'a> {
    pub(crate) root: Node<'a>,
    /// Another document follows the first (`---`); templates have exactly one.
    pub(crate) more_documents: bool,
}

/// Parse the first document of `text`.
pub(crate) fn parse<'a>(text: &'a str, index: &LineIndex<'a>) -> Result<Document<'a>, YamlError> {
    if text.len() > u32::MAX as usize {
        return Err(YamlError {
            line: 0,
            column: 0,
            message: "the file is larger than 4 GiB".to_owned(),
        });
    }
    let mut builder = Builder {
        index,
        stack: Vec::new(),
        anchors: HashMap::new(),
        budget: text.len().saturating_mul(4).saturating_add(100_000),
    };
    let mut parser = Parser::new_from_str(text);
    let mut root: Option<Node<'a>> = None;
    let mut in_document = false;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| YamlError {
            line: crate::json::saturate(e.marker().line()),
            column: crate::json::saturate(e.marker().col() + 1),
            message: if e.info().contains("recursion limit") {
                "nesting deeper than the YAML reader allows; refusing to read further".to_owned()
            } else {
                e.info().to_owned()
            },
        })?;
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                if root.is_some() {
                    return Ok(Document {
                        root: root.unwrap_or_else(|| Node::new(0, Value::Null)),
                        more_documents: true,
                    });
                }
                in_document = true;
            }
            Event::DocumentEnd => in_document = false,
            other => {
                if !in_document && root.is_some() {
                    continue;
                }
                if let Some(done) = builder.event(other, span)? {
                    root = Some(done);
                }
            }
        }
    }
    match root {
        Some(root) => Ok(Document {
            root,
            more_documents: false,
        }),
        None => Err(YamlError {
            line: 1,
            column: 1,
            message: "the file is empty: expected a YAML document".to_owned(),
        }),
    }
}

enum Frame<'a> {
    Sequence {
        offset: u32,
        anchor: usize,
        tag: Option<String>,
        items: Vec<Node<'a>>,
    },
    Mapping {
        offset: u32,
        anchor: usize,
        tag: Option<String>,
        members: Vec<Member<'a>>,
        /// The key waiting for its value, and where the key is.
        key: Option<(Cow<'a, str>, u32)>,
    },
}

struct Builder<'i, 'a> {
    index: &'i LineIndex<'a>,
    stack: Vec<Frame<'a>>,
    anchors: HashMap<usize, Node<'a>>,
    /// Nodes that aliases may still create.
    budget: usize,
}

#[allow(clippy::cast_possible_truncation)] // the text is at most 4 GiB
fn off(offset: usize) -> u32 {
    offset as u32
}

impl<'a> Builder<'_, 'a> {
    fn error(span: Span, message: impl Into<String>) -> YamlError {
        YamlError {
            line: crate::json::saturate(span.start.line()),
            column: crate::json::saturate(span.start.col() + 1),
            message: message.into(),
        }
    }

    fn offset(&self, span: Span) -> u32 {
        off(self.index.offset_of(span.start.line(), span.start.col()))
    }

    /// Feed one event; returns the root once the document's top node is complete.
    fn event(&mut self, event: Event<'a>, span: Span) -> Result<Option<Node<'a>>, YamlError> {
        let node = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = self.scalar(text, style, tag.as_deref(), span);
                self.remember(anchor, &node);
                node
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(Self::error(span, "alias to an unknown anchor"));
                };
                let size = count_nodes(target);
                if size > self.budget {
                    return Err(Self::error(
                        span,
                        "aliases expand to too many nodes (an alias bomb?); refusing to read further",
                    ));
                }
                self.budget -= size;
                target.clone()
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Sequence {
                    offset: self.offset(span),
                    anchor,
                    tag: tag.map(|t| short_tag(&t)).unwrap_or_default(),
                    items: Vec::new(),
                });
                return Ok(None);
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Mapping {
                    offset: self.offset(span),
                    anchor,
                    tag: tag.map(|t| short_tag(&t)).unwrap_or_default(),
                    members: Vec::new(),
                    key: None,
                });
                return Ok(None);
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Sequence {
                    offset,
                    anchor,
                    tag,
                    items,
                }) => {
                    let node = tagged(Node::new(offset, Value::Array(items)), tag.as_deref());
                    self.remember(anchor, &node);
                    node
                }
                _ => return Err(Self::error(span, "unbalanced sequence")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Mapping {
                    offset,
                    anchor,
                    tag,
                    members,
                    key,
                }) => {
                    if key.is_some() {
                        return Err(Self::error(span, "mapping key without a value"));
                    }
                    let node = tagged(Node::new(offset, Value::Object(members)), tag.as_deref());
                    self.remember(anchor, &node);
                    node
                }
                _ => return Err(Self::error(span, "unbalanced mapping")),
            },
            _ => return Ok(None),
        };
        self.attach(node, span)
    }

    fn check_depth(&self, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            Err(Self::error(
                span,
                format!("nesting deeper than {MAX_DEPTH} levels; refusing to read further"),
            ))
        } else {
            Ok(())
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node<'a>) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn attach(&mut self, node: Node<'a>, span: Span) -> Result<Option<Node<'a>>, YamlError> {
        match self.stack.last_mut() {
            None => Ok(Some(node)),
            Some(Frame::Sequence { items, .. }) => {
                items.push(node);
                Ok(None)
            }
            Some(Frame::Mapping { members, key, .. }) => {
                match key.take() {
                    None => {
                        let at = node.offset;
                        let text = match node.value {
                            Value::String(s) | Value::Number(s) => s,
                            Value::Bool(b) => Cow::Owned(b.to_string()),
                            Value::Null => Cow::Borrowed(""),
                            Value::Array(_) | Value::Object(_) => {
                                return Err(Self::error(
                                    span,
                                    "complex mapping keys (a list or mapping used as a key) are not supported",
                                ));
                            }
                        };
                        *key = Some((text, at));
                    }
                    Some((k, _)) if k == "<<" => merge(members, node),
                    Some((k, at)) => {
                        // A block mapping or list under a key starts, for a reader, at the
                        // key: a resource is on the line of its logical id.
                        let mut node = node;
                        if matches!(node.value, Value::Object(_) | Value::Array(_)) {
                            node.offset = node.offset.min(at);
                        }
                        members.push(Member::new(k, at, node));
                    }
                }
                Ok(None)
            }
        }
    }

    fn scalar(
        &self,
        text: Cow<'a, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Node<'a> {
        let offset = self.offset(span);
        let core = tag
            .filter(|t| t.is_yaml_core_schema())
            .map(|t| t.suffix.as_str());
        let value = match (core, style) {
            (Some("str"), _) => Value::String(text),
            (Some("null"), _) => Value::Null,
            (Some("bool"), _) => match text.as_ref() {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                _ => Value::String(text),
            },
            (Some("int" | "float"), _) => Value::Number(text),
            (_, ScalarStyle::Plain) => plain(text),
            _ => Value::String(text),
        };
        let short = tag.filter(|t| !t.is_yaml_core_schema()).map(short_tag);
        tagged(Node::new(offset, value), short.flatten().as_deref())
    }
}

/// YAML `<<` merge keys: members of the merged mapping(s) that are not already present.
fn merge<'a>(members: &mut Vec<Member<'a>>, node: Node<'a>) {
    let sources = match node.value {
        Value::Object(m) => vec![m],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|n| match n.value {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for source in sources {
        for member in source {
            if !members.iter().any(|existing| existing.key == member.key) {
                members.push(member);
            }
        }
    }
}

fn count_nodes(node: &Node<'_>) -> usize {
    1 + match &node.value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(members) => members.iter().map(|m| count_nodes(&m.value)).sum(),
        _ => 0,
    }
}

/// The local part of a `!Name` tag (`Some("Ref")`); `None` for other tag handles.
fn short_tag(tag: &Tag) -> Option<String> {
    (tag.handle == "!").then(|| tag.suffix.clone())
}

/// A CloudFormation short-form intrinsic as its long form.
fn tagged<'a>(node: Node<'a>, tag: Option<&str>) -> Node<'a> {
    let Some(tag) = tag else {
        return node;
    };
    let offset = node.offset;
    let key = match tag {
        "Ref" => "Ref".to_owned(),
        "Condition" => "Condition".to_owned(),
        other => format!("Fn::{other}"),
    };
    let value = match (tag, node.value) {
        // `!GetAtt Resource.Attribute` splits at the first dot (attributes may contain dots).
        ("GetAtt", Value::String(text)) => {
            let (resource, attribute) = match text.split_once('.') {
                Some((r, a)) => (r.to_owned(), a.to_owned()),
                None => (text.into_owned(), String::new()),
            };
            Node::new(
                offset,
                Value::Array(vec![
                    Node::new(offset, Value::String(Cow::Owned(resource))),
                    Node::new(offset, Value::String(Cow::Owned(attribute))),
                ]),
            )
        }
        (_, value) => Node::new(offset, value),
    };
    Node::new(
        offset,
        Value::Object(vec![Member::new(Cow::Owned(key), offset, value)]),
    )
}

/// Type a plain scalar: null, booleans and numbers are recognized; everything else (dates,
/// versions, `yes`, `0x1F`) stays text.
fn plain(text: Cow<'_, str>) -> Value<'_> {
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t if is_number(t) => Value::Number(text),
        _ => Value::String(text),
    }
}

fn is_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn doc(text: &str) -> Node<'_> {
        // The index must outlive the tree only while parsing.
        let index = LineIndex::new(text);
        parse(text, &index).expect("valid YAML").root
    }

    #[test]
    fn scalars_are_typed_as_cloudformation_reads_them() {
        let node = doc(
            "Version: 2012-10-17\nPort: 22\nQuoted: '22'\nOn: true\nEmpty:\nYes: yes\nF: 1.5e3\n",
        );
        assert_eq!(node.get("Version").unwrap().as_str(), Some("2012-10-17"));
        assert!(matches!(node.get("Port").unwrap().value, Value::Number(_)));
        assert_eq!(node.get("Quoted").unwrap().as_str(), Some("22"));
        assert_eq!(node.get("On").unwrap().as_bool(), Some(true));
        assert!(node.get("Empty").unwrap().is_null());
        assert_eq!(node.get("Yes").unwrap().as_str(), Some("yes"));
        assert!(matches!(node.get("F").unwrap().value, Value::Number(_)));
    }

    #[test]
    fn short_form_intrinsics_become_long_form() {
        let node = doc(
            "A: !Ref Vpc\nB: !GetAtt Role.Arn\nC: !Sub 'arn:${AWS::Partition}:x'\nD: !Join ['', [a, !Ref B]]\nE: !GetAtt Db.Endpoint.Address\n",
        );
        assert_eq!(
            node.get("A").unwrap().to_json(),
            serde_json::json!({"Ref": "Vpc"})
        );
        assert_eq!(
            node.get("B").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Role", "Arn"]})
        );
        assert_eq!(
            node.get("C").unwrap().to_json(),
            serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:x"})
        );
        assert_eq!(
            node.get("D").unwrap().to_json(),
            serde_json::json!({"Fn::Join": ["", ["a", {"Ref": "B"}]]})
        );
        assert_eq!(
            node.get("E").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
    }

    #[test]
    fn offsets_point_at_items_and_keys() {
        let text = "Ingress:\n  - IpProtocol: tcp\n    FromPort: 22\n  - IpProtocol: udp\n";
        let index = LineIndex::new(text);
        let node = parse(text, &index).unwrap().root;
        let items = node.get("Ingress").unwrap().items().unwrap();
        assert_eq!(index.position(items[0].offset()).line, 2);
        assert_eq!(index.position(items[0].offset()).column, 5);
        assert_eq!(index.position(items[1].offset()).line, 4);
        let list = node.get("Ingress").unwrap();
        assert_eq!(
            index.position(list.offset()).line,
            1,
            "a block under a key starts at the key"
        );
        let port = items[0].get("FromPort").unwrap();
        assert_eq!(index.position(port.offset()).line, 3);
    }

    #[test]
    fn member_names_keep_their_position() {
        let text = "Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {Tags: []}
";
        let index = LineIndex::new(text);
        let node = parse(text, &index).unwrap().root;
        let bucket = node.get("Resources").unwrap().members().unwrap();
        assert_eq!(bucket[0].key, "Bucket");
        let at = |offset| {
            let p = index.position(offset);
            (p.line, p.column)
        };
        assert_eq!(at(bucket[0].key_offset()), (2, 3));
        let members = bucket[0].value.members().unwrap();
        assert_eq!(at(members[0].key_offset()), (3, 5));
        assert_eq!(at(members[1].key_offset()), (4, 5));
        let tags = &members[1].value.members().unwrap()[0];
        assert_eq!(at(tags.key_offset()), (4, 18));
    }

    #[test]
    fn anchors_merge_and_alias_bombs() {
        let node = doc("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        assert_eq!(
            node.get("derived").unwrap().to_json(),
            serde_json::json!({"y": 3, "x": 1})
        );
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            let _ = writeln!(
                bomb,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        let index = LineIndex::new(&bomb);
        let err = parse(&bomb, &index).err().expect("refused");
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn errors_and_deep_nesting() {
        let text = "a: [1, 2\nb: 3\n";
        let index = LineIndex::new(text);
        let err = parse(text, &index).err().expect("invalid");
        assert!(err.line >= 1, "{err:?}");
        let deep = "[".repeat(100_000);
        let index = LineIndex::new(&deep);
        let err = parse(&deep, &index).err().expect("too deep");
        assert!(err.message.contains("nesting deeper"), "{err:?}");
        let mut block = String::new();
        for i in 0..2_000 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        let index = LineIndex::new(&block);
        let err = parse(&block, &index).err().expect("too deep");
        assert!(err.message.contains("nesting deeper"), "{err:?}");
        let empty = "# only a comment\n";
        let index = LineIndex::new(empty);
        assert!(
            parse(empty, &index)
                .err()
                .unwrap()
                .message
                .contains("empty")
        );
    }

    #[test]
    fn several_documents_are_flagged() {
        let text = "---\na: 1\n---\nb: 2\n";
        let index = LineIndex::new(text);
        let parsed = parse(text, &index).unwrap();
        assert!(parsed.more_documents);
        assert_eq!(parsed.root.get("a").unwrap().as_i64(), Some(1));
    }
}
