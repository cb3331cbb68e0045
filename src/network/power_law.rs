//! Heavy-tailed network: each agent watches `degree` others, drawn in proportion to their
//! popularity w, where w ~ Pareto(scale 1, shape gamma - 1). In-degrees then follow a power law
//! P(k) ~ k^-gamma (a directed Chung-Lu / configuration-style model, Chung and Lu 2002): a few
//! influencers are watched by many, most agents by few, as in follower graphs. Out-degree is the
//! same for everyone, so the network is stored without offsets.
//!
//! Popularity draws and contact draws are both chunked and seeded per chunk; the alias table
//! (Walker 1977, `rand_distr::weighted::WeightedAliasIndex`) is built once from all weights.

use rand::RngExt;
use rand_distr::Distribution;
use rand_distr::weighted::WeightedAliasIndex;
use rayon::prelude::*;

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
    let mut weights = vec![1.0f64; agents];
    if let Ok(pareto) = pareto {
        weights
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, w)| {
                let mut rng = stream(seed, replicate, Purpose::Network, POPULARITY_STEP, c as u64);
                for (j, x) in w.iter_mut().enumerate() {
                    *x = pareto.sample(&mut rng) * popularity(c * CHUNK + j);
                }
            });
    }
    // Weights are >= 1 and finite, so the table builds; fall back to uniform if it ever did not.
    let table = WeightedAliasIndex::new(weights).ok();
    fill_regular(agents, degree, |chunk, first, rows| {
        let mut rng = stream(seed, replicate, Purpose::Network, 0, chunk);
        for (j, row) in rows.chunks_mut(degree).enumerate() {
            let i = first + j;
            for slot in row {
                *slot = match &table {
                    Some(t) => (0..MAX_REDRAWS)
                        .map(|_| t.sample(&mut rng))
                        .find(|&k| k != i)
                        .map_or_else(|| other_than(&mut rng, i, agents), |k| k as u32),
                    None => rng.random_range(0..agents as u32),
                };
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
