//! Charts of a comparison, drawn from its saved files (`comparison.json`, `bands.csv`,
//! `differences.csv`): for each platform, the scenarios overlaid (median line and band of daily
//! active users) and each scenario's paired difference from the baseline with its own band.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::figure::{Series, TimeChart, YFormat};
use super::results::EventMark;
use super::style::{Dash, Marker, PALETTE, human};
use super::{CompareChart, Figure, Format, PlotError, PlotOptions};
use crate::output::atomic;

#[derive(Debug, Deserialize)]
struct Manifest {
    exodus_version: String,
    scenarios: Vec<String>,
    baseline: String,
    seed: u64,
    common_random_numbers: bool,
    replicates: u32,
    band: [f64; 2],
    start: String,
    agents: u64,
    platforms: Vec<String>,
    /// The scenarios as they ran (absent from comparisons of earlier versions).
    #[serde(default)]
    scenario_definitions: Vec<Definition>,
}

/// What the charts use of a scenario as it ran: its events.
#[derive(Debug, Deserialize)]
struct Definition {
    #[serde(default)]
    events: Vec<EventView>,
}

#[derive(Debug, Deserialize)]
struct EventView {
    date: String,
    #[serde(default)]
    label: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    scenario: String,
    day: usize,
    platform: String,
    metric: String,
    median: f64,
    low: f64,
    high: f64,
}

/// scenario -> platform -> per day (median, low, high), for one metric.
type Table = BTreeMap<String, BTreeMap<String, Vec<(f64, f64, f64)>>>;

fn read(path: &Path, metric: &str) -> Result<(Table, usize), PlotError> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| PlotError::Format(path.to_path_buf(), e.to_string()))?;
    let mut table = Table::new();
    let mut days = 0;
    for (line, row) in reader.deserialize::<Row>().enumerate() {
        let row = row.map_err(|e| {
            PlotError::Format(path.to_path_buf(), format!("line {}: {e}", line + 2))
        })?;
        if row.metric != metric {
            continue;
        }
        days = days.max(row.day + 1);
        let cells = table
            .entry(row.scenario)
            .or_default()
            .entry(row.platform)
            .or_default();
        if cells.len() <= row.day {
            cells.resize(row.day + 1, (f64::NAN, f64::NAN, f64::NAN));
        }
        cells[row.day] = (row.median, row.low, row.high);
    }
    Ok((table, days))
}

pub(super) fn file_name(platform: &str) -> String {
    platform
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// File names for a list of names, one each: names that differ only in case or punctuation
/// (`TikTok` and `tiktok`) get `-2`, `-3`, ... after the first, in list order, so no chart
/// overwrites another.
pub(crate) fn file_names<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    names
        .iter()
        .map(|n| {
            let base = file_name(n.as_ref());
            let mut name = base.clone();
            let mut k = 1;
            while !taken.insert(name.clone()) {
                k += 1;
                name = format!("{base}-{k}");
            }
            name
        })
        .collect()
}

/// The labelled events of every scenario compared, each (date, label) once, in date order.
fn events(m: &Manifest) -> Vec<EventMark> {
    let mut marks: Vec<EventMark> = m
        .scenario_definitions
        .iter()
        .flat_map(|d| &d.events)
        .filter(|e| !e.label.trim().is_empty())
        .filter_map(|e| {
            Some(EventMark {
                date: NaiveDate::parse_from_str(e.date.get(..10)?, "%Y-%m-%d").ok()?,
                label: e.label.trim().to_string(),
            })
        })
        .collect();
    marks.sort_by(|a, b| (a.date, &a.label).cmp(&(b.date, &b.label)));
    marks.dedup();
    marks
}

/// Draws the comparison charts of `dir` into `out`; returns the files written.
pub fn plot_comparison(
    dir: &Path,
    out: &Path,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    crate::output::create_dir(out)?;
    for (name, figure) in figures(dir, opts)? {
        for &format in &opts.formats {
            let path = out.join(format!("{name}.{}", format.extension()));
            let bytes = match format {
                Format::Svg => figure.to_svg(opts.width, opts.height)?.into_bytes(),
                Format::Png => figure.to_png(opts.width, opts.height, opts.scale, &path)?,
            };
            written.push(atomic::write(&path, &bytes)?);
        }
    }
    Ok(written)
}

/// The comparison charts of the folder `dir` that `opts` asks for (which charts, platforms and
/// y scale), each with its file name stem, in order: for each platform, the scenarios
/// overlaid, then their differences from the baseline.
pub fn figures(dir: &Path, opts: &PlotOptions) -> Result<Vec<(String, Figure)>, PlotError> {
    let manifest_path = dir.join("comparison.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| PlotError::Read {
        path: manifest_path.clone(),
        source: e,
    })?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| PlotError::Format(manifest_path.clone(), e.to_string()))?;
    let start = NaiveDate::parse_from_str(&m.start, "%Y-%m-%d")
        .map_err(|e| PlotError::Format(manifest_path.clone(), e.to_string()))?;
    let metric = "daily_active_users";
    let (bands, days) = read(&dir.join("bands.csv"), metric)?;
    let (diffs, _) = read(&dir.join("differences.csv"), metric)?;
    let footnote = format!(
        "exodus {} · seed {} · {} agents · median and {:.0}-{:.0}% band of {} replicates{} · simulated, not observed",
        m.exodus_version,
        m.seed,
        human(m.agents as f64),
        100.0 * m.band[0],
        100.0 * m.band[1],
        m.replicates,
        if m.common_random_numbers {
            ", common random numbers"
        } else {
            ", independent random numbers"
        }
    );
    let series = |table: &Table, platform: &str, skip: Option<&str>| -> Vec<Series> {
        m.scenarios
            .iter()
            .enumerate()
            .filter(|(_, s)| Some(s.as_str()) != skip)
            .filter_map(|(i, s)| {
                let cells = table.get(s)?.get(platform)?;
                Some(Series {
                    label: s.clone(),
                    color: PALETTE[i % PALETTE.len()],
                    dash: Dash::nth(i),
                    marker: Marker::nth(i),
                    values: cells.iter().map(|c| c.0).collect(),
                    band: Some((
                        cells.iter().map(|c| c.1).collect(),
                        cells.iter().map(|c| c.2).collect(),
                    )),
                })
            })
            .collect()
    };
    let events = events(&m);
    let log = opts.log;
    let keep = super::pick_platforms(&m.platforms, opts.platforms.as_deref())?;
    let fnames = file_names(&m.platforms);
    let mut figures = Vec::new();
    for i in keep {
        let (platform, fname) = (&m.platforms[i], &fnames[i]);
        let charts = [
            (
                format!("compare-{fname}"),
                TimeChart {
                    title: format!("{platform}: scenarios compared"),
                    subtitle: format!(
                        "Daily active users of {platform} (people represented) in each scenario"
                    ),
                    y_label: "Daily active users (people)".into(),
                    start,
                    days,
                    series: series(&bands, platform, None),
                    events: events.clone(),
                    y_format: YFormat::People,
                    stacked: false,
                    footnote: footnote.clone(),
                    y_log: log,
                    detail: None,
                },
            ),
            (
                format!("difference-{fname}"),
                TimeChart {
                    title: format!("{platform}: difference from {}", m.baseline),
                    subtitle: format!(
                        "Daily active users of {platform}, scenario minus baseline, paired by replicate"
                    ),
                    y_label: "Difference (people)".into(),
                    start,
                    days,
                    series: series(&diffs, platform, Some(&m.baseline)),
                    events: events.clone(),
                    y_format: YFormat::People,
                    stacked: false,
                    footnote: footnote.clone(),
                    y_log: log,
                    detail: None,
                },
            ),
        ];
        for ((name, chart), kind) in charts
            .into_iter()
            .zip([CompareChart::Compare, CompareChart::Difference])
        {
            if !chart.series.is_empty() && opts.compare_charts.contains(&kind) {
                figures.push((name, Figure::Time(chart)));
            }
        }
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_file_names_never_collide() {
        let names = ["TikTok", "tiktok", "Tik Tok", "tik-tok", "tiktok-2"];
        let files = file_names(&names);
        assert_eq!(
            files,
            ["tiktok", "tiktok-2", "tik-tok", "tik-tok-2", "tiktok-2-2"]
        );
    }
}
