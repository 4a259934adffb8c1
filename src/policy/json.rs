//! A small JSON reader that remembers where every value starts, for the policy parser.
//!
//! `serde_json` forgets positions, but IaC findings must point at the statement that caused
//! them and parse errors must name a line and column. This reader builds a borrowed tree
//! (strings without escapes are not copied) whose nodes carry the byte offset of their first
//! character; [`LineIndex`] turns offsets into 1-based line/column pairs only when asked, so
//! the common path (parse the corpus, find nothing wrong) does not pay for positions.
//! Used only by `policy::parse`; trees built from a `serde_json::Value` have no offsets.

use std::borrow::Cow;

use super::error::{ParseError, ParseErrorKind, Position};

/// Nesting deeper than this is rejected instead of risking the stack on hostile input; real
/// policies nest five levels deep (Statement → Condition → operator → key → values).
const MAX_DEPTH: usize = 64;

/// One JSON value with the byte offset of its first character (`None` when the tree was
/// converted from a `serde_json::Value`).
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub(crate) offset: Option<usize>,
    pub(crate) value: Value<'a>,
}

#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// The number exactly as written, so `1.50` stays `1.50` when used as a condition value.
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order; duplicates are kept so the policy parser can reject them.
    Object(Vec<Member<'a>>),
}

#[derive(Debug, Clone)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) key_offset: Option<usize>,
    pub(crate) value: Node<'a>,
}

impl Value<'_> {
    /// The JSON type name used in error messages ("expected a string, found an array").
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Converts byte offsets of one text into 1-based line and column (columns count Unicode
/// scalar values, as editors do for the characters policies contain).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, line_starts }
    }

    pub(crate) fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        Position {
            line: line + 1,
            column: column + 1,
        }
    }
}

/// Parses one JSON document; trailing non-whitespace is an error.
pub(crate) fn parse(text: &str) -> Result<Node<'_>, ParseError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    reader.skip_ws();
    if reader.pos >= reader.bytes.len() {
        return Err(reader.error_at(reader.pos, ParseErrorKind::EmptyDocument));
    }
    let node = reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error_at(
            reader.pos,
            ParseErrorKind::Json("unexpected text after the end of the JSON document".into()),
        ));
    }
    Ok(node)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::new(Some(LineIndex::new(self.text).position(offset)), kind)
    }

    fn syntax(&self, offset: usize, message: impl Into<String>) -> ParseError {
        self.error_at(offset, ParseErrorKind::Json(message.into()))
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the document".to_owned(),
            Some(c) => format!("'{c}'"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.syntax(self.pos, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let start = self.pos;
        let value = match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => {
                return Err(self.syntax(
                    start,
                    format!("expected a JSON value, found {}", self.found()),
                ));
            }
        };
        Ok(Node {
            offset: Some(start),
            value,
        })
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.syntax(
                self.pos,
                format!("expected a JSON value, found {}", self.found()),
            ))
        }
    }

    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while matches!(r.bytes.get(r.pos), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos - from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.bytes[int_start] == b'0') {
            return Err(self.syntax(start, "malformed number"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.syntax(start, "malformed number"));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax(start, "malformed number"));
            }
        }
        Ok(Value::Number(Cow::Borrowed(&self.text[start..self.pos])))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow the slice.
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(self.syntax(open, "unterminated string")),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => {
                    return Err(self.syntax(self.pos, "control character inside a string"));
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(self.syntax(open, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let at = self.pos;
                    self.pos += 1;
                    let escaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(at)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.syntax(at, "invalid escape sequence")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(&b) if b < 0x20 => {
                    return Err(self.syntax(self.pos, "control character inside a string"));
                }
                Some(_) => {
                    // Copy the run up to the next quote or backslash in one go.
                    let run_start = self.pos;
                    while let Some(&b) = self.bytes.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run_start..self.pos]);
                }
            }
        }
    }

    /// Reads the 4 hex digits after `\u` (and a following low surrogate when needed).
    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let high = self.hex4(at)?;
        if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.pos) == Some(&b'\\')
                && self.bytes.get(self.pos + 1) == Some(&b'u')
            {
                self.pos += 2;
                let low = self.hex4(at)?;
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(code)
                        .ok_or_else(|| self.syntax(at, "invalid unicode escape"));
                }
            }
            return Err(self.syntax(at, "unpaired surrogate in unicode escape"));
        }
        char::from_u32(high).ok_or_else(|| self.syntax(at, "unpaired surrogate in unicode escape"))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, ParseError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax(at, "truncated unicode escape"))?;
        let value = u32::from_str_radix(digits, 16)
            .map_err(|_| self.syntax(at, "invalid unicode escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax(at, "invalid unicode escape"));
        }
        self.pos += 4;
        Ok(value)
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => {
                    return Err(self.syntax(
                        self.pos,
                        format!("expected ',' or ']' in an array, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            let key_offset = self.pos;
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.syntax(
                    self.pos,
                    format!("expected a quoted member name, found {}", self.found()),
                ));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.syntax(
                    self.pos,
                    format!("expected ':' after a member name, found {}", self.found()),
                ));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_offset: Some(key_offset),
                value,
            });
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => {
                    return Err(self.syntax(
                        self.pos,
                        format!("expected ',' or '}}' in an object, found {}", self.found()),
                    ));
                }
            }
        }
    }
}

/// Borrows a `serde_json::Value` as a tree without positions.
pub(crate) fn from_serde(value: &serde_json::Value) -> Node<'_> {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(Cow::Owned(n.to_string())),
        serde_json::Value::String(s) => Value::String(Cow::Borrowed(s)),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(from_serde).collect()),
        serde_json::Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Member {
                    key: Cow::Borrowed(k),
                    key_offset: None,
                    value: from_serde(v),
                })
                .collect(),
        ),
    };
    Node {
        offset: None,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        parse(text).expect_err("must fail")
    }

    #[test]
    fn parses_nested_values_with_offsets() {
        let node = parse("{\"a\": [1, \"x\\u00e9\", true, null], \"b\": -2.5e3}").expect("valid");
        let Value::Object(members) = node.value else {
            panic!("object")
        };
        assert_eq!(members[0].key, "a");
        let Value::Array(items) = &members[0].value.value else {
            panic!("array")
        };
        assert_eq!(items[1].offset, Some(10));
        assert!(matches!(&items[1].value, Value::String(s) if s == "xé"));
        assert!(matches!(&members[1].value.value, Value::Number(n) if n == "-2.5e3"));
    }

    #[test]
    fn surrogate_pairs_decode() {
        let node = parse("\"\\ud83d\\ude00\"").expect("valid");
        assert!(matches!(node.value, Value::String(s) if s == "😀"));
        assert!(parse("\"\\ud83d\"").is_err());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = err("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(e.position(), Some(Position { line: 3, column: 7 }));
        assert!(e.to_string().contains("expected ':'"), "{e}");
        let e = err("");
        assert!(matches!(e.kind(), ParseErrorKind::EmptyDocument));
        assert!(err("[1,]").to_string().contains("expected a JSON value"));
        assert!(err("{} x").to_string().contains("after the end"));
        assert!(err("01").to_string().contains("malformed number"));
        assert!(err("\"abc").to_string().contains("unterminated"));
        assert!(err("\"\\x\"").to_string().contains("invalid escape"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        assert!(err(&text).to_string().contains("nesting deeper"));
    }

    #[test]
    fn columns_count_characters() {
        let index = LineIndex::new("ééé\nab");
        assert_eq!(index.position(6), Position { line: 1, column: 4 });
        assert_eq!(index.position(8), Position { line: 2, column: 2 });
    }
}
