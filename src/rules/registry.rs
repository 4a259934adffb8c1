//! The rule registry: every rule of the catalog keyed by its stable id, built from the rule
//! files embedded from `rules/` and linked to the Rust checks in `builtin/`.
//!
//! A rule file is YAML: metadata (see [`RuleMeta`]), an optional declarative `check`, and
//! pass/fail `examples` that the test suite runs (`tests/rule_examples.rs`).

use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::builtin;
use super::declarative::{DeclarativeCheck, DeclarativeRule};
use super::meta::{Implementation, Remediation, RuleMeta, RuleStatus};
use super::{Check, Framework};
use crate::finding::Severity;

/// The rule files, embedded at build time: `(file name, YAML text)`.
pub(crate) const RULE_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// How a registered rule runs.
pub(crate) enum Runner {
    Rust(&'static dyn Check),
    Declarative(DeclarativeRule),
    Engine,
}

pub struct RegisteredRule {
    pub meta: RuleMeta,
    pub(crate) runner: Runner,
    /// The rule file it was read from (`rules/NET001-ssh-ingress-allowed.yaml`).
    pub file: &'static str,
}

/// All rules, sorted by id.
pub struct Registry {
    rules: Vec<RegisteredRule>,
}

/// A problem in an embedded rule file: a bug in nobastion, caught by the test suite.
#[derive(Debug, thiserror::Error)]
#[error("internal error in rule file rules/{file}: {message}")]
pub struct RegistryError {
    pub file: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    name: String,
    title: String,
    severity: Severity,
    status: RuleStatus,
    since: String,
    implementation: Implementation,
    description: String,
    rationale: String,
    remediation: Remediation,
    references: Vec<String>,
    compliance: std::collections::BTreeMap<Framework, Vec<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    check: Vec<DeclarativeCheck>,
    /// Examples are only read by the test suite (see `examples.rs`).
    #[serde(default)]
    #[allow(dead_code)]
    examples: IgnoredAny,
}

impl Registry {
    /// The built-in catalog (parsed once).
    pub fn builtin() -> Result<&'static Registry, &'static RegistryError> {
        static REGISTRY: OnceLock<Result<Registry, RegistryError>> = OnceLock::new();
        REGISTRY
            .get_or_init(|| Registry::from_files(RULE_FILES, &builtin::checks()))
            .as_ref()
    }

    pub(crate) fn from_files(
        files: &'static [(&'static str, &'static str)],
        checks: &[&'static dyn Check],
    ) -> Result<Registry, RegistryError> {
        let mut rules = Vec::with_capacity(files.len());
        for (file, text) in files {
            let err = |message: String| RegistryError {
                file: (*file).to_owned(),
                message,
            };
            let raw: RuleFile = serde_norway::from_str(text).map_err(|e| err(e.to_string()))?;
            if !file.starts_with(&format!("{}-{}.", raw.id, raw.name)) {
                return Err(err(format!(
                    "file name must be `{}-{}.yaml`",
                    raw.id, raw.name
                )));
            }
            let meta = RuleMeta {
                id: raw.id,
                name: raw.name,
                title: raw.title,
                severity: raw.severity,
                status: raw.status,
                since: raw.since,
                implementation: raw.implementation,
                description: raw.description,
                rationale: raw.rationale,
                remediation: raw.remediation,
                references: raw.references,
                compliance: raw.compliance,
                tags: raw.tags,
            };
            let runner = match meta.implementation {
                Implementation::Declarative => {
                    if raw.check.is_empty() {
                        return Err(err("a declarative rule needs a `check`".to_owned()));
                    }
                    Runner::Declarative(DeclarativeRule::compile(raw.check).map_err(err)?)
                }
                Implementation::Rust => {
                    if !raw.check.is_empty() {
                        return Err(err("a Rust rule must not have a `check`".to_owned()));
                    }
                    let check = checks
                        .iter()
                        .find(|c| c.id() == meta.id)
                        .ok_or_else(|| err(format!("no Rust check registered for {}", meta.id)))?;
                    Runner::Rust(*check)
                }
                Implementation::Engine => Runner::Engine,
            };
            rules.push(RegisteredRule { meta, runner, file });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        if let Some(pair) = rules.windows(2).find(|w| w[0].meta.id == w[1].meta.id) {
            return Err(RegistryError {
                file: pair[1].file.to_owned(),
                message: format!("duplicate rule id {}", pair[1].meta.id),
            });
        }
        for check in checks {
            if !rules.iter().any(|r| r.meta.id == check.id()) {
                return Err(RegistryError {
                    file: format!("{}-*.yaml", check.id()),
                    message: format!("Rust check {} has no rule file", check.id()),
                });
            }
        }
        Ok(Registry { rules })
    }

    pub fn rules(&self) -> &[RegisteredRule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&RegisteredRule> {
        self.rules
            .iter()
            .find(|r| r.meta.id.eq_ignore_ascii_case(id))
    }
}

/// The catalog version: changes whenever a rule file changes (a hash of all of them), so an
/// evidence bundle records exactly which catalog produced it.
pub fn catalog_version() -> String {
    let parts: Vec<&str> = RULE_FILES.iter().flat_map(|(n, t)| [*n, *t]).collect();
    let hash = crate::finding::fingerprint("catalog", &parts);
    format!("{}+{}", env!("CARGO_PKG_VERSION"), &hash[..12])
}
