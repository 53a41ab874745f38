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

/// Upper bounds accepted by `init` and when reading a key file: a key file asks every
/// command that opens the repository to spend this much memory and time before it can even
/// tell a wrong password, so a hostile or altered key file must not ask for more than
/// cnxbackup's own `init` could have chosen (issue 21: 4 GiB and 100 passes made every
/// command take ~6 minutes). 256 MiB: four times the default.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
/// See [`MAX_MEMORY_KIB`].
pub const MAX_ITERATIONS: u32 = 10;
/// See [`MAX_MEMORY_KIB`].
pub const MAX_PARALLELISM: u32 = 64;
/// Memory × passes (KiB): four times the default's cost, so the slowest accepted key file
/// derives in about four times the default's ~0.1-0.3 s.
pub const MAX_COST: u64 = 4 * 64 * 1024 * 3;

impl KdfParams {
    /// Cheap parameters for tests (8 MiB, 1 pass). Never use for real repositories.
    pub fn insecure_fast() -> KdfParams {
        KdfParams {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Check the bounds (Argon2's own, [`MAX_MEMORY_KIB`] & co and [`MAX_COST`]).
    pub fn validate(&self) -> Result<(), String> {
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return Err(format!(
                "argon2 parallelism {} is outside 1..={MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        if self.iterations == 0 || self.memory_kib < 8 * self.parallelism {
            return Err(format!(
                "argon2 parameters {} KiB, {} passes are below Argon2's minimum",
                self.memory_kib, self.iterations
            ));
        }
        let cost = u64::from(self.memory_kib) * u64::from(self.iterations);
        if self.memory_kib > MAX_MEMORY_KIB || self.iterations > MAX_ITERATIONS || cost > MAX_COST {
            return Err(format!(
                "argon2 cost {} MiB x {} passes is more than cnxbackup's init ever chooses (at \
                 most {} MiB, {MAX_ITERATIONS} passes, {} MiB-passes in all): refusing to spend \
                 that memory and time on every command; a key file asking for it was not \
                 written by cnxbackup or was altered",
                self.memory_kib / 1024,
                self.iterations,
                MAX_MEMORY_KIB / 1024,
                MAX_COST / 1024
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

    /// Issue 21 case 12: within the old bounds (4 GiB, 100 passes) a key file made every
    /// command spend minutes; now nothing above what `init` could choose is accepted.
    #[test]
    fn cost_above_what_init_chooses_is_refused_with_the_reason() {
        let hostile = KdfParams {
            memory_kib: 4 * 1024 * 1024,
            iterations: 100,
            parallelism: 1,
        };
        let msg = hostile.validate().unwrap_err();
        assert!(msg.contains("4096 MiB x 100 passes"), "{msg}");
        assert!(
            msg.contains("more than cnxbackup's init ever chooses"),
            "{msg}"
        );
        // each bound on its own, and their product
        for (memory_kib, iterations) in [(512 * 1024, 1), (8192, 11), (256 * 1024, 4)] {
            let p = KdfParams {
                memory_kib,
                iterations,
                parallelism: 1,
            };
            assert!(p.validate().is_err(), "{p:?}");
        }
        KdfParams::default().validate().unwrap();
        for (memory_kib, iterations) in [(256 * 1024, 3), (64 * 1024, 10)] {
            let p = KdfParams {
                memory_kib,
                iterations,
                parallelism: 1,
            };
            p.validate().unwrap();
        }
    }
}
