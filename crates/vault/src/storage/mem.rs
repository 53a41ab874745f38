//! [`MemStore`]: a repository in memory — for tests, and as the reference implementation
//! of the [`Store`] contract (it is what the contract says and nothing more).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;

use super::store::{ObjectEntry, Store, StoreError, StoreErrorKind};

/// Objects in a sorted map behind a lock. Clones share the objects, so a test can keep one
/// to look at (or damage) what a repository wrote.
#[derive(Debug, Clone, Default)]
pub struct MemStore {
    objects: Arc<RwLock<BTreeMap<String, Bytes>>>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> MemStore {
        MemStore::default()
    }

    // A panic while the lock was held cannot leave the map half-updated (every update is
    // one insert or remove), so a poisoned lock is used as it is.
    fn objects(&self) -> RwLockReadGuard<'_, BTreeMap<String, Bytes>> {
        self.objects
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn objects_mut(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Bytes>> {
        self.objects
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, path: &str) -> Result<Bytes, StoreError> {
        self.objects()
            .get(path)
            .cloned()
            .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound))
    }

    /// Every object path, sorted (for tests that compare what was written).
    pub fn paths(&self) -> Vec<String> {
        self.objects().keys().cloned().collect()
    }

    /// Replace an object's bytes behind the repository's back (tests: damage, truncation).
    pub fn put_raw(&self, path: &str, bytes: Vec<u8>) {
        self.objects_mut()
            .insert(path.to_string(), Bytes::from(bytes));
    }
}

impl Store for MemStore {
    fn location(&self) -> &str {
        "memory"
    }

    fn write(&self, path: &str, parts: Vec<Bytes>) -> Result<(), StoreError> {
        // Assembled before the lock is taken: readers see the old object or the whole new one.
        let bytes = match parts.len() {
            1 => parts.into_iter().next().unwrap_or_default(),
            _ => Bytes::from(parts.concat()),
        };
        self.objects_mut().insert(path.to_string(), bytes);
        Ok(())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.get(path)?.to_vec())
    }

    fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        let bytes = self.get(path)?;
        let size = bytes.len() as u64;
        let start = offset.min(size);
        let end = offset.saturating_add(len).min(size);
        // Both are at most the object's length, which is a usize.
        Ok(bytes[start as usize..end as usize].to_vec())
    }

    fn size(&self, path: &str) -> Result<u64, StoreError> {
        Ok(self.get(path)?.len() as u64)
    }

    fn list(&self, dir: &str) -> Result<Vec<ObjectEntry>, StoreError> {
        Ok(self
            .objects()
            .range(dir.to_string()..)
            .take_while(|(path, _)| path.starts_with(dir))
            .map(|(path, bytes)| ObjectEntry {
                path: path.clone(),
                size: bytes.len() as u64,
            })
            .collect())
    }

    fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.objects_mut().remove(path);
        Ok(())
    }
}
