//! Charts of a calibration: the marginal posterior of each parameter (weighted histogram over
//! its prior range, with the median and 90% interval), the pairs of parameters (the last
//! generation's particles, one panel per pair), and the posterior-predictive check of every
//! target on the distance's scale (accepted interval from -1 to 1; predictive median and 90%
//! band; fitted and held-back targets marked).

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{Area, GRID, INK, MUTED, bold, draw_err, frame, text_style};
use super::style::PALETTE;
use super::{Figure, PlotError, PlotOptions, write_figure};
use crate::calibrate::SavedState;
use crate::calibrate::problem::Problem;
use crate::calibrate::report::{ParameterSummary, PredictiveRow};

/// One parameter's axis: its path and the natural values at quantiles 0, 1/2 and 1.
#[derive(Debug, Clone)]
pub struct ParamAxis {
    pub label: String,
    pub ticks: [String; 3],
}

/// A calibration chart.
#[derive(Debug, Clone)]
pub enum CalibrationChart {
    /// One histogram panel per parameter; `bins[i]` sums the weights in each of the bins of
    /// the unit interval; median and interval as quantiles in [0, 1].
    Marginals {
        title: String,
        footnote: String,
        axes: Vec<ParamAxis>,
        bins: Vec<Vec<f64>>,
        lines: Vec<[f64; 3]>,
    },
    /// One scatter panel per pair of parameters (points on the unit square, size by weight).
    Pairs {
        title: String,
        footnote: String,
        axes: Vec<ParamAxis>,
        points: Vec<(Vec<f64>, f64)>,
    },
    /// One row per target: its standardised predictive median and 90% band.
    Predictive {
        title: String,
        footnote: String,
        rows: Vec<(String, bool, [f64; 3])>,
    },
}

const BINS: usize = 20;

impl CalibrationChart {
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: f64) -> Result<(), PlotError> {
        match self {
            CalibrationChart::Marginals {
                title,
                footnote,
                axes,
                bins,
                lines,
            } => {
                let body = frame(
                    root,
                    title,
                    "Posterior of each parameter: weighted particles of the last generation over the prior range; line: median, dashed: 90% interval",
                    footnote,
                    s,
                )?;
                let cols = axes.len().clamp(1, 3);
                let rows = axes.len().div_ceil(cols);
                let panels = body.split_evenly((rows, cols));
                for (i, axis) in axes.iter().enumerate() {
                    let area = &panels[i];
                    let top = bins[i].iter().cloned().fold(0.0, f64::max).max(1e-12) * 1.1;
                    let mut chart = ChartBuilder::on(area)
                        .margin((8.0 * s) as i32)
                        .caption(&axis.label, bold(12.0 * s, INK))
                        .x_label_area_size((22.0 * s) as i32)
                        .y_label_area_size((10.0 * s) as i32)
                        .build_cartesian_2d(0.0..1.0, 0.0..top)
                        .map_err(draw_err)?;
                    let labels = &axis.ticks;
                    chart
                        .configure_mesh()
                        .disable_y_axis()
                        .disable_mesh()
                        .x_labels(3)
                        .x_label_formatter(&|x: &f64| {
                            let j = ((*x * 2.0).round() as usize).min(2);
                            labels[j].clone()
                        })
                        .x_label_style(text_style(10.5 * s, MUTED))
                        .axis_style(GRID)
                        .draw()
                        .map_err(draw_err)?;
                    let color = PALETTE[1];
                    chart
                        .draw_series(bins[i].iter().enumerate().map(|(b, &w)| {
                            let x0 = b as f64 / BINS as f64;
                            Rectangle::new(
                                [(x0, 0.0), (x0 + 1.0 / BINS as f64, w)],
                                color.mix(0.55).filled(),
                            )
                        }))
                        .map_err(draw_err)?;
                    let [lo, med, hi] = lines[i];
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(med, 0.0), (med, top)],
                            INK.stroke_width((2.0 * s) as u32),
                        )))
                        .map_err(draw_err)?;
                    for x in [lo, hi] {
                        chart
                            .draw_series(DashedLineSeries::new(
                                vec![(x, 0.0), (x, top)],
                                (5.0 * s) as u32,
                                (4.0 * s) as u32,
                                INK.stroke_width((1.0 * s).max(1.0) as u32),
                            ))
                            .map_err(draw_err)?;
                    }
                }
                Ok(())
            }
            CalibrationChart::Pairs {
                title,
                footnote,
                axes,
                points,
            } => {
                let body = frame(
                    root,
                    title,
                    "Pairs of parameters: particles of the last generation on their prior ranges (dot area by weight)",
                    footnote,
                    s,
                )?;
                let d = axes.len();
                if d < 2 {
                    body.draw(&Text::new(
                        "One parameter: no pairs to show".to_string(),
                        (10, 10),
                        text_style(13.0 * s, MUTED),
                    ))
                    .map_err(draw_err)?;
                    return Ok(());
                }
                let panels = body.split_evenly((d - 1, d - 1));
                let wmax = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-300);
                for row in 1..d {
                    for col in 0..d - 1 {
                        let area = &panels[(row - 1) * (d - 1) + col];
                        if col >= row {
                            continue;
                        }
                        let mut chart = ChartBuilder::on(area)
                            .margin((6.0 * s) as i32)
                            .x_label_area_size(if row == d - 1 { (30.0 * s) as i32 } else { 0 })
                            .y_label_area_size(if col == 0 { (40.0 * s) as i32 } else { 0 })
                            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
                            .map_err(draw_err)?;
                        let (xl, yl) = (&axes[col], &axes[row]);
                        let x_fmt =
                            |x: &f64| xl.ticks[((*x * 2.0).round() as usize).min(2)].clone();
                        let y_fmt =
                            |y: &f64| yl.ticks[((*y * 2.0).round() as usize).min(2)].clone();
                        let mut mesh = chart.configure_mesh();
                        mesh.light_line_style(TRANSPARENT)
                            .bold_line_style(GRID)
                            .x_labels(3)
                            .y_labels(3)
                            .x_label_formatter(&x_fmt)
                            .y_label_formatter(&y_fmt)
                            .label_style(text_style(9.5 * s, MUTED));
                        if row == d - 1 {
                            mesh.x_desc(short(&xl.label));
                        }
                        if col == 0 {
                            mesh.y_desc(short(&yl.label));
                        }
                        mesh.axis_desc_style(text_style(10.0 * s, INK))
                            .draw()
                            .map_err(draw_err)?;
                        chart
                            .draw_series(points.iter().map(|(u, w)| {
                                let r = (1.0 + 4.0 * (w / wmax).sqrt()) * s;
                                Circle::new(
                                    (u[col], u[row]),
                                    r as i32,
                                    PALETTE[0].mix(0.5).filled(),
                                )
                            }))
                            .map_err(draw_err)?;
                    }
                }
                Ok(())
            }
            CalibrationChart::Predictive {
                title,
                footnote,
                rows,
            } => {
                let body = frame(
                    root,
                    title,
                    "Posterior predictive of each target on the distance's scale: shaded, the accepted interval (-1 to 1); dot, the median; bar, the 90% band; open dot: held back",
                    footnote,
                    s,
                )?;
                let n = rows.len().max(1);
                let limit = 4.0;
                let mut chart = ChartBuilder::on(&body)
                    .margin((10.0 * s) as i32)
                    .x_label_area_size((34.0 * s) as i32)
                    .y_label_area_size((70.0 * s) as i32)
                    .build_cartesian_2d(-limit..limit, -0.5..(n as f64 - 0.5))
                    .map_err(draw_err)?;
                chart
                    .configure_mesh()
                    .disable_y_mesh()
                    .light_line_style(TRANSPARENT)
                    .bold_line_style(GRID)
                    .x_labels(9)
                    .y_labels(n)
                    .y_label_formatter(&|y: &f64| {
                        let i = y.round();
                        if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < rows.len() {
                            rows[rows.len() - 1 - i as usize].0.clone()
                        } else {
                            String::new()
                        }
                    })
                    .x_desc("standardised error z: 0 = middle of the accepted interval, ±1 = its edges (clipped at ±4)")
                    .label_style(text_style(11.0 * s, INK))
                    .axis_desc_style(text_style(11.0 * s, MUTED))
                    .draw()
                    .map_err(draw_err)?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(-1.0, -0.5), (1.0, n as f64 - 0.5)],
                        PALETTE[2].mix(0.18).filled(),
                    )))
                    .map_err(draw_err)?;
                let clip = |z: f64| {
                    if z.is_finite() {
                        z.clamp(-limit, limit)
                    } else {
                        limit
                    }
                };
                for (i, (_, fitted, [lo, med, hi])) in rows.iter().enumerate() {
                    let y = (rows.len() - 1 - i) as f64;
                    let color = if *fitted { PALETTE[0] } else { PALETTE[4] };
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(clip(*lo), y), (clip(*hi), y)],
                            color.stroke_width((3.0 * s) as u32),
                        )))
                        .map_err(draw_err)?;
                    let dot = Circle::new((clip(*med), y), (5.0 * s) as i32, {
                        if *fitted {
                            color.filled()
                        } else {
                            color.stroke_width((2.0 * s) as u32)
                        }
                    });
                    chart.draw_series(std::iter::once(dot)).map_err(draw_err)?;
                }
                let _ = Pos::new(HPos::Left, VPos::Center);
                Ok(())
            }
        }
    }
}

/// The last two segments of a path, for axis titles in small panels.
pub(super) fn short(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

fn tick(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.2e}")
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{}", (x * 1000.0).round() / 1000.0)
    }
}

/// Draws marginals, pairs (ABC-SMC) and the predictive check into `out`; returns the files.
pub fn plot_calibration(
    problem: &Problem,
    saved: &SavedState,
    summaries: &[ParameterSummary],
    rows: &[PredictiveRow],
    out: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let opts = PlotOptions::default();
    let footnote = format!(
        "exodus {} · {} · {} agents, {} replicate(s) per candidate",
        crate::VERSION,
        problem.base.name,
        problem.base.agents,
        problem.seeds
    );
    let axes: Vec<ParamAxis> = problem
        .free
        .iter()
        .map(|&i| {
            let p = &problem.parameters[i];
            ParamAxis {
                label: p.path.clone(),
                ticks: [0.0, 0.5, 1.0].map(|u| tick(p.prior.value(u))),
            }
        })
        .collect();
    let mut files = Vec::new();
    if let Some(last) = saved.abc.as_ref().and_then(|a| a.generations.last()) {
        let bins: Vec<Vec<f64>> = (0..axes.len())
            .map(|d| {
                let mut b = vec![0.0; BINS];
                for p in &last.particles {
                    b[((p.u[d] * BINS as f64) as usize).min(BINS - 1)] += p.weight;
                }
                b
            })
            .collect();
        let lines = problem
            .free
            .iter()
            .zip(summaries)
            .map(|(&i, sm)| {
                let prior = &problem.parameters[i].prior;
                [sm.q05, sm.median, sm.q95].map(|x| prior.quantile(x))
            })
            .collect();
        let marginals = Figure::Calibration(CalibrationChart::Marginals {
            title: format!("Calibration of {}: marginal posteriors", problem.base.name),
            footnote: format!("{footnote} · generation {}", last.index),
            axes: axes.clone(),
            bins,
            lines,
        });
        files.extend(write_figure(&marginals, out, "marginals", &opts)?);
        let pairs = Figure::Calibration(CalibrationChart::Pairs {
            title: format!("Calibration of {}: pairs", problem.base.name),
            footnote: format!("{footnote} · generation {}", last.index),
            axes,
            points: last
                .particles
                .iter()
                .map(|p| (p.u.clone(), p.weight))
                .collect(),
        });
        files.extend(write_figure(&pairs, out, "pairs", &opts)?);
    }
    let z_rows = problem
        .targets
        .iter()
        .zip(rows)
        .map(|(t, r)| {
            (
                format!("{}{}", r.id, if t.fitted { "" } else { " (held back)" }),
                t.fitted,
                [t.z(r.q05), t.z(r.median), t.z(r.q95)],
            )
        })
        .collect();
    let predictive = Figure::Calibration(CalibrationChart::Predictive {
        title: format!("Calibration of {}: targets", problem.base.name),
        footnote,
        rows: z_rows,
    });
    let mut tall = opts.clone();
    tall.height = (200 + 34 * rows.len() as u32).clamp(400, 1600);
    files.extend(write_figure(&predictive, out, "predictive", &tall)?);
    Ok(files)
}
