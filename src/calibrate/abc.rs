//! ABC-SMC (approximate Bayesian computation by sequential Monte Carlo; Toni et al. 2009,
//! Beaumont et al. 2009): a population of weighted particles moved through a decreasing
//! schedule of tolerances toward the posterior.
//!
//! Everything happens on the unit cube of the free parameters' prior quantiles, where the prior
//! is uniform. Generation 0 draws `N` particles from the prior and keeps them all. Generation
//! `t` sets its tolerance `eps_t` to the `quantile` (weighted) of generation `t-1`'s distances,
//! then makes proposals until `N` are accepted (`distance <= eps_t`): proposal `k` picks an
//! ancestor by weight and moves it with a Gaussian kernel, per dimension of variance twice the
//! weighted variance of the previous generation (Beaumont et al. 2009), truncated to the cube.
//! An accepted particle's weight is `1 / sum_j W_j K(u | u_j) / Z_j`, with `Z_j` the kernel's
//! mass inside the cube (the prior density is constant there).
//!
//! Determinism. Proposal `k` of generation `t` draws its random numbers from its own stream
//! (seed, `t`, `k`) and its acceptance depends only on the previous generation, so the
//! accepted particles are the first `N` accepted in proposal order however proposals are
//! batched or run in parallel: the output is identical at any thread count, and a calibration
//! resumed from its saved state (after every batch) ends exactly as one that never stopped.
//! Only the wall-time stop depends on the machine.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::params::AbcSettings;
use super::problem::Evaluation;
use crate::rng::{Purpose, stream};

/// One accepted particle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Particle {
    /// Prior quantiles of the free parameters.
    pub u: Vec<f64>,
    pub weight: f64,
    pub distance: f64,
    /// The targets' mean values (NaN written as null).
    pub values: Vec<Option<f64>>,
}

/// A finished generation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Generation {
    pub index: usize,
    /// None for generation 0 (every prior draw kept).
    pub tolerance: Option<f64>,
    pub particles: Vec<Particle>,
    /// Candidates simulated in this generation.
    pub simulations: u64,
    pub acceptance_rate: f64,
    pub effective_sample_size: f64,
    /// Wall time of the generation (not part of the reproducible output).
    pub seconds: f64,
}

/// A generation under way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Partial {
    pub index: usize,
    pub tolerance: Option<f64>,
    /// Accepted so far, in proposal order (weights not yet computed).
    pub accepted: Vec<Particle>,
    /// Next proposal number.
    pub next: u64,
    pub seconds: f64,
}

/// Why the calibration stopped.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    MinTolerance,
    MaxGenerations,
    MinAcceptance,
    MaxSimulations,
    MaxSeconds,
    /// Stopped through a cancel token (a library user's interrupt).
    Interrupted,
}

impl Stop {
    pub fn describe(self) -> &'static str {
        match self {
            Stop::MinTolerance => "the tolerance reached abc.min_tolerance",
            Stop::MaxGenerations => "abc.max_generations generations were made",
            Stop::MinAcceptance => "the acceptance rate fell below abc.min_acceptance",
            Stop::MaxSimulations => "abc.max_simulations simulations were run",
            Stop::MaxSeconds => "abc.max_seconds of wall time passed",
            Stop::Interrupted => "it was interrupted",
        }
    }

    /// Budgets can be raised and the calibration resumed; the other stops are final for the
    /// same settings.
    pub fn is_budget(self) -> bool {
        matches!(
            self,
            Stop::MaxSimulations | Stop::MaxSeconds | Stop::Interrupted
        )
    }
}

/// The whole state of an ABC-SMC calibration, saved after every batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbcState {
    pub generations: Vec<Generation>,
    pub partial: Option<Partial>,
    pub stopped: Option<Stop>,
}

impl AbcState {
    pub fn new() -> AbcState {
        AbcState {
            generations: Vec::new(),
            partial: None,
            stopped: None,
        }
    }

    /// Simulations run so far (finished generations and the one under way).
    pub fn simulations(&self) -> u64 {
        self.generations.iter().map(|g| g.simulations).sum::<u64>()
            + self.partial.as_ref().map_or(0, |p| p.next)
    }

    pub fn seconds(&self) -> f64 {
        self.generations.iter().map(|g| g.seconds).sum::<f64>()
            + self.partial.as_ref().map_or(0.0, |p| p.seconds)
    }
}

impl Default for AbcState {
    fn default() -> Self {
        AbcState::new()
    }
}

/// What the driver reports as it goes.
pub struct Progress<'a> {
    pub generation: usize,
    pub accepted: usize,
    pub simulations: u64,
    pub tolerance: Option<f64>,
    pub state: &'a AbcState,
}

/// Proposals simulated together. Results do not depend on it.
pub const BATCH: usize = 16;

/// Runs (or continues) ABC-SMC from `state` until a stop rule holds. `evaluate` scores a batch
/// of unit points (in parallel as it likes); `checkpoint` is called after every batch with the
/// state to save and for progress. Budgets (`max_simulations`, `max_seconds`) that held when
/// `state` was saved are checked again, so a resumed run with larger budgets goes on.
/// `interrupted` is asked after every batch: when it says so, the batch (which may hold
/// skipped runs) is dropped and the run stops with [`Stop::Interrupted`], resumable.
pub fn run(
    state: &mut AbcState,
    settings: &AbcSettings,
    dim: usize,
    seed: u64,
    evaluate: &(dyn Fn(&[Vec<f64>]) -> Vec<Evaluation> + Sync),
    checkpoint: &mut dyn FnMut(&Progress),
    interrupted: &dyn Fn() -> bool,
) {
    // Every stop rule is checked again, so a finished calibration run again with a larger
    // budget (more generations, a lower minimum tolerance) goes on, and with the same settings
    // stops where it stopped.
    state.stopped = None;
    let n = settings.particles;
    let started = std::time::Instant::now();
    let seconds_before = state.seconds();
    loop {
        if let Some(stop) = final_stop(state, settings) {
            state.stopped = Some(stop);
            return;
        }
        let index = state.generations.len();
        let mut partial = state.partial.take().unwrap_or_else(|| Partial {
            index,
            tolerance: state
                .generations
                .last()
                .map(|g| next_tolerance(g, settings.quantile)),
            accepted: Vec::new(),
            next: 0,
            seconds: 0.0,
        });
        let kernel = state.generations.last().map(|g| Kernel::new(g, dim));
        let generation_started = std::time::Instant::now();
        let seconds_at_start = partial.seconds;
        while partial.accepted.len() < n {
            let used = state.simulations() + partial.next;
            if used >= settings.max_simulations {
                state.partial = Some(partial);
                state.stopped = Some(Stop::MaxSimulations);
                return;
            }
            if seconds_before + started.elapsed().as_secs_f64() >= settings.max_seconds {
                state.partial = Some(partial);
                state.stopped = Some(Stop::MaxSeconds);
                return;
            }
            let room = (settings.max_simulations - used).min(BATCH as u64) as usize;
            let first = partial.next;
            let points: Vec<Vec<f64>> = (0..room as u64)
                .map(|j| propose(seed, index, first + j, dim, kernel.as_ref()))
                .collect();
            let results = evaluate(&points);
            if interrupted() {
                // The batch may hold skipped runs: it is dropped, and proposed again on resuming.
                state.partial = Some(partial);
                state.stopped = Some(Stop::Interrupted);
                return;
            }
            for (j, (u, e)) in points.into_iter().zip(results).enumerate() {
                if partial.accepted.len() >= n {
                    break;
                }
                partial.next = first + j as u64 + 1;
                let ok =
                    e.distance.is_finite() && partial.tolerance.is_none_or(|eps| e.distance <= eps);
                if ok {
                    partial.accepted.push(Particle {
                        u,
                        weight: 0.0,
                        distance: e.distance,
                        values: e
                            .values
                            .iter()
                            .map(|v| v.is_finite().then_some(*v))
                            .collect(),
                    });
                }
            }
            partial.seconds = seconds_at_start + generation_started.elapsed().as_secs_f64();
            // The saved state holds the generation under way, so a killed calibration resumes
            // from its last batch.
            let (accepted, tolerance) = (partial.accepted.len(), partial.tolerance);
            state.partial = Some(partial);
            let progress = Progress {
                generation: index,
                accepted,
                simulations: state.simulations(),
                tolerance,
                state,
            };
            checkpoint(&progress);
            let Some(p) = state.partial.take() else {
                return;
            };
            partial = p;
        }
        let mut particles = partial.accepted;
        match (&kernel, state.generations.last()) {
            (Some(k), Some(prev)) => {
                for p in &mut particles {
                    p.weight = 1.0 / k.mixture_density(&p.u, prev);
                }
            }
            _ => particles.iter_mut().for_each(|p| p.weight = 1.0),
        }
        let total: f64 = particles.iter().map(|p| p.weight).sum();
        particles.iter_mut().for_each(|p| p.weight /= total);
        let ess = 1.0 / particles.iter().map(|p| p.weight * p.weight).sum::<f64>();
        state.generations.push(Generation {
            index,
            tolerance: partial.tolerance,
            simulations: partial.next,
            acceptance_rate: n as f64 / partial.next.max(1) as f64,
            effective_sample_size: ess,
            particles,
            seconds: partial.seconds,
        });
        state.partial = None;
        let progress = Progress {
            generation: index,
            accepted: n,
            simulations: state.simulations(),
            tolerance: state.generations.last().and_then(|g| g.tolerance),
            state,
        };
        checkpoint(&progress);
    }
}

/// The stop rules checked between generations.
fn final_stop(state: &AbcState, s: &AbcSettings) -> Option<Stop> {
    let last = state.generations.last()?;
    if last.tolerance.is_some_and(|eps| eps <= s.min_tolerance) {
        return Some(Stop::MinTolerance);
    }
    if state.generations.len() >= s.max_generations {
        return Some(Stop::MaxGenerations);
    }
    if last.index > 0 && last.acceptance_rate < s.min_acceptance {
        return Some(Stop::MinAcceptance);
    }
    None
}

/// The weighted `q`-quantile of a generation's distances, never above its own tolerance.
fn next_tolerance(g: &Generation, q: f64) -> f64 {
    let mut d: Vec<(f64, f64)> = g.particles.iter().map(|p| (p.distance, p.weight)).collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = d.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    let mut eps = d.last().map_or(f64::INFINITY, |x| x.0);
    for (dist, w) in &d {
        acc += w / total;
        if acc >= q {
            eps = *dist;
            break;
        }
    }
    g.tolerance.map_or(eps, |prev| eps.min(prev))
}

/// The perturbation kernel of a generation: per-dimension Gaussian, variance twice the weighted
/// variance of the particles, truncated to the unit cube.
struct Kernel {
    sd: Vec<f64>,
    /// The previous generation's particles (the kernel's centres).
    ancestors: Vec<Vec<f64>>,
    /// Weights and, per particle, the log of the kernel's mass inside the cube.
    cum: Vec<f64>,
    log_mass: Vec<f64>,
}

impl Kernel {
    fn new(g: &Generation, dim: usize) -> Kernel {
        let total: f64 = g.particles.iter().map(|p| p.weight).sum();
        let sd: Vec<f64> = (0..dim)
            .map(|k| {
                let mean: f64 = g.particles.iter().map(|p| p.weight * p.u[k]).sum::<f64>() / total;
                let var: f64 = g
                    .particles
                    .iter()
                    .map(|p| p.weight * (p.u[k] - mean).powi(2))
                    .sum::<f64>()
                    / total;
                (2.0 * var).sqrt().max(1e-6)
            })
            .collect();
        let mut acc = 0.0;
        let cum = g
            .particles
            .iter()
            .map(|p| {
                acc += p.weight / total;
                acc
            })
            .collect();
        let log_mass = g
            .particles
            .iter()
            .map(|p| {
                (0..dim)
                    .map(|k| {
                        let m = phi((1.0 - p.u[k]) / sd[k]) - phi(-p.u[k] / sd[k]);
                        m.max(1e-300).ln()
                    })
                    .sum()
            })
            .collect();
        Kernel {
            sd,
            ancestors: g.particles.iter().map(|p| p.u.clone()).collect(),
            cum,
            log_mass,
        }
    }

    /// `sum_j W_j K(u | u_j) / Z_j` over the previous generation.
    fn mixture_density(&self, u: &[f64], prev: &Generation) -> f64 {
        let total: f64 = prev.particles.iter().map(|p| p.weight).sum();
        prev.particles
            .iter()
            .zip(&self.log_mass)
            .map(|(p, log_mass)| {
                let log_k: f64 = u
                    .iter()
                    .zip(&p.u)
                    .zip(&self.sd)
                    .map(|((a, b), s)| {
                        let z = (a - b) / s;
                        -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
                    })
                    .sum();
                p.weight / total * (log_k - log_mass).exp()
            })
            .sum::<f64>()
            .max(1e-300)
    }
}

/// Standard normal distribution function.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Proposal `k` of generation `index`: a prior draw in generation 0, else a perturbed ancestor.
fn propose(seed: u64, index: usize, k: u64, dim: usize, kernel: Option<&Kernel>) -> Vec<f64> {
    let mut rng = stream(seed, index as u32, Purpose::Calibration, k, 0);
    let Some(kernel) = kernel else {
        return (0..dim).map(|_| rng.random::<f64>()).collect();
    };
    let pick: f64 = rng.random();
    let j = kernel
        .cum
        .partition_point(|&c| c < pick)
        .min(kernel.cum.len() - 1);
    let ancestor = &kernel.ancestors[j];
    // Redraw until the move lands inside the cube (the truncated kernel); a kernel so wide that
    // this keeps failing falls back to a prior draw.
    for _ in 0..10_000 {
        let u: Vec<f64> = (0..dim)
            .map(|k| ancestor[k] + kernel.sd[k] * rng.sample::<f64, _>(StandardNormal))
            .collect();
        if u.iter().all(|x| (0.0..=1.0).contains(x)) {
            return u;
        }
    }
    (0..dim).map(|_| rng.random::<f64>()).collect()
}
