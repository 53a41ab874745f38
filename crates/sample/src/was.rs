//! WebSphere install (`app_server_root`) and profile directories (everything except the
//! control scripts, which `standin_was` writes).

use crate::expected::{ProfileType, ServerType};
use crate::rng::Rng;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::xml::esc;
use crate::{SampleError, Scale};

pub(crate) fn write_was(tree: &Tree, spec: &Spec, scale: &Scale) -> Result<(), SampleError> {
    let e = &spec.expected;
    let asr = &e.was.app_server_root;
    tree.write(
        format!("{asr}/properties/profileRegistry.xml").as_str(),
        profile_registry_xml(spec),
    )?;
    tree.write(
        format!("{asr}/properties/version/WAS.product").as_str(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE product PUBLIC \"productId\" \"product.dtd\">\n<product name=\"IBM WebSphere Application Server - ND\">\n  <id>ND</id>\n  <version>{}</version>\n  <build-info date=\"6/28/23\" level=\"cf242326.01\"/>\n</product>\n",
            esc(&e.was.version)
        ),
    )?;
    let mut rng = Rng::derive(spec.seed, "was-install");
    for jar in [
        "bootstrap.jar",
        "com.ibm.ws.runtime.jar",
        "rsadapter.rar",
        "j2ee.jar",
    ] {
        tree.write(
            format!("{asr}/lib/{jar}").as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
    }
    tree.script(
        format!("{asr}/java/8.0/bin/java").as_str(),
        "#!/bin/sh\necho 'java version \"1.8.0_381\"' >&2\necho 'IBM J9 VM (build 2.9, JRE 1.8.0 Linux amd64-64-Bit Compressed References)' >&2\n",
    )?;
    tree.symlink("8.0", format!("{asr}/java/default").as_str())?;
    tree.script(
        format!("{asr}/bin/versionInfo.sh").as_str(),
        &format!(
            "#!/bin/sh\n# cnxbackup sample stand-in for versionInfo.sh\ncat <<'EOT'\nWVER0010I: Copyright (c) IBM Corporation 2002, 2012; All rights reserved.\nWVER0012I: VersionInfo reporter version 1.15.1.48, dated 2/8/12\n\nInstallation\n--------------------------------------------------------------------------------\nProduct Directory        {asr}\nVersion Directory        {asr}/properties/version\n\nProduct List\n--------------------------------------------------------------------------------\nND                       installed\n\nInstalled Product\n--------------------------------------------------------------------------------\nName                  IBM WebSphere Application Server Network Deployment\nVersion               {}\nID                    ND\nArchitecture          x86-64 (64 bit)\nInstalled Features    IBM 64-bit WebSphere SDK for Java\n\nEnd Installation Status Report\nEOT\n",
            e.was.version
        ),
    )?;
    for t in ["management", "default", "managed"] {
        tree.write(
            format!("{asr}/profileTemplates/{t}/profile.xml").as_str(),
            format!("<profile template=\"{t}\"/>\n"),
        )?;
    }

    for p in &e.was.profiles {
        write_profile(tree, spec, scale, &p.name, &p.path, p.profile_type, &p.node)?;
    }
    Ok(())
}

fn profile_registry_xml(spec: &Spec) -> String {
    let e = &spec.expected;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><profiles>\n");
    for (i, p) in e.was.profiles.iter().enumerate() {
        let template = match p.profile_type {
            ProfileType::Dmgr => "management",
            _ => "default",
        };
        s.push_str(&format!(
            "    <profile isAReservationTicket=\"false\" isDefault=\"{}\" name=\"{}\" path=\"{}\" template=\"{}/profileTemplates/{template}\">\n        <augmentor template=\"{}/profileTemplates/{template}.lc\"/>\n    </profile>\n",
            i == 0,
            esc(&p.name),
            esc(&p.path),
            esc(&e.was.app_server_root),
            esc(&e.was.app_server_root),
        ));
    }
    s.push_str("</profiles>\n");
    s
}

#[allow(clippy::too_many_arguments)]
fn write_profile(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
    name: &str,
    path: &str,
    ty: ProfileType,
    node: &str,
) -> Result<(), SampleError> {
    let e = &spec.expected;
    let mut rng = Rng::derive(spec.seed, &format!("profile-{name}"));
    let type_name = match ty {
        ProfileType::Dmgr => "DEPLOYMENT_MANAGER",
        _ => "BASE",
    };
    tree.write(
        format!("{path}/properties/profileKey.metadata").as_str(),
        format!(
            "#Profile metadata\n#Wed Jun 14 10:11:12 UTC 2023\ncom.ibm.ws.profile.type={type_name}\ncom.ibm.ws.profile.name={name}\ncom.ibm.ws.profile.node={node}\ncom.ibm.ws.profile.cell={}\ncom.ibm.ws.profile.version={}\n",
            e.was.cell, e.was.version
        ),
    )?;
    tree.write(
        format!("{path}/properties/soap.client.props").as_str(),
        "#SOAP Client Security Enablement\ncom.ibm.SOAP.securityEnabled=true\ncom.ibm.SOAP.authenticationTarget=BasicAuth\ncom.ibm.SOAP.loginUserid=\ncom.ibm.SOAP.loginPassword=\ncom.ibm.SOAP.requestTimeout=180\n",
    )?;
    tree.write(
        format!("{path}/properties/ipc.client.props").as_str(),
        "#IPC Client Security Enablement\ncom.ibm.IPC.securityEnabled=true\ncom.ibm.IPC.authenticationTarget=BasicAuth\ncom.ibm.IPC.loginUserid=\ncom.ibm.IPC.loginPassword=\n",
    )?;
    tree.write(
        format!("{path}/properties/wsadmin.properties").as_str(),
        "com.ibm.ws.scripting.connectionType=SOAP\ncom.ibm.ws.scripting.port=8879\ncom.ibm.ws.scripting.host=localhost\ncom.ibm.ws.scripting.defaultLang=jython\n",
    )?;
    tree.mkdir_mode(format!("{path}/etc").as_str(), 0o700)?;
    tree.write_mode(
        format!("{path}/etc/key.p12").as_str(),
        rng.bytes(2_048),
        0o600,
    )?;
    tree.write_mode(
        format!("{path}/etc/trust.p12").as_str(),
        rng.bytes(1_536),
        0o600,
    )?;

    crate::cell::write_cell(tree, spec, scale, path)?;
    crate::apps::write_installed_apps(tree, spec, scale, path, node)?;

    // Logs of earlier runs, temp and wstemp content, empty transaction log dirs.
    tree.write(format!("{path}/logs/AboutThisProfile.txt").as_str(), format!("Application server environment to create: {type_name}\nLocation: {path}\nNode name: {node}\nCell name: {}\n", e.was.cell))?;
    tree.mkdir(format!("{path}/logs/ffdc").as_str())?;
    for s in e
        .was
        .servers
        .iter()
        .filter(|s| s.node == node && s.server_type != ServerType::WebServer)
    {
        let logs = format!("{path}/logs/{}", s.name);
        tree.write(
            format!("{logs}/SystemOut_23.06.14_10.11.12.log").as_str(),
            format!("************ Start Display Current Environment ************\nWebSphere Platform {} running with process name {}\\{}\\{}\n{}", e.was.version, e.was.cell, node, s.name, String::from_utf8_lossy(&rng.text(scale.log_bytes))),
        )?;
        tree.write(format!("{logs}/SystemErr.log").as_str(), "")?;
        tree.mkdir(
            format!(
                "{path}/tranlog/{}/{node}/{}/transaction/tranlog",
                e.was.cell, s.name
            )
            .as_str(),
        )?;
        tree.mkdir(
            format!(
                "{path}/tranlog/{}/{node}/{}/transaction/partnerlog",
                e.was.cell, s.name
            )
            .as_str(),
        )?;
        tree.write(
            format!("{path}/temp/{node}/{}/_sample/cache.bin", s.name).as_str(),
            rng.bytes(256),
        )?;
    }
    tree.write(
        format!("{path}/wstemp/{}/workspace/.metadata", rng.hex(8)).as_str(),
        rng.text(128),
    )?;
    tree.mkdir(format!("{path}/wstemp/anonymous{}", rng.hex(6)).as_str())?;
    tree.symlink(
        "../properties/wsadmin.properties",
        format!("{path}/bin/wsadmin.properties").as_str(),
    )?;
    Ok(())
}
