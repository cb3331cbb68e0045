//! Memory: an estimate of a run's peak use, made from the parameters before anything is
//! allocated, and the check that refuses a run the machine cannot hold (rather than letting the
//! operating system kill it hours in).
//!
//! Bytes per agent (steady state, while days run):
//!   4 x degree (contacts, u32)        + 1 + 1 (platform today / yesterday, u8)
//! + 4 (installed set, u32 bit mask)   + 1 if more than one segment (segment, u8)
//! + 4 per trait that differs between agents within a segment (attention, peer weight and the
//!   five mechanism weights; f32; traits constant within segments are stored per segment).
//!
//! While a power-law network is built (after the population is drawn), popularity weights and
//! the alias table add a transient 28 bytes per agent (8 weight + 4 alias + 8 odds + up to 8 of
//! work lists), so the peak is the steady state plus that while it lasts.

use crate::population::{Trait, TraitId, TraitStorage};
use crate::scenario::params::{NetworkSpec, Params};

/// Memory not tied to agents: code, thread stacks, buffers (measured order of magnitude).
const BASE_BYTES: u64 = 16 << 20;

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
    let steady = contacts + 2 + 4 + segments + 4 * per_agent_traits;
    let build = match params.network {
        NetworkSpec::PowerLaw { .. } => 28,
        _ => 0,
    };
    let per_agent = steady + build;
    Estimate {
        peak_bytes: BASE_BYTES + n * per_agent,
        bytes_per_agent: per_agent as f64,
    }
}

/// Memory the system can give a new allocation now (MemAvailable), if known.
pub fn available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
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
    fn human_bytes_picks_units() {
        assert_eq!(human_bytes(46_200_000), "46.2 MB");
        assert_eq!(human_bytes(7_900_000_000), "7.9 GB");
        assert_eq!(human_bytes(5_000), "5 kB");
    }
}
