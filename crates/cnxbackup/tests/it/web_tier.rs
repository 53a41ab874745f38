//! The web tier through the real binary: IBM HTTP Server and the WebSphere plug-in of the
//! sample's `webserver1` discovered from the cell, backed up as `web_server` and
//! `web_plugin`, shown with their versions, changed, and restored equal; a web server
//! whose `httpd.conf` is gone stops the backup naming it.

use std::path::Path;

use runbook::manifest::StepStatus;
use sample::{Variant, IHS_ROOT, PLUGIN_ROOT, WEB_VERSION};

use crate::backup_common::Harness;
use crate::restore_common::{cnx, diff, listing};

/// The web tier's files of a sample sysroot (relative paths under it).
fn web_files(rel: &str) -> bool {
    let web = [IHS_ROOT, PLUGIN_ROOT];
    let inside = web.iter().any(|w| rel.starts_with(w) || w.starts_with(rel));
    // the IHS logs are not configuration (the plug-in's log directory is)
    !inside || rel.starts_with(&format!("{IHS_ROOT}/logs"))
}

#[test]
fn the_sample_web_server_is_discovered_backed_up_shown_and_restored_equal() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let manifest = h.snapshot("latest").manifest();
    let server = manifest
        .components
        .iter()
        .find(|c| c.component.name() == "web_server")
        .expect("a web_server component");
    assert_eq!(server.status, StepStatus::Ok, "{server:?}");
    assert_eq!(server.version.as_deref(), Some(WEB_VERSION));
    for p in [
        format!("{IHS_ROOT}/conf"),
        format!("{IHS_ROOT}/ssl/key.kdb"),
        format!("{IHS_ROOT}/ssl/key.sth"),
        format!("{IHS_ROOT}/ssl/key.rdb"),
    ] {
        assert!(server.paths.contains(&p), "{p} not in {:?}", server.paths);
    }
    let plugin = manifest
        .components
        .iter()
        .find(|c| c.component.name() == "web_plugin")
        .expect("a web_plugin component");
    assert_eq!(plugin.status, StepStatus::Ok, "{plugin:?}");
    assert_eq!(plugin.version.as_deref(), Some(WEB_VERSION));
    assert_eq!(
        plugin.paths,
        vec![
            format!("{PLUGIN_ROOT}/config/webserver1"),
            format!("{PLUGIN_ROOT}/logs/webserver1"),
        ]
    );

    let show = cnx(&h, &["show", "latest"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("web_server"), "{}", show.stdout);
    assert!(
        show.stdout.contains(&format!("version {WEB_VERSION}")),
        "{}",
        show.stdout
    );

    let root = h.sample.sysroot.clone();
    let before = listing(&root, &web_files);
    let real = |p: &str| root.join(p.trim_start_matches('/'));
    std::fs::write(
        real(&format!("{IHS_ROOT}/conf/httpd.conf")),
        "# broken by the update\n",
    )
    .unwrap();
    std::fs::remove_file(real(&format!("{IHS_ROOT}/ssl/key.sth"))).unwrap();
    std::fs::write(
        real(&format!("{PLUGIN_ROOT}/config/webserver1/plugin-cfg.xml")),
        "<Config/>\n",
    )
    .unwrap();
    std::fs::write(
        real(&format!(
            "{PLUGIN_ROOT}/config/webserver1/plugin-cfg.xml.new"
        )),
        "<Config/>\n",
    )
    .unwrap();
    assert!(!diff(&before, &listing(&root, &web_files)).is_empty());

    let r = cnx(
        &h,
        &["restore", "latest", "--only", "web_server,web_plugin"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let mut after = listing(&root, &web_files);
    // the key database's directory is no path of the component (its files are): putting
    // key.sth back into it gives the directory a new time, as any restore of a file would
    let ssl = format!("{IHS_ROOT}/ssl");
    if let (Some(a), Some(b)) = (after.get_mut(&ssl), before.get(&ssl)) {
        a.mtime_ns = b.mtime_ns;
    }
    assert!(
        diff(&before, &after).is_empty(),
        "{:?}",
        diff(&before, &after)
    );
}

#[test]
fn a_missing_httpd_conf_stops_the_backup_naming_it() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let conf = h
        .sample
        .sysroot
        .join(Path::new(IHS_ROOT).strip_prefix("/").unwrap())
        .join("conf/httpd.conf");
    std::fs::remove_file(&conf).unwrap();
    let run = h.backup(&[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{IHS_ROOT}/conf/httpd.conf")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("web_server"), "{}", run.stderr);
    assert_eq!(h.snapshot_count(), 0, "nothing is written");
}
