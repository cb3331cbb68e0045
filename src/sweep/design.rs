//! Designs of a sweep: which points of the parameters' unit cube are run, in which order.
//!
//! Every design is a function of (design, seed, size) that gives point `p` the same place
//! whatever the thread count, and whose first points do not change when the size grows, so a
//! finished sweep can be extended by more points without redoing the old ones:
//!
//! - `grid`: the full factorial of each parameter's values, the last parameter varying fastest.
//!   Its size is fixed by the value lists; it cannot grow.
//! - `random`: point p is d uniform draws from its own stream (seed, p).
//! - `latin-hypercube` (McKay, Beckman and Conover 1979): each parameter's range cut into N
//!   equal strata, one point in each, the strata matched at random. Its strata depend on N, so
//!   it cannot grow without losing them: a larger N is a new design (refused on resume).
//! - `sobol`: the first N points of the unscrambled Sobol' sequence with the direction numbers
//!   of Joe and Kuo (2008, `new-joe-kuo-6`), the origin first, as scipy's
//!   `qmc.Sobol(scramble=False)` gives them. Balanced at powers of two.
//! - `saltelli` (Saltelli 2002; Saltelli et al. 2010): base row j is Sobol' point j in 2d
//!   dimensions, A_j its first d values and B_j its last d; the row gives d + 2 points in SALib's
//!   order, A_j, AB_j^(1) .. AB_j^(d) (A_j with value i from B_j), B_j. N base rows make
//!   N (d + 2) points; more rows extend it.
//! - `morris` (Morris 1991): trajectory t (its own stream) starts at a random point of a grid of
//!   `levels` levels per parameter and moves each parameter once, in a random order, by
//!   Delta = levels / (2 (levels - 1)), up when it can and down otherwise: d + 1 points.
//!
//! The unit cube is mapped to parameter values by each parameter's distribution
//! (`file::Distribution::value`).

use rand::RngExt;
use sobol::Sobol;
use sobol::params::JoeKuoD6;

use crate::rng::{Purpose, stream};

/// The kinds of design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Grid,
    Random,
    LatinHypercube,
    Sobol,
    Saltelli,
    Morris,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Grid,
        Kind::Random,
        Kind::LatinHypercube,
        Kind::Sobol,
        Kind::Saltelli,
        Kind::Morris,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Grid => "grid",
            Kind::Random => "random",
            Kind::LatinHypercube => "latin-hypercube",
            Kind::Sobol => "sobol",
            Kind::Saltelli => "saltelli",
            Kind::Morris => "morris",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s).or(match s {
            "lhs" => Some(Kind::LatinHypercube),
            _ => None,
        })
    }

    /// What `samples` counts in this design.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Grid => "grid points",
            Kind::Random | Kind::LatinHypercube | Kind::Sobol => "points",
            Kind::Saltelli => "base rows",
            Kind::Morris => "trajectories",
        }
    }

    /// Points per sample (a base row, a trajectory).
    pub fn points_per_sample(self, d: usize) -> usize {
        match self {
            Kind::Saltelli => d + 2,
            Kind::Morris => d + 1,
            _ => 1,
        }
    }

    /// Whether the first points stay the same when the design grows.
    pub fn extensible(self) -> bool {
        matches!(
            self,
            Kind::Random | Kind::Sobol | Kind::Saltelli | Kind::Morris
        )
    }
}

/// Dimensions the Sobol' direction numbers shipped cover (Joe and Kuo's file of 1,000).
pub const SOBOL_DIMENSIONS: usize = 1000;

/// The first `n` points of the unscrambled Sobol' sequence in `d` dimensions (origin first).
pub fn sobol_points(n: usize, d: usize) -> Vec<Vec<f64>> {
    sobol_iter(d).take(n).collect()
}

/// A random permutation of 0..n (Fisher-Yates) from `rng`.
fn permutation(n: usize, rng: &mut impl rand::Rng) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Points of a random design: point p from stream (seed, p).
fn random_point(seed: u64, p: usize, d: usize) -> Vec<f64> {
    let mut rng = stream(seed, 0, Purpose::Design, p as u64, 1);
    (0..d).map(|_| rng.random::<f64>()).collect()
}

/// A Latin hypercube of `n` points in `d` dimensions: for each dimension a permutation of the
/// strata (stream (seed, dimension)) and a uniform position inside each stratum.
pub fn latin_hypercube(seed: u64, n: usize, d: usize) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; d]; n];
    for j in 0..d {
        let mut rng = stream(seed, 0, Purpose::Design, j as u64, 2);
        let strata = permutation(n, &mut rng);
        for (i, point) in points.iter_mut().enumerate() {
            point[j] = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    points
}

/// Morris trajectory `t`: d + 1 points on a grid of `levels` levels, each parameter moved once
/// by Delta.
pub fn morris_trajectory(seed: u64, t: usize, d: usize, levels: usize) -> Vec<Vec<f64>> {
    let mut rng = stream(seed, 0, Purpose::Design, t as u64, 3);
    let step = 1.0 / (levels - 1) as f64;
    let delta = morris_delta(levels);
    let mut x: Vec<f64> = (0..d)
        .map(|_| rng.random_range(0..levels) as f64 * step)
        .collect();
    let order = permutation(d, &mut rng);
    let mut points = vec![x.clone()];
    for &i in &order {
        // Up when the grid allows, else down: every move stays on the grid inside [0, 1].
        if x[i] + delta <= 1.0 + 1e-12 {
            x[i] = (x[i] + delta).min(1.0);
        } else {
            x[i] = (x[i] - delta).max(0.0);
        }
        points.push(x.clone());
    }
    points
}

/// Morris's step in the unit cube for `levels` levels: levels / (2 (levels - 1)).
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels - 1) as f64)
}

/// A design's points in the unit cube, lazily, in order (grids excepted: they are built from
/// value lists, see `grid_indices`), for `samples` samples of `d` parameters.
pub fn unit_iter(
    kind: Kind,
    seed: u64,
    samples: usize,
    d: usize,
    levels: usize,
) -> Box<dyn Iterator<Item = Vec<f64>> + Send> {
    match kind {
        Kind::Grid => Box::new(std::iter::empty()),
        Kind::Random => Box::new((0..samples).map(move |p| random_point(seed, p, d))),
        Kind::LatinHypercube => Box::new(latin_hypercube(seed, samples, d).into_iter()),
        Kind::Sobol => Box::new(sobol_iter(d).take(samples)),
        Kind::Saltelli => Box::new(sobol_iter(2 * d).take(samples).flat_map(move |row| {
            let (a, b) = row.split_at(d);
            let mut block = Vec::with_capacity(d + 2);
            block.push(a.to_vec());
            for i in 0..d {
                let mut ab = a.to_vec();
                ab[i] = b[i];
                block.push(ab);
            }
            block.push(b.to_vec());
            block
        })),
        Kind::Morris => {
            Box::new((0..samples).flat_map(move |t| morris_trajectory(seed, t, d, levels)))
        }
    }
}

/// The Sobol' sequence in `d` dimensions, origin first.
fn sobol_iter(d: usize) -> Box<dyn Iterator<Item = Vec<f64>> + Send> {
    assert!(
        (1..=SOBOL_DIMENSIONS).contains(&d),
        "a sweep has 1 to 500 parameters (checked when the file is read)"
    );
    Box::new(Sobol::<f64>::new(d, &JoeKuoD6::standard()))
}

/// All of a design's points in the unit cube (see `unit_iter`).
pub fn unit_points(
    kind: Kind,
    seed: u64,
    samples: usize,
    d: usize,
    levels: usize,
) -> Vec<Vec<f64>> {
    unit_iter(kind, seed, samples, d, levels).collect()
}

/// The number of points of a full grid with `sizes[i]` values of parameter i.
pub fn grid_size(sizes: &[usize]) -> Option<usize> {
    sizes.iter().try_fold(1usize, |n, &s| n.checked_mul(s))
}

/// The value indices of grid point `p` (last parameter fastest).
pub fn grid_indices(mut p: usize, sizes: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; sizes.len()];
    for i in (0..sizes.len()).rev() {
        idx[i] = p % sizes[i];
        p /= sizes[i];
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sobol_points_are_the_published_ones() {
        // scipy 1.x, `qmc.Sobol(d=6, scramble=False).random(8)` (Joe and Kuo's new-joe-kuo-6
        // direction numbers, as this crate's).
        let want: [[f64; 6]; 8] = [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25, 0.25, 0.75, 0.75],
            [0.25, 0.75, 0.75, 0.75, 0.25, 0.25],
            [0.375, 0.375, 0.625, 0.875, 0.375, 0.125],
            [0.875, 0.875, 0.125, 0.375, 0.875, 0.625],
            [0.625, 0.125, 0.875, 0.625, 0.625, 0.875],
            [0.125, 0.625, 0.375, 0.125, 0.125, 0.375],
        ];
        let got = sobol_points(8, 6);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.as_slice(), w.as_slice());
        }
        // And `qmc.Sobol(d=40, scramble=False).random(1024)[1023]`, the last point of a
        // balanced 2^10 sample, where the later dimensions' direction numbers matter.
        let want: [f64; 40] = [
            0.0009765625,
            0.7529296875,
            0.6123046875,
            0.1455078125,
            0.1865234375,
            0.4384765625,
            0.1396484375,
            0.6181640625,
            0.3447265625,
            0.8505859375,
            0.6787109375,
            0.0361328125,
            0.1298828125,
            0.6650390625,
            0.3623046875,
            0.4638671875,
            0.3134765625,
            0.8759765625,
            0.5849609375,
            0.3193359375,
            0.8662109375,
            0.0185546875,
            0.7939453125,
            0.1962890625,
            0.2392578125,
            0.3759765625,
            0.5087890625,
            0.7607421875,
            0.8408203125,
            0.4345703125,
            0.9287109375,
            0.6142578125,
            0.4521484375,
            0.8740234375,
            0.3330078125,
            0.8642578125,
            0.9423828125,
            0.9873046875,
            0.9013671875,
            0.6982421875,
        ];
        assert_eq!(sobol_points(1024, 40)[1023], want);
    }

    #[test]
    fn a_grid_has_every_combination_once() {
        let sizes = [3, 2, 4];
        assert_eq!(grid_size(&sizes), Some(24));
        let all: std::collections::BTreeSet<Vec<usize>> =
            (0..24).map(|p| grid_indices(p, &sizes)).collect();
        assert_eq!(all.len(), 24);
        assert_eq!(grid_indices(0, &sizes), vec![0, 0, 0]);
        assert_eq!(grid_indices(1, &sizes), vec![0, 0, 1]);
        assert_eq!(grid_indices(23, &sizes), vec![2, 1, 3]);
        assert_eq!(grid_size(&[usize::MAX, 2]), None);
    }

    #[test]
    fn a_latin_hypercube_has_one_point_in_each_stratum() {
        let (n, d) = (50, 4);
        let pts = latin_hypercube(9, n, d);
        for j in 0..d {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[j] * n as f64) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {j}");
        }
        assert_eq!(pts, latin_hypercube(9, n, d));
        assert_ne!(pts, latin_hypercube(10, n, d));
    }

    #[test]
    fn saltelli_rows_follow_salib_order() {
        let d = 3;
        let pts = unit_points(Kind::Saltelli, 0, 4, d, 4);
        assert_eq!(pts.len(), 4 * (d + 2));
        let base = sobol_points(4, 2 * d);
        for (j, row) in base.iter().enumerate() {
            let block = &pts[j * (d + 2)..(j + 1) * (d + 2)];
            assert_eq!(block[0], row[..d]);
            assert_eq!(block[d + 1], row[d..]);
            for i in 0..d {
                for k in 0..d {
                    let want = if k == i { row[d + k] } else { row[k] };
                    assert_eq!(block[1 + i][k], want);
                }
            }
        }
    }

    #[test]
    fn designs_that_grow_keep_their_first_points() {
        for kind in [Kind::Random, Kind::Sobol, Kind::Saltelli, Kind::Morris] {
            let small = unit_points(kind, 5, 8, 3, 4);
            let large = unit_points(kind, 5, 16, 3, 4);
            assert_eq!(small[..], large[..small.len()], "{kind:?}");
            assert!(kind.extensible());
        }
        assert!(!Kind::LatinHypercube.extensible() && !Kind::Grid.extensible());
    }

    #[test]
    fn morris_trajectories_move_each_parameter_once_by_delta() {
        let (d, levels) = (5, 4);
        let delta = morris_delta(levels);
        assert!((delta - 2.0 / 3.0).abs() < 1e-15);
        for t in 0..100 {
            let tr = morris_trajectory(3, t, d, levels);
            assert_eq!(tr.len(), d + 1);
            let mut moved = vec![0; d];
            for w in tr.windows(2) {
                let changed: Vec<usize> = (0..d).filter(|&i| w[0][i] != w[1][i]).collect();
                assert_eq!(changed.len(), 1);
                let i = changed[0];
                assert!(((w[1][i] - w[0][i]).abs() - delta).abs() < 1e-12);
                moved[i] += 1;
                // On the grid, inside the cube.
                let level = w[1][i] * (levels - 1) as f64;
                assert!((level - level.round()).abs() < 1e-9 && (0.0..=1.0).contains(&w[1][i]));
            }
            assert_eq!(moved, vec![1; d]);
        }
    }

    #[test]
    fn design_names_read_back() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
        assert_eq!(Kind::parse("lhs"), Some(Kind::LatinHypercube));
        assert_eq!(Kind::parse("factorial"), None);
    }
}
