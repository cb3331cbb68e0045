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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::app::AppError;
use crate::output;
use crate::sensitivity::{self, MorrisIndex, SobolIndex};

use super::Manifest;
use super::design::{self, Kind};
use super::results::{FAILURES, MANIFEST, RESULTS};

/// Options of `exodus sensitivity`.
#[derive(Debug, Clone)]
pub struct SensitivityOptions {
    pub results: PathBuf,
    pub out: Option<PathBuf>,
    pub resamples: usize,
    pub level: f64,
    pub plots: bool,
}

/// One outcome's analysis.
#[derive(Debug, Clone)]
pub struct OutcomeAnalysis {
    pub outcome: String,
    /// Rows (base rows or trajectories) used, and dropped (a failed point or undefined value).
    pub used: usize,
    pub dropped: usize,
    pub sobol: Option<Vec<SobolIndex>>,
    pub morris: Option<Vec<MorrisIndex>>,
    /// Seed-noise share of one run, and of the replicates' mean (None with one replicate).
    pub noise: Option<(f64, f64)>,
    /// Why no index could be computed.
    pub error: Option<String>,
}

/// The whole analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub manifest: Manifest,
    pub parameters: Vec<String>,
    pub outcomes: Vec<OutcomeAnalysis>,
    pub warnings: Vec<String>,
}

/// Per point and outcome: mean and variance over the replicates (NaN where undefined).
struct PointStats {
    mean: Vec<Vec<f64>>,
    var: Vec<Vec<f64>>,
}

fn read_err(path: &Path, what: impl std::fmt::Display) -> AppError {
    AppError::Input(format!("{}: {what}", path.display()))
}

fn read_points(dir: &Path, m: &Manifest) -> Result<PointStats, AppError> {
    let k = m.outcomes.len();
    let reps = m.replicates as usize;
    let mut sum = vec![vec![0.0; m.points]; k];
    let mut sq = vec![vec![0.0; m.points]; k];
    let mut count = vec![vec![0u32; m.points]; k];
    let path = dir.join(RESULTS);
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| read_err(&path, e))?;
    let header = rdr.headers().map_err(|e| read_err(&path, e))?.clone();
    let (oc, vc) = (
        header.len().saturating_sub(2),
        header.len().saturating_sub(1),
    );
    let index: std::collections::HashMap<&str, usize> = m
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| (o.as_str(), i))
        .collect();
    let mut rec = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(read_err(&path, format!("line {line}: {e}"))),
        }
        let bad = |what: &str| read_err(&path, format!("line {line}: {what}"));
        let p: usize = rec
            .get(0)
            .and_then(|s| s.parse().ok())
            .filter(|&p| p < m.points)
            .ok_or_else(|| bad("the point is not a point of the sweep"))?;
        let o = *rec
            .get(oc)
            .and_then(|s| index.get(s))
            .ok_or_else(|| bad("the outcome is not one of sweep.json's"))?;
        let v = match rec.get(vc) {
            Some("") => f64::NAN,
            Some(s) => s
                .parse::<f64>()
                .map_err(|_| bad("the value is not a number"))?,
            None => return Err(bad("the row has no value")),
        };
        sum[o][p] += v;
        sq[o][p] += v * v;
        count[o][p] += 1;
    }
    let mut mean = vec![vec![f64::NAN; m.points]; k];
    let mut var = vec![vec![f64::NAN; m.points]; k];
    for o in 0..k {
        for p in 0..m.points {
            let n = count[o][p] as usize;
            if n == reps && n > 0 {
                let mu = sum[o][p] / n as f64;
                mean[o][p] = mu;
                if n > 1 {
                    var[o][p] = ((sq[o][p] - n as f64 * mu * mu) / (n as f64 - 1.0)).max(0.0);
                }
            }
        }
    }
    Ok(PointStats { mean, var })
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
    let mpath = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&mpath).map_err(|e| {
        read_err(
            &mpath,
            format!(
                "cannot be read ({e}); is {} a sweep's results folder?",
                dir.display()
            ),
        )
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| read_err(&mpath, e))?;
    if !matches!(m.design, Kind::Saltelli | Kind::Morris) {
        return Err(AppError::Input(format!(
            "{}: the sweep's design is {}; sensitivity indices need a saltelli design (Sobol' indices) or a morris design (screening)",
            dir.display(),
            m.design.name()
        )));
    }
    let parameters = m.parameter_paths();
    let d = parameters.len();
    let stats = read_points(dir, &m)?;
    let failed: BTreeSet<usize> = match csv::Reader::from_path(dir.join(FAILURES)) {
        Ok(mut r) => r
            .records()
            .filter_map(|x| x.ok()?.get(0)?.parse().ok())
            .collect(),
        Err(_) => BTreeSet::new(),
    };
    let mut warnings = Vec::new();
    if !failed.is_empty() {
        warnings.push(format!(
            "{} point(s) failed (failures.csv); the base rows or trajectories holding them are left out",
            failed.len()
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
        let mut a = OutcomeAnalysis {
            outcome: name.clone(),
            used: used.len(),
            dropped,
            sobol: None,
            morris: None,
            noise: noise(&pm, &pv, reps),
            error: None,
        };
        match m.design {
            Kind::Saltelli => {
                let at = |s: usize, k: usize| mean[s * per + k];
                let fa: Vec<f64> = used.iter().map(|&s| at(s, 0)).collect();
                let fb: Vec<f64> = used.iter().map(|&s| at(s, d + 1)).collect();
                let fab: Vec<Vec<f64>> = (0..d)
                    .map(|i| used.iter().map(|&s| at(s, 1 + i)).collect())
                    .collect();
                match sensitivity::sobol_indices(&fa, &fb, &fab, opts.resamples, opts.level, seed) {
                    Ok(s) => a.sobol = Some(s),
                    Err(e) => a.error = Some(e.to_string()),
                }
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
                match sensitivity::morris_indices(&effects, opts.resamples, opts.level, seed) {
                    Ok(s) => a.morris = Some(s),
                    Err(e) => a.error = Some(e.to_string()),
                }
            }
        }
        outcomes.push(a);
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

/// A number for tables: 3 significant digits.
fn fmt(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if (-3..6).contains(&mag) {
        let decimals = (2 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.2e}")
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
    let row = |w: &mut csv::Writer<Vec<u8>>, cells: [String; 6]| {
        let _ = w.write_record(&cells);
    };
    row(
        &mut w,
        ["outcome", "parameter", "index", "estimate", "low", "high"].map(String::from),
    );
    let level = opts.level;
    for o in &a.outcomes {
        if let Some(s) = &o.sobol {
            for (p, x) in a.parameters.iter().zip(s) {
                for (name, v, (lo, hi)) in [
                    ("first_order", x.first, x.first_interval),
                    ("total", x.total, x.total_interval),
                ] {
                    row(
                        &mut w,
                        [
                            o.outcome.clone(),
                            p.clone(),
                            name.into(),
                            v.to_string(),
                            lo.to_string(),
                            hi.to_string(),
                        ],
                    );
                }
            }
        }
        if let Some(s) = &o.morris {
            for (p, x) in a.parameters.iter().zip(s) {
                let (lo, hi) = x.mu_star_interval;
                for (name, v, lo, hi) in [
                    ("mu_star", x.mu_star, lo.to_string(), hi.to_string()),
                    ("mu", x.mu, String::new(), String::new()),
                    ("sigma", x.sigma, String::new(), String::new()),
                ] {
                    row(
                        &mut w,
                        [
                            o.outcome.clone(),
                            p.clone(),
                            name.into(),
                            v.to_string(),
                            lo,
                            hi,
                        ],
                    );
                }
            }
        }
        if let Some((one, mean)) = o.noise {
            for (name, v) in [
                ("seed_noise_share", one),
                ("seed_noise_share_of_mean", mean),
            ] {
                row(
                    &mut w,
                    [
                        o.outcome.clone(),
                        String::new(),
                        name.into(),
                        v.to_string(),
                        String::new(),
                        String::new(),
                    ],
                );
            }
        }
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
        if let Some(e) = &o.error {
            s.push_str(&format!("No index: {e}.\n\n"));
            continue;
        }
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
        if let Some(idx) = &o.sobol {
            s.push_str("| parameter | first order | total |\n|---|---:|---:|\n");
            let mut order: Vec<usize> = (0..idx.len()).collect();
            order.sort_by(|&i, &j| idx[j].total.total_cmp(&idx[i].total));
            for i in order {
                let x = &idx[i];
                s.push_str(&format!(
                    "| `{}` | {} [{}, {}] | {} [{}, {}] |\n",
                    a.parameters[i],
                    fmt(x.first),
                    fmt(x.first_interval.0),
                    fmt(x.first_interval.1),
                    fmt(x.total),
                    fmt(x.total_interval.0),
                    fmt(x.total_interval.1)
                ));
            }
        }
        if let Some(idx) = &o.morris {
            s.push_str("| parameter | mu* | mu | sigma |\n|---|---:|---:|---:|\n");
            let mut order: Vec<usize> = (0..idx.len()).collect();
            order.sort_by(|&i, &j| idx[j].mu_star.total_cmp(&idx[i].mu_star));
            for i in order {
                let x = &idx[i];
                s.push_str(&format!(
                    "| `{}` | {} [{}, {}] | {} | {} |\n",
                    a.parameters[i],
                    fmt(x.mu_star),
                    fmt(x.mu_star_interval.0),
                    fmt(x.mu_star_interval.1),
                    fmt(x.mu),
                    fmt(x.sigma)
                ));
            }
            s.push_str("\nElementary effects are per whole range of each parameter (the unit cube's scale).\n");
        }
        s.push('\n');
    }
    s
}
