//! AUD003 ssm-document-public: an SSM document owned by the account is shared publicly
//! (`all`), or the region's account-level "block public sharing" setting for documents is
//! off. Documents are judged wherever they are in the input; the account setting is not
//! judged on partial (IaC) snapshots, which cannot tell an unset setting from a default.

use serde_json::json;

use crate::model::{DocumentOwner, Section, unknown_reason};
use crate::rules::{Check, Context, Emitter, gap_reason};

pub(crate) struct Aud003;

impl Check for Aud003 {
    fn id(&self) -> &'static str {
        "AUD003"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for scope in ctx.regions() {
            if let Some(documents) =
                out.region_section(&scope, &scope.region.ssm_documents, "ssm_documents")
            {
                for document in documents
                    .iter()
                    .filter(|d| d.owner == DocumentOwner::Account)
                {
                    let resource =
                        scope.resource_at("ssm-document", &document.name, document.origin.as_ref());
                    let origin = document.origin.as_ref();
                    if let Some(reason) = unknown_reason(&document.unknown, "shared_with") {
                        out.not_assessed(resource, format!("`shared_with` is unknown: {reason}"))
                            .origin(origin);
                    } else if document.is_public() {
                        out.fail(
                            resource,
                            format!(
                                "{} document {} is shared publicly: every AWS account can read and run it",
                                document.document_type, document.name
                            ),
                        )
                        .origin(origin)
                        .key("public")
                        .evidence(json!({ "document": document.name, "shared_with": document.shared_with }));
                    } else {
                        out.pass(resource).origin(origin).key("public");
                    }
                }
            }
            if ctx.is_partial() {
                continue;
            }
            match &scope.region.ssm_settings {
                Section::Collected(settings) if settings.public_sharing_enabled => {
                    out.fail(
                        scope.scope_ref(),
                        format!(
                            "Block public sharing for SSM documents is off in {} (service setting /ssm/documents/console/public-sharing-permission is Enable): anyone in the account with ssm:ModifyDocumentPermission can publish a document to every AWS account",
                            scope.region.name
                        ),
                    )
                    .key("block-public-sharing")
                    .evidence(json!({ "region": scope.region.name, "public_sharing_enabled": true }));
                }
                Section::Collected(_) => {
                    out.pass(scope.scope_ref()).key("block-public-sharing");
                }
                Section::NotCollected(gap) => {
                    out.not_assessed(scope.scope_ref(), gap_reason("ssm_settings", gap));
                }
            }
        }
    }
}
