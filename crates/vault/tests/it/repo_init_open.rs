//! init / open / passwords / format version.
#![allow(clippy::unwrap_used)]

use crate::repo_common;

use repo_common::*;
use vault::{KdfParams, Repository, Storage, VaultError};

#[test]
fn init_then_open_with_the_same_password() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let id = repo.id_of(b"hello");
    let cfg = repo.config().clone();
    drop(repo);
    let repo = open(dir.path());
    assert_eq!(repo.config(), &cfg);
    // Same master key: same keyed ids and chunker seed.
    assert_eq!(repo.id_of(b"hello"), id);
    assert!(dir.path().join("config").is_file());
    assert_eq!(files_under(dir.path(), "keys").len(), 1);
}

#[test]
fn wrong_password_is_reported_as_only_that() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let err = Repository::open(Storage::local(dir.path()).unwrap(), "not it").unwrap_err();
    assert!(matches!(err, VaultError::WrongPassword), "{err:?}");
    assert_eq!(err.to_string(), "wrong password");
    assert!(!format!("{err:?}").contains("not it"));
}

#[test]
fn a_second_password_opens_the_same_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    repo.add_password("second one", KdfParams::insecure_fast())
        .unwrap();
    let id = repo.id_of(b"x");
    drop(repo);
    let other = Repository::open(Storage::local(dir.path()).unwrap(), "second one").unwrap();
    assert_eq!(other.id_of(b"x"), id);
    assert_eq!(files_under(dir.path(), "keys").len(), 2);
    open(dir.path());
}

#[test]
fn init_refuses_an_existing_repository_and_open_an_empty_dir() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let err = Repository::init(Storage::local(dir.path()).unwrap(), PASSWORD, &opts()).unwrap_err();
    assert!(
        matches!(err, VaultError::RepositoryExists { .. }),
        "{err:?}"
    );
    let empty = tempfile::tempdir().unwrap();
    let err = Repository::open(Storage::local(empty.path()).unwrap(), PASSWORD).unwrap_err();
    assert!(matches!(err, VaultError::NoRepository { .. }), "{err:?}");
    assert!(err.to_string().contains("init"), "{err}");
}

#[test]
fn newer_format_version_asks_for_an_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let path = dir.path().join("config");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    cfg["format_version"] = (vault::FORMAT_VERSION + 1).into();
    std::fs::write(&path, serde_json::to_vec(&cfg).unwrap()).unwrap();
    let err = Repository::open(Storage::local(dir.path()).unwrap(), PASSWORD).unwrap_err();
    assert!(matches!(err, VaultError::NewerFormat { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("newer cnxbackup") && msg.contains("upgrade cnxbackup"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("format {}", vault::FORMAT_VERSION + 1)),
        "{msg}"
    );
}

#[test]
fn corrupt_config_names_the_object() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    std::fs::write(dir.path().join("config"), b"{ not json").unwrap();
    let err = Repository::open(Storage::local(dir.path()).unwrap(), PASSWORD).unwrap_err();
    assert!(matches!(err, VaultError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("config"), "{err}");
}

#[test]
fn invalid_init_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.pack_size = 10;
    assert!(Repository::init(Storage::local(dir.path()).unwrap(), PASSWORD, &o).is_err());
    let mut o = opts();
    o.compression_level = 99;
    assert!(Repository::init(Storage::local(dir.path()).unwrap(), PASSWORD, &o).is_err());
    let err = Repository::init(Storage::local(dir.path()).unwrap(), "", &opts()).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    // Nothing was written by the refused inits.
    assert!(!dir.path().join("config").exists());
}

/// Issue 21 case 11: a truncated key file was reported as "wrong password".
#[test]
fn a_truncated_key_file_is_not_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let key = files_under(dir.path(), "keys").pop().unwrap();
    let bytes = std::fs::read(&key).unwrap();
    std::fs::write(&key, &bytes[..bytes.len() / 2]).unwrap();
    let err = Repository::open(Storage::local(dir.path()).unwrap(), PASSWORD).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyFilesUnusable { tried: 0, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(!msg.contains("wrong password"), "{msg}");
    let name = key.file_name().unwrap().to_string_lossy().to_string();
    assert!(msg.contains(&format!("keys/{name}")), "{msg}");
    assert!(msg.contains("restore keys/ from a copy"), "{msg}");
}

/// A damaged key file beside a readable one the password does not open: both said.
#[test]
fn a_damaged_key_file_beside_another_names_both_possibilities() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let first = files_under(dir.path(), "keys").pop().unwrap();
    repo.add_password("second one", KdfParams::insecure_fast())
        .unwrap();
    drop(repo);
    let mut bytes = std::fs::read(&first).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&first, &bytes).unwrap();
    let err = Repository::open(Storage::local(dir.path()).unwrap(), PASSWORD).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyFilesUnusable { tried: 1, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("opens none of the other 1"),
        "{err}"
    );
    // the intact key file still opens with its own password
    Repository::open(Storage::local(dir.path()).unwrap(), "second one").unwrap();
}

/// Issue 21 case 12: a key file asking for more Argon2 cost than `init` could choose is
/// refused before anything is derived, with the reason.
#[test]
fn a_key_file_with_a_hostile_kdf_cost_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let key = files_under(dir.path(), "keys").pop().unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&key).unwrap()).unwrap();
    v["kdf"]["memory_kib"] = (1024 * 1024).into();
    v["kdf"]["iterations"] = 20.into();
    std::fs::write(&key, serde_json::to_vec(&v).unwrap()).unwrap();
    let err = Repository::open(Storage::local(dir.path()).unwrap(), PASSWORD).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("1024 MiB x 20 passes"), "{msg}");
    assert!(!msg.contains("wrong password"), "{msg}");
}
