//! Variance-based global sensitivity analysis (issue 12): Sobol' first-order and total indices
//! from a Saltelli design, with bootstrap confidence intervals.
//!
//! The design (Saltelli 2002; Saltelli et al. 2010): two independent N x d sample matrices A
//! and B of the d parameters, and for each parameter i the matrix AB_i, A with its column i
//! taken from B. The model is evaluated on every row of A, B and each AB_i (N (d + 2) runs).
//! With f_A, f_B, f_ABi those outputs and V the variance of all of f_A and f_B (divided by 2N,
//! as SALib computes it):
//!
//! - first order (Saltelli et al. 2010, their eq. (b)): S_i = mean((f_B - m) (f_ABi - f_A)) / V,
//!   with m the mean of f_A and f_B (centring changes not its expectation, only its variance)
//! - total (Jansen 1999): ST_i = mean((f_A - f_ABi)^2) / (2 V)
//!
//! Confidence intervals: percentile bootstrap over the N rows (the same resampled rows for A,
//! B and every AB_i, as the rows are the sampling unit), from a named generator.
//!
//! Screening (Morris 1991; Campolongo, Cariboni and Saltelli 2007): from r trajectories, each
//! parameter's elementary effects EE = (f(x + Delta e_i) - f(x)) / Delta give mu (their mean),
//! mu* (the mean of their absolute values, the measure of importance) and sigma (their standard
//! deviation: interactions or non-linearity), with a percentile-bootstrap interval for mu*
//! over the trajectories.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// One parameter's indices, with their bootstrap confidence intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndex {
    pub first: f64,
    pub first_interval: (f64, f64),
    pub total: f64,
    pub total_interval: (f64, f64),
}

/// Why indices cannot be estimated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensitivityError {
    #[error(
        "at least 2 base rows (Saltelli) or trajectories (Morris) with every value defined are needed, got {0}"
    )]
    TooFewRows(usize),
    #[error(
        "the outputs of A, B and each AB_i must have the same length: A {a}, B {b}, AB_{i} {ab}"
    )]
    Lengths {
        a: usize,
        b: usize,
        i: usize,
        ab: usize,
    },
    #[error("the outputs do not vary (variance 0): no index is defined")]
    NoVariance,
    #[error("an output is not finite (row {row})")]
    NotFinite { row: usize },
}

/// Warnings about a design's size: few base rows (under 512, a computational choice) leave the
/// indices uncertain (read their bootstrap intervals), and a Sobol' sequence is balanced only
/// at powers of two.
pub fn design_warnings(rows: usize) -> Vec<String> {
    let mut w = Vec::new();
    if rows < 512 {
        w.push(format!(
            "{rows} base rows is a small sample: read the indices with their bootstrap intervals (the Ishigami test needs 2^14 random rows for +-0.03)"
        ));
    }
    if !rows.is_power_of_two() {
        w.push(format!(
            "{rows} base rows is not a power of two: a Sobol' sequence is balanced only at powers of two"
        ));
    }
    w
}

/// The Saltelli matrices of a base sample: `base` holds N rows of 2d values in [0, 1) (a
/// quasi-random or random sample of dimension 2d); A is its first d columns, B its last d.
/// Returns the rows of A, B, then AB_0 .. AB_{d-1}, each N rows of d values.
pub fn saltelli_rows(base: &[Vec<f64>], d: usize) -> Vec<Vec<f64>> {
    let a = base.iter().map(|r| r[..d].to_vec());
    let b = base.iter().map(|r| r[d..2 * d].to_vec());
    let mut rows: Vec<Vec<f64>> = a.chain(b).collect();
    for i in 0..d {
        for r in base {
            let mut row = r[..d].to_vec();
            row[i] = r[d + i];
            rows.push(row);
        }
    }
    rows
}

/// Point estimates of every parameter's (first, total) index from the outputs on the rows
/// `rows` (indices into f_A, f_B and each f_ABi).
fn estimate(fa: &[f64], fb: &[f64], fab: &[Vec<f64>], rows: &[usize]) -> Option<Vec<(f64, f64)>> {
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&r| fa[r] + fb[r]).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&r| (fa[r] - mean).powi(2) + (fb[r] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    if var <= 0.0 {
        return None;
    }
    let indices = fab
        .iter()
        .map(|fi| {
            // f_B centred on the mean: the same expectation (f_ABi - f_A has mean 0) and far
            // less variance when the outputs' mean is far from 0 (as SALib normalises).
            let first = rows
                .iter()
                .map(|&r| (fb[r] - mean) * (fi[r] - fa[r]))
                .sum::<f64>()
                / n
                / var;
            let total =
                rows.iter().map(|&r| (fa[r] - fi[r]).powi(2)).sum::<f64>() / n / (2.0 * var);
            (first, total)
        })
        .collect();
    Some(indices)
}

/// Sobol' indices of each parameter from the outputs on A (`fa`), B (`fb`) and each AB_i
/// (`fab[i]`), with `level` (e.g. 0.95) percentile-bootstrap intervals from `resamples`
/// resamples drawn with a generator seeded by `seed`.
pub fn sobol_indices(
    fa: &[f64],
    fb: &[f64],
    fab: &[Vec<f64>],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Vec<SobolIndex>, SensitivityError> {
    let n = fa.len();
    if n < 2 {
        return Err(SensitivityError::TooFewRows(n));
    }
    for (i, fi) in fab.iter().enumerate() {
        if fb.len() != n || fi.len() != n {
            return Err(SensitivityError::Lengths {
                a: n,
                b: fb.len(),
                i,
                ab: fi.len(),
            });
        }
    }
    let all = fa.iter().chain(fb).chain(fab.iter().flatten());
    if let Some(row) = all.clone().position(|v| !v.is_finite()) {
        return Err(SensitivityError::NotFinite { row: row % n });
    }
    let rows: Vec<usize> = (0..n).collect();
    let point = estimate(fa, fb, fab, &rows).ok_or(SensitivityError::NoVariance)?;
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut firsts = vec![Vec::with_capacity(resamples); fab.len()];
    let mut totals = vec![Vec::with_capacity(resamples); fab.len()];
    let mut sample = vec![0; n];
    for _ in 0..resamples {
        for s in &mut sample {
            *s = rng.random_range(0..n);
        }
        // A resample with no variance says nothing; it is skipped.
        if let Some(est) = estimate(fa, fb, fab, &sample) {
            for (i, (f, t)) in est.into_iter().enumerate() {
                firsts[i].push(f);
                totals[i].push(t);
            }
        }
    }
    let interval = |v: &mut Vec<f64>, at: f64| percentile_interval(v, at, level);
    Ok(point
        .into_iter()
        .enumerate()
        .map(|(i, (first, total))| SobolIndex {
            first,
            first_interval: interval(&mut firsts[i], first),
            total,
            total_interval: interval(&mut totals[i], total),
        })
        .collect())
}

/// One parameter's Morris measures.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub mu_star_interval: (f64, f64),
    pub sigma: f64,
    /// Elementary effects it was computed from.
    pub effects: usize,
}

/// Percentile interval of `v` (sorted in place) at `level`; `(at, at)` when empty.
fn percentile_interval(v: &mut [f64], at: f64, level: f64) -> (f64, f64) {
    if v.is_empty() {
        return (at, at);
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    let tail = (1.0 - level) / 2.0;
    (q(tail), q(1.0 - tail))
}

/// Morris measures of each parameter from its elementary effects (`effects[i]`, one per
/// trajectory), with a `level` percentile-bootstrap interval of mu*.
pub fn morris_indices(
    effects: &[Vec<f64>],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Vec<MorrisIndex>, SensitivityError> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    effects
        .iter()
        .map(|ee| {
            let r = ee.len();
            if r < 2 {
                return Err(SensitivityError::TooFewRows(r));
            }
            if let Some(row) = ee.iter().position(|v| !v.is_finite()) {
                return Err(SensitivityError::NotFinite { row });
            }
            let n = r as f64;
            let mu = ee.iter().sum::<f64>() / n;
            let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / n;
            let sigma = (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let mut boot: Vec<f64> = (0..resamples)
                .map(|_| {
                    (0..r)
                        .map(|_| ee[rng.random_range(0..r)].abs())
                        .sum::<f64>()
                        / n
                })
                .collect();
            Ok(MorrisIndex {
                mu,
                mu_star,
                mu_star_interval: percentile_interval(&mut boot, mu_star, level),
                sigma,
                effects: r,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Outputs of `f` (of parameters in [0, 1)) on the Saltelli rows of a random base sample
    /// of `n` rows.
    fn run(
        n: usize,
        d: usize,
        seed: u64,
        f: impl Fn(&[f64]) -> f64,
    ) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let base: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..2 * d).map(|_| rng.random::<f64>()).collect())
            .collect();
        let rows = saltelli_rows(&base, d);
        assert_eq!(rows.len(), n * (d + 2));
        let y: Vec<f64> = rows.iter().map(|r| f(r)).collect();
        let fa = y[..n].to_vec();
        let fb = y[n..2 * n].to_vec();
        let fab = (0..d)
            .map(|i| y[(2 + i) * n..(3 + i) * n].to_vec())
            .collect();
        (fa, fb, fab)
    }

    #[test]
    fn ishigami_indices_are_recovered() {
        // Ishigami and Homma (1990), a = 7, b = 0.1, x ~ U(-pi, pi): analytic indices
        // S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
        let ishigami = |x: &[f64]| {
            let x: Vec<f64> = x.iter().map(|u| -PI + 2.0 * PI * u).collect();
            x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
        };
        let (fa, fb, fab) = run(1 << 14, 3, 11, ishigami);
        let s = sobol_indices(&fa, &fb, &fab, 200, 0.95, 5).unwrap();
        let first = [0.3139, 0.4424, 0.0];
        let total = [0.5576, 0.4424, 0.2437];
        for i in 0..3 {
            // Random (not quasi-random) base rows: standard errors about 0.01 at 2^14 rows.
            assert!((s[i].first - first[i]).abs() < 0.03, "S{i} {:?}", s[i]);
            assert!((s[i].total - total[i]).abs() < 0.03, "ST{i} {:?}", s[i]);
            let (lo, hi) = s[i].total_interval;
            assert!(
                lo <= s[i].total && s[i].total <= hi && hi - lo < 0.1,
                "{:?}",
                s[i]
            );
        }
    }

    #[test]
    fn a_linear_model_has_its_exact_indices() {
        // y = sum a_i x_i, x_i ~ U(0, 1) independent: S_i = ST_i = a_i^2 / sum a_j^2.
        let a = [3.0, 2.0, 1.0, 0.0];
        let (fa, fb, fab) = run(1 << 13, 4, 3, |x| {
            x.iter().zip(&a).map(|(x, a)| x * a).sum()
        });
        let s = sobol_indices(&fa, &fb, &fab, 100, 0.95, 1).unwrap();
        let sum: f64 = a.iter().map(|a| a * a).sum();
        for i in 0..4 {
            let exact = a[i] * a[i] / sum;
            assert!(
                (s[i].first - exact).abs() < 0.03,
                "S{i} {:?} vs {exact}",
                s[i]
            );
            assert!(
                (s[i].total - exact).abs() < 0.02,
                "ST{i} {:?} vs {exact}",
                s[i]
            );
        }
        // A parameter with no effect has total index exactly 0: f_A = f_ABi row by row.
        assert_eq!(s[3].total, 0.0);
    }

    #[test]
    fn morris_measures_of_a_known_function() {
        // f = 2 x0 + x1^2 - 3 x2 x0 over a 4-level grid: x0's effects are 2 - 3 x2 (vary with
        // x2), x1's 2 x1 + Delta, x3 has none.
        let f = |x: &[f64]| 2.0 * x[0] + x[1] * x[1] - 3.0 * x[2] * x[0];
        let (d, levels) = (4, 4);
        let mut effects = vec![Vec::new(); d];
        for t in 0..2000 {
            let tr = crate::sweep::design::morris_trajectory(1, t, d, levels);
            for w in tr.windows(2) {
                let i = (0..d).find(|&i| w[0][i] != w[1][i]).unwrap();
                effects[i].push((f(&w[1]) - f(&w[0])) / (w[1][i] - w[0][i]));
            }
        }
        assert!(effects.iter().all(|e| e.len() == 2000));
        let m = morris_indices(&effects, 200, 0.95, 2).unwrap();
        assert_eq!((m[3].mu_star, m[3].sigma), (0.0, 0.0));
        // x2's effect is -3 x0 with x0 uniform on the grid {0, 1/3, 2/3, 1}: mu* = 3 E[x0] =
        // 1.5 (standard error 3 x 0.373 / sqrt(2000) = 0.025).
        assert!((m[2].mu_star - 1.5).abs() < 0.1, "{:?}", m[2]);
        assert!(m[0].sigma > 0.5 && m[2].sigma > 0.5);
        // x1's effect: x1^2 over a step of +-Delta: (2 x1 + Delta) for a step up.
        assert!(m[1].mu > 0.0 && m[1].mu_star > 0.5, "{:?}", m[1]);
        let (lo, hi) = m[2].mu_star_interval;
        assert!(lo <= m[2].mu_star && m[2].mu_star <= hi);
    }

    #[test]
    fn bad_outputs_are_refused_and_small_designs_warned() {
        let z = vec![1.0; 8];
        assert_eq!(
            sobol_indices(&z, &z, std::slice::from_ref(&z), 10, 0.95, 0),
            Err(SensitivityError::NoVariance)
        );
        assert!(matches!(
            sobol_indices(&[1.0], &[2.0], &[vec![1.0]], 10, 0.95, 0),
            Err(SensitivityError::TooFewRows(1))
        ));
        assert!(matches!(
            sobol_indices(&[1.0, 2.0], &[2.0, 1.0], &[vec![1.0]], 10, 0.95, 0),
            Err(SensitivityError::Lengths { i: 0, ab: 1, .. })
        ));
        assert!(matches!(
            sobol_indices(
                &[1.0, f64::NAN],
                &[2.0, 1.0],
                &[vec![1.0, 2.0]],
                10,
                0.95,
                0
            ),
            Err(SensitivityError::NotFinite { row: 1 })
        ));
        assert_eq!(design_warnings(1024).len(), 0);
        assert_eq!(design_warnings(1000).len(), 1);
        assert_eq!(design_warnings(100).len(), 2);
    }
}
