//! A stand-in for the OpenSearch REST API the Component Pack recipe calls
//! (examples/component-pack): `GET /` (the version), `GET /_snapshot/REPO` (the registered
//! repository and its `location`), `PUT /_snapshot/REPO/SNAP?wait_for_completion=true` (a
//! snapshot written as files into that location), `POST /_all/_close`, and
//! `POST /_snapshot/REPO/SNAP/_restore?wait_for_completion=true` (read back from the files in
//! the location, refused while an open index of the same name exists). Status codes and
//! error bodies are OpenSearch's (`repository_missing_exception`,
//! `invalid_snapshot_name_exception`, `snapshot_missing_exception`,
//! `snapshot_restore_exception`).
//!
//! The indices are files `STATE/indices/NAME` (their documents); a closed index has a file
//! `STATE/closed/NAME`. One thread serves the loopback port until the process ends.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use crate::SampleError;

/// The version `GET /` reports.
pub const OPENSEARCH_VERSION: &str = "2.11.1";

/// A running stand-in.
#[derive(Debug, Clone)]
pub struct OpenSearchStandIn {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Where the indices are.
    pub state: PathBuf,
    /// The registered repository's location (its files).
    pub location: PathBuf,
}

/// What the server needs to answer.
#[derive(Clone)]
struct Server {
    state: PathBuf,
    repo: String,
    location: PathBuf,
}

impl OpenSearchStandIn {
    /// Starts the server with the repository `repo` registered at `location`.
    pub fn start(
        state: &Path,
        repo: &str,
        location: &Path,
    ) -> Result<OpenSearchStandIn, SampleError> {
        for d in [
            state.join("indices"),
            state.join("closed"),
            location.to_path_buf(),
        ] {
            std::fs::create_dir_all(&d).map_err(|e| SampleError::io(&d, e))?;
        }
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| SampleError::io(state, e))?;
        let port = listener
            .local_addr()
            .map_err(|e| SampleError::io(state, e))?
            .port();
        let server = Server {
            state: state.to_path_buf(),
            repo: repo.to_string(),
            location: location.to_path_buf(),
        };
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let _ = server.answer(conn);
            }
        });
        Ok(OpenSearchStandIn {
            url: format!("http://127.0.0.1:{port}"),
            state: state.to_path_buf(),
            location: location.to_path_buf(),
        })
    }

    /// Creates (or replaces) an open index holding `documents`.
    pub fn put_index(&self, name: &str, documents: &str) -> Result<(), SampleError> {
        let p = self.state.join("indices").join(name);
        std::fs::write(&p, documents).map_err(|e| SampleError::io(&p, e))?;
        let _ = std::fs::remove_file(self.state.join("closed").join(name));
        Ok(())
    }

    /// An index's documents, if it exists.
    pub fn index(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.state.join("indices").join(name)).ok()
    }
}

/// One response.
struct Reply {
    status: u16,
    body: String,
}

fn ok(body: String) -> Reply {
    Reply { status: 200, body }
}

/// An OpenSearch error document.
fn error(status: u16, kind: &str, reason: &str) -> Reply {
    let reason = reason.replace('"', "\\\"");
    Reply {
        status,
        body: format!(
            "{{\"error\":{{\"root_cause\":[{{\"type\":\"{kind}\",\"reason\":\"{reason}\"}}],\
             \"type\":\"{kind}\",\"reason\":\"{reason}\"}},\"status\":{status}}}"
        ),
    }
}

impl Server {
    fn answer(&self, conn: TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(conn);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            if header.trim().is_empty() {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let path = target.split('?').next().unwrap_or("");
        let reply = self.route(method, path);
        let text = match reply.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            _ => "Internal Server Error",
        };
        let mut conn = reader.into_inner();
        write!(
            conn,
            "HTTP/1.1 {} {text}\r\ncontent-type: application/json; charset=UTF-8\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        )
    }

    fn route(&self, method: &str, path: &str) -> Reply {
        let segs: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        match (method, segs.as_slice()) {
            ("GET", []) => ok(format!(
                "{{\n  \"name\" : \"opensearch-cluster-master-0\",\n  \"cluster_name\" : \"opensearch-cluster\",\n  \
                 \"version\" : {{\n    \"distribution\" : \"opensearch\",\n    \"number\" : \"{OPENSEARCH_VERSION}\",\n    \
                 \"lucene_version\" : \"9.7.0\"\n  }},\n  \"tagline\" : \"The OpenSearch Project: https://opensearch.org/\"\n}}\n"
            )),
            ("GET", ["_snapshot", repo]) => self.repository(repo),
            ("PUT", ["_snapshot", repo, snap]) | ("POST", ["_snapshot", repo, snap]) => {
                self.with_repo(repo, || self.snapshot(snap))
            }
            ("POST", ["_all", "_close"]) => self.close_all(),
            ("POST", ["_snapshot", repo, snap, "_restore"]) => {
                self.with_repo(repo, || self.restore(repo, snap))
            }
            _ => error(400, "illegal_argument_exception", &format!("no handler found for uri [{path}] and method [{method}]")),
        }
    }

    fn with_repo(&self, repo: &str, f: impl FnOnce() -> Reply) -> Reply {
        if repo != self.repo {
            return error(
                404,
                "repository_missing_exception",
                &format!("[{repo}] missing"),
            );
        }
        f()
    }

    fn repository(&self, repo: &str) -> Reply {
        self.with_repo(repo, || {
            ok(format!(
                "{{\"{repo}\":{{\"type\":\"fs\",\"settings\":{{\"location\":\"{}\"}}}}}}",
                self.location.display()
            ))
        })
    }

    fn indices(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.state.join("indices"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The repository's catalogue: `name uuid` lines in `index-N`, N in `index.latest`.
    fn catalogue(&self) -> (u64, Vec<(String, String)>) {
        let generation = std::fs::read(self.location.join("index.latest"))
            .ok()
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes);
        let Some(generation) = generation else {
            return (0, Vec::new());
        };
        let text = std::fs::read_to_string(self.location.join(format!("index-{generation}")))
            .unwrap_or_default();
        let entries = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, u)| (n.to_string(), u.to_string()))
            .collect();
        (generation, entries)
    }

    fn snapshot(&self, snap: &str) -> Reply {
        let (generation, mut entries) = self.catalogue();
        if entries.iter().any(|(n, _)| n == snap) {
            return error(400, "invalid_snapshot_name_exception", &format!("[{}:{snap}] Invalid snapshot name [{snap}], snapshot with the same name already exists", self.repo));
        }
        let uuid = format!(
            "{:016x}",
            generation + 1 + u64::from(snap.len() as u32) * 7919
        );
        let indices = self.indices();
        let written = (|| -> std::io::Result<()> {
            for name in &indices {
                let dir = self.location.join("indices").join(name);
                std::fs::create_dir_all(&dir)?;
                std::fs::copy(
                    self.state.join("indices").join(name),
                    dir.join(format!("{uuid}.dat")),
                )?;
            }
            std::fs::write(
                self.location.join(format!("snap-{uuid}.dat")),
                indices.join("\n"),
            )?;
            entries.push((snap.to_string(), uuid.clone()));
            let text: String = entries.iter().map(|(n, u)| format!("{n} {u}\n")).collect();
            std::fs::write(
                self.location.join(format!("index-{}", generation + 1)),
                text,
            )?;
            std::fs::write(
                self.location.join("index.latest"),
                (generation + 1).to_be_bytes(),
            )
        })();
        if let Err(e) = written {
            return error(
                500,
                "repository_exception",
                &format!("[{}] could not write the snapshot: {e}", self.repo),
            );
        }
        let n = indices.len();
        ok(format!(
            "{{\"snapshot\":{{\"snapshot\":\"{snap}\",\"uuid\":\"{uuid}\",\"version\":\"{OPENSEARCH_VERSION}\",\"indices\":[{}],\
             \"include_global_state\":true,\"state\":\"SUCCESS\",\"shards\":{{\"total\":{n},\"failed\":0,\"successful\":{n}}}}}}}",
            quoted(&indices)
        ))
    }

    fn close_all(&self) -> Reply {
        for name in self.indices() {
            let _ = std::fs::write(self.state.join("closed").join(&name), "");
        }
        ok("{\"acknowledged\":true,\"shards_acknowledged\":true,\"indices\":{}}".into())
    }

    fn restore(&self, repo: &str, snap: &str) -> Reply {
        let (_, entries) = self.catalogue();
        let Some((_, uuid)) = entries.iter().find(|(n, _)| n == snap) else {
            return error(
                404,
                "snapshot_missing_exception",
                &format!("[{repo}:{snap}] is missing"),
            );
        };
        let Ok(list) = std::fs::read_to_string(self.location.join(format!("snap-{uuid}.dat")))
        else {
            return error(
                500,
                "snapshot_exception",
                &format!("[{repo}:{snap}/{uuid}] failed to read the snapshot"),
            );
        };
        let names: Vec<String> = list
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect();
        for name in &names {
            let open = self.state.join("indices").join(name).exists()
                && !self.state.join("closed").join(name).exists();
            if open {
                return error(500, "snapshot_restore_exception", &format!("[{repo}:{snap}/{uuid}] cannot restore index [{name}] because an open index with same name already exists in the cluster. Either close or delete the existing index or restore the index under a different name by providing a rename pattern and replacement name"));
            }
        }
        for name in &names {
            let from = self
                .location
                .join("indices")
                .join(name)
                .join(format!("{uuid}.dat"));
            if std::fs::copy(&from, self.state.join("indices").join(name)).is_err() {
                return error(500, "snapshot_restore_exception", &format!("[{repo}:{snap}/{uuid}] index [{name}]: the shard data is missing from the repository"));
            }
            let _ = std::fs::remove_file(self.state.join("closed").join(name));
        }
        let n = names.len();
        ok(format!(
            "{{\"snapshot\":{{\"snapshot\":\"{snap}\",\"indices\":[{}],\"shards\":{{\"total\":{n},\"failed\":0,\"successful\":{n}}}}}}}",
            quoted(&names)
        ))
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(",")
}
