//! Charts of a sweep and of its sensitivity analysis, drawn from the saved files only:
//!
//! - for each outcome, one panel per parameter: the outcome at every point (the mean of its
//!   replicates) against the parameter's value, with the median and 5-95% band of the points in
//!   each of ten bins of the parameter (the other parameters varying as the design varies them);
//! - for each outcome of a sweep of two or more parameters, a heat map of its mean over a 10 x 10
//!   grid of the first two parameters (or of the grid itself);
//! - for each outcome analysed, a bar chart of the parameters' indices (Sobol' total and first
//!   order, or Morris mu*) with their bootstrap intervals, the largest first.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::calibrate::short;
use super::compare::file_names;
use super::figure::{GRID, INK, MUTED, draw_err, frame, text_style};
use super::style::{PALETTE, human};
use super::{Figure, PlotError, PlotOptions, write_figure};
use crate::sweep::Manifest;
use crate::sweep::analyse::{Analysis, Bar};
use crate::sweep::results::{PointTable, ReadError};

/// One parameter's panel: points and the binned band.
#[derive(Debug, Clone)]
pub struct Panel {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// (bin centre, 5%, median, 95%) of the points in each bin that has any.
    pub band: Vec<(f64, f64, f64, f64)>,
    pub log_x: bool,
}

/// One row of an index chart: a parameter and its indices.
pub type IndexRow = (String, Vec<Bar>);

/// A chart of a sweep.
#[derive(Debug, Clone)]
pub enum SweepChart {
    /// One panel per parameter.
    Scatter {
        title: String,
        footnote: String,
        panels: Vec<Panel>,
        /// Whether to draw every point (false: the binned median and band only, a light chart
        /// for reports).
        dots: bool,
    },
    /// The mean of an outcome over cells of two parameters (None: no point in the cell).
    Heat {
        title: String,
        footnote: String,
        x_label: String,
        y_label: String,
        x_edges: Vec<f64>,
        y_edges: Vec<f64>,
        cells: Vec<Vec<Option<f64>>>,
    },
    /// One row per parameter, largest first: (label, bars of (name, estimate, low, high)).
    Indices {
        title: String,
        subtitle: String,
        footnote: String,
        rows: Vec<IndexRow>,
    },
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    crate::experiment::quantile::exact(sorted, p)
}

/// Linear blend of two colours (t in [0, 1]).
fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

impl SweepChart {
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &super::figure::Area<DB>,
        s: f64,
    ) -> Result<(), PlotError> {
        match self {
            SweepChart::Scatter {
                title,
                footnote,
                panels,
                dots,
            } => {
                let body = frame(
                    root,
                    title,
                    if *dots {
                        "Each dot: one point of the design (mean of its replicates); line and band: median and 5-95% of the points in ten bins of the parameter, the others varying"
                    } else {
                        "Line and band: median and 5-95% of the points of the design (means of their replicates) in ten bins of the parameter, the others varying"
                    },
                    footnote,
                    s,
                )?;
                let cols = panels.len().clamp(1, 4);
                let rows = panels.len().div_ceil(cols);
                let areas = body.split_evenly((rows, cols));
                let ys: Vec<f64> = if *dots {
                    panels
                        .iter()
                        .flat_map(|p| p.points.iter().map(|q| q.1))
                        .filter(|y| y.is_finite())
                        .collect()
                } else {
                    panels
                        .iter()
                        .flat_map(|p| p.band.iter().flat_map(|b| [b.1, b.3]))
                        .filter(|y| y.is_finite())
                        .collect()
                };
                let (ylo, yhi) = ys
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
                        (a.min(y), b.max(y))
                    });
                let (ylo, yhi) = if ylo.is_finite() && yhi > ylo {
                    let pad = (yhi - ylo) * 0.05;
                    (ylo - pad, yhi + pad)
                } else if ylo.is_finite() {
                    (ylo - 1.0, ylo + 1.0)
                } else {
                    (0.0, 1.0)
                };
                for (panel, area) in panels.iter().zip(areas.iter()) {
                    let xs = panel.points.iter().map(|p| p.0);
                    let (xlo, xhi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                        (a.min(x), b.max(x))
                    });
                    let (xlo, xhi) = if xhi > xlo {
                        (xlo, xhi)
                    } else {
                        (xlo - 1.0, xlo + 1.0)
                    };
                    let pos = |x: f64| if panel.log_x { x.log10() } else { x };
                    let mut chart = ChartBuilder::on(area)
                        .margin((6.0 * s) as i32)
                        .caption(&panel.label, text_style(11.0 * s, INK))
                        .x_label_area_size((20.0 * s) as i32)
                        .y_label_area_size((44.0 * s) as i32)
                        .build_cartesian_2d(pos(xlo)..pos(xhi), ylo..yhi)
                        .map_err(draw_err)?;
                    let log = panel.log_x;
                    chart
                        .configure_mesh()
                        .light_line_style(TRANSPARENT)
                        .bold_line_style(GRID)
                        .x_labels(4)
                        .y_labels(4)
                        .x_label_formatter(&|x: &f64| human(if log { 10f64.powf(*x) } else { *x }))
                        .y_label_formatter(&|y: &f64| human(*y))
                        .label_style(text_style(9.5 * s, MUTED))
                        .axis_style(GRID)
                        .draw()
                        .map_err(draw_err)?;
                    let color = PALETTE[0];
                    if panel.band.len() > 1 {
                        let mut poly: Vec<(f64, f64)> =
                            panel.band.iter().map(|b| (pos(b.0), b.3)).collect();
                        poly.extend(panel.band.iter().rev().map(|b| (pos(b.0), b.1)));
                        chart
                            .draw_series(std::iter::once(Polygon::new(
                                poly,
                                PALETTE[1].mix(0.22).filled(),
                            )))
                            .map_err(draw_err)?;
                    }
                    if *dots {
                        chart
                            .draw_series(panel.points.iter().filter(|p| p.1.is_finite()).map(|p| {
                                Circle::new(
                                    (pos(p.0), p.1),
                                    (1.8 * s) as i32,
                                    color.mix(0.45).filled(),
                                )
                            }))
                            .map_err(draw_err)?;
                    }
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            panel
                                .band
                                .iter()
                                .map(|b| (pos(b.0), b.2))
                                .collect::<Vec<_>>(),
                            PALETTE[1].stroke_width((2.0 * s) as u32),
                        )))
                        .map_err(draw_err)?;
                }
                Ok(())
            }
            SweepChart::Heat {
                title,
                footnote,
                x_label,
                y_label,
                x_edges,
                y_edges,
                cells,
            } => {
                let body = frame(
                    root,
                    title,
                    "Mean of the outcome over the points in each cell (blank: no point); the other parameters vary as the design varies them",
                    footnote,
                    s,
                )?;
                let (nx, ny) = (x_edges.len() - 1, y_edges.len() - 1);
                let values: Vec<f64> = cells.iter().flatten().filter_map(|c| *c).collect();
                let (lo, hi) = values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                let (main, legend) =
                    body.split_horizontally(body.dim_in_pixel().0 as i32 - (90.0 * s) as i32);
                let mut chart = ChartBuilder::on(&main)
                    .margin((10.0 * s) as i32)
                    .x_label_area_size((36.0 * s) as i32)
                    .y_label_area_size((56.0 * s) as i32)
                    .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
                    .map_err(draw_err)?;
                let xe = x_edges.clone();
                let ye = y_edges.clone();
                chart
                    .configure_mesh()
                    .disable_mesh()
                    .x_labels(nx.min(5) + 1)
                    .y_labels(ny.min(5) + 1)
                    .x_label_formatter(&|x: &f64| {
                        let i = (x.round() as usize).min(nx);
                        super::figure::significant(xe[i])
                    })
                    .y_label_formatter(&|y: &f64| {
                        let i = (y.round() as usize).min(ny);
                        super::figure::significant(ye[i])
                    })
                    .x_desc(x_label.as_str())
                    .y_desc(y_label.as_str())
                    .label_style(text_style(10.0 * s, MUTED))
                    .axis_desc_style(text_style(11.0 * s, MUTED))
                    .draw()
                    .map_err(draw_err)?;
                let low = RGBColor(247, 251, 255);
                let high = PALETTE[0];
                let shade = |v: f64| {
                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                    blend(low, high, t)
                };
                for (j, row) in cells.iter().enumerate() {
                    for (i, c) in row.iter().enumerate() {
                        if let Some(v) = c {
                            chart
                                .draw_series(std::iter::once(Rectangle::new(
                                    [(i as f64, j as f64), (i as f64 + 1.0, j as f64 + 1.0)],
                                    shade(*v).filled(),
                                )))
                                .map_err(draw_err)?;
                        }
                    }
                }
                // Colour key: the range of the cells' means.
                let mut key = ChartBuilder::on(&legend)
                    .margin((10.0 * s) as i32)
                    .margin_left((4.0 * s) as i32)
                    .y_label_area_size((48.0 * s) as i32)
                    .build_cartesian_2d(0.0..1.0, lo.min(hi)..hi.max(lo + 1e-12))
                    .map_err(draw_err)?;
                key.configure_mesh()
                    .disable_mesh()
                    .disable_x_axis()
                    .y_labels(5)
                    .y_label_formatter(&|y: &f64| human(*y))
                    .label_style(text_style(9.5 * s, MUTED))
                    .draw()
                    .map_err(draw_err)?;
                let steps = 50;
                key.draw_series((0..steps).map(|k| {
                    let a = lo + (hi - lo) * k as f64 / steps as f64;
                    let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
                    Rectangle::new([(0.0, a), (1.0, b)], shade((a + b) / 2.0).filled())
                }))
                .map_err(draw_err)?;
                Ok(())
            }
            SweepChart::Indices {
                title,
                subtitle,
                footnote,
                rows,
            } => {
                let body = frame(root, title, subtitle, footnote, s)?;
                let n = rows.len().max(1);
                let bars = rows.first().map_or(1, |r| r.1.len()).max(1);
                // Every estimate and interval end, to fit the axis around them and 0.
                let ends = || {
                    rows.iter().flat_map(|r| r.1.iter()).flat_map(|b| {
                        let (lo, hi) = b.interval.unwrap_or((b.estimate, b.estimate));
                        [b.estimate, lo, hi]
                    })
                };
                let top = ends()
                    .filter(|v| v.is_finite())
                    .fold(0.0f64, f64::max)
                    .max(1e-12);
                let bottom = ends().filter(|v| v.is_finite()).fold(0.0f64, f64::min);
                let label_width = rows
                    .iter()
                    .map(|r| r.0.chars().count())
                    .max()
                    .unwrap_or(10)
                    .clamp(10, 60) as f64;
                let mut chart = ChartBuilder::on(&body)
                    .margin((10.0 * s) as i32)
                    .x_label_area_size((30.0 * s) as i32)
                    .y_label_area_size((label_width * 6.2 * s) as i32)
                    .build_cartesian_2d(bottom * 1.05..top * 1.05, -0.5..(n as f64 - 0.5))
                    .map_err(draw_err)?;
                chart
                    .configure_mesh()
                    .disable_y_mesh()
                    .light_line_style(TRANSPARENT)
                    .bold_line_style(GRID)
                    .x_labels(6)
                    .y_labels(n)
                    .x_label_formatter(&|x: &f64| {
                        if top >= 1000.0 {
                            human(*x)
                        } else {
                            super::figure::significant(*x)
                        }
                    })
                    .y_label_formatter(&|y: &f64| {
                        let i = y.round();
                        if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < rows.len() {
                            rows[rows.len() - 1 - i as usize].0.clone()
                        } else {
                            String::new()
                        }
                    })
                    .label_style(text_style(10.5 * s, INK))
                    .draw()
                    .map_err(draw_err)?;
                let h = 0.8 / bars as f64;
                for (i, (_, bs)) in rows.iter().enumerate() {
                    let y = (rows.len() - 1 - i) as f64;
                    for (k, b) in bs.iter().enumerate() {
                        let y0 = y + 0.4 - (k as f64 + 1.0) * h;
                        let color = PALETTE[k % PALETTE.len()];
                        chart
                            .draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y0 + 0.1 * h), (b.estimate, y0 + 0.9 * h)],
                                color.mix(0.75).filled(),
                            )))
                            .map_err(draw_err)?;
                        if let Some((lo, hi)) = b.interval {
                            let ym = y0 + 0.5 * h;
                            chart
                                .draw_series(std::iter::once(PathElement::new(
                                    vec![(lo, ym), (hi, ym)],
                                    INK.stroke_width((1.5 * s).max(1.0) as u32),
                                )))
                                .map_err(draw_err)?;
                        }
                    }
                }
                // Key of the bars.
                if let Some((_, bs)) = rows.first() {
                    chart
                        .draw_series(bs.iter().enumerate().map(|(k, b)| {
                            let color = PALETTE[k % PALETTE.len()];
                            EmptyElement::at((top * 0.8, -0.45 + 0.3 * (bs.len() - k) as f64))
                                + Rectangle::new(
                                    [
                                        (0, -(5.0 * s) as i32),
                                        ((10.0 * s) as i32, (5.0 * s) as i32),
                                    ],
                                    color.mix(0.75).filled(),
                                )
                                + Text::new(
                                    b.label,
                                    ((14.0 * s) as i32, -(6.0 * s) as i32),
                                    text_style(10.5 * s, INK),
                                )
                        }))
                        .map_err(draw_err)?;
                }
                Ok(())
            }
        }
    }
}

/// The footnote of a sweep's charts.
fn footnote(m: &Manifest) -> String {
    format!(
        "exodus {} · {} · {} design, {} points x {} replicate(s), {} agents",
        crate::VERSION,
        m.scenario,
        m.design.name(),
        m.points,
        m.replicates,
        m.agents
    )
}

/// Bins of one parameter's range (log-spaced for a log-uniform one).
fn edges(lo: f64, hi: f64, log: bool, bins: usize) -> Vec<f64> {
    (0..=bins)
        .map(|i| {
            let t = i as f64 / bins as f64;
            if log {
                lo * (hi / lo).powf(t)
            } else {
                lo + t * (hi - lo)
            }
        })
        .collect()
}

fn bin_of(e: &[f64], v: f64) -> Option<usize> {
    if !v.is_finite() || v < e[0] || v > e[e.len() - 1] {
        return None;
    }
    Some(
        e.partition_point(|&b| b <= v)
            .saturating_sub(1)
            .min(e.len() - 2),
    )
}

/// Draws the charts of the sweep in `dir` into `out`: an outcome-against-parameters chart and,
/// with two or more parameters, a heat map, per outcome.
pub fn plot_sweep(dir: &Path, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut files = Vec::new();
    for (name, fig, opts) in sweep_figures(dir, true, true)? {
        files.extend(write_figure(&fig, out, &name, &opts)?);
    }
    Ok(files)
}

/// A chart with its file name (without extension) and its size.
pub type NamedFigure = (String, Figure, PlotOptions);

/// The charts of the sweep in `dir`: per outcome, the outcome against each parameter (every
/// point drawn if `dots`) and, if `heat` and the sweep has two or more parameters, a heat map.
pub fn sweep_figures(dir: &Path, dots: bool, heat: bool) -> Result<Vec<NamedFigure>, PlotError> {
    let unreadable = |e: ReadError| PlotError::Format(e.path, e.message);
    let m = Manifest::read(dir).map_err(unreadable)?;
    let pts = PointTable::read(dir, &m).map_err(unreadable)?;
    let paths = m.parameter_paths();
    let logs: Vec<bool> = m
        .parameters
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p.get("distribution").and_then(|v| v.as_str()) == Some("log-uniform"))
                .collect()
        })
        .unwrap_or_else(|| vec![false; paths.len()]);
    let footnote = footnote(&m);
    let opts = PlotOptions::default();
    let mut figures = Vec::new();
    let range = |j: usize| {
        pts.x
            .iter()
            .map(|x| x[j])
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            })
    };
    let fnames = file_names(&m.outcomes);
    for (o, label) in m.outcomes.iter().enumerate() {
        let y = &pts.mean[o];
        if !y.iter().any(|v| v.is_finite()) {
            continue;
        }
        let panels: Vec<Panel> = paths
            .iter()
            .enumerate()
            .map(|(j, path)| {
                let (lo, hi) = range(j);
                let log = logs[j] && lo > 0.0;
                let e = edges(lo, hi.max(lo), log, 10);
                let mut bins: Vec<Vec<f64>> = vec![Vec::new(); 10];
                let points: Vec<(f64, f64)> =
                    pts.x.iter().zip(y).map(|(x, &v)| (x[j], v)).collect();
                for &(xv, v) in &points {
                    if let (Some(b), true) = (bin_of(&e, xv), v.is_finite()) {
                        bins[b].push(v);
                    }
                }
                let band = bins
                    .iter_mut()
                    .enumerate()
                    .filter(|(_, b)| !b.is_empty())
                    .map(|(b, vals)| {
                        vals.sort_by(f64::total_cmp);
                        let c = if log {
                            (e[b] * e[b + 1]).sqrt()
                        } else {
                            (e[b] + e[b + 1]) / 2.0
                        };
                        (
                            c,
                            quantile(vals, 0.05),
                            quantile(vals, 0.5),
                            quantile(vals, 0.95),
                        )
                    })
                    .collect();
                Panel {
                    label: short(path),
                    points,
                    band,
                    log_x: log,
                }
            })
            .collect();
        let mut tall = opts.clone();
        tall.height = (220 + 200 * paths.len().div_ceil(4) as u32).clamp(420, 2400);
        let fig = Figure::Sweep(SweepChart::Scatter {
            title: format!("{label} across the sweep"),
            footnote: footnote.clone(),
            panels,
            dots,
        });
        figures.push((format!("sweep-{}", fnames[o]), fig, tall));
        if heat && paths.len() >= 2 {
            let (ax, ay) = (range(0), range(1));
            let (lx, ly) = (logs[0] && ax.0 > 0.0, logs[1] && ay.0 > 0.0);
            let (ex, ey) = (edges(ax.0, ax.1, lx, 10), edges(ay.0, ay.1, ly, 10));
            let mut sums = vec![vec![(0.0, 0u32); 10]; 10];
            for (x, &v) in pts.x.iter().zip(y) {
                if let (Some(i), Some(j), true) =
                    (bin_of(&ex, x[0]), bin_of(&ey, x[1]), v.is_finite())
                {
                    sums[j][i].0 += v;
                    sums[j][i].1 += 1;
                }
            }
            let cells = sums
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|&(s, n)| (n > 0).then(|| s / f64::from(n)))
                        .collect()
                })
                .collect();
            let fig = Figure::Sweep(SweepChart::Heat {
                title: format!(
                    "{label}: mean over {} and {}",
                    short(&paths[0]),
                    short(&paths[1])
                ),
                footnote: footnote.clone(),
                x_label: paths[0].clone(),
                y_label: paths[1].clone(),
                x_edges: ex,
                y_edges: ey,
                cells,
            });
            figures.push((format!("heat-{}", fnames[o]), fig, opts.clone()));
        }
    }
    Ok(figures)
}

/// Draws one index chart per outcome of a sensitivity analysis into `out`.
pub fn plot_sensitivity(a: &Analysis, out: &Path, level: f64) -> Result<Vec<PathBuf>, PlotError> {
    let mut files = Vec::new();
    for (name, fig, opts) in sensitivity_figures(a, level) {
        files.extend(write_figure(&fig, out, &name, &opts)?);
    }
    Ok(files)
}

/// One index chart per outcome of a sensitivity analysis (none for an outcome without indices).
pub fn sensitivity_figures(a: &Analysis, level: f64) -> Vec<NamedFigure> {
    let m = &a.manifest;
    let footnote = format!(
        "{} · {:.0}% bootstrap intervals",
        footnote(m),
        level * 100.0
    );
    let mut figures = Vec::new();
    let names: Vec<&str> = a.outcomes.iter().map(|o| o.outcome.as_str()).collect();
    let fnames = file_names(&names);
    for (o, fname) in a.outcomes.iter().zip(&fnames) {
        if o.indices.is_err() {
            continue;
        }
        let rows: Vec<IndexRow> = o
            .ranked(&a.parameters)
            .into_iter()
            .map(|(p, bars)| (p.to_string(), bars.to_vec()))
            .collect();
        let subtitle = if m.design == crate::sweep::Kind::Saltelli {
            "Sobol' indices: share of the outcome's variance due to each parameter with its interactions (total) and alone (first order)"
        } else {
            "Morris screening, per whole range of each parameter: mean absolute elementary effect (mu*, importance), signed mean (mu) and spread (sigma: interactions, non-linearity)"
        };
        let opts = PlotOptions {
            height: (200 + 36 * rows.len() as u32).clamp(400, 2000),
            ..PlotOptions::default()
        };
        let subtitle = match o.noise {
            Some((one, _)) => format!(
                "{subtitle}; seed noise {:.0}% of one run's variance",
                100.0 * one
            ),
            None => subtitle.to_string(),
        };
        let fig = Figure::Sweep(SweepChart::Indices {
            title: format!("Sensitivity of {}", o.outcome),
            subtitle,
            footnote: footnote.clone(),
            rows,
        });
        figures.push((format!("sensitivity-{fname}"), fig, opts));
    }
    figures
}
