//! Session documents as the LOG rules read them: the regional preferences document
//! `SSM-SessionManagerRunShell`, the account's own custom session documents (sessionType
//! `Standard_Stream` or `InteractiveCommands`, which carry the same logging inputs and
//! override the preferences for sessions started with them), and whether an input the rule
//! needs is unknown.

use crate::finding::ResourceRef;
use crate::model::{DocumentOwner, SsmDocument, unknown_reason};
use crate::rules::RegionScope;

/// The regional preferences document, if the region has one.
pub(crate) fn preferences(documents: &[SsmDocument]) -> Option<&SsmDocument> {
    documents.iter().find(|d| d.is_preferences())
}

/// The session type of a document: the normalized field, else the content's `sessionType`.
pub(crate) fn session_type(document: &SsmDocument) -> Option<&str> {
    document.session_type.as_deref().or_else(|| {
        document
            .content
            .as_ref()
            .and_then(|c| c.get("sessionType"))
            .and_then(serde_json::Value::as_str)
    })
}

/// Session types whose documents carry logging inputs.
const LOGGING_SESSION_TYPES: [&str; 2] = ["Standard_Stream", "InteractiveCommands"];

/// What a session document is to the LOG rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionDocKind {
    /// `SSM-SessionManagerRunShell`.
    Preferences,
    /// An account-owned session document of a logging session type.
    Custom,
    /// Anything else (other owners, types or session types).
    Other,
}

/// Classify a document. A custom session document whose session type cannot be read (no
/// normalized field, content unknown) is reported by the callers that need it.
pub(crate) fn kind_of(document: &SsmDocument) -> SessionDocKind {
    if document.is_preferences() {
        return SessionDocKind::Preferences;
    }
    let owned_session = document.owner == DocumentOwner::Account
        && document.document_type.eq_ignore_ascii_case("Session");
    let logging_type = session_type(document).is_some_and(|t| {
        LOGGING_SESSION_TYPES
            .iter()
            .any(|l| l.eq_ignore_ascii_case(t))
    });
    if owned_session && logging_type {
        SessionDocKind::Custom
    } else {
        SessionDocKind::Other
    }
}

/// The documents whose logging destinations the destination rules judge: the preferences
/// document and custom session documents.
pub(crate) fn logging_documents(documents: &[SsmDocument]) -> impl Iterator<Item = &SsmDocument> {
    documents
        .iter()
        .filter(|d| kind_of(d) != SessionDocKind::Other)
}

/// Why the input `field` (snake case, e.g. `s3_bucket_name`) of a session document is
/// unknown: the field itself, the whole `inputs` block or the whole content.
pub(crate) fn input_unknown<'a>(document: &'a SsmDocument, field: &str) -> Option<&'a str> {
    document
        .unknown
        .get(&format!("inputs.{field}"))
        .or_else(|| document.unknown.get("inputs"))
        .map(String::as_str)
        .or_else(|| unknown_reason(&document.unknown, "content"))
}

/// The first unknown among `fields`, as a message.
pub(crate) fn first_unknown_input(document: &SsmDocument, fields: &[&str]) -> Option<String> {
    fields.iter().find_map(|field| {
        input_unknown(document, field).map(|reason| {
            format!(
                "document {}: `inputs.{field}` is unknown: {reason}",
                document.name
            )
        })
    })
}

/// A reference to a session document of the region.
pub(crate) fn document_ref(scope: &RegionScope<'_>, document: &SsmDocument) -> ResourceRef {
    scope.resource_at("ssm-document", &document.name, document.origin.as_ref())
}

/// `SSM-SessionManagerRunShell in eu-west-1`, or `… in 111122223333/eu-west-1` when the
/// document's account is not `home_account`.
pub(crate) fn describe_document(
    scope: &RegionScope<'_>,
    document: &SsmDocument,
    home_account: &str,
) -> String {
    if scope.account.id == home_account {
        format!("{} in {}", document.name, scope.region.name)
    } else {
        format!(
            "{} in {}/{}",
            document.name, scope.account.id, scope.region.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds() {
        let prefs = SsmDocument {
            name: "SSM-SessionManagerRunShell".into(),
            ..SsmDocument::default()
        };
        assert_eq!(kind_of(&prefs), SessionDocKind::Preferences);
        let custom = SsmDocument {
            name: "Ops-Shell".into(),
            document_type: "Session".into(),
            content: Some(json!({"sessionType": "InteractiveCommands"})),
            ..SsmDocument::default()
        };
        assert_eq!(kind_of(&custom), SessionDocKind::Custom);
        let port = SsmDocument {
            name: "Tunnel".into(),
            document_type: "Session".into(),
            session_type: Some("Port".into()),
            ..SsmDocument::default()
        };
        assert_eq!(kind_of(&port), SessionDocKind::Other);
        let shared = SsmDocument {
            name: "Shared".into(),
            owner: DocumentOwner::Other,
            document_type: "Session".into(),
            session_type: Some("Standard_Stream".into()),
            ..SsmDocument::default()
        };
        assert_eq!(kind_of(&shared), SessionDocKind::Other);
        let command = SsmDocument {
            name: "Run".into(),
            document_type: "Command".into(),
            session_type: Some("Standard_Stream".into()),
            ..SsmDocument::default()
        };
        assert_eq!(kind_of(&command), SessionDocKind::Other);
    }

    #[test]
    fn unknown_inputs() {
        let mut doc = SsmDocument {
            name: "d".into(),
            ..SsmDocument::default()
        };
        doc.unknown
            .insert("inputs.s3_bucket_name".into(), "not a string".into());
        assert_eq!(input_unknown(&doc, "s3_bucket_name"), Some("not a string"));
        assert_eq!(input_unknown(&doc, "kms_key_id"), None);
        doc.unknown
            .insert("content".into(), "Fn::Sub unresolved".into());
        assert_eq!(
            input_unknown(&doc, "kms_key_id"),
            Some("Fn::Sub unresolved")
        );
    }
}
