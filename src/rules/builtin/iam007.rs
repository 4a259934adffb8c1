//! IAM007 session-preferences-tamper: `ssm:UpdateDocument`, `CreateDocument`,
//! `DeleteDocument` or `UpdateDocumentDefaultVersion` is allowed on
//! `SSM-SessionManagerRunShell` (`queries::preferences_tamper`): whoever may change the
//! preferences document can switch session logging and encryption off. Principals in
//! `allowlist.preferences-admins` are exempt.

use serde_json::json;

use super::iam::{Allowlist, Judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam007;

impl Check for Iam007 {
    fn id(&self) -> &'static str {
        "IAM007"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let allowlist = Allowlist::new(&ctx.config.allowlist.preferences_admins);
        judge_subjects(
            ctx,
            out,
            |_| true,
            Some(&allowlist),
            |subject| {
                let answer = subject.preferences_tamper();
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
