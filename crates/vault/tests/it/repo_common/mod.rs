//! Helpers shared by the repository integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use vault::{InitOptions, KdfParams, Repository, Storage};

pub const PASSWORD: &str = "correct horse battery staple";

/// Fast KDF, 1 MiB packs.
pub fn opts() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        ..InitOptions::default()
    }
}

pub fn init(dir: &Path) -> Repository {
    Repository::init(Storage::local(dir).unwrap(), PASSWORD, &opts()).unwrap()
}

pub fn open(dir: &Path) -> Repository {
    Repository::open(Storage::local(dir).unwrap(), PASSWORD).unwrap()
}

/// A repository on any store (memory, the fault-injecting wrapper).
pub fn init_on(store: impl vault::storage::Store + 'static) -> Repository {
    Repository::init(Storage::new(store), PASSWORD, &opts()).unwrap()
}

pub fn open_on(store: impl vault::storage::Store + 'static) -> Repository {
    Repository::open(Storage::new(store), PASSWORD).unwrap()
}

/// Deterministic incompressible bytes.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect()
}

/// Deterministic compressible text.
pub fn text(len: usize, seed: u64) -> Vec<u8> {
    let words = [
        "alpha ",
        "beta ",
        "gamma ",
        "delta ",
        "websphere ",
        "connections ",
    ];
    let mut out = Vec::with_capacity(len);
    let mut i = seed as usize;
    while out.len() < len {
        out.extend_from_slice(words[i % words.len()].as_bytes());
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    out.truncate(len);
    out
}

/// Every file under `dir/sub`, recursively.
pub fn files_under(dir: &Path, sub: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join(sub)];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
