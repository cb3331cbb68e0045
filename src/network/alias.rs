//! Walker's alias method (Walker 1977) for the power-law network's contact draws, built exactly
//! as `rand_distr::weighted::WeightedAliasIndex<f64>` (rand_distr 0.6, MIT/Apache-2.0: the
//! same pairwise weight sum, odds and alias lists, in the same 12 bytes per agent, so the same
//! draws from the same generator) but open to the network's access pattern: draws are taken
//! ahead of use and their table entries prefetched, so that the reads of several draws — each
//! a cache miss in a table of hundreds of megabytes — are in flight at once (`Lookahead`); the
//! weight sum and the odds are computed in parallel (the same additions in the same order).
//! The draws, and so the networks, are those of `WeightedAliasIndex`
//! (tests::the_draws_are_rand_distrs).

use rand::distr::{Distribution, Uniform};
use rand_pcg::Pcg64Mcg;

/// An alias table over agents' weights: agent i is kept when `u < odds[i]` for u drawn from
/// `Uniform(0, weight_sum)`, else its alias is taken.
#[derive(Debug)]
pub struct AliasTable {
    odds: Vec<f64>,
    aliases: Vec<u32>,
    index: Uniform<u32>,
    within_sum: Uniform<f64>,
}

/// The pairwise sum `rand_distr` uses for float weights (blocks of 32 summed in order).
fn pairwise_sum(values: &[f64]) -> f64 {
    if values.len() <= 32 {
        values.iter().copied().sum()
    } else {
        let mid = values.len() / 2;
        let (a, b) = values.split_at(mid);
        // The same split and order of additions as a serial recursion, so the same sum.
        let (x, y) = if values.len() > 1 << 16 {
            rayon::join(|| pairwise_sum(a), || pairwise_sum(b))
        } else {
            (pairwise_sum(a), pairwise_sum(b))
        };
        x + y
    }
}

impl AliasTable {
    /// The table of `weights` (each finite and >= 0, at least one > 0, at most u32::MAX of
    /// them); None where `WeightedAliasIndex::new` would refuse them.
    pub fn new(weights: Vec<f64>) -> Option<AliasTable> {
        use rayon::prelude::*;
        let n = u32::try_from(weights.len()).ok().filter(|&n| n > 0)?;
        let max_weight = f64::MAX / f64::from(n);
        if !weights.par_iter().all(|&w| (0.0..=max_weight).contains(&w)) {
            return None;
        }
        let weight_sum = pairwise_sum(&weights).min(f64::MAX);
        if weight_sum == 0.0 {
            return None;
        }
        let scale = f64::from(n);
        let mut odds = weights;
        odds.par_iter_mut()
            .for_each(|o| *o = (*o * scale).min(f64::MAX));
        // Two linked lists (small and big odds) threaded through the alias array, as rand_distr
        // builds them: pushed in index order, popped from the head.
        const NIL: u32 = u32::MAX;
        let mut aliases = vec![0u32; n as usize];
        crate::memory::advise_huge_pages(&mut aliases);
        let (mut smalls, mut bigs) = (NIL, NIL);
        for (i, &o) in odds.iter().enumerate() {
            if o < weight_sum {
                aliases[i] = smalls;
                smalls = i as u32;
            } else {
                aliases[i] = bigs;
                bigs = i as u32;
            }
        }
        while smalls != NIL && bigs != NIL {
            let s = smalls;
            smalls = aliases[s as usize];
            let b = bigs;
            bigs = aliases[b as usize];
            aliases[s as usize] = b;
            odds[b as usize] = odds[b as usize] - weight_sum + odds[s as usize];
            if odds[b as usize] < weight_sum {
                aliases[b as usize] = smalls;
                smalls = b;
            } else {
                aliases[b as usize] = bigs;
                bigs = b;
            }
        }
        for mut head in [smalls, bigs] {
            while head != NIL {
                let next = aliases[head as usize];
                odds[head as usize] = weight_sum;
                head = next;
            }
        }
        Some(AliasTable {
            odds,
            aliases,
            index: Uniform::new(0, n).ok()?,
            within_sum: Uniform::new(0.0, weight_sum).ok()?,
        })
    }

    /// Draws one agent: what `WeightedAliasIndex::sample` draws from the same generator (the
    /// network draws through `Lookahead`; this one-at-a-time form is its reference in tests).
    #[cfg(test)]
    fn sample(&self, rng: &mut Pcg64Mcg) -> u32 {
        let (candidate, u) = self.attempt(rng);
        self.resolve(candidate, u)
    }

    /// The two numbers of one draw, in `WeightedAliasIndex::sample`'s order.
    #[inline(always)]
    fn attempt(&self, rng: &mut Pcg64Mcg) -> (u32, f64) {
        let candidate = self.index.sample(rng);
        (candidate, self.within_sum.sample(rng))
    }

    #[inline(always)]
    fn resolve(&self, candidate: u32, u: f64) -> u32 {
        if u < self.odds[candidate as usize] {
            candidate
        } else {
            self.aliases[candidate as usize]
        }
    }

    /// Brings the table entries of `candidate` into cache (a hint).
    #[inline(always)]
    fn prefetch(&self, candidate: u32) {
        crate::engine::prefetch(&self.odds[candidate as usize]);
        crate::engine::prefetch(&self.aliases[candidate as usize]);
    }
}

/// Draws from one generator taken `AHEAD` attempts ahead of use: each attempt's table entries
/// are prefetched when it is drawn and read when it is used. The attempts are the generator's,
/// in order, so the draws are those of calling `AliasTable::sample` in turn; `direct` lets a
/// caller draw from the generator itself, from just after the last attempt used.
pub struct Lookahead<'a> {
    table: &'a AliasTable,
    rng: Pcg64Mcg,
    /// Pending attempts, a ring of `AHEAD` from `next`: the generator before each, and its
    /// candidate and u.
    ring: [(Pcg64Mcg, u32, f64); AHEAD],
    next: usize,
}

/// Attempts drawn ahead of use.
const AHEAD: usize = 16;

impl<'a> Lookahead<'a> {
    pub fn new(table: &'a AliasTable, rng: Pcg64Mcg) -> Lookahead<'a> {
        let mut l = Lookahead {
            table,
            ring: std::array::from_fn(|_| (rng.clone(), 0, 0.0)),
            rng,
            next: 0,
        };
        l.fill();
        l
    }

    /// Draws the ring full from the generator, starting at `next`.
    fn fill(&mut self) {
        for k in 0..AHEAD {
            self.ring[(self.next + k) % AHEAD] = self.attempt();
        }
    }

    /// One attempt from the generator, its entries prefetched.
    #[inline(always)]
    fn attempt(&mut self) -> (Pcg64Mcg, u32, f64) {
        let before = self.rng.clone();
        let (c, u) = self.table.attempt(&mut self.rng);
        self.table.prefetch(c);
        (before, c, u)
    }

    /// The next draw.
    #[inline]
    pub fn sample(&mut self) -> u32 {
        let fresh = self.attempt();
        let (_, c, u) = std::mem::replace(&mut self.ring[self.next], fresh);
        self.next = (self.next + 1) % AHEAD;
        self.table.resolve(c, u)
    }

    /// Runs `draw` on the generator as it was just after the last attempt used (the attempts
    /// drawn ahead are dropped, and drawn again after it).
    pub fn direct<R>(&mut self, draw: impl FnOnce(&mut Pcg64Mcg) -> R) -> R {
        self.rng = self.ring[self.next].0.clone();
        let r = draw(&mut self.rng);
        self.fill();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::weighted::WeightedAliasIndex;

    #[test]
    fn the_draws_are_rand_distrs() {
        let mut pick = Pcg64Mcg::seed_from_u64(7);
        for n in [1usize, 2, 3, 33, 1000, 70_000] {
            let weights: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 7 == 3 {
                        0.0
                    } else {
                        1.0 / pick.random::<f64>().max(1e-9).powf(0.7)
                    }
                })
                .collect();
            let Some(ours) = AliasTable::new(weights.clone()) else {
                assert!(WeightedAliasIndex::new(weights.clone()).is_err());
                continue;
            };
            let theirs = WeightedAliasIndex::new(weights.clone()).expect("builds");
            // The whole tables (rand_distr's Debug shows them), not only the draws below.
            let shown = format!("{theirs:?}");
            assert!(
                shown.contains(&format!("aliases: {:?}", ours.aliases)),
                "n {n}"
            );
            assert!(
                shown.contains(&format!("no_alias_odds: {:?}", ours.odds)),
                "n {n}"
            );
            let (mut a, mut b) = (
                Pcg64Mcg::seed_from_u64(n as u64),
                Pcg64Mcg::seed_from_u64(n as u64),
            );
            let mut ahead = Lookahead::new(&ours, Pcg64Mcg::seed_from_u64(n as u64));
            for k in 0..5000 {
                let want = theirs.sample(&mut b) as u32;
                assert_eq!(ours.sample(&mut a), want, "n {n}, draw {k}");
                assert_eq!(ahead.sample(), want, "n {n}, draw {k}, drawn ahead");
                if k % 1000 == 999 {
                    // A caller drawing from the generator itself in between.
                    let x: u32 = ahead.direct(|r| r.random());
                    assert_eq!(x, b.random::<u32>());
                    let _: u32 = a.random();
                }
            }
        }
    }

    #[test]
    fn weights_rand_distr_refuses_are_refused() {
        for w in [
            vec![],
            vec![0.0, 0.0],
            vec![1.0, -1.0],
            vec![1.0, f64::NAN],
            vec![f64::MAX, 1.0],
        ] {
            assert!(AliasTable::new(w.clone()).is_none(), "{w:?}");
            assert!(WeightedAliasIndex::new(w).is_err());
        }
    }
}
