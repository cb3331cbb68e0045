//! `exodus sweep`, `exodus merge` and `exodus sensitivity` through the real binary: the same
//! results at any thread count, after a kill, after extending the design and from merged
//! shards; failing points recorded; located errors; Sobol' indices of a model whose indices are
//! known.

mod common;

use std::path::Path;

use predicates::prelude::*;

use common::{bass_sweep, exodus, root, write};

/// `exodus sweep FILE --out OUT`, outside any Slurm job array.
fn sweep_command(file: &Path, out: &Path) -> assert_cmd::Command {
    let mut c = exodus();
    c.arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT");
    c
}

/// The same, quiet, with more arguments.
fn sweep(file: &Path, out: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    sweep_command(file, out).args(args).arg("--quiet").assert()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_same_results_at_any_thread_count_from_shards_and_after_a_kill_or_an_extension() {
    let dir = tempfile::tempdir().unwrap();
    let file = bass_sweep(dir.path(), "saltelli", 16, "");
    let one = dir.path().join("one");
    sweep(&file, &one, &["--threads", "1"]).success();
    let results = read(&one.join("results.csv"));
    // 16 base rows x 5 points x 2 replicates x 4 outcomes, and the header.
    assert_eq!(results.lines().count(), 16 * 5 * 2 * 4 + 1);
    assert!(results.starts_with(
        "point,replicate,seed,platforms.Adopted.innovation,platforms.Adopted.imitation,platforms.Not-adopted.appeal,outcome,value\n0,0,2025,0.01,0.1,0,Adopted.peak_day,"
    ));
    let two = dir.path().join("two");
    sweep(&file, &two, &["--threads", "2"]).success();
    assert_eq!(read(&two.join("results.csv")), results);
    assert_eq!(read(&two.join("sweep.json")), read(&one.join("sweep.json")));

    // Three shards merged are the one process's files, byte for byte.
    let shards = dir.path().join("shards");
    for i in 0..3 {
        sweep(
            &file,
            &shards.join(format!("s{i}")),
            &["--shard", &format!("{i}/3")],
        )
        .success();
    }
    let merged = dir.path().join("merged");
    exodus()
        .arg("merge")
        .args((0..3).map(|i| shards.join(format!("s{i}"))))
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_eq!(read(&merged.join("results.csv")), results);
    assert_eq!(
        read(&merged.join("sweep.json")),
        read(&one.join("sweep.json"))
    );
    // A missing shard is named; nothing is written.
    exodus()
        .arg("merge")
        .arg(shards.join("s0"))
        .arg(shards.join("s2"))
        .arg("--out")
        .arg(dir.path().join("partial"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard(s) 1 of 3 are missing"));
    assert!(!dir.path().join("partial/results.csv").exists());
    // Slurm's array variables choose the shard.
    exodus()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("slurm"))
        .arg("--quiet")
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .assert()
        .success();
    assert_eq!(
        read(&dir.path().join("slurm/results.csv")),
        read(&shards.join("s2/results.csv"))
    );

    // A run killed mid-write: the file cut in the middle of a row resumes to the same end,
    // wherever the cut falls around the end of a point: in its last value (a cut "13" still
    // reads as the number "1"), in its outcome's name, at the newline, and in the next row.
    let cut = dir.path().join("cut");
    let text = results.clone();
    let lines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    // Each point has 2 replicates x 4 outcomes = 8 rows after the header: the end of point 9.
    let end_of_point = lines[8 * 10];
    let mut cuts: Vec<usize> = (1..=14).map(|k| end_of_point - k).collect();
    cuts.extend([
        end_of_point,
        end_of_point + 1,
        end_of_point + 9,
        end_of_point + 30,
    ]);
    for at in cuts {
        let _ = std::fs::remove_dir_all(&cut);
        std::fs::create_dir_all(&cut).unwrap();
        std::fs::copy(one.join("sweep.json"), cut.join("sweep.json")).unwrap();
        std::fs::write(cut.join("results.csv"), &results[..at]).unwrap();
        sweep_command(&file, &cut)
            .arg("--no-plots")
            .assert()
            .success()
            .stderr(predicate::str::contains("resuming"))
            .stdout(predicate::str::contains("resumed"));
        assert!(
            read(&cut.join("results.csv")) == results,
            "resumed after a cut at byte {at} ({:?}|{:?}) differs from one run",
            &text[at.saturating_sub(12)..at],
            &text[at..at + 5]
        );
    }

    // Extended to 32 base rows: the first 16 are kept (not rerun) and the file is a fresh
    // 32-row sweep's.
    let grown = dir.path().join("grown");
    sweep(&file, &grown, &["--samples", "16"]).success();
    sweep_command(&file, &grown)
        .args(["--samples", "32"])
        .assert()
        .success()
        .stdout(predicate::str::contains("80 point(s) run, 80 resumed"));
    let fresh32 = dir.path().join("fresh32");
    sweep(&file, &fresh32, &["--samples", "32"]).success();
    assert_eq!(
        read(&grown.join("results.csv")),
        read(&fresh32.join("results.csv"))
    );
    // Other inputs in the folder are refused, not mixed.
    sweep(&file, &grown, &["--replicates", "3"])
        .code(2)
        .stderr(predicate::str::contains("holds a sweep of other inputs"));
    sweep(&file, &grown, &["--samples", "8"])
        .code(2)
        .stderr(predicate::str::contains("more than this one's"));
}

#[test]
fn a_failing_point_is_recorded_and_the_sweep_goes_on() {
    // One grid point (low 0.5 above high 0.4) is refused by the scenario.
    let dir = tempfile::tempdir().unwrap();
    let file = common::failing_grid_sweep(dir.path(), "0.1, 0.5");
    let out = dir.path().join("out");
    sweep_command(&file, &out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 point(s) failed"))
        .stderr(predicate::str::contains("point 2:"));
    let failures = read(&out.join("failures.csv"));
    assert_eq!(failures.lines().count(), 2, "{failures}");
    assert!(failures.starts_with("point,population.segments.everyone.peer_weight.low,population.segments.everyone.peer_weight.high,error\n2,0.5,0.4,"));
    assert!(failures.contains("is below low"), "{failures}");
    // The three other points have their one row each (1 replicate, 1 outcome).
    let results = read(&out.join("results.csv"));
    let points: Vec<&str> = results.lines().skip(1).map(|l| &l[..1]).collect();
    assert_eq!(points, ["0", "1", "3"]);
    // Started again, the failure is kept and nothing reruns.
    sweep_command(&file, &out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0 point(s) run, 4 resumed"));
    assert_eq!(read(&out.join("results.csv")), results);
}

#[test]
fn sweep_file_errors_name_the_line_and_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = bass_sweep(dir.path(), "saltelli", 8, "");
    let text = read(&file);
    let cases = [
        (
            text.replace(
                "\"platforms.Adopted.imitation\"",
                "\"platforms.Adopted.imitaton\"",
            ),
            "bass.toml:31:8: platforms.Adopted.imitaton",
            "did you mean platforms.Adopted.imitation",
        ),
        (
            text.replace("high = 0.05", "high = 5.0"),
            "platforms.Adopted.innovation = uniform(0.01, 5)",
            "the scenario does not accept 5 here",
        ),
        (
            text.replace(
                "platform = \"Adopted\"\nstatistic = \"value\"",
                "platform = \"Adopte\"\nstatistic = \"value\"",
            ),
            "outcomes.daily[0].platform = \"Adopte\": is not a platform of the scenario",
            "allowed: Not adopted, Adopted",
        ),
        (
            text.replace("date = 2025-01-10", "date = 2026-01-10"),
            "outcomes.daily[0].date = 2026-01-10: is outside the scenario's dates",
            "2025-01-01 ..= 2025-03-01",
        ),
        (
            text.replace("design = \"saltelli\"", "design = \"sobel\""),
            "bass.toml:3:10: sweep.design = \"sobel\"",
            "did you mean `sobol`?",
        ),
    ];
    for (i, (bad, a, b)) in cases.iter().enumerate() {
        let f = write(dir.path(), "bass.toml", bad);
        exodus()
            .arg("sweep")
            .arg(&f)
            .arg("--out")
            .arg(dir.path().join(format!("e{i}")))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*a))
            .stderr(predicate::str::contains(*b))
            .stderr(predicate::str::contains("panicked").not());
    }
    exodus()
        .args(["sweep", "x.toml", "--shard", "3/3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("0 <= I < N"));
    // Started by mpirun without the mpi feature, each rank would run the whole sweep: refused.
    #[cfg(not(feature = "mpi"))]
    exodus()
        .arg("sweep")
        .arg(&file)
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("built without MPI"));
}

/// An index's estimate in `dir/sensitivity.csv`.
fn estimate(dir: &Path, outcome: &str, parameter: &str, index: &str) -> f64 {
    let mut rdr = csv::Reader::from_path(dir.join("sensitivity.csv")).unwrap();
    let row = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == outcome && &r[1] == parameter && &r[2] == index)
        .unwrap_or_else(|| panic!("no {index} of {parameter} for {outcome}"));
    row[3].parse().unwrap()
}

#[test]
fn sensitivity_finds_the_parameters_that_matter() {
    let dir = tempfile::tempdir().unwrap();
    let file = bass_sweep(dir.path(), "saltelli", 64, "");
    let out = dir.path().join("out");
    sweep(&file, &out, &[]).success();
    exodus()
        .arg("sensitivity")
        .arg(&out)
        .args(["--resamples", "200"])
        .assert()
        .success()
        .stdout(predicate::str::contains("64 base rows is a small sample"))
        .stdout(predicate::str::contains("## adopted_mean"));
    let get = |outcome: &str, param: &str, index: &str| estimate(&out, outcome, param, index);
    let o = "Adopted.main_app_users.value.2025-01-10";
    // The Bass rule does not read the non-adopters' appeal: its total index is exactly 0
    // (f_A = f_AB row by row, common random numbers). Both rates matter for early adoption
    // (measured 0.30 and 0.75 with this design).
    assert_eq!(get(o, "platforms.Not-adopted.appeal", "total"), 0.0);
    assert!(get(o, "platforms.Adopted.innovation", "total") > 0.1);
    assert!(get(o, "platforms.Adopted.imitation", "total") > 0.4);
    let noise = get(o, "", "seed_noise_share");
    assert!((0.0..0.1).contains(&noise), "{noise}");

    // Morris screening ranks them alike: imitation above innovation, as their total indices
    // (measured mu* 58,300 and 34,100 people with this design), the unread parameter at 0.
    let mfile = bass_sweep(dir.path(), "morris", 20, "levels = 4\n");
    let mout = dir.path().join("morris");
    sweep(&mfile, &mout, &[]).success();
    exodus().arg("sensitivity").arg(&mout).assert().success();
    let mu = |p: &str| estimate(&mout, o, p, "mu_star");
    assert_eq!(mu("platforms.Not-adopted.appeal"), 0.0);
    assert!(mu("platforms.Adopted.imitation") > mu("platforms.Adopted.innovation"));
    assert!(mu("platforms.Adopted.innovation") > 0.0);
    // A design without indices is refused with what would work.
    let rfile = bass_sweep(dir.path(), "random", 4, "");
    let rout = dir.path().join("random");
    sweep(&rfile, &rout, &[]).success();
    exodus()
        .arg("sensitivity")
        .arg(&rout)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("need a saltelli design"));
}

#[test]
fn a_whole_number_field_is_swept_in_whole_numbers() {
    // network.degree is an integer field: design values are rounded and set as integers.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "deg.toml",
        &format!(
            r#"[sweep]
scenario = "{}"
design = "latin-hypercube"
samples = 6
agents = 1000
[outcomes]
platforms = ["Adopted"]
key = ["total_installs"]
[[parameters]]
path = "network.degree"
low = 4
high = 30
"#,
            root().join("scenarios/bass-power-law.toml").display()
        ),
    );
    let out = dir.path().join("out");
    sweep(&file, &out, &[]).success();
    let text = read(&out.join("results.csv"));
    let degrees: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(degrees.len(), 6);
    assert!(
        degrees
            .iter()
            .all(|d| d.fract() == 0.0 && (4.0..=30.0).contains(d)),
        "{degrees:?}"
    );
    // `exodus plot` redraws a sweep's charts elsewhere; `exodus report` reports a sweep of one
    // parameter too.
    let charts = dir.path().join("charts");
    exodus()
        .arg("plot")
        .arg(&out)
        .arg("--out")
        .arg(&charts)
        .assert()
        .success();
    assert!(charts.join("sweep-adopted-total-installs.png").exists());
    exodus().arg("report").arg(&out).assert().success();
    let html = read(&out.join("report.html"));
    assert!(
        html.contains(">network.degree</th>"),
        "the parameter listed"
    );
    assert!(html.contains("gives no sensitivity indices"));
}

#[test]
fn one_design_runs_on_a_what_if_with_its_missing_paths_left_unset() {
    // The historical scenario varies the Jan 19 relief; the enforced ban has no such event.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "h.toml",
        &format!(
            r#"[sweep]
scenario = "{}"
design = "morris"
samples = 2
levels = 4
agents = 1000
[outcomes]
platforms = ["TikTok", "RedNote"]
key = ["main_users_lost_by"]
[[parameters]]
path = "platforms.TikTok.appeal"
low = 2.0
high = 6.0
[[parameters]]
path = "events.relief-jan19.value"
also = ["events.relief-jan19-lemon8.value"]
low = 0.25
high = 1.0
"#,
            root().join("scenarios/historical-2025.toml").display()
        ),
    );
    let ban = root().join("scenarios/ban-enforced.toml");
    let lhs = ["--design", "latin-hypercube", "--samples", "5"];
    let hist = dir.path().join("hist");
    sweep(&file, &hist, &lhs).success();
    let what_if = dir.path().join("ban");
    // Refused without --skip-missing, naming the path and the file's line.
    sweep_command(&file, &what_if)
        .args(lhs)
        .arg("--scenario")
        .arg(&ban)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "h.toml:15:8: events.relief-jan19.value",
        ))
        .stderr(predicate::str::contains(
            "is not a parameter of the scenario",
        ));
    sweep_command(&file, &what_if)
        .args(lhs)
        .arg("--scenario")
        .arg(&ban)
        .arg("--skip-missing")
        .assert()
        .success()
        .stderr(predicate::str::contains("left unset, not in"))
        .stderr(predicate::str::contains("events.relief-jan19-lemon8.value"));
    // The same 5 Latin-hypercube points (not the file's Morris trajectories), row for row.
    let columns = |d: &Path| -> Vec<String> {
        read(&d.join("results.csv"))
            .lines()
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(columns(&hist), columns(&what_if));
    assert_eq!(columns(&hist).len(), 5 * 2 + 1);
    let manifest = read(&what_if.join("sweep.json"));
    assert!(manifest.contains("\"design\": \"latin-hypercube\""));
    assert!(manifest.contains("\"skipped\""));
    // The default folder names the scenario and the design.
    exodus()
        .current_dir(dir.path())
        .arg("sweep")
        .arg(&file)
        .arg("--scenario")
        .arg(&ban)
        .args([
            "--skip-missing",
            "--design",
            "random",
            "--samples",
            "1",
            "-q",
            "--no-plots",
        ])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .assert()
        .success();
    assert!(
        dir.path()
            .join("results/sweep-h-ban-enforced-random/results.csv")
            .exists()
    );
}
