//! LOG011 session-log-bucket-exposed: a bucket that session documents send logs to does not
//! block public access with all four settings (bucket-level, or account-level for the
//! bucket's account: S3 applies the more restrictive of the two), or its bucket policy does
//! not deny requests made without TLS.
//!
//! The TLS test accepts a statement that denies every S3 action (`s3:*` or `*`) to every
//! principal (`*`) on the bucket's objects, with a `Bool` / `BoolIfExists` condition on
//! `aws:SecureTransport` = false and no other condition (which would narrow the deny).

use serde_json::{Value, json};

use super::destinations::{
    Lookup, Referrer, bucket_ref, bucket_references, describe_referrers, find_bucket,
};
use super::log004::not_judged;
use crate::model::{Account, Bucket, PublicAccessBlock, Section, unknown_reason};
use crate::rules::{Check, Context, Emitter, gap_reason};

pub(crate) struct Log011;

impl Check for Log011 {
    fn id(&self) -> &'static str {
        "LOG011"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for (name, referrers) in bucket_references(ctx, out) {
            match find_bucket(ctx, &name) {
                Lookup::Found(account, bucket) => judge(ctx, account, bucket, &referrers, out),
                Lookup::Missing(place) => not_judged(
                    &referrers,
                    &format!("session-log bucket {name} does not exist {place}"),
                    out,
                ),
                Lookup::Unknown(reason) => not_judged(&referrers, &reason, out),
            }
        }
    }
}

fn judge(
    ctx: &Context<'_>,
    account: &Account,
    bucket: &Bucket,
    referrers: &[Referrer<'_>],
    out: &mut Emitter<'_>,
) {
    let resource = bucket_ref(ctx, account, bucket);
    let origin = bucket.origin.as_ref();
    let mut problems = Vec::new();
    let mut unknown = None;
    match public_access(account, bucket) {
        Ok(off) if off.is_empty() => {}
        Ok(off) => problems.push(format!(
            "does not block public access ({} off at bucket and account level)",
            off.join(", ")
        )),
        Err(reason) => unknown = Some(reason),
    }
    if let Some(reason) = unknown_reason(&bucket.unknown, "policy") {
        unknown.get_or_insert(format!("`policy` is unknown: {reason}"));
    } else if let Err(problem) = denies_insecure_transport(bucket, &account.partition) {
        problems.push(problem);
    }
    if !problems.is_empty() {
        out.fail(
            resource,
            format!(
                "Session-log bucket {} (used by {}) {}",
                bucket.name,
                describe_referrers(referrers, &account.id),
                problems.join("; and it ")
            ),
        )
        .origin(origin)
        .evidence(json!({
            "bucket": bucket.name,
            "public_access_block": bucket.public_access_block,
            "policy": bucket.policy.as_ref().map(|p| &p.document),
        }));
    } else if let Some(reason) = unknown {
        out.not_assessed(resource, reason).origin(origin);
    } else {
        out.pass(resource).origin(origin);
    }
}

/// The public-access-block settings that are off both on the bucket and on its account.
fn public_access(account: &Account, bucket: &Bucket) -> Result<Vec<&'static str>, String> {
    if let Some(reason) = unknown_reason(&bucket.unknown, "public_access_block") {
        return Err(format!("`public_access_block` is unknown: {reason}"));
    }
    let own = bucket.public_access_block.unwrap_or_default();
    if own.all_enabled() {
        return Ok(Vec::new());
    }
    let account_level = match &account.s3_public_access_block {
        Section::Collected(block) => block.unwrap_or_default(),
        Section::NotCollected(gap) => {
            return Err(format!(
                "the bucket's own public access block is incomplete and {}",
                gap_reason("s3_public_access_block", gap)
            ));
        }
    };
    let effective = PublicAccessBlock {
        block_public_acls: own.block_public_acls || account_level.block_public_acls,
        ignore_public_acls: own.ignore_public_acls || account_level.ignore_public_acls,
        block_public_policy: own.block_public_policy || account_level.block_public_policy,
        restrict_public_buckets: own.restrict_public_buckets
            || account_level.restrict_public_buckets,
    };
    Ok(effective.disabled_settings())
}

/// `Ok` when the bucket policy denies non-TLS requests; `Err` says what was found instead.
fn denies_insecure_transport(bucket: &Bucket, partition: &str) -> Result<(), String> {
    let Some(policy) = &bucket.policy else {
        return Err(
            "has no bucket policy, so nothing denies requests without TLS (aws:SecureTransport false)"
                .to_owned(),
        );
    };
    let statements: Vec<&Value> = match policy.document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let object = format!("arn:{partition}:s3:::{}/nobastion/session.log", bucket.name);
    let mut near = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let label = statement.get("Sid").and_then(Value::as_str).map_or_else(
            || format!("statement {}", index + 1),
            |sid| format!("statement {sid}"),
        );
        let Some(condition) = secure_transport_condition(statement) else {
            continue;
        };
        let why = if !is_deny(statement) {
            Some("is not a Deny")
        } else if !everyone(statement) {
            Some("does not apply to every principal (\"*\")")
        } else if !all_s3_actions(statement) {
            Some("does not deny every S3 action (s3:*)")
        } else if !covers(statement, &object) {
            Some("does not cover the bucket's objects")
        } else if !condition {
            Some("combines aws:SecureTransport with other conditions, which narrow the deny")
        } else {
            None
        };
        match why {
            None => return Ok(()),
            Some(why) => near.push(format!("{label} tests aws:SecureTransport but {why}")),
        }
    }
    if near.is_empty() {
        Err("has a bucket policy that does not deny requests without TLS (no statement denies aws:SecureTransport false)".to_owned())
    } else {
        Err(format!(
            "has a bucket policy that does not deny requests without TLS: {}",
            near.join("; ")
        ))
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_deny(statement: &Value) -> bool {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"))
}

fn everyone(statement: &Value) -> bool {
    if statement.get("NotPrincipal").is_some() {
        return false;
    }
    match statement.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(map)) => strings(map.get("AWS")).contains(&"*"),
        _ => false,
    }
}

fn all_s3_actions(statement: &Value) -> bool {
    statement.get("NotAction").is_none()
        && strings(statement.get("Action"))
            .iter()
            .any(|a| *a == "*" || a.eq_ignore_ascii_case("s3:*"))
}

fn covers(statement: &Value, object_arn: &str) -> bool {
    statement.get("NotResource").is_none()
        && strings(statement.get("Resource"))
            .iter()
            .any(|pattern| wildcard_match(pattern, object_arn))
}

/// `None` when the statement does not test `aws:SecureTransport` = false; `Some(true)` when
/// that is its only condition, `Some(false)` when other conditions narrow it.
fn secure_transport_condition(statement: &Value) -> Option<bool> {
    let conditions = statement.get("Condition")?.as_object()?;
    let mut found = false;
    let mut others = false;
    for (operator, keys) in conditions {
        let Some(keys) = keys.as_object() else {
            others = true;
            continue;
        };
        let boolean =
            operator.eq_ignore_ascii_case("Bool") || operator.eq_ignore_ascii_case("BoolIfExists");
        for (key, value) in keys {
            let is_false = match value {
                Value::Bool(b) => !b,
                Value::String(s) => s.eq_ignore_ascii_case("false"),
                Value::Array(items) => items.iter().any(|v| {
                    v.as_bool() == Some(false)
                        || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
                }),
                _ => false,
            };
            if boolean && key.eq_ignore_ascii_case("aws:SecureTransport") && is_false {
                found = true;
            } else {
                others = true;
            }
        }
    }
    found.then_some(!others)
}

/// IAM-style wildcard match: `*` any run of characters, `?` one character.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PolicyDocument;

    fn bucket(policy: Value) -> Bucket {
        Bucket {
            name: "logs".into(),
            policy: Some(PolicyDocument::new(policy)),
            ..Bucket::default()
        }
    }

    #[test]
    fn tls_deny_statements() {
        let good = json!({"Statement": [{
            "Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": "s3:*",
            "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
            "Condition": {"Bool": {"aws:SecureTransport": false}}
        }]});
        assert!(denies_insecure_transport(&bucket(good), "aws").is_ok());
        let single = json!({"Statement": {
            "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:securetransport": ["false"]}}
        }});
        assert!(denies_insecure_transport(&bucket(single), "aws").is_ok());
        let bucket_only = json!({"Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::logs",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]});
        let err = denies_insecure_transport(&bucket(bucket_only), "aws").unwrap_err();
        assert!(err.contains("objects"), "{err}");
        let narrowed = json!({"Statement": [{
            "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::logs/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"},
                          "StringEquals": {"aws:PrincipalAccount": "111122223333"}}
        }]});
        let err = denies_insecure_transport(&bucket(narrowed), "aws").unwrap_err();
        assert!(
            err.contains("statement TlsOnly") && err.contains("narrow"),
            "{err}"
        );
        let allow = json!({"Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::logs/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}
        }]});
        assert!(denies_insecure_transport(&bucket(allow), "aws").is_err());
        let none = Bucket {
            name: "logs".into(),
            ..Bucket::default()
        };
        assert!(
            denies_insecure_transport(&none, "aws")
                .unwrap_err()
                .contains("no bucket policy")
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(
            "arn:aws:s3:::logs/*",
            "arn:aws:s3:::logs/a/b"
        ));
        assert!(wildcard_match("arn:aws:s3:::log?/*", "arn:aws:s3:::logs/a"));
        assert!(wildcard_match("*", "anything"));
        assert!(!wildcard_match(
            "arn:aws:s3:::logs/sessions/*",
            "arn:aws:s3:::logs/nobastion/x"
        ));
        assert!(!wildcard_match("arn:aws:s3:::logs", "arn:aws:s3:::logs/x"));
    }

    #[test]
    fn account_level_block_completes_the_bucket_level_one() {
        let account = Account {
            id: "1".into(),
            s3_public_access_block: Section::Collected(Some(PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: false,
            })),
            ..Account::default()
        };
        let mut b = Bucket {
            name: "logs".into(),
            ..Bucket::default()
        };
        assert_eq!(
            public_access(&account, &b).unwrap(),
            ["RestrictPublicBuckets"]
        );
        b.public_access_block = Some(PublicAccessBlock {
            restrict_public_buckets: true,
            ..PublicAccessBlock::default()
        });
        assert!(public_access(&account, &b).unwrap().is_empty());
    }
}
