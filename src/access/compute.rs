//! Computing the map: every (principal, managed instance, path) of each account, with
//! `decide` (no allocation per request), on every core.
//!
//! What makes 1,000 principals × 1,000 instances fast:
//! - policy sets are built once per principal (`AccountPolicies` parses each managed policy
//!   once and shares it);
//! - base contexts are built once per principal and region, and each instance's tag context
//!   once, shared by every principal;
//! - document checks do not depend on the instance (documents carry no resource tags in a
//!   `StartSession` or `SendCommand` request): one decision per principal, region and
//!   document;
//! - a principal whose identity policies name none of a path's actions is skipped for that
//!   path without evaluating anything;
//! - principals are spread over the available cores (`std::thread::scope`).
//!
//! The per-instance requests are then: `StartSession` on the target, `SendCommand` on the
//! target, and the two EC2 Instance Connect actions — each combined with the document
//! decisions of its path (the two authorizations; the default shell document only when
//! `ssm:SessionDocumentAccessCheck` is enforced, see `policy::requests`).

use std::sync::Arc;

use super::instances::{region_instances, tag_contexts};
use super::principals::{PrincipalState, allow_all, facts, named_set};
use super::trust::{self, TrustPlan};
use super::{
    Access, AccessMap, Cell, Instance, MapGap, Path, Principal, PrincipalKind, TargetKind, both,
};
use crate::model::{DocumentOwner, Section, Snapshot};
use crate::policy::requests::{
    self, AccessCheck, RequestKind, access_check_enforced, access_check_shape,
    account_document_arn, action, aws_document_arn, identity_mentions, scan_time_context,
    without_start_session_facts,
};
use crate::policy::{AccountPolicies, ActionName, Context, Request, decide};

/// The default shell document (also the Session Manager preferences).
pub(crate) const DEFAULT_SHELL: &str = "SSM-SessionManagerRunShell";
const PORT_DOCUMENTS: [&str; 2] = [
    "AWS-StartPortForwardingSession",
    "AWS-StartPortForwardingSessionToRemoteHost",
];
const SSH_DOCUMENT: &str = "AWS-StartSSHSession";
const COMMAND_SESSION_DOCUMENTS: [&str; 2] = [
    "AWS-StartInteractiveCommand",
    "AWS-StartNonInteractiveCommand",
];
const SHELL_COMMAND_DOCUMENTS: [&str; 2] = ["AWS-RunShellScript", "AWS-RunPowerShellScript"];
/// Means per region are indexed by the bits of a `u32`.
const MAX_MEANS: usize = 32;

/// How one means of a path is authorized.
#[derive(Debug, Clone)]
pub(crate) enum MeansKind {
    /// `ssm:StartSession` on the target and on this document.
    SessionDocument { arn: String, default_shell: bool },
    /// `ssm:SendCommand` on the target and on this document.
    CommandDocument { arn: String },
    /// One `ec2-instance-connect` action on the instance.
    Action { action: ActionName },
}

/// One way to take a path: a document or an action.
#[derive(Debug, Clone)]
pub(crate) struct Means {
    pub(crate) path: Path,
    pub(crate) label: String,
    pub(crate) kind: MeansKind,
}

/// The requests of one region of one account.
pub(crate) struct RegionPlan {
    pub(crate) account: String,
    pub(crate) means: Vec<Means>,
    /// Scan-time bases (before principal facts): `StartSession` (with the document access
    /// check fact), other Session Manager actions, EC2 Instance Connect.
    pub(crate) start_base: Context,
    pub(crate) ssm_base: Context,
    pub(crate) connect_base: Context,
    /// Indexes of the region's instances in the map.
    pub(crate) instances: Vec<u32>,
}

/// Everything needed to explain cells after the matrix is computed.
pub(crate) struct Prepared {
    pub(crate) states: Vec<PrincipalState>,
    pub(crate) regions: Vec<RegionPlan>,
    /// Per instance: its region plan and its (Session Manager, Instance Connect) contexts.
    pub(crate) instance_region: Vec<u32>,
    pub(crate) instance_contexts: Vec<(Context, Context)>,
    pub(crate) access_checks: Vec<AccessCheck>,
    pub(crate) actions: Actions,
    /// Per principal: (region plan, its base contexts) for the regions of its account.
    pub(crate) principal_bases: Vec<Vec<(usize, Arc<[Context; 3]>)>>,
}

impl Prepared {
    pub(crate) fn via(&self, cell: &Cell) -> Vec<&str> {
        let Some(plan) = self
            .instance_region
            .get(cell.instance as usize)
            .and_then(|r| self.regions.get(*r as usize))
        else {
            return Vec::new();
        };
        plan.means
            .iter()
            .enumerate()
            .filter(|(i, _)| cell.via & (1 << i) != 0)
            .map(|(_, m)| m.label.as_str())
            .collect()
    }

    /// The three bases of a principal in a region (principal facts added), built once.
    pub(crate) fn bases(&self, principal: usize, region: usize) -> Arc<[Context; 3]> {
        self.principal_bases
            .get(principal)
            .and_then(|list| list.iter().find(|(r, _)| *r == region))
            .map_or_else(
                || Arc::new(self.build_bases(principal, region)),
                |(_, b)| b.clone(),
            )
    }

    fn build_bases(&self, principal: usize, region: usize) -> [Context; 3] {
        let plan = &self.regions[region];
        let facts = &self.states[principal].facts;
        [&plan.start_base, &plan.ssm_base, &plan.connect_base].map(|b| {
            let mut ctx = b.clone();
            ctx.extend_from(facts);
            ctx
        })
    }
}

/// The action names, parsed once.
pub(crate) struct Actions {
    pub(crate) start: ActionName,
    pub(crate) send: ActionName,
}

/// The account's own session documents by session type (`Standard_Stream`, `Port`, …),
/// the preferences document excepted (it is the default shell).
fn custom_session_documents<'r>(
    region: &'r crate::model::Region,
    account: &str,
    gaps: &mut Vec<MapGap>,
) -> Vec<&'r crate::model::SsmDocument> {
    match &region.ssm_documents {
        Section::Collected(docs) => docs
            .iter()
            .filter(|d| {
                d.owner == DocumentOwner::Account
                    && d.document_type.eq_ignore_ascii_case("Session")
                    && !d.is_preferences()
            })
            .collect(),
        Section::NotCollected(gap) => {
            gaps.push(MapGap {
                account: Some(account.to_owned()),
                region: Some(region.name.clone()),
                principal: None,
                message: format!(
                    "SSM documents not collected ({}): custom session documents are not mapped",
                    gap.describe()
                ),
            });
            Vec::new()
        }
    }
}

/// The means of every path in a region: the default shell, then documents by path (AWS's
/// and the account's custom session documents), `SendCommand`'s shell documents and the
/// Instance Connect actions.
fn means_for_region(
    partition: &str,
    region: &crate::model::Region,
    account: &str,
    gaps: &mut Vec<MapGap>,
) -> Vec<Means> {
    let session = |path: Path, name: &str, arn: String, default_shell: bool| Means {
        path,
        label: name.to_owned(),
        kind: MeansKind::SessionDocument { arn, default_shell },
    };
    let aws_doc = |name: &str| aws_document_arn(partition, &region.name, name);
    let own_doc = |name: &str| account_document_arn(partition, &region.name, account, name);
    let custom = custom_session_documents(region, account, gaps);
    let custom_of = |types: &[&str]| -> Vec<&str> {
        custom
            .iter()
            .filter(|d| {
                d.session_type
                    .as_deref()
                    .is_some_and(|t| types.iter().any(|x| t.eq_ignore_ascii_case(x)))
            })
            .map(|d| d.name.as_str())
            .collect()
    };
    let mut means = vec![session(
        Path::Shell,
        DEFAULT_SHELL,
        own_doc(DEFAULT_SHELL),
        true,
    )];
    let groups: [(Path, &[&str], &[&str]); 4] = [
        (Path::Shell, &[], &["Standard_Stream"]),
        (Path::PortForwarding, &PORT_DOCUMENTS, &["Port"]),
        (Path::Ssh, &[SSH_DOCUMENT], &[]),
        (
            Path::InteractiveCommand,
            &COMMAND_SESSION_DOCUMENTS,
            &["InteractiveCommands", "NonInteractiveCommands"],
        ),
    ];
    for (path, aws_names, custom_types) in groups {
        for name in aws_names {
            means.push(session(path, name, aws_doc(name), false));
        }
        if !custom_types.is_empty() {
            for name in custom_of(custom_types) {
                means.push(session(path, name, own_doc(name), false));
            }
        }
    }
    for name in SHELL_COMMAND_DOCUMENTS {
        means.push(Means {
            path: Path::SendCommand,
            label: name.to_owned(),
            kind: MeansKind::CommandDocument { arn: aws_doc(name) },
        });
    }
    for name in [
        requests::SEND_SSH_PUBLIC_KEY,
        requests::SEND_SERIAL_CONSOLE_SSH_PUBLIC_KEY,
    ] {
        means.push(Means {
            path: Path::InstanceConnect,
            label: name.to_owned(),
            kind: MeansKind::Action {
                action: action(name),
            },
        });
    }
    if means.len() > MAX_MEANS {
        // Keep the fixed means (AWS documents, actions): drop custom documents beyond the
        // limit, and say so.
        let mut kept = Vec::with_capacity(MAX_MEANS);
        let mut dropped = Vec::new();
        let fixed = means.iter().filter(|m| !is_custom(m, account)).count();
        let mut room = MAX_MEANS.saturating_sub(fixed);
        for m in means {
            if !is_custom(&m, account) {
                kept.push(m);
            } else if room > 0 {
                room -= 1;
                kept.push(m);
            } else {
                dropped.push(m.label);
            }
        }
        gaps.push(MapGap {
            account: Some(account.to_owned()),
            region: Some(region.name.clone()),
            principal: None,
            message: format!(
                "more custom session documents than the map can track; not mapped: {}",
                dropped.join(", ")
            ),
        });
        means = kept;
    }
    means
}

/// A custom document of the account (not the default shell, not AWS's).
fn is_custom(means: &Means, account: &str) -> bool {
    match &means.kind {
        MeansKind::SessionDocument { arn, default_shell } => {
            !*default_shell && arn.contains(&format!(":{account}:document/"))
        }
        _ => false,
    }
}

fn empty_map() -> AccessMap {
    AccessMap {
        accounts: Vec::new(),
        instances: Vec::new(),
        principals: Vec::new(),
        cells: Vec::new(),
        gaps: Vec::new(),
        notes: Vec::new(),
        prepared: Prepared {
            states: Vec::new(),
            regions: Vec::new(),
            instance_region: Vec::new(),
            instance_contexts: Vec::new(),
            access_checks: Vec::new(),
            principal_bases: Vec::new(),
            actions: Actions {
                start: action(requests::START_SESSION),
                send: action(requests::SEND_COMMAND),
            },
        },
    }
}

/// Adds the managed instances of an account, region by region, with their request plans.
fn add_instances(map: &mut AccessMap, account: &crate::model::Account) {
    for region in &account.regions {
        let mut found = region_instances(account, region);
        map.gaps.append(&mut found.gaps);
        map.notes.append(&mut found.notes);
        if found.instances.is_empty() {
            continue;
        }
        let means = means_for_region(&account.partition, region, &account.id, &mut map.gaps);
        let mut start_base = scan_time_context(RequestKind::Ssm, &region.name, &account.id);
        start_base.insert(requests::DOCUMENT_ACCESS_CHECK, "true");
        let mut ssm_base = scan_time_context(RequestKind::Ssm, &region.name, &account.id);
        without_start_session_facts(&mut ssm_base);
        let plan_index = u32::try_from(map.prepared.regions.len()).unwrap_or(u32::MAX);
        let mut indexes = Vec::with_capacity(found.instances.len());
        for instance in found.instances {
            indexes.push(u32::try_from(map.instances.len()).unwrap_or(u32::MAX));
            map.prepared.instance_contexts.push(tag_contexts(&instance));
            map.prepared.instance_region.push(plan_index);
            map.instances.push(instance);
        }
        map.prepared.regions.push(RegionPlan {
            account: account.id.clone(),
            means,
            start_base,
            ssm_base,
            connect_base: scan_time_context(
                RequestKind::InstanceConnect,
                &region.name,
                &account.id,
            ),
            instances: indexes,
        });
    }
}

/// Adds the users and roles of an account (with their policy sets and trust analyses); the
/// roles' trust plans are returned for the assumer pass. Problems shared by many principals
/// (unreadable SCPs) become one gap.
fn add_principals<'s>(
    map: &mut AccessMap,
    account: &'s crate::model::Account,
    iam: &'s crate::model::Iam,
    allow_all: &std::sync::Arc<crate::policy::Policy>,
) -> Vec<(usize, TrustPlan, &'s crate::model::Role)> {
    let policies = AccountPolicies::new(&account.id, iam, &account.organization);
    if let Section::NotCollected(gap) = &account.organization {
        // SCPs only ever deny: without them the map shows a superset of the real grants,
        // so nothing is hidden. Said once, not counted as a gap.
        map.notes.push(format!(
            "account {}: the organization's SCPs could not be read ({}); the map shows what identity policies and boundaries allow, and an SCP may deny some of it",
            account.id,
            gap.describe()
        ));
    }
    let problems_of = |built: &crate::policy::BuiltSet| -> Vec<String> {
        built
            .problems
            .iter()
            .filter(|p| !matches!(p, crate::policy::SetProblem::OrganizationUnknown))
            .map(ToString::to_string)
            .collect()
    };
    let mut problems_seen: Vec<(String, Vec<String>)> = Vec::new();
    let mut note = |arn: &str, problems: &[String]| {
        for problem in problems {
            match problems_seen.iter_mut().find(|(p, _)| p == problem) {
                Some((_, who)) => who.push(arn.to_owned()),
                None => problems_seen.push((problem.clone(), vec![arn.to_owned()])),
            }
        }
    };
    let mut users: Vec<&crate::model::User> = iam.users.iter().collect();
    users.sort_by(|a, b| a.arn.cmp(&b.arn));
    for user in users {
        let built = policies.user(user);
        let problems = problems_of(&built);
        note(&user.arn, &problems);
        map.prepared.states.push(PrincipalState {
            named_set: named_set(&built.set, allow_all),
            facts: facts(
                PrincipalKind::User,
                &user.tags,
                false,
                &account.organization,
            ),
            set: built.set,
        });
        map.principals.push(Principal {
            arn: user.arn.clone(),
            kind: PrincipalKind::User,
            account: account.id.clone(),
            name: user.name.clone(),
            groups: user.groups.clone(),
            permissions_boundary: user.permissions_boundary.clone(),
            trust: None,
            service_path: false,
            problems,
        });
    }
    let mut plans = Vec::new();
    let mut roles: Vec<&crate::model::Role> = iam.roles.iter().collect();
    roles.sort_by(|a, b| a.arn.cmp(&b.arn));
    for role in roles {
        let built = policies.role(role);
        let mut problems = problems_of(&built);
        let (role_trust, plan) = trust::analyze(role, &account.id);
        problems.extend(role_trust.problem.clone());
        note(&role.arn, &problems);
        map.prepared.states.push(PrincipalState {
            named_set: named_set(&built.set, allow_all),
            facts: facts(
                PrincipalKind::Role,
                &role.tags,
                role_trust.session_tags,
                &account.organization,
            ),
            set: built.set,
        });
        plans.push((map.principals.len(), plan, role));
        map.principals.push(Principal {
            arn: role.arn.clone(),
            kind: PrincipalKind::Role,
            account: account.id.clone(),
            name: role.name.clone(),
            groups: Vec::new(),
            permissions_boundary: role.permissions_boundary.clone(),
            service_path: role.is_service_linked() || role_trust.service_only(),
            trust: Some(role_trust),
            problems,
        });
    }
    map.gaps.extend(problem_gaps(&account.id, problems_seen));
    plans
}

/// One gap per distinct problem of an account's principals (a missing managed policy
/// attached to many roles is said once, with how many it affects).
fn problem_gaps(account: &str, problems: Vec<(String, Vec<String>)>) -> Vec<MapGap> {
    problems
        .into_iter()
        .map(|(problem, who)| {
            let (principal, message) = match who.as_slice() {
                [one] => (
                    Some(one.clone()),
                    format!("policies incomplete, its cells may be wrong: {problem}"),
                ),
                many => (
                    None,
                    format!(
                        "policies of {} principals incomplete, their cells may be wrong: {problem}",
                        many.len()
                    ),
                ),
            };
            MapGap {
                account: Some(account.to_owned()),
                region: None,
                principal,
                message,
            }
        })
        .collect()
}

/// Builds the map of a snapshot.
pub fn compute(snapshot: &Snapshot) -> AccessMap {
    let mut map = empty_map();
    let allow_all = allow_all();
    // (role index in map.principals, trust plan, the role) for the assumer pass.
    let mut plans: Vec<(usize, TrustPlan, &crate::model::Role)> = Vec::new();
    for account in &snapshot.accounts {
        map.accounts.push(account.id.clone());
        let account_gap = |message: String| MapGap {
            account: Some(account.id.clone()),
            region: None,
            principal: None,
            message,
        };
        if let Some(not) = &account.not_collected {
            map.gaps.push(account_gap(format!(
                "the account could not be collected: {}",
                not.describe()
            )));
            continue;
        }
        add_instances(&mut map, account);
        match &account.iam {
            Section::Collected(iam) => {
                plans.extend(add_principals(&mut map, account, iam, &allow_all));
            }
            Section::NotCollected(gap) => map.gaps.push(account_gap(format!(
                "IAM not collected ({}): nobody who can reach the account's instances is known",
                gap.describe()
            ))),
        }
    }
    map.prepared.access_checks = map
        .prepared
        .states
        .iter()
        .map(|s| access_check_shape(&s.set))
        .collect();
    let principal_bases: Vec<Vec<(usize, Arc<[Context; 3]>)>> = (0..map.principals.len())
        .map(|p| {
            map.prepared
                .regions
                .iter()
                .enumerate()
                .filter(|(_, plan)| plan.account == map.principals[p].account)
                .map(|(r, _)| (r, Arc::new(map.prepared.build_bases(p, r))))
                .collect()
        })
        .collect();
    map.prepared.principal_bases = principal_bases;
    map.cells = matrix(&map);
    // Same-account assumers of every role.
    let assumers = parallel(plans.len(), |i| {
        let (index, plan, role) = &plans[i];
        let account = &map.principals[*index].account;
        let candidates: Vec<(&str, &str, &PrincipalState)> = map
            .principals
            .iter()
            .zip(&map.prepared.states)
            .filter(|(p, _)| &p.account == account)
            .map(|(p, s)| (p.arn.as_str(), p.account.as_str(), s))
            .collect();
        vec![(*index, trust::assumers(plan, role, &candidates))]
    });
    for (index, list) in assumers {
        if let Some(t) = map.principals[index].trust.as_mut() {
            t.assumers = list;
        }
    }
    map
}

/// Runs `work(i)` for `0..n` on the available cores and concatenates the results in order.
pub(crate) fn parallel<T: Send>(n: usize, work: impl Fn(usize) -> Vec<T> + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n.max(1));
    if threads <= 1 {
        return (0..n).flat_map(&work).collect();
    }
    let work = &work;
    let mut parts: Vec<Vec<(usize, Vec<T>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| (i, work(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            // A worker that panicked must not leave its grants silently out of the map.
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut all: Vec<(usize, Vec<T>)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().flat_map(|(_, v)| v).collect()
}

fn matrix(map: &AccessMap) -> Vec<Cell> {
    let mut cells = parallel(map.principals.len(), |p| principal_cells(map, p));
    cells.sort_by_key(|c| (c.instance, c.principal, c.path));
    cells
}

/// What a principal's identity policies can possibly grant, to skip whole paths.
struct Mentions {
    start: bool,
    send: bool,
    connect: [bool; 2],
}

/// What one principal's requests in one region share.
struct PrincipalRegion<'a> {
    set: &'a crate::policy::PolicySet,
    access_check: AccessCheck,
    mentions: &'a Mentions,
    actions: &'a Actions,
    plan: &'a RegionPlan,
    start_base: &'a Context,
    ssm_base: &'a Context,
    connect_base: &'a Context,
    /// Per means: the document decision (instance-independent).
    documents: Vec<Option<Access>>,
}

impl PrincipalRegion<'_> {
    /// The best access per path on one instance, with the means that grant it.
    fn instance(
        &self,
        instance: &Instance,
        contexts: &(Context, Context),
    ) -> ([Option<Access>; 6], [u32; 6]) {
        let (ssm_ctx, connect_ctx) = contexts;
        let set = self.set;
        let mut best: [Option<Access>; 6] = [None; 6];
        let mut via = [0u32; 6];
        let target = |enabled: bool, action: &ActionName, base: &Context| {
            if !enabled {
                return None;
            }
            let req = Request::new(action, &instance.arn, ssm_ctx).with_base_context(base);
            Access::of(decide(set, &req))
        };
        let start_target = target(self.mentions.start, &self.actions.start, self.start_base);
        let send_target = target(self.mentions.send, &self.actions.send, self.ssm_base);
        for (bit, means) in self.plan.means.iter().enumerate() {
            let access = match &means.kind {
                MeansKind::SessionDocument { default_shell, .. } => {
                    if start_target.is_none() {
                        continue;
                    }
                    let needs_grant = !*default_shell
                        || match self.access_check {
                            AccessCheck::Never => false,
                            AccessCheck::Always => true,
                            AccessCheck::PerInstance => access_check_enforced(set, &instance.arn),
                        };
                    if needs_grant {
                        both(start_target, self.documents[bit])
                    } else {
                        start_target
                    }
                }
                MeansKind::CommandDocument { .. } => both(send_target, self.documents[bit]),
                MeansKind::Action { action } => {
                    let k = usize::from(action.as_str() != requests::SEND_SSH_PUBLIC_KEY);
                    if instance.kind != TargetKind::Ec2Instance || !self.mentions.connect[k] {
                        continue;
                    }
                    let req = Request::new(action, &instance.arn, connect_ctx)
                        .with_base_context(self.connect_base);
                    Access::of(decide(set, &req))
                }
            };
            if access.is_some() {
                let slot = means.path as usize;
                best[slot] = best[slot].max(access);
                via[slot] |= 1 << bit;
            }
        }
        (best, via)
    }
}

/// One principal's non-denied cells.
fn principal_cells(map: &AccessMap, p: usize) -> Vec<Cell> {
    let prepared = &map.prepared;
    let set = &prepared.states[p].set;
    let actions = &prepared.actions;
    let mentions = Mentions {
        start: identity_mentions(set, &actions.start),
        send: identity_mentions(set, &actions.send),
        connect: [
            identity_mentions(set, &action(requests::SEND_SSH_PUBLIC_KEY)),
            identity_mentions(set, &action(requests::SEND_SERIAL_CONSOLE_SSH_PUBLIC_KEY)),
        ],
    };
    if !mentions.start && !mentions.send && !mentions.connect.iter().any(|m| *m) {
        return Vec::new();
    }
    let principal_index = u32::try_from(p).unwrap_or(u32::MAX);
    let mut out = Vec::new();
    let empty = Context::new();
    for (r, plan) in prepared.regions.iter().enumerate() {
        if plan.account != map.principals[p].account {
            continue;
        }
        let bases = prepared.bases(p, r);
        let [start_base, ssm_base, connect_base] = &*bases;
        // Document checks do not depend on the instance.
        let documents: Vec<Option<Access>> = plan
            .means
            .iter()
            .map(|m| match &m.kind {
                MeansKind::SessionDocument { arn, .. } if mentions.start => Access::of(decide(
                    set,
                    &Request::new(&actions.start, arn, &empty).with_base_context(start_base),
                )),
                MeansKind::CommandDocument { arn } if mentions.send => Access::of(decide(
                    set,
                    &Request::new(&actions.send, arn, &empty).with_base_context(ssm_base),
                )),
                _ => None,
            })
            .collect();
        let region = PrincipalRegion {
            set,
            access_check: prepared.access_checks[p],
            mentions: &mentions,
            actions,
            plan,
            start_base,
            ssm_base,
            connect_base,
            documents,
        };
        for &i in &plan.instances {
            let (best, via) = region.instance(
                &map.instances[i as usize],
                &prepared.instance_contexts[i as usize],
            );
            for path in Path::ALL {
                if let Some(access) = best[path as usize] {
                    out.push(Cell {
                        instance: i,
                        principal: principal_index,
                        path,
                        access,
                        via: via[path as usize],
                    });
                }
            }
        }
    }
    out
}
