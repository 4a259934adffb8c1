//! NET001 ssh-ingress-allowed: a security group allows inbound TCP 22 from any source.

use crate::rules::{Check, Context, Emitter};

pub(crate) struct Net001;

impl Check for Net001 {
    fn id(&self) -> &'static str {
        "NET001"
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Emitter<'_>) {
        super::admin_port::check(ctx, out, 22, "SSH");
    }
}
