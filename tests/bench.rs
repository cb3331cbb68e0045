//! `exodus bench` through the real binary (table, CSV, JSON, memory figures, failures), the
//! memory estimate against measured peaks, and the hand-written R1 loop against the engine.

mod common;

use assert_cmd::Command;
use exodus::bench::{self, Row};

fn exodus() -> Command {
    Command::cargo_bin("exodus").unwrap()
}

fn rows(dir: &std::path::Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(dir.join("bench.csv")).unwrap();
    r.deserialize().map(|x| x.unwrap()).collect()
}

#[test]
fn bench_writes_a_table_with_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let r1 = common::scenario_path("reference-r1.toml");
    let assert = exodus()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["bench", r1.to_str().unwrap()])
        .args([
            "--agents",
            "2e4,40_000",
            "--threads",
            "1,2",
            "--repeats",
            "2",
        ])
        .args(["--baseline", "--no-plots", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("Reference model R1"), "{stdout}");
    assert!(stdout.contains(bench::BASELINE_NAME), "{stdout}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert!([20_000, 40_000].contains(&r.agents));
        assert!([1, 2].contains(&r.threads));
        assert_eq!(r.days, 120);
        assert_eq!(r.degree, 10);
        assert_eq!(r.repeats, 2);
        assert!(r.simulate_seconds_min <= r.simulate_seconds);
        let expect = r.agents as f64 * 120.0 / r.simulate_seconds;
        assert!((r.updates_per_second / expect - 1.0).abs() < 1e-9);
        // Each case runs in its own process, so its peak is its own: at least its contacts.
        assert!(r.peak_rss_bytes > r.agents * 40, "{r:?}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 8);
    assert!(json["machine"]["cores"].as_u64().unwrap() >= 1);
    let machine = std::fs::read_to_string(out.join("machine.txt")).unwrap();
    assert!(machine.contains("vector features:"), "{machine}");
    let path = exodus::rng::Vector::chosen().name();
    assert!(
        machine.contains(&format!("vector path: {path} ")),
        "{machine}"
    );
    assert_eq!(json["machine"]["vector_path"], path);
}

#[test]
fn the_vector_path_can_be_chosen_and_a_bad_choice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let r1 = common::scenario_path("reference-r1.toml");
    exodus()
        .env("EXODUS_VECTOR", "portable")
        .args(["bench", r1.to_str().unwrap(), "--agents", "1e4"])
        .args(["--threads", "1", "--repeats", "1", "--no-plots", "-q"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .success();
    let machine = std::fs::read_to_string(out.join("machine.txt")).unwrap();
    assert!(machine.contains("vector path: portable "), "{machine}");
    let assert = exodus()
        .env("EXODUS_VECTOR", "sse9")
        .args(["validate", r1.to_str().unwrap()])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("EXODUS_VECTOR") && stderr.contains("allowed: avx512, avx2, portable"),
        "{stderr}"
    );
}

#[test]
fn bench_reports_cases_that_cannot_run_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let r1 = common::scenario_path("reference-r1.toml");
    // 4 x 10^9 agents (about 190 GB) cannot fit: refused with the estimate, the small case
    // still measured.
    let assert = exodus()
        .args(["bench", r1.to_str().unwrap(), "--agents", "1e4,4e9"])
        .args(["--threads", "1", "--repeats", "1", "--no-plots"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("could not run"), "{stderr}");
    assert!(stderr.contains("is available"), "{stderr}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].agents, 10_000);
}

#[test]
fn bench_rejects_bad_options_with_usage_errors() {
    for args in [
        vec!["bench", "--agents", "ten"],
        vec!["bench", "--threads", "0"],
        vec!["bench", "--degree", "5000"],
    ] {
        exodus().args(&args).assert().code(2);
    }
    // A scenario that does not exist fails before any case runs, naming the file.
    let assert = exodus()
        .args(["bench", "no/such.toml", "--no-plots", "--agents", "1e4"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("no/such.toml"), "{stderr}");
}

/// The estimate printed before a run is within 20% of the measured peak (the target),
/// for R1 and for the full historical model with its power-law network.
#[test]
fn memory_estimate_is_within_20_percent_of_the_peak() {
    for (name, agents) in [
        ("reference-r1.toml", 2_000_000),
        ("historical-2025.toml", 1_000_000),
    ] {
        // In its own process (`bench-case`), so the peak is this case's alone.
        let out = exodus()
            .args(["bench-case", common::scenario_path(name).to_str().unwrap()])
            .args(["--agents", &agents.to_string(), "--threads", "2"])
            .assert()
            .success();
        let row: Row = serde_json::from_slice(&out.get_output().stdout).unwrap();
        if row.peak_rss_bytes == 0 {
            eprintln!("peak memory not reported on this system; skipped");
            return;
        }
        let ratio = row.estimate_bytes as f64 / row.peak_rss_bytes as f64;
        assert!(
            (0.8..=1.2).contains(&ratio),
            "{name}: estimate {} vs peak {} (ratio {ratio:.3})",
            row.estimate_bytes,
            row.peak_rss_bytes
        );
    }
}

/// The hand-written loop runs R1 with other random numbers: its final shares must agree with
/// the engine's within sampling noise (each platform's share within 0.004 at 2 x 10^5 agents;
/// the shares' standard deviation across seeds is about 0.0005).
#[test]
fn hand_written_loop_agrees_with_the_engine_on_r1() {
    let n = 200_000u64;
    let params = common::load("reference-r1.toml", Some(n), None);
    let days = common::run(&params, 2, 0);
    let engine_last = &days.last().unwrap().active;
    let base = bench::baseline::run(n as usize, 5, 1);
    let base_last = base.counts.last().unwrap();
    for k in 0..4 {
        let a = engine_last[k] as f64 / n as f64;
        let b = base_last[k] as f64 / n as f64;
        assert!(
            (a - b).abs() < 0.004,
            "platform {k}: engine {a:.4}, hand-written {b:.4}"
        );
    }
    // Both empty platform 0 on the outage days.
    assert_eq!(days[7].active[0], 0);
    assert_eq!(base.counts[7][0], 0);
}

/// `exodus plot` redraws a benchmark folder's charts from its bench.csv alone.
#[test]
fn plot_redraws_a_bench_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let r1 = common::scenario_path("reference-r1.toml");
    exodus()
        .args([
            "bench",
            r1.to_str().unwrap(),
            "--agents",
            "2e4",
            "--threads",
            "1,2",
        ])
        .args([
            "--repeats",
            "1",
            "--no-plots",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(!out.join("bench-throughput.svg").exists());
    exodus()
        .args(["plot", out.to_str().unwrap(), "--format", "svg"])
        .assert()
        .success();
    for chart in [
        "bench-throughput",
        "bench-scaling",
        "bench-memory",
        "bench-time",
    ] {
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
        roxmltree::Document::parse(&svg).unwrap();
        assert!(svg.contains("Reference model R1"), "{chart}");
    }
}
