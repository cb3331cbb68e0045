//! Charts for reports, drawn with plotters from saved results only (`results`), never from a
//! live model, so old runs can be redrawn and restyled.
//!
//! `style` holds the look (bundled font, colours, dashes, number formats), `figure` the chart
//! types, `charts` which data goes into which chart of a run, `compare` and `bench` the charts
//! of a comparison and of a benchmark table. This module renders a figure to SVG or PNG (PNG at
//! a pixel density `scale`, 2 by default, for print and high-density screens) and writes the
//! files atomically.

pub mod bench;
pub mod calibrate;
pub mod charts;
pub mod compare;
pub mod figure;
pub mod results;
pub mod style;
pub mod sweep;

use std::path::{Path, PathBuf};

use plotters::prelude::*;

pub use charts::{ChartKind, Figure};
pub use results::RunResults;

use crate::output::{OutputError, atomic};

/// Everything that can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {}", .0.display(), .1)]
    Format(PathBuf, String),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot encode PNG {}: {message}", path.display())]
    Png { path: PathBuf, message: String },
    /// An option that does not fit the results (a platform they do not have, charts a
    /// folder of its kind does not draw): bad usage.
    #[error("{0}")]
    Choice(String),
}

impl PlotError {
    fn read(path: &Path, source: std::io::Error) -> PlotError {
        PlotError::Read {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Image formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

/// How charts are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Width in CSS pixels (the SVG size; PNGs are `scale` times larger).
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// PNG pixel density: 2 gives 2400 x 1350 pixels for a 1200 x 675 chart.
    pub scale: f64,
    pub formats: Vec<Format>,
    /// The charts of a run to draw.
    pub charts: Vec<ChartKind>,
    /// The charts of a comparison to draw.
    pub compare_charts: Vec<CompareChart>,
    /// A log y axis on the charts of counts that never go below zero.
    pub log: bool,
    /// Only these platforms (names as in the results), in this order; `None`: all.
    pub platforms: Option<Vec<String>>,
}

/// The charts of a comparison: the scenarios overlaid, and their differences from the
/// baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareChart {
    Compare,
    Difference,
}

/// The indices, in `all`, of the platforms `wanted` names (every platform if `None`), in the
/// order asked for; an unknown name is a `Choice` error naming the allowed ones.
pub fn pick_platforms(all: &[String], wanted: Option<&[String]>) -> Result<Vec<usize>, PlotError> {
    let Some(wanted) = wanted else {
        return Ok((0..all.len()).collect());
    };
    let mut picked = Vec::new();
    for name in wanted {
        let at = all
            .iter()
            .position(|p| p == name)
            .or_else(|| all.iter().position(|p| p.eq_ignore_ascii_case(name)));
        match at {
            Some(i) if !picked.contains(&i) => picked.push(i),
            Some(_) => {}
            None => {
                return Err(PlotError::Choice(format!(
                    "--platforms: `{name}` is not a platform of these results{}; allowed: {}",
                    crate::scenario::diagnose::did_you_mean(name, all.iter().map(String::as_str)),
                    all.join(", ")
                )));
            }
        }
    }
    Ok(picked)
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            width: 1200,
            height: 675,
            scale: 2.0,
            formats: vec![Format::Svg, Format::Png],
            charts: ChartKind::ALL.to_vec(),
            compare_charts: vec![CompareChart::Compare, CompareChart::Difference],
            log: false,
            platforms: None,
        }
    }
}

/// Allowed chart sizes in CSS pixels (each side).
pub const SIZE: std::ops::RangeInclusive<u32> = 200..=8000;
/// Allowed PNG pixel densities.
pub const SCALE: std::ops::RangeInclusive<f64> = 0.5..=4.0;

impl Figure {
    /// Draws the figure on any plotters backend at density `s`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        s: f64,
    ) -> Result<(), PlotError> {
        match self {
            Figure::Time(c) => c.draw(root, s),
            Figure::Matrix(c) => c.draw(root, s),
            Figure::Multiples(c) => c.draw(root, s),
            Figure::Xy(c) => c.draw(root, s),
            Figure::Calibration(c) => c.draw(root, s),
            Figure::Sweep(c) => c.draw(root, s),
        }
    }

    /// The figure's title and subtitle, as drawn (for a caption beside it).
    pub fn caption(&self) -> (String, String) {
        match self {
            Figure::Time(c) => (c.title.clone(), c.subtitle.clone()),
            Figure::Matrix(c) => (c.title.clone(), c.subtitle.clone()),
            Figure::Multiples(c) => (c.title.clone(), c.subtitle.clone()),
            Figure::Xy(c) => (c.title.clone(), c.subtitle.clone()),
            Figure::Calibration(_) | Figure::Sweep(_) => (String::new(), String::new()),
        }
    }

    /// The figure as an SVG document of `width` x `height` CSS pixels.
    pub fn to_svg(&self, width: u32, height: u32) -> Result<String, PlotError> {
        style::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            self.draw(&root, 1.0)?;
            root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
        }
        Ok(svg)
    }

    /// The figure as PNG bytes, `scale` times the CSS size in pixels.
    pub fn to_png(
        &self,
        width: u32,
        height: u32,
        scale: f64,
        path: &Path,
    ) -> Result<Vec<u8>, PlotError> {
        style::register_fonts();
        let (w, h) = (
            (f64::from(width) * scale).round() as u32,
            (f64::from(height) * scale).round() as u32,
        );
        let mut pixels = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            self.draw(&root, scale)?;
            root.present().map_err(|e| PlotError::Draw(e.to_string()))?;
        }
        let png_error = |e: png::EncodingError| PlotError::Png {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut bytes, w, h);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            // Physical size: 96 CSS pixels per inch times the density, so a 2x chart prints at
            // its intended size.
            let per_metre = (96.0 * scale / 0.0254).round() as u32;
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: per_metre,
                yppu: per_metre,
                unit: png::Unit::Meter,
            }));
            let mut writer = encoder.write_header().map_err(png_error)?;
            writer.write_image_data(&pixels).map_err(png_error)?;
        }
        Ok(bytes)
    }
}

/// Writes `figure` as `out_dir/name.svg` and/or `.png` (as `opts.formats` asks, at its size
/// and scale), atomically; returns the files written.
fn write_figure(
    figure: &Figure,
    out_dir: &Path,
    name: &str,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for &format in &opts.formats {
        let path = out_dir.join(format!("{name}.{}", format.extension()));
        let bytes = match format {
            Format::Svg => figure.to_svg(opts.width, opts.height)?.into_bytes(),
            Format::Png => figure.to_png(opts.width, opts.height, opts.scale, &path)?,
        };
        written.push(atomic::write(&path, &bytes)?);
    }
    Ok(written)
}

/// Draws the charts of the results in `results_dir` into `out_dir`; returns the files written.
pub fn plot_results(
    results_dir: &Path,
    out_dir: &Path,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let all = RunResults::load(results_dir)?;
    let keep = pick_platforms(&all.platforms, opts.platforms.as_deref())?;
    let results = if opts.platforms.is_some() {
        all.only(&keep)
    } else {
        all
    };
    crate::output::create_dir(out_dir)?;
    let mut written = Vec::new();
    for &kind in opts.charts.iter().filter(|k| k.available(&results)) {
        let figure = charts::build_with(kind, &results, opts.log);
        written.extend(write_figure(&figure, out_dir, kind.name(), opts)?);
    }
    Ok(written)
}
