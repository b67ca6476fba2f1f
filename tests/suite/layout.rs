//! The arrows between modules run one way: in each crate, the modules beneath the crate root
//! import each other without a cycle, except through `context` (the one module that the
//! runtimes and the free functions both reach: a runtime enters itself there, the free
//! functions look it up). And within a folder, the sibling files (a macro's `ast`, `parse`,
//! `validate`, `expand`) form a one-way chain.
//!
//! An import is a `crate::...` or `super::...` path in a file, resolved to the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file of `src`, with its module path (`event_loop::tasks`), `mod.rs` and the
/// crate root taken into account.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("inside src");
            let mut segments: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if segments.last().is_some_and(|last| last == "mod") {
                segments.pop();
            }
            if segments == ["lib"] {
                segments.clear();
            }
            found.insert(segments, path);
        }
    }
    found
}

/// The modules that module `module`, whose source is `text`, imports: each `crate::a::b` or `super::c` path,
/// resolved to the longest module of `known` it starts with.
fn imports(module: &[String], text: &str, known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("crate::") || word.starts_with("super::"))
        .collect();
    for word in words {
        let mut parts = word.split("::").filter(|part| !part.is_empty());
        let mut path: Vec<String> = match parts.next() {
            Some("crate") => Vec::new(),
            // The module's parent (a `mod.rs` file's module is its folder's already).
            Some("super") => module[..module.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        for part in parts {
            if part == "super" {
                path.pop();
                continue;
            }
            path.push(part.to_string());
        }
        while !path.is_empty() && !known.contains(&path) {
            path.pop();
        }
        if path != module {
            out.insert(path);
        }
    }
    out
}

/// A cycle in `graph`, if there is one (nodes in order).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Checks one crate; `hub` is the module cycles may go through.
fn check(src: &str, hub: Option<&str>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(src);
    let files = modules(&root);
    let known: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut siblings: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).expect("read a source file");
        for target in imports(module, &text, &known) {
            // The crate-level modules, each with everything beneath it.
            if let (Some(from), Some(to)) = (module.first(), target.first()) {
                if from != to && Some(from.as_str()) != hub && Some(to.as_str()) != hub {
                    top.entry(from.clone()).or_default().insert(to.clone());
                }
            }
            // Files of one folder.
            if module.len() >= 2
                && target.len() == module.len()
                && target[..module.len() - 1] == module[..module.len() - 1]
            {
                let folder = module[..module.len() - 1].join("::");
                siblings
                    .entry(folder)
                    .or_default()
                    .entry(module.last().cloned().unwrap_or_default())
                    .or_default()
                    .insert(target.last().cloned().unwrap_or_default());
            }
        }
    }
    assert!(
        top.len() > 2,
        "{src}: the crate's modules were not found ({top:?})"
    );
    if let Some(found) = cycle(&top) {
        panic!("{src}: the crate's modules import each other in a cycle: {found:?}");
    }
    for (folder, graph) in &siblings {
        if let Some(found) = cycle(graph) {
            panic!("{src}/{folder}: its files import each other in a cycle: {found:?}");
        }
    }
}

#[test]
fn the_runtimes_modules_import_each_other_one_way_except_through_context() {
    check("runtime/src", Some("context"));
}

#[test]
fn the_macros_modules_and_each_macros_phases_import_each_other_one_way() {
    check("macros/src", None);
}
