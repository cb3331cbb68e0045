//! Metrics: what is reported per day and over the run, in people represented.
//!
//! The engine counts agents (`engine::DayTally`); this module scales them by people per agent,
//! names them, and keeps the run-level summary (peaks, totals, flows) as days arrive, so nothing
//! is held per day beyond what the writers stream out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::DayTally;
use crate::scenario::params::Params;

/// The per-platform daily metrics, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// People using the platform at the end of the day.
    ActiveUsers,
    /// People who installed the platform that day for the first time in the run.
    Installs,
    /// People who moved to the platform from another that day.
    SwitchesIn,
    /// People who left the platform for another that day.
    SwitchesOut,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::ActiveUsers,
        Metric::Installs,
        Metric::SwitchesIn,
        Metric::SwitchesOut,
    ];

    /// Name used in `daily.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::ActiveUsers => "active_users",
            Metric::Installs => "installs",
            Metric::SwitchesIn => "switches_in",
            Metric::SwitchesOut => "switches_out",
        }
    }

    /// Agents counted by this metric for platform `k` on the day of `t`.
    pub fn agents(self, t: &DayTally, k: usize) -> u64 {
        match self {
            Metric::ActiveUsers => t.active[k],
            Metric::Installs => t.installs[k],
            Metric::SwitchesIn => t.switches_in(k),
            Metric::SwitchesOut => t.switches_out(k),
        }
    }
}

/// Run-level results of one platform. People are agents x people per agent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformSummary {
    pub platform: String,
    /// Users (people) at the start, before day 0.
    pub initial_users: f64,
    /// Most users on any day (people).
    pub peak_users: f64,
    /// First date of the peak.
    pub peak_date: String,
    /// Fewest users on any day (people).
    pub min_users: f64,
    /// First date of the minimum.
    pub min_date: String,
    /// Users on the last day (people).
    pub final_users: f64,
    /// Installs over the run (people).
    pub total_installs: f64,
    /// Moves to this platform over the run (people).
    pub total_switches_in: f64,
    /// Moves away from this platform over the run (people).
    pub total_switches_out: f64,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub replicate: u32,
    /// First simulated date.
    pub start: String,
    /// Last simulated date (inclusive).
    pub end: String,
    pub days: u32,
    /// People represented.
    pub people: f64,
    pub agents: u32,
    pub people_per_agent: f64,
    pub platforms: Vec<PlatformSummary>,
    /// People who moved between platforms over the run: from -> to -> people.
    pub flows: BTreeMap<String, BTreeMap<String, f64>>,
    /// All moves between platforms over the run (people).
    pub total_switches: f64,
    /// All installs over the run (people).
    pub total_installs: f64,
}

/// Builds a `Summary` from days as they come.
#[derive(Debug, Clone)]
pub struct SummaryBuilder {
    scale: f64,
    names: Vec<String>,
    dates: Vec<String>,
    initial: Vec<u64>,
    peak: Vec<(u64, u32)>,
    min: Vec<(u64, u32)>,
    last: Vec<u64>,
    installs: Vec<u64>,
    flows: Vec<u64>,
}

impl SummaryBuilder {
    /// Starts a summary; `initial` holds the agents on each platform before day 0.
    pub fn new(params: &Params, initial: &[u64]) -> SummaryBuilder {
        let k = params.platforms.len();
        SummaryBuilder {
            scale: params.people_per_agent(),
            names: params.platforms.iter().map(|p| p.name.clone()).collect(),
            dates: (0..params.days)
                .map(|d| params.date(d).to_string())
                .collect(),
            initial: initial.to_vec(),
            peak: vec![(0, 0); k],
            min: vec![(u64::MAX, 0); k],
            last: vec![0; k],
            installs: vec![0; k],
            flows: vec![0; k * k],
        }
    }

    /// Adds one day.
    pub fn add(&mut self, t: &DayTally) {
        for (k, &a) in t.active.iter().enumerate() {
            if a > self.peak[k].0 {
                self.peak[k] = (a, t.day);
            }
            if a < self.min[k].0 {
                self.min[k] = (a, t.day);
            }
            self.last[k] = a;
            self.installs[k] += t.installs[k];
        }
        self.flows
            .iter_mut()
            .zip(&t.flows)
            .for_each(|(x, y)| *x += y);
    }

    /// The summary of all days added.
    pub fn finish(&self, params: &Params, replicate: u32) -> Summary {
        let k = self.names.len();
        let people = |a: u64| a as f64 * self.scale;
        let date = |d: u32| self.dates.get(d as usize).cloned().unwrap_or_default();
        let moved = |from: usize, to: usize| self.flows[from * k + to];
        let platforms = (0..k)
            .map(|p| PlatformSummary {
                platform: self.names[p].clone(),
                initial_users: people(self.initial[p]),
                peak_users: people(self.peak[p].0),
                peak_date: date(self.peak[p].1),
                min_users: people(self.min[p].0.min(self.peak[p].0)),
                min_date: date(self.min[p].1),
                final_users: people(self.last[p]),
                total_installs: people(self.installs[p]),
                total_switches_in: people((0..k).filter(|&j| j != p).map(|j| moved(j, p)).sum()),
                total_switches_out: people((0..k).filter(|&j| j != p).map(|j| moved(p, j)).sum()),
            })
            .collect();
        let flows = (0..k)
            .map(|from| {
                let row = (0..k)
                    .filter(|&to| to != from)
                    .map(|to| (self.names[to].clone(), people(moved(from, to))))
                    .collect();
                (self.names[from].clone(), row)
            })
            .collect();
        Summary {
            scenario: params.name.clone(),
            seed: params.seed,
            replicate,
            start: params.start.to_string(),
            end: params.end().to_string(),
            days: params.days,
            people: params.people,
            agents: params.agents,
            people_per_agent: self.scale,
            platforms,
            flows,
            total_switches: people(self.flows.iter().sum::<u64>()),
            total_installs: people(self.installs.iter().sum()),
        }
    }
}
