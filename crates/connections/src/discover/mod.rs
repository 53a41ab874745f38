//! Discovery: builds a [`Deployment`] from the files of a deployment, read through a
//! [`Sysroot`].
//!
//! Roots come from what the deployment itself records — `profileRegistry.xml`, the WAS
//! variables (`CONNECTIONS_PROVISION_PATH`, `CONNECTIONS_CUSTOMIZATION_PATH`,
//! `FILES_CONTENT_DIR`, ...), Installation Manager's `installed.xml` — and only when those
//! say nothing from the documented conventions, recorded as *assumed* in
//! [`Deployment::provenance`].
//!
//! Two inputs are required: the profile registry and the cell's `security.xml` (from the
//! deployment manager profile when there is one); failing to read either is a
//! [`DiscoverError`]. Every other file is optional evidence: failing to read it adds a
//! [`Warning`] naming the file (and line) and leaves the fact unknown.

mod cell;
mod databases;
mod ibm_xml;
pub mod iim;
mod roots;
pub mod version_files;
pub mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;
use websphere::error::ReadError;
use websphere::Sysroot;

use crate::deployment::{
    Ccm, ConnectionsInstall, Deployment, FilenetAdmin, InstallationManager,
    OtherInstallationManager, Provenance, Tdi, VersionInfo, Warning,
};
use crate::version::{webresources_listing_hash, Evidence, EvidenceSource, VersionEvidence};

/// What the administrator configured; everything else is discovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// `app_server_root` (product path), overriding discovery.
    pub app_server_root: Option<String>,
    /// `connections_root` (product path), overriding discovery.
    pub connections_root: Option<String>,
    /// The FileNet storage area (`[ccm] storage_area`, product path): its real location is
    /// recorded in the GCD database, which discovery cannot read.
    pub ccm_storage_area: Option<String>,
    /// The Tivoli Directory Integrator solution directory (`[tdi] solution_dir`, product
    /// path): nothing in the deployment records it.
    pub tdi_solution_dir: Option<String>,
    /// The TDI install on this host (`[tdi] install_dir`, product path).
    pub tdi_install_dir: Option<String>,
}

/// A required input could not be read; discovery cannot continue.
#[derive(Debug, Error)]
pub enum DiscoverError {
    /// A required file is missing, unreadable or malformed.
    #[error("cannot read the {what}, which discovery requires: {source}")]
    Required {
        /// What the file is (`profile registry`, `deployment manager's security.xml`).
        what: &'static str,
        /// The underlying error, naming the file and line.
        #[source]
        source: ReadError,
    },
    /// No WebSphere install could be found to start from.
    #[error("no WebSphere Application Server found: {0}")]
    NoAppServer(String),
    /// The profile registry lists no usable profile.
    #[error("{file}: {message}")]
    NoProfile {
        /// Product path of the profile registry.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl DiscoverError {
    /// The product path the error is about, when one.
    pub fn file(&self) -> Option<PathBuf> {
        match self {
            DiscoverError::Required { source, .. } => source.file().map(Path::to_path_buf),
            DiscoverError::NoProfile { file, .. } => Some(PathBuf::from(file)),
            DiscoverError::NoAppServer(_) => None,
        }
    }

    /// The 1-based line, when the parser knew it.
    pub fn line(&self) -> Option<u64> {
        match self {
            DiscoverError::Required { source, .. } => source.line(),
            _ => None,
        }
    }
}

/// Warnings collected during discovery.
#[derive(Debug, Default)]
pub(crate) struct Warnings(Vec<Warning>);

impl Warnings {
    /// Adds a warning once: the same problem met through several scopes is one warning.
    fn add(&mut self, w: Warning) {
        if !self.0.contains(&w) {
            tracing::debug!("{w}");
            self.0.push(w);
        }
    }

    pub(crate) fn push_at(&mut self, file: &Path, line: Option<u64>, message: String) {
        self.add(Warning {
            file: Some(file.display().to_string()),
            line,
            message,
        });
    }

    /// A reader error and what follows from it. The warning names the error's file and
    /// line once (in its `file`/`line` fields), so the message carries only the detail.
    pub(crate) fn push_err(&mut self, e: &ReadError, consequence: String) {
        let file = e.file().map(|f| f.display().to_string());
        let detail = if file.is_some() {
            e.detail()
        } else {
            e.to_string()
        };
        self.add(Warning {
            file,
            line: e.line(),
            message: format!("{detail}; {consequence}"),
        });
    }

    pub(crate) fn push(&mut self, message: String) {
        self.add(Warning {
            file: None,
            line: None,
            message,
        });
    }
}

/// Where each fact came from, keyed by its dotted JSON key.
pub(crate) type ProvenanceMap = BTreeMap<String, Provenance>;

/// What the Installation Managers of the host say: the one that installed Connections
/// (its records read once) and the others.
struct IimState {
    chosen: Option<iim::IimFound>,
    installed: Option<(iim::IimInstalled, PathBuf)>,
    registry: Option<(iim::IimRegistry, PathBuf)>,
    others: Vec<iim::IimFound>,
}

fn read_iim(sys: &Sysroot, opts: &DiscoverOptions, w: &mut Warnings) -> IimState {
    let mut problems = Vec::new();
    let all = iim::find_all(sys, &mut problems);
    for p in &problems {
        w.push_err(&p.error, p.consequence.clone());
    }
    let (chosen, others) = iim::choose(all, opts.connections_root.as_deref());
    match &chosen {
        None => w.push(
            "no Installation Manager data directory (installed.xml) found under \
             /var/ibm/InstallationManager, /home/*/var/ibm/InstallationManager or in an \
             InstallationManager.dat registry"
                .into(),
        ),
        Some(c) => {
            let rivals: Vec<&str> = others
                .iter()
                .filter(|o| o.has_connections())
                .map(|o| o.data_dir.as_str())
                .collect();
            if !rivals.is_empty() && c.has_connections() {
                w.push_at(
                    &c.installed_file(),
                    None,
                    format!(
                        "more than one Installation Manager records Connections ({}); this \
                         one is used; set [deployment] connections_root to choose",
                        rivals.join(", ")
                    ),
                );
            }
        }
    }
    let installed = chosen
        .as_ref()
        .and_then(|c| c.installed.clone().map(|i| (i, c.installed_file())));
    let registry = chosen
        .as_ref()
        .and_then(|c| c.registry.clone().map(|r| (r, c.registry_file())));
    IimState {
        chosen,
        installed,
        registry,
        others,
    }
}

/// Gathers every version source, cross-checks them (conflicts become warnings) and adds
/// the WAS version and the `provision/webresources` listing hash.
fn version_info(
    sys: &Sysroot,
    installed: Option<&(iim::IimInstalled, PathBuf)>,
    connections_root: &str,
    cell_dir: Option<&Path>,
    provision: Option<&str>,
    w: &mut Warnings,
) -> VersionInfo {
    let mut evidence = VersionEvidence::default();
    let mut was_version = None;
    if let Some((inst, file)) = installed {
        if let Some((_, pkg)) = inst.find_package(|id| id == "com.ibm.connections") {
            match pkg.version.parse() {
                Ok(v) => {
                    evidence.iim = Some(Evidence::new(
                        EvidenceSource::IimInstalled,
                        file.display().to_string(),
                        v,
                    ));
                }
                Err(e) => w.push_at(
                    file,
                    Some(pkg.line),
                    format!("{e}; this version source is ignored"),
                ),
            }
        } else {
            w.push_at(file, None, "records no com.ibm.connections package".into());
        }
        was_version = inst
            .find_package(|id| id.starts_with("com.ibm.websphere.ND"))
            .map(|(_, p)| p.version.clone());
    }
    evidence.launcher = version_files::read_launcher(sys, connections_root, w);
    evidence.buildlevel = cell_dir.and_then(|c| version_files::read_buildlevel(sys, c, w));
    evidence.ifixes = version_files::read_ifixes(sys, connections_root, w);
    let resolved = evidence.resolve();
    for c in &resolved.conflicts {
        w.push(c.to_string());
    }
    if resolved.version.is_none() {
        w.push("no source states the installed Connections version; it is unknown".into());
    }
    let webresources_sha256 = provision.and_then(|p| webresources_hash(sys, p, w));
    let version = resolved.version;
    VersionInfo {
        release: version.as_ref().map(|v| v.release()),
        cr: version.as_ref().and_then(|v| v.cr()),
        ifixes: version
            .as_ref()
            .map(|v| v.ifixes.iter().cloned().collect())
            .unwrap_or_default(),
        offering: version.map(|v| v.offering),
        basis: resolved.basis,
        ifixes_known: resolved.ifixes_known,
        evidence,
        conflicts: resolved.conflicts,
        was_version,
        webresources_sha256,
    }
}

/// The Connections version installed under `sys`, for a restore's version gate.
#[derive(Debug, Clone)]
pub struct InstalledVersion {
    /// `connections_root` the evidence was read from; `None` when nothing is installed
    /// (no IIM record, no configured root, no conventional directory).
    pub connections_root: Option<String>,
    /// The version and its evidence (all fields empty when nothing is installed).
    pub version: VersionInfo,
    /// What could not be read, or why full discovery was not possible.
    pub warnings: Vec<Warning>,
}

/// Reads the installed version the way discovery does, but never fails: on a machine
/// where full discovery is impossible (bare metal, a half-removed install) it reads what
/// is there — IIM's record and the files under `connections_root` — and says why in the
/// warnings. `connections_root` is `None` when no install is found at all.
pub fn installed_version(sys: &Sysroot, opts: &DiscoverOptions) -> InstalledVersion {
    match discover(sys, opts) {
        Ok(d) => InstalledVersion {
            connections_root: Some(d.connections.root),
            version: d.connections.version,
            warnings: d.warnings,
        },
        Err(e) => {
            let mut w = Warnings::default();
            w.push(format!("full discovery was not possible: {e}"));
            let state = read_iim(sys, opts, &mut w);
            let mut prov = ProvenanceMap::new();
            let root = roots::connections_root(sys, opts, state.installed.as_ref(), &mut prov);
            let exists = sys.is_dir(Path::new(&root));
            let recorded = !prov.get("connections.root").is_some_and(|p| p.assumed);
            let connections_root = (exists || recorded).then_some(root);
            let version = match &connections_root {
                Some(r) => version_info(sys, state.installed.as_ref(), r, None, None, &mut w),
                None => VersionInfo::unknown(),
            };
            InstalledVersion {
                connections_root,
                version,
                warnings: w.0,
            }
        }
    }
}

/// Builds the [`Deployment`] found under `sys`.
pub fn discover(sys: &Sysroot, opts: &DiscoverOptions) -> Result<Deployment, DiscoverError> {
    let mut w = Warnings::default();
    let mut prov = ProvenanceMap::new();

    // Installation Manager first: it records where WAS and Connections are installed.
    let IimState {
        chosen: iim_chosen,
        installed,
        registry,
        others: iim_others,
    } = read_iim(sys, opts, &mut w);

    let app_server_root = roots::app_server_root(sys, opts, installed.as_ref(), &mut prov)?;
    let cell = cell::read_cell(sys, &app_server_root, &mut w)?;

    let connections_root = roots::connections_root(sys, opts, installed.as_ref(), &mut prov);
    let data = roots::data_roots(
        &cell,
        &connections_root,
        registry.as_ref(),
        &mut prov,
        &mut w,
    );

    let version_info = version_info(
        sys,
        installed.as_ref(),
        &connections_root,
        Some(&cell.cell_dir),
        Some(&data.provision),
        &mut w,
    );
    let version = version_info.version();
    let filenet_admin = filenet_admin(sys, &cell, &mut w);
    let databases = databases::from_datasources(&cell.datasources, &cell.security);
    let mut ccm = ccm(
        sys,
        &cell,
        &connections_root,
        version.as_ref(),
        databases::filenet_databases(&databases),
    );
    if ccm.installed {
        storage_area(
            sys,
            opts,
            &cell,
            &data.shared_root,
            &mut ccm,
            &mut prov,
            &mut w,
        );
    }

    let installation_manager = installation_manager(
        iim_chosen.as_ref(),
        registry.as_ref(),
        &iim_others,
        &mut prov,
    );

    let iims: Vec<&iim::IimFound> = iim_chosen.iter().chain(iim_others.iter()).collect();
    let web_servers = web::discover_web(
        sys,
        &cell.web_definitions,
        &iims,
        iim_chosen.as_ref().map(|c| c.data_dir.as_str()),
        &mut w,
    );
    let mut was = cell.was;
    was.version = version_info.was_version.clone();
    Ok(Deployment {
        connections: ConnectionsInstall {
            root: connections_root,
            version: version_info,
            ccm,
        },
        was,
        data,
        filenet_admin,
        installation_manager,
        databases,
        role_mappings: cell.role_mappings,
        web_servers,
        tdi: tdi(sys, opts, &mut w),
        provenance: prov,
        warnings: w.0,
    })
}

/// The profile sync solution as configured; a configured directory that is not there is a
/// warning (the backup's preflight then refuses naming it).
fn tdi(sys: &Sysroot, opts: &DiscoverOptions, w: &mut Warnings) -> Option<Tdi> {
    let solution_dir = opts
        .tdi_solution_dir
        .as_ref()?
        .trim_end_matches('/')
        .to_string();
    let install_dir = opts
        .tdi_install_dir
        .as_ref()
        .map(|d| d.trim_end_matches('/').to_string());
    for d in std::iter::once(&solution_dir).chain(install_dir.iter()) {
        if !sys.is_dir(Path::new(d)) {
            w.push_at(
                Path::new(d),
                None,
                "configured in [tdi] but not a directory on this host; the backup will refuse \
                 until it is there or the setting is removed"
                    .into(),
            );
        }
    }
    Some(Tdi {
        solution_dir,
        install_dir,
    })
}

/// SHA-256 of the `provision/webresources` listing (files directly inside it).
fn webresources_hash(sys: &Sysroot, provision: &str, w: &mut Warnings) -> Option<String> {
    let dir = Path::new(provision).join("webresources");
    let entries = match sys.read_dir_entries(&dir) {
        Ok(e) => e,
        Err(e) => {
            w.push_at(
                &dir,
                None,
                format!("{}; the webresources fingerprint is unknown", e.detail()),
            );
            return None;
        }
    };
    let mut listing = Vec::new();
    for entry in entries.iter().filter(|e| e.file_type.is_file()) {
        let path = dir.join(&entry.name);
        let size = sys.symlink_metadata(&path).map(|m| m.len()).unwrap_or(0);
        listing.push((entry.name.as_encoded_bytes().to_vec(), size));
    }
    Some(webresources_listing_hash(listing))
}

/// Where the FileNet storage area is: `[ccm] storage_area`, else a WebSphere variable that
/// names it (`CCM_STORAGE_AREA_PATH`, ...), else the documented default
/// `<shared_data_directory_root>/ccm` (marked assumed: the real location is recorded in the
/// GCD database). A default that does not exist is a warning here; the plan then needs the
/// storage area and the backup's preflight refuses until it is configured.
fn storage_area(
    sys: &Sysroot,
    opts: &DiscoverOptions,
    cell: &cell::CellFacts,
    shared_root: &str,
    ccm: &mut Ccm,
    prov: &mut ProvenanceMap,
    w: &mut Warnings,
) {
    const KEY: &str = "connections.ccm.storage_area";
    let mut names = cell.cell_vars.names();
    for (_, v) in &cell.node_vars {
        names.extend(v.names());
    }
    names.sort();
    names.dedup();
    let from_variable = names
        .iter()
        .filter(|n| roots::is_storage_area_variable(n))
        .find_map(|n| roots::variable(cell, n, w));
    let (storage, p) = match (&opts.ccm_storage_area, from_variable) {
        (Some(configured), _) => (
            configured.trim_end_matches('/').to_string(),
            Provenance::configured(),
        ),
        (None, Some(found)) => found,
        (None, None) => (
            format!("{}/ccm", shared_root.trim_end_matches('/')),
            Provenance::assumed("documented default <shared_data_directory_root>/ccm"),
        ),
    };
    ccm.storage_area_found = sys.is_dir(Path::new(&storage));
    if !ccm.storage_area_found && p.assumed {
        w.push_at(
            Path::new(&storage),
            None,
            "CCM is installed but its FileNet storage area is not at the documented default; \
             set [ccm] storage_area to where it is (its location is recorded in the GCD \
             database)"
                .into(),
        );
    }
    ccm.storage_outside_shared_data = !Path::new(&storage).starts_with(shared_root);
    ccm.storage_area = Some(storage);
    prov.insert(KEY.into(), p);
}

/// CCM presence and paths. `Engine-ws.ear` moved from `addons/ccm` to `FileNet` with 6.0
/// CR6 (the release that counts as 6.5).
fn ccm(
    sys: &Sysroot,
    cell: &cell::CellFacts,
    connections_root: &str,
    version: Option<&crate::version::Version>,
    filenet_databases: Vec<String>,
) -> Ccm {
    const OLD: &str = "addons/ccm/ContentEngine/tools/configure/profiles/CCM/ear";
    const NEW: &str = "FileNet/ContentEngine/tools/configure/profiles/CCM/ear";
    let root = Path::new(connections_root);
    let by_release = version.map(|v| {
        if v.release() < crate::version::Release::new(6, 5) {
            OLD
        } else {
            NEW
        }
    });
    let mut ccm = Ccm::default();
    let ear_dir = match by_release {
        Some(rel) => root.join(rel),
        // Unknown version: take whichever exists, the newer layout first.
        None => [NEW, OLD]
            .iter()
            .map(|r| root.join(r))
            .find(|p| sys.is_dir(p))
            .unwrap_or_else(|| root.join(NEW)),
    };
    ccm.engine_ws_ear_found = sys.is_dir(&ear_dir);
    if ccm.engine_ws_ear_found {
        ccm.evidence
            .push(format!("Engine-ws.ear directory {}", ear_dir.display()));
    }
    if let Some(app) = cell
        .applications
        .iter()
        .find(|a| a.to_ascii_lowercase().starts_with("filenet"))
    {
        ccm.evidence
            .push(format!("application {app} deployed in the cell"));
    }
    if !filenet_databases.is_empty() {
        ccm.evidence.push(format!(
            "FileNet datasources ({})",
            filenet_databases.join(", ")
        ));
    }
    ccm.databases = filenet_databases;
    ccm.installed = !ccm.evidence.is_empty();
    ccm.engine_ws_ear_dir = Some(ear_dir.display().to_string());
    ccm
}

fn filenet_admin(sys: &Sysroot, cell: &cell::CellFacts, w: &mut Warnings) -> FilenetAdmin {
    let file = cell.cell_dir.join("fileRegistry.xml");
    let mut fa = FilenetAdmin {
        file_registry: Some(file.display().to_string()),
        ..FilenetAdmin::default()
    };
    let Some(auth) = cell.security.auth_data("filenetAdmin") else {
        return fa;
    };
    fa.user_id = Some(auth.user_id.clone());
    if websphere::file_registry::is_local_file_registry_user(&auth.user_id) {
        fa.in_file_registry = true;
        fa.unique_name = Some(auth.user_id.clone());
    }
    match websphere::file_registry::read_file_registry(sys, &file) {
        Ok(reg) => {
            if let Some(user) = reg.find_user(&auth.user_id) {
                if websphere::file_registry::is_local_file_registry_user(&user.unique_name) {
                    fa.in_file_registry = true;
                    fa.unique_name = Some(user.unique_name.clone());
                }
            }
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => w.push_err(
            &e,
            "whether filenetAdmin is a local file-registry user is judged from its user id alone"
                .into(),
        ),
    }
    fa
}

fn installation_manager(
    chosen: Option<&iim::IimFound>,
    registry: Option<&(iim::IimRegistry, PathBuf)>,
    others: &[iim::IimFound],
    prov: &mut ProvenanceMap,
) -> InstallationManager {
    let user = chosen.and_then(|c| c.non_root_user.clone());
    let (default_install, default_shared) = iim::default_dirs(user.as_deref());
    let mut settle = |key: &str, found: Option<(String, Provenance)>, default: String| {
        let (value, p) =
            found.unwrap_or_else(|| (default, Provenance::assumed("documented default")));
        prov.insert(format!("installation_manager.{key}"), p);
        value
    };
    let data_dir = settle(
        "data_dir",
        chosen.map(|c| {
            (
                c.data_dir.clone(),
                Provenance::read(
                    format!("installed.xml found ({})", c.found_by),
                    c.installed_file().display().to_string(),
                ),
            )
        }),
        iim::ROOT_DATA_DIR.to_string(),
    );
    // The install directory from the chosen IIM's own records, never another IIM's.
    let install = chosen.and_then(|c| {
        let file = c.installed_file().display().to_string();
        c.installed
            .as_ref()
            .and_then(|i| i.im_install_dir())
            .map(|d| (d, Provenance::read("installed.xml", file)))
            .or_else(|| {
                c.install_hint.clone().map(|d| {
                    (
                        d,
                        Provenance::read("InstallationManager.dat", c.found_by.clone()),
                    )
                })
            })
            .or_else(|| {
                registry.and_then(|(r, f)| {
                    r.im_install_dir().map(|d| {
                        (
                            d,
                            Provenance::read("installRegistry.xml", f.display().to_string()),
                        )
                    })
                })
            })
    });
    let install_dir = settle(
        "install_dir",
        install,
        default_install.display().to_string(),
    );
    let cache = chosen
        .and_then(|c| {
            c.installed
                .as_ref()
                .and_then(|i| i.cache_location.clone())
                .map(|d| (d, c.installed_file()))
        })
        .or_else(|| registry.and_then(|(r, f)| r.cache_location.clone().map(|c| (c, f.clone()))))
        .map(|(d, f)| {
            (
                d,
                Provenance::read("cacheLocation", f.display().to_string()),
            )
        });
    let shared_dir = settle("shared_dir", cache, default_shared.display().to_string());
    InstallationManager {
        install_dir,
        data_dir,
        shared_dir,
        non_root_user: user,
        found_by: chosen.map(|c| c.found_by.clone()),
        others: others
            .iter()
            .map(|o| OtherInstallationManager {
                data_dir: o.data_dir.clone(),
                found_by: o.found_by.clone(),
                non_root_user: o.non_root_user.clone(),
                packages: o.package_ids(),
            })
            .collect(),
    }
}
