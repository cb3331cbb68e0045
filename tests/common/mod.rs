//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use exodus::engine::{self, DayTally, World};
use exodus::scenario::{self, Overrides, Params};

/// Path of a shipped scenario.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// All shipped scenario files.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
    v.sort();
    v
}

/// Loads a shipped scenario with overrides.
pub fn load(name: &str, agents: Option<u64>, seed: Option<u64>) -> Params {
    scenario::load(
        &scenario_path(name),
        &Overrides {
            seed,
            agents,
            ..Overrides::default()
        },
    )
    .unwrap()
    .params
}

/// Runs replicate `replicate` of `params` in a pool of `threads` threads; returns every day.
pub fn run(params: &Params, threads: usize, replicate: u32) -> Vec<DayTally> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (world, initial) = World::build(params, replicate);
        let mut days = Vec::new();
        engine::simulate(params, &world, initial, replicate, |t| days.push(t.clone()));
        days
    })
}

/// Runs `params` (replicate 0, two threads) and returns the daily records.
pub fn records(params: &Params) -> Vec<exodus::metrics::DayRecord> {
    let mut daily = exodus::metrics::Daily::new(params);
    run(params, 2, 0).iter().map(|t| daily.record(t)).collect()
}

/// Day index of a date in `params`.
pub fn day(params: &Params, date: &str) -> usize {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (d - params.start).num_days() as usize
}

/// Runs `params` and returns the world and every agent's main app at the end.
pub fn final_state(params: &Params) -> (World, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let (world, initial) = World::build(params, 0);
        let fin = engine::simulate(params, &world, initial, 0, |_| {});
        (world, fin)
    })
}

/// The exodus binary, to run as a user would.
pub fn exodus() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("exodus").unwrap()
}

/// The project's folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` to `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A grid sweep (in `dir`) of the Bass scenario's peer weight bounds, with `low` taking
/// `lows` (e.g. "0.1, 0.5") and `high` 0.4 and 0.9: each bound is valid with the other at its
/// base value, but a point with low above high (0.5 with 0.4) is refused by the scenario, so
/// exactly that point fails. Returns the sweep file.
pub fn failing_grid_sweep(dir: &Path, lows: &str) -> PathBuf {
    write(
        dir,
        "s.toml",
        &format!(
            "extends = \"{}\"\n[[population.segments]]\nname = \"everyone\"\npeer_weight = {{ dist = \"uniform\", low = 0.3, high = 0.6 }}\n",
            root().join("scenarios/bass-mixed.toml").display()
        ),
    );
    write(
        dir,
        "f.toml",
        &format!(
            r#"[sweep]
scenario = "s.toml"
design = "grid"
agents = 500
[outcomes]
platforms = ["Adopted"]
key = ["total_installs"]
[[parameters]]
path = "population.segments.everyone.peer_weight.low"
values = [{lows}]
[[parameters]]
path = "population.segments.everyone.peer_weight.high"
values = [0.4, 0.9]
"#
        ),
    )
}

/// A Saltelli sweep of the Bass scenario's two rates and one parameter the Bass rule does not
/// read, over `samples` base rows, with extra text after `[sweep]`'s settings.
pub fn bass_sweep(dir: &Path, design: &str, samples: usize, extra: &str) -> PathBuf {
    let scenario = root().join("scenarios/bass-mixed.toml");
    write(
        dir,
        "bass.toml",
        &format!(
            r#"[sweep]
scenario = "{}"
design = "{design}"
samples = {samples}
replicates = 2
agents = 1500
{extra}
[outcomes]
platforms = ["Adopted"]
key = ["peak_day", "total_installs"]

[[outcomes.daily]]
metric = "main_app_users"
platform = "Adopted"
statistic = "value"
date = 2025-01-10

[[outcomes.daily]]
name = "adopted_mean"
metric = "main_app_users"
platform = "Adopted"
statistic = "mean"

[[parameters]]
path = "platforms.Adopted.innovation"
low = 0.01
high = 0.05
source = "assumption"

[[parameters]]
path = "platforms.Adopted.imitation"
distribution = "log-uniform"
low = 0.1
high = 0.6

[[parameters]]
path = "platforms.Not-adopted.appeal"
low = 0.0
high = 1.0
"#,
            scenario.display()
        ),
    )
}
