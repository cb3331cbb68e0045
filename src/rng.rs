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
    /// A sweep's design: random points, Latin hypercube strata, Morris trajectories (step =
    /// point, dimension or trajectory; chunk = which design).
    Design = 6,
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

/// The instructions the per-agent hashes of a day (`first_draws`, `leading_draws`) are
/// compiled for, chosen once per process: the widest the processor has, or the one named by
/// the environment variable `EXODUS_VECTOR` (`avx512`, `avx2` or `portable`; to measure or test
/// another path on one machine — a path the processor lacks is refused). Every path gives the
/// same numbers (tests::every_vector_path_gives_the_streams_numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vector {
    /// AVX-512 F and DQ: 64-bit multiplies, eight agents per instruction.
    Avx512,
    /// AVX2: four agents per instruction, 64-bit multiplies made of 32-bit ones.
    Avx2,
    /// Plain code the compiler vectorises for the build's target (SSE2 on x86-64, NEON on
    /// aarch64).
    Portable,
}

impl Vector {
    pub const ALL: [Vector; 3] = [Vector::Avx512, Vector::Avx2, Vector::Portable];

    /// Its name, as `EXODUS_VECTOR` takes it and machine.txt records it.
    pub fn name(self) -> &'static str {
        match self {
            Vector::Avx512 => "avx512",
            Vector::Avx2 => "avx2",
            Vector::Portable => "portable",
        }
    }

    /// Whether this processor can run the path.
    pub fn supported(self) -> bool {
        match self {
            Vector::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Vector::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(target_arch = "x86_64")]
            Vector::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest path this processor runs.
    pub fn detected() -> Vector {
        Vector::runnable()[0]
    }

    /// The paths this processor runs, widest first (the portable one always, last).
    pub fn runnable() -> Vec<Vector> {
        Vector::ALL.into_iter().filter(|v| v.supported()).collect()
    }

    /// `runnable`'s names, comma-separated.
    pub fn runnable_names() -> String {
        let names: Vec<&str> = Vector::runnable().iter().map(|v| v.name()).collect();
        names.join(", ")
    }

    /// The path named by `EXODUS_VECTOR`, if set: Err names what is wrong with it.
    pub fn from_env() -> Result<Option<Vector>, String> {
        let Ok(name) = std::env::var("EXODUS_VECTOR") else {
            return Ok(None);
        };
        let names: Vec<&str> = Vector::ALL.iter().map(|v| v.name()).collect();
        let v = Vector::ALL
            .into_iter()
            .find(|v| v.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "EXODUS_VECTOR={name:?} is not a vector path; allowed: {}",
                    names.join(", ")
                )
            })?;
        if v.supported() {
            Ok(Some(v))
        } else {
            Err(format!(
                "EXODUS_VECTOR={name}: this processor cannot run it; it runs: {}",
                Vector::runnable_names()
            ))
        }
    }

    /// The path this process uses: `EXODUS_VECTOR`'s when it names one the processor runs,
    /// else the widest detected (the command line refuses a bad `EXODUS_VECTOR` before any
    /// run, through `from_env`).
    #[inline]
    pub fn chosen() -> Vector {
        static CHOSEN: std::sync::OnceLock<Vector> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            Vector::from_env()
                .ok()
                .flatten()
                .unwrap_or_else(Vector::detected)
        })
    }
}

/// The first 32-bit output (`next_u32`) of the streams of agents `first`, `first + 1`, ... on
/// the day whose key is `key`, one per element of `out`: what
/// `agent_stream(key, first + j).next_u32()` returns, computed for a block of agents at once
/// on the process's vector path (`Vector::chosen`); the numbers are the same on every path.
pub fn first_draws(key: u64, first: u64, out: &mut [u32]) {
    first_draws_on(Vector::chosen(), key, first, out);
}

/// `first_draws` on the path `v`, which the processor must support (else the portable path).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
pub fn first_draws_on(v: Vector, key: u64, first: u64, out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    match v {
        // SAFETY: `supported` has checked the processor has what each function is compiled for.
        Vector::Avx512 if v.supported() => return unsafe { first_draws_avx512(key, first, out) },
        Vector::Avx2 if v.supported() => return unsafe { first_draws_avx2(key, first, out) },
        _ => {}
    }
    first_draws_in(key, first, out);
}

/// `first_draws` compiled for AVX-512 (F, DQ); call only where the processor has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn first_draws_avx512(key: u64, first: u64, out: &mut [u32]) {
    first_draws_in(key, first, out);
}

/// `first_draws` compiled for AVX2; call only where the processor has it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn first_draws_avx2(key: u64, first: u64, out: &mut [u32]) {
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
/// `agent_stream(key, first + j)` return. On the process's vector path, as `first_draws`.
pub fn leading_draws(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    leading_draws_on(Vector::chosen(), key, first, firsts, seconds);
}

/// `leading_draws` on the path `v`, which the processor must support (else the portable path).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
pub fn leading_draws_on(v: Vector, key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    match v {
        // SAFETY: `supported` has checked the processor has what each function is compiled for.
        Vector::Avx512 if v.supported() => {
            return unsafe { leading_draws_avx512(key, first, firsts, seconds) };
        }
        Vector::Avx2 if v.supported() => {
            return unsafe { leading_draws_avx2(key, first, firsts, seconds) };
        }
        _ => {}
    }
    leading_draws_in(key, first, firsts, seconds);
}

/// `leading_draws` compiled for AVX-512 (F, DQ); call only where the processor has them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn leading_draws_avx512(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
    leading_draws_in(key, first, firsts, seconds);
}

/// `leading_draws` compiled for AVX2; call only where the processor has it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn leading_draws_avx2(key: u64, first: u64, firsts: &mut [u32], seconds: &mut [u32]) {
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

/// Tastes per hash: six 10-bit indices in one 64-bit hash.
const TASTES_PER_HASH: usize = 6;
/// Levels of a taste: 2^10 equally likely values.
const TASTE_LEVELS: usize = 1 << 10;

/// Agent `agent`'s lasting taste for platform `platform`: standard normal in distribution, the
/// same on every day of a replicate, a pure function of (key, agent, platform), stored nowhere.
/// One hash of (key, agent, platform / 6) gives six 10-bit indices, the tastes of six platforms,
/// into a table of the normal's 1,024 quantiles at (m + 1/2) / 1,024, scaled to unit variance:
/// a normal discretised to 1,024 equally likely levels (steps of 0.0024 near 0, extremes
/// +-3.3 in place of the normal's 1-in-2,000 tail beyond). Adds `sd` x each taste of the
/// platforms in `platforms` to `utility`.
#[inline(always)]
pub fn add_tastes(key: u64, agent: u64, platforms: u32, sd: f32, utility: &mut [f32]) {
    let table = taste_table();
    let mut block = usize::MAX;
    let mut h = 0;
    for j in crate::model::platforms_in(platforms) {
        if j / TASTES_PER_HASH != block {
            block = j / TASTES_PER_HASH;
            h = mix(key ^ (agent << 3 | block as u64));
        }
        let m = (h >> (10 * (j % TASTES_PER_HASH))) as usize & (TASTE_LEVELS - 1);
        utility[j] += sd * table[m];
    }
}

/// Agent `agent`'s lasting taste for `platform` (see `add_tastes`), for the tests.
#[cfg(test)]
fn taste(key: u64, agent: u64, platform: usize) -> f32 {
    let mut u = [0f32; crate::scenario::params::MAX_PLATFORMS];
    add_tastes(key, agent, 1 << platform, 1.0, &mut u);
    u[platform]
}

/// The taste levels: the standard normal's quantiles at (m + 1/2) / 1,024, m = 0 .. 1,023,
/// scaled so that their variance is exactly 1 (unscaled it is 0.9966).
fn taste_table() -> &'static [f32; TASTE_LEVELS] {
    static TABLE: std::sync::LazyLock<[f32; TASTE_LEVELS]> = std::sync::LazyLock::new(|| {
        let z: Vec<f64> = (0..TASTE_LEVELS)
            .map(|m| normal_quantile((m as f64 + 0.5) / TASTE_LEVELS as f64))
            .collect();
        let sd = (z.iter().map(|x| x * x).sum::<f64>() / TASTE_LEVELS as f64).sqrt();
        std::array::from_fn(|m| (z[m] / sd) as f32)
    });
    &TABLE
}

/// The standard normal's quantile function, by Acklam's rational approximation (relative
/// error below 1.2 x 10^-9 on (0, 1)), for the taste table.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    const LOW: f64 = 0.024_25;
    if p < LOW {
        tail(p)
    } else if p > 1.0 - LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
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
        // Tastes of two platforms from one hash, and of platforms in different hashes, are
        // uncorrelated (standard error of a correlation 0.003).
        for (a, b) in [(0, 1), (2, 5), (5, 6), (1, 13)] {
            let r = (0..n)
                .map(|i| f64::from(taste(key, i, a)) * f64::from(taste(key, i, b)))
                .sum::<f64>()
                / n as f64;
            assert!(r.abs() < 0.015, "platforms {a} and {b}: correlation {r}");
        }
        // The table is the normal's quantiles: symmetric, unit variance, median 0.
        let t = taste_table();
        assert!((0..TASTE_LEVELS).all(|m| t[m] == -t[TASTE_LEVELS - 1 - m]));
        let v = t.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / TASTE_LEVELS as f64;
        assert!((v - 1.0).abs() < 1e-6, "table variance {v}");
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-8);
        assert!(t[0] < -3.2 && t[0] > -3.4, "lowest level {}", t[0]);
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

    /// Every path the processor runs (the portable one always) gives the streams' numbers, for
    /// random keys, first agents and block lengths (odd ones test the vector loops' tails).
    #[test]
    fn every_vector_path_gives_the_streams_numbers() {
        use rand::RngExt;
        let mut pick = Pcg64Mcg::new(0xC0FFEE);
        let paths = Vector::runnable();
        for _ in 0..40 {
            let key: u64 = pick.random();
            let first: u64 = pick.random::<u64>() >> pick.random_range(2..64);
            let n = pick.random_range(0..=CHUNK + 17);
            for &v in &paths {
                let mut one = vec![0u32; n];
                first_draws_on(v, key, first, &mut one);
                let (mut a, mut b) = (vec![0u32; n], vec![0u32; n]);
                leading_draws_on(v, key, first, &mut a, &mut b);
                for j in (0..n).step_by(97).chain(n.saturating_sub(9)..n) {
                    let agent = first.wrapping_add(j as u64);
                    let mut want = agent_stream(key, agent);
                    let (w1, w2) = (want.next_u32(), want.next_u32());
                    assert_eq!((one[j], a[j], b[j]), (w1, w1, w2), "{v:?}, agent {agent}");
                }
                // Every element, against the portable path.
                let mut portable = vec![0u32; n];
                first_draws_in(key, first, &mut portable);
                assert_eq!(one, portable, "{v:?}");
                let (mut pa, mut pb) = (vec![0u32; n], vec![0u32; n]);
                leading_draws_in(key, first, &mut pa, &mut pb);
                assert_eq!((a, b), (pa, pb), "{v:?}");
            }
        }
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
