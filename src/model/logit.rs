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
    choose_with::<false>(appeal, usable, shares, peer_weight, u)
}

/// `choose`, or (`PORTABLE`) the logit choice with a portable exponential
/// (`exp_nonpositive`) evaluated for all platforms at once, which the compiler turns into
/// vector instructions. Same probabilities as `choose` to within the exponential's error (a few parts in 10^7); the draws it makes can differ from `choose`'s
/// where `u` falls within that error of a boundary between two platforms. Its results do not
/// depend on the host's maths library. The re-specified model's scenarios use it; R1 and the
/// other plain logit scenarios keep `choose`, so their published results stay byte-identical.
#[inline(always)]
pub fn choose_with<const PORTABLE: bool>(
    appeal: &[f32],
    usable: u32,
    shares: &[f32],
    peer_weight: f32,
    u: f32,
) -> usize {
    // Scratch space sized to the platforms in play: most scenarios have at most 8.
    if usable < 1 << 8 {
        choose_in::<8, PORTABLE>(appeal, usable, shares, peer_weight, u)
    } else {
        choose_in::<MAX_PLATFORMS, PORTABLE>(appeal, usable, shares, peer_weight, u)
    }
}

/// The logit choice with room for platforms 0 .. N (`usable` has no bit at N or above): with
/// the maths library's `exp` over the usable platforms in turn, or (`PORTABLE`) with
/// `exp_nonpositive` over all N at once.
#[inline(always)]
fn choose_in<const N: usize, const PORTABLE: bool>(
    appeal: &[f32],
    usable: u32,
    shares: &[f32],
    peer_weight: f32,
    u: f32,
) -> usize {
    if PORTABLE {
        let mut utility = [f32::NEG_INFINITY; N];
        for k in platforms_in(usable) {
            utility[k] = appeal[k] + peer_weight * shares[k];
        }
        let max = utility.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut weight = [0f32; N];
        // Unusable platforms' utilities are -inf: weight 0.
        for (w, &v) in weight.iter_mut().zip(&utility) {
            *w = exp_nonpositive(v - max);
        }
        let total: f32 = weight.iter().sum();
        return pick(&weight, usable, u * total);
    }
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
    pick(&utility, usable, u * total)
}

/// The first usable platform at which the running sum of `weight` (in platform order)
/// passes `target` (u x the total), or the last usable one if rounding leaves it short.
#[inline(always)]
fn pick(weight: &[f32], usable: u32, target: f32) -> usize {
    let mut acc = 0f32;
    let mut last = 0;
    for k in platforms_in(usable) {
        acc += weight[k];
        if target < acc {
            return k;
        }
        last = k;
    }
    last
}

/// e^x for x <= 0 (larger x are not used), in f32 without the maths library: x = n ln 2 + r
/// with n an integer and |r| <= ln 2 / 2, e^r by Cephes' `expf` polynomial (Moshier 1989), and
/// 2^n from the exponent bits. Below -87 it is 0 (e^-87 = 1.6e-38, and f32's `exp` is 0 below
/// -103.3), so that an option that hopeless is never chosen. Relative error under 2 x 10^-7
/// above -87 (tested against f64).
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    const LOWEST: f32 = -87.0;
    let hopeless = x < LOWEST || x.is_nan();
    let x = x.max(LOWEST);
    // n = round(x / ln 2), by the 1.5 x 2^23 trick (exact for |x / ln 2| < 2^22).
    const ROUND: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    // r = x - n ln 2, with ln 2 split in two so that n x the first part is exact.
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    // 2^n for n in -126 ..= 0: a normal f32 with exponent field n + 127.
    let e = y * f32::from_bits(((n as i32 + 127) as u32) << 23);
    if hopeless { 0.0 } else { e }
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
    fn the_portable_exponential_is_accurate() {
        let mut worst = 0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let want = f64::from(x).exp();
            let got = f64::from(exp_nonpositive(x));
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 2e-7, "relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(-87.0) > 1e-38);
        assert_eq!(exp_nonpositive(-87.1), 0.0);
        assert_eq!(exp_nonpositive(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn the_portable_choice_has_the_same_probabilities() {
        let appeal = [2.0, 0.0, -0.5, 0.5, 1.0, -3.0];
        let shares = [0.5, 0.3, 0.0, 0.2, 0.0, 0.0];
        for usable in [0b11_1111, 0b10_1010, 0b1, 0b11_0000] {
            let (n, mut same) = (100_000, 0);
            let mut f = [0f64; 6];
            for i in 0..n {
                let u = (i as f32 + 0.5) / n as f32;
                let k = choose_with::<true>(&appeal, usable, &shares, 3.0, u);
                assert!(usable >> k & 1 == 1, "chose an unusable platform");
                f[k] += 1.0 / f64::from(n);
                same += i32::from(k == choose(&appeal, usable, &shares, 3.0, u));
            }
            // Only draws within the exponentials' error of a boundary may differ.
            assert!(n - same <= 2, "{} of {n} draws differ", n - same);
            let z: f64 = (0..6)
                .filter(|k| usable >> k & 1 == 1)
                .map(|k| f64::from(appeal[k] + 3.0 * shares[k]).exp())
                .sum();
            for k in (0..6).filter(|k| usable >> k & 1 == 1) {
                let p = f64::from(appeal[k] + 3.0 * shares[k]).exp() / z;
                assert!((f[k] - p).abs() < 1e-4, "platform {k}: {} vs {p}", f[k]);
            }
        }
        assert_eq!(
            choose_with::<true>(&[50.0, -50.0], 0b11, &[1.0, 0.0], 100.0, 0.999),
            0
        );
        assert_eq!(
            choose_with::<true>(&[-50.0, 50.0], 0b11, &[0.0, 1.0], 100.0, 0.0),
            1
        );
    }

    #[test]
    fn extreme_utilities_do_not_overflow() {
        assert_eq!(choose(&[50.0, -50.0], 0b11, &[1.0, 0.0], 100.0, 0.999), 0);
        assert_eq!(choose(&[-50.0, 50.0], 0b11, &[0.0, 1.0], 100.0, 0.0), 1);
    }
}
