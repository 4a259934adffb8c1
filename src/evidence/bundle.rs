//! The evidence bundle on disk: building its files from one evaluation, writing them as a
//! directory or a zip, and listing or reading an existing bundle (for `verify` and `diff`).
//!
//! Every file is rendered in memory first, so the manifest hashes exactly the bytes that are
//! written. Outputs are deterministic for a given input and creation time: files are sorted,
//! the zip entries carry the creation time and fixed permissions, and nothing else varies
//! (set `SOURCE_DATE_EPOCH` to fix the creation time and get byte-identical bundles).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::manifest::{FORMAT, FileEntry, MANIFEST, Manifest, SIGNATURE};
use super::scope::Scope;
use super::{EvidenceError, ReportView, controls, sha256_hex, signing};
use crate::model::Snapshot;
use crate::report::{Report, csv, html, json, markdown, sarif};
use crate::rules::{Registry, RuleMeta, RuleStatus};

pub const SNAPSHOT: &str = "snapshot.json";
pub const FINDINGS_JSON: &str = "findings.json";
pub const FINDINGS_SARIF: &str = "findings.sarif";
pub const FINDINGS_CSV: &str = "findings.csv";
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_MD: &str = "report.md";
pub const RULES: &str = "rules.json";
pub const CONTROLS: &str = "controls.json";
pub const CONFIG: &str = "nobastion.toml";

/// Every name a bundle written by this version can contain.
pub const KNOWN_FILES: [&str; 11] = [
    SNAPSHOT,
    FINDINGS_JSON,
    FINDINGS_SARIF,
    FINDINGS_CSV,
    REPORT_HTML,
    REPORT_MD,
    RULES,
    CONTROLS,
    CONFIG,
    MANIFEST,
    SIGNATURE,
];

/// Larger members are refused when read into memory (`diff`); hashing streams any size.
const READ_LIMIT: u64 = 1 << 30;

/// What a bundle is made from.
pub struct Contents<'a> {
    pub snapshot: &'a Snapshot,
    /// The run; `statistics` should be on so findings.json carries per-rule counts.
    pub report: &'a Report<'a>,
    pub scope: &'a Scope,
    /// The catalog the run used (rules.json, and the controls of rules that did not run).
    pub registry: &'a Registry,
    /// Recorded once: the manifest, the reports and the zip entries carry this instant.
    pub created_at: DateTime<Utc>,
    /// The configuration file's bytes, when one was used.
    pub config: Option<&'a [u8]>,
}

/// A bundle in memory.
pub struct Bundle {
    /// Every file except the manifest and the signature, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    pub manifest: Vec<u8>,
    pub signature: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Bundle {
    /// SHA-256 of manifest.json: worth recording out of band (a ticket, an email), since it
    /// pins every other file.
    pub fn manifest_sha256(&self) -> String {
        sha256_hex(&self.manifest)
    }

    /// Every file with its bytes, manifest and signature included, sorted by name.
    pub fn all_files(&self) -> Vec<(&str, &[u8])> {
        let mut all: Vec<(&str, &[u8])> = self
            .files
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        all.push((MANIFEST, &self.manifest));
        if let Some(signature) = &self.signature {
            all.push((SIGNATURE, signature.as_bytes()));
        }
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }
}

#[derive(Serialize)]
struct RulesDocument<'a> {
    tool_version: &'a str,
    catalog_version: String,
    rules: Vec<RuleEntry<'a>>,
}

#[derive(Serialize)]
struct RuleEntry<'a> {
    #[serde(flatten)]
    meta: &'a RuleMeta,
    /// Whether the rule ran in this evaluation (selected and not removed).
    ran: bool,
}

fn pretty<T: Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// Catalog rules that did not run (removed rules excluded: they evidence nothing).
pub fn rules_not_run<'r>(registry: &'r Registry, report: &Report<'_>) -> Vec<&'r RuleMeta> {
    registry
        .rules()
        .iter()
        .map(|r| &r.meta)
        .filter(|m| m.status != RuleStatus::Removed)
        .filter(|m| !report.rules.iter().any(|run| run.meta.id == m.id))
        .collect()
}

/// Render every file and the manifest; sign it when a key is given.
pub fn build(contents: &Contents<'_>, key: Option<&SigningKey>) -> Bundle {
    let report = contents.report;
    let not_run = rules_not_run(contents.registry, report);
    let controls = controls::compute(report.findings, report.rules, &not_run);
    let view = ReportView {
        report,
        scope: Some(contents.scope),
        controls: &controls,
        not_run: not_run.clone(),
        created_at: Some(contents.created_at),
    };

    let mut files = BTreeMap::new();
    let mut snapshot = contents.snapshot.to_json_pretty();
    snapshot.push('\n');
    files.insert(SNAPSHOT.to_owned(), snapshot.into_bytes());
    files.insert(FINDINGS_JSON.to_owned(), json::render(report).into_bytes());
    files.insert(
        FINDINGS_SARIF.to_owned(),
        sarif::render(report).into_bytes(),
    );
    files.insert(FINDINGS_CSV.to_owned(), csv::render(report).into_bytes());
    files.insert(REPORT_HTML.to_owned(), html::render(&view).into_bytes());
    files.insert(REPORT_MD.to_owned(), markdown::render(&view).into_bytes());
    let rules = RulesDocument {
        tool_version: crate::report::TOOL_VERSION,
        catalog_version: crate::rules::catalog_version(),
        rules: contents
            .registry
            .rules()
            .iter()
            .map(|r| RuleEntry {
                meta: &r.meta,
                ran: report.rules.iter().any(|run| run.meta.id == r.meta.id),
            })
            .collect(),
    };
    files.insert(RULES.to_owned(), pretty(&rules));
    files.insert(
        CONTROLS.to_owned(),
        pretty(&controls.document(report.findings)),
    );
    if let Some(config) = contents.config {
        files.insert(CONFIG.to_owned(), config.to_vec());
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        tool: contents.scope.tool.clone(),
        created_at: contents.created_at,
        scope: contents.scope.clone(),
        summary: json::output(report).summary,
        files: files
            .iter()
            .map(|(path, bytes)| FileEntry {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
            })
            .collect(),
    }
    .to_bytes();
    let signature = key.map(|key| signing::sign(&manifest, key));
    Bundle {
        files,
        manifest,
        signature,
        created_at: contents.created_at,
    }
}

/// Where to write a bundle: a directory, or a zip file when the path ends in `.zip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Dir(PathBuf),
    Zip(PathBuf),
}

impl Target {
    pub fn from_path(path: &Path) -> Target {
        let is_zip = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("zip"));
        if is_zip {
            Target::Zip(path.to_path_buf())
        } else {
            Target::Dir(path.to_path_buf())
        }
    }
}

/// Check that the bundle can be written at `target` without losing anything: a directory
/// must be new or empty, or with `force` hold only an earlier bundle's files (nothing else
/// is ever deleted); a zip file is replaced only with `force`. Run before the (possibly
/// long) evaluation, and again by [`write`].
pub fn check_target(target: &Target, force: bool) -> Result<(), EvidenceError> {
    match target {
        Target::Dir(dir) => {
            if !dir.exists() {
                return Ok(());
            }
            if !dir.is_dir() {
                return Err(EvidenceError::invalid(
                    dir,
                    "exists and is not a directory (name a new directory, or FILE.zip)",
                ));
            }
            let entries = dir_entries(dir)?;
            if entries.is_empty() {
                return Ok(());
            }
            if !force {
                return Err(EvidenceError::Exists {
                    path: dir.display().to_string(),
                    hint: "the directory is not empty; name a new directory, or use --force to replace an earlier bundle in it",
                });
            }
            let foreign: Vec<&str> = entries
                .iter()
                .map(String::as_str)
                .filter(|name| !KNOWN_FILES.contains(name))
                .collect();
            if foreign.is_empty() {
                Ok(())
            } else {
                Err(EvidenceError::invalid(
                    dir,
                    format!(
                        "holds files that are not part of an evidence bundle ({}); --force only replaces a bundle, name an empty directory",
                        foreign.join(", ")
                    ),
                ))
            }
        }
        Target::Zip(path) => {
            if path.is_dir() {
                return Err(EvidenceError::invalid(path, "is a directory"));
            }
            if (path.exists() || path.is_symlink()) && !force {
                return Err(EvidenceError::Exists {
                    path: path.display().to_string(),
                    hint: "use --force to replace it",
                });
            }
            Ok(())
        }
    }
}

fn dir_entries(dir: &Path) -> Result<Vec<String>, EvidenceError> {
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| EvidenceError::io(dir, "list", e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    Ok(entries)
}

/// Write the bundle (see [`check_target`] for what may be replaced). A zip file appears
/// complete or not at all.
pub fn write(bundle: &Bundle, target: &Target, force: bool) -> Result<(), EvidenceError> {
    check_target(target, force)?;
    match target {
        Target::Dir(dir) => write_dir(bundle, dir),
        Target::Zip(path) => write_zip(bundle, path),
    }
}

fn write_dir(bundle: &Bundle, dir: &Path) -> Result<(), EvidenceError> {
    if dir.is_dir() {
        // check_target allowed only an earlier bundle's files here.
        for name in dir_entries(dir)? {
            let path = dir.join(name);
            std::fs::remove_file(&path).map_err(|e| EvidenceError::io(&path, "remove", e))?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| EvidenceError::io(dir, "create", e))?;
    for (name, bytes) in bundle.all_files() {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| EvidenceError::io(&path, "write", e))?;
    }
    Ok(())
}

fn zip_time(time: DateTime<Utc>) -> zip::DateTime {
    let field = |v: u32| u8::try_from(v).unwrap_or(0);
    u16::try_from(time.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                field(time.month()),
                field(time.day()),
                field(time.hour()),
                field(time.minute()),
                field(time.second()),
            )
            .ok()
        })
        .unwrap_or_default()
}

fn write_zip(bundle: &Bundle, path: &Path) -> Result<(), EvidenceError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = (|| {
        let file = std::fs::File::create(&partial)
            .map_err(|e| EvidenceError::io(&partial, "create", e))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip_time(bundle.created_at))
            .unix_permissions(0o644);
        let zip_error = |e: zip::result::ZipError| EvidenceError::invalid(&partial, e.to_string());
        for (name, bytes) in bundle.all_files() {
            zip.start_file(name, options).map_err(zip_error)?;
            zip.write_all(bytes)
                .map_err(|e| EvidenceError::io(&partial, "write", e))?;
        }
        let mut out = zip.finish().map_err(zip_error)?;
        out.flush()
            .map_err(|e| EvidenceError::io(&partial, "write", e))?;
        drop(out);
        std::fs::rename(&partial, path).map_err(|e| EvidenceError::io(path, "write", e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// A file's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub sha256: String,
    pub size: u64,
}

/// What a bundle on disk holds.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Every regular file but the manifest and the signature, by bundle path.
    pub files: BTreeMap<String, Digest>,
    pub manifest: Option<Vec<u8>>,
    pub signature: Option<Vec<u8>>,
    /// Entries that are no regular file, could not be read, or are ambiguous (a zip with two
    /// entries of one name): `(path, what is wrong)`.
    pub problems: Vec<(String, String)>,
}

struct Hashing {
    hasher: Sha256,
    size: u64,
}

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hash a reader; keep its bytes too when `keep` (manifest and signature).
fn digest_of(
    reader: &mut dyn std::io::Read,
    keep: bool,
) -> std::io::Result<(Digest, Option<Vec<u8>>)> {
    let mut hashing = Hashing {
        hasher: Sha256::new(),
        size: 0,
    };
    let kept = if keep {
        let mut bytes = Vec::new();
        reader.take(READ_LIMIT).read_to_end(&mut bytes)?;
        hashing.write_all(&bytes)?;
        Some(bytes)
    } else {
        std::io::copy(reader, &mut hashing)?;
        None
    };
    let digest = Digest {
        sha256: super::hex(&hashing.hasher.finalize()),
        size: hashing.size,
    };
    Ok((digest, kept))
}

fn is_zip(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")
}

/// Whether `path` looks like a bundle (a directory with manifest.json, or a zip file).
pub fn is_bundle(path: &Path) -> bool {
    (path.is_dir() && path.join(MANIFEST).is_file()) || is_zip(path)
}

/// List a bundle (a directory or a zip file) with the digest of every file.
pub fn list(path: &Path) -> Result<Listing, EvidenceError> {
    if path.is_dir() {
        list_dir(path)
    } else if path.is_file() {
        if !is_zip(path) {
            return Err(EvidenceError::invalid(
                path,
                "neither a directory nor a zip file; expected an evidence bundle",
            ));
        }
        list_zip(path)
    } else {
        Err(EvidenceError::io(
            path,
            "open",
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        ))
    }
}

fn add_entry(listing: &mut Listing, name: String, reader: &mut dyn std::io::Read) {
    let keep = name == MANIFEST || name == SIGNATURE;
    match digest_of(reader, keep) {
        Ok((digest, kept)) => match name.as_str() {
            MANIFEST => listing.manifest = kept,
            SIGNATURE => listing.signature = kept,
            _ => {
                listing.files.insert(name, digest);
            }
        },
        Err(e) => listing
            .problems
            .push((name, format!("cannot be read: {e}"))),
    }
}

fn list_dir(root: &Path) -> Result<Listing, EvidenceError> {
    let mut listing = Listing::default();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| EvidenceError::io(&dir, "list", e))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                listing
                    .problems
                    .push((name, "cannot be inspected".to_owned()));
                continue;
            };
            if kind.is_symlink() {
                listing
                    .problems
                    .push((name, "is a symbolic link (not followed)".to_owned()));
            } else if kind.is_dir() {
                stack.push((path, format!("{name}/")));
            } else if kind.is_file() {
                match std::fs::File::open(&path) {
                    Ok(mut file) => add_entry(&mut listing, name, &mut file),
                    Err(e) => listing
                        .problems
                        .push((name, format!("cannot be read: {e}"))),
                }
            } else {
                listing
                    .problems
                    .push((name, "is not a regular file".to_owned()));
            }
        }
    }
    Ok(listing)
}

/// The folder a zip's bundle sits in: none when manifest.json is at the top, else the
/// single top-level folder holding it (a bundle directory zipped with its folder).
fn zip_root(names: &[String]) -> String {
    if names.iter().any(|n| n == MANIFEST) {
        return String::new();
    }
    let nested: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_suffix(MANIFEST)
                .and_then(|dir| dir.strip_suffix('/'))
                .is_some_and(|dir| !dir.is_empty() && !dir.contains('/'))
        })
        .collect();
    match nested.as_slice() {
        [one] => one[..one.len() - MANIFEST.len()].to_owned(),
        _ => String::new(),
    }
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<std::fs::File>, EvidenceError> {
    let file = std::fs::File::open(path).map_err(|e| EvidenceError::io(path, "open", e))?;
    zip::ZipArchive::new(file)
        .map_err(|e| EvidenceError::invalid(path, format!("not a readable zip file: {e}")))
}

fn list_zip(path: &Path) -> Result<Listing, EvidenceError> {
    let mut archive = open_zip(path)?;
    let mut listing = Listing::default();
    if archive.has_duplicate_names() {
        // Two entries with one name: unzip tools disagree on which one wins, so the archive
        // can show an auditor a file other than the one that was hashed.
        for name in duplicate_names(path)? {
            listing.problems.push((
                name,
                "appears more than once in the zip (an extractor may show a different copy)"
                    .to_owned(),
            ));
        }
    }
    let names: Vec<String> = (0..archive.len())
        .filter_map(|i| {
            archive
                .by_index_raw(i)
                .ok()
                .and_then(|f| f.name().ok().map(std::borrow::Cow::into_owned))
        })
        .collect();
    let root = zip_root(&names);
    for index in 0..archive.len() {
        let options =
            zip::ZipReadOptions::new().enforce_header_consistency(!archive.has_duplicate_names());
        let mut entry = match archive.by_index_with_options(index, options) {
            Ok(entry) => entry,
            Err(e) => {
                let name = names
                    .get(index)
                    .cloned()
                    .unwrap_or_else(|| format!("entry #{index}"));
                listing
                    .problems
                    .push((name, format!("cannot be read: {e}")));
                continue;
            }
        };
        let raw = entry
            .name()
            .map_or_else(|_| format!("entry #{index}"), std::borrow::Cow::into_owned);
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            listing
                .problems
                .push((raw, "is a symbolic link".to_owned()));
            continue;
        }
        let name = match raw.strip_prefix(&root) {
            Some(inner) if !root.is_empty() => inner.to_owned(),
            _ => raw,
        };
        add_entry(&mut listing, name, &mut entry);
    }
    Ok(listing)
}

/// Entry names that occur more than once, read from the local headers in order.
fn duplicate_names(path: &Path) -> Result<Vec<String>, EvidenceError> {
    let file = std::fs::File::open(path).map_err(|e| EvidenceError::io(path, "open", e))?;
    let mut reader = std::io::BufReader::new(file);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    while let Ok(Some(mut entry)) = zip::read::read_zipfile_from_stream(&mut reader) {
        let name = entry
            .name()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default();
        *seen.entry(name).or_default() += 1;
        if std::io::copy(&mut entry, &mut std::io::sink()).is_err() {
            break;
        }
    }
    let duplicates: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect();
    if duplicates.is_empty() {
        return Ok(vec!["(unknown entry)".to_owned()]);
    }
    Ok(duplicates)
}

/// Read one member of a bundle (directory or zip), `None` when it is absent.
pub fn read_member(path: &Path, name: &str) -> Result<Option<Vec<u8>>, EvidenceError> {
    if path.is_dir() {
        let file = path.join(name);
        if !file.is_file() {
            return Ok(None);
        }
        let bytes = std::fs::read(&file).map_err(|e| EvidenceError::io(&file, "read", e))?;
        return Ok(Some(bytes));
    }
    let mut archive = open_zip(path)?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(std::borrow::Cow::into_owned)
        .collect();
    let full = format!("{}{name}", zip_root(&names));
    let mut entry = match archive.by_name(&full) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(EvidenceError::invalid(path, format!("{full}: {e}"))),
    };
    let mut bytes = Vec::new();
    (&mut entry)
        .take(READ_LIMIT)
        .read_to_end(&mut bytes)
        .map_err(|e| EvidenceError::invalid(path, format!("{full}: cannot be read: {e}")))?;
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_root_is_the_single_folder_holding_the_manifest() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(zip_root(&names(&["manifest.json", "a.json"])), "");
        assert_eq!(
            zip_root(&names(&[
                "bundle/",
                "bundle/manifest.json",
                "bundle/a.json"
            ])),
            "bundle/"
        );
        assert_eq!(
            zip_root(&names(&["a/manifest.json", "b/manifest.json"])),
            ""
        );
        assert_eq!(zip_root(&names(&["a/b/manifest.json"])), "");
    }

    #[test]
    fn zip_times_are_clamped_to_what_zip_can_store() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T09:00:33Z")
            .unwrap()
            .with_timezone(&Utc);
        let z = zip_time(t);
        assert_eq!((z.year(), z.month(), z.day()), (2026, 11, 21));
        let old = DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(zip_time(old).year(), 1980);
    }
}
