//! The Rust rules, one file per rule (`net001.rs`, …), plus helpers shared by several rules:
//! network and ACL logic (`net`), managed instances, VPCs and endpoints (`managed`), session
//! documents (`session`), session-log destinations (`destinations`), KMS key resolution
//! (`kms`), event / filter pattern matching (`patterns`) and the IAM subjects and verdicts
//! the IAM rules share (`iam`). Each rule's metadata and examples live in its rule file in
//! `rules/`.

mod admin_port;
mod aud001;
mod aud002;
mod aud003;
pub(crate) mod destinations;
mod ec2001;
mod ec2003;
mod ec2004;
pub(crate) mod iam;
mod iam001;
mod iam002;
mod iam003;
mod iam004;
mod iam005;
mod iam006;
mod iam007;
mod iam008;
mod iam009;

mod iam010;
pub(crate) mod kms;
mod log001;
mod log004;
mod log005;
mod log007;
mod log008;
mod log010;
mod log011;
mod log012;
mod log013;
mod log014;
pub(crate) mod managed;
pub(crate) mod net;
mod net001;
mod net002;
mod net003;
mod net004;
mod net005;
mod net006;
pub(crate) mod patterns;
pub(crate) mod session;

use super::Check;

/// Every Rust check, linked to its rule file by id.
pub(crate) fn checks() -> Vec<&'static dyn Check> {
    vec![
        &net001::Net001,
        &net002::Net002,
        &net003::Net003,
        &net004::Net004,
        &net005::Net005,
        &net006::Net006,
        &log001::Log001,
        &log004::Log004,
        &log005::Log005,
        &log007::Log007,
        &log008::Log008,
        &log010::Log010,
        &log011::Log011,
        &log012::Log012,
        &log013::Log013,
        &log014::Log014,
        &ec2001::Ec2001,
        &ec2003::Ec2003,
        &ec2004::Ec2004,
        &iam001::Iam001,
        &iam002::Iam002,
        &iam003::Iam003,
        &iam004::Iam004,
        &iam005::Iam005,
        &iam006::Iam006,
        &iam007::Iam007,
        &iam008::Iam008,
        &iam009::Iam009,
        &aud001::Aud001,
        &aud002::Aud002,
        &aud003::Aud003,
        &iam010::Iam010,
    ]
}
