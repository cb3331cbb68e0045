//! Errors in scenario files: where (file, line, column), which field, the value, and what is
//! allowed. Messages are written for the person editing the file, e.g.
//! `scenarios/x.toml:12:10: population.agents = 0: is out of range; allowed: 2 ..= 4000000000`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where a problem is: a place in a scenario file, or a command-line flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A byte span in a file, turned into 1-based line and column.
    File {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A file as a whole (the value had no position, e.g. a default that was not written).
    WholeFile { path: PathBuf },
    /// A command-line flag such as `--agents`.
    CommandLine,
    /// One command-line argument, as typed (e.g. `--set platforms.RedNote.appeal=x`).
    Flag(String),
}

impl Location {
    /// The location of byte span `span` of `source`, read from `path`.
    pub fn in_file(path: &Path, source: &str, span: Range<usize>) -> Location {
        if span.start == 0 && span.end == 0 {
            return Location::WholeFile {
                path: path.to_path_buf(),
            };
        }
        let start = span.start.min(source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(start, |nl| start - nl - 1) + 1;
        Location::File {
            path: path.to_path_buf(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Location::WholeFile { path } => write!(f, "{}", path.display()),
            Location::CommandLine => f.write_str("command line"),
            Location::Flag(text) => f.write_str(text),
        }
    }
}

/// Everything that can be wrong with a scenario before it runs.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read at all.
    #[error("cannot read scenario file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not have the shape of a scenario.
    #[error("{location}: {message}")]
    Syntax { location: Location, message: String },
    /// A value is out of range or inconsistent with the rest of the scenario.
    #[error("{0}")]
    Invalid(Box<InvalidValue>),
}

/// A value that is out of range or inconsistent with the rest of the scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {field} = {value}: {problem}; allowed: {allowed}")]
pub struct InvalidValue {
    pub location: Location,
    /// Dotted path of the field, e.g. `population.segments[0].attention`.
    pub field: String,
    /// The value as written.
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
    /// What would be accepted.
    pub allowed: String,
}

impl ScenarioError {
    /// An invalid-value error.
    pub fn invalid(
        location: Location,
        field: impl Into<String>,
        value: impl ToString,
        problem: impl Into<String>,
        allowed: impl ToString,
    ) -> ScenarioError {
        ScenarioError::Invalid(Box::new(InvalidValue {
            location,
            field: field.into(),
            value: value.to_string(),
            problem: problem.into(),
            allowed: allowed.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 22\n";
        let loc = Location::in_file(Path::new("f.toml"), src, 11..13);
        assert_eq!(loc.to_string(), "f.toml:2:6");
        let loc = Location::in_file(Path::new("f.toml"), src, 4..5);
        assert_eq!(loc.to_string(), "f.toml:1:5");
    }

    #[test]
    fn empty_span_is_whole_file() {
        let loc = Location::in_file(Path::new("f.toml"), "x", 0..0);
        assert_eq!(loc.to_string(), "f.toml");
    }
}
