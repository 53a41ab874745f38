//! A simulated failed update: what an interrupted CR update leaves behind, so a restore
//! has something real to undo.

use serde::Serialize;

use crate::data::{bundle_stamp, write_provision, WEBRESOURCE_BUNDLES};
use crate::expected::ProfileType;
use crate::multihost::Piece;
use crate::rng::Rng;
use crate::standin_db::owner_dirs;
use crate::topology::{buildlevel, Spec};
use crate::tree::Tree;
use crate::{Sample, SampleError, Scale};

/// The version a sample claims, before or after the simulated update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionClaim {
    /// IIM offering version.
    pub offering_version: String,
    /// CR number.
    pub cr: Option<u32>,
    /// Installed iFixes, sorted.
    pub ifixes: Vec<String>,
    /// LCC `buildlevel`.
    pub buildlevel: String,
    /// `Build:` field of the uninstall launcher.
    pub launcher_build: String,
}

/// What [`simulate_failed_update`] changed (product paths, sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// The version before.
    pub from: VersionClaim,
    /// The version the evidence now claims.
    pub to: VersionClaim,
    /// Files the update created.
    pub added: Vec<String>,
    /// Files the update rewrote.
    pub changed: Vec<String>,
    /// Files the update deleted.
    pub removed: Vec<String>,
    /// Databases (or Oracle schemas as `SID/SCHEMA`) whose stand-in state was modified.
    pub databases_touched: Vec<String>,
}

struct Changes<'a> {
    tree: &'a Tree,
    added: Vec<String>,
    changed: Vec<String>,
    removed: Vec<String>,
}

impl Changes<'_> {
    fn put(&mut self, product: &str, content: impl AsRef<[u8]>) -> Result<(), SampleError> {
        if self.tree.exists(product) {
            self.changed.push(product.to_string());
        } else {
            self.added.push(product.to_string());
        }
        self.tree.write(product, content)
    }

    fn remove(&mut self, product: &str) -> Result<(), SampleError> {
        if self.tree.exists(product) {
            self.tree.remove(product)?;
            self.removed.push(product.to_string());
        }
        Ok(())
    }

    /// Records the files a writer function (re)wrote, by comparing before/after content.
    fn track<F>(&mut self, paths: &[String], write: F) -> Result<(), SampleError>
    where
        F: FnOnce() -> Result<(), SampleError>,
    {
        let before: Vec<Option<Vec<u8>>> = paths
            .iter()
            .map(|p| std::fs::read(self.tree.real(p)).ok())
            .collect();
        write()?;
        for (p, b) in paths.iter().zip(before) {
            let after = std::fs::read(self.tree.real(p)).ok();
            match (b, after) {
                (None, Some(_)) => self.added.push(p.clone()),
                (Some(x), Some(y)) if x != y => self.changed.push(p.clone()),
                _ => {}
            }
        }
        Ok(())
    }
}

fn claim(spec: &Spec) -> VersionClaim {
    let c = &spec.expected.connections;
    VersionClaim {
        offering_version: c.offering_version.clone(),
        cr: c.cr,
        ifixes: c.ifixes.clone(),
        buildlevel: c.buildlevel.clone(),
        launcher_build: c.launcher_build.clone(),
    }
}

fn level(offering: &str) -> String {
    offering.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The spec of the next CR of a sample's release (CRs are cumulative: iFixes are gone).
fn next_cr(spec: &Spec) -> Spec {
    let mut next = spec.clone();
    let c = &mut next.expected.connections;
    let lvl = level(&c.offering_version);
    let cr = c.cr.map_or(1, |n| n + 1);
    c.cr = Some(cr);
    c.offering_version = format!("{lvl}.0.0_CR{cr}");
    c.launcher_build = c.offering_version.clone();
    next.build_date = "20241015".into();
    next.build_time = "0800".into();
    c.buildlevel = buildlevel(&lvl, Some(cr), &next.build_date, &next.build_time);
    c.ifixes.clear();
    next.ifixes.clear();
    next
}

/// One simulated update: the version before and after, the sizes, the random stream.
struct Update<'a> {
    old: &'a Spec,
    new: &'a Spec,
    scale: Scale,
    rng: Rng,
}

impl Update<'_> {
    /// The Connections install's version evidence claims the next CR; its iFixes are gone.
    fn install_evidence(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let root = &self.old.expected.connections.root;
        for f in &self.old.ifixes {
            ch.remove(&format!("{root}/version/{}.efix", f.id))?;
            ch.remove(&format!("{root}/updateInstaller/fixes/{}", f.jar_name))?;
        }
        let evidence: Vec<String> = [
            "version/LC.product",
            "version/activities.component",
            "version/files.component",
            "version/profiles.component",
            "version/wikis.component",
            "bin/uninstall-launcher.sh",
        ]
        .iter()
        .map(|p| format!("{root}/{p}"))
        .collect();
        let (tree, new) = (ch.tree, self.new);
        ch.track(&evidence, || {
            crate::install::write_version_evidence(tree, new)
        })
    }

    /// Installation Manager records the next CR, with its offering jar and the error log.
    fn iim_state(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let im = &self.old.expected.installation_manager;
        let iim_files = vec![
            format!("{}/installed.xml", im.data_dir),
            format!("{}/installRegistry.xml", im.data_dir),
        ];
        let (tree, new) = (ch.tree, self.new);
        ch.track(&iim_files, || crate::install::write_iim_state(tree, new))?;
        ch.put(
            &format!(
                "{}/plugins/com.ibm.connections.offering_{}.jar",
                im.shared_dir, new.expected.connections.offering_version
            ),
            self.rng.bytes(self.scale.jar_bytes),
        )?;
        ch.put(&format!("{}/logs/20241015_0800.xml", im.data_dir), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log><entry level='ERROR'>CRIMA1217E: A problem occurred during the execution of the com.ibm.connections update.</entry></log>\n")
    }

    /// Files of the install tree added, rewritten and removed.
    fn install_tree(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let root = &self.old.expected.connections.root;
        ch.put(
            &format!("{root}/Files/lib/lc.files.jar"),
            self.rng.bytes(self.scale.jar_bytes + 17),
        )?;
        ch.put(
            &format!("{root}/Files/lib/lc.files.migration.jar"),
            self.rng.bytes(self.scale.jar_bytes),
        )?;
        ch.remove(&format!("{root}/Moderation/lib/lc.moderation.jar"))?;
        ch.put(
            &format!(
                "{root}/logs/update_{}.log",
                self.new.expected.connections.offering_version
            ),
            "CLFRP0042E: update failed in step upgrade-profile\n",
        )
    }

    /// The profiles: the LCC buildlevel everywhere, deployed application content, temp
    /// files, and what the servers wrote while the update ran its configuration tasks.
    fn profiles(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        // the spec, not `self`: the changes below draw from `self.rng`
        let old = self.old;
        let e = &old.expected;
        for p in &e.was.profiles {
            let cell_dir = format!("{}/config/cells/{}", p.path, e.was.cell);
            let lcc = format!("{cell_dir}/LotusConnections-config/LotusConnections-config.xml");
            ch.put(&lcc, crate::cell::lcc_xml(self.new))?;
            if p.profile_type == ProfileType::Dmgr {
                self.dmgr_applications(ch, &cell_dir)?;
            } else {
                self.installed_applications(ch, &p.path)?;
            }
            self.server_evidence(ch, &p.path, &p.node, &p.name)?;
        }
        Ok(())
    }

    /// The deployment manager's copy of the first application, rebuilt by the update.
    fn dmgr_applications(
        &mut self,
        ch: &mut Changes<'_>,
        cell_dir: &str,
    ) -> Result<(), SampleError> {
        let Some(app) = self.old.expected.applications.first() else {
            return Ok(());
        };
        ch.put(
            &format!("{cell_dir}/applications/{0}.ear/{0}.ear", app.name),
            self.rng.bytes(self.scale.ear_bytes + 31),
        )?;
        ch.put(&format!("{cell_dir}/applications/{0}.ear/deployments/{0}/META-INF/MANIFEST.MF", app.name), format!("Manifest-Version: 1.0\nImplementation-Version: [IC{}_CR_Integration] 20241015-0800\n", level(&self.new.expected.connections.offering_version)))
    }

    /// A node's installed copy of its first application, half replaced; a temp file.
    fn installed_applications(
        &mut self,
        ch: &mut Changes<'_>,
        profile: &str,
    ) -> Result<(), SampleError> {
        let e = &self.old.expected;
        let installed = format!("{profile}/installedApps/{}", e.was.cell);
        let first = e
            .applications
            .iter()
            .map(|a| a.name.as_str())
            .find(|a| ch.tree.exists(&format!("{installed}/{a}.ear")));
        if let Some(app) = first {
            let war = format!("{installed}/{app}.ear/{}.war", app.to_ascii_lowercase());
            ch.put(
                &format!("{war}/nav/templates/header.jsp"),
                "<%-- replaced by the update --%>\n",
            )?;
            ch.remove(&format!("{war}/nav/templates/footer.jsp"))?;
            ch.put(
                &format!("{war}/WEB-INF/lib/lc.upgrade.jar"),
                self.rng.bytes(self.scale.jar_bytes),
            )?;
        }
        ch.put(
            &format!("{profile}/wstemp/update-{}/state.bin", self.rng.hex(6)),
            self.rng.bytes(128),
        )
    }

    /// What the servers wrote while the update ran its configuration tasks: an FFDC
    /// incident and the error in the server's own log (the evidence support asks for).
    fn server_evidence(
        &self,
        ch: &mut Changes<'_>,
        profile: &str,
        node: &str,
        profile_name: &str,
    ) -> Result<(), SampleError> {
        let Some(server) = self
            .old
            .expected
            .was
            .servers
            .iter()
            .find(|s| s.node == node)
        else {
            return Ok(());
        };
        ch.put(
            &format!(
                "{profile}/logs/ffdc/{}_{}_24.10.15_08.00.00.0000001.txt",
                server.name,
                // its own stream: the draws of the other changes stay as they were
                Rng::derive(self.old.seed, &format!("ffdc-{profile_name}")).hex(8)
            ),
            "Exception = com.ibm.connections.update.UpgradeException\nSource = \
             com.ibm.connections.update.ProfileUpgrade\n",
        )?;
        ch.put(
            &format!("{profile}/logs/{}/SystemErr.log", server.name),
            "[10/15/24 8:00:00:000 UTC] 00000042 SystemErr R CLFRP0042E: update failed\n",
        )
    }

    /// Shared data, provision (half of the bundles replaced), customization, local data,
    /// and content wherever the variables put it (inside or outside the roots).
    fn data(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let (old, new) = (self.old, self.new);
        let e = &old.expected;
        let prov = &e.data.provision_path;
        let old_stamp = bundle_stamp(
            &level(&e.connections.offering_version),
            &old.build_date,
            &old.build_time,
        );
        let new_stamp = bundle_stamp(
            &level(&new.expected.connections.offering_version),
            &new.build_date,
            &new.build_time,
        );
        for (i, b) in WEBRESOURCE_BUNDLES.iter().enumerate() {
            // The update got through half of the bundles before it failed.
            if i % 2 == 0 {
                ch.remove(&format!("{prov}/webresources/{b}_{old_stamp}.jar"))?;
            }
        }
        let new_bundles: Vec<String> = WEBRESOURCE_BUNDLES
            .iter()
            .map(|b| format!("{prov}/webresources/{b}_{new_stamp}.jar"))
            .collect();
        let (tree, scale) = (ch.tree, &self.scale);
        ch.track(&new_bundles, || {
            write_provision(tree, new, scale, &new_stamp)
        })?;
        ch.put(
            &format!(
                "{}/common/nav/templates/header.jsp",
                e.data.customization_path
            ),
            "<%-- default header restored by the update --%>\n",
        )?;
        let vars = &e.data.variables;
        if let Some(stats) = vars.get("ACTIVITIES_STATS_DIR") {
            ch.put(
                &format!(
                    "{stats}/migration-{}.csv",
                    new.expected.connections.offering_version
                ),
                "step,status\nschema,failed\n",
            )?;
        }
        if let Some(idx) = vars.get("SEARCH_INDEX_DIR") {
            ch.remove(&format!("{idx}/INDEX.READY"))?;
            ch.put(&format!("{idx}/files/segments_1"), self.rng.bytes(80))?;
        }
        ch.remove(&format!("{}/search/staging/.keep", e.data.shared_root))?;
        self.content(ch)
    }

    /// Content and state wherever the variables put them.
    fn content(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let e = &self.old.expected;
        let vars = &e.data.variables;
        let rng = &mut self.rng;
        if let Some(store) = vars.get("MESSAGE_STORE_PATH") {
            ch.put(
                &format!("{store}/PushStore/log-{}.dat", rng.hex(6)),
                rng.bytes(256),
            )?;
        }
        if let Some(wikis) = vars.get("WIKIS_CONTENT_DIR") {
            ch.put(&format!("{wikis}/0/{}", rng.hex(32)), rng.text(300))?;
        }
        if let Some(dict) = vars.get("SEARCH_DICTIONARY_DIR") {
            ch.put(&format!("{dict}/dictionary.dic"), rng.text(520))?;
        }
        if let Some(storage) = &e.connections.ccm.storage_dir {
            ch.put(
                &format!(
                    "{storage}/objectstore/content/FN0/FN0/{{{}}}-0.dat",
                    rng.hex(32).to_ascii_uppercase()
                ),
                rng.bytes(self.scale.upload_bytes),
            )?;
            ch.remove(&format!("{storage}/fn_gcd.lock"))?;
        }
        Ok(())
    }

    /// The update regenerated the web server plug-in's configuration and left the IBM HTTP
    /// Server configuration pointing at a module of the next CR (files rewritten, none
    /// added: a plain path restore writes files back but removes none).
    fn web_server(&mut self, ch: &mut Changes<'_>) -> Result<(), SampleError> {
        let plugin = "/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml";
        let conf = "/opt/IBM/HTTPServer/conf/httpd.conf";
        for path in [plugin, conf] {
            let mut text = std::fs::read_to_string(ch.tree.real(path))
                .map_err(|e| SampleError::io(&ch.tree.real(path), e))?;
            text.push_str(&format!(
                "<!-- regenerated by the update to {} -->\n",
                self.new.expected.connections.offering_version
            ));
            ch.put(path, text)?;
        }
        Ok(())
    }

    /// Every database's (or Oracle schema's) stand-in state claims the next CR's schema and
    /// holds a failed upgrade log. Returns what it touched.
    fn databases(&self, tree: &Tree) -> Result<Vec<String>, SampleError> {
        let mut touched = vec![];
        for db in &self.old.expected.databases {
            for (owner, base) in owner_dirs(db) {
                tree.write(
                    &format!("{base}/schema_version"),
                    format!("{}\n", self.new.expected.connections.offering_version),
                )?;
                tree.write(
                    &format!("{base}/tables/UPGRADE_LOG.dat"),
                    "1|schema upgrade started|failed\n",
                )?;
                touched.push(if owner.is_empty() {
                    db.name.clone()
                } else {
                    format!("{}/{owner}", db.name)
                });
            }
        }
        Ok(touched)
    }
}

/// Simulates an update to the next CR that failed half-way: the version evidence
/// (`installed.xml`, `installRegistry.xml`, `version/*.efix`, `LC.product`, LCC
/// `buildlevel`, the uninstall launcher's `Build:` line) claims the next CR, and files in
/// the install, the profiles, shared and local data, `provision` and the IIM directories were
/// added, changed or removed; every database's stand-in state was modified. Servers are not
/// touched (stop them first, as an administrator would before updating).
///
/// On one host of a multi-host cell only what lives on that host changes (the update runs
/// on every host of the cell): the install on the deployment manager's host, the profiles,
/// IIM and data on the node hosts (the shared data is one export, changed by whichever
/// node host runs first), the plug-in configuration the update regenerated on the web
/// server's host, the databases on the database server.
pub fn simulate_failed_update(sample: &Sample) -> Result<UpdateReport, SampleError> {
    let tree = Tree::new(&sample.sysroot);
    let old = &sample.spec;
    let new = next_cr(old);
    let mut ch = Changes {
        tree: &tree,
        added: vec![],
        changed: vec![],
        removed: vec![],
    };
    let mut u = Update {
        old,
        new: &new,
        scale: Scale::of(sample.options.size),
        rng: Rng::derive(old.seed, "failed-update"),
    };
    if sample.holds(Piece::ConnectionsInstall) {
        u.install_evidence(&mut ch)?;
    }
    if sample.holds(Piece::InstallationManager) {
        u.iim_state(&mut ch)?;
    }
    if sample.holds(Piece::ConnectionsInstall) {
        u.install_tree(&mut ch)?;
    }
    if sample.holds(Piece::WebSphere) {
        u.profiles(&mut ch)?;
    }
    if sample.holds(Piece::Data) {
        u.data(&mut ch)?;
    }
    // a single-host sample has the web server's files too (its backups hold them as
    // web_server and web_plugin), but the update changes them only on the web server's
    // own host of a cell, where the regenerated plug-in configuration is propagated
    if sample
        .part
        .as_ref()
        .is_some_and(|p| p.holds(Piece::WebServer))
    {
        u.web_server(&mut ch)?;
    }
    let touched = if sample.holds(Piece::Databases) {
        u.databases(&tree)?
    } else {
        Vec::new()
    };

    let mut report = UpdateReport {
        from: claim(old),
        to: claim(&new),
        added: ch.added,
        changed: ch.changed,
        removed: ch.removed,
        databases_touched: touched,
    };
    report.added.sort();
    report.changed.sort();
    report.removed.sort();
    tracing::debug!(
        added = report.added.len(),
        changed = report.changed.len(),
        removed = report.removed.len(),
        "simulated failed update"
    );
    Ok(report)
}
