//! Bands across replicates: for every day, platform and metric, the mean with its 95%
//! confidence interval, the median, and a quantile band (default 5-95%), aggregated as each
//! replicate's days arrive. Memory is fixed per cell (Welford's running mean and variance, three
//! P² estimators), whatever the number of replicates.

use serde::Serialize;

use super::quantile::P2;
use crate::metrics::{DayRecord, Metric};

/// Running statistics of a quantity over replicates: mean and variance (Welford 1962) and three
/// streaming quantiles.
#[derive(Debug, Clone)]
pub struct Stats {
    n: u32,
    mean: f64,
    m2: f64,
    low: P2,
    median: P2,
    high: P2,
}

/// What `Stats` says about its values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Values aggregated.
    pub replicates: u32,
    pub mean: f64,
    /// 95% confidence interval of the mean: mean -/+ t(0.975, R - 1) sd / sqrt(R) (Student).
    pub mean_low: f64,
    pub mean_high: f64,
    pub median: f64,
    /// The band's lower and upper quantiles.
    pub low: f64,
    pub high: f64,
}

impl Stats {
    /// Statistics with a band between quantiles `low` and `high`.
    pub fn new(low: f64, high: f64) -> Stats {
        Stats {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            low: P2::new(low),
            median: P2::new(0.5),
            high: P2::new(high),
        }
    }

    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / f64::from(self.n);
        self.m2 += d * (x - self.mean);
        self.low.add(x);
        self.median.add(x);
        self.high.add(x);
    }

    /// The summary of the values added.
    pub fn summary(&self) -> Summary {
        let sd = if self.n > 1 {
            (self.m2 / f64::from(self.n - 1)).sqrt()
        } else {
            0.0
        };
        let half = t975(self.n.saturating_sub(1)) * sd / f64::from(self.n.max(1)).sqrt();
        // Three separate estimators: keep them ordered (they can cross only past EXACT_MIN
        // values, on heavily tied data, and by little).
        let median = self.median.value();
        Summary {
            replicates: self.n,
            mean: self.mean,
            mean_low: self.mean - half,
            mean_high: self.mean + half,
            median,
            low: self.low.value().min(median),
            high: self.high.value().max(median),
        }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom: tabulated to 30, then the
/// Cornish-Fisher expansion z + (z^3 + z) / (4 df) + (5z^5 + 16z^3 + 3z) / (96 df^2) (within
/// 0.001 of the exact value beyond 30).
pub fn t975(df: u32) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => 0.0,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            let (z, v) = (1.959_964f64, f64::from(df));
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

/// One row of `bands.csv`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BandRow {
    pub day: u32,
    pub platform: usize,
    pub metric: Metric,
    /// Replicates aggregated.
    pub replicates: u32,
    /// Mean over replicates.
    pub mean: f64,
    /// 95% confidence interval of the mean (Student's t: mean -/+ t(0.975, R-1) sd / sqrt(R)).
    pub mean_low: f64,
    pub mean_high: f64,
    pub median: f64,
    /// The band's lower and upper quantiles over replicates.
    pub low: f64,
    pub high: f64,
}

/// Aggregates replicates' daily records.
#[derive(Debug, Clone)]
pub struct Bands {
    k: usize,
    low: f64,
    high: f64,
    cells: Vec<Option<Stats>>,
}

const M: usize = Metric::ALL.len();

impl Bands {
    /// Bands over `days` days and `k` platforms, with quantiles `low` and `high` (0 < low <
    /// high < 1).
    pub fn new(days: usize, k: usize, low: f64, high: f64) -> Bands {
        Bands {
            k,
            low,
            high,
            cells: vec![None; days * k * M],
        }
    }

    /// Adds one day of one replicate.
    pub fn add(&mut self, r: &DayRecord) {
        for p in 0..self.k {
            for m in Metric::ALL {
                if let Some(v) = r.get(p, m) {
                    let i = (r.day as usize * self.k + p) * M + m as usize;
                    self.cells[i]
                        .get_or_insert_with(|| Stats::new(self.low, self.high))
                        .add(v);
                }
            }
        }
    }

    /// Rows in day, platform, metric order.
    pub fn rows(&self) -> Vec<BandRow> {
        self.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .map(|(i, c)| {
                let s = c.summary();
                BandRow {
                    day: (i / M / self.k) as u32,
                    platform: (i / M) % self.k,
                    metric: Metric::ALL[i % M],
                    replicates: s.replicates,
                    mean: s.mean,
                    mean_low: s.mean_low,
                    mean_high: s.mean_high,
                    median: s.median,
                    low: s.low,
                    high: s.high,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(day: u32, dau: f64) -> DayRecord {
        let mut v = [None; M];
        v[Metric::DailyActiveUsers as usize] = Some(dau);
        DayRecord {
            day,
            values: vec![v],
            flows: vec![0.0],
            by_class: Vec::new(),
            trying_by_class: Vec::new(),
            by_segment: Vec::new(),
            trying_by_segment: Vec::new(),
            newcomer_installs: 0.0,
            buzz: 0.0,
        }
    }

    #[test]
    fn mean_median_and_band_of_known_values() {
        let mut b = Bands::new(1, 1, 0.05, 0.95);
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            b.add(&record(0, x));
        }
        let rows = b.rows();
        assert_eq!(rows.len(), 1, "only reported metrics get rows");
        let r = &rows[0];
        assert_eq!((r.replicates, r.mean, r.median), (5, 3.0, 3.0));
        assert!((r.low - 1.2).abs() < 1e-12 && (r.high - 4.8).abs() < 1e-12);
        // sd = sqrt(2.5); half-width t(0.975, 4) sqrt(2.5) / sqrt(5).
        assert!((r.mean_high - r.mean - 2.776 * (0.5f64).sqrt()).abs() < 1e-12);
        // Exact values 1.98397 (100) and 2.03951 (31).
        assert!((t975(100) - 1.98397).abs() < 0.001 && (t975(31) - 2.03951).abs() < 0.001);
    }
}
