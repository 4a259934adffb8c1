//! IAM policy engine: parses the full policy grammar, matches and evaluates requests with
//! AWS's documented logic, and answers the Session Manager questions the IAM rules ask
//! (docs/iam-engine.md; the semantics follow `../shared/design/iam-semantics.md`).
//!
//! Who calls what:
//! - collectors and IaC ingesters build [`Policy`] values: [`Policy::parse`] for text (JSON,
//!   a JSON string, URL-encoded, `get-policy-version` output; statement positions kept),
//!   [`Policy::from_value`] for parsed JSON and [`Policy::from_document`] for a snapshot
//!   document, then [`Policy::with_name`], [`Policy::with_source`] and
//!   [`Policy::set_statement_position`];
//! - [`PolicySet`] groups a principal's identity policies, boundary, SCP levels and session
//!   policy with [`Principal`] facts; [`AccountPolicies`] builds them for every user and role
//!   of a snapshot account;
//! - the rules call [`queries`] ([`queries::all`] or one function per question) with a
//!   [`queries::QueryEnv`] naming the partition, region and account of synthetic ARNs;
//! - the access map and `nobastion simulate` build a [`Request`] ([`ActionName`], resource
//!   ARN, [`Context`]) and call [`decide`] (no allocation) or [`evaluate`] (decision,
//!   deciding statements, reason, residual conditions).
//!
//! Evaluating a request for a principal:
//!
//! ```
//! use nobastion::policy::{evaluate, ActionName, Context, Decision, Policy, PolicySet, Principal, Request};
//!
//! let policy = Policy::parse(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
//!     "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}}]}"#)?
//!     .with_name("dev-sessions");
//! let principal = Principal::from_arn("arn:aws:iam::111122223333:user/alice")?;
//! let set = PolicySet::new(principal).with_identity(policy);
//! let action = ActionName::new("ssm:StartSession")?;
//! let context = Context::new().with("ssm:resourceTag/Env", "dev");
//! let request = Request::new(&action, "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", &context);
//! let evaluation = evaluate(&set, &request);
//! assert_eq!(evaluation.decision, Decision::Allowed);
//! assert_eq!(evaluation.statements[0].policy.as_ref(), "dev-sessions");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Building a policy set from named documents (SCP levels root first) and asking the seven
//! Session Manager questions:
//!
//! ```
//! use std::sync::Arc;
//! use nobastion::policy::{Policy, PolicySet, Principal};
//! use nobastion::policy::queries::{self, QueryEnv, Scoping, Verdict};
//!
//! let inline = Policy::from_value(&serde_json::json!({"Version": "2012-10-17", "Statement": [
//!     {"Sid": "StartAnywhere", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"}]}))?
//!     .with_name("start-anywhere (inline, user alice)");
//! let full_access = Arc::new(Policy::parse(r#"{"Version": "2012-10-17",
//!     "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)?.with_name("FullAWSAccess"));
//! let set = PolicySet::new(Principal::from_arn("arn:aws:iam::111122223333:user/alice")?.with_userid("AIDAEXAMPLE"))
//!     .with_identity(inline)
//!     .with_scp_level(vec![full_access.clone()]) // root
//!     .with_scp_level(vec![full_access]); // the account's OU
//!
//! let answers = queries::all(&set, &QueryEnv::account("aws", "111122223333"));
//! assert_eq!(answers.tag_scoping.verdict, Verdict::Yes);
//! assert_eq!(answers.tag_scoping.details.ec2_instance.scoping, Scoping::NotScoped);
//! assert!(answers.tag_scoping.reason.contains("statement 1 (Sid StartAnywhere)"));
//! assert_eq!(answers.end_others_sessions.verdict, Verdict::No);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod arn;
mod condition;
mod context;
mod document;
mod error;
mod eval;
mod pattern;
pub mod queries;
pub(crate) mod requests;
mod set;
mod snapshot;

pub use context::{ActionName, BadActionName, Context, ContextValue, KeyState, Request, Unlisted};
pub use document::{Effect, Policy, PolicyVersion, PrincipalElement, Statement};
pub use error::{ParseError, ParseErrorKind, Position};
pub use eval::{
    ConditionalAccess, Decision, Evaluation, Layer, Residual, ResidualStatement, StatementRef,
    decide, evaluate,
};
pub use set::{BadPrincipalArn, PolicySet, Principal, PrincipalKind, ScpLevel};
pub use snapshot::{AccountPolicies, BuiltSet, SetProblem};
