//! The population: each agent's segment, traits and starting state, as struct-of-arrays.
//!
//! A trait that is the same for every agent is stored once (`Trait::Const`), so a homogeneous
//! population like R1's costs no memory per agent for it. Draws are made in fixed chunks of
//! agents, each from its own stream (seed, replicate, Population, chunk): the population
//! depends on the seed only, never on the thread count.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, LogNormal, Normal};
use rayon::prelude::*;

use crate::rng::{CHUNK, Purpose, stream};
use crate::scenario::params::{Params, Segment, TraitDist};

/// The per-agent traits, in the order of `Population::traits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraitId {
    /// Daily probability of reconsidering.
    Attention,
    /// Weight of contacts' shares in the logit utility.
    PeerWeight,
    /// Weight of perceived ban risk (utility lost per unit of risk).
    RiskSensitivity,
    /// Weight of protest at full salience.
    Protest,
    /// Weight of aversion to the protested owner.
    OwnerAversion,
    /// Weight of the language barrier.
    LanguageSensitivity,
    /// Weight of monetisation.
    IncomeWeight,
    /// Opens of the main app per day (daily use).
    DailyOpens,
}

impl TraitId {
    pub const ALL: [TraitId; 8] = [
        TraitId::Attention,
        TraitId::PeerWeight,
        TraitId::RiskSensitivity,
        TraitId::Protest,
        TraitId::OwnerAversion,
        TraitId::LanguageSensitivity,
        TraitId::IncomeWeight,
        TraitId::DailyOpens,
    ];

    /// This trait's distribution in segment `s`.
    pub fn dist(self, s: &Segment) -> TraitDist {
        match self {
            TraitId::Attention => s.attention,
            TraitId::PeerWeight => s.peer_weight,
            TraitId::RiskSensitivity => s.risk_sensitivity,
            TraitId::Protest => s.protest,
            TraitId::OwnerAversion => s.owner_aversion,
            TraitId::LanguageSensitivity => s.language_sensitivity,
            TraitId::IncomeWeight => s.income_weight,
            TraitId::DailyOpens => s.daily_opens,
        }
    }
}

/// One per-agent trait, stored as compactly as its distribution allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Trait {
    /// Every agent has this value.
    Const(f32),
    /// Every agent of segment s has value `v[s]`.
    BySegment(Vec<f32>),
    /// Agent i has value `v[i]`.
    PerAgent(Vec<f32>),
}

impl Trait {
    /// Value of agent `i`, of segment `seg`.
    #[inline(always)]
    pub fn get(&self, i: usize, seg: usize) -> f32 {
        match self {
            Trait::Const(v) => *v,
            Trait::BySegment(v) => v[seg],
            Trait::PerAgent(v) => v[i],
        }
    }

    /// The value shared by all agents of segment `seg`, unless it varies between agents.
    pub fn segment_value(&self, seg: usize) -> Option<f32> {
        match self {
            Trait::Const(v) => Some(*v),
            Trait::BySegment(v) => Some(v[seg]),
            Trait::PerAgent(_) => None,
        }
    }

    /// True if every agent's value is 0 (the trait plays no part).
    pub fn is_zero(&self) -> bool {
        matches!(self, Trait::Const(v) if *v == 0.0)
    }

    /// How `id` is stored for the segments of `params`: once, per segment, or per agent.
    pub fn storage(params: &Params, id: TraitId) -> TraitStorage {
        // Daily opens are neither drawn nor stored unless daily use is on: with it off, a
        // scenario's population is the same whatever its daily_opens say.
        if id == TraitId::DailyOpens && !params.mechanisms.daily_use {
            return TraitStorage::Const(0.0);
        }
        let values: Option<Vec<f64>> = params
            .segments
            .iter()
            .map(|s| id.dist(s).constant())
            .collect();
        match values {
            Some(v) if v.iter().all(|&x| x == v[0]) => TraitStorage::Const(v[0] as f32),
            Some(v) => TraitStorage::BySegment(v.iter().map(|&x| x as f32).collect()),
            None => TraitStorage::PerAgent,
        }
    }
}

/// How a trait will be stored (decided from the parameters alone, before drawing).
#[derive(Debug, Clone, PartialEq)]
pub enum TraitStorage {
    Const(f32),
    BySegment(Vec<f32>),
    PerAgent,
}

/// Agents' segments and traits (what does not change during a run).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Segment of each agent; empty when the scenario has one segment.
    pub segment: Vec<u8>,
    /// Traits indexed by `TraitId as usize`.
    pub traits: Vec<Trait>,
}

impl Population {
    /// Segment of agent `i`.
    #[inline(always)]
    pub fn segment_of(&self, i: usize) -> usize {
        if self.segment.is_empty() {
            0
        } else {
            self.segment[i] as usize
        }
    }

    /// Trait `id`.
    #[inline(always)]
    pub fn get(&self, id: TraitId) -> &Trait {
        &self.traits[id as usize]
    }
}

/// What each agent uses and has installed when the run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialState {
    /// Platform index of each agent.
    pub platform: Vec<u8>,
    /// Installed set of each agent, bit k for platform k.
    pub installed: Vec<u32>,
    /// Each agent's trial (`[mechanisms] trials`); empty when nobody is trying anything yet.
    pub trials: Vec<Trial>,
    /// Buzz B at the start of day 0 (`[mechanisms] buzz`): 0, or what a burn-in left.
    pub buzz: f64,
}

/// What an agent is trying beside its main app (`[mechanisms] trials`), and what it has ever
/// tried. 8 bytes per agent, allocated only when trials are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trial {
    /// The platform being tried (bits 0-5), `Trial::NONE` when none; bit 6 set when it is the
    /// former main app on probation (`[mechanisms] probation`); bit 7 set when the trial
    /// installed it, so that dropping it uninstalls it.
    app: u8,
    /// Days since the trial began, 0 on its first day, saturating at 255.
    pub age: u8,
    /// Platforms it has tried or installed in the run, bit k for platform k.
    pub ever: u32,
    /// Whether it is in the followed cohort (`[outputs] cohort`): it first tried or installed
    /// the cohort's platform on one of the cohort's days (in padding: the struct stays 8 bytes).
    pub cohort: bool,
}

impl Trial {
    const NONE: u8 = 0x3f;
    const PROBATION: u8 = 0x40;
    const INSTALLED_IT: u8 = 0x80;

    /// Trying nothing, having tried nothing.
    pub const IDLE: Trial = Trial {
        app: Trial::NONE,
        age: 0,
        ever: 0,
        cohort: false,
    };

    /// The platform being tried or on probation, if any.
    #[inline(always)]
    pub fn platform(self) -> Option<usize> {
        let p = self.app & Trial::NONE;
        (p != Trial::NONE).then_some(usize::from(p))
    }

    /// The platform being tried beside the main app, if any (not a former main app on
    /// probation).
    #[inline(always)]
    pub fn trying(self) -> Option<usize> {
        if self.probation() {
            None
        } else {
            self.platform()
        }
    }

    /// Whether the trial is a probation: `platform` is the former main app, kept installed and
    /// reviewed against the new one.
    #[inline(always)]
    pub fn probation(self) -> bool {
        self.app & Trial::PROBATION != 0
    }

    /// Whether the trial installed its app (dropping it then uninstalls it).
    #[inline(always)]
    pub fn installed_it(self) -> bool {
        self.app & Trial::INSTALLED_IT != 0
    }

    /// Begins trying `platform` today; `installed_it` if the agent had to install it.
    #[inline(always)]
    pub fn begin(&mut self, platform: usize, installed_it: bool) {
        self.app = platform as u8 | if installed_it { Trial::INSTALLED_IT } else { 0 };
        self.age = 0;
    }

    /// Puts the former main app `platform` on probation today: reviewed like a trial, against
    /// the new main app, and kept installed if the agent stays.
    #[inline(always)]
    pub fn begin_probation(&mut self, platform: usize) {
        self.app = platform as u8 | Trial::PROBATION;
        self.age = 0;
    }

    /// Ends the trial (kept as main app, or dropped).
    #[inline(always)]
    pub fn end(&mut self) {
        self.app = Trial::NONE;
        self.age = 0;
    }

    /// Records that the agent tried or installed `platform`; true the first time.
    #[inline(always)]
    pub fn note_tried(&mut self, platform: usize) -> bool {
        let first = self.ever & (1 << platform) == 0;
        self.ever |= 1 << platform;
        first
    }
}

/// A distribution ready to sample, built once per segment and trait.
enum Sampler {
    Const(f64),
    Uniform(f64, f64),
    Normal(Normal<f64>, f64, f64),
    Beta(Beta<f64>),
    LogNormal(LogNormal<f64>, f64, f64),
}

impl Sampler {
    fn new(d: TraitDist) -> Sampler {
        // Parameters were validated, so the constructors succeed; a point mass is the fallback.
        match d {
            TraitDist::Constant(v) => Sampler::Const(v),
            TraitDist::Uniform { low, high } => Sampler::Uniform(low, high),
            TraitDist::Normal { mean, sd, min, max } => Normal::new(mean, sd)
                .map_or(Sampler::Const(mean.clamp(min, max)), |n| {
                    Sampler::Normal(n, min, max)
                }),
            TraitDist::Beta { alpha, beta } => {
                Beta::new(alpha, beta).map_or(Sampler::Const(alpha / (alpha + beta)), Sampler::Beta)
            }
            TraitDist::LogNormal {
                mu,
                sigma,
                min,
                max,
            } => LogNormal::new(mu, sigma).map_or(Sampler::Const(mu.exp().clamp(min, max)), |l| {
                Sampler::LogNormal(l, min, max)
            }),
        }
    }

    fn sample<R: Rng>(&self, rng: &mut R) -> f32 {
        (match self {
            Sampler::Const(v) => *v,
            Sampler::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            Sampler::Normal(n, lo, hi) => n.sample(rng).clamp(*lo, *hi),
            Sampler::Beta(b) => b.sample(rng),
            Sampler::LogNormal(l, lo, hi) => l.sample(rng).clamp(*lo, *hi),
        }) as f32
    }
}

/// Index of the first cumulative weight above `u` (u in [0, 1)); the last index if rounding
/// leaves `u` above the total.
#[inline]
fn categorical(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (k, &w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return k;
        }
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Draws the population and its initial state for replicate `replicate`.
pub fn draw(params: &Params, replicate: u32) -> (Population, InitialState) {
    let n = params.agents as usize;
    let segs = &params.segments;
    let shares: Vec<f64> = segs.iter().map(|s| s.share).collect();
    let storage: Vec<TraitStorage> = TraitId::ALL
        .iter()
        .map(|&id| Trait::storage(params, id))
        .collect();
    // Traits drawn agent by agent, with one sampler per segment each.
    let drawn: Vec<(usize, Vec<Sampler>)> = TraitId::ALL
        .iter()
        .enumerate()
        .filter(|(t, _)| storage[*t] == TraitStorage::PerAgent)
        .map(|(t, &id)| (t, segs.iter().map(|s| Sampler::new(id.dist(s))).collect()))
        .collect();

    let mut segment = vec![0u8; if segs.len() > 1 { n } else { 0 }];
    let mut values: Vec<Vec<f32>> = drawn.iter().map(|_| vec![0f32; n]).collect();
    let mut platform = vec![0u8; n];
    let mut installed = vec![0u32; n];
    crate::memory::advise_huge_pages(&mut segment);
    crate::memory::advise_huge_pages(&mut platform);
    crate::memory::advise_huge_pages(&mut installed);
    for v in values.iter_mut() {
        crate::memory::advise_huge_pages(v);
    }

    // Split every array at the same chunk boundaries; empty arrays give empty slices.
    let chunks = n.div_ceil(CHUNK);
    let seg_chunks = split_chunks(&mut segment, chunks);
    let mut value_chunks: Vec<Vec<&mut [f32]>> = (0..chunks).map(|_| Vec::new()).collect();
    for v in values.iter_mut() {
        for (c, piece) in split_chunks(v, chunks).into_iter().enumerate() {
            value_chunks[c].push(piece);
        }
    }
    let plat_chunks = split_chunks(&mut platform, chunks);
    let inst_chunks = split_chunks(&mut installed, chunks);

    seg_chunks
        .into_par_iter()
        .zip(value_chunks)
        .zip(plat_chunks)
        .zip(inst_chunks)
        .enumerate()
        .for_each(|(c, (((seg, mut vals), plat), inst))| {
            let mut rng = stream(params.seed, replicate, Purpose::Population, 0, c as u64);
            for j in 0..plat.len() {
                let s = if segs.len() > 1 {
                    let s = categorical(&shares, rng.random::<f64>());
                    seg[j] = s as u8;
                    s
                } else {
                    0
                };
                for ((_, samplers), out) in drawn.iter().zip(vals.iter_mut()) {
                    out[j] = samplers[s].sample(&mut rng);
                }
                let k = categorical(&segs[s].initial, rng.random::<f64>());
                plat[j] = k as u8;
                let mut mask = 1u32 << k;
                for (other, &p) in segs[s].also_installed.iter().enumerate() {
                    if p > 0.0 && rng.random::<f64>() < p {
                        mask |= 1 << other;
                    }
                }
                inst[j] = mask;
            }
        });

    let mut values = values.into_iter();
    let traits = storage
        .into_iter()
        .map(|st| match st {
            TraitStorage::Const(v) => Trait::Const(v),
            TraitStorage::BySegment(v) => Trait::BySegment(v),
            TraitStorage::PerAgent => Trait::PerAgent(values.next().unwrap_or_default()),
        })
        .collect();
    (
        Population { segment, traits },
        InitialState {
            trials: Vec::new(),
            platform,
            installed,
            buzz: 0.0,
        },
    )
}

/// Splits `v` into `chunks` pieces of CHUNK elements (the last shorter); an empty `v` gives
/// `chunks` empty pieces, so arrays that are not stored still zip with those that are.
pub(crate) fn split_chunks<T>(v: &mut [T], chunks: usize) -> Vec<&mut [T]> {
    if v.is_empty() {
        return (0..chunks).map(|_| <&mut [T]>::default()).collect();
    }
    v.chunks_mut(CHUNK).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_picks_by_cumulative_weight() {
        let w = [0.2, 0.0, 0.8];
        assert_eq!(categorical(&w, 0.0), 0);
        assert_eq!(categorical(&w, 0.19), 0);
        assert_eq!(categorical(&w, 0.2), 2);
        assert_eq!(categorical(&w, 0.999_999_9), 2);
        // Rounding above the total falls on the last platform with weight.
        assert_eq!(categorical(&[0.5, 0.5 - 1e-9, 0.0], 0.999_999_999_9), 1);
    }

    #[test]
    fn a_trial_packs_its_app_and_whether_it_installed_it() {
        assert_eq!(std::mem::size_of::<Trial>(), 8);
        let mut t = Trial::IDLE;
        assert_eq!(t.platform(), None);
        t.begin(31, true);
        assert_eq!((t.platform(), t.installed_it(), t.age), (Some(31), true, 0));
        t.begin(0, false);
        assert_eq!((t.platform(), t.installed_it()), (Some(0), false));
        assert!(!t.probation() && t.trying() == Some(0));
        t.begin_probation(31);
        assert_eq!(
            (t.platform(), t.trying(), t.installed_it()),
            (Some(31), None, false)
        );
        assert!(t.probation());
        t.begin(5, true);
        assert!(!t.probation() && t.trying() == Some(5));
        assert!(t.note_tried(3) && !t.note_tried(3) && t.note_tried(31));
        t.end();
        assert_eq!(t.platform(), None);
        assert_eq!(t.ever, (1 << 3) | (1 << 31));
    }

    #[test]
    fn split_keeps_empty_arrays_in_step() {
        let mut empty: Vec<u8> = Vec::new();
        assert_eq!(split_chunks(&mut empty, 3).len(), 3);
        let mut full = vec![0u8; CHUNK * 2 + 1];
        assert_eq!(split_chunks(&mut full, 3).len(), 3);
    }
}
