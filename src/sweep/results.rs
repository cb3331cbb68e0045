//! A sweep's results folder: `sweep.json` (the manifest), `results.csv` (one row per point,
//! replicate and outcome, appended a window of points at a time, in point order),
//! `failures.csv` (points that could not run, with their error) and, for a shard,
//! `shard.json`.
//!
//! `Store::open` reads what a folder holds: it refuses results of other inputs, keeps the whole
//! points at the head of `results.csv` (checking that each row is the design's point, replicate
//! and outcome in order), and cuts what follows the first point that is not whole (a run killed
//! mid-write leaves at most its last line cut). The sweep then runs from that point on.

use std::fs::OpenOptions;
use std::io::{BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::app::AppError;
use crate::output::{self, OutputError};

use super::{Manifest, Setup, Shard};

pub const MANIFEST: &str = "sweep.json";
pub const RESULTS: &str = "results.csv";
pub const FAILURES: &str = "failures.csv";
pub const SHARD: &str = "shard.json";

/// A sweep folder that cannot be read: the file and what is wrong (with its line).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ReadError {
    pub path: PathBuf,
    pub message: String,
}

impl Manifest {
    /// Reads `sweep.json` of the sweep folder `dir`.
    pub fn read(dir: &Path) -> Result<Manifest, ReadError> {
        let path = dir.join(MANIFEST);
        let error = |message: String| ReadError {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            error(format!(
                "cannot be read ({e}); is {} a folder written by `exodus sweep`?",
                dir.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| error(e.to_string()))
    }
}

/// A finished sweep's points: each point's parameter values and, per outcome, the mean and
/// variance of its replicates' values. Both are NaN where a replicate lacks the value or the
/// point has no rows (a failed point); the variance is NaN with one replicate.
pub struct PointTable {
    /// x[point][parameter].
    pub x: Vec<Vec<f64>>,
    /// mean[outcome][point].
    pub mean: Vec<Vec<f64>>,
    /// var[outcome][point] (unbiased).
    pub var: Vec<Vec<f64>>,
}

impl PointTable {
    /// Reads `results.csv` of the sweep folder `dir` described by `m`.
    pub fn read(dir: &Path, m: &Manifest) -> Result<PointTable, ReadError> {
        let path = dir.join(RESULTS);
        let error = |message: String| ReadError {
            path: path.clone(),
            message,
        };
        let (k, d) = (m.outcomes.len(), m.parameter_paths().len());
        let index: std::collections::HashMap<&str, usize> = m
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| (o.as_str(), i))
            .collect();
        let mut x = vec![vec![f64::NAN; d]; m.points];
        // Welford's running mean and sum of squared deviations, per outcome and point.
        let mut run_mean = vec![vec![0.0; m.points]; k];
        let mut m2 = vec![vec![0.0; m.points]; k];
        let mut count = vec![vec![0u32; m.points]; k];
        let mut rdr = csv::Reader::from_path(&path).map_err(|e| error(e.to_string()))?;
        let mut rec = csv::StringRecord::new();
        loop {
            let line = rdr.position().line();
            let bad = |what: &str| error(format!("line {line}: {what}"));
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(bad(&e.to_string())),
            }
            if rec.len() != d + 5 {
                return Err(bad(&format!("{} fields, not {}", rec.len(), d + 5)));
            }
            let p: usize = rec[0]
                .parse()
                .ok()
                .filter(|&p| p < m.points)
                .ok_or_else(|| bad("the point is not a point of the sweep"))?;
            for (j, xj) in x[p].iter_mut().enumerate() {
                *xj = rec[3 + j]
                    .parse()
                    .map_err(|_| bad("a parameter value is not a number"))?;
            }
            let o = *index
                .get(&rec[3 + d])
                .ok_or_else(|| bad("the outcome is not one of sweep.json's"))?;
            if !rec[4 + d].is_empty() {
                let v: f64 = rec[4 + d]
                    .parse()
                    .map_err(|_| bad("the value is not a number"))?;
                count[o][p] += 1;
                let delta = v - run_mean[o][p];
                run_mean[o][p] += delta / f64::from(count[o][p]);
                m2[o][p] += delta * (v - run_mean[o][p]);
            }
        }
        let reps = m.replicates;
        let mut mean = vec![vec![f64::NAN; m.points]; k];
        let mut var = vec![vec![f64::NAN; m.points]; k];
        for o in 0..k {
            for p in 0..m.points {
                let n = count[o][p];
                if n == reps {
                    mean[o][p] = run_mean[o][p];
                    if n > 1 {
                        var[o][p] = m2[o][p] / f64::from(n - 1);
                    }
                }
            }
        }
        Ok(PointTable { x, mean, var })
    }
}

/// The rows of `failures.csv` in the sweep folder `dir` (none when there is no such file):
/// each failed point and the row's fields (point, parameter values, error).
pub fn read_failures(dir: &Path) -> Result<Vec<(usize, Vec<String>)>, ReadError> {
    let path = dir.join(FAILURES);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let error = |message: String| ReadError {
        path: path.clone(),
        message,
    };
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| error(e.to_string()))?;
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| error(format!("line {}: {e}", i + 2)))?;
        let p = rec
            .get(0)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| error(format!("line {}: no point number", i + 2)))?;
        rows.push((p, rec.iter().map(String::from).collect()));
    }
    Ok(rows)
}

/// One point's outcome: every replicate's values (replicate-major), or why it failed.
#[derive(Debug, Clone)]
pub struct PointResult {
    pub point: usize,
    pub x: Vec<f64>,
    pub values: Result<Vec<Vec<f64>>, String>,
}

/// A number as written in the results: the shortest text that reads back to the same bits;
/// empty for a value a run does not define.
pub fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// The columns of results.csv.
pub fn results_header(paths: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ["point", "replicate", "seed"].map(String::from).to_vec();
    h.extend(paths.iter().cloned());
    h.extend(["outcome", "value"].map(String::from));
    h
}

/// The columns of failures.csv.
pub fn failures_header(paths: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(paths.iter().cloned());
    h.push("error".to_string());
    h
}

/// CSV text of rows (quoted where needed).
fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        // Text cells (names, messages) are defused; numbers are written as they are.
        let row = row.iter().map(|c| {
            if c.parse::<f64>().is_ok() {
                std::borrow::Cow::Borrowed(c.as_str())
            } else {
                crate::output::text::csv_cell(c)
            }
        });
        // Writing to memory cannot fail.
        let _ = w.write_record(row.map(|c| c.into_owned()));
    }
    w.into_inner().unwrap_or_default()
}

/// The rows of one point in results.csv.
pub fn point_rows(r: &PointResult, seed: u64, labels: &[String]) -> Vec<Vec<String>> {
    let head = |rep: usize| {
        let mut row = vec![r.point.to_string(), rep.to_string(), seed.to_string()];
        row.extend(r.x.iter().map(|&v| number(v)));
        row
    };
    let mut rows = Vec::new();
    for (rep, values) in r.values.iter().flatten().enumerate() {
        for (label, &v) in labels.iter().zip(values) {
            let mut row = head(rep);
            row.push(label.clone());
            row.push(number(v));
            rows.push(row);
        }
    }
    rows
}

/// The failure row of a point.
pub fn failure_row(point: usize, x: &[f64], error: &str) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(x.iter().map(|&v| number(v)));
    row.push(error.to_string());
    row
}

/// What a results folder holds, and the writer that goes on from there.
pub struct Store {
    /// Every point of the sweep (or shard) before this one is in results.csv or failures.csv;
    /// none after it is.
    pub frontier: usize,
    /// Rows of an unfinished window cut from the end of results.csv.
    pub dropped_rows: u64,
    /// Failures found in the folder on opening (kept, not rerun).
    pub earlier_failures: Vec<(usize, String)>,
    pub writer: Writer,
}

/// The most points a window holds (4 per thread, at most 1,024 threads): the most rows a
/// killed sweep can leave after its last whole point is this many points' rows.
pub const MAX_WINDOW: usize = 4096;

/// Appends windows of points to results.csv and failures.csv.
pub struct Writer {
    results: std::fs::File,
    failures_path: PathBuf,
    failures: Option<std::fs::File>,
    results_path: PathBuf,
    header_failures: Vec<String>,
    seed: u64,
    labels: Vec<String>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> AppError + '_ {
    move |source| {
        AppError::Output(OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn refuse(out: &Path, why: String) -> AppError {
    AppError::Input(format!(
        "{}: {why}; use --fresh to start over (the folder's results are then deleted), or another --out",
        out.display()
    ))
}

impl Store {
    /// Opens the folder `out` for the sweep `setup` (a shard of it, if `shard`), resuming what
    /// it holds unless `fresh`.
    pub fn open(
        out: &Path,
        setup: &Setup,
        manifest: &Manifest,
        shard: Option<Shard>,
        fresh: bool,
    ) -> Result<Store, AppError> {
        let results_path = out.join(RESULTS);
        let failures_path = out.join(FAILURES);
        let manifest_path = out.join(MANIFEST);
        let shard_path = out.join(SHARD);
        if fresh {
            for p in [&results_path, &failures_path, &manifest_path, &shard_path] {
                match std::fs::remove_file(p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io(p)(e));
                    }
                    _ => {}
                }
            }
        }
        let paths = manifest.parameter_paths();
        let total = manifest.points;
        let mut earlier_failures = Vec::new();
        let old: Option<Manifest> = match std::fs::read_to_string(&manifest_path) {
            Ok(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| refuse(out, format!("{MANIFEST} cannot be read ({e})")))?,
            ),
            Err(_) => None,
        };
        match &old {
            None if results_path.exists() || failures_path.exists() => {
                return Err(refuse(
                    out,
                    format!(
                        "holds {RESULTS} or {FAILURES} but no {MANIFEST}, so it cannot be resumed"
                    ),
                ));
            }
            None => {}
            Some(old) => {
                if old.fingerprint != manifest.fingerprint {
                    return Err(refuse(
                        out,
                        "holds a sweep of other inputs (scenario, parameters, design, replicates, outcomes or exodus version changed)".into(),
                    ));
                }
                if old.points > total {
                    return Err(refuse(
                        out,
                        format!(
                            "holds a sweep of {} points, more than this one's {total}",
                            old.points
                        ),
                    ));
                }
                let old_shard: Option<Shard> = std::fs::read_to_string(&shard_path)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
                if old_shard != shard {
                    let name = |s: Option<Shard>| {
                        s.map_or("the whole sweep".to_string(), |s| {
                            format!("shard {}/{}", s.index, s.count)
                        })
                    };
                    return Err(refuse(
                        out,
                        format!("holds {}, not {}", name(old_shard), name(shard)),
                    ));
                }
            }
        }
        let asked = shard;
        let shard = shard.unwrap_or(Shard { index: 0, count: 1 });
        // Failures first: the points they name are done.
        let mut failures = read_failures(out).map_err(|e| refuse(out, e.to_string()))?;
        failures.retain(|(p, _)| *p < total && shard.contains(*p));
        let failed: std::collections::BTreeSet<usize> = failures.iter().map(|f| f.0).collect();
        let labels = &setup.outcomes.labels;
        let reps = setup.sweep.replicates as usize;
        let per_point = reps * labels.len();
        let header = results_header(&paths);
        // The head of results.csv that holds whole points in order.
        let mut keep_bytes: Option<u64> = None;
        let mut dropped_rows = 0;
        let mut frontier = 0usize;
        if results_path.exists() {
            // Only whole lines are read: a line without its newline was cut by a kill, and a
            // cut value ("13" cut to "1") would still read as a number.
            let whole = whole_lines_len(&results_path)?;
            let file = std::fs::File::open(&results_path).map_err(io(&results_path))?;
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(BufReader::new(file.take(whole)));
            let got: Vec<String> = rdr
                .headers()
                .map(|h| h.iter().map(String::from).collect())
                .unwrap_or_default();
            if got != header {
                return Err(refuse(
                    out,
                    format!(
                        "{RESULTS}'s columns are not this sweep's ({})",
                        header.join(",")
                    ),
                ));
            }
            let mut design = setup
                .points()
                .enumerate()
                .filter(|(p, _)| shard.contains(*p));
            let mut expect = design.next();
            let mut row_in_point = 0usize;
            let mut point_start = rdr.position().byte();
            let mut xs: Vec<String> = Vec::new();
            let mut record = csv::StringRecord::new();
            loop {
                // Skip the failed points: they have no rows.
                while let Some((p, _)) = &expect
                    && row_in_point == 0
                    && failed.contains(p)
                {
                    expect = design.next();
                }
                let Some((p, x)) = &expect else { break };
                if row_in_point == 0 {
                    point_start = rdr.position().byte();
                    xs = x.iter().map(|&v| number(v)).collect();
                }
                let at = rdr.position().line();
                match rdr.read_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) | Err(_) => break,
                }
                let (rep, k) = (row_in_point / labels.len(), row_in_point % labels.len());
                let fields: Vec<&str> = record.iter().collect();
                let want_head = [p.to_string(), rep.to_string(), setup.run_seed.to_string()];
                let ok = fields.len() == header.len()
                    && fields[..3] == want_head.iter().map(String::as_str).collect::<Vec<_>>()[..]
                    && fields[3 + xs.len()] == labels[k]
                    && (fields[4 + xs.len()].is_empty()
                        || fields[4 + xs.len()].parse::<f64>().is_ok());
                if !ok {
                    break;
                }
                if fields[3..3 + xs.len()] != xs.iter().map(String::as_str).collect::<Vec<_>>()[..]
                {
                    return Err(refuse(
                        out,
                        format!(
                            "{RESULTS} line {at}: point {p}'s parameter values are not the design's ({})",
                            xs.join(", ")
                        ),
                    ));
                }
                row_in_point += 1;
                if row_in_point == per_point {
                    row_in_point = 0;
                    frontier = *p + 1;
                    expect = design.next();
                }
            }
            // Everything from the first point that is not whole is cut: from the start of the
            // point expected next, or, when the design's points are all there, from the end of
            // the last.
            let cut_at = if expect.is_some() {
                point_start
            } else {
                rdr.position().byte()
            };
            keep_bytes = Some(cut_at);
            dropped_rows = check_tail(&results_path, cut_at, (MAX_WINDOW * per_point) as u64, out)?;
        }
        // The failed points right after the last whole one are done too, up to the first point
        // that is neither.
        for p in (frontier..total).filter(|p| shard.contains(*p)) {
            if failed.contains(&p) {
                frontier = p + 1;
            } else {
                break;
            }
        }
        // Results past the frontier are cut (their point runs again); so are failures.
        if let Some(len) = keep_bytes {
            let f = OpenOptions::new()
                .write(true)
                .open(&results_path)
                .map_err(io(&results_path))?;
            f.set_len(len).map_err(io(&results_path))?;
            f.sync_all().map_err(io(&results_path))?;
        }
        failures.retain(|(p, _)| *p < frontier);
        for (p, row) in &failures {
            earlier_failures.push((*p, row.last().cloned().unwrap_or_default()));
        }
        // The kept failures are rewritten as they were (atomically); an empty list leaves no
        // file.
        let header_failures = failures_header(&paths);
        if failures_path.exists() {
            if failures.is_empty() {
                std::fs::remove_file(&failures_path).map_err(io(&failures_path))?;
            } else {
                let mut bytes = csv_bytes([header_failures.clone()]);
                bytes.extend(csv_bytes(failures.iter().map(|(_, r)| r.clone())));
                output::atomic::write(&failures_path, &bytes)?;
            }
        }
        // Written before any run, so that a killed sweep can be resumed.
        output::json::write(&manifest_path, manifest)?;
        if let Some(s) = asked {
            output::json::write(&shard_path, &s)?;
        }
        let mut results = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&results_path)
            .map_err(io(&results_path))?;
        let len = results
            .seek(std::io::SeekFrom::End(0))
            .map_err(io(&results_path))?;
        if len == 0 {
            results
                .write_all(&csv_bytes([header]))
                .map_err(io(&results_path))?;
        }
        let failures_file = if failures_path.exists() {
            Some(
                OpenOptions::new()
                    .append(true)
                    .open(&failures_path)
                    .map_err(io(&failures_path))?,
            )
        } else {
            None
        };
        Ok(Store {
            frontier,
            dropped_rows,
            earlier_failures,
            writer: Writer {
                results,
                results_path,
                failures_path,
                failures: failures_file,
                header_failures,
                seed: setup.run_seed,
                labels: labels.clone(),
            },
        })
    }
}

/// The number of lines of results.csv from byte `from` on (the rows of an unfinished window,
/// to be cut); refuses more than `most`: a file edited or damaged in the middle is not silently
/// shortened.
/// The length of `path` up to and including its last newline.
fn whole_lines_len(path: &Path) -> Result<u64, AppError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let len = f.metadata().map_err(io(path))?.len();
    let mut end = len;
    let mut buf = vec![0u8; 1 << 12];
    while end > 0 {
        let from = end.saturating_sub(buf.len() as u64);
        let n = (end - from) as usize;
        f.seek(std::io::SeekFrom::Start(from)).map_err(io(path))?;
        f.read_exact(&mut buf[..n]).map_err(io(path))?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(from + i as u64 + 1);
        }
        end = from;
    }
    Ok(0)
}

fn check_tail(path: &Path, from: u64, most: u64, out: &Path) -> Result<u64, AppError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    f.seek(std::io::SeekFrom::Start(from)).map_err(io(path))?;
    let mut lines = 0u64;
    let mut last = b'\n';
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = buf[n - 1];
    }
    if last != b'\n' {
        lines += 1;
    }
    if lines > most {
        return Err(refuse(
            out,
            format!(
                "{RESULTS} has {lines} lines after its last whole point (byte {from}), more than one unfinished window leaves: it was edited or damaged"
            ),
        ));
    }
    Ok(lines)
}

impl Writer {
    /// Appends a window's points (in point order) and syncs them to disk.
    pub fn write_window(&mut self, window: &[PointResult]) -> Result<(), AppError> {
        let rows = window
            .iter()
            .filter(|r| r.values.is_ok())
            .flat_map(|r| point_rows(r, self.seed, &self.labels));
        let bytes = csv_bytes(rows);
        self.results
            .write_all(&bytes)
            .and_then(|_| self.results.sync_data())
            .map_err(io(&self.results_path))?;
        let failed: Vec<Vec<String>> = window
            .iter()
            .filter_map(|r| {
                r.values
                    .as_ref()
                    .err()
                    .map(|e| failure_row(r.point, &r.x, e))
            })
            .collect();
        if !failed.is_empty() {
            if self.failures.is_none() {
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.failures_path)
                    .map_err(io(&self.failures_path))?;
                f.write_all(&csv_bytes([self.header_failures.clone()]))
                    .map_err(io(&self.failures_path))?;
                self.failures = Some(f);
            }
            if let Some(f) = &mut self.failures {
                f.write_all(&csv_bytes(failed))
                    .and_then(|_| f.sync_data())
                    .map_err(io(&self.failures_path))?;
            }
        }
        Ok(())
    }

    /// The files written.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.results_path.clone()];
        if self.failures.is_some() {
            files.push(self.failures_path.clone());
        }
        files
    }
}

/// Points' results as bytes, for sending between processes (MPI ranks): numbers as their bits,
/// so what arrives is exactly what was computed (NaN included).
pub fn encode(results: &[PointResult]) -> Vec<u8> {
    let mut b = crate::output::binary::Put::default();
    b.len(results.len());
    for r in results {
        b.len(r.point);
        b.f64s(&r.x);
        match &r.values {
            Ok(reps) => {
                b.u8(0);
                b.len(reps.len());
                reps.iter().for_each(|v| b.f64s(v));
            }
            Err(e) => {
                b.u8(1);
                b.str(e);
            }
        }
    }
    b.0
}

/// Reads what [`encode`] wrote; `None` when the bytes are not such a message.
pub fn decode(bytes: &[u8]) -> Option<Vec<PointResult>> {
    let mut c = crate::output::binary::Take(bytes);
    let n = c.len(1)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let point = usize::try_from(c.u64()?).ok()?;
        let x = c.f64s()?;
        let values = match c.u8()? {
            0 => {
                let reps = c.len(8)?;
                Ok((0..reps).map(|_| c.f64s()).collect::<Option<Vec<_>>>()?)
            }
            1 => Err(c.str()?),
            _ => return None,
        };
        out.push(PointResult { point, x, values });
    }
    c.done().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_results_read_back_bit_for_bit() {
        let results = vec![
            PointResult {
                point: 7,
                x: vec![0.1, -2.5e-300],
                values: Ok(vec![
                    vec![1.0, f64::NAN, f64::INFINITY],
                    vec![0.3, 4.0, -0.0],
                ]),
            },
            PointResult {
                point: 9,
                x: vec![1.0, 2.0],
                values: Err("the run of replicate 1 failed: é".into()),
            },
        ];
        let back = decode(&encode(&results)).expect("decodes");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].point, 7);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back[0].x), bits(&results[0].x));
        let (a, b) = (back[0].values.as_ref(), results[0].values.as_ref());
        for (u, v) in a.unwrap().iter().zip(b.unwrap()) {
            assert_eq!(bits(u), bits(v));
        }
        assert_eq!(back[1].values, results[1].values);
        assert!(decode(&[]).is_none());
        let mut cut = encode(&results);
        cut.pop();
        assert!(decode(&cut).is_none(), "a cut message is refused");
        assert!(decode(&[255; 8]).is_none(), "a huge length is refused");
    }
}
