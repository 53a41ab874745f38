//! A Component Pack to back up without Kubernetes, for the tests of the Component Pack
//! recipe (examples/component-pack): stand-ins for `kubectl` and `helm` (`scripts/kube.sh`,
//! with the MongoDB 5 pods' tools behind `kubectl exec`), the OpenSearch snapshot API
//! ([`OpenSearchStandIn`]), and the persistent volumes of Customizer and Activities Plus as
//! directories under an NFS export root. Put [`ComponentPack::bin`] first in `PATH`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::opensearch_standin::OpenSearchStandIn;
use crate::SampleError;

const BODY: &str = include_str!("scripts/kube.sh");

/// The namespace the Component Pack runs in.
pub const NAMESPACE: &str = "connections";

/// The MongoDB version the pods report.
pub const MONGO_VERSION: &str = "5.0.19";

/// The registered OpenSearch snapshot repository.
pub const SNAPSHOT_REPO: &str = "connectionsbackup";

/// The Helm releases of the namespace: name, chart, chart version, app version.
pub const RELEASES: [(&str, &str, &str, &str); 4] = [
    (
        "infrastructure",
        "infrastructure",
        "0.1.0-20240611-170014",
        "1.0",
    ),
    (
        "opensearch-cluster",
        "opensearch",
        "2.11.1-20240610-140000",
        "2.11.1",
    ),
    ("mw-proxy", "mw-proxy", "0.1.0-20240612-081500", "1.0"),
    ("kudos-boards-cp", "kudos-boards-cp", "3.1.4", "2024.06.1"),
];

/// An installed Component Pack stand-in.
#[derive(Debug, Clone)]
pub struct ComponentPack {
    /// The directory holding `kubectl` and `helm`.
    pub bin: PathBuf,
    /// Their state (pods, releases, the MongoDB data).
    pub state: PathBuf,
    /// The NFS export holding the persistent volumes (`customizations`, `kudos-boards-minio`).
    pub pv_root: PathBuf,
    /// The OpenSearch API.
    pub opensearch: OpenSearchStandIn,
}

fn write(path: &Path, text: &str) -> Result<(), SampleError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| SampleError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| SampleError::io(path, e))
}

impl ComponentPack {
    /// Installs the commands in `dir/bin`, a namespace with three MongoDB pods (the primary
    /// `mongo5-1`), four Helm releases, the persistent volumes, and starts the OpenSearch API
    /// with two indices.
    pub fn install(dir: &Path) -> Result<ComponentPack, SampleError> {
        let bin = dir.join("bin");
        let state = dir.join("kube");
        let script = format!(
            "#!/usr/bin/env bash\nset -u\nSTATE={:?}\n{BODY}",
            state.display().to_string()
        );
        for tool in ["kubectl", "helm"] {
            let p = bin.join(tool);
            write(&p, &script)?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| SampleError::io(&p, e))?;
        }
        for n in 0..3 {
            write(
                &state.join(format!("namespaces/{NAMESPACE}/pods/mongo5-{n}")),
                "app=mongo5\n",
            )?;
        }
        write(&state.join("mongo/primary"), "mongo5-1")?;
        write(&state.join("mongo/version"), MONGO_VERSION)?;
        write(
            &state.join("mongo/data/appregistry.applications.json"),
            "{\"_id\":\"app1\",\"name\":\"Boards\"}\n",
        )?;
        write(
            &state.join("mongo/data/people-relationship.graph.json"),
            "{\"_id\":\"u1\",\"follows\":[\"u2\"]}\n",
        )?;
        write(&state.join("kube.log"), "")?;
        for (rel, chart, version, app) in RELEASES {
            let d = state.join(format!("helm/{NAMESPACE}/{rel}"));
            write(&d.join("chart"), chart)?;
            write(&d.join("version"), version)?;
            write(&d.join("app_version"), app)?;
            write(&d.join("revision"), "1")?;
            write(&d.join("values.yaml"), &format!("global:\n  onPrem: true\n  image:\n    repository: hclcr.io/cnx\nnamespace: {NAMESPACE}\nreplicaCount: 1\n"))?;
        }
        let pv_root = dir.join("pv-connections");
        write(
            &pv_root.join("customizations/themes/custom.css"),
            "body { color: #123456; }\n",
        )?;
        write(
            &pv_root.join("kudos-boards-minio/kudosboards/board-1.json"),
            "{\"title\":\"Sprint\"}\n",
        )?;
        let opensearch = OpenSearchStandIn::start(
            &dir.join("opensearch"),
            SNAPSHOT_REPO,
            &pv_root.join("opensearch-snapshots"),
        )?;
        opensearch.put_index(
            "orient-me-collection",
            "{\"id\":1,\"title\":\"status update\"}\n",
        )?;
        opensearch.put_index("quickresults", "{\"id\":7,\"title\":\"a wiki page\"}\n")?;
        Ok(ComponentPack {
            bin,
            state,
            pv_root,
            opensearch,
        })
    }

    /// This process's `PATH` with the stand-in's commands first.
    pub fn path_first(&self) -> std::ffi::OsString {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(self.bin.clone()).chain(std::env::split_paths(&path));
        std::env::join_paths(dirs).unwrap_or(path)
    }

    /// The MongoDB collections (file name → content), sorted.
    pub fn mongo_data(&self) -> Vec<(String, String)> {
        let dir = self.state.join("mongo/data");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                        (e.file_name().to_string_lossy().into_owned(), text)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Replaces a MongoDB collection's documents.
    pub fn set_mongo_collection(&self, file: &str, text: &str) -> Result<(), SampleError> {
        write(&self.state.join("mongo/data").join(file), text)
    }

    /// A release's values (`helm get values -a`).
    pub fn helm_values(&self, release: &str) -> Option<String> {
        std::fs::read_to_string(
            self.state
                .join(format!("helm/{NAMESPACE}/{release}/values.yaml")),
        )
        .ok()
    }

    /// Changes a release's values (what a mistaken `helm upgrade` would do).
    pub fn set_helm_values(&self, release: &str, text: &str) -> Result<(), SampleError> {
        write(
            &self
                .state
                .join(format!("helm/{NAMESPACE}/{release}/values.yaml")),
            text,
        )
    }

    /// Every call to `kubectl` and `helm` so far.
    pub fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("kube.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}
