//! `exodus sensitivity SWEEP_RESULTS`: global sensitivity indices of every outcome of a
//! finished sweep — Sobol' first-order and total indices from a Saltelli design, Morris mu*,
//! mu and sigma from a Morris design — each on the mean over the replicates of a point, with
//! bootstrap intervals, and the share of an outcome's variance that is seed noise (replicates
//! of one point differ only in their random numbers). Writes `sensitivity.csv` (tidy),
//! `sensitivity.md` and a chart per outcome.
//!
//! Seed noise. With R replicates per point, s_w^2 (the mean over points of the replicates'
//! variance) estimates the noise of one run, and the variance of the point means V_m is
//! Var(E[Y|x]) + s_w^2 / R; the noise share of one run is s_w^2 / (V_m - s_w^2/R + s_w^2), and
//! that of the means the indices are computed on is (s_w^2 / R) / V_m.

use std::path::{Path, PathBuf};

use crate::app::AppError;
use crate::output;
use crate::sensitivity;

use super::Manifest;
use super::design::{self, Kind};
use super::results::{PointTable, read_failures};

/// Options of `exodus sensitivity`.
#[derive(Debug, Clone)]
pub struct SensitivityOptions {
    pub results: PathBuf,
    pub out: Option<PathBuf>,
    pub resamples: usize,
    pub level: f64,
    pub plots: bool,
}

/// One index of one parameter: its name in sensitivity.csv, its label in tables and charts,
/// its estimate and, where one is computed, its bootstrap interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub index: &'static str,
    pub label: &'static str,
    pub estimate: f64,
    pub interval: Option<(f64, f64)>,
}

/// One outcome's analysis.
#[derive(Debug, Clone)]
pub struct OutcomeAnalysis {
    pub outcome: String,
    /// Rows (base rows or trajectories) used, and dropped (a failed point or undefined value).
    pub used: usize,
    pub dropped: usize,
    /// Each parameter's indices (in the manifest's parameter order; the most telling index
    /// first: Sobol' total, or Morris mu*), or why none could be computed.
    pub indices: Result<Vec<Vec<Bar>>, String>,
    /// Seed-noise share of one run, and of the replicates' mean (None with one replicate).
    pub noise: Option<(f64, f64)>,
}

impl OutcomeAnalysis {
    /// (parameter, its indices), the largest first index first.
    pub fn ranked<'a>(&'a self, parameters: &'a [String]) -> Vec<(&'a str, &'a [Bar])> {
        let mut rows: Vec<(&str, &[Bar])> = match &self.indices {
            Ok(idx) => parameters
                .iter()
                .map(String::as_str)
                .zip(idx.iter().map(Vec::as_slice))
                .collect(),
            Err(_) => Vec::new(),
        };
        rows.sort_by(|a, b| b.1[0].estimate.total_cmp(&a.1[0].estimate));
        rows
    }
}

fn bar(
    index: &'static str,
    label: &'static str,
    estimate: f64,
    interval: Option<(f64, f64)>,
) -> Bar {
    Bar {
        index,
        label,
        estimate,
        interval,
    }
}

fn sobol_bars(x: &sensitivity::SobolIndex) -> Vec<Bar> {
    vec![
        bar("total", "total", x.total, Some(x.total_interval)),
        bar(
            "first_order",
            "first order",
            x.first,
            Some(x.first_interval),
        ),
    ]
}

fn morris_bars(x: &sensitivity::MorrisIndex) -> Vec<Bar> {
    vec![
        bar("mu_star", "mu*", x.mu_star, Some(x.mu_star_interval)),
        bar("mu", "mu", x.mu, None),
        bar("sigma", "sigma", x.sigma, None),
    ]
}

/// The whole analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub manifest: Manifest,
    pub parameters: Vec<String>,
    pub outcomes: Vec<OutcomeAnalysis>,
    pub warnings: Vec<String>,
}

/// Seed-noise shares from the point means and variances of the points used.
fn noise(mean: &[f64], var: &[f64], reps: usize) -> Option<(f64, f64)> {
    if reps < 2 {
        return None;
    }
    let pts: Vec<(f64, f64)> = mean
        .iter()
        .zip(var)
        .filter(|(m, v)| m.is_finite() && v.is_finite())
        .map(|(m, v)| (*m, *v))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mu = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let vm = pts.iter().map(|p| (p.0 - mu).powi(2)).sum::<f64>() / (n - 1.0);
    let sw = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let r = reps as f64;
    let signal = (vm - sw / r).max(0.0);
    let one = if signal + sw > 0.0 {
        sw / (signal + sw)
    } else {
        0.0
    };
    let of_mean = if vm > 0.0 {
        (sw / r / vm).min(1.0)
    } else {
        0.0
    };
    Some((one, of_mean))
}

/// Analyses a finished sweep folder.
pub fn analyse(opts: &SensitivityOptions) -> Result<Analysis, AppError> {
    let dir = &opts.results;
    let m = Manifest::read(dir).map_err(|e| AppError::Input(e.to_string()))?;
    if !matches!(m.design, Kind::Saltelli | Kind::Morris) {
        return Err(AppError::Input(format!(
            "{}: the sweep's design is {}; sensitivity indices need a saltelli design (Sobol' indices) or a morris design (screening)",
            dir.display(),
            m.design.name()
        )));
    }
    let parameters = m.parameter_paths();
    let d = parameters.len();
    let stats = PointTable::read(dir, &m).map_err(|e| AppError::Input(e.to_string()))?;
    let failed = read_failures(dir)
        .map_err(|e| AppError::Input(e.to_string()))?
        .len();
    let mut warnings = Vec::new();
    if failed > 0 {
        warnings.push(format!(
            "{failed} point(s) failed (failures.csv); the base rows or trajectories holding them are left out"
        ));
    }
    let per = m.design.points_per_sample(d);
    let samples = m.points / per;
    let reps = m.replicates as usize;
    let seed = m.seed;
    let mut outcomes = Vec::new();
    let unit: Vec<Vec<f64>> = if m.design == Kind::Morris {
        design::unit_points(m.design, m.design_seed, samples, d, m.levels.unwrap_or(4))
    } else {
        Vec::new()
    };
    for (o, name) in m.outcomes.iter().enumerate() {
        let mean = &stats.mean[o];
        let whole = |s: usize| (s * per..(s + 1) * per).all(|p| mean[p].is_finite());
        let used: Vec<usize> = (0..samples).filter(|&s| whole(s)).collect();
        let dropped = samples - used.len();
        let points: Vec<usize> = used.iter().flat_map(|&s| s * per..(s + 1) * per).collect();
        let pm: Vec<f64> = points.iter().map(|&p| mean[p]).collect();
        let pv: Vec<f64> = points.iter().map(|&p| stats.var[o][p]).collect();
        let indices = match m.design {
            Kind::Saltelli => {
                let at = |s: usize, k: usize| mean[s * per + k];
                let fa: Vec<f64> = used.iter().map(|&s| at(s, 0)).collect();
                let fb: Vec<f64> = used.iter().map(|&s| at(s, d + 1)).collect();
                let fab: Vec<Vec<f64>> = (0..d)
                    .map(|i| used.iter().map(|&s| at(s, 1 + i)).collect())
                    .collect();
                sensitivity::sobol_indices(&fa, &fb, &fab, opts.resamples, opts.level, seed)
                    .map(|s| s.iter().map(sobol_bars).collect())
            }
            _ => {
                let mut effects = vec![Vec::new(); d];
                for &t in &used {
                    for step in 1..per {
                        let (p0, p1) = (t * per + step - 1, t * per + step);
                        if let Some(i) = (0..d).find(|&i| unit[p0][i] != unit[p1][i]) {
                            effects[i].push((mean[p1] - mean[p0]) / (unit[p1][i] - unit[p0][i]));
                        }
                    }
                }
                sensitivity::morris_indices(&effects, opts.resamples, opts.level, seed)
                    .map(|s| s.iter().map(morris_bars).collect())
            }
        };
        outcomes.push(OutcomeAnalysis {
            outcome: name.clone(),
            used: used.len(),
            dropped,
            indices: indices.map_err(|e| e.to_string()),
            noise: noise(&pm, &pv, reps),
        });
    }
    if m.design == Kind::Saltelli {
        warnings.extend(sensitivity::design_warnings(samples));
    } else if samples < 10 {
        warnings.push(format!(
            "{samples} trajectories is few for Morris screening (10 to 50 is usual): read mu* with its interval"
        ));
    }
    Ok(Analysis {
        manifest: m,
        parameters,
        outcomes,
        warnings,
    })
}

/// A number for tables: people as 23.1 M, others to 3 significant digits.
fn fmt(x: f64) -> String {
    if x.abs() >= 1000.0 {
        crate::plot::style::human(x)
    } else {
        crate::calibration::significant(x, 3)
    }
}

/// Writes sensitivity.csv, sensitivity.md (and charts) into `out`; returns the files.
pub fn write(
    a: &Analysis,
    out: &Path,
    opts: &SensitivityOptions,
) -> Result<Vec<PathBuf>, AppError> {
    output::create_dir(out)?;
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut row = |cells: [&str; 6]| {
        // Text cells are defused; numbers are written as they are.
        let cells = cells.map(|c| {
            if c.parse::<f64>().is_ok() {
                std::borrow::Cow::Borrowed(c)
            } else {
                output::text::csv_cell(c)
            }
        });
        // Writing to memory cannot fail.
        let _ = w.write_record(cells.iter().map(|c| c.as_bytes()));
    };
    row(["outcome", "parameter", "index", "estimate", "low", "high"]);
    let level = opts.level;
    let blank = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for r in index_rows(a) {
        row([
            &r.outcome,
            &r.parameter,
            r.index,
            &r.estimate.to_string(),
            &blank(r.low),
            &blank(r.high),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    let mut files = vec![output::atomic::write(&out.join("sensitivity.csv"), &bytes)?];
    files.push(output::atomic::write(
        &out.join("sensitivity.md"),
        markdown(a, level).as_bytes(),
    )?);
    if opts.plots {
        files.extend(crate::plot::sweep::plot_sensitivity(a, out, level)?);
    }
    Ok(files)
}

/// One row of sensitivity.csv: an index of a parameter for an outcome with its bootstrap
/// interval where one is computed, or (parameter empty) an outcome's seed-noise share.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexRow {
    pub outcome: String,
    pub parameter: String,
    pub index: &'static str,
    pub estimate: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// sensitivity.csv's rows, in its order.
pub fn index_rows(a: &Analysis) -> Vec<IndexRow> {
    let mut rows = Vec::new();
    for o in &a.outcomes {
        for (p, bars) in a.parameters.iter().zip(o.indices.iter().flatten()) {
            for b in bars {
                rows.push(IndexRow {
                    outcome: o.outcome.clone(),
                    parameter: p.clone(),
                    index: b.index,
                    estimate: b.estimate,
                    low: b.interval.map(|i| i.0),
                    high: b.interval.map(|i| i.1),
                });
            }
        }
        if let Some((one, mean)) = o.noise {
            for (index, estimate) in [
                ("seed_noise_share", one),
                ("seed_noise_share_of_mean", mean),
            ] {
                rows.push(IndexRow {
                    outcome: o.outcome.clone(),
                    parameter: String::new(),
                    index,
                    estimate,
                    low: None,
                    high: None,
                });
            }
        }
    }
    rows
}

/// The Markdown report: one table per outcome, parameters by importance.
pub fn markdown(a: &Analysis, level: f64) -> String {
    let m = &a.manifest;
    let pct = (level * 100.0).round();
    let mut s = format!(
        "# Sensitivity of {} ({} design)\n\n{} points ({} {}), {} replicate(s) per point, {} agents; \
         indices of each outcome's mean over the replicates, {pct}% bootstrap intervals.\n\n",
        m.scenario,
        m.design.name(),
        m.points,
        m.points / m.design.points_per_sample(a.parameters.len()),
        m.design.unit(),
        m.replicates,
        m.agents
    );
    for w in &a.warnings {
        s.push_str(&format!("> warning: {w}\n\n"));
    }
    for o in &a.outcomes {
        s.push_str(&format!("## {}\n\n", o.outcome));
        let idx = match &o.indices {
            Ok(idx) => idx,
            Err(e) => {
                s.push_str(&format!("No index: {e}.\n\n"));
                continue;
            }
        };
        let unit = if m.design == Kind::Saltelli {
            "base rows"
        } else {
            "trajectories"
        };
        s.push_str(&format!("{} {unit} used", o.used));
        if o.dropped > 0 {
            s.push_str(&format!(
                ", {} left out (a failed point or an undefined value)",
                o.dropped
            ));
        }
        match o.noise {
            Some((one, mean)) => s.push_str(&format!(
                "; seed noise: {:.0}% of one run's variance, {:.0}% of the mean's.\n\n",
                100.0 * one,
                100.0 * mean
            )),
            None => s.push_str("; seed noise not measured (one replicate per point).\n\n"),
        }
        let labels: Vec<&str> = idx
            .first()
            .map_or(Vec::new(), |b| b.iter().map(|b| b.label).collect());
        s.push_str(&format!(
            "| parameter | {} |\n|---|{}\n",
            labels.join(" | "),
            "---:|".repeat(labels.len())
        ));
        for (p, bars) in o.ranked(&a.parameters) {
            let cells: Vec<String> = bars
                .iter()
                .map(|b| match b.interval {
                    Some((lo, hi)) => format!("{} [{}, {}]", fmt(b.estimate), fmt(lo), fmt(hi)),
                    None => fmt(b.estimate),
                })
                .collect();
            s.push_str(&format!("| `{p}` | {} |\n", cells.join(" | ")));
        }
        if m.design == Kind::Morris {
            s.push_str("\nElementary effects are per whole range of each parameter (the unit cube's scale).\n");
        }
        s.push('\n');
    }
    s
}
