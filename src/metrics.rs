//! Metrics: what is reported per day and over the run, in people represented.
//!
//! The engine counts agents (`engine::DayTally`); `Daily` turns each day's counts into a
//! `DayRecord` of named metrics in people (agents x people per agent), adding what is derived
//! from counts and the day's conditions: daily active users with multi-homing, the estimated
//! app-store rank and newcomer posts. `SummaryBuilder` keeps the run-level summary as records
//! arrive, so nothing is held per day beyond what the writers stream out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::DayTally;
use crate::scenario::params::{Params, RankCurve};
use crate::timeline::{self, DayConditions};

/// The per-platform daily metrics, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// People who use the platform that day: those whose main app it is, plus those who have it
    /// installed as a second app and use it that day (secondary_use x their number). Zero while
    /// the platform is down.
    DailyActiveUsers,
    /// People whose main app it is at the end of the day.
    MainAppUsers,
    /// People with the app installed at the end of the day.
    InstalledUsers,
    /// People who installed it that day (store downloads): the first time in the run unless
    /// trials let people uninstall and come back.
    Installs,
    /// People who made it their main app that day, coming from another.
    SwitchesIn,
    /// People who left it as main app that day for another.
    SwitchesOut,
    /// Estimated app-store rank from the day's downloads (1 = top; 500 = beyond the top 500);
    /// only when the scenario sets the rank curve.
    AppStoreRank,
    /// Newcomer posts so far (e.g. #TikTokRefugee introductions): the sum over days of installs
    /// x that day's posts per newcomer; only for platforms whose `newcomer_posts` is ever > 0.
    NewcomerPosts,
    /// Trials only (`[mechanisms] trials`): people trying the app beside their main app at the
    /// end of the day.
    TrialUsers,
    /// Trials only: people who began trying it that day.
    TrialStarts,
    /// Trials only: people who dropped their trial of it that day.
    TrialDrops,
    /// Trials or open population only: people who uninstalled it that day (dropping a trial,
    /// or leaving the population).
    Uninstalls,
    /// Trials only: people who have tried or installed it at least once in the run, so far
    /// (unique, however many times they came and went).
    UniqueTriers,
    /// Open population only (`[mechanisms] turnover`): newcomers who took it as main app.
    Joins,
    /// Open population only: people who left the population with it as main app.
    Leaves,
    /// The followed cohort's platform only (`[outputs] cohort`): people still in the
    /// population who first tried or installed it on one of the cohort's days.
    CohortMembers,
    /// The cohort's platform only: those of the cohort's members who still have it installed
    /// at the end of the day (as main app, as a trial or as a second app).
    CohortKeeping,
}

impl Metric {
    pub const ALL: [Metric; 17] = [
        Metric::DailyActiveUsers,
        Metric::MainAppUsers,
        Metric::InstalledUsers,
        Metric::Installs,
        Metric::SwitchesIn,
        Metric::SwitchesOut,
        Metric::AppStoreRank,
        Metric::NewcomerPosts,
        Metric::TrialUsers,
        Metric::TrialStarts,
        Metric::TrialDrops,
        Metric::Uninstalls,
        Metric::UniqueTriers,
        Metric::Joins,
        Metric::Leaves,
        Metric::CohortMembers,
        Metric::CohortKeeping,
    ];

    /// Name used in `daily.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::DailyActiveUsers => "daily_active_users",
            Metric::MainAppUsers => "main_app_users",
            Metric::InstalledUsers => "installed_users",
            Metric::Installs => "installs",
            Metric::SwitchesIn => "switches_in",
            Metric::SwitchesOut => "switches_out",
            Metric::AppStoreRank => "app_store_rank",
            Metric::NewcomerPosts => "newcomer_posts",
            Metric::TrialUsers => "trial_users",
            Metric::TrialStarts => "trial_starts",
            Metric::TrialDrops => "trial_drops",
            Metric::Uninstalls => "uninstalls",
            Metric::UniqueTriers => "unique_triers",
            Metric::Joins => "joins",
            Metric::Leaves => "leaves",
            Metric::CohortMembers => "cohort_members",
            Metric::CohortKeeping => "cohort_keeping",
        }
    }
}

/// One day's metrics in people.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRecord {
    /// Day index, 0-based.
    pub day: u32,
    /// values[platform][metric as usize]; None where the metric is not reported.
    pub values: Vec<[Option<f64>; Metric::ALL.len()]>,
    /// People who moved main app from -> to that day, at `from * K + to`.
    pub flows: Vec<f64>,
    /// Main-app users per audience class and platform, at `class * K + platform` (empty
    /// unless the scenario counts audience classes).
    pub by_class: Vec<f64>,
    /// People of each audience class trying each platform, at `class * K + platform` (empty
    /// unless the scenario counts audience classes and trials are on).
    pub trying_by_class: Vec<f64>,
    /// Main-app users per segment and platform, at `segment * K + platform`, and the triers
    /// (with trials) likewise (empty unless the scenario counts segments).
    pub by_segment: Vec<f64>,
    pub trying_by_segment: Vec<f64>,
    /// People who installed apps on joining (open population), counted in `installs` but not
    /// in the buzz.
    pub newcomer_installs: f64,
    /// Buzz B(t) of the day (0 without buzz): the day's attention was multiplied by 1 + B(t).
    pub buzz: f64,
}

impl DayRecord {
    /// Value of `metric` for platform `k`, if reported.
    pub fn get(&self, k: usize, metric: Metric) -> Option<f64> {
        self.values[k][metric as usize]
    }
}

/// Turns tallies into records, day by day.
#[derive(Debug, Clone)]
pub struct Daily {
    scale: f64,
    conditions: Vec<DayConditions>,
    rank: Option<RankCurve>,
    background: Vec<f64>,
    counts_posts: Vec<bool>,
    posts: Vec<f64>,
    /// Daily use on: main-app users count by `DayTally::opened`.
    daily_use: bool,
    /// Audience classes counted.
    by_class: bool,
    /// Trials on, and each platform's unique triers so far (agents).
    trials: bool,
    triers: Vec<u64>,
    /// Open population (turnover above 0).
    open: bool,
    /// The followed cohort's platform (`[outputs] cohort`).
    cohort: Option<usize>,
}

impl Daily {
    pub fn new(params: &Params) -> Daily {
        let k = params.platforms.len();
        let conditions = timeline::conditions(params);
        Daily {
            scale: params.people_per_agent(),
            rank: params.outputs.rank,
            background: params.outputs.background_installs.clone(),
            counts_posts: (0..k)
                .map(|p| conditions.iter().any(|c| c.newcomer_posts[p] > 0.0))
                .collect(),
            posts: vec![0.0; k],
            daily_use: params.mechanisms.daily_use,
            by_class: params.outputs.audience_classes,
            trials: params.mechanisms.trials,
            triers: vec![0; k],
            open: params.mechanisms.turnover > 0.0,
            cohort: params.outputs.cohort.map(|h| h.platform),
            conditions,
        }
    }

    /// The record of the day of `t`.
    pub fn record(&mut self, t: &DayTally) -> DayRecord {
        let k = t.active.len();
        let cond = &self.conditions[t.day as usize];
        let people = |a: u64| a as f64 * self.scale;
        let values = (0..k)
            .map(|p| {
                let up = cond.up & (1 << p) != 0;
                let main = people(t.active[p]);
                let trying = people(t.trying[p]);
                let second = people(t.installed[p].saturating_sub(t.active[p] + t.trying[p]));
                let installs = people(t.installs[p]);
                self.posts[p] += installs * f64::from(cond.newcomer_posts[p]);
                // Main users who did not hit a partial outage, second-app users, and stand-ins.
                // Stand-ins have the app installed: they count once, not also as second-app users.
                let stand_in = people(t.stand_in[p]);
                // Main-app users who use it today: with daily use, those who open it (each by
                // its own rate, the outage cutting the day); otherwise all who did not hit the
                // outage.
                let (main_active, trial_active) = if self.daily_use {
                    let unit = f64::from(crate::engine::OPEN_UNIT);
                    (people(t.opened[p]) / unit, people(t.trial_opened[p]) / unit)
                } else {
                    let service = 1.0 - f64::from(cond.outage[p]);
                    (main * service, trying * service)
                };
                let dau = if up {
                    main_active
                        + trial_active
                        + f64::from(cond.secondary_use[p]) * (second - stand_in).max(0.0)
                        + stand_in
                } else {
                    0.0
                };
                let mut v = [None; Metric::ALL.len()];
                v[Metric::DailyActiveUsers as usize] = Some(dau);
                v[Metric::MainAppUsers as usize] = Some(main);
                v[Metric::InstalledUsers as usize] = Some(people(t.installed[p]));
                v[Metric::Installs as usize] = Some(installs);
                v[Metric::SwitchesIn as usize] = Some(people(t.switches_in(p)));
                v[Metric::SwitchesOut as usize] = Some(people(t.switches_out(p)));
                // Outsiders download only what the stores offer.
                let in_store = cond.in_store & (1 << p) != 0;
                let background = if in_store { self.background[p] } else { 0.0 };
                v[Metric::AppStoreRank as usize] = self.rank.map(|r| r.rank(installs + background));
                v[Metric::NewcomerPosts as usize] = self.counts_posts[p].then_some(self.posts[p]);
                if self.trials {
                    self.triers[p] += t.first_tries[p];
                    v[Metric::TrialUsers as usize] = Some(trying);
                    v[Metric::TrialStarts as usize] = Some(people(t.trial_starts[p]));
                    v[Metric::TrialDrops as usize] = Some(people(t.drops[p]));
                    v[Metric::UniqueTriers as usize] = Some(people(self.triers[p]));
                }
                if self.trials || self.open {
                    v[Metric::Uninstalls as usize] = Some(people(t.uninstalls[p]));
                }
                if self.open {
                    v[Metric::Joins as usize] = Some(people(t.joins[p]));
                    v[Metric::Leaves as usize] = Some(people(t.leaves[p]));
                }
                if self.cohort == Some(p) {
                    v[Metric::CohortMembers as usize] = Some(people(t.cohort_members));
                    v[Metric::CohortKeeping as usize] = Some(people(t.cohort_keeping));
                }
                v
            })
            .collect();
        DayRecord {
            day: t.day,
            newcomer_installs: people(t.newcomer_installs),
            buzz: t.buzz,
            values,
            flows: t.flows.iter().map(|&a| people(a)).collect(),
            by_segment: t.by_segment.iter().map(|&a| people(a)).collect(),
            trying_by_segment: if self.trials {
                t.trying_by_segment.iter().map(|&a| people(a)).collect()
            } else {
                Vec::new()
            },
            trying_by_class: if self.by_class && self.trials {
                t.trying_by_class.iter().map(|&a| people(a)).collect()
            } else {
                Vec::new()
            },
            by_class: if self.by_class {
                t.by_class.iter().map(|&a| people(a)).collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// Run-level results of one platform, in people.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformSummary {
    pub platform: String,
    /// People whose main app it was at the start, before day 0.
    pub initial_main_users: f64,
    /// Most daily active users on any day.
    pub peak_daily_active_users: f64,
    /// First date of that peak.
    pub peak_date: String,
    /// Fewest daily active users on any day.
    pub min_daily_active_users: f64,
    /// First date of that minimum.
    pub min_date: String,
    /// Daily active users on the last day.
    pub final_daily_active_users: f64,
    /// People whose main app it was on the last day.
    pub final_main_users: f64,
    /// People with it installed on the last day.
    pub final_installed_users: f64,
    /// Installs over the run.
    pub total_installs: f64,
    /// Moves to it as main app over the run.
    pub total_switches_in: f64,
    /// Moves away from it as main app over the run.
    pub total_switches_out: f64,
    /// Best (lowest) estimated app-store rank and its first date, if ranks are estimated.
    pub best_rank: Option<f64>,
    pub best_rank_date: Option<String>,
    /// Newcomer posts by the last day, if the platform counts them.
    pub newcomer_posts: Option<f64>,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub replicate: u32,
    /// Replicates run (more than 1: replicates.csv and bands.csv hold them all).
    pub replicates: u32,
    /// Quantiles of the band in bands.csv.
    pub band: [f64; 2],
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
    /// People who moved main app over the run: from -> to -> people.
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
    peak: Vec<(f64, u32)>,
    min: Vec<(f64, u32)>,
    best_rank: Vec<Option<(f64, u32)>>,
    last: Option<DayRecord>,
    installs: Vec<f64>,
    flows: Vec<f64>,
}

impl SummaryBuilder {
    /// Starts a summary.
    pub fn new(params: &Params) -> SummaryBuilder {
        let k = params.platforms.len();
        SummaryBuilder {
            scale: params.people_per_agent(),
            names: params.platforms.iter().map(|p| p.name.clone()).collect(),
            dates: (0..params.days)
                .map(|d| params.date(d).to_string())
                .collect(),
            peak: vec![(f64::NEG_INFINITY, 0); k],
            min: vec![(f64::INFINITY, 0); k],
            best_rank: vec![None; k],
            last: None,
            installs: vec![0.0; k],
            flows: vec![0.0; k * k],
        }
    }

    /// Adds one day.
    pub fn add(&mut self, r: &DayRecord) {
        for k in 0..self.names.len() {
            let dau = r.get(k, Metric::DailyActiveUsers).unwrap_or(0.0);
            if dau > self.peak[k].0 {
                self.peak[k] = (dau, r.day);
            }
            if dau < self.min[k].0 {
                self.min[k] = (dau, r.day);
            }
            if let Some(rank) = r.get(k, Metric::AppStoreRank)
                && self.best_rank[k].is_none_or(|(best, _)| rank < best)
            {
                self.best_rank[k] = Some((rank, r.day));
            }
            self.installs[k] += r.get(k, Metric::Installs).unwrap_or(0.0);
        }
        self.flows
            .iter_mut()
            .zip(&r.flows)
            .for_each(|(x, y)| *x += y);
        self.last = Some(r.clone());
    }

    /// The summary of all days added; `initial` holds the agents on each platform (main app)
    /// before day 0. It is one run's: the caller sets `replicates` and `band` of a run of
    /// several.
    pub fn finish(&self, params: &Params, replicate: u32, initial: &[u64]) -> Summary {
        let k = self.names.len();
        let date = |d: u32| self.dates.get(d as usize).cloned().unwrap_or_default();
        let moved = |from: usize, to: usize| self.flows[from * k + to];
        let last =
            |p: usize, m: Metric| self.last.as_ref().and_then(|r| r.get(p, m)).unwrap_or(0.0);
        let platforms = (0..k)
            .map(|p| PlatformSummary {
                platform: self.names[p].clone(),
                initial_main_users: initial.get(p).map_or(0.0, |&a| a as f64 * self.scale),
                peak_daily_active_users: self.peak[p].0.max(0.0),
                peak_date: date(self.peak[p].1),
                min_daily_active_users: self.min[p].0.min(self.peak[p].0).max(0.0),
                min_date: date(self.min[p].1),
                final_daily_active_users: last(p, Metric::DailyActiveUsers),
                final_main_users: last(p, Metric::MainAppUsers),
                final_installed_users: last(p, Metric::InstalledUsers),
                total_installs: self.installs[p],
                total_switches_in: (0..k).filter(|&j| j != p).map(|j| moved(j, p)).sum(),
                total_switches_out: (0..k).filter(|&j| j != p).map(|j| moved(p, j)).sum(),
                best_rank: self.best_rank[p].map(|(r, _)| r),
                best_rank_date: self.best_rank[p].map(|(_, d)| date(d)),
                newcomer_posts: self
                    .last
                    .as_ref()
                    .and_then(|r| r.get(p, Metric::NewcomerPosts)),
            })
            .collect();
        let flows = (0..k)
            .map(|from| {
                let row = (0..k)
                    .filter(|&to| to != from)
                    .map(|to| (self.names[to].clone(), moved(from, to)))
                    .collect();
                (self.names[from].clone(), row)
            })
            .collect();
        Summary {
            scenario: params.name.clone(),
            seed: params.seed,
            replicate,
            replicates: 1,
            band: [0.05, 0.95],
            start: params.start.to_string(),
            end: params.end().to_string(),
            days: params.days,
            people: params.people,
            agents: params.agents,
            people_per_agent: self.scale,
            platforms,
            flows,
            total_switches: self.flows.iter().sum(),
            total_installs: self.installs.iter().sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_curve_inverts_downloads() {
        let r = RankCurve {
            top: 100_000.0,
            exponent: 1.0,
            store_share: 0.5,
        };
        assert_eq!(r.rank(200_000.0), 1.0);
        assert!((r.rank(20_000.0) - 10.0).abs() < 1e-9);
        assert_eq!(r.rank(0.0), RankCurve::MAX_RANK);
    }
}
