//! `exodus sweep SWEEP.toml`: runs a scenario at the points of a design over the parameters'
//! ranges, each point over R replicates with common random numbers (replicate r of every point
//! starts from the same random numbers), and records chosen outcomes of every run in one tidy
//! CSV.
//!
//! `file` reads the sweep file, `design` places the points, `outcome` measures each run,
//! `results` reads and writes the results folder. The runs of a window of points go in
//! parallel; the window's rows are appended to `results.csv` in point order once it finishes,
//! so the file is the same whatever the thread count and always a whole prefix of the sweep
//! (plus, after a kill, at most one cut line). Started again, a sweep reads what is there,
//! drops a cut line or an unfinished point, and runs only the rest; a design that grew (more
//! samples of a random, Sobol', Saltelli or Morris design) keeps its first points and runs the
//! new ones. A point whose scenario is refused or whose run fails is written to `failures.csv`
//! with its error, and the sweep goes on.
//!
//! `--shard I/N` runs the points p with p mod N = I into a folder of their own; `exodus merge`
//! puts shards together into what one process writes. Under MPI (cargo feature `mpi`, `mpirun
//! -np K exodus sweep ...`) the K ranks share each window of points and rank 0 gathers their
//! results and writes them, so the folder is the one a single process writes.

pub mod analyse;
pub mod design;
pub mod file;
pub mod merge;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod outcome;
pub mod results;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::output;
use crate::scenario::{self, Assignment, Chain, Location, Overrides, Params, ScenarioError};

pub use design::Kind;
pub use file::Sweep;

/// One of N deterministic slices of a sweep: the points p with p mod count = index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Reads `I/N` (0 <= I < N).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard I/N with 0 <= I < N (e.g. 0/8)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard a Slurm job array gives: index SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
    /// SLURM_ARRAY_TASK_COUNT, when those are set.
    pub fn from_slurm() -> Result<Option<Shard>, String> {
        let var = |name: &str| std::env::var(name).ok();
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |name: &str, v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("{name}={v} is not a whole number"))
        };
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let count = num("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = match var("SLURM_ARRAY_TASK_MIN") {
            Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        let index = id.checked_sub(min).filter(|&i| i < count).ok_or_else(|| {
            format!(
                "SLURM_ARRAY_TASK_ID={id} with SLURM_ARRAY_TASK_MIN={min} is not one of SLURM_ARRAY_TASK_COUNT={count} tasks (give the array as --array=0-{} or set --shard)",
                count.saturating_sub(1)
            )
        })?;
        Ok(Some(Shard { index, count }))
    }

    pub fn contains(&self, point: usize) -> bool {
        point % self.count == self.index
    }

    /// The shard's folder name inside a sweep's folder.
    pub fn folder(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

/// Options of `exodus sweep`.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub sweep: PathBuf,
    /// Results folder [default: results/sweep-<file stem>, and inside it shard-I-of-N for a
    /// shard].
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub shard: Option<Shard>,
    /// Replaces sweep.agents.
    pub agents: Option<u64>,
    /// Replaces sweep.replicates.
    pub replicates: Option<u32>,
    /// Replaces sweep.samples (not for grids).
    pub samples: Option<usize>,
    /// Replaces sweep.design (the same parameters sampled another way).
    pub design: Option<Kind>,
    /// Replaces sweep.scenario (the same design run on another scenario, e.g. a what-if).
    pub scenario: Option<PathBuf>,
    /// Leave unset the parameter paths the scenario does not have (a what-if without an event
    /// the sweep file varies), instead of refusing the sweep; the design's points stay the
    /// same, so they pair with another scenario's.
    pub skip_missing: bool,
    /// Set before the design's own values, on every point.
    pub sets: Vec<Assignment>,
    /// Discard the results in the folder instead of resuming them.
    pub fresh: bool,
    pub plots: bool,
    pub quiet: bool,
    /// Stops the sweep (library users): points not yet started are not run, the window in
    /// progress is discarded and the finished points stay in the folder for resuming.
    pub cancel: crate::cancel::Cancel,
}

/// Everything a sweep's points are run against.
pub struct Setup {
    pub sweep: Sweep,
    pub chain: Chain,
    /// The scenario with no design value set.
    pub base: Params,
    pub outcomes: outcome::OutcomeList,
    pub names: Vec<String>,
    /// Master seed of every run (common random numbers across points).
    pub run_seed: u64,
    /// Seed of the design's own random numbers.
    pub design_seed: u64,
    pub sets: Vec<Assignment>,
    pub agents: Option<u64>,
    /// Parameters of integer fields (network.degree): their design values are rounded.
    pub integer: Vec<bool>,
    /// The paths each parameter sets (all of its paths, but those skipped).
    pub paths: Vec<Vec<String>>,
    /// Paths the scenario does not have, left unset (`--skip-missing`).
    pub skipped: Vec<String>,
}

impl Setup {
    /// Loads the scenario and checks every parameter path and range and every outcome against
    /// it: each path must exist and the scenario must accept each parameter's smallest and
    /// largest value (errors name the sweep file's line).
    pub fn new(mut sweep: Sweep, opts: &SweepOptions) -> Result<Setup, ScenarioError> {
        if let Some(r) = opts.replicates {
            sweep.replicates = r;
        }
        if let Some(path) = &opts.scenario {
            sweep.scenario = path.clone();
            sweep.scenario_location = Location::Flag("--scenario".into());
        }
        let agents = opts.agents.or(sweep.agents);
        let chain = Chain::load(&sweep.scenario).map_err(|e| match e {
            ScenarioError::Read { path, source } => ScenarioError::invalid(
                sweep.scenario_location.clone(),
                "sweep.scenario",
                path.display(),
                format!("cannot be read ({source})"),
                "a scenario file, relative to the sweep file",
            ),
            other => other,
        })?;
        let overrides = Overrides {
            seed: None,
            agents,
            sets: opts.sets.clone(),
        };
        let base = scenario::from_chain(&chain, &overrides)?;
        let valid = scenario::resolve::parameter_paths(&base.file);
        let mut paths = Vec::with_capacity(sweep.parameters.len());
        let mut skipped = Vec::new();
        for p in &sweep.parameters {
            let (lo, hi) = p.distribution.bounds();
            let mut here: Vec<&str> = p.paths().collect();
            if opts.skip_missing {
                let (kept, gone): (Vec<&str>, Vec<&str>) = here.iter().partition(|x| {
                    scenario::resolve::check_path(x, &valid, p.location.clone(), "").is_ok()
                });
                skipped.extend(gone.iter().map(|x| x.to_string()));
                here = kept;
            }
            if !here.is_empty() {
                scenario::check_parameter(
                    &chain,
                    &overrides,
                    &valid,
                    &here,
                    &p.location,
                    &p.distribution.describe(),
                    &[lo, hi],
                    true,
                )?;
            }
            paths.push(here.iter().map(|x| x.to_string()).collect());
        }
        let outcomes = outcome::list(&sweep.outcomes, &base.params)?;
        // A parameter whose paths were all skipped sets nothing: no rounding.
        let integer = paths
            .iter()
            .map(|here: &Vec<String>| {
                here.first()
                    .is_some_and(|x| scenario::resolve::holds_integer(&base.file, x))
            })
            .collect();
        let run_seed = base.params.seed;
        Ok(Setup {
            design_seed: sweep.seed.unwrap_or(run_seed),
            names: base
                .params
                .platforms
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            base: base.params,
            chain,
            outcomes,
            run_seed,
            sets: opts.sets.clone(),
            agents,
            integer,
            paths,
            skipped,
            sweep,
        })
    }

    /// Parameters.
    pub fn dim(&self) -> usize {
        self.sweep.parameters.len()
    }

    /// The design's points (parameter values), lazily, in order.
    pub fn points(&self) -> Box<dyn Iterator<Item = Vec<f64>> + Send + '_> {
        let s = &self.sweep;
        if s.design == Kind::Grid {
            let grids: Vec<&Vec<f64>> = s
                .parameters
                .iter()
                .map(|p| p.grid.as_ref().expect("grid designs have grids"))
                .collect();
            let sizes: Vec<usize> = grids.iter().map(|g| g.len()).collect();
            return Box::new((0..s.points()).map(move |p| {
                design::grid_indices(p, &sizes)
                    .iter()
                    .zip(&grids)
                    .zip(&self.integer)
                    .map(|((&i, g), &int)| if int { g[i].round() } else { g[i] })
                    .collect()
            }));
        }
        Box::new(
            design::unit_iter(s.design, self.design_seed, s.samples, self.dim(), s.levels).map(
                move |u| {
                    s.parameters
                        .iter()
                        .zip(&u)
                        .zip(&self.integer)
                        .map(|((p, &u), &int)| {
                            let x = p.distribution.value(u);
                            if int { x.round() } else { x }
                        })
                        .collect()
                },
            ),
        )
    }

    /// The validated scenario at parameter values `x`.
    pub fn scenario_at(&self, x: &[f64]) -> Result<Params, ScenarioError> {
        let mut sets = self.sets.clone();
        for ((paths, &v), &int) in self.paths.iter().zip(x).zip(&self.integer) {
            sets.extend(paths.iter().map(|p| {
                if int {
                    Assignment::integer(p, v)
                } else {
                    Assignment::number(p, v)
                }
            }));
        }
        scenario::from_chain(
            &self.chain,
            &Overrides {
                seed: Some(self.run_seed),
                agents: self.agents,
                sets,
            },
        )
        .map(|s| s.params)
    }

    /// Runs replicate `r` at `params` and measures its outcomes.
    pub fn run(&self, params: &Params, r: u32) -> Vec<f64> {
        let records = crate::calibrate::problem::simulate(params, r);
        self.outcomes.evaluate(&records, &self.names)
    }

    /// The manifest of this sweep (`sweep.json`): what a one-process run and a merge of shards
    /// both write, so nothing of a particular process (time, threads, shard) is in it.
    pub fn manifest(&self) -> Manifest {
        let s = &self.sweep;
        Manifest {
            exodus_version: crate::VERSION.to_string(),
            sweep_file: s.path.display().to_string(),
            scenario_file: s.scenario.display().to_string(),
            scenario: self.base.name.clone(),
            design: s.design,
            samples: s.samples,
            points: s.points(),
            replicates: s.replicates,
            seed: self.run_seed,
            design_seed: self.design_seed,
            levels: (s.design == Kind::Morris).then_some(s.levels),
            agents: self.base.agents,
            sets: self.sets.iter().map(Assignment::text).collect(),
            parameters: serde_json::to_value(&s.parameters).unwrap_or_default(),
            outcomes: self.outcomes.labels.clone(),
            skipped: self.skipped.clone(),
            fingerprint: self.fingerprint(),
        }
    }

    /// A hash of everything the rows depend on, except the number of samples of a design that
    /// can grow: results with the same fingerprint can be resumed or extended.
    pub fn fingerprint(&self) -> String {
        #[derive(Serialize)]
        struct Inputs<'a> {
            version: &'a str,
            scenario: String,
            design: Kind,
            samples: Option<usize>,
            replicates: u32,
            run_seed: u64,
            design_seed: u64,
            levels: usize,
            parameters: &'a [file::Parameter],
            outcomes: &'a [String],
            definitions: String,
            sets: Vec<String>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            skipped: &'a [String],
        }
        let s = &self.sweep;
        let scenario = scenario::from_chain(
            &self.chain,
            &Overrides {
                seed: Some(self.run_seed),
                agents: self.agents,
                sets: self.sets.clone(),
            },
        )
        .ok()
        .and_then(|sc| scenario::resolved_text(&sc.file).ok())
        .unwrap_or_default();
        let inputs = Inputs {
            version: crate::VERSION,
            scenario,
            design: s.design,
            samples: (!s.design.extensible()).then_some(s.samples),
            replicates: s.replicates,
            run_seed: self.run_seed,
            design_seed: self.design_seed,
            levels: s.levels,
            parameters: &s.parameters,
            outcomes: &self.outcomes.labels,
            definitions: format!("{:?}{:?}", self.outcomes.outcomes, self.outcomes.dates),
            sets: self.sets.iter().map(Assignment::text).collect(),
            skipped: &self.skipped,
        };
        crate::calibrate::fingerprint(&serde_json::to_string(&inputs).unwrap_or_default())
    }
}

/// `sweep.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub exodus_version: String,
    pub sweep_file: String,
    pub scenario_file: String,
    pub scenario: String,
    pub design: Kind,
    pub samples: usize,
    pub points: usize,
    pub replicates: u32,
    /// Master seed of every run; replicate r of every point starts from (seed, r).
    pub seed: u64,
    pub design_seed: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub levels: Option<usize>,
    pub agents: u32,
    pub sets: Vec<String>,
    pub parameters: serde_json::Value,
    pub outcomes: Vec<String>,
    /// Parameter paths the scenario does not have, left unset (`--skip-missing`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub skipped: Vec<String>,
    pub fingerprint: String,
}

impl Manifest {
    /// The parameters' paths, in column order.
    pub fn parameter_paths(&self) -> Vec<String> {
        self.parameters
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.get("path").and_then(|v| v.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What a finished sweep reports.
#[derive(Debug, Clone)]
pub struct Finished {
    pub out: PathBuf,
    pub points: usize,
    /// Points run by this process (the rest were in the folder already, or another shard's).
    pub ran: usize,
    pub resumed: usize,
    pub failed: Vec<(usize, String)>,
    pub files: Vec<PathBuf>,
    pub seconds: f64,
}

/// Default results folder: results/sweep-<file stem>.
pub fn default_out(sweep: &Path) -> PathBuf {
    let stem = sweep
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    Path::new("results").join(format!("sweep-{stem}"))
}

/// The folder a sweep with these options writes to: results/sweep-<file stem>, with the
/// scenario's stem and the design after it when `--scenario` or `--design` replace the file's,
/// and shard-I-of-N inside for a shard.
pub fn out_dir(opts: &SweepOptions) -> PathBuf {
    let base = opts.out.clone().unwrap_or_else(|| {
        let mut name = default_out(&opts.sweep).to_string_lossy().into_owned();
        if let Some(stem) = opts.scenario.as_ref().and_then(|p| p.file_stem()) {
            name.push('-');
            name.push_str(&stem.to_string_lossy());
        }
        if let Some(d) = opts.design {
            name.push('-');
            name.push_str(d.name());
        }
        PathBuf::from(name)
    });
    match opts.shard {
        Some(s) if opts.out.is_none() => base.join(s.folder()),
        _ => base,
    }
}

/// Processes that share a sweep (MPI ranks): every rank runs its part of each window of
/// points and rank 0 gathers the results and writes them. Every rank must call the same
/// methods in the same order.
pub trait Ranks {
    /// This process's rank, 0 <= rank < size.
    fn rank(&self) -> usize;
    /// How many processes share the sweep.
    fn size(&self) -> usize;
    /// Rank 0's `value`, on every rank.
    fn broadcast(&self, value: u64) -> u64;
    /// Every rank's bytes, in rank order, on rank 0 (`None` on the others).
    fn gather(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>>;
}

/// Environment variables an MPI launcher sets (Open MPI, MPICH/Hydra and PMIx, Slurm's PMI).
const MPI_LAUNCHED: [&str; 4] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"];

/// Whether an MPI launcher (mpirun, mpiexec, srun with PMI) started this process.
pub fn launched_by_mpi() -> bool {
    MPI_LAUNCHED.iter().any(|v| std::env::var_os(v).is_some())
}

/// The number of processes an MPI launcher started, as its environment says (1 when none).
pub fn mpi_launch_size() -> usize {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.trim().parse().ok())
        .unwrap_or(1)
}

/// What rank 0 broadcasts instead of a frontier when it cannot go on.
const STOP: u64 = u64::MAX;

/// `exodus sweep` in one process.
pub fn run(opts: &SweepOptions) -> Result<Finished, AppError> {
    run_on(opts, None)
}

/// `exodus sweep`, split over `ranks` when given (each rank calls this with the same options;
/// rank 0 reads and writes the folder, the others only run points).
pub fn run_on(opts: &SweepOptions, ranks: Option<&dyn Ranks>) -> Result<Finished, AppError> {
    let wall = Instant::now();
    let (rank, size) = ranks.map_or((0, 1), |r| (r.rank(), r.size()));
    let root = rank == 0;
    let quiet = opts.quiet || !root;
    let sweep = file::load(
        &opts.sweep,
        file::Replace {
            design: opts.design,
            samples: opts.samples.map(|n| n as u64),
        },
    )?;
    let setup = Setup::new(sweep, opts)?;
    let out = out_dir(opts);
    let manifest = setup.manifest();
    let total = manifest.points;
    let shard = opts.shard.unwrap_or(Shard { index: 0, count: 1 });
    let mine = |p: usize| shard.contains(p);
    // Rank 0 opens the folder (resuming what it holds) and tells the others where to start.
    let (store, _lock) = if root {
        let opened = output::lock_dir(&out)
            .map_err(AppError::from)
            .and_then(|lock| {
                results::Store::open(&out, &setup, &manifest, opts.shard, opts.fresh)
                    .map(|store| (store, lock))
            });
        if let Some(r) = ranks {
            r.broadcast(opened.as_ref().map_or(STOP, |(s, _)| s.frontier as u64));
        }
        let (store, lock) = opened?;
        (Some(store), Some(lock))
    } else {
        (None, None)
    };
    let frontier = match (&store, ranks) {
        (Some(s), _) => s.frontier,
        (None, Some(r)) => match r.broadcast(0) {
            STOP => {
                return Err(AppError::Input(format!(
                    "rank 0 could not open {} (its error says why)",
                    out.display()
                )));
            }
            f => usize::try_from(f).unwrap_or(usize::MAX),
        },
        (None, None) => 0,
    };
    let resumed = (0..frontier).filter(|&p| mine(p)).count();
    let todo: usize = (frontier..total).filter(|&p| mine(p)).count();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .build()
        .map_err(|e| AppError::Resources(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let est = crate::memory::estimate(&setup.base);
    // A window of points: four runs per thread, fewer if that many would not fit in memory.
    // Every run of a window may be in memory at once (a worker waiting inside one run's
    // parallel loop may start another), so the check counts them all.
    let reps = setup.sweep.replicates as usize;
    let mut window = (4 * threads).div_ceil(reps).clamp(1, results::MAX_WINDOW);
    if let Some(avail) = crate::memory::available_bytes() {
        let runs_that_fit = (avail / est.peak_bytes.max(1)) as usize;
        window = window.min((runs_that_fit / reps).max(1));
    }
    // Under MPI every rank takes rank 0's window (its share of each window of size x window
    // points), so all ranks cut the design at the same places.
    if let Some(r) = ranks {
        window = usize::try_from(r.broadcast(window as u64))
            .unwrap_or(1)
            .max(1);
    }
    let concurrent = window * reps;
    let need = crate::memory::Estimate {
        peak_bytes: est.peak_bytes * concurrent as u64,
        ..est
    };
    crate::memory::check_fits(&need, u64::from(setup.base.agents) * concurrent as u64)
        .map_err(|m| AppError::Resources(format!("{m} ({concurrent} runs at once)")))?;
    if !quiet {
        let shard_note = opts.shard.map_or(String::new(), |s| {
            format!(", shard {} of {}", s.index, s.count)
        });
        let ranks_note = if size > 1 {
            format!(", {size} MPI ranks")
        } else {
            String::new()
        };
        eprintln!(
            "exodus: sweep of {} parameter(s) of {}: {} design, {} {} = {} points x {} replicate(s), {} outcome(s), {} agents{shard_note}{ranks_note}",
            setup.dim(),
            setup.sweep.scenario.display(),
            setup.sweep.design.name(),
            setup.sweep.samples,
            setup.sweep.design.unit(),
            total,
            setup.sweep.replicates,
            setup.outcomes.labels.len(),
            setup.base.agents,
        );
        if !setup.skipped.is_empty() {
            eprintln!(
                "exodus: left unset, not in {}: {}",
                setup.sweep.scenario.display(),
                setup.skipped.join(", ")
            );
        }
        if let Some(store) = store.as_ref().filter(|s| s.dropped_rows > 0) {
            eprintln!(
                "exodus: cut {} line(s) after the last whole point of {} (an unfinished window); those points run again",
                store.dropped_rows,
                out.join(results::RESULTS).display()
            );
        }
        if resumed > 0 {
            eprintln!(
                "exodus: resuming: {resumed} point(s) already in {}, {todo} to run",
                out.display()
            );
        }
        eprintln!(
            "exodus: memory estimate {} per run, up to {concurrent} at once",
            crate::memory::human_bytes(est.peak_bytes)
        );
    }
    let bar = progress_bar((todo as u64) * u64::from(setup.sweep.replicates), quiet);
    let (mut writer, mut failed) = match store {
        Some(s) => (Some(s.writer), s.earlier_failures),
        None => (None, Vec::new()),
    };
    let mut ran = 0usize;
    let span = window * size;
    let mut batch: Vec<(usize, Vec<f64>)> = Vec::with_capacity(span);
    let mut points = setup.points().enumerate();
    loop {
        batch.clear();
        for (p, x) in points.by_ref() {
            if mine(p) && p >= frontier {
                batch.push((p, x));
                if batch.len() == span {
                    break;
                }
            }
        }
        if batch.is_empty() {
            break;
        }
        // This rank's share of the window: every size-th point from its rank on.
        let share: Vec<(usize, Vec<f64>)> =
            batch.iter().skip(rank).step_by(size).cloned().collect();
        let mut results: Vec<results::PointResult> =
            pool.install(|| run_window(&setup, &share, &bar, &opts.cancel));
        if opts.cancel.is_cancelled() {
            bar.finish_and_clear();
            return Err(AppError::Interrupted(format!(
                "the sweep was interrupted; {} finished point(s) are kept in {} and the same sweep resumes from them",
                resumed + ran,
                out.display()
            )));
        }
        if let Some(r) = ranks {
            let Some(parts) = r.gather(&results::encode(&results)) else {
                ran += share.len();
                continue;
            };
            results = Vec::with_capacity(batch.len());
            for (from, part) in parts.iter().enumerate() {
                let part = results::decode(part).ok_or_else(|| {
                    AppError::Resources(format!("rank {from} sent results that cannot be read"))
                })?;
                results.extend(part);
            }
            results.sort_by_key(|r| r.point);
            let others = (batch.len() - share.len()) as u64;
            bar.inc(others * u64::from(setup.sweep.replicates));
        }
        for r in &results {
            if let Err(e) = &r.values {
                failed.push((r.point, e.clone()));
            }
        }
        if let Some(w) = writer.as_mut() {
            w.write_window(&results)?;
        }
        ran += results.len();
    }
    bar.finish_and_clear();
    let Some(writer) = writer else {
        // A rank other than 0: its points are in rank 0's folder.
        return Ok(Finished {
            out,
            points: total,
            ran,
            resumed,
            failed,
            files: Vec::new(),
            seconds: wall.elapsed().as_secs_f64(),
        });
    };
    let mut files = writer.files();

    failed.sort_by_key(|f| f.0);
    files.push(out.join(results::MANIFEST));
    if opts.shard.is_some() {
        files.push(out.join(results::SHARD));
    }
    // Charts of the whole sweep (a shard's are drawn by `exodus merge`).
    if opts.plots && opts.shard.is_none() && failed.len() < total {
        files.extend(crate::plot::sweep::plot_sweep(&out, &out)?);
    }
    Ok(Finished {
        out,
        points: total,
        ran,
        resumed,
        failed,
        files,
        seconds: wall.elapsed().as_secs_f64(),
    })
}

/// Runs every replicate of every point of a window, in parallel; a point fails as a whole
/// when its scenario is refused or one of its runs fails.
fn run_window(
    setup: &Setup,
    batch: &[(usize, Vec<f64>)],
    bar: &indicatif::ProgressBar,
    cancel: &crate::cancel::Cancel,
) -> Vec<results::PointResult> {
    let scenarios: Vec<Result<Params, String>> = batch
        .par_iter()
        .map(|(_, x)| setup.scenario_at(x).map_err(|e| e.to_string()))
        .collect();
    let reps = setup.sweep.replicates;
    let tasks: Vec<(usize, u32)> = (0..batch.len())
        .flat_map(|i| (0..reps).map(move |r| (i, r)))
        .collect();
    let runs: Vec<Result<Vec<f64>, String>> = tasks
        .par_iter()
        .map(|&(i, r)| {
            let out = match &scenarios[i] {
                // A cancelled window is discarded: runs not yet started are skipped.
                _ if cancel.is_cancelled() => Err("interrupted".to_string()),
                Err(e) => Err(e.clone()),
                Ok(params) => {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| setup.run(params, r)))
                        .map_err(|panic| {
                            let what = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "unknown cause".into());
                            format!("the run of replicate {r} failed: {what}")
                        })
                }
            };
            bar.inc(1);
            out
        })
        .collect();
    let mut runs = runs.into_iter();
    batch
        .iter()
        .map(|(p, x)| {
            let mine: Vec<Result<Vec<f64>, String>> = runs.by_ref().take(reps as usize).collect();
            let values = match mine.iter().find_map(|r| r.as_ref().err()) {
                Some(e) => Err(e.clone()),
                None => Ok(mine.into_iter().filter_map(Result::ok).collect()),
            };
            results::PointResult {
                point: *p,
                x: x.clone(),
                values,
            }
        })
        .collect()
}

fn progress_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || len == 0 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "sweeping [{bar:30}] {pos}/{len} runs, {elapsed} (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
