//! Argon2id: derives the 32-byte key that wraps the master key in a key file.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::VaultError;

/// Argon2id cost parameters, stored in each key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: ~0.1-0.3 s on the target machines.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// Upper bounds accepted when reading a key file, so a hostile key file cannot make `open`
/// allocate unbounded memory or spin forever.
pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
/// See [`MAX_MEMORY_KIB`].
pub const MAX_ITERATIONS: u32 = 100;
/// See [`MAX_MEMORY_KIB`].
pub const MAX_PARALLELISM: u32 = 64;

impl KdfParams {
    /// Cheap parameters for tests (8 MiB, 1 pass). Never use for real repositories.
    pub fn insecure_fast() -> KdfParams {
        KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Check the bounds (Argon2's own and [`MAX_MEMORY_KIB`] & co).
    pub fn validate(&self) -> Result<(), String> {
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return Err(format!(
                "argon2 parallelism {} out of range",
                self.parallelism
            ));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "argon2 iterations {} out of range",
                self.iterations
            ));
        }
        if self.memory_kib < 8 * self.parallelism || self.memory_kib > MAX_MEMORY_KIB {
            return Err(format!(
                "argon2 memory {} KiB out of range",
                self.memory_kib
            ));
        }
        Ok(())
    }
}

/// Derive 32 bytes from `password` and `salt` with Argon2id v1.3.
pub fn derive_key(
    password: &[u8],
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    params
        .validate()
        .map_err(|r| VaultError::corrupt("key file", r))?;
    let p = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| VaultError::corrupt("key file", format!("argon2 parameters: {e}")))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(password, salt, out.as_mut())
        .map_err(|e| VaultError::corrupt("key file", format!("argon2: {e}")))?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_password_sensitive() {
        let p = KdfParams::insecure_fast();
        let a = derive_key(b"pw", &[1; 16], &p).unwrap();
        let b = derive_key(b"pw", &[1; 16], &p).unwrap();
        let c = derive_key(b"pw2", &[1; 16], &p).unwrap();
        let d = derive_key(b"pw", &[2; 16], &p).unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        assert_ne!(*a, *d);
    }

    #[test]
    fn hostile_params_are_refused() {
        let huge = KdfParams {
            memory_kib: u32::MAX,
            iterations: 1,
            parallelism: 1,
        };
        assert!(derive_key(b"pw", &[1; 16], &huge).is_err());
        let zero = KdfParams {
            memory_kib: 8192,
            iterations: 0,
            parallelism: 1,
        };
        assert!(derive_key(b"pw", &[1; 16], &zero).is_err());
    }
}
