//! IAM004 ssh-over-session-manager-allowed: `ssm:StartSession` is usable with
//! `AWS-StartSSHSession` (allowed on some instance and on the document,
//! `queries::session_documents`). Principals in `allowlist.ssh` are exempt.

use super::iam::{Allowlist, documents_judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam004;

impl Check for Iam004 {
    fn id(&self) -> &'static str {
        "IAM004"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let allowlist = Allowlist::new(&ctx.config.allowlist.ssh);
        judge_subjects(
            ctx,
            out,
            |_| true,
            Some(&allowlist),
            |subject| {
                documents_judged(
                    subject.session_documents(),
                    &["AWS-StartSSHSession"],
                    "SSH through Session Manager (encrypted end to end, not logged, with SSH keys again)",
                )
            },
        );
    }
}
