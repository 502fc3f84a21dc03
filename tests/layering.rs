//! The layering of `src/` (ARCHITECTURE.md), checked from the source text so that it stays
//! true: no module imports from a layer above its own, and no modules import each other,
//! directly or round a longer circle.
//!
//! Layers, lowest first: `model` (the vocabulary); `engine` (computes on it); `config` and
//! `render` (read files into the model, show the engine's results: side by side, neither
//! uses the other); `shell` (the I/O). A *unit* is a layer's module (`engine::plan`,
//! `shell::channels`, `config::read`); the modules inside a unit (`config::read::values`) are
//! its own business. Every `crate::…` and `super::…` path outside `#[cfg(test)]` code counts,
//! not only `use` lines. Tests may reach up (an engine test builds a config from text).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each layer and its rank: a unit may use units of its own layer (without a circle) and
/// of layers of a lower rank only.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("engine", 1),
    ("config", 2),
    ("render", 2),
    ("shell", 3),
];

/// One source file: its module path (`["config", "read", "values"]`) and its text outside
/// test code.
struct Source {
    module: Vec<String>,
    text: String,
}

fn sources(src: &Path) -> Vec<Source> {
    let mut found = Vec::new();
    let mut directories = vec![src.to_path_buf()];
    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                directories.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("under src");
            let mut module: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            if module.len() == 1 && (module[0] == "lib" || module[0] == "main") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            found.push(Source {
                module,
                text: outside_tests(&text),
            });
        }
    }
    found
}

/// The text before the first `#[cfg(test)]` that opens a module: test modules come last.
fn outside_tests(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines.peek().is_some_and(|next| {
                let next = next.trim_start();
                next.starts_with("mod ") && next.ends_with('{')
            })
        {
            break;
        }
        // Comments name modules freely.
        if !line.trim_start().starts_with("//") {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The paths a source names: `crate::a::b…` and `super::b…` (each name of a `{…}` group).
fn named_paths(source: &Source) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", parent_of(&source.module)),
    ] {
        let text = &source.text;
        let mut from = 0;
        while let Some(found) = text[from..].find(prefix) {
            let start = from + found;
            from = start + prefix.len();
            let before = text[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &text[from..];
            for tail in expand(rest) {
                let mut path = base.clone();
                path.extend(tail);
                paths.push(path);
            }
        }
    }
    paths
}

/// `super` of a module: its parent.
fn parent_of(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// The paths at the start of `rest` (after `crate::` or `super::`): `a::b::c`, or each
/// member of `a::{b, c::d}`.
fn expand(rest: &str) -> Vec<Vec<String>> {
    let mut head = Vec::new();
    let mut chars = rest;
    loop {
        let length = chars
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(chars.len());
        if length > 0 {
            head.push(chars[..length].to_owned());
        }
        chars = &chars[length..];
        if let Some(next) = chars.strip_prefix("::") {
            if let Some(group) = next.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                return group[..end]
                    .split(',')
                    .map(|member| {
                        let mut path = head.clone();
                        path.extend(
                            member
                                .split("::")
                                .map(|part| part.trim().trim_end_matches('*').to_owned())
                                .filter(|part| !part.is_empty() && part != "self"),
                        );
                        path
                    })
                    .collect();
            }
            chars = next;
        } else {
            return vec![head];
        }
    }
}

/// The unit a path names: its layer and the layer's module, when `a::b` is one (a file
/// `a/b.rs` or a folder `a/b/`), else the layer itself (an item of `a/mod.rs`).
fn unit_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<String> {
    let layer = path.first()?;
    if !LAYERS.iter().any(|(name, _)| name == layer) {
        return None;
    }
    match path.get(1) {
        Some(module) if modules.contains(&vec![layer.clone(), module.clone()]) => {
            Some(format!("{layer}::{module}"))
        }
        _ => Some(layer.clone()),
    }
}

fn rank(unit: &str) -> u8 {
    let layer = unit.split("::").next().unwrap_or(unit);
    LAYERS
        .iter()
        .find(|(name, _)| *name == layer)
        .map_or(u8::MAX, |(_, rank)| *rank)
}

fn layer(unit: &str) -> &str {
    unit.split("::").next().unwrap_or(unit)
}

/// Every unit's imports of other units, with the file and path that made each.
fn imports(sources: &[Source]) -> BTreeMap<String, BTreeMap<String, String>> {
    let modules: BTreeSet<Vec<String>> = sources
        .iter()
        .flat_map(|source| (1..=source.module.len()).map(|n| source.module[..n].to_vec()))
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in sources {
        let Some(from) = unit_of(&source.module, &modules) else {
            continue;
        };
        for path in named_paths(source) {
            let Some(to) = unit_of(&path, &modules) else {
                continue;
            };
            // A layer's own `mod.rs` declares and re-exports its modules: that is not a use.
            if to != from && !(from == layer(&to) && source.module.len() == 1) {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| {
                        format!("{}: {}", source.module.join("::"), path.join("::"))
                    });
            }
        }
    }
    edges
}

/// Every import that breaks the layering, and every circle, as messages.
fn violations(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in edges {
        for (to, witness) in targets {
            if layer(from) != layer(to) && rank(to) >= rank(from) {
                found.push(format!(
                    "{from} uses {to}, which is not below it ({witness})"
                ));
            }
        }
    }
    // Circles: a depth-first search from every unit, reporting each back edge.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in edges.keys() {
        let mut stack: Vec<&str> = Vec::new();
        find_circles(start, edges, &mut stack, &mut done, &mut found);
    }
    found
}

fn find_circles<'e>(
    unit: &'e str,
    edges: &'e BTreeMap<String, BTreeMap<String, String>>,
    stack: &mut Vec<&'e str>,
    done: &mut BTreeSet<&'e str>,
    found: &mut Vec<String>,
) {
    if done.contains(unit) {
        return;
    }
    if let Some(position) = stack.iter().position(|on| *on == unit) {
        let mut circle: Vec<&str> = stack[position..].to_vec();
        circle.push(unit);
        found.push(format!("import circle: {}", circle.join(" -> ")));
        return;
    }
    stack.push(unit);
    for next in edges.get(unit).into_iter().flat_map(BTreeMap::keys) {
        find_circles(next, edges, stack, done, found);
    }
    stack.pop();
    done.insert(unit);
}

#[test]
fn no_import_runs_up_a_layer_or_round_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = sources(&src);
    assert!(sources.len() > 30, "found {} sources", sources.len());
    let edges = imports(&sources);
    // The checker sees the imports it must: the shell uses the core, the engine the model.
    assert!(
        edges["shell::daemon"].contains_key("shell::deliver"),
        "{edges:#?}"
    );
    assert!(
        edges["engine::deadline"].contains_key("model"),
        "{edges:#?}"
    );
    let found = violations(&edges);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_reports_an_upward_import_and_a_circle() {
    let source = |module: &str, text: &str| Source {
        module: module.split("::").map(str::to_owned).collect(),
        text: outside_tests(text),
    };
    let sources = [
        source(
            "engine::plan",
            "use crate::model::Config;\nuse crate::config::{self, Loaded};\n",
        ),
        source("engine::status", "use super::plan::{Alert, recipients};\n"),
        source(
            "engine::deadline",
            "fn f() { crate::engine::status::x(); }\n#[cfg(test)]\nmod tests {\n    use crate::shell::cli;\n}\n",
        ),
        source("model", "pub struct Config;\n"),
        source("config", "// crate::shell is only named in a comment\n"),
        source("engine", ""),
        source("shell::cli", ""),
    ];
    let mut edges = imports(&sources);
    edges
        .entry("engine::plan".into())
        .or_default()
        .insert("engine::deadline".into(), "added".into());
    let found = violations(&edges);
    assert_eq!(
        found,
        [
            "engine::plan uses config, which is not below it (engine::plan: config)",
            "import circle: engine::deadline -> engine::status -> engine::plan -> engine::deadline",
        ],
        "{edges:#?}"
    );
}
