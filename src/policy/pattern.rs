//! Wildcard patterns with policy variables: the matcher behind actions, resource ARNs and
//! string/ARN condition values.
//!
//! A pattern is compiled once when the policy is parsed (literal runs, `*`, `?`, `${var}`)
//! and matched without allocating: common shapes (`*`, exact text, `prefix*`) take a
//! shortcut, the rest use the linear-time "backtrack to the last star" algorithm. Variables
//! are looked up through a caller-supplied resolver, so the same compiled pattern serves
//! every request. `${*}`, `${?}` and `${$}` are the literal characters; a variable whose value
//! the scanner does not know matches like `*` (over-approximation) and the caller records
//! that the answer depends on it.

use std::fmt;

/// A policy variable reference such as `${aws:username}` or `${aws:PrincipalTag/team, 'x'}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The context key, lowercased (context keys are case-insensitive).
    pub(crate) key: Box<str>,
    /// The key as written, for messages.
    pub(crate) name: Box<str>,
    pub(crate) default: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(Box<str>),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Star,
    Var(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// Only stars: matches everything.
    All,
    Exact,
    /// A literal followed by one trailing star.
    Prefix,
    General,
}

/// What a variable resolves to for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarValue<'a> {
    Text(&'a str),
    /// The value is not known at scan time: match as if it were `*`.
    Unknown,
    /// The key is not in the request (or is multivalued): the variable's default applies,
    /// and without one the pattern matches nothing.
    Missing,
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (otherwise literal characters).
    pub(crate) wildcards: bool,
    /// `${...}` is a policy variable (only under Version 2012-10-17 and where AWS allows it).
    pub(crate) variables: bool,
    /// Lowercase the literal parts (actions are case-insensitive; the caller lowercases the
    /// text it matches).
    pub(crate) lowercase: bool,
}

/// A compiled pattern.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    raw: Box<str>,
    toks: Vec<Tok>,
    vars: Vec<Variable>,
    shape: Shape,
    /// The literal for `Exact` and `Prefix` shapes.
    literal: Box<str>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.raw)
    }
}

impl Pattern {
    /// Compiles `raw`. Fails only for a malformed variable default.
    pub(crate) fn compile(raw: &str, syntax: Syntax) -> Result<Pattern, String> {
        let mut toks: Vec<Tok> = Vec::new();
        let mut vars = Vec::new();
        let mut lit = String::new();
        let flush = |lit: &mut String, toks: &mut Vec<Tok>| {
            if !lit.is_empty() {
                let text = if syntax.lowercase {
                    lit.to_lowercase()
                } else {
                    std::mem::take(lit)
                };
                toks.push(Tok::Lit(text.into_boxed_str()));
                lit.clear();
            }
        };
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if syntax.variables
                && rest.starts_with("${")
                && let Some(end) = rest.find('}')
            {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => lit.push_str(inner),
                    _ => {
                        flush(&mut lit, &mut toks);
                        toks.push(Tok::Var(vars.len()));
                        vars.push(parse_variable(inner)?);
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut lit, &mut toks);
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut lit, &mut toks);
                    toks.push(Tok::One);
                }
                _ => lit.push(c),
            }
        }
        flush(&mut lit, &mut toks);
        let (shape, literal) = match toks.as_slice() {
            [Tok::Star] => (Shape::All, ""),
            [] => (Shape::Exact, ""),
            [Tok::Lit(s)] => (Shape::Exact, &**s),
            [Tok::Lit(s), Tok::Star] => (Shape::Prefix, &**s),
            _ => (Shape::General, ""),
        };
        let literal = literal.into();
        Ok(Pattern {
            raw: raw.into(),
            toks,
            vars,
            shape,
            literal,
        })
    }

    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    pub(crate) fn variables(&self) -> &[Variable] {
        &self.vars
    }

    /// True when the pattern matches every string (`*`).
    pub(crate) fn is_all(&self) -> bool {
        self.shape == Shape::All
    }

    /// The characters of the literal parts, used to pick a value no pattern names.
    pub(crate) fn literal_chars(&self) -> impl Iterator<Item = char> + '_ {
        self.toks.iter().flat_map(|t| match t {
            Tok::Lit(s) => s.chars().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    }

    /// A string the pattern matches, with `fill` standing for each `*`, `x` for each `?` and
    /// the default (or `fill`) for each variable. Used to build synthetic request values.
    pub(crate) fn witness(&self, fill: &str) -> String {
        let mut out = String::new();
        for tok in &self.toks {
            match tok {
                Tok::Lit(s) => out.push_str(s),
                Tok::One => out.push('x'),
                Tok::Star => out.push_str(fill),
                Tok::Var(i) => out.push_str(
                    self.vars
                        .get(*i)
                        .and_then(|v| v.default.as_deref())
                        .unwrap_or(fill),
                ),
            }
        }
        out
    }

    /// Matches `text` (byte-exact; callers lowercase both sides for case-insensitive use).
    pub(crate) fn matches<'c>(
        &self,
        text: &str,
        resolve: &dyn Fn(&Variable) -> VarValue<'c>,
    ) -> bool {
        match self.shape {
            Shape::All => true,
            Shape::Exact => text == &*self.literal,
            Shape::Prefix => text.starts_with(&*self.literal),
            Shape::General => self.general(text, resolve),
        }
    }

    /// Matches a pattern known to contain no variables.
    pub(crate) fn matches_plain(&self, text: &str) -> bool {
        self.matches(text, &|_| VarValue::Unknown)
    }

    fn general<'c>(&self, text: &str, resolve: &dyn Fn(&Variable) -> VarValue<'c>) -> bool {
        let text = text.as_bytes();
        let toks = &self.toks;
        let (mut ti, mut pi, mut po) = (0usize, 0usize, 0usize);
        // Where to resume after the last star: (token after the star, text position).
        let mut back: Option<(usize, usize)> = None;
        loop {
            let step = match toks.get(pi) {
                None => {
                    if ti == text.len() {
                        return true;
                    }
                    false
                }
                Some(Tok::Star) => {
                    back = Some((pi + 1, ti));
                    pi += 1;
                    po = 0;
                    continue;
                }
                Some(Tok::One) => {
                    if ti < text.len() {
                        ti += utf8_len(text[ti]);
                        pi += 1;
                        continue;
                    }
                    false
                }
                Some(tok) => {
                    let lit: &[u8] = match tok {
                        Tok::Lit(s) => s.as_bytes(),
                        Tok::Var(i) => {
                            let Some(var) = self.vars.get(*i) else {
                                return false;
                            };
                            match resolve(var) {
                                VarValue::Text(s) => s.as_bytes(),
                                VarValue::Missing => match &var.default {
                                    Some(d) => d.as_bytes(),
                                    None => return false,
                                },
                                // Unknown value: treat as a star.
                                VarValue::Unknown => {
                                    back = Some((pi + 1, ti));
                                    pi += 1;
                                    po = 0;
                                    continue;
                                }
                            }
                        }
                        _ => &[],
                    };
                    if po == lit.len() {
                        pi += 1;
                        po = 0;
                        continue;
                    }
                    if ti < text.len() && text[ti] == lit[po] {
                        ti += 1;
                        po += 1;
                        continue;
                    }
                    false
                }
            };
            debug_assert!(!step);
            match back {
                Some((bp, bt)) if bt < text.len() => {
                    let next = bt + utf8_len(text[bt]);
                    back = Some((bp, next));
                    pi = bp;
                    po = 0;
                    ti = next;
                }
                _ => return false,
            }
        }
    }

    /// Resolves the pattern to plain text (for patterns used without wildcards, such as
    /// `StringEquals` values). `None` when a variable is unknown, or missing without default.
    pub(crate) fn resolve<'c>(
        &self,
        resolve: &dyn Fn(&Variable) -> VarValue<'c>,
    ) -> Option<std::borrow::Cow<'_, str>> {
        if self.vars.is_empty() && self.shape == Shape::Exact {
            return Some(std::borrow::Cow::Borrowed(&*self.literal));
        }
        let mut out = String::new();
        for tok in &self.toks {
            match tok {
                Tok::Lit(s) => out.push_str(s),
                Tok::One => out.push('?'),
                Tok::Star => out.push('*'),
                Tok::Var(i) => {
                    let var = self.vars.get(*i)?;
                    match resolve(var) {
                        VarValue::Text(s) => out.push_str(s),
                        VarValue::Missing => out.push_str(var.default.as_deref()?),
                        VarValue::Unknown => return None,
                    }
                }
            }
        }
        Some(std::borrow::Cow::Owned(out))
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Parses the inside of `${...}`: a key and an optional `, 'default'`.
fn parse_variable(inner: &str) -> Result<Variable, String> {
    let (name, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((name, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .ok_or_else(|| format!("malformed default in policy variable \"${{{inner}}}\": expected ', 'value''"))?;
            (name.trim(), Some(quoted.into()))
        }
    };
    if name.is_empty() {
        return Err("empty policy variable \"${}\"".to_owned());
    }
    Ok(Variable {
        key: name.to_lowercase().into(),
        name: name.into(),
        default,
    })
}

/// Case-insensitive equality without allocating (Unicode lowercase mapping).
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: Syntax = Syntax {
        wildcards: true,
        variables: true,
        lowercase: false,
    };

    fn m(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern, GLOB)
            .expect("valid")
            .matches_plain(text)
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("*", "anything/at:all"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("ab*", "abcd"));
        assert!(!m("ab*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(m("a*c", "ac"));
        assert!(!m("a*c", "acb"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a?c", "aéc"));
        assert!(m("*b*b*", "abcbd"));
        assert!(!m("*b*b*", "abcd"));
        assert!(m("session/*-*", "session/alice-0abc"));
        assert!(m("**", "x"));
        assert!(m("a*?", "ab"));
        assert!(!m("a*?", "a"));
    }

    #[test]
    fn escapes_are_literal() {
        assert!(m("a${*}b", "a*b"));
        assert!(!m("a${*}b", "axb"));
        assert!(m("${?}", "?"));
        assert!(m("${$}x", "$x"));
        // No closing brace: literal text.
        assert!(m("${abc", "${abc"));
    }

    #[test]
    fn variables_resolve_and_unknown_acts_as_star() {
        let p = Pattern::compile("session/${aws:username}-*", GLOB).expect("valid");
        assert_eq!(p.variables()[0].key.as_ref(), "aws:username");
        let alice = |_: &Variable| VarValue::Text("alice");
        assert!(p.matches("session/alice-0abc", &alice));
        assert!(!p.matches("session/bob-0abc", &alice));
        let unknown = |_: &Variable| VarValue::Unknown;
        assert!(p.matches("session/bob-0abc", &unknown));
        assert!(!p.matches("document/x", &unknown));
        // A value containing a star is literal text, not a wildcard.
        let star = |_: &Variable| VarValue::Text("a*");
        assert!(!p.matches("session/abc-1", &star));
        assert!(p.matches("session/a*-1", &star));
    }

    #[test]
    fn defaults_and_malformed_defaults() {
        let p = Pattern::compile("${aws:PrincipalTag/team, 'ops'}", GLOB).expect("valid");
        assert_eq!(p.variables()[0].default.as_deref(), Some("ops"));
        assert!(p.matches("ops", &|_| VarValue::Missing));
        assert!(!p.matches("dev", &|_| VarValue::Missing));
        let q = Pattern::compile("a-${aws:x}", GLOB).expect("valid");
        assert!(!q.matches("a-", &|_| VarValue::Missing));
        assert_eq!(p.variables()[0].name.as_ref(), "aws:PrincipalTag/team");
        assert!(Pattern::compile("${aws:x, ops}", GLOB).is_err());
        assert!(Pattern::compile("${}", GLOB).is_err());
    }

    #[test]
    fn without_variable_syntax_dollar_braces_are_text() {
        let p = Pattern::compile(
            "${aws:username}*",
            Syntax {
                wildcards: true,
                variables: false,
                lowercase: false,
            },
        )
        .expect("valid");
        assert!(p.matches_plain("${aws:username}x"));
        assert!(!p.matches_plain("alice"));
    }

    #[test]
    fn literal_syntax_keeps_stars() {
        let p = Pattern::compile(
            "a*",
            Syntax {
                wildcards: false,
                variables: false,
                lowercase: false,
            },
        )
        .expect("valid");
        assert!(p.matches_plain("a*"));
        assert!(!p.matches_plain("ab"));
    }

    #[test]
    fn witness_matches_its_pattern() {
        for raw in ["a*b?c", "*", "x", "pre*", "${aws:x, 'd'}-*"] {
            let p = Pattern::compile(raw, GLOB).expect("valid");
            let w = p.witness("Q");
            assert!(
                p.matches(&w, &|v| if v.default.is_some() {
                    VarValue::Missing
                } else {
                    VarValue::Text("Q")
                }),
                "{raw} {w}"
            );
        }
    }

    #[test]
    fn ignore_case() {
        assert!(eq_ignore_case("ABC", "abc"));
        assert!(eq_ignore_case("ÄÖ", "äö"));
        assert!(!eq_ignore_case("a", "b"));
    }
}
