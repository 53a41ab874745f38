//! The web tier's steps: IBM HTTP Server (`web_server`) and the WebSphere plug-in
//! (`web_plugin`) of the web servers whose install is on this host. The documented
//! procedure has no step for them (the update regenerates and propagates the plug-in
//! configuration, and the web server's files live on another host), so they are numbered
//! `web`.

use connections::deployment::{Deployment, WebServer};

use super::{Component, Step};

/// The step number the plan shows for the web tier.
pub const WEB_STEP: &str = "web";

/// Both web tier steps, run when a web server of the cell is installed on this host.
pub(super) fn web_steps(d: &Deployment) -> Vec<Step> {
    let here: Vec<&WebServer> = d.web_servers.iter().filter(|w| w.on_this_host).collect();
    let mut server = Step::files(
        WEB_STEP,
        "back up IBM HTTP Server's configuration, key databases and IIM state",
        Component::WebServer,
        union(here.iter().map(|w| &w.server_paths)),
    );
    let mut plugin = Step::files(
        WEB_STEP,
        "back up the WebSphere plug-in's configuration, key database and logs",
        Component::WebPlugin,
        union(here.iter().map(|w| &w.plugin_paths)),
    );
    server.version = versions(here.iter().map(|w| w.version.as_deref()));
    plugin.version = versions(here.iter().map(|w| w.plugin_version.as_deref()));
    if here.is_empty() {
        let reason = elsewhere(d);
        return vec![server.skip(reason.clone()), plugin.skip(reason)];
    }
    let names: Vec<&str> = here.iter().map(|w| w.name.as_str()).collect();
    server.note = Some(format!("web server(s) {}", names.join(", ")));
    if plugin.paths.is_empty() {
        plugin = plugin.skip(
            "no WebSphere plug-in configuration found for the web server(s) on this host \
             (no WebSpherePluginConfig in httpd.conf and no plug-in install recorded)",
        );
    }
    vec![server, plugin]
}

/// Why the web tier is not backed up here: where the cell's web servers live, or that the
/// cell defines none.
fn elsewhere(d: &Deployment) -> String {
    if d.web_servers.is_empty() {
        return "the cell defines no web server, and no Installation Manager here records \
                IBM HTTP Server"
            .into();
    }
    let list: Vec<String> = d
        .web_servers
        .iter()
        .map(|w| match &w.host {
            Some(h) => format!("{} on {h}", w.name),
            None => w.name.clone(),
        })
        .collect();
    format!(
        "no web server is installed on this host ({}): back the web tier up on its own host",
        list.join(", ")
    )
}

fn union<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in lists.flatten() {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// The distinct versions, joined (`9.0.5.18`; two web servers at two levels show both).
fn versions<'a>(vs: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for v in vs.flatten() {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    (!out.is_empty()).then(|| out.join(", "))
}
