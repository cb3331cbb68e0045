//! Scenario files: reading TOML (`file`), checking it (`validate`) and the trusted result
//! (`params`). Data flows one way: path -> text -> `ScenarioFile` -> `Params`.

pub mod error;
pub mod file;
pub mod params;
pub mod validate;

use std::path::{Path, PathBuf};

pub use error::{Location, ScenarioError};
pub use file::ScenarioFile;
pub use params::Params;
pub use validate::Overrides;

/// A scenario read from disk: the file as resolved (command-line overrides applied, kept for the
/// run manifest) and the validated parameters.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub file: ScenarioFile,
    pub params: Params,
}

/// Reads, parses and validates the scenario at `path`, applying `overrides`.
pub fn load(path: &Path, overrides: Overrides) -> Result<Scenario, ScenarioError> {
    let source = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&source, path, overrides)
}

/// Parses and validates scenario text; `path` is only used in error messages.
pub fn parse(source: &str, path: &Path, overrides: Overrides) -> Result<Scenario, ScenarioError> {
    let mut file: ScenarioFile = toml::from_str(source).map_err(|e| ScenarioError::Syntax {
        location: Location::in_file(path, source, e.span().unwrap_or(0..0)),
        message: e.message().trim().to_string(),
    })?;
    let params = validate::validate(&file, source, path, overrides)?;
    // The manifest records the scenario as it ran, overrides included.
    file.meta.seed = params.seed;
    if let Some(agents) = overrides.agents {
        file.population.agents = toml::Spanned::new(0..0, agents as i64);
    }
    Ok(Scenario {
        path: path.to_path_buf(),
        file,
        params,
    })
}
