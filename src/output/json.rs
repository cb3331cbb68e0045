//! JSON files: `summary.json` (run-level results, `metrics::Summary`) and `run.json` (the
//! manifest: what produced these results, so any run can be reproduced and cited).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{OutputError, atomic};
use crate::scenario::ScenarioFile;

/// Provenance of a run, written as `run.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Version of exodus that produced the results.
    pub exodus_version: String,
    /// The command line, argument by argument.
    pub command_line: Vec<String>,
    /// Scenario file as given.
    pub scenario_file: String,
    pub seed: u64,
    /// Replicate whose run is in daily.csv, flows.csv and summary.json.
    pub replicate: u32,
    /// Replicates run (more than 1: replicates.csv and bands.csv hold them all).
    pub replicates: u32,
    /// Quantiles of the band in bands.csv.
    pub band: [f64; 2],
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// Agents per chunk of parallel work and random streams (results depend on it).
    pub chunk_size: usize,
    /// When the run started, RFC 3339, UTC.
    pub started_at: String,
    /// Seconds from start until this manifest was written (all other files were done).
    pub wall_time_seconds: f64,
    /// Seconds spent building networks and drawing populations (all replicates).
    pub build_seconds: f64,
    /// Seconds spent in the daily loop (all replicates).
    pub simulate_seconds: f64,
    /// Agents x days x replicates / simulate_seconds.
    pub agent_updates_per_second: f64,
    /// Files written beside this one.
    pub outputs: Vec<String>,
    /// The scenario as it ran (command-line overrides applied).
    pub scenario: ScenarioFile,
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<PathBuf, OutputError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| OutputError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    atomic::write(path, &bytes)
}
