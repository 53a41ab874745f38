//! Chunk stage (hash + dedup): every chunk the reader cuts gets its keyed id; chunks the
//! repository already has are dropped here, new ones go to the save_blob stage through a
//! bounded channel (the back-pressure that bounds memory).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;

use super::read::{Aborted, ChunkSink};
use super::save_blob::SaveJob;
use crate::{BlobId, BlobKind, Progress, Repository};

/// The pipeline's [`ChunkSink`].
pub(crate) struct DedupSink<'a> {
    pub repo: &'a Repository,
    /// Bytes read count as done for a progress display, chunk by chunk.
    pub progress: Option<&'a Arc<Progress>>,
    pub save: Sender<SaveJob>,
    pub abort: &'a AtomicBool,
}

impl ChunkSink for DedupSink<'_> {
    fn put(&self, data: Vec<u8>) -> Result<BlobId, Aborted> {
        if self.abort.load(Ordering::Relaxed) {
            return Err(Aborted);
        }
        if let Some(p) = self.progress {
            p.add_done(0, data.len() as u64);
        }
        let id = self.repo.id_of(&data);
        if !self.repo.has_blob(BlobKind::Data, &id) {
            self.save
                .send(SaveJob {
                    kind: BlobKind::Data,
                    id,
                    data,
                })
                .map_err(|_| Aborted)?;
        }
        Ok(id)
    }
}
