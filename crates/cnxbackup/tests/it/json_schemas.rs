//! `--json` has a documented schema per command (docs/schemas/<command>.schema.json): every
//! schema file is a valid JSON Schema whose references resolve, every command of the CLI has
//! one (so a new command cannot skip it), and the output of each command, run with `--json`
//! on a sample deployment and its repository, is valid against its schema — including the
//! backup procedure's JSON lines, the restore refusal and the error document.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::cli_common;
use crate::restore_common;

use backup_common::{Harness, Run};
use clap::CommandFactory;
use cli_common::{cnxbackup_without_env, documents, json_lines, repo_root, schema_files, Schemas};
use restore_common::cnx;
use sample::Variant;
use serde_json::Value;

/// Commands whose output is not JSON (a shell script, a roff page, a file's bytes): no schema.
const NOT_JSON: &[&str] = &["completions", "man", "dump"];

/// What `--json` runs are checked for beyond the schema itself.
trait AssertRun {
    /// Asserts a successful run printed exactly one document, valid against `command`'s
    /// schema.
    fn assert_run(&self, command: &str, run: &Run, what: &str) -> Value;
}

impl AssertRun for Schemas {
    fn assert_run(&self, command: &str, run: &Run, what: &str) -> Value {
        assert_eq!(run.code, 0, "{what}: {}\n{}", run.stdout, run.stderr);
        let docs = documents(&run.stdout);
        assert_eq!(docs.len(), 1, "{what}: one JSON document: {}", run.stdout);
        self.assert_valid(command, &docs[0], what);
        docs.into_iter().next().unwrap()
    }
}

#[test]
fn every_schema_file_is_a_valid_schema_and_its_references_resolve() {
    let files = schema_files();
    assert!(files.len() >= 15, "{:?}", files.keys());
    let schemas = Schemas::load();
    for (command, schema) in &files {
        jsonschema::meta::validate(schema)
            .unwrap_or_else(|e| panic!("{command}.schema.json is not a valid schema: {e}"));
        assert_eq!(
            schema["$id"].as_str(),
            Some(format!("https://cnxbackup.example/schemas/{command}.schema.json").as_str()),
            "{command}.schema.json: $id"
        );
        assert!(
            schema["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{command}.schema.json has no description"
        );
        // building the validator resolves every $ref
        schemas.validator(command);
    }
    // the schemas reject what they should: a document of another command
    schemas.validator("error");
    let not_an_error = serde_json::json!({"error": {"message": "x", "exit_code": 7}});
    assert!(!schemas.validator("error").is_valid(&not_an_error));
    assert!(!schemas
        .validator("init")
        .is_valid(&serde_json::json!({"repository": "/r"})));
}

#[test]
fn every_command_has_a_schema_and_is_linked_from_the_cli_contract() {
    let files = schema_files();
    let cli = std::fs::read_to_string(repo_root().join("docs/CLI.md")).unwrap();
    let mut missing = Vec::new();
    let names: Vec<String> = cnxbackup::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .chain(std::iter::once("error".to_string()))
        .collect();
    assert!(names.iter().any(|n| n == "restore"), "{names:?}");
    for name in &names {
        if NOT_JSON.contains(&name.as_str()) {
            continue;
        }
        if !files.contains_key(name) {
            missing.push(format!("docs/schemas/{name}.schema.json"));
        }
        let link = format!("schemas/{name}.schema.json");
        assert!(cli.contains(&link), "docs/CLI.md does not link {link}");
    }
    assert!(
        missing.is_empty(),
        "commands without a --json schema: {missing:?} (write one, or add the command to NOT_JSON if it prints no JSON)"
    );
}

#[test]
fn every_commands_json_output_is_valid_against_its_schema() {
    let schemas = Schemas::load();
    let h = Harness::new(Variant::V80SqlServerLdap);

    // backup: the procedure's JSON lines, every line an event, the last the result
    let run = h.backup(&["--json", "--in-place-migration"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = json_lines(&run.stdout);
    assert!(lines.len() > 5, "{}", run.stdout);
    for (i, line) in lines.iter().enumerate() {
        schemas.assert_valid("backup", line, &format!("backup event {i}"));
    }
    let kinds: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    for kind in ["phase_start", "phase_end", "progress", "result"] {
        assert!(kinds.contains(&kind), "no {kind} event: {kinds:?}");
    }
    assert_eq!(kinds.last(), Some(&"result"));
    // a dry run's result has no manifest and no snapshot
    let dry = h.backup(&["--json", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    for line in dry.stdout.lines() {
        schemas.assert_valid("backup", &serde_json::from_str(line).unwrap(), "dry run");
    }

    let json = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        cnx(&h, &all)
    };
    schemas.assert_run("config", &json(&["config"]), "config");
    schemas.assert_run("discover", &json(&["discover"]), "discover");
    schemas.assert_run("plan", &json(&["plan"]), "plan");
    schemas.assert_run("plan", &json(&["plan", "--no-sizes"]), "plan --no-sizes");
    let snaps = schemas.assert_run("snapshots", &json(&["snapshots", "--all"]), "snapshots");
    assert_eq!(snaps["snapshots"].as_array().unwrap().len(), 1);
    schemas.assert_run("ls", &json(&["ls", "latest", "/.cnxbackup"]), "ls");
    schemas.assert_run("check", &json(&["check", "--read-data"]), "check");
    schemas.assert_run("repair", &json(&["repair", "index"]), "repair index");
    schemas.assert_run("unlock", &json(&["unlock"]), "unlock");
    schemas.assert_run("prune", &json(&["prune", "--dry-run"]), "prune");
    schemas.assert_run(
        "forget",
        &json(&["forget", "--keep-last", "5", "--dry-run"]),
        "forget",
    );
    let dry = schemas.assert_run(
        "restore",
        &json(&["restore", "latest", "--dry-run"]),
        "restore --dry-run",
    );
    assert_eq!(dry["dry_run"], true);

    // a plain path backup, restored under --target
    let src = h.dir.path().join("plain");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"plain").unwrap();
    schemas.assert_run(
        "backup",
        &json(&["backup", "--path", src.to_str().unwrap()]),
        "backup --path",
    );
    let target = h.dir.path().join("target");
    schemas.assert_run(
        "restore",
        &json(&["restore", "latest", "--target", target.to_str().unwrap()]),
        "restore --target",
    );
    // forget with --prune: the prune report inside the forget document
    schemas.assert_run(
        "forget",
        &json(&["forget", "--keep-last", "1", "--prune", "--grace", "0"]),
        "forget --prune",
    );

    // a new repository
    let fresh = h.dir.path().join("fresh-repo");
    schemas.assert_run(
        "init",
        &json(&["--repo", fresh.to_str().unwrap(), "init"]),
        "init",
    );

    // an error: the error document, with the process's exit code
    let err = json(&["ls", "no-such-snapshot"]);
    assert_eq!(err.code, 1, "{}", err.stderr);
    let docs = documents(&err.stdout);
    assert_eq!(docs.len(), 1, "{}", err.stdout);
    schemas.assert_valid("error", &docs[0], "ls error");
    assert_eq!(docs[0]["error"]["exit_code"], 1);

    // the version gate refuses provision onto the failed update: the refusal document,
    // then the error document with exit code 3
    let deployment = h
        .repo()
        .list_snapshots()
        .unwrap()
        .into_iter()
        .map(|(id, s)| (id, s.unwrap()))
        .find(|(_, s)| s.tags.iter().any(|t| t == "cnxbackup"))
        .map(|(id, _)| id.to_hex())
        .unwrap();
    sample::simulate_failed_update(&h.sample).unwrap();
    let refused = json(&["restore", &deployment, "--only", "provision"]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    let docs = documents(&refused.stdout);
    assert_eq!(docs.len(), 2, "{}", refused.stdout);
    schemas.assert_valid("restore", &docs[0], "restore refusal");
    assert_eq!(docs[0]["refused"], true);
    schemas.assert_valid("error", &docs[1], "restore refusal's error");
    assert_eq!(docs[1]["error"]["exit_code"], 3);

    // the full restore's report
    let report = schemas.assert_run(
        "restore",
        &json(&["restore", &deployment]),
        "restore after the failed update",
    );
    assert_eq!(report["version_confirmed"], true);
    assert!(!report["databases"].as_array().unwrap().is_empty());

    // an INCOMPLETE backup (a database step fails): the events, the result, then the error
    // document with exit code 1; `snapshots` shows it incomplete
    h.sample.knobs().fail_db_backup(None).unwrap();
    let run = h.backup(&["--json"]);
    h.sample.knobs().clear().unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines = json_lines(&run.stdout);
    let (last, events) = lines.split_last().unwrap();
    schemas.assert_valid("error", last, "incomplete backup's error");
    assert_eq!(last["error"]["exit_code"], 1);
    for (i, line) in events.iter().enumerate() {
        schemas.assert_valid("backup", line, &format!("incomplete backup event {i}"));
    }
    let result = events.last().unwrap();
    assert_eq!(result["event"], "result");
    assert_eq!(result["complete"], false);
    assert!(events
        .iter()
        .any(|e| e["event"] == "phase_end" && e["status"] == "failed"));
    let snaps = schemas.assert_run("snapshots", &json(&["snapshots", "--all"]), "snapshots");
    assert!(snaps["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["incomplete"] == true));
}

#[test]
fn demo_json_is_valid_against_its_schema() {
    let schemas = Schemas::load();
    let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
    let work = dir.path().join("demo");
    let out = cnxbackup_without_env()
        .args(["demo", "--json", "--dir", work.to_str().unwrap()])
        .output()
        .unwrap();
    let run = Run::of(out);
    let doc = schemas.assert_run("demo", &run, "demo");
    assert_eq!(doc["ok"], true);
}

#[test]
fn discover_and_plan_json_of_every_sample_variant_match_their_schemas() {
    let schemas = Schemas::load();
    for variant in Variant::all() {
        let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
        let root = dir.path().join("root");
        sample::build(*variant, &root, &sample::BuildOptions::default()).unwrap();
        for args in [&["discover"][..], &["plan", "--no-sizes"][..]] {
            let out = cnxbackup_without_env()
                .current_dir(dir.path())
                .arg("--json")
                .arg("--sysroot")
                .arg(&root)
                .args(args)
                .output()
                .unwrap();
            let run = Run::of(out);
            schemas.assert_run(args[0], &run, &format!("{variant}: {}", args.join(" ")));
        }
    }
}
