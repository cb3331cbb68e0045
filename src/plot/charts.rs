//! The charts of one run, built from its saved results: which data goes into which figure, with
//! which title and axis labels.

use super::figure::{FlowMatrix, Series, SmallMultiples, TimeChart, XyChart, YFormat};
use super::results::RunResults;
use super::style::{Dash, Marker, platform_colors};

/// The charts `exodus run` and `exodus plot` can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChartKind {
    /// Active users per platform over time, with event markers.
    Adoption,
    /// Stacked area of each platform's share of users.
    Share,
    /// New installs per platform and day.
    Installs,
    /// Heat map of moves between platforms over the run.
    Flows,
    /// Net daily flow (moves in minus moves out) per platform.
    NetFlows,
    /// One small panel of active users per platform.
    Multiples,
    /// Estimated App Store rank per platform (only when the run estimated ranks).
    Rank,
    /// People trying each platform beside their main app (only with trials).
    Trials,
    /// Perceived ban risk per platform, from drivers.csv (only when some risk is above 0).
    Risk,
    /// Adoption by audience class, from classes.csv: the share of each class that uses or
    /// tries another app than the one most had at the start (only with audience classes).
    Classes,
}

impl ChartKind {
    pub const ALL: [ChartKind; 10] = [
        ChartKind::Adoption,
        ChartKind::Share,
        ChartKind::Installs,
        ChartKind::Flows,
        ChartKind::NetFlows,
        ChartKind::Multiples,
        ChartKind::Rank,
        ChartKind::Trials,
        ChartKind::Risk,
        ChartKind::Classes,
    ];

    /// File name stem, e.g. `adoption` for adoption.svg / adoption.png.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Adoption => "adoption",
            ChartKind::Share => "share",
            ChartKind::Installs => "installs",
            ChartKind::Flows => "flows",
            ChartKind::NetFlows => "net-flows",
            ChartKind::Multiples => "multiples",
            ChartKind::Rank => "rank",
            ChartKind::Trials => "trials",
            ChartKind::Risk => "risk",
            ChartKind::Classes => "classes",
        }
    }

    /// Whether the results hold what this chart draws (ranks are optional).
    pub fn available(self, r: &RunResults) -> bool {
        match self {
            ChartKind::Rank => r.daily.contains_key("app_store_rank"),
            ChartKind::Trials => r.daily.contains_key("trial_users"),
            ChartKind::Risk => r
                .drivers
                .get("perceived_risk")
                .is_some_and(|v| v.iter().flatten().any(|&x| x > 0.0)),
            ChartKind::Classes => !r.classes.is_empty(),
            _ => true,
        }
    }
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub enum Figure {
    Time(TimeChart),
    Matrix(FlowMatrix),
    Multiples(SmallMultiples),
    /// Lines over a numeric axis (benchmark charts, `bench`).
    Xy(XyChart),
    /// Panels of a calibration: marginals, pairs, predictive check (`calibrate`).
    Calibration(super::calibrate::CalibrationChart),
    /// A sweep's outcomes against its parameters, heat maps and sensitivity indices (`sweep`).
    Sweep(super::sweep::SweepChart),
}

/// One series per platform from per-platform values.
fn platform_series(r: &RunResults, values: Vec<Vec<f64>>) -> Vec<Series> {
    let colors = platform_colors(&r.platforms, &r.colors);
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| Series {
            label: r.platforms[i].clone(),
            color: colors[i],
            dash: Dash::nth(i),
            marker: Marker::nth(i),
            values: v,
            band: None,
        })
        .collect()
}

/// Series of `metric` per platform: the median and band across replicates when the run has
/// them, otherwise the single run's values.
fn metric_series(r: &RunResults, metric: &str) -> Vec<Series> {
    let mut series = platform_series(r, r.metric(metric));
    if let Some(band) = r.band(metric) {
        for (s, cells) in series.iter_mut().zip(band) {
            s.values = cells.iter().map(|c| c.0).collect();
            s.band = Some((
                cells.iter().map(|c| c.1).collect(),
                cells.iter().map(|c| c.2).collect(),
            ));
        }
    }
    series
}

/// A share (%) above which a platform gets the share chart's second panel of the others.
pub const DOMINANT_SHARE: f64 = 80.0;

/// Builds chart `kind` from the results `r`.
pub fn build(kind: ChartKind, r: &RunResults) -> Figure {
    build_with(kind, r, false)
}

/// Builds chart `kind` from the results `r`, with a log y axis if `log` (on the charts of
/// counts that never go below zero: adoption, installs, trials).
pub fn build_with(kind: ChartKind, r: &RunResults, log: bool) -> Figure {
    let start = r.dates[0];
    let days = r.dates.len();
    let time = |subtitle: &str, y_label: &str, series: Vec<Series>, y_format, stacked| {
        let banded = series.iter().any(|s| s.band.is_some());
        TimeChart {
            title: r.scenario.clone(),
            subtitle: subtitle.to_string(),
            y_label: y_label.to_string(),
            start,
            days,
            series,
            events: r.events.clone(),
            y_format,
            stacked,
            footnote: r.footnote(banded),
            y_log: log,
            detail: None,
        }
    };
    match kind {
        ChartKind::Adoption => Figure::Time(time(
            "Daily active users of each platform (people represented; multi-homers count on every app they use)",
            "Daily active users (people)",
            metric_series(r, "daily_active_users"),
            YFormat::People,
            false,
        )),
        ChartKind::Share => {
            let active = r.metric("main_app_users");
            let shares: Vec<Vec<f64>> = (0..r.platforms.len())
                .map(|k| {
                    (0..days)
                        .map(|d| {
                            let total: f64 = active.iter().map(|p| p[d]).sum();
                            if total > 0.0 {
                                100.0 * active[k][d] / total
                            } else {
                                0.0
                            }
                        })
                        .collect()
                })
                .collect();
            // One platform holding nearly everyone squeezes the others into a sliver: they
            // get a second panel of their own, with its own scale.
            let most = |k: usize| shares[k].iter().copied().fold(0.0, f64::max);
            let dominant = (0..shares.len())
                .filter(|&k| most(k) > DOMINANT_SHARE)
                .max_by(|&a, &b| most(a).total_cmp(&most(b)));
            let mut chart = time(
                if r.subset {
                    "Share of users by main app among the platforms shown, per day"
                } else {
                    "Share of users by main app, per day"
                },
                "Share of users (%)",
                platform_series(r, shares.clone()),
                YFormat::Percent,
                true,
            );
            // With two platforms the stacked chart already shows the other one whole.
            if let Some(k) = dominant.filter(|_| shares.len() > 2) {
                let mut others = platform_series(r, shares.clone());
                others.remove(k);
                chart.detail = Some(Box::new(TimeChart {
                    title: format!(
                        "Without {}: the other platforms' shares of users (%), on their own scale",
                        r.platforms[k]
                    ),
                    subtitle: String::new(),
                    footnote: String::new(),
                    events: Vec::new(),
                    ..time("", "Share (%)", others, YFormat::Percent, false)
                }));
            }
            Figure::Time(chart)
        }
        ChartKind::Installs => Figure::Time(time(
            "New installs per day (first install of the platform in the run)",
            "Installs per day (people)",
            metric_series(r, "installs"),
            YFormat::People,
            false,
        )),
        ChartKind::NetFlows => {
            let (inn, out) = (r.metric("switches_in"), r.metric("switches_out"));
            let net = inn
                .iter()
                .zip(&out)
                .map(|(i, o)| i.iter().zip(o).map(|(a, b)| a - b).collect())
                .collect();
            Figure::Time(time(
                "Net flow of main-app users per day: people arriving minus people leaving",
                "Net flow (people per day)",
                platform_series(r, net),
                YFormat::People,
                false,
            ))
        }
        ChartKind::Flows => Figure::Matrix(FlowMatrix {
            title: r.scenario.clone(),
            subtitle: format!(
                "Who moved where: people changing main app from one platform to another, {} to {}",
                r.dates[0].format("%b %-d, %Y"),
                r.dates[days - 1].format("%b %-d, %Y")
            ),
            names: r.platforms.clone(),
            colors: platform_colors(&r.platforms, &r.colors),
            totals: r.flow_totals.clone(),
            footnote: r.footnote(false),
        }),
        ChartKind::Rank => {
            let ranks = r
                .metric("app_store_rank")
                .into_iter()
                .map(|v| v.into_iter().map(|x| x.max(1.0).log10()).collect())
                .collect();
            Figure::Time(time(
                "Estimated App Store rank from daily downloads (1 = most downloaded; an assumed rank-size curve)",
                "Rank (log scale)",
                platform_series(r, ranks),
                YFormat::Rank,
                false,
            ))
        }
        ChartKind::Trials => Figure::Time(time(
            "People trying each app beside their main app (installed to try; kept as main app or dropped at a review)",
            "People trying it (people)",
            metric_series(r, "trial_users"),
            YFormat::People,
            false,
        )),
        ChartKind::Risk => {
            let risk = r
                .drivers
                .get("perceived_risk")
                .map(|v| {
                    v.iter()
                        .map(|p| p.iter().map(|x| 100.0 * x).collect())
                        .collect()
                })
                .unwrap_or_else(|| vec![vec![0.0; days]; r.platforms.len()]);
            Figure::Time(time(
                "Perceived chance of a ban, per platform: what pushes users away (drivers.csv)",
                "Perceived ban risk (%)",
                platform_series(r, risk),
                YFormat::Percent,
                false,
            ))
        }
        ChartKind::Classes => {
            // The app most agents had as main app on day 0; each class's share elsewhere.
            let main = r.metric("main_app_users");
            let leader = (0..r.platforms.len())
                .max_by(|&a, &b| main[a][0].total_cmp(&main[b][0]))
                .unwrap_or(0);
            let names: Vec<String> = r.classes.iter().map(|(c, _)| c.clone()).collect();
            let colors = platform_colors(&names, &[]);
            let series = r
                .classes
                .iter()
                .enumerate()
                .map(|(i, (class, shares))| Series {
                    label: class.clone(),
                    color: colors[i],
                    dash: Dash::nth(i),
                    marker: Marker::nth(i),
                    values: (0..days)
                        .map(|d| {
                            let away: f64 = (0..r.platforms.len())
                                .filter(|&p| p != leader)
                                .map(|p| shares[p][d])
                                .sum();
                            100.0 * away
                        })
                        .collect(),
                    band: None,
                })
                .collect();
            Figure::Time(time(
                &format!(
                    "Who leads: share of each audience class (by how often its members are watched) with another app than {} as main app or trying one (classes.csv)",
                    r.platforms[leader]
                ),
                "Share of the class (%)",
                series,
                YFormat::Percent,
                false,
            ))
        }
        ChartKind::Multiples => Figure::Multiples(SmallMultiples {
            title: r.scenario.clone(),
            subtitle:
                "Daily active users of each platform (people represented); each panel has its own scale"
                    .into(),
            start,
            days,
            panels: metric_series(r, "daily_active_users"),
            events: r.events.clone(),
            footnote: r.footnote(r.band("daily_active_users").is_some()),
        }),
    }
}
