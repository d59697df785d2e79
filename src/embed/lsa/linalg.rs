//! The dense and sparse linear algebra of the LSA: CSR matrices and their products,
//! CholeskyQR2 with a Householder QR fallback, one-sided Jacobi SVD, dense products and the
//! seeded Gaussian test matrix.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use sprs::CsMat;

use super::error::ReduceError;
use super::kernels::{gram_block, rows_mul, spmm32_block, spmm_block};

/// Rows per parallel task in the sparse × dense products and the triangular solves.
const ROW_BLOCK: usize = 256;
/// Normal pairs per parallel task when drawing the Gaussian test matrix.
const GAUSS_BLOCK: usize = 16 * 1024;
/// Rows per partial Gram matrix (fixed, so the reduction order never depends on threads).
const GRAM_BLOCK: usize = 1024;
/// A Cholesky pivot below this fraction of its column's squared norm means the block is
/// (numerically) rank-deficient: the angle between the column and the span of the previous
/// ones is below 1e-6 rad, and CholeskyQR would lose orthogonality; Householder takes over.
const CHOL_REL_PIVOT: f64 = 1e-12;
/// The second CholeskyQR pass should return `R ≈ I`; further from it than this, one more
/// pass is made.
const CHOL_REPASS: f64 = 1e-8;
/// Cap on Jacobi sweeps (convergence is quadratic; 110 × 110 needs about 8–12).
const MAX_JACOBI_SWEEPS: usize = 100;

/// A plain CSR matrix (row indices 0-based, `indptr` starting at 0).
pub(super) struct Csr {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) indptr: Vec<usize>,
    pub(super) indices: Vec<usize>,
    pub(super) data: Vec<f64>,
}

impl Csr {
    pub(super) fn from_csmat(x: &CsMat<f64>) -> Result<Self, ReduceError> {
        let (rows, cols) = (x.rows(), x.cols());
        if rows == 0 || cols == 0 {
            return Err(ReduceError::Empty { rows, cols });
        }
        let owned;
        let x = if x.is_csr() {
            x
        } else {
            owned = x.to_csr();
            &owned
        };
        let mut indptr = Vec::with_capacity(rows + 1);
        let mut indices = Vec::with_capacity(x.nnz());
        let mut data = Vec::with_capacity(x.nnz());
        indptr.push(0);
        for (r, row) in x.outer_iterator().enumerate() {
            for (c, &v) in row.iter() {
                if !v.is_finite() {
                    return Err(ReduceError::NonFinite {
                        row: r,
                        col: c,
                        value: v,
                    });
                }
                if v != 0.0 && c < cols {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        // A malformed matrix with fewer outer entries than rows: pad with empty rows.
        while indptr.len() < rows + 1 {
            indptr.push(indices.len());
        }
        Ok(Self {
            rows,
            cols,
            indptr,
            indices,
            data,
        })
    }

    /// `Aᵀ` in CSR (a counting sort by column; row indices stay ascending).
    pub(super) fn transpose(&self) -> Self {
        let mut counts = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            counts[c + 1] += 1;
        }
        for c in 0..self.cols {
            counts[c + 1] += counts[c];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0usize; self.indices.len()];
        let mut data = vec![0.0; self.data.len()];
        for r in 0..self.rows {
            for p in self.indptr[r]..self.indptr[r + 1] {
                let c = self.indices[p];
                let dst = next[c];
                next[c] += 1;
                indices[dst] = r;
                data[dst] = self.data[p];
            }
        }
        Self {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            data,
        }
    }

    /// `A·D` for a dense row-major `D` of `cols × l`; returns `rows × l` row-major.
    pub(super) fn mul_dense(&self, d: &[f64], l: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.rows * l];
        self.mul_dense_into(d, l, &mut out);
        out
    }

    /// [`Csr::mul_dense`] into an existing `rows × l` buffer (reused across the power
    /// iterations: no fresh pages to fault in for every product).
    pub(super) fn mul_dense_into(&self, d: &[f64], l: usize, out: &mut [f64]) {
        out.par_chunks_mut(l * ROW_BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| {
                chunk.iter_mut().for_each(|v| *v = 0.0);
                spmm_block(self, d, l, b * ROW_BLOCK, chunk);
            });
    }

    /// Sum over columns of the population variance of each column.
    pub(super) fn total_column_variance(&self) -> f64 {
        let m = self.rows as f64;
        let mut sum = vec![0.0; self.cols];
        let mut nnz = vec![0usize; self.cols];
        for (&c, &v) in self.indices.iter().zip(&self.data) {
            sum[c] += v;
            nnz[c] += 1;
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / m).collect();
        let mut ss = vec![0.0; self.cols];
        for (&c, &v) in self.indices.iter().zip(&self.data) {
            let d = v - mean[c];
            ss[c] += d * d;
        }
        (0..self.cols)
            .map(|c| (ss[c] + (self.rows - nnz[c]) as f64 * mean[c] * mean[c]) / m)
            .sum()
    }
}

/// `A` (or `Aᵀ`) for the power iterations: `f32` values divided by the largest |value|
/// (the spanned subspace does not depend on the scale, and every value stays in `f32`
/// range) and `u32` column indices — a third of the bytes of [`Csr`] per non-zero.
pub(super) struct Csr32 {
    pub(super) indptr: Vec<usize>,
    pub(super) indices: Vec<u32>,
    pub(super) data: Vec<f32>,
}

impl Csr32 {
    pub(super) fn new(a: &Csr) -> Result<Self, ReduceError> {
        let too_large = || ReduceError::TooLarge {
            rows: a.rows,
            cols: a.cols,
        };
        u32::try_from(a.cols).map_err(|_| too_large())?;
        let max_abs = a.data.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        let div = if max_abs > 0.0 { max_abs } else { 1.0 };
        Ok(Self {
            indptr: a.indptr.clone(),
            // Every index is below `cols`, which fits (checked above).
            indices: a.indices.iter().map(|&c| c as u32).collect(),
            data: a.data.iter().map(|&v| (v / div) as f32).collect(),
        })
    }

    /// `out = A·D` for a dense row-major `D` of `cols × l`; `out` is `rows × l` row-major.
    pub(super) fn mul_dense_into(&self, d: &[f32], l: usize, out: &mut [f32]) {
        out.par_chunks_mut(l * ROW_BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| spmm32_block(self, d, l, b * ROW_BLOCK, chunk));
    }
}

/// One CholeskyQR pass on an `f32` block (computed in `f64`): enough inside the power
/// iterations, where only the spanned subspace matters.
pub(super) fn orthonormalize_f32(q: &mut [f32], rows: usize, l: usize) {
    let mut y: Vec<f64> = q.par_iter().map(|&v| f64::from(v)).collect();
    orthonormalize_passes(&mut y, rows, l, 1);
    q.par_iter_mut()
        .zip(y.par_iter())
        .for_each(|(o, &v)| *o = v as f32);
}

/// `len` standard normal draws as `f32` (Box–Muller on a seeded xoshiro256+ stream). The
/// uniform draws are taken from the stream in order, then transformed in parallel (each
/// pair independently), so the bits do not depend on the number of threads. The radius is
/// computed in `f64`, the angle's sine and cosine in `f32` (half the cost of the `f64` ones,
/// and the result is rounded to `f32` anyway).
pub(super) fn gaussian_f32(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let pairs = len.div_ceil(2);
    let uniforms: Vec<f64> = (0..2 * pairs).map(|_| rng.gen::<f64>()).collect();
    let mut out = vec![0.0f32; 2 * pairs];
    out.par_chunks_mut(2 * GAUSS_BLOCK)
        .zip(uniforms.par_chunks(2 * GAUSS_BLOCK))
        .for_each(|(o, u)| {
            for (o, u) in o.chunks_exact_mut(2).zip(u.chunks_exact(2)) {
                let u1 = 1.0 - u[0]; // (0, 1]
                let r = (-2.0 * u1.ln()).sqrt() as f32;
                let (s, c) = ((std::f64::consts::TAU * u[1]) as f32).sin_cos();
                o[0] = r * c;
                o[1] = r * s;
            }
        });
    out.truncate(len);
    out
}

pub(super) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Row-major `(rows × inner) · (inner × cols)`.
pub(super) fn dense_mul(a: &[f64], rows: usize, inner: usize, b: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    if cols == 0 || inner == 0 {
        return out;
    }
    out.par_chunks_mut(cols * ROW_BLOCK)
        .zip(a.par_chunks(inner * ROW_BLOCK))
        .for_each(|(chunk, ablk)| rows_mul(ablk, inner, b, cols, chunk));
    out
}

/// Replaces the row-major `rows × l` matrix `y` (`rows ≥ l`) by `Q` with orthonormal
/// columns spanning the same space, and returns the upper-triangular `R` (row-major
/// `l × l`) with `y_in = Q·R`.
pub(super) fn orthonormalize(y: &mut [f64], rows: usize, l: usize) -> Vec<f64> {
    orthonormalize_passes(y, rows, l, 2)
}

/// [`orthonormalize`] with at least `min_passes` CholeskyQR passes (1 is enough inside the
/// power iterations, where only the spanned subspace matters).
fn orthonormalize_passes(y: &mut [f64], rows: usize, l: usize, min_passes: usize) -> Vec<f64> {
    let mut r_acc = identity(l);
    for pass in 0..4 {
        let g = gram(y, l);
        let Some(r) = cholesky(&g, l) else {
            let r_hh = householder_qr(y, rows, l);
            return upper_mul(&r_hh, &r_acc, l);
        };
        let rinv = upper_inverse(&r, l);
        mul_upper_in_place(y, l, &rinv);
        let near_identity = r
            .iter()
            .enumerate()
            .all(|(idx, &v)| (v - if idx / l == idx % l { 1.0 } else { 0.0 }).abs() <= CHOL_REPASS);
        r_acc = upper_mul(&r, &r_acc, l);
        // One pass when asked; otherwise at least two, until the last one changed nothing.
        if pass + 1 >= min_passes && (min_passes <= 1 || near_identity) {
            return r_acc;
        }
    }
    r_acc
}

fn identity(l: usize) -> Vec<f64> {
    let mut e = vec![0.0; l * l];
    for i in 0..l {
        e[i * l + i] = 1.0;
    }
    e
}

/// `yᵀ·y` (row-major `l × l`), partial sums over fixed row blocks added in block order.
pub(super) fn gram(y: &[f64], l: usize) -> Vec<f64> {
    let parts: Vec<Vec<f64>> = y
        .par_chunks(l * GRAM_BLOCK)
        .map(|b| gram_block(b, l))
        .collect();
    let mut g = vec![0.0; l * l];
    for p in parts {
        for (gv, pv) in g.iter_mut().zip(p) {
            *gv += pv;
        }
    }
    for a in 0..l {
        for b in 0..a {
            g[a * l + b] = g[b * l + a];
        }
    }
    g
}

/// Upper-triangular `R` with `g = Rᵀ·R`, or `None` when a pivot is not clearly positive.
fn cholesky(g: &[f64], l: usize) -> Option<Vec<f64>> {
    let mut r = vec![0.0; l * l];
    for j in 0..l {
        let gjj = g[j * l + j];
        let s = gjj - (0..j).map(|i| r[i * l + j] * r[i * l + j]).sum::<f64>();
        if !(gjj > 0.0 && gjj.is_finite() && s > CHOL_REL_PIVOT * gjj) {
            return None;
        }
        let d = s.sqrt();
        r[j * l + j] = d;
        for c in j + 1..l {
            let t = g[j * l + c] - (0..j).map(|i| r[i * l + j] * r[i * l + c]).sum::<f64>();
            r[j * l + c] = t / d;
        }
    }
    Some(r)
}

/// Inverse of an upper-triangular matrix with a non-zero diagonal.
fn upper_inverse(r: &[f64], l: usize) -> Vec<f64> {
    let mut inv = vec![0.0; l * l];
    for j in 0..l {
        inv[j * l + j] = 1.0 / r[j * l + j];
        for i in (0..j).rev() {
            let s: f64 = (i + 1..=j).map(|t| r[i * l + t] * inv[t * l + j]).sum();
            inv[i * l + j] = -s / r[i * l + i];
        }
    }
    inv
}

/// Product of two upper-triangular `l × l` matrices.
fn upper_mul(a: &[f64], b: &[f64], l: usize) -> Vec<f64> {
    let mut out = vec![0.0; l * l];
    for i in 0..l {
        for t in i..l {
            let av = a[i * l + t];
            if av == 0.0 {
                continue;
            }
            for j in t..l {
                out[i * l + j] += av * b[t * l + j];
            }
        }
    }
    out
}

/// `y ← y·u` for an upper-triangular `u` (row-major `l × l`). The product runs over the
/// full `u`, zeros included: a register-blocked full product is faster than a triangular
/// loop, and the bits are the same on every SIMD path.
fn mul_upper_in_place(y: &mut [f64], l: usize, u: &[f64]) {
    y.par_chunks_mut(l * ROW_BLOCK).for_each(|block| {
        let mut out = vec![0.0; block.len()];
        rows_mul(block, l, u, l, &mut out);
        block.copy_from_slice(&out);
    });
}

/// Householder QR of the row-major `rows × l` matrix `y` (`rows ≥ l`): `y` becomes the
/// explicit `Q` (orthonormal columns even when `y` is rank-deficient); returns `R`.
pub(super) fn householder_qr(y: &mut [f64], rows: usize, l: usize) -> Vec<f64> {
    let m = rows;
    // Column-major copy.
    let mut a = vec![0.0; m * l];
    for i in 0..m {
        for j in 0..l {
            a[j * m + i] = y[i * l + j];
        }
    }
    let mut reflectors: Vec<(Vec<f64>, f64)> = Vec::with_capacity(l);
    for j in 0..l {
        let x = &a[j * m + j..(j + 1) * m];
        let nrm = norm(x);
        if nrm == 0.0 {
            reflectors.push((Vec::new(), 0.0));
            continue;
        }
        let alpha = if x[0] >= 0.0 { -nrm } else { nrm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let vn2: f64 = v.iter().map(|t| t * t).sum();
        let tau = if vn2 > 0.0 { 2.0 / vn2 } else { 0.0 };
        let (_, tail) = a.split_at_mut(j * m);
        tail.par_chunks_mut(m).for_each(|col| {
            let seg = &mut col[j..];
            let dot: f64 = seg.iter().zip(&v).map(|(s, w)| s * w).sum();
            let f = tau * dot;
            for (s, w) in seg.iter_mut().zip(&v) {
                *s -= f * w;
            }
        });
        reflectors.push((v, tau));
    }
    let mut r = vec![0.0; l * l];
    for j in 0..l {
        for i in 0..=j {
            r[i * l + j] = a[j * m + i];
        }
    }
    // Q = H_0 ⋯ H_{l-1} [I; 0].
    let mut q = vec![0.0; m * l];
    for j in 0..l {
        q[j * m + j] = 1.0;
    }
    for (j, (v, tau)) in reflectors.iter().enumerate().rev() {
        if *tau == 0.0 {
            continue;
        }
        q.par_chunks_mut(m).for_each(|col| {
            let seg = &mut col[j..];
            let dot: f64 = seg.iter().zip(v).map(|(s, w)| s * w).sum();
            let f = tau * dot;
            for (s, w) in seg.iter_mut().zip(v) {
                *s -= f * w;
            }
        });
    }
    for i in 0..m {
        for j in 0..l {
            y[i * l + j] = q[j * m + i];
        }
    }
    r
}

/// One-sided (Hestenes) Jacobi SVD of the column-major `l × l` matrix `a`: on return `a`
/// holds `a·V = U·Σ` (column norms = singular values) and the returned column-major matrix
/// is the orthogonal `V`.
pub(super) fn jacobi_svd(a: &mut [f64], l: usize) -> Vec<f64> {
    let mut v = identity(l);
    let tol = f64::EPSILON * l as f64;
    for _ in 0..MAX_JACOBI_SWEEPS {
        let mut rotated = false;
        for p in 0..l {
            for q in p + 1..l {
                let (alpha, beta, gamma) = {
                    let cp = &a[p * l..(p + 1) * l];
                    let cq = &a[q * l..(q + 1) * l];
                    let mut al = 0.0;
                    let mut be = 0.0;
                    let mut ga = 0.0;
                    for (&x, &y) in cp.iter().zip(cq) {
                        al += x * x;
                        be += y * y;
                        ga += x * y;
                    }
                    (al, be, ga)
                };
                if gamma == 0.0 || gamma.abs() <= tol * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                rotate(a, l, p, q, c, s);
                rotate(&mut v, l, p, q, c, s);
            }
        }
        if !rotated {
            break;
        }
    }
    v
}

fn rotate(m: &mut [f64], l: usize, p: usize, q: usize, c: f64, s: f64) {
    let (head, tail) = m.split_at_mut(q * l);
    let cp = &mut head[p * l..(p + 1) * l];
    let cq = &mut tail[..l];
    for (x, y) in cp.iter_mut().zip(cq.iter_mut()) {
        let (xp, yq) = (*x, *y);
        *x = c * xp - s * yq;
        *y = s * xp + c * yq;
    }
}
