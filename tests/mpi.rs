//! `mpirun -np K exodus sweep ...` (cargo feature `mpi`): the ranks' folder is byte for byte
//! the one a single process writes, failures included, and a sweep cut mid-write resumes
//! under MPI to the same end. Needs OpenMPI's `mpirun` (scripts/install-mpi.sh); built only
//! with `--features mpi`, where a missing `mpirun` fails the test rather than skipping it.
#![cfg(feature = "mpi")]

mod common;

use std::path::Path;
use std::process::Command;

use common::{exodus, root, write};

/// `mpirun -np ranks exodus sweep FILE --out OUT --threads 1 ARGS`, oversubscribed (the test
/// machine may have fewer cores than ranks) and allowed as root (CI's containers run as root).
fn mpirun(ranks: usize, file: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    Command::new("mpirun")
        .args(["--oversubscribe", "-np", &ranks.to_string()])
        .arg(env!("CARGO_BIN_EXE_exodus"))
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--threads", "1", "--no-plots", "--quiet"])
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .expect("mpirun runs (install it with scripts/install-mpi.sh)")
}

fn one_process(file: &Path, out: &Path) -> std::process::Output {
    exodus()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--no-plots", "--quiet"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn ranks_write_what_one_process_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bass.toml",
        &format!(
            r#"[sweep]
scenario = "{}"
design = "saltelli"
samples = 16
replicates = 2
agents = 1500
[outcomes]
platforms = ["Adopted"]
key = ["peak_day", "total_installs"]
[[parameters]]
path = "platforms.Adopted.innovation"
low = 0.01
high = 0.05
[[parameters]]
path = "platforms.Adopted.imitation"
distribution = "log-uniform"
low = 0.1
high = 0.6
"#,
            root().join("scenarios/bass-mixed.toml").display()
        ),
    );
    let one = dir.path().join("one");
    assert!(one_process(&file, &one).status.success());
    let results = read(&one.join("results.csv"));
    assert_eq!(results.lines().count(), 16 * 4 * 2 * 2 + 1);
    for ranks in [2, 3] {
        let out = dir.path().join(format!("ranks{ranks}"));
        let run = mpirun(ranks, &file, &out, &[]);
        assert!(
            run.status.success(),
            "mpirun -np {ranks}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(read(&out.join("results.csv")), results, "{ranks} ranks");
        assert_eq!(
            read(&out.join("sweep.json")),
            read(&one.join("sweep.json")),
            "{ranks} ranks"
        );
    }
    // Cut mid-row, resumed by 2 ranks: the same file.
    let cut = dir.path().join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::copy(one.join("sweep.json"), cut.join("sweep.json")).unwrap();
    std::fs::write(cut.join("results.csv"), &results[..results.len() / 3]).unwrap();
    let run = mpirun(2, &file, &cut, &[]);
    assert!(run.status.success());
    assert_eq!(read(&cut.join("results.csv")), results);
}

#[test]
fn a_failing_point_under_mpi_is_recorded_as_in_one_process() {
    // One grid point (low 0.5 above high 0.4) is refused by the scenario.
    let dir = tempfile::tempdir().unwrap();
    let file = common::failing_grid_sweep(dir.path(), "0.1, 0.5, 0.2");
    let one = dir.path().join("one");
    assert_eq!(one_process(&file, &one).status.code(), Some(1));
    let ranks = dir.path().join("ranks");
    let run = mpirun(2, &file, &ranks, &[]);
    assert!(!run.status.success(), "a failed point fails the MPI job");
    for f in ["results.csv", "failures.csv", "sweep.json"] {
        assert_eq!(read(&ranks.join(f)), read(&one.join(f)), "{f}");
    }
    // The one failing point (low 0.5 above high 0.4) is recorded once, not once per rank.
    assert_eq!(read(&ranks.join("failures.csv")).lines().count(), 2);
}
