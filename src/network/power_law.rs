//! Heavy-tailed network: each agent watches `degree` others, drawn in proportion to their
//! popularity w, where w ~ Pareto(scale 1, shape gamma - 1). In-degrees then follow a power law
//! P(k) ~ k^-gamma (a directed Chung-Lu / configuration-style model, Chung and Lu 2002): a few
//! influencers are watched by many, most agents by few, as in follower graphs. Out-degree is the
//! same for everyone, so the network is stored without offsets.
//!
//! Popularity draws and contact draws are both chunked and seeded per chunk; the alias table
//! (Walker 1977; `alias::AliasTable`, built and drawn from as
//! `rand_distr::weighted::WeightedAliasIndex`) is built once from all weights, and each chunk
//! draws its contacts ahead of use so that several table reads are in flight at once.

use rand::RngExt;
use rand_distr::Distribution;
use rayon::prelude::*;

use super::alias::{AliasTable, Lookahead};
use super::{Network, fill_regular, other_than};
use crate::rng::{CHUNK, Purpose, stream};

/// Step coordinate of the popularity stream (contacts use step 0).
const POPULARITY_STEP: u64 = 1;
/// Redraws allowed when an agent draws itself, before falling back to a uniform other agent.
const MAX_REDRAWS: usize = 64;

/// Builds a power-law in-degree network; `exponent` > 2.
/// `popularity(i)` multiplies agent i's weight (e.g. creators are watched more).
pub fn power_law(
    agents: usize,
    degree: usize,
    exponent: f64,
    seed: u64,
    replicate: u32,
    popularity: impl Fn(usize) -> f64 + Sync,
) -> Network {
    let pareto = rand_distr::Pareto::new(1.0, exponent - 1.0);
    // Zeroed memory is not touched until written, so the advice takes effect: the table's
    // random reads then miss the TLB far less (2 MB pages).
    let mut weights = vec![0.0f64; agents];
    crate::memory::advise_huge_pages(&mut weights);
    weights
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, w)| match &pareto {
            Ok(pareto) => {
                let mut rng = stream(seed, replicate, Purpose::Network, POPULARITY_STEP, c as u64);
                for (j, x) in w.iter_mut().enumerate() {
                    *x = pareto.sample(&mut rng) * popularity(c * CHUNK + j);
                }
            }
            Err(_) => w.fill(1.0),
        });
    // Weights are >= 1 and finite, so the table builds; fall back to uniform if it ever did not.
    let table = AliasTable::new(weights);
    fill_regular(agents, degree, |chunk, first, rows| {
        let mut rng = stream(seed, replicate, Purpose::Network, 0, chunk);
        let Some(t) = &table else {
            rows.iter_mut()
                .for_each(|slot| *slot = rng.random_range(0..agents as u32));
            return;
        };
        let mut ahead = Lookahead::new(t, rng);
        for (j, row) in rows.chunks_mut(degree).enumerate() {
            let i = first + j;
            for slot in row {
                // An agent drawn itself is drawn again, up to MAX_REDRAWS times in all.
                let mut found = None;
                for _ in 0..MAX_REDRAWS {
                    let k = ahead.sample();
                    if k as usize != i {
                        found = Some(k);
                        break;
                    }
                }
                *slot = found.unwrap_or_else(|| ahead.direct(|rng| other_than(rng, i, agents)));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The network as the builder before `alias::AliasTable` (commit 03fa0d6) made it,
    /// rewritten here with rand_distr's table, one draw at a time (sharing `stream`,
    /// `other_than` and `MAX_REDRAWS` with the builder).
    fn as_before(
        agents: usize,
        degree: usize,
        exponent: f64,
        seed: u64,
        popularity: impl Fn(usize) -> f64 + Sync,
    ) -> Vec<u32> {
        use rand_distr::weighted::WeightedAliasIndex;
        let pareto = rand_distr::Pareto::new(1.0, exponent - 1.0).unwrap();
        let mut weights = vec![1.0f64; agents];
        weights
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, w)| {
                let mut rng = stream(seed, 0, Purpose::Network, POPULARITY_STEP, c as u64);
                for (j, x) in w.iter_mut().enumerate() {
                    *x = pareto.sample(&mut rng) * popularity(c * CHUNK + j);
                }
            });
        let t = WeightedAliasIndex::new(weights).unwrap();
        let mut targets = vec![0u32; agents * degree];
        for (c, rows) in targets.chunks_mut(CHUNK * degree).enumerate() {
            let mut rng = stream(seed, 0, Purpose::Network, 0, c as u64);
            for (j, row) in rows.chunks_mut(degree).enumerate() {
                let i = c * CHUNK + j;
                for slot in row {
                    *slot = (0..MAX_REDRAWS)
                        .map(|_| t.sample(&mut rng))
                        .find(|&k| k != i)
                        .map_or_else(|| other_than(&mut rng, i, agents), |k| k as u32);
                }
            }
        }
        targets
    }

    #[test]
    fn the_networks_are_those_built_before_the_lookahead() {
        // Two agents: most draws are the agent itself, so the redraws and the fallback to a
        // uniform other agent are exercised; 3 agents with one very popular; larger ones with
        // popularity classes and several chunks.
        let cases: [(usize, usize, f64); 5] = [
            (2, 3, 2.5),
            (3, 4, 2.1),
            (1000, 7, 2.5),
            (20_000, 10, 2.2),
            (3 * CHUNK + 5, 20, 3.0),
        ];
        for (n, degree, exponent) in cases {
            let popularity = |i: usize| {
                if i.is_multiple_of(97) {
                    1e4
                } else {
                    1.0 + (i % 3) as f64
                }
            };
            let Network::Regular { targets, .. } =
                power_law(n, degree, exponent, 11, 0, popularity)
            else {
                panic!("a regular network")
            };
            assert_eq!(
                targets,
                as_before(n, degree, exponent, 11, popularity),
                "{n} agents"
            );
        }
    }

    #[test]
    fn in_degrees_are_heavy_tailed() {
        let n = 200_000;
        let net = power_law(n, 10, 2.5, 9, 0, |_| 1.0);
        let mut d = net.in_degrees();
        d.sort_unstable();
        let max = *d.last().unwrap();
        let median = d[n / 2];
        // A random network of the same degree has max in-degree ~ 25; here influencers exist.
        assert!(max > 1000, "max in-degree {max}");
        assert!(median < 10, "median in-degree {median}");
        // Tail: share with in-degree >= 10x the median falls off as a power, not exponentially.
        let above = |k: u32| d.iter().filter(|&&x| x >= k).count() as f64 / n as f64;
        let ratio = above(100) / above(1000);
        // P(K >= k) ~ k^-(gamma-1) = k^-1.5: a tenfold k gives ~ 31.6x fewer.
        assert!((10.0..100.0).contains(&ratio), "tail ratio {ratio}");
    }
}
