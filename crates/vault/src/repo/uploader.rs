//! Background pack uploads, so that writing (and fsyncing) a finished pack overlaps with the
//! compression and sealing of the next blobs instead of stalling a saving thread.
//!
//! A fixed number of threads take finished packs over a rendezvous channel (so at most
//! `threads` packs are in flight: memory stays bounded) and report each result on a
//! completion channel. The repository reaps completions: it indexes uploaded packs, or
//! records the first failure, which then fails every later `save_blob` and `flush`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::packer::FinishedPack;
use crate::format::pack::pack_path;
use crate::storage::Storage;
use crate::VaultError;

/// Result of one upload.
pub(crate) type Done = (Arc<FinishedPack>, Result<(), VaultError>);

pub(crate) struct Uploader {
    tx: Option<SyncSender<Arc<FinishedPack>>>,
    pub(crate) done: Mutex<Receiver<Done>>,
    /// Packs handed over and not yet reaped.
    pub(crate) in_flight: AtomicUsize,
    handles: Vec<JoinHandle<()>>,
}

impl Uploader {
    pub(crate) fn start(storage: &Storage, threads: usize) -> Result<Uploader, VaultError> {
        let (tx, rx) = mpsc::sync_channel::<Arc<FinishedPack>>(0);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::new();
        for n in 0..threads.max(1) {
            let rx = rx.clone();
            let done_tx = done_tx.clone();
            let storage = storage.clone();
            let h = std::thread::Builder::new()
                .name(format!("vault-upload-{n}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok(pack) = job else { return };
                    let result = storage.write_parts(&pack_path(&pack.id), pack.parts.clone());
                    if done_tx.send((pack, result)).is_err() {
                        return;
                    }
                })
                .map_err(|e| VaultError::Io {
                    path: "vault-upload thread".into(),
                    source: e,
                })?;
            handles.push(h);
        }
        Ok(Uploader {
            tx: Some(tx),
            done: Mutex::new(done_rx),
            in_flight: AtomicUsize::new(0),
            handles,
        })
    }

    /// Hand a pack to an upload thread; blocks while all of them are busy.
    pub(crate) fn submit(&self, pack: Arc<FinishedPack>) -> Result<(), VaultError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let sent = self.tx.as_ref().map(|tx| tx.send(pack));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => {
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                Err(VaultError::InvalidArgument(
                    "the pack upload threads have stopped".into(),
                ))
            }
        }
    }
}

impl Drop for Uploader {
    fn drop(&mut self) {
        // Closing the channel lets the threads finish the uploads they hold, then exit.
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
