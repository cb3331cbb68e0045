//! exodus: an agent-based simulator of social-media migration — who moves where, and when,
//! if a platform is banned.
//!
//! Data flows one way, and the modules follow it:
//! `scenario` (TOML -> validated `Params`) -> `timeline` (events -> daily conditions) ->
//! `network` + `population` (the world) -> `engine` (daily loop, using the `model` choice
//! rules and `rng` streams) -> `metrics` (counts -> people, summary) -> `output` (CSV, JSON,
//! manifest). `app` wires them into commands; `cli` is the command line; `explore` serves the
//! browser explorer.

pub mod app;
pub mod bench;
pub mod calibrate;
pub mod calibration;
pub mod cancel;
pub mod cli;
pub mod engine;
pub mod experiment;
pub mod explore;
pub mod fuzzing;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod network;
pub mod output;
pub mod plot;
pub mod population;
pub mod progress;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod sweep;
pub mod timeline;

/// Version of exodus, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
