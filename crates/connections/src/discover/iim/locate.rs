//! Finding every Installation Manager on the host and choosing the one that installed
//! Connections.
//!
//! A host often has more than one IIM: an admin (root) one that installed IBM HTTP Server
//! or WebSphere, and a non-admin one under `/home/<user>` that installed Connections (the
//! same account must install IIM and Connections). Every agent data directory that exists
//! is a candidate:
//!
//! - the documented defaults, `/var/ibm/InstallationManager` (admin) and, for every user,
//!   `/home/<user>/var/ibm/InstallationManager` (non-admin) and `..._Group` (group mode);
//! - the directories named by IIM's registry files, `/etc/.ibm/registry/InstallationManager.dat`
//!   (admin) and `/home/<user>/etc/.ibm/registry/InstallationManager[_Group].dat`. A
//!   registry's `location` is IIM's install directory (usually `.../eclipse`); its agent
//!   data directory is the `cic.appDataLocation` of that install's
//!   `eclipse/configuration/config.ini` (or the registry's own `appDataLocation`; some IBM
//!   pages call the data directory itself the `location`, which is accepted too).
//!
//! The candidate whose `installed.xml` records `com.ibm.connections` wins (with a
//! configured `connections_root`, the one recording that location); the others are
//! reported. The winner's install and shared directories come from its own files.

use std::path::{Path, PathBuf};

use websphere::error::ReadError;
use websphere::Sysroot;

use super::{parse_install_registry, parse_installed_xml, IimInstalled, IimRegistry};

/// The admin (root) install's agent data directory.
pub const ROOT_DATA_DIR: &str = "/var/ibm/InstallationManager";

/// The admin install's registry file.
pub const ROOT_REGISTRY: &str = "/etc/.ibm/registry/InstallationManager.dat";

/// The offering id of Connections in IIM's records.
pub const CONNECTIONS_OFFERING: &str = "com.ibm.connections";

/// One agent data directory that exists, with what it records.
#[derive(Debug, Clone)]
pub struct IimFound {
    /// Product path of the agent data directory.
    pub data_dir: String,
    /// The owning user of a non-admin or group install (`/home/<user>/...`).
    pub non_root_user: Option<String>,
    /// How it was found: `default location` or the registry file naming it.
    pub found_by: String,
    /// The install directory a registry file named for it (`/eclipse` removed).
    pub install_hint: Option<String>,
    /// Its `installed.xml`, read (an unreadable one is a warning, and the candidate is
    /// kept without it).
    pub installed: Option<IimInstalled>,
    /// Its `installRegistry.xml`, when present and readable.
    pub registry: Option<IimRegistry>,
}

impl IimFound {
    /// Product path of its `installed.xml`.
    pub fn installed_file(&self) -> PathBuf {
        Path::new(&self.data_dir).join("installed.xml")
    }

    /// Product path of its `installRegistry.xml`.
    pub fn registry_file(&self) -> PathBuf {
        Path::new(&self.data_dir).join("installRegistry.xml")
    }

    /// Whether its `installed.xml` records the Connections offering.
    pub fn has_connections(&self) -> bool {
        self.connections_location().is_some()
    }

    /// Where its `installed.xml` says Connections is installed.
    pub fn connections_location(&self) -> Option<&str> {
        self.installed
            .as_ref()?
            .find_package(|id| id == CONNECTIONS_OFFERING)
            .map(|(loc, _)| loc.path.trim_end_matches('/'))
    }

    /// Package ids its `installed.xml` records, in file order.
    pub fn package_ids(&self) -> Vec<String> {
        self.installed
            .iter()
            .flat_map(|i| i.locations.iter())
            .flat_map(|l| l.packages.iter().map(|p| p.id.clone()))
            .collect()
    }
}

/// A problem met while looking (an unreadable record); the caller turns it into a warning.
#[derive(Debug)]
pub struct LocateProblem {
    /// The reader's error (names the file and line).
    pub error: ReadError,
    /// What follows from it.
    pub consequence: String,
}

/// Every IIM agent data directory that exists, admin first, then users in name order.
pub fn find_all(sys: &Sysroot, problems: &mut Vec<LocateProblem>) -> Vec<IimFound> {
    let mut found: Vec<IimFound> = Vec::new();
    for cand in candidates(sys, problems) {
        if let Some(existing) = found.iter_mut().find(|f| f.data_dir == cand.data_dir) {
            if existing.install_hint.is_none() {
                existing.install_hint = cand.install_hint;
            }
            continue;
        }
        if !sys.is_file(&Path::new(&cand.data_dir).join("installed.xml")) {
            continue;
        }
        found.push(read_candidate(sys, cand, problems));
    }
    found
}

/// The candidate that installed Connections: one recording `configured_root` when given,
/// else the first recording Connections at all, else (no IIM knows Connections) the first
/// found. The rest are returned as others.
pub fn choose(
    mut found: Vec<IimFound>,
    configured_root: Option<&str>,
) -> (Option<IimFound>, Vec<IimFound>) {
    let wanted = configured_root.map(|r| r.trim_end_matches('/'));
    let index = wanted
        .and_then(|root| {
            found
                .iter()
                .position(|f| f.connections_location() == Some(root))
        })
        .or_else(|| found.iter().position(IimFound::has_connections))
        .or(if found.is_empty() { None } else { Some(0) });
    match index {
        Some(i) => {
            let chosen = found.remove(i);
            (Some(chosen), found)
        }
        None => (None, found),
    }
}

/// A place to look, before it is known to exist.
struct Candidate {
    data_dir: String,
    non_root_user: Option<String>,
    found_by: String,
    install_hint: Option<String>,
}

fn candidates(sys: &Sysroot, problems: &mut Vec<LocateProblem>) -> Vec<Candidate> {
    let default = |dir: String, user: Option<&str>| Candidate {
        data_dir: dir,
        non_root_user: user.map(str::to_string),
        found_by: "default location".into(),
        install_hint: None,
    };
    let mut out = vec![default(ROOT_DATA_DIR.to_string(), None)];
    out.extend(from_registry(sys, ROOT_REGISTRY, None, problems));
    let mut users: Vec<String> = sys
        .read_dir(Path::new("/home"))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .collect();
    users.sort();
    for user in &users {
        for suffix in ["", "_Group"] {
            out.push(default(
                format!("/home/{user}/var/ibm/InstallationManager{suffix}"),
                Some(user),
            ));
            let dat = format!("/home/{user}/etc/.ibm/registry/InstallationManager{suffix}.dat");
            out.extend(from_registry(sys, &dat, Some(user), problems));
        }
    }
    out
}

/// The data directory a registry file leads to.
fn from_registry(
    sys: &Sysroot,
    dat: &str,
    user: Option<&str>,
    problems: &mut Vec<LocateProblem>,
) -> Option<Candidate> {
    let text = match sys.read_to_string(Path::new(dat)) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return None,
        Err(e) => {
            problems.push(LocateProblem {
                error: e.into(),
                consequence: "the Installation Manager it names is not looked at".into(),
            });
            return None;
        }
    };
    let props = parse_properties(&text);
    let location = props
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.trim_end_matches('/').to_string())?;
    let user_of = |dir: &str| user.map(str::to_string).or_else(|| home_user(dir));
    // Older IBM pages describe `location` as the agent data directory itself.
    if sys.is_file(&Path::new(&location).join("installed.xml")) {
        return Some(Candidate {
            non_root_user: user_of(&location),
            data_dir: location,
            found_by: dat.to_string(),
            install_hint: None,
        });
    }
    let install = location
        .strip_suffix("/eclipse")
        .unwrap_or(&location)
        .to_string();
    let data_dir = props
        .iter()
        .find(|(k, _)| k == "appDataLocation")
        .map(|(_, v)| v.clone())
        .or_else(|| config_ini_data_location(sys, &install))?;
    let data_dir = data_dir.trim_end_matches('/').to_string();
    Some(Candidate {
        non_root_user: user_of(&data_dir),
        data_dir,
        found_by: dat.to_string(),
        install_hint: Some(install),
    })
}

/// `cic.appDataLocation` of `<install>/eclipse/configuration/config.ini`.
fn config_ini_data_location(sys: &Sysroot, install: &str) -> Option<String> {
    let file = Path::new(install).join("eclipse/configuration/config.ini");
    let text = sys.read_to_string(&file).ok()?;
    parse_properties(&text)
        .into_iter()
        .find(|(k, _)| k == "cic.appDataLocation")
        .map(|(_, v)| v)
}

/// `/home/<user>/...` → `<user>`.
fn home_user(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/home/")?;
    let user = rest.split('/').next()?;
    (!user.is_empty()).then(|| user.to_string())
}

/// Java properties as IIM writes them (`key=value`, `#` comments, `\:` escapes).
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let (k, v) = l.split_once(['=', ':'])?;
            Some((unescape(k.trim()), unescape(v.trim())))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn read_candidate(sys: &Sysroot, c: Candidate, problems: &mut Vec<LocateProblem>) -> IimFound {
    let mut found = IimFound {
        data_dir: c.data_dir,
        non_root_user: c.non_root_user,
        found_by: c.found_by,
        install_hint: c.install_hint,
        installed: None,
        registry: None,
    };
    let file = found.installed_file();
    match sys
        .read_to_string(&file)
        .map_err(ReadError::from)
        .and_then(|t| parse_installed_xml(&t, &file))
    {
        Ok(i) => found.installed = Some(i),
        Err(e) => problems.push(LocateProblem {
            error: e,
            consequence: "this Installation Manager's record of installed packages is unknown"
                .into(),
        }),
    }
    let file = found.registry_file();
    match sys
        .read_to_string(&file)
        .map_err(ReadError::from)
        .and_then(|t| parse_install_registry(&t, &file))
    {
        Ok(r) => found.registry = Some(r),
        Err(e) if e.is_not_found() => {}
        Err(e) => problems.push(LocateProblem {
            error: e,
            consequence: "this Installation Manager's install registry is not used".into(),
        }),
    }
    found
}

/// The documented default install and shared directories for a data directory's owner.
pub fn default_dirs(non_root_user: Option<&str>) -> (PathBuf, PathBuf) {
    match non_root_user {
        None => (
            PathBuf::from("/opt/IBM/InstallationManager"),
            PathBuf::from("/opt/IBM/IMShared"),
        ),
        Some(u) => (
            PathBuf::from(format!("/home/{u}/IBM/InstallationManager")),
            PathBuf::from(format!("/home/{u}/IBM/IMShared")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, product: &str, text: &str) {
        let p = root.join(product.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn installed(ids: &[(&str, &str)]) -> String {
        let mut s = String::from("<installInfo>\n");
        for (id, path) in ids {
            s.push_str(&format!(
                "<location id='x' path='{path}'><package id='{id}' version='1.0'/></location>\n"
            ));
        }
        s.push_str("</installInfo>\n");
        s
    }

    #[test]
    fn properties_are_read_like_java_properties() {
        let p = parse_properties(
            "#Tue Jun 13 10:11:12 UTC 2023\nlocation=/opt/IBM/InstallationManager/eclipse\nlauncher = /x/IBMIM\ncic.appDataLocation=C\\:\\\\Data\n",
        );
        assert_eq!(
            p[0],
            (
                "location".into(),
                "/opt/IBM/InstallationManager/eclipse".into()
            )
        );
        assert_eq!(p[1].1, "/x/IBMIM");
        assert_eq!(p[2].1, "C:\\Data");
    }

    #[test]
    fn the_iim_that_knows_connections_wins_over_the_root_one() {
        let tmp = tempfile::tempdir().unwrap();
        let sys = Sysroot::new(tmp.path()).unwrap();
        write(
            tmp.path(),
            "/var/ibm/InstallationManager/installed.xml",
            &installed(&[("com.ibm.websphere.IHS.v85", "/opt/IBM/HTTPServer")]),
        );
        write(
            tmp.path(),
            "/home/lcuser/var/ibm/InstallationManager/installed.xml",
            &installed(&[("com.ibm.connections", "/home/lcuser/IBM/Connections")]),
        );
        let mut problems = Vec::new();
        let all = find_all(&sys, &mut problems);
        assert!(problems.is_empty());
        assert_eq!(all.len(), 2);
        let (chosen, others) = choose(all, None);
        let chosen = chosen.unwrap();
        assert_eq!(chosen.data_dir, "/home/lcuser/var/ibm/InstallationManager");
        assert_eq!(chosen.non_root_user.as_deref(), Some("lcuser"));
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].package_ids(), ["com.ibm.websphere.IHS.v85"]);
    }

    #[test]
    fn a_registry_file_leads_to_a_relocated_data_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let sys = Sysroot::new(tmp.path()).unwrap();
        write(
            tmp.path(),
            ROOT_REGISTRY,
            "location=/srv/iim/eclipse\nlauncher=/srv/iim/eclipse/IBMIM\n",
        );
        write(
            tmp.path(),
            "/srv/iim/eclipse/configuration/config.ini",
            "cic.appDataLocation=/srv/iimdata\nosgi.bundles=x\n",
        );
        write(
            tmp.path(),
            "/srv/iimdata/installed.xml",
            &installed(&[("com.ibm.connections", "/srv/Connections")]),
        );
        let mut problems = Vec::new();
        let (chosen, others) = choose(find_all(&sys, &mut problems), None);
        let chosen = chosen.unwrap();
        assert_eq!(chosen.data_dir, "/srv/iimdata");
        assert_eq!(chosen.found_by, ROOT_REGISTRY);
        assert_eq!(chosen.install_hint.as_deref(), Some("/srv/iim"));
        assert_eq!(chosen.non_root_user, None);
        assert!(others.is_empty());
    }

    #[test]
    fn a_configured_root_picks_among_several_connections_installs() {
        let tmp = tempfile::tempdir().unwrap();
        let sys = Sysroot::new(tmp.path()).unwrap();
        for (user, root) in [("a", "/opt/A/Connections"), ("b", "/opt/B/Connections")] {
            write(
                tmp.path(),
                &format!("/home/{user}/var/ibm/InstallationManager/installed.xml"),
                &installed(&[("com.ibm.connections", root)]),
            );
        }
        let mut problems = Vec::new();
        let all = find_all(&sys, &mut problems);
        let (chosen, _) = choose(all.clone(), Some("/opt/B/Connections/"));
        assert_eq!(chosen.unwrap().non_root_user.as_deref(), Some("b"));
        let (chosen, _) = choose(all, None);
        assert_eq!(chosen.unwrap().non_root_user.as_deref(), Some("a"));
    }

    #[test]
    fn nothing_found_and_unreadable_records() {
        let tmp = tempfile::tempdir().unwrap();
        let sys = Sysroot::new(tmp.path()).unwrap();
        let mut problems = Vec::new();
        assert!(find_all(&sys, &mut problems).is_empty());
        assert_eq!(choose(Vec::new(), None).0.map(|f| f.data_dir), None);
        write(
            tmp.path(),
            "/var/ibm/InstallationManager/installed.xml",
            "<installInfo>",
        );
        let all = find_all(&sys, &mut problems);
        assert_eq!(all.len(), 1);
        assert!(all[0].installed.is_none());
        assert_eq!(problems.len(), 1);
        assert!(problems[0]
            .error
            .to_string()
            .contains("/var/ibm/InstallationManager/installed.xml"));
    }
}
