//! Fuzzes the results readers of `plot` and `report` with any daily.csv in an otherwise valid
//! results folder (made once, by running `exodus::fuzzing::SCENARIO`).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

static FOLDER: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();

fn folder() -> &'static PathBuf {
    &FOLDER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let out = exodus::fuzzing::results_folder(dir.path()).expect("a results folder");
            (dir, out)
        })
        .1
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = exodus::fuzzing::results(folder(), "daily.csv", data);
});
