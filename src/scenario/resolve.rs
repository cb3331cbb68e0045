//! Scenario inheritance (`extends`) and parameter paths (`--set PATH=VALUE`): from the file a
//! user names to one resolved TOML tree, before it is deserialised and validated.
//!
//! A scenario may start with `extends = "other.toml"` (relative to its own folder) and then set
//! only what differs. Resolution reads the chain of files (a cycle is an error), parses each into
//! a spanned TOML tree and merges child over parent: tables key by key; arrays of tables by the
//! elements' `id` or `name` (platforms, segments, events), where `remove = true` drops the
//! parent's element and an element with no `id` or `name` is appended; any other array is
//! replaced whole; a distribution table whose `dist` differs replaces the parent's. Then the
//! assignments of `--set` are applied, each to a path such as `platforms.RedNote.appeal`,
//! `population.segments.under-30.attention.mean` or `events.ruling.date`.
//!
//! Every span is shifted into one address space shared by all the files and flags
//! ([`Sources`]), so an error found later, in any of them, still names its own file, line and
//! column.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::error::{Location, ScenarioError};
use super::file::ScenarioFile;

/// Where a piece of scenario text came from.
#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    /// A `--set PATH=VALUE` argument (its text).
    Set(String),
}

#[derive(Debug, Clone)]
struct Source {
    origin: Origin,
    text: String,
    base: usize,
}

/// The texts a resolved scenario was made from, placed one after another in one address space
/// of byte offsets, so that one span says which text and where in it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    list: Vec<Source>,
}

impl Sources {
    /// One file, read from `path` (spans of its text are its own byte offsets).
    pub fn single(path: &Path, text: &str) -> Sources {
        let mut s = Sources::default();
        s.push(Origin::File(path.to_path_buf()), text.to_string());
        s
    }

    fn push(&mut self, origin: Origin, text: String) -> usize {
        let base = self.list.last().map_or(0, |s| s.base + s.text.len() + 1);
        self.list.push(Source { origin, text, base });
        base
    }

    /// The file the user named (the first of the chain).
    pub fn root(&self) -> PathBuf {
        match self.list.first().map(|s| &s.origin) {
            Some(Origin::File(p)) => p.clone(),
            _ => PathBuf::from("scenario"),
        }
    }

    /// The text of `span` (in one of the texts), if it lies within one.
    pub fn text_at(&self, span: Range<usize>) -> Option<&str> {
        let s = self.list.iter().rev().find(|s| s.base <= span.start)?;
        s.text
            .get(span.start - s.base..span.end.checked_sub(s.base)?)
    }

    /// The location of `span`. An empty span at 0 (a default nobody wrote) is the named file
    /// as a whole.
    pub fn locate(&self, span: Range<usize>) -> Location {
        if span.start == 0 && span.end == 0 {
            return Location::WholeFile { path: self.root() };
        }
        let Some(s) = self.list.iter().rev().find(|s| s.base <= span.start) else {
            return Location::WholeFile { path: self.root() };
        };
        match &s.origin {
            Origin::File(path) => {
                let local = span.start - s.base..span.end.saturating_sub(s.base);
                // An empty span at a later file's offset 0 is still a place in that file.
                let local = if local == (0..0) { 0..1 } else { local };
                Location::in_file(path, &s.text, local)
            }
            Origin::Set(arg) => Location::Flag(format!("--set {arg}")),
        }
    }
}

/// One `PATH=VALUE` assignment, from `--set` or from a calibration candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub path: String,
    /// The value as TOML (`0.3`, `2025-02-01`, `true`, `{ dist = "beta", alpha = 2, beta = 8 }`);
    /// text that is not TOML is taken as a string.
    pub value: String,
}

impl Assignment {
    /// Reads `PATH=VALUE` (the `--set` syntax).
    pub fn parse(arg: &str) -> Result<Assignment, String> {
        match arg.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() && !value.trim().is_empty() => {
                Ok(Assignment {
                    path: path.trim().to_string(),
                    value: value.trim().to_string(),
                })
            }
            _ => Err(format!(
                "`{arg}` is not PATH=VALUE (e.g. platforms.RedNote.appeal=0.3)"
            )),
        }
    }

    /// A number assigned to a path, written so that it reads back exactly.
    pub fn number(path: &str, value: f64) -> Assignment {
        Assignment {
            path: path.to_string(),
            value: format_number(value),
        }
    }

    /// `path` set to `value` rounded to the nearest whole number, written as a TOML integer.
    pub fn integer(path: &str, value: f64) -> Assignment {
        Assignment {
            path: path.to_string(),
            value: format!("{}", value.round() as i64),
        }
    }

    /// `PATH=VALUE` as typed.
    pub fn text(&self) -> String {
        format!("{}={}", self.path, self.value)
    }
}

/// A float as TOML that parses back to the same bits (`1` is written `1.0`).
pub fn format_number(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E', 'n', 'i']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The files of a scenario: the one named first, then the one it extends, and so on.
#[derive(Debug, Clone)]
pub struct Chain {
    files: Vec<(PathBuf, String)>,
}

/// A scenario after `extends` and `--set`, with the texts it was made from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub file: ScenarioFile,
    pub sources: Sources,
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    super::located::read_input(path)
}

fn syntax(sources: &Sources, e: &toml::de::Error) -> ScenarioError {
    ScenarioError::Syntax {
        location: sources.locate(e.span().unwrap_or(0..0)),
        message: e.message().trim().to_string(),
    }
}

impl Chain {
    /// Reads the scenario at `path` and every file it extends.
    pub fn load(path: &Path) -> Result<Chain, ScenarioError> {
        Chain::from_text(path, read(path)?)
    }

    /// The chain of a scenario whose text is `text` (read from `path`, against which `extends`
    /// is resolved).
    pub fn from_text(path: &Path, text: String) -> Result<Chain, ScenarioError> {
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        let mut seen: Vec<PathBuf> = Vec::new();
        let (mut path, mut text) = (path.to_path_buf(), text);
        loop {
            let parent = {
                let sources = Sources::single(&path, &text);
                let tree = DeTable::parse(&text).map_err(|e| syntax(&sources, &e))?;
                match tree.get_ref().get("extends") {
                    None => None,
                    Some(v) => match v.get_ref().as_str() {
                        Some(s) if !s.trim().is_empty() => Some((
                            path.parent().unwrap_or(Path::new("")).join(s.trim()),
                            sources.locate(v.span()),
                            s.to_string(),
                        )),
                        _ => {
                            return Err(ScenarioError::invalid(
                                sources.locate(v.span()),
                                "extends",
                                "(not a file name)",
                                "is not the path of a scenario file",
                                "a path relative to this file, e.g. extends = \"historical-2025.toml\"",
                            ));
                        }
                    },
                }
            };
            seen.push(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()));
            files.push((path, text));
            let Some((next, at, written)) = parent else {
                break;
            };
            let canonical = std::fs::canonicalize(&next).unwrap_or_else(|_| next.clone());
            if seen.contains(&canonical) {
                let mut cycle: Vec<String> =
                    files.iter().map(|(p, _)| p.display().to_string()).collect();
                cycle.push(next.display().to_string());
                return Err(ScenarioError::invalid(
                    at,
                    "extends",
                    format!("\"{written}\""),
                    format!("makes a cycle: {}", cycle.join(" extends ")),
                    "a chain of files that ends in a scenario without extends",
                ));
            }
            text = super::located::read_input(&next).map_err(|e| {
                let why = match e {
                    ScenarioError::Read { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                ScenarioError::invalid(
                    at,
                    "extends",
                    format!("\"{written}\""),
                    format!("cannot read {}: {why}", next.display()),
                    "a scenario file, path relative to this file",
                )
            })?;
            path = next;
        }
        Ok(Chain { files })
    }

    /// The files of the chain, the named one first.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(p, _)| p.as_path())
    }

    /// Merges the chain and applies `sets`; the result is ready for validation.
    pub fn resolve(&self, sets: &[Assignment]) -> Result<Resolved, ScenarioError> {
        let mut sources = Sources::default();
        let bases: Vec<usize> = self
            .files
            .iter()
            .map(|(p, t)| sources.push(Origin::File(p.clone()), t.clone()))
            .collect();
        let set_bases: Vec<usize> = sets
            .iter()
            .map(|a| sources.push(Origin::Set(a.text()), a.text()))
            .collect();
        let file = {
            let texts = &sources.list;
            // The oldest ancestor first, then each child merged over it.
            let mut merged: Option<DeTable> = None;
            for (i, base) in bases.iter().enumerate().rev() {
                let tree = DeTable::parse(&texts[i].text).map_err(|e| ScenarioError::Syntax {
                    location: sources.locate(shift_span(e.span().unwrap_or(0..0), *base)),
                    message: e.message().trim().to_string(),
                })?;
                let mut tree = shift_table(tree.into_inner(), *base);
                tree.remove("extends");
                merged = Some(match merged {
                    None => {
                        strip_removals(&mut tree, &sources)?;
                        tree
                    }
                    Some(mut parent) => {
                        merge_table(&mut parent, tree, &sources, "")?;
                        parent
                    }
                });
            }
            let mut tree = merged.unwrap_or_default();
            if !sets.is_empty() {
                let before = deserialize(&tree, &sources)?;
                let valid = parameter_paths(&before);
                let set_texts = &texts[texts.len() - sets.len()..];
                for ((a, base), source) in sets.iter().zip(&set_bases).zip(set_texts) {
                    apply(&mut tree, a, *base, &source.text, &valid, &sources)?;
                }
            }
            deserialize(&tree, &sources)?
        };
        Ok(Resolved { file, sources })
    }
}

fn deserialize(tree: &DeTable<'_>, sources: &Sources) -> Result<ScenarioFile, ScenarioError> {
    super::diagnose::deserialize_all(
        tree,
        |span| sources.text_at(span).map(str::to_string),
        |span| sources.locate(span),
    )
}

fn shift_span(span: Range<usize>, base: usize) -> Range<usize> {
    span.start + base..span.end + base
}

fn shift_value(v: Spanned<DeValue<'_>>, base: usize) -> Spanned<DeValue<'_>> {
    let span = shift_span(v.span(), base);
    let inner = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, base)),
        DeValue::Array(a) => {
            let mut out = DeArray::new();
            for x in a {
                out.push(shift_value(x, base));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(span, inner)
}

fn shift_table(t: DeTable<'_>, base: usize) -> DeTable<'_> {
    t.into_iter()
        .map(|(k, v)| {
            let span = shift_span(k.span(), base);
            (Spanned::new(span, k.into_inner()), shift_value(v, base))
        })
        .collect()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// How an element of an array of tables is named: by `id` (events) or `name` (platforms,
/// segments).
fn element_key<'a>(t: &'a DeTable<'_>) -> Option<(&'static str, &'a str)> {
    ["id", "name"]
        .into_iter()
        .find_map(|k| t.get(k).and_then(|v| v.get_ref().as_str()).map(|s| (k, s)))
}

/// A name as a path segment: spaces become dashes ("under 30" -> "under-30").
pub fn slug(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join("-")
}

fn same_label(a: &str, b: &str) -> bool {
    slug(a).eq_ignore_ascii_case(&slug(b))
}

fn is_table_array(a: &DeArray<'_>) -> bool {
    !a.is_empty() && a.iter().all(|x| x.get_ref().is_table())
}

/// `remove = true` in a file that extends nothing has nothing to remove.
fn strip_removals(tree: &mut DeTable<'_>, sources: &Sources) -> Result<(), ScenarioError> {
    for (key, value) in tree.iter_mut() {
        let name = key.get_ref().to_string();
        match value.get_mut() {
            DeValue::Array(a) if is_table_array(a) => {
                let items = std::mem::replace(a, DeArray::new()).into_iter().collect();
                *a = merge_elements(Vec::new(), items, sources, &name)?;
            }
            DeValue::Table(t) => strip_removals(t, sources)?,
            _ => {}
        }
    }
    Ok(())
}

/// Stands in for a value taken out to be merged; overwritten at once.
fn placeholder<'i>() -> Spanned<DeValue<'i>> {
    Spanned::new(0..0, DeValue::Boolean(false))
}

fn merge_table<'i>(
    parent: &mut DeTable<'i>,
    child: DeTable<'i>,
    sources: &Sources,
    path: &str,
) -> Result<(), ScenarioError> {
    for (key, value) in child {
        let here = join(path, key.get_ref());
        match parent.get_mut(key.get_ref().as_ref()) {
            Some(old) => {
                let old_value = std::mem::replace(old, placeholder());
                *old = merge_value(old_value, value, sources, &here)?;
            }
            None => {
                let mut value = value;
                if let DeValue::Array(a) = value.get_mut()
                    && is_table_array(a)
                {
                    let items = std::mem::replace(a, DeArray::new()).into_iter().collect();
                    *a = merge_elements(Vec::new(), items, sources, &here)?;
                }
                parent.insert(key, value);
            }
        }
    }
    Ok(())
}

fn merge_value<'i>(
    old: Spanned<DeValue<'i>>,
    new: Spanned<DeValue<'i>>,
    sources: &Sources,
    path: &str,
) -> Result<Spanned<DeValue<'i>>, ScenarioError> {
    let span = new.span();
    match (old.into_inner(), new.into_inner()) {
        (DeValue::Table(mut a), DeValue::Table(b)) => {
            let dist = |t: &DeTable<'_>| {
                t.get("dist")
                    .and_then(|v| v.get_ref().as_str().map(str::to_string))
            };
            if dist(&b).is_some() && dist(&a) != dist(&b) {
                // Another distribution replaces the parent's instead of mixing parameters.
                return Ok(Spanned::new(span, DeValue::Table(b)));
            }
            merge_table(&mut a, b, sources, path)?;
            Ok(Spanned::new(span, DeValue::Table(a)))
        }
        (DeValue::Array(a), DeValue::Array(b)) if is_table_array(&b) => {
            let old_items: Vec<_> = a.into_iter().collect();
            let merged = merge_elements(old_items, b.into_iter().collect(), sources, path)?;
            Ok(Spanned::new(span, DeValue::Array(merged)))
        }
        (_, b) => Ok(Spanned::new(span, b)),
    }
}

/// Merges named elements (by `id` or `name`) over the parent's; `remove = true` drops one.
fn merge_elements<'i>(
    mut out: Vec<Spanned<DeValue<'i>>>,
    items: Vec<Spanned<DeValue<'i>>>,
    sources: &Sources,
    path: &str,
) -> Result<DeArray<'i>, ScenarioError> {
    for item in items {
        let span = item.span();
        let DeValue::Table(mut t) = item.into_inner() else {
            continue;
        };
        let remove = match t.remove("remove") {
            None => false,
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                _ => {
                    return Err(ScenarioError::invalid(
                        sources.locate(v.span()),
                        format!("{path}.remove"),
                        "(not true or false)",
                        "is not a boolean",
                        "remove = true",
                    ));
                }
            },
        };
        let key = element_key(&t).map(|(k, v)| (k, v.to_string()));
        let found = key.as_ref().and_then(|(field, name)| {
            out.iter().position(|e| {
                e.get_ref()
                    .as_table()
                    .and_then(element_key)
                    .is_some_and(|(f, n)| f == *field && n == name)
            })
        });
        match (key, found) {
            (Some(_), Some(i)) if remove => {
                out.remove(i);
            }
            (Some((_, name)), Some(i)) => {
                let old = std::mem::replace(&mut out[i], placeholder());
                let new = Spanned::new(span, DeValue::Table(t));
                out[i] = merge_value(old, new, sources, &join(path, &slug(&name)))?;
            }
            (Some((field, name)), None) if remove => {
                let names: Vec<String> = out
                    .iter()
                    .filter_map(|e| e.get_ref().as_table().and_then(element_key))
                    .filter(|(f, _)| *f == field)
                    .map(|(_, n)| format!("\"{n}\""))
                    .collect();
                return Err(ScenarioError::invalid(
                    sources.locate(span),
                    format!("{path}.{field}"),
                    format!("\"{name}\""),
                    "has nothing to remove: the scenario it extends has no such element",
                    if names.is_empty() {
                        "(none to remove)".to_string()
                    } else {
                        names.join(", ")
                    },
                ));
            }
            (None, _) if remove => {
                return Err(ScenarioError::invalid(
                    sources.locate(span),
                    format!("{path}.remove"),
                    "true",
                    "names no element to remove",
                    "remove = true beside the id (events) or name (platforms, segments) of the element",
                ));
            }
            _ => out.push(Spanned::new(span, DeValue::Table(t))),
        }
    }
    let mut array = DeArray::new();
    for x in out {
        array.push(x);
    }
    Ok(array)
}

/// Every path of a scenario, as `--set` and calibration name them: tables and values, with
/// elements of platforms, segments and events by name or id (or index if they have neither).
pub fn parameter_paths(file: &ScenarioFile) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(toml::Value::Table(t)) = toml::Value::try_from(file) {
        for (k, v) in &t {
            list_paths(v, k, &mut out);
        }
    }
    out
}

/// Assignments written as TOML that a scenario extending `file` can hold: `platforms.RedNote.appeal
/// = 0.3` becomes `[[platforms]] name = "RedNote" appeal = 0.3`, elements named by their real
/// name or id as in `file`.
pub fn assignments_toml(file: &ScenarioFile, sets: &[Assignment]) -> Result<String, String> {
    let resolved = toml::Value::try_from(file).map_err(|e| e.to_string())?;
    let mut doc = toml::Table::new();
    for a in sets {
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {}", a.value))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(a.value.clone()));
        let segments: Vec<&str> = a.path.split('.').collect();
        insert_path(&mut doc, &resolved, &segments, value)
            .ok_or_else(|| format!("{} is not a path of the scenario", a.path))?;
    }
    toml::to_string(&doc).map_err(|e| e.to_string())
}

fn insert_path(
    doc: &mut toml::Table,
    resolved: &toml::Value,
    segments: &[&str],
    value: toml::Value,
) -> Option<()> {
    let (first, rest) = segments.split_first()?;
    let (key, here) = resolved
        .as_table()?
        .iter()
        .find(|(k, _)| same_label(k, first))?;
    if rest.is_empty() {
        doc.insert(key.clone(), value);
        return Some(());
    }
    match here {
        toml::Value::Array(items) => {
            let (label, rest) = rest.split_first()?;
            let element = items
                .iter()
                .find(|x| {
                    x.get("id")
                        .or_else(|| x.get("name"))
                        .and_then(toml::Value::as_str)
                        .is_some_and(|n| same_label(n, label))
                })
                .or_else(|| label.parse::<usize>().ok().and_then(|i| items.get(i)))?;
            let (field, name) = ["id", "name"]
                .into_iter()
                .find_map(|f| element.get(f).and_then(toml::Value::as_str).map(|n| (f, n)))?;
            let list = doc
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Array(Vec::new()))
                .as_array_mut()?;
            let pos = list
                .iter()
                .position(|x| x.get(field).and_then(toml::Value::as_str) == Some(name));
            let i = match pos {
                Some(i) => i,
                None => {
                    let mut t = toml::Table::new();
                    t.insert(field.to_string(), toml::Value::String(name.to_string()));
                    list.push(toml::Value::Table(t));
                    list.len() - 1
                }
            };
            let t = list[i].as_table_mut()?;
            if rest.is_empty() {
                return None;
            }
            insert_path(t, element, rest, value)
        }
        toml::Value::Table(_) => {
            let sub = doc
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()?;
            insert_path(sub, here, rest, value)
        }
        _ => None,
    }
}

/// Every value of a scenario with its path (no tables), for `exodus validate --paths`.
pub fn path_values(file: &ScenarioFile) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    let value = toml::Value::try_from(file).unwrap_or(toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = &value {
        for (k, v) in t {
            list_paths(v, k, &mut paths);
        }
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let v = lookup(&value, &p)?;
            match v {
                toml::Value::Table(_) => None,
                toml::Value::Array(a) if a.iter().all(toml::Value::is_table) && !a.is_empty() => {
                    None
                }
                other => Some((p, other.to_string())),
            }
        })
        .collect()
}

/// Whether the scenario's value at `path` is a whole number of an integer field (such as
/// `network.degree`): a sweep or fit sets such a parameter with [`Assignment::integer`].
pub fn holds_integer(file: &ScenarioFile, path: &str) -> bool {
    let Ok(value) = toml::Value::try_from(file) else {
        return false;
    };
    let mut paths = Vec::new();
    if let toml::Value::Table(t) = &value {
        for (k, v) in t {
            list_paths(v, k, &mut paths);
        }
    }
    let want = canonical_path(path);
    paths
        .iter()
        .find(|p| canonical_path(p) == want)
        .and_then(|p| lookup(&value, p))
        .is_some_and(toml::Value::is_integer)
}

/// The value at `path` (as `list_paths` writes paths).
fn lookup<'a>(root: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    let mut v = root;
    for seg in path.split('.') {
        v = match v {
            toml::Value::Table(t) => t.get(seg)?,
            toml::Value::Array(a) => a
                .iter()
                .find(|x| {
                    x.get("id")
                        .or_else(|| x.get("name"))
                        .and_then(toml::Value::as_str)
                        .is_some_and(|n| slug(n) == seg)
                })
                .or_else(|| seg.parse::<usize>().ok().and_then(|i| a.get(i)))?,
            _ => return None,
        };
    }
    Some(v)
}

fn list_paths(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    out.push(prefix.to_string());
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                list_paths(x, &join(prefix, k), out);
            }
        }
        toml::Value::Array(a) if a.iter().all(toml::Value::is_table) => {
            for (i, x) in a.iter().enumerate() {
                let label = x
                    .get("id")
                    .or_else(|| x.get("name"))
                    .and_then(toml::Value::as_str)
                    .map_or_else(|| i.to_string(), slug);
                list_paths(x, &join(prefix, &label), out);
            }
        }
        _ => {}
    }
}

fn canonical_path(path: &str) -> String {
    path.split('.')
        .map(|s| slug(s).to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// The valid paths nearest to `path`, for "did you mean".
pub fn nearest_paths(path: &str, valid: &[String], n: usize) -> Vec<String> {
    let want = canonical_path(path);
    let mut scored: Vec<(f64, &String)> = valid
        .iter()
        .map(|v| (strsim::normalized_levenshtein(&want, &canonical_path(v)), v))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(n).map(|(_, v)| v.clone()).collect()
}

/// Checks that `path` names a parameter of the scenario; the error lists the nearest ones.
pub fn check_path(
    path: &str,
    valid: &[String],
    location: Location,
    value: &str,
) -> Result<(), ScenarioError> {
    let want = canonical_path(path);
    if valid.iter().any(|v| canonical_path(v) == want) {
        return Ok(());
    }
    Err(ScenarioError::invalid(
        location,
        path,
        value,
        "is not a parameter of the scenario",
        format!(
            "a path of the resolved scenario (`exodus validate --paths` lists them); did you mean {}?",
            nearest_paths(path, valid, 4).join(", ")
        ),
    ))
}

fn apply<'i>(
    tree: &mut DeTable<'i>,
    a: &Assignment,
    base: usize,
    text: &'i str,
    valid: &[String],
    sources: &Sources,
) -> Result<(), ScenarioError> {
    let location = sources.locate(base..base + 1);
    check_path(&a.path, valid, location.clone(), &a.value)?;
    let value_text = text.split_once('=').map_or("", |(_, v)| v.trim());
    let span = base..base + text.len().max(1);
    let value = match DeValue::parse(value_text) {
        Ok(v) => shift_value(v, base + (text.len() - value_text.len())),
        Err(_) => Spanned::new(span.clone(), DeValue::String(Cow::Borrowed(value_text))),
    };
    let segments: Vec<&str> = a.path.split('.').collect();
    if set_in_table(tree, &segments, value, &span) {
        Ok(())
    } else {
        Err(ScenarioError::invalid(
            location,
            &a.path,
            &a.value,
            "cannot be set: the path goes through a value that is not a table",
            "a path to a value or a table of the resolved scenario",
        ))
    }
}

fn set_in_table<'i>(
    t: &mut DeTable<'i>,
    segments: &[&str],
    value: Spanned<DeValue<'i>>,
    span: &Range<usize>,
) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return false;
    };
    let key = t
        .keys()
        .find(|k| same_label(k.get_ref(), first))
        .map(|k| k.get_ref().to_string());
    let key = key.unwrap_or_else(|| first.to_string());
    if rest.is_empty() {
        t.insert(Spanned::new(span.clone(), Cow::Owned(key)), value);
        return true;
    }
    if !t.contains_key(key.as_str()) {
        t.insert(
            Spanned::new(span.clone(), Cow::Owned(key.clone())),
            Spanned::new(span.clone(), DeValue::Table(DeTable::new())),
        );
    }
    match t.get_mut(key.as_str()) {
        Some(child) => set_in_value(child, rest, value, span),
        None => false,
    }
}

fn set_in_value<'i>(
    v: &mut Spanned<DeValue<'i>>,
    segments: &[&str],
    value: Spanned<DeValue<'i>>,
    span: &Range<usize>,
) -> bool {
    match v.get_mut() {
        DeValue::Table(t) => set_in_table(t, segments, value, span),
        DeValue::Array(a) => {
            let Some((first, rest)) = segments.split_first() else {
                return false;
            };
            let by_name = a.iter().position(|e| {
                e.get_ref()
                    .as_table()
                    .and_then(element_key)
                    .is_some_and(|(_, n)| same_label(n, first))
            });
            let Some(i) = by_name.or_else(|| first.parse::<usize>().ok().filter(|&i| i < a.len()))
            else {
                return false;
            };
            if rest.is_empty() {
                let items: &mut [Spanned<DeValue<'i>>] = a;
                items[i] = value;
                true
            } else {
                set_in_value(&mut (&mut **a)[i], rest, value, span)
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `child` merged over `parent`, as a plain TOML value.
    fn merged(parent: &str, child: &str) -> Result<toml::Value, String> {
        let mut sources = Sources::default();
        sources.push(Origin::File("parent.toml".into()), parent.into());
        let base = sources.push(Origin::File("child.toml".into()), child.into());
        let mut p = DeTable::parse(parent).unwrap().into_inner();
        strip_removals(&mut p, &sources).map_err(|e| e.to_string())?;
        let c = shift_table(DeTable::parse(child).unwrap().into_inner(), base);
        merge_table(&mut p, c, &sources, "").map_err(|e| e.to_string())?;
        Ok(
            <toml::Value as serde::Deserialize>::deserialize(toml::de::Deserializer::from(
                Spanned::new(0..0, p),
            ))
            .unwrap(),
        )
    }

    const PARENT: &str = r#"
sources = ["a", "b"]
[meta]
name = "p"
seed = 1
[[platforms]]
name = "A"
appeal = 1.0
[[platforms]]
name = "B"
appeal = 2.0
[[segments]]
name = "under 30"
protest = { dist = "log-normal", mu = 1.0, sigma = 1.5 }
initial = { A = 1.0 }
[[events]]
id = "one"
value = 1
[[events]]
value = 2
[[events]]
id = "three"
value = 3
"#;

    #[test]
    fn tables_merge_key_by_key_and_arrays_of_named_tables_by_name() {
        let v = merged(
            PARENT,
            r#"
sources = ["c"]
[meta]
name = "c"
[[platforms]]
name = "B"
appeal = 5.0
[[platforms]]
name = "C"
[[segments]]
name = "under 30"
protest = { mu = 2.0 }
initial = { B = 0.0 }
"#,
        )
        .unwrap();
        assert_eq!(v["meta"]["name"].as_str(), Some("c"));
        assert_eq!(
            v["meta"]["seed"].as_integer(),
            Some(1),
            "unset keys are kept"
        );
        assert_eq!(
            v["sources"].as_array().unwrap().len(),
            1,
            "plain arrays are replaced"
        );
        let names: Vec<&str> = v["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "C"], "merged in place, new ones appended");
        assert_eq!(v["platforms"][1]["appeal"].as_float(), Some(5.0));
        assert_eq!(v["platforms"][0]["appeal"].as_float(), Some(1.0));
        let protest = &v["segments"][0]["protest"];
        assert_eq!(protest["mu"].as_float(), Some(2.0));
        assert_eq!(protest["sigma"].as_float(), Some(1.5));
        assert_eq!(protest["dist"].as_str(), Some("log-normal"));
        assert_eq!(v["segments"][0]["initial"]["A"].as_float(), Some(1.0));
        assert_eq!(v["segments"][0]["initial"]["B"].as_float(), Some(0.0));
    }

    #[test]
    fn another_distribution_replaces_the_parents() {
        let v = merged(
            PARENT,
            "[[segments]]\nname = \"under 30\"\nprotest = { dist = \"beta\", alpha = 2.0, beta = 8.0 }\n",
        )
        .unwrap();
        let protest = v["segments"][0]["protest"].as_table().unwrap();
        let mut keys: Vec<&String> = protest.keys().collect();
        keys.sort();
        assert_eq!(keys, ["alpha", "beta", "dist"]);
    }

    #[test]
    fn events_merge_by_id_are_removed_and_appended() {
        let v = merged(
            PARENT,
            "[[events]]\nid = \"one\"\nremove = true\n[[events]]\nid = \"three\"\nvalue = 30\n[[events]]\nvalue = 4\n",
        )
        .unwrap();
        let values: Vec<i64> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"].as_integer().unwrap())
            .collect();
        assert_eq!(values, [2, 30, 4]);
        let err = merged(PARENT, "[[events]]\nid = \"four\"\nremove = true\n").unwrap_err();
        assert!(err.contains("child.toml:1:1"), "{err}");
        assert!(err.contains("\"one\", \"three\""), "{err}");
        let err = merged(PARENT, "[[events]]\nvalue = 9\nremove = true\n").unwrap_err();
        assert!(err.contains("names no element to remove"), "{err}");
        let err = merged(PARENT, "[[events]]\nid = \"one\"\nremove = \"yes\"\n").unwrap_err();
        assert!(err.contains("is not a boolean"), "{err}");
    }

    #[test]
    fn spans_point_into_the_file_they_came_from() {
        let mut sources = Sources::default();
        sources.push(Origin::File("a.toml".into()), "x = 1\ny = 2\n".into());
        let b = sources.push(Origin::File("b.toml".into()), "z = 3\n".into());
        sources.push(Origin::Set("p=1".into()), "p=1".into());
        assert_eq!(sources.locate(6..7).to_string(), "a.toml:2:1");
        assert_eq!(sources.locate(b + 4..b + 5).to_string(), "b.toml:1:5");
        assert_eq!(sources.locate(b..b).to_string(), "b.toml:1:1");
        assert_eq!(sources.locate(b + 8..b + 9).to_string(), "--set p=1");
        assert_eq!(sources.locate(0..0).to_string(), "a.toml");
    }

    #[test]
    fn nearest_paths_rank_the_typo_first() {
        let valid: Vec<String> = [
            "platforms.RedNote.appeal",
            "platforms.RedNote.owner",
            "meta.seed",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            nearest_paths("platforms.rednote.apeal", &valid, 1),
            ["platforms.RedNote.appeal"]
        );
        assert!(
            check_path(
                "platforms.rednote.appeal",
                &valid,
                Location::CommandLine,
                "1"
            )
            .is_ok()
        );
        assert!(check_path("platforms.RedNote.x", &valid, Location::CommandLine, "1").is_err());
    }

    #[test]
    fn assignments_become_toml_a_child_scenario_can_hold() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/historical-2025.toml");
        let r = Chain::load(&path).unwrap().resolve(&[]).unwrap();
        let sets = [
            Assignment::number("platforms.RedNote.appeal", -1.25),
            Assignment::number("population.segments.under-30.protest.mu", 2.0),
            Assignment::number("mechanisms.salience_half_life_days", 5.0),
            Assignment::number("events.welcome.value", 2.5),
        ];
        let text = assignments_toml(&r.file, &sets).unwrap();
        let v: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(v["platforms"][0]["name"].as_str(), Some("RedNote"));
        assert_eq!(v["platforms"][0]["appeal"].as_float(), Some(-1.25));
        assert_eq!(
            v["population"]["segments"][0]["name"].as_str(),
            Some("under 30")
        );
        assert_eq!(
            v["population"]["segments"][0]["protest"]["mu"].as_float(),
            Some(2.0)
        );
        assert_eq!(v["events"][0]["id"].as_str(), Some("welcome"));
        assert_eq!(
            v["mechanisms"]["salience_half_life_days"].as_float(),
            Some(5.0)
        );
        // Merged over the scenario, it gives the same as the assignments.
        let dir = tempfile::tempdir().unwrap();
        let child = write(
            dir.path(),
            "child.toml",
            &format!("extends = {:?}\n{text}", path.display().to_string()),
        );
        let a = Chain::load(&child).unwrap().resolve(&[]).unwrap().file;
        let b = Chain::load(&path).unwrap().resolve(&sets).unwrap().file;
        assert_eq!(
            toml::to_string(&a).unwrap().replace("What", ""),
            toml::to_string(&b).unwrap().replace("What", "")
        );
        assert!(
            assignments_toml(&r.file, &[Assignment::number("platforms.Nope.appeal", 1.0)]).is_err()
        );
    }

    #[test]
    fn assignments_parse_and_numbers_read_back() {
        let a = Assignment::parse("platforms.RedNote.appeal = 0.3").unwrap();
        assert_eq!(a.path, "platforms.RedNote.appeal");
        assert_eq!(a.value, "0.3");
        assert!(Assignment::parse("no-equals").is_err());
        assert!(Assignment::parse("=3").is_err());
        for x in [1.0, 0.1 + 0.2, -3.5e-12, 1e300] {
            let text = format_number(x);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{text}"
            );
            assert!(
                DeValue::parse(&text).unwrap().get_ref().is_float(),
                "{text}"
            );
        }
    }

    #[test]
    fn slugs_join_words() {
        assert_eq!(slug("under 30"), "under-30");
        assert!(same_label("under-30", "Under 30"));
        assert!(!same_label("under-30", "30 and over"));
    }

    #[test]
    fn cycles_are_refused_with_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
        write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
        let err = Chain::load(&dir.path().join("a.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("makes a cycle"), "{err}");
        assert!(err.contains("b.toml:1:11"), "{err}");
        let err = Chain::load(&write(dir.path(), "c.toml", "extends = \"c.toml\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("makes a cycle"), "{err}");
    }

    #[test]
    fn a_missing_parent_is_located_at_extends() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.toml", "# x\nextends = \"nope.toml\"\n");
        let err = Chain::load(&p).unwrap_err().to_string();
        assert!(err.contains("a.toml:2:11"), "{err}");
        assert!(err.contains("cannot read"), "{err}");
    }
}
