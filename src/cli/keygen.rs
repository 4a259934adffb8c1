//! `nobastion keygen --out PREFIX`: make an Ed25519 key pair for signing evidence bundles:
//! `PREFIX` (private, PKCS#8 PEM, mode 0600) and `PREFIX.pub` (public, SPKI PEM). Existing
//! keys are never overwritten without `--force`.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use super::ExitStatus;
use crate::evidence::signing;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Write the private key to PREFIX and the public key to PREFIX.pub.
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let (private, public, key_id) = signing::write_key_pair(&args.out, args.force)?;
    println!(
        "wrote private key {} (keep it secret; sign with `nobastion evidence --sign-key {}`)",
        private.display(),
        private.display()
    );
    println!(
        "wrote public key  {} (give it to whoever verifies: `nobastion verify BUNDLE --pub-key {}`)",
        public.display(),
        public.display()
    );
    println!("key id: {key_id}");
    Ok(ExitStatus::Clean)
}
