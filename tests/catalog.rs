//! The rule catalog in the code matches the design catalog: every rule in the registry has
//! the id, name and default severity of `../shared/design/rules.md`, and every id there is
//! in the registry.
//!
//! rules.md lives next to the repository in the shared design folder; a user's clone has
//! none, so the test skips with a message when it is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nobastion::finding::Severity;
use nobastion::rules::Registry;

/// Rules added after rules.md v1, with the issue that added them. rules.md is the v1 design
/// catalog and is not edited; these ids must be registered and must not collide with an id
/// rules.md defines (when rules.md gains one of them, remove it here).
const ADDED_AFTER_V1: &[(&str, &str)] = &[
    // unexpected-shell-access: grants the access expectations do not allow (access map).
    ("IAM010", "issue 8"),
];

#[derive(Debug)]
struct CatalogRule {
    name: String,
    severity: Severity,
    line: usize,
}

fn rules_md() -> Option<(PathBuf, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/design/rules.md");
    std::fs::read_to_string(&path).ok().map(|text| (path, text))
}

/// Whether a table cell is a rule id: a category of capitals (and digits, as in `EC2`)
/// followed by three digits (`NET001`, `EC2004`).
fn is_rule_id(cell: &str) -> bool {
    let Some(split) = cell
        .len()
        .checked_sub(3)
        .filter(|&i| cell.is_char_boundary(i))
    else {
        return false;
    };
    let (category, number) = cell.split_at(split);
    number.chars().all(|c| c.is_ascii_digit())
        && category.starts_with(|c: char| c.is_ascii_uppercase())
        && category
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The first severity word in a "default severity" cell (`critical when …, high otherwise`
/// → critical), or the id it refers to (`as NET001`).
enum SeverityCell {
    Level(Severity),
    SameAs(String),
}

fn severity_cell(cell: &str) -> Option<SeverityCell> {
    let words: Vec<&str> = cell
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if let [first, id, ..] = words.as_slice()
        && first.eq_ignore_ascii_case("as")
        && is_rule_id(id)
    {
        return Some(SeverityCell::SameAs((*id).to_owned()));
    }
    words
        .iter()
        .find_map(|w| w.parse::<Severity>().ok())
        .map(SeverityCell::Level)
}

/// Every rule row of the catalog tables: `| id | name | what fails | default severity |`.
fn parse(text: &str) -> Result<BTreeMap<String, CatalogRule>, String> {
    let mut rules = BTreeMap::new();
    let mut pending_refs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let Some(row) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(id) = cells.first().filter(|c| is_rule_id(c)) else {
            continue;
        };
        if cells.len() < 4 {
            return Err(format!(
                "rules.md:{line_no}: row for {id} has too few columns"
            ));
        }
        let name = cells[1].trim_matches('`').to_owned();
        let severity_text = cells[cells.len() - 2];
        let severity = match severity_cell(severity_text) {
            Some(SeverityCell::Level(level)) => level,
            Some(SeverityCell::SameAs(other)) => {
                pending_refs.push(((*id).to_owned(), other, line_no));
                Severity::Info
            }
            None => {
                return Err(format!(
                    "rules.md:{line_no}: no severity in `{severity_text}` for {id}"
                ));
            }
        };
        let previous = rules.insert(
            (*id).to_owned(),
            CatalogRule {
                name,
                severity,
                line: line_no,
            },
        );
        if previous.is_some() {
            return Err(format!("rules.md:{line_no}: {id} is listed twice"));
        }
    }
    for (id, other, line_no) in pending_refs {
        let severity = rules
            .get(&other)
            .map(|r| r.severity)
            .ok_or_else(|| format!("rules.md:{line_no}: {id} refers to unknown {other}"))?;
        if let Some(rule) = rules.get_mut(&id) {
            rule.severity = severity;
        }
    }
    Ok(rules)
}

#[test]
fn registry_matches_the_design_catalog() {
    let Some((path, text)) = rules_md() else {
        println!("skipped: ../shared/design/rules.md is not next to this checkout");
        return;
    };
    let catalog = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        catalog.len() >= 30,
        "only {} rules parsed from {}",
        catalog.len(),
        path.display()
    );
    let registry = Registry::builtin().expect("embedded rule files parse");
    let mut problems = Vec::new();
    for rule in registry.rules() {
        let meta = &rule.meta;
        let added_later = ADDED_AFTER_V1.iter().any(|(id, _)| *id == meta.id);
        match catalog.get(&meta.id) {
            None if added_later => {}
            None => problems.push(format!("{} ({}) is not in rules.md", meta.id, rule.file)),
            Some(entry) if added_later => problems.push(format!(
                "{} is in rules.md:{} now: remove it from ADDED_AFTER_V1",
                meta.id, entry.line
            )),
            Some(entry) => {
                if entry.name != meta.name {
                    problems.push(format!(
                        "{}: name `{}` in {}, `{}` in rules.md:{}",
                        meta.id, meta.name, rule.file, entry.name, entry.line
                    ));
                }
                if entry.severity != meta.severity {
                    problems.push(format!(
                        "{}: default severity {} in {}, {} in rules.md:{}",
                        meta.id, meta.severity, rule.file, entry.severity, entry.line
                    ));
                }
            }
        }
    }
    for (id, entry) in &catalog {
        if registry.get(id).is_none() {
            problems.push(format!(
                "{id} ({}) from rules.md:{} has no rule file",
                entry.name, entry.line
            ));
        }
    }
    for (id, issue) in ADDED_AFTER_V1 {
        if registry.get(id).is_none() {
            problems.push(format!(
                "{id} ({issue}) is listed in ADDED_AFTER_V1 but has no rule file"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the registry and {} disagree:\n{}",
        path.display(),
        problems.join("\n")
    );
}

#[test]
fn catalog_rows_parse() {
    let text = "| id | name | what fails | default severity |\n|---|---|---|---|\n\
        | NET001 | ssh-ingress-allowed | a `22` rule | critical when internet, high otherwise |\n\
        | NET002 | rdp-ingress-allowed | the same | as NET001 |\n\
        | NB001 | not-assessed | gaps | high (and exit code 3) |\n\
        | EC2004 | instance-without-profile | x | medium |\n\
        | IAM1 | not-a-rule | x | low |\n\
        | névé | not-a-rule | x | low |\n";
    let rules = parse(text).unwrap();
    assert_eq!(rules.len(), 4);
    assert_eq!(rules["EC2004"].severity, Severity::Medium);
    assert_eq!(rules["NET001"].severity, Severity::Critical);
    assert_eq!(rules["NET002"].severity, Severity::Critical, "as NET001");
    assert_eq!(rules["NB001"].severity, Severity::High);
    assert_eq!(rules["NET002"].name, "rdp-ingress-allowed");
    assert!(parse("| NET009 | x | y | sometimes |\n").is_err());
    assert!(parse("| NET009 | x | y | as NET123 |\n").is_err());
}
