//! Memory: an estimate of a run's peak use, made from the parameters before anything is
//! allocated, the check that refuses a run the machine cannot hold (rather than letting the
//! operating system kill it hours in), and the measured peak for benchmarks.
//!
//! Bytes per agent, by what is alive at each stage of a run:
//! - population (all stages): 1 (platform, u8), plus 4 (installed set, u32 bit mask), plus 1
//!   if more than one segment (segment, u8), plus 4 per trait that differs between agents
//!   within a segment (attention, peer weight and the five mechanism weights; f32; traits
//!   constant within segments are stored per segment), plus 8 with `[mechanisms] trials`
//!   (the app being tried, its age and the apps ever tried), plus 2 with influence by exposure
//!   (the day's snapshot of every agent's main app and trial, u16);
//! - network (built, then kept): 4 x degree (contacts, u32; no offsets, every agent has
//!   `degree` contacts); nothing for a mixed population;
//! - while a power-law network is built: 12 transient (popularity weight f64, reused in place
//!   as the alias table's odds, + alias index u32), freed before the first day;
//! - while days run: 1 (tomorrow's platforms, u8; the buffers swap each day).
//!
//! Peak = base + agents x (population + network + max(build transient, 1)). The base (code,
//! thread stacks, each worker's queue of CHUNK agents, output buffers) was measured at about
//! 8 MB on Linux with 2 threads.
//!
//! What grows with days and platforms comes on top (`Shape`, `estimate_for`):
//! - every run: the day's conditions made from the timeline for every day, and each output's
//!   dates — `PER_DAY + PER_PLATFORM_DAY x platforms` bytes per day (measured with massif and
//!   peak RSS: 1.6 kB + 141 B per platform, rounded up);
//! - charts: the bitmap and fonts (`PLOT_BASE`, 16 MB), and the saved results read back —
//!   `PLOT_PER_DAY + PLOT_PER_PLATFORM_DAY x platforms` per day (measured: 0.66 kB + 110 B per
//!   platform, rounded up);
//! - with replicates, the bands: per day, platform and metric a `Stats` (mean, variance, three
//!   P² estimators) and, until P² takes over, the values each estimator keeps exactly;
//! - a comparison: the bands and the differences of every scenario, and one replicate's day
//!   records of every scenario at a time; `exodus check`: every replicate's day records.

use crate::population::{Trait, TraitId, TraitStorage};
use crate::scenario::params::{NetworkSpec, Params};

/// Memory not tied to agents: code, thread stacks, buffers (measured, rounded up).
const BASE_BYTES: u64 = 10 << 20;

/// A run's estimated memory use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Estimated peak bytes.
    pub peak_bytes: u64,
    /// Bytes per agent at the peak, base excluded.
    pub bytes_per_agent: f64,
}

/// Estimates the peak memory of running `params`.
pub fn estimate(params: &Params) -> Estimate {
    let n = u64::from(params.agents);
    let contacts = 4 * u64::from(params.network.degree());
    let segments = u64::from(params.segments.len() > 1);
    // Traits constant within each segment are stored once per segment, not per agent.
    let per_agent_traits = TraitId::ALL
        .iter()
        .filter(|&&id| Trait::storage(params, id) == TraitStorage::PerAgent)
        .count() as u64;
    let exposure = crate::engine::exposure_active(params);
    let trials = if params.mechanisms.trials { 8 } else { 0 } + 2 * u64::from(exposure);
    let population = 1 + 4 + segments + 4 * per_agent_traits + trials;
    let build = match params.network {
        NetworkSpec::PowerLaw { .. } => 12,
        _ => 0,
    };
    let days = 1;
    let per_agent = population + contacts + u64::max(build, days);
    Estimate {
        peak_bytes: BASE_BYTES + n * per_agent,
        bytes_per_agent: per_agent as f64,
    }
}

/// Bytes per day not tied to platforms (measured 1.6 kB, rounded up).
const PER_DAY: u64 = 2048;
/// Bytes per day and platform of a run's conditions and outputs (measured 141 B, rounded up).
const PER_PLATFORM_DAY: u64 = 192;
/// Bytes of drawing charts whatever the days (the bitmap of a PNG chart and its fonts).
const PLOT_BASE: u64 = 16 << 20;
/// Bytes per day for reading results back to draw charts (measured 0.66 kB, rounded up).
const PLOT_PER_DAY: u64 = 1024;
/// Bytes per day and platform for drawing charts (measured 110 B, rounded up).
const PLOT_PER_PLATFORM_DAY: u64 = 160;

/// What a command keeps besides its agents: how many days, platforms, replicates and
/// scenarios, and whether it draws charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Replicates whose statistics are kept (bands when more than one).
    pub replicates: u32,
    /// Scenarios compared (1 for a run).
    pub scenarios: u32,
    /// Every replicate's day records are kept (`exodus check`), not only one at a time.
    pub keeps_records: bool,
    pub plots: bool,
    /// The band's quantiles.
    pub band: (f64, f64),
}

impl Shape {
    /// One run with `replicates` replicates.
    pub fn run(replicates: u32, plots: bool, band: (f64, f64)) -> Shape {
        Shape {
            replicates,
            scenarios: 1,
            keeps_records: false,
            plots,
            band,
        }
    }
}

/// Bytes of the bands over `replicates` replicates of `days` x `platforms` (every metric).
pub fn bands_bytes(days: u64, platforms: u64, replicates: u32, band: (f64, f64)) -> u64 {
    if replicates < 2 {
        return 0;
    }
    let cells = days * platforms * crate::metrics::Metric::ALL.len() as u64;
    // The values each estimator keeps until P² takes over, in a vector that grows by doubling.
    let kept = |p: f64| -> u64 {
        let n = u64::from(replicates).min(crate::experiment::quantile::exact_up_to(p) as u64);
        16 + 8 * n.next_power_of_two().max(4)
    };
    let cell = std::mem::size_of::<Option<crate::experiment::bands::Stats>>() as u64;
    cells * (cell + kept(band.0) + kept(0.5) + kept(band.1))
}

/// Bytes of one scenario's day records for one replicate.
pub fn records_bytes(params: &Params) -> u64 {
    let k = params.platforms.len() as u64;
    let values = std::mem::size_of::<[Option<f64>; crate::metrics::Metric::ALL.len()]>() as u64;
    let per_day =
        std::mem::size_of::<crate::metrics::DayRecord>() as u64 + 64 + k * values + k * k * 8;
    u64::from(params.days) * per_day
}

/// The estimated peak of a command of shape `shape` on `params` (for a comparison, the
/// scenario with the most agents and days).
pub fn estimate_for(params: &Params, shape: Shape) -> Estimate {
    let agents = estimate(params);
    let (days, k) = (u64::from(params.days), params.platforms.len() as u64);
    let scenarios = u64::from(shape.scenarios.max(1));
    let per_day = days * (PER_DAY + PER_PLATFORM_DAY * k);
    let plots = if shape.plots {
        PLOT_BASE + days * (PLOT_PER_DAY + PLOT_PER_PLATFORM_DAY * k)
    } else {
        0
    };
    let bands = bands_bytes(days, k, shape.replicates, shape.band);
    let (bands, records) = if scenarios > 1 {
        // A comparison keeps each scenario's bands and differences, and one replicate's
        // records of every scenario.
        (2 * scenarios * bands, scenarios * records_bytes(params))
    } else if shape.keeps_records {
        (bands, u64::from(shape.replicates) * records_bytes(params))
    } else {
        (bands, 0)
    };
    Estimate {
        peak_bytes: agents.peak_bytes + per_day + plots + bands + records,
        bytes_per_agent: agents.bytes_per_agent,
    }
}

/// Memory left free for the rest of the system when deciding whether a run fits: a tenth of
/// the machine's memory, at least 256 MB.
pub fn headroom_bytes() -> u64 {
    (total_bytes().unwrap_or(0) / 10).max(256 << 20)
}

/// Asks the kernel to back `v`'s memory with huge pages (2 MB on x86-64 Linux, transparent
/// huge pages in `madvise` or `always` mode), for the arrays read at random (contacts'
/// platforms) or too large for the processor's page-address cache. Call it on a freshly
/// allocated vector of zeros, before it is written, so that its pages are made huge as they are
/// first touched. Advice only: it changes no value, and where the kernel declines (huge pages
/// off, another system) nothing happens.
pub fn advise_huge_pages<T>(v: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        // The whole huge pages inside the vector.
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if hi > lo {
            // SAFETY: [lo, hi) lies inside `v`'s allocation, which outlives the call;
            // MADV_HUGEPAGE changes only how the kernel backs those pages, never what they
            // hold, and its failure (the error code, ignored) leaves them as they were.
            unsafe {
                libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Checks that a run with estimate `est` fits in the memory available now, keeping
/// `headroom_bytes` free for the rest of the system; if not, the sentence that refuses it.
pub fn check_fits(est: &Estimate, agents: u64) -> Result<(), String> {
    fits(est, agents, available_bytes(), headroom_bytes())
}

fn fits(est: &Estimate, agents: u64, available: Option<u64>, headroom: u64) -> Result<(), String> {
    match available {
        Some(avail) if est.peak_bytes.saturating_add(headroom) > avail => Err(format!(
            "{agents} agents need about {} and {} is available, of which exodus leaves {} free for the rest of the system",
            human_bytes(est.peak_bytes),
            human_bytes(avail),
            human_bytes(headroom)
        )),
        _ => Ok(()),
    }
}

/// Total memory of this machine (MemTotal), if known.
pub fn total_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&info, "MemTotal:")
}

/// This process's peak resident memory so far (VmHWM), if the system reports it (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmHWM:")
}

/// The value of a "Name:   1234 kB" line, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Memory the system can give a new allocation now (MemAvailable), if known.
pub fn available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&info, "MemAvailable:")
}

/// Formats bytes for people: "46.2 MB", "7.9 GB".
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_beyond_the_available_memory_are_refused() {
        if available_bytes().is_none() {
            return; // not reported on this system: nothing is refused
        }
        let huge = Estimate {
            peak_bytes: u64::MAX,
            bytes_per_agent: 46.0,
        };
        let why = check_fits(&huge, 7).unwrap_err();
        assert!(why.starts_with("7 agents need about"), "{why}");
        let tiny = Estimate {
            peak_bytes: 1,
            bytes_per_agent: 46.0,
        };
        assert_eq!(check_fits(&tiny, 7), Ok(()));
    }

    #[test]
    fn a_run_that_would_leave_less_than_the_headroom_is_refused() {
        let est = Estimate {
            peak_bytes: 900,
            bytes_per_agent: 1.0,
        };
        assert_eq!(fits(&est, 5, Some(1000), 50), Ok(()));
        let why = fits(&est, 5, Some(1000), 200).unwrap_err();
        assert!(why.contains("free for the rest of the system"), "{why}");
        assert_eq!(fits(&est, 5, None, 200), Ok(()), "unknown: not refused");
        assert!(headroom_bytes() >= 256 << 20);
    }

    #[test]
    fn bands_grow_with_days_platforms_and_replicates_only_with_replicates() {
        let band = (0.05, 0.95);
        assert_eq!(bands_bytes(1000, 4, 1, band), 0);
        let two = bands_bytes(1000, 4, 2, band);
        assert!(two > 0);
        assert_eq!(bands_bytes(2000, 4, 2, band), 2 * two);
        assert_eq!(bands_bytes(1000, 8, 2, band), 2 * two);
        assert!(bands_bytes(1000, 4, 100, band) > two);
        // Past the values kept exactly, more replicates cost nothing more.
        assert_eq!(
            bands_bytes(1000, 4, 100, band),
            bands_bytes(1000, 4, 100_000, band)
        );
    }

    #[test]
    fn kib_fields_are_read_in_bytes() {
        let status = "Name:\texodus\nVmHWM:\t  457060 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(kib_field(status, "VmHWM:"), Some(457_060 * 1024));
        assert_eq!(kib_field(status, "VmPeak:"), None);
    }

    #[test]
    fn human_bytes_picks_units() {
        assert_eq!(human_bytes(46_200_000), "46.2 MB");
        assert_eq!(human_bytes(7_900_000_000), "7.9 GB");
        assert_eq!(human_bytes(5_000), "5 kB");
    }
}
