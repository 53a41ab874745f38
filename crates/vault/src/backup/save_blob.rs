//! save_blob stage: compress, seal and pack new blobs on every core.
//! [`Repository::save_blob`] does the work in the calling thread; this stage only provides
//! the threads and turns the first repository error into a pipeline abort.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crossbeam_channel::Receiver;

use crate::{BlobId, BlobKind, Repository, VaultError};

/// One blob to store.
pub(crate) struct SaveJob {
    pub kind: BlobKind,
    pub id: BlobId,
    pub data: Vec<u8>,
}

/// The first fatal error of any stage, and the flag every stage polls to stop early.
#[derive(Debug, Default)]
pub(crate) struct Failure {
    pub abort: AtomicBool,
    error: Mutex<Option<VaultError>>,
}

impl Failure {
    pub fn fail(&self, e: VaultError) {
        if let Ok(mut slot) = self.error.lock() {
            if slot.is_none() {
                *slot = Some(e);
            }
        }
        self.abort.store(true, Ordering::SeqCst);
    }

    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    pub fn take(&self) -> Option<VaultError> {
        self.error.lock().ok().and_then(|mut s| s.take())
    }
}

/// The body of one save_blob thread: runs until the channel closes.
pub(crate) fn save_worker(repo: &Repository, jobs: Receiver<SaveJob>, failure: &Failure) {
    for job in jobs {
        if failure.aborted() {
            continue; // drain so senders never block on a dead pipeline
        }
        if let Err(e) = repo.save_blob(job.kind, job.id, &job.data) {
            failure.fail(e);
        }
    }
}
