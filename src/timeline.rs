//! The timeline: dated events -> what the world is like on each simulated day.
//!
//! Computed once before a run, so the daily loop reads plain data (`DayConditions`): bit masks
//! of platforms in service and in the app stores, each platform's parameters that day, and the
//! mechanism features derived from the timeline (perceived ban risk, ban salience). An event
//! dated day d applies from day d on; events before the start apply from day 0; events after the
//! end change nothing.
//!
//! Ban anticipation (docs/MODEL.md, "Anticipation"): platform k's perceived risk on day t is
//!   risk_k(t) = ban_probability_k(t) x exp(-max(0, deadline_k - t) / anticipation_days)
//! with deadline_k the `until` date of the latest `deadline` event for k known by day t (no
//! deadline known: no risk). Ban salience, which drives protest, rises with the highest risk
//! among platforms still in service and fades with a half-life once it falls (or once a ban is
//! in force and the platform is down):
//!   S(t) = max(max_{k up} risk_k(t), S(t-1) x 2^(-1 / half_life)).

use crate::scenario::params::{Action, Param, Params};

/// The state of the world on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayConditions {
    /// Bit k set: platform k is in service (its users can use it).
    pub up: u32,
    /// Bit k set: platform k can be installed from the app stores.
    pub in_store: u32,
    /// Logit appeal of each platform.
    pub appeal: Vec<f32>,
    /// Bass innovation p of each platform (per day).
    pub innovation: Vec<f32>,
    /// Bass imitation q of each platform (per day).
    pub imitation: Vec<f32>,
    /// Multiplier of every agent's peer weight.
    pub peer_scale: f32,
    /// Multiplier of every agent's attention (products above 1 count as 1).
    pub attention_scale: f32,
    /// Utility bonus for keeping each platform as main app (0 if the mechanism is off).
    pub stickiness: Vec<f32>,
    /// Daily use probability of each platform when installed but not main.
    pub secondary_use: Vec<f32>,
    /// Perceived ban risk of each platform (0 if anticipation is off).
    pub risk: Vec<f32>,
    /// Protest pull of each platform: protest_target x salience (0 if protest is off).
    pub protest: Vec<f32>,
    /// 1 for platforms of the protested owner (0 if protest is off).
    pub owned: Vec<f32>,
    /// Language barrier of each platform (0 if the mechanism is off).
    pub language: Vec<f32>,
    /// Monetisation of each platform (0 if the mechanism is off).
    pub income: Vec<f32>,
    /// Ban salience S(t), 0 to 1.
    pub salience: f32,
    /// Posts each newcomer makes on arrival, per platform (for the derived output).
    pub newcomer_posts: Vec<f32>,
    /// Share of this day each platform is down for (partial outages; 0 = none).
    pub outage: Vec<f32>,
}

impl DayConditions {
    /// Platforms an agent with installed set `installed` can use or install today.
    #[inline]
    pub fn usable(&self, installed: u32) -> u32 {
        self.up & (installed | self.in_store)
    }
}

/// Platform parameters that events change, before mechanism switches apply.
#[derive(Debug, Clone)]
struct Raw {
    stickiness: Vec<f32>,
    ban_probability: Vec<f32>,
    protest_target: Vec<f32>,
    language: Vec<f32>,
    income: Vec<f32>,
    deadline: Vec<Option<i64>>,
}

/// Conditions for every day of the run, indexed by day.
pub fn conditions(params: &Params) -> Vec<DayConditions> {
    let k = params.platforms.len();
    let m = &params.mechanisms;
    let all = if k == 32 { u32::MAX } else { (1u32 << k) - 1 };
    let per = |f: fn(&crate::scenario::params::Platform) -> f64| -> Vec<f32> {
        params.platforms.iter().map(|p| f(p) as f32).collect()
    };
    let owned: Vec<f32> = params
        .platforms
        .iter()
        .map(|p| {
            f32::from(u8::from(
                m.protest && m.against_owner.as_deref() == Some(p.owner.as_str()),
            ))
        })
        .collect();
    let mut today = DayConditions {
        up: all,
        in_store: all,
        appeal: per(|p| p.appeal),
        innovation: per(|p| p.innovation),
        imitation: per(|p| p.imitation),
        peer_scale: 1.0,
        attention_scale: 1.0,
        stickiness: vec![0.0; k],
        secondary_use: per(|p| p.secondary_use),
        risk: vec![0.0; k],
        protest: vec![0.0; k],
        owned,
        language: vec![0.0; k],
        income: vec![0.0; k],
        salience: 0.0,
        newcomer_posts: per(|p| p.newcomer_posts),
        outage: vec![0.0; k],
    };
    let mut raw = Raw {
        stickiness: per(|p| p.stickiness),
        ban_probability: per(|p| p.ban_probability),
        protest_target: per(|p| p.protest_target),
        language: per(|p| p.language_barrier),
        income: per(|p| p.monetisation),
        deadline: vec![None; k],
    };
    let fade = 0.5f64.powf(1.0 / m.salience_half_life_days) as f32;
    // News events so far (day, boost) and the attention scale `set` gave.
    let mut news: Vec<(i64, f64)> = Vec::new();
    let mut set_attention = 1f32;
    let mut salience = 0f32;
    let mut events = params.events.iter().peekable();
    (0..i64::from(params.days))
        .map(|day| {
            today.outage.iter_mut().for_each(|x| *x = 0.0);
            while let Some(e) = events.next_if(|e| e.day <= day) {
                // An outage lasts only its own day; one dated before the start is over.
                if e.day == day || !matches!(e.action, Action::Outage(..)) {
                    apply(&mut today, &mut raw, e.action);
                }
                if let Action::News(boost) = e.action {
                    news.push((e.day, boost));
                }
                if let Action::Set(Param::AttentionScale, v) = e.action {
                    set_attention = v as f32;
                }
            }
            // News raise attention: scale x (1 + sum of boost x exp(-days since / news_days)).
            if m.news && !news.is_empty() {
                let lift: f64 = news
                    .iter()
                    .map(|&(d, b)| b * (-((day - d) as f64) / m.news_days).exp())
                    .sum();
                today.attention_scale = set_attention * (1.0 + lift) as f32;
            }
            // Perceived risk drives salience (protest) whether or not the anticipation term
            // itself is on; the switch only removes risk from the utility.
            let mut peak = 0f32;
            for j in 0..k {
                let risk = match raw.deadline[j] {
                    Some(d) => {
                        let ahead = (d - day).max(0) as f64;
                        raw.ban_probability[j] * (-ahead / m.anticipation_days).exp() as f32
                    }
                    None => 0.0,
                };
                // A ban in force is no longer a threat: salience then fades with its half-life.
                if today.up & (1 << j) != 0 {
                    peak = peak.max(risk);
                }
                today.risk[j] = if m.anticipation { risk } else { 0.0 };
            }
            salience = peak.max(salience * fade);
            today.salience = salience;
            for j in 0..k {
                today.protest[j] = if m.protest {
                    raw.protest_target[j] * salience
                } else {
                    0.0
                };
                today.language[j] = if m.language { raw.language[j] } else { 0.0 };
                today.income[j] = if m.income { raw.income[j] } else { 0.0 };
                today.stickiness[j] = if m.stickiness { raw.stickiness[j] } else { 0.0 };
            }
            today.clone()
        })
        .collect()
}

/// Buzz (`[mechanisms] buzz`, ODD §7.7b): B(t) = B(t-1) exp(-1 / buzz_days) + buzz_gain x the
/// share of the population that installed an app on day t-1; attention is multiplied by
/// 1 + B(t). It depends on the run's own installs, so the engine (and the drivers output)
/// carry it day by day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buzz {
    level: f64,
    fade: f64,
    gain: f64,
    on: bool,
}

impl Buzz {
    pub fn new(m: &crate::scenario::params::Mechanisms) -> Buzz {
        Buzz {
            level: 0.0,
            fade: (-1.0 / m.buzz_days).exp(),
            gain: m.buzz_gain,
            on: m.buzz,
        }
    }

    /// B(t) for the coming day (0 when buzz is off).
    pub fn level(&self) -> f64 {
        if self.on { self.level } else { 0.0 }
    }

    /// Ends a day on which `installed_share` of the population installed an app.
    pub fn add_day(&mut self, installed_share: f64) {
        self.level = self.level * self.fade + self.gain * installed_share;
    }

    /// Buzz starting from `level` (what a burn-in left).
    pub fn starting_at(mut self, level: f64) -> Buzz {
        self.level = level;
        self
    }

    /// Ends a step of `days` days (a burn-in's sped-up step) over which `installed_share` of
    /// the population installed an app, at an even rate: exactly `days` calls of `add_day`
    /// with a `days`-th of it each, B ← B fade^days + gain (share / days) Σ_{j<days} fade^j.
    pub fn add_days(&mut self, installed_share: f64, days: u32) {
        let per_day = installed_share / f64::from(days);
        for _ in 0..days {
            self.add_day(per_day);
        }
    }
}

fn apply(c: &mut DayConditions, raw: &mut Raw, action: Action) {
    match action {
        Action::Down(k) => c.up &= !(1 << k),
        Action::Up(k) => c.up |= 1 << k,
        Action::StoreRemove(k) => c.in_store &= !(1 << k),
        Action::StoreReturn(k) => c.in_store |= 1 << k,
        Action::Deadline(k, until) => raw.deadline[k] = Some(until),
        Action::Outage(k, share) => c.outage[k] = share as f32,
        Action::Set(param, v) => {
            let v = v as f32;
            match param {
                Param::Appeal(k) => c.appeal[k] = v,
                Param::Innovation(k) => c.innovation[k] = v,
                Param::Imitation(k) => c.imitation[k] = v,
                Param::Stickiness(k) => raw.stickiness[k] = v,
                Param::SecondaryUse(k) => c.secondary_use[k] = v,
                Param::BanProbability(k) => raw.ban_probability[k] = v,
                Param::ProtestTarget(k) => raw.protest_target[k] = v,
                Param::LanguageBarrier(k) => raw.language[k] = v,
                Param::Monetisation(k) => raw.income[k] = v,
                Param::NewcomerPosts(k) => c.newcomer_posts[k] = v,
                Param::PeerScale => c.peer_scale = v,
                Param::AttentionScale => c.attention_scale = v,
            }
        }
        Action::Marker(_) | Action::News(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, Overrides};

    fn scenario(extra: &str) -> Params {
        let text = format!(
            r#"[meta]
name = "t"
start = 2025-01-01
days = 40
[population]
people = 100
agents = 100
[[population.segments]]
name = "all"
share = 1.0
initial = {{ A = 1.0 }}
attention = 0.1
[network]
kind = "mixed"
[choice]
rule = "logit"
[[platforms]]
name = "A"
ban_probability = 0.5
[[platforms]]
name = "B"
protest_target = 1.0
{extra}"#
        );
        scenario::parse(&text, std::path::Path::new("t.toml"), &Overrides::default())
            .unwrap()
            .params
    }

    #[test]
    fn risk_rises_toward_the_deadline_and_salience_fades_after() {
        let p = scenario(
            "[mechanisms]\nanticipation_days = 5\nsalience_half_life_days = 10\n\
             [[events]]\ndate = 2024-12-01\naction = \"deadline\"\nplatform = \"A\"\nuntil = 2025-01-21\n\
             [[events]]\ndate = 2025-01-22\naction = \"set\"\nplatform = \"A\"\nparam = \"ban_probability\"\nvalue = 0.0\n",
        );
        let c = conditions(&p);
        // Known before the start: the risk grows as exp(-(20 - t) / 5) toward day 20.
        assert!(
            (c[0].risk[0] - 0.5 * (-4.0f32).exp()).abs() < 1e-6,
            "{}",
            c[0].risk[0]
        );
        assert!((c[15].risk[0] - 0.5 * (-1.0f32).exp()).abs() < 1e-6);
        assert!((c[20].risk[0] - 0.5).abs() < 1e-6);
        assert!((c[21].risk[0]).abs() < 1e-6, "probability set to 0 after");
        assert!((c[20].salience - 0.5).abs() < 1e-6);
        assert!(
            (c[30].salience - 0.25).abs() < 1e-3,
            "one half-life later: {}",
            c[30].salience
        );
        assert!((c[30].protest[1] - c[30].salience).abs() < 1e-6);
    }

    #[test]
    fn switched_off_mechanisms_give_zero_features() {
        // Anticipation off removes the risk term but not the salience that drives protest.
        let p = scenario(
            "[mechanisms]\nanticipation = false\n\
             [[events]]\ndate = 2025-01-01\naction = \"deadline\"\nplatform = \"A\"\nuntil = 2025-01-10\n",
        );
        let c = conditions(&p);
        assert!(c.iter().all(|d| d.risk.iter().all(|&r| r == 0.0)));
        assert!(c[9].protest[1] > 0.4);
        let p = scenario(
            "[mechanisms]\nanticipation = false\nprotest = false\n\
             [[events]]\ndate = 2025-01-01\naction = \"deadline\"\nplatform = \"A\"\nuntil = 2025-01-10\n",
        );
        let c = conditions(&p);
        assert!(
            c.iter()
                .all(|d| d.risk.iter().all(|&r| r == 0.0) && d.protest[1] == 0.0)
        );
    }
}
