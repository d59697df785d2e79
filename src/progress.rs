//! Progress reporting. The library draws nothing itself: stages report to a [`Progress`]
//! sink that the caller chooses (the CLI uses indicatif bars on a terminal, tests use
//! [`NoProgress`]).

/// Receives progress from long-running stages.
pub trait Progress: Sync {
    /// A stage starts with `total` units of work (0 when unknown).
    fn start(&self, stage: &str, total: u64);
    /// `n` more units are done.
    fn inc(&self, n: u64);
    /// The current stage is finished.
    fn finish(&self);
}

/// A progress sink that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn inc(&self, _n: u64) {}
    fn finish(&self) {}
}
