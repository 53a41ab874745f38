//! Variable scopes and `${VAR}` expansion, including cycles, undefined and empty values.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use websphere::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

const CELL: &str = "ICCell";

fn scope_file(scope: &ConfigScope) -> PathBuf {
    scope.file(
        Path::new("/opt/IBM/WebSphere/AppServer/profiles/Dmgr01"),
        "variables.xml",
    )
}

fn all_scopes() -> Variables {
    let mut v = Variables::new();
    let layers = [
        (
            ConfigScope::Cell { cell: CELL.into() },
            "variables_cell.xml",
        ),
        (
            ConfigScope::Server {
                cell: CELL.into(),
                node: "n1".into(),
                server: "Apps_server1".into(),
            },
            "variables_server.xml",
        ),
        (
            ConfigScope::Cluster {
                cell: CELL.into(),
                cluster: "Apps".into(),
            },
            "variables_cluster.xml",
        ),
        (
            ConfigScope::Node {
                cell: CELL.into(),
                node: "n1".into(),
            },
            "variables_node.xml",
        ),
    ];
    // Added out of order on purpose: precedence must come from the scope, not the call order.
    for (scope, name) in layers {
        let file = scope_file(&scope);
        let entries = parse_variables(&fixture(name), &file).unwrap();
        v.add_scope(scope, file, entries);
    }
    v.set_builtin(
        "USER_INSTALL_ROOT",
        "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01",
    );
    v.set_builtin("WAS_INSTALL_ROOT", "/opt/IBM/WebSphere/AppServer");
    v
}

#[test]
fn parses_entries_with_lines() {
    let entries = parse_variables(&fixture("variables_cell.xml"), Path::new("/v.xml")).unwrap();
    assert_eq!(entries.len(), 10);
    assert_eq!(entries[0].name, "CONNECTIONS_SHARED_ROOT");
    assert_eq!(
        entries[0].description.as_deref(),
        Some("Connections shared data")
    );
    assert_eq!(entries[0].line, 3);
}

#[test]
fn most_specific_scope_wins() {
    let v = all_scopes();
    // server > node > cluster > cell
    assert_eq!(v.resolve("SERVER").unwrap(), "Apps_server1");
    assert_eq!(
        v.lookup("SERVER").unwrap().scope,
        Some(ConfigScope::Server {
            cell: CELL.into(),
            node: "n1".into(),
            server: "Apps_server1".into()
        })
    );
    // LOG_ROOT is in node, cluster and cell: node wins, and uses a built-in.
    assert_eq!(
        v.resolve("LOG_ROOT").unwrap(),
        "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01/logs"
    );
    assert_eq!(
        v.resolve("SERVER_LOG_ROOT").unwrap(),
        "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01/logs/Apps_server1"
    );
    // cluster beats cell
    assert_eq!(v.resolve("FILES_CONTENT_DIR").unwrap(), "/nfs/files/upload");
    // only in cell, recursive
    assert_eq!(
        v.resolve("CONNECTIONS_PROVISION_PATH").unwrap(),
        "/opt/IBM/Connections/data/shared/provision"
    );
    assert_eq!(
        v.expand("${WAS_INSTALL_ROOT}/bin and ${CONNECTIONS_SHARED_ROOT}")
            .unwrap(),
        "/opt/IBM/WebSphere/AppServer/bin and /opt/IBM/Connections/data/shared"
    );
    assert_eq!(v.expand("no refs").unwrap(), "no refs");
    let def = v.lookup("FILES_CONTENT_DIR").unwrap();
    assert!(def.file.unwrap().ends_with("clusters/Apps/variables.xml"));
    assert!(v.names().contains(&"WAS_INSTALL_ROOT".to_string()));
}

#[test]
fn files_override_builtins() {
    let mut v = Variables::new();
    v.set_builtin("X", "builtin");
    assert_eq!(v.resolve("X").unwrap(), "builtin");
    let scope = ConfigScope::Cell { cell: CELL.into() };
    v.add_scope(
        scope.clone(),
        scope_file(&scope),
        vec![VariableEntry {
            name: "X".into(),
            value: "file".into(),
            description: None,
            line: 1,
        }],
    );
    assert_eq!(v.resolve("X").unwrap(), "file");
}

#[test]
fn cycles_are_reported_not_looped() {
    let v = all_scopes();
    let err = v.resolve("CYCLE_A").unwrap_err();
    match &err {
        VariableError::Cycle { chain } => assert_eq!(
            chain,
            &vec!["CYCLE_A".to_string(), "CYCLE_B".into(), "CYCLE_A".into()]
        ),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("CYCLE_A -> CYCLE_B -> CYCLE_A"));
    let mut self_ref = Variables::new();
    self_ref.set_builtin("S", "${S}");
    assert!(matches!(
        self_ref.resolve("S"),
        Err(VariableError::Cycle { .. })
    ));
}

#[test]
fn undefined_and_empty_are_reported() {
    let v = all_scopes();
    let err = v.resolve("USES_MISSING").unwrap_err();
    assert_eq!(
        err,
        VariableError::Undefined {
            name: "NOT_DEFINED_ANYWHERE".into(),
            referenced_by: Some("USES_MISSING".into())
        }
    );
    assert!(err.to_string().contains("${NOT_DEFINED_ANYWHERE}"));
    assert!(matches!(
        v.resolve("NOPE"),
        Err(VariableError::Undefined { .. })
    ));
    let err = v.resolve("USES_EMPTY").unwrap_err();
    match &err {
        VariableError::Empty { name, defined_in } => {
            assert_eq!(name, "EMPTY_ONE");
            assert!(
                defined_in.ends_with("cells/ICCell/variables.xml:8"),
                "{defined_in}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        v.expand("a ${b"),
        Err(VariableError::Unterminated { .. })
    ));
}

#[test]
fn lenient_expansion_keeps_unresolved_references() {
    let v = all_scopes();
    let (text, problems) = v.expand_lenient("${WAS_INSTALL_ROOT}/x/${NOPE}/${EMPTY_ONE}");
    assert_eq!(text, "/opt/IBM/WebSphere/AppServer/x/${NOPE}/${EMPTY_ONE}");
    assert_eq!(problems.len(), 2);
}

#[test]
fn exponential_definitions_are_bounded() {
    let mut v = Variables::new();
    v.set_builtin("V0", "xxxxxxxxxxxxxxxx");
    for i in 1..40 {
        v.set_builtin(format!("V{i}"), format!("${{V{}}}${{V{}}}", i - 1, i - 1));
    }
    assert!(matches!(
        v.resolve("V39"),
        Err(VariableError::TooLarge { .. })
    ));
}
