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
    scenario::load(&scenario_path(name), Overrides { seed, agents })
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
