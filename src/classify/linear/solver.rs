//! The dual coordinate descent solvers of one binary sub-problem (see the
//! [module docs](super)).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sprs::CsMat;

/// The rows of a CSR matrix as slices.
pub(super) struct Rows<'a> {
    pub(super) ptr: Vec<std::ops::Range<usize>>,
    pub(super) indices: &'a [usize],
    pub(super) data: &'a [f64],
}

impl<'a> Rows<'a> {
    pub(super) fn new(x: &'a CsMat<f64>) -> Self {
        let ip = x.indptr();
        Rows {
            ptr: (0..x.rows()).map(|r| ip.outer_inds_sz(r)).collect(),
            indices: x.indices(),
            data: x.data(),
        }
    }

    #[inline]
    pub(super) fn row(&self, i: usize) -> (&'a [usize], &'a [f64]) {
        let r = self.ptr[i].clone();
        (&self.indices[r.clone()], &self.data[r])
    }

    #[inline]
    pub(super) fn dot(&self, i: usize, w: &[f64]) -> f64 {
        let (idx, val) = self.row(i);
        let mut s = 0.0;
        for (&j, &v) in idx.iter().zip(val) {
            s += w[j] * v;
        }
        s
    }

    #[inline]
    pub(super) fn axpy(&self, i: usize, a: f64, w: &mut [f64]) {
        let (idx, val) = self.row(i);
        for (&j, &v) in idx.iter().zip(val) {
            w[j] += a * v;
        }
    }

    pub(super) fn sq_norm(&self, i: usize) -> f64 {
        self.row(i).1.iter().map(|v| v * v).sum()
    }
}

/// One binary sub-problem.
pub(super) struct Binary<'a> {
    pub(super) rows: &'a Rows<'a>,
    pub(super) n_features: usize,
    /// `+1.0` / `-1.0` per row.
    pub(super) y: Vec<f64>,
    /// `C` per row.
    pub(super) cost: Vec<f64>,
    /// Value of the appended constant feature (0 without intercept).
    pub(super) bias: f64,
    pub(super) tol: f64,
    pub(super) max_iter: usize,
    pub(super) shrinking: bool,
    pub(super) seed: u64,
}

pub(super) struct Solution {
    pub(super) coef: Vec<f64>,
    pub(super) intercept: f64,
    pub(super) iterations: usize,
    pub(super) converged: bool,
}

/// The seed of sub-problem `k` (see [`crate::seed::stream`]).
pub(crate) use crate::seed::stream as mix_seed;

impl Binary<'_> {
    /// LIBLINEAR `solve_l2r_l1l2_svc` with the squared hinge loss.
    pub(super) fn solve_svm(&self) -> Solution {
        let l = self.y.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut w = vec![0.0; self.n_features];
        let mut wb = 0.0; // weight of the constant feature
        let bias2 = self.bias * self.bias;
        let diag: Vec<f64> = self.cost.iter().map(|c| 0.5 / c).collect();
        let qd: Vec<f64> = (0..l)
            .map(|i| diag[i] + self.rows.sq_norm(i) + bias2)
            .collect();
        let mut alpha = vec![0.0; l];
        let mut index: Vec<usize> = (0..l).collect();
        let mut active = l;
        let mut pg_max_old = f64::INFINITY;
        let mut pg_min_old = f64::NEG_INFINITY;
        let mut iter = 0;
        let mut converged = false;
        while iter < self.max_iter {
            let mut pg_max_new = f64::NEG_INFINITY;
            let mut pg_min_new = f64::INFINITY;
            for i in 0..active {
                let j = rng.gen_range(i..active);
                index.swap(i, j);
            }
            let mut s = 0;
            while s < active {
                let i = index[s];
                let yi = self.y[i];
                let g = yi * (self.rows.dot(i, &w) + wb * self.bias) - 1.0 + alpha[i] * diag[i];
                let mut pg = 0.0;
                if alpha[i] == 0.0 {
                    if self.shrinking && g > pg_max_old {
                        active -= 1;
                        index.swap(s, active);
                        continue;
                    } else if g < 0.0 {
                        pg = g;
                    }
                } else {
                    // The squared hinge has no upper bound on alpha.
                    pg = g;
                }
                pg_max_new = pg_max_new.max(pg);
                pg_min_new = pg_min_new.min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[i];
                    alpha[i] = (old - g / qd[i]).max(0.0);
                    let d = (alpha[i] - old) * yi;
                    self.rows.axpy(i, d, &mut w);
                    wb += d * self.bias;
                }
                s += 1;
            }
            iter += 1;
            if pg_max_new - pg_min_new <= self.tol {
                if active == l {
                    converged = true;
                    break;
                }
                active = l;
                pg_max_old = f64::INFINITY;
                pg_min_old = f64::NEG_INFINITY;
                continue;
            }
            pg_max_old = if pg_max_new <= 0.0 {
                f64::INFINITY
            } else {
                pg_max_new
            };
            pg_min_old = if pg_min_new >= 0.0 {
                f64::NEG_INFINITY
            } else {
                pg_min_new
            };
        }
        // pg_min_old only matters for the upper bound of the hinge (not squared) loss.
        let _ = pg_min_old;
        Solution {
            coef: w,
            intercept: wb * self.bias,
            iterations: iter,
            converged,
        }
    }

    /// LIBLINEAR `solve_l2r_lr_dual`.
    pub(super) fn solve_lr(&self) -> Solution {
        const MAX_INNER_ITER: usize = 100;
        const ETA: f64 = 0.1;
        let l = self.y.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut w = vec![0.0; self.n_features];
        let mut wb = 0.0;
        let bias2 = self.bias * self.bias;
        let mut innereps = 1e-2;
        let innereps_min = self.tol.min(1e-8);
        // alpha[2i] = αᵢ, alpha[2i + 1] = Cᵢ − αᵢ.
        let mut alpha = vec![0.0; 2 * l];
        let mut xtx = vec![0.0; l];
        for i in 0..l {
            let c = self.cost[i];
            alpha[2 * i] = (0.001 * c).min(1e-8);
            alpha[2 * i + 1] = c - alpha[2 * i];
            xtx[i] = self.rows.sq_norm(i) + bias2;
            let a = self.y[i] * alpha[2 * i];
            self.rows.axpy(i, a, &mut w);
            wb += a * self.bias;
        }
        let mut index: Vec<usize> = (0..l).collect();
        let mut iter = 0;
        let mut converged = false;
        while iter < self.max_iter {
            for i in 0..l {
                let j = rng.gen_range(i..l);
                index.swap(i, j);
            }
            let mut newton_iter = 0;
            let mut gmax: f64 = 0.0;
            for &i in &index {
                let yi = self.y[i];
                let c = self.cost[i];
                let a = xtx[i];
                let b = yi * (self.rows.dot(i, &w) + wb * self.bias);
                let (mut ind1, mut ind2, mut sign) = (2 * i, 2 * i + 1, 1.0);
                if 0.5 * a * (alpha[ind2] - alpha[ind1]) + b < 0.0 {
                    ind1 = 2 * i + 1;
                    ind2 = 2 * i;
                    sign = -1.0;
                }
                let alpha_old = alpha[ind1];
                let mut z = alpha_old;
                if c - z < 0.5 * c {
                    z *= 0.1;
                }
                let mut gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                gmax = gmax.max(gp.abs());
                let mut inner = 0;
                while inner <= MAX_INNER_ITER {
                    if gp.abs() < innereps {
                        break;
                    }
                    let gpp = a + c / (c - z) / z;
                    let tmpz = z - gp / gpp;
                    if tmpz <= 0.0 {
                        z *= ETA;
                    } else {
                        z = tmpz;
                    }
                    gp = a * (z - alpha_old) + sign * b + (z / (c - z)).ln();
                    newton_iter += 1;
                    inner += 1;
                }
                if inner > 0 {
                    alpha[ind1] = z;
                    alpha[ind2] = c - z;
                    let d = sign * (z - alpha_old) * yi;
                    self.rows.axpy(i, d, &mut w);
                    wb += d * self.bias;
                }
            }
            iter += 1;
            if gmax < self.tol {
                converged = true;
                break;
            }
            if newton_iter <= l / 10 {
                innereps = innereps_min.max(0.1 * innereps);
            }
        }
        Solution {
            coef: w,
            intercept: wb * self.bias,
            iterations: iter,
            converged,
        }
    }
}

/// Balanced weights `n / (k · n_c)` over the classes present; 1 for absent classes.
pub(super) fn balanced(counts: &[usize], n: usize) -> Vec<f64> {
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                n as f64 / (present as f64 * c as f64)
            }
        })
        .collect()
}
