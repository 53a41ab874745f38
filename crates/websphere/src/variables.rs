//! `variables.xml` (WebSphere variables) with scope resolution and `${VAR}` expansion.
//!
//! A variable is looked up in the most specific scope first: server → node → cluster →
//! cell, then in built-in values the caller supplies (`WAS_INSTALL_ROOT`,
//! `USER_INSTALL_ROOT`, ...), which the files override. Expansion is recursive and
//! cycle-safe. An undefined variable, or one that expands to nothing, is an error naming the
//! variable and where it was defined; nothing is silently replaced by an empty string.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config_tree::ConfigScope;
use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{expect_root, parse_document};

/// Longest expansion result accepted: guards against definitions that double at each level.
const MAX_EXPANSION_LEN: usize = 1 << 20;

/// One `entries` element of a `variables.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableEntry {
    /// `symbolicName`.
    pub name: String,
    /// `value` as written (may hold `${OTHER}` references).
    pub value: String,
    /// `description`, if any.
    pub description: Option<String>,
    /// Line of the entry.
    pub line: u64,
}

/// Parses a `variables.xml` (root `variables:VariableMap`). An entry without
/// `symbolicName` is an error naming its line; a missing `value` reads as empty (and is
/// reported when expanded).
pub fn parse_variables(input: &[u8], file: &Path) -> Result<Vec<VariableEntry>, ReadError> {
    let root = parse_document(input, file)?;
    expect_root(&root, "VariableMap", file)?;
    let mut out = Vec::new();
    for e in root.children_named("entries") {
        let name = e.attr_string("symbolicName").ok_or_else(|| {
            ReadError::parse(file, Some(e.line), "variable entry without symbolicName")
        })?;
        out.push(VariableEntry {
            name,
            value: e.attr("value").unwrap_or_default().to_string(),
            description: e.attr_string("description"),
            line: e.line,
        });
    }
    Ok(out)
}

/// Reads a `variables.xml` at a product path through the sysroot.
pub fn read_variables(sys: &Sysroot, file: &Path) -> Result<Vec<VariableEntry>, ReadError> {
    let bytes = sys.read(file)?;
    parse_variables(&bytes, file)
}

/// Why a variable could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariableError {
    /// `${NAME}` refers to a variable defined nowhere.
    #[error(
        "variable ${{{name}}} is not defined in any scope{}",
        context_note(referenced_by)
    )]
    Undefined {
        /// The missing variable.
        name: String,
        /// The variable whose value referred to it, if any.
        referenced_by: Option<String>,
    },
    /// The variable is defined but expands to an empty string.
    #[error("variable ${{{name}}} expands to nothing (defined in {defined_in})")]
    Empty {
        /// The variable.
        name: String,
        /// Where it is defined (`file:line` or `built-in`).
        defined_in: String,
    },
    /// Variables refer to each other in a cycle.
    #[error("variables refer to each other in a cycle: {}", chain.join(" -> "))]
    Cycle {
        /// The names along the cycle, the first repeated at the end.
        chain: Vec<String>,
    },
    /// A `${` without its closing `}`.
    #[error("unterminated ${{...}} reference in {context}")]
    Unterminated {
        /// The variable whose value holds it, or `text`.
        context: String,
    },
    /// The expansion grew beyond 1 MiB.
    #[error("expansion of {context} is larger than 1 MiB")]
    TooLarge {
        /// The variable or `text`.
        context: String,
    },
}

fn context_note(by: &Option<String>) -> String {
    match by {
        Some(v) => format!(" (referenced by ${{{v}}})"),
        None => String::new(),
    }
}

/// Where a variable's effective definition comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableDefinition {
    /// Variable name.
    pub name: String,
    /// Raw value (unexpanded).
    pub value: String,
    /// Scope of the defining file; `None` for a built-in.
    pub scope: Option<ConfigScope>,
    /// Defining file (product path); `None` for a built-in.
    pub file: Option<PathBuf>,
    /// Line in that file.
    pub line: Option<u64>,
}

impl VariableDefinition {
    fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(f), Some(l)) => format!("{}:{l}", f.display()),
            (Some(f), None) => f.display().to_string(),
            _ => "built-in values".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    scope: ConfigScope,
    file: PathBuf,
    entries: Vec<VariableEntry>,
}

fn scope_rank(scope: &ConfigScope) -> u8 {
    match scope {
        ConfigScope::Server { .. } => 0,
        ConfigScope::Node { .. } => 1,
        ConfigScope::Cluster { .. } => 2,
        ConfigScope::Cell { .. } => 3,
    }
}

/// The variables visible from one server (or node, or cell): scoped layers plus built-ins.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// Most specific first.
    layers: Vec<Layer>,
    builtins: BTreeMap<String, String>,
}

impl Variables {
    /// No variables at all.
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Adds the entries of one scope's `variables.xml`. Layers are ordered by scope
    /// (server, node, cluster, cell) whatever the order of the calls; within one file the
    /// last entry of a name wins, as in WebSphere.
    pub fn add_scope(&mut self, scope: ConfigScope, file: PathBuf, entries: Vec<VariableEntry>) {
        let rank = scope_rank(&scope);
        let at = self
            .layers
            .iter()
            .position(|l| scope_rank(&l.scope) > rank)
            .unwrap_or(self.layers.len());
        self.layers.insert(
            at,
            Layer {
                scope,
                file,
                entries,
            },
        );
    }

    /// Supplies a built-in value (`WAS_INSTALL_ROOT`...), used when no file defines it.
    pub fn set_builtin(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.builtins.insert(name.into(), value.into());
    }

    /// The effective (most specific) definition of a variable, unexpanded.
    pub fn lookup(&self, name: &str) -> Option<VariableDefinition> {
        for layer in &self.layers {
            if let Some(e) = layer.entries.iter().rev().find(|e| e.name == name) {
                return Some(VariableDefinition {
                    name: name.to_string(),
                    value: e.value.clone(),
                    scope: Some(layer.scope.clone()),
                    file: Some(layer.file.clone()),
                    line: Some(e.line),
                });
            }
        }
        self.builtins.get(name).map(|v| VariableDefinition {
            name: name.to_string(),
            value: v.clone(),
            scope: None,
            file: None,
            line: None,
        })
    }

    /// Every visible variable name, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .layers
            .iter()
            .flat_map(|l| l.entries.iter().map(|e| e.name.clone()))
            .chain(self.builtins.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The fully expanded value of a variable. Undefined, empty, cyclic: an error.
    pub fn resolve(&self, name: &str) -> Result<String, VariableError> {
        let mut memo = HashMap::new();
        self.resolve_inner(name, None, &mut Vec::new(), &mut memo)
    }

    /// Expands every `${NAME}` in `text`. Any reference that cannot be resolved is an
    /// error; text without references is returned unchanged (even if empty).
    pub fn expand(&self, text: &str) -> Result<String, VariableError> {
        let mut memo = HashMap::new();
        self.expand_inner(text, None, &mut Vec::new(), &mut memo)
    }

    /// Like [`Variables::expand`] but never fails: unresolvable references are left in the
    /// text as written and every problem is returned alongside.
    pub fn expand_lenient(&self, text: &str) -> (String, Vec<VariableError>) {
        let mut problems = Vec::new();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                problems.push(VariableError::Unterminated {
                    context: "text".to_string(),
                });
                out.push_str(&rest[start..]);
                return (out, problems);
            };
            let name = &after[..end];
            match self.resolve(name) {
                Ok(v) => out.push_str(&v),
                Err(e) => {
                    problems.push(e);
                    out.push_str(&rest[start..start + 3 + end]);
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        (out, problems)
    }

    fn resolve_inner(
        &self,
        name: &str,
        referenced_by: Option<&str>,
        stack: &mut Vec<String>,
        memo: &mut HashMap<String, String>,
    ) -> Result<String, VariableError> {
        if let Some(v) = memo.get(name) {
            return Ok(v.clone());
        }
        if let Some(pos) = stack.iter().position(|s| s == name) {
            let mut chain = stack[pos..].to_vec();
            chain.push(name.to_string());
            return Err(VariableError::Cycle { chain });
        }
        let def = self.lookup(name).ok_or_else(|| VariableError::Undefined {
            name: name.to_string(),
            referenced_by: referenced_by.map(str::to_string),
        })?;
        stack.push(name.to_string());
        let value = self.expand_inner(&def.value, Some(name), stack, memo);
        stack.pop();
        let value = value?;
        if value.trim().is_empty() {
            return Err(VariableError::Empty {
                name: name.to_string(),
                defined_in: def.location(),
            });
        }
        memo.insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn expand_inner(
        &self,
        text: &str,
        owner: Option<&str>,
        stack: &mut Vec<String>,
        memo: &mut HashMap<String, String>,
    ) -> Result<String, VariableError> {
        let context = || owner.map_or_else(|| "text".to_string(), |o| format!("${{{o}}}"));
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| VariableError::Unterminated { context: context() })?;
            let value = self.resolve_inner(after[..end].trim(), owner, stack, memo)?;
            out.push_str(&value);
            if out.len() > MAX_EXPANSION_LEN {
                return Err(VariableError::TooLarge { context: context() });
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Reads the `variables.xml` of every scope visible from a server (any of `cluster`,
/// `node`, `server` may be `None` to stop at a wider scope) under a profile root. Missing
/// files are skipped; malformed ones are errors.
pub fn read_scoped_variables(
    sys: &Sysroot,
    profile_root: &Path,
    cell: &str,
    cluster: Option<&str>,
    node: Option<&str>,
    server: Option<&str>,
) -> Result<Variables, ReadError> {
    let mut scopes = vec![ConfigScope::Cell {
        cell: cell.to_string(),
    }];
    if let Some(cluster) = cluster {
        scopes.push(ConfigScope::Cluster {
            cell: cell.to_string(),
            cluster: cluster.to_string(),
        });
    }
    if let Some(node) = node {
        scopes.push(ConfigScope::Node {
            cell: cell.to_string(),
            node: node.to_string(),
        });
        if let Some(server) = server {
            scopes.push(ConfigScope::Server {
                cell: cell.to_string(),
                node: node.to_string(),
                server: server.to_string(),
            });
        }
    }
    let mut vars = Variables::new();
    for scope in scopes {
        let file = scope.file(profile_root, "variables.xml");
        match read_variables(sys, &file) {
            Ok(entries) => vars.add_scope(scope, file, entries),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(vars)
}
