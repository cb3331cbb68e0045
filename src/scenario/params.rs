//! Validated parameters: the typed, checked, trusted form of a scenario that the rest of exodus
//! reads. Only `scenario::validate` builds a `Params`; every invariant documented here holds.

use chrono::{Days, NaiveDate};

pub use super::file::{NetworkKind, RuleKind};

/// Most platforms a scenario may have: the installed set of an agent is one `u32` bit mask.
pub const MAX_PLATFORMS: usize = 32;
/// Most population segments: an agent's segment is one `u8`.
pub const MAX_SEGMENTS: usize = 255;

/// A whole validated scenario.
#[derive(Debug, Clone)]
pub struct Params {
    pub name: String,
    pub description: String,
    /// Master seed of every random stream.
    pub seed: u64,
    /// Calendar date of day 0.
    pub start: NaiveDate,
    /// Number of simulated days, at least 1.
    pub days: u32,
    /// People represented by the population (> 0).
    pub people: f64,
    /// Agents simulated (>= 2).
    pub agents: u32,
    /// At least one segment; shares sum to 1.
    pub segments: Vec<Segment>,
    pub network: NetworkSpec,
    /// 2 ..= MAX_PLATFORMS platforms with unique names.
    pub platforms: Vec<Platform>,
    pub rule: RuleKind,
    /// Logit utility lost by platforms an agent does not have installed, in [0, 50].
    pub install_cost: f64,
    pub mechanisms: Mechanisms,
    pub outputs: DerivedOutputs,
    /// Events sorted by date (stable: same-date events keep file order).
    pub events: Vec<Event>,
}

/// Which migration mechanisms are on, and their time scales.
#[derive(Debug, Clone, PartialEq)]
pub struct Mechanisms {
    pub anticipation: bool,
    /// Days over which an approaching deadline raises perceived risk (> 0).
    pub anticipation_days: f64,
    pub protest: bool,
    /// Platforms owned by this owner carry the owner-aversion term.
    pub against_owner: Option<String>,
    /// Half-life of ban salience in days (> 0).
    pub salience_half_life_days: f64,
    pub language: bool,
    pub income: bool,
    pub social_influence: bool,
    pub stickiness: bool,
    /// Daily active users are those who open the app that day (by `Segment::daily_opens`).
    pub daily_use: bool,
    /// Agents' own lasting tastes (by `Segment::taste_sd`) enter the utility.
    pub tastes: bool,
    /// Days of burn-in under day 0's conditions before day 0 (equilibrium start), 0 ..= 3650.
    pub burn_in_days: u32,
    /// Days of the rules each burn-in day stands for (its daily rates multiplied by it), 1 ..= 10.
    pub burn_in_speedup: u32,
    /// `news` events raise attention, fading with time constant `news_days` (> 0).
    pub news: bool,
    pub news_days: f64,
    /// Buzz: attention multiplier 1 + B(t), B(t) = B(t-1) exp(-1 / buzz_days)
    /// + buzz_gain x installs(t-1) / agents.
    pub buzz: bool,
    pub buzz_gain: f64,
    pub buzz_days: f64,
    /// Trying, keeping, dropping (logit rule only): an agent that picks an app other than its
    /// main one installs it to try beside its main app; each day after, it reviews the trial
    /// with probability review_rate x (1 - exp(-age / novelty_days)) and then keeps it as its
    /// new main app with probability 1 / (1 + exp(u_main - u_trial + switch_cost)), or drops it.
    pub trials: bool,
    /// Reviews of a trial per day once its novelty has worn off (0 ..= 1).
    pub review_rate: f64,
    /// Days over which a new app's novelty wears off (0: no protection).
    pub novelty_days: f64,
    /// Utility a trial must beat the main app by to replace it (utility units).
    pub switch_cost: f64,
    /// With daily use: the share d of a trier's opening rate of its main app that the tried
    /// app takes (the main app is opened at rate λ (1 - d) while trying), 0 ..= 1.
    pub trial_displacement: f64,
    /// With daily use: a trial's first day counts as an opening of the tried app.
    pub first_day_use: bool,
    /// Trials: a change of main app puts the former main app on probation (reviewed like a
    /// trial against the new one, so the agent may go back).
    pub probation: bool,
    /// Probation: utility by which the former main app must beat the new one to be taken back
    /// (utility units; the cost of going back to a known app).
    pub return_cost: f64,
    /// Influence by exposure: contacts' trials (what they try and post about) enter the utility
    /// with the segments' `exposure_weight`.
    pub exposure: bool,
    /// Open population: the share of agents per day who leave and are replaced by a newcomer
    /// (a new phone, a lapsed user) who installs its apps from the stores (0: closed).
    pub turnover: f64,
}

impl Mechanisms {
    /// Whether a mechanism of the re-specified model is on (daily use, tastes, news, buzz,
    /// trials, exposure, an open population, a burn-in). Without them a scenario is one of the
    /// plain special cases (R1, Bass, logit), whose results stay byte-identical from release to
    /// release; with them the logit uses the portable exponential (`logit::choose_with`).
    pub fn respecified(&self) -> bool {
        self.daily_use
            || self.tastes
            || self.news
            || self.buzz
            || self.trials
            || self.exposure
            || self.turnover > 0.0
            || self.burn_in_days > 0
    }
}

/// Parameters of the outputs derived from daily counts.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedOutputs {
    /// App-store rank estimate, if configured.
    pub rank: Option<RankCurve>,
    /// Installs per day from outside the population, per platform (people).
    pub background_installs: Vec<f64>,
    /// Count main-app users per audience class (`classes.csv`).
    pub audience_classes: bool,
    /// Count main-app users and triers per segment (`segments.csv`).
    pub segments: bool,
    /// Follow a cohort: those who first try or install a platform within some dates.
    pub cohort: Option<Cohort>,
}

/// `[outputs] cohort`: the agents who first try or install `platform` (for the first time in
/// the run) on a day `from ..= to` (day indices), followed to the end of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cohort {
    pub platform: usize,
    pub from: u32,
    pub to: u32,
}

/// Downloads needed for a store rank: downloads(r) = top x r^-exponent (an assumption to be
/// labelled in each scenario), applied to the share of installs made in the ranked store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankCurve {
    pub top: f64,
    pub exponent: f64,
    pub store_share: f64,
}

impl RankCurve {
    /// Rank (1 = top) that `downloads` per day would reach, capped at `MAX_RANK`.
    pub fn rank(&self, downloads: f64) -> f64 {
        let d = downloads * self.store_share;
        if d <= 0.0 {
            return Self::MAX_RANK;
        }
        (self.top / d)
            .powf(1.0 / self.exponent)
            .clamp(1.0, Self::MAX_RANK)
    }

    /// Ranks beyond the top 500 are reported as 500.
    pub const MAX_RANK: f64 = 500.0;
}

impl Params {
    /// People each agent stands for.
    pub fn people_per_agent(&self) -> f64 {
        self.people / f64::from(self.agents)
    }

    /// Calendar date of simulated day `day` (0-based).
    pub fn date(&self, day: u32) -> NaiveDate {
        self.start
            .checked_add_days(Days::new(u64::from(day)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Last simulated date (inclusive).
    pub fn end(&self) -> NaiveDate {
        self.date(self.days - 1)
    }

    /// Index of the platform called `name`.
    pub fn platform_index(&self, name: &str) -> Option<usize> {
        self.platforms.iter().position(|p| p.name == name)
    }
}

/// One platform users can be on.
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    pub name: String,
    pub owner: String,
    /// Logit base utility (dimensionless), in [-50, 50].
    pub appeal: f64,
    /// Bass innovation coefficient p (per day), in [0, 1].
    pub innovation: f64,
    /// Bass imitation coefficient q (per day), in [0, 1].
    pub imitation: f64,
    /// Chart colour "#rrggbb", if the scenario sets one.
    pub color: Option<String>,
    /// Utility bonus for keeping it as main app, in [-50, 50].
    pub stickiness: f64,
    /// Daily use probability when installed but not the main app, in [0, 1].
    pub secondary_use: f64,
    /// Perceived probability of a ban, in [0, 1].
    pub ban_probability: f64,
    /// 1 if choosing it is a protest against the ban, in [0, 1].
    pub protest_target: f64,
    /// Language barrier, in [0, 1].
    pub language_barrier: f64,
    /// Monetisation for creators, in [0, 1].
    pub monetisation: f64,
    /// Posts per newcomer on arrival, >= 0.
    pub newcomer_posts: f64,
}

/// One kind of user.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    /// Share of agents, in [0, 1].
    pub share: f64,
    /// Probability of starting on each platform (indexed like `Params::platforms`; sums to 1).
    pub initial: Vec<f64>,
    /// Probability of also having each platform installed at the start.
    pub also_installed: Vec<f64>,
    /// Utility added to each platform for this segment (taste), in [-50, 50].
    pub prefer: Vec<f64>,
    /// Daily probability of reconsidering, in [0, 1].
    pub attention: TraitDist,
    /// Logit weight of the share of contacts on a platform, in [0, 100].
    pub peer_weight: TraitDist,
    /// Weight of perceived ban risk, in [0, 100].
    pub risk_sensitivity: TraitDist,
    /// Weight of protest at full salience, in [0, 100].
    pub protest: TraitDist,
    /// Weight of aversion to the protested owner, in [0, 100].
    pub owner_aversion: TraitDist,
    /// Weight of the language barrier, in [0, 100].
    pub language_sensitivity: TraitDist,
    /// Weight of monetisation, in [0, 100].
    pub income_weight: TraitDist,
    /// Popularity multiplier in power-law networks, in (0, 10^6].
    pub popularity: f64,
    /// Opens of the main app per day (rate of a Poisson process), in [0, 1000]; read only with
    /// `Mechanisms::daily_use`.
    pub daily_opens: TraitDist,
    /// Standard deviation of agents' own lasting tastes for platforms, in utility units
    /// ([0, 50]); read with `Mechanisms::tastes`.
    pub taste_sd: f64,
    /// Utility per unit share of contacts trying a platform ([0, 100]); read with
    /// `Mechanisms::exposure` and trials.
    pub exposure_weight: f64,
}

/// A validated distribution for a per-agent trait; draws are clipped to `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraitDist {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        min: f64,
        max: f64,
    },
}

impl TraitDist {
    /// The value every agent gets, if the distribution is a point.
    pub fn constant(&self) -> Option<f64> {
        match *self {
            TraitDist::Constant(v) => Some(v),
            TraitDist::Uniform { low, high } if low == high => Some(low),
            TraitDist::Normal {
                mean,
                sd: 0.0,
                min,
                max,
            } => Some(mean.clamp(min, max)),
            TraitDist::LogNormal {
                mu,
                sigma: 0.0,
                min,
                max,
            } => Some(mu.exp().clamp(min, max)),
            _ => None,
        }
    }
}

/// The validated network family and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetworkSpec {
    Mixed,
    Random { degree: u32 },
    SmallWorld { degree: u32, rewire: f64 },
    PowerLaw { degree: u32, exponent: f64 },
}

impl NetworkSpec {
    /// Contacts per agent stored in the network (0 for mean field).
    pub fn degree(&self) -> u32 {
        match *self {
            NetworkSpec::Mixed => 0,
            NetworkSpec::Random { degree }
            | NetworkSpec::SmallWorld { degree, .. }
            | NetworkSpec::PowerLaw { degree, .. } => degree,
        }
    }
}

/// A dated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub date: NaiveDate,
    /// Day index relative to `Params::start`; negative if before the start (applies on day 0).
    pub day: i64,
    pub action: Action,
    pub label: String,
    pub source: String,
}

/// What an event does to the world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Down(usize),
    Up(usize),
    StoreRemove(usize),
    StoreReturn(usize),
    Set(Param, f64),
    /// Platform down for this share of the event's day only.
    Outage(usize, f64),
    /// Platform, and the day (from the start) the ban takes effect.
    Deadline(usize, i64),
    Marker(Option<usize>),
    /// Attention boost of a news event (1 doubles attention on its day).
    News(f64),
}

impl Action {
    /// The platform the action concerns, if any.
    pub fn platform(&self) -> Option<usize> {
        match *self {
            Action::Down(k)
            | Action::Up(k)
            | Action::StoreRemove(k)
            | Action::StoreReturn(k)
            | Action::Deadline(k, _)
            | Action::Outage(k, _) => Some(k),
            Action::Set(param, _) => param.platform(),
            Action::Marker(k) => k,
            Action::News(_) => None,
        }
    }

    /// Short name of the action, as written in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Down(_) => "down",
            Action::Up(_) => "up",
            Action::StoreRemove(_) => "store-remove",
            Action::StoreReturn(_) => "store-return",
            Action::Set(..) => "set",
            Action::Deadline(..) => "deadline",
            Action::Outage(..) => "outage",
            Action::Marker(_) => "marker",
            Action::News(_) => "news",
        }
    }
}

/// A parameter that a `set` event can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Appeal(usize),
    Innovation(usize),
    Imitation(usize),
    Stickiness(usize),
    SecondaryUse(usize),
    BanProbability(usize),
    ProtestTarget(usize),
    LanguageBarrier(usize),
    Monetisation(usize),
    NewcomerPosts(usize),
    /// Multiplies every agent's peer weight.
    PeerScale,
    /// Multiplies every agent's attention (the product is capped at 1).
    AttentionScale,
}

impl Param {
    /// The platform a parameter belongs to, if it is per platform.
    pub fn platform(&self) -> Option<usize> {
        match *self {
            Param::Appeal(k)
            | Param::Innovation(k)
            | Param::Imitation(k)
            | Param::Stickiness(k)
            | Param::SecondaryUse(k)
            | Param::BanProbability(k)
            | Param::ProtestTarget(k)
            | Param::LanguageBarrier(k)
            | Param::Monetisation(k)
            | Param::NewcomerPosts(k) => Some(k),
            Param::PeerScale | Param::AttentionScale => None,
        }
    }
}
