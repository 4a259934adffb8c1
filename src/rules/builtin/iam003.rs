//! IAM003 port-forwarding-allowed: `ssm:StartSession` is usable with
//! `AWS-StartPortForwardingSession` or `AWS-StartPortForwardingSessionToRemoteHost` (or with
//! one of the account's own session documents of session type `Port`): allowed on some
//! instance and on the document (`queries::session_documents`). Principals in
//! `allowlist.port-forwarding` are exempt.

use super::iam::{Allowlist, documents_judged, judge_subjects};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam003;

/// AWS's port-forwarding session documents.
pub(crate) const PORT_FORWARDING: [&str; 2] = [
    "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost",
];

impl Check for Iam003 {
    fn id(&self) -> &'static str {
        "IAM003"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let allowlist = Allowlist::new(&ctx.config.allowlist.port_forwarding);
        judge_subjects(
            ctx,
            out,
            |_| true,
            Some(&allowlist),
            |subject| {
                let mut names: Vec<&str> = PORT_FORWARDING.to_vec();
                names.extend(subject.custom_documents().iter().map(String::as_str));
                documents_judged(
                    subject.session_documents(),
                    &names,
                    "port forwarding (whose traffic Session Manager does not log)",
                )
            },
        );
    }
}
