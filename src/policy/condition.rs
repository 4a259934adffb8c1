//! Condition operators: parsing `[ForAllValues:|ForAnyValue:]Operator[IfExists]`, compiling
//! the values once (patterns, numbers, dates, CIDRs, ARN patterns) and evaluating one
//! `operator → key → values` entry against a request with AWS's rules:
//!
//! - several values for one key: OR; negated operators: none may match (NOR);
//! - missing key: positive operators false, negated operators true, `...IfExists` true,
//!   `Null: true` true, `ForAllValues:` true, `ForAnyValue:` false (true with `IfExists`);
//! - a multivalued key without a set operator never matches (AWS requires the set operator);
//! - a key the scanner cannot know makes the entry unknown; a value the engine cannot read
//!   (`NumericEquals: "abc"`, a request IP that is not an address) makes it invalid, which
//!   surfaces as an indeterminate decision instead of a guess.
//!
//! Used by `policy::parse` (compile) and `policy::eval` (evaluate).

use std::net::IpAddr;

use super::arn::{Arn, ArnPattern};
use super::context::{ContextValue, KeyState, Request};
use super::pattern::{Pattern, Syntax, VarValue, Variable, eq_ignore_case};

/// Three-valued truth plus "the engine cannot read this".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    /// Depends on context the scanner does not know.
    Unknown,
    /// The engine cannot read a value it needs.
    Invalid,
    True,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    pub(crate) fn and(self, other: Tri) -> Tri {
        use Tri::{False, Invalid, True, Unknown};
        match (self, other) {
            (False, _) | (_, False) => False,
            (Invalid, _) | (_, Invalid) => Invalid,
            (Unknown, _) | (_, Unknown) => Unknown,
            (True, True) => True,
        }
    }

    pub(crate) fn or(self, other: Tri) -> Tri {
        use Tri::{False, Invalid, True, Unknown};
        match (self, other) {
            (True, _) | (_, True) => True,
            (Invalid, _) | (_, Invalid) => Invalid,
            (Unknown, _) | (_, Unknown) => Unknown,
            (False, False) => False,
        }
    }

    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASES: [(&str, Base); 27] = [
    ("StringEquals", Base::StringEquals),
    ("StringNotEquals", Base::StringNotEquals),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Base::StringNotEqualsIgnoreCase),
    ("StringLike", Base::StringLike),
    ("StringNotLike", Base::StringNotLike),
    ("NumericEquals", Base::NumericEquals),
    ("NumericNotEquals", Base::NumericNotEquals),
    ("NumericLessThan", Base::NumericLessThan),
    ("NumericLessThanEquals", Base::NumericLessThanEquals),
    ("NumericGreaterThan", Base::NumericGreaterThan),
    ("NumericGreaterThanEquals", Base::NumericGreaterThanEquals),
    ("DateEquals", Base::DateEquals),
    ("DateNotEquals", Base::DateNotEquals),
    ("DateLessThan", Base::DateLessThan),
    ("DateLessThanEquals", Base::DateLessThanEquals),
    ("DateGreaterThan", Base::DateGreaterThan),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals),
    ("Bool", Base::Bool),
    ("BinaryEquals", Base::BinaryEquals),
    ("IpAddress", Base::IpAddress),
    ("NotIpAddress", Base::NotIpAddress),
    ("ArnEquals", Base::ArnEquals),
    ("ArnLike", Base::ArnLike),
    ("ArnNotEquals", Base::ArnNotEquals),
    ("ArnNotLike", Base::ArnNotLike),
    ("Null", Base::Null),
];

impl Base {
    /// Negated operators are true when the key is missing and NOR their values.
    pub(crate) fn negated(self) -> bool {
        matches!(
            self,
            Base::StringNotEquals
                | Base::StringNotEqualsIgnoreCase
                | Base::StringNotLike
                | Base::NumericNotEquals
                | Base::DateNotEquals
                | Base::NotIpAddress
                | Base::ArnNotEquals
                | Base::ArnNotLike
        )
    }

    /// Policy variables are substituted in string and ARN comparisons only.
    fn takes_variables(self) -> bool {
        matches!(
            self,
            Base::StringEquals
                | Base::StringNotEquals
                | Base::StringEqualsIgnoreCase
                | Base::StringNotEqualsIgnoreCase
                | Base::StringLike
                | Base::StringNotLike
                | Base::ArnEquals
                | Base::ArnLike
                | Base::ArnNotEquals
                | Base::ArnNotLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    ForAllValues,
    ForAnyValue,
}

/// A parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) base: Base,
    pub(crate) set: Option<SetOp>,
    pub(crate) if_exists: bool,
}

impl Operator {
    /// Parses an operator name (case-insensitively). `Err` carries a hint for the message.
    pub(crate) fn parse(text: &str) -> Result<Operator, String> {
        let (set, rest) = match text.split_once(':') {
            None => (None, text),
            Some((prefix, rest)) => {
                let set = if prefix.eq_ignore_ascii_case("ForAllValues") {
                    SetOp::ForAllValues
                } else if prefix.eq_ignore_ascii_case("ForAnyValue") {
                    SetOp::ForAnyValue
                } else {
                    return Err(format!(
                        " (unknown set operator \"{prefix}\"; expected ForAllValues: or ForAnyValue:)"
                    ));
                };
                (Some(set), rest)
            }
        };
        let lower = rest.to_ascii_lowercase();
        let (base_text, if_exists) = match lower.strip_suffix("ifexists") {
            Some(b) => (b, true),
            None => (lower.as_str(), false),
        };
        let base = BASES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(base_text))
            .map(|(_, b)| *b)
            .ok_or_else(|| {
                " (expected one of the String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn* or Null operators, optionally with IfExists and a ForAllValues:/ForAnyValue: prefix)".to_owned()
            })?;
        if base == Base::Null && (if_exists || set.is_some()) {
            return Err(" (Null takes neither IfExists nor a set operator)".to_owned());
        }
        Ok(Operator {
            base,
            set,
            if_exists,
        })
    }
}

/// Compiled policy values, by operator family. `Err` holds why a value cannot be read.
#[derive(Debug, Clone)]
enum Values {
    /// StringEquals/NotEquals (wildcards literal), StringLike/NotLike (wildcards).
    Patterns(Vec<Pattern>),
    /// StringEqualsIgnoreCase/NotEqualsIgnoreCase.
    Folded(Vec<Pattern>),
    Numbers(Vec<Result<f64, String>>),
    Dates(Vec<Result<i64, String>>),
    Bools(Vec<Result<bool, String>>),
    Binary(Vec<Box<str>>),
    Cidrs(Vec<Result<(IpAddr, u8), String>>),
    Arns(Vec<Result<ArnPattern, String>>),
    Null(Vec<Result<bool, String>>),
}

/// One `operator → key → values` entry of a statement's Condition block.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub(crate) operator: Operator,
    /// The operator as written.
    pub(crate) operator_text: Box<str>,
    /// The key as written.
    pub(crate) key: Box<str>,
    pub(crate) key_lower: Box<str>,
    /// The values as written (JSON booleans and numbers in their text form).
    pub(crate) values: Vec<Box<str>>,
    compiled: Values,
}

impl Condition {
    /// Compiles an entry. `variables` is true under Version 2012-10-17. Fails only on a
    /// malformed policy variable.
    pub(crate) fn compile(
        operator: Operator,
        operator_text: &str,
        key: &str,
        values: Vec<Box<str>>,
        variables: bool,
    ) -> Result<Condition, String> {
        use Base as B;
        let variables = variables && operator.base.takes_variables();
        let patterns = |wildcards: bool| -> Result<Vec<Pattern>, String> {
            values
                .iter()
                .map(|v| {
                    Pattern::compile(
                        v,
                        Syntax {
                            wildcards,
                            variables,
                            lowercase: false,
                        },
                    )
                })
                .collect()
        };
        let compiled = match operator.base {
            B::StringEquals | B::StringNotEquals => Values::Patterns(patterns(false)?),
            B::StringLike | B::StringNotLike => Values::Patterns(patterns(true)?),
            B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                Values::Folded(patterns(false)?)
            }
            B::NumericEquals
            | B::NumericNotEquals
            | B::NumericLessThan
            | B::NumericLessThanEquals
            | B::NumericGreaterThan
            | B::NumericGreaterThanEquals => Values::Numbers(
                values
                    .iter()
                    .map(|v| parse_number(v).ok_or_else(|| format!("\"{v}\" is not a number")))
                    .collect(),
            ),
            B::DateEquals
            | B::DateNotEquals
            | B::DateLessThan
            | B::DateLessThanEquals
            | B::DateGreaterThan
            | B::DateGreaterThanEquals => Values::Dates(
                values
                    .iter()
                    .map(|v| {
                        parse_date(v).ok_or_else(|| {
                            format!("\"{v}\" is not an ISO 8601 date or epoch seconds")
                        })
                    })
                    .collect(),
            ),
            B::Bool => Values::Bools(
                values
                    .iter()
                    .map(|v| parse_bool(v).ok_or_else(|| format!("\"{v}\" is not true or false")))
                    .collect(),
            ),
            B::Null => Values::Null(
                values
                    .iter()
                    .map(|v| parse_bool(v).ok_or_else(|| format!("\"{v}\" is not true or false")))
                    .collect(),
            ),
            B::BinaryEquals => Values::Binary(values.clone()),
            B::IpAddress | B::NotIpAddress => Values::Cidrs(
                values
                    .iter()
                    .map(|v| {
                        parse_cidr(v)
                            .ok_or_else(|| format!("\"{v}\" is not an IP address or CIDR block"))
                    })
                    .collect(),
            ),
            B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => Values::Arns(
                values
                    .iter()
                    .map(|v| ArnPattern::compile(v, variables).map_err(|e| format!("\"{v}\" {e}")))
                    .collect(),
            ),
        };
        // A malformed variable is a policy error, not an unreadable value.
        if let Values::Arns(arns) = &compiled {
            for (value, arn) in values.iter().zip(arns) {
                if let Err(e) = arn
                    && e.contains("policy variable")
                {
                    return Err(format!("\"{value}\": {e}"));
                }
            }
        }
        Ok(Condition {
            operator,
            operator_text: operator_text.into(),
            key: key.into(),
            key_lower: key.to_lowercase().into(),
            values,
            compiled,
        })
    }

    /// Policy variables referenced by the values.
    pub(crate) fn variables(&self) -> Box<dyn Iterator<Item = &Variable> + '_> {
        match &self.compiled {
            Values::Patterns(p) | Values::Folded(p) => {
                Box::new(p.iter().flat_map(|p| p.variables().iter()))
            }
            Values::Arns(a) => Box::new(a.iter().flatten().flat_map(ArnPattern::variables)),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// The values written for this key when they are plain strings (no wildcard, no
    /// variable): what the policy "names". Patterns are returned as written.
    pub(crate) fn patterns(&self) -> Option<&[Pattern]> {
        match &self.compiled {
            Values::Patterns(p) | Values::Folded(p) => Some(p),
            _ => None,
        }
    }

    /// Why a policy value cannot be read, if one cannot.
    pub(crate) fn unreadable_value(&self) -> Option<&str> {
        fn first<T>(v: &[Result<T, String>]) -> Option<&str> {
            v.iter().find_map(|r| r.as_ref().err().map(String::as_str))
        }
        match &self.compiled {
            Values::Numbers(v) => first(v),
            Values::Dates(v) => first(v),
            Values::Bools(v) | Values::Null(v) => first(v),
            Values::Cidrs(v) => first(v),
            Values::Arns(v) => first(v),
            _ => None,
        }
    }

    /// Evaluates the entry.
    pub(crate) fn eval<'r>(
        &self,
        request: &Request<'r>,
        resolve: &dyn Fn(&Variable) -> VarValue<'r>,
    ) -> Tri {
        let state = request.key(&self.key_lower);
        if self.operator.base == Base::Null {
            return match state {
                KeyState::Unknown => Tri::Unknown,
                KeyState::Absent => self.null_matches(true),
                KeyState::Known(_) => self.null_matches(false),
            };
        }
        match (state, self.operator.set) {
            (KeyState::Unknown, _) => Tri::Unknown,
            (KeyState::Absent, Some(SetOp::ForAllValues)) => Tri::True,
            (KeyState::Absent, _) => Tri::from_bool(
                self.operator.if_exists
                    || (self.operator.set.is_none() && self.operator.base.negated()),
            ),
            (KeyState::Known(value), None) => match value {
                ContextValue::Single(v) => self.single(v, resolve),
                ContextValue::Multi(_) => Tri::False,
            },
            (KeyState::Known(value), Some(SetOp::ForAllValues)) => value
                .values()
                .iter()
                .fold(Tri::True, |acc, v| acc.and(self.single(v, resolve))),
            (KeyState::Known(value), Some(SetOp::ForAnyValue)) => value
                .values()
                .iter()
                .fold(Tri::False, |acc, v| acc.or(self.single(v, resolve))),
        }
    }

    fn null_matches(&self, missing: bool) -> Tri {
        let Values::Null(values) = &self.compiled else {
            return Tri::Invalid;
        };
        values.iter().fold(Tri::False, |acc, v| {
            acc.or(match v {
                Ok(b) => Tri::from_bool(*b == missing),
                Err(_) => Tri::Invalid,
            })
        })
    }

    /// The operator applied to one request value: OR over the policy values, negated for
    /// the negated operators (so they NOR).
    fn single<'r>(&self, value: &str, resolve: &dyn Fn(&Variable) -> VarValue<'r>) -> Tri {
        let positive = match &self.compiled {
            Values::Patterns(patterns) => any(patterns, |p| pattern_matches(p, value, resolve)),
            Values::Folded(patterns) => any(patterns, |p| match p.resolve(resolve) {
                Some(text) => Tri::from_bool(eq_ignore_case(&text, value)),
                None => Tri::Unknown,
            }),
            Values::Numbers(numbers) => match parse_number(value) {
                None => Tri::Invalid,
                Some(r) => any(numbers, |p| match p {
                    Ok(p) => Tri::from_bool(self.compare(r.partial_cmp(p))),
                    Err(_) => Tri::Invalid,
                }),
            },
            Values::Dates(dates) => match parse_date(value) {
                None => Tri::Invalid,
                Some(r) => any(dates, |p| match p {
                    Ok(p) => Tri::from_bool(self.compare(Some(r.cmp(p)))),
                    Err(_) => Tri::Invalid,
                }),
            },
            Values::Bools(bools) => match parse_bool(value) {
                None => Tri::Invalid,
                Some(r) => any(bools, |p| match p {
                    Ok(p) => Tri::from_bool(*p == r),
                    Err(_) => Tri::Invalid,
                }),
            },
            Values::Binary(values) => any(values, |p| Tri::from_bool(**p == *value)),
            Values::Cidrs(cidrs) => match value.parse::<IpAddr>() {
                Err(_) => Tri::Invalid,
                Ok(ip) => any(cidrs, |c| match c {
                    Ok((net, prefix)) => Tri::from_bool(in_cidr(ip, *net, *prefix)),
                    Err(_) => Tri::Invalid,
                }),
            },
            Values::Arns(arns) => match Arn::parse(value) {
                None => Tri::Invalid,
                Some(arn) => any(arns, |p| match p {
                    Ok(p) => {
                        let unknown = p.variables().any(|v| resolve(v) == VarValue::Unknown);
                        match (p.matches(&arn, resolve), unknown) {
                            (false, _) => Tri::False,
                            (true, true) => Tri::Unknown,
                            (true, false) => Tri::True,
                        }
                    }
                    Err(_) => Tri::Invalid,
                }),
            },
            Values::Null(_) => Tri::Invalid,
        };
        if self.operator.base.negated() {
            positive.not()
        } else {
            positive
        }
    }

    /// For ordered comparisons: `request <op> policy`.
    fn compare(&self, ordering: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let Some(o) = ordering else { return false };
        match self.operator.base {
            Base::NumericEquals
            | Base::DateEquals
            | Base::NumericNotEquals
            | Base::DateNotEquals => o == Equal,
            Base::NumericLessThan | Base::DateLessThan => o == Less,
            Base::NumericLessThanEquals | Base::DateLessThanEquals => o != Greater,
            Base::NumericGreaterThan | Base::DateGreaterThan => o == Greater,
            Base::NumericGreaterThanEquals | Base::DateGreaterThanEquals => o != Less,
            _ => false,
        }
    }
}

fn any<T>(items: &[T], f: impl Fn(&T) -> Tri) -> Tri {
    let mut acc = Tri::False;
    for item in items {
        acc = acc.or(f(item));
        if acc == Tri::True {
            break;
        }
    }
    acc
}

fn pattern_matches<'r>(
    pattern: &Pattern,
    value: &str,
    resolve: &dyn Fn(&Variable) -> VarValue<'r>,
) -> Tri {
    let matched = pattern.matches(value, resolve);
    if matched
        && pattern
            .variables()
            .iter()
            .any(|v| resolve(v) == VarValue::Unknown)
    {
        Tri::Unknown
    } else {
        Tri::from_bool(matched)
    }
}

/// A decimal number: optional sign, digits, optional fraction. Exponents, `inf` and `NaN`
/// are refused: AWS documents integers and decimals only.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    text.parse().ok()
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// An IP address (a /32 or /128 block) or a CIDR block.
pub(crate) fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().ok()?
        }
        Some(_) => return None,
    };
    (prefix <= max).then_some((ip, prefix))
}

fn in_cidr(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// A date as milliseconds since the epoch: epoch seconds (an integer), or ISO 8601 in the
/// W3C profile AWS documents (`YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s]]` with `Z`, an offset
/// or nothing meaning UTC).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let body = text.strip_prefix('-').unwrap_or(text);
    if !body.is_empty() && body.len() <= 15 && body.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().map(|s| s * 1000);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Some(dt.timestamp_millis());
        }
    }
    if let Some(stripped) = text.strip_suffix('Z').or(Some(text)) {
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(stripped, format) {
                return Some(dt.and_utc().timestamp_millis());
            }
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::{ActionName, Context};

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let operator = Operator::parse(op).expect("operator");
        Condition::compile(
            operator,
            op,
            key,
            values.iter().map(|v| (*v).into()).collect(),
            true,
        )
        .expect("compile")
    }

    fn eval(c: &Condition, ctx: &Context) -> Tri {
        let action = ActionName::new("ssm:StartSession").expect("action");
        let req = Request::new(
            &action,
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            ctx,
        );
        c.eval(&req, &|v| match req.key(&v.key) {
            KeyState::Known(ContextValue::Single(s)) => VarValue::Text(s.as_str()),
            KeyState::Unknown => VarValue::Unknown,
            _ => VarValue::Missing,
        })
    }

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.insert(k, *v);
        }
        c
    }

    fn t(op: &str, values: &[&str], request: Option<&str>) -> Tri {
        let c = cond(op, "k", values);
        let context = match request {
            Some(v) => ctx(&[("k", v)]),
            None => Context::new(),
        };
        eval(&c, &context)
    }

    use Tri::{False as F, Invalid as I, True as T, Unknown as U};

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").expect("valid");
        assert_eq!(op.set, Some(SetOp::ForAnyValue));
        assert!(op.if_exists);
        assert_eq!(op.base, Base::StringLike);
        assert_eq!(
            Operator::parse("stringequals")
                .expect("case-insensitive")
                .base,
            Base::StringEquals
        );
        assert!(Operator::parse("StringEqual").is_err());
        assert!(
            Operator::parse("ForSomeValues:StringEquals")
                .unwrap_err()
                .contains("set operator")
        );
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForAllValues:Null").is_err());
    }

    #[test]
    fn string_operators() {
        assert_eq!(t("StringEquals", &["prod"], Some("prod")), T);
        assert_eq!(
            t("StringEquals", &["prod"], Some("Prod")),
            F,
            "values are case-sensitive"
        );
        assert_eq!(
            t("StringEquals", &["p*"], Some("prod")),
            F,
            "no wildcards in StringEquals"
        );
        assert_eq!(
            t("StringEquals", &["a", "prod"], Some("prod")),
            T,
            "values OR"
        );
        assert_eq!(
            t("StringNotEquals", &["a", "prod"], Some("prod")),
            F,
            "negated values NOR"
        );
        assert_eq!(t("StringNotEquals", &["a", "b"], Some("prod")), T);
        assert_eq!(t("StringEqualsIgnoreCase", &["PROD"], Some("prod")), T);
        assert_eq!(t("StringNotEqualsIgnoreCase", &["PROD"], Some("prod")), F);
        assert_eq!(t("StringLike", &["p*d"], Some("prod")), T);
        assert_eq!(t("StringLike", &["p?d"], Some("prod")), F);
        assert_eq!(t("StringNotLike", &["p*"], Some("prod")), F);
        assert_eq!(t("StringNotLike", &["x*"], Some("prod")), T);
    }

    #[test]
    fn missing_key_rules() {
        assert_eq!(t("StringEquals", &["x"], None), F);
        assert_eq!(t("StringNotEquals", &["x"], None), T);
        assert_eq!(t("StringNotLike", &["x"], None), T);
        assert_eq!(t("ArnNotLike", &["arn:aws:iam::1:role/x"], None), T);
        assert_eq!(t("NotIpAddress", &["10.0.0.0/8"], None), T);
        assert_eq!(t("NumericNotEquals", &["1"], None), T);
        assert_eq!(t("DateNotEquals", &["2020-01-01"], None), T);
        assert_eq!(t("StringEqualsIfExists", &["x"], None), T);
        assert_eq!(t("StringEqualsIfExists", &["x"], Some("y")), F);
        assert_eq!(t("Null", &["true"], None), T);
        assert_eq!(t("Null", &["false"], None), F);
        assert_eq!(t("Null", &["false"], Some("v")), T);
        assert_eq!(
            t("ForAllValues:StringEquals", &["x"], None),
            T,
            "ForAllValues is true when missing"
        );
        assert_eq!(t("ForAnyValue:StringEquals", &["x"], None), F);
        assert_eq!(t("ForAnyValue:StringEqualsIfExists", &["x"], None), T);
        assert_eq!(t("ForAnyValue:StringNotEquals", &["x"], None), F);
        assert_eq!(t("BoolIfExists", &["true"], None), T);
    }

    #[test]
    fn set_operators_over_multivalued_keys() {
        let multi = |values: &[&str]| {
            let mut c = Context::new();
            c.insert(
                "aws:TagKeys",
                values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>(),
            );
            c
        };
        let all = cond("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b"]);
        assert_eq!(eval(&all, &multi(&["a", "b"])), T);
        assert_eq!(eval(&all, &multi(&["a", "c"])), F);
        assert_eq!(eval(&all, &multi(&[])), T, "empty set");
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["a"]);
        assert_eq!(eval(&any, &multi(&["x", "a"])), T);
        assert_eq!(eval(&any, &multi(&[])), F);
        let none = cond("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"]);
        assert_eq!(eval(&none, &multi(&["b", "c"])), T);
        assert_eq!(eval(&none, &multi(&["b", "a"])), F);
        let plain = cond("StringEquals", "aws:TagKeys", &["a"]);
        assert_eq!(
            eval(&plain, &multi(&["a"])),
            F,
            "multivalued key needs a set operator"
        );
        let negated = cond("StringNotEquals", "aws:TagKeys", &["a"]);
        assert_eq!(eval(&negated, &multi(&["b"])), F);
        // A single value is a one-element set.
        assert_eq!(eval(&any, &ctx(&[("aws:TagKeys", "a")])), T);
    }

    #[test]
    fn numeric_date_bool_binary() {
        assert_eq!(t("NumericLessThan", &["10"], Some("9.5")), T);
        assert_eq!(t("NumericLessThan", &["10"], Some("10")), F);
        assert_eq!(t("NumericLessThanEquals", &["10"], Some("10")), T);
        assert_eq!(t("NumericGreaterThan", &["10"], Some("11")), T);
        assert_eq!(t("NumericGreaterThanEquals", &["10"], Some("9")), F);
        assert_eq!(t("NumericEquals", &["1.0"], Some("1")), T);
        assert_eq!(t("NumericNotEquals", &["1", "2"], Some("2")), F);
        assert_eq!(
            t("NumericEquals", &["abc"], Some("1")),
            I,
            "unreadable policy value"
        );
        assert_eq!(
            t("NumericEquals", &["1"], Some("abc")),
            I,
            "unreadable request value"
        );
        assert_eq!(
            t("NumericEquals", &["abc", "1"], Some("1")),
            T,
            "a match decides anyway"
        );
        assert_eq!(
            t(
                "DateLessThan",
                &["2024-01-01T00:00:00Z"],
                Some("2023-12-31T23:59:59Z")
            ),
            T
        );
        assert_eq!(
            t(
                "DateGreaterThan",
                &["2024-01-01"],
                Some("2024-01-01T00:00:01Z")
            ),
            T
        );
        assert_eq!(
            t("DateEquals", &["1704067200"], Some("2024-01-01T00:00:00Z")),
            T,
            "epoch seconds"
        );
        assert_eq!(
            t(
                "DateEquals",
                &["2024-01-01T01:00:00+01:00"],
                Some("2024-01-01T00:00:00Z")
            ),
            T
        );
        assert_eq!(
            t(
                "DateLessThanEquals",
                &["2024-01-01T00:00:00.500Z"],
                Some("2024-01-01T00:00:00Z")
            ),
            T
        );
        assert_eq!(t("DateEquals", &["yesterday"], Some("2024-01-01")), I);
        assert_eq!(t("Bool", &["true"], Some("TRUE")), T);
        assert_eq!(t("Bool", &["false"], Some("true")), F);
        assert_eq!(t("Bool", &["maybe"], Some("true")), I);
        assert_eq!(t("BinaryEquals", &["QmluYXJ5"], Some("QmluYXJ5")), T);
        assert_eq!(t("BinaryEquals", &["QmluYXJ5"], Some("QmluYXJ6")), F);
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(t("IpAddress", &["10.0.0.0/8"], Some("10.1.2.3")), T);
        assert_eq!(t("IpAddress", &["10.0.0.0/8"], Some("11.1.2.3")), F);
        assert_eq!(t("IpAddress", &["203.0.113.5"], Some("203.0.113.5")), T);
        assert_eq!(t("IpAddress", &["0.0.0.0/0"], Some("1.2.3.4")), T);
        assert_eq!(
            t("IpAddress", &["10.0.0.0/8"], Some("2001:db8::1")),
            F,
            "families do not mix"
        );
        assert_eq!(t("NotIpAddress", &["10.0.0.0/8"], Some("2001:db8::1")), T);
        assert_eq!(
            t("IpAddress", &["2001:db8::/32"], Some("2001:db8:ffff::1")),
            T
        );
        assert_eq!(t("IpAddress", &["2001:db8::/32"], Some("2001:db9::1")), F);
        assert_eq!(t("IpAddress", &["::/0"], Some("::1")), T);
        assert_eq!(
            t(
                "NotIpAddress",
                &["10.0.0.0/8", "192.168.0.0/16"],
                Some("192.168.1.1")
            ),
            F
        );
        assert_eq!(t("IpAddress", &["10.0.0.0/33"], Some("10.0.0.1")), I);
        assert_eq!(t("IpAddress", &["10.0.0.0/8"], Some("not-an-ip")), I);
    }

    #[test]
    fn arn_operators() {
        assert_eq!(
            t(
                "ArnLike",
                &["arn:aws:iam::*:role/admin-*"],
                Some("arn:aws:iam::111:role/admin-x")
            ),
            T
        );
        assert_eq!(
            t(
                "ArnEquals",
                &["arn:aws:iam::*:role/admin-*"],
                Some("arn:aws:iam::111:role/admin-x")
            ),
            T
        );
        assert_eq!(
            t(
                "ArnLike",
                &["arn:aws:iam::*:role/admin-*"],
                Some("arn:aws:iam::111:role/user")
            ),
            F
        );
        assert_eq!(
            t(
                "ArnNotLike",
                &["arn:aws:iam::*:role/admin-*"],
                Some("arn:aws:iam::111:role/user")
            ),
            T
        );
        assert_eq!(
            t(
                "ArnLike",
                &["arn:aws:iam::111:*"],
                Some("arn:aws:iam::111:role/a:b")
            ),
            T
        );
        assert_eq!(
            t("ArnLike", &["arn:aws:iam::*:role/x"], Some("not-an-arn")),
            I
        );
    }

    #[test]
    fn variables_in_values() {
        let c = cond(
            "StringLike",
            "ssm:resourceTag/aws:ssmmessages:session-id",
            &["${aws:userid}"],
        );
        let mut context = ctx(&[("ssm:resourceTag/aws:ssmmessages:session-id", "AIDAX")]);
        assert_eq!(eval(&c, &context.clone().with("aws:userid", "AIDAX")), T);
        assert_eq!(eval(&c, &context.clone().with("aws:userid", "AIDAY")), F);
        context.set_unknown("aws:userid");
        assert_eq!(eval(&c, &context), U);
        let arn = cond(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::${aws:PrincipalAccount}:user/*"],
        );
        let context = ctx(&[
            ("aws:PrincipalArn", "arn:aws:iam::111:user/a"),
            ("aws:PrincipalAccount", "111"),
        ]);
        assert_eq!(eval(&arn, &context), T);
    }

    #[test]
    fn unknown_keys() {
        let c = cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]);
        assert_eq!(eval(&c, &Context::scan_time()), U);
        let c = cond("Null", "aws:SourceIp", &["true"]);
        assert_eq!(eval(&c, &Context::scan_time()), U);
    }

    #[test]
    fn number_and_date_parsing() {
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        for bad in ["1e3", "inf", "NaN", "", ".5", "5.", "+1", "1,0"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(parse_date("2024-01-01T00:00Z"), Some(1_704_067_200_000));
        assert_eq!(parse_date("2024-01-01T00:00:00"), Some(1_704_067_200_000));
        assert_eq!(parse_date("Jan 1 2024"), None);
        assert_eq!(
            parse_cidr("10.0.0.1"),
            Some(("10.0.0.1".parse().expect("ip"), 32))
        );
        assert_eq!(parse_cidr("10.0.0.1/"), None);
        assert_eq!(parse_cidr("::1/129"), None);
    }

    #[test]
    fn tri_logic() {
        assert_eq!(T.and(U), U);
        assert_eq!(F.and(I), F);
        assert_eq!(U.and(I), I);
        assert_eq!(T.or(I), T);
        assert_eq!(F.or(U), U);
        assert_eq!(U.or(I), I);
        assert_eq!(U.not(), U);
    }
}
