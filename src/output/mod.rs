//! Output writers: one exporter per file format behind one trait, all writing atomically.
//!
//! Exporters are opened before a run starts (so a bad output path fails at once, not after an
//! hour), receive each day as it finishes, and on `finish` move their file into place with an
//! atomic rename: a results folder never holds a half-written file. `json` writes the
//! run-level files (`summary.json`, `run.json`).
//!
//! Files written by `exodus run` (documented in docs/outputs.md):
//! - `daily.csv`: date, day, platform, metric, value — tidy long format (`metrics::Metric`);
//! - `flows.csv`: date, day, from, to, value — people moving between platforms (non-zero rows);
//! - `summary.json`: `metrics::Summary`;
//! - `run.json`: `json::Manifest`.

pub mod atomic;
pub mod binary;
pub mod csv;
pub mod json;

use std::path::{Path, PathBuf};

use crate::metrics::DayRecord;

/// A failure to write results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: ::csv::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// Receives days as they finish and writes one file.
pub trait Exporter: Send {
    /// Writes one day.
    fn day(&mut self, record: &DayRecord) -> Result<(), OutputError>;
    /// Completes the file and moves it into place; returns its final path.
    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError>;
}

/// Creates the results folder `dir` (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })
}
