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
/// The mmap threshold is left to glibc. Fixing it at 1 MiB (and trimming the heap after each
/// chunk of a streamed `apply`) lowered the peak of a 1M-paragraph apply from 538 to 435 MiB
/// (3M: 639 to 488 MiB) but cost 13–17% of the wall time in page faults (1.9M faults
/// against 0.3M; AMD EPYC, 2 cores). Users who want the lower peak can set
/// `MALLOC_MMAP_THRESHOLD_=1048576` themselves: 1M paragraphs then peaked at 447 MiB in
/// 26.6 s against 538 MiB in 23.7 s (same machine).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called before any thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
