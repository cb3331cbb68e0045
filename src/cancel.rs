//! Stopping long work from outside the process's signal handling: a token that a host program
//! (the Python package, whose user presses Ctrl-C in a notebook) sets, and that runs check
//! between days (also during the burn-in), comparisons and checks between runs, sweeps between
//! windows of points and calibrations between batches of simulations. Work stopped this way
//! ends with [`crate::app::AppError::Interrupted`]; what a sweep or calibration had finished is
//! kept in its folder, so the same call resumes it. The command line does not use it: there
//! Ctrl-C ends the process (`output::cleanup`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cancellation token; clones share it. The default token is never cancelled and costs one
/// branch to check.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    /// A token that can be cancelled.
    pub fn new() -> Cancel {
        Cancel(Some(Arc::new(AtomicBool::new(false))))
    }

    /// Asks the work holding this token (or a clone of it) to stop.
    pub fn cancel(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the work was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_token_and_the_default_never_stops() {
        let never = Cancel::default();
        never.cancel();
        assert!(!never.is_cancelled());
        let token = Cancel::new();
        let held = token.clone();
        assert!(!held.is_cancelled());
        token.cancel();
        assert!(held.is_cancelled());
    }
}
