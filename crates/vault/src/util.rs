//! Small helpers: clock, host and user names.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now as unix nanoseconds.
pub fn now_unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix ns as `YYYY-MM-DD HH:MM:SS UTC` (civil-from-days, proleptic Gregorian).
pub fn format_unix_ns(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Bytes for people, in binary units: `512 B`, `1.5 MiB`, `3.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// This machine's host name (from /proc or the environment; "unknown" otherwise).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The current user's name (from the environment; "unknown" otherwise).
pub fn username() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Keeps a backup's resident memory near the memory it actually uses (glibc only; a no-op
/// with other C libraries).
///
/// Measured on the 512 MiB bench set: peak RSS 215 MiB with glibc's defaults, most of it
/// free memory kept in malloc arenas. glibc gives each thread its own arena (up to 8 per
/// core); the pipeline's ~14 threads allocate chunks (~1 MiB), sealed blobs and pack parts
/// in one thread and free them in another, and after the first large free glibc's dynamic
/// mmap threshold moves such sizes from `mmap` into the arenas, where each arena keeps its
/// own high-water mark. Two arenas (allocations here are few and mostly large: no lock
/// contention to speak of) and a fixed 4 MiB mmap threshold (the chunker's 12 MiB stream
/// buffers and the largest chunks are mapped and unmapped, so freeing them returns them at
/// once; ~1 MiB buffers are reused from the two arenas) gave a peak of 86–97 MiB. A 1 MiB
/// threshold (and `malloc_trim` after every pack) gave 76–82 MiB but cost 13 % more CPU:
/// every chunk-sized buffer was a fresh mapping, page-faulted and zeroed by the kernel.
/// Process-wide and idempotent; called by the backup.
pub(crate) fn tune_allocator_for_backup() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use std::os::raw::c_int;
            /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` of glibc's malloc.h.
            const M_MMAP_THRESHOLD: c_int = -3;
            const M_ARENA_MAX: c_int = -8;
            extern "C" {
                fn mallopt(param: c_int, value: c_int) -> c_int;
            }
            // SAFETY: mallopt only sets limits glibc consults on later allocations; no
            // preconditions, callable from any thread.
            unsafe {
                mallopt(M_ARENA_MAX, 2);
                mallopt(M_MMAP_THRESHOLD, 4 << 20);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix_ns(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_unix_ns(1_700_000_000_000_000_000),
            "2023-11-14 22:13:20 UTC"
        );
    }
}
