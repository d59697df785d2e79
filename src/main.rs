//! The `rhetor` command line. A thin layer: flags → library params → library → outputs.

mod cli;

fn main() {
    limit_malloc_arenas();
    std::process::exit(cli::main());
}

/// glibc gives threads their own malloc arenas (up to 8 per core), and memory freed in one
/// arena is not reused by another: the streamed `apply` of 100k paragraphs peaked at 509 MiB
/// with the default arenas, 360 MiB with one and 411 MiB with two (2-core Intel Xeon; no
/// difference in wall time). rhetor allocates mostly from rayon's few threads, so two arenas
/// are enough. A `MALLOC_ARENA_MAX` set by the user wins.
///
/// glibc also raises its mmap threshold (up to 32 MiB) each time a large block is freed, so
/// the next chunk's large tables come from the heap and leave holes there; a fixed threshold
/// of 1 MiB returns them to the system when freed: the streamed `apply` of 1M paragraphs
/// peaked at 672 MiB without it and 553 MiB with it (100k: 411 and 369 MiB). A
/// `MALLOC_MMAP_THRESHOLD_` set by the user wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets allocator parameters; called before any thread exists.
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
            }
        }
    }
}
