//! nobastion: a compliance scanner and policy linter for bastion-less access on AWS.
//!
//! The pipeline (see docs/architecture.md): collectors (`collect`, live AWS) and ingesters
//! (`ingest`, IaC files) fill one normalized [`model::Snapshot`]; the rules engine (`rules`)
//! evaluates the catalog over it, asking the IAM policy engine (`policy`) what principals and
//! documents allow; reporters (`report`) render the findings; `evidence` packages them into a
//! signed, hash-manifested bundle for auditors.

pub mod access;
pub mod baseline;
pub mod cli;
#[cfg(feature = "live")]
pub mod collect;
pub mod config;
pub mod evidence;
pub mod finding;
pub mod ingest;
mod json;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;
