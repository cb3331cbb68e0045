//! Charts of a performance benchmark table. This module owns reading `bench.csv` (one row per
//! workload, population size and thread count) and the optional `machine.txt` from a folder,
//! and deciding which rows go into which chart: throughput and time against population size,
//! speedup over one thread, and memory per agent. The drawing itself is `figure::XyChart`.
//!
//! Every chart keeps one colour and marker per workload, so a workload looks the same on all
//! four; dashes tell thread counts (or population sizes, or an estimate) apart within it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::style::RGBColor;
use serde::Deserialize;

use super::figure::{XyChart, XyFormat, XySeries};
use super::style::{Dash, Marker, PALETTE, human, nice_ticks};
use super::{Figure, PlotError, PlotOptions, write_figure};

/// The benchmark table's file name in its folder.
pub const TABLE: &str = "bench.csv";
/// The optional machine description (its first line goes into the footnotes).
pub const MACHINE: &str = "machine.txt";

/// One row of `bench.csv`: one workload at one population size and thread count. Columns the
/// charts do not draw may be missing from the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BenchRow {
    /// What ran: "Reference model R1", "R1 hand-written loop", a scenario's name.
    pub workload: String,
    /// The scenario file, if any.
    #[serde(default)]
    pub scenario: String,
    pub agents: u64,
    pub days: u32,
    #[serde(default)]
    pub degree: u32,
    pub threads: u32,
    pub repeats: u32,
    #[serde(default)]
    pub population_seconds: f64,
    #[serde(default)]
    pub network_seconds: f64,
    /// Seconds for the days simulated, median over the repeats.
    pub simulate_seconds: f64,
    #[serde(default)]
    pub simulate_seconds_min: f64,
    /// agents x days / simulate time, median over the repeats.
    pub updates_per_second: f64,
    #[serde(default)]
    pub updates_per_second_max: f64,
    /// Peak resident memory, 0 if unknown.
    pub peak_rss_bytes: u64,
    #[serde(default)]
    pub bytes_per_agent: f64,
    /// The model's memory estimate for the run, 0 if none.
    pub estimate_bytes: u64,
    #[serde(default)]
    pub estimate_bytes_per_agent: f64,
}

/// Reads a benchmark table; a file that does not parse, has no rows, or a row with 0 agents
/// or 0 threads is a `PlotError::Format` naming the file (and the line).
pub fn read_table(path: &Path) -> Result<Vec<BenchRow>, PlotError> {
    let file = std::fs::File::open(path).map_err(|e| PlotError::read(path, e))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let mut rows = Vec::new();
    for (i, row) in reader.deserialize::<BenchRow>().enumerate() {
        let bad = |what: String| PlotError::Format(path.to_path_buf(), what);
        let row = row.map_err(|e| bad(e.to_string()))?;
        let line = i + 2;
        if row.agents == 0 {
            return Err(bad(format!("line {line}: agents = 0")));
        }
        if row.threads == 0 {
            return Err(bad(format!("line {line}: threads = 0")));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(PlotError::Format(path.to_path_buf(), "no rows".into()));
    }
    Ok(rows)
}

/// The first line of `dir/machine.txt`, if the file exists and that line is not blank.
pub fn read_machine(dir: &Path) -> Result<Option<String>, PlotError> {
    let path = dir.join(MACHINE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .next()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PlotError::read(&path, e)),
    }
}

/// Speedups of one workload at one population size: (threads, agent-updates per second at
/// that thread count / at 1 thread), by threads ascending, starting with (1, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    pub workload: String,
    pub agents: u64,
    pub speedups: Vec<(u32, f64)>,
}

/// Workloads in order of first appearance.
fn workloads(rows: &[BenchRow]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.workload.as_str()) {
            names.push(&r.workload);
        }
    }
    names
}

/// The rows of `workload` grouped by `key`, in key order (first row of each kept first).
fn group_by<'a, K: Ord>(
    rows: &'a [BenchRow],
    workload: &str,
    key: impl Fn(&BenchRow) -> K,
) -> BTreeMap<K, Vec<&'a BenchRow>> {
    let mut groups: BTreeMap<K, Vec<&BenchRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.workload == workload) {
        groups.entry(key(r)).or_default().push(r);
    }
    groups
}

/// Speedup over 1 thread of every (workload, population size) measured at 1 thread and at
/// least one other thread count, by workload (first appearance) then agents. A thread count
/// measured twice counts its first row.
pub fn scaling(rows: &[BenchRow]) -> Vec<Scaling> {
    let mut out = Vec::new();
    for w in workloads(rows) {
        for (agents, group) in group_by(rows, w, |r| r.agents) {
            let mut by_threads: BTreeMap<u32, f64> = BTreeMap::new();
            for r in group {
                by_threads.entry(r.threads).or_insert(r.updates_per_second);
            }
            let Some(&base) = by_threads.get(&1) else {
                continue;
            };
            if by_threads.len() < 2 || base <= 0.0 || !base.is_finite() {
                continue;
            }
            out.push(Scaling {
                workload: w.to_string(),
                agents,
                speedups: by_threads.into_iter().map(|(t, u)| (t, u / base)).collect(),
            });
        }
    }
    out
}

/// "1 thread", "4 threads".
fn threads_text(n: u32) -> String {
    if n == 1 {
        "1 thread".into()
    } else {
        format!("{n} threads")
    }
}

/// "median of 5 repeats", "median of 3-5 repeats" or "one run each".
fn repeats_text(rows: &[BenchRow]) -> String {
    let lo = rows.iter().map(|r| r.repeats).min().unwrap_or(1);
    let hi = rows.iter().map(|r| r.repeats).max().unwrap_or(1);
    match (lo, hi) {
        (_, 0 | 1) => "one run each".into(),
        (lo, hi) if lo == hi => format!("median of {hi} repeats"),
        (lo, hi) => format!("median of {lo}-{hi} repeats"),
    }
}

/// A workload's colour and marker (number `i` in order of appearance).
fn look(i: usize) -> (RGBColor, Marker) {
    (PALETTE[i % PALETTE.len()], Marker::nth(i))
}

/// One series per (workload, thread count) of `y` against `x`, labelled "workload, 2 threads".
fn per_threads(
    rows: &[BenchRow],
    x: impl Fn(&BenchRow) -> f64,
    y: impl Fn(&BenchRow) -> f64,
) -> Vec<XySeries> {
    let mut series = Vec::new();
    for (wi, w) in workloads(rows).into_iter().enumerate() {
        let (color, marker) = look(wi);
        for (ti, (threads, group)) in group_by(rows, w, |r| r.threads).into_iter().enumerate() {
            series.push(XySeries {
                label: format!("{w}, {}", threads_text(threads)),
                color,
                dash: Dash::nth(ti),
                marker: Some(marker),
                points: group.iter().map(|r| (x(r), y(r))).collect(),
            });
        }
    }
    series
}

/// Agent-updates per second against agents.
fn throughput(rows: &[BenchRow], footnote: &str) -> XyChart {
    XyChart {
        title: "exodus performance: throughput".into(),
        subtitle: format!(
            "Agent-updates per second by population size ({}), one line per workload and \
             thread count",
            repeats_text(rows)
        ),
        x_label: "Agents (log scale)".into(),
        y_label: "Agent-updates per second".into(),
        x_log: true,
        series: per_threads(rows, |r| r.agents as f64, |r| r.updates_per_second),
        footnote: footnote.into(),
        ..XyChart::default()
    }
}

/// Speedup over 1 thread against threads, with the ideal line; None if nothing scaled.
fn speedup(rows: &[BenchRow], footnote: &str) -> Option<XyChart> {
    let scaled = scaling(rows);
    let max_threads = scaled
        .iter()
        .flat_map(|s| s.speedups.iter().map(|p| p.0))
        .max()?;
    let mut measured: Vec<u32> = scaled
        .iter()
        .flat_map(|s| s.speedups.iter().map(|p| p.0))
        .collect();
    measured.sort_unstable();
    measured.dedup();
    // First, so the measured lines are drawn over it. Every scaling starts at 1 thread, so
    // the ideal line does too.
    let mut series = vec![XySeries {
        label: "Ideal (linear) speedup".into(),
        color: RGBColor(150, 150, 150),
        dash: Dash::Dashed,
        marker: None,
        points: measured
            .iter()
            .map(|&t| (f64::from(t), f64::from(t)))
            .collect(),
    }];
    let names = workloads(rows);
    for (i, s) in scaled.iter().enumerate() {
        let wi = names.iter().position(|n| *n == s.workload).unwrap_or(0);
        let (color, marker) = look(wi);
        // Dashes tell the sizes of one workload apart.
        let nth = scaled[..i]
            .iter()
            .filter(|t| t.workload == s.workload)
            .count();
        series.push(XySeries {
            label: format!("{}, {} agents", s.workload, human(s.agents as f64)),
            color,
            dash: Dash::nth(nth),
            marker: Some(marker),
            points: s.speedups.iter().map(|&(t, v)| (f64::from(t), v)).collect(),
        });
    }
    // Whole thread counts only: the measured ones while they are few, else round steps.
    let x_ticks = if max_threads <= 8 {
        measured.iter().map(|&t| f64::from(t)).collect()
    } else {
        nice_ticks(0.0, f64::from(max_threads), 5)
            .into_iter()
            .filter(|t| t.fract() == 0.0)
            .collect()
    };
    Some(XyChart {
        title: "exodus performance: scaling with threads".into(),
        subtitle: format!(
            "Agent-updates per second relative to the same workload and population on 1 \
             thread ({})",
            repeats_text(rows)
        ),
        x_label: "Threads".into(),
        y_label: "Speedup over 1 thread".into(),
        x_format: XyFormat::Plain(""),
        y_format: XyFormat::Plain("×"),
        x_ticks: Some(x_ticks),
        series,
        footnote: footnote.into(),
        ..XyChart::default()
    })
}

/// For each population size of `workload`, the row with the most threads among those `keep`
/// accepts.
fn most_threads<'a>(
    rows: &'a [BenchRow],
    workload: &str,
    keep: impl Fn(&BenchRow) -> bool,
) -> Vec<&'a BenchRow> {
    group_by(rows, workload, |r| r.agents)
        .into_values()
        .filter_map(|g| {
            g.into_iter()
                .filter(|r| keep(r))
                .fold(None, |best: Option<&BenchRow>, r| match best {
                    Some(b) if b.threads >= r.threads => Some(b),
                    _ => Some(r),
                })
        })
        .collect()
}

/// Peak memory per agent against agents, with each workload's estimate dashed; None if no row
/// has a memory figure.
fn memory(rows: &[BenchRow], footnote: &str) -> Option<XyChart> {
    let mut series = Vec::new();
    for (wi, w) in workloads(rows).into_iter().enumerate() {
        let (color, marker) = look(wi);
        let per_agent =
            |bytes: u64, r: &BenchRow| (r.agents as f64, bytes as f64 / r.agents as f64);
        let measured = most_threads(rows, w, |r| r.peak_rss_bytes > 0);
        if !measured.is_empty() {
            series.push(XySeries {
                label: format!("{w}, peak RSS"),
                color,
                dash: Dash::Solid,
                marker: Some(marker),
                points: measured
                    .iter()
                    .map(|r| per_agent(r.peak_rss_bytes, r))
                    .collect(),
            });
        }
        let estimated = most_threads(rows, w, |r| r.estimate_bytes > 0);
        if !estimated.is_empty() {
            series.push(XySeries {
                label: format!("{w} estimate"),
                color,
                dash: Dash::Dashed,
                marker: Some(marker),
                points: estimated
                    .iter()
                    .map(|r| per_agent(r.estimate_bytes, r))
                    .collect(),
            });
        }
    }
    if series.is_empty() {
        return None;
    }
    Some(XyChart {
        title: "exodus performance: memory per agent".into(),
        subtitle: "Peak resident memory (RSS) per agent by population size; dashed: estimated \
                   bytes per agent, fixed costs included"
            .into(),
        x_label: "Agents (log scale)".into(),
        y_label: "Bytes per agent".into(),
        x_log: true,
        series,
        footnote: footnote.into(),
        ..XyChart::default()
    })
}

/// Simulation time against agent-days, both logarithmic.
fn time(rows: &[BenchRow], footnote: &str) -> XyChart {
    XyChart {
        title: "exodus performance: time against work".into(),
        subtitle: format!(
            "Seconds to simulate against agent-days (agents × days), log-log ({}): a straight \
             line of slope 1 means cost grows linearly",
            repeats_text(rows)
        ),
        x_label: "Agent-days (log scale)".into(),
        y_label: "Simulation time (seconds, log scale)".into(),
        x_log: true,
        y_log: true,
        y_format: XyFormat::Plain(" s"),
        series: per_threads(
            rows,
            |r| r.agents as f64 * f64::from(r.days),
            |r| r.simulate_seconds,
        ),
        footnote: footnote.into(),
        ..XyChart::default()
    }
}

/// The charts of a benchmark table by file stem, in order: `bench-throughput`,
/// `bench-scaling` (only if some workload ran at 1 thread and another count),
/// `bench-memory` (only if some row has a memory figure), `bench-time`.
pub fn figures(rows: &[BenchRow], footnote: &str) -> Vec<(&'static str, Figure)> {
    let mut out = vec![("bench-throughput", Figure::Xy(throughput(rows, footnote)))];
    if let Some(c) = speedup(rows, footnote) {
        out.push(("bench-scaling", Figure::Xy(c)));
    }
    if let Some(c) = memory(rows, footnote) {
        out.push(("bench-memory", Figure::Xy(c)));
    }
    out.push(("bench-time", Figure::Xy(time(rows, footnote))));
    out
}

/// Draws the charts of `dir/bench.csv` into `out_dir` in the formats, size and scale of `opts`
/// (its chart list is for run charts and is ignored); returns the files written.
pub fn plot_bench(
    dir: &Path,
    out_dir: &Path,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let rows = read_table(&dir.join(TABLE))?;
    let footnote = match read_machine(dir)? {
        Some(machine) => format!("exodus {} · {machine}", crate::VERSION),
        None => format!("exodus {}", crate::VERSION),
    };
    crate::output::create_dir(out_dir)?;
    let mut written = Vec::new();
    for (name, figure) in figures(&rows, &footnote) {
        written.extend(write_figure(&figure, out_dir, name, opts)?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "workload,scenario,agents,days,degree,threads,repeats,\
        population_seconds,network_seconds,simulate_seconds,simulate_seconds_min,\
        updates_per_second,updates_per_second_max,peak_rss_bytes,bytes_per_agent,\
        estimate_bytes,estimate_bytes_per_agent";

    /// A row with the columns the charts use; the rest are plausible.
    fn line(w: &str, agents: u64, threads: u32, ups: f64, rss: u64, est: u64) -> String {
        let days = 120;
        let secs = agents as f64 * f64::from(days) / ups;
        format!(
            "{w},scenarios/r1.toml,{agents},{days},10,{threads},3,0.1,0.2,{secs},{secs},{ups},\
             {ups},{rss},{},{est},{}",
            rss as f64 / agents as f64,
            est as f64 / agents as f64
        )
    }

    fn table(lines: &[String]) -> (tempfile::TempDir, Vec<BenchRow>) {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEADER}\n{}\n", lines.join("\n"));
        std::fs::write(dir.path().join(TABLE), text).unwrap();
        let rows = read_table(&dir.path().join(TABLE)).unwrap();
        (dir, rows)
    }

    fn sample() -> Vec<String> {
        vec![
            line("Reference model R1", 10_000, 1, 4e7, 30_000_000, 1_500_000),
            line("Reference model R1", 10_000, 2, 6e7, 31_000_000, 1_500_000),
            line(
                "Reference model R1",
                1_000_000,
                1,
                5e7,
                150_000_000,
                120_000_000,
            ),
            line(
                "Reference model R1",
                1_000_000,
                2,
                9e7,
                160_000_000,
                120_000_000,
            ),
            line("R1 hand-written loop", 1_000_000, 2, 1.2e8, 0, 0),
        ]
    }

    fn xy(f: &Figure) -> &XyChart {
        match f {
            Figure::Xy(c) => c,
            _ => panic!("not an XyChart"),
        }
    }

    #[test]
    fn reads_every_column() {
        let (_dir, rows) = table(&sample());
        assert_eq!(rows.len(), 5);
        let r = &rows[3];
        assert_eq!(r.workload, "Reference model R1");
        assert_eq!(
            (r.agents, r.days, r.degree, r.threads),
            (1_000_000, 120, 10, 2)
        );
        assert_eq!(r.updates_per_second, 9e7);
        assert!((r.simulate_seconds - 120e6 / 9e7).abs() < 1e-12);
        assert_eq!(
            (r.peak_rss_bytes, r.estimate_bytes),
            (160_000_000, 120_000_000)
        );
        assert_eq!(r.bytes_per_agent, 160.0);
    }

    #[test]
    fn speedup_is_relative_to_one_thread_of_the_same_size() {
        let (_dir, rows) = table(&sample());
        let s = scaling(&rows);
        // The hand-written loop has no 1-thread row: no scaling for it.
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].workload.as_str(), s[0].agents),
            ("Reference model R1", 10_000)
        );
        assert_eq!(s[0].speedups, vec![(1, 1.0), (2, 1.5)]);
        assert_eq!(s[1].agents, 1_000_000);
        assert_eq!(s[1].speedups, vec![(1, 1.0), (2, 1.8)]);
    }

    #[test]
    fn series_group_by_workload_and_threads() {
        let (_dir, rows) = table(&sample());
        let figs = figures(&rows, "exodus test");
        let names: Vec<&str> = figs.iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            [
                "bench-throughput",
                "bench-scaling",
                "bench-memory",
                "bench-time"
            ]
        );
        let t = xy(&figs[0].1);
        let labels: Vec<&str> = t.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Reference model R1, 1 thread",
                "Reference model R1, 2 threads",
                "R1 hand-written loop, 2 threads"
            ]
        );
        assert_eq!(t.series[1].points, vec![(1e4, 6e7), (1e6, 9e7)]);
        // One colour per workload; dashes tell thread counts apart.
        assert_eq!(t.series[0].color, t.series[1].color);
        assert_ne!(t.series[0].color, t.series[2].color);
        assert_ne!(t.series[0].dash, t.series[1].dash);

        let scaling = xy(&figs[1].1);
        let ideal = &scaling.series[0];
        assert_eq!(ideal.points, vec![(1.0, 1.0), (2.0, 2.0)]);
        assert!(ideal.marker.is_none() && ideal.dash == Dash::Dashed);
        assert_eq!(scaling.x_ticks, Some(vec![1.0, 2.0]));
        assert_eq!(scaling.series[1].label, "Reference model R1, 10 k agents");
        assert_eq!(scaling.series[2].points, vec![(1.0, 1.0), (2.0, 1.8)]);

        // Memory: the row with the most threads, RSS and estimate per agent; the loop has none.
        let m = xy(&figs[2].1);
        assert_eq!(m.series.len(), 2);
        assert_eq!(m.series[0].points, vec![(1e4, 3100.0), (1e6, 160.0)]);
        assert_eq!(m.series[1].label, "Reference model R1 estimate");
        assert_eq!(m.series[1].points, vec![(1e4, 150.0), (1e6, 120.0)]);

        // Time: agent-days against seconds.
        let time = xy(&figs[3].1);
        let (x, y) = time.series[2].points[0];
        assert_eq!(x, 1.2e8);
        assert!((y - 1.0).abs() < 1e-12);
        assert!(time.x_log && time.y_log);
    }

    #[test]
    fn charts_without_data_are_left_out() {
        let (_dir, rows) = table(&[
            line("R1", 10_000, 2, 4e7, 0, 0),
            line("R1", 100_000, 2, 5e7, 0, 0),
        ]);
        let names: Vec<&str> = figures(&rows, "").iter().map(|f| f.0).collect();
        assert_eq!(names, ["bench-throughput", "bench-time"]);
        assert_eq!(repeats_text(&rows), "median of 3 repeats");
    }

    #[test]
    fn bad_tables_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TABLE);
        std::fs::write(&path, format!("{HEADER}\nR1,,many,120\n")).unwrap();
        let err = read_table(&path).unwrap_err();
        assert!(
            matches!(&err, PlotError::Format(p, _) if p == &path),
            "{err}"
        );
        assert!(err.to_string().contains("bench.csv"), "{err}");

        std::fs::write(
            &path,
            format!("{HEADER}\n{}\n", line("R1", 1000, 0, 1e6, 0, 0)),
        )
        .unwrap();
        let err = read_table(&path).unwrap_err().to_string();
        assert!(err.ends_with("line 2: threads = 0"), "{err}");

        std::fs::write(&path, format!("{HEADER}\n")).unwrap();
        assert!(
            read_table(&path)
                .unwrap_err()
                .to_string()
                .contains("no rows")
        );
        assert!(matches!(
            read_table(&dir.path().join("missing.csv")),
            Err(PlotError::Read { .. })
        ));
    }

    #[test]
    fn machine_line_is_optional() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_machine(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join(MACHINE), "  AMD EPYC, 2 cores  \nmore\n").unwrap();
        assert_eq!(
            read_machine(dir.path()).unwrap().as_deref(),
            Some("AMD EPYC, 2 cores")
        );
    }
}
