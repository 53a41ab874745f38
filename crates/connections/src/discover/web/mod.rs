//! The web tier: the cell's web server definitions (`server.xml` of a web server node:
//! `webserverInstallRoot`, `configurationFilename`, `pluginInstallRoot`, the plug-in's
//! `RemoteConfigFilename`) and, on this host, the files IBM HTTP Server and the WebSphere
//! plug-in need: `httpd.conf` and what it includes, the key databases it names (`KeyFile`)
//! with their stash files, `plugin-cfg.xml` with the plug-in's key database and log
//! directory, and the Installation Manager state that installed them.
//!
//! Where the cell's install root does not exist on this host but an Installation Manager
//! here records IBM HTTP Server elsewhere, that location is used (the cell's definition is
//! often stale after a reinstall); an IHS that only an Installation Manager knows is
//! reported too. A file the configuration names but that cannot be read is a warning and
//! stays in the component's paths, so the backup's preflight refuses naming it.

mod files;
pub mod httpd;
pub mod plugin_cfg;
mod versions;

use std::path::{Path, PathBuf};

use websphere::{Sysroot, WebServerInfo};

use super::iim::IimFound;
use super::Warnings;
use crate::deployment::{Warning, WebDefinition as CellDefinition, WebServer};

pub use files::{ConfigFiles, PluginFiles};
pub use versions::{installed_version, parse_product_version};

/// IBM HTTP Server's documented default install root.
pub const DEFAULT_IHS_ROOT: &str = "/opt/IBM/HTTPServer";

/// A web server definition read from the cell.
#[derive(Debug, Clone)]
pub(crate) struct WebDefinition {
    /// Server name (`webserver1`).
    pub name: String,
    /// Its node.
    pub node: String,
    /// The node's host.
    pub host: Option<String>,
    /// The `server.xml` it was read from.
    pub file: PathBuf,
    /// What it says.
    pub info: WebServerInfo,
}

/// One package an Installation Manager of this host records.
#[derive(Debug, Clone)]
struct IimRecord {
    data_dir: String,
    location_id: String,
    location: String,
    package: String,
    version: String,
}

impl IimRecord {
    fn is_ihs(&self) -> bool {
        self.package.starts_with("com.ibm.websphere.IHS")
    }

    fn is_plugin(&self) -> bool {
        self.package.starts_with("com.ibm.websphere.PLG")
    }
}

fn iim_records(iims: &[&IimFound]) -> Vec<IimRecord> {
    let mut out = Vec::new();
    for f in iims {
        let Some(installed) = &f.installed else {
            continue;
        };
        for l in &installed.locations {
            for p in &l.packages {
                out.push(IimRecord {
                    data_dir: f.data_dir.clone(),
                    location_id: l.id.clone(),
                    location: l.path.trim_end_matches('/').to_string(),
                    package: p.id.clone(),
                    version: p.version.clone(),
                });
            }
        }
    }
    out
}

/// The web servers of the cell as this host sees them. `connections_iim` is the agent data
/// directory of the Installation Manager that installed Connections (backed up as
/// `installation_manager`, so not again with the web tier).
pub(crate) fn discover_web(
    sys: &Sysroot,
    definitions: &[WebDefinition],
    iims: &[&IimFound],
    connections_iim: Option<&str>,
    w: &mut Warnings,
) -> Vec<WebServer> {
    let records = iim_records(iims);
    let mut out: Vec<WebServer> = definitions
        .iter()
        .map(|d| from_definition(sys, d, &records, w))
        .collect();
    for r in records.iter().filter(|r| r.is_ihs()) {
        let known = out.iter().any(|s| s.install_root == r.location);
        if !known && sys.is_dir(Path::new(&r.location)) {
            out.push(from_iim(r));
        }
    }
    for s in out.iter_mut().filter(|s| s.on_this_host) {
        let plugin_hint = definitions
            .iter()
            .find(|d| d.name == s.name && d.node == s.node)
            .map(|d| d.info.clone());
        files::fill(sys, s, plugin_hint.as_ref(), &records, connections_iim, w);
    }
    out
}

/// The web tier of a web server's own host, which has no WebSphere profile to read the cell
/// from: `cell` are the web servers as another host of the cell discovered them (a backup
/// set's document carries them); their files are found here, with this host's
/// Installation Managers.
pub fn discover_web_host(sys: &Sysroot, cell: &[WebServer]) -> (Vec<WebServer>, Vec<Warning>) {
    let mut w = Warnings::default();
    let mut problems = Vec::new();
    let found = super::iim::find_all(sys, &mut problems);
    for p in &problems {
        w.push_err(&p.error, p.consequence.clone());
    }
    let iims: Vec<&IimFound> = found.iter().collect();
    let definitions: Vec<WebDefinition> = cell
        .iter()
        .filter_map(|s| {
            let d = s.definition.as_ref()?;
            Some(WebDefinition {
                name: s.name.clone(),
                node: s.node.clone(),
                host: s.host.clone(),
                file: PathBuf::from(&d.file),
                info: d.info.clone(),
            })
        })
        .collect();
    let servers = discover_web(sys, &definitions, &iims, None, &mut w);
    (servers, w.0)
}

/// A web server from its cell definition; relocated to where an Installation Manager of
/// this host records IBM HTTP Server when the defined root does not exist here.
fn from_definition(
    sys: &Sysroot,
    d: &WebDefinition,
    records: &[IimRecord],
    w: &mut Warnings,
) -> WebServer {
    let defined = d
        .info
        .install_root
        .as_deref()
        .map(|r| r.trim_end_matches('/').to_string())
        .unwrap_or_else(|| DEFAULT_IHS_ROOT.to_string());
    let mut root = defined.clone();
    let mut found_by = format!("cell definition {}", d.file.display());
    if !sys.is_dir(Path::new(&defined)) {
        if let Some(r) = records
            .iter()
            .find(|r| r.is_ihs() && sys.is_dir(Path::new(&r.location)))
        {
            w.push_at(
                &d.file,
                None,
                format!(
                    "web server {} is defined with IBM HTTP Server at {defined}, which is not \
                     on this host; the Installation Manager at {} records it at {}, which is \
                     used",
                    d.name, r.data_dir, r.location
                ),
            );
            root.clone_from(&r.location);
            found_by = format!("Installation Manager {}", r.data_dir);
        }
    }
    let config_file = d
        .info
        .configuration_file
        .as_deref()
        .map(|c| resolve_web_path(c, &defined, &root))
        .unwrap_or_else(|| format!("{root}/conf/httpd.conf"));
    WebServer {
        name: d.name.clone(),
        node: d.node.clone(),
        host: d.host.clone(),
        definition: Some(CellDefinition {
            file: d.file.display().to_string(),
            info: d.info.clone(),
        }),
        on_this_host: sys.is_dir(Path::new(&root)),
        ..unfilled(found_by, root, config_file)
    }
}

/// An IBM HTTP Server that only an Installation Manager of this host knows.
fn from_iim(r: &IimRecord) -> WebServer {
    WebServer {
        name: r.location_id.clone(),
        on_this_host: true,
        ..unfilled(
            format!("Installation Manager {}", r.data_dir),
            r.location.clone(),
            format!("{}/conf/httpd.conf", r.location),
        )
    }
}

/// A web server found at `install_root` whose files are not looked for yet.
fn unfilled(found_by: String, install_root: String, config_file: String) -> WebServer {
    WebServer {
        name: String::new(),
        node: String::new(),
        host: None,
        found_by,
        definition: None,
        on_this_host: false,
        install_root,
        config_file,
        version: None,
        plugin_install_root: None,
        plugin_config_file: None,
        plugin_version: None,
        server_paths: Vec::new(),
        plugin_paths: Vec::new(),
    }
}

/// A path of the definition: `${WEB_INSTALL_ROOT}` is the install root, and a path under
/// the defined root moves with a relocated install.
fn resolve_web_path(path: &str, defined_root: &str, root: &str) -> String {
    let p = path.replace("${WEB_INSTALL_ROOT}", root);
    match Path::new(&p).strip_prefix(defined_root) {
        Ok(rest) if defined_root != root => Path::new(root).join(rest).display().to_string(),
        _ => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_paths_follow_the_install_root() {
        assert_eq!(
            resolve_web_path(
                "${WEB_INSTALL_ROOT}/conf/httpd.conf",
                "/opt/IBM/HTTPServer",
                "/srv/ihs"
            ),
            "/srv/ihs/conf/httpd.conf"
        );
        assert_eq!(
            resolve_web_path(
                "/opt/IBM/HTTPServer/conf/httpd.conf",
                "/opt/IBM/HTTPServer",
                "/srv/ihs"
            ),
            "/srv/ihs/conf/httpd.conf"
        );
        assert_eq!(
            resolve_web_path(
                "/etc/httpd.conf",
                "/opt/IBM/HTTPServer",
                "/opt/IBM/HTTPServer"
            ),
            "/etc/httpd.conf"
        );
    }
}
