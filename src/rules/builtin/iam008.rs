//! IAM008 start-session-without-mfa: an IAM user can start sessions without MFA
//! (`queries::start_session_without_mfa`: `StartSession` with long-term keys, where
//! `aws:MultiFactorAuthPresent` is absent, or from a session without MFA). Users only (and,
//! in partial snapshots, groups without members in the input, whose members are users);
//! role sessions (SSO included) are out of scope. A user who cannot start sessions at all,
//! or only with MFA, passes.

use serde_json::json;

use super::iam::{Judged, SubjectKind, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam008;

impl Check for Iam008 {
    fn id(&self) -> &'static str {
        "IAM008"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        judge_subjects(
            ctx,
            out,
            |s| matches!(s.kind, SubjectKind::User(_) | SubjectKind::Group(_)),
            None,
            |subject| {
                let answer = subject.start_session_without_mfa();
                let d = &answer.details;
                let details = json!({
                    "without_mfa_long_term_keys": d.without_mfa_long_term.verdict,
                    "without_mfa_session": d.without_mfa_session.verdict,
                    "with_mfa": d.with_mfa,
                });
                Judged::from_answer(answer, details)
            },
        );
    }
}
