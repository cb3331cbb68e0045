//! Putting a command's files in place together, and knowing which files of a results folder are
//! exodus's.
//!
//! A run (or comparison, or merge) writes every file into a hidden staging folder inside the
//! results folder, `.exodus-stage-*`. Only when all are written are they moved into the results
//! folder, one rename each; then the files an earlier run there wrote and this one did not are
//! removed, so the folder never mixes two runs' files. A run that fails or is interrupted before
//! that point leaves the earlier results exactly as they were.
//!
//! The ledger `.exodus-files` lists, one relative path per line, every file exodus wrote in the
//! folder (run, compare and merge replace it; plot and report add to it). A file not in it is
//! the user's: exodus never removes or overwrites it, and writing a run into a folder that holds
//! such files needs `--force`. Staging folders and temporary files left by a killed exodus are
//! removed by the next command that takes the folder's lock.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{LOCK, OutputError};

/// The ledger of a results folder: the files exodus wrote there.
pub const LEDGER: &str = ".exodus-files";
/// Prefix of staging folders.
const STAGE_PREFIX: &str = ".exodus-stage-";
/// Prefix and suffix of temporary files (`atomic::AtomicFile`).
const TEMP_PREFIX: &str = ".exodus-";
const TEMP_SUFFIX: &str = ".tmp";
/// Most foreign files named in the error.
const NAMED: usize = 8;

/// Whether `name` (a file or folder name in a results folder) is exodus's own bookkeeping.
fn is_internal(name: &str) -> bool {
    name == LOCK || name == LEDGER || name.starts_with(TEMP_PREFIX)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The files exodus wrote in `dir`, relative, from its ledger; a folder written before ledgers
/// existed is read from its manifest's `outputs` (run.json or comparison.json).
pub fn owned(dir: &Path) -> Result<BTreeSet<String>, OutputError> {
    let ledger = dir.join(LEDGER);
    match std::fs::read_to_string(&ledger) {
        Ok(text) => {
            return Ok(text
                .lines()
                .filter(|l| safe_relative(l))
                .map(String::from)
                .collect());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&ledger)(e)),
    }
    let mut out = BTreeSet::new();
    for manifest in ["run.json", "comparison.json"] {
        let Ok(text) = std::fs::read_to_string(dir.join(manifest)) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if let Some(list) = value.get("outputs").and_then(|o| o.as_array()) {
            out.insert(manifest.to_string());
            out.extend(
                list.iter()
                    .filter_map(|v| v.as_str())
                    .filter(|s| safe_relative(s))
                    .map(String::from),
            );
            // Those manifests did not list charts and reports: a run's charts and reports
            // by their fixed names are exodus's too.
            for kind in crate::plot::ChartKind::ALL {
                for ext in ["svg", "png", "pdf"] {
                    out.insert(format!("{}.{ext}", kind.name()));
                }
            }
            out.extend(["report.html".to_string(), "report.md".to_string()]);
        }
    }
    Ok(out)
}

/// A relative path inside the folder (no `..`, not absolute): a tampered ledger cannot make
/// exodus remove files elsewhere.
fn safe_relative(s: &str) -> bool {
    let p = Path::new(s);
    !s.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Every file under `dir`, relative with `/`, exodus's bookkeeping aside.
fn files_in(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = stack.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&folder)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(&folder))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if prefix.is_empty() && is_internal(&name) {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            if kind.is_dir() {
                stack.push((entry.path(), format!("{rel}/")));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a killed exodus left in a folder and the next one removed.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Removes the staging folders and temporary files a killed exodus left in `dir`. Call only
/// while holding the folder's lock (so none of them is another exodus's work in progress).
pub fn remove_leftovers(dir: &Path) -> Result<Vec<Leftover>, OutputError> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() && name.starts_with(STAGE_PREFIX) {
            let bytes = files_in(&path)?
                .iter()
                .filter_map(|f| std::fs::metadata(path.join(f)).ok())
                .map(|m| m.len())
                .sum();
            std::fs::remove_dir_all(&path).map_err(io(&path))?;
            removed.push(Leftover { path, bytes });
        } else if kind.is_file() && name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            std::fs::remove_file(&path).map_err(io(&path))?;
            removed.push(Leftover { path, bytes });
        }
    }
    Ok(removed)
}

/// A line for the terminal about leftovers removed, or `None`.
pub fn describe_leftovers(removed: &[Leftover]) -> Option<String> {
    if removed.is_empty() {
        return None;
    }
    let bytes: u64 = removed.iter().map(|l| l.bytes).sum();
    Some(format!(
        "exodus: removed {} temporary file(s) or folder(s) ({:.1} MB) left by an interrupted exodus: {}",
        removed.len(),
        bytes as f64 / 1e6,
        removed
            .iter()
            .map(|l| l.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// A command's files being written, to be put in place together.
pub struct Stage {
    out: PathBuf,
    dir: tempfile::TempDir,
    previous: BTreeSet<String>,
    _cleanup: super::cleanup::Registered,
}

/// What `Stage::commit` did.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The files now in the results folder, in the order written.
    pub files: Vec<PathBuf>,
    /// Files of an earlier run there that this one did not write, removed.
    pub removed: Vec<PathBuf>,
}

impl Stage {
    /// Opens a staging folder in `out`, which the caller has locked with `lock_dir` (that also
    /// removed what a killed exodus left there). Files in `out` that exodus did not write are
    /// refused unless `force`.
    pub fn begin(out: &Path, force: bool) -> Result<Stage, OutputError> {
        super::create_dir(out)?;
        let previous = owned(out)?;
        let foreign: Vec<String> = files_in(out)?
            .into_iter()
            .filter(|f| !previous.contains(f))
            .collect();
        if !foreign.is_empty() && !force {
            return Err(OutputError::Foreign {
                dir: out.to_path_buf(),
                count: foreign.len(),
                files: foreign.into_iter().take(NAMED).collect(),
            });
        }
        let mut held = super::cleanup::hold();
        let dir = tempfile::Builder::new()
            .prefix(STAGE_PREFIX)
            .tempdir_in(out)
            .map_err(io(out))?;
        let cleanup = super::cleanup::register_held(&mut held, dir.path());
        drop(held);
        Ok(Stage {
            out: out.to_path_buf(),
            dir,
            previous,
            _cleanup: cleanup,
        })
    }

    /// The staging folder: write every file here.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the staged files into the results folder (`last` after the others: the manifest,
    /// so a reader that sees it sees the files it lists), removes the earlier run's files this
    /// one did not write, and records the new files in the ledger.
    pub fn commit(self, last: &str) -> Result<Committed, OutputError> {
        let mut staged = files_in(self.dir.path())?;
        staged.sort_by_key(|f| f == last);
        let now: BTreeSet<String> = staged.iter().cloned().collect();
        // The new ledger is staged too and moved last, inside the same held section.
        let ledger = self.dir.path().join(LEDGER);
        std::fs::write(&ledger, ledger_text(&now)).map_err(io(&ledger))?;
        // An interrupt waits until every file is moved: never half a run in place.
        let held = super::cleanup::hold();
        let mut files = Vec::with_capacity(staged.len());
        for rel in &staged {
            let to = self.out.join(rel);
            if let Some(parent) = to.parent() {
                super::create_dir(parent)?;
            }
            std::fs::rename(self.dir.path().join(rel), &to).map_err(io(&to))?;
            files.push(to);
        }
        let mut removed = Vec::new();
        for rel in self.previous.difference(&now) {
            let path = self.out.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
        let to = self.out.join(LEDGER);
        std::fs::rename(&ledger, &to).map_err(io(&to))?;
        drop(held);
        sync_dir(&self.out);
        Ok(Committed { files, removed })
    }
}

/// Adds `files` (paths inside `dir`) to `dir`'s ledger when `dir` is a results folder (it has a
/// ledger or a run's or comparison's manifest): plot and report record what they drew there, so
/// the next run replaces it. Charts drawn into another folder (`--out`) are left unrecorded.
pub fn record(dir: &Path, files: &[PathBuf]) -> Result<(), OutputError> {
    let results_folder = [LEDGER, "run.json", "comparison.json"]
        .iter()
        .any(|f| dir.join(f).exists());
    if !results_folder {
        return Ok(());
    }
    let mut all = owned(dir)?;
    let before = all.len();
    for f in files {
        if let Ok(rel) = f.strip_prefix(dir) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if safe_relative(&rel) {
                all.insert(rel);
            }
        }
    }
    if all.len() != before || !dir.join(LEDGER).exists() {
        write_ledger(dir, &all)?;
    }
    Ok(())
}

fn ledger_text(files: &BTreeSet<String>) -> String {
    let mut text = String::new();
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    text
}

fn write_ledger(dir: &Path, files: &BTreeSet<String>) -> Result<(), OutputError> {
    super::atomic::write(&dir.join(LEDGER), ledger_text(files).as_bytes()).map(|_| ())
}

/// Makes the renames durable (best effort: not every file system can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        files_in(dir).unwrap()
    }

    #[test]
    fn a_second_run_replaces_the_first_and_removes_its_stale_files() {
        let out = tempfile::tempdir().unwrap();
        let stage = Stage::begin(out.path(), false).unwrap();
        put(stage.path(), "daily.csv", "1");
        put(stage.path(), "bands.csv", "1");
        put(stage.path(), "run.json", "1");
        let done = stage.commit("run.json").unwrap();
        assert_eq!(done.files.len(), 3);
        assert_eq!(done.files.last().unwrap(), &out.path().join("run.json"));
        assert_eq!(names(out.path()), ["bands.csv", "daily.csv", "run.json"]);

        let stage = Stage::begin(out.path(), false).unwrap();
        put(stage.path(), "daily.csv", "2");
        put(stage.path(), "run.json", "2");
        let done = stage.commit("run.json").unwrap();
        assert_eq!(done.removed, [out.path().join("bands.csv")]);
        assert_eq!(names(out.path()), ["daily.csv", "run.json"]);
        assert_eq!(
            std::fs::read_to_string(out.path().join("daily.csv")).unwrap(),
            "2"
        );
    }

    #[test]
    fn a_stage_dropped_before_commit_leaves_the_old_files_and_no_trace() {
        let out = tempfile::tempdir().unwrap();
        let stage = Stage::begin(out.path(), false).unwrap();
        put(stage.path(), "daily.csv", "old");
        stage.commit("run.json").unwrap();
        let stage = Stage::begin(out.path(), false).unwrap();
        put(stage.path(), "daily.csv", "new");
        drop(stage);
        assert_eq!(names(out.path()), ["daily.csv"]);
        assert_eq!(
            std::fs::read_to_string(out.path().join("daily.csv")).unwrap(),
            "old"
        );
        let all: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert_eq!(all.len(), 2, "daily.csv and the ledger only");
    }

    #[test]
    fn foreign_files_are_refused_unless_forced_and_never_touched() {
        let out = tempfile::tempdir().unwrap();
        put(out.path(), "notes.txt", "mine");
        put(out.path(), "figs/a.png", "mine");
        let Err(e) = Stage::begin(out.path(), false) else {
            panic!("foreign files accepted")
        };
        let text = e.to_string();
        assert!(
            text.contains("notes.txt") && text.contains("figs/a.png"),
            "{text}"
        );
        assert!(text.contains("--force"), "{text}");
        let stage = Stage::begin(out.path(), true).unwrap();
        put(stage.path(), "daily.csv", "1");
        stage.commit("run.json").unwrap();
        let stage = Stage::begin(out.path(), true).unwrap();
        put(stage.path(), "run.json", "1");
        stage.commit("run.json").unwrap();
        assert_eq!(names(out.path()), ["figs/a.png", "notes.txt", "run.json"]);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed_and_reported() {
        let out = tempfile::tempdir().unwrap();
        put(out.path(), ".exodus-stage-abc/daily.csv", "12345");
        put(out.path(), ".exodus-x1.tmp", "123");
        put(out.path(), ".exodus-files", "");
        let leftovers = remove_leftovers(out.path()).unwrap();
        assert_eq!(leftovers.len(), 2);
        assert_eq!(leftovers.iter().map(|l| l.bytes).sum::<u64>(), 8);
        let line = describe_leftovers(&leftovers).unwrap();
        assert!(line.contains("removed 2"), "{line}");
        assert!(!out.path().join(".exodus-x1.tmp").exists());
        assert!(!out.path().join(".exodus-stage-abc").exists());
    }

    #[test]
    fn an_older_folder_is_owned_through_its_manifest_and_a_tampered_ledger_cannot_escape() {
        let out = tempfile::tempdir().unwrap();
        put(
            out.path(),
            "run.json",
            r#"{"outputs": ["daily.csv", "../../etc/passwd", "/abs"]}"#,
        );
        put(out.path(), "daily.csv", "1");
        let owned = owned(out.path()).unwrap();
        assert!(owned.contains("daily.csv") && owned.contains("run.json"));
        assert!(owned.contains("adoption.svg") && owned.contains("report.md"));
        assert!(
            !owned
                .iter()
                .any(|f| f.contains("passwd") || f.contains("abs"))
        );
        Stage::begin(out.path(), false).expect("no foreign files");
    }
}
