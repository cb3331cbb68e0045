//! Comparing scenarios: paired differences against a baseline and the key outcomes of each
//! replicate, aggregated over replicates.
//!
//! Common random numbers: replicate r of every scenario uses the same master seed and replicate
//! index, so its population, network and daily streams start from the same numbers; where two
//! scenarios do not differ, their agents draw alike. The difference of a scenario from the
//! baseline is computed replicate by replicate (paired) and then summarised, so its band reflects
//! the scenario's effect, not the noise of two independent runs.

use std::collections::BTreeMap;

use super::bands::{Stats, Summary};
use crate::metrics::{DayRecord, Metric};

/// A day's records of `a` minus `b` (metrics reported in both; flows subtracted).
pub fn difference(a: &DayRecord, b: &DayRecord) -> DayRecord {
    let sub = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(x, y)| x - y).collect();
    DayRecord {
        day: a.day,
        values: a
            .values
            .iter()
            .zip(&b.values)
            .map(|(va, vb)| {
                let mut v = [None; Metric::ALL.len()];
                for m in 0..v.len() {
                    if let (Some(x), Some(y)) = (va[m], vb[m]) {
                        v[m] = Some(x - y);
                    }
                }
                v
            })
            .collect(),
        flows: sub(&a.flows, &b.flows),
        by_class: sub(&a.by_class, &b.by_class),
        trying_by_class: sub(&a.trying_by_class, &b.trying_by_class),
        by_segment: sub(&a.by_segment, &b.by_segment),
        trying_by_segment: sub(&a.trying_by_segment, &b.trying_by_segment),
        newcomer_installs: a.newcomer_installs - b.newcomer_installs,
        buzz: a.buzz - b.buzz,
    }
}

/// Key outcomes of one run, by (outcome name, platform): see `outcomes`.
pub type Outcomes = BTreeMap<(String, String), f64>;

/// Key outcomes of one run of `days` records over platforms `names`; `dates` are day indices
/// (with their labels) at which losses are measured.
///
/// - `peak_daily_active_users` and `peak_day` (day index of the first peak);
/// - `main_users_lost_by <date>`: main-app users at the start minus on that date (negative: gain);
/// - `retained_30d_after_peak`, `retained_90d_after_peak`: daily active users 30 and 90 days after
///   the peak, as a share of the peak (only if the run lasts that long);
/// - `total_installs`;
/// - `moves_back_per_move_away`: moves to the platform as main app per move away from it, a
///   measure of return (1 means as many came back as left).
pub fn outcomes(records: &[DayRecord], names: &[String], dates: &[(usize, String)]) -> Outcomes {
    let mut out = Outcomes::new();
    let get = |d: usize, k: usize, m: Metric| records.get(d).and_then(|r| r.get(k, m));
    for (k, name) in names.iter().enumerate() {
        let mut put = |what: &str, v: f64| {
            out.insert((what.to_string(), name.clone()), v);
        };
        let (peak_day, peak) = (0..records.len())
            .map(|d| (d, get(d, k, Metric::DailyActiveUsers).unwrap_or(0.0)))
            .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
        put("peak_daily_active_users", peak);
        put("peak_day", peak_day as f64);
        let start = get(0, k, Metric::MainAppUsers).unwrap_or(0.0)
            + get(0, k, Metric::SwitchesOut).unwrap_or(0.0)
            - get(0, k, Metric::SwitchesIn).unwrap_or(0.0);
        for (d, label) in dates {
            if let Some(now) = get(*d, k, Metric::MainAppUsers) {
                put(&format!("main_users_lost_by_{label}"), start - now);
            }
        }
        for after in [30, 90] {
            if let Some(v) = get(peak_day + after, k, Metric::DailyActiveUsers)
                && peak > 0.0
            {
                put(&format!("retained_{after}d_after_peak"), v / peak);
            }
        }
        let sum = |m: Metric| {
            (0..records.len())
                .map(|d| get(d, k, m).unwrap_or(0.0))
                .sum::<f64>()
        };
        put("total_installs", sum(Metric::Installs));
        let away = sum(Metric::SwitchesOut);
        if away > 0.0 {
            put("moves_back_per_move_away", sum(Metric::SwitchesIn) / away);
        }
    }
    out
}

/// Outcomes aggregated over replicates.
#[derive(Debug, Clone, Default)]
pub struct OutcomeStats {
    low: f64,
    high: f64,
    stats: BTreeMap<(String, String), Stats>,
}

impl OutcomeStats {
    pub fn new(low: f64, high: f64) -> OutcomeStats {
        OutcomeStats {
            low,
            high,
            stats: BTreeMap::new(),
        }
    }

    /// Adds one replicate's outcomes.
    pub fn add(&mut self, o: &Outcomes) {
        for (key, &v) in o {
            self.stats
                .entry(key.clone())
                .or_insert_with(|| Stats::new(self.low, self.high))
                .add(v);
        }
    }

    /// (outcome, platform) -> summary, in key order.
    pub fn summaries(&self) -> Vec<((String, String), Summary)> {
        self.stats
            .iter()
            .map(|(k, s)| (k.clone(), s.summary()))
            .collect()
    }
}

/// One outcome of one scenario in `outcomes.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutcomeEntry {
    pub scenario: String,
    pub outcome: String,
    pub platform: String,
    /// Over replicates.
    pub value: Summary,
    /// Scenario minus baseline, paired by replicate (absent for the baseline).
    pub difference: Option<Summary>,
}

/// All outcomes with their differences, for `outcomes.json`.
pub fn outcomes_json(
    labels: &[String],
    baseline: usize,
    values: &[OutcomeStats],
    differences: &[OutcomeStats],
) -> Vec<OutcomeEntry> {
    values
        .iter()
        .enumerate()
        .flat_map(|(s, set)| {
            let diffs: BTreeMap<_, _> = differences[s].summaries().into_iter().collect();
            set.summaries()
                .into_iter()
                .map(move |((outcome, platform), value)| OutcomeEntry {
                    scenario: labels[s].clone(),
                    difference: (s != baseline)
                        .then(|| diffs.get(&(outcome.clone(), platform.clone())).copied())
                        .flatten(),
                    outcome,
                    platform,
                    value,
                })
        })
        .collect()
}

/// Paired differences of outcomes: `a` minus `b` for the keys both have.
pub fn outcome_difference(a: &Outcomes, b: &Outcomes) -> Outcomes {
    a.iter()
        .filter_map(|(k, x)| b.get(k).map(|y| (k.clone(), x - y)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(day: u32, dau: f64, main: f64, installs: f64) -> DayRecord {
        let mut v = [None; Metric::ALL.len()];
        v[Metric::DailyActiveUsers as usize] = Some(dau);
        v[Metric::MainAppUsers as usize] = Some(main);
        v[Metric::Installs as usize] = Some(installs);
        v[Metric::SwitchesIn as usize] = Some(0.0);
        v[Metric::SwitchesOut as usize] = Some(0.0);
        DayRecord {
            day,
            values: vec![v],
            flows: vec![0.0],
            by_class: Vec::new(),
            trying_by_class: Vec::new(),
            by_segment: Vec::new(),
            trying_by_segment: Vec::new(),
            newcomer_installs: 0.0,
            buzz: 0.0,
        }
    }

    #[test]
    fn outcomes_of_a_known_run() {
        let records: Vec<DayRecord> = (0..100)
            .map(|d| {
                let dau = if d <= 10 {
                    d as f64 * 10.0
                } else {
                    100.0 - (d - 10) as f64
                };
                rec(d, dau, 50.0 - d as f64 * 0.1, 1.0)
            })
            .collect();
        let names = vec!["A".to_string()];
        let o = outcomes(&records, &names, &[(99, "end".into())]);
        let get = |k: &str| o[&(k.to_string(), "A".to_string())];
        assert_eq!(get("peak_daily_active_users"), 100.0);
        assert_eq!(get("peak_day"), 10.0);
        assert!((get("retained_30d_after_peak") - 0.7).abs() < 1e-12);
        assert!(!o.contains_key(&("retained_90d_after_peak".to_string(), "A".to_string())));
        assert!((get("main_users_lost_by_end") - 9.9).abs() < 1e-9);
        assert_eq!(get("total_installs"), 100.0);
        let d = difference(&records[20], &records[10]);
        assert_eq!(d.get(0, Metric::DailyActiveUsers), Some(-10.0));
    }
}
