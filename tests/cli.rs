//! The real binary on the shipped scenarios and on broken ones: what a user sees.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn exodus() -> Command {
    Command::cargo_bin("exodus").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let scenarios = common::shipped_scenarios();
    assert!(
        scenarios.len() >= 5,
        "scenarios/ holds R1, the Bass examples and the historical scenario"
    );
    for path in scenarios {
        exodus()
            .arg("validate")
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains(": ok"));
        let out = tempfile::tempdir().unwrap();
        exodus()
            .args(["run", "--agents", "20000", "--quiet", "--out"])
            .arg(out.path())
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::is_empty());
        let params = exodus::scenario::load(&path, &Default::default())
            .unwrap()
            .params;
        let daily = std::fs::read_to_string(out.path().join("daily.csv")).unwrap();
        let mut lines = daily.lines();
        assert_eq!(lines.next(), Some("date,day,platform,metric,value"));
        // Six metrics per platform and day, five more with trials (trial users, starts, drops,
        // uninstalls, unique triers), joins and leaves (and uninstalls) with an open
        // population, plus the rank and newcomer posts where configured.
        let (trials, open) = (params.mechanisms.trials, params.mechanisms.turnover > 0.0);
        let extra = if trials { 5 } else { 0 } + if open { 2 + usize::from(!trials) } else { 0 };
        // And the followed cohort's two metrics, for its platform.
        let cohort = if params.outputs.cohort.is_some() {
            2
        } else {
            0
        };
        let per_day = params.platforms.len() * (6 + extra)
            + cohort
            + if params.outputs.rank.is_some() {
                params.platforms.len()
            } else {
                0
            }
            + (0..params.platforms.len())
                .filter(|&k| {
                    exodus::timeline::conditions(&params)
                        .iter()
                        .any(|c| c.newcomer_posts[k] > 0.0)
                })
                .count();
        assert_eq!(
            lines.count(),
            params.days as usize * per_day,
            "{}",
            path.display()
        );
        let flows = std::fs::read_to_string(out.path().join("flows.csv")).unwrap();
        assert!(flows.starts_with("date,day,from,to,value\n"));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(
            summary["platforms"].as_array().unwrap().len(),
            params.platforms.len()
        );
        assert_eq!(summary["agents"], 20000);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("run.json")).unwrap()).unwrap();
        assert_eq!(manifest["exodus_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(manifest["seed"], params.seed);
        assert_eq!(manifest["scenario"]["population"]["agents"], 20000);
        assert!(
            manifest["command_line"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "--agents")
        );
        assert!(manifest["wall_time_seconds"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn daily_values_are_people_and_conserved() {
    let out = tempfile::tempdir().unwrap();
    exodus()
        .args(["run", "-q", "--agents", "10000", "--out"])
        .arg(out.path())
        .arg(common::scenario_path("historical-2025.toml"))
        .assert()
        .success();
    let mut reader = csv::Reader::from_path(out.path().join("daily.csv")).unwrap();
    let mut per_day = std::collections::BTreeMap::<u32, f64>::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[3] == "main_app_users" {
            *per_day.entry(row[1].parse().unwrap()).or_default() += row[4].parse::<f64>().unwrap();
        }
    }
    assert_eq!(per_day.len(), 137);
    for (day, total) in per_day {
        assert!((total - 170e6).abs() < 1.0, "day {day}: {total} people");
    }
}

#[test]
fn one_and_two_threads_write_identical_files() {
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (threads, dir) in ["1", "2"].iter().zip(&dirs) {
        exodus()
            .args([
                "run",
                "-q",
                "--agents",
                "60000",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path())
            .arg(common::scenario_path("historical-2025.toml"))
            .assert()
            .success();
    }
    for file in ["daily.csv", "flows.csv", "summary.json"] {
        let a = std::fs::read(dirs[0].path().join(file)).unwrap();
        let b = std::fs::read(dirs[1].path().join(file)).unwrap();
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn seed_flag_overrides_the_scenario() {
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (seed, dir) in ["1", "2"].iter().zip(&dirs) {
        exodus()
            .args(["run", "-q", "--agents", "5000", "--seed", seed, "--out"])
            .arg(dir.path())
            .arg(common::scenario_path("reference-r1.toml"))
            .assert()
            .success();
    }
    let a = std::fs::read(dirs[0].path().join("daily.csv")).unwrap();
    let b = std::fs::read(dirs[1].path().join("daily.csv")).unwrap();
    assert_ne!(a, b);
    let manifest = std::fs::read_to_string(dirs[1].path().join("run.json")).unwrap();
    assert!(manifest.contains("\"seed\": 2"));
}

#[test]
fn run_prints_a_summary_table() {
    let out = tempfile::tempdir().unwrap();
    exodus()
        .args(["run", "--agents", "5000", "--out"])
        .arg(out.path())
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("peak date").and(predicate::str::contains("RedNote")))
        .stderr(predicate::str::contains("memory estimate"));
}

/// A small valid scenario, to break one line at a time.
const GOOD: &str = r#"[meta]
name = "t"
start = 2025-01-01
days = 5

[population]
people = 1000
agents = 100

[[population.segments]]
name = "all"
share = 1.0
initial = { A = 1.0 }
attention = 0.1

[network]
kind = "random"
degree = 3

[choice]
rule = "logit"

[[platforms]]
name = "A"

[[platforms]]
name = "B"

[[events]]
date = 2025-01-02
action = "down"
platform = "A"
"#;

/// Runs `validate` on GOOD with `from` replaced by `to`; returns stderr, checking exit code 2.
fn broken(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    validate_error(&GOOD.replacen(from, to, 1))
}

/// Runs `validate` on `text`; returns stderr, checking exit code 2.
fn validate_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", text);
    let out = exodus()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .clone();
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn the_good_scenario_is_good() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.toml", GOOD);
    exodus().arg("validate").arg(&path).assert().success();
}

#[test]
fn errors_name_file_line_field_value_and_range() {
    let err = broken("agents = 100", "agents = 0");
    assert!(
        err.contains(
            "bad.toml:8:10: population.agents = 0: is out of range; allowed: 2 ..= 4000000000"
        ),
        "{err}"
    );

    let err = broken("attention = 0.1", "attention = 1.5");
    assert!(
        err.contains("bad.toml:14:13: population.segments[0].attention = 1.5"),
        "{err}"
    );
    assert!(err.contains("allowed: 0 ..= 1"), "{err}");

    let err = broken("degree = 3", "degree = 300");
    assert!(
        err.contains("network.degree = 300") && err.contains("allowed: 1 ..= 99"),
        "{err}"
    );

    let err = broken("platform = \"A\"", "platform = \"TikTok\"");
    assert!(
        err.contains("bad.toml:32:12: events[0].platform = \"TikTok\": is not a platform"),
        "{err}"
    );
    assert!(err.contains("allowed: A, B"), "{err}");

    let err = broken("initial = { A = 1.0 }", "initial = { A = 0.5 }");
    assert!(
        err.contains("population.segments[0].initial = 0.5 in all") && err.contains("sum to 1"),
        "{err}"
    );

    let err = broken("days = 5", "days = 5\nend = 2025-02-01");
    assert!(
        err.contains("meta.days = 5: is given together with meta.end"),
        "{err}"
    );
}

#[test]
fn control_characters_quoted_from_a_file_are_shown_escaped_not_sent_to_the_terminal() {
    let err = broken(
        "platform = \"A\"",
        "platform = \"\\u001b[2J\\u001b]0;owned\\u0007A\"",
    );
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("\\u{1b}[2J"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_device_or_a_folder_is_not_read_as_an_input_file() {
    for path in ["/dev/zero", "/tmp"] {
        let out = exodus()
            .args(["validate", path])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("is not a regular file"), "{err}");
    }
}

#[test]
fn likely_mistakes_are_warnings_on_stderr_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD.replacen("date = 2025-01-02", "date = 2052-01-02", 1);
    let path = write(dir.path(), "typo.toml", &text);
    let out = exodus()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning: ") && err.contains("typo.toml:30:8: events[0].date = 2052-01-02 is after the run's last day 2025-01-05, so it never happens"),
        "{err}"
    );
    // --quiet runs print nothing but errors.
    let out = exodus()
        .args(["run", "-q", "--no-plots", "--out"])
        .arg(dir.path().join("r"))
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn validate_reports_every_value_out_of_range_in_file_order() {
    let text =
        GOOD.replacen("days = 5", "days = 0", 1)
            .replacen("attention = 0.1", "attention = 7.5", 1);
    let err = validate_error(&text);
    let days = err.find("meta.days = 0: is out of range").expect(&err);
    let appeal = err.find("attention = 7.5: is out of range").expect(&err);
    assert!(days < appeal, "{err}");
    assert_eq!(err.matches("error: ").count(), 2, "{err}");
    assert!(err.contains("2 problems found"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn validate_reports_every_problem_of_shape_together() {
    // A wrong type on a required key, a misspelt key and an unknown choice: all three, and
    // the required key taken out is not reported again as missing.
    let text = GOOD
        .replacen("days = 5", "days = \"5\"", 1)
        .replacen("attention = 0.1", "atention = 0.1", 1)
        .replacen("action = \"down\"", "action = \"dwn\"", 1);
    let err = validate_error(&text);
    let days = err.find("meta.days = \"5\": is text").expect(&err);
    let key = err
        .find("segments[0].atention = 0.1: `atention` is not a key")
        .expect(&err);
    let action = err
        .find("events[0].action = \"dwn\": \"dwn\" is not one of the choices; did you mean `down`?")
        .expect(&err);
    assert!(days < key && key < action, "{err}");
    assert_eq!(err.matches("error: ").count(), 3, "{err}");
    assert!(err.contains("3 problems found"), "{err}");
    assert!(!err.contains("(missing)"), "{err}");
}

#[test]
fn syntax_and_shape_errors_have_a_line() {
    let err = broken("kind = \"random\"", "kind = \"scale-free\"");
    assert!(err.contains("bad.toml:17:8:"), "{err}");
    assert!(
        err.contains("mixed") && err.contains("power-law"),
        "lists the allowed kinds: {err}"
    );

    let err = broken("days = 5", "days = 5\ncolour = 3");
    assert!(
        err.contains("bad.toml:5:1: meta.colour = 3: `colour` is not a key in `meta`"),
        "{err}"
    );
    // The offending line is shown with a caret under the span.
    assert!(err.contains("5 | colour = 3\n  | ^^^^^^"), "{err}");

    // A misspelt key gets the closest valid one; a type error says what is allowed.
    let err = broken("days = 5", "dyas = 5");
    assert!(err.contains("did you mean `days`?"), "{err}");
    let err = broken("days = 5", "days = \"60\"");
    assert!(
        err.contains("meta.days = \"60\": is text \"60\" (numbers are written without quotes); allowed: a whole number"),
        "{err}"
    );
    assert!(err.contains("  |        ^^^^"), "{err}");

    let err = broken("name = \"t\"", "name = \"t");
    assert!(err.contains("bad.toml:2:"), "{err}");
}

#[test]
fn missing_file_and_bad_flags_are_usage_errors() {
    exodus()
        .args(["validate", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read scenario file no/such/file.toml",
        ));
    exodus()
        .args(["run", "x.toml", "--threads", "0"])
        .assert()
        .code(2);
    exodus()
        .args(["run", "--agents", "1"])
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "command line: --agents = 1: is out of range",
        ));
    exodus().arg("frobnicate").assert().code(2);
}

#[test]
fn an_unwritable_output_fails_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = write(dir.path(), "file", "not a folder");
    exodus()
        .args(["run", "-q", "--out"])
        .arg(blocker.join("sub"))
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write"));
}

#[test]
fn help_texts() {
    let help = exodus().arg("--help").output().unwrap();
    insta::assert_snapshot!("help", String::from_utf8(help.stdout).unwrap());
    let run_help = exodus().args(["run", "--help"]).output().unwrap();
    insta::assert_snapshot!("run_help", String::from_utf8(run_help.stdout).unwrap());
}

#[test]
fn check_writes_a_calibration_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("calibration.md");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    exodus()
        .args(["check", "--agents", "20000", "--out"])
        .arg(&report)
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(root.join("data/calibration-targets.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("targets fit"));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("exodus check --agents 20000 --out"),
        "the command is quoted"
    );
    assert!(md.contains("| T1c | RedNote US daily active users, Jan 13 |"));
    assert!(md.contains("## What does not fit"));
    let rows = md.lines().filter(|l| l.starts_with("| T")).count();
    assert_eq!(rows, 20, "one row per target");
}

#[test]
fn check_replicates_strict_and_default_report_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Run from a scratch folder: the default report goes to results/, not over a tracked file.
    let out = exodus()
        .current_dir(dir.path())
        .args([
            "check",
            "--agents",
            "20000",
            "--replicates",
            "3",
            "--strict",
        ])
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(root.join("data/calibration-targets.toml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "miss their accepted interval (--strict)",
        ))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("(fits in "), "{out}");
    // Every printed line agrees with its verdict: a MISS prints outside its printed bounds.
    for line in out.lines().filter(|l| l.contains(" model ")) {
        // A value with no finite mean (a ratio over a baseline with no installs in some
        // replicate at this small size) is shown as n/a, and misses.
        if line.contains(" model ")
            && line
                .split(" model ")
                .nth(1)
                .unwrap()
                .trim_start()
                .starts_with("n/a")
        {
            assert!(line.trim_start().starts_with("MISS"), "{line}");
            continue;
        }
        let after = |key: &str| {
            line.split(key)
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        };
        let (model, low) = (after(" model "), after(" accepted "));
        let high = line
            .split(" .. ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap();
        let inside = model >= low && model <= high;
        assert_eq!(inside, line.trim_start().starts_with("fits"), "{line}");
    }
    let report = dir.path().join("results/check-historical-2025.md");
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("mean of 3 replicates"),
        "the report says what the model column is"
    );
    // Without --strict the same misses exit 0.
    exodus()
        .current_dir(dir.path())
        .args(["check", "-q", "--agents", "20000"])
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(root.join("data/calibration-targets.toml"))
        .assert()
        .success();
}

/// `exodus check -q` of the historical scenario at 2,000 agents against `targets`, its
/// report written to `report`.
fn check_historical(
    report: impl AsRef<std::ffi::OsStr>,
    targets: impl AsRef<std::ffi::OsStr>,
) -> assert_cmd::assert::Assert {
    exodus()
        .args(["check", "-q", "--agents", "2000", "--out"])
        .arg(report)
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(targets)
        .assert()
}

#[test]
fn check_rejects_bad_targets_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let targets = write(
        dir.path(),
        "targets.toml",
        "[[targets]]\nid = \"X\"\ndescription = \"d\"\nsource = \"T1\"\nplatform = \"RedNote\"\nmetric = \"users\"\nstatistic = \"value\"\nfrom = 2025-01-13\nvalue = 1\nlow = 0\nhigh = 2\n",
    );
    let err = check_historical(dir.path().join("r.md"), &targets)
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("targets.toml:6:10: targets[X].metric = \"users\": is not a metric"),
        "{err}"
    );
    assert!(!dir.path().join("r.md").exists());
}

#[test]
fn check_rejects_a_period_that_ends_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let targets = write(
        dir.path(),
        "targets.toml",
        "[[targets]]\nid = \"R\"\ndescription = \"d\"\nsource = \"T4\"\nplatform = \"RedNote\"\nmetric = \"installs\"\nstatistic = \"ratio\"\nfrom = 2025-01-08\nto = 2025-01-14\nbaseline_from = 2025-01-07\nbaseline_to = 2025-01-01\nvalue = 20\nlow = 20\nhigh = 2000\n",
    );
    check_historical(dir.path().join("r.md"), &targets)
        .code(2)
        .stderr(predicate::str::contains(
            "targets[R].baseline_to = 2025-01-01: is before the start of its period",
        ));
}

#[test]
fn check_reads_a_ratio_of_two_metrics_and_rejects_a_stray_baseline_metric() {
    let dir = tempfile::tempdir().unwrap();
    let target = |stat: &str| {
        format!(
            "[[targets]]\nid = \"K\"\ndescription = \"d\"\nsource = \"T9\"\nplatform = \"RedNote\"\nmetric = \"cohort_keeping\"\nstatistic = \"{stat}\"\nfrom = 2025-02-28\nbaseline_metric = \"cohort_members\"\nbaseline_from = 2025-02-28\nbaseline_to = 2025-02-28\nvalue = 0.6\nlow = 0\nhigh = 1\n"
        )
    };
    let good = write(dir.path(), "good.toml", &target("ratio"));
    let out = dir.path().join("r.md");
    check_historical(&out, &good).success();
    // A share: between 0 and 1, and it fits the accepted interval [0, 1].
    let report = std::fs::read_to_string(&out).unwrap();
    assert!(report.contains("1 of 1 targets"), "{report}");
    let bad = write(dir.path(), "bad.toml", &target("value"));
    check_historical(dir.path().join("r2.md"), &bad)
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:9:19: targets[K].baseline_metric = \"cohort_members\": is read only by the ratio statistic",
        ));
}

#[test]
fn a_cohort_names_a_platform_and_dates_of_the_scenario_and_needs_trials() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(common::scenario_path("historical-2025.toml")).unwrap();
    let run = |name: &str, text: String| {
        let path = write(dir.path(), name, &text);
        let out = exodus()
            .arg("validate")
            .arg(&path)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        String::from_utf8(out).unwrap()
    };
    let cohort = "cohort = { platform = \"RedNote\", from = 2025-01-13, to = 2025-01-20 }";
    assert!(source.contains(cohort));
    let err = run(
        "p.toml",
        source.replace(cohort, &cohort.replace("RedNote", "Threads")),
    );
    assert!(
        err.contains("outputs.cohort.platform = \"Threads\": is not a platform")
            && err.contains("TikTok, RedNote"),
        "{err}"
    );
    let err = run(
        "d.toml",
        source.replace(
            cohort,
            &cohort.replace("to = 2025-01-20", "to = 2025-01-12"),
        ),
    );
    assert!(
        err.contains("outputs.cohort.to = 2025-01-12: is outside the scenario's dates, or before the cohort's first date")
            && err.contains("allowed: 2025-01-13 ..= 2025-04-30"),
        "{err}"
    );
    let err = run(
        "t.toml",
        source.replace("trials = true ", "trials = false "),
    );
    assert!(
        err.contains("outputs.cohort = \"RedNote\": needs [mechanisms] trials = true"),
        "{err}"
    );
}

#[test]
fn a_run_that_cannot_fit_in_memory_is_refused_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    exodus()
        .args(["run", "--agents", "4000000000", "--no-plots", "--out"])
        .arg(dir.path())
        .arg(common::scenario_path("historical-2025.toml"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("memory estimate")
                .and(predicate::str::contains("use fewer agents")),
        );
    assert!(
        !dir.path().join("daily.csv").exists(),
        "refused before any output"
    );
}

/// Runs the historical scenario at 20,000 agents with `--set` assignments; returns its folder.
fn run_historical(sets: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = exodus();
    cmd.args(["run", "-q", "--no-plots", "--agents", "20000", "--out"])
        .arg(dir.path())
        .arg(common::scenario_path("historical-2025.toml"));
    for a in sets {
        cmd.args(["--set", a]);
    }
    cmd.assert().success();
    dir
}

/// The header of a group table (`classes.csv`, `segments.csv`).
fn group_headers(reader: &mut csv::Reader<std::fs::File>) -> Vec<String> {
    reader.headers().unwrap().iter().map(String::from).collect()
}

/// The columns of a group table whose group column is `group`, with trials (the historical
/// scenario has them on).
fn group_columns(group: &str) -> Vec<String> {
    [
        "date",
        "day",
        group,
        "platform",
        "main_app_users",
        "share",
        "trial_users",
        "trial_share",
    ]
    .map(String::from)
    .to_vec()
}

/// The value of `metric` for `platform` on `date` in the `daily.csv` of `dir`.
fn daily_value(dir: &Path, date: &str, platform: &str, metric: &str) -> f64 {
    let daily = std::fs::read_to_string(dir.join("daily.csv")).unwrap();
    let row = daily
        .lines()
        .find(|l| {
            l.starts_with(&format!("{date},")) && l.contains(&format!(",{platform},{metric},"))
        })
        .unwrap_or_else(|| panic!("daily.csv has no {metric} of {platform} on {date}"));
    row.rsplit(',').next().unwrap().parse().unwrap()
}

#[test]
fn drivers_say_what_moved_agents_each_day() {
    // Without news, so that the attention multiplier is (1 + buzz) alone.
    let dir = run_historical(&["mechanisms.buzz_gain=50", "mechanisms.news=false"]);
    let text = std::fs::read_to_string(dir.path().join("drivers.csv")).unwrap();
    let value = |date: &str, platform: &str, driver: &str| -> f64 {
        text.lines()
            .find(|l| {
                let f: Vec<&str> = l.split(',').collect();
                f[0] == date && f[2] == platform && f[3] == driver
            })
            .and_then(|l| l.rsplit(',').next())
            .unwrap_or_else(|| panic!("no {date} {platform} {driver}"))
            .parse()
            .unwrap()
    };
    assert_eq!(text.lines().next(), Some("date,day,platform,driver,value"));
    // After the ruling of Jan 17 TikTok's perceived risk is at its peak; service back about
    // noon on Jan 19 halves the ban's perceived probability, and the order of Jan 20 lifts it.
    assert!(value("2025-01-18", "TikTok", "perceived_risk") > 0.9);
    let relief = value("2025-01-19", "TikTok", "perceived_risk");
    assert!(relief > 0.4 && relief <= 0.5, "{relief}");
    assert!(value("2025-01-20", "TikTok", "perceived_risk") < 0.01);
    // Out of the stores from Jan 19 to Feb 12, in service throughout.
    assert_eq!(value("2025-01-25", "TikTok", "in_stores"), 0.0);
    assert_eq!(value("2025-02-13", "TikTok", "in_stores"), 1.0);
    assert_eq!(value("2025-01-25", "TikTok", "in_service"), 1.0);
    // Buzz follows the surge of installs and lifts attention by (1 + buzz).
    let buzz = value("2025-01-14", "(all)", "buzz");
    assert!(buzz > 0.0);
    let lift = value("2025-01-14", "(all)", "attention_multiplier");
    assert!((lift - (1.0 + buzz)).abs() < 1e-6, "{lift} vs {buzz}");
    // Day 0 starts with the buzz the burn-in left (the rules' own steady level), small in a
    // calm December.
    let start = value("2024-12-15", "(all)", "buzz");
    assert!((0.0..0.05).contains(&start), "{start}");
}

#[test]
fn audience_classes_show_whether_influencers_lead() {
    let dir = run_historical(&["outputs.audience_classes=true"]);
    let mut reader = csv::Reader::from_path(dir.path().join("classes.csv")).unwrap();
    assert_eq!(group_headers(&mut reader), group_columns("class"));
    let mut size = std::collections::BTreeMap::new();
    let mut shares = std::collections::BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        if &r[1] == "0" {
            *size.entry(r[2].to_string()).or_insert(0.0) += r[4].parse::<f64>().unwrap();
        }
        if &r[1] == "0" || &r[0] == "2025-01-20" {
            *shares
                .entry((r[0].to_string(), r[2].to_string()))
                .or_insert(0.0) += r[5].parse::<f64>().unwrap();
        }
    }
    // The classes hold 1%, 9% and 90% of the 170 M people, and shares sum to 1 in each.
    assert_eq!(size["top 1%"], 1_700_000.0);
    assert_eq!(size["next 9%"], 15_300_000.0);
    assert_eq!(size["rest"], 153_000_000.0);
    for (key, total) in &shares {
        assert!((total - 1.0).abs() < 1e-9, "{key:?}: {total}");
    }
    // Without the key there is no classes.csv.
    let plain = run_historical(&[]);
    assert!(!plain.path().join("classes.csv").exists());
}

#[test]
fn with_trials_classes_count_who_is_trying_and_daily_counts_trials() {
    // The historical scenario has trials on.
    let dir = run_historical(&["outputs.audience_classes=true"]);
    let mut reader = csv::Reader::from_path(dir.path().join("classes.csv")).unwrap();
    assert_eq!(
        group_headers(&mut reader)[6..],
        ["trial_users", "trial_share"]
    );
    // On Jan 19 each class's triers of RedNote, summed, are the day's trial_users in daily.csv.
    let mut triers = 0.0;
    for r in reader.records() {
        let r = r.unwrap();
        if &r[0] == "2025-01-19" && &r[3] == "RedNote" {
            triers += r[6].parse::<f64>().unwrap();
        }
    }
    let value = daily_value(dir.path(), "2025-01-19", "RedNote", "trial_users");
    assert!(
        triers > 0.0 && (triers - value).abs() < 1e-6,
        "{triers} vs {value}"
    );
}

#[test]
fn segments_csv_gives_each_segment_its_own_series() {
    let dir = run_historical(&["outputs.segments=true"]);
    let mut reader = csv::Reader::from_path(dir.path().join("segments.csv")).unwrap();
    assert_eq!(group_headers(&mut reader), group_columns("segment"));
    // Per day the segments' main-app users add up to the platform's in daily.csv, and each
    // segment's shares to 1.
    let mut by_platform = std::collections::BTreeMap::new();
    let mut shares = std::collections::BTreeMap::new();
    let mut segments = std::collections::BTreeSet::new();
    for r in reader.records() {
        let r = r.unwrap();
        segments.insert(r[2].to_string());
        if &r[0] == "2025-01-20" {
            *by_platform.entry(r[3].to_string()).or_insert(0.0) += r[4].parse::<f64>().unwrap();
            *shares.entry(r[2].to_string()).or_insert(0.0) += r[5].parse::<f64>().unwrap();
        }
    }
    assert_eq!(segments.len(), 5);
    for (platform, users) in &by_platform {
        let value = daily_value(dir.path(), "2025-01-20", platform, "main_app_users");
        assert!(
            (users - value).abs() < 1e-6,
            "{platform}: {users} vs {value}"
        );
    }
    for (segment, total) in &shares {
        assert!((total - 1.0).abs() < 1e-9, "{segment}: {total}");
    }
}

/// Issue 13: a results folder whose name is not UTF-8 (legal on Linux) is used as given, and
/// the command line is recorded in run.json with the bad bytes replaced, never a panic.
#[cfg(unix)]
#[test]
fn a_path_that_is_not_utf8_is_used_and_recorded() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"results-\xff"));
    exodus()
        .args(["run", "-q", "--no-plots", "--agents", "2000"])
        .arg(common::scenario_path("bass-mixed.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let manifest = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(manifest.contains("results-\u{FFFD}"), "{manifest}");
}

/// Issue 13: a table where a date goes is refused with the file and line, not a panic.
#[test]
fn a_table_where_a_date_goes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(common::scenario_path("bass-mixed.toml")).unwrap();
    let line = base
        .lines()
        .find(|l| l.trim_start().starts_with("start"))
        .expect("the Bass scenario has a start date")
        .to_string();
    let bad = write(
        dir.path(),
        "bad.toml",
        &base.replacen(&line, "start = {}", 1),
    );
    exodus()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml:"))
        .stderr(predicate::str::contains("a table is not a date"))
        .stderr(predicate::str::contains("panicked").not());
}

/// Issue 13: two runs into one folder at once: the second is refused while the first holds
/// the folder's lock (here the test holds it), and runs once it is released.
#[test]
fn a_folder_being_written_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("busy");
    std::fs::create_dir_all(&out).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".exodus.lock"))
        .unwrap();
    held.lock().unwrap();
    let run = || {
        let mut c = exodus();
        c.args(["run", "-q", "--no-plots", "--agents", "1000"])
            .arg(common::scenario_path("bass-mixed.toml"))
            .arg("--out")
            .arg(&out);
        c
    };
    run()
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is being written by another exodus",
        ))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.join("daily.csv").exists(), "nothing written");
    drop(held);
    run().assert().success();
    assert!(out.join("daily.csv").exists());
}

/// Issue 13: names that go into CSV files and the terminal cannot start a spreadsheet formula,
/// hold control characters (terminal escapes) or run on without end.
#[test]
fn hostile_names_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(common::scenario_path("bass-mixed.toml")).unwrap();
    let long = "x".repeat(121);
    let cases = [
        (
            "name = \"Adopted\"",
            "name = \"=HYPERLINK(\\\"http://x\\\")\"",
            "starts with a character a spreadsheet reads as a formula",
        ),
        (
            "name = \"Adopted\"",
            "name = \"Adopted\\u001b[31m\"",
            "holds a control character",
        ),
        (
            "name = \"Adopted\"",
            &format!("name = \"{long}\"")[..],
            "is too long",
        ),
    ];
    for (i, (from, to, problem)) in cases.iter().enumerate() {
        assert!(base.contains(from), "{from}");
        let bad = write(
            dir.path(),
            &format!("bad{i}.toml"),
            &base.replacen(from, to, 1),
        );
        exodus()
            .arg("validate")
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("bad{i}.toml:")))
            .stderr(predicate::str::contains(*problem))
            .stderr(predicate::str::contains("\u{1b}").not())
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// Issue 13: a syntax error in a comparison file is reported as itself, with the line, not as
/// "is a single scenario".
#[test]
fn a_broken_comparison_file_reports_its_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "cmp.toml",
        "[comparison]\nscenarios = [\"a.toml\", \"b.toml\"\nreplicates = 3\n",
    );
    exodus()
        .arg("compare")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cmp.toml:"))
        .stderr(predicate::str::contains("single scenario").not())
        .stderr(predicate::str::contains("panicked").not());
    // A valid scenario alone is still told apart.
    exodus()
        .arg("compare")
        .arg(common::scenario_path("bass-mixed.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a single scenario"));
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions() {
    let out = exodus().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    let bash = String::from_utf8(out.stdout).unwrap();
    assert!(
        bash.contains("_exodus()") && bash.contains("compare"),
        "{bash}"
    );
    let out = exodus().args(["completions", "zsh"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("#compdef exodus"));
    let out = exodus().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown shell is bad usage");

    let page = exodus().arg("man").output().unwrap();
    assert!(page.status.success());
    assert!(String::from_utf8_lossy(&page.stdout).contains(".TH exodus 1"));
    let dir = tempfile::tempdir().unwrap();
    let out = exodus()
        .args(["man", "--out"])
        .arg(dir.path().join("man1"))
        .output()
        .unwrap();
    assert!(out.status.success());
    for name in [
        "exodus.1",
        "exodus-run.1",
        "exodus-compare.1",
        "exodus-report.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join("man1").join(name)).unwrap();
        assert!(text.contains(".SH OPTIONS") || name == "exodus.1", "{name}");
    }
    // The hidden benchmark worker has no page.
    assert!(!dir.path().join("man1/exodus-bench-case.1").exists());
}

#[test]
fn a_closed_standard_output_ends_exodus_quietly() {
    use std::process::{Command as Process, Stdio};
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("exodus"))
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before exodus writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn counts_are_written_the_same_way_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    exodus()
        .args([
            "run",
            "-q",
            "--no-plots",
            "--agents",
            "2.5e3",
            "--replicates",
            "1_0",
        ])
        .args(["--threads", "2", "--seed", "1_000", "--out"])
        .arg(dir.path().join("r"))
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/run.json")).unwrap()).unwrap();
    assert_eq!(manifest["replicates"], 10);
    assert_eq!(manifest["seed"], 1000);
    assert_eq!(manifest["scenario"]["population"]["agents"], 2500);
    exodus()
        .args(["run", "--agents", "1e"])
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`1e` is not a whole number of at least 0 (write 1000000, 1_000_000 or 1e6)",
        ));
    exodus()
        .args(["compare", "--replicates", "0", "a.toml", "b.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("in 1 ..= 100000"));
}

#[test]
fn compare_says_its_memory_once_and_ends_with_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = exodus()
        .args([
            "compare",
            "--agents",
            "2000",
            "--replicates",
            "2",
            "--no-plots",
            "--out",
        ])
        .arg(dir.path().join("cmp"))
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(common::scenario_path("no-ban.toml"))
        .arg(common::scenario_path("ban-enforced.toml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(stderr.matches("memory estimate").count(), 1, "{stderr}");
    assert!(
        stdout.starts_with(
            "Main users lost by 2025-04-30 (negative: gained): median over 2 replicates; what-ifs as paired differences from the baseline\n"
        ),
        "{stdout}"
    );
    for row in [
        "Historical 2025: the US TikT… (baseline)",
        "What if: no ban − baseline",
        "What if: the ban is enforced − baseline",
    ] {
        assert!(stdout.contains(row), "{row}: {stdout}");
    }
    assert!(stdout.contains("every outcome with its band:"), "{stdout}");

    // A run of several replicates says which its table shows.
    let out = exodus()
        .args([
            "run",
            "--agents",
            "2000",
            "--replicates",
            "3",
            "--no-plots",
            "--out",
        ])
        .arg(dir.path().join("run"))
        .arg(common::scenario_path("reference-r1.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "replicate 0 of 3, one draw (the median and band over all replicates are in bands.csv;"
        ),
        "{stdout}"
    );
}

/// The backquoted names in the first column of the tables of `docs/outputs.md`'s section
/// `heading`, split at the line holding `split` (the platforms' table) when given.
fn documented_fields(heading: &str, split: &str) -> (Vec<String>, Vec<String>) {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/outputs.md"))
            .unwrap();
    let section = doc.split(heading).nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let (top, inner) = section.split_once(split).unwrap_or((section, ""));
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`'))
            .map(|(name, _)| name.to_string())
            .collect()
    };
    (names(top), names(inner))
}

#[test]
fn summary_json_has_every_field_the_docs_list_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    exodus()
        .args([
            "run",
            "-q",
            "--agents",
            "2000",
            "--replicates",
            "2",
            "--no-plots",
            "--out",
        ])
        .arg(dir.path())
        .arg(common::scenario_path("reference-r1.toml"))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let (top, platform) = documented_fields("## `summary.json`", "Each element of `platforms`");
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&summary), top, "summary.json against docs/outputs.md");
    assert_eq!(
        keys(&summary["platforms"][0]),
        platform,
        "platforms[0] against the docs"
    );
    assert_eq!(summary["replicates"], 2);
    assert_eq!(summary["band"], serde_json::json!([0.05, 0.95]));
}

#[test]
fn message_labels_are_coloured_only_where_colour_is_wanted() {
    let validate = |envs: &[(&str, &str)]| {
        let mut cmd = exodus();
        cmd.args(["validate", "no-such-file.toml"])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    // Into a pipe: plain.
    let plain = validate(&[]);
    assert!(plain.starts_with("error: "), "{plain:?}");
    // Forced (as on a terminal): the label in colour, the message itself unchanged.
    let coloured = validate(&[("CLICOLOR_FORCE", "1")]);
    assert!(coloured.starts_with('\u{1b}'), "{coloured:?}");
    let label_end = coloured.find("error:\u{1b}[0m ").expect(&coloured) + "error:\u{1b}[0m ".len();
    assert_eq!(&coloured[label_end..], &plain["error: ".len()..]);
    // NO_COLOR wins over everything.
    let no_color = validate(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert_eq!(no_color, plain);
}
