//! Point fit: Nelder-Mead (argmin's implementation) on the unit cube of the free parameters,
//! from several starts, for a quick best fit without a posterior.
//!
//! The simplex moves in unbounded coordinates; a point outside the cube is scored at its
//! nearest point of the cube plus a penalty of 10 per unit outside, so the search stays inside.
//! Restart 0 starts at the middle of the prior box, the others at prior draws from their own
//! stream (seed, restart), so every restart and the best of them are the same at any thread
//! count. Finished restarts are saved; a resumed fit runs only the rest.

use std::sync::atomic::{AtomicU64, Ordering};

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::params::NelderMeadSettings;
use crate::rng::{Purpose, stream};

/// One finished restart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Restart {
    pub index: usize,
    pub start: Vec<f64>,
    /// Best point found (prior quantiles, inside the cube).
    pub best: Vec<f64>,
    pub distance: f64,
    pub iterations: u64,
    /// Candidates scored.
    pub evaluations: u64,
    /// Why the restart ended (argmin's termination status).
    pub status: String,
    pub seconds: f64,
}

/// The state of a point fit, saved after every restart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct PointState {
    pub restarts: Vec<Restart>,
}

impl PointState {
    /// The best restart (lowest distance, earliest on ties).
    pub fn best(&self) -> Option<&Restart> {
        self.restarts.iter().min_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.index.cmp(&b.index))
        })
    }
}

struct Cost<'a> {
    distance: &'a (dyn Fn(&[f64]) -> f64 + Sync),
    evaluations: &'a AtomicU64,
}

fn clamp(x: &[f64]) -> (Vec<f64>, f64) {
    let inside: Vec<f64> = x.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    let outside: f64 = x.iter().zip(&inside).map(|(a, b)| (a - b).abs()).sum();
    (inside, outside)
}

impl CostFunction for Cost<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Self::Param) -> Result<Self::Output, argmin::core::Error> {
        let (u, outside) = clamp(x);
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let d = (self.distance)(&u);
        // An infinite distance (a candidate that cannot run) is made large but finite, so the
        // simplex can still order its vertices.
        Ok(if d.is_finite() { d } else { 1e6 } + 10.0 * outside)
    }
}

/// The starting point of restart `r`.
pub fn start(seed: u64, r: usize, dim: usize) -> Vec<f64> {
    if r == 0 {
        return vec![0.5; dim];
    }
    let mut rng = stream(seed, r as u32, Purpose::Calibration, 0, 1);
    (0..dim).map(|_| rng.random::<f64>()).collect()
}

/// Runs one restart of Nelder-Mead from `start(seed, r)`.
pub fn restart(
    r: usize,
    seed: u64,
    dim: usize,
    settings: &NelderMeadSettings,
    distance: &(dyn Fn(&[f64]) -> f64 + Sync),
) -> Restart {
    let t0 = std::time::Instant::now();
    let x0 = start(seed, r, dim);
    // The first simplex: the start and one step of a quarter of the box along each axis,
    // toward the middle.
    let mut simplex = vec![x0.clone()];
    for k in 0..dim {
        let mut v = x0.clone();
        v[k] += if x0[k] > 0.5 { -0.25 } else { 0.25 };
        simplex.push(v);
    }
    let evaluations = AtomicU64::new(0);
    let cost = Cost {
        distance,
        evaluations: &evaluations,
    };
    let solver = match NelderMead::new(simplex).with_sd_tolerance(settings.tolerance) {
        Ok(s) => s,
        Err(e) => {
            return Restart {
                index: r,
                start: x0.clone(),
                best: x0,
                distance: f64::INFINITY,
                iterations: 0,
                evaluations: 0,
                status: format!("could not start: {e}"),
                seconds: 0.0,
            };
        }
    };
    let result = Executor::new(cost, solver)
        .configure(|state| state.max_iters(settings.max_iterations))
        .timer(false)
        .run();
    let evaluations = evaluations.load(Ordering::Relaxed);
    match result {
        Ok(res) => {
            let state = res.state();
            let best = state
                .get_best_param()
                .map_or_else(|| x0.clone(), |b| clamp(b).0);
            Restart {
                index: r,
                start: x0,
                distance: distance(&best),
                best,
                iterations: state.get_iter(),
                evaluations: evaluations + 1,
                status: state.get_termination_status().to_string(),
                seconds: t0.elapsed().as_secs_f64(),
            }
        }
        Err(e) => Restart {
            index: r,
            start: x0.clone(),
            best: x0,
            distance: f64::INFINITY,
            iterations: 0,
            evaluations,
            status: format!("failed: {e}"),
            seconds: t0.elapsed().as_secs_f64(),
        },
    }
}
