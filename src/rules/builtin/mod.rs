//! The Rust rules, one file per rule (`net001.rs`, …), plus helpers shared by several rules.
//! Each rule's metadata and examples live in its rule file in `rules/`.

mod admin_port;
mod ec2001;
pub(crate) mod net;
mod net001;
mod net002;

use super::Check;

/// Every Rust check, linked to its rule file by id.
pub(crate) fn checks() -> Vec<&'static dyn Check> {
    vec![&net001::Net001, &net002::Net002, &ec2001::Ec2001]
}
