#![allow(clippy::unwrap_used)]

use super::view::NO_MANIFEST;
use super::{html, text};
use report::show::ShowReport;
use runbook::manifest::Manifest;
use serde_json::json;

use crate::ui::Style;

const HOSTILE: &str = "<script>alert('x')</script>";

/// A manifest with a database, role mappings, a failed step, and a hostile value in every
/// kind of field the renderers print (names, paths, messages, warnings).
fn manifest() -> Manifest {
    let doc = json!({
        "schema_version": 1,
        "backup_set": "20261127T120000Z-3f9a",
        "host": "cnx1",
        "cnxbackup_version": "0.1.0",
        "started_ns": 1_795_000_000_000_000_000_i64,
        "finished_ns": 1_795_000_083_000_000_000_i64,
        "status": "incomplete",
        "failed_steps": [{"procedure_step": "4", "title": "Back up the databases",
            "component": "databases", "database": "FILES", "message": "db2 failed"}],
        "connections": {
            "root": "/opt/IBM/Connections", "version": "8.0.0.0_CR3 + KB0102411",
            "fingerprint": {"release": "8.0", "offering": "8.0.0.0_CR3", "cr": 3,
                "ifixes": ["KB0102411"], "was_version": "9.0.5.14",
                "webresources_sha256": "ab".repeat(32)},
            "release": "8.0", "cr": 3, "ifixes": ["KB0102411"], "ifixes_known": true,
            "basis": "iim",
            "evidence": {
                "iim": {"source": "iim_installed",
                    "path": "/var/ibm/InstallationManager/installed.xml",
                    "value": "8.0.0.0_CR3"},
                "launcher": null, "buildlevel": null,
                "ifixes": {"source": "efix_files", "path": "/opt/IBM/Connections/version",
                    "value": ["KB0102411"]}
            },
            "conflicts": []
        },
        "topology": {
            "cell": "ICCell", "app_server_root": "/opt/IBM/WebSphere/AppServer",
            "connections_root": "/opt/IBM/Connections", "shared_data": "/opt/IBM/data/shared",
            "local_data": "/opt/IBM/data/local", "provision": "/opt/IBM/data/shared/provision",
            "customization": "/opt/IBM/data/shared/customization",
            "iim": {"install_dir": "/opt/IBM/InstallationManager",
                "data_dir": "/var/ibm/InstallationManager", "shared_dir": "/opt/IBM/IMShared"},
            "ccm_installed": false,
            "profiles": [{"name": "Dmgr01", "path": "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01",
                "type": "dmgr", "node": "DmgrNode"}],
            "servers": [{"node": "Node01", "server": "InfraCluster_server1",
                "type": "application_server", "host": "cnx1", "cluster": "InfraCluster"}]
        },
        "options": {"in_place_migration": false, "no_stop": false, "restart": false,
            "database_vendor": "db2", "tags": [HOSTILE]},
        "steps": [
            {"order": 1, "procedure_step": "2", "title": "Export role mappings",
             "action": "export_role_mappings", "component": "role_mappings", "status": "ok",
             "duration_ms": 40},
            {"order": 2, "procedure_step": "6d", "title": "Back up provision",
             "action": "backup_files", "component": "provision", "status": "ok",
             "duration_ms": 1500}
        ],
        "components": [
            {"component": "provision", "procedure_step": "6d",
             "paths": [format!("/opt/IBM/data/shared/provision/{HOSTILE}")], "excludes": [],
             "status": "ok", "files": 3, "dirs": 2, "bytes": 2048, "duration_ms": 1500,
             "warnings": []},
            {"component": "customizations", "procedure_step": "6c",
             "paths": ["/opt/IBM/data/shared/customization"], "excludes": [],
             "stored_with": "shared_data", "status": "partial", "files": 1, "dirs": 1,
             "bytes": 10, "duration_ms": 3, "warnings": ["a\u{1b}[31mfile changed"]}
        ],
        "databases": [
            {"database": "PEOPLEDB", "status": "ok", "stored_paths":
                ["/.cnxbackup/databases/PEOPLEDB/PEOPLEDB.0.db2inst1.DBPART000.20261127120000.001"],
             "image": {"database": "PEOPLEDB", "vendor": "db2", "mode": "offline",
                "files": [{"name": "PEOPLEDB.0.db2inst1.DBPART000.20261127120000.001",
                    "size": 4096, "sha256": "cd".repeat(32)}],
                "streamed": false, "vendor_timestamp": "20261127120000", "bytes": 4096,
                "verification": "db2ckbkp: Image Verification Complete - successful",
                "duration_ms": 2500, "command": "db2 backup database PEOPLEDB"}},
            {"database": "FILES", "status": "failed", "image": null, "stored_paths": [],
             "error": "db2 failed"}
        ],
        "role_mappings": {"sources": ["deployed bindings"], "applications": [
            {"application": "Homepage", "file": "/x/ibm-application-bnd.xml", "mappings": [
                {"role": "reader", "role_ref": null, "everyone": true,
                 "all_authenticated": false, "all_authenticated_in_trusted_realms": false,
                 "server": false, "users": [], "groups": [], "line": 3},
                {"role": "admin", "role_ref": null, "everyone": false,
                 "all_authenticated": false, "all_authenticated_in_trusted_realms": false,
                 "server": false, "users": [{"name": "wasadmin", "access_id": null}],
                 "groups": [{"name": HOSTILE, "access_id": null}], "line": 7}]}],
            "errors": []},
        "servers": [],
        "warnings": [format!("file {HOSTILE} vanished")]
    });
    serde_json::from_value(doc).unwrap()
}

fn snapshot() -> (vault::SnapshotId, vault::Snapshot) {
    let snap: vault::Snapshot = serde_json::from_value(json!({
        "time": 1_795_000_090_000_000_000_i64, "host": "cnx1",
        "paths": ["/opt/IBM/Connections"], "tags": ["cnxbackup"],
        "tree": "00".repeat(32),
        "summary": {"files_new": 10, "files_unchanged": 2, "bytes_total": 123_456}
    }))
    .unwrap();
    (vault::SnapshotId([7u8; 32]), snap)
}

#[test]
fn text_report_names_components_databases_version_and_failed_steps() {
    let (id, snap) = snapshot();
    let r = ShowReport::new(&id, &snap, Some(manifest()));
    let t = text::render(&r, Style::PLAIN);
    for needle in [
        "INCOMPLETE",
        "failed step 4 Back up the databases (database FILES): db2 failed",
        "8.0.0.0_CR3 + KB0102411",
        "provision",
        "customizations",
        "stored with shared_data",
        "PEOPLEDB",
        "20261127120000",
        &"cd".repeat(32),
        "2 mappings in 1 applications",
        "Homepage",
        "Everyone",
        "Installation Manager installed.xml",
        "InfraCluster_server1",
    ] {
        assert!(t.contains(needle), "{needle} missing in\n{t}");
    }
    // a terminal escape from a file name is shown, not sent to the terminal
    assert!(!t.contains('\u{1b}'), "{t}");
    assert!(t.contains("\\u{1b}[31mfile changed"), "{t}");
}

#[test]
fn status_words_are_coloured_only_when_the_style_says_so() {
    let (id, snap) = snapshot();
    let r = ShowReport::new(&id, &snap, Some(manifest()));
    let plain = text::render(&r, Style::PLAIN);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let coloured = text::render(&r, Style::COLOURED);
    // the status line and the failed database's row are painted
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    let status_line = coloured.lines().find(|l| l.starts_with("status")).unwrap();
    assert!(status_line.contains("INCOMPLETE") && status_line.contains('\u{1b}'));
}

#[test]
fn html_escapes_every_value_from_outside() {
    let (id, snap) = snapshot();
    let page = html::render(&ShowReport::new(&id, &snap, Some(manifest())));
    assert!(!page.contains("<script"), "unescaped script in the page");
    // the tag, the group, the path and the warning each appear escaped
    assert!(
        page.matches("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
            .count()
            >= 4,
        "{page}"
    );
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(!page.contains('\u{1b}'));
}

#[test]
fn escape_covers_text_and_attributes() {
    assert_eq!(
        html::escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
}

#[test]
fn a_snapshot_without_manifest_says_so_in_both_renderings() {
    let (id, snap) = snapshot();
    let r = ShowReport::new(&id, &snap, None);
    let t = text::render(&r, Style::PLAIN);
    assert!(
        t.contains(NO_MANIFEST) && t.contains("120.6 KiB in 12 files"),
        "{t}"
    );
    let page = html::render(&r);
    assert!(page.contains("no deployment manifest"));
    let doc = serde_json::to_value(&r).unwrap();
    assert!(doc["manifest"].is_null());
    assert_eq!(doc["snapshot"]["files"], 12);
    assert_eq!(doc["snapshot"]["deployment_backup"], false);
}

/// The whole terminal report of a fixed manifest (wording, column order and alignment);
/// `cargo insta review` accepts an intended change.
#[test]
fn text_report_is_stable() {
    let (id, snap) = snapshot();
    let full = text::render(&ShowReport::new(&id, &snap, Some(manifest())), Style::PLAIN);
    insta::assert_snapshot!("show_text_incomplete_deployment", full);
    let plain = text::render(&ShowReport::new(&id, &snap, None), Style::PLAIN);
    insta::assert_snapshot!("show_text_plain_snapshot", plain);
}
