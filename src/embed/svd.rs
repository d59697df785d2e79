//! Latent semantic analysis (LSA): randomized truncated SVD of a sparse term matrix.
//!
//! The algorithm is the one behind scikit-learn's
//! `TruncatedSVD(algorithm="randomized")` followed by `Normalizer()` (Halko, Martinsson and
//! Tropp 2011, algorithms 4.3/4.4 and 5.1):
//!
//! 1. draw a seeded Gaussian test matrix `Ω` of `n_cols × l`, with
//!    `l = min(n_components + n_oversamples, n_rows, n_cols)`;
//! 2. power iterations, re-orthonormalising every `A·Z` product (see below):
//!    `Q = qr(A·Ω)`, then `n_iter` times `Q = qr(A·(Aᵀ·Q))`, with `f32` products except the
//!    last `A·Z` (see below; every `qr` is computed in `f64`);
//! 3. `Bᵀ = Aᵀ·Q` (`n_cols × l`), factored `Bᵀ = Q₂·R`, and the small `Rᵀ = U_r·Σ·V_rᵀ` by
//!    one-sided Jacobi, so that `A ≈ (Q·U_r)·Σ·(Q₂·V_r)ᵀ`;
//! 4. keep the `n_components` largest singular triplets, fix the signs as scikit-learn's
//!    `svd_flip(u_based_decision=False)` (the largest-|value| entry of each component is
//!    positive), return `U·Σ` with each row l2-normalised.
//!
//! Inside the power iterations only `A·Z` (`n_rows × l`) is re-orthonormalised: `Aᵀ·Q` with
//! an orthonormal `Q` is no worse conditioned than `A`, and the product buffers are reused.
//!
//! Precision: the power iterations only have to find the subspace, so they run on an `f32`
//! copy of `A` (values divided by the largest |value|, `u32` column indices) with `f32`
//! dense blocks: half the memory traffic of the sparse × dense products, which dominate the
//! run time, and twice the SIMD lanes. An `f32` rounding of the basis moves the subspace by
//! about 1e-7, which changes the Ritz values only at second order. The last `A·Z` product
//! and everything after it are `f64`, so `Q` lies in the range of `A` to `f64` precision
//! (exact results when `l` reaches the rank).
//!
//! Everything is plain Rust. The orthonormalisations are CholeskyQR2 (two passes of
//! Gram matrix → Cholesky → triangular solve, a third when the second pass was not yet
//! orthonormal), with a Householder QR fallback whenever the Cholesky factorisation meets a
//! (near) rank-deficient block, as happens for matrices of rank below `l`.
//!
//! The `f32` sparse × dense product is register-blocked with AVX-512F intrinsics when the
//! CPU has them (runtime detection; the AVX2 and portable paths give the same bits).
//!
//! Parallel work (sparse × dense products, Gram matrices, triangular solves) is split into
//! fixed-size row blocks whose partial results are reduced in block order, so the output is
//! bit-identical for any number of rayon threads.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use thiserror::Error;

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

/// Parameters of the LSA reduction (a TOML/JSON table; unknown keys are rejected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReduceParams {
    /// Number of LSA dimensions to keep (capped at `min(n_rows, n_cols)` of the data; the
    /// value actually used is reported in [`Lsa::n_components`]).
    pub n_components: usize,
    /// Number of power iterations (each one a product by `A` and by `Aᵀ`, both followed by
    /// a re-orthonormalisation).
    pub n_iter: usize,
    /// Extra random directions sampled beyond `n_components` to improve accuracy.
    pub n_oversamples: usize,
}

impl Default for ReduceParams {
    fn default() -> Self {
        Self {
            n_components: 100,
            n_iter: 5,
            n_oversamples: 10,
        }
    }
}

/// An invalid [`ReduceParams`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReduceParamsError {
    /// `n_components` was 0.
    #[error("n_components must be at least 1 (got {0})")]
    ZeroComponents(usize),
}

/// An LSA input that cannot be reduced.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ReduceError {
    /// The matrix has no rows or no columns.
    #[error(
        "cannot run LSA on an empty term matrix ({rows} rows × {cols} columns): \
         it needs at least one paragraph and one term"
    )]
    Empty {
        /// Number of rows (paragraphs).
        rows: usize,
        /// Number of columns (terms).
        cols: usize,
    },
    /// The matrix has more rows or columns than 32-bit indices can address.
    #[error("the term matrix is too large for LSA ({rows} rows × {cols} columns)")]
    TooLarge {
        /// Number of rows (paragraphs).
        rows: usize,
        /// Number of columns (terms).
        cols: usize,
    },
    /// The matrix holds a NaN or an infinity.
    #[error("the term matrix holds a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value.
        value: f64,
    },
    /// New rows with a different number of columns than the fitted components.
    #[error(
        "the term matrix has {cols} columns but the fitted LSA components have {components}; \
         the rows must be weighted by the vectorizer the components were fitted on"
    )]
    ColumnMismatch {
        /// Columns of the new rows.
        cols: usize,
        /// Columns of the components.
        components: usize,
    },
}

/// Validated [`ReduceParams`], ready to [`fit_transform`](ReduceValidParams::fit_transform).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReduceValidParams {
    params: ReduceParams,
}

/// Result of an LSA reduction.
#[derive(Clone, Debug, PartialEq)]
pub struct Lsa {
    /// `n_rows × n_components`: `U·Σ` (scikit-learn's `fit_transform`), each row then
    /// l2-normalised (rows that are all zero stay zero).
    pub embedding: Array2<f32>,
    /// The `n_components` singular values, largest first.
    pub singular_values: Vec<f64>,
    /// `n_components × n_cols`: the right singular vectors `Vᵀ` (orthonormal rows). A new
    /// row `x` (same term weighting) projects as `x·Vᵀᵀ`, then l2-normalise.
    pub components: Array2<f64>,
    /// Variance of each column of `U·Σ` (before normalisation) divided by the total variance
    /// of the columns of the input, as scikit-learn's `explained_variance_ratio_`; all zero
    /// when the input has no variance.
    pub explained_variance_ratio: Vec<f64>,
    /// Number of components actually computed: `min(params.n_components, n_rows, n_cols)`.
    pub n_components: usize,
}

/// Projects new rows onto fitted LSA components `Vᵀ` (`n_components × n_cols`): `x·V`,
/// each row then l2-normalised (all-zero rows stay zero), in `f64`, then `f32` — the
/// transform of scikit-learn's `TruncatedSVD` followed by the row normalisation of
/// [`Lsa::embedding`]. For the fitted matrix itself this equals `Lsa::embedding` up to
/// rounding (`U·Σ` and `X·V` agree to about 1e-12), not bit for bit.
pub fn project(
    components: ndarray::ArrayView2<'_, f64>,
    x: &CsMat<f64>,
) -> Result<Array2<f32>, ReduceError> {
    let (k, n) = components.dim();
    if x.cols() != n {
        return Err(ReduceError::ColumnMismatch {
            cols: x.cols(),
            components: n,
        });
    }
    let csr = x.to_csr();
    // V as n × k row-major, so each non-zero adds one contiguous row.
    let mut v = vec![0.0f64; n * k];
    for c in 0..k {
        for (j, &val) in components.row(c).iter().enumerate() {
            v[j * k + c] = val;
        }
    }
    let rows: Vec<Vec<f32>> = csr
        .outer_iterator()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|row| {
            let mut acc = vec![0.0f64; k];
            for (j, &val) in row.iter() {
                for (a, &b) in acc.iter_mut().zip(&v[j * k..(j + 1) * k]) {
                    *a += val * b;
                }
            }
            let nrm = norm(&acc);
            let scale = if nrm > 0.0 { 1.0 / nrm } else { 1.0 };
            acc.iter().map(|&a| (a * scale) as f32).collect()
        })
        .collect();
    let mut out = Array2::<f32>::zeros((rows.len(), k));
    for (mut o, r) in out.rows_mut().into_iter().zip(rows) {
        o.iter_mut().zip(r).for_each(|(a, b)| *a = b);
    }
    Ok(out)
}

impl ReduceParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<ReduceValidParams, ReduceParamsError> {
        if self.n_components == 0 {
            return Err(ReduceParamsError::ZeroComponents(self.n_components));
        }
        Ok(ReduceValidParams {
            params: self.clone(),
        })
    }
}

impl ReduceValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &ReduceParams {
        &self.params
    }

    /// Reduces `x` (rows = paragraphs, columns = terms, usually TF-IDF weights; CSR or CSC)
    /// to `n_components` dimensions. Deterministic for a given `seed`, whatever the number of
    /// rayon threads.
    pub fn fit_transform(&self, x: &CsMat<f64>, seed: u64) -> Result<Lsa, ReduceError> {
        self.fit_transform_with_progress(x, seed, &crate::progress::NoProgress)
    }

    /// [`fit_transform`](Self::fit_transform), reporting to `progress`: `n_iter + 2` units
    /// (each power iteration, the final range basis, the small SVD and the embedding). The
    /// result does not depend on it.
    pub fn fit_transform_with_progress(
        &self,
        x: &CsMat<f64>,
        seed: u64,
        progress: &dyn crate::progress::Progress,
    ) -> Result<Lsa, ReduceError> {
        let n_iter = self.params.n_iter;
        progress.set_total(n_iter as u64 + 2);
        let mut a = Csr::from_csmat(x)?;
        // Extreme magnitudes would overflow or underflow the squares in the Gram matrices:
        // scale them to 1 (the embedding, components and ratios are scale-invariant; the
        // singular values are scaled back at the end).
        let max_abs = a.data.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        let scale = if max_abs > 1e100 || (max_abs > 0.0 && max_abs < 1e-100) {
            a.data.iter_mut().for_each(|v| *v /= max_abs);
            max_abs
        } else {
            1.0
        };
        let (m, n) = (a.rows, a.cols);
        let k = self.params.n_components.min(m).min(n);
        let l = k.saturating_add(self.params.n_oversamples).min(m).min(n);
        let at = a.transpose();

        // Range finder: `Z = Ω`, then `n_iter` times `Z = Aᵀ·qr(A·Z)`, in `f32`; finally
        // `Q = qr(A·Z)` in `f64`, so that `Q` lies in the range of `A` to `f64` precision
        // (see the module docs).
        let a32 = Csr32::new(&a)?;
        let at32 = Csr32::new(&at)?;
        let mut z = gaussian_f32(n * l, seed);
        let mut q32 = vec![0.0f32; if self.params.n_iter > 0 { m * l } else { 0 }];
        for it in 0..n_iter {
            progress.message(&format!("power iteration {}/{n_iter}", it + 1));
            a32.mul_dense_into(&z, l, &mut q32);
            orthonormalize_f32(&mut q32, m, l);
            // `Aᵀ·Q` for an orthonormal `Q` is only as ill-conditioned as `A` itself: it is
            // not re-orthonormalised (the spanned subspace is the same), which saves the
            // costliest factorisation (`n_cols × l`) of every iteration.
            at32.mul_dense_into(&q32, l, &mut z);
            progress.inc(1);
        }
        progress.message("range basis (f64)");
        drop((q32, a32, at32));
        let z64: Vec<f64> = z.par_iter().map(|&v| f64::from(v)).collect();
        drop(z);
        let mut q = a.mul_dense(&z64, l);
        drop(z64);
        orthonormalize(&mut q, m, l);
        progress.inc(1);
        progress.message("small SVD and embedding");

        // Bᵀ = Aᵀ·Q = Q₂·R ; Rᵀ = U_r Σ V_rᵀ.
        let mut q2 = at.mul_dense(&q, l);
        let r = orthonormalize(&mut q2, n, l);
        // Column-major Rᵀ: column j of Rᵀ is row j of R.
        let mut rt = r.clone();
        let v_r = jacobi_svd(&mut rt, l);
        // rt now holds Rᵀ·V_r = U_r·Σ (column-major), v_r holds V_r (column-major).
        let mut order: Vec<usize> = (0..l).collect();
        let sigma_all: Vec<f64> = (0..l).map(|j| norm(&rt[j * l..(j + 1) * l])).collect();
        order.sort_by(|&i, &j| sigma_all[j].total_cmp(&sigma_all[i]).then(i.cmp(&j)));
        order.truncate(k);
        let singular_values: Vec<f64> = order.iter().map(|&j| sigma_all[j] * scale).collect();

        // Small l × k factors, row-major.
        let mut us_small = vec![0.0; l * k];
        let mut v_small = vec![0.0; l * k];
        for (c, &j) in order.iter().enumerate() {
            for i in 0..l {
                us_small[i * k + c] = rt[j * l + i];
                v_small[i * k + c] = v_r[j * l + i];
            }
        }
        let mut us = dense_mul(&q, m, l, &us_small, k); // m × k = U·Σ
        drop(q);
        let v = dense_mul(&q2, n, l, &v_small, k); // n × k = V
        drop(q2);

        // Components Vᵀ with svd_flip(u_based_decision=False).
        let mut components = Array2::<f64>::zeros((k, n));
        for (j, row) in v.chunks_exact(k).enumerate() {
            for (c, &val) in row.iter().enumerate() {
                components[[c, j]] = val;
            }
        }
        for c in 0..k {
            let mut best = 0usize;
            let mut best_abs = -1.0f64;
            for (j, &val) in components.row(c).iter().enumerate() {
                if val.abs() > best_abs {
                    best_abs = val.abs();
                    best = j;
                }
            }
            if components[[c, best]] < 0.0 {
                components.row_mut(c).mapv_inplace(|v| -v);
                for row in us.chunks_exact_mut(k) {
                    row[c] = -row[c];
                }
            }
        }

        // Explained variance ratio (before normalisation).
        let total_var = a.total_column_variance();
        let explained_variance_ratio: Vec<f64> = (0..k)
            .map(|c| {
                let mean = us.chunks_exact(k).map(|r| r[c]).sum::<f64>() / m as f64;
                let var = us
                    .chunks_exact(k)
                    .map(|r| (r[c] - mean) * (r[c] - mean))
                    .sum::<f64>()
                    / m as f64;
                if total_var > 0.0 {
                    var / total_var
                } else {
                    0.0
                }
            })
            .collect();

        // Row l2-normalisation, then f32.
        let mut embedding = Array2::<f32>::zeros((m, k));
        for (i, row) in us.chunks_exact(k).enumerate() {
            let nrm = norm(row);
            let scale = if nrm > 0.0 { 1.0 / nrm } else { 1.0 };
            for (c, &val) in row.iter().enumerate() {
                embedding[[i, c]] = (val * scale) as f32;
            }
        }

        progress.inc(1);
        Ok(Lsa {
            embedding,
            singular_values,
            components,
            explained_variance_ratio,
            n_components: k,
        })
    }
}

/// A plain CSR matrix (row indices 0-based, `indptr` starting at 0).
struct Csr {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    data: Vec<f64>,
}

impl Csr {
    fn from_csmat(x: &CsMat<f64>) -> Result<Self, ReduceError> {
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
    fn transpose(&self) -> Self {
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
    fn mul_dense(&self, d: &[f64], l: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.rows * l];
        self.mul_dense_into(d, l, &mut out);
        out
    }

    /// [`Csr::mul_dense`] into an existing `rows × l` buffer (reused across the power
    /// iterations: no fresh pages to fault in for every product).
    fn mul_dense_into(&self, d: &[f64], l: usize, out: &mut [f64]) {
        out.par_chunks_mut(l * ROW_BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| {
                chunk.iter_mut().for_each(|v| *v = 0.0);
                spmm_block(self, d, l, b * ROW_BLOCK, chunk);
            });
    }

    /// Sum over columns of the population variance of each column.
    fn total_column_variance(&self) -> f64 {
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

/// Defines `$name`, which calls the `#[inline(always)]` function `$generic` compiled for
/// AVX2 when the CPU has it, and as is otherwise. Only lane-wise loops go through here: they
/// perform the very same IEEE operations in the same order whatever the vector width (Rust
/// never fuses or reassociates floating-point operations), so the bits never change.
macro_rules! simd_dispatch {
    ($(#[$doc:meta])* fn $name:ident => $generic:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 support was just checked at run time.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}

/// `A` (or `Aᵀ`) for the power iterations: `f32` values divided by the largest |value|
/// (the spanned subspace does not depend on the scale, and every value stays in `f32`
/// range) and `u32` column indices — a third of the bytes of [`Csr`] per non-zero.
struct Csr32 {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl Csr32 {
    fn new(a: &Csr) -> Result<Self, ReduceError> {
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
    fn mul_dense_into(&self, d: &[f32], l: usize, out: &mut [f32]) {
        out.par_chunks_mut(l * ROW_BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| spmm32_block(self, d, l, b * ROW_BLOCK, chunk));
    }
}

/// Rows `first..` of `A·D` into `out` (overwritten): each output entry sums its row's
/// non-zeros in order, a multiply then an add.
#[inline(always)]
fn spmm32_block_generic(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32]) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        orow.iter_mut().for_each(|v| *v = 0.0);
        for p in a.indptr[r]..a.indptr[r + 1] {
            let (c, v) = (a.indices[p] as usize, a.data[p]);
            for (o, &dv) in orow.iter_mut().zip(&d[c * l..(c + 1) * l]) {
                *o += v * dv;
            }
        }
    }
}

simd_dispatch! {
    /// [`spmm32_block_generic`], AVX2 when available.
    fn spmm32_block_avx2_or_generic => spmm32_block_generic(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32])
}

/// [`spmm32_block_generic`] with AVX-512F intrinsics when the CPU has them (the same bits:
/// the same multiplies and adds in the same order), AVX2 or portable code otherwise.
fn spmm32_block(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F support was just checked at run time.
            return unsafe { spmm32_block_avx512(a, d, l, first, out) };
        }
    }
    spmm32_block_avx2_or_generic(a, d, l, first, out)
}

/// Floats per panel of the AVX-512 product: eight accumulator registers.
#[cfg(target_arch = "x86_64")]
const SPMM_PANEL: usize = 128;

/// [`spmm32_block_generic`] register-blocked: for each row and each panel of up to 128
/// output columns, the partial row stays in up to eight registers while the row's non-zeros
/// stream by (the last register masked when the panel is not a multiple of 16).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn spmm32_block_avx512(a: &Csr32, d: &[f32], l: usize, first: usize, out: &mut [f32]) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        let (lo, hi) = (a.indptr[r], a.indptr[r + 1]);
        let (idx, val) = (&a.indices[lo..hi], &a.data[lo..hi]);
        let mut p0 = 0;
        while p0 < l {
            let w = (l - p0).min(SPMM_PANEL);
            let o = &mut orow[p0..p0 + w];
            match w.div_ceil(16) {
                1 => spmm32_panel::<1>(idx, val, d, l, p0, o),
                2 => spmm32_panel::<2>(idx, val, d, l, p0, o),
                3 => spmm32_panel::<3>(idx, val, d, l, p0, o),
                4 => spmm32_panel::<4>(idx, val, d, l, p0, o),
                5 => spmm32_panel::<5>(idx, val, d, l, p0, o),
                6 => spmm32_panel::<6>(idx, val, d, l, p0, o),
                7 => spmm32_panel::<7>(idx, val, d, l, p0, o),
                _ => spmm32_panel::<8>(idx, val, d, l, p0, o),
            }
            p0 += w;
        }
    }
}

/// One panel `p0..p0 + out.len()` (`out.len()` in `16(R−1)+1..=16R`) of one output row.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn spmm32_panel<const R: usize>(
    idx: &[u32],
    val: &[f32],
    d: &[f32],
    l: usize,
    p0: usize,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;
    let w = out.len();
    let tail = w - 16 * (R - 1);
    let mask: __mmask16 = if tail >= 16 {
        u16::MAX
    } else {
        (1u16 << tail) - 1
    };
    let mut acc = [_mm512_setzero_ps(); R];
    for (&c, &v) in idx.iter().zip(val) {
        let start = c as usize * l + p0;
        let row = &d[start..start + w];
        let vv = _mm512_set1_ps(v);
        for (q, a) in acc.iter_mut().enumerate() {
            // SAFETY: lanes `16q..16q + 16` of `row` are in bounds for q < R − 1, and the
            // masked load of the last register reads only the `tail` lanes in bounds.
            let x = unsafe {
                if q + 1 < R {
                    _mm512_loadu_ps(row.as_ptr().add(16 * q))
                } else {
                    _mm512_maskz_loadu_ps(mask, row.as_ptr().add(16 * q))
                }
            };
            *a = _mm512_add_ps(*a, _mm512_mul_ps(vv, x));
        }
    }
    for (q, a) in acc.iter().enumerate() {
        // SAFETY: as for the loads above, on `out`.
        unsafe {
            if q + 1 < R {
                _mm512_storeu_ps(out.as_mut_ptr().add(16 * q), *a);
            } else {
                _mm512_mask_storeu_ps(out.as_mut_ptr().add(16 * q), mask, *a);
            }
        }
    }
}

/// One CholeskyQR pass on an `f32` block (computed in `f64`): enough inside the power
/// iterations, where only the spanned subspace matters.
fn orthonormalize_f32(q: &mut [f32], rows: usize, l: usize) {
    let mut y: Vec<f64> = q.par_iter().map(|&v| f64::from(v)).collect();
    orthonormalize_passes(&mut y, rows, l, 1);
    q.par_iter_mut()
        .zip(y.par_iter())
        .for_each(|(o, &v)| *o = v as f32);
}

/// Rows `first..` of `A·D` into `out` (row-major, `l` columns).
#[inline(always)]
fn spmm_block_generic(a: &Csr, d: &[f64], l: usize, first: usize, out: &mut [f64]) {
    for (i, orow) in out.chunks_exact_mut(l).enumerate() {
        let r = first + i;
        for p in a.indptr[r]..a.indptr[r + 1] {
            let v = a.data[p];
            let c = a.indices[p];
            for (o, &dv) in orow.iter_mut().zip(&d[c * l..(c + 1) * l]) {
                *o += v * dv;
            }
        }
    }
}

simd_dispatch! {
    /// [`spmm_block_generic`], AVX2 when available.
    fn spmm_block => spmm_block_generic(a: &Csr, d: &[f64], l: usize, first: usize, out: &mut [f64])
}

/// `len` standard normal draws as `f32` (Box–Muller on a seeded xoshiro256+ stream). The
/// uniform draws are taken from the stream in order, then transformed in parallel (each
/// pair independently), so the bits do not depend on the number of threads. The radius is
/// computed in `f64`, the angle's sine and cosine in `f32` (half the cost of the `f64` ones,
/// and the result is rounded to `f32` anyway).
fn gaussian_f32(len: usize, seed: u64) -> Vec<f32> {
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

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Row-major `(rows × inner) · (inner × cols)`.
fn dense_mul(a: &[f64], rows: usize, inner: usize, b: &[f64], cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    if cols == 0 || inner == 0 {
        return out;
    }
    out.par_chunks_mut(cols * ROW_BLOCK)
        .zip(a.par_chunks(inner * ROW_BLOCK))
        .for_each(|(chunk, ablk)| rows_mul(ablk, inner, b, cols, chunk));
    out
}

/// `out = a_row·b` for one row `a_row` (`inner` entries) and a row-major `inner × cols`
/// matrix `b`: each entry sums over `t` in order, a multiply then an add, from zero.
#[inline(always)]
fn row_mul_generic(a_row: &[f64], b: &[f64], cols: usize, out: &mut [f64]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for (t, &av) in a_row.iter().enumerate() {
        for (o, &bv) in out.iter_mut().zip(&b[t * cols..(t + 1) * cols]) {
            *o += av * bv;
        }
    }
}

/// [`row_mul_generic`] for each row of `a` (`inner` columns) into the rows of `out` (`cols`
/// columns).
#[inline(always)]
fn rows_mul_generic(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64]) {
    for (orow, arow) in out.chunks_exact_mut(cols).zip(a.chunks_exact(inner)) {
        row_mul_generic(arow, b, cols, orow);
    }
}

simd_dispatch! {
    /// [`rows_mul_generic`], AVX2 when available.
    fn rows_mul_avx2_or_generic => rows_mul_generic(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64])
}

/// [`rows_mul_generic`] with AVX-512F intrinsics when the CPU has them (the same bits),
/// AVX2 or portable code otherwise.
fn rows_mul(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F support was just checked at run time.
            return unsafe { rows_mul_avx512(a, inner, b, cols, out) };
        }
    }
    rows_mul_avx2_or_generic(a, inner, b, cols, out)
}

/// Output columns per panel of the AVX-512 row product (six registers)...
#[cfg(target_arch = "x86_64")]
const ROW_MUL_PANEL: usize = 48;
/// ...for this many rows at once (24 accumulators; each row of `b` loaded once per group).
#[cfg(target_arch = "x86_64")]
const ROW_MUL_ROWS: usize = 4;

/// [`rows_mul_generic`] register-blocked: four rows × 48 output columns stay in registers
/// while the rows of `b` stream by, each of them loaded once for the four rows.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows_mul_avx512(a: &[f64], inner: usize, b: &[f64], cols: usize, out: &mut [f64]) {
    let mut quads = out.chunks_exact_mut(ROW_MUL_ROWS * cols);
    let mut a_quads = a.chunks_exact(ROW_MUL_ROWS * inner);
    for (o, arows) in quads.by_ref().zip(a_quads.by_ref()) {
        row_mul_panels::<ROW_MUL_ROWS>(arows, inner, b, cols, o);
    }
    let rest = quads.into_remainder();
    for (o, arow) in rest
        .chunks_exact_mut(cols)
        .zip(a_quads.remainder().chunks_exact(inner))
    {
        row_mul_panels::<1>(arow, inner, b, cols, o);
    }
}

/// All column panels of `MR` consecutive output rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn row_mul_panels<const MR: usize>(
    a: &[f64],
    inner: usize,
    b: &[f64],
    cols: usize,
    out: &mut [f64],
) {
    let mut p0 = 0;
    while p0 < cols {
        let w = (cols - p0).min(ROW_MUL_PANEL);
        match w.div_ceil(8) {
            1 => row_mul_panel::<MR, 1>(a, inner, b, cols, p0, w, out),
            2 => row_mul_panel::<MR, 2>(a, inner, b, cols, p0, w, out),
            3 => row_mul_panel::<MR, 3>(a, inner, b, cols, p0, w, out),
            4 => row_mul_panel::<MR, 4>(a, inner, b, cols, p0, w, out),
            5 => row_mul_panel::<MR, 5>(a, inner, b, cols, p0, w, out),
            _ => row_mul_panel::<MR, 6>(a, inner, b, cols, p0, w, out),
        }
        p0 += w;
    }
}

/// Columns `p0..p0 + w` (`w ≤ 8R`) of `MR` output rows (`out`: `MR × cols`, `a`:
/// `MR × inner`); register `q` covers the panel columns `8q..8q + 8`, masked to those that
/// exist.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn row_mul_panel<const MR: usize, const R: usize>(
    a: &[f64],
    inner: usize,
    b: &[f64],
    cols: usize,
    p0: usize,
    w: usize,
    out: &mut [f64],
) {
    use std::arch::x86_64::*;
    let masks: [__mmask8; R] = std::array::from_fn(|q| {
        let lanes = w.saturating_sub(8 * q).min(8);
        ((1u16 << lanes) - 1) as u8
    });
    let a_rows: [&[f64]; MR] = std::array::from_fn(|r| &a[r * inner..(r + 1) * inner]);
    let mut acc = [[_mm512_setzero_pd(); R]; MR];
    for t in 0..inner {
        let start = t * cols + p0;
        let brow = &b[start..start + w];
        // SAFETY (all loads): the mask keeps each load to lanes `8q..min(8q + 8, w)` of
        // `brow` (masked-off lanes are not accessed).
        let x: [__m512d; R] = std::array::from_fn(|q| unsafe {
            _mm512_maskz_loadu_pd(masks[q], brow.as_ptr().wrapping_add(8 * q))
        });
        for (acc_r, a_row) in acc.iter_mut().zip(&a_rows) {
            let va = _mm512_set1_pd(a_row[t]);
            for (acc, &x) in acc_r.iter_mut().zip(&x) {
                *acc = _mm512_add_pd(*acc, _mm512_mul_pd(va, x));
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let orow = &mut out[r * cols + p0..r * cols + p0 + w];
        for ((acc, &mask), q) in acc_r.iter().zip(&masks).zip(0..) {
            // SAFETY: as for the loads, on `orow`.
            unsafe { _mm512_mask_storeu_pd(orow.as_mut_ptr().wrapping_add(8 * q), mask, *acc) };
        }
    }
}

/// Replaces the row-major `rows × l` matrix `y` (`rows ≥ l`) by `Q` with orthonormal
/// columns spanning the same space, and returns the upper-triangular `R` (row-major
/// `l × l`) with `y_in = Q·R`.
fn orthonormalize(y: &mut [f64], rows: usize, l: usize) -> Vec<f64> {
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
fn gram(y: &[f64], l: usize) -> Vec<f64> {
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

/// Upper triangle of `blockᵀ·block`.
#[inline(always)]
fn gram_block_generic(block: &[f64], l: usize) -> Vec<f64> {
    let mut g = vec![0.0; l * l];
    // Four rows at a time: four updates per load/store of the Gram entry.
    let mut quads = block.chunks_exact(4 * l);
    for quad in quads.by_ref() {
        let (y0, rest) = quad.split_at(l);
        let (y1, rest) = rest.split_at(l);
        let (y2, y3) = rest.split_at(l);
        for a in 0..l {
            let (a0, a1, a2, a3) = (y0[a], y1[a], y2[a], y3[a]);
            let grow = &mut g[a * l + a..(a + 1) * l];
            for (((gv, &b0), (&b1, &b2)), &b3) in grow
                .iter_mut()
                .zip(&y0[a..])
                .zip(y1[a..].iter().zip(&y2[a..]))
                .zip(&y3[a..])
            {
                *gv += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3;
            }
        }
    }
    for row in quads.remainder().chunks_exact(l) {
        for a in 0..l {
            let ya = row[a];
            for (gv, &yb) in g[a * l + a..(a + 1) * l].iter_mut().zip(&row[a..]) {
                *gv += ya * yb;
            }
        }
    }
    g
}

simd_dispatch! {
    /// [`gram_block_generic`], AVX2 when available.
    fn gram_block => gram_block_generic(block: &[f64], l: usize) -> Vec<f64>
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
fn householder_qr(y: &mut [f64], rows: usize, l: usize) -> Vec<f64> {
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
fn jacobi_svd(a: &mut [f64], l: usize) -> Vec<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use sprs::TriMat;

    /// Seeded standard normal draws (`f64` test data).
    fn gaussian(len: usize, seed: u64) -> Vec<f64> {
        gaussian_f32(len, seed).into_iter().map(f64::from).collect()
    }

    fn csr(rows: usize, cols: usize, entries: &[(usize, usize, f64)]) -> CsMat<f64> {
        let mut t = TriMat::new((rows, cols));
        for &(r, c, v) in entries {
            t.add_triplet(r, c, v);
        }
        t.to_csr()
    }

    fn random_sparse(rows: usize, cols: usize, density: f64, seed: u64) -> CsMat<f64> {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut t = TriMat::new((rows, cols));
        for r in 0..rows {
            for c in 0..cols {
                if rng.gen::<f64>() < density {
                    t.add_triplet(r, c, rng.gen::<f64>());
                }
            }
        }
        t.to_csr()
    }

    fn to_dense(x: &CsMat<f64>) -> Array2<f64> {
        let mut d = Array2::zeros((x.rows(), x.cols()));
        for (r, row) in x.outer_iterator().enumerate() {
            for (c, &v) in row.iter() {
                d[[r, c]] = v;
            }
        }
        d
    }

    /// Exact singular values via Jacobi on the full dense matrix (reference).
    fn exact_singular_values(d: &Array2<f64>) -> Vec<f64> {
        let (m, n) = d.dim();
        // Column-major n columns of length m, padded square is not needed: use AᵀA-free
        // one-sided Jacobi on the columns when m >= n.
        assert!(m >= n);
        let mut a = vec![0.0; n * n];
        // QR first so the Jacobi input is square.
        let mut y: Vec<f64> = d.iter().copied().collect();
        let r = householder_qr(&mut y, m, n);
        for j in 0..n {
            for i in 0..n {
                a[j * n + i] = r[j * n + i]; // column j of Rᵀ = row j of R
            }
        }
        jacobi_svd(&mut a, n);
        let mut s: Vec<f64> = (0..n).map(|j| norm(&a[j * n..(j + 1) * n])).collect();
        s.sort_by(|x, y| y.total_cmp(x));
        s
    }

    #[test]
    fn default_params_match_sklearn() {
        let p = ReduceParams::default();
        assert_eq!((p.n_components, p.n_iter, p.n_oversamples), (100, 5, 10));
        let p: ReduceParams = serde_json::from_str(r#"{"n_components": 7}"#).unwrap();
        assert_eq!((p.n_components, p.n_iter, p.n_oversamples), (7, 5, 10));
        assert!(serde_json::from_str::<ReduceParams>(r#"{"n_comp": 7}"#).is_err());
    }

    #[test]
    fn zero_components_rejected() {
        let p = ReduceParams {
            n_components: 0,
            ..Default::default()
        };
        let err = p.check().unwrap_err();
        assert_eq!(err, ReduceParamsError::ZeroComponents(0));
        assert!(err.to_string().contains("got 0"));
    }

    #[test]
    fn empty_and_non_finite_rejected() {
        let p = ReduceParams::default().check().unwrap();
        let e = p.fit_transform(&csr(0, 5, &[]), 1).unwrap_err();
        assert!(e.to_string().contains("0 rows × 5 columns"), "{e}");
        let e = p.fit_transform(&csr(3, 0, &[]), 1).unwrap_err();
        assert_eq!(e, ReduceError::Empty { rows: 3, cols: 0 });
        let e = p
            .fit_transform(&csr(2, 2, &[(0, 0, 1.0), (1, 1, f64::NAN)]), 1)
            .unwrap_err();
        assert!(
            matches!(e, ReduceError::NonFinite { row: 1, col: 1, .. }),
            "{e}"
        );
    }

    #[test]
    fn qr_is_orthonormal_and_reconstructs() {
        let (m, l) = (300, 12);
        let y0 = gaussian(m * l, 3);
        for rank_deficient in [false, true] {
            let mut y = y0.clone();
            if rank_deficient {
                // Column 5 = column 2, column 7 = 0.
                for i in 0..m {
                    y[i * l + 5] = y[i * l + 2];
                    y[i * l + 7] = 0.0;
                }
            }
            let orig = y.clone();
            let r = orthonormalize(&mut y, m, l);
            let g = gram(&y, l);
            for a in 0..l {
                for b in 0..l {
                    let e = if a == b { 1.0 } else { 0.0 };
                    assert!(
                        (g[a * l + b] - e).abs() < 1e-12,
                        "QᵀQ[{a},{b}] = {}",
                        g[a * l + b]
                    );
                }
            }
            for i in 0..m {
                for j in 0..l {
                    let rec: f64 = (0..l).map(|t| y[i * l + t] * r[t * l + j]).sum();
                    assert!((rec - orig[i * l + j]).abs() < 1e-10);
                }
            }
        }
    }

    #[test]
    fn singular_values_match_exact_svd_on_low_rank_plus_noise() {
        // 60 × 40 matrix; ask for all 40 components (l capped at 40): exact up to rounding.
        let x = random_sparse(60, 40, 0.3, 11);
        let lsa = ReduceParams {
            n_components: 40,
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit_transform(&x, 5)
        .unwrap();
        assert_eq!(lsa.n_components, 40);
        let exact = exact_singular_values(&to_dense(&x));
        for (a, b) in lsa.singular_values.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-9 * exact[0], "{a} vs {b}");
        }
        // Explained variance ratios sum to 1 when every component is kept (the centred
        // variance is fully captured by the full-rank U·Σ).
        let total: f64 = lsa.explained_variance_ratio.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn truncated_values_are_accurate_and_components_orthonormal() {
        // Rank-10 signal with well separated singular values plus sparse noise.
        let (m, n) = (200, 150);
        let g = gaussian(m * 10 + n * 10, 12);
        let mut t = TriMat::new((m, n));
        let noise = random_sparse(m, n, 0.05, 13);
        let noise = to_dense(&noise);
        for i in 0..m {
            for j in 0..n {
                let mut v = 0.01 * noise[[i, j]];
                for c in 0..10 {
                    v += (10 - c) as f64 * g[i * 10 + c] * g[m * 10 + j * 10 + c];
                }
                t.add_triplet(i, j, v);
            }
        }
        let x: CsMat<f64> = t.to_csr();
        let lsa = ReduceParams {
            n_components: 10,
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit_transform(&x, 9)
        .unwrap();
        let dense = to_dense(&x);
        let exact = exact_singular_values(&dense);
        for (a, b) in lsa.singular_values.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
        }
        let vvt = lsa.components.dot(&lsa.components.t());
        for a in 0..10 {
            for b in 0..10 {
                let e = if a == b { 1.0 } else { 0.0 };
                assert!((vvt[[a, b]] - e).abs() < 1e-10);
            }
        }
        // Sign convention: the largest-|value| entry of each component is positive.
        for row in lsa.components.rows() {
            let best = row
                .iter()
                .copied()
                .fold(0.0f64, |acc, v| if v.abs() > acc.abs() { v } else { acc });
            assert!(best > 0.0);
        }
        // Rows are unit length, and match A·Vᵀᵀ normalised.
        let proj = dense.dot(&lsa.components.t());
        for (i, row) in lsa.embedding.rows().into_iter().enumerate() {
            let n: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-5);
            let pn = proj.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
            for (c, &v) in row.iter().enumerate() {
                assert!((v as f64 - proj[[i, c]] / pn).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn vectorised_kernels_match_the_generic_ones_bit_for_bit() {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let (rows, l) = (23, 11);
        let y = gaussian(rows * l, 17);
        assert_eq!(bits(&gram_block(&y, l)), bits(&gram_block_generic(&y, l)));
        let u: Vec<f64> = gaussian(l * l, 18)
            .into_iter()
            .enumerate()
            .map(|(i, v)| if i / l <= i % l { v } else { 0.0 })
            .collect();
        let m = gaussian(l * 7, 19);
        for (b, cols) in [(&u, l), (&m, 7)] {
            let (mut a, mut g) = (vec![1.0; rows * cols], vec![2.0; rows * cols]);
            rows_mul(&y, l, b, cols, &mut a);
            rows_mul_generic(&y, l, b, cols, &mut g);
            assert_eq!(bits(&a), bits(&g));
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut c = vec![3.0; rows * cols];
                unsafe { rows_mul_avx512(&y, l, b, cols, &mut c) };
                assert_eq!(bits(&c), bits(&g));
            }
        }
        // Wide products: several panels and masked registers.
        for cols in [1, 8, 9, 100, 128, 129, 300] {
            let b = gaussian(l * cols, 23);
            let (mut a, mut g) = (vec![1.0; rows * cols], vec![2.0; rows * cols]);
            rows_mul(&y, l, &b, cols, &mut a);
            rows_mul_generic(&y, l, &b, cols, &mut g);
            assert_eq!(bits(&a), bits(&g), "cols = {cols}");
        }
        let x = Csr::from_csmat(&random_sparse(rows, 30, 0.3, 20)).unwrap();
        let dmat = gaussian(30 * l, 21);
        let (mut a, mut b) = (vec![0.0; rows * l], vec![0.0; rows * l]);
        spmm_block(&x, &dmat, l, 0, &mut a);
        spmm_block_generic(&x, &dmat, l, 0, &mut b);
        assert_eq!(bits(&a), bits(&b));
        // The f32 product: every panel shape of the AVX-512 kernel (full and masked
        // registers, one and several panels), against the portable loop.
        let x32 = Csr32::new(&x).unwrap();
        for l in [1, 11, 16, 17, 110, 128, 130, 257] {
            let dmat = gaussian_f32(30 * l, 22);
            let (mut a, mut b) = (vec![1.0f32; rows * l], vec![2.0f32; rows * l]);
            spmm32_block(&x32, &dmat, l, 0, &mut a);
            spmm32_block_generic(&x32, &dmat, l, 0, &mut b);
            let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits32(&a), bits32(&b), "l = {l}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut c = vec![3.0f32; rows * l];
                unsafe { spmm32_block_avx512(&x32, &dmat, l, 0, &mut c) };
                assert_eq!(bits32(&c), bits32(&b), "l = {l}");
            }
        }
    }

    #[test]
    fn tiny_shapes_do_not_panic() {
        let p = ReduceParams::default().check().unwrap();
        let one_row = csr(1, 4, &[(0, 1, 2.0), (0, 3, 1.0)]);
        let lsa = p.fit_transform(&one_row, 0).unwrap();
        assert_eq!(lsa.n_components, 1);
        assert_eq!(lsa.embedding.dim(), (1, 1));
        assert!((lsa.embedding[[0, 0]] - 1.0).abs() < 1e-6);
        assert!((lsa.singular_values[0] - 5f64.sqrt()).abs() < 1e-12);
        // One column.
        let one_col = csr(3, 1, &[(0, 0, 1.0), (2, 0, 3.0)]);
        let lsa = p.fit_transform(&one_col, 0).unwrap();
        assert_eq!(lsa.embedding.dim(), (3, 1));
        assert_eq!(lsa.embedding[[1, 0]], 0.0);
        assert!((lsa.singular_values[0] - 10f64.sqrt()).abs() < 1e-12);
        // All zero.
        let zeros = csr(4, 3, &[]);
        let lsa = p.fit_transform(&zeros, 0).unwrap();
        assert_eq!(lsa.n_components, 3);
        assert!(lsa.embedding.iter().all(|&v| v == 0.0));
        assert!(lsa.explained_variance_ratio.iter().all(|&v| v == 0.0));
        // Duplicated rows (rank 1) with many components requested.
        let dup = csr(
            5,
            6,
            &(0..5)
                .flat_map(|r| [(r, 0, 1.0), (r, 4, 2.0)])
                .collect::<Vec<_>>(),
        );
        let lsa = p.fit_transform(&dup, 0).unwrap();
        assert_eq!(lsa.n_components, 5);
        assert!((lsa.singular_values[0] - 25f64.sqrt()).abs() < 1e-12);
        assert!(lsa.singular_values[1..].iter().all(|&s| s < 1e-12));
        assert!(lsa.embedding.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn extreme_magnitudes_are_rescaled() {
        let p = ReduceParams {
            n_components: 2,
            ..Default::default()
        }
        .check()
        .unwrap();
        let x = random_sparse(30, 20, 0.3, 6);
        let base = p.fit_transform(&x, 1).unwrap();
        for factor in [1e200, 1e-200] {
            let mut y = x.clone();
            y.data_mut().iter_mut().for_each(|v| *v *= factor);
            let big = p.fit_transform(&y, 1).unwrap();
            for (a, b) in base.singular_values.iter().zip(&big.singular_values) {
                assert!((a * factor - b).abs() <= 1e-9 * b, "{a} {b}");
            }
            for (a, b) in base.embedding.iter().zip(big.embedding.iter()) {
                assert!((a - b).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn csc_input_gives_the_same_result() {
        let x = random_sparse(40, 30, 0.2, 4);
        let p = ReduceParams {
            n_components: 5,
            ..Default::default()
        }
        .check()
        .unwrap();
        let a = p.fit_transform(&x, 2).unwrap();
        let b = p.fit_transform(&x.to_csc(), 2).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn identical_bits_for_one_and_two_threads() {
        let x = random_sparse(1500, 400, 0.02, 8);
        let p = ReduceParams {
            n_components: 20,
            ..Default::default()
        }
        .check()
        .unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| p.fit_transform(&x, 42).unwrap())
        };
        let a = run(1);
        let b = run(2);
        let bits = |l: &Lsa| {
            (
                l.embedding.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                l.components.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                l.singular_values
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(bits(&a), bits(&b));
        // And a different seed gives (slightly) different bits but the same subspace sizes.
        let c = p.fit_transform(&x, 43).unwrap();
        for (s, t) in a.singular_values.iter().zip(&c.singular_values) {
            assert!((s - t).abs() < 1e-2 * s);
        }
    }
}
