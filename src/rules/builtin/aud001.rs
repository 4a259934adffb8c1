//! AUD001 cloudtrail-not-logging-everywhere: an account has no multi-region CloudTrail trail
//! that is logging and records write management events (`StartSession`, `TerminateSession`
//! are write events). Judged per account from the trails visible in its collected regions (a
//! multi-region or organization trail shows in every region). Not judged on partial (IaC)
//! snapshots, where the trail may be defined elsewhere.

use serde_json::json;

use crate::finding::ResourceRef;
use crate::model::{Account, Section, Trail, unknown_reason};
use crate::rules::{Check, Context, Emitter, gap_reason};

pub(crate) struct Aud001;

impl Check for Aud001 {
    fn id(&self) -> &'static str {
        "AUD001"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        if ctx.is_partial() {
            return;
        }
        for account in ctx.accounts() {
            judge(ctx, account, out);
        }
    }
}

fn judge(ctx: &Context<'_>, account: &Account, out: &mut Emitter<'_>) {
    let mut trails: Vec<&Trail> = Vec::new();
    let mut gaps = Vec::new();
    let mut collected_regions = 0usize;
    for region in account.regions.iter().filter(|r| r.not_collected.is_none()) {
        match &region.trails {
            Section::Collected(found) => {
                collected_regions += 1;
                for trail in found {
                    let seen = trails.iter().any(|t| {
                        t.name == trail.name
                            && t.home_region == trail.home_region
                            && t.arn == trail.arn
                    });
                    if !seen {
                        trails.push(trail);
                    }
                }
            }
            Section::NotCollected(gap) => {
                gaps.push(format!("{} ({})", gap_reason("trails", gap), region.name));
            }
        }
    }
    let account_ref = ctx.account_ref(account);
    if collected_regions == 0 {
        let reason = if gaps.is_empty() {
            "no region of the account was collected, so its trails are unknown".to_owned()
        } else {
            gaps.join("; ")
        };
        out.not_assessed(account_ref, reason);
        return;
    }
    let mut notes = Vec::new();
    let mut undecided = None;
    for trail in &trails {
        match qualifies(trail) {
            Verdict::Yes => {
                out.pass(trail_ref(ctx, account, trail))
                    .origin(trail.origin.as_ref());
                return;
            }
            Verdict::No(why) => notes.push(format!("trail {} {why}", trail.name)),
            Verdict::Unknown(why) => {
                undecided.get_or_insert(format!("trail {}: {why}", trail.name));
            }
        }
    }
    if let Some(reason) = undecided {
        out.not_assessed(account_ref, reason);
        return;
    }
    let found = if notes.is_empty() {
        "there is no trail at all".to_owned()
    } else {
        notes.join("; ")
    };
    out.fail(
        account_ref,
        format!(
            "Account {} has no multi-region CloudTrail trail that is logging management events: {found}; StartSession calls are only in the 90-day event history",
            account.id
        ),
    )
    .evidence(json!({ "account": account.id, "trails": trails }));
}

enum Verdict {
    Yes,
    No(String),
    Unknown(String),
}

fn qualifies(trail: &Trail) -> Verdict {
    for field in ["is_multi_region", "is_logging", "management_events"] {
        if let Some(reason) = unknown_reason(&trail.unknown, field) {
            return Verdict::Unknown(format!("`{field}` is unknown: {reason}"));
        }
    }
    let home = trail.home_region.as_deref().unwrap_or("its home region");
    if !trail.is_multi_region {
        return Verdict::No(format!("is single-region ({home})"));
    }
    match trail.is_logging {
        None => return Verdict::Unknown("its logging status could not be read".to_owned()),
        Some(false) => return Verdict::No("is not logging (stopped)".to_owned()),
        Some(true) => {}
    }
    match trail.management_events.as_deref() {
        Some("All" | "WriteOnly") => Verdict::Yes,
        Some(other) => Verdict::No(format!("records {other} management events only")),
        None => Verdict::No("records no management events".to_owned()),
    }
}

fn trail_ref(ctx: &Context<'_>, account: &Account, trail: &Trail) -> ResourceRef {
    let mut resource = ResourceRef::new("cloudtrail-trail", trail.name.clone())
        .in_account(account.id.clone())
        .with_address(trail.origin.as_ref().and_then(|o| o.address.clone()));
    if let Some(home) = &trail.home_region {
        resource = resource.in_region(home.clone());
    }
    if ctx.arns_are_real() {
        resource.arn.clone_from(&trail.arn);
    }
    resource
}
