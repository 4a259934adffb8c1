//! How failed AWS calls become data: every SDK error turns into a [`Gap`] that names the
//! operation, the error code and a sentence a person can act on, so that the rules report
//! not-assessed (NB001) instead of passing. "Not configured" answers (no bucket policy, no
//! public access block, ...) are not errors; the service modules recognize them before they
//! get here.
//!
//! [`CollectError`] is the other kind: a failure that stops the whole collection before any
//! account could be read (no region, credentials that do not work, an organization that
//! cannot be listed). The CLI reports it as a usage/input error.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::model::Gap;

/// A failure that prevents collection altogether.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CollectError {
    #[error(
        "no AWS region configured: pass --region (or --regions / --all-regions), set AWS_REGION, or set region in the profile"
    )]
    NoRegion,
    #[error("invalid endpoint configuration: {0}")]
    Endpoint(String),
    #[error("cannot identify the caller, so nothing can be collected: {}", .0.describe())]
    Caller(Gap),
    #[error("cannot list the enabled regions for --all-regions: {} (pass --regions instead)", .0.describe())]
    Regions(Gap),
    #[error("cannot list the organization's accounts for --org-role: {} (run from the management account or a delegated administrator)", .0.describe())]
    Organization(Gap),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Error codes AWS services use for throttling. The SDK retries these with backoff; when one
/// still comes back, the retries were exhausted.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

pub(crate) fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// The error code of a failed call, when the service sent one.
pub(crate) fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(_) => err.code(),
        _ => None,
    }
}

/// Turn a failed call into a gap. `operation` is `service:Operation`; `max_attempts` is the
/// retry budget, named in the message when throttling outlasted it.
pub(crate) fn gap_from<E>(
    operation: &str,
    err: &SdkError<E, HttpResponse>,
    max_attempts: u32,
) -> Gap
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let gap = Gap::new(describe(err, max_attempts)).with_operation(operation);
    match error_code(err) {
        Some(code) => gap.with_error_code(code),
        None => gap,
    }
}

fn describe<E>(err: &SdkError<E, HttpResponse>, max_attempts: u32) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match (err.code(), err.message()) {
                (Some(code), message) if is_throttling(code) => format!(
                    "{code}: {} (still throttled after {max_attempts} attempts with backoff)",
                    message.unwrap_or("request rate exceeded")
                ),
                (Some(code), Some(message)) if !message.is_empty() => format!("{code}: {message}"),
                (Some(code), _) => format!("{code} (HTTP {status})"),
                (None, _) if (200..300).contains(&status) => format!(
                    "the endpoint's HTTP {status} answer could not be read (the operation may not be implemented correctly there): {}",
                    chain(err)
                ),
                (None, _) => format!(
                    "the endpoint answered HTTP {status} without an AWS error code; the operation may not be implemented there"
                ),
            }
        }
        SdkError::ResponseError(_) => format!(
            "the endpoint's response could not be read (the operation may not be implemented there): {}",
            chain(err)
        ),
        SdkError::DispatchFailure(_) => format!(
            "the service endpoint could not be reached (the service may not exist in this region): {}",
            chain(err)
        ),
        SdkError::TimeoutError(_) => "the call timed out".to_owned(),
        _ => format!("the request could not be made: {}", chain(err)),
    }
}

/// Whether an error means "the resource or configuration does not exist".
pub(crate) fn is_code<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
    codes: &[&str],
) -> bool {
    error_code(err).is_some_and(|code| codes.contains(&code))
}

/// An error and its causes on one line (`a: b: c`), without the debug dump the SDK's own
/// renderer appends.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        // Wrappers often repeat their source's message; keep each distinct part once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service_error(
        status: u16,
        code: Option<&str>,
        message: Option<&str>,
    ) -> SdkError<DescribeVpcsError, HttpResponse> {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        if let Some(message) = message {
            meta = meta.message(message);
        }
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(DescribeVpcsError::generic(meta.build()), raw)
    }

    #[test]
    fn access_denied_names_operation_code_and_message() {
        let err = service_error(
            403,
            Some("UnauthorizedOperation"),
            Some("You are not authorized to perform this operation."),
        );
        let gap = gap_from("ec2:DescribeVpcs", &err, 10);
        assert_eq!(gap.operation.as_deref(), Some("ec2:DescribeVpcs"));
        assert_eq!(gap.error_code.as_deref(), Some("UnauthorizedOperation"));
        assert_eq!(
            gap.describe(),
            "ec2:DescribeVpcs: UnauthorizedOperation: You are not authorized to perform this operation."
        );
    }

    #[test]
    fn throttling_says_the_retries_ran_out() {
        let err = service_error(400, Some("RequestLimitExceeded"), None);
        let gap = gap_from("ec2:DescribeVpcs", &err, 7);
        assert!(
            gap.message.contains("still throttled after 7 attempts"),
            "{}",
            gap.message
        );
        assert!(is_throttling("ThrottlingException") && !is_throttling("AccessDenied"));
    }

    #[test]
    fn an_answer_without_an_error_code_is_not_mistaken_for_data() {
        let gap = gap_from(
            "ssm:DescribeInstanceInformation",
            &service_error(500, None, None),
            1,
        );
        assert_eq!(gap.error_code, None);
        assert!(gap.message.contains("HTTP 500") && gap.message.contains("not be implemented"));
        let gap = gap_from("s3:GetBucketVersioning", &service_error(200, None, None), 1);
        assert!(
            gap.message.contains("HTTP 200 answer could not be read"),
            "{}",
            gap.message
        );
    }

    #[test]
    fn timeouts_and_codes() {
        let err: SdkError<DescribeVpcsError, HttpResponse> =
            SdkError::timeout_error("deadline exceeded");
        assert_eq!(
            gap_from("ec2:DescribeVpcs", &err, 3).message,
            "the call timed out"
        );
        assert_eq!(error_code(&err), None);
        let denied = service_error(403, Some("AccessDenied"), Some("no"));
        assert!(is_code(&denied, &["NoSuchThing", "AccessDenied"]));
        assert!(!is_code(&denied, &["NoSuchBucketPolicy"]));
    }
}
