//! What the gate needs to know of the web tier: the versions of IBM HTTP Server and the
//! plug-in the backup recorded (the manifest's `topology.web_servers`) beside those
//! installed at the target now (their `properties/version/*.product`).

use std::path::Path;

use websphere::Sysroot;

use super::gate::WebVersion;
use super::select::Selection;
use crate::manifest::Manifest;
use crate::plan::Component;

/// Whether `c` is no Connections content (the web tier, the sync solution): on a host
/// without a Connections install its own version rule applies, not the release rule.
pub(super) fn outside_connections(c: Component) -> bool {
    matches!(
        c,
        Component::WebServer | Component::WebPlugin | Component::Tdi
    )
}

/// The versions of each selected web tier product: IHS for `web_server`, the plug-in for
/// `web_plugin`, per web server of the backup.
pub(super) fn web_versions(
    m: &Manifest,
    selection: &Selection,
    target: &Sysroot,
) -> Vec<WebVersion> {
    let mut out = Vec::new();
    for w in &m.topology.web_servers {
        if selection.has(Component::WebServer) {
            out.push(WebVersion {
                what: format!("IBM HTTP Server at {}", w.install_root),
                backup: w.version.clone(),
                target: connections::discover::web::installed_version(
                    target,
                    Path::new(&w.install_root),
                    "IHS",
                ),
            });
        }
        if let (true, Some(root)) = (
            selection.has(Component::WebPlugin),
            w.plugin_install_root.as_ref(),
        ) {
            out.push(WebVersion {
                what: format!("the WebSphere plug-in at {root}"),
                backup: w.plugin_version.clone(),
                target: connections::discover::web::installed_version(
                    target,
                    Path::new(root),
                    "PLG",
                ),
            });
        }
    }
    out
}
