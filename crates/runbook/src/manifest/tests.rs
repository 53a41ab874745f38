use super::*;

pub(crate) fn example() -> Manifest {
    Manifest {
        schema_version: SCHEMA_VERSION,
        backup_set: "set-1".into(),
        host: "cnx1".into(),
        cnxbackup_version: "0.1.0".into(),
        started_ns: 1,
        finished_ns: 2,
        status: Status::Incomplete,
        failed_steps: vec![FailedStep {
            procedure_step: "4".into(),
            title: "back up the databases".into(),
            component: Some(Component::Databases),
            database: Some("FILES".into()),
            message: "db2 backup of FILES failed".into(),
        }],
        connections: ConnectionsVersion {
            root: "/opt/IBM/Connections".into(),
            version: Some("8.0.0.0_CR3".into()),
            fingerprint: None,
            release: Some("8.0".into()),
            cr: Some(3),
            ifixes: vec!["KB0102411".into()],
            ifixes_known: true,
            basis: Some("iim".into()),
            evidence: serde_json::json!({"iim": {"path": "/var/ibm/InstallationManager/installed.xml"}}),
            conflicts: vec![],
        },
        topology: Topology {
            cell: "ICCell".into(),
            app_server_root: "/opt/IBM/WebSphere/AppServer".into(),
            connections_root: "/opt/IBM/Connections".into(),
            shared_data: "/opt/IBM/data/shared".into(),
            local_data: "/opt/IBM/data/local".into(),
            provision: "/opt/IBM/data/shared/provision".into(),
            customization: "/opt/IBM/data/shared/customization".into(),
            iim: IimDirs {
                install_dir: "/opt/IBM/InstallationManager".into(),
                data_dir: "/var/ibm/InstallationManager".into(),
                shared_dir: "/opt/IBM/IMShared".into(),
            },
            ccm_installed: true,
            profiles: vec![],
            servers: vec![],
        },
        options: RunOptions::default(),
        steps: vec![],
        components: vec![ComponentRecord {
            component: Component::Provision,
            procedure_step: "6d".into(),
            paths: vec!["/opt/IBM/data/shared/provision".into()],
            excludes: vec![],
            stored_with: None,
            status: StepStatus::Ok,
            files: 3,
            dirs: 2,
            bytes: 100,
            duration_ms: 5,
            message: None,
            warnings: vec![],
        }],
        databases: vec![],
        role_mappings: RoleMappingsExport::default(),
        servers: vec![],
        warnings: vec!["w".into()],
    }
}

#[test]
fn manifest_round_trips_through_json() {
    let m = example();
    let back = Manifest::from_json(&m.to_json()).unwrap();
    assert_eq!(back, m);
    assert_eq!(
        back.component(Component::Provision).unwrap().files,
        3,
        "component lookup"
    );
}

#[test]
fn newer_or_missing_schema_versions_are_refused() {
    let mut v = serde_json::to_value(example()).unwrap();
    v["schema_version"] = serde_json::json!(SCHEMA_VERSION + 1);
    let err = Manifest::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("newer cnxbackup"), "{err}");
    v.as_object_mut().unwrap().remove("schema_version");
    assert!(Manifest::from_json(v.to_string().as_bytes()).is_err());
}

#[test]
fn summary_names_failed_steps_and_round_trips_as_application_document() {
    let m = example();
    let s = m.summary();
    assert_eq!(s.status, Status::Incomplete);
    assert_eq!(s.failed_steps, vec!["4 FILES: db2 backup of FILES failed"]);
    let doc = s.to_application();
    assert_eq!(doc["status"], "incomplete");
    assert_eq!(doc["kind"], SUMMARY_KIND);
    assert_eq!(Summary::from_application(&doc), Some(s));
    assert_eq!(
        Summary::from_application(&serde_json::json!({"kind": "other"})),
        None
    );
}
