//! The record of every AWS API call the collectors make.
//!
//! An SDK interceptor ([`CallRecorder`]) is attached to every client the collectors build, so
//! no call can bypass it. It feeds three users: `-v` (one log line per HTTP attempt, never
//! credentials or payloads), the call counter that `collect`/`scan` print in their summary
//! and the benchmark reads, and the permissions test, which checks every recorded operation
//! against the read-only policy in docs/permissions.md.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use super::progress::Reporter;

/// Counts of the calls made during one collection, shared by all clients.
#[derive(Debug)]
pub(crate) struct ApiCalls {
    attempts: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
    reporter: Arc<Reporter>,
}

/// What [`ApiCalls::summary`] returns: total HTTP attempts and attempts per operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallSummary {
    pub(crate) total: u64,
    pub(crate) by_operation: BTreeMap<String, u64>,
}

impl ApiCalls {
    pub(crate) fn new(reporter: Arc<Reporter>) -> Arc<Self> {
        Arc::new(ApiCalls {
            attempts: AtomicU64::new(0),
            by_operation: Mutex::new(BTreeMap::new()),
            reporter,
        })
    }

    /// An interceptor for one client: the labels end up in `-v` lines.
    pub(crate) fn recorder(
        self: &Arc<Self>,
        service: &'static str,
        account: &str,
        region: &str,
    ) -> CallRecorder {
        CallRecorder {
            calls: Arc::clone(self),
            service,
            account: account.into(),
            region: region.into(),
        }
    }

    pub(crate) fn summary(&self) -> CallSummary {
        let by_operation = match self.by_operation.lock() {
            Ok(map) => map.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        CallSummary {
            total: self.attempts.load(Ordering::Relaxed),
            by_operation,
        }
    }

    fn record(&self, operation: String) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let mut map = match self.by_operation.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        *map.entry(operation).or_insert(0) += 1;
    }
}

/// The SDK interceptor. One per client; cheap to create.
#[derive(Debug, Clone)]
pub(crate) struct CallRecorder {
    calls: Arc<ApiCalls>,
    /// The IAM-style service prefix (`ec2`, `logs`, `events`, `s3control`, ...).
    service: &'static str,
    account: Arc<str>,
    region: Arc<str>,
}

#[derive(Debug, Clone, Copy)]
struct AttemptStart(Instant);

impl Storable for AttemptStart {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "nobastion::CallRecorder"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(AttemptStart(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation_name = cfg
            .load::<Metadata>()
            .map_or("Unknown", Metadata::name)
            .to_owned();
        let operation = format!("{}:{operation_name}", self.service);
        if self.calls.reporter.verbose() {
            let elapsed = cfg
                .load::<AttemptStart>()
                .map(|start| start.0.elapsed().as_millis());
            let outcome = match context.response() {
                Some(response) => format!("HTTP {}", response.status().as_u16()),
                None => "no response".to_owned(),
            };
            let took = elapsed.map(|ms| format!(" in {ms} ms")).unwrap_or_default();
            self.calls.reporter.log(&format!(
                "api {operation} account={} region={} -> {outcome}{took}",
                self.account, self.region
            ));
        }
        self.calls.record(operation);
        Ok(())
    }
}
