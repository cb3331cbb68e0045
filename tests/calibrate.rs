//! `exodus calibrate` through the real binary: parameter recovery on targets the model made
//! itself, thread-count invariance, resume equal to an uninterrupted run, and located errors.

mod common;

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use common::{exodus, root, write};

const P_TRUE: f64 = 0.03;
const Q_TRUE: f64 = 0.38;
const AGENTS: &str = "10000";

/// Targets made by the model itself: the Bass scenario run at (p, q) = (0.03, 0.38), its
/// adopters on days 3, 6, 10, 15 and 25, each accepted within a factor of 1.25.
fn synthetic_targets(dir: &Path) -> PathBuf {
    let out = dir.join("truth");
    exodus()
        .args(["run", "-q", "--no-plots", "--agents", AGENTS, "--out"])
        .arg(&out)
        .arg(root().join("scenarios/bass-mixed.toml"))
        .args([
            "--set",
            &format!("platforms.Adopted.innovation={P_TRUE}"),
            "--set",
            &format!("platforms.Adopted.imitation={Q_TRUE}"),
        ])
        .assert()
        .success();
    let daily = std::fs::read_to_string(out.join("daily.csv")).unwrap();
    let mut text = String::new();
    for day in [3, 6, 10, 15, 25] {
        let value: f64 = daily
            .lines()
            .find(|l| {
                let f: Vec<&str> = l.split(',').collect();
                f[1] == day.to_string() && f[2] == "Adopted" && f[3] == "daily_active_users"
            })
            .and_then(|l| l.rsplit(',').next())
            .unwrap()
            .parse()
            .unwrap();
        let date =
            chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(day);
        text.push_str(&format!(
            "[[targets]]\nid = \"D{day}\"\ndescription = \"adopters on day {day}\"\nsource = \"synthetic\"\nplatform = \"Adopted\"\nmetric = \"daily_active_users\"\nstatistic = \"value\"\nfrom = {date}\nvalue = {value}\nlow = {}\nhigh = {}\n\n",
            value / 1.25,
            value * 1.25
        ));
    }
    write(dir, "targets.toml", &text)
}

fn params(dir: &Path, extra: &str) -> PathBuf {
    write(
        dir,
        "params.toml",
        &format!(
            r#"[calibration]
seeds = 2
agents = {AGENTS}
{extra}

[abc]
particles = 40
max_generations = 6

[nelder_mead]
restarts = 3

[[parameters]]
path = "platforms.Adopted.innovation"
prior = "log-uniform"
low = 0.003
high = 0.3

[[parameters]]
path = "platforms.Adopted.imitation"
prior = "uniform"
low = 0.05
high = 1.0
"#
        ),
    )
}

/// The rows of a CSV file as maps from column name to field.
fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn abc_smc_and_nelder_mead_recover_known_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let targets = synthetic_targets(dir.path());
    let params = params(dir.path(), "");
    let scenario = root().join("scenarios/bass-mixed.toml");
    let out = dir.path().join("abc");
    exodus()
        .args(["calibrate", "-q", "--params"])
        .arg(&params)
        .arg("--out")
        .arg(&out)
        .arg(&scenario)
        .arg(&targets)
        .assert()
        .success();
    let posterior = read_csv(&out.join("posterior.csv"));
    for (row, truth) in posterior.iter().zip([P_TRUE, Q_TRUE]) {
        let (q05, q95): (f64, f64) = (row["q05"].parse().unwrap(), row["q95"].parse().unwrap());
        assert!(
            q05 <= truth && truth <= q95,
            "{}: the true {truth} is outside the 90% interval {q05} .. {q95}",
            row["parameter"]
        );
        let contraction: f64 = row["contraction"].parse().unwrap();
        assert!(
            contraction > 0.5,
            "{}: the data narrow it ({contraction})",
            row["parameter"]
        );
    }
    // Every target fits at the predictive median.
    for row in read_csv(&out.join("predictive.csv")) {
        assert_eq!(row["median_fits"], "true", "target {} fits", row["target"]);
    }
    // The fitted scenario runs.
    exodus()
        .args(["validate"])
        .arg(out.join("fitted.toml"))
        .assert()
        .success();

    let out = dir.path().join("nm");
    exodus()
        .args(["calibrate", "-q", "--method", "nelder-mead", "--params"])
        .arg(&params)
        .arg("--out")
        .arg(&out)
        .arg(&scenario)
        .arg(&targets)
        .assert()
        .success();
    let best = read_csv(&out.join("posterior.csv"));
    for (row, truth) in best.iter().zip([P_TRUE, Q_TRUE]) {
        let x: f64 = row["median"].parse().unwrap();
        assert!(
            (x / truth - 1.0).abs() < 0.25,
            "{}: the point fit {x} is not near the true {truth}",
            row["parameter"]
        );
    }
}

/// The files whose content must not depend on threads or interruptions (timings excluded).
fn reproducible(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["particles.csv", "posterior.csv", "predictive.csv"]
        .iter()
        .map(|f| std::fs::read_to_string(out.join(f)).unwrap())
        .collect();
    let generations = std::fs::read_to_string(out.join("generations.csv")).unwrap();
    v.push(
        generations
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let fitted = std::fs::read_to_string(out.join("fitted.toml")).unwrap();
    v.push(
        fitted
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    v
}

#[test]
fn same_output_at_any_thread_count_and_after_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let targets = synthetic_targets(dir.path());
    let params = params(dir.path(), "");
    let scenario = root().join("scenarios/bass-mixed.toml");
    let run_with = |out: &Path, generations: &str, extra: &[&str]| {
        let mut cmd = exodus();
        cmd.args(["calibrate", "-q", "--no-plots", "--particles", "12"])
            .args(["--generations", generations])
            .arg("--params")
            .arg(&params)
            .arg("--out")
            .arg(out)
            .arg(&scenario)
            .arg(&targets)
            .args(extra);
        cmd.assert()
    };
    let run = |out: &Path, extra: &[&str]| run_with(out, "3", extra);
    let one = dir.path().join("one");
    run(&one, &["--threads", "1"]).success();
    let two = dir.path().join("two");
    run(&two, &["--threads", "2"]).success();
    assert_eq!(
        reproducible(&one),
        reproducible(&two),
        "threads change nothing"
    );

    // Stopped twice by its simulation budget (mid-generation), then resumed to the end.
    let stopped = dir.path().join("stopped");
    run(&stopped, &["--max-simulations", "17"])
        .success()
        .stderr(predicate::str::contains("Rerun the same command"));
    run(&stopped, &["--max-simulations", "31"]).success();
    run(&stopped, &[]).success();
    assert_eq!(
        reproducible(&one),
        reproducible(&stopped),
        "resumed equals uninterrupted"
    );

    // A finished calibration run again with more generations goes on from where it stopped.
    let grown = dir.path().join("grown");
    run_with(&grown, "2", &[]).success();
    run(&grown, &[]).success();
    assert_eq!(
        reproducible(&one),
        reproducible(&grown),
        "two then three generations equal three"
    );

    // A folder holding another calibration is not resumed by mistake.
    run(&stopped, &["--seed", "99"])
        .code(1)
        .stderr(predicate::str::contains("--fresh"));
}

#[test]
fn a_stop_before_the_first_generation_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let targets = synthetic_targets(dir.path());
    let params = params(dir.path(), "");
    let out = dir.path().join("early");
    exodus()
        .args([
            "calibrate",
            "-q",
            "--no-plots",
            "--max-simulations",
            "3",
            "--params",
        ])
        .arg(&params)
        .arg("--out")
        .arg(&out)
        .arg(root().join("scenarios/bass-mixed.toml"))
        .arg(&targets)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "before its first generation finished",
        ));
    assert!(out.join("state.json").exists());
}

#[test]
fn errors_in_calibration_files_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let targets = root().join("data/calibration-targets.toml");
    let scenario = root().join("scenarios/historical-2025.toml");
    let check = |text: &str, expect: &[&str]| {
        let p = write(dir.path(), "p.toml", text);
        let mut assert = exodus()
            .args(["calibrate", "-q", "--params"])
            .arg(&p)
            .arg(&scenario)
            .arg(&targets)
            .assert()
            .code(2);
        for e in expect {
            assert = assert.stderr(predicate::str::contains(*e));
        }
    };
    check(
        "[[parameters]]\npath = \"platforms.RedNote.apeal\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        &["p.toml:2:8", "did you mean platforms.RedNote.appeal"],
    );
    check(
        "[[parameters]]\npath = \"platforms.RedNote.appeal\"\nprior = \"uniform\"\nlow = -90\nhigh = 1\n",
        &["p.toml:2:8", "does not accept -90", "-50 ..= 50"],
    );
    check(
        "[calibration]\nfit = [\"T1a\", \"T99\"]\n[[parameters]]\npath = \"platforms.RedNote.appeal\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        &["\"T99\"", "is not a target", "T1a, T1b"],
    );
    check(
        "[abc]\nparticles = 2\n[[parameters]]\npath = \"platforms.RedNote.appeal\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        &["p.toml:2:13", "abc.particles", "4 ..= 100000"],
    );
    check("[[parameters]]\npath = 3\n", &["p.toml:2:8"]);

    // A bad targets file gets the located error `exodus check` gives.
    let p = write(
        dir.path(),
        "p.toml",
        "[[parameters]]\npath = \"platforms.RedNote.appeal\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
    );
    let bad = write(
        dir.path(),
        "targets.toml",
        "[[targets]]\nid = \"X\"\ndescription = \"d\"\nsource = \"T1\"\nplatform = \"RedNot\"\nmetric = \"installs\"\nstatistic = \"value\"\nfrom = 2025-01-13\nvalue = 1\nlow = 0.5\nhigh = 2\n",
    );
    exodus()
        .args(["calibrate", "-q", "--params"])
        .arg(&p)
        .arg(&scenario)
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("targets.toml:5:12").and(predicate::str::contains(
                "is not a platform of the scenario",
            )),
        );
}

#[test]
fn a_killed_calibration_resumes_to_the_same_end() {
    let dir = tempfile::tempdir().unwrap();
    let targets = synthetic_targets(dir.path());
    let params = params(dir.path(), "");
    let scenario = root().join("scenarios/bass-mixed.toml");
    let args = |out: &Path| -> Vec<std::ffi::OsString> {
        let mut v: Vec<std::ffi::OsString> = [
            "calibrate",
            "-q",
            "--no-plots",
            "--agents",
            "40000",
            "--particles",
            "16",
            "--generations",
            "4",
            "--params",
        ]
        .iter()
        .map(Into::into)
        .collect();
        v.push(params.clone().into());
        v.push("--out".into());
        v.push(out.into());
        v.push(scenario.clone().into());
        v.push(targets.clone().into());
        v
    };
    let whole = dir.path().join("whole");
    exodus().args(args(&whole)).assert().success();

    // Kill the same calibration as soon as it has saved a generation under way.
    let killed = dir.path().join("killed");
    let exe = assert_cmd::cargo::cargo_bin("exodus");
    let mut child = std::process::Command::new(&exe)
        .args(args(&killed))
        .spawn()
        .unwrap();
    let state = killed.join("state.json");
    let mut saw_partial = false;
    for _ in 0..6000 {
        if let Ok(text) = std::fs::read_to_string(&state)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && v["abc"]["partial"].is_object()
            && v["abc"]["generations"]
                .as_array()
                .is_some_and(|g| !g.is_empty())
        {
            saw_partial = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().ok();
    child.wait().unwrap();
    assert!(
        saw_partial,
        "the calibration was stopped in the middle of a generation"
    );
    exodus().args(args(&killed)).assert().success();
    assert_eq!(reproducible(&whole), reproducible(&killed));
}
