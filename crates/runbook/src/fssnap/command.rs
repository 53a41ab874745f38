//! `command`: the administrator's own pair, for every other storage (an XFS freeze with the
//! array's snapshot, a SAN's CLI, a ZFS clone). `create_command` must make a snapshot of
//! `{volume}` readable at `{mount}` (an empty directory cnxbackup created) and exit 0;
//! `remove_command` undoes it. `{name}` is a name for the snapshot unique to the run. The
//! commands are split into words like a shell would, and run without a shell.

use std::path::Path;

use super::common::{
    mount_point, run_checked, FsSnapError, SnapshotConfig, SnapshotMethod, Taken, Undo, Volume,
};
use crate::process::{self, CommandSpec};

pub(super) fn preflight(cfg: &SnapshotConfig) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, value) in [
        ("create_command", &cfg.create_command),
        ("remove_command", &cfg.remove_command),
    ] {
        match value.as_deref().map(process::split_command) {
            None => problems.push(format!(
                "snapshot.method = \"command\" needs snapshot.{key}"
            )),
            Some(Err(e)) => problems.push(format!("snapshot.{key}: {e}")),
            Some(Ok(words)) => {
                if process::which(&words[0]).is_none() {
                    problems.push(format!(
                        "snapshot.{key}: {} is missing or not executable",
                        words[0]
                    ));
                }
            }
        }
    }
    problems
}

/// `line` split into words with `{volume}`, `{mount}` and `{name}` filled in.
fn words(
    key: &'static str,
    line: Option<&str>,
    v: &Volume,
    mount: &Path,
    name: &str,
) -> Result<Vec<String>, FsSnapError> {
    let line = line.ok_or_else(|| FsSnapError::Config {
        key,
        message: "is required with method = \"command\"".into(),
    })?;
    let words =
        process::split_command(line).map_err(|message| FsSnapError::Config { key, message })?;
    Ok(words
        .into_iter()
        .map(|w| {
            w.replace("{volume}", &v.root.to_string_lossy())
                .replace("{mount}", &mount.to_string_lossy())
                .replace("{name}", name)
        })
        .collect())
}

fn spec(cfg: &SnapshotConfig, words: &[String]) -> CommandSpec {
    let (program, args) = words
        .split_first()
        .map_or(("", &[][..]), |(p, a)| (p.as_str(), a));
    let program = process::which(program).unwrap_or_else(|| program.into());
    CommandSpec::new(program).args(args).timeout(cfg.timeout)
}

pub(super) fn create(cfg: &SnapshotConfig, v: &Volume, name: &str) -> Result<Taken, FsSnapError> {
    let at = cfg.mount_dir.join(name);
    let create = words(
        "create_command",
        cfg.create_command.as_deref(),
        v,
        &at,
        name,
    )?;
    let undo = words(
        "remove_command",
        cfg.remove_command.as_deref(),
        v,
        &at,
        name,
    )?;
    mount_point(&at)?;
    if let Err(e) = run_checked(SnapshotMethod::Command, &v.root, &spec(cfg, &create)) {
        // it may have done half its work: undo what can be undone
        if let Err(undo) = remove(cfg, &undo, &at) {
            tracing::error!(
                "snapshot {name} of {} left behind: {undo}",
                v.root.display()
            );
        }
        return Err(e);
    }
    Ok(Taken {
        volume: v.clone(),
        at: at.clone(),
        undo: Undo::Command {
            words: undo,
            mount: at,
        },
    })
}

pub(super) fn remove(
    cfg: &SnapshotConfig,
    words: &[String],
    mount: &Path,
) -> Result<(), FsSnapError> {
    run_checked(SnapshotMethod::Command, mount, &spec(cfg, words))?;
    let _ = std::fs::remove_dir(mount);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_word_by_word() {
        let v = Volume {
            root: "/data/shared".into(),
            device: "/dev/sdb1".into(),
            fstype: "xfs".into(),
        };
        let w = words(
            "create_command",
            Some("/usr/local/bin/snap create --volume {volume} --at '{mount}' {name}"),
            &v,
            Path::new("/var/tmp/cnx snap/x"),
            "cnxbackup-1-0",
        )
        .unwrap();
        assert_eq!(
            w,
            [
                "/usr/local/bin/snap",
                "create",
                "--volume",
                "/data/shared",
                "--at",
                "/var/tmp/cnx snap/x",
                "cnxbackup-1-0"
            ]
        );
        assert!(words("create_command", None, &v, Path::new("/m"), "n").is_err());
    }
}
