//! `nobastion.toml`: rule selection, the failure threshold, allowlists, thresholds and
//! waivers. Found in the working directory or given with `--config`.
//!
//! Unknown keys and bad values are errors naming the file, line and key, because a typo in a
//! security tool's configuration must not silently change what is checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};

use crate::access::expect::{ExpectError, Expectations};
use crate::finding::Severity;

/// The configuration file looked for in the working directory.
pub const DEFAULT_FILE: &str = "nobastion.toml";

/// The effective configuration (defaults applied).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
    pub allow_incomplete: bool,
    pub allowlist: Allowlist,
    pub thresholds: Thresholds,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    pub waivers: Vec<Waiver>,
    /// `[access] expect = "FILE"`: the intended access (docs/access.md), read when the
    /// configuration is; the IAM010 rule reports every grant it does not allow, and reports
    /// nothing without it.
    pub access_expectations: Option<Arc<Expectations>>,
}

/// Principals (ARN globs, e.g. `arn:aws:iam::*:role/dba-*`) exempt from rules that are about
/// capabilities some people legitimately need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Allowlist {
    /// Exempt from IAM003 (port forwarding).
    #[serde(default)]
    pub port_forwarding: Vec<String>,
    /// Exempt from IAM004 (SSH over Session Manager).
    #[serde(default)]
    pub ssh: Vec<String>,
    /// Exempt from IAM007 (may administer the preferences document).
    #[serde(default)]
    pub preferences_admins: Vec<String>,
}

/// Numeric limits used by rules.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Thresholds {
    /// LOG007: the longest acceptable idle session timeout, minutes.
    #[serde(default = "default_idle")]
    pub idle_session_timeout_minutes: u32,
    /// LOG008: the longest acceptable maximum session duration, minutes.
    #[serde(default = "default_max_duration")]
    pub max_session_duration_minutes: u32,
    /// LOG012: the shortest acceptable session-log retention, days.
    #[serde(default = "default_retention")]
    pub min_log_retention_days: u32,
    /// IAM001: tag keys a `StartSession` grant must be scoped by (empty: any tag key scopes).
    #[serde(default)]
    pub required_tag_keys: Vec<String>,
}

fn default_idle() -> u32 {
    20
}
fn default_max_duration() -> u32 {
    720
}
fn default_retention() -> u32 {
    365
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            idle_session_timeout_minutes: default_idle(),
            max_session_duration_minutes: default_max_duration(),
            min_log_retention_days: default_retention(),
            required_tag_keys: Vec::new(),
        }
    }
}

/// An accepted risk: findings of `rule` on resources matching `resource` are reported as
/// waived until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub rule: String,
    /// Glob over the resource's id, ARN or IaC address.
    pub resource: String,
    pub reason: String,
    pub owner: Option<String>,
    pub ticket: Option<String>,
    pub expires: Option<NaiveDate>,
    /// 1-based line of the `[[waiver]]` entry in the config file.
    pub line: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    fail_on: Option<SeverityValue>,
    #[serde(default)]
    allow_incomplete: bool,
    #[serde(default)]
    allowlist: Allowlist,
    #[serde(default)]
    thresholds: Option<Thresholds>,
    #[serde(default)]
    severity: BTreeMap<String, SeverityValue>,
    #[serde(default)]
    waiver: Vec<toml::Spanned<RawWaiver>>,
    #[serde(default)]
    access: Option<RawAccess>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    /// The expectations file, relative to the configuration file's directory.
    expect: Option<toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    resource: String,
    reason: String,
    owner: Option<String>,
    ticket: Option<String>,
    expires: Option<DateValue>,
}

#[derive(Debug)]
struct SeverityValue(Severity);

impl<'de> Deserialize<'de> for SeverityValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(SeverityValue)
            .map_err(serde::de::Error::custom)
    }
}

/// A date written as a TOML date (`2026-12-31`) or a string (`"2026-12-31"`).
#[derive(Debug)]
struct DateValue(NaiveDate);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Date(toml::value::Datetime),
            Text(String),
        }
        let raw = Raw::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("expected a date like 2026-12-31"))?;
        let text = match raw {
            Raw::Date(dt) => match (dt.date, dt.time) {
                (Some(d), None) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
                _ => {
                    return Err(serde::de::Error::custom(
                        "expected a date like 2026-12-31, without a time",
                    ));
                }
            },
            Raw::Text(text) => text,
        };
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(DateValue)
            .map_err(|_| {
                serde::de::Error::custom(format!("`{text}` is not a date like 2026-12-31"))
            })
    }
}

/// A configuration error, naming the file and (when known) line and column.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The access expectations file named by `[access] expect` (its own file and line).
    #[error("{0}")]
    Expectations(#[from] ExpectError),
}

impl Config {
    /// Load `explicit` if given, else `nobastion.toml` in the working directory if it exists,
    /// else defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        let path = Path::new(DEFAULT_FILE);
        if path.is_file() {
            Config::load(path)
        } else {
            Ok(Config::default())
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: display.clone(),
            source,
        })?;
        let mut config = Config::parse(&text, &display)?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parse configuration text; `path` is used in messages, and files the configuration
    /// names (`[access] expect`) are read relative to its directory.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let (line, column) = err
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: err.message().trim().to_owned(),
            }
        })?;
        let invalid = |offset: usize, message: String| {
            let (line, column) = line_column(text, offset);
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let mut waivers = Vec::with_capacity(raw.waiver.len());
        for spanned in raw.waiver {
            let offset = spanned.span().start;
            let waiver = spanned.into_inner();
            if waiver.reason.trim().is_empty() {
                return Err(invalid(
                    offset,
                    "waiver `reason` must not be empty".to_owned(),
                ));
            }
            if let Err(err) = globset::Glob::new(&waiver.resource) {
                return Err(invalid(
                    offset,
                    format!("waiver `resource` is not a valid glob: {err}"),
                ));
            }
            let (line, _) = line_column(text, offset);
            waivers.push(Waiver {
                rule: waiver.rule.trim().to_ascii_uppercase(),
                resource: waiver.resource,
                reason: waiver.reason,
                owner: waiver.owner,
                ticket: waiver.ticket,
                expires: waiver.expires.map(|d| d.0),
                line,
            });
        }
        // An allowlist glob that does not compile would exempt nobody: say so, as for waivers.
        for (key, patterns) in [
            ("port-forwarding", &raw.allowlist.port_forwarding),
            ("ssh", &raw.allowlist.ssh),
            ("preferences-admins", &raw.allowlist.preferences_admins),
        ] {
            for pattern in patterns {
                if let Err(err) = globset::Glob::new(pattern) {
                    let offset = text
                        .find(&format!("\"{pattern}\""))
                        .or_else(|| text.find("[allowlist]"))
                        .unwrap_or(0);
                    return Err(invalid(
                        offset,
                        format!("allowlist `{key}` entry `{pattern}` is not a valid glob: {err}"),
                    ));
                }
            }
        }
        let access_expectations = match raw.access.and_then(|a| a.expect) {
            Some(spanned) => {
                let offset = spanned.span().start;
                let name = spanned.into_inner();
                if name.trim().is_empty() {
                    return Err(invalid(
                        offset,
                        "`expect` must name a file of access expectations".to_owned(),
                    ));
                }
                let file = Path::new(path)
                    .parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join(&name);
                Some(Arc::new(Expectations::load(&file)?))
            }
            None => None,
        };
        Ok(Config {
            path: None,
            access_expectations,
            select: raw.select,
            ignore: raw.ignore,
            fail_on: raw.fail_on.map(|s| s.0),
            allow_incomplete: raw.allow_incomplete,
            allowlist: raw.allowlist,
            thresholds: raw.thresholds.unwrap_or_default(),
            severity: raw
                .severity
                .into_iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v.0))
                .collect(),
            waivers,
        })
    }

    /// The config file's display path (for messages and NB002/NB003 locations).
    pub fn display_path(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| DEFAULT_FILE.to_owned(), |p| p.display().to_string())
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.split(|&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config() {
        let text = r#"
select = ["NET", "IAM001"]
ignore = ["NET006"]
fail-on = "high"

[allowlist]
port-forwarding = ["arn:aws:iam::*:role/dba-*"]

[thresholds]
idle-session-timeout-minutes = 15

[severity]
net006 = "medium"

[[waiver]]
rule = "net001"
resource = "sg-0123*"
reason = "legacy jump host, removal planned"
owner = "platform-team"
ticket = "SEC-42"
expires = 2026-12-31

[[waiver]]
rule = "EC2002"
resource = "*"
reason = "keys are rotated"
expires = "2027-01-15"
"#;
        let config = Config::parse(text, "nobastion.toml").unwrap();
        assert_eq!(
            config.select.as_deref(),
            Some(&["NET".to_owned(), "IAM001".to_owned()][..])
        );
        assert_eq!(config.fail_on, Some(Severity::High));
        assert_eq!(config.thresholds.idle_session_timeout_minutes, 15);
        assert_eq!(
            config.thresholds.max_session_duration_minutes, 720,
            "defaults fill the rest"
        );
        assert_eq!(config.severity.get("NET006"), Some(&Severity::Medium));
        assert_eq!(config.waivers.len(), 2);
        assert_eq!(config.waivers[0].rule, "NET001");
        assert_eq!(config.waivers[0].line, 15);
        assert_eq!(
            config.waivers[0].expires,
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert_eq!(
            config.waivers[1].expires,
            NaiveDate::from_ymd_opt(2027, 1, 15)
        );
        assert_eq!(
            config.allowlist.port_forwarding,
            ["arn:aws:iam::*:role/dba-*"]
        );
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = Config::parse(
            "fail-on = \"low\"\n\n[thresholds]\nidle-timeout = 5\n",
            "n.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("n.toml:4:"), "{err}");
        assert!(err.contains("idle-timeout"), "{err}");
    }

    #[test]
    fn bad_values_are_errors() {
        let err = Config::parse("fail-on = \"severe\"\n", "n.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("n.toml:1:") && err.contains("unknown severity"),
            "{err}"
        );
        let err = Config::parse(
            "[[waiver]]\nrule=\"X\"\nresource=\"*\"\nreason=\"r\"\nexpires=\"soon\"\n",
            "n.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a date"), "{err}");
        let err = Config::parse(
            "[[waiver]]\nrule=\"X\"\nresource=\"[\"\nreason=\"r\"\n",
            "n.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a valid glob"), "{err}");
        let err = Config::parse(
            "fail-on = \"low\"\n[allowlist]\nssh = [\"arn:aws:iam::*:role/[ops\"]\n",
            "n.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("n.toml:3:") && err.contains("allowlist `ssh` entry"),
            "{err}"
        );
        let err = Config::parse("[[waiver]]\nrule=\"X\"\nresource=\"*\"\n", "n.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("reason"), "{err}");
        let err = Config::parse("select = \"NET\"\n", "n.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("n.toml:1:"), "{err}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
