//! `nobastion verify`: prove that a bundle is what was handed over. Every file's SHA-256 and
//! size is recomputed and compared with the manifest; files the manifest does not list are
//! extra; with a public key, the manifest's Ed25519 signature is checked.
//!
//! Without a signature the manifest only proves that the files agree with it: someone who
//! rewrites a file can rewrite the manifest too. Sign bundles, or record the manifest's
//! SHA-256 (printed by `evidence`) somewhere the bundle's holder cannot change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use super::bundle::{self, Listing};
use super::manifest::{FORMAT, ManifestFiles, path_problem};
use super::{EvidenceError, sha256_hex, signing};

/// The state of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum FileStatus {
    Ok,
    /// Present with other bytes than the manifest says.
    Altered {
        expected_sha256: String,
        actual_sha256: String,
        expected_size: u64,
        actual_size: u64,
    },
    /// Listed in the manifest, absent from the bundle.
    Missing,
    /// In the bundle, not in the manifest.
    Extra {
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Listed, but not checkable: a symbolic link, unreadable, a duplicate zip entry, or a
    /// path the manifest may not contain.
    Unverifiable {
        reason: String,
    },
}

impl FileStatus {
    pub fn label(&self) -> &'static str {
        match self {
            FileStatus::Ok => "ok",
            FileStatus::Altered { .. } => "altered",
            FileStatus::Missing => "missing",
            FileStatus::Extra { .. } => "extra",
            FileStatus::Unverifiable { .. } => "unverifiable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    pub path: String,
    #[serde(flatten)]
    pub status: FileStatus,
}

/// The state of the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum SignatureStatus {
    /// Checked with the given public key.
    Valid { key_id: String },
    /// A public key was given and the signature does not verify (or cannot be read).
    Invalid { reason: String },
    /// A public key was given and the bundle has no manifest.sig.
    Missing,
    /// No public key given: nothing was checked.
    NotChecked {
        present: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
    },
}

/// The outcome of verifying a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub bundle: String,
    /// Problems with manifest.json itself (absent, unreadable, unknown format).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifest_problems: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub files: Vec<FileCheck>,
    pub signature: SignatureStatus,
    pub ok: bool,
}

impl Verification {
    pub fn count(&self, label: &str) -> usize {
        self.files
            .iter()
            .filter(|f| f.status.label() == label)
            .count()
    }
}

/// Verify the bundle at `path` (a directory or a zip file).
pub fn verify(path: &Path, key: Option<&VerifyingKey>) -> Result<Verification, EvidenceError> {
    let listing = bundle::list(path)?;
    Ok(check_listing(&path.display().to_string(), &listing, key))
}

fn read_manifest(listing: &Listing, problems: &mut Vec<String>) -> Option<ManifestFiles> {
    let Some(bytes) = &listing.manifest else {
        problems.push("manifest.json is missing: nothing can be verified".to_owned());
        return None;
    };
    match serde_json::from_slice::<ManifestFiles>(bytes) {
        Err(e) => {
            problems.push(format!(
                "manifest.json:{}:{}: not a bundle manifest: {e}",
                e.line(),
                e.column()
            ));
            None
        }
        Ok(m) if m.format != FORMAT => {
            problems.push(format!(
                "manifest.json: format `{}` is not `{FORMAT}`; this nobastion cannot verify it",
                m.format
            ));
            None
        }
        Ok(m) => Some(m),
    }
}

/// Compare the files on disk with the manifest's list.
fn check_files(manifest: &ManifestFiles, listing: &Listing) -> Vec<FileCheck> {
    let problems: BTreeMap<&str, &str> = listing
        .problems
        .iter()
        .map(|(p, m)| (p.as_str(), m.as_str()))
        .collect();
    let mut files = Vec::new();
    let mut listed: BTreeSet<&str> = BTreeSet::new();
    for entry in &manifest.files {
        let status = if let Some(reason) = path_problem(&entry.path) {
            FileStatus::Unverifiable {
                reason: format!("the manifest lists an invalid path ({reason})"),
            }
        } else if !listed.insert(entry.path.as_str()) {
            FileStatus::Unverifiable {
                reason: "listed twice in the manifest".to_owned(),
            }
        } else if let Some(reason) = problems.get(entry.path.as_str()) {
            FileStatus::Unverifiable {
                reason: (*reason).to_owned(),
            }
        } else {
            match listing.files.get(&entry.path) {
                None => FileStatus::Missing,
                Some(actual)
                    if actual.sha256.eq_ignore_ascii_case(&entry.sha256)
                        && actual.size == entry.size =>
                {
                    FileStatus::Ok
                }
                Some(actual) => FileStatus::Altered {
                    expected_sha256: entry.sha256.clone(),
                    actual_sha256: actual.sha256.clone(),
                    expected_size: entry.size,
                    actual_size: actual.size,
                },
            }
        };
        files.push(FileCheck {
            path: entry.path.clone(),
            status,
        });
    }
    for path in listing.files.keys() {
        if !listed.contains(path.as_str()) {
            files.push(FileCheck {
                path: path.clone(),
                status: FileStatus::Extra { note: None },
            });
        }
    }
    for (path, reason) in &problems {
        if !listed.contains(path) && !listing.files.contains_key(*path) {
            files.push(FileCheck {
                path: (*path).to_owned(),
                status: FileStatus::Extra {
                    note: Some((*reason).to_owned()),
                },
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn check_listing(bundle: &str, listing: &Listing, key: Option<&VerifyingKey>) -> Verification {
    let mut manifest_problems = Vec::new();
    let manifest = read_manifest(listing, &mut manifest_problems);
    let files = manifest
        .as_ref()
        .map(|m| check_files(m, listing))
        .unwrap_or_default();
    let signature = check_signature(listing, manifest.is_some(), key);
    let ok = manifest_problems.is_empty()
        && files.iter().all(|f| f.status == FileStatus::Ok)
        && !matches!(
            signature,
            SignatureStatus::Invalid { .. } | SignatureStatus::Missing
        );
    Verification {
        bundle: bundle.to_owned(),
        manifest_problems,
        manifest_sha256: listing.manifest.as_deref().map(sha256_hex),
        created_at: manifest.and_then(|m| m.created_at),
        files,
        signature,
        ok,
    }
}

fn check_signature(
    listing: &Listing,
    have_manifest: bool,
    key: Option<&VerifyingKey>,
) -> SignatureStatus {
    let parsed = listing.signature.as_ref().map(|bytes| {
        std::str::from_utf8(bytes)
            .map_err(|_| "manifest.sig is not text".to_owned())
            .and_then(signing::parse_signature)
    });
    let Some(key) = key else {
        return SignatureStatus::NotChecked {
            present: parsed.is_some(),
            key_id: parsed.and_then(Result::ok).and_then(|s| s.key_id),
        };
    };
    let Some(parsed) = parsed else {
        return SignatureStatus::Missing;
    };
    let signature = match parsed {
        Ok(signature) => signature,
        Err(reason) => {
            return SignatureStatus::Invalid {
                reason: format!("manifest.sig: {reason}"),
            };
        }
    };
    let Some(manifest) = listing.manifest.as_deref().filter(|_| have_manifest) else {
        return SignatureStatus::Invalid {
            reason: "there is no readable manifest to check the signature against".to_owned(),
        };
    };
    match signing::check(manifest, &signature, key) {
        Ok(()) => SignatureStatus::Valid {
            key_id: signing::key_id(key),
        },
        Err(reason) => SignatureStatus::Invalid { reason },
    }
}

/// The verification as text for people: one line per file that is not intact, the
/// signature, and a verdict.
pub fn render_text(verification: &Verification, verbose: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for problem in &verification.manifest_problems {
        let _ = writeln!(out, "MANIFEST      {problem}");
    }
    for file in &verification.files {
        let line = match &file.status {
            FileStatus::Ok if !verbose => continue,
            FileStatus::Ok => format!("ok            {}", file.path),
            FileStatus::Altered {
                expected_sha256,
                actual_sha256,
                expected_size,
                actual_size,
            } => format!(
                "ALTERED       {}  (sha256 {} in the manifest, {} on disk; {expected_size} → {actual_size} bytes)",
                file.path,
                short(expected_sha256),
                short(actual_sha256)
            ),
            FileStatus::Missing => format!("MISSING       {}", file.path),
            FileStatus::Extra { note: None } => {
                format!("EXTRA         {}  (not in the manifest)", file.path)
            }
            FileStatus::Extra { note: Some(note) } => {
                format!("EXTRA         {}  (not in the manifest; {note})", file.path)
            }
            FileStatus::Unverifiable { reason } => {
                format!("UNVERIFIABLE  {}  ({reason})", file.path)
            }
        };
        let _ = writeln!(out, "{line}");
    }
    let signature = match &verification.signature {
        SignatureStatus::Valid { key_id } => format!("signature: valid (key {key_id})"),
        SignatureStatus::Invalid { reason } => format!("SIGNATURE INVALID: {reason}"),
        SignatureStatus::Missing => {
            "SIGNATURE MISSING: a public key was given but the bundle has no manifest.sig"
                .to_owned()
        }
        SignatureStatus::NotChecked {
            present: true,
            key_id,
        } => format!(
            "signature: present{} but not checked (give --pub-key to check it)",
            key_id
                .as_ref()
                .map(|k| format!(", key {k},"))
                .unwrap_or_default()
        ),
        SignatureStatus::NotChecked { present: false, .. } => {
            "signature: none (unsigned bundle: the hashes prove consistency, not origin)".to_owned()
        }
    };
    let _ = writeln!(out, "{signature}");
    if let Some(sha) = &verification.manifest_sha256 {
        let _ = writeln!(out, "manifest sha256: {sha}");
    }
    let intact = verification.count("ok");
    if verification.ok {
        let _ = writeln!(
            out,
            "verified: {} — {intact} file(s) intact",
            verification.bundle
        );
    } else {
        let mut parts = Vec::new();
        for label in ["altered", "missing", "extra", "unverifiable"] {
            let n = verification.count(label);
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        if !verification.manifest_problems.is_empty() {
            parts.push("manifest unusable".to_owned());
        }
        if matches!(
            verification.signature,
            SignatureStatus::Invalid { .. } | SignatureStatus::Missing
        ) {
            parts.push("signature not valid".to_owned());
        }
        let _ = writeln!(
            out,
            "FAILED: {} — {}",
            verification.bundle,
            parts.join(", ")
        );
    }
    out
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::bundle::Digest;
    use crate::evidence::manifest::FileEntry;

    fn listing(files: &[(&str, &[u8])], manifest_files: &[(&str, &[u8])]) -> Listing {
        let entries: Vec<FileEntry> = manifest_files
            .iter()
            .map(|(p, b)| FileEntry {
                path: (*p).to_owned(),
                sha256: sha256_hex(b),
                size: b.len() as u64,
            })
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "format": FORMAT,
            "files": entries,
        }))
        .unwrap();
        Listing {
            files: files
                .iter()
                .map(|(p, b)| {
                    (
                        (*p).to_owned(),
                        Digest {
                            sha256: sha256_hex(b),
                            size: b.len() as u64,
                        },
                    )
                })
                .collect(),
            manifest: Some(manifest),
            signature: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn each_altered_missing_and_extra_file_is_named() {
        let l = listing(
            &[("a.json", b"A"), ("b.json", b"changed"), ("x.txt", b"x")],
            &[("a.json", b"A"), ("b.json", b"B"), ("c.json", b"C")],
        );
        let v = check_listing("bundle", &l, None);
        assert!(!v.ok);
        let states: Vec<(&str, &str)> = v
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.status.label()))
            .collect();
        assert_eq!(
            states,
            [
                ("a.json", "ok"),
                ("b.json", "altered"),
                ("c.json", "missing"),
                ("x.txt", "extra")
            ]
        );
        let text = render_text(&v, false);
        for expected in [
            "ALTERED       b.json",
            "MISSING       c.json",
            "EXTRA         x.txt",
            "FAILED",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
        }
    }

    #[test]
    fn a_manifest_cannot_point_outside_the_bundle() {
        let l = listing(&[], &[("../../etc/passwd", b"root")]);
        let v = check_listing("bundle", &l, None);
        assert!(!v.ok);
        assert!(matches!(v.files[0].status, FileStatus::Unverifiable { .. }));
    }

    #[test]
    fn missing_or_foreign_manifests_fail() {
        let mut l = listing(&[("a", b"a")], &[]);
        l.manifest = None;
        let v = check_listing("b", &l, None);
        assert!(!v.ok && v.manifest_problems[0].contains("missing"));
        l.manifest = Some(br#"{"format": "other/9", "files": []}"#.to_vec());
        let v = check_listing("b", &l, None);
        assert!(!v.ok && v.manifest_problems[0].contains("other/9"));
        l.manifest = Some(b"{".to_vec());
        let v = check_listing("b", &l, None);
        assert!(
            v.manifest_problems[0].starts_with("manifest.json:1:"),
            "{:?}",
            v.manifest_problems
        );
    }

    #[test]
    fn signatures_are_checked_only_with_a_key_and_must_match() {
        let key = signing::generate().unwrap();
        let mut l = listing(&[("a", b"a")], &[("a", b"a")]);
        let manifest = l.manifest.clone().unwrap();
        let v = check_listing("b", &l, Some(&key.verifying_key()));
        assert_eq!(v.signature, SignatureStatus::Missing);
        assert!(!v.ok);
        l.signature = Some(signing::sign(&manifest, &key).into_bytes());
        let v = check_listing("b", &l, Some(&key.verifying_key()));
        assert!(v.ok, "{v:?}");
        let v = check_listing("b", &l, None);
        assert!(
            v.ok && matches!(
                v.signature,
                SignatureStatus::NotChecked { present: true, .. }
            )
        );
        let other = signing::generate().unwrap();
        let v = check_listing("b", &l, Some(&other.verifying_key()));
        assert!(!v.ok && matches!(v.signature, SignatureStatus::Invalid { .. }));
    }
}
