//! The report of a calibration's results folder: what was fitted to what and how, the
//! parameters' priors and sources, the posterior (or best point), every target's
//! posterior-predictive check (fitted and held-back targets side by side, misses said plainly),
//! the calibration's own charts, the generations or restarts, the fitted scenario and the
//! manifest. Read from the files `exodus calibrate` writes; nothing is rerun.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::doc::{Cell, Doc, Figure, Table};
use super::format::{exact, number, percent, value, words};
use super::{Csv, manifest_table};
use crate::plot::PlotError;

/// The calibration manifest file.
pub const MANIFEST: &str = "calibration.json";

/// Everything a calibration's report shows, read from its results folder.
pub struct CalibrationData {
    pub dir: PathBuf,
    pub manifest: Value,
    posterior: Csv,
    predictive: Csv,
    /// generations.csv (ABC-SMC) or restarts.csv (Nelder-Mead), if there.
    progress: Option<Csv>,
}

impl CalibrationData {
    pub fn load(dir: &Path) -> Result<CalibrationData, PlotError> {
        let manifest = super::read_json(&dir.join(MANIFEST))?;
        let progress = ["generations.csv", "restarts.csv"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .map(|p| Csv::read(&p))
            .transpose()?;
        Ok(CalibrationData {
            dir: dir.to_path_buf(),
            posterior: Csv::read(&dir.join("posterior.csv"))?,
            predictive: Csv::read(&dir.join("predictive.csv"))?,
            manifest,
            progress,
        })
    }

    fn abc(&self) -> bool {
        self.manifest["method"].as_str() == Some("abc-smc")
    }
}

/// A prior as the calibration's own report writes it (`log-uniform(0.003, 0.3)`).
fn prior(p: &Value) -> String {
    serde_json::from_value::<crate::calibrate::params::Prior>(p.clone())
        .map_or_else(|_| value(p), |prior| prior.describe())
}

/// The report of the calibration in `d`.
pub fn build(d: &CalibrationData) -> Result<Doc, PlotError> {
    let m = &d.manifest;
    let c = &m["calibration"];
    let scenario = m["scenario"]
        .as_str()
        .or_else(|| m["scenario_file"].as_str())
        .unwrap_or("a scenario");
    let abc = d.abc();
    let mut doc = Doc::new(format!("Calibration: {scenario}"));
    let method = if abc { "ABC-SMC" } else { "Nelder-Mead" };
    doc.note(format!(
        "{method} · {} simulations · {} agents · {} replicates per candidate · seed {} · exodus {} · {}",
        value(&m["simulations"]),
        value(&m["agents"]),
        value(&c["seeds"]),
        value(&m["run_seed"]),
        value(&m["exodus_version"]),
        value(&m["started_at"]),
    ));

    // What fits and what does not, first.
    let rows = &d.predictive.rows;
    let fits = |r: &[String]| d.predictive.get(r, "median_fits") == "true";
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| !fits(r))
        .map(|r| d.predictive.get(r, "target"))
        .collect();
    let held: Vec<&[String]> = rows
        .iter()
        .filter(|r| d.predictive.get(r, "role") == "held back")
        .map(Vec::as_slice)
        .collect();
    doc.section("Summary");
    let fitted_ids = strings(&m["fitted_targets"]);
    let held_ids = strings(&m["held_back_targets"]);
    doc.text(format!(
        "{} parameter(s) of {} fitted by {method} to {} target(s) ({}); {} held back ({}). It stopped because {}.",
        d.posterior.rows.len(),
        value(&m["scenario_file"]),
        fitted_ids.len(),
        fitted_ids.join(", "),
        held_ids.len(),
        if held_ids.is_empty() {
            "none".to_string()
        } else {
            held_ids.join(", ")
        },
        value(&m["stopped"]),
    ));
    if m["complete"].as_bool() == Some(false) {
        doc.text("The calibration is incomplete: its last generation did not finish, and the results are those of the last one that did. Raise the budget and run the same command to go on.");
    }
    doc.text(format!(
        "{} of {} targets fit at the predictive median{}{}",
        rows.len() - missed.len(),
        rows.len(),
        if missed.is_empty() {
            ".".to_string()
        } else {
            format!("; these do not: {}.", missed.join(", "))
        },
        if held.is_empty() {
            String::new()
        } else {
            let ok = held.iter().filter(|r| fits(r)).count();
            format!(
                " Of the {} held-back target(s), which the fit did not see, {ok} fit.",
                held.len()
            )
        }
    ));

    doc.section("Method");
    if abc {
        doc.text(format!(
            "Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC): {} particles drawn from the priors, then generations of particles whose distance is under a tolerance that falls to the {} quantile of the last generation's distances; the posterior is the last generation's weighted particles.",
            value(&c["abc"]["particles"]),
            value(&c["abc"]["quantile"]),
        ));
    } else {
        doc.text(format!(
            "Nelder-Mead simplex search on the priors' quantile scale from {} starting points; the best point found is reported. A point fit has no posterior: its intervals below are the spread of the predictive runs at that point (the seed noise), not parameter uncertainty.",
            value(&c["nelder_mead"]["restarts"]),
        ));
    }
    doc.text(format!(
        "Each candidate is run over {} replicate(s) with common random numbers (seed {}, replicate r) and each target's mean over them is scored. The distance is the root mean square over the fitted targets of z = (T(model) − middle) / half-width of the accepted interval, T the logarithm for counts, ranks and ratios and the identity for shares of moves. The predictive check runs {} draws {}, each on a fresh replicate.",
        value(&c["seeds"]),
        value(&m["run_seed"]),
        value(&c["predictive_draws"]),
        if abc {
            "from the posterior"
        } else {
            "at the best point"
        }
    ));

    doc.section("Parameters");
    let mut t = Table::new(&[("parameter", false), ("prior", false), ("source", false)]);
    for p in c["parameters"].as_array().map_or(&[][..], Vec::as_slice) {
        let mut paths = vec![value(&p["path"])];
        paths.extend(strings(&p["also"]));
        t.row(vec![
            Cell::new(paths.join(" = ")),
            Cell::new(prior(&p["prior"])),
            Cell::new(value(&p["source"])),
        ]);
    }
    doc.table(t);

    let post = &d.posterior;
    if abc {
        doc.section("Posterior");
        let mut t = Table::new(&[
            ("parameter", false),
            ("median", true),
            ("90% interval", true),
            ("mean", true),
            ("standard deviation", true),
            ("contraction", true),
        ]);
        for r in &post.rows {
            t.row(vec![
                Cell::new(post.get(r, "parameter")),
                Cell::new(number(post.number(r, "median"))),
                Cell::new(format!(
                    "{} – {}",
                    number(post.number(r, "q05")),
                    number(post.number(r, "q95"))
                )),
                Cell::new(number(post.number(r, "mean"))),
                Cell::new(number(post.number(r, "sd"))),
                Cell::new(format!("{:.2}", post.number(r, "contraction"))),
            ]);
        }
        doc.table(t.with_caption(
            "Weighted particles of the last generation. Contraction is 1 − posterior variance / prior variance on the prior's quantile scale: 0, the targets taught nothing about the parameter; 1, they pinned it down.",
        ));
    } else {
        doc.section("Best fit");
        let mut t = Table::new(&[("parameter", false), ("value", true)]);
        for r in &post.rows {
            t.row(vec![
                Cell::new(post.get(r, "parameter")),
                Cell::new(number(post.number(r, "median"))),
            ]);
        }
        doc.table(t);
    }

    doc.section("Targets");
    let notes: Vec<&Value> = m["targets"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().collect());
    let note = |id: &str, key: &str| {
        notes
            .iter()
            .find(|n| n["id"].as_str() == Some(id))
            .map_or(String::new(), |n| value(&n[key]))
    };
    let pr = &d.predictive;
    let mut t = Table::new(&[
        ("target", false),
        ("role", false),
        ("published", true),
        ("accepted", true),
        ("predictive median", true),
        ("90% band", true),
        ("draws inside", true),
        ("fits", false),
    ]);
    for r in &pr.rows {
        t.row(vec![
            Cell::new(pr.get(r, "target")),
            Cell::new(pr.get(r, "role")),
            Cell::new(number(pr.number(r, "published"))),
            Cell::new(format!(
                "{} – {}",
                number(pr.number(r, "low")),
                number(pr.number(r, "high"))
            )),
            Cell::new(number(pr.number(r, "median"))),
            Cell::new(format!(
                "{} – {}",
                number(pr.number(r, "q05")),
                number(pr.number(r, "q95"))
            )),
            Cell::new(percent(pr.number(r, "coverage"))),
            Cell::new(if fits(r) { "yes" } else { "no" }),
        ]);
    }
    doc.table(t.with_caption(
        "The posterior-predictive check: \"fits\" says whether the predictive median lies in the accepted interval; \"draws inside\" is the share of predictive draws that do.",
    ));
    if !notes.is_empty() {
        let mut t = Table::new(&[
            ("target", false),
            ("what it measures", false),
            ("source", false),
        ]);
        for r in &pr.rows {
            let id = pr.get(r, "target");
            t.row(vec![
                Cell::new(id),
                Cell::new(note(id, "description")),
                Cell::new(note(id, "source")),
            ]);
        }
        doc.table(t);
    }

    doc.section("Charts");
    let mut drawn = 0;
    for (name, caption) in [
        (
            "predictive",
            "Every target on the distance's scale: the accepted interval is −1 to 1; the predictive median and 90% band of each target (held-back targets marked).",
        ),
        (
            "marginals",
            "Marginal posterior of each parameter over its prior range, with the median and 90% interval.",
        ),
        (
            "pairs",
            "The last generation's particles, one panel per pair of parameters (size by weight).",
        ),
    ] {
        let path = d.dir.join(format!("{name}.svg"));
        if let Ok(svg) = std::fs::read_to_string(&path) {
            drawn += 1;
            doc.figure(Figure {
                id: name.to_string(),
                caption: caption.to_string(),
                svg,
                png: format!("{name}.png"),
            });
        }
    }
    if drawn == 0 {
        doc.text("The calibration drew no charts (it ran with --no-plots or without SVG); they are drawn by exodus calibrate as it finishes.");
    }

    if let Some(progress) = &d.progress {
        doc.section(if abc { "Generations" } else { "Restarts" });
        let numeric = |i: usize| {
            progress.rows.iter().all(|r| {
                r.get(i)
                    .is_none_or(|f| f.is_empty() || f.parse::<f64>().is_ok())
            })
        };
        let mut t = Table::new(
            &progress
                .headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.as_str(), numeric(i)))
                .collect::<Vec<_>>(),
        );
        t.columns
            .iter_mut()
            .for_each(|col| col.title = words(&col.title));
        for r in &progress.rows {
            t.row(
                r.iter()
                    .map(|f| match f.parse::<f64>() {
                        Ok(x) => Cell::new(exact(x)),
                        Err(_) => Cell::new(f.clone()),
                    })
                    .collect(),
            );
        }
        doc.table(t);
    }

    doc.section("Fitted scenario");
    doc.text(format!(
        "fitted.toml is the input scenario with the {} of every calibrated parameter set; it extends the input file, so it runs as any scenario:",
        if abc { "posterior median" } else { "best value" }
    ));
    doc.code(crate::app::command_text(&[
        "exodus".into(),
        "run".into(),
        d.dir.join("fitted.toml").display().to_string(),
    ]));

    doc.section("Manifest");
    manifest_table(
        &mut doc,
        m,
        &[
            "calibration",
            "targets",
            "fitted_targets",
            "held_back_targets",
            "outputs",
        ],
    );
    doc.subsection("Settings");
    doc.table(super::run::fields(c, &["parameters"], "setting"));
    Ok(doc)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(value).collect())
        .unwrap_or_default()
}
