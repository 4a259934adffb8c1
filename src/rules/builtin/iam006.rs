//! IAM006 instance-connect-allowed: `ec2-instance-connect:SendSSHPublicKey`,
//! `SendSerialConsoleSSHPublicKey` or `OpenTunnel` is allowed on some instance or endpoint,
//! whatever its tags (`queries::instance_connect`).

use serde_json::json;

use super::iam::{Judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam006;

impl Check for Iam006 {
    fn id(&self) -> &'static str {
        "IAM006"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        judge_subjects(
            ctx,
            out,
            |_| true,
            None,
            |subject| {
                let answer = subject.instance_connect();
                let details = json!({
                    "actions": answer.details.actions.iter()
                        .map(|p| json!({ "action": p.action, "verdict": p.verdict }))
                        .collect::<Vec<_>>(),
                });
                Judged::from_answer(answer, details)
            },
        );
    }
}
