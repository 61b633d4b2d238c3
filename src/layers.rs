//! The layer order of lib.rs's module doc, checked: every `crate::` path in every source file
//! (tests left out) names a module of its own layer or one below, and no module reaches itself
//! through others (no circle). `cargo test --lib layers` runs it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer of a source file, by where it lives (bottom first).
fn layer(file: &str) -> usize {
    const LAYERS: [(&str, usize); 10] = [
        ("base/", 1),
        ("state/", 2),
        ("output.rs", 3),
        ("examples.rs", 4),
        ("cli.rs", 4),
        ("cluster/", 5),
        ("services/", 6),
        ("commands/", 7),
        ("lib.rs", 8),
        ("main.rs", 8),
    ];
    LAYERS
        .iter()
        .find(|(prefix, _)| file.starts_with(prefix))
        .map(|(_, layer)| *layer)
        .unwrap_or_else(|| panic!("src/{file} is in no layer: put it in one of lib.rs's folders"))
}

/// Every `.rs` file under `dir`, relative to `root`.
fn sources(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The file a module path (`["state", "policy"]`) lives in, taking the longest prefix that is one.
fn file_of(root: &Path, path: &[&str]) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let joined = path[..n].join("/");
        [format!("{joined}.rs"), format!("{joined}/mod.rs")].into_iter().find(|f| root.join(f).is_file())
    })
}

/// The module paths a file names: `crate::a::b::…`, and groups (`use crate::{a::b, c}`,
/// `crate::a::{b, c::d}`). A macro (`crate::outln!`) is none.
fn named(text: &str) -> Vec<Vec<String>> {
    named_from(text, &[])
}

/// The same for the file of module `module` (`["services", "admission", "trail"]`), whose
/// `super::` paths name its parent's items.
fn named_from(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        path(&code[at + "crate::".len()..], Vec::new(), &mut paths);
    }
    if let Some((_, parent)) = module.split_last() {
        for (at, _) in code.match_indices("super::") {
            // `crate::a::super::` does not occur; a word before `super` means another name.
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            path(&code[at + "super::".len()..], parent.to_vec(), &mut paths);
        }
    }
    paths
}

/// Reads one path (or group) at the start of `rest`, below `prefix`.
fn path(mut rest: &str, mut prefix: Vec<String>, paths: &mut Vec<Vec<String>>) {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            // Items split at top-level commas.
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        path(group[start..i].trim_start(), prefix.clone(), paths);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        path(group[start..i].trim_start(), prefix.clone(), paths);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name: String = rest.chars().take_while(|c| word(*c)).collect();
        if name.is_empty() || rest[name.len()..].starts_with('!') {
            break;
        }
        rest = &rest[name.len()..];
        prefix.push(name);
        match rest.strip_prefix("::") {
            Some(more) => rest = more,
            None => break,
        }
    }
    if !prefix.is_empty() {
        paths.push(prefix);
    }
}

/// file -> the files it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let mut graph = BTreeMap::new();
    for file in files.iter().filter(|f| !f.ends_with("layers.rs") && !f.ends_with("generated.rs")) {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let module: Vec<String> =
            file.trim_end_matches(".rs").trim_end_matches("/mod").split('/').map(str::to_string).collect();
        let targets: BTreeSet<String> = named_from(&text, &module)
            .iter()
            .filter_map(|path| file_of(&root, &path.iter().map(String::as_str).collect::<Vec<_>>()))
            .filter(|target| target != file && target != "lib.rs")
            .collect();
        graph.insert(file.clone(), targets);
    }
    graph
}

#[test]

fn no_import_climbs_a_layer_and_no_module_reaches_itself() {
    let graph = imports();
    let climbing: Vec<String> = graph
        .iter()
        .flat_map(|(file, targets)| {
            targets.iter().filter(|t| layer(t) > layer(file)).map(move |t| format!("src/{file} -> src/{t}"))
        })
        .collect();
    assert!(climbing.is_empty(), "imports that climb a layer:\n{}", climbing.join("\n"));
    // A circle: a file that reaches itself through its imports.
    let reaches = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = graph[from].iter().map(String::as_str).collect();
        while let Some(next) = stack.pop() {
            if seen.insert(next.to_string()) {
                stack.extend(graph.get(next).into_iter().flatten().map(String::as_str));
            }
        }
        seen
    };
    let circles: Vec<&String> = graph.keys().filter(|file| reaches(file).contains(*file)).collect();
    assert!(circles.is_empty(), "modules that import themselves through others: {circles:?}");
}

#[test]
fn a_path_names_the_module_it_reaches() {
    let named = named(
        "use crate::state::{self, annotations};\nuse crate::{cli::GlobalArgs, base::error};\ncrate::outln!(\"x\");\n let a = crate::output::terminal(x);",
    );
    assert_eq!(
        named,
        [
            vec!["state", "self"],
            vec!["state", "annotations"],
            vec!["cli", "GlobalArgs"],
            vec!["base", "error"],
            vec!["output", "terminal"]
        ]
        .iter()
        .map(|p| p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
}
