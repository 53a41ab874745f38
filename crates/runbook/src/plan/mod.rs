//! The backup plan: the documented "Backing up Connections" steps as data.
//!
//! [`Plan::build`] turns a discovered [`Deployment`] into the ordered list of steps 1–9 of
//! the procedure, with "export the security-role mappings" first (the procedure's step 9
//! note: role mappings are not covered by it and need the servers running, so they are
//! captured before step 1 stops them). Every step names what it covers — product paths,
//! databases, servers — whether it runs, and when it does not, why. Step 6 is split into
//! one entry per component (`6a` … `6d`), step 2 into the storage area and `Engine-ws.ear`.
//!
//! [`Plan::compute_sizes`] adds sizes on disk, walking all paths in parallel through the
//! Sysroot. Building is pure; only measuring reads the disk.

mod component;
mod sizes;
mod web;

use std::path::Path;

use connections::deployment::{Deployment, ProfileType, ServerType};
use rayon::prelude::*;
use serde::Serialize;
use websphere::Sysroot;

pub use component::{Component, UnknownComponent};
pub use sizes::{measure, SizeProblem, Usage};

/// Choices that change the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Leave out the Installation Manager's state (steps 7 and 8: IMShared, IIM's install
    /// and data directories). They are backed up by default: every CR update or iFix
    /// changes what IIM records as installed, and without them the backup cannot put
    /// `connections_root` back onto an updated system (the CAUTION of step 8).
    pub skip_installation_manager: bool,
}

/// What a backup without the Installation Manager's state cannot do (shown by the plan,
/// the backup's warning, the manifest and `show`).
pub const WITHOUT_IIM: &str = "this backup cannot restore connections_root onto an updated system";

/// Why (the plan's skip reason for steps 7 and 8).
pub const WITHOUT_IIM_REASON: &str = "left out (--skip-installation-manager or \
     deployment.skip_installation_manager): this backup cannot restore connections_root onto \
     an updated system, because an update changes what Installation Manager records as \
     installed and its data, install and IMShared must go back together with the install";

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Export the security-role mappings while the servers run.
    ExportRoleMappings,
    /// Stop the WebSphere servers.
    StopServers,
    /// Back up databases with the vendor's tools.
    BackupDatabases,
    /// Copy files into the repository.
    BackupFiles,
}

/// A database a step covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseRef {
    /// Database name.
    pub name: String,
    /// Vendor (`db2`, `oracle`, `sqlserver`).
    pub vendor: String,
    /// Host.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Oracle schemas.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
}

/// A server a step covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerRef {
    /// Node name.
    pub node: String,
    /// Server name.
    pub server: String,
    /// Server type.
    #[serde(rename = "type")]
    pub kind: ServerType,
    /// Host of the node.
    pub host: Option<String>,
}

/// One step of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Position in the plan, from 1.
    pub order: usize,
    /// The step's number in the documented procedure (`"6d"`; `"9 note"` for the role
    /// mappings, which the note of step 9 asks to capture before the stop).
    pub procedure_step: String,
    /// What the step does, in a few words.
    pub title: String,
    /// Kind of work.
    pub action: Action,
    /// The component it fills, if it backs something up.
    pub component: Option<Component>,
    /// Whether it runs.
    pub runs: bool,
    /// Why not, when it does not.
    pub skip_reason: Option<String>,
    /// Product paths it backs up.
    pub paths: Vec<String>,
    /// Product paths inside `paths` left to other components.
    pub excludes: Vec<String>,
    /// Databases it backs up.
    pub databases: Vec<DatabaseRef>,
    /// Servers it stops (in stop order) or talks to.
    pub servers: Vec<ServerRef>,
    /// Applications concerned (role mappings).
    pub applications: Vec<String>,
    /// Anything the administrator should know about this step.
    pub note: Option<String>,
    /// The version of what the step backs up, when it has one of its own (IBM HTTP
    /// Server, the plug-in): recorded in the manifest and shown by `show`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Size on disk of `paths` minus `excludes`, once measured.
    pub size: Option<Usage>,
}

impl Step {
    /// Whether the step is the shared data, or every one of its paths lies inside the
    /// shared data root `shared_root` (`provision`, a CCM storage area kept there): on a
    /// cell, the one host that backs up the shared data holds it.
    pub fn in_shared_data(&self, shared_root: &str) -> bool {
        if self.component == Some(Component::SharedData) {
            return true;
        }
        let root = std::path::Path::new(shared_root);
        !shared_root.is_empty()
            && !self.paths.is_empty()
            && self
                .paths
                .iter()
                .all(|p| std::path::Path::new(p).starts_with(root))
    }

    fn new(
        procedure_step: &str,
        title: &str,
        action: Action,
        component: Option<Component>,
    ) -> Self {
        Step {
            order: 0,
            procedure_step: procedure_step.to_string(),
            title: title.to_string(),
            action,
            component,
            runs: true,
            skip_reason: None,
            paths: Vec::new(),
            excludes: Vec::new(),
            databases: Vec::new(),
            servers: Vec::new(),
            applications: Vec::new(),
            note: None,
            version: None,
            size: None,
        }
    }

    fn files(procedure_step: &str, title: &str, component: Component, paths: Vec<String>) -> Self {
        let mut s = Step::new(procedure_step, title, Action::BackupFiles, Some(component));
        s.paths = paths;
        s
    }

    fn skip(mut self, reason: impl Into<String>) -> Self {
        self.runs = false;
        self.skip_reason = Some(reason.into());
        self
    }
}

/// The ordered plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Steps in the order they run.
    pub steps: Vec<Step>,
    /// Whether sizes were measured.
    pub sizes_measured: bool,
    /// Total of the measured sizes of the steps that run.
    pub total: Option<Usage>,
    /// Paths that could not be measured.
    pub size_problems: Vec<SizeProblem>,
}

/// True when product path `inner` is `outer` or below it.
fn is_within(inner: &str, outer: &str) -> bool {
    Path::new(inner).starts_with(Path::new(outer))
}

impl Plan {
    /// The plan for `deployment`.
    pub fn build(d: &Deployment, opts: &PlanOptions) -> Plan {
        let mut steps = vec![role_mappings_step(d), stop_step(d)];
        steps.extend(ccm_steps(d));
        steps.push(file_registry_step(d));
        steps.push(databases_step(d));
        steps.push(dmgr_step(d));
        steps.extend(deployment_steps(d));
        steps.extend(iim_steps(d, opts));
        steps.push(customizations_step(d));
        steps.extend(web_steps(d));
        steps.push(tdi_step(d));
        for (i, s) in steps.iter_mut().enumerate() {
            s.order = i + 1;
        }
        Plan {
            steps,
            sizes_measured: false,
            total: None,
            size_problems: Vec::new(),
        }
    }

    /// The step that fills `component`, if any.
    pub fn step(&self, component: Component) -> Option<&Step> {
        self.steps.iter().find(|s| s.component == Some(component))
    }

    /// Measures every running file step in parallel (the steps among themselves and the
    /// directories within each step).
    pub fn compute_sizes(&mut self, sysroot: &Sysroot) {
        let results: Vec<(usize, Usage, Vec<SizeProblem>)> = self
            .steps
            .par_iter()
            .enumerate()
            .filter(|(_, s)| s.runs && !s.paths.is_empty())
            .map(|(i, s)| {
                let (u, p) = measure(sysroot, &s.paths, &s.excludes);
                (i, u, p)
            })
            .collect();
        let mut total = Usage::default();
        for (i, usage, problems) in results {
            total.disk_bytes += usage.disk_bytes;
            total.apparent_bytes += usage.apparent_bytes;
            total.files += usage.files;
            total.dirs += usage.dirs;
            total.symlinks += usage.symlinks;
            self.steps[i].size = Some(usage);
            self.size_problems.extend(problems);
        }
        self.sizes_measured = true;
        self.total = Some(total);
    }
}

fn role_mappings_step(d: &Deployment) -> Step {
    let mut s = Step::new(
        "9 note",
        "export the security-role mappings while the servers still run",
        Action::ExportRoleMappings,
        Some(Component::RoleMappings),
    );
    s.applications = d
        .role_mappings
        .iter()
        .map(|a| a.application.clone())
        .collect();
    s.paths = d.role_mappings.iter().map(|a| a.file.clone()).collect();
    s.servers = d
        .was
        .servers()
        .filter(|sv| sv.kind == ServerType::DeploymentManager)
        .map(server_ref)
        .collect();
    s.note = Some(
        "the procedure does not cover role mappings; they are exported before step 1 so the \
         servers need not be started again; the paths are the raw binding files, kept as a \
         fallback"
            .into(),
    );
    s
}

fn server_ref(sv: &connections::deployment::Server) -> ServerRef {
    ServerRef {
        node: sv.node.clone(),
        server: sv.name.clone(),
        kind: sv.kind,
        host: sv.host.clone(),
    }
}

/// Application servers first, then node agents, then the deployment manager; web server
/// definitions are not JVMs and are left alone.
fn stop_step(d: &Deployment) -> Step {
    let mut s = Step::new(
        "1",
        "stop the WebSphere servers that host Connections",
        Action::StopServers,
        None,
    );
    for kind in [
        ServerType::ApplicationServer,
        ServerType::Other,
        ServerType::NodeAgent,
        ServerType::DeploymentManager,
    ] {
        s.servers
            .extend(d.was.servers().filter(|sv| sv.kind == kind).map(server_ref));
    }
    if s.servers.is_empty() {
        s = s.skip("no WebSphere servers found in the cell");
    }
    s
}

fn ccm_steps(d: &Deployment) -> Vec<Step> {
    let ccm = &d.connections.ccm;
    let mut storage = Step::files(
        "2",
        "back up the FileNet storage area",
        Component::CcmStorage,
        ccm.storage_area.iter().cloned().collect(),
    );
    let mut ear = Step::files(
        "2",
        "back up Engine-ws.ear",
        Component::EngineWsEar,
        ccm.engine_ws_ear_dir.iter().cloned().collect(),
    );
    if !ccm.installed {
        return vec![
            storage.skip("CCM not installed"),
            ear.skip("CCM not installed"),
        ];
    }
    if !ccm.storage_area_found {
        // Needed but not found: the step stays in the plan so preflight refuses and says
        // how to name it.
        storage.note = Some(
            "CCM is installed but its FileNet storage area was not found here; set [ccm] \
             storage_area to where it is"
                .into(),
        );
    } else if !ccm.storage_outside_shared_data {
        storage = storage.skip(
            "the FileNet storage area is inside shared_data_directory_root and is backed up \
             with shared_data",
        );
    }
    if !ccm.engine_ws_ear_found {
        ear.note =
            Some("the Engine-ws.ear directory was not found where this release keeps it".into());
    }
    vec![storage, ear]
}

fn file_registry_step(d: &Deployment) -> Step {
    let fa = &d.filenet_admin;
    let s = Step::files(
        "3",
        "back up fileRegistry.xml (filenetAdmin is a local file-registry user)",
        Component::FileRegistry,
        fa.file_registry.iter().cloned().collect(),
    );
    match (&fa.user_id, fa.in_file_registry) {
        (None, _) if !d.connections.ccm.installed => {
            s.skip("CCM not installed and no filenetAdmin J2C alias")
        }
        (None, _) => s.skip("no filenetAdmin J2C alias found in security.xml"),
        (Some(_), false) => s.skip("filenetAdmin is an LDAP user"),
        (Some(_), true) => s,
    }
}

fn databases_step(d: &Deployment) -> Step {
    let mut s = Step::new(
        "4",
        "back up the databases with the vendor's tools",
        Action::BackupDatabases,
        Some(Component::Databases),
    );
    s.databases = d
        .databases
        .iter()
        .map(|db| DatabaseRef {
            name: db.name.clone(),
            vendor: db.vendor.to_string(),
            host: db.host.clone(),
            port: db.port,
            schemas: db.schemas.clone(),
        })
        .collect();
    if d.connections.ccm.installed {
        s.note = Some(format!(
            "CCM: the FileNet databases (FNGCD, FNOS) must be included; found: {}",
            if d.connections.ccm.databases.is_empty() {
                "none".to_string()
            } else {
                d.connections.ccm.databases.join(", ")
            }
        ));
    }
    if s.databases.is_empty() {
        s = s.skip("no JDBC datasources found in the cell");
    }
    s
}

fn dmgr_step(d: &Deployment) -> Step {
    match d.was.dmgr_profile() {
        Some(p) => Step::files(
            "5",
            "back up the deployment manager profile",
            Component::DmgrProfile,
            vec![p.path.clone()],
        ),
        None => Step::files(
            "5",
            "back up the deployment manager profile",
            Component::DmgrProfile,
            vec![],
        )
        .skip("no deployment manager profile on this host"),
    }
}

fn deployment_steps(d: &Deployment) -> Vec<Step> {
    let mut root = Step::files(
        "6a",
        "back up connections_root",
        Component::ConnectionsRoot,
        vec![d.connections.root.clone()],
    );
    // Data roots below connections_root are components of their own (6d).
    for inner in [&d.data.local_root, &d.data.shared_root, &d.data.provision] {
        if is_within(inner, &d.connections.root)
            && !root.excludes.iter().any(|x| is_within(inner, x))
        {
            root.excludes.push(inner.clone());
        }
    }

    let others: Vec<String> = d
        .was
        .profiles
        .iter()
        .filter(|p| p.kind != ProfileType::Dmgr)
        .map(|p| p.path.clone())
        .collect();
    let mut profiles = Step::files(
        "6b",
        "back up every WebSphere profile on this host",
        Component::Profiles,
        others,
    );
    if profiles.paths.is_empty() {
        profiles = profiles.skip("no profiles other than the deployment manager on this host");
    }

    let registry = Step::files(
        "6c",
        "back up profileRegistry.xml",
        Component::ProfileRegistry,
        vec![d.was.profile_registry.clone()],
    );
    let mut local = Step::files(
        "6d",
        "back up local_data_directory_root",
        Component::LocalData,
        vec![d.data.local_root.clone()],
    );
    let mut shared = Step::files(
        "6d",
        "back up shared_data_directory_root (without provision)",
        Component::SharedData,
        vec![d.data.shared_root.clone()],
    );
    if !d
        .was
        .profiles
        .iter()
        .any(|p| p.kind != ProfileType::Dmgr && p.exists)
    {
        local =
            local.skip("no application server profile on this host: local data lives on the nodes");
    }
    let (local_extra, shared_extra) = content_outside_roots(d);
    for (step, extra) in [(&mut local, local_extra), (&mut shared, shared_extra)] {
        if extra.is_empty() {
            continue;
        }
        step.note = Some(format!(
            "also the content and state directories the WebSphere variables put outside the \
             data roots: {}",
            extra
                .iter()
                .map(|(var, path)| format!("{var} {path}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        step.paths.extend(extra.into_iter().map(|(_, p)| p));
    }
    if is_within(&d.data.provision, &d.data.shared_root) {
        shared.excludes.push(d.data.provision.clone());
    }
    let mut provision = Step::files(
        "6d",
        "back up provision (restorable only onto the exact same version)",
        Component::Provision,
        vec![d.data.provision.clone()],
    );
    provision.note = Some(
        "provision can be restored only onto the exact version it was backed up on (same CR \
         and interim fixes)"
            .into(),
    );
    vec![root, profiles, registry, local, shared, provision]
}

/// A WebSphere variable and the directory it names.
type VarPath = (String, String);

/// The directories the cell's WebSphere variables give for Connections content or state
/// (`FILES_CONTENT_DIR`, `MESSAGE_STORE_PATH`, `SEARCH_DICTIONARY_DIR`, ...) that lie
/// outside every path another step covers: `(local, shared)`, each `(variable, path)`.
/// Indexes and dictionaries are per node (local data); everything else is shared content.
fn content_outside_roots(d: &Deployment) -> (Vec<VarPath>, Vec<VarPath>) {
    let mut covered: Vec<&str> = vec![
        &d.connections.root,
        &d.data.shared_root,
        &d.data.local_root,
        &d.data.provision,
        &d.data.customization,
        &d.installation_manager.install_dir,
        &d.installation_manager.data_dir,
        &d.installation_manager.shared_dir,
    ];
    covered.extend(d.connections.ccm.storage_area.as_deref());
    covered.extend(d.was.profiles.iter().map(|p| p.path.as_str()));
    // Outermost first, so a directory inside another extra one is not listed twice.
    let mut dirs: Vec<(&String, &String)> = d.data.content_dirs.iter().collect();
    dirs.sort_by_key(|(_, p)| p.len());
    let mut taken: Vec<String> = Vec::new();
    let (mut local, mut shared) = (Vec::new(), Vec::new());
    for (var, path) in dirs {
        let inside =
            covered.iter().any(|c| is_within(path, c)) || taken.iter().any(|t| is_within(path, t));
        if inside || !path.starts_with('/') {
            continue;
        }
        taken.push(path.clone());
        let per_node = var.ends_with("_INDEX_DIR") || var.ends_with("_DICTIONARY_DIR");
        let list = if per_node { &mut local } else { &mut shared };
        list.push((var.clone(), path.clone()));
    }
    local.sort();
    shared.sort();
    (local, shared)
}

/// Steps 7 and 8: IMShared, and IIM's install and data directories. The documentation
/// asks for step 8 "only for an in-place migration", but its CAUTION applies to every
/// update on the same systems, so both run unless the administrator leaves them out.
fn iim_steps(d: &Deployment, opts: &PlanOptions) -> Vec<Step> {
    let iim = &d.installation_manager;
    let mut shared = Step::files(
        "7",
        "back up the Installation Manager shared resources (IMShared)",
        Component::SharedResources,
        vec![iim.shared_dir.clone()],
    );
    let mut state = Step::files(
        "8",
        "back up the Installation Manager install and data directories",
        Component::InstallationManager,
        vec![iim.install_dir.clone(), iim.data_dir.clone()],
    );
    state.note = Some(
        "IIM's data, its shared folder and the install must be restored together with \
         connections_root, or IIM's idea of the installed version differs from the files"
            .into(),
    );
    if opts.skip_installation_manager {
        shared = shared.skip(WITHOUT_IIM_REASON);
        state = state.skip(WITHOUT_IIM_REASON);
    }
    vec![shared, state]
}

fn customizations_step(d: &Deployment) -> Step {
    let mut s = Step::files(
        "9",
        "back up the customization directory",
        Component::Customizations,
        vec![d.data.customization.clone()],
    );
    if is_within(&d.data.customization, &d.data.shared_root) {
        s.note = Some("inside shared_data_directory_root: also part of shared_data".into());
    }
    s
}

/// The web tier's steps: IBM HTTP Server (`web_server`) and the WebSphere plug-in
/// (`web_plugin`) of the web servers installed on this host. The documented procedure has
/// no step for them (the update regenerates and propagates the plug-in configuration, and
/// the web server usually lives on another host), so they are numbered `web`.
fn web_steps(d: &Deployment) -> Vec<Step> {
    let tier = web::web_tier(d);
    let mut server = Step::files(
        web::WEB_STEP,
        "back up IBM HTTP Server's configuration, key databases and IIM state",
        Component::WebServer,
        tier.server_paths,
    );
    let mut plugin = Step::files(
        web::WEB_STEP,
        "back up the WebSphere plug-in's configuration, key database and logs",
        Component::WebPlugin,
        tier.plugin_paths,
    );
    server.version = tier.server_version;
    plugin.version = tier.plugin_version;
    if tier.here.is_empty() {
        return vec![
            server.skip(tier.elsewhere.clone()),
            plugin.skip(tier.elsewhere),
        ];
    }
    server.note = Some(format!("web server(s) {}", tier.here.join(", ")));
    if plugin.paths.is_empty() {
        plugin = plugin.skip(
            "no WebSphere plug-in configuration found for the web server(s) on this host \
             (no WebSpherePluginConfig in httpd.conf and no plug-in install recorded)",
        );
    }
    vec![server, plugin]
}

/// The profile sync solution's step: the Tivoli Directory Integrator solution directory
/// that keeps Profiles in sync with LDAP (`profiles_tdi.properties`, the mapping files, the
/// assembly line scripts) and the TDI install when it is on this host. Nothing in the
/// deployment records where it is, so `[tdi] solution_dir` names it.
fn tdi_step(d: &Deployment) -> Step {
    let paths = d
        .tdi
        .iter()
        .flat_map(|t| std::iter::once(t.solution_dir.clone()).chain(t.install_dir.clone()))
        .collect();
    let s = Step::files(
        "tdi",
        "back up the profile sync solution (Tivoli Directory Integrator)",
        Component::Tdi,
        paths,
    );
    if d.tdi.is_none() {
        return s.skip("no [tdi] solution_dir configured");
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
