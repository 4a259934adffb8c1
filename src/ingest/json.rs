//! A JSON reader that keeps the byte offset of every value, for the ingesters.
//!
//! `serde_json` forgets positions, and IaC findings must point at the line of a statement or
//! a security group rule. This reader builds a [`Node`] tree in one pass with an explicit
//! stack (no recursion), rejects nesting deeper than [`MAX_DEPTH`] with a clean error, and
//! borrows strings that contain no escapes from the source, so a 100 MB Terraform plan
//! parses in well under a second in release builds.
//!
//! Policies inside Terraform plans are JSON text inside a JSON string. [`StringMap`] maps
//! offsets in such a decoded string back to offsets in the file, so the statements of an
//! embedded policy still get a precise position.

use std::borrow::Cow;

use super::tree::{MAX_DEPTH, Node, Value};

/// A syntax error: the byte offset where it was found and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl SyntaxError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }
}

/// Parse one JSON document; anything but whitespace after it is an error.
pub(crate) fn parse(text: &str) -> Result<Node<'_>, SyntaxError> {
    Ok(parse_skipping(text, &[])?.0)
}

/// A member of the root object that was checked but not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) key: String,
    /// Where its value starts.
    pub(crate) offset: usize,
}

/// Parse one JSON document, checking but not building the values of the root object's
/// members named in `skip` (they read as `null`, and are listed with their position so
/// they can be read later with [`parse_at`]). Terraform plans repeat every resource in
/// `planned_values` and `resource_changes`; skipping the copy that is not needed keeps a
/// 100 MB plan's tree a third smaller.
pub(crate) fn parse_skipping<'a>(
    text: &'a str,
    skip: &[&str],
) -> Result<(Node<'a>, Vec<Skipped>), SyntaxError> {
    if text.len() > u32::MAX as usize {
        return Err(SyntaxError::new(0, "the file is larger than 4 GiB"));
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        skip,
        skipped: Vec::new(),
        whole: true,
    };
    let root = reader.document()?;
    Ok((root, reader.skipped))
}

/// Parse the one value that starts at `offset` of `text` (offsets stay those of `text`).
pub(crate) fn parse_at(text: &str, offset: usize) -> Result<Node<'_>, SyntaxError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: offset,
        skip: &[],
        skipped: Vec::new(),
        whole: false,
    };
    reader.document()
}

enum Frame<'a> {
    Array {
        offset: u32,
        items: Vec<Node<'a>>,
    },
    Object {
        offset: u32,
        members: Vec<(Cow<'a, str>, Node<'a>)>,
        key: Cow<'a, str>,
    },
}

struct Reader<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Root members whose values are checked but not built.
    skip: &'s [&'s str],
    skipped: Vec<Skipped>,
    /// The value must be the whole text (nothing but whitespace after it).
    whole: bool,
}

#[allow(clippy::cast_possible_truncation)] // offsets fit: the text is at most 4 GiB
fn off(pos: usize) -> u32 {
    pos as u32
}

/// What to do after a value is complete.
enum Next<'a> {
    /// Read the next value (after a `,` or a member name).
    Value,
    /// The document is complete.
    Done(Node<'a>),
}

impl<'a> Reader<'a, '_> {
    fn document(&mut self) -> Result<Node<'a>, SyntaxError> {
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            return Err(SyntaxError::new(
                self.pos,
                "the file is empty: expected a JSON document",
            ));
        }
        let mut stack: Vec<Frame<'a>> = Vec::new();
        loop {
            if let Some(node) = self.open_or_scalar(&mut stack)?
                && let Next::Done(root) = self.attach(&mut stack, node)?
            {
                return Ok(root);
            }
        }
    }

    /// Read a scalar or an empty container (returned), or open a container (pushed).
    fn open_or_scalar(
        &mut self,
        stack: &mut Vec<Frame<'a>>,
    ) -> Result<Option<Node<'a>>, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        if let [Frame::Object { key, .. }] = stack.as_slice()
            && self.skip.contains(&key.as_ref())
        {
            self.skipped.push(Skipped {
                key: key.to_string(),
                offset: start,
            });
            self.skip_value()?;
            return Ok(Some(Node::new(off(start), Value::Null)));
        }
        let node = match self.bytes.get(self.pos) {
            Some(b'{') => {
                if stack.len() >= MAX_DEPTH {
                    return Err(self.too_deep());
                }
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Some(Node::new(off(start), Value::Object(Vec::new()))));
                }
                let key = self.key()?;
                stack.push(Frame::Object {
                    offset: off(start),
                    members: Vec::new(),
                    key,
                });
                return Ok(None);
            }
            Some(b'[') => {
                if stack.len() >= MAX_DEPTH {
                    return Err(self.too_deep());
                }
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Some(Node::new(off(start), Value::Array(Vec::new()))));
                }
                stack.push(Frame::Array {
                    offset: off(start),
                    items: Vec::new(),
                });
                return Ok(None);
            }
            Some(b'"') => Node::new(off(start), Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            None => return Err(self.eof("a value")),
            Some(_) => {
                return Err(SyntaxError::new(
                    start,
                    format!("expected a JSON value, found {}", self.found()),
                ));
            }
        };
        Ok(Some(node))
    }

    /// Attach a finished value to its parent, closing every container it completes.
    fn attach(
        &mut self,
        stack: &mut Vec<Frame<'a>>,
        mut node: Node<'a>,
    ) -> Result<Next<'a>, SyntaxError> {
        loop {
            let closed = match stack.last_mut() {
                None => {
                    self.skip_ws();
                    if self.whole && self.pos < self.bytes.len() {
                        return Err(SyntaxError::new(
                            self.pos,
                            format!(
                                "unexpected {} after the end of the JSON document",
                                self.found()
                            ),
                        ));
                    }
                    return Ok(Next::Done(node));
                }
                Some(Frame::Array { items, .. }) => {
                    items.push(node);
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => {
                            self.pos += 1;
                            return Ok(Next::Value);
                        }
                        Some(b']') => self.pos += 1,
                        None => return Err(self.eof("a list")),
                        Some(_) => {
                            return Err(SyntaxError::new(
                                self.pos,
                                format!("expected ',' or ']' in a list, found {}", self.found()),
                            ));
                        }
                    }
                    stack.pop()
                }
                Some(Frame::Object { members, key, .. }) => {
                    members.push((std::mem::take(key), node));
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        Some(b',') => {
                            self.pos += 1;
                            self.skip_ws();
                            *key = self.key()?;
                            return Ok(Next::Value);
                        }
                        Some(b'}') => self.pos += 1,
                        None => return Err(self.eof("an object")),
                        Some(_) => {
                            return Err(SyntaxError::new(
                                self.pos,
                                format!(
                                    "expected ',' or '}}' after an object member, found {}",
                                    self.found()
                                ),
                            ));
                        }
                    }
                    stack.pop()
                }
            };
            node = match closed {
                Some(Frame::Array { offset, items }) => Node::new(offset, Value::Array(items)),
                Some(Frame::Object {
                    offset, members, ..
                }) => Node::new(offset, Value::Object(members)),
                None => return Err(SyntaxError::new(self.pos, "unbalanced brackets")),
            };
        }
    }

    /// Check one value without building it (the grammar is the same as for built values).
    fn skip_value(&mut self) -> Result<(), SyntaxError> {
        // Open containers: `[` or `{`, below the member being skipped.
        let mut open: Vec<u8> = Vec::new();
        loop {
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(&bracket @ (b'{' | b'[')) => {
                    if open.len() + 2 >= MAX_DEPTH {
                        return Err(self.too_deep());
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let close = if bracket == b'{' { b'}' } else { b']' };
                    if self.bytes.get(self.pos) == Some(&close) {
                        self.pos += 1;
                    } else {
                        if bracket == b'{' {
                            self.key()?;
                        }
                        open.push(bracket);
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => {
                    self.literal("true", Value::Bool(true))?;
                }
                Some(b'f') => {
                    self.literal("false", Value::Bool(false))?;
                }
                Some(b'n') => {
                    self.literal("null", Value::Null)?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                None => return Err(self.eof("a value")),
                Some(_) => {
                    return Err(SyntaxError::new(
                        self.pos,
                        format!("expected a JSON value, found {}", self.found()),
                    ));
                }
            }
            // A value is complete: close what it completes, or go on after a comma.
            loop {
                let Some(&bracket) = open.last() else {
                    return Ok(());
                };
                self.skip_ws();
                let close = if bracket == b'{' { b'}' } else { b']' };
                match self.bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if bracket == b'{' {
                            self.skip_ws();
                            self.key()?;
                        }
                        break;
                    }
                    Some(&c) if c == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    None => {
                        return Err(self.eof(if bracket == b'{' {
                            "an object"
                        } else {
                            "a list"
                        }));
                    }
                    Some(_) => {
                        return Err(SyntaxError::new(
                            self.pos,
                            format!(
                                "expected ',' or '{}', found {}",
                                char::from(close),
                                self.found()
                            ),
                        ));
                    }
                }
            }
        }
    }

    fn too_deep(&self) -> SyntaxError {
        SyntaxError::new(
            self.pos,
            format!("nesting deeper than {MAX_DEPTH} levels; refusing to read further"),
        )
    }

    fn eof(&self, inside: &str) -> SyntaxError {
        SyntaxError::new(
            self.pos,
            format!("unexpected end of file inside {inside} (the file is truncated)"),
        )
    }

    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the file".to_owned(),
            Some(c) if c.is_control() => format!("{c:?}"),
            Some(c) => format!("'{c}'"),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// A member name and the `:` after it.
    fn key(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        match self.bytes.get(self.pos) {
            Some(b'"') => {}
            None => return Err(self.eof("an object")),
            Some(_) => {
                return Err(SyntaxError::new(
                    self.pos,
                    format!("expected a quoted member name, found {}", self.found()),
                ));
            }
        }
        let key = self.string()?;
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b':') => {
                self.pos += 1;
                Ok(key)
            }
            None => Err(self.eof("an object")),
            Some(_) => Err(SyntaxError::new(
                self.pos,
                format!("expected ':' after a member name, found {}", self.found()),
            )),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Node<'a>, SyntaxError> {
        let start = self.pos;
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Node::new(off(start), value))
        } else if word.as_bytes().starts_with(rest) {
            self.pos = self.bytes.len();
            Err(self.eof("a value"))
        } else {
            Err(SyntaxError::new(
                start,
                format!("expected a JSON value, found {}", self.found()),
            ))
        }
    }

    fn number(&mut self) -> Result<Node<'a>, SyntaxError> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let digits = self.digits();
        if digits == 0 {
            return Err(self.bad_number(start));
        }
        if digits > 1 && self.bytes[int_start] == b'0' {
            return Err(SyntaxError::new(start, "malformed number: leading zero"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.bad_number(start));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.bad_number(start));
            }
        }
        Ok(Node::new(
            off(start),
            Value::Number(Cow::Borrowed(&self.text[start..self.pos])),
        ))
    }

    fn bad_number(&self, start: usize) -> SyntaxError {
        if self.pos >= self.bytes.len() {
            self.eof("a number")
        } else {
            SyntaxError::new(start, "malformed number")
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow the slice.
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(Self::unterminated(open)),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => return Err(self.control(b)),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(Self::unterminated(open)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let at = self.pos;
                    let (c, len) = unescape(self.bytes, at).map_err(|message| {
                        if at + 1 >= self.bytes.len() {
                            Self::unterminated(open)
                        } else {
                            SyntaxError::new(at, message)
                        }
                    })?;
                    out.push(c);
                    self.pos += len;
                }
                Some(&b) if b < 0x20 => return Err(self.control(b)),
                Some(_) => {
                    let run = self.pos;
                    while let Some(&b) = self.bytes.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run..self.pos]);
                }
            }
        }
    }

    fn unterminated(open: usize) -> SyntaxError {
        SyntaxError::new(
            open,
            "unterminated string: unexpected end of file (the file is truncated)",
        )
    }

    fn control(&self, byte: u8) -> SyntaxError {
        SyntaxError::new(
            self.pos,
            format!("control character 0x{byte:02X} inside a string (escape it)"),
        )
    }
}

/// Decode the escape sequence at `at` (a backslash): the character and the bytes it spans.
fn unescape(bytes: &[u8], at: usize) -> Result<(char, usize), String> {
    let simple = match bytes.get(at + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape(bytes, at),
        _ => return Err("invalid escape sequence".to_owned()),
    };
    Ok((simple, 2))
}

fn hex4(bytes: &[u8], from: usize) -> Option<u32> {
    let digits = bytes.get(from..from + 4)?;
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn unicode_escape(bytes: &[u8], at: usize) -> Result<(char, usize), String> {
    let high = hex4(bytes, at + 2).ok_or("invalid \\u escape: expected four hex digits")?;
    if (0xD800..0xDC00).contains(&high) {
        if bytes.get(at + 6) == Some(&b'\\') && bytes.get(at + 7) == Some(&b'u') {
            let low = hex4(bytes, at + 8).ok_or("invalid \\u escape: expected four hex digits")?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(code)
                    .map(|c| (c, 12))
                    .ok_or_else(|| "invalid \\u escape".to_owned());
            }
        }
        return Err("unpaired surrogate in \\u escape".to_owned());
    }
    char::from_u32(high)
        .map(|c| (c, 6))
        .ok_or_else(|| "unpaired surrogate in \\u escape".to_owned())
}

/// Maps byte offsets in a decoded JSON string back to byte offsets in the source file.
#[derive(Debug, Clone)]
pub(crate) struct StringMap {
    /// `(decoded offset, source offset)` at the start and after every escape sequence; between
    /// checkpoints decoded and source bytes correspond one to one.
    checkpoints: Vec<(usize, usize)>,
}

impl StringMap {
    /// The map for the string literal whose opening quote is at `open` in `text`.
    pub(crate) fn new(text: &str, open: usize) -> StringMap {
        let bytes = text.as_bytes();
        let mut checkpoints = vec![(0, open + 1)];
        let mut decoded = 0;
        let mut pos = open + 1;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'"' => break,
                b'\\' => {
                    let Ok((c, len)) = unescape(bytes, pos) else {
                        break;
                    };
                    decoded += c.len_utf8();
                    pos += len;
                    checkpoints.push((decoded, pos));
                }
                _ => {
                    decoded += 1;
                    pos += 1;
                }
            }
        }
        StringMap { checkpoints }
    }

    /// The source offset of a decoded offset.
    pub(crate) fn source_offset(&self, decoded: usize) -> usize {
        let i = match self.checkpoints.binary_search_by_key(&decoded, |c| c.0) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (d, s) = self.checkpoints.get(i).copied().unwrap_or((0, 0));
        s + (decoded - d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> SyntaxError {
        parse(text).expect_err("must fail")
    }

    #[test]
    fn values_keep_their_offsets() {
        let node = parse("{\"a\": [1, \"x\\u00e9\", true, null], \"b\": {\"c\": -2.5e3}}").unwrap();
        let a = node.get("a").unwrap();
        assert_eq!(a.offset, 6);
        let items = a.items().unwrap();
        assert_eq!(items[1].offset, 10);
        assert_eq!(items[1].as_str(), Some("xé"));
        let number = node.get("b").unwrap().get("c").unwrap();
        assert_eq!(number.value, Value::Number("-2.5e3".into()));
        assert_eq!(node.offset, 0);
    }

    #[test]
    fn syntax_errors_say_what_and_where() {
        let e = err("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(e.offset, 18);
        assert!(e.message.contains("expected ':'"), "{e:?}");
        assert!(err("").message.contains("empty"));
        assert!(err("[1,]").message.contains("expected a JSON value"));
        assert!(err("{} x").message.contains("after the end"));
        assert!(err("01").message.contains("leading zero"));
        assert!(err("\"\\x\"").message.contains("invalid escape"));
        assert!(err("{\"a\": tru").message.contains("truncated"));
        assert!(err("{\"a\": [1, 2").message.contains("truncated"));
        assert!(err("{\"a\": \"abc").message.contains("truncated"));
        assert!(err("{\"a\": 1").message.contains("truncated"));
        assert!(err("\"a\u{1}\"").message.contains("control character"));
    }

    #[test]
    fn deep_nesting_is_a_clean_error() {
        let text = "[".repeat(100_000) + &"]".repeat(100_000);
        let e = err(&text);
        assert!(e.message.contains("nesting deeper than 512"), "{e:?}");
        let objects = "{\"a\":".repeat(100_000);
        assert!(err(&objects).message.contains("nesting deeper"));
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn skipped_members_are_checked_but_not_built() {
        let text = r#"{"planned_values": {"a": [1, {"b": "c\"d"}]}, "resource_changes": [2]}"#;
        let (root, skipped) = parse_skipping(text, &["planned_values"]).unwrap();
        assert!(root.get("planned_values").unwrap().is_null());
        assert_eq!(
            root.get("resource_changes").unwrap().items().unwrap().len(),
            1
        );
        assert_eq!(skipped[0].key, "planned_values");
        let later = parse_at(text, skipped[0].offset).unwrap();
        assert_eq!(later.offset(), 19);
        assert_eq!(later.get("a").unwrap().items().unwrap().len(), 2);
        for bad in [
            r#"{"planned_values": [1,,2]}"#,
            r#"{"planned_values": {"a" 1}}"#,
            r#"{"planned_values": [1, 2"#,
            r#"{"planned_values": "abc"#,
        ] {
            assert!(parse_skipping(bad, &["planned_values"]).is_err(), "{bad}");
        }
        let deep = format!("{{\"planned_values\": {}}}", "[".repeat(100_000));
        let err = parse_skipping(&deep, &["planned_values"]).unwrap_err();
        assert!(err.message.contains("nesting deeper"), "{err:?}");
    }

    #[test]
    fn string_map_translates_decoded_offsets() {
        let text = r#"{"policy": "{\"Statement\": [{\"Effect\": \"Allow\"}]}"}"#;
        let node = parse(text).unwrap();
        let policy = node.get("policy").unwrap();
        let decoded = policy.as_str().unwrap();
        let statement = decoded.find("[{").unwrap() + 1;
        let map = StringMap::new(text, policy.offset());
        let source = map.source_offset(statement);
        assert_eq!(&text[source..=source], "{");
        assert_eq!(&text[source + 1..source + 3], "\\\"");
        assert_eq!(map.source_offset(0), policy.offset() + 1);
    }
}
