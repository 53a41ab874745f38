//! What the web tier's steps cover: the paths and versions of the web servers (IBM HTTP
//! Server and the WebSphere plug-in) installed on this host, or where the cell's web servers
//! live when none is.

use connections::deployment::{Deployment, WebServer};

/// The step number the plan shows for the web tier.
pub const WEB_STEP: &str = "web";

/// What the web tier's two steps cover on this host.
pub(super) struct WebTier {
    /// `web_server`'s paths, every web server installed here together.
    pub server_paths: Vec<String>,
    /// `web_plugin`'s paths.
    pub plugin_paths: Vec<String>,
    /// IHS version(s).
    pub server_version: Option<String>,
    /// Plug-in version(s).
    pub plugin_version: Option<String>,
    /// The web servers installed here, by name; empty: none.
    pub here: Vec<String>,
    /// Why nothing is backed up here, when no web server is installed here.
    pub elsewhere: String,
}

/// The web tier of `d` as this host holds it.
pub(super) fn web_tier(d: &Deployment) -> WebTier {
    let here: Vec<&WebServer> = d.web_servers.iter().filter(|w| w.on_this_host).collect();
    WebTier {
        server_paths: union(here.iter().map(|w| &w.server_paths)),
        plugin_paths: union(here.iter().map(|w| &w.plugin_paths)),
        server_version: versions(here.iter().map(|w| w.version.as_deref())),
        plugin_version: versions(here.iter().map(|w| w.plugin_version.as_deref())),
        here: here.iter().map(|w| w.name.clone()).collect(),
        elsewhere: elsewhere(d),
    }
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
