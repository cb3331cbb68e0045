//! The outcomes a sweep records for each run: the key outcomes of `exodus compare` for chosen
//! platforms (named `<platform>.<outcome>`), and statistics of daily metrics (a value on a date,
//! the peak or its day, the mean over dates). The list is fixed before the sweep runs, so every
//! run has the same rows; an outcome a run does not define (a platform nobody left has no
//! `moves_back_per_move_away`) is written with an empty value.

use crate::experiment::compare;
use crate::metrics::DayRecord;
use crate::scenario::{Location, Params, ScenarioError};

use super::file::{Outcomes, Statistic};

/// One recorded outcome, checked against the scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A key outcome of `compare`: (its name there, platform index).
    Key { name: String, platform: usize },
    /// A statistic of a daily metric over days `from ..= to` (or on day `from` for a value).
    Daily {
        metric: crate::metrics::Metric,
        platform: usize,
        statistic: Statistic,
        from: usize,
        to: usize,
    },
}

/// The outcomes of a sweep: labels and what each measures, and the dates the key outcomes'
/// losses are measured at.
#[derive(Debug, Clone)]
pub struct OutcomeList {
    pub labels: Vec<String>,
    pub outcomes: Vec<Outcome>,
    /// (day index, label) of `main_users_lost_by_<date>`.
    pub dates: Vec<(usize, String)>,
}

/// Checks the outcomes against the scenario (`base`, the shortest run of the sweep) and lists
/// them.
pub fn list(spec: &Outcomes, base: &Params) -> Result<OutcomeList, ScenarioError> {
    let names: Vec<&str> = base.platforms.iter().map(|p| p.name.as_str()).collect();
    let last = base.days as usize - 1;
    let platform = |name: &str, at: &Location, field: &str| -> Result<usize, ScenarioError> {
        names.iter().position(|n| *n == name).ok_or_else(|| {
            ScenarioError::invalid(
                at.clone(),
                field,
                format!("\"{name}\""),
                format!(
                    "is not a platform of the scenario{}",
                    crate::scenario::diagnose::did_you_mean(name, names.iter().copied())
                ),
                names.join(", "),
            )
        })
    };
    let day = |d: chrono::NaiveDate, at: &Location, field: &str| -> Result<usize, ScenarioError> {
        let i = (d - base.start).num_days();
        if i < 0 || i as usize > last {
            Err(ScenarioError::invalid(
                at.clone(),
                field,
                d,
                "is outside the scenario's dates",
                format!("{} ..= {}", base.start, base.date(last as u32)),
            ))
        } else {
            Ok(i as usize)
        }
    };
    let dates: Vec<(usize, String)> = if spec.dates.is_empty() {
        vec![(last, base.date(last as u32).to_string())]
    } else {
        spec.dates
            .iter()
            .enumerate()
            .map(|(i, (d, at))| Ok((day(*d, at, &format!("outcomes.dates[{i}]"))?, d.to_string())))
            .collect::<Result<_, ScenarioError>>()?
    };
    let platforms: Vec<usize> = match &spec.platforms {
        None => (0..names.len()).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, (p, at))| platform(p, at, &format!("outcomes.platforms[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let mut out = OutcomeList {
        labels: Vec::new(),
        outcomes: Vec::new(),
        dates: dates.clone(),
    };
    for &k in &platforms {
        for key in &spec.key {
            let expanded: Vec<String> = if key == "main_users_lost_by" {
                dates
                    .iter()
                    .map(|(_, l)| format!("main_users_lost_by_{l}"))
                    .collect()
            } else {
                vec![key.clone()]
            };
            for name in expanded {
                out.labels.push(format!("{}.{name}", names[k]));
                out.outcomes.push(Outcome::Key { name, platform: k });
            }
        }
    }
    for (i, d) in spec.daily.iter().enumerate() {
        let field = |k: &str| format!("outcomes.daily[{i}].{k}");
        let k = platform(&d.platform, &d.location, &field("platform"))?;
        let (from, to) = match d.statistic {
            Statistic::Value => {
                let t = day(d.date.unwrap_or(base.start), &d.location, &field("date"))?;
                (t, t)
            }
            _ => (
                d.from
                    .map(|f| day(f, &d.location, &field("from")))
                    .transpose()?
                    .unwrap_or(0),
                d.to.map(|t| day(t, &d.location, &field("to")))
                    .transpose()?
                    .unwrap_or(last),
            ),
        };
        if out.labels.contains(&d.name) {
            return Err(ScenarioError::invalid(
                d.location.clone(),
                field("name"),
                format!("\"{}\"", d.name),
                "is the name of another outcome",
                "a name of its own",
            ));
        }
        out.labels.push(d.name.clone());
        out.outcomes.push(Outcome::Daily {
            metric: d.metric,
            platform: k,
            statistic: d.statistic,
            from,
            to,
        });
    }
    if out.outcomes.is_empty() {
        return Err(ScenarioError::invalid(
            Location::CommandLine,
            "outcomes",
            "(none)",
            "records nothing",
            "outcomes.platforms with at least one platform, or [[outcomes.daily]]",
        ));
    }
    Ok(out)
}

impl OutcomeList {
    /// Every outcome's value in one run (NaN where the run does not define it).
    pub fn evaluate(&self, records: &[DayRecord], names: &[String]) -> Vec<f64> {
        let key = compare::outcomes(records, names, &self.dates);
        self.outcomes
            .iter()
            .map(|o| match o {
                Outcome::Key { name, platform } => key
                    .get(&(name.clone(), names[*platform].clone()))
                    .copied()
                    .unwrap_or(f64::NAN),
                Outcome::Daily {
                    metric,
                    platform,
                    statistic,
                    from,
                    to,
                } => {
                    let values: Vec<f64> = (*from..=*to)
                        .map(|d| {
                            records
                                .get(d)
                                .and_then(|r| r.get(*platform, *metric))
                                .unwrap_or(f64::NAN)
                        })
                        .collect();
                    match statistic {
                        Statistic::Value => values[0],
                        Statistic::Mean => values.iter().sum::<f64>() / values.len() as f64,
                        Statistic::Peak => values.iter().copied().fold(f64::NAN, f64::max),
                        Statistic::PeakDay => {
                            let peak = values.iter().copied().fold(f64::NAN, f64::max);
                            values
                                .iter()
                                .position(|&v| v == peak)
                                .map_or(f64::NAN, |i| (from + i) as f64)
                        }
                    }
                }
            })
            .collect()
    }
}
