//! IAM002 terminate-session-not-self-scoped: `ssm:TerminateSession` or `ssm:ResumeSession` is
//! allowed on a session another principal started (`queries::end_others_sessions`: a session
//! named after and tagged with another user). Grants scoped by `session/${aws:username}-*` or
//! by `ssm:resourceTag/aws:ssmmessages:session-id` = `${aws:userid}` pass.

use serde_json::json;

use super::iam::{Judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam002;

impl Check for Iam002 {
    fn id(&self) -> &'static str {
        "IAM002"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        judge_subjects(
            ctx,
            out,
            |_| true,
            None,
            |subject| {
                let answer = subject.end_others_sessions();
                let d = &answer.details;
                let details = json!({
                    "terminate_others": d.terminate_others.verdict,
                    "resume_others": d.resume_others.verdict,
                    "terminate_own": d.terminate_own,
                });
                Judged::from_answer(answer, details)
            },
        );
    }
}
