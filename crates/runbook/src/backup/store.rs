//! How the run's parts reach the vault: every file component path is a
//! `vault::backup::BackupSource::Path` stored under its product path (real path through the
//! sysroot), each database's staged images a `Pending` source (its directory, stored once its
//! backup ended) and each dump a `Stream` source under `/.cnxbackup/databases/`,
//! and the manifest, the role mappings, the application document and the tags come from the
//! finish hook of `vault::backup::backup_sources_with_finish`, so that everything is ONE
//! snapshot whose manifest carries the per-source reports. This module keeps the small
//! helpers that translate between the two worlds.

use std::path::Path;

/// `path` as a glob matching exactly that path (globset syntax, backslash escapes): the
/// source excludes are globs over stored paths, and product paths may contain `[`, `*`, ...
pub fn glob_escape(path: &Path) -> String {
    let mut out = String::new();
    for ch in path.to_string_lossy().chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' | ',') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_escaped_and_match_only_that_path() {
        let p = Path::new("/a/b[1]*{x,y}");
        let g = glob_escape(p);
        assert_eq!(g, "/a/b\\[1\\]\\*\\{x\\,y\\}");
        let m = globset::Glob::new(&g).unwrap().compile_matcher();
        assert!(m.is_match(p));
        assert!(!m.is_match("/a/b1zz"));
    }
}
