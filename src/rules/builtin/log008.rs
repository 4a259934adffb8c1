//! LOG008 max-session-duration-unset: the preferences' `maxSessionDuration` is absent
//! (sessions never end on their own) or above the configured maximum
//! (`[thresholds] max-session-duration-minutes`, default 720).

use serde_json::json;

use super::session::{document_ref, first_unknown_input, preferences};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log008;

impl Check for Log008 {
    fn id(&self) -> &'static str {
        "LOG008"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        let limit = ctx.config.thresholds.max_session_duration_minutes;
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
            if let Some(reason) = first_unknown_input(prefs, &["max_session_duration"]) {
                out.not_assessed(resource, reason).origin(origin);
                continue;
            }
            let set = prefs.inputs.as_ref().and_then(|i| i.max_session_duration);
            let problem = match set {
                None => {
                    "maxSessionDuration is not set: sessions have no maximum duration".to_owned()
                }
                Some(minutes) if minutes > limit => {
                    format!("maxSessionDuration is {minutes} minutes, above the maximum of {limit}")
                }
                Some(_) => {
                    out.pass(resource).origin(origin);
                    continue;
                }
            };
            out.fail(
                resource,
                format!(
                    "Session Manager preferences in {}: {problem}",
                    scope.region.name
                ),
            )
            .origin(origin)
            .evidence(
                json!({ "document": prefs.name, "max_session_duration": set, "maximum": limit }),
            );
        }
    }
}
