//! Drawing: the chart types exodus makes, generic over the plotters backend (SVG or bitmap) and
//! scaled by a pixel density factor `s` (1 for SVG, 2 for high-resolution PNG).
//!
//! Every figure has the same frame: a bold title (the scenario), a subtitle saying what is
//! shown, the plot, a legend panel to the right of the plot (so it never hides data) that also
//! keys the numbered event markers, and a footnote with the exodus version and seed.
//!
//! - `TimeChart`: curves over calendar dates, with optional uncertainty bands (shaded interval
//!   around a median line) and any number of series, so scenarios can be overlaid; or a stacked
//!   area of shares.
//! - `FlowMatrix`: a heat map of who moved from which platform to which.
//! - `SmallMultiples`: one small panel per platform.
//! - `XyChart`: lines with markers over a numeric x axis, either axis linear or logarithmic
//!   (benchmark tables: throughput, speedup, memory and time against population size).

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::{DynElement, IntoDynElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::results::EventMark;
use super::style::{Dash, FONT, Marker, date_label, date_ticks, human, nice_ticks};

/// One curve.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub dash: Dash,
    pub marker: Marker,
    /// One value per day (the median, when there is a band).
    pub values: Vec<f64>,
    /// Lower and upper edge of an uncertainty band, one value per day each.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// How the y axis is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    /// Counts of people: 3.4 M.
    People,
    /// Percentages: 40%.
    Percent,
    /// Ranks on a reversed logarithmic axis: values are log10(rank), written #1, #10, #100.
    Rank,
}

/// Curves (or stacked areas) over calendar dates.
#[derive(Debug, Clone)]
pub struct TimeChart {
    pub title: String,
    pub subtitle: String,
    pub y_label: String,
    pub start: NaiveDate,
    pub days: usize,
    pub series: Vec<Series>,
    pub events: Vec<EventMark>,
    pub y_format: YFormat,
    /// Draw series as stacked areas (their values are stacked bottom-up in order).
    pub stacked: bool,
    pub footnote: String,
    /// A log scale on the y axis, when asked for and the chart allows it (counts of people,
    /// not stacked, never negative; see `log_floor`).
    pub y_log: bool,
    /// A second panel under the chart, with its own scale, captioned by its title (the share
    /// chart's other platforms when one platform holds nearly everyone).
    pub detail: Option<Box<TimeChart>>,
}

/// A heat map of totals moved from row platform to column platform.
#[derive(Debug, Clone)]
pub struct FlowMatrix {
    pub title: String,
    pub subtitle: String,
    pub names: Vec<String>,
    pub colors: Vec<RGBColor>,
    /// People moved from -> to at `from * K + to`.
    pub totals: Vec<f64>,
    pub footnote: String,
}

/// One panel per series, each with its own y scale.
#[derive(Debug, Clone)]
pub struct SmallMultiples {
    pub title: String,
    pub subtitle: String,
    pub start: NaiveDate,
    pub days: usize,
    pub panels: Vec<Series>,
    pub events: Vec<EventMark>,
    pub footnote: String,
}

/// One line of an `XyChart`: points joined in order of x, each drawn with a marker (so a
/// series of one point still shows).
#[derive(Debug, Clone)]
pub struct XySeries {
    pub label: String,
    pub color: RGBColor,
    pub dash: Dash,
    /// None draws the line alone: for reference lines (ideal speedup), not for data.
    pub marker: Option<Marker>,
    /// (x, y) in any order; points that cannot be drawn (not finite, or <= 0 on a log axis)
    /// are left out.
    pub points: Vec<(f64, f64)>,
}

/// How the numbers on an axis of an `XyChart` are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XyFormat {
    /// Counts: 950, 12 k, 3.4 M (`style::human`).
    #[default]
    Human,
    /// At most three significant digits, then the suffix: "0.05 s", "1.5×".
    Plain(&'static str),
}

impl XyFormat {
    /// `v` written in this format.
    pub fn format(self, v: f64) -> String {
        match self {
            XyFormat::Human => human(v),
            XyFormat::Plain(suffix) => format!("{}{suffix}", significant(v)),
        }
    }
}

/// `v` with at most three significant digits (whole numbers from 100 up), no trailing zeros:
/// 0.001, 0.0125, 1.5, 42.5, 1234.
pub(super) fn significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let digits = (2 - magnitude).clamp(0, 15) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Lines with markers over a numeric x axis; either axis linear (from 0, round ticks) or
/// logarithmic (ticks at powers of ten).
#[derive(Debug, Clone, Default)]
pub struct XyChart {
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    /// A log10 x axis (values <= 0 are not drawn).
    pub x_log: bool,
    /// A log10 y axis (values <= 0 are not drawn).
    pub y_log: bool,
    pub x_format: XyFormat,
    pub y_format: XyFormat,
    /// The x ticks to label (those inside the axis); None picks powers of ten on a log axis,
    /// round numbers on a linear one.
    pub x_ticks: Option<Vec<f64>>,
    pub series: Vec<XySeries>,
    pub footnote: String,
}

pub(super) type Area<DB> = DrawingArea<DB, Shift>;

/// A linear or logarithmic axis whose ticks (and grid lines) are exactly the values given:
/// month starts on a date axis, round numbers on a value axis, powers of ten on a log axis.
#[derive(Debug, Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    /// Positions are log10 of the values (`lo`, `hi` and every value drawn must be > 0).
    log: bool,
}

impl Axis {
    /// An axis from `lo` (bottom or left) to `hi`; `hi` < `lo` reverses it (ranks: 1 on top).
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        let hi = if hi != lo { hi } else { lo + 1.0 };
        Axis {
            lo,
            hi,
            ticks,
            log: false,
        }
    }

    /// A log10 axis from `lo` to `hi`, both > 0.
    fn log(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        let hi = if hi != lo { hi } else { lo * 10.0 };
        Axis {
            lo,
            hi,
            ticks,
            log: true,
        }
    }

    /// Where `v` sits along the axis before scaling: `v`, or log10(v) on a log axis (values
    /// <= 0 go to the far low end).
    fn position(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.position(self.lo), self.position(self.hi));
        let t = (self.position(*v) - lo) / (hi - lo);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo.min(self.hi)..self.lo.max(self.hi)
    }
}

pub(super) fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

pub(super) const INK: RGBColor = RGBColor(40, 40, 40);
pub(super) const MUTED: RGBColor = RGBColor(110, 110, 110);
pub(super) const GRID: RGBColor = RGBColor(228, 228, 228);
const EVENT: RGBColor = RGBColor(150, 150, 150);

pub(super) fn text_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, px).into_font().color(&color)
}

pub(super) fn bold(px: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, px, FontStyle::Bold).into_font().color(&color)
}

/// Width in pixels of `text` in `style`, measured with the bundled font.
fn text_width<DB: DrawingBackend>(area: &Area<DB>, text: &str, style: &TextStyle) -> f64 {
    area.estimate_text_size(text, style)
        .map_or(text.len() as f64 * 7.0, |(w, _)| f64::from(w))
}

/// Splits `text` into lines no wider than `width` pixels.
fn wrap<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
    style: &TextStyle,
    width: f64,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_width(area, &candidate, style) > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws the frame (background, title, subtitle, footnote) and returns the body area.
pub(super) fn frame<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    subtitle: &str,
    footnote: &str,
    s: f64,
) -> Result<Area<DB>, PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, h) = root.dim_in_pixel();
    let pad = (16.0 * s) as i32;
    root.draw(&Text::new(
        title.to_string(),
        (pad, pad),
        bold(20.0 * s, INK),
    ))
    .map_err(draw_err)?;
    let sub_y = pad + (28.0 * s) as i32;
    root.draw(&Text::new(
        subtitle.to_string(),
        (pad, sub_y),
        text_style(13.0 * s, MUTED),
    ))
    .map_err(draw_err)?;
    let foot_y = h as i32 - (20.0 * s) as i32;
    root.draw(&Text::new(
        footnote.to_string(),
        (pad, foot_y),
        text_style(10.5 * s, MUTED),
    ))
    .map_err(draw_err)?;
    let top = sub_y + (26.0 * s) as i32;
    let bottom = (26.0 * s) as i32;
    let _ = w;
    Ok(root.margin(top, bottom, pad, pad / 2))
}

/// One legend entry.
struct LegendItem<'a> {
    label: &'a str,
    color: RGBColor,
    dash: Dash,
    /// None for a line without markers.
    marker: Option<Marker>,
    filled: bool,
}

/// Groups events by date (same-date events share one number) within the chart's days.
fn event_groups(events: &[EventMark], start: NaiveDate, days: usize) -> Vec<(usize, Vec<String>)> {
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    let mut sorted: Vec<&EventMark> = events.iter().collect();
    sorted.sort_by_key(|e| e.date);
    for e in sorted {
        let day = (e.date - start).num_days();
        if day < 0 || day as usize >= days {
            continue;
        }
        let day = day as usize;
        match groups.last_mut() {
            Some((d, labels)) if *d == day => {
                if !labels.contains(&e.label) {
                    labels.push(e.label.clone());
                }
            }
            _ => groups.push((day, vec![e.label.clone()])),
        }
    }
    groups
}

/// Nice ticks from `lo` to `hi`, at least four of them (a narrow or lopsided range, like a
/// difference from a baseline, can leave two with the usual five steps).
pub fn enough_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut target = 5;
    let mut ticks = nice_ticks(lo, hi, target);
    while ticks.len() < 4 && target < 20 {
        target += 2;
        ticks = nice_ticks(lo, hi, target);
    }
    ticks
}

/// The row of each group's badge above a plot `width` pixels wide over `days` days: a badge
/// (radius `r`) that would touch the one before it in a row goes up a row.
fn badge_rows(groups: &[(usize, Vec<String>)], days: usize, width: f64, r: i32) -> Vec<usize> {
    let last = (days.max(2) - 1) as f64;
    let mut row_end: Vec<i32> = Vec::new();
    groups
        .iter()
        .map(|(day, _)| {
            let px = (*day as f64 / last * width).round() as i32;
            let row = row_end
                .iter()
                .position(|&end| px - end >= 2 * r + 2)
                .unwrap_or(row_end.len());
            if row == row_end.len() {
                row_end.push(px);
            } else {
                row_end[row] = px;
            }
            row
        })
        .collect()
}

/// The event key's text of each group of events: "Jan 19 · TikTok goes dark".
fn event_keys(events: &[(usize, Vec<String>)], start: NaiveDate) -> Vec<String> {
    events
        .iter()
        .map(|(day, labels)| {
            let date = start + chrono::Days::new(*day as u64);
            format!("{} · {}", date.format("%b %-d"), labels.join("; "))
        })
        .collect()
}

/// Draws a legend in `area` (pixel coordinates), then the key of numbered events (`events`,
/// from `event_keys`; none on charts without events).
fn legend<DB: DrawingBackend>(
    area: &Area<DB>,
    items: &[LegendItem],
    events: &[String],
    s: f64,
) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let label_style = text_style(12.5 * s, INK);
    let x0 = (8.0 * s) as i32;
    let mut y = (12.0 * s) as i32;
    let line_h = (20.0 * s) as i32;
    let sample = (30.0 * s) as i32;
    for item in items {
        let (cx, cy) = (x0 + sample / 2, y);
        if item.filled {
            let half = (6.0 * s) as i32;
            area.draw(&Rectangle::new(
                [(x0 + 4, cy - half), (x0 + sample - 4, cy + half)],
                item.color.filled(),
            ))
            .map_err(draw_err)?;
        } else {
            let style = item.color.stroke_width((2.0 * s).round() as u32);
            for (a, b) in dash_segments(x0, x0 + sample, item.dash, s) {
                area.draw(&PathElement::new(vec![(a, cy), (b, cy)], style))
                    .map_err(draw_err)?;
            }
            if let Some(marker) = item.marker {
                area.draw(&marker_element::<DB>(marker, (cx, cy), 4.0 * s, item.color))
                    .map_err(draw_err)?;
            }
        }
        let label_x = x0 + sample + (8.0 * s) as i32;
        let width = f64::from(w) - f64::from(label_x) - 4.0 * s;
        for (i, line) in wrap(area, item.label, &label_style, width)
            .iter()
            .enumerate()
        {
            let pos = Pos::new(HPos::Left, VPos::Center);
            area.draw(&Text::new(
                line.clone(),
                (label_x, y + i as i32 * (line_h - 4)),
                label_style.pos(pos),
            ))
            .map_err(draw_err)?;
            if i > 0 {
                y += line_h - 4;
            }
        }
        y += line_h;
    }
    if events.is_empty() {
        return Ok(());
    }
    y += (8.0 * s) as i32;
    area.draw(&Text::new(
        "Events".to_string(),
        (x0, y),
        bold(12.5 * s, INK).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(draw_err)?;
    y += line_h;
    let key_style = text_style(11.0 * s, INK);
    let small_h = (15.0 * s) as i32;
    let text_x = x0 + (24.0 * s) as i32;
    let width = f64::from(w) - f64::from(text_x) - 4.0 * s;
    // The last line's centre must stay inside the panel; keys that do not fit are counted in
    // a last line, "+N more", never dropped silently.
    let limit = h as i32 - small_h / 2 - (2.0 * s) as i32;
    for (n, text) in events.iter().enumerate() {
        let lines = wrap(area, text, &key_style, width);
        let left = events.len() - n;
        let bottom = y + (lines.len() as i32 - 1) * small_h;
        let room_for_more = if left > 1 {
            small_h + (4.0 * s) as i32
        } else {
            0
        };
        if bottom + room_for_more > limit {
            area.draw(&Text::new(
                if left == 1 {
                    format!("+1 more (no. {})", n + 1)
                } else {
                    format!("+{left} more (nos. {}–{})", n + 1, events.len())
                },
                (x0, y),
                key_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
            break;
        }
        badge(area, n + 1, (x0 + (8.0 * s) as i32, y), s)?;
        for line in lines {
            area.draw(&Text::new(
                line,
                (text_x, y),
                key_style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
            y += small_h;
        }
        y += (4.0 * s) as i32;
    }
    Ok(())
}

/// A numbered event badge centred at `at`.
fn badge<DB: DrawingBackend>(
    area: &Area<DB>,
    n: usize,
    at: (i32, i32),
    s: f64,
) -> Result<(), PlotError> {
    let r = (8.0 * s) as i32;
    area.draw(&Circle::new(at, r, RGBColor(90, 90, 90).filled()))
        .map_err(draw_err)?;
    let style = bold(10.0 * s, WHITE).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(n.to_string(), at, style))
        .map_err(draw_err)
}

/// Pixel segments [a, b) that draw a dashed line from x0 to x1.
fn dash_segments(x0: i32, x1: i32, dash: Dash, s: f64) -> Vec<(i32, i32)> {
    match dash.pattern() {
        None => vec![(x0, x1)],
        Some((on, off)) => {
            let (on, off) = ((on * s).max(1.0) as i32, (off * s).max(1.0) as i32);
            let mut v = Vec::new();
            let mut x = x0;
            while x < x1 {
                v.push((x, (x + on).min(x1)));
                x += on + off;
            }
            v
        }
    }
}

/// Draws a line through `pts`, solid or with `dash`'s pattern (scaled by the density `s`).
fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: &[(f64, f64)],
    style: ShapeStyle,
    dash: Dash,
    s: f64,
) -> Result<(), PlotError> {
    let pts = pts.iter().copied();
    match dash.pattern() {
        None => chart.draw_series(LineSeries::new(pts, style)),
        Some((on, off)) => chart.draw_series(DashedLineSeries::new(
            pts,
            (on * s) as i32,
            (off * s) as i32,
            style,
        )),
    }
    .map(|_| ())
    .map_err(draw_err)
}

/// A marker shape centred at `at`, as a dynamic element (shapes differ in type).
fn marker_element<'a, DB: DrawingBackend + 'a>(
    marker: Marker,
    at: (i32, i32),
    r: f64,
    color: RGBColor,
) -> DynElement<'a, DB, (i32, i32)> {
    let ri = r.round().max(2.0) as i32;
    let fill = color.filled();
    match marker {
        Marker::Circle => (EmptyElement::at(at) + Circle::new((0, 0), ri, fill)).into_dyn(),
        Marker::Triangle => {
            let pts = vec![(0, -ri - 1), (ri + 1, ri), (-ri - 1, ri)];
            (EmptyElement::at(at) + Polygon::new(pts, fill)).into_dyn()
        }
        Marker::Square => {
            (EmptyElement::at(at) + Rectangle::new([(-ri, -ri), (ri, ri)], fill)).into_dyn()
        }
        Marker::Diamond => {
            let d = ri + 1;
            (EmptyElement::at(at) + Polygon::new(vec![(0, -d), (d, 0), (0, d), (-d, 0)], fill))
                .into_dyn()
        }
        Marker::Cross => {
            let st = color.stroke_width((r / 2.0).round().max(1.0) as u32);
            (EmptyElement::at(at)
                + PathElement::new(vec![(-ri, -ri), (ri, ri)], st)
                + PathElement::new(vec![(-ri, ri), (ri, -ri)], st))
            .into_dyn()
        }
    }
}

fn format_y(v: f64, f: YFormat) -> String {
    match f {
        YFormat::People => human(v),
        YFormat::Percent => format!("{}%", human(v)),
        YFormat::Rank => format!("#{:.0}", 10f64.powf(v)),
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// How the ticks of a mesh are written and what the axes are called.
struct MeshLabels<'a> {
    x: &'a dyn Fn(&f64) -> String,
    y: &'a dyn Fn(&f64) -> String,
    /// Axis titles (x, y), or None for none (small panels).
    desc: Option<(&'a str, &'a str)>,
    /// Vertical grid lines at the x ticks too (numeric x axes; date axes have none).
    x_grid: bool,
    /// Tick label size in pixels at scale 1.
    px: f64,
}

/// Draws the grid, axes and ticks of a chart.
fn draw_mesh<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    labels: &MeshLabels,
    s: f64,
) -> Result<(), PlotError> {
    let mut mesh = chart.configure_mesh();
    if !labels.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.x_labels(usize::MAX)
        .y_labels(usize::MAX)
        .bold_line_style(GRID.stroke_width(s.round() as u32))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(s.round() as u32))
        .x_label_formatter(labels.x)
        .y_label_formatter(labels.y)
        .label_style(text_style(labels.px * s, INK));
    if let Some((x_desc, y_desc)) = labels.desc {
        mesh.x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(text_style(12.5 * s, MUTED));
    }
    mesh.draw().map_err(draw_err)
}

/// Tick labels of a date axis starting at `start`.
fn date_formatter(start: NaiveDate, month_ticks: bool) -> impl Fn(&f64) -> String {
    move |x: &f64| date_label(start + chrono::Days::new(x.round() as u64), month_ticks)
}

/// Shades the band between `lower` and `upper` in a light tint of `color`.
fn draw_band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    (lower, upper): &(Vec<f64>, Vec<f64>),
    color: RGBColor,
) -> Result<(), PlotError> {
    let mut pts: Vec<(f64, f64)> = upper
        .iter()
        .enumerate()
        .map(|(d, &v)| (d as f64, v))
        .collect();
    pts.extend(lower.iter().enumerate().rev().map(|(d, &v)| (d as f64, v)));
    chart
        .draw_series(std::iter::once(Polygon::new(pts, color.mix(0.18).filled())))
        .map(|_| ())
        .map_err(draw_err)
}

/// Splits the body into plot and legend panel; the panel is wide enough for its labels.
fn split_legend<DB: DrawingBackend>(
    body: &Area<DB>,
    labels: &[&str],
    s: f64,
) -> (Area<DB>, Area<DB>) {
    let (w, _) = body.dim_in_pixel();
    let style = text_style(12.5 * s, INK);
    let widest = labels
        .iter()
        .map(|l| text_width(body, l, &style))
        .fold(0.0, f64::max);
    let want = widest + 60.0 * s;
    let panel = want.clamp(0.2 * f64::from(w), 0.3 * f64::from(w));
    body.split_horizontally(w as i32 - panel as i32)
}

impl TimeChart {
    /// The bottom of the log y axis, if the chart is drawn on one: asked for, counts of people,
    /// not stacked, no value below zero; a little under the smallest positive value, and at
    /// least one person.
    fn log_floor(&self) -> Option<f64> {
        if !self.y_log || self.stacked || self.y_format != YFormat::People {
            return None;
        }
        let values = || {
            self.series.iter().flat_map(|x| {
                x.values
                    .iter()
                    .chain(x.band.iter().flat_map(|(lo, hi)| lo.iter().chain(hi)))
            })
        };
        if values().any(|&v| v < 0.0) {
            return None;
        }
        let smallest = values()
            .copied()
            .filter(|&v| v > 0.0)
            .fold(f64::INFINITY, f64::min);
        Some(if smallest.is_finite() {
            (smallest / 1.5).max(1.0)
        } else {
            1.0
        })
    }

    /// Draws the chart on `root` at density `s`.
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: f64) -> Result<(), PlotError> {
        match self.log_floor() {
            // On a log axis, values under the floor (zeros) are drawn at the floor.
            Some(floor) => {
                let mut c = self.clone();
                let up = |v: &mut Vec<f64>| v.iter_mut().for_each(|x| *x = x.max(floor));
                for x in &mut c.series {
                    up(&mut x.values);
                    if let Some((lo, hi)) = &mut x.band {
                        up(lo);
                        up(hi);
                    }
                }
                c.draw_on(root, s, Some(floor))
            }
            None => self.draw_on(root, s, None),
        }
    }

    /// Draws the chart, on a log y axis from `log_floor` if given.
    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &Area<DB>,
        s: f64,
        log_floor: Option<f64>,
    ) -> Result<(), PlotError> {
        let body = frame(root, &self.title, &self.subtitle, &self.footnote, s)?;
        let labels: Vec<&str> = self.series.iter().map(|x| x.label.as_str()).collect();
        let (plot_area, legend_area) = split_legend(&body, &labels, s);
        let groups = event_groups(&self.events, self.start, self.days);
        match &self.detail {
            None => self.draw_plot(root, &plot_area, s, log_floor)?,
            Some(detail) => {
                // The chart above, the detail below with its own scale and a caption.
                let (_, h) = plot_area.dim_in_pixel();
                let (upper, lower) = plot_area.split_vertically((f64::from(h) * 0.58) as i32);
                self.draw_plot(root, &upper, s, log_floor)?;
                lower
                    .draw(&Text::new(
                        detail.title.clone(),
                        ((70.0 * s) as i32, (14.0 * s) as i32),
                        bold(12.0 * s, INK),
                    ))
                    .map_err(draw_err)?;
                let lower = lower.margin((14.0 * s) as i32, 0, 0, 0);
                detail.draw_plot(root, &lower, s, None)?;
            }
        }

        let items: Vec<LegendItem> = self
            .series
            .iter()
            .map(|x| LegendItem {
                label: &x.label,
                color: x.color,
                dash: x.dash,
                marker: Some(x.marker),
                filled: self.stacked,
            })
            .collect();
        let items: Vec<LegendItem> = if self.stacked {
            items.into_iter().rev().collect()
        } else {
            items
        };
        legend(&legend_area, &items, &event_keys(&groups, self.start), s)?;
        Ok(())
    }

    /// Draws the axes, series and event markers of the chart in `plot_area` (`root` is the
    /// whole figure, where event markers are drawn in pixels).
    fn draw_plot<DB: DrawingBackend>(
        &self,
        root: &Area<DB>,
        plot_area: &Area<DB>,
        s: f64,
        log_floor: Option<f64>,
    ) -> Result<(), PlotError> {
        let groups = event_groups(&self.events, self.start, self.days);
        // Values actually drawn (stacked: cumulative).
        let layers: Vec<Vec<f64>> = if self.stacked {
            let mut acc = vec![0.0; self.days];
            self.series
                .iter()
                .map(|x| {
                    for (a, v) in acc.iter_mut().zip(&x.values) {
                        *a += v;
                    }
                    acc.clone()
                })
                .collect()
        } else {
            self.series.iter().map(|x| x.values.clone()).collect()
        };
        let all = layers.iter().flatten().chain(
            self.series
                .iter()
                .filter_map(|x| x.band.as_ref())
                .flat_map(|(lo, hi)| lo.iter().chain(hi)),
        );
        let (mut lo, mut hi) = all.fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        if self.stacked && self.y_format == YFormat::Percent {
            (lo, hi) = (0.0, 100.0);
        } else {
            // Counts of people: an axis at least 10 people tall, so a flat line (a difference
            // that is zero throughout) still has a readable scale.
            if self.y_format == YFormat::People && hi - lo < 10.0 {
                let mid = (hi + lo) / 2.0;
                (lo, hi) = if lo < 0.0 {
                    (mid - 5.0, mid + 5.0)
                } else {
                    (lo, lo + 10.0)
                };
            }
            let pad = (hi - lo).max(1.0) * 0.05;
            hi += pad;
            if lo < 0.0 {
                lo -= pad;
            }
        }
        let y_ticks = if self.y_format == YFormat::Rank {
            // #1 at the top, the worst rank at the bottom, on a log scale.
            let worst = hi.max(1.0);
            (lo, hi) = (worst + 0.05, -0.05);
            [1.0f64, 3.0, 10.0, 30.0, 100.0, 300.0, 500.0]
                .iter()
                .map(|r| r.log10())
                .filter(|&t| t <= worst + 1e-9)
                .collect()
        } else if let Some(floor) = log_floor {
            hi = (hi / 1.05 * 1.3).max(floor * 10.0);
            lo = floor;
            log_ticks(lo, hi)
        } else {
            enough_ticks(lo, hi)
        };
        let y_axis = if log_floor.is_some() {
            Axis::log(lo, hi, y_ticks.clone())
        } else {
            Axis::new(lo, hi, y_ticks.clone())
        };
        let x_ticks: Vec<f64> = date_ticks(self.start, self.days)
            .into_iter()
            .map(|d| d as f64)
            .collect();
        let month_ticks = self.days > 70;
        let last = (self.days.max(2) - 1) as f64;

        // Each event's row of badges, placed on the plot's width before it is drawn, and room
        // above the plot for as many rows as they take, so badges never cover the data or the
        // subtitle.
        let r = (8.0 * s) as i32;
        let plot_width = f64::from(plot_area.dim_in_pixel().0) - (64.0 + 12.0) * s;
        let rows = badge_rows(&groups, self.days, plot_width, r);
        let row_count = rows
            .iter()
            .max()
            .map_or(0, |m| m + 1)
            .max(if groups.is_empty() { 0 } else { 2 });
        let mut chart = ChartBuilder::on(plot_area)
            .margin_top(((10.0 + row_count as f64 * 19.0) * s) as i32)
            .margin_right((12.0 * s) as i32)
            .x_label_area_size((34.0 * s) as i32)
            .y_label_area_size((64.0 * s) as i32)
            .build_cartesian_2d(Axis::new(0.0, last, x_ticks.clone()), y_axis)
            .map_err(draw_err)?;
        let y_format = self.y_format;
        draw_mesh(
            &mut chart,
            &MeshLabels {
                x: &date_formatter(self.start, month_ticks),
                y: &|y: &f64| format_y(*y, y_format),
                desc: Some(("Date", &self.y_label)),
                x_grid: false,
                px: 12.0,
            },
            s,
        )?;

        // A zero line when values go negative (net flows), darker than the grid.
        if lo < 0.0 && self.y_format != YFormat::Rank {
            let zero = vec![(0.0, 0.0), (last, 0.0)];
            chart
                .draw_series(LineSeries::new(
                    zero,
                    MUTED.stroke_width(s.round().max(1.0) as u32),
                ))
                .map_err(draw_err)?;
        }
        let xy = |d: usize, v: f64| (d as f64, v);
        let width = (2.0 * s).round() as u32;
        if self.stacked {
            for (i, x) in self.series.iter().enumerate() {
                let top = &layers[i];
                let bottom: Vec<f64> = if i == 0 {
                    vec![lo; self.days]
                } else {
                    layers[i - 1].clone()
                };
                let mut pts: Vec<(f64, f64)> =
                    top.iter().enumerate().map(|(d, &v)| xy(d, v)).collect();
                pts.extend(bottom.iter().enumerate().rev().map(|(d, &v)| xy(d, v)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        pts,
                        x.color.mix(0.88).filled(),
                    )))
                    .map_err(draw_err)?;
                let edge: Vec<(f64, f64)> =
                    top.iter().enumerate().map(|(d, &v)| xy(d, v)).collect();
                chart
                    .draw_series(LineSeries::new(
                        edge,
                        WHITE.stroke_width(s.round().max(1.0) as u32),
                    ))
                    .map_err(draw_err)?;
            }
        } else {
            for x in &self.series {
                if let Some(band) = &x.band {
                    draw_band(&mut chart, band, x.color)?;
                }
            }
            let every = (self.days / 10).max(1);
            for (i, x) in self.series.iter().enumerate() {
                let style = x.color.stroke_width(width);
                let pts: Vec<(f64, f64)> = x
                    .values
                    .iter()
                    .enumerate()
                    .map(|(d, &v)| xy(d, v))
                    .collect();
                draw_line(&mut chart, &pts, style, x.dash, s)?;
                // Markers, staggered between series so they do not sit on one another.
                let offset = (i * every / self.series.len().max(1)) % every;
                let area = chart.plotting_area();
                for &(d, v) in pts.iter().skip(offset).step_by(every) {
                    let at = area.map_coordinate(&(d, v));
                    // map_coordinate gives backend pixels, so draw on the root area.
                    root.draw(&marker_element::<DB>(x.marker, at, 3.5 * s, x.color))
                        .map_err(draw_err)?;
                }
            }
        }

        // Event markers: a dashed line and a numbered badge per date, in its row.
        let area = chart.plotting_area();
        // map_coordinate gives backend pixels, so draw on the root area.
        let pixel = root;
        let dash = (4.0 * s) as i32;
        let event_style = EVENT.stroke_width(s.round() as u32);
        for (n, (day, _)) in groups.iter().enumerate() {
            let x = *day as f64;
            let (px, top) = area.map_coordinate(&(x, hi));
            let (_, bottom) = area.map_coordinate(&(x, lo));
            let mut y = top;
            while y < bottom {
                pixel
                    .draw(&PathElement::new(
                        vec![(px, y), (px, (y + dash).min(bottom))],
                        event_style,
                    ))
                    .map_err(draw_err)?;
                y += 2 * dash;
            }
            let row = rows[n];
            // Rows go upward from the top of the plot, into the room kept for them.
            badge(
                pixel,
                n + 1,
                (px, top - r - 3 - row as i32 * (2 * r + 3)),
                s,
            )?;
        }

        Ok(())
    }
}

impl FlowMatrix {
    /// Draws the heat map on `root` at density `s`.
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: f64) -> Result<(), PlotError> {
        let body = frame(root, &self.title, &self.subtitle, &self.footnote, s)?;
        let (w, h) = body.dim_in_pixel();
        let k = self.names.len();
        let label_style = text_style(12.5 * s, INK);
        let widest = self
            .names
            .iter()
            .map(|n| text_width(&body, n, &label_style))
            .fold(0.0, f64::max);
        let left = (widest + 40.0 * s) as i32;
        let top = (56.0 * s) as i32;
        let scale_w = (90.0 * s) as i32;
        let avail_w = w as i32 - left - scale_w - (20.0 * s) as i32;
        let avail_h = h as i32 - top - (10.0 * s) as i32;
        let cell = (avail_w.min(avail_h) / k.max(1) as i32).max(4);
        // Centre the matrix and its colour scale in the free width.
        let used = k as i32 * cell + scale_w;
        let left = left + ((w as i32 - left - used) / 2).max(0);
        let max = self
            .totals
            .iter()
            .enumerate()
            .filter(|(i, _)| i / k != i % k)
            .map(|(_, &v)| v)
            .fold(0.0, f64::max);
        // Sequential blue scale (light to dark), by square root so small flows stay visible.
        let shade = |v: f64| {
            let t = if max > 0.0 { (v / max).sqrt() } else { 0.0 };
            let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
            RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
        };
        let center = Pos::new(HPos::Center, VPos::Center);
        for from in 0..k {
            let y = top + from as i32 * cell;
            body.draw(&Text::new(
                self.names[from].clone(),
                (left - (10.0 * s) as i32, y + cell / 2),
                label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(draw_err)?;
            for to in 0..k {
                let x = left + to as i32 * cell;
                let rect = [(x, y), (x + cell - 2, y + cell - 2)];
                if from == to {
                    body.draw(&Rectangle::new(rect, RGBColor(238, 238, 238).filled()))
                        .map_err(draw_err)?;
                    body.draw(&Text::new(
                        "—".to_string(),
                        (x + cell / 2, y + cell / 2),
                        text_style(12.0 * s, MUTED).pos(center),
                    ))
                    .map_err(draw_err)?;
                    continue;
                }
                let v = self.totals[from * k + to];
                let fill = shade(v);
                body.draw(&Rectangle::new(rect, fill.filled()))
                    .map_err(draw_err)?;
                let dark = max > 0.0 && (v / max).sqrt() > 0.45;
                let color = if dark { WHITE } else { INK };
                let size = (12.5 * s).min(f64::from(cell) / 4.0);
                body.draw(&Text::new(
                    human(v),
                    (x + cell / 2, y + cell / 2),
                    text_style(size, color).pos(center),
                ))
                .map_err(draw_err)?;
            }
        }
        for (to, name) in self.names.iter().enumerate() {
            let x = left + to as i32 * cell + cell / 2;
            body.draw(&Text::new(
                name.clone(),
                (x, top - (10.0 * s) as i32),
                label_style.pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))
            .map_err(draw_err)?;
        }
        body.draw(&Text::new(
            "to →".to_string(),
            (left + k as i32 * cell / 2, top - (34.0 * s) as i32),
            bold(12.5 * s, MUTED).pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))
        .map_err(draw_err)?;
        body.draw(&Text::new(
            "from ↓".to_string(),
            (left - (10.0 * s) as i32, top - (10.0 * s) as i32),
            bold(12.5 * s, MUTED).pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))
        .map_err(draw_err)?;
        // Colour scale.
        let sx = left + k as i32 * cell + (24.0 * s) as i32;
        let steps = 40;
        let bar_h = k as i32 * cell;
        for i in 0..steps {
            let v = max * (1.0 - i as f64 / steps as f64).powi(2);
            let y0 = top + i * bar_h / steps;
            let y1 = top + (i + 1) * bar_h / steps;
            body.draw(&Rectangle::new(
                [(sx, y0), (sx + (14.0 * s) as i32, y1)],
                shade(v).filled(),
            ))
            .map_err(draw_err)?;
        }
        let small = text_style(11.0 * s, INK).pos(Pos::new(HPos::Left, VPos::Center));
        body.draw(&Text::new(
            human(max),
            (sx + (20.0 * s) as i32, top),
            small.clone(),
        ))
        .map_err(draw_err)?;
        body.draw(&Text::new(
            "0".to_string(),
            (sx + (20.0 * s) as i32, top + bar_h),
            small,
        ))
        .map_err(draw_err)?;
        Ok(())
    }
}

impl SmallMultiples {
    /// Draws one panel per series on `root` at density `s`.
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: f64) -> Result<(), PlotError> {
        let body = frame(root, &self.title, &self.subtitle, &self.footnote, s)?;
        let n = self.panels.len().max(1);
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        let cells = body.split_evenly((rows, cols));
        let groups = event_groups(&self.events, self.start, self.days);
        let x_ticks: Vec<f64> = date_ticks(self.start, self.days)
            .into_iter()
            .map(|d| d as f64)
            .collect();
        let month_ticks = self.days > 70;
        let last = (self.days.max(2) - 1) as f64;
        let start = self.start;
        for (panel, cell) in self.panels.iter().zip(cells) {
            let hi_raw = panel
                .values
                .iter()
                .chain(panel.band.iter().flat_map(|(_, hi)| hi))
                .fold(0.0f64, |a, &b| a.max(b));
            let hi = hi_raw.max(1.0) * 1.08;
            let y_ticks = nice_ticks(0.0, hi, 3);
            let mut chart = ChartBuilder::on(&cell)
                .caption(&panel.label, bold(14.0 * s, panel.color))
                .margin((6.0 * s) as i32)
                .x_label_area_size((24.0 * s) as i32)
                .y_label_area_size((52.0 * s) as i32)
                .build_cartesian_2d(
                    Axis::new(0.0, last, x_ticks.clone()),
                    Axis::new(0.0, hi, y_ticks.clone()),
                )
                .map_err(draw_err)?;
            draw_mesh(
                &mut chart,
                &MeshLabels {
                    x: &date_formatter(start, month_ticks),
                    y: &|y: &f64| format_y(*y, YFormat::People),
                    desc: None,
                    x_grid: false,
                    px: 10.5,
                },
                s,
            )?;
            for (day, _) in &groups {
                let x = *day as f64;
                chart
                    .draw_series(LineSeries::new(
                        vec![(x, 0.0), (x, hi)],
                        EVENT.mix(0.35).stroke_width(s.round() as u32),
                    ))
                    .map_err(draw_err)?;
            }
            if let Some(band) = &panel.band {
                draw_band(&mut chart, band, panel.color)?;
            }
            let pts: Vec<(f64, f64)> = panel
                .values
                .iter()
                .enumerate()
                .map(|(d, &v)| (d as f64, v))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    pts,
                    panel.color.stroke_width((2.0 * s).round() as u32),
                ))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

/// The axis over values `min..=max` (`None` when there is nothing to draw): on a log axis, the
/// span padded by 5% of its decades (half a decade each side for a single value) with ticks
/// from `log_ticks`; on a linear axis, round ticks from `min` to `max` padded by 5% of the
/// span, where `from_zero` stretches the span to include 0 and pads only away from it (value
/// axes start at zero; an x axis of thread counts need not).
fn xy_axis(range: Option<(f64, f64)>, log: bool, from_zero: bool, ticks: Option<&[f64]>) -> Axis {
    let axis = if log {
        let (min, max) = range.unwrap_or((1.0, 10.0));
        let (a, b) = (min.log10(), max.log10());
        let pad = if b - a < 1e-9 { 0.5 } else { 0.05 * (b - a) };
        let (lo, hi) = (10f64.powf(a - pad), 10f64.powf(b + pad));
        Axis::log(lo, hi, log_ticks(lo, hi))
    } else {
        let (min, max) = range.unwrap_or((0.0, 1.0));
        let (mut lo, mut hi) = if from_zero {
            (min.min(0.0), max.max(0.0))
        } else {
            (min, max)
        };
        if hi - lo < 1e-12 {
            // A single value: a unit span around it (above it when the axis starts at 0).
            (lo, hi) = if from_zero && lo == 0.0 {
                (0.0, 1.0)
            } else {
                (lo - 0.5, hi + 0.5)
            };
        }
        let pad = 0.05 * (hi - lo);
        if !from_zero || hi > 0.0 {
            hi += pad;
        }
        if !from_zero || lo < 0.0 {
            lo -= pad;
        }
        Axis::new(lo, hi, nice_ticks(lo, hi, 5))
    };
    match ticks {
        Some(t) => {
            let (lo, hi) = (axis.lo.min(axis.hi), axis.lo.max(axis.hi));
            let inside = t
                .iter()
                .copied()
                .filter(|v| (lo..=hi).contains(v))
                .collect();
            Axis {
                ticks: inside,
                ..axis
            }
        }
        None => axis,
    }
}

/// Ticks of a log axis from `lo` to `hi` (both > 0): the powers of ten inside, every second
/// or third one when there are more than seven; 1-2-5 steps when fewer than three powers fall
/// inside; round linear steps when even those give fewer than two.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let inside = |v: &f64| {
        let l = v.log10();
        l >= a - 1e-9 && l <= b + 1e-9
    };
    let exponents = (a.floor() as i32)..=(b.ceil() as i32);
    let powers: Vec<i32> = exponents
        .clone()
        .filter(|&e| inside(&10f64.powi(e)))
        .collect();
    if powers.len() >= 3 {
        let every = powers.len().div_ceil(7) as i32;
        return powers
            .into_iter()
            .filter(|e| e.rem_euclid(every) == 0)
            .map(|e| 10f64.powi(e))
            .collect();
    }
    let steps: Vec<f64> = exponents
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .filter(inside)
        .collect();
    if steps.len() >= 2 {
        return steps;
    }
    nice_ticks(lo, hi, 4)
        .into_iter()
        .filter(|v| *v > 0.0)
        .collect()
}

impl XyChart {
    /// The points of each series that can be drawn, sorted by x.
    fn drawable(&self) -> Vec<Vec<(f64, f64)>> {
        self.series
            .iter()
            .map(|x| {
                let mut pts: Vec<(f64, f64)> = x
                    .points
                    .iter()
                    .copied()
                    .filter(|&(px, py)| {
                        px.is_finite()
                            && py.is_finite()
                            && (!self.x_log || px > 0.0)
                            && (!self.y_log || py > 0.0)
                    })
                    .collect();
                pts.sort_by(|p, q| p.0.total_cmp(&q.0));
                pts
            })
            .collect()
    }

    /// Draws the chart on `root` at density `s`.
    pub fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, s: f64) -> Result<(), PlotError> {
        let body = frame(root, &self.title, &self.subtitle, &self.footnote, s)?;
        let labels: Vec<&str> = self.series.iter().map(|x| x.label.as_str()).collect();
        let (plot_area, legend_area) = split_legend(&body, &labels, s);
        let points = self.drawable();
        let range = |pick: fn(&(f64, f64)) -> f64| {
            points
                .iter()
                .flatten()
                .map(pick)
                .fold(None, |r, v| match r {
                    None => Some((v, v)),
                    Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
                })
        };
        let x_axis = xy_axis(range(|p| p.0), self.x_log, false, self.x_ticks.as_deref());
        let y_axis = xy_axis(range(|p| p.1), self.y_log, true, None);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_top((10.0 * s) as i32)
            .margin_right((24.0 * s) as i32)
            .x_label_area_size((40.0 * s) as i32)
            .y_label_area_size((70.0 * s) as i32)
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(draw_err)?;
        let (x_format, y_format) = (self.x_format, self.y_format);
        draw_mesh(
            &mut chart,
            &MeshLabels {
                x: &|x: &f64| x_format.format(*x),
                y: &|y: &f64| y_format.format(*y),
                desc: Some((&self.x_label, &self.y_label)),
                x_grid: true,
                px: 12.0,
            },
            s,
        )?;
        let width = (2.0 * s).round() as u32;
        for (x, pts) in self.series.iter().zip(&points) {
            let style = x.color.stroke_width(width);
            draw_line(&mut chart, pts, style, x.dash, s)?;
            let Some(marker) = x.marker else { continue };
            let area = chart.plotting_area();
            for p in pts {
                let at = area.map_coordinate(p);
                // map_coordinate gives backend pixels, so draw on the root area.
                root.draw(&marker_element::<DB>(marker, at, 4.0 * s, x.color))
                    .map_err(draw_err)?;
            }
        }
        let items: Vec<LegendItem> = self
            .series
            .iter()
            .map(|x| LegendItem {
                label: &x.label,
                color: x.color,
                dash: x.dash,
                marker: x.marker,
                filled: false,
            })
            .collect();
        legend(&legend_area, &items, &[], s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_on_one_date_share_a_number() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let e = |date: &str, label: &str| EventMark {
            date: d(date),
            label: label.into(),
        };
        let events = vec![
            e("2025-01-19", "b"),
            e("2025-01-10", "a"),
            e("2025-01-19", "c"),
            e("2024-01-01", "early"),
        ];
        let groups = event_groups(&events, d("2025-01-01"), 30);
        assert_eq!(
            groups,
            vec![
                (9, vec!["a".to_string()]),
                (18, vec!["b".into(), "c".into()])
            ]
        );
    }

    /// A chart of one flat series with `n` events a day apart from day 2, labelled at length.
    fn chart_with_events(n: usize) -> TimeChart {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        TimeChart {
            title: "Title".into(),
            subtitle: "A subtitle that badges must not cover".into(),
            y_label: "people".into(),
            start,
            days: 60,
            series: vec![Series {
                label: "TikTok".into(),
                color: RGBColor(0, 0, 0),
                dash: Dash::Solid,
                marker: Marker::Circle,
                values: vec![1.0e6; 60],
                band: None,
            }],
            events: (0..n)
                .map(|i| EventMark {
                    date: start + chrono::Days::new(2 + i as u64),
                    label: format!("event number {i} with a label long enough to wrap"),
                })
                .collect(),
            y_format: YFormat::People,
            stacked: false,
            footnote: "footnote".into(),
            y_log: false,
            detail: None,
        }
    }

    #[test]
    fn event_keys_that_do_not_fit_are_counted_not_dropped() {
        // Small: 12 keys cannot all fit; the last line says how many are left.
        let svg = crate::plot::Figure::Time(chart_with_events(12))
            .to_svg(640, 360)
            .unwrap();
        assert!(svg.contains(" more (nos. "), "no +N more line");
        // Large: all fit, and no such line.
        let svg = crate::plot::Figure::Time(chart_with_events(3))
            .to_svg(1200, 675)
            .unwrap();
        assert!(!svg.contains(" more (no"));
        assert!(svg.contains("event number 2"));
    }

    #[test]
    fn badges_that_would_touch_go_up_a_row_and_every_row_is_kept_room_for() {
        let groups: Vec<(usize, Vec<String>)> = (0..5).map(|d| (d + 2, vec![])).collect();
        // A day is 10 px wide: badges of radius 8 one day apart need 3 rows.
        let rows = badge_rows(&groups, 61, 600.0, 8);
        assert_eq!(rows, [0, 1, 0, 1, 0]);
        let rows = badge_rows(&groups, 601, 600.0, 8);
        assert_eq!(rows, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn axes_have_at_least_four_ticks() {
        for (lo, hi) in [
            (-0.3e6, 1.05e6),
            (0.0, 0.05),
            (-12.0, 3.0),
            (0.0, 1.01e6),
            (-5.2, 5.2),
        ] {
            let t = enough_ticks(lo, hi);
            assert!(t.len() >= 4, "{lo} .. {hi}: {t:?}");
            assert!(t.iter().all(|x| (lo..=hi).contains(x)), "{t:?}");
        }
    }

    #[test]
    fn dashes_cover_the_sample() {
        assert_eq!(dash_segments(0, 30, Dash::Solid, 1.0), vec![(0, 30)]);
        let d = dash_segments(0, 30, Dash::Dashed, 1.0);
        assert_eq!(d, vec![(0, 9), (14, 23), (28, 30)]);
    }

    #[test]
    fn axis_maps_linearly_and_keeps_its_ticks() {
        let a = Axis::new(0.0, 10.0, vec![0.0, 5.0]);
        assert_eq!(a.map(&0.0, (0, 100)), 0);
        assert_eq!(a.map(&10.0, (0, 100)), 100);
        assert_eq!(a.map(&2.5, (100, 0)), 75);
        assert_eq!(a.key_points(3usize), vec![0.0, 5.0]);
    }

    #[test]
    fn log_axis_maps_decades_evenly() {
        let a = Axis::log(1e3, 1e7, vec![1e4]);
        assert_eq!(a.map(&1e3, (0, 400)), 0);
        assert_eq!(a.map(&1e5, (0, 400)), 200);
        assert_eq!(a.map(&1e7, (0, 400)), 400);
        assert_eq!(a.map(&1e4, (400, 0)), 300);
    }

    #[test]
    fn log_ticks_are_powers_of_ten_or_1_2_5_steps() {
        assert_eq!(log_ticks(5e3, 2e7), vec![1e4, 1e5, 1e6, 1e7]);
        // Many decades: every second power.
        assert_eq!(log_ticks(0.5, 2e9), vec![1.0, 1e2, 1e4, 1e6, 1e8]);
        // Less than two decades: 1-2-5 steps.
        assert_eq!(log_ticks(3e4, 4e5), vec![5e4, 1e5, 2e5]);
        // Within one 1-2-5 step: linear steps.
        let t = log_ticks(1.1e5, 1.5e5);
        assert!(
            t.len() >= 2 && t.iter().all(|v| (1.1e5..=1.5e5).contains(v)),
            "{t:?}"
        );
    }

    #[test]
    fn xy_axes_pad_and_label() {
        // A single value on a log axis: half a decade each side.
        let a = xy_axis(Some((1e4, 1e4)), true, true, None);
        assert!((a.lo - 10f64.powf(3.5)).abs() < 1e-6 && (a.hi - 10f64.powf(4.5)).abs() < 1e-6);
        assert_eq!(a.ticks, vec![5e3, 1e4, 2e4]);
        // A linear value axis starts at 0 and keeps only the given ticks inside.
        let b = xy_axis(
            Some((1.0, 4.0)),
            false,
            true,
            Some(&[0.0, 1.0, 2.0, 4.0, 8.0]),
        );
        assert_eq!((b.lo, b.hi), (0.0, 4.2));
        assert_eq!(b.ticks, vec![0.0, 1.0, 2.0, 4.0]);
        // Otherwise it spans the data, padded both ways.
        let c = xy_axis(Some((1.0, 3.0)), false, false, Some(&[1.0, 2.0, 3.0]));
        assert_eq!((c.lo, c.hi), (0.9, 3.1));
        assert_eq!(c.ticks, vec![1.0, 2.0, 3.0]);
        let d = xy_axis(Some((2.0, 2.0)), false, false, None);
        assert_eq!((d.lo, d.hi), (1.45, 2.55));
        assert_eq!(XyFormat::Human.format(1e5), "100 k");
        assert_eq!(XyFormat::Plain("×").format(1.75), "1.75×");
        assert_eq!(XyFormat::Plain(" s").format(0.001), "0.001 s");
        assert_eq!(XyFormat::Plain(" s").format(0.0125), "0.0125 s");
        assert_eq!(XyFormat::Plain("").format(1234.4), "1234");
    }

    #[test]
    fn xy_points_are_sorted_and_undrawable_ones_dropped() {
        let chart = XyChart {
            x_log: true,
            series: vec![XySeries {
                label: "a".into(),
                color: RGBColor(0, 0, 0),
                dash: Dash::Solid,
                marker: Some(Marker::Circle),
                points: vec![(1e6, 3.0), (0.0, 1.0), (1e4, f64::NAN), (1e3, 2.0)],
            }],
            ..XyChart::default()
        };
        assert_eq!(chart.drawable(), vec![vec![(1e3, 2.0), (1e6, 3.0)]]);
    }
}
