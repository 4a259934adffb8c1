//! Benchmarks of the IAM policy engine (recorded in docs/performance.md):
//! - parsing every AWS managed policy of the shared corpus;
//! - request evaluations per second for typical statements (a few conditions, wildcards),
//!   with `decide` (the access map's hot path) and `evaluate` (with reasons);
//! - the seven Session Manager queries for every managed policy.
//!
//! Run with `cargo bench --no-default-features --bench policy`. Corpus benchmarks are skipped
//! (with a message) when the corpus is absent; `cargo test --all-targets` runs each
//! benchmark once as a smoke test.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nobastion::policy::queries::{self, QueryEnv};
use nobastion::policy::{
    ActionName, Context, Policy, PolicySet, Principal, Request, decide, evaluate,
};

fn corpus_policies() -> Option<Vec<String>> {
    let dir = std::env::var_os("NOBASTION_CORPUS")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
            PathBuf::from,
        )
        .join("aws-managed-policies/policies");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping corpus benchmarks: no corpus at {}", dir.display());
        return None;
    };
    let mut texts: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            std::fs::read_to_string(e.path()).ok().map(|t| (name, t))
        })
        .filter(|(_, t)| !t.trim().is_empty())
        .collect();
    texts.sort();
    Some(texts.into_iter().map(|(_, t)| t).collect())
}

fn parse_corpus(c: &mut Criterion) {
    let Some(texts) = corpus_policies() else {
        return;
    };
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(
        format!("all {} managed policies ({} KB)", texts.len(), bytes / 1024),
        |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(Policy::parse(black_box(t)).ok());
                }
            });
        },
    );
    group.finish();
}

const DEVELOPER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadOnly", "Effect": "Allow", "Action": ["ec2:Describe*", "ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*"},
    {"Sid": "StartDev", "Effect": "Allow", "Action": "ssm:StartSession",
     "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"],
     "Condition": {"StringEquals": {"ssm:resourceTag/Env": ["dev", "test"]}, "Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "PortForwarding", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:document/AWS-StartPortForwarding*"},
    {"Sid": "OwnSessions", "Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
     "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"},
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:log-group:/aws/ssm/*"},
    {"Sid": "NoProd", "Effect": "Deny", "Action": "ssm:*", "Resource": "*",
     "Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}},
    {"Sid": "OfficeOnly", "Effect": "Deny", "NotAction": ["iam:ChangePassword", "sts:GetCallerIdentity"], "Resource": "*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}, "BoolIfExists": {"aws:ViaAWSService": "false"}}},
    {"Sid": "Mfa", "Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}"#;

const SCP: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "*", "Resource": "*"},
  {"Effect": "Deny", "Action": ["ec2-instance-connect:*", "ssm:UpdateDocument*"], "Resource": "*",
   "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin*"}}}]}"#;

fn developer_set() -> PolicySet {
    let principal = Principal::from_arn("arn:aws:iam::111122223333:user/alice").expect("principal");
    let policy = |t: &str, n: &str| Arc::new(Policy::parse(t).expect("policy").with_name(n));
    PolicySet::new(principal)
        .with_identity(policy(DEVELOPER_POLICY, "developer"))
        .with_scp_level(vec![policy(SCP, "root-scp")])
}

/// 1,000 instances with different tags and a mix of requests, as the access map makes them.
fn requests() -> (Vec<(ActionName, String, Context)>, Context) {
    let mut base = Context::new();
    base.insert("aws:SourceIp", "10.1.2.3")
        .insert("aws:SecureTransport", "true")
        .insert("aws:MultiFactorAuthPresent", "true")
        .insert("aws:ViaAWSService", "false");
    let actions = [
        "ssm:StartSession",
        "ssm:StartSession",
        "ssm:SendCommand",
        "ssm:TerminateSession",
        "ec2:DescribeInstances",
    ];
    let envs = ["dev", "test", "prod", "staging"];
    let mut out = Vec::new();
    for i in 0..1000 {
        let action = ActionName::new(actions[i % actions.len()]).expect("action");
        let resource = if action.as_str() == "ssm:TerminateSession" {
            format!(
                "arn:aws:ssm:us-east-1:111122223333:session/{}-0{i:016x}",
                if i % 2 == 0 { "alice" } else { "bob" }
            )
        } else {
            format!("arn:aws:ec2:us-east-1:111122223333:instance/i-0{i:016x}")
        };
        let mut ctx = Context::new();
        if i % 5 != 0 {
            ctx.insert("ssm:resourceTag/Env", envs[i % envs.len()]);
        }
        out.push((action, resource, ctx));
    }
    (out, base)
}

fn evaluations(c: &mut Criterion) {
    let set = developer_set();
    let (requests, base) = requests();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("decide 1000 requests", |b| {
        b.iter(|| {
            for (action, resource, ctx) in &requests {
                let req = Request::new(action, resource, ctx).with_base_context(&base);
                black_box(decide(&set, &req));
            }
        });
    });
    group.bench_function("evaluate with reasons 1000 requests", |b| {
        b.iter(|| {
            for (action, resource, ctx) in &requests {
                let req = Request::new(action, resource, ctx).with_base_context(&base);
                black_box(evaluate(&set, &req));
            }
        });
    });
    group.finish();
}

fn queries_corpus(c: &mut Criterion) {
    let Some(texts) = corpus_policies() else {
        return;
    };
    let sets: Vec<PolicySet> = texts
        .iter()
        .filter_map(|t| Policy::parse(t).ok())
        .map(PolicySet::single)
        .collect();
    let env = QueryEnv::lone_document();
    let mut group = c.benchmark_group("queries");
    group.sample_size(10);
    group.throughput(Throughput::Elements(sets.len() as u64));
    group.bench_function(
        format!("seven queries for {} managed policies", sets.len()),
        |b| {
            b.iter(|| {
                for set in &sets {
                    black_box(queries::all(set, &env));
                }
            });
        },
    );
    group.finish();
}

criterion_group!(benches, parse_corpus, evaluations, queries_corpus);
criterion_main!(benches);
