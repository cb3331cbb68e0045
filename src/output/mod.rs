//! Output writers: one exporter per file format behind one trait, all writing atomically.
//!
//! Exporters are opened before a run starts (so a bad output path fails at once, not after an
//! hour), receive each day as it finishes, and on `finish` move their file into place with an
//! atomic rename: a results folder never holds a half-written file. `json` writes the
//! run-level files (`summary.json`, `run.json`).
//!
//! Files written by `exodus run` (documented in docs/outputs.md):
//! - `daily.csv`: date, day, platform, metric, value — tidy long format (`metrics::Metric`);
//! - `flows.csv`: date, day, from, to, value — people moving between platforms (non-zero rows);
//! - `summary.json`: `metrics::Summary`;
//! - `run.json`: `json::Manifest`.

pub mod atomic;
pub mod binary;
pub mod cleanup;
pub mod csv;
pub mod json;
pub mod stage;
pub mod text;

use std::path::{Path, PathBuf};

use crate::metrics::DayRecord;

/// A failure to write results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: ::csv::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Another exodus holds the folder's lock.
    #[error(
        "{} is being written by another exodus (it holds {}); wait for it to finish or give another --out",
        dir.display(),
        dir.join(LOCK).display()
    )]
    Busy { dir: PathBuf },
    /// The results folder holds files exodus did not write, and `--force` was not given.
    #[error(
        "{} holds {count} file(s) exodus did not write ({}{}); exodus never overwrites or removes them: give another --out, move them away, or pass --force to write beside them",
        dir.display(),
        files.join(", "),
        if *count > files.len() { ", ..." } else { "" }
    )]
    Foreign {
        dir: PathBuf,
        count: usize,
        files: Vec<String>,
    },
}

/// The lock file of a results folder.
pub const LOCK: &str = ".exodus.lock";

/// An exclusive claim on a results folder while it lives: an operating-system lock on
/// `.exodus.lock` inside it, released when this is dropped or the process ends, however it ends
/// (so a killed run never leaves the folder locked).
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

/// Creates the results folder `dir` and takes its lock; a second exodus writing to the same
/// folder at the same time is refused instead of mixing its files with the first's. The staging
/// folders and temporary files a killed exodus left in `dir` are then removed, and named on
/// standard error.
pub fn lock_dir(dir: &Path) -> Result<DirLock, OutputError> {
    create_dir(dir)?;
    let path = dir.join(LOCK);
    let io = |source| OutputError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            // Ours alone now: what a killed exodus left here is nobody's work in progress.
            let removed = stage::remove_leftovers(dir)?;
            if let Some(line) = stage::describe_leftovers(&removed) {
                eprintln!("{line}");
            }
            Ok(DirLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputError::Busy {
            dir: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Outputs larger than this get a warning before the run starts.
pub const LARGE_OUTPUT_BYTES: u64 = 1 << 30;

/// A warning, before a run of `params` with `replicates` replicates into `dir`, when its files
/// will be large (over `LARGE_OUTPUT_BYTES`, mostly `replicates.csv`: one row per replicate,
/// day, platform and metric) or larger than the free space of `dir`'s file system.
pub fn size_warning(
    params: &crate::scenario::Params,
    replicates: u32,
    dir: &Path,
) -> Option<String> {
    let k = params.platforms.len() as u64;
    let rows = u64::from(params.days) * k * crate::metrics::Metric::ALL.len() as u64;
    // Per day, platform and metric of the scenario: 16 bytes (measured 14 for replicates.csv
    // of 200 replicates x 3650 days x 32 platforms: 5.6 GB; not every metric is written for
    // every platform, and a row holds about 35 bytes).
    let daily = 16 * rows;
    let all = if replicates > 1 {
        16 * rows * u64::from(replicates)
    } else {
        0
    };
    let total = daily * 3 + all;
    let free = free_bytes(dir);
    let shown = crate::memory::human_bytes;
    if free.is_some_and(|f| total > f) {
        Some(format!(
            "exodus: warning: the results will take about {} and {} has only {} free; the run will fail when the disk is full (fewer --replicates, days or platforms, or another --out)",
            shown(total),
            dir.display(),
            shown(free.unwrap_or(0))
        ))
    } else if total > LARGE_OUTPUT_BYTES {
        Some(format!(
            "exodus: warning: the results will take about {}{}",
            shown(total),
            if all > 0 {
                format!(
                    ", {} of it replicates.csv ({replicates} replicates x {} days x {k} platforms x every metric)",
                    shown(all),
                    params.days
                )
            } else {
                String::new()
            }
        ))
    } else {
        None
    }
}

/// Free bytes of the file system holding `dir` (or its nearest existing parent), if known.
fn free_bytes(dir: &Path) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let existing = dir
            .ancestors()
            .find(|p| p.exists() && !p.as_os_str().is_empty())?;
        let c = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
        // SAFETY: an all-zero statvfs is valid; statvfs fills it for a NUL-terminated path.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid C string and `st` a valid out pointer for the call.
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return None;
        }
        Some(st.f_bavail as u64 * st.f_frsize as u64)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        None
    }
}

/// Receives days as they finish and writes one file.
pub trait Exporter: Send {
    /// Writes one day.
    fn day(&mut self, record: &DayRecord) -> Result<(), OutputError>;
    /// Completes the file and moves it into place; returns its final path.
    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError>;
}

/// Creates the results folder `dir` (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn a_locked_folder_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_dir(dir.path()).expect("first lock");
        let second = lock_dir(dir.path()).unwrap_err();
        assert!(matches!(second, OutputError::Busy { .. }), "{second}");
        assert!(second.to_string().contains("another exodus"));
        drop(first);
        lock_dir(dir.path()).expect("free again once released");
    }
}
