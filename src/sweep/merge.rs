//! `exodus merge DIR...`: puts the folders of a sweep's shards (`exodus sweep --shard I/N`)
//! together into the folder one process would have written, byte for byte: `sweep.json`,
//! `results.csv` with every point's rows in point order, and `failures.csv` if any point
//! failed. It checks that the shards are of one sweep, that every shard 0..N is there once and
//! that each is finished, and names what is missing.

use std::path::{Path, PathBuf};

use crate::app::AppError;
use crate::output;

use super::results::{
    FAILURES, MANIFEST, RESULTS, ReadError, SHARD, failures_header, read_failures, results_header,
};
use super::{Manifest, Shard};

struct Part {
    dir: PathBuf,
    manifest: Manifest,
    shard: Shard,
    failures: Vec<(usize, Vec<String>)>,
}

fn read_part(dir: &Path) -> Result<Part, AppError> {
    let unreadable = |e: ReadError| AppError::Input(e.to_string());
    let manifest = Manifest::read(dir).map_err(unreadable)?;
    let shard_path = dir.join(SHARD);
    let shard: Shard = match std::fs::read_to_string(&shard_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            AppError::Input(format!("{}: cannot be read ({e})", shard_path.display()))
        })?,
        // A folder without shard.json holds a whole sweep: shard 0 of 1.
        Err(_) => Shard { index: 0, count: 1 },
    };
    Ok(Part {
        dir: dir.to_path_buf(),
        manifest,
        shard,
        failures: read_failures(dir).map_err(unreadable)?,
    })
}

/// Where `exodus merge` writes when not told: the folder that holds every shard's folder
/// (where `exodus sweep --shard` puts them), if they share one.
pub fn default_out(dirs: &[PathBuf]) -> Option<PathBuf> {
    let mut parents = dirs.iter().map(|d| d.parent().unwrap_or(Path::new("")));
    let first = parents.next()?;
    (parents.all(|p| p == first) && !first.as_os_str().is_empty()).then(|| first.to_path_buf())
}

/// Short list of numbers: "3, 5, 9 and 12 more".
fn some(list: &[usize]) -> String {
    let head: Vec<String> = list.iter().take(8).map(|p| p.to_string()).collect();
    if list.len() > 8 {
        format!("{} and {} more", head.join(", "), list.len() - 8)
    } else {
        head.join(", ")
    }
}

/// Merges the shard folders `dirs` into `out`; returns the files written.
pub fn merge(dirs: &[PathBuf], out: &Path, plots: bool) -> Result<Vec<PathBuf>, AppError> {
    let bad = AppError::Input;
    let parts: Vec<Part> = dirs
        .iter()
        .map(|d| read_part(d))
        .collect::<Result<_, _>>()?;
    let first = &parts[0];
    let n = first.shard.count;
    for p in &parts[1..] {
        if p.manifest != first.manifest {
            return Err(bad(format!(
                "{} and {} hold different sweeps (their {MANIFEST} differ)",
                first.dir.display(),
                p.dir.display()
            )));
        }
        if p.shard.count != n {
            return Err(bad(format!(
                "{} is shard {} of {}, but {} is of {n}",
                p.dir.display(),
                p.shard.index,
                p.shard.count,
                first.dir.display()
            )));
        }
    }
    let mut by_index: Vec<Option<usize>> = vec![None; n];
    for (i, p) in parts.iter().enumerate() {
        if let Some(j) = by_index[p.shard.index] {
            return Err(bad(format!(
                "{} and {} are both shard {}/{n}",
                parts[j].dir.display(),
                p.dir.display(),
                p.shard.index
            )));
        }
        by_index[p.shard.index] = Some(i);
    }
    let missing: Vec<usize> = (0..n).filter(|&i| by_index[i].is_none()).collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "shard(s) {} of {n} are missing: give every shard's folder",
            some(&missing)
        )));
    }
    let m = &first.manifest;
    let total = m.points;
    let labels = &m.outcomes;
    let per_point = m.replicates as usize * labels.len();
    let paths = m.parameter_paths();
    let header = results_header(&paths);
    let mut readers: Vec<csv::Reader<std::fs::File>> = (0..n)
        .map(|i| {
            let path = parts[by_index[i].unwrap_or(0)].dir.join(RESULTS);
            let mut rdr = csv::Reader::from_path(&path)
                .map_err(|e| bad(format!("{}: {e}", path.display())))?;
            match rdr.headers() {
                Ok(h) if h.iter().eq(header.iter()) => Ok(rdr),
                _ => Err(bad(format!(
                    "{}: its columns are not the sweep's ({})",
                    path.display(),
                    header.join(",")
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    let failed: std::collections::BTreeMap<usize, &Vec<String>> = parts
        .iter()
        .flat_map(|p| p.failures.iter().map(|(i, r)| (*i, r)))
        .collect();
    let _lock = output::lock_dir(out)?;
    let results_path = out.join(RESULTS);
    let file = output::atomic::AtomicFile::create(&results_path)?;
    let mut w = csv::WriterBuilder::new().from_writer(file);
    let io = |e: std::io::Error| {
        AppError::Output(output::OutputError::Io {
            path: results_path.clone(),
            source: e,
        })
    };
    w.write_record(&header).map_err(|e| bad(e.to_string()))?;
    // Points with no (or not all) rows; a shard is read no further after its first.
    let mut unfinished: Vec<usize> = Vec::new();
    let mut stopped = vec![false; n];
    let mut record = csv::StringRecord::new();
    for p in 0..total {
        if failed.contains_key(&p) {
            continue;
        }
        let s = p % n;
        if stopped[s] {
            unfinished.push(p);
            continue;
        }
        let want = p.to_string();
        for _ in 0..per_point {
            let ok = readers[s].read_record(&mut record).unwrap_or(false)
                && record.get(0) == Some(want.as_str());
            if !ok {
                stopped[s] = true;
                unfinished.push(p);
                break;
            }
            w.write_record(&record).map_err(|e| bad(e.to_string()))?;
        }
    }
    if !unfinished.is_empty() {
        return Err(bad(format!(
            "the shards are not finished: point(s) {} have no results (rerun their shards' `exodus sweep --shard` to finish them)",
            some(&unfinished)
        )));
    }
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    let mut files = vec![file.commit()?];
    if !failed.is_empty() {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(failures_header(&paths))
            .map_err(|e| bad(e.to_string()))?;
        for rec in failed.values() {
            w.write_record(*rec).map_err(|e| bad(e.to_string()))?;
        }
        let bytes = w.into_inner().map_err(|e| bad(e.to_string()))?;
        files.push(output::atomic::write(&out.join(FAILURES), &bytes)?);
    }
    files.push(output::json::write(&out.join(MANIFEST), m)?);
    if plots {
        files.extend(crate::plot::sweep::plot_sweep(out, out)?);
    }
    Ok(files)
}
