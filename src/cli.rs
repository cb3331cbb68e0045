//! Command-line interface: clap derive types, the only place clap appears. The library never
//! sees these types; `into_*` methods turn them into `app` options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::RunOptions;

/// exodus — simulate how users move between social-media platforms when one is banned.
#[derive(Debug, Parser)]
#[command(name = "exodus", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write daily curves, flows, a summary and a manifest.
    Run(RunArgs),
    /// Check a scenario file without running it.
    Validate {
        /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
        scenario: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/historical-2025.toml.
    pub scenario: PathBuf,
    /// Results folder [default: results/<scenario file name without .toml>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Master seed, replacing the scenario's meta.seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Agents to simulate, replacing population.agents (people represented stay the same).
    #[arg(long)]
    pub agents: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any value.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Print nothing but errors (no progress bar, no summary table).
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunArgs {
    /// The options `app::run` takes.
    pub fn into_options(self, command_line: Vec<String>) -> RunOptions {
        RunOptions {
            scenario: self.scenario,
            out: self.out,
            seed: self.seed,
            agents: self.agents,
            threads: self.threads.map(usize::from),
            quiet: self.quiet,
            command_line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn threads_must_be_positive() {
        assert!(Cli::try_parse_from(["exodus", "run", "x.toml", "--threads", "0"]).is_err());
        assert!(Cli::try_parse_from(["exodus", "run", "x.toml", "--threads", "2"]).is_ok());
    }
}
