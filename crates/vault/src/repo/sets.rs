//! Set records: save one, list those of a set (unreadable ones reported, not fatal).

use super::Repository;
use crate::format::set_record::{
    open_set_record, seal_set_record, set_record_path, SetRecord, SETS_DIR,
};
use crate::VaultError;

/// Every set record of a listing with its document or the error that prevented reading it.
pub type SetRecordList = Vec<(String, Result<SetRecord, VaultError>)>;

impl Repository {
    /// Write a set record; returns its id. Records are never changed: a later state is a
    /// new record.
    pub fn save_set_record(&self, record: &SetRecord) -> Result<String, VaultError> {
        let (id, bytes) = seal_set_record(self.key(), record)?;
        self.storage().write(&set_record_path(&id), bytes)?;
        Ok(id)
    }

    /// Every set record (of set `set` when given; unreadable ones always, so that a damaged
    /// record is never silently missing), oldest first.
    pub fn list_set_records(&self, set: Option<&str>) -> Result<SetRecordList, VaultError> {
        let paths: Vec<String> = self
            .storage()
            .list(SETS_DIR)?
            .into_iter()
            .map(|o| o.path)
            .collect();
        let mut out = Vec::with_capacity(paths.len());
        for batch in paths.chunks(crate::repo::METADATA_READ_BATCH) {
            let contents = self
                .storage()
                .read_many(batch, crate::repo::METADATA_READ_CONCURRENCY);
            for (path, content) in batch.iter().zip(contents) {
                let id = path.trim_start_matches(SETS_DIR);
                let record = content.and_then(|b| open_set_record(self.key(), id, &b, path));
                if matches!((&record, set), (Ok(r), Some(s)) if r.set != s) {
                    continue;
                }
                out.push((path.clone(), record));
            }
        }
        out.sort_by_key(|(path, r)| match r {
            Ok(r) => (0, r.time, path.clone()),
            Err(_) => (1, 0, path.clone()),
        });
        Ok(out)
    }
}
