//! Choice rules: how an agent that looks at its options picks a platform.
//!
//! Each rule is a pure function of plain data prepared by the engine: the day's per-platform
//! parameters (`timeline::DayConditions`), the set of platforms the agent can use today (a bit
//! mask), the shares of its contacts on each platform, its own traits, and a uniform random
//! number. No rule allocates, hashes or branches on scenario structure.
//!
//! - `logit`: multinomial logit over usable platforms (McFadden 1974), as in R1.
//! - `bass`: Bass (1969) adoption hazard, innovation + imitation x share of contacts.

pub mod bass;
pub mod logit;

/// Iterates over the set bits of `mask`, lowest first, as platform indices.
#[inline(always)]
pub fn platforms_in(mut mask: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            k
        })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn platforms_in_lists_set_bits() {
        assert_eq!(
            super::platforms_in(0b1011).collect::<Vec<_>>(),
            vec![0, 1, 3]
        );
        assert_eq!(super::platforms_in(0).count(), 0);
        assert_eq!(super::platforms_in(1 << 31).collect::<Vec<_>>(), vec![31]);
    }
}
