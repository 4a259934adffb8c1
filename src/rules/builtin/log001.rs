//! LOG001 session-preferences-missing: a region with managed instances has no
//! `SSM-SessionManagerRunShell` document, so sessions there are not logged and run with the
//! defaults. Judged per region with running instances online in Systems Manager; not
//! assessed when managed-instance information was not collected; not judged on partial
//! (IaC) snapshots, where the document may be defined elsewhere.

use serde_json::json;

use super::managed::{hosted, list_ids};
use super::session::{document_ref, preferences};
use crate::model::ssm::PREFERENCES_DOCUMENT;
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Log001;

impl Check for Log001 {
    fn id(&self) -> &'static str {
        "LOG001"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for scope in ctx.regions() {
            let Some(managed) = hosted(&scope, out) else {
                continue;
            };
            let Some(documents) =
                out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
            else {
                continue;
            };
            match preferences(documents) {
                Some(prefs) => {
                    out.pass(document_ref(&scope, prefs))
                        .origin(prefs.origin.as_ref());
                }
                None => {
                    out.fail(
                        scope.scope_ref(),
                        format!(
                            "Region {} has {} managed instance(s) ({}) but no Session Manager preferences document {PREFERENCES_DOCUMENT}: sessions are not logged and run with the defaults",
                            scope.region.name,
                            managed.len(),
                            list_ids(managed.iter().map(|i| i.id.as_str()), 5)
                        ),
                    )
                    .evidence(json!({
                        "region": scope.region.name,
                        "managed_instances": managed.iter().map(|i| &i.id).collect::<Vec<_>>(),
                        "documents": documents.iter().map(|d| &d.name).collect::<Vec<_>>(),
                    }));
                }
            }
        }
    }
}
