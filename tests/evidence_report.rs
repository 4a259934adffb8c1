//! What the bundle's reports say: the controls view agrees with an independent computation
//! from findings.json and rules.json (and the HTML and Markdown show the same counts), the
//! HTML and Markdown reports carry every finding, waiver and rule, hostile names from the
//! snapshot render as text, and the CSV has one row per finding.

#[path = "evidence_support/mod.rs"]
mod evidence_support;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use evidence_support::{DEMO, DEMO_CONFIG, demo_bundle, read_json, run, run_env, s};
use serde_json::Value;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// framework → control → status, computed from the findings and the catalog alone.
fn independent_controls(
    findings: &Value,
    rules: &Value,
) -> BTreeMap<String, BTreeMap<String, &'static str>> {
    let findings = findings["findings"].as_array().unwrap();
    let mut mapped: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut ran = BTreeSet::new();
    for rule in rules["rules"].as_array().unwrap() {
        if rule["status"] == "removed" {
            continue;
        }
        let id = rule["id"].as_str().unwrap().to_owned();
        if rule["ran"] == true {
            ran.insert(id.clone());
        }
        for (framework, controls) in rule["compliance"].as_object().unwrap() {
            for control in controls.as_array().unwrap() {
                mapped
                    .entry(framework.clone())
                    .or_default()
                    .entry(control.as_str().unwrap().to_owned())
                    .or_default()
                    .insert(id.clone());
            }
        }
    }
    mapped
        .into_iter()
        .map(|(framework, controls)| {
            let verdicts = controls
                .into_iter()
                .map(|(control, rules)| {
                    let failing = findings.iter().any(|f| {
                        f["status"] == "fail" && rules.contains(f["rule"].as_str().unwrap())
                    });
                    let gap = findings.iter().any(|f| {
                        f["rule"] == "NB001"
                            && f["details"]["rules"].as_array().is_some_and(|r| {
                                r.iter().any(|r| rules.contains(r.as_str().unwrap()))
                            })
                    });
                    let none_ran = rules.iter().all(|r| !ran.contains(r));
                    let status = if failing {
                        "not-satisfied"
                    } else if gap || none_ran {
                        "not-assessed"
                    } else {
                        "satisfied"
                    };
                    (control, status)
                })
                .collect();
            (framework, verdicts)
        })
        .collect()
}

fn counts(verdicts: &BTreeMap<String, &str>) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = ["satisfied", "not-satisfied", "not-assessed"]
        .iter()
        .map(|s| ((*s).to_owned(), 0))
        .collect();
    for status in verdicts.values() {
        *counts.entry((*status).to_owned()).or_default() += 1;
    }
    counts
}

/// The counts the HTML shows per framework (`<tr data-framework=…>` rows).
fn html_counts(html: &str) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out = BTreeMap::new();
    for row in html.split("<tr data-framework=\"").skip(1) {
        let framework = row.split('"').next().unwrap().to_owned();
        let row = row.split("</tr>").next().unwrap();
        let mut cells = BTreeMap::new();
        for cell in row.split("data-status=\"").skip(1) {
            let status = cell.split('"').next().unwrap().to_owned();
            let number = cell
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            cells.insert(status, number);
        }
        out.insert(framework, cells);
    }
    out
}

#[test]
fn controls_view_counts_match_an_independent_computation_from_the_findings() {
    let tmp = tempdir();
    let dir = tmp.path().join("bundle");
    demo_bundle(&dir, &[]);
    let findings = read_json(&dir.join("findings.json"));
    let rules = read_json(&dir.join("rules.json"));
    let controls = read_json(&dir.join("controls.json"));
    let expected = independent_controls(&findings, &rules);
    assert!(!expected.is_empty(), "the catalog maps controls");

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let shown = html_counts(&html);
    let frameworks = controls["frameworks"].as_array().unwrap();
    assert_eq!(frameworks.len(), expected.len());
    for framework in frameworks {
        let key = framework["framework"].as_str().unwrap();
        let verdicts = &expected[key];
        // Control by control…
        let got: BTreeMap<String, &str> = framework["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(&got, verdicts, "{key}");
        // …and the counts in controls.json, the HTML and the Markdown.
        let want = counts(verdicts);
        let json_counts: BTreeMap<String, usize> =
            serde_json::from_value(framework["counts"].clone()).unwrap();
        assert_eq!(json_counts, want, "{key} in controls.json");
        assert_eq!(shown.get(key), Some(&want), "{key} in report.html");
        let title = framework["title"].as_str().unwrap();
        let md_row = format!(
            "| {title} | {} | {} | {} |",
            want["satisfied"], want["not-satisfied"], want["not-assessed"]
        );
        assert!(markdown.contains(&md_row), "{md_row:?} not in report.md");
    }

    // Every finding behind a not-satisfied control is an unwaived failure of a mapped rule.
    let by_fingerprint: BTreeMap<&str, &Value> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["fingerprint"].as_str().unwrap(), f))
        .collect();
    for framework in frameworks {
        for control in framework["controls"].as_array().unwrap() {
            let mapped: BTreeSet<&str> = control["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            for fp in control["failing"].as_array().unwrap() {
                let finding = by_fingerprint[fp.as_str().unwrap()];
                assert_eq!(finding["status"], "fail");
                assert!(mapped.contains(finding["rule"].as_str().unwrap()));
            }
            for fp in control["waived"].as_array().unwrap() {
                assert_eq!(by_fingerprint[fp.as_str().unwrap()]["status"], "waived");
            }
        }
    }
}

#[test]
fn narrowing_the_run_turns_controls_not_assessed_instead_of_hiding_them() {
    let tmp = tempdir();
    let full = tmp.path().join("full");
    let narrow = tmp.path().join("narrow");
    demo_bundle(&full, &[]);
    demo_bundle(&narrow, &["--select", "NET"]);
    let full_controls = read_json(&full.join("controls.json"));
    let narrow_controls = read_json(&narrow.join("controls.json"));
    let ids = |v: &Value| -> BTreeSet<(String, String)> {
        v["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                let fw = f["framework"].as_str().unwrap().to_owned();
                f["controls"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |c| (fw.clone(), c["id"].as_str().unwrap().to_owned()))
            })
            .collect()
    };
    assert_eq!(ids(&full_controls), ids(&narrow_controls));
    // A control mapped only by rules outside NET is not assessed in the narrow run.
    let rules = read_json(&narrow.join("rules.json"));
    let expected = independent_controls(&read_json(&narrow.join("findings.json")), &rules);
    let some_not_run = expected
        .values()
        .flat_map(BTreeMap::values)
        .any(|s| *s == "not-assessed");
    assert!(some_not_run);
    let html = std::fs::read_to_string(narrow.join("report.html")).unwrap();
    assert!(html.contains("Rules not run"));
}

#[test]
fn reports_carry_every_finding_waiver_and_rule() {
    let tmp = tempdir();
    let dir = tmp.path().join("bundle");
    demo_bundle(&dir, &[]);
    let findings = read_json(&dir.join("findings.json"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    let list = findings["findings"].as_array().unwrap();
    assert!(!list.is_empty());
    for finding in list {
        let fp = finding["fingerprint"].as_str().unwrap();
        assert!(html.contains(fp), "{fp} not in report.html");
        assert!(markdown.contains(fp), "{fp} not in report.md");
        if let Some(reason) = finding["waiver"]["reason"].as_str() {
            assert!(
                html.contains(reason),
                "waiver {reason:?} not in report.html"
            );
            for key in ["owner", "ticket", "expires"] {
                if let Some(value) = finding["waiver"][key].as_str() {
                    assert!(html.contains(value), "{value} not in report.html");
                }
            }
        }
    }
    let stats = findings["statistics"]
        .as_array()
        .expect("statistics in the bundle");
    for rule in stats {
        let id = rule["rule"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"rule-{id}\"")), "{id} section");
        assert!(
            markdown.contains(&format!("### {id}: ")),
            "{id} section in md"
        );
    }
    // Scope: accounts, regions, caller, collection time, versions.
    let snapshot = read_json(&support::repo().join(DEMO));
    let caller = snapshot["metadata"]["caller"]["arn"].as_str().unwrap();
    for text in [&html, &markdown] {
        assert!(text.contains(caller));
        assert!(text.contains("2026-11-02T09:30:00Z"));
        assert!(text.contains(findings["tool"]["catalog_version"].as_str().unwrap()));
        for region in snapshot["metadata"]["regions"].as_array().unwrap() {
            assert!(text.contains(region.as_str().unwrap()));
        }
    }
    // Self-contained and inert: no script, no external reference.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no script in the report");
    assert!(!lower.contains("src="), "nothing loaded from anywhere");
    assert!(!lower.contains("<link"), "no linked stylesheet");
    assert!(!lower.contains("@import") && !lower.contains("url("));
    for href in lower.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "external link: {}",
            &href[..40.min(href.len())]
        );
    }
    assert!(lower.contains("@media print"));
}

fn hostile_snapshot(dir: &Path) -> std::path::PathBuf {
    let mut snapshot = read_json(&support::repo().join(DEMO));
    snapshot["accounts"][0]["name"] = "<script>alert('account')</script>".into();
    let groups = snapshot["accounts"][0]["regions"][0]["security_groups"]["collected"]
        .as_array_mut()
        .unwrap();
    let mut evil = groups[0].clone();
    evil["id"] = "sg-<img src=http://127.0.0.1:9/pwn.png>".into();
    evil["name"] = "<script>alert(1)</script> | break | the | table |".into();
    groups.push(evil);
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path
}

#[test]
fn hostile_names_from_the_snapshot_render_as_text() {
    let tmp = tempdir();
    let snapshot = hostile_snapshot(tmp.path());
    let dir = tmp.path().join("bundle");
    let out = run(&[
        "evidence",
        "--snapshot",
        s(&snapshot),
        "--out",
        s(&dir),
        "--exit-zero",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<script>alert"), "script injected");
    assert!(!html.contains("<img src"), "image injected");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;script&gt;alert(&#39;account&#39;)&lt;/script&gt;"));
    assert!(html.contains("sg-&lt;img src=http://127.0.0.1:9/pwn.png&gt;"));
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    // Outside code blocks (which Markdown shows literally) nothing is raw HTML.
    let prose = outside_code_blocks(&markdown);
    assert!(
        !prose.contains("<script>") && !prose.contains("<img"),
        "{prose}"
    );
    assert!(
        markdown.contains("\\| break \\| the \\| table \\|"),
        "pipes escaped"
    );
    assert!(markdown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The CSV keeps the text as it is (quoted), for spreadsheets.
    let csv = std::fs::read_to_string(dir.join("findings.csv")).unwrap();
    assert!(csv.contains("sg-<img src=http://127.0.0.1:9/pwn.png>"));
}

/// The Markdown outside fenced code blocks.
fn outside_code_blocks(markdown: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in markdown.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && line.trim() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// A minimal RFC 4180 reader, independent of the writer under test.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (_, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_has_one_row_per_finding() {
    let tmp = tempdir();
    let dir = tmp.path().join("bundle");
    demo_bundle(&dir, &[]);
    let findings = read_json(&dir.join("findings.json"));
    let text = std::fs::read_to_string(dir.join("findings.csv")).unwrap();
    assert!(text.ends_with("\r\n"));
    let rows = parse_csv(&text);
    let header = &rows[0];
    let list = findings["findings"].as_array().unwrap();
    assert_eq!(rows.len() - 1, list.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, finding) in rows[1..].iter().zip(list) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("rule")], finding["rule"].as_str().unwrap());
        assert_eq!(row[col("status")], finding["status"].as_str().unwrap());
        assert_eq!(
            row[col("fingerprint")],
            finding["fingerprint"].as_str().unwrap()
        );
        assert_eq!(row[col("message")], finding["message"].as_str().unwrap());
        if let Some(reason) = finding["waiver"]["reason"].as_str() {
            assert_eq!(row[col("waiver_reason")], reason);
        }
    }
}

#[test]
fn check_speaks_markdown_and_csv_too() {
    let json = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "-f",
        "json",
    ]);
    let findings: Value = serde_json::from_str(&json.stdout).unwrap();
    let count = findings["findings"].as_array().unwrap().len();
    let csv = run(&[
        "check",
        "--snapshot",
        DEMO,
        "--config",
        DEMO_CONFIG,
        "-f",
        "csv",
    ]);
    assert_eq!(csv.code, json.code);
    assert_eq!(parse_csv(&csv.stdout).len() - 1, count);
    let md = run_env(
        &[
            "check",
            "--snapshot",
            DEMO,
            "--config",
            DEMO_CONFIG,
            "-f",
            "markdown",
        ],
        &[],
    );
    assert_eq!(md.code, json.code);
    assert!(
        md.stdout.starts_with("# nobastion findings report"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("## 2. Controls") || md.stdout.contains(". Controls"));
    for finding in findings["findings"].as_array().unwrap() {
        assert!(md.stdout.contains(finding["fingerprint"].as_str().unwrap()));
    }
}
