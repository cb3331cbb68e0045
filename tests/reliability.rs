//! Results that neither mix nor vanish, through the real binary: a new run replaces an old
//! one's files and removes its stale ones, never touches the user's files without --force, is
//! put in place only when complete (an interrupt or a full disk leaves the old results as they
//! were and no hidden files), and an interrupted comparison keeps its finished replicates.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use common::scenario_path;

fn exodus() -> Command {
    Command::new(cargo_bin("exodus"))
}

fn run(args: &[&str]) -> std::process::Output {
    exodus().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every name in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Names in `dir` starting with `.`, but for the lock and the ledger.
fn hidden_leftovers(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') && n != ".exodus.lock" && n != ".exodus-files")
        .collect()
}

fn historical() -> String {
    scenario_path("historical-2025.toml").display().to_string()
}

#[test]
fn a_new_run_replaces_the_old_ones_files_and_removes_its_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = out.to_str().unwrap();
    let s = historical();
    let first = run(&[
        "run",
        &s,
        "--agents",
        "2000",
        "--replicates",
        "3",
        "--out",
        o,
    ]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(out.join("bands.csv").exists() && out.join("replicates.csv").exists());
    // The manifest lists every file, charts included.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let listed: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&"adoption.svg") && listed.contains(&"bands.csv"),
        "{listed:?}"
    );

    let second = run(&["run", &s, "--agents", "2000", "--out", o, "--no-plots"]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let err = text(&second.stderr);
    assert!(
        err.contains("removed") && err.contains("bands.csv"),
        "{err}"
    );
    let now = names(&out);
    for stale in ["bands.csv", "replicates.csv", "adoption.svg"] {
        assert!(!now.contains(&stale.to_string()), "{stale} kept: {now:?}");
    }
    assert!(now.contains(&"daily.csv".to_string()));
    assert!(hidden_leftovers(&out).is_empty(), "{now:?}");
    // Charts drawn later by `exodus plot` are exodus's too: the next run replaces them.
    let plot = run(&["plot", o]);
    assert!(plot.status.success(), "{}", text(&plot.stderr));
    let third = run(&["run", &s, "--agents", "2000", "--out", o, "--no-plots"]);
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert!(!out.join("adoption.svg").exists());
}

#[test]
fn a_folder_holding_the_users_files_needs_force_and_they_are_never_touched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    std::fs::create_dir_all(out.join("figures")).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("figures").join("daily.csv"), "mine too").unwrap();
    let o = out.to_str().unwrap();
    let s = historical();
    let refused = run(&["run", &s, "--agents", "2000", "--out", o, "--no-plots"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = text(&refused.stderr);
    assert!(
        err.contains("holds 2 file(s) exodus did not write")
            && err.contains("notes.txt")
            && err.contains("--force"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.join("daily.csv").exists());

    for _ in 0..2 {
        let forced = run(&[
            "run",
            &s,
            "--agents",
            "2000",
            "--out",
            o,
            "--no-plots",
            "--force",
        ]);
        assert!(forced.status.success(), "{}", text(&forced.stderr));
    }
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("figures").join("daily.csv")).unwrap(),
        "mine too"
    );
    assert!(out.join("daily.csv").exists());
}

/// Waits until `ready` holds, the child still running; panics after a minute.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("exodus ended ({status}) before {what}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(unix)]
fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: sends a signal to our own child process, which has not been reaped.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(rc, 0);
}

fn stage_exists(out: &Path) -> bool {
    std::fs::read_dir(out).is_ok_and(|d| {
        d.filter_map(Result::ok).any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".exodus-stage-")
        })
    })
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_the_old_results_as_they_were_and_no_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = out.to_str().unwrap();
    let s = historical();
    let old = run(&["run", &s, "--agents", "2000", "--out", o, "--no-plots"]);
    assert!(old.status.success(), "{}", text(&old.stderr));
    let before: Vec<(String, Vec<u8>)> = names(&out)
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            let bytes = std::fs::read(out.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();

    let mut child = exodus()
        .args([
            "run",
            &s,
            "--agents",
            "1000000",
            "--replicates",
            "50",
            "--out",
            o,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&mut child, "a staging folder", || stage_exists(&out));
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGINT);
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    let err = text(&done.stderr);
    assert!(
        err.contains("interrupted") && !err.contains("panicked"),
        "{err}"
    );
    assert!(hidden_leftovers(&out).is_empty(), "{:?}", names(&out));
    for (name, bytes) in before {
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            bytes,
            "{name} changed"
        );
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_comparison_keeps_its_finished_replicates_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let a = historical();
    let b = scenario_path("ban-enforced.toml").display().to_string();
    let args = |out: &PathBuf| -> Vec<String> {
        [
            "compare",
            &a,
            &b,
            "--agents",
            "20000",
            "--replicates",
            "40",
            "--no-plots",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()])
        .collect()
    };
    let out = dir.path().join("c");
    let records = out.join(".exodus-work").join("records.bin");
    let mut child = exodus()
        .args(args(&out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt (SIGTERM) once some replicates are safe on disk.
    wait_for(&mut child, "a finished replicate", || {
        std::fs::metadata(&records).is_ok_and(|m| m.len() > 0)
    });
    signal(&child, libc::SIGTERM);
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130), "{}", text(&done.stderr));
    assert!(records.exists(), "the finished replicates were not kept");
    assert!(!out.join("comparison.json").exists());

    let resumed = exodus().args(args(&out)).output().unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let err = text(&resumed.stderr);
    assert!(
        err.contains("resuming:") && err.contains("of 40 replicate(s)"),
        "{err}"
    );
    assert!(!out.join(".exodus-work").exists());
    assert!(hidden_leftovers(&out).is_empty(), "{:?}", names(&out));

    let whole = dir.path().join("whole");
    let once = exodus().args(args(&whole)).output().unwrap();
    assert!(once.status.success(), "{}", text(&once.stderr));
    for f in [
        "bands.csv",
        "differences.csv",
        "outcomes.csv",
        "outcomes.json",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(whole.join(f)).unwrap(),
            "{f} differs from an uninterrupted comparison"
        );
    }
}

/// A small tmpfs, where this machine lets the test mount one (root, Linux).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(bytes: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_fails_with_exit_1_and_keeps_the_old_results() {
    let Some(disk) = Tmpfs::mount(4 << 20) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root on Linux)");
        return;
    };
    let out = disk.0.path().join("r");
    let o = out.to_str().unwrap();
    let s = historical();
    let old = run(&["run", &s, "--agents", "2000", "--out", o, "--no-plots"]);
    assert!(old.status.success(), "{}", text(&old.stderr));
    let daily = std::fs::read(out.join("daily.csv")).unwrap();
    // 40 replicates' replicates.csv does not fit in what is left.
    let full = run(&[
        "run",
        &s,
        "--agents",
        "2000",
        "--replicates",
        "40",
        "--out",
        o,
        "--no-plots",
    ]);
    assert_eq!(full.status.code(), Some(1), "{}", text(&full.stderr));
    let err = text(&full.stderr);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("the files there are as they were"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(out.join("daily.csv")).unwrap(), daily);
    assert!(!out.join("bands.csv").exists());
    assert!(hidden_leftovers(&out).is_empty(), "{:?}", names(&out));
}

#[test]
fn report_md_carries_no_link_from_the_scenarios_text() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = std::fs::read_to_string(scenario_path("reference-r1.toml"))
        .unwrap()
        .replacen(
            "description = \"",
            "description = \"[click me](javascript:alert(1)) <img src=x onerror=alert(2)> ",
            1,
        );
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, hostile).unwrap();
    let out = dir.path().join("r");
    let o = out.to_str().unwrap();
    let s = scenario.to_str().unwrap();
    let done = run(&["run", s, "--agents", "1000", "--out", o, "--no-plots", "-q"]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let report = run(&["report", o, "-q"]);
    assert!(report.status.success(), "{}", text(&report.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("click me"), "the text is kept");
    // The brackets are escaped, so Markdown shows them as text, not as a link.
    assert!(md.contains("\\[click me\\](javascript:"), "{md}");
    assert!(
        !md.contains(" [click me](") && !md.contains("\n[click me]("),
        "a link was carried: {md}"
    );
    assert!(!md.contains("<img"), "HTML was carried");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.contains("<img src=x"),
        "HTML was carried into report.html"
    );
    // The report is recorded as exodus's: the next run replaces it.
    let again = run(&["run", s, "--agents", "1000", "--out", o, "--no-plots", "-q"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!out.join("report.md").exists());
}

/// A scenario of `days` days and `k` platforms with 1000 agents.
fn shaped(dir: &Path, name: &str, days: u32, k: usize) -> PathBuf {
    let mut s = format!(
        "[meta]\nname = \"{name}\"\nseed = 1\nstart = 2025-01-01\ndays = {days}\n\
         [population]\npeople = 1000\nagents = 1000\n\
         [[population.segments]]\nname = \"all\"\nshare = 1.0\ninitial = {{ P0 = 1.0 }}\n\
         attention = 0.1\npeer_weight = 3.0\n\
         [network]\nkind = \"random\"\ndegree = 5\n[choice]\nrule = \"logit\"\n"
    );
    for i in 0..k {
        s.push_str(&format!(
            "[[platforms]]\nname = \"P{i}\"\nappeal = {}\n",
            0.1 * i as f64
        ));
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, s).unwrap();
    path
}

/// Runs exodus with `args`; returns its printed memory estimate and its measured peak
/// resident memory, in bytes.
#[cfg(target_os = "linux")]
// The child is reaped by wait4 (which also gives its peak memory), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn estimate_and_peak(args: &[String]) -> (f64, f64) {
    let child = exodus()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // Read stderr on a thread while waiting, so a full pipe cannot stall the child.
    let mut stderr = child.stderr.unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, which nothing else reaps.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid);
    let err = reader.join().unwrap();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{err}"
    );
    let at = err.find("memory estimate ").expect(&err) + "memory estimate ".len();
    let mut words = err[at..].split_whitespace();
    let number: f64 = words.next().unwrap().parse().unwrap();
    let unit = match words.next().unwrap() {
        "GB" => 1e9,
        "MB" => 1e6,
        "kB" => 1e3,
        u => panic!("unit {u}"),
    };
    (number * unit, usage.ru_maxrss as f64 * 1024.0)
}

/// The memory estimate is never below the measured peak, and not far above it, for runs and
/// comparisons of many days, many platforms, many replicates and several scenarios.
#[cfg(target_os = "linux")]
#[test]
fn the_memory_estimate_covers_the_measured_peak_across_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let long = shaped(dir.path(), "long", 36_500, 4);
    let wide = shaped(dir.path(), "wide", 3650, 32);
    let mid = shaped(dir.path(), "mid", 3650, 8);
    let out = dir.path().join("out").display().to_string();
    let s = |p: &PathBuf| p.display().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["run".into(), s(&wide), "--no-plots".into()],
        vec!["run".into(), s(&long)],
        vec![
            "run".into(),
            s(&long),
            "--replicates".into(),
            "3".into(),
            "--no-plots".into(),
        ],
        vec!["run".into(), s(&mid), "--replicates".into(), "60".into()],
        vec![
            "compare".into(),
            s(&mid),
            s(&mid),
            s(&mid),
            "--replicates".into(),
            "3".into(),
        ],
    ];
    for case in cases {
        let mut args = case.clone();
        args.extend(["--out".into(), out.clone(), "--force".into()]);
        let (estimate, peak) = estimate_and_peak(&args);
        eprintln!("{case:?}: estimate {estimate:.3e}, peak {peak:.3e}");
        assert!(
            estimate >= peak,
            "{case:?}: estimate {estimate:.3e} < peak {peak:.3e}"
        );
        assert!(
            estimate <= 2.5 * peak + 32e6,
            "{case:?}: estimate {estimate:.3e} far above peak {peak:.3e}"
        );
    }
}

#[test]
fn very_large_outputs_are_warned_of_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let wide = shaped(dir.path(), "wide", 3650, 32);
    let out = dir.path().join("r");
    // 40 replicates of 3650 days x 32 platforms: over a gigabyte of replicates.csv. The warning
    // comes before the first day; the test then stops the run.
    let mut child = exodus()
        .args([
            "run",
            wide.to_str().unwrap(),
            "--replicates",
            "40",
            "--no-plots",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("replicates.csv") {
        let n = std::io::Read::read(&mut stderr, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.contains("warning: the results will take about")
            && seen.contains("of it replicates.csv (40 replicates x 3650 days x 32 platforms"),
        "{seen}"
    );
}
