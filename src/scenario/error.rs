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
        /// The line's text with the span marked, shown under the message.
        snippet: Option<Snippet>,
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
            snippet: Snippet::new(source, span, line),
        }
    }

    /// The marked line of the file, when the location is a place in a file.
    pub fn snippet(&self) -> Option<&Snippet> {
        match self {
            Location::File { snippet, .. } => snippet.as_ref(),
            _ => None,
        }
    }
}

/// One line of a file with a span of it marked by carets, as compilers show errors:
///
/// ```text
///    |
/// 38 | agents = -5
///    |          ^^
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// 1-based line number.
    pub line: usize,
    /// The line as shown: control characters escaped, tabs as spaces, long lines cut around
    /// the span.
    pub text: String,
    /// Characters of `text` before the span.
    pub start: usize,
    /// Characters of the span on this line (at least 1).
    pub width: usize,
}

/// Characters of a line shown around the span; longer lines are cut with `…`.
const SNIPPET_CHARS: usize = 100;

impl Snippet {
    /// The line of `source` holding `span.start`, the span marked (cut at the line's end).
    fn new(source: &str, span: Range<usize>, line: usize) -> Option<Snippet> {
        let at = span.start.min(source.len());
        if !source.is_char_boundary(at) {
            return None;
        }
        let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[at..].find('\n').map_or(source.len(), |i| at + i);
        let end = span.end.clamp(at, line_end);
        let end = (at..=end)
            .rev()
            .find(|&i| source.is_char_boundary(i))
            .unwrap_or(at);
        let shown = |s: &str| -> Vec<String> {
            s.chars()
                .map(|c| match c {
                    '\t' => " ".to_string(),
                    c => crate::output::text::printable(c.encode_utf8(&mut [0; 4])).into_owned(),
                })
                .collect()
        };
        let before = shown(&source[line_start..at]);
        let marked = shown(&source[at..end]);
        let after = shown(source[end..line_end].trim_end_matches('\r'));
        let width = |cells: &[String]| cells.iter().map(|c| c.chars().count()).sum::<usize>();
        // Cut the text before the span to keep the caret in view, then the rest to the limit.
        let mut text = String::new();
        let mut start = width(&before);
        if start > SNIPPET_CHARS / 2 {
            let mut kept = 0;
            let mut tail = Vec::new();
            for c in before.iter().rev() {
                kept += c.chars().count();
                if kept > SNIPPET_CHARS / 2 {
                    break;
                }
                tail.push(c.as_str());
            }
            text.push('…');
            tail.reverse();
            text.extend(tail);
            start = text.chars().count();
        } else {
            text.extend(before.iter().map(String::as_str));
        }
        let mut marked_width = 0;
        for c in marked.iter().chain(after.iter()) {
            if text.chars().count() >= SNIPPET_CHARS + start.min(SNIPPET_CHARS) {
                text.push('…');
                break;
            }
            text.push_str(c);
        }
        for c in &marked {
            marked_width += c.chars().count();
        }
        let room = text.chars().count().saturating_sub(start).max(1);
        Some(Snippet {
            line,
            text,
            start,
            width: marked_width.clamp(1, room),
        })
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {}", self.text)?;
        write!(
            f,
            "{pad} | {}{}",
            " ".repeat(self.start),
            "^".repeat(self.width)
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File {
                path, line, column, ..
            } => {
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
    /// Several problems, in the order found (never empty, never one).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ScenarioError>),
}

/// A value that is out of range or inconsistent with the rest of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let InvalidValue {
            location,
            field,
            value,
            problem,
            allowed,
        } = self;
        write!(f, "{location}: {field} = {value}: {problem}")?;
        if !allowed.is_empty() {
            write!(f, "; allowed: {allowed}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidValue {}

impl ScenarioError {
    /// The marked line of the file where the problem is, if it is a place in a file.
    pub fn snippet(&self) -> Option<&Snippet> {
        match self {
            ScenarioError::Read { .. } => None,
            ScenarioError::Syntax { location, .. } => location.snippet(),
            ScenarioError::Invalid(v) => v.location.snippet(),
            ScenarioError::Many(_) => None,
        }
    }

    /// `errors` as one error: the error itself when there is one, `Many` otherwise.
    pub fn many(mut errors: Vec<ScenarioError>) -> ScenarioError {
        if errors.len() == 1 {
            errors.remove(0)
        } else {
            ScenarioError::Many(errors)
        }
    }

    /// Each problem on its own, in order (`Many` unpacked).
    pub fn each(&self) -> Vec<&ScenarioError> {
        match self {
            ScenarioError::Many(list) => list.iter().flat_map(ScenarioError::each).collect(),
            e => vec![e],
        }
    }

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
    fn snippet_marks_the_span_on_its_line() {
        let src = "a = 1\nagents = -5 # x\n";
        let loc = Location::in_file(Path::new("f.toml"), src, 15..17);
        let shown = loc.snippet().unwrap().to_string();
        assert_eq!(shown, "  |\n2 | agents = -5 # x\n  |          ^^");
    }

    #[test]
    fn snippet_escapes_control_characters_and_cuts_long_lines() {
        let src = format!("name = \"\u{1b}[31m{}\" # end", "x".repeat(300));
        let loc = Location::in_file(Path::new("f.toml"), &src, 7..src.len() - 6);
        let s = loc.snippet().unwrap();
        assert!(!s.text.contains('\u{1b}'), "{}", s.text);
        assert!(s.text.contains("\\u{1b}"), "{}", s.text);
        assert!(
            s.text.chars().count() <= 2 * SNIPPET_CHARS + 2,
            "{}",
            s.text.len()
        );
        assert!(s.text.ends_with('…'));
        // A span far into a long line keeps its caret in view.
        let src = format!("k = [{}, \"bad\"]", "1, ".repeat(200));
        let at = src.find("\"bad").unwrap();
        let s = Location::in_file(Path::new("f.toml"), &src, at..at + 5)
            .snippet()
            .unwrap()
            .clone();
        assert!(s.text.starts_with('…'));
        let marked: String = s.text.chars().skip(s.start).take(s.width).collect();
        assert_eq!(marked, "\"bad\"");
    }

    #[test]
    fn empty_span_is_whole_file() {
        let loc = Location::in_file(Path::new("f.toml"), "x", 0..0);
        assert_eq!(loc.to_string(), "f.toml");
    }
}
