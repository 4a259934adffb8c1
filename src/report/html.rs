//! The HTML evidence report: one self-contained file for auditors. Scope, a summary by
//! severity with a chart, the controls view per framework, findings by rule (what was
//! checked, what failed, the evidence fragment, remediation), waivers and rules not run.
//!
//! Self-contained and inert: CSS is inline, the charts are inline SVG, there is no script,
//! font, image or link to fetch, and a Content-Security-Policy (`default-src 'none'`) makes
//! the browser refuse anything else even if some text slipped through. Every string is
//! HTML-escaped ([`escape`]): resource names, messages and evidence come from the scanned
//! account and are untrusted. Print CSS puts each section on a new page, keeps table rows
//! and findings whole and repeats table headers.

use std::fmt::Write as _;

use crate::evidence::controls::{ControlStatus, LIST_LIMIT};
use crate::evidence::scope::Input;
use crate::evidence::{ReportView, RuleSection, resource_label, resource_ref_label, timestamp};
use crate::finding::{Finding, Severity, Status};

/// Escape text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --soft:#f8fafc;
  --critical:#7f1d1d; --high:#dc2626; --medium:#d97706; --low:#2563eb; --info:#6b7280;
  --ok:#15803d; --bad:#b91c1c; --gap:#b45309; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 0 28px 48px; }
header.cover { background: #0f172a; color: #f8fafc; padding: 32px 0 28px; }
header.cover .inner { max-width: 1120px; margin: 0 auto; padding: 0 28px; }
header.cover .eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: #94a3b8; margin: 0; }
header.cover h1 { font-size: 28px; line-height: 1.2; margin: 6px 0 8px; }
header.cover p.lead { margin: 0; color: #cbd5e1; }
.verdict { display: inline-block; margin-top: 14px; padding: 6px 12px; border-radius: 6px; font-weight: 600; font-size: 14px; }
.verdict.pass { background: #dcfce7; color: #14532d; }
.verdict.fail { background: #fee2e2; color: #7f1d1d; }
.verdict.gap { background: #fef3c7; color: #78350f; }
nav.toc { margin: 20px 0 8px; font-size: 14px; }
nav.toc ol { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; margin: 0; list-style: none; }
nav.toc a { color: #1d4ed8; text-decoration: none; }
section { margin-top: 36px; }
h2 { font-size: 22px; border-bottom: 2px solid var(--ink); padding-bottom: 4px; margin: 0 0 14px; }
h3 { font-size: 18px; margin: 26px 0 8px; }
h4 { font-size: 15px; margin: 16px 0 6px; }
p { margin: 8px 0; }
.muted { color: var(--muted); }
table { width: 100%; border-collapse: collapse; margin: 10px 0 16px; font-size: 13.5px; table-layout: auto; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.kv th { width: 190px; background: none; color: var(--muted); font-weight: 500; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
code { background: #f1f5f9; padding: 1px 4px; border-radius: 3px; }
pre { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto; max-height: 28em; white-space: pre-wrap; overflow-wrap: anywhere; }
pre code { background: none; padding: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 18px; }
.card { flex: 1 1 150px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .n { font-size: 26px; font-weight: 700; display: block; }
.card .l { color: var(--muted); font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
.sev, .st { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; color: #fff; }
.sev.critical { background: var(--critical); } .sev.high { background: var(--high); }
.sev.medium { background: var(--medium); } .sev.low { background: var(--low); } .sev.info { background: var(--info); }
.st.satisfied { background: var(--ok); } .st.not-satisfied { background: var(--bad); } .st.not-assessed { background: var(--gap); }
.st.fail { background: var(--bad); } .st.waived { background: #475569; }
.rule { border-top: 1px solid var(--line); padding-top: 4px; }
.rule h3 .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--high); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.finding.critical { border-left-color: var(--critical); } .finding.medium { border-left-color: var(--medium); }
.finding.low { border-left-color: var(--low); } .finding.info { border-left-color: var(--info); }
.finding.waived { border-left-color: #475569; background: #fafafa; }
.finding h4 { margin: 2px 0 6px; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; font-size: 13px; }
.finding dt { color: var(--muted); } .finding dd { margin: 0; overflow-wrap: anywhere; }
ul.resources { columns: 2 260px; font-size: 13px; padding-left: 18px; margin: 6px 0; }
.remediation { background: #f0fdf4; border: 1px solid #bbf7d0; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
.remediation pre { background: #fff; }
.note { background: #fffbeb; border: 1px solid #fde68a; border-radius: 6px; padding: 8px 12px; font-size: 14px; }
footer { margin-top: 40px; border-top: 1px solid var(--line); padding-top: 10px; color: var(--muted); font-size: 13px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  main, header.cover .inner { max-width: none; padding: 0; }
  header.cover { background: none; color: var(--ink); padding: 0 0 8px; border-bottom: 2px solid var(--ink); }
  header.cover .eyebrow, header.cover p.lead { color: var(--muted); }
  nav.toc { display: none; }
  section { break-before: page; margin-top: 0; }
  h2, h3, h4 { break-after: avoid; }
  tr, .finding, .card, figure, .remediation, dl { break-inside: avoid; }
  thead { display: table-header-group; }
  pre { max-height: none; overflow: visible; }
  a { color: inherit; text-decoration: none; }
  .sev, .st, .verdict, svg, .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

fn sev(severity: Severity) -> String {
    format!(r#"<span class="sev {0}">{0}</span>"#, severity.as_str())
}

fn control_badge(status: ControlStatus) -> String {
    format!(
        r#"<span class="st {}">{}</span>"#,
        status.as_str(),
        status.label()
    )
}

fn finding_badge(finding: &Finding) -> String {
    status_badge(finding.status)
}

fn status_badge(status: Status) -> String {
    match status {
        Status::Fail => r#"<span class="st fail">fail</span>"#.to_owned(),
        Status::NotAssessed => r#"<span class="st not-assessed">not assessed</span>"#.to_owned(),
        Status::Waived => r#"<span class="st waived">waived</span>"#.to_owned(),
    }
}

/// A small, safe subset of Markdown for the catalog's own texts (descriptions,
/// remediation): paragraphs, `- ` lists, fenced code and inline code. Everything is escaped
/// first; nothing becomes a link or raw HTML.
pub fn markdown_lite(text: &str) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    let flush = |out: &mut String, paragraph: &mut Vec<&str>, list: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline(&paragraph.join(" ")));
            paragraph.clear();
        }
        if !list.is_empty() {
            out.push_str("<ul>");
            for item in list.iter() {
                let _ = write!(out, "<li>{}</li>", inline(item));
            }
            out.push_str("</ul>");
            list.clear();
        }
    };
    for line in text.lines() {
        if let Some(lines) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                let _ = write!(out, "<pre><code>{}</code></pre>", escape(&lines.join("\n")));
                code = None;
            } else {
                lines.push(line);
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut out, &mut paragraph, &mut list);
            code = Some(Vec::new());
        } else if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, &mut list);
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            if !paragraph.is_empty() {
                let _ = write!(out, "<p>{}</p>", inline(&paragraph.join(" ")));
                paragraph.clear();
            }
            list.push(item.to_owned());
        } else if let Some(last) = list.last_mut().filter(|_| line.starts_with("  ")) {
            // A list item continued on the next line.
            last.push(' ');
            last.push_str(trimmed);
        } else {
            paragraph.push(trimmed);
        }
    }
    if let Some(lines) = code {
        let _ = write!(out, "<pre><code>{}</code></pre>", escape(&lines.join("\n")));
    }
    flush(&mut out, &mut paragraph, &mut list);
    out
}

/// Escape a line, turning `code` spans into `<code>`.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// Horizontal bars, one per `(label, value, css colour)`.
fn bar_chart(title: &str, rows: &[(String, usize, &str)]) -> String {
    const WIDTH: usize = 420;
    const LABEL: usize = 110;
    const ROW: usize = 26;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let height = rows.len() * ROW + 6;
    let mut svg = format!(
        r#"<figure><figcaption>{}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    let span = WIDTH - LABEL - 50;
    for (i, (label, value, colour)) in rows.iter().enumerate() {
        let y = i * ROW + 4;
        let width = if *value == 0 {
            0
        } else {
            (value * span).div_ceil(max).max(2)
        };
        let _ = write!(
            svg,
            r##"<text x="0" y="{}" font-size="13" fill="#374151">{}</text><rect x="{LABEL}" y="{y}" width="{span}" height="18" fill="#f1f5f9" rx="3"/><rect x="{LABEL}" y="{y}" width="{width}" height="18" fill="{colour}" rx="3"/><text x="{}" y="{}" font-size="13" font-weight="600" fill="#111827">{value}</text>"##,
            y + 14,
            escape(label),
            LABEL + span + 8,
            y + 14
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The order of the stacked bars and their legend.
const BAR_ORDER: [ControlStatus; 3] = [
    ControlStatus::Satisfied,
    ControlStatus::NotSatisfied,
    ControlStatus::NotAssessed,
];

/// One stacked bar per framework: satisfied, not satisfied, not assessed.
fn controls_chart(view: &ReportView<'_>) -> String {
    const WIDTH: usize = 560;
    const LABEL: usize = 150;
    const ROW: usize = 26;
    let frameworks = &view.controls.frameworks;
    let height = frameworks.len() * ROW + 30;
    let span = WIDTH - LABEL - 10;
    let mut svg = format!(
        r#"<figure><figcaption>Controls per framework</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Controls per framework">"#
    );
    let colour = |s: ControlStatus| match s {
        ControlStatus::Satisfied => "#15803d",
        ControlStatus::NotSatisfied => "#b91c1c",
        ControlStatus::NotAssessed => "#b45309",
    };
    for (i, fw) in frameworks.iter().enumerate() {
        let y = i * ROW + 4;
        let total = fw.controls.len().max(1);
        let _ = write!(
            svg,
            r##"<text x="0" y="{}" font-size="12.5" fill="#374151">{}</text>"##,
            y + 14,
            escape(short_framework(fw.framework))
        );
        let mut x = LABEL;
        for status in BAR_ORDER {
            let n = fw.count(status);
            if n == 0 {
                continue;
            }
            let width = n * span / total;
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y}" width="{width}" height="18" fill="{}"/><text x="{}" y="{}" font-size="12" font-weight="600" fill="#fff">{n}</text>"##,
                colour(status),
                x + 5,
                y + 14
            );
            x += width;
        }
    }
    let legend_y = frameworks.len() * ROW + 20;
    let mut x = LABEL;
    for status in BAR_ORDER {
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{legend_y}" font-size="12" fill="#374151">{}</text>"##,
            legend_y - 10,
            colour(status),
            x + 16,
            status.label()
        );
        x += 130;
    }
    svg.push_str("</svg></figure>");
    svg
}

fn short_framework(framework: crate::rules::Framework) -> &'static str {
    use crate::rules::Framework;
    match framework {
        Framework::CisAws => "CIS AWS",
        Framework::AwsFsbp => "AWS FSBP",
        Framework::Nist80053 => "NIST 800-53",
        Framework::Iso27001 => "ISO 27001",
        Framework::Soc2 => "SOC 2",
        Framework::PciDss => "PCI DSS v4.0",
    }
}

type SectionFn = fn(&mut String, &ReportView<'_>);

/// The report's sections in order: `(anchor, heading, renderer)`.
fn sections(view: &ReportView<'_>) -> Vec<(&'static str, &'static str, SectionFn)> {
    let mut list: Vec<(&'static str, &'static str, SectionFn)> = Vec::new();
    if view.scope.is_some() {
        list.push(("scope", "Scope", scope));
    }
    list.extend([
        ("summary", "Summary", summary as SectionFn),
        ("controls", "Controls", controls),
        ("rules", "Findings by rule", rules),
        ("waived", "Waived findings", waived),
    ]);
    if !view.not_run.is_empty() {
        list.push(("not-run", "Rules not run", not_run));
    }
    list
}

/// The full report.
pub fn render(view: &ReportView<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    head(&mut out, view);
    let sections = sections(view);
    out.push_str(r#"<nav class="toc"><ol>"#);
    for (i, (id, label, _)) in sections.iter().enumerate() {
        let _ = write!(out, r##"<li><a href="#{id}">{}. {label}</a></li>"##, i + 1);
    }
    out.push_str("</ol></nav>\n");
    for (i, (id, label, render_section)) in sections.iter().enumerate() {
        let _ = write!(out, r#"<section id="{id}"><h2>{}. {label}</h2>"#, i + 1);
        render_section(&mut out, view);
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "<footer>Generated by {} {} with rule catalog {}{}. The bundle's manifest.json lists the SHA-256 of every file; <code>nobastion verify BUNDLE --pub-key KEY.pub</code> proves it unaltered.</footer>\n</main>\n</body>\n</html>\n",
        super::TOOL_NAME,
        super::TOOL_VERSION,
        escape(&crate::rules::catalog_version()),
        view.created_at
            .map(|t| format!(" on {}", timestamp(t)))
            .unwrap_or_default()
    );
    out
}

/// The document head and the cover: title, what it covers, the verdict.
fn head(out: &mut String, view: &ReportView<'_>) {
    let report = view.report;
    let title = view.title();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="{} {}">
<title>{}</title>
<style>{STYLE}</style>
</head>
<body>
"#,
        super::TOOL_NAME,
        super::TOOL_VERSION,
        escape(&title)
    );
    let verdict_class = match report.exit_code {
        0 => "pass",
        3 => "gap",
        _ => "fail",
    };
    let mut lead = Vec::new();
    if let Some(scope) = view.scope {
        if !scope.regions.is_empty() {
            lead.push(scope.regions.join(", "));
        }
        if let Some(at) = scope.collected_at {
            lead.push(format!("collected {}", timestamp(at)));
        }
    }
    if let Some(at) = view.created_at {
        lead.push(format!("report created {}", timestamp(at)));
    }
    let _ = write!(
        out,
        r#"<header class="cover"><div class="inner"><p class="eyebrow">nobastion · pre-audit evidence · bastion-less access on AWS</p><h1>{}</h1><p class="lead">{}</p><div class="verdict {verdict_class}">{}</div></div></header>
<main>
"#,
        escape(&title),
        escape(&lead.join(" · ")),
        escape(&report.exit_explanation())
    );
}

fn rules(out: &mut String, view: &ReportView<'_>) {
    for section in view.rule_sections() {
        rule(out, &section);
    }
}

fn not_run(out: &mut String, view: &ReportView<'_>) {
    out.push_str("<p>These catalog rules were not selected for this run; the controls they map are shown as not assessed.</p><table><thead><tr><th>Rule</th><th>Title</th><th>Severity</th></tr></thead><tbody>");
    for meta in &view.not_run {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&meta.id),
            escape(&meta.title),
            sev(meta.severity)
        );
    }
    out.push_str("</tbody></table>");
}

fn kv(out: &mut String, key: &str, value_html: &str) {
    let _ = write!(
        out,
        "<tr><th>{}</th><td>{value_html}</td></tr>",
        escape(key)
    );
}

fn scope(out: &mut String, view: &ReportView<'_>) {
    if let Some(scope) = view.scope {
        scope_table(out, scope, view.created_at);
        accounts_tables(out, scope);
    }
}

/// How the snapshot says it was made.
pub(crate) fn source_label(source: crate::model::SourceKind) -> &'static str {
    match source {
        crate::model::SourceKind::Live => "collected from AWS",
        crate::model::SourceKind::Iac => "built from infrastructure-as-code",
        crate::model::SourceKind::Manual => "written by hand or by another tool",
    }
}

fn scope_table(
    out: &mut String,
    scope: &crate::evidence::Scope,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
) {
    out.push_str(r#"<table class="kv"><tbody>"#);
    kv(out, "Accounts", &escape(&scope.accounts_label()));
    kv(out, "Regions", &escape(&scope.regions.join(", ")));
    if let Some(caller) = &scope.caller {
        kv(
            out,
            "Caller identity",
            &format!(
                "<code>{}</code> (account {})",
                escape(&caller.arn),
                escape(&caller.account)
            ),
        );
    }
    kv(
        out,
        "Collected at",
        &scope.collected_at.map_or_else(
            || "not recorded in the snapshot".to_owned(),
            |t| escape(&timestamp(t)),
        ),
    );
    let input = match &scope.input {
        Input::SnapshotFile { path, sha256 } => format!(
            "snapshot file <code>{}</code><br><span class=\"muted\">sha256 {}</span>",
            escape(path),
            escape(sha256)
        ),
        Input::Live => "live scan".to_owned(),
    };
    kv(out, "Input", &input);
    kv(
        out,
        "Snapshot",
        &escape(&format!(
            "{}{}",
            source_label(scope.snapshot_source),
            scope
                .snapshot_tool_version
                .as_ref()
                .map(|v| format!(" (written by nobastion {v})"))
                .unwrap_or_default()
        )),
    );
    if let Some(description) = &scope.description {
        kv(out, "Description", &escape(description));
    }
    let config = scope.config.as_ref().map_or_else(
        || "none (defaults)".to_owned(),
        |c| {
            format!(
                "<code>{}</code>, included as <code>{}</code><br><span class=\"muted\">sha256 {}</span>",
                escape(&c.path),
                escape(&c.bundled_as),
                escape(&c.sha256)
            )
        },
    );
    kv(out, "Configuration", &config);
    kv(
        out,
        "Tool",
        &escape(&format!("{} {}", scope.tool.name, scope.tool.version)),
    );
    kv(out, "Rule catalog", &escape(&scope.tool.catalog_version));
    kv(
        out,
        "Rules run",
        &escape(&format!(
            "{}: {}",
            scope.rules.ran.len(),
            scope.rules.ran.join(", ")
        )),
    );
    kv(
        out,
        "Failure threshold",
        &escape(&format!(
            "{}; incomplete runs {}",
            scope.rules.fail_on,
            if scope.rules.allow_incomplete {
                "accepted (--allow-incomplete)"
            } else {
                "fail (exit 3)"
            }
        )),
    );
    if let Some(at) = created_at {
        kv(out, "Report created", &escape(&timestamp(at)));
    }
    out.push_str("</tbody></table>");
}

fn accounts_tables(out: &mut String, scope: &crate::evidence::Scope) {
    out.push_str("<h3>Accounts and regions</h3><table><thead><tr><th>Account</th><th>Name</th><th>Partition</th><th>Regions</th><th>Status</th></tr></thead><tbody>");
    for account in &scope.accounts {
        let regions: Vec<String> = account
            .regions
            .iter()
            .map(|r| match &r.not_collected {
                Some(gap) => format!(
                    "{} <span class=\"st not-assessed\">not collected</span> {}",
                    escape(&r.name),
                    escape(gap)
                ),
                None => escape(&r.name),
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&account.id),
            escape(account.name.as_deref().unwrap_or("")),
            escape(&account.partition),
            regions.join("<br>"),
            account.not_collected.as_deref().map_or_else(
                || "collected".to_owned(),
                |g| format!(
                    "<span class=\"st not-assessed\">not collected</span> {}",
                    escape(g)
                )
            )
        );
    }
    out.push_str("</tbody></table>");
    if !scope.collection_errors.is_empty() {
        out.push_str("<h3>Collection errors</h3><p>What could not be read. Each gap is reported as NB001 (not assessed), never as a pass.</p><table><thead><tr><th>Account</th><th>Region</th><th>Operation</th><th>Error</th><th>Message</th></tr></thead><tbody>");
        for e in &scope.collection_errors {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(e.account.as_deref().unwrap_or("")),
                escape(e.region.as_deref().unwrap_or("")),
                escape(e.operation.as_deref().unwrap_or(&e.service)),
                escape(e.error_code.as_deref().unwrap_or("")),
                escape(&e.message)
            );
        }
        out.push_str("</tbody></table>");
    }
}

fn summary(out: &mut String, view: &ReportView<'_>) {
    let report = view.report;
    let counts = report.counts_by_severity();
    let cards = [
        (report.count_status(Status::Fail), "failed"),
        (report.count_status(Status::NotAssessed), "not assessed"),
        (report.count_status(Status::Waived), "waived"),
        (report.rules.len(), "rules run"),
        (view.judgements(), "resource judgements"),
    ];
    out.push_str(r#"<div class="cards">"#);
    for (n, label) in cards {
        let _ = write!(
            out,
            r#"<div class="card" data-count="{}"><span class="n">{n}</span><span class="l">{label}</span></div>"#,
            label.replace(' ', "-")
        );
    }
    out.push_str("</div>");
    let colour = |s: Severity| match s {
        Severity::Critical => "#7f1d1d",
        Severity::High => "#dc2626",
        Severity::Medium => "#d97706",
        Severity::Low => "#2563eb",
        Severity::Info => "#6b7280",
    };
    let rows: Vec<(String, usize, &str)> = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                counts.get(s).copied().unwrap_or(0),
                colour(*s),
            )
        })
        .collect();
    out.push_str(r#"<div class="charts">"#);
    out.push_str(&bar_chart(
        "Findings by severity (failures and not assessed; waived excluded)",
        &rows,
    ));
    if !view.controls.frameworks.is_empty() {
        out.push_str(&controls_chart(view));
    }
    out.push_str("</div>");
    out.push_str(r#"<h3>Per rule</h3><table><thead><tr><th>Rule</th><th>Title</th><th>Severity</th><th class="num">Checked</th><th class="num">Passed</th><th class="num">Failed</th><th class="num">Waived</th><th class="num">Not assessed</th></tr></thead><tbody>"#);
    for section in view.rule_sections() {
        let id = escape(&section.meta.id);
        let _ = write!(
            out,
            r##"<tr><td><a href="#rule-{id}">{id}</a></td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"##,
            escape(&section.meta.title),
            sev(section.meta.severity),
            section.checked(),
            section.passed.len(),
            section.failing.len(),
            section.waived.len(),
            section.not_assessed
        );
    }
    out.push_str("</tbody></table>");
}

fn controls(out: &mut String, view: &ReportView<'_>) {
    out.push_str(r#"<p class="note">A control is <b>not satisfied</b> when a mapped rule has an unwaived failing finding; otherwise <b>not assessed</b> when an NB001 finding says a mapped rule could not be evaluated, or no mapped rule ran; otherwise <b>satisfied</b>. Waived findings are listed with their control but do not make it not satisfied: the waiver (reason, owner, ticket, expiry) is the record of an accepted risk.</p>"#);
    out.push_str(r#"<table class="framework-counts"><thead><tr><th>Framework</th><th class="num">Satisfied</th><th class="num">Not satisfied</th><th class="num">Not assessed</th></tr></thead><tbody>"#);
    for fw in &view.controls.frameworks {
        let _ = write!(
            out,
            r##"<tr data-framework="{}"><td><a href="#fw-{}">{}</a></td><td class="num" data-status="satisfied">{}</td><td class="num" data-status="not-satisfied">{}</td><td class="num" data-status="not-assessed">{}</td></tr>"##,
            fw.framework.key(),
            fw.framework.key(),
            escape(fw.framework.title()),
            fw.count(ControlStatus::Satisfied),
            fw.count(ControlStatus::NotSatisfied),
            fw.count(ControlStatus::NotAssessed)
        );
    }
    out.push_str("</tbody></table>");
    let findings = view.report.findings;
    for fw in &view.controls.frameworks {
        let _ = write!(
            out,
            r#"<h3 id="fw-{}">{}</h3><table class="controls"><thead><tr><th style="width:14%">Control</th><th style="width:14%">Status</th><th style="width:16%">Rules</th><th>Findings</th></tr></thead><tbody>"#,
            fw.framework.key(),
            escape(fw.framework.title())
        );
        for control in &fw.controls {
            let indexes = control.behind();
            let mut behind: Vec<String> = if indexes.len() <= LIST_LIMIT {
                indexes
                    .iter()
                    .filter_map(|i| findings.get(*i).map(|f| (*i, f)))
                    .map(|(i, f)| {
                        format!(
                            r##"<a href="#finding-{i}">{}</a> {} {}"##,
                            escape(&f.rule),
                            escape(&resource_label(f)),
                            finding_badge(f)
                        )
                    })
                    .collect()
            } else {
                control
                    .counted(findings)
                    .into_iter()
                    .map(|(rule, status, n)| {
                        format!(
                            r##"<a href="#rule-{0}">{0}</a> {n} × {1}"##,
                            escape(rule),
                            status_badge(status)
                        )
                    })
                    .collect()
            };
            let not_run: Vec<&str> = control
                .rules
                .iter()
                .filter(|r| !control.rules_run.contains(r))
                .map(String::as_str)
                .collect();
            if !not_run.is_empty() {
                behind.push(format!(
                    r#"<span class="muted">not run: {}</span>"#,
                    escape(&not_run.join(", "))
                ));
            }
            if control.status == ControlStatus::Satisfied {
                behind.push(format!(
                    r#"<span class="muted">{} resource(s) passed</span>"#,
                    control.passed
                ));
            }
            let rules: Vec<String> = control
                .rules
                .iter()
                .map(|r| {
                    if control.rules_run.contains(r) {
                        format!(r##"<a href="#rule-{0}">{0}</a>"##, escape(r))
                    } else {
                        escape(r)
                    }
                })
                .collect();
            let _ = write!(
                out,
                r#"<tr data-status="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                control.status.as_str(),
                escape(&control.id),
                control_badge(control.status),
                rules.join(", "),
                behind.join("<br>")
            );
        }
        out.push_str("</tbody></table>");
    }
}

fn rule(out: &mut String, section: &RuleSection<'_>) {
    let meta = section.meta;
    let id = escape(&meta.id);
    let _ = write!(
        out,
        r#"<article class="rule" id="rule-{id}"><h3><span class="id">{id}</span> · {} {}</h3>"#,
        escape(&meta.title),
        sev(meta.severity)
    );
    let mapped: Vec<String> = meta
        .compliance
        .iter()
        .map(|(f, ids)| format!("{} {}", short_framework(*f), ids.join(", ")))
        .collect();
    if !mapped.is_empty() {
        let _ = write!(
            out,
            r#"<p class="muted">Controls: {}</p>"#,
            escape(&mapped.join(" · "))
        );
    }
    let _ = write!(
        out,
        "<h4>What was checked</h4>{}",
        markdown_lite(&meta.description)
    );
    let _ = write!(
        out,
        "<p><b>{}</b> resource(s) judged: {} passed, {} failed, {} waived; {} not assessed.</p>",
        section.checked(),
        section.passed.len(),
        section.failing.len(),
        section.waived.len(),
        section.not_assessed
    );
    if !section.passed.is_empty() {
        out.push_str(r#"<details open><summary>Passed</summary><ul class="resources">"#);
        for resource in section.passed {
            let _ = write!(out, "<li>{}</li>", escape(&resource_ref_label(resource)));
        }
        out.push_str("</ul></details>");
    }
    if !section.gaps.is_empty() {
        out.push_str("<h4>Not assessed</h4><ul>");
        for (i, gap) in &section.gaps {
            let _ = write!(
                out,
                r##"<li><a href="#finding-{i}">{}</a>: {}</li>"##,
                escape(&resource_label(gap)),
                escape(&gap.message)
            );
        }
        out.push_str("</ul>");
    }
    if !section.failing.is_empty() || !section.waived.is_empty() {
        out.push_str("<h4>Findings</h4>");
    }
    for (index, finding) in section.failing.iter().chain(&section.waived) {
        finding_block(out, *index, finding);
    }
    if !section.failing.is_empty() {
        let _ = write!(
            out,
            r#"<div class="remediation"><h4>How to fix</h4>{}"#,
            markdown_lite(&meta.remediation.console)
        );
        for (label, text) in [
            ("Terraform", &meta.remediation.terraform),
            ("CloudFormation", &meta.remediation.cloudformation),
        ] {
            if !text.trim().is_empty() {
                let _ = write!(
                    out,
                    "<p><b>{label}</b></p><pre><code>{}</code></pre>",
                    escape(text.trim_end())
                );
            }
        }
        out.push_str("</div>");
    }
    out.push_str("</article>");
}

fn finding_block(out: &mut String, index: usize, finding: &Finding) {
    let class = if finding.status == Status::Waived {
        "waived"
    } else {
        finding.severity.as_str()
    };
    let _ = write!(
        out,
        r#"<div class="finding {class}" id="finding-{index}"><h4>{} {} {}</h4><p>{}</p><dl>"#,
        sev(finding.severity),
        finding_badge(finding),
        escape(&resource_label(finding)),
        escape(&finding.message)
    );
    let mut dl = |key: &str, value: &str| {
        let _ = write!(out, "<dt>{key}</dt><dd>{}</dd>", escape(value));
    };
    dl(
        "Resource",
        &format!("{} {}", finding.resource.kind, finding.resource.id),
    );
    if let Some(arn) = &finding.resource.arn {
        dl("ARN", arn);
    }
    if let Some(address) = &finding.resource.address {
        dl("Address", address);
    }
    if let Some(location) = &finding.location {
        dl("Location", &location.display());
    }
    dl("Fingerprint", &finding.fingerprint);
    if let Some(w) = &finding.waiver {
        let label = if finding.status == Status::Waived {
            "Waiver"
        } else {
            "Expired waiver"
        };
        dl(label, &w.reason);
        for (key, value) in [
            ("Owner", &w.owner),
            ("Ticket", &w.ticket),
            ("Expires", &w.expires),
        ] {
            if let Some(value) = value {
                dl(key, value);
            }
        }
    }
    out.push_str("</dl>");
    if let Some(details) = &finding.details {
        let _ = write!(
            out,
            "<p class=\"muted\">Details</p><pre><code>{}</code></pre>",
            escape(&serde_json::to_string_pretty(details).unwrap_or_default())
        );
    }
    if let Some(evidence) = &finding.evidence {
        let _ = write!(
            out,
            "<p class=\"muted\">Evidence (from the snapshot)</p><pre><code>{}</code></pre>",
            escape(&serde_json::to_string_pretty(evidence).unwrap_or_default())
        );
    }
    out.push_str("</div>");
}

fn waived(out: &mut String, view: &ReportView<'_>) {
    let waived: Vec<(usize, &Finding)> = view
        .report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.status == Status::Waived)
        .collect();
    if waived.is_empty() {
        out.push_str("<p>No findings are waived.</p>");
        return;
    }
    out.push_str(r"<p>Accepted risks from the configuration. A waived finding does not fail the run and does not make a control not satisfied; it is listed here and under its controls.</p><table><thead><tr><th>Rule</th><th>Resource</th><th>Message</th><th>Reason</th><th>Owner</th><th>Ticket</th><th>Expires</th></tr></thead><tbody>");
    for (i, f) in waived {
        let w = f.waiver.as_ref();
        let _ = write!(
            out,
            r##"<tr><td><a href="#finding-{i}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"##,
            escape(&f.rule),
            escape(&resource_label(f)),
            escape(&f.message),
            escape(w.map_or("", |w| w.reason.as_str())),
            escape(w.and_then(|w| w.owner.as_deref()).unwrap_or("")),
            escape(w.and_then(|w| w.ticket.as_deref()).unwrap_or("")),
            escape(w.and_then(|w| w.expires.as_deref()).unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn markdown_lite_escapes_and_keeps_structure() {
        let html =
            markdown_lite("Remove `<b>` tags.\n\n```sh\naws ec2 revoke <x>\n```\n- one `a`\n- two");
        assert_eq!(
            html,
            "<p>Remove <code>&lt;b&gt;</code> tags.</p><pre><code>aws ec2 revoke &lt;x&gt;</code></pre><ul><li>one <code>a</code></li><li>two</li></ul>"
        );
    }
}
