//! `exodus merge DIR...`: puts the folders of a sweep's shards (`exodus sweep --shard I/N`)
//! together into the folder one process would have written, byte for byte: `sweep.json`,
//! `results.csv` with every point's rows in point order, and `failures.csv` if any point
//! failed. It checks that the shards are of one sweep, that every shard 0..N is there once and
//! that each is finished, and names what is missing.

use std::path::{Path, PathBuf};

use crate::app::AppError;
use crate::output;

use super::results::{FAILURES, MANIFEST, RESULTS, SHARD};
use super::{Manifest, Shard};

/// Why shards cannot be merged (exit code 2: the folders given are not a whole sweep).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

struct Part {
    dir: PathBuf,
    manifest: Manifest,
    shard: Shard,
    failures: Vec<(usize, csv::StringRecord)>,
}

fn read_part(dir: &Path) -> Result<Part, MergeError> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| {
            MergeError(format!(
                "{}: cannot read {name} ({e}); is it a folder written by `exodus sweep --shard`?",
                dir.display()
            ))
        })
    };
    let manifest: Manifest = serde_json::from_str(&read(MANIFEST)?).map_err(|e| {
        MergeError(format!(
            "{}: {MANIFEST} cannot be read ({e})",
            dir.display()
        ))
    })?;
    let shard: Shard = match dir.join(SHARD).exists() {
        true => serde_json::from_str(&read(SHARD)?)
            .map_err(|e| MergeError(format!("{}: {SHARD} cannot be read ({e})", dir.display())))?,
        false => Shard { index: 0, count: 1 },
    };
    let mut failures = Vec::new();
    let path = dir.join(FAILURES);
    if path.exists() {
        let mut rdr = csv::Reader::from_path(&path)
            .map_err(|e| MergeError(format!("{}: {e}", path.display())))?;
        for rec in rdr.records() {
            let rec = rec.map_err(|e| MergeError(format!("{}: {e}", path.display())))?;
            let p = rec
                .get(0)
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| {
                    MergeError(format!("{}: a row without a point number", path.display()))
                })?;
            failures.push((p, rec));
        }
    }
    Ok(Part {
        dir: dir.to_path_buf(),
        manifest,
        shard,
        failures,
    })
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
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.0))?;
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
    let mut readers: Vec<csv::Reader<std::fs::File>> = (0..n)
        .map(|i| {
            let path = parts[by_index[i].unwrap_or(0)].dir.join(RESULTS);
            csv::Reader::from_path(&path).map_err(|e| bad(format!("{}: {e}", path.display())))
        })
        .collect::<Result<_, _>>()?;
    let headers: Vec<csv::StringRecord> = readers
        .iter_mut()
        .map(|r| r.headers().cloned().unwrap_or_default())
        .collect();
    let failed: std::collections::BTreeMap<usize, &csv::StringRecord> = parts
        .iter()
        .flat_map(|p| p.failures.iter().map(|(i, r)| (*i, r)))
        .collect();
    output::create_dir(out)?;
    let results_path = out.join(RESULTS);
    let file = output::atomic::AtomicFile::create(&results_path)?;
    let mut w = csv::WriterBuilder::new().from_writer(file);
    let io = |e: std::io::Error| {
        AppError::Output(output::OutputError::Io {
            path: results_path.clone(),
            source: e,
        })
    };
    w.write_record(&headers[0])
        .map_err(|e| bad(e.to_string()))?;
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
        let header = csv::Reader::from_path(parts[0].dir.join(FAILURES))
            .ok()
            .or_else(|| {
                parts
                    .iter()
                    .find_map(|p| csv::Reader::from_path(p.dir.join(FAILURES)).ok())
            })
            .and_then(|mut r| r.headers().ok().cloned())
            .unwrap_or_default();
        w.write_record(&header).map_err(|e| bad(e.to_string()))?;
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
