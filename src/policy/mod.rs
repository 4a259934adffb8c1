//! IAM policy engine: parses the full policy grammar, matches and evaluates requests with
//! AWS's documented logic, and answers the Session Manager questions the IAM rules ask
//! (see `docs/iam-engine.md` and `../shared/design/iam-semantics.md`).
//!
//! Who calls what:
//! - collectors and IaC ingesters build [`Policy`] values ([`Policy::parse`] for text with
//!   positions, [`Policy::from_value`] for parsed JSON, then [`Policy::with_name`],
//!   [`Policy::with_source`], [`Policy::set_statement_position`]) and group them into a
//!   [`PolicySet`] per principal (identity policies, boundary, SCP levels, session policy,
//!   plus [`Principal`] facts);
//! - the rules call [`queries`] ([`queries::all`] or one function per question) with a
//!   [`queries::QueryEnv`] naming the partition, region and account for synthetic ARNs;
//! - the access map and `nobastion simulate` build a [`Request`] ([`ActionName`], resource
//!   ARN, [`Context`]) and call [`decide`] (fast, no allocation) or [`evaluate`] (decision,
//!   deciding statements, reason, residual conditions).
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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod arn;
mod condition;
mod context;
mod document;
mod error;
mod eval;
mod json;
mod pattern;
pub mod queries;
mod set;

pub use context::{ActionName, BadActionName, Context, ContextValue, KeyState, Request, Unlisted};
pub use document::{Effect, Policy, PolicyVersion, PrincipalElement, Statement};
pub use error::{ParseError, ParseErrorKind, Position};
pub use eval::{
    ConditionalAccess, Decision, Evaluation, Layer, Residual, ResidualStatement, StatementRef,
    decide, evaluate,
};
pub use set::{BadPrincipalArn, PolicySet, Principal, PrincipalKind, ScpLevel};
