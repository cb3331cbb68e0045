//! Reports: a results folder — a run (with or without replicates) or a comparison — as one
//! self-contained HTML file (inline SVG charts, tables that fit the page, no script and no
//! external resource, so it opens offline in any browser) and as Markdown. Both are written
//! from one document (`doc`) built from the saved results only, by `run` or `comparison`;
//! `format` says how numbers and values read. Every text that comes from a file is escaped.

mod comparison;
mod doc;
mod format;
mod html;
mod markdown;
mod run;

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
/// run's otherwise.
pub fn build(dir: &Path) -> Result<Doc, PlotError> {
    let (width, height) = CHART_SIZE;
    if dir.join(comparison::MANIFEST).exists() {
        comparison::build(&ComparisonData::load(dir)?, width, height)
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
