//! The `cnxbackup` executable; everything lives in the library of the same name, except the
//! one process-wide decision a library must not take: how the C allocator behaves.

fn main() -> std::process::ExitCode {
    tune_allocator();
    cnxbackup::main_entry()
}

/// Keeps the resident memory of a backup (and of the other commands) near the memory it
/// actually uses (glibc only; a no-op with other C libraries). Set before any thread starts,
/// so no thread has created its own arena yet.
///
/// Measured on the 512 MiB bench set: backup peak RSS 215 MiB with glibc's defaults, most of
/// it free memory kept in malloc arenas. glibc gives each thread its own arena (up to 8 per
/// core); the backup pipeline's ~14 threads allocate chunks (~1 MiB), sealed blobs and pack
/// parts in one thread and free them in another, and after the first large free glibc's
/// dynamic mmap threshold moves such sizes from `mmap` into the arenas, where each arena
/// keeps its own high-water mark. Two arenas (allocations are few and mostly large: no lock
/// contention to speak of) and a fixed 4 MiB mmap threshold (the chunker's 12 MiB stream
/// buffers and the largest chunks are mapped and unmapped, so freeing them returns them at
/// once; ~1 MiB buffers are reused from the two arenas) gave a peak of 86–97 MiB. A 1 MiB
/// threshold (and `malloc_trim` after every pack) gave 76–82 MiB but cost 13 % more CPU:
/// every chunk-sized buffer was a fresh mapping, page-faulted and zeroed by the kernel.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
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
    }
}
