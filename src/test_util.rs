//! Helpers shared by the unit tests.

/// Runs `f` inside a fresh rayon pool of `threads` threads.
pub(crate) fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool for the test")
        .install(f)
}

/// `f` run on a 1-thread pool and on a `threads`-thread pool, for the tests that results
/// are the same bits whatever the number of threads.
pub(crate) fn on_1_and_n_threads<R: Send>(threads: usize, f: impl Fn() -> R + Sync) -> (R, R) {
    (in_pool(1, &f), in_pool(threads, &f))
}
