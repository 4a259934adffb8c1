//! Live collection: reads an AWS account (or every account of an AWS Organization) with the
//! AWS SDK for Rust and fills the [`Snapshot`] the rules read. Nothing outside this module
//! knows the SDK's types.
//!
//! - Read-only by construction: only Describe*/Get*/List* calls, plus `sts:GetCallerIdentity`
//!   and `sts:AssumeRole` (docs/permissions.md lists them; a test checks every call made).
//! - Concurrent: accounts and regions are collected at the same time, bounded by
//!   `--concurrency`; within a region the services run side by side.
//! - Efficient: bulk and paginated APIs with the largest page sizes, each security group list
//!   read once per region, trail status once per trail, KMS keys and bucket details only
//!   for what the session-logging checks need.
//! - Fail closed: whatever cannot be read becomes a [`Gap`] in its section (or in the
//!   account/region), is listed in `metadata.errors`, and the rules report it as NB001.
//!
//! Used by the `collect` and `scan` commands (`crate::cli`). Service modules: [`ec2`],
//! [`iam`], [`ssm`], [`s3`], [`kms`], [`logs`], [`cloudtrail`], [`eventbridge`],
//! [`organizations`]; [`aws`] builds configured clients, [`calls`] records every call.

mod aws;
mod calls;
mod cloudtrail;
mod ec2;
mod error;
mod eventbridge;
mod iam;
mod kms;
mod logs;
mod organizations;
mod progress;
mod s3;
mod ssm;

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::Utc;
use futures_util::{StreamExt, stream};
use tokio::sync::Semaphore;

pub(crate) use aws::AwsOptions;
pub(crate) use calls::CallSummary;
pub(crate) use error::CollectError;
pub(crate) use progress::{ReportMode, Reporter};

use self::aws::{AccountClients, Aws};
use self::calls::ApiCalls;
use self::organizations::{MemberAccount, ScpReader};
use crate::model::{
    Account, Bucket, CallerIdentity, CollectionError, Gap, KmsKey, Metadata, Region, Section,
    Snapshot, SourceKind, Unknown,
};

/// Which regions to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegionChoice {
    /// The configured (home) region only.
    Home,
    /// These regions (`--regions`).
    List(Vec<String>),
    /// Every region enabled in the caller's account (`--all-regions`).
    All,
}

/// Organization-wide scan (`--org-role`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrgOptions {
    /// Role name assumed in each member account.
    pub(crate) role_name: String,
    pub(crate) external_id: Option<String>,
    /// Only these accounts (`--accounts`); empty means every active account.
    pub(crate) accounts: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CollectOptions {
    pub(crate) aws: AwsOptions,
    pub(crate) regions: RegionChoice,
    pub(crate) org: Option<OrgOptions>,
    /// How many account-regions (and account-wide steps) run at once.
    pub(crate) concurrency: usize,
}

/// The outcome of a collection: the snapshot and the API calls it took.
pub(crate) struct Collection {
    pub(crate) snapshot: Snapshot,
    pub(crate) calls: CallSummary,
}

/// Collect on a fresh multi-threaded runtime (the CLI is synchronous).
pub(crate) fn collect_blocking(
    options: &CollectOptions,
    reporter: &Arc<Reporter>,
) -> Result<Collection, CollectError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CollectError::Runtime)?;
    let calls = ApiCalls::new(Arc::clone(reporter));
    let snapshot = runtime.block_on(collect(options, reporter, &calls));
    reporter.finish();
    Ok(Collection {
        snapshot: snapshot?,
        calls: calls.summary(),
    })
}

/// Steps the progress bar counts: account-wide (IAM, bucket list, account public access
/// block, organization, details and keys) and per region (EC2, SSM, Logs, CloudWatch,
/// CloudTrail, EventBridge).
const ACCOUNT_STEPS: u64 = 5;
const REGION_STEPS: u64 = 6;

async fn collect(
    options: &CollectOptions,
    reporter: &Arc<Reporter>,
    calls: &Arc<ApiCalls>,
) -> Result<Snapshot, CollectError> {
    let started = Utc::now();
    let fallback = match &options.regions {
        RegionChoice::List(list) => list.first().map(String::as_str),
        _ => None,
    };
    let aws = Aws::load(&options.aws, fallback, Arc::clone(calls)).await?;
    let home = aws.home_region().to_owned();
    let shared = Arc::new(Shared {
        errors: Mutex::new(Vec::new()),
        reporter: Arc::clone(reporter),
        max_attempts: options.aws.max_attempts.max(1),
    });
    let setup = Scope {
        account: Arc::from("-"),
        region: Some(Arc::from(home.as_str())),
        shared: Arc::clone(&shared),
    };

    let caller_clients = aws.caller("-");
    let (caller, partition) = identify(&caller_clients, &setup, &home).await?;
    let caller_clients = caller_clients.with_account(&caller.account);
    let setup = Scope {
        account: Arc::from(caller.account.as_str()),
        ..setup
    };

    let regions = choose_regions(&options.regions, &caller_clients, &setup, &home).await?;

    let targets = match &options.org {
        None => vec![Target {
            id: caller.account.clone(),
            name: None,
            access: Access::Caller,
        }],
        Some(org) => {
            let members = organizations::list_accounts(&caller_clients.organizations(&home))
                .await
                .map_err(|err| {
                    CollectError::Organization(setup.make_gap("organizations:ListAccounts", &err))
                })?;
            org_targets(&members, org, &caller.account, &partition)
        }
    };
    let org_context = match &options.org {
        None => None,
        Some(_) => Some(Arc::new(
            OrgContext::management(&caller_clients, &setup, &home).await,
        )),
    };

    let region_count = regions.len() as u64;
    let account_count = targets.len() as u64;
    reporter.add_work(
        account_count,
        account_count * region_count,
        account_count * (ACCOUNT_STEPS + REGION_STEPS * region_count),
    );
    let context = Arc::new(RunContext {
        aws,
        caller_clients,
        home,
        partition,
        regions: regions.clone(),
        permits: Semaphore::new(options.concurrency.max(1)),
        org: org_context,
        external_id: options.org.as_ref().and_then(|o| o.external_id.clone()),
    });
    let accounts = stream::iter(targets)
        .map(|target| {
            let context = Arc::clone(&context);
            let scope = Scope {
                account: Arc::from(target.id.as_str()),
                region: None,
                shared: Arc::clone(&shared),
            };
            // Boxed: an account step holds every region's future, tens of kilobytes.
            async move { Box::pin(collect_account(&context, &scope, target)).await }
        })
        .buffered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;

    let errors = shared.sorted_errors();
    Ok(Snapshot {
        metadata: Metadata {
            source: SourceKind::Live,
            partial: false,
            description: None,
            tool_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            collected_at: Some(started),
            caller: Some(caller),
            regions,
            inputs: Vec::new(),
            errors,
        },
        accounts,
        ..Snapshot::default()
    })
}

/// Who is calling (sts:GetCallerIdentity) and in which partition. Without this nothing can
/// be collected, so a failure stops the run.
async fn identify(
    clients: &AccountClients,
    scope: &Scope,
    home: &str,
) -> Result<(CallerIdentity, String), CollectError> {
    let identity = clients
        .sts(home)
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| CollectError::Caller(scope.make_gap("sts:GetCallerIdentity", &err)))?;
    let caller = CallerIdentity {
        account: identity.account().unwrap_or_default().to_owned(),
        arn: identity.arn().unwrap_or_default().to_owned(),
        user_id: identity.user_id().unwrap_or_default().to_owned(),
    };
    if caller.account.is_empty() {
        return Err(CollectError::Caller(Gap::new(
            "GetCallerIdentity returned no account id",
        )));
    }
    let partition = crate::model::arn::Arn::parse(&caller.arn).map_or_else(
        || crate::model::arn::partition_of_region(home).to_owned(),
        |arn| arn.partition.to_owned(),
    );
    Ok((caller, partition))
}

/// The regions to read, sorted and without duplicates.
async fn choose_regions(
    choice: &RegionChoice,
    clients: &AccountClients,
    scope: &Scope,
    home: &str,
) -> Result<Vec<String>, CollectError> {
    Ok(match choice {
        RegionChoice::Home => vec![home.to_owned()],
        RegionChoice::List(list) => {
            let unique: BTreeSet<&String> = list.iter().collect();
            unique.into_iter().cloned().collect()
        }
        RegionChoice::All => {
            let status = ec2::region_status(&clients.ec2(home))
                .await
                .map_err(|err| {
                    CollectError::Regions(scope.make_gap("ec2:DescribeRegions", &err))
                })?;
            status
                .into_iter()
                .filter(|(_, s)| ec2::is_enabled(s))
                .map(|(name, _)| name)
                .collect()
        }
    })
}

/// What every account step shares.
struct RunContext {
    aws: Aws,
    caller_clients: AccountClients,
    home: String,
    partition: String,
    regions: Vec<String>,
    permits: Semaphore,
    org: Option<Arc<OrgContext>>,
    external_id: Option<String>,
}

/// An account to collect and how to reach it.
struct Target {
    id: String,
    name: Option<String>,
    access: Access,
}

enum Access {
    /// The caller's own credentials.
    Caller,
    /// Assume this role.
    AssumeRole(String),
    /// Cannot be collected, for this reason.
    Unavailable(Gap),
}

/// The accounts an organization scan covers: every active member (or the requested ones).
/// The caller's own account is read with the caller's credentials; a requested account
/// that is not an active member is kept, as not collected.
fn org_targets(
    members: &[MemberAccount],
    org: &OrgOptions,
    caller_account: &str,
    partition: &str,
) -> Vec<Target> {
    let target = |member: &MemberAccount| Target {
        id: member.id.clone(),
        name: member.name.clone(),
        access: if member.id == caller_account {
            Access::Caller
        } else if member.active {
            Access::AssumeRole(format!(
                "arn:{partition}:iam::{}:role/{}",
                member.id, org.role_name
            ))
        } else {
            Access::Unavailable(
                Gap::new("the account is not active in the organization")
                    .with_operation("organizations:ListAccounts"),
            )
        },
    };
    if org.accounts.is_empty() {
        return members.iter().filter(|m| m.active).map(target).collect();
    }
    let wanted: BTreeSet<&String> = org.accounts.iter().collect();
    wanted
        .into_iter()
        .map(|id| match members.iter().find(|m| &m.id == id) {
            Some(member) => target(member),
            None => Target {
                id: id.clone(),
                name: None,
                access: Access::Unavailable(
                    Gap::new("the account is not a member of the organization")
                        .with_operation("organizations:ListAccounts"),
                ),
            },
        })
        .collect()
}

/// The organization as the management account sees it, for organization scans.
struct OrgContext {
    description: Result<Option<(String, Option<String>)>, Gap>,
    reader: ScpReader,
}

impl OrgContext {
    async fn management(clients: &AccountClients, scope: &Scope, home: &str) -> Self {
        let client = clients.organizations(home);
        let description = organizations::describe(&client)
            .await
            .map_err(|err| scope.make_gap("organizations:DescribeOrganization", &err));
        OrgContext {
            description,
            reader: ScpReader::new(client),
        }
    }
}

/// An account whose data could not be read at all.
fn unavailable_account(id: &str, partition: &str, name: Option<String>, gap: Gap) -> Account {
    Account {
        id: id.to_owned(),
        partition: partition.to_owned(),
        name,
        not_collected: Some(gap.clone()),
        iam: Section::NotCollected(gap.clone()),
        organization: Section::NotCollected(gap.clone()),
        buckets: Section::NotCollected(gap.clone()),
        s3_public_access_block: Section::NotCollected(gap),
        regions: Vec::new(),
    }
}

async fn collect_account(context: &RunContext, scope: &Scope, target: Target) -> Account {
    let reporter = &scope.shared.reporter;
    let skipped_steps = ACCOUNT_STEPS + REGION_STEPS * context.regions.len() as u64;
    let clients = match &target.access {
        Access::Caller => context.caller_clients.clone(),
        Access::AssumeRole(role_arn) => {
            let assumed = {
                let _permit = context.permits.acquire().await;
                context
                    .aws
                    .assume_role(&target.id, role_arn, context.external_id.as_deref())
                    .await
            };
            match assumed {
                Ok(clients) => clients,
                Err(err) => {
                    let gap = scope.gap("sts:AssumeRole", &err);
                    reporter.steps_done(skipped_steps);
                    reporter.account_done();
                    return unavailable_account(&target.id, &context.partition, target.name, gap);
                }
            }
        }
        Access::Unavailable(gap) => {
            let gap = scope.record(gap.clone());
            reporter.steps_done(skipped_steps);
            reporter.account_done();
            return unavailable_account(&target.id, &context.partition, target.name, gap);
        }
    };
    let home = context.home.as_str();

    // Opt-in status, so a disabled region is reported as such instead of as a wall of
    // failed calls. If it cannot be read, every region is simply tried.
    let status = match ec2::region_status(&clients.ec2(home)).await {
        Ok(status) => Some(status),
        Err(err) => {
            let gap = scope.make_gap("ec2:DescribeRegions", &err);
            if reporter.verbose() {
                reporter.log(&format!(
                    "account {}: cannot read region opt-in status ({}); trying every region",
                    scope.account(),
                    gap.describe()
                ));
            }
            None
        }
    };

    let global = collect_global(context, &clients, scope);
    let regional = stream::iter(context.regions.iter())
        .map(|region| {
            let status = status.as_ref().and_then(|s| s.get(region)).cloned();
            collect_region_checked(context, &clients, scope, region, status)
        })
        .buffered(context.regions.len().max(1))
        .collect::<Vec<_>>();
    let ((iam, mut buckets, s3_public_access_block, organization), mut regions) =
        tokio::join!(global, regional);

    {
        let _permit = context.permits.acquire().await;
        if let Section::Collected(list) = &mut buckets {
            bucket_details(&clients, scope, home, &regions, list).await;
        }
        trail_details(&clients, scope, &context.regions, &mut regions).await;
        kms_keys(
            &clients,
            scope,
            &mut regions,
            buckets.as_option().map(Vec::as_slice),
        )
        .await;
    }
    scope.step_done();
    reporter.account_done();
    Account {
        id: target.id,
        partition: context.partition.clone(),
        name: target.name,
        not_collected: None,
        iam,
        organization,
        buckets,
        s3_public_access_block,
        regions,
    }
}

/// The account-wide parts: IAM, the bucket list, the account public access block and the
/// organization.
async fn collect_global(
    context: &RunContext,
    clients: &AccountClients,
    scope: &Scope,
) -> (
    Section<crate::model::Iam>,
    Section<Vec<Bucket>>,
    Section<Option<crate::model::PublicAccessBlock>>,
    Section<Option<crate::model::Organization>>,
) {
    let home = context.home.as_str();
    let _permit = context.permits.acquire().await;
    let iam_client = clients.iam(home);
    let (s3_client, control_client) = (clients.s3(home), clients.s3control(home));
    let (iam, buckets, access_block, organization) = tokio::join!(
        iam::collect(&iam_client, scope),
        s3::list_buckets(&s3_client, scope),
        s3::account_public_access_block(&control_client, scope),
        organization(context, clients, scope, home),
    );
    // IAM counts its own step; the other three count here.
    scope.shared.reporter.steps_done(3);
    (iam, buckets, access_block, organization)
}

/// The account's organization and SCP levels. In an organization scan they come from the
/// management account; otherwise the account is asked itself, which works from the
/// management account and fails (and is reported) from a member account.
async fn organization(
    context: &RunContext,
    clients: &AccountClients,
    scope: &Scope,
    home: &str,
) -> Section<Option<crate::model::Organization>> {
    if let Some(org) = &context.org {
        let (id, management) = match &org.description {
            Ok(Some(description)) => description.clone(),
            Ok(None) => return Section::Collected(None),
            Err(gap) => return Section::NotCollected(scope.record(gap.clone())),
        };
        return match org
            .reader
            .organization(scope, &id, management.as_deref(), scope.account())
            .await
        {
            Ok(organization) => Section::Collected(Some(organization)),
            Err(gap) => Section::NotCollected(scope.record(gap)),
        };
    }
    let client = clients.organizations(home);
    let (id, management) = match organizations::describe(&client).await {
        Ok(Some(description)) => description,
        Ok(None) => return Section::Collected(None),
        Err(err) => {
            return Section::NotCollected(scope.gap("organizations:DescribeOrganization", &err));
        }
    };
    match ScpReader::new(client)
        .organization(scope, &id, management.as_deref(), scope.account())
        .await
    {
        Ok(organization) => Section::Collected(Some(organization)),
        Err(gap) => {
            let gap = Gap {
                message: format!(
                    "{} (the service control policies that apply to an account can only be read from the organization's management account or a delegated administrator; use --org-role from there)",
                    gap.message
                ),
                ..gap
            };
            Section::NotCollected(scope.record(gap))
        }
    }
}

async fn collect_region_checked(
    context: &RunContext,
    clients: &AccountClients,
    account_scope: &Scope,
    region: &str,
    status: Option<String>,
) -> Region {
    let scope = account_scope.in_region(region);
    let reporter = &scope.shared.reporter;
    let disabled = match status.as_deref() {
        Some(status) if !ec2::is_enabled(status) => Some(format!(
            "region {region} is not enabled for account {} (opt-in status {status}); nothing in it was assessed",
            scope.account()
        )),
        _ => None,
    };
    if let Some(message) = disabled {
        let gap = scope.record(
            Gap::new(message)
                .with_operation("ec2:DescribeRegions")
                .with_error_code("RegionNotEnabled"),
        );
        reporter.steps_done(REGION_STEPS);
        reporter.region_done();
        return not_collected_region(region, &gap);
    }
    let _permit = context.permits.acquire().await;
    let region_data = Box::pin(collect_region(clients, &scope, region)).await;
    reporter.region_done();
    region_data
}

fn not_collected_region(region: &str, gap: &Gap) -> Region {
    fn section<T>(gap: &Gap) -> Section<T> {
        Section::NotCollected(gap.clone())
    }
    Region {
        name: region.to_owned(),
        not_collected: Some(gap.clone()),
        vpcs: section(gap),
        subnets: section(gap),
        route_tables: section(gap),
        security_groups: section(gap),
        network_acls: section(gap),
        prefix_lists: section(gap),
        instances: section(gap),
        launch_templates: section(gap),
        vpc_endpoints: section(gap),
        ssm_documents: section(gap),
        managed_instances: section(gap),
        ssm_settings: section(gap),
        kms_keys: section(gap),
        log_groups: section(gap),
        metric_filters: section(gap),
        alarms: section(gap),
        trails: section(gap),
        event_rules: section(gap),
    }
}

async fn collect_region(clients: &AccountClients, scope: &Scope, region: &str) -> Region {
    let (ec2_client, ssm_client, logs_client, cloudwatch_client, trail_client, events_client) = (
        clients.ec2(region),
        clients.ssm(region),
        clients.logs(region),
        clients.cloudwatch(region),
        clients.cloudtrail(region),
        clients.events(region),
    );
    let (ec2, ssm, logs, trails, event_rules) = tokio::join!(
        ec2::collect(&ec2_client, scope),
        ssm::collect(&ssm_client, scope),
        logs::collect(&logs_client, &cloudwatch_client, scope),
        cloudtrail::trails(&trail_client, scope),
        eventbridge::collect(&events_client, scope),
    );
    // KMS keys are resolved later, from what the documents, buckets and log groups name;
    // without the documents the referenced keys cannot be known.
    let kms_keys = match &ssm.documents {
        Section::Collected(_) => Section::Collected(Vec::new()),
        Section::NotCollected(gap) => Section::NotCollected(
            scope.dependent_gap("the KMS keys that session documents name", gap),
        ),
    };
    let mut region = Region {
        name: region.to_owned(),
        not_collected: None,
        vpcs: ec2.vpcs,
        subnets: ec2.subnets,
        route_tables: ec2.route_tables,
        security_groups: ec2.security_groups,
        network_acls: ec2.network_acls,
        prefix_lists: ec2.prefix_lists,
        instances: ec2.instances,
        launch_templates: ec2.launch_templates,
        vpc_endpoints: ec2.vpc_endpoints,
        ssm_documents: ssm.documents,
        managed_instances: ssm.managed_instances,
        ssm_settings: ssm.settings,
        kms_keys,
        log_groups: logs.log_groups,
        metric_filters: logs.metric_filters,
        alarms: logs.alarms,
        trails,
        event_rules,
    };
    region.not_collected = nothing_collected(&region);
    region
}

/// When every section of a region failed, say so once for the region (typically a region
/// the credentials may not use, or a service-control policy denying it).
fn nothing_collected(region: &Region) -> Option<Gap> {
    let gaps = [
        region.vpcs.get().err(),
        region.subnets.get().err(),
        region.route_tables.get().err(),
        region.security_groups.get().err(),
        region.network_acls.get().err(),
        region.instances.get().err(),
        region.launch_templates.get().err(),
        region.vpc_endpoints.get().err(),
        region.ssm_documents.get().err(),
        region.managed_instances.get().err(),
        region.ssm_settings.get().err(),
        region.log_groups.get().err(),
        region.metric_filters.get().err(),
        region.alarms.get().err(),
        region.trails.get().err(),
        region.event_rules.get().err(),
    ];
    if gaps.iter().any(Option::is_none) {
        return None;
    }
    let first = gaps.into_iter().flatten().next()?;
    Some(Gap {
        message: format!(
            "nothing could be collected in region {}; first error: {}",
            region.name,
            first.describe()
        ),
        ..first.clone()
    })
}

/// Read the details of the buckets session documents log to (all buckets when the
/// documents of some region could not be read); mark the others as not inspected.
async fn bucket_details(
    clients: &AccountClients,
    scope: &Scope,
    home: &str,
    regions: &[Region],
    buckets: &mut [Bucket],
) {
    let mut referenced = BTreeSet::new();
    let mut everything = false;
    for region in regions {
        if region
            .not_collected
            .as_ref()
            .is_some_and(|gap| gap.error_code.as_deref() == Some("RegionNotEnabled"))
        {
            continue;
        }
        match &region.ssm_documents {
            Section::Collected(documents) => referenced.extend(
                ssm::session_destinations(documents).filter_map(|i| i.s3_bucket_name.clone()),
            ),
            Section::NotCollected(_) => everything = true,
        }
    }
    let selected: Vec<&mut Bucket> = buckets
        .iter_mut()
        .filter_map(|bucket| {
            if everything || referenced.contains(&bucket.name) {
                Some(bucket)
            } else {
                s3::mark_not_inspected(
                    bucket,
                    "not read: only buckets that session documents log to are inspected",
                );
                None
            }
        })
        .collect();
    stream::iter(selected)
        .for_each_concurrent(8, |bucket| async move {
            if bucket.region.is_none() {
                s3::location(&clients.s3(home), &scope.in_region(home), bucket).await;
            }
            let Some(region) = bucket.region.clone() else {
                s3::mark_not_inspected(bucket, "not read: the bucket's region is unknown");
                return;
            };
            let scope = scope.in_region(&region);
            Box::pin(s3::details(&clients.s3(&region), &scope, bucket)).await;
        })
        .await;
}

/// Status and event selectors once per trail, copied to every region that shows it.
async fn trail_details(
    clients: &AccountClients,
    scope: &Scope,
    scanned: &[String],
    regions: &mut [Region],
) {
    // Trail ARN → region to ask: its home region when scanned, else where it was seen.
    let mut trails: BTreeMap<String, String> = BTreeMap::new();
    for region in regions.iter() {
        for trail in region.trails.items_or_empty() {
            let Some(arn) = &trail.arn else { continue };
            let ask = match &trail.home_region {
                Some(home) if scanned.contains(home) => home.clone(),
                _ => region.name.clone(),
            };
            trails.entry(arn.clone()).or_insert(ask);
        }
    }
    let details: BTreeMap<String, cloudtrail::TrailDetails> = stream::iter(trails)
        .map(|(arn, region)| async move {
            let scope = scope.in_region(&region);
            let details = cloudtrail::details(&clients.cloudtrail(&region), &scope, &arn).await;
            (arn, details)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for region in regions.iter_mut() {
        let Section::Collected(list) = &mut region.trails else {
            continue;
        };
        for trail in list {
            let Some(found) = trail.arn.as_ref().and_then(|arn| details.get(arn)) else {
                trail
                    .unknown
                    .insert("is_logging".to_owned(), "the trail has no ARN".to_owned());
                continue;
            };
            match &found.is_logging {
                Ok(logging) => trail.is_logging = Some(*logging),
                Err(reason) => {
                    trail
                        .unknown
                        .insert("is_logging".to_owned(), reason.clone());
                }
            }
            match &found.management_events {
                Ok(events) => trail.management_events.clone_from(events),
                Err(reason) => {
                    trail
                        .unknown
                        .insert("management_events".to_owned(), reason.clone());
                }
            }
        }
    }
}

/// Resolve the KMS keys the session-logging checks need and file each under its region.
async fn kms_keys(
    clients: &AccountClients,
    scope: &Scope,
    regions: &mut [Region],
    buckets: Option<&[Bucket]>,
) {
    let names: Vec<String> = regions.iter().map(|r| r.name.clone()).collect();
    // (region to ask, reference, region to file under)
    let mut wanted: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut add = |reference: &str, used_in: &str| {
        let key_region = kms::region_of(reference, used_in);
        let file_under = if names.iter().any(|n| n == key_region) {
            key_region
        } else {
            used_in
        };
        wanted.insert((
            key_region.to_owned(),
            reference.to_owned(),
            file_under.to_owned(),
        ));
    };
    let mut log_groups_used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut buckets_used: BTreeSet<String> = BTreeSet::new();
    for region in regions.iter() {
        for inputs in ssm::session_destinations(region.ssm_documents.items_or_empty()) {
            if let Some(key) = &inputs.kms_key_id {
                add(key, &region.name);
            }
            if let Some(group) = &inputs.cloudwatch_log_group_name {
                log_groups_used.insert((region.name.clone(), group.clone()));
            }
            if let Some(bucket) = &inputs.s3_bucket_name {
                buckets_used.insert(bucket.clone());
            }
        }
        for group in region.log_groups.items_or_empty() {
            if log_groups_used.contains(&(region.name.clone(), group.name.clone()))
                && let Some(key) = &group.kms_key_id
            {
                add(key, &region.name);
            }
        }
    }
    for bucket in buckets.unwrap_or_default() {
        if !buckets_used.contains(&bucket.name) {
            continue;
        }
        if let (Some(encryption), Some(region)) = (&bucket.encryption, &bucket.region)
            && encryption.is_kms()
            && let Some(key) = &encryption.kms_key_id
        {
            add(key, region);
        }
    }
    let resolved: Vec<(String, KmsKey)> = stream::iter(wanted)
        .map(|(key_region, reference, file_under)| async move {
            let scope = scope.in_region(&key_region);
            let key = kms::resolve(&clients.kms(&key_region), &scope, &reference).await;
            key.map(|key| (file_under, key))
        })
        .buffered(8)
        .filter_map(|found| async move { found })
        .collect()
        .await;
    for (file_under, key) in resolved {
        let Some(region) = regions.iter_mut().find(|r| r.name == file_under) else {
            continue;
        };
        let Section::Collected(keys) = &mut region.kms_keys else {
            continue;
        };
        match keys.iter_mut().find(|k| k.id == key.id) {
            Some(existing) => {
                existing.aliases.extend(key.aliases);
                existing.aliases.sort();
                existing.aliases.dedup();
                existing.unknown.extend(key.unknown);
            }
            None => keys.push(key),
        }
    }
    for region in regions.iter_mut() {
        if let Section::Collected(keys) = &mut region.kms_keys {
            keys.sort_by(|a, b| a.id.cmp(&b.id));
        }
    }
}

/// Shared by every scope of one collection.
struct Shared {
    errors: Mutex<Vec<CollectionError>>,
    reporter: Arc<Reporter>,
    max_attempts: u32,
}

/// Where a collector is working (account, region), and the place it reports failures.
#[derive(Clone)]
pub(crate) struct Scope {
    account: Arc<str>,
    region: Option<Arc<str>>,
    shared: Arc<Shared>,
}

impl Shared {
    /// The recorded errors in a stable order (account, region, service, operation).
    fn sorted_errors(&self) -> Vec<CollectionError> {
        let mut errors = match self.errors.lock() {
            Ok(errors) => errors.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        errors.sort_by(|a, b| {
            (&a.account, &a.region, &a.service, &a.operation, &a.message).cmp(&(
                &b.account,
                &b.region,
                &b.service,
                &b.operation,
                &b.message,
            ))
        });
        errors.dedup();
        errors
    }
}

impl Scope {
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    fn in_region(&self, region: &str) -> Scope {
        Scope {
            region: Some(Arc::from(region)),
            ..self.clone()
        }
    }

    pub(crate) fn step_done(&self) {
        self.shared.reporter.step_done();
    }

    /// A gap for a failed call, without recording it (the caller decides).
    fn make_gap<E>(&self, operation: &str, err: &SdkError<E, HttpResponse>) -> Gap
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        error::gap_from(operation, err, self.shared.max_attempts)
    }

    /// A gap for a failed call, recorded in `metadata.errors`.
    pub(crate) fn gap<E>(&self, operation: &str, err: &SdkError<E, HttpResponse>) -> Gap
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        self.record(self.make_gap(operation, err))
    }

    /// Record a gap in `metadata.errors` (and the `-v` log) and hand it back.
    pub(crate) fn record(&self, gap: Gap) -> Gap {
        let service = gap
            .operation
            .as_deref()
            .and_then(|op| op.split_once(':'))
            .map_or("nobastion", |(service, _)| service)
            .to_owned();
        self.push(CollectionError {
            account: Some(self.account.to_string()),
            region: self.region.as_deref().map(str::to_owned),
            service,
            operation: gap.operation.clone(),
            error_code: gap.error_code.clone(),
            message: gap.message.clone(),
        });
        gap
    }

    fn push(&self, error: CollectionError) {
        if self.shared.reporter.verbose() {
            self.shared.reporter.log(&format!(
                "not collected: account={} region={} {}: {}",
                error.account.as_deref().unwrap_or("-"),
                error.region.as_deref().unwrap_or("global"),
                error.operation.as_deref().unwrap_or(&error.service),
                error.message
            ));
        }
        match self.shared.errors.lock() {
            Ok(mut errors) => errors.push(error),
            Err(poisoned) => poisoned.into_inner().push(error),
        }
    }

    /// A section that could not be read because another one failed first.
    pub(crate) fn dependent_gap(&self, what: &str, cause: &Gap) -> Gap {
        self.record(Gap {
            message: format!("{what} could not be read: {}", cause.describe()),
            operation: cause.operation.clone(),
            error_code: cause.error_code.clone(),
        })
    }

    /// A section from a call's result: mapped when it succeeded, a recorded gap otherwise.
    pub(crate) fn section<O, T, E>(
        &self,
        operation: &str,
        result: Result<O, SdkError<E, HttpResponse>>,
        map: impl FnOnce(O) -> T,
    ) -> Section<T>
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        match result {
            Ok(output) => Section::Collected(map(output)),
            Err(err) => Section::NotCollected(self.gap(operation, &err)),
        }
    }

    /// Mark one field of one resource unknown because a per-resource call failed.
    pub(crate) fn unknown<E>(
        &self,
        unknown: &mut Unknown,
        field: &str,
        resource: &str,
        operation: &str,
        err: &SdkError<E, HttpResponse>,
    ) where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let gap = self.make_gap(operation, err);
        let reason = gap.describe();
        self.record(Gap {
            message: format!("{resource}: {field}: {}", gap.message),
            ..gap
        });
        unknown.insert(field.to_owned(), reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, active: bool) -> MemberAccount {
        MemberAccount {
            id: id.to_owned(),
            name: Some(format!("name-{id}")),
            active,
        }
    }

    fn options(accounts: &[&str]) -> OrgOptions {
        OrgOptions {
            role_name: "Audit".to_owned(),
            external_id: None,
            accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn describe(targets: &[Target]) -> Vec<(String, String)> {
        targets
            .iter()
            .map(|t| {
                let access = match &t.access {
                    Access::Caller => "caller".to_owned(),
                    Access::AssumeRole(arn) => arn.clone(),
                    Access::Unavailable(gap) => format!("unavailable: {}", gap.message),
                };
                (t.id.clone(), access)
            })
            .collect()
    }

    #[test]
    fn organization_targets_are_the_active_members() {
        let members = [
            member("111111111111", true),
            member("222222222222", true),
            member("333333333333", false),
        ];
        let targets = org_targets(&members, &options(&[]), "111111111111", "aws-us-gov");
        assert_eq!(
            describe(&targets),
            [
                ("111111111111".to_owned(), "caller".to_owned()),
                (
                    "222222222222".to_owned(),
                    "arn:aws-us-gov:iam::222222222222:role/Audit".to_owned()
                ),
            ]
        );
        assert_eq!(targets[1].name.as_deref(), Some("name-222222222222"));
    }

    #[test]
    fn requested_accounts_that_cannot_be_scanned_are_kept_as_gaps() {
        let members = [member("111111111111", true), member("333333333333", false)];
        let targets = org_targets(
            &members,
            &options(&["333333333333", "444444444444", "333333333333"]),
            "111111111111",
            "aws",
        );
        assert_eq!(
            describe(&targets),
            [
                (
                    "333333333333".to_owned(),
                    "unavailable: the account is not active in the organization".to_owned()
                ),
                (
                    "444444444444".to_owned(),
                    "unavailable: the account is not a member of the organization".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_region_where_every_call_failed_is_not_collected_once() {
        let gap = Gap::new("AccessDenied: explicit deny in a service control policy")
            .with_operation("ec2:DescribeVpcs")
            .with_error_code("AccessDenied");
        let mut region = not_collected_region("eu-west-1", &gap);
        region.not_collected = None;
        let summary = nothing_collected(&region).unwrap();
        assert!(
            summary
                .message
                .starts_with("nothing could be collected in region eu-west-1")
        );
        assert_eq!(summary.error_code.as_deref(), Some("AccessDenied"));
        region.trails = Section::Collected(Vec::new());
        assert_eq!(
            nothing_collected(&region),
            None,
            "one section read is enough"
        );
    }
}
