//! No two source files of an acyclic crate import each other, directly or through others.
//!
//! The check reads every `.rs` file under `crates/<crate>/src`, finds each path that names
//! another module of the same crate (`crate::…`, `super::…`, `self::…`, or a child module's
//! name, in `use` lines and in code, or a name a `use` line bound), resolves it to the file that
//! defines that module, and reports every strongly connected component of more than one
//! file with the references that close it. A `mod.rs` that re-exports a child while the
//! child uses its parent is a cycle too: the parent names what it needs from the child's
//! own file, or the shared item moves to a file of its own.
//!
//! Code under `#[cfg(test)]` (an inline `mod tests { … }` or a `use` line) is not counted: a
//! unit test may build its input through the module's own callers. A test module in a file
//! of its own is counted like any file. Comments, strings and character literals are
//! skipped; `#[path]` attributes and macros that build paths are not followed (none of the
//! crates uses them).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crates whose files must not import each other in a cycle.
const ACYCLIC: &[&str] = &["cnxbackup", "report", "runbook"];

#[test]
fn no_two_files_import_each_other_in_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut report = String::new();
    for krate in ACYCLIC {
        let src = root.join("crates").join(krate).join("src");
        let graph = Graph::of_crate(&src);
        for cycle in graph.cycles() {
            report.push_str(&graph.describe(krate, &cycle));
        }
    }
    assert!(
        report.is_empty(),
        "import cycles between files:\n{report}\nbreak each one: move what both sides need \
         into a file of its own, or let the lower file stop naming the higher one"
    );
}

#[test]
fn the_checker_finds_a_cycle_through_super_and_a_child_name_but_not_through_tests() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    fs::create_dir_all(src.join("a")).unwrap();
    fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    fs::write(
        src.join("a/mod.rs"),
        "// crate::b::x in a comment is not an import\nmod c;\npub use c::Thing;\n",
    )
    .unwrap();
    fs::write(
        src.join("a/c.rs"),
        "pub struct Thing;\nfn f() { let s = \"crate::b\"; super::helper(s) }\n\
         #[cfg(test)]\n#[allow(clippy::unwrap_used)]\nmod tests { use crate::b::*; }\n",
    )
    .unwrap();
    fs::write(src.join("b.rs"), "use crate::a::Thing;\n").unwrap();
    let graph = Graph::of_crate(src);
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let files: Vec<String> = cycles[0]
        .iter()
        .map(|f| graph.name(*f).to_string())
        .collect();
    assert_eq!(files, ["a/c.rs", "a/mod.rs"]);
    // b.rs uses a/mod.rs, but only a test module leads back to it: no cycle through b
    assert!(graph.edges[&graph.index("b.rs")].contains_key(&graph.index("a/mod.rs")));
}

/// The files of one crate and which file names which (with the first line that does).
struct Graph {
    /// Files by their path under `src/`.
    files: Vec<String>,
    /// Module path (`["ui", "table"]`) → file index.
    modules: BTreeMap<Vec<String>, usize>,
    /// file → file it names → (line number, line) of the first reference.
    edges: BTreeMap<usize, BTreeMap<usize, (usize, String)>>,
}

impl Graph {
    fn of_crate(src: &Path) -> Graph {
        let mut paths = Vec::new();
        collect_rs(src, &mut paths);
        paths.sort();
        let mut graph = Graph {
            files: Vec::new(),
            modules: BTreeMap::new(),
            edges: BTreeMap::new(),
        };
        let has_lib = src.join("lib.rs").exists();
        for p in &paths {
            let rel = p.strip_prefix(src).unwrap().to_string_lossy().into_owned();
            let Some(module) = module_of(&rel, has_lib) else {
                continue;
            };
            graph.modules.insert(module, graph.files.len());
            graph.files.push(rel);
        }
        for (index, rel) in graph.files.clone().iter().enumerate() {
            let code = fs::read_to_string(src.join(rel)).unwrap();
            let module = module_of(rel, has_lib).unwrap();
            let refs = references(&code, &module);
            // names that `use` lines bind to modules of this crate (`use crate::commands;`)
            let bound: BTreeMap<&str, Vec<String>> = refs
                .iter()
                .filter_map(|r| Some((r.binding.as_deref()?, graph.absolute(&r.here, &r.path)?)))
                .collect();
            for r in &refs {
                let absolute = graph.absolute(&r.here, &r.path).or_else(|| {
                    let (first, rest) = r.path.split_first()?;
                    let mut m = bound.get(first.as_str())?.clone();
                    m.extend(rest.iter().cloned());
                    Some(m)
                });
                let Some(target) = absolute.and_then(|m| graph.file_at(&m)) else {
                    continue;
                };
                if target != index {
                    let text = code
                        .lines()
                        .nth(r.line - 1)
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    graph
                        .edges
                        .entry(index)
                        .or_default()
                        .entry(target)
                        .or_insert((r.line, text));
                }
            }
        }
        graph
    }

    fn name(&self, file: usize) -> &str {
        &self.files[file]
    }

    fn index(&self, name: &str) -> usize {
        self.files.iter().position(|f| f == name).unwrap()
    }

    /// What `path`, written in `module`, names as an absolute module path of this crate
    /// (`crate::`, `self::`, `super::` or a child module's name first); `None` for other
    /// crates, std, and names that `use` lines brought in.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, rest) = path.split_first()?;
        let mut resolved: Vec<String> = match first.as_str() {
            "crate" | "$crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module.get(..module.len().checked_sub(1)?)?.to_vec(),
            child => {
                let mut m = module.to_vec();
                m.push(child.to_string());
                if !self.modules.contains_key(&m) {
                    return None;
                }
                m
            }
        };
        let mut rest = rest.iter().peekable();
        while rest.peek().is_some_and(|s| *s == "super") {
            resolved.pop()?;
            rest.next();
        }
        resolved.extend(rest.cloned());
        Some(resolved)
    }

    /// The file that defines what an absolute path names: its longest prefix that is a
    /// file's module.
    fn file_at(&self, absolute: &[String]) -> Option<usize> {
        (0..=absolute.len())
            .rev()
            .find_map(|n| self.modules.get(&absolute[..n]).copied())
    }

    /// Strongly connected components of more than one file (Tarjan), each sorted by name.
    fn cycles(&self) -> Vec<Vec<usize>> {
        let mut t = Tarjan {
            graph: self,
            next: 0,
            index: vec![None; self.files.len()],
            low: vec![0; self.files.len()],
            stack: Vec::new(),
            on_stack: vec![false; self.files.len()],
            found: Vec::new(),
        };
        for v in 0..self.files.len() {
            if t.index[v].is_none() {
                t.visit(v);
            }
        }
        let mut found = t.found;
        for c in &mut found {
            c.sort_by(|a, b| self.files[*a].cmp(&self.files[*b]));
        }
        found.sort_by(|a, b| self.files[a[0]].cmp(&self.files[b[0]]));
        found
    }

    /// The files of a cycle and, for each, the references that stay inside it.
    fn describe(&self, krate: &str, cycle: &[usize]) -> String {
        let members: BTreeSet<usize> = cycle.iter().copied().collect();
        let mut s = format!("crates/{krate}/src: {} files in one cycle\n", cycle.len());
        for from in cycle {
            for (to, (line, text)) in self.edges.get(from).into_iter().flatten() {
                if members.contains(to) {
                    s.push_str(&format!(
                        "  {} -> {}   (line {line}: {text})\n",
                        self.files[*from], self.files[*to]
                    ));
                }
            }
        }
        s
    }
}

struct Tarjan<'a> {
    graph: &'a Graph,
    next: usize,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    stack: Vec<usize>,
    on_stack: Vec<bool>,
    found: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.next);
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        let targets: Vec<usize> = self
            .graph
            .edges
            .get(&v)
            .map(|e| e.keys().copied().collect())
            .unwrap_or_default();
        for w in targets {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                self.found.push(component);
            }
        }
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `lib.rs` → `[]`, `a.rs` and `a/mod.rs` → `["a"]`, `a/b.rs` → `["a", "b"]`. A `main.rs`
/// beside a `lib.rs` is another crate (the binary), and so is anything under `bin/`.
fn module_of(rel: &str, has_lib: bool) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop()?;
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    match last.as_str() {
        "lib.rs" if parts.is_empty() => {}
        "main.rs" if parts.is_empty() => {
            if has_lib {
                return None;
            }
        }
        "mod.rs" => {}
        other => parts.push(other.strip_suffix(".rs")?.to_string()),
    }
    Some(parts)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Other(char),
}

/// A path written in a file.
struct Ref {
    line: usize,
    /// The module it is written in (inline `mod x { … }` blocks included, so that `super`
    /// inside `mod tests` names the file's own module).
    here: Vec<String>,
    path: Vec<String>,
    /// For a `use` path: the name it binds (`as` name or last segment; none for `*`).
    binding: Option<String>,
}

/// Every path written in `code`, the file of `module`: each path of a `use` tree, and each
/// `a::b::c` in code.
fn references(code: &str, module: &[String]) -> Vec<Ref> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // inline modules: (name, brace depth inside it)
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let mut here = module.to_vec();
        here.extend(inline.iter().map(|(n, _)| n.clone()));
        let line = toks[i].0;
        if let Some(after) = cfg_test_item(&toks, i) {
            i = after;
            continue;
        }
        match &toks[i].1 {
            Tok::Open => {
                depth += 1;
                i += 1;
            }
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((_, Tok::Ident(name))), Some((_, Tok::Open))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    depth += 1;
                    inline.push((name.clone(), depth));
                    i += 3;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(w) if w == "use" => {
                let mut paths = Vec::new();
                i = use_tree(&toks, i + 1, Vec::new(), &mut paths);
                if matches!(toks.get(i), Some((_, Tok::Semi))) {
                    i += 1;
                }
                out.extend(paths.into_iter().map(|(path, binding)| Ref {
                    line,
                    here: here.clone(),
                    path,
                    binding,
                }));
            }
            Tok::Ident(first)
                if matches!(toks.get(i + 1), Some((_, Tok::PathSep)))
                    && !(i > 0 && toks[i - 1].1 == Tok::PathSep) =>
            {
                let mut path = vec![first.clone()];
                let mut j = i + 1;
                while let (Some((_, Tok::PathSep)), Some((_, Tok::Ident(next)))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    path.push(next.clone());
                    j += 2;
                }
                out.push(Ref {
                    line,
                    here,
                    path,
                    binding: None,
                });
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// When a `#[cfg(test)]` attribute starts at `i` and the item after it is an inline module
/// or a `use` line: the index after that item.
fn cfg_test_item(toks: &[(usize, Tok)], i: usize) -> Option<usize> {
    let attribute = [
        Tok::Other('#'),
        Tok::Other('['),
        Tok::Ident("cfg".into()),
        Tok::Other('('),
        Tok::Ident("test".into()),
        Tok::Other(')'),
        Tok::Other(']'),
    ];
    let is_attribute = toks
        .get(i..i + attribute.len())
        .is_some_and(|t| t.iter().map(|(_, t)| t).eq(attribute.iter()));
    if !is_attribute {
        return None;
    }
    let mut j = i + attribute.len();
    // more attributes (`#[allow(…)]`) and `pub` may stand between it and the item
    loop {
        match toks.get(j).map(|(_, t)| t) {
            Some(Tok::Other('#')) => {
                while toks.get(j).is_some_and(|(_, t)| *t != Tok::Other(']')) {
                    j += 1;
                }
                j += 1;
            }
            Some(Tok::Ident(w)) if w == "pub" => j += 1,
            _ => break,
        }
    }
    let skip_to = |from: usize, end: &dyn Fn(&Tok, usize) -> bool| {
        let mut depth = 0usize;
        let mut k = from;
        while let Some((_, t)) = toks.get(k) {
            match t {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                _ => {}
            }
            k += 1;
            if end(t, depth) {
                return k;
            }
        }
        k
    };
    match toks.get(j).map(|(_, t)| t) {
        Some(Tok::Ident(w)) if w == "mod" && matches!(toks.get(j + 2), Some((_, Tok::Open))) => {
            Some(skip_to(j + 2, &|t, depth| *t == Tok::Close && depth == 0))
        }
        Some(Tok::Ident(w)) if w == "use" => {
            Some(skip_to(j, &|t, depth| *t == Tok::Semi && depth == 0))
        }
        _ => None,
    }
}

/// Parses one use tree from `i` (a path, `as NAME`, `*`, or a `{…}` group of trees after
/// `prefix`), pushing each full path with the name it binds; returns the index of the token
/// after it (`;`, `,` or `}`).
fn use_tree(
    toks: &[(usize, Tok)],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i).map(|t| &t.1) {
            Some(Tok::Ident(w)) if w == "as" => {
                let name = match toks.get(i + 1).map(|t| &t.1) {
                    Some(Tok::Ident(n)) if n != "_" => Some(n.clone()),
                    _ => None,
                };
                out.push((path, name));
                return i + 2;
            }
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                i += 1;
            }
            Some(Tok::PathSep) => i += 1,
            Some(Tok::Other(_)) => {
                // `*`: binds every public name of the module; none is followed
                out.push((path, None));
                return i + 1;
            }
            Some(Tok::Open) => {
                i += 1;
                loop {
                    i = use_tree(toks, i, path.clone(), out);
                    match toks.get(i).map(|t| &t.1) {
                        Some(Tok::Comma) => i += 1,
                        Some(Tok::Close) => return i + 1,
                        _ => return i,
                    }
                    if matches!(toks.get(i).map(|t| &t.1), Some(Tok::Close)) {
                        return i + 1; // a trailing comma
                    }
                }
            }
            _ => {
                let binding = match path.last().map(String::as_str) {
                    Some("self") => path.get(path.len().wrapping_sub(2)).cloned(),
                    other => other.map(str::to_string),
                };
                if path.last().is_some_and(|s| s == "self") {
                    path.pop();
                }
                if !path.is_empty() {
                    out.push((path, binding));
                }
                return i;
            }
        }
    }
}

/// Identifiers, `::`, braces, `,` and `;` with their line numbers; comments, string and
/// character literals and lifetimes are dropped.
fn tokens(code: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut nest = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    nest += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    nest -= 1;
                    i += 2;
                    if nest == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == 'r'
            && (next == Some('"') || (next == Some('#') && raw_string_start(&c, i + 1)))
        {
            // raw string r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            j += 1; // the opening quote
            loop {
                match c.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some('\n') => {
                        line += 1;
                        j += 1;
                    }
                    Some(_) => j += 1,
                }
            }
            i = j;
        } else if ch == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                if c.get(i) == Some(&'\n') {
                    line += 1;
                }
                i += 1;
            }
            i += 1;
        } else if ch == '\'' {
            // a char literal ('x', '\n', '\u{1F600}') or a lifetime ('a)
            if next == Some('\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic()
            || ch == '_'
            || (ch == '$' && next.is_some_and(|n| n.is_alphabetic()))
        {
            let start = i;
            i += 1;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // b"…" and br"…" are byte strings: let the quote start the literal
            if (word == "b" || word == "br")
                && c.get(i)
                    .is_some_and(|q| *q == '"' || *q == '\'' || *q == '#')
            {
                if word == "br" {
                    i -= 1; // re-read from the `r`
                }
                continue;
            }
            out.push((line, Tok::Ident(word.trim_start_matches("r#").to_string())));
        } else if ch == ':' && next == Some(':') {
            out.push((line, Tok::PathSep));
            i += 2;
        } else {
            out.push((
                line,
                match ch {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    ';' => Tok::Semi,
                    other => Tok::Other(other),
                },
            ));
            i += 1;
        }
    }
    out
}

/// After `r`, `#…#"` opens a raw string (rather than `r#ident`).
fn raw_string_start(c: &[char], mut i: usize) -> bool {
    while c.get(i) == Some(&'#') {
        i += 1;
    }
    c.get(i) == Some(&'"')
}
