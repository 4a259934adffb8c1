//! Baselines: "fail only on what is new". A baseline is a previous nobastion report, in the
//! JSON format (`--format json`, or the file `lint --write-baseline` writes) or in SARIF
//! (`partialFingerprints["nobastion/v1"]`). Findings whose fingerprint is in the baseline
//! are left out of the report and do not affect the exit code.
//!
//! Fingerprints are computed by the rules engine from the file path, the resource's address
//! (or id), the rule and the finding's subject, never from line numbers, so a baseline
//! survives unrelated edits that move resources around a file. Used by `nobastion lint`
//! through `cli::common::report_snapshot_with`.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::finding::{Finding, Status};

/// The fingerprints of a previous report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

/// Why a baseline file cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: the baseline is not valid JSON: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: not a nobastion report: expected the JSON output (`findings[].fingerprint`) or SARIF (`runs[].results[].partialFingerprints[\"nobastion/v1\"]`)"
    )]
    Unrecognized { path: String },
}

/// The SARIF key nobastion writes its fingerprints under.
pub const SARIF_FINGERPRINT_KEY: &str = "nobastion/v1";

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let display = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| BaselineError::Io {
            path: display.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Baseline::from_json(&text, &display)
    }

    /// Read a JSON or SARIF report; `path` is only used in messages.
    pub fn from_json(text: &str, path: &str) -> Result<Baseline, BaselineError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let mut fingerprints = HashSet::new();
        if let Some(runs) = value.get("runs").and_then(Value::as_array) {
            for run in runs {
                for result in run
                    .get("results")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(fp) = result
                        .get("partialFingerprints")
                        .and_then(|f| f.get(SARIF_FINGERPRINT_KEY))
                        .and_then(Value::as_str)
                    {
                        fingerprints.insert(fp.to_owned());
                    }
                }
            }
            return Ok(Baseline { fingerprints });
        }
        let Some(findings) = value.get("findings").and_then(Value::as_array) else {
            return Err(BaselineError::Unrecognized {
                path: path.to_owned(),
            });
        };
        for finding in findings {
            // A waived finding was accepted by its waiver, not by the baseline: when the
            // waiver goes away the finding must come back.
            if finding.get("status").and_then(Value::as_str) == Some("waived") {
                continue;
            }
            if let Some(fp) = finding.get("fingerprint").and_then(Value::as_str) {
                fingerprints.insert(fp.to_owned());
            }
        }
        Ok(Baseline { fingerprints })
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Remove the findings the baseline already has (waived findings stay: they are shown
    /// with their waiver); returns how many were removed.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain(|f| f.status == Status::Waived || !self.contains(&f.fingerprint));
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{ResourceRef, Severity};

    fn finding(fp: &str, status: Status) -> Finding {
        Finding {
            rule: "NET001".into(),
            severity: Severity::High,
            status,
            resource: ResourceRef::new("security-group", "sg-1"),
            message: "m".into(),
            evidence: None,
            location: None,
            fingerprint: fp.into(),
            details: None,
            waiver: None,
        }
    }

    #[test]
    fn json_and_sarif_reports_are_baselines() {
        let json = r#"{"findings": [{"fingerprint": "a", "status": "fail"}, {"fingerprint": "w", "status": "waived"}, {"fingerprint": "n", "status": "not-assessed"}]}"#;
        let b = Baseline::from_json(json, "b.json").unwrap();
        assert!(b.contains("a") && b.contains("n") && !b.contains("w"));
        let sarif = r#"{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"nobastion/v1": "s"}}, {"partialFingerprints": {"other/v1": "x"}}]}]}"#;
        let b = Baseline::from_json(sarif, "b.sarif").unwrap();
        assert_eq!(b.len(), 1);
        assert!(b.contains("s"));
    }

    #[test]
    fn bad_baselines_name_the_file() {
        let err = Baseline::from_json("{\"findings\": [", "old.json").unwrap_err();
        assert!(err.to_string().starts_with("old.json:1:"), "{err}");
        let err = Baseline::from_json("{\"a\": 1}", "old.json").unwrap_err();
        assert!(err.to_string().contains("not a nobastion report"), "{err}");
    }

    #[test]
    fn apply_removes_known_findings_but_keeps_waived_ones() {
        let b = Baseline::from_json(
            r#"{"findings": [{"fingerprint": "old", "status": "fail"}]}"#,
            "b",
        )
        .unwrap();
        let mut findings = vec![
            finding("old", Status::Fail),
            finding("new", Status::Fail),
            finding("old", Status::Waived),
        ];
        assert_eq!(b.apply(&mut findings), 1);
        let left: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(left, ["new", "old"]);
    }
}
