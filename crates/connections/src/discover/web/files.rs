//! The files a web server on this host needs, found through its configuration: the
//! `httpd.conf` walk (includes, key databases, the plug-in configuration it loads) and the
//! plug-in's `plugin-cfg.xml` (key database, stash file, log).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use websphere::error::ReadError;
use websphere::{Sysroot, WebServerInfo};

use super::httpd::{file_directives, key_database_companions, wildcard_match, DirectiveKind};
use super::plugin_cfg::parse_plugin_cfg;
use super::{versions, IimRecord};
use crate::deployment::WebServer;
use crate::discover::Warnings;

/// How deep `Include`s are followed (Apache itself stops at a loop; this stops sooner).
const MAX_INCLUDE_DEPTH: usize = 8;

/// What the `httpd.conf` walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFiles {
    /// Every configuration file read or named (`httpd.conf` first, then the includes).
    pub config_files: Vec<String>,
    /// Key databases (`KeyFile`) and the companions of each that exist.
    pub key_files: Vec<String>,
    /// `WebSpherePluginConfig` values.
    pub plugin_configs: Vec<String>,
}

/// What the plug-in needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginFiles {
    /// `plugin-cfg.xml`.
    pub config_file: String,
    /// Its key databases and stash files.
    pub key_files: Vec<String>,
    /// The directory of its log.
    pub log_dir: Option<String>,
}

/// Fills the paths and versions of `s`, whose IHS install root is on this host.
pub(super) fn fill(
    sys: &Sysroot,
    s: &mut WebServer,
    definition: Option<&WebServerInfo>,
    records: &[IimRecord],
    connections_iim: Option<&str>,
    w: &mut Warnings,
) {
    let conf = walk_httpd_conf(sys, &s.config_file, &s.install_root, w);
    let conf_dir = parent(&s.config_file);
    let mut server_paths = vec![conf_dir];
    for p in conf.config_files.iter().chain(&conf.key_files) {
        add_needed(sys, &mut server_paths, p);
    }
    let iim_dir = |pred: &dyn Fn(&IimRecord) -> bool| {
        records
            .iter()
            .find(|r| pred(r))
            .map(|r| r.data_dir.clone())
            .filter(|d| Some(d.as_str()) != connections_iim)
    };
    let root = s.install_root.clone();
    if let Some(d) = iim_dir(&|r| r.is_ihs() && r.location == root) {
        add_path(&mut server_paths, &d);
    }
    s.version = versions::product_version(sys, &s.install_root, "IHS", w).or_else(|| {
        records
            .iter()
            .find(|r| r.is_ihs() && r.location == s.install_root)
            .map(|r| r.version.clone())
    });
    s.server_paths = server_paths;
    fill_plugin(sys, s, &conf, definition, records, connections_iim, w);
}

fn fill_plugin(
    sys: &Sysroot,
    s: &mut WebServer,
    conf: &ConfigFiles,
    definition: Option<&WebServerInfo>,
    records: &[IimRecord],
    connections_iim: Option<&str>,
    w: &mut Warnings,
) {
    let plg = records.iter().find(|r| r.is_plugin());
    let root = definition
        .and_then(|d| d.plugin_install_root.clone())
        .filter(|r| sys.is_dir(Path::new(r)))
        .or_else(|| plg.map(|r| r.location.clone()));
    let config = conf
        .plugin_configs
        .first()
        .cloned()
        .or_else(|| definition.and_then(|d| d.plugin_config_file.clone()))
        .or_else(|| {
            root.as_ref()
                .map(|r| format!("{r}/config/{}/plugin-cfg.xml", s.name))
        });
    let Some(config) = config else {
        return;
    };
    let plugin = plugin_files(sys, &config, definition, w);
    let mut paths = vec![parent(&plugin.config_file)];
    add_needed(sys, &mut paths, &plugin.config_file);
    for k in &plugin.key_files {
        add_needed(sys, &mut paths, k);
    }
    if let Some(l) = &plugin.log_dir {
        add_path(&mut paths, l);
    }
    if let Some(r) = plg.filter(|r| Some(r.data_dir.as_str()) != connections_iim) {
        if !s.server_paths.contains(&r.data_dir) {
            add_path(&mut paths, &r.data_dir);
        }
    }
    s.plugin_version = root.as_ref().and_then(|r| {
        versions::product_version(sys, r, "PLG", w).or_else(|| plg.map(|p| p.version.clone()))
    });
    s.plugin_install_root = root;
    s.plugin_config_file = Some(plugin.config_file);
    s.plugin_paths = paths;
}

/// `plugin-cfg.xml` and what it names. An unreadable file is a warning: its path is kept,
/// so the backup's preflight names it.
fn plugin_files(
    sys: &Sysroot,
    config: &str,
    definition: Option<&WebServerInfo>,
    w: &mut Warnings,
) -> PluginFiles {
    let mut out = PluginFiles {
        config_file: config.to_string(),
        ..PluginFiles::default()
    };
    let file = Path::new(config);
    let parsed = sys
        .read_to_string(file)
        .map_err(ReadError::from)
        .and_then(|text| parse_plugin_cfg(&text, file));
    let mut keys: Vec<String> = definition
        .and_then(|d| d.plugin_key_ring.clone())
        .into_iter()
        .collect();
    match parsed {
        Ok(c) => {
            keys.extend(c.key_rings);
            keys.extend(c.stash_files);
            out.log_dir = c
                .log_file
                .map(|l| parent(&l))
                .filter(|d| sys.is_dir(Path::new(d)));
        }
        Err(e) => w.push_err(
            &e,
            "the plug-in's key database and log named in it are unknown".into(),
        ),
    }
    for k in keys {
        add_key_database(sys, &mut out.key_files, &k);
    }
    out
}

/// A key database and the companions of it that exist (a stash file named explicitly is
/// kept even when missing, so the preflight names it).
fn add_key_database(sys: &Sysroot, list: &mut Vec<String>, key: &str) {
    if !list.iter().any(|k| k == key) {
        list.push(key.to_string());
    }
    if key.ends_with(".kdb") || key.ends_with(".KDB") {
        for c in key_database_companions(key) {
            if sys.exists(Path::new(&c)) && !list.contains(&c) {
                list.push(c);
            }
        }
    }
}

/// Reads `httpd.conf` and every file it includes (to [`MAX_INCLUDE_DEPTH`]).
pub(super) fn walk_httpd_conf(
    sys: &Sysroot,
    config_file: &str,
    install_root: &str,
    w: &mut Warnings,
) -> ConfigFiles {
    let mut out = ConfigFiles::default();
    let mut server_root = install_root.to_string();
    let mut seen = BTreeSet::new();
    let mut queue = vec![(config_file.to_string(), 0usize)];
    while let Some((file, depth)) = queue.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        out.config_files.push(file.clone());
        let text = match sys.read_to_string(Path::new(&file)) {
            Ok(t) => t,
            Err(e) => {
                w.push_err(
                    &ReadError::from(e),
                    "the files it includes and the key databases it names are unknown".into(),
                );
                continue;
            }
        };
        let mut included = Vec::new();
        for d in file_directives(&text) {
            let value = absolute(&server_root, &d.value);
            match d.kind {
                DirectiveKind::ServerRoot => server_root = d.value.clone(),
                DirectiveKind::KeyFile => add_key_database(sys, &mut out.key_files, &value),
                DirectiveKind::PluginConfig => out.plugin_configs.push(value),
                DirectiveKind::Include | DirectiveKind::IncludeOptional => {
                    let optional = d.kind == DirectiveKind::IncludeOptional;
                    for f in expand_include(sys, &value, optional, &file, d.line, w) {
                        included.push(f);
                    }
                }
                DirectiveKind::Log => {}
            }
        }
        if depth + 1 < MAX_INCLUDE_DEPTH {
            // reversed so that the stack pops them in file order
            queue.extend(included.into_iter().rev().map(|f| (f, depth + 1)));
        }
    }
    out
}

/// The files an `Include` names: one file, or the files of a directory matching a
/// wildcard in the last component, sorted by name (as Apache reads them).
fn expand_include(
    sys: &Sysroot,
    value: &str,
    optional: bool,
    from: &str,
    line: u64,
    w: &mut Warnings,
) -> Vec<String> {
    let path = Path::new(value);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        if sys.is_dir(path) {
            return list_dir(sys, path, "*");
        }
        return vec![value.to_string()];
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let found = list_dir(sys, dir, &name);
    if found.is_empty() && !optional {
        w.push_at(
            Path::new(from),
            Some(line),
            format!("Include {value} matches no file"),
        );
    }
    found
}

fn list_dir(sys: &Sysroot, dir: &Path, pattern: &str) -> Vec<String> {
    let Ok(entries) = sys.read_dir_entries(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .iter()
        .filter(|e| !e.file_type.is_dir())
        .map(|e| e.name.to_string_lossy().into_owned())
        .filter(|n| wildcard_match(pattern, n))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| dir.join(n).display().to_string())
        .collect()
}

/// `value` as an absolute path (a relative one is relative to the `ServerRoot`).
fn absolute(server_root: &str, value: &str) -> String {
    if value.starts_with('/') {
        value.to_string()
    } else {
        PathBuf::from(server_root).join(value).display().to_string()
    }
}

fn parent(file: &str) -> String {
    Path::new(file)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| file.to_string())
}

/// Adds a file the configuration needs: unless it lies within a path already listed, and
/// always when it is not there, so that the backup's preflight names it.
fn add_needed(sys: &Sysroot, list: &mut Vec<String>, p: &str) {
    if !sys.exists(Path::new(p)) && !list.iter().any(|x| x == p) {
        list.push(p.to_string());
        return;
    }
    add_path(list, p);
}

/// Adds `p` unless it lies within a path already listed.
fn add_path(list: &mut Vec<String>, p: &str) {
    if !list.iter().any(|x| Path::new(p).starts_with(x)) {
        list.push(p.to_string());
    }
}
