//! Reports: a results folder — a run (with or without replicates), a comparison, a sweep or a
//! calibration — as one
//! self-contained HTML file (inline SVG charts, tables that fit the page, no script and no
//! external resource, so it opens offline in any browser) and as Markdown. Both are written
//! from one document (`doc`) built from the saved results only, by `run`, `comparison`,
//! `sweep` or `calibration`;
//! `format` says how numbers and values read. Every text that comes from a file is escaped.

mod calibration;
mod comparison;
mod doc;
pub(crate) mod format;
mod html;
mod markdown;
mod run;
mod sweep;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::output::atomic;
use crate::plot::PlotError;

pub use comparison::{ComparisonData, terminal_table as comparison_table};
pub(crate) use comparison::{outcome_difference, outcome_value};
pub use doc::Doc;
pub use html::escape;
pub use run::RunData;

/// The width and height, in CSS pixels, of the charts inlined in a report.
pub const CHART_SIZE: (u32, u32) = (1000, 560);

/// The assumptions every run shares, stated in reports (docs/MODEL.md has the full list).
pub const ASSUMPTIONS: [&str; 6] = [
    "Time moves in whole days: an outage of part of a day affects a share of users equal to the share of the day it lasted.",
    "Each user has one main app at a time; other installed apps are used on a day with a fixed probability (secondary use), counted as an expected value.",
    "The population holds the users of the scenario (e.g. US TikTok users); people outside it enter only as background downloads in the app-store rank.",
    "Perceived ban risk grows exponentially as a known deadline approaches, scaled by the perceived probability of a ban; protest follows the ban's salience, which fades with a half-life.",
    "Utilities are linear in the motives; weights, appeals and time scales not taken from a source are assumptions fitted to the calibration targets.",
    "Results are simulated, not observed: each run is one draw; replicates give the spread.",
];

/// The report of the results folder `dir`: a comparison's if it holds `comparison.json`, a
/// sweep's if `sweep.json`, a calibration's if `calibration.json`, a run's otherwise.
pub fn build(dir: &Path) -> Result<Doc, PlotError> {
    let (width, height) = CHART_SIZE;
    if dir.join(comparison::MANIFEST).exists() {
        comparison::build(&ComparisonData::load(dir)?, width, height)
    } else if dir.join(crate::sweep::results::MANIFEST).exists() {
        sweep::build(dir, width)
    } else if dir.join(calibration::MANIFEST).exists() {
        calibration::build(&calibration::CalibrationData::load(dir)?)
    } else {
        run::build(&RunData::load(dir)?, width, height)
    }
}

/// Writes `report.html` and `report.md` for the results in `dir` into `out`.
pub fn write(dir: &Path, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let doc = build(dir)?;
    crate::output::create_dir(out)?;
    let html = html::render(&doc);
    let md = markdown::render(&doc, (out == dir).then_some(dir));
    Ok(vec![
        atomic::write(&out.join("report.html"), html.as_bytes())?,
        atomic::write(&out.join("report.md"), md.as_bytes())?,
    ])
}

/// Reads a JSON file of a results folder.
pub(crate) fn read_json(path: &Path) -> Result<Value, PlotError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| PlotError::Format(path.to_path_buf(), e.to_string()))
}

/// A manifest's fields (but `skip`): the command line as the shell shows it, then a table of
/// the other fields with numbers exactly as recorded.
fn manifest_table(doc: &mut Doc, manifest: &Value, skip: &[&str]) {
    if let Some(args) = manifest["command_line"].as_array() {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.as_str().unwrap_or_default().to_string())
            .collect();
        doc.note("Produced by:");
        doc.code(crate::app::command_text(&args));
    }
    let mut skip = skip.to_vec();
    skip.push("command_line");
    doc.table(run::fields(manifest, &skip, "field"));
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

/// A CSV file of a results folder: its header and rows, read with the csv crate.
pub(crate) struct Csv {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads `path`; errors name the file and line.
    pub fn read(path: &Path) -> Result<Csv, PlotError> {
        let bad = |e: csv::Error| PlotError::Format(path.to_path_buf(), e.to_string());
        let mut reader = csv::Reader::from_path(path).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) => PlotError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::new(io.kind(), io.to_string()),
            },
            _ => bad(e),
        })?;
        let headers = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(String::from).collect()))
            .collect::<Result<_, _>>()
            .map_err(bad)?;
        Ok(Csv { headers, rows })
    }

    /// The field `column` of `row` ("" if the file has no such column).
    pub fn get<'a>(&'a self, row: &'a [String], column: &str) -> &'a str {
        self.headers
            .iter()
            .position(|h| h == column)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }

    /// The field `column` of `row` as a number (NaN if empty or not a number).
    pub fn number(&self, row: &[String], column: &str) -> f64 {
        self.get(row, column).parse().unwrap_or(f64::NAN)
    }
}
