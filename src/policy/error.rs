//! Parse errors for policy documents: where (1-based line and column, when the text is
//! known) and precisely what is wrong. Returned by every `Policy` constructor; the CLI and
//! the IaC ingesters show them to users as `line:column: message`.

use std::fmt;

/// A 1-based line and column in the text a policy was parsed from. Columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl From<crate::json::Position> for Position {
    fn from(p: crate::json::Position) -> Self {
        Position {
            line: p.line as usize,
            column: p.column as usize,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    #[error("empty document: expected a JSON policy object")]
    EmptyDocument,
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("invalid URL encoding: {0}")]
    UrlEncoding(String),
    #[error("{element} must be {expected}, found {found}")]
    WrongType {
        element: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error(
        "unknown element \"{element}\" in {within} (elements are case-sensitive; allowed: {allowed})"
    )]
    UnknownElement {
        element: String,
        within: &'static str,
        allowed: &'static str,
    },
    #[error("duplicate element \"{0}\"")]
    DuplicateElement(String),
    #[error("missing required element \"{0}\"")]
    MissingElement(&'static str),
    #[error("a statement must have exactly one of {0}")]
    Exclusive(&'static str),
    #[error("unknown Version \"{0}\" (expected \"2012-10-17\" or \"2008-10-17\")")]
    UnknownVersion(String),
    #[error("unknown Effect \"{0}\" (expected \"Allow\" or \"Deny\"; case-sensitive)")]
    UnknownEffect(String),
    #[error("empty {0}: it must list at least one value")]
    Empty(String),
    #[error("invalid action \"{action}\": {reason}")]
    BadAction {
        action: String,
        reason: &'static str,
    },
    #[error("invalid resource \"{resource}\": {reason}")]
    BadResource { resource: String, reason: String },
    #[error("unknown condition operator \"{operator}\"{hint}")]
    BadOperator { operator: String, hint: String },
    #[error("invalid value for condition {operator} on {key}: {reason}")]
    BadConditionValue {
        operator: String,
        key: String,
        reason: String,
    },
    #[error("invalid Principal: {0}")]
    BadPrincipal(String),
    #[error("not a policy document: {0}")]
    NotAPolicy(String),
}

/// A policy that could not be parsed: the position (when the source text is known) and the
/// reason. `Display` renders `line:column: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    position: Option<Position>,
    kind: ParseErrorKind,
    /// Set when the document was nested in a JSON string or URL-encoded: positions then
    /// refer to the decoded text, and the message says so.
    decoded_from: Option<&'static str>,
}

impl ParseError {
    pub(crate) fn new(position: Option<Position>, kind: ParseErrorKind) -> Self {
        ParseError {
            position,
            kind,
            decoded_from: None,
        }
    }

    pub(crate) fn decoded_from(mut self, what: &'static str) -> Self {
        self.decoded_from.get_or_insert(what);
        self
    }

    /// Where the problem is (1-based), when the policy was parsed from text.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    pub fn line(&self) -> Option<usize> {
        self.position.map(|p| p.line)
    }

    pub fn column(&self) -> Option<usize> {
        self.position.map(|p| p.column)
    }

    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(position) = self.position {
            write!(f, "{position}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(what) = self.decoded_from {
            write!(f, " (position within the {what} policy text)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
