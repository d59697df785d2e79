//! indicatif progress bars on stderr, hidden when stderr is not a terminal or with --quiet.
//!
//! A stage with a known amount of work is a bar (`cluster [=====>    ] 42/110 4s k 7 of
//! 2..=12, restart 3/10`); a stage that does not know it yet is a spinner with the
//! elapsed time. Both tick every 100 ms, so the elapsed time keeps counting while a long
//! step runs; the message is cut to the terminal's width so a line never wraps.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Progress bars for the library's stages.
pub struct Bars {
    visible: bool,
    bar: Mutex<Option<ProgressBar>>,
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>10} [{bar:24}] {pos}/{len} {elapsed:>3} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>10} {spinner} {elapsed:>3} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Bars {
    /// Bars that draw only when stderr is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Self {
        Bars {
            visible: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(g) = self.bar.lock() {
            if let Some(b) = g.as_ref() {
                f(b);
            }
        }
    }
}

impl rhetor::progress::Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        if !self.visible {
            return;
        }
        let b = if total == 0 {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(spinner_style());
            b
        } else {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            b.set_style(bar_style());
            b
        };
        b.set_prefix(stage.to_string());
        b.enable_steady_tick(Duration::from_millis(100));
        if let Ok(mut g) = self.bar.lock() {
            if let Some(old) = g.replace(b) {
                old.finish_and_clear();
            }
        }
    }

    fn set_total(&self, total: u64) {
        self.with_bar(|b| {
            if total > 0 {
                b.set_length(total);
                b.set_style(bar_style());
            }
        });
    }

    fn inc(&self, n: u64) {
        self.with_bar(|b| b.inc(n));
    }

    fn message(&self, msg: &str) {
        self.with_bar(|b| b.set_message(msg.to_string()));
    }

    fn finish(&self) {
        if let Ok(mut g) = self.bar.lock() {
            if let Some(b) = g.take() {
                b.finish_and_clear();
            }
        }
    }
}
