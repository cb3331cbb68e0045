//! Multinomial-logit choice (McFadden 1974): an agent that reconsiders picks platform k among
//! the usable ones with probability exp(u_k) / sum_j exp(u_j), where
//!
//! u_k = appeal_k + peer_weight x s_k
//!
//! and s_k is the share of the agent's contacts on k yesterday. This is R1's rule
//! (docs/reference-model-R1.md); later mechanisms add terms to u_k.

use super::platforms_in;
use crate::scenario::params::MAX_PLATFORMS;

/// Picks a platform among the set bits of `usable` (not empty) by the logit rule.
/// `u` is uniform on [0, 1). Utilities are shifted by their maximum before `exp`, so any
/// validated appeal and weight is safe from overflow.
#[inline(always)]
pub fn choose(appeal: &[f32], usable: u32, shares: &[f32], peer_weight: f32, u: f32) -> usize {
    // Scratch space sized to the platforms in play: most scenarios have at most 8.
    if usable < 1 << 8 {
        choose_in::<8>(appeal, usable, shares, peer_weight, u)
    } else {
        choose_in::<MAX_PLATFORMS>(appeal, usable, shares, peer_weight, u)
    }
}

/// `choose` with room for platforms 0 .. N (`usable` has no bit at N or above).
#[inline(always)]
fn choose_in<const N: usize>(
    appeal: &[f32],
    usable: u32,
    shares: &[f32],
    peer_weight: f32,
    u: f32,
) -> usize {
    let mut utility = [0f32; N];
    let mut max = f32::NEG_INFINITY;
    for k in platforms_in(usable) {
        let v = appeal[k] + peer_weight * shares[k];
        utility[k] = v;
        max = max.max(v);
    }
    let mut total = 0f32;
    for k in platforms_in(usable) {
        let w = (utility[k] - max).exp();
        utility[k] = w;
        total += w;
    }
    let target = u * total;
    let mut acc = 0f32;
    let mut last = 0;
    for k in platforms_in(usable) {
        acc += utility[k];
        if target < acc {
            return k;
        }
        last = k;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frequencies(appeal: &[f32], usable: u32, shares: &[f32], b: f32) -> Vec<f64> {
        let n = 100_000;
        let mut f = vec![0.0; appeal.len()];
        for i in 0..n {
            let u = (i as f32 + 0.5) / n as f32;
            f[choose(appeal, usable, shares, b, u)] += 1.0 / n as f64;
        }
        f
    }

    #[test]
    fn probabilities_are_the_softmax() {
        let appeal = [2.0, 0.0, -0.5, 0.5];
        let shares = [0.5, 0.3, 0.0, 0.2];
        let f = frequencies(&appeal, 0b1111, &shares, 3.0);
        let u: Vec<f64> = (0..4)
            .map(|k| f64::from(appeal[k] + 3.0 * shares[k]))
            .collect();
        let z: f64 = u.iter().map(|x| x.exp()).sum();
        for k in 0..4 {
            assert!(
                (f[k] - u[k].exp() / z).abs() < 1e-3,
                "platform {k}: {} vs {}",
                f[k],
                u[k].exp() / z
            );
        }
    }

    #[test]
    fn only_usable_platforms_are_chosen() {
        let f = frequencies(&[5.0, 0.0, 0.0, 0.0], 0b1010, &[0.0; 4], 1.0);
        assert_eq!(f[0], 0.0);
        assert_eq!(f[2], 0.0);
        assert!((f[1] - 0.5).abs() < 1e-3 && (f[3] - 0.5).abs() < 1e-3);
    }

    #[test]
    fn extreme_utilities_do_not_overflow() {
        assert_eq!(choose(&[50.0, -50.0], 0b11, &[1.0, 0.0], 100.0, 0.999), 0);
        assert_eq!(choose(&[-50.0, 50.0], 0b11, &[0.0, 1.0], 100.0, 0.0), 1);
    }
}
