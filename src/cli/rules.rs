//! `nobastion rules`: list the rule catalog (table or JSON with complete metadata), and
//! write or check the generated rule documentation.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::{Args as ClapArgs, ValueEnum};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::ExitStatus;
use super::common::write_output;
use crate::rules::{Registry, RuleMeta, Selection, docs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// Only these rules (ALL, a prefix or ids, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Write docs/rules-style Markdown pages (one per rule and an index) into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "check_docs")]
    pub write_docs: Option<PathBuf>,
    /// Check that the pages in DIR are up to date; exit 1 naming the stale ones.
    #[arg(long, value_name = "DIR")]
    pub check_docs: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let registry = Registry::builtin().map_err(|e| anyhow!("{e}"))?;
    if let Some(dir) = &args.write_docs {
        write_docs(registry, dir)?;
        return Ok(ExitStatus::Clean);
    }
    if let Some(dir) = &args.check_docs {
        let stale = stale_docs(registry, dir);
        if stale.is_empty() {
            return Ok(ExitStatus::Clean);
        }
        for line in &stale {
            eprintln!("{line}");
        }
        eprintln!(
            "run `nobastion rules --write-docs {}` to regenerate",
            dir.display()
        );
        return Ok(ExitStatus::Findings);
    }
    let selection =
        Selection::new(args.select.as_deref(), &[], registry).map_err(|e| anyhow!(e))?;
    let rules: Vec<&RuleMeta> = registry
        .rules()
        .iter()
        .map(|r| &r.meta)
        .filter(|m| args.select.is_none() || selection.is_selected(&m.id))
        .collect();
    let text = match args.format {
        RulesFormat::Json => {
            let mut text = serde_json::to_string_pretty(&rules)?;
            text.push('\n');
            text
        }
        RulesFormat::Table => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(vec!["ID", "Name", "Severity", "Status", "Title"]);
            for meta in rules {
                table.add_row(vec![
                    meta.id.clone(),
                    meta.name.clone(),
                    meta.severity.to_string(),
                    meta.status.as_str().to_owned(),
                    meta.title.clone(),
                ]);
            }
            format!("{table}\n")
        }
    };
    write_output(None, &text)?;
    Ok(ExitStatus::Clean)
}

fn write_docs(registry: &Registry, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let pages = docs::all_pages(registry);
    // Remove pages of rules that no longer exist, so the directory mirrors the catalog.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_markdown(&name) && !pages.iter().any(|(n, _)| *n == name) {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            }
        }
    }
    for (name, text) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} pages to {}", pages.len(), dir.display());
    Ok(())
}

/// Lines naming every page that is missing, different or extra.
pub fn stale_docs(registry: &Registry, dir: &Path) -> Vec<String> {
    let pages = docs::all_pages(registry);
    let mut stale = Vec::new();
    for (name, text) in &pages {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == *text => {}
            Ok(_) => stale.push(format!("{}: out of date", path.display())),
            Err(_) => stale.push(format!("{}: missing", path.display())),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_markdown(&name) && !pages.iter().any(|(n, _)| *n == name) {
                stale.push(format!("{}: no such rule", entry.path().display()));
            }
        }
    }
    stale
}

/// `nobastion explain ID`.
#[derive(Debug, ClapArgs)]
pub struct ExplainArgs {
    /// The rule id (e.g. NET001) or name (e.g. ssh-ingress-allowed).
    pub rule: String,
}

pub fn explain(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let registry = Registry::builtin().map_err(|e| anyhow!("{e}"))?;
    let wanted = args.rule.trim();
    let found = registry.get(wanted).or_else(|| {
        registry
            .rules()
            .iter()
            .find(|r| r.meta.name.eq_ignore_ascii_case(wanted))
    });
    let Some(rule) = found else {
        let prefix = wanted.to_ascii_uppercase();
        let close: Vec<&str> = registry
            .rules()
            .iter()
            .filter(|r| {
                r.meta.id.starts_with(&prefix) || r.meta.name.contains(&wanted.to_ascii_lowercase())
            })
            .map(|r| r.meta.id.as_str())
            .collect();
        if close.is_empty() {
            bail!("no rule `{wanted}`; `nobastion rules` lists them all");
        }
        bail!("no rule `{wanted}`; did you mean {}?", close.join(", "));
    };
    let mut page = docs::rule_page(&rule.meta);
    page.push('\n');
    write_output(None, &page)?;
    Ok(ExitStatus::Clean)
}

fn is_markdown(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
}
