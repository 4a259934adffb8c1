//! The JSON parser: text → [`Node`] tree with the offset of every value and member name.
//!
//! One pass with an explicit stack (no recursion), so hostile nesting is a clean error at the
//! configured depth, never a stack overflow. Strings without escapes are borrowed from the
//! text; numbers keep the text they were written as. Errors carry the byte offset where the
//! problem is and say what was expected and what was found (and that the text is truncated
//! when it ends early); callers turn the offset into a line and column with
//! [`super::LineIndex`].
//!
//! Callers: the policy parser (`Parser::new().max_depth(64).parse`), the IaC ingesters
//! ([`parse`]; [`Parser::parse_skipping`] for Terraform plans, whose `planned_values` repeats
//! `resource_changes`, and [`Parser::parse_at`] to read a skipped value later).

use std::borrow::Cow;

use super::node::{Member, Node, Value};

/// The deepest nesting any caller may allow, and the default. Real inputs nest a few dozen
/// levels (a policy inside a plan inside modules); 100,000 levels of hostile input must be an
/// error, not a stack overflow in code that walks or drops the tree recursively.
pub(crate) const MAX_DEPTH: usize = 512;

/// A syntax error: the byte offset where it was found and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
    pub(crate) message: String,
    /// The text holds nothing but whitespace.
    empty: bool,
}

impl SyntaxError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            message: message.into(),
            empty: false,
        }
    }

    /// Whether the text was empty (or only whitespace): callers word this their own way
    /// ("empty document: expected a JSON policy object").
    pub(crate) fn is_empty_document(&self) -> bool {
        self.empty
    }
}

/// A member of the root object that was checked but not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) key: String,
    /// Where its value starts.
    pub(crate) offset: usize,
}

/// Parse one JSON document with the default limits; anything but whitespace after it is an
/// error.
pub(crate) fn parse(text: &str) -> Result<Node<'_>, SyntaxError> {
    Parser::new().parse(text)
}

/// How to parse: the nesting limit. `Parser::new()` allows [`MAX_DEPTH`] levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parser {
    max_depth: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    pub(crate) const fn new() -> Self {
        Parser {
            max_depth: MAX_DEPTH,
        }
    }

    /// Reject more than `levels` arrays and objects open at once (at most [`MAX_DEPTH`]):
    /// policies nest five levels, so the policy parser refuses anything past 64.
    #[must_use]
    pub(crate) const fn max_depth(mut self, levels: usize) -> Self {
        self.max_depth = if levels < MAX_DEPTH {
            levels
        } else {
            MAX_DEPTH
        };
        self
    }

    /// Parse one JSON document; anything but whitespace after it is an error.
    pub(crate) fn parse(self, text: &str) -> Result<Node<'_>, SyntaxError> {
        Ok(self.parse_skipping(text, &[])?.0)
    }

    /// Parse one JSON document, checking but not building the values of the root object's
    /// members named in `skip` (they read as `null`, and are listed with their position so
    /// they can be read later with [`Parser::parse_at`]). Terraform plans repeat every
    /// resource in `planned_values` and `resource_changes`; skipping the copy that is not
    /// needed keeps a 100 MB plan's tree a third smaller.
    pub(crate) fn parse_skipping<'a>(
        self,
        text: &'a str,
        skip: &[&str],
    ) -> Result<(Node<'a>, Vec<Skipped>), SyntaxError> {
        let mut reader = Reader::new(text, 0, self.max_depth, skip, true)?;
        let root = reader.document()?;
        Ok((root, reader.skipped))
    }

    /// Parse the one value that starts at `offset` of `text` (offsets stay those of `text`;
    /// what follows the value is not looked at).
    pub(crate) fn parse_at(self, text: &str, offset: usize) -> Result<Node<'_>, SyntaxError> {
        Reader::new(text, offset, self.max_depth, &[], false)?.document()
    }
}

enum Frame<'a> {
    Array {
        offset: u32,
        items: Vec<Node<'a>>,
    },
    Object {
        offset: u32,
        members: Vec<Member<'a>>,
        /// The member whose value is being read, and where its name starts.
        key: Cow<'a, str>,
        key_offset: u32,
    },
}

struct Reader<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    /// Root members whose values are checked but not built.
    skip: &'s [&'s str],
    skipped: Vec<Skipped>,
    /// The value must be the whole text (nothing but whitespace after it).
    whole: bool,
}

#[allow(clippy::cast_possible_truncation)] // offsets fit: `Reader::new` refuses texts over 4 GiB
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

impl<'a, 's> Reader<'a, 's> {
    fn new(
        text: &'a str,
        pos: usize,
        max_depth: usize,
        skip: &'s [&'s str],
        whole: bool,
    ) -> Result<Self, SyntaxError> {
        if text.len() > u32::MAX as usize {
            return Err(SyntaxError::new(0, "the file is larger than 4 GiB"));
        }
        Ok(Reader {
            text,
            bytes: text.as_bytes(),
            pos,
            max_depth,
            skip,
            skipped: Vec::new(),
            whole,
        })
    }

    fn document(&mut self) -> Result<Node<'a>, SyntaxError> {
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            return Err(SyntaxError {
                empty: self.whole,
                ..SyntaxError::new(self.pos, "the file is empty: expected a JSON document")
            });
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
        if !self.skip.is_empty()
            && let [Frame::Object { key, .. }] = stack.as_slice()
            && self.skip.contains(&key.as_ref())
        {
            self.skipped.push(Skipped {
                key: key.to_string(),
                offset: start,
            });
            self.skip_value(stack.len())?;
            return Ok(Some(Node::new(off(start), Value::Null)));
        }
        let node = match self.bytes.get(self.pos) {
            Some(b'{') => {
                self.check_depth(stack.len())?;
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Some(Node::new(off(start), Value::Object(Vec::new()))));
                }
                let key_offset = off(self.pos);
                let key = self.key()?;
                stack.push(Frame::Object {
                    offset: off(start),
                    members: Vec::new(),
                    key,
                    key_offset,
                });
                return Ok(None);
            }
            Some(b'[') => {
                self.check_depth(stack.len())?;
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
            Some(_) => return Err(self.expected_value()),
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
                    if self.after_value(b'[')? {
                        return Ok(Next::Value);
                    }
                    stack.pop()
                }
                Some(Frame::Object {
                    members,
                    key,
                    key_offset,
                    ..
                }) => {
                    members.push(Member::new(std::mem::take(key), *key_offset, node));
                    if self.after_value(b'{')? {
                        self.skip_ws();
                        *key_offset = off(self.pos);
                        *key = self.key()?;
                        return Ok(Next::Value);
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

    /// After a value inside the container opened by `bracket`: `true` after a `,` (another
    /// value follows), `false` after the closing bracket (consumed).
    #[inline]
    fn after_value(&mut self, bracket: u8) -> Result<bool, SyntaxError> {
        self.skip_ws();
        // `{` + 2 = `}` and `[` + 2 = `]`.
        let close = bracket + 2;
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(&c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.bad_separator(bracket)),
        }
    }

    #[cold]
    fn bad_separator(&self, bracket: u8) -> SyntaxError {
        let (inside, expected) = if bracket == b'{' {
            ("an object", "expected ',' or '}' after an object member")
        } else {
            ("a list", "expected ',' or ']' in a list")
        };
        if self.pos >= self.bytes.len() {
            self.eof(inside)
        } else {
            SyntaxError::new(self.pos, format!("{expected}, found {}", self.found()))
        }
    }

    /// Check one value without building it (the grammar, limits and messages are those of
    /// built values); `depth` containers enclose it.
    fn skip_value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        // Open containers: `[` or `{`, below the member being skipped.
        let mut open: Vec<u8> = Vec::new();
        loop {
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(&bracket @ (b'{' | b'[')) => {
                    self.check_depth(depth + open.len())?;
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
                Some(_) => return Err(self.expected_value()),
            }
            // A value is complete: close what it completes, or go on after a comma.
            loop {
                let Some(&bracket) = open.last() else {
                    return Ok(());
                };
                if self.after_value(bracket)? {
                    if bracket == b'{' {
                        self.skip_ws();
                        self.key()?;
                    }
                    break;
                }
                open.pop();
            }
        }
    }

    /// Refuse a container when `depth` containers already enclose it.
    fn check_depth(&self, depth: usize) -> Result<(), SyntaxError> {
        if depth >= self.max_depth {
            return Err(SyntaxError::new(
                self.pos,
                format!(
                    "nesting deeper than {} levels; refusing to read further",
                    self.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn eof(&self, inside: &str) -> SyntaxError {
        SyntaxError::new(
            self.pos,
            format!("unexpected end of file inside {inside} (the file is truncated)"),
        )
    }

    fn expected_value(&self) -> SyntaxError {
        SyntaxError::new(
            self.pos,
            format!("expected a JSON value, found {}", self.found()),
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
            Err(self.expected_value())
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
                    // Copy the run up to the next quote, backslash or control byte at once.
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
/// Shared with [`super::StringMap`], which must step over escapes exactly as the parser does.
pub(super) fn unescape(bytes: &[u8], at: usize) -> Result<(char, usize), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> SyntaxError {
        parse(text).expect_err("must fail")
    }

    #[test]
    fn values_and_member_names_keep_their_offsets() {
        let text = "{\"a\": [1, \"x\\u00e9\", true, null], \"b\": {\"c\": -2.5e3}}";
        let node = parse(text).unwrap();
        assert_eq!(node.offset, 0);
        let members = node.members().unwrap();
        assert_eq!((members[0].key.as_ref(), members[0].key_offset()), ("a", 1));
        assert_eq!(
            (members[1].key.as_ref(), members[1].key_offset()),
            ("b", 34)
        );
        let a = node.get("a").unwrap();
        assert_eq!(a.offset, 6);
        let items = a.items().unwrap();
        assert_eq!(items[1].offset, 10);
        assert_eq!(items[1].as_str(), Some("xé"));
        assert_eq!(items[2].as_bool(), Some(true));
        assert!(items[3].is_null());
        let b = node.get("b").unwrap();
        assert_eq!(b.members().unwrap()[0].key_offset(), 40);
        let number = b.get("c").unwrap();
        assert_eq!(number.value, Value::Number("-2.5e3".into()));
        assert_eq!(number.offset(), 45);
    }

    #[test]
    fn strings_borrow_unless_escaped_and_numbers_stay_as_written() {
        let node = parse(r#"["plain", "tab\there", "\ud83d\ude00", 1.50, 1e400, -0]"#).unwrap();
        let items = node.items().unwrap();
        assert!(matches!(
            &items[0].value,
            Value::String(Cow::Borrowed("plain"))
        ));
        assert!(matches!(&items[1].value, Value::String(Cow::Owned(s)) if s == "tab\there"));
        assert_eq!(items[2].as_str(), Some("😀"));
        let numbers: Vec<_> = items[3..]
            .iter()
            .map(|n| match &n.value {
                Value::Number(n) => n.as_ref(),
                _ => "not a number",
            })
            .collect();
        assert_eq!(numbers, ["1.50", "1e400", "-0"]);
    }

    #[test]
    fn duplicate_members_are_kept_in_order() {
        let node = parse(r#"{"Effect": "Allow", "Effect": "Deny"}"#).unwrap();
        let members = node.members().unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].value.as_str(), Some("Allow"));
        assert_eq!(members[1].key_offset(), 20);
        assert_eq!(node.get("Effect").and_then(Node::as_str), Some("Deny"));
    }

    #[test]
    fn syntax_errors_say_what_and_where() {
        let e = err("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(e.offset, 18);
        assert!(e.message.contains("expected ':'"), "{e:?}");
        let e = err(" \n ");
        assert!(
            e.is_empty_document() && e.message.contains("empty"),
            "{e:?}"
        );
        assert_eq!(e.offset, 3);
        assert!(!err("{").is_empty_document());
        assert!(
            err("[1,]")
                .message
                .contains("expected a JSON value, found ']'")
        );
        assert!(err("{} x").message.contains("'x' after the end"));
        assert!(err("01").message.contains("leading zero"));
        assert!(err("1.x").message.contains("malformed number"));
        assert!(err("\"\\x\"").message.contains("invalid escape"));
        assert!(err("\"\\u12G4\"").message.contains("four hex digits"));
        assert!(err("\"\\ud83d\"").message.contains("unpaired surrogate"));
        assert!(err("{\"a\": tru").message.contains("truncated"));
        assert!(err("{\"a\": [1, 2").message.contains("inside a list"));
        assert!(err("{\"a\": \"abc").message.contains("truncated"));
        assert!(err("{\"a\": 1").message.contains("inside an object"));
        assert!(
            err("{\"a\": 1 \"b\": 2}")
                .message
                .contains("after an object member")
        );
        assert!(err("{1: 2}").message.contains("quoted member name"));
        assert!(err("[1 2]").message.contains("expected ',' or ']'"));
        let e = err("\"a\u{1}\"");
        assert!(e.message.contains("control character 0x01"), "{e:?}");
        assert_eq!(e.offset, 2);
        assert_eq!(err("[nul]").message, "expected a JSON value, found 'n'");
        assert_eq!(
            err("[\u{7}]").message,
            "expected a JSON value, found '\\u{7}'"
        );
    }

    #[test]
    fn deep_nesting_is_a_clean_error() {
        let text = "[".repeat(100_000) + &"]".repeat(100_000);
        let e = err(&text);
        assert!(e.message.contains("nesting deeper than 512"), "{e:?}");
        assert_eq!(e.offset, MAX_DEPTH);
        let objects = "{\"a\":".repeat(100_000);
        assert!(err(&objects).message.contains("nesting deeper"));
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn a_tighter_depth_limit_counts_open_containers() {
        let policy = Parser::new().max_depth(64);
        let nested = |n: usize| "[".repeat(n) + "1" + &"]".repeat(n);
        assert!(policy.parse(&nested(64)).is_ok());
        let e = policy.parse(&nested(65)).unwrap_err();
        assert_eq!(
            e.message,
            "nesting deeper than 64 levels; refusing to read further"
        );
        assert_eq!(e.offset, 64);
        // The limit cannot be raised past MAX_DEPTH.
        let loose = Parser::new().max_depth(usize::MAX);
        assert!(loose.parse(&nested(MAX_DEPTH + 1)).is_err());
    }

    #[test]
    fn skipped_members_are_checked_but_not_built() {
        let text = r#"{"planned_values": {"a": [1, {"b": "c\"d"}]}, "resource_changes": [2]}"#;
        let parser = Parser::new();
        let (root, skipped) = parser.parse_skipping(text, &["planned_values"]).unwrap();
        assert!(root.get("planned_values").unwrap().is_null());
        assert_eq!(
            root.get("resource_changes").unwrap().items().unwrap().len(),
            1
        );
        assert_eq!(
            skipped,
            [Skipped {
                key: "planned_values".into(),
                offset: 19
            }]
        );
        let later = parser.parse_at(text, skipped[0].offset).unwrap();
        assert_eq!(later.offset(), 19);
        assert_eq!(later.get("a").unwrap().items().unwrap().len(), 2);
        assert_eq!(later.members().unwrap()[0].key_offset(), 20);
        // Only root members are skipped.
        let nested = r#"{"x": {"planned_values": [1]}}"#;
        let (root, skipped) = parser.parse_skipping(nested, &["planned_values"]).unwrap();
        assert!(skipped.is_empty());
        assert!(
            root.get("x")
                .unwrap()
                .get("planned_values")
                .unwrap()
                .items()
                .is_some()
        );
        for bad in [
            r#"{"planned_values": [1,,2]}"#,
            r#"{"planned_values": {"a" 1}}"#,
            r#"{"planned_values": [1, 2"#,
            r#"{"planned_values": "abc"#,
            r#"{"planned_values": [1] x}"#,
        ] {
            assert!(
                parser.parse_skipping(bad, &["planned_values"]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn skipping_applies_the_same_grammar_limits_and_messages() {
        let skip = |text: &str| {
            Parser::new()
                .parse_skipping(text, &["p"])
                .map(|_| ())
                .unwrap_err()
        };
        let build = |text: &str| parse(text).unwrap_err();
        for bad in [
            r#"{"p": [1 2]}"#,
            r#"{"p": {"a": 1 "b": 2}}"#,
            r#"{"p": [1, 2"#,
            r#"{"p": {"a" 1}}"#,
            r#"{"p": [01]}"#,
            r#"{"p": "a\qb"}"#,
        ] {
            assert_eq!(skip(bad), build(bad), "{bad}");
        }
        // The skipped value sits one level below the root: 511 more levels fit.
        let deep = |n: usize| format!("{{\"p\": {}{}}}", "[".repeat(n), "]".repeat(n));
        assert!(Parser::new().parse_skipping(&deep(511), &["p"]).is_ok());
        assert!(parse(&deep(511)).is_ok());
        assert_eq!(skip(&deep(512)), build(&deep(512)));
        let hostile = format!("{{\"p\": {}}}", "[".repeat(100_000));
        assert!(skip(&hostile).message.contains("nesting deeper"));
    }

    #[test]
    fn parse_at_reads_one_value_and_ignores_what_follows() {
        let text = r#"{"a": {"b": [true]}, "c": oops"#;
        let b = Parser::new().parse_at(text, 6).unwrap();
        assert_eq!(b.get("b").unwrap().items().unwrap()[0].offset(), 13);
        assert!(parse(text).is_err());
        let e = Parser::new().parse_at(text, text.len()).unwrap_err();
        assert!(
            e.message.contains("empty") && !e.is_empty_document(),
            "{e:?}"
        );
    }

    #[test]
    fn truncated_and_mangled_text_never_panics() {
        let text = r#"{"Sid": "Ünïcødé", "a": [1.5e-3, true, null, "\u00e9\n"], "b": {"c": -0}}"#;
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse(&text[..end]);
            let _ = Parser::new().parse_skipping(&text[..end], &["a"]);
        }
        for (i, _) in text.char_indices() {
            for replacement in ["\"", "{", "]", "\\", ",", ":", "\u{0}", "é"] {
                let mut mangled = text.to_owned();
                let len = text[i..].chars().next().map_or(0, char::len_utf8);
                mangled.replace_range(i..i + len, replacement);
                let _ = parse(&mangled);
                let _ = Parser::new().parse_skipping(&mangled, &["a", "b"]);
                let _ = Parser::new().parse_at(&mangled, i);
            }
        }
        assert!(parse(text).is_ok());
    }
}
