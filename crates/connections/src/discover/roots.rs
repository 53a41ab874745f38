//! The roots: `app_server_root`, `connections_root` and the data directories, from what
//! the deployment records, with documented conventions only as a marked fallback.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use websphere::variables::Variables;
use websphere::Sysroot;

use super::cell::CellFacts;
use super::iim::{IimInstalled, IimRegistry};
use super::{DiscoverError, DiscoverOptions, ProvenanceMap, Warnings};
use crate::deployment::{DataRoots, Provenance};

/// Documented and common `app_server_root` locations, probed in this order.
const APP_SERVER_ROOTS: &[&str] = &[
    "/opt/IBM/WebSphere/AppServer",
    "/opt/HCL/WebSphere/AppServer",
    "/usr/IBM/WebSphere/AppServer",
];

/// Documented (`/opt/IBM`) and HCL-branded `connections_root` locations.
const CONNECTIONS_ROOTS: &[&str] = &["/opt/IBM/Connections", "/opt/HCL/Connections"];

/// `app_server_root`: configured, else where IIM installed WebSphere ND, else the first
/// conventional location that has a profile registry.
pub(crate) fn app_server_root(
    sys: &Sysroot,
    opts: &DiscoverOptions,
    installed: Option<&(IimInstalled, PathBuf)>,
    prov: &mut ProvenanceMap,
) -> Result<String, DiscoverError> {
    const KEY: &str = "was.app_server_root";
    if let Some(root) = &opts.app_server_root {
        prov.insert(KEY.into(), Provenance::configured());
        return Ok(root.clone());
    }
    if let Some((inst, file)) = installed {
        if let Some((loc, _)) = inst.find_package(|id| id.starts_with("com.ibm.websphere.ND")) {
            prov.insert(
                KEY.into(),
                Provenance::read("installed.xml", file.display().to_string()),
            );
            return Ok(loc.path.trim_end_matches('/').to_string());
        }
    }
    for root in APP_SERVER_ROOTS {
        if sys.is_file(&Path::new(root).join("properties/profileRegistry.xml")) {
            prov.insert(KEY.into(), Provenance::assumed("conventional location"));
            return Ok((*root).to_string());
        }
    }
    Err(DiscoverError::NoAppServer(format!(
        "Installation Manager records no WebSphere ND package and none of {} has \
         properties/profileRegistry.xml; set [deployment] app_server_root",
        APP_SERVER_ROOTS.join(", ")
    )))
}

/// `connections_root`: configured, else where IIM installed `com.ibm.connections`, else the
/// first conventional location that exists (assumed), else `/opt/IBM/Connections`
/// (assumed).
pub(crate) fn connections_root(
    sys: &Sysroot,
    opts: &DiscoverOptions,
    installed: Option<&(IimInstalled, PathBuf)>,
    prov: &mut ProvenanceMap,
) -> String {
    const KEY: &str = "connections.root";
    if let Some(root) = &opts.connections_root {
        prov.insert(KEY.into(), Provenance::configured());
        return root.clone();
    }
    if let Some((inst, file)) = installed {
        if let Some((loc, _)) = inst.find_package(|id| id == "com.ibm.connections") {
            prov.insert(
                KEY.into(),
                Provenance::read("installed.xml", file.display().to_string()),
            );
            return loc.path.trim_end_matches('/').to_string();
        }
    }
    let found = CONNECTIONS_ROOTS
        .iter()
        .find(|r| sys.is_dir(Path::new(r)))
        .unwrap_or(&CONNECTIONS_ROOTS[0]);
    prov.insert(KEY.into(), Provenance::assumed("conventional location"));
    (*found).to_string()
}

/// A variable's value: cell scope first, then the first node that defines it. A variable
/// that cannot be expanded is a warning and counts as absent.
pub(crate) fn variable(
    cell: &CellFacts,
    name: &str,
    w: &mut Warnings,
) -> Option<(String, Provenance)> {
    let scopes = std::iter::once(&cell.cell_vars).chain(cell.node_vars.iter().map(|(_, v)| v));
    for vars in scopes {
        if let Some(found) = lookup(vars, name, w) {
            return Some(found);
        }
    }
    None
}

fn lookup(vars: &Variables, name: &str, w: &mut Warnings) -> Option<(String, Provenance)> {
    let def = vars.lookup(name)?;
    let file = def
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "built-in".into());
    match vars.resolve(name) {
        Ok(value) => Some((
            value.trim_end_matches('/').to_string(),
            Provenance::read(format!("variable {name}"), file),
        )),
        Err(e) => {
            match &def.file {
                Some(f) => w.push_at(
                    f,
                    def.line,
                    format!("{e}; the directory it names is unknown"),
                ),
                None => w.push(format!("{e}; the directory it names is unknown")),
            }
            None
        }
    }
}

/// `path` without its last component when that component is `leaf` (`.../shared/files`
/// → `.../shared`).
fn parent_if_leaf(path: &str, leaf: &str) -> Option<String> {
    let p = Path::new(path);
    (p.file_name()? == leaf).then(|| p.parent().map(|x| x.display().to_string()))?
}

/// The Connections applications (and CCM) whose WebSphere variables name content or state
/// directories (`FILES_CONTENT_DIR`, `SEARCH_DICTIONARY_DIR`, `DOGEAR_FAVICON_DIR`, ...).
const APP_PREFIXES: &[&str] = &[
    "ACTIVITIES",
    "BLOGS",
    "BOOKMARKS",
    "CATALOG",
    "CCM",
    "COMMUNITIES",
    "CONNECTIONS",
    "DOGEAR",
    "FILENET",
    "FILES",
    "FORUM",
    "FORUMS",
    "HOMEPAGE",
    "ICEC",
    "METRICS",
    "MOBILE",
    "MODERATION",
    "NEWS",
    "PROFILES",
    "PUSH",
    "RTE",
    "SEARCH",
    "WIKIS",
];

/// Names of the Connections content and state directories: an application's `*_DIR` or
/// `*_PATH` variable, and the message store.
pub(crate) fn is_content_variable(name: &str) -> bool {
    if name == "MESSAGE_STORE_PATH" {
        return true;
    }
    let app = APP_PREFIXES
        .iter()
        .any(|p| name.strip_prefix(p).is_some_and(|r| r.starts_with('_')));
    app && (name.ends_with("_DIR") || name.ends_with("_PATH"))
}

/// A variable naming a relocated FileNet storage area (`CCM_STORAGE_AREA_PATH`,
/// `FILENET_STORAGE_AREA`): CCM or FileNet, and storage.
pub(crate) fn is_storage_area_variable(name: &str) -> bool {
    (name.contains("CCM") || name.contains("FILENET") || name.starts_with("FNCE"))
        && name.contains("STORAGE")
}

/// The data directories.
pub(crate) fn data_roots(
    cell: &CellFacts,
    connections_root: &str,
    registry: Option<&(IimRegistry, PathBuf)>,
    prov: &mut ProvenanceMap,
    w: &mut Warnings,
) -> DataRoots {
    let provision_var = variable(cell, "CONNECTIONS_PROVISION_PATH", w);
    let customization_var = variable(cell, "CONNECTIONS_CUSTOMIZATION_PATH", w);
    let files_var = variable(cell, "FILES_CONTENT_DIR", w);
    let search_var = variable(cell, "SEARCH_INDEX_DIR", w);

    // Shared root: the parent of provision, else of the Files store.
    let shared = provision_var
        .as_ref()
        .and_then(|(v, p)| parent_if_leaf(v, "provision").map(|s| (s, derived(p))))
        .or_else(|| {
            files_var
                .as_ref()
                .and_then(|(v, p)| parent_if_leaf(v, "files").map(|s| (s, derived(p))))
        });
    let recorded = |name: &str| {
        registry.and_then(|(r, file)| {
            let value = r
                .profile_with_offering("com.ibm.connections")?
                .properties
                .get(name)?
                .trim_end_matches('/')
                .to_string();
            (!value.is_empty()).then(|| {
                (
                    value,
                    Provenance::read(
                        format!("installRegistry.xml {name}"),
                        file.display().to_string(),
                    ),
                )
            })
        })
    };
    let shared = shared.or_else(|| recorded("user.contentStore.shared.path"));
    let shared_root = settle(prov, "data.shared_root", shared, || {
        format!("{connections_root}/data/shared")
    });

    // Local root: the search index normally lives at <local>/search/index.
    let local = search_var.as_ref().and_then(|(v, p)| {
        let index_parent = parent_if_leaf(v, "index")?;
        parent_if_leaf(&index_parent, "search").map(|s| (s, derived(p)))
    });
    let local = local.or_else(|| recorded("user.contentStore.local.path"));
    let local_root = settle(prov, "data.local_root", local, || {
        format!("{connections_root}/data/local")
    });

    let provision = settle(prov, "data.provision", provision_var, || {
        format!("{shared_root}/provision")
    });
    let customization = settle(prov, "data.customization", customization_var, || {
        format!("{shared_root}/customization")
    });

    let mut content_dirs = BTreeMap::new();
    let mut names: Vec<String> = cell.cell_vars.names();
    for (_, v) in &cell.node_vars {
        names.extend(v.names());
    }
    names.sort();
    names.dedup();
    for name in names.into_iter().filter(|n| is_content_variable(n)) {
        if let Some((value, _)) = variable(cell, &name, w) {
            // Only directories: a variable holding a URL or a name is not content.
            if value.starts_with('/') {
                content_dirs.insert(name, value);
            }
        }
    }
    DataRoots {
        shared_root,
        local_root,
        provision,
        customization,
        content_dirs,
    }
}

fn derived(from: &Provenance) -> Provenance {
    Provenance {
        source: format!("derived from {}", from.source),
        file: from.file.clone(),
        assumed: false,
    }
}

/// Records where a root came from; falls back to the convention, marked assumed.
fn settle(
    prov: &mut ProvenanceMap,
    key: &str,
    found: Option<(String, Provenance)>,
    fallback: impl FnOnce() -> String,
) -> String {
    match found {
        Some((value, p)) => {
            prov.insert(key.into(), p);
            value
        }
        None => {
            prov.insert(key.into(), Provenance::assumed("documented default"));
            fallback()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_of_known_leaves() {
        assert_eq!(
            parent_if_leaf("/opt/IBM/Connections/data/shared/provision", "provision").as_deref(),
            Some("/opt/IBM/Connections/data/shared")
        );
        assert_eq!(parent_if_leaf("/nfs/prov", "provision"), None);
        assert!(is_content_variable("FILES_CONTENT_DIR"));
        assert!(is_content_variable("SEARCH_DICTIONARY_DIR"));
        assert!(is_content_variable("DOGEAR_FAVICON_DIR"));
        assert!(is_content_variable("MESSAGE_STORE_PATH"));
        assert!(is_content_variable("CONNECTIONS_PROVISION_PATH"));
        assert!(!is_content_variable("WAS_INSTALL_ROOT"));
        assert!(!is_content_variable("FILESYSTEM_ROOT"));
        assert!(!is_content_variable("SEARCHING_DIR"));
        assert!(is_storage_area_variable("CCM_STORAGE_AREA_PATH"));
        assert!(is_storage_area_variable("FILENET_STORAGE_AREA"));
        assert!(!is_storage_area_variable("CCM_INSTALL_DIR"));
    }
}
