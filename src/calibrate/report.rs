//! What a calibration writes to its folder: the particles (or restarts), the table per
//! generation, the posterior summary with its contraction, the posterior-predictive check of
//! every target (fitted and held back), the fitted scenario (a file that extends the input),
//! a Markdown report, the manifest and the charts.
//!
//! Reproducible files (everything but the manifest's and the tables' seconds) depend only on the
//! inputs and the seeds: not on threads, not on whether the calibration was resumed.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::abc::{AbcState, Generation};
use super::params::{Calibration, Method};
use super::point::PointState;
use super::problem::Problem;
use super::{CalibrateOptions, SavedState};
use crate::app::AppError;
use crate::output::{atomic, json};
use crate::scenario::resolve::format_number;

/// What `write` needs.
pub struct Inputs<'a> {
    pub problem: &'a Problem,
    pub calibration: &'a Calibration,
    pub saved: &'a SavedState,
    pub opts: &'a CalibrateOptions,
    pub out: &'a std::path::Path,
    pub stopped: &'a str,
    pub complete: bool,
    pub threads: usize,
    pub started_at: &'a str,
    pub wall_seconds: f64,
}

/// Files written and a summary for the terminal.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub summary: String,
    /// posterior.csv's rows and predictive.csv's rows.
    pub posterior: Vec<ParameterSummary>,
    pub predictive: Vec<PredictiveRow>,
}

/// One parameter's posterior (or best-fit) summary.
#[derive(Debug, Clone, Serialize)]
pub struct ParameterSummary {
    pub path: String,
    pub prior: String,
    pub median: f64,
    pub q05: f64,
    pub q95: f64,
    pub mean: f64,
    pub sd: f64,
    /// 1 - posterior variance / prior variance, on the prior's quantile scale (0: the data
    /// taught nothing, 1: pinned down).
    pub contraction: f64,
}

/// One target's posterior-predictive check.
#[derive(Debug, Clone, Serialize)]
pub struct PredictiveRow {
    pub id: String,
    pub role: &'static str,
    pub published: f64,
    pub low: f64,
    pub high: f64,
    pub median: f64,
    pub q05: f64,
    pub q95: f64,
    /// Share of predictive draws inside the accepted interval.
    pub coverage: f64,
    pub median_fits: bool,
}

/// The weighted `q`-quantile of `(value, weight)` pairs.
pub fn weighted_quantile(items: &[(f64, f64)], q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = items.iter().copied().filter(|x| x.0.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    for (x, w) in &v {
        acc += w / total;
        if acc >= q - 1e-12 {
            return *x;
        }
    }
    v[v.len() - 1].0
}

/// Posterior summaries of the free parameters of the final generation.
pub fn posterior(problem: &Problem, g: &Generation) -> Vec<ParameterSummary> {
    problem
        .free
        .iter()
        .enumerate()
        .map(|(d, &i)| {
            let p = &problem.parameters[i];
            let x: Vec<(f64, f64)> = g
                .particles
                .iter()
                .map(|q| (p.prior.value(q.u[d]), q.weight))
                .collect();
            let u: Vec<(f64, f64)> = g.particles.iter().map(|q| (q.u[d], q.weight)).collect();
            let total: f64 = x.iter().map(|v| v.1).sum();
            let mean = x.iter().map(|v| v.0 * v.1).sum::<f64>() / total;
            let sd = (x.iter().map(|v| v.1 * (v.0 - mean).powi(2)).sum::<f64>() / total).sqrt();
            let mu = u.iter().map(|v| v.0 * v.1).sum::<f64>() / total;
            let var_u = u.iter().map(|v| v.1 * (v.0 - mu).powi(2)).sum::<f64>() / total;
            ParameterSummary {
                path: p.path.clone(),
                prior: p.prior.describe(),
                median: weighted_quantile(&x, 0.5),
                q05: weighted_quantile(&x, 0.05),
                q95: weighted_quantile(&x, 0.95),
                mean,
                sd,
                contraction: 1.0 - var_u * 12.0,
            }
        })
        .collect()
}

/// The posterior median of each free parameter, as a unit point (medians are taken per
/// parameter on the quantile scale, where they equal the natural-scale medians).
fn median_point(g: &Generation, dim: usize) -> Vec<f64> {
    (0..dim)
        .map(|d| {
            let u: Vec<(f64, f64)> = g.particles.iter().map(|q| (q.u[d], q.weight)).collect();
            weighted_quantile(&u, 0.5)
        })
        .collect()
}

/// `m` draws from the weighted particles by systematic resampling (no randomness).
fn systematic_draws(g: &Generation, m: usize) -> Vec<Vec<f64>> {
    let total: f64 = g.particles.iter().map(|p| p.weight).sum();
    let mut out = Vec::with_capacity(m);
    let mut acc = 0.0;
    let mut j = 0;
    for i in 0..m {
        let target = (i as f64 + 0.5) / m as f64;
        while j + 1 < g.particles.len() && acc + g.particles[j].weight / total < target {
            acc += g.particles[j].weight / total;
            j += 1;
        }
        out.push(g.particles[j].u.clone());
    }
    out
}

/// Replicate numbers of predictive runs start here, away from the K replicates of the fit.
pub const PREDICTIVE_REPLICATE: u32 = 1_000_000;

/// Runs the predictive draws (draw i on replicate PREDICTIVE_REPLICATE + i) and summarises
/// every target.
fn predictive(problem: &Problem, draws: &[Vec<f64>]) -> (Vec<PredictiveRow>, Vec<Vec<f64>>) {
    use rayon::prelude::*;
    let values: Vec<Vec<f64>> = draws
        .par_iter()
        .enumerate()
        .map(|(i, u)| {
            problem
                .evaluate_replicates(u, PREDICTIVE_REPLICATE + i as u32, 1)
                .values
        })
        .collect();
    let rows = problem
        .targets
        .iter()
        .enumerate()
        .map(|(t, s)| {
            let v: Vec<(f64, f64)> = values.iter().map(|x| (x[t], 1.0)).collect();
            let inside = values.iter().filter(|x| s.fits(x[t])).count();
            let median = weighted_quantile(&v, 0.5);
            let spec = &s.target.spec;
            PredictiveRow {
                id: spec.id.clone(),
                role: if s.fitted { "fitted" } else { "held back" },
                published: spec.value,
                low: spec.low,
                high: spec.high,
                median,
                q05: weighted_quantile(&v, 0.05),
                q95: weighted_quantile(&v, 0.95),
                coverage: inside as f64 / values.len().max(1) as f64,
                median_fits: s.fits(median),
            }
        })
        .collect();
    (rows, values)
}

/// A number for tables: four significant digits, plain notation.
pub fn show(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    crate::calibration::significant(x, 4)
}

fn csv_field(s: &str) -> String {
    let s = crate::output::text::csv_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format_number(x)
    } else {
        String::new()
    }
}

/// particles.csv: every generation's particles with weights, distances, parameters and targets.
fn particles_csv(problem: &Problem, state: &AbcState) -> String {
    let mut s = String::from("generation,particle,weight,distance");
    for &i in &problem.free {
        s.push(',');
        s.push_str(&csv_field(&problem.parameters[i].path));
    }
    for t in &problem.targets {
        s.push(',');
        s.push_str(&csv_field(&format!("target:{}", t.id())));
    }
    s.push('\n');
    for g in &state.generations {
        for (j, p) in g.particles.iter().enumerate() {
            let _ = write!(s, "{},{},{},{}", g.index, j, num(p.weight), num(p.distance));
            for (d, &i) in problem.free.iter().enumerate() {
                let _ = write!(s, ",{}", num(problem.parameters[i].prior.value(p.u[d])));
            }
            for v in &p.values {
                let _ = write!(s, ",{}", v.map_or(String::new(), num));
            }
            s.push('\n');
        }
    }
    s
}

fn generations_csv(state: &AbcState) -> String {
    let mut s = String::from(
        "generation,tolerance,particles,simulations,total_simulations,acceptance_rate,effective_sample_size,seconds\n",
    );
    let mut total = 0;
    for g in &state.generations {
        total += g.simulations;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{:.3}",
            g.index,
            g.tolerance.map_or(String::new(), num),
            g.particles.len(),
            g.simulations,
            total,
            num(g.acceptance_rate),
            num(g.effective_sample_size),
            g.seconds
        );
    }
    s
}

fn posterior_csv(rows: &[ParameterSummary]) -> String {
    let mut s = String::from("parameter,prior,median,q05,q95,mean,sd,contraction\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            csv_field(&r.path),
            csv_field(&r.prior),
            num(r.median),
            num(r.q05),
            num(r.q95),
            num(r.mean),
            num(r.sd),
            num(r.contraction)
        );
    }
    s
}

fn predictive_csv(rows: &[PredictiveRow]) -> String {
    let mut s =
        String::from("target,role,published,low,high,median,q05,q95,coverage,median_fits\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.id),
            r.role,
            num(r.published),
            num(r.low),
            num(r.high),
            num(r.median),
            num(r.q05),
            num(r.q95),
            num(r.coverage),
            r.median_fits
        );
    }
    s
}

fn restarts_csv(problem: &Problem, state: &PointState) -> String {
    let mut s = String::from("restart,distance,iterations,evaluations,status");
    for &i in &problem.free {
        let p = &problem.parameters[i].path;
        let _ = write!(s, ",{},{}", csv_field(&format!("start:{p}")), csv_field(p));
    }
    s.push_str(",seconds\n");
    for r in &state.restarts {
        let _ = write!(
            s,
            "{},{},{},{},{}",
            r.index,
            num(r.distance),
            r.iterations,
            r.evaluations,
            csv_field(&r.status)
        );
        for (d, &i) in problem.free.iter().enumerate() {
            let prior = &problem.parameters[i].prior;
            let _ = write!(
                s,
                ",{},{}",
                num(prior.value(r.start[d])),
                num(prior.value(r.best[d]))
            );
        }
        let _ = writeln!(s, ",{:.3}", r.seconds);
    }
    s
}

/// The fitted scenario: extends the input and sets every calibrated parameter.
fn fitted_toml(inputs: &Inputs, u: &[f64], what: &str) -> Result<String, AppError> {
    let problem = inputs.problem;
    let scenario = problem
        .scenario_at(u)
        .map_err(|e| AppError::Resources(format!("the fitted values do not validate: {e}")))?;
    let sets: Vec<_> = problem
        .parameters
        .iter()
        .zip(problem.values(u))
        .flat_map(|(p, x)| p.assignments(x))
        .collect();
    let body = crate::scenario::resolve::assignments_toml(&scenario.file, &sets)
        .map_err(AppError::Resources)?;
    let parent = super::relative_path(inputs.out, &inputs.opts.scenario);
    let mut text = format!(
        "# Fitted by exodus {} ({}, {what}) to {}: the input scenario with the values below.\n# Command: {}\n",
        crate::VERSION,
        inputs.calibration.method.name(),
        inputs.opts.targets.display(),
        crate::app::command_text(&inputs.opts.command_line),
    );
    for a in &problem.sets {
        let _ = writeln!(
            text,
            "# --set {} (applied during the fit, kept below if calibrated)",
            a.text()
        );
    }
    let _ = write!(
        text,
        "\nextends = {}\n\n{body}",
        toml::Value::String(parent.display().to_string())
    );
    Ok(text)
}

/// The calibration's manifest.
#[derive(Serialize)]
struct Manifest<'a> {
    exodus_version: &'a str,
    command_line: &'a [String],
    /// The scenario's name.
    scenario: &'a str,
    scenario_file: String,
    targets_file: String,
    params_file: String,
    method: Method,
    calibration: &'a Calibration,
    agents: u32,
    run_seed: u64,
    fitted_targets: Vec<&'a str>,
    held_back_targets: Vec<&'a str>,
    /// Every target: what it measures and its source, for reports.
    targets: Vec<TargetNote<'a>>,
    stopped: &'a str,
    complete: bool,
    simulations: u64,
    threads: usize,
    started_at: &'a str,
    wall_time_seconds: f64,
    fingerprint: &'a str,
    outputs: Vec<String>,
}

/// A target as the manifest records it.
#[derive(Serialize)]
struct TargetNote<'a> {
    id: &'a str,
    role: &'static str,
    description: &'a str,
    source: &'a str,
}

/// Writes every output of a finished (or budget-stopped) calibration.
pub fn write(inputs: &Inputs) -> Result<Written, AppError> {
    let problem = inputs.problem;
    let out = inputs.out;
    let c = inputs.calibration;
    let mut files = Vec::new();
    let mut md = String::new();
    let name = &problem.base.name;
    let _ = writeln!(md, "# Calibration: {name}\n");
    let _ = writeln!(
        md,
        "Written by exodus {} with the command below; rerun it to reproduce (it resumes from `state.json` if the folder holds one).\n\n```sh\n{}\n```\n",
        crate::VERSION,
        crate::app::command_text(&inputs.opts.command_line)
    );
    let fitted: Vec<&str> = problem
        .targets
        .iter()
        .filter(|t| t.fitted)
        .map(|t| t.id())
        .collect();
    let held: Vec<&str> = problem
        .targets
        .iter()
        .filter(|t| !t.fitted)
        .map(|t| t.id())
        .collect();
    let _ = writeln!(
        md,
        "- Scenario `{}`, {} agents for {} people; targets `{}`.\n- Method **{}**; each candidate is run over {} replicate(s) with common random numbers (scenario seed {}) and the mean of each target is scored.\n- Fitted targets ({}): {}.\n- Held back ({}): {}.\n- Distance: root mean square over the fitted targets of z = (T(model) - middle) / half-width of the accepted interval, T = log for counts, ranks and ratios, linear for shares of moves (docs/calibration.md).\n- Stopped because {}{}.\n",
        inputs.opts.scenario.display(),
        problem.base.agents,
        problem.base.people,
        inputs.opts.targets.display(),
        c.method.name(),
        c.seeds,
        problem.run_seed,
        fitted.len(),
        fitted.join(", "),
        held.len(),
        if held.is_empty() {
            "none".to_string()
        } else {
            held.join(", ")
        },
        inputs.stopped,
        if inputs.complete {
            ""
        } else {
            " (incomplete: the last generation did not finish; the results are those of the last finished one; raise the budget and rerun to resume)"
        }
    );
    let _ = writeln!(
        md,
        "## Parameters\n\n| path | prior | source |\n|---|---|---|"
    );
    for p in &problem.parameters {
        let paths: Vec<String> = p.paths().map(|x| format!("`{x}`")).collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            paths.join(" = "),
            p.prior.describe(),
            p.source
        );
    }
    md.push('\n');

    let (point_u, what, summaries, simulations): (Vec<f64>, &str, Vec<ParameterSummary>, u64) =
        match (c.method, &inputs.saved.abc, &inputs.saved.point) {
            (Method::AbcSmc, Some(state), _) => {
                files.push(atomic::write(
                    &out.join("generations.csv"),
                    generations_csv(state).as_bytes(),
                )?);
                files.push(atomic::write(
                    &out.join("particles.csv"),
                    particles_csv(problem, state).as_bytes(),
                )?);
                let _ = writeln!(
                    md,
                    "## Generations\n\n| generation | tolerance | acceptance | effective sample size | simulations | seconds |\n|---|---|---|---|---|---|"
                );
                for g in &state.generations {
                    let _ = writeln!(
                        md,
                        "| {} | {} | {:.1}% | {:.1} | {} | {:.1} |",
                        g.index,
                        g.tolerance
                            .map_or("(all prior draws)".into(), |e| format!("{e:.4}")),
                        100.0 * g.acceptance_rate,
                        g.effective_sample_size,
                        g.simulations,
                        g.seconds
                    );
                }
                md.push('\n');
                let Some(last) = state.generations.last() else {
                    return Err(AppError::Resources(format!(
                        "the calibration stopped ({}) before its first generation finished; its state is saved in {}: raise the budget and run the same command to resume",
                        inputs.stopped,
                        out.join(super::STATE).display()
                    )));
                };
                let summaries = posterior(problem, last);
                (
                    median_point(last, problem.dim()),
                    "posterior median",
                    summaries,
                    state.simulations(),
                )
            }
            (Method::NelderMead, _, Some(state)) => {
                files.push(atomic::write(
                    &out.join("restarts.csv"),
                    restarts_csv(problem, state).as_bytes(),
                )?);
                let _ = writeln!(
                    md,
                    "## Restarts\n\n| restart | distance | iterations | evaluations | status |\n|---|---|---|---|---|"
                );
                for r in &state.restarts {
                    let _ = writeln!(
                        md,
                        "| {} | {:.4} | {} | {} | {} |",
                        r.index, r.distance, r.iterations, r.evaluations, r.status
                    );
                }
                md.push('\n');
                let Some(best) = state.best() else {
                    return Err(AppError::Resources("no restart finished".into()));
                };
                let summaries = problem
                    .free
                    .iter()
                    .enumerate()
                    .map(|(d, &i)| {
                        let p = &problem.parameters[i];
                        let x = p.prior.value(best.best[d]);
                        ParameterSummary {
                            path: p.path.clone(),
                            prior: p.prior.describe(),
                            median: x,
                            q05: x,
                            q95: x,
                            mean: x,
                            sd: 0.0,
                            contraction: f64::NAN,
                        }
                    })
                    .collect();
                let sims =
                    state.restarts.iter().map(|r| r.evaluations).sum::<u64>() * u64::from(c.seeds);
                (best.best.clone(), "best point", summaries, sims)
            }
            _ => return Err(AppError::Resources("the calibration left no state".into())),
        };

    if c.method == Method::AbcSmc {
        files.push(atomic::write(
            &out.join("posterior.csv"),
            posterior_csv(&summaries).as_bytes(),
        )?);
        let _ = writeln!(
            md,
            "## Posterior\n\nWeighted particles of the last generation. Contraction is 1 - posterior variance / prior variance on the prior's quantile scale: 0 means the targets taught nothing about the parameter, 1 that they pinned it down.\n\n| parameter | prior | median | 90% interval | contraction |\n|---|---|---|---|---|"
        );
        for s in &summaries {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} – {} | {:.2} |",
                s.path,
                s.prior,
                show(s.median),
                show(s.q05),
                show(s.q95),
                s.contraction
            );
        }
    } else {
        files.push(atomic::write(
            &out.join("posterior.csv"),
            posterior_csv(&summaries).as_bytes(),
        )?);
        let _ = writeln!(
            md,
            "## Best fit\n\n| parameter | prior | value |\n|---|---|---|"
        );
        for s in &summaries {
            let _ = writeln!(md, "| `{}` | {} | {} |", s.path, s.prior, show(s.median));
        }
    }
    md.push('\n');

    // Posterior predictive: draws from the posterior (or the best point, for seed noise only),
    // each on a fresh replicate.
    let m = c.predictive_draws;
    let draws: Vec<Vec<f64>> = match (&inputs.saved.abc, c.method) {
        (Some(state), Method::AbcSmc) => state
            .generations
            .last()
            .map_or_else(Vec::new, |g| systematic_draws(g, m)),
        _ => vec![point_u.clone(); m],
    };
    let (rows, _) = predictive(problem, &draws);
    files.push(atomic::write(
        &out.join("predictive.csv"),
        predictive_csv(&rows).as_bytes(),
    )?);
    let _ = writeln!(
        md,
        "## Targets: posterior predictive\n\n{} draws {}, each run on a fresh replicate; coverage is the share of draws inside the accepted interval.\n\n| target | role | accepted | median | 90% band | coverage | median fits |\n|---|---|---|---|---|---|---|",
        m,
        if c.method == Method::AbcSmc {
            "from the posterior"
        } else {
            "at the best point"
        }
    );
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} – {} | {} | {} – {} | {:.0}% | {} |",
            r.id,
            r.role,
            show(r.low),
            show(r.high),
            show(r.median),
            show(r.q05),
            show(r.q95),
            100.0 * r.coverage,
            if r.median_fits { "yes" } else { "**no**" }
        );
    }
    let misses: Vec<&str> = rows
        .iter()
        .filter(|r| !r.median_fits)
        .map(|r| r.id.as_str())
        .collect();
    let _ = writeln!(
        md,
        "\n{} of {} targets fit at the predictive median{}.\n",
        rows.len() - misses.len(),
        rows.len(),
        if misses.is_empty() {
            String::new()
        } else {
            format!("; not: {}", misses.join(", "))
        }
    );

    let fitted_text = fitted_toml(inputs, &point_u, what)?;
    let fitted_path = out.join("fitted.toml");
    files.push(atomic::write(&fitted_path, fitted_text.as_bytes())?);
    // The fitted file must load as a scenario: check it now, not when a user tries it.
    crate::scenario::load(&fitted_path, &crate::scenario::Overrides::default()).map_err(|e| {
        AppError::Resources(format!(
            "the fitted scenario {} does not load: {e}",
            fitted_path.display()
        ))
    })?;
    let _ = writeln!(
        md,
        "## Files\n\n`fitted.toml` (the scenario with the {what}: `exodus run {}`), `posterior.csv`, `predictive.csv`, {}`calibration.json` (manifest), `state.json` (to resume).",
        fitted_path.display(),
        if c.method == Method::AbcSmc {
            "`particles.csv` (every generation's weighted particles), `generations.csv`, "
        } else {
            "`restarts.csv`, "
        }
    );

    if inputs.opts.plots {
        files.extend(crate::plot::calibrate::plot_calibration(
            problem,
            inputs.saved,
            &summaries,
            &rows,
            out,
        )?);
    }
    files.push(atomic::write(&out.join("calibration.md"), md.as_bytes())?);
    let mut outputs: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    outputs.push("calibration.json".into());
    let manifest = Manifest {
        exodus_version: crate::VERSION,
        command_line: &inputs.opts.command_line,
        scenario: name,
        scenario_file: inputs.opts.scenario.display().to_string(),
        targets_file: inputs.opts.targets.display().to_string(),
        params_file: inputs.opts.params.display().to_string(),
        method: c.method,
        calibration: c,
        agents: problem.base.agents,
        run_seed: problem.run_seed,
        fitted_targets: fitted.clone(),
        held_back_targets: held.clone(),
        targets: problem
            .targets
            .iter()
            .map(|t| TargetNote {
                id: t.id(),
                role: if t.fitted { "fitted" } else { "held back" },
                description: &t.target.spec.description,
                source: &t.target.spec.source,
            })
            .collect(),
        stopped: inputs.stopped,
        complete: inputs.complete,
        simulations,
        threads: inputs.threads,
        started_at: inputs.started_at,
        wall_time_seconds: inputs.wall_seconds,
        fingerprint: &inputs.saved.fingerprint,
        outputs,
    };
    files.push(json::write(&out.join("calibration.json"), &manifest)?);

    let mut summary = format!("{} by {}: {}\n", name, c.method.name(), inputs.stopped);
    for s in &summaries {
        if c.method == Method::AbcSmc {
            let _ = writeln!(
                summary,
                "  {:<50} median {:>12}  90% {} .. {}  contraction {:.2}",
                s.path,
                show(s.median),
                show(s.q05),
                show(s.q95),
                s.contraction
            );
        } else {
            let _ = writeln!(summary, "  {:<50} {:>12}", s.path, show(s.median));
        }
    }
    let _ = writeln!(
        summary,
        "  {} of {} targets fit at the predictive median; {} simulations",
        rows.len() - misses.len(),
        rows.len(),
        simulations
    );
    Ok(Written {
        files,
        summary,
        posterior: summaries,
        predictive: rows,
    })
}
