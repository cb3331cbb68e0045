//! Small-world network (Watts and Strogatz 1998), directed form: agent i watches its `degree`
//! nearest agents on a ring (degree/2 on each side); each of these contacts is replaced, with
//! probability `rewire`, by an agent drawn uniformly at random (never i itself). Rewiring each
//! agent's own list, rather than undirected edges one by one, lets every chunk be built
//! independently and in parallel.

use rand::RngExt;

use super::{Network, fill_regular, other_than};
use crate::rng::{Purpose, stream};

/// Builds a directed Watts-Strogatz network; `degree` is even and below `agents`.
pub fn small_world(
    agents: usize,
    degree: usize,
    rewire: f64,
    seed: u64,
    replicate: u32,
) -> Network {
    fill_regular(agents, degree, |chunk, first, rows| {
        let mut rng = stream(seed, replicate, Purpose::Network, 0, chunk);
        for (j, row) in rows.chunks_mut(degree).enumerate() {
            let i = first + j;
            for (m, slot) in row.iter_mut().enumerate() {
                *slot = if rewire > 0.0 && rng.random_bool(rewire) {
                    other_than(&mut rng, i, agents)
                } else {
                    let off = m / 2 + 1;
                    let k = if m % 2 == 0 {
                        i + off
                    } else {
                        i + agents - off
                    };
                    (k % agents) as u32
                };
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_rewiring_it_is_a_ring_lattice() {
        let net = small_world(10, 4, 0.0, 1, 0);
        assert_eq!(net.contacts(0), &[1, 9, 2, 8]);
        assert_eq!(net.contacts(5), &[6, 4, 7, 3]);
    }

    #[test]
    fn rewiring_replaces_about_the_given_share() {
        let n = 50_000;
        let net = small_world(n, 6, 0.2, 5, 0);
        let lattice = small_world(n, 6, 0.0, 5, 0);
        let changed = (0..n)
            .flat_map(|i| net.contacts(i).iter().zip(lattice.contacts(i)))
            .filter(|(a, b)| a != b)
            .count() as f64
            / (n * 6) as f64;
        assert!((changed - 0.2).abs() < 0.01, "rewired share {changed}");
    }
}
