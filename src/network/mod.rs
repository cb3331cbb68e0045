//! The contact network: who each agent watches when it looks at what its contacts use.
//!
//! Stored compactly as CSR with implicit offsets: every builder gives each agent the same number
//! of out-contacts (`degree`), so agent i's contacts are `targets[i*degree .. (i+1)*degree]` as
//! `u32` indices and no offset array is needed (4 bytes per contact, nothing per agent). A fully
//! mixed population stores nothing: the engine reads population-wide shares instead.
//!
//! Builders (`random`, `small_world`, `power_law`) fill fixed-size chunks of agents in parallel,
//! each chunk from its own random stream, so a network depends on the seed only, never on the
//! thread count.

mod alias;
mod power_law;
mod random;
mod small_world;

use crate::rng::CHUNK;
use crate::scenario::params::NetworkSpec;

pub use power_law::power_law;
pub use random::random;
pub use small_world::small_world;

/// A built contact network.
#[derive(Debug, Clone, PartialEq)]
pub enum Network {
    /// Mean field: every agent sees the shares of the whole population (itself excluded).
    Mixed { agents: usize },
    /// Each agent has exactly `degree` out-contacts (repeats allowed, never itself).
    Regular { degree: usize, targets: Vec<u32> },
}

impl Network {
    /// Builds the network `spec` over `agents` agents for replicate `replicate` of master seed
    /// `seed` (each replicate draws its own network).
    /// `popularity(i)` multiplies agent i's chance of being watched in power-law networks.
    pub fn build(
        spec: &NetworkSpec,
        agents: usize,
        seed: u64,
        replicate: u32,
        popularity: impl Fn(usize) -> f64 + Sync,
    ) -> Network {
        match *spec {
            NetworkSpec::Mixed => Network::Mixed { agents },
            NetworkSpec::Random { degree } => random(agents, degree as usize, seed, replicate),
            NetworkSpec::SmallWorld { degree, rewire } => {
                small_world(agents, degree as usize, rewire, seed, replicate)
            }
            NetworkSpec::PowerLaw { degree, exponent } => power_law(
                agents,
                degree as usize,
                exponent,
                seed,
                replicate,
                popularity,
            ),
        }
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        match self {
            Network::Mixed { agents } => *agents,
            Network::Regular { degree, targets } => targets.len() / degree,
        }
    }

    /// Contacts of agent `i` (empty for a mixed population).
    #[inline]
    pub fn contacts(&self, i: usize) -> &[u32] {
        match self {
            Network::Mixed { .. } => &[],
            Network::Regular { degree, targets } => &targets[i * degree..(i + 1) * degree],
        }
    }

    /// Each agent's audience class by in-degree: 0 for the top 1% of agents, 1 for the next
    /// 9%, 2 for the rest; ties at a boundary go to the lower index first. Empty for a mixed
    /// population, where every agent is watched alike.
    pub fn audience_classes(&self) -> Vec<u8> {
        if matches!(self, Network::Mixed { .. }) {
            return Vec::new();
        }
        let indeg = self.in_degrees();
        let n = indeg.len();
        let max = indeg.iter().copied().max().unwrap_or(0) as usize;
        let mut histogram = vec![0usize; max + 1];
        for &d in &indeg {
            histogram[d as usize] += 1;
        }
        // For each quota (top 1%, top 10%): the in-degree at the boundary and how many agents
        // of exactly that in-degree still fit, taken in index order.
        let boundary = |quota: usize| -> (usize, usize) {
            let mut above = 0;
            for d in (0..=max).rev() {
                if above + histogram[d] >= quota {
                    return (d, quota - above);
                }
                above += histogram[d];
            }
            (0, 0)
        };
        let quotas = [n.div_ceil(100), n.div_ceil(10)];
        let bounds = quotas.map(boundary);
        let mut taken = [0usize; 2];
        indeg
            .iter()
            .map(|&d| {
                let d = d as usize;
                let mut class = 2u8;
                for c in (0..2).rev() {
                    let (at, room) = bounds[c];
                    if d > at || (d == at && taken[c] < room) {
                        class = c as u8;
                    }
                }
                // Count ties taken at each boundary the agent falls within.
                for c in 0..2 {
                    let (at, _) = bounds[c];
                    if d == at && usize::from(class) <= c {
                        taken[c] += 1;
                    }
                }
                class
            })
            .collect()
    }

    /// How many agents watch each agent (in-degree), for diagnostics and tests.
    pub fn in_degrees(&self) -> Vec<u32> {
        let n = self.agents();
        match self {
            Network::Mixed { .. } => vec![(n - 1) as u32; n],
            Network::Regular { targets, .. } => {
                let mut d = vec![0u32; n];
                for &t in targets {
                    d[t as usize] += 1;
                }
                d
            }
        }
    }
}

/// Fills a regular network in parallel: `fill(chunk_index, first_agent, rows)` writes the
/// contacts of the agents of one chunk, `rows` holding `degree` slots per agent.
fn fill_regular<F>(agents: usize, degree: usize, fill: F) -> Network
where
    F: Fn(u64, usize, &mut [u32]) + Sync,
{
    use rayon::prelude::*;
    let mut targets = vec![0u32; agents * degree];
    crate::memory::advise_huge_pages(&mut targets);
    targets
        .par_chunks_mut(CHUNK * degree)
        .enumerate()
        .for_each(|(c, rows)| fill(c as u64, c * CHUNK, rows));
    Network::Regular { degree, targets }
}

/// A uniform random agent other than `i`, among `n` agents (n >= 2).
#[inline]
fn other_than<R: rand::Rng>(rng: &mut R, i: usize, n: usize) -> u32 {
    use rand::RngExt;
    let j = rng.random_range(0..(n - 1) as u32);
    if j as usize >= i { j + 1 } else { j }
}

#[cfg(test)]
mod tests {
    #[test]
    fn audience_classes_take_the_most_watched_first_and_ties_by_index() {
        // 200 agents each watching agent 0 and one of agents 1..=4 (so 1..=4 are watched 50
        // times each) and nobody else: in-degrees 200, 50, 50, 50, 50, then 0.
        let n = 200usize;
        let mut targets = Vec::with_capacity(2 * n);
        for i in 0..n {
            targets.push(if i == 0 { 1 } else { 0 });
            targets.push(if i == 1 { 2 } else { 1 + (i % 4) as u32 });
        }
        let net = Network::Regular { degree: 2, targets };
        let c = net.audience_classes();
        // Top 1% of 200 = 2 agents: agent 0, then the first of the tied 50s by index.
        assert_eq!(c.iter().filter(|&&x| x == 0).count(), 2);
        assert_eq!(c[0], 0);
        // Top 10% = 20 agents in classes 0 and 1.
        assert_eq!(c.iter().filter(|&&x| x <= 1).count(), 20);
        assert!(net.audience_classes() == c, "deterministic");
        assert!(Network::Mixed { agents: 10 }.audience_classes().is_empty());
    }

    use super::*;

    fn check_no_self_loops(net: &Network) {
        for i in 0..net.agents() {
            assert!(
                net.contacts(i).iter().all(|&j| j as usize != i),
                "self-loop at {i}"
            );
        }
    }

    #[test]
    fn builders_have_the_right_shape_and_no_self_loops() {
        for spec in [
            NetworkSpec::Random { degree: 10 },
            NetworkSpec::SmallWorld {
                degree: 4,
                rewire: 0.1,
            },
            NetworkSpec::PowerLaw {
                degree: 5,
                exponent: 2.5,
            },
        ] {
            let net = Network::build(&spec, 20_000, 7, 0, |_| 1.0);
            assert_eq!(net.agents(), 20_000);
            assert_eq!(net.contacts(123).len(), spec.degree() as usize);
            check_no_self_loops(&net);
        }
    }

    #[test]
    fn builds_are_thread_count_invariant() {
        let spec = NetworkSpec::PowerLaw {
            degree: 6,
            exponent: 2.3,
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let a = one.install(|| Network::build(&spec, 50_000, 3, 0, |_| 1.0));
        let b = two.install(|| Network::build(&spec, 50_000, 3, 0, |_| 1.0));
        assert_eq!(a, b);
    }

    #[test]
    fn seeds_change_the_network() {
        let spec = NetworkSpec::Random { degree: 3 };
        assert_ne!(
            Network::build(&spec, 1000, 1, 0, |_| 1.0),
            Network::build(&spec, 1000, 2, 0, |_| 1.0)
        );
    }
}
