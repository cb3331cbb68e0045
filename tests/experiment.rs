//! Replicates through the real binary: the bands contain the median, the mean's confidence
//! interval narrows as replicates grow, results do not depend on the thread count, and
//! replicate 0 is the single run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;

fn run(out: &Path, extra: &[&str]) {
    Command::cargo_bin("exodus")
        .unwrap()
        .args(["run", "-q", "--no-plots", "--agents", "20000", "--out"])
        .arg(out)
        .args(extra)
        .arg(common::scenario_path("historical-2025.toml"))
        .assert()
        .success();
}

/// bands.csv rows keyed by (day, platform, metric): (replicates, mean, mean_low, mean_high,
/// median, low, high).
fn bands(dir: &Path) -> BTreeMap<(u32, String, String), [f64; 7]> {
    let mut reader = csv::Reader::from_path(dir.join("bands.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "date",
            "day",
            "platform",
            "metric",
            "replicates",
            "mean",
            "mean_low",
            "mean_high",
            "median",
            "low",
            "high"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            (
                (r[1].parse().unwrap(), r[2].to_string(), r[3].to_string()),
                [f(4), f(5), f(6), f(7), f(8), f(9), f(10)],
            )
        })
        .collect()
}

#[test]
fn bands_contain_the_median_and_the_mean_interval_narrows() {
    let (few, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(few.path(), &["--replicates", "4"]);
    run(many.path(), &["--replicates", "16", "--band", "0.1,0.9"]);
    let (b4, b16) = (bands(few.path()), bands(many.path()));
    assert_eq!(b4.len(), b16.len());
    let mut width = [0.0, 0.0];
    for (i, b) in [&b4, &b16].iter().enumerate() {
        for (key, v) in b.iter() {
            let [n, mean, mean_low, mean_high, median, low, high] = *v;
            assert_eq!(n, [4.0, 16.0][i], "{key:?}");
            assert!(
                low <= median + 1e-6 && median <= high + 1e-6,
                "{key:?}: {low} {median} {high}"
            );
            assert!(
                mean_low <= mean + 1e-6 && mean <= mean_high + 1e-6,
                "{key:?}"
            );
            if key.2 == "daily_active_users" && key.1 == "RedNote" {
                width[i] += mean_high - mean_low;
            }
        }
    }
    // The interval of the mean shrinks like 1/sqrt(R): about half as wide for 4x the replicates.
    assert!(width[1] < 0.75 * width[0], "widths {width:?}");
    // Every replicate is in replicates.csv.
    let rows = std::fs::read_to_string(many.path().join("replicates.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let daily = std::fs::read_to_string(many.path().join("daily.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(rows, 16 * daily);
    let manifest = std::fs::read_to_string(many.path().join("run.json")).unwrap();
    assert!(manifest.contains("\"replicates\": 16"));
}

#[test]
fn replicates_do_not_depend_on_thread_count_and_replicate_zero_is_the_single_run() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    run(dirs[0].path(), &["--replicates", "3", "--threads", "1"]);
    run(dirs[1].path(), &["--replicates", "3", "--threads", "2"]);
    run(dirs[2].path(), &[]);
    for file in ["bands.csv", "replicates.csv", "daily.csv"] {
        let a = std::fs::read(dirs[0].path().join(file)).unwrap();
        let b = std::fs::read(dirs[1].path().join(file)).unwrap();
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
    let single = std::fs::read(dirs[2].path().join("daily.csv")).unwrap();
    assert_eq!(
        std::fs::read(dirs[0].path().join("daily.csv")).unwrap(),
        single
    );
    assert!(
        !dirs[2].path().join("bands.csv").exists(),
        "a single run has no bands"
    );
}

#[test]
fn band_option_is_checked() {
    for bad in ["0.9,0.1", "0,0.5", "0.5", "a,b"] {
        Command::cargo_bin("exodus")
            .unwrap()
            .args(["run", "--replicates", "2", "--band", bad])
            .arg(common::scenario_path("reference-r1.toml"))
            .assert()
            .code(2);
    }
}

fn compare(out: &Path, args: &[&str]) {
    Command::cargo_bin("exodus")
        .unwrap()
        .args(["compare", "-q", "--no-plots", "--agents", "20000", "--out"])
        .arg(out)
        .args(args)
        .assert()
        .success();
}

/// Mean width (high - low) of the rows of `file` for `scenario`, `platform`, `metric`.
fn mean_width(file: &Path, scenario: &str, platform: &str, metric: &str) -> f64 {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let widths: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[0] == scenario && &r[3] == platform && &r[4] == metric)
        .map(|r| r[11].parse::<f64>().unwrap() - r[10].parse::<f64>().unwrap())
        .collect();
    assert!(
        !widths.is_empty(),
        "{scenario} {platform} {metric} in {}",
        file.display()
    );
    widths.iter().sum::<f64>() / widths.len() as f64
}

#[test]
fn common_random_numbers_narrow_the_difference_band() {
    let (crn, ind) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = common::scenario_path("historical-2025.toml");
    let b = common::scenario_path("strong-protest.toml");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    compare(crn.path(), &[a, b, "--replicates", "8"]);
    compare(ind.path(), &[a, b, "--replicates", "8", "--independent"]);
    let hist = "Historical 2025: the US TikTok ban";
    let strong = "What if: strong protest";
    for platform in ["RedNote", "Instagram"] {
        let paired = mean_width(
            &crn.path().join("differences.csv"),
            strong,
            platform,
            "daily_active_users",
        );
        let unpaired = mean_width(
            &ind.path().join("differences.csv"),
            strong,
            platform,
            "daily_active_users",
        );
        // The difference of the two bands themselves: as wide as both together.
        let naive = mean_width(
            &crn.path().join("bands.csv"),
            hist,
            platform,
            "daily_active_users",
        ) + mean_width(
            &crn.path().join("bands.csv"),
            strong,
            platform,
            "daily_active_users",
        );
        assert!(
            paired < 0.8 * unpaired,
            "{platform}: paired {paired} vs independent {unpaired}"
        );
        assert!(
            paired < 0.8 * naive,
            "{platform}: paired {paired} vs bands' difference {naive}"
        );
    }
    let manifest = std::fs::read_to_string(crn.path().join("comparison.json")).unwrap();
    assert!(manifest.contains("\"common_random_numbers\": true"));
}

#[test]
fn comparisons_do_not_depend_on_thread_count() {
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = common::scenario_path("historical-2025.toml");
    let b = common::scenario_path("no-ban.toml");
    for (threads, dir) in ["1", "2"].iter().zip(&dirs) {
        compare(
            dir.path(),
            &[
                a.to_str().unwrap(),
                b.to_str().unwrap(),
                "--replicates",
                "3",
                "--threads",
                threads,
            ],
        );
    }
    for file in ["bands.csv", "differences.csv", "outcomes.csv"] {
        let x = std::fs::read(dirs[0].path().join(file)).unwrap();
        let y = std::fs::read(dirs[1].path().join(file)).unwrap();
        assert!(x == y, "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn the_shipped_comparison_runs_and_reports_key_outcomes() {
    let out = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("comparisons/what-ifs.toml");
    Command::cargo_bin("exodus")
        .unwrap()
        .args([
            "compare",
            "-q",
            "--agents",
            "10000",
            "--replicates",
            "2",
            "--out",
        ])
        .arg(out.path())
        .arg(&file)
        .assert()
        .success();
    let md = std::fs::read_to_string(out.path().join("outcomes.md")).unwrap();
    for name in [
        "What if: no ban",
        "What if: the ban is enforced",
        "What if: RedNote is restricted too",
        "What if: weak protest",
    ] {
        assert!(md.contains(name), "{name}");
    }
    for outcome in [
        "peak_daily_active_users",
        "main_users_lost_by_2025-03-31",
        "retained_30d_after_peak",
        "total_installs",
        "moves_back_per_move_away",
    ] {
        assert!(md.contains(outcome), "{outcome}");
    }
    assert!(
        out.path().join("compare-rednote.svg").exists()
            && out.path().join("difference-tiktok.png").exists()
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("outcomes.json")).unwrap()).unwrap();
    let entries = json.as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["scenario"] == "What if: no ban" && e["difference"]["median"].is_number())
    );
    assert!(entries.iter().all(
        |e| e["scenario"] != "Historical 2025: the US TikTok ban" || e["difference"].is_null()
    ));
}

#[test]
fn scenarios_with_other_platforms_cannot_be_compared() {
    Command::cargo_bin("exodus")
        .unwrap()
        .args(["compare", "-q", "--agents", "2000"])
        .arg(common::scenario_path("historical-2025.toml"))
        .arg(common::scenario_path("bass-mixed.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("same platforms"));
}

/// Every file of `a` (but run.json, whose times and command line differ) is byte for byte the
/// same in `b`, and `b` has no other data file.
fn same_files(a: &Path, b: &Path) {
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "run.json")
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(a), names(b), "{} and {}", a.display(), b.display());
    for n in names(a) {
        assert!(
            std::fs::read(a.join(&n)).unwrap() == std::fs::read(b.join(&n)).unwrap(),
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn exodus_in(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("exodus").unwrap();
    c.current_dir(dir)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN");
    c
}

#[test]
fn run_shards_merge_into_the_files_of_one_process_and_resume_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = common::scenario_path("historical-2025.toml");
    let run = |extra: &[&str]| {
        exodus_in(d)
            .args([
                "run",
                "-q",
                "--no-plots",
                "--agents",
                "3000",
                "--replicates",
                "5",
            ])
            .arg(&scenario)
            .args(extra)
            .assert()
    };
    run(&["--out", "one"]).success();
    // Shards 0 and 1 of 3 by flag, shard 2 from a Slurm job array's variables.
    run(&["--shard", "0/3"]).success();
    run(&["--shard", "1/3", "--threads", "1"]).success();
    exodus_in(d)
        .args([
            "run",
            "-q",
            "--no-plots",
            "--agents",
            "3000",
            "--replicates",
            "5",
        ])
        .arg(&scenario)
        .args(["--shard", "slurm"])
        .env("SLURM_ARRAY_TASK_ID", "12")
        .env("SLURM_ARRAY_TASK_MIN", "10")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .assert()
        .success();
    let shards = d.join("results/historical-2025");
    let shard = |i: usize| shards.join(format!("shard-{i}-of-3"));
    // A missing shard is named, and nothing is written.
    exodus_in(d)
        .args(["merge", "--no-plots", "--out", "partial"])
        .arg(shard(0))
        .arg(shard(2))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("shard(s) 1/3 missing"));
    assert!(!d.join("partial").exists());
    // A shard holds no results of its own: plot and report say to merge first.
    for cmd in ["plot", "report"] {
        exodus_in(d)
            .arg(cmd)
            .arg(shard(1))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "is one shard of a run or comparison",
            ));
    }
    exodus_in(d)
        .args(["merge", "-q", "--no-plots", "--out", "merged"])
        .args((0..3).map(shard))
        .assert()
        .success();
    same_files(&d.join("one"), &d.join("merged"));
    // The merged replicates.csv holds replicates 0 to 4 (from all three shards), each once.
    let mut rdr = csv::Reader::from_path(d.join("merged/replicates.csv")).unwrap();
    let column = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "replicate")
        .expect("a replicate column");
    let seen: std::collections::BTreeSet<u32> = rdr
        .records()
        .map(|r| r.unwrap()[column].parse().unwrap())
        .collect();
    assert_eq!(seen, (0..5).collect());

    // Shard 0 (replicates 0 and 3) killed while writing its second replicate: merge says it is
    // unfinished; run again, it keeps replicate 0, runs 3 and merges to the same files.
    let records = shard(0).join("records.bin");
    let bytes = std::fs::read(&records).unwrap();
    let first = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize + 8;
    std::fs::write(&records, &bytes[..first + 100]).unwrap();
    exodus_in(d)
        .args(["merge", "--no-plots", "--out", "merged2"])
        .args((0..3).map(shard))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("has 1 of its 2 replicates"));
    exodus_in(d)
        .args(["run", "--no-plots", "--agents", "3000", "--replicates", "5"])
        .arg(&scenario)
        .args(["--shard", "0/3"])
        .assert()
        .success()
        .stdout(predicates::str::contains("1 replicate(s) run, 1 resumed"));
    // The kept replicate's bytes are untouched (a rerun would have other timings in it).
    assert!(std::fs::read(&records).unwrap()[..first] == bytes[..first]);
    exodus_in(d)
        .args(["merge", "-q", "--no-plots", "--out", "merged2"])
        .args((0..3).map(shard))
        .assert()
        .success();
    same_files(&d.join("one"), &d.join("merged2"));
    // Another scenario in the same folder starts it over, said on stderr.
    exodus_in(d)
        .args(["run", "--no-plots", "--agents", "2000", "--replicates", "5"])
        .arg(&scenario)
        .args(["--shard", "0/3"])
        .assert()
        .success()
        .stderr(predicates::str::contains("held a shard of other inputs"));
    // Shards of other inputs do not merge.
    exodus_in(d)
        .args(["merge", "--no-plots", "--out", "mixed"])
        .args((0..3).map(shard))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("are not shards of one run"));
    // --shard slurm outside a job array is refused.
    exodus_in(d)
        .args(["run", "-q", "--no-plots"])
        .arg(&scenario)
        .args(["--shard", "slurm"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a task of a Slurm job array"));
}

#[test]
fn comparison_shards_merge_into_the_files_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = |extra: &[&str]| {
        let mut v: Vec<String> = vec!["compare".into(), "-q".into(), "--no-plots".into()];
        v.push(
            common::scenario_path("historical-2025.toml")
                .display()
                .to_string(),
        );
        v.push(common::scenario_path("no-ban.toml").display().to_string());
        v.extend(
            [
                "--agents",
                "2000",
                "--replicates",
                "4",
                "--dates",
                "2025-01-31,2025-03-01",
            ]
            .map(String::from),
        );
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    exodus_in(d).args(args(&[])).assert().success();
    for i in 0..2 {
        exodus_in(d)
            .args(args(&["--shard", &format!("{i}/2")]))
            .assert()
            .success();
    }
    let one = d.join("results/compare-historical-2025-vs-no-ban");
    exodus_in(d)
        .args(["merge", "-q", "--no-plots", "--out", "merged"])
        .arg(one.join("shard-0-of-2"))
        .arg(one.join("shard-1-of-2"))
        .assert()
        .success();
    // Everything, the command line quoted in outcomes.md and comparison.json included (the
    // shards' command without --shard is the one process's).
    same_files(&one, &d.join("merged"));
}
