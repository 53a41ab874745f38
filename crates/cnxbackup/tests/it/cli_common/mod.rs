//! Helpers shared by the tests of cnxbackup's command output: the repository root, the
//! JSON schemas under `docs/schemas/` (resolved together with the manifest schema), and
//! readers of a run's JSON on stdout.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The binary with no configuration, repository or sysroot from the caller's environment.
pub fn cnxbackup_without_env() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("cnxbackup").unwrap();
    c.env_remove("CNXBACKUP_CONFIG")
        .env_remove("CNXBACKUP_REPOSITORY")
        .env_remove("CNXBACKUP_SYSROOT");
    c
}

/// Asserts the process exited 0, showing its stderr when it did not.
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The workspace root (where `docs/` lives).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The JSON file at `path`, naming it when it is missing or not JSON.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `docs/schemas/*.schema.json`, by command name.
pub fn schema_files() -> BTreeMap<String, Value> {
    let dir = repo_root().join("docs/schemas");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(command) = name.strip_suffix(".schema.json") {
            out.insert(command.to_string(), read_json(&path));
        }
    }
    out
}

/// The registry every schema is resolved in: the manifest schema and every command schema,
/// each under its `$id` (schemas refer to each other relatively, e.g. `plan.schema.json`,
/// `../manifest.schema.json`).
pub fn registry() -> jsonschema::Registry<'static> {
    let manifest = read_json(&repo_root().join("docs/manifest.schema.json"));
    let mut resources = vec![(manifest["$id"].as_str().unwrap().to_string(), manifest)];
    for schema in schema_files().into_values() {
        resources.push((schema["$id"].as_str().unwrap().to_string(), schema));
    }
    jsonschema::Registry::new()
        .extend(resources)
        .unwrap()
        .prepare()
        .unwrap()
}

/// The command schemas, ready to validate documents.
pub struct Schemas {
    pub registry: jsonschema::Registry<'static>,
    pub files: BTreeMap<String, Value>,
}

impl Schemas {
    pub fn load() -> Schemas {
        Schemas {
            registry: registry(),
            files: schema_files(),
        }
    }

    pub fn validator(&self, command: &str) -> jsonschema::Validator {
        let schema = self
            .files
            .get(command)
            .unwrap_or_else(|| panic!("docs/schemas/{command}.schema.json is missing"));
        jsonschema::options()
            .with_registry(&self.registry)
            .build(schema)
            .unwrap_or_else(|e| panic!("{command}.schema.json: {e}"))
    }

    /// What `command`'s schema says is wrong with `doc` (empty: valid).
    pub fn errors(&self, command: &str, doc: &Value) -> Vec<String> {
        self.validator(command)
            .iter_errors(doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    }

    /// Asserts `doc` is valid against `command`'s schema.
    pub fn assert_valid(&self, command: &str, doc: &Value, what: &str) {
        let errors = self.errors(command, doc);
        assert!(
            errors.is_empty(),
            "{what}: not valid against {command}.schema.json: {errors:#?}\n{}",
            serde_json::to_string_pretty(doc).unwrap()
        );
    }
}

/// Runs `cmd` (which asks for `--json`), asserts it exited 0 (showing its stderr when not),
/// and returns its first JSON document, validated against `<schema>.schema.json`.
pub fn json_result(cmd: &mut assert_cmd::Command, schema: &str, what: &str) -> Value {
    let out = cmd.output().unwrap();
    assert_success(&out);
    let doc = documents(&String::from_utf8_lossy(&out.stdout)).remove(0);
    Schemas::load().assert_valid(schema, &doc, what);
    doc
}

/// The JSON documents on stdout, one after the other (pretty or one per line).
pub fn documents(stdout: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .map(|d| d.unwrap_or_else(|e| panic!("not JSON: {e}\n{stdout}")))
        .collect()
}

/// Every line of stdout as a JSON document (a line that is not JSON fails the test).
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line: {e}: {l}")))
        .collect()
}
