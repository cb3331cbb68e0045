//! The hand-written R1 loop: a single-purpose Rust + rayon implementation of the reference
//! model (docs/reference-model-R1.md) with every constant built in, as a fast programmer would
//! write it for this one model. `exodus bench --baseline` runs it beside the engine, on the same
//! machine at the same time, so the engine's cost of generality is measured, not guessed.
//!
//! It uses the same memory layout and tricks as the engine (u8 platforms double-buffered, u32
//! contacts without offsets, chunks of `CHUNK` agents, a first pass that settles agents who keep
//! their platform and a second that prefetches the contacts of those who reconsider) but draws
//! from one SplitMix64 stream per (day, chunk) and hard-codes K = 4, D = 10 and the utilities.
//! Its random numbers differ from the engine's, so its counts agree with exodus's R1 in
//! distribution, not digit for digit (tests/bench.rs checks they agree).

use std::time::Instant;

use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::SplitMix64;
use rayon::prelude::*;

use crate::engine::{count_platforms, prefetch};
use crate::rng::{CHUNK, mix};

/// R1's platforms.
const K: usize = 4;
/// R1's out-degree.
const D: usize = 10;
/// R1's days.
pub const DAYS: usize = 120;
/// R1's base appeal of each platform.
const APPEAL: [f32; K] = [2.0, 0.0, -0.5, 0.5];
/// R1's peer weight.
const PEER_WEIGHT: f32 = 3.0;
/// R1's daily probability of reconsidering.
const ATTENTION: f64 = 0.1;

/// What one run of the loop measured and produced.
#[derive(Debug, Clone)]
pub struct BaselineRun {
    /// Seconds to build the network.
    pub network_seconds: f64,
    /// Seconds for the 120 days, network excluded.
    pub simulate_seconds: Vec<f64>,
    /// Agents on each platform after each day (DAYS x K).
    pub counts: Vec<[u64; K]>,
}

/// Builds R1's network over `agents` agents (at least 2) with `seed`, then runs the 120 days
/// `repeats` times (at least once), in the current rayon pool.
pub fn run(agents: usize, seed: u64, repeats: u32) -> BaselineRun {
    let t0 = Instant::now();
    let mut contacts = vec![0u32; agents * D];
    contacts
        .par_chunks_mut(CHUNK * D)
        .enumerate()
        .for_each(|(c, rows)| {
            let mut rng = SplitMix64::seed_from_u64(mix(seed ^ mix(c as u64)));
            for (j, row) in rows.chunks_mut(D).enumerate() {
                let i = c * CHUNK + j;
                for slot in row {
                    let x = rng.random_range(0..(agents - 1) as u32);
                    *slot = if x as usize >= i { x + 1 } else { x };
                }
            }
        });
    let network_seconds = t0.elapsed().as_secs_f64();
    let mut simulate_seconds = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..repeats.max(1) {
        let t1 = Instant::now();
        counts = days(&contacts, agents, seed);
        simulate_seconds.push(t1.elapsed().as_secs_f64());
    }
    BaselineRun {
        network_seconds,
        simulate_seconds,
        counts,
    }
}

/// The 120 days from everyone on platform 0.
fn days(contacts: &[u32], agents: usize, seed: u64) -> Vec<[u64; K]> {
    let mut prev = vec![0u8; agents];
    let mut next = vec![0u8; agents];
    let threshold = (ATTENTION * 2f64.powi(32)) as u32;
    let mut out = Vec::with_capacity(DAYS);
    for t in 0..DAYS {
        // R1: platform 0 is unavailable on days 7 and 8.
        let zero_up = !(t == 7 || t == 8);
        let prev_ref = &prev;
        let day_counts = next
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map_init(
                || Vec::<(u32, f32)>::with_capacity(CHUNK),
                |queue, (c, out)| {
                    let first = c * CHUNK;
                    let mut rng = SplitMix64::seed_from_u64(mix(seed ^ mix((t << 32 | c) as u64)));
                    queue.clear();
                    for (j, slot) in out.iter_mut().enumerate() {
                        let cur = prev_ref[first + j];
                        *slot = cur;
                        let r = rng.next_u64();
                        if (cur == 0 && !zero_up) || (r as u32) < threshold {
                            let u = (r >> 40) as f32 * (1.0 / (1u32 << 24) as f32);
                            queue.push((j as u32, u));
                        }
                    }
                    for q in 0..queue.len() {
                        if let Some(&(j, _)) = queue.get(q + 16) {
                            let i = first + j as usize;
                            prefetch(&raw const contacts[i * D]);
                            prefetch(&raw const contacts[i * D + D - 1]);
                        }
                        if let Some(&(j, _)) = queue.get(q + 8) {
                            let i = first + j as usize;
                            for &nb in &contacts[i * D..(i + 1) * D] {
                                prefetch(&raw const prev_ref[nb as usize]);
                            }
                        }
                        let (j, u) = queue[q];
                        let i = first + j as usize;
                        let mut packed = 0u64;
                        for &nb in &contacts[i * D..(i + 1) * D] {
                            packed += 1 << (16 * u64::from(prev_ref[nb as usize]));
                        }
                        let mut w = [0f32; K];
                        let mut total = 0.0;
                        for k in usize::from(!zero_up)..K {
                            let share = f32::from((packed >> (16 * k)) as u16) / D as f32;
                            w[k] = (APPEAL[k] + PEER_WEIGHT * share).exp();
                            total += w[k];
                        }
                        let target = u * total;
                        let mut acc = 0.0;
                        let mut chosen = K - 1;
                        for (k, &wk) in w.iter().enumerate() {
                            acc += wk;
                            if wk > 0.0 && target < acc {
                                chosen = k;
                                break;
                            }
                        }
                        out[j as usize] = chosen as u8;
                    }
                    let mut n = [0u64; K];
                    count_platforms(out, &mut n);
                    n
                },
            )
            .reduce(
                || [0u64; K],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        out.push(day_counts);
        std::mem::swap(&mut prev, &mut next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_conserved_and_platform_0_empties_while_down() {
        let r = run(20_000, 3, 1);
        assert_eq!(r.counts.len(), DAYS);
        for day in &r.counts {
            assert_eq!(day.iter().sum::<u64>(), 20_000);
        }
        assert_eq!(r.counts[7][0], 0);
        assert_eq!(r.counts[8][0], 0);
        assert!(r.counts[119][0] > 10_000, "{:?}", r.counts[119]);
    }
}
