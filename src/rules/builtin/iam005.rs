//! IAM005 send-command-shell-allowed: `ssm:SendCommand` can run `AWS-RunShellScript` or
//! `AWS-RunPowerShellScript` on instances (EC2 or hybrid) that are not tag-scoped: allowed on
//! the shell document and on an instance with no tags, or with tag values no policy names
//! (`queries::send_command_shell`). Command output never reaches Session Manager's logs.

use serde_json::json;

use super::iam::{Judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam005;

impl Check for Iam005 {
    fn id(&self) -> &'static str {
        "IAM005"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        judge_subjects(
            ctx,
            out,
            |_| true,
            None,
            |subject| {
                let answer = subject.send_command_shell();
                let d = &answer.details;
                let details = json!({
                    "targets": [
                        { "target": d.instances.target, "scoping": d.instances.scoping },
                        { "target": d.managed_instances.target, "scoping": d.managed_instances.scoping },
                    ],
                    "documents": d.documents.iter().map(|a| json!({
                        "document": a.document,
                        "document_allowed": a.document_allowed,
                        "usable": a.usable,
                    })).collect::<Vec<_>>(),
                });
                Judged::from_answer(answer, details)
            },
        );
    }
}
