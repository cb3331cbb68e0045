//! The report of a run's results folder: the summary (with the band across replicates when the
//! run has them, read from `replicates.csv`), the charts, the events, the parameters as values,
//! the sources, the model's assumptions and the manifest.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::doc::{Cell, Doc, Figure, Table};
use super::format::{exact, people, rank, value, words};
use super::{ASSUMPTIONS, manifest_table};
use crate::experiment::quantile;
use crate::plot::{ChartKind, PlotError, RunResults, charts};

/// Everything a run's report shows, read from its results folder.
pub struct RunData {
    pub results: RunResults,
    pub manifest: Value,
    pub summary: Value,
}

impl RunData {
    /// Reads the run's results folder `dir`.
    pub fn load(dir: &Path) -> Result<RunData, PlotError> {
        Ok(RunData {
            results: RunResults::load(dir)?,
            manifest: super::read_json(&dir.join("run.json"))?,
            summary: super::read_json(&dir.join("summary.json"))?,
        })
    }
}

/// The report of the run in `d`, with charts `width` x `height` CSS pixels.
pub fn build(d: &RunData, width: u32, height: u32) -> Result<Doc, PlotError> {
    let r = &d.results;
    let scenario = &d.manifest["scenario"];
    let mut doc = Doc::new(r.scenario.clone());
    doc.text(scenario["meta"]["description"].as_str().unwrap_or(""));
    let replicates = if r.replicates > 1 {
        format!("{} replicates", r.replicates)
    } else {
        "one run".to_string()
    };
    doc.note(format!(
        "{} to {} · {} people as {} agents · seed {} · {replicates} · exodus {} · simulated, not observed",
        r.dates[0],
        r.dates[r.dates.len() - 1],
        people(r.people),
        exact(r.agents as f64),
        r.seed,
        r.version
    ));

    doc.section("Summary");
    let band = band_of(&d.manifest);
    match replicate_stats(r)? {
        Some(stats) => {
            doc.note(format!(
                "Median over {} replicates, with the {} band under each value. Counts are people represented.",
                r.replicates,
                band_words(band)
            ));
            doc.table(replicate_summary(r, &stats, band));
        }
        None => {
            doc.note("One run. Counts are people represented.");
            doc.table(single_summary(&d.summary));
        }
    }

    doc.section("Charts");
    for kind in ChartKind::ALL.iter().filter(|k| k.available(r)) {
        let figure = charts::build(*kind, r);
        let (title, subtitle) = figure.caption();
        doc.figure(Figure {
            id: kind.name().to_string(),
            caption: caption(&title, &subtitle),
            svg: figure.to_svg(width, height)?,
            png: format!("{}.png", kind.name()),
        });
    }

    doc.section("Events");
    doc.table(events_table(
        scenario["events"].as_array().map_or(&[], Vec::as_slice),
    ));

    doc.section("Parameters");
    parameters(&mut doc, scenario);

    doc.section("Sources");
    doc.list(
        scenario["meta"]["sources"]
            .as_array()
            .map(|a| a.iter().map(value).collect())
            .unwrap_or_default(),
    );
    doc.note("Every number in a shipped scenario cites docs/sources.md or is labelled an assumption in the scenario file.");

    doc.section("Model assumptions");
    doc.list(ASSUMPTIONS.iter().map(|a| a.to_string()).collect());

    doc.section("Manifest");
    manifest_table(&mut doc, &d.manifest, &["scenario"]);
    Ok(doc)
}

/// A chart's caption: its title, then its subtitle.
pub(super) fn caption(title: &str, subtitle: &str) -> String {
    match (title.is_empty(), subtitle.is_empty()) {
        (false, false) => format!("{title}. {subtitle}."),
        (false, true) => format!("{title}."),
        _ => subtitle.to_string(),
    }
}

/// The band's quantiles recorded in a manifest (default 5% and 95%).
pub(super) fn band_of(manifest: &Value) -> (f64, f64) {
    let q = |i: usize, default: f64| manifest["band"][i].as_f64().unwrap_or(default);
    (q(0, 0.05), q(1, 0.95))
}

/// "5–95%".
pub(super) fn band_words((lo, hi): (f64, f64)) -> String {
    format!("{}–{}%", exact(100.0 * lo), exact(100.0 * hi))
}

/// The empty summary table: its first count column titled `first`, and the rank column if
/// `ranked`.
fn summary_table(first: &str, ranked: bool) -> Table {
    let mut columns = vec![
        ("platform", false),
        (first, true),
        ("peak daily active users", true),
        ("peak date", true),
        ("daily active users at the end", true),
        ("main users at the end", true),
        ("installs", true),
        ("moves in", true),
        ("moves out", true),
    ];
    if ranked {
        columns.push(("best app-store rank", true));
    }
    Table::new(&columns)
}

/// The summary of one run, from summary.json.
fn single_summary(summary: &Value) -> Table {
    let platforms = summary["platforms"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let ranked = platforms.iter().any(|p| p["best_rank"].is_number());
    let mut t = summary_table("main users at start", ranked);
    let count = |p: &Value, key: &str| Cell::new(p[key].as_f64().map_or("—".into(), people));
    for p in platforms {
        let mut row = vec![
            Cell::new(value(&p["platform"])),
            count(p, "initial_main_users"),
            count(p, "peak_daily_active_users"),
            Cell::new(value(&p["peak_date"])),
            count(p, "final_daily_active_users"),
            count(p, "final_main_users"),
            count(p, "total_installs"),
            count(p, "total_switches_in"),
            count(p, "total_switches_out"),
        ];
        if ranked {
            row.push(Cell::new(match p["best_rank"].as_f64() {
                Some(x) => format!("{} on {}", rank(x), value(&p["best_rank_date"])),
                None => "—".into(),
            }));
        }
        t.row(row);
    }
    t
}

/// One platform's numbers in one replicate.
#[derive(Debug, Clone, Default)]
struct Stats {
    first_main: f64,
    peak: f64,
    peak_day: usize,
    final_dau: f64,
    final_main: f64,
    installs: f64,
    moves_in: f64,
    moves_out: f64,
    best_rank: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct ReplicateRow {
    replicate: u32,
    day: usize,
    platform: String,
    metric: String,
    value: Option<f64>,
}

/// Per platform, each replicate's numbers, read from `replicates.csv`; `None` for a single run.
fn replicate_stats(r: &RunResults) -> Result<Option<Vec<Vec<Stats>>>, PlotError> {
    let path = r.dir.join("replicates.csv");
    if r.replicates <= 1 || !path.exists() {
        return Ok(None);
    }
    let index: BTreeMap<&str, usize> = r
        .platforms
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let last_day = r.dates.len().saturating_sub(1);
    let mut stats: Vec<Vec<Stats>> = vec![Vec::new(); r.platforms.len()];
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| PlotError::Format(path.clone(), e.to_string()))?;
    for (line, row) in reader.deserialize::<ReplicateRow>().enumerate() {
        let bad =
            |what: String| PlotError::Format(path.clone(), format!("line {}: {what}", line + 2));
        let row = row.map_err(|e| bad(e.to_string()))?;
        let Some(&k) = index.get(row.platform.as_str()) else {
            return Err(bad(format!(
                "platform {:?} is not one of the run's",
                row.platform
            )));
        };
        if row.replicate >= r.replicates || row.day > last_day {
            return Err(bad(format!(
                "replicate {} day {} is outside the run's {} replicates x {} days",
                row.replicate,
                row.day,
                r.replicates,
                last_day + 1
            )));
        }
        let per = &mut stats[k];
        if per.len() <= row.replicate as usize {
            per.resize(row.replicate as usize + 1, Stats::default());
        }
        let s = &mut per[row.replicate as usize];
        let Some(x) = row.value else { continue };
        match row.metric.as_str() {
            "daily_active_users" => {
                if x > s.peak || row.day == 0 {
                    s.peak = x;
                    s.peak_day = row.day;
                }
                if row.day == last_day {
                    s.final_dau = x;
                }
            }
            "main_app_users" => {
                if row.day == 0 {
                    s.first_main = x;
                }
                if row.day == last_day {
                    s.final_main = x;
                }
            }
            "installs" => s.installs += x,
            "switches_in" => s.moves_in += x,
            "switches_out" => s.moves_out += x,
            "app_store_rank" if s.best_rank.is_none_or(|b| x < b) => s.best_rank = Some(x),
            _ => {}
        }
    }
    Ok(Some(stats))
}

/// The summary of a run with replicates: the median of each number over the replicates, with
/// its band.
fn replicate_summary(r: &RunResults, stats: &[Vec<Stats>], band: (f64, f64)) -> Table {
    let ranked = stats.iter().flatten().any(|s| s.best_rank.is_some());
    let mut t = summary_table("main users on the first day", ranked);
    for (platform, per) in r.platforms.iter().zip(stats) {
        let spread = |f: &dyn Fn(&Stats) -> Option<f64>, show: &dyn Fn(f64) -> String| {
            let mut xs: Vec<f64> = per.iter().filter_map(f).collect();
            if xs.is_empty() {
                return Cell::new("—");
            }
            xs.sort_by(f64::total_cmp);
            let q = |p: f64| quantile::exact(&xs, p);
            Cell::with_band(
                show(q(0.5)),
                format!("{} – {}", show(q(band.0)), show(q(band.1))),
            )
        };
        let date = |day: f64| {
            r.dates
                .get(day.round() as usize)
                .map_or("—".into(), |d| d.to_string())
        };
        let mut row = vec![
            Cell::new(platform.clone()),
            spread(&|s| Some(s.first_main), &people),
            spread(&|s| Some(s.peak), &people),
            spread(&|s| Some(s.peak_day as f64), &date),
            spread(&|s| Some(s.final_dau), &people),
            spread(&|s| Some(s.final_main), &people),
            spread(&|s| Some(s.installs), &people),
            spread(&|s| Some(s.moves_in), &people),
            spread(&|s| Some(s.moves_out), &people),
        ];
        if ranked {
            row.push(spread(&|s| s.best_rank, &rank));
        }
        t.row(row);
    }
    t
}

/// The scenario's events: which, when, what happens, to which platform, and why.
fn events_table(events: &[Value]) -> Table {
    let mut t = Table::new(&[
        ("event", false),
        ("date", true),
        ("action", false),
        ("platform", false),
        ("change", false),
        ("label", false),
        ("source", false),
    ]);
    for e in events {
        let mut change = Vec::new();
        if !e["param"].is_null() {
            change.push(format!("{} = {}", value(&e["param"]), value(&e["value"])));
        } else if !e["value"].is_null() {
            change.push(format!("value {}", value(&e["value"])));
        }
        if !e["until"].is_null() {
            change.push(format!("until {}", value(&e["until"])));
        }
        t.row(vec![
            Cell::new(value(&e["id"])),
            Cell::new(value(&e["date"])),
            Cell::new(value(&e["action"])),
            Cell::new(value(&e["platform"])),
            Cell::new(if change.is_empty() {
                "—".into()
            } else {
                change.join("; ")
            }),
            Cell::new(value(&e["label"])),
            Cell::new(value(&e["source"])),
        ]);
    }
    t
}

/// The scenario's parameters, as subsections of the current section: platforms and segments
/// with one column each, the other tables as parameter and value.
pub(super) fn parameters(doc: &mut Doc, scenario: &Value) {
    doc.subsection("Platforms");
    doc.table(across(
        scenario["platforms"].as_array().map_or(&[], Vec::as_slice),
        "name",
    ));
    doc.subsection("Population");
    doc.table(fields(&scenario["population"], &["segments"], "parameter"));
    doc.subsection("Segments");
    doc.table(across(
        scenario["population"]["segments"]
            .as_array()
            .map_or(&[], Vec::as_slice),
        "name",
    ));
    for table in ["network", "choice", "mechanisms", "outputs"] {
        doc.subsection(&capitalised(table));
        doc.table(fields(&scenario[table], &[], "parameter"));
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Objects side by side: a column each (titled by `key`), a row per field.
fn across(items: &[Value], key: &str) -> Table {
    let names: Vec<String> = items.iter().map(|i| value(&i[key])).collect();
    let mut columns = vec![("parameter".to_string(), false)];
    columns.extend(names.iter().map(|n| (n.clone(), true)));
    let columns: Vec<(&str, bool)> = columns.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let mut t = Table::new(&columns);
    for field in super::columns(items).iter().filter(|f| f.as_str() != key) {
        let mut row = vec![Cell::new(words(field))];
        row.extend(items.iter().map(|i| Cell::new(value(&i[field.as_str()]))));
        t.row(row);
    }
    t
}

/// A JSON object's fields, a row each: the field (in words, under the column title `first`)
/// and its value.
pub(super) fn fields(o: &Value, skip: &[&str], first: &str) -> Table {
    let mut t = Table::new(&[(first, false), ("value", false)]);
    if let Value::Object(map) = o {
        for (k, v) in map.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
            t.row(vec![Cell::new(words(k)), Cell::new(value(v))]);
        }
    }
    t
}
