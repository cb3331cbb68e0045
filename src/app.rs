//! The application: what each command does, from options to files on disk. `main.rs` calls
//! `app::run`; the CLI types stay in `cli.rs`, so this module takes plain options.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::calibration;
use crate::engine::{self, World};
use crate::experiment::bands::Bands;
use crate::experiment::shard::{self, Shards};
use crate::memory;
use crate::metrics::DayRecord;
use crate::metrics::{Daily, SummaryBuilder};
use crate::output::csv::{DailyCsv, DriversCsv, FlowsCsv, GroupsCsv, ReplicatesCsv};
use crate::output::json::{self, Manifest};
use crate::output::{self, Exporter, OutputError};
use crate::plot::{self, PlotError, PlotOptions};
use crate::progress::Progress;
use crate::rng::CHUNK;
use crate::scenario::{self, Assignment, Overrides, Params, Scenario, ScenarioError};
use crate::sweep::Shard;

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The scenario file is unreadable or invalid (exit code 2).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Results could not be written (exit code 1).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Charts could not be drawn (exit code 1; the data files are already written).
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The run cannot be done on this machine (exit code 1).
    #[error("{0}")]
    Resources(String),
    /// Folders or files given are not what the command needs (exit code 2), e.g. a sweep's
    /// shards with one missing.
    #[error("{0}")]
    Input(String),
    /// The work was stopped through a [`crate::cancel::Cancel`] token (exit code 130, as an
    /// interrupted command); the message says what was kept.
    #[error("{0}")]
    Interrupted(String),
}

impl AppError {
    /// Process exit code: 2 for bad input, 1 for a run that failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Input(_) => 2,
            // A folder holding the user's own files needs --force: a usage error.
            AppError::Output(OutputError::Foreign { .. }) => 2,
            // Results that cannot be read or parsed are bad input to `exodus plot`.
            AppError::Plot(
                PlotError::Read { .. } | PlotError::Format(..) | PlotError::Choice(_),
            ) => 2,
            AppError::Output(_) | AppError::Plot(_) | AppError::Resources(_) => 1,
            AppError::Interrupted(_) => crate::output::cleanup::INTERRUPTED,
        }
    }
}

/// Options every simulating command shares (run, check, compare).
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Master seed, replacing the scenario's.
    pub seed: Option<u64>,
    /// Agents to simulate, replacing the scenario's.
    pub agents: Option<u64>,
    /// Worker threads; default all cores.
    pub threads: Option<usize>,
    pub quiet: bool,
    /// `--set PATH=VALUE` assignments, applied to every scenario the command loads.
    pub sets: Vec<Assignment>,
    /// Stops the runs between days when cancelled (library users; never on the command line).
    pub cancel: crate::cancel::Cancel,
}

impl SimOptions {
    /// The scenario overrides these options ask for (`seed` replaces `--seed` when given).
    pub fn overrides(&self, seed: Option<u64>) -> Overrides {
        Overrides {
            seed: seed.or(self.seed),
            agents: self.agents,
            sets: self.sets.clone(),
        }
    }
}

/// Options of `exodus run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub scenario: PathBuf,
    /// Results folder; default `results/<scenario file stem>`.
    pub out: Option<PathBuf>,
    pub sim: SimOptions,
    /// Draw the default charts beside the data.
    pub plots: bool,
    /// How the charts show the results (`--log`, `--platforms`).
    pub charts: PlotOptions,
    /// Replicates to run (1: a single run).
    pub replicates: u32,
    /// Quantiles of the band across replicates, e.g. (0.05, 0.95).
    pub band: (f64, f64),
    /// Run only this slice of the replicates, into a shard folder for `exodus merge`.
    pub shard: Option<Shard>,
    /// Write beside files in the results folder that exodus did not write.
    pub force: bool,
    /// The command line as typed, for the manifest.
    pub command_line: Vec<String>,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub out: PathBuf,
    /// The summary of replicate 0.
    pub summary: crate::metrics::Summary,
    /// Replicates run.
    pub replicates: u32,
    pub files: Vec<PathBuf>,
}

/// Default results folder for a scenario file.
pub fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    Path::new("results").join(stem)
}

/// What `exodus validate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidateOutput {
    /// A short description of the scenario.
    #[default]
    Summary,
    /// The resolved scenario as TOML (extends followed, --set applied, defaults written).
    Resolved,
    /// Every parameter path with its value.
    Paths,
}

/// `exodus validate`: checks a scenario (after `extends` and `sets`) and describes it, prints it
/// resolved, or lists its parameter paths.
pub fn validate(
    path: &Path,
    sets: &[Assignment],
    output: ValidateOutput,
) -> Result<String, AppError> {
    let overrides = Overrides {
        sets: sets.to_vec(),
        ..Overrides::default()
    };
    let chain = scenario::Chain::load(path)?;
    let s = scenario::from_chain(&chain, &overrides)?;
    warn(&s, false);
    let files: Vec<String> = chain.paths().map(|p| p.display().to_string()).collect();
    match output {
        ValidateOutput::Summary => {
            let mut text = describe(&s);
            if files.len() > 1 {
                text.push_str(&format!("  extends: {}\n", files.join(" -> ")));
            }
            if !sets.is_empty() {
                let shown: Vec<String> = sets.iter().map(Assignment::text).collect();
                text.push_str(&format!("  set: {}\n", shown.join(", ")));
            }
            Ok(text)
        }
        ValidateOutput::Resolved => {
            let body = scenario::resolved_text(&s.file).map_err(|e| {
                AppError::Resources(format!("cannot write the resolved scenario as TOML: {e}"))
            })?;
            let mut head = format!(
                "# The resolved scenario: {} (exodus {})\n",
                files.join(" extending "),
                crate::VERSION
            );
            for a in sets {
                head.push_str(&format!("# --set {}\n", a.text()));
            }
            head.push_str(
                "# Every value as it runs, defaults included; this text runs as it stands.\n\n",
            );
            Ok(head + &body)
        }
        ValidateOutput::Paths => Ok(scenario::resolve::path_values(&s.file)
            .into_iter()
            .map(|(p, v)| format!("{p} = {v}\n"))
            .collect()),
    }
}

/// A short description of a validated scenario.
pub fn describe(s: &Scenario) -> String {
    let p = &s.params;
    let est = memory::estimate_for(p, memory::Shape::run(1, true, (0.05, 0.95)));
    let names: Vec<&str> = p.platforms.iter().map(|x| x.name.as_str()).collect();
    format!(
        "{}: ok\n  {}\n  {} to {} ({} days), seed {}\n  {} people as {} agents ({} people per agent), {} segment(s)\n  network {:?}, rule {:?}\n  platforms: {}\n  events: {}\n  memory estimate: {} ({} bytes per agent)\n",
        s.path.display(),
        p.name,
        p.start,
        p.end(),
        p.days,
        p.seed,
        p.people,
        p.agents,
        p.people_per_agent(),
        p.segments.len(),
        p.network,
        p.rule,
        names.join(", "),
        p.events.len(),
        memory::human_bytes(est.peak_bytes),
        est.bytes_per_agent,
    )
}

/// A scenario loaded, checked against this machine's memory, with its worker pool.
struct Prepared {
    scenario: Scenario,
    pool: std::sync::Arc<rayon::ThreadPool>,
    /// Stops the scenario's runs between days.
    cancel: crate::cancel::Cancel,
}

/// Loads `path` with the options' overrides, prints the memory estimate, refuses runs that
/// cannot fit, and starts the worker pool.
fn prepare(path: &Path, sim: &SimOptions, shape: memory::Shape) -> Result<Prepared, AppError> {
    Ok(Prepared {
        scenario: load_checked(path, &sim.overrides(None), sim.quiet, shape)?,
        pool: worker_pool(sim.threads)?,
        cancel: sim.cancel.clone(),
    })
}

/// A pool of `threads` worker threads (default: all cores).
fn worker_pool(threads: Option<usize>) -> Result<std::sync::Arc<rayon::ThreadPool>, AppError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map(std::sync::Arc::new)
        .map_err(|e| AppError::Resources(format!("cannot start worker threads: {e}")))
}

/// Loads `path` with overrides, prints the memory estimate of a command of shape `shape` on it
/// and refuses one that cannot fit.
fn load_checked(
    path: &Path,
    overrides: &Overrides,
    quiet: bool,
    shape: memory::Shape,
) -> Result<Scenario, AppError> {
    let scenario = scenario::load(path, overrides)?;
    warn(&scenario, quiet);
    check_memory(path, &scenario.params, shape, quiet)?;
    Ok(scenario)
}

/// Prints a scenario's warnings on standard error (unless `quiet`).
fn warn(s: &Scenario, quiet: bool) {
    if !quiet {
        for w in &s.warnings {
            output::text::print_warning(output::text::terminal(&w.to_string()));
        }
    }
}

/// Prints the memory estimate of a command of shape `shape` on `params` and refuses one that
/// cannot fit.
fn check_memory(
    path: &Path,
    params: &Params,
    shape: memory::Shape,
    quiet: bool,
) -> Result<(), AppError> {
    let est = memory::estimate_for(params, shape);
    if !quiet {
        eprintln!(
            "exodus: {} agents x {} days; memory estimate {} ({} bytes per agent)",
            params.agents,
            params.days,
            memory::human_bytes(est.peak_bytes),
            est.bytes_per_agent
        );
    }
    memory::check_fits(&est, u64::from(params.agents)).map_err(|why| {
        AppError::Resources(format!(
            "{}: {why}; use fewer agents (--agents){}",
            path.display(),
            if shape.replicates > 1 || shape.scenarios > 1 {
                ", days or replicates"
            } else {
                ""
            }
        ))
    })
}

/// Time spent in a simulation, and the main-app counts before day 0.
struct Simulated {
    build_seconds: f64,
    simulate_seconds: f64,
    initial: Vec<u64>,
}

/// Builds the world and runs replicate `replicate`, passing each day's record to `on_record`;
/// `progress` shows it as `what`. Stops between days, with `AppError::Interrupted`, when the
/// scenario's cancel token is set.
fn simulate_records(
    prepared: &Prepared,
    replicate: u32,
    progress: &Progress,
    what: &str,
    on_record: &mut (dyn FnMut(&DayRecord) + Send),
) -> Result<Simulated, AppError> {
    let params = &prepared.scenario.params;
    let go_on = || !prepared.cancel.is_cancelled();
    let stopped = |day: Option<u32>| {
        let at = day.map_or("before its first day (in its burn-in)".to_string(), |d| {
            format!("after day {} of {}", d + 1, params.days)
        });
        AppError::Interrupted(format!(
            "{}: {what} stopped {at} (interrupted)",
            params.name
        ))
    };
    progress.start(what);
    prepared.pool.install(|| {
        let t0 = Instant::now();
        let (world, initial) =
            World::build_while(params, replicate, &go_on).ok_or_else(|| stopped(None))?;
        let build_seconds = t0.elapsed().as_secs_f64();
        let mut counts = vec![0u64; params.platforms.len()];
        for &p in &initial.platform {
            counts[p as usize] += 1;
        }
        progress.simulating(what);
        let t1 = Instant::now();
        let mut daily = Daily::new(params);
        let mut last = 0;
        engine::simulate_while(params, &world, initial, replicate, |tally| {
            let record = daily.record(tally);
            last = record.day;
            on_record(&record);
            progress.day();
            go_on()
        })
        .ok_or_else(|| stopped(Some(last)))?;
        Ok(Simulated {
            build_seconds,
            simulate_seconds: t1.elapsed().as_secs_f64(),
            initial: counts,
        })
    })
}

/// Each replicate's day records and main-app counts before day 0.
pub type ReplicateRecords = Vec<(Vec<DayRecord>, Vec<u64>)>;

/// Runs replicates 0 .. `replicates` (at least one) of a prepared scenario in turn, keeping
/// their day records and initial counts; `progress` shows them.
fn replicate_records(
    prepared: &Prepared,
    replicates: u32,
    progress: &Progress,
) -> Result<ReplicateRecords, AppError> {
    let days = prepared.scenario.params.days as usize;
    (0..replicates.max(1))
        .map(|r| {
            let mut records = Vec::with_capacity(days);
            let simulated =
                simulate_records(prepared, r, progress, &format!("replicate {r}"), &mut |x| {
                    records.push(x.clone())
                })?;
            Ok((records, simulated.initial))
        })
        .collect()
}

/// A loaded scenario prepared for a library user's in-memory work on `replicates` replicates
/// whose records are all kept: refused, as the command line refuses it, when that cannot fit;
/// run on `threads` worker threads (default: all cores), stopped by `cancel`.
fn prepare_in_memory(
    scenario: Scenario,
    replicates: u32,
    threads: Option<usize>,
    cancel: &crate::cancel::Cancel,
) -> Result<Prepared, AppError> {
    let shape = memory::Shape {
        keeps_records: true,
        ..memory::Shape::run(replicates.max(1), false, (0.05, 0.95))
    };
    check_memory(&scenario.path, &scenario.params, shape, true)?;
    Ok(Prepared {
        scenario,
        pool: worker_pool(threads)?,
        cancel: cancel.clone(),
    })
}

/// Runs replicates 0 .. `replicates` of a loaded scenario and returns each one's daily
/// records — what `exodus run` writes to daily.csv and flows.csv, kept in memory — and its
/// main-app counts before day 0. The same path as `exodus run`, for library users (the Python
/// package); `cancel` stops it between days.
pub fn simulate_in_memory(
    scenario: Scenario,
    replicates: u32,
    threads: Option<usize>,
    cancel: &crate::cancel::Cancel,
) -> Result<ReplicateRecords, AppError> {
    let prepared = prepare_in_memory(scenario, replicates, threads, cancel)?;
    replicate_records(&prepared, replicates, &Progress::hidden())
}

/// `exodus run`: simulates a scenario and writes its results.
pub fn run(opts: &RunOptions) -> Result<RunReport, AppError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shape = memory::Shape::run(opts.replicates, opts.plots, opts.band);
    let prepared = prepare(&opts.scenario, &opts.sim, shape)?;
    // A chart option that cannot be honoured is found now, not after the run.
    chart_platforms(&prepared.scenario.params, &opts.charts)?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.scenario));
    let target = RunTarget {
        out,
        scenario: &prepared.scenario,
        scenario_file: opts.scenario.display().to_string(),
        replicates: opts.replicates,
        band: opts.band,
        threads: prepared.pool.current_num_threads(),
        command_line: opts.command_line.clone(),
        plots: opts.plots,
        charts: opts.charts.clone(),
        started,
        started_at,
        force: opts.force,
        quiet: opts.sim.quiet,
    };
    let days = u64::from(prepared.scenario.params.days);
    let replicates = u64::from(opts.replicates);
    let progress = Progress::new(days * replicates, replicates, opts.sim.quiet);
    write_run(&target, &mut |r, each| {
        let what = format!("replicate {r}");
        simulate_records(&prepared, r, &progress, &what, each)
    })
}

/// Replicate r's day records, each passed to the callback in day order, and the run's timing:
/// simulated, or read back from shards.
type ReplicateSource<'a> =
    dyn FnMut(u32, &mut (dyn FnMut(&DayRecord) + Send)) -> Result<Simulated, AppError> + 'a;

/// What `exodus run` writes, however its replicates are run.
struct RunTarget<'a> {
    out: PathBuf,
    scenario: &'a Scenario,
    scenario_file: String,
    replicates: u32,
    band: (f64, f64),
    threads: usize,
    command_line: Vec<String>,
    plots: bool,
    /// How the charts show the results.
    charts: PlotOptions,
    started: Instant,
    started_at: String,
    /// Write beside files exodus did not write.
    force: bool,
    quiet: bool,
}

/// Takes `out`'s lock (which removes what a killed exodus left there) and opens a staging
/// folder in it (see `output::stage`).
fn begin_stage(
    out: &Path,
    force: bool,
) -> Result<(output::DirLock, output::stage::Stage), AppError> {
    let lock = output::lock_dir(out)?;
    Ok((lock, output::stage::Stage::begin(out, force)?))
}

/// Says that a command that failed left its results folder as it was (its staged files are
/// removed with the stage).
fn left_as_it_was(out: &Path) {
    eprintln!(
        "exodus: nothing of this command was put in {}; the files there are as they were",
        out.display()
    );
}

/// Puts the staged files in place (`manifest` last) and says which files of an earlier run
/// were removed.
fn commit_stage(
    stage: output::stage::Stage,
    out: &Path,
    manifest: &str,
    quiet: bool,
) -> Result<Vec<PathBuf>, AppError> {
    let done = stage.commit(manifest)?;
    if !done.removed.is_empty() && !quiet {
        eprintln!(
            "exodus: removed {} file(s) of the earlier results in {} that this run does not write: {}",
            done.removed.len(),
            out.display(),
            file_names(&done.removed, out).join(", ")
        );
    }
    Ok(done.files)
}

/// The file names of `files`, for a manifest's `outputs`.
fn file_names(files: &[PathBuf], dir: &Path) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| f.strip_prefix(dir).ok())
        .map(|n| n.to_string_lossy().into_owned())
        .collect()
}

/// Writes a run's files from its replicates, taken in order from `source`: staged, then put in
/// place together.
fn write_run(t: &RunTarget, source: &mut ReplicateSource) -> Result<RunReport, AppError> {
    let (_lock, stage) = begin_stage(&t.out, t.force)?;
    if let Some(w) = output::size_warning(&t.scenario.params, t.replicates, &t.out)
        && !t.quiet
    {
        eprintln!("{w}");
    }
    let summary =
        write_run_files(t, stage.path(), source).inspect_err(|_| left_as_it_was(&t.out))?;
    let files = commit_stage(stage, &t.out, "run.json", t.quiet)?;
    Ok(RunReport {
        out: t.out.clone(),
        replicates: t.replicates,
        summary,
        files,
    })
}

/// Writes a run's files into `out` (the staging folder).
fn write_run_files(
    t: &RunTarget,
    out: &Path,
    source: &mut ReplicateSource,
) -> Result<crate::metrics::Summary, AppError> {
    let params = &t.scenario.params;
    // Open every output before the long work, so a bad path fails now.
    let mut exporters: Vec<Box<dyn Exporter>> = vec![
        Box::new(DailyCsv::create(&out.join("daily.csv"), params)?),
        Box::new(FlowsCsv::create(&out.join("flows.csv"), params)?),
        Box::new(DriversCsv::create(&out.join("drivers.csv"), params)?),
    ];
    if params.outputs.audience_classes
        && params.network != crate::scenario::params::NetworkSpec::Mixed
    {
        exporters.push(Box::new(GroupsCsv::classes(
            &out.join("classes.csv"),
            params,
        )?));
    }
    if params.outputs.segments {
        exporters.push(Box::new(GroupsCsv::segments(
            &out.join("segments.csv"),
            params,
        )?));
    }

    // Replicate 0 is written as the run's daily.csv, flows.csv and summary.json; with more
    // replicates, every replicate also goes to replicates.csv and into the bands.
    let replicate = 0;
    let many = t.replicates > 1;
    let mut all = if many {
        Some(ReplicatesCsv::create(&out.join("replicates.csv"), params)?)
    } else {
        None
    };
    // The bands hold statistics per day, platform and metric: only with replicates.
    let mut bands = many.then(|| {
        Bands::new(
            params.days as usize,
            params.platforms.len(),
            t.band.0,
            t.band.1,
        )
    });
    let mut summary = SummaryBuilder::new(params);
    let mut failure = None;
    let mut timing: Option<Simulated> = None;
    for r in 0..t.replicates {
        let sim = source(r, &mut |record| {
            if r == replicate {
                summary.add(record);
                if failure.is_none() {
                    failure = exporters.iter_mut().find_map(|e| e.day(record).err());
                }
            }
            if let Some(all) = all.as_mut()
                && failure.is_none()
            {
                failure = all.day(r, record).err();
            }
            if let Some(bands) = bands.as_mut() {
                bands.add(record);
            }
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        // Timings add up over replicates; the initial counts are replicate 0's.
        match timing.as_mut() {
            None => timing = Some(sim),
            Some(total) => {
                total.build_seconds += sim.build_seconds;
                total.simulate_seconds += sim.simulate_seconds;
            }
        }
    }
    let Some(timing) = timing else {
        return Err(AppError::Resources("no replicate ran".into()));
    };
    let summary = crate::metrics::Summary {
        replicates: t.replicates,
        band: [t.band.0, t.band.1],
        ..summary.finish(params, replicate, &timing.initial)
    };

    let mut files = exporters
        .into_iter()
        .map(|e| e.finish())
        .collect::<Result<Vec<_>, _>>()?;
    files.push(json::write(&out.join("summary.json"), &summary)?);
    if let Some(all) = all {
        files.push(all.finish()?);
    }
    // Written, then freed before the charts are drawn.
    if let Some(bands) = bands.take() {
        files.push(crate::output::csv::write_bands(
            &out.join("bands.csv"),
            params,
            &bands.rows(),
        )?);
    }
    let manifest_path = out.join("run.json");
    let mut outputs = file_names(&files, out);
    outputs.push("run.json".into());
    let mut manifest = Manifest {
        exodus_version: crate::VERSION.to_string(),
        command_line: t.command_line.clone(),
        scenario_file: t.scenario_file.clone(),
        seed: params.seed,
        replicate,
        replicates: t.replicates,
        band: [t.band.0, t.band.1],
        threads: t.threads,
        chunk_size: CHUNK,
        started_at: t.started_at.clone(),
        wall_time_seconds: t.started.elapsed().as_secs_f64(),
        build_seconds: timing.build_seconds,
        simulate_seconds: timing.simulate_seconds,
        agent_updates_per_second: f64::from(params.agents)
            * f64::from(params.days)
            * f64::from(t.replicates)
            / timing.simulate_seconds.max(1e-9),
        outputs,
        scenario: t.scenario.file.clone(),
    };
    json::write(&manifest_path, &manifest)?;
    // Charts are drawn from the files just written, exactly as `exodus plot` would; the
    // manifest then lists them too.
    if t.plots {
        let charts = plot::plot_results(out, out, &t.charts)?;
        manifest.outputs.extend(file_names(&charts, out));
        json::write(&manifest_path, &manifest)?;
    }
    Ok(summary)
}

/// Options of `exodus check`.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub scenario: PathBuf,
    pub targets: PathBuf,
    /// Report file; default results/check-<scenario stem>.md.
    pub report: Option<PathBuf>,
    /// Replicates to run; the mean of each target over them is judged.
    pub replicates: u32,
    pub sim: SimOptions,
    /// The command line as typed, quoted in the report.
    pub command_line: Vec<String>,
}

/// `exodus check`: runs a scenario and compares it with calibration targets; writes the
/// Markdown report and returns the results.
pub fn check(opts: &CheckOptions) -> Result<(PathBuf, Vec<calibration::TargetResult>), AppError> {
    let shape = memory::Shape {
        keeps_records: true,
        ..memory::Shape::run(opts.replicates.max(1), false, (0.05, 0.95))
    };
    let prepared = prepare(&opts.scenario, &opts.sim, shape)?;
    let params = &prepared.scenario.params;
    let (targets, results) =
        check_targets(&prepared, &opts.targets, opts.replicates, opts.sim.quiet)?;
    let report_path = opts
        .report
        .clone()
        .unwrap_or_else(|| calibration::default_report(&opts.scenario));
    if let Some(dir) = report_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        output::create_dir(dir)?;
    }
    let command = command_text(&opts.command_line);
    let md = calibration::report(
        &results,
        &targets.discussion,
        params,
        &command,
        &opts.targets,
    );
    output::atomic::write(&report_path, md.as_bytes())?;
    Ok((report_path, results))
}

/// Runs `replicates` replicates (at least one) of a prepared scenario and judges it against
/// the targets file `targets`.
fn check_targets(
    prepared: &Prepared,
    targets: &Path,
    replicates: u32,
    quiet: bool,
) -> Result<(calibration::Targets, Vec<calibration::TargetResult>), AppError> {
    let params = &prepared.scenario.params;
    let targets = calibration::load(targets, params)?;
    let runs = u64::from(replicates.max(1));
    let progress = Progress::new(u64::from(params.days) * runs, runs, quiet);
    let replicates: Vec<Vec<DayRecord>> = replicate_records(prepared, replicates, &progress)?
        .into_iter()
        .map(|(records, _)| records)
        .collect();
    progress.finish();
    let results = targets
        .targets
        .iter()
        .map(|t| t.result(&replicates, params))
        .collect();
    Ok((targets, results))
}

/// `exodus check` without its report, for library users (the Python package): runs
/// `replicates` replicates of a loaded scenario on `threads` threads and judges them against
/// the targets file `targets`, as the command does; `cancel` stops it between days.
pub fn check_in_memory(
    scenario: Scenario,
    targets: &Path,
    replicates: u32,
    threads: Option<usize>,
    cancel: &crate::cancel::Cancel,
) -> Result<Vec<calibration::TargetResult>, AppError> {
    let prepared = prepare_in_memory(scenario, replicates, threads, cancel)?;
    Ok(check_targets(&prepared, targets, replicates, true)?.1)
}

/// The command line as a shell would show it, with the program name as `exodus`.
pub(crate) fn command_text(args: &[String]) -> String {
    let mut parts: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=,".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect();
    parts.insert(0, "exodus".into());
    parts.join(" ")
}

/// `exodus plot`: draws the charts of the results in `results` into `out` (default: the same
/// folder); returns the files written.
pub fn plot(
    results: &Path,
    out: Option<&Path>,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, AppError> {
    let out = out.unwrap_or(results);
    not_a_shard(results)?;
    let files = if results.join(crate::sweep::results::MANIFEST).exists() {
        // A sweep folder gets the sweep's charts (outcome against each parameter, heat map).
        output::create_dir(out)?;
        crate::plot::sweep::plot_sweep(results, out)?
    } else if results.join("comparison.json").exists() {
        // A comparison folder gets the comparison's charts.
        if opts.compare_charts.is_empty() {
            return Err(AppError::Input(format!(
                "--charts: {} holds a comparison, whose charts are compare and difference",
                results.display()
            )));
        }
        plot::compare::plot_comparison(results, out, opts)?
    } else if results.join(plot::bench::TABLE).exists() {
        // A benchmark folder gets the benchmark's charts.
        plot::bench::plot_bench(results, out, opts)?
    } else {
        if opts.charts.is_empty() {
            return Err(AppError::Input(format!(
                "--charts: {} holds a run; compare and difference are a comparison's charts",
                results.display()
            )));
        }
        plot::plot_results(results, out, opts)?
    };
    // The charts are exodus's: a later run into the folder replaces them.
    output::stage::record(out, &files)?;
    Ok(files)
}

/// `exodus report`: writes report.html and report.md for the results in `results` into `out`
/// (default: the same folder).
pub fn report(results: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>, AppError> {
    not_a_shard(results)?;
    let out = out.unwrap_or(results);
    let files = crate::report::write(results, out)?;
    output::stage::record(out, &files)?;
    Ok(files)
}

/// Refuses the folder of one shard of a run or comparison, which holds no results of its own
/// until merged.
fn not_a_shard(dir: &Path) -> Result<(), AppError> {
    if dir.join(shard::SHARD).exists() && dir.join(shard::RECORDS).exists() {
        return Err(AppError::Input(format!(
            "{} is one shard of a run or comparison: put the shards together first with `exodus merge <every shard folder>`",
            dir.display()
        )));
    }
    if dir.join(crate::sweep::results::SHARD).exists()
        && dir.join(crate::sweep::results::MANIFEST).exists()
    {
        return Err(AppError::Input(format!(
            "{} is one shard of a sweep, which holds only its share of the points: put the shards together first with `exodus merge <every shard folder>`",
            dir.display()
        )));
    }
    Ok(())
}

/// A human-readable table of a run's summary, for the terminal.
pub fn summary_table(report: &RunReport) -> String {
    let s = &report.summary;
    let mut t = format!(
        "{} — {} to {}, {} agents for {} people, seed {}\n",
        s.scenario, s.start, s.end, s.agents, s.people, s.seed
    );
    if report.replicates > 1 {
        t.push_str(&format!(
            "replicate 0 of {}, one draw (the median and band over all replicates are in bands.csv; `exodus report {}` tabulates them)\n",
            report.replicates,
            report.out.display()
        ));
    }
    let ranked = s.platforms.iter().any(|p| p.best_rank.is_some());
    t.push_str(&format!(
        "{:<14} {:>12} {:>12} {:>12} {:>12} {:>12}{}\n",
        "platform",
        "main, start",
        "peak DAU",
        "peak date",
        "DAU, end",
        "installs",
        if ranked { "   best rank" } else { "" }
    ));
    for p in &s.platforms {
        let rank = match (p.best_rank, &p.best_rank_date) {
            (Some(r), Some(d)) if ranked => format!("   #{r:.0} on {d}"),
            _ => String::new(),
        };
        t.push_str(&format!(
            "{:<14} {:>12} {:>12} {:>12} {:>12} {:>12}{}\n",
            p.platform,
            human_count(p.initial_main_users),
            human_count(p.peak_daily_active_users),
            p.peak_date,
            human_count(p.final_daily_active_users),
            human_count(p.total_installs),
            rank
        ));
    }
    t.push_str(&format!("results in {}\n", report.out.display()));
    t
}

/// "3.4 M", "712 k", "950".
pub fn human_count(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2} B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// Options of `exodus compare`.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The comparison's name and description, from a comparison file.
    pub title: Option<String>,
    pub description: String,
    pub scenarios: Vec<PathBuf>,
    /// Index into `scenarios` of the baseline (default 0).
    pub baseline: usize,
    pub replicates: u32,
    pub band: (f64, f64),
    /// Dates (YYYY-MM-DD) at which platforms' losses of main users are reported; default the
    /// last common day.
    pub dates: Vec<chrono::NaiveDate>,
    /// Give each scenario its own random numbers (seed + index) instead of common ones, to show
    /// what common random numbers buy.
    pub independent: bool,
    pub out: Option<PathBuf>,
    pub sim: SimOptions,
    pub plots: bool,
    /// How the charts show the results (`--log`, `--platforms`).
    pub charts: PlotOptions,
    /// Run only this slice of the replicates, into a shard folder for `exodus merge`.
    pub shard: Option<Shard>,
    /// Write beside files in the results folder that exodus did not write.
    pub force: bool,
    pub command_line: Vec<String>,
}

/// Provenance of a comparison, written as `comparison.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComparisonManifest {
    pub exodus_version: String,
    pub command_line: Vec<String>,
    /// The comparison file's name (or the scenarios' names joined with "vs").
    pub name: String,
    /// The comparison file's description (may be empty).
    pub description: String,
    pub scenarios: Vec<String>,
    pub scenario_files: Vec<String>,
    pub baseline: String,
    /// Master seed of the comparison.
    pub seed: u64,
    /// Seed each scenario ran with (all equal with common random numbers).
    pub seeds: Vec<u64>,
    pub common_random_numbers: bool,
    pub replicates: u32,
    pub band: [f64; 2],
    pub start: String,
    pub end: String,
    pub agents: u32,
    pub platforms: Vec<String>,
    pub outputs: Vec<String>,
    /// Each scenario as it ran (command-line overrides applied), in order, as in run.json.
    pub scenario_definitions: Vec<crate::scenario::file::ScenarioFile>,
}

/// A comparison's scenarios, loaded and checked, and what its files are written from.
struct Comparison {
    prepared: Vec<Prepared>,
    setup: CompareSetup,
    out: PathBuf,
}

/// What a comparison's files are written from, however its replicates are run.
struct CompareSetup {
    /// The comparison's name and description.
    title: String,
    description: String,
    /// Each scenario as it runs.
    definitions: Vec<crate::scenario::file::ScenarioFile>,
    /// The baseline's parameters.
    base: Params,
    labels: Vec<String>,
    names: Vec<String>,
    /// Days at which outcomes are reported, as (day, date).
    dates: Vec<(usize, String)>,
    /// Days every scenario runs.
    days: usize,
    base_seed: u64,
    seeds: Vec<u64>,
}

/// Loads and checks a comparison's scenarios (the same platforms and start), its dates and
/// labels, and its results folder.
fn compare_setup(opts: &CompareOptions) -> Result<Comparison, AppError> {
    compare_setup_with(opts, &|i, overrides| {
        Ok(scenario::load(&opts.scenarios[i], overrides)?)
    })
}

/// Loads scenario `i` of a comparison with the overrides given.
pub type ScenarioLoader<'a> = dyn Fn(usize, &Overrides) -> Result<Scenario, AppError> + 'a;

/// `compare_setup`, with scenario `i` loaded by `load` (`opts.scenarios[i]` only names it).
fn compare_setup_with(
    opts: &CompareOptions,
    load: &ScenarioLoader,
) -> Result<Comparison, AppError> {
    let pool = worker_pool(opts.sim.threads)?;
    // Common random numbers: every scenario runs with the same master seed (--seed, or the
    // baseline's own).
    let base_seed = match opts.sim.seed {
        Some(s) => s,
        None => load(opts.baseline, &opts.sim.overrides(None))?.params.seed,
    };
    let prepared: Vec<Prepared> = (0..opts.scenarios.len())
        .map(|i| {
            let seed = if opts.independent {
                base_seed.wrapping_add(i as u64)
            } else {
                base_seed
            };
            let overrides = opts.sim.overrides(Some(seed));
            let scenario = load(i, &overrides)?;
            warn(&scenario, opts.sim.quiet);
            Ok(Prepared {
                scenario,
                pool: pool.clone(),
                cancel: opts.sim.cancel.clone(),
            })
        })
        .collect::<Result<_, AppError>>()?;
    // The memory of the whole comparison, for its largest scenario (a shard keeps one
    // replicate at a time and draws nothing).
    let sharded = opts.shard.is_some();
    let shape = memory::Shape {
        replicates: if sharded { 1 } else { opts.replicates },
        scenarios: opts.scenarios.len() as u32,
        keeps_records: false,
        plots: opts.plots && !sharded,
        band: opts.band,
    };
    if let Some(largest) = prepared
        .iter()
        .max_by_key(|p| memory::estimate_for(&p.scenario.params, shape).peak_bytes)
    {
        check_memory(
            &largest.scenario.path,
            &largest.scenario.params,
            shape,
            opts.sim.quiet,
        )?;
    }
    let base = &prepared[opts.baseline].scenario.params;
    let names: Vec<String> = base.platforms.iter().map(|p| p.name.clone()).collect();
    for p in &prepared {
        let q = &p.scenario.params;
        let theirs: Vec<&str> = q.platforms.iter().map(|x| x.name.as_str()).collect();
        if theirs != names.iter().map(String::as_str).collect::<Vec<_>>() || q.start != base.start {
            return Err(AppError::Scenario(ScenarioError::invalid(
                scenario::Location::WholeFile {
                    path: p.scenario.path.clone(),
                },
                "platforms / meta.start",
                format!("{} from {}", theirs.join(", "), q.start),
                "scenarios compared must have the same platforms, in the same order, and the same start",
                format!("{} from {}", names.join(", "), base.start),
            )));
        }
    }
    chart_platforms(base, &opts.charts)?;
    let days = prepared
        .iter()
        .map(|p| p.scenario.params.days)
        .min()
        .unwrap_or(1) as usize;
    let dates: Vec<(usize, String)> = if opts.dates.is_empty() {
        vec![(days - 1, base.date(days as u32 - 1).to_string())]
    } else {
        opts.dates
            .iter()
            .map(|d| {
                let day = (*d - base.start).num_days();
                if day < 0 || day as usize >= days {
                    Err(AppError::Scenario(ScenarioError::invalid(
                        scenario::Location::CommandLine,
                        "--dates",
                        d,
                        "is outside the dates all scenarios share",
                        format!("{} ..= {}", base.start, base.date(days as u32 - 1)),
                    )))
                } else {
                    Ok((day as usize, d.to_string()))
                }
            })
            .collect::<Result<_, _>>()?
    };
    // Scenario names label the results; two scenarios with one name are told apart by file.
    let labels: Vec<String> = prepared
        .iter()
        .map(|p| {
            let name = &p.scenario.params.name;
            let twins = prepared
                .iter()
                .filter(|q| &q.scenario.params.name == name)
                .count();
            if twins > 1 {
                let file = p.scenario.path.display().to_string();
                format!("{name} ({})", output::text::printable(&file))
            } else {
                name.clone()
            }
        })
        .collect();
    let out = opts.out.clone().unwrap_or_else(|| {
        let stems: Vec<String> = opts
            .scenarios
            .iter()
            .map(|p| {
                p.file_stem()
                    .map_or_else(|| "s".into(), |s| s.to_string_lossy().into_owned())
            })
            .collect();
        Path::new("results").join(format!("compare-{}", stems.join("-vs-")))
    });
    let setup = CompareSetup {
        title: opts
            .title
            .clone()
            .unwrap_or_else(|| comparison_title(&labels)),
        description: opts.description.clone(),
        definitions: prepared.iter().map(|p| p.scenario.file.clone()).collect(),
        base: base.clone(),
        seeds: prepared.iter().map(|p| p.scenario.params.seed).collect(),
        labels,
        names,
        dates,
        days,
        base_seed,
    };
    Ok(Comparison {
        prepared,
        setup,
        out,
    })
}

/// Checks `--platforms` against the scenario's platforms before anything runs.
fn chart_platforms(params: &Params, charts: &PlotOptions) -> Result<(), AppError> {
    let names: Vec<String> = params.platforms.iter().map(|p| p.name.clone()).collect();
    plot::pick_platforms(&names, charts.platforms.as_deref())?;
    Ok(())
}

/// A comparison's name when no comparison file gives one: "A vs B vs C".
fn comparison_title(labels: &[String]) -> String {
    labels.join(" vs ")
}

/// `exodus compare`: runs scenarios with common random numbers and compares them with the
/// baseline, replicate by replicate; writes bands, paired differences, key outcomes and charts.
pub fn compare(opts: &CompareOptions) -> Result<PathBuf, AppError> {
    let Comparison {
        prepared,
        setup,
        out,
    } = compare_setup(opts)?;
    let quiet = opts.sim.quiet;
    let (_lock, stage) = begin_stage(&out, opts.force)?;
    // Each finished replicate (every scenario's days) is kept in the work folder as it
    // finishes, so an interrupted comparison keeps them and the same command resumes.
    let work = out.join(WORK);
    let whole = Shard { index: 0, count: 1 };
    let manifest = compare_manifest(opts, &prepared, &setup, whole)?;
    let written = run_shard_replicates(&work, manifest, quiet, true, &prepared).and_then(|_| {
        let mut kept = Shards::open(std::slice::from_ref(&work))?;
        write_comparison_files(opts, &setup, stage.path(), &mut |r| {
            Ok(kept
                .replicate(r)?
                .into_iter()
                .map(|run| run.records)
                .collect())
        })
    });
    written.inspect_err(|_| left_as_it_was(&out))?;
    commit_stage(stage, &out, "comparison.json", quiet)?;
    std::fs::remove_dir_all(&work).map_err(|source| OutputError::Io { path: work, source })?;
    Ok(out)
}

/// The folder inside a results folder where a comparison keeps its finished replicates until
/// its files are written (hidden, exodus's own; removed once the comparison is in place).
pub const WORK: &str = ".exodus-work";

/// Writes a comparison's files from its replicates (each a list of every scenario's day
/// records), taken in order from `source`: staged, then put in place together.
fn write_comparison(
    opts: &CompareOptions,
    setup: &CompareSetup,
    out: &Path,
    source: &mut dyn FnMut(u32) -> Result<Vec<Vec<DayRecord>>, AppError>,
) -> Result<Vec<PathBuf>, AppError> {
    let (_lock, stage) = begin_stage(out, opts.force)?;
    write_comparison_files(opts, setup, stage.path(), source)
        .inspect_err(|_| left_as_it_was(out))?;
    commit_stage(stage, out, "comparison.json", opts.sim.quiet)
}

/// A comparison's statistics over its replicates, from which its files are written: per
/// scenario the bands of its daily records and of their paired differences from the baseline,
/// and of its key outcomes and their paired differences (the baseline's differences are
/// empty).
pub struct ComparisonStats {
    pub bands: Vec<Bands>,
    pub differences: Vec<Bands>,
    pub outcomes: Vec<crate::experiment::compare::OutcomeStats>,
    pub outcome_differences: Vec<crate::experiment::compare::OutcomeStats>,
}

/// Gathers a comparison's statistics from its replicates, taken in order from `source`.
fn comparison_stats(
    opts: &CompareOptions,
    setup: &CompareSetup,
    source: &mut dyn FnMut(u32) -> Result<Vec<Vec<DayRecord>>, AppError>,
) -> Result<ComparisonStats, AppError> {
    use crate::experiment::compare::{OutcomeStats, difference, outcome_difference, outcomes};
    let CompareSetup {
        labels,
        names,
        dates,
        days,
        ..
    } = setup;
    let (days, scenarios) = (*days, labels.len());
    let k = names.len();
    let (lo, hi) = opts.band;
    let mut bands: Vec<Bands> = (0..scenarios)
        .map(|_| Bands::new(days, k, lo, hi))
        .collect();
    let mut diffs: Vec<Bands> = (0..scenarios)
        .map(|_| Bands::new(days, k, lo, hi))
        .collect();
    let mut outcome_stats: Vec<OutcomeStats> =
        (0..scenarios).map(|_| OutcomeStats::new(lo, hi)).collect();
    let mut outcome_diffs: Vec<OutcomeStats> =
        (0..scenarios).map(|_| OutcomeStats::new(lo, hi)).collect();
    for r in 0..opts.replicates {
        let runs = source(r)?;
        let results: Vec<_> = runs
            .iter()
            .map(|recs| outcomes(recs, names, dates))
            .collect();
        for (s, recs) in runs.iter().enumerate() {
            recs.iter().for_each(|rec| bands[s].add(rec));
            outcome_stats[s].add(&results[s]);
            if s != opts.baseline {
                for (a, b) in recs.iter().zip(&runs[opts.baseline]) {
                    diffs[s].add(&difference(a, b));
                }
                outcome_diffs[s].add(&outcome_difference(&results[s], &results[opts.baseline]));
            }
        }
    }

    Ok(ComparisonStats {
        bands,
        differences: diffs,
        outcomes: outcome_stats,
        outcome_differences: outcome_diffs,
    })
}

/// A comparison run in memory by [`compare_in_memory`]: its labels, the baseline's parameters
/// (platform names and dates), each scenario's seed and the statistics `exodus compare` writes
/// its files from.
pub struct InMemoryComparison {
    pub labels: Vec<String>,
    pub params: Params,
    pub seeds: Vec<u64>,
    pub stats: ComparisonStats,
}

/// `exodus compare` without its folder, for library users (the Python package): the same
/// setup, checks, common random numbers and statistics, with scenario `i` loaded by `load`
/// (`opts.scenarios[i]` names it); `opts.sim.cancel` stops it between days. Nothing is
/// written.
pub fn compare_in_memory(
    opts: &CompareOptions,
    load: &ScenarioLoader,
) -> Result<InMemoryComparison, AppError> {
    let Comparison {
        prepared, setup, ..
    } = compare_setup_with(opts, load)?;
    let progress = Progress::hidden();
    let stats = comparison_stats(opts, &setup, &mut |r| {
        prepared
            .iter()
            .map(|p| run_replicate(p, r, &progress, setup.days).map(|run| run.records))
            .collect()
    })?;
    Ok(InMemoryComparison {
        labels: setup.labels,
        params: setup.base,
        seeds: setup.seeds,
        stats,
    })
}

/// Writes a comparison's files into `out` (the staging folder).
fn write_comparison_files(
    opts: &CompareOptions,
    setup: &CompareSetup,
    out: &Path,
    source: &mut dyn FnMut(u32) -> Result<Vec<Vec<DayRecord>>, AppError>,
) -> Result<(), AppError> {
    let CompareSetup {
        base,
        labels,
        names,
        days,
        ..
    } = setup;
    let (lo, hi) = opts.band;
    let ComparisonStats {
        bands,
        differences: diffs,
        outcomes: outcome_stats,
        outcome_differences: outcome_diffs,
    } = comparison_stats(opts, setup, source)?;

    let base_params = base.clone();
    let mut files = vec![
        crate::output::csv::write_scenario_bands(
            &out.join("bands.csv"),
            &base_params,
            labels,
            &bands,
            None,
        )?,
        crate::output::csv::write_scenario_bands(
            &out.join("differences.csv"),
            &base_params,
            labels,
            &diffs,
            Some(opts.baseline),
        )?,
    ];
    // The bands are freed before the charts are drawn.
    drop((bands, diffs));
    files.extend([crate::output::csv::write_outcomes(
        &out.join("outcomes.csv"),
        labels,
        &outcome_stats,
        &outcome_diffs,
        opts.baseline,
    )?]);
    files.push(json::write(
        &out.join("outcomes.json"),
        &crate::experiment::compare::outcomes_json(
            labels,
            opts.baseline,
            &outcome_stats,
            &outcome_diffs,
        ),
    )?);
    let md = crate::experiment::report::outcomes_markdown(
        labels,
        opts.baseline,
        &outcome_stats,
        &outcome_diffs,
        &base_params,
        opts,
    );
    files.push(output::atomic::write(
        &out.join("outcomes.md"),
        md.as_bytes(),
    )?);
    let mut manifest = ComparisonManifest {
        exodus_version: crate::VERSION.to_string(),
        command_line: opts.command_line.clone(),
        name: setup.title.clone(),
        description: setup.description.clone(),
        scenarios: labels.clone(),
        scenario_files: opts
            .scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        baseline: labels[opts.baseline].clone(),
        seed: setup.base_seed,
        seeds: setup.seeds.clone(),
        common_random_numbers: !opts.independent,
        replicates: opts.replicates,
        band: [lo, hi],
        start: base.start.to_string(),
        end: base.date(*days as u32 - 1).to_string(),
        agents: base.agents,
        platforms: names.clone(),
        outputs: file_names(&files, out)
            .into_iter()
            .chain(["comparison.json".to_string()])
            .collect(),
        scenario_definitions: setup.definitions.clone(),
    };
    let manifest_path = out.join("comparison.json");
    json::write(&manifest_path, &manifest)?;
    // The charts are drawn from the files just written; the manifest then lists them too.
    if opts.plots {
        let charts = plot::compare::plot_comparison(out, out, &opts.charts)?;
        manifest.outputs.extend(file_names(&charts, out));
        json::write(&manifest_path, &manifest)?;
    }
    Ok(())
}

/// What a shard of `run` or `compare` reports.
#[derive(Debug, Clone)]
pub struct ShardReport {
    pub out: PathBuf,
    pub shard: Shard,
    /// Replicates run now, and found already done in the folder.
    pub ran: usize,
    pub resumed: usize,
    /// Whether the folder held a shard of other inputs, now replaced.
    pub replaced: bool,
}

/// A scenario as the TOML text that runs it (every override applied).
fn resolved(s: &Scenario) -> Result<String, AppError> {
    scenario::resolved_text(&s.file)
        .map_err(|e| AppError::Resources(format!("cannot write the resolved scenario: {e}")))
}

/// Runs the replicates of `manifest`'s shard that `dir` does not hold yet, each replicate's
/// runs from `run_one`, appending each as it finishes.
fn run_shard_replicates(
    dir: &Path,
    manifest: shard::Manifest,
    quiet: bool,
    work: bool,
    scenarios: &[Prepared],
) -> Result<ShardReport, AppError> {
    let _lock = output::lock_dir(dir)?;
    let mut store = shard::Store::open(dir, &manifest)?;
    let resumed = store.done.len();
    let todo: Vec<u32> = manifest
        .own_replicates()
        .filter(|r| !store.done.contains(r))
        .collect();
    if work {
        // A comparison's own work folder: speak only of replicates kept by an earlier run.
        if resumed > 0 && !quiet {
            eprintln!(
                "exodus: resuming: {resumed} of {} replicate(s) finished by an interrupted run are kept in {}; running the other {}",
                manifest.replicates,
                dir.display(),
                todo.len()
            );
        }
    } else if !quiet {
        if store.replaced {
            eprintln!(
                "exodus: {} held a shard of other inputs; starting it over",
                dir.display()
            );
        }
        eprintln!(
            "exodus: shard {}/{}: {} of {} replicate(s) ({} already in {})",
            manifest.index,
            manifest.count,
            todo.len() + resumed,
            manifest.replicates,
            resumed,
            dir.display()
        );
    }
    // One bar over every scenario's run of every replicate to do.
    let days: u64 = scenarios
        .iter()
        .map(|p| u64::from(p.scenario.params.days))
        .sum();
    let runs = todo.len() as u64 * scenarios.len() as u64;
    let progress = Progress::new(days * todo.len() as u64, runs, quiet);
    for &r in &todo {
        let runs: Vec<shard::Run> = scenarios
            .iter()
            .map(|p| run_replicate(p, r, &progress, manifest.days))
            .collect::<Result<_, AppError>>()?;
        store.append(r, &runs)?;
    }
    progress.finish();
    Ok(ShardReport {
        out: dir.to_path_buf(),
        shard: manifest.shard(),
        ran: todo.len(),
        resumed,
        replaced: store.replaced,
    })
}

/// Runs replicate `r` of a scenario, keeping its first `days` day records (a comparison's
/// common days) and its timing.
fn run_replicate(
    prepared: &Prepared,
    r: u32,
    progress: &Progress,
    days: usize,
) -> Result<shard::Run, AppError> {
    let mut records = Vec::with_capacity(days);
    let what = format!("{}, replicate {r}", prepared.scenario.params.name);
    let sim = simulate_records(prepared, r, progress, &what, &mut |rec| {
        if (rec.day as usize) < days {
            records.push(rec.clone());
        }
    })?;
    Ok(shard::Run {
        initial: sim.initial,
        build_seconds: sim.build_seconds,
        simulate_seconds: sim.simulate_seconds,
        records,
    })
}

/// `exodus run --replicates R --shard I/N`: runs the replicates r with r mod N = I into a
/// shard folder (default results/<scenario>/shard-I-of-N) for `exodus merge`.
pub fn run_shard(opts: &RunOptions, which: Shard) -> Result<ShardReport, AppError> {
    // A shard keeps one replicate's records at a time and writes no bands or charts.
    let prepared = prepare(
        &opts.scenario,
        &opts.sim,
        memory::Shape::run(1, false, opts.band),
    )?;
    let params = &prepared.scenario.params;
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.scenario).join(which.folder()));
    let manifest = shard::Manifest {
        kind: shard::Kind::Run,
        index: which.index,
        count: which.count,
        exodus_version: crate::VERSION.to_string(),
        command_line: shard::without_shard(&opts.command_line),
        threads: prepared.pool.current_num_threads(),
        scenario_files: vec![opts.scenario.display().to_string()],
        scenarios: vec![resolved(&prepared.scenario)?],
        labels: vec![params.name.clone()],
        title: String::new(),
        description: String::new(),
        replicates: opts.replicates,
        band: [opts.band.0, opts.band.1],
        baseline: 0,
        dates: Vec::new(),
        days: params.days as usize,
        independent: false,
        seed: params.seed,
        fingerprint: String::new(),
    }
    .sealed();
    run_shard_replicates(
        &dir,
        manifest,
        opts.sim.quiet,
        false,
        std::slice::from_ref(&prepared),
    )
}

/// `exodus compare --shard I/N`: runs every scenario's replicates r with r mod N = I into a
/// shard folder (default results/compare-.../shard-I-of-N) for `exodus merge`.
pub fn compare_shard(opts: &CompareOptions, which: Shard) -> Result<ShardReport, AppError> {
    let Comparison {
        prepared,
        setup,
        out,
    } = compare_setup(opts)?;
    let dir = match &opts.out {
        Some(o) => o.clone(),
        None => out.join(which.folder()),
    };
    let manifest = compare_manifest(opts, &prepared, &setup, which)?;
    run_shard_replicates(&dir, manifest, opts.sim.quiet, false, &prepared)
}

/// What a comparison's shard (or its own work folder) records of the inputs.
fn compare_manifest(
    opts: &CompareOptions,
    prepared: &[Prepared],
    setup: &CompareSetup,
    which: Shard,
) -> Result<shard::Manifest, AppError> {
    Ok(shard::Manifest {
        kind: shard::Kind::Compare,
        index: which.index,
        count: which.count,
        exodus_version: crate::VERSION.to_string(),
        command_line: shard::without_shard(&opts.command_line),
        threads: prepared.first().map_or(1, |p| p.pool.current_num_threads()),
        scenario_files: opts
            .scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        scenarios: prepared
            .iter()
            .map(|p| resolved(&p.scenario))
            .collect::<Result<_, _>>()?,
        labels: setup.labels.clone(),
        title: setup.title.clone(),
        description: setup.description.clone(),
        replicates: opts.replicates,
        band: [opts.band.0, opts.band.1],
        baseline: opts.baseline,
        dates: setup.dates.clone(),
        days: setup.days,
        independent: opts.independent,
        seed: setup.base_seed,
        fingerprint: String::new(),
    }
    .sealed())
}

/// `exodus merge DIR...`: the shards of a sweep, a run or a comparison put together into the
/// folder one process writes (byte for byte, but for run.json's timings); returns the files.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    plots: bool,
    force: bool,
) -> Result<Vec<PathBuf>, AppError> {
    let Some(first) = dirs.first() else {
        return Err(AppError::Input("give the shards' folders".into()));
    };
    if first.join(crate::sweep::results::MANIFEST).exists() {
        return crate::sweep::merge::merge(dirs, out, plots);
    }
    let mut shards = Shards::open(dirs)?;
    let m = shards.manifest.clone();
    // The scenarios as they ran, from the shard's own copy (not the files, which may have
    // changed or be elsewhere).
    let at = first.join(shard::SHARD);
    let scenarios: Vec<Scenario> = m
        .scenarios
        .iter()
        .map(|text| scenario::parse(text, &at, &Overrides::default()))
        .collect::<Result<_, _>>()?;
    match m.kind {
        shard::Kind::Run => {
            let target = RunTarget {
                out: out.to_path_buf(),
                scenario: &scenarios[0],
                scenario_file: m.scenario_files[0].clone(),
                replicates: m.replicates,
                band: (m.band[0], m.band[1]),
                threads: m.threads,
                command_line: m.command_line.clone(),
                plots,
                charts: PlotOptions::default(),
                started: Instant::now(),
                started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                force,
                quiet: true,
            };
            let report = write_run(&target, &mut |r, each| {
                let mut runs = shards.replicate(r)?;
                let run = runs.swap_remove(0);
                run.records.iter().for_each(&mut *each);
                Ok(Simulated {
                    build_seconds: run.build_seconds,
                    simulate_seconds: run.simulate_seconds,
                    initial: run.initial,
                })
            })?;
            Ok(report.files)
        }
        shard::Kind::Compare => {
            let base = scenarios[m.baseline].params.clone();
            let setup = CompareSetup {
                title: if m.title.is_empty() {
                    comparison_title(&m.labels)
                } else {
                    m.title.clone()
                },
                description: m.description.clone(),
                definitions: scenarios.iter().map(|s| s.file.clone()).collect(),
                names: base.platforms.iter().map(|p| p.name.clone()).collect(),
                base,
                labels: m.labels.clone(),
                dates: m.dates.clone(),
                days: m.days,
                base_seed: m.seed,
                seeds: scenarios.iter().map(|s| s.params.seed).collect(),
            };
            let opts = CompareOptions {
                title: None,
                description: String::new(),
                scenarios: m.scenario_files.iter().map(PathBuf::from).collect(),
                baseline: m.baseline,
                replicates: m.replicates,
                band: (m.band[0], m.band[1]),
                dates: Vec::new(),
                independent: m.independent,
                out: Some(out.to_path_buf()),
                sim: SimOptions::default(),
                plots,
                charts: PlotOptions::default(),
                shard: None,
                force,
                command_line: m.command_line.clone(),
            };
            write_comparison(&opts, &setup, out, &mut |r| {
                Ok(shards
                    .replicate(r)?
                    .into_iter()
                    .map(|run| run.records)
                    .collect())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bass(agents: u64) -> Scenario {
        let overrides = Overrides {
            agents: Some(agents),
            ..Default::default()
        };
        scenario::load(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scenarios/bass-mixed.toml"
            )),
            &overrides,
        )
        .expect("the shipped scenario loads")
    }

    #[test]
    fn a_cancelled_run_stops_and_an_uncancelled_one_is_the_runs() {
        let s = bass(2_000);
        let cancel = crate::cancel::Cancel::new();
        let runs = simulate_in_memory(s.clone(), 2, Some(1), &cancel).expect("runs");
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].0.len(), s.params.days as usize);
        assert_ne!(runs[0].0, runs[1].0, "replicates have their own streams");
        // The same records on 2 threads with the default token.
        let again = simulate_in_memory(s.clone(), 2, Some(2), &Default::default()).unwrap();
        assert_eq!(runs, again);
        cancel.cancel();
        match simulate_in_memory(s, 1, Some(1), &cancel) {
            Err(AppError::Interrupted(m)) => assert!(m.contains("stopped"), "{m}"),
            other => panic!("not interrupted: {:?}", other.map(|r| r.len())),
        }
        assert_eq!(AppError::Interrupted(String::new()).exit_code(), 130);
    }
}
