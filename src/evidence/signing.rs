//! Ed25519 signatures over an evidence bundle's manifest (ed25519-dalek; no hand-rolled
//! crypto).
//!
//! Formats, chosen so that OpenSSL can check our work without nobastion:
//! - private key (`keygen --out PREFIX` writes `PREFIX`, mode 0600): PKCS#8 PEM,
//!   `-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519` writes it;
//! - public key (`PREFIX.pub`): `SubjectPublicKeyInfo` PEM, `-----BEGIN PUBLIC KEY-----`, as
//!   `openssl pkey -pubout` writes it;
//! - signature (`manifest.sig`): two text lines, a header naming the scheme and the key id,
//!   then the base64 of the 64-byte Ed25519 signature over the exact bytes of manifest.json:
//!
//!   ```text
//!   nobastion-signature-v1 ed25519 key-id=1a2b3c4d5e6f7a8b
//!   <base64>
//!   ```
//!
//! The key id is the first 16 hex digits of the SHA-256 of the raw 32-byte public key. It
//! only helps people tell keys apart; trust comes from the signature.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding as _};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use ed25519_dalek::pkcs8::{EncodePublicKey as _, KeypairBytes};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::EvidenceError;

/// The first line of a signature file starts with this.
pub const SIGNATURE_HEADER: &str = "nobastion-signature-v1 ed25519";

/// A short, stable name for a public key.
pub fn key_id(key: &VerifyingKey) -> String {
    super::sha256_hex(key.as_bytes())[..16].to_owned()
}

/// A new key from the operating system's random number generator.
pub fn generate() -> Result<SigningKey, EvidenceError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| EvidenceError::Invalid {
        path: "<random>".to_owned(),
        message: format!("the operating system gave no random bytes: {e}"),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The private key file's contents (PKCS#8 v1 PEM, as OpenSSL writes Ed25519 keys).
pub fn private_key_pem(key: &SigningKey) -> Result<Zeroizing<String>, String> {
    let bytes = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pem = bytes
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok(Zeroizing::new(pem.as_str().to_owned()))
}

/// The public key file's contents (SPKI PEM).
pub fn public_key_pem(key: &VerifyingKey) -> Result<String, String> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())
}

/// Write a new key pair: `prefix` (private, mode 0600 on Unix) and `prefix.pub`. Existing
/// files are kept unless `force` is set.
pub fn write_key_pair(
    prefix: &Path,
    force: bool,
) -> Result<(PathBuf, PathBuf, String), EvidenceError> {
    let public_path = public_path_for(prefix);
    if !force {
        for path in [prefix, public_path.as_path()] {
            if path.exists() || path.is_symlink() {
                return Err(EvidenceError::Exists {
                    path: path.display().to_string(),
                    hint: "refusing to overwrite a key (use --force to replace it)",
                });
            }
        }
    }
    let key = generate()?;
    let private = private_key_pem(&key).map_err(|m| EvidenceError::invalid(prefix, m))?;
    let verifying = key.verifying_key();
    let public = public_key_pem(&verifying).map_err(|m| EvidenceError::invalid(prefix, m))?;
    write_private(prefix, private.as_bytes(), force)?;
    write_new(&public_path, public.as_bytes(), force)?;
    Ok((prefix.to_path_buf(), public_path, key_id(&verifying)))
}

/// `PREFIX.pub` (appended, so `keys/audit` gives `keys/audit.pub`).
pub fn public_path_for(prefix: &Path) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn remove_for_replace(path: &Path, force: bool) -> Result<(), EvidenceError> {
    if force && (path.exists() || path.is_symlink()) {
        // Removed rather than truncated: an existing file keeps its permissions, and the new
        // private key must not inherit a world-readable mode.
        std::fs::remove_file(path).map_err(|e| EvidenceError::io(path, "replace", e))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<(), EvidenceError> {
    remove_for_replace(path, force)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| EvidenceError::io(path, "create", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| EvidenceError::io(path, "write", e))
}

fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), EvidenceError> {
    remove_for_replace(path, force)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| EvidenceError::io(path, "create", e))?;
    file.write_all(bytes)
        .map_err(|e| EvidenceError::io(path, "write", e))
}

/// Read a private key file (PKCS#8 PEM). On Unix a key readable by group or others is
/// reported in `warnings`, as ssh does, but still used.
pub fn read_signing_key(
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<SigningKey, EvidenceError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| EvidenceError::io(path, "read", e))?,
    );
    #[cfg(unix)]
    if let Ok(metadata) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "{}: private key is readable by others (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = warnings;
    if text.contains("BEGIN PUBLIC KEY") {
        return Err(EvidenceError::invalid(
            path,
            "this is a public key; --sign-key needs the private key (the file without .pub)",
        ));
    }
    SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| {
        EvidenceError::invalid(
            path,
            format!(
                "not an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): {e}"
            ),
        )
    })
}

/// Read a public key file (SPKI PEM).
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, EvidenceError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvidenceError::io(path, "read", e))?;
    if text.contains("PRIVATE KEY") {
        return Err(EvidenceError::invalid(
            path,
            "this is a private key; --pub-key needs the public key (PREFIX.pub); never hand the private key to a verifier",
        ));
    }
    VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| {
        EvidenceError::invalid(
            path,
            format!("not an Ed25519 public key in PEM (`-----BEGIN PUBLIC KEY-----`): {e}"),
        )
    })
}

/// The signature file for `manifest` (the exact bytes of manifest.json).
pub fn sign(manifest: &[u8], key: &SigningKey) -> String {
    let signature = key.sign(manifest);
    format!(
        "{SIGNATURE_HEADER} key-id={}\n{}\n",
        key_id(&key.verifying_key()),
        Base64::encode_string(&signature.to_bytes())
    )
}

/// A parsed signature file.
#[derive(Debug, Clone)]
pub struct SignatureFile {
    pub signature: Signature,
    /// The key id the signer recorded (informative only: it is not signed).
    pub key_id: Option<String>,
}

/// Parse a signature file; the message says what is wrong with it.
pub fn parse_signature(text: &str) -> Result<SignatureFile, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let header = lines.next().ok_or("the signature file is empty")?;
    let rest = header.strip_prefix(SIGNATURE_HEADER).ok_or_else(|| {
        format!("the first line must start with `{SIGNATURE_HEADER}`, found `{header}`")
    })?;
    let key_id = rest
        .split_whitespace()
        .find_map(|part| part.strip_prefix("key-id="))
        .map(str::to_owned);
    let encoded = lines.next().ok_or("the signature line is missing")?;
    if lines.next().is_some() {
        return Err("unexpected text after the signature line".to_owned());
    }
    let bytes =
        Base64::decode_vec(encoded).map_err(|e| format!("the signature is not base64: {e}"))?;
    let array: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("an Ed25519 signature has 64 bytes, found {}", bytes.len()))?;
    Ok(SignatureFile {
        signature: Signature::from_bytes(&array),
        key_id,
    })
}

/// Check `signature` over `manifest` with `key` (strict verification: no malleable or
/// small-order signatures).
pub fn check(manifest: &[u8], signature: &SignatureFile, key: &VerifyingKey) -> Result<(), String> {
    key.verify_strict(manifest, &signature.signature)
        .map_err(|_| match &signature.key_id {
            Some(id) if *id != key_id(key) => format!(
                "the signature does not verify: it names key {id}, the public key given is {}",
                key_id(key)
            ),
            _ => "the signature does not verify: the manifest was changed after signing, or it was signed with another key".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_check_round_trip_through_the_file_formats() {
        let key = generate().unwrap();
        let private = private_key_pem(&key).unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = SigningKey::from_pkcs8_pem(&private).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let public = public_key_pem(&key.verifying_key()).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let verifying = VerifyingKey::from_public_key_pem(&public).unwrap();

        let text = sign(b"manifest bytes", &key);
        assert!(text.starts_with(SIGNATURE_HEADER));
        let parsed = parse_signature(&text).unwrap();
        assert_eq!(parsed.key_id.as_deref(), Some(key_id(&verifying).as_str()));
        assert!(check(b"manifest bytes", &parsed, &verifying).is_ok());
        let err = check(b"manifest bytez", &parsed, &verifying).unwrap_err();
        assert!(err.contains("changed after signing"), "{err}");

        let other = generate().unwrap().verifying_key();
        let err = check(b"manifest bytes", &parsed, &other).unwrap_err();
        assert!(err.contains(&key_id(&other)), "{err}");
    }

    #[test]
    fn malformed_signature_files_are_explained() {
        assert!(parse_signature("").unwrap_err().contains("empty"));
        assert!(
            parse_signature("hello\nAAAA\n")
                .unwrap_err()
                .contains("first line")
        );
        let err = parse_signature(&format!("{SIGNATURE_HEADER}\nAAAA\n")).unwrap_err();
        assert!(err.contains("64 bytes"), "{err}");
        let err = parse_signature(&format!("{SIGNATURE_HEADER}\n!!!\n")).unwrap_err();
        assert!(err.contains("base64"), "{err}");
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            generate().unwrap().to_bytes(),
            generate().unwrap().to_bytes()
        );
    }
}
