//! The scenario file format: serde structs that mirror the TOML exactly.
//!
//! Nothing here is trusted: these types only say what a file may contain. Every value a rule
//! depends on keeps its byte span (`toml::Spanned`), so `scenario::validate` can point at the
//! line and column of a bad value. `docs/scenario-format.md` documents every key; keep the two in
//! step. All structs deny unknown fields, so a misspelt key is an error, not a silent default.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub meta: MetaFile,
    pub population: PopulationFile,
    pub network: NetworkFile,
    #[schemars(with = "Vec<PlatformFile>")]
    pub platforms: Spanned<Vec<PlatformFile>>,
    pub choice: ChoiceFile,
    #[serde(default)]
    pub mechanisms: MechanismsFile,
    #[serde(default)]
    pub outputs: OutputsFile,
    #[serde(default)]
    pub events: Vec<EventFile>,
}

/// `[meta]`: what the scenario is and which calendar days it covers.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetaFile {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// Master seed of every random stream.
    #[serde(default)]
    pub seed: u64,
    /// First simulated day (day 0).
    #[schemars(with = "CalendarDate")]
    pub start: Spanned<CalendarDate>,
    /// Last simulated day, inclusive. Give `end` or `days`, not both.
    #[schemars(with = "Option<CalendarDate>")]
    pub end: Option<Spanned<CalendarDate>>,
    /// Number of simulated days. Give `end` or `days`, not both.
    #[schemars(with = "Option<i64>")]
    pub days: Option<Spanned<i64>>,
    /// Where the numbers of this scenario come from (free text, kept in the run manifest).
    #[serde(default)]
    pub sources: Vec<String>,
}

/// `[population]`: how many people, how many agents stand for them, and who they are.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationFile {
    /// People represented by the whole population.
    #[schemars(with = "f64")]
    pub people: Spanned<f64>,
    /// Agents simulated; each stands for `people / agents` people.
    #[schemars(with = "i64")]
    pub agents: Spanned<i64>,
    #[schemars(with = "Vec<SegmentFile>")]
    pub segments: Spanned<Vec<SegmentFile>>,
}

/// `[[population.segments]]`: one kind of user, with its share and trait distributions.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentFile {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Share of agents in this segment; shares of all segments sum to 1.
    #[schemars(with = "f64")]
    pub share: Spanned<f64>,
    /// Platform each agent of the segment starts on: platform name -> probability (sum 1).
    #[schemars(with = "BTreeMap<String, f64>")]
    pub initial: Spanned<BTreeMap<String, f64>>,
    /// Probability that an agent also has a platform installed at the start (multi-homing).
    #[serde(default = "no_entries")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub also_installed: Spanned<BTreeMap<String, f64>>,
    /// Taste: utility added to platforms for this segment only (platform name -> utility).
    #[serde(default = "no_entries")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub prefer: Spanned<BTreeMap<String, f64>>,
    /// Daily probability that an agent reconsiders its platform.
    #[schemars(with = "TraitSpec")]
    pub attention: Spanned<TraitSpec>,
    /// Weight of the share of contacts on a platform in the logit utility.
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub peer_weight: Spanned<TraitSpec>,
    /// Anticipation: utility lost per unit of perceived ban risk of a platform.
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub risk_sensitivity: Spanned<TraitSpec>,
    /// Protest: utility gained from a protest-target platform at full ban salience.
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub protest: Spanned<TraitSpec>,
    /// Aversion to the owner named in `[mechanisms] protest_against_owner` (e.g. Meta).
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub owner_aversion: Spanned<TraitSpec>,
    /// Language: utility lost per unit of a platform's language barrier.
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub language_sensitivity: Spanned<TraitSpec>,
    /// Creators' income: utility gained per unit of a platform's monetisation.
    #[serde(default = "default_zero_trait")]
    #[schemars(with = "TraitSpec")]
    pub income_weight: Spanned<TraitSpec>,
    /// Power-law networks: how much more often agents of this segment are watched (creators
    /// with large audiences); multiplies each agent's popularity.
    #[serde(default = "default_one")]
    #[schemars(with = "f64")]
    pub popularity: Spanned<f64>,
    /// Daily use (`[mechanisms] daily_use`): how many times a day an agent opens its main app,
    /// as the rate of a Poisson process (heavy users open it many times, light users rarely).
    #[serde(default = "default_daily_opens")]
    #[schemars(with = "TraitSpec")]
    pub daily_opens: Spanned<TraitSpec>,
    /// Heterogeneous tastes (`[mechanisms] tastes`): standard deviation of each agent's own,
    /// lasting taste for each platform, in utility units (0: the segment's agents share one
    /// taste).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub taste_sd: Spanned<f64>,
    /// Influence by exposure (`[mechanisms] exposure`, with trials): utility of a platform per
    /// unit share of the agent's contacts trying it yesterday.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub exposure_weight: Spanned<f64>,
}

/// Daily opens when not written: so many that every main-app user opens the app every day.
fn default_daily_opens() -> Spanned<TraitSpec> {
    Spanned::new(0..0, TraitSpec::Dist(DistFile::Constant { value: 50.0 }))
}

fn default_one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

/// A default value with an empty span (it was not written in the file).
fn unspanned<T: Default>() -> Spanned<T> {
    Spanned::new(0..0, T::default())
}

/// The defaults of `unspanned` for each type (a function of one type, as the schema's
/// generator needs to know the default's type).
fn zero() -> Spanned<f64> {
    unspanned()
}

fn zero_days() -> Spanned<i64> {
    unspanned()
}

fn no_entries() -> Spanned<BTreeMap<String, f64>> {
    unspanned()
}

fn default_zero_trait() -> Spanned<TraitSpec> {
    Spanned::new(0..0, TraitSpec::Dist(DistFile::Constant { value: 0.0 }))
}

/// A per-agent trait: a plain number (every agent the same) or a distribution table.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum TraitSpec {
    Value(f64),
    Dist(DistFile),
}

/// A distribution from which each agent's trait is drawn.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DistFile {
    /// Every agent gets `value`.
    Constant { value: f64 },
    /// Uniform on [low, high].
    Uniform { low: f64, high: f64 },
    /// Normal(mean, sd), clipped to the trait's allowed range.
    Normal { mean: f64, sd: f64 },
    /// Beta(alpha, beta), on [0, 1].
    Beta { alpha: f64, beta: f64 },
    /// exp(Normal(mu, sigma)), clipped to the trait's allowed range.
    LogNormal { mu: f64, sigma: f64 },
}

impl<'de> Deserialize<'de> for TraitSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = toml::Value::deserialize(deserializer)?;
        match value {
            toml::Value::Float(x) => Ok(TraitSpec::Value(x)),
            toml::Value::Integer(x) => Ok(TraitSpec::Value(x as f64)),
            toml::Value::Table(table) => DistFile::deserialize(toml::Value::Table(table))
                .map(TraitSpec::Dist)
                .map_err(|e| {
                    D::Error::custom(format!(
                        "{} (a distribution is a table such as {{ dist = \"beta\", alpha = 2, beta = 18 }}; \
                         dist is one of constant, uniform, normal, beta, log-normal)",
                        e.message().trim()
                    ))
                }),
            other => Err(D::Error::custom(format!(
                "expected a number or a distribution table, found {}",
                other.type_str()
            ))),
        }
    }
}

/// `[network]`: who each agent watches.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    #[schemars(with = "NetworkKind")]
    pub kind: Spanned<NetworkKind>,
    /// Out-degree: contacts each agent watches (random, small-world, power-law).
    #[schemars(with = "Option<i64>")]
    pub degree: Option<Spanned<i64>>,
    /// Small-world: probability that each lattice contact is rewired to a random agent.
    #[schemars(with = "Option<f64>")]
    pub rewire: Option<Spanned<f64>>,
    /// Power-law: tail exponent gamma of the in-degree distribution, P(k) ~ k^-gamma.
    #[schemars(with = "Option<f64>")]
    pub exponent: Option<Spanned<f64>>,
}

/// The network families exodus builds.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    /// Fully mixed (mean field): every agent sees the whole population.
    Mixed,
    /// Each agent watches `degree` others drawn uniformly at random.
    Random,
    /// Watts-Strogatz: ring lattice of `degree` nearest contacts, each rewired with `rewire`.
    SmallWorld,
    /// Each agent watches `degree` others drawn in proportion to a heavy-tailed popularity,
    /// so in-degrees follow a power law with exponent `exponent` (influencers).
    PowerLaw,
}

/// `[[platforms]]`: one app users can be on.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub owner: String,
    /// Base utility in the logit rule.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub appeal: Spanned<f64>,
    /// Bass rule: innovation coefficient p (per day).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub innovation: Spanned<f64>,
    /// Bass rule: imitation coefficient q (per day).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub imitation: Spanned<f64>,
    /// Colour for charts, "#rrggbb" (optional).
    #[schemars(with = "Option<String>")]
    pub color: Option<Spanned<String>>,
    /// Utility bonus for staying on this platform when it is one's main app (habit, community).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub stickiness: Spanned<f64>,
    /// Daily probability that someone with the app installed, but another main app, uses it.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub secondary_use: Spanned<f64>,
    /// Perceived probability that the platform will be banned (anticipation), 0 to 1.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub ban_probability: Spanned<f64>,
    /// 1 if choosing it is a protest against a ban (e.g. a Chinese app not covered), else 0.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub protest_target: Spanned<f64>,
    /// How hard the platform is to use for the population (interface language), 0 to 1.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub language_barrier: Spanned<f64>,
    /// How well creators earn on it, relative scale 0 to 1.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub monetisation: Spanned<f64>,
    /// Posts each newcomer makes on arrival (e.g. #TikTokRefugee introductions), for the
    /// derived `newcomer_posts` output.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub newcomer_posts: Spanned<f64>,
}

/// `[choice]`: which rule agents use to pick a platform.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceFile {
    #[schemars(with = "RuleKind")]
    pub rule: Spanned<RuleKind>,
    /// Logit: utility lost by a platform the agent does not have installed (the effort of
    /// installing and learning a new app).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub install_cost: Spanned<f64>,
}

/// `[mechanisms]`: the switches and time scales of the migration mechanisms. Every mechanism
/// can be turned off here without touching the weights, for what-if comparisons.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MechanismsFile {
    /// Ban anticipation: perceived risk = ban_probability x exp(-days to deadline / horizon).
    #[serde(default = "yes")]
    pub anticipation: bool,
    /// Days over which the approach of a deadline raises perceived risk.
    #[serde(default = "default_horizon")]
    #[schemars(with = "f64")]
    pub anticipation_days: Spanned<f64>,
    /// Protest and defiance toward protest-target platforms, scaled by ban salience.
    #[serde(default = "yes")]
    pub protest: bool,
    /// Owner whose platforms protesters avoid (owner aversion); "" for none.
    #[serde(default)]
    pub protest_against_owner: String,
    /// Half-life in days of ban salience (protest, novelty) once the risk falls.
    #[serde(default = "default_half_life")]
    #[schemars(with = "f64")]
    pub salience_half_life_days: Spanned<f64>,
    /// Language barrier.
    #[serde(default = "yes")]
    pub language: bool,
    /// Creators' income.
    #[serde(default = "yes")]
    pub income: bool,
    /// Social influence through contacts (peer weight).
    #[serde(default = "yes")]
    pub social_influence: bool,
    /// Stickiness of one's main app (habit, welcome).
    #[serde(default = "yes")]
    pub stickiness: bool,
    /// Daily use: daily active users are the agents who open the app that day, by each agent's
    /// `daily_opens`, instead of every main-app user; a partial outage cuts the day's opening
    /// rate in proportion to the hours lost.
    #[serde(default)]
    pub daily_use: bool,
    /// Heterogeneous tastes: each agent's lasting taste for each platform (segments'
    /// `taste_sd`) enters its utility.
    #[serde(default = "yes")]
    pub tastes: bool,
    /// Equilibrium start: days the rules run under day 0's conditions before day 0 (0: none).
    #[serde(default = "zero_days")]
    #[schemars(with = "i64")]
    pub burn_in_days: Spanned<i64>,
    /// Equilibrium start: days of the rules each burn-in day stands for (every daily rate
    /// multiplied by it), 1 ..= 10.
    #[serde(default = "one")]
    #[schemars(with = "i64")]
    pub burn_in_speedup: Spanned<i64>,
    /// `news` events raise attention.
    #[serde(default = "yes")]
    pub news: bool,
    /// Time constant in days of the fading of a news event's attention boost.
    #[serde(default = "default_news_days")]
    #[schemars(with = "f64")]
    pub news_days: Spanned<f64>,
    /// Buzz: each day's installs raise the next days' attention (self-exciting).
    #[serde(default)]
    pub buzz: bool,
    /// Buzz: attention added per unit of the population installing an app in a day.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub buzz_gain: Spanned<f64>,
    /// Buzz: time constant in days of its fading.
    #[serde(default = "default_buzz_days")]
    #[schemars(with = "f64")]
    pub buzz_days: Spanned<f64>,
    /// Trying, keeping, dropping: a chosen app is first installed to try beside the main app,
    /// then kept as main app or dropped (uninstalled) at a later review.
    #[serde(default)]
    pub trials: bool,
    /// Trials: reviews per day once the novelty has worn off.
    #[serde(default = "default_review_rate")]
    #[schemars(with = "f64")]
    pub review_rate: Spanned<f64>,
    /// Trials: days over which a new app's novelty wears off.
    #[serde(default = "default_novelty_days")]
    #[schemars(with = "f64")]
    pub novelty_days: Spanned<f64>,
    /// Trials: utility by which a tried app must beat the main app to replace it.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub switch_cost: Spanned<f64>,
    /// Trials with daily use: the share of an agent's opening of its main app that the app it
    /// is trying takes while it tries it (0: none).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub trial_displacement: Spanned<f64>,
    /// Trials with daily use: an agent opens the app it is trying on the trial's first day
    /// (installing and trying an app is opening it), instead of at its own daily rate.
    #[serde(default = "yes")]
    pub first_day_use: bool,
    /// Trials: after a change of main app the former one stays on probation, reviewed like a
    /// trial against the new one (the agent may go back).
    #[serde(default)]
    pub probation: bool,
    /// Probation: utility by which the former main app must beat the new one to be taken back.
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub return_cost: Spanned<f64>,
    /// Influence by exposure: contacts' trials enter the utility (segments' `exposure_weight`).
    #[serde(default = "yes")]
    pub exposure: bool,
    /// Open population: share of agents per day replaced by a newcomer who installs its apps
    /// from the stores (0: closed).
    #[serde(default = "zero")]
    #[schemars(with = "f64")]
    pub turnover: Spanned<f64>,
}

fn default_review_rate() -> Spanned<f64> {
    Spanned::new(0..0, 0.2)
}

fn default_novelty_days() -> Spanned<f64> {
    Spanned::new(0..0, 2.0)
}

fn default_news_days() -> Spanned<f64> {
    Spanned::new(0..0, 3.0)
}

fn default_buzz_days() -> Spanned<f64> {
    Spanned::new(0..0, 2.0)
}

impl Default for MechanismsFile {
    fn default() -> Self {
        MechanismsFile {
            anticipation: true,
            anticipation_days: default_horizon(),
            protest: true,
            protest_against_owner: String::new(),
            salience_half_life_days: default_half_life(),
            language: true,
            income: true,
            social_influence: true,
            stickiness: true,
            daily_use: false,
            tastes: true,
            burn_in_days: unspanned(),
            burn_in_speedup: one(),
            news: true,
            news_days: default_news_days(),
            buzz: false,
            buzz_gain: unspanned(),
            buzz_days: default_buzz_days(),
            trials: false,
            review_rate: default_review_rate(),
            novelty_days: default_novelty_days(),
            switch_cost: unspanned(),
            trial_displacement: unspanned(),
            first_day_use: true,
            probation: false,
            return_cost: unspanned(),
            exposure: true,
            turnover: unspanned(),
        }
    }
}

fn one() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}

fn yes() -> bool {
    true
}

fn default_horizon() -> Spanned<f64> {
    Spanned::new(0..0, 7.0)
}

fn default_half_life() -> Spanned<f64> {
    Spanned::new(0..0, 14.0)
}

/// `[outputs]`: derived outputs computed from the daily counts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputsFile {
    /// App-store rank estimate: daily downloads of the #1 free app in the ranked store.
    #[schemars(with = "Option<f64>")]
    pub rank_top_downloads: Option<Spanned<f64>>,
    /// App-store rank estimate: exponent a of downloads(rank) = top x rank^-a.
    #[schemars(with = "Option<f64>")]
    pub rank_exponent: Option<Spanned<f64>>,
    /// Share of a platform's installs that count for the ranked store (e.g. iOS), 0 to 1.
    #[schemars(with = "Option<f64>")]
    pub rank_store_share: Option<Spanned<f64>>,
    /// Installs per day attributed to people outside the simulated population, by platform
    /// name (e.g. RedNote's users outside the US TikTok population), added to the rank input.
    #[serde(default = "no_entries")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub background_installs: Spanned<BTreeMap<String, f64>>,
    /// Write `classes.csv`: main-app users per audience class (the top 1% of agents by how
    /// many watch them, the next 9%, the rest), to see whether high-influence agents lead.
    #[serde(default)]
    pub audience_classes: bool,
    /// Write `segments.csv`: main-app users (and, with trials, triers) per population segment
    /// and platform.
    #[serde(default)]
    pub segments: bool,
    /// A cohort to follow (needs trials): the people who first try or install `platform` on
    /// a day from `from` to `to`, counted each day with how many of them still have it
    /// (`cohort_members` and `cohort_keeping` in daily.csv).
    pub cohort: Option<CohortFile>,
}

/// `[outputs] cohort`: who first tried a platform within some dates.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortFile {
    #[schemars(with = "String")]
    pub platform: Spanned<String>,
    #[schemars(with = "CalendarDate")]
    pub from: Spanned<CalendarDate>,
    #[schemars(with = "CalendarDate")]
    pub to: Spanned<CalendarDate>,
}

impl NetworkKind {
    /// The name as written in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Mixed => "mixed",
            NetworkKind::Random => "random",
            NetworkKind::SmallWorld => "small-world",
            NetworkKind::PowerLaw => "power-law",
        }
    }
}

/// The choice rules.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Multinomial logit over available platforms.
    Logit,
    /// Bass hazard: innovation + imitation x share of contacts on the platform.
    Bass,
}

impl Default for OutputsFile {
    fn default() -> Self {
        OutputsFile {
            rank_top_downloads: None,
            rank_exponent: None,
            rank_store_share: None,
            background_installs: unspanned(),
            audience_classes: false,
            segments: false,
            cohort: None,
        }
    }
}

/// `[[events]]`: something that changes the world from a date on.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    /// A name for the event, unique in the scenario, by which a scenario that extends this one
    /// changes or removes it (`events.ruling.date`, `remove = true`).
    #[schemars(with = "Option<String>")]
    pub id: Option<Spanned<String>>,
    #[schemars(with = "CalendarDate")]
    pub date: Spanned<CalendarDate>,
    #[schemars(with = "EventAction")]
    pub action: Spanned<EventAction>,
    /// The platform the event is about (all actions but a global `set`).
    #[schemars(with = "Option<String>")]
    pub platform: Option<Spanned<String>>,
    /// `set`: which parameter changes.
    #[schemars(with = "Option<String>")]
    pub param: Option<Spanned<String>>,
    /// `set`: its new value.
    #[schemars(with = "Option<f64>")]
    pub value: Option<Spanned<f64>>,
    /// `deadline`: the date the ban takes effect (the event's own date is when it becomes
    /// known, e.g. the date of the law or of an extension order).
    #[schemars(with = "Option<CalendarDate>")]
    pub until: Option<Spanned<CalendarDate>>,
    /// Short text for charts and reports, e.g. "Supreme Court upholds ban".
    #[serde(default)]
    pub label: String,
    /// Where the event comes from.
    #[serde(default)]
    pub source: String,
}

/// What an event does.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EventAction {
    /// Service stops: nobody can use the platform.
    Down,
    /// Service resumes.
    Up,
    /// Service is down for part of this one day (`value` = share of the day, e.g. 0.5 for 12
    /// hours): users who hit it use another app they have that day but keep their main app.
    Outage,
    /// Removed from the app stores: no new installs; existing installs still work.
    StoreRemove,
    /// Back in the app stores.
    StoreReturn,
    /// A parameter takes a new value from this date on.
    Set,
    /// From this date on, a ban on the platform is known to take effect on `until`
    /// (anticipation counts down to it); a later `deadline` event replaces it (an extension).
    Deadline,
    /// Only a marker for charts and reports (e.g. a court hearing); changes nothing.
    Marker,
    /// News that makes people look at their apps again: from this date, attention is raised
    /// by `value` (1 doubles it), fading with `[mechanisms] news_days`.
    News,
}

impl EventAction {
    /// Every action, in the order the format documents them.
    pub const ALL: [EventAction; 9] = [
        EventAction::Down,
        EventAction::Up,
        EventAction::Outage,
        EventAction::StoreRemove,
        EventAction::StoreReturn,
        EventAction::Set,
        EventAction::Deadline,
        EventAction::Marker,
        EventAction::News,
    ];

    /// The name as written in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            EventAction::Down => "down",
            EventAction::Up => "up",
            EventAction::Outage => "outage",
            EventAction::StoreRemove => "store-remove",
            EventAction::StoreReturn => "store-return",
            EventAction::Set => "set",
            EventAction::Deadline => "deadline",
            EventAction::Marker => "marker",
            EventAction::News => "news",
        }
    }
}

/// The key under which the toml crate hands a native date to a deserializer.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// A calendar date written either as a TOML date (`2025-01-19`) or a string (`"2025-01-19"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate(pub chrono::NaiveDate);

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl JsonSchema for CalendarDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CalendarDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // A TOML date (2025-01-19) reaches a schema checker as text; a quoted date is text.
        schemars::json_schema!({
            "description": "A calendar date, YYYY-MM-DD: a TOML date (2025-01-19) or a string (\"2025-01-19\").",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
        })
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CalendarDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date such as 2025-01-19")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<CalendarDate, E> {
                // A TOML date-time (2025-01-19T12:00:00) is accepted for its date: the engine
                // steps whole days. Anything else after the date is an error.
                let day = match s.get(10..11) {
                    Some("T" | "t" | " ") => &s[..10],
                    _ => s,
                };
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map(CalendarDate)
                    .map_err(|_| E::custom(format!("`{s}` is not a date; write YYYY-MM-DD")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // toml hands its native dates over as a one-entry map holding the date's text
                // under a private key; any other table (`start = {}`, `{ a = 1 }`) is not a
                // date, and its value is never asked for.
                match map.next_key::<String>()? {
                    Some(key) if key == TOML_DATETIME_KEY => {
                        let text: String = map.next_value()?;
                        self.visit_str(&text)
                    }
                    _ => Err(serde::de::Error::custom(
                        "a table is not a date; write YYYY-MM-DD",
                    )),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_spec_accepts_number_and_table() {
        #[derive(Deserialize)]
        struct T {
            a: TraitSpec,
            b: TraitSpec,
        }
        let t: T =
            toml::from_str("a = 0.1\nb = { dist = \"beta\", alpha = 2, beta = 18 }").unwrap();
        assert_eq!(t.a, TraitSpec::Value(0.1));
        assert_eq!(
            t.b,
            TraitSpec::Dist(DistFile::Beta {
                alpha: 2.0,
                beta: 18.0
            })
        );
    }

    #[test]
    fn trait_spec_names_the_allowed_distributions() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: TraitSpec,
        }
        let err = toml::from_str::<T>("a = { dist = \"gamma\", k = 2 }").unwrap_err();
        assert!(err.to_string().contains("log-normal"), "{err}");
    }

    #[test]
    fn dates_as_toml_dates_or_strings() {
        #[derive(Debug, Deserialize)]
        struct T {
            a: CalendarDate,
            b: CalendarDate,
        }
        let t: T = toml::from_str("a = 2025-01-19\nb = \"2025-02-13\"").unwrap();
        assert_eq!(t.a.to_string(), "2025-01-19");
        assert_eq!(t.b.to_string(), "2025-02-13");
        assert!(toml::from_str::<T>("a = \"2025-13-01\"\nb = 2025-01-01").is_err());
        assert!(toml::from_str::<T>("a = \"2025-01-199\"\nb = 2025-01-01").is_err());
        let t: T = toml::from_str("a = 2025-01-19T12:00:00\nb = \"2025-01-19 08:00\"").unwrap();
        assert_eq!(
            (t.a.to_string(), t.b.to_string()),
            ("2025-01-19".into(), "2025-01-19".into())
        );
        // A table where a date goes is an error, not a panic (issue 13).
        for bad in ["a = {}", "a = { a = 1 }", "a = { a = {} }", "a = []"] {
            let err = toml::from_str::<T>(&format!("{bad}\nb = 2025-01-01")).unwrap_err();
            assert!(err.to_string().contains("date"), "{bad}: {err}");
        }
    }
}
