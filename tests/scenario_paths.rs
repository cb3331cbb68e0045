//! Scenario inheritance (`extends`) and parameter paths (`--set`), through the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn exodus() -> Command {
    Command::cargo_bin("exodus").unwrap()
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `args` at 20,000 agents into a fresh folder; returns daily.csv.
fn daily(args: &[&str]) -> String {
    let out = tempfile::tempdir().unwrap();
    exodus()
        .args(["run", "--agents", "20000", "--quiet", "--no-plots", "--out"])
        .arg(out.path())
        .args(args)
        .assert()
        .success();
    std::fs::read_to_string(out.path().join("daily.csv")).unwrap()
}

const WHAT_IFS: [&str; 7] = [
    "no-ban",
    "ban-enforced",
    "extension-then-ban",
    "rolling-extensions",
    "rednote-restricted",
    "strong-protest",
    "weak-protest",
];

#[test]
fn what_ifs_are_short_files_that_extend_the_historical_scenario() {
    for name in WHAT_IFS {
        let path = scenarios().join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("extends = \"historical-2025.toml\""),
            "{name} extends the historical scenario"
        );
        assert!(text.lines().count() < 160, "{name} says only what differs");
        exodus()
            .arg("validate")
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains("historical-2025.toml"));
    }
}

#[test]
fn the_resolved_text_runs_exactly_like_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ban-enforced", "strong-protest"] {
        let path = scenarios().join(format!("{name}.toml"));
        let out = exodus()
            .args(["validate", "--resolved"])
            .arg(&path)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains("extends ="),
            "the resolved text extends nothing"
        );
        let resolved = write(dir.path(), &format!("{name}-resolved.toml"), &text);
        assert_eq!(
            daily(&[path.to_str().unwrap()]),
            daily(&[resolved.to_str().unwrap()]),
            "{name}: the resolved text is the scenario"
        );
    }
}

#[test]
fn set_equals_a_file_that_extends_with_the_same_value() {
    let dir = tempfile::tempdir().unwrap();
    let historical = scenarios().join("historical-2025.toml");
    let child = write(
        dir.path(),
        "child.toml",
        &format!(
            "extends = {:?}\n[[platforms]]\nname = \"RedNote\"\nappeal = 0.5\n\n[[population.segments]]\nname = \"under 30\"\nattention = 0.1\n",
            historical.display().to_string()
        ),
    );
    let h = historical.to_str().unwrap();
    let set = daily(&[
        h,
        "--set",
        "platforms.RedNote.appeal=0.5",
        "--set",
        "population.segments.under-30.attention=0.1",
    ]);
    assert_eq!(set, daily(&[child.to_str().unwrap()]));
    assert_ne!(set, daily(&[h]), "the assignment changes the run");
}

#[test]
fn the_manifest_records_the_resolved_scenario() {
    let out = tempfile::tempdir().unwrap();
    exodus()
        .args(["run", "--agents", "20000", "--quiet", "--no-plots", "--out"])
        .arg(out.path())
        .arg(scenarios().join("strong-protest.toml"))
        .args(["--set", "events.welcome.value=2.5"])
        .assert()
        .success();
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run.json")).unwrap())
            .unwrap();
    let s = &run["scenario"];
    assert_eq!(s["population"]["segments"][0]["protest"]["mu"], 2.2);
    assert_eq!(s["population"]["segments"][0]["protest"]["sigma"], 1.5);
    let welcome = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "welcome")
        .unwrap();
    assert_eq!(welcome["value"], 2.5);
    assert!(
        run["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "events.welcome.value=2.5")
    );
}

#[test]
fn a_wrong_path_is_named_with_the_nearest_valid_ones() {
    exodus()
        .arg("run")
        .arg(scenarios().join("historical-2025.toml"))
        .args(["--set", "platforms.RedNote.apeal=0.3", "--quiet"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--set platforms.RedNote.apeal=0.3")
                .and(predicate::str::contains(
                    "is not a parameter of the scenario",
                ))
                .and(predicate::str::contains(
                    "did you mean platforms.RedNote.appeal",
                )),
        );
    // A value out of range is refused with its range, and the flag is named.
    exodus()
        .arg("check")
        .arg(scenarios().join("historical-2025.toml"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/calibration-targets.toml"))
        .args(["--set", "platforms.RedNote.appeal=99", "--quiet"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--set platforms.RedNote.appeal=99")
                .and(predicate::str::contains("-50 ..= 50")),
        );
    // Not PATH=VALUE at all: a usage error.
    exodus()
        .arg("validate")
        .arg(scenarios().join("historical-2025.toml"))
        .args(["--set", "platforms.RedNote.appeal"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not PATH=VALUE"));
    // An event the what-if removed has no path any more.
    exodus()
        .arg("validate")
        .arg(scenarios().join("no-ban.toml"))
        .args(["--set", "events.ruling.date=2025-01-18"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("events.ruling.date"));
}

#[test]
fn errors_in_a_chain_name_the_file_and_line_they_are_in() {
    let dir = tempfile::tempdir().unwrap();
    let historical = scenarios().join("historical-2025.toml");
    let parent = format!("extends = {:?}\n", historical.display().to_string());
    // A bad value in the child is located in the child.
    let child = write(
        dir.path(),
        "child.toml",
        &format!("{parent}\n[[platforms]]\nname = \"RedNote\"\nappeal = 99\n"),
    );
    exodus()
        .arg("validate")
        .arg(&child)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("child.toml:5:10").and(predicate::str::contains("-50 ..= 50")),
        );
    // Removing an event the parent does not have lists the ones it has.
    let child = write(
        dir.path(),
        "remove.toml",
        &format!("{parent}\n[[events]]\nid = \"rulling\"\nremove = true\n"),
    );
    exodus()
        .arg("validate")
        .arg(&child)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("remove.toml:3:1")
                .and(predicate::str::contains("has nothing to remove"))
                .and(predicate::str::contains("\"ruling\"")),
        );
    // A cycle names its files.
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    exodus()
        .arg("validate")
        .arg(dir.path().join("a.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("makes a cycle"));
    // A missing parent is located at `extends`.
    let child = write(dir.path(), "orphan.toml", "extends = \"missing.toml\"\n");
    exodus()
        .arg("validate")
        .arg(&child)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("orphan.toml:1:11")
                .and(predicate::str::contains("cannot read")),
        );
}

#[test]
fn paths_lists_every_value_with_its_path() {
    let out = exodus()
        .args(["validate", "--paths"])
        .arg(scenarios().join("historical-2025.toml"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for line in [
        "platforms.RedNote.appeal = -1.5",
        "population.segments.under-30.attention = 0.08",
        "population.segments.30-and-over.protest.mu = 0.2",
        "events.ruling.date = \"2025-01-17\"",
        "mechanisms.salience_half_life_days = 3.0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}");
    }
}
