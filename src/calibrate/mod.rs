//! `exodus calibrate SCENARIO TARGETS --params PARAMS.toml`: fits parameters, named by their
//! scenario paths, to calibration targets, by ABC-SMC (a posterior) or Nelder-Mead (a point).
//!
//! `params` reads the calibration file, `problem` turns a point of the unit cube into a
//! scenario, runs it over K replicates with common random numbers and scores it, `abc` and
//! `point` are the two methods, `report` writes the outputs. The state of a calibration is
//! saved in its folder after every batch of candidates (`state.json`), so a stopped calibration
//! started again with the same inputs resumes where it stopped and ends with the same output as
//! one that never stopped.

pub mod abc;
pub mod params;
pub mod point;
pub mod problem;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::output;
use crate::scenario::Assignment;
pub use params::{Calibration, Method};
pub use problem::Problem;

/// Options of `exodus calibrate` (the command line's, over the calibration file's).
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    pub scenario: PathBuf,
    pub targets: PathBuf,
    pub params: PathBuf,
    pub out: Option<PathBuf>,
    pub method: Option<Method>,
    pub seeds: Option<u32>,
    pub agents: Option<u64>,
    pub seed: Option<u64>,
    pub particles: Option<usize>,
    pub max_generations: Option<usize>,
    pub max_simulations: Option<u64>,
    pub max_seconds: Option<f64>,
    pub restarts: Option<usize>,
    pub threads: Option<usize>,
    pub sets: Vec<Assignment>,
    /// Discard a saved state in the folder instead of resuming it.
    pub fresh: bool,
    pub plots: bool,
    pub quiet: bool,
    pub command_line: Vec<String>,
    /// Stops the calibration (library users): the batch or restarts under way are dropped,
    /// the state is saved and the same calibration resumes from it.
    pub cancel: crate::cancel::Cancel,
}

/// The saved state of a calibration (`state.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedState {
    pub exodus_version: String,
    /// Hash of everything the result depends on (scenario as resolved, targets, parameters,
    /// method settings other than budgets, seeds and agents).
    pub fingerprint: String,
    pub method: Method,
    pub abc: Option<abc::AbcState>,
    pub point: Option<point::PointState>,
}

/// What a finished calibration reports.
#[derive(Debug, Clone)]
pub struct Finished {
    pub out: PathBuf,
    pub files: Vec<PathBuf>,
    /// Why it stopped, in words.
    pub stopped: String,
    /// Whether the result is complete (a budget stop mid-way is not).
    pub complete: bool,
    pub summary: String,
    /// Each parameter's posterior summary (or best point), as in posterior.csv.
    pub posterior: Vec<report::ParameterSummary>,
    /// Each target's predictive check, as in predictive.csv.
    pub predictive: Vec<report::PredictiveRow>,
}

/// The settings after the command line's overrides.
fn settings(opts: &CalibrateOptions) -> Result<Calibration, AppError> {
    let mut c = params::load(&opts.params)?;
    if let Some(m) = opts.method {
        c.method = m;
    }
    if let Some(k) = opts.seeds {
        c.seeds = k;
    }
    if opts.agents.is_some() {
        c.agents = opts.agents;
    }
    if opts.seed.is_some() {
        c.seed = opts.seed;
    }
    if let Some(n) = opts.particles {
        c.abc.particles = n;
    }
    if let Some(g) = opts.max_generations {
        c.abc.max_generations = g;
    }
    if let Some(s) = opts.max_simulations {
        c.abc.max_simulations = s;
    }
    if let Some(s) = opts.max_seconds {
        c.abc.max_seconds = s;
    }
    if let Some(r) = opts.restarts {
        c.nelder_mead.restarts = r;
    }
    // The command line's parser checks these; a library caller's values are checked here.
    let out_of = |flag: &str, value: f64, range: &std::ops::RangeInclusive<i64>| {
        (!(*range.start() as f64..=*range.end() as f64).contains(&value)).then(|| {
            AppError::Scenario(crate::scenario::ScenarioError::invalid(
                crate::scenario::Location::CommandLine,
                flag,
                value,
                "is out of range",
                format!("{} ..= {}", range.start(), range.end()),
            ))
        })
    };
    for (flag, value, range) in [
        ("--seeds", opts.seeds.map(f64::from), &params::SEEDS),
        (
            "--particles",
            opts.particles.map(|n| n as f64),
            &params::PARTICLES,
        ),
        (
            "--generations",
            opts.max_generations.map(|n| n as f64),
            &params::GENERATIONS,
        ),
        (
            "--restarts",
            opts.restarts.map(|n| n as f64),
            &params::RESTARTS,
        ),
        (
            "--max-simulations",
            opts.max_simulations.map(|n| n as f64),
            &(1..=i64::MAX),
        ),
    ] {
        if let Some(e) = value.and_then(|v| out_of(flag, v, range)) {
            return Err(e);
        }
    }
    if let Some(s) = opts.max_seconds.filter(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(AppError::Scenario(crate::scenario::ScenarioError::invalid(
            crate::scenario::Location::CommandLine,
            "--max-seconds",
            s,
            "must be a positive number of seconds",
            "> 0",
        )));
    }
    Ok(c)
}

/// A stable 64-bit hash of `text` (SplitMix64 over its bytes), as 16 hex digits.
pub fn fingerprint(text: &str) -> String {
    let mut h = crate::rng::mix(text.len() as u64);
    for chunk in text.as_bytes().chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        h = crate::rng::mix(h ^ u64::from_le_bytes(b));
    }
    format!("{h:016x}")
}

fn inputs_fingerprint(problem: &Problem, c: &Calibration, targets_text: &str) -> String {
    #[derive(Serialize)]
    struct Inputs<'a> {
        scenario: &'a crate::scenario::ScenarioFile,
        targets: &'a str,
        method: Method,
        parameters: &'a [params::Parameter],
        fit: Vec<&'a str>,
        seeds: u32,
        agents: u32,
        run_seed: u64,
        calibration_seed: u64,
        particles: usize,
        quantile: f64,
        nelder_mead: (u64, f64),
    }
    let base = problem
        .scenario_at(&vec![0.5; problem.dim()])
        .map(|s| s.file)
        .ok();
    let scenario = match &base {
        Some(f) => f,
        None => return fingerprint("unresolvable"),
    };
    let inputs = Inputs {
        scenario,
        targets: targets_text,
        method: c.method,
        parameters: &c.parameters,
        fit: problem
            .targets
            .iter()
            .filter(|t| t.fitted)
            .map(|t| t.id())
            .collect(),
        seeds: c.seeds,
        agents: problem.base.agents,
        run_seed: problem.run_seed,
        calibration_seed: calibration_seed(problem, c),
        particles: c.abc.particles,
        quantile: c.abc.quantile,
        nelder_mead: (c.nelder_mead.max_iterations, c.nelder_mead.tolerance),
    };
    fingerprint(&serde_json::to_string(&inputs).unwrap_or_default())
}

fn calibration_seed(problem: &Problem, c: &Calibration) -> u64 {
    c.seed.unwrap_or(problem.run_seed)
}

/// Default output folder: results/calibrate-<scenario stem>.
pub fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("results").join(format!("calibrate-{stem}"))
}

/// The state file of a calibration folder.
pub const STATE: &str = "state.json";

/// `exodus calibrate`.
pub fn run(opts: &CalibrateOptions) -> Result<Finished, AppError> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let wall = std::time::Instant::now();
    let c = settings(opts)?;
    let problem = Problem::setup(&opts.scenario, &opts.targets, &c, &opts.sets, c.agents)?;
    let targets_text = std::fs::read_to_string(&opts.targets).unwrap_or_default();
    let print = fingerprint(&format!(
        "{}{}",
        inputs_fingerprint(&problem, &c, &targets_text),
        crate::VERSION
    ));
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.scenario));
    // One calibration per folder at a time (its checkpoint would be overwritten by a second).
    let _lock = output::lock_dir(&out)?;
    let state_path = out.join(STATE);
    let mut saved = match std::fs::read_to_string(&state_path) {
        Ok(text) if !opts.fresh => {
            let s: SavedState = serde_json::from_str(&text).map_err(|e| {
                AppError::Resources(format!(
                    "{}: cannot read the saved calibration state ({e}); use --fresh to start over",
                    state_path.display()
                ))
            })?;
            if s.fingerprint != print || s.method != c.method {
                return Err(AppError::Resources(format!(
                    "{} holds a calibration of other inputs (scenario, targets, parameters or settings changed); use --fresh to start over, or another --out",
                    out.display()
                )));
            }
            if !opts.quiet {
                eprintln!(
                    "exodus: resuming the calibration saved in {}",
                    state_path.display()
                );
            }
            s
        }
        _ => SavedState {
            exodus_version: crate::VERSION.to_string(),
            fingerprint: print.clone(),
            method: c.method,
            abc: None,
            point: None,
        },
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .build()
        .map_err(|e| AppError::Resources(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    if !opts.quiet {
        eprintln!(
            "exodus: calibrating {} parameter(s) of {} against {} target(s) ({} held back) by {}, {} replicate(s) per candidate, {} agents",
            problem.dim(),
            opts.scenario.display(),
            problem.targets.iter().filter(|t| t.fitted).count(),
            problem.targets.iter().filter(|t| !t.fitted).count(),
            c.method.name(),
            c.seeds,
            problem.base.agents
        );
    }
    let seed = calibration_seed(&problem, &c);
    let save_error: Mutex<Option<output::OutputError>> = Mutex::new(None);
    let save = |s: &SavedState| {
        if let Ok(text) = serde_json::to_string(s)
            && let Err(e) = output::atomic::write(&state_path, text.as_bytes())
        {
            *save_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    };
    let bar = progress_bar(&c, opts.quiet);
    let (stopped, complete) = match c.method {
        Method::AbcSmc => {
            let mut state = saved.abc.take().unwrap_or_default();
            let evaluate = |points: &[Vec<f64>]| -> Vec<problem::Evaluation> {
                points
                    .par_iter()
                    .map(|u| {
                        if opts.cancel.is_cancelled() {
                            // Skipped: abc::run drops the batch.
                            problem::Evaluation {
                                values: Vec::new(),
                                distance: f64::INFINITY,
                            }
                        } else {
                            problem.evaluate(u)
                        }
                    })
                    .collect()
            };
            let n = c.abc.particles as u64;
            pool.install(|| {
                abc::run(
                    &mut state,
                    &c.abc,
                    problem.dim(),
                    seed,
                    &evaluate,
                    &mut |p| {
                        bar.set_position(p.generation as u64 * n + p.accepted as u64);
                        bar.set_message(format!(
                            "generation {}, tolerance {}, {} simulations, acceptance {:.0}%",
                            p.generation,
                            p.tolerance
                                .map_or("none".to_string(), |e| format!("{e:.3}")),
                            p.simulations,
                            100.0 * p.accepted as f64
                                / p.state.partial.as_ref().map_or(n, |x| x.next.max(1)) as f64
                        ));
                        save(&SavedState {
                            abc: Some(p.state.clone()),
                            ..saved.clone()
                        });
                    },
                    &|| opts.cancel.is_cancelled(),
                );
            });
            let stop = state.stopped.unwrap_or(abc::Stop::MaxGenerations);
            let complete = !stop.is_budget() || state.partial.is_none();
            saved.abc = Some(state);
            (stop.describe().to_string(), complete)
        }
        Method::NelderMead => {
            let mut state = saved.point.take().unwrap_or_default();
            let todo: Vec<usize> = (0..c.nelder_mead.restarts)
                .filter(|r| !state.restarts.iter().any(|x| x.index == *r))
                .collect();
            bar.set_position(state.restarts.len() as u64);
            let shared = Mutex::new(state.clone());
            // Once cancelled, candidates are not simulated and restarts under way are dropped.
            let distance = |u: &[f64]| {
                if opts.cancel.is_cancelled() {
                    f64::INFINITY
                } else {
                    problem.evaluate(u).distance
                }
            };
            pool.install(|| {
                todo.par_iter().for_each(|&r| {
                    if opts.cancel.is_cancelled() {
                        return;
                    }
                    let result = point::restart(r, seed, problem.dim(), &c.nelder_mead, &distance);
                    if opts.cancel.is_cancelled() {
                        return;
                    }
                    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                    s.restarts.push(result);
                    s.restarts.sort_by_key(|x| x.index);
                    bar.set_position(s.restarts.len() as u64);
                    save(&SavedState {
                        point: Some(s.clone()),
                        ..saved.clone()
                    });
                });
            });
            state = shared.into_inner().unwrap_or_else(|p| p.into_inner());
            saved.point = Some(state);
            (
                format!(
                    "{} restart(s) of Nelder-Mead finished",
                    c.nelder_mead.restarts
                ),
                true,
            )
        }
    };
    bar.finish_and_clear();
    save(&saved);
    if let Some(e) = save_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e.into());
    }
    if opts.cancel.is_cancelled() {
        return Err(AppError::Interrupted(format!(
            "the calibration was interrupted; its state is saved in {} and the same calibration resumes from it",
            state_path.display()
        )));
    }
    let written = pool.install(|| {
        report::write(&report::Inputs {
            problem: &problem,
            calibration: &c,
            saved: &saved,
            opts,
            out: &out,
            stopped: &stopped,
            complete,
            threads,
            started_at: &started_at,
            wall_seconds: wall.elapsed().as_secs_f64(),
        })
    })?;
    Ok(Finished {
        out,
        files: written.files,
        stopped,
        complete,
        summary: written.summary,
        posterior: written.posterior,
        predictive: written.predictive,
    })
}

fn progress_bar(c: &Calibration, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let (len, template) = match c.method {
        Method::AbcSmc => (
            (c.abc.max_generations * c.abc.particles) as u64,
            "calibrating [{bar:30}] {msg}, {elapsed} (eta at most {eta})",
        ),
        Method::NelderMead => (
            c.nelder_mead.restarts as u64,
            "calibrating [{bar:30}] {pos}/{len} restarts, {elapsed} (eta {eta})",
        ),
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The path from folder `from` to file `to`, relative when both can be resolved.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (std::fs::canonicalize(from), std::fs::canonicalize(to)) else {
        return to.to_path_buf();
    };
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for c in &b[common..] {
        rel.push(c);
    }
    rel
}
