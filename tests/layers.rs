//! The code's layers (DESIGN.md, "Code layout: layers"): a module imports only modules
//! of its own layer or below, the clients (`ui`, `cli`) never import an engine, and no
//! import cycle runs between the top-level modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    ("util", 0),
    ("platform", 0),
    ("paths", 1),
    ("settings", 1),
    ("model", 1),
    ("api", 2),
    ("events", 2), // `api::events`, re-exported at the crate root
    ("runner", 3),
    ("workspace", 3),
    ("gpu", 3),
    ("probe", 3),
    ("core", 4),
    ("client", 5),
    ("server", 5),
    ("cli", 6),
    ("ui", 6),
];

const ENGINES: &[&str] = &["runner", "workspace", "gpu", "probe"];
const CLIENTS: &[&str] = &["ui", "cli"];

/// Client files allowed to import an engine: none. Kept so that debt, if it ever comes
/// back, is named here and shrinks (a file that no longer imports an engine must leave).
const CLI_NOT_YET_CLIENTS: &[&str] = &[];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// Every `crate::X` a source file names (in `use` lists too), without comments.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::c}`: the first word of each item (one line is enough
                // for the short lists this crate writes).
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let word: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !word.is_empty() {
                        out.insert(word);
                    }
                }
            } else {
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !word.is_empty() {
                    out.insert(word);
                }
            }
        }
    }
    out
}

/// Top-level module → the top-level modules it imports, and where.
fn graph() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "main" || module == "lib" {
                continue; // the binary's dispatch and the crate root
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for target in imports(&text) {
                if target != module && layer(&target).is_some() {
                    graph
                        .entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_default()
                        .push(rel.display().to_string());
                }
            }
        }
    }
    graph
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if name == "main" || name == "lib" {
            continue;
        }
        assert!(
            layer(&name).is_some(),
            "src/{name} has no layer: add it to LAYERS here and to DESIGN.md"
        );
    }
}

#[test]
fn no_module_imports_a_higher_layer_and_clients_import_no_engine() {
    let mut wrong = Vec::new();
    let mut debt_seen = BTreeSet::new();
    for (from, targets) in graph() {
        let own = layer(&from).unwrap();
        for (to, files) in targets {
            let theirs = layer(&to).unwrap();
            let engine_in_client =
                CLIENTS.contains(&from.as_str()) && ENGINES.contains(&to.as_str());
            let mut files = files.clone();
            if engine_in_client {
                debt_seen.extend(
                    files
                        .iter()
                        .filter(|f| CLI_NOT_YET_CLIENTS.contains(&f.as_str()))
                        .cloned(),
                );
                files.retain(|f| !CLI_NOT_YET_CLIENTS.contains(&f.as_str()));
            }
            if (theirs > own || engine_in_client) && !files.is_empty() {
                files.sort();
                files.dedup();
                wrong.push(format!("{from} → {to} (in {})", files.join(", ")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n  {}",
        wrong.join("\n  ")
    );
    let paid: Vec<_> = CLI_NOT_YET_CLIENTS
        .iter()
        .filter(|f| !debt_seen.contains(**f))
        .collect();
    assert!(
        paid.is_empty(),
        "these no longer import an engine: take them off CLI_NOT_YET_CLIENTS: {paid:?}"
    );
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            cycles.push(cycle.join(" → "));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_import_reader_sees_grouped_and_nested_paths() {
    let found = imports(
        "use crate::{model::task, api};\nlet x = crate::runner::store::Store::open(p); // crate::ui\n",
    );
    assert_eq!(
        found,
        ["api", "model", "runner"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}
