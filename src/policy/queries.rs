//! The Session Manager questions the IAM rules (IAM001–IAM009) ask, answered symbolically
//! for a [`PolicySet`]: a live principal with all its policies, or a lone document.
//!
//! Each question is decided by evaluating synthetic requests (an instance ARN, a session
//! document ARN, ...) built from a [`QueryEnv`] (partition, region, account). Context the
//! scanner cannot know at scan time (`aws:SourceIp`, `aws:CalledVia`, `aws:CurrentTime`,
//! principal tags of an unknown principal, ...) is *unknown*, so an Allow that depends on it
//! yields a [`Verdict::Conditional`] answer carrying the residual conditions. Keys that a
//! request of the asked service never carries (other services' keys, request tags on
//! `StartSession`) are absent.
//!
//! Every [`Answer`] has a verdict ("Yes" always means the risky capability exists), a reason
//! naming the policy and statement, the deciding statements, and per-question details.
//!
//! Resource-tag keys exist only on the target check of `StartSession`, so the document check
//! carries none (a tag condition shared by an instance and a document ARN allows only the
//! instance); AWS-owned documents carry none either.
//!
//! Tag scoping uses the three-context method of `iam-semantics.md`: evaluate `StartSession`
//! on an instance with no tags, with every tag key the policies name set to a value no policy
//! names, and with the values they name. Allowed untagged → not scoped; allowed for unseen
//! values → presence-only; allowed only for named values → scoped by those tags. Deny
//! statements, boundaries and SCPs take part in all three.

use std::fmt;

use super::condition::Base;
use super::context::{ActionName, Context, Request};
use super::document::{Effect, Statement};
use super::eval::{ConditionalAccess, Decision, Evaluation, StatementRef, evaluate};
use super::pattern::Pattern;
use super::set::{PolicySet, PrincipalKind};

/// The account used in synthetic ARNs when the document's account is not known.
pub const PLACEHOLDER_ACCOUNT: &str = "123456789012";
/// The region used first in synthetic ARNs when any region will do.
pub const DEFAULT_REGION: &str = "us-east-1";
/// AWS partitions: a lone document may be written for any of them.
pub const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The session documents AWS names, checked by [`session_documents`].
pub const AWS_SESSION_DOCUMENTS: [&str; 5] = [
    "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost",
    "AWS-StartSSHSession",
    "AWS-StartInteractiveCommand",
    "AWS-StartNonInteractiveCommand",
];
/// The default shell document (and the Session Manager preferences).
pub const DEFAULT_SHELL_DOCUMENT: &str = "SSM-SessionManagerRunShell";
/// Shell documents for `ssm:SendCommand`.
pub const SHELL_COMMAND_DOCUMENTS: [&str; 2] = ["AWS-RunShellScript", "AWS-RunPowerShellScript"];

const INSTANCE_ID: &str = "i-0123456789abcdef0";
const MANAGED_INSTANCE_ID: &str = "mi-0123456789abcdef0";
const SESSION_SUFFIX: &str = "0123456789abcdef0";
const PLACEHOLDER_USER: &str = "nobastion-placeholder-user";
const PLACEHOLDER_USERID: &str = "AIDANOBASTIONPLACEHLD";
const OTHER_USER: &str = "nobastion-other-user";
const OTHER_USERID: &str = "AIDANOBASTIONOTHERUSR";
/// Cap on tag-value combinations tried for one target.
const MAX_TAG_COMBINATIONS: usize = 256;
/// Cap on partition × region × account combinations tried for one question.
const MAX_TARGETS: usize = 64;

/// A part of the synthetic ARNs: a given value, or any value (the question becomes "is
/// there a value for which ...", answered with the values the policies name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Exactly(String),
    Any,
}

/// Where the synthetic requests are made.
#[derive(Debug, Clone)]
pub struct QueryEnv {
    pub partition: Scope,
    pub region: Scope,
    pub account: Scope,
    /// Facts the caller knows beyond the principal (principal tags, org id, ...); they
    /// override the scan-time defaults.
    pub context: Context,
    /// Custom session documents to check besides AWS's.
    pub custom_documents: Vec<String>,
}

impl Default for QueryEnv {
    fn default() -> Self {
        QueryEnv::lone_document()
    }
}

impl QueryEnv {
    /// For a document judged on its own: any partition, region and account (the values the
    /// document names are tried, plus `aws`, `us-east-1` and [`PLACEHOLDER_ACCOUNT`]).
    pub fn lone_document() -> QueryEnv {
        QueryEnv {
            partition: Scope::Any,
            region: Scope::Any,
            account: Scope::Any,
            context: Context::new(),
            custom_documents: Vec::new(),
        }
    }

    /// For a live principal: its account and partition, any region (or pass one).
    pub fn account(partition: &str, account: &str) -> QueryEnv {
        QueryEnv {
            partition: Scope::Exactly(partition.to_owned()),
            account: Scope::Exactly(account.to_owned()),
            ..QueryEnv::lone_document()
        }
    }

    #[must_use]
    pub fn in_region(mut self, region: &str) -> QueryEnv {
        self.region = Scope::Exactly(region.to_owned());
        self
    }

    #[must_use]
    pub fn with_custom_documents(mut self, documents: Vec<String>) -> QueryEnv {
        self.custom_documents = documents;
        self
    }
}

/// The answer to a question. `Yes` means the risky capability exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Yes,
    No,
    /// Yes if the residual conditions hold (context unknown at scan time).
    Conditional,
    /// The engine cannot read a value that decides it.
    Indeterminate,
}

impl Verdict {
    fn rank(self) -> u8 {
        match self {
            Verdict::No => 0,
            Verdict::Indeterminate => 1,
            Verdict::Conditional => 2,
            Verdict::Yes => 3,
        }
    }

    fn of(decision: Decision) -> Verdict {
        match decision {
            Decision::Allowed => Verdict::Yes,
            Decision::Conditional => Verdict::Conditional,
            Decision::Indeterminate => Verdict::Indeterminate,
            Decision::ImplicitDeny | Decision::ExplicitDeny => Verdict::No,
        }
    }

    /// Both must hold.
    fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::No, _) | (_, Verdict::No) => Verdict::No,
            (Verdict::Indeterminate, _) | (_, Verdict::Indeterminate) => Verdict::Indeterminate,
            (Verdict::Conditional, _) | (_, Verdict::Conditional) => Verdict::Conditional,
            (Verdict::Yes, Verdict::Yes) => Verdict::Yes,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::Conditional => "conditional",
            Verdict::Indeterminate => "indeterminate",
        })
    }
}

/// An answer: verdict, a sentence naming the deciding policy and statement, the deciding
/// statements, residual conditions for conditional answers, and per-question details.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answer<D> {
    pub verdict: Verdict,
    pub reason: String,
    pub statements: Vec<StatementRef>,
    pub conditional: Option<ConditionalAccess>,
    pub details: D,
}

/// One synthetic request's outcome, kept with what it was.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Probe {
    pub action: String,
    pub resource: String,
    pub verdict: Verdict,
    pub reason: String,
    pub statements: Vec<StatementRef>,
    pub conditional: Option<ConditionalAccess>,
}

impl Probe {
    fn from_eval(action: &ActionName, resource: &str, e: Evaluation) -> Probe {
        Probe {
            action: action.as_str().to_owned(),
            resource: resource.to_owned(),
            verdict: Verdict::of(e.decision),
            reason: e.reason,
            statements: e.statements,
            conditional: e.conditional,
        }
    }

    fn denied(action: &ActionName, resource: &str, reason: String) -> Probe {
        Probe {
            action: action.as_str().to_owned(),
            resource: resource.to_owned(),
            verdict: Verdict::No,
            reason,
            statements: Vec::new(),
            conditional: None,
        }
    }

    fn answer<D>(&self, headline: &str, details: D) -> Answer<D> {
        Answer {
            verdict: self.verdict,
            reason: format!("{headline}: {}", self.reason),
            statements: self.statements.clone(),
            conditional: self.conditional.clone(),
            details,
        }
    }
}

/// The more permissive of two probes (ties keep the first).
fn worst(a: Probe, b: Probe) -> Probe {
    if b.verdict.rank() > a.verdict.rank() {
        b
    } else {
        a
    }
}

/// The synthetic ARN coordinates of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Target {
    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// AWS-owned documents have an empty account field.
    fn aws_document(&self, name: &str) -> String {
        format!(
            "arn:{}:ssm:{}::document/{name}",
            self.partition, self.region
        )
    }

    fn instance(&self) -> String {
        self.arn("ec2", &format!("instance/{INSTANCE_ID}"))
    }

    fn managed_instance(&self) -> String {
        self.arn("ssm", &format!("managed-instance/{MANAGED_INSTANCE_ID}"))
    }
}

/// Everything one question needs: the policies, the environment, the principal identity to
/// put in requests.
struct Asker<'a> {
    set: &'a PolicySet,
    env: &'a QueryEnv,
}

/// What kind of request a context is for: decides which keys exist.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RequestKind {
    /// Session Manager actions on instances, documents and sessions.
    Ssm,
    /// `ec2-instance-connect` actions on instances and endpoints.
    InstanceConnect,
    /// Document writes (may carry request tags).
    DocumentWrite,
}

impl Asker<'_> {
    /// The caller's identity for synthetic requests: the principal's, or a placeholder IAM
    /// user when the principal is unknown (a lone document).
    fn caller(&self, target: &Target) -> (Option<String>, String, String) {
        let p = self.set.principal();
        if p.kind() == PrincipalKind::Unknown {
            return (
                Some(PLACEHOLDER_USER.to_owned()),
                PLACEHOLDER_USERID.to_owned(),
                format!(
                    "arn:{}:iam::{}:user/{PLACEHOLDER_USER}",
                    target.partition, target.account
                ),
            );
        }
        let session_prefix = p
            .session_name()
            .or(p.username())
            .or(p.name())
            .map(str::to_owned);
        (
            session_prefix,
            p.userid().unwrap_or("").to_owned(),
            p.principal_arn().unwrap_or_default(),
        )
    }

    /// The scan-time context shared by every request of one target.
    fn base_context(&self, target: &Target, kind: RequestKind) -> Context {
        let mut ctx = Context::scan_time();
        let own: &[&str] = match kind {
            RequestKind::Ssm | RequestKind::DocumentWrite => &["ssm"],
            RequestKind::InstanceConnect => &["ec2-instance-connect", "ec2"],
        };
        ctx.set_other_services_absent(own);
        ctx.insert("aws:RequestedRegion", target.region.as_str())
            .insert("aws:ResourceAccount", target.account.as_str())
            .insert("aws:SecureTransport", "true")
            .insert("aws:PrincipalIsAWSService", "false");
        for prefix in ["aws:resourcetag/", "ssm:resourcetag/", "ec2:resourcetag/"] {
            ctx.set_absent_prefix(prefix);
        }
        if kind != RequestKind::DocumentWrite {
            ctx.set_absent_prefix("aws:requesttag/")
                .set_absent("aws:TagKeys");
        }
        if self.set.principal().kind() == PrincipalKind::Unknown {
            let (_, userid, arn) = self.caller(target);
            ctx.insert("aws:username", PLACEHOLDER_USER)
                .insert("aws:userid", userid)
                .insert("aws:PrincipalArn", arn)
                .insert("aws:PrincipalAccount", target.account.as_str())
                .insert("aws:PrincipalType", "User");
        } else if self.set.principal().account().is_none() {
            ctx.insert("aws:PrincipalAccount", target.account.as_str());
        }
        ctx.extend_from(&self.env.context);
        ctx
    }

    /// Does any Allow statement of the identity policies match the action at all?
    fn mentions(&self, action: &ActionName) -> bool {
        self.set.identity_policies().iter().any(|p| {
            p.candidates(action.service()).any(|s| {
                s.effect() == Effect::Allow
                    && s.matches_action(action.service(), action.action_lower())
            })
        })
    }

    /// Every statement (all layers) whose Action matches.
    fn statements_for<'s>(
        &'s self,
        action: &'s ActionName,
    ) -> impl Iterator<Item = (StatementRef, &'s Statement)> + 's {
        self.set.layers().flat_map(move |(layer, policies)| {
            policies.iter().flat_map(move |p| {
                p.candidates(action.service())
                    .filter(|s| s.matches_action(action.service(), action.action_lower()))
                    .map(move |s| (StatementRef::new(p, layer, s), s))
            })
        })
    }

    fn run(&self, action: &ActionName, resource: &str, own: &Context, base: &Context) -> Probe {
        let request = Request::new(action, resource, own).with_base_context(base);
        Probe::from_eval(action, resource, evaluate(self.set, &request))
    }

    /// The synthetic ARN coordinates to try.
    fn targets(&self, actions: &[&ActionName]) -> Vec<Target> {
        let mut partitions = fixed_or(&self.env.partition, "aws");
        let mut regions = fixed_or(&self.env.region, DEFAULT_REGION);
        let mut accounts = fixed_or(&self.env.account, PLACEHOLDER_ACCOUNT);
        let any = |s: &Scope| *s == Scope::Any;
        if any(&self.env.partition) || any(&self.env.region) || any(&self.env.account) {
            for action in actions {
                for (_, st) in self
                    .statements_for(action)
                    .filter(|(_, s)| s.effect() == Effect::Allow)
                {
                    for pattern in arn_patterns(st) {
                        if any(&self.env.partition)
                            && let Some(p) = pattern.part(0)
                            && !partitions.iter().any(|x| p.matches_plain(x))
                        {
                            // A real partition the pattern names (aws-cn, aws-us-gov, ...).
                            if let Some(real) = PARTITIONS.iter().find(|real| p.matches_plain(real))
                            {
                                partitions.push((*real).to_owned());
                            }
                        }
                        if any(&self.env.region) {
                            add_witness(&mut regions, pattern.part(2));
                        }
                        if any(&self.env.account) {
                            add_witness(&mut accounts, pattern.part(3));
                        }
                    }
                    for c in &st.conditions {
                        let list = match &*c.key_lower {
                            "aws:requestedregion" if any(&self.env.region) => &mut regions,
                            "aws:resourceaccount" | "aws:principalaccount"
                                if any(&self.env.account) =>
                            {
                                &mut accounts
                            }
                            _ => continue,
                        };
                        if c.operator.base.negated() {
                            continue;
                        }
                        for p in c.patterns().into_iter().flatten() {
                            add_witness(list, Some(p));
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        'outer: for account in &accounts {
            for region in &regions {
                for partition in &partitions {
                    if out.len() == MAX_TARGETS {
                        break 'outer;
                    }
                    out.push(Target {
                        partition: partition.clone(),
                        region: region.clone(),
                        account: account.clone(),
                    });
                }
            }
        }
        out
    }

    /// Runs `question` for every target and keeps the most permissive answer.
    fn over_targets<D>(
        &self,
        actions: &[&ActionName],
        question: impl Fn(&Target) -> Answer<D>,
    ) -> Answer<D> {
        let mut best: Option<Answer<D>> = None;
        for target in self.targets(actions) {
            let answer = question(&target);
            let better = best
                .as_ref()
                .is_none_or(|b| answer.verdict.rank() > b.verdict.rank());
            if better {
                let done = answer.verdict == Verdict::Yes;
                best = Some(answer);
                if done {
                    break;
                }
            }
        }
        best.unwrap_or_else(|| {
            question(&Target {
                partition: "aws".into(),
                region: DEFAULT_REGION.into(),
                account: PLACEHOLDER_ACCOUNT.into(),
            })
        })
    }
}

fn fixed_or(scope: &Scope, default: &str) -> Vec<String> {
    match scope {
        Scope::Exactly(v) => vec![v.clone()],
        Scope::Any => vec![default.to_owned()],
    }
}

/// Adds a value the pattern matches, unless a value already listed matches it.
fn add_witness(list: &mut Vec<String>, pattern: Option<&Pattern>) {
    let Some(p) = pattern else { return };
    if p.is_all() || !p.variables().is_empty() || list.iter().any(|v| p.matches_plain(v)) {
        return;
    }
    if list.len() < 8 {
        list.push(p.witness("nb"));
    }
}

fn arn_patterns(st: &Statement) -> impl Iterator<Item = &super::arn::ArnPattern> {
    st.resources.iter().flatten().filter_map(|r| match r {
        super::document::ResourcePattern::Arn(a) => Some(a),
        super::document::ResourcePattern::All => None,
    })
}

fn action(name: &str) -> ActionName {
    // The names are constants of this module; a failure would be a bug caught by the tests.
    ActionName::new(name).unwrap_or_else(|_| unreachable!("invalid built-in action name {name}"))
}

// ---------------------------------------------------------------------------------------
// Tag scoping

/// How access to a target depends on its tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scoping {
    /// Allowed on targets with no tags.
    NotScoped,
    /// Allowed when the named tag keys carry any value.
    PresenceOnly,
    /// Allowed only for tag values the policies name.
    Scoped,
    /// Not allowed whatever the tags.
    NoAccess,
    /// Undecided (a value the engine cannot read).
    Indeterminate,
}

/// A tag that scopes access: the key must carry one of the values (patterns as written).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TagRequirement {
    pub key: String,
    pub values: Vec<String>,
}

/// Tag scoping for one target type.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetScoping {
    pub target: String,
    pub scoping: Scoping,
    pub verdict: Verdict,
    /// Tag keys the policies' conditions name for this action.
    pub tag_keys: Vec<String>,
    /// For `Scoped`: the tags that scope access.
    pub scoped_by: Vec<TagRequirement>,
    /// The request that decided the classification.
    pub probe: Probe,
    /// Set when more tag combinations existed than were tried.
    pub truncated: bool,
}

/// Details of [`start_session_tag_scoping`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct TagScopingDetails {
    pub ec2_instance: TargetScoping,
    pub managed_instance: TargetScoping,
    pub target: Target,
}

#[derive(Debug, Clone)]
struct TagKey {
    /// As first written.
    name: String,
    /// (value to put in the request, pattern as written).
    named: Vec<(String, String)>,
    unseen: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assign {
    Absent,
    Unseen,
    Named(usize),
}

/// The tag condition keys (`<prefix>/K`) of the statements for `action`, with the values
/// they name.
fn tag_space(asker: &Asker<'_>, action: &ActionName, prefixes: &[&str]) -> Vec<TagKey> {
    let mut keys: Vec<TagKey> = Vec::new();
    let mut patterns: Vec<Vec<Pattern>> = Vec::new();
    for (_, st) in asker.statements_for(action) {
        for c in &st.conditions {
            let Some(tag) = prefixes.iter().find_map(|p| c.key_lower.strip_prefix(p)) else {
                continue;
            };
            // The tag key as written: lowercasing can change byte lengths, so split the
            // original at its first '/' rather than reusing the lowercase offsets.
            let original = c.key.split_once('/').map_or(tag, |(_, t)| t);
            let i = if let Some(i) = keys.iter().position(|k| k.name.to_lowercase() == tag) {
                i
            } else {
                keys.push(TagKey {
                    name: original.to_owned(),
                    named: Vec::new(),
                    unseen: String::new(),
                });
                patterns.push(Vec::new());
                keys.len() - 1
            };
            let is_string = matches!(
                c.operator.base,
                Base::StringEquals
                    | Base::StringNotEquals
                    | Base::StringLike
                    | Base::StringNotLike
                    | Base::StringEqualsIgnoreCase
                    | Base::StringNotEqualsIgnoreCase
            );
            if !is_string {
                continue;
            }
            for p in c.patterns().into_iter().flatten() {
                if !p.variables().is_empty() {
                    continue;
                }
                patterns[i].push(p.clone());
                if p.is_all() {
                    continue;
                }
                let value = p.witness("");
                if !keys[i].named.iter().any(|(v, _)| *v == value) {
                    keys[i].named.push((value, p.raw().to_owned()));
                }
            }
        }
    }
    for (key, pats) in keys.iter_mut().zip(&patterns) {
        key.unseen = unseen_value(pats);
    }
    keys
}

/// A tag value no named pattern matches, other than patterns made only of wildcards (which
/// are presence tests).
fn unseen_value(patterns: &[Pattern]) -> String {
    let used: Vec<char> = patterns.iter().flat_map(Pattern::literal_chars).collect();
    let candidates = ["nobastion-unseen-value", "zz9", "Q", "~", "\u{2603}"];
    for c in candidates {
        let clashes = patterns
            .iter()
            .filter(|p| p.literal_chars().next().is_some())
            .any(|p| p.matches_plain(c) || p.matches_plain(&c.to_lowercase()));
        if !clashes {
            return c.to_owned();
        }
    }
    // Build a value from characters no pattern uses.
    let free = ('a'..='z')
        .chain('0'..='9')
        .find(|c| !used.contains(c))
        .unwrap_or('\u{2603}');
    std::iter::repeat_n(free, 3).collect()
}

fn tag_context(keys: &[TagKey], assign: &[Assign], prefixes: &[&str]) -> Context {
    let mut ctx = Context::new();
    for (key, a) in keys.iter().zip(assign) {
        let value = match a {
            Assign::Absent => continue,
            Assign::Unseen => key.unseen.as_str(),
            Assign::Named(i) => key.named.get(*i).map_or("", |(v, _)| v.as_str()),
        };
        for prefix in prefixes {
            ctx.insert(&format!("{prefix}{}", key.name), value);
        }
    }
    ctx
}

/// The outcome of trying tag assignments on one target.
struct TagScan {
    no_tags: Probe,
    unseen: Option<Probe>,
    /// The other assignments that allowed (or conditionally allowed) the request, with the
    /// probe that did.
    allowed: Vec<(Vec<Assign>, Probe)>,
    /// The most permissive probe of all.
    best: Probe,
    truncated: bool,
}

fn scan_tags(
    asker: &Asker<'_>,
    action: &ActionName,
    resource: &str,
    keys: &[TagKey],
    prefixes: &[&str],
    base: &Context,
    full: bool,
) -> TagScan {
    let run =
        |assign: &[Assign]| asker.run(action, resource, &tag_context(keys, assign, prefixes), base);
    let all_absent = vec![Assign::Absent; keys.len()];
    let all_unseen = vec![Assign::Unseen; keys.len()];
    let no_tags = run(&all_absent);
    let mut scan = TagScan {
        best: no_tags.clone(),
        no_tags,
        unseen: None,
        allowed: Vec::new(),
        truncated: false,
    };
    if keys.is_empty() || (!full && scan.best.verdict == Verdict::Yes) {
        return scan;
    }
    let unseen = run(&all_unseen);
    scan.best = worst(scan.best.clone(), unseen.clone());
    scan.unseen = Some(unseen);
    if !full && scan.best.verdict == Verdict::Yes {
        return scan;
    }
    // Every combination of (each named value, unseen, absent) per key, up to the cap. Named
    // values come first so that, when the space is larger than the cap, the combinations
    // tried are those that satisfy conditions naming values for every key.
    let radix: Vec<usize> = keys.iter().map(|k| k.named.len() + 2).collect();
    let total = radix.iter().try_fold(1usize, |acc, r| acc.checked_mul(*r));
    scan.truncated = total.is_none_or(|t| t > MAX_TAG_COMBINATIONS);
    let mut counter = vec![0usize; keys.len()];
    for _ in 0..total.unwrap_or(usize::MAX).min(MAX_TAG_COMBINATIONS) {
        let assign: Vec<Assign> = counter
            .iter()
            .zip(keys)
            .map(|(&c, key)| match c.checked_sub(key.named.len()) {
                None => Assign::Named(c),
                Some(0) => Assign::Unseen,
                Some(_) => Assign::Absent,
            })
            .collect();
        if assign != all_absent && assign != all_unseen {
            let probe = run(&assign);
            if matches!(probe.verdict, Verdict::Yes | Verdict::Conditional) {
                scan.best = worst(scan.best.clone(), probe.clone());
                scan.allowed.push((assign, probe));
            } else if probe.verdict == Verdict::Indeterminate {
                scan.best = worst(scan.best.clone(), probe);
            }
        }
        // Next combination (mixed radix).
        for (digit, r) in counter.iter_mut().zip(&radix) {
            *digit += 1;
            if *digit < *r {
                break;
            }
            *digit = 0;
        }
    }
    scan
}

fn classify(kind: &str, keys: &[TagKey], scan: &TagScan) -> TargetScoping {
    let tag_keys = keys.iter().map(|k| k.name.clone()).collect();
    let permissive = |p: &Probe| matches!(p.verdict, Verdict::Yes | Verdict::Conditional);
    let make = |scoping, verdict, probe: Probe, scoped_by| TargetScoping {
        target: kind.to_owned(),
        scoping,
        verdict,
        tag_keys: Vec::clone(&tag_keys),
        scoped_by,
        probe,
        truncated: scan.truncated,
    };
    if permissive(&scan.no_tags) {
        return make(
            Scoping::NotScoped,
            scan.no_tags.verdict,
            scan.no_tags.clone(),
            Vec::new(),
        );
    }
    if let Some(unseen) = scan.unseen.as_ref().filter(|p| permissive(p)) {
        return make(
            Scoping::PresenceOnly,
            unseen.verdict,
            unseen.clone(),
            Vec::new(),
        );
    }
    // Allowed with tags present but no named value (some absent, some any value).
    let unnamed = |assign: &[Assign]| !assign.iter().any(|a| matches!(a, Assign::Named(_)));
    if let Some((_, probe)) = scan.allowed.iter().find(|(a, _)| unnamed(a)) {
        return make(
            Scoping::PresenceOnly,
            probe.verdict,
            probe.clone(),
            Vec::new(),
        );
    }
    if let Some((_, first)) = scan.allowed.first() {
        // A key scopes access when every allowed combination gives it a named value.
        let mut scoped_by = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let mut values: Vec<String> = Vec::new();
            let mut always_named = true;
            for (assign, _) in &scan.allowed {
                match assign.get(i) {
                    Some(Assign::Named(v)) => {
                        if let Some((_, raw)) = key.named.get(*v)
                            && !values.contains(raw)
                        {
                            values.push(raw.clone());
                        }
                    }
                    _ => always_named = false,
                }
            }
            if always_named {
                scoped_by.push(TagRequirement {
                    key: key.name.clone(),
                    values,
                });
            }
        }
        return make(Scoping::Scoped, Verdict::No, first.clone(), scoped_by);
    }
    let undecided = scan.no_tags.verdict == Verdict::Indeterminate
        || scan
            .unseen
            .as_ref()
            .is_some_and(|p| p.verdict == Verdict::Indeterminate)
        || scan.best.verdict == Verdict::Indeterminate;
    if undecided {
        return make(
            Scoping::Indeterminate,
            Verdict::Indeterminate,
            scan.best.clone(),
            Vec::new(),
        );
    }
    make(
        Scoping::NoAccess,
        Verdict::No,
        scan.no_tags.clone(),
        Vec::new(),
    )
}

const SSM_TAG_PREFIXES: [&str; 2] = ["ssm:resourcetag/", "aws:resourcetag/"];
const EC2_TAG_PREFIXES: [&str; 2] = ["aws:resourcetag/", "ec2:resourcetag/"];

fn target_scoping(
    asker: &Asker<'_>,
    action: &ActionName,
    kind: &str,
    resource: &str,
    base: &Context,
) -> TargetScoping {
    let keys = tag_space(asker, action, &SSM_TAG_PREFIXES);
    let scan = scan_tags(
        asker,
        action,
        resource,
        &keys,
        &SSM_TAG_PREFIXES,
        base,
        true,
    );
    classify(kind, &keys, &scan)
}

fn scoping_headline(action: &ActionName, s: &TargetScoping) -> String {
    match s.scoping {
        Scoping::NotScoped => format!("{action} is allowed on {}s that carry no tags", s.target),
        Scoping::PresenceOnly => format!(
            "{action} is allowed on {}s whose tags {} carry values no policy names (presence-only scoping)",
            s.target,
            s.tag_keys.join(", ")
        ),
        Scoping::Scoped => {
            let reqs: Vec<String> = s
                .scoped_by
                .iter()
                .map(|r| format!("{} in [{}]", r.key, r.values.join(", ")))
                .collect();
            format!(
                "{action} on {}s is scoped by tags ({})",
                s.target,
                reqs.join("; ")
            )
        }
        Scoping::NoAccess => format!("{action} is not allowed on {}s", s.target),
        Scoping::Indeterminate => format!(
            "cannot decide whether {action} on {}s is tag-scoped",
            s.target
        ),
    }
}

/// A target type on which nothing allows the action.
fn no_access(action: &ActionName, kind: &str, resource: &str) -> TargetScoping {
    TargetScoping {
        target: kind.to_owned(),
        scoping: Scoping::NoAccess,
        verdict: Verdict::No,
        tag_keys: Vec::new(),
        scoped_by: Vec::new(),
        probe: Probe::denied(
            action,
            resource,
            format!("no identity policy statement allows {action}"),
        ),
        truncated: false,
    }
}

/// Tag scoping of `action` on EC2 instances and managed instances; the more permissive of
/// the two decides.
fn both_targets(
    asker: &Asker<'_>,
    action: &ActionName,
    target: &Target,
    base: &Context,
) -> (TargetScoping, TargetScoping) {
    let (instance, managed) = (target.instance(), target.managed_instance());
    if !asker.mentions(action) {
        return (
            no_access(action, "EC2 instance", &instance),
            no_access(action, "managed instance", &managed),
        );
    }
    (
        target_scoping(asker, action, "EC2 instance", &instance, base),
        target_scoping(asker, action, "managed instance", &managed, base),
    )
}

fn more_permissive<'s>(a: &'s TargetScoping, b: &'s TargetScoping) -> &'s TargetScoping {
    if a.verdict.rank() >= b.verdict.rank() {
        a
    } else {
        b
    }
}

/// IAM001: can the principal start a session on an instance (or hybrid managed instance)
/// with no tags, or with tag values no policy names?
pub fn start_session_tag_scoping(set: &PolicySet, env: &QueryEnv) -> Answer<TagScopingDetails> {
    let start = action("ssm:StartSession");
    let asker = Asker { set, env };
    asker.over_targets(&[&start], |target| {
        let base = asker
            .base_context(target, RequestKind::Ssm)
            .with("ssm:SessionDocumentAccessCheck", "true");
        let (ec2, managed) = both_targets(&asker, &start, target, &base);
        let decisive = more_permissive(&ec2, &managed);
        let headline = scoping_headline(&start, decisive);
        // The probe of scoped access allowed the request, but not on untagged targets: the
        // verdict is the scoping's, not the probe's.
        let verdict = decisive.verdict;
        let mut answer = decisive.probe.answer(
            &headline,
            TagScopingDetails {
                ec2_instance: ec2.clone(),
                managed_instance: managed.clone(),
                target: target.clone(),
            },
        );
        answer.verdict = verdict;
        answer
    })
}

// ---------------------------------------------------------------------------------------
// Ending other people's sessions

/// Details of [`end_others_sessions`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionEndingDetails {
    /// `ssm:TerminateSession` on another principal's session.
    pub terminate_others: Probe,
    /// `ssm:ResumeSession` on another principal's session.
    pub resume_others: Probe,
    /// `ssm:TerminateSession` on the caller's own session (for context: self-scoped grants
    /// allow this and nothing else).
    pub terminate_own: Verdict,
}

/// IAM002: can the principal terminate or resume a session that is not its own?
pub fn end_others_sessions(set: &PolicySet, env: &QueryEnv) -> Answer<SessionEndingDetails> {
    let terminate = action("ssm:TerminateSession");
    let resume = action("ssm:ResumeSession");
    let asker = Asker { set, env };
    asker.over_targets(&[&terminate, &resume], |target| {
        let base = asker.base_context(target, RequestKind::Ssm);
        let (prefix, userid, _) = asker.caller(target);
        let own_prefix = prefix.unwrap_or_else(|| "nobastion-caller".to_owned());
        let other = if own_prefix.starts_with(OTHER_USER) || OTHER_USER.starts_with(&own_prefix) {
            format!("zz-{OTHER_USER}")
        } else {
            OTHER_USER.to_owned()
        };
        let session = |owner: &str, owner_id: &str| {
            let arn = target.arn("ssm", &format!("session/{owner}-{SESSION_SUFFIX}"));
            let mut ctx = Context::new();
            for prefix in SSM_TAG_PREFIXES {
                ctx.insert(&format!("{prefix}aws:ssmmessages:session-id"), owner_id);
            }
            (arn, ctx)
        };
        let (other_arn, other_ctx) = session(&other, OTHER_USERID);
        let (own_arn, own_ctx) = session(&own_prefix, &userid);
        let probe = |a: &ActionName, arn: &str, ctx: &Context| {
            if asker.mentions(a) {
                asker.run(a, arn, ctx, &base)
            } else {
                Probe::denied(a, arn, format!("no identity policy statement allows {a}"))
            }
        };
        let terminate_others = probe(&terminate, &other_arn, &other_ctx);
        let resume_others = probe(&resume, &other_arn, &other_ctx);
        let terminate_own = probe(&terminate, &own_arn, &own_ctx).verdict;
        let decisive = worst(terminate_others.clone(), resume_others.clone());
        let headline = match decisive.verdict {
            Verdict::Yes => format!(
                "{} is allowed on other principals' sessions",
                decisive.action
            ),
            Verdict::Conditional => format!(
                "{} on other principals' sessions depends on unknown context",
                decisive.action
            ),
            Verdict::Indeterminate => {
                "cannot decide whether other principals' sessions can be ended".to_owned()
            }
            Verdict::No => "other principals' sessions cannot be terminated or resumed".to_owned(),
        };
        decisive.answer(
            &headline,
            SessionEndingDetails {
                terminate_others,
                resume_others,
                terminate_own,
            },
        )
    })
}

// ---------------------------------------------------------------------------------------
// Session documents

/// One document's verdicts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentAccess {
    pub document: String,
    /// `ssm:StartSession` on the document ARN alone.
    pub document_allowed: Verdict,
    /// Whether the document needs an explicit grant (always, except the default shell
    /// document when `ssm:SessionDocumentAccessCheck` is not enforced).
    pub needs_explicit_grant: bool,
    /// Usable: allowed on some instance and (when needed) on the document.
    pub usable: Verdict,
    pub probe: Probe,
}

/// Details of [`session_documents`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentDetails {
    /// `ssm:StartSession` on the most permissive instance (any tags).
    pub instance: Probe,
    pub documents: Vec<DocumentAccess>,
}

impl DocumentDetails {
    /// The entry for a document name.
    pub fn document(&self, name: &str) -> Option<&DocumentAccess> {
        self.documents.iter().find(|d| d.document == name)
    }
}

/// An action on a resource that carries no tags the policies could test: AWS-owned
/// documents, and the session document of `StartSession` (resource-tag keys exist only on
/// its target check).
fn untagged(asker: &Asker<'_>, a: &ActionName, resource: &str, base: &Context) -> Probe {
    if !asker.mentions(a) {
        return Probe::denied(
            a,
            resource,
            format!("no identity policy statement allows {a}"),
        );
    }
    asker.run(a, resource, &Context::new(), base)
}

/// The most permissive probe of an action on a target over its tag assignments.
fn best_over_tags(
    asker: &Asker<'_>,
    a: &ActionName,
    resource: &str,
    prefixes: &[&str],
    base: &Context,
) -> Probe {
    if !asker.mentions(a) {
        return Probe::denied(
            a,
            resource,
            format!("no identity policy statement allows {a}"),
        );
    }
    let keys = tag_space(asker, a, prefixes);
    scan_tags(asker, a, resource, &keys, prefixes, base, false).best
}

/// Is `ssm:SessionDocumentAccessCheck` enforced: does every identity Allow statement for
/// `StartSession` that can cover the instance carry `Bool(IfExists)` true on it?
fn access_check_enforced(asker: &Asker<'_>, instance: &str) -> bool {
    let start = action("ssm:StartSession");
    let mut allows = asker
        .statements_for(&start)
        .filter(|(r, st)| {
            r.effect == Effect::Allow
                && r.layer == super::eval::Layer::Identity
                && super::eval::resource_may_match(st, instance)
        })
        .peekable();
    if allows.peek().is_none() {
        return false;
    }
    allows.all(|(_, st)| {
        st.conditions.iter().any(|c| {
            &*c.key_lower == "ssm:sessiondocumentaccesscheck"
                && c.operator.base == Base::Bool
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
        })
    })
}

/// IAM003/IAM004: which session documents can be used? `StartSession` is authorized against
/// the target and the document; every document but the default shell needs an explicit
/// grant, and the default shell needs one only when `ssm:SessionDocumentAccessCheck` is
/// enforced by every allowing statement. The verdict covers the non-default documents.
pub fn session_documents(set: &PolicySet, env: &QueryEnv) -> Answer<DocumentDetails> {
    let start = action("ssm:StartSession");
    let asker = Asker { set, env };
    asker.over_targets(&[&start], |target| {
        let base = asker
            .base_context(target, RequestKind::Ssm)
            .with("ssm:SessionDocumentAccessCheck", "true");
        let instance = best_over_tags(&asker, &start, &target.instance(), &SSM_TAG_PREFIXES, &base);
        let enforced = access_check_enforced(&asker, &target.instance());
        let mut names: Vec<(String, String, bool)> = AWS_SESSION_DOCUMENTS
            .iter()
            .map(|d| ((*d).to_owned(), target.aws_document(d), true))
            .collect();
        for custom in &env.custom_documents {
            names.push((
                custom.clone(),
                target.arn("ssm", &format!("document/{custom}")),
                true,
            ));
        }
        names.push((
            DEFAULT_SHELL_DOCUMENT.to_owned(),
            target.arn("ssm", &format!("document/{DEFAULT_SHELL_DOCUMENT}")),
            enforced,
        ));
        let mut documents = Vec::new();
        let mut decisive: Option<(Verdict, Probe, String)> = None;
        for (name, arn, needs_grant) in names {
            let probe = untagged(&asker, &start, &arn, &base);
            let usable = if needs_grant {
                instance.verdict.and(probe.verdict)
            } else {
                instance.verdict
            };
            if name != DEFAULT_SHELL_DOCUMENT
                && decisive
                    .as_ref()
                    .is_none_or(|(v, _, _)| usable.rank() > v.rank())
            {
                let shown = if probe.verdict.rank() <= instance.verdict.rank() && needs_grant {
                    probe.clone()
                } else {
                    instance.clone()
                };
                decisive = Some((usable, shown, name.clone()));
            }
            documents.push(DocumentAccess {
                document: name,
                document_allowed: probe.verdict,
                needs_explicit_grant: needs_grant,
                usable,
                probe,
            });
        }
        let (verdict, probe, name) =
            decisive.unwrap_or((Verdict::No, instance.clone(), String::new()));
        let usable: Vec<&str> = documents
            .iter()
            .filter(|d| d.document != DEFAULT_SHELL_DOCUMENT && d.usable != Verdict::No)
            .map(|d| d.document.as_str())
            .collect();
        let headline = match verdict {
            Verdict::Yes => format!("sessions can use {}", usable.join(", ")),
            Verdict::Conditional => format!(
                "sessions may use {} depending on unknown context",
                usable.join(", ")
            ),
            Verdict::Indeterminate => format!("cannot decide whether sessions can use {name}"),
            Verdict::No => {
                "no session document other than the default shell can be used".to_owned()
            }
        };
        let mut answer = probe.answer(
            &headline,
            DocumentDetails {
                instance,
                documents,
            },
        );
        answer.verdict = verdict;
        answer
    })
}

// ---------------------------------------------------------------------------------------
// SendCommand with a shell document

/// Details of [`send_command_shell`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct SendCommandDetails {
    /// Tag scoping of `ssm:SendCommand` on EC2 instances.
    pub instances: TargetScoping,
    /// Tag scoping of `ssm:SendCommand` on managed instances.
    pub managed_instances: TargetScoping,
    /// `ssm:SendCommand` on each shell document.
    pub documents: Vec<DocumentAccess>,
}

/// IAM005: can the principal run a shell through `ssm:SendCommand` (a shell document, on
/// instances that are not tag-scoped)?
pub fn send_command_shell(set: &PolicySet, env: &QueryEnv) -> Answer<SendCommandDetails> {
    let send = action("ssm:SendCommand");
    let asker = Asker { set, env };
    asker.over_targets(&[&send], |target| {
        let base = asker.base_context(target, RequestKind::Ssm);
        let (instances, managed_instances) = both_targets(&asker, &send, target, &base);
        let unscoped = more_permissive(&instances, &managed_instances);
        let mut documents = Vec::new();
        let mut decisive: Option<(Verdict, Probe)> = None;
        for name in SHELL_COMMAND_DOCUMENTS {
            let arn = target.aws_document(name);
            let probe = untagged(&asker, &send, &arn, &base);
            let usable = unscoped.verdict.and(probe.verdict);
            if decisive
                .as_ref()
                .is_none_or(|(v, _)| usable.rank() > v.rank())
            {
                let shown = if probe.verdict.rank() < unscoped.verdict.rank() {
                    probe.clone()
                } else {
                    unscoped.probe.clone()
                };
                decisive = Some((usable, shown));
            }
            documents.push(DocumentAccess {
                document: name.to_owned(),
                document_allowed: probe.verdict,
                needs_explicit_grant: true,
                usable,
                probe,
            });
        }
        let (verdict, probe) = decisive.unwrap_or((Verdict::No, unscoped.probe.clone()));
        let headline = match verdict {
            Verdict::Yes => format!(
                "{send} can run a shell document on {}s that are not tag-scoped ({})",
                unscoped.target,
                scoping_headline(&send, unscoped)
            ),
            Verdict::Conditional => {
                format!("{send} with a shell document depends on unknown context")
            }
            Verdict::Indeterminate => {
                format!("cannot decide whether {send} can run a shell document")
            }
            Verdict::No => {
                format!("{send} cannot run a shell document on instances that are not tag-scoped")
            }
        };
        let mut answer = probe.answer(
            &headline,
            SendCommandDetails {
                instances: instances.clone(),
                managed_instances: managed_instances.clone(),
                documents,
            },
        );
        answer.verdict = verdict;
        answer
    })
}

// ---------------------------------------------------------------------------------------
// Actions allowed on some target

/// Details of [`instance_connect`] and [`preferences_tamper`]: one probe per action.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActionDetails {
    pub actions: Vec<Probe>,
}

impl ActionDetails {
    /// The probe for an action name (as written in the constants, e.g. `ssm:UpdateDocument`).
    pub fn action(&self, name: &str) -> Option<&Probe> {
        self.actions
            .iter()
            .find(|p| p.action.eq_ignore_ascii_case(name))
    }
}

/// The synthetic resource an action is asked about.
#[derive(Clone, Copy)]
enum Synthetic {
    Instance,
    ConnectEndpoint,
    PreferencesDocument,
}

impl Synthetic {
    fn arn(self, t: &Target) -> String {
        match self {
            Synthetic::Instance => t.instance(),
            Synthetic::ConnectEndpoint => {
                t.arn("ec2", "instance-connect-endpoint/eice-0123456789abcdef0")
            }
            Synthetic::PreferencesDocument => {
                t.arn("ssm", &format!("document/{DEFAULT_SHELL_DOCUMENT}"))
            }
        }
    }
}

fn any_action(
    asker: &Asker<'_>,
    actions: &[(&str, Synthetic)],
    kind: RequestKind,
    prefixes: &[&str],
    what: &str,
) -> Answer<ActionDetails> {
    let names: Vec<ActionName> = actions.iter().map(|(a, _)| action(a)).collect();
    let refs: Vec<&ActionName> = names.iter().collect();
    asker.over_targets(&refs, |target| {
        let base = asker.base_context(target, kind);
        let probes: Vec<Probe> = names
            .iter()
            .zip(actions)
            .map(|(a, (_, resource))| {
                best_over_tags(asker, a, &resource.arn(target), prefixes, &base)
            })
            .collect();
        let decisive = probes
            .iter()
            .cloned()
            .reduce(worst)
            .unwrap_or_else(|| Probe::denied(&names[0], "", String::new()));
        let allowed: Vec<&str> = probes
            .iter()
            .filter(|p| p.verdict != Verdict::No)
            .map(|p| p.action.as_str())
            .collect();
        let headline = match decisive.verdict {
            Verdict::Yes => format!("{what}: {} allowed", allowed.join(", ")),
            Verdict::Conditional => format!(
                "{what}: {} allowed depending on unknown context",
                allowed.join(", ")
            ),
            Verdict::Indeterminate => format!("{what}: cannot decide"),
            Verdict::No => format!(
                "{what}: none of {} is allowed",
                names
                    .iter()
                    .map(ActionName::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        decisive.answer(
            &headline,
            ActionDetails {
                actions: probes.clone(),
            },
        )
    })
}

/// IAM006: can the principal use EC2 Instance Connect (`SendSSHPublicKey`,
/// `SendSerialConsoleSSHPublicKey`, `OpenTunnel`) on some instance or endpoint?
pub fn instance_connect(set: &PolicySet, env: &QueryEnv) -> Answer<ActionDetails> {
    let asker = Asker { set, env };
    any_action(
        &asker,
        &[
            ("ec2-instance-connect:SendSSHPublicKey", Synthetic::Instance),
            (
                "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
                Synthetic::Instance,
            ),
            (
                "ec2-instance-connect:OpenTunnel",
                Synthetic::ConnectEndpoint,
            ),
        ],
        RequestKind::InstanceConnect,
        &EC2_TAG_PREFIXES,
        "EC2 Instance Connect",
    )
}

/// IAM007: can the principal change the Session Manager preferences document
/// (`SSM-SessionManagerRunShell`) and so switch logging and encryption off?
pub fn preferences_tamper(set: &PolicySet, env: &QueryEnv) -> Answer<ActionDetails> {
    let asker = Asker { set, env };
    any_action(
        &asker,
        &[
            ("ssm:UpdateDocument", Synthetic::PreferencesDocument),
            ("ssm:CreateDocument", Synthetic::PreferencesDocument),
            ("ssm:DeleteDocument", Synthetic::PreferencesDocument),
            (
                "ssm:UpdateDocumentDefaultVersion",
                Synthetic::PreferencesDocument,
            ),
        ],
        RequestKind::DocumentWrite,
        &SSM_TAG_PREFIXES,
        "changing the Session Manager preferences",
    )
}

// ---------------------------------------------------------------------------------------
// MFA

/// Details of [`start_session_without_mfa`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct MfaDetails {
    /// `StartSession` with long-term credentials (`aws:MultiFactorAuthPresent` absent).
    pub without_mfa_long_term: Probe,
    /// `StartSession` from a session without MFA (`aws:MultiFactorAuthPresent` = false).
    pub without_mfa_session: Probe,
    /// `StartSession` from a session with MFA.
    pub with_mfa: Verdict,
    /// Allow statements for `StartSession` that test `aws:MultiFactorAuthPresent` or
    /// `aws:MultiFactorAuthAge`.
    pub allows_requiring_mfa: Vec<StatementRef>,
    /// Deny statements for `StartSession` that test those keys.
    pub denies_on_mfa: Vec<StatementRef>,
}

/// IAM008: can the principal start sessions without MFA?
pub fn start_session_without_mfa(set: &PolicySet, env: &QueryEnv) -> Answer<MfaDetails> {
    let start = action("ssm:StartSession");
    let asker = Asker { set, env };
    let mfa_keys = ["aws:multifactorauthpresent", "aws:multifactorauthage"];
    let mut allows_requiring_mfa = Vec::new();
    let mut denies_on_mfa = Vec::new();
    for (r, st) in asker.statements_for(&start) {
        if st
            .conditions
            .iter()
            .any(|c| mfa_keys.contains(&&*c.key_lower))
        {
            match r.effect {
                Effect::Allow => allows_requiring_mfa.push(r),
                Effect::Deny => denies_on_mfa.push(r),
            }
        }
    }
    asker.over_targets(&[&start], |target| {
        let base = asker
            .base_context(target, RequestKind::Ssm)
            .with("ssm:SessionDocumentAccessCheck", "true");
        let with = |present: Option<&str>, age: Option<&str>| {
            let mut b = base.clone();
            match present {
                Some(v) => b.insert("aws:MultiFactorAuthPresent", v),
                None => b.set_absent("aws:MultiFactorAuthPresent"),
            };
            match age {
                Some(v) => b.insert("aws:MultiFactorAuthAge", v),
                None => b.set_absent("aws:MultiFactorAuthAge"),
            };
            best_over_tags(&asker, &start, &target.instance(), &SSM_TAG_PREFIXES, &b)
        };
        let long_term = with(None, None);
        let session = with(Some("false"), None);
        let with_mfa = with(Some("true"), Some("60")).verdict;
        let decisive = worst(long_term.clone(), session.clone());
        let headline = match decisive.verdict {
            Verdict::Yes => "sessions can be started without MFA".to_owned(),
            Verdict::Conditional => {
                "starting sessions without MFA depends on unknown context".to_owned()
            }
            Verdict::Indeterminate => "cannot decide whether sessions need MFA".to_owned(),
            Verdict::No if with_mfa == Verdict::No => {
                "sessions cannot be started at all".to_owned()
            }
            Verdict::No => "starting a session requires MFA".to_owned(),
        };
        decisive.answer(
            &headline,
            MfaDetails {
                without_mfa_long_term: long_term,
                without_mfa_session: session,
                with_mfa,
                allows_requiring_mfa: allows_requiring_mfa.clone(),
                denies_on_mfa: denies_on_mfa.clone(),
            },
        )
    })
}

/// The seven answers for one policy set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionManagerAnswers {
    pub tag_scoping: Answer<TagScopingDetails>,
    pub end_others_sessions: Answer<SessionEndingDetails>,
    pub session_documents: Answer<DocumentDetails>,
    pub send_command_shell: Answer<SendCommandDetails>,
    pub instance_connect: Answer<ActionDetails>,
    pub preferences_tamper: Answer<ActionDetails>,
    pub without_mfa: Answer<MfaDetails>,
}

/// Answers all seven questions.
pub fn all(set: &PolicySet, env: &QueryEnv) -> SessionManagerAnswers {
    SessionManagerAnswers {
        tag_scoping: start_session_tag_scoping(set, env),
        end_others_sessions: end_others_sessions(set, env),
        session_documents: session_documents(set, env),
        send_command_shell: send_command_shell(set, env),
        instance_connect: instance_connect(set, env),
        preferences_tamper: preferences_tamper(set, env),
        without_mfa: start_session_without_mfa(set, env),
    }
}
