//! Command-line interface: clap derive types, the only place clap appears. The library never
//! sees these types; `into_*` methods turn them into `app` options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{CheckOptions, CompareOptions, RunOptions, SimOptions};
use crate::plot::{ChartKind, CompareChart, Format, PlotOptions};
use crate::scenario::Assignment;

/// exodus — simulate how users move between social-media platforms when one is banned.
#[derive(Debug, Parser)]
#[command(name = "exodus", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write daily curves, flows, a summary and a manifest.
    Run(RunArgs),
    /// Check a scenario file without running it (after `extends` and `--set`).
    Validate(ValidateArgs),
    /// Draw the charts of a finished run, comparison or benchmark from its saved results (no
    /// model is run).
    Plot(PlotArgs),
    /// Run a scenario and compare it with calibration targets; write a Markdown report.
    Check(CheckArgs),
    /// Fit parameters (by their scenario paths) to calibration targets: ABC-SMC for a
    /// posterior, or Nelder-Mead for a point; resumes a stopped calibration from its folder.
    Calibrate(CalibrateArgs),
    /// Compare scenarios over replicates with common random numbers (every scenario runs with
    /// --seed, default the baseline's meta.seed): bands, paired differences from a baseline, key
    /// outcomes and charts.
    Compare(CompareArgs),
    /// Run a scenario at the points of a design over parameter ranges (grid, random, Latin
    /// hypercube, Sobol', Saltelli, Morris), with replicates, into one tidy CSV; resumes and
    /// extends a stopped or grown sweep; --shard I/N runs one slice for a job array.
    Sweep(SweepArgs),
    /// Sobol' indices (Saltelli design) or Morris screening (Morris design) of a finished
    /// sweep's outcomes, with bootstrap intervals and the share of seed noise.
    Sensitivity(SensitivityArgs),
    /// Merge the shards' folders of a sweep, a run or a comparison (--shard I/N) into the
    /// folder one process would have written.
    Merge(MergeArgs),
    /// Measure speed and memory: run scenarios (and the hand-written R1 loop) at chosen sizes
    /// and thread counts, each case in a fresh process; print and write the table and charts.
    Bench(BenchArgs),
    /// Run one benchmark case and print its row as JSON (used by `exodus bench`).
    #[command(hide = true)]
    BenchCase(BenchCaseArgs),
    /// Write a self-contained HTML report and a Markdown report of a finished run,
    /// comparison, sweep or calibration.
    Report {
        /// Results folder written by `exodus run`, `compare`, `sweep` or `calibrate`.
        results: PathBuf,
        /// Folder for report.html and report.md [default: the results folder].
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the shell completion script for SHELL on standard output, e.g.
    /// `exodus completions bash > ~/.local/share/bash-completion/completions/exodus`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (exodus.1 and one per command, exodus-run.1, ...) into a folder, or
    /// print exodus.1 on standard output.
    Man {
        /// Folder for the pages, e.g. ~/.local/share/man/man1 [default: print exodus.1].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Explore what-ifs in the browser: serve a local page (127.0.0.1 only) whose controls
    /// change the scenario and re-run it, beside its baseline; prints the address.
    Explore(ExploreArgs),
    /// Print the JSON Schema of scenario files, for editors that complete and check TOML keys
    /// (Even Better TOML, taplo); docs/scenario-format.md says how to use it.
    Schema {
        /// File to write it to [default: print it].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The scenario to explore [default: scenarios/historical-2025.toml].
    #[arg(default_value = "scenarios/historical-2025.toml")]
    pub scenario: PathBuf,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = crate::explore::DEFAULT_PORT)]
    pub port: u16,
    /// Agents per run (at most the scenario's): runs must answer a control in seconds.
    #[arg(long, default_value_t = crate::explore::DEFAULT_AGENTS, value_parser = whole::<u64>(1000..=crate::explore::MAX_AGENTS))]
    pub agents: u64,
    /// Longest a run may take, in seconds; a longer one is stopped.
    #[arg(long, default_value_t = crate::explore::DEFAULT_MAX_SECONDS, value_parser = parse_seconds)]
    pub max_seconds: f64,
    /// Worker threads of the runs [default: all cores].
    #[arg(long, value_parser = whole::<usize>(1..=1024))]
    pub threads: Option<usize>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (1.0..=3600.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is out of range; allowed: 1 ..= 3600"))
    }
}

impl ExploreArgs {
    pub fn options(&self) -> crate::explore::ExploreOptions {
        crate::explore::ExploreOptions {
            scenario: self.scenario.clone(),
            port: self.port,
            agents: self.agents,
            max_seconds: self.max_seconds,
            threads: self.threads,
        }
    }
}

fn parse_design(s: &str) -> Result<crate::sweep::Kind, String> {
    crate::sweep::Kind::parse(s.trim()).ok_or_else(|| {
        let names: Vec<&str> = crate::sweep::Kind::ALL.iter().map(|k| k.name()).collect();
        format!("`{s}` is not a design; allowed: {}", names.join(", "))
    })
}

/// `--shard I/N`, or `--shard slurm` for the Slurm job array's task.
#[derive(Debug, Clone, Copy)]
pub enum ShardArg {
    Slice(crate::sweep::Shard),
    Slurm,
}

impl ShardArg {
    pub fn parse(s: &str) -> Result<ShardArg, String> {
        if s.trim() == "slurm" {
            Ok(ShardArg::Slurm)
        } else {
            crate::sweep::Shard::parse(s)
                .map(ShardArg::Slice)
                .map_err(|e| format!("{e}, or `slurm`"))
        }
    }

    /// The shard: as given, or the Slurm job array's task.
    pub fn resolve(self) -> Result<crate::sweep::Shard, String> {
        match self {
            ShardArg::Slice(s) => Ok(s),
            ShardArg::Slurm => crate::sweep::Shard::from_slurm()?.ok_or_else(|| {
                "--shard slurm: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set (not a task of a Slurm job array)".to_string()
            }),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Sweep file (TOML), e.g. sweeps/historical-assumptions.toml.
    pub sweep: PathBuf,
    /// Results folder [default: results/sweep-<file name>, and shard-I-of-N inside it for a
    /// shard]; holds sweep.json, from which the same command resumes a stopped sweep.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Run the I-th of N deterministic slices (points p with p mod N = I), 0 <= I < N, or
    /// `slurm` for the job array's task [default: from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT when set].
    #[arg(long, value_name = "I/N", value_parser = ShardArg::parse)]
    pub shard: Option<ShardArg>,
    /// Samples of the design (points, base rows or trajectories), replacing sweep.samples;
    /// more than a finished sweep's extends it.
    #[arg(long, value_parser = parse_samples)]
    pub samples: Option<u64>,
    /// Replicates per point, replacing sweep.replicates.
    #[arg(long, value_parser = whole::<u32>(1..=10_000))]
    pub replicates: Option<u32>,
    /// Design, replacing sweep.design (grid, random, latin-hypercube, sobol, saltelli, morris);
    /// give --samples with it.
    #[arg(long, value_parser = parse_design)]
    pub design: Option<crate::sweep::Kind>,
    /// Scenario file, replacing sweep.scenario: the same design on another scenario (a
    /// what-if), into results/sweep-<file>-<scenario> by default.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Leave unset the parameter paths the scenario does not have (a what-if without an event
    /// the file varies) instead of refusing; the points stay those of the design.
    #[arg(long)]
    pub skip_missing: bool,
    /// Agents per run, replacing sweep.agents.
    #[arg(long, value_parser = parse_count)]
    pub agents: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any value.
    #[arg(long, value_parser = whole::<u16>(1..=1024))]
    pub threads: Option<u16>,
    /// Set one value of the scenario by its path on every point (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Assignment::parse)]
    pub sets: Vec<Assignment>,
    /// Start over, deleting the results of a sweep saved in the folder.
    #[arg(long)]
    pub fresh: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

impl SweepArgs {
    /// The options `sweep::run` takes; the shard comes from Slurm's variables when not given.
    pub fn into_options(self) -> Result<crate::sweep::SweepOptions, String> {
        let shard = match self.shard {
            Some(s) => Some(s.resolve()?),
            None => crate::sweep::Shard::from_slurm()?,
        };
        Ok(crate::sweep::SweepOptions {
            sweep: self.sweep,
            out: self.out,
            threads: self.threads.map(usize::from),
            shard,
            agents: self.agents,
            replicates: self.replicates,
            samples: self.samples.map(|n| n as usize),
            design: self.design,
            scenario: self.scenario,
            skip_missing: self.skip_missing,
            sets: self.sets,
            fresh: self.fresh,
            plots: !self.no_plots,
            quiet: self.quiet,
            cancel: Default::default(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Results folder of a finished sweep (holds sweep.json and results.csv).
    pub results: PathBuf,
    /// Folder for sensitivity.csv, sensitivity.md and the charts [default: the results folder].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000, value_parser = whole::<u32>(10..=100_000))]
    pub resamples: u32,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, value_parser = parse_level)]
    pub level: f64,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_level(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v > 0.5 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("{v} is out of range; allowed: 0.5 < LEVEL < 1"))
    }
}

impl SensitivityArgs {
    pub fn options(&self) -> crate::sweep::analyse::SensitivityOptions {
        crate::sweep::analyse::SensitivityOptions {
            results: self.results.clone(),
            out: self.out.clone(),
            resamples: self.resamples as usize,
            level: self.level,
            plots: !self.no_plots,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' folders (every shard of one sweep, run or comparison).
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged results [default: the folder that holds the shards' folders].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Write into a results folder that holds files exodus did not write (they are left
    /// untouched; files of an earlier exodus run there are replaced as always).
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
    pub scenario: PathBuf,
    /// Print the resolved scenario as TOML: the files it extends merged, --set applied, every
    /// default written out.
    #[arg(long, conflicts_with = "paths")]
    pub resolved: bool,
    /// List every parameter path of the resolved scenario with its value (the paths --set,
    /// calibrate and sweeps take).
    #[arg(long)]
    pub paths: bool,
    /// Set one value by its path before checking (repeatable), as on `run`.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Assignment::parse)]
    pub sets: Vec<Assignment>,
}

impl ValidateArgs {
    /// What to print.
    pub fn output(&self) -> crate::app::ValidateOutput {
        if self.resolved {
            crate::app::ValidateOutput::Resolved
        } else if self.paths {
            crate::app::ValidateOutput::Paths
        } else {
            crate::app::ValidateOutput::Summary
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Scenario files to measure [default: scenarios/reference-r1.toml and
    /// scenarios/historical-2025.toml].
    pub scenarios: Vec<PathBuf>,
    /// Population sizes, comma-separated (1e6 style allowed).
    #[arg(long, value_delimiter = ',', value_parser = parse_count, default_value = "10000,100000,1000000")]
    pub agents: Vec<u64>,
    /// Thread counts, comma-separated [default: 1 and all cores].
    #[arg(long, value_delimiter = ',', value_parser = whole::<u16>(1..=1024))]
    pub threads: Vec<u16>,
    /// Times the days are run per case (the table gives the median and the best).
    #[arg(long, default_value_t = 3, value_parser = whole::<u32>(1..=1000))]
    pub repeats: u32,
    /// Contacts per agent for every scenario, replacing network.degree (compare workloads at
    /// equal degree).
    #[arg(long, value_parser = whole::<u32>(1..=1000))]
    pub degree: Option<u32>,
    /// Also run the hand-written R1 loop, for comparison.
    #[arg(long)]
    pub baseline: bool,
    /// Folder for bench.csv, bench.json, machine.txt and the charts.
    #[arg(long, short, default_value = "results/bench")]
    pub out: PathBuf,
    /// Keep the rows of an earlier bench in --out and add these after them (e.g. the largest
    /// sizes measured with fewer repeats).
    #[arg(long)]
    pub append: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

impl BenchArgs {
    pub fn into_options(self, command_line: Vec<String>) -> crate::bench::BenchOptions {
        let scenarios = if self.scenarios.is_empty() {
            vec![
                PathBuf::from("scenarios/reference-r1.toml"),
                PathBuf::from("scenarios/historical-2025.toml"),
            ]
        } else {
            self.scenarios
        };
        let threads = if self.threads.is_empty() {
            let all = std::thread::available_parallelism().map_or(1, |n| n.get());
            if all > 1 { vec![1, all] } else { vec![1] }
        } else {
            self.threads.into_iter().map(usize::from).collect()
        };
        crate::bench::BenchOptions {
            scenarios,
            agents: self.agents,
            threads,
            repeats: self.repeats,
            degree: self.degree,
            baseline: self.baseline,
            out: self.out,
            append: self.append,
            plots: !self.no_plots,
            quiet: self.quiet,
            command_line,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BenchCaseArgs {
    /// Scenario file (omit with --baseline).
    #[arg(required_unless_present = "baseline")]
    pub scenario: Option<PathBuf>,
    /// Run the hand-written R1 loop instead of a scenario.
    #[arg(long, conflicts_with = "scenario")]
    pub baseline: bool,
    #[arg(long, value_parser = parse_count)]
    pub agents: u64,
    #[arg(long, value_parser = whole::<u16>(1..=1024))]
    pub threads: u16,
    #[arg(long, default_value_t = 1)]
    pub repeats: u32,
    #[arg(long, value_parser = whole::<u32>(1..=1000))]
    pub degree: Option<u32>,
}

impl BenchCaseArgs {
    pub fn case(self) -> crate::bench::Case {
        crate::bench::Case {
            workload: match self.scenario {
                Some(p) if !self.baseline => crate::bench::Workload::Scenario(p),
                _ => crate::bench::Workload::Baseline,
            },
            agents: self.agents,
            threads: usize::from(self.threads),
            repeats: self.repeats,
            degree: self.degree,
        }
    }
}

/// A count of agents (at least 2), written as every count on the command line is.
fn parse_count(s: &str) -> Result<u64, String> {
    parse_whole(s, 2..=u64::MAX)
}

/// A number of samples (1 or more).
fn parse_samples(s: &str) -> Result<u64, String> {
    parse_whole(s, 1..=u64::MAX)
}

/// A value parser for a whole number in `range`, of type `T`: see [`parse_whole`].
fn whole<T>(
    range: std::ops::RangeInclusive<u64>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |s: &str| {
        let n = parse_whole(s, range.clone())?;
        T::try_from(n).map_err(|_| format!("`{s}` is too large"))
    }
}

/// A whole number in `range`, written the same way for every count on the command line:
/// digits, with `_` separators (1_000_000), or a power of ten (1e6, 2.5e5) that comes to a
/// whole number.
pub fn parse_whole(s: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    let allowed = if *range.end() == u64::MAX {
        format!("of at least {}", range.start())
    } else {
        format!("in {} ..= {}", range.start(), range.end())
    };
    let bad = || format!("`{s}` is not a whole number {allowed} (write 1000000, 1_000_000 or 1e6)");
    let t = s.trim().replace('_', "");
    let n = match t.split_once(['e', 'E']) {
        None => t.parse::<u64>().ok(),
        Some((mantissa, exponent)) => {
            let exponent: i64 = exponent.parse().map_err(|_| bad())?;
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            if int.is_empty() && frac.is_empty()
                || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
            {
                return Err(bad());
            }
            // The digits as one integer, then the decimal point moved by the exponent.
            let digits: u128 = format!("{int}{frac}").parse().map_err(|_| bad())?;
            let shift = exponent - frac.len() as i64;
            let scaled = if shift >= 0 {
                u32::try_from(shift)
                    .ok()
                    .and_then(|e| 10u128.checked_pow(e))
                    .and_then(|p| digits.checked_mul(p))
            } else {
                u32::try_from(-shift)
                    .ok()
                    .and_then(|e| 10u128.checked_pow(e))
                    .filter(|p| digits.is_multiple_of(*p))
                    .map(|p| digits / p)
            };
            scaled.and_then(|x| u64::try_from(x).ok())
        }
    };
    n.filter(|n| range.contains(n)).ok_or_else(bad)
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario files to compare (two or more, same platforms and start date), or one
    /// comparison file (comparisons/*.toml) that lists them.
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
    /// The baseline scenario (one of the files) [default: the first].
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Replicates per scenario [default: the comparison file's, or 10].
    #[arg(long, value_parser = whole::<u32>(1..=100_000))]
    pub replicates: Option<u32>,
    /// Quantiles of the bands, as LOW,HIGH [default: the comparison file's, or 0.05,0.95].
    #[arg(long, value_parser = parse_band)]
    pub band: Option<(f64, f64)>,
    /// Dates at which platforms' losses of main users are reported, comma-separated
    /// YYYY-MM-DD [default: the last day all scenarios share].
    #[arg(long, value_delimiter = ',', value_parser = parse_date)]
    pub dates: Vec<chrono::NaiveDate>,
    /// Independent random numbers for each scenario instead of common ones (to see what common
    /// random numbers buy).
    #[arg(long)]
    pub independent: bool,
    /// Results folder [default: results/compare-<names>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Write into a results folder that holds files exodus did not write (they are left
    /// untouched; files of an earlier exodus run there are replaced as always).
    #[arg(long)]
    pub force: bool,
    /// Run only the replicates r with r mod N = I (0 <= I < N) into a shard folder
    /// [default: shard-I-of-N in the results folder], or `slurm` for the Slurm job array's task;
    /// `exodus merge` puts the N shards together into what one process writes.
    #[arg(long, value_name = "I/N", value_parser = ShardArg::parse)]
    pub shard: Option<ShardArg>,
}

/// Why `exodus compare`'s arguments cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CompareArgsError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    File(#[from] crate::scenario::ScenarioError),
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

impl CompareArgs {
    /// The options `app::compare` takes; a single argument is read as a comparison file, whose
    /// settings the flags override. The baseline must be one of the scenarios.
    pub fn into_options(
        self,
        command_line: Vec<String>,
    ) -> Result<CompareOptions, CompareArgsError> {
        let file = match &self.scenarios[..] {
            [one] => {
                // Valid TOML without a [comparison] table is a scenario; a file that is not
                // valid TOML is read as a comparison file, so its syntax error is reported as
                // itself with the line.
                let scenario_only = std::fs::read_to_string(one)
                    .ok()
                    .and_then(|t| t.parse::<toml::Table>().ok())
                    .is_some_and(|t| !t.contains_key("comparison"));
                if scenario_only {
                    return Err(CompareArgsError::Usage(format!(
                        "{} is a single scenario: compare needs two or more scenarios, or a comparison file with a [comparison] table",
                        one.display()
                    )));
                }
                Some(crate::experiment::comparison_file::load(one)?)
            }
            _ => None,
        };
        let scenarios = file
            .as_ref()
            .map_or_else(|| self.scenarios.clone(), |f| f.scenarios.clone());
        if scenarios.len() < 2 {
            return Err(CompareArgsError::Usage(
                "compare needs two or more scenarios, or a comparison file".into(),
            ));
        }
        let baseline = match &self.baseline {
            None => file.as_ref().map_or(0, |f| f.baseline),
            // Paths are compared as files, so scenarios/x.toml and comparisons/../scenarios/x.toml
            // are the same scenario.
            Some(b) => scenarios
                .iter()
                .position(|s| same_file(s, b))
                .ok_or_else(|| {
                    CompareArgsError::Usage(format!(
                        "--baseline {} is not one of the scenarios compared",
                        b.display()
                    ))
                })?,
        };
        let dates = if self.dates.is_empty() {
            file.as_ref().map(|f| f.dates.clone()).unwrap_or_default()
        } else {
            self.dates
        };
        Ok(CompareOptions {
            title: file.as_ref().map(|f| f.name.clone()),
            description: file
                .as_ref()
                .map(|f| f.description.clone())
                .unwrap_or_default(),
            scenarios,
            baseline,
            replicates: self
                .replicates
                .or(file.as_ref().and_then(|f| f.replicates))
                .unwrap_or(10),
            band: self
                .band
                .or(file.as_ref().and_then(|f| f.band))
                .unwrap_or((0.05, 0.95)),
            dates,
            independent: self.independent,
            out: self.out,
            sim: self.sim.options(),
            plots: !self.no_plots,
            charts: self.view.options(),
            shard: self
                .shard
                .map(ShardArg::resolve)
                .transpose()
                .map_err(CompareArgsError::Usage)?,
            force: self.force,
            command_line,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
    pub scenario: PathBuf,
    /// Targets file (TOML), e.g. data/calibration-targets.toml.
    pub targets: PathBuf,
    /// Calibration file: the parameters by path with their priors, the targets fitted and held
    /// back, the method and its settings (docs/calibration.md).
    #[arg(long, short)]
    pub params: PathBuf,
    /// Results folder [default: results/calibrate-<scenario file name>]; holds state.json, from
    /// which the same command resumes a stopped calibration.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Method, replacing calibration.method.
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Replicates per candidate (common random numbers), replacing calibration.seeds.
    #[arg(long, value_parser = whole::<u32>(1..=1000))]
    pub seeds: Option<u32>,
    /// Agents per candidate, replacing calibration.agents.
    #[arg(long, value_parser = parse_count)]
    pub agents: Option<u64>,
    /// Seed of the calibration's own draws (prior samples, proposals, restarts), replacing
    /// calibration.seed.
    #[arg(long, value_parser = whole::<u64>(0..=u64::MAX))]
    pub seed: Option<u64>,
    /// ABC-SMC particles, replacing abc.particles.
    #[arg(long, value_parser = whole::<u64>(4..=100_000))]
    pub particles: Option<u64>,
    /// Stop after this many ABC-SMC generations, replacing abc.max_generations.
    #[arg(long, value_parser = whole::<u64>(1..=1000))]
    pub generations: Option<u64>,
    /// Stop after this many simulated candidates, replacing abc.max_simulations (raise it and
    /// rerun to resume).
    #[arg(long, value_parser = whole::<u64>(1..=u64::MAX))]
    pub max_simulations: Option<u64>,
    /// Stop after this many seconds of wall time, replacing abc.max_seconds.
    #[arg(long)]
    pub max_seconds: Option<f64>,
    /// Nelder-Mead restarts, replacing nelder_mead.restarts.
    #[arg(long, value_parser = whole::<u64>(1..=1000))]
    pub restarts: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any value.
    #[arg(long, value_parser = whole::<u16>(1..=1024))]
    pub threads: Option<u16>,
    /// Set one value of the scenario by its path before fitting (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Assignment::parse)]
    pub sets: Vec<Assignment>,
    /// Start over, discarding a calibration saved in the folder.
    #[arg(long)]
    pub fresh: bool,
    /// Do not draw charts.
    #[arg(long)]
    pub no_plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Calibration methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    /// ABC-SMC: a weighted sample of the posterior.
    AbcSmc,
    /// Nelder-Mead with restarts: a point fit.
    NelderMead,
}

impl CalibrateArgs {
    /// The options `calibrate::run` takes.
    pub fn into_options(self, command_line: Vec<String>) -> crate::calibrate::CalibrateOptions {
        crate::calibrate::CalibrateOptions {
            scenario: self.scenario,
            targets: self.targets,
            params: self.params,
            out: self.out,
            method: self.method.map(|m| match m {
                MethodArg::AbcSmc => crate::calibrate::Method::AbcSmc,
                MethodArg::NelderMead => crate::calibrate::Method::NelderMead,
            }),
            seeds: self.seeds,
            agents: self.agents,
            seed: self.seed,
            particles: self.particles.map(|n| n as usize),
            max_generations: self.generations.map(|n| n as usize),
            max_simulations: self.max_simulations,
            max_seconds: self.max_seconds,
            restarts: self.restarts.map(|n| n as usize),
            threads: self.threads.map(usize::from),
            sets: self.sets,
            fresh: self.fresh,
            plots: !self.no_plots,
            quiet: self.quiet,
            command_line,
            cancel: Default::default(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
    pub scenario: PathBuf,
    /// Targets file (TOML), e.g. data/calibration-targets.toml.
    pub targets: PathBuf,
    /// Report file [default: results/check-<scenario file name>.md].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Replicates to run; each target's mean over them is judged, and the report gives their
    /// range.
    #[arg(long, default_value_t = 1, value_parser = whole::<u32>(1..=10_000))]
    pub replicates: u32,
    /// Exit with code 1 when any target misses its accepted interval (for scripts and CI).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub sim: SimArgs,
}

impl CheckArgs {
    /// The options `app::check` takes.
    pub fn into_options(self, command_line: Vec<String>) -> CheckOptions {
        CheckOptions {
            scenario: self.scenario,
            targets: self.targets,
            report: self.out,
            replicates: self.replicates,
            sim: self.sim.options(),
            command_line,
        }
    }
}

/// Options every simulating command shares (run, check, compare).
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Master seed, replacing the scenario's meta.seed.
    #[arg(long, value_parser = whole::<u64>(0..=u64::MAX))]
    pub seed: Option<u64>,
    /// Agents to simulate, replacing population.agents (people represented stay the same).
    /// Its range is checked with the scenario's (2 ..= 4000000000).
    #[arg(long, value_parser = whole::<u64>(0..=u64::MAX))]
    pub agents: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any value.
    #[arg(long, value_parser = whole::<u16>(1..=1024))]
    pub threads: Option<u16>,
    /// Print nothing but errors (no progress bar, no summary).
    #[arg(long, short)]
    pub quiet: bool,
    /// Set one value of the scenario by its path, e.g. --set platforms.RedNote.appeal=0.3 or
    /// --set population.segments.under-30.attention=0.1 (repeatable; `exodus validate --paths`
    /// lists the paths).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Assignment::parse)]
    pub sets: Vec<Assignment>,
}

impl SimArgs {
    fn options(&self) -> SimOptions {
        SimOptions {
            seed: self.seed,
            agents: self.agents,
            threads: self.threads.map(usize::from),
            quiet: self.quiet,
            sets: self.sets.clone(),
            cancel: Default::default(),
        }
    }
}

/// Charts that can be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChartArg {
    /// Users per platform over time, with event markers.
    Adoption,
    /// Stacked area of each platform's share of users.
    Share,
    /// New installs per platform and day.
    Installs,
    /// Heat map of who moved from which platform to which.
    Flows,
    /// Net daily flow (arrivals minus departures) per platform.
    NetFlows,
    /// One small panel per platform.
    Multiples,
    /// Estimated App Store rank (when the scenario estimates ranks).
    Rank,
    /// People trying each app beside their main app (with trials).
    Trials,
    /// Perceived ban risk per platform (from drivers.csv).
    Risk,
    /// Adoption by audience class (with `[outputs] audience_classes`).
    Classes,
    /// A comparison's scenarios overlaid, per platform.
    Compare,
    /// A comparison's paired differences from the baseline, per platform.
    Difference,
}

/// How charts show the results: `--log` and `--platforms`, on plot, run and compare.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ViewArgs {
    /// A log scale on the y axis of the charts of counts that never go below zero
    /// (adoption, installs, trials, a comparison's overlays); others keep theirs.
    #[arg(long)]
    pub log: bool,
    /// Only these platforms, comma-separated, in this order [default: all].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub platforms: Vec<String>,
}

impl ViewArgs {
    /// The plotting options, at the default size and formats, these arguments ask for.
    pub fn options(&self) -> PlotOptions {
        PlotOptions {
            log: self.log,
            platforms: (!self.platforms.is_empty()).then(|| self.platforms.clone()),
            ..PlotOptions::default()
        }
    }
}

/// Image formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Svg,
    Png,
    /// Both SVG and PNG.
    Both,
}

#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// Results folder written by `exodus run` (holds daily.csv, flows.csv and run.json) or by
    /// `exodus compare` (holds comparison.json).
    pub results: PathBuf,
    /// Folder for the charts [default: the results folder].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Chart width in CSS pixels (the SVG size).
    #[arg(long, default_value_t = 1200, value_parser = whole::<u32>(200..=8000))]
    pub width: u32,
    /// Chart height in CSS pixels.
    #[arg(long, default_value_t = 675, value_parser = whole::<u32>(200..=8000))]
    pub height: u32,
    /// PNG pixel density: 2 makes a 1200 x 675 chart 2400 x 1350 pixels.
    #[arg(long, default_value_t = 2.0, value_parser = parse_scale)]
    pub scale: f64,
    /// Image format.
    #[arg(long, value_enum, default_value_t = FormatArg::Both)]
    pub format: FormatArg,
    /// Charts to draw, comma-separated [default: all those the folder's kind draws: a run's,
    /// or a comparison's compare and difference].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub charts: Vec<ChartArg>,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if crate::plot::SCALE.contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is out of range; allowed: 0.5 ..= 4"))
    }
}

impl PlotArgs {
    /// The plotting options these arguments ask for.
    pub fn options(&self) -> PlotOptions {
        let formats = match self.format {
            FormatArg::Svg => vec![Format::Svg],
            FormatArg::Png => vec![Format::Png],
            FormatArg::Both => vec![Format::Svg, Format::Png],
        };
        let defaults = self.view.options();
        let (charts, compare_charts) = if self.charts.is_empty() {
            (defaults.charts.clone(), defaults.compare_charts.clone())
        } else {
            (
                self.charts.iter().filter_map(|c| c.kind()).collect(),
                self.charts
                    .iter()
                    .filter_map(|c| c.compare_chart())
                    .collect(),
            )
        };
        PlotOptions {
            width: self.width,
            height: self.height,
            scale: self.scale,
            formats,
            charts,
            compare_charts,
            ..defaults
        }
    }
}

impl ChartArg {
    fn kind(self) -> Option<ChartKind> {
        Some(match self {
            ChartArg::Adoption => ChartKind::Adoption,
            ChartArg::Share => ChartKind::Share,
            ChartArg::Installs => ChartKind::Installs,
            ChartArg::Flows => ChartKind::Flows,
            ChartArg::NetFlows => ChartKind::NetFlows,
            ChartArg::Multiples => ChartKind::Multiples,
            ChartArg::Rank => ChartKind::Rank,
            ChartArg::Trials => ChartKind::Trials,
            ChartArg::Risk => ChartKind::Risk,
            ChartArg::Classes => ChartKind::Classes,
            ChartArg::Compare | ChartArg::Difference => return None,
        })
    }

    fn compare_chart(self) -> Option<CompareChart> {
        match self {
            ChartArg::Compare => Some(CompareChart::Compare),
            ChartArg::Difference => Some(CompareChart::Difference),
            _ => None,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
    pub scenario: PathBuf,
    /// Results folder [default: results/<scenario file name without .toml>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Do not draw charts (redraw them later with `exodus plot`).
    #[arg(long)]
    pub no_plots: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Write into a results folder that holds files exodus did not write (they are left
    /// untouched; files of an earlier exodus run there are replaced as always).
    #[arg(long)]
    pub force: bool,
    /// Replicates to run; with more than 1, replicates.csv and bands.csv hold them all and the
    /// charts show the median and the band.
    #[arg(long, default_value_t = 1, value_parser = whole::<u32>(1..=100_000))]
    pub replicates: u32,
    /// Quantiles of the band across replicates, as LOW,HIGH.
    #[arg(long, default_value = "0.05,0.95", value_parser = parse_band)]
    pub band: (f64, f64),
    /// Run only the replicates r with r mod N = I (0 <= I < N) into a shard folder
    /// [default: shard-I-of-N in the results folder], or `slurm` for the Slurm job array's task;
    /// `exodus merge` puts the N shards together into what one process writes.
    #[arg(long, value_name = "I/N", value_parser = ShardArg::parse)]
    pub shard: Option<ShardArg>,
}

fn parse_band(s: &str) -> Result<(f64, f64), String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lo, hi] = parts[..] else {
        return Err(format!("`{s}` is not LOW,HIGH (e.g. 0.05,0.95)"));
    };
    let num = |x: &str| {
        x.parse::<f64>()
            .map_err(|_| format!("`{x}` is not a number"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if 0.0 < lo && lo < hi && hi < 1.0 {
        Ok((lo, hi))
    } else {
        Err(format!(
            "{lo},{hi} is out of range; allowed: 0 < LOW < HIGH < 1"
        ))
    }
}

impl RunArgs {
    /// The options `app::run` takes (an error for `--shard slurm` outside a job array).
    pub fn into_options(self, command_line: Vec<String>) -> Result<RunOptions, String> {
        Ok(RunOptions {
            scenario: self.scenario,
            out: self.out,
            sim: self.sim.options(),
            plots: !self.no_plots,
            charts: self.view.options(),
            replicates: self.replicates,
            band: self.band,
            shard: self.shard.map(ShardArg::resolve).transpose()?,
            force: self.force,
            command_line,
        })
    }
}

/// The man pages, from the same definitions as the command line: (file name, roff text) of
/// `exodus.1` first, then one per visible command (`exodus-run.1`, ...).
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    fn walk(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        pages.push((man.get_filename(), roff));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, pages)?;
        }
        Ok(())
    }
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    walk(&cmd, &mut pages)?;
    Ok(pages)
}

/// Writes the completion script of `shell` for exodus to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "exodus", out);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_count_is_written_the_same_way() {
        let any = 0..=u64::MAX;
        for (text, n) in [
            ("1000000", 1_000_000),
            ("1_000_000", 1_000_000),
            ("1e6", 1_000_000),
            ("2.5e5", 250_000),
            ("1.50e1", 15),
            (" 7 ", 7),
        ] {
            assert_eq!(parse_whole(text, any.clone()), Ok(n), "{text}");
        }
        for text in ["1e", "e6", "1.5", "1.25e1", "-3", "1e30", "x", "1.e"] {
            assert!(parse_whole(text, any.clone()).is_err(), "{text}");
        }
        let e = parse_whole("0", 1..=1024).unwrap_err();
        assert!(e.contains("1 ..= 1024"), "{e}");
        let e = parse_whole("1", 2..=u64::MAX).unwrap_err();
        assert!(e.contains("at least 2"), "{e}");
    }

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plot_options_parse() {
        let cli = Cli::try_parse_from([
            "exodus",
            "plot",
            "r",
            "--charts",
            "adoption,net-flows",
            "--format",
            "svg",
        ])
        .unwrap();
        let Command::Plot(args) = cli.command else {
            panic!("not plot")
        };
        let opts = args.options();
        assert_eq!(opts.charts, vec![ChartKind::Adoption, ChartKind::NetFlows]);
        assert_eq!(opts.formats, vec![Format::Svg]);
        assert!(Cli::try_parse_from(["exodus", "plot", "r", "--scale", "9"]).is_err());
        assert!(Cli::try_parse_from(["exodus", "plot", "r", "--width", "10"]).is_err());
    }

    #[test]
    fn threads_must_be_positive() {
        assert!(Cli::try_parse_from(["exodus", "run", "x.toml", "--threads", "0"]).is_err());
        assert!(Cli::try_parse_from(["exodus", "run", "x.toml", "--threads", "2"]).is_ok());
    }
}
