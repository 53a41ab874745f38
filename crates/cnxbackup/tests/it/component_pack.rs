//! The Component Pack recipe (examples/component-pack) on the real binary, against the
//! stand-ins of `crates/sample` (`kubectl` and `helm` with the MongoDB pods' tools behind
//! `kubectl exec`, the OpenSearch snapshot API, the persistent volumes): the recipe's
//! configuration and scripts as shipped, only their paths and the cluster's addresses
//! changed; backed up, every component changed, restored, compared.

use std::path::Path;

use crate::backup_common::Harness;
use runbook::manifest::StepStatus;
use sample::component_pack::{ComponentPack, MONGO_VERSION, NAMESPACE};
use sample::opensearch_standin::OPENSEARCH_VERSION;
use sample::Variant;

fn recipe_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/component-pack")
}

/// The recipe's configuration with the scripts where this checkout has them and the
/// cluster's addresses those of the stand-ins.
fn recipe_config(cp: &ComponentPack, auth_file: &Path) -> String {
    let text = std::fs::read_to_string(recipe_dir().join("cnxbackup.toml")).unwrap();
    let scripts = format!("{}/", recipe_dir().canonicalize().unwrap().display());
    text.replace("/usr/local/lib/cnxbackup/component-pack/", &scripts)
        .replace("https://cp-master.example.com:30099", &cp.opensearch.url)
        .replace("/pv-connections", &cp.pv_root.display().to_string())
        .replace(
            "--cacert /etc/cnxbackup/opensearch-ca.crt --cert /etc/cnxbackup/opensearch-admin.crt --key /etc/cnxbackup/opensearch-admin.key",
            "",
        )
        .replace("/etc/cnxbackup/opensearch-auth", &auth_file.display().to_string())
}

fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_component_pack_recipe_backs_up_and_restores_against_the_stand_ins() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    let cp = ComponentPack::install(&h.dir.path().join("cp")).unwrap();
    let auth = h.dir.path().join("opensearch-auth");
    std::fs::write(&auth, "admin:os-secret-4711\n").unwrap();
    h.extra_config = format!("\n{}", recipe_config(&cp, &auth));
    let path = cp.path_first().into_string().unwrap();
    let mongo_before = cp.mongo_data();
    let helm_before = cp.helm_values("infrastructure").unwrap();
    let volumes = |cp: &ComponentPack| {
        (
            tree(&cp.pv_root.join("customizations")),
            tree(&cp.pv_root.join("kudos-boards-minio")),
        )
    };
    let volumes_before = volumes(&cp);

    let run = h.backup_with_env(&["--no-stop", "--json"], &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("os-secret-4711"));
    let id = run.result()["snapshot"].as_str().unwrap().to_string();
    let m = h.snapshot(&id).manifest();
    let version = |name: &str| {
        let d = m.declared.iter().find(|d| d.name == name).unwrap();
        assert_eq!(d.status, StepStatus::Ok, "{d:?}");
        d.version.clone()
    };
    assert_eq!(
        version("cp-mongodb"),
        Some(format!("db version v{MONGO_VERSION}"))
    );
    assert_eq!(
        version("cp-opensearch").as_deref(),
        Some(OPENSEARCH_VERSION)
    );
    let charts = version("cp-helm").unwrap();
    assert!(
        charts.contains("infrastructure-0.1.0-20240611-170014"),
        "{charts}"
    );
    assert!(charts.contains("kudos-boards-cp-3.1.4"), "{charts}");
    assert_eq!(version("cp-volumes"), None);
    let listing = h.snapshot(&id).listing();
    for stored in [
        "/.cnxbackup/components/cp-mongodb/stream",
        "/.cnxbackup/components/cp-opensearch/data/snapshot",
        "/.cnxbackup/components/cp-helm/data/infrastructure.values.yaml",
        "/.cnxbackup/components/cp-helm/data/kudos-boards-cp.metadata.json",
        "/.cnxbackup/components/cp-volumes/data/customizations/themes/custom.css",
    ] {
        assert!(
            listing.contains_key(stored),
            "{stored} is not in the snapshot"
        );
    }
    // the dump went to the primary, as HCL's procedure says
    let log = cp.log();
    assert!(
        log.iter().any(|l| l.starts_with(&format!(
            "kubectl exec -n {NAMESPACE} mongo5-1 -c mongo5 -- mongodump --archive --gzip"
        ))),
        "{log:#?}"
    );

    // the upgrade went wrong: every component changed
    cp.set_mongo_collection("appregistry.applications.json", "{\"broken\":true}\n")
        .unwrap();
    cp.set_mongo_collection("new.collection.json", "{}\n")
        .unwrap();
    cp.opensearch
        .put_index(
            "quickresults",
            "{\"id\":7,\"title\":\"reindexed wrongly\"}\n",
        )
        .unwrap();
    cp.set_helm_values("infrastructure", "global:\n  onPrem: false\n")
        .unwrap();
    std::fs::write(
        cp.pv_root.join("customizations/themes/custom.css"),
        "broken",
    )
    .unwrap();

    let restore = h
        .cmd()
        .env("PATH", &path)
        .args([
            "restore",
            "latest",
            "--only",
            "cp-mongodb,cp-opensearch,cp-helm,cp-volumes",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&restore.stderr);
    assert_eq!(restore.status.code(), Some(0), "{stderr}");
    assert_eq!(cp.mongo_data(), mongo_before);
    assert_eq!(
        cp.opensearch.index("quickresults").as_deref(),
        Some("{\"id\":7,\"title\":\"a wiki page\"}\n")
    );
    assert_eq!(cp.helm_values("infrastructure").unwrap(), helm_before);
    assert_eq!(volumes(&cp), volumes_before);
    // what the restore replaced is kept aside, not deleted
    let aside: Vec<_> = std::fs::read_dir(&cp.pv_root)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".cnxbackup-replaced-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    let log = cp.log();
    assert!(
        log.iter().any(|l| l.starts_with(&format!("kubectl exec -i -n {NAMESPACE} mongo5-1 -c mongo5 -- mongorestore --archive --gzip --drop"))),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("helm upgrade infrastructure v-connections-helm/infrastructure --version 0.1.0-20240611-170014")),
        "{log:#?}"
    );
}

#[test]
fn a_lost_opensearch_repository_comes_back_from_the_snapshot() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    let cp = ComponentPack::install(&h.dir.path().join("cp")).unwrap();
    let auth = h.dir.path().join("opensearch-auth");
    std::fs::write(&auth, "admin:pw\n").unwrap();
    h.extra_config = format!("\n{}", recipe_config(&cp, &auth));
    let path = cp.path_first().into_string().unwrap();
    let run = h.backup_with_env(&["--no-stop", "--json"], &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // the shared snapshot volume and an index are gone
    std::fs::remove_dir_all(&cp.opensearch.location).unwrap();
    std::fs::remove_file(cp.opensearch.state.join("indices/orient-me-collection")).unwrap();
    let restore = h
        .cmd()
        .env("PATH", &path)
        .args(["restore", "latest", "--only", "cp-opensearch"])
        .output()
        .unwrap();
    assert_eq!(
        restore.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert!(cp.opensearch.index("orient-me-collection").is_some());
}
