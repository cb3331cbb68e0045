//! CSV exporters: `daily.csv` (per platform and metric) and `flows.csv` (from -> to), both in
//! tidy long format with values in people represented.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic::AtomicFile;
use super::{Exporter, OutputError};
use crate::metrics::{DayRecord, Metric};
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
    /// In people represented (agents x people per agent), or a rank for `app_store_rank`.
    pub value: f64,
}

/// The rows of `daily.csv` for one day's record: per platform, every metric the record reports,
/// in `Metric::ALL`'s order. `names` are the platforms, `date` the day's date.
pub fn daily_rows<'a>(
    r: &'a DayRecord,
    names: &'a [String],
    date: &'a str,
) -> impl Iterator<Item = DailyRow<'a>> + 'a {
    names.iter().enumerate().flat_map(move |(k, platform)| {
        Metric::ALL.into_iter().filter_map(move |metric| {
            r.get(k, metric).map(|value| DailyRow {
                date,
                day: r.day,
                platform,
                metric: metric.name(),
                value,
            })
        })
    })
}

/// The rows of `flows.csv` for one day's record: (from, to, people) for every pair of
/// platforms between which someone moved main app that day, from-major.
pub fn flow_rows<'a>(
    r: &'a DayRecord,
    names: &'a [String],
) -> impl Iterator<Item = (&'a str, &'a str, f64)> + 'a {
    let k = names.len();
    (0..k).flat_map(move |from| {
        (0..k)
            .filter(move |&to| to != from && r.flows[from * k + to] > 0.0)
            .map(move |to| {
                (
                    names[from].as_str(),
                    names[to].as_str(),
                    r.flows[from * k + to],
                )
            })
    })
}

/// What both CSV exporters share: the file, platform names and dates.
struct Table {
    writer: ::csv::Writer<AtomicFile>,
    path: PathBuf,
    names: Vec<String>,
    dates: Vec<String>,
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
    fn day(&mut self, r: &DayRecord) -> Result<(), OutputError> {
        let table = &mut self.0;
        let date = table.dates[r.day as usize].clone();
        let names = std::mem::take(&mut table.names);
        let written = daily_rows(r, &names, &date).try_for_each(|row| table.row(row));
        table.names = names;
        written
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.0.finish()
    }
}

/// One row of `drivers.csv`.
#[derive(Debug, Serialize)]
struct DriverRow<'a> {
    date: &'a str,
    day: u32,
    /// A platform, or `(all)` for drivers of the whole population.
    platform: &'a str,
    driver: &'static str,
    value: f64,
}

/// Writes `drivers.csv`: what moved agents each day. Per platform: perceived ban risk, protest
/// pull (protest target x salience), in service and in the stores (1 or 0); for the whole
/// population: ban salience, buzz B(t) and the attention multiplier (set scale x news x buzz).
pub struct DriversCsv {
    table: Table,
    conditions: Vec<crate::timeline::DayConditions>,
}

impl DriversCsv {
    pub fn create(path: &Path, params: &Params) -> Result<DriversCsv, OutputError> {
        Ok(DriversCsv {
            table: Table::open(path, params)?,
            conditions: crate::timeline::conditions(params),
        })
    }
}

impl Exporter for DriversCsv {
    fn day(&mut self, r: &DayRecord) -> Result<(), OutputError> {
        let table = &mut self.table;
        let date = table.dates[r.day as usize].clone();
        let cond = &self.conditions[r.day as usize];
        let buzz = r.buzz;
        for k in 0..table.names.len() {
            let platform = table.names[k].clone();
            let bit = |mask: u32| f64::from(u8::from(mask & (1 << k) != 0));
            for (driver, value) in [
                ("perceived_risk", f64::from(cond.risk[k])),
                ("protest_pull", f64::from(cond.protest[k])),
                ("in_service", bit(cond.up)),
                ("in_stores", bit(cond.in_store)),
            ] {
                table.row(DriverRow {
                    date: &date,
                    day: r.day,
                    platform: &platform,
                    driver,
                    value,
                })?;
            }
        }
        for (driver, value) in [
            ("salience", f64::from(cond.salience)),
            ("buzz", buzz),
            (
                "attention_multiplier",
                f64::from(cond.attention_scale) * (1.0 + buzz),
            ),
        ] {
            table.row(DriverRow {
                date: &date,
                day: r.day,
                platform: "(all)",
                driver,
                value,
            })?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.table.finish()
    }
}

/// Names of the audience classes in `classes.csv`.
pub const CLASS_NAMES: [&str; crate::engine::AUDIENCE_CLASSES] = ["top 1%", "next 9%", "rest"];

/// The counts a group table reads from a day's record: main-app users and triers per group and
/// platform, at `group * K + platform`.
type GroupCounts = fn(&DayRecord) -> (&[f64], &[f64]);

/// Writes a table of main-app users, and with trials triers, per group of agents and platform,
/// with their share of the group: `classes.csv` (audience classes: the top 1% of agents by how
/// many watch them, the next 9%, the rest) or `segments.csv` (population segments).
pub struct GroupsCsv {
    table: Table,
    groups: Vec<String>,
    counts: GroupCounts,
    trials: bool,
}

impl GroupsCsv {
    /// `classes.csv`.
    pub fn classes(path: &Path, params: &Params) -> Result<GroupsCsv, OutputError> {
        let groups = CLASS_NAMES.iter().map(|c| c.to_string()).collect();
        GroupsCsv::create(path, params, "class", groups, |r| {
            (&r.by_class, &r.trying_by_class)
        })
    }

    /// `segments.csv`.
    pub fn segments(path: &Path, params: &Params) -> Result<GroupsCsv, OutputError> {
        let groups = params.segments.iter().map(|s| s.name.clone()).collect();
        GroupsCsv::create(path, params, "segment", groups, |r| {
            (&r.by_segment, &r.trying_by_segment)
        })
    }

    fn create(
        path: &Path,
        params: &Params,
        column: &str,
        groups: Vec<String>,
        counts: GroupCounts,
    ) -> Result<GroupsCsv, OutputError> {
        let mut table = Table::open(path, params)?;
        let trials = params.mechanisms.trials;
        let mut header = vec!["date", "day", column, "platform", "main_app_users", "share"];
        if trials {
            header.extend(["trial_users", "trial_share"]);
        }
        table
            .writer
            .write_record(&header)
            .map_err(|source| OutputError::Csv {
                path: table.path.clone(),
                source,
            })?;
        Ok(GroupsCsv {
            table,
            groups,
            counts,
            trials,
        })
    }
}

impl Exporter for GroupsCsv {
    fn day(&mut self, r: &DayRecord) -> Result<(), OutputError> {
        let k = self.table.names.len();
        let (main, trying) = (self.counts)(r);
        if main.len() != self.groups.len() * k {
            return Ok(());
        }
        let date = self.table.dates[r.day as usize].clone();
        for (g, group) in self.groups.iter().enumerate() {
            let row = &main[g * k..(g + 1) * k];
            let total: f64 = row.iter().sum();
            let share = |x: f64| if total > 0.0 { x / total } else { 0.0 };
            for (p, &users) in row.iter().enumerate() {
                let platform = self.table.names[p].clone();
                let (d, day, group, platform) = (&date, r.day, group.as_str(), platform.as_str());
                match trying.get(g * k + p) {
                    Some(&t) if self.trials => self.table.row((
                        d,
                        day,
                        group,
                        platform,
                        users,
                        share(users),
                        t,
                        share(t),
                    ))?,
                    _ => self
                        .table
                        .row((d, day, group, platform, users, share(users)))?,
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.table.finish()
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
    fn day(&mut self, r: &DayRecord) -> Result<(), OutputError> {
        let table = &mut self.0;
        let date = table.dates[r.day as usize].clone();
        let names = std::mem::take(&mut table.names);
        let written = flow_rows(r, &names)
            .try_for_each(|(from, to, moved)| table.row((date.as_str(), r.day, from, to, moved)));
        table.names = names;
        written
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, OutputError> {
        self.0.finish()
    }
}

/// Writes `replicates.csv`: the daily metrics of every replicate, in tidy long format with a
/// replicate column, streamed as replicates run.
pub struct ReplicatesCsv(Table);

impl ReplicatesCsv {
    pub fn create(path: &Path, params: &Params) -> Result<ReplicatesCsv, OutputError> {
        let mut table = Table::open(path, params)?;
        table
            .writer
            .write_record(["replicate", "date", "day", "platform", "metric", "value"])
            .map_err(|source| OutputError::Csv {
                path: table.path.clone(),
                source,
            })?;
        Ok(ReplicatesCsv(table))
    }

    /// Writes day `r` of replicate `replicate`.
    pub fn day(&mut self, replicate: u32, r: &DayRecord) -> Result<(), OutputError> {
        let table = &mut self.0;
        let date = table.dates[r.day as usize].clone();
        for k in 0..table.names.len() {
            let platform = table.names[k].clone();
            for metric in Metric::ALL {
                if let Some(value) = r.get(k, metric) {
                    table.row((
                        replicate,
                        date.as_str(),
                        r.day,
                        platform.as_str(),
                        metric.name(),
                        value,
                    ))?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<PathBuf, OutputError> {
        self.0.finish()
    }
}

/// One row of `bands.csv` (a run's replicates) or of a comparison's `bands.csv` and
/// `differences.csv` (with the scenario first).
#[derive(Debug, Serialize)]
struct BandCsvRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<&'a str>,
    date: &'a str,
    day: u32,
    platform: &'a str,
    metric: &'static str,
    replicates: u32,
    mean: f64,
    mean_low: f64,
    mean_high: f64,
    median: f64,
    low: f64,
    high: f64,
}

/// Writes band rows to `table`, labelled with `scenario` if given.
fn band_rows(
    table: &mut Table,
    scenario: Option<&str>,
    rows: &[crate::experiment::bands::BandRow],
) -> Result<(), OutputError> {
    for r in rows {
        let date = table.dates[r.day as usize].clone();
        let platform = table.names[r.platform].clone();
        table.row(BandCsvRow {
            scenario,
            date: &date,
            day: r.day,
            platform: &platform,
            metric: r.metric.name(),
            replicates: r.replicates,
            mean: r.mean,
            mean_low: r.mean_low,
            mean_high: r.mean_high,
            median: r.median,
            low: r.low,
            high: r.high,
        })?;
    }
    Ok(())
}

/// Writes `bands.csv` from aggregated replicates.
pub fn write_bands(
    path: &Path,
    params: &Params,
    rows: &[crate::experiment::bands::BandRow],
) -> Result<PathBuf, OutputError> {
    let mut table = Table::open(path, params)?;
    band_rows(&mut table, None, rows)?;
    table.finish()
}

/// Writes the bands of several scenarios, one `scenario` column; with `skip`, that scenario (the
/// baseline of a differences file) is left out.
pub fn write_scenario_bands(
    path: &Path,
    params: &Params,
    labels: &[String],
    bands: &[crate::experiment::bands::Bands],
    skip: Option<usize>,
) -> Result<PathBuf, OutputError> {
    let mut table = Table::open(path, params)?;
    for (s, b) in bands.iter().enumerate().filter(|(s, _)| Some(*s) != skip) {
        band_rows(&mut table, Some(&labels[s]), &b.rows())?;
    }
    table.finish()
}

/// One row of `outcomes.csv`: one statistic of one outcome of one platform in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeRow {
    pub scenario: String,
    /// `value`, or `difference` (scenario minus baseline, paired by replicate).
    pub kind: &'static str,
    pub outcome: String,
    pub platform: String,
    /// `replicates`, `mean`, `mean_low`, `mean_high`, `median`, `low` or `high`.
    pub statistic: &'static str,
    pub value: f64,
}

/// The rows of `outcomes.csv`, tidy: a row per scenario (labelled as given), kind (value or
/// paired difference from the baseline), outcome, platform and statistic.
pub fn outcome_rows(
    labels: &[String],
    values: &[crate::experiment::compare::OutcomeStats],
    differences: &[crate::experiment::compare::OutcomeStats],
    baseline: usize,
) -> Vec<OutcomeRow> {
    let mut rows = Vec::new();
    for (kind, sets) in [("value", values), ("difference", differences)] {
        for (s, set) in sets.iter().enumerate() {
            if kind == "difference" && s == baseline {
                continue;
            }
            for ((outcome, platform), x) in set.summaries() {
                for (statistic, value) in [
                    ("replicates", f64::from(x.replicates)),
                    ("mean", x.mean),
                    ("mean_low", x.mean_low),
                    ("mean_high", x.mean_high),
                    ("median", x.median),
                    ("low", x.low),
                    ("high", x.high),
                ] {
                    rows.push(OutcomeRow {
                        scenario: labels[s].clone(),
                        kind,
                        outcome: outcome.to_string(),
                        platform: platform.to_string(),
                        statistic,
                        value,
                    });
                }
            }
        }
    }
    rows
}

/// Writes `outcomes.csv` ([`outcome_rows`], scenario labels defused for spreadsheets).
pub fn write_outcomes(
    path: &Path,
    labels: &[String],
    values: &[crate::experiment::compare::OutcomeStats],
    differences: &[crate::experiment::compare::OutcomeStats],
    baseline: usize,
) -> Result<PathBuf, OutputError> {
    let mut writer = ::csv::Writer::from_writer(AtomicFile::create(path)?);
    for mut row in outcome_rows(labels, values, differences, baseline) {
        row.scenario = crate::output::text::csv_cell(&row.scenario).into_owned();
        writer.serialize(row).map_err(|source| OutputError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let file = writer.into_inner().map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    file.commit()
}
