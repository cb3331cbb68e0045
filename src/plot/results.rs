//! Saved results, read back for plotting: `daily.csv`, `flows.csv` and `run.json` of a results
//! folder. Charts are drawn from these files only, never from a live model, so any old run can
//! be redrawn or restyled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::PlotError;

/// The parts of `run.json` that charts need (the manifest holds more).
#[derive(Debug, Clone, Deserialize)]
struct ManifestView {
    exodus_version: String,
    seed: u64,
    #[serde(default)]
    replicate: u32,
    scenario: ScenarioView,
}

#[derive(Debug, Clone, Deserialize)]
struct ScenarioView {
    meta: MetaView,
    population: PopulationView,
    platforms: Vec<PlatformView>,
    #[serde(default)]
    events: Vec<EventView>,
}

#[derive(Debug, Clone, Deserialize)]
struct MetaView {
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct PopulationView {
    people: f64,
    agents: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct PlatformView {
    name: String,
    color: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct EventView {
    date: String,
    #[serde(default)]
    label: String,
}

/// Median, low and high of a band, per platform and day.
pub type BandCells = Vec<Vec<(f64, f64, f64)>>;

/// A dated event as charts show it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMark {
    pub date: NaiveDate,
    /// The event's label.
    pub label: String,
}

/// One run's results, ready to draw.
#[derive(Debug, Clone)]
pub struct RunResults {
    pub dir: PathBuf,
    pub scenario: String,
    pub version: String,
    pub seed: u64,
    pub replicate: u32,
    pub people: f64,
    pub agents: u64,
    pub platforms: Vec<String>,
    /// Colours set in the scenario, by platform.
    pub colors: Vec<Option<String>>,
    pub events: Vec<EventMark>,
    /// Calendar date of each day.
    pub dates: Vec<NaiveDate>,
    /// metric name -> platform index -> value per day (people).
    pub daily: BTreeMap<String, Vec<Vec<f64>>>,
    /// People who moved from -> to over the whole run, at `from * K + to`.
    pub flow_totals: Vec<f64>,
    /// Bands across replicates (bands.csv), if the run had several: metric -> platform ->
    /// per day (median, low, high).
    pub bands: BTreeMap<String, BandCells>,
    /// Replicates behind the bands.
    pub replicates: u32,
    /// Per-platform drivers of `drivers.csv`, if the folder has it: driver name -> platform
    /// index -> value per day.
    pub drivers: BTreeMap<String, Vec<Vec<f64>>>,
    /// Audience classes of `classes.csv`, if the folder has it, in the file's order: class
    /// name, and per platform and day the share of the class with it as main app plus the
    /// share trying it.
    pub classes: Vec<ClassShares>,
    /// Whether only some of the run's platforms are kept (`only`).
    pub subset: bool,
}

/// One audience class of `classes.csv`: its name, and per platform and day a share.
pub type ClassShares = (String, Vec<Vec<f64>>);

impl RunResults {
    /// Reads the results folder `dir`.
    pub fn load(dir: &Path) -> Result<RunResults, PlotError> {
        let manifest_path = dir.join("run.json");
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| PlotError::read(&manifest_path, e))?;
        let manifest: ManifestView = serde_json::from_str(&text)
            .map_err(|e| PlotError::Format(manifest_path.clone(), e.to_string()))?;
        let platforms: Vec<String> = manifest
            .scenario
            .platforms
            .iter()
            .map(|p| p.name.clone())
            .collect();
        let colors = manifest
            .scenario
            .platforms
            .iter()
            .map(|p| p.color.clone())
            .collect();
        let k = platforms.len();
        let index = |name: &str| platforms.iter().position(|p| p == name);

        let daily_path = dir.join("daily.csv");
        let mut reader = csv::Reader::from_path(&daily_path)
            .map_err(|e| PlotError::Format(daily_path.clone(), e.to_string()))?;
        let mut dates: Vec<NaiveDate> = Vec::new();
        let mut daily: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
        for (line, row) in reader
            .deserialize::<(String, usize, String, String, f64)>()
            .enumerate()
        {
            let bad = |what: String| {
                PlotError::Format(daily_path.clone(), format!("line {}: {what}", line + 2))
            };
            let (date, day, platform, metric, value) = row.map_err(|e| bad(e.to_string()))?;
            let p =
                index(&platform).ok_or_else(|| bad(format!("unknown platform \"{platform}\"")))?;
            if day >= dates.len() {
                let d =
                    NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|e| bad(e.to_string()))?;
                if day != dates.len() {
                    return Err(bad(format!(
                        "day {day} follows day {}",
                        dates.len() as i64 - 1
                    )));
                }
                dates.push(d);
            }
            let series = daily.entry(metric).or_insert_with(|| vec![Vec::new(); k]);
            let s = &mut series[p];
            if s.len() != day {
                return Err(bad(format!("day {day} of {platform} is out of order")));
            }
            s.push(value);
        }
        if dates.is_empty() {
            return Err(PlotError::Format(daily_path, "no days".into()));
        }

        let flows_path = dir.join("flows.csv");
        let mut flow_totals = vec![0.0; k * k];
        let mut reader = csv::Reader::from_path(&flows_path)
            .map_err(|e| PlotError::Format(flows_path.clone(), e.to_string()))?;
        for (line, row) in reader
            .deserialize::<(String, usize, String, String, f64)>()
            .enumerate()
        {
            let bad = |what: String| {
                PlotError::Format(flows_path.clone(), format!("line {}: {what}", line + 2))
            };
            let (_, _, from, to, value) = row.map_err(|e| bad(e.to_string()))?;
            let f = index(&from).ok_or_else(|| bad(format!("unknown platform \"{from}\"")))?;
            let t = index(&to).ok_or_else(|| bad(format!("unknown platform \"{to}\"")))?;
            flow_totals[f * k + t] += value;
        }

        let events = manifest
            .scenario
            .events
            .iter()
            // Only labelled events are drawn: unlabelled ones are model inputs (parameter
            // changes, a second platform's copy of an event) that a reader need not see.
            .filter(|e| !e.label.trim().is_empty())
            .filter_map(|e| {
                let date =
                    NaiveDate::parse_from_str(e.date.get(..10).unwrap_or(&e.date), "%Y-%m-%d")
                        .ok()?;
                Some(EventMark {
                    date,
                    label: e.label.trim().to_string(),
                })
            })
            .collect();

        let (bands, replicates) = load_bands(dir, &platforms, dates.len())?;
        let drivers = load_drivers(dir, &platforms, dates.len())?;
        let classes = load_classes(dir, &platforms, dates.len())?;
        Ok(RunResults {
            drivers,
            classes,
            subset: false,
            bands,
            replicates,
            dir: dir.to_path_buf(),
            scenario: manifest.scenario.meta.name,
            version: manifest.exodus_version,
            seed: manifest.seed,
            replicate: manifest.replicate,
            people: manifest.scenario.population.people,
            agents: manifest.scenario.population.agents,
            platforms,
            colors,
            events,
            dates,
            daily,
            flow_totals,
        })
    }

    /// Values of `metric` per platform and day; missing metrics are all zero.
    pub fn metric(&self, metric: &str) -> Vec<Vec<f64>> {
        self.daily
            .get(metric)
            .cloned()
            .unwrap_or_else(|| vec![vec![0.0; self.dates.len()]; self.platforms.len()])
    }

    /// The results of only the platforms `keep` (indices, in the order to draw them): every
    /// per-platform series and the flows among them. Shares are then shares among these.
    pub fn only(&self, keep: &[usize]) -> RunResults {
        let k = self.platforms.len();
        let pick = |v: &Vec<Vec<f64>>| keep.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
        let mut r = self.clone();
        r.platforms = keep.iter().map(|&i| self.platforms[i].clone()).collect();
        r.colors = keep.iter().map(|&i| self.colors[i].clone()).collect();
        r.daily = self
            .daily
            .iter()
            .map(|(m, v)| (m.clone(), pick(v)))
            .collect();
        r.drivers = self
            .drivers
            .iter()
            .map(|(m, v)| (m.clone(), pick(v)))
            .collect();
        r.bands = self
            .bands
            .iter()
            .map(|(m, v)| (m.clone(), keep.iter().map(|&i| v[i].clone()).collect()))
            .collect();
        r.classes = self
            .classes
            .iter()
            .map(|(c, v)| (c.clone(), pick(v)))
            .collect();
        r.flow_totals = keep
            .iter()
            .flat_map(|&from| keep.iter().map(move |&to| from * k + to))
            .map(|at| self.flow_totals[at])
            .collect();
        r.subset = true;
        r
    }

    /// Median and band of `metric` per platform, if the run had several replicates.
    pub fn band(&self, metric: &str) -> Option<&BandCells> {
        self.bands.get(metric)
    }

    /// The footnote every chart carries; `banded` says whether the chart draws the bands.
    pub fn footnote(&self, banded: bool) -> String {
        let replicates = if self.replicates > 1 && banded {
            format!(" · median and band of {} replicates", self.replicates)
        } else if self.replicates > 1 {
            format!(" · replicate 0 of {}", self.replicates)
        } else {
            String::new()
        };
        format!(
            "exodus {} · seed {} · {} agents for {} people{} · simulated, not observed",
            self.version,
            self.seed,
            super::style::human(self.agents as f64),
            super::style::human(self.people),
            replicates
        )
    }
}

/// One row of bands.csv, as read back.
#[derive(Debug, Deserialize)]
struct BandRecord {
    day: usize,
    platform: String,
    metric: String,
    replicates: u32,
    median: f64,
    low: f64,
    high: f64,
}

/// The per-platform rows of `drivers.csv` (those of `(all)` are left out), if the file exists
/// (runs of older versions have none).
fn load_drivers(
    dir: &Path,
    platforms: &[String],
    days: usize,
) -> Result<BTreeMap<String, Vec<Vec<f64>>>, PlotError> {
    let path = dir.join("drivers.csv");
    let mut out: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    if !path.exists() {
        return Ok(out);
    }
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| PlotError::Format(path.clone(), e.to_string()))?;
    for (line, row) in reader
        .deserialize::<(String, usize, String, String, f64)>()
        .enumerate()
    {
        let bad =
            |what: String| PlotError::Format(path.clone(), format!("line {}: {what}", line + 2));
        let (_, day, platform, driver, value) = row.map_err(|e| bad(e.to_string()))?;
        let Some(p) = platforms.iter().position(|n| *n == platform) else {
            continue;
        };
        if day >= days {
            return Err(bad(format!("day {day} is beyond the run")));
        }
        let series = out
            .entry(driver)
            .or_insert_with(|| vec![vec![0.0; days]; platforms.len()]);
        series[p][day] = value;
    }
    Ok(out)
}

/// `classes.csv` (audience classes), if the file exists: per class, platform and day, `share`
/// plus `trial_share` (0 when the run had no trials).
fn load_classes(
    dir: &Path,
    platforms: &[String],
    days: usize,
) -> Result<Vec<ClassShares>, PlotError> {
    let path = dir.join("classes.csv");
    let mut out: Vec<ClassShares> = Vec::new();
    if !path.exists() {
        return Ok(out);
    }
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| PlotError::Format(path.clone(), e.to_string()))?;
    for (line, row) in reader.records().enumerate() {
        let bad =
            |what: String| PlotError::Format(path.clone(), format!("line {}: {what}", line + 2));
        let row = row.map_err(|e| bad(e.to_string()))?;
        let number = |i: usize| -> Result<f64, PlotError> {
            row.get(i)
                .ok_or_else(|| bad(format!("column {} is missing", i + 1)))?
                .parse::<f64>()
                .map_err(|e| bad(e.to_string()))
        };
        let day = number(1)? as usize;
        let class = row.get(2).unwrap_or_default().to_string();
        let platform = row.get(3).unwrap_or_default();
        let Some(p) = platforms.iter().position(|n| n == platform) else {
            return Err(bad(format!("unknown platform \"{platform}\"")));
        };
        if day >= days {
            return Err(bad(format!("day {day} is beyond the run")));
        }
        let share = number(5)? + if row.len() > 7 { number(7)? } else { 0.0 };
        let k = match out.iter().position(|(c, _)| *c == class) {
            Some(k) => k,
            None => {
                out.push((class, vec![vec![0.0; days]; platforms.len()]));
                out.len() - 1
            }
        };
        out[k].1[p][day] = share;
    }
    Ok(out)
}

/// Reads bands.csv if the folder has one.
fn load_bands(
    dir: &Path,
    platforms: &[String],
    days: usize,
) -> Result<(BTreeMap<String, BandCells>, u32), PlotError> {
    let path = dir.join("bands.csv");
    let mut out: BTreeMap<String, BandCells> = BTreeMap::new();
    if !path.exists() {
        return Ok((out, 1));
    }
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| PlotError::Format(path.clone(), e.to_string()))?;
    let mut replicates = 1;
    for (line, row) in reader.deserialize::<BandRecord>().enumerate() {
        let bad =
            |what: String| PlotError::Format(path.clone(), format!("line {}: {what}", line + 2));
        let row = row.map_err(|e| bad(e.to_string()))?;
        let p = platforms
            .iter()
            .position(|n| *n == row.platform)
            .ok_or_else(|| bad(format!("unknown platform \"{}\"", row.platform)))?;
        if row.day >= days {
            return Err(bad(format!("day {} is beyond the run", row.day)));
        }
        replicates = replicates.max(row.replicates);
        let cells = out
            .entry(row.metric)
            .or_insert_with(|| vec![vec![(f64::NAN, f64::NAN, f64::NAN); days]; platforms.len()]);
        cells[p][row.day] = (row.median, row.low, row.high);
    }
    Ok((out, replicates))
}
