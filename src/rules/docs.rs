//! Rule documentation generated from rule metadata: `docs/rules/<ID>.md` for each rule and
//! `docs/rules/README.md` as an index. `nobastion explain ID` prints the same page, and the
//! test suite fails when the committed pages are stale.

use std::fmt::Write as _;

use super::{Implementation, Registry, RuleMeta};

/// The documentation page of one rule, in Markdown.
pub fn rule_page(meta: &RuleMeta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}: {}\n", meta.id, meta.name);
    let kind = match meta.implementation {
        Implementation::Declarative => "declarative (JSONPath)",
        Implementation::Rust => "Rust",
        Implementation::Engine => "built into the engine",
    };
    let _ = writeln!(out, "**{}**\n", meta.title);
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Default severity | {} |", meta.severity);
    let _ = writeln!(
        out,
        "| Status | {} (since {}) |",
        meta.status.as_str(),
        meta.since
    );
    let _ = writeln!(out, "| Implementation | {kind} |");
    if !meta.tags.is_empty() {
        let _ = writeln!(out, "| Tags | {} |", meta.tags.join(", "));
    }
    let _ = writeln!(out, "\n## What fails\n\n{}\n", meta.description.trim());
    let _ = writeln!(out, "## Why it matters\n\n{}\n", meta.rationale.trim());
    let _ = writeln!(
        out,
        "## How to fix\n\n### Console / AWS CLI\n\n{}\n",
        meta.remediation.console.trim()
    );
    let _ = writeln!(
        out,
        "### Terraform\n\n```hcl\n{}\n```\n",
        meta.remediation.terraform.trim()
    );
    let _ = writeln!(
        out,
        "### CloudFormation\n\n```yaml\n{}\n```\n",
        meta.remediation.cloudformation.trim()
    );
    if !meta.compliance.is_empty() {
        let _ = writeln!(out, "## Compliance\n\n| Framework | Controls |\n|---|---|");
        for (framework, controls) in &meta.compliance {
            let _ = writeln!(out, "| {} | {} |", framework.title(), controls.join(", "));
        }
        out.push('\n');
    }
    if !meta.references.is_empty() {
        let _ = writeln!(out, "## References\n");
        for reference in &meta.references {
            let _ = writeln!(out, "- <{reference}>");
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The index page listing every rule.
pub fn index_page(registry: &Registry) -> String {
    let mut out = String::from(
        "# nobastion rules\n\nGenerated from the rule files in `rules/` by `nobastion rules --write-docs docs/rules`; do not edit by hand.\n\n",
    );
    let _ = writeln!(out, "Catalog version: `{}`\n", super::catalog_version());
    let _ = writeln!(
        out,
        "| ID | Name | Title | Default severity | Status |\n|---|---|---|---|---|"
    );
    for rule in registry.rules() {
        let m = &rule.meta;
        let _ = writeln!(
            out,
            "| [{id}]({id}.md) | {name} | {title} | {sev} | {status} |",
            id = m.id,
            name = m.name,
            title = m.title,
            sev = m.severity,
            status = m.status.as_str()
        );
    }
    out
}

/// Every generated file: (file name, contents).
pub fn all_pages(registry: &Registry) -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = registry
        .rules()
        .iter()
        .map(|r| (format!("{}.md", r.meta.id), rule_page(&r.meta)))
        .collect();
    pages.push(("README.md".to_owned(), index_page(registry)));
    pages
}
