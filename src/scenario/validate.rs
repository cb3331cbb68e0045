//! Validation: `ScenarioFile` (untrusted mirror of the TOML) -> `Params` (typed and checked).
//!
//! Every rule lives here, with its allowed range written once in the check itself, so the error
//! a user sees and the range documented in `docs/scenario-format.md` come from the same place.

use std::collections::{BTreeMap, HashSet};
use std::ops::{Range, RangeInclusive};

use toml::Spanned;

use super::diagnose::did_you_mean;
use super::error::{Location, ScenarioError};
use super::file::{
    CalendarDate, DistFile, EventAction, EventFile, NetworkKind, PlatformFile, ScenarioFile,
    SegmentFile, TraitSpec,
};
use super::params::{
    Action, Cohort, DerivedOutputs, Event, MAX_PLATFORMS, MAX_SEGMENTS, Mechanisms, NetworkSpec,
    Param, Params, Platform, RankCurve, RuleKind, Segment, TraitDist,
};
use super::resolve::{Assignment, Sources};

/// Allowed range of `population.people`.
pub const PEOPLE: RangeInclusive<f64> = 1.0..=1e10;
/// Allowed range of `population.agents` (and `--agents`).
pub const AGENTS: RangeInclusive<i64> = 2..=4_000_000_000;
/// Allowed range of `meta.days`.
pub const DAYS: RangeInclusive<i64> = 1..=36_500;
/// Allowed range of a network's `degree`.
pub const DEGREE: RangeInclusive<i64> = 1..=1000;
/// Allowed range of a platform's `appeal` and of `set` appeal values.
pub const APPEAL: RangeInclusive<f64> = -50.0..=50.0;
/// Allowed range of Bass coefficients.
pub const BASS_COEFF: RangeInclusive<f64> = 0.0..=1.0;
/// Allowed range of the `attention` trait.
pub const ATTENTION: RangeInclusive<f64> = 0.0..=1.0;
/// Allowed range of the `peer_weight` trait.
pub const PEER_WEIGHT: RangeInclusive<f64> = 0.0..=100.0;
/// Allowed range of the global scales a `set` event can change.
pub const SCALE: RangeInclusive<f64> = 0.0..=100.0;
/// Allowed range of the mechanism weights (risk, protest, owner, language, income).
pub const WEIGHT: RangeInclusive<f64> = 0.0..=100.0;
/// Allowed range of a platform's stickiness.
pub const STICKINESS: RangeInclusive<f64> = -50.0..=50.0;
/// Allowed range of probabilities and 0-1 scales.
pub const UNIT: RangeInclusive<f64> = 0.0..=1.0;
/// Allowed range of posts per newcomer.
pub const POSTS: RangeInclusive<f64> = 0.0..=1000.0;
/// Allowed range of a segment's popularity multiplier.
pub const POPULARITY: RangeInclusive<f64> = 1e-6..=1e6;
/// Allowed range of time scales in days (anticipation horizon, salience half-life).
pub const TIME_SCALE: RangeInclusive<f64> = 0.01..=3650.0;
/// Allowed range of the downloads of the top app per day.
pub const TOP_DOWNLOADS: RangeInclusive<f64> = 1.0..=1e9;
/// Allowed range of the rank-curve exponent.
pub const RANK_EXPONENT: RangeInclusive<f64> = 0.05..=5.0;
/// Allowed range of background installs per day.
pub const BACKGROUND: RangeInclusive<f64> = 0.0..=1e9;
/// Allowed range of the power-law exponent.
pub const EXPONENT: RangeInclusive<f64> = 2.01..=5.0;
/// Allowed range of the buzz gain (attention per unit of the population installing per day).
pub const BUZZ_GAIN: RangeInclusive<f64> = 0.0..=100_000.0;
/// Allowed range of a news event's attention boost.
pub const NEWS_BOOST: RangeInclusive<f64> = 0.0..=100.0;
/// Allowed range of the burn-in (days).
pub const BURN_IN: RangeInclusive<i64> = 0..=3650;
/// Allowed range of the spread of agents' own tastes (utility units).
pub const TASTE_SD: RangeInclusive<f64> = 0.0..=50.0;
/// Allowed range of daily opens of the main app (opens per day).
pub const DAILY_OPENS: RangeInclusive<f64> = 0.0..=1000.0;
/// Allowed range of the days over which a tried app's novelty wears off.
pub const NOVELTY_DAYS: RangeInclusive<f64> = 0.0..=365.0;
/// Allowed range of the switch cost of trials (utility units).
pub const SWITCH_COST: RangeInclusive<f64> = 0.0..=50.0;
/// Allowed range of the daily turnover of the population (share of agents per day).
pub const TURNOVER: RangeInclusive<f64> = 0.0..=0.1;
/// What a numeric key of a scenario file accepts: the table it is in (its type in `file`, as
/// the JSON Schema names its definitions), the key, the allowed range and whether it is a
/// whole number. The JSON Schema (`schema`) and the explorer's controls take their ranges from
/// this table; a test checks every entry against what validation accepts and refuses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyRange {
    pub table: &'static str,
    pub key: &'static str,
    pub low: f64,
    pub high: f64,
    pub whole: bool,
}

const fn real(table: &'static str, key: &'static str, r: RangeInclusive<f64>) -> KeyRange {
    KeyRange {
        table,
        key,
        low: *r.start(),
        high: *r.end(),
        whole: false,
    }
}

const fn whole(table: &'static str, key: &'static str, r: RangeInclusive<i64>) -> KeyRange {
    KeyRange {
        table,
        key,
        low: *r.start() as f64,
        high: *r.end() as f64,
        whole: true,
    }
}

/// Every numeric key's range. For a trait (a number or a distribution) the range is that of
/// the number, and of the values a distribution is clipped to.
pub const KEY_RANGES: &[KeyRange] = &[
    whole("MetaFile", "days", DAYS),
    real("PopulationFile", "people", PEOPLE),
    whole("PopulationFile", "agents", AGENTS),
    real("SegmentFile", "share", UNIT),
    real("SegmentFile", "attention", ATTENTION),
    real("SegmentFile", "peer_weight", PEER_WEIGHT),
    real("SegmentFile", "risk_sensitivity", WEIGHT),
    real("SegmentFile", "protest", WEIGHT),
    real("SegmentFile", "owner_aversion", WEIGHT),
    real("SegmentFile", "language_sensitivity", WEIGHT),
    real("SegmentFile", "income_weight", WEIGHT),
    real("SegmentFile", "popularity", POPULARITY),
    real("SegmentFile", "daily_opens", DAILY_OPENS),
    real("SegmentFile", "taste_sd", TASTE_SD),
    real("SegmentFile", "exposure_weight", WEIGHT),
    whole("NetworkFile", "degree", DEGREE),
    real("NetworkFile", "rewire", UNIT),
    real("NetworkFile", "exponent", EXPONENT),
    real("PlatformFile", "appeal", APPEAL),
    real("PlatformFile", "innovation", BASS_COEFF),
    real("PlatformFile", "imitation", BASS_COEFF),
    real("PlatformFile", "stickiness", STICKINESS),
    real("PlatformFile", "secondary_use", UNIT),
    real("PlatformFile", "ban_probability", UNIT),
    real("PlatformFile", "protest_target", UNIT),
    real("PlatformFile", "language_barrier", UNIT),
    real("PlatformFile", "monetisation", UNIT),
    real("PlatformFile", "newcomer_posts", POSTS),
    real("ChoiceFile", "install_cost", INSTALL_COST),
    real("MechanismsFile", "anticipation_days", TIME_SCALE),
    real("MechanismsFile", "salience_half_life_days", TIME_SCALE),
    whole("MechanismsFile", "burn_in_days", BURN_IN),
    whole("MechanismsFile", "burn_in_speedup", BURN_IN_SPEEDUP),
    real("MechanismsFile", "news_days", TIME_SCALE),
    real("MechanismsFile", "buzz_gain", BUZZ_GAIN),
    real("MechanismsFile", "buzz_days", TIME_SCALE),
    real("MechanismsFile", "review_rate", UNIT),
    real("MechanismsFile", "novelty_days", NOVELTY_DAYS),
    real("MechanismsFile", "switch_cost", SWITCH_COST),
    real("MechanismsFile", "trial_displacement", UNIT),
    real("MechanismsFile", "return_cost", SWITCH_COST),
    real("MechanismsFile", "turnover", TURNOVER),
    real("OutputsFile", "rank_top_downloads", TOP_DOWNLOADS),
    real("OutputsFile", "rank_exponent", RANK_EXPONENT),
    real("OutputsFile", "rank_store_share", STORE_SHARE),
];

/// Allowed range of `choice.install_cost`.
pub const INSTALL_COST: RangeInclusive<f64> = 0.0..=50.0;
/// Allowed range of `mechanisms.burn_in_speedup`.
pub const BURN_IN_SPEEDUP: RangeInclusive<i64> = 1..=10;
/// Allowed range of `outputs.rank_store_share`.
pub const STORE_SHARE: RangeInclusive<f64> = 1e-6..=1.0;

/// Shares that must sum to 1 may be off by this much (rounding in hand-written files).
const SUM_TOLERANCE: f64 = 1e-6;

/// Values given on the command line that replace those in the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub agents: Option<u64>,
    /// `--set PATH=VALUE` assignments, applied in order after `extends`.
    pub sets: Vec<Assignment>,
}

/// Makes located errors for the texts of one resolved scenario, and keeps those that need not
/// stop the check (a value out of its range is noted and the check goes on with the nearest
/// allowed value), so one `validate` reports every such problem at once.
struct Checker<'a> {
    sources: &'a Sources,
    noted: std::cell::RefCell<Vec<ScenarioError>>,
}

impl Checker<'_> {
    /// Notes `e` and lets the check go on.
    fn note(&self, e: ScenarioError) {
        self.noted.borrow_mut().push(e);
    }

    fn at(&self, span: Range<usize>) -> Location {
        self.sources.locate(span)
    }

    fn invalid(
        &self,
        span: Range<usize>,
        field: &str,
        value: impl ToString,
        problem: &str,
        allowed: impl ToString,
    ) -> ScenarioError {
        ScenarioError::invalid(self.at(span), field, value, problem, allowed)
    }

    /// A name that goes into result files, charts and the terminal: at most
    /// `MAX_NAME_CHARS` characters, no control characters (a terminal would act on escape
    /// sequences), and not starting with `=`, `+`, `-` or `@`, which a spreadsheet opening the
    /// CSV would run as a formula.
    fn name(&self, span: Range<usize>, field: &str, text: &str) -> Result<(), ScenarioError> {
        let shown = format!("\"{}\"", text.escape_debug());
        let allowed = format!(
            "at most {MAX_NAME_CHARS} characters, no control characters, not starting with = + - @"
        );
        let problem = if text.chars().count() > MAX_NAME_CHARS {
            Some("is too long")
        } else if text.chars().any(char::is_control) {
            Some("holds a control character")
        } else if text.trim_start().starts_with(['=', '+', '-', '@']) {
            Some("starts with a character a spreadsheet reads as a formula")
        } else {
            None
        };
        if let Some(p) = problem {
            self.note(self.invalid(span, field, shown, p, allowed));
        }
        Ok(())
    }

    fn float(
        &self,
        v: &Spanned<f64>,
        field: &str,
        range: RangeInclusive<f64>,
    ) -> Result<f64, ScenarioError> {
        let x = *v.get_ref();
        Ok(check_float(x, &range).unwrap_or_else(|problem| {
            self.note(self.invalid(v.span(), field, x, problem, show_float_range(&range)));
            if x.is_nan() {
                *range.start()
            } else {
                x.clamp(*range.start(), *range.end())
            }
        }))
    }

    fn int(
        &self,
        v: &Spanned<i64>,
        field: &str,
        range: RangeInclusive<i64>,
    ) -> Result<i64, ScenarioError> {
        let x = *v.get_ref();
        if !range.contains(&x) {
            self.note(self.invalid(
                v.span(),
                field,
                x,
                "is out of range",
                format!("{} ..= {}", range.start(), range.end()),
            ));
        }
        Ok(x.clamp(*range.start(), *range.end()))
    }

    fn platform(
        &self,
        names: &[String],
        v: &Spanned<String>,
        field: &str,
    ) -> Result<usize, ScenarioError> {
        names.iter().position(|n| n == v.get_ref()).ok_or_else(|| {
            self.invalid(
                v.span(),
                field,
                format!("\"{}\"", v.get_ref()),
                &format!(
                    "is not a platform of this scenario{}",
                    did_you_mean(v.get_ref(), names.iter().map(String::as_str))
                ),
                names.join(", "),
            )
        })
    }
}

fn check_float(x: f64, range: &RangeInclusive<f64>) -> Result<f64, &'static str> {
    if !x.is_finite() {
        Err("is not a finite number")
    } else if !range.contains(&x) {
        Err("is out of range")
    } else {
        Ok(x)
    }
}

fn show_float_range(range: &RangeInclusive<f64>) -> String {
    format!("{} ..= {}", range.start(), range.end())
}

/// Longest name (meta.name, platforms, segments) in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Checks a parsed scenario file and produces trusted parameters. Every problem found is
/// reported (`ScenarioError::Many` when there are several): values out of range do not stop
/// the check; a problem that leaves nothing sound to check the rest against does.
pub fn validate(
    file: &ScenarioFile,
    sources: &Sources,
    overrides: &Overrides,
) -> Result<Params, ScenarioError> {
    let c = Checker {
        sources,
        noted: Default::default(),
    };
    let result = check(&c, file, overrides);
    let mut noted = c.noted.take();
    match result {
        Ok(params) if noted.is_empty() => return Ok(params),
        Ok(_) => {}
        Err(e) => noted.push(e),
    }
    // In file order, as the user reads the file (the errors without a place last).
    noted.sort_by_key(|e| match e {
        ScenarioError::Invalid(v) => match &v.location {
            Location::File { line, column, .. } => (0, *line, *column),
            _ => (1, 0, 0),
        },
        _ => (1, 0, 0),
    });
    Err(ScenarioError::many(noted))
}

fn check(c: &Checker, file: &ScenarioFile, overrides: &Overrides) -> Result<Params, ScenarioError> {
    // [meta]
    let name = file.meta.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(c.invalid(
            file.meta.name.span(),
            "meta.name",
            "\"\"",
            "is empty",
            "any non-empty text",
        ));
    }
    c.name(file.meta.name.span(), "meta.name", &name)?;
    let start = file.meta.start.get_ref().0;
    let days = match (&file.meta.end, &file.meta.days) {
        (Some(_), Some(days)) => {
            return Err(c.invalid(
                days.span(),
                "meta.days",
                days.get_ref(),
                "is given together with meta.end",
                "either meta.end or meta.days, not both",
            ));
        }
        (None, None) => {
            return Err(c.invalid(
                file.meta.start.span(),
                "meta.end",
                "(missing)",
                "the scenario has no length",
                "meta.end = YYYY-MM-DD (inclusive) or meta.days = 1 ..= 36500",
            ));
        }
        (None, Some(days)) => c.int(days, "meta.days", DAYS)?,
        (Some(end), None) => {
            let n = (end.get_ref().0 - start).num_days() + 1;
            if !DAYS.contains(&n) {
                return Err(c.invalid(
                    end.span(),
                    "meta.end",
                    end.get_ref(),
                    &format!(
                        "gives {n} days from meta.start = {}",
                        file.meta.start.get_ref()
                    ),
                    "a date on or after meta.start, giving 1 ..= 36500 days",
                ));
            }
            n
        }
    } as u32;
    let seed = overrides.seed.unwrap_or(file.meta.seed);

    // [[platforms]]
    let platforms = validate_platforms(c, &file.platforms)?;
    let names: Vec<String> = platforms.iter().map(|p| p.name.clone()).collect();

    // [population]
    let people = c.float(&file.population.people, "population.people", PEOPLE)?;
    let agents = match overrides.agents {
        Some(n)
            if !(AGENTS.start().cast_unsigned()..=AGENTS.end().cast_unsigned()).contains(&n) =>
        {
            return Err(ScenarioError::invalid(
                Location::CommandLine,
                "--agents",
                n,
                "is out of range",
                format!("{} ..= {}", AGENTS.start(), AGENTS.end()),
            ));
        }
        Some(n) => n as u32,
        None => c.int(&file.population.agents, "population.agents", AGENTS)? as u32,
    };
    let segments = validate_segments(c, &file.population.segments, &names)?;

    // [network]
    let network = validate_network(c, file, agents)?;

    // [choice], [mechanisms], [outputs]
    let rule = *file.choice.rule.get_ref();
    let install_cost = c.float(
        &file.choice.install_cost,
        "choice.install_cost",
        INSTALL_COST,
    )?;
    let mechanisms = validate_mechanisms(c, file)?;
    if mechanisms.trials && rule != RuleKind::Logit {
        return Err(c.invalid(
            file.choice.rule.span(),
            "choice.rule",
            "\"bass\"",
            "cannot be used with [mechanisms] trials = true (trials are logit choices)",
            "\"logit\", or trials = false",
        ));
    }
    let outputs = validate_outputs(c, file, &names, days)?;
    if let (Some(cohort), false) = (&file.outputs.cohort, mechanisms.trials) {
        return Err(c.invalid(
            cohort.platform.span(),
            "outputs.cohort",
            format!("\"{}\"", cohort.platform.get_ref()),
            "needs [mechanisms] trials = true (it follows who first tried the app)",
            "trials = true, or no outputs.cohort",
        ));
    }

    // [[events]]
    let mut ids: HashSet<&str> = HashSet::new();
    for (i, e) in file.events.iter().enumerate() {
        if let Some(id) = &e.id {
            let text = id.get_ref().trim();
            if text.is_empty() || !ids.insert(text) {
                return Err(c.invalid(
                    id.span(),
                    &format!("events[{i}].id"),
                    format!("\"{text}\""),
                    if text.is_empty() {
                        "is empty"
                    } else {
                        "is the id of an earlier event"
                    },
                    "an id no other event has, e.g. \"ruling\"",
                ));
            }
        }
    }
    // Each event is checked on its own: one bad event does not hide the next.
    let mut events = Vec::with_capacity(file.events.len());
    for (i, e) in file.events.iter().enumerate() {
        match validate_event(c, e, i, start, &names) {
            Ok(e) => events.push(e),
            Err(e) => c.note(e),
        }
    }
    events.sort_by_key(|e| e.date);

    Ok(Params {
        name,
        description: file.meta.description.trim().to_string(),
        seed,
        start,
        days,
        people,
        agents,
        segments,
        network,
        platforms,
        rule,
        install_cost,
        mechanisms,
        outputs,
        events,
    })
}

fn validate_mechanisms(c: &Checker, file: &ScenarioFile) -> Result<Mechanisms, ScenarioError> {
    let m = &file.mechanisms;
    let owner = m.protest_against_owner.trim().to_string();
    Ok(Mechanisms {
        anticipation: m.anticipation,
        anticipation_days: c.float(
            &m.anticipation_days,
            "mechanisms.anticipation_days",
            TIME_SCALE,
        )?,
        protest: m.protest,
        against_owner: (!owner.is_empty()).then_some(owner),
        salience_half_life_days: c.float(
            &m.salience_half_life_days,
            "mechanisms.salience_half_life_days",
            TIME_SCALE,
        )?,
        language: m.language,
        income: m.income,
        social_influence: m.social_influence,
        stickiness: m.stickiness,
        daily_use: m.daily_use,
        tastes: m.tastes,
        burn_in_days: c.int(&m.burn_in_days, "mechanisms.burn_in_days", BURN_IN)? as u32,
        burn_in_speedup: c.int(
            &m.burn_in_speedup,
            "mechanisms.burn_in_speedup",
            BURN_IN_SPEEDUP,
        )? as u32,
        news: m.news,
        news_days: c.float(&m.news_days, "mechanisms.news_days", TIME_SCALE)?,
        buzz: m.buzz,
        buzz_gain: c.float(&m.buzz_gain, "mechanisms.buzz_gain", BUZZ_GAIN)?,
        buzz_days: c.float(&m.buzz_days, "mechanisms.buzz_days", TIME_SCALE)?,
        trials: m.trials,
        review_rate: c.float(&m.review_rate, "mechanisms.review_rate", UNIT)?,
        novelty_days: c.float(&m.novelty_days, "mechanisms.novelty_days", NOVELTY_DAYS)?,
        switch_cost: c.float(&m.switch_cost, "mechanisms.switch_cost", SWITCH_COST)?,
        trial_displacement: c.float(
            &m.trial_displacement,
            "mechanisms.trial_displacement",
            UNIT,
        )?,
        first_day_use: m.first_day_use,
        probation: m.probation,
        return_cost: c.float(&m.return_cost, "mechanisms.return_cost", SWITCH_COST)?,
        exposure: m.exposure,
        turnover: c.float(&m.turnover, "mechanisms.turnover", TURNOVER)?,
    })
}

fn validate_outputs(
    c: &Checker,
    file: &ScenarioFile,
    names: &[String],
    days: u32,
) -> Result<DerivedOutputs, ScenarioError> {
    let o = &file.outputs;
    let rank = match (&o.rank_top_downloads, &o.rank_exponent, &o.rank_store_share) {
        (None, None, None) => None,
        (Some(top), Some(exponent), Some(share)) => Some(RankCurve {
            top: c.float(top, "outputs.rank_top_downloads", TOP_DOWNLOADS)?,
            exponent: c.float(exponent, "outputs.rank_exponent", RANK_EXPONENT)?,
            store_share: c.float(share, "outputs.rank_store_share", STORE_SHARE)?,
        }),
        (top, exponent, share) => {
            let span = [top, exponent, share]
                .iter()
                .find_map(|v| v.as_ref().map(|v| v.span()))
                .unwrap_or(0..0);
            return Err(c.invalid(
                span,
                "outputs.rank_*",
                "(incomplete)",
                "the rank estimate needs all three of its keys",
                "rank_top_downloads, rank_exponent and rank_store_share together, or none",
            ));
        }
    };
    let background_installs = by_platform(
        c,
        &o.background_installs,
        "outputs.background_installs",
        names,
        BACKGROUND,
    )?;
    let cohort = match &o.cohort {
        None => None,
        Some(h) => {
            let platform = names
                .iter()
                .position(|n| n == h.platform.get_ref())
                .ok_or_else(|| {
                    c.invalid(
                        h.platform.span(),
                        "outputs.cohort.platform",
                        format!("\"{}\"", h.platform.get_ref()),
                        &format!(
                            "is not a platform of the scenario{}",
                            did_you_mean(h.platform.get_ref(), names.iter().map(String::as_str))
                        ),
                        names.join(", "),
                    )
                })?;
            let start = file.meta.start.get_ref().0;
            let last = start + chrono::Days::new(u64::from(days) - 1);
            let day = |d: &Spanned<CalendarDate>, field: &str, earliest: i64| {
                let n = (d.get_ref().0 - start).num_days();
                if n < earliest || n >= i64::from(days) {
                    Err(c.invalid(
                        d.span(),
                        field,
                        d.get_ref(),
                        "is outside the scenario's dates, or before the cohort's first date",
                        format!(
                            "{} ..= {}",
                            start + chrono::Days::new(earliest as u64),
                            last
                        ),
                    ))
                } else {
                    Ok(n as u32)
                }
            };
            let from = day(&h.from, "outputs.cohort.from", 0)?;
            let to = day(&h.to, "outputs.cohort.to", i64::from(from))?;
            Some(Cohort { platform, from, to })
        }
    };
    Ok(DerivedOutputs {
        rank,
        background_installs,
        audience_classes: o.audience_classes,
        segments: o.segments,
        cohort,
    })
}

fn validate_platforms(
    c: &Checker,
    platforms: &Spanned<Vec<PlatformFile>>,
) -> Result<Vec<Platform>, ScenarioError> {
    let list = platforms.get_ref();
    if !(2..=MAX_PLATFORMS).contains(&list.len()) {
        return Err(c.invalid(
            platforms.span(),
            "platforms",
            format!("{} platforms", list.len()),
            "is not a usable number of platforms",
            format!("2 ..= {MAX_PLATFORMS} [[platforms]] tables"),
        ));
    }
    let mut seen = HashSet::new();
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let field = |key: &str| format!("platforms[{i}].{key}");
            let name = p.name.get_ref().clone();
            if name.trim().is_empty() || !seen.insert(name.clone()) {
                return Err(c.invalid(
                    p.name.span(),
                    &field("name"),
                    format!("\"{name}\""),
                    "is empty or used by another platform",
                    "a unique, non-empty name",
                ));
            }
            c.name(p.name.span(), &field("name"), &name)?;
            let color = match &p.color {
                Some(col) if !is_hex_color(col.get_ref()) => {
                    return Err(c.invalid(
                        col.span(),
                        &field("color"),
                        format!("\"{}\"", col.get_ref()),
                        "is not a colour",
                        "\"#rrggbb\", e.g. \"#ff2442\"",
                    ));
                }
                other => other.as_ref().map(|s| s.get_ref().to_lowercase()),
            };
            Ok(Platform {
                name,
                owner: p.owner.trim().to_string(),
                appeal: c.float(&p.appeal, &field("appeal"), APPEAL)?,
                innovation: c.float(&p.innovation, &field("innovation"), BASS_COEFF)?,
                imitation: c.float(&p.imitation, &field("imitation"), BASS_COEFF)?,
                color,
                stickiness: c.float(&p.stickiness, &field("stickiness"), STICKINESS)?,
                secondary_use: c.float(&p.secondary_use, &field("secondary_use"), UNIT)?,
                ban_probability: c.float(&p.ban_probability, &field("ban_probability"), UNIT)?,
                protest_target: c.float(&p.protest_target, &field("protest_target"), UNIT)?,
                language_barrier: c.float(&p.language_barrier, &field("language_barrier"), UNIT)?,
                monetisation: c.float(&p.monetisation, &field("monetisation"), UNIT)?,
                newcomer_posts: c.float(&p.newcomer_posts, &field("newcomer_posts"), POSTS)?,
            })
        })
        .collect()
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

fn validate_segments(
    c: &Checker,
    segments: &Spanned<Vec<SegmentFile>>,
    names: &[String],
) -> Result<Vec<Segment>, ScenarioError> {
    let list = segments.get_ref();
    if !(1..=MAX_SEGMENTS).contains(&list.len()) {
        return Err(c.invalid(
            segments.span(),
            "population.segments",
            format!("{} segments", list.len()),
            "is not a usable number of segments",
            format!("1 ..= {MAX_SEGMENTS} [[population.segments]] tables"),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let field = |key: &str| format!("population.segments[{i}].{key}");
        let name = s.name.get_ref().clone();
        if name.trim().is_empty() || !seen.insert(name.clone()) {
            return Err(c.invalid(
                s.name.span(),
                &field("name"),
                format!("\"{name}\""),
                "is empty or used by another segment",
                "a unique, non-empty name",
            ));
        }
        c.name(s.name.span(), &field("name"), &name)?;
        let share = c.float(&s.share, &field("share"), UNIT)?;
        let initial = platform_map(c, &s.initial, &field("initial"), names, true)?;
        let also_installed =
            platform_map(c, &s.also_installed, &field("also_installed"), names, false)?;
        let prefer = utility_map(c, &s.prefer, &field("prefer"), names)?;
        out.push(Segment {
            name,
            share,
            initial,
            also_installed,
            prefer,
            attention: trait_dist(c, &s.attention, &field("attention"), ATTENTION)?,
            peer_weight: trait_dist(c, &s.peer_weight, &field("peer_weight"), PEER_WEIGHT)?,
            risk_sensitivity: trait_dist(
                c,
                &s.risk_sensitivity,
                &field("risk_sensitivity"),
                WEIGHT,
            )?,
            protest: trait_dist(c, &s.protest, &field("protest"), WEIGHT)?,
            owner_aversion: trait_dist(c, &s.owner_aversion, &field("owner_aversion"), WEIGHT)?,
            language_sensitivity: trait_dist(
                c,
                &s.language_sensitivity,
                &field("language_sensitivity"),
                WEIGHT,
            )?,
            income_weight: trait_dist(c, &s.income_weight, &field("income_weight"), WEIGHT)?,
            popularity: c.float(&s.popularity, &field("popularity"), POPULARITY)?,
            daily_opens: trait_dist(c, &s.daily_opens, &field("daily_opens"), DAILY_OPENS)?,
            taste_sd: c.float(&s.taste_sd, &field("taste_sd"), TASTE_SD)?,
            exposure_weight: c.float(&s.exposure_weight, &field("exposure_weight"), WEIGHT)?,
        });
    }
    let total: f64 = out.iter().map(|s| s.share).sum();
    if (total - 1.0).abs() > SUM_TOLERANCE {
        return Err(c.invalid(
            segments.span(),
            "population.segments[*].share",
            format!("{total} in all"),
            "the shares of the segments do not sum to 1",
            "shares in [0, 1] that sum to 1",
        ));
    }
    Ok(out)
}

/// A table `{ PlatformName = number, ... }` as a vector indexed by platform (0 if absent), each
/// number checked against `range`.
fn by_platform(
    c: &Checker,
    map: &Spanned<BTreeMap<String, f64>>,
    field: &str,
    names: &[String],
    range: RangeInclusive<f64>,
) -> Result<Vec<f64>, ScenarioError> {
    let mut out = vec![0.0; names.len()];
    for (key, &v) in map.get_ref() {
        let key_field = format!("{field}.{key}");
        let k = names.iter().position(|n| n == key).ok_or_else(|| {
            c.invalid(
                map.span(),
                &key_field,
                v,
                &format!(
                    "\"{key}\" is not a platform of this scenario{}",
                    did_you_mean(key, names.iter().map(String::as_str))
                ),
                format!("keys among {}", names.join(", ")),
            )
        })?;
        out[k] = check_float(v, &range).map_err(|problem| {
            c.invalid(map.span(), &key_field, v, problem, show_float_range(&range))
        })?;
    }
    Ok(out)
}

/// A table `{ PlatformName = utility, ... }` (taste).
fn utility_map(
    c: &Checker,
    map: &Spanned<BTreeMap<String, f64>>,
    field: &str,
    names: &[String],
) -> Result<Vec<f64>, ScenarioError> {
    by_platform(c, map, field, names, APPEAL)
}

/// A table `{ PlatformName = probability, ... }`, optionally summing to 1.
fn platform_map(
    c: &Checker,
    map: &Spanned<BTreeMap<String, f64>>,
    field: &str,
    names: &[String],
    must_sum_to_one: bool,
) -> Result<Vec<f64>, ScenarioError> {
    let out = by_platform(c, map, field, names, UNIT)?;
    let total: f64 = out.iter().sum();
    if must_sum_to_one && (total - 1.0).abs() > SUM_TOLERANCE {
        return Err(c.invalid(
            map.span(),
            field,
            format!("{total} in all"),
            "the probabilities do not sum to 1",
            "probabilities in [0, 1] over platforms, summing to 1",
        ));
    }
    Ok(out)
}

fn trait_dist(
    c: &Checker,
    spec: &Spanned<TraitSpec>,
    field: &str,
    range: RangeInclusive<f64>,
) -> Result<TraitDist, ScenarioError> {
    let (min, max) = (*range.start(), *range.end());
    let bad = |key: &str, value: f64, problem: &str, allowed: String| {
        c.invalid(
            spec.span(),
            &format!("{field}.{key}"),
            value,
            problem,
            allowed,
        )
    };
    let in_range = |key: &str, value: f64| {
        check_float(value, &range)
            .map_err(|problem| bad(key, value, problem, show_float_range(&range)))
    };
    let positive = |key: &str, value: f64| {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(bad(key, value, "must be a positive number", "> 0".into()))
        }
    };
    let non_negative = |key: &str, value: f64| {
        check_float(value, &(0.0..=1e6))
            .map_err(|problem| bad(key, value, problem, "0 ..= 1000000".into()))
    };
    Ok(match spec.get_ref() {
        TraitSpec::Value(v) => TraitDist::Constant(check_float(*v, &range).map_err(|problem| {
            c.invalid(spec.span(), field, v, problem, show_float_range(&range))
        })?),
        TraitSpec::Dist(d) => match *d {
            DistFile::Constant { value } => TraitDist::Constant(in_range("value", value)?),
            DistFile::Uniform { low, high } => {
                let low = in_range("low", low)?;
                let high = in_range("high", high)?;
                if high < low {
                    return Err(bad(
                        "high",
                        high,
                        "is below low",
                        format!("low ({low}) ..= {max}"),
                    ));
                }
                TraitDist::Uniform { low, high }
            }
            DistFile::Normal { mean, sd } => TraitDist::Normal {
                mean: in_range("mean", mean)?,
                sd: non_negative("sd", sd)?,
                min,
                max,
            },
            DistFile::Beta { alpha, beta } => {
                if min > 0.0 || max < 1.0 {
                    return Err(c.invalid(
                        spec.span(),
                        &format!("{field}.dist"),
                        "\"beta\"",
                        "a beta distribution lies on [0, 1], outside this trait's range",
                        format!("a distribution within {}", show_float_range(&range)),
                    ));
                }
                TraitDist::Beta {
                    alpha: positive("alpha", alpha)?,
                    beta: positive("beta", beta)?,
                }
            }
            DistFile::LogNormal { mu, sigma } => TraitDist::LogNormal {
                mu: check_float(mu, &(-50.0..=50.0))
                    .map_err(|problem| bad("mu", mu, problem, "-50 ..= 50".into()))?,
                sigma: non_negative("sigma", sigma)?,
                min,
                max,
            },
        },
    })
}

fn validate_network(
    c: &Checker,
    file: &ScenarioFile,
    agents: u32,
) -> Result<NetworkSpec, ScenarioError> {
    let net = &file.network;
    let kind = *net.kind.get_ref();
    let degree = || -> Result<u32, ScenarioError> {
        let d = net.degree.as_ref().ok_or_else(|| {
            c.invalid(
                net.kind.span(),
                "network.degree",
                "(missing)",
                "this network kind needs a degree",
                "network.degree = 1 ..= 1000",
            )
        })?;
        let value = c.int(d, "network.degree", DEGREE)?;
        if value >= i64::from(agents) {
            return Err(c.invalid(
                d.span(),
                "network.degree",
                value,
                &format!("is not below the number of agents ({agents})"),
                format!("1 ..= {}", agents - 1),
            ));
        }
        Ok(value as u32)
    };
    let unused = |v: &Option<Spanned<f64>>, key: &str| match v {
        Some(v) => Err(c.invalid(
            v.span(),
            &format!("network.{key}"),
            v.get_ref(),
            &format!("is not a parameter of network kind \"{}\"", kind.name()),
            "only the keys of the chosen kind (see docs/scenario-format.md)",
        )),
        None => Ok(()),
    };
    let required = |v: &Option<Spanned<f64>>, key: &str, range: RangeInclusive<f64>| match v {
        Some(v) => c.float(v, &format!("network.{key}"), range),
        None => Err(c.invalid(
            net.kind.span(),
            &format!("network.{key}"),
            "(missing)",
            &format!("network kind \"{}\" needs it", kind.name()),
            show_float_range(&range),
        )),
    };
    Ok(match kind {
        NetworkKind::Mixed => {
            if let Some(d) = &net.degree {
                return Err(c.invalid(
                    d.span(),
                    "network.degree",
                    d.get_ref(),
                    "a mixed network has no degree (everyone sees everyone)",
                    "no degree for kind = \"mixed\"",
                ));
            }
            unused(&net.rewire, "rewire")?;
            unused(&net.exponent, "exponent")?;
            NetworkSpec::Mixed
        }
        NetworkKind::Random => {
            unused(&net.rewire, "rewire")?;
            unused(&net.exponent, "exponent")?;
            NetworkSpec::Random { degree: degree()? }
        }
        NetworkKind::SmallWorld => {
            unused(&net.exponent, "exponent")?;
            let degree = degree()?;
            if degree % 2 != 0 {
                let span = net.degree.as_ref().map_or(0..0, |d| d.span());
                return Err(c.invalid(
                    span,
                    "network.degree",
                    degree,
                    "a ring lattice needs an even degree (half on each side)",
                    "an even number, 2 ..= 1000",
                ));
            }
            NetworkSpec::SmallWorld {
                degree,
                rewire: required(&net.rewire, "rewire", UNIT)?,
            }
        }
        NetworkKind::PowerLaw => {
            unused(&net.rewire, "rewire")?;
            NetworkSpec::PowerLaw {
                degree: degree()?,
                exponent: required(&net.exponent, "exponent", EXPONENT)?,
            }
        }
    })
}

fn validate_event(
    c: &Checker,
    e: &EventFile,
    i: usize,
    start: chrono::NaiveDate,
    names: &[String],
) -> Result<Event, ScenarioError> {
    let field = |key: &str| format!("events[{i}].{key}");
    let date = e.date.get_ref().0;
    let action_kind = *e.action.get_ref();
    let platform = |required: bool| -> Result<Option<usize>, ScenarioError> {
        match &e.platform {
            Some(p) => c.platform(names, p, &field("platform")).map(Some),
            None if required => Err(c.invalid(
                e.action.span(),
                &field("platform"),
                "(missing)",
                &format!("action \"{}\" needs a platform", action_kind.name()),
                names.join(", "),
            )),
            None => Ok(None),
        }
    };
    if let (Some(until), false) = (&e.until, action_kind == EventAction::Deadline) {
        return Err(c.invalid(
            until.span(),
            &field("until"),
            until.get_ref(),
            "only a `deadline` event takes an until date",
            "no until unless action = \"deadline\"",
        ));
    }
    let no_set_keys = || -> Result<(), ScenarioError> {
        if let Some(p) = &e.param {
            return Err(c.invalid(
                p.span(),
                &field("param"),
                format!("\"{}\"", p.get_ref()),
                "only a `set` event takes a param",
                "no param unless action = \"set\"",
            ));
        }
        if let Some(v) = &e.value {
            return Err(c.invalid(
                v.span(),
                &field("value"),
                v.get_ref(),
                "only a `set` event takes a value",
                "no value unless action = \"set\"",
            ));
        }
        Ok(())
    };
    let action = match action_kind {
        EventAction::Down
        | EventAction::Up
        | EventAction::StoreRemove
        | EventAction::StoreReturn
        | EventAction::Deadline => {
            no_set_keys()?;
            let k = platform(true)?.unwrap_or_default();
            match action_kind {
                EventAction::Down => Action::Down(k),
                EventAction::Up => Action::Up(k),
                EventAction::StoreRemove => Action::StoreRemove(k),
                EventAction::Deadline => {
                    let until = e.until.as_ref().ok_or_else(|| {
                        c.invalid(
                            e.action.span(),
                            &field("until"),
                            "(missing)",
                            "a `deadline` event needs the date the ban takes effect",
                            "until = YYYY-MM-DD",
                        )
                    })?;
                    Action::Deadline(k, (until.get_ref().0 - start).num_days())
                }
                _ => Action::StoreReturn(k),
            }
        }
        EventAction::Marker => {
            no_set_keys()?;
            Action::Marker(platform(false)?)
        }
        EventAction::News => {
            if let Some(p) = &e.param {
                return Err(c.invalid(
                    p.span(),
                    &field("param"),
                    format!("\"{}\"", p.get_ref()),
                    "a `news` event takes a value (attention boost), not a param",
                    "no param unless action = \"set\"",
                ));
            }
            // The platform, if given, is only for charts (the news is about it).
            platform(false)?;
            let value = e.value.as_ref().ok_or_else(|| {
                c.invalid(
                    e.action.span(),
                    &field("value"),
                    "(missing)",
                    "a `news` event needs its attention boost",
                    "0 ..= 100 (1 doubles attention on the event's day)",
                )
            })?;
            Action::News(c.float(value, &field("value"), NEWS_BOOST)?)
        }
        EventAction::Outage => {
            if let Some(p) = &e.param {
                return Err(c.invalid(
                    p.span(),
                    &field("param"),
                    format!("\"{}\"", p.get_ref()),
                    "an `outage` event takes a value (share of the day), not a param",
                    "no param unless action = \"set\"",
                ));
            }
            let k = platform(true)?.unwrap_or_default();
            let value = e.value.as_ref().ok_or_else(|| {
                c.invalid(
                    e.action.span(),
                    &field("value"),
                    "(missing)",
                    "an `outage` event needs the share of the day the platform is down",
                    "0.01 ..= 1 (e.g. 0.5 for 12 hours)",
                )
            })?;
            Action::Outage(k, c.float(value, &field("value"), 0.01..=1.0)?)
        }
        EventAction::Set => {
            let param_name = e.param.as_ref().ok_or_else(|| {
                c.invalid(
                    e.action.span(),
                    &field("param"),
                    "(missing)",
                    "a `set` event needs a param",
                    SET_PARAMS,
                )
            })?;
            let value = e.value.as_ref().ok_or_else(|| {
                c.invalid(
                    e.action.span(),
                    &field("value"),
                    "(missing)",
                    "a `set` event needs a value",
                    "a number in the parameter's range",
                )
            })?;
            let k = platform(false)?;
            let needs_platform = |param: fn(usize) -> Param| {
                k.map(param).ok_or_else(|| {
                    c.invalid(
                        param_name.span(),
                        &field("platform"),
                        "(missing)",
                        &format!("param \"{}\" belongs to a platform", param_name.get_ref()),
                        names.join(", "),
                    )
                })
            };
            let (param, range) = match param_name.get_ref().as_str() {
                "appeal" => (needs_platform(Param::Appeal)?, APPEAL),
                "innovation" => (needs_platform(Param::Innovation)?, BASS_COEFF),
                "imitation" => (needs_platform(Param::Imitation)?, BASS_COEFF),
                "stickiness" => (needs_platform(Param::Stickiness)?, STICKINESS),
                "secondary_use" => (needs_platform(Param::SecondaryUse)?, UNIT),
                "ban_probability" => (needs_platform(Param::BanProbability)?, UNIT),
                "protest_target" => (needs_platform(Param::ProtestTarget)?, UNIT),
                "language_barrier" => (needs_platform(Param::LanguageBarrier)?, UNIT),
                "monetisation" => (needs_platform(Param::Monetisation)?, UNIT),
                "newcomer_posts" => (needs_platform(Param::NewcomerPosts)?, POSTS),
                "peer_scale" => (Param::PeerScale, SCALE),
                "attention_scale" => (Param::AttentionScale, SCALE),
                other => {
                    return Err(c.invalid(
                        param_name.span(),
                        &field("param"),
                        format!("\"{other}\""),
                        "is not a parameter an event can set",
                        SET_PARAMS,
                    ));
                }
            };
            if param.platform().is_none() && k.is_some() {
                let span = e.platform.as_ref().map_or(0..0, |p| p.span());
                return Err(c.invalid(
                    span,
                    &field("platform"),
                    format!("\"{}\"", names[k.unwrap_or_default()]),
                    &format!(
                        "param \"{}\" is global, not per platform",
                        param_name.get_ref()
                    ),
                    "no platform for peer_scale or attention_scale",
                ));
            }
            Action::Set(param, c.float(value, &field("value"), range)?)
        }
    };
    Ok(Event {
        date,
        day: (date - start).num_days(),
        action,
        label: e.label.trim().to_string(),
        source: e.source.trim().to_string(),
    })
}

const SET_PARAMS: &str = "appeal, innovation, imitation, stickiness, secondary_use, ban_probability, \
protest_target, language_barrier, monetisation, newcomer_posts (with a platform), peer_scale, attention_scale";
