//! ARN patterns (the `Resource` element and the `Arn*` condition operators) and the split
//! form of a request ARN they are matched against.
//!
//! An ARN has six colon-separated parts: `arn:partition:service:region:account:resource`.
//! The first five are matched part by part (case-sensitively, each with its own wildcards);
//! the resource part is matched as a whole, so `*` spans `/` and `:` there. A pattern with
//! fewer parts whose last part ends in `*` lets that star run over the remaining colons
//! (`arn:aws:ssm:*` matches every SSM ARN), as AWS documents for trailing wildcards.

use super::pattern::{Pattern, Syntax, VarValue, Variable};

/// A request ARN split into its parts (borrowed; no allocation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arn<'a> {
    text: &'a str,
    /// Byte offsets where partition, service, region, account and resource start.
    starts: [usize; 5],
}

impl<'a> Arn<'a> {
    /// Splits `text`; `None` when it is not an ARN (no `arn:` prefix or fewer than six parts).
    pub(crate) fn parse(text: &'a str) -> Option<Arn<'a>> {
        let rest = text.strip_prefix("arn:")?;
        let mut starts = [0usize; 5];
        starts[0] = 4;
        let mut found = 1;
        for (i, b) in rest.bytes().enumerate() {
            if b == b':' {
                starts[found] = 4 + i + 1;
                found += 1;
                if found == 5 {
                    return Some(Arn { text, starts });
                }
            }
        }
        None
    }

    /// Part `i` (0 partition, 1 service, 2 region, 3 account, 4 resource).
    pub(crate) fn part(&self, i: usize) -> &'a str {
        let start = self.starts[i];
        let end = if i < 4 {
            self.starts[i + 1] - 1
        } else {
            self.text.len()
        };
        &self.text[start..end]
    }

    /// Everything from part `i` to the end.
    fn rest_from(&self, i: usize) -> &'a str {
        &self.text[self.starts[i]..]
    }
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    /// One pattern per part present after `arn:` (at most five). When fewer than five, the
    /// last ends with `*` and matches the rest of the ARN.
    parts: Vec<Pattern>,
}

impl ArnPattern {
    /// Compiles an ARN pattern; `Err` explains why the text is not one.
    pub(crate) fn compile(raw: &str, variables: bool) -> Result<ArnPattern, String> {
        let Some(rest) = raw.strip_prefix("arn:") else {
            return Err("must be \"*\" or an ARN starting with \"arn:\"".to_owned());
        };
        let syntax = Syntax {
            wildcards: true,
            variables,
            lowercase: false,
        };
        let mut raw_parts = split_parts(rest, variables);
        if raw_parts.len() < 5 {
            let last_is_star = raw_parts.last().is_some_and(|p| p.ends_with('*'));
            if !last_is_star {
                return Err(format!(
                    "an ARN has six colon-separated parts, this has {} (only a trailing \"*\" may stand for the rest)",
                    raw_parts.len() + 1
                ));
            }
        }
        if raw_parts.len() > 1 && raw_parts[1].is_empty() {
            return Err("the service part of the ARN is empty".to_owned());
        }
        let parts = raw_parts
            .drain(..)
            .map(|p| Pattern::compile(p, syntax))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ArnPattern { parts })
    }

    pub(crate) fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.parts.iter().flat_map(|p| p.variables().iter())
    }

    pub(crate) fn matches<'c>(
        &self,
        arn: &Arn<'_>,
        resolve: &dyn Fn(&Variable) -> VarValue<'c>,
    ) -> bool {
        let n = self.parts.len();
        for (i, part) in self.parts.iter().enumerate() {
            let text = if i + 1 == n && n < 5 {
                arn.rest_from(i)
            } else {
                arn.part(i)
            };
            if !part.matches(text, resolve) {
                return false;
            }
        }
        true
    }

    /// The pattern for part `i`, when the pattern has it as a separate part.
    pub(crate) fn part(&self, i: usize) -> Option<&Pattern> {
        if i + 1 < self.parts.len() || self.parts.len() == 5 {
            self.parts.get(i)
        } else {
            None
        }
    }
}

/// Splits the text after `arn:` into at most five parts at colons, keeping `${aws:...}`
/// variables whole.
fn split_parts(rest: &str, variables: bool) -> Vec<&str> {
    let mut parts = Vec::with_capacity(5);
    let mut start = 0;
    let mut i = 0;
    let bytes = rest.as_bytes();
    while i < bytes.len() && parts.len() < 4 {
        if variables
            && bytes[i] == b'$'
            && bytes.get(i + 1) == Some(&b'{')
            && let Some(end) = rest[i..].find('}')
        {
            i += end + 1;
            continue;
        }
        if bytes[i] == b':' {
            parts.push(&rest[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    parts.push(&rest[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, arn: &str) -> bool {
        let p = ArnPattern::compile(pattern, true).expect("pattern");
        let a = Arn::parse(arn).expect("arn");
        p.matches(&a, &|_| VarValue::Unknown)
    }

    #[test]
    fn splits_request_arns() {
        let a = Arn::parse("arn:aws:ssm:us-east-1::document/AWS-StartSSHSession").expect("arn");
        assert_eq!(a.part(0), "aws");
        assert_eq!(a.part(1), "ssm");
        assert_eq!(a.part(2), "us-east-1");
        assert_eq!(a.part(3), "");
        assert_eq!(a.part(4), "document/AWS-StartSSHSession");
        let a = Arn::parse("arn:aws:logs:eu-west-1:123:log-group:x:*").expect("arn");
        assert_eq!(a.part(4), "log-group:x:*");
        assert!(Arn::parse("arn:aws:s3").is_none());
        assert!(Arn::parse("*").is_none());
    }

    #[test]
    fn matching_rules() {
        let doc = "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession";
        assert!(
            m("arn:aws:ssm:*:*:document/*", doc),
            "* matches the empty account"
        );
        assert!(m("arn:aws:ssm:*:*:*", doc));
        assert!(
            m("arn:aws:ssm:*:*:*SSH*", doc),
            "* spans / in the resource part"
        );
        assert!(!m("arn:aws:ssm:*:111122223333:document/*", doc));
        assert!(!m("arn:aws:SSM:*:*:document/*", doc), "case-sensitive");
        assert!(!m("arn:aws:ssm:*:*:Document/*", doc));
        assert!(m("arn:aws:ssm:us-*", doc), "trailing star spans the rest");
        assert!(m("arn:aws:ssm:*", doc));
        assert!(m("arn:aws:*", doc));
        assert!(!m("arn:aws:ec2:*", doc));
        assert!(m(
            "arn:aws:logs:*:*:log-group:*",
            "arn:aws:logs:eu-west-1:1:log-group:x:log-stream:y"
        ));
        assert!(!m("arn:aws:ssm:*:*:document/AWS-StartSSH", doc));
        assert!(m(
            "arn:aws:ssm:?s-east-1:*:document/AWS-Start???Session",
            doc
        ));
    }

    #[test]
    fn variables_with_colons_stay_in_their_part() {
        assert_eq!(
            split_parts("aws:iam::${aws:PrincipalAccount}:user/*", true),
            ["aws", "iam", "", "${aws:PrincipalAccount}", "user/*"]
        );
        assert_eq!(
            split_parts("aws:iam::${aws:PrincipalAccount}:user/*", false).len(),
            5
        );
        assert_eq!(
            split_parts("aws:iam::${aws:PrincipalAccount}:user/*", false)[3],
            "${aws"
        );
    }

    #[test]
    fn malformed_patterns_are_explained() {
        assert!(
            ArnPattern::compile("bucket", true)
                .unwrap_err()
                .contains("\"arn:\"")
        );
        assert!(
            ArnPattern::compile("arn:aws:ssm:us-east-1", true)
                .unwrap_err()
                .contains("six")
        );
        assert!(
            ArnPattern::compile("arn:aws::*", true)
                .unwrap_err()
                .contains("service")
        );
    }
}
