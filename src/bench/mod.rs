//! `exodus bench`: measures the engine on shipped scenarios at chosen sizes and thread counts,
//! and writes the table (bench.csv, bench.json) and its charts.
//!
//! Each case (workload x agents x threads) runs in a fresh child process (`exodus bench-case`,
//! hidden from help), so its peak memory (VmHWM) is its own and one case's leftovers cannot
//! slow the next. Each repeat of a case builds the world (timing the population and the
//! network separately) and runs the days; the table reports the medians and the best.
//! Agent-updates per second = agents x days / simulate seconds (network build excluded), as R1
//! defines it. `--baseline` adds the hand-written R1 loop (`baseline`) as a workload, so the
//! engine's speed is compared with it on the same machine at the same time.

pub mod baseline;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::engine::{self, World};
use crate::memory;
use crate::output::{self, atomic};
use crate::scenario::params::NetworkSpec;
use crate::scenario::{self, Overrides};

/// The workload name of the hand-written loop in tables.
pub const BASELINE_NAME: &str = "R1 hand-written loop";

/// What a case runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Workload {
    /// A scenario file, run by the ordinary engine.
    Scenario(PathBuf),
    /// The hand-written R1 loop.
    Baseline,
}

/// One measurement: a workload at one size and thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub workload: Workload,
    pub agents: u64,
    pub threads: usize,
    /// Times the days are run (the world is built once).
    pub repeats: u32,
    /// Contacts per agent, replacing the scenario's (for comparisons at equal degree).
    pub degree: Option<u32>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Scenario name (meta.name), or the baseline's name.
    pub workload: String,
    /// Scenario file ("" for the baseline).
    pub scenario: String,
    pub agents: u64,
    pub days: u32,
    /// Contacts per agent (0 for a mixed population).
    pub degree: u32,
    pub threads: u32,
    pub repeats: u32,
    /// Seconds drawing the population (median over repeats).
    pub population_seconds: f64,
    /// Seconds building the network (median over repeats).
    pub network_seconds: f64,
    /// Median seconds for all days.
    pub simulate_seconds: f64,
    /// Best seconds for all days.
    pub simulate_seconds_min: f64,
    /// agents x days / median seconds.
    pub updates_per_second: f64,
    /// agents x days / best seconds.
    pub updates_per_second_max: f64,
    /// The case's peak resident memory (0 if unknown).
    pub peak_rss_bytes: u64,
    /// Peak resident memory / agents (0 if unknown).
    pub bytes_per_agent: f64,
    /// exodus's estimate of the peak, printed before allocating (0 for the baseline).
    pub estimate_bytes: u64,
    /// The estimate / agents.
    pub estimate_bytes_per_agent: f64,
}

/// Options of `exodus bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub scenarios: Vec<PathBuf>,
    pub agents: Vec<u64>,
    pub threads: Vec<usize>,
    pub repeats: u32,
    pub degree: Option<u32>,
    pub baseline: bool,
    pub out: PathBuf,
    /// Keep the rows of an earlier bench in `out`, adding these after them.
    pub append: bool,
    pub plots: bool,
    pub quiet: bool,
    /// The command line as typed, for bench.json.
    pub command_line: Vec<String>,
}

/// What bench.json holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchManifest {
    pub exodus_version: String,
    pub command_line: Vec<String>,
    pub started_at: String,
    pub machine: Machine,
    pub rows: Vec<Row>,
    /// Cases that could not run, with the reason.
    pub failed: Vec<String>,
}

/// The machine the numbers came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_bytes: u64,
    pub os: String,
    /// The processor's family and model numbers (x86: /proc/cpuinfo's `cpu family` and
    /// `model`), which tell generations with one marketing name apart; empty when unknown.
    #[serde(default)]
    pub family_model: String,
    /// The vector instruction sets the processor has, of those that matter to exodus's speed.
    #[serde(default)]
    pub vector_features: Vec<String>,
    /// The vector path the engine's per-agent hashes ran on (`rng::Vector`).
    #[serde(default)]
    pub vector_path: String,
}

/// The vector features `Machine` records: the x86 extensions and aarch64's NEON.
fn vector_features() -> Vec<String> {
    #[allow(unused_mut)]
    let mut found: Vec<&str> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        for (name, yes) in [
            ("sse4.2", has!("sse4.2")),
            ("avx", has!("avx")),
            ("avx2", has!("avx2")),
            ("fma", has!("fma")),
            ("bmi2", has!("bmi2")),
            ("avx512f", has!("avx512f")),
            ("avx512dq", has!("avx512dq")),
            ("avx512bw", has!("avx512bw")),
            ("avx512vl", has!("avx512vl")),
        ] {
            if yes {
                found.push(name);
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("neon") {
        found.push("neon");
    }
    found.into_iter().map(String::from).collect()
}

impl Machine {
    /// Describes this machine from /proc (Linux); unknown fields say so.
    pub fn detect() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        // A field of /proc/cpuinfo's first processor.
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        };
        let cpu = field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let memory_bytes = memory::total_bytes().unwrap_or(0);
        let release = read("/proc/sys/kernel/osrelease");
        let family_model = match (field("cpu family"), field("model")) {
            (Some(f), Some(m)) => format!("family {f} model {m}"),
            _ => String::new(),
        };
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes,
            os: format!("{} {}", std::env::consts::OS, release.trim())
                .trim()
                .to_string(),
            family_model,
            vector_features: vector_features(),
            vector_path: crate::rng::Vector::chosen().name().to_string(),
        }
    }

    /// machine.txt: `describe`'s line (chart footnotes read it), then the processor's family
    /// and model, its vector features and the vector path the run used.
    pub fn text(&self) -> String {
        format!(
            "{}
cpu: {}
vector features: {}
vector path: {} (EXODUS_VECTOR chooses another: {})
arch: {}
",
            self.describe(),
            if self.family_model.is_empty() {
                "unknown family and model"
            } else {
                &self.family_model
            },
            if self.vector_features.is_empty() {
                "none detected".to_string()
            } else {
                self.vector_features.join(" ")
            },
            self.vector_path,
            crate::rng::Vector::runnable_names(),
            std::env::consts::ARCH,
        )
    }

    /// One line, for tables and chart footnotes.
    pub fn describe(&self) -> String {
        format!(
            "{}, {} cores, {:.1} GiB, {}",
            self.cpu,
            self.cores,
            self.memory_bytes as f64 / f64::from(1u32 << 30),
            self.os
        )
    }
}

/// The median of `v` (the project's type-7 quantile at 0.5).
fn median(v: &[f64]) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    crate::experiment::quantile::exact(&sorted, 0.5)
}

/// `network` with its degree replaced by `degree`, if it has one.
fn with_degree(network: NetworkSpec, degree: u32) -> NetworkSpec {
    match network {
        NetworkSpec::Mixed => NetworkSpec::Mixed,
        NetworkSpec::Random { .. } => NetworkSpec::Random { degree },
        NetworkSpec::SmallWorld { rewire, .. } => NetworkSpec::SmallWorld { degree, rewire },
        NetworkSpec::PowerLaw { exponent, .. } => NetworkSpec::PowerLaw { degree, exponent },
    }
}

/// Allowed `--degree` values (the scenario format's range).
pub const DEGREE: std::ops::RangeInclusive<u32> = 1..=1000;

/// Runs one case in this process and measures it.
pub fn run_case(case: &Case) -> Result<Row, AppError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(case.threads)
        .build()
        .map_err(|e| AppError::Resources(format!("cannot start worker threads: {e}")))?;
    let row = match &case.workload {
        Workload::Baseline => {
            if case.agents < 11 {
                return Err(AppError::Resources(
                    "the hand-written R1 loop needs at least 11 agents (10 contacts each)".into(),
                ));
            }
            let run = pool.install(|| baseline::run(case.agents as usize, 1, case.repeats));
            let days = baseline::DAYS as u32;
            row_from(
                BASELINE_NAME.into(),
                String::new(),
                case,
                days,
                10,
                (0.0, run.network_seconds),
                &run.simulate_seconds,
                None,
            )
        }
        Workload::Scenario(path) => {
            let overrides = Overrides {
                agents: Some(case.agents),
                ..Overrides::default()
            };
            let mut scenario = scenario::load(path, &overrides)?;
            let params = &mut scenario.params;
            if let Some(d) = case.degree
                && params.network != NetworkSpec::Mixed
            {
                if !DEGREE.contains(&d) || u64::from(d) >= case.agents {
                    return Err(AppError::Resources(format!(
                        "--degree {d} is out of range for {} agents (allowed 1 ..= {})",
                        case.agents,
                        (case.agents - 1).min(u64::from(*DEGREE.end()))
                    )));
                }
                params.network = with_degree(params.network, d);
            }
            let params = &scenario.params;
            let est = memory::estimate(params);
            memory::check_fits(&est, case.agents).map_err(AppError::Resources)?;
            // Each repeat builds its world afresh (the previous one dropped) and runs it, as
            // `exodus run` does: no copy of the initial state is kept between repeats, so the
            // peak memory is a single run's.
            let (times, seconds) = pool.install(|| {
                let (mut population, mut network, mut seconds) =
                    (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..case.repeats.max(1) {
                    let (world, initial, times) = World::build_timed(params, 0);
                    population.push(times.population_seconds);
                    network.push(times.network_seconds);
                    let t = Instant::now();
                    let fin = engine::simulate(params, &world, initial, 0, |tally| {
                        std::hint::black_box(tally);
                    });
                    seconds.push(t.elapsed().as_secs_f64());
                    std::hint::black_box(fin);
                }
                ((median(&population), median(&network)), seconds)
            });
            row_from(
                params.name.clone(),
                path.display().to_string(),
                case,
                params.days,
                params.network.degree(),
                times,
                &seconds,
                Some(est.peak_bytes),
            )
        }
    };
    Ok(row)
}

/// A row from a case's measurements.
#[allow(clippy::too_many_arguments)]
fn row_from(
    workload: String,
    scenario: String,
    case: &Case,
    days: u32,
    degree: u32,
    (population_seconds, network_seconds): (f64, f64),
    seconds: &[f64],
    estimate: Option<u64>,
) -> Row {
    let updates = case.agents as f64 * f64::from(days);
    let med = median(seconds);
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let peak = memory::peak_rss_bytes().unwrap_or(0);
    let estimate = estimate.unwrap_or(0);
    Row {
        workload,
        scenario,
        agents: case.agents,
        days,
        degree,
        threads: case.threads as u32,
        repeats: seconds.len() as u32,
        population_seconds,
        network_seconds,
        simulate_seconds: med,
        simulate_seconds_min: best,
        updates_per_second: updates / med.max(1e-12),
        updates_per_second_max: updates / best.max(1e-12),
        peak_rss_bytes: peak,
        bytes_per_agent: peak as f64 / case.agents as f64,
        estimate_bytes: estimate,
        estimate_bytes_per_agent: estimate as f64 / case.agents as f64,
    }
}

/// The cases of `opts`, in the order they run: workloads, then sizes, then thread counts.
pub fn cases(opts: &BenchOptions) -> Vec<Case> {
    let mut workloads: Vec<Workload> = opts
        .scenarios
        .iter()
        .cloned()
        .map(Workload::Scenario)
        .collect();
    if opts.baseline {
        workloads.push(Workload::Baseline);
    }
    let mut out = Vec::new();
    for w in &workloads {
        for &agents in &opts.agents {
            for &threads in &opts.threads {
                out.push(Case {
                    workload: w.clone(),
                    agents,
                    threads,
                    repeats: opts.repeats,
                    degree: opts.degree,
                });
            }
        }
    }
    out
}

/// The arguments of `exodus bench-case` for `case`.
pub fn case_args(case: &Case) -> Vec<String> {
    let mut args = vec!["bench-case".to_string()];
    match &case.workload {
        Workload::Scenario(p) => args.push(p.display().to_string()),
        Workload::Baseline => args.push("--baseline".into()),
    }
    args.extend([
        "--agents".into(),
        case.agents.to_string(),
        "--threads".into(),
        case.threads.to_string(),
        "--repeats".into(),
        case.repeats.to_string(),
    ]);
    if let Some(d) = case.degree {
        args.extend(["--degree".into(), d.to_string()]);
    }
    args
}

/// Runs `case` in a child process of the executable `exe`.
fn run_child(exe: &Path, case: &Case) -> Result<Row, String> {
    let output = Command::new(exe)
        .args(case_args(case))
        .output()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the case failed")
            .trim_start_matches("error: ")
            .to_string());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).map_err(|e| format!("unreadable case output: {e}"))
}

/// Describes a case in one line.
fn case_label(case: &Case) -> String {
    let what = match &case.workload {
        Workload::Scenario(p) => p.display().to_string(),
        Workload::Baseline => BASELINE_NAME.into(),
    };
    format!(
        "{what}, {} agents, {} thread(s)",
        crate::app::human_count(case.agents as f64),
        case.threads
    )
}

/// `exodus bench`: runs every case in a child of `exe`, prints the table as it grows, writes
/// bench.csv, bench.json and machine.txt (and the charts) to `opts.out`. Returns the files
/// written and the failures (cases that could not run are reported, the rest still measured).
pub fn run(opts: &BenchOptions, exe: &Path) -> Result<(Vec<PathBuf>, Vec<String>), AppError> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Every scenario is checked before the first case runs, so a typo fails now.
    for s in &opts.scenarios {
        scenario::load(
            s,
            &Overrides {
                agents: opts.agents.first().copied(),
                ..Overrides::default()
            },
        )?;
    }
    output::create_dir(&opts.out)?;
    let machine = Machine::detect();
    if !opts.quiet {
        println!(
            "exodus {} on {}; vector path {}",
            crate::VERSION,
            machine.describe(),
            machine.vector_path
        );
        println!("{}", table_header());
    }
    // With --append, the rows of an earlier bench in the same folder are kept first.
    let mut rows = if opts.append {
        earlier_rows(&opts.out)?
    } else {
        Vec::new()
    };
    if !opts.quiet {
        for r in &rows {
            println!("{} (earlier)", table_line(r));
        }
    }
    let mut failed = Vec::new();
    for case in cases(opts) {
        match run_child(exe, &case) {
            Ok(row) => {
                if !opts.quiet {
                    println!("{}", table_line(&row));
                }
                rows.push(row);
            }
            Err(e) => {
                let line = format!("{}: {e}", case_label(&case));
                if !opts.quiet {
                    println!("  skipped: {line}");
                }
                failed.push(line);
            }
        }
    }
    let mut files = write_table(&opts.out, &rows)?;
    files.push(atomic::write(
        &opts.out.join("machine.txt"),
        machine.text().as_bytes(),
    )?);
    let manifest = BenchManifest {
        exodus_version: crate::VERSION.into(),
        command_line: opts.command_line.clone(),
        started_at,
        machine,
        rows,
        failed: failed.clone(),
    };
    files.push(output::json::write(
        &opts.out.join("bench.json"),
        &manifest,
    )?);
    if opts.plots && !manifest.rows.is_empty() {
        files.extend(crate::plot::bench::plot_bench(
            &opts.out,
            &opts.out,
            &crate::plot::PlotOptions::default(),
        )?);
    }
    Ok((files, failed))
}

/// The rows of bench.json in `dir`, if there is one.
fn earlier_rows(dir: &Path) -> Result<Vec<Row>, AppError> {
    let path = dir.join("bench.json");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|source| output::OutputError::Io {
        path: path.clone(),
        source,
    })?;
    let earlier: BenchManifest = serde_json::from_str(&text).map_err(|e| {
        AppError::Resources(format!(
            "{}: not a bench.json written by exodus bench ({e}); remove it or drop --append",
            path.display()
        ))
    })?;
    Ok(earlier.rows)
}

/// Writes bench.csv.
fn write_table(dir: &Path, rows: &[Row]) -> Result<Vec<PathBuf>, AppError> {
    let path = dir.join("bench.csv");
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| output::OutputError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    if rows.is_empty() {
        w.write_record(CSV_HEADER).map_err(io)?;
    }
    for r in rows {
        w.serialize(r).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| output::OutputError::Io {
        path: path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(vec![atomic::write(&path, &bytes)?])
}

/// bench.csv's columns (written by serde from `Row`; listed for an empty table).
const CSV_HEADER: [&str; 17] = [
    "workload",
    "scenario",
    "agents",
    "days",
    "degree",
    "threads",
    "repeats",
    "population_seconds",
    "network_seconds",
    "simulate_seconds",
    "simulate_seconds_min",
    "updates_per_second",
    "updates_per_second_max",
    "peak_rss_bytes",
    "bytes_per_agent",
    "estimate_bytes",
    "estimate_bytes_per_agent",
];

/// The printed table's header.
pub fn table_header() -> String {
    format!(
        "{:<32} {:>9} {:>3} {:>8} {:>8} {:>8} {:>10} {:>10} {:>9} {:>7} {:>9}",
        "workload",
        "agents",
        "thr",
        "pop s",
        "net s",
        "days s",
        "updates/s",
        "best/s",
        "peak",
        "B/agent",
        "estimate"
    )
}

/// One printed table line.
pub fn table_line(r: &Row) -> String {
    let name: String = r.workload.chars().take(32).collect();
    let or_dash = |b: u64| {
        if b == 0 {
            "-".to_string()
        } else {
            memory::human_bytes(b)
        }
    };
    format!(
        "{:<32} {:>9} {:>3} {:>8.3} {:>8.3} {:>8.3} {:>10.3e} {:>10.3e} {:>9} {:>7.1} {:>9}",
        name,
        crate::app::human_count(r.agents as f64),
        r.threads,
        r.population_seconds,
        r.network_seconds,
        r.simulate_seconds,
        r.updates_per_second,
        r.updates_per_second_max,
        or_dash(r.peak_rss_bytes),
        r.bytes_per_agent,
        or_dash(r.estimate_bytes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn cases_cover_every_combination_in_order() {
        let opts = BenchOptions {
            scenarios: vec!["a.toml".into()],
            agents: vec![10, 20],
            threads: vec![1, 2],
            repeats: 3,
            degree: Some(10),
            baseline: true,
            out: "x".into(),
            append: false,
            plots: false,
            quiet: true,
            command_line: vec![],
        };
        let c = cases(&opts);
        assert_eq!(c.len(), 8);
        assert_eq!(c[0].workload, Workload::Scenario("a.toml".into()));
        assert_eq!((c[1].agents, c[1].threads), (10, 2));
        assert_eq!((c[2].agents, c[2].threads), (20, 1));
        assert_eq!(c[7].workload, Workload::Baseline);
        assert_eq!(
            case_args(&c[0]),
            [
                "bench-case",
                "a.toml",
                "--agents",
                "10",
                "--threads",
                "1",
                "--repeats",
                "3",
                "--degree",
                "10"
            ]
        );
    }

    #[test]
    fn degree_replacement_keeps_the_kind() {
        assert_eq!(
            with_degree(
                NetworkSpec::PowerLaw {
                    degree: 20,
                    exponent: 2.5
                },
                10
            ),
            NetworkSpec::PowerLaw {
                degree: 10,
                exponent: 2.5
            }
        );
        assert_eq!(with_degree(NetworkSpec::Mixed, 10), NetworkSpec::Mixed);
    }

    #[test]
    fn csv_header_matches_the_row_fields() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Row {
            workload: "w".into(),
            scenario: String::new(),
            agents: 1,
            days: 1,
            degree: 1,
            threads: 1,
            repeats: 1,
            population_seconds: 0.0,
            network_seconds: 0.0,
            simulate_seconds: 1.0,
            simulate_seconds_min: 1.0,
            updates_per_second: 1.0,
            updates_per_second_max: 1.0,
            peak_rss_bytes: 0,
            bytes_per_agent: 0.0,
            estimate_bytes: 0,
            estimate_bytes_per_agent: 0.0,
        })
        .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), CSV_HEADER.join(","));
    }
}
