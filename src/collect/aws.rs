//! AWS configuration and clients, the AWS way: the default credential provider chain
//! (environment, profiles including SSO, web identity, container and instance metadata),
//! `--profile`, the region chain, the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
//! variables and profile `endpoint_url`s, adaptive retries with backoff, and role assumption
//! for organization scans.
//!
//! Every client is built here and carries the call recorder, so every call is counted,
//! logged with `-v`, and checked by the permissions test. Two adjustments make custom
//! endpoints (emulators, VPC endpoints) work: S3 switches to path-style addressing, and S3
//! Control stops prefixing the host with the account id.
//!
//! Used by `collect::mod`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_types::region::Region;
use aws_types::service_config::ServiceConfigKey;
use futures_util::FutureExt;

use super::calls::ApiCalls;
use super::error::CollectError;

/// What the credential and region chain needs from the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsOptions {
    pub(crate) profile: Option<String>,
    /// The home region (STS, Organizations, global services), when given.
    pub(crate) region: Option<String>,
    pub(crate) max_attempts: u32,
}

/// The loaded configuration of the caller.
pub(crate) struct Aws {
    base: SdkConfig,
    home_region: String,
    calls: Arc<ApiCalls>,
}

impl Aws {
    /// Load configuration. `fallback_region` is used when nothing configures a region (the
    /// first of `--regions`).
    pub(crate) async fn load(
        options: &AwsOptions,
        fallback_region: Option<&str>,
        calls: Arc<ApiCalls>,
    ) -> Result<Aws, CollectError> {
        let retry = RetryConfig::adaptive().with_max_attempts(options.max_attempts.max(1));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(120))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        check_endpoint_variables()?;
        let mut base = loader.load().await;
        let home_region = match (base.region(), fallback_region) {
            (Some(region), _) => region.as_ref().to_owned(),
            (None, Some(region)) => {
                base = base
                    .into_builder()
                    .region(Region::new(region.to_owned()))
                    .build();
                region.to_owned()
            }
            (None, None) => return Err(CollectError::NoRegion),
        };
        Ok(Aws {
            base,
            home_region,
            calls,
        })
    }

    pub(crate) fn home_region(&self) -> &str {
        &self.home_region
    }

    /// Clients for the caller's own credentials.
    pub(crate) fn caller(&self, account: &str) -> AccountClients {
        AccountClients {
            sdk: self.base.clone(),
            account: account.to_owned(),
            calls: Arc::clone(&self.calls),
        }
    }

    /// Assume `role_arn` in another account. The first `AssumeRole` happens here, so a role
    /// that cannot be assumed is reported for that account before anything else is tried;
    /// later refreshes happen when the credentials expire during a long scan.
    pub(crate) async fn assume_role(
        &self,
        account: &str,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> Result<AccountClients, SdkError<AssumeRoleError, HttpResponse>> {
        let sts = self.caller(account).sts(&self.home_region);
        let role = AssumedRole {
            sts,
            role_arn: role_arn.to_owned(),
            external_id: external_id.map(str::to_owned),
            session_name: format!("nobastion-{}", std::process::id()),
            first: Mutex::new(None),
        };
        let first = role.assume().await?;
        if let Ok(mut slot) = role.first.lock() {
            *slot = Some(first);
        }
        let sdk = self
            .base
            .clone()
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(role))
            .build();
        Ok(AccountClients {
            sdk,
            account: account.to_owned(),
            calls: Arc::clone(&self.calls),
        })
    }
}

/// The SDK accepts `AWS_ENDPOINT_URL=` (empty, which makes it panic inside endpoint
/// resolution) or a URL without a scheme (which fails every call with a long message); say
/// what is wrong instead.
fn check_endpoint_variables() -> Result<(), CollectError> {
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name != "AWS_ENDPOINT_URL" && !name.starts_with("AWS_ENDPOINT_URL_") {
            continue;
        }
        let value = value.to_string_lossy();
        let value = value.trim();
        if value.is_empty() {
            return Err(CollectError::Endpoint(format!(
                "{name} is set but empty; unset it or give a URL"
            )));
        }
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            return Err(CollectError::Endpoint(format!(
                "{name}={value} is not an http:// or https:// URL"
            )));
        }
    }
    Ok(())
}

type AssumeRoleError = aws_sdk_sts::operation::assume_role::AssumeRoleError;

/// Credentials from `sts:AssumeRole`, through the recorded STS client.
#[derive(Debug)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    session_name: String,
    /// The credentials obtained when the account step started, handed out once.
    first: Mutex<Option<Credentials>>,
}

impl AssumedRole {
    async fn assume(&self) -> Result<Credentials, SdkError<AssumeRoleError, HttpResponse>> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await?;
        let credentials = out.credentials().map(|c| {
            Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_owned()),
                SystemTime::try_from(*c.expiration()).ok(),
                "nobastion-assume-role",
            )
        });
        // An answer without credentials cannot be used; report it as an empty key set so the
        // first call in the account fails visibly instead of silently using the caller.
        Ok(credentials
            .unwrap_or_else(|| Credentials::new("", "", None, None, "nobastion-assume-role")))
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let cached = self.first.lock().ok().and_then(|mut slot| slot.take());
            if let Some(credentials) = cached {
                return Ok(credentials);
            }
            self.assume()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}

/// Builds clients for one account (its credentials) in any region.
#[derive(Clone)]
pub(crate) struct AccountClients {
    sdk: SdkConfig,
    account: String,
    calls: Arc<ApiCalls>,
}

macro_rules! client {
    ($name:ident, $krate:ident, $service:literal) => {
        pub(crate) fn $name(&self, region: &str) -> $krate::Client {
            let config = $krate::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_owned()))
                .interceptor(self.calls.recorder($service, &self.account, region))
                .build();
            $krate::Client::from_conf(config)
        }
    };
}

impl AccountClients {
    /// Relabel (the account id is learned from STS after the first clients exist).
    pub(crate) fn with_account(mut self, account: &str) -> Self {
        account.clone_into(&mut self.account);
        self
    }

    client!(sts, aws_sdk_sts, "sts");
    client!(ec2, aws_sdk_ec2, "ec2");
    client!(iam, aws_sdk_iam, "iam");
    client!(ssm, aws_sdk_ssm, "ssm");
    client!(kms, aws_sdk_kms, "kms");
    client!(logs, aws_sdk_cloudwatchlogs, "logs");
    client!(cloudwatch, aws_sdk_cloudwatch, "cloudwatch");
    client!(cloudtrail, aws_sdk_cloudtrail, "cloudtrail");
    client!(events, aws_sdk_eventbridge, "events");
    client!(organizations, aws_sdk_organizations, "organizations");

    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        // Virtual-hosted addressing needs DNS for `bucket.host`; a custom endpoint (an
        // emulator, a proxy) serves buckets by path.
        let path_style = self.endpoint_configured("S3");
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_owned()))
            .force_path_style(path_style)
            .interceptor(self.calls.recorder("s3", &self.account, region))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub(crate) fn s3control(&self, region: &str) -> aws_sdk_s3control::Client {
        let config = aws_sdk_s3control::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_owned()))
            .endpoint_resolver(ControlEndpoint::new())
            .interceptor(self.calls.recorder("s3control", &self.account, region))
            .build();
        aws_sdk_s3control::Client::from_conf(config)
    }

    /// Whether an endpoint URL is configured for the service (globally, by environment
    /// variable or in the profile), as the SDK itself resolves it.
    fn endpoint_configured(&self, service_id: &str) -> bool {
        if self.sdk.endpoint_url().is_some() {
            return true;
        }
        let Some(service_config) = self.sdk.service_config() else {
            return false;
        };
        ServiceConfigKey::builder()
            .service_id(service_id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .ok()
            .and_then(|key| service_config.load_config(key))
            .is_some()
    }
}

/// S3 Control's endpoint rules put the account id in front of a custom endpoint's host
/// (`111122223333.127.0.0.1`), which no emulator or proxy resolves. With a custom endpoint,
/// resolve as if no account id were required; the id still travels in `x-amz-account-id`.
#[derive(Debug)]
struct ControlEndpoint(aws_sdk_s3control::config::endpoint::DefaultResolver);

impl ControlEndpoint {
    fn new() -> Self {
        // Not `DefaultResolver::default()`: that one has no partition table.
        ControlEndpoint(aws_sdk_s3control::config::endpoint::DefaultResolver::new())
    }
}

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for ControlEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> EndpointFuture<'a> {
        if params.endpoint().is_none() {
            return self.0.resolve_endpoint(params);
        }
        let plain = aws_sdk_s3control::config::endpoint::Params::builder()
            .set_region(params.region().map(str::to_owned))
            .set_use_fips(params.use_fips())
            .set_use_dual_stack(params.use_dual_stack())
            .set_endpoint(params.endpoint().map(str::to_owned))
            .set_account_id(params.account_id().map(str::to_owned))
            .requires_account_id(false)
            .set_outpost_id(params.outpost_id().map(str::to_owned))
            .set_bucket(params.bucket().map(str::to_owned))
            .set_access_point_name(params.access_point_name().map(str::to_owned))
            .set_use_arn_region(params.use_arn_region())
            .set_resource_arn(params.resource_arn().map(str::to_owned))
            .set_use_s3_express_control_endpoint(params.use_s3_express_control_endpoint())
            .build();
        match plain {
            // The default resolver answers synchronously; take the answer so the future
            // does not borrow the local parameters.
            Ok(plain) => match self.0.resolve_endpoint(&plain).now_or_never() {
                Some(result) => EndpointFuture::ready(result),
                None => self.0.resolve_endpoint(params),
            },
            Err(_) => self.0.resolve_endpoint(params),
        }
    }
}
