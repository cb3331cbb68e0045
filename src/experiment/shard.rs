//! Shards of `exodus run --replicates R` and `exodus compare` (`--shard I/N`): shard I runs the
//! replicates r with r mod N = I and keeps, in its own folder, every day record of each run
//! (`records.bin`, exact numbers) with `shard.json` (what was run, as a one-process run would
//! run it). `exodus merge` reads the shards' replicates back in replicate order and writes the
//! files one process writes, from the same code and in the same order, so they are byte for
//! byte the same. A shard appends each replicate as it finishes (synced), so a stopped shard
//! resumes without redoing finished replicates.

use std::fs::OpenOptions;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::metrics::{DayRecord, Metric};
use crate::output::binary::{Put, Take};
use crate::output::{self, OutputError};
use crate::sweep::Shard;

pub const SHARD: &str = "shard.json";
pub const RECORDS: &str = "records.bin";

/// Which command a shard is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Run,
    Compare,
}

/// `shard.json`: a shard's place and everything its replicates depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: Kind,
    pub index: usize,
    pub count: usize,
    pub exodus_version: String,
    /// The command line with `--shard` taken out: what one process would have been given.
    pub command_line: Vec<String>,
    /// Worker threads of the shard's process (results do not depend on it).
    pub threads: usize,
    /// Scenario files as given.
    pub scenario_files: Vec<String>,
    /// Each scenario as it runs (resolved TOML, every override applied).
    pub scenarios: Vec<String>,
    /// Scenario labels (compare).
    pub labels: Vec<String>,
    /// The comparison's name and description (compare; empty in shards of earlier versions).
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub replicates: u32,
    pub band: [f64; 2],
    /// Index of the baseline (compare).
    pub baseline: usize,
    /// Days at which outcomes are reported, as (day, date) (compare).
    pub dates: Vec<(usize, String)>,
    /// Days every scenario runs (compare: the fewest).
    pub days: usize,
    /// Each scenario its own seed (compare --independent).
    pub independent: bool,
    /// Master seed.
    pub seed: u64,
    /// A hash of everything above but the shard's index, command line and threads: shards with the same
    /// fingerprint and count merge.
    pub fingerprint: String,
}

impl Manifest {
    /// Fills in the fingerprint.
    pub fn sealed(mut self) -> Manifest {
        let mut key = self.clone();
        key.index = 0;
        key.command_line.clear();
        key.threads = 0;
        key.fingerprint.clear();
        self.fingerprint =
            crate::calibrate::fingerprint(&serde_json::to_string(&key).unwrap_or_default());
        self
    }

    pub fn shard(&self) -> Shard {
        Shard {
            index: self.index,
            count: self.count,
        }
    }

    /// The replicates of this shard, in order.
    pub fn own_replicates(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.replicates).filter(|&r| r as usize % self.count == self.index)
    }

    pub fn read(dir: &Path) -> Result<Manifest, AppError> {
        let path = dir.join(SHARD);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            AppError::Input(format!(
                "{}: cannot be read ({e}); is {} a shard folder of `exodus run` or `exodus compare --shard`?",
                path.display(),
                dir.display()
            ))
        })?;
        serde_json::from_str(&text)
            .map_err(|e| AppError::Input(format!("{}: cannot be read ({e})", path.display())))
    }
}

/// The command line without `--shard I/N` (or `--shard=I/N`).
pub fn without_shard(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--shard" {
            skip = true;
        } else if !a.starts_with("--shard=") {
            out.push(a.clone());
        }
    }
    out
}

/// One scenario's run of a replicate: its day records and what `run.json` and `summary.json`
/// need besides.
#[derive(Debug, Clone)]
pub struct Run {
    pub initial: Vec<u64>,
    pub build_seconds: f64,
    pub simulate_seconds: f64,
    pub records: Vec<DayRecord>,
}

fn put_record(p: &mut Put, r: &DayRecord) {
    p.u64(u64::from(r.day));
    p.len(r.values.len());
    for row in &r.values {
        for v in row {
            match v {
                Some(x) => {
                    p.u8(1);
                    p.f64(*x);
                }
                None => p.u8(0),
            }
        }
    }
    for v in [
        &r.flows,
        &r.by_class,
        &r.trying_by_class,
        &r.by_segment,
        &r.trying_by_segment,
    ] {
        p.f64s(v);
    }
    p.f64(r.newcomer_installs);
    p.f64(r.buzz);
}

fn take_record(t: &mut Take) -> Option<DayRecord> {
    let day = u32::try_from(t.u64()?).ok()?;
    let rows = t.len(Metric::ALL.len())?;
    let mut values = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut row = [None; Metric::ALL.len()];
        for v in row.iter_mut() {
            *v = match t.u8()? {
                0 => None,
                1 => Some(t.f64()?),
                _ => return None,
            };
        }
        values.push(row);
    }
    Some(DayRecord {
        day,
        values,
        flows: t.f64s()?,
        by_class: t.f64s()?,
        trying_by_class: t.f64s()?,
        by_segment: t.f64s()?,
        trying_by_segment: t.f64s()?,
        newcomer_installs: t.f64()?,
        buzz: t.f64()?,
    })
}

/// One replicate's runs (one per scenario) as an entry of `records.bin`: its length, then the
/// replicate and each run.
pub fn encode(replicate: u32, runs: &[Run]) -> Vec<u8> {
    let mut p = Put::default();
    p.u64(u64::from(replicate));
    p.len(runs.len());
    for run in runs {
        p.u64s(&run.initial);
        p.f64(run.build_seconds);
        p.f64(run.simulate_seconds);
        p.len(run.records.len());
        run.records.iter().for_each(|r| put_record(&mut p, r));
    }
    let mut entry = Put::default();
    entry.len(p.0.len());
    entry.0.extend_from_slice(&p.0);
    entry.0
}

fn decode(payload: &[u8]) -> Option<(u32, Vec<Run>)> {
    let mut t = Take(payload);
    let replicate = u32::try_from(t.u64()?).ok()?;
    let n = t.len(8)?;
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        let initial = t.u64s()?;
        let build_seconds = t.f64()?;
        let simulate_seconds = t.f64()?;
        let days = t.len(8)?;
        let records = (0..days)
            .map(|_| take_record(&mut t))
            .collect::<Option<Vec<_>>>()?;
        runs.push(Run {
            initial,
            build_seconds,
            simulate_seconds,
            records,
        });
    }
    t.done().then_some((replicate, runs))
}

/// Reads `records.bin` entry by entry.
pub struct Reader {
    path: PathBuf,
    file: BufReader<std::fs::File>,
    /// The file's length: no entry can be longer than what is left of it.
    len: u64,
    /// Bytes of whole entries read so far.
    pub offset: u64,
}

impl Reader {
    pub fn open(dir: &Path) -> Result<Reader, AppError> {
        let path = dir.join(RECORDS);
        let io = |source| {
            AppError::Output(OutputError::Io {
                path: path.clone(),
                source,
            })
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(Reader {
            path,
            file: BufReader::new(file),
            len,
            offset: 0,
        })
    }

    /// The next whole entry; `Ok(None)` at the end or at a cut entry (a shard killed while
    /// writing it), an error for bytes that are not entries.
    pub fn next_entry(&mut self) -> Result<Option<(u32, Vec<Run>)>, AppError> {
        let mut len = [0u8; 8];
        if self.file.read_exact(&mut len).is_err() {
            return Ok(None);
        }
        // A length past the end of the file is a cut (or damaged) entry, never an allocation.
        let n = u64::from_le_bytes(len);
        if n > self.len.saturating_sub(self.offset + 8) {
            return Ok(None);
        }
        let mut payload = vec![0u8; n as usize];
        if self.file.read_exact(&mut payload).is_err() {
            return Ok(None);
        }
        let entry = decode(&payload).ok_or_else(|| {
            AppError::Input(format!(
                "{}: the entry at byte {} cannot be read (the file is damaged)",
                self.path.display(),
                self.offset
            ))
        })?;
        self.offset += 8 + n;
        Ok(Some(entry))
    }
}

/// A shard's folder, opened to run: the replicates already there (kept) and the file to append
/// the others to.
pub struct Store {
    pub done: Vec<u32>,
    /// The folder held a shard of other inputs, now discarded (as `exodus run` replaces the
    /// results in its folder).
    pub replaced: bool,
    file: std::fs::File,
    path: PathBuf,
}

impl Store {
    /// Opens `dir` for the shard `manifest`, resuming the replicates it holds; a folder of
    /// another shard or other inputs is started over.
    pub fn open(dir: &Path, manifest: &Manifest) -> Result<Store, AppError> {
        output::create_dir(dir)?;
        let records = dir.join(RECORDS);
        let shard_path = dir.join(SHARD);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AppError::Output(OutputError::Io { path, source })
        };
        let mut done = Vec::new();
        let mut keep = 0u64;
        let old = shard_path
            .exists()
            .then(|| Manifest::read(dir))
            .transpose()
            .ok()
            .flatten();
        let same = old.as_ref().is_some_and(|o| {
            o.fingerprint == manifest.fingerprint
                && o.index == manifest.index
                && o.count == manifest.count
        });
        let replaced = records.exists() && !same;
        if same && records.exists() {
            let mut reader = Reader::open(dir)?;
            let mut expect = manifest.own_replicates();
            // Whole entries of this shard's replicates, in order, are kept; anything after
            // the first that is not (a cut entry, damage) runs again.
            while let Ok(Some((r, _))) = reader.next_entry() {
                if Some(r) != expect.next() {
                    break;
                }
                done.push(r);
                keep = reader.offset;
            }
        }
        crate::output::json::write(&shard_path, manifest)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&records)
            .map_err(io(&records))?;
        // A cut last entry is dropped; its replicate runs again.
        file.set_len(keep).map_err(io(&records))?;
        Ok(Store {
            done,
            replaced,
            file,
            path: records,
        })
    }

    /// Appends a replicate's runs and syncs them to disk.
    pub fn append(&mut self, replicate: u32, runs: &[Run]) -> Result<(), AppError> {
        self.file
            .write_all(&encode(replicate, runs))
            .and_then(|_| self.file.sync_data())
            .map_err(|source| {
                AppError::Output(OutputError::Io {
                    path: self.path.clone(),
                    source,
                })
            })
    }
}

/// The shards of one run or comparison, checked whole, and read back in replicate order.
pub struct Shards {
    pub manifest: Manifest,
    readers: Vec<Reader>,
}

impl Shards {
    /// Checks that `dirs` are the N shards of one run or comparison, each finished; names what
    /// is missing.
    pub fn open(dirs: &[PathBuf]) -> Result<Shards, AppError> {
        let bad = AppError::Input;
        let manifests: Vec<Manifest> = dirs
            .iter()
            .map(|d| Manifest::read(d))
            .collect::<Result<_, _>>()?;
        let first = &manifests[0];
        let n = first.count;
        let mut at: Vec<Option<usize>> = vec![None; n];
        for (i, m) in manifests.iter().enumerate() {
            if m.fingerprint != first.fingerprint || m.count != n || m.kind != first.kind {
                return Err(bad(format!(
                    "{} and {} are not shards of one {} (their {SHARD} differ: scenario, replicates, band, dates, shard count or exodus version)",
                    dirs[0].display(),
                    dirs[i].display(),
                    if first.kind == Kind::Run {
                        "run"
                    } else {
                        "comparison"
                    }
                )));
            }
            if let Some(j) = at[m.index] {
                return Err(bad(format!(
                    "{} and {} are both shard {} of {n}",
                    dirs[j].display(),
                    dirs[i].display(),
                    m.index
                )));
            }
            at[m.index] = Some(i);
        }
        let missing: Vec<String> = (0..n)
            .filter(|&i| at[i].is_none())
            .map(|i| format!("{i}/{n}"))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "shard(s) {} missing: give every shard's folder (run them with --shard I/{n})",
                missing.join(", ")
            )));
        }
        let mut readers = Vec::with_capacity(n);
        for (i, slot) in at.iter().enumerate() {
            let j = slot.unwrap_or(i);
            let m = &manifests[j];
            // Every replicate of the shard must be there.
            let mut reader = Reader::open(&dirs[j])?;
            let mut have = 0usize;
            while reader.next_entry()?.is_some() {
                have += 1;
            }
            let want = m.own_replicates().count();
            if have < want {
                return Err(bad(format!(
                    "{} (shard {i}/{n}) has {have} of its {want} replicates: run it again to finish it",
                    dirs[j].display()
                )));
            }
            readers.push(Reader::open(&dirs[j])?);
        }
        Ok(Shards {
            manifest: manifests[at[0].unwrap_or(0)].clone(),
            readers,
        })
    }

    /// Replicate `r`'s runs (replicates must be asked for in order).
    pub fn replicate(&mut self, r: u32) -> Result<Vec<Run>, AppError> {
        let n = self.manifest.count;
        let reader = &mut self.readers[r as usize % n];
        match reader.next_entry()? {
            Some((got, runs)) if got == r => Ok(runs),
            _ => Err(AppError::Input(format!(
                "{}: replicate {r} is not where it should be",
                reader.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_exactly_and_shard_flags_are_taken_out() {
        let mut values = vec![[None; Metric::ALL.len()]; 2];
        values[0][0] = Some(1.5);
        values[1][3] = Some(f64::NAN);
        let rec = DayRecord {
            day: 4,
            values,
            flows: vec![0.0, -0.0, 3.25],
            by_class: vec![],
            trying_by_class: vec![1.0],
            by_segment: vec![2.0],
            trying_by_segment: vec![],
            newcomer_installs: 7.0,
            buzz: 0.1,
        };
        let run = Run {
            initial: vec![10, 20],
            build_seconds: 0.5,
            simulate_seconds: 1.5,
            records: vec![rec.clone(), rec.clone()],
        };
        let bytes = encode(3, std::slice::from_ref(&run));
        let (r, runs) = decode(&bytes[8..]).expect("decodes");
        assert_eq!(r, 3);
        assert_eq!(runs[0].initial, vec![10, 20]);
        let back = &runs[0].records[1];
        assert_eq!(back.day, 4);
        assert_eq!(back.values[0][0], Some(1.5));
        assert!(back.values[1][3].is_some_and(f64::is_nan));
        assert_eq!(back.flows[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(back.trying_by_class, vec![1.0]);
        assert!(decode(&bytes[8..bytes.len() - 1]).is_none());
        let args: Vec<String> = [
            "exodus",
            "run",
            "s.toml",
            "--shard",
            "1/3",
            "--shard=0/2",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(without_shard(&args), vec!["exodus", "run", "s.toml", "-q"]);
    }

    #[test]
    fn a_damaged_length_reads_as_a_cut_entry_not_an_allocation() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode(0, &[]);
        bytes.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        std::fs::write(dir.path().join(RECORDS), &bytes).unwrap();
        let mut r = Reader::open(dir.path()).unwrap();
        assert!(matches!(r.next_entry(), Ok(Some((0, _)))));
        let whole = r.offset;
        assert!(matches!(r.next_entry(), Ok(None)));
        assert_eq!(r.offset, whole, "the damaged entry is not counted");
    }
}
