//! IAM policy files, and the policy documents embedded in plans and templates.
//!
//! Standalone files ([`policy_file`]): a bare policy document, `get-policy-version` output
//! (`{"PolicyVersion": {"Document": …}}`), `{"Policy": …}` (a document, a JSON string as
//! `get-bucket-policy` returns it, or an object with `Content` as Organizations returns an
//! SCP), and `{"PolicyDocument": …}` (`get-role-policy` and friends). The document becomes a
//! standalone [`ManagedPolicy`] in `iam.policies` of an account of its own: there is no
//! principal, and the IAM rules judge what the document itself allows.
//!
//! [`authorization_details`] reads the whole output of `aws iam
//! get-account-authorization-details`: users, groups and roles with their inline and attached
//! policies, boundaries, group membership and instance profiles, and the managed policies
//! (their default version), so the IAM rules see full principals.
//!
//! [`document_from_node`] and [`document_from_string`] are shared with the Terraform and
//! CloudFormation ingesters: they record where the document and each statement are
//! (`PolicyDocument::statement_origins`), also for a document that is JSON text inside a
//! JSON string (a Terraform `policy` attribute), by mapping offsets through the string's
//! escapes.

use serde_json::Value as Json;

use crate::model::arn::Arn;
use crate::model::{
    Group, InlinePolicy, InstanceProfile, ManagedPolicy, PolicyDocument, Role, Tags, Unknown, User,
};

use super::builder::{AttachLink, PrincipalKind, Unit, account_id_of};
use super::{IngestError, Locator};
use crate::json::{self, Node, StringMap, Value};

/// Whether a JSON object looks like a policy document or one of its wrappers.
pub(crate) fn looks_like_policy(root: &Node<'_>) -> bool {
    if root.get("Statement").is_some() {
        return true;
    }
    if root
        .get("Version")
        .and_then(Node::as_str)
        .is_some_and(|v| v == "2012-10-17" || v == "2008-10-17")
    {
        return true;
    }
    if root
        .get("PolicyVersion")
        .is_some_and(|v| v.get("Document").is_some())
    {
        return true;
    }
    if root.get("PolicyDocument").is_some() {
        return true;
    }
    match root.get("Policy") {
        Some(p) => {
            p.as_str().is_some_and(|s| s.trim_start().starts_with('{'))
                || p.get("Statement").is_some()
                || p.get("Content").is_some()
        }
        None => false,
    }
}

/// Why a document cannot be judged, and where.
pub(crate) struct DocumentProblem {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// The statements of a document node: the `Statement` array's items, or a single object.
pub(crate) fn statement_nodes<'n, 'a>(
    doc: &'n Node<'a>,
) -> Result<Vec<&'n Node<'a>>, DocumentProblem> {
    if !doc.is_object() {
        return Err(DocumentProblem {
            offset: doc.offset(),
            message: format!(
                "a policy document must be a JSON object, found {}",
                doc.type_name()
            ),
        });
    }
    let Some(statement) = doc.get("Statement") else {
        return Err(DocumentProblem {
            offset: doc.offset(),
            message: "not a valid policy document: no Statement element".to_owned(),
        });
    };
    let statements: Vec<&Node<'a>> = match &statement.value {
        Value::Object(_) => vec![statement],
        Value::Array(items) => items.iter().collect(),
        _ => {
            return Err(DocumentProblem {
                offset: statement.offset(),
                message: format!(
                    "Statement must be an object or a list of objects, found {}",
                    statement.type_name()
                ),
            });
        }
    };
    if let Some(bad) = statements.iter().find(|s| !s.is_object()) {
        return Err(DocumentProblem {
            offset: bad.offset(),
            message: format!(
                "each statement must be an object, found {}",
                bad.type_name()
            ),
        });
    }
    Ok(statements)
}

/// A document written as an object in the file.
pub(crate) fn document_from_node(
    doc: &Node<'_>,
    locator: &Locator<'_>,
    address: Option<&str>,
) -> Result<PolicyDocument, DocumentProblem> {
    let statements = statement_nodes(doc)?;
    Ok(PolicyDocument {
        document: doc.to_json(),
        origin: Some(locator.origin(doc.offset(), address)),
        statement_origins: statements
            .iter()
            .map(|s| locator.origin(s.offset(), address))
            .collect(),
    })
}

/// How the text of a string node maps back to the file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Embedding {
    /// A JSON string literal: offsets are mapped through its escapes.
    JsonString,
    /// Text whose inner positions cannot be mapped (YAML block scalars, URL-encoded text):
    /// everything points at the string itself.
    AtString,
}

/// A document written as JSON text inside a string (Terraform `policy` attributes,
/// CloudFormation `PolicyDocument: !Sub |`, URL-encoded API output).
pub(crate) fn document_from_string(
    node: &Node<'_>,
    locator: &Locator<'_>,
    address: Option<&str>,
    embedding: Embedding,
) -> Result<PolicyDocument, DocumentProblem> {
    let Some(raw) = node.as_str() else {
        return Err(DocumentProblem {
            offset: node.offset(),
            message: format!("expected a policy document, found {}", node.type_name()),
        });
    };
    let (text, embedding) = match url_decoded(raw) {
        Some(decoded) => (std::borrow::Cow::Owned(decoded), Embedding::AtString),
        None => (std::borrow::Cow::Borrowed(raw), embedding),
    };
    let map =
        (embedding == Embedding::JsonString).then(|| StringMap::new(locator.text(), node.offset()));
    let to_source = |inner: usize| {
        map.as_ref()
            .map_or(node.offset(), |m| m.source_offset(inner))
    };
    let inner = json::parse(&text).map_err(|e| DocumentProblem {
        offset: to_source(e.offset),
        message: format!("the policy is not valid JSON: {}", e.message),
    })?;
    let statements = statement_nodes(&inner).map_err(|p| DocumentProblem {
        offset: to_source(p.offset),
        message: p.message,
    })?;
    Ok(PolicyDocument {
        document: inner.to_json(),
        origin: Some(locator.origin(node.offset(), address)),
        statement_origins: statements
            .iter()
            .map(|s| locator.origin(to_source(s.offset()), address))
            .collect(),
    })
}

/// A document given as an object or as text, as APIs and tools write them.
pub(crate) fn document_any(
    node: &Node<'_>,
    locator: &Locator<'_>,
    address: Option<&str>,
    embedding: Embedding,
) -> Result<PolicyDocument, DocumentProblem> {
    match node.value {
        Value::String(_) => document_from_string(node, locator, address, embedding),
        _ => document_from_node(node, locator, address),
    }
}

/// `%7B%22Version…` as IAM APIs return documents; `None` when the text is not URL-encoded.
fn url_decoded(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with("%7B") && !trimmed.starts_with("%7b") {
        return None;
    }
    let bytes = trimmed.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = trimmed.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The file name without directories (and without `.json`), as the policy's name.
fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".JSON"))
        .unwrap_or(name);
    if stem.is_empty() {
        "policy".to_owned()
    } else {
        stem.to_owned()
    }
}

/// A standalone policy file.
pub(crate) fn policy_file(root: &Node<'_>, locator: &Locator<'_>) -> Result<Unit, IngestError> {
    let (doc, name) = unwrap_policy(root);
    let name = name.unwrap_or_else(|| file_stem(locator.path));
    let document = document_any(doc, locator, None, Embedding::JsonString)
        .map_err(|p| locator.error(p.offset, p.message))?;
    let mut unit = Unit::new(locator.path, false);
    let account = unit.account_id().to_owned();
    unit.iam.policies.push(ManagedPolicy {
        arn: format!("arn:{}:iam::{account}:policy/{name}", unit.partition()),
        name,
        path: "/".to_owned(),
        aws_managed: false,
        default_version_id: root
            .get("PolicyVersion")
            .and_then(|v| v.get("VersionId"))
            .and_then(Node::as_str)
            .map(str::to_owned),
        origin: document.origin.clone(),
        document,
        unknown: Unknown::new(),
    });
    Ok(unit)
}

/// The document node inside the known wrappers, and a name when the wrapper has one.
fn unwrap_policy<'n, 'a>(root: &'n Node<'a>) -> (&'n Node<'a>, Option<String>) {
    let name = root
        .get("PolicyName")
        .and_then(Node::as_str)
        .map(str::to_owned);
    if let Some(doc) = root.get("PolicyVersion").and_then(|v| v.get("Document")) {
        return (doc, name);
    }
    if let Some(doc) = root.get("PolicyDocument") {
        return (doc, name);
    }
    if let Some(policy) = root.get("Policy") {
        if let Some(content) = policy.get("Content") {
            let scp_name = policy
                .get("PolicySummary")
                .and_then(|s| s.get("Name"))
                .and_then(Node::as_str)
                .map(str::to_owned);
            return (content, scp_name.or(name));
        }
        if policy.get("Statement").is_some() || policy.as_str().is_some() {
            return (policy, name);
        }
    }
    (root, name)
}

fn tags(node: Option<&Node<'_>>) -> Tags {
    node.and_then(Node::items)
        .map(|items| {
            items
                .iter()
                .filter_map(|t| {
                    Some((
                        t.get("Key")?.as_str()?.to_owned(),
                        t.get("Value")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn text(node: &Node<'_>, key: &str) -> String {
    node.get(key)
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Inline policies of a GAAD principal (`UserPolicyList`, `RolePolicyList`, …).
fn inline_policies(
    node: &Node<'_>,
    key: &str,
    locator: &Locator<'_>,
    unknown: &mut Unknown,
) -> Vec<InlinePolicy> {
    let mut out = Vec::new();
    for item in node.get(key).and_then(Node::items).unwrap_or_default() {
        let name = text(item, "PolicyName");
        match item
            .get("PolicyDocument")
            .map(|d| document_any(d, locator, None, Embedding::JsonString))
        {
            Some(Ok(document)) => out.push(InlinePolicy { name, document }),
            Some(Err(problem)) => {
                unknown.insert(format!("inline_policies.{name}.document"), problem.message);
            }
            None => {
                unknown.insert(
                    format!("inline_policies.{name}.document"),
                    "the inline policy has no PolicyDocument".to_owned(),
                );
            }
        }
    }
    out
}

fn attached(node: &Node<'_>, kind: PrincipalKind, principal: &str, unit: &mut Unit) {
    for item in node
        .get("AttachedManagedPolicies")
        .and_then(Node::items)
        .unwrap_or_default()
    {
        if let Some(arn) = item.get("PolicyArn").and_then(Node::as_str) {
            unit.links.attachments.push(AttachLink {
                kind,
                principal: principal.to_owned(),
                policy: Ok(arn.to_owned()),
            });
        }
    }
}

fn boundary(node: &Node<'_>) -> Option<String> {
    node.get("PermissionsBoundary")
        .and_then(|b| b.get("PermissionsBoundaryArn"))
        .and_then(Node::as_str)
        .map(str::to_owned)
}

/// Account, partition from an ARN of the output.
fn note_arn(unit: &mut Unit, arn: &str) {
    if let Some(parsed) = Arn::parse(arn) {
        if unit.account.is_none()
            && let Some(account) = account_id_of(parsed.account)
        {
            unit.account = Some(account.to_owned());
        }
        if unit.partition.is_none() && !parsed.partition.is_empty() {
            unit.partition = Some(parsed.partition.to_owned());
        }
    }
}

fn path_of(node: &Node<'_>) -> String {
    node.get("Path")
        .and_then(Node::as_str)
        .unwrap_or("/")
        .to_owned()
}

fn list<'n, 'a>(root: &'n Node<'a>, key: &str) -> &'n [Node<'a>] {
    root.get(key).and_then(Node::items).unwrap_or_default()
}

/// `aws iam get-account-authorization-details` output.
pub(crate) fn authorization_details(root: &Node<'_>, locator: &Locator<'_>) -> Unit {
    let mut unit = Unit::new(locator.path, false);
    for item in list(root, "UserDetailList") {
        details_user(item, locator, &mut unit);
    }
    for item in list(root, "GroupDetailList") {
        let mut unknown = Unknown::new();
        let group = Group {
            name: text(item, "GroupName"),
            arn: text(item, "Arn"),
            id: text(item, "GroupId"),
            path: path_of(item),
            inline_policies: inline_policies(item, "GroupPolicyList", locator, &mut unknown),
            attached_policies: Vec::new(),
            origin: Some(locator.origin(item.offset(), None)),
            unknown,
        };
        note_arn(&mut unit, &group.arn);
        attached(item, PrincipalKind::Group, &group.arn, &mut unit);
        unit.iam.groups.push(group);
    }
    for item in list(root, "RoleDetailList") {
        details_role(item, locator, &mut unit);
    }
    for item in list(root, "Policies") {
        details_policy(item, locator, &mut unit);
    }
    if root.get("IsTruncated").and_then(Node::as_flag) == Some(true) {
        // A truncated page misses principals and policies: what refers to them is unknown
        // (the builder marks attachments to policies not in the file as such).
        for user in &mut unit.iam.users {
            user.unknown.insert(
                "groups".to_owned(),
                "the authorization details are truncated (IsTruncated): groups may be missing"
                    .to_owned(),
            );
        }
    }
    unit
}

fn details_user(item: &Node<'_>, locator: &Locator<'_>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let user = User {
        name: text(item, "UserName"),
        arn: text(item, "Arn"),
        id: text(item, "UserId"),
        path: path_of(item),
        groups: list(item, "GroupList")
            .iter()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect(),
        inline_policies: inline_policies(item, "UserPolicyList", locator, &mut unknown),
        attached_policies: Vec::new(),
        permissions_boundary: boundary(item),
        tags: tags(item.get("Tags")),
        origin: Some(locator.origin(item.offset(), None)),
        unknown,
    };
    note_arn(unit, &user.arn);
    attached(item, PrincipalKind::User, &user.arn, unit);
    unit.iam.users.push(user);
}

fn details_role(item: &Node<'_>, locator: &Locator<'_>, unit: &mut Unit) {
    let mut unknown = Unknown::new();
    let trust_policy = match item
        .get("AssumeRolePolicyDocument")
        .map(|d| document_any(d, locator, None, Embedding::JsonString))
    {
        Some(Ok(doc)) => Some(doc),
        Some(Err(problem)) => {
            unknown.insert("trust_policy".to_owned(), problem.message);
            None
        }
        None => None,
    };
    let profiles = list(item, "InstanceProfileList");
    let role = Role {
        name: text(item, "RoleName"),
        arn: text(item, "Arn"),
        id: text(item, "RoleId"),
        path: path_of(item),
        trust_policy,
        inline_policies: inline_policies(item, "RolePolicyList", locator, &mut unknown),
        attached_policies: Vec::new(),
        permissions_boundary: boundary(item),
        instance_profiles: profiles
            .iter()
            .map(|p| text(p, "InstanceProfileName"))
            .collect(),
        tags: tags(item.get("Tags")),
        origin: Some(locator.origin(item.offset(), None)),
        unknown,
    };
    for profile in profiles {
        let arn = text(profile, "Arn");
        if unit.iam.instance_profiles.iter().any(|p| p.arn == arn) {
            continue;
        }
        unit.iam.instance_profiles.push(InstanceProfile {
            name: text(profile, "InstanceProfileName"),
            arn,
            path: path_of(profile),
            roles: list(profile, "Roles")
                .iter()
                .map(|r| text(r, "RoleName"))
                .collect(),
            origin: Some(locator.origin(profile.offset(), None)),
            unknown: Unknown::new(),
        });
    }
    note_arn(unit, &role.arn);
    attached(item, PrincipalKind::Role, &role.arn, unit);
    unit.iam.roles.push(role);
}

fn details_policy(item: &Node<'_>, locator: &Locator<'_>, unit: &mut Unit) {
    let arn = text(item, "Arn");
    let default_version = item
        .get("DefaultVersionId")
        .and_then(Node::as_str)
        .map(str::to_owned);
    let versions = list(item, "PolicyVersionList");
    let default = versions
        .iter()
        .find(|v| v.get("IsDefaultVersion").and_then(Node::as_flag) == Some(true))
        .or_else(|| {
            versions
                .iter()
                .find(|v| v.get("VersionId").and_then(Node::as_str) == default_version.as_deref())
        });
    let mut unknown = Unknown::new();
    let document = if let Some(doc) = default.and_then(|v| v.get("Document")) {
        document_any(doc, locator, None, Embedding::JsonString).unwrap_or_else(|problem| {
            unknown.insert("document".to_owned(), problem.message);
            PolicyDocument::new(Json::Null)
        })
    } else {
        unknown.insert(
            "document".to_owned(),
            "the default policy version is not in the output".to_owned(),
        );
        PolicyDocument::new(Json::Null)
    };
    note_arn(unit, &arn);
    unit.iam.policies.push(ManagedPolicy {
        aws_managed: Arn::parse(&arn).is_some_and(|a| a.account == "aws"),
        name: text(item, "PolicyName"),
        path: path_of(item),
        arn,
        default_version_id: default_version,
        document,
        origin: Some(locator.origin(item.offset(), None)),
        unknown,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;

    fn policies(snapshot: &crate::model::Snapshot) -> &[ManagedPolicy] {
        &snapshot.accounts[0].iam.as_option().unwrap().policies
    }

    #[test]
    fn bare_and_wrapped_documents_keep_statement_positions() {
        let bare = b"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"ssm:StartSession\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\"}\n  ]\n}\n";
        let (kind, snapshot) = ingest_bytes("dir/sessions.json", bare).unwrap();
        assert_eq!(kind, super::super::FileKind::PolicyDocument);
        let p = &policies(&snapshot)[0];
        assert_eq!(p.name, "sessions");
        let lines: Vec<u32> = p
            .document
            .statement_origins
            .iter()
            .map(|o| o.line)
            .collect();
        assert_eq!(lines, [4, 5]);
        assert_eq!(p.document.statement_origins[0].column, 5);
        assert!(snapshot.accounts[0].regions.is_empty());

        let wrapped = br#"{"PolicyVersion": {"VersionId": "v3", "Document": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}}"#;
        let (_, snapshot) = ingest_bytes("AdminLike", wrapped).unwrap();
        let p = &policies(&snapshot)[0];
        assert_eq!(p.default_version_id.as_deref(), Some("v3"));
        assert_eq!(p.document.statement_origins.len(), 1);
        assert_eq!(p.name, "AdminLike");
    }

    #[test]
    fn bucket_policy_string_and_url_encoded_documents() {
        let text = br#"{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}"#;
        let (_, snapshot) = ingest_bytes("bucket-policy.json", text).unwrap();
        let p = &policies(&snapshot)[0];
        let col = p.document.statement_origins[0].column as usize;
        // Column points at the statement's `{` inside the string.
        assert_eq!(&std::str::from_utf8(text).unwrap()[col - 1..col], "{");

        let encoded = br#"{"PolicyDocument": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ssm%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D", "PolicyName": "inline-ssm", "RoleName": "r"}"#;
        let (_, snapshot) = ingest_bytes("role-policy.json", encoded).unwrap();
        let p = &policies(&snapshot)[0];
        assert_eq!(p.name, "inline-ssm");
        assert_eq!(p.document.document["Statement"][0]["Action"], "ssm:*");
    }

    #[test]
    fn invalid_documents_are_errors_with_position() {
        let err = ingest_bytes("p.json", b"{\"Version\": \"2012-10-17\"}").unwrap_err();
        assert!(err.message.contains("no Statement"), "{err}");
        let err = ingest_bytes("p.json", b"{\"Statement\": [\n  \"Allow\"\n]}").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("must be an object"), "{err}");
    }

    #[test]
    fn authorization_details_become_full_principals() {
        let text = br#"{
  "UserDetailList": [{"UserName": "alice", "Arn": "arn:aws:iam::111122223333:user/alice", "Path": "/",
    "GroupList": ["ops"],
    "UserPolicyList": [{"PolicyName": "sessions", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"}]}}],
    "AttachedManagedPolicies": [{"PolicyName": "AmazonSSMFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSSMFullAccess"}]}],
  "GroupDetailList": [{"GroupName": "ops", "Arn": "arn:aws:iam::111122223333:group/ops", "GroupPolicyList": [],
    "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111122223333:policy/ops"}]}],
  "RoleDetailList": [{"RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/app",
    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "InstanceProfileList": [{"InstanceProfileName": "app", "Arn": "arn:aws:iam::111122223333:instance-profile/app", "Roles": [{"RoleName": "app"}]}],
    "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]}],
  "Policies": [{"PolicyName": "ops", "Arn": "arn:aws:iam::111122223333:policy/ops", "DefaultVersionId": "v2",
    "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Statement": []}},
                          {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Statement": [{"Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": "*"}]}}]}]
}"#;
        let (kind, snapshot) = ingest_bytes("gaad.json", text).unwrap();
        assert_eq!(kind, super::super::FileKind::AuthorizationDetails);
        let account = &snapshot.accounts[0];
        assert_eq!(account.id, "111122223333");
        let iam = account.iam.as_option().unwrap();
        let alice = &iam.users[0];
        assert_eq!(alice.groups, ["ops"]);
        assert_eq!(
            alice.inline_policies[0].document.statement_origins[0].line,
            4
        );
        assert_eq!(
            alice.attached_policies,
            ["arn:aws:iam::aws:policy/AmazonSSMFullAccess"]
        );
        assert!(
            iam.policy("arn:aws:iam::aws:policy/AmazonSSMFullAccess")
                .is_some(),
            "bundled"
        );
        assert_eq!(
            iam.groups[0].attached_policies,
            ["arn:aws:iam::111122223333:policy/ops"]
        );
        let ops = iam.policy("arn:aws:iam::111122223333:policy/ops").unwrap();
        assert_eq!(
            ops.document.document["Statement"][0]["Action"],
            "ec2-instance-connect:SendSSHPublicKey",
            "the default version"
        );
        let app = &iam.roles[0];
        assert!(app.trust_policy.is_some());
        assert_eq!(app.instance_profiles, ["app"]);
        assert!(app.unknown["attached_policies"].contains("AmazonS3ReadOnlyAccess"));
        assert_eq!(iam.instance_profiles[0].roles, ["app"]);
    }
}
