//! The report of a comparison's results folder: how it was run (methods), the key outcomes of
//! every scenario with their bands and paired differences from the baseline, the overlay and
//! difference charts, what differs between each scenario and the baseline (from the scenarios
//! as they ran, recorded in `comparison.json`), and the manifest.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::doc::{Cell, Doc, Figure, Table};
use super::format::{exact, people, value, words};
use super::run::{band_of, band_words, caption, parameters};
use super::{ASSUMPTIONS, manifest_table};
use crate::plot::PlotError;

/// The comparison manifest file.
pub const MANIFEST: &str = "comparison.json";

/// Everything a comparison's report shows, read from its results folder.
pub struct ComparisonData {
    pub dir: std::path::PathBuf,
    pub manifest: Value,
    pub outcomes: Vec<Outcome>,
}

/// One row of `outcomes.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Outcome {
    pub scenario: String,
    pub outcome: String,
    pub platform: String,
    pub value: Option<Stat>,
    pub difference: Option<Stat>,
}

/// A statistic over replicates.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Stat {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

impl ComparisonData {
    pub fn load(dir: &Path) -> Result<ComparisonData, PlotError> {
        let manifest = super::read_json(&dir.join(MANIFEST))?;
        let path = dir.join("outcomes.json");
        let outcomes = serde_json::from_value(super::read_json(&path)?)
            .map_err(|e| PlotError::Format(path.clone(), e.to_string()))?;
        Ok(ComparisonData {
            dir: dir.to_path_buf(),
            manifest,
            outcomes,
        })
    }

    fn strings(&self, key: &str) -> Vec<String> {
        self.manifest[key]
            .as_array()
            .map(|a| a.iter().map(value).collect())
            .unwrap_or_default()
    }
}

/// The report of the comparison in `d`, with charts `width` x `height` CSS pixels.
pub fn build(d: &ComparisonData, width: u32, height: u32) -> Result<Doc, PlotError> {
    let m = &d.manifest;
    let scenarios = d.strings("scenarios");
    let files = d.strings("scenario_files");
    let baseline = value(&m["baseline"]);
    let name = m["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| scenarios.join(" vs "), str::to_string);
    let mut doc = Doc::new(name);
    doc.text(m["description"].as_str().unwrap_or(""));
    let replicates = m["replicates"].as_u64().unwrap_or(0);
    let band = band_of(m);
    doc.note(format!(
        "{} scenarios · {} to {} · {} agents · {replicates} replicates each · seed {} · exodus {} · simulated, not observed",
        scenarios.len(),
        value(&m["start"]),
        value(&m["end"]),
        value(&m["agents"]),
        value(&m["seed"]),
        value(&m["exodus_version"])
    ));

    doc.section("Scenarios");
    let mut t = Table::new(&[("scenario", false), ("file", false), ("role", false)]);
    for (i, s) in scenarios.iter().enumerate() {
        t.row(vec![
            Cell::new(s.clone()),
            Cell::new(files.get(i).cloned().unwrap_or_default()),
            Cell::new(if *s == baseline {
                "baseline"
            } else {
                "what-if"
            }),
        ]);
    }
    doc.table(t);

    doc.section("Methods");
    let common = m["common_random_numbers"].as_bool().unwrap_or(true);
    doc.text(format!(
        "Each scenario was run {replicates} times with {} agents over the days all scenarios share ({} to {}). {}",
        value(&m["agents"]),
        value(&m["start"]),
        value(&m["end"]),
        if common {
            format!(
                "Common random numbers: replicate r of every scenario draws its population, network and daily chances from the same seed ({}, replicate r), so scenarios differ only by what their files change. Differences from the baseline are paired: each replicate's scenario minus the same replicate's baseline, which removes most of the chance variation the two share.",
                value(&m["seed"])
            )
        } else {
            "Independent random numbers: each scenario has its own seed (the master seed plus its position), so differences from the baseline carry the chance variation of both.".to_string()
        }
    ));
    doc.text(format!(
        "Values are the median over the replicates with the {} band (type 7 sample quantiles) under each. Counts are people represented; retention and moves back per move away are shares; differences of shares are in percentage points and of the peak day in days. Results are simulated, not observed.",
        band_words(band)
    ));

    doc.section("Key outcomes");
    outcomes(&mut doc, d, &scenarios, &baseline, m["start"].as_str());

    doc.section("Charts");
    doc.note(format!(
        "For each platform, the scenarios' daily active users (median and {} band), then each what-if's paired difference from the baseline ({baseline}). Dotted lines mark the scenarios' labelled events.",
        band_words(band)
    ));
    for (name, figure) in
        crate::plot::compare::figures(&d.dir, &crate::plot::PlotOptions::default())?
    {
        let (title, subtitle) = figure.caption();
        doc.figure(Figure {
            caption: caption(&title, &subtitle),
            svg: figure.to_svg(width, height)?,
            png: format!("{name}.png"),
            id: name,
        });
    }

    let definitions = m["scenario_definitions"].as_array();
    doc.section("What differs from the baseline");
    match definitions {
        Some(defs) if defs.len() == scenarios.len() => {
            let base_at = scenarios.iter().position(|s| *s == baseline).unwrap_or(0);
            let base = flatten(&defs[base_at]);
            for (i, s) in scenarios.iter().enumerate().filter(|(i, _)| *i != base_at) {
                doc.subsection(s);
                let theirs = flatten(&defs[i]);
                let changes = differences(&base, &theirs);
                if changes.is_empty() {
                    doc.text("Nothing: the same scenario as the baseline but for its name.");
                    continue;
                }
                let mut t = Table::new(&[
                    ("parameter", false),
                    ("baseline", false),
                    ("this scenario", false),
                ]);
                for (path, a, b) in changes {
                    t.row(vec![Cell::new(path), Cell::new(a), Cell::new(b)]);
                }
                doc.table(t);
            }
            doc.section("The baseline's parameters");
            parameters(&mut doc, &defs[base_at]);
        }
        _ => doc.note(
            "This comparison folder does not record the scenarios as they ran (it was written by an earlier version of exodus); run the comparison again to see what differs.",
        ),
    }

    doc.section("Model assumptions");
    doc.list(ASSUMPTIONS.iter().map(|a| a.to_string()).collect());

    doc.section("Manifest");
    manifest_table(&mut doc, m, &["scenario_definitions"]);
    Ok(doc)
}

/// The table `exodus compare` ends with on the terminal: the main users each platform lost by
/// the last date asked for (or the first outcome), median over the replicates, for the
/// baseline, then each what-if's paired difference from it; then where the rest is.
pub fn terminal_table(d: &ComparisonData) -> String {
    let m = &d.manifest;
    let scenarios = d.strings("scenarios");
    let platforms = d.strings("platforms");
    let baseline = value(&m["baseline"]);
    let start = m["start"]
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let outcome = d
        .outcomes
        .iter()
        .rev()
        .find(|o| o.outcome.starts_with("main_users_lost_by_"))
        .or(d.outcomes.first())
        .map(|o| o.outcome.clone())
        .unwrap_or_default();
    let k = kind(&outcome);
    let find = |scenario: &str, platform: &str| {
        d.outcomes
            .iter()
            .find(|o| o.outcome == outcome && o.scenario == scenario && o.platform == platform)
    };
    let name_width = 40;
    let mut t = format!(
        "{}: median over {} replicates; what-ifs as paired differences from the baseline\n",
        outcome_title(&outcome),
        value(&m["replicates"])
    );
    t.push_str(&format!("{:<name_width$}", "scenario"));
    for p in &platforms {
        let name: String = crate::output::text::printable(p).chars().take(10).collect();
        t.push_str(&format!(" {name:>10}"));
    }
    t.push('\n');
    // Names are cut to keep their suffix: "<name> (baseline)", "<name> − baseline".
    let labelled = |name: &str, suffix: &str| {
        let room = name_width - suffix.chars().count();
        let name = crate::output::text::printable(name).into_owned();
        let name = if name.chars().count() > room {
            format!("{}…", name.chars().take(room - 1).collect::<String>())
        } else {
            name
        };
        format!("{name}{suffix}")
    };
    let mut rows = vec![(labelled(&baseline, " (baseline)"), baseline.clone(), false)];
    rows.extend(
        scenarios
            .iter()
            .filter(|s| **s != baseline)
            .map(|s| (labelled(s, " − baseline"), s.clone(), true)),
    );
    for (label, scenario, difference) in rows {
        t.push_str(&format!("{label:<name_width$}"));
        for p in &platforms {
            let o = find(&scenario, p);
            let cell = match (
                difference,
                o.and_then(|o| o.value),
                o.and_then(|o| o.difference),
            ) {
                (false, Some(v), _) => show(k, v.median, start),
                (true, _, Some(v)) => show_difference(k, v.median),
                _ => "—".into(),
            };
            t.push_str(&format!(" {cell:>10}"));
        }
        t.push('\n');
    }
    t.push_str(&format!(
        "every outcome with its band: {0}/outcomes.md; a report: exodus report {0}\n",
        d.dir.display()
    ));
    t
}

/// An outcome's name in words: `main_users_lost_by_2025-01-31` -> "Main users lost by
/// 2025-01-31".
fn outcome_title(outcome: &str) -> String {
    let text = match outcome {
        "peak_day" => "Day of the peak of daily active users".to_string(),
        "retained_30d_after_peak" => "Daily active users 30 days after the peak, per peak".into(),
        "retained_90d_after_peak" => "Daily active users 90 days after the peak, per peak".into(),
        "moves_back_per_move_away" => "Moves back per move away (main app)".into(),
        "total_installs" => "Installs".into(),
        other => match other.strip_prefix("main_users_lost_by_") {
            Some(date) => format!("Main users lost by {date} (negative: gained)"),
            None => words(other),
        },
    };
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// How an outcome's values are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    People,
    Share,
    Day,
}

fn kind(outcome: &str) -> Kind {
    if outcome == "peak_day" {
        Kind::Day
    } else if outcome.starts_with("retained") || outcome == "moves_back_per_move_away" {
        Kind::Share
    } else {
        Kind::People
    }
}

/// A value of an outcome: counts as 3.4 M, shares as percentages, days as dates.
fn show(k: Kind, x: f64, start: Option<NaiveDate>) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    match k {
        Kind::People => people(x),
        Kind::Share => format!("{}%", exact((100.0 * x).round())),
        Kind::Day => match start {
            Some(s) => (s + chrono::Days::new(x.round().max(0.0) as u64))
                .format("%b %-d")
                .to_string(),
            None => format!("day {}", x.round()),
        },
    }
}

/// A difference of an outcome: signed counts, percentage points, days.
fn show_difference(k: Kind, x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    // What rounds to zero is written without a sign ("0 pp", not "-0 pp").
    let (shown, unit) = match k {
        Kind::People => (people(x), ""),
        Kind::Share => (exact((100.0 * x).round() + 0.0), " pp"),
        Kind::Day => (exact(x.round() + 0.0), " d"),
    };
    let shown = if shown.trim_start_matches('-').chars().all(|c| c == '0') {
        "0".to_string()
    } else {
        shown
    };
    let sign = if x > 0.0 && shown != "0" { "+" } else { "" };
    format!("{sign}{shown}{unit}")
}

/// A value of the outcome named `outcome` ([`show`]), for outcomes.md too.
pub(crate) fn outcome_value(outcome: &str, x: f64, start: NaiveDate) -> String {
    show(kind(outcome), x, Some(start))
}

/// A paired difference of the outcome named `outcome` ([`show_difference`]), for outcomes.md
/// too.
pub(crate) fn outcome_difference(outcome: &str, x: f64) -> String {
    show_difference(kind(outcome), x)
}

/// A table per outcome: a row per scenario, a column per platform; then a row per what-if
/// with its paired difference from the baseline.
fn outcomes(
    doc: &mut Doc,
    d: &ComparisonData,
    scenarios: &[String],
    baseline: &str,
    start: Option<&str>,
) {
    let start = start.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let platforms = d.strings("platforms");
    let mut names: Vec<&str> = Vec::new();
    for o in &d.outcomes {
        if !names.contains(&o.outcome.as_str()) {
            names.push(&o.outcome);
        }
    }
    for name in names {
        let k = kind(name);
        let mut columns = vec![("scenario".to_string(), false)];
        columns.extend(platforms.iter().map(|p| (p.clone(), true)));
        let columns: Vec<(&str, bool)> = columns.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        let mut t = Table::new(&columns).with_caption(outcome_title(name));
        let find = |scenario: &str, platform: &str| {
            d.outcomes
                .iter()
                .find(|o| o.outcome == name && o.scenario == scenario && o.platform == platform)
        };
        for s in scenarios {
            let mut row = vec![Cell::new(s.clone())];
            for p in &platforms {
                row.push(match find(s, p).and_then(|o| o.value) {
                    Some(v) => Cell::with_band(
                        show(k, v.median, start),
                        format!("{} – {}", show(k, v.low, start), show(k, v.high, start)),
                    ),
                    None => Cell::new("—"),
                });
            }
            t.row(row);
        }
        for s in scenarios.iter().filter(|s| *s != baseline) {
            let mut row = vec![Cell::new(format!("{s} − baseline"))];
            for p in &platforms {
                row.push(match find(s, p).and_then(|o| o.difference) {
                    Some(v) => Cell::with_band(
                        show_difference(k, v.median),
                        format!(
                            "{} – {}",
                            show_difference(k, v.low),
                            show_difference(k, v.high)
                        ),
                    ),
                    None => Cell::new("—"),
                });
            }
            t.row(row);
        }
        doc.table(t);
    }
}

/// A scenario as (path in words, value) pairs in file order: platforms, segments and events by
/// name or id, an event whole; the scenario's name, description and sources left out.
fn flatten(scenario: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Object(o) = scenario {
        for (k, v) in o {
            walk(k, v, k, &mut out);
        }
    }
    out.retain(|(p, _)| {
        !["meta › name", "meta › description", "meta › sources"]
            .iter()
            .any(|skip| p == skip)
    });
    out
}

fn walk(path: &str, v: &Value, key: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if !o.contains_key("dist") && !o.is_empty() => {
            for (k, x) in o {
                walk(&format!("{path} › {}", words(k)), x, k, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            for (i, item) in items.iter().enumerate() {
                let label = |field: &str| item[field].as_str().map(str::to_string);
                match key {
                    "events" => out.push((
                        format!("event {}", label("id").unwrap_or_else(|| format!("#{i}"))),
                        event_text(item),
                    )),
                    _ => {
                        let what = match key {
                            "platforms" => "platform",
                            "segments" => "segment",
                            other => other,
                        };
                        let name = label("name").unwrap_or_else(|| format!("#{i}"));
                        let prefix = match path.rsplit_once(" › ") {
                            Some((parent, _)) if parent != "population" => {
                                format!("{parent} › {what} {name}")
                            }
                            _ => format!("{what} {name}"),
                        };
                        if let Value::Object(o) = item {
                            for (k, x) in o.iter().filter(|(k, _)| k.as_str() != "name") {
                                walk(&format!("{prefix} › {}", words(k)), x, k, out);
                            }
                        }
                    }
                }
            }
        }
        _ => out.push((path.to_string(), value(v))),
    }
}

/// An event in one line: date, action, platform, change, label.
fn event_text(e: &Value) -> String {
    let mut parts = vec![value(&e["date"]), value(&e["action"])];
    if !e["platform"].is_null() {
        parts.push(value(&e["platform"]));
    }
    if !e["param"].is_null() {
        parts.push(format!("{} = {}", value(&e["param"]), value(&e["value"])));
    } else if !e["value"].is_null() {
        parts.push(format!("value {}", value(&e["value"])));
    }
    if !e["until"].is_null() {
        parts.push(format!("until {}", value(&e["until"])));
    }
    let label = value(&e["label"]);
    if label != "—" {
        parts.push(format!("\"{label}\""));
    }
    parts.join(", ")
}

/// What differs between two flattened scenarios: (path, baseline's value, other's value), in
/// the baseline's order and then the other's additions; "—" where a side lacks the entry.
fn differences(
    base: &[(String, String)],
    other: &[(String, String)],
) -> Vec<(String, String, String)> {
    let find = |list: &[(String, String)], path: &str| {
        list.iter().find(|(p, _)| p == path).map(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for (path, a) in base {
        let b = find(other, path).unwrap_or_else(|| "— (not in this scenario)".into());
        if *a != b {
            out.push((path.clone(), a.clone(), b));
        }
    }
    for (path, b) in other {
        if find(base, path).is_none() {
            out.push((path.clone(), "— (not in the baseline)".into(), b.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scenario(ban: f64, extra_event: bool) -> Value {
        let mut events = vec![
            json!({"id": "outage", "date": "2025-01-19", "action": "down",
            "platform": "TikTok", "param": null, "value": null, "until": null,
            "label": "TikTok goes dark", "source": "s"}),
        ];
        if extra_event {
            events.push(
                json!({"id": "ban", "date": "2025-04-05", "action": "store-remove",
                "platform": "TikTok", "param": null, "value": null, "until": null,
                "label": "", "source": "s"}),
            );
        }
        json!({
            "meta": {"name": "x", "seed": 1, "sources": ["a"]},
            "population": {"people": 1000.0, "segments": [
                {"name": "all", "protest": {"dist": "constant", "value": 0.5},
                 "initial": {"TikTok": 1.0}}]},
            "platforms": [{"name": "TikTok", "ban_probability": ban},
                          {"name": "RedNote", "ban_probability": 0.0}],
            "events": events,
        })
    }

    #[test]
    fn differences_name_the_parameter_by_platform_segment_and_event() {
        let base = flatten(&scenario(0.3, false));
        assert!(
            base.contains(&("segment all › protest".into(), "0.5".into())),
            "{base:?}"
        );
        assert!(
            base.contains(&("segment all › initial › TikTok".into(), "1".into())),
            "{base:?}"
        );
        let diff = differences(&base, &flatten(&scenario(0.9, true)));
        assert_eq!(
            diff,
            [
                (
                    "platform TikTok › ban probability".to_string(),
                    "0.3".to_string(),
                    "0.9".to_string()
                ),
                (
                    "event ban".to_string(),
                    "— (not in the baseline)".to_string(),
                    "2025-04-05, store-remove, TikTok".to_string()
                ),
            ]
        );
        assert!(differences(&base, &base).is_empty());
    }

    #[test]
    fn outcomes_read_in_words_and_units() {
        assert_eq!(
            outcome_title("main_users_lost_by_2025-01-31"),
            "Main users lost by 2025-01-31 (negative: gained)"
        );
        assert_eq!(
            outcome_title("peak_daily_active_users"),
            "Peak daily active users"
        );
        let start = NaiveDate::from_ymd_opt(2024, 12, 15);
        assert_eq!(show(Kind::Day, 35.0, start), "Jan 19");
        assert_eq!(show(Kind::Share, 0.754, start), "75%");
        assert_eq!(show_difference(Kind::Share, 0.031), "+3 pp");
        assert_eq!(show_difference(Kind::People, -2_500_000.0), "-2.5 M");
        assert_eq!(show_difference(Kind::Day, 3.0), "+3 d");
        assert_eq!(show_difference(Kind::Share, -0.001), "0 pp");
        assert_eq!(show_difference(Kind::People, 0.0), "0");
    }
}
