//! The look of every chart: the bundled font, platform colours, line dashes and markers, and
//! how numbers and dates are written on axes.
//!
//! Colours come from the Okabe-Ito palette (Okabe and Ito 2008), chosen to stay distinct for
//! readers with the common forms of colour-blindness; every platform also gets its own dash
//! pattern and marker shape, so curves can be told apart in greyscale print too. A platform keeps
//! the same colour, dash and marker on every chart of a run; a scenario can set its colour.

use std::sync::Once;

use chrono::{Datelike, NaiveDate};
use plotters::style::{FontStyle, RGBColor};

/// Font family name under which the bundled font is registered.
pub const FONT: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers the bundled DejaVu Sans (Bitstream Vera licence, assets/fonts/) with plotters, so
/// text renders the same on every machine, with no system font packages.
pub fn register_fonts() {
    REGISTER.call_once(|| {
        // The bytes are valid TrueType files compiled into the binary; a failure here would be
        // caught by every chart test.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
        );
    });
}

/// Okabe-Ito colours, in the order unnamed platforms receive them.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

/// Colours of well-known platforms, matched case-insensitively: each brand's colour family,
/// taken from the Okabe-Ito palette (RedNote red -> vermillion, Lemon8 yellow -> orange,
/// Meta blue -> blue, Instagram pink -> reddish purple).
fn known_color(name: &str) -> Option<RGBColor> {
    let n = name.to_lowercase();
    Some(match n.as_str() {
        "tiktok" => RGBColor(0, 0, 0),
        "rednote" | "xiaohongshu" | "red note" => RGBColor(213, 94, 0),
        "lemon8" => RGBColor(230, 159, 0),
        "meta" | "facebook" | "meta apps" => RGBColor(0, 114, 178),
        "instagram" => RGBColor(204, 121, 167),
        "youtube" | "youtube shorts" => RGBColor(86, 180, 233),
        "x" | "twitter" => RGBColor(110, 110, 110),
        "bluesky" | "skylight" => RGBColor(86, 180, 233),
        "adopted" => RGBColor(0, 114, 178),
        "not adopted" | "none" | "other" | "offline" => RGBColor(150, 150, 150),
        _ => return None,
    })
}

/// Parses "#rrggbb".
pub fn parse_hex(s: &str) -> Option<RGBColor> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some(RGBColor(byte(0)?, byte(2)?, byte(4)?))
}

/// Colours for platforms `names`, honouring colours set in the scenario (`configured`), then
/// well-known names, then the palette in order, skipping colours already taken.
pub fn platform_colors(names: &[String], configured: &[Option<String>]) -> Vec<RGBColor> {
    let mut chosen: Vec<Option<RGBColor>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            configured
                .get(i)
                .and_then(|c| c.as_deref())
                .and_then(parse_hex)
                .or_else(|| known_color(n))
        })
        .collect();
    // Two well-known platforms of one family (Meta and Facebook) must not share a colour.
    for i in 0..chosen.len() {
        if let Some(c) = chosen[i]
            && chosen[..i].contains(&Some(c))
            && configured.get(i).and_then(|c| c.as_ref()).is_none()
        {
            chosen[i] = None;
        }
    }
    let unused: Vec<RGBColor> = PALETTE
        .iter()
        .filter(|c| !chosen.contains(&Some(**c)))
        .copied()
        .collect();
    let mut free = unused.iter().chain(PALETTE.iter()).cycle();
    chosen
        .into_iter()
        .map(|c| c.unwrap_or_else(|| *free.next().unwrap_or(&PALETTE[0])))
        .collect()
}

/// Line dash patterns, cycled by platform index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
    DashDot,
}

impl Dash {
    /// The dash of platform number `i`.
    pub fn nth(i: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::DashDot][i % 4]
    }

    /// (dash length, gap) in pixels at scale 1, or None for a solid line.
    pub fn pattern(self) -> Option<(f64, f64)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((9.0, 5.0)),
            Dash::Dotted => Some((2.0, 4.0)),
            Dash::DashDot => Some((12.0, 4.0)),
        }
    }
}

/// Marker shapes, cycled by platform index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
    Cross,
}

impl Marker {
    /// The marker of platform number `i`.
    pub fn nth(i: usize) -> Marker {
        [
            Marker::Circle,
            Marker::Triangle,
            Marker::Square,
            Marker::Diamond,
            Marker::Cross,
        ][i % 5]
    }
}

/// Writes a count for people: 950, 12 k, 3.4 M, 1.25 B (at most three significant digits).
pub fn human(x: f64) -> String {
    let a = x.abs();
    let (v, unit) = if a >= 1e9 {
        (x / 1e9, " B")
    } else if a >= 1e6 {
        (x / 1e6, " M")
    } else if a >= 1e3 {
        (x / 1e3, " k")
    } else {
        (x, "")
    };
    let digits = if v.abs() >= 100.0 || v == v.trunc() {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{unit}")
}

/// Tick values for an axis from 0 (or `lo`) to `hi`: about `target` "nice" steps (1, 2, 2.5, 5
/// x 10^n).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Day indices (from `start`) of date ticks over `days` days: month starts for long runs,
/// Mondays for a few weeks, every day for a week or less.
pub fn date_ticks(start: NaiveDate, days: usize) -> Vec<usize> {
    let date = |d: usize| start + chrono::Days::new(d as u64);
    let months = days / 30;
    let pick: Box<dyn Fn(NaiveDate) -> bool> = if days <= 10 {
        Box::new(|_| true)
    } else if days <= 70 {
        Box::new(|d: NaiveDate| d.weekday() == chrono::Weekday::Mon)
    } else if months <= 14 {
        Box::new(|d: NaiveDate| d.day() == 1)
    } else {
        let every = months.div_ceil(12) as u32;
        Box::new(move |d: NaiveDate| d.day() == 1 && d.month0().is_multiple_of(every))
    };
    (0..days).filter(|&d| pick(date(d))).collect()
}

/// How a date tick is written: "Jan 2025" for month ticks, "Jan 13" for day ticks.
pub fn date_label(date: NaiveDate, month_ticks: bool) -> String {
    if month_ticks {
        if date.month() == 1 {
            date.format("%b %Y").to_string()
        } else {
            date.format("%b").to_string()
        }
    } else {
        date.format("%b %-d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_numbers() {
        assert_eq!(human(0.0), "0");
        assert_eq!(human(950.0), "950");
        assert_eq!(human(12_000.0), "12 k");
        assert_eq!(human(3_400_000.0), "3.4 M");
        assert_eq!(human(170_000_000.0), "170 M");
        assert_eq!(human(1_250_000_000.0), "1.25 B");
        assert_eq!(human(-2_500_000.0), "-2.5 M");
        assert_eq!(human(25_000_000.0), "25 M");
    }

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 170e6, 5), vec![0.0, 50e6, 100e6, 150e6]);
        assert_eq!(nice_ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(nice_ticks(-3.0, 3.0, 3), vec![-2.0, 0.0, 2.0]);
    }

    #[test]
    fn colours_honour_scenario_names_and_stay_distinct() {
        let names: Vec<String> = ["TikTok", "RedNote", "Meta", "Facebook", "Foo"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = platform_colors(&names, &[None, None, None, None, Some("#123456".into())]);
        assert_eq!(cols[0], RGBColor(0, 0, 0));
        assert_eq!(cols[1], RGBColor(213, 94, 0));
        assert_eq!(cols[4], RGBColor(0x12, 0x34, 0x56));
        assert_ne!(cols[2], cols[3], "Meta and Facebook get different colours");
    }

    #[test]
    fn date_ticks_fit_the_span() {
        let start = NaiveDate::from_ymd_opt(2024, 12, 15).unwrap();
        let ticks = date_ticks(start, 137);
        assert_eq!(ticks, vec![17, 48, 76, 107]); // Jan 1, Feb 1, Mar 1, Apr 1
        assert_eq!(date_label(start + chrono::Days::new(17), true), "Jan 2025");
        let weekly = date_ticks(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), 60);
        assert_eq!(weekly[0], 5); // Monday Jan 6
    }
}
