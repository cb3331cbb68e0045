//! CSV exporters: `daily.csv` (per platform and metric) and `flows.csv` (from -> to), both in
//! tidy long format with values in people represented.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic::AtomicFile;
use super::{Exporter, OutputError};
use crate::engine::DayTally;
use crate::metrics::Metric;
use crate::scenario::params::Params;

/// One row of `daily.csv`.
#[derive(Debug, Serialize)]
pub struct DailyRow<'a> {
    /// Calendar date, YYYY-MM-DD.
    pub date: &'a str,
    /// Day index from the scenario start, 0-based.
    pub day: u32,
    pub platform: &'a str,
    /// One of `metrics::Metric`'s names.
    pub metric: &'static str,
    /// People represented (agents x people per agent).
    pub value: f64,
}

/// What both CSV exporters share: the file, platform names, dates and scale.
struct Table {
    writer: ::csv::Writer<AtomicFile>,
    path: PathBuf,
    names: Vec<String>,
    dates: Vec<String>,
    scale: f64,
}

impl Table {
    fn open(path: &Path, params: &Params) -> Result<Table, OutputError> {
        Ok(Table {
            writer: ::csv::Writer::from_writer(AtomicFile::create(path)?),
            path: path.to_path_buf(),
            names: params.platforms.iter().map(|p| p.name.clone()).collect(),
            dates: (0..params.days)
                .map(|d| params.date(d).to_string())
                .collect(),
            scale: params.people_per_agent(),
        })
    }

    fn row<S: Serialize>(&mut self, row: S) -> Result<(), OutputError> {
        self.writer
            .serialize(row)
            .map_err(|source| OutputError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(self) -> Result<PathBuf, OutputError> {
        let file = self.writer.into_inner().map_err(|e| OutputError::Io {
            path: self.path.clone(),
            source: e.into_error(),
        })?;
        file.commit()
    }
}

/// Writes `daily.csv`.
pub struct DailyCsv(Table);

impl DailyCsv {
    pub fn create(path: &Path, params: &Params) -> Result<DailyCsv, OutputError> {
        Table::open(path, params).map(DailyCsv)
    }
}

impl Exporter for DailyCsv {
    fn day(&mut self, t: &DayTally) -> Result<(), OutputError> {
        let table = &mut self.0;
        let date = table.dates[t.day as usize].clone();
        for k in 0..table.names.len() {
            let platform = table.names[k].clone();
            for metric in Metric::ALL {
                let value = metric.agents(t, k) as f64 * table.scale;
                table.row(DailyRow {
                    date: &date,
                    day: t.day,
                    platform: &platform,
                    metric: metric.name(),
                    value,
                })?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.0.finish()
    }
}

/// Writes `flows.csv` (only pairs with someone moving, to keep it small).
pub struct FlowsCsv(Table);

impl FlowsCsv {
    pub fn create(path: &Path, params: &Params) -> Result<FlowsCsv, OutputError> {
        let mut table = Table::open(path, params)?;
        // Write the header now: a run in which nobody moves still gets a well-formed file.
        table
            .writer
            .write_record(["date", "day", "from", "to", "value"])
            .map_err(|source| OutputError::Csv {
                path: table.path.clone(),
                source,
            })?;
        Ok(FlowsCsv(table))
    }
}

impl Exporter for FlowsCsv {
    fn day(&mut self, t: &DayTally) -> Result<(), OutputError> {
        let table = &mut self.0;
        let k = table.names.len();
        let date = table.dates[t.day as usize].clone();
        for from in 0..k {
            for to in (0..k).filter(|&to| to != from) {
                let moved = t.flows[from * k + to];
                if moved > 0 {
                    let (f, tt) = (table.names[from].clone(), table.names[to].clone());
                    let row = (
                        date.as_str(),
                        t.day,
                        f.as_str(),
                        tt.as_str(),
                        moved as f64 * table.scale,
                    );
                    table.row(row)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.0.finish()
    }
}
