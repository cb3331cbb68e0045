//! The calibration problem: a scenario chain, the targets, the parameters by path, and the
//! distance. `Problem::evaluate` runs one candidate (a point of the unit cube) over the K
//! replicates with common random numbers and scores the mean of each target.
//!
//! Distance. Each target has an accepted interval `[low, high]` (its tolerance). On the target's
//! scale `T` (log for counts, ranks and ratios, linear for shares of moves) its standardised
//! error is `z = (T(model) - c) / h`, with `c` the middle of `[T(low), T(high)]` and `h` its
//! half-width: `z = 0` in the middle of the interval and `|z| = 1` at its edges. The distance
//! of a candidate is the root mean square of `z` over the fitted targets, so a distance of 1
//! or less means the model sits, on average, inside the accepted intervals.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::calibration::{Statistic, Target, Targets};
use crate::engine::{self, World};
use crate::metrics::{Daily, DayRecord};
use crate::scenario::{self, Assignment, Chain, Location, Overrides, Params, ScenarioError};

use super::params::{Calibration, Parameter};

/// How a target's error is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    Log,
    Linear,
}

/// A target as the distance sees it.
#[derive(Debug, Clone)]
pub struct Scored {
    pub target: Target,
    pub scale: Scale,
    /// Middle and half-width of the accepted interval on the target's scale.
    pub center: f64,
    pub half_width: f64,
    /// Floor of the log scale (a model value of 0 counts as this).
    floor: f64,
    /// In the distance (fitted) or held back.
    pub fitted: bool,
}

impl Scored {
    fn new(target: Target, fitted: bool) -> Scored {
        let s = &target.spec;
        let scale = match target.statistic {
            Statistic::FlowShare => Scale::Linear,
            _ => Scale::Log,
        };
        let floor = s.low.abs().min(s.high.abs()).max(1e-12) * 1e-3;
        let t = |x: f64| match scale {
            Scale::Log => x.max(floor).ln(),
            Scale::Linear => x,
        };
        let (a, b) = (t(s.low), t(s.high));
        Scored {
            target,
            scale,
            center: (a + b) / 2.0,
            half_width: (b - a) / 2.0,
            floor,
            fitted,
        }
    }

    /// The standardised error of a model value (0 mid-interval, +-1 at the edges).
    pub fn z(&self, model: f64) -> f64 {
        if !model.is_finite() {
            return f64::INFINITY;
        }
        let t = match self.scale {
            Scale::Log => model.max(self.floor).ln(),
            Scale::Linear => model,
        };
        (t - self.center) / self.half_width
    }

    pub fn fits(&self, model: f64) -> bool {
        model >= self.target.spec.low && model <= self.target.spec.high
    }

    pub fn id(&self) -> &str {
        &self.target.spec.id
    }
}

/// One candidate's outcome.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Mean over the replicates of each target (in `Problem::targets` order); NaN when the
    /// candidate could not run.
    pub values: Vec<f64>,
    /// Root mean square standardised error over the fitted targets; infinite when the
    /// candidate could not run (e.g. its values fail validation).
    pub distance: f64,
}

/// Everything a calibration evaluates candidates against.
pub struct Problem {
    pub chain: Chain,
    pub scenario_path: std::path::PathBuf,
    /// The scenario as resolved with no parameter set (the base of every candidate).
    pub base: Params,
    pub parameters: Vec<Parameter>,
    /// Indices into `parameters` of the free ones (the dimensions of the unit cube).
    pub free: Vec<usize>,
    pub targets: Vec<Scored>,
    /// Replicates per candidate.
    pub seeds: u32,
    /// `--set` assignments applied before the candidate's own.
    pub sets: Vec<Assignment>,
    pub agents: Option<u64>,
    /// Master seed of the candidates' runs (common random numbers).
    pub run_seed: u64,
}

impl Problem {
    /// Loads the scenario and targets and checks every parameter path and prior against the
    /// scenario: each path must exist, and the scenario must validate at both ends of each
    /// prior range (errors name the calibration file's line).
    pub fn setup(
        scenario_path: &Path,
        targets_path: &Path,
        calibration: &Calibration,
        sets: &[Assignment],
        agents: Option<u64>,
    ) -> Result<Problem, ScenarioError> {
        let chain = Chain::load(scenario_path)?;
        let overrides = Overrides {
            seed: None,
            agents,
            sets: sets.to_vec(),
        };
        let base = scenario::from_chain(&chain, &overrides)?;
        let valid = scenario::resolve::parameter_paths(&base.file);
        for p in &calibration.parameters {
            let at = p.location.clone().unwrap_or(Location::CommandLine);
            let paths: Vec<&str> = p.paths().collect();
            let ends = [p.prior.value(0.0), p.prior.value(1.0)];
            scenario::check_parameter(
                &chain,
                &overrides,
                &valid,
                &paths,
                &at,
                &p.prior.describe(),
                &ends,
                false,
            )?;
        }
        let targets = crate::calibration::load(targets_path, &base.params)?;
        let targets = choose_targets(targets, calibration, targets_path)?;
        Ok(Problem {
            chain,
            scenario_path: scenario_path.to_path_buf(),
            run_seed: base.params.seed,
            base: base.params,
            free: (0..calibration.parameters.len())
                .filter(|&i| calibration.parameters[i].prior.is_free())
                .collect(),
            parameters: calibration.parameters.clone(),
            targets,
            seeds: calibration.seeds,
            sets: sets.to_vec(),
            agents,
        })
    }

    /// Dimensions of the unit cube (free parameters).
    pub fn dim(&self) -> usize {
        self.free.len()
    }

    /// The natural value of every parameter (free and fixed) at unit point `u`.
    pub fn values(&self, u: &[f64]) -> Vec<f64> {
        let mut it = u.iter();
        self.parameters
            .iter()
            .map(|p| {
                if p.prior.is_free() {
                    p.prior.value(it.next().copied().unwrap_or(0.5))
                } else {
                    p.prior.value(0.5)
                }
            })
            .collect()
    }

    /// The assignments of unit point `u`, after the command line's.
    pub fn assignments(&self, u: &[f64]) -> Vec<Assignment> {
        let mut sets = self.sets.clone();
        sets.extend(
            self.parameters
                .iter()
                .zip(self.values(u))
                .flat_map(|(p, x)| p.assignments(x)),
        );
        sets
    }

    /// The validated scenario at unit point `u`.
    pub fn scenario_at(&self, u: &[f64]) -> Result<scenario::Scenario, ScenarioError> {
        scenario::from_chain(
            &self.chain,
            &Overrides {
                seed: Some(self.run_seed),
                agents: self.agents,
                sets: self.assignments(u),
            },
        )
    }

    /// Runs the candidate at `u` over replicates `first .. first + count` and scores the mean
    /// of each target. Runs in the current rayon pool; the result does not depend on its size.
    pub fn evaluate_replicates(&self, u: &[f64], first: u32, count: u32) -> Evaluation {
        let Ok(s) = self.scenario_at(u) else {
            return Evaluation {
                values: vec![f64::NAN; self.targets.len()],
                distance: f64::INFINITY,
            };
        };
        let per_replicate: Vec<Vec<f64>> = (first..first + count)
            .into_par_iter()
            .map(|r| {
                let records = simulate(&s.params, r);
                let k = s.params.platforms.len();
                self.targets
                    .iter()
                    .map(|t| t.target.evaluate(&records, k))
                    .collect()
            })
            .collect();
        let n = per_replicate.len().max(1) as f64;
        let values: Vec<f64> = (0..self.targets.len())
            .map(|i| per_replicate.iter().map(|v| v[i]).sum::<f64>() / n)
            .collect();
        let distance = self.distance(&values);
        Evaluation { values, distance }
    }

    /// The candidate at `u` over the calibration's replicates 0..K.
    pub fn evaluate(&self, u: &[f64]) -> Evaluation {
        self.evaluate_replicates(u, 0, self.seeds)
    }

    /// Root mean square standardised error over the fitted targets.
    pub fn distance(&self, values: &[f64]) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for (t, &v) in self.targets.iter().zip(values) {
            if t.fitted {
                let z = t.z(v);
                sum += z * z;
                n += 1;
            }
        }
        if n == 0 {
            0.0
        } else {
            let d = (sum / n as f64).sqrt();
            if d.is_nan() { f64::INFINITY } else { d }
        }
    }
}

/// Every day's record of replicate `replicate` of `params`.
pub fn simulate(params: &Params, replicate: u32) -> Vec<DayRecord> {
    let (world, initial) = World::build(params, replicate);
    let mut daily = Daily::new(params);
    let mut records = Vec::with_capacity(params.days as usize);
    engine::simulate(params, &world, initial, replicate, |tally| {
        records.push(daily.record(tally));
    });
    records
}

/// Splits the targets into fitted and held back as the calibration file says.
fn choose_targets(
    targets: Targets,
    calibration: &Calibration,
    targets_path: &Path,
) -> Result<Vec<Scored>, ScenarioError> {
    let ids: Vec<String> = targets.targets.iter().map(|t| t.spec.id.clone()).collect();
    for id in calibration.fit.iter().chain(&calibration.hold_out) {
        if !ids.contains(id) {
            return Err(ScenarioError::invalid(
                super::params::target_id_location(targets_path, id),
                "calibration.fit / calibration.hold_out",
                format!("\"{id}\""),
                format!("is not a target of {}", targets_path.display()),
                ids.join(", "),
            ));
        }
        if calibration.fit.contains(id) && calibration.hold_out.contains(id) {
            return Err(ScenarioError::invalid(
                super::params::target_id_location(targets_path, id),
                "calibration.hold_out",
                format!("\"{id}\""),
                "is both fitted and held back",
                "each target in at most one of fit and hold_out",
            ));
        }
    }
    let scored: Vec<Scored> = targets
        .targets
        .into_iter()
        .map(|t| {
            let id = &t.spec.id;
            let fitted = if calibration.fit.is_empty() {
                !calibration.hold_out.contains(id)
            } else {
                calibration.fit.contains(id)
            };
            Scored::new(t, fitted)
        })
        .collect();
    for s in &scored {
        if !(s.half_width > 0.0 && s.half_width.is_finite()) {
            return Err(ScenarioError::invalid(
                Location::WholeFile {
                    path: targets_path.to_path_buf(),
                },
                format!("targets[{}].low / high", s.id()),
                format!("{} / {}", s.target.spec.low, s.target.spec.high),
                "make no interval to score against",
                "low < high (and both > 0 for counts, ranks and ratios)",
            ));
        }
    }
    if !scored.iter().any(|s| s.fitted) {
        return Err(ScenarioError::invalid(
            Location::CommandLine,
            "calibration.fit",
            "(none)",
            "leaves no target to fit",
            "at least one target id",
        ));
    }
    Ok(scored)
}
