//! The crate's layers point one way. Reads every file of `src/` (test
//! modules left out: what follows the first `#[cfg(test)]`), collects the
//! `crate::` and `super::` paths it names, and checks that:
//!
//! - every top-level module is placed in [`LAYERS`], and imports only
//!   modules of lower layers (never one of its own layer, never a later one);
//! - no file imports, directly or through others, a file that imports it
//!   back (no import circle, between top-level modules or inside one).
//!
//! `cargo test --test it layers` runs it; a failure names the offending
//! file and path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import the modules of the layers
/// before its own, and nothing else. Data flows the same way: a snapshot is
/// read (`source`, which fills the `snapshot` model), resolved (`rbac`),
/// matched and walked (`template`, `access`), its pods' specs read
/// (`workloads`), rated, turned into findings, selected and reported; the
/// commands sit on top.
const LAYERS: &[&[&str]] = &[
    // Helpers with no knowledge of Kubernetes.
    &["cores", "spliced", "terminal", "words"],
    // A document's shared tables (which put their entries in as spliced text).
    &["tables"],
    // What was read: the model every later layer reads; what an audit log
    // shows was used.
    &["snapshot", "audit"],
    // Reading it: live, files, the demo, snapshot files.
    &["source"],
    // The RBAC authorizer's semantics.
    &["rbac"],
    // The risk template and the operator catalog.
    &["template", "operators"],
    // Permissions, the access graph and its queries; least privilege
    // from an audit log's requests.
    &["access", "usage"],
    // What pod specs give away: tokens, amplifiers, placement.
    &["workloads"],
    // What everything is worth.
    &["rating"],
    // A previous report read back (schema version, header).
    &["previous"],
    // The checks and their findings.
    &["findings"],
    // The three questions' engine; baselines and exceptions on findings.
    &["ask", "baseline", "exceptions"],
    // What is shown.
    &["selection"],
    // Rendering.
    &["report"],
    // Many reports into one fleet view.
    &["merge"],
    // The command line, and the commands that run it all.
    &["cli"],
    &["config"],
    &["progress", "output"],
    &["error"],
    &["commands"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, by module path (`["access", "graph"]` for
/// `access/graph/mod.rs` or `access/graph.rs`; `[]` for `lib.rs`).
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src/ is readable") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = src();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f
            .strip_prefix(&root)
            .expect("under src/")
            .with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
            parts.pop();
        }
        out.insert(parts, f);
    }
    out
}

/// The text of a file without its test modules and line comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file is readable");
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The module paths named after each `prefix` (`crate::`, `super::`):
/// `a::b::C` gives `[a, b, C]`; a group `a::{b, c::D}` gives each member.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    fn read(rest: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut path = base;
        let mut rest = rest;
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                // The members, split at the commas outside nested groups.
                let (mut depth, mut start) = (0, 0);
                let mut members = Vec::new();
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            members.push(&group[start..i]);
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            members.push(&group[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                for member in members {
                    let member = member.trim();
                    if member.is_empty() || member == "self" {
                        out.push(path.clone());
                    } else {
                        read(member, path.clone(), out);
                    }
                }
                return;
            }
            let len = rest.find(|c| !is_ident(c)).unwrap_or(rest.len());
            if len == 0 {
                break;
            }
            path.push(rest[..len].to_string());
            match rest[len..].strip_prefix("::") {
                Some(next) => rest = next,
                None => break,
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(prefix) {
        let at = from + i;
        from = at + prefix.len();
        // `crate::` inside a longer word (`rbacscan::crate_x`) is not one.
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        read(&text[from..], Vec::new(), &mut out);
    }
    out
}

/// The modules each module names, resolved to the longest module path that
/// exists (an item's path names its module).
fn imports(
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains_key(p))
    };
    let mut out = BTreeMap::new();
    for (module, file) in modules {
        let text = code(file);
        let mut named: Vec<Vec<String>> = paths_after(&text, "crate::");
        // `super::` is the parent module, for `a/b.rs` and `a/b/mod.rs` alike.
        if let Some((_, parent)) = module.split_last() {
            for p in paths_after(&text, "super::") {
                let mut full = parent.to_vec();
                full.extend(p);
                named.push(full);
            }
        }
        let targets: BTreeSet<Vec<String>> = named
            .iter()
            .filter_map(|p| resolve(p))
            .filter(|t| t != module && !t.is_empty())
            .collect();
        out.insert(module.clone(), targets);
    }
    out
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn every_module_imports_only_lower_layers() {
    let modules = modules();
    let mut faults = Vec::new();
    let tops: BTreeSet<&str> = modules
        .keys()
        .filter_map(|m| m.first().map(String::as_str))
        .filter(|t| *t != "main")
        .collect();
    for top in &tops {
        if layer_of(top).is_none() {
            faults.push(format!(
                "src/{top}: not placed in LAYERS (tests/it/layers.rs)"
            ));
        }
    }
    for (module, targets) in imports(&modules) {
        let Some(top) = module.first() else { continue };
        let Some(own) = layer_of(top) else { continue };
        for t in targets {
            let other = &t[0];
            if other == top {
                continue;
            }
            match layer_of(other) {
                Some(l) if l < own => {}
                _ => faults.push(format!(
                    "{}: imports crate::{} of the same or a later layer",
                    modules[&module].display(),
                    t.join("::")
                )),
            }
        }
    }
    assert!(faults.is_empty(), "layering broken:\n{}", faults.join("\n"));
}

#[test]
fn no_import_circle_between_files() {
    let modules = modules();
    let edges = imports(&modules);
    // Depth-first search for a back edge; a circle is reported with its path.
    fn visit(
        m: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
        circles: &mut Vec<String>,
    ) {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for t in edges.get(m).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                0 => visit(t, edges, state, stack, circles),
                1 => {
                    let start = stack.iter().position(|s| s == t).unwrap_or(0);
                    let names: Vec<String> = stack[start..]
                        .iter()
                        .chain([t])
                        .map(|s| s.join("/"))
                        .collect();
                    circles.push(names.join(" -> "));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut circles = Vec::new();
    for m in edges.keys() {
        if !state.contains_key(m) {
            visit(m, &edges, &mut state, &mut Vec::new(), &mut circles);
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_reader_sees_paths_groups_and_parents() {
    let text =
        "use crate::a::b::C;\nuse crate::{x, y::{Z, w}};\nfoo(crate::q::r());\nmy_crate::no;";
    let got = paths_after(text, "crate::");
    let want: Vec<Vec<&str>> = vec![
        vec!["a", "b", "C"],
        vec!["x"],
        vec!["y", "Z"],
        vec!["y", "w"],
        vec!["q", "r"],
    ];
    assert_eq!(got, want);
}
