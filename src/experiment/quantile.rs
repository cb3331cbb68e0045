//! Streaming quantiles: the P² algorithm (Jain and Chlamtac 1985, "The P² algorithm for dynamic
//! calculation of quantiles and histograms without storing observations", CACM 28(10)).
//!
//! P² cannot place a marker nearer than the third value from either end, so for a tail quantile
//! p it needs about 2 / min(p, 1 - p) values before it can be accurate. Until then the values are
//! kept and the quantile is exact; at that point the five markers start from the exact sample
//! quantiles and P² takes over. Memory per estimator is therefore bounded (at most that many
//! values, e.g. 41 for p = 0.05) whatever the number of replicates.

/// Values kept exactly before P² starts, whatever the quantile.
pub const EXACT_MIN: usize = 41;

/// Online estimate of one p-quantile.
#[derive(Debug, Clone, PartialEq)]
pub struct P2 {
    p: f64,
    count: usize,
    /// Values kept (sorted) while fewer than `exact_up_to` have arrived.
    kept: Vec<f64>,
    /// How many values are kept exactly before P² takes over.
    exact_up_to: usize,
    /// Marker heights (the first values, sorted, until five have arrived).
    q: [f64; 5],
    /// Marker positions (1-based).
    n: [f64; 5],
    /// Desired marker positions.
    want: [f64; 5],
    /// Increments of the desired positions per value.
    step: [f64; 5],
}

/// How many values an estimator of the `p`-quantile keeps exactly before P² takes over.
pub fn exact_up_to(p: f64) -> usize {
    let tail = p.min(1.0 - p).max(1e-3);
    ((2.0 / tail).ceil() as usize + 1).max(EXACT_MIN)
}

impl P2 {
    /// An estimator of the `p`-quantile, 0 < p < 1.
    pub fn new(p: f64) -> P2 {
        P2 {
            p,
            count: 0,
            kept: Vec::new(),
            // At least 41 values (enough for a 5-95% band) for every quantile, so the median and
            // the band of one cell switch to P² together.
            exact_up_to: exact_up_to(p),
            q: [0.0; 5],
            n: [1.0, 2.0, 3.0, 4.0, 5.0],
            want: [1.0, 1.0 + 2.0 * p, 1.0 + 4.0 * p, 3.0 + 2.0 * p, 5.0],
            step: [0.0, p / 2.0, p, (1.0 + p) / 2.0, 1.0],
        }
    }

    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        if self.count < self.exact_up_to {
            let at = self.kept.partition_point(|&v| v < x);
            self.kept.insert(at, x);
            self.count += 1;
            if self.count == self.exact_up_to {
                self.start_markers();
            }
            return;
        }
        self.count += 1;
        // Cell k such that q[k] <= x < q[k+1], widening the extremes.
        let k = if x < self.q[0] {
            self.q[0] = x;
            0
        } else if x >= self.q[4] {
            self.q[4] = x;
            3
        } else {
            (0..4).find(|&i| x < self.q[i + 1]).unwrap_or(3)
        };
        for i in k + 1..5 {
            self.n[i] += 1.0;
        }
        for i in 0..5 {
            self.want[i] += self.step[i];
        }
        for i in 1..4 {
            let d = self.want[i] - self.n[i];
            if (d >= 1.0 && self.n[i + 1] - self.n[i] > 1.0)
                || (d <= -1.0 && self.n[i - 1] - self.n[i] < -1.0)
            {
                let s = d.signum();
                let parabolic = self.q[i]
                    + s / (self.n[i + 1] - self.n[i - 1])
                        * ((self.n[i] - self.n[i - 1] + s) * (self.q[i + 1] - self.q[i])
                            / (self.n[i + 1] - self.n[i])
                            + (self.n[i + 1] - self.n[i] - s) * (self.q[i] - self.q[i - 1])
                                / (self.n[i] - self.n[i - 1]));
                self.q[i] = if self.q[i - 1] < parabolic && parabolic < self.q[i + 1] {
                    parabolic
                } else {
                    // Linear step toward the neighbour in the direction of the move.
                    let j = if s > 0.0 { i + 1 } else { i - 1 };
                    self.q[i] + s * (self.q[j] - self.q[i]) / (self.n[j] - self.n[i])
                };
                self.n[i] += s;
            }
        }
    }

    /// Starts the five markers from the exact quantiles of the kept values, then drops them.
    fn start_markers(&mut self) {
        let m = self.kept.len() as f64;
        let p = self.p;
        let want = [
            1.0,
            1.0 + (m - 1.0) * p / 2.0,
            1.0 + (m - 1.0) * p,
            1.0 + (m - 1.0) * (1.0 + p) / 2.0,
            m,
        ];
        self.want = want;
        for (i, w) in want.iter().enumerate() {
            // Positions strictly increasing, so neighbouring markers never share a value's slot.
            let lo = if i == 0 { 1.0 } else { self.n[i - 1] + 1.0 };
            self.n[i] = w.round().clamp(lo, m - (4 - i) as f64);
            self.q[i] = self.kept[self.n[i] as usize - 1];
        }
        self.kept = Vec::new();
    }

    /// The current estimate (NaN before any value).
    pub fn value(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else if self.count < self.exact_up_to {
            exact(&self.kept, self.p)
        } else {
            self.q[2]
        }
    }
}

/// The p-quantile of sorted values, linearly interpolated (type 7 of Hyndman and Fan 1996).
pub fn exact(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn exact_for_few_values() {
        let mut q = P2::new(0.5);
        for x in [3.0, 1.0, 2.0] {
            q.add(x);
        }
        assert_eq!(q.value(), 2.0);
        let mut lo = P2::new(0.05);
        lo.add(10.0);
        assert_eq!(lo.value(), 10.0);
        assert!(P2::new(0.5).value().is_nan());
    }

    /// The band must be right for the replicate counts people use (10 to 40), where a plain P²
    /// cannot reach the tails.
    #[test]
    fn tail_quantiles_are_exact_for_few_values_and_close_after() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for n in [6, 10, 20, 40, 41, 60, 200] {
            let mut lo = P2::new(0.05);
            let mut hi = P2::new(0.95);
            let mut all = Vec::new();
            for _ in 0..n {
                let x: f64 = rng.random::<f64>() * 100.0;
                lo.add(x);
                hi.add(x);
                all.push(x);
            }
            all.sort_by(f64::total_cmp);
            let (tl, th) = (exact(&all, 0.05), exact(&all, 0.95));
            if n < 41 {
                assert_eq!(
                    (lo.value(), hi.value()),
                    (tl, th),
                    "exact below 41 values, n = {n}"
                );
            } else {
                let width = th - tl;
                assert!(
                    (lo.value() - tl).abs() < 0.15 * width,
                    "n = {n}: low {} vs {tl}",
                    lo.value()
                );
                assert!(
                    (hi.value() - th).abs() < 0.15 * width,
                    "n = {n}: high {} vs {th}",
                    hi.value()
                );
            }
        }
    }

    #[test]
    fn close_to_exact_quantiles_of_a_stream() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        for p in [0.05, 0.5, 0.95] {
            let mut est = P2::new(p);
            let mut all = Vec::new();
            for _ in 0..2000 {
                // A skewed distribution, like peak users across replicates.
                let x: f64 = rng.random::<f64>().powi(3) * 100.0;
                est.add(x);
                all.push(x);
            }
            all.sort_by(f64::total_cmp);
            let truth = exact(&all, p);
            assert!(
                (est.value() - truth).abs() < 2.0,
                "p = {p}: {} vs {truth}",
                est.value()
            );
        }
    }
}
