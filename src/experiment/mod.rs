//! Experiments: many replicates of a scenario and what they say together.
//!
//! `quantile` is the streaming quantile estimator; `bands` aggregates replicates day by day into
//! means, confidence intervals, medians and quantile bands. Replicate r of a scenario draws its
//! population, network and daily streams from (seed, r), so replicates are independent and any
//! one of them can be rerun alone.

pub mod bands;
pub mod compare;
pub mod comparison_file;
pub mod quantile;
pub mod report;
pub mod shard;
