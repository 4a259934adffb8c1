//! IAM001 start-session-not-tag-scoped: `ssm:StartSession` reaches an EC2 instance or a
//! hybrid managed instance that carries no tags, or whose tags carry values no policy names
//! (presence-only scoping). Decided by the engine's three-context tag scoping
//! (`queries::start_session_tag_scoping`). With `thresholds.required-tag-keys`, access scoped
//! only by other tag keys fails too.

use serde_json::{Value, json};

use super::iam::{Judged, and_list, judge_subjects};
use crate::policy::queries::{Scoping, TargetScoping, Verdict};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam001;

impl Check for Iam001 {
    fn id(&self) -> &'static str {
        "IAM001"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let required = &ctx.config.thresholds.required_tag_keys;
        judge_subjects(
            ctx,
            out,
            |_| true,
            None,
            |subject| {
                let answer = subject.tag_scoping();
                let targets = [
                    &answer.details.ec2_instance,
                    &answer.details.managed_instance,
                ];
                let details = json!({
                    "targets": targets.iter().map(|t| target_json(t)).collect::<Vec<_>>(),
                    "required_tag_keys": required,
                });
                if answer.verdict == Verdict::No
                    && let Some(judged) = missing_required(&targets, required, &details)
                {
                    return judged;
                }
                Judged::from_answer(answer, details)
            },
        );
    }
}

fn target_json(t: &TargetScoping) -> Value {
    json!({
        "target": t.target,
        "scoping": t.scoping,
        "tag_keys": t.tag_keys,
        "scoped_by": t.scoped_by,
        "truncated": t.truncated,
    })
}

/// Access that is tag-scoped, but not by every required key: the first target type where
/// that is so.
fn missing_required(
    targets: &[&TargetScoping],
    required: &[String],
    details: &Value,
) -> Option<Judged> {
    if required.is_empty() {
        return None;
    }
    targets.iter().find_map(|t| {
        if t.scoping != Scoping::Scoped {
            return None;
        }
        let missing: Vec<&str> = required
            .iter()
            .filter(|k| !t.scoped_by.iter().any(|r| r.key.eq_ignore_ascii_case(k)))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            return None;
        }
        let scoped: Vec<String> = t
            .scoped_by
            .iter()
            .map(|r| format!("{} in [{}]", r.key, r.values.join(", ")))
            .collect();
        let by = if scoped.is_empty() {
            "no single tag key".to_owned()
        } else {
            scoped.join("; ")
        };
        let verdict = if t.probe.verdict == Verdict::Conditional {
            Verdict::Conditional
        } else {
            Verdict::Yes
        };
        Some(Judged {
            verdict,
            reason: format!(
                "ssm:StartSession on {}s is scoped by {by}, not by the required tag key(s) {} (thresholds.required-tag-keys): {}",
                t.target,
                and_list(&missing),
                t.probe.reason
            ),
            statements: t.probe.statements.clone(),
            conditions: t.probe.conditional.as_ref().map(ToString::to_string),
            details: details.clone(),
            certain: false,
        })
    })
}
