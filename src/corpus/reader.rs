//! Reading Parquet and CSV through polars without letting a corrupt file end the process.
//!
//! polars' Parquet decoder asserts on some corrupt inputs (a flipped byte in a page header is
//! enough) instead of returning an error. Every polars read of a file a user gave goes
//! through [`catch_quiet`], which turns such a panic into an error message; the panic's own
//! message is not printed.

use polars::prelude::*;
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`catch_quiet`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// How many threads are inside [`catch_quiet`]; while it is not zero, panics on polars'
/// worker threads (which propagate to the caller) are not printed either.
static QUIET_CALLS: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

fn is_polars_worker() -> bool {
    let t = std::thread::current();
    let Some(name) = t.name() else {
        return false;
    };
    let pool = std::env::var("POLARS_THREAD_NAME").unwrap_or_else(|_| "polars".to_string());
    name.starts_with(&format!("{pool}-")) || name.starts_with("async-executor-")
}

/// Installs (once) a panic hook that stays silent inside [`catch_quiet`] and otherwise calls
/// the hook that was there before.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.with(Cell::get)
                || (QUIET_CALLS.load(Ordering::SeqCst) > 0 && is_polars_worker());
            if !quiet {
                previous(info);
            }
        }));
    });
}

struct QuietGuard {
    was_quiet: bool,
}

impl QuietGuard {
    fn new() -> QuietGuard {
        install_hook();
        QUIET_CALLS.fetch_add(1, Ordering::SeqCst);
        QuietGuard {
            was_quiet: QUIET.with(|q| q.replace(true)),
        }
    }
}

impl Drop for QuietGuard {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(self.was_quiet));
        QUIET_CALLS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `f`; a panic inside it becomes `Err(panic message)` and is not printed.
pub(crate) fn catch_quiet<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let _guard = QuietGuard::new();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown error".to_string())
    })
}

/// The first line of a parser message, at most 300 characters (polars' CSV errors can quote
/// kilobytes of the file).
pub(crate) fn short_message(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let first = first.trim();
    if first.chars().count() > 300 {
        let cut: String = first.chars().take(300).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

/// Reads a Parquet file with polars. The error is a message without the path (callers name
/// the file); a corrupt file is an error, never a panic.
pub(crate) fn read_parquet_file(path: &Path) -> Result<DataFrame, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    read_parquet_with(|| ParquetReader::new(f).finish())
}

/// Runs a Parquet read, turning its error or panic into one message (corrupt or truncated
/// files make polars panic).
pub(crate) fn read_parquet_with<T>(read: impl FnOnce() -> PolarsResult<T>) -> Result<T, String> {
    match catch_quiet(read) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!(
            "not a readable Parquet file: {}",
            short_message(&e.to_string())
        )),
        Err(panic) => Err(format!(
            "not a readable Parquet file (corrupt or truncated; the reader stopped at: {}); re-export or re-download it",
            short_message(&panic)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_quiet_turns_a_panic_into_its_message() {
        let r: Result<(), String> = catch_quiet(|| panic!("boom {}", 7));
        assert_eq!(r.unwrap_err(), "boom 7");
        assert_eq!(catch_quiet(|| 3).unwrap(), 3);
        assert!(!QUIET.with(Cell::get), "the flag is restored");
    }

    #[test]
    fn short_message_keeps_the_first_line() {
        assert_eq!(short_message("\n  bad thing\nmore"), "bad thing");
        assert_eq!(short_message(&"x".repeat(400)).chars().count(), 301);
    }
}
