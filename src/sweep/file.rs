//! The sweep file (`exodus sweep SWEEP.toml`): the base scenario, the parameters by their
//! scenario paths with their ranges, value lists or distributions, the design, the replicates
//! per point and the outcomes to record. Read with spans, so every error names the file, line,
//! field and allowed range, as scenario errors do. Documented key by key in docs/sweeps.md.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::design::{self, Kind};
use crate::metrics::Metric;
use crate::scenario::diagnose::did_you_mean;
use crate::scenario::located::{self, Located};
use crate::scenario::{Location, ScenarioError};

/// A sweep file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    sweep: Spanned<SettingsFile>,
    #[serde(default)]
    outcomes: OutcomesFile,
    parameters: Spanned<Vec<ParameterFile>>,
}

/// `[sweep]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    /// The base scenario, relative to the sweep file.
    scenario: Spanned<String>,
    design: Spanned<String>,
    /// Points (random, latin-hypercube, sobol), base rows (saltelli), trajectories (morris).
    samples: Option<Spanned<i64>>,
    replicates: Option<Spanned<i64>>,
    agents: Option<Spanned<i64>>,
    /// Seed of the design's own random numbers [default: the scenario's meta.seed].
    seed: Option<Spanned<i64>>,
    /// Morris: levels of each parameter's grid.
    levels: Option<Spanned<i64>>,
}

/// `[outcomes]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OutcomesFile {
    /// Platforms whose key outcomes are recorded [default: every platform].
    platforms: Option<Vec<Spanned<String>>>,
    /// Which key outcomes [default: all].
    key: Option<Vec<Spanned<String>>>,
    /// Dates of `main_users_lost_by` [default: the last day].
    #[serde(default)]
    dates: Vec<Spanned<toml::Value>>,
    /// Statistics of daily metrics.
    #[serde(default)]
    daily: Vec<DailyFile>,
}

/// One `[[outcomes.daily]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DailyFile {
    name: Option<Spanned<String>>,
    metric: Spanned<String>,
    platform: Spanned<String>,
    statistic: Spanned<String>,
    date: Option<Spanned<toml::Value>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
}

/// One `[[parameters]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterFile {
    path: Spanned<String>,
    #[serde(default)]
    also: Vec<Spanned<String>>,
    distribution: Option<Spanned<String>>,
    low: Option<Spanned<f64>>,
    high: Option<Spanned<f64>>,
    mode: Option<Spanned<f64>>,
    mean: Option<Spanned<f64>>,
    sd: Option<Spanned<f64>>,
    values: Option<Spanned<Vec<f64>>>,
    /// Grid: evenly spaced values over the range (in the distribution's quantiles).
    levels: Option<Spanned<i64>>,
    #[serde(default)]
    source: String,
}

/// How a parameter's unit-cube coordinate u maps to its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "kebab-case")]
pub enum Distribution {
    /// low + u (high - low).
    Uniform { low: f64, high: f64 },
    /// low (high / low)^u.
    LogUniform { low: f64, high: f64 },
    /// The triangular distribution's quantile.
    Triangular { low: f64, mode: f64, high: f64 },
    /// A normal of `mean` and `sd` truncated to [low, high]: mean + sd Phi^-1(Phi(a) + u
    /// (Phi(b) - Phi(a))), a and b the standardised bounds.
    Normal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    /// One of a list, each equally likely: values[floor(u n)].
    Values { values: Vec<f64> },
}

/// The standard normal's distribution function.
fn phi(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

impl Distribution {
    /// The value at unit coordinate `u` in [0, 1], inside the range despite rounding.
    pub fn value(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            Distribution::Uniform { low, high } => (low + u * (high - low)).clamp(*low, *high),
            Distribution::LogUniform { low, high } => {
                (low * (high / low).powf(u)).clamp(*low, *high)
            }
            Distribution::Triangular { low, mode, high } => {
                let c = (mode - low) / (high - low);
                let x = if u < c {
                    low + (u * (high - low) * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * (high - low) * (high - mode)).sqrt()
                };
                x.clamp(*low, *high)
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                let (a, b) = (phi((low - mean) / sd), phi((high - mean) / sd));
                let p = (a + u * (b - a)).clamp(1e-300, 1.0 - 1e-16);
                (mean + sd * crate::rng::normal_quantile(p)).clamp(*low, *high)
            }
            Distribution::Values { values } => {
                let n = values.len();
                values[((u * n as f64) as usize).min(n - 1)]
            }
        }
    }

    /// The smallest and largest values it can take.
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Distribution::Uniform { low, high }
            | Distribution::LogUniform { low, high }
            | Distribution::Triangular { low, high, .. }
            | Distribution::Normal { low, high, .. } => (*low, *high),
            Distribution::Values { values } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                }),
        }
    }

    /// "uniform(0.1, 2)" for tables.
    pub fn describe(&self) -> String {
        match self {
            Distribution::Uniform { low, high } => format!("uniform({low}, {high})"),
            Distribution::LogUniform { low, high } => format!("log-uniform({low}, {high})"),
            Distribution::Triangular { low, mode, high } => {
                format!("triangular({low}, {mode}, {high})")
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => format!("normal({mean}, {sd}) in [{low}, {high}]"),
            Distribution::Values { values } => format!(
                "one of {}",
                values
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A checked parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub path: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    #[serde(flatten)]
    pub distribution: Distribution,
    /// Grid designs: the values of the grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<Vec<f64>>,
    pub source: String,
    #[serde(skip)]
    pub location: Location,
}

impl Parameter {
    /// Every path this parameter sets: `path`, then `also`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.also.iter().map(String::as_str))
    }
}

/// The statistics of a daily metric a sweep can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Statistic {
    /// The value on `date`.
    Value,
    /// The largest value between `from` and `to`.
    Peak,
    /// The day index (0 = the scenario's start) of that largest value, the first if tied.
    PeakDay,
    /// The mean between `from` and `to`.
    Mean,
}

impl Statistic {
    const ALL: [(&'static str, Statistic); 4] = [
        ("value", Statistic::Value),
        ("peak", Statistic::Peak),
        ("peak-day", Statistic::PeakDay),
        ("mean", Statistic::Mean),
    ];

    pub fn name(self) -> &'static str {
        Statistic::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("value", |(n, _)| n)
    }
}

/// A statistic of a daily metric, dates not yet checked against the scenario.
#[derive(Debug, Clone)]
pub struct DailyOutcome {
    pub name: String,
    pub metric: Metric,
    pub platform: String,
    pub statistic: Statistic,
    pub date: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub location: Location,
}

/// The key outcomes of `exodus compare`, by name.
pub const KEY_OUTCOMES: [&str; 7] = [
    "peak_daily_active_users",
    "peak_day",
    "main_users_lost_by",
    "retained_30d_after_peak",
    "retained_90d_after_peak",
    "total_installs",
    "moves_back_per_move_away",
];

/// `[outcomes]`, checked.
#[derive(Debug, Clone)]
pub struct Outcomes {
    /// None: every platform.
    pub platforms: Option<Vec<(String, Location)>>,
    pub key: Vec<String>,
    pub dates: Vec<(NaiveDate, Location)>,
    pub daily: Vec<DailyOutcome>,
}

/// A checked sweep file.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The sweep file.
    pub path: PathBuf,
    /// The base scenario, as a path from the working directory.
    pub scenario: PathBuf,
    pub scenario_location: Location,
    pub design: Kind,
    /// Samples (see `Kind::unit`); for a grid, its number of points.
    pub samples: usize,
    pub replicates: u32,
    pub agents: Option<u64>,
    pub seed: Option<u64>,
    pub levels: usize,
    pub parameters: Vec<Parameter>,
    pub outcomes: Outcomes,
}

impl Sweep {
    /// Points of the design.
    pub fn points(&self) -> usize {
        self.samples * self.design.points_per_sample(self.parameters.len())
    }
}

/// Checks `n` samples of `design` over `d` parameters (from `field` at `location`): in range,
/// not too many points, and enough base rows for Sobol' indices.
pub fn check_samples(
    design: Kind,
    d: usize,
    n: i64,
    location: Location,
    field: &str,
) -> Result<usize, ScenarioError> {
    let refuse = |problem: String, allowed: String| {
        Err(ScenarioError::invalid(
            location.clone(),
            field,
            n,
            problem,
            allowed,
        ))
    };
    if design == Kind::Grid {
        return refuse(
            "is set by the grid itself (the product of the parameters' value counts)".into(),
            "no samples for a grid".into(),
        );
    }
    if !SAMPLES.contains(&n) {
        return refuse(
            "is out of range".into(),
            format!("{} ..= {}", SAMPLES.start(), SAMPLES.end()),
        );
    }
    let points = (n as usize).saturating_mul(design.points_per_sample(d));
    if points > MAX_POINTS {
        return refuse(
            format!("makes {points} points"),
            format!("at most {MAX_POINTS} points"),
        );
    }
    if design == Kind::Saltelli && n < 2 {
        return refuse(
            "is too few base rows for Sobol' indices".into(),
            "2 or more (a power of two, 64 or more, in practice)".into(),
        );
    }
    Ok(n as usize)
}

/// Allowed ranges.
pub const SAMPLES: RangeInclusive<i64> = 1..=10_000_000;
pub const REPLICATES: RangeInclusive<i64> = 1..=10_000;
pub const AGENTS: RangeInclusive<i64> = 2..=4_000_000_000;
pub const LEVELS: RangeInclusive<i64> = 2..=100;
pub const GRID_LEVELS: RangeInclusive<i64> = 1..=10_000;
/// Most points a sweep may have.
pub const MAX_POINTS: usize = 100_000_000;
/// Most parameters (the Saltelli design's 2d Sobol' dimensions must be among the 1,000).
pub const MAX_PARAMETERS: usize = design::SOBOL_DIMENSIONS / 2;

/// A date written as a TOML date or a "YYYY-MM-DD" string (anything else, e.g. an inline
/// table, is refused with its place).
fn read_date(
    at: &Located,
    v: &Spanned<toml::Value>,
    field: &str,
) -> Result<NaiveDate, ScenarioError> {
    let bad = || {
        ScenarioError::invalid(
            at.loc(v.span()),
            field,
            v.get_ref().to_string(),
            "is not a date",
            "a date, 2025-01-31 (or \"2025-01-31\")",
        )
    };
    let text = match v.get_ref() {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => return Err(bad()),
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| bad())
}

/// What the command line replaces in a sweep file (`--design`, `--samples`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Replace {
    pub design: Option<Kind>,
    pub samples: Option<u64>,
}

/// Reads and checks a sweep file, with `replace`'s values instead of the file's. Paths,
/// platforms and dates are checked against the scenario later (`sweep::Setup`), where it is
/// known.
pub fn load(path: &Path, replace: Replace) -> Result<Sweep, ScenarioError> {
    let (file, source) = located::parse_file(path)?;
    check(file, &source, path, replace)
}

/// Parses sweep text read from `path`.
pub fn parse(source: &str, path: &Path) -> Result<Sweep, ScenarioError> {
    check(
        located::parse_text(source, path)?,
        source,
        path,
        Replace::default(),
    )
}

fn check(
    file: SweepFile,
    source: &str,
    path: &Path,
    replace: Replace,
) -> Result<Sweep, ScenarioError> {
    let at = Located { path, source };
    let s = file.sweep.get_ref();
    let design_names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let file_design = Kind::parse(s.design.get_ref().trim());
    let design = replace.design.or(file_design).ok_or_else(|| {
        ScenarioError::invalid(
            at.loc(s.design.span()),
            "sweep.design",
            format!("\"{}\"", s.design.get_ref()),
            format!(
                "is not a design{}",
                did_you_mean(s.design.get_ref(), design_names.iter().copied())
            ),
            design_names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let scenario_text = s.scenario.get_ref().trim();
    let scenario = path.parent().unwrap_or(Path::new("")).join(scenario_text);
    let replicates = at
        .in_range(&s.replicates, "sweep.replicates", REPLICATES)?
        .unwrap_or(1) as u32;
    let agents = at
        .in_range(&s.agents, "sweep.agents", AGENTS)?
        .map(|a| a as u64);
    let seed = s.seed.as_ref().map(|v| *v.get_ref() as u64);
    let levels = at.in_range(&s.levels, "sweep.levels", LEVELS)?.unwrap_or(4) as usize;
    // A design given on the command line makes the file's Morris levels moot.
    if let Some(l) = &s.levels
        && design != Kind::Morris
        && replace.design.is_none()
    {
        return Err(ScenarioError::invalid(
            at.loc(l.span()),
            "sweep.levels",
            l.get_ref(),
            format!("is for the morris design, not {}", design.name()),
            "no sweep.levels (grids take levels or values per parameter)",
        ));
    }

    let parameters = parameters(&file, &at, design)?;
    let samples = if let Some(n) = replace.samples {
        check_samples(
            design,
            parameters.len(),
            i64::try_from(n).unwrap_or(i64::MAX),
            Location::Flag("--samples".into()),
            "--samples",
        )?
    } else if design == Kind::Grid {
        if let Some(v) = &s.samples
            && replace.design.is_none()
        {
            check_samples(design, 0, *v.get_ref(), at.loc(v.span()), "sweep.samples")?;
        }
        let sizes: Vec<usize> = parameters
            .iter()
            .map(|p| p.grid.as_ref().map_or(1, Vec::len))
            .collect();
        match design::grid_size(&sizes).filter(|&n| n <= MAX_POINTS) {
            Some(n) => n,
            None => {
                return Err(ScenarioError::invalid(
                    at.loc(file.parameters.span()),
                    "parameters[].levels / values",
                    sizes
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" x "),
                    "makes too large a grid",
                    format!("at most {MAX_POINTS} points"),
                ));
            }
        }
    } else {
        let Some(v) = &s.samples else {
            return Err(ScenarioError::invalid(
                at.loc(file.sweep.span()),
                "sweep.samples",
                "(missing)",
                format!(
                    "the {} design needs its number of {}",
                    design.name(),
                    design.unit()
                ),
                format!("samples = {} ..= {}", SAMPLES.start(), SAMPLES.end()),
            ));
        };
        check_samples(
            design,
            parameters.len(),
            *v.get_ref(),
            at.loc(v.span()),
            "sweep.samples",
        )?
    };
    let outcomes = outcomes(&file.outcomes, &at)?;
    Ok(Sweep {
        path: path.to_path_buf(),
        scenario,
        scenario_location: at.loc(s.scenario.span()),
        design,
        samples,
        replicates,
        agents,
        seed,
        levels,
        parameters,
        outcomes,
    })
}

fn parameters(
    file: &SweepFile,
    at: &Located,
    design: Kind,
) -> Result<Vec<Parameter>, ScenarioError> {
    let list = file.parameters.get_ref();
    if list.is_empty() {
        return Err(ScenarioError::invalid(
            at.loc(file.parameters.span()),
            "parameters",
            "[]",
            "names no parameter",
            "one or more [[parameters]] with a path and a range, values or distribution",
        ));
    }
    if list.len() > MAX_PARAMETERS {
        return Err(ScenarioError::invalid(
            at.loc(file.parameters.span()),
            "parameters",
            list.len(),
            "are too many",
            format!("1 ..= {MAX_PARAMETERS}"),
        ));
    }
    let mut out: Vec<Parameter> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let field = |k: &str| format!("parameters[{i}].{k}");
        let (path_text, also) = at.parameter_paths(i, &p.path, &p.also, |text| {
            out.iter().any(|q| q.paths().any(|x| x == text))
        })?;
        let distribution = distribution(p, at, &field)?;
        let grid = if design == Kind::Grid {
            Some(grid_values(p, at, &field, &distribution)?)
        } else {
            if let Some(l) = &p.levels {
                return Err(ScenarioError::invalid(
                    at.loc(l.span()),
                    field("levels"),
                    l.get_ref(),
                    format!("is for grid designs, not {}", design.name()),
                    "no levels (the design places the points)",
                ));
            }
            None
        };
        out.push(Parameter {
            path: path_text,
            also,
            distribution,
            grid,
            source: p.source.trim().to_string(),
            location: at.loc(p.path.span()),
        });
    }
    Ok(out)
}

const DISTRIBUTIONS: [&str; 5] = ["uniform", "log-uniform", "triangular", "normal", "values"];

fn distribution(
    p: &ParameterFile,
    at: &Located,
    field: &dyn Fn(&str) -> String,
) -> Result<Distribution, ScenarioError> {
    let name = match (&p.distribution, &p.values) {
        (Some(d), _) => d.get_ref().trim().to_string(),
        (None, Some(_)) => "values".to_string(),
        (None, None) => "uniform".to_string(),
    };
    let here = p.distribution.as_ref().map_or(p.path.span(), |d| d.span());
    let number = |v: &Option<Spanned<f64>>, k: &str| -> Result<f64, ScenarioError> {
        match at.finite(v, &field(k))? {
            Some(x) => Ok(x),
            None => Err(ScenarioError::invalid(
                at.loc(here.clone()),
                field(k),
                "(missing)",
                format!("distribution \"{name}\" needs {k}"),
                match name.as_str() {
                    "triangular" => "low, mode and high with low <= mode <= high, low < high",
                    "normal" => "mean, sd > 0, and low < high to truncate it to",
                    _ => "low and high with low < high",
                },
            )),
        }
    };
    let range = |log: bool| -> Result<(f64, f64), ScenarioError> {
        let (low, high) = (number(&p.low, "low")?, number(&p.high, "high")?);
        if low >= high || (log && low <= 0.0) {
            let span = p.high.as_ref().map_or(here.clone(), |h| h.span());
            return Err(ScenarioError::invalid(
                at.loc(span),
                field("high"),
                high,
                format!("does not make a {name} range with low = {low}"),
                if log { "0 < low < high" } else { "low < high" },
            ));
        }
        Ok((low, high))
    };
    let d = match name.as_str() {
        "uniform" => {
            let (low, high) = range(false)?;
            Distribution::Uniform { low, high }
        }
        "log-uniform" => {
            let (low, high) = range(true)?;
            Distribution::LogUniform { low, high }
        }
        "triangular" => {
            let (low, high) = range(false)?;
            let mode = number(&p.mode, "mode")?;
            if !(low..=high).contains(&mode) {
                return Err(ScenarioError::invalid(
                    at.loc(p.mode.as_ref().map_or(here, |m| m.span())),
                    field("mode"),
                    mode,
                    "is outside [low, high]",
                    format!("{low} ..= {high}"),
                ));
            }
            Distribution::Triangular { low, mode, high }
        }
        "normal" => {
            let (low, high) = range(false)?;
            let mean = number(&p.mean, "mean")?;
            let sd = number(&p.sd, "sd")?;
            if sd <= 0.0 {
                return Err(ScenarioError::invalid(
                    at.loc(p.sd.as_ref().map_or(here, |m| m.span())),
                    field("sd"),
                    sd,
                    "is not positive",
                    "sd > 0",
                ));
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            }
        }
        "values" => {
            let Some(v) = &p.values else {
                return Err(ScenarioError::invalid(
                    at.loc(here),
                    field("values"),
                    "(missing)",
                    "distribution \"values\" needs its list",
                    "values = [a, b, ...] (one or more finite numbers)",
                ));
            };
            if v.get_ref().is_empty() || v.get_ref().iter().any(|x| !x.is_finite()) {
                return Err(ScenarioError::invalid(
                    at.loc(v.span()),
                    field("values"),
                    format!("{:?}", v.get_ref()),
                    "is not a list of finite numbers",
                    "values = [a, b, ...] (one or more finite numbers)",
                ));
            }
            Distribution::Values {
                values: v.get_ref().clone(),
            }
        }
        other => {
            return Err(ScenarioError::invalid(
                at.loc(here),
                field("distribution"),
                format!("\"{other}\""),
                format!(
                    "is not a distribution{}",
                    did_you_mean(other, DISTRIBUTIONS.iter().copied())
                ),
                DISTRIBUTIONS
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
    };
    // Keys that this distribution does not read are refused, not ignored.
    let unused: [(&str, Option<std::ops::Range<usize>>, bool); 4] = [
        (
            "mode",
            p.mode.as_ref().map(|m| m.span()),
            matches!(d, Distribution::Triangular { .. }),
        ),
        (
            "mean",
            p.mean.as_ref().map(|m| m.span()),
            matches!(d, Distribution::Normal { .. }),
        ),
        (
            "sd",
            p.sd.as_ref().map(|m| m.span()),
            matches!(d, Distribution::Normal { .. }),
        ),
        (
            "values",
            p.values.as_ref().map(|m| m.span()),
            matches!(d, Distribution::Values { .. }),
        ),
    ];
    for (key, span, used) in unused {
        if let (Some(span), false) = (span, used) {
            return Err(ScenarioError::invalid(
                at.loc(span),
                field(key),
                "(set)",
                format!("is not read by distribution \"{name}\""),
                format!("the keys of \"{name}\" only"),
            ));
        }
    }
    if matches!(d, Distribution::Values { .. })
        && let Some(x) = p.low.as_ref().or(p.high.as_ref())
    {
        return Err(ScenarioError::invalid(
            at.loc(x.span()),
            field("low / high"),
            x.get_ref(),
            "is not read with a list of values",
            "values = [...] alone",
        ));
    }
    Ok(d)
}

/// A grid parameter's values: its list, or `levels` evenly spaced quantiles of its range.
fn grid_values(
    p: &ParameterFile,
    at: &Located,
    field: &dyn Fn(&str) -> String,
    d: &Distribution,
) -> Result<Vec<f64>, ScenarioError> {
    if let Distribution::Values { values } = d {
        if let Some(l) = &p.levels {
            return Err(ScenarioError::invalid(
                at.loc(l.span()),
                field("levels"),
                l.get_ref(),
                "is not read with a list of values",
                "values = [...] or levels = N with a range, not both",
            ));
        }
        return Ok(values.clone());
    }
    if p.levels.is_none() {
        return Err(ScenarioError::invalid(
            at.loc(p.path.span()),
            field("levels"),
            "(missing)",
            "a grid needs each parameter's values",
            "levels = N (evenly spaced over the range) or values = [...]",
        ));
    }
    let n = at.int(&p.levels, &field("levels"), GRID_LEVELS, 1)? as usize;
    Ok(if n == 1 {
        vec![d.value(0.5)]
    } else {
        (0..n).map(|i| d.value(i as f64 / (n - 1) as f64)).collect()
    })
}

fn outcomes(o: &OutcomesFile, at: &Located) -> Result<Outcomes, ScenarioError> {
    let key = match &o.key {
        None => KEY_OUTCOMES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            let mut key = Vec::new();
            for (i, k) in list.iter().enumerate() {
                let name = k.get_ref().trim();
                if !KEY_OUTCOMES.contains(&name) {
                    return Err(ScenarioError::invalid(
                        at.loc(k.span()),
                        format!("outcomes.key[{i}]"),
                        format!("\"{name}\""),
                        format!(
                            "is not a key outcome{}",
                            did_you_mean(name, KEY_OUTCOMES.iter().copied())
                        ),
                        KEY_OUTCOMES.join(", "),
                    ));
                }
                key.push(name.to_string());
            }
            key
        }
    };
    let platforms = o.platforms.as_ref().map(|list| {
        list.iter()
            .map(|p| (p.get_ref().trim().to_string(), at.loc(p.span())))
            .collect()
    });
    let dates = o
        .dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Ok((
                read_date(at, d, &format!("outcomes.dates[{i}]"))?,
                at.loc(d.span()),
            ))
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    let metric_names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
    let statistic_names: Vec<&str> = Statistic::ALL.iter().map(|(n, _)| *n).collect();
    let mut daily = Vec::new();
    for (i, d) in o.daily.iter().enumerate() {
        let field = |k: &str| format!("outcomes.daily[{i}].{k}");
        let metric_name = d.metric.get_ref().trim();
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.name() == metric_name)
            .ok_or_else(|| {
                ScenarioError::invalid(
                    at.loc(d.metric.span()),
                    field("metric"),
                    format!("\"{metric_name}\""),
                    format!(
                        "is not a daily metric{}",
                        did_you_mean(metric_name, metric_names.iter().copied())
                    ),
                    metric_names.join(", "),
                )
            })?;
        let stat_name = d.statistic.get_ref().trim();
        let statistic = Statistic::ALL
            .iter()
            .find(|(n, _)| *n == stat_name)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                ScenarioError::invalid(
                    at.loc(d.statistic.span()),
                    field("statistic"),
                    format!("\"{stat_name}\""),
                    format!(
                        "is not a statistic{}",
                        did_you_mean(stat_name, statistic_names.iter().copied())
                    ),
                    statistic_names.join(", "),
                )
            })?;
        let date = d
            .date
            .as_ref()
            .map(|v| read_date(at, v, &field("date")))
            .transpose()?;
        let from = d
            .from
            .as_ref()
            .map(|v| read_date(at, v, &field("from")))
            .transpose()?;
        let to =
            d.to.as_ref()
                .map(|v| read_date(at, v, &field("to")))
                .transpose()?;
        match statistic {
            Statistic::Value if date.is_none() => {
                return Err(ScenarioError::invalid(
                    at.loc(d.statistic.span()),
                    field("date"),
                    "(missing)",
                    "the value of a metric needs its date",
                    "date = YYYY-MM-DD",
                ));
            }
            Statistic::Value if from.is_some() || to.is_some() => {
                return Err(ScenarioError::invalid(
                    at.loc(d.statistic.span()),
                    field("from / to"),
                    "(set)",
                    "are not read by statistic \"value\"",
                    "date = YYYY-MM-DD alone",
                ));
            }
            Statistic::Peak | Statistic::PeakDay | Statistic::Mean if date.is_some() => {
                return Err(ScenarioError::invalid(
                    at.loc(d.statistic.span()),
                    field("date"),
                    "(set)",
                    format!("is not read by statistic \"{stat_name}\""),
                    "from and to (optional; default the whole run)",
                ));
            }
            _ => {}
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ScenarioError::invalid(
                at.loc(d.statistic.span()),
                field("to"),
                t,
                format!("is before from = {f}"),
                "from <= to",
            ));
        }
        let platform = d.platform.get_ref().trim().to_string();
        let name = match &d.name {
            Some(n) if !n.get_ref().trim().is_empty() => n.get_ref().trim().to_string(),
            _ => {
                let mut n = format!("{platform}.{}.{}", metric.name(), statistic.name());
                if let Some(date) = date {
                    n.push_str(&format!(".{date}"));
                }
                if from.is_some() || to.is_some() {
                    n.push_str(&format!(
                        ".{}..{}",
                        from.map_or("start".into(), |d| d.to_string()),
                        to.map_or("end".into(), |d| d.to_string())
                    ));
                }
                n
            }
        };
        daily.push(DailyOutcome {
            name,
            metric,
            platform,
            statistic,
            date,
            from,
            to,
            location: at.loc(d.platform.span()),
        });
    }
    Ok(Outcomes {
        platforms,
        key,
        dates,
        daily,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Sweep, String> {
        parse(text, Path::new("sweeps/x.toml")).map_err(|e| e.to_string())
    }

    const BASE: &str = r#"
[sweep]
scenario = "../scenarios/historical-2025.toml"
design = "saltelli"
samples = 64
replicates = 2

[[parameters]]
path = "platforms.RedNote.appeal"
low = -1.0
high = 2.0
source = "assumption"

[[parameters]]
path = "mechanisms.return_cost"
distribution = "log-uniform"
low = 0.5
high = 8.0
"#;

    #[test]
    fn a_sweep_file_reads() {
        let s = parse_text(BASE).unwrap();
        assert_eq!(s.design, Kind::Saltelli);
        assert_eq!(s.points(), 64 * 4);
        assert_eq!(
            s.scenario,
            Path::new("sweeps/../scenarios/historical-2025.toml")
        );
        assert_eq!(s.outcomes.key.len(), KEY_OUTCOMES.len());
        assert_eq!(
            s.parameters[1].distribution,
            Distribution::LogUniform {
                low: 0.5,
                high: 8.0
            }
        );
    }

    #[test]
    fn errors_name_the_line_field_and_allowed_values() {
        let e = parse_text(&BASE.replace("\"saltelli\"", "\"saltely\"")).unwrap_err();
        assert!(
            e.starts_with("sweeps/x.toml:4:10: sweep.design = \"saltely\""),
            "{e}"
        );
        assert!(
            e.contains("did you mean `saltelli`?") && e.contains("\"morris\""),
            "{e}"
        );
        let e = parse_text(&BASE.replace("samples = 64", "samples = 0")).unwrap_err();
        assert!(
            e.contains(":5:11: sweep.samples = 0: is out of range"),
            "{e}"
        );
        let e = parse_text(&BASE.replace("high = 2.0", "high = -2.0")).unwrap_err();
        assert!(e.contains("parameters[0].high = -2"), "{e}");
        let e = parse_text(&BASE.replace("low = 0.5", "low = 0.0")).unwrap_err();
        assert!(e.contains("0 < low < high"), "{e}");
        let e = parse_text(&BASE.replace("samples = 64\n", "")).unwrap_err();
        assert!(e.contains("sweep.samples = (missing)"), "{e}");
        let e = parse_text(&format!("{BASE}\n[outcomes]\nkey = [\"peak_dau\"]\n")).unwrap_err();
        assert!(
            e.contains("outcomes.key[0]") && e.contains("peak_daily_active_users"),
            "{e}"
        );
        let e =
            parse_text(&BASE.replace("replicates = 2", "replicates = 2\nbogus = 1")).unwrap_err();
        assert!(
            e.contains("sweep.bogus = 1: `bogus` is not a key in `sweep`"),
            "{e}"
        );
        let e = parse_text(&BASE.replace("source = \"assumption\"", "mode = 1.0")).unwrap_err();
        assert!(
            e.contains("parameters[0].mode") && e.contains("not read"),
            "{e}"
        );
    }

    #[test]
    fn grids_take_levels_or_values() {
        let text = r#"
[sweep]
scenario = "s.toml"
design = "grid"
[[parameters]]
path = "a"
low = 0.0
high = 1.0
levels = 3
[[parameters]]
path = "b"
values = [1.0, 5.0]
"#;
        let s = parse_text(text).unwrap();
        assert_eq!(s.points(), 6);
        assert_eq!(s.parameters[0].grid, Some(vec![0.0, 0.5, 1.0]));
        assert_eq!(s.parameters[1].grid, Some(vec![1.0, 5.0]));
        let e = parse_text(&text.replace("levels = 3\n", "")).unwrap_err();
        assert!(e.contains("parameters[0].levels = (missing)"), "{e}");
        let e = parse_text(&text.replace("design = \"grid\"", "design = \"grid\"\nsamples = 4"))
            .unwrap_err();
        assert!(e.contains("sweep.samples"), "{e}");
    }

    #[test]
    fn daily_outcomes_are_checked_and_named() {
        let text = format!(
            "{BASE}\n[[outcomes.daily]]\nmetric = \"daily_active_users\"\nplatform = \"RedNote\"\nstatistic = \"value\"\ndate = 2025-01-31\n\n[[outcomes.daily]]\nmetric = \"installs\"\nplatform = \"Lemon8\"\nstatistic = \"mean\"\nfrom = 2025-01-13\n"
        );
        let s = parse_text(&text).unwrap();
        assert_eq!(
            s.outcomes.daily[0].name,
            "RedNote.daily_active_users.value.2025-01-31"
        );
        assert_eq!(
            s.outcomes.daily[1].name,
            "Lemon8.installs.mean.2025-01-13..end"
        );
        let e = parse_text(&text.replace("date = 2025-01-31", "")).unwrap_err();
        assert!(e.contains("outcomes.daily[0].date = (missing)"), "{e}");
        let e = parse_text(&text.replace("date = 2025-01-31", "date = {}")).unwrap_err();
        assert!(e.contains("is not a date"), "{e}");
        let e = parse_text(&text.replace("\"installs\"", "\"instals\"")).unwrap_err();
        assert!(e.contains("did you mean `installs`?"), "{e}");
    }

    #[test]
    fn distributions_map_the_unit_interval_into_their_range() {
        let ds = [
            Distribution::Uniform {
                low: -1.0,
                high: 3.0,
            },
            Distribution::LogUniform {
                low: 0.1,
                high: 10.0,
            },
            Distribution::Triangular {
                low: 0.0,
                mode: 1.0,
                high: 4.0,
            },
            Distribution::Normal {
                mean: 1.0,
                sd: 0.5,
                low: 0.0,
                high: 3.0,
            },
            Distribution::Values {
                values: vec![2.0, 7.0, 3.0],
            },
        ];
        for d in &ds {
            let (lo, hi) = d.bounds();
            let mut last = f64::NEG_INFINITY;
            for i in 0..=1000 {
                let x = d.value(i as f64 / 1000.0);
                assert!((lo..=hi).contains(&x), "{d:?} {x}");
                if !matches!(d, Distribution::Values { .. }) {
                    assert!(x >= last, "{d:?} not monotone");
                    last = x;
                }
            }
        }
        assert!((ds[1].value(0.5) - 1.0).abs() < 1e-12);
        // The triangular's median: 4 - sqrt(0.5 * 4 * 3) = 1.5505.
        assert!((ds[2].value(0.5) - (4.0 - 6f64.sqrt())).abs() < 1e-12);
        // A normal truncated far from its mean is the normal: median = mean.
        let wide = Distribution::Normal {
            mean: 1.0,
            sd: 0.5,
            low: -10.0,
            high: 10.0,
        };
        assert!((wide.value(0.5) - 1.0).abs() < 1e-8);
        assert!((wide.value(0.975) - (1.0 + 0.5 * 1.959_963_985)).abs() < 1e-6);
        assert_eq!(ds[4].value(0.0), 2.0);
        assert_eq!(ds[4].value(0.5), 7.0);
        assert_eq!(ds[4].value(1.0), 3.0);
    }
}
