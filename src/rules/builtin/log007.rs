//! LOG007 idle-timeout-too-long: the preferences' `idleSessionTimeout` is above the
//! configured maximum (`[thresholds] idle-session-timeout-minutes`, default 20). When the
//! preferences leave it unset, Session Manager's default of 20 minutes is what applies and
//! is judged.

use serde_json::json;

use super::session::{document_ref, first_unknown_input, preferences};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log007;

/// Session Manager's idle timeout when the preferences set none, in minutes.
const DEFAULT_IDLE_MINUTES: u32 = 20;

impl Check for Log007 {
    fn id(&self) -> &'static str {
        "LOG007"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let limit = ctx.config.thresholds.idle_session_timeout_minutes;
        for scope in ctx.regions() {
            let Some(documents) =
                out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
            else {
                continue;
            };
            let Some(prefs) = preferences(documents) else {
                continue;
            };
            let resource = document_ref(&scope, prefs);
            let origin = prefs.origin.as_ref();
            if let Some(reason) = first_unknown_input(prefs, &["idle_session_timeout"]) {
                out.not_assessed(resource, reason).origin(origin);
                continue;
            }
            let set = prefs.inputs.as_ref().and_then(|i| i.idle_session_timeout);
            let effective = set.unwrap_or(DEFAULT_IDLE_MINUTES);
            if effective <= limit {
                out.pass(resource).origin(origin);
                continue;
            }
            let found = match set {
                Some(minutes) => format!("idleSessionTimeout is {minutes} minutes"),
                None => format!(
                    "idleSessionTimeout is not set, so Session Manager's default of {DEFAULT_IDLE_MINUTES} minutes applies"
                ),
            };
            out.fail(
                resource,
                format!(
                    "Session Manager preferences in {}: {found}; the maximum allowed is {limit} minutes",
                    scope.region.name
                ),
            )
            .origin(origin)
            .evidence(json!({ "document": prefs.name, "idle_session_timeout": set, "maximum": limit }));
        }
    }
}
