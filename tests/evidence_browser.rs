//! The HTML report in a real browser: headless Chromium (Debian's package, driven by
//! playwright-core from tests/browser/) opens the demo report and a report built from a
//! snapshot with hostile names, renders each to a PNG and a PDF, and the test fails on any
//! console error, any request (the report must be self-contained), a blank page, a script
//! element, or a print layout that does not break pages between sections or overflows A4.
//!
//! Needs `source scripts/setup.d/30-chromium.sh` (scripts/test.sh does it). Without
//! Chromium the tests skip with a message, unless `NOBASTION_REQUIRE_TOOLS` is set (CI),
//! where a missing browser is a failure.
//! `NOBASTION_UPDATE_SCREENSHOT=1` refreshes docs/evidence-report.png from the demo render.

#[path = "evidence_support/mod.rs"]
mod evidence_support;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use evidence_support::{DEMO, EPOCH, demo_bundle, read_json, run, s};
use serde_json::Value;

struct Browser {
    chromium: PathBuf,
    driver: PathBuf,
}

fn require_tools() -> bool {
    std::env::var("NOBASTION_REQUIRE_TOOLS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The browser and its driver, or `None` after saying why the test is skipped.
fn browser() -> Option<Browser> {
    let chromium = std::env::var_os("NOBASTION_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let driver = std::env::var_os("NOBASTION_BROWSER_DRIVER").map_or_else(
        || support::repo().join("tests/browser/render.mjs"),
        PathBuf::from,
    );
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing.push(format!("Chromium ({})", chromium.display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node".to_owned());
    }
    let module = driver
        .parent()
        .unwrap_or(Path::new("."))
        .join("node_modules/playwright-core");
    if !module.is_dir() {
        missing.push(format!("the browser driver ({})", module.display()));
    }
    if missing.is_empty() {
        return Some(Browser { chromium, driver });
    }
    let message = format!(
        "missing {}; run `source scripts/setup.d/30-chromium.sh` (installs Debian's chromium and the driver)",
        missing.join(", ")
    );
    assert!(
        !require_tools(),
        "NOBASTION_REQUIRE_TOOLS is set: {message}"
    );
    eprintln!("skipping the browser test: {message}");
    None
}

/// Render `html`; returns the driver's report.
fn render(browser: &Browser, html: &Path, out: &Path, expect_text: &[&str]) -> Value {
    let mut command = Command::new("node");
    command
        .arg(&browser.driver)
        .args(["--html", s(html)])
        .args(["--png", s(&out.join("full.png"))])
        .args(["--pdf", s(&out.join("report.pdf"))])
        .args(["--shot", s(&out.join("shot.png"))])
        .env("NOBASTION_CHROMIUM", &browser.chromium);
    for text in expect_text {
        command.args(["--expect-text", text]);
    }
    let output = command.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser driver failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("driver output is not JSON ({e}): {stdout}"))
}

/// The problems a reader would meet.
fn problems(result: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["consoleErrors", "pageErrors", "requests"] {
        if let Some(list) = result[key].as_array().filter(|l| !l.is_empty()) {
            problems.push(format!("{key}: {list:?}"));
        }
    }
    if result["scriptElements"] != 0 {
        problems.push(format!("{} script elements", result["scriptElements"]));
    }
    if result["textLength"].as_u64().unwrap_or(0) < 500 {
        problems.push(format!("almost no text: {}", result["textLength"]));
    }
    let painted = result["paint"]["paintedRatio"].as_f64().unwrap_or(0.0);
    let colours = result["paint"]["colours"].as_u64().unwrap_or(0);
    if painted < 0.02 || colours < 8 {
        problems.push(format!(
            "the page renders blank ({painted:.3} painted, {colours} colours)"
        ));
    }
    if result["pdfHeader"] != "%PDF-" || result["pdfBytes"].as_u64().unwrap_or(0) < 10_000 {
        problems.push(format!("no usable PDF: {}", result["pdfBytes"]));
    }
    if result["printBreakBefore"] != "page" {
        problems.push(format!(
            "sections do not start a new printed page: {}",
            result["printBreakBefore"]
        ));
    }
    if result["printRowBreakInside"] != "avoid" {
        problems.push("table rows may be cut across printed pages".to_owned());
    }
    if let Some(list) = result["printOverflow"].as_array().filter(|l| !l.is_empty()) {
        problems.push(format!("wider than an A4 page when printed: {list:?}"));
    }
    problems
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[test]
fn demo_report_renders_cleanly_in_chromium() {
    let Some(browser) = browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    demo_bundle(&bundle, &[]);
    let result = render(&browser, &bundle.join("report.html"), tmp.path(), &[]);
    let problems = problems(&result);
    assert!(problems.is_empty(), "{problems:#?}\n{result}");

    let sections: Vec<&str> = result["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in ["scope", "summary", "controls", "rules", "waived"] {
        assert!(sections.contains(&expected), "{expected} in {sections:?}");
    }
    // Every section starts a page, so the PDF has at least one page per section.
    assert!(
        result["pdfPages"].as_u64().unwrap_or(0) >= sections.len() as u64,
        "{} pages for {} sections",
        result["pdfPages"],
        sections.len()
    );
    let manifest = read_json(&bundle.join("manifest.json"));
    assert_eq!(manifest["created_at"], "2026-11-21T09:00:33Z", "{EPOCH}");

    // The screenshot kept in docs/ is this render (refresh it with
    // NOBASTION_UPDATE_SCREENSHOT=1).
    let shot = tmp.path().join("shot.png");
    let docs = support::repo().join("docs/evidence-report.png");
    if std::env::var("NOBASTION_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        std::fs::copy(&shot, &docs).unwrap();
    }
    assert_eq!(png_size(&docs), png_size(&shot), "docs/evidence-report.png");
}

#[test]
fn hostile_names_stay_text_in_chromium() {
    let Some(browser) = browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut snapshot = read_json(&support::repo().join(DEMO));
    let groups = snapshot["accounts"][0]["regions"][0]["security_groups"]["collected"]
        .as_array_mut()
        .unwrap();
    let mut evil = groups[0].clone();
    evil["id"] = "sg-<img src=http://127.0.0.1:9/pwn.png onerror=alert(2)>".into();
    evil["name"] = "<script>alert(1)</script>".into();
    groups.push(evil);
    snapshot["accounts"][0]["name"] =
        "</title><link rel=stylesheet href=http://127.0.0.1:9/x.css>".into();
    let path = tmp.path().join("hostile.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let bundle = tmp.path().join("bundle");
    let made = run(&[
        "evidence",
        "--snapshot",
        s(&path),
        "--out",
        s(&bundle),
        "--exit-zero",
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let result = render(
        &browser,
        &bundle.join("report.html"),
        tmp.path(),
        &[
            "<script>alert(1)</script>",
            "</title><link rel=stylesheet href=http://127.0.0.1:9/x.css>",
            "sg-<img src=http://127.0.0.1:9/pwn.png onerror=alert(2)>",
        ],
    );
    let problems = problems(&result);
    assert!(problems.is_empty(), "{problems:#?}\n{result}");
    assert_eq!(
        result["expectTextMissing"],
        serde_json::json!([]),
        "hostile names show as text"
    );
}
