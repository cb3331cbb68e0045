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
