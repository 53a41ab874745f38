//! The checks after the restart (`--restart`), before the manifest is written — so the
//! snapshot is COMPLETE only when they passed, and a failure is reported as any failed step
//! is (INCOMPLETE, naming it):
//!
//! - the vendor's check of each staged image (`db2ckbkp`, `RESTORE VERIFYONLY`): it reads the
//!   staged image, not the servers, so it does not keep Connections down; a damaged image
//!   fails its database the same way a failed backup does;
//! - the repository check ([`check_stored`]): every upload finished and every pack the index
//!   names is in the repository, long enough for its blobs (`vault::check::check_packs`).

use super::dbsources::DbSource;
use super::recorder::Recorder;
use crate::databases::DatabaseTool;
use crate::manifest::StepStatus;
use crate::procedure::{Item, Scope};

/// Checks every staged image that was stored; failures are recorded (and warned about).
pub(crate) fn verify_images(
    tool: &dyn DatabaseTool,
    dbs: &[DbSource],
    s: &mut Scope<'_, '_>,
    rec: &mut Recorder,
) {
    let staged: Vec<_> = dbs.iter().filter_map(DbSource::as_staged).collect();
    let total = staged.len();
    for (i, (target, image, dir)) in staged.into_iter().enumerate() {
        let stored_ok = rec
            .databases
            .iter()
            .any(|d| d.database == image.database && d.status == StepStatus::Ok);
        if !stored_ok {
            // its failure is recorded already; there is nothing stored to vouch for
            continue;
        }
        let word = match tool.verify(target, image, dir) {
            Ok(verdict) => {
                rec.db_verified(&image.database, verdict);
                "verified"
            }
            Err(e) => {
                let message = format!("{}: the image does not verify: {e}", image.database);
                s.warn(message.clone());
                rec.db_verify_failed(&image.database, message);
                "failed"
            }
        };
        s.progress(Item::new(&image.database, i + 1, total, word));
    }
}

/// Finishes the uploads and checks the packs the index names (present, not truncated); each
/// problem fails the `check` step.
pub(crate) fn check_stored(repo: &vault::Repository, s: &mut Scope<'_, '_>, rec: &mut Recorder) {
    if repo.flush().is_err() {
        // the pipeline's own flush right after fails the same way: the run ends with that
        // repository error and writes no snapshot
        return;
    }
    let problems = match vault::check::check_packs(repo) {
        Ok(problems) => problems.into_iter().map(|p| p.message).collect(),
        Err(e) => vec![format!("the packs could not be listed: {e}")],
    };
    for message in problems {
        let message = format!("repository check after the backup: {message}");
        s.warn(message.clone());
        rec.fail_check(message);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vault::{InitOptions, KdfParams, Repository, Storage};

    use super::*;
    use crate::plan::Plan;
    use crate::procedure::{CollectEvents, Phase, Procedure};

    fn repository(dir: &Path) -> Repository {
        let opts = InitOptions {
            kdf: KdfParams::insecure_fast(),
            ..InitOptions::default()
        };
        Repository::init(Storage::local(dir).unwrap(), "pw", &opts).unwrap()
    }

    /// Runs the check on `repo` as the snapshot phase does; the failed steps it recorded.
    fn checked(repo: &Repository) -> Vec<crate::manifest::FailedStep> {
        let plan = Plan {
            steps: Vec::new(),
            sizes_measured: false,
            total: None,
            size_problems: Vec::new(),
        };
        let mut rec = Recorder::new(&plan);
        let mut events = CollectEvents::default();
        let mut p = Procedure::new(&mut events);
        let mut scope = p.begin(Phase::Snapshot);
        check_stored(repo, &mut scope, &mut rec);
        rec.failed
    }

    #[test]
    fn a_pack_missing_once_the_uploads_are_done_fails_the_check_step() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.bin"), vec![7u8; 200_000]).unwrap();
        let repo = repository(&d.path().join("repo"));
        let opts = vault::backup::BackupOptions {
            host: "h".into(),
            ..vault::backup::BackupOptions::default()
        };
        vault::backup::backup(&repo, &[src], &opts).unwrap();
        assert_eq!(checked(&repo), []);

        let packs = d.path().join("repo/packs");
        let sub = std::fs::read_dir(&packs).unwrap().next().unwrap().unwrap();
        let pack = std::fs::read_dir(sub.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        std::fs::remove_file(pack.path()).unwrap();
        let failed = checked(&repo);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].procedure_step, "check");
        assert!(
            failed[0].message.contains("missing from the repository"),
            "{failed:?}"
        );
    }
}
