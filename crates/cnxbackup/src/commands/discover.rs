//! `cnxbackup discover`: find the deployment and print it (a summary, or the whole
//! `Deployment` with `--json`).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::Args;
use connections::deployment::{Deployment, Provenance};
use connections::discover::{discover, DiscoverOptions};
use websphere::Sysroot;

use super::Context;

#[derive(Debug, Args)]
pub struct DiscoverArgs {}

/// The sysroot of the context as the readers want it.
pub fn sysroot(ctx: &Context) -> anyhow::Result<Sysroot> {
    Sysroot::new(&ctx.sysroot).with_context(|| format!("sysroot {}", ctx.sysroot.display()))
}

/// Runs discovery with the configured overrides. A required input that cannot be read is
/// an error (exit 1) naming the file and line.
pub fn discover_deployment(ctx: &Context) -> anyhow::Result<Deployment> {
    let sys = sysroot(ctx)?;
    let d = &ctx.loaded.config.deployment;
    let opts = DiscoverOptions {
        app_server_root: d.app_server_root.as_ref().map(|p| p.display().to_string()),
        connections_root: d.connections_root.as_ref().map(|p| p.display().to_string()),
    };
    Ok(discover(&sys, &opts)?)
}

pub fn run(ctx: &Context, _args: &DiscoverArgs) -> anyhow::Result<()> {
    let deployment = discover_deployment(ctx)?;
    if ctx.out.json {
        for w in &deployment.warnings {
            eprintln!("warning: {w}");
        }
    }
    ctx.out.result(&summary(&deployment), &deployment)
}

fn marker(d: &Deployment, key: &str) -> String {
    match d.provenance.get(key) {
        Some(Provenance { assumed: true, .. }) => "  [assumed]".to_string(),
        Some(p) => format!("  [{}]", p.source),
        None => String::new(),
    }
}

/// The human summary.
pub fn summary(d: &Deployment) -> String {
    let mut s = String::new();
    let v = &d.connections.version;
    let _ = writeln!(
        s,
        "Cell {} — WebSphere {} at {}{}",
        d.was.cell,
        d.was.version.as_deref().unwrap_or("(version unknown)"),
        d.was.app_server_root,
        marker(d, "was.app_server_root")
    );
    let release = v
        .release
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(unknown)".into());
    let cr = v.cr.map(|c| format!(" CR{c}")).unwrap_or_default();
    let offering = v
        .offering
        .as_ref()
        .map(|o| format!(" ({o})"))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "Connections {release}{cr}{offering} at {}{}",
        d.connections.root,
        marker(d, "connections.root")
    );
    if v.ifixes.is_empty() {
        let known = if v.ifixes_known { "none" } else { "unknown" };
        let _ = writeln!(s, "  iFixes: {known}");
    } else {
        let ids: Vec<&str> = v.ifixes.iter().map(|i| i.as_str()).collect();
        let _ = writeln!(s, "  iFixes: {}", ids.join(", "));
    }
    let ev = &v.evidence;
    let mut sources = Vec::new();
    if let Some(e) = &ev.iim {
        sources.push(format!("installed.xml {}", e.value));
    }
    if let Some(e) = &ev.launcher {
        sources.push(format!("uninstall-launcher.sh {}", e.value));
    }
    if let Some(e) = &ev.buildlevel {
        sources.push(format!("buildlevel {}", e.value));
    }
    if let Some(e) = &ev.ifixes {
        sources.push(format!("{} .efix files", e.value.len()));
    }
    let _ = writeln!(
        s,
        "  evidence: {}{}",
        if sources.is_empty() {
            "none".to_string()
        } else {
            sources.join("; ")
        },
        if v.conflicts.is_empty() {
            ""
        } else {
            " — SOURCES DISAGREE, see warnings"
        }
    );
    let ccm = &d.connections.ccm;
    if ccm.installed {
        let _ = writeln!(
            s,
            "  CCM: installed; Engine-ws.ear in {}{}; storage {}; FileNet databases: {}",
            ccm.engine_ws_ear_dir.as_deref().unwrap_or("?"),
            if ccm.engine_ws_ear_found {
                ""
            } else {
                " (not found)"
            },
            ccm.storage_area.as_deref().unwrap_or("?"),
            if ccm.databases.is_empty() {
                "none found".to_string()
            } else {
                ccm.databases.join(", ")
            }
        );
    } else {
        let _ = writeln!(s, "  CCM: not installed");
    }

    let _ = writeln!(s, "Profiles:");
    for p in &d.was.profiles {
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<12} {:<10} {}{}{}",
            p.name,
            kind,
            p.path,
            p.node
                .as_ref()
                .map(|n| format!("  node {n}"))
                .unwrap_or_default(),
            if p.exists { "" } else { "  (missing)" }
        );
    }
    let _ = writeln!(s, "Nodes and servers:");
    for n in &d.was.nodes {
        let _ = writeln!(
            s,
            "  {} on {}{}",
            n.name,
            n.host.as_deref().unwrap_or("(host unknown)"),
            n.profile
                .as_ref()
                .map(|p| format!(" (profile {p})"))
                .unwrap_or_default()
        );
        for sv in &n.servers {
            let kind = serde_json::to_value(sv.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "    {:<24} {:<20}{}",
                sv.name,
                kind,
                sv.cluster
                    .as_ref()
                    .map(|c| format!(" cluster {c}"))
                    .unwrap_or_default()
            );
        }
    }
    if !d.was.clusters.is_empty() {
        let list: Vec<String> = d
            .was
            .clusters
            .iter()
            .map(|c| format!("{} ({} members)", c.name, c.members.len()))
            .collect();
        let _ = writeln!(s, "Clusters: {}", list.join(", "));
    }
    let _ = writeln!(s, "Data:");
    for (label, value, key) in [
        ("shared", &d.data.shared_root, "data.shared_root"),
        ("local", &d.data.local_root, "data.local_root"),
        ("provision", &d.data.provision, "data.provision"),
        ("customization", &d.data.customization, "data.customization"),
    ] {
        let _ = writeln!(s, "  {label:<14} {value}{}", marker(d, key));
    }
    let fa = &d.filenet_admin;
    let _ = writeln!(
        s,
        "filenetAdmin: {}",
        match (&fa.user_id, fa.in_file_registry) {
            (None, _) => "no J2C alias".to_string(),
            (Some(u), true) => format!("{u} (local file-registry user)"),
            (Some(u), false) => format!("{u} (LDAP user)"),
        }
    );
    let im = &d.installation_manager;
    let _ = writeln!(
        s,
        "Installation Manager: install {}{}, data {}{}, shared {}{}{}",
        im.install_dir,
        marker(d, "installation_manager.install_dir"),
        im.data_dir,
        marker(d, "installation_manager.data_dir"),
        im.shared_dir,
        marker(d, "installation_manager.shared_dir"),
        im.non_root_user
            .as_ref()
            .map(|u| format!(" (non-root: {u})"))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "Databases:");
    for db in &d.databases {
        let _ = writeln!(
            s,
            "  {:<9} {:<10} {}:{}{}",
            db.vendor.to_string(),
            db.name,
            db.host.as_deref().unwrap_or("?"),
            db.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            if db.schemas.is_empty() {
                String::new()
            } else {
                format!("  schemas {}", db.schemas.join(", "))
            }
        );
    }
    let _ = writeln!(
        s,
        "Role mappings: {} applications with bindings",
        d.role_mappings.len()
    );
    if !d.warnings.is_empty() {
        let _ = writeln!(s, "Warnings:");
        for w in &d.warnings {
            let _ = writeln!(s, "  ! {w}");
        }
    }
    s
}
