//! IAM009 instance-role-overprivileged: a role in an instance profile has the managed policy
//! `AmazonSSMFullAccess` or the deprecated `AmazonEC2RoleforSSM` attached, or its effective
//! permissions give the instances it runs on Session Manager control-plane powers that the
//! agent never needs (`AmazonSSMManagedInstanceCore` grants none of them):
//!
//! - `ssm:StartSession` on instances that are not tag-scoped (the IAM001 question);
//! - `ssm:SendCommand` with a shell document on such instances (IAM005);
//! - ending other principals' sessions (IAM002);
//! - changing `SSM-SessionManagerRunShell` (IAM007);
//! - `ssm:PutParameter` on an untagged parameter in a region of the account.
//!
//! `ssm:*` on `*` gives all five; the sample stands for "ssm:* on *" because each of them
//! turns one compromised instance into a foothold on the others or on their logging. The
//! attachment check is certain whatever else is unknown; the effective check follows the
//! verdict rules of every IAM rule (`builtin::iam`).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::iam::{
    Judged, Subject, SubjectKind, account_readable, and_list, most_permissive, profiles_by_role,
    rank,
};
use crate::finding::ResourceRef;
use crate::model::{InstanceProfile, Role, unknown_reason};
use crate::policy::queries::Verdict;
use crate::policy::{ActionName, Context as RequestContext, Request, StatementRef, evaluate};
use crate::rules::{Check, Context, Emitter};

pub(crate) struct Iam009;

/// Managed policies an instance role must not have: (path and name, what is wrong).
const OVERPRIVILEGED: [(&str, &str); 2] = [
    ("/AmazonSSMFullAccess", "ssm:* on *"),
    (
        "/service-role/AmazonEC2RoleforSSM",
        "deprecated; s3:GetObject and s3:PutObject on every bucket",
    ),
];

impl Check for Iam009 {
    fn id(&self) -> &'static str {
        "IAM009"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        for account in &ctx.iam().accounts {
            if !account_readable(ctx, account, out) {
                continue;
            }
            let Ok(iam) = account.iam else { continue };
            for profile in &iam.instance_profiles {
                if let Some(reason) = unknown_reason(&profile.unknown, "roles") {
                    out.not_assessed(
                        profile_ref(ctx, account.account.id.as_str(), profile),
                        format!(
                            "instance profile {}: its role is unknown: {reason}",
                            profile.name
                        ),
                    )
                    .origin(profile.origin.as_ref());
                }
            }
            for (role, profiles) in profiles_by_role(iam) {
                match account.role(role) {
                    Some(subject) => {
                        subject.report(ctx, out, None, |s| judge(s, &profiles));
                    }
                    None => {
                        for name in &profiles {
                            let Some(profile) = iam.instance_profile(name) else {
                                continue;
                            };
                            out.not_assessed(
                                profile_ref(ctx, &account.account.id, profile),
                                format!(
                                    "instance profile {name} carries role {role}, which is not in the snapshot: its permissions cannot be judged"
                                ),
                            )
                            .origin(profile.origin.as_ref());
                        }
                    }
                }
            }
        }
    }
}

fn profile_ref(ctx: &Context<'_>, account: &str, profile: &InstanceProfile) -> ResourceRef {
    let mut r = ResourceRef::new("instance-profile", profile.name.clone()).in_account(account);
    if ctx.arns_are_real() && profile.arn.starts_with("arn:") {
        r = r.with_arn(profile.arn.clone());
    }
    r.with_address(profile.origin.as_ref().and_then(|o| o.address.clone()))
}

/// The attached policies of the role that an instance role must not have.
fn overprivileged(role: &Role) -> Vec<(&str, &'static str)> {
    role.attached_policies
        .iter()
        .filter_map(|arn| {
            let rest = arn.split_once(":iam::aws:policy")?.1;
            OVERPRIVILEGED
                .iter()
                .find(|(suffix, _)| rest == *suffix)
                .map(|(_, why)| (rest.rsplit('/').next().unwrap_or(rest), *why))
        })
        .collect()
}

/// One power the role gives its instances.
struct Capability {
    what: &'static str,
    verdict: Verdict,
    reason: String,
    statements: Vec<StatementRef>,
    conditions: Option<String>,
}

fn capabilities(subject: &Subject<'_>) -> Vec<Capability> {
    let from =
        |what, verdict, reason: &str, statements: &[StatementRef], conditions: Option<String>| {
            Capability {
                what,
                verdict,
                reason: reason.to_owned(),
                statements: statements.to_vec(),
                conditions,
            }
        };
    let tag = subject.tag_scoping();
    let send = subject.send_command_shell();
    let end = subject.end_others_sessions();
    let tamper = subject.preferences_tamper();
    let mut out = vec![
        from(
            "start sessions on instances that are not tag-scoped",
            tag.verdict,
            &tag.reason,
            &tag.statements,
            tag.conditional.as_ref().map(ToString::to_string),
        ),
        from(
            "run shell commands on them with ssm:SendCommand",
            send.verdict,
            &send.reason,
            &send.statements,
            send.conditional.as_ref().map(ToString::to_string),
        ),
        from(
            "end other principals' sessions",
            end.verdict,
            &end.reason,
            &end.statements,
            end.conditional.as_ref().map(ToString::to_string),
        ),
        from(
            "change the Session Manager preferences",
            tamper.verdict,
            &tamper.reason,
            &tamper.statements,
            tamper.conditional.as_ref().map(ToString::to_string),
        ),
    ];
    out.push(put_parameter(subject));
    out
}

/// `ssm:PutParameter` on an untagged parameter, in each region of the account (us-east-1
/// when the snapshot has none): the most permissive answer.
fn put_parameter(subject: &Subject<'_>) -> Capability {
    let account = subject.account();
    let mut regions: Vec<&str> = account.regions.iter().map(|r| r.name.as_str()).collect();
    if regions.is_empty() {
        regions.push("us-east-1");
    }
    let Ok(action) = ActionName::new("ssm:PutParameter") else {
        unreachable!("a valid action name")
    };
    let mut best: Option<Capability> = None;
    for region in regions {
        let arn = format!(
            "arn:{}:ssm:{region}:{}:parameter/nobastion-probe",
            account.partition, account.id
        );
        let mut context = RequestContext::scan_time();
        context
            .set_other_services_absent(&["ssm"])
            .insert("aws:RequestedRegion", region)
            .insert("aws:ResourceAccount", account.id.as_str())
            .insert("aws:SecureTransport", "true")
            .insert("aws:PrincipalIsAWSService", "false")
            .set_absent_prefix("aws:resourcetag/")
            .set_absent_prefix("ssm:resourcetag/")
            .set_absent_prefix("aws:requesttag/")
            .set_absent("aws:TagKeys");
        let e = evaluate(subject.set(), &Request::new(&action, &arn, &context));
        let verdict = match e.decision {
            crate::policy::Decision::Allowed => Verdict::Yes,
            crate::policy::Decision::Conditional => Verdict::Conditional,
            crate::policy::Decision::Indeterminate => Verdict::Indeterminate,
            crate::policy::Decision::ImplicitDeny | crate::policy::Decision::ExplicitDeny => {
                Verdict::No
            }
        };
        if best
            .as_ref()
            .is_none_or(|b| rank(verdict) > rank(b.verdict))
        {
            best = Some(Capability {
                what: "overwrite Parameter Store parameters",
                verdict,
                reason: e.reason,
                statements: e.statements,
                conditions: e.conditional.as_ref().map(ToString::to_string),
            });
        }
    }
    best.unwrap_or(Capability {
        what: "overwrite Parameter Store parameters",
        verdict: Verdict::No,
        reason: String::new(),
        statements: Vec::new(),
        conditions: None,
    })
}

fn judge(subject: &Subject<'_>, profiles: &[&str]) -> Judged {
    let SubjectKind::Role(role) = subject.kind else {
        unreachable!("IAM009 judges roles")
    };
    let attached = overprivileged(role);
    let caps = capabilities(subject);
    let verdict = most_permissive(caps.iter().map(|c| c.verdict));
    let granted: Vec<&Capability> = caps
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Yes | Verdict::Conditional))
        .collect();
    let details = json!({
        "instance_profiles": profiles,
        "overprivileged_policies": attached.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "capabilities": caps.iter().map(|c| json!({ "capability": c.what, "verdict": c.verdict })).collect::<Vec<Value>>(),
    });
    let profile_text = format!(
        "instance profile{} {}",
        if profiles.len() == 1 { "" } else { "s" },
        and_list(profiles)
    );
    let powers: Vec<&str> = granted.iter().map(|c| c.what).collect();
    let first = granted.first();
    let statements: Vec<StatementRef> = first.map(|c| c.statements.clone()).unwrap_or_default();
    let conditions = {
        let c: Vec<&str> = granted
            .iter()
            .filter_map(|c| c.conditions.as_deref())
            .collect();
        (!c.is_empty()).then(|| c.join("; and "))
    };
    if !attached.is_empty() {
        let names: Vec<String> = attached
            .iter()
            .map(|(name, why)| format!("{name} ({why})"))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut reason = format!(
            "{profile_text} gives its instances {} instead of AmazonSSMManagedInstanceCore",
            and_list(&names)
        );
        if let Some(first) = first {
            let _ = write!(
                reason,
                ": code on them can {}; {}",
                and_list(&powers),
                first.reason
            );
        }
        return Judged {
            verdict: Verdict::Yes,
            reason,
            statements,
            conditions,
            details,
            certain: true,
        };
    }
    let reason = match (verdict, first) {
        (Verdict::Yes | Verdict::Conditional, Some(first)) => format!(
            "{profile_text} lets code on its instances {}, which AmazonSSMManagedInstanceCore does not: {}",
            and_list(&powers),
            first.reason
        ),
        _ => caps
            .iter()
            .find(|c| c.verdict == Verdict::Indeterminate)
            .map(|c| c.reason.clone())
            .unwrap_or_default(),
    };
    Judged {
        verdict,
        reason,
        statements,
        conditions,
        details,
        certain: false,
    }
}
