//! `nobastion simulate`: an offline counterpart of AWS's IAM policy simulator. Reads policy
//! files, evaluates one request with the IAM policy engine (`crate::policy`) and prints the
//! decision, the deciding statements and the reason as a table or JSON (docs/simulate.md).
//!
//! Exit status: 0 allowed, 1 denied (implicit or explicit), 3 indeterminate, 2 usage or
//! input error — so scripts can test a grant with `nobastion simulate ... && deploy`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args as ClapArgs, ValueEnum};
use comfy_table::Table;

use super::ExitStatus;
use crate::policy::{
    ActionName, Context, ContextValue, Decision, Evaluation, Policy, PolicySet, Principal, Request,
    evaluate,
};

/// Keys AWS documents as multivalued: a single `--context` value still makes a one-element
/// set for them.
const MULTIVALUED_KEYS: [&str; 7] = [
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalorgpaths",
    "aws:principalservicenameslist",
    "aws:resourceorgpaths",
    "aws:sourcevpcarn",
    "kms:encryptioncontextkeys",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Evaluate one request against policy files, offline, like AWS's policy simulator.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Exit status: 0 allowed, 1 denied, 3 indeterminate, 2 error.")]
pub struct Args {
    /// Identity policy file (JSON, a JSON string, URL-encoded, or `aws iam get-policy-version` output); repeatable
    #[arg(long = "policy", value_name = "FILE", required = true)]
    policies: Vec<PathBuf>,
    /// Permission boundary policy file
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// SCP file for one OU level, root first; repeat for each level down to the account
    #[arg(long = "scp", value_name = "FILE")]
    scps: Vec<PathBuf>,
    /// Session policy file (role sessions)
    #[arg(long, value_name = "FILE")]
    session_policy: Option<PathBuf>,
    /// The action, e.g. ssm:StartSession
    #[arg(long)]
    action: String,
    /// The resource ARN, e.g. arn:aws:ec2:us-east-1:111122223333:instance/i-0abc
    #[arg(long, value_name = "ARN")]
    resource: String,
    /// The calling principal's ARN; aws:username, aws:userid, aws:PrincipalArn and aws:PrincipalAccount are derived from it unless given with --context
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// A request context key and value; repeat a key for a multivalued key. Keys not given are absent.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let action = ActionName::new(&args.action)?;
    let principal = match &args.principal {
        Some(arn) => Principal::from_arn(arn)?,
        None => Principal::unknown(),
    };
    let mut set = PolicySet::new(principal);
    for path in &args.policies {
        set.add_identity(load(path)?);
    }
    if let Some(path) = &args.boundary {
        set.set_boundary(load(path)?);
    }
    for (level, path) in args.scps.iter().enumerate() {
        set.add_scp_level(Some(format!("level {}", level + 1)), vec![load(path)?]);
    }
    if let Some(path) = &args.session_policy {
        set.set_session_policy(load(path)?);
    }
    let context = parse_context(&args.context)?;
    let evaluation = evaluate(&set, &Request::new(&action, &args.resource, &context));
    let derived = derived_keys(set.principal(), &context);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json_report(&evaluation, &derived))?
        ),
        Format::Table => println!("{}", table_report(&evaluation, &derived).trim_end()),
    }
    Ok(match evaluation.decision {
        Decision::Allowed => ExitStatus::Clean,
        Decision::ImplicitDeny | Decision::ExplicitDeny => ExitStatus::Findings,
        Decision::Conditional | Decision::Indeterminate => ExitStatus::Incomplete,
    })
}

/// The principal keys derived from `--principal` that `--context` does not override.
fn derived_keys(principal: &Principal, context: &Context) -> Vec<(String, String)> {
    [
        ("aws:username", principal.username().map(str::to_owned)),
        ("aws:userid", principal.userid().map(str::to_owned)),
        ("aws:PrincipalArn", principal.principal_arn()),
        (
            "aws:PrincipalAccount",
            principal.account().map(str::to_owned),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .filter(|(k, _)| matches!(context.get(k), crate::policy::KeyState::Absent))
    .collect()
}

fn load(path: &Path) -> anyhow::Result<Arc<Policy>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    let policy = Policy::parse(&text).map_err(|e| anyhow::anyhow!("{name}:{e}"))?;
    Ok(Arc::new(
        policy.with_name(name.as_str()).with_source(name.as_str()),
    ))
}

fn parse_context(pairs: &[String]) -> anyhow::Result<Context> {
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--context {pair:?}: expected KEY=VALUE, e.g. aws:SourceIp=203.0.113.7");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("--context {pair:?}: the key is empty");
        }
        match values.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, list)) => list.push(value.to_owned()),
            None => values.push((key.to_owned(), vec![value.to_owned()])),
        }
    }
    let mut context = Context::new();
    for (key, mut list) in values {
        let multi = list.len() > 1 || MULTIVALUED_KEYS.contains(&key.to_lowercase().as_str());
        let value = match list.pop() {
            Some(single) if !multi => ContextValue::Single(single),
            last => {
                list.extend(last);
                ContextValue::Multi(list)
            }
        };
        context.insert(&key, value);
    }
    Ok(context)
}

fn json_report(e: &Evaluation, derived: &[(String, String)]) -> serde_json::Value {
    let statements: Vec<serde_json::Value> = e
        .statements
        .iter()
        .map(|s| {
            serde_json::json!({
                "policy": &*s.policy,
                "layer": layer_name(s.layer),
                "sid": s.sid.as_deref(),
                "index": s.index,
                "line": s.position.map(|p| p.line),
                "column": s.position.map(|p| p.column),
                "effect": s.effect,
            })
        })
        .collect();
    let derived: serde_json::Map<String, serde_json::Value> = derived
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({
        "decision": e.decision.as_str(),
        "statements": statements,
        "reason": e.reason,
        "derived_context": derived,
    })
}

fn principal_userid_is_placeholder(derived: &[(String, String)]) -> bool {
    derived.iter().any(|(k, _)| k == "aws:userid")
}

fn layer_name(layer: crate::policy::Layer) -> String {
    match layer {
        crate::policy::Layer::Identity => "identity".to_owned(),
        crate::policy::Layer::PermissionBoundary => "permission-boundary".to_owned(),
        crate::policy::Layer::Scp { level } => format!("scp-level-{}", level + 1),
        crate::policy::Layer::SessionPolicy => "session-policy".to_owned(),
    }
}

fn table_report(e: &Evaluation, derived: &[(String, String)]) -> String {
    let mut out = format!("Decision: {}\nReason:   {}\n", e.decision, e.reason);
    if !derived.is_empty() {
        let d: Vec<String> = derived.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "Derived from --principal: {}", d.join(", "));
        if principal_userid_is_placeholder(derived) {
            out.push_str("(aws:userid is a placeholder; pass --context aws:userid=... for the real unique ID)\n");
        }
    }
    if !e.statements.is_empty() {
        let mut table = Table::new();
        table.set_header(["Layer", "Policy", "Statement", "Sid", "Effect", "Line:Col"]);
        for s in &e.statements {
            table.add_row([
                layer_name(s.layer),
                s.policy.to_string(),
                (s.index + 1).to_string(),
                s.sid.as_deref().unwrap_or("").to_owned(),
                s.effect.to_string(),
                s.position.map_or_else(String::new, |p| p.to_string()),
            ]);
        }
        out.push_str(&table.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_pairs() {
        let ctx = parse_context(&[
            "aws:SourceIp=10.0.0.1".to_owned(),
            "aws:TagKeys=Env".to_owned(),
            "aws:CalledVia=a".to_owned(),
            "AWS:CALLEDVIA=b".to_owned(),
            "x=a=b".to_owned(),
        ])
        .expect("valid");
        assert_eq!(
            ctx.get("aws:sourceip"),
            crate::policy::KeyState::Known(&ContextValue::Single("10.0.0.1".into()))
        );
        assert_eq!(
            ctx.get("aws:TagKeys"),
            crate::policy::KeyState::Known(&ContextValue::Multi(vec!["Env".into()]))
        );
        assert_eq!(
            ctx.get("aws:CalledVia"),
            crate::policy::KeyState::Known(&ContextValue::Multi(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            ctx.get("x"),
            crate::policy::KeyState::Known(&ContextValue::Single("a=b".into()))
        );
        assert!(parse_context(&["novalue".to_owned()]).is_err());
        assert!(parse_context(&["=v".to_owned()]).is_err());
    }
}
