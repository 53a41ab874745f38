//! End to end: `cnxbackup show` through the real binary. A deployment backup of a sample
//! (with a tag carrying `<script>`) is shown as text, as `--json` (validated against
//! docs/schemas/show.schema.json, which refers to docs/manifest.schema.json) and as an HTML
//! report (parsed with a real HTML parser); a plain `backup --path` snapshot is shown by its
//! own facts; a missing snapshot and an unwritable `--html` path fail clearly.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::cli_common;
use crate::restore_common;
use crate::vault_common;

use std::collections::BTreeSet;

use backup_common::Harness;
use cli_common::{assert_success, Schemas};
use restore_common::cnx;
use runbook::manifest::Manifest;
use sample::Variant;
use scraper::{Html, Selector};
use serde_json::Value;

const HOSTILE: &str = "<script>alert('tag')</script>";

/// Asserts `doc` is valid against docs/schemas/show.schema.json.
fn assert_valid_show_json(doc: &Value) {
    let errors = show_schema_errors(doc);
    assert!(errors.is_empty(), "show --json is not valid: {errors:#?}");
}

/// What docs/schemas/show.schema.json (and the manifest schema it refers to) says is wrong
/// with `doc`.
fn show_schema_errors(doc: &Value) -> Vec<String> {
    Schemas::load().errors("show", doc)
}

fn select<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    page.select(&Selector::parse(css).unwrap()).collect()
}

fn text_of(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect::<String>()
}

/// The lines of one `Heading` section of the text report (up to the next blank line).
fn section<'a>(report: &'a str, heading: &str) -> Vec<&'a str> {
    report
        .lines()
        .skip_while(|l| !l.starts_with(heading))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn show_deployment_backup_as_text_json_and_html() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--json", "--tag", HOSTILE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.result()["snapshot"].as_str().unwrap().to_string();
    let manifest: Manifest = h.snapshot(&id).manifest();
    let version = manifest.connections.version.clone().unwrap();
    let components: BTreeSet<String> = manifest
        .components
        .iter()
        .map(|c| c.component.to_string())
        .collect();
    let databases: Vec<(String, String)> = manifest
        .databases
        .iter()
        .map(|d| {
            (
                d.database.clone(),
                d.image
                    .as_ref()
                    .and_then(|i| i.vendor_timestamp.clone())
                    .unwrap(),
            )
        })
        .collect();
    assert!(components.len() >= 10, "{components:?}");
    assert!(!databases.is_empty());

    // --- text: every component on its own row, the version, the status, each database
    let text = cnx(&h, &["show", &id[..10]]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let out = &text.stdout;
    assert!(out.contains(&version), "{out}");
    assert!(out.contains("COMPLETE"), "{out}");
    assert!(out.contains(&manifest.backup_set), "{out}");
    let rows = section(out, "Components");
    for c in &components {
        assert!(
            rows.iter()
                .any(|l| l.trim_start().starts_with(&format!("{c} "))),
            "component {c} has no row in\n{}",
            rows.join("\n")
        );
    }
    let db_rows = section(out, "Databases");
    for (db, stamp) in &databases {
        assert!(
            db_rows
                .iter()
                .any(|l| l.trim_start().starts_with(db.as_str()) && l.contains(stamp.as_str())),
            "database {db} ({stamp}) missing in\n{}",
            db_rows.join("\n")
        );
    }
    // "latest" finds the same snapshot
    let latest = cnx(&h, &["show", "latest"]);
    assert_eq!(latest.code, 0, "{}", latest.stderr);
    assert!(latest.stdout.contains(&id), "{}", latest.stdout);

    // --- --json: valid against the documented schema, carries the manifest
    let json = cnx(&h, &["--json", "show", &id]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_valid_show_json(&doc);
    // the manifest part is checked too (the $ref to docs/manifest.schema.json is followed)
    let mut broken = doc.clone();
    broken["manifest"]["components"][0]["status"] = "fine".into();
    assert!(!show_schema_errors(&broken).is_empty());
    assert_eq!(doc["snapshot"]["id"], id.as_str());
    assert_eq!(doc["snapshot"]["deployment_backup"], true);
    assert_eq!(doc["manifest"]["connections"]["version"], version.as_str());
    assert_eq!(
        serde_json::from_value::<Manifest>(doc["manifest"].clone()).unwrap(),
        manifest,
        "the JSON carries the manifest as stored"
    );

    // --- --html: parses, holds every component, the version, each database; escaped
    let file = h.dir.path().join("reports").join("change-4711.html");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "an older report").unwrap();
    let html_run = cnx(&h, &["show", &id, "--html", file.to_str().unwrap()]);
    assert_eq!(html_run.code, 0, "{}", html_run.stderr);
    assert!(
        html_run
            .stdout
            .contains(&format!("HTML report written to {}", file.display())),
        "{}",
        html_run.stdout
    );
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    let raw = std::fs::read_to_string(&file).unwrap();
    let page = Html::parse_document(&raw);
    assert!(
        page.errors.is_empty(),
        "HTML parse errors: {:?}",
        page.errors
    );
    assert!(!raw.contains("<script"), "a value was written unescaped");
    assert!(select(&page, "script").is_empty());
    assert!(
        select(&page, "link, img, iframe, object").is_empty(),
        "external assets"
    );
    assert_eq!(select(&page, "style").len(), 1, "inline CSS");
    // the hostile tag is shown as text, not dropped
    let tag_cells = select(&page, "td")
        .into_iter()
        .filter(|td| text_of(td).contains(HOSTILE))
        .count();
    assert!(tag_cells >= 2, "the tag should appear (escaped) as text");

    let html_components: BTreeSet<String> = select(
        &page,
        "#components table.components tbody tr td:first-child",
    )
    .iter()
    .map(text_of)
    .collect();
    assert_eq!(html_components, components);
    let version_section = text_of(&select(&page, "section#version")[0]);
    assert!(version_section.contains(&version));
    let fp = manifest.connections.fingerprint.as_ref().unwrap();
    assert!(version_section.contains(&fp.offering.to_string()));
    let db_rows: Vec<String> = select(&page, "#databases table.databases tbody tr")
        .iter()
        .map(text_of)
        .collect();
    for (db, stamp) in &databases {
        assert!(
            db_rows
                .iter()
                .any(|r| r.starts_with(db.as_str()) && r.contains(stamp.as_str())),
            "{db} ({stamp}) not in {db_rows:#?}"
        );
    }
    let steps = select(&page, "#plan table.steps tbody tr");
    assert_eq!(steps.len(), manifest.steps.len());
    let roles = select(&page, "#role-mappings table.roles tbody tr");
    assert!(!roles.is_empty());
    assert!(select(&page, "section#warnings").len() == 1);
}

#[test]
fn show_incomplete_backup_names_the_failed_step_in_text_and_html() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let run = h.backup_failing_database("FILES");
    let id = run.result()["snapshot"].as_str().unwrap().to_string();

    let text = cnx(&h, &["show", &id]);
    assert_eq!(text.code, 0, "showing an incomplete backup is not an error");
    let status: Vec<&str> = text
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("status "))
        .take(2)
        .collect();
    assert!(status[0].ends_with("INCOMPLETE"), "{status:?}");
    assert!(
        status[1].contains("failed step 4") && status[1].contains("(database FILES)"),
        "{status:?}"
    );
    let failed_row = section(&text.stdout, "Databases")
        .into_iter()
        .find(|l| l.trim_start().starts_with("FILES "))
        .unwrap();
    assert!(failed_row.contains("failed"), "{failed_row}");

    let file = h.dir.path().join("incomplete.html");
    let run = cnx(&h, &["show", &id, "--html", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    let banner = text_of(&select(&page, ".banner")[0]);
    assert_eq!(banner, "INCOMPLETE");
    let failed: Vec<String> = select(&page, "ul.failed li").iter().map(text_of).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("database FILES"), "{failed:?}");
    let files_row = select(&page, "#databases table.databases tbody tr")
        .into_iter()
        .map(|r| text_of(&r))
        .find(|r| r.starts_with("FILES"))
        .unwrap();
    assert!(files_row.contains("failed"), "{files_row}");
}

#[test]
fn show_plain_path_snapshot_reports_its_facts_and_no_manifest() {
    let env = vault_common::Env::new();
    env.init();
    // a file where a manifest would be: a plain snapshot still has no deployment manifest
    std::fs::create_dir_all(env.src().join(".cnxbackup")).unwrap();
    std::fs::write(env.src().join(".cnxbackup/manifest.json"), "not a manifest").unwrap();
    std::fs::write(env.src().join("a.txt"), "hello").unwrap();
    let id = env.backup()["snapshot"].as_str().unwrap().to_string();

    let out = env.cmd().args(["show", &id[..8]]).output().unwrap();
    assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&id), "{text}");
    assert!(text.contains("e2e"), "host: {text}");
    assert!(text.contains("no deployment manifest"), "{text}");
    assert!(text.contains("in 2 files"), "{text}");

    let out = env.cmd().args(["--json", "show", &id]).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_show_json(&doc);
    assert!(doc["manifest"].is_null());
    assert_eq!(doc["snapshot"]["host"], "e2e");
    assert_eq!(doc["snapshot"]["files"], 2);

    let file = env.root.path().join("plain.html");
    let out = env
        .cmd()
        .args(["show", &id, "--html", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_success(&out);
    let page = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    assert!(text_of(&select(&page, "body")[0]).contains("no deployment manifest"));

    // with --json the document names the file and the note goes to stderr
    let out = env
        .cmd()
        .args(["--json", "show", &id, "--html", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_show_json(&doc);
    assert_eq!(doc["html_report"], file.to_str().unwrap());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTML report written to"));
}

#[test]
fn show_deployment_backup_with_a_newer_manifest_is_exit_1_saying_so() {
    let env = vault_common::Env::new();
    env.init();
    // a snapshot that says it is a deployment backup, whose manifest a newer cnxbackup wrote
    let dir = env.root.path().join("newer");
    std::fs::create_dir_all(dir.join(".cnxbackup")).unwrap();
    std::fs::write(
        dir.join(".cnxbackup/manifest.json"),
        r#"{"schema_version": 99, "future": true}"#,
    )
    .unwrap();
    let stored = format!("{}/.cnxbackup/manifest.json", dir.display());
    let repo = vault::Repository::open(
        vault::Storage::local(&env.repo()).unwrap(),
        vault_common::PASSWORD,
    )
    .unwrap();
    let opts = vault::backup::BackupOptions {
        host: "cnx9".into(),
        application: Some(serde_json::json!({
            "kind": "cnxbackup.backup", "schema_version": 1, "backup_set": "s1",
            "host": "cnx9", "status": "complete", "version": null, "release": null,
            "cell": "ICCell", "components": [], "manifest": stored
        })),
        ..vault::backup::BackupOptions::default()
    };
    vault::backup::backup(&repo, std::slice::from_ref(&dir), &opts).unwrap();
    drop(repo);

    // `latest` is this host's: the snapshot of cnx9 is named with --host
    let out = env
        .cmd()
        .args(["show", "latest", "--host", "cnx9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("schema_version 99"), "{err}");
    assert!(err.contains("use a newer cnxbackup"), "{err}");
    assert!(err.contains(&stored), "names the manifest: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn show_missing_snapshot_is_exit_1_naming_it() {
    let env = vault_common::Env::new();
    env.init();
    let out = env.cmd().args(["show", "deadbeef"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no snapshot matches \"deadbeef\""), "{err}");
    let out = env
        .cmd()
        .args(["--json", "show", "latest"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["exit_code"], 1);
    assert!(doc["error"]["message"].as_str().unwrap().contains("latest"));
}

#[test]
fn show_unwritable_html_path_is_an_error_naming_the_path() {
    let env = vault_common::Env::new();
    env.init();
    std::fs::write(env.src().join("a.txt"), "hello").unwrap();
    let id = env.backup()["snapshot"].as_str().unwrap().to_string();
    let file = env.root.path().join("no-such-dir").join("report.html");
    let out = env
        .cmd()
        .args(["show", &id, "--html", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "cannot write the HTML report to {}",
            file.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report printed on failure");
    assert!(!file.exists());
}
