//! The position-tracking JSON reader, shared by the IAM policy parser and the IaC ingesters.
//!
//! `serde_json` forgets positions, but policy errors must name a line and column and IaC
//! findings must point at the statement, rule or resource that caused them. This module reads
//! JSON into a [`Node`] tree that remembers the byte offset of every value and member name,
//! keeps numbers as written and duplicate members in order, and turns offsets into lines and
//! columns only when asked ([`LineIndex`]), so the common path (read everything, find nothing
//! wrong) does not pay for positions.
//!
//! - [`parse`] / [`Parser`]: text → tree, iterative (an explicit stack, never a stack overflow)
//!   with a nesting limit ([`MAX_DEPTH`] by default; the policy parser asks for 64), the
//!   option to check but not build some root members ([`Parser::parse_skipping`]) and to read
//!   one value later ([`Parser::parse_at`]). Errors are a [`SyntaxError`]: offset and message.
//! - [`Node`], [`Value`], [`Member`]: the tree (also built by the YAML reader of the
//!   ingesters, and from `serde_json` data by [`Node::from_json`]).
//! - [`LineIndex`]: byte offset → 1-based line and column ([`Position`]).
//! - [`StringMap`]: offsets in a decoded string → offsets in the file, for JSON written inside
//!   a JSON string.
//!
//! Users: `policy::document` (`Policy::parse`) and `ingest` (every JSON input, the positions
//! of every ingested element, embedded policies).

mod lines;
mod node;
mod parser;
mod string_map;

pub(crate) use lines::{LineIndex, Position, saturate};
pub(crate) use node::{Member, Node, Value};
pub(crate) use parser::{MAX_DEPTH, Parser, Skipped, SyntaxError, parse};
pub(crate) use string_map::StringMap;
