//! Which files `nobastion lint PATH...` reads: files named on the command line always;
//! directories recursively, in name order, skipping hidden entries (`.git`, `.terraform`)
//! and applying `--include` / `--exclude` globs.
//!
//! A glob without a `/` matches a file or directory name anywhere (`*.json`,
//! `node_modules`); a glob with a `/` matches the path relative to the directory given on
//! the command line (`policies/**/*.json`). Without `--include`, files named `*.json`,
//! `*.yaml`, `*.yml`, `*.template` or `*.tfplan` are inputs, and other files are read only
//! when their content is a JSON object (the AWS managed policy corpus has no extensions);
//! what turns out not to be a policy, plan or template is skipped.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::{Discovery, IngestError};

/// `--include` / `--exclude` globs.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// A glob that does not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid glob `{glob}`: {message}")]
pub struct WalkError {
    pub glob: String,
    pub message: String,
}

/// A file to read, or a path that could not be listed.
pub(crate) enum Found {
    File {
        /// The path as shown in findings: as given, joined with what was found below it.
        display: String,
        path: PathBuf,
        discovery: Discovery,
    },
    Error(IngestError),
}

struct Globs {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

fn build(globs: &[String]) -> Result<GlobSet, WalkError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = if glob.contains('/') {
            GlobBuilder::new(glob.trim_start_matches("./"))
                .literal_separator(true)
                .build()
        } else {
            Glob::new(glob)
        }
        .map_err(|e| WalkError {
            glob: glob.clone(),
            message: e.kind().to_string(),
        })?;
        builder.add(compiled);
    }
    builder.build().map_err(|e| WalkError {
        glob: globs.join(", "),
        message: e.to_string(),
    })
}

impl Globs {
    fn new(options: &WalkOptions) -> Result<Self, WalkError> {
        Ok(Globs {
            include: if options.include.is_empty() {
                None
            } else {
                Some(build(&options.include)?)
            },
            exclude: build(&options.exclude)?,
        })
    }

    fn excluded(&self, name: &str, relative: &str) -> bool {
        self.exclude.is_match(name) || self.exclude.is_match(relative)
    }

    fn included(&self, name: &str, relative: &str) -> bool {
        self.include
            .as_ref()
            .is_none_or(|set| set.is_match(name) || set.is_match(relative))
    }
}

/// The path as a user reads it: forward slashes, no `./` prefixes, no doubled separators.
/// Fingerprints include the path, so `lint ./infra` and `lint infra` must agree.
pub(crate) fn normalize(path: &str) -> String {
    let unified = path.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let absolute = unified.starts_with('/');
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// Whether a file's name says it is JSON or YAML.
pub(crate) fn candidate_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".json", ".yaml", ".yml", ".template", ".tfplan"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Expand the command-line paths into files, in a stable order.
pub(crate) fn collect(paths: &[PathBuf], options: &WalkOptions) -> Result<Vec<Found>, WalkError> {
    let globs = Globs::new(options)?;
    let mut found = Vec::new();
    for path in paths {
        let display = normalize(&path.to_string_lossy());
        match std::fs::metadata(path) {
            Err(e) => found.push(Found::Error(IngestError::new(
                &display,
                None,
                format!("cannot read: {e}"),
            ))),
            Ok(meta) if meta.is_dir() => walk_dir(path, &display, "", &globs, &mut found),
            Ok(_) => found.push(Found::File {
                display,
                path: path.clone(),
                discovery: Discovery::Explicit,
            }),
        }
    }
    // A file named twice (or named and inside a named directory) is read once.
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| match f {
        Found::File { display, .. } => seen.insert(display.clone()),
        Found::Error(_) => true,
    });
    Ok(found)
}

fn walk_dir(dir: &Path, display: &str, relative: &str, globs: &Globs, found: &mut Vec<Found>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            found.push(Found::Error(IngestError::new(
                display,
                None,
                format!("cannot list directory: {e}"),
            )));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let child_display = if display == "." {
            name.clone()
        } else {
            format!("{display}/{name}")
        };
        let child_relative = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        if globs.excluded(&name, &child_relative) {
            continue;
        }
        let path = entry.path();
        // Do not follow symbolic links to directories (loops); links to files are read.
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                if !is_link {
                    walk_dir(&path, &child_display, &child_relative, globs, found);
                }
            }
            Ok(_) => {
                if globs.included(&name, &child_relative) {
                    found.push(Found::File {
                        display: child_display,
                        path,
                        discovery: if globs.include.is_some() {
                            Discovery::Included
                        } else {
                            Discovery::Walked
                        },
                    });
                }
            }
            Err(e) => {
                if globs.included(&name, &child_relative) {
                    found.push(Found::Error(IngestError::new(
                        &child_display,
                        None,
                        format!("cannot read: {e}"),
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("./infra//plan.json"), "infra/plan.json");
        assert_eq!(normalize("infra\\a.json"), "infra/a.json");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("/tmp/./x"), "/tmp/x");
    }

    #[test]
    fn candidate_names() {
        assert!(candidate_name("a/b.JSON"));
        assert!(candidate_name("stack.template"));
        assert!(!candidate_name("README.md"));
        assert!(!candidate_name("AmazonSSMFullAccess"));
    }

    #[test]
    fn globs_match_names_and_relative_paths() {
        let globs = Globs::new(&WalkOptions {
            include: vec!["*.json".into()],
            exclude: vec!["vendor".into(), "envs/*/old.json".into()],
        })
        .unwrap();
        assert!(globs.included("a.json", "x/a.json"));
        assert!(!globs.included("a.yaml", "x/a.yaml"));
        assert!(globs.excluded("vendor", "modules/vendor"));
        assert!(globs.excluded("old.json", "envs/prod/old.json"));
        assert!(!globs.excluded("old.json", "envs/prod/deep/old.json"));
        let bad = Globs::new(&WalkOptions {
            include: vec!["a[".into()],
            exclude: vec![],
        });
        assert!(bad.is_err());
    }
}
