//! What the IAM rules (IAM001–IAM009) judge and how their answers become findings.
//!
//! **Subjects.** Every IAM user and role of each collected account is judged with all its
//! policies: inline, attached, every group's (users), the permission boundary and the SCP
//! levels (`policy::AccountPolicies`). Groups are not principals: their policies reach users
//! through membership. In partial snapshots (built from IaC files, where membership may be
//! defined elsewhere) two more kinds of subject are judged, so that nothing in the input goes
//! unjudged: a group no user of the input belongs to (judged for what its policies give its
//! members) and a standalone policy document (an `iam.policies` entry that no user, group or
//! role of the input attaches or uses as a boundary: judged for what the document allows,
//! with `QueryEnv::lone_document()`).
//!
//! **Shared work.** [`IamView`] is built once per run (cached on the rules' `Context`):
//! managed policies and SCPs are parsed once per account, each subject's policy set once, and
//! each engine question at most once per subject, however many rules ask it.
//!
//! **Verdicts** (the engine's `Answer`): `Yes` fails; `Conditional` (allowed if conditions
//! the scanner cannot know hold: source IP, time, `CalledVia`, principal tags …) fails at the
//! rule's severity with the conditions in the message; `No` passes; `Indeterminate` is not
//! assessed with the engine's reason.
//!
//! **What could not be read** changes that, per direction:
//! - *missing limits* (an unknown or unreadable permission boundary, an SCP that does not
//!   parse) can only take permissions away: a pass stays a pass, a fail becomes not assessed;
//! - *missing grants* (an attached policy, inline policy, group or group list that is
//!   unknown, not in the snapshot or unparseable; a policy whose attachments are unknown)
//!   can only add Allow statements (or Deny statements that would narrow a grant found
//!   elsewhere): a fail stays a fail, naming what was not read, and a pass becomes not
//!   assessed;
//! - an organization that could not be read (common for member accounts) is evaluated without
//!   SCPs: SCPs only restrict, so this may over-report but never hides a risk, and every
//!   failure says "SCPs not collected: an SCP may restrict this".
//!
//! Service-linked roles are reported at `info` at most. Findings name the subject, the
//! deciding policy and statement (with the engine's reason) and point at the statement's
//! position in the input file when there is one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Value, json};

use super::session::session_type;
use crate::finding::{ResourceRef, Severity};
use crate::ingest::PLACEHOLDER_ACCOUNT;
use crate::model::{
    Account, DocumentOwner, Gap, Group, Iam, ManagedPolicy, Origin, PolicyDocument, Role, Section,
    User, unknown_reason,
};
use crate::policy::queries::{
    self, ActionDetails, Answer, DocumentDetails, MfaDetails, QueryEnv, Scope, SendCommandDetails,
    SessionEndingDetails, TagScopingDetails, Verdict,
};
use crate::policy::{
    AccountPolicies, Layer, Policy, PolicySet, Principal, SetProblem, StatementRef,
};
use crate::rules::{Context, Emitter, gap_reason};

/// Ranks verdicts from the least to the most permissive.
pub(crate) fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::No => 0,
        Verdict::Indeterminate => 1,
        Verdict::Conditional => 2,
        Verdict::Yes => 3,
    }
}

/// The IAM subjects of every collected account, with their policy sets and lazily computed
/// answers. Built once per run (`Context::iam`).
pub(crate) struct IamView<'a> {
    pub(crate) accounts: Vec<AccountIam<'a>>,
}

/// One account's subjects, or why its IAM section could not be read.
pub(crate) struct AccountIam<'a> {
    pub(crate) account: &'a Account,
    pub(crate) iam: Result<&'a Iam, &'a Gap>,
    pub(crate) subjects: Vec<Subject<'a>>,
    /// Role name → index in `subjects`.
    roles: HashMap<&'a str, usize>,
}

/// What is judged.
#[derive(Clone, Copy)]
pub(crate) enum SubjectKind<'a> {
    User(&'a User),
    Role(&'a Role),
    /// Partial snapshots: a group no user of the input belongs to.
    Group(&'a Group),
    /// Partial snapshots: a policy document attached to nothing in the input.
    Document(&'a ManagedPolicy),
}

/// One judged principal (or group, or document) with its policy set.
pub(crate) struct Subject<'a> {
    pub(crate) kind: SubjectKind<'a>,
    account: &'a Account,
    iam: &'a Iam,
    set: PolicySet,
    env: QueryEnv,
    /// Policies that could add permissions but could not be read.
    missing_grants: Vec<String>,
    /// Policies that could take permissions away but could not be read.
    missing_limits: Vec<String>,
    /// The subject cannot be evaluated at all (a document whose text is unknown).
    unreadable: Option<String>,
    /// The organization could not be read: evaluated without SCPs.
    scps_unknown: bool,
    answers: Answers,
}

#[derive(Default)]
struct Answers {
    tag_scoping: OnceLock<Answer<TagScopingDetails>>,
    end_others: OnceLock<Answer<SessionEndingDetails>>,
    documents: OnceLock<Answer<DocumentDetails>>,
    send_command: OnceLock<Answer<SendCommandDetails>>,
    instance_connect: OnceLock<Answer<ActionDetails>>,
    tamper: OnceLock<Answer<ActionDetails>>,
    mfa: OnceLock<Answer<MfaDetails>>,
}

impl<'a> IamView<'a> {
    pub(crate) fn build(ctx: &Context<'a>) -> Self {
        IamView {
            accounts: ctx
                .accounts()
                .map(|account| AccountIam::build(ctx, account))
                .collect(),
        }
    }
}

/// Names of the account's own session documents of session type `Port`: custom
/// port-forwarding documents, judged by IAM003 like AWS's.
fn port_documents(account: &Account) -> Vec<String> {
    let mut names: Vec<String> = account
        .regions
        .iter()
        .filter_map(|r| r.ssm_documents.as_option())
        .flatten()
        .filter(|d| {
            d.owner == DocumentOwner::Account
                && d.document_type.eq_ignore_ascii_case("Session")
                && session_type(d).is_some_and(|t| t.eq_ignore_ascii_case("Port"))
        })
        .map(|d| d.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The environment of a principal's synthetic requests: its account and partition, any
/// region. IaC inputs that name no account carry the placeholder account, which is no real
/// account: any account is tried then (the accounts the policies name included).
fn principal_env(partial: bool, account: &Account, custom: &[String]) -> QueryEnv {
    let mut env =
        QueryEnv::account(&account.partition, &account.id).with_custom_documents(custom.to_vec());
    if partial && account.id == PLACEHOLDER_ACCOUNT {
        env.account = Scope::Any;
    }
    env
}

/// Policies whose attachments of one kind are unknown (`attached_to.roles` …): they may be
/// attached to any principal of that kind.
struct MaybeAttached {
    users: Vec<String>,
    groups: Vec<String>,
    roles: Vec<String>,
}

impl MaybeAttached {
    fn of(iam: &Iam) -> Self {
        let mut out = MaybeAttached {
            users: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
        };
        for p in &iam.policies {
            for (field, reason) in &p.unknown {
                let list = match field.as_str() {
                    "attached_to.users" => &mut out.users,
                    "attached_to.groups" => &mut out.groups,
                    "attached_to.roles" => &mut out.roles,
                    _ => continue,
                };
                list.push(format!(
                    "policy {} may be attached to it (its attachments are unknown: {reason})",
                    p.name
                ));
            }
        }
        out
    }
}

impl<'a> AccountIam<'a> {
    fn build(ctx: &Context<'a>, account: &'a Account) -> Self {
        let iam = match &account.iam {
            Section::Collected(iam) => iam,
            Section::NotCollected(gap) => {
                return AccountIam {
                    account,
                    iam: Err(gap),
                    subjects: Vec::new(),
                    roles: HashMap::new(),
                };
            }
        };
        let builder = Builder::new(ctx, account, iam);
        let mut subjects = Vec::with_capacity(iam.users.len() + iam.roles.len());
        subjects.extend(iam.users.iter().map(|u| builder.user(u)));
        let mut roles = HashMap::with_capacity(iam.roles.len());
        for role in &iam.roles {
            roles.insert(role.name.as_str(), subjects.len());
            subjects.push(builder.role(role));
        }
        if ctx.is_partial() {
            builder.partial_subjects(&mut subjects);
        }
        AccountIam {
            account,
            iam: Ok(iam),
            subjects,
            roles,
        }
    }

    /// The subject of a role, by name.
    pub(crate) fn role(&self, name: &str) -> Option<&Subject<'a>> {
        self.roles.get(name).and_then(|&i| self.subjects.get(i))
    }
}

/// What building the subjects of one account shares.
struct Builder<'a> {
    account: &'a Account,
    iam: &'a Iam,
    env: QueryEnv,
    custom: Vec<String>,
    policies: AccountPolicies<'a>,
    scps_unknown: bool,
    scp_names: HashSet<&'a str>,
    maybe: MaybeAttached,
}

impl<'a> Builder<'a> {
    fn new(ctx: &Context<'a>, account: &'a Account, iam: &'a Iam) -> Self {
        let custom = port_documents(account);
        Builder {
            account,
            iam,
            env: principal_env(ctx.is_partial(), account, &custom),
            custom,
            policies: AccountPolicies::new(&account.id, iam, &account.organization),
            scps_unknown: matches!(account.organization, Section::NotCollected(_)),
            scp_names: match &account.organization {
                Section::Collected(Some(org)) => org
                    .scp_levels
                    .iter()
                    .flat_map(|l| l.policies.iter().map(|p| p.name.as_str()))
                    .collect(),
                _ => HashSet::new(),
            },
            maybe: MaybeAttached::of(iam),
        }
    }

    fn subject(&self, kind: SubjectKind<'a>, set: PolicySet) -> Subject<'a> {
        Subject {
            kind,
            account: self.account,
            iam: self.iam,
            set,
            env: self.env.clone(),
            missing_grants: Vec::new(),
            missing_limits: Vec::new(),
            unreadable: None,
            scps_unknown: self.scps_unknown,
            answers: Answers::default(),
        }
    }

    fn user(&self, user: &'a User) -> Subject<'a> {
        let built = self.policies.user(user);
        let mut s = self.subject(SubjectKind::User(user), built.set);
        s.env = user_env(&self.env, user);
        let mut markers = vec![(format!("IAM user {}", user.name), &user.unknown)];
        markers.extend(
            user.groups
                .iter()
                .filter_map(|g| self.iam.group(g))
                .map(|g| (format!("IAM group {}", g.name), &g.unknown)),
        );
        s.record_markers(&markers);
        s.record_problems(
            built.problems,
            user.permissions_boundary.as_deref(),
            &self.scp_names,
        );
        s.missing_grants.extend(self.maybe.users.iter().cloned());
        if !user.groups.is_empty() {
            s.missing_grants.extend(self.maybe.groups.iter().cloned());
        }
        s.dedup();
        s
    }

    fn role(&self, role: &'a Role) -> Subject<'a> {
        let built = self.policies.role(role);
        let mut s = self.subject(SubjectKind::Role(role), built.set);
        s.record_markers(&[(format!("IAM role {}", role.name), &role.unknown)]);
        s.record_problems(
            built.problems,
            role.permissions_boundary.as_deref(),
            &self.scp_names,
        );
        s.missing_grants.extend(self.maybe.roles.iter().cloned());
        s.dedup();
        s
    }

    /// Partial snapshots: groups without members in the input, and standalone documents.
    fn partial_subjects(&self, subjects: &mut Vec<Subject<'a>>) {
        let iam = self.iam;
        let members: HashSet<&str> = iam
            .users
            .iter()
            .flat_map(|u| u.groups.iter().map(String::as_str))
            .collect();
        for group in iam
            .groups
            .iter()
            .filter(|g| !members.contains(g.name.as_str()))
        {
            subjects.push(self.group(group));
        }
        let used: HashSet<&str> = iam
            .users
            .iter()
            .flat_map(|u| {
                u.attached_policies
                    .iter()
                    .chain(u.permissions_boundary.iter())
            })
            .chain(iam.groups.iter().flat_map(|g| g.attached_policies.iter()))
            .chain(iam.roles.iter().flat_map(|r| {
                r.attached_policies
                    .iter()
                    .chain(r.permissions_boundary.iter())
            }))
            .map(String::as_str)
            .collect();
        let lone_env = QueryEnv::lone_document().with_custom_documents(self.custom.clone());
        for policy in iam
            .policies
            .iter()
            .filter(|p| !used.contains(p.arn.as_str()))
        {
            let mut s = self.subject(
                SubjectKind::Document(policy),
                PolicySet::new(Principal::unknown()),
            );
            s.env = lone_env.clone();
            s.scps_unknown = false;
            if let Some(reason) = unknown_reason(&policy.unknown, "document") {
                s.unreadable = Some(format!("the document is unknown: {reason}"));
            } else {
                match Policy::from_document(&policy.document, &policy.name) {
                    Ok(p) => s.set = PolicySet::single(p),
                    Err(error) => {
                        s.unreadable = Some(format!("the document does not parse: {error}"));
                    }
                }
            }
            subjects.push(s);
        }
    }

    /// A group judged for its members: the engine assembles a user's set from its groups,
    /// so a stand-in user that belongs to this group alone gives the group's set, with no
    /// principal.
    fn group(&self, group: &'a Group) -> Subject<'a> {
        let stand_in = User {
            name: String::new(),
            arn: String::new(),
            groups: vec![group.name.clone()],
            ..User::default()
        };
        let built = self.policies.user(&stand_in);
        let mut s = self.subject(SubjectKind::Group(group), built.set);
        s.record_markers(&[(format!("IAM group {}", group.name), &group.unknown)]);
        s.record_problems(built.problems, None, &self.scp_names);
        s.missing_grants.extend(self.maybe.groups.iter().cloned());
        s.dedup();
        s
    }
}

/// A user's environment: an IAM user's principal tags (`aws:PrincipalTag/K`) are exactly
/// its tags, facts the scanner knows (a tag it does not carry is absent, so an ABAC grant on
/// `${aws:PrincipalTag/team}` gives a user without `team` nothing). Roles get no such facts:
/// their sessions may carry session tags that override the role's.
fn user_env(env: &QueryEnv, user: &User) -> QueryEnv {
    if unknown_reason(&user.unknown, "tags").is_some() {
        return env.clone();
    }
    let mut env = env.clone();
    for (key, value) in &user.tags {
        env.context
            .insert(&format!("aws:PrincipalTag/{key}"), value.as_str());
    }
    env.context.set_absent_prefix("aws:principaltag/");
    env
}

impl<'a> Subject<'a> {
    /// Unknown IaC inputs of the subject (and of the groups whose policies it gets).
    fn record_markers(&mut self, owners: &[(String, &crate::model::Unknown)]) {
        for (owner, unknown) in owners {
            for (field, reason) in *unknown {
                let grants = field == "attached_policies"
                    || field == "groups"
                    || field == "inline_policies"
                    || field.starts_with("inline_policies.");
                if grants {
                    self.missing_grants
                        .push(format!("`{field}` of {owner} is unknown: {reason}"));
                } else if field == "permissions_boundary" {
                    self.missing_limits.push(format!(
                        "the permissions boundary of {owner} is unknown: {reason}"
                    ));
                }
            }
        }
    }

    /// What the engine could not put into the set. Problems already explained by an unknown
    /// input (IaC) are not repeated.
    fn record_problems(
        &mut self,
        problems: Vec<SetProblem>,
        boundary: Option<&str>,
        scp_names: &HashSet<&str>,
    ) {
        let marked_grants = !self.missing_grants.is_empty();
        let marked_limits = !self.missing_limits.is_empty();
        for problem in problems {
            match problem {
                SetProblem::OrganizationUnknown => {}
                SetProblem::MissingPolicy { arn } if Some(arn.as_str()) == boundary => {
                    if !marked_limits {
                        self.missing_limits.push(format!(
                            "the permissions boundary {arn} is not in the snapshot"
                        ));
                    }
                }
                SetProblem::MissingPolicy { arn } => {
                    if !marked_grants {
                        self.missing_grants
                            .push(format!("the attached policy {arn} is not in the snapshot"));
                    }
                }
                SetProblem::MissingGroup { name } => {
                    self.missing_grants
                        .push(format!("the group {name} is not in the snapshot"));
                }
                SetProblem::Unparseable { policy, error } => {
                    let why = self
                        .iam
                        .policy(&policy)
                        .and_then(|p| unknown_reason(&p.unknown, "document"))
                        .map_or_else(
                            || format!("does not parse: {error}"),
                            |r| format!("is unknown: {r}"),
                        );
                    if Some(policy.as_str()) == boundary {
                        self.missing_limits
                            .push(format!("the permissions boundary {policy} {why}"));
                    } else if scp_names.contains(policy.as_str()) {
                        self.missing_limits.push(format!("the SCP {policy} {why}"));
                    } else if !(marked_grants && policy.contains("(inline, ")) {
                        self.missing_grants
                            .push(format!("the policy {policy} {why}"));
                    }
                }
            }
        }
    }

    fn dedup(&mut self) {
        for list in [&mut self.missing_grants, &mut self.missing_limits] {
            let mut seen = HashSet::new();
            list.retain(|r| seen.insert(r.clone()));
        }
    }

    pub(crate) fn set(&self) -> &PolicySet {
        &self.set
    }

    pub(crate) fn tag_scoping(&self) -> &Answer<TagScopingDetails> {
        self.answers
            .tag_scoping
            .get_or_init(|| queries::start_session_tag_scoping(&self.set, &self.env))
    }

    pub(crate) fn end_others_sessions(&self) -> &Answer<SessionEndingDetails> {
        self.answers
            .end_others
            .get_or_init(|| queries::end_others_sessions(&self.set, &self.env))
    }

    pub(crate) fn session_documents(&self) -> &Answer<DocumentDetails> {
        self.answers
            .documents
            .get_or_init(|| queries::session_documents(&self.set, &self.env))
    }

    pub(crate) fn send_command_shell(&self) -> &Answer<SendCommandDetails> {
        self.answers
            .send_command
            .get_or_init(|| queries::send_command_shell(&self.set, &self.env))
    }

    pub(crate) fn instance_connect(&self) -> &Answer<ActionDetails> {
        self.answers
            .instance_connect
            .get_or_init(|| queries::instance_connect(&self.set, &self.env))
    }

    pub(crate) fn preferences_tamper(&self) -> &Answer<ActionDetails> {
        self.answers
            .tamper
            .get_or_init(|| queries::preferences_tamper(&self.set, &self.env))
    }

    pub(crate) fn start_session_without_mfa(&self) -> &Answer<MfaDetails> {
        self.answers
            .mfa
            .get_or_init(|| queries::start_session_without_mfa(&self.set, &self.env))
    }

    pub(crate) fn is_document(&self) -> bool {
        matches!(self.kind, SubjectKind::Document(_))
    }

    pub(crate) fn account(&self) -> &'a Account {
        self.account
    }

    fn name(&self) -> &'a str {
        match self.kind {
            SubjectKind::User(u) => &u.name,
            SubjectKind::Role(r) => &r.name,
            SubjectKind::Group(g) => &g.name,
            SubjectKind::Document(p) => &p.name,
        }
    }

    fn arn(&self) -> &'a str {
        match self.kind {
            SubjectKind::User(u) => &u.arn,
            SubjectKind::Role(r) => &r.arn,
            SubjectKind::Group(g) => &g.arn,
            SubjectKind::Document(p) => &p.arn,
        }
    }

    pub(crate) fn origin(&self) -> Option<&'a Origin> {
        match self.kind {
            SubjectKind::User(u) => u.origin.as_ref(),
            SubjectKind::Role(r) => r.origin.as_ref(),
            SubjectKind::Group(g) => g.origin.as_ref(),
            SubjectKind::Document(p) => p.origin.as_ref().or(p.document.origin.as_ref()),
        }
    }

    fn is_service_linked(&self) -> bool {
        matches!(self.kind, SubjectKind::Role(r) if r.is_service_linked())
    }

    /// The finding's resource: the principal (or group, or policy) by name, with its ARN
    /// when ids are real and its IaC address.
    pub(crate) fn resource(&self, ctx: &Context<'_>) -> ResourceRef {
        let kind = match self.kind {
            SubjectKind::User(_) => "iam-user",
            SubjectKind::Role(_) => "iam-role",
            SubjectKind::Group(_) => "iam-group",
            SubjectKind::Document(_) => "iam-policy",
        };
        let mut resource = ResourceRef::new(kind, self.name()).in_account(self.account.id.clone());
        if ctx.arns_are_real() && self.arn().starts_with("arn:") {
            resource = resource.with_arn(self.arn());
        }
        resource.with_address(self.origin().and_then(|o| o.address.clone()))
    }

    /// `IAM user arn:aws:iam::…:user/alice`, `Members of IAM group ops`, `Policy sessions`.
    pub(crate) fn who(&self) -> String {
        let arn = self.arn();
        let named = if arn.starts_with("arn:") {
            arn
        } else {
            self.name()
        };
        match self.kind {
            SubjectKind::User(_) => format!("IAM user {named}"),
            SubjectKind::Role(r) if r.is_service_linked() => {
                format!("Service-linked role {named}")
            }
            SubjectKind::Role(r) => match permission_set(r) {
                Some(set) => {
                    format!("IAM Identity Center role {named} (permission set {set})")
                }
                None => format!("IAM role {named}"),
            },
            SubjectKind::Group(_) => format!("Members of IAM group {named}"),
            SubjectKind::Document(_) => format!("Policy {}", self.name()),
        }
    }

    /// Whether a glob of an allowlist names the subject (its ARN or IaC address). Documents
    /// have no principal and are never exempt.
    fn exempt_by<'g>(&self, allowlist: &'g Allowlist) -> Option<&'g str> {
        if self.is_document() {
            return None;
        }
        let candidates = [
            Some(self.arn()),
            self.origin().and_then(|o| o.address.as_deref()),
        ];
        candidates
            .into_iter()
            .flatten()
            .filter(|c| !c.is_empty())
            .find_map(|c| allowlist.matching(c))
    }

    /// The document and description of a policy the engine names by `label`.
    fn policy_info(&self, label: &str) -> Option<(&'a PolicyDocument, String)> {
        // The engine labels inline policies "NAME (inline, OWNER)".
        let inline = |policies: &'a [crate::model::InlinePolicy], owner: &str, kind: &str| {
            policies
                .iter()
                .find(|p| {
                    label
                        .strip_prefix(p.name.as_str())
                        .and_then(|rest| rest.strip_prefix(" (inline, "))
                        .and_then(|rest| rest.strip_suffix(')'))
                        == Some(owner)
                })
                .map(|p| (&p.document, format!("inline policy of {kind}")))
        };
        let managed = |arns: &[String], kind: &str| {
            arns.iter().find_map(|arn| {
                self.iam
                    .policy(arn)
                    .filter(|p| p.name == label)
                    .map(|p| (&p.document, format!("managed policy attached to {kind}")))
            })
        };
        let groups = |names: &[String]| {
            names
                .iter()
                .filter_map(|n| self.iam.group(n))
                .find_map(|g| {
                    let kind = format!("IAM group {}", g.name);
                    inline(&g.inline_policies, &format!("group {}", g.name), &kind)
                        .or_else(|| managed(&g.attached_policies, &kind))
                })
        };
        let boundary = |arn: Option<&String>| {
            arn.and_then(|a| self.iam.policy(a))
                .filter(|p| p.name == label)
                .map(|p| (&p.document, "permissions boundary".to_owned()))
        };
        let found = match self.kind {
            SubjectKind::User(u) => {
                let kind = format!("IAM user {}", u.name);
                inline(&u.inline_policies, &format!("user {}", u.name), &kind)
                    .or_else(|| managed(&u.attached_policies, &kind))
                    .or_else(|| groups(&u.groups))
                    .or_else(|| boundary(u.permissions_boundary.as_ref()))
            }
            SubjectKind::Role(r) => {
                let kind = format!("IAM role {}", r.name);
                inline(&r.inline_policies, &format!("role {}", r.name), &kind)
                    .or_else(|| managed(&r.attached_policies, &kind))
                    .or_else(|| boundary(r.permissions_boundary.as_ref()))
            }
            SubjectKind::Group(g) => groups(std::slice::from_ref(&g.name)),
            SubjectKind::Document(p) => {
                (p.name == label).then(|| (&p.document, "policy document".to_owned()))
            }
        };
        found.or_else(|| self.scp(label))
    }

    fn scp(&self, label: &str) -> Option<(&'a PolicyDocument, String)> {
        let Section::Collected(Some(org)) = &self.account.organization else {
            return None;
        };
        org.scp_levels.iter().find_map(|level| {
            level.policies.iter().find(|p| p.name == label).map(|p| {
                let at = level.target_name.as_deref().unwrap_or(&level.target_id);
                (&p.document, format!("SCP attached to {at}"))
            })
        })
    }

    /// Statement `index` of a stored document (`Statement` may be a single object).
    fn statement_json(document: &PolicyDocument, index: usize) -> Option<&Value> {
        match document.document.get("Statement")? {
            Value::Array(items) => items.get(index),
            single @ Value::Object(_) if index == 0 => Some(single),
            _ => None,
        }
    }

    /// The details, evidence and location of the statements that decided, and what the
    /// engine's labels do not say about their policies ("sessions: managed policy attached
    /// to IAM group ops"; inline policies name their owner in the label already).
    fn explain(&self, statements: &[StatementRef]) -> Explained<'a> {
        let mut seen = HashSet::new();
        let mut notes: Vec<String> = Vec::new();
        let mut listed = Vec::new();
        let mut evidence = Vec::new();
        let mut location = None;
        for s in statements {
            if !seen.insert((s.policy.clone(), s.layer, s.index)) {
                continue;
            }
            let info = self.policy_info(&s.policy);
            let origin = info
                .as_ref()
                .and_then(|(doc, _)| doc.statement_origins.get(s.index))
                .filter(|o| o.line > 0);
            if location.is_none() {
                location = origin;
            }
            let mut entry = json!({
                "policy": &*s.policy,
                "layer": layer_name(s.layer),
                "sid": s.sid.as_deref(),
                "index": s.index,
                "number": s.index + 1,
                "effect": s.effect,
            });
            if let Some((_, kind)) = &info {
                entry["policy_type"] = json!(kind);
                let note = format!("{}: {kind}", s.policy);
                if !kind.starts_with("inline")
                    && kind != "policy document"
                    && !notes.contains(&note)
                {
                    notes.push(note);
                }
            }
            if let Some(o) = origin {
                entry["position"] = json!({ "path": o.path, "line": o.line, "column": o.column });
            } else if let Some(p) = s.position {
                entry["position"] = json!({ "line": p.line, "column": p.column });
            }
            listed.push(entry);
            if let Some(statement) = info
                .as_ref()
                .and_then(|(doc, _)| Self::statement_json(doc, s.index))
            {
                evidence.push(
                    json!({ "policy": &*s.policy, "index": s.index, "statement": statement }),
                );
            }
        }
        Explained {
            statements: Value::Array(listed),
            evidence: Value::Array(evidence),
            location,
            notes,
        }
    }

    fn principal_json(&self) -> Value {
        let kind = match self.kind {
            SubjectKind::User(_) => "user",
            SubjectKind::Role(r) if r.is_service_linked() => "service-linked-role",
            SubjectKind::Role(_) => "role",
            SubjectKind::Group(_) => "group",
            SubjectKind::Document(_) => "policy",
        };
        json!({ "type": kind, "name": self.name(), "arn": self.arn() })
    }

    /// Reports a subject that cannot be judged at all, if it cannot; returns whether it did.
    fn report_unreadable(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) -> bool {
        let Some(reason) = &self.unreadable else {
            return false;
        };
        out.not_assessed(self.resource(ctx), format!("{}: {reason}", self.who()))
            .origin(self.origin());
        true
    }

    /// Turns a judgement into a pass, fail or not-assessed result (see the module doc).
    pub(crate) fn report(
        &self,
        ctx: &Context<'_>,
        out: &mut Emitter<'_>,
        allowlist: Option<&Allowlist>,
        judge: impl FnOnce(&Self) -> Judged,
    ) {
        if self.report_unreadable(ctx, out) {
            return;
        }
        let resource = self.resource(ctx);
        if let Some(pattern) = allowlist.and_then(|a| self.exempt_by(a)) {
            out.pass(resource)
                .origin(self.origin())
                .details(json!({ "principal": self.principal_json(), "allowlisted_by": pattern }));
            return;
        }
        let judged = judge(self);
        self.emit(ctx, out, judged);
    }

    /// Emits a judgement (also used by rules that decide part of it themselves).
    pub(crate) fn emit(&self, ctx: &Context<'_>, out: &mut Emitter<'_>, judged: Judged) {
        let resource = self.resource(ctx);
        match judged.verdict {
            Verdict::Indeterminate => {
                out.not_assessed(resource, format!("{}: {}", self.who(), judged.reason))
                    .origin(self.origin());
            }
            Verdict::No if !self.missing_grants.is_empty() && !judged.certain => {
                out.not_assessed(
                    resource,
                    format!(
                        "{}: {}: policies the scanner could not read may grant more",
                        self.who(),
                        self.missing_grants.join("; ")
                    ),
                )
                .origin(self.origin());
            }
            Verdict::No => {
                out.pass(resource).origin(self.origin());
            }
            Verdict::Yes | Verdict::Conditional
                if !self.missing_limits.is_empty() && !judged.certain =>
            {
                out.not_assessed(
                    resource,
                    format!(
                        "{}: {}: it may restrict what the other policies allow",
                        self.who(),
                        self.missing_limits.join("; ")
                    ),
                )
                .origin(self.origin());
            }
            Verdict::Yes | Verdict::Conditional => {
                let Explained {
                    statements,
                    evidence,
                    location,
                    notes,
                } = self.explain(&judged.statements);
                let mut message = format!("{}: {}", self.who(), judged.reason);
                if !notes.is_empty() {
                    let _ = write!(message, " ({})", notes.join("; "));
                }
                if !self.missing_grants.is_empty() {
                    let _ = write!(
                        message,
                        ". Not read: {} (only a Deny in them could remove this)",
                        self.missing_grants.join("; ")
                    );
                }
                if self.scps_unknown && !self.is_service_linked() {
                    message.push_str(". SCPs not collected: an SCP may restrict this");
                }
                let mut details = json!({
                    "principal": self.principal_json(),
                    "verdict": judged.verdict,
                    "statements": statements,
                    "scps_collected": !self.scps_unknown,
                });
                if let Some(conditions) = &judged.conditions {
                    details["conditions"] = json!(conditions);
                }
                if !self.missing_grants.is_empty() {
                    details["not_read"] = json!(self.missing_grants);
                }
                if let (Value::Object(map), Value::Object(extra)) = (&mut details, judged.details) {
                    map.extend(extra);
                }
                let result = out.fail(resource, message);
                if self.is_service_linked() {
                    result.severity(result.severity.min(Severity::Info));
                }
                result
                    .origin(location.or(self.origin()))
                    .evidence(json!({ "statements": evidence }))
                    .details(details);
            }
        }
    }
}

/// What [`Subject::explain`] found out about the deciding statements.
struct Explained<'a> {
    statements: Value,
    evidence: Value,
    location: Option<&'a Origin>,
    notes: Vec<String>,
}

/// `AWSReservedSSO_Operator_0123456789abcdef` → `Operator`.
fn permission_set(role: &Role) -> Option<&str> {
    if !role.path.starts_with("/aws-reserved/sso.amazonaws.com/") {
        return None;
    }
    let rest = role.name.strip_prefix("AWSReservedSSO_")?;
    Some(rest.rsplit_once('_').map_or(rest, |(set, _)| set))
}

fn layer_name(layer: Layer) -> String {
    match layer {
        Layer::Identity => "identity".to_owned(),
        Layer::PermissionBoundary => "permissions-boundary".to_owned(),
        Layer::Scp { level } => format!("scp-level-{}", level + 1),
        Layer::SessionPolicy => "session-policy".to_owned(),
    }
}

/// What a rule concluded for one subject, before unknown inputs are taken into account.
pub(crate) struct Judged {
    pub(crate) verdict: Verdict,
    /// The sentence after "<subject>: ", saying what is allowed and why (the engine's
    /// reason names the deciding policy and statement).
    pub(crate) reason: String,
    /// The statements that decided.
    pub(crate) statements: Vec<StatementRef>,
    /// For conditional answers: "allowed if …".
    pub(crate) conditions: Option<String>,
    /// Rule-specific details, merged into the finding's details.
    pub(crate) details: Value,
    /// The outcome does not depend on policies that could not be read (IAM009's check of
    /// attached policy names).
    pub(crate) certain: bool,
}

impl Judged {
    /// A judgement from an engine answer, whose reason says what is allowed, by which
    /// statement and why.
    pub(crate) fn from_answer<D>(answer: &Answer<D>, details: Value) -> Self {
        Judged {
            verdict: answer.verdict,
            reason: answer.reason.clone(),
            statements: answer.statements.clone(),
            conditions: answer.conditional.as_ref().map(ToString::to_string),
            details,
            certain: false,
        }
    }
}

/// The globs of one allowlist of the configuration (principal ARNs; `*` crosses `/` and
/// `:`). Invalid globs are rejected when the configuration is read.
pub(crate) struct Allowlist {
    patterns: Vec<String>,
    set: GlobSet,
}

impl Allowlist {
    pub(crate) fn new(patterns: &[String]) -> Self {
        let mut builder = GlobSetBuilder::new();
        let mut kept = Vec::new();
        for p in patterns {
            if let Ok(glob) = Glob::new(p) {
                builder.add(glob);
                kept.push(p.clone());
            }
        }
        Allowlist {
            patterns: kept,
            set: builder.build().unwrap_or_else(|_| GlobSet::empty()),
        }
    }

    fn matching(&self, candidate: &str) -> Option<&str> {
        self.set
            .matches(candidate)
            .first()
            .and_then(|&i| self.patterns.get(i))
            .map(String::as_str)
    }
}

/// Runs `judge` on every subject `applies` selects, in every account (an account whose IAM
/// section could not be read is not assessed).
pub(crate) fn judge_subjects(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    applies: impl Fn(&Subject<'_>) -> bool,
    allowlist: Option<&Allowlist>,
    judge: impl Fn(&Subject<'_>) -> Judged,
) {
    for account in &ctx.iam().accounts {
        if !account_readable(ctx, account, out) {
            continue;
        }
        for subject in account.subjects.iter().filter(|s| applies(s)) {
            subject.report(ctx, out, allowlist, &judge);
        }
    }
}

/// Reports an account whose IAM section was not collected; returns whether it was.
pub(crate) fn account_readable(
    ctx: &Context<'_>,
    account: &AccountIam<'_>,
    out: &mut Emitter<'_>,
) -> bool {
    match account.iam {
        Ok(_) => true,
        Err(gap) => {
            out.not_assessed(ctx.account_ref(account.account), gap_reason("iam", gap));
            false
        }
    }
}

/// The verdict of a set of probes: the most permissive.
pub(crate) fn most_permissive(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .max_by_key(|v| rank(*v))
        .unwrap_or(Verdict::No)
}

/// Joins names for messages: "a, b and c".
pub(crate) fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// Instance profiles per role name, from both sides of the link.
pub(crate) fn profiles_by_role(iam: &Iam) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for profile in &iam.instance_profiles {
        for role in &profile.roles {
            let list = out.entry(role.as_str()).or_default();
            if !list.contains(&profile.name.as_str()) {
                list.push(profile.name.as_str());
            }
        }
    }
    for role in &iam.roles {
        for profile in &role.instance_profiles {
            let list = out.entry(role.name.as_str()).or_default();
            if !list.contains(&profile.as_str()) {
                list.push(profile.as_str());
            }
        }
    }
    out
}

impl Subject<'_> {
    /// The account's own port-forwarding session documents (session type `Port`).
    pub(crate) fn custom_documents(&self) -> &[String] {
        &self.env.custom_documents
    }
}

/// IAM003/IAM004: whether one of `names` is usable for `StartSession` (allowed on some
/// instance and, as every document but the default shell needs, on the document itself).
pub(crate) fn documents_judged(
    answer: &Answer<DocumentDetails>,
    names: &[&str],
    what: &str,
) -> Judged {
    let d = &answer.details;
    let docs: Vec<&queries::DocumentAccess> = d
        .documents
        .iter()
        .filter(|a| names.contains(&a.document.as_str()))
        .collect();
    let verdict = most_permissive(docs.iter().map(|a| a.usable));
    let details = json!({
        "instance": d.instance.verdict,
        "documents": docs.iter().map(|a| json!({
            "document": a.document,
            "document_allowed": a.document_allowed,
            "usable": a.usable,
        })).collect::<Vec<_>>(),
    });
    let mut judged = Judged {
        verdict,
        reason: String::new(),
        statements: Vec::new(),
        conditions: None,
        details,
        certain: false,
    };
    let Some(decisive) = docs.iter().find(|a| a.usable == verdict) else {
        return judged;
    };
    let (instance, document) = (&d.instance, &decisive.probe);
    match verdict {
        Verdict::No => {}
        Verdict::Indeterminate => {
            judged.reason = if instance.verdict == Verdict::Indeterminate {
                instance.reason.clone()
            } else {
                document.reason.clone()
            };
        }
        Verdict::Yes | Verdict::Conditional => {
            let usable: Vec<&str> = docs
                .iter()
                .filter(|a| a.usable != Verdict::No)
                .map(|a| a.document.as_str())
                .collect();
            // One statement often allows both the instance and the document: say it once.
            let why = if instance.statements == document.statements {
                format!(
                    "{}; the same statement allows it on instances",
                    document.reason
                )
            } else {
                format!("{}; and {}", instance.reason, document.reason)
            };
            judged.reason = format!("{what} with {} is allowed: {why}", and_list(&usable));
            // The document grant is what this rule is about: its statement comes first (and
            // locates the finding).
            judged.statements = document
                .statements
                .iter()
                .chain(&instance.statements)
                .cloned()
                .collect();
            let conditions: Vec<String> = [&instance.conditional, &document.conditional]
                .into_iter()
                .flatten()
                .map(ToString::to_string)
                .collect();
            if !conditions.is_empty() {
                judged.conditions = Some(conditions.join("; and "));
            }
        }
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_globs_cross_path_separators_and_colons() {
        let list = Allowlist::new(&["arn:aws:iam::*:role/dba-*".to_owned(), "[broken".to_owned()]);
        assert_eq!(
            list.matching("arn:aws:iam::111122223333:role/dba-oncall"),
            Some("arn:aws:iam::*:role/dba-*")
        );
        assert_eq!(
            list.matching("arn:aws:iam::111122223333:role/team/dba-oncall"),
            None,
            "`role/dba-*` names roles at the root path only"
        );
        let any_path = Allowlist::new(&["arn:aws:iam::*:role/*dba-*".to_owned()]);
        assert!(
            any_path
                .matching("arn:aws:iam::111122223333:role/team/dba-oncall")
                .is_some()
        );
        assert_eq!(list.matching("arn:aws:iam::111122223333:user/dba-x"), None);
    }

    #[test]
    fn sso_roles_name_their_permission_set() {
        let role = |path: &str, name: &str| Role {
            name: name.to_owned(),
            path: path.to_owned(),
            ..Role::default()
        };
        assert_eq!(
            permission_set(&role(
                "/aws-reserved/sso.amazonaws.com/",
                "AWSReservedSSO_Operator_0123456789abcdef"
            )),
            Some("Operator")
        );
        assert_eq!(
            permission_set(&role(
                "/aws-reserved/sso.amazonaws.com/eu-west-1/",
                "AWSReservedSSO_Read_Only_0123456789abcdef"
            )),
            Some("Read_Only")
        );
        assert_eq!(
            permission_set(&role("/", "AWSReservedSSO_Operator_0123")),
            None
        );
    }

    #[test]
    fn verdicts_rank_from_no_to_yes() {
        assert_eq!(
            most_permissive([Verdict::No, Verdict::Conditional, Verdict::Indeterminate]),
            Verdict::Conditional
        );
        assert_eq!(most_permissive([]), Verdict::No);
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
