//! The repository's passwords: key files added, listed, removed and changed, and the two
//! rules that keep a repository from being locked out.

use crate::repo_common;

use repo_common::*;
use vault::storage::MemStore;
use vault::{Repository, Storage, VaultError};

fn open_with(mem: &MemStore, password: &str) -> Result<Repository, VaultError> {
    Repository::open(Storage::new(mem.clone()), password)
}

#[test]
fn a_second_key_opens_and_each_password_can_change_or_go() {
    let mem = MemStore::new();
    let repo = init_on(mem.clone());
    let first = repo.list_keys().unwrap();
    assert_eq!(first.len(), 1);
    assert!(first[0].current);
    let second = repo.add_key("second password").unwrap();
    let keys = repo.list_keys().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .all(|k| k.problem.is_none() && k.created.is_some()));
    assert!(keys.iter().any(|k| k.id == second && !k.current));
    drop(repo);

    // Both passwords open the same repository (same master key: same blob ids).
    let a = open_with(&mem, PASSWORD).unwrap();
    let mut b = open_with(&mem, "second password").unwrap();
    assert_eq!(a.id_of(b"x"), b.id_of(b"x"));
    assert_eq!(b.key_path(), format!("keys/{second}"));

    // Change the second password: the old one no longer opens, the new one does.
    let changed = b.change_password("third password").unwrap();
    assert_ne!(changed, second);
    assert!(matches!(
        open_with(&mem, "second password").unwrap_err(),
        VaultError::WrongPassword
    ));
    let c = open_with(&mem, "third password").unwrap();
    assert_eq!(c.list_keys().unwrap().len(), 2);

    // Remove the first key (not the one in use by `c`); then `c`'s key is the last.
    let removed = c.remove_key(&first[0].id[..8], false).unwrap();
    assert_eq!(removed, first[0].id);
    assert!(matches!(
        open_with(&mem, PASSWORD).unwrap_err(),
        VaultError::WrongPassword
    ));
    let err = c.remove_key(&changed, true).unwrap_err();
    assert!(matches!(err, VaultError::LastKey { .. }), "{err:?}");
    assert!(err.to_string().contains("last"), "{err}");
    open_with(&mem, "third password").unwrap();
}

#[test]
fn the_key_in_use_goes_only_with_force() {
    let mem = MemStore::new();
    let repo = init_on(mem.clone());
    let other = repo.add_key("other").unwrap();
    let own = repo.key_path().trim_start_matches("keys/").to_string();
    let err = repo.remove_key(&own, false).unwrap_err();
    assert!(matches!(err, VaultError::KeyInUse { .. }), "{err:?}");
    assert!(err.to_string().contains("--force"), "{err}");
    repo.remove_key(&own, true).unwrap();
    assert_eq!(repo.list_keys().unwrap().len(), 1);
    open_with(&mem, "other").unwrap();
    assert!(open_with(&mem, PASSWORD).is_err());
    assert_eq!(repo.list_keys().unwrap()[0].id, other);
}

#[test]
fn an_unreadable_key_file_is_listed_and_does_not_count_as_a_spare() {
    let mem = MemStore::new();
    let repo = init_on(mem.clone());
    mem.put_raw("keys/0123abcd", b"{ not a key file".to_vec());
    let keys = repo.list_keys().unwrap();
    let broken = keys.iter().find(|k| k.id == "0123abcd").unwrap();
    assert!(
        broken.problem.as_deref().unwrap().contains("keys/0123abcd"),
        "{broken:?}"
    );
    let own = repo.key_path().trim_start_matches("keys/").to_string();
    let err = repo.remove_key(&own, true).unwrap_err();
    assert!(matches!(err, VaultError::LastKey { .. }), "{err:?}");
    // The broken one can go.
    repo.remove_key("0123abcd", false).unwrap();
}

#[test]
fn unknown_and_ambiguous_key_ids_are_refused() {
    let mem = MemStore::new();
    let repo = init_on(mem.clone());
    for n in 0..20 {
        repo.add_key(&format!("pw{n}")).unwrap();
    }
    let err = repo.remove_key("zz", false).unwrap_err();
    assert!(matches!(err, VaultError::KeyNotFound { .. }), "{err:?}");
    // 21 keys: some first hex digit is shared.
    let keys = repo.list_keys().unwrap();
    let shared = (0..16)
        .map(|d| format!("{d:x}"))
        .find(|p| keys.iter().filter(|k| k.id.starts_with(p.as_str())).count() > 1)
        .unwrap();
    let err = repo.remove_key(&shared, false).unwrap_err();
    assert!(matches!(err, VaultError::AmbiguousKey { .. }), "{err:?}");
    let err = repo.remove_key("", false).unwrap_err();
    assert!(matches!(err, VaultError::KeyNotFound { .. }), "{err:?}");
}
