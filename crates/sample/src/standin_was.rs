//! Runnable stand-ins for the WebSphere control scripts of every profile
//! (`startServer.sh`, `stopServer.sh`, `startNode.sh`, `stopNode.sh`, `startManager.sh`,
//! `stopManager.sh`, `serverStatus.sh`, `wsadmin.sh`).
//!
//! Each `<profile>/bin/<tool>.sh` is a two-line wrapper calling one shared bash library in
//! the sample's state directory. A started server is a real background process whose
//! command line looks like a WebSphere JVM (it names the profile path and ends in the server
//! name), which writes `logs/<server>/<server>.pid` itself and removes it when it stops.

use crate::apps::wsadmin_role_view;
use crate::expected::ServerType;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::SampleError;

/// Product path of the sample's own state (stand-in library, knobs, DB state).
pub const STATE_DIR: &str = "/var/lib/cnxbackup-sample";
/// Product path of the sample's call logs.
pub const LOG_DIR: &str = "/var/log/cnxbackup-sample";

/// The scripts every profile's `bin/` gets.
pub const PROFILE_SCRIPTS: &[&str] = &[
    "startServer",
    "stopServer",
    "startNode",
    "stopNode",
    "startManager",
    "stopManager",
    "serverStatus",
    "wsadmin",
];

/// Quotes a string for bash single quotes.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub(crate) fn write_was_standins(
    tree: &Tree,
    spec: &Spec,
    sysroot: &str,
) -> Result<(), SampleError> {
    let e = &spec.expected;
    tree.script(
        &format!("{STATE_DIR}/lib/wasctl.sh"),
        &wasctl_script(sysroot),
    )?;
    tree.script(&format!("{STATE_DIR}/lib/jvm.sh"), JVM_SCRIPT)?;
    tree.mkdir(&format!("{STATE_DIR}/knobs"))?;
    tree.mkdir(LOG_DIR)?;
    tree.write_mode(
        &format!("{STATE_DIR}/was/credentials"),
        format!("{}\n{}\n", e.was.admin.username, e.was.admin.password()),
        0o600,
    )?;
    let mut apps = String::new();
    for app in &e.applications {
        apps.push_str(&app.name);
        apps.push('\n');
        let roles = e.role_mappings.get(&app.name).cloned().unwrap_or_default();
        tree.write(
            &format!("{STATE_DIR}/was/roles/{}.txt", app.name),
            wsadmin_role_view(&roles),
        )?;
    }
    tree.write(&format!("{STATE_DIR}/was/apps.txt"), apps)?;
    for p in &e.was.profiles {
        let env = format!(
            "PROFILE_PRODUCT={}\nASR_PRODUCT={}\nCELL={}\nNODE={}\n",
            sh_quote(&p.path),
            sh_quote(&e.was.app_server_root),
            sh_quote(&e.was.cell),
            sh_quote(&p.node)
        );
        tree.write(&format!("{STATE_DIR}/was/profiles/{}.env", p.name), env)?;
        let mut servers = String::new();
        for s in e.was.servers.iter().filter(|s| s.node == p.node) {
            let label = match s.server_type {
                ServerType::DeploymentManager => "DEPLOYMENT_MANAGER",
                ServerType::NodeAgent => "NODE_AGENT",
                ServerType::ApplicationServer => "APPLICATION_SERVER",
                ServerType::WebServer => "WEB_SERVER",
            };
            servers.push_str(&format!("{} {label}\n", s.name));
        }
        tree.write(
            &format!("{STATE_DIR}/was/profiles/{}.servers", p.name),
            servers,
        )?;
        for tool in PROFILE_SCRIPTS {
            tree.script(
                &format!("{}/bin/{tool}.sh", p.path),
                &format!(
                    "#!/bin/bash\n# WebSphere Application Server {tool}.sh for profile {} (cnxbackup sample stand-in).\nexec /bin/bash {} {tool} {} \"$@\"\n",
                    p.name,
                    sh_quote(&format!("{sysroot}{STATE_DIR}/lib/wasctl.sh")),
                    sh_quote(&p.name)
                ),
            )?;
        }
    }
    Ok(())
}

const JVM_SCRIPT: &str = include_str!("scripts/jvm.sh");

fn wasctl_script(sysroot: &str) -> String {
    format!(
        "#!/bin/bash\nSYSROOT={}\n{}",
        sh_quote(sysroot),
        WASCTL_BODY
    )
}

const WASCTL_BODY: &str = include_str!("scripts/wasctl.sh");
