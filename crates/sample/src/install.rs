//! `connections_root` (version evidence, CCM, update installer) and the Installation
//! Manager directories (install, agent data with `installed.xml`, IMShared).

use crate::rng::Rng;
use crate::topology::{CcmLayout, Spec};
use crate::tree::Tree;
use crate::xml::esc;
use crate::{SampleError, Scale};

const APP_DIRS: &[&str] = &[
    "Activities",
    "Blogs",
    "Communities",
    "Dogear",
    "Files",
    "Forums",
    "Homepage",
    "Metrics",
    "Mobile",
    "Moderation",
    "News",
    "Profiles",
    "PushNotification",
    "Search",
    "Wikis",
];

pub(crate) fn write_connections_root(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
) -> Result<(), SampleError> {
    let c = &spec.expected.connections;
    let root = &c.root;
    let mut rng = Rng::derive(spec.seed, "connections-root");
    write_version_evidence(tree, spec)?;
    tree.script(
        format!("{root}/updateInstaller/updateSilent.sh").as_str(),
        &update_silent_script(root),
    )?;
    tree.write(
        format!("{root}/updateInstaller/version.txt").as_str(),
        "Update Installer 8.0.0.0 build 20230101\n",
    )?;
    tree.write(
        format!("{root}/updateInstaller/lib/updateinstaller.jar").as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.mkdir(format!("{root}/updateInstaller/fixes").as_str())?;
    for f in &spec.ifixes {
        tree.write(
            format!("{root}/updateInstaller/fixes/{}", f.jar_name).as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
    }
    for app in APP_DIRS {
        tree.write(
            format!("{root}/{app}/lib/lc.{}.jar", app.to_ascii_lowercase()).as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
    }
    tree.script(
        format!("{root}/ConfigEngine/ConfigEngine.sh").as_str(),
        "#!/bin/sh\necho 'ConfigEngine stand-in: nothing to do'\n",
    )?;
    tree.write(
        format!("{root}/ConfigEngine/properties/wkplc.properties").as_str(),
        format!(
            "WasUserid={}\nWasPassword=\nCellName={}\n",
            spec.expected.was.admin.username, spec.expected.was.cell
        ),
    )?;
    tree.write(
        format!("{root}/lib/lc.util.jar").as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.mkdir(format!("{root}/logs").as_str())?;
    tree.write(
        format!("{root}/logs/install.log").as_str(),
        rng.text(scale.log_bytes),
    )?;
    tree.write(
        format!("{root}/uninstall/uninstall.xml").as_str(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<agent-input/>\n",
    )?;

    if let Some(layout) = spec.ccm_layout {
        let base = match layout {
            CcmLayout::Addons => format!("{root}/addons/ccm"),
            CcmLayout::FileNet => format!("{root}/FileNet"),
        };
        let ear_dir = format!("{base}/ContentEngine/tools/configure/profiles/CCM/ear");
        tree.write(
            format!("{ear_dir}/Engine-ws.ear").as_str(),
            rng.bytes(scale.ear_bytes * 4),
        )?;
        tree.write(format!("{base}/ContentEngine/tools/configure/profiles/CCM/applicationserver.xml").as_str(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration><property name=\"ApplicationServerType\"><value>WebSphere</value></property></configuration>\n")?;
        tree.write(
            format!("{base}/ContentEngine/lib/Jace.jar").as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
        tree.write(
            format!("{base}/CEClient/lib/Jace.jar").as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
        if layout == CcmLayout::FileNet {
            tree.write(
                format!("{root}/FNCS/navigator.ear").as_str(),
                rng.bytes(scale.ear_bytes),
            )?;
        }
    }
    Ok(())
}

/// The version evidence that an update changes: `version/`, the uninstall launcher.
pub(crate) fn write_version_evidence(tree: &Tree, spec: &Spec) -> Result<(), SampleError> {
    let c = &spec.expected.connections;
    let root = &c.root;
    for f in &spec.ifixes {
        tree.write(
            format!("{root}/version/{}.efix", f.id).as_str(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE efix SYSTEM \"efix.dtd\">\n<efix id=\"{}\" short-description=\"{}\" build-version=\"{}\" build-date=\"{}\">\n  <component-update component-name=\"common\" update-type=\"patch\" primary-content=\"{}\"/>\n</efix>\n",
                esc(&f.id), esc(&f.short_description), esc(&f.build_version), esc(&f.build_date), esc(&f.jar_name)
            ),
        )?;
    }
    let brand = if spec.hcl {
        "HCL Connections"
    } else {
        "IBM Connections"
    };
    tree.write(
        format!("{root}/version/LC.product").as_str(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE product SYSTEM \"product.dtd\">\n<product name=\"{brand}\">\n  <id>LC</id>\n  <version>{}</version>\n  <build-info date=\"{}\" level=\"{}\"/>\n</product>\n",
            esc(&c.offering_version), spec.build_date, esc(&c.buildlevel)
        ),
    )?;
    for app in ["activities", "files", "profiles", "wikis"] {
        tree.write(
            format!("{root}/version/{app}.component").as_str(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<component name=\"{app}\" spec-version=\"{}\" build-version=\"{}.{}\"/>\n", esc(&c.offering_version), spec.build_date, spec.build_time),
        )?;
    }
    tree.script(
        format!("{root}/bin/uninstall-launcher.sh").as_str(),
        &format!(
            "#!/bin/sh\n# {brand} uninstall launcher\n# Build: {} {}-{}\n# Licensed Materials - Property of {}\nIMCL=\"{}/eclipse/tools/imcl\"\nexec \"$IMCL\" uninstall com.ibm.connections_{} -installationDirectory \"{}\" \"$@\"\n",
            c.launcher_build,
            spec.build_date,
            spec.build_time,
            if spec.hcl { "HCL" } else { "IBM" },
            spec.expected.installation_manager.install_dir,
            c.offering_version,
            root
        ),
    )?;
    Ok(())
}

fn update_silent_script(root: &str) -> String {
    format!(
        "#!/bin/bash\n# cnxbackup sample stand-in for the Connections Update Installer.\n# Supports: updateSilent.sh -fix -installDir <connections_root>  (lists installed fixes)\nSYSROOT_ROOT=\"$(cd \"$(dirname \"$0\")/..\" && pwd)\"\nif [[ \" $* \" == *\" -fix \"* && \" $* \" != *\" -uninstall \"* && \" $* \" != *\" -install \"* ]]; then\n  echo \"Installed fixes in {root}:\"\n  for f in \"$SYSROOT_ROOT\"/version/*.efix; do\n    [ -e \"$f\" ] || continue\n    id=$(basename \"$f\" .efix)\n    echo \"Fix name: $id\"\n  done\n  echo \"UpdateInstaller.puiReturnCode is 0\"\n  exit 0\nfi\necho \"UpdateInstaller: this stand-in only lists fixes (-fix -installDir DIR)\" >&2\necho \"UpdateInstaller.puiReturnCode is 1\"\nexit 1\n"
    )
}

pub(crate) fn write_iim(tree: &Tree, spec: &Spec, scale: &Scale) -> Result<(), SampleError> {
    let im = &spec.expected.installation_manager;
    let mut rng = Rng::derive(spec.seed, "iim");
    tree.write(
        format!("{}/eclipse/IBMIM", im.install_dir).as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.write(
        format!("{}/eclipse/configuration/config.ini", im.install_dir).as_str(),
        format!(
            "cic.appDataLocation={}\nosgi.bundles=org.eclipse.equinox.common@2:start\n",
            im.data_dir
        ),
    )?;
    tree.script(
        format!("{}/eclipse/tools/imcl", im.install_dir).as_str(),
        &imcl_script(spec),
    )?;
    tree.write(
        format!(
            "{}/eclipse/plugins/com.ibm.cic.agent.core_{}.jar",
            im.install_dir, spec.iim_version
        )
        .as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.write(
        format!("{}/license/notices.txt", im.install_dir).as_str(),
        rng.text(256),
    )?;

    write_iim_state(tree, spec)?;
    tree.write(
        format!("{}/.settings/com.ibm.cic.agent.core.prefs", im.data_dir).as_str(),
        "eclipse.preferences.version=1\nRepositoryIsOpen=false\nofferingServiceRepositoriesAreUsed=false\n",
    )?;
    tree.write(
        format!("{}/logs/20230614_1011.xml", im.data_dir).as_str(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log>{}</log>\n",
            esc(&String::from_utf8_lossy(&rng.text(scale.log_bytes)))
        ),
    )?;
    tree.mkdir_mode(format!("{}/histories", im.data_dir).as_str(), 0o700)?;
    tree.write(
        format!(
            "{}/plugins/com.ibm.connections.offering_{}.jar",
            im.shared_dir, spec.expected.connections.offering_version
        )
        .as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.write(
        format!(
            "{}/plugins/com.ibm.websphere.ND.v85_{}.jar",
            im.shared_dir, spec.was_package_version
        )
        .as_str(),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.mkdir(format!("{}/features", im.shared_dir).as_str())?;
    tree.mkdir(format!("{}/native", im.shared_dir).as_str())?;
    write_iim_registry(tree, spec, &im.install_dir, im.non_root_user.as_deref())?;
    if let Some(other) = &spec.other_iim {
        write_other_iim(tree, spec, other, scale)?;
    }
    Ok(())
}

/// IIM's registry file (`InstallationManager.dat`): where the install is. Its agent data
/// directory is the install's `config.ini` `cic.appDataLocation`.
fn write_iim_registry(
    tree: &Tree,
    spec: &Spec,
    install_dir: &str,
    user: Option<&str>,
) -> Result<(), SampleError> {
    tree.write(
        &crate::topology::iim_registry_file(user),
        format!(
            "#Wed Jun 14 10:11:12 UTC 2023\nlocation={install_dir}/eclipse\nlauncher={install_dir}/eclipse/IBMIM\nversion={}\n",
            spec.iim_version
        ),
    )
}

/// An admin IIM that installed only IBM HTTP Server (not Connections).
fn write_other_iim(
    tree: &Tree,
    spec: &Spec,
    o: &crate::topology::OtherIim,
    scale: &Scale,
) -> Result<(), SampleError> {
    let mut rng = Rng::derive(spec.seed, "other-iim");
    tree.write(
        &format!("{}/eclipse/IBMIM", o.install),
        rng.bytes(scale.jar_bytes),
    )?;
    tree.write(
        &format!("{}/eclipse/configuration/config.ini", o.install),
        format!("cic.appDataLocation={}\n", o.data),
    )?;
    let (id, name, version, path) = o.package;
    tree.write(
        &format!("{}/installed.xml", o.data),
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<installInfo>\n  <location id='IBM Installation Manager' path='{}/eclipse' kind='im'>\n    <package kind='im' name='IBM Installation Manager' id='com.ibm.cic.agent' version='{iim}' arch='x86_64'/>\n  </location>\n  <location id='IBM HTTP Server V8.5' path='{path}' kind='product'>\n    <package kind='offering' name='{name}' id='{id}' version='{version}' arch='x86_64'/>\n  </location>\n</installInfo>\n",
            o.install,
            iim = spec.iim_version,
        ),
    )?;
    tree.write(
        &format!("{}/installRegistry.xml", o.data),
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<installRegistry>\n  <profile id='IBM HTTP Server V8.5' kind='product'>\n    <property name='installLocation' value='{path}'/>\n    <property name='cacheLocation' value='{}'/>\n    <offering id='{id}'>\n      <version value='{version}' repoInfo='repositoryUrl=/tmp/IHS/repository.config,repositoryId=0'/>\n    </offering>\n  </profile>\n</installRegistry>\n",
            o.shared
        ),
    )?;
    tree.write(
        &format!("{}/plugins/{id}_{version}.jar", o.shared),
        rng.bytes(scale.jar_bytes),
    )?;
    write_iim_registry(tree, spec, o.install, None)
}

/// `installed.xml` and `installRegistry.xml` (what an update rewrites).
pub(crate) fn write_iim_state(tree: &Tree, spec: &Spec) -> Result<(), SampleError> {
    let e = &spec.expected;
    let im = &e.installation_manager;
    let c = &e.connections;
    let features = spec.features.join(",");
    let installed = format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type='text/xsl' href='installed.xsl'?>\n<installInfo>\n  <location id='IBM Installation Manager' path='{im_path}/eclipse' kind='im'>\n    <package kind='im' name='IBM Installation Manager' id='com.ibm.cic.agent' version='{iim}' arch='x86_64'/>\n  </location>\n  <location id='IBM WebSphere Application Server V8.5' path='{asr}' kind='product'>\n    <package kind='offering' name='IBM WebSphere Application Server Network Deployment' id='com.ibm.websphere.ND.v85' version='{was}' arch='x86_64'/>\n    <package kind='offering' name='IBM WebSphere SDK Java Technology Edition (Optional)' id='com.ibm.websphere.IBMJAVA.v80' version='8.0.8005.20230322_1004' arch='x86_64'/>\n  </location>\n  <location id='{pid}' path='{root}' kind='product'>\n    <package kind='offering' name='{pid}' id='com.ibm.connections' version='{ver}' features='{features}' arch='x86_64'/>\n  </location>\n</installInfo>\n",
        im_path = esc(&im.install_dir),
        iim = spec.iim_version,
        asr = esc(&e.was.app_server_root),
        was = spec.was_package_version,
        pid = esc(&c.iim_profile_id),
        root = esc(&c.root),
        ver = esc(&c.offering_version),
    );
    tree.write(format!("{}/installed.xml", im.data_dir).as_str(), installed)?;
    let registry = format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<installRegistry>\n  <profile id='IBM WebSphere Application Server V8.5' kind='product'>\n    <property name='installLocation' value='{asr}'/>\n    <property name='cic.selector.arch' value='x86_64'/>\n    <offering id='com.ibm.websphere.ND.v85'>\n      <version value='{was}' repoInfo='repositoryUrl=/tmp/WAS855/repository.config,repositoryId=0'/>\n    </offering>\n  </profile>\n  <profile id='{pid}' kind='product'>\n    <property name='installLocation' value='{root}'/>\n    <property name='cic.selector.arch' value='x86_64'/>\n    <property name='user.contentStore.shared.path' value='{shared}'/>\n    <property name='user.contentStore.local.path' value='{local}'/>\n    <property name='user.was.install.location' value='{asr}'/>\n    <property name='cacheLocation' value='{cache}'/>\n    <offering id='com.ibm.connections' features='{features}'>\n      <version value='{ver}' repoInfo='repositoryUrl=/tmp/{kit}/repository.config,repositoryId=0'/>\n    </offering>\n  </profile>\n</installRegistry>\n",
        asr = esc(&e.was.app_server_root),
        was = spec.was_package_version,
        pid = esc(&c.iim_profile_id),
        root = esc(&c.root),
        shared = esc(&e.data.shared_root),
        local = esc(&e.data.local_root),
        ver = esc(&c.offering_version),
        kit = esc(&c.offering_version.replace("0.0_", "")),
        cache = esc(&im.shared_dir),
    );
    tree.write(
        format!("{}/installRegistry.xml", im.data_dir).as_str(),
        registry,
    )?;
    Ok(())
}

fn imcl_script(spec: &Spec) -> String {
    let data = &spec.expected.installation_manager.data_dir;
    format!(
        "#!/bin/bash\n# cnxbackup sample stand-in for IBM Installation Manager imcl.\n# Supports: imcl listInstalledPackages  (prints id_version per package)\nHERE=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\nSYSROOT=\"${{HERE%{install}/eclipse/tools}}\"\nDATA=\"$SYSROOT{data}\"\ncase \"$1\" in\n  listInstalledPackages)\n    grep -o \"id='[^']*' version='[^']*'\" \"$DATA/installed.xml\" | sed -e \"s/id='\\([^']*\\)' version='\\([^']*\\)'/\\1_\\2/\"\n    ;;\n  version)\n    echo 'Installation Manager (install)'\n    echo 'Version: {iim}'\n    ;;\n  *)\n    echo \"CRIMC1029E: imcl stand-in supports only listInstalledPackages and version\" >&2\n    exit 1\n    ;;\nesac\n",
        install = spec.expected.installation_manager.install_dir,
        iim = spec.iim_version,
    )
}
