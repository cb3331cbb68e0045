//! Entry points that feed arbitrary bytes to each reader of user input, shared by the fuzz
//! targets (`fuzz/`, cargo-fuzz, run outside CI: docs/testing.md) and the property tests of the
//! normal suite (`tests/hostile.rs`). None may panic: every input ends as a value or an error,
//! and the error's message and marked line can be shown.

use std::path::Path;

use crate::scenario::{self, Overrides, Params, ScenarioError};

/// A small valid scenario: the base the targets reader checks against, and a seed for mutation.
pub const SCENARIO: &str = r#"[meta]
name = "fuzz"
start = 2025-01-01
days = 30

[population]
people = 1000
agents = 100

[[population.segments]]
name = "young"
share = 0.6
initial = { TikTok = 0.9, RedNote = 0.1 }
attention = { dist = "beta", alpha = 2, beta = 18 }
protest = { dist = "log-normal", mu = 0.0, sigma = 1.0 }

[[population.segments]]
name = "old"
share = 0.4
initial = { TikTok = 1.0 }
attention = 0.05

[network]
kind = "small-world"
degree = 4
rewire = 0.1

[choice]
rule = "logit"

[mechanisms]
trials = true

[[platforms]]
name = "TikTok"
owner = "ByteDance"
appeal = 1.0
ban_probability = 0.8

[[platforms]]
name = "RedNote"
appeal = 0.2

[[events]]
date = 2025-01-05
action = "deadline"
platform = "TikTok"
until = 2025-01-19

[[events]]
date = 2025-01-19
action = "down"
platform = "TikTok"
label = "ban"
"#;

/// A comparison file, a seed for mutation.
pub const COMPARISON: &str = r#"[comparison]
name = "fuzz"
scenarios = ["a.toml", "b.toml"]
baseline = "a.toml"
replicates = 4
band = [0.1, 0.9]
dates = [2025-01-20]
"#;

/// A targets file for `SCENARIO`, a seed for mutation.
pub const TARGETS: &str = r#"[[targets]]
id = "T1"
description = "RedNote's peak"
source = "fuzz"
platform = "RedNote"
metric = "daily_active_users"
statistic = "max"
from = 2025-01-10
to = 2025-01-25
value = 100
low = 1
high = 1000
"#;

/// Shows an error as the command line would (message and marked lines).
fn show(e: &ScenarioError) -> String {
    let mut text = e.to_string();
    for p in e.each() {
        if let Some(s) = p.snippet() {
            text.push_str(&s.to_string());
        }
    }
    text
}

/// The scenario reader: resolve, validate, warn, estimate memory.
pub fn scenario(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    match scenario::parse(&text, Path::new("fuzz.toml"), &Overrides::default()) {
        Ok(s) => {
            for w in &s.warnings {
                let _ = w.to_string();
            }
            let _ = crate::app::describe(&s);
            Ok(())
        }
        Err(e) => Err(show(&e)),
    }
}

/// The comparison-file reader.
pub fn comparison(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    crate::experiment::comparison_file::parse(&text, Path::new("fuzz/comparison.toml"))
        .map(|_| ())
        .map_err(|e| show(&e))
}

/// The targets reader, against `SCENARIO`.
pub fn targets(bytes: &[u8]) -> Result<(), String> {
    let params = base_params();
    let text = String::from_utf8_lossy(bytes);
    crate::calibration::parse(&text, Path::new("fuzz-targets.toml"), &params)
        .map(|_| ())
        .map_err(|e| show(&e))
}

/// The sweep-file reader.
pub fn sweep(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    crate::sweep::file::parse(&text, Path::new("fuzz-sweep.toml"))
        .map(|_| ())
        .map_err(|e| show(&e))
}

/// The calibration-file reader.
pub fn calibration(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    crate::calibrate::params::parse(&text, Path::new("fuzz-calibration.toml"))
        .map(|_| ())
        .map_err(|e| show(&e))
}

/// The results readers of `plot` and `report` on the folder `dir` (a run's results) whose
/// file `name` is replaced by `bytes`; then every chart that can be drawn is built.
pub fn results(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(dir.join(name), bytes).map_err(|e| e.to_string())?;
    let results = crate::plot::RunResults::load(dir).map_err(|e| e.to_string())?;
    for kind in crate::plot::ChartKind::ALL {
        if kind.available(&results) {
            let _ = crate::plot::charts::build(kind, &results);
        }
    }
    crate::report::RunData::load(dir)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Runs `SCENARIO` into `dir/results` (one replicate, no charts) and returns that folder: the
/// valid results the results readers are fuzzed against.
pub fn results_folder(dir: &Path) -> Result<std::path::PathBuf, String> {
    let scenario = dir.join("fuzz.toml");
    std::fs::write(&scenario, SCENARIO).map_err(|e| e.to_string())?;
    let out = dir.join("results");
    let opts = crate::app::RunOptions {
        scenario,
        out: Some(out.clone()),
        sim: crate::app::SimOptions {
            quiet: true,
            threads: Some(1),
            ..Default::default()
        },
        plots: false,
        charts: crate::plot::PlotOptions::default(),
        replicates: 1,
        band: (0.05, 0.95),
        shard: None,
        force: false,
        command_line: Vec::new(),
    };
    crate::app::run(&opts).map_err(|e| e.to_string())?;
    Ok(out)
}

/// `SCENARIO`'s parameters.
pub fn base_params() -> Params {
    match scenario::parse(SCENARIO, Path::new("fuzz.toml"), &Overrides::default()) {
        Ok(s) => s.params,
        // A constant of this module: checked by its test.
        Err(e) => panic!("fuzzing::SCENARIO is invalid: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_texts_are_capped_and_defused() {
        let e = targets(TARGETS.replace("\"T1\"", "\"=HYPERLINK()\"").as_bytes()).unwrap_err();
        assert!(
            e.contains("targets.id = \"=HYPERLINK()\": starts with a character a spreadsheet"),
            "{e}"
        );
        assert!(e.starts_with("fuzz-targets.toml:2:7:"), "{e}");
        let long = "x".repeat(501);
        let e = targets(TARGETS.replace("RedNote's peak", &long).as_bytes()).unwrap_err();
        assert!(e.contains("is longer than 500 characters"), "{e}");
    }

    #[test]
    fn the_seeds_are_valid() {
        scenario(SCENARIO.as_bytes()).unwrap();
        comparison(COMPARISON.as_bytes()).unwrap();
        targets(TARGETS.as_bytes()).unwrap();
    }
}
