//! Random streams: the one place where a generator is derived from its coordinates. Every random
//! number in exodus comes from a stream made here, so results depend only on these coordinates,
//! never on which thread ran a chunk or how rayon split the work.
//!
//! - Building the world (population, network): one stream per (seed, replicate, purpose, step,
//!   chunk of agents), PCG-64 MCG.
//! - Each simulated day: one stream per (seed, replicate, day, agent), SplitMix64 (Steele, Lea
//!   and Flood 2014) seeded with a hash of those coordinates. Counter-based streams per agent
//!   keep common random numbers aligned: agent i on day t gets the same numbers in every
//!   scenario of a comparison, however many numbers other agents used, so the difference between
//!   scenarios reflects the scenarios, not a shift in who drew which number.
//!
//! The generator is PCG-64 MCG (`rand_pcg::Pcg64Mcg`, O'Neill 2014): a named, portable
//! algorithm whose output will not change with a `rand` release. Its 128-bit state is made by
//! SplitMix64 finalisers (Steele, Lea and Flood 2014) applied to the coordinates in turn, so
//! neighbouring chunks and days get unrelated streams.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use rand_xoshiro::SplitMix64;

/// Agents per chunk: the unit of parallel work and of random streams. Changing it changes every
/// result, so it is fixed here and recorded in run manifests.
pub const CHUNK: usize = 8192;

/// What a stream is for; part of its coordinates so that purposes never share numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Drawing agents' segments, traits and initial platforms.
    Population = 1,
    /// Building the contact network.
    Network = 2,
    /// One simulated day (agents' streams, via `day_key`).
    Day = 3,
    /// A calibration's own draws: prior samples and proposals (step = proposal number, the
    /// replicate coordinate = generation or restart).
    Calibration = 4,
    /// Agents' lasting tastes for platforms (heterogeneous tastes).
    Taste = 5,
}

/// Key of day `day` of replicate `replicate` of a run seeded with `seed`; agents' streams that
/// day derive from it.
#[inline]
pub fn day_key(seed: u64, replicate: u32, day: u64) -> u64 {
    let mut h = mix(seed);
    for x in [u64::from(replicate), Purpose::Day as u64, day] {
        h = mix(h ^ x);
    }
    h
}

/// The generator of agent `agent` on the day whose key is `key` (see `day_key`).
#[inline(always)]
pub fn agent_stream(key: u64, agent: u64) -> SplitMix64 {
    SplitMix64::seed_from_u64(mix(key ^ agent))
}

/// The first 32-bit output (`next_u32`) of the streams of agents `first`, `first + 1`, ... on
/// the day whose key is `key`, one per element of `out`: what
/// `agent_stream(key, first + j).next_u32()` returns, computed for a block of agents at once.
/// Where the processor has 64-bit vector multiplies (AVX-512 DQ) the hashes are computed eight
/// agents per instruction, chosen at run time; the numbers are the same either way.
pub fn first_draws(key: u64, first: u64, out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the processor has just been found to support AVX-512 F and DQ, the only
        // requirement of `first_draws_avx512`.
        unsafe { first_draws_avx512(key, first, out) };
        return;
    }
    first_draws_in(key, first, out);
}

/// `first_draws` compiled for AVX-512 (F, DQ); call only where the processor has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn first_draws_avx512(key: u64, first: u64, out: &mut [u32]) {
    first_draws_in(key, first, out);
}

/// `first_draws`, portable: each agent's stream state `mix(key ^ agent)` advanced once and
/// output by SplitMix64's 32-bit output function (rand_xoshiro's `next_u32`, Stafford's Mix4
/// variant; `tests::first_draws_match_the_streams` checks the two agree).
#[inline(always)]
fn first_draws_in(key: u64, first: u64, out: &mut [u32]) {
    for (j, o) in out.iter_mut().enumerate() {
        *o = splitmix_output32(mix(key ^ (first + j as u64)).wrapping_add(PHI));
    }
}

/// The first two 32-bit outputs of the streams of agents `first`, `first + 1`, ...: element j
/// of `firsts` and `seconds` is what the first and second `next_u32` of
/// `agent_stream(key, first + j)` return. Vectorised as `first_draws`.
pub fn leading_draws(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the processor has just been found to support AVX-512 F and DQ, the only
        // requirement of `leading_draws_avx512`.
        unsafe { leading_draws_avx512(key, first, firsts, seconds) };
        return;
    }
    leading_draws_in(key, first, firsts, seconds);
}

/// `leading_draws` compiled for AVX-512 (F, DQ); call only where the processor has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn leading_draws_avx512(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    leading_draws_in(key, first, firsts, seconds);
}

/// `leading_draws`, portable.
#[inline(always)]
fn leading_draws_in(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    for (j, (a, b)) in firsts.iter_mut().zip(seconds.iter_mut()).enumerate() {
        let state = mix(key ^ (first + j as u64));
        *a = splitmix_output32(state.wrapping_add(PHI));
        *b = splitmix_output32(state.wrapping_add(PHI.wrapping_mul(2)));
    }
}

/// SplitMix64's increment (the golden ratio in 64 bits).
const PHI: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's 32-bit output of the state `z` (rand_xoshiro's `next_u32`, Stafford's Mix4
/// variant), after the state was advanced.
#[inline(always)]
fn splitmix_output32(mut z: u64) -> u32 {
    z = (z ^ (z >> 33)).wrapping_mul(0x62A9_D9ED_7997_05F5);
    z = (z ^ (z >> 28)).wrapping_mul(0xCB24_D0A5_C88C_35B3);
    (z >> 32) as u32
}

/// Agent `agent`'s stream on the day whose key is `key`, with its first two outputs already
/// computed (`leading_draws`): the same numbers as `agent_stream(key, agent)`'s `next_u32`,
/// in the same order, the later ones computed when asked for.
#[derive(Debug, Clone, Copy)]
pub struct LedStream {
    key: u64,
    agent: u64,
    lead: [u32; 2],
    used: u32,
}

impl LedStream {
    #[inline(always)]
    pub fn new(key: u64, agent: u64, first: u32, second: u32) -> LedStream {
        LedStream {
            key,
            agent,
            lead: [first, second],
            used: 0,
        }
    }

    /// The stream's next 32-bit output.
    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        let n = self.used;
        self.used += 1;
        match self.lead.get(n as usize) {
            Some(&x) => x,
            None => {
                let state = mix(self.key ^ self.agent);
                splitmix_output32(state.wrapping_add(PHI.wrapping_mul(u64::from(n) + 1)))
            }
        }
    }

    /// The top 24 bits of the next output: `unit_f32` is this over 2^24.
    #[inline(always)]
    pub fn next24(&mut self) -> u32 {
        self.next_u32() >> 8
    }

    /// A uniform draw in [0, 1) from the next output (`unit_f32`).
    #[inline(always)]
    pub fn unit_f32(&mut self) -> f32 {
        unit_f32(self.next_u32())
    }
}

/// The uniform draw in [0, 1) that `rand`'s `random::<f32>()` makes of the 32-bit output `x`:
/// its top 24 bits over 2^24.
#[inline(always)]
pub fn unit_f32(x: u32) -> f32 {
    (x >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// The second generator of agent `agent` on the day whose key is `key`, for the draws of a
/// newcomer taking its place (open population): unrelated to `agent_stream(key, agent)`.
#[inline]
pub fn newcomer_stream(key: u64, agent: u64) -> SplitMix64 {
    const NEWCOMER: u64 = 0x6E65_7763_6F6D_6572; // "newcomer"
    SplitMix64::seed_from_u64(mix(mix(key ^ NEWCOMER) ^ agent))
}

/// Key of the lasting tastes of replicate `replicate` of a run seeded with `seed`.
pub fn taste_key(seed: u64, replicate: u32) -> u64 {
    let mut h = mix(seed);
    for x in [u64::from(replicate), Purpose::Taste as u64] {
        h = mix(h ^ x);
    }
    h
}

/// Agent `agent`'s lasting taste draw for platform `platform` (standard normal), the same on
/// every day of a replicate: a pure function of (key, agent, platform), stored nowhere.
#[inline(always)]
pub fn taste(key: u64, agent: u64, platform: usize) -> f32 {
    use rand::RngExt;
    let mut rng = SplitMix64::seed_from_u64(mix(key ^ (agent << 6 | platform as u64)));
    rng.sample::<f32, _>(rand_distr::StandardNormal)
}

/// The SplitMix64 output function: a bijective 64-bit mixer.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for chunk `chunk` of step `step` (a day, or 0) of `purpose`, in replicate
/// `replicate` of a run seeded with `seed`.
#[inline]
pub fn stream(seed: u64, replicate: u32, purpose: Purpose, step: u64, chunk: u64) -> Pcg64Mcg {
    let mut h = mix(seed);
    for x in [u64::from(replicate), purpose as u64, step, chunk] {
        h = mix(h ^ x);
    }
    let lo = mix(h ^ 0x5851_F42D_4C95_7F2D);
    Pcg64Mcg::new((u128::from(h) << 64) | u128::from(lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn tastes_are_lasting_standard_normal_draws() {
        let key = taste_key(7, 0);
        assert_eq!(taste(key, 12, 3), taste(key, 12, 3));
        assert_ne!(taste(key, 12, 3), taste(key, 12, 4));
        assert_ne!(taste(key, 12, 3), taste(taste_key(7, 1), 12, 3));
        let n = 100_000;
        let z: Vec<f64> = (0..n).map(|i| f64::from(taste(key, i, 1))).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors about 0.003 and 0.0045.
        assert!(mean.abs() < 0.015, "mean {mean}");
        assert!((var - 1.0).abs() < 0.03, "variance {var}");
    }

    #[test]
    fn streams_differ_by_every_coordinate() {
        let first = |s: &mut Pcg64Mcg| s.next_u64();
        let base = first(&mut stream(1, 0, Purpose::Day, 5, 7));
        assert_eq!(base, first(&mut stream(1, 0, Purpose::Day, 5, 7)));
        assert_ne!(base, first(&mut stream(2, 0, Purpose::Day, 5, 7)));
        assert_ne!(base, first(&mut stream(1, 1, Purpose::Day, 5, 7)));
        assert_ne!(base, first(&mut stream(1, 0, Purpose::Network, 5, 7)));
        assert_ne!(base, first(&mut stream(1, 0, Purpose::Day, 6, 7)));
        assert_ne!(base, first(&mut stream(1, 0, Purpose::Day, 5, 8)));
    }

    #[test]
    fn agent_streams_differ_by_agent_and_day() {
        let a = agent_stream(day_key(1, 0, 5), 7).next_u64();
        assert_eq!(a, agent_stream(day_key(1, 0, 5), 7).next_u64());
        assert_ne!(a, agent_stream(day_key(1, 0, 5), 8).next_u64());
        assert_ne!(a, agent_stream(day_key(1, 0, 6), 7).next_u64());
        assert_ne!(a, agent_stream(day_key(1, 1, 5), 7).next_u64());
    }

    #[test]
    fn first_draws_match_the_streams() {
        for (key, first) in [(day_key(1, 0, 5), 0u64), (day_key(9, 3, 100), 123_456_789)] {
            let mut fast = vec![0u32; 1000];
            first_draws(key, first, &mut fast);
            let mut portable = vec![0u32; 1000];
            first_draws_in(key, first, &mut portable);
            for (j, (&a, &b)) in fast.iter().zip(&portable).enumerate() {
                let want = agent_stream(key, first + j as u64).next_u32();
                assert_eq!((a, b), (want, want), "agent {}", first + j as u64);
            }
        }
    }

    #[test]
    fn led_streams_match_the_streams() {
        use rand::RngExt;
        for (key, first) in [(day_key(1, 0, 5), 0u64), (day_key(9, 3, 100), 987_654_321)] {
            let mut firsts = vec![0u32; 300];
            let mut seconds = vec![0u32; 300];
            leading_draws(key, first, &mut firsts, &mut seconds);
            let mut portable = (vec![0u32; 300], vec![0u32; 300]);
            leading_draws_in(key, first, &mut portable.0, &mut portable.1);
            assert_eq!((&firsts, &seconds), (&portable.0, &portable.1));
            for j in 0..300 {
                let agent = first + j as u64;
                let mut want = agent_stream(key, agent);
                let mut led = LedStream::new(key, agent, firsts[j], seconds[j]);
                for n in 0..6 {
                    if n % 2 == 0 {
                        assert_eq!(led.next_u32(), want.next_u32(), "agent {agent} draw {n}");
                    } else {
                        let (a, b) = (led.unit_f32(), want.random::<f32>());
                        assert_eq!(a.to_bits(), b.to_bits(), "agent {agent} draw {n}");
                    }
                }
            }
        }
    }

    /// Pinned output: a change here changes every result exodus has ever published.
    #[test]
    fn value_stability() {
        let mut s = stream(42, 0, Purpose::Day, 0, 0);
        let got: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
        let mut again = stream(42, 0, Purpose::Day, 0, 0);
        let twice: Vec<u64> = (0..3).map(|_| again.next_u64()).collect();
        assert_eq!(got, twice);
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
    }
}
