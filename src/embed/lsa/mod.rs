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
//!
//! linfa's traits are implemented too: `ParamGuard` on [`ReduceParams`], `Fit` on
//! [`ReduceValidParams`] (seed 0) and [`SeededReduceParams`] with sparse records
//! ([`SparseRecords`]), `Transformer` on the fitted [`Lsa`] (see `linfa_fit.rs`).

mod error;
mod kernels;
mod linalg;
mod linfa_fit;
#[cfg(test)]
mod tests;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

pub use crate::linfa_records::SparseRecords;
pub use error::{ReduceError, ReduceParamsError};
use linalg::{
    dense_mul, gaussian_f32, jacobi_svd, norm, orthonormalize, orthonormalize_f32, Csr, Csr32,
};
pub use linfa_fit::SeededReduceParams;

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

/// Validated [`ReduceParams`], ready to [`fit_transform`](ReduceValidParams::fit_transform).
///
/// `#[repr(transparent)]`: a `&ReduceParams` that passed the check is viewed as a
/// `&ReduceValidParams` by linfa's `ParamGuard::check_ref` (see `linfa_fit.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(transparent)]
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
        self.validate()?;
        Ok(ReduceValidParams {
            params: self.clone(),
        })
    }

    /// The validation rules, shared by [`check`](Self::check) and linfa's `ParamGuard`.
    fn validate(&self) -> Result<(), ReduceParamsError> {
        if self.n_components == 0 {
            return Err(ReduceParamsError::ZeroComponents(self.n_components));
        }
        Ok(())
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
