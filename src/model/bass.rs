//! Bass diffusion hazard (Bass 1969), on a network: each day an agent on platform j moves to
//! another usable platform k with hazard
//!
//! h_k = attention x (p_k + q_k x s_k)
//!
//! where p_k is k's innovation coefficient, q_k its imitation coefficient and s_k the share of
//! the agent's contacts on k yesterday. With two platforms, "not adopted" (p = q = 0) and
//! "adopted", attention 1 and a fully mixed population, the expected adopted share follows the
//! discrete Bass recurrence F(t+1) = F(t) + (p + q F(t)) (1 - F(t)).
//! If the hazards sum above 1 they are scaled to sum to 1 (the agent surely moves).

use super::platforms_in;

/// Decides whether and where an agent moves. `targets` holds the usable platforms other than
/// its own that have a hazard; `u` is uniform on [0, 1). Returns `None` to stay.
#[inline(always)]
pub fn choose(
    innovation: &[f32],
    imitation: &[f32],
    targets: u32,
    shares: &[f32],
    attention: f32,
    u: f32,
) -> Option<usize> {
    let hazard = |k: usize| attention * (innovation[k] + imitation[k] * shares[k]);
    let total: f32 = platforms_in(targets).map(hazard).sum();
    if total <= 0.0 {
        return None;
    }
    // Above 1 the hazards are probabilities after rescaling to sum 1.
    let target = if total > 1.0 { u * total } else { u };
    let mut acc = 0f32;
    for k in platforms_in(targets) {
        acc += hazard(k);
        if target < acc {
            return Some(k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopts_with_probability_p_plus_q_share() {
        let (p, q) = ([0.0, 0.03], [0.0, 0.4]);
        let shares = [0.75, 0.25];
        let n = 100_000;
        let adopted = (0..n)
            .filter(|&i| choose(&p, &q, 0b10, &shares, 1.0, (i as f32 + 0.5) / n as f32).is_some())
            .count() as f64
            / n as f64;
        assert!((adopted - (0.03 + 0.4 * 0.25)).abs() < 1e-4, "{adopted}");
    }

    #[test]
    fn no_targets_means_stay() {
        assert_eq!(
            choose(&[0.5, 0.5], &[0.0, 0.0], 0, &[0.0, 0.0], 1.0, 0.0),
            None
        );
    }

    #[test]
    fn hazards_above_one_always_move() {
        let got = choose(&[0.0, 0.9, 0.9], &[0.0; 3], 0b110, &[0.0; 3], 1.0, 0.999);
        assert_eq!(got, Some(2));
    }
}
