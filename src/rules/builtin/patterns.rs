//! Matching the events of a Session Manager `StartSession` call against the two ways people
//! alert on it (AUD002): EventBridge event patterns, and CloudWatch Logs metric filter
//! patterns on the log group a CloudTrail trail delivers to.
//!
//! Rather than looking for the string `StartSession`, a pattern is evaluated against
//! synthetic but complete events (an IAM user's and an assumed role's `StartSession`), so
//! `source: aws.ssm`, prefixes, wildcards, `anything-but`, `exists`, `$or` and filter
//! expressions count exactly when they match. A pattern that narrows to some callers does
//! not match both events and does not count. Syntax nobastion does not implement is
//! reported as such (the caller turns it into not-assessed), never guessed.

use serde_json::{Value, json};

use super::net::cidr_bounds;

/// The two CloudTrail records of a `StartSession` call nobastion tests patterns with: one by
/// an IAM user, one by an assumed role (SSO, federation).
pub(crate) fn start_session_records(account: &str, region: &str) -> [Value; 2] {
    let base = |identity: Value| {
        json!({
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": "2026-01-01T00:00:00Z",
            "eventSource": "ssm.amazonaws.com",
            "eventName": "StartSession",
            "awsRegion": region,
            "sourceIPAddress": "198.51.100.10",
            "userAgent": "aws-cli/2.15.0 md/command#ssm.start-session",
            "requestParameters": { "target": "i-0123456789abcdef0" },
            "responseElements": {
                "sessionId": "operator-0123456789abcdef0",
                "tokenValue": "Value hidden",
                "streamUrl": format!("wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/operator-0123456789abcdef0?role=publish_subscribe")
            },
            "requestID": "11111111-2222-3333-4444-555555555555",
            "eventID": "66666666-7777-8888-9999-000000000000",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": account,
            "eventCategory": "Management"
        })
    };
    [
        base(json!({
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEOPERATOR",
            "arn": format!("arn:aws:iam::{account}:user/operator"),
            "accountId": account,
            "userName": "operator"
        })),
        base(json!({
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEOPERATOR:operator",
            "arn": format!("arn:aws:sts::{account}:assumed-role/Operator/operator"),
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEOPERATOR",
                    "arn": format!("arn:aws:iam::{account}:role/Operator"),
                    "accountId": account,
                    "userName": "Operator"
                },
                "attributes": { "creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false" }
            }
        })),
    ]
}

/// The EventBridge events (default bus) CloudTrail emits for those records.
pub(crate) fn start_session_events(account: &str, region: &str) -> [Value; 2] {
    start_session_records(account, region).map(|detail| {
        json!({
            "version": "0",
            "id": "01234567-89ab-cdef-0123-456789abcdef",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.ssm",
            "account": account,
            "time": "2026-01-01T00:00:00Z",
            "region": region,
            "resources": [],
            "detail": detail
        })
    })
}

/// Whether an EventBridge event pattern matches `event`; `Err` for syntax nobastion does
/// not evaluate.
pub(crate) fn event_pattern_matches(pattern: &Value, event: &Value) -> Result<bool, String> {
    let Value::Object(fields) = pattern else {
        return Err("the event pattern is not a JSON object".to_owned());
    };
    for (key, expected) in fields {
        if key == "$or" {
            let Value::Array(alternatives) = expected else {
                return Err("`$or` must be an array of patterns".to_owned());
            };
            let mut any = false;
            for alternative in alternatives {
                if event_pattern_matches(alternative, event)? {
                    any = true;
                    break;
                }
            }
            if !any {
                return Ok(false);
            }
            continue;
        }
        let actual = event.get(key);
        let ok = match expected {
            Value::Object(_) => {
                let empty = Value::Object(serde_json::Map::new());
                let nested = match actual {
                    Some(value @ Value::Object(_)) => value,
                    Some(_) => return Ok(false),
                    None => &empty,
                };
                event_pattern_matches(expected, nested)?
            }
            Value::Array(matchers) => leaf_matches(matchers, actual)?,
            other => {
                return Err(format!(
                    "pattern field `{key}` must be an array or an object, found {other}"
                ));
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn leaf_matches(matchers: &[Value], actual: Option<&Value>) -> Result<bool, String> {
    for matcher in matchers {
        let hit = match actual {
            Some(Value::Array(items)) => {
                let mut any = false;
                for item in items {
                    if matcher_matches(matcher, Some(item))? {
                        any = true;
                        break;
                    }
                }
                // `exists` applies to the field, not to its elements.
                if !any && matcher.get("exists").is_some() {
                    matcher_matches(matcher, actual)?
                } else {
                    any
                }
            }
            other => matcher_matches(matcher, other)?,
        };
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

fn matcher_matches(matcher: &Value, actual: Option<&Value>) -> Result<bool, String> {
    let Value::Object(operator) = matcher else {
        // A literal: exact match (numbers compare numerically).
        return Ok(actual.is_some_and(|a| literal_equals(matcher, a)));
    };
    let Some((name, argument)) = operator.iter().next().filter(|_| operator.len() == 1) else {
        return Err(format!("unsupported matcher {matcher}"));
    };
    match name.as_str() {
        "exists" => match argument {
            Value::Bool(wanted) => Ok(actual.is_some() == *wanted),
            _ => Err(format!("unsupported matcher {matcher}")),
        },
        "anything-but" => match actual {
            None => Ok(false),
            Some(value) => {
                let excluded = match argument {
                    Value::Array(items) => items.iter().any(|i| literal_equals(i, value)),
                    Value::Object(_) => matcher_matches(argument, Some(value))?,
                    literal => literal_equals(literal, value),
                };
                Ok(!excluded)
            }
        },
        "numeric" => numeric_matches(argument, actual),
        "cidr" => {
            let (Some(range), Some(ip)) = (
                argument.as_str().and_then(cidr_bounds),
                actual.and_then(Value::as_str).and_then(cidr_bounds),
            ) else {
                return Ok(false);
            };
            Ok(range.0 == ip.0 && range.1 <= ip.1 && ip.2 <= range.2)
        }
        "prefix" | "suffix" | "equals-ignore-case" | "wildcard" => {
            let Some(text) = actual.and_then(Value::as_str) else {
                return Ok(false);
            };
            string_matcher(name, argument, text, matcher)
        }
        _ => Err(format!("unsupported matcher {matcher}")),
    }
}

fn string_matcher(
    name: &str,
    argument: &Value,
    text: &str,
    matcher: &Value,
) -> Result<bool, String> {
    // `{"prefix": {"equals-ignore-case": "x"}}` compares without case.
    let (wanted, ignore_case) = match argument {
        Value::String(s) => (s.as_str(), false),
        Value::Object(inner) => match inner.get("equals-ignore-case").and_then(Value::as_str) {
            Some(s) if inner.len() == 1 => (s, true),
            _ => return Err(format!("unsupported matcher {matcher}")),
        },
        _ => return Err(format!("unsupported matcher {matcher}")),
    };
    let (text, wanted) = if ignore_case || name == "equals-ignore-case" {
        (text.to_lowercase(), wanted.to_lowercase())
    } else {
        (text.to_owned(), wanted.to_owned())
    };
    Ok(match name {
        "prefix" => text.starts_with(&wanted),
        "suffix" => text.ends_with(&wanted),
        "equals-ignore-case" => text == wanted,
        _ => glob(&wanted, &text),
    })
}

fn numeric_matches(argument: &Value, actual: Option<&Value>) -> Result<bool, String> {
    let Some(number) = actual.and_then(Value::as_f64) else {
        return Ok(false);
    };
    let Value::Array(parts) = argument else {
        return Err("`numeric` needs an array".to_owned());
    };
    let mut ok = true;
    for pair in parts.chunks(2) {
        let (Some(op), Some(bound)) = (pair[0].as_str(), pair.get(1).and_then(Value::as_f64))
        else {
            return Err(format!("unsupported numeric matcher {argument}"));
        };
        ok &= match op {
            "=" => (number - bound).abs() < f64::EPSILON,
            "<" => number < bound,
            "<=" => number <= bound,
            ">" => number > bound,
            ">=" => number >= bound,
            _ => return Err(format!("unsupported numeric operator {op}")),
        };
    }
    Ok(ok)
}

fn literal_equals(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether a CloudWatch Logs filter pattern matches a CloudTrail record (one JSON log event).
/// Supports JSON patterns (`{ $.eventName = "StartSession" && … }`) and term patterns
/// (`StartSession`, `"StartSession"`, `?a ?b`, `-term`); `Err` for space-delimited
/// (`[…]`) patterns and syntax errors.
pub(crate) fn filter_pattern_matches(pattern: &str, record: &Value) -> Result<bool, String> {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return Ok(true);
    }
    if pattern.starts_with('[') {
        return Err(format!(
            "space-delimited filter pattern `{pattern}` is not evaluated by nobastion"
        ));
    }
    if !pattern.starts_with('{') {
        return Ok(terms_match(pattern, &record.to_string()));
    }
    let inner = pattern
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .ok_or_else(|| format!("filter pattern `{pattern}` is not a closed {{ … }} expression"))?;
    let tokens = tokenize(inner).map_err(|e| format!("filter pattern `{pattern}`: {e}"))?;
    let mut parser = FilterParser {
        tokens: &tokens,
        at: 0,
        record,
    };
    let result = parser
        .or_expr()
        .map_err(|e| format!("filter pattern `{pattern}`: {e}"))?;
    if parser.at != tokens.len() {
        return Err(format!(
            "filter pattern `{pattern}`: unexpected trailing text"
        ));
    }
    Ok(result)
}

fn terms_match(pattern: &str, text: &str) -> bool {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut excluded = Vec::new();
    for raw in split_terms(pattern) {
        if let Some(term) = raw.strip_prefix('?') {
            optional.push(unquote(term));
        } else if let Some(term) = raw.strip_prefix('-') {
            excluded.push(unquote(term));
        } else {
            required.push(unquote(&raw));
        }
    }
    required.iter().all(|t| text.contains(t.as_str()))
        && (optional.is_empty() || optional.iter().any(|t| text.contains(t.as_str())))
        && !excluded.iter().any(|t| text.contains(t.as_str()))
}

fn split_terms(pattern: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in pattern.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

fn unquote(term: &str) -> String {
    term.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(term)
        .to_owned()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Op(&'static str),
    Selector(String),
    Quoted(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '&' if next == Some('&') => {
                tokens.push(Token::And);
                i += 2;
            }
            '|' if next == Some('|') => {
                tokens.push(Token::Or);
                i += 2;
            }
            '!' if next == Some('=') => {
                tokens.push(Token::Op("!="));
                i += 2;
            }
            '<' | '>' => {
                let op = match (c, next) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                i += op.len();
                tokens.push(Token::Op(op));
            }
            '=' => {
                tokens.push(Token::Op("="));
                i += if next == Some('=') { 2 } else { 1 };
            }
            '"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".to_owned()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            if let Some(escaped) = chars.get(i + 1) {
                                value.push(*escaped);
                            }
                            i += 2;
                        }
                        Some(ch) => {
                            value.push(*ch);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(
                        chars[i],
                        '(' | ')' | '=' | '!' | '<' | '>' | '&' | '|' | '"'
                    )
                {
                    i += 1;
                }
                if i == start {
                    return Err(format!("unexpected `{c}`"));
                }
                let word: String = chars[start..i].iter().collect();
                if word.starts_with('$') {
                    tokens.push(Token::Selector(word));
                } else {
                    tokens.push(Token::Word(word));
                }
            }
        }
    }
    Ok(tokens)
}

struct FilterParser<'t> {
    tokens: &'t [Token],
    at: usize,
    record: &'t Value,
}

impl FilterParser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or_expr(&mut self) -> Result<bool, String> {
        let mut value = self.and_expr()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            value |= self.and_expr()?;
        }
        Ok(value)
    }

    fn and_expr(&mut self) -> Result<bool, String> {
        let mut value = self.atom()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            value &= self.atom()?;
        }
        Ok(value)
    }

    fn atom(&mut self) -> Result<bool, String> {
        match self.next() {
            Some(Token::Open) => {
                let value = self.or_expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(value),
                    _ => Err("missing `)`".to_owned()),
                }
            }
            Some(Token::Selector(selector)) => self.comparison(&selector),
            other => Err(format!("expected a `$.` selector, found {other:?}")),
        }
    }

    fn comparison(&mut self, selector: &str) -> Result<bool, String> {
        let actual = select(self.record, selector)?;
        match self.next() {
            Some(Token::Op(op)) => {
                let expected = match self.next() {
                    Some(Token::Quoted(text)) => Expected::Text(text),
                    Some(Token::Word(word)) => Expected::from_word(&word),
                    other => return Err(format!("expected a value after `{op}`, found {other:?}")),
                };
                Ok(compare(actual, op, &expected))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("IS") => match self.next() {
                Some(Token::Word(what)) => Ok(match what.to_ascii_uppercase().as_str() {
                    "TRUE" => actual == Some(&Value::Bool(true)),
                    "FALSE" => actual == Some(&Value::Bool(false)),
                    "NULL" => actual == Some(&Value::Null),
                    other => return Err(format!("unsupported `IS {other}`")),
                }),
                other => Err(format!(
                    "expected TRUE, FALSE or NULL after IS, found {other:?}"
                )),
            },
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("NOT") => match self.next() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("EXISTS") => Ok(actual.is_none()),
                other => Err(format!("expected EXISTS after NOT, found {other:?}")),
            },
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("EXISTS") => Ok(actual.is_some()),
            other => Err(format!(
                "expected an operator after {selector}, found {other:?}"
            )),
        }
    }
}

enum Expected {
    Text(String),
    Number(f64),
    Literal(Value),
}

impl Expected {
    fn from_word(word: &str) -> Self {
        match word.to_ascii_uppercase().as_str() {
            "NULL" => Expected::Literal(Value::Null),
            "TRUE" => Expected::Literal(Value::Bool(true)),
            "FALSE" => Expected::Literal(Value::Bool(false)),
            _ => match word.parse::<f64>() {
                Ok(number) => Expected::Number(number),
                Err(_) => Expected::Text(word.to_owned()),
            },
        }
    }
}

fn compare(actual: Option<&Value>, op: &str, expected: &Expected) -> bool {
    let Some(actual) = actual else {
        return false;
    };
    match expected {
        Expected::Text(text) => {
            let Some(value) = actual.as_str() else {
                return false;
            };
            match op {
                "=" => glob(text, value),
                "!=" => !glob(text, value),
                _ => false,
            }
        }
        Expected::Number(bound) => {
            let Some(number) = actual.as_f64() else {
                return false;
            };
            match op {
                "=" => (number - bound).abs() < f64::EPSILON,
                "!=" => (number - bound).abs() >= f64::EPSILON,
                "<" => number < *bound,
                "<=" => number <= *bound,
                ">" => number > *bound,
                ">=" => number >= *bound,
                _ => false,
            }
        }
        Expected::Literal(literal) => match op {
            "=" => actual == literal,
            "!=" => actual != literal,
            _ => false,
        },
    }
}

/// `$.a.b[0].c` in a record; `Ok(None)` when absent.
fn select<'v>(record: &'v Value, selector: &str) -> Result<Option<&'v Value>, String> {
    let path = selector
        .strip_prefix("$.")
        .ok_or_else(|| format!("unsupported selector {selector}"))?;
    let mut current = record;
    for part in path.split('.') {
        let (name, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            match current.get(name) {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index
                .trim_end_matches(']')
                .parse()
                .map_err(|_| format!("unsupported selector {selector}"))?;
            match current.get(index) {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(pattern: &Value) -> (bool, bool) {
        let [user, role] = start_session_events("111122223333", "eu-west-1");
        (
            event_pattern_matches(pattern, &user).unwrap(),
            event_pattern_matches(pattern, &role).unwrap(),
        )
    }

    #[test]
    fn event_patterns() {
        assert_eq!(both(&json!({"source": ["aws.ssm"]})), (true, true));
        assert_eq!(
            both(
                &json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"],
                         "detail": {"eventSource": ["ssm.amazonaws.com"], "eventName": ["StartSession", "ResumeSession"]}})
            ),
            (true, true)
        );
        assert_eq!(
            both(&json!({"detail": {"eventName": [{"prefix": "Start"}]}})),
            (true, true)
        );
        assert_eq!(
            both(&json!({"detail": {"eventName": [{"wildcard": "*Session"}]}})),
            (true, true)
        );
        assert_eq!(
            both(
                &json!({"detail": {"errorCode": [{"exists": false}], "eventName": ["StartSession"]}})
            ),
            (true, true)
        );
        assert_eq!(
            both(&json!({"source": ["aws.ec2"], "detail": {"eventName": ["StartSession"]}})),
            (false, false)
        );
        assert_eq!(
            both(
                &json!({"detail": {"eventName": ["StartSession"], "userIdentity": {"type": ["IAMUser"]}}})
            ),
            (true, false),
            "narrowed to IAM users"
        );
        assert_eq!(
            both(
                &json!({"$or": [{"source": ["aws.ec2"]}, {"detail": {"eventName": ["StartSession"]}}]})
            ),
            (true, true)
        );
        assert_eq!(
            both(&json!({"detail": {"eventName": [{"anything-but": ["GetParameter"]}]}})),
            (true, true)
        );
        assert_eq!(
            both(&json!({"detail": {"eventName": [{"anything-but": {"prefix": "Start"}}]}})),
            (false, false)
        );
        assert_eq!(
            both(&json!({"detail": {"eventName": [{"equals-ignore-case": "startsession"}]}})),
            (true, true)
        );
        assert_eq!(
            both(&json!({"detail": {"sourceIPAddress": [{"cidr": "198.51.100.0/24"}]}})),
            (true, true)
        );
        let [event, _] = start_session_events("1", "r");
        assert!(
            event_pattern_matches(&json!({"detail": {"eventName": [{"fuzzy": "x"}]}}), &event)
                .is_err()
        );
    }

    #[test]
    fn filter_patterns() {
        let [user, role] = start_session_records("111122223333", "eu-west-1");
        let check = |p: &str| {
            (
                filter_pattern_matches(p, &user).unwrap(),
                filter_pattern_matches(p, &role).unwrap(),
            )
        };
        assert_eq!(check(r#"{ $.eventName = "StartSession" }"#), (true, true));
        assert_eq!(
            check("{ ($.eventSource = ssm.amazonaws.com) && ($.eventName = StartSession) }"),
            (true, true)
        );
        assert_eq!(check(r#"{ $.eventName = "Start*" }"#), (true, true));
        assert_eq!(
            check(r#"{ $.eventName = "ConsoleLogin" || $.eventName = "StartSession" }"#),
            (true, true)
        );
        assert_eq!(
            check(r#"{ $.eventName = "StartSession" && $.userIdentity.type = "Root" }"#),
            (false, false)
        );
        assert_eq!(
            check(r#"{ $.eventName = "StartSession" && $.errorCode NOT EXISTS }"#),
            (true, true)
        );
        assert_eq!(
            check(
                r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" && $.eventName = StartSession }"#
            ),
            (false, true)
        );
        assert_eq!(
            check(r#"{ $.readOnly IS FALSE && $.eventName = "StartSession" }"#),
            (true, true)
        );
        assert_eq!(check("StartSession"), (true, true));
        assert_eq!(check("\"StartSession\" -IAMUser"), (false, true));
        assert_eq!(check("?ConsoleLogin ?StartSession"), (true, true));
        assert_eq!(check("GetParameter"), (false, false));
        assert!(filter_pattern_matches("[ip, user]", &user).is_err());
        assert!(filter_pattern_matches("{ $.eventName = ", &user).is_err());
        assert!(filter_pattern_matches("{ eventName = x }", &user).is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("Start*", "StartSession"));
        assert!(glob("*Session", "StartSession"));
        assert!(glob("S*S*n", "StartSession"));
        assert!(!glob("Stop*", "StartSession"));
        assert!(glob("exact", "exact"));
    }
}
