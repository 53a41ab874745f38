//! `cnxbackup discover`: find the deployment and print it (a summary, or the whole
//! `Deployment` with `--json`).

use std::fmt::Write as _;

use clap::Args;
use connections::deployment::{Deployment, Provenance};

use crate::context::Context;
use crate::ui::format::json_word;
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct DiscoverArgs {}

pub fn run(ctx: &Context, _args: &DiscoverArgs) -> anyhow::Result<()> {
    let deployment = ctx.discover_deployment()?;
    if ctx.out.json {
        for w in &deployment.warnings {
            eprintln!("warning: {w}");
        }
    }
    ctx.out
        .result(&summary(ctx.ui().stdout, &deployment), &deployment)
}

fn marker(d: &Deployment, key: &str) -> String {
    match d.provenance.get(key) {
        Some(Provenance { assumed: true, .. }) => "  [assumed]".to_string(),
        Some(p) => format!("  [{}]", p.source),
        None => String::new(),
    }
}

/// Where a value came from, for the tables (`assumed` when it is a documented default).
fn found_by(d: &Deployment, key: &str) -> String {
    match d.provenance.get(key) {
        Some(Provenance { assumed: true, .. }) => "assumed".to_string(),
        Some(p) => p.source.to_string(),
        None => "-".to_string(),
    }
}

/// The human summary: the cell and version first, then a table per kind of thing found.
pub fn summary(style: Style, d: &Deployment) -> String {
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
    let mut t = Grid::new(style, &["profile", "kind", "node", "path", "state"]);
    for p in &d.was.profiles {
        t.row(vec![
            p.name.as_str().into(),
            json_word(&p.kind).into(),
            p.node.as_deref().unwrap_or("-").into(),
            p.path.as_str().into(),
            t.status(if p.exists { "ok" } else { "missing" }),
        ]);
    }
    s.push_str(&t.render(2));
    let _ = writeln!(s, "Nodes and servers:");
    let mut t = Grid::new(
        style,
        &["node", "host", "profile", "server", "kind", "cluster"],
    );
    for n in &d.was.nodes {
        let host = n.host.as_deref().unwrap_or("(host unknown)");
        let profile = n.profile.as_deref().unwrap_or("-");
        if n.servers.is_empty() {
            t.row([n.name.as_str(), host, profile, "-", "-", "-"]);
        }
        for (i, sv) in n.servers.iter().enumerate() {
            // the node's columns once, on its first server
            let first = |v: &str| if i == 0 { v.to_string() } else { String::new() };
            t.row([
                first(&n.name),
                first(host),
                first(profile),
                sv.name.clone(),
                json_word(&sv.kind),
                sv.cluster.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
    }
    s.push_str(&t.render(2));
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
    let mut t = Grid::new(style, &["data", "path", "found by"]);
    for (label, value, key) in [
        ("shared", &d.data.shared_root, "data.shared_root"),
        ("local", &d.data.local_root, "data.local_root"),
        ("provision", &d.data.provision, "data.provision"),
        ("customization", &d.data.customization, "data.customization"),
    ] {
        t.row([label.to_string(), value.to_string(), found_by(d, key)]);
    }
    s.push_str(&t.render(2));
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
    for o in &im.others {
        let _ = writeln!(
            s,
            "  another Installation Manager (not backed up): data {}, installed {}",
            o.data_dir,
            if o.packages.is_empty() {
                "nothing".to_string()
            } else {
                o.packages.join(", ")
            }
        );
    }
    let _ = writeln!(s, "Databases:");
    if d.databases.is_empty() {
        let _ = writeln!(s, "  none found");
    } else {
        let mut t =
            Grid::new(style, &["vendor", "database", "host", "port", "schemas"]).right(&[3]);
        for db in &d.databases {
            t.row([
                db.vendor.to_string(),
                db.name.clone(),
                db.host.clone().unwrap_or_else(|| "?".into()),
                db.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                if db.schemas.is_empty() {
                    "-".to_string()
                } else {
                    db.schemas.join(", ")
                },
            ]);
        }
        s.push_str(&t.render(2));
    }
    let _ = writeln!(
        s,
        "Role mappings: {} applications with bindings",
        d.role_mappings.len()
    );
    if !d.warnings.is_empty() {
        let _ = writeln!(s, "Warnings:");
        for w in &d.warnings {
            let _ = writeln!(s, "  {} {w}", style.paint("!", crate::ui::Tone::Warn));
        }
    }
    s
}
