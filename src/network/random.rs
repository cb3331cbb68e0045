//! Random out-degree network: each agent watches `degree` others drawn uniformly at random
//! (with replacement, never itself), as in the R1 reference model.

use super::{Network, fill_regular, other_than};
use crate::rng::{Purpose, stream};

/// Builds a random out-degree network over `agents` agents.
pub fn random(agents: usize, degree: usize, seed: u64, replicate: u32) -> Network {
    fill_regular(agents, degree, |chunk, first, rows| {
        let mut rng = stream(seed, replicate, Purpose::Network, 0, chunk);
        for (j, row) in rows.chunks_mut(degree).enumerate() {
            for slot in row {
                *slot = other_than(&mut rng, first + j, agents);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_degrees_are_poisson_like() {
        let n = 100_000;
        let net = random(n, 10, 11, 0);
        let d = net.in_degrees();
        let mean = d.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let var = d
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 10.0).abs() < 1e-9);
        // Binomial(10 (n-1), 1/(n-1)): variance ~ 10.
        assert!((var - 10.0).abs() < 0.3, "variance {var}");
    }
}
