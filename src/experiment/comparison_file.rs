//! Comparison files (`comparisons/*.toml`): a named set of scenarios to compare, with their
//! baseline, replicates, band and dates, so a comparison can be shipped and rerun with one
//! command: `exodus compare comparisons/what-ifs.toml`. Scenario paths are relative to the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::scenario::file::CalendarDate;
use crate::scenario::{Location, ScenarioError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    comparison: Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    name: String,
    #[serde(default)]
    description: String,
    scenarios: Vec<String>,
    baseline: Option<String>,
    replicates: Option<u32>,
    band: Option<[f64; 2]>,
    #[serde(default)]
    dates: Vec<CalendarDate>,
}

/// A comparison read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonFile {
    pub name: String,
    pub description: String,
    pub scenarios: Vec<PathBuf>,
    /// Index of the baseline in `scenarios`.
    pub baseline: usize,
    pub replicates: Option<u32>,
    pub band: Option<(f64, f64)>,
    pub dates: Vec<chrono::NaiveDate>,
}

/// Reads a comparison file.
pub fn load(path: &Path) -> Result<ComparisonFile, ScenarioError> {
    let source = crate::scenario::located::read_input(path)?;
    parse(&source, path)
}

/// Parses comparison text read from `path` (scenario paths are relative to its folder).
pub fn parse(source: &str, path: &Path) -> Result<ComparisonFile, ScenarioError> {
    let file: File = crate::scenario::diagnose::parse(source, path)?;
    let c = file.comparison;
    let dir = path.parent().unwrap_or(Path::new("."));
    let scenarios: Vec<PathBuf> = c.scenarios.iter().map(|s| dir.join(s)).collect();
    let whole = || Location::WholeFile {
        path: path.to_path_buf(),
    };
    if scenarios.len() < 2 {
        return Err(ScenarioError::invalid(
            whole(),
            "comparison.scenarios",
            format!("{} scenarios", scenarios.len()),
            "a comparison needs at least two scenarios",
            "2 or more scenario paths",
        ));
    }
    let baseline = match &c.baseline {
        None => 0,
        Some(b) => c.scenarios.iter().position(|s| s == b).ok_or_else(|| {
            ScenarioError::invalid(
                whole(),
                "comparison.baseline",
                format!("\"{b}\""),
                "is not one of the scenarios",
                c.scenarios.join(", "),
            )
        })?,
    };
    if let Some([lo, hi]) = c.band
        && !(0.0 < lo && lo < hi && hi < 1.0)
    {
        return Err(ScenarioError::invalid(
            whole(),
            "comparison.band",
            format!("[{lo}, {hi}]"),
            "is not a band of quantiles",
            "[low, high] with 0 < low < high < 1",
        ));
    }
    if c.replicates.is_some_and(|r| !(1..=100_000).contains(&r)) {
        return Err(ScenarioError::invalid(
            whole(),
            "comparison.replicates",
            0,
            "is out of range",
            "1 ..= 100000",
        ));
    }
    Ok(ComparisonFile {
        name: c.name,
        description: c.description,
        scenarios,
        baseline,
        replicates: c.replicates,
        band: c.band.map(|[a, b]| (a, b)),
        dates: c.dates.into_iter().map(|d| d.0).collect(),
    })
}
