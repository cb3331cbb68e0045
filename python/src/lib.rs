//! The `exodus._exodus` extension module: scenarios loaded and changed with the command line's
//! parameter paths and errors; runs, comparisons, checks, sweeps and calibrations through the
//! library's own paths (`app::simulate_in_memory`, `app::compare_in_memory`,
//! `app::check_in_memory`, `sweep::run`, `calibrate::run`), whose tables leave Rust as Arrow
//! record batches (the Arrow PyCapsule interface, no copy) or, for small tables, as JSON rows;
//! the Python side (`pysrc/exodus/__init__.py`) turns them into pandas or polars DataFrames.
//! The work runs on its own thread with the GIL released while the calling thread checks for
//! Python signals: Ctrl-C (KeyboardInterrupt) cancels it between days, points or batches.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;

use exodus::app::AppError;
use exodus::cancel::Cancel;
use exodus::experiment::bands::{BandRow, Bands};
use exodus::metrics::DayRecord;
use exodus::scenario::{self, Assignment, Location, Overrides, ScenarioError as RustError};

create_exception!(
    _exodus,
    ScenarioError,
    PyValueError,
    "A scenario that cannot be read or is invalid: the command line's message, with `file`, `line`, `column`, `field` and `problems` (every message, when there are several)."
);

create_exception!(
    _exodus,
    ExodusError,
    pyo3::exceptions::PyRuntimeError,
    "A run, comparison, check, sweep or calibration that failed (results that cannot be written, a machine too small for the run, a folder that is not what the call needs): the command line's message."
);

/// The Python exception for a failed call: a scenario error as `ScenarioError`, an interrupt
/// as `KeyboardInterrupt`, anything else as `ExodusError`.
fn app_error(py: Python<'_>, e: &AppError) -> PyErr {
    match e {
        AppError::Scenario(s) => scenario_error(py, s),
        AppError::Interrupted(m) => pyo3::exceptions::PyKeyboardInterrupt::new_err(m.clone()),
        other => ExodusError::new_err(other.to_string()),
    }
}

/// Runs `work` on its own thread with the GIL released, checking for Python signals every
/// 50 ms on the calling thread. When a signal handler raises (Ctrl-C: KeyboardInterrupt), the
/// work's cancel token is set, the call waits for the work to stop (between days, points or
/// batches) and re-raises that exception with a note saying where the work stopped.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&Cancel) -> Result<T, AppError> + Send,
) -> PyResult<T> {
    use std::sync::mpsc::{RecvTimeoutError, channel};
    let cancel = Cancel::new();
    let (tx, rx) = channel();
    // A Receiver is not Sync; the calling thread alone locks it, outside the GIL.
    let rx = std::sync::Mutex::new(rx);
    let receive = |wait: Option<Duration>| {
        let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
        match wait {
            Some(d) => rx.recv_timeout(d),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        }
    };
    std::thread::scope(|scope| {
        let token = cancel.clone();
        // A panic in the work becomes an ExodusError below, not a panic of the scope.
        let worker = scope.spawn(move || {
            let _ = tx.send(work(&token));
        });
        let panicked = |worker: std::thread::ScopedJoinHandle<'_, ()>| {
            let _ = worker.join();
            ExodusError::new_err(
                "the exodus worker thread stopped without a result (a bug: please report it)",
            )
        };
        loop {
            match py.detach(|| receive(Some(Duration::from_millis(50)))) {
                Ok(result) => return result.map_err(|e| app_error(py, &e)),
                Err(RecvTimeoutError::Disconnected) => return Err(panicked(worker)),
                Err(RecvTimeoutError::Timeout) => {}
            }
            if let Err(raised) = py.check_signals() {
                cancel.cancel();
                let stopped = py.detach(|| receive(None));
                let note = match stopped {
                    Ok(Err(AppError::Interrupted(m))) => format!("exodus: {m}"),
                    Ok(_) => "exodus: the work had finished; its result is dropped".to_string(),
                    Err(_) => {
                        let _ = worker.join();
                        "exodus: the work stopped without a result".to_string()
                    }
                };
                // Exception notes exist from Python 3.11; before, the note is left out.
                let _ = raised.value(py).call_method1("add_note", (note,));
                return Err(raised);
            }
        }
    })
}

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

    /// The scenario as it runs with `agents` and `seed` replacing its own.
    fn resolved_with(
        &self,
        py: Python<'_>,
        agents: Option<u64>,
        seed: Option<u64>,
    ) -> PyResult<scenario::Scenario> {
        let overrides = Overrides {
            agents,
            seed,
            ..Default::default()
        };
        py.detach(|| self.resolve(&overrides))
            .map_err(|e| scenario_error(py, &e))
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

/// A bands table (bands.csv's columns: date, day, platform, metric, replicates, mean,
/// mean_low, mean_high, median, low, high), led by a scenario column (a comparison's bands.csv
/// and differences.csv) when the sets are labelled.
fn bands_batch(
    sets: &[(Option<&str>, &Bands)],
    params: &exodus::scenario::Params,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows: Vec<(Option<&str>, BandRow)> = sets
        .iter()
        .flat_map(|(label, b)| b.rows().into_iter().map(move |r| (*label, r)))
        .collect();
    let text = |f: &dyn Fn(&BandRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>(),
        ))
    };
    let number = |f: &dyn Fn(&BandRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>(),
        ))
    };
    let whole = |f: &dyn Fn(&BandRow) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from(
            rows.iter().map(|(_, r)| f(r)).collect::<Vec<_>>(),
        ))
    };
    let mut columns: Vec<(&str, ArrayRef)> = Vec::new();
    if sets.iter().any(|(label, _)| label.is_some()) {
        columns.push((
            "scenario",
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|(l, _)| l.unwrap_or(""))
                    .collect::<Vec<_>>(),
            )),
        ));
    }
    columns.extend([
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
    ]);
    RecordBatch::try_from_iter(columns)
}

/// An Arrow error as a Python one.
fn arrow_error(e: arrow_schema::ArrowError) -> PyErr {
    ExodusError::new_err(format!("cannot build the results table: {e}"))
}

/// Checks a band's quantiles as the command line does.
fn check_band(band: (f64, f64)) -> PyResult<()> {
    if 0.0 < band.0 && band.0 < band.1 && band.1 < 1.0 {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "band {band:?}: the quantiles must satisfy 0 < low < high < 1"
        )))
    }
}

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
    check_band(band)?;
    let resolved = scenario.resolved_with(py, agents, seed)?;
    let params = resolved.params.clone();
    let runs = interruptible(py, |cancel| {
        exodus::app::simulate_in_memory(resolved, replicates, threads, cancel)
    })?;
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
    let mut bands = Bands::new(params.days as usize, params.platforms.len(), band.0, band.1);
    for rec in records.iter().flatten() {
        bands.add(rec);
    }
    Ok((
        PyRecordBatch::new(daily_batch(&records, &params).map_err(arrow_error)?),
        PyRecordBatch::new(flows_batch(&records, &params).map_err(arrow_error)?),
        PyRecordBatch::new(bands_batch(&[(None, &bands)], &params).map_err(arrow_error)?),
        summaries,
    ))
}

/// Everything a comparison returns to Python: the bands, differences and outcomes tables
/// (bands.csv, differences.csv, outcomes.csv), the scenarios' labels and seeds.
type CompareTables = (
    PyRecordBatch,
    PyRecordBatch,
    PyRecordBatch,
    Vec<String>,
    Vec<u64>,
);

/// Compares `scenarios` as `exodus compare` does (common random numbers unless `independent`,
/// paired differences from scenario `baseline`, outcomes on `dates` or the last common day)
/// and returns its tables.
#[pyfunction]
#[pyo3(signature = (scenarios, baseline = 0, replicates = 1, agents = None, seed = None, threads = None, band = (0.05, 0.95), dates = Vec::new(), independent = false))]
#[allow(clippy::too_many_arguments)]
fn compare_tables(
    py: Python<'_>,
    scenarios: Vec<Scenario>,
    baseline: usize,
    replicates: u32,
    agents: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    band: (f64, f64),
    dates: Vec<String>,
    independent: bool,
) -> PyResult<CompareTables> {
    if scenarios.len() < 2 {
        return Err(PyValueError::new_err(
            "compare needs at least two scenarios",
        ));
    }
    if baseline >= scenarios.len() {
        return Err(PyValueError::new_err(format!(
            "baseline {baseline}: there are {} scenarios (0 ..= {})",
            scenarios.len(),
            scenarios.len() - 1
        )));
    }
    if replicates == 0 {
        return Err(PyValueError::new_err("replicates must be at least 1"));
    }
    check_band(band)?;
    let dates = dates
        .iter()
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                PyValueError::new_err(format!("dates: {d:?} is not a date (YYYY-MM-DD)"))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let tables = interruptible(py, |cancel| {
        let opts = exodus::app::CompareOptions {
            title: None,
            description: String::new(),
            scenarios: scenarios.iter().map(|s| s.path.clone()).collect(),
            baseline,
            replicates,
            band,
            dates,
            independent,
            out: None,
            sim: exodus::app::SimOptions {
                seed,
                agents,
                threads,
                quiet: true,
                sets: Vec::new(),
                cancel: cancel.clone(),
            },
            plots: false,
            charts: Default::default(),
            shard: None,
            force: false,
            command_line: Vec::new(),
        };
        exodus::app::compare_in_memory(&opts, &|i, overrides| Ok(scenarios[i].resolve(overrides)?))
    })?;
    let c = &tables;
    fn labelled<'a>(
        labels: &'a [String],
        sets: &'a [Bands],
        skip: Option<usize>,
    ) -> Vec<(Option<&'a str>, &'a Bands)> {
        sets.iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .map(|(i, b)| (Some(labels[i].as_str()), b))
            .collect()
    }
    let bands =
        bands_batch(&labelled(&c.labels, &c.stats.bands, None), &c.params).map_err(arrow_error)?;
    let differences = bands_batch(
        &labelled(&c.labels, &c.stats.differences, Some(baseline)),
        &c.params,
    )
    .map_err(arrow_error)?;
    let rows = exodus::output::csv::outcome_rows(
        &c.labels,
        &c.stats.outcomes,
        &c.stats.outcome_differences,
        baseline,
    );
    let text = |f: &dyn Fn(&exodus::output::csv::OutcomeRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let outcomes = RecordBatch::try_from_iter([
        ("scenario", text(&|r| r.scenario.clone())),
        ("kind", text(&|r| r.kind.to_string())),
        ("outcome", text(&|r| r.outcome.clone())),
        ("platform", text(&|r| r.platform.clone())),
        ("statistic", text(&|r| r.statistic.to_string())),
        (
            "value",
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.value).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
    ])
    .map_err(arrow_error)?;
    Ok((
        PyRecordBatch::new(bands),
        PyRecordBatch::new(differences),
        PyRecordBatch::new(outcomes),
        c.labels.clone(),
        c.seeds.clone(),
    ))
}

/// A comparison file (comparisons/*.toml): its name, description, scenario files (resolved
/// against its folder), baseline index, replicates, band and dates, as `exodus compare` reads
/// them.
#[pyfunction]
fn read_comparison(py: Python<'_>, path: PathBuf) -> PyResult<ComparisonFileRead> {
    let c = exodus::experiment::comparison_file::load(&path).map_err(|e| scenario_error(py, &e))?;
    Ok((
        c.name,
        c.description,
        c.scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        c.baseline,
        c.replicates,
        c.band,
        c.dates.iter().map(|d| d.to_string()).collect(),
    ))
}

/// A comparison file as `read_comparison` returns it.
type ComparisonFileRead = (
    String,
    String,
    Vec<String>,
    usize,
    Option<u32>,
    Option<(f64, f64)>,
    Vec<String>,
);

/// Checks `scenario` against the targets file `targets` as `exodus check` does (`replicates`
/// replicates; each target's mean over them is judged) and returns each target's result as
/// JSON text.
#[pyfunction]
#[pyo3(signature = (scenario, targets, replicates = 1, agents = None, seed = None, threads = None))]
fn check_rows(
    py: Python<'_>,
    scenario: &Scenario,
    targets: PathBuf,
    replicates: u32,
    agents: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<String> {
    if replicates == 0 {
        return Err(PyValueError::new_err("replicates must be at least 1"));
    }
    let resolved = scenario.resolved_with(py, agents, seed)?;
    let results = interruptible(py, |cancel| {
        exodus::app::check_in_memory(resolved, &targets, replicates, threads, cancel)
    })?;
    serde_json::to_string(&results).map_err(|e| ExodusError::new_err(e.to_string()))
}

/// `--set` assignments from (path, value) pairs.
fn assignments(sets: Vec<(String, Bound<'_, PyAny>)>) -> PyResult<Vec<Assignment>> {
    sets.into_iter()
        .map(|(path, value)| {
            Ok(Assignment {
                path,
                value: toml_text(&value)?,
            })
        })
        .collect()
}

/// A scenario given to a sweep or calibration: they read files, so one made from text is
/// refused; its changes become `--set` assignments.
fn scenario_file(s: &Scenario, what: &str) -> PyResult<(PathBuf, Vec<Assignment>)> {
    if s.text.is_some() {
        return Err(PyValueError::new_err(format!(
            "{what} reads its scenario from a file; this one was made from text: write it to a file (Scenario.to_toml) and load that"
        )));
    }
    Ok((s.path.clone(), s.sets.clone()))
}

/// What a sweep returns to Python: its folder, its points, the points run now and resumed, and
/// the failed points with their errors.
type Swept = (String, usize, usize, usize, Vec<(usize, String)>);

/// Runs the sweep file `sweep` as `exodus sweep` does, into its folder (default
/// results/sweep-<file stem>; resumed when it holds this sweep's finished points), and returns
/// the folder, the points, the points run now, resumed, and the failed points with their
/// errors.
#[pyfunction]
#[pyo3(signature = (sweep, out = None, agents = None, replicates = None, samples = None, design = None, scenario = None, skip_missing = false, sets = Vec::new(), fresh = false, threads = None, plots = false))]
#[allow(clippy::too_many_arguments)]
fn sweep_run(
    py: Python<'_>,
    sweep: PathBuf,
    out: Option<PathBuf>,
    agents: Option<u64>,
    replicates: Option<u32>,
    samples: Option<usize>,
    design: Option<String>,
    scenario: Option<Scenario>,
    skip_missing: bool,
    sets: Vec<(String, Bound<'_, PyAny>)>,
    fresh: bool,
    threads: Option<usize>,
    plots: bool,
) -> PyResult<Swept> {
    if replicates == Some(0) || samples == Some(0) {
        return Err(PyValueError::new_err(
            "replicates and samples must be at least 1",
        ));
    }
    let design = match design {
        None => None,
        Some(d) => Some(exodus::sweep::design::Kind::parse(&d).ok_or_else(|| {
            let names: Vec<&str> = exodus::sweep::design::Kind::ALL
                .iter()
                .map(|k| k.name())
                .collect();
            PyValueError::new_err(format!("design {d:?}: allowed: {}", names.join(", ")))
        })?),
    };
    let mut sets = assignments(sets)?;
    let scenario = match scenario {
        None => None,
        Some(s) => {
            let (path, changes) = scenario_file(&s, "a sweep")?;
            sets.splice(0..0, changes);
            Some(path)
        }
    };
    let finished = interruptible(py, |cancel| {
        exodus::sweep::run(&exodus::sweep::SweepOptions {
            sweep,
            out,
            threads,
            shard: None,
            agents,
            replicates,
            samples,
            design,
            scenario,
            skip_missing,
            sets,
            fresh,
            plots,
            quiet: true,
            cancel: cancel.clone(),
        })
    })?;
    Ok((
        finished.out.display().to_string(),
        finished.points,
        finished.ran,
        finished.resumed,
        finished.failed,
    ))
}

/// The sensitivity indices of the finished sweep folder `folder`, as `exodus sensitivity`
/// computes them (sensitivity.csv's rows, as JSON text); nothing is written.
#[pyfunction]
#[pyo3(signature = (folder, resamples = 1000, level = 0.95))]
fn sensitivity_rows(
    py: Python<'_>,
    folder: PathBuf,
    resamples: usize,
    level: f64,
) -> PyResult<String> {
    let analysis = interruptible(py, |_| {
        exodus::sweep::analyse::analyse(&exodus::sweep::analyse::SensitivityOptions {
            results: folder,
            out: None,
            resamples,
            level,
            plots: false,
        })
    })?;
    serde_json::to_string(&exodus::sweep::analyse::index_rows(&analysis))
        .map_err(|e| ExodusError::new_err(e.to_string()))
}

/// What a calibration returns to Python: its folder, why it stopped, whether it is complete,
/// its summary text, and posterior.csv's and predictive.csv's rows as JSON text.
type Calibrated = (String, String, bool, String, String, String);

/// Calibrates `scenario` against the targets file `targets` with the calibration file `params`
/// as `exodus calibrate` does, into its folder (default results/calibrate-<scenario stem>;
/// resumed from its saved state).
#[pyfunction]
#[pyo3(signature = (scenario, targets, params, out = None, method = None, seeds = None, agents = None, seed = None, particles = None, max_generations = None, max_simulations = None, max_seconds = None, restarts = None, threads = None, sets = Vec::new(), fresh = false, plots = false))]
#[allow(clippy::too_many_arguments)]
fn calibrate_run(
    py: Python<'_>,
    scenario: &Scenario,
    targets: PathBuf,
    params: PathBuf,
    out: Option<PathBuf>,
    method: Option<String>,
    seeds: Option<u32>,
    agents: Option<u64>,
    seed: Option<u64>,
    particles: Option<usize>,
    max_generations: Option<usize>,
    max_simulations: Option<u64>,
    max_seconds: Option<f64>,
    restarts: Option<usize>,
    threads: Option<usize>,
    sets: Vec<(String, Bound<'_, PyAny>)>,
    fresh: bool,
    plots: bool,
) -> PyResult<Calibrated> {
    let method = match method {
        None => None,
        Some(m) => Some(exodus::calibrate::Method::parse(&m).ok_or_else(|| {
            PyValueError::new_err(format!("method {m:?}: allowed: abc-smc, nelder-mead"))
        })?),
    };
    let (path, mut changes) = scenario_file(scenario, "a calibration")?;
    changes.extend(assignments(sets)?);
    // The folder's report and fitted.toml quote the command that reruns the calibration: the
    // command line equivalent to this call.
    let mut command_line: Vec<String> = ["exodus", "calibrate"]
        .iter()
        .map(|a| a.to_string())
        .chain([&path, &targets].map(|p| p.display().to_string()))
        .chain(["--params".to_string(), params.display().to_string()])
        .collect();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            command_line.extend([format!("--{name}"), v]);
        }
    };
    flag("out", out.as_ref().map(|o| o.display().to_string()));
    flag("method", method.map(|m| m.name().to_string()));
    flag("seeds", seeds.map(|x| x.to_string()));
    flag("agents", agents.map(|x| x.to_string()));
    flag("seed", seed.map(|x| x.to_string()));
    flag("particles", particles.map(|x| x.to_string()));
    flag("generations", max_generations.map(|x| x.to_string()));
    flag("max-simulations", max_simulations.map(|x| x.to_string()));
    flag("max-seconds", max_seconds.map(|x| x.to_string()));
    flag("restarts", restarts.map(|x| x.to_string()));
    flag("threads", threads.map(|x| x.to_string()));
    for a in &changes {
        flag("set", Some(format!("{}={}", a.path, a.value)));
    }
    if fresh {
        command_line.push("--fresh".into());
    }
    if !plots {
        command_line.push("--no-plots".into());
    }
    let finished = interruptible(py, |cancel| {
        exodus::calibrate::run(&exodus::calibrate::CalibrateOptions {
            scenario: path,
            targets,
            params,
            out,
            method,
            seeds,
            agents,
            seed,
            particles,
            max_generations,
            max_simulations,
            max_seconds,
            restarts,
            threads,
            sets: changes,
            fresh,
            plots,
            quiet: true,
            command_line,
            cancel: cancel.clone(),
        })
    })?;
    Ok((
        finished.out.display().to_string(),
        finished.stopped,
        finished.complete,
        finished.summary,
        serde_json::to_string(&finished.posterior).unwrap_or_default(),
        serde_json::to_string(&finished.predictive).unwrap_or_default(),
    ))
}

#[pymodule]
fn _exodus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_function(wrap_pyfunction!(run_tables, m)?)?;
    m.add_function(wrap_pyfunction!(compare_tables, m)?)?;
    m.add_function(wrap_pyfunction!(read_comparison, m)?)?;
    m.add_function(wrap_pyfunction!(check_rows, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_run, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity_rows, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate_run, m)?)?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("ExodusError", m.py().get_type::<ExodusError>())?;
    m.add("__version__", exodus::VERSION)?;
    Ok(())
}
