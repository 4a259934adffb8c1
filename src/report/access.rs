//! Renderers of the access map (`nobastion access`, the evidence bundle): a table for
//! people, JSON for machines, CSV for spreadsheets (one row per grant, the CSV writer of
//! `report::csv` with its formula neutralization) and Markdown for wikis and tickets (text
//! escaped with `report::markdown::cell`).
//!
//! Three views: the full matrix (one row per instance and principal, a column per path),
//! one or more instances (who can reach them, with the deciding statements), one or more
//! principals (what they can reach). Conditions the scanner cannot know are shown as
//! "allowed if …", indeterminate cells as such; gaps say why the map is incomplete. With
//! expectations (`--expect`), the grants they do not allow are listed as IAM010 violations.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::{Value, json};

use super::csv::push_row;
use super::markdown::cell as md;
use crate::access::expect::Violation;
use crate::access::{Access, AccessMap, Cell, Path, Principal, PrincipalKind};

/// Rows per table in the matrix view before a new table starts.
const TABLE_ROWS: usize = 2000;

/// Width of tables written to files and pipes.
const PLAIN_WIDTH: u16 = 180;

/// What the output shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Every grant.
    Matrix,
    /// Who can reach the selected instances.
    Instances,
    /// What the selected principals can reach.
    Principals,
}

/// Output formats of `nobastion access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

/// A view of the map: the selected cells and what they belong to.
pub struct AccessView<'a> {
    pub map: &'a AccessMap,
    pub focus: Focus,
    /// Instances in view (indexes into `map.instances`), in map order.
    pub instances: Vec<usize>,
    /// Principals in view (indexes into `map.principals`).
    pub principals: Vec<usize>,
    /// Paths in view.
    pub paths: Vec<Path>,
    /// Unexpected grants, when expectations were given (and the file).
    pub violations: Option<(&'a str, &'a [Violation])>,
    pub exit_code: u8,
    /// JSON: the per-check explanation of every cell, also in the matrix view.
    pub explain: bool,
}

impl<'a> AccessView<'a> {
    /// The whole map.
    pub fn full(map: &'a AccessMap) -> Self {
        AccessView {
            map,
            focus: Focus::Matrix,
            instances: (0..map.instances.len()).collect(),
            principals: (0..map.principals.len()).collect(),
            paths: Path::ALL.to_vec(),
            violations: None,
            exit_code: 0,
            explain: false,
        }
    }

    /// The cells in view, in map order (instance, principal, path).
    pub fn cells(&self) -> Vec<&'a Cell> {
        let instances: BTreeSet<usize> = self.instances.iter().copied().collect();
        let principals: BTreeSet<usize> = self.principals.iter().copied().collect();
        self.map
            .cells
            .iter()
            .filter(|c| {
                instances.contains(&(c.instance as usize))
                    && principals.contains(&(c.principal as usize))
                    && self.paths.contains(&c.path)
            })
            .collect()
    }

    fn counts(cells: &[&Cell]) -> String {
        let count = |a: Access| cells.iter().filter(|c| c.access == a).count();
        format!(
            "{} grant(s): {} allowed, {} allowed if conditions hold, {} indeterminate",
            cells.len(),
            count(Access::Allowed),
            count(Access::Conditional),
            count(Access::Indeterminate)
        )
    }
}

/// Where rendered output goes, piece by piece, in order (a file, standard output, a string).
pub type Sink<'s> = dyn FnMut(&str) -> std::io::Result<()> + 's;

/// Renders the output into `sink` piece by piece: the CSV and JSON of a large map are rendered
/// a few chunks at a time on every core and handed over in order, so memory stays bounded
/// however large the output (a million grants are hundreds of MB of JSON). Stops at the first
/// error the sink returns.
pub fn render_to(
    format: AccessFormat,
    view: &AccessView<'_>,
    sink: &mut Sink<'_>,
) -> std::io::Result<()> {
    match format {
        AccessFormat::Table => sink(&table(view)),
        AccessFormat::Json => json_to(view, sink),
        AccessFormat::Csv => csv_to(view, sink),
        AccessFormat::Markdown => sink(&markdown(view)),
    }
}

/// The output as one string.
pub fn render(format: AccessFormat, view: &AccessView<'_>) -> String {
    let mut out = String::new();
    let _ = render_to(format, view, &mut |part: &str| {
        out.push_str(part);
        Ok(())
    });
    out
}

/// `yes`, `if`, `?` for the matrix.
fn mark(access: Access) -> &'static str {
    match access {
        Access::Allowed => "yes",
        Access::Conditional => "if",
        Access::Indeterminate => "?",
    }
}

fn principal_label(p: &Principal) -> String {
    let mut label = p.short().to_owned();
    if p.service_path {
        label.push_str(" (service path)");
    }
    label
}

/// Footnotes: each distinct condition text once, numbered from 1.
#[derive(Default)]
struct Notes {
    texts: Vec<String>,
    numbers: HashMap<String, usize>,
}

impl Notes {
    fn number(&mut self, text: String) -> usize {
        if let Some(n) = self.numbers.get(&text) {
            return *n;
        }
        self.texts.push(text.clone());
        self.numbers.insert(text, self.texts.len());
        self.texts.len()
    }
}

/// The residual conditions (or the undecidable part) of a non-allowed cell.
fn condition_text(explainer: &mut crate::access::Explainer<'_>, cell: &Cell) -> Option<String> {
    if cell.access == Access::Allowed {
        return None;
    }
    explainer.explain(cell).conditions()
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty()
        .set_width(PLAIN_WIDTH);
    t
}

fn short_path(path: Path) -> &'static str {
    match path {
        Path::Shell => "shell",
        Path::PortForwarding => "port-fwd",
        Path::Ssh => "ssh",
        Path::InteractiveCommand => "interactive",
        Path::SendCommand => "send-command",
        Path::InstanceConnect => "instance-connect",
    }
}

/// Consecutive cells of one (instance, principal).
fn rows<'c>(cells: &[&'c Cell]) -> Vec<Vec<&'c Cell>> {
    let mut out: Vec<Vec<&Cell>> = Vec::new();
    for c in cells {
        match out.last_mut() {
            Some(row) if row[0].instance == c.instance && row[0].principal == c.principal => {
                row.push(c);
            }
            _ => out.push(vec![c]),
        }
    }
    out
}

fn table(view: &AccessView<'_>) -> String {
    let map = view.map;
    let cells = view.cells();
    let mut explainer = map.explainer();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Who can get a shell: {} managed instance(s), {} principal(s) in view; {}.",
        view.instances.len(),
        view.principals.len(),
        AccessView::counts(&cells)
    );
    match view.focus {
        Focus::Matrix => matrix_table(view, &cells, &mut explainer, &mut out),
        Focus::Instances => {
            for &i in &view.instances {
                let instance = &map.instances[i];
                let _ = writeln!(
                    out,
                    "\n{} — {} — {} — SSM {}",
                    instance.label(),
                    instance.arn,
                    instance.tags_label(),
                    instance.ssm.as_str()
                );
                let own: Vec<&Cell> = cells
                    .iter()
                    .copied()
                    .filter(|c| c.instance as usize == i)
                    .collect();
                if own.is_empty() {
                    let _ = writeln!(out, "nobody in view can get a shell on it");
                    continue;
                }
                let mut t = new_table();
                t.set_header(["Principal", "Path", "Access", "Via", "Deciding statements"]);
                for c in own {
                    let p = map.principal(c);
                    let mut who = principal_label(p);
                    for entry in p.entry_points() {
                        let _ = write!(who, "\n← {entry}");
                    }
                    t.add_row(detail_row(&mut explainer, map, c, who));
                }
                let _ = writeln!(out, "{t}");
            }
        }
        Focus::Principals => {
            for &p in &view.principals {
                let principal = &map.principals[p];
                out.push('\n');
                out.push_str(&principal_header(principal));
                let own: Vec<&Cell> = cells
                    .iter()
                    .copied()
                    .filter(|c| c.principal as usize == p)
                    .collect();
                if own.is_empty() {
                    let _ = writeln!(out, "cannot get a shell on any managed instance in view");
                    continue;
                }
                let mut t = new_table();
                t.set_header(["Instance", "Path", "Access", "Via", "Deciding statements"]);
                for c in own {
                    let instance = map.instance(c);
                    let what = format!("{}\n{}", instance.label(), instance.tags_label());
                    t.add_row(detail_row(&mut explainer, map, c, what));
                }
                let _ = writeln!(out, "{t}");
            }
        }
    }
    if view.focus == Focus::Matrix {
        roles_table(view, &mut out);
    }
    violations_text(view, &mut out);
    gaps_text(map, &mut out);
    out
}

/// The matrix: a row per (instance, principal), a column per path, footnotes for the
/// conditions.
fn matrix_table(
    view: &AccessView<'_>,
    cells: &[&Cell],
    explainer: &mut crate::access::Explainer<'_>,
    out: &mut String,
) {
    let map = view.map;
    let mut notes = Notes::default();
    let header = || {
        let mut t = new_table();
        let mut header = vec!["Instance".to_owned(), "Principal".to_owned()];
        header.extend(view.paths.iter().map(|p| short_path(*p).to_owned()));
        t.set_header(header);
        t
    };
    let mut t = header();
    let mut rows_in_table = 0usize;
    let mut previous: Option<u32> = None;
    for row in rows(cells) {
        // Very large maps are printed as several tables (of whole instances), so that the
        // table builder never holds a million rows.
        if rows_in_table >= TABLE_ROWS && previous != Some(row[0].instance) {
            let _ = writeln!(out, "{t}");
            t = header();
            rows_in_table = 0;
        }
        let instance = map.instance(row[0]);
        let principal = map.principal(row[0]);
        // The instance is named on its first row only.
        let first = if previous == Some(row[0].instance) {
            String::new()
        } else {
            format!(
                "{}\n{}/{}\n{}",
                instance.label(),
                instance.account,
                instance.region,
                instance.tags_label()
            )
        };
        previous = Some(row[0].instance);
        let mut line = vec![first, principal_label(principal)];
        for path in &view.paths {
            let text = match row.iter().find(|c| c.path == *path) {
                None => String::new(),
                Some(c) => match condition_text(explainer, c) {
                    Some(cond) => format!("{} [{}]", mark(c.access), notes.number(cond)),
                    None => mark(c.access).to_owned(),
                },
            };
            line.push(text);
        }
        t.add_row(line);
        rows_in_table += 1;
    }
    if rows_in_table > 0 {
        let _ = writeln!(out, "{t}");
    }
    for (i, text) in notes.texts.iter().enumerate() {
        let _ = writeln!(out, "[{}] {text}", i + 1);
    }
    if !notes.texts.is_empty() {
        out.push('\n');
    }
}

/// `Principal | Path | Access | Via | Deciding statements` (or Instance first).
fn detail_row(
    explainer: &mut crate::access::Explainer<'_>,
    map: &AccessMap,
    c: &Cell,
    first: String,
) -> Vec<String> {
    let e = explainer.explain(c);
    let access = match e.conditions() {
        Some(cond) if c.access == Access::Conditional => cond,
        Some(cond) => format!("indeterminate: {cond}"),
        None => c.access.as_str().to_owned(),
    };
    let statements: Vec<String> = e
        .granting_statements()
        .iter()
        .map(ToString::to_string)
        .collect();
    vec![
        first,
        c.path.as_str().to_owned(),
        access,
        map.via(c).join(", "),
        statements.join("\n"),
    ]
}

fn principal_header(p: &Principal) -> String {
    let mut out = format!(
        "{} ({}, account {})",
        p.arn,
        match p.kind {
            PrincipalKind::User => "IAM user",
            PrincipalKind::Role => "IAM role",
        },
        p.account
    );
    if p.service_path {
        out.push_str(" — service path");
    }
    out.push('\n');
    if !p.groups.is_empty() {
        let _ = writeln!(out, "  groups: {}", p.groups.join(", "));
    }
    if let Some(b) = &p.permissions_boundary {
        let _ = writeln!(out, "  permissions boundary: {b}");
    }
    if let Some(trust) = &p.trust {
        for entry in &trust.entries {
            let _ = writeln!(out, "  assumable by: {}", entry.describe());
        }
        for a in &trust.assumers {
            let _ = writeln!(
                out,
                "  assumed by {} ({}{})",
                short(&a.principal),
                a.how,
                if a.access == Access::Allowed {
                    String::new()
                } else {
                    format!("; {}", a.access)
                }
            );
        }
        for d in &trust.denies {
            let _ = writeln!(out, "  trust policy: {d}");
        }
    }
    for problem in &p.problems {
        let _ = writeln!(out, "  incomplete: {problem}");
    }
    out
}

fn short(arn: &str) -> &str {
    arn.splitn(6, ':')
        .nth(5)
        .filter(|s| !s.is_empty())
        .unwrap_or(arn)
}

/// Roles in view that have grants, with who can assume them.
fn roles_table(view: &AccessView<'_>, out: &mut String) {
    let map = view.map;
    let with_grants: BTreeSet<u32> = view.cells().iter().map(|c| c.principal).collect();
    let roles: Vec<&Principal> = with_grants
        .iter()
        .map(|&p| &map.principals[p as usize])
        .filter(|p| p.kind == PrincipalKind::Role)
        .collect();
    if roles.is_empty() {
        return;
    }
    let mut t = new_table();
    t.set_header([
        "Role",
        "Assumable by (trust policy)",
        "Same-account principals that can assume it",
    ]);
    for role in roles {
        let (entries, assumers) = role.trust.as_ref().map_or_else(
            || (String::new(), String::new()),
            |t| {
                let entries: Vec<String> = t
                    .entries
                    .iter()
                    .map(|e| {
                        let mut d = e.describe();
                        if e.external {
                            d.insert_str(0, "entry point: ");
                        }
                        d
                    })
                    .collect();
                let assumers: Vec<String> = t
                    .assumers
                    .iter()
                    .map(|a| match a.access {
                        Access::Allowed => short(&a.principal).to_owned(),
                        other => format!("{} ({other})", short(&a.principal)),
                    })
                    .collect();
                (entries.join("\n"), assumers.join("\n"))
            },
        );
        t.add_row([principal_label(role), entries, assumers]);
    }
    let _ = writeln!(out, "How the roles are reached:\n{t}");
}

fn violations_text(view: &AccessView<'_>, out: &mut String) {
    let Some((file, violations)) = view.violations else {
        return;
    };
    if violations.is_empty() {
        let _ = writeln!(out, "\nExpectations ({file}): every grant is expected.");
        return;
    }
    let _ = writeln!(
        out,
        "\nUnexpected access (IAM010, expectations {file}): {} grant(s)",
        violations.len()
    );
    for v in violations {
        let _ = writeln!(out, "  - {}", v.message);
    }
}

fn gaps_text(map: &AccessMap, out: &mut String) {
    if !map.gaps.is_empty() {
        let _ = writeln!(
            out,
            "\nIncomplete: what could not be read (exit 3 unless --allow-incomplete):"
        );
        for g in &map.gaps {
            let _ = writeln!(out, "  - {}", g.describe());
        }
    }
    let indeterminate = map
        .cells
        .iter()
        .filter(|c| c.access == Access::Indeterminate)
        .count();
    if indeterminate > 0 {
        let _ = writeln!(
            out,
            "\n{indeterminate} grant(s) are indeterminate: a value the engine cannot read decides them."
        );
    }
    if !map.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &map.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
}

/// The JSON document (docs/access.md#json): one member per line, one cell per line, written
/// as it goes (a full matrix can hold a million grants). Cells carry the deciding statements
/// and residual conditions; the per-check explanation (actions, resources, reasons) is added
/// in focused views and with `explain`.
fn json_to(view: &AccessView<'_>, sink: &mut Sink<'_>) -> std::io::Result<()> {
    let map = view.map;
    let cells = view.cells();
    let in_cells_i: BTreeSet<usize> = cells.iter().map(|c| c.instance as usize).collect();
    let in_cells_p: BTreeSet<usize> = cells.iter().map(|c| c.principal as usize).collect();
    let instances: Vec<&crate::access::Instance> = view
        .instances
        .iter()
        .filter(|i| view.focus != Focus::Principals || in_cells_i.contains(i))
        .map(|&i| &map.instances[i])
        .collect();
    let principals: Vec<&Principal> = view
        .principals
        .iter()
        .filter(|p| view.focus != Focus::Instances || in_cells_p.contains(p))
        .map(|&p| &map.principals[p])
        .collect();
    let count = |a: Access| cells.iter().filter(|c| c.access == a).count();
    let mut members: Vec<(&str, Value)> = vec![
        (
            "tool",
            json!({"name": super::TOOL_NAME, "version": super::TOOL_VERSION}),
        ),
        ("complete", json!(map.is_complete())),
        ("exit_code", json!(view.exit_code)),
        (
            "view",
            json!(match view.focus {
                Focus::Matrix => "matrix",
                Focus::Instances => "instances",
                Focus::Principals => "principals",
            }),
        ),
        (
            "summary",
            json!({
                "instances": instances.len(),
                "principals": principals.len(),
                "grants": cells.len(),
                "allowed": count(Access::Allowed),
                "allowed_if": count(Access::Conditional),
                "indeterminate": count(Access::Indeterminate),
            }),
        ),
        (
            "paths",
            json!(
                view.paths
                    .iter()
                    .map(|p| json!({"id": p, "description": p.describe()}))
                    .collect::<Vec<_>>()
            ),
        ),
        ("accounts", json!(map.accounts)),
        ("instances", json!(instances)),
        ("principals", json!(principals)),
    ];
    let mut out = String::from("{\n");
    let member = |out: &mut String, name: &str, value: &Value| {
        let _ = writeln!(
            out,
            "  {}: {},",
            Value::from(name),
            serde_json::to_string(value).unwrap_or_default()
        );
    };
    for (name, value) in members.drain(..) {
        member(&mut out, name, &value);
    }
    sink(&out)?;
    json_cells(view, &cells, sink)?;
    let mut out = String::new();
    member(&mut out, "gaps", &json!(map.gaps));
    let last = match view.violations {
        Some((file, violations)) => {
            member(&mut out, "notes", &json!(map.notes));
            (
                "expectations",
                json!({"file": file, "unexpected": violations}),
            )
        }
        None => ("notes", json!(map.notes)),
    };
    let _ = write!(
        out,
        "  {}: {}\n}}\n",
        Value::from(last.0),
        serde_json::to_string(&last.1).unwrap_or_default()
    );
    sink(&out)
}

/// The `cells` member, one cell per line, in parts.
fn json_cells(view: &AccessView<'_>, cells: &[&Cell], sink: &mut Sink<'_>) -> std::io::Result<()> {
    let map = view.map;
    let explain = view.explain || view.focus != Focus::Matrix;
    // Each cell is written with a leading separator: the first one opens the list instead.
    let mut first = true;
    let mut chunk_sink = |part: &str| -> std::io::Result<()> {
        if first {
            first = false;
            sink("  \"cells\": [")?;
            sink(part.get(1..).unwrap_or_default())
        } else {
            sink(part)
        }
    };
    render_chunks(map, cells, &mut chunk_sink, |explainer, c, out| {
        let e = explainer.explain(c);
        let instance = map.instance(c);
        let mut cell = json!({
            "instance": instance.id,
            "instance_arn": instance.arn,
            "principal": map.principal(c).arn,
            "path": c.path,
            "access": c.access,
            "via": map.via(c),
            "conditions": e.conditions(),
            "statements": e.statements(),
        });
        if explain && let Some(obj) = cell.as_object_mut() {
            obj.insert("explanation".to_owned(), json!(e.means));
        }
        out.push_str(",\n    ");
        out.push_str(&serde_json::to_string(&cell).unwrap_or_default());
    })?;
    if first {
        sink("  \"cells\": [],\n")
    } else {
        sink("\n  ],\n")
    }
}

type CellKey = (u32, u32, Path);

fn key(c: &Cell) -> CellKey {
    (c.instance, c.principal, c.path)
}

/// The violations by cell (`None` without expectations).
fn violation_index(violations: Option<&[Violation]>) -> Option<HashMap<CellKey, &Violation>> {
    violations.map(|list| list.iter().map(|v| (key(&v.cell), v)).collect())
}

/// Renders `cells` in chunks on every core (each chunk with its own explainer; chunks end at
/// instance boundaries, so an instance's rows share cached evaluations), in order.
fn render_chunks(
    map: &AccessMap,
    cells: &[&Cell],
    sink: &mut Sink<'_>,
    row: impl Fn(&mut crate::access::Explainer<'_>, &Cell, &mut String) + Sync,
) -> std::io::Result<()> {
    const CHUNK: usize = 4096;
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut end = (start + CHUNK).min(cells.len());
        while end < cells.len() && cells[end].instance == cells[end - 1].instance {
            end += 1;
        }
        bounds.push((start, end));
        start = end;
    }
    // A few chunks per core at a time: enough to keep every core busy, few enough that the
    // rendered text in memory stays small.
    let batch = 4 * std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    for group in bounds.chunks(batch) {
        let parts = crate::access::parallel(group.len(), |k| {
            let (from, to) = group[k];
            let mut explainer = map.explainer();
            let mut out = String::new();
            for c in &cells[from..to] {
                row(&mut explainer, c, &mut out);
            }
            vec![out]
        });
        for part in parts.iter().filter(|part| !part.is_empty()) {
            sink(part)?;
        }
    }
    Ok(())
}

/// The CSV columns, in order (docs/access.md#csv).
pub const CSV_COLUMNS: [&str; 17] = [
    "account",
    "region",
    "instance_id",
    "instance_arn",
    "instance_name",
    "instance_tags",
    "ssm_registration",
    "principal_arn",
    "principal_kind",
    "service_path",
    "entry_points",
    "path",
    "access",
    "via",
    "conditions",
    "deciding_statements",
    "expectation",
];

/// One row per grant in view.
pub fn csv(view: &AccessView<'_>) -> String {
    render(AccessFormat::Csv, view)
}

fn csv_to(view: &AccessView<'_>, sink: &mut Sink<'_>) -> std::io::Result<()> {
    let map = view.map;
    let mut header = String::new();
    push_row(&mut header, CSV_COLUMNS.iter().map(|c| (*c).to_owned()));
    let cells = view.cells();
    let unexpected = violation_index(view.violations.map(|(_, v)| v));
    sink(&header)?;
    render_chunks(map, &cells, sink, |explainer, c, out| {
        let instance = map.instance(c);
        let principal = map.principal(c);
        let e = explainer.explain(c);
        let statements: Vec<String> = e
            .granting_statements()
            .iter()
            .map(ToString::to_string)
            .collect();
        let expectation = match (
            &unexpected,
            unexpected.as_ref().and_then(|u| u.get(&key(c))),
        ) {
            (None, _) => String::new(),
            (Some(_), None) => "expected".to_owned(),
            (Some(_), Some(v)) => format!("unexpected: rule {} (line {})", v.rule, v.rule_line),
        };
        let tags = if instance.tags_known {
            instance
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(";")
        } else {
            "(unknown)".to_owned()
        };
        let kind = match principal.kind {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        };
        push_row(
            out,
            [
                instance.account.clone(),
                instance.region.clone(),
                instance.id.clone(),
                instance.arn.clone(),
                instance.name.clone().unwrap_or_default(),
                tags,
                instance.ssm.as_str().to_owned(),
                principal.arn.clone(),
                kind.to_owned(),
                principal.service_path.to_string(),
                principal.entry_points().join("; "),
                c.path.as_str().to_owned(),
                c.access.as_str().to_owned(),
                map.via(c).join(";"),
                e.conditions().unwrap_or_default(),
                statements.join("; "),
                expectation,
            ]
            .into_iter(),
        );
    })
}

fn markdown(view: &AccessView<'_>) -> String {
    let map = view.map;
    let cells = view.cells();
    let mut explainer = map.explainer();
    let mut out = String::new();
    let _ = writeln!(out, "# Who can get a shell\n");
    let _ = writeln!(
        out,
        "{} managed instance(s), {} principal(s) in view; {}.\n",
        view.instances.len(),
        view.principals.len(),
        md(&AccessView::counts(&cells))
    );
    matrix_markdown(view, &cells, &mut explainer, &mut out, 2);
    if let Some((file, violations)) = view.violations {
        let _ = writeln!(out, "## Unexpected access (IAM010)\n");
        if violations.is_empty() {
            let _ = writeln!(out, "Every grant is expected by {}.\n", md(file));
        } else {
            for v in violations {
                let _ = writeln!(out, "- {}", md(&v.message));
            }
            out.push('\n');
        }
    }
    gaps_markdown(map, &mut out, 2);
    out
}

/// The per-instance tables in Markdown (also the report.md section of the evidence bundle):
/// `### instance` then `| Principal | Path | Access | Via |`.
pub fn matrix_markdown(
    view: &AccessView<'_>,
    cells: &[&Cell],
    explainer: &mut crate::access::Explainer<'_>,
    out: &mut String,
    level: usize,
) {
    let map = view.map;
    let hashes = "#".repeat(level + 1);
    let mut current: Option<u32> = None;
    for c in cells {
        if current != Some(c.instance) {
            current = Some(c.instance);
            let i = map.instance(c);
            let _ = writeln!(
                out,
                "\n{hashes} {}\n\n{} · {}/{} · {} · SSM {}\n\n| Principal | Path | Access | Via | Deciding statements |\n|---|---|---|---|---|",
                md(&i.label()),
                md(&i.arn),
                md(&i.account),
                md(&i.region),
                md(&i.tags_label()),
                i.ssm.as_str()
            );
        }
        let p = map.principal(c);
        let mut who = md(&principal_label(p));
        for entry in p.entry_points() {
            let _ = write!(who, "<br>← {}", md(&entry));
        }
        let e = explainer.explain(c);
        let access = match e.conditions() {
            Some(cond) if c.access == Access::Conditional => cond,
            Some(cond) => format!("indeterminate: {cond}"),
            None => c.access.as_str().to_owned(),
        };
        let statements: Vec<String> = e
            .granting_statements()
            .iter()
            .map(|s| md(&s.to_string()))
            .collect();
        let _ = writeln!(
            out,
            "| {who} | {} | {} | {} | {} |",
            c.path,
            md(&access),
            md(&map.via(c).join(", ")),
            statements.join("<br>")
        );
    }
    out.push('\n');
}

fn gaps_markdown(map: &AccessMap, out: &mut String, level: usize) {
    let hashes = "#".repeat(level);
    if !map.gaps.is_empty() {
        let _ = writeln!(out, "{hashes} Incomplete\n");
        for g in &map.gaps {
            let _ = writeln!(out, "- {}", md(&g.describe()));
        }
        out.push('\n');
    }
    if !map.notes.is_empty() {
        let _ = writeln!(out, "{hashes} Notes\n");
        for n in &map.notes {
            let _ = writeln!(out, "- {}", md(n));
        }
        out.push('\n');
    }
}

/// How many grants the HTML and Markdown reports list before pointing at access.csv.
pub const REPORT_LIMIT: usize = 1000;

/// The rows the evidence reports show: (cell, explanation conditions or access, via,
/// deciding statements, the violation when unexpected).
struct ReportRow<'a> {
    cell: &'a Cell,
    access: String,
    via: String,
    statements: Vec<String>,
    unexpected: Option<&'a Violation>,
}

fn report_rows<'a>(map: &'a AccessMap, violations: Option<&'a [Violation]>) -> Vec<ReportRow<'a>> {
    let mut explainer = map.explainer();
    let unexpected = violation_index(violations).unwrap_or_default();
    map.cells
        .iter()
        .take(REPORT_LIMIT)
        .map(|c| {
            let e = explainer.explain(c);
            let access = match e.conditions() {
                Some(cond) if c.access == Access::Conditional => cond,
                Some(cond) => format!("indeterminate: {cond}"),
                None => c.access.as_str().to_owned(),
            };
            ReportRow {
                cell: c,
                access,
                via: map.via(c).join(", "),
                statements: e
                    .granting_statements()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                unexpected: unexpected.get(&key(c)).copied(),
            }
        })
        .collect()
}

fn report_intro(section: &crate::evidence::AccessSection<'_>) -> (String, Vec<String>) {
    let map = section.map;
    let count = |a: Access| map.cells.iter().filter(|c| c.access == a).count();
    let reached: BTreeSet<u32> = map.cells.iter().map(|c| c.instance).collect();
    let unreached: Vec<String> = map
        .instances
        .iter()
        .enumerate()
        .filter(|(i, _)| !reached.contains(&u32::try_from(*i).unwrap_or(u32::MAX)))
        .map(|(_, i)| i.label())
        .collect();
    let mut lines = vec![format!(
        "{} managed instance(s), {} IAM user(s) and role(s); {} grant(s): {} allowed, {} allowed if conditions unknown at scan time hold, {} indeterminate.",
        map.instances.len(),
        map.principals.len(),
        map.cells.len(),
        count(Access::Allowed),
        count(Access::Conditional),
        count(Access::Indeterminate)
    )];
    if let Some(v) = section.violations {
        lines.push(format!(
            "{} grant(s) are not allowed by the access expectations (IAM010).",
            v.len()
        ));
    }
    if map.cells.len() > REPORT_LIMIT {
        lines.push(format!(
            "The first {REPORT_LIMIT} grants are listed here; access.csv has all {}.",
            map.cells.len()
        ));
    }
    (
        "For every managed instance (running and online in Systems Manager), the IAM users and roles that can open a shell on it and how: StartSession with the default shell or another session document, SendCommand with a shell document, EC2 Instance Connect. Each request was evaluated with the instance's ARN and tags through identity, group and boundary policies and SCPs. \"allowed if\" names conditions the scanner cannot know (source IP, MFA, session tags).".to_owned(),
        {
            if !unreached.is_empty() {
                lines.push(format!("Nobody can get a shell on: {}.", unreached.join(", ")));
            }
            lines
        },
    )
}

/// The "Who can get a shell" section of report.html.
pub fn access_html(out: &mut String, section: &crate::evidence::AccessSection<'_>) {
    use super::html::escape;
    let map = section.map;
    let (intro, lines) = report_intro(section);
    let _ = write!(out, "<p>{}</p>", escape(&intro));
    for line in &lines {
        let _ = write!(out, "<p>{}</p>", escape(line));
    }
    let rows = report_rows(map, section.violations);
    let mut current: Option<u32> = None;
    for row in &rows {
        if current != Some(row.cell.instance) {
            if current.is_some() {
                out.push_str("</tbody></table>");
            }
            current = Some(row.cell.instance);
            let i = map.instance(row.cell);
            let _ = write!(
                out,
                "<h3>{}</h3><p class=\"muted\">{} · {}/{} · {} · SSM {}</p><table><thead><tr><th>Principal</th><th>Path</th><th>Access</th><th>Via</th><th>Deciding statements</th></tr></thead><tbody>",
                escape(&i.label()),
                escape(&i.arn),
                escape(&i.account),
                escape(&i.region),
                escape(&i.tags_label()),
                i.ssm.as_str()
            );
        }
        let p = map.principal(row.cell);
        let mut who = escape(&principal_label(p));
        for entry in p.entry_points() {
            let _ = write!(who, "<br><span class=\"muted\">← {}</span>", escape(&entry));
        }
        if let Some(v) = row.unexpected {
            let _ = write!(
                who,
                "<br><span class=\"st fail\">unexpected</span> <span class=\"muted\">IAM010, expectation rule {} (line {})</span>",
                v.rule, v.rule_line
            );
        }
        let statements: Vec<String> = row.statements.iter().map(|s| escape(s)).collect();
        let _ = write!(
            out,
            "<tr><td>{who}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.cell.path,
            escape(&row.access),
            escape(&row.via),
            statements.join("<br>")
        );
    }
    if current.is_some() {
        out.push_str("</tbody></table>");
    }
    let roles: Vec<&Principal> = map
        .principals
        .iter()
        .filter(|p| !p.entry_points().is_empty())
        .collect();
    if !roles.is_empty() {
        out.push_str("<h3>Roles reachable from outside the account</h3><table><thead><tr><th>Role</th><th>Entry points</th></tr></thead><tbody>");
        for role in roles {
            let entries: Vec<String> = role.entry_points().iter().map(|e| escape(e)).collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(role.short()),
                entries.join("<br>")
            );
        }
        out.push_str("</tbody></table>");
    }
    if !map.gaps.is_empty() || !map.notes.is_empty() {
        out.push_str("<div class=\"note\">");
        for g in &map.gaps {
            let _ = write!(out, "<p>Incomplete: {}</p>", escape(&g.describe()));
        }
        for n in &map.notes {
            let _ = write!(out, "<p>{}</p>", escape(n));
        }
        out.push_str("</div>");
    }
}

/// The "Who can get a shell" section of report.md.
pub fn access_markdown(out: &mut String, section: &crate::evidence::AccessSection<'_>) {
    let map = section.map;
    let (intro, lines) = report_intro(section);
    let _ = writeln!(out, "{}\n", md(&intro));
    for line in &lines {
        let _ = writeln!(out, "{}\n", md(line));
    }
    let rows = report_rows(map, section.violations);
    let mut current: Option<u32> = None;
    for row in &rows {
        if current != Some(row.cell.instance) {
            current = Some(row.cell.instance);
            let i = map.instance(row.cell);
            let _ = writeln!(
                out,
                "\n### {}\n\n{} · {}/{} · {} · SSM {}\n\n| Principal | Path | Access | Via | Deciding statements |\n|---|---|---|---|---|",
                md(&i.label()),
                md(&i.arn),
                md(&i.account),
                md(&i.region),
                md(&i.tags_label()),
                i.ssm.as_str()
            );
        }
        let p = map.principal(row.cell);
        let mut who = md(&principal_label(p));
        for entry in p.entry_points() {
            let _ = write!(who, "<br>← {}", md(&entry));
        }
        if let Some(v) = row.unexpected {
            let _ = write!(
                who,
                "<br>**unexpected** (IAM010, expectation rule {}, line {})",
                v.rule, v.rule_line
            );
        }
        let statements: Vec<String> = row.statements.iter().map(|s| md(s)).collect();
        let _ = writeln!(
            out,
            "| {who} | {} | {} | {} | {} |",
            row.cell.path,
            md(&row.access),
            md(&row.via),
            statements.join("<br>")
        );
    }
    out.push('\n');
    gaps_markdown(map, out, 3);
}
