//! The TOML reader's errors made into the project's own: a type error, an unknown key or a
//! missing one names the field's dotted path, the value as written, what is wrong in plain words
//! and what is allowed, with "did you mean" for a misspelt key or name. Real syntax errors
//! (an unclosed string, a duplicate key) keep the parser's words with their place.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::{Location, ScenarioError};

/// The name in `names` closest to `word`, if one is close enough to be a likely misspelling.
pub fn closest<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    names
        .into_iter()
        .map(|n| {
            let score = strsim::jaro_winkler(&lower, &n.to_lowercase());
            (score, n)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// `"; did you mean `x`?"` for the closest of `names`, or nothing.
pub fn did_you_mean<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, names).map_or_else(String::new, |n| format!("; did you mean `{n}`?"))
}

/// Parses `source`, read from `path`, as `T`; every error is located and explained.
pub fn parse<T: DeserializeOwned>(source: &str, path: &Path) -> Result<T, ScenarioError> {
    let locate = |span: Range<usize>| Location::in_file(path, source, span);
    match DeTable::parse(source) {
        Ok(tree) => deserialize_all(
            tree.get_ref(),
            |s| source.get(s).map(str::to_string),
            locate,
        ),
        Err(e) => Err(ScenarioError::Syntax {
            location: locate(e.span().unwrap_or(0..0)),
            message: e.message().trim().to_string(),
        }),
    }
}

/// How many problems of type and key one check reports before it stops.
const MAX_PROBLEMS: usize = 20;

/// Deserializes `tree` as `T`. On an error it goes on, with the offending entry taken out of
/// a copy, to report up to [`MAX_PROBLEMS`] of them together: a wrong type, an unknown key or
/// choice and a missing key each, but not a key found missing because an offending one was
/// taken out or misspelt. Paths and places are those of `tree` (spans in one address space with `text`
/// and `locate`).
pub fn deserialize_all<T: DeserializeOwned>(
    tree: &DeTable<'_>,
    text: impl Fn(Range<usize>) -> Option<String>,
    locate: impl Fn(Range<usize>) -> Location,
) -> Result<T, ScenarioError> {
    let mut work = tree.clone();
    let mut errors = Vec::new();
    // The paths of the entries taken out.
    let mut taken: Vec<String> = Vec::new();
    while errors.len() < MAX_PROBLEMS {
        let e = match T::deserialize(toml::de::Deserializer::from(Spanned::new(
            0..0,
            work.clone(),
        ))) {
            Ok(v) if errors.is_empty() => return Ok(v),
            Ok(_) => break,
            Err(e) => e,
        };
        let span = e.span().unwrap_or(0..0);
        let error = explain(&e, Some(tree), &text, &locate);
        let follows = e.message().starts_with("missing field")
            && matches!(&error, ScenarioError::Invalid(v) if taken.contains(&v.field));
        if !follows {
            // A misspelt key stands for the key it was meant to be: that one is not reported
            // as missing too.
            if let (Some(rest), ScenarioError::Invalid(v)) =
                (e.message().strip_prefix("unknown field `"), &error)
            {
                let (name, expected) = split_quoted(rest);
                let names = quoted_names(expected);
                if let (Some(meant), Some(parent)) = (
                    closest(name, names.iter().map(String::as_str)),
                    v.field.strip_suffix(name),
                ) {
                    taken.push(format!("{parent}{meant}"));
                }
            }
            errors.push(error);
        }
        let Some(out) = (span != (0..0))
            .then(|| take_out(&mut work, span.start))
            .flatten()
        else {
            break;
        };
        match path_at(tree, out.start) {
            Some(found) => taken.push(found.path),
            None => break,
        }
    }
    Err(ScenarioError::many(errors))
}

/// Takes out of `tree` the deepest entry (a key, or an item of a list) whose key or value
/// holds byte `at`, and gives its span.
fn take_out(tree: &mut DeTable<'_>, at: usize) -> Option<Range<usize>> {
    let mut found = None;
    for (key, value) in tree.iter_mut() {
        if let Some(out) = take_in(value.get_mut(), at) {
            return Some(out);
        }
        if holds(&key.span(), at) || holds(&value.span(), at) {
            found = Some((
                key.clone(),
                key.span().start.min(value.span().start)..value.span().end,
            ));
            break;
        }
    }
    let (key, span) = found?;
    tree.remove(&key);
    Some(span)
}

/// [`take_out`] inside `value`, a table or a list.
fn take_in(value: &mut DeValue<'_>, at: usize) -> Option<Range<usize>> {
    match value {
        DeValue::Table(t) => take_out(t, at),
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                if let Some(out) = take_in(item.get_mut(), at) {
                    return Some(out);
                }
            }
            let i = items.iter().position(|x| holds(&x.span(), at))?;
            let span = items[i].span();
            let mut kept = DeArray::new();
            for (j, item) in items.iter().enumerate() {
                if j != i {
                    kept.push(item.clone());
                }
            }
            *items = kept;
            Some(span)
        }
        _ => None,
    }
}

/// The error `e`, raised while reading `tree` (spans in one address space with `text` and
/// `locate`), as a located error with the field's path.
pub fn explain(
    e: &toml::de::Error,
    tree: Option<&DeTable<'_>>,
    text: impl Fn(Range<usize>) -> Option<String>,
    locate: impl Fn(Range<usize>) -> Location,
) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim();
    let syntax = || ScenarioError::Syntax {
        location: locate(span.clone()),
        message: message.to_string(),
    };
    let Some(tree) = tree else { return syntax() };
    let found = (span != (0..0))
        .then(|| path_at(tree, span.start))
        .flatten();
    let field = found.as_ref().map(|f| f.path.clone());
    let value = || {
        found
            .as_ref()
            .and_then(|f| text(f.value.clone()))
            .map(|t| first_line(&t))
            .unwrap_or_else(|| "(this value)".into())
    };
    let invalid = |field: String, value: String, problem: String, allowed: String| {
        ScenarioError::invalid(locate(span.clone()), field, value, problem, allowed)
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = split_quoted(rest);
        let names = quoted_names(expected);
        let parent = field
            .as_deref()
            .and_then(|p| p.strip_suffix(name))
            .map(|p| p.trim_end_matches('.'))
            .unwrap_or("");
        let here = if parent.is_empty() {
            "at the top of the file".to_string()
        } else {
            format!("in `{parent}`")
        };
        return invalid(
            field.unwrap_or_else(|| name.to_string()),
            value(),
            format!(
                "`{name}` is not a key {here}{}",
                did_you_mean(name, names.iter().map(String::as_str))
            ),
            allowed_names(&names, "no keys"),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (name, expected) = split_quoted(rest);
        let names = quoted_names(expected);
        return invalid(
            field.unwrap_or_default(),
            format!("\"{name}\""),
            format!(
                "\"{name}\" is not one of the choices{}",
                did_you_mean(name, names.iter().map(String::as_str))
            ),
            allowed_names(&names, "none"),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let (name, _) = split_quoted(rest);
        let table = field.unwrap_or_default();
        let path = if table.is_empty() {
            name.to_string()
        } else {
            format!("{table}.{name}")
        };
        return invalid(
            path,
            "(missing)".into(),
            format!("`{name}` is required here"),
            String::new(),
        );
    }
    for (prefix, range_word) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.split_once(", expected ")
        {
            let got = unexpected(got);
            let allowed = expected_words(expected);
            let mut problem = if range_word {
                format!("{got} is out of range")
            } else {
                format!("is {got}")
            };
            if got.starts_with("text") && allowed.starts_with("a whole number")
                || got.starts_with("text") && allowed.starts_with("a number")
            {
                problem.push_str(" (numbers are written without quotes)");
            }
            return invalid(field.unwrap_or_default(), value(), problem, allowed);
        }
    }
    match field {
        Some(field) => invalid(field, value(), message.to_string(), String::new()),
        None => syntax(),
    }
}

/// A key found at a byte offset: its dotted path and its value's span.
struct Found {
    path: String,
    value: Range<usize>,
}

/// The deepest key of `tree` whose key or value holds byte `at`.
fn path_at(tree: &DeTable<'_>, at: usize) -> Option<Found> {
    for (key, value) in tree {
        let name = key.get_ref().as_ref();
        if let Some(inner) = in_value(value.get_ref(), at) {
            return Some(Found {
                path: join(name, &inner.path),
                value: inner.value,
            });
        }
        if holds(&key.span(), at) || holds(&value.span(), at) {
            return Some(Found {
                path: name.to_string(),
                value: value.span(),
            });
        }
    }
    None
}

/// The key inside `value` (a table or an array) at byte `at`, its path relative to `value`.
fn in_value(value: &DeValue<'_>, at: usize) -> Option<Found> {
    match value {
        DeValue::Table(t) => path_at(t, at),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let index = format!("[{i}]");
            if let Some(inner) = in_value(item.get_ref(), at) {
                return Some(Found {
                    path: format!("{index}{}", dotted(&inner.path)),
                    value: inner.value,
                });
            }
            holds(&item.span(), at).then(|| Found {
                path: index,
                value: item.span(),
            })
        }),
        _ => None,
    }
}

fn dotted(path: &str) -> String {
    if path.starts_with('[') || path.is_empty() {
        path.to_string()
    } else {
        format!(".{path}")
    }
}

fn join(name: &str, inner: &str) -> String {
    format!("{name}{}", dotted(inner))
}

fn holds(span: &Range<usize>, at: usize) -> bool {
    span.start <= at && (at < span.end || span.start == span.end && at == span.start)
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.len() < text.trim().len() {
        format!("{line} …")
    } else {
        line.to_string()
    }
}

/// `name`, then what follows the closing backquote.
fn split_quoted(rest: &str) -> (&str, &str) {
    rest.split_once('`').unwrap_or((rest, ""))
}

/// The backquoted names in `text`.
fn quoted_names(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn allowed_names(names: &[String], none: &str) -> String {
    if names.is_empty() {
        none.to_string()
    } else {
        format!("one of {}", names.join(", "))
    }
}

/// serde's name for the value found, in plain words.
fn unexpected(got: &str) -> String {
    let strip = |s: &str| s.trim_matches('`').to_string();
    if let Some(s) = got.strip_prefix("string ") {
        format!("text {s}")
    } else if let Some(s) = got.strip_prefix("integer ") {
        format!("the whole number {}", strip(s))
    } else if let Some(s) = got.strip_prefix("floating point ") {
        format!("the number {}", strip(s))
    } else if let Some(s) = got.strip_prefix("boolean ") {
        format!("the boolean {}", strip(s))
    } else if got == "map" {
        "a table".into()
    } else if got == "sequence" {
        "a list".into()
    } else {
        got.to_string()
    }
}

/// serde's name for the type wanted, in plain words.
fn expected_words(expected: &str) -> String {
    match expected.trim() {
        "u8" => "a whole number 0 ..= 255".into(),
        "u16" => "a whole number 0 ..= 65535".into(),
        "u32" => "a whole number 0 ..= 4294967295".into(),
        "u64" | "usize" => "a whole number 0 ..= 18446744073709551615".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number, such as 0.5".into(),
        "a boolean" => "true or false".into(),
        "a string" => "text in quotes".into(),
        "a sequence" => "a list in [ ]".into(),
        "a map" => "a table".into(),
        other if other.starts_with("struct ") => "a table".into(),
        other if other.starts_with("a tuple of size ") => {
            format!("a list of {} items", &other["a tuple of size ".len()..])
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Seg {
        name: String,
        attention: Option<f64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Meta {
        seed: u64,
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[allow(dead_code)]
    enum Kind {
        SmallWorld,
        PowerLaw,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        meta: Meta,
        segments: Vec<Seg>,
    }

    fn err(text: &str) -> String {
        parse::<Doc>(text, Path::new("f.toml"))
            .unwrap_err()
            .to_string()
    }

    const OK: &str = "[meta]\nseed = 1\n\n[[segments]]\nname = \"a\"\n";

    #[test]
    fn a_type_error_names_the_field_value_and_what_is_allowed() {
        let e = err(&OK.replace("seed = 1", "seed = \"60\""));
        assert_eq!(
            e,
            "f.toml:2:8: meta.seed = \"60\": is text \"60\" (numbers are written without quotes); \
             allowed: a whole number 0 ..= 18446744073709551615"
        );
        let e = err(&format!("{OK}attention = \"high\"\n"));
        assert!(
            e.starts_with("f.toml:6:13: segments[0].attention = \"high\""),
            "{e}"
        );
        assert!(e.ends_with("allowed: a number, such as 0.5"), "{e}");
    }

    #[test]
    fn a_misspelt_key_gets_the_closest_one() {
        let e = err(&format!("{OK}atention = 0.5\n"));
        assert!(e.contains("segments[0].atention = 0.5"), "{e}");
        assert!(
            e.contains("`atention` is not a key in `segments[0]`; did you mean `attention`?"),
            "{e}"
        );
        assert!(e.contains("allowed: one of name, attention"), "{e}");
        let e = err(&format!("{OK}[extra]\nx = 1\n"));
        assert!(e.contains("is not a key at the top of the file"), "{e}");
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn a_misspelt_choice_gets_the_closest_one() {
        let e = err(&OK.replace("seed = 1", "seed = 1\nkind = \"small-wrld\""));
        assert!(e.contains("meta.kind = \"small-wrld\""), "{e}");
        assert!(e.contains("did you mean `small-world`?"), "{e}");
    }

    #[test]
    fn a_missing_key_is_named_with_its_table() {
        let e = err("[meta]\n\n[[segments]]\nname = \"a\"\n");
        assert!(
            e.contains("meta.seed = (missing): `seed` is required here"),
            "{e}"
        );
    }

    #[test]
    fn a_syntax_error_keeps_the_parsers_words_and_place() {
        let e = err("[meta]\nseed = \"1\n");
        assert!(e.starts_with("f.toml:2:"), "{e}");
        assert!(!e.contains("allowed"), "{e}");
    }

    #[test]
    fn every_type_and_key_problem_is_reported_together() {
        let text = "[meta]\nseed = \"1\"\nkind = \"smal-world\"\n\n[[segments]]\nname = \"a\"\n\
                    atention = 0.5\n\n[[segments]]\nname = 3\nattention = \"x\"\n";
        let e = parse::<Doc>(text, Path::new("f.toml")).unwrap_err();
        let lines: Vec<String> = e.each().iter().map(|e| e.to_string()).collect();
        let fields: Vec<&str> = lines
            .iter()
            .map(|l| l.split(" = ").next().unwrap_or(""))
            .collect();
        assert_eq!(
            fields,
            [
                "f.toml:2:8: meta.seed",
                "f.toml:3:8: meta.kind",
                "f.toml:7:1: segments[0].atention",
                "f.toml:10:8: segments[1].name",
                "f.toml:11:13: segments[1].attention",
            ],
            "{lines:#?}"
        );
        // The taken-out required keys (`meta.seed`, `segments[1].name`) are not reported
        // again as missing.
        assert!(!lines.iter().any(|l| l.contains("(missing)")), "{lines:#?}");
    }

    #[test]
    fn a_missing_key_is_still_reported_beside_another_problem() {
        let e = parse::<Doc>(
            "[meta]\nseed = 1\nkind = 2\n\n[[segments]]\nattention = 0.5\n",
            Path::new("f.toml"),
        )
        .unwrap_err();
        let lines: Vec<String> = e.each().iter().map(|e| e.to_string()).collect();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].contains("meta.kind = 2"), "{lines:#?}");
        assert!(
            lines[1].contains("segments[0].name = (missing)"),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_misspelt_required_key_is_not_also_missing() {
        let e = err("[meta]\nseed = 1\n\n[[segments]]\nnme = \"a\"\n");
        assert!(
            e.contains("`nme` is not a key in `segments[0]`; did you mean `name`?"),
            "{e}"
        );
        assert!(!e.contains("(missing)"), "{e}");
    }

    #[test]
    fn closest_needs_a_close_name() {
        assert_eq!(closest("RedNot", ["TikTok", "RedNote"]), Some("RedNote"));
        assert_eq!(closest("rednote", ["TikTok", "RedNote"]), Some("RedNote"));
        assert_eq!(closest("Mastodon", ["TikTok", "RedNote"]), None);
    }
}
