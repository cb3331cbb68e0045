//! Memory: an estimate of a run's peak use, made from the parameters before anything is
//! allocated, and the check that refuses a run the machine cannot hold (rather than letting the
//! operating system kill it hours in).
//!
//! Bytes per agent (steady state, while days run):
//!   4 x degree (contacts, u32)        + 1 + 1 (platform today / yesterday, u8)
//! + 4 (installed set, u32 bit mask)   + 1 if more than one segment (segment, u8)
//! + 4 per trait that differs between agents (attention, peer weight; f32).
//!
//! While a power-law network is built, popularity weights and the alias table add a transient
//! 28 bytes per agent (8 weight + 4 alias + 8 odds + up to 8 of work lists) before the
//! population exists, so the peak is the larger of the two phases.

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
    let varying =
        |get: fn(&crate::scenario::params::Segment) -> crate::scenario::params::TraitDist| {
            let first = get(&params.segments[0]).constant();
            let same =
                first.is_some() && params.segments.iter().all(|s| get(s).constant() == first);
            u64::from(!same) * 4
        };
    let steady =
        contacts + 2 + 4 + segments + varying(|s| s.attention) + varying(|s| s.peer_weight);
    let build = match params.network {
        NetworkSpec::PowerLaw { .. } => contacts + 28,
        _ => 0,
    };
    let per_agent = steady.max(build);
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
