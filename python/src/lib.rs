//! The `exodus._exodus` extension module: scenarios loaded and changed with the command line's
//! parameter paths and errors, and runs whose daily records leave Rust as Arrow tables (the
//! Arrow PyCapsule interface, no copy), turned into pandas or polars DataFrames by the Python
//! side (`pysrc/exodus/__init__.py`). The engine runs with the GIL released.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;

use exodus::metrics::DayRecord;
use exodus::scenario::{self, Assignment, Location, Overrides, ScenarioError as RustError};

create_exception!(
    _exodus,
    ScenarioError,
    PyValueError,
    "A scenario that cannot be read or is invalid: the command line's message, with `file`, `line`, `column`, `field` and `problems` (every message, when there are several)."
);

/// The Python exception for a scenario error, with its place.
fn scenario_error(py: Python<'_>, e: &RustError) -> PyErr {
    let err = ScenarioError::new_err(e.to_string());
    let value = err.value(py);
    let first = e.each().first().copied();
    let (mut file, mut line, mut column, mut field) = (None, None, None, None);
    if let Some(first) = first {
        let location = match first {
            RustError::Syntax { location, .. } => Some(location),
            RustError::Invalid(v) => {
                field = Some(v.field.clone());
                Some(&v.location)
            }
            _ => None,
        };
        match location {
            Some(Location::File {
                path,
                line: l,
                column: c,
                ..
            }) => {
                file = Some(path.display().to_string());
                line = Some(*l);
                column = Some(*c);
            }
            Some(Location::WholeFile { path }) => file = Some(path.display().to_string()),
            _ => {}
        }
        if let RustError::Read { path, .. } = first {
            file = Some(path.display().to_string());
        }
    }
    let problems: Vec<String> = e.each().iter().map(|p| p.to_string()).collect();
    let _ = value.setattr("file", file);
    let _ = value.setattr("line", line);
    let _ = value.setattr("column", column);
    let _ = value.setattr("field", field);
    let _ = value.setattr("problems", problems);
    err
}

/// A scenario: a file (or TOML text) and the parameter changes made to it.
#[pyclass(module = "exodus._exodus", from_py_object)]
#[derive(Clone)]
struct Scenario {
    path: PathBuf,
    /// The text, when the scenario was given as text (then `path` only names it in errors and
    /// anchors `extends`).
    text: Option<String>,
    sets: Vec<Assignment>,
}

impl Scenario {
    fn resolve(&self, overrides: &Overrides) -> Result<scenario::Scenario, RustError> {
        let mut overrides = overrides.clone();
        overrides.sets = self.sets.clone();
        match &self.text {
            Some(text) => scenario::parse(text, &self.path, &overrides),
            None => scenario::load(&self.path, &overrides),
        }
    }

    fn checked(self, py: Python<'_>) -> PyResult<Scenario> {
        let resolved = py.detach(|| self.resolve(&Overrides::default()));
        resolved.map_err(|e| scenario_error(py, &e))?;
        Ok(self)
    }
}

/// A value as the text `--set` takes: numbers and booleans as TOML, text as it is.
fn toml_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = value.extract::<bool>() {
        return Ok(b.to_string());
    }
    if let Ok(i) = value.extract::<i64>() {
        return Ok(i.to_string());
    }
    if let Ok(x) = value.extract::<f64>() {
        return Ok(format!("{x:?}"));
    }
    value.str()?.extract()
}

#[pymethods]
impl Scenario {
    /// Reads and checks the scenario file at `path` (following `extends`).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Scenario> {
        Scenario {
            path,
            text: None,
            sets: Vec::new(),
        }
        .checked(py)
    }

    /// A scenario from TOML text; `path` names it in errors and anchors `extends` (default:
    /// `scenario.toml` in the working folder).
    #[staticmethod]
    #[pyo3(signature = (text, path = None))]
    fn from_toml(py: Python<'_>, text: String, path: Option<PathBuf>) -> PyResult<Scenario> {
        Scenario {
            path: path.unwrap_or_else(|| PathBuf::from("scenario.toml")),
            text: Some(text),
            sets: Vec::new(),
        }
        .checked(py)
    }

    /// A copy with the parameter at `path` set to `value` (`platforms.RedNote.appeal`,
    /// `events.ruling.date`, ...), checked as `--set PATH=VALUE` is.
    fn set(&self, py: Python<'_>, path: String, value: &Bound<'_, PyAny>) -> PyResult<Scenario> {
        let mut next = self.clone();
        next.sets.push(Assignment {
            path,
            value: toml_text(value)?,
        });
        next.checked(py)
    }

    /// The scenario's name.
    #[getter]
    fn name(&self, py: Python<'_>) -> PyResult<String> {
        let s = py
            .detach(|| self.resolve(&Overrides::default()))
            .map_err(|e| scenario_error(py, &e))?;
        Ok(s.params.name.clone())
    }

    /// The changes made with `set`, as `PATH=VALUE` texts.
    #[getter]
    fn changes(&self) -> Vec<String> {
        self.sets
            .iter()
            .map(|a| format!("{}={}", a.path, a.value))
            .collect()
    }

    /// The resolved scenario as TOML (`exodus validate --resolved`).
    fn to_toml(&self, py: Python<'_>) -> PyResult<String> {
        let s = py
            .detach(|| self.resolve(&Overrides::default()))
            .map_err(|e| scenario_error(py, &e))?;
        toml::to_string(&s.file).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        let what = self.path.display();
        if self.sets.is_empty() {
            format!("Scenario({what})")
        } else {
            format!("Scenario({what}, {})", self.changes().join(", "))
        }
    }
}

/// A table in daily.csv's long form with a replicate column: replicate, date, day, the two
/// keys `keys` (platform and metric, or from and to) and value; `rows` gives a day's (key, key,
/// value) rows.
fn long_batch(
    records: &[Vec<DayRecord>],
    params: &exodus::scenario::Params,
    keys: [&str; 2],
    rows: impl Fn(&DayRecord, &[String]) -> Vec<(String, String, f64)>,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let names: Vec<String> = params.platforms.iter().map(|p| p.name.clone()).collect();
    let (mut rep, mut date, mut day, mut first, mut second, mut value) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (r, days) in records.iter().enumerate() {
        for rec in days {
            let d = params.date(rec.day).to_string();
            for (a, b, v) in rows(rec, &names) {
                rep.push(r as u32);
                date.push(d.clone());
                day.push(rec.day);
                first.push(a);
                second.push(b);
                value.push(v);
            }
        }
    }
    RecordBatch::try_from_iter([
        ("replicate", Arc::new(UInt32Array::from(rep)) as ArrayRef),
        ("date", Arc::new(StringArray::from(date))),
        ("day", Arc::new(UInt32Array::from(day))),
        (keys[0], Arc::new(StringArray::from(first))),
        (keys[1], Arc::new(StringArray::from(second))),
        ("value", Arc::new(Float64Array::from(value))),
    ])
}

/// daily.csv's rows of every replicate.
fn daily_batch(
    records: &[Vec<DayRecord>],
    params: &exodus::scenario::Params,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    long_batch(records, params, ["platform", "metric"], |rec, names| {
        exodus::output::csv::daily_rows(rec, names, "")
            .map(|r| (r.platform.to_string(), r.metric.to_string(), r.value))
            .collect()
    })
}

/// flows.csv's rows of every replicate.
fn flows_batch(
    records: &[Vec<DayRecord>],
    params: &exodus::scenario::Params,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    long_batch(records, params, ["from", "to"], |rec, names| {
        exodus::output::csv::flow_rows(rec, names)
            .map(|(f, t, v)| (f.to_string(), t.to_string(), v))
            .collect()
    })
}

/// The bands table over replicates (bands.csv's columns): date, day, platform, metric,
/// replicates, mean, mean_low, mean_high, median, low, high.
fn bands_batch(
    records: &[Vec<DayRecord>],
    params: &exodus::scenario::Params,
    band: (f64, f64),
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut bands = exodus::experiment::bands::Bands::new(
        params.days as usize,
        params.platforms.len(),
        band.0,
        band.1,
    );
    for rec in records.iter().flatten() {
        bands.add(rec);
    }
    let rows = bands.rows();
    let text = |f: &dyn Fn(&exodus::experiment::bands::BandRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let number = |f: &dyn Fn(&exodus::experiment::bands::BandRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let whole = |f: &dyn Fn(&exodus::experiment::bands::BandRow) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    RecordBatch::try_from_iter([
        ("date", text(&|r| params.date(r.day).to_string())),
        ("day", whole(&|r| r.day)),
        (
            "platform",
            text(&|r| params.platforms[r.platform].name.clone()),
        ),
        ("metric", text(&|r| r.metric.name().to_string())),
        ("replicates", whole(&|r| r.replicates)),
        ("mean", number(&|r| r.mean)),
        ("mean_low", number(&|r| r.mean_low)),
        ("mean_high", number(&|r| r.mean_high)),
        ("median", number(&|r| r.median)),
        ("low", number(&|r| r.low)),
        ("high", number(&|r| r.high)),
    ])
}

/// Each replicate's daily records and main-app counts before day 0.
type Runs = Vec<(Vec<DayRecord>, Vec<u64>)>;

/// Everything a run returns to Python: the daily, flows and bands tables and each replicate's
/// summary (summary.json's content, as JSON text).
type RunTables = (PyRecordBatch, PyRecordBatch, PyRecordBatch, Vec<String>);

/// Runs `scenario` as `exodus run` does (`replicates` replicates, replicate r from the seed's
/// stream r, bands between the quantiles `band`) and returns its tables as Arrow record batches
/// and its summaries.
#[pyfunction]
#[pyo3(signature = (scenario, agents = None, seed = None, replicates = 1, threads = None, band = (0.05, 0.95)))]
fn run_tables(
    py: Python<'_>,
    scenario: &Scenario,
    agents: Option<u64>,
    seed: Option<u64>,
    replicates: u32,
    threads: Option<usize>,
    band: (f64, f64),
) -> PyResult<RunTables> {
    if replicates == 0 {
        return Err(PyValueError::new_err("replicates must be at least 1"));
    }
    if !(0.0 < band.0 && band.0 < band.1 && band.1 < 1.0) {
        return Err(PyValueError::new_err(format!(
            "band {band:?}: the quantiles must satisfy 0 < low < high < 1"
        )));
    }
    let overrides = Overrides {
        agents,
        seed,
        ..Default::default()
    };
    let resolved = py
        .detach(|| scenario.resolve(&overrides))
        .map_err(|e| scenario_error(py, &e))?;
    let params = resolved.params.clone();
    let runs = py
        .detach(|| -> Result<Runs, exodus::app::AppError> {
            (0..replicates)
                .map(|r| exodus::app::simulate_in_memory(resolved.clone(), r, threads))
                .collect()
        })
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let summaries = runs
        .iter()
        .enumerate()
        .map(|(r, (records, initial))| {
            let mut b = exodus::metrics::SummaryBuilder::new(&params);
            records.iter().for_each(|rec| b.add(rec));
            let mut s = b.finish(&params, r as u32, initial);
            s.replicates = replicates;
            s.band = [band.0, band.1];
            serde_json::to_string(&s).unwrap_or_default()
        })
        .collect();
    let records: Vec<Vec<DayRecord>> = runs.into_iter().map(|r| r.0).collect();
    let arrow = |e: arrow_schema::ArrowError| PyValueError::new_err(e.to_string());
    Ok((
        PyRecordBatch::new(daily_batch(&records, &params).map_err(arrow)?),
        PyRecordBatch::new(flows_batch(&records, &params).map_err(arrow)?),
        PyRecordBatch::new(bands_batch(&records, &params, band).map_err(arrow)?),
        summaries,
    ))
}

#[pymodule]
fn _exodus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_function(wrap_pyfunction!(run_tables, m)?)?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", exodus::VERSION)?;
    Ok(())
}
