//! NET002 rdp-ingress-allowed: a security group allows inbound TCP 3389 from any source.

use crate::rules::{Check, Context, Emitter};

pub(crate) struct Net002;

impl Check for Net002 {
    fn id(&self) -> &'static str {
        "NET002"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        super::admin_port::check(ctx, out, 3389, "RDP");
    }
}
