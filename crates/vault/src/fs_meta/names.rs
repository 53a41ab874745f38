//! User and group names for numeric ids, looked up once per id.

use std::collections::HashMap;
use std::sync::Mutex;

use nix::unistd::{Gid, Group, Uid, User};

/// Caches uid -> user name and gid -> group name (NSS lookups are slow and repeat a lot).
#[derive(Debug, Default)]
pub struct NameCache {
    users: Mutex<HashMap<u32, Option<String>>>,
    groups: Mutex<HashMap<u32, Option<String>>>,
}

impl NameCache {
    /// The user name of `uid`, if the system knows one.
    pub fn user(&self, uid: u32) -> Option<String> {
        cached(&self.users, uid, |id| {
            User::from_uid(Uid::from_raw(id))
                .ok()
                .flatten()
                .map(|u| u.name)
        })
    }

    /// The group name of `gid`, if the system knows one.
    pub fn group(&self, gid: u32) -> Option<String> {
        cached(&self.groups, gid, |id| {
            Group::from_gid(Gid::from_raw(id))
                .ok()
                .flatten()
                .map(|g| g.name)
        })
    }
}

fn cached(
    map: &Mutex<HashMap<u32, Option<String>>>,
    id: u32,
    lookup: impl FnOnce(u32) -> Option<String>,
) -> Option<String> {
    if let Ok(guard) = map.lock() {
        if let Some(hit) = guard.get(&id) {
            return hit.clone();
        }
    }
    let name = lookup(id);
    if let Ok(mut guard) = map.lock() {
        guard.insert(id, name.clone());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known_and_cached() {
        let cache = NameCache::default();
        assert_eq!(cache.user(0).as_deref(), Some("root"));
        assert_eq!(cache.group(0).as_deref(), Some("root"));
        // second lookup served from the cache
        assert_eq!(cache.user(0).as_deref(), Some("root"));
        assert_eq!(cache.user(3_999_999_999), None);
    }
}
