//! Ingest: infrastructure-as-code and policy files → one [`Snapshot`] for the rules.
//!
//! `nobastion lint` (src/cli/lint.rs) calls [`ingest_paths`]; tests and benchmarks may call
//! [`ingest_bytes`] for one file. Each file's kind is detected from its content, not its name:
//!
//! - IAM policy JSON ([`iam_json`]): a bare policy document, the wrapped forms returned by
//!   `get-policy-version` (`{"PolicyVersion": {"Document": …}}`), `{"Policy": …}` and
//!   `{"PolicyDocument": …}`, and the whole output of `get-account-authorization-details`;
//! - Terraform plan JSON ([`terraform_plan`]), `terraform show -json PLANFILE`, format 0.1
//!   to 1.x;
//! - CloudFormation templates in JSON or YAML ([`cloudformation`]).
//!
//! Files are decoded (UTF-8 with or without BOM, UTF-16 with BOM; [`source`]) and parsed
//! with position-tracking readers (the shared [`crate::json`] reader, [`yaml`]) so that every
//! resource, security group rule and policy statement keeps its file, line and column
//! ([`crate::model::Origin`]).
//!
//! Each file becomes its own account in the snapshot (a plan or template describes one
//! deployment; a policy file stands alone), so addresses of two plans never meet. The
//! snapshot is `source: iac`, `partial: true`, and every section of every account is
//! collected, holding only what the files define: rules draw no conclusion from absence.
//! A file that cannot be read or parsed is an [`IngestError`] naming the file, line and
//! column; the other files are still ingested.

mod aws_managed;
pub(crate) mod builder;
mod cloudformation;
mod iam_json;
pub(crate) mod source;
mod terraform_plan;
pub(crate) mod tree;
mod walk;
pub(crate) mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::model::{Metadata, Origin, Snapshot, SourceKind};
use crate::report::InputError;

pub use builder::{PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION};
pub use walk::{WalkError, WalkOptions};

use crate::json::{LineIndex, Node, Parser, Position, Skipped};

/// A file that could not be ingested: its path, the position when there is one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IngestError {
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.path, self.message),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl IngestError {
    pub(crate) fn new(path: &str, position: Option<Position>, message: impl Into<String>) -> Self {
        IngestError {
            path: path.to_owned(),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
            message: message.into(),
        }
    }
}

impl From<&IngestError> for InputError {
    fn from(e: &IngestError) -> Self {
        InputError {
            path: e.path.clone(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        }
    }
}

/// Why a JSON or YAML document was not read: it is none of the kinds nobastion knows.
pub const NOT_AN_INPUT: &str = "not an IAM policy, a Terraform plan or a CloudFormation template \
                                (no Statement, format_version or Resources found)";

/// What kind of input a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A policy document, bare or wrapped.
    PolicyDocument,
    /// `aws iam get-account-authorization-details` output.
    AuthorizationDetails,
    TerraformPlan,
    CloudFormation,
}

impl FileKind {
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::PolicyDocument => "IAM policy",
            FileKind::AuthorizationDetails => "IAM authorization details",
            FileKind::TerraformPlan => "Terraform plan",
            FileKind::CloudFormation => "CloudFormation template",
        }
    }
}

/// The outcome for one file.
#[derive(Debug)]
pub enum FileOutcome {
    /// Ingested into the snapshot.
    Ingested(FileKind),
    /// Found while walking a directory and not an input nobastion reads (a `package.json`,
    /// a Kubernetes manifest): left alone.
    Skipped(String),
    Failed(IngestError),
}

/// The result of ingesting a set of paths.
pub struct Ingested {
    /// One snapshot for every file that could be read.
    pub snapshot: Snapshot,
    /// Every file considered, with its outcome, in a stable order.
    pub files: Vec<(String, FileOutcome)>,
}

impl Ingested {
    /// The files that could not be read, as the reporters show them.
    pub fn errors(&self) -> Vec<InputError> {
        self.files
            .iter()
            .filter_map(|(_, outcome)| match outcome {
                FileOutcome::Failed(e) => Some(InputError::from(e)),
                _ => None,
            })
            .collect()
    }

    pub fn ingested_count(&self) -> usize {
        self.files
            .iter()
            .filter(|(_, o)| matches!(o, FileOutcome::Ingested(_)))
            .count()
    }
}

/// Where a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// Named on the command line: it must be an input nobastion reads.
    Explicit,
    /// Found in a directory and matching `--include`: read whatever its name, skipped when
    /// it turns out to be something else.
    Included,
    /// Found in a directory without `--include`: read when its name or first character
    /// says JSON or YAML, skipped when it turns out to be something else.
    Walked,
}

impl Discovery {
    fn candidate(self, display: &str) -> bool {
        match self {
            Discovery::Explicit | Discovery::Included => true,
            Discovery::Walked => walk::candidate_name(display),
        }
    }
}

/// One file's result, filled by whichever worker thread reads it.
type Slot = Mutex<Option<(String, FileOutcome, Option<builder::Unit>)>>;

/// Ingest files and directories (recursively), in parallel, into one snapshot.
pub fn ingest_paths(paths: &[PathBuf], options: &WalkOptions) -> Result<Ingested, WalkError> {
    let found = walk::collect(paths, options)?;
    let outcomes: Vec<Slot> = found.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(found.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = found.get(i) else { break };
                    let result = match item {
                        walk::Found::File {
                            display,
                            path,
                            discovery,
                        } => {
                            let (outcome, unit) = read_and_ingest(display, path, *discovery);
                            (display.clone(), outcome, unit)
                        }
                        walk::Found::Error(e) => {
                            (e.path.clone(), FileOutcome::Failed(e.clone()), None)
                        }
                    };
                    if let Ok(mut slot) = outcomes[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    let mut files = Vec::with_capacity(found.len());
    let mut units = Vec::new();
    for slot in outcomes {
        if let Some((display, outcome, unit)) = slot.into_inner().ok().flatten() {
            if let Some(unit) = unit {
                units.push(unit);
            }
            files.push((display, outcome));
        }
    }
    Ok(Ingested {
        snapshot: assemble(units),
        files,
    })
}

fn read_and_ingest(
    display: &str,
    path: &Path,
    discovery: Discovery,
) -> (FileOutcome, Option<builder::Unit>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return (
                FileOutcome::Failed(IngestError::new(display, None, format!("cannot read: {e}"))),
                None,
            );
        }
    };
    ingest_one(display, &bytes, discovery)
}

/// Ingest one file's bytes into a snapshot of its own (for tests and tools).
pub fn ingest_bytes(display: &str, bytes: &[u8]) -> Result<(FileKind, Snapshot), IngestError> {
    match ingest_one(display, bytes, Discovery::Explicit) {
        (FileOutcome::Ingested(kind), Some(unit)) => Ok((kind, assemble(vec![unit]))),
        (FileOutcome::Failed(e), _) => Err(e),
        (FileOutcome::Skipped(reason), _) => Err(IngestError::new(display, None, reason)),
        (FileOutcome::Ingested(_), None) => Err(IngestError::new(display, None, "nothing read")),
    }
}

/// Build the snapshot: one account per file.
fn assemble(units: Vec<builder::Unit>) -> Snapshot {
    let mut regions: Vec<String> = Vec::new();
    let mut inputs = Vec::with_capacity(units.len());
    let mut accounts = Vec::with_capacity(units.len());
    for unit in units {
        inputs.push(unit.path.clone());
        let account = unit.into_account();
        for region in &account.regions {
            if !regions.contains(&region.name) {
                regions.push(region.name.clone());
            }
        }
        accounts.push(account);
    }
    Snapshot {
        schema_version: crate::model::SCHEMA_VERSION,
        metadata: Metadata {
            source: SourceKind::Iac,
            partial: true,
            description: Some(
                "built by nobastion lint from infrastructure-as-code files".to_owned(),
            ),
            tool_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            regions,
            inputs,
            ..Metadata::default()
        },
        accounts,
    }
}

/// Maps byte offsets of one file to origins.
pub(crate) struct Locator<'t> {
    pub(crate) path: &'t str,
    pub(crate) index: LineIndex<'t>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(path: &'t str, text: &'t str) -> Self {
        Locator {
            path,
            index: LineIndex::new(text),
        }
    }

    pub(crate) fn text(&self) -> &'t str {
        self.index.text()
    }

    pub(crate) fn position(&self, offset: usize) -> Position {
        self.index.position(offset)
    }

    /// The origin of the element starting at `offset`, with the resource's address.
    pub(crate) fn origin(&self, offset: usize, address: Option<&str>) -> Origin {
        let position = self.index.position(offset);
        Origin {
            path: self.path.to_owned(),
            line: position.line,
            column: position.column,
            address: address.map(str::to_owned),
        }
    }

    pub(crate) fn error(&self, offset: usize, message: impl Into<String>) -> IngestError {
        IngestError::new(self.path, Some(self.position(offset)), message)
    }
}

/// The parsed root of a file and how it was written.
enum Parsed<'a> {
    Json(Node<'a>, Vec<Skipped>),
    Yaml {
        root: Node<'a>,
        more_documents: bool,
    },
}

fn ingest_one(
    display: &str,
    bytes: &[u8],
    discovery: Discovery,
) -> (FileOutcome, Option<builder::Unit>) {
    let fail = |e: IngestError| (FileOutcome::Failed(e), None);
    let walked_skip = |reason: &str| (FileOutcome::Skipped(reason.to_owned()), None);
    let text = match source::decode(bytes) {
        Ok(text) => text,
        Err(e) if !discovery.candidate(display) => {
            return walked_skip(&e.message);
        }
        Err(e) => return fail(IngestError::new(display, e.position, e.message)),
    };
    let first = text.trim_start().chars().next();
    if first.is_none() {
        if !discovery.candidate(display) {
            return walked_skip("empty file");
        }
        return fail(IngestError::new(
            display,
            None,
            "the file is empty: expected an IAM policy, a Terraform plan or a CloudFormation template",
        ));
    }
    if !discovery.candidate(display) && first != Some('{') {
        return walked_skip("not a JSON object, and not named like a JSON or YAML file");
    }
    let locator = Locator::new(display, &text);
    let parsed = if matches!(first, Some('{' | '[')) {
        // Plans repeat resources in planned_values; the copy in resource_changes is read.
        match Parser::new().parse_skipping(&text, &["planned_values"]) {
            Ok((root, skipped)) => Parsed::Json(root, skipped),
            Err(e) => return fail(locator.error(e.offset, format!("invalid JSON: {}", e.message))),
        }
    } else {
        match yaml::parse(&text, &locator.index) {
            Ok(doc) => Parsed::Yaml {
                root: doc.root,
                more_documents: doc.more_documents,
            },
            Err(e) => {
                let position = (e.line > 0).then_some(Position {
                    line: e.line,
                    column: e.column,
                });
                return fail(IngestError::new(
                    display,
                    position,
                    format!("invalid YAML: {}", e.message),
                ));
            }
        }
    };
    let (root, is_yaml, more_documents, skipped) = match &parsed {
        Parsed::Json(root, skipped) => (root, false, false, skipped.as_slice()),
        Parsed::Yaml {
            root,
            more_documents,
        } => (root, true, *more_documents, &[][..]),
    };
    let Some(kind) = detect(root) else {
        let message = NOT_AN_INPUT;
        return match discovery {
            Discovery::Walked | Discovery::Included => walked_skip(message),
            Discovery::Explicit => fail(IngestError::new(display, None, message)),
        };
    };
    if more_documents {
        return fail(IngestError::new(
            display,
            None,
            "several YAML documents in one file: a CloudFormation template is one document",
        ));
    }
    let result = match kind {
        FileKind::PolicyDocument => iam_json::policy_file(root, &locator),
        FileKind::AuthorizationDetails => Ok(iam_json::authorization_details(root, &locator)),
        FileKind::TerraformPlan => terraform_plan::ingest(root, &locator, skipped),
        FileKind::CloudFormation => cloudformation::ingest(root, &locator, is_yaml),
    };
    match result {
        Ok(unit) => (FileOutcome::Ingested(kind), Some(unit)),
        Err(e) => fail(e),
    }
}

/// Text that holds JSON or YAML (an SSM document's content) as JSON data; structured content
/// (CloudFormation writes it as a mapping) is taken as it is.
pub(crate) fn parse_embedded(node: &Node<'_>, format: &str) -> Result<serde_json::Value, String> {
    let Some(text) = node.as_str() else {
        return Ok(node.to_json());
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || !format.eq_ignore_ascii_case("YAML") {
        return crate::json::parse(text)
            .map(|n| n.to_json())
            .map_err(|e| format!("the content is not valid JSON: {}", e.message));
    }
    let index = LineIndex::new(text);
    yaml::parse(text, &index)
        .map(|doc| doc.root.to_json())
        .map_err(|e| {
            format!(
                "the content is not valid YAML: {} (line {})",
                e.message, e.line
            )
        })
}

/// The kind of a parsed document, from its top-level keys.
fn detect(root: &Node<'_>) -> Option<FileKind> {
    let has = |key: &str| root.get(key).is_some();
    if !root.is_object() {
        return None;
    }
    if has("format_version")
        && (has("terraform_version")
            || has("planned_values")
            || has("resource_changes")
            || has("configuration")
            || has("prior_state"))
    {
        return Some(FileKind::TerraformPlan);
    }
    if has("AWSTemplateFormatVersion") || cloudformation::looks_like_template(root) {
        return Some(FileKind::CloudFormation);
    }
    if ["UserDetailList", "GroupDetailList", "RoleDetailList"]
        .iter()
        .any(|k| has(k))
        || root
            .get("Policies")
            .and_then(Node::items)
            .is_some_and(|items| items.iter().any(|p| p.get("PolicyVersionList").is_some()))
    {
        return Some(FileKind::AuthorizationDetails);
    }
    if iam_json::looks_like_policy(root) {
        return Some(FileKind::PolicyDocument);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_detected_by_content() {
        let cases = [
            (
                r#"{"Version": "2012-10-17", "Statement": []}"#,
                Some(FileKind::PolicyDocument),
            ),
            (
                r#"{"PolicyVersion": {"Document": {"Statement": []}}}"#,
                Some(FileKind::PolicyDocument),
            ),
            (
                r#"{"format_version": "1.2", "terraform_version": "1.9.5"}"#,
                Some(FileKind::TerraformPlan),
            ),
            (
                r#"{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}"#,
                Some(FileKind::CloudFormation),
            ),
            (
                r#"{"RoleDetailList": []}"#,
                Some(FileKind::AuthorizationDetails),
            ),
            (r#"{"name": "package", "version": "1.0.0"}"#, None),
            ("[1, 2]", None),
        ];
        for (text, expected) in cases {
            let root = crate::json::parse(text).unwrap();
            assert_eq!(detect(&root), expected, "{text}");
        }
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let err = ingest_bytes("bad.json", b"{\n  \"Statement\": [\n").unwrap_err();
        assert_eq!(err.path, "bad.json");
        assert!(err.message.contains("truncated"), "{err}");
        assert_eq!(err.line, Some(3));
        let err = ingest_bytes("empty.json", b"  \n").unwrap_err();
        assert!(err.message.contains("empty"), "{err}");
        let err = ingest_bytes("pkg.json", br#"{"name": "x"}"#).unwrap_err();
        assert!(err.message.contains("not an IAM policy"), "{err}");
        assert!(err.to_string().starts_with("pkg.json: "));
    }
}
