//! The `exodus._exodus` extension module: scenarios loaded and changed with the command line's
//! parameter paths and errors, and runs whose daily records leave Rust as Arrow tables (the
//! Arrow PyCapsule interface, no copy), turned into pandas or polars DataFrames by the Python
//! side (`pysrc/exodus/__init__.py`). The engine runs with the GIL released.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
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

/// The daily table of one replicate's records: date, day, platform, metric, value (daily.csv's
/// columns) and the replicate.
fn daily_batch(
    records: &[Vec<DayRecord>],
    params: &exodus::scenario::Params,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let names: Vec<String> = params.platforms.iter().map(|p| p.name.clone()).collect();
    let (mut rep, mut date, mut day, mut platform, mut metric, mut value) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (r, days) in records.iter().enumerate() {
        for rec in days {
            let d = params.date(rec.day).to_string();
            for row in exodus::output::csv::daily_rows(rec, &names, &d) {
                rep.push(r as u32);
                date.push(row.date.to_string());
                day.push(row.day);
                platform.push(row.platform.to_string());
                metric.push(row.metric);
                value.push(row.value);
            }
        }
    }
    let schema = Schema::new(vec![
        Field::new("replicate", DataType::UInt32, false),
        Field::new("date", DataType::Utf8, false),
        Field::new("day", DataType::UInt32, false),
        Field::new("platform", DataType::Utf8, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(rep)),
        Arc::new(StringArray::from(date)),
        Arc::new(UInt32Array::from(day)),
        Arc::new(StringArray::from(platform)),
        Arc::new(StringArray::from(metric)),
        Arc::new(Float64Array::from(value)),
    ];
    RecordBatch::try_new(Arc::new(schema), columns)
}

/// Runs `scenario` as `exodus run` does (`replicates` replicates, replicate r from the seed's
/// stream r) and returns its daily table as an Arrow record batch.
#[pyfunction]
#[pyo3(signature = (scenario, agents = None, seed = None, replicates = 1, threads = None))]
fn run_daily(
    py: Python<'_>,
    scenario: &Scenario,
    agents: Option<u64>,
    seed: Option<u64>,
    replicates: u32,
    threads: Option<usize>,
) -> PyResult<PyRecordBatch> {
    if replicates == 0 {
        return Err(PyValueError::new_err("replicates must be at least 1"));
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
    let records = py
        .detach(|| -> Result<Vec<Vec<DayRecord>>, exodus::app::AppError> {
            (0..replicates)
                .map(|r| exodus::app::simulate_in_memory(resolved.clone(), r, threads).map(|x| x.0))
                .collect()
        })
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let batch = daily_batch(&records, &params).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyRecordBatch::new(batch))
}

#[pymodule]
fn _exodus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_function(wrap_pyfunction!(run_daily, m)?)?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", exodus::VERSION)?;
    Ok(())
}
