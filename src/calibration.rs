//! Calibration: targets (published estimates the model should reproduce), read from a TOML file,
//! compared with a run's daily records, and reported as a Markdown table (`exodus check`).
//!
//! A target names a platform, a metric of `daily.csv`, a statistic over dates and an accepted
//! interval. Statistics: `value` (on `from`), `mean`, `sum`, `min`, `max` (over `from`..=`to`),
//! `ratio` (sum over `from`..=`to` divided by sum over `baseline_from`..=`baseline_to`, of
//! `baseline_metric` if given), and
//! `flow_share` (share of moves away from `platform` that went to `to_platform`, over the dates).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::metrics::{DayRecord, Metric};
use crate::scenario::file::CalendarDate;
use crate::scenario::params::Params;
use crate::scenario::{Location, ScenarioError};

/// A targets file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsFile {
    /// What does not fit and why, for the report (Markdown; written by the modeller).
    #[serde(default)]
    pub discussion: String,
    pub targets: Vec<TargetFile>,
}

/// One `[[targets]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// Short id, e.g. "T1c".
    pub id: String,
    /// What is measured, for the report.
    pub description: String,
    /// Source id in docs/sources.md.
    pub source: String,
    /// Confidence of the source: H or M.
    #[serde(default)]
    pub confidence: String,
    pub platform: Spanned<String>,
    /// A metric name of daily.csv (ignored by flow_share).
    #[serde(default)]
    pub metric: Option<Spanned<String>>,
    pub statistic: Spanned<Statistic>,
    pub from: Spanned<CalendarDate>,
    pub to: Option<Spanned<CalendarDate>>,
    pub baseline_from: Option<Spanned<CalendarDate>>,
    pub baseline_to: Option<Spanned<CalendarDate>>,
    /// flow_share: destination platform.
    pub to_platform: Option<Spanned<String>>,
    /// ratio: the metric summed over the baseline dates (default: `metric`), so that a ratio
    /// can be a share of one metric in another (e.g. `cohort_keeping` over `cohort_members`).
    pub baseline_metric: Option<Spanned<String>>,
    /// The published value (for the report).
    pub value: f64,
    /// Accepted interval: the model fits if low <= model <= high.
    pub low: f64,
    pub high: f64,
    /// Why the interval is what it is, and any caveat.
    #[serde(default)]
    pub note: String,
}

/// Statistics a target can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Value,
    Mean,
    Sum,
    Min,
    Max,
    Ratio,
    FlowShare,
}

/// One target compared with the model.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub id: String,
    pub description: String,
    pub source: String,
    pub confidence: String,
    pub dates: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// The model's value: the mean over the replicates run.
    pub model: f64,
    /// Smallest and largest value over the replicates.
    pub model_min: f64,
    pub model_max: f64,
    /// Replicates run, and in how many the value fell inside the accepted interval.
    pub replicates: u32,
    pub fits_in: u32,
    pub fits: bool,
    pub note: String,
}

/// Checked targets and the modeller's discussion of them.
#[derive(Debug, Clone)]
pub struct Targets {
    pub targets: Vec<Target>,
    pub discussion: String,
}

/// Longest target id, in characters.
const MAX_ID_CHARS: usize = 40;
/// Longest description of a target, in characters.
const MAX_TEXT_CHARS: usize = 500;

/// A target's text that reaches reports, CSV files and the terminal: at most `max` characters,
/// no control characters, and (an id, which starts CSV cells) not starting with a character a
/// spreadsheet reads as a formula. Located at the text's first occurrence in the file.
fn check_text(
    source: &str,
    path: &Path,
    field: &str,
    text: &str,
    max: usize,
    cell: bool,
) -> Result<(), ScenarioError> {
    let problem = if text.chars().count() > max {
        Some(format!("is longer than {max} characters"))
    } else if text.chars().any(char::is_control) {
        Some("holds a control character".to_string())
    } else if cell && text.trim_start().starts_with(['=', '+', '-', '@']) {
        Some("starts with a character a spreadsheet reads as a formula".to_string())
    } else if cell && text.trim().is_empty() {
        Some("is empty".to_string())
    } else {
        None
    };
    let Some(problem) = problem else {
        return Ok(());
    };
    let shown: String = text
        .chars()
        .take(60)
        .collect::<String>()
        .escape_debug()
        .to_string();
    // The text itself where it is written plainly, else the first such key.
    let head: String = text.chars().take(20).collect();
    let span = source
        .find(&head)
        .filter(|_| !head.is_empty())
        .map(|i| i..i + head.len())
        .or_else(|| {
            source
                .find(&format!("{field} = "))
                .map(|i| i..i + field.len())
        })
        .unwrap_or(0..0);
    Err(ScenarioError::invalid(
        Location::in_file(path, source, span),
        format!("targets.{field}"),
        format!("\"{shown}\""),
        problem,
        format!(
            "at most {max} characters, no control characters{}",
            if cell {
                ", not starting with = + - @"
            } else {
                ""
            }
        ),
    ))
}

/// Reads and checks a targets file against the scenario's platforms and dates.
pub fn load(path: &Path, params: &Params) -> Result<Targets, ScenarioError> {
    let source = crate::scenario::located::read_input(path)?;
    parse(&source, path, params)
}

/// Parses targets text read from `path` and checks it against `params`.
pub fn parse(source: &str, path: &Path, params: &Params) -> Result<Targets, ScenarioError> {
    let file: TargetsFile = crate::scenario::diagnose::parse(source, path)?;
    let names: Vec<&str> = params.platforms.iter().map(|p| p.name.as_str()).collect();
    let at = |span: std::ops::Range<usize>| Location::in_file(path, source, span);
    let day = |d: &Spanned<CalendarDate>, field: &str, id: &str| -> Result<usize, ScenarioError> {
        let n = (d.get_ref().0 - params.start).num_days();
        if n < 0 || n >= i64::from(params.days) {
            return Err(ScenarioError::invalid(
                at(d.span()),
                format!("targets[{id}].{field}"),
                d.get_ref(),
                "is outside the scenario's dates",
                format!("{} ..= {}", params.start, params.end()),
            ));
        }
        Ok(n as usize)
    };
    let platform = |p: &Spanned<String>, field: &str, id: &str| -> Result<usize, ScenarioError> {
        names.iter().position(|n| n == p.get_ref()).ok_or_else(|| {
            ScenarioError::invalid(
                at(p.span()),
                format!("targets[{id}].{field}"),
                format!("\"{}\"", p.get_ref()),
                format!(
                    "is not a platform of the scenario{}",
                    crate::scenario::diagnose::did_you_mean(p.get_ref(), names.iter().copied())
                ),
                names.join(", "),
            )
        })
    };
    let targets = file
        .targets
        .iter()
        .map(|t| {
            let id = t.id.as_str();
            check_text(source, path, "id", id, MAX_ID_CHARS, true)?;
            check_text(
                source,
                path,
                "description",
                &t.description,
                MAX_TEXT_CHARS,
                false,
            )?;
            let stat = *t.statistic.get_ref();
            let from = day(&t.from, "from", id)?;
            let order = |a: usize, b: usize, d: &Spanned<CalendarDate>, field: &str| {
                if b < a {
                    Err(ScenarioError::invalid(
                        at(d.span()),
                        format!("targets[{id}].{field}"),
                        d.get_ref(),
                        "is before the start of its period",
                        "a date on or after the period's first date",
                    ))
                } else {
                    Ok(b)
                }
            };
            let to = match &t.to {
                Some(d) => order(from, day(d, "to", id)?, d, "to")?,
                None => from,
            };
            let metric_named = |m: &Spanned<String>, field: &str| {
                Metric::ALL
                    .into_iter()
                    .find(|x| x.name() == m.get_ref())
                    .ok_or_else(|| {
                        ScenarioError::invalid(
                            at(m.span()),
                            format!("targets[{id}].{field}"),
                            format!("\"{}\"", m.get_ref()),
                            "is not a metric of daily.csv",
                            Metric::ALL.map(|x| x.name()).join(", "),
                        )
                    })
            };
            let metric = match (&t.metric, stat) {
                (_, Statistic::FlowShare) => None,
                (Some(m), _) => Some(metric_named(m, "metric")?),
                (None, _) => {
                    return Err(ScenarioError::invalid(
                        at(t.statistic.span()),
                        format!("targets[{id}].metric"),
                        "(missing)",
                        "this statistic needs a metric",
                        Metric::ALL.map(|x| x.name()).join(", "),
                    ));
                }
            };
            let baseline = match (stat, &t.baseline_from, &t.baseline_to) {
                (Statistic::Ratio, Some(a), Some(b)) => {
                    let first = day(a, "baseline_from", id)?;
                    Some((
                        first,
                        order(first, day(b, "baseline_to", id)?, b, "baseline_to")?,
                    ))
                }
                (Statistic::Ratio, _, _) => {
                    return Err(ScenarioError::invalid(
                        at(t.statistic.span()),
                        format!("targets[{id}].baseline_from"),
                        "(missing)",
                        "a ratio needs a baseline period",
                        "baseline_from and baseline_to dates",
                    ));
                }
                _ => None,
            };
            let baseline_metric = match (stat, &t.baseline_metric) {
                (_, None) => None,
                (Statistic::Ratio, Some(m)) => Some(metric_named(m, "baseline_metric")?),
                (_, Some(m)) => {
                    return Err(ScenarioError::invalid(
                        at(m.span()),
                        format!("targets[{id}].baseline_metric"),
                        format!("\"{}\"", m.get_ref()),
                        "is read only by the ratio statistic",
                        "statistic = \"ratio\", or no baseline_metric",
                    ));
                }
            };
            let to_platform = match (stat, &t.to_platform) {
                (Statistic::FlowShare, Some(p)) => Some(platform(p, "to_platform", id)?),
                (Statistic::FlowShare, None) => {
                    return Err(ScenarioError::invalid(
                        at(t.statistic.span()),
                        format!("targets[{id}].to_platform"),
                        "(missing)",
                        "a flow share needs the destination",
                        names.join(", "),
                    ));
                }
                _ => None,
            };
            Ok(Target {
                spec: t.clone(),
                platform: platform(&t.platform, "platform", id)?,
                metric,
                statistic: stat,
                from,
                to,
                baseline,
                baseline_metric,
                to_platform,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Targets {
        targets,
        discussion: file.discussion.trim().to_string(),
    })
}

/// A checked target.
#[derive(Debug, Clone)]
pub struct Target {
    pub spec: TargetFile,
    pub platform: usize,
    pub metric: Option<Metric>,
    pub statistic: Statistic,
    pub from: usize,
    pub to: usize,
    pub baseline: Option<(usize, usize)>,
    /// The ratio's denominator metric, if not `metric`.
    pub baseline_metric: Option<Metric>,
    pub to_platform: Option<usize>,
}

impl Target {
    /// The model's value of this target in `records` (one per day, in order).
    pub fn evaluate(&self, records: &[DayRecord], k: usize) -> f64 {
        let metric = self.metric.unwrap_or(Metric::DailyActiveUsers);
        let series_of = |m: Metric, a: usize, b: usize| -> Vec<f64> {
            records[a..=b]
                .iter()
                .map(|r| r.get(self.platform, m).unwrap_or(f64::NAN))
                .collect()
        };
        let series = |a: usize, b: usize| series_of(metric, a, b);
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        match self.statistic {
            Statistic::Value => series(self.from, self.from)[0],
            Statistic::Mean => {
                let v = series(self.from, self.to);
                sum(&v) / v.len() as f64
            }
            Statistic::Sum => sum(&series(self.from, self.to)),
            Statistic::Min => series(self.from, self.to)
                .into_iter()
                .fold(f64::INFINITY, f64::min),
            Statistic::Max => series(self.from, self.to)
                .into_iter()
                .fold(f64::NEG_INFINITY, f64::max),
            Statistic::Ratio => {
                let (a, b) = self.baseline.unwrap_or((self.from, self.to));
                let below = self.baseline_metric.unwrap_or(metric);
                sum(&series(self.from, self.to)) / sum(&series_of(below, a, b))
            }
            Statistic::FlowShare => {
                let to = self.to_platform.unwrap_or(0);
                let (mut moved_to, mut moved) = (0.0, 0.0);
                for r in &records[self.from..=self.to] {
                    for j in (0..k).filter(|&j| j != self.platform) {
                        let f = r.flows[self.platform * k + j];
                        moved += f;
                        if j == to {
                            moved_to += f;
                        }
                    }
                }
                if moved > 0.0 { moved_to / moved } else { 0.0 }
            }
        }
    }

    /// Compares the model with this target, over one or more replicates' records (the mean
    /// of the replicates' values is what is judged).
    pub fn result(&self, replicates: &[Vec<DayRecord>], params: &Params) -> TargetResult {
        let values: Vec<f64> = replicates
            .iter()
            .map(|r| self.evaluate(r, params.platforms.len()))
            .collect();
        let n = values.len().max(1);
        let model = values.iter().sum::<f64>() / n as f64;
        let inside = |x: f64| x >= self.spec.low && x <= self.spec.high;
        let date = |d: usize| params.date(d as u32).format("%Y-%m-%d").to_string();
        let mut dates = if self.to > self.from {
            format!("{} to {}", date(self.from), date(self.to))
        } else {
            date(self.from)
        };
        if let Some((a, b)) = self.baseline {
            dates.push_str(&format!(" vs {} to {}", date(a), date(b)));
        }
        let s = &self.spec;
        TargetResult {
            id: s.id.clone(),
            description: s.description.clone(),
            source: s.source.clone(),
            confidence: s.confidence.clone(),
            dates,
            value: s.value,
            low: s.low,
            high: s.high,
            model,
            model_min: values.iter().copied().fold(f64::INFINITY, f64::min),
            model_max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            replicates: values.len() as u32,
            fits_in: values.iter().filter(|&&x| inside(x)).count() as u32,
            fits: inside(model),
            note: s.note.clone(),
        }
    }
}

/// Formats a number for the report: people as 3.4 M, small values with decimals.
fn show(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() >= 1000.0 {
        crate::plot::style::human(x)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// `x` with at least three significant digits, and as many more as it takes for the printed
/// value to compare with the printed bounds `low` and `high` as `x` itself does (so a value
/// just outside its interval never prints equal to the bound). Returns (x, low, high) as text.
pub fn show_against(x: f64, low: f64, high: f64) -> (String, String, String) {
    if !x.is_finite() {
        return ("n/a".into(), significant(low, 3), significant(high, 3));
    }
    for digits in 3..=17 {
        let (a, l, h) = (
            significant(x, digits),
            significant(low, digits),
            significant(high, digits),
        );
        let parse = |t: &str| t.parse::<f64>().unwrap_or(f64::NAN);
        let (pa, pl, ph) = (parse(&a), parse(&l), parse(&h));
        let same = (x < low) == (pa < pl)
            && (x > high) == (pa > ph)
            && (x == low) == (pa == pl)
            && (x == high) == (pa == ph);
        if same {
            return (a, l, h);
        }
    }
    (format!("{x:e}"), format!("{low:e}"), format!("{high:e}"))
}

/// `x` rounded to `digits` significant digits, in plain notation.
pub fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    let factor = 10f64.powi(digits as i32 - 1 - magnitude);
    let rounded = (x * factor).round() / factor;
    format!("{rounded:.decimals$}")
}

/// The Markdown report `exodus check` writes.
pub fn report(
    results: &[TargetResult],
    discussion: &str,
    params: &Params,
    command_line: &str,
    targets: &Path,
) -> String {
    let fits = results.iter().filter(|r| r.fits).count();
    let mut md = format!(
        "# Calibration: {}\n\n\
         Generated by exodus {} with the command below; do not edit by hand.\n\n\
         ```sh\n{}\n```\n\n\
         Scenario seed {}, {} agents for {} people, {} to {}; {}. Targets from `{}` (sources in\n\
         docs/sources.md). {} of {} targets fall inside their accepted interval.\n\n\
         | id | what | dates | published | accepted | model | fits | source (conf.) |\n\
         |---|---|---|---|---|---|---|---|\n",
        params.name,
        crate::VERSION,
        command_line,
        params.seed,
        params.agents,
        crate::plot::style::human(params.people),
        params.start,
        params.end(),
        match results.first().map_or(1, |r| r.replicates) {
            1 => "one replicate".to_string(),
            n => format!(
                "the model column is the mean of {n} replicates (their range and how many fit in brackets)"
            ),
        },
        targets.display(),
        fits,
        results.len()
    );
    for r in results {
        let (model, low, high) = show_against(r.model, r.low, r.high);
        let model = if r.replicates > 1 {
            format!(
                "{model} ({} – {}; fits in {} of {})",
                show(r.model_min),
                show(r.model_max),
                r.fits_in,
                r.replicates
            )
        } else {
            model
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} – {} | {} | {} | {} ({}) |\n",
            r.id,
            r.description,
            r.dates,
            show(r.value),
            low,
            high,
            model,
            if r.fits { "yes" } else { "**no**" },
            r.source,
            r.confidence
        ));
    }
    let misses: Vec<&str> = results
        .iter()
        .filter(|r| !r.fits)
        .map(|r| r.id.as_str())
        .collect();
    md.push_str("\n## What does not fit\n\n");
    if misses.is_empty() {
        md.push_str("Every target falls inside its accepted interval.\n");
    } else {
        md.push_str(&format!(
            "Outside their accepted intervals in this run: {}.\n",
            misses.join(", ")
        ));
    }
    if !discussion.is_empty() {
        md.push_str(&format!("\n{discussion}\n"));
    }
    let notes: Vec<&TargetResult> = results.iter().filter(|r| !r.note.is_empty()).collect();
    if !notes.is_empty() {
        md.push_str("\n## Notes on the targets\n\n");
        for r in notes {
            md.push_str(&format!("- **{}**: {}\n", r.id, r.note));
        }
    }
    md
}

/// Where `exodus check` writes its report unless told otherwise: beside the results of runs,
/// never over a tracked file.
pub fn default_report(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("results").join(format!("check-{stem}.md"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_values_never_contradict_the_verdict() {
        // Just above the upper bound: three digits would print 700000 for both.
        let (m, _, h) = show_against(700_312.0, 150_000.0, 700_000.0);
        assert!(
            m.parse::<f64>().unwrap() > h.parse::<f64>().unwrap(),
            "{m} vs {h}"
        );
        // Just below the lower bound.
        let (m, l, _) = show_against(0.14996, 0.15, 0.5);
        assert!(
            m.parse::<f64>().unwrap() < l.parse::<f64>().unwrap(),
            "{m} vs {l}"
        );
        // Exactly on a bound stays equal.
        let (m, l, _) = show_against(1.0, 1.0, 3.0);
        assert_eq!(m, l);
        // Far from the bounds three significant digits are enough.
        assert_eq!(show_against(1_736_123.0, 1.7e6, 6.8e6).0, "1740000");
        assert_eq!(show_against(f64::NAN, 1.0, 2.0).0, "n/a");
    }

    #[test]
    fn the_default_report_is_not_a_tracked_file() {
        assert_eq!(
            default_report(Path::new("scenarios/historical-2025.toml")),
            Path::new("results/check-historical-2025.md")
        );
    }
}
