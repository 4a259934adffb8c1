//! Systems Manager collector for one region: the documents the account owns (every type, with
//! their sharing; content and normalized session inputs for session documents, including the
//! preferences document `SSM-SessionManagerRunShell`), managed-instance information, and the
//! block-public-sharing service setting.
//!
//! Called by the region step in `collect::mod`; fills the SSM parts of
//! [`crate::model::Region`]. Session inputs are normalized by the model's
//! [`SessionInputs::from_content`], the same code the IaC ingesters use.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput;
use aws_sdk_ssm::operation::list_documents::ListDocumentsOutput;
use aws_sdk_ssm::types::{
    DocumentFormat, DocumentKeyValuesFilter, DocumentPermissionType, DocumentType,
};
use futures_util::{StreamExt, stream};
use serde_json::Value;

use super::Scope;
use crate::model::ssm::session_type_of;
use crate::model::{
    DocumentOwner, ManagedInstance, Section, SessionInputs, SsmDocument, SsmSettings,
};

/// The service setting that blocks public sharing of documents.
pub(crate) const PUBLIC_SHARING_SETTING: &str = "/ssm/documents/console/public-sharing-permission";

/// Documents whose details are fetched at once.
const DOCUMENT_FAN_OUT: usize = 8;

pub(crate) struct SsmSections {
    pub(crate) documents: Section<Vec<SsmDocument>>,
    pub(crate) managed_instances: Section<Vec<ManagedInstance>>,
    pub(crate) settings: Section<SsmSettings>,
}

pub(crate) async fn collect(client: &Client, scope: &Scope) -> SsmSections {
    let (documents, managed_instances, settings) = tokio::join!(
        documents(client, scope),
        managed_instances(client, scope),
        settings(client, scope),
    );
    scope.step_done();
    SsmSections {
        documents,
        managed_instances,
        settings,
    }
}

async fn documents(client: &Client, scope: &Scope) -> Section<Vec<SsmDocument>> {
    let pages = client
        .list_documents()
        .filters(
            DocumentKeyValuesFilter::builder()
                .key("Owner")
                .values("Self")
                .build(),
        )
        .max_results(50)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let pages = match pages {
        Ok(pages) => pages,
        Err(err) => return Section::NotCollected(scope.gap("ssm:ListDocuments", &err)),
    };
    let identifiers: Vec<_> = pages
        .iter()
        .flat_map(ListDocumentsOutput::document_identifiers)
        .filter(|d| d.name().is_some())
        .collect();
    let documents = stream::iter(identifiers)
        .map(|identifier| document(client, scope, identifier))
        .buffered(DOCUMENT_FAN_OUT)
        .collect::<Vec<_>>()
        .await;
    Section::Collected(documents)
}

async fn document(
    client: &Client,
    scope: &Scope,
    identifier: &aws_sdk_ssm::types::DocumentIdentifier,
) -> SsmDocument {
    let name = identifier.name().unwrap_or_default().to_owned();
    let document_type = identifier
        .document_type()
        .map_or_else(|| "Unknown".to_owned(), |t| t.as_str().to_owned());
    let mut document = SsmDocument {
        name: name.clone(),
        owner: DocumentOwner::Account,
        document_type,
        tags: identifier
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        ..SsmDocument::default()
    };
    let is_session = identifier.document_type() == Some(&DocumentType::Session);
    let (shared, content) = tokio::join!(shared_with(client, &name), async {
        if is_session {
            Some(
                client
                    .get_document()
                    .name(&name)
                    .document_format(DocumentFormat::Json)
                    .send()
                    .await,
            )
        } else {
            None
        }
    });
    match shared {
        Ok(accounts) => document.shared_with = accounts,
        Err(err) => scope.unknown(
            &mut document.unknown,
            "shared_with",
            &name,
            "ssm:DescribeDocumentPermission",
            &err,
        ),
    }
    match content {
        None => {}
        Some(Ok(out)) => fill_session_content(&mut document, out.content(), out.document_format()),
        Some(Err(err)) => {
            scope.unknown(
                &mut document.unknown,
                "content",
                &name,
                "ssm:GetDocument",
                &err,
            );
            document.unknown.insert(
                "inputs".to_owned(),
                "the document content could not be read".to_owned(),
            );
        }
    }
    document
}

/// Parse a session document's content and normalize its inputs; what cannot be parsed is
/// marked unknown rather than guessed.
fn fill_session_content(
    document: &mut SsmDocument,
    content: Option<&str>,
    format: Option<&DocumentFormat>,
) {
    let Some(text) = content else {
        document.unknown.insert(
            "content".to_owned(),
            "GetDocument returned no content".to_owned(),
        );
        return;
    };
    let parsed: Result<Value, String> = match format {
        Some(DocumentFormat::Yaml) => serde_norway::from_str(text).map_err(|e| e.to_string()),
        // JSON was requested; the service converts YAML documents. Fall back to YAML for
        // endpoints that return the stored format regardless.
        _ => serde_json::from_str(text)
            .or_else(|_| serde_norway::from_str(text))
            .map_err(|e: serde_norway::Error| e.to_string()),
    };
    match parsed {
        Ok(value) => {
            let (inputs, problems) = SessionInputs::from_content(&value);
            for problem in problems {
                document.unknown.insert(problem.field, problem.reason);
            }
            document.session_type = session_type_of(&value);
            document.inputs = inputs;
            document.content = Some(value);
        }
        Err(message) => {
            let reason = format!("the document content is neither JSON nor YAML: {message}");
            document
                .unknown
                .insert("content".to_owned(), reason.clone());
            document.unknown.insert("inputs".to_owned(), reason);
        }
    }
}

type PermissionError = aws_smithy_runtime_api::client::result::SdkError<
    aws_sdk_ssm::operation::describe_document_permission::DescribeDocumentPermissionError,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

/// Accounts the document is shared with (`all` = public). The operation has no SDK paginator.
async fn shared_with(client: &Client, name: &str) -> Result<Vec<String>, PermissionError> {
    let mut accounts = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .describe_document_permission()
            .name(name)
            .permission_type(DocumentPermissionType::Share)
            .max_results(200)
            .set_next_token(token.take())
            .send()
            .await?;
        accounts.extend(out.account_ids().iter().cloned());
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    accounts.sort();
    accounts.dedup();
    Ok(accounts)
}

async fn managed_instances(client: &Client, scope: &Scope) -> Section<Vec<ManagedInstance>> {
    let pages = client
        .describe_instance_information()
        .max_results(50)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    scope.section("ssm:DescribeInstanceInformation", pages, |pages| {
        pages
            .iter()
            .flat_map(DescribeInstanceInformationOutput::instance_information_list)
            .filter_map(|info| {
                Some(ManagedInstance {
                    instance_id: info.instance_id()?.to_owned(),
                    ping_status: info
                        .ping_status()
                        .map_or_else(|| "Unknown".to_owned(), |s| s.as_str().to_owned()),
                    resource_type: info.resource_type().map(|t| t.as_str().to_owned()),
                    platform_type: info.platform_type().map(|t| t.as_str().to_owned()),
                    agent_version: info.agent_version().map(str::to_owned),
                    ..ManagedInstance::default()
                })
            })
            .collect()
    })
}

async fn settings(client: &Client, scope: &Scope) -> Section<SsmSettings> {
    let out = client
        .get_service_setting()
        .setting_id(PUBLIC_SHARING_SETTING)
        .send()
        .await;
    match out {
        Ok(out) => match out.service_setting().and_then(|s| s.setting_value()) {
            Some(value) => Section::Collected(SsmSettings {
                public_sharing_enabled: !value.eq_ignore_ascii_case("Disable"),
            }),
            None => Section::NotCollected(
                scope.record(
                    crate::model::Gap::new(
                        "GetServiceSetting returned no value for the public-sharing setting",
                    )
                    .with_operation("ssm:GetServiceSetting"),
                ),
            ),
        },
        Err(err) => Section::NotCollected(scope.gap("ssm:GetServiceSetting", &err)),
    }
}

/// The normalized inputs of the session documents that have any (their log destinations
/// and keys).
pub(crate) fn session_destinations(
    documents: &[SsmDocument],
) -> impl Iterator<Item = &SessionInputs> {
    documents.iter().filter_map(|d| d.inputs.as_ref())
}
