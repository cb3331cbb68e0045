//! The progress bar on standard error: one bar for a whole command, however many simulations
//! it runs (a run's replicates, a comparison's scenarios times replicates, a check's
//! replicates), counting simulated days, with the simulation under way, the time taken and the
//! time left. Hidden with `--quiet` or when standard error is not a terminal (indicatif's
//! rule), so logs and pipes get no bar.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A command's progress over its simulations.
pub struct Progress {
    bar: ProgressBar,
    /// Simulations in all, and how many have started.
    runs: u64,
    started: AtomicU64,
}

impl Progress {
    /// A bar over `runs` simulations of `days` days in all (hidden if `quiet`).
    pub fn new(days: u64, runs: u64, quiet: bool) -> Progress {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(days), ProgressDrawTarget::stderr_with_hz(4))
        };
        let template = if runs > 1 {
            "{msg} [{bar:30}] {percent}%, {elapsed} (eta {eta})"
        } else {
            "{msg:>18} [{bar:30}] {pos}/{len} days, {elapsed} (eta {eta})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            runs,
            started: AtomicU64::new(0),
        }
    }

    /// A bar that is never shown.
    pub fn hidden() -> Progress {
        Progress::new(0, 1, true)
    }

    /// A simulation starts: `what` names it (a scenario and replicate) when there are several.
    pub fn start(&self, what: &str) {
        let k = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        self.stage(k, what, "building network");
    }

    /// The started simulation moves to its daily loop.
    pub fn simulating(&self, what: &str) {
        let k = self.started.load(Ordering::Relaxed);
        self.stage(k, what, "simulating");
    }

    fn stage(&self, k: u64, what: &str, stage: &str) {
        if self.runs > 1 {
            self.bar.set_message(format!(
                "run {k}/{}: {}, {stage}",
                self.runs,
                crate::output::text::printable(what)
            ));
        } else {
            self.bar.set_message(stage.to_string());
        }
    }

    /// One day simulated.
    pub fn day(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_counts_runs_and_days() {
        let p = Progress::new(10, 2, true);
        p.start("a, replicate 0");
        for _ in 0..5 {
            p.day();
        }
        p.start("b, replicate 0");
        assert_eq!(p.started.load(Ordering::Relaxed), 2);
        assert_eq!(p.bar.position(), 5);
    }
}
