//! The report of a sweep's results folder: the design and its parameters (ranges and sources),
//! how far each outcome moves across the sweep, which parameters matter (Sobol' or Morris
//! indices with their intervals, computed here from `results.csv` as `exodus sensitivity`
//! computes them, for the designs that give them), each outcome against each parameter, any
//! failed points and the manifest. Nothing is rerun.

use std::path::Path;

use serde_json::Value;

use super::doc::{Cell, Doc, Figure, Table};
use super::format::{number, percent, short, value};
use crate::app::AppError;
use crate::plot::PlotError;
use crate::sweep::analyse::{self, Analysis, SensitivityOptions};
use crate::sweep::results::{PointTable, ReadError, read_failures};
use crate::sweep::{Kind, Manifest};

/// Bootstrap resamples and confidence level of the report's indices (the defaults of
/// `exodus sensitivity`).
const RESAMPLES: usize = 1000;
const LEVEL: f64 = 0.95;

fn unreadable(e: ReadError) -> PlotError {
    PlotError::Format(e.path, e.message)
}

/// A sweep parameter's distribution as sensitivity.md and the sweep's tables write it
/// (`uniform(2, 6)`, `one of 1, 2, 3`).
fn distribution(p: &Value) -> String {
    serde_json::from_value::<crate::sweep::file::Distribution>(p.clone())
        .map_or_else(|_| value(p), |d| d.describe())
}

/// What a design is, in a sentence.
fn design_words(m: &Manifest, d: usize) -> String {
    let n = m.points / m.design.points_per_sample(d).max(1);
    match m.design {
        Kind::Grid => format!(
            "A full factorial grid of the parameters' values: {} points.",
            m.points
        ),
        Kind::Random => format!(
            "{} points drawn at random from the parameters' distributions, each from its own random stream.",
            m.points
        ),
        Kind::LatinHypercube => format!(
            "A Latin hypercube (McKay, Beckman and Conover 1979) of {} points: each parameter's range cut into {} equal strata with one point in each.",
            m.points, m.points
        ),
        Kind::Sobol => format!(
            "The first {} points of the Sobol' sequence (Joe and Kuo 2008 direction numbers), which fill the parameter space more evenly than random points.",
            m.points
        ),
        Kind::Saltelli => format!(
            "A Saltelli design (Saltelli et al. 2010) for Sobol' indices: {n} base rows of two Sobol' matrices A and B, each giving A, B and A with one parameter taken from B — {} points in all.",
            m.points
        ),
        Kind::Morris => format!(
            "Morris screening (Morris 1991): {n} trajectories on a grid of {} levels, each moving every parameter once — {} points in all.",
            m.levels.unwrap_or(4),
            m.points
        ),
    }
}

/// The `q`-quantile of sorted values (type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The report of the sweep in `dir`, with charts `width` CSS pixels wide.
pub fn build(dir: &Path, width: u32) -> Result<Doc, PlotError> {
    let m = Manifest::read(dir).map_err(unreadable)?;
    let pts = PointTable::read(dir, &m).map_err(unreadable)?;
    let paths = m.parameter_paths();
    let d = paths.len();
    let mut doc = Doc::new(format!("Sweep: {}", m.scenario));
    doc.note(format!(
        "{} design · {} points × {} replicates · {} agents · seed {} · exodus {} · simulated, not observed",
        m.design.name(),
        m.points,
        m.replicates,
        m.agents,
        m.seed,
        m.exodus_version
    ));

    doc.section("Design");
    doc.text(format!(
        "{} Every point is the scenario {} with the parameters below set to the point's values and run {} time(s) with {} agents; replicate r of every point starts from the same random numbers (seed {}, replicate r), so points differ only by their values. An outcome's value at a point is the mean over its replicates.",
        design_words(&m, d),
        m.scenario_file,
        m.replicates,
        m.agents,
        m.seed
    ));
    let mut t = Table::new(&[
        ("parameter", false),
        ("distribution", false),
        ("source", false),
    ]);
    for p in m.parameters.as_array().map_or(&[][..], Vec::as_slice) {
        let mut names = vec![value(&p["path"])];
        if let Some(also) = p["also"].as_array() {
            names.extend(also.iter().map(value));
        }
        t.row(vec![
            Cell::new(names.join(" = ")),
            Cell::new(distribution(p)),
            Cell::new(value(&p["source"])),
        ]);
    }
    doc.table(t);
    if !m.sets.is_empty() {
        doc.text(format!(
            "Set on every point (--set): {}.",
            m.sets.join(", ")
        ));
    }
    if !m.skipped.is_empty() {
        doc.text(format!(
            "Left unset, as the scenario does not have them (--skip-missing): {}.",
            m.skipped.join(", ")
        ));
    }

    doc.section("Outcomes across the sweep");
    let mut t = Table::new(&[
        ("outcome", false),
        ("points", true),
        ("lowest", true),
        ("5%", true),
        ("median", true),
        ("95%", true),
        ("highest", true),
    ]);
    for (o, name) in m.outcomes.iter().enumerate() {
        let mut v: Vec<f64> = pts.mean[o]
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        t.row(vec![
            Cell::new(name.clone()),
            Cell::new(v.len().to_string()),
            Cell::new(number(v.first().copied().unwrap_or(f64::NAN))),
            Cell::new(number(quantile(&v, 0.05))),
            Cell::new(number(quantile(&v, 0.5))),
            Cell::new(number(quantile(&v, 0.95))),
            Cell::new(number(v.last().copied().unwrap_or(f64::NAN))),
        ]);
    }
    doc.table(t.with_caption(
        "The spread of each outcome's value (mean over the replicates) over the points that define it: it says how much the outcome moves over the parameters' ranges, not how likely each value is.",
    ));

    doc.section("Which parameters matter");
    if matches!(m.design, Kind::Saltelli | Kind::Morris) {
        let a = analyse::analyse(&SensitivityOptions {
            results: dir.to_path_buf(),
            out: None,
            resamples: RESAMPLES,
            level: LEVEL,
            plots: false,
        })
        .map_err(|e| match e {
            AppError::Input(msg) | AppError::Resources(msg) => {
                PlotError::Format(dir.to_path_buf(), msg)
            }
            other => PlotError::Format(dir.to_path_buf(), other.to_string()),
        })?;
        sensitivity(&mut doc, &a, width)?;
    } else {
        doc.text(format!(
            "A {} design gives no sensitivity indices: the charts below show how each outcome moves with each parameter. For Sobol' indices sweep a saltelli design; to screen many parameters, a morris design.",
            m.design.name()
        ));
    }

    doc.section("Outcomes against parameters");
    doc.text("For each outcome, one panel per parameter: the median and 5–95% band of the points' values in ten bins of the parameter, the other parameters varying as the design varies them. The command exodus plot, given the folder, draws the same charts with every point.");
    for (name, figure, opts) in crate::plot::sweep::sweep_figures(dir, false, false)? {
        let height = opts.height * width / opts.width.max(1);
        doc.figure(Figure {
            id: name.clone(),
            caption: format!("{} across the sweep.", outcome_of(&m, &name)),
            svg: figure.to_svg(width, height)?,
            png: format!("{name}.png"),
        });
    }

    let failures = read_failures(dir).map_err(unreadable)?;
    if !failures.is_empty() {
        doc.section("Failed points");
        doc.text(format!(
            "{} point(s) failed and are left out of every table and chart (failures.csv):",
            failures.len()
        ));
        doc.list(
            failures
                .iter()
                .take(20)
                .map(|(p, fields)| format!("point {p}: {}", fields[1..].join(", ")))
                .collect(),
        );
    }

    doc.section("Manifest");
    let manifest = super::read_json(&dir.join(crate::sweep::results::MANIFEST))?;
    super::manifest_table(&mut doc, &manifest, &["parameters", "outcomes"]);
    Ok(doc)
}

/// The outcome a chart named `sweep-<outcome file name>` shows.
fn outcome_of(m: &Manifest, name: &str) -> String {
    let names = crate::plot::compare::file_names(&m.outcomes);
    names
        .iter()
        .position(|n| name == format!("sweep-{n}"))
        .map_or_else(|| name.to_string(), |i| m.outcomes[i].clone())
}

/// The indices: a table of the leading parameters of every outcome, then each outcome's chart
/// and table.
fn sensitivity(doc: &mut Doc, a: &Analysis, width: u32) -> Result<(), PlotError> {
    let m = &a.manifest;
    let sobol = m.design == Kind::Saltelli;
    doc.text(if sobol {
        format!(
            "Sobol' indices of each outcome (Saltelli et al. 2010 first order, Jansen total), with {:.0}% percentile-bootstrap intervals over the base rows ({RESAMPLES} resamples). The total index is the share of the outcome's variance due to the parameter with all its interactions; the first-order index, the share due to it alone. A total index near 0 means the parameter could be fixed anywhere in its range without changing the outcome.",
            LEVEL * 100.0
        )
    } else {
        format!(
            "Morris screening: mu* (the mean absolute elementary effect, per whole range of each parameter) ranks importance, with a {:.0}% percentile-bootstrap interval over the trajectories ({RESAMPLES} resamples); mu is its signed mean and sigma its spread (interactions or non-linearity). mu* is in the outcome's own units.",
            LEVEL * 100.0
        )
    });
    if !a.warnings.is_empty() {
        doc.list(a.warnings.iter().map(|w| format!("Warning: {w}")).collect());
    }
    let show = |b: &analyse::Bar| match b.interval {
        Some((lo, hi)) => format!("{} ({} – {})", short(b.estimate), short(lo), short(hi)),
        None => short(b.estimate),
    };
    let lead = if sobol { "total index" } else { "mu*" };
    let mut t = Table::new(&[
        ("outcome", false),
        ("most influential", false),
        ("second", false),
        ("third", false),
        ("seed noise", true),
    ]);
    for o in &a.outcomes {
        let ranked = o.ranked(&a.parameters);
        let mut row = vec![Cell::new(o.outcome.clone())];
        match &o.indices {
            Ok(_) => row.extend((0..3).map(|k| {
                ranked.get(k).map_or_else(
                    || Cell::new("—"),
                    |(p, bars)| Cell::with_band(p.to_string(), show(&bars[0])),
                )
            })),
            Err(e) => {
                row.push(Cell::new(format!("no index: {e}")));
                row.extend([Cell::new(""), Cell::new("")]);
            }
        }
        row.push(Cell::new(
            o.noise.map_or("—".into(), |(one, _)| percent(one)),
        ));
        t.row(row);
    }
    doc.table(t.with_caption(format!(
        "The three parameters with the largest {lead} for each outcome, the index and its interval under each. Seed noise: the share of one run's variance due to the random numbers alone (replicates of one point differ only in them)."
    )));

    let figures = crate::plot::sweep::sensitivity_figures(a, LEVEL);
    let names: Vec<&str> = a.outcomes.iter().map(|o| o.outcome.as_str()).collect();
    let files = crate::plot::compare::file_names(&names);
    for (o, file) in a.outcomes.iter().zip(&files) {
        doc.subsection(&o.outcome);
        let Ok(idx) = &o.indices else {
            continue;
        };
        let mut caption = format!(
            "{} {} used",
            o.used,
            if sobol { "base rows" } else { "trajectories" }
        );
        if o.dropped > 0 {
            caption.push_str(&format!(
                ", {} left out (a failed point or an undefined value)",
                o.dropped
            ));
        }
        if let Some((one, mean)) = o.noise {
            caption.push_str(&format!(
                "; seed noise {} of one run's variance, {} of the mean's",
                percent(one),
                percent(mean)
            ));
        }
        if let Some((name, figure, opts)) = figures
            .iter()
            .find(|(n, _, _)| *n == format!("sensitivity-{file}"))
        {
            let height = opts.height * width / opts.width.max(1);
            doc.figure(Figure {
                id: name.clone(),
                caption: format!("Sensitivity of {}.", o.outcome),
                svg: figure.to_svg(width, height)?,
                png: format!("{name}.png"),
            });
        }
        let labels: Vec<&str> = idx
            .first()
            .map_or(Vec::new(), |b| b.iter().map(|b| b.label).collect());
        let mut columns = vec![("parameter", false)];
        columns.extend(labels.iter().map(|l| (*l, true)));
        let mut t = Table::new(&columns);
        for (p, bars) in o.ranked(&a.parameters) {
            let mut row = vec![Cell::new(p)];
            row.extend(bars.iter().map(|b| Cell::new(show(b))));
            t.row(row);
        }
        doc.table(t.with_caption(caption));
    }
    Ok(())
}
