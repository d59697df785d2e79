//! Progress reporting. The library draws nothing itself: stages report to a [`Progress`]
//! sink that the caller chooses (the CLI uses indicatif bars on a terminal, tests use
//! [`NoProgress`] or [`Recorder`]).
//!
//! A stage calls [`Progress::start`] with its amount of work when it knows it (0 when it
//! does not: the CLI then shows a spinner with the elapsed time, never a full bar), may
//! learn the amount later ([`Progress::set_total`]), reports finished units with
//! [`Progress::inc`] and what it is doing with [`Progress::message`] (e.g. `k 7 of 2..=12,
//! restart 3/10`). Reporting never changes a result: sinks only observe.

use std::sync::Mutex;

/// Receives progress from long-running stages.
pub trait Progress: Sync {
    /// A stage (or a step of one) starts with `total` units of work (0 when unknown). It
    /// replaces the current stage, if any.
    fn start(&self, stage: &str, total: u64);
    /// The current stage's amount of work is now known to be `total` units (the position
    /// is kept).
    fn set_total(&self, _total: u64) {}
    /// `n` more units are done.
    fn inc(&self, n: u64);
    /// What the current stage is doing now (shown beside the bar).
    fn message(&self, _msg: &str) {}
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

/// What a [`Recorder`] saw of one stage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordedStage {
    /// The stage name given to [`Progress::start`].
    pub name: String,
    /// The last total announced (by `start` or `set_total`).
    pub total: u64,
    /// The sum of the increments.
    pub done: u64,
    /// How many times `inc` was called.
    pub incs: u64,
    /// The messages, in order.
    pub messages: Vec<String>,
    /// Whether `finish` was called.
    pub finished: bool,
}

/// A progress sink that records every call (for tests and for callers that want to log
/// progress themselves).
#[derive(Debug, Default)]
pub struct Recorder {
    stages: Mutex<Vec<RecordedStage>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stages seen so far, in start order.
    pub fn stages(&self) -> Vec<RecordedStage> {
        self.stages.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// The first stage named `name`, if any.
    pub fn stage(&self, name: &str) -> Option<RecordedStage> {
        self.stages().into_iter().find(|s| s.name == name)
    }

    fn with_current(&self, f: impl FnOnce(&mut RecordedStage)) {
        if let Ok(mut g) = self.stages.lock() {
            if let Some(s) = g.last_mut().filter(|s| !s.finished) {
                f(s);
            }
        }
    }
}

impl Progress for Recorder {
    fn start(&self, stage: &str, total: u64) {
        if let Ok(mut g) = self.stages.lock() {
            g.push(RecordedStage {
                name: stage.to_string(),
                total,
                ..Default::default()
            });
        }
    }

    fn set_total(&self, total: u64) {
        self.with_current(|s| s.total = total);
    }

    fn inc(&self, n: u64) {
        self.with_current(|s| {
            s.done += n;
            s.incs += 1;
        });
    }

    fn message(&self, msg: &str) {
        self.with_current(|s| s.messages.push(msg.to_string()));
    }

    fn finish(&self) {
        self.with_current(|s| s.finished = true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_keeps_totals_increments_and_messages_per_stage() {
        let r = Recorder::new();
        r.start("a", 0);
        r.set_total(3);
        r.inc(1);
        r.inc(2);
        r.message("step");
        r.finish();
        r.inc(5); // after finish: ignored
        r.start("b", 2);
        r.inc(1);
        let s = r.stages();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].total, s[0].done, s[0].incs), (3, 3, 2));
        assert_eq!(s[0].messages, vec!["step".to_string()]);
        assert!(s[0].finished);
        assert_eq!((s[1].total, s[1].done, s[1].finished), (2, 1, false));
    }
}
