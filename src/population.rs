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

/// One per-agent trait.
#[derive(Debug, Clone, PartialEq)]
pub enum Trait {
    /// Every agent has this value.
    Const(f32),
    /// Agent i has value `v[i]`.
    PerAgent(Vec<f32>),
}

impl Trait {
    /// Value of agent `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> f32 {
        match self {
            Trait::Const(v) => *v,
            Trait::PerAgent(v) => v[i],
        }
    }

    /// Bytes held per agent.
    pub fn bytes_per_agent(&self) -> usize {
        match self {
            Trait::Const(_) => 0,
            Trait::PerAgent(_) => std::mem::size_of::<f32>(),
        }
    }
}

/// Agents' segments and traits (what does not change during a run).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Segment of each agent; empty when the scenario has one segment.
    pub segment: Vec<u8>,
    /// Daily probability of reconsidering.
    pub attention: Trait,
    /// Weight of contacts' shares in the logit utility.
    pub peer_weight: Trait,
}

/// What each agent uses and has installed when the run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialState {
    /// Platform index of each agent.
    pub platform: Vec<u8>,
    /// Installed set of each agent, bit k for platform k.
    pub installed: Vec<u32>,
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

/// The single value of a trait across all segments, if there is one.
fn uniform_value(segments: &[Segment], get: fn(&Segment) -> TraitDist) -> Option<f32> {
    let first = get(&segments[0]).constant()?;
    segments
        .iter()
        .all(|s| get(s).constant() == Some(first))
        .then_some(first as f32)
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
    let attention_const = uniform_value(segs, |s| s.attention);
    let peer_const = uniform_value(segs, |s| s.peer_weight);
    let attention_samplers: Vec<Sampler> = segs.iter().map(|s| Sampler::new(s.attention)).collect();
    let peer_samplers: Vec<Sampler> = segs.iter().map(|s| Sampler::new(s.peer_weight)).collect();

    let mut segment = vec![0u8; if segs.len() > 1 { n } else { 0 }];
    let mut attention = vec![0f32; if attention_const.is_none() { n } else { 0 }];
    let mut peer_weight = vec![0f32; if peer_const.is_none() { n } else { 0 }];
    let mut platform = vec![0u8; n];
    let mut installed = vec![0u32; n];

    // Split every array at the same chunk boundaries; empty arrays give empty slices.
    let chunks = n.div_ceil(CHUNK);
    let seg_chunks = split_chunks(&mut segment, chunks);
    let att_chunks = split_chunks(&mut attention, chunks);
    let peer_chunks = split_chunks(&mut peer_weight, chunks);
    let plat_chunks = split_chunks(&mut platform, chunks);
    let inst_chunks = split_chunks(&mut installed, chunks);

    seg_chunks
        .into_par_iter()
        .zip(att_chunks)
        .zip(peer_chunks)
        .zip(plat_chunks)
        .zip(inst_chunks)
        .enumerate()
        .for_each(|(c, ((((seg, att), peer), plat), inst))| {
            let mut rng = stream(params.seed, replicate, Purpose::Population, 0, c as u64);
            for j in 0..plat.len() {
                let s = if segs.len() > 1 {
                    let s = categorical(&shares, rng.random::<f64>());
                    seg[j] = s as u8;
                    s
                } else {
                    0
                };
                if !att.is_empty() {
                    att[j] = attention_samplers[s].sample(&mut rng);
                }
                if !peer.is_empty() {
                    peer[j] = peer_samplers[s].sample(&mut rng);
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

    let as_trait = |constant: Option<f32>, values: Vec<f32>| match constant {
        Some(v) => Trait::Const(v),
        None => Trait::PerAgent(values),
    };
    (
        Population {
            segment,
            attention: as_trait(attention_const, attention),
            peer_weight: as_trait(peer_const, peer_weight),
        },
        InitialState {
            platform,
            installed,
        },
    )
}

/// Splits `v` into `chunks` pieces of CHUNK elements (the last shorter); an empty `v` gives
/// `chunks` empty pieces, so arrays that are not stored still zip with those that are.
fn split_chunks<T>(v: &mut [T], chunks: usize) -> Vec<&mut [T]> {
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
    fn split_keeps_empty_arrays_in_step() {
        let mut empty: Vec<u8> = Vec::new();
        assert_eq!(split_chunks(&mut empty, 3).len(), 3);
        let mut full = vec![0u8; CHUNK * 2 + 1];
        assert_eq!(split_chunks(&mut full, 3).len(), 3);
    }
}
