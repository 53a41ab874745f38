//! The WebSphere administrator's credentials where the vendor keeps them for its own
//! command-line tools: the profile's `properties/ipc.client.props` (the IPC connector, the
//! default of `stopServer`/`stopNode`/`stopManager`/`serverStatus` since 7.0) and
//! `properties/soap.client.props` (SOAP: `wsadmin` and older releases), the password encoded
//! as the product writes it (`{xor}…`, what `PropFilePasswordEncoder` produces).
//!
//! With the credentials there, cnxbackup passes no `-username`/`-password` to the scripts:
//! the password never appears in a process's arguments, which every local user can read in
//! `/proc/<pid>/cmdline` while the stop runs (issue 21). The trade-off: `{xor}` is
//! obfuscation, not encryption — the files must stay readable only by the profile's owner
//! (0600), exactly like the password file cnxbackup reads. docs/RUNBOOK.md has the details.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use websphere::{parse_properties, xor_encode, Secret};

/// A client properties file and the keys of its credentials.
struct ClientProps {
    file: &'static str,
    user_key: &'static str,
    password_key: &'static str,
    /// Set to `true` so the tool sends them.
    enable_key: Option<&'static str>,
}

const FILES: [ClientProps; 2] = [
    ClientProps {
        file: "ipc.client.props",
        user_key: "com.ibm.IPC.loginUserid",
        password_key: "com.ibm.IPC.loginPassword",
        enable_key: None,
    },
    ClientProps {
        file: "soap.client.props",
        user_key: "com.ibm.SOAP.loginUserid",
        password_key: "com.ibm.SOAP.loginPassword",
        enable_key: Some("com.ibm.SOAP.securityEnabled"),
    },
];

/// Errors of [`store_credentials`].
#[derive(Debug, thiserror::Error)]
pub enum ClientPropsError {
    /// A properties file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ClientPropsError + '_ {
    move |source| ClientPropsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The client properties file `file` of the profile at `profile` (a path on this machine).
fn props_path(profile: &Path, file: &str) -> PathBuf {
    profile.join("properties").join(file)
}

/// Whether the profile's client properties hold a user and a password for the scripts
/// (either file): then the scripts need no credentials on their command line.
pub fn holds_credentials(profile: &Path) -> bool {
    FILES.iter().any(|c| {
        let path = props_path(profile, c.file);
        let Ok(bytes) = std::fs::read(&path) else {
            return false;
        };
        let Ok(props) = parse_properties(&bytes, &path) else {
            return false;
        };
        let set = |key: &str| props.get(key).is_some_and(|v| !v.trim().is_empty());
        set(c.user_key) && set(c.password_key)
    })
}

/// Writes `user` and the `{xor}`-encoded `password` into both client properties files of
/// the profile at `profile` (keeping every other line, replacing earlier values of those
/// keys), each file written whole and renamed into place with mode 0600 and the owner the
/// file had (else the profile directory's). Returns the files written.
pub fn store_credentials(
    profile: &Path,
    user: &str,
    password: &Secret,
) -> Result<Vec<PathBuf>, ClientPropsError> {
    let encoded = xor_encode(password.expose());
    let mut written = Vec::new();
    for c in &FILES {
        let path = props_path(profile, c.file);
        let old = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let mut values = vec![
            (c.user_key, user.to_string()),
            (c.password_key, encoded.clone()),
        ];
        if let Some(enable) = c.enable_key {
            values.push((enable, "true".to_string()));
        }
        let text = with_values(&old, &values);
        write_private(&path, profile, &text)?;
        written.push(path);
    }
    Ok(written)
}

/// `text` with each `key=value` of `values` set: an existing (uncommented) line of the key
/// is replaced, a missing key is appended.
fn with_values(text: &str, values: &[(&str, String)]) -> String {
    let mut done = vec![false; values.len()];
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        let key = line
            .trim_start()
            .split(['=', ':', ' ', '\t'])
            .next()
            .unwrap_or("");
        match values.iter().position(|(k, _)| *k == key) {
            Some(i) if !line.trim_start().starts_with(['#', '!']) => {
                if !done[i] {
                    out.push_str(&format!("{}={}\n", values[i].0, values[i].1));
                    done[i] = true;
                }
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for ((key, value), done) in values.iter().zip(done) {
        if !done {
            out.push_str(&format!("{key}={value}\n"));
        }
    }
    out
}

/// Write `text` to `path` atomically, mode 0600, owned like the file was (or like the
/// profile directory, so a non-root install's tools can read it).
fn write_private(path: &Path, profile: &Path, text: &str) -> Result<(), ClientPropsError> {
    use std::os::unix::fs::MetadataExt;
    let dir = path.parent().unwrap_or(profile);
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let owner = std::fs::metadata(path)
        .or_else(|_| std::fs::metadata(profile))
        .map(|m| (m.uid(), m.gid()))
        .ok();
    let tmp = path.with_extension("props.cnxbackup-tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_error(&tmp))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io_error(&tmp))?;
    f.write_all(text.as_bytes()).map_err(io_error(&tmp))?;
    f.sync_all().map_err(io_error(&tmp))?;
    if let Some((uid, gid)) = owner {
        // only root can give a file away; as the owner it is ours already
        let _ = std::os::unix::fs::chown(&tmp, Some(uid), Some(gid));
    }
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stored_encoded_private_and_found_again() {
        let profile = tempfile::tempdir().unwrap();
        let props = profile.path().join("properties");
        std::fs::create_dir_all(&props).unwrap();
        std::fs::write(
            props.join("soap.client.props"),
            "# SOAP client\ncom.ibm.SOAP.securityEnabled=false\ncom.ibm.SOAP.loginUserid=\n\
             com.ibm.SOAP.requestTimeout=180\n#com.ibm.SOAP.loginPassword=old\n",
        )
        .unwrap();
        assert!(!holds_credentials(profile.path()));
        let pw = Secret::new("s3cret-pw");
        let files = store_credentials(profile.path(), "wasadmin", &pw).unwrap();
        assert_eq!(files.len(), 2);
        assert!(holds_credentials(profile.path()));
        let soap = std::fs::read_to_string(props.join("soap.client.props")).unwrap();
        assert!(
            soap.contains("com.ibm.SOAP.securityEnabled=true\n"),
            "{soap}"
        );
        assert!(
            soap.contains("com.ibm.SOAP.loginUserid=wasadmin\n"),
            "{soap}"
        );
        assert!(soap.contains("com.ibm.SOAP.requestTimeout=180\n"), "{soap}");
        assert!(soap.contains("#com.ibm.SOAP.loginPassword=old\n"), "{soap}");
        assert!(!soap.contains("s3cret-pw"), "{soap}");
        let parsed = parse_properties(soap.as_bytes(), &props).unwrap();
        let stored = parsed.get("com.ibm.SOAP.loginPassword").unwrap();
        let decoded = websphere::xor_decode(stored.strip_prefix("{xor}").unwrap()).unwrap();
        assert_eq!(decoded.expose(), "s3cret-pw");
        let ipc = std::fs::read_to_string(props.join("ipc.client.props")).unwrap();
        assert!(ipc.contains("com.ibm.IPC.loginUserid=wasadmin\n"), "{ipc}");
        for f in &files {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        // again: replaced, not duplicated
        store_credentials(profile.path(), "other", &pw).unwrap();
        let soap = std::fs::read_to_string(props.join("soap.client.props")).unwrap();
        assert_eq!(soap.matches("loginUserid=").count(), 1, "{soap}");
        assert!(soap.contains("loginUserid=other"), "{soap}");
    }
}
