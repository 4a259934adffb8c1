//! Embeds the rule files of `rules/` into the binary: generates a list of
//! `(file name, contents)` that `src/rules/registry.rs` includes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("rules");
    println!("cargo::rerun-if-changed=rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    Path::new(n)
                        .extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml"))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("&[\n");
    for name in &names {
        let path = std::fs::canonicalize(dir.join(name)).expect("rule file path");
        println!("cargo::rerun-if-changed=rules/{name}");
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.display()).expect("write");
    }
    out.push(']');
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    std::fs::write(Path::new(&out_dir).join("rule_files.rs"), out).expect("write rule_files.rs");
}
