//! What a live collection tells the person watching it, on stderr: a progress bar (accounts,
//! regions and service steps done) when stderr is an interactive terminal, and `-v` log lines.
//!
//! Used by the collectors (step counts), by the call recorder (`-v` lines) and by the CLI,
//! which decides the mode: `--quiet` and non-terminal runs draw nothing, so only results reach
//! the output. Log lines go through the bar so the two never garble each other.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How much to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReportMode {
    /// Draw a progress bar (the CLI sets this for an interactive stderr without `--quiet`).
    pub(crate) progress_bar: bool,
    /// Log every API call and a summary (`-v`).
    pub(crate) verbose: bool,
}

/// The stderr side of a collection.
#[derive(Debug)]
pub(crate) struct Reporter {
    mode: ReportMode,
    bar: Option<ProgressBar>,
    accounts_total: AtomicU64,
    accounts_done: AtomicU64,
    regions_total: AtomicU64,
    regions_done: AtomicU64,
    /// Serializes message updates so the counts in the message never go backwards.
    message: Mutex<()>,
}

impl Reporter {
    pub(crate) fn new(mode: ReportMode) -> Self {
        let bar = mode.progress_bar.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {elapsed_precise} {bar:20} {pos}/{len} steps {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Reporter {
            mode,
            bar,
            accounts_total: AtomicU64::new(0),
            accounts_done: AtomicU64::new(0),
            regions_total: AtomicU64::new(0),
            regions_done: AtomicU64::new(0),
            message: Mutex::new(()),
        }
    }

    pub(crate) fn verbose(&self) -> bool {
        self.mode.verbose
    }

    /// A `-v` line (or a warning): printed above the bar, or straight to stderr.
    pub(crate) fn log(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("nobastion: {line}")),
            None => eprintln!("nobastion: {line}"),
        }
    }

    /// Announce work: `accounts` accounts with `regions` account-regions in all, and `steps`
    /// service steps (the bar's length). May be called more than once as work is discovered.
    pub(crate) fn add_work(&self, accounts: u64, regions: u64, steps: u64) {
        self.accounts_total.fetch_add(accounts, Ordering::Relaxed);
        self.regions_total.fetch_add(regions, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc_length(steps);
        }
        self.refresh();
    }

    pub(crate) fn step_done(&self) {
        self.steps_done(1);
    }

    /// Several steps at once (work skipped because an account or region is unavailable).
    pub(crate) fn steps_done(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        }
    }

    pub(crate) fn region_done(&self) {
        self.regions_done.fetch_add(1, Ordering::Relaxed);
        self.refresh();
    }

    pub(crate) fn account_done(&self) {
        self.accounts_done.fetch_add(1, Ordering::Relaxed);
        self.refresh();
    }

    /// Remove the bar before results are printed.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let _guard = self.message.lock();
        bar.set_message(format!(
            "· accounts {}/{} · regions {}/{}",
            self.accounts_done.load(Ordering::Relaxed),
            self.accounts_total.load(Ordering::Relaxed),
            self.regions_done.load(Ordering::Relaxed),
            self.regions_total.load(Ordering::Relaxed),
        ));
    }
}
