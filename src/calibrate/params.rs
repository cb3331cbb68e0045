//! The calibration file (`exodus calibrate ... --params PARAMS.toml`): which parameters are
//! fitted, by their scenario paths, with their priors; which targets are fitted and which are
//! held back; the method and its settings. Read with spans, so every error names the file, line,
//! field and allowed range, as scenario errors do.
//!
//! Priors are uniform or log-uniform on `[low, high]`, or fixed. Inside the fit every free
//! parameter lives on the unit interval `u` (its prior's quantile), `x = low + u (high - low)`
//! or `x = low (high / low)^u`, so the prior is uniform on the unit cube in every case.

use std::ops::RangeInclusive;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::scenario::located::{self, Located};
use crate::scenario::{Location, ScenarioError};

/// A calibration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationFile {
    #[serde(default)]
    pub calibration: SettingsFile,
    #[serde(default)]
    pub abc: AbcFile,
    #[serde(default)]
    pub nelder_mead: NelderMeadFile,
    pub parameters: Spanned<Vec<ParameterFile>>,
}

/// `[calibration]`: what is fitted and how candidates are run.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    /// `abc-smc` (posterior) or `nelder-mead` (point fit).
    pub method: Option<Spanned<String>>,
    /// Replicates each candidate is run over (common random numbers: replicate r of every
    /// candidate starts from the same random numbers); the mean of each target is scored.
    pub seeds: Option<Spanned<i64>>,
    /// Agents simulated per candidate [default: the scenario's].
    pub agents: Option<Spanned<i64>>,
    /// Seed of the calibration's own random numbers (prior draws, proposals) [default: the
    /// scenario's meta.seed].
    pub seed: Option<Spanned<i64>>,
    /// Ids of the targets the distance is made of [default: every target not held back].
    #[serde(default)]
    pub fit: Vec<Spanned<String>>,
    /// Ids of targets held back: not in the distance, reported beside the fitted ones.
    #[serde(default)]
    pub hold_out: Vec<Spanned<String>>,
    /// Posterior-predictive draws for the report [default 40].
    pub predictive_draws: Option<Spanned<i64>>,
}

/// `[abc]`: ABC-SMC settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AbcFile {
    pub particles: Option<Spanned<i64>>,
    /// Each tolerance is this quantile of the previous generation's distances.
    pub quantile: Option<Spanned<f64>>,
    pub max_generations: Option<Spanned<i64>>,
    pub min_tolerance: Option<Spanned<f64>>,
    pub min_acceptance: Option<Spanned<f64>>,
    pub max_simulations: Option<Spanned<i64>>,
    pub max_seconds: Option<Spanned<f64>>,
}

/// `[nelder_mead]`: point-fit settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NelderMeadFile {
    pub restarts: Option<Spanned<i64>>,
    pub max_iterations: Option<Spanned<i64>>,
    /// Stop when the simplex's distances differ by less than this (standard deviation).
    pub tolerance: Option<Spanned<f64>>,
}

/// One `[[parameters]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFile {
    pub path: Spanned<String>,
    /// More paths set to the same value (one parameter shared by several segments).
    #[serde(default)]
    pub also: Vec<Spanned<String>>,
    pub prior: Spanned<String>,
    pub low: Option<Spanned<f64>>,
    pub high: Option<Spanned<f64>>,
    /// `fixed`: the value.
    pub value: Option<Spanned<f64>>,
    /// Why this prior (source or "assumption"), for the report.
    #[serde(default)]
    pub source: String,
}

/// A prior on one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "prior", rename_all = "kebab-case")]
pub enum Prior {
    Uniform { low: f64, high: f64 },
    LogUniform { low: f64, high: f64 },
    Fixed { value: f64 },
}

impl Prior {
    /// The value at prior quantile `u` in [0, 1], inside [low, high] despite rounding.
    pub fn value(&self, u: f64) -> f64 {
        match *self {
            Prior::Uniform { low, high } => (low + u * (high - low)).clamp(low, high),
            Prior::LogUniform { low, high } => (low * (high / low).powf(u)).clamp(low, high),
            Prior::Fixed { value } => value,
        }
    }

    /// The prior quantile of `x` (inverse of `value`).
    pub fn quantile(&self, x: f64) -> f64 {
        match *self {
            Prior::Uniform { low, high } => (x - low) / (high - low),
            Prior::LogUniform { low, high } => (x / low).ln() / (high / low).ln(),
            Prior::Fixed { .. } => 0.5,
        }
    }

    pub fn is_free(&self) -> bool {
        !matches!(self, Prior::Fixed { .. })
    }

    /// "uniform(-4, 1)" for reports.
    pub fn describe(&self) -> String {
        match *self {
            Prior::Uniform { low, high } => format!("uniform({low}, {high})"),
            Prior::LogUniform { low, high } => format!("log-uniform({low}, {high})"),
            Prior::Fixed { value } => format!("fixed {value}"),
        }
    }
}

/// A checked parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub path: String,
    /// More paths that take the same value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    pub prior: Prior,
    pub source: String,
    /// Where it is written in the calibration file (for errors found later).
    #[serde(skip)]
    pub location: Option<Location>,
}

impl Parameter {
    /// Every path this parameter sets: `path`, then `also`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path.as_str()).chain(self.also.iter().map(String::as_str))
    }

    /// The assignments that give this parameter value `x`.
    pub fn assignments(&self, x: f64) -> impl Iterator<Item = crate::scenario::Assignment> + '_ {
        self.paths()
            .map(move |path| crate::scenario::Assignment::number(path, x))
    }
}

/// The calibration methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    AbcSmc,
    NelderMead,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::AbcSmc => "abc-smc",
            Method::NelderMead => "nelder-mead",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "abc-smc" | "abc" => Some(Method::AbcSmc),
            "nelder-mead" | "point" => Some(Method::NelderMead),
            _ => None,
        }
    }
}

/// ABC-SMC settings, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AbcSettings {
    pub particles: usize,
    pub quantile: f64,
    pub max_generations: usize,
    pub min_tolerance: f64,
    pub min_acceptance: f64,
    pub max_simulations: u64,
    pub max_seconds: f64,
}

/// Nelder-Mead settings, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NelderMeadSettings {
    pub restarts: usize,
    pub max_iterations: u64,
    pub tolerance: f64,
}

/// A checked calibration file.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub method: Method,
    pub seeds: u32,
    pub agents: Option<u64>,
    pub seed: Option<u64>,
    pub fit: Vec<String>,
    pub hold_out: Vec<String>,
    pub predictive_draws: usize,
    pub abc: AbcSettings,
    pub nelder_mead: NelderMeadSettings,
    pub parameters: Vec<Parameter>,
}

impl Calibration {
    /// The parameters that are fitted (not fixed).
    pub fn free(&self) -> Vec<&Parameter> {
        self.parameters
            .iter()
            .filter(|p| p.prior.is_free())
            .collect()
    }
}

/// Allowed ranges of the settings.
pub const SEEDS: RangeInclusive<i64> = 1..=1000;
pub const PARTICLES: RangeInclusive<i64> = 4..=100_000;
pub const GENERATIONS: RangeInclusive<i64> = 1..=1000;
pub const RESTARTS: RangeInclusive<i64> = 1..=1000;
pub const ITERATIONS: RangeInclusive<i64> = 1..=1_000_000;
pub const SIMULATIONS: RangeInclusive<i64> = 1..=1_000_000_000;
pub const DRAWS: RangeInclusive<i64> = 0..=10_000;
pub const AGENTS: RangeInclusive<i64> = 2..=4_000_000_000;

/// Reads and checks a calibration file. Paths are checked against the scenario later
/// (`calibrate::setup`), where the scenario is known.
pub fn load(path: &Path) -> Result<Calibration, ScenarioError> {
    let (file, source) = located::parse_file(path)?;
    check(file, &source, path)
}

/// Parses calibration text read from `path`.
pub fn parse(source: &str, path: &Path) -> Result<Calibration, ScenarioError> {
    check(located::parse_text(source, path)?, source, path)
}

fn check(file: CalibrationFile, source: &str, path: &Path) -> Result<Calibration, ScenarioError> {
    let at = Located { path, source };
    let s = &file.calibration;
    let method = match &s.method {
        None => Method::AbcSmc,
        Some(m) => Method::parse(m.get_ref()).ok_or_else(|| {
            ScenarioError::invalid(
                at.loc(m.span()),
                "calibration.method",
                format!("\"{}\"", m.get_ref()),
                "is not a calibration method",
                "\"abc-smc\" (posterior) or \"nelder-mead\" (point fit)",
            )
        })?,
    };
    let seeds = at.int(&s.seeds, "calibration.seeds", SEEDS, 2)? as u32;
    let agents = match &s.agents {
        None => None,
        some => Some(at.int(some, "calibration.agents", AGENTS, 2)? as u64),
    };
    let seed = s.seed.as_ref().map(|v| *v.get_ref() as u64);
    let predictive_draws = at.int(
        &s.predictive_draws,
        "calibration.predictive_draws",
        DRAWS,
        40,
    )? as usize;
    let a = &file.abc;
    let abc = AbcSettings {
        particles: at.int(&a.particles, "abc.particles", PARTICLES, 100)? as usize,
        quantile: at.float(&a.quantile, "abc.quantile", 0.05..=0.95, 0.5)?,
        max_generations: at.int(&a.max_generations, "abc.max_generations", GENERATIONS, 8)?
            as usize,
        min_tolerance: at.float(&a.min_tolerance, "abc.min_tolerance", 0.0..=1e6, 0.0)?,
        min_acceptance: at.float(&a.min_acceptance, "abc.min_acceptance", 0.0..=1.0, 0.02)?,
        max_simulations: at.int(
            &a.max_simulations,
            "abc.max_simulations",
            SIMULATIONS,
            50_000,
        )? as u64,
        max_seconds: at.float(&a.max_seconds, "abc.max_seconds", 1.0..=1e7, 86_400.0)?,
    };
    let n = &file.nelder_mead;
    let nelder_mead = NelderMeadSettings {
        restarts: at.int(&n.restarts, "nelder_mead.restarts", RESTARTS, 4)? as usize,
        max_iterations: at.int(
            &n.max_iterations,
            "nelder_mead.max_iterations",
            ITERATIONS,
            200,
        )? as u64,
        tolerance: at.float(&n.tolerance, "nelder_mead.tolerance", 0.0..=1e6, 1e-3)?,
    };
    if file.parameters.get_ref().is_empty() {
        return Err(ScenarioError::invalid(
            at.loc(file.parameters.span()),
            "parameters",
            "[]",
            "names no parameter",
            "one or more [[parameters]] with path and prior",
        ));
    }
    let mut parameters: Vec<Parameter> = Vec::new();
    for (i, p) in file.parameters.get_ref().iter().enumerate() {
        let field = |k: &str| format!("parameters[{i}].{k}");
        let (path_text, also) = at.parameter_paths(i, &p.path, &p.also, |text| {
            parameters.iter().any(|q| q.paths().any(|x| x == text))
        })?;
        let bound = |v: &Option<Spanned<f64>>, k: &str| -> Result<f64, ScenarioError> {
            match at.finite(v, &field(k))? {
                Some(x) => Ok(x),
                None => Err(ScenarioError::invalid(
                    at.loc(p.prior.span()),
                    field(k),
                    "(missing)",
                    format!("prior \"{}\" needs low and high", p.prior.get_ref()),
                    "low = ..., high = ... with low < high",
                )),
            }
        };
        let prior = match p.prior.get_ref().as_str() {
            "uniform" | "log-uniform" => {
                let (low, high) = (bound(&p.low, "low")?, bound(&p.high, "high")?);
                let log = p.prior.get_ref() == "log-uniform";
                if low >= high || (log && low <= 0.0) {
                    let span = p.high.as_ref().map_or(p.prior.span(), |h| h.span());
                    return Err(ScenarioError::invalid(
                        at.loc(span),
                        field("high"),
                        high,
                        format!(
                            "does not make a {} range with low = {low}",
                            p.prior.get_ref()
                        ),
                        if log { "0 < low < high" } else { "low < high" },
                    ));
                }
                if log {
                    Prior::LogUniform { low, high }
                } else {
                    Prior::Uniform { low, high }
                }
            }
            "fixed" => match &p.value {
                Some(v) if v.get_ref().is_finite() => Prior::Fixed {
                    value: *v.get_ref(),
                },
                _ => {
                    return Err(ScenarioError::invalid(
                        at.loc(p.prior.span()),
                        field("value"),
                        "(missing)",
                        "a fixed parameter needs its value",
                        "value = a finite number",
                    ));
                }
            },
            other => {
                return Err(ScenarioError::invalid(
                    at.loc(p.prior.span()),
                    field("prior"),
                    format!("\"{other}\""),
                    "is not a prior",
                    "\"uniform\", \"log-uniform\" or \"fixed\"",
                ));
            }
        };
        parameters.push(Parameter {
            path: path_text,
            also,
            prior,
            source: p.source.trim().to_string(),
            location: Some(at.loc(p.path.span())),
        });
    }
    if !parameters.iter().any(|p| p.prior.is_free()) {
        return Err(ScenarioError::invalid(
            at.loc(file.parameters.span()),
            "parameters",
            "(all fixed)",
            "leaves nothing to fit",
            "at least one uniform or log-uniform prior",
        ));
    }
    let ids = |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().trim().to_string()).collect();
    Ok(Calibration {
        method,
        seeds,
        agents,
        seed,
        fit: ids(&s.fit),
        hold_out: ids(&s.hold_out),
        predictive_draws,
        abc,
        nelder_mead,
        parameters,
    })
}

/// Where a target id named in `fit` or `hold_out` is written, for errors.
pub fn target_id_location(path: &Path, id: &str) -> Location {
    let source = located::read_input(path).unwrap_or_default();
    let span = source
        .find(&format!("\"{id}\""))
        .map_or(0..0, |i| i..i + id.len() + 2);
    Location::in_file(path, &source, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Calibration, String> {
        parse(text, Path::new("p.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn priors_map_the_unit_interval_onto_their_range() {
        let u = Prior::Uniform {
            low: -4.0,
            high: 1.0,
        };
        assert_eq!(u.value(0.0), -4.0);
        assert_eq!(u.value(1.0), 1.0);
        assert!((u.quantile(u.value(0.3)) - 0.3).abs() < 1e-12);
        let l = Prior::LogUniform {
            low: 0.01,
            high: 1.0,
        };
        assert!((l.value(0.5) - 0.1).abs() < 1e-12);
        assert!((l.quantile(0.1) - 0.5).abs() < 1e-12);
        // The ends are the range's own, not a rounding past them (0.3 x (100/0.3)^1 is
        // 100.00000000000001 in floating point).
        let l = Prior::LogUniform {
            low: 0.3,
            high: 100.0,
        };
        assert_eq!((l.value(0.0), l.value(1.0)), (0.3, 100.0));
    }

    #[test]
    fn a_minimal_file_gets_the_defaults() {
        let c = parse_text(
            "[[parameters]]\npath = \"platforms.RedNote.appeal\"\nprior = \"uniform\"\nlow = -4\nhigh = 1\n",
        )
        .unwrap();
        assert_eq!(c.method, Method::AbcSmc);
        assert_eq!(c.seeds, 2);
        assert_eq!(c.abc.particles, 100);
        assert_eq!(c.free().len(), 1);
    }

    #[test]
    fn one_parameter_can_set_several_paths() {
        let c = parse_text(
            "[[parameters]]\npath = \"a.x\"\nalso = [\"b.x\", \"c.x\"]\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        )
        .unwrap();
        let p = &c.parameters[0];
        assert_eq!(p.paths().collect::<Vec<_>>(), ["a.x", "b.x", "c.x"]);
        assert_eq!(p.assignments(0.5).count(), 3);
        // A path named twice, in one parameter or across two, is located.
        let err = parse_text(
            "[[parameters]]\npath = \"a.x\"\nalso = [\"b.x\", \"a.x\"]\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        )
        .unwrap_err();
        assert!(
            err.contains("p.toml:3:16") && err.contains("also[1]"),
            "{err}"
        );
        let err = parse_text(
            "[[parameters]]\npath = \"a.x\"\nalso = [\"b.x\"]\nprior = \"uniform\"\nlow = 0\nhigh = 1\n[[parameters]]\npath = \"b.x\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n",
        )
        .unwrap_err();
        assert!(
            err.contains("p.toml:8:8") && err.contains("named twice"),
            "{err}"
        );
    }

    #[test]
    fn errors_are_located() {
        let err = parse_text(
            "[[parameters]]\npath = \"a.b\"\nprior = \"log-uniform\"\nlow = 0\nhigh = 1\n",
        )
        .unwrap_err();
        assert!(err.contains("p.toml:5:8"), "{err}");
        assert!(err.contains("0 < low < high"), "{err}");
        let err = parse_text("[[parameters]]\npath = \"a.b\"\nprior = \"normal\"\n").unwrap_err();
        assert!(
            err.contains("p.toml:3:9") && err.contains("log-uniform"),
            "{err}"
        );
        let err = parse_text(
            "[abc]\nparticles = 1\n[[parameters]]\npath = \"a\"\nprior = \"fixed\"\nvalue = 1\n",
        )
        .unwrap_err();
        assert!(
            err.contains("p.toml:2:13") && err.contains("4 ..= 100000"),
            "{err}"
        );
        let err =
            parse_text("[[parameters]]\npath = \"a\"\nprior = \"fixed\"\nvalue = 1\n").unwrap_err();
        assert!(err.contains("leaves nothing to fit"), "{err}");
        let err = parse_text("[calibration]\nmethod = \"mcmc\"\n[[parameters]]\npath = \"a\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\n")
            .unwrap_err();
        assert!(
            err.contains("p.toml:2:10") && err.contains("nelder-mead"),
            "{err}"
        );
        let err = parse_text(
            "[[parameters]]\npath = \"a\"\nprior = \"uniform\"\nlow = 0\nhigh = 1\nhihg = 2\n",
        )
        .unwrap_err();
        assert!(err.contains("p.toml:6:1"), "{err}");
    }
}
