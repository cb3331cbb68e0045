//! The daily loop: double-buffered state, chunked parallelism, random streams.
//!
//! Each day every agent reads yesterday's platforms (`prev`) and writes today's (`next`), so the
//! update is synchronous and the order agents are visited in does not matter. Agents are split
//! into fixed chunks of `rng::CHUNK` that tally their own counts; agent i on day t draws from its
//! own stream (seed, replicate, t, i); counts are integers, so merging them in any grouping gives
//! the same totals. Results are therefore identical at any thread count.
//!
//! Per agent and day:
//! 1. usable = platforms in service that it has installed or can install from the stores;
//! 2. if its platform is not usable it must choose (forced, by the logit rule);
//! 3. otherwise the choice rule decides: logit — with probability `attention` it reconsiders
//!    and picks by logit; Bass — it moves with the Bass hazards;
//! 4. moving to a platform it never had installed is an install.
//!
//! On a day its main app has a partial outage (share s of the day), an agent hits it with
//! probability s and then uses another app it has installed, chosen by the logit rule, for the
//! day, keeping its main app.

use rand::{Rng, RngExt};
use rayon::prelude::*;

use crate::model::{bass, logit, platforms_in};
use crate::network::Network;
use crate::population::{InitialState, Population, Trait, TraitId, Trial};
use crate::rng::{self, CHUNK, agent_stream, day_key};
use crate::scenario::params::{MAX_PLATFORMS, Params, RuleKind};
use crate::timeline::{self, DayConditions};

/// What happened on one day, in agents (not people).
#[derive(Debug, Clone, PartialEq)]
pub struct DayTally {
    /// Day index, 0-based.
    pub day: u32,
    /// Buzz B(t) of the day (`[mechanisms] buzz`; 0 when off): its attention was multiplied by
    /// 1 + B(t).
    pub buzz: f64,
    /// Agents on each platform at the end of the day.
    pub active: Vec<u64>,
    /// Agents that installed each platform that day.
    pub installs: Vec<u64>,
    /// Of those installs, the ones newcomers made on joining (not moved by the migration, so
    /// not buzz).
    pub newcomer_installs: u64,
    /// Agents that moved from platform `from` to `to`, at `from * K + to`.
    pub flows: Vec<u64>,
    /// Agents with each platform installed at the end of the day (main app included).
    pub installed: Vec<u64>,
    /// Agents who hit a partial outage of their main app and used this platform instead that
    /// day (their main app unchanged).
    pub stand_in: Vec<u64>,
    /// Daily use: the expected number of this platform's main-app agents who opened it that
    /// day, in units of 1 / `OPEN_UNIT` agent (integers, so sums are exact in any grouping);
    /// zeros when daily use is off.
    pub opened: Vec<u64>,
    /// Agents of audience class c with main app k at the end of the day, at `c * K + k`
    /// (zeros unless the scenario counts audience classes).
    pub by_class: Vec<u64>,
    /// Agents of audience class c trying platform k at the end of the day, at `c * K + k`
    /// (zeros unless the scenario counts audience classes and trials are on).
    pub trying_by_class: Vec<u64>,
    /// Agents of segment s with main app k at the end of the day, at `s * K + k` (empty unless
    /// the scenario counts segments, `[outputs] segments`).
    pub by_segment: Vec<u64>,
    /// Agents of segment s trying platform k, at `s * K + k` (empty unless the scenario counts
    /// segments; zeros without trials).
    pub trying_by_segment: Vec<u64>,
    /// Trials (`[mechanisms] trials`; zeros when off): agents trying each platform beside
    /// their main app at the end of the day.
    pub trying: Vec<u64>,
    /// Agents who began trying each platform that day.
    pub trial_starts: Vec<u64>,
    /// Agents who dropped their trial of each platform that day.
    pub drops: Vec<u64>,
    /// Agents who uninstalled each platform that day (dropping a trial that installed it).
    pub uninstalls: Vec<u64>,
    /// Agents who tried or installed each platform for the first time in the run that day.
    pub first_tries: Vec<u64>,
    /// Daily use of the tried apps, in units of 1 / `OPEN_UNIT` agent (as `opened`).
    pub trial_opened: Vec<u64>,
    /// `[outputs] cohort`: agents in the cohort at the end of the day, and those of them with
    /// the cohort's platform installed (zeros without a cohort).
    pub cohort_members: u64,
    pub cohort_keeping: u64,
    /// Open population (`[mechanisms] turnover`; zeros when closed): newcomers who took each
    /// platform as main app that day.
    pub joins: Vec<u64>,
    /// Changes of main app per segment, at `s * K + k` (+1 joining k, -1 leaving it), when
    /// the engine carries the main-app users per segment from day to day (empty otherwise).
    pub(crate) segment_moves: Vec<i64>,
    /// Agents who left the population that day with each platform as main app.
    pub leaves: Vec<u64>,
}

/// Units per agent of `DayTally::opened`.
pub const OPEN_UNIT: f32 = 65536.0;

/// The units an agent with `rate` opens per day (a Poisson process) adds to its main app's
/// daily users when the app is in service for the share `in_service` of the day:
/// P(opens it at least once) = 1 - exp(-rate x in_service).
#[inline(always)]
pub fn open_units(rate: f32, in_service: f32) -> u32 {
    ((1.0 - (-rate * in_service).exp()) * OPEN_UNIT).round() as u32
}

impl DayTally {
    /// An empty tally for `k` platforms and `segments` counted segments (0: not counted).
    fn new(day: u32, k: usize, segments: usize) -> DayTally {
        DayTally {
            buzz: 0.0,
            by_segment: vec![0; segments * k],
            trying_by_segment: vec![0; segments * k],
            day,
            active: vec![0; k],
            installs: vec![0; k],
            newcomer_installs: 0,
            flows: vec![0; k * k],
            installed: vec![0; k],
            stand_in: vec![0; k],
            opened: vec![0; k],
            by_class: vec![0; AUDIENCE_CLASSES * k],
            trying_by_class: vec![0; AUDIENCE_CLASSES * k],
            trying: vec![0; k],
            trial_starts: vec![0; k],
            drops: vec![0; k],
            uninstalls: vec![0; k],
            first_tries: vec![0; k],
            trial_opened: vec![0; k],
            cohort_members: 0,
            cohort_keeping: 0,
            joins: vec![0; k],
            leaves: vec![0; k],
            segment_moves: Vec::new(),
        }
    }

    fn merge(mut self, other: DayTally) -> DayTally {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.active, &other.active);
        add(&mut self.installs, &other.installs);
        self.newcomer_installs += other.newcomer_installs;
        add(&mut self.flows, &other.flows);
        add(&mut self.installed, &other.installed);
        add(&mut self.stand_in, &other.stand_in);
        add(&mut self.opened, &other.opened);
        add(&mut self.by_class, &other.by_class);
        add(&mut self.trying_by_class, &other.trying_by_class);
        add(&mut self.by_segment, &other.by_segment);
        add(&mut self.trying_by_segment, &other.trying_by_segment);
        add(&mut self.trying, &other.trying);
        add(&mut self.trial_starts, &other.trial_starts);
        add(&mut self.drops, &other.drops);
        add(&mut self.uninstalls, &other.uninstalls);
        add(&mut self.first_tries, &other.first_tries);
        add(&mut self.trial_opened, &other.trial_opened);
        self.cohort_members += other.cohort_members;
        self.cohort_keeping += other.cohort_keeping;
        add(&mut self.joins, &other.joins);
        add(&mut self.leaves, &other.leaves);
        if self.segment_moves.is_empty() {
            self.segment_moves = other.segment_moves;
        } else {
            let moves = self.segment_moves.iter_mut().zip(&other.segment_moves);
            moves.for_each(|(x, y)| *x += y);
        }
        self
    }

    /// Installs of the day made by agents who chose to try or switch to an app (not those of
    /// newcomers on joining): what feeds buzz.
    pub fn moved_installs(&self) -> u64 {
        self.installs.iter().sum::<u64>() - self.newcomer_installs
    }

    /// Agents that moved to platform `k`.
    pub fn switches_in(&self, k: usize) -> u64 {
        let n = self.active.len();
        (0..n)
            .filter(|&j| j != k)
            .map(|j| self.flows[j * n + k])
            .sum()
    }

    /// Agents that left platform `k`.
    pub fn switches_out(&self, k: usize) -> u64 {
        let n = self.active.len();
        (0..n)
            .filter(|&j| j != k)
            .map(|j| self.flows[k * n + j])
            .sum()
    }
}

/// The fixed part of a run: the network and the population.
#[derive(Debug, Clone)]
pub struct World {
    pub network: Network,
    pub population: Population,
    /// Audience class of each agent (`Network::audience_classes`), when the scenario asks for
    /// `[outputs] audience_classes`; empty otherwise.
    pub audience: Vec<u8>,
}

/// Audience classes counted by `DayTally::by_class`: top 1%, next 9%, the rest.
pub const AUDIENCE_CLASSES: usize = 3;

impl World {
    /// Builds the world of replicate `replicate` and the agents' initial state. The population
    /// comes first: in power-law networks, segments set how popular (watched) agents are.
    pub fn build(params: &Params, replicate: u32) -> (World, InitialState) {
        let (world, initial, _) = World::build_timed(params, replicate);
        (world, initial)
    }

    /// `build`, also returning how long the population and the network took.
    pub fn build_timed(params: &Params, replicate: u32) -> (World, InitialState, BuildTimes) {
        World::build_timed_while(params, replicate, &|| true)
            .expect("a build that always goes on finishes")
    }

    /// `build`, giving up between two days of the burn-in when `go_on` says false (a cancelled
    /// run): then None. The same world as `build` otherwise.
    pub fn build_while(
        params: &Params,
        replicate: u32,
        go_on: &dyn Fn() -> bool,
    ) -> Option<(World, InitialState)> {
        World::build_timed_while(params, replicate, go_on).map(|(w, i, _)| (w, i))
    }

    /// `build_timed`, giving up as `build_while` does.
    fn build_timed_while(
        params: &Params,
        replicate: u32,
        go_on: &dyn Fn() -> bool,
    ) -> Option<(World, InitialState, BuildTimes)> {
        if !go_on() {
            return None;
        }
        let (world, initial, mut times) = World::build_unsettled(params, replicate);
        // Equilibrium start: the burn-in, if any, is part of building the world.
        let t = std::time::Instant::now();
        let initial = burn_in(params, &world, initial, replicate, go_on)?;
        times.population_seconds += t.elapsed().as_secs_f64();
        Some((world, initial, times))
    }

    /// The world and the drawn initial state, before any burn-in.
    fn build_unsettled(params: &Params, replicate: u32) -> (World, InitialState, BuildTimes) {
        let t0 = std::time::Instant::now();
        let (population, initial) = crate::population::draw(params, replicate);
        let population_seconds = t0.elapsed().as_secs_f64();
        let popularity: Vec<f64> = params.segments.iter().map(|s| s.popularity).collect();
        let t1 = std::time::Instant::now();
        let network = Network::build(
            &params.network,
            params.agents as usize,
            params.seed,
            replicate,
            |i| popularity[population.segment_of(i)],
        );
        let times = BuildTimes {
            population_seconds,
            network_seconds: t1.elapsed().as_secs_f64(),
        };
        let audience = if params.outputs.audience_classes {
            network.audience_classes()
        } else {
            Vec::new()
        };
        (
            World {
                network,
                population,
                audience,
            },
            initial,
            times,
        )
    }
}

/// Seconds spent building a world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildTimes {
    /// Drawing segments, traits and initial state.
    pub population_seconds: f64,
    /// Building the contact network.
    pub network_seconds: f64,
}

/// Runs replicate `replicate` of `params` from `initial`, calling `on_day` after each day.
/// Returns the final platforms of all agents.
pub fn simulate(
    params: &Params,
    world: &World,
    initial: InitialState,
    replicate: u32,
    mut on_day: impl FnMut(&DayTally),
) -> Vec<u8> {
    let finished = simulate_while(params, world, initial, replicate, |tally| {
        on_day(tally);
        true
    });
    finished.unwrap_or_default()
}

/// As [`simulate`], but stops after a day on which `on_day` returns false (a cancelled run):
/// then returns None.
pub fn simulate_while(
    params: &Params,
    world: &World,
    initial: InitialState,
    replicate: u32,
    mut on_day: impl FnMut(&DayTally) -> bool,
) -> Option<Vec<u8>> {
    let conditions = timeline::conditions(params);
    let mut buzz = timeline::Buzz::new(&params.mechanisms).starting_at(initial.buzz);
    let mut state = State::new(params, initial);
    for (day, cond) in conditions.iter().enumerate() {
        let tally = state.step_buzzing(
            params, world, cond, &buzz, replicate, day as u32, day as u64,
        );
        buzz.add_day(tally.moved_installs() as f64 / f64::from(params.agents));
        if !on_day(&tally) {
            return None;
        }
    }
    Some(state.prev)
}

/// Stream days of the burn-in start here, far from any real day, so its random numbers are
/// never those of a simulated day.
const BURN_IN_STREAM: u64 = 1 << 62;

/// Equilibrium start (`[mechanisms] burn_in_days`): runs the rules for that many days under
/// day 0's conditions before day 0, recording nothing, and returns the state they reach, so a
/// scenario starts from the stationary state of its own rules rather than from its drawn
/// initial shares. Buzz runs in the burn-in as in the run, and its level carries into day 0.
///
/// With `burn_in_speedup` f > 1 each burn-in day stands for f days: every daily rate is
/// multiplied by f (attention, reviews of trials, turnover; each capped at 1) and the
/// novelty of trials wears off f times faster, so the daily transition probabilities P of
/// every agent become I + f (P - I) (to the caps), which has the same stationary state; buzz
/// fades over f days per step and counts the step's installs as spread over them.
fn burn_in(
    params: &Params,
    world: &World,
    initial: InitialState,
    replicate: u32,
    go_on: &dyn Fn() -> bool,
) -> Option<InitialState> {
    let days = params.mechanisms.burn_in_days;
    if days == 0 {
        return Some(initial);
    }
    let Some(mut day0) = timeline::conditions(params).into_iter().next() else {
        return Some(initial);
    };
    let f = params.mechanisms.burn_in_speedup;
    let fast;
    let rules = if f > 1 {
        let mut p = params.clone();
        let m = &mut p.mechanisms;
        m.review_rate = (m.review_rate * f64::from(f)).min(1.0);
        m.novelty_days /= f64::from(f);
        m.turnover = (m.turnover * f64::from(f)).min(1.0);
        day0.attention_scale *= f as f32;
        fast = p;
        &fast
    } else {
        params
    };
    let mut buzz = timeline::Buzz::new(&params.mechanisms).starting_at(initial.buzz);
    let mut state = State::new(params, initial);
    for b in 0..days {
        if !go_on() {
            return None;
        }
        let stream_day = BURN_IN_STREAM + u64::from(b);
        let tally = state.step_buzzing(rules, world, &day0, &buzz, replicate, 0, stream_day);
        buzz.add_days(tally.moved_installs() as f64 / f64::from(params.agents), f);
    }
    // The run's record of what each agent "ever tried" starts at day 0, with what it is trying
    // then.
    let mut trials = state.trials;
    for t in &mut trials {
        t.ever = t.platform().map_or(0, |p| 1 << p);
        t.cohort = false;
    }
    Some(InitialState {
        platform: state.prev,
        installed: state.installed,
        trials,
        buzz: buzz.level(),
    })
}

/// The agents' state between days: platforms, installed sets, trials (empty when trials are
/// off) and the counts carried forward.
struct State {
    prev: Vec<u8>,
    next: Vec<u8>,
    installed: Vec<u32>,
    trials: Vec<Trial>,
    /// Influence by exposure: what each agent showed its contacts at the end of yesterday, its
    /// main app (low byte) and the app it was trying (high byte, `NOT_TRYING` if none),
    /// snapshot at the start of each day so that every agent reads yesterday's trials. One
    /// 16-bit read per contact gives both. Empty unless exposure is active.
    seen: Vec<u16>,
    /// Agents trying each platform at the end of yesterday.
    trying: Vec<u64>,
    /// True until the first day is stepped: the agents trying an app at the start (after a
    /// burn-in, whose record of what each agent ever tried is reset to that app) count among
    /// that day's first tries.
    first_day: bool,
    global: Vec<u64>,
    installed_now: Vec<u64>,
    /// Main-app users per segment and platform (`s * K + k`), carried from day to day by the
    /// day's `DayTally::segment_moves` when segments are counted or daily opens are set per
    /// segment; counted on the first day (empty before, and when not needed).
    segment_users: Vec<u64>,
}

impl State {
    fn new(params: &Params, initial: InitialState) -> State {
        let k = params.platforms.len();
        let InitialState {
            platform: prev,
            installed,
            trials,
            buzz: _,
        } = initial;
        let trials = match params.mechanisms.trials {
            false => Vec::new(),
            true if trials.len() == prev.len() => trials,
            true => vec![Trial::IDLE; prev.len()],
        };
        let mut global = vec![0u64; k];
        for &p in &prev {
            global[p as usize] += 1;
        }
        // Installed counts change only by the day's installs and uninstalls: counted once here,
        // then carried forward instead of recounted agent by agent each day.
        let mut installed_now = vec![0u64; k];
        for &mask in &installed {
            for p in platforms_in(mask) {
                installed_now[p] += 1;
            }
        }
        let exposure = exposure_active(params);
        let mut trying = vec![0u64; k];
        for t in &trials {
            if let Some(p) = t.trying() {
                trying[p] += 1;
            }
        }
        State {
            seen: if exposure {
                let mut seen = vec![0; prev.len()];
                crate::memory::advise_huge_pages(&mut seen);
                seen
            } else {
                Vec::new()
            },
            trying,
            first_day: true,
            next: {
                let mut next = vec![0u8; prev.len()];
                crate::memory::advise_huge_pages(&mut next);
                next
            },
            prev,
            installed,
            trials,
            global,
            installed_now,
            segment_users: Vec::new(),
        }
    }

    /// One day under `cond` with attention lifted by the buzz of yesterday's installs
    /// (x (1 + B)), the tally recording B.
    #[allow(clippy::too_many_arguments)]
    fn step_buzzing(
        &mut self,
        params: &Params,
        world: &World,
        cond: &DayConditions,
        buzz: &timeline::Buzz,
        replicate: u32,
        day: u32,
        stream_day: u64,
    ) -> DayTally {
        let lift = buzz.level();
        let mut tally = if lift > 0.0 {
            let mut lifted = cond.clone();
            lifted.attention_scale *= (1.0 + lift) as f32;
            self.step(params, world, &lifted, replicate, day, stream_day)
        } else {
            self.step(params, world, cond, replicate, day, stream_day)
        };
        tally.buzz = lift;
        tally
    }

    /// One day under `cond`: labelled `day` in the tally, its random numbers from stream day
    /// `stream_day`.
    fn step(
        &mut self,
        params: &Params,
        world: &World,
        cond: &DayConditions,
        replicate: u32,
        day: u32,
        stream_day: u64,
    ) -> DayTally {
        let k = params.platforms.len();
        if !self.seen.is_empty() {
            self.seen
                .par_chunks_mut(CHUNK)
                .zip(self.prev.par_chunks(CHUNK))
                .zip(self.trials.par_chunks(CHUNK))
                .for_each(|((seen, prev), trials)| {
                    for ((s, &p), t) in seen.iter_mut().zip(prev).zip(trials) {
                        let trying = t.trying().map_or(NOT_TRYING, |p| p as u8);
                        *s = u16::from(p) | u16::from(trying) << 8;
                    }
                });
        }
        let opens = Opens::new(params, &world.population, cond);
        let counted_segments = if params.outputs.segments {
            params.segments.len()
        } else {
            0
        };
        // Main-app users per segment are carried from day to day when segments are counted
        // or daily opens are set per segment.
        let by_segment = matches!(opens, Some(Opens::BySegment { .. })) || counted_segments > 0;
        let ctx = DayContext {
            params,
            world,
            cond,
            utility: Utility::new(params, &world.population, cond),
            prev: &self.prev,
            global: &self.global,
            seen: &self.seen,
            trying: &self.trying,
            exposure_weight: (!self.seen.is_empty()).then(|| {
                params
                    .segments
                    .iter()
                    .map(|s| s.exposure_weight as f32)
                    .collect()
            }),
            seed: params.seed,
            replicate,
            stream_day,
            k,
            hazard_mask: (0..k)
                .filter(|&j| cond.innovation[j] > 0.0 || cond.imitation[j] > 0.0)
                .fold(0u32, |m, j| m | (1 << j)),
            install_cost: params.install_cost as f32,
            turnover: threshold24(params.mechanisms.turnover as f32),
            attention: attention_thresholds(params, &world.population, cond),
            cohort: params.outputs.cohort.and_then(|h| {
                let simulated = stream_day < BURN_IN_STREAM;
                (simulated && (h.from..=h.to).contains(&day)).then_some(h.platform)
            }),
            counted_segments,
            plain: if self.trials.is_empty() && params.mechanisms.turnover == 0.0 {
                plain_thresholds(params, &world.population, cond)
            } else {
                None
            },
            trials: (!self.trials.is_empty()).then(|| {
                let m = &params.mechanisms;
                TrialRule {
                    probation: m.probation,
                    return_cost: m.return_cost as f32,
                    ..TrialRule::new(m.review_rate, m.novelty_days, m.switch_cost)
                }
            }),
            opens,
            tastes: params.mechanisms.tastes && params.segments.iter().any(|s| s.taste_sd > 0.0),
            taste_sd: params.segments.iter().map(|s| s.taste_sd as f32).collect(),
            taste_key: rng::taste_key(params.seed, replicate),
            portable: params.mechanisms.respecified(),
            segments_n: if by_segment { params.segments.len() } else { 0 },
        };
        if by_segment && self.segment_users.is_empty() {
            let n = params.segments.len();
            let pop = &world.population;
            self.segment_users = vec![0; n * k];
            for (i, &p) in self.prev.iter().enumerate() {
                self.segment_users[pop.segment_of(i) * k + usize::from(p)] += 1;
            }
        }
        // Each chunk's trials, or an empty slice per chunk when trials are off.
        let chunks = self.next.len().div_ceil(CHUNK);
        let trials = crate::population::split_chunks(&mut self.trials, chunks);
        let mut tally = self
            .next
            .par_chunks_mut(CHUNK)
            .zip(self.installed.par_chunks_mut(CHUNK))
            .zip(trials.into_par_iter())
            .enumerate()
            .fold(
                || {
                    let mut work = ChunkWork::new(day, k, ctx.counted_segments);
                    work.tally.segment_moves = vec![0; ctx.segments_n * k];
                    work
                },
                |mut acc, (c, ((out, inst), trials))| {
                    ctx.step_chunk(c, out, inst, trials, &mut acc);
                    acc
                },
            )
            .map(|work| work.tally)
            .reduce(
                || DayTally::new(day, k, ctx.counted_segments),
                DayTally::merge,
            );
        for ((now, new), gone) in self
            .installed_now
            .iter_mut()
            .zip(&tally.installs)
            .zip(&tally.uninstalls)
        {
            *now = *now + new - gone;
        }
        tally.installed.copy_from_slice(&self.installed_now);
        if ctx.segments_n > 0 {
            let users = self.segment_users.iter_mut().zip(&tally.segment_moves);
            users.for_each(|(n, &m)| *n = n.wrapping_add_signed(m));
            ctx.add_segment_counts(&self.segment_users, &mut tally);
        }
        self.global.copy_from_slice(&tally.active);
        if std::mem::take(&mut self.first_day) {
            // Apps already being tried at the start count as first tries of day 0.
            for (first, start) in tally.first_tries.iter_mut().zip(&self.trying) {
                *first += start;
            }
        }
        self.trying.copy_from_slice(&tally.trying);
        std::mem::swap(&mut self.prev, &mut self.next);
        tally
    }
}

/// The day's utility terms other than peer influence, prepared once per day: for each segment,
/// appeal plus every mechanism term whose weight is the same for the whole segment; traits that
/// vary agent by agent add their term per agent.
///
/// u_ik = appeal_k + prefer_sk - risk_sensitivity_i x risk_k + protest_i x protest_k
///        - owner_aversion_i x owned_k - language_sensitivity_i x language_k
///        + income_weight_i x income_k + stickiness_k [k = main_i] + peer_weight_i x s_ik
///        - install_cost [k not installed] + taste_sd_s x z_ik (z_ik ~ N(0, 1), lasting)
struct Utility {
    /// Base utility of each platform, per segment.
    segment_base: Vec<[f32; MAX_PLATFORMS]>,
    /// Traits that vary per agent, each with its signed feature per platform.
    per_agent: Vec<(TraitId, [f32; MAX_PLATFORMS])>,
    /// Whether peer influence is on.
    social: bool,
    /// Each segment's peer weight times the day's peer scale, unless it varies per agent.
    peer_weight: Option<Vec<f32>>,
}

impl Utility {
    fn new(params: &Params, pop: &Population, cond: &DayConditions) -> Utility {
        let k = params.platforms.len();
        let signed = |values: &[f32], sign: f32| {
            let mut f = [0f32; MAX_PLATFORMS];
            for (x, v) in f.iter_mut().zip(values) {
                *x = sign * v;
            }
            f
        };
        let features = [
            (TraitId::RiskSensitivity, signed(&cond.risk, -1.0)),
            (TraitId::Protest, signed(&cond.protest, 1.0)),
            (TraitId::OwnerAversion, signed(&cond.owned, -1.0)),
            (TraitId::LanguageSensitivity, signed(&cond.language, -1.0)),
            (TraitId::IncomeWeight, signed(&cond.income, 1.0)),
        ];
        let segment_base = (0..params.segments.len())
            .map(|seg| {
                let mut base = [0f32; MAX_PLATFORMS];
                for (j, b) in base.iter_mut().enumerate().take(k) {
                    *b = cond.appeal[j] + params.segments[seg].prefer[j] as f32;
                }
                for (id, f) in &features {
                    if let Some(w) = pop.get(*id).segment_value(seg) {
                        for j in 0..k {
                            base[j] += w * f[j];
                        }
                    }
                }
                base
            })
            .collect();
        let per_agent = features
            .into_iter()
            .filter(|(id, _)| pop.get(*id).segment_value(0).is_none())
            .collect();
        let peer = pop.get(TraitId::PeerWeight);
        let peer_weight = (0..params.segments.len())
            .map(|seg| peer.segment_value(seg).map(|w| w * cond.peer_scale))
            .collect();
        Utility {
            segment_base,
            per_agent,
            social: params.mechanisms.social_influence,
            peer_weight,
        }
    }
}

/// Everything one day's update reads.
struct DayContext<'a> {
    params: &'a Params,
    world: &'a World,
    cond: &'a DayConditions,
    utility: Utility,
    prev: &'a [u8],
    global: &'a [u64],
    /// Influence by exposure, when active: what every agent showed yesterday
    /// (`State::seen`), the counts of agents trying each platform, and each segment's exposure
    /// weight.
    seen: &'a [u16],
    trying: &'a [u64],
    exposure_weight: Option<Vec<f32>>,
    seed: u64,
    replicate: u32,
    /// The day of the random streams (the simulated day, or a burn-in day).
    stream_day: u64,
    k: usize,
    /// Platforms toward which the Bass hazard can be positive today.
    hazard_mask: u32,
    /// On a plain day, each segment's reconsidering threshold (see `plain_thresholds`).
    plain: Option<Vec<u32>>,
    install_cost: f32,
    /// Daily use, when on.
    opens: Option<Opens>,
    /// Heterogeneous tastes on (and some segment's spread above 0).
    tastes: bool,
    /// Each segment's spread of lasting tastes.
    taste_sd: Vec<f32>,
    taste_key: u64,
    /// The logit with the portable exponential (the re-specified model's scenarios).
    portable: bool,
    /// Segments whose main-app users are carried from day to day (`State::segment_users`),
    /// 0 when they are not needed.
    segments_n: usize,
    /// Trying, keeping, dropping, when on.
    trials: Option<TrialRule>,
    /// Open population: `threshold24` of each agent's daily chance of being replaced by a
    /// newcomer (0: closed).
    turnover: u32,
    /// Each segment's reconsidering threshold, if attention is the same within segments.
    attention: Option<Vec<u32>>,
    /// Segments counted per day (`[outputs] segments`), 0 when not counted.
    counted_segments: usize,
    /// `[outputs] cohort`: its platform, on the cohort's days (not in a burn-in).
    cohort: Option<usize>,
}

/// The rule of trials (`[mechanisms] trials`), prepared once per day.
///
/// An agent trying app t beside its main app m reviews the trial, on the a-th day after it
/// began, with probability review_rate x (1 - exp(-a / novelty_days)) (review_rate when
/// novelty_days = 0). At a review it keeps t as its new main app with the binary-logit
/// probability 1 / (1 + exp(u_m - u_t + switch_cost)) and otherwise drops it, uninstalling it
/// if the trial had installed it.
///
/// Probation (`[mechanisms] probation`): an agent whose main app changes from m to t while m
/// stays installed (a kept trial, or a choice forced by m's loss of service) and that is trying
/// nothing else puts m on probation, reviewed by the same clock and rule with the roles
/// reversed and its own cost: it goes back to m with probability
/// 1 / (1 + exp(u_t - u_m + return_cost)), and otherwise stays on t and keeps m installed.
struct TrialRule {
    /// `threshold24` of the review probability by days since the trial began (0 ..= 255).
    review: [u32; 256],
    switch_cost: f32,
    probation: bool,
    return_cost: f32,
}

impl TrialRule {
    fn new(review_rate: f64, novelty_days: f64, switch_cost: f64) -> TrialRule {
        let mut review = [0u32; 256];
        for (a, r) in review.iter_mut().enumerate().skip(1) {
            let worn = if novelty_days > 0.0 {
                1.0 - (-(a as f64) / novelty_days).exp()
            } else {
                1.0
            };
            *r = threshold24((review_rate * worn) as f32);
        }
        TrialRule {
            review,
            switch_cost: switch_cost as f32,
            probation: false,
            return_cost: 0.0,
        }
    }
}

/// Daily use prepared for one day: what each main-app agent adds to its app's daily users.
enum Opens {
    /// Daily opens the same within each segment: units per segment and platform, and, with
    /// trial displacement, the units a trier's main app loses (per segment and platform).
    BySegment {
        units: Vec<[u32; MAX_PLATFORMS]>,
        displaced: Vec<[u32; MAX_PLATFORMS]>,
    },
    /// Daily opens per agent: each platform's share of the day in service, and the share of
    /// a trier's opening rate its main app keeps (1 - `trial_displacement`).
    PerAgent {
        service: [f32; MAX_PLATFORMS],
        keep: f32,
    },
}

impl Opens {
    /// The units agent i adds to platform p's daily users when it uses p that day.
    #[inline(always)]
    fn units(&self, pop: &Population, i: usize, p: usize) -> u32 {
        match self {
            Opens::BySegment { units, .. } => units[pop.segment_of(i)][p],
            Opens::PerAgent { service, .. } => {
                let rate = pop.get(TraitId::DailyOpens).get(i, pop.segment_of(i));
                open_units(rate, service[p])
            }
        }
    }

    /// Trial displacement: the units agent i's main app p loses while i tries another app
    /// (its opening rate there falls from λ_i to λ_i (1 - d)); 0 without displacement.
    #[inline(always)]
    fn displaced(&self, pop: &Population, i: usize, p: usize) -> u32 {
        match self {
            Opens::BySegment { displaced, .. } => {
                displaced.get(pop.segment_of(i)).map_or(0, |lost| lost[p])
            }
            Opens::PerAgent { keep, .. } if *keep >= 1.0 => 0,
            Opens::PerAgent { service, keep } => {
                let rate = pop.get(TraitId::DailyOpens).get(i, pop.segment_of(i));
                open_units(rate, service[p]) - open_units(rate * keep, service[p])
            }
        }
    }

    fn new(params: &Params, pop: &Population, cond: &DayConditions) -> Option<Opens> {
        if !params.mechanisms.daily_use {
            return None;
        }
        let k = params.platforms.len();
        let mut service = [0f32; MAX_PLATFORMS];
        for (j, s) in service.iter_mut().enumerate().take(k) {
            *s = (1.0 - cond.outage[j]).clamp(0.0, 1.0);
        }
        let m = &params.mechanisms;
        let keep = if m.trials {
            1.0 - m.trial_displacement as f32
        } else {
            1.0
        };
        let rate = pop.get(TraitId::DailyOpens);
        if rate.segment_value(0).is_none() {
            return Some(Opens::PerAgent { service, keep });
        }
        // Per segment and platform: units(rate) for every agent, and for a trier the units its
        // main app loses, units(rate) - units(rate x keep) (empty without displacement).
        let table = |units: &dyn Fn(f32, f32) -> u32| -> Vec<[u32; MAX_PLATFORMS]> {
            (0..params.segments.len())
                .map(|seg| {
                    let r = rate.segment_value(seg).unwrap_or(0.0);
                    let mut row = [0u32; MAX_PLATFORMS];
                    for (u, &s) in row.iter_mut().zip(&service).take(k) {
                        *u = units(r, s);
                    }
                    row
                })
                .collect()
        };
        let units = table(&open_units);
        let displaced = if keep < 1.0 {
            table(&|r, s| open_units(r, s) - open_units(r * keep, s))
        } else {
            Vec::new()
        };
        Some(Opens::BySegment { units, displaced })
    }
}

/// The high byte of `State::seen` of an agent trying nothing.
const NOT_TRYING: u8 = u8::MAX;

/// Influence by exposure plays a part: trials on, the switch on and some segment's weight
/// above 0.
pub(crate) fn exposure_active(params: &Params) -> bool {
    let m = &params.mechanisms;
    m.trials && m.exposure && params.segments.iter().any(|s| s.exposure_weight > 0.0)
}

/// Writes to `out` the shares of `contacts` trying each of the `k` platforms (`seen`).
#[inline(always)]
fn contact_exposure(contacts: &[u32], seen: &[u16], k: usize, out: &mut [f32; MAX_PLATFORMS]) {
    let mut counts = [0u32; MAX_PLATFORMS];
    for &j in contacts {
        let s = (seen[j as usize] >> 8) as u8;
        if s != NOT_TRYING {
            counts[usize::from(s)] += 1;
        }
    }
    let inv = 1.0 / contacts.len() as f32;
    for (x, &c) in out.iter_mut().zip(&counts).take(k) {
        *x = c as f32 * inv;
    }
}

impl DayContext<'_> {
    /// Shares of agent `i`'s contacts trying each platform yesterday (the whole population's,
    /// itself excluded, in a mixed population).
    #[inline(always)]
    fn exposure(&self, i: usize, out: &mut [f32; MAX_PLATFORMS]) {
        match &self.world.network {
            Network::Mixed { agents } => {
                let others = (*agents - 1) as f32;
                let own = (self.seen[i] >> 8) as u8;
                for (k, x) in out.iter_mut().enumerate().take(self.k) {
                    let on_k = self.trying[k] - u64::from(usize::from(own) == k);
                    *x = on_k as f32 / others;
                }
            }
            Network::Regular { .. } => {
                contact_exposure(self.world.network.contacts(i), self.seen, self.k, out);
            }
        }
    }

    /// Shares of agent `i`'s contacts on each platform yesterday.
    #[inline(always)]
    fn shares(&self, i: usize, cur: usize, out: &mut [f32; MAX_PLATFORMS]) {
        match &self.world.network {
            Network::Mixed { agents } => {
                let others = (*agents - 1) as f32;
                for (k, s) in out.iter_mut().enumerate().take(self.k) {
                    let on_k = self.global[k] - u64::from(k == cur);
                    *s = on_k as f32 / others;
                }
            }
            Network::Regular { .. } if self.seen.is_empty() => {
                contact_shares(self.world.network.contacts(i), self.prev, self.k, out);
            }
            // The same main apps, read from the snapshot the exposure reads too.
            Network::Regular { .. } => {
                contact_shares(self.world.network.contacts(i), self.seen, self.k, out);
            }
        }
    }

    /// `shares` and `exposure` at once: with a network and at most 8 platforms, one pass over
    /// the contacts' snapshot (`State::seen`) counts both, in 16-bit lanes as `contact_shares`
    /// does; the same values as the two apart.
    #[inline(always)]
    fn shares_and_exposure(
        &self,
        i: usize,
        cur: usize,
        shares: &mut [f32; MAX_PLATFORMS],
        seen: &mut [f32; MAX_PLATFORMS],
    ) {
        match &self.world.network {
            Network::Regular { .. } if self.k <= 8 => {
                let contacts = self.world.network.contacts(i);
                if contacts.len() < 256 {
                    snapshot_counts::<u64>(contacts, self.seen, self.k, shares, seen);
                } else {
                    snapshot_counts::<u128>(contacts, self.seen, self.k, shares, seen);
                }
            }
            _ => {
                self.exposure(i, seen);
                self.shares(i, cur, shares);
            }
        }
    }

    /// Updates the agents of chunk `c`: writes their platforms to `out`, updates their installed
    /// sets in place, and adds their counts to `tally`.
    ///
    /// Two passes. The first visits every agent in order, draws its random numbers and settles
    /// those whose choice does not depend on their contacts (most agents, most days: they keep
    /// their platform). Agents that must look at their contacts are queued with their draws.
    /// The second pass makes their choices while prefetching the contact lists and the contacts'
    /// platforms of agents further down the queue, so the random reads from memory overlap
    /// instead of waiting on each other. Each agent's draws come from its own stream in the same
    /// order either way, so the result does not depend on the split into passes.
    fn step_chunk(
        &self,
        c: usize,
        out: &mut [u8],
        installed: &mut [u32],
        trials: &mut [Trial],
        acc: &mut ChunkWork,
    ) {
        let key = day_key(self.seed, self.replicate, self.stream_day);
        let first = c * CHUNK;
        let prev = &self.prev[first..first + out.len()];
        let ChunkWork {
            tally,
            queue,
            draws,
            seconds,
            segment_counts,
        } = acc;
        queue.clear();
        let any_outage = self.cond.outage.iter().any(|&s| s > 0.0);
        if let Some(thresholds) = self.plain.as_deref() {
            self.plain_first_pass(key, first, prev, out, thresholds, queue, draws);
        } else {
            let firsts = &mut draws[..out.len()];
            let seconds = &mut seconds[..out.len()];
            rng::leading_draws(key, first as u64, firsts, seconds);
            let leads = (&*firsts, &*seconds);
            self.first_pass(
                key, first, prev, out, installed, trials, any_outage, leads, queue,
            );
        }
        self.second_pass(first, prev, out, installed, trials, tally, queue);
        count_platforms(out, &mut tally.active);
        // (Main-app users per segment are carried from day to day, by the second pass's
        // `segment_moves`.)
        if let Some(classes) = self.world.audience.get(first..first + out.len()) {
            let counts = count_pairs(classes, out, self.k, AUDIENCE_CLASSES, segment_counts);
            add_counts(&mut tally.by_class, counts);
        }
        if let Some(opens @ Opens::PerAgent { .. }) = &self.opens {
            self.count_opens(first, out, opens, &mut tally.opened);
        }
        if !trials.is_empty() {
            // The first draws are no longer needed: their buffer lists the triers.
            self.count_trials(first, out, installed, trials, tally, draws);
        }
    }

    /// Adds the day's main-app users per segment and platform (`a`, at `segment * k +
    /// platform`) to the tally: per segment (`[outputs] segments`), and as the day's opening
    /// of main apps with daily opens the same within each segment (`Opens::BySegment`).
    fn add_segment_counts(&self, a: &[u64], tally: &mut DayTally) {
        let k = self.k;
        if self.counted_segments > 0 {
            for (total, &c) in tally.by_segment.iter_mut().zip(a) {
                *total += c;
            }
        }
        if let Some(Opens::BySegment { units, .. }) = &self.opens {
            for (row, units) in a.chunks(k).zip(units) {
                for (p, (&c, &u)) in row.iter().zip(units).enumerate() {
                    tally.opened[p] += c * u64::from(u);
                }
            }
        }
    }

    /// Trials: counts the agents trying each platform (per audience class and segment too), the
    /// followed cohort, and,
    /// with daily use, their opening of it: for sure on the trial's first day
    /// (`first_day_use`), else at their own rate; and, with trial displacement, takes from
    /// their main app's opening what the trial displaced (`out`: the main apps, already
    /// counted).
    #[inline(never)]
    fn count_trials(
        &self,
        first: usize,
        out: &[u8],
        installed: &[u32],
        trials: &[Trial],
        tally: &mut DayTally,
        list: &mut [u32],
    ) {
        let pop = &self.world.population;
        let first_day = self.params.mechanisms.first_day_use;
        // Who is trying an app (a former main app on probation is a second app, counted as
        // such), listed without a branch per agent, as whether an agent is trying is a coin
        // toss the processor cannot predict; and the members of `[outputs] cohort` (flagged,
        // whatever they try now) and those of them with its platform installed.
        let cohort = self.params.outputs.cohort.map(|h| h.platform);
        let (mut members, mut keeping, mut n) = (0u64, 0u64, 0);
        for (j, (t, &inst)) in trials.iter().zip(installed).enumerate() {
            list[n] = j as u32;
            n += usize::from(t.trying().is_some());
            if let Some(c) = cohort {
                let m = u64::from(t.cohort);
                members += m;
                keeping += m & u64::from(inst >> c & 1);
            }
        }
        tally.cohort_members += members;
        tally.cohort_keeping += keeping;
        for &j in &list[..n] {
            let j = j as usize;
            let t = trials[j];
            let Some(p) = t.trying() else { continue };
            let main = out[j];
            tally.trying[p] += 1;
            if let Some(&c) = self.world.audience.get(first + j) {
                tally.trying_by_class[usize::from(c) * self.k + p] += 1;
            }
            if let Some(opens) = &self.opens {
                tally.trial_opened[p] += if first_day && t.age == 0 {
                    OPEN_UNIT as u64
                } else {
                    u64::from(opens.units(pop, first + j, p))
                };
                let main = usize::from(main);
                tally.opened[main] -= u64::from(opens.displaced(pop, first + j, main));
            }
            if self.counted_segments > 0 {
                tally.trying_by_segment[pop.segment_of(first + j) * self.k + p] += 1;
            }
        }
    }

    /// Daily use with opens per agent: adds each agent's expected opening of its main app (in
    /// `OPEN_UNIT`s) to `opened`.
    #[inline(never)]
    fn count_opens(&self, first: usize, out: &[u8], opens: &Opens, opened: &mut [u64]) {
        let pop = &self.world.population;
        for (j, &p) in out.iter().enumerate() {
            let p = usize::from(p);
            opened[p] += u64::from(opens.units(pop, first + j, p));
        }
    }

    /// The first pass on a plain day (see `plain_thresholds`): every agent can use exactly the
    /// platforms in service, so its installed set is not read; it reconsiders if its draw falls
    /// below its segment's threshold. Same draws and outcomes as `first_pass`.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn plain_first_pass(
        &self,
        key: u64,
        first: usize,
        prev: &[u8],
        out: &mut [u8],
        thresholds: &[u32],
        queue: &mut Vec<Pending>,
        draws: &mut [u32],
    ) {
        let up = self.cond.up;
        let segment = &self.world.population.segment;
        // Every agent's first draw, hashed for the whole chunk at once (vectorised where the
        // processor allows); later draws, for the few that need them, from their streams.
        let first_draw = &mut draws[..out.len()];
        rng::first_draws(key, first as u64, first_draw);
        for (j, ((slot, &cur), &m)) in out.iter_mut().zip(prev).zip(first_draw.iter()).enumerate() {
            *slot = cur;
            let i = first + j;
            let j = j as u32;
            if up & (1 << cur) == 0 {
                // Forced: its platform is out of service today; its first draw chooses.
                if up != 0 {
                    queue.push(Pending::new(Choice::Logit, j, up, rng::unit_f32(m)));
                }
                continue;
            }
            let seg = if segment.is_empty() {
                0
            } else {
                usize::from(segment[i])
            };
            // `first draw < attention`, in integers: the f32 draw is (m >> 8) / 2^24.
            if m >> 8 < thresholds[seg] {
                let mut rng = agent_stream(key, i as u64);
                rng.next_u32();
                queue.push(Pending::new(Choice::Logit, j, up, rng.random()));
            }
        }
    }

    /// The first pass on any day: settles the agents whose choice does not depend on their
    /// contacts and queues the others with their draws.
    ///
    /// On days without a partial outage, with the logit rule and attention the same within
    /// each segment, a screening loop first settles the agents that do nothing today (not
    /// leaving, main app usable, trying nothing, not reconsidering: most agents on most days)
    /// from their leading draws alone, without building their streams; the others go through
    /// `first_pass_agent` in order, as every agent does on other days. The tests that decide
    /// are those `first_pass_agent` makes, on the same draws, so the result is the same.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn first_pass(
        &self,
        key: u64,
        first: usize,
        prev: &[u8],
        out: &mut [u8],
        installed: &[u32],
        trials: &mut [Trial],
        any_outage: bool,
        (firsts, seconds): (&[u32], &[u32]),
        queue: &mut Vec<Pending>,
    ) {
        let n = out.len();
        let screen = match (&self.attention, self.params.rule) {
            (Some(thresholds), RuleKind::Logit) if !any_outage => Some(thresholds),
            _ => None,
        };
        // The full step of agent j.
        let step = |j: usize, out: &mut [u8], trials: &mut [Trial], queue: &mut Vec<Pending>| {
            let leads = (firsts[j], seconds[j]);
            let (slot, trial) = (&mut out[j], trials.get_mut(j));
            let inst = installed[j];
            self.first_pass_agent(
                key, first, j, prev, slot, inst, trial, leads, any_outage, queue,
            );
        };
        let Some(thresholds) = screen else {
            for j in 0..n {
                step(j, out, trials, queue);
            }
            return;
        };
        // Settled agents keep their main app; the others overwrite theirs below.
        out.copy_from_slice(prev);
        let (up, in_store) = (self.cond.up, self.cond.in_store);
        let turnover = self.turnover;
        // The draw that decides reconsidering: the first, or the second after turnover's.
        let decides = if turnover > 0 { seconds } else { firsts };
        let segment = self.world.population.segment.get(first..first + n);
        for j in 0..n {
            let cur = u32::from(prev[j]);
            let leaves = turnover > 0 && firsts[j] >> 8 < turnover;
            let usable = up & (installed[j] | in_store);
            if leaves | (usable >> cur & 1 == 0) {
                step(j, out, trials, queue);
                continue;
            }
            // Trying an app: one day older, and reviewed if its draw (the one that would
            // decide reconsidering) says so, as in `first_pass_agent`.
            if let (Some(rule), Some(t)) = (&self.trials, trials.get_mut(j))
                && let Some(app) = t.platform()
            {
                let app_usable = usable >> app & 1 != 0;
                let age = t.age.saturating_add(1);
                let reviewed = app_usable && decides[j] >> 8 < rule.review[usize::from(age)];
                if reviewed || (t.probation() && !app_usable) {
                    step(j, out, trials, queue);
                } else {
                    t.age = age;
                }
                continue;
            }
            let seg = segment.map_or(0, |s| usize::from(s[j]));
            if decides[j] >> 8 < thresholds[seg] {
                step(j, out, trials, queue);
            }
        }
    }

    /// One agent of the first pass (agent `first + j`, its leading draws `d1`, `d2`): settles
    /// it in `slot` or queues it with its draws.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn first_pass_agent(
        &self,
        key: u64,
        first: usize,
        j: usize,
        prev: &[u8],
        slot: &mut u8,
        inst: u32,
        trial: Option<&mut Trial>,
        (d1, d2): (u32, u32),
        any_outage: bool,
        queue: &mut Vec<Pending>,
    ) {
        let cond = self.cond;
        let pop = &self.world.population;
        let attention = pop.get(TraitId::Attention);
        let inst = &inst;
        let i = first + j;
        // Each agent's own stream for the day (common random numbers across scenarios),
        // its first two numbers computed for the whole chunk at once.
        let mut rng = rng::LedStream::new(key, i as u64, d1, d2);
        let cur = prev[j] as usize;
        let usable = cond.usable(*inst);
        // Trials (`trials` is empty when they are off): the app it is trying and the
        // trial's age, one day older.
        let trying = trial.and_then(|t| {
            let app = t.platform()?;
            t.age = t.age.saturating_add(1);
            Some((app, t.age, t.probation()))
        });
        let j = j as u32;
        // Open population: it leaves and a newcomer takes its place, installing from the
        // stores (only if some app can be installed today).
        if self.turnover > 0 && rng.next24() < self.turnover {
            let stores = cond.up & cond.in_store;
            if stores != 0 {
                queue.push(Pending::new(Choice::Join, j, stores, rng.unit_f32()));
                *slot = cur as u8;
                return;
            }
        }
        // A partial outage: an agent that hits it uses another app it has, chosen by the
        // logit rule, for the rest of the day, and keeps its main app.
        if any_outage
            && usable & (1 << cur) != 0
            && cond.outage[cur] > 0.0
            && rng.unit_f32() < cond.outage[cur]
        {
            let others = usable & *inst & !(1 << cur);
            if others != 0 {
                queue.push(Pending::new(Choice::StandIn, j, others, rng.unit_f32()));
            }
            *slot = cur as u8;
            return;
        }
        if usable & (1 << cur) == 0 {
            // Forced: its platform is unusable today.
            if usable == 0 {
                *slot = cur as u8;
            } else {
                queue.push(Pending::new(Choice::Logit, j, usable, rng.unit_f32()));
            }
            return;
        }
        if let (Some(rule), Some((app, age, probation))) = (&self.trials, trying)
            // A former main app on probation that cannot be used (a ban in force) is not
            // reviewed and does not stop the agent reconsidering.
            && (!probation || usable & (1 << app) != 0)
        {
            // Trying an app: no reconsidering; a review, if its app can be used today.
            *slot = cur as u8;
            if usable & (1 << app) != 0 && rng.next24() < rule.review[usize::from(age)] {
                let both = (1 << cur) | (1 << app);
                queue.push(Pending::new(Choice::Review, j, both, rng.unit_f32()));
            }
            return;
        }
        let seg = pop.segment_of(i);
        let queued = match self.params.rule {
            RuleKind::Logit => {
                let reconsiders = match &self.attention {
                    Some(thresholds) => rng.next24() < thresholds[seg],
                    None => {
                        let a = (attention.get(i, seg) * cond.attention_scale).min(1.0);
                        rng.unit_f32() < a
                    }
                };
                reconsiders.then(|| Pending::new(Choice::Logit, j, usable, rng.unit_f32()))
            }
            RuleKind::Bass => {
                let targets = usable & self.hazard_mask & !(1 << cur);
                (targets != 0).then(|| Pending::new(Choice::Bass, j, targets, rng.unit_f32()))
            }
        };
        // Written now even if queued (overwritten then): `out` holds every agent's platform
        // at the end, which the chunk's counts are taken from.
        *slot = cur as u8;
        if let Some(p) = queued {
            queue.push(p);
        }
    }

    /// The second pass: the queued agents choose, reading their contacts (prefetched ahead).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn second_pass(
        &self,
        first: usize,
        prev: &[u8],
        out: &mut [u8],
        installed: &mut [u32],
        trials: &mut [Trial],
        tally: &mut DayTally,
        queue: &[Pending],
    ) {
        let cond = self.cond;
        let pop = &self.world.population;
        let attention = pop.get(TraitId::Attention);
        let network = &self.world.network;
        let regular = matches!(network, Network::Regular { .. });
        let mut shares = [0f32; MAX_PLATFORMS];
        for q in 0..queue.len() {
            if regular {
                // Ask early for what agents further down the queue will read: first their
                // contact lists, then (once a list has arrived) their contacts' platforms.
                if let Some(p) = queue.get(q + PREFETCH_ROWS) {
                    let i = first + p.agent as usize;
                    let row = network.contacts(i);
                    prefetch(row.as_ptr());
                    prefetch(&raw const row[row.len() - 1]);
                    // Its own traits that vary agent by agent (sparse reads: most agents of
                    // the chunk are not queued).
                    if let Some(s) = pop.segment.get(i) {
                        prefetch(s);
                    }
                    for (id, _) in &self.utility.per_agent {
                        if let Trait::PerAgent(v) = pop.get(*id) {
                            prefetch(&raw const v[i]);
                        }
                    }
                }
                if let Some(p) = queue.get(q + PREFETCH_PLATFORMS) {
                    for &t in network.contacts(first + p.agent as usize) {
                        if self.seen.is_empty() {
                            prefetch(&raw const self.prev[t as usize]);
                        } else {
                            prefetch(&raw const self.seen[t as usize]);
                        }
                    }
                }
            }
            let p = queue[q];
            let j = p.agent as usize;
            let i = first + j;
            let cur = prev[j] as usize;
            let inst = &mut installed[j];
            let seg = pop.segment_of(i);
            let have = *inst;
            // The logit choice among the queued options, with a handicap (a trial's switch cost).
            let mut choose = |handicap| {
                self.logit_choice(i, seg, cur, p.options, have, &mut shares, p.u, handicap)
            };
            // Whether a change of main app today may put the former one on probation (not when
            // the change is itself a return from probation).
            let mut may_return = self.trials.as_ref().is_some_and(|r| r.probation);
            let chosen = match p.choice {
                Choice::Logit => {
                    let k2 = choose(NO_HANDICAP);
                    if let Some(t) = trials.get_mut(j) {
                        if k2 != cur && p.options & (1 << cur) != 0 {
                            // Trials: it reconsidered and picked another app, so it tries that
                            // app beside its main one, installing it if it must.
                            let fresh = *inst & (1 << k2) == 0;
                            if fresh {
                                *inst |= 1 << k2;
                                tally.installs[k2] += 1;
                            }
                            t.begin(k2, fresh);
                            tally.trial_starts[k2] += 1;
                            self.note_tried(t, k2, tally);
                            continue;
                        }
                        if t.platform() == Some(k2) {
                            // Forced off its main app onto the app it was trying: kept.
                            t.end();
                        }
                    }
                    k2
                }
                Choice::StandIn => {
                    let k2 = choose(NO_HANDICAP);
                    // Those already trying the stand-in app count among its triers.
                    if trials.get(j).and_then(|t| t.trying()) != Some(k2) {
                        tally.stand_in[k2] += 1;
                    }
                    continue;
                }
                Choice::Join => {
                    let main =
                        self.join(i, seg, cur, p, inst, trials.get_mut(j), &mut shares, tally);
                    out[j] = main as u8;
                    if main != cur {
                        self.note_move(seg, cur, main, tally);
                    }
                    continue;
                }
                Choice::Review => {
                    // Queued only for agents trying an app, with trials on.
                    let t = &mut trials[j];
                    let app = t.platform().unwrap_or(cur);
                    let probation = t.probation();
                    let cost = self.trials.as_ref().map_or(0.0, |r| {
                        if probation {
                            r.return_cost
                        } else {
                            r.switch_cost
                        }
                    });
                    let k2 = choose((app, cost));
                    let kept = t.installed_it();
                    t.end();
                    if probation {
                        // Back to its former main app, or settled on the new one (the former
                        // stays installed).
                        if k2 != app {
                            continue;
                        }
                        may_return = false;
                    } else if k2 != app {
                        // Dropped, and uninstalled if the trial had installed it.
                        tally.drops[app] += 1;
                        if kept {
                            *inst &= !(1 << app);
                            tally.uninstalls[app] += 1;
                        }
                        continue;
                    }
                    // Kept: its new main app.
                    app
                }
                Choice::Bass => {
                    let attention = (attention.get(i, seg) * cond.attention_scale).min(1.0);
                    self.shares(i, cur, &mut shares);
                    bass::choose(
                        &cond.innovation,
                        &cond.imitation,
                        p.options,
                        &shares,
                        attention,
                        p.u,
                    )
                    .unwrap_or(cur)
                }
            };
            out[j] = chosen as u8;
            if chosen != cur {
                tally.flows[cur * self.k + chosen] += 1;
                self.note_move(seg, cur, chosen, tally);
                if *inst & (1 << chosen) == 0 {
                    *inst |= 1 << chosen;
                    tally.installs[chosen] += 1;
                    if let Some(t) = trials.get_mut(j) {
                        self.note_tried(t, chosen, tally);
                    }
                }
                if may_return
                    && *inst & (1 << cur) != 0
                    && let Some(t) = trials.get_mut(j).filter(|t| t.platform().is_none())
                {
                    t.begin_probation(cur);
                }
            }
        }
    }

    /// Records that an agent of segment `seg` changed main app from `from` to `to`, when
    /// main-app users per segment are carried.
    #[inline(always)]
    fn note_move(&self, seg: usize, from: usize, to: usize, tally: &mut DayTally) {
        if self.segments_n > 0 {
            tally.segment_moves[seg * self.k + from] -= 1;
            tally.segment_moves[seg * self.k + to] += 1;
        }
    }

    /// Records that an agent tried or installed `q`: a first try the first time in the run,
    /// which puts it in the followed cohort if `q` is the cohort's platform and today one of
    /// its days.
    #[inline(always)]
    fn note_tried(&self, t: &mut Trial, q: usize, tally: &mut DayTally) {
        if t.note_tried(q) {
            tally.first_tries[q] += 1;
            if self.cohort == Some(q) {
                t.cohort = true;
            }
        }
    }

    /// Open population: agent i (main app `cur`) leaves, uninstalling everything, and a
    /// newcomer takes its place: it picks a main app among `p.options` (the apps up and in the
    /// stores) by the logit rule, and installs it and, with the
    /// segment's `also_installed` probabilities, other apps in the stores. Returns the main app.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn join(
        &self,
        i: usize,
        seg: usize,
        cur: usize,
        p: Pending,
        inst: &mut u32,
        trial: Option<&mut Trial>,
        shares: &mut [f32; MAX_PLATFORMS],
        tally: &mut DayTally,
    ) -> usize {
        tally.leaves[cur] += 1;
        for q in platforms_in(*inst) {
            tally.uninstalls[q] += 1;
        }
        // The newcomer stands in the place of the one who left, with its traits, tastes and the
        // habit of its main app (the same person on a new phone, or back after a lapse).
        let main = self.logit_choice(i, seg, cur, p.options, 0, shares, p.u, NO_HANDICAP);
        let mut mask = 1u32 << main;
        let key = day_key(self.seed, self.replicate, self.stream_day);
        let mut rng = rng::newcomer_stream(key, i as u64);
        for (q, &share) in self.params.segments[seg].also_installed.iter().enumerate() {
            if share > 0.0 && p.options & (1 << q) != 0 && rng.random::<f64>() < share {
                mask |= 1 << q;
            }
        }
        *inst = mask;
        tally.joins[main] += 1;
        let mut trial = trial;
        if let Some(t) = trial.as_deref_mut() {
            *t = Trial::IDLE;
        }
        tally.newcomer_installs += u64::from(mask.count_ones());
        for q in platforms_in(mask) {
            tally.installs[q] += 1;
            if let Some(t) = trial.as_deref_mut() {
                self.note_tried(t, q, tally);
            }
        }
        main
    }

    /// The logit choice of agent i (of segment `seg`, main app `cur`) among `options`, given
    /// its installed set and uniform draw `u`; `handicap` = (platform, utility) takes that
    /// utility from that platform (a trial's switch cost; `NO_HANDICAP` for none).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn logit_choice(
        &self,
        i: usize,
        seg: usize,
        cur: usize,
        options: u32,
        installed: u32,
        shares: &mut [f32; MAX_PLATFORMS],
        u: f32,
        handicap: (usize, f32),
    ) -> usize {
        let pop = &self.world.population;
        let k = self.k;
        let mut base = self.utility.segment_base[seg];
        for (id, f) in &self.utility.per_agent {
            let w = pop.get(*id).get(i, seg);
            for j in 0..k {
                base[j] += w * f[j];
            }
        }
        base[cur] += self.cond.stickiness[cur];
        // Heterogeneous tastes: the agent's own lasting taste for each platform it weighs.
        if self.tastes {
            let sd = self.taste_sd[seg];
            if sd > 0.0 {
                rng::add_tastes(self.taste_key, i as u64, options, sd, &mut base);
            }
        }
        if handicap.1 != 0.0 {
            base[handicap.0] -= handicap.1;
        }
        // Influence by exposure: what its contacts were trying yesterday (read with their main
        // apps, for the peer influence below, when both play a part).
        let exposure = self.exposure_weight.as_ref().map_or(0.0, |w| w[seg]);
        let social = self.utility.social;
        if exposure > 0.0 {
            let mut seen = [0f32; MAX_PLATFORMS];
            if social {
                self.shares_and_exposure(i, cur, shares, &mut seen);
            } else {
                self.exposure(i, &mut seen);
            }
            for j in platforms_in(options) {
                base[j] += exposure * seen[j];
            }
        } else if social {
            self.shares(i, cur, shares);
        }
        // (Subtracting a zero cost would change no utility.)
        if self.install_cost != 0.0 {
            for j in platforms_in(options & !installed) {
                base[j] -= self.install_cost;
            }
        }
        let b = if social {
            match &self.utility.peer_weight {
                Some(by_segment) => by_segment[seg],
                None => pop.get(TraitId::PeerWeight).get(i, seg) * self.cond.peer_scale,
            }
        } else {
            0.0
        };
        if self.portable {
            logit::choose_with::<true>(&base, options, shares, b, u)
        } else {
            logit::choose(&base, options, shares, b, u)
        }
    }
}

/// On a plain day — logit rule, no partial outage, every platform in service also in the app
/// stores (so what an agent can use does not depend on what it has installed) and attention the
/// same within each segment — each segment's threshold t such that an agent reconsiders when
/// its 24-bit draw m (its uniform draw is m / 2^24) is below t: m / 2^24 < a exactly when
/// m < ceil(a 2^24). `None` on other days.
fn plain_thresholds(params: &Params, pop: &Population, cond: &DayConditions) -> Option<Vec<u32>> {
    let plain = params.rule == RuleKind::Logit
        && cond.outage.iter().all(|&s| s <= 0.0)
        && cond.up & !cond.in_store == 0;
    plain
        .then(|| attention_thresholds(params, pop, cond))
        .flatten()
}

/// Each segment's reconsidering threshold (`threshold24` of its attention times the day's
/// scale, capped at 1), if attention is the same within each segment.
fn attention_thresholds(
    params: &Params,
    pop: &Population,
    cond: &DayConditions,
) -> Option<Vec<u32>> {
    let attention = pop.get(TraitId::Attention);
    (0..params.segments.len())
        .map(|seg| {
            let a = attention.segment_value(seg)?;
            Some(threshold24((a * cond.attention_scale).min(1.0)))
        })
        .collect()
}

/// The threshold t such that a uniform draw m / 2^24 made from a 24-bit draw m (as
/// `LedStream::unit_f32` makes it) is below `p` exactly when m < t: m / 2^24 < p exactly when
/// m < ceil(p 2^24) (0 for p <= 0, 2^24 for p >= 1, so that every draw is below it).
fn threshold24(p: f32) -> u32 {
    (f64::from(p) * f64::from(1u32 << 24))
        .ceil()
        .clamp(0.0, f64::from(1u32 << 24)) as u32
}

/// Counters in equal lanes of one register, one lane per platform (at most 8): a `u64` of 8-bit
/// lanes for fewer than 256 contacts (one shift and add each), else a `u128` of 16-bit lanes
/// (degree <= 1000 < 2^16). No chain of increments through memory when most contacts share a
/// platform.
trait Lanes: Copy {
    const ZERO: Self;
    /// Adds 1 to lane `p` if `one`.
    fn add(self, p: u32, one: bool) -> Self;
    /// The count in lane `p`.
    fn lane(self, p: usize) -> u16;
}

impl Lanes for u64 {
    const ZERO: u64 = 0;
    #[inline(always)]
    fn add(self, p: u32, one: bool) -> u64 {
        self + (u64::from(one) << (8 * p))
    }
    #[inline(always)]
    fn lane(self, p: usize) -> u16 {
        u16::from((self >> (8 * p)) as u8)
    }
}

impl Lanes for u128 {
    const ZERO: u128 = 0;
    #[inline(always)]
    fn add(self, p: u32, one: bool) -> u128 {
        self + (u128::from(one) << (16 * p))
    }
    #[inline(always)]
    fn lane(self, p: usize) -> u16 {
        (self >> (16 * p)) as u16
    }
}

/// The shares of `contacts` with each main app and trying each app, from their snapshot
/// (`State::seen`), counted in one pass in lanes `L` (at most 8 platforms).
#[inline(always)]
fn snapshot_counts<L: Lanes>(
    contacts: &[u32],
    snapshot: &[u16],
    k: usize,
    shares: &mut [f32; MAX_PLATFORMS],
    trying_shares: &mut [f32; MAX_PLATFORMS],
) {
    let (mut main, mut trying) = (L::ZERO, L::ZERO);
    for &j in contacts {
        let s = snapshot[j as usize];
        main = main.add(u32::from(s & 0xff), true);
        let t = (s >> 8) as u8;
        trying = trying.add(u32::from(t & 7), t != NOT_TRYING);
    }
    let inv = 1.0 / contacts.len() as f32;
    for p in 0..k {
        shares[p] = f32::from(main.lane(p)) * inv;
        trying_shares[p] = f32::from(trying.lane(p)) * inv;
    }
}

/// Writes to `out` the shares of `contacts` on each of the `k` platforms in `prev` (their
/// platforms, or `State::seen`, whose low byte is the platform).
#[inline(always)]
fn contact_shares<T: Copy + Into<u16>>(
    contacts: &[u32],
    prev: &[T],
    k: usize,
    out: &mut [f32; MAX_PLATFORMS],
) {
    let platform = |j: u32| u32::from(prev[j as usize].into() & 0xff);
    let inv = 1.0 / contacts.len() as f32;
    if k <= 8 {
        fn shares_in<L: Lanes>(
            contacts: &[u32],
            platform: impl Fn(u32) -> u32,
            k: usize,
            out: &mut [f32; MAX_PLATFORMS],
        ) {
            let packed = contacts
                .iter()
                .fold(L::ZERO, |packed, &j| packed.add(platform(j), true));
            let inv = 1.0 / contacts.len() as f32;
            for (p, s) in out.iter_mut().enumerate().take(k) {
                *s = f32::from(packed.lane(p)) * inv;
            }
        }
        if contacts.len() < 256 {
            shares_in::<u64>(contacts, platform, k, out);
        } else {
            shares_in::<u128>(contacts, platform, k, out);
        }
    } else {
        let mut counts = [0u32; MAX_PLATFORMS];
        for &j in contacts {
            counts[platform(j) as usize] += 1;
        }
        for (s, &c) in out.iter_mut().zip(&counts).take(k) {
            *s = c as f32 * inv;
        }
    }
}

/// The number of agents with each pair (`groups[j]`, `platforms[j]`), at `group * k +
/// platform` of the returned slice (`groups` group indices below `groups_n`), counted in
/// `scratch`. Four interleaved sets of counters, so that runs of agents in the same cell (most
/// agents share a group and a platform) do not wait on each other's increments.
fn count_pairs<'s>(
    groups: &[u8],
    platforms: &[u8],
    k: usize,
    groups_n: usize,
    scratch: &'s mut Vec<u32>,
) -> &'s [u32] {
    let cells = groups_n * k;
    scratch.clear();
    scratch.resize(4 * cells, 0);
    for (j, (&g, &p)) in groups.iter().zip(platforms).enumerate() {
        scratch[(j & 3) * cells + usize::from(g) * k + usize::from(p)] += 1;
    }
    let (a, rest) = scratch.split_at_mut(cells);
    for part in rest.chunks(cells) {
        a.iter_mut().zip(part).for_each(|(x, y)| *x += y);
    }
    a
}

/// Adds chunk counts to day totals.
fn add_counts(totals: &mut [u64], counts: &[u32]) {
    for (total, &c) in totals.iter_mut().zip(counts) {
        *total += u64::from(c);
    }
}

/// Adds the number of agents on each platform in `platforms` to `counts`.
pub(crate) fn count_platforms(platforms: &[u8], counts: &mut [u64]) {
    if counts.len() <= 8 {
        // One pass per platform: compare-and-count loops the compiler vectorises.
        for (k, c) in counts.iter_mut().enumerate() {
            // In blocks of 255, counted in u8 (cannot overflow): 16 or more agents per
            // vector instruction.
            let k = k as u8;
            *c += platforms
                .chunks(255)
                .map(|block| {
                    let n = block
                        .iter()
                        .fold(0u8, |n, &p| n.wrapping_add(u8::from(p == k)));
                    u64::from(n)
                })
                .sum::<u64>();
        }
    } else {
        for &p in platforms {
            counts[usize::from(p)] += 1;
        }
    }
}

/// How far ahead in the queue contact lists are prefetched.
const PREFETCH_ROWS: usize = 16;
/// How far ahead in the queue contacts' platforms are prefetched (their lists were prefetched
/// `PREFETCH_ROWS - PREFETCH_PLATFORMS` agents earlier).
const PREFETCH_PLATFORMS: usize = 8;

/// What kind of choice a queued agent makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// Reconsiders (or is forced to) by the logit rule.
    Logit,
    /// Hit a partial outage of its main app: picks a stand-in app for the day.
    StandIn,
    /// Moves with the Bass hazards.
    Bass,
    /// Trials: reviews the app it is trying against its main app (keeps it as main or drops it).
    Review,
    /// Open population: leaves, and a newcomer takes its place.
    Join,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_shares_count_exactly_in_every_lane_width() {
        // Rows short enough for 8-bit lanes, long enough for 16-bit ones, and (k > 8) counters;
        // every contact on one platform (a full lane) as well as mixed ones.
        let platforms: Vec<u8> = (0..2000u32).map(|j| (j * 7 % 11) as u8).collect();
        for k in [3usize, 8, 11] {
            let prev: Vec<u8> = platforms.iter().map(|&p| p % k as u8).collect();
            for len in [1usize, 20, 255, 256, 300, 1000] {
                for contacts in [
                    (0..len as u32).collect::<Vec<_>>(),
                    vec![0; len], // all on platform 0
                ] {
                    let mut out = [0f32; MAX_PLATFORMS];
                    contact_shares(&contacts, &prev, k, &mut out);
                    for (p, &share) in out.iter().enumerate().take(k) {
                        let n = contacts.iter().filter(|&&j| prev[j as usize] == p as u8);
                        assert_eq!(
                            share,
                            n.count() as f32 * (1.0 / len as f32),
                            "k {k} len {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn reviews_wait_for_the_novelty_to_wear_off() {
        let rule = TrialRule::new(0.3, 2.0, 0.0);
        let p = |t: u32| f64::from(t) / f64::from(1u32 << 24);
        // Never on the day the trial begins; 0.3 x (1 - e^-1/2) the next day; then toward 0.3.
        assert_eq!(rule.review[0], 0);
        assert!((p(rule.review[1]) - 0.3 * (1.0 - (-0.5f64).exp())).abs() < 1e-6);
        assert!(rule.review.windows(2).all(|w| w[0] <= w[1]));
        assert!((p(rule.review[255]) - 0.3).abs() < 1e-6);
        // No novelty: the full rate from the first day after.
        let rule = TrialRule::new(0.3, 0.0, 0.0);
        assert_eq!((rule.review[0], rule.review[1]), (0, threshold24(0.3)));
    }

    #[test]
    fn thresholds_agree_with_uniform_draws() {
        // m / 2^24 < p exactly when m < threshold24(p), at and around every threshold.
        for p in [
            0.0f32,
            1e-9,
            0.001,
            0.0242,
            0.197,
            0.5,
            0.999_999_9,
            1.0,
            1.5,
            -0.1,
        ] {
            let t = threshold24(p);
            for m in [t.saturating_sub(1), t, t + 1, 0, (1 << 24) - 1] {
                let m = m.min((1 << 24) - 1);
                let u = m as f32 * (1.0 / (1u32 << 24) as f32);
                assert_eq!(u < p, m < t, "p {p} m {m} t {t}");
            }
        }
    }
}

/// No handicap in `DayContext::logit_choice`.
const NO_HANDICAP: (usize, f32) = (0, 0.0);

/// An agent queued for the second pass, with the draws it made in the first.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Index within the chunk.
    agent: u32,
    /// Platforms it chooses among (bit mask).
    options: u32,
    /// Its uniform draw for the choice.
    u: f32,
    choice: Choice,
}

impl Pending {
    #[inline(always)]
    fn new(choice: Choice, agent: u32, options: u32, u: f32) -> Pending {
        Pending {
            agent,
            options,
            u,
            choice,
        }
    }
}

/// A worker's accumulator: the counts of the chunks it ran, and its queue, reused from chunk
/// to chunk so the daily loop does not allocate per chunk.
struct ChunkWork {
    tally: DayTally,
    queue: Vec<Pending>,
    /// The chunk's first draws (plain days and others) and second draws (other days).
    draws: Vec<u32>,
    seconds: Vec<u32>,
    /// Scratch counters of `count_segments`.
    segment_counts: Vec<u32>,
}

impl ChunkWork {
    fn new(day: u32, k: usize, segments: usize) -> ChunkWork {
        ChunkWork {
            tally: DayTally::new(day, k, segments),
            queue: Vec::with_capacity(CHUNK),
            draws: vec![0; CHUNK],
            seconds: vec![0; CHUNK],
            segment_counts: Vec::new(),
        }
    }
}

/// Hints the processor to bring the cache line holding `p` into cache. A hint only: it never
/// faults and changes no result.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only needs SSE, which every x86_64 processor has; a prefetch does
    // not access memory architecturally, so any address is sound.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
