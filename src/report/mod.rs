//! Reports: a finished run's results as one self-contained HTML file (inline SVG charts, tables,
//! the scenario's parameters and events, the manifest and the model's assumptions; no external
//! resource, so it opens offline in any browser) and as Markdown. Both are built from the saved
//! results only (`daily.csv`, `flows.csv`, `summary.json`, `run.json`). Every text that comes
//! from a scenario file is escaped.

mod html;
mod markdown;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::output::atomic;
use crate::plot::{ChartKind, PlotError, RunResults, charts};

pub use html::escape;

/// The assumptions every run shares, stated in reports (docs/MODEL.md has the full list).
pub const ASSUMPTIONS: [&str; 6] = [
    "Time moves in whole days: an outage of part of a day affects a share of users equal to the share of the day it lasted.",
    "Each user has one main app at a time; other installed apps are used on a day with a fixed probability (secondary use), counted as an expected value.",
    "The population holds the users of the scenario (e.g. US TikTok users); people outside it enter only as background downloads in the app-store rank.",
    "Perceived ban risk grows exponentially as a known deadline approaches, scaled by the perceived probability of a ban; protest follows the ban's salience, which fades with a half-life.",
    "Utilities are linear in the motives; weights, appeals and time scales not taken from a source are assumptions fitted to the calibration targets.",
    "Results are simulated, not observed: each run is one draw; replicates give the spread.",
];

/// Everything a report shows, read from a results folder.
pub struct ReportData {
    pub results: RunResults,
    pub manifest: Value,
    pub summary: Value,
}

impl ReportData {
    /// Reads the results folder `dir`.
    pub fn load(dir: &Path) -> Result<ReportData, PlotError> {
        let results = RunResults::load(dir)?;
        let read = |name: &str| -> Result<Value, PlotError> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|source| PlotError::Read {
                path: path.clone(),
                source,
            })?;
            serde_json::from_str(&text).map_err(|e| PlotError::Format(path, e.to_string()))
        };
        Ok(ReportData {
            manifest: read("run.json")?,
            summary: read("summary.json")?,
            results,
        })
    }

    /// The charts to show, as (title, SVG) pairs.
    pub fn charts(&self, width: u32, height: u32) -> Result<Vec<(String, String)>, PlotError> {
        ChartKind::ALL
            .iter()
            .filter(|k| k.available(&self.results))
            .map(|&k| {
                let svg = charts::build(k, &self.results).to_svg(width, height)?;
                Ok((k.name().to_string(), svg))
            })
            .collect()
    }
}

/// Writes `report.html` and `report.md` for the results in `dir` into `out`.
pub fn write(dir: &Path, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let data = ReportData::load(dir)?;
    crate::output::create_dir(out)?;
    let html = html::render(&data)?;
    let md = markdown::render(&data, out == dir);
    Ok(vec![
        atomic::write(&out.join("report.html"), html.as_bytes())?,
        atomic::write(&out.join("report.md"), md.as_bytes())?,
    ])
}

/// A JSON value as plain text for a table cell.
pub(crate) fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            // Counts of people are written for reading (3.4 M); other numbers to 4 significant
            // digits.
            Some(x) if x.abs() >= 1e4 => crate::plot::style::human(x),
            Some(x) if x.fract() != 0.0 => format!("{}", (x * 1e4).round() / 1e4),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k} = {}", plain(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The keys of a list of JSON objects, in first-seen order, for table columns.
pub(crate) fn columns(items: &[Value]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(o) = item {
            for k in o.keys() {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    cols
}
