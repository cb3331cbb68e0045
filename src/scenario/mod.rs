//! Scenario files: reading TOML and following `extends` (`resolve`), the file format (`file`),
//! checking it (`validate`) and the trusted result (`params`). Data flows one way:
//! path -> chain of texts -> resolved `ScenarioFile` (extends and `--set` applied) -> `Params`.

pub mod diagnose;
pub mod error;
pub mod file;
pub mod located;
pub mod params;
pub mod resolve;
pub mod schema;
pub mod validate;
pub mod warn;

use std::path::{Path, PathBuf};

pub use error::{Location, ScenarioError, Snippet};
pub use file::ScenarioFile;
pub use params::Params;
pub use resolve::{Assignment, Chain, Sources};
pub use validate::Overrides;

/// A scenario read from disk: the file as resolved (`extends` followed, `--set` and the other
/// command-line overrides applied; kept for the run manifest) and the validated parameters.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub file: ScenarioFile,
    pub params: Params,
    /// What is legal but likely a mistake (`warn`), to print on standard error.
    pub warnings: Vec<warn::Warning>,
}

/// Reads, resolves and validates the scenario at `path`, applying `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    from_chain(&Chain::load(path)?, overrides)
}

/// Resolves and validates scenario text; `path` names it in errors and anchors `extends`.
pub fn parse(source: &str, path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    from_chain(&Chain::from_text(path, source.to_string())?, overrides)
}

/// Resolves and validates a chain of files already read (calibration resolves one chain many
/// times with different assignments).
pub fn from_chain(chain: &Chain, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let resolved = chain.resolve(&overrides.sets)?;
    let mut file = resolved.file;
    let params = validate::validate(&file, &resolved.sources, overrides)?;
    let warnings = warn::warnings(&file, &params, &resolved.sources);
    // The manifest records the scenario as it ran, overrides included.
    file.meta.seed = params.seed;
    if let Some(agents) = overrides.agents {
        file.population.agents = toml::Spanned::new(0..0, agents as i64);
    }
    Ok(Scenario {
        path: resolved.sources.root(),
        file,
        params,
        warnings,
    })
}

/// Checks a parameter that a calibration or sweep sets by its `paths`: each must be a path of
/// the scenario resolved with `overrides` (`valid`, "did you mean" otherwise), and the
/// scenario must accept each of `values` there. Errors point at `location`, the parameter's
/// place in its file, and show it as `shown` (its prior or distribution). An integer field
/// (network.degree) is checked with whole numbers when `integers` (a sweep rounds its values)
/// and refused otherwise (a fit needs a continuous parameter).
#[allow(clippy::too_many_arguments)]
pub fn check_parameter(
    chain: &Chain,
    overrides: &Overrides,
    valid: &[String],
    paths: &[&str],
    location: &Location,
    shown: &str,
    values: &[f64],
    integers: bool,
) -> Result<(), ScenarioError> {
    for path in paths {
        resolve::check_path(path, valid, location.clone(), shown)?;
    }
    let integer =
        from_chain(chain, overrides).is_ok_and(|s| resolve::holds_integer(&s.file, paths[0]));
    if integer && !integers {
        return Err(ScenarioError::invalid(
            location.clone(),
            paths[0],
            shown,
            "is a whole-number field, which a fit cannot move continuously",
            "a parameter that takes any number (sweep a whole-number field instead)",
        ));
    }
    for &x in values {
        let mut o = overrides.clone();
        o.sets.extend(paths.iter().map(|path| {
            if integer {
                Assignment::integer(path, x)
            } else {
                Assignment::number(path, x)
            }
        }));
        if let Err(e) = from_chain(chain, &o) {
            return Err(ScenarioError::invalid(
                location.clone(),
                paths[0],
                shown,
                format!("the scenario does not accept {x} here ({e})"),
                "a range inside the parameter's allowed range",
            ));
        }
    }
    Ok(())
}

/// The resolved scenario as TOML text (what `exodus validate --resolved` prints): every value
/// after `extends` and `--set`, defaults included, so the text runs as it stands.
pub fn resolved_text(file: &ScenarioFile) -> Result<String, String> {
    toml::to_string_pretty(file).map_err(|e| e.to_string())
}
