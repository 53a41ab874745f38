use super::*;
use crate::plan::Component;
use crate::procedure::PhaseRecord;

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
            declared: None,
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
            web_servers: vec![],
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
            version: None,
        }],
        databases: vec![],
        role_mappings: RoleMappingsExport::default(),
        servers: vec![],
        warnings: vec!["w".into()],
        phases: vec![PhaseRecord {
            phase: crate::procedure::Phase::Stop,
            status: crate::procedure::PhaseStatus::Ok,
            started_ns: 1,
            duration_ms: 3,
            message: "2 server(s) stopped".into(),
        }],
        absent: vec![],
        pre_restore: None,
        declared: Vec::new(),
        hooks: Vec::new(),
        outage: Some(OutageWindow {
            stop: Span::new(1, 3_000_001),
            capture: Span::new(3_000_001, 9_000_001),
            restart: Some(Span::new(9_000_001, 12_000_001)),
            end: OutageEnd::Restarted,
            down_ms: 12,
        }),
    }
}

#[test]
fn databases_left_to_the_set_count_once_a_member_holds_them() {
    let mut node = example();
    node.host = "node1".into();
    // --skip-databases --set: written complete, the databases left to the set
    node.status = Status::Complete;
    node.failed_steps.clear();
    node.absent = vec![Absence {
        component: Component::Databases,
        reason: AbsenceReason::SkipDatabases,
        held_by: None,
        message: "x".into(),
    }];
    let node = node.summary();
    let mut dmgr = example();
    dmgr.host = "dmgr".into();
    dmgr.status = Status::Complete;
    dmgr.failed_steps.clear();
    dmgr.databases = vec![DatabaseRecord::new("FILES", StepStatus::Ok)];
    let dmgr = dmgr.summary();
    // alone it is incomplete
    assert_eq!(node.status_in_set([]).0, Status::Incomplete);
    // another set: still incomplete
    let mut other = dmgr.clone();
    other.backup_set = "set-2".into();
    assert_eq!(node.status_in_set([("b", &other)]).0, Status::Incomplete);
    // a member of its set holds the databases: complete, and it says who
    let (status, by) = node.status_in_set([("a1b2", &dmgr)]);
    assert_eq!(status, Status::Complete);
    assert_eq!(by.unwrap().host, "dmgr");
    // a backup that failed for another reason too stays incomplete
    let mut two = example();
    two.absent = node.absent.clone();
    assert_eq!(
        two.summary().status_in_set([("a1b2", &dmgr)]).0,
        Status::Incomplete
    );
    // without the absence, a backup keeps the status it was written with
    assert_eq!(dmgr.status_in_set([]).0, Status::Complete);
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

/// A small structural check of a document against docs/manifest.schema.json: every key
/// the document has is declared, every required key is present, enums and consts hold.
fn check(schema: &serde_json::Value, root: &serde_json::Value, doc: &serde_json::Value, at: &str) {
    use serde_json::Value;
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/$defs/");
            &root["$defs"][name]
        }
        None => schema,
    };
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let ok = alts
            .iter()
            .any(|alt| std::panic::catch_unwind(|| check(alt, root, doc, at)).is_ok());
        assert!(ok, "{at}: matches no alternative: {doc}");
        return;
    }
    if let Some(c) = schema.get("const") {
        assert_eq!(c, doc, "{at}");
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        assert!(e.contains(doc), "{at}: {doc} not in {e:?}");
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let obj = doc
            .as_object()
            .unwrap_or_else(|| panic!("{at}: not an object: {doc}"));
        for k in obj.keys() {
            assert!(props.contains_key(k), "{at}.{k} is not in the schema");
        }
        for r in schema["required"].as_array().into_iter().flatten() {
            let k = r.as_str().unwrap();
            assert!(obj.contains_key(k), "{at}.{k} is required by the schema");
        }
        for (k, v) in obj {
            check(&props[k], root, v, &format!("{at}.{k}"));
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), doc.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(items, root, v, &format!("{at}[{i}]"));
        }
    }
}

#[test]
fn manifest_matches_the_documented_json_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../../docs/manifest.schema.json")).unwrap();
    let mut m = example();
    m.components[0].stored_with = Some(Component::SharedData);
    m.databases.push(DatabaseRecord {
        database: "PEOPLEDB".into(),
        status: StepStatus::Ok,
        image: Some(crate::databases::ImageRecord {
            database: "PEOPLEDB".into(),
            vendor: crate::databases::Vendor::Db2,
            mode: crate::databases::Mode::Offline,
            files: vec![crate::databases::ImageFile {
                name: "PEOPLEDB.0.db2inst1.DBPART000.20261127120000.001".into(),
                size: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            }],
            streamed: false,
            vendor_timestamp: Some("20261127120000".into()),
            bytes: 3,
            verification: None,
            duration_ms: 1,
            command: "db2 backup database PEOPLEDB".into(),
            details: Default::default(),
            warnings: vec![],
        }),
        stored_paths: vec!["/.cnxbackup/databases/PEOPLEDB/x".into()],
        error: None,
        started_ns: Some(5),
        ended_ns: Some(9),
        log: Some("/.cnxbackup/databases/PEOPLEDB/cnxbackup-backup.log".into()),
    });
    m.options.database_parallel = Some(4);
    m.servers.push(ServerRecord {
        operation: "stop".into(),
        profile: "AppSrv01".into(),
        server: "s1".into(),
        kind: "application_server".into(),
        result: "stopped".into(),
        detail: None,
        attempts: 1,
        duration_ms: 2,
    });
    m.steps.push(StepRecord {
        order: 1,
        procedure_step: "1".into(),
        title: "stop".into(),
        action: "stop_servers".into(),
        component: None,
        status: StepStatus::Ok,
        message: None,
        duration_ms: 3,
    });
    let doc = serde_json::to_value(&m).unwrap();
    check(&schema, &schema, &doc, "$");
}
