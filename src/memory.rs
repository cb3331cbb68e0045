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

/// Checks that a run with estimate `est` fits in the memory available now; if not, the
/// sentence that refuses it ("<agents> agents need about X but only Y is available").
pub fn check_fits(est: &Estimate, agents: u64) -> Result<(), String> {
    match available_bytes() {
        Some(avail) if est.peak_bytes > avail => Err(format!(
            "{agents} agents need about {} but only {} is available",
            human_bytes(est.peak_bytes),
            human_bytes(avail)
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
