//! What the explorer knows and does, without HTTP: the scenario as loaded (at the capped agent
//! count), the controls generated from it (every numeric key the range table of validation
//! knows, the switches of `[mechanisms]`, the parameters of distributions, the events), a
//! change turned into a scenario that extends the original (the same file a user downloads,
//! validated with the command line's messages), and runs streamed day by day with the same
//! random numbers as the baseline, cancellable between days.

use crate::cancel::Cancel;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::engine::{self, World};
use crate::metrics::{Daily, DayRecord, Metric};
use crate::report::format::words;
use crate::scenario::validate::KEY_RANGES;
use crate::scenario::{self, Assignment, Overrides, Scenario, ScenarioError};

/// The metrics the explorer streams and charts.
pub const METRICS: [Metric; 2] = [Metric::MainAppUsers, Metric::DailyActiveUsers];

/// One control of the page.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// The section it is shown in ("Platforms: TikTok", "Mechanisms", ...).
    pub section: String,
    /// Its `--set` path.
    pub path: String,
    pub label: String,
    /// "number" or "switch".
    pub kind: &'static str,
    /// The value in the file (a number, or a boolean for a switch).
    pub value: serde_json::Value,
    /// The allowed range, where validation has one for the key.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub whole: bool,
}

/// An event of the scenario, as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// Its id: an event without one cannot be moved or switched off from an extending file.
    pub id: Option<String>,
    pub date: String,
    pub action: String,
    pub platform: Option<String>,
    pub label: String,
}

/// An event the page adds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub date: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default)]
    pub label: String,
}

/// What the page changed: values by path, events moved (`events.<id>.date` among the sets),
/// switched off (by id) or added.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    #[serde(default)]
    pub sets: Vec<SetValue>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub add: Vec<NewEvent>,
}

/// One value set by the page: a number, a boolean or text (a date).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetValue {
    pub path: String,
    pub value: serde_json::Value,
}

/// A problem with a change, for the page: the control it belongs to (a path), if any, and the
/// message the command line gives.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub path: Option<String>,
    pub message: String,
}

/// A changed scenario, checked and ready to run.
pub struct Changed {
    pub scenario: Scenario,
    /// The file that extends the original with the change (what the page downloads).
    pub file_text: String,
    /// The full run's command line, when the change can be said with `--set` alone.
    pub command: String,
}

/// One day of a run, as streamed: values[metric][platform].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayValues {
    pub day: u32,
    pub values: Vec<Vec<f64>>,
}

/// The daily curves of a finished run.
pub type Curves = Vec<DayValues>;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Done,
    Cancelled,
    TimedOut,
}

/// The explorer's scenario.
pub struct Model {
    /// The scenario file (as given, made absolute).
    pub path: PathBuf,
    /// The scenario as loaded, at the capped agent count.
    pub base: Scenario,
    /// The agent count of every run.
    pub agents: u64,
    /// Longest a run may take, in seconds.
    pub max_seconds: f64,
    pub baseline: Curves,
    pool: rayon::ThreadPool,
    /// The texts of the scenario's files (it and those it extends) as loaded.
    texts: Vec<(PathBuf, String)>,
}

impl Model {
    /// Loads the scenario at `agents` (at most; fewer if the file has fewer) and runs its
    /// baseline.
    pub fn load(
        path: &Path,
        agents: u64,
        max_seconds: f64,
        threads: Option<usize>,
    ) -> Result<Model, crate::app::AppError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let file_agents = scenario::load(&path, &Overrides::default())?.params.agents;
        let agents = agents.min(u64::from(file_agents));
        let base = scenario::load(
            &path,
            &Overrides {
                agents: Some(agents),
                ..Default::default()
            },
        )?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()
            .map_err(|e| crate::app::AppError::Resources(format!("no thread pool: {e}")))?;
        let texts = scenario::Chain::load(&path)?
            .paths()
            .filter_map(|p| Some((p.to_path_buf(), std::fs::read_to_string(p).ok()?)))
            .collect();
        let mut model = Model {
            path,
            base,
            agents,
            max_seconds,
            baseline: Vec::new(),
            pool,
            texts,
        };
        let mut curves = Vec::new();
        model.run(&model.base, &Cancel::default(), &mut |d| {
            curves.push(d);
            true
        });
        model.baseline = curves;
        Ok(model)
    }

    /// Platform names.
    pub fn platforms(&self) -> Vec<String> {
        self.base
            .params
            .platforms
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// The dates of the days, YYYY-MM-DD.
    pub fn dates(&self) -> Vec<String> {
        let p = &self.base.params;
        (0..p.days).map(|d| p.date(d).to_string()).collect()
    }

    /// The controls of the scenario: those its choice rule reads (a logit scenario has no
    /// Bass coefficients to move), without the outputs' own keys.
    pub fn controls(&self) -> Vec<Control> {
        let logit = self.base.params.rule == crate::scenario::params::RuleKind::Logit;
        controls(&self.base.file)
            .into_iter()
            .filter(|c| {
                let key = c.path.rsplit('.').next().unwrap_or("");
                !(key == "newcomer_posts" || logit && (key == "innovation" || key == "imitation"))
            })
            .collect()
    }

    /// The events of the scenario.
    pub fn events(&self) -> Vec<EventRow> {
        self.base
            .file
            .events
            .iter()
            .map(|e| EventRow {
                id: e.id.as_ref().map(|i| i.get_ref().clone()),
                date: e.date.get_ref().to_string(),
                action: e.action.get_ref().name().to_string(),
                platform: e.platform.as_ref().map(|p| p.get_ref().clone()),
                label: e.label.clone(),
            })
            .collect()
    }

    /// The scenario with `change`, checked as the command line checks it.
    pub fn apply(&self, change: &Change) -> Result<Changed, Vec<Problem>> {
        // The dates and the seed are the baseline's: a run of other days or other random
        // numbers would not stand beside it.
        let fixed: Vec<Problem> = change
            .sets
            .iter()
            .filter(|s| s.path.trim().starts_with("meta."))
            .map(|s| Problem {
                path: Some(s.path.clone()),
                message: format!(
                    "{}: the explorer keeps the scenario's dates and seed, so that every run stands beside the baseline; change them in the file, or with --set on the command line",
                    s.path
                ),
            })
            .collect();
        if !fixed.is_empty() {
            return Err(fixed);
        }
        // The file (and those it extends) as they were when the baseline ran.
        if let Some(path) = self
            .texts
            .iter()
            .find(|(p, text)| std::fs::read_to_string(p).ok().as_ref() != Some(text))
            .map(|(p, _)| p)
        {
            return Err(vec![Problem {
                path: None,
                message: format!(
                    "{} changed on disk since the explorer loaded it: its baseline no longer matches; restart exodus explore",
                    path.display()
                ),
            }]);
        }
        let sets: Vec<Assignment> = change
            .sets
            .iter()
            .map(|s| Assignment {
                path: s.path.trim().to_string(),
                value: match &s.value {
                    serde_json::Value::String(t) => t.trim().to_string(),
                    other => other.to_string(),
                },
            })
            .collect();
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let stem = self
            .path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        let virtual_path = dir.join(format!("{stem}-explored.toml"));
        let mut text = format!(
            "# Made with `exodus explore`: {} with the changes below.\nextends = {}\n",
            self.path.display(),
            toml::Value::String(self.path.display().to_string())
        );
        for id in &change.remove {
            text.push_str(&format!(
                "\n[[events]]\nid = {}\nremove = true\n",
                toml::Value::String(id.clone())
            ));
        }
        for e in &change.add {
            let table = toml::to_string(e).map_err(|err| {
                vec![Problem {
                    path: None,
                    message: format!("an added event cannot be written: {err}"),
                }]
            })?;
            text.push_str("\n[[events]]\n");
            text.push_str(&table);
        }
        let overrides = Overrides {
            agents: Some(self.agents),
            sets: sets.clone(),
            ..Default::default()
        };
        let scenario =
            scenario::parse(&text, &virtual_path, &overrides).map_err(|e| problems(&e, &sets))?;
        // The downloaded file holds the sets too, as TOML an extending file holds.
        let body = scenario::resolve::assignments_toml(&self.base.file, &sets).map_err(|m| {
            vec![Problem {
                path: None,
                message: m,
            }]
        })?;
        let file_text = if body.trim().is_empty() {
            text
        } else {
            format!("{text}\n{body}")
        };
        let mut args = vec![
            "exodus".to_string(),
            "run".to_string(),
            self.path.display().to_string(),
        ];
        for s in &sets {
            args.push("--set".into());
            args.push(format!("{}={}", s.path, s.value));
        }
        let command = if change.remove.is_empty() && change.add.is_empty() {
            crate::app::command_text(&args)
        } else {
            format!("exodus run {stem}-explored.toml   # the downloaded file")
        };
        Ok(Changed {
            scenario,
            file_text,
            command,
        })
    }

    /// Runs `scenario` (replicate 0: the baseline's random numbers), passing each day to
    /// `on_day` (false stops the run); stops between days when `cancel` is set or the run has
    /// taken longer than `max_seconds`.
    pub fn run(
        &self,
        scenario: &Scenario,
        cancel: &Cancel,
        on_day: &mut (dyn FnMut(DayValues) -> bool + Send),
    ) -> Ended {
        let params = &scenario.params;
        let started = Instant::now();
        let max = self.max_seconds;
        // Why a run stops early; checked between days, and between days of the burn-in.
        let stop = || {
            if cancel.is_cancelled() {
                Some(Ended::Cancelled)
            } else if started.elapsed().as_secs_f64() > max {
                Some(Ended::TimedOut)
            } else {
                None
            }
        };
        let mut ended = Ended::Done;
        self.pool.install(|| {
            let Some((world, initial)) = World::build_while(params, 0, &|| stop().is_none()) else {
                ended = stop().unwrap_or(Ended::Cancelled);
                return;
            };
            let mut daily = Daily::new(params);
            engine::simulate_while(params, &world, initial, 0, |tally| {
                if let Some(why) = stop() {
                    ended = why;
                    return false;
                }
                let record = daily.record(tally);
                // The receiver gone (a closed stream) stops the run too.
                let go_on = on_day(day_values(&record, params.platforms.len()));
                if !go_on {
                    ended = Ended::Cancelled;
                }
                go_on
            });
        });
        ended
    }
}

/// A day's record as the explorer's values.
fn day_values(r: &DayRecord, k: usize) -> DayValues {
    DayValues {
        day: r.day,
        values: METRICS
            .iter()
            .map(|&m| (0..k).map(|p| r.get(p, m).unwrap_or(0.0)).collect())
            .collect(),
    }
}

/// The problems of a change, each with the path of the control it concerns.
fn problems(e: &ScenarioError, sets: &[Assignment]) -> Vec<Problem> {
    e.each()
        .iter()
        .map(|p| {
            let message = p.to_string();
            let path = sets
                .iter()
                .filter(|s| message.contains(&s.path))
                .max_by_key(|s| s.path.len())
                .map(|s| s.path.clone());
            Problem { path, message }
        })
        .collect()
}

/// A TOML number as a float.
fn number_of(v: &toml::Value) -> Option<f64> {
    v.as_float().or(v.as_integer().map(|i| i as f64))
}

/// The controls of a scenario: per platform and segment, then network, choice and mechanisms,
/// every numeric key the range table knows that the file has (a distribution's parameters as
/// numbers without a range), and the switches of `[mechanisms]`.
pub fn controls(file: &scenario::ScenarioFile) -> Vec<Control> {
    let Ok(toml::Value::Table(root)) = toml::Value::try_from(file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut table = |section: String, prefix: String, def: &str, t: &toml::Table| {
        for r in KEY_RANGES.iter().filter(|r| r.table == def) {
            let path = format!("{prefix}.{}", r.key);
            match t.get(r.key) {
                Some(v @ (toml::Value::Float(_) | toml::Value::Integer(_))) => {
                    out.push(Control {
                        section: section.clone(),
                        path,
                        label: words(r.key),
                        kind: "number",
                        value: serde_json::json!(number_of(v)),
                        min: Some(r.low),
                        max: Some(r.high),
                        whole: r.whole,
                    });
                }
                Some(toml::Value::Table(dist)) => {
                    let kind = dist.get("dist").and_then(toml::Value::as_str).unwrap_or("");
                    for (param, v) in dist.iter().filter(|(k, _)| k.as_str() != "dist") {
                        if let Some(x) = number_of(v) {
                            out.push(Control {
                                section: section.clone(),
                                path: format!("{path}.{param}"),
                                label: format!("{} ({kind} {param})", words(r.key)),
                                kind: "number",
                                value: serde_json::json!(x),
                                min: None,
                                max: None,
                                whole: false,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        if def == "MechanismsFile" {
            for (k, v) in t {
                if let toml::Value::Boolean(b) = v {
                    out.push(Control {
                        section: section.clone(),
                        path: format!("{prefix}.{k}"),
                        label: words(k),
                        kind: "switch",
                        value: serde_json::json!(b),
                        min: None,
                        max: None,
                        whole: false,
                    });
                }
            }
        }
    };
    let named = |v: &toml::Value| {
        v.get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    if let Some(toml::Value::Array(platforms)) = root.get("platforms") {
        for p in platforms {
            if let (Some(name), Some(t)) = (named(p), p.as_table()) {
                table(
                    format!("Platform: {name}"),
                    format!("platforms.{name}"),
                    "PlatformFile",
                    t,
                );
            }
        }
    }
    if let Some(segments) = root
        .get("population")
        .and_then(|p| p.get("segments"))
        .and_then(toml::Value::as_array)
    {
        for s in segments {
            if let (Some(name), Some(t)) = (named(s), s.as_table()) {
                table(
                    format!("Segment: {name}"),
                    format!("population.segments.{name}"),
                    "SegmentFile",
                    t,
                );
            }
        }
    }
    for (key, def, section) in [
        ("network", "NetworkFile", "Network"),
        ("choice", "ChoiceFile", "Choice"),
        ("mechanisms", "MechanismsFile", "Mechanisms"),
    ] {
        if let Some(toml::Value::Table(t)) = root.get(key) {
            table(section.to_string(), key.to_string(), def, t);
        }
    }
    // A segment's share must sum to 1 with the others': not a control of its own.
    out.retain(|c| !c.path.ends_with(".share"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/historical-2025.toml");
        Model::load(&path, 2000, 60.0, Some(1)).unwrap()
    }

    #[test]
    fn controls_come_from_the_scenario_and_the_range_table() {
        let m = model();
        let c = m.controls();
        let appeal = c
            .iter()
            .find(|c| c.path == "platforms.TikTok.appeal")
            .unwrap();
        assert_eq!((appeal.min, appeal.max), (Some(-50.0), Some(50.0)));
        assert!(
            c.iter()
                .any(|c| c.kind == "switch" && c.path == "mechanisms.protest")
        );
        assert!(c.iter().all(|c| !c.path.ends_with(".share")));
        assert_eq!(m.baseline.len(), m.base.params.days as usize);
    }

    #[test]
    fn a_change_is_checked_with_the_command_lines_messages() {
        let m = model();
        let change = |path: &str, value: serde_json::Value| Change {
            sets: vec![SetValue {
                path: path.into(),
                value,
            }],
            ..Default::default()
        };
        let errs = m
            .apply(&change("meta.seed", serde_json::json!(7)))
            .err()
            .unwrap();
        assert!(errs[0].message.contains("dates and seed"), "{errs:?}");
        let errs = m
            .apply(&change("platforms.TikTok.appeal", serde_json::json!(99)))
            .err()
            .unwrap();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.as_deref(), Some("platforms.TikTok.appeal"));
        assert!(
            errs[0].message.contains("-50 ..= 50"),
            "{}",
            errs[0].message
        );
        let ok = m
            .apply(&change("platforms.TikTok.appeal", serde_json::json!(1.5)))
            .unwrap();
        assert!(ok.file_text.contains("appeal = 1.5"), "{}", ok.file_text);
        assert!(ok.command.contains("--set platforms.TikTok.appeal=1.5"));
        // The downloaded file is a scenario that loads.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(&f, &ok.file_text).unwrap();
        let loaded = scenario::load(&f, &Overrides::default()).unwrap();
        assert_eq!(loaded.params.platforms[0].appeal, 1.5);
    }

    #[test]
    fn the_same_random_numbers_give_the_baseline_and_a_cancelled_run_stops() {
        let m = model();
        let same = m.apply(&Change::default()).unwrap();
        let mut curves = Vec::new();
        let never = Cancel::default();
        assert_eq!(
            m.run(&same.scenario, &never, &mut |d| {
                curves.push(d);
                true
            }),
            Ended::Done
        );
        assert_eq!(curves, m.baseline, "no change, the baseline's curves");
        // Past its time limit a run stops between days.
        let mut limited = model();
        limited.max_seconds = 0.0;
        assert_eq!(
            limited.run(&same.scenario, &never, &mut |_| true),
            Ended::TimedOut
        );
        let cancel = Cancel::new();
        cancel.cancel();
        let mut days = 0;
        assert_eq!(
            m.run(&same.scenario, &cancel, &mut |_| {
                days += 1;
                true
            }),
            Ended::Cancelled
        );
        assert_eq!(days, 0);
        // A closed stream stops the run after its first day: cancelled, not done.
        let mut days = 0;
        assert_eq!(
            m.run(&same.scenario, &never, &mut |_| {
                days += 1;
                false
            }),
            Ended::Cancelled
        );
        assert_eq!(days, 1);
    }
}
