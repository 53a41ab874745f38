//! The vendor's check of each staged image (`db2ckbkp`, `RESTORE VERIFYONLY`), run once the
//! images are stored and the servers were started again (`--restart`): it reads the staged
//! image, not the servers, so it does not keep Connections down. The manifest is written
//! after it, so the snapshot is COMPLETE only when every check passed; a damaged image fails
//! its database the same way a failed backup does.

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
