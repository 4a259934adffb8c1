//! manifest.json: every file of an evidence bundle with its SHA-256 and size, plus the tool
//! version, the creation time, the scope and the run's summary. The manifest lists every
//! file except itself and its signature (manifest.sig), which signs the manifest's exact
//! bytes.
//!
//! Verification reads only [`ManifestFiles`] (format and file list), so bundles made by
//! older or newer versions verify as long as the format stays `nobastion-evidence/1`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scope::{Scope, ToolInfo};
use crate::report::json::Summary;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The signature's file name.
pub const SIGNATURE: &str = "manifest.sig";
/// The bundle format this build writes and verifies.
pub const FORMAT: &str = "nobastion-evidence/1";

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative path inside the bundle, `/`-separated.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
}

/// The whole manifest, as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub tool: ToolInfo,
    /// When the bundle was made; the same instant appears in the reports.
    pub created_at: DateTime<Utc>,
    pub scope: Scope,
    pub summary: Summary,
    /// Sorted by path.
    pub files: Vec<FileEntry>,
}

/// What verification needs from a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ManifestFiles {
    pub format: String,
    pub files: Vec<FileEntry>,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl Manifest {
    /// The on-disk form: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }
}

/// Why a path may not appear in a manifest, if it may not. Paths are relative and
/// `/`-separated, without `.`/`..` components, so that verification never reads outside the
/// bundle, whatever a tampered manifest says.
pub fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return Some("not a relative /-separated path");
    }
    if path.contains('\0') {
        return Some("contains a NUL byte");
    }
    if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Some("has an empty, `.` or `..` component");
    }
    if path == MANIFEST || path == SIGNATURE {
        return Some("the manifest does not list itself or its signature");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_escape_the_bundle_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "C:\\x",
            "a\\b",
            "manifest.json",
            "manifest.sig",
        ] {
            assert!(path_problem(bad).is_some(), "{bad:?} accepted");
        }
        for good in ["report.html", "sub/dir/file.json", "nobastion.toml"] {
            assert_eq!(path_problem(good), None, "{good:?} refused");
        }
    }
}
