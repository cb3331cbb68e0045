//! Reading the other input files that name scenario paths (calibration and sweep files): the
//! text with its spans, so that every error names the file, line and column, the field, the
//! value and what is allowed, as scenario errors do.

use std::ops::{Range, RangeInclusive};
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;

use super::{Location, ScenarioError};

/// Largest input file exodus reads (scenario, comparison, targets, sweep, calibration): far
/// above any real one, and a guard against a path to a device (`/dev/zero`) or a wrong file.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads an input file as text: a regular file of at most `MAX_INPUT_BYTES`, in UTF-8.
pub fn read_input(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let fail = |source: std::io::Error| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() {
        return Err(fail(std::io::Error::other(
            "is not a regular file (a folder or a device)",
        )));
    }
    let mut text = String::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(fail)?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(fail(std::io::Error::other(format!(
            "is larger than the {} MB an input file may be",
            MAX_INPUT_BYTES >> 20
        ))));
    }
    Ok(text)
}

/// Reads `path` and parses it as `T`; a syntax error is located.
pub fn parse_file<T: DeserializeOwned>(path: &Path) -> Result<(T, String), ScenarioError> {
    let source = read_input(path)?;
    Ok((parse_text(&source, path)?, source))
}

/// Parses `source`, read from `path`, as `T`; a syntax error is located.
pub fn parse_text<T: DeserializeOwned>(source: &str, path: &Path) -> Result<T, ScenarioError> {
    super::diagnose::parse(source, path)
}

/// A file's text, to locate its values.
pub struct Located<'a> {
    pub path: &'a Path,
    pub source: &'a str,
}

impl Located<'_> {
    /// The place of byte span `span`.
    pub fn loc(&self, span: Range<usize>) -> Location {
        Location::in_file(self.path, self.source, span)
    }

    /// An optional value, checked against `range` (a number that is not finite is refused:
    /// NaN is in no range).
    pub fn in_range<T>(
        &self,
        v: &Option<Spanned<T>>,
        field: &str,
        range: RangeInclusive<T>,
    ) -> Result<Option<T>, ScenarioError>
    where
        T: Copy + PartialOrd + std::fmt::Display,
    {
        let Some(v) = v else { return Ok(None) };
        let x = *v.get_ref();
        if range.contains(&x) {
            Ok(Some(x))
        } else {
            Err(ScenarioError::invalid(
                self.loc(v.span()),
                field,
                x,
                "is out of range",
                format!("{} ..= {}", range.start(), range.end()),
            ))
        }
    }

    /// A whole number checked against `range`, or `default` when absent.
    pub fn int(
        &self,
        v: &Option<Spanned<i64>>,
        field: &str,
        range: RangeInclusive<i64>,
        default: i64,
    ) -> Result<i64, ScenarioError> {
        Ok(self.in_range(v, field, range)?.unwrap_or(default))
    }

    /// A finite number checked against `range`, or `default` when absent.
    pub fn float(
        &self,
        v: &Option<Spanned<f64>>,
        field: &str,
        range: RangeInclusive<f64>,
        default: f64,
    ) -> Result<f64, ScenarioError> {
        Ok(self.in_range(v, field, range)?.unwrap_or(default))
    }

    /// An optional number, refused when it is not finite.
    pub fn finite(
        &self,
        v: &Option<Spanned<f64>>,
        field: &str,
    ) -> Result<Option<f64>, ScenarioError> {
        match v {
            Some(x) if x.get_ref().is_finite() => Ok(Some(*x.get_ref())),
            Some(x) => Err(ScenarioError::invalid(
                self.loc(x.span()),
                field,
                x.get_ref(),
                "is not a finite number",
                "a finite number",
            )),
            None => Ok(None),
        }
    }

    /// The scenario paths of `parameters[i]`: `path`, then `also`, trimmed; refused when one is
    /// named twice in it or is already `taken` by an earlier parameter.
    pub fn parameter_paths(
        &self,
        i: usize,
        path: &Spanned<String>,
        also: &[Spanned<String>],
        taken: impl Fn(&str) -> bool,
    ) -> Result<(String, Vec<String>), ScenarioError> {
        let main = path.get_ref().trim().to_string();
        let more: Vec<String> = also
            .iter()
            .map(|a| a.get_ref().trim().to_string())
            .collect();
        let named = std::iter::once((&main, path.span(), "path".to_string())).chain(
            more.iter()
                .zip(also)
                .enumerate()
                .map(|(k, (a, s))| (a, s.span(), format!("also[{k}]"))),
        );
        let mut seen: Vec<&str> = Vec::new();
        for (text, span, key) in named {
            if seen.contains(&text.as_str()) || taken(text) {
                return Err(ScenarioError::invalid(
                    self.loc(span),
                    format!("parameters[{i}].{key}"),
                    format!("\"{text}\""),
                    "is named twice",
                    "each scenario path in one parameter, once",
                ));
            }
            seen.push(text);
        }
        Ok((main, more))
    }
}
