//! Streaming quantiles: the P² algorithm (Jain and Chlamtac 1985, "The P² algorithm for dynamic
//! calculation of quantiles and histograms without storing observations", CACM 28(10)).
//!
//! Five markers per quantile, updated as each value arrives, so aggregating R replicates costs
//! the same memory for any R. With five values or fewer the estimate is exact (the values are
//! kept and interpolated); beyond that it is an approximation whose error shrinks as values
//! accumulate (tested below against exact quantiles).

/// Online estimate of one p-quantile.
#[derive(Debug, Clone, PartialEq)]
pub struct P2 {
    p: f64,
    count: usize,
    /// Marker heights (the first values, sorted, until five have arrived).
    q: [f64; 5],
    /// Marker positions (1-based).
    n: [f64; 5],
    /// Desired marker positions.
    want: [f64; 5],
    /// Increments of the desired positions per value.
    step: [f64; 5],
}

impl P2 {
    /// An estimator of the `p`-quantile, 0 < p < 1.
    pub fn new(p: f64) -> P2 {
        P2 {
            p,
            count: 0,
            q: [0.0; 5],
            n: [1.0, 2.0, 3.0, 4.0, 5.0],
            want: [1.0, 1.0 + 2.0 * p, 1.0 + 4.0 * p, 3.0 + 2.0 * p, 5.0],
            step: [0.0, p / 2.0, p, (1.0 + p) / 2.0, 1.0],
        }
    }

    /// Number of values seen.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        if self.count < 5 {
            self.q[self.count] = x;
            self.count += 1;
            self.q[..self.count].sort_by(f64::total_cmp);
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

    /// The current estimate (NaN before any value).
    pub fn value(&self) -> f64 {
        match self.count {
            0 => f64::NAN,
            c if c <= 5 => exact(&self.q[..c], self.p),
            _ => self.q[2],
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
