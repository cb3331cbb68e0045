//! What an interrupted exodus removes before it exits: the temporary files and staging folders
//! it is writing (`atomic`, `stage`), which would otherwise be left hidden in the results
//! folder. Ctrl-C (SIGINT), SIGTERM and SIGHUP run `interrupted`: it removes every registered
//! path, says so, and exits with code 130. Finished work is never registered here: files already
//! in place, a sweep's finished points and the replicates a shard or comparison has stored stay.
//!
//! A registration is held while the path is being written and dropped once the file is in place.
//! The handler holds the registry's lock until the process ends, so no new temporary file can
//! be created between its cleaning and the exit; a commit holds the lock while it moves staged
//! files into place, so an interrupt never leaves half a run moved.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

/// Exit code of an interrupted command (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;

static PENDING: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static INSTALL: Once = Once::new();

/// The registry, locked (a panic elsewhere does not stop the cleaning).
pub fn hold() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A path removed if the process is interrupted while this lives.
#[derive(Debug)]
pub struct Registered(u64);

/// Registers `path` (a file or folder being written) under the held registry lock.
pub fn register_held(
    held: &mut MutexGuard<'static, Vec<(u64, PathBuf)>>,
    path: &Path,
) -> Registered {
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    held.push((id, path.to_path_buf()));
    Registered(id)
}

/// Registers `path`.
pub fn register(path: &Path) -> Registered {
    register_held(&mut hold(), path)
}

impl Drop for Registered {
    fn drop(&mut self) {
        hold().retain(|(id, _)| *id != self.0);
    }
}

/// Installs the handler for Ctrl-C, SIGTERM and SIGHUP (once; later calls do nothing). Without
/// it, an interrupt still leaves no partial results, only hidden leftovers that the next command
/// on the folder removes.
pub fn install() {
    INSTALL.call_once(|| {
        // A second handler (a host program's) keeps its own; exodus then relies on the sweep of
        // leftovers by the next command.
        let _ = ctrlc::set_handler(interrupted);
    });
}

/// Removes every registered path, reports, and exits.
fn interrupted() {
    let held = hold();
    let mut removed = 0;
    for (_, path) in held.iter() {
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    eprintln!(
        "\nexodus: interrupted; removed {removed} temporary file(s) or folder(s) being written; results already in place, and finished points or replicates stored for resuming, are kept"
    );
    // Exit while holding the lock: nothing new can be registered (or created) after the cleaning.
    std::process::exit(INTERRUPTED);
}
